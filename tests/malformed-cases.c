/* Headers that must be rejected, each with the reason it must be rejected
   for: used by the unit tests (the decoder's reason) and by the hostile
   corpus the integration tests send to the real login process. */

#include <string.h>

#include "malformed-cases.h"



const struct malformed_case malformed_cases[] = {
	/* v1 */
	{ "v1-lf-only", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
	  .reason = "does not end with CRLF" },
	{ "v1-cr-without-lf", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",
	  .reason = "CR not followed by LF" },
	{ "v1-unknown-protocol", .v1 = "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
	  .reason = "not TCP4, TCP6 or UNKNOWN" },
	{ "v1-unknown-suffix", .v1 = "PROXY UNKNOWNX\r\n",
	  .reason = "not TCP4, TCP6 or UNKNOWN" },
	{ "v1-lowercase-protocol", .v1 = "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
	  .reason = "not TCP4, TCP6 or UNKNOWN" },
	{ "v1-no-protocol", .v1 = "PROXY \r\n..........",
	  .reason = "has no protocol" },
	{ "v1-double-space", .v1 = "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
	  .reason = "single spaces" },
	{ "v1-trailing-space", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
	  .reason = "single spaces" },
	{ "v1-three-fields", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
	  .reason = "exactly four fields" },
	{ "v1-five-fields", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
	  .reason = "exactly four fields" },
	{ "v1-octet-256", .v1 = "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
	  .reason = "source is not a valid IPv4" },
	{ "v1-octal-octet", .v1 = "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
	  .reason = "source is not a valid IPv4" },
	{ "v1-three-octets", .v1 = "PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n",
	  .reason = "destination is not a valid IPv4" },
	{ "v1-ipv6-in-tcp4", .v1 = "PROXY TCP4 ::1 ::1 1 2\r\n",
	  .reason = "source is not a valid IPv4" },
	{ "v1-ipv4-in-tcp6", .v1 = "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
	  .reason = "source is not a valid IPv6" },
	{ "v1-double-gap", .v1 = "PROXY TCP6 ::1 1::2::3 1 2\r\n",
	  .reason = "destination is not a valid IPv6" },
	{ "v1-zone-id", .v1 = "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
	  .reason = "source is not a valid IPv6" },
	{ "v1-ipv6-nine-groups", .v1 = "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
	  .reason = "source is not a valid IPv6" },
	{ "v1-ipv6-long-group", .v1 = "PROXY TCP6 12345::1 ::1 1 2\r\n",
	  .reason = "source is not a valid IPv6" },
	{ "v1-port-65536", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
	  .reason = "source port" },
	{ "v1-port-leading-zero", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 007\r\n",
	  .reason = "destination port" },
	{ "v1-port-negative", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
	  .reason = "source port" },
	{ "v1-port-hex", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 0x8f\r\n",
	  .reason = "destination port" },
	{ "v1-tab", .v1 = "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",
	  .reason = "non-printable byte" },
	{ "v1-high-byte", .v1 = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\xc3\xa9\r\n",
	  .reason = "non-printable byte" },
	{ "v1-too-long",
	  .v1 = "PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n",
	  .reason = "longer than 107 bytes" },
	/* 108 bytes: the CR fits in 107, the LF does not */
	{ "v1-108-bytes",
	  .v1 = "PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n",
	  .reason = "longer than 107 bytes" },
	{ "v1-lowercase-signature", .v1 = "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
	  .reason = "bad signature" },
	{ "not-proxy", .v1 = "a LOGIN user pass\r\n",
	  .reason = "bad signature" },

	/* v2 fixed part */
	{ "v2-bad-signature", .raw = "0d0a0d0a000d0a515549540b 21 11 000c" ADDRS,
	  .reason = "bad signature" },
	{ "v2-version-1", .ver_fam = "11 11", .body = ADDRS,
	  .reason = "unsupported version" },
	{ "v2-version-3", .ver_fam = "31 11", .body = ADDRS,
	  .reason = "unsupported version" },
	{ "v2-command-2", .ver_fam = "22 11", .body = ADDRS,
	  .reason = "unknown command" },
	{ "v2-command-f", .ver_fam = "2f 11", .body = ADDRS,
	  .reason = "unknown command" },
	{ "v2-family-4", .ver_fam = "21 41", .body = ADDRS,
	  .reason = "unknown address family" },
	{ "v2-transport-3", .ver_fam = "21 13", .body = ADDRS,
	  .reason = "unknown transport" },
	{ "v2-inet-short", .ver_fam = "21 11", .body = "7f000001 0a000002 3039 00",
	  .reason = "too short for its address family" },
	{ "v2-inet6-short", .ver_fam = "21 21", .body = ADDRS ADDRS "7f000001 0a000002 3039 00",
	  .reason = "too short for its address family" },
	{ "v2-unix-short", .raw = SIG "21 31 00d7",
	  .reason = "too short for its address family" },
	{ "v2-over-cap", .raw = SIG "21 11 fff0",
	  .reason = "longer than the 2048 bytes" },
	{ "v2-just-over-cap", .raw = SIG "21 11 07f1",
	  .reason = "longer than the 2048 bytes" },

	/* TLV framing */
	{ "tlv-truncated-header", .ver_fam = "21 11", .body = ADDRS "01 00",
	  .reason = "TLV header is truncated" },
	{ "tlv-overrun", .ver_fam = "21 11", .body = ADDRS "01 000a 696d6170",
	  .reason = "TLV length exceeds the header length" },
	{ "tlv-overrun-ffff", .ver_fam = "21 11", .body = ADDRS "e0 ffff 00",
	  .reason = "TLV length exceeds the header length" },
	{ "tlv-overrun-by-one", .ver_fam = "21 11", .body = ADDRS "05 0005 31323334",
	  .reason = "TLV length exceeds the header length" },

	/* SSL */
	{ "ssl-short", .ver_fam = "21 11", .body = ADDRS "20 0004 07000000",
	  .reason = "shorter than its 5-byte fixed part" },
	{ "ssl-sub-overrun", .ver_fam = "21 11",
	  .body = ADDRS "20 0009 07 00000000 22 0005 61",
	  .reason = "SSL sub-TLV length exceeds the SSL TLV" },
	{ "ssl-sub-overruns-into-next-tlv", .ver_fam = "21 11",
	  .body = ADDRS "20 000a 07 00000000 22 0008 61 04 0003 626364",
	  .reason = "SSL sub-TLV length exceeds the SSL TLV" },
	{ "ssl-sub-truncated", .ver_fam = "21 11",
	  .body = ADDRS "20 0007 07 00000000 22 00",
	  .reason = "SSL sub-TLV header is truncated" },
	{ "ssl-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "20 0005 01 00000000 20 0005 07 00000000",
	  .reason = "more than one SSL TLV" },
	{ "ssl-cn-nul", .ver_fam = "21 11",
	  .body = ADDRS "20 000d 07 00000000 22 0005 61646d00 6e",
	  .reason = "CN contains NUL" },
	{ "ssl-cn-lf", .ver_fam = "21 11",
	  .body = ADDRS "20 000d 07 00000000 22 0005 61646d0a 6e",
	  .reason = "CN contains NUL or a control character" },
	{ "ssl-cn-del", .ver_fam = "21 11",
	  .body = ADDRS "20 0009 07 00000000 22 0001 7f",
	  .reason = "CN contains NUL or a control character" },
	{ "ssl-cn-invalid-utf8", .ver_fam = "21 11",
	  .body = ADDRS "20 000a 07 00000000 22 0002 61ff",
	  .reason = "CN is not valid UTF-8" },
	{ "ssl-cn-overlong-utf8", .ver_fam = "21 11",
	  .body = ADDRS "20 000b 07 00000000 22 0003 e08080",
	  .reason = "CN is not valid UTF-8" },
	{ "ssl-cn-surrogate", .ver_fam = "21 11",
	  .body = ADDRS "20 000b 07 00000000 22 0003 eda080",
	  .reason = "CN is not valid UTF-8" },
	{ "ssl-cn-truncated-utf8", .ver_fam = "21 11",
	  .body = ADDRS "20 000a 07 00000000 22 0002 61c3",
	  .reason = "CN is not valid UTF-8" },
	{ "ssl-cn-empty", .ver_fam = "21 11",
	  .body = ADDRS "20 0008 07 00000000 22 0000",
	  .reason = "CN is empty" },
	{ "ssl-cn-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "20 000d 07 00000000 22 0001 61 22 0001 62",
	  .reason = "more than one CN" },
	{ "ssl-cn-without-ssl-flag", .ver_fam = "21 11",
	  .body = ADDRS "20 0009 00 00000000 22 0001 61",
	  .reason = "without the SSL client flag" },
	{ "ssl-cert-flag-without-ssl-flag", .ver_fam = "21 11",
	  .body = ADDRS "20 0005 02 00000000",
	  .reason = "without the SSL client flag" },
	{ "ssl-version-control", .ver_fam = "21 11",
	  .body = ADDRS "20 0009 01 00000000 21 0001 0d",
	  .reason = "VERSION contains a control character" },
	{ "ssl-version-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "20 000d 01 00000000 21 0001 31 21 0001 32",
	  .reason = "more than one VERSION" },
	{ "ssl-cipher-empty", .ver_fam = "21 11",
	  .body = ADDRS "20 0008 01 00000000 23 0000",
	  .reason = "CIPHER is empty" },
	{ "ssl-sig-alg-control", .ver_fam = "21 11",
	  .body = ADDRS "20 0009 01 00000000 24 0001 00",
	  .reason = "SIG_ALG contains a control character" },
	{ "ssl-key-alg-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "20 000d 01 00000000 25 0001 31 25 0001 32",
	  .reason = "more than one KEY_ALG" },

	/* AUTHORITY */
	{ "authority-nul", .ver_fam = "21 11", .body = ADDRS "02 0003 610062",
	  .reason = "AUTHORITY TLV contains NUL" },
	{ "authority-crlf", .ver_fam = "21 11", .body = ADDRS "02 0004 61 0d0a 62",
	  .reason = "AUTHORITY TLV contains NUL or a control character" },
	{ "authority-empty", .ver_fam = "21 11", .body = ADDRS "02 0000",
	  .reason = "AUTHORITY TLV is empty" },
	{ "authority-space", .ver_fam = "21 11", .body = ADDRS "02 0003 612062",
	  .reason = "not a valid host name" },
	{ "authority-empty-label", .ver_fam = "21 11",
	  .body = ADDRS "02 0004 612e2e62",
	  .reason = "not a valid host name" },
	{ "authority-leading-hyphen", .ver_fam = "21 11",
	  .body = ADDRS "02 0003 2d6162",
	  .reason = "not a valid host name" },
	{ "authority-non-ascii", .ver_fam = "21 11",
	  .body = ADDRS "02 0003 61c3a9",
	  .reason = "not a valid host name" },
	{ "authority-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "02 0001 61 02 0001 62",
	  .reason = "more than one AUTHORITY" },

	/* other TLVs */
	{ "crc32c-3-bytes", .ver_fam = "21 11", .body = ADDRS "03 0003 000000",
	  .reason = "CRC32C TLV is not 4 bytes long" },
	{ "crc32c-wrong", .ver_fam = "21 11", .body = ADDRS "03 0004 00000000",
	  .reason = "CRC32C checksum does not match" },
	{ "crc32c-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "03 0004 00000000 03 0004 00000000",
	  .reason = "more than one CRC32C" },
	{ "alpn-empty", .ver_fam = "21 11", .body = ADDRS "01 0000",
	  .reason = "ALPN TLV is empty" },
	{ "alpn-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "01 0001 61 01 0001 62",
	  .reason = "more than one ALPN" },
	{ "unique-id-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "05 0001 61 05 0001 62",
	  .reason = "more than one UNIQUE_ID" },
	{ "netns-empty", .ver_fam = "21 11", .body = ADDRS "30 0000",
	  .reason = "NETNS TLV is empty" },
	{ "netns-control", .ver_fam = "21 11", .body = ADDRS "30 0002 6109",
	  .reason = "NETNS TLV contains a control character" },
	{ "netns-duplicate", .ver_fam = "21 11",
	  .body = ADDRS "30 0001 61 30 0001 62",
	  .reason = "more than one NETNS" },
};

const unsigned int malformed_cases_count = G_N_ELEMENTS(malformed_cases);

GByteArray *malformed_case_bytes(const struct malformed_case *c)
{
	GByteArray *data;

	if (c->v1 != NULL) {
		data = g_byte_array_new();
		g_byte_array_append(data, (const guint8 *)c->v1, strlen(c->v1));
		return data;
	}
	if (c->raw != NULL) {
		data = test_hex(c->raw);
		/* the lying length must not be satisfiable: pad to the cap */
		guint8 zero = 0;
		while (data->len < PROXY_HEADER_MAX_SIZE + 16)
			g_byte_array_append(data, &zero, 1);
		return data;
	}
	return test_v2(c->ver_fam, c->body);
}

