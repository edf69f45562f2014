/* Strict textual address parsing for PROXY v1. Written out rather than
   using inet_pton() so the accepted syntax does not depend on the C
   library: no leading zeros in IPv4 octets, no zone ids, no whitespace. */

#include "proxy-header-private.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool proxy_header_parse_ipv4(const char *str, size_t len,
			     unsigned char ip_r[4])
{
	size_t i = 0;

	for (unsigned int octet = 0; octet < 4; octet++) {
		size_t start = i;
		unsigned int value = 0;

		if (octet > 0) {
			if (i >= len || str[i] != '.')
				return false;
			start = ++i;
		}
		while (i < len && str[i] >= '0' && str[i] <= '9' &&
		       i - start < 3) {
			value = value * 10 + (unsigned int)(str[i] - '0');
			i++;
		}
		if (i == start || value > 255)
			return false;
		/* a leading zero would be read as octal by some parsers */
		if (str[start] == '0' && i - start > 1)
			return false;
		ip_r[octet] = (unsigned char)value;
	}
	return i == len;
}

static bool
parse_ipv6_group(const char *str, size_t len, size_t *pos, uint16_t *group_r)
{
	size_t start = *pos, i = *pos;
	unsigned int value = 0;
	int digit;

	while (i < len && (digit = hex_value(str[i])) >= 0) {
		if (i - start == 4)
			return false;
		value = (value << 4) | (unsigned int)digit;
		i++;
	}
	if (i == start)
		return false;
	*group_r = (uint16_t)value;
	*pos = i;
	return true;
}

static bool ipv6_tail_is_ipv4(const char *str, size_t len, size_t pos)
{
	for (; pos < len && str[pos] != ':'; pos++) {
		if (str[pos] == '.')
			return true;
	}
	return false;
}

bool proxy_header_parse_ipv6(const char *str, size_t len,
			     unsigned char ip_r[16])
{
	uint16_t groups[8];
	unsigned int count = 0, gap = 0;
	bool have_gap = false;
	size_t i = 0;

	if (len < 2 || len > 45)
		return false;
	if (str[0] == ':') {
		if (str[1] != ':')
			return false;
		have_gap = true;
		i = 2;
	}
	while (i < len) {
		if (ipv6_tail_is_ipv4(str, len, i)) {
			unsigned char ip4[4];

			if (count > 6 ||
			    !proxy_header_parse_ipv4(str + i, len - i, ip4))
				return false;
			groups[count++] = (uint16_t)((ip4[0] << 8) | ip4[1]);
			groups[count++] = (uint16_t)((ip4[2] << 8) | ip4[3]);
			i = len;
			break;
		}
		if (count == 8 || !parse_ipv6_group(str, len, &i, &groups[count]))
			return false;
		count++;
		if (i == len)
			break;
		if (str[i++] != ':' || i == len)
			return false;
		if (str[i] == ':') {
			if (have_gap)
				return false;
			have_gap = true;
			gap = count;
			i++;
		}
	}
	if (have_gap ? count > 7 : count != 8)
		return false;

	unsigned int zeros = 8 - count;
	for (unsigned int g = 0, out = 0; out < 8; out++) {
		uint16_t value = 0;

		if (!have_gap || out < gap || out >= gap + zeros)
			value = groups[g++];
		ip_r[out * 2] = (unsigned char)(value >> 8);
		ip_r[out * 2 + 1] = (unsigned char)(value & 0xff);
	}
	return true;
}
