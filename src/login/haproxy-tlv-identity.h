#ifndef HAPROXY_TLV_IDENTITY_H
#define HAPROXY_TLV_IDENTITY_H

/* The client's identity from the certificate the proxy forwards: parsed
   when the header arrives, and turned into cert_username with Dovecot's
   own settings for the client, as Dovecot takes it from a client's
   certificate itself. */

#include "haproxy-tlv-custom.h"

struct haproxy_tlv_header;

/* Dovecot's settings for the client that the identity depends on */
struct haproxy_tlv_identity_settings {
	/* ssl_cert_username_field / ssl_server_cert_username_field */
	const char *username_field;
	/* ssl_ca / ssl_server_ca_file: PEM with CA certificates and CRLs */
	const char *ca_pem;
	/* ssl_require_crl / ssl_server_require_crl */
	bool require_crl;
};

/* The certificate fields of a certificate that gives an identity */
#define HAPROXY_TLV_IDENTITY_FIELDS_MAX 5

/* Parse the certificate the header carries into header->cert. -1 with
   *reason_r if the header is invalid with it: an SSL CLIENT_CERT that is
   no certificate, or more than one haproxy_tlv_cert_tlv TLV. A custom TLV
   that cannot be parsed only sets header->cert_refused: a proxy
   configured with HAProxy's cut %[ssl_c_der] would otherwise lock out
   every client; haproxy_tlv_identity_username() logs it with the
   client. */
int haproxy_tlv_identity_load(struct haproxy_tlv_header *header,
			      const char **reason_r);

/* The client's cert_username (on the data stack), NULL for none. A
   certificate or CN refused sets header->cert_refused, and every refusal
   is logged on event, the client's. fields_r gets the certificate's fields when it gives the
   identity. The certificate is freed: it is needed no more. */
const char *
haproxy_tlv_identity_username(struct haproxy_tlv_header *header,
			      const struct haproxy_tlv_identity_settings *set,
			      struct event *event,
			      struct haproxy_tlv_custom_field fields_r[HAPROXY_TLV_IDENTITY_FIELDS_MAX],
			      unsigned int *field_count_r);

void haproxy_tlv_identity_deinit(void);

#endif
