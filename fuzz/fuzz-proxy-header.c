/* libFuzzer target for the PROXY header decoder. Besides not crashing
   under ASan/UBSan, every answer must be consistent:
   - COMPLETE: the header fits in the input and the 2048-byte cap, and
     decoding exactly the header gives the same length (the header never
     depends on the bytes that follow it);
   - NEED_MORE: at least one more byte, never past the cap;
   - INVALID: a reason. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy-header.h"

static void check_view(const struct proxy_header *hdr)
{
	struct proxy_header_tlv tlv;
	size_t pos = 0;

	while (proxy_header_tlv_next(hdr, &pos, &tlv)) {
		if (tlv.value.data + tlv.value.size >
		    hdr->tlvs.data + hdr->tlvs.size)
			abort();
	}
	if (proxy_header_client_cert_verified(hdr) &&
	    (!proxy_header_client_cert_presented(hdr) ||
	     !proxy_header_is_tls(hdr) || hdr->ssl_verify != 0))
		abort();
	if (hdr->ssl_cn.data != NULL &&
	    memchr(hdr->ssl_cn.data, '\0', hdr->ssl_cn.size) != NULL)
		abort();
	(void)proxy_header_tlv_type_name(tlv.type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header hdr, again;
	size_t need;
	const char *reason;

	switch (proxy_header_decode(data, size, &hdr, &need, &reason)) {
	case PROXY_HEADER_COMPLETE:
		if (hdr.size == 0 || hdr.size > size ||
		    hdr.size > PROXY_HEADER_MAX_SIZE)
			abort();
		check_view(&hdr);
		if (proxy_header_decode(data, hdr.size, &again, &need,
					&reason) != PROXY_HEADER_COMPLETE ||
		    again.size != hdr.size)
			abort();
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
