/* The header's vendor and named custom TLVs as fields */

#include "lib.h"
#include "str.h"
#include "hex-binary.h"
#include "haproxy-tlv-custom.h"

static void
add_field(struct haproxy_tlv_custom_field *fields, unsigned int *count,
	  const char *name, const char *value)
{
	fields[*count].name = name;
	fields[*count].value = value;
	(*count)++;
}

static int
vendor_fields(const struct proxy_header *hdr, unsigned int vendors,
	      struct haproxy_tlv_custom_field *fields, unsigned int *count,
	      const char **error_r)
{
	struct proxy_header_bytes vpce_id;
	uint32_t link_id;
	uint64_t psc_id;
	const char *reason;

	if ((vendors & HAPROXY_TLV_VENDOR_AWS) != 0) {
		switch (proxy_header_aws_vpce_id(hdr, &vpce_id, &reason)) {
		case PROXY_HEADER_FIND_ABSENT:
			break;
		case PROXY_HEADER_FIND_FOUND:
			add_field(fields, count, "haproxy_aws_vpce_id",
				  t_strndup(vpce_id.data, vpce_id.size));
			break;
		case PROXY_HEADER_FIND_INVALID:
			*error_r = t_strdup_printf("AWS TLV 0xEA: %s", reason);
			return -1;
		}
	}
	if ((vendors & HAPROXY_TLV_VENDOR_AZURE) != 0) {
		switch (proxy_header_azure_link_id(hdr, &link_id, &reason)) {
		case PROXY_HEADER_FIND_ABSENT:
			break;
		case PROXY_HEADER_FIND_FOUND:
			add_field(fields, count, "haproxy_azure_link_id",
				  dec2str(link_id));
			break;
		case PROXY_HEADER_FIND_INVALID:
			*error_r = t_strdup_printf("Azure TLV 0xEE: %s", reason);
			return -1;
		}
	}
	if ((vendors & HAPROXY_TLV_VENDOR_GCP) != 0) {
		switch (proxy_header_gcp_psc_id(hdr, &psc_id, &reason)) {
		case PROXY_HEADER_FIND_ABSENT:
			break;
		case PROXY_HEADER_FIND_FOUND:
			add_field(fields, count, "haproxy_gcp_psc_id",
				  dec2str(psc_id));
			break;
		case PROXY_HEADER_FIND_INVALID:
			*error_r = t_strdup_printf("GCP TLV 0xE0: %s", reason);
			return -1;
		}
	}
	return 0;
}

static bool is_printable(const struct proxy_header_bytes *value)
{
	for (size_t i = 0; i < value->size; i++) {
		if (value->data[i] < 0x20 || value->data[i] >= 0x7f)
			return FALSE;
	}
	return TRUE;
}

/* A tenant name stays readable; no other byte reaches a log line or a
   passdb query unescaped */
const char *haproxy_tlv_custom_value(const struct proxy_header_bytes *value)
{
	if (is_printable(value))
		return t_strndup(value->data, value->size);
	return binary_to_hex(value->data, value->size);
}

int haproxy_tlv_custom_fields(const struct proxy_header *hdr,
			      const struct haproxy_tlv_custom_set *set,
			      struct haproxy_tlv_custom_field fields_r[HAPROXY_TLV_CUSTOM_FIELDS_MAX],
			      unsigned int *count_r, const char **error_r)
{
	struct proxy_header_tlv tlv;
	const char *reason;

	*count_r = 0;
	if (hdr->tlvs.size == 0)
		return 0;
	if (vendor_fields(hdr, set->vendors, fields_r, count_r, error_r) < 0)
		return -1;
	for (unsigned int i = 0; i < set->custom_count; i++) {
		const struct haproxy_tlv_custom_tlv *custom = &set->custom[i];

		switch (proxy_header_tlv_find(hdr, custom->type, &tlv,
					      &reason)) {
		case PROXY_HEADER_FIND_ABSENT:
			break;
		case PROXY_HEADER_FIND_FOUND:
			add_field(fields_r, count_r,
				  t_strconcat(HAPROXY_TLV_CUSTOM_FIELD_PREFIX,
					      custom->name, NULL),
				  haproxy_tlv_custom_value(&tlv.value));
			break;
		case PROXY_HEADER_FIND_INVALID:
			*error_r = t_strdup_printf(
				"custom TLV 0x%02X (haproxy_tlv_custom %s): %s",
				custom->type, custom->name, reason);
			return -1;
		}
	}
	return 0;
}
