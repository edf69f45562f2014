/* doveadm haproxy decode|check (test: doveadm-haproxy-test.c): see what a PROXY header contains and
   whether an address is trusted, without HAProxy at hand. */

#include "lib.h"
#include "array.h"
#include "buffer.h"
#include "execv-const.h"
#include "hex-binary.h"
#include "istream.h"
#include "net.h"
#include "str.h"
#include "strescape.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "module-dir.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-print.h"
#include "strnum.h"
#include "proxy-header.h"
#include "haproxy-tlv-cert.h"
#include "haproxy-tlv-custom.h"
#include "haproxy-tlv-settings.h"
#include "haproxy-tlv-fields.h"
#include "haproxy-tlv-net.h"
#include "doveadm-haproxy.h"

#include <ctype.h>
#include <fcntl.h>
#include <openssl/x509.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

/* Room for the largest header the protocol allows (a certificate chain
   makes it larger than the plugin's default maximum) as hex with
   separators (tshark's "0d:0a:" or xxd's line breaks); binary input
   beyond a header is only reported */
#define DOVEADM_HAPROXY_INPUT_MAX (PROXY_HEADER_V2_MAX_SIZE * 4)

/* decode's options beyond the header itself: the plugin's settings
   haproxy_tlv_cert_tlv, haproxy_tlv_vendor_tlvs and haproxy_tlv_custom,
   parsed by the settings' own parser (policy.cert_tlv, policy.custom) */
struct decode_options {
	struct haproxy_tlv_policy policy;
};

extern const char *doveadm_haproxy_plugin_version;
void doveadm_haproxy_plugin_init(struct module *module);
void doveadm_haproxy_plugin_deinit(void);

const char *doveadm_haproxy_plugin_version = DOVECOT_ABI_VERSION;

/* doveadm's own master service settings (haproxy_trusted_networks):
   master_service_settings_get() became master_service_get_service_settings()
   in Dovecot 2.4 */
static const struct master_service_settings *service_settings(void)
{
#if DOVECOT_PREREQ(2, 4, 0)
	return master_service_get_service_settings(master_service);
#else
	return master_service_settings_get(master_service);
#endif
}

/* open() and read(), never pread(): the input may be a pipe, a FIFO or a
   terminal as well as a file */
static struct istream *open_input(const char *path, const char **error_r)
{
	struct istream *input;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		input = i_stream_create_fd(STDIN_FILENO, IO_BLOCK_SIZE);
		i_stream_set_name(input, "<stdin>");
		return input;
	}
	fd = open(path, O_RDONLY);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return NULL;
	}
	input = i_stream_create_fd_autoclose(&fd, IO_BLOCK_SIZE);
	i_stream_set_name(input, path);
	return input;
}

/* Returns 0, or the exit code for the error in *error_r: EX_DATAERR only
   for input that cannot be a header, so that scripts can tell an invalid
   header from a missing or unreadable file */
static int read_input(const char *path, buffer_t **buf_r, const char **error_r)
{
	struct istream *input;
	buffer_t *buf = t_buffer_create(1024);
	const unsigned char *data;
	size_t size;
	int ret = 0;

	if ((input = open_input(path, error_r)) == NULL)
		return EX_NOINPUT;
	while (i_stream_read_more(input, &data, &size) > 0) {
		buffer_append(buf, data, size);
		i_stream_skip(input, size);
		if (buf->used > DOVEADM_HAPROXY_INPUT_MAX) {
			*error_r = "Input is too large for a PROXY header";
			ret = EX_DATAERR;
			break;
		}
	}
	if (ret == 0 && input->stream_errno != 0) {
		*error_r = t_strdup_printf("read(%s) failed: %s",
					   i_stream_get_name(input),
					   i_stream_get_error(input));
		ret = EX_IOERR;
	}
	i_stream_unref(&input);
	*buf_r = buf;
	return ret;
}

static buffer_t *hex_to_bytes(const buffer_t *hex, const char **error_r)
{
	string_t *digits = t_str_new(hex->used);
	buffer_t *bytes = t_buffer_create(hex->used / 2 + 1);
	const unsigned char *p = hex->data;

	for (size_t i = 0; i < hex->used; i++) {
		if (i_isxdigit(p[i]))
			str_append_c(digits, p[i]);
		else if (!i_isspace(p[i]) && p[i] != ':') {
			*error_r = "Input is not hex";
			return NULL;
		}
	}
	if (hex_to_binary(str_c(digits), bytes) < 0) {
		*error_r = "Input is not hex (odd number of digits)";
		return NULL;
	}
	return bytes;
}

/* The one column that needs OpenSSL, which only this module links */
static const char *verify_meaning(const struct proxy_header *hdr)
{
	if (!hdr->have_ssl)
		return "";
	return X509_verify_cert_error_string(hdr->ssl_verify);
}

bool doveadm_haproxy_parse_tlv_type(const char *str, uint8_t *type_r)
{
	unsigned int type;

	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
		if (str_to_uint_hex(str + 2, &type) < 0)
			return FALSE;
	} else if (str_to_uint(str, &type) < 0)
		return FALSE;
	switch (type) {
	case PROXY_HEADER_TLV_ALPN:
	case PROXY_HEADER_TLV_AUTHORITY:
	case PROXY_HEADER_TLV_CRC32C:
	case PROXY_HEADER_TLV_NOOP:
	case PROXY_HEADER_TLV_UNIQUE_ID:
	case PROXY_HEADER_TLV_SSL:
	case PROXY_HEADER_TLV_NETNS:
		return FALSE;
	}
	if (type == 0 || type > 0xff)
		return FALSE;
	*type_r = type;
	return TRUE;
}

static bool
parse_decode_options(struct doveadm_cmd_context *cctx,
		     struct decode_options *opts)
{
	const char *cert_tlv, *vendor_tlvs, *const *customs, *error;

	i_zero(opts);
	if (!doveadm_cmd_param_str(cctx, "cert-tlv", &cert_tlv))
		cert_tlv = "0";
	/* the plugin's default */
	if (!doveadm_cmd_param_str(cctx, "vendor-tlvs", &vendor_tlvs))
		vendor_tlvs = "aws azure";
	/* given once with every TYPE:NAME, as the setting has them, or one
	   per -n */
	if (!doveadm_cmd_param_array(cctx, "custom", &customs))
		customs = t_new(const char *, 1);
	if (!haproxy_tlv_settings_parse_custom(cert_tlv, vendor_tlvs,
					       t_strarray_join(customs, " "),
					       &opts->policy, &error)) {
		i_error("haproxy decode: %s", error);
		return FALSE;
	}
	return TRUE;
}

/* Bytes as ssl_cn shows them: anything outside printable ASCII (and the
   backslash) as \xNN */
static const char *escape_bytes(const unsigned char *data, size_t size)
{
	string_t *str = t_str_new(size + 1);

	for (size_t i = 0; i < size; i++) {
		if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\')
			str_append_c(str, data[i]);
		else
			str_printfa(str, "\\x%02x", data[i]);
	}
	return str_c(str);
}

static const char *escape_str(const char *str)
{
	return escape_bytes((const unsigned char *)str, strlen(str));
}

static const char *cert_encoding_name(enum haproxy_tlv_cert_encoding encoding)
{
	switch (encoding) {
	case HAPROXY_TLV_CERT_DER:
		return "der";
	case HAPROXY_TLV_CERT_HEX:
		return "hex";
	case HAPROXY_TLV_CERT_BASE64:
		return "base64";
	}
	i_unreached();
}

/* The certificate columns, in their order */
enum cert_column {
	CERT_COLUMN_TLV,
	CERT_COLUMN_ENCODING,
	CERT_COLUMN_SUBJECT,
	CERT_COLUMN_ISSUER,
	CERT_COLUMN_SERIAL,
	CERT_COLUMN_NOT_BEFORE,
	CERT_COLUMN_NOT_AFTER,
	CERT_COLUMN_FINGERPRINT,
	CERT_COLUMN_ERROR,

	CERT_COLUMN_COUNT
};

static const char *const cert_column_names[CERT_COLUMN_COUNT] = {
	"cert_tlv", "cert_encoding", "cert_subject", "cert_issuer",
	"cert_serial", "cert_not_before", "cert_not_after",
	"cert_fingerprint", "cert_error",
};

/* The certificate of SSL CLIENT_CERT, or else of the custom TLV: every
   column "" when there is none. FALSE when there is one that does not
   parse. */
static bool
cert_values(const struct proxy_header *hdr, const struct decode_options *opts,
	    const char *values[CERT_COLUMN_COUNT])
{
	enum haproxy_tlv_cert_encoding encoding = HAPROXY_TLV_CERT_DER;
	struct haproxy_tlv_cert_info info;
	struct proxy_header_tlv tlv;
	const char *error = NULL;
	bool have_value = TRUE;
	X509 *cert = NULL;

	for (unsigned int i = 0; i < CERT_COLUMN_COUNT; i++)
		values[i] = "";
	if (hdr->ssl_client_cert.data != NULL) {
		values[CERT_COLUMN_TLV] = t_strdup_printf("0x%02x",
			PROXY_HEADER_TLV_SSL_CLIENT_CERT);
		cert = haproxy_tlv_cert_parse_der(hdr->ssl_client_cert.data,
						  hdr->ssl_client_cert.size,
						  &error);
	} else if (opts->policy.cert_tlv != 0) {
		switch (proxy_header_tlv_find(hdr, opts->policy.cert_tlv, &tlv,
					      &error)) {
		case PROXY_HEADER_FIND_ABSENT:
			return TRUE;
		case PROXY_HEADER_FIND_INVALID:
			have_value = FALSE;
			break;
		case PROXY_HEADER_FIND_FOUND:
			cert = haproxy_tlv_cert_parse(tlv.value.data,
						      tlv.value.size,
						      &encoding, &error);
			break;
		}
		values[CERT_COLUMN_TLV] = t_strdup_printf("0x%02x",
			opts->policy.cert_tlv);
	} else {
		return TRUE;
	}
	/* what the value looked like, also when it does not parse */
	if (have_value)
		values[CERT_COLUMN_ENCODING] = cert_encoding_name(encoding);
	if (cert == NULL) {
		values[CERT_COLUMN_ERROR] = escape_str(error);
		return FALSE;
	}
	haproxy_tlv_cert_describe(cert, &info);
	X509_free(cert);
	values[CERT_COLUMN_SUBJECT] = escape_str(info.subject);
	values[CERT_COLUMN_ISSUER] = escape_str(info.issuer);
	values[CERT_COLUMN_SERIAL] = info.serial;
	values[CERT_COLUMN_NOT_BEFORE] = info.not_before;
	values[CERT_COLUMN_NOT_AFTER] = info.not_after;
	values[CERT_COLUMN_FINGERPRINT] = info.fingerprint;
	return TRUE;
}

/* The vendor and named custom columns, names and values in the same
   order */
struct tlv_columns {
	ARRAY_TYPE(const_string) names, values;
	/* what is wrong with their TLVs: "column: reason; ..." */
	string_t *errors;
};

static void
tlv_column(struct tlv_columns *cols, const char *name,
	   enum proxy_header_find_result ret, const char *value,
	   const char *reason)
{
	if (ret != PROXY_HEADER_FIND_FOUND)
		value = "";
	if (ret == PROXY_HEADER_FIND_INVALID) {
		if (str_len(cols->errors) > 0)
			str_append(cols->errors, "; ");
		str_printfa(cols->errors, "%s: %s", name, reason);
	}
	array_push_back(&cols->names, &name);
	array_push_back(&cols->values, &value);
}

static void
tlv_values(const struct proxy_header *hdr, const struct decode_options *opts,
	   struct tlv_columns *cols)
{
	const struct haproxy_tlv_custom_set *set = &opts->policy.custom;
	enum proxy_header_find_result ret;
	struct proxy_header_bytes bytes;
	struct proxy_header_tlv tlv;
	const char *reason = NULL;
	uint32_t id32;
	uint64_t id64;

	t_array_init(&cols->names, 8);
	t_array_init(&cols->values, 8);
	cols->errors = t_str_new(64);
	if ((set->vendors & HAPROXY_TLV_VENDOR_AWS) != 0) {
		ret = proxy_header_aws_vpce_id(hdr, &bytes, &reason);
		tlv_column(cols, "aws_vpce_id", ret,
			   ret != PROXY_HEADER_FIND_FOUND ? NULL :
			   t_strndup(bytes.data, bytes.size), reason);
	}
	if ((set->vendors & HAPROXY_TLV_VENDOR_AZURE) != 0) {
		ret = proxy_header_azure_link_id(hdr, &id32, &reason);
		tlv_column(cols, "azure_link_id", ret,
			   ret != PROXY_HEADER_FIND_FOUND ? NULL :
			   dec2str(id32), reason);
	}
	if ((set->vendors & HAPROXY_TLV_VENDOR_GCP) != 0) {
		ret = proxy_header_gcp_psc_id(hdr, &id64, &reason);
		tlv_column(cols, "gcp_psc_id", ret,
			   ret != PROXY_HEADER_FIND_FOUND ? NULL :
			   dec2str(id64), reason);
	}
	for (unsigned int i = 0; i < set->custom_count; i++) {
		const struct haproxy_tlv_custom_tlv *custom = &set->custom[i];

		ret = proxy_header_tlv_find(hdr, custom->type, &tlv, &reason);
		tlv_column(cols, t_strconcat("x_", custom->name, NULL), ret,
			   ret != PROXY_HEADER_FIND_FOUND ? NULL :
			   haproxy_tlv_custom_value(&tlv.value), reason);
	}
}

/* FALSE when the certificate or a vendor or named TLV is invalid: its
   error column says why */
static bool
print_decoded(const struct proxy_header *hdr, const struct decode_options *opts)
{
	const struct haproxy_tlv_field *field;
	const char *cert[CERT_COLUMN_COUNT];
	struct tlv_columns tlvs;
	const char *const *name, *const *value;
	unsigned int i;
	bool cert_ok;

	cert_ok = cert_values(hdr, opts, cert);
	tlv_values(hdr, opts, &tlvs);

	for (i = 0; i < HAPROXY_TLV_FIELD_COUNT; i++) {
		if (haproxy_tlv_fields[i].name != NULL)
			doveadm_print_header_simple(haproxy_tlv_fields[i].name);
	}
	for (i = 0; i < CERT_COLUMN_COUNT; i++)
		doveadm_print_header_simple(cert_column_names[i]);
	array_foreach(&tlvs.names, name)
		doveadm_print_header_simple(*name);
	doveadm_print_header_simple("tlv_error");
	for (i = 0; i < HAPROXY_TLV_FIELD_COUNT; i++) {
		field = &haproxy_tlv_fields[i];
		if (field->name == NULL)
			continue;
		if (field->source == HAPROXY_TLV_FIELD_DOVEADM) {
			i_assert(i == HAPROXY_TLV_FIELD_SSL_VERIFY_MEANING);
			doveadm_print(verify_meaning(hdr));
		} else {
			doveadm_print(haproxy_tlv_field_printable(field, hdr));
		}
	}
	for (i = 0; i < CERT_COLUMN_COUNT; i++)
		doveadm_print(cert[i]);
	array_foreach(&tlvs.values, value)
		doveadm_print(*value);
	doveadm_print(str_c(tlvs.errors));

	if (!cert_ok)
		i_error("Invalid certificate in TLV %s: %s",
			cert[CERT_COLUMN_TLV], cert[CERT_COLUMN_ERROR]);
	if (str_len(tlvs.errors) > 0)
		i_error("Invalid TLV: %s", str_c(tlvs.errors));
	return cert_ok && str_len(tlvs.errors) == 0;
}

static void cmd_haproxy_decode(struct doveadm_cmd_context *cctx)
{
	const char *path = NULL, *error = NULL, *reason;
	struct decode_options opts;
	bool hex = FALSE;
	buffer_t *buf;
	struct proxy_header hdr;
	size_t need;
	int ret;

	if (!parse_decode_options(cctx, &opts)) {
		doveadm_exit_code = EX_USAGE;
		return;
	}
	(void)doveadm_cmd_param_bool(cctx, "hex", &hex);
	(void)doveadm_cmd_param_str(cctx, "file", &path);
	ret = read_input(path, &buf, &error);
	if (ret == 0 && hex && (buf = hex_to_bytes(buf, &error)) == NULL)
		ret = EX_DATAERR;
	if (ret != 0) {
		i_error("%s", error);
		doveadm_exit_code = ret;
		return;
	}

	/* what the protocol allows, not just the plugin's default: a
	   header with a certificate chain may need a larger
	   haproxy_tlv_max_header_size, and this shows it */
	switch (proxy_header_decode_max(buf->data, buf->used,
					PROXY_HEADER_V2_MAX_SIZE, &hdr, &need,
					&reason)) {
	case PROXY_HEADER_NEED_MORE:
		i_error("Incomplete PROXY header: %zu more bytes needed", need);
		doveadm_exit_code = EX_DATAERR;
		return;
	case PROXY_HEADER_INVALID:
		i_error("Invalid PROXY header: %s", reason);
		doveadm_exit_code = EX_DATAERR;
		return;
	case PROXY_HEADER_COMPLETE:
		break;
	}
	doveadm_print_init(DOVEADM_PRINT_TYPE_FLOW);
	if (!print_decoded(&hdr, &opts))
		doveadm_exit_code = EX_DATAERR;
	if (hdr.size < buf->used) {
		i_info("%zu bytes after the header are not part of it",
		       buf->used - hdr.size);
	}
}

/* Returns 1 if ip is in the networks, 0 if not, -1 if a network is
   invalid */
static int
ip_in_networks(const struct ip_addr *ip, const char *networks,
	       const char *setting)
{
	const char *error;
	int ret;

	ret = haproxy_tlv_net_is_in_networks(ip, networks, &error);
	if (ret < 0)
		i_error("%s: %s", setting, error);
	return ret;
}

static const char *wait_status_str(int status)
{
	if (WIFEXITED(status))
		return t_strdup_printf("exit status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return t_strdup_printf("killed by signal %d", WTERMSIG(status));
	return t_strdup_printf("wait status %d", status);
}

static pid_t doveconf_spawn(const char *const *argv, int *stdout_fd_r)
{
	int fd[2];
	pid_t pid;

	if (pipe(fd) < 0) {
		i_error("pipe() failed: %m");
		return -1;
	}
	if ((pid = fork()) < 0) {
		i_error("fork() failed: %m");
		i_close_fd(&fd[0]);
		i_close_fd(&fd[1]);
		return -1;
	}
	if (pid == 0) {
		/* in this order, whichever of them pipe() gave fd 1 */
		i_close_fd(&fd[0]);
		if (dup2(fd[1], STDOUT_FILENO) < 0)
			i_fatal("dup2() failed: %m");
		if (fd[1] != STDOUT_FILENO)
			i_close_fd(&fd[1]);
		/* stderr stays doveadm's: doveconf says itself what failed */
		execvp_const(argv[0], argv);
	}
	i_close_fd(&fd[1]);
	*stdout_fd_r = fd[0];
	return pid;
}

static int doveconf_wait(pid_t pid, const char *cmd)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			i_error("waitpid(%s) failed: %m", cmd);
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		i_error("%s failed: %s", cmd, wait_status_str(status));
		return -1;
	}
	return 0;
}

/* login_trusted_networks is a login process setting, which doveadm's own
   settings do not have: ask doveconf, for the configuration doveadm read.
   No shell: the path is one argument, whatever characters it has. */
static int doveconf_get_filtered(const char *setting,
				 const char *const *filters,
				 const char **value_r)
{
	ARRAY_TYPE(const_string) args;
	const char *arg;

	t_array_init(&args, 12);
	arg = "doveconf"; array_push_back(&args, &arg);
	arg = "-c"; array_push_back(&args, &arg);
	arg = master_service_get_config_path(master_service);
	array_push_back(&args, &arg);
	for (; filters != NULL && *filters != NULL; filters++) {
		arg = "-f"; array_push_back(&args, &arg);
		arg = *filters; array_push_back(&args, &arg);
	}
	arg = "-h"; array_push_back(&args, &arg);
	array_push_back(&args, &setting);
	array_append_zero(&args);
	const char *const *argv = array_front(&args);
	const char *cmd = t_strarray_join(argv, " ");
	struct istream *input;
	const char *line;
	int fd, ret = 0;
	pid_t pid;

	if ((pid = doveconf_spawn(argv, &fd)) < 0)
		return -1;
	/* a list of networks has no length limit */
	input = i_stream_create_fd_autoclose(&fd, SIZE_MAX);
	i_stream_set_return_partial_line(input, TRUE);
	line = i_stream_read_next_line(input);
	*value_r = t_strdup(line == NULL ? "" : line);
	/* to the end, so that doveconf never writes into a closed pipe */
	while (i_stream_read_next_line(input) != NULL) ;
	if (input->stream_errno != 0) {
		i_error("read(%s) failed: %s", cmd,
			i_stream_get_error(input));
		ret = -1;
	}
	i_stream_unref(&input);
	if (doveconf_wait(pid, cmd) < 0)
		ret = -1;
	return ret;
}

static int doveconf_get(const char *setting, const char **value_r)
{
	return doveconf_get_filtered(setting, NULL, value_r);
}

/* The login protocols the plugin serves, as `protocol` blocks name them */
static const char *const haproxy_login_protocols[] = {
	"imap", "pop3", "submission", "sieve", NULL
};

/* 1 if ip is in haproxy_tlv_direct_networks as the listeners of protocol
   read it for a client from ip (protocol and remote blocks), 0 if not,
   -1 on error */
static int ip_is_direct(const struct ip_addr *ip, const char *protocol)
{
	const char *filters[] = {
		t_strdup_printf("remote=%s", net_ip2addr(ip)),
		t_strdup_printf("protocol=%s", protocol),
		NULL
	};
	const char *networks;

	if (doveconf_get_filtered("haproxy_tlv_direct_networks", filters,
				  &networks) < 0) {
		i_error("haproxy check: Cannot read "
			"haproxy_tlv_direct_networks for protocol %s",
			protocol);
		return -1;
	}
	return ip_in_networks(ip, networks, "haproxy_tlv_direct_networks");
}

/* What the plugin does with a connection from the address, as in
   haproxy-tlv-connection.c: a peer in both lists is refused */
static const char *check_role(int haproxy, int direct)
{
	if (haproxy > 0 && direct > 0)
		return "conflict";
	if (haproxy > 0)
		return "trusted proxy";
	if (direct > 0)
		return "direct client";
	return "refused";
}

static void cmd_haproxy_check(struct doveadm_cmd_context *cctx)
{
	const struct master_service_settings *set = service_settings();
	const char *address, *login_networks, *protocols_str;
	const char *const *protocols, *const *proto;
	struct ip_addr ip;
	int haproxy, login, direct;
	bool admitted = FALSE, conflict = FALSE;

	if (!doveadm_cmd_param_str(cctx, "address", &address)) {
		i_error("haproxy check: Missing ADDRESS");
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if (net_addr2ip(address, &ip) < 0) {
		i_error("haproxy check: Invalid address '%s'", address);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if (doveconf_get("login_trusted_networks", &login_networks) < 0) {
		i_error("haproxy check: Cannot read login_trusted_networks");
		doveadm_exit_code = EX_CONFIG;
		return;
	}
	haproxy = ip_in_networks(&ip, set->haproxy_trusted_networks,
				 "haproxy_trusted_networks");
	login = ip_in_networks(&ip, login_networks, "login_trusted_networks");
	if (haproxy < 0 || login < 0) {
		doveadm_exit_code = EX_CONFIG;
		return;
	}
	if (doveconf_get("protocols", &protocols_str) < 0) {
		i_error("haproxy check: Cannot read protocols");
		doveadm_exit_code = EX_CONFIG;
		return;
	}
	protocols = t_strsplit_spaces(protocols_str, " ,");
	/* every answer first: a failure prints nothing */
	ARRAY(int) directs;
	t_array_init(&directs, 4);
	for (proto = haproxy_login_protocols; *proto != NULL; proto++) {
		if (!str_array_find(protocols, *proto))
			continue;
		if ((direct = ip_is_direct(&ip, *proto)) < 0) {
			doveadm_exit_code = EX_CONFIG;
			return;
		}
		array_push_back(&directs, &direct);
	}

	doveadm_print_init(DOVEADM_PRINT_TYPE_FLOW);
	doveadm_print_header_simple("address");
	doveadm_print_header_simple("protocol");
	doveadm_print_header_simple("haproxy_trusted");
	doveadm_print_header_simple("direct");
	doveadm_print_header_simple("login_trusted");
	doveadm_print_header_simple("role");
	unsigned int i = 0;
	for (proto = haproxy_login_protocols; *proto != NULL; proto++) {
		if (!str_array_find(protocols, *proto))
			continue;
		direct = *array_idx(&directs, i++);
		doveadm_print(net_ip2addr(&ip));
		doveadm_print(*proto);
		doveadm_print(haproxy > 0 ? "yes" : "no");
		doveadm_print(direct > 0 ? "yes" : "no");
		doveadm_print(login > 0 ? "yes" : "no");
		doveadm_print(check_role(haproxy, direct));
		if (haproxy > 0 && direct > 0)
			conflict = TRUE;
		else if (haproxy > 0 || direct > 0)
			admitted = TRUE;
	}
	/* the exit code answers the question scripts ask: is this address
	   served at all on a haproxy = yes listener? */
	if (conflict) {
		i_error("haproxy check: %s is in both haproxy_trusted_networks "
			"and haproxy_tlv_direct_networks", net_ip2addr(&ip));
		doveadm_exit_code = EX_CONFIG;
	} else if (!admitted && haproxy == 0)
		doveadm_exit_code = DOVEADM_EX_NOTFOUND;
}

static struct doveadm_cmd_ver2 doveadm_cmd_haproxy_decode = {
	.name = "haproxy decode",
	.cmd = cmd_haproxy_decode,
	.usage = "[-x] [-y <type>] [-w <vendors>] [-n <type:name ...>] "
		"[<file>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('x', "hex", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('y', "cert-tlv", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('w', "vendor-tlvs", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('n', "custom", CMD_PARAM_ARRAY, 0)
DOVEADM_CMD_PARAM('\0', "file", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};

static struct doveadm_cmd_ver2 doveadm_cmd_haproxy_check = {
	.name = "haproxy check",
	.cmd = cmd_haproxy_check,
	.usage = "<address>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "address", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};

void doveadm_haproxy_plugin_init(struct module *module ATTR_UNUSED)
{
	doveadm_cmd_register_ver2(&doveadm_cmd_haproxy_decode);
	doveadm_cmd_register_ver2(&doveadm_cmd_haproxy_check);
	doveadm_cmd_register_ver2(&doveadm_cmd_haproxy_test);
}

void doveadm_haproxy_plugin_deinit(void)
{
}
