/* Loaded by Dovecot's config process (and doveconf) from its settings
   module directory: makes the haproxy_tlv_* settings known to doveconf and
   checked when Dovecot starts. The config process looks up
   <name>_set_roots (2.3) or <name>_set_infos (2.4), and calls
   <name>_init (config_parse_load_modules() runs module_dir_init()). */

#include "lib.h"
#include "settings-parser.h"
#if !DOVECOT_PREREQ(2, 4, 0)
#  include "config-parser-private.h"
#endif
#include "haproxy-tlv-settings.h"

#if DOVECOT_PREREQ(2, 4, 0)
#  define HAPROXY_TLV_SETTINGS_LIST haproxy_tlv_settings_set_infos
#else
#  define HAPROXY_TLV_SETTINGS_LIST haproxy_tlv_settings_set_roots
#endif

struct module;

extern const struct setting_parser_info *HAPROXY_TLV_SETTINGS_LIST[];
extern const char *haproxy_tlv_settings_version;
void haproxy_tlv_settings_init(struct module *module);
void haproxy_tlv_settings_deinit(void);

const struct setting_parser_info *HAPROXY_TLV_SETTINGS_LIST[] = {
	&haproxy_tlv_setting_parser_info,
	NULL
};

/* checked against the config process's ABI version when it loads us */
const char *haproxy_tlv_settings_version = DOVECOT_ABI_VERSION;

#if DOVECOT_PREREQ(2, 4, 0)
/* 2.4: the settings' ext_check_func reads haproxy_trusted_networks */
void haproxy_tlv_settings_init(struct module *module ATTR_UNUSED)
{
}

void haproxy_tlv_settings_deinit(void)
{
}
#else
/* 2.3: a check_func sees only its own struct, and haproxy_trusted_networks
   is a master service setting. When the whole file has been parsed, the
   config process calls hook_config_parser_end: compare the two lists of
   the global configuration there (those of filter blocks are compared by
   the login process, per connection). */
static int (*next_hook_config_parser_end)(struct config_parser_context *ctx,
					  const char **error_r);

/* The global value of a string setting, NULL if no parser has it */
static const char *
config_global_setting(struct config_parser_context *ctx, const char *key)
{
	struct config_module_parser *p;
	enum setting_type type;
	const char *const *value;

	for (p = ctx->root_parsers; p->root != NULL; p++) {
		value = settings_parse_get_value(p->parser, key, &type);
		if (value != NULL && (type == SET_STR || type == SET_STR_VARS))
			return *value;
	}
	return NULL;
}

static int
haproxy_tlv_config_parser_end(struct config_parser_context *ctx,
			      const char **error_r)
{
	const char *direct, *trusted;

	if (next_hook_config_parser_end != NULL &&
	    next_hook_config_parser_end(ctx, error_r) < 0)
		return -1;
	direct = config_global_setting(ctx, "haproxy_tlv_direct_networks");
	trusted = config_global_setting(ctx, "haproxy_trusted_networks");
	if (direct == NULL || trusted == NULL)
		return 0;
	return haproxy_tlv_settings_networks_disjoint(direct, trusted,
						      error_r) ? 0 : -1;
}

void haproxy_tlv_settings_init(struct module *module ATTR_UNUSED)
{
	next_hook_config_parser_end = hook_config_parser_end;
	hook_config_parser_end = haproxy_tlv_config_parser_end;
}

void haproxy_tlv_settings_deinit(void)
{
	hook_config_parser_end = next_hook_config_parser_end;
}
#endif
