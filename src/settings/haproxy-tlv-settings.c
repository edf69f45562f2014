/* The plugin's own settings. The same definitions are compiled into the
   config process's settings module (so doveconf knows and checks them) and
   into the login plugin (so it can parse what config sends). */

#include "lib.h"
#include "settings-parser.h"
#include "haproxy-tlv-settings.h"

#include <stddef.h>

static bool haproxy_tlv_settings_check(void *_set, pool_t pool,
				       const char **error_r);

#undef DEF
#define DEF(type, name) \
	SETTING_DEFINE_STRUCT_##type(#name, name, struct haproxy_tlv_settings)

static const struct setting_define haproxy_tlv_setting_defines[] = {
	DEF(STR, haproxy_tlv_client_cert),
	DEF(STR, haproxy_tlv_require_client_cert),
	DEF(STR, haproxy_tlv_require_tls),

	SETTING_DEFINE_LIST_END
};

static const struct haproxy_tlv_settings haproxy_tlv_default_settings = {
	.haproxy_tlv_client_cert = "verified",
	.haproxy_tlv_require_client_cert = "no",
	.haproxy_tlv_require_tls = "no",
};

const struct setting_parser_info haproxy_tlv_setting_parser_info = {
#if DOVECOT_PREREQ(2, 4, 0)
	.name = HAPROXY_TLV_SETTINGS_NAME,
	.defines = haproxy_tlv_setting_defines,
	.defaults = &haproxy_tlv_default_settings,

	.struct_size = sizeof(struct haproxy_tlv_settings),
	.pool_offset1 = 1 + offsetof(struct haproxy_tlv_settings, pool),
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
			&policy_r->require_tls, error_r))
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
