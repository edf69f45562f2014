/* The identity a forwarded client certificate gives: see
   haproxy-tlv-identity.h */

#include "lib.h"
#include "str-sanitize.h"
#include "haproxy-tlv-cert.h"
#include "haproxy-tlv-plugin.h"
#include "haproxy-tlv-identity.h"

/* The CA of the last verification: a login process's clients almost
   always share one ssl_ca */
static struct {
	char *pem;
	bool require_crl;
	struct haproxy_tlv_cert_ca *ca;
} identity_ca;

static void identity_log_refusal(struct event *event, const char *reason)
{
	struct event_passthrough *e =
		event_create_passthrough(event)->
		add_category(&event_category_haproxy_tlv)->
		set_name("haproxy_tlv_cert_refused")->
		add_str("reason", reason);

	e_warning(e->event(), "haproxy-tlv: Client certificate gives no "
		  "identity: %s", reason);
}

static void
identity_refuse(struct haproxy_tlv_header *header, const char *reason)
{
	i_free(header->cert_refused);
	header->cert_refused = i_strdup(reason);
}

/* The certificate in the custom TLV haproxy_tlv_cert_tlv, if any */
static int
identity_load_tlv(struct haproxy_tlv_header *header, const char **reason_r)
{
	uint8_t type = header->policy.cert_tlv;
	enum haproxy_tlv_cert_encoding encoding;
	struct proxy_header_tlv tlv;
	const char *error;
	X509 *cert;

	switch (proxy_header_tlv_find(&header->hdr, type, &tlv, &error)) {
	case PROXY_HEADER_FIND_ABSENT:
		return 0;
	case PROXY_HEADER_FIND_INVALID:
		*reason_r = t_strdup_printf("more than one certificate TLV "
					    "0x%02X (haproxy_tlv_cert_tlv)",
					    type);
		return -1;
	case PROXY_HEADER_FIND_FOUND:
		break;
	}
	/* what HAProxy's sample gives for a client without a certificate */
	if (tlv.value.size == 0)
		return 0;
	cert = haproxy_tlv_cert_parse(tlv.value.data, tlv.value.size,
				      &encoding, &error);
	if (cert == NULL) {
		identity_refuse(header, t_strdup_printf(
			"certificate TLV 0x%02X (haproxy_tlv_cert_tlv): %s",
			type, error));
		return 0;
	}
	if (header->cert == NULL) {
		header->cert = cert;
		return 0;
	}
	/* two certificates: neither is the client's for sure */
	if (X509_cmp(header->cert, cert) != 0) {
		identity_refuse(header, t_strdup_printf(
			"the SSL CLIENT_CERT and the certificate TLV 0x%02X "
			"(haproxy_tlv_cert_tlv) differ", type));
	}
	X509_free(cert);
	return 0;
}

int haproxy_tlv_identity_load(struct haproxy_tlv_header *header,
			      const char **reason_r)
{
	const struct proxy_header_bytes *der = &header->hdr.ssl_client_cert;
	const char *error;

	if (der->data != NULL) {
		header->cert = haproxy_tlv_cert_parse_der(der->data, der->size,
							  &error);
		if (header->cert == NULL) {
			*reason_r = t_strdup_printf("SSL CLIENT_CERT: %s",
						    error);
			return -1;
		}
	}
	if (header->policy.cert_tlv == 0)
		return 0;
	return identity_load_tlv(header, reason_r);
}

static struct haproxy_tlv_cert_ca *
identity_ca_get(const struct haproxy_tlv_identity_settings *set,
		const char **error_r)
{
	if (identity_ca.ca != NULL && identity_ca.require_crl == set->require_crl &&
	    strcmp(identity_ca.pem, set->ca_pem) == 0)
		return identity_ca.ca;

	haproxy_tlv_identity_deinit();
	if (haproxy_tlv_cert_ca_load(set->ca_pem, set->require_crl,
				     &identity_ca.ca, error_r) < 0)
		return NULL;
	identity_ca.pem = i_strdup(set->ca_pem);
	identity_ca.require_crl = set->require_crl;
	return identity_ca.ca;
}

/* Defence in depth: the proxy's verify result is not the only one */
static bool
identity_verify(X509 *cert, const struct haproxy_tlv_identity_settings *set,
		const char **reason_r)
{
	struct haproxy_tlv_cert_ca *ca;
	const char *error;

	if (set->ca_pem == NULL || set->ca_pem[0] == '\0') {
		*reason_r = "haproxy_tlv_cert_verify = yes, but Dovecot has "
			"no client CA (ssl_ca / ssl_server_ca_file)";
		return FALSE;
	}
	if ((ca = identity_ca_get(set, &error)) == NULL) {
		*reason_r = t_strdup_printf("haproxy_tlv_cert_verify = yes, "
					    "but the client CA is unusable: %s",
					    error);
		return FALSE;
	}
	if (haproxy_tlv_cert_verify(ca, cert, &error) < 0) {
		*reason_r = t_strdup_printf("not valid for Dovecot's client "
					    "CA (haproxy_tlv_cert_verify): %s",
					    error);
		return FALSE;
	}
	return TRUE;
}

/* A CN the proxy forwards beside the certificate must be the
   certificate's: otherwise one of them is not the client's */
static bool
identity_cn_matches(X509 *cert, const char *forwarded_cn,
		    const char **reason_r)
{
	const char *cn, *error;

	switch (haproxy_tlv_cert_subject_field(cert, "commonName", &cn,
					       &error)) {
	case -1:
		*reason_r = t_strdup_printf("the certificate's CN: %s", error);
		return FALSE;
	case 0:
		*reason_r = "a CN was forwarded, but the certificate has none";
		return FALSE;
	}
	if (strcmp(cn, forwarded_cn) != 0) {
		*reason_r = t_strdup_printf(
			"the certificate's CN '%s' differs from the forwarded "
			"CN '%s'", str_sanitize(cn, 64),
			str_sanitize(forwarded_cn, 64));
		return FALSE;
	}
	return TRUE;
}

static void
identity_cert_fields(X509 *cert,
		     struct haproxy_tlv_custom_field fields_r[HAPROXY_TLV_IDENTITY_FIELDS_MAX],
		     unsigned int *count_r)
{
	struct haproxy_tlv_cert_info info;

	haproxy_tlv_cert_describe(cert, &info);
	fields_r[0].name = "haproxy_cert_subject";
	fields_r[0].value = info.subject;
	fields_r[1].name = "haproxy_cert_issuer";
	fields_r[1].value = info.issuer;
	fields_r[2].name = "haproxy_cert_serial";
	fields_r[2].value = info.serial;
	fields_r[3].name = "haproxy_cert_fingerprint";
	fields_r[3].value = info.fingerprint;
	fields_r[4].name = "haproxy_cert_not_after";
	fields_r[4].value = info.not_after;
	*count_r = 5;
}

static const char *
identity_from_cert(X509 *cert, const struct haproxy_tlv_header *header,
		   const struct haproxy_tlv_identity_settings *set,
		   const char **reason_r)
{
	const char *username, *error;

	/* haproxy_tlv_client_cert = present takes unverified certificates,
	   but only ones the SSL TLV says the client presented: the custom
	   TLV is tied to nothing else */
	if (!proxy_header_client_cert_presented(&header->hdr)) {
		*reason_r = "the SSL TLV does not say that the client "
			"presented a certificate";
		return NULL;
	}
	if (header->policy.cert_verify && !identity_verify(cert, set, reason_r))
		return NULL;
	if (header->ssl_cn != NULL &&
	    !identity_cn_matches(cert, header->ssl_cn, reason_r))
		return NULL;
	switch (haproxy_tlv_cert_subject_field(cert, set->username_field,
					       &username, &error)) {
	case -1:
		*reason_r = t_strdup_printf("%s (username field '%s')", error,
					    set->username_field);
		return NULL;
	case 0:
		*reason_r = t_strdup_printf("the certificate's subject has no "
					    "%s (the username field)",
					    set->username_field);
		return NULL;
	}
	return username;
}

/* Only the CN was forwarded: what the proxy verified is all there is */
static const char *
identity_from_cn(const struct haproxy_tlv_header *header,
		 const struct haproxy_tlv_identity_settings *set,
		 const char **reason_r)
{
	if (header->policy.cert_verify) {
		*reason_r = "haproxy_tlv_cert_verify = yes, but the proxy "
			"forwarded only the CN, not the certificate";
		return NULL;
	}
	if (!haproxy_tlv_cert_field_is_cn(set->username_field)) {
		*reason_r = t_strdup_printf(
			"the username field is %s, but the proxy forwarded "
			"only the CN, not the certificate",
			set->username_field);
		return NULL;
	}
	return haproxy_tlv_policy_cert_username(&header->policy, header);
}

static const char *
identity_decide(struct haproxy_tlv_header *header,
		const struct haproxy_tlv_identity_settings *set,
		struct event *event,
		struct haproxy_tlv_custom_field fields_r[HAPROXY_TLV_IDENTITY_FIELDS_MAX],
		unsigned int *field_count_r)
{
	const char *username, *reason = NULL;

	/* a certificate that could not be parsed: whether or not it would
	   have counted, the proxy's configuration needs fixing */
	if (header->cert_refused != NULL) {
		identity_log_refusal(event, header->cert_refused);
		return NULL;
	}
	if (!haproxy_tlv_policy_cert_counts(&header->policy, header))
		return NULL;
	if (header->cert == NULL && header->ssl_cn == NULL) {
		if (!header->policy.cert_verify)
			return NULL;
		/* nothing to verify: neither auth's valid-client-cert flag
		   nor haproxy_tlv_require_client_cert may rest on the proxy's
		   word alone */
		reason = "haproxy_tlv_cert_verify = yes, but the proxy "
			"forwarded neither the certificate nor its CN";
		username = NULL;
	} else if (header->cert == NULL) {
		username = identity_from_cn(header, set, &reason);
	} else {
		username = identity_from_cert(header->cert, header, set,
					      &reason);
	}
	if (username == NULL) {
		i_assert(reason != NULL);
		identity_log_refusal(event, reason);
		identity_refuse(header, reason);
		return NULL;
	}
	if (header->cert != NULL)
		identity_cert_fields(header->cert, fields_r, field_count_r);
	return username;
}

const char *
haproxy_tlv_identity_username(struct haproxy_tlv_header *header,
			      const struct haproxy_tlv_identity_settings *set,
			      struct event *event,
			      struct haproxy_tlv_custom_field fields_r[HAPROXY_TLV_IDENTITY_FIELDS_MAX],
			      unsigned int *field_count_r)
{
	const char *username;

	*field_count_r = 0;
	username = identity_decide(header, set, event, fields_r,
				   field_count_r);
	/* decided once for the client's life: a login process holds
	   thousands of clients, none of which needs its certificate again */
	X509_free(header->cert);
	header->cert = NULL;
	return username;
}

void haproxy_tlv_identity_deinit(void)
{
	if (identity_ca.ca != NULL)
		haproxy_tlv_cert_ca_free(&identity_ca.ca);
	i_free_and_null(identity_ca.pem);
}
