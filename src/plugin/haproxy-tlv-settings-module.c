/* Loaded by Dovecot's config process from its settings module directory:
   makes the haproxy_tlv_* settings known to doveconf and checked when
   Dovecot starts. */

#include "lib.h"
#include "settings-parser.h"
#include "module-dir.h"
#include "haproxy-tlv-settings.h"

extern const struct setting_parser_info *haproxy_tlv_settings_set_roots[];
extern const char *haproxy_tlv_settings_version;
void haproxy_tlv_settings_init(struct module *module);
void haproxy_tlv_settings_deinit(void);

const struct setting_parser_info *haproxy_tlv_settings_set_roots[] = {
	&haproxy_tlv_setting_parser_info,
	NULL
};

const char *haproxy_tlv_settings_version = DOVECOT_ABI_VERSION;

void haproxy_tlv_settings_init(struct module *module ATTR_UNUSED)
{
}

void haproxy_tlv_settings_deinit(void)
{
}
