/* PROXY protocol v2: a 16-byte fixed part, an address block whose size
   depends on the family, then TLVs up to the length in the fixed part. */

#include <string.h>

#include "proxy-header-private.h"

#define V2_INET_BLOCK_SIZE 12
#define V2_INET6_BLOCK_SIZE 36
#define V2_UNIX_BLOCK_SIZE (2 * PROXY_HEADER_UNIX_PATH_SIZE)

static size_t v2_address_block_size(enum proxy_header_family family)
{
	switch (family) {
	case PROXY_HEADER_FAMILY_UNSPEC:
		break;
	case PROXY_HEADER_FAMILY_INET:
		return V2_INET_BLOCK_SIZE;
	case PROXY_HEADER_FAMILY_INET6:
		return V2_INET6_BLOCK_SIZE;
	case PROXY_HEADER_FAMILY_UNIX:
		return V2_UNIX_BLOCK_SIZE;
	}
	return 0;
}

static bool
v2_parse_fixed(const unsigned char *data, struct proxy_header *hdr,
	       const char **reason_r)
{
	unsigned int version = data[12] >> 4, command = data[12] & 0x0f;
	unsigned int family = data[13] >> 4, transport = data[13] & 0x0f;

	if (version != 2) {
		*reason_r = "v2 header has an unsupported version";
		return false;
	}
	if (command > PROXY_HEADER_CMD_PROXY) {
		*reason_r = "v2 header has an unknown command";
		return false;
	}
	if (family > PROXY_HEADER_FAMILY_UNIX) {
		*reason_r = "v2 header has an unknown address family";
		return false;
	}
	if (transport > PROXY_HEADER_TRANSPORT_DGRAM) {
		*reason_r = "v2 header has an unknown transport protocol";
		return false;
	}
	hdr->version = 2;
	hdr->command = (enum proxy_header_command)command;
	hdr->family = (enum proxy_header_family)family;
	hdr->transport = (enum proxy_header_transport)transport;
	return true;
}

static void
v2_parse_unix_path(const unsigned char *p, struct proxy_header_address *addr)
{
	const unsigned char *nul = memchr(p, '\0', PROXY_HEADER_UNIX_PATH_SIZE);

	addr->unix_path.data = p;
	addr->unix_path.size = nul == NULL ?
		PROXY_HEADER_UNIX_PATH_SIZE : (size_t)(nul - p);
}

/* source address, destination address, source port, destination port;
   inline so that the copies have a constant size */
static inline void v2_parse_ip_pair(const unsigned char *p, size_t ip_size,
			     struct proxy_header *hdr)
{
	memcpy(hdr->src.ip, p, ip_size);
	memcpy(hdr->dst.ip, p + ip_size, ip_size);
	hdr->src.port = proxy_header_be16(p + 2 * ip_size);
	hdr->dst.port = proxy_header_be16(p + 2 * ip_size + 2);
}

static void v2_parse_addresses(const unsigned char *p, struct proxy_header *hdr)
{
	switch (hdr->family) {
	case PROXY_HEADER_FAMILY_UNSPEC:
		break;
	case PROXY_HEADER_FAMILY_INET:
		v2_parse_ip_pair(p, 4, hdr);
		break;
	case PROXY_HEADER_FAMILY_INET6:
		v2_parse_ip_pair(p, 16, hdr);
		break;
	case PROXY_HEADER_FAMILY_UNIX:
		v2_parse_unix_path(p, &hdr->src);
		v2_parse_unix_path(p + PROXY_HEADER_UNIX_PATH_SIZE, &hdr->dst);
		break;
	}
}

const char proxy_header_reason_too_long[] =
	"v2 header is longer than the maximum header size";

enum proxy_header_result
proxy_header_decode_v2(const unsigned char *data, size_t size,
		       size_t max_size, struct proxy_header *hdr, size_t *need_r,
		       const char **reason_r)
{
	size_t total, block;

	if (size < PROXY_HEADER_V2_FIXED_SIZE) {
		*need_r = PROXY_HEADER_V2_FIXED_SIZE - size;
		return PROXY_HEADER_NEED_MORE;
	}
	if (!v2_parse_fixed(data, hdr, reason_r))
		return PROXY_HEADER_INVALID;

	total = PROXY_HEADER_V2_FIXED_SIZE + proxy_header_be16(data + 14);
	if (total > max_size) {
		*reason_r = proxy_header_reason_too_long;
		return PROXY_HEADER_INVALID;
	}
	block = v2_address_block_size(hdr->family);
	if (total - PROXY_HEADER_V2_FIXED_SIZE < block) {
		*reason_r = "v2 header length is too short for its address family";
		return PROXY_HEADER_INVALID;
	}
	if (size < total) {
		*need_r = total - size;
		return PROXY_HEADER_NEED_MORE;
	}

	hdr->size = total;
	v2_parse_addresses(data + PROXY_HEADER_V2_FIXED_SIZE, hdr);
	hdr->tlvs.data = data + PROXY_HEADER_V2_FIXED_SIZE + block;
	hdr->tlvs.size = total - PROXY_HEADER_V2_FIXED_SIZE - block;
	if (hdr->tlvs.size > 0 && !proxy_header_decode_tlvs(data, hdr, reason_r))
		return PROXY_HEADER_INVALID;
	return PROXY_HEADER_COMPLETE;
}
