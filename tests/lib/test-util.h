#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <glib.h>
#include "proxy-header.h"

/* Bytes given as hex, spaces ignored */
GByteArray *test_hex(const char *hex);
#define TEST_V2_SIGNATURE "0d0a0d0a000d0a515549540a"

/* A v2 header: signature, version/command and family bytes as hex, the
   length computed, then body */
GByteArray *test_v2(const char *ver_fam, const char *body);
/* hdr encoded by the library's encoder (no raw TLVs) */
GByteArray *test_encode(const struct proxy_header *hdr);
/* hdr cleared to a v2 header with the command and family given */
void test_v2_init(struct proxy_header *hdr, enum proxy_header_command command,
		  enum proxy_header_family family);
/* bytes pointing to a NUL-terminated string */
struct proxy_header_bytes test_str_bytes(const char *str);
/* hdr cleared to a v2 PROXY header for a TCP client src:src_port
   connected to dst:dst_port (IPv4 addresses) */
void test_v2_tcp4_init(struct proxy_header *hdr, const char *src,
		       guint16 src_port, const char *dst, guint16 dst_port);
/* What HAProxy's send-proxy-v2 sends for a TCP client src:src_port
   connected to dst:dst_port (IPv4 addresses), built by the encoder */
GByteArray *test_v2_tcp4_header(const char *src, guint16 src_port,
				const char *dst, guint16 dst_port);
/* A fixture captured from HAProxy, by name without .bin */
GByteArray *test_fixture(const char *name);
/* Decode expecting a complete header of exactly data->len bytes */
void test_decode_complete(const GByteArray *data, struct proxy_header *hdr);
gboolean test_bytes_equal(const struct proxy_header_bytes *bytes,
			  const char *expected);

void test_malformed_register(void);
void test_encode_register(void);

#endif
