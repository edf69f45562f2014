#ifndef HAPROXY_TLV_CUSTOM_H
#define HAPROXY_TLV_CUSTOM_H

/* Custom TLVs as fields: the cloud load balancers' ones
   (haproxy_tlv_vendor_tlvs) and the ones the administrator named
   (haproxy_tlv_custom). Their types mean something only behind a proxy
   that sends them, so each is decoded only when the settings ask. */

#include <stdbool.h>
#include <stdint.h>

#include "proxy-header.h"

enum haproxy_tlv_vendor {
	HAPROXY_TLV_VENDOR_AWS = 0x01,
	HAPROXY_TLV_VENDOR_AZURE = 0x02,
	HAPROXY_TLV_VENDOR_GCP = 0x04,
};
#define HAPROXY_TLV_VENDOR_COUNT 3

/* haproxy_tlv_custom = 0xE2:tenant: at most this many, names of at most
   HAPROXY_TLV_CUSTOM_NAME_MAX_LEN of [a-z0-9_] */
#define HAPROXY_TLV_CUSTOM_MAX 8
#define HAPROXY_TLV_CUSTOM_NAME_MAX_LEN 32
/* the field of custom name <name> is haproxy_x_<name> */
#define HAPROXY_TLV_CUSTOM_FIELD_PREFIX "haproxy_x_"

struct haproxy_tlv_custom_tlv {
	uint8_t type;
	char name[HAPROXY_TLV_CUSTOM_NAME_MAX_LEN + 1];
};

/* What of the header becomes fields */
struct haproxy_tlv_custom_set {
	/* enum haproxy_tlv_vendor bits */
	unsigned int vendors;
	unsigned int custom_count;
	struct haproxy_tlv_custom_tlv custom[HAPROXY_TLV_CUSTOM_MAX];
};

#define HAPROXY_TLV_CUSTOM_FIELDS_MAX \
	(HAPROXY_TLV_VENDOR_COUNT + HAPROXY_TLV_CUSTOM_MAX)

struct haproxy_tlv_custom_field {
	/* haproxy_aws_vpce_id, haproxy_x_tenant, ... */
	const char *name;
	/* on the data stack */
	const char *value;
};

/* The custom TLV type each vendor uses */
#define HAPROXY_TLV_VENDOR_AWS_TYPE PROXY_HEADER_TLV_AWS
#define HAPROXY_TLV_VENDOR_AZURE_TYPE PROXY_HEADER_TLV_AZURE
#define HAPROXY_TLV_VENDOR_GCP_TYPE PROXY_HEADER_TLV_GCP

/* A named custom TLV's value as its field has it: printable ASCII as it
   is, anything else in hex; on the data stack */
const char *haproxy_tlv_custom_value(const struct proxy_header_bytes *value);

/* The header's fields the set asks for, in the order of the set (vendors
   first). -1 with *error_r (on the data stack) when one of them is not
   valid: more than one TLV of a named type, or a vendor TLV of the wrong
   size. */
int haproxy_tlv_custom_fields(const struct proxy_header *hdr,
			      const struct haproxy_tlv_custom_set *set,
			      struct haproxy_tlv_custom_field fields_r[HAPROXY_TLV_CUSTOM_FIELDS_MAX],
			      unsigned int *count_r, const char **error_r);

#endif
