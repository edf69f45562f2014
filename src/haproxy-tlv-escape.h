#ifndef HAPROXY_TLV_ESCAPE_H
#define HAPROXY_TLV_ESCAPE_H

#include "proxy-header.h"

/* Bytes from a header as printable text: anything outside printable ASCII
   (and the backslash) as \xNN. NULL when the field is absent. Shared by
   the login plugin and doveadm, so both show a value the same way. */
const char *
haproxy_tlv_bytes_escape(pool_t pool, const struct proxy_header_bytes *bytes);

#endif
