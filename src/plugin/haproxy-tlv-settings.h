#ifndef HAPROXY_TLV_SETTINGS_H
#define HAPROXY_TLV_SETTINGS_H

#define HAPROXY_TLV_SETTINGS_MODULE "haproxy-tlv"

enum haproxy_tlv_client_cert {
	/* the CN counts only for a certificate the proxy verified */
	HAPROXY_TLV_CLIENT_CERT_VERIFIED = 0,
	/* the CN counts whenever one is sent (Dovecot 2.3's behaviour) */
	HAPROXY_TLV_CLIENT_CERT_PRESENT,
	HAPROXY_TLV_CLIENT_CERT_IGNORE,
};

struct haproxy_tlv_settings {
	const char *haproxy_tlv_client_cert;
	bool haproxy_tlv_require_client_cert;
	bool haproxy_tlv_require_tls;
};

/* Returns FALSE for a value that is none of the choices */
bool haproxy_tlv_client_cert_parse(const char *value,
				   enum haproxy_tlv_client_cert *policy_r);

extern const struct setting_parser_info haproxy_tlv_setting_parser_info;

#endif
