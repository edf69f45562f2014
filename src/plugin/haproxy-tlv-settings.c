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
	DEF(ENUM, haproxy_tlv_client_cert),
	DEF(BOOL, haproxy_tlv_require_client_cert),
	DEF(BOOL, haproxy_tlv_require_tls),

	SETTING_DEFINE_LIST_END
};

static const struct haproxy_tlv_settings haproxy_tlv_default_settings = {
	/* SET_ENUM: the first value is the default */
	.haproxy_tlv_client_cert = "verified:present:ignore",
	.haproxy_tlv_require_client_cert = FALSE,
	.haproxy_tlv_require_tls = FALSE,
};

const struct setting_parser_info haproxy_tlv_setting_parser_info = {
	.module_name = HAPROXY_TLV_SETTINGS_MODULE,
	.defines = haproxy_tlv_setting_defines,
	.defaults = &haproxy_tlv_default_settings,

	.type_offset = SIZE_MAX,
	.struct_size = sizeof(struct haproxy_tlv_settings),

	.parent_offset = SIZE_MAX,
	.check_func = haproxy_tlv_settings_check,
};

bool haproxy_tlv_client_cert_parse(const char *value,
				   enum haproxy_tlv_client_cert *policy_r)
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

static bool haproxy_tlv_settings_check(void *_set, pool_t pool ATTR_UNUSED,
				       const char **error_r)
{
	struct haproxy_tlv_settings *set = _set;
	enum haproxy_tlv_client_cert policy;

	if (!haproxy_tlv_client_cert_parse(set->haproxy_tlv_client_cert,
					   &policy)) {
		/* SET_ENUM has already refused anything else */
		*error_r = t_strdup_printf(
			"haproxy_tlv_client_cert: Invalid value '%s' "
			"(expected verified, present or ignore)",
			set->haproxy_tlv_client_cert);
		return FALSE;
	}
	if (set->haproxy_tlv_require_client_cert &&
	    policy == HAPROXY_TLV_CLIENT_CERT_IGNORE) {
		*error_r = "haproxy_tlv_require_client_cert = yes cannot be "
			"satisfied with haproxy_tlv_client_cert = ignore";
		return FALSE;
	}
	return TRUE;
}
