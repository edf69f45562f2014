/* libFuzzer target for the PROXY header decoder and encoder. Besides not
   crashing under ASan/UBSan, every answer must be consistent:
   - COMPLETE: the header fits in the input and the default maximum, and
     decoding exactly the header gives the same length (the header never
     depends on the bytes that follow it); encoding what was decoded gives
     a header that decodes to the same fields (decode(encode(x)) == x), of
     the same size for v2 (only the TLV order may differ), and encoding
     that again gives the same bytes;
   - NEED_MORE: at least one more byte, never past the cap;
   - INVALID: a reason;
   - v1: the same answer (result, need, reason, fields) as the strict
     parser alone, without the fast path. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy-header-private.h"
#include "round-trip.h"

static bool
in_tlvs(const struct proxy_header *hdr, const struct proxy_header_bytes *bytes)
{
	return bytes->data >= hdr->tlvs.data &&
		bytes->data + bytes->size <= hdr->tlvs.data + hdr->tlvs.size;
}

/* The custom TLV finders stay inside the TLVs and keep their promises */
static void check_custom(const struct proxy_header *hdr)
{
	struct proxy_header_bytes id;
	struct proxy_header_tlv tlv;
	const char *reason;
	uint32_t link_id;
	uint64_t psc_id;

	if (proxy_header_aws_vpce_id(hdr, &id, &reason) ==
	    PROXY_HEADER_FIND_FOUND && (id.size == 0 || !in_tlvs(hdr, &id)))
		abort();
	(void)proxy_header_azure_link_id(hdr, &link_id, &reason);
	(void)proxy_header_gcp_psc_id(hdr, &psc_id, &reason);
	if (proxy_header_tlv_find(hdr, 0xe1, &tlv, &reason) ==
	    PROXY_HEADER_FIND_FOUND &&
	    (tlv.type != 0xe1 || !in_tlvs(hdr, &tlv.value)))
		abort();
}

static void check_view(const struct proxy_header *hdr)
{
	struct proxy_header_tlv tlv;
	size_t pos = 0;

	while (proxy_header_tlv_next(hdr, &pos, &tlv)) {
		if (tlv.value.data + tlv.value.size >
		    hdr->tlvs.data + hdr->tlvs.size)
			abort();
		(void)proxy_header_tlv_type_name(tlv.type);
	}
	if (proxy_header_client_cert_verified(hdr) &&
	    (!proxy_header_client_cert_presented(hdr) ||
	     !proxy_header_is_tls(hdr) || hdr->ssl_verify != 0))
		abort();
	if (hdr->ssl_cn.data != NULL &&
	    memchr(hdr->ssl_cn.data, '\0', hdr->ssl_cn.size) != NULL)
		abort();
	check_custom(hdr);
}

/* Encode into a heap buffer of exactly the header's size, so that ASan
   sees a write past it; one byte less must be refused */
static unsigned char *
encode_exactly(const struct proxy_header *hdr,
	       const struct proxy_header_raw_tlvs *raw, size_t *size_r)
{
	const char *reason;
	size_t size = proxy_header_encoded_size(hdr, raw, &reason);
	unsigned char *buf;

	if (size == 0 || size > PROXY_HEADER_MAX_SIZE)
		abort();
	if ((buf = malloc(size)) == NULL)
		abort();
	if (proxy_header_encode(hdr, raw, buf, size - 1, &reason) != 0 ||
	    proxy_header_encode(hdr, raw, buf, size, &reason) != size)
		abort();
	*size_r = size;
	return buf;
}

static void check_round_trip(const struct proxy_header *hdr)
{
	static struct round_trip_raw raw;
	struct proxy_header decoded;
	unsigned char *encoded, *again;
	size_t size, again_size, need;
	const char *reason;

	round_trip_raw_tlvs(hdr, &raw);
	encoded = encode_exactly(hdr, &raw.raw, &size);
	if (hdr->version == 2 && size != hdr->size)
		abort();
	if (proxy_header_decode(encoded, size, &decoded, &need,
				&reason) != PROXY_HEADER_COMPLETE ||
	    decoded.size != size ||
	    round_trip_difference(hdr, &raw.raw, &decoded) != NULL)
		abort();

	/* HAProxy's order and spelling are a fixed point */
	round_trip_raw_tlvs(&decoded, &raw);
	again = encode_exactly(&decoded, &raw.raw, &again_size);
	if (again_size != size || memcmp(again, encoded, size) != 0)
		abort();
	free(again);
	free(encoded);
}

static void
check_v1_strict(const uint8_t *data, size_t size, enum proxy_header_result ret,
		const struct proxy_header *hdr, size_t need, const char *reason)
{
	struct proxy_header strict;
	size_t strict_need = 0;
	const char *strict_reason = NULL;

	if (size < PROXY_HEADER_V1_SIGNATURE_SIZE ||
	    memcmp(data, PROXY_HEADER_V1_SIGNATURE,
		   PROXY_HEADER_V1_SIGNATURE_SIZE) != 0)
		return;
	memset(&strict, 0, sizeof(strict));
	if (proxy_header_decode_v1_strict(data, size, &strict, &strict_need,
					  &strict_reason) != ret ||
	    strict_need != need || strict_reason != reason ||
	    (ret == PROXY_HEADER_COMPLETE &&
	     memcmp(&strict, hdr, sizeof(strict)) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header hdr, again;
	size_t need;
	const char *reason;
	enum proxy_header_result ret;

	ret = proxy_header_decode(data, size, &hdr, &need, &reason);
	check_v1_strict(data, size, ret, &hdr, need, reason);
	switch (ret) {
	case PROXY_HEADER_COMPLETE:
		if (hdr.size == 0 || hdr.size > size ||
		    hdr.size > PROXY_HEADER_MAX_SIZE)
			abort();
		check_view(&hdr);
		if (proxy_header_decode(data, hdr.size, &again, &need,
					&reason) != PROXY_HEADER_COMPLETE ||
		    again.size != hdr.size)
			abort();
		check_round_trip(&hdr);
		break;
	case PROXY_HEADER_NEED_MORE:
		if (need == 0 || size + need > PROXY_HEADER_MAX_SIZE)
			abort();
		break;
	case PROXY_HEADER_INVALID:
		if (reason == NULL || reason[0] == '\0')
			abort();
		break;
	}
	return 0;
}
