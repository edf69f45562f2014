#ifndef PROXY_HEADER_H
#define PROXY_HEADER_H

/* PROXY protocol v1/v2 decoder (haproxy doc/proxy-protocol.txt).

   Plain C99, no allocation and no dependency on Dovecot, so it can be unit
   tested, fuzzed and benchmarked on its own. The decoded view points into
   the caller's buffer: it is valid only as long as that buffer is. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest v1 line the specification allows, CRLF included. */
#define PROXY_HEADER_V1_MAX_SIZE 107
/* The fixed part of a v2 header: signature, ver_cmd, fam, len. */
#define PROXY_HEADER_V2_FIXED_SIZE 16
/* Largest v2 header accepted. The protocol allows 16+65535, but everything
   HAProxy sends (addresses, SSL with CN and cipher, 255-byte authority,
   128-byte unique-id, CRC32C) fits in well under 1 KiB. A larger cap would
   only let an unauthenticated peer make every login process buffer more. */
#define PROXY_HEADER_V2_MAX_SIZE 2048
/* The most bytes a caller ever needs to look at to decode one header. */
#define PROXY_HEADER_MAX_SIZE PROXY_HEADER_V2_MAX_SIZE

#define PROXY_HEADER_UNIQUE_ID_MAX_SIZE 128
#define PROXY_HEADER_UNIX_PATH_SIZE 108

enum proxy_header_result {
	/* need_r tells how many more bytes are needed at least */
	PROXY_HEADER_NEED_MORE = 0,
	/* the header is complete and its length is hdr->size */
	PROXY_HEADER_COMPLETE,
	/* reason_r tells why */
	PROXY_HEADER_INVALID,
};

enum proxy_header_command {
	PROXY_HEADER_CMD_LOCAL = 0,
	PROXY_HEADER_CMD_PROXY = 1,
};

enum proxy_header_family {
	PROXY_HEADER_FAMILY_UNSPEC = 0,
	PROXY_HEADER_FAMILY_INET = 1,
	PROXY_HEADER_FAMILY_INET6 = 2,
	PROXY_HEADER_FAMILY_UNIX = 3,
};

enum proxy_header_transport {
	PROXY_HEADER_TRANSPORT_UNSPEC = 0,
	PROXY_HEADER_TRANSPORT_STREAM = 1,
	PROXY_HEADER_TRANSPORT_DGRAM = 2,
};

enum proxy_header_tlv_type {
	PROXY_HEADER_TLV_ALPN = 0x01,
	PROXY_HEADER_TLV_AUTHORITY = 0x02,
	PROXY_HEADER_TLV_CRC32C = 0x03,
	PROXY_HEADER_TLV_NOOP = 0x04,
	PROXY_HEADER_TLV_UNIQUE_ID = 0x05,
	PROXY_HEADER_TLV_SSL = 0x20,
	PROXY_HEADER_TLV_SSL_VERSION = 0x21,
	PROXY_HEADER_TLV_SSL_CN = 0x22,
	PROXY_HEADER_TLV_SSL_CIPHER = 0x23,
	PROXY_HEADER_TLV_SSL_SIG_ALG = 0x24,
	PROXY_HEADER_TLV_SSL_KEY_ALG = 0x25,
	PROXY_HEADER_TLV_NETNS = 0x30,
	PROXY_HEADER_TLV_CUSTOM_MIN = 0xE0,
	PROXY_HEADER_TLV_CUSTOM_MAX = 0xEF,
	PROXY_HEADER_TLV_EXPERIMENT_MIN = 0xF0,
	PROXY_HEADER_TLV_EXPERIMENT_MAX = 0xF7,
};

/* Bits of the SSL TLV's client field */
#define PROXY_HEADER_CLIENT_SSL 0x01
#define PROXY_HEADER_CLIENT_CERT_CONN 0x02
#define PROXY_HEADER_CLIENT_CERT_SESS 0x04
/* The SSL TLV's client byte and 32-bit verify result, before sub-TLVs */
#define PROXY_HEADER_SSL_FIXED_SIZE 5

/* A byte range inside the decoded buffer. data is NULL when absent. */
struct proxy_header_bytes {
	const unsigned char *data;
	size_t size;
};

struct proxy_header_address {
	/* INET: the first 4 bytes; INET6: all 16. Network byte order. */
	unsigned char ip[16];
	uint16_t port;
	/* UNIX: the path up to its first NUL (empty for abstract sockets,
	   whose name starts with a NUL) */
	struct proxy_header_bytes unix_path;
};

struct proxy_header_tlv {
	uint8_t type;
	struct proxy_header_bytes value;
};

struct proxy_header {
	/* total length of the header in bytes */
	size_t size;
	unsigned int version;
	enum proxy_header_command command;
	enum proxy_header_family family;
	enum proxy_header_transport transport;
	struct proxy_header_address src, dst;

	/* v2 only: all TLVs, for proxy_header_tlv_next() */
	struct proxy_header_bytes tlvs;

	struct proxy_header_bytes alpn, authority, unique_id, netns;
	bool have_crc32c;
	uint32_t crc32c;

	bool have_ssl;
	uint8_t ssl_client;
	uint32_t ssl_verify;
	struct proxy_header_bytes ssl_version, ssl_cn, ssl_cipher;
	struct proxy_header_bytes ssl_sig_alg, ssl_key_alg;

	unsigned int noop_count;
	/* TLVs whose type is none of the above (custom, experimental,
	   future); walk them with proxy_header_tlv_next() */
	unsigned int unknown_tlv_count;
	/* SSL sub-TLVs of an unknown type, skipped */
	unsigned int unknown_ssl_tlv_count;
};

/* Decode the header at the start of data[0..size-1].

   NEED_MORE: *need_r is the minimum number of further bytes required; no
   valid header is shorter than size + *need_r, so reading exactly that
   many never consumes the client's own data.
   COMPLETE: hdr is filled, hdr->size bytes form the header.
   INVALID: *reason_r is a static string describing the problem. */
enum proxy_header_result
proxy_header_decode(const unsigned char *data, size_t size,
		    struct proxy_header *hdr, size_t *need_r,
		    const char **reason_r);

/* Iterate the raw top-level TLVs of a decoded v2 header. *pos starts at 0.
   Returns false after the last one. */
bool proxy_header_tlv_next(const struct proxy_header *hdr, size_t *pos,
			   struct proxy_header_tlv *tlv_r);

/* The client presented a certificate (on this connection or the resumed
   session) */
bool proxy_header_client_cert_presented(const struct proxy_header *hdr);
/* The client presented a certificate and the proxy verified it */
bool proxy_header_client_cert_verified(const struct proxy_header *hdr);
/* The client connection to the proxy used TLS */
bool proxy_header_is_tls(const struct proxy_header *hdr);

/* CRC32C (Castagnoli) of data, with the initial value and final XOR the
   PROXY protocol uses. crc is the value of a previous call, or 0. */
uint32_t proxy_header_crc32c(uint32_t crc, const unsigned char *data,
			     size_t size);

const char *proxy_header_tlv_type_name(uint8_t type);
const char *proxy_header_family_name(enum proxy_header_family family);
const char *proxy_header_transport_name(enum proxy_header_transport transport);
const char *proxy_header_command_name(enum proxy_header_command command);

#endif
