/* Custom TLVs found by type, and the cloud load balancers' ones decoded.
   The decoder leaves custom types alone: their meaning depends on the
   proxy, so they are checked only by a caller that knows it. */

#include "proxy-header-private.h"

#define AWS_SUBTYPE_VPCE_ID 0x01
#define AZURE_SUBTYPE_LINK_ID 0x01
#define AZURE_LINK_ID_VALUE_SIZE 5
#define GCP_PSC_ID_SIZE 8

enum proxy_header_find_result
proxy_header_tlv_find(const struct proxy_header *hdr, uint8_t type,
		      struct proxy_header_tlv *tlv_r, const char **reason_r)
{
	struct proxy_header_tlv tlv;
	size_t pos = 0;
	bool found = false;

	while (proxy_header_tlv_next(hdr, &pos, &tlv)) {
		if (tlv.type != type)
			continue;
		if (found) {
			*reason_r = "more than one TLV of the type";
			return PROXY_HEADER_FIND_INVALID;
		}
		*tlv_r = tlv;
		found = true;
	}
	return found ? PROXY_HEADER_FIND_FOUND : PROXY_HEADER_FIND_ABSENT;
}

/* The one TLV of this type whose value starts with this subtype byte;
   other subtypes are someone else's */
static enum proxy_header_find_result
tlv_find_subtype(const struct proxy_header *hdr, uint8_t type,
		 uint8_t subtype, struct proxy_header_bytes *value_r,
		 const char **reason_r)
{
	struct proxy_header_tlv tlv;
	size_t pos = 0;
	bool found = false;

	while (proxy_header_tlv_next(hdr, &pos, &tlv)) {
		if (tlv.type != type || tlv.value.size == 0 ||
		    tlv.value.data[0] != subtype)
			continue;
		if (found) {
			*reason_r = "more than one TLV of the type and subtype";
			return PROXY_HEADER_FIND_INVALID;
		}
		value_r->data = tlv.value.data + 1;
		value_r->size = tlv.value.size - 1;
		found = true;
	}
	return found ? PROXY_HEADER_FIND_FOUND : PROXY_HEADER_FIND_ABSENT;
}

static bool is_printable(const struct proxy_header_bytes *value)
{
	for (size_t i = 0; i < value->size; i++) {
		if (value->data[i] <= 0x20 || value->data[i] >= 0x7f)
			return false;
	}
	return true;
}

enum proxy_header_find_result
proxy_header_aws_vpce_id(const struct proxy_header *hdr,
			 struct proxy_header_bytes *id_r, const char **reason_r)
{
	enum proxy_header_find_result ret;

	ret = tlv_find_subtype(hdr, PROXY_HEADER_TLV_AWS, AWS_SUBTYPE_VPCE_ID,
			       id_r, reason_r);
	if (ret != PROXY_HEADER_FIND_FOUND)
		return ret;
	if (id_r->size == 0 || !is_printable(id_r)) {
		*reason_r = "AWS VPC endpoint id is empty or not printable";
		return PROXY_HEADER_FIND_INVALID;
	}
	return ret;
}

enum proxy_header_find_result
proxy_header_azure_link_id(const struct proxy_header *hdr, uint32_t *id_r,
			   const char **reason_r)
{
	struct proxy_header_bytes value;
	enum proxy_header_find_result ret;

	ret = tlv_find_subtype(hdr, PROXY_HEADER_TLV_AZURE,
			       AZURE_SUBTYPE_LINK_ID, &value, reason_r);
	if (ret != PROXY_HEADER_FIND_FOUND)
		return ret;
	if (value.size != AZURE_LINK_ID_VALUE_SIZE - 1) {
		*reason_r = "Azure link id is not 4 bytes long";
		return PROXY_HEADER_FIND_INVALID;
	}
	*id_r = proxy_header_le32(value.data);
	return ret;
}

enum proxy_header_find_result
proxy_header_gcp_psc_id(const struct proxy_header *hdr, uint64_t *id_r,
			const char **reason_r)
{
	struct proxy_header_tlv tlv;
	enum proxy_header_find_result ret;

	ret = proxy_header_tlv_find(hdr, PROXY_HEADER_TLV_GCP, &tlv, reason_r);
	if (ret == PROXY_HEADER_FIND_INVALID)
		*reason_r = "more than one GCP PSC connection id";
	if (ret != PROXY_HEADER_FIND_FOUND)
		return ret;
	if (tlv.value.size != GCP_PSC_ID_SIZE) {
		*reason_r = "GCP PSC connection id is not 8 bytes long";
		return PROXY_HEADER_FIND_INVALID;
	}
	*id_r = ((uint64_t)proxy_header_be32(tlv.value.data) << 32) |
		proxy_header_be32(tlv.value.data + 4);
	return ret;
}
