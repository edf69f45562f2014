#ifndef HAPROXY_TLV_POLICY_H
#define HAPROXY_TLV_POLICY_H

/* Every decision the plugin takes from a PROXY header: pure functions of
   the header as the plugin keeps it and of the settings. Plain C without
   Dovecot, so that tests/unit/test-policy-decisions.c checks each rule on its
   own; the callers log and act. SECURITY.md has the rules as a table. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "haproxy-tlv-custom.h"

struct haproxy_tlv_header;

enum haproxy_tlv_client_cert {
	/* the CN counts only for a certificate the proxy verified */
	HAPROXY_TLV_CLIENT_CERT_VERIFIED = 0,
	/* the CN counts whenever one is sent (Dovecot 2.3's behaviour) */
	HAPROXY_TLV_CLIENT_CERT_PRESENT,
	HAPROXY_TLV_CLIENT_CERT_IGNORE,
};

/* The settings, parsed (haproxy_tlv_settings_parse()) */
struct haproxy_tlv_policy {
	enum haproxy_tlv_client_cert client_cert;
	bool require_client_cert;
	bool require_tls;
	/* a header without the SSL TLV counts as TLS the proxy terminated */
	bool assume_tls;
	/* the largest header read from a peer: for the settings of the
	   peer's own addresses, read before the header */
	size_t max_header_size;
	/* the custom TLV type whose value is the client certificate, 0 for
	   none (the SSL CLIENT_CERT sub-TLV is always read) */
	uint8_t cert_tlv;
	/* the forwarded certificate must also pass Dovecot's own CA */
	bool cert_verify;
	/* vendor and named custom TLVs given as fields */
	struct haproxy_tlv_custom_set custom;
};

/* Why a connection or an authentication is refused */
struct haproxy_tlv_refusal {
	/* the event that logs it; NULL when it is no client's doing but a
	   fault of the plugin itself, logged as an error */
	const char *event_name;
	/* in words for the log line */
	const char *reason;
};

/* The client's connection to the proxy counts as TLS: the SSL TLV has the
   SSL client flag, or there is no SSL TLV and assume_tls is set. Only the
   TLS state: a certificate always needs the SSL TLV. */
bool haproxy_tlv_policy_header_tls(const struct haproxy_tlv_policy *policy,
				   const struct haproxy_tlv_header *header);

/* The protocol (login-common's name) greets before the client sends
   anything: a proxy that waits for the client's first bytes before it
   sends the header never sends it */
bool haproxy_tlv_policy_server_speaks_first(const char *protocol);

/* NULL if a connection with this header may get its login client */
const struct haproxy_tlv_refusal *
haproxy_tlv_policy_connection(const struct haproxy_tlv_policy *policy,
			      const struct haproxy_tlv_header *header);
/* NULL if the client may authenticate. header is NULL for a client of a
   `haproxy = yes` listener that has none. */
const struct haproxy_tlv_refusal *
haproxy_tlv_policy_auth(const struct haproxy_tlv_policy *policy,
			const struct haproxy_tlv_header *header);

/* The forwarded certificate, or CN, may give the client an identity: the
   proxy verified it, or the settings take any presented one. Whether it
   does depends on what the certificate says (haproxy-tlv-identity.c). */
bool haproxy_tlv_policy_cert_counts(const struct haproxy_tlv_policy *policy,
				    const struct haproxy_tlv_header *header);

/* The forwarded CN as cert_username, NULL for none; for a header without
   a certificate (haproxy-tlv-identity.c decides for one with) */
const char *
haproxy_tlv_policy_cert_username(const struct haproxy_tlv_policy *policy,
				 const struct haproxy_tlv_header *header);

/* The proxy verified the client's certificate, and the settings let it
   count: auth gets the valid-client-certificate flag (Dovecot 2.4.4 and
   later) */
bool haproxy_tlv_policy_valid_client_cert(const struct haproxy_tlv_policy *policy,
					  const struct haproxy_tlv_header *header);

/* The header's addresses replace the connection's own */
bool haproxy_tlv_policy_header_addresses(const struct haproxy_tlv_header *header);

/* The client leaves no line below warnings in the log until it sends
   data (imap, pop3, managesieve) or starts authenticating */
bool haproxy_tlv_policy_quiet_until_auth(const struct haproxy_tlv_header *header);

/* A login client's TLS, as the TLS decisions see it */
struct haproxy_tlv_client_tls {
	/* login-common counts the client as TLS (client->tls) */
	bool tls;
	/* ... because the proxy's TLS was made the client's */
	bool from_proxy;
	/* this process runs TLS on the socket (an `ssl = yes` listener: TLS
	   with the proxy) */
	bool stream;
};

/* The client's security as login-common keeps it */
struct haproxy_tlv_security {
	/* login_trusted_networks: in, as login-common found it for the
	   connection's address; out, for the client */
	bool trusted;
	/* in: login_trusted_networks does not make a connection secured
	   (Dovecot 2.4 with ssl = required) */
	bool trusted_needs_tls;
	/* out: secured, and secured by the client's own TLS */
	bool secured;
	bool ssl_secured;
};

/* Sets security for the client behind the proxy, from the client's
   address as login-common judged it. tls describes this process's own
   TLS, before the proxy's is applied (haproxy_tlv_policy_proxy_tls()). */
void haproxy_tlv_policy_security(const struct haproxy_tlv_header *header,
				 const struct haproxy_tlv_client_tls *tls,
				 struct haproxy_tlv_security *security);

/* The TLS the proxy terminated becomes the client's: `TLS` in log lines,
   plaintext authentication allowed, no STARTTLS on top of it */
bool haproxy_tlv_policy_proxy_tls(const struct haproxy_tlv_header *header,
				  const struct haproxy_tlv_client_tls *tls);
/* After a successful authentication: the client stops counting as TLS, so
   that login-common hands the socket itself to the post-login process */
bool haproxy_tlv_policy_lower_tls(const struct haproxy_tlv_client_tls *tls);

#endif
