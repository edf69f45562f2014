/* The table of a PROXY header's fields and the views it makes: event and
   forward fields, the client's debug line, doveadm's columns. */

#include "lib.h"
#include "str.h"
#include "str-sanitize.h"
#include "hex-binary.h"
#include "net.h"
#include "haproxy-tlv-net.h"
#include "haproxy-tlv-fields.h"

#include <stddef.h>

/* Bytes as printable text: anything outside printable ASCII (and the
   backslash) as \xNN. NULL when the header does not have them. */
static const char *bytes_escape(const struct proxy_header_bytes *bytes)
{
	string_t *str;

	if (bytes->data == NULL)
		return NULL;
	str = t_str_new(bytes->size + 1);
	for (size_t i = 0; i < bytes->size; i++) {
		unsigned char c = bytes->data[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			str_append_c(str, c);
		else
			str_printfa(str, "\\x%02x", c);
	}
	return str_c(str);
}

static const char *yes_no(bool value)
{
	return value ? "yes" : "no";
}

static const char *field_version(const struct proxy_header *hdr)
{
	return dec2str(hdr->version);
}

static const char *field_command(const struct proxy_header *hdr)
{
	return proxy_header_command_name(hdr->command);
}

static const char *field_family(const struct proxy_header *hdr)
{
	return proxy_header_family_name(hdr->family);
}

static const char *field_transport(const struct proxy_header *hdr)
{
	return proxy_header_transport_name(hdr->transport);
}

static const char *field_length(const struct proxy_header *hdr)
{
	return dec2str(hdr->size);
}

static const char *
address_value(const struct proxy_header *hdr,
	      const struct proxy_header_address *addr)
{
	struct ip_addr ip;

	if (haproxy_tlv_net_header_ip(hdr->family, addr, &ip))
		return haproxy_tlv_net_ip2addr(&ip);
	if (hdr->family == PROXY_HEADER_FAMILY_UNIX) {
		return bytes_escape(&addr->unix_path);
	}
	return NULL;
}

/* only INET and INET6 have ports */
static const char *
port_value(const struct proxy_header *hdr,
	   const struct proxy_header_address *addr)
{
	struct ip_addr ip;

	if (!haproxy_tlv_net_header_ip(hdr->family, addr, &ip))
		return NULL;
	return dec2str(addr->port);
}

static const char *field_source(const struct proxy_header *hdr)
{
	return address_value(hdr, &hdr->src);
}

static const char *field_source_port(const struct proxy_header *hdr)
{
	return port_value(hdr, &hdr->src);
}

static const char *field_destination(const struct proxy_header *hdr)
{
	return address_value(hdr, &hdr->dst);
}

static const char *field_destination_port(const struct proxy_header *hdr)
{
	return port_value(hdr, &hdr->dst);
}

/* the decoder refuses a header whose CRC32C does not match */
static const char *field_crc32c(const struct proxy_header *hdr)
{
	if (!hdr->have_crc32c)
		return NULL;
	return t_strdup_printf("0x%08x verified", hdr->crc32c);
}

static const char *field_noop_count(const struct proxy_header *hdr)
{
	return dec2str(hdr->noop_count);
}

static const char *field_ssl(const struct proxy_header *hdr)
{
	return yes_no(hdr->have_ssl);
}

static const char *field_tls(const struct proxy_header *hdr)
{
	return yes_no(proxy_header_is_tls(hdr));
}

static const char *field_ssl_client(const struct proxy_header *hdr)
{
	if (!hdr->have_ssl)
		return NULL;
	return t_strdup_printf("0x%02x", hdr->ssl_client);
}

static const char *field_cert_conn(const struct proxy_header *hdr)
{
	return yes_no((hdr->ssl_client & PROXY_HEADER_CLIENT_CERT_CONN) != 0);
}

static const char *field_cert_sess(const struct proxy_header *hdr)
{
	return yes_no((hdr->ssl_client & PROXY_HEADER_CLIENT_CERT_SESS) != 0);
}

static const char *field_ssl_verify(const struct proxy_header *hdr)
{
	if (!hdr->have_ssl)
		return NULL;
	return dec2str(hdr->ssl_verify);
}

static const char *field_cert_verified(const struct proxy_header *hdr)
{
	return yes_no(proxy_header_client_cert_verified(hdr));
}

/* every TLV as it came, the known ones too */
static const char *field_tlvs(const struct proxy_header *hdr)
{
	string_t *str = t_str_new(128);
	struct proxy_header_tlv tlv;
	size_t pos = 0;

	while (proxy_header_tlv_next(hdr, &pos, &tlv)) {
		if (str_len(str) > 0)
			str_append_c(str, ' ');
		str_printfa(str, "%s(0x%02x)=%s",
			    proxy_header_tlv_type_name(tlv.type), tlv.type,
			    binary_to_hex(tlv.value.data, tlv.value.size));
	}
	return str_c(str);
}

static const char *field_cert(const struct proxy_header *hdr)
{
	if (proxy_header_client_cert_verified(hdr))
		return "verified";
	if (proxy_header_client_cert_presented(hdr))
		return "unverified";
	return "none";
}

#define TEXT(member) \
	.source = HAPROXY_TLV_FIELD_TEXT, \
	.offset = offsetof(struct proxy_header, member)
#define BYTES(member) \
	.source = HAPROXY_TLV_FIELD_BYTES, \
	.offset = offsetof(struct proxy_header, member)
#define DERIVED(func) \
	.source = HAPROXY_TLV_FIELD_DERIVED, \
	.value = func

const struct haproxy_tlv_field haproxy_tlv_fields[HAPROXY_TLV_FIELD_COUNT] = {
	[HAPROXY_TLV_FIELD_VERSION] = {
		.name = "version", DERIVED(field_version) },
	[HAPROXY_TLV_FIELD_COMMAND] = {
		.name = "command", DERIVED(field_command) },
	[HAPROXY_TLV_FIELD_FAMILY] = {
		.name = "family", DERIVED(field_family) },
	[HAPROXY_TLV_FIELD_TRANSPORT] = {
		.name = "transport", DERIVED(field_transport) },
	[HAPROXY_TLV_FIELD_LENGTH] = {
		.name = "length", DERIVED(field_length) },
	[HAPROXY_TLV_FIELD_SOURCE] = {
		.name = "source", DERIVED(field_source) },
	[HAPROXY_TLV_FIELD_SOURCE_PORT] = {
		.name = "source_port", DERIVED(field_source_port) },
	[HAPROXY_TLV_FIELD_DESTINATION] = {
		.name = "destination", DERIVED(field_destination) },
	[HAPROXY_TLV_FIELD_DESTINATION_PORT] = {
		.name = "destination_port", DERIVED(field_destination_port) },
	[HAPROXY_TLV_FIELD_ALPN] = {
		.name = "alpn", .event_name = "haproxy_alpn", BYTES(alpn) },
	[HAPROXY_TLV_FIELD_AUTHORITY] = {
		.name = "authority", .event_name = "haproxy_sni",
		TEXT(authority) },
	[HAPROXY_TLV_FIELD_UNIQUE_ID] = {
		.name = "unique_id", .event_name = "haproxy_unique_id",
		BYTES(unique_id) },
	[HAPROXY_TLV_FIELD_NETNS] = {
		.name = "netns", .event_name = "haproxy_netns", TEXT(netns) },
	[HAPROXY_TLV_FIELD_CRC32C] = {
		.name = "crc32c", DERIVED(field_crc32c) },
	[HAPROXY_TLV_FIELD_NOOP_COUNT] = {
		.name = "noop_count", DERIVED(field_noop_count) },
	[HAPROXY_TLV_FIELD_SSL] = {
		.name = "ssl", DERIVED(field_ssl) },
	[HAPROXY_TLV_FIELD_TLS] = {
		.name = "tls", .event_name = "haproxy_tls",
		DERIVED(field_tls) },
	[HAPROXY_TLV_FIELD_SSL_CLIENT] = {
		.name = "ssl_client", DERIVED(field_ssl_client) },
	[HAPROXY_TLV_FIELD_CERT_CONN] = {
		.name = "cert_conn", DERIVED(field_cert_conn) },
	[HAPROXY_TLV_FIELD_CERT_SESS] = {
		.name = "cert_sess", DERIVED(field_cert_sess) },
	[HAPROXY_TLV_FIELD_SSL_VERIFY] = {
		.name = "ssl_verify", .event_name = "haproxy_cert_verify",
		.event_scope = HAPROXY_TLV_FIELD_WITH_CERT,
		DERIVED(field_ssl_verify) },
	[HAPROXY_TLV_FIELD_SSL_VERIFY_MEANING] = {
		.name = "ssl_verify_meaning",
		.source = HAPROXY_TLV_FIELD_DOVEADM },
	[HAPROXY_TLV_FIELD_CERT_VERIFIED] = {
		.name = "cert_verified", DERIVED(field_cert_verified) },
	[HAPROXY_TLV_FIELD_SSL_VERSION] = {
		.name = "ssl_version", .event_name = "haproxy_tls_version",
		.event_scope = HAPROXY_TLV_FIELD_WITH_TLS,
		TEXT(ssl_version) },
	[HAPROXY_TLV_FIELD_SSL_CN] = {
		.name = "ssl_cn", .event_name = "haproxy_cert_cn",
		.event_scope = HAPROXY_TLV_FIELD_WITH_TLS,
		TEXT(ssl_cn) },
	[HAPROXY_TLV_FIELD_SSL_CIPHER] = {
		.name = "ssl_cipher", .event_name = "haproxy_tls_cipher",
		.event_scope = HAPROXY_TLV_FIELD_WITH_TLS,
		TEXT(ssl_cipher) },
	[HAPROXY_TLV_FIELD_SSL_SIG_ALG] = {
		.name = "ssl_sig_alg", .event_name = "haproxy_tls_sig_alg",
		.event_scope = HAPROXY_TLV_FIELD_WITH_TLS,
		TEXT(ssl_sig_alg) },
	[HAPROXY_TLV_FIELD_SSL_KEY_ALG] = {
		.name = "ssl_key_alg", .event_name = "haproxy_tls_key_alg",
		.event_scope = HAPROXY_TLV_FIELD_WITH_TLS,
		TEXT(ssl_key_alg) },
	[HAPROXY_TLV_FIELD_TLVS] = {
		.name = "tlvs", DERIVED(field_tlvs) },
	[HAPROXY_TLV_FIELD_SSL_GROUP] = {
		.name = "ssl_group", .event_name = "haproxy_tls_group",
		.event_scope = HAPROXY_TLV_FIELD_WITH_TLS,
		TEXT(ssl_group) },
	[HAPROXY_TLV_FIELD_SSL_SIG_SCHEME] = {
		.name = "ssl_sig_scheme", .event_name = "haproxy_tls_sig_scheme",
		.event_scope = HAPROXY_TLV_FIELD_WITH_TLS,
		TEXT(ssl_sig_scheme) },
	[HAPROXY_TLV_FIELD_CERT] = {
		.event_name = "haproxy_cert",
		.event_scope = HAPROXY_TLV_FIELD_WITH_TLS,
		DERIVED(field_cert) },
};

static const struct proxy_header_bytes *
field_bytes(const struct haproxy_tlv_field *field,
	    const struct proxy_header *hdr)
{
	return CONST_PTR_OFFSET(hdr, field->offset);
}

const char *haproxy_tlv_field_value(const struct haproxy_tlv_field *field,
				    const struct proxy_header *hdr)
{
	const struct proxy_header_bytes *bytes;

	switch (field->source) {
	case HAPROXY_TLV_FIELD_TEXT:
		bytes = field_bytes(field, hdr);
		if (bytes->data == NULL)
			return NULL;
		return t_strndup(bytes->data, bytes->size);
	case HAPROXY_TLV_FIELD_BYTES:
		return bytes_escape(field_bytes(field, hdr));
	case HAPROXY_TLV_FIELD_DERIVED:
		return field->value(hdr);
	case HAPROXY_TLV_FIELD_DOVEADM:
		break;
	}
	i_unreached();
}

const char *haproxy_tlv_field_printable(const struct haproxy_tlv_field *field,
					const struct proxy_header *hdr)
{
	const char *value;

	/* a CN's UTF-8 or a backslash is shown as the bytes it is, as
	   for any other byte range */
	if (field->source == HAPROXY_TLV_FIELD_TEXT) {
		value = bytes_escape(field_bytes(field, hdr));
	} else {
		value = haproxy_tlv_field_value(field, hdr);
	}
	return value == NULL ? "" : value;
}

static bool
field_in_event_scope(const struct haproxy_tlv_field *field,
		     const struct proxy_header *hdr)
{
	switch (field->event_scope) {
	case HAPROXY_TLV_FIELD_ALWAYS:
		return TRUE;
	case HAPROXY_TLV_FIELD_WITH_TLS:
		return proxy_header_is_tls(hdr);
	case HAPROXY_TLV_FIELD_WITH_CERT:
		return proxy_header_client_cert_presented(hdr);
	}
	i_unreached();
}

bool haproxy_tlv_fields_next_event(const struct proxy_header *hdr,
				   unsigned int *idx, const char **name_r,
				   const char **value_r)
{
	for (; *idx < HAPROXY_TLV_FIELD_COUNT; (*idx)++) {
		const struct haproxy_tlv_field *field =
			&haproxy_tlv_fields[*idx];
		const char *value;

		if (field->event_name == NULL ||
		    !field_in_event_scope(field, hdr) ||
		    (value = haproxy_tlv_field_value(field, hdr)) == NULL)
			continue;
		(*idx)++;
		*name_r = field->event_name;
		*value_r = value;
		return TRUE;
	}
	return FALSE;
}

enum debug_format {
	/* the value, empty when the header has none */
	DEBUG_VALUE = 0,
	/* a name from a certificate, chosen by the client: control
	   characters replaced, cut at 64 bytes */
	DEBUG_NAME,
	/* the decoder's 0 when the header has none */
	DEBUG_NUMBER,
	/* only whether the header has it: the decoder verified it */
	DEBUG_VERIFIED,
};

/* The debug line's fields, in its order. field NULL: cert_username,
   which the policy derived from the header. */
static const struct debug_item {
	const char *key;
	const struct haproxy_tlv_field *field;
	enum debug_format format;
} debug_items[] = {
	{ "tls", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_TLS], DEBUG_VALUE },
	{ "version", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_VERSION],
	  DEBUG_VALUE },
	{ "cipher", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_CIPHER],
	  DEBUG_VALUE },
	{ "cert", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_CERT], DEBUG_VALUE },
	{ "verify", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_VERIFY],
	  DEBUG_NUMBER },
	{ "cn", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_CN], DEBUG_NAME },
	{ "cert_username", NULL, DEBUG_NAME },
	{ "sni", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_AUTHORITY],
	  DEBUG_VALUE },
	{ "alpn", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_ALPN], DEBUG_VALUE },
	{ "unique_id", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_UNIQUE_ID],
	  DEBUG_VALUE },
	{ "crc32c", &haproxy_tlv_fields[HAPROXY_TLV_FIELD_CRC32C],
	  DEBUG_VERIFIED },
};

static const char *debug_value(enum debug_format format, const char *value)
{
	switch (format) {
	case DEBUG_VALUE:
		return value == NULL ? "" : value;
	case DEBUG_NAME:
		return value == NULL ? "" : str_sanitize(value, 64);
	case DEBUG_NUMBER:
		return value == NULL ? "0" : value;
	case DEBUG_VERIFIED:
		return value == NULL ? "none" : "verified";
	}
	i_unreached();
}

const char *haproxy_tlv_fields_debug_line(const struct proxy_header *hdr,
					  const char *cert_username)
{
	string_t *str = t_str_new(256);

	str_printfa(str, "PROXY v%u %s:", hdr->version,
		    proxy_header_command_name(hdr->command));
	for (unsigned int i = 0; i < N_ELEMENTS(debug_items); i++) {
		const struct debug_item *item = &debug_items[i];
		const char *value = item->field == NULL ? cert_username :
			haproxy_tlv_field_value(item->field, hdr);

		str_printfa(str, " %s=%s", item->key,
			    debug_value(item->format, value));
	}
	return str_c(str);
}
