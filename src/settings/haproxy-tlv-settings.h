#ifndef HAPROXY_TLV_SETTINGS_H
#define HAPROXY_TLV_SETTINGS_H

#include "haproxy-tlv-policy.h"

#define HAPROXY_TLV_SETTINGS_MODULE "haproxy-tlv"

/* Kept as strings and validated by haproxy_tlv_settings_parse(): Dovecot's
   own enum and boolean errors do not name the setting. */
struct haproxy_tlv_settings {
	const char *haproxy_tlv_client_cert;
	const char *haproxy_tlv_require_client_cert;
	const char *haproxy_tlv_require_tls;
};

bool haproxy_tlv_settings_parse(const struct haproxy_tlv_settings *set,
				struct haproxy_tlv_policy *policy_r,
				const char **error_r);

extern const struct setting_parser_info haproxy_tlv_setting_parser_info;

#endif
