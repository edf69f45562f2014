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

/* Kept as strings and validated by haproxy_tlv_settings_parse(): Dovecot's
   own enum and boolean errors do not name the setting. */
struct haproxy_tlv_settings {
	const char *haproxy_tlv_client_cert;
	const char *haproxy_tlv_require_client_cert;
	const char *haproxy_tlv_require_tls;
};

struct haproxy_tlv_policy {
	enum haproxy_tlv_client_cert client_cert;
	bool require_client_cert;
	bool require_tls;
};

bool haproxy_tlv_settings_parse(const struct haproxy_tlv_settings *set,
				struct haproxy_tlv_policy *policy_r,
				const char **error_r);

extern const struct setting_parser_info haproxy_tlv_setting_parser_info;

#endif
