/* doveadm haproxy test: connect to a listener as HAProxy would, send a
   PROXY header built from the options, optionally start TLS, read the
   protocol's greeting and run its SASL EXTERNAL authentication. Every
   step is printed; the exit code is 0 only if every step succeeded. */

#include "lib.h"
#include "array.h"
#include "base64.h"
#include "buffer.h"
#include "hex-binary.h"
#include "write-full.h"
#include "net.h"
#include "str.h"
#include "strescape.h"
#include "strnum.h"
#include "doveadm.h"
#include "doveadm-cmd.h"
#include "doveadm-print.h"
#include "proxy-header-encode.h"
#include "doveadm-haproxy.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#define HAPROXY_TEST_TIMEOUT_SECS 10
/* A certificate file: a chain of PEM certificates is a few KiB, a
   certificate's DER must fit in a TLV */
#define HAPROXY_TEST_CERT_FILE_MAX (1024 * 1024)
/* AWS's and Azure's TLVs start with a subtype */
#define HAPROXY_TEST_AWS_VPCE_ID 0x01
#define HAPROXY_TEST_AZURE_LINK_ID 0x01

enum haproxy_test_protocol {
	HAPROXY_TEST_IMAP,
	HAPROXY_TEST_POP3,
	HAPROXY_TEST_SUBMISSION,
	HAPROXY_TEST_SIEVE,
};

struct haproxy_test_options {
	/* local_command: LOCAL (v2) or UNKNOWN (v1); report_tls: the header
	   says TLS; start_tls: TLS with the server after the header */
	bool v1, local_command, report_tls, cert_conn, cert_sess, crc32c;
	bool start_tls, external;
	uint32_t verify;
	const char *cn, *authority, *unique_id;
	/* the certificate as it is sent: in SSL CLIENT_CERT when cert_tlv
	   is 0, else in that TLV */
	const buffer_t *cert;
	uint8_t cert_tlv;
	/* top-level TLVs without a field of their own: vendors', custom */
	ARRAY(struct proxy_header_tlv) raw_tlvs;
	struct ip_addr src_ip, dst_ip;
	in_port_t src_port, dst_port;
	enum haproxy_test_protocol protocol;
};

struct haproxy_test_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	string_t *buf;
};

static bool haproxy_test_failed;

static void print_step(const char *step, bool ok, const char *detail)
{
	doveadm_print(step);
	doveadm_print(ok ? "OK" : "FAILED");
	doveadm_print(detail);
	if (!ok)
		haproxy_test_failed = TRUE;
}

static void
set_endpoint(struct proxy_header_address *addr, const struct ip_addr *ip,
	     in_port_t port)
{
	if (ip->family == AF_INET6)
		memcpy(addr->ip, &ip->u.ip6, 16);
	else
		memcpy(addr->ip, &ip->u.ip4, 4);
	addr->port = port;
}

/* The header HAProxy would send for these options. v1 -L is
   "PROXY UNKNOWN": v1 has no LOCAL command. */
static void
header_from_options(const struct haproxy_test_options *opts,
		    struct proxy_header *hdr_r)
{
	i_zero(hdr_r);
	hdr_r->version = opts->v1 ? 1 : 2;
	hdr_r->command = opts->local_command && !opts->v1 ? PROXY_HEADER_CMD_LOCAL :
		PROXY_HEADER_CMD_PROXY;
	if (!opts->local_command) {
		hdr_r->family = opts->src_ip.family == AF_INET6 ?
			PROXY_HEADER_FAMILY_INET6 : PROXY_HEADER_FAMILY_INET;
		hdr_r->transport = PROXY_HEADER_TRANSPORT_STREAM;
		set_endpoint(&hdr_r->src, &opts->src_ip, opts->src_port);
		set_endpoint(&hdr_r->dst, &opts->dst_ip, opts->dst_port);
	}
	if (opts->v1)
		return;

	hdr_r->have_crc32c = opts->crc32c;
	hdr_r->authority = proxy_header_str(opts->authority);
	hdr_r->unique_id = proxy_header_str(opts->unique_id);
	if (opts->report_tls) {
		hdr_r->have_ssl = TRUE;
		hdr_r->ssl_client = PROXY_HEADER_CLIENT_SSL;
		if (opts->cert_conn)
			hdr_r->ssl_client |= PROXY_HEADER_CLIENT_CERT_CONN;
		if (opts->cert_sess)
			hdr_r->ssl_client |= PROXY_HEADER_CLIENT_CERT_SESS;
		hdr_r->ssl_verify = opts->verify;
		hdr_r->ssl_version = proxy_header_str("TLSv1.3");
		hdr_r->ssl_cn = proxy_header_str(opts->cn);
		if (opts->cert != NULL && opts->cert_tlv == 0) {
			hdr_r->ssl_client_cert.data = opts->cert->data;
			hdr_r->ssl_client_cert.size = opts->cert->used;
		}
	}
}

/* The options' header, on the data stack; FALSE after logging why it
   cannot be sent. Anything the protocol can express is sent, up to its
   65551 bytes: the plugin's haproxy_tlv_max_header_size decides what it
   accepts, and this is how to test it. */
static bool
build_header(const struct haproxy_test_options *opts,
	     const unsigned char **header_r, size_t *size_r)
{
	struct proxy_header_raw_tlvs raw;
	struct proxy_header hdr;
	const char *reason;
	unsigned char *buf;
	size_t size;

	header_from_options(opts, &hdr);
	i_zero(&raw);
	if (!opts->v1) {
		unsigned int count;

		raw.tlvs = array_get(&opts->raw_tlvs, &count);
		raw.count = count;
	}
	size = proxy_header_encoded_size(&hdr, &raw, &reason);
	if (size == 0) {
		i_error("haproxy test: Cannot build the PROXY header: %s",
			reason);
		return FALSE;
	}
	buf = t_malloc_no0(size);
	*size_r = proxy_header_encode(&hdr, &raw, buf, size, &reason);
	i_assert(*size_r == size);
	*header_r = buf;
	return TRUE;
}

static int conn_write(struct haproxy_test_conn *conn, const void *data,
		      size_t size)
{
	if (conn->ssl != NULL)
		return SSL_write(conn->ssl, data, (int)size) == (int)size ? 0 : -1;
	return write_full(conn->fd, data, size);
}

static const char *conn_read_line(struct haproxy_test_conn *conn)
{
	char buf[1024];
	const char *nl;
	ssize_t ret;

	while ((nl = strchr(str_c(conn->buf), '\n')) == NULL) {
		if (conn->ssl != NULL) {
			ret = SSL_read(conn->ssl, buf, sizeof(buf));
			if (ret <= 0)
				ERR_clear_error();
		} else {
			ret = read(conn->fd, buf, sizeof(buf));
		}
		if (ret <= 0)
			return NULL;
		str_append_data(conn->buf, buf, ret);
	}
	size_t len = nl - str_c(conn->buf);
	const char *line = t_strndup(str_c(conn->buf),
		len > 0 && nl[-1] == '\r' ? len - 1 : len);
	str_delete(conn->buf, 0, len + 1);
	return line;
}

static void conn_send(struct haproxy_test_conn *conn, const char *line)
{
	const char *full = t_strconcat(line, "\r\n", NULL);

	(void)conn_write(conn, full, strlen(full));
}

/* Read lines until one starts with prefix (NULL: any line) */
static const char *
conn_read_until(struct haproxy_test_conn *conn, const char *prefix,
		string_t *collected)
{
	const char *line;

	while ((line = conn_read_line(conn)) != NULL) {
		if (collected != NULL) {
			if (str_len(collected) > 0)
				str_append(collected, " | ");
			str_append(collected, line);
		}
		if (prefix == NULL || str_begins_with(line, prefix))
			return line;
	}
	return NULL;
}

static bool conn_connect(struct haproxy_test_conn *conn,
			 const struct ip_addr *ip, in_port_t port)
{
	struct timeval tv = { .tv_sec = HAPROXY_TEST_TIMEOUT_SECS };

	conn->fd = net_connect_ip_blocking(ip, port, NULL);
	if (conn->fd == -1) {
		print_step("connect", FALSE, t_strdup_printf("%s:%u: %m",
			   net_ip2addr(ip), port));
		return FALSE;
	}
	(void)setsockopt(conn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(conn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	print_step("connect", TRUE, t_strdup_printf("%s:%u",
		   net_ip2addr(ip), port));
	return TRUE;
}

static bool conn_start_tls(struct haproxy_test_conn *conn)
{
	conn->ctx = SSL_CTX_new(TLS_client_method());
	/* the test is about Dovecot's answer, not its certificate */
	SSL_CTX_set_verify(conn->ctx, SSL_VERIFY_NONE, NULL);
	conn->ssl = SSL_new(conn->ctx);
	SSL_set_fd(conn->ssl, conn->fd);
	if (SSL_connect(conn->ssl) != 1) {
		unsigned long err = ERR_get_error();
		print_step("tls", FALSE, err == 0 ? "handshake failed" :
			   ERR_error_string(err, NULL));
		ERR_clear_error();
		return FALSE;
	}
	print_step("tls", TRUE, t_strdup_printf("%s %s",
		   SSL_get_version(conn->ssl),
		   SSL_CIPHER_get_name(SSL_get_current_cipher(conn->ssl))));
	return TRUE;
}

/* pop3 and submission list their capabilities only when asked */
static bool capabilities_step(struct haproxy_test_conn *conn,
			      const char *command, const char *last_line)
{
	string_t *text = t_str_new(256);
	const char *line;

	conn_send(conn, command);
	line = conn_read_until(conn, last_line, text);
	print_step("capabilities", line != NULL, str_c(text));
	return line != NULL;
}

static bool greeting_step(struct haproxy_test_conn *conn,
			  enum haproxy_test_protocol protocol)
{
	string_t *text = t_str_new(256);
	const char *line = NULL;
	bool ok;

	switch (protocol) {
	case HAPROXY_TEST_IMAP:
		line = conn_read_until(conn, NULL, text);
		ok = line != NULL && str_begins_with(line, "* OK");
		print_step("greeting", ok, str_c(text));
		return ok;
	case HAPROXY_TEST_POP3:
		line = conn_read_until(conn, NULL, text);
		ok = line != NULL && str_begins_with(line, "+OK");
		print_step("greeting", ok, str_c(text));
		return ok && capabilities_step(conn, "CAPA", ".");
	case HAPROXY_TEST_SUBMISSION:
		line = conn_read_until(conn, "220 ", text);
		print_step("greeting", line != NULL, str_c(text));
		if (line == NULL)
			return FALSE;
		return capabilities_step(conn, "EHLO doveadm-haproxy-test",
					 "250 ");
	case HAPROXY_TEST_SIEVE:
		line = conn_read_until(conn, "OK", text);
		print_step("greeting", line != NULL, str_c(text));
		return line != NULL;
	}
	i_unreached();
}

static bool external_step(struct haproxy_test_conn *conn,
			  enum haproxy_test_protocol protocol)
{
	const char *line = NULL, *ok_prefix = NULL;

	switch (protocol) {
	case HAPROXY_TEST_IMAP:
		conn_send(conn, "a AUTHENTICATE EXTERNAL =");
		line = conn_read_until(conn, "a ", NULL);
		ok_prefix = "a OK";
		break;
	case HAPROXY_TEST_POP3:
		conn_send(conn, "AUTH EXTERNAL =");
		line = conn_read_line(conn);
		ok_prefix = "+OK";
		break;
	case HAPROXY_TEST_SUBMISSION:
		conn_send(conn, "AUTH EXTERNAL =");
		line = conn_read_line(conn);
		ok_prefix = "235";
		break;
	case HAPROXY_TEST_SIEVE:
		conn_send(conn, "AUTHENTICATE \"EXTERNAL\" \"=\"");
		line = conn_read_line(conn);
		ok_prefix = "OK";
		break;
	}
	bool ok = line != NULL && str_begins_with(line, ok_prefix);
	print_step("authenticate EXTERNAL", ok,
		   line == NULL ? "connection closed" : line);
	return ok;
}

static bool
parse_endpoint(const char *value, struct ip_addr *ip_r, in_port_t *port_r)
{
	const char *host;

	return net_str2hostport(value, 0, &host, port_r) == 0 &&
		net_addr2ip(host, ip_r) == 0;
}

/* Beyond 65535 bytes a TLV's length cannot say how long the value is:
   refused with the option's name (the encoder would refuse it too) */
#define HAPROXY_TEST_TLV_VALUE_MAX 65535

static bool
param_tlv_value(struct doveadm_cmd_context *cctx, const char *name,
		char option, const char **value_r)
{
	size_t len;

	if (!doveadm_cmd_param_str(cctx, name, value_r))
		return TRUE;
	len = strlen(*value_r);
	if (len > HAPROXY_TEST_TLV_VALUE_MAX) {
		i_error("haproxy test: -%c is %zu bytes: a TLV value is at "
			"most %d bytes", option, len,
			HAPROXY_TEST_TLV_VALUE_MAX);
		return FALSE;
	}
	return TRUE;
}

static void
add_raw_tlv(struct haproxy_test_options *opts, uint8_t type,
	    const void *data, size_t size)
{
	struct proxy_header_tlv *tlv = array_append_space(&opts->raw_tlvs);

	tlv->type = type;
	tlv->value.data = p_memdup(unsafe_data_stack_pool, data, size);
	tlv->value.size = size;
}

/* A certificate in PEM (the first one of the file) or DER, as DER */
static buffer_t *read_cert_file(const char *path, const char **error_r)
{
	buffer_t *file = t_buffer_create(4096);
	const unsigned char *p;
	unsigned char buf[4096], *der = NULL;
	X509 *cert = NULL;
	BIO *bio;
	ssize_t ret;
	int fd, der_size;

	if ((fd = open(path, O_RDONLY)) == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return NULL;
	}
	while ((ret = read(fd, buf, sizeof(buf))) > 0) {
		buffer_append(file, buf, ret);
		if (file->used > HAPROXY_TEST_CERT_FILE_MAX) {
			*error_r = t_strdup_printf("%s is larger than %d bytes",
				path, HAPROXY_TEST_CERT_FILE_MAX);
			i_close_fd(&fd);
			return NULL;
		}
	}
	if (ret < 0) {
		*error_r = t_strdup_printf("read(%s) failed: %m", path);
		i_close_fd(&fd);
		return NULL;
	}
	i_close_fd(&fd);

	bio = BIO_new_mem_buf(file->data, (int)file->used);
	if (bio != NULL) {
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (cert == NULL) {
		p = file->data;
		cert = d2i_X509(NULL, &p, (long)file->used);
		if (cert != NULL &&
		    p != CONST_PTR_OFFSET(file->data, file->used)) {
			X509_free(cert);
			cert = NULL;
		}
	}
	ERR_clear_error();
	if (cert == NULL) {
		*error_r = t_strdup_printf("%s has no PEM or DER certificate",
					   path);
		return NULL;
	}
	der_size = i2d_X509(cert, &der);
	X509_free(cert);
	if (der_size <= 0) {
		*error_r = t_strdup_printf("%s: cannot write it as DER", path);
		return NULL;
	}
	buffer_t *result = t_buffer_create(der_size);
	buffer_append(result, der, der_size);
	OPENSSL_free(der);
	return result;
}

/* -F, -y, -z: the certificate file as it is sent */
static bool
param_cert(struct doveadm_cmd_context *cctx,
	   struct haproxy_test_options *opts)
{
	const char *path, *value, *error;
	buffer_t *der, *encoded;

	if (doveadm_cmd_param_str(cctx, "cert-tlv", &value) &&
	    strcmp(value, "0x28") != 0 && strcmp(value, "40") != 0 &&
	    !doveadm_haproxy_parse_tlv_type(value, &opts->cert_tlv)) {
		i_error("haproxy test: Invalid -y '%s': 0x28 (SSL CLIENT_CERT) "
			"or a TLV type without a field of its own (0xE1)",
			value);
		return FALSE;
	}
	if (!doveadm_cmd_param_str(cctx, "cert-file", &path)) {
		if (opts->cert_tlv != 0 ||
		    doveadm_cmd_param_str(cctx, "cert-encoding", &value)) {
			i_error("haproxy test: -y and -z need -F <file>");
			return FALSE;
		}
		return TRUE;
	}
	if ((der = read_cert_file(path, &error)) == NULL) {
		i_error("haproxy test: -F: %s", error);
		return FALSE;
	}
	/* what HAProxy sends: DER in CLIENT_CERT, %[ssl_c_der,hex] in a
	   custom TLV */
	if (!doveadm_cmd_param_str(cctx, "cert-encoding", &value))
		value = opts->cert_tlv == 0 ? "der" : "hex";
	if (strcmp(value, "der") == 0)
		encoded = der;
	else if (strcmp(value, "hex") == 0) {
		encoded = t_buffer_create(der->used * 2);
		buffer_append(encoded, binary_to_hex_ucase(der->data, der->used),
			      der->used * 2);
	} else if (strcmp(value, "base64") == 0) {
		encoded = t_buffer_create(MAX_BASE64_ENCODED_SIZE(der->used));
		base64_encode(der->data, der->used, encoded);
	} else {
		i_error("haproxy test: Unknown -z '%s' (der, hex or base64)",
			value);
		return FALSE;
	}
	if (encoded->used > HAPROXY_TEST_TLV_VALUE_MAX) {
		i_error("haproxy test: -F: the certificate is %zu bytes as %s: "
			"a TLV value is at most %d bytes", encoded->used,
			value, HAPROXY_TEST_TLV_VALUE_MAX);
		return FALSE;
	}
	opts->cert = encoded;
	if (opts->cert_tlv != 0)
		add_raw_tlv(opts, opts->cert_tlv, encoded->data, encoded->used);
	else
		opts->report_tls = TRUE;
	return TRUE;
}

/* -A, -Z, -G: the cloud load balancers' TLVs as they send them */
static bool
param_vendors(struct doveadm_cmd_context *cctx,
	      struct haproxy_test_options *opts)
{
	const char *value;
	uint32_t azure;
	uint64_t gcp;

	if (doveadm_cmd_param_str(cctx, "aws-vpce-id", &value)) {
		size_t len = strlen(value);

		if (len >= HAPROXY_TEST_TLV_VALUE_MAX) {
			i_error("haproxy test: -A is %zu bytes: a TLV value is "
				"at most %d bytes", len,
				HAPROXY_TEST_TLV_VALUE_MAX);
			return FALSE;
		}
		buffer_t *buf = t_buffer_create(len + 1);
		buffer_append_c(buf, HAPROXY_TEST_AWS_VPCE_ID);
		buffer_append(buf, value, len);
		add_raw_tlv(opts, PROXY_HEADER_TLV_AWS, buf->data, buf->used);
	}
	if (doveadm_cmd_param_str(cctx, "azure-link-id", &value)) {
		unsigned char buf[5] = { HAPROXY_TEST_AZURE_LINK_ID };

		if (str_to_uint32(value, &azure) < 0) {
			i_error("haproxy test: Invalid -Z '%s': a link id is "
				"0-%u", value, UINT32_MAX);
			return FALSE;
		}
		/* little-endian */
		for (unsigned int i = 0; i < 4; i++)
			buf[1 + i] = (azure >> (8 * i)) & 0xff;
		add_raw_tlv(opts, PROXY_HEADER_TLV_AZURE, buf, sizeof(buf));
	}
	if (doveadm_cmd_param_str(cctx, "gcp-psc-id", &value)) {
		unsigned char buf[8];

		if (str_to_uint64(value, &gcp) < 0) {
			i_error("haproxy test: Invalid -G '%s': a PSC "
				"connection id is 0-%llu", value,
				(unsigned long long)UINT64_MAX);
			return FALSE;
		}
		/* big-endian */
		for (unsigned int i = 0; i < 8; i++)
			buf[i] = (gcp >> (8 * (7 - i))) & 0xff;
		add_raw_tlv(opts, PROXY_HEADER_TLV_GCP, buf, sizeof(buf));
	}
	return TRUE;
}

/* -X TYPE=TEXT and -H TYPE=HEX, each as often as wanted: TLVs without a
   field of their own, sent as they are */
static bool
param_raw_tlvs(struct doveadm_cmd_context *cctx, const char *name,
	       char option, bool hex, struct haproxy_test_options *opts)
{
	const char *const *values, *eq;
	buffer_t *bytes;
	uint8_t type;

	if (!doveadm_cmd_param_array(cctx, name, &values))
		return TRUE;
	for (; *values != NULL; values++) {
		eq = strchr(*values, '=');
		if (eq == NULL || !doveadm_haproxy_parse_tlv_type(
			t_strdup_until(*values, eq), &type)) {
			i_error("haproxy test: Invalid -%c '%s': TYPE=%s with "
				"a TLV type without a field of its own "
				"(0xE2=%s)", option, *values,
				hex ? "HEX" : "VALUE", hex ? "0102" : "value");
			return FALSE;
		}
		bytes = t_buffer_create(strlen(eq));
		if (!hex)
			buffer_append(bytes, eq + 1, strlen(eq + 1));
		else if (hex_to_binary(eq + 1, bytes) < 0) {
			i_error("haproxy test: Invalid -%c '%s': the value is "
				"not hex", option, *values);
			return FALSE;
		}
		if (bytes->used > HAPROXY_TEST_TLV_VALUE_MAX) {
			i_error("haproxy test: -%c is %zu bytes: a TLV value "
				"is at most %d bytes", option, bytes->used,
				HAPROXY_TEST_TLV_VALUE_MAX);
			return FALSE;
		}
		add_raw_tlv(opts, type, bytes->data, bytes->used);
	}
	return TRUE;
}

static bool
param_verify(struct doveadm_cmd_context *cctx, uint32_t *verify_r)
{
	const char *value;

	/* a string, not CMD_PARAM_INT64: doveadm ignores an INT64 option
	   that does not parse, and the TLV field is 32 bits */
	if (!doveadm_cmd_param_str(cctx, "verify", &value))
		return TRUE;
	if (str_to_uint32(value, verify_r) < 0) {
		i_error("haproxy test: Invalid -V '%s': a verify result is "
			"0-%u", value, UINT32_MAX);
		return FALSE;
	}
	return TRUE;
}

static bool
parse_options(struct doveadm_cmd_context *cctx,
	      struct haproxy_test_options *opts, const char **target_r)
{
	const char *value;

	i_zero(opts);
	t_array_init(&opts->raw_tlvs, 8);
	(void)doveadm_cmd_param_bool(cctx, "v1", &opts->v1);
	(void)doveadm_cmd_param_bool(cctx, "local", &opts->local_command);
	(void)doveadm_cmd_param_bool(cctx, "report-tls", &opts->report_tls);
	(void)doveadm_cmd_param_bool(cctx, "cert-conn", &opts->cert_conn);
	(void)doveadm_cmd_param_bool(cctx, "cert-sess", &opts->cert_sess);
	(void)doveadm_cmd_param_bool(cctx, "crc32c", &opts->crc32c);
	(void)doveadm_cmd_param_bool(cctx, "start-tls", &opts->start_tls);
	(void)doveadm_cmd_param_bool(cctx, "external", &opts->external);
	if (!param_verify(cctx, &opts->verify) ||
	    !param_tlv_value(cctx, "cn", 'c', &opts->cn) ||
	    !param_tlv_value(cctx, "authority", 'a', &opts->authority) ||
	    !param_tlv_value(cctx, "unique-id", 'u', &opts->unique_id) ||
	    !param_cert(cctx, opts) || !param_vendors(cctx, opts) ||
	    !param_raw_tlvs(cctx, "tlv", 'X', FALSE, opts) ||
	    !param_raw_tlvs(cctx, "tlv-hex", 'H', TRUE, opts))
		return FALSE;
	if (opts->v1 && (opts->cert != NULL ||
			 array_count(&opts->raw_tlvs) > 0)) {
		i_error("haproxy test: v1 (-1) has no TLVs for -F, -A, -Z, -G, "
			"-X or -H");
		return FALSE;
	}
	if (opts->cn != NULL || opts->cert_conn || opts->cert_sess)
		opts->report_tls = TRUE;

	if (!doveadm_cmd_param_str(cctx, "source", &value))
		value = "192.0.2.1:54321";
	if (!parse_endpoint(value, &opts->src_ip, &opts->src_port)) {
		i_error("haproxy test: Invalid source '%s'", value);
		return FALSE;
	}
	if (!doveadm_cmd_param_str(cctx, "destination", &value))
		value = "192.0.2.2:143";
	if (!parse_endpoint(value, &opts->dst_ip, &opts->dst_port) ||
	    opts->dst_ip.family != opts->src_ip.family) {
		i_error("haproxy test: Invalid destination '%s' (the same "
			"family as the source)", value);
		return FALSE;
	}
	if (!doveadm_cmd_param_str(cctx, "protocol", &value) ||
	    strcmp(value, "imap") == 0)
		opts->protocol = HAPROXY_TEST_IMAP;
	else if (strcmp(value, "pop3") == 0)
		opts->protocol = HAPROXY_TEST_POP3;
	else if (strcmp(value, "submission") == 0)
		opts->protocol = HAPROXY_TEST_SUBMISSION;
	else if (strcmp(value, "sieve") == 0)
		opts->protocol = HAPROXY_TEST_SIEVE;
	else {
		i_error("haproxy test: Unknown protocol '%s' "
			"(imap, pop3, submission or sieve)", value);
		return FALSE;
	}
	if (!doveadm_cmd_param_str(cctx, "target", target_r)) {
		i_error("haproxy test: Missing HOST:PORT");
		return FALSE;
	}
	return TRUE;
}

static void
haproxy_test_run(const struct haproxy_test_options *opts,
		 const unsigned char *header, size_t header_size,
		 const struct ip_addr *ip, in_port_t port)
{
	struct haproxy_test_conn conn = { .fd = -1 };

	conn.buf = t_str_new(1024);
	if (!conn_connect(&conn, ip, port))
		return;
	if (conn_write(&conn, header, header_size) < 0)
		print_step("header", FALSE, t_strdup_printf("write: %m"));
	else {
		print_step("header", TRUE, t_strdup_printf("v%d %s, %zu bytes",
			   opts->v1 ? 1 : 2, opts->local_command ? "LOCAL" : "PROXY",
			   header_size));
		if ((!opts->start_tls || conn_start_tls(&conn)) &&
		    greeting_step(&conn, opts->protocol) && opts->external)
			(void)external_step(&conn, opts->protocol);
	}
	if (conn.ssl != NULL)
		SSL_free(conn.ssl);
	if (conn.ctx != NULL)
		SSL_CTX_free(conn.ctx);
	i_close_fd(&conn.fd);
}

static void cmd_haproxy_test(struct doveadm_cmd_context *cctx)
{
	struct haproxy_test_options opts;
	const char *target, *host;
	struct ip_addr ip;
	in_port_t port;
	const unsigned char *header;
	size_t header_size;

	if (!parse_options(cctx, &opts, &target)) {
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if (net_str2hostport(target, 0, &host, &port) < 0 || port == 0 ||
	    net_addr2ip(host, &ip) < 0) {
		i_error("haproxy test: Invalid HOST:PORT '%s'", target);
		doveadm_exit_code = EX_USAGE;
		return;
	}
	if (!build_header(&opts, &header, &header_size)) {
		doveadm_exit_code = EX_USAGE;
		return;
	}
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_print_header_simple("step");
	doveadm_print_header_simple("result");
	doveadm_print_header("detail", "detail",
			     DOVEADM_PRINT_HEADER_FLAG_EXPAND);
	haproxy_test_failed = FALSE;
	haproxy_test_run(&opts, header, header_size, &ip, port);
	if (haproxy_test_failed)
		doveadm_exit_code = EX_UNAVAILABLE;
}

struct doveadm_cmd_ver2 doveadm_cmd_haproxy_test = {
	.name = "haproxy test",
	.cmd = cmd_haproxy_test,
	.usage = "[-1] [-L] [-s <ip:port>] [-d <ip:port>] [-t] [-c <cn>] "
		"[-V <verify>] [-C] [-S] [-a <authority>] [-u <unique-id>] "
		"[-k] [-F <cert-file> [-y <type>] [-z der|hex|base64]] "
		"[-A <vpce-id>] [-Z <link-id>] [-G <psc-id>] "
		"[-X <type>=<value>] [-H <type>=<hex>] [-T] "
		"[-p imap|pop3|submission|sieve] [-e] <host:port>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('1', "v1", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('L', "local", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('s', "source", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('d', "destination", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('t', "report-tls", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('c', "cn", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('V', "verify", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('C', "cert-conn", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('S', "cert-sess", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('a', "authority", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('u', "unique-id", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('k', "crc32c", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('F', "cert-file", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('y', "cert-tlv", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('z', "cert-encoding", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('A', "aws-vpce-id", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('Z', "azure-link-id", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('G', "gcp-psc-id", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('X', "tlv", CMD_PARAM_ARRAY, 0)
DOVEADM_CMD_PARAM('H', "tlv-hex", CMD_PARAM_ARRAY, 0)
DOVEADM_CMD_PARAM('T', "start-tls", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('p', "protocol", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('e', "external", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('\0', "target", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
