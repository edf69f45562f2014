#ifndef PROXY_HEADER_ENCODE_H
#define PROXY_HEADER_ENCODE_H

/* PROXY protocol v1/v2 encoder: the decoder's own struct proxy_header in,
   the bytes HAProxy would send out, so that decode(encode(x)) == x.

   Plain C99 like the decoder: no allocation, no Dovecot. Fields are
   written as they are, without the decoder's validation (a CN with a
   control character is written, and the decoder rejects it): tests and
   `doveadm haproxy test` need to send what a broken proxy would. */

#include <string.h>

#include "proxy-header.h"

/* TLVs that have no field of their own in struct proxy_header, written
   as they are, whatever their type, after the ones that have: NOOP,
   custom, experimental and unassigned types at the top level (tlvs),
   unknown sub-TLVs at the end of the SSL TLV (ssl_tlvs). A raw TLV
   whose data is NULL is written with an empty value. */
struct proxy_header_raw_tlvs {
	const struct proxy_header_tlv *tlvs;
	size_t count;
	const struct proxy_header_tlv *ssl_tlvs;
	size_t ssl_count;
};

/* Write hdr into buf as a v1 line (version 1) or a v2 header (version 2).
   raw may be NULL.

   Read from hdr: version, command, family, transport, the addresses of
   the family, and for v2 every TLV field: a byte range is written when
   its data is not NULL (an empty value stays an empty TLV), the CRC32C
   TLV when have_crc32c (its value computed over the header), the SSL TLV
   when have_ssl. TLVs come in HAProxy's order: CRC32C, ALPN, AUTHORITY,
   UNIQUE_ID, SSL (VERSION, CN, KEY_ALG, SIG_ALG, CIPHER, GROUP, SIG_SCHEME,
   CLIENT_CERT), NETNS, then the
   raw ones. What the decoder derives is ignored: size, tlvs, crc32c,
   noop_count, unknown_tlv_count, unknown_ssl_tlv_count.

   v1 has no LOCAL, UNIX, DGRAM or TLVs: asking for them is an error, as
   are SSL fields without have_ssl, so nothing given is silently dropped.
   The transport is not written in v1 (TCP4/TCP6 say STREAM).

   Returns the header's size, or 0 with *reason_r set to a static string
   when the header cannot be expressed (a v2 length over 65535) or does not
   fit in buf_size bytes. A header over PROXY_HEADER_MAX_SIZE is written:
   decoders may be given a larger maximum, or be tested with one. On failure buf's contents are unspecified, but nothing
   beyond buf_size is written. */
size_t proxy_header_encode(const struct proxy_header *hdr,
			   const struct proxy_header_raw_tlvs *raw,
			   unsigned char *buf, size_t buf_size,
			   const char **reason_r);

/* The size proxy_header_encode() would write, writing nothing. 0 with *reason_r set when it cannot be expressed at all. */
size_t proxy_header_encoded_size(const struct proxy_header *hdr,
				 const struct proxy_header_raw_tlvs *raw,
				 const char **reason_r);

/* A C string as a byte range for struct proxy_header's fields; NULL gives
   an absent field. */
static inline struct proxy_header_bytes proxy_header_str(const char *str)
{
	struct proxy_header_bytes bytes = { NULL, 0 };

	if (str != NULL) {
		bytes.data = (const unsigned char *)str;
		bytes.size = strlen(str);
	}
	return bytes;
}

#endif
