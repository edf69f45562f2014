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
