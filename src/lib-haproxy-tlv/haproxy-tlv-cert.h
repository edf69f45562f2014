#ifndef HAPROXY_TLV_CERT_H
#define HAPROXY_TLV_CERT_H

/* A client certificate forwarded by the proxy (SSL CLIENT_CERT sub-TLV, or
   a custom TLV sent with HAProxy's set-proxy-v2-tlv-fmt): parsed with
   OpenSSL, described, asked for a username the way Dovecot asks a direct
   client's certificate, and verified against Dovecot's own CA. Shared by
   the login plugin and the doveadm module. */

#include <openssl/x509.h>

/* How a TLV carries the certificate, recognised by content */
enum haproxy_tlv_cert_encoding {
	HAPROXY_TLV_CERT_DER,
	/* HAProxy's %[ssl_c_der,hex]: upper-case hex; lower case accepted */
	HAPROXY_TLV_CERT_HEX,
	/* %[ssl_c_der,base64] */
	HAPROXY_TLV_CERT_BASE64,
};

struct haproxy_tlv_cert_info {
	/* RFC 2253 form, UTF-8 */
	const char *subject, *issuer;
	/* upper-case hex, as `openssl x509 -serial` prints it */
	const char *serial;
	/* SHA-256 of the DER, lower-case hex */
	const char *fingerprint;
	/* ISO 8601 in UTC: 2027-01-31T12:00:00Z */
	const char *not_before, *not_after;
};

/* A CA and its CRLs, loaded once for many verifications */
struct haproxy_tlv_cert_ca;

/* The certificate in the value of a TLV: DER, or its hex or base64
   encoding. NULL with *error_r saying what is wrong, in words for a log
   line (a DER cut short names HAProxy's %[ssl_c_der], which cuts at the
   first NUL byte). *encoding_r is what the value looked like, set also on
   failure (DER when it looked like none). A value must be exactly one
   certificate: bytes after it are refused, and so are whitespace and PEM.
   At most 65535 bytes, a TLV's limit. */
X509 *haproxy_tlv_cert_parse(const unsigned char *data, size_t size,
			     enum haproxy_tlv_cert_encoding *encoding_r,
			     const char **error_r);
/* The same for bytes that must be DER (the SSL CLIENT_CERT sub-TLV); its
   errors do not name %[ssl_c_der], which cannot fill a sub-TLV */
X509 *haproxy_tlv_cert_parse_der(const unsigned char *data, size_t size,
				 const char **error_r);

/* The certificate's details, on the data stack */
void haproxy_tlv_cert_describe(X509 *cert,
			       struct haproxy_tlv_cert_info *info_r);

/* The subject's entry named field (a name OpenSSL knows: commonName, CN,
   emailAddress, UID, an OID, ...), as Dovecot takes
   ssl_cert_username_field from a direct client's certificate, and
   stricter: 1 with *value_r (UTF-8 on the data stack), 0 when the subject
   has no such entry, -1 with *error_r when the field name is unknown, the
   entry appears more than once, or its value is empty, not UTF-8 or has
   NUL or a control character. */
int haproxy_tlv_cert_subject_field(X509 *cert, const char *field,
				   const char **value_r, const char **error_r);
/* The field name means commonName */
bool haproxy_tlv_cert_field_is_cn(const char *field);

/* Load PEM data with CA certificates and CRLs, as Dovecot's ssl_ca /
   ssl_server_ca_file hold them. require_crl: as Dovecot's
   ssl_require_crl, every certificate of the chain needs its CA's CRL;
   without it a missing CRL is no error, but a CRL in the data is still
   checked. -1 with *error_r if there is no certificate in it or it cannot
   be read. */
int haproxy_tlv_cert_ca_load(const char *pem, bool require_crl,
			     struct haproxy_tlv_cert_ca **ca_r,
			     const char **error_r);
void haproxy_tlv_cert_ca_free(struct haproxy_tlv_cert_ca **ca);
/* Verify cert as a TLS client certificate issued by the CA: 0, or -1 with
   *error_r naming OpenSSL's reason */
int haproxy_tlv_cert_verify(struct haproxy_tlv_cert_ca *ca, X509 *cert,
			    const char **error_r);

#endif
