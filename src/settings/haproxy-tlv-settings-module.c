/* Loaded by Dovecot's config process (and doveconf) from its settings
   module directory: makes the haproxy_tlv_* settings known to doveconf and
   checked when Dovecot starts. It has no init/deinit functions: the config
   process loads settings modules without requiring them
   (config_parse_load_modules() in 2.3's config-parser.c) and only looks up
   <name>_set_roots (2.3) or <name>_set_infos (2.4). */

#include "lib.h"
#include "settings-parser.h"
#include "haproxy-tlv-settings.h"

#if DOVECOT_PREREQ(2, 4, 0)
#  define HAPROXY_TLV_SETTINGS_LIST haproxy_tlv_settings_set_infos
#else
#  define HAPROXY_TLV_SETTINGS_LIST haproxy_tlv_settings_set_roots
#endif

extern const struct setting_parser_info *HAPROXY_TLV_SETTINGS_LIST[];
extern const char *haproxy_tlv_settings_version;

const struct setting_parser_info *HAPROXY_TLV_SETTINGS_LIST[] = {
	&haproxy_tlv_setting_parser_info,
	NULL
};

/* checked against the config process's ABI version when it loads us */
const char *haproxy_tlv_settings_version = DOVECOT_ABI_VERSION;
