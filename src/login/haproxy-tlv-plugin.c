/* Login plugin entry points: read the plugin's settings, take over the
   PROXY header of `haproxy = yes` listeners, hook login clients. */

#include "lib.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "settings-parser.h"
#include "master-service-settings-cache.h"
#include "login-common.h"
#include "haproxy-tlv-plugin.h"

extern const char *haproxy_tlv_plugin_version;
void haproxy_tlv_plugin_init(struct module *module);
void haproxy_tlv_plugin_deinit(void);

const char *haproxy_tlv_plugin_version = DOVECOT_ABI_VERSION;

struct event_category event_category_haproxy_tlv = {
	.name = "haproxy_tlv",
};
struct event *haproxy_tlv_event;
struct haproxy_tlv_policy haproxy_tlv_policy;

/* The settings are global (not per local/remote block): read once at
   start-up, the way login-common reads its own, and parsed into
   haproxy_tlv_policy. Nothing points into the settings afterwards: the
   cache that holds them is freed at once. */
static void haproxy_tlv_settings_read(void)
{
	static const struct setting_parser_info *roots[] = {
		&haproxy_tlv_setting_parser_info,
		NULL
	};
	struct master_service_settings_cache *cache;
	struct master_service_settings_input input;
	const struct setting_parser_context *parser;
	const struct haproxy_tlv_settings *set;
	const char *error;
	void **sets;
	bool valid;

	i_zero(&input);
	input.roots = roots;
	input.module = HAPROXY_TLV_SETTINGS_MODULE;
	input.service = login_binary->protocol;

	cache = master_service_settings_cache_init(master_service, input.module,
						   input.service);
	if (master_service_settings_cache_read(cache, &input, NULL, &parser,
					       &error) < 0)
		i_fatal("haproxy-tlv: Error reading configuration: %s", error);
	sets = master_service_settings_parser_get_others(master_service, parser);
	set = sets[0];
	/* the error, if any, is static or on the data stack, not in the
	   cache */
	valid = haproxy_tlv_settings_parse(set, &haproxy_tlv_policy, &error);
	master_service_settings_cache_deinit(&cache);
	if (!valid)
		i_fatal("haproxy-tlv: %s", error);
}

void haproxy_tlv_plugin_init(struct module *module)
{
	haproxy_tlv_event = event_create(NULL);
	event_add_category(haproxy_tlv_event, &event_category_haproxy_tlv);
	event_set_append_log_prefix(haproxy_tlv_event, "haproxy-tlv: ");

	haproxy_tlv_settings_read();
	haproxy_tlv_connections_init();
	haproxy_tlv_client_hooks_init(module);
}

void haproxy_tlv_plugin_deinit(void)
{
	haproxy_tlv_client_hooks_deinit();
	haproxy_tlv_connections_deinit();
	event_unref(&haproxy_tlv_event);
}
