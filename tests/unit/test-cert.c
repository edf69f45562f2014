/* The forwarded client certificate (src/lib-haproxy-tlv/haproxy-tlv-cert.c):
   recognising DER, hex and base64 values, the errors for mangled ones
   (HAProxy's raw %[ssl_c_der] cut at the first NUL byte), the description
   compared with what the openssl command prints, subject fields as
   usernames, and verification against a CA with and without CRLs.
   Certificates are made at start with OpenSSL's API (EC keys: fast), with
   the subjects no command line can make (BMPString, NUL); one test also
   runs tests/helpers/make-certs.sh, whose RSA certificates the integration
   tests use. Links Dovecot's lib for the data stack. */

#include "lib.h"
#include "haproxy-tlv-cert.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "test-x509.h"

#define TEST_SUBJECT_O "dovecot-haproxy-tlv test"
#define NUL_HINT "HAProxy's %[ssl_c_der] stops at the first NUL byte"

struct test_key_cert {
	EVP_PKEY *key;
	X509 *cert;
};

static struct {
	char *dir;
	struct test_key_cert ca, ca_same_name, ca_other;
	X509 *client, *server_only, *self_signed, *foreign, *foreign_same_name;
	X509 *revoked, *expired, *two_cns, *bmp_cn, *nul_cn, *ctrl_cn;
	X509 *empty_cn, *external_cn, *utf8_subject;
	X509 *latin1_email, *bidi_cn, *c1_cn;
	/* the CA alone, and followed by a CRL revoking revoked */
	char *ca_pem, *ca_crl_pem;
} certs;

static void assert_error_queue_empty(void)
{
	g_assert_cmpuint(ERR_peek_error(), ==, 0);
}

static void
name_add(X509_NAME *name, const char *field, int type, const void *value,
	 int len)
{
	g_assert_cmpint(X509_NAME_add_entry_by_txt(name, field, type, value,
						   len, -1, 0), ==, 1);
}

/* NULL-terminated field, value pairs of UTF-8 text */
static X509_NAME *name_new(const char *field, ...)
{
	X509_NAME *name = X509_NAME_new();
	va_list args;

	va_start(args, field);
	for (; field != NULL; field = va_arg(args, const char *)) {
		const char *value = va_arg(args, const char *);

		name_add(name, field, MBSTRING_UTF8, value, -1);
	}
	va_end(args);
	return name;
}

static X509_NAME *name_cn(const char *cn)
{
	return name_new("O", TEST_SUBJECT_O, "CN", cn, NULL);
}

static void
cert_add_ext(X509 *cert, X509 *issuer, const char *name, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_nconf(NULL, &ctx, name, value);
	g_assert_nonnull(ext);
	g_assert_cmpint(X509_add_ext(cert, ext, -1), ==, 1);
	X509_EXTENSION_free(ext);
}

static EVP_PKEY *key_new(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");

	g_assert_nonnull(key);
	return key;
}

static guint64 next_serial = 0x1000;

/* A certificate for subject (taken), issued by issuer (self-signed when
   NULL), valid from an hour ago for days days (expired when negative).
   ext: NULL-terminated name, value pairs of extensions. The serial is
   long with a leading high bit, to show its hex form. */
static X509 *
cert_issue(X509_NAME *subject, EVP_PKEY *key,
	   const struct test_key_cert *issuer, long days, ...)
{
	X509 *cert = X509_new();
	BIGNUM *bn = NULL;
	char *serial_hex;
	const char *ext_name;
	va_list args;

	serial_hex = g_strdup_printf("C0FFEE%016" G_GINT64_MODIFIER "X",
				     next_serial++);
	g_assert_cmpint(BN_hex2bn(&bn, serial_hex), >, 0);
	g_assert_nonnull(BN_to_ASN1_INTEGER(bn,
					    X509_get_serialNumber(cert)));
	BN_free(bn);
	g_free(serial_hex);

	g_assert_cmpint(X509_set_version(cert, X509_VERSION_3), ==, 1);
	/* entry by entry: X509_set_subject_name() would re-parse the name,
	   which refuses invalid UTF-8 */
	for (int i = 0; i < X509_NAME_entry_count(subject); i++) {
		g_assert_cmpint(X509_NAME_add_entry(X509_get_subject_name(cert),
			X509_NAME_get_entry(subject, i), -1, 0), ==, 1);
	}
	if (issuer != NULL) {
		g_assert_cmpint(X509_set_issuer_name(cert,
			X509_get_subject_name(issuer->cert)), ==, 1);
	} else {
		g_assert_cmpint(X509_set_issuer_name(cert, subject), ==, 1);
	}
	X509_NAME_free(subject);
	if (days >= 0) {
		g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(cert),
						 -3600));
		g_assert_nonnull(X509_time_adj_ex(X509_getm_notAfter(cert),
						  days, 0, NULL));
	} else {
		g_assert_nonnull(X509_time_adj_ex(X509_getm_notBefore(cert),
						  2 * days, 0, NULL));
		g_assert_nonnull(X509_time_adj_ex(X509_getm_notAfter(cert),
						  days, 0, NULL));
	}
	g_assert_cmpint(X509_set_pubkey(cert, key), ==, 1);

	va_start(args, days);
	while ((ext_name = va_arg(args, const char *)) != NULL) {
		cert_add_ext(cert, issuer == NULL ? cert : issuer->cert,
			     ext_name, va_arg(args, const char *));
	}
	va_end(args);
	g_assert_cmpint(X509_sign(cert, issuer == NULL ? key : issuer->key,
				  EVP_sha256()), >, 0);
	return cert;
}

static void ca_make(struct test_key_cert *ca, const char *cn)
{
	ca->key = key_new();
	ca->cert = cert_issue(name_cn(cn), ca->key, NULL, 3650,
			      "basicConstraints", "critical,CA:TRUE",
			      "keyUsage", "critical,keyCertSign,cRLSign",
			      NULL);
}

/* A client certificate of the CA for subject: a new key each time */
static X509 *client_issue(X509_NAME *subject, const struct test_key_cert *ca)
{
	EVP_PKEY *key = key_new();
	X509 *cert;

	cert = cert_issue(subject, key, ca, 365,
			  "extendedKeyUsage", "clientAuth", NULL);
	EVP_PKEY_free(key);
	return cert;
}

static X509_CRL *crl_make(const struct test_key_cert *ca, X509 *revoked)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *entry = X509_REVOKED_new();
	ASN1_TIME *now = X509_gmtime_adj(NULL, -60);
	ASN1_TIME *next = X509_time_adj_ex(NULL, 30, 0, NULL);

	g_assert_cmpint(X509_CRL_set_version(crl, X509_CRL_VERSION_2), ==, 1);
	g_assert_cmpint(X509_CRL_set_issuer_name(crl,
			X509_get_subject_name(ca->cert)), ==, 1);
	g_assert_cmpint(X509_CRL_set1_lastUpdate(crl, now), ==, 1);
	g_assert_cmpint(X509_CRL_set1_nextUpdate(crl, next), ==, 1);
	g_assert_cmpint(X509_REVOKED_set_serialNumber(entry,
			X509_get_serialNumber(revoked)), ==, 1);
	g_assert_cmpint(X509_REVOKED_set_revocationDate(entry, now), ==, 1);
	g_assert_cmpint(X509_CRL_add0_revoked(crl, entry), ==, 1);
	g_assert_cmpint(X509_CRL_sort(crl), ==, 1);
	g_assert_cmpint(X509_CRL_sign(crl, ca->key, EVP_sha256()), >, 0);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	return crl;
}

static char *cert_pem(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());

	g_assert_cmpint(PEM_write_bio_X509(bio, cert), ==, 1);
	return test_bio_take(bio);
}

static char *crl_pem(X509_CRL *crl)
{
	BIO *bio = BIO_new(BIO_s_mem());

	g_assert_cmpint(PEM_write_bio_X509_CRL(bio, crl), ==, 1);
	return test_bio_take(bio);
}

static X509 *subject_cert(X509_NAME *subject)
{
	return client_issue(subject, &certs.ca);
}

static void certs_make(void)
{
	EVP_PKEY *key;
	X509_NAME *name;
	X509_CRL *crl;
	char *ca, *crl_str;
	/* "Jöhn" as UTF-16BE, the BMPString of old Windows CAs */
	static const unsigned char bmp_john[] = {
		0x00, 'J', 0x00, 0xf6, 0x00, 'h', 0x00, 'n'
	};

	ca_make(&certs.ca, "Test CA");
	ca_make(&certs.ca_same_name, "Test CA");
	ca_make(&certs.ca_other, "Other CA");

	certs.client = subject_cert(name_new("O", TEST_SUBJECT_O,
		"CN", "certuser", "emailAddress", "certuser@example.test",
		"UID", "certuid", NULL));
	key = key_new();
	certs.server_only = cert_issue(name_cn("localhost"), key, &certs.ca,
				       365, "extendedKeyUsage", "serverAuth",
				       NULL);
	certs.self_signed = cert_issue(name_cn("certuser"), key, NULL, 365,
				       NULL);
	certs.expired = cert_issue(name_cn("certuser"), key, &certs.ca, -2,
				   "extendedKeyUsage", "clientAuth", NULL);
	EVP_PKEY_free(key);
	certs.foreign = client_issue(name_cn("certuser"), &certs.ca_other);
	certs.foreign_same_name = client_issue(name_cn("certuser"),
					       &certs.ca_same_name);
	certs.revoked = subject_cert(name_cn("revoked"));

	certs.two_cns = subject_cert(name_new("O", TEST_SUBJECT_O,
		"CN", "alice", "CN", "bob", NULL));
	name = name_new("O", TEST_SUBJECT_O, NULL);
	name_add(name, "CN", V_ASN1_BMPSTRING, bmp_john, sizeof(bmp_john));
	certs.bmp_cn = subject_cert(name);
	name = name_new("O", TEST_SUBJECT_O, NULL);
	name_add(name, "CN", V_ASN1_UTF8STRING, "certuser\0admin", 14);
	certs.nul_cn = subject_cert(name);
	certs.ctrl_cn = subject_cert(name_cn("cert\nuser"));
	name = name_new("O", TEST_SUBJECT_O, NULL);
	name_add(name, "CN", V_ASN1_UTF8STRING, "", 0);
	certs.empty_cn = subject_cert(name);
	name = name_new("O", TEST_SUBJECT_O, NULL);
	/* a DirectoryString admits unknown types, a CN no string of it */
	name_add(name, "CN", V_ASN1_EXTERNAL, "certuser", 8);
	certs.external_cn = subject_cert(name);
	certs.utf8_subject = subject_cert(name_new("O", "Bücher, Straße & Co",
		"CN", "Jöhn \"J\" Müller+1", NULL));
	/* UTF-8 bytes in an IA5String: OpenSSL reads them as Latin-1,
	   Dovecot takes them as they are */
	name = name_new("O", TEST_SUBJECT_O, "CN", "certuser", NULL);
	name_add(name, "emailAddress", V_ASN1_IA5STRING, "a\xc3\xa9@x", 5);
	certs.latin1_email = subject_cert(name);
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+0085 NEXT LINE */
	certs.bidi_cn = subject_cert(name_cn("alice\xe2\x80\xaegro.evil"));
	certs.c1_cn = subject_cert(name_cn("alice\xc2\x85""bob"));

	ca = cert_pem(certs.ca.cert);
	crl = crl_make(&certs.ca, certs.revoked);
	crl_str = crl_pem(crl);
	X509_CRL_free(crl);
	certs.ca_pem = ca;
	certs.ca_crl_pem = g_strconcat(ca, crl_str, NULL);
	g_free(crl_str);
	assert_error_queue_empty();
}

static void key_cert_free(struct test_key_cert *kc)
{
	EVP_PKEY_free(kc->key);
	X509_free(kc->cert);
}

static void certs_free(void)
{
	X509 *const list[] = {
		certs.client, certs.server_only, certs.self_signed,
		certs.foreign, certs.foreign_same_name, certs.revoked,
		certs.expired, certs.two_cns, certs.bmp_cn, certs.nul_cn,
		certs.ctrl_cn, certs.empty_cn, certs.external_cn,
		certs.utf8_subject, certs.latin1_email, certs.bidi_cn,
		certs.c1_cn,
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(list); i++)
		X509_free(list[i]);
	key_cert_free(&certs.ca);
	key_cert_free(&certs.ca_same_name);
	key_cert_free(&certs.ca_other);
	g_free(certs.ca_pem);
	g_free(certs.ca_crl_pem);
}

static char *der_sha256(const GByteArray *der)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, der->data,
					   der->len);
}

/* Parse expecting success with the encoding given: the fingerprint */
static char *
parse_ok(const void *data, size_t size,
	 enum haproxy_tlv_cert_encoding expected_encoding)
{
	enum haproxy_tlv_cert_encoding encoding;
	struct haproxy_tlv_cert_info info;
	const char *error = NULL;
	char *fingerprint;
	X509 *cert;

	T_BEGIN {
		cert = haproxy_tlv_cert_parse(data, size, &encoding, &error);
		if (cert == NULL)
			g_error("unexpected parse error: %s", error);
		g_assert_cmpint(encoding, ==, expected_encoding);
		haproxy_tlv_cert_describe(cert, &info);
		fingerprint = g_strdup(info.fingerprint);
		X509_free(cert);
	} T_END;
	assert_error_queue_empty();
	return fingerprint;
}

/* Parse expecting an error that contains expected: the error */
static char *parse_fails(const void *data, size_t size, const char *expected)
{
	enum haproxy_tlv_cert_encoding encoding;
	const char *error = NULL;
	char *ret;
	X509 *cert;

	T_BEGIN {
		cert = haproxy_tlv_cert_parse(data, size, &encoding, &error);
		g_assert_null(cert);
		g_assert_nonnull(error);
		if (strstr(error, expected) == NULL)
			g_error("error '%s' lacks '%s'", error, expected);
		ret = g_strdup(error);
	} T_END;
	assert_error_queue_empty();
	return ret;
}

static void parse_fails_free(const void *data, size_t size,
			     const char *expected)
{
	g_free(parse_fails(data, size, expected));
}

static void parse_der_fails(const void *data, size_t size,
			    const char *expected)
{
	const char *error = NULL;

	T_BEGIN {
		g_assert_null(haproxy_tlv_cert_parse_der(data, size, &error));
		if (strstr(error, expected) == NULL)
			g_error("error '%s' lacks '%s'", error, expected);
		/* only a custom TLV is filled by %[ssl_c_der] */
		g_assert_null(strstr(error, "%[ssl_c_der]"));
	} T_END;
	assert_error_queue_empty();
}

static void test_parse_encodings(void)
{
	GByteArray *der = test_cert_der(certs.client);
	char *expected = der_sha256(der);
	char *upper = test_hex_encode(der->data, der->len, TRUE);
	char *lower = test_hex_encode(der->data, der->len, FALSE);
	char *b64 = g_base64_encode(der->data, der->len);
	char *fp;
	const char *error;
	X509 *cert;

	fp = parse_ok(der->data, der->len, HAPROXY_TLV_CERT_DER);
	g_assert_cmpstr(fp, ==, expected);
	g_free(fp);
	fp = parse_ok(upper, strlen(upper), HAPROXY_TLV_CERT_HEX);
	g_assert_cmpstr(fp, ==, expected);
	g_free(fp);
	fp = parse_ok(lower, strlen(lower), HAPROXY_TLV_CERT_HEX);
	g_assert_cmpstr(fp, ==, expected);
	g_free(fp);
	fp = parse_ok(b64, strlen(b64), HAPROXY_TLV_CERT_BASE64);
	g_assert_cmpstr(fp, ==, expected);
	g_free(fp);

	T_BEGIN {
		cert = haproxy_tlv_cert_parse_der(der->data, der->len, &error);
		g_assert_nonnull(cert);
		X509_free(cert);
	} T_END;
	/* the SSL sub-TLV carries DER only */
	parse_der_fails(upper, strlen(upper), "no DER SEQUENCE");
	parse_der_fails(b64, strlen(b64), "no DER SEQUENCE");

	g_free(expected);
	g_free(upper);
	g_free(lower);
	g_free(b64);
	g_byte_array_unref(der);
}

/* Exactly what HAProxy's raw %[ssl_c_der] sends: the DER up to its first
   NUL byte */
static void assert_cut_at_nul(X509 *cert)
{
	GByteArray *der = test_cert_der(cert);
	const guint8 *nul = memchr(der->data, 0, der->len);
	size_t cut;
	char *error;

	g_assert_nonnull(nul);
	cut = nul - der->data;
	error = parse_fails(der->data, cut, NUL_HINT);
	g_assert_nonnull(strstr(error, "cut short"));
	g_assert_nonnull(strstr(error, "%[ssl_c_der,hex]"));
	g_assert_nonnull(strstr(error, "%[ssl_c_der,base64]"));
	if (cut >= 4 && der->data[1] == 0x82) {
		char *counts = g_strdup_printf("(%zu of %u bytes)", cut,
					       der->len);

		g_assert_nonnull(strstr(error, counts));
		g_free(counts);
	}
	g_free(error);
	parse_der_fails(der->data, cut, "cut short");
	g_byte_array_unref(der);
}

static void test_parse_cut_at_nul(void)
{
	X509 *const list[] = {
		certs.client, certs.ca.cert, certs.bmp_cn, certs.utf8_subject,
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(list); i++)
		assert_cut_at_nul(list[i]);
}

/* Every prefix is refused, and a cut DER (raw) names %[ssl_c_der] */
static void test_parse_every_prefix(void)
{
	GByteArray *der = test_cert_der(certs.client);
	char *hex = test_hex_encode(der->data, der->len, TRUE);

	for (guint len = 1; len < der->len; len++) {
		parse_fails_free(der->data, len, NUL_HINT);
		parse_der_fails(der->data, len, "cut short");
	}
	/* hex and base64 are never cut by HAProxy: no hint */
	for (guint len = 2; len < strlen(hex); len += 2) {
		char *error = parse_fails(hex, len, "hex value");

		g_assert_null(strstr(error, "%[ssl_c_der]"));
		g_free(error);
	}
	g_free(hex);
	g_byte_array_unref(der);
}

static void test_parse_trailing(void)
{
	GByteArray *der = test_cert_der(certs.client);
	GByteArray *twice = g_byte_array_new();
	char *hex, *b64;
	guint size = der->len;

	g_byte_array_append(twice, der->data, der->len);
	g_byte_array_append(twice, der->data, der->len);
	parse_fails_free(twice->data, twice->len, "trailing bytes");
	parse_der_fails(twice->data, twice->len, "trailing bytes");

	g_byte_array_append(der, (const guint8 *)"\0", 1);
	parse_fails_free(der->data, der->len, "1 trailing bytes");
	parse_der_fails(der->data, der->len, "1 trailing bytes");
	hex = test_hex_encode(der->data, der->len, TRUE);
	parse_fails_free(hex, strlen(hex), "hex value");
	parse_fails_free(hex, strlen(hex), "1 trailing bytes");
	b64 = g_base64_encode(der->data, der->len);
	parse_fails_free(b64, strlen(b64), "base64 value");
	parse_fails_free(b64, strlen(b64), "1 trailing bytes");
	g_free(b64);
	/* a newline after the base64, as a careless format string adds */
	g_byte_array_set_size(der, size);
	b64 = g_base64_encode(der->data, der->len);
	{
		char *nl = g_strconcat(b64, "\n", NULL);

		parse_fails_free(nl, strlen(nl), "neither DER, hex nor base64");
		g_free(nl);
	}
	g_free(b64);
	g_free(hex);
	g_byte_array_unref(twice);
	g_byte_array_unref(der);
}

static void test_parse_garbage(void)
{
	static const unsigned char not_cert[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	static const unsigned char indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
	static const unsigned char huge_len[] = {
		0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00
	};
	char *big = g_malloc(65536 + 1);
	char *b64_garbage = g_base64_encode((const guchar *)"garbage!", 8);
	char *pem = cert_pem(certs.client);
	const char *error;

	parse_fails_free("", 0, "empty");
	T_BEGIN {
		g_assert_null(haproxy_tlv_cert_parse_der(NULL, 0, &error));
		g_assert_nonnull(strstr(error, "empty"));
	} T_END;
	parse_fails_free("hello, world", 12, "neither DER, hex nor base64");
	parse_fails_free("\x01\x02\x03", 3, "neither DER, hex nor base64");
	parse_fails_free("DEADBEEF", 8, "hex value (4 bytes decoded): "
			 "not a certificate");
	parse_fails_free("ABC", 3, "hex value has an odd number of digits");
	parse_fails_free(b64_garbage, strlen(b64_garbage),
			 "base64 value (8 bytes decoded): not a certificate");
	parse_fails_free("Zm9v=ZZZ", 8, "neither DER, hex nor base64");
	parse_fails_free("Zm9vYmE", 7, "neither DER, hex nor base64");
	parse_fails_free(not_cert, sizeof(not_cert), "DER is not a certificate");
	parse_fails_free(indefinite, sizeof(indefinite),
			 "not a certificate (a DER SEQUENCE of indefinite");
	parse_fails_free(huge_len, sizeof(huge_len),
			 "not a certificate (a DER SEQUENCE with a 5-byte");
	parse_fails_free(pem, strlen(pem), "PEM is not accepted");

	/* the largest value a TLV holds: odd hex, even hex of nothing,
	   base64 of nothing; one byte more is refused before any work */
	memset(big, 'A', 65536);
	big[65536] = '\0';
	parse_fails_free(big, 65535, "hex value has an odd number of digits");
	parse_fails_free(big, 65534, "hex value (32767 bytes decoded)");
	memset(big, 'Q', 65536);
	parse_fails_free(big, 65532, "base64 value (49149 bytes decoded)");
	parse_fails_free(big, 65536, "too long");
	big[0] = 0x30;
	parse_fails_free(big, 65535, "65452 trailing bytes");
	T_BEGIN {
		g_assert_null(haproxy_tlv_cert_parse_der((const void *)big,
							 65536, &error));
		g_assert_nonnull(strstr(error, "too long"));
	} T_END;

	g_free(big);
	g_free(b64_garbage);
	g_free(pem);
}

static char *tmp_write(const char *name, const char *contents)
{
	char *path = g_build_filename(certs.dir, name, NULL);
	GError *error = NULL;

	if (!g_file_set_contents(path, contents, -1, &error))
		g_error("%s", error->message);
	return path;
}

static char *run_command(const char *const *argv)
{
	char *out = NULL, *err = NULL;
	GError *error = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
			  NULL, NULL, &out, &err, &status, &error))
		g_error("%s: %s", argv[0], error->message);
	if (!g_spawn_check_wait_status(status, &error))
		g_error("%s: %s: %s", argv[0], error->message, err);
	g_free(err);
	return out;
}

/* "value" of the line "prefix=value" of the output */
static char *openssl_line(const char *out, const char *prefix)
{
	char **lines = g_strsplit(out, "\n", -1);
	char *value = NULL;

	for (char **line = lines; *line != NULL; line++) {
		if (g_str_has_prefix(*line, prefix) &&
		    (*line)[strlen(prefix)] == '=')
			value = g_strdup(*line + strlen(prefix) + 1);
	}
	g_strfreev(lines);
	if (value == NULL)
		g_error("no %s= in: %s", prefix, out);
	return value;
}

/* "Nov 26 02:52:19 2027 GMT" as ISO 8601 */
static char *openssl_date_iso(const char *date)
{
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	char month[4];
	int day, hour, min, sec, year;

	g_assert_cmpint(sscanf(date, "%3s %d %d:%d:%d %d GMT", month, &day,
			       &hour, &min, &sec, &year), ==, 6);
	for (int i = 0; i < 12; i++) {
		if (strcmp(month, months[i]) == 0) {
			return g_strdup_printf(
				"%04d-%02d-%02dT%02d:%02d:%02dZ",
				year, i + 1, day, hour, min, sec);
		}
	}
	g_error("bad month in %s", date);
}

/* "AB:CD:..." as "abcd..." */
static char *openssl_fingerprint(const char *fp)
{
	GString *str = g_string_new(NULL);

	for (; *fp != '\0'; fp++) {
		if (*fp != ':')
			g_string_append_c(str, g_ascii_tolower(*fp));
	}
	return g_string_free(str, FALSE);
}

static void assert_describe_like_openssl(X509 *cert)
{
	char *pem = cert_pem(cert);
	char *path = tmp_write("describe.pem", pem);
	/* RFC2253 with UTF-8, as the module prints it */
	const char *const argv[] = {
		"openssl", "x509", "-in", path, "-noout",
		"-nameopt", "RFC2253,-esc_msb", "-subject", "-issuer",
		"-serial", "-fingerprint", "-sha256", "-startdate", "-enddate",
		NULL
	};
	struct haproxy_tlv_cert_info info;
	char *out = run_command(argv), *value, *expected;

	T_BEGIN {
		haproxy_tlv_cert_describe(cert, &info);
		value = openssl_line(out, "subject");
		g_assert_cmpstr(info.subject, ==, value);
		g_free(value);
		value = openssl_line(out, "issuer");
		g_assert_cmpstr(info.issuer, ==, value);
		g_free(value);
		value = openssl_line(out, "serial");
		g_assert_cmpstr(info.serial, ==, value);
		g_free(value);
		value = openssl_line(out, "sha256 Fingerprint");
		expected = openssl_fingerprint(value);
		g_assert_cmpstr(info.fingerprint, ==, expected);
		g_free(value);
		g_free(expected);
		value = openssl_line(out, "notBefore");
		expected = openssl_date_iso(value);
		g_assert_cmpstr(info.not_before, ==, expected);
		g_free(value);
		g_free(expected);
		value = openssl_line(out, "notAfter");
		expected = openssl_date_iso(value);
		g_assert_cmpstr(info.not_after, ==, expected);
		g_free(value);
		g_free(expected);
	} T_END;
	assert_error_queue_empty();
	g_unlink(path);
	g_free(path);
	g_free(pem);
	g_free(out);
}

static void test_describe(void)
{
	struct haproxy_tlv_cert_info info;
	GByteArray *der = test_cert_der(certs.client);
	char *sha256 = der_sha256(der);
	char *date;
	struct tm tm;

	assert_describe_like_openssl(certs.client);
	assert_describe_like_openssl(certs.ca.cert);
	assert_describe_like_openssl(certs.utf8_subject);
	assert_describe_like_openssl(certs.bmp_cn);

	/* and without the openssl command */
	T_BEGIN {
		haproxy_tlv_cert_describe(certs.client, &info);
		g_assert_cmpstr(info.subject, ==,
			"UID=certuid,emailAddress=certuser@example.test,"
			"CN=certuser,O=" TEST_SUBJECT_O);
		g_assert_cmpstr(info.issuer, ==, "CN=Test CA,O=" TEST_SUBJECT_O);
		g_assert_true(g_str_has_prefix(info.serial, "C0FFEE"));
		g_assert_cmpuint(strlen(info.serial), ==, 22);
		g_assert_cmpstr(info.fingerprint, ==, sha256);
		g_assert_cmpint(ASN1_TIME_to_tm(
			X509_get0_notAfter(certs.client), &tm), ==, 1);
		date = g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ",
				       tm.tm_year + 1900, tm.tm_mon + 1,
				       tm.tm_mday, tm.tm_hour, tm.tm_min,
				       tm.tm_sec);
		g_assert_cmpstr(info.not_after, ==, date);
		g_free(date);

		haproxy_tlv_cert_describe(certs.utf8_subject, &info);
		g_assert_cmpstr(info.subject, ==,
			"CN=Jöhn \\\"J\\\" Müller\\+1,"
			"O=Bücher\\, Straße & Co");
		/* control characters stay escaped for a log line */
		haproxy_tlv_cert_describe(certs.nul_cn, &info);
		g_assert_cmpstr(info.subject, ==,
				"CN=certuser\\00admin,O=" TEST_SUBJECT_O);
		haproxy_tlv_cert_describe(certs.ctrl_cn, &info);
		g_assert_cmpstr(info.subject, ==,
				"CN=cert\\0Auser,O=" TEST_SUBJECT_O);
	} T_END;
	assert_error_queue_empty();
	g_free(sha256);
	g_byte_array_unref(der);
}

static void
assert_field(X509 *cert, const char *field, int expected_ret,
	     const char *expected);

/* der with the bytes from replaced by those of with (as long) */
static void
der_patch(GByteArray *der, const void *from, const void *with, size_t size)
{
	for (guint i = 0; i + size <= der->len; i++) {
		if (memcmp(der->data + i, from, size) == 0) {
			memcpy(der->data + i, with, size);
			return;
		}
	}
	g_error("bytes to patch not found");
}

/* OpenSSL itself cannot make a certificate with a name that is not
   Unicode, so the DER is patched (the signature no longer matters): an
   invalid UTF8String is refused when parsed; a lone surrogate in a
   BMPString, if OpenSSL lets it through, is neither a username nor
   logged as such */
static void test_parse_bad_strings(void)
{
	static const unsigned char bmp_o_umlaut[] = { 0x00, 0xf6 };
	static const unsigned char bmp_surrogate[] = { 0xd8, 0x00 };
	struct haproxy_tlv_cert_info info;
	enum haproxy_tlv_cert_encoding encoding;
	const char *error;
	GByteArray *der;
	X509 *cert;

	der = test_cert_der(certs.client);
	der_patch(der, "certuid", "cert\xc3id", 7);
	parse_fails_free(der->data, der->len, "DER is not a certificate");
	g_byte_array_unref(der);

	der = test_cert_der(certs.bmp_cn);
	der_patch(der, bmp_o_umlaut, bmp_surrogate, 2);
	T_BEGIN {
		cert = haproxy_tlv_cert_parse(der->data, der->len, &encoding,
					      &error);
		if (cert != NULL) {
			haproxy_tlv_cert_describe(cert, &info);
			g_assert_true(g_utf8_validate(info.subject, -1, NULL));
			assert_field(cert, "CN", -1, "CN");
			X509_free(cert);
		}
	} T_END;
	assert_error_queue_empty();
	g_byte_array_unref(der);
}

static void
assert_field(X509 *cert, const char *field, int expected_ret,
	     const char *expected)
{
	const char *value = NULL, *error = NULL;
	int ret;

	T_BEGIN {
		ret = haproxy_tlv_cert_subject_field(cert, field, &value,
						     &error);
		g_assert_cmpint(ret, ==, expected_ret);
		if (ret > 0)
			g_assert_cmpstr(value, ==, expected);
		else if (ret < 0) {
			g_assert_null(value);
			if (strstr(error, expected) == NULL)
				g_error("error '%s' lacks '%s'", error,
					expected);
		}
	} T_END;
	assert_error_queue_empty();
}

static void test_subject_field(void)
{
	GByteArray *external = test_cert_der(certs.external_cn);
	char *fp;

	assert_field(certs.client, "CN", 1, "certuser");
	assert_field(certs.client, "commonName", 1, "certuser");
	assert_field(certs.client, "2.5.4.3", 1, "certuser");
	assert_field(certs.client, "emailAddress", 1,
		     "certuser@example.test");
	assert_field(certs.client, "UID", 1, "certuid");
	assert_field(certs.client, "O", 1, TEST_SUBJECT_O);
	assert_field(certs.client, "OU", 0, NULL);
	assert_field(certs.client, "serialNumber", 0, NULL);
	assert_field(certs.client, "noSuchField", -1,
		     "unknown field name noSuchField");
	assert_field(certs.client, "", -1, "unknown field name");
	assert_field(certs.two_cns, "CN", -1, "subject has more than one CN");
	assert_field(certs.two_cns, "commonName", -1,
		     "more than one commonName");
	assert_field(certs.two_cns, "O", 1, TEST_SUBJECT_O);
	assert_field(certs.bmp_cn, "CN", 1, "Jöhn");
	assert_field(certs.utf8_subject, "CN", 1, "Jöhn \"J\" Müller+1");
	assert_field(certs.nul_cn, "CN", -1, "NUL");
	assert_field(certs.ctrl_cn, "CN", -1, "control character");
	assert_field(certs.empty_cn, "CN", -1, "empty");
	assert_field(certs.latin1_email, "emailAddress", -1,
		     "bytes beyond ASCII in an ASCII-only string type");
	assert_field(certs.bidi_cn, "CN", -1,
		     "control, separator or bidirectional character");
	assert_field(certs.c1_cn, "CN", -1,
		     "control, separator or bidirectional character");
	fp = parse_ok(external->data, external->len, HAPROXY_TLV_CERT_DER);
	g_free(fp);
	g_byte_array_unref(external);
	assert_field(certs.external_cn, "CN", -1,
		     "subject's CN is not a text string (ASN.1 type 8)");

	g_assert_true(haproxy_tlv_cert_field_is_cn("CN"));
	g_assert_true(haproxy_tlv_cert_field_is_cn("commonName"));
	g_assert_true(haproxy_tlv_cert_field_is_cn("2.5.4.3"));
	g_assert_false(haproxy_tlv_cert_field_is_cn("emailAddress"));
	g_assert_false(haproxy_tlv_cert_field_is_cn("x500UniqueIdentifier"));
	g_assert_false(haproxy_tlv_cert_field_is_cn("noSuchField"));
	assert_error_queue_empty();
}

static struct haproxy_tlv_cert_ca *ca_load(const char *pem, bool require_crl)
{
	struct haproxy_tlv_cert_ca *ca;
	const char *error;

	T_BEGIN {
		if (haproxy_tlv_cert_ca_load(pem, require_crl, &ca,
					     &error) < 0)
			g_error("CA load failed: %s", error);
	} T_END;
	return ca;
}

static void
assert_verify(const char *ca_pem, bool require_crl, X509 *cert,
	      const char *expected_error)
{
	struct haproxy_tlv_cert_ca *ca = ca_load(ca_pem, require_crl);
	const char *error = NULL;
	int ret;

	T_BEGIN {
		ret = haproxy_tlv_cert_verify(ca, cert, &error);
		if (expected_error == NULL && ret < 0)
			g_error("unexpected verify failure: %s", error);
		if (expected_error != NULL) {
			g_assert_cmpint(ret, ==, -1);
			if (strstr(error, expected_error) == NULL)
				g_error("error '%s' lacks '%s'", error,
					expected_error);
			g_assert_true(g_str_has_prefix(error,
				"certificate verify failed: "));
		}
	} T_END;
	assert_error_queue_empty();
	haproxy_tlv_cert_ca_free(&ca);
	g_assert_null(ca);
}

static void test_verify(void)
{
	assert_verify(certs.ca_crl_pem, TRUE, certs.client, NULL);
	assert_verify(certs.ca_crl_pem, FALSE, certs.client, NULL);
	assert_verify(certs.ca_pem, FALSE, certs.client, NULL);
	assert_verify(certs.ca_crl_pem, TRUE, certs.bmp_cn, NULL);
	/* the certificate verifies; taking a username is another step */
	assert_verify(certs.ca_crl_pem, TRUE, certs.two_cns, NULL);

	assert_verify(certs.ca_crl_pem, FALSE, certs.self_signed,
		      "self-signed certificate (depth 0)");
	assert_verify(certs.ca_crl_pem, FALSE, certs.foreign,
		      "unable to get local issuer certificate (depth 0)");
	assert_verify(certs.ca_crl_pem, FALSE, certs.foreign_same_name,
		      "certificate signature failure (depth 0)");
	assert_verify(certs.ca_crl_pem, FALSE, certs.server_only,
		      "certificate purpose (depth 0)");
	assert_verify(certs.ca_crl_pem, FALSE, certs.expired,
		      "certificate has expired (depth 0)");
	/* a CRL in the PEM data counts with or without ssl_require_crl */
	assert_verify(certs.ca_crl_pem, TRUE, certs.revoked,
		      "certificate revoked (depth 0)");
	assert_verify(certs.ca_crl_pem, FALSE, certs.revoked,
		      "certificate revoked (depth 0)");
	/* a missing one only with ssl_require_crl */
	assert_verify(certs.ca_pem, TRUE, certs.client,
		      "unable to get certificate CRL");
	assert_verify(certs.ca_pem, FALSE, certs.revoked, NULL);
	assert_verify(certs.ca_pem, FALSE, certs.self_signed,
		      "self-signed certificate");
}

static void ca_load_fails(const char *pem, const char *expected)
{
	struct haproxy_tlv_cert_ca *ca = (void *)1;
	const char *error = NULL;

	T_BEGIN {
		g_assert_cmpint(haproxy_tlv_cert_ca_load(pem, TRUE, &ca,
							 &error), ==, -1);
		g_assert_null(ca);
		if (strstr(error, expected) == NULL)
			g_error("error '%s' lacks '%s'", error, expected);
	} T_END;
	assert_error_queue_empty();
}

static void test_ca_load_errors(void)
{
	X509_CRL *crl = crl_make(&certs.ca, certs.revoked);
	char *crl_only = crl_pem(crl);
	BIO *bio = BIO_new(BIO_s_mem());
	char *key_only, *bad;
	struct haproxy_tlv_cert_ca *ca = NULL;

	g_assert_cmpint(PEM_write_bio_PrivateKey(bio, certs.ca.key, NULL,
						 NULL, 0, NULL, NULL), ==, 1);
	key_only = test_bio_take(bio);
	bad = g_strdup(certs.ca_pem);
	bad[strlen(bad) / 2] = '*';

	ca_load_fails("", "no CA certificate");
	ca_load_fails("hello\n", "no CA certificate");
	ca_load_fails(crl_only, "no CA certificate");
	ca_load_fails(key_only, "no CA certificate");
	ca_load_fails(bad, "cannot read the CA's PEM data");
	haproxy_tlv_cert_ca_free(&ca);

	g_free(bad);
	g_free(key_only);
	g_free(crl_only);
	X509_CRL_free(crl);
}

static void rm_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			char *child = g_build_filename(path, name, NULL);

			rm_tree(child);
			g_free(child);
		}
		g_dir_close(dir);
		g_assert_cmpint(g_rmdir(path), ==, 0);
	} else {
		g_assert_cmpint(g_unlink(path), ==, 0);
	}
}

static X509 *pem_file_cert(const char *dir, const char *name)
{
	char *path = g_build_filename(dir, name, NULL);
	X509 *cert = test_pem_cert(path);

	g_free(path);
	return cert;
}

/* The integration tests' certificates (RSA, from the openssl command):
   Dovecot's ssl_ca with its CRL and ssl_require_crl = yes */
static void test_make_certs(void)
{
	char *dir = g_build_filename(certs.dir, "make-certs", NULL);
	const char *const argv[] = { "sh", MAKE_CERTS_SH, dir, NULL };
	char *ca_crl, *path, *out;
	X509 *client, *server, *selfsigned;

	out = run_command(argv);
	g_free(out);
	path = g_build_filename(dir, "ca-crl.pem", NULL);
	g_assert_true(g_file_get_contents(path, &ca_crl, NULL, NULL));
	g_free(path);
	client = pem_file_cert(dir, "client.pem");
	server = pem_file_cert(dir, "server.pem");
	selfsigned = pem_file_cert(dir, "selfsigned.pem");

	assert_verify(ca_crl, TRUE, client, NULL);
	assert_verify(ca_crl, TRUE, server,
		      "certificate purpose");
	assert_verify(ca_crl, TRUE, selfsigned, "self-signed certificate");
	assert_field(client, "CN", 1, "certuser");
	assert_cut_at_nul(client);
	assert_describe_like_openssl(client);

	X509_free(client);
	X509_free(server);
	X509_free(selfsigned);
	g_free(ca_crl);
	rm_tree(dir);
	g_free(dir);
}

int main(int argc, char **argv)
{
	GError *error = NULL;
	int ret;

	lib_init();
	g_test_init(&argc, &argv, NULL);
	certs.dir = g_dir_make_tmp("test-cert-XXXXXX", &error);
	if (certs.dir == NULL)
		g_error("%s", error->message);
	certs_make();
	g_test_add_func("/cert/parse/encodings", test_parse_encodings);
	g_test_add_func("/cert/parse/cut-at-nul", test_parse_cut_at_nul);
	g_test_add_func("/cert/parse/every-prefix", test_parse_every_prefix);
	g_test_add_func("/cert/parse/trailing", test_parse_trailing);
	g_test_add_func("/cert/parse/garbage", test_parse_garbage);
	g_test_add_func("/cert/parse/bad-strings", test_parse_bad_strings);
	g_test_add_func("/cert/describe", test_describe);
	g_test_add_func("/cert/subject-field", test_subject_field);
	g_test_add_func("/cert/verify", test_verify);
	g_test_add_func("/cert/ca-load-errors", test_ca_load_errors);
	g_test_add_func("/cert/make-certs", test_make_certs);
	ret = g_test_run();
	certs_free();
	g_rmdir(certs.dir);
	g_free(certs.dir);
	lib_deinit();
	return ret;
}
