#ifndef HAPROXY_TLV_HEADER_H
#define HAPROXY_TLV_HEADER_H

/* What the login process keeps of a PROXY header. Plain C: the policy
   decides from it, and is tested without Dovecot. */

#include "proxy-header.h"
#include "haproxy-tlv-policy.h"

/* OpenSSL's X509 */
struct x509_st;

/* Allocated in one block with the header's own copy of its bytes, which
   everything here points into. The connection owns it until a login
   client takes it over. */
struct haproxy_tlv_header {
	/* The decoded header. Every field of every command and family is
	   kept: LOCAL, UNSPEC, UNIX and v1 UNKNOWN headers carry TLVs that
	   apply as well (SECURITY.md). */
	struct proxy_header hdr;
	/* NUL-terminated copies for login-common, which keeps the pointers
	   as local_name and cert_username; NULL when absent */
	const char *authority, *ssl_cn;
	/* the plugin's settings for this header's connection */
	struct haproxy_tlv_policy policy;

	/* The client certificate the header carries (SSL CLIENT_CERT, or
	   the custom TLV haproxy_tlv_cert_tlv), parsed; NULL for none, and
	   once the client's identity is decided from it */
	struct x509_st *cert;
	/* Why the certificate, or the CN, gives the client no identity
	   although the policy would let it: it could not be parsed, or it
	   was refused (haproxy-tlv-identity.c). NULL when it may. */
	char *cert_refused;
};

#endif
