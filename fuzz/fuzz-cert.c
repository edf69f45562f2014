/* libFuzzer target for the forwarded client certificate
   (src/lib-haproxy-tlv/haproxy-tlv-cert.c): arbitrary TLV values through
   haproxy_tlv_cert_parse() and haproxy_tlv_cert_parse_der(), and what
   parsed through describe() and subject_field(). Besides not crashing
   under ASan/UBSan:
   - a failure has an error, a success none of the promised fields NULL;
   - a parse_der() success is a parse() success with encoding DER;
   - the description and a subject field are valid UTF-8, and a field's
     value is never empty and has no NUL or control character;
   - OpenSSL's error queue is empty after every call (the login process's
     own TLS code shares it). */

#include "lib.h"
#include "unichar.h"
#include "haproxy-tlv-cert.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_queue(void)
{
	if (ERR_peek_error() != 0)
		abort();
}

static void check_text(const char *str, bool allow_empty)
{
	if (str == NULL || (!allow_empty && *str == '\0') ||
	    !uni_utf8_str_is_valid(str))
		abort();
}

static void check_field(X509 *cert, const char *field)
{
	const char *value = NULL, *error = NULL;
	int ret;

	ret = haproxy_tlv_cert_subject_field(cert, field, &value, &error);
	check_queue();
	if (ret < 0) {
		if (error == NULL || value != NULL)
			abort();
	} else if (ret > 0) {
		check_text(value, FALSE);
		for (const unsigned char *p = (const unsigned char *)value;
		     *p != '\0'; p++) {
			if (*p < 0x20 || *p == 0x7f)
				abort();
		}
	} else if (value != NULL) {
		abort();
	}
}

static void check_cert(X509 *cert)
{
	struct haproxy_tlv_cert_info info;

	haproxy_tlv_cert_describe(cert, &info);
	check_queue();
	check_text(info.subject, TRUE);
	check_text(info.issuer, TRUE);
	check_text(info.serial, TRUE);
	check_text(info.not_before, TRUE);
	check_text(info.not_after, TRUE);
	if (info.fingerprint == NULL || strlen(info.fingerprint) != 64)
		abort();
	check_field(cert, "commonName");
	check_field(cert, "emailAddress");
}

int LLVMFuzzerInitialize(int *argc ATTR_UNUSED, char ***argv ATTR_UNUSED)
{
	lib_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	T_BEGIN {
		enum haproxy_tlv_cert_encoding encoding;
		const char *error = NULL, *der_error = NULL;
		X509 *cert, *der_cert;

		cert = haproxy_tlv_cert_parse(data, size, &encoding, &error);
		check_queue();
		der_cert = haproxy_tlv_cert_parse_der(data, size, &der_error);
		check_queue();
		if (cert == NULL && error == NULL)
			abort();
		if (der_cert == NULL && der_error == NULL)
			abort();
		if (der_cert != NULL &&
		    (cert == NULL || encoding != HAPROXY_TLV_CERT_DER))
			abort();
		if (cert != NULL)
			check_cert(cert);
		X509_free(cert);
		X509_free(der_cert);
	} T_END;
	return 0;
}
