/* A client certificate a proxy forwarded in a TLV: recognised by content,
   parsed, described, asked for a username and verified with OpenSSL.
   OpenSSL's error queue is emptied after every failure: the login
   process's own TLS code reads the same queue and would otherwise report
   our errors as its own. */

#include "lib.h"
#include "buffer.h"
#include "str.h"
#include "base64.h"
#include "hex-binary.h"
#include "unichar.h"
#include "haproxy-tlv-cert.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctype.h>
#include <time.h>

/* a TLV's length field is 16 bits */
#define CERT_VALUE_MAX_SIZE 65535
#define DER_TAG_SEQUENCE 0x30

#define CERT_DER_NUL_HINT \
	"HAProxy's %[ssl_c_der] stops at the first NUL byte; " \
	"send %[ssl_c_der,hex] or %[ssl_c_der,base64]"

/* RFC 2253 as `openssl x509 -nameopt RFC2253` prints it, but UTF-8
   instead of \XX escapes for non-ASCII characters */
#define CERT_NAME_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)

struct haproxy_tlv_cert_ca {
	X509_STORE *store;
};

enum der_check {
	DER_CHECK_OK,
	DER_CHECK_CUT_SHORT,
	DER_CHECK_INVALID,
};

/* OpenSSL's reason for the first error in its queue, which is the most
   specific one; the queue is emptied */
static const char *openssl_error(void)
{
	unsigned long err = ERR_peek_error();
	const char *reason = NULL;

	if (err != 0)
		reason = ERR_reason_error_string(err);
	ERR_clear_error();
	return reason != NULL ? reason : "unknown OpenSSL error";
}

static BIO *mem_bio_new(void)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (bio == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "BIO_new() failed");
	return bio;
}

static const char *mem_bio_str(BIO *bio)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);

	return len <= 0 ? "" : t_strndup(data, len);
}

/* The size of the DER element starting at data as its header declares
   it. DER forbids the indefinite form; a length of more than 4 bytes
   cannot describe anything a TLV holds. */
static enum der_check
der_declared_size(const unsigned char *data, size_t size, size_t *total_r,
		  const char **error_r)
{
	size_t len_octets, len = 0;

	if (size < 2) {
		*error_r = t_strdup_printf(
			"certificate DER is cut short (%zu byte, "
			"its length is missing)", size);
		return DER_CHECK_CUT_SHORT;
	}
	if (data[1] < 0x80) {
		*total_r = 2 + data[1];
		return DER_CHECK_OK;
	}
	len_octets = data[1] & 0x7f;
	if (len_octets == 0) {
		*error_r = "not a certificate (a DER SEQUENCE of "
			"indefinite length)";
		return DER_CHECK_INVALID;
	}
	if (len_octets > 4) {
		*error_r = t_strdup_printf("not a certificate (a DER SEQUENCE "
					   "with a %zu-byte length)",
					   len_octets);
		return DER_CHECK_INVALID;
	}
	if (size < 2 + len_octets) {
		*error_r = t_strdup_printf(
			"certificate DER is cut short (%zu bytes, "
			"its length is incomplete)", size);
		return DER_CHECK_CUT_SHORT;
	}
	for (size_t i = 0; i < len_octets; i++)
		len = (len << 8) | data[2 + i];
	*total_r = 2 + len_octets + len;
	return DER_CHECK_OK;
}

/* Exactly one certificate: what follows it or is missing from it means
   the value was mangled on its way, and a certificate taken from mangled
   bytes must not become an identity */
static enum der_check
der_check_size(const unsigned char *data, size_t size, const char **error_r)
{
	enum der_check ret;
	size_t total;

	if (size == 0 || data[0] != DER_TAG_SEQUENCE) {
		*error_r = "not a certificate (no DER SEQUENCE)";
		return DER_CHECK_INVALID;
	}
	ret = der_declared_size(data, size, &total, error_r);
	if (ret != DER_CHECK_OK)
		return ret;
	if (size < total) {
		*error_r = t_strdup_printf(
			"certificate DER is cut short (%zu of %zu bytes)",
			size, total);
		return DER_CHECK_CUT_SHORT;
	}
	if (size > total) {
		*error_r = t_strdup_printf(
			"%zu trailing bytes after a DER SEQUENCE of "
			"%zu bytes", size - total, total);
		return DER_CHECK_INVALID;
	}
	return DER_CHECK_OK;
}

static X509 *
der_parse(const unsigned char *data, size_t size, bool raw_haproxy,
	  const char **error_r)
{
	const unsigned char *p = data;
	enum der_check ret;
	X509 *cert;

	ret = der_check_size(data, size, error_r);
	if (ret == DER_CHECK_CUT_SHORT && raw_haproxy) {
		*error_r = t_strdup_printf("%s: %s", *error_r,
					   CERT_DER_NUL_HINT);
	}
	if (ret != DER_CHECK_OK)
		return NULL;

	cert = d2i_X509(NULL, &p, (long)size);
	if (cert == NULL) {
		*error_r = t_strdup_printf("DER is not a certificate: %s",
					   openssl_error());
		return NULL;
	}
	if (p != data + size) {
		/* the outer length was checked: only a lenient parser would
		   stop early */
		*error_r = t_strdup_printf(
			"certificate DER has %zu bytes OpenSSL did not read",
			(size_t)(data + size - p));
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static bool value_is_hex(const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (!i_isxdigit(data[i]))
			return FALSE;
	}
	return TRUE;
}

/* not isalnum(): its answer depends on the locale */
static bool base64_char_is_valid(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* The standard alphabet with padding, as HAProxy's base64 converter
   writes it: no line breaks, no URL-safe alphabet */
static bool value_is_base64(const unsigned char *data, size_t size)
{
	size_t len = size;

	if (size % 4 != 0)
		return FALSE;
	if (len > 0 && data[len - 1] == '=')
		len--;
	if (len > 0 && data[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (!base64_char_is_valid(data[i]))
			return FALSE;
	}
	return TRUE;
}

static X509 *
encoded_parse(const char *name, const buffer_t *der, const char **error_r)
{
	const char *error;
	X509 *cert;

	cert = der_parse(der->data, der->used, FALSE, &error);
	if (cert == NULL) {
		*error_r = t_strdup_printf("%s value (%zu bytes decoded): %s",
					   name, der->used, error);
	}
	return cert;
}

static X509 *
hex_parse(const unsigned char *data, size_t size, const char **error_r)
{
	buffer_t *der = t_buffer_create(size / 2);

	if (hex_to_binary(t_strndup(data, size), der) < 0) {
		*error_r = "hex value is not hex";
		return NULL;
	}
	return encoded_parse("hex", der, error_r);
}

static X509 *
base64_parse(const unsigned char *data, size_t size, const char **error_r)
{
	buffer_t *der = t_buffer_create(MAX_BASE64_DECODED_SIZE(size));

	if (base64_scheme_decode(&base64_scheme,
				 BASE64_DECODE_FLAG_NO_WHITESPACE,
				 data, size, der) < 0) {
		*error_r = "base64 value is not valid base64";
		return NULL;
	}
	return encoded_parse("base64", der, error_r);
}

static bool value_size_is_valid(size_t size, const char **error_r)
{
	if (size == 0) {
		*error_r = "empty value, no certificate";
		return FALSE;
	}
	if (size > CERT_VALUE_MAX_SIZE) {
		*error_r = t_strdup_printf(
			"value too long for a TLV (%zu bytes, at most %u)",
			size, CERT_VALUE_MAX_SIZE);
		return FALSE;
	}
	return TRUE;
}

X509 *haproxy_tlv_cert_parse(const unsigned char *data, size_t size,
			     enum haproxy_tlv_cert_encoding *encoding_r,
			     const char **error_r)
{
	/* neither hex nor base64 of a certificate starts with '0' (0x30),
	   so DER goes first: a cut-short DER may look like anything */
	*encoding_r = HAPROXY_TLV_CERT_DER;
	if (!value_size_is_valid(size, error_r))
		return NULL;
	if (data[0] == DER_TAG_SEQUENCE)
		return der_parse(data, size, TRUE, error_r);
	if (value_is_hex(data, size)) {
		*encoding_r = HAPROXY_TLV_CERT_HEX;
		if (size % 2 != 0) {
			*error_r = t_strdup_printf(
				"hex value has an odd number of digits (%zu)",
				size);
			return NULL;
		}
		return hex_parse(data, size, error_r);
	}
	if (value_is_base64(data, size)) {
		*encoding_r = HAPROXY_TLV_CERT_BASE64;
		return base64_parse(data, size, error_r);
	}
	if (size >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
		*error_r = "PEM is not accepted: "
			"send %[ssl_c_der,base64] or %[ssl_c_der,hex]";
		return NULL;
	}
	*error_r = "not a certificate (neither DER, hex nor base64)";
	return NULL;
}

X509 *haproxy_tlv_cert_parse_der(const unsigned char *data, size_t size,
				 const char **error_r)
{
	if (!value_size_is_valid(size, error_r))
		return NULL;
	return der_parse(data, size, FALSE, error_r);
}

static bool name_print(BIO *bio, const X509_NAME *name, unsigned long flags)
{
	char *data;
	long len;

	if (X509_NAME_print_ex(bio, name, 0, flags) < 0)
		return FALSE;
	len = BIO_get_mem_data(bio, &data);
	return len >= 0 &&
		uni_utf8_data_is_valid((const unsigned char *)data, len);
}

/* A string OpenSSL cannot convert to valid UTF-8 (a UTF8String with
   invalid bytes, a BMPString with lone surrogates) is dumped as #hex,
   which still names the entry in a log line */
static const char *name_rfc2253(const X509_NAME *name)
{
	BIO *bio = mem_bio_new();
	const char *str;

	if (!name_print(bio, name, CERT_NAME_FLAGS)) {
		(void)BIO_reset(bio);
		if (!name_print(bio, name,
				CERT_NAME_FLAGS | ASN1_STRFLGS_DUMP_ALL))
			(void)BIO_reset(bio);
	}
	str = mem_bio_str(bio);
	BIO_free(bio);
	ERR_clear_error();
	return str;
}

static const char *serial_hex(const X509 *cert)
{
	BIO *bio = mem_bio_new();
	const char *str = "";

	/* what `openssl x509 -serial` calls */
	if (i2a_ASN1_INTEGER(bio, X509_get0_serialNumber(cert)) > 0)
		str = mem_bio_str(bio);
	BIO_free(bio);
	ERR_clear_error();
	return str;
}

static const char *fingerprint_sha256(const X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_size;

	if (X509_digest(cert, EVP_sha256(), md, &md_size) != 1) {
		ERR_clear_error();
		return "";
	}
	return binary_to_hex(md, md_size);
}

static const char *time_iso8601(const ASN1_TIME *asn1_time)
{
	struct tm tm;
	char buf[32];

	if (asn1_time == NULL || ASN1_TIME_to_tm(asn1_time, &tm) != 1 ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		ERR_clear_error();
		return "";
	}
	return t_strdup(buf);
}

void haproxy_tlv_cert_describe(X509 *cert,
			       struct haproxy_tlv_cert_info *info_r)
{
	i_zero(info_r);
	info_r->subject = name_rfc2253(X509_get_subject_name(cert));
	info_r->issuer = name_rfc2253(X509_get_issuer_name(cert));
	info_r->serial = serial_hex(cert);
	info_r->fingerprint = fingerprint_sha256(cert);
	info_r->not_before = time_iso8601(X509_get0_notBefore(cert));
	info_r->not_after = time_iso8601(X509_get0_notAfter(cert));
}

/* Dovecot takes ssl_cert_username_field the same way. The last field's
   NID is kept: OBJ_txt2nid() searches OpenSSL's tables, and a process
   asks for the same field for every client. The name is kept in static
   storage, not on the heap: Dovecot unloads the plugin before the
   process exits, and a heap copy would then be lost (valgrind: a
   definite leak per process). A longer name is not kept. */
static int field_nid(const char *field)
{
	static char last_field[64];
	static int last_nid;
	int nid;

	if (last_field[0] != '\0' && strcmp(last_field, field) == 0)
		return last_nid;
	nid = OBJ_txt2nid(field);
	if (nid == NID_undef)
		ERR_clear_error();
	if (i_strocpy(last_field, field, sizeof(last_field)) < 0)
		last_field[0] = '\0';
	else
		last_nid = nid;
	return nid;
}

/* The string types that may hold only ASCII. OpenSSL converts their
   other bytes as Latin-1, where Dovecot takes the bytes as they are: the
   two would give different usernames for one certificate. */
static bool asn1_type_is_ascii(int type)
{
	switch (type) {
	case V_ASN1_IA5STRING:
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_VISIBLESTRING:
	case V_ASN1_NUMERICSTRING:
	case V_ASN1_T61STRING:
		return TRUE;
	}
	return FALSE;
}

static bool asn1_string_is_ascii(const ASN1_STRING *data)
{
	const unsigned char *bytes = ASN1_STRING_get0_data(data);
	int len = ASN1_STRING_length(data);

	for (int i = 0; i < len; i++) {
		if (bytes[i] >= 0x80)
			return FALSE;
	}
	return TRUE;
}

/* Characters that make a log line say something else than it does: C1
   controls, line and paragraph separators, bidirectional overrides */
static bool is_misleading_char(unichar_t chr)
{
	return (chr >= 0x80 && chr <= 0x9f) ||
		chr == 0x200e || chr == 0x200f ||
		(chr >= 0x2028 && chr <= 0x202e) ||
		(chr >= 0x2066 && chr <= 0x2069);
}

static const char *
field_value_check(const unsigned char *value, size_t size)
{
	unichar_t chr;
	int len;

	if (size == 0)
		return "is empty";
	for (size_t i = 0; i < size; i++) {
		if (value[i] == '\0')
			return "contains a NUL byte";
		if (value[i] < 0x20 || value[i] == 0x7f)
			return "contains a control character";
	}
	if (!uni_utf8_data_is_valid(value, size))
		return "is not valid UTF-8";
	for (size_t i = 0; i < size; i += len) {
		len = uni_utf8_get_char_n(value + i, size - i, &chr);
		i_assert(len > 0);
		if (is_misleading_char(chr))
			return "contains a control, separator or "
				"bidirectional character";
	}
	return NULL;
}

int haproxy_tlv_cert_subject_field(X509 *cert, const char *field,
				   const char **value_r, const char **error_r)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	const ASN1_STRING *data;
	const char *reason;
	unsigned char *utf8;
	int nid, idx, len;

	*value_r = NULL;
	nid = field_nid(field);
	if (nid == NID_undef) {
		*error_r = t_strdup_printf("unknown field name %s", field);
		return -1;
	}
	idx = X509_NAME_get_index_by_NID(name, nid, -1);
	if (idx < 0)
		return 0;
	/* the first or the last of two entries (Dovecot takes the first,
	   HAProxy's %[ssl_c_s_dn(CN)] the last) is a guess either way */
	if (X509_NAME_get_index_by_NID(name, nid, idx) >= 0) {
		*error_r = t_strdup_printf("subject has more than one %s",
					   field);
		return -1;
	}
	data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	if (asn1_type_is_ascii(ASN1_STRING_type(data)) &&
	    !asn1_string_is_ascii(data)) {
		*error_r = t_strdup_printf(
			"subject's %s has bytes beyond ASCII in an ASCII-only "
			"string type (ASN.1 type %d)", field,
			ASN1_STRING_type(data));
		return -1;
	}
	len = ASN1_STRING_to_UTF8(&utf8, data);
	if (len < 0 && ERR_peek_error() == 0) {
		/* OpenSSL says nothing of a type that is not text */
		*error_r = t_strdup_printf(
			"subject's %s is not a text string (ASN.1 type %d)",
			field, ASN1_STRING_type(data));
		return -1;
	}
	if (len < 0) {
		*error_r = t_strdup_printf(
			"subject's %s cannot be converted to UTF-8: %s",
			field, openssl_error());
		return -1;
	}
	reason = field_value_check(utf8, len);
	if (reason == NULL)
		*value_r = t_strndup(utf8, len);
	OPENSSL_free(utf8);
	if (reason != NULL) {
		*error_r = t_strdup_printf("subject's %s %s", field, reason);
		return -1;
	}
	return 1;
}

bool haproxy_tlv_cert_field_is_cn(const char *field)
{
	return field_nid(field) == NID_commonName;
}

/* Without ssl_require_crl Dovecot checks no CRL at all; here a CRL in the
   PEM data still counts, since a revocation someone published must not
   be ignored, and only a missing CRL is tolerated */
static int ca_verify_cb_crl_optional(int ok, X509_STORE_CTX *ctx)
{
	if (ok == 0 &&
	    X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNABLE_TO_GET_CRL) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	return ok;
}

static int
ca_store_add(X509_STORE *store, STACK_OF(X509_INFO) *infos,
	     unsigned int *cert_count_r, unsigned int *crl_count_r,
	     const char **error_r)
{
	*cert_count_r = *crl_count_r = 0;
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *info = sk_X509_INFO_value(infos, i);

		if (info->x509 != NULL) {
			if (X509_STORE_add_cert(store, info->x509) != 1) {
				*error_r = t_strdup_printf(
					"cannot add a CA certificate: %s",
					openssl_error());
				return -1;
			}
			(*cert_count_r)++;
		}
		if (info->crl != NULL) {
			if (X509_STORE_add_crl(store, info->crl) != 1) {
				*error_r = t_strdup_printf(
					"cannot add a CRL: %s",
					openssl_error());
				return -1;
			}
			(*crl_count_r)++;
		}
	}
	return 0;
}

static X509_STORE *
ca_store_create(const char *pem, bool require_crl, const char **error_r)
{
	STACK_OF(X509_INFO) *infos;
	X509_STORE *store;
	unsigned int cert_count, crl_count;
	BIO *bio;
	int ret;

	bio = BIO_new_mem_buf(pem, -1);
	if (bio == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "BIO_new_mem_buf() failed");
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (infos == NULL) {
		*error_r = t_strdup_printf("cannot read the CA's PEM data: %s",
					   openssl_error());
		return NULL;
	}
	store = X509_STORE_new();
	if (store == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "X509_STORE_new() failed");
	ret = ca_store_add(store, infos, &cert_count, &crl_count, error_r);
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (ret == 0 && cert_count == 0) {
		*error_r = "no CA certificate in the PEM data";
		ret = -1;
	}
	if (ret < 0) {
		X509_STORE_free(store);
		return NULL;
	}
	if (crl_count > 0 || require_crl) {
		(void)X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
					   X509_V_FLAG_CRL_CHECK_ALL);
	}
	if (!require_crl)
		X509_STORE_set_verify_cb(store, ca_verify_cb_crl_optional);
	return store;
}

int haproxy_tlv_cert_ca_load(const char *pem, bool require_crl,
			     struct haproxy_tlv_cert_ca **ca_r,
			     const char **error_r)
{
	X509_STORE *store;

	*ca_r = NULL;
	store = ca_store_create(pem, require_crl, error_r);
	if (store == NULL)
		return -1;
	*ca_r = i_new(struct haproxy_tlv_cert_ca, 1);
	(*ca_r)->store = store;
	return 0;
}

void haproxy_tlv_cert_ca_free(struct haproxy_tlv_cert_ca **_ca)
{
	struct haproxy_tlv_cert_ca *ca = *_ca;

	if (ca == NULL)
		return;
	*_ca = NULL;
	X509_STORE_free(ca->store);
	i_free(ca);
}

int haproxy_tlv_cert_verify(struct haproxy_tlv_cert_ca *ca, X509 *cert,
			    const char **error_r)
{
	X509_STORE_CTX *ctx;
	int ret;

	ctx = X509_STORE_CTX_new();
	if (ctx == NULL)
		i_fatal_status(FATAL_OUTOFMEM, "X509_STORE_CTX_new() failed");
	if (X509_STORE_CTX_init(ctx, ca->store, cert, NULL) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
		*error_r = t_strdup_printf("certificate verify failed: %s",
					   openssl_error());
		X509_STORE_CTX_free(ctx);
		return -1;
	}
	ret = X509_verify_cert(ctx);
	if (ret == 1) {
		X509_STORE_CTX_free(ctx);
		/* the callback may leave tolerated errors behind */
		ERR_clear_error();
		return 0;
	}
	if (X509_STORE_CTX_get_error(ctx) != X509_V_OK) {
		*error_r = t_strdup_printf(
			"certificate verify failed: %s (depth %d)",
			X509_verify_cert_error_string(
				X509_STORE_CTX_get_error(ctx)),
			X509_STORE_CTX_get_error_depth(ctx));
		ERR_clear_error();
	} else {
		*error_r = t_strdup_printf("certificate verify failed: %s",
					   openssl_error());
	}
	X509_STORE_CTX_free(ctx);
	return -1;
}
