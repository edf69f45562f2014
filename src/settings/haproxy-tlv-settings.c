/* The plugin's own settings. The same definitions are compiled into the
   config process's settings module (so doveconf knows and checks them) and
   into the login plugin (so it can parse what config sends). */

#include "lib.h"
#include "net.h"
#include "settings-parser.h"
#include "strnum.h"
#if DOVECOT_PREREQ(2, 4, 0)
#  include "settings.h"
#  include "master-service-settings.h"
#endif
#include "haproxy-tlv-settings.h"

#include <stddef.h>

/* A header without a certificate never needs more than 1 KiB; a smaller
   maximum would refuse what HAProxy sends */
#define MAX_HEADER_SIZE_MIN 1024

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
	DEF(STR, haproxy_tlv_max_header_size),
	DEF(STR, haproxy_tlv_cert_tlv),
	DEF(STR, haproxy_tlv_cert_verify),
	DEF(STR, haproxy_tlv_vendor_tlvs),
	DEF(STR, haproxy_tlv_custom),

	SETTING_DEFINE_LIST_END
};

static const struct haproxy_tlv_settings haproxy_tlv_default_settings = {
	.haproxy_tlv_client_cert = "verified",
	.haproxy_tlv_require_client_cert = "no",
	.haproxy_tlv_require_tls = "no",
	.haproxy_tlv_direct_networks = "",
	.haproxy_tlv_assume_tls = "no",
	.haproxy_tlv_max_header_size = "16384",
	.haproxy_tlv_cert_tlv = "0",
	.haproxy_tlv_cert_verify = "no",
	.haproxy_tlv_vendor_tlvs = "aws azure",
	.haproxy_tlv_custom = "",
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

static bool
parse_max_header_size(const char *value, size_t *size_r,
		      const char **error_r)
{
	uintmax_t size;

	if (str_to_uintmax(value, &size) < 0 || size < MAX_HEADER_SIZE_MIN ||
	    size > PROXY_HEADER_V2_MAX_SIZE) {
		*error_r = t_strdup_printf(
			"haproxy_tlv_max_header_size: Invalid value '%s' "
			"(expected bytes from %u to %u)", value,
			MAX_HEADER_SIZE_MIN, PROXY_HEADER_V2_MAX_SIZE);
		return FALSE;
	}
	*size_r = size;
	return TRUE;
}

/* 0xE1 or 225 */
static bool parse_tlv_type(const char *str, unsigned int *type_r)
{
	uintmax_t type;

	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
		if (str[2] == '\0' || str_to_uintmax_hex(str + 2, &type) < 0)
			return FALSE;
	} else if (str_to_uintmax(str, &type) < 0) {
		return FALSE;
	}
	if (type > 0xff)
		return FALSE;
	*type_r = type;
	return TRUE;
}

static bool is_custom_type(unsigned int type)
{
	return type >= PROXY_HEADER_TLV_CUSTOM_MIN &&
		type <= PROXY_HEADER_TLV_CUSTOM_MAX;
}

static bool
parse_cert_tlv(const char *value, uint8_t *type_r, const char **error_r)
{
	unsigned int type;

	if (!parse_tlv_type(value, &type) ||
	    (type != 0 && !is_custom_type(type))) {
		*error_r = t_strdup_printf(
			"haproxy_tlv_cert_tlv: Invalid value '%s' (expected 0 "
			"or a custom TLV type from 0xE0 to 0xEF)", value);
		return FALSE;
	}
	*type_r = type;
	return TRUE;
}

static const struct {
	const char *name;
	enum haproxy_tlv_vendor vendor;
	uint8_t type;
} vendors[] = {
	{ "aws", HAPROXY_TLV_VENDOR_AWS, HAPROXY_TLV_VENDOR_AWS_TYPE },
	{ "azure", HAPROXY_TLV_VENDOR_AZURE, HAPROXY_TLV_VENDOR_AZURE_TYPE },
	{ "gcp", HAPROXY_TLV_VENDOR_GCP, HAPROXY_TLV_VENDOR_GCP_TYPE },
};

static bool
parse_vendors(const char *value, unsigned int *vendors_r, const char **error_r)
{
	const char *const *name;
	unsigned int i;

	*vendors_r = 0;
	for (name = t_strsplit_spaces(value, ", "); *name != NULL; name++) {
		if (strcmp(*name, "none") == 0)
			continue;
		for (i = 0; i < N_ELEMENTS(vendors); i++) {
			if (strcmp(*name, vendors[i].name) == 0)
				break;
		}
		if (i == N_ELEMENTS(vendors)) {
			*error_r = t_strdup_printf(
				"haproxy_tlv_vendor_tlvs: Unknown vendor '%s' "
				"(expected aws, azure, gcp or none)", *name);
			return FALSE;
		}
		*vendors_r |= vendors[i].vendor;
	}
	return TRUE;
}

static bool is_custom_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > HAPROXY_TLV_CUSTOM_NAME_MAX_LEN)
		return FALSE;
	for (size_t i = 0; i < len; i++) {
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return FALSE;
	}
	return TRUE;
}

static bool
parse_custom_entry(const char *entry, struct haproxy_tlv_custom_set *set,
		   const char **error_r)
{
	struct haproxy_tlv_custom_tlv *custom;
	const char *colon = strchr(entry, ':');
	unsigned int type;

	if (colon == NULL || !parse_tlv_type(t_strdup_until(entry, colon),
					     &type) ||
	    !is_custom_type(type) || !is_custom_name(colon + 1)) {
		*error_r = t_strdup_printf(
			"haproxy_tlv_custom: Invalid entry '%s' (expected "
			"<type>:<name>, a type from 0xE0 to 0xEF and a name "
			"of up to %u characters a-z, 0-9 and _)", entry,
			HAPROXY_TLV_CUSTOM_NAME_MAX_LEN);
		return FALSE;
	}
	if (set->custom_count == HAPROXY_TLV_CUSTOM_MAX) {
		*error_r = t_strdup_printf(
			"haproxy_tlv_custom: More than %u entries",
			HAPROXY_TLV_CUSTOM_MAX);
		return FALSE;
	}
	for (unsigned int i = 0; i < set->custom_count; i++) {
		if (set->custom[i].type == type ||
		    strcmp(set->custom[i].name, colon + 1) == 0) {
			*error_r = t_strdup_printf(
				"haproxy_tlv_custom: '%s' repeats the type or "
				"the name of another entry", entry);
			return FALSE;
		}
	}
	custom = &set->custom[set->custom_count++];
	custom->type = type;
	/* is_custom_name() checked the length */
	if (i_strocpy(custom->name, colon + 1, sizeof(custom->name)) < 0)
		i_unreached();
	return TRUE;
}

static bool
parse_custom(const char *value, struct haproxy_tlv_custom_set *set,
	     const char **error_r)
{
	const char *const *entry;

	set->custom_count = 0;
	for (entry = t_strsplit_spaces(value, ", "); *entry != NULL; entry++) {
		if (!parse_custom_entry(*entry, set, error_r))
			return FALSE;
	}
	return TRUE;
}

/* The vendor whose TLV type this is, if haproxy_tlv_vendor_tlvs has it */
static const char *
enabled_vendor_of_type(const struct haproxy_tlv_policy *policy, uint8_t type)
{
	for (unsigned int i = 0; i < N_ELEMENTS(vendors); i++) {
		if ((policy->custom.vendors & vendors[i].vendor) != 0 &&
		    vendors[i].type == type)
			return vendors[i].name;
	}
	return NULL;
}

/* Each custom type has one meaning: a certificate, a vendor's id or a
   named field */
static bool
custom_types_distinct(const struct haproxy_tlv_policy *policy,
		      const char **error_r)
{
	const struct haproxy_tlv_custom_set *set = &policy->custom;
	const char *vendor;

	if (policy->cert_tlv != 0 &&
	    (vendor = enabled_vendor_of_type(policy, policy->cert_tlv)) != NULL) {
		*error_r = t_strdup_printf(
			"haproxy_tlv_cert_tlv: Type 0x%02X is also "
			"haproxy_tlv_vendor_tlvs %s's", policy->cert_tlv,
			vendor);
		return FALSE;
	}
	for (unsigned int i = 0; i < set->custom_count; i++) {
		uint8_t type = set->custom[i].type;
		const char *use = type == policy->cert_tlv ?
			"haproxy_tlv_cert_tlv" : NULL;

		if (use == NULL &&
		    (vendor = enabled_vendor_of_type(policy, type)) != NULL)
			use = t_strdup_printf("haproxy_tlv_vendor_tlvs %s", vendor);
		if (use != NULL) {
			*error_r = t_strdup_printf(
				"haproxy_tlv_custom: Type 0x%02X of '%s' is "
				"also %s", type, set->custom[i].name, use);
			return FALSE;
		}
	}
	return TRUE;
}

bool haproxy_tlv_settings_parse_custom(const char *cert_tlv,
				       const char *vendor_tlvs,
				       const char *custom,
				       struct haproxy_tlv_policy *policy_r,
				       const char **error_r)
{
	i_zero(&policy_r->custom);
	return parse_cert_tlv(cert_tlv, &policy_r->cert_tlv, error_r) &&
		parse_vendors(vendor_tlvs, &policy_r->custom.vendors,
			      error_r) &&
		parse_custom(custom, &policy_r->custom, error_r) &&
		custom_types_distinct(policy_r, error_r);
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
	i_zero(policy_r);
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
	if (!parse_max_header_size(set->haproxy_tlv_max_header_size,
				   &policy_r->max_header_size, error_r) ||
	    !parse_bool("haproxy_tlv_cert_verify",
			set->haproxy_tlv_cert_verify,
			&policy_r->cert_verify, error_r) ||
	    !haproxy_tlv_settings_parse_custom(set->haproxy_tlv_cert_tlv,
					       set->haproxy_tlv_vendor_tlvs,
					       set->haproxy_tlv_custom,
					       policy_r, error_r))
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
