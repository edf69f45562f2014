/* Print what the decoder makes of header files: used by scripts/demo.sh
   before the login plugin exists and when refreshing fixtures. */

#include <stdio.h>
#include <string.h>

#include "proxy-header.h"

static void print_bytes(const char *name, const struct proxy_header_bytes *b)
{
	if (b->data == NULL)
		return;
	printf("  %s: ", name);
	for (size_t i = 0; i < b->size; i++) {
		unsigned char c = b->data[i];
		if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('\n');
}

static void print_address(const char *name, const struct proxy_header *hdr,
			  const struct proxy_header_address *addr)
{
	const unsigned char *ip = addr->ip;

	if (hdr->family == PROXY_HEADER_FAMILY_INET)
		printf("  %s: %u.%u.%u.%u port %u\n", name, ip[0], ip[1],
		       ip[2], ip[3], addr->port);
	else if (hdr->family == PROXY_HEADER_FAMILY_INET6) {
		printf("  %s: ", name);
		for (unsigned int i = 0; i < 16; i += 2)
			printf("%s%x", i == 0 ? "" : ":", ip[i] << 8 | ip[i + 1]);
		printf(" port %u\n", addr->port);
	} else if (hdr->family == PROXY_HEADER_FAMILY_UNIX)
		print_bytes(name, &addr->unix_path);
}

static int print_file(const char *path)
{
	unsigned char buf[PROXY_HEADER_MAX_SIZE + 1];
	struct proxy_header hdr;
	const char *reason;
	size_t size, need;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return 1;
	}
	size = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	printf("%s (%zu bytes):\n", path, size);
	switch (proxy_header_decode(buf, size, &hdr, &need, &reason)) {
	case PROXY_HEADER_NEED_MORE:
		printf("  incomplete: needs %zu more bytes\n", need);
		return 1;
	case PROXY_HEADER_INVALID:
		printf("  invalid: %s\n", reason);
		return 1;
	case PROXY_HEADER_COMPLETE:
		break;
	}
	printf("  version %u, %s, %s/%s, header %zu bytes\n", hdr.version,
	       proxy_header_command_name(hdr.command),
	       proxy_header_family_name(hdr.family),
	       proxy_header_transport_name(hdr.transport), hdr.size);
	print_address("source", &hdr, &hdr.src);
	print_address("destination", &hdr, &hdr.dst);
	print_bytes("ALPN", &hdr.alpn);
	print_bytes("AUTHORITY", &hdr.authority);
	print_bytes("UNIQUE_ID", &hdr.unique_id);
	print_bytes("NETNS", &hdr.netns);
	if (hdr.have_crc32c)
		printf("  CRC32C: 0x%08x (verified)\n", hdr.crc32c);
	if (hdr.have_ssl) {
		printf("  SSL: client 0x%02x, verify %u; TLS %s, "
		       "certificate %s\n", hdr.ssl_client, hdr.ssl_verify,
		       proxy_header_is_tls(&hdr) ? "yes" : "no",
		       proxy_header_client_cert_verified(&hdr) ? "verified" :
		       proxy_header_client_cert_presented(&hdr) ?
		       "presented, NOT verified" : "none");
		print_bytes("SSL VERSION", &hdr.ssl_version);
		print_bytes("SSL CN", &hdr.ssl_cn);
		print_bytes("SSL CIPHER", &hdr.ssl_cipher);
		print_bytes("SSL SIG_ALG", &hdr.ssl_sig_alg);
		print_bytes("SSL KEY_ALG", &hdr.ssl_key_alg);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc; i++)
		ret |= print_file(argv[i]);
	return ret;
}
