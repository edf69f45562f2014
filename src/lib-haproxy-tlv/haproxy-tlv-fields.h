#ifndef HAPROXY_TLV_FIELDS_H
#define HAPROXY_TLV_FIELDS_H

/* The one table of a PROXY header's fields: the name each has where it is
   shown, where its value comes from in the decoded header, and how that
   value is escaped. It drives the client's event fields, the fields
   forwarded to auth, the client's debug line and the columns of
   `doveadm haproxy decode`: a new field is one row. */

#include "proxy-header.h"

/* Every field the plugin gives events and auth (forward_<name>) starts
   with this; a client may not send fields of its own with it */
#define HAPROXY_TLV_FIELD_PREFIX "haproxy_"

/* In the order of doveadm haproxy decode's columns */
enum haproxy_tlv_field_id {
	HAPROXY_TLV_FIELD_VERSION,
	HAPROXY_TLV_FIELD_COMMAND,
	HAPROXY_TLV_FIELD_FAMILY,
	HAPROXY_TLV_FIELD_TRANSPORT,
	HAPROXY_TLV_FIELD_LENGTH,
	HAPROXY_TLV_FIELD_SOURCE,
	HAPROXY_TLV_FIELD_SOURCE_PORT,
	HAPROXY_TLV_FIELD_DESTINATION,
	HAPROXY_TLV_FIELD_DESTINATION_PORT,
	HAPROXY_TLV_FIELD_ALPN,
	HAPROXY_TLV_FIELD_AUTHORITY,
	HAPROXY_TLV_FIELD_UNIQUE_ID,
	HAPROXY_TLV_FIELD_NETNS,
	HAPROXY_TLV_FIELD_CRC32C,
	HAPROXY_TLV_FIELD_NOOP_COUNT,
	HAPROXY_TLV_FIELD_SSL,
	HAPROXY_TLV_FIELD_TLS,
	HAPROXY_TLV_FIELD_SSL_CLIENT,
	HAPROXY_TLV_FIELD_CERT_CONN,
	HAPROXY_TLV_FIELD_CERT_SESS,
	HAPROXY_TLV_FIELD_SSL_VERIFY,
	HAPROXY_TLV_FIELD_SSL_VERIFY_MEANING,
	HAPROXY_TLV_FIELD_CERT_VERIFIED,
	HAPROXY_TLV_FIELD_SSL_VERSION,
	HAPROXY_TLV_FIELD_SSL_CN,
	HAPROXY_TLV_FIELD_SSL_CIPHER,
	HAPROXY_TLV_FIELD_SSL_SIG_ALG,
	HAPROXY_TLV_FIELD_SSL_KEY_ALG,
	HAPROXY_TLV_FIELD_TLVS,
	/* after tlvs: the columns before them keep their positions for
	   scripts that read `-f tab` */
	HAPROXY_TLV_FIELD_SSL_GROUP,
	HAPROXY_TLV_FIELD_SSL_SIG_SCHEME,
	/* the plugin's summary of the certificate, no decode column */
	HAPROXY_TLV_FIELD_CERT,

	HAPROXY_TLV_FIELD_COUNT
};

enum haproxy_tlv_field_source {
	/* a byte range the decoder validated as text (no NUL, no control
	   characters): given to events and auth as it is */
	HAPROXY_TLV_FIELD_TEXT,
	/* a byte range of opaque bytes: always escaped */
	HAPROXY_TLV_FIELD_BYTES,
	/* computed from the decoded header by value() */
	HAPROXY_TLV_FIELD_DERIVED,
	/* needs OpenSSL, which only the doveadm module links: doveadm
	   computes it itself */
	HAPROXY_TLV_FIELD_DOVEADM,
};

/* When the client's event and auth get a field the header has */
enum haproxy_tlv_field_scope {
	HAPROXY_TLV_FIELD_ALWAYS = 0,
	/* TLS details of a connection without TLS are nobody's: a passdb
	   rule on the TLS version must not see one */
	HAPROXY_TLV_FIELD_WITH_TLS,
	/* the verify result means something only for a certificate */
	HAPROXY_TLV_FIELD_WITH_CERT,
};

struct haproxy_tlv_field {
	/* doveadm haproxy decode's column; NULL: not printed there */
	const char *name;
	/* the client's event field, also forwarded to auth as
	   forward_<event_name>; NULL: neither */
	const char *event_name;
	enum haproxy_tlv_field_scope event_scope;

	enum haproxy_tlv_field_source source;
	/* TEXT and BYTES: offset of the proxy_header_bytes in the header */
	size_t offset;
	/* DERIVED: the value, NULL when the header has none */
	const char *(*value)(const struct proxy_header *hdr);
};

extern const struct haproxy_tlv_field haproxy_tlv_fields[HAPROXY_TLV_FIELD_COUNT];

/* The field's value for events, auth and log lines, on the data stack;
   NULL when the header does not have it */
const char *haproxy_tlv_field_value(const struct haproxy_tlv_field *field,
				    const struct proxy_header *hdr);
/* The field as doveadm prints it: every byte range escaped, "" when the
   header does not have it. Not for HAPROXY_TLV_FIELD_DOVEADM fields. */
const char *haproxy_tlv_field_printable(const struct haproxy_tlv_field *field,
					const struct proxy_header *hdr);

/* The fields for the client's event and for auth, one per call: *idx
   starts at 0. Returns FALSE after the last one. */
bool haproxy_tlv_fields_next_event(const struct proxy_header *hdr,
				   unsigned int *idx, const char **name_r,
				   const char **value_r);

/* The client's debug line: "PROXY v2 PROXY: tls=yes version=... ",
   with cert_username (NULL for none) as the policy made it */
const char *haproxy_tlv_fields_debug_line(const struct proxy_header *hdr,
					  const char *cert_username);

#endif
