#ifndef HAPROXY_TLV_SETTINGS_H
#define HAPROXY_TLV_SETTINGS_H

#include "haproxy-tlv-policy.h"

/* 2.3: the settings module name login processes ask config for */
#define HAPROXY_TLV_SETTINGS_MODULE "haproxy-tlv"
/* 2.4: the settings struct's name in the configuration */
#define HAPROXY_TLV_SETTINGS_NAME "haproxy_tlv"

/* Kept as strings and validated by haproxy_tlv_settings_parse(): Dovecot's
   own enum and boolean errors do not name the setting. A new setting also
   goes into the key of src/login/haproxy-tlv-settings-memo.c. */
struct haproxy_tlv_settings {
#if DOVECOT_PREREQ(2, 4, 0)
	pool_t pool;
#endif
	const char *haproxy_tlv_client_cert;
	const char *haproxy_tlv_require_client_cert;
	const char *haproxy_tlv_require_tls;
	/* checked against the connection's real peer by the plugin */
	const char *haproxy_tlv_direct_networks;
	const char *haproxy_tlv_assume_tls;
	const char *haproxy_tlv_max_header_size;
	const char *haproxy_tlv_cert_tlv;
	const char *haproxy_tlv_cert_verify;
	const char *haproxy_tlv_vendor_tlvs;
	const char *haproxy_tlv_custom;
};

bool haproxy_tlv_settings_parse(const struct haproxy_tlv_settings *set,
				struct haproxy_tlv_policy *policy_r,
				const char **error_r);

/* haproxy_tlv_cert_tlv, haproxy_tlv_vendor_tlvs and haproxy_tlv_custom
   into the policy, checked against each other: the settings, and
   `doveadm haproxy decode`'s options of the same meaning */
bool haproxy_tlv_settings_parse_custom(const char *cert_tlv,
				       const char *vendor_tlvs,
				       const char *custom,
				       struct haproxy_tlv_policy *policy_r,
				       const char **error_r);

/* FALSE with *error_r naming both settings if a network of one list
   shares an address with a network of the other (identical, containing
   or contained ranges). Invalid networks are left to their own checks. */
bool haproxy_tlv_settings_networks_disjoint(const char *direct_networks,
					    const char *trusted_networks,
					    const char **error_r);

extern const struct setting_parser_info haproxy_tlv_setting_parser_info;

#endif
