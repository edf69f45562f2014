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
/* The protocol's own limit: a 16-bit length after the fixed part */
#define PROXY_HEADER_V2_MAX_SIZE (PROXY_HEADER_V2_FIXED_SIZE + 65535)
/* Largest header proxy_header_decode() accepts; proxy_header_decode_max()
   takes another. Without a certificate everything HAProxy sends fits in
   well under 1 KiB; a client certificate (SSL CLIENT_CERT, or a custom TLV
   with it in hex or base64) takes 1-6 KiB more. Anything larger only lets
   an unauthenticated peer make a login process buffer more. */
#define PROXY_HEADER_DEFAULT_MAX_SIZE 16384
/* The most bytes a caller of proxy_header_decode() needs to look at */
#define PROXY_HEADER_MAX_SIZE PROXY_HEADER_DEFAULT_MAX_SIZE

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
	PROXY_HEADER_TLV_SSL_GROUP = 0x26,
	PROXY_HEADER_TLV_SSL_SIG_SCHEME = 0x27,
	PROXY_HEADER_TLV_SSL_CLIENT_CERT = 0x28,
	PROXY_HEADER_TLV_NETNS = 0x30,
	PROXY_HEADER_TLV_CUSTOM_MIN = 0xE0,
	/* cloud load balancers' custom TLVs */
	PROXY_HEADER_TLV_GCP = 0xE0,
	PROXY_HEADER_TLV_AWS = 0xEA,
	PROXY_HEADER_TLV_AZURE = 0xEE,
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
	struct proxy_header_bytes ssl_group, ssl_sig_scheme;
	/* the client certificate in DER, not parsed here: not empty */
	struct proxy_header_bytes ssl_client_cert;

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
/* The same, accepting headers of up to max_size bytes (at least
   PROXY_HEADER_V1_MAX_SIZE, at most PROXY_HEADER_V2_MAX_SIZE) */
enum proxy_header_result
proxy_header_decode_max(const unsigned char *data, size_t size,
			size_t max_size, struct proxy_header *hdr,
			size_t *need_r, const char **reason_r);

/* The INVALID reason of a header longer than the maximum size: the same
   pointer, for a caller that names its own setting for the maximum */
extern const char proxy_header_reason_too_long[];

/* Iterate the raw top-level TLVs of a decoded v2 header. *pos starts at 0.
   Returns false after the last one. */
bool proxy_header_tlv_next(const struct proxy_header *hdr, size_t *pos,
			   struct proxy_header_tlv *tlv_r);

enum proxy_header_find_result {
	PROXY_HEADER_FIND_ABSENT = 0,
	PROXY_HEADER_FIND_FOUND,
	/* reason_r says what is wrong: more than one, or a bad value */
	PROXY_HEADER_FIND_INVALID,
};

/* The one top-level TLV of this type. Types the decoder knows have fields
   of their own; this is for custom ones, which it leaves alone. */
enum proxy_header_find_result
proxy_header_tlv_find(const struct proxy_header *hdr, uint8_t type,
		      struct proxy_header_tlv *tlv_r, const char **reason_r);

/* Cloud load balancers' TLVs, each checked only when asked for: the same
   custom types may mean something else behind another proxy. */
/* AWS (0xEA, subtype 0x01): the VPC endpoint id, printable ASCII */
enum proxy_header_find_result
proxy_header_aws_vpce_id(const struct proxy_header *hdr,
			 struct proxy_header_bytes *id_r, const char **reason_r);
/* Azure (0xEE, subtype 0x01): the private endpoint's link id, sent
   little-endian */
enum proxy_header_find_result
proxy_header_azure_link_id(const struct proxy_header *hdr, uint32_t *id_r,
			   const char **reason_r);
/* GCP (0xE0): the Private Service Connect connection id, big-endian */
enum proxy_header_find_result
proxy_header_gcp_psc_id(const struct proxy_header *hdr, uint64_t *id_r,
			const char **reason_r);

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
