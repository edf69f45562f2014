/* The plugin's own settings. The same definitions are compiled into the
   config process's settings module (so doveconf knows and checks them) and
   into the login plugin (so it can parse what config sends). */

#include "lib.h"
#include "net.h"
#include "settings-parser.h"
#if DOVECOT_PREREQ(2, 4, 0)
#  include "settings.h"
#  include "master-service-settings.h"
#endif
#include "haproxy-tlv-settings.h"

#include <stddef.h>

static bool haproxy_tlv_settings_check(void *_set, pool_t pool,
				       const char **error_r);
#if DOVECOT_PREREQ(2, 4, 0)
static bool haproxy_tlv_settings_ext_check(struct event *event, void *_set,
					   pool_t pool, const char **error_r);
#endif

#undef DEF
#define DEF(type, name) \
	SETTING_DEFINE_STRUCT_##type(#name, name, struct haproxy_tlv_settings)

static const struct setting_define haproxy_tlv_setting_defines[] = {
	DEF(STR, haproxy_tlv_client_cert),
	DEF(STR, haproxy_tlv_require_client_cert),
	DEF(STR, haproxy_tlv_require_tls),
	DEF(STR, haproxy_tlv_direct_networks),
	DEF(STR, haproxy_tlv_assume_tls),

	SETTING_DEFINE_LIST_END
};

static const struct haproxy_tlv_settings haproxy_tlv_default_settings = {
	.haproxy_tlv_client_cert = "verified",
	.haproxy_tlv_require_client_cert = "no",
	.haproxy_tlv_require_tls = "no",
	.haproxy_tlv_direct_networks = "",
	.haproxy_tlv_assume_tls = "no",
};

const struct setting_parser_info haproxy_tlv_setting_parser_info = {
#if DOVECOT_PREREQ(2, 4, 0)
	.name = HAPROXY_TLV_SETTINGS_NAME,
	.defines = haproxy_tlv_setting_defines,
	.defaults = &haproxy_tlv_default_settings,

	.struct_size = sizeof(struct haproxy_tlv_settings),
	.pool_offset1 = 1 + offsetof(struct haproxy_tlv_settings, pool),
	.ext_check_func = haproxy_tlv_settings_ext_check,
#else
	.module_name = HAPROXY_TLV_SETTINGS_MODULE,
	.defines = haproxy_tlv_setting_defines,
	.defaults = &haproxy_tlv_default_settings,

	.type_offset = SIZE_MAX,
	.struct_size = sizeof(struct haproxy_tlv_settings),

	.parent_offset = SIZE_MAX,
#endif
	.check_func = haproxy_tlv_settings_check,
};

static bool
parse_client_cert(const char *value, enum haproxy_tlv_client_cert *policy_r)
{
	if (strcmp(value, "verified") == 0)
		*policy_r = HAPROXY_TLV_CLIENT_CERT_VERIFIED;
	else if (strcmp(value, "present") == 0)
		*policy_r = HAPROXY_TLV_CLIENT_CERT_PRESENT;
	else if (strcmp(value, "ignore") == 0)
		*policy_r = HAPROXY_TLV_CLIENT_CERT_IGNORE;
	else
		return FALSE;
	return TRUE;
}

/* Exactly what Dovecot 2.3's own boolean settings accept (get_bool() in
   lib-settings/settings-parser.c): yes and y in any case and 1 are true,
   no in any case is false; n and 0 are refused, as Dovecot refuses them */
static bool
parse_bool(const char *key, const char *value, bool *result_r,
	   const char **error_r)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "y") == 0 ||
	    strcmp(value, "1") == 0)
		*result_r = TRUE;
	else if (strcasecmp(value, "no") == 0)
		*result_r = FALSE;
	else {
		*error_r = t_strdup_printf("%s: Invalid value '%s' "
					   "(expected yes or no)", key, value);
		return FALSE;
	}
	return TRUE;
}

/* Networks as Dovecot's *_trusted_networks have them: addresses and
   CIDR ranges separated by spaces or commas */
static const char *const *networks_split(const char *networks)
{
	return t_strsplit_spaces(networks == NULL ? "" : networks, ", ");
}

static bool
haproxy_tlv_networks_valid(const char *key, const char *networks,
			   const char **error_r)
{
	const char *const *net;
	struct ip_addr ip;
	unsigned int bits;

	for (net = networks_split(networks); *net != NULL; net++) {
		if (net_parse_range(*net, &ip, &bits) < 0) {
			*error_r = t_strdup_printf("%s: Invalid network '%s'",
						   key, *net);
			return FALSE;
		}
	}
	return TRUE;
}

/* Two ranges share an address when the wider one contains the other's
   network address */
static bool
ranges_overlap(const struct ip_addr *ip1, unsigned int bits1,
	       const struct ip_addr *ip2, unsigned int bits2)
{
	if (ip1->family != ip2->family)
		return FALSE;
	if (bits1 <= bits2)
		return net_is_in_network(ip2, ip1, bits1);
	return net_is_in_network(ip1, ip2, bits2);
}

bool haproxy_tlv_settings_networks_disjoint(const char *direct_networks,
					    const char *trusted_networks,
					    const char **error_r)
{
	const char *const *direct, *const *trusted;
	struct ip_addr ip1, ip2;
	unsigned int bits1, bits2;

	for (direct = networks_split(direct_networks); *direct != NULL;
	     direct++) {
		if (net_parse_range(*direct, &ip1, &bits1) < 0)
			continue;
		for (trusted = networks_split(trusted_networks);
		     *trusted != NULL; trusted++) {
			if (net_parse_range(*trusted, &ip2, &bits2) < 0 ||
			    !ranges_overlap(&ip1, bits1, &ip2, bits2))
				continue;
			*error_r = t_strdup_printf(
				"haproxy_tlv_direct_networks (%s) and "
				"haproxy_trusted_networks (%s) overlap: an "
				"address must either send a PROXY header or "
				"connect directly", *direct, *trusted);
			return FALSE;
		}
	}
	return TRUE;
}

bool haproxy_tlv_settings_parse(const struct haproxy_tlv_settings *set,
				struct haproxy_tlv_policy *policy_r,
				const char **error_r)
{
	if (!parse_client_cert(set->haproxy_tlv_client_cert,
			       &policy_r->client_cert)) {
		*error_r = t_strdup_printf(
			"haproxy_tlv_client_cert: Invalid value '%s' "
			"(expected verified, present or ignore)",
			set->haproxy_tlv_client_cert);
		return FALSE;
	}
	if (!parse_bool("haproxy_tlv_require_client_cert",
			set->haproxy_tlv_require_client_cert,
			&policy_r->require_client_cert, error_r) ||
	    !parse_bool("haproxy_tlv_require_tls",
			set->haproxy_tlv_require_tls,
			&policy_r->require_tls, error_r) ||
	    !parse_bool("haproxy_tlv_assume_tls",
			set->haproxy_tlv_assume_tls,
			&policy_r->assume_tls, error_r))
		return FALSE;
	if (!haproxy_tlv_networks_valid("haproxy_tlv_direct_networks",
					set->haproxy_tlv_direct_networks,
					error_r))
		return FALSE;
	if (policy_r->require_client_cert &&
	    policy_r->client_cert == HAPROXY_TLV_CLIENT_CERT_IGNORE) {
		*error_r = "haproxy_tlv_require_client_cert = yes cannot be "
			"satisfied with haproxy_tlv_client_cert = ignore";
		return FALSE;
	}
	return TRUE;
}

static bool haproxy_tlv_settings_check(void *_set, pool_t pool ATTR_UNUSED,
				       const char **error_r)
{
	struct haproxy_tlv_policy policy;

	return haproxy_tlv_settings_parse(_set, &policy, error_r);
}

#if DOVECOT_PREREQ(2, 4, 0)
/* haproxy_trusted_networks is a master service setting: 2.4 lets a check
   read it with the same filters as ours, in the config process (doveconf
   and start-up) as in login processes */
static bool
haproxy_tlv_settings_ext_check(struct event *event, void *_set,
			       pool_t pool ATTR_UNUSED, const char **error_r)
{
	const struct haproxy_tlv_settings *set = _set;
	const struct master_service_settings *service_set;
	const char *error;
	bool ret;

	if (set->haproxy_tlv_direct_networks == NULL ||
	    set->haproxy_tlv_direct_networks[0] == '\0')
		return TRUE;
	if (settings_get(event, &master_service_setting_parser_info, 0,
			 &service_set, &error) < 0) {
		/* the config process may not expand everything yet: the
		   login process checks again */
		if (event_get_ptr(event, SETTINGS_EVENT_NO_EXPAND) != NULL)
			return TRUE;
		*error_r = t_strdup_printf("haproxy_trusted_networks: %s",
					   error);
		return FALSE;
	}
	ret = haproxy_tlv_settings_networks_disjoint(
		set->haproxy_tlv_direct_networks,
		service_set->haproxy_trusted_networks, error_r);
	settings_free(service_set);
	return ret;
}
#endif
