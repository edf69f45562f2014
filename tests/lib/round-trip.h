#ifndef ROUND_TRIP_H
#define ROUND_TRIP_H

/* decode(encode(x)) == x: re-encoding a decoded header and comparing two
   headers field by field. Shared by the unit tests and the fuzzer, so
   plain C99 like the library. */

#include "proxy-header-encode.h"

/* every TLV takes at least 3 bytes of a header the decoder accepted */
#define ROUND_TRIP_MAX_TLVS (PROXY_HEADER_MAX_SIZE / 3)

struct round_trip_raw {
	struct proxy_header_tlv tlvs[ROUND_TRIP_MAX_TLVS];
	struct proxy_header_tlv ssl_tlvs[ROUND_TRIP_MAX_TLVS];
	/* points into the arrays above */
	struct proxy_header_raw_tlvs raw;
};

/* The TLVs of a decoded header that have no field of their own (NOOP,
   custom, experimental, unknown; unknown SSL sub-TLVs), in their order,
   as proxy_header_encode() takes them */
void round_trip_raw_tlvs(const struct proxy_header *hdr,
			 struct round_trip_raw *raw_r);

/* NULL when decoded says what hdr and raw say, otherwise the name of the
   first field that differs. Not compared: what depends on the encoding
   rather than on the content (size, the tlvs view, the checksum's value),
   and the addresses of a family that has none. A byte range whose data is
   NULL is absent; a UNIX path is compared up to its first NUL, as the
   decoder reads it. */
const char *round_trip_difference(const struct proxy_header *hdr,
				  const struct proxy_header_raw_tlvs *raw,
				  const struct proxy_header *decoded);

#endif
