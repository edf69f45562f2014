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
#include "proxy-header.h"
#include "haproxy-tlv-fields.h"
#include "haproxy-tlv-net.h"
#include "doveadm-haproxy.h"

#include <ctype.h>
#include <fcntl.h>
#include <openssl/x509.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

/* Room for the largest header as hex with separators (tshark's "0d:0a:"
   or xxd's line breaks); binary input beyond a header is only reported */
#define DOVEADM_HAPROXY_INPUT_MAX (PROXY_HEADER_MAX_SIZE * 4)

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

static void print_decoded(const struct proxy_header *hdr)
{
	const struct haproxy_tlv_field *field;
	unsigned int i;

	for (i = 0; i < HAPROXY_TLV_FIELD_COUNT; i++) {
		if (haproxy_tlv_fields[i].name != NULL)
			doveadm_print_header_simple(haproxy_tlv_fields[i].name);
	}
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
}

static void cmd_haproxy_decode(struct doveadm_cmd_context *cctx)
{
	const char *path = NULL, *error = NULL, *reason;
	bool hex = FALSE;
	buffer_t *buf;
	struct proxy_header hdr;
	size_t need;
	int ret;

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

	switch (proxy_header_decode(buf->data, buf->used, &hdr, &need,
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
	print_decoded(&hdr);
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
	.usage = "[-x] [<file>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('x', "hex", CMD_PARAM_BOOL, 0)
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
