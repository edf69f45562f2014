/* The plugin's settings parsed once per distinct set of values: a login
   process serves its connections with the few sets its filter blocks
   make, and parsing one (networks, lists of custom TLVs, numbers) costs
   more than comparing its strings with those parsed before. */

#include "lib.h"
#include "net.h"
#include "haproxy-tlv-net.h"
#include "haproxy-tlv-plugin.h"

/* distinct sets kept; more are parsed again, the oldest replaced */
#define MEMO_COUNT 4

enum memo_value {
	MEMO_CLIENT_CERT,
	MEMO_REQUIRE_CLIENT_CERT,
	MEMO_REQUIRE_TLS,
	MEMO_DIRECT_NETWORKS,
	MEMO_ASSUME_TLS,
	MEMO_MAX_HEADER_SIZE,
	MEMO_CERT_TLV,
	MEMO_CERT_VERIFY,
	MEMO_VENDOR_TLVS,
	MEMO_CUSTOM,
	MEMO_TRUSTED_NETWORKS,

	MEMO_VALUE_COUNT
};

struct haproxy_tlv_settings_memo {
	bool used;
	char *values[MEMO_VALUE_COUNT];
	/* why the settings are not valid, NULL if they are */
	char *error;
	struct haproxy_tlv_policy policy;
	struct haproxy_tlv_net_list direct_networks;
};

static struct haproxy_tlv_settings_memo memos[MEMO_COUNT];
static unsigned int memo_oldest;

static void
memo_values(const struct haproxy_tlv_settings *set,
	    const char *trusted_networks,
	    const char *values_r[MEMO_VALUE_COUNT])
{
	values_r[MEMO_CLIENT_CERT] = set->haproxy_tlv_client_cert;
	values_r[MEMO_REQUIRE_CLIENT_CERT] = set->haproxy_tlv_require_client_cert;
	values_r[MEMO_REQUIRE_TLS] = set->haproxy_tlv_require_tls;
	values_r[MEMO_DIRECT_NETWORKS] = set->haproxy_tlv_direct_networks;
	values_r[MEMO_ASSUME_TLS] = set->haproxy_tlv_assume_tls;
	values_r[MEMO_MAX_HEADER_SIZE] = set->haproxy_tlv_max_header_size;
	values_r[MEMO_CERT_TLV] = set->haproxy_tlv_cert_tlv;
	values_r[MEMO_CERT_VERIFY] = set->haproxy_tlv_cert_verify;
	values_r[MEMO_VENDOR_TLVS] = set->haproxy_tlv_vendor_tlvs;
	values_r[MEMO_CUSTOM] = set->haproxy_tlv_custom;
	values_r[MEMO_TRUSTED_NETWORKS] = trusted_networks;
}

static bool
memo_matches(const struct haproxy_tlv_settings_memo *memo,
	     const char *const values[MEMO_VALUE_COUNT])
{
	if (!memo->used)
		return FALSE;
	for (unsigned int i = 0; i < MEMO_VALUE_COUNT; i++) {
		if (null_strcmp(memo->values[i], values[i]) != 0)
			return FALSE;
	}
	return TRUE;
}

static void memo_clear(struct haproxy_tlv_settings_memo *memo)
{
	for (unsigned int i = 0; i < MEMO_VALUE_COUNT; i++)
		i_free(memo->values[i]);
	i_free(memo->error);
	haproxy_tlv_net_list_free(&memo->direct_networks);
	i_zero(memo);
}

static void
memo_parse(struct haproxy_tlv_settings_memo *memo,
	   const struct haproxy_tlv_settings *set,
	   const char *const values[MEMO_VALUE_COUNT])
{
	const char *error;

	memo_clear(memo);
	memo->used = TRUE;
	for (unsigned int i = 0; i < MEMO_VALUE_COUNT; i++)
		memo->values[i] = i_strdup(values[i]);
	if (!haproxy_tlv_settings_parse(set, &memo->policy, &error) ||
	    (values[MEMO_TRUSTED_NETWORKS] != NULL &&
	     !haproxy_tlv_settings_networks_disjoint(
		set->haproxy_tlv_direct_networks,
		values[MEMO_TRUSTED_NETWORKS], &error))) {
		memo->error = i_strdup(error);
		return;
	}
	haproxy_tlv_net_list_update(&memo->direct_networks,
				    set->haproxy_tlv_direct_networks);
}

int haproxy_tlv_settings_memo_parse(const struct haproxy_tlv_settings *set,
				    const char *trusted_networks,
				    struct haproxy_tlv_policy *policy_r,
				    const struct ip_addr *direct_ip,
				    bool *direct_r, const char **error_r)
{
	const char *values[MEMO_VALUE_COUNT];
	struct haproxy_tlv_settings_memo *memo = NULL;

	memo_values(set, trusted_networks, values);
	for (unsigned int i = 0; i < MEMO_COUNT; i++) {
		if (memo_matches(&memos[i], values)) {
			memo = &memos[i];
			break;
		}
	}
	if (memo == NULL) {
		memo = &memos[memo_oldest];
		memo_oldest = (memo_oldest + 1) % MEMO_COUNT;
		memo_parse(memo, set, values);
	}
	if (memo->error != NULL) {
		*error_r = t_strdup(memo->error);
		return -1;
	}
	*policy_r = memo->policy;
	if (direct_ip != NULL) {
		*direct_r = haproxy_tlv_net_list_contains(
			&memo->direct_networks, direct_ip, error_r) > 0;
	}
	return 0;
}

void haproxy_tlv_settings_memo_deinit(void)
{
	for (unsigned int i = 0; i < MEMO_COUNT; i++)
		memo_clear(&memos[i]);
}
