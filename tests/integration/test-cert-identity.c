/* A client certificate forwarded in the PROXY header (issue 15): the SSL
   CLIENT_CERT sub-TLV (0x28) and a custom TLV (haproxy_tlv_cert_tlv) with
   the certificate as DER, hex or base64, from a real HAProxy (>= 2.9:
   set-proxy-v2-tlv-fmt) and from hand-made headers on every version. The
   username comes from Dovecot's own ssl_cert_username_field (here
   emailAddress: certmail@example.test, where the CN is certuser); the
   guards that refuse an identity (CN mismatch, a field twice, NUL or a
   control character, an unverified certificate, a certificate of another
   CA with haproxy_tlv_cert_verify = yes) each have a test that fails
   without them. Also: the certificate's fields, TLS group and signature
   scheme, the cloud vendors' TLVs and named custom TLVs reaching passdb
   (as forward fields), hostile certificate bytes, the maximum header size,
   and bad values of the new settings. */

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "proxy-header-encode.h"
#include "test-protocol.h"
#include "test-util.h"

#define CERT_TLV 0xE1
#define EMAIL_USER "certmail@example.test"
#define CN_USER "certuser"
/* HAProxy frontends of this program (extra_haproxy_cfg) */
#define HAPROXY_CERT_HEX ((enum test_haproxy_port)16)
#define HAPROXY_CERT_BASE64 ((enum test_haproxy_port)17)
#define HAPROXY_CERT_RAW ((enum test_haproxy_port)18)

#define NO_IDENTITY "imap-login: Warning: haproxy-tlv: Client certificate " \
	"gives no identity: "
#define CLOSED "-login: Error: haproxy-tlv: rip=" TEST_PROXY_IP \
	": Invalid PROXY header, connection closed: "

/* The forward fields checked in passdb: for each NAME a deny passdb keyed
   on "f-NAME/NAME=<MD5 of %{passdb:forward_haproxy_NAME}>" (MD5: the
   values may have ':', passwd-file's separator). User f-NAME (password
   secret) is refused exactly when the field has the value the test
   expects. */
static const char *const field_names[] = {
	"aws_vpce_id", "azure_link_id", "gcp_psc_id", "x_tenant", "x_region",
	"tls_group", "tls_sig_scheme", "cert_subject", "cert_issuer",
	"cert_serial", "cert_fingerprint", "cert_not_after",
};

static char *field_passdbs(void)
{
	GString *str = g_string_new(NULL);

	for (unsigned int i = 0; i < G_N_ELEMENTS(field_names); i++) {
		const char *n = field_names[i];

		if (test_env_dovecot_24()) {
			g_string_append_printf(str,
				"passdb deny-field-%u {\n"
				"  driver = passwd-file\n"
				"  passwd_file_path = %%DIR%%/deny-fields\n"
				"  auth_username_format = %%{user}/%s="
				"%%{passdb:forward_haproxy_%s | md5 | hexlify}\n"
				"  deny = yes\n"
				"}\n", i, n, n);
		} else {
			g_string_append_printf(str,
				"passdb {\n"
				"  driver = passwd-file\n"
				"  args = username_format=%%u/%s="
				"%%M{passdb:forward_haproxy_%s} %%DIR%%/deny-fields\n"
				"  deny = yes\n"
				"}\n", n, n);
		}
	}
	/* the users of the tests */
	g_string_append(str, TEST_CONF(
		"passdb {\n"
		"  driver = passwd-file\n"
		"  args = %DIR%/cert-passwd\n"
		"}\n",
		"passdb cert-users {\n"
		"  driver = passwd-file\n"
		"  passwd_file_path = %DIR%/cert-passwd\n"
		"}\n"));
	return g_string_free(str, FALSE);
}

/* settings with the username field emailAddress and the passdbs */
static char *email_conf(const char *settings)
{
	char *passdbs = field_passdbs();
	char *conf = g_strconcat(settings,
		TEST_CONF("ssl_cert_username_field = emailAddress\n",
			  "ssl_server_cert_username_field = emailAddress\n"),
		passdbs, NULL);

	g_free(passdbs);
	return conf;
}

/* The second environment: Dovecot verifies the certificate itself,
   the username field is commonName (env.sh's), the TLV type written in
   decimal, a larger maximum header size, GCP's TLV only */
static char *verify_conf(void)
{
	char *passdbs = field_passdbs();
	char *conf = g_strconcat(
		"haproxy_tlv_cert_tlv = 225\n"
		"haproxy_tlv_cert_verify = yes\n"
		"haproxy_tlv_max_header_size = 20000\n"
		"haproxy_tlv_vendor_tlvs = gcp\n",
		passdbs, NULL);

	g_free(passdbs);
	return conf;
}

static const char extra_haproxy_cfg[] =
	"listen cert-hex\n"
	"    bind 127.0.0.1:%H16% ssl crt %DIR%/certs/server-combined.pem "
	"ca-file %DIR%/certs/ca.pem verify optional\n"
	"    server dovecot 127.0.0.1:%D0% send-proxy-v2 send-proxy-v2-ssl-cn "
	"set-proxy-v2-tlv-fmt(0xE1) %[ssl_c_der,hex]\n"
	"listen cert-base64\n"
	"    bind 127.0.0.1:%H17% ssl crt %DIR%/certs/server-combined.pem "
	"ca-file %DIR%/certs/ca.pem verify optional\n"
	"    server dovecot 127.0.0.1:%D0% send-proxy-v2 send-proxy-v2-ssl-cn "
	"set-proxy-v2-tlv-fmt(0xE1) %[ssl_c_der,base64]\n"
	"listen cert-raw\n"
	"    bind 127.0.0.1:%H18% ssl crt %DIR%/certs/server-combined.pem "
	"ca-file %DIR%/certs/ca.pem verify optional\n"
	"    server dovecot 127.0.0.1:%D0% send-proxy-v2 send-proxy-v2-ssl-cn "
	"set-proxy-v2-tlv-fmt(0xE1) %[ssl_c_der]\n";

static gboolean haproxy_has_tlv_fmt;

/* HAProxy >= 2.9 has set-proxy-v2-tlv-fmt */
static gboolean haproxy_at_least_2_9(void)
{
	char *out = NULL;
	const char *v;
	guint64 major, minor;

	if (!g_spawn_command_line_sync("haproxy -v", &out, NULL, NULL, NULL))
		g_error("haproxy -v failed");
	v = strstr(out, "version ");
	g_assert_nonnull(v);
	v += strlen("version ");
	major = g_ascii_strtoull(v, (char **)&v, 10);
	minor = g_ascii_strtoull(v + 1, NULL, 10);
	g_free(out);
	return major > 2 || (major == 2 && minor >= 9);
}

/* ---- certificates ---- */

/* certs/NAME.pem in DER */
static GByteArray *cert_der(const char *name)
{
	X509 *cert = env_cert(name);
	GByteArray *der = test_cert_der(cert);

	X509_free(cert);
	return der;
}

/* A certificate the CA issues (so it verifies) with the subject
   O=dovecot-haproxy-tlv test, CN=certuser, emailAddress=email (email_size
   bytes, taken as they are) */
static X509 *make_cert(const char *email, gsize email_size, long serial)
{
	X509 *ca = env_cert("ca");
	EVP_PKEY *ca_key = env_key("ca");
	EVP_PKEY *key = env_key("email");
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();

	g_assert_cmpint(X509_set_version(cert, 2), ==, 1);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3650L * 86400);
	g_assert_cmpint(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
		(const unsigned char *)"dovecot-haproxy-tlv test", -1, -1, 0),
		==, 1);
	g_assert_cmpint(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		(const unsigned char *)CN_USER, -1, -1, 0), ==, 1);
	/* a type, not MBSTRING_*: the bytes are taken as they are */
	g_assert_cmpint(X509_NAME_add_entry_by_NID(name,
		NID_pkcs9_emailAddress, V_ASN1_IA5STRING,
		(const unsigned char *)email, (int)email_size, -1, 0), ==, 1);
	g_assert_cmpint(X509_set_subject_name(cert, name), ==, 1);
	g_assert_cmpint(X509_set_issuer_name(cert, X509_get_subject_name(ca)),
			==, 1);
	g_assert_cmpint(X509_set_pubkey(cert, key), ==, 1);
	g_assert_cmpint(X509_sign(cert, ca_key, EVP_sha256()), >, 0);
	X509_NAME_free(name);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return cert;
}

/* The e-mail address is certmail@example.test, a NUL byte and more: a
   plugin that took it as a C string would log in as
   certmail@example.test. openssl req cannot write a NUL, so the
   certificate is made here. */
static GByteArray *cert_der_with_nul(void)
{
	static const char email[] = EMAIL_USER "\0.attacker.example";
	X509 *cert = make_cert(email, sizeof(email) - 1, 0x4e554c);
	GByteArray *der = test_cert_der(cert);

	X509_free(cert);
	return der;
}

static char *hex_upper(const GByteArray *bytes)
{
	return test_hex_encode(bytes->data, bytes->len, TRUE);
}

/* The certificate's fields as the issue specifies them (haproxy-tlv-cert.h):
   RFC 2253 names, the serial as openssl x509 -serial prints it, SHA-256 of
   the DER in lower-case hex, notAfter in ISO 8601 UTC */
struct cert_fields {
	char *subject, *issuer, *serial, *fingerprint, *not_after;
};

static void cert_fields_get(X509 *cert, struct cert_fields *f)
{
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	struct tm tm;
	BIO *bio;

	bio = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, flags);
	f->subject = test_bio_take(bio);
	bio = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(bio, X509_get_issuer_name(cert), 0, flags);
	f->issuer = test_bio_take(bio);
	bio = BIO_new(BIO_s_mem());
	i2a_ASN1_INTEGER(bio, X509_get0_serialNumber(cert));
	f->serial = test_bio_take(bio);
	f->fingerprint = test_cert_sha256(cert);
	g_assert_cmpint(ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm), ==, 1);
	f->not_after = g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec);
}

/* ---- headers ---- */

struct header {
	struct proxy_header hdr;
	struct proxy_header_tlv tlvs[8];
	unsigned int tlv_count;
	GByteArray *cert;
};

/* What HAProxy sends for a TLS client from src_ip with a certificate it
   verified (CERT_CONN, verify 0) and the CN certuser; no certificate bytes
   yet */
static void header_init(struct header *h, const char *src_ip)
{
	memset(h, 0, sizeof(*h));
	test_v2_tcp4_init(&h->hdr, src_ip, 40000, "127.0.0.1", 143);
	h->hdr.have_ssl = TRUE;
	h->hdr.ssl_client = PROXY_HEADER_CLIENT_SSL |
		PROXY_HEADER_CLIENT_CERT_CONN | PROXY_HEADER_CLIENT_CERT_SESS;
	h->hdr.ssl_verify = 0;
	h->hdr.ssl_version = proxy_header_str("TLSv1.3");
	h->hdr.ssl_cn = proxy_header_str(CN_USER);
}

/* the certificate in the SSL CLIENT_CERT sub-TLV; the header takes cert */
static void header_client_cert(struct header *h, GByteArray *cert)
{
	h->cert = cert;
	h->hdr.ssl_client_cert.data = cert->data;
	h->hdr.ssl_client_cert.size = cert->len;
}

static void header_tlv(struct header *h, guint8 type, const void *data,
		       gsize size)
{
	g_assert_cmpuint(h->tlv_count, <, G_N_ELEMENTS(h->tlvs));
	h->tlvs[h->tlv_count].type = type;
	h->tlvs[h->tlv_count].value.data = data;
	h->tlvs[h->tlv_count].value.size = size;
	h->tlv_count++;
}

static GByteArray *header_encode(const struct header *h)
{
	static unsigned char buf[PROXY_HEADER_V2_MAX_SIZE];
	struct proxy_header_raw_tlvs raw = {
		.tlvs = h->tlvs, .count = h->tlv_count,
	};
	const char *reason;
	size_t size = proxy_header_encode(&h->hdr, &raw, buf, sizeof(buf),
					  &reason);

	if (size == 0)
		g_error("PROXY header: %s", reason);
	return g_byte_array_append(g_byte_array_new(), buf, size);
}

static void header_free(struct header *h)
{
	if (h->cert != NULL)
		g_byte_array_unref(h->cert);
}

/* The header sent from HAProxy's address to Dovecot's listener */
static struct test_client *header_send(struct header *h,
				       enum test_dovecot_port port)
{
	GByteArray *bytes = header_encode(h);
	struct test_client *client = send_header_bytes(port, bytes);

	g_byte_array_unref(bytes);
	return client;
}

static struct test_client *greeted(struct header *h)
{
	struct test_client *client = header_send(h, DOVECOT_IMAP);
	char *line = read_greeting(client, PROTO_IMAP);

	if (line == NULL)
		g_error("no greeting after the header");
	g_free(line);
	return client;
}

/* EXTERNAL with the header: the final reply */
static char *header_external(struct header *h)
{
	struct test_client *client = greeted(h);
	char *reply = auth_external(client, PROTO_IMAP);

	test_client_free(client);
	return reply;
}

static void assert_external_as(struct header *h, const char *src_ip,
			       const char *user)
{
	gsize mark = test_log_mark();
	char *reply = header_external(h);
	char *needle = g_strdup_printf("imap-login: Info: Login: user=<%s>, "
				       "method=EXTERNAL, rip=%s,", user, src_ip);

	assert_external_ok(reply, PROTO_IMAP);
	assert_log(mark, needle, NULL, NULL);
	g_free(needle);
}

static void assert_log_line(gsize mark, const char *a, const char *b)
{
	assert_log(mark, a, b, NULL);
}

/* EXTERNAL fails on the header (no identity), after which the connection
   still serves PLAIN; waits for the session's end in the log */
static void assert_no_identity(struct header *h, const char *src_ip)
{
	gsize mark = test_log_mark();
	struct test_client *client = greeted(h);
	char *reply = auth_external(client, PROTO_IMAP);

	g_assert_nonnull(reply);
	if (auth_succeeded(reply, PROTO_IMAP))
		g_error("EXTERNAL succeeded without an identity: %s", reply);
	g_free(reply);
	imap_logout(client);
	test_client_free(client);
	g_free(wait_disconnected(mark, "imap-login: Info: Disconnected",
				 src_ip));
	assert_not_logged(mark, test_log_needle("Login: user="));
}

/* The header closes its connection without a greeting, and Dovecot logs
   the line with every needle */
static void assert_closed(struct header *h, enum test_dovecot_port port,
			  const char *needle1, const char *needle2)
{
	GByteArray *bytes = header_encode(h);
	gsize mark = test_log_mark();

	assert_header_closed(port, bytes);
	g_byte_array_unref(bytes);
	assert_log(mark, needle1, needle2, NULL);
}

/* A header from an address of its own with cert (taken; NULL: none) in
   CLIENT_CERT gives no identity, with a line saying why */
static void assert_cert_no_identity(GByteArray *cert, const char *reason)
{
	const char *ip = failing_client_ip();
	gsize mark = test_log_mark();
	struct header h;

	header_init(&h, ip);
	if (cert != NULL)
		header_client_cert(&h, cert);
	assert_no_identity(&h, ip);
	assert_log_line(mark, NO_IDENTITY, reason);
	header_free(&h);
}

/* ---- username from the certificate ---- */

static void test_raw_email_username(void)
{
	struct header h;

	header_init(&h, "192.0.2.1");
	header_client_cert(&h, cert_der("email"));
	assert_external_as(&h, "192.0.2.1", EMAIL_USER);
	header_free(&h);
}

static void test_raw_cn_mismatch(void)
{
	const char *ip = failing_client_ip();
	gsize mark = test_log_mark();
	struct header h;

	header_init(&h, ip);
	header_client_cert(&h, cert_der("email"));
	h.hdr.ssl_cn = proxy_header_str("intruder");
	assert_no_identity(&h, ip);
	/* one line saying why */
	g_assert_cmpuint(test_log_wait_count(mark, 1, NO_IDENTITY
		"the certificate's CN 'certuser' differs from the forwarded "
		"CN 'intruder'", NULL), ==, 1);
	g_assert_cmpuint(test_log_wait_count(mark, 1, "haproxy-tlv: ",
					     NULL), ==, 1);
	header_free(&h);
}

/* data: the certificate's name and the reason logged */
static void test_raw_field_twice(gconstpointer data)
{
	const char *const *c = data;

	assert_cert_no_identity(cert_der(c[0]), c[1]);
}

static void test_raw_control_char(void)
{
	assert_cert_no_identity(cert_der("ctrl"), "subject's emailAddress "
		"contains a control character (username field "
		"'emailAddress')");
}

static void test_raw_nul(void)
{
	assert_cert_no_identity(cert_der_with_nul(), "subject's emailAddress "
		"contains a NUL byte (username field 'emailAddress')");
}

/* HAProxy could not verify it (verify != 0): it does not count */
static void test_raw_unverified(void)
{
	const char *ip = failing_client_ip();
	struct header h;

	header_init(&h, ip);
	header_client_cert(&h, cert_der("email"));
	h.hdr.ssl_verify = 20;
	assert_no_identity(&h, ip);
	header_free(&h);
}

/* Only the CN, with the username field emailAddress: no username */
static void test_cn_only_no_username(void)
{
	assert_cert_no_identity(NULL, "the username field is emailAddress, "
		"but the proxy forwarded only the CN");
}

/* ... the same from the real HAProxy (send-proxy-v2-ssl-cn) */
static void test_haproxy_cn_only(void)
{
	char *reply = external_failing(HAPROXY_IMAP_TLS, PROTO_IMAP, "email");

	g_assert_nonnull(reply);
	if (auth_succeeded(reply, PROTO_IMAP))
		g_error("EXTERNAL with only the CN forwarded: %s", reply);
	g_free(reply);
}

/* ---- the certificate TLV (haproxy_tlv_cert_tlv = 0xE1) ---- */

static void test_tlv_encoded(gconstpointer data)
{
	const char *form = data;
	GByteArray *der = cert_der("email");
	char *value = strcmp(form, "hex") == 0 ? hex_upper(der) :
		g_base64_encode(der->data, der->len);
	const char *ip = strcmp(form, "hex") == 0 ? "192.0.2.2" : "192.0.2.3";
	struct header h;

	header_init(&h, ip);
	header_tlv(&h, CERT_TLV, value, strlen(value));
	assert_external_as(&h, ip, EMAIL_USER);
	header_free(&h);
	g_free(value);
	g_byte_array_unref(der);
}

static void test_tlv_raw_der(void)
{
	GByteArray *der = cert_der("email");
	struct header h;

	header_init(&h, "192.0.2.4");
	header_tlv(&h, CERT_TLV, der->data, der->len);
	assert_external_as(&h, "192.0.2.4", EMAIL_USER);
	header_free(&h);
	g_byte_array_unref(der);
}

/* no identity, PLAIN still works on the connection, and a line saying
   why with the needles */
static void assert_unusable_tlv(const void *value, gsize size,
				const char *needle1, const char *needle2)
{
	const char *ip = failing_client_ip();
	char *rip = g_strdup_printf("rip=%s", ip);
	gsize mark = test_log_mark();
	struct header h;
	struct test_client *client;
	char *reply;

	header_init(&h, ip);
	header_tlv(&h, CERT_TLV, value, size);
	client = greeted(&h);
	reply = auth_external(client, PROTO_IMAP);
	g_assert_nonnull(reply);
	if (auth_succeeded(reply, PROTO_IMAP))
		g_error("EXTERNAL with an unusable certificate TLV: %s", reply);
	g_free(reply);
	assert_imap_login(client, "plainuser", "secret");
	test_client_free(client);
	assert_log(mark, "Login: user=<plainuser>, method=PLAIN", rip, NULL);
	assert_log(mark, NO_IDENTITY "certificate TLV 0xE1 "
		   "(haproxy_tlv_cert_tlv): ", needle1, needle2);
	header_free(&h);
	g_free(rip);
}

/* %[ssl_c_der] cuts the DER at its first NUL */
static void test_tlv_cut_der(void)
{
	GByteArray *der = cert_der("email");
	const guint8 *nul = memchr(der->data, 0, der->len);

	g_assert_nonnull(nul);
	assert_unusable_tlv(der->data, (gsize)(nul - der->data),
			    "certificate DER is cut short",
			    "HAProxy's %[ssl_c_der] stops at the first NUL "
			    "byte; send %[ssl_c_der,hex] or %[ssl_c_der,base64]");
	g_byte_array_unref(der);
}

static void test_tlv_garbage(void)
{
	static const char garbage[] = "this is no certificate";

	assert_unusable_tlv(garbage, sizeof(garbage) - 1,
			    "not a certificate (neither DER, hex nor base64)",
			    NULL);
}

static void test_tlv_twice(void)
{
	GByteArray *der = cert_der("email");
	char *hex = hex_upper(der);
	struct header h;

	header_init(&h, "192.0.2.5");
	header_tlv(&h, CERT_TLV, hex, strlen(hex));
	header_tlv(&h, CERT_TLV, hex, strlen(hex));
	assert_closed(&h, DOVECOT_IMAP, "imap" CLOSED "more than one "
		      "certificate TLV 0xE1 (haproxy_tlv_cert_tlv)", NULL);
	header_free(&h);
	g_free(hex);
	g_byte_array_unref(der);
}

/* ---- through HAProxy >= 2.9 (set-proxy-v2-tlv-fmt) ---- */

static gboolean skip_without_tlv_fmt(void)
{
	if (haproxy_has_tlv_fmt)
		return FALSE;
	g_test_skip("HAProxy < 2.9 has no set-proxy-v2-tlv-fmt");
	return TRUE;
}

static void test_haproxy_encoded(gconstpointer data)
{
	enum test_haproxy_port port = GPOINTER_TO_INT(data);
	gsize mark = test_log_mark();
	char *reply;

	if (skip_without_tlv_fmt())
		return;
	reply = external_through(port, PROTO_IMAP, "email");
	assert_external_ok(reply, PROTO_IMAP);
	assert_log(mark, "Login: user=<" EMAIL_USER ">, method=EXTERNAL, rip="
		   TEST_CLIENT_IP ",", NULL, NULL);
}

static void test_haproxy_raw_cut(void)
{
	gsize mark = test_log_mark();
	char *reply;

	if (skip_without_tlv_fmt())
		return;
	reply = external_failing(HAPROXY_CERT_RAW, PROTO_IMAP, "email");
	g_assert_nonnull(reply);
	if (auth_succeeded(reply, PROTO_IMAP))
		g_error("EXTERNAL with the cut DER: %s", reply);
	g_free(reply);
	assert_log(mark, NO_IDENTITY "certificate TLV 0xE1 "
		   "(haproxy_tlv_cert_tlv): certificate DER is cut short",
		   "HAProxy's %[ssl_c_der] stops at the first NUL byte", NULL);
}

/* ---- hostile certificate bytes in CLIENT_CERT ---- */

/* A good client of pop3-login (one process for every client) waits at
   its greeting while the hostile header closes its own connection only;
   then the good one logs in */
static void assert_hostile_client_cert(const void *data, gsize size,
				       const char *reason)
{
	struct header good, bad;
	struct test_client *good_client;
	gsize mark = test_log_mark();
	char *line;

	header_init(&good, "192.0.2.6");
	header_client_cert(&good, cert_der("email"));
	good_client = header_send(&good, DOVECOT_POP3);
	line = read_greeting(good_client, PROTO_POP3);
	g_assert_nonnull(line);
	g_free(line);

	header_init(&bad, "192.0.2.7");
	bad.hdr.ssl_client_cert.data = data;
	bad.hdr.ssl_client_cert.size = size;
	assert_closed(&bad, DOVECOT_POP3, "pop3" CLOSED "SSL CLIENT_CERT: ",
		      reason);

	line = auth_external(good_client, PROTO_POP3);
	if (!auth_succeeded(line, PROTO_POP3))
		g_error("the good client was not served: %s",
			line == NULL ? "(closed)" : line);
	g_free(line);
	test_client_free(good_client);
	assert_log(mark, "pop3-login: Info: Login: user=<" EMAIL_USER ">, "
		   "method=EXTERNAL, rip=192.0.2.6,", NULL, NULL);
	/* one line for the hostile one, and no second on its way */
	(void)pop3_login_logged_all();
	g_assert_cmpuint(test_log_wait_count(mark, 1, "Invalid PROXY header",
					     NULL), ==, 1);
	header_free(&good);
}

static void test_hostile_truncated(void)
{
	GByteArray *der = cert_der("email");

	assert_hostile_client_cert(der->data, der->len / 2,
				   "certificate DER is cut short");
	g_byte_array_unref(der);
}

static void test_hostile_garbage(void)
{
	static const char garbage[] = "\x30\x82\xff\xff garbage";

	assert_hostile_client_cert(garbage, sizeof(garbage) - 1,
				   "certificate DER is cut short");
}

static void test_hostile_huge(void)
{
	gsize size = 15000;
	guint8 *huge = g_malloc(size);

	/* a SEQUENCE header claiming the whole value, then junk */
	memset(huge, 0x41, size);
	huge[0] = 0x30;
	huge[1] = 0x82;
	huge[2] = (guint8)((size - 4) >> 8);
	huge[3] = (guint8)((size - 4) & 0xff);
	assert_hostile_client_cert(huge, size, "DER is not a certificate");
	g_free(huge);
}

/* ---- the maximum header size ---- */

/* A header of exactly size bytes: no SSL TLV, an unnamed custom TLV
   (0xE5) filling it */
static void header_of_size(struct header *h, gsize size, guint8 **pad_r)
{
	gsize fixed = PROXY_HEADER_V2_FIXED_SIZE + 12 + 3;

	header_init(h, "192.0.2.8");
	h->hdr.have_ssl = FALSE;
	h->hdr.ssl_client = 0;
	h->hdr.ssl_version.data = NULL;
	h->hdr.ssl_cn.data = NULL;
	g_assert_cmpuint(size, >, fixed);
	*pad_r = g_malloc0(size - fixed);
	header_tlv(h, 0xE5, *pad_r, size - fixed);
}

static void assert_header_size_accepted(gsize size)
{
	struct header h;
	guint8 *pad;
	GByteArray *bytes;

	header_of_size(&h, size, &pad);
	bytes = header_encode(&h);
	g_assert_cmpuint(bytes->len, ==, size);
	g_byte_array_unref(bytes);
	test_client_free(greeted(&h));
	g_free(pad);
}

static void assert_header_size_refused(gsize size, gsize max)
{
	char *reason = g_strdup_printf("longer than the maximum header size "
				       "(haproxy_tlv_max_header_size = %zu)",
				       max);
	struct header h;
	guint8 *pad;

	header_of_size(&h, size, &pad);
	assert_closed(&h, DOVECOT_IMAP, "imap" CLOSED, reason);
	g_free(reason);
	g_free(pad);
}

static void test_max_header_default(void)
{
	assert_header_size_accepted(16384);
	assert_header_size_refused(16385, 16384);
}

/* ---- fields in passdb ---- */

/* PLAIN as f-NAME with the header: refused (the deny passdb matched the
   field's value) or not */
static void assert_field_login(struct header *h, const char *field,
			       gboolean expect_refused)
{
	char *user = g_strdup_printf("f-%s", field);
	struct test_client *client = greeted(h);
	char *line = imap_login(client, user, "secret");

	if (expect_refused && !g_str_has_prefix(line, "a NO"))
		g_error("%s did not reach passdb with the value expected: %s",
			field, line);
	if (!expect_refused && !g_str_has_prefix(line, "a OK"))
		g_error("%s: login refused: %s", field, line);
	g_free(line);
	g_free(user);
	test_client_free(client);
}

/* the header with the field's TLV (or without it, value NULL) */
static void field_header(struct header *h, guint8 type, const void *value,
			 gsize size)
{
	header_init(h, failing_client_ip());
	h->hdr.ssl_cn.data = NULL;
	if (value != NULL)
		header_tlv(h, type, value, size);
}

struct field_case {
	const char *field;
	guint8 type;
	const char *value;
	gsize size;
	/* the same TLV with another value, logged in */
	const char *other;
	gsize other_size;
	/* what passdb sees */
	const char *expected;
};

static const struct field_case field_cases[] = {
	{ "aws_vpce_id", PROXY_HEADER_TLV_AWS, "\x01vpce-0aws111122223333", 22,
	  "\x01vpce-0other", 12, "vpce-0aws111122223333" },
	/* 0x12345678 little-endian */
	{ "azure_link_id", PROXY_HEADER_TLV_AZURE, "\x01\x78\x56\x34\x12", 5,
	  "\x01\x01\x00\x00\x00", 5, "305419896" },
	{ "x_tenant", 0xE2, "acme-corp", 9, "other-corp", 10, "acme-corp" },
	/* not printable: hex */
	{ "x_region", 0xE3, "\x00\xff\x10", 3, "\x00\xff\x11", 3, "00ff10" },
};

static void test_field(gconstpointer data)
{
	const struct field_case *c = data;
	struct header h;

	field_header(&h, c->type, c->value, c->size);
	assert_field_login(&h, c->field, TRUE);
	field_header(&h, c->type, c->other, c->other_size);
	assert_field_login(&h, c->field, FALSE);
	field_header(&h, c->type, NULL, 0);
	assert_field_login(&h, c->field, FALSE);
}

static void test_field_tls_group_sig_scheme(void)
{
	struct header h;

	field_header(&h, 0, NULL, 0);
	h.hdr.ssl_group = proxy_header_str("x25519");
	assert_field_login(&h, "tls_group", TRUE);
	field_header(&h, 0, NULL, 0);
	h.hdr.ssl_sig_scheme = proxy_header_str("rsa_pss_rsae_sha256");
	assert_field_login(&h, "tls_sig_scheme", TRUE);
	field_header(&h, 0, NULL, 0);
	h.hdr.ssl_group = proxy_header_str("secp256r1");
	h.hdr.ssl_sig_scheme = proxy_header_str("ecdsa_secp256r1_sha256");
	assert_field_login(&h, "tls_group", FALSE);
	assert_field_login(&h, "tls_sig_scheme", FALSE);
}

static const char *const cert_field_names[] = {
	"cert_subject", "cert_issuer", "cert_serial", "cert_fingerprint",
	"cert_not_after",
};
/* For each of cert_field_names a certificate whose e-mail address is the
   name of the field's user (f-NAME): Dovecot takes the username of every
   mechanism from a certificate that counts (auth_ssl_username_from_cert),
   so the field's deny passdb is keyed on that user */
static GByteArray *cert_field_ders[G_N_ELEMENTS(cert_field_names)];

/* each field of a certificate that counts reaches passdb; none of a
   certificate HAProxy did not verify */
static void test_field_cert(void)
{
	struct header h;

	for (unsigned int i = 0; i < G_N_ELEMENTS(cert_field_names); i++) {
		field_header(&h, 0, NULL, 0);
		header_client_cert(&h, g_byte_array_ref(cert_field_ders[i]));
		assert_field_login(&h, cert_field_names[i], TRUE);
		header_free(&h);

		field_header(&h, 0, NULL, 0);
		header_client_cert(&h, g_byte_array_ref(cert_field_ders[i]));
		h.hdr.ssl_verify = 20;
		assert_field_login(&h, cert_field_names[i], FALSE);
		header_free(&h);
	}
}

/* GCP's TLV is opt-in: here it is not read, not even when invalid */
static void test_gcp_not_enabled(void)
{
	static const guint8 gcp[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct header h;

	field_header(&h, PROXY_HEADER_TLV_GCP, gcp, sizeof(gcp));
	assert_field_login(&h, "gcp_psc_id", FALSE);
	field_header(&h, PROXY_HEADER_TLV_GCP, gcp, 3);
	test_client_free(greeted(&h));
}

static void test_invalid_vendor_tlv(gconstpointer data)
{
	const char *which = data;
	const char *reason;
	struct header h;

	header_init(&h, "192.0.2.9");
	if (strcmp(which, "azure-length") == 0) {
		header_tlv(&h, PROXY_HEADER_TLV_AZURE, "\x01\x01\x02", 3);
		reason = "Azure TLV 0xEE: Azure link id is not 4 bytes long";
	} else if (strcmp(which, "aws-twice") == 0) {
		header_tlv(&h, PROXY_HEADER_TLV_AWS, "\x01vpce-1", 7);
		header_tlv(&h, PROXY_HEADER_TLV_AWS, "\x01vpce-2", 7);
		reason = "AWS TLV 0xEA: more than one TLV";
	} else if (strcmp(which, "custom-twice") == 0) {
		header_tlv(&h, 0xE2, "a", 1);
		header_tlv(&h, 0xE2, "b", 1);
		reason = "custom TLV 0xE2 (haproxy_tlv_custom tenant): more "
			"than one TLV of the type";
	} else {
		g_assert_not_reached();
	}
	assert_closed(&h, DOVECOT_IMAP, "imap" CLOSED, reason);
}

/* ---- the second environment: haproxy_tlv_cert_verify = yes ---- */

static char *md5_hex(const char *value)
{
	return g_compute_checksum_for_string(G_CHECKSUM_MD5, value, -1);
}

static void field_line(GString *str, const char *field, const char *value)
{
	char *md5 = md5_hex(value);

	g_string_append_printf(str, "f-%s/%s=%s\n", field, field, md5);
	g_free(md5);
}

/* the users and deny-fields of the environment; with cert_fields the
   certificates of test_field_cert() are made with its CA */
static void write_passdb_files(gboolean cert_fields)
{
	GString *users = g_string_new(EMAIL_USER ":::::::nopassword\n");
	GString *deny = g_string_new(NULL);
	struct cert_fields f;

	for (unsigned int i = 0; i < G_N_ELEMENTS(field_names); i++)
		g_string_append_printf(users, "f-%s:{PLAIN}secret::::::\n",
				       field_names[i]);
	for (unsigned int i = 0; i < G_N_ELEMENTS(field_cases); i++)
		field_line(deny, field_cases[i].field, field_cases[i].expected);
	field_line(deny, "tls_group", "x25519");
	field_line(deny, "tls_sig_scheme", "rsa_pss_rsae_sha256");
	/* 0x0102030405060708 */
	field_line(deny, "gcp_psc_id", "72623859790382856");
	for (unsigned int i = 0; cert_fields && i < G_N_ELEMENTS(cert_field_names); i++) {
		const char *field = cert_field_names[i];
		char *email = g_strdup_printf("f-%s", field);
		X509 *cert = make_cert(email, strlen(email), 0x1000 + i);
		const char *values[G_N_ELEMENTS(cert_field_names)];

		cert_fields_get(cert, &f);
		values[0] = f.subject;
		values[1] = f.issuer;
		values[2] = f.serial;
		values[3] = f.fingerprint;
		values[4] = f.not_after;
		g_test_message("%s: %s", field, values[i]);
		field_line(deny, field, values[i]);
		if (cert_field_ders[i] != NULL)
			g_byte_array_unref(cert_field_ders[i]);
		cert_field_ders[i] = test_cert_der(cert);
		X509_free(cert);
		g_free(email);
		g_free(f.subject);
		g_free(f.issuer);
		g_free(f.serial);
		g_free(f.fingerprint);
		g_free(f.not_after);
	}
	test_env_write_file("cert-passwd", users->str);
	test_env_write_file("deny-fields", deny->str);
	g_string_free(users, TRUE);
	g_string_free(deny, TRUE);
}

static void verify_env_tests(gconstpointer data G_GNUC_UNUSED)
{
	static const guint8 gcp[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct header h;
	gsize mark;

	write_passdb_files(FALSE);

	/* the CA's certificate verifies: the username is the CN */
	header_init(&h, "192.0.2.20");
	header_client_cert(&h, cert_der("email"));
	assert_external_as(&h, "192.0.2.20", CN_USER);
	header_free(&h);

	/* ... in hex in TLV 225 (0xE1) too */
	GByteArray *der = cert_der("email");
	char *hex = hex_upper(der);
	header_init(&h, "192.0.2.21");
	header_tlv(&h, CERT_TLV, hex, strlen(hex));
	assert_external_as(&h, "192.0.2.21", CN_USER);
	header_free(&h);
	g_free(hex);
	g_byte_array_unref(der);

	/* another CA's: HAProxy said verified, Dovecot's CA does not */
	mark = test_log_mark();
	const char *ip = failing_client_ip();
	header_init(&h, ip);
	header_client_cert(&h, cert_der("otherca"));
	assert_no_identity(&h, ip);
	assert_log(mark, NO_IDENTITY "not valid for Dovecot's client CA "
		   "(haproxy_tlv_cert_verify): ", "unable to get local issuer",
		   NULL);
	header_free(&h);

	/* only a CN: not verifiable, no identity */
	ip = failing_client_ip();
	header_init(&h, ip);
	assert_no_identity(&h, ip);
	header_free(&h);
	char *reply = external_failing(HAPROXY_IMAP_TLS, PROTO_IMAP, "client");
	g_assert_nonnull(reply);
	if (auth_succeeded(reply, PROTO_IMAP))
		g_error("EXTERNAL with only a CN and cert_verify = yes: %s",
			reply);
	g_free(reply);

	/* haproxy_tlv_max_header_size = 20000 */
	assert_header_size_accepted(20000);
	assert_header_size_refused(20001, 20000);

	/* GCP enabled: its id reaches passdb; AWS not enabled: an invalid
	   one is not read */
	field_header(&h, PROXY_HEADER_TLV_GCP, gcp, sizeof(gcp));
	assert_field_login(&h, "gcp_psc_id", TRUE);
	field_header(&h, PROXY_HEADER_TLV_GCP, gcp, 7);
	assert_closed(&h, DOVECOT_IMAP, "imap" CLOSED "GCP TLV 0xE0", NULL);
	header_init(&h, "192.0.2.22");
	header_tlv(&h, PROXY_HEADER_TLV_AWS, "\x01vpce-1", 7);
	header_tlv(&h, PROXY_HEADER_TLV_AWS, "\x01vpce-2", 7);
	test_client_free(greeted(&h));
}

static void test_verify_env(void)
{
	char *conf = verify_conf();
	char *output;

	if (!test_env_try_start_run(conf, &output, verify_env_tests, NULL))
		g_error("Dovecot did not start:\n%s", output);
	g_free(output);
	g_free(conf);
}

/* ---- haproxy_tlv_client_cert = present and the certificate TLV without
   a certificate the SSL TLV says was presented. A CN cannot even be sent
   without the SSL TLV and its client flag (the decoder refuses it); the
   custom TLV is the one piece of client-certificate data the decoder does
   not tie to TLS. ---- */

#define NOT_PRESENTED "the SSL TLV does not say that the client presented " \
	"a certificate"

static void present_env_tests(gconstpointer data G_GNUC_UNUSED)
{
	GByteArray *der = cert_der("email");
	char *hex = hex_upper(der);
	const char *ip;
	struct header h;
	gsize mark;

	write_passdb_files(FALSE);
	/* no SSL TLV at all: HAProxy says nothing about TLS, let alone a
	   client certificate */
	mark = test_log_mark();
	ip = failing_client_ip();
	header_init(&h, ip);
	h.hdr.have_ssl = FALSE;
	h.hdr.ssl_client = 0;
	h.hdr.ssl_version.data = NULL;
	h.hdr.ssl_version.size = 0;
	h.hdr.ssl_cn.data = NULL;
	h.hdr.ssl_cn.size = 0;
	header_tlv(&h, CERT_TLV, hex, strlen(hex));
	assert_no_identity(&h, ip);
	assert_log_line(mark, NO_IDENTITY NOT_PRESENTED, NULL);
	header_free(&h);

	/* TLS, but no certificate presented (neither CERT_CONN nor
	   CERT_SESS) */
	mark = test_log_mark();
	ip = failing_client_ip();
	header_init(&h, ip);
	h.hdr.ssl_client = PROXY_HEADER_CLIENT_SSL;
	h.hdr.ssl_cn.data = NULL;
	h.hdr.ssl_cn.size = 0;
	header_tlv(&h, CERT_TLV, hex, strlen(hex));
	assert_no_identity(&h, ip);
	assert_log_line(mark, NO_IDENTITY NOT_PRESENTED, NULL);
	header_free(&h);

	/* presented and not verified: present takes it */
	header_init(&h, "192.0.2.30");
	h.hdr.ssl_verify = 20;
	header_tlv(&h, CERT_TLV, hex, strlen(hex));
	assert_external_as(&h, "192.0.2.30", "certmail@example.test");
	header_free(&h);

	g_free(hex);
	g_byte_array_unref(der);
}

static void test_present_not_presented(void)
{
	char *conf = email_conf("haproxy_tlv_cert_tlv = 0xE1\n"
				"haproxy_tlv_client_cert = present\n");
	char *output;

	if (!test_env_try_start_run(conf, &output, present_env_tests, NULL))
		g_error("Dovecot did not start:\n%s", output);
	g_free(output);
	g_free(conf);
}

/* ---- haproxy_tlv_cert_verify = yes with the SSL TLV saying a verified
   certificate was presented, but neither the certificate nor its CN
   forwarded: nothing was verified here, so haproxy_tlv_require_client_cert
   is not met either ---- */

static void verify_nothing_tests(gconstpointer data G_GNUC_UNUSED)
{
	const char *ip = failing_client_ip();
	char *rip = g_strdup_printf("rip=%s", ip);
	struct test_client *client;
	struct header h;
	gsize mark = test_log_mark();
	char *line;

	write_passdb_files(FALSE);
	header_init(&h, ip);
	h.hdr.ssl_cn.data = NULL;
	h.hdr.ssl_cn.size = 0;
	client = greeted(&h);
	line = imap_login(client, "plainuser", "secret");
	if (!g_str_has_prefix(line, "a NO"))
		g_error("PLAIN with nothing verified and "
			"haproxy_tlv_require_client_cert = yes: %s", line);
	g_free(line);
	test_client_free(client);
	assert_log_line(mark, NO_IDENTITY "haproxy_tlv_cert_verify = yes, but "
			"the proxy forwarded neither the certificate nor its "
			"CN", rip);
	assert_log_line(mark, "haproxy-tlv: Authentication refused: no "
			"verified client certificate was forwarded", rip);
	header_free(&h);
	g_free(rip);
}

static void test_verify_nothing_forwarded(void)
{
	char *output;

	if (!test_env_try_start_run("haproxy_tlv_cert_verify = yes\n"
				    "haproxy_tlv_require_client_cert = yes\n",
				    &output, verify_nothing_tests, NULL))
		g_error("Dovecot did not start:\n%s", output);
	g_free(output);
}

int main(int argc, char **argv)
{
	static const char *const bad_values[][2] = {
		{ "haproxy_tlv_cert_tlv = 0x30\n", "haproxy_tlv_cert_tlv" },
		{ "haproxy_tlv_cert_tlv = 300\n", "haproxy_tlv_cert_tlv" },
		{ "haproxy_tlv_vendor_tlvs = ibm\n", "haproxy_tlv_vendor_tlvs" },
		{ "haproxy_tlv_custom = 0xE2\n", "haproxy_tlv_custom" },
		{ "haproxy_tlv_custom = 0xE2:a 0xE3:a\n", "haproxy_tlv_custom" },
		{ "haproxy_tlv_max_header_size = 100\n",
		  "haproxy_tlv_max_header_size" },
		{ "haproxy_tlv_max_header_size = 70000\n",
		  "haproxy_tlv_max_header_size" },
		{ "haproxy_tlv_cert_verify = maybe\n", "haproxy_tlv_cert_verify" },
	};
	static const char *const bad_names[] = {
		"cert-tlv-0x30", "cert-tlv-300", "vendor-ibm", "custom-no-name",
		"custom-same-name", "max-header-100", "max-header-70000",
		"cert-verify-maybe",
	};
	static const char *const twocn[] = {
		"twocn", "the certificate's CN: subject has more than one "
		"commonName"
	};
	static const char *const twomail[] = {
		"twomail", "subject has more than one emailAddress (username "
		"field 'emailAddress')"
	};
	char *conf;
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/raw/email-username", test_raw_email_username);
	g_test_add_func("/raw/cn-mismatch", test_raw_cn_mismatch);
	g_test_add_data_func("/raw/field-twice/cn", twocn,
			     test_raw_field_twice);
	g_test_add_data_func("/raw/field-twice/email", twomail,
			     test_raw_field_twice);
	g_test_add_func("/raw/control-char", test_raw_control_char);
	g_test_add_func("/raw/nul", test_raw_nul);
	g_test_add_func("/raw/unverified", test_raw_unverified);
	g_test_add_func("/raw/cn-only", test_cn_only_no_username);
	g_test_add_func("/haproxy/cn-only", test_haproxy_cn_only);
	g_test_add_data_func("/tlv/hex", "hex", test_tlv_encoded);
	g_test_add_data_func("/tlv/base64", "base64", test_tlv_encoded);
	g_test_add_func("/tlv/der", test_tlv_raw_der);
	g_test_add_func("/tlv/cut-der", test_tlv_cut_der);
	g_test_add_func("/tlv/garbage", test_tlv_garbage);
	g_test_add_func("/tlv/twice", test_tlv_twice);
	g_test_add_data_func("/haproxy/hex",
			     GINT_TO_POINTER(HAPROXY_CERT_HEX),
			     test_haproxy_encoded);
	g_test_add_data_func("/haproxy/base64",
			     GINT_TO_POINTER(HAPROXY_CERT_BASE64),
			     test_haproxy_encoded);
	g_test_add_func("/haproxy/raw-cut", test_haproxy_raw_cut);
	g_test_add_func("/hostile/truncated", test_hostile_truncated);
	g_test_add_func("/hostile/garbage", test_hostile_garbage);
	g_test_add_func("/hostile/huge", test_hostile_huge);
	g_test_add_func("/max-header/default", test_max_header_default);
	for (unsigned int i = 0; i < G_N_ELEMENTS(field_cases); i++) {
		char *path = g_strdup_printf("/fields/%s", field_cases[i].field);
		g_test_add_data_func(path, &field_cases[i], test_field);
		g_free(path);
	}
	g_test_add_func("/fields/tls-group-sig-scheme",
			test_field_tls_group_sig_scheme);
	g_test_add_func("/fields/cert", test_field_cert);
	g_test_add_func("/fields/gcp-not-enabled", test_gcp_not_enabled);
	g_test_add_data_func("/fields/invalid/azure-length", "azure-length",
			     test_invalid_vendor_tlv);
	g_test_add_data_func("/fields/invalid/aws-twice", "aws-twice",
			     test_invalid_vendor_tlv);
	g_test_add_data_func("/fields/invalid/custom-twice", "custom-twice",
			     test_invalid_vendor_tlv);
	g_test_add_func("/verify-env", test_verify_env);
	g_test_add_func("/verify/nothing-forwarded",
			test_verify_nothing_forwarded);
	g_test_add_func("/present/not-presented",
			test_present_not_presented);
	for (unsigned int i = 0; i < G_N_ELEMENTS(bad_values); i++) {
		char *path = g_strdup_printf("/settings/bad-value/%s",
					     bad_names[i]);
		g_test_add_data_func(path, bad_values[i], test_env_bad_value);
		g_free(path);
	}

	haproxy_has_tlv_fmt = haproxy_at_least_2_9();
	conf = email_conf("haproxy_tlv_cert_tlv = 0xE1\n"
			  "haproxy_tlv_custom = 0xE2:tenant 0xE3:region\n");
	test_env_start_full(conf, haproxy_has_tlv_fmt ? extra_haproxy_cfg :
			    NULL);
	g_free(conf);
	write_passdb_files(TRUE);
	ret = g_test_run();
	test_env_stop();
	return ret;
}
