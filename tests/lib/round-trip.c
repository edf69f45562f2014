#include <string.h>

#include "round-trip.h"

static bool has_field(uint8_t type)
{
	switch (type) {
	case PROXY_HEADER_TLV_ALPN:
	case PROXY_HEADER_TLV_AUTHORITY:
	case PROXY_HEADER_TLV_CRC32C:
	case PROXY_HEADER_TLV_UNIQUE_ID:
	case PROXY_HEADER_TLV_SSL:
	case PROXY_HEADER_TLV_NETNS:
		return true;
	}
	return false;
}

static bool ssl_sub_has_field(uint8_t type)
{
	return type >= PROXY_HEADER_TLV_SSL_VERSION &&
		type <= PROXY_HEADER_TLV_SSL_CLIENT_CERT;
}

/* The SSL TLV's sub-TLVs walked with the library's own iterator, on a
   view whose TLV block is the SSL TLV's value after its fixed part */
static void
collect_ssl_raw(const struct proxy_header_tlv *ssl, struct round_trip_raw *raw)
{
	struct proxy_header view;
	struct proxy_header_tlv sub;
	size_t pos = 0;

	memset(&view, 0, sizeof(view));
	view.tlvs.data = ssl->value.data + PROXY_HEADER_SSL_FIXED_SIZE;
	view.tlvs.size = ssl->value.size - PROXY_HEADER_SSL_FIXED_SIZE;
	while (proxy_header_tlv_next(&view, &pos, &sub)) {
		if (!ssl_sub_has_field(sub.type) &&
		    raw->raw.ssl_count < ROUND_TRIP_MAX_TLVS)
			raw->ssl_tlvs[raw->raw.ssl_count++] = sub;
	}
}

void round_trip_raw_tlvs(const struct proxy_header *hdr,
			 struct round_trip_raw *raw_r)
{
	struct proxy_header_tlv tlv;
	size_t pos = 0;

	raw_r->raw.tlvs = raw_r->tlvs;
	raw_r->raw.count = 0;
	raw_r->raw.ssl_tlvs = raw_r->ssl_tlvs;
	raw_r->raw.ssl_count = 0;
	while (proxy_header_tlv_next(hdr, &pos, &tlv)) {
		if (tlv.type == PROXY_HEADER_TLV_SSL)
			collect_ssl_raw(&tlv, raw_r);
		else if (!has_field(tlv.type) &&
			 raw_r->raw.count < ROUND_TRIP_MAX_TLVS)
			raw_r->tlvs[raw_r->raw.count++] = tlv;
	}
}

static bool
bytes_equal(const struct proxy_header_bytes *a,
	    const struct proxy_header_bytes *b)
{
	if (a->data == NULL || b->data == NULL)
		return a->data == b->data;
	return a->size == b->size &&
		(a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
}

static size_t unix_path_len(const struct proxy_header_bytes *path)
{
	const unsigned char *nul;

	if (path->data == NULL)
		return 0;
	nul = memchr(path->data, '\0', path->size);
	return nul == NULL ? path->size : (size_t)(nul - path->data);
}

static bool
address_equal(enum proxy_header_family family,
	      const struct proxy_header_address *a,
	      const struct proxy_header_address *b)
{
	size_t len;

	switch (family) {
	case PROXY_HEADER_FAMILY_UNSPEC:
		return true;
	case PROXY_HEADER_FAMILY_INET:
		return memcmp(a->ip, b->ip, 4) == 0 && a->port == b->port;
	case PROXY_HEADER_FAMILY_INET6:
		return memcmp(a->ip, b->ip, 16) == 0 && a->port == b->port;
	case PROXY_HEADER_FAMILY_UNIX:
		len = unix_path_len(&a->unix_path);
		return len == unix_path_len(&b->unix_path) &&
			(len == 0 || memcmp(a->unix_path.data,
					    b->unix_path.data, len) == 0);
	}
	return false;
}

static bool
tlvs_equal(const struct proxy_header_tlv *a, size_t a_count,
	   const struct proxy_header_tlv *b, size_t b_count)
{
	if (a_count != b_count)
		return false;
	for (size_t i = 0; i < a_count; i++) {
		if (a[i].type != b[i].type ||
		    a[i].value.size != b[i].value.size ||
		    (a[i].value.size > 0 &&
		     memcmp(a[i].value.data, b[i].value.data,
			    a[i].value.size) != 0))
			return false;
	}
	return true;
}

static unsigned int
count_noops(const struct proxy_header_tlv *tlvs, size_t count)
{
	unsigned int noops = 0;

	for (size_t i = 0; i < count; i++) {
		if (tlvs[i].type == PROXY_HEADER_TLV_NOOP)
			noops++;
	}
	return noops;
}

static const char *
tlv_fields_difference(const struct proxy_header *a,
		      const struct proxy_header *b)
{
	if (!bytes_equal(&a->alpn, &b->alpn))
		return "alpn";
	if (!bytes_equal(&a->authority, &b->authority))
		return "authority";
	if (!bytes_equal(&a->unique_id, &b->unique_id))
		return "unique_id";
	if (!bytes_equal(&a->netns, &b->netns))
		return "netns";
	if (a->have_crc32c != b->have_crc32c)
		return "have_crc32c";
	if (a->have_ssl != b->have_ssl)
		return "have_ssl";
	if (a->ssl_client != b->ssl_client)
		return "ssl_client";
	if (a->ssl_verify != b->ssl_verify)
		return "ssl_verify";
	if (!bytes_equal(&a->ssl_version, &b->ssl_version))
		return "ssl_version";
	if (!bytes_equal(&a->ssl_cn, &b->ssl_cn))
		return "ssl_cn";
	if (!bytes_equal(&a->ssl_cipher, &b->ssl_cipher))
		return "ssl_cipher";
	if (!bytes_equal(&a->ssl_sig_alg, &b->ssl_sig_alg))
		return "ssl_sig_alg";
	if (!bytes_equal(&a->ssl_key_alg, &b->ssl_key_alg))
		return "ssl_key_alg";
	if (!bytes_equal(&a->ssl_group, &b->ssl_group))
		return "ssl_group";
	if (!bytes_equal(&a->ssl_sig_scheme, &b->ssl_sig_scheme))
		return "ssl_sig_scheme";
	if (!bytes_equal(&a->ssl_client_cert, &b->ssl_client_cert))
		return "ssl_client_cert";
	return NULL;
}

static const char *
raw_tlvs_difference(const struct proxy_header_raw_tlvs *raw,
		    const struct proxy_header *decoded)
{
	/* static: 32 KiB would be a lot of the fuzzer's stack */
	static struct round_trip_raw got;
	unsigned int noops = count_noops(raw->tlvs, raw->count);

	if (decoded->noop_count != noops)
		return "noop_count";
	if (decoded->unknown_tlv_count != raw->count - noops)
		return "unknown_tlv_count";
	if (decoded->unknown_ssl_tlv_count != raw->ssl_count)
		return "unknown_ssl_tlv_count";
	round_trip_raw_tlvs(decoded, &got);
	if (!tlvs_equal(raw->tlvs, raw->count, got.raw.tlvs, got.raw.count))
		return "raw TLVs";
	if (!tlvs_equal(raw->ssl_tlvs, raw->ssl_count,
			got.raw.ssl_tlvs, got.raw.ssl_count))
		return "raw SSL sub-TLVs";
	return NULL;
}

const char *round_trip_difference(const struct proxy_header *hdr,
				  const struct proxy_header_raw_tlvs *raw,
				  const struct proxy_header *decoded)
{
	static const struct proxy_header_raw_tlvs none = { NULL, 0, NULL, 0 };
	const char *field;

	if (hdr->version != decoded->version)
		return "version";
	if (hdr->command != decoded->command)
		return "command";
	if (hdr->family != decoded->family)
		return "family";
	if (hdr->transport != decoded->transport)
		return "transport";
	if (!address_equal(hdr->family, &hdr->src, &decoded->src))
		return "src";
	if (!address_equal(hdr->family, &hdr->dst, &decoded->dst))
		return "dst";
	if ((field = tlv_fields_difference(hdr, decoded)) != NULL)
		return field;
	return raw_tlvs_difference(raw == NULL ? &none : raw, decoded);
}
