/* The plugin's decisions from a PROXY header: see haproxy-tlv-policy.h */

#include <stddef.h>
#include <string.h>

#include "proxy-header.h"
#include "haproxy-tlv-header.h"
#include "haproxy-tlv-policy.h"

static const struct haproxy_tlv_refusal connection_tls_required = {
	.event_name = "haproxy_tlv_tls_required",
	.reason = "PROXY header does not report TLS and "
		"haproxy_tlv_require_tls = yes",
};

static const struct haproxy_tlv_refusal auth_no_header = {
	.reason = "no PROXY header was applied to this client",
};

static const struct haproxy_tlv_refusal auth_tls_required = {
	.event_name = "haproxy_tlv_tls_required",
	.reason = "the PROXY header does not report TLS "
		"(haproxy_tlv_require_tls = yes)",
};

static const struct haproxy_tlv_refusal auth_client_cert_required = {
	.event_name = "haproxy_tlv_client_cert_required",
	.reason = "no verified client certificate was forwarded "
		"(haproxy_tlv_require_client_cert = yes)",
};

static bool is_local(const struct haproxy_tlv_header *header)
{
	return header->hdr.command == PROXY_HEADER_CMD_LOCAL;
}

bool haproxy_tlv_policy_header_tls(const struct haproxy_tlv_policy *policy,
				   const struct haproxy_tlv_header *header)
{
	/* an SSL TLV says what the client used, whatever the setting */
	if (header->hdr.have_ssl)
		return proxy_header_is_tls(&header->hdr);
	/* a proxy that terminates TLS but cannot say so (v1, or v2
	   without send-proxy-v2-ssl): only its TLS state, never a
	   certificate, which needs the SSL TLV */
	return policy->assume_tls;
}

bool haproxy_tlv_policy_server_speaks_first(const char *protocol)
{
	static const char *const protocols[] = {
		"imap", "pop3", "submission", "sieve",
	};

	if (protocol == NULL)
		return false;
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (strcmp(protocol, protocols[i]) == 0)
			return true;
	}
	return false;
}

const struct haproxy_tlv_refusal *
haproxy_tlv_policy_connection(const struct haproxy_tlv_policy *policy,
			      const struct haproxy_tlv_header *header)
{
	/* Every PROXY command stands for a relayed client, whatever its
	   family (v1 UNKNOWN included). LOCAL ones get the greeting a health
	   check expects; their authentication is refused instead. */
	if (policy->require_tls && !is_local(header) &&
	    !haproxy_tlv_policy_header_tls(policy, header))
		return &connection_tls_required;
	return NULL;
}

const struct haproxy_tlv_refusal *
haproxy_tlv_policy_auth(const struct haproxy_tlv_policy *policy,
			const struct haproxy_tlv_header *header)
{
	/* never expected: the identity would come from nowhere */
	if (header == NULL)
		return &auth_no_header;
	/* a LOCAL header without TLS got its greeting (health checks need
	   one), but it is no TLS client either */
	if (policy->require_tls &&
	    !haproxy_tlv_policy_header_tls(policy, header))
		return &auth_tls_required;
	if (policy->require_client_cert &&
	    (!proxy_header_client_cert_verified(&header->hdr) ||
	     header->cert_refused != NULL))
		return &auth_client_cert_required;
	return NULL;
}

bool haproxy_tlv_policy_cert_counts(const struct haproxy_tlv_policy *policy,
				    const struct haproxy_tlv_header *header)
{
	switch (policy->client_cert) {
	case HAPROXY_TLV_CLIENT_CERT_VERIFIED:
		/* HAProxy's `verify optional` forwards the CN of
		   certificates it could not verify */
		return proxy_header_client_cert_verified(&header->hdr);
	case HAPROXY_TLV_CLIENT_CERT_PRESENT:
		return true;
	case HAPROXY_TLV_CLIENT_CERT_IGNORE:
		break;
	}
	return false;
}

const char *
haproxy_tlv_policy_cert_username(const struct haproxy_tlv_policy *policy,
				 const struct haproxy_tlv_header *header)
{
	if (!haproxy_tlv_policy_cert_counts(policy, header))
		return NULL;
	return header->ssl_cn;
}

bool haproxy_tlv_policy_valid_client_cert(const struct haproxy_tlv_policy *policy,
					  const struct haproxy_tlv_header *header)
{
	return policy->client_cert != HAPROXY_TLV_CLIENT_CERT_IGNORE &&
		proxy_header_client_cert_verified(&header->hdr) &&
		header->cert_refused == NULL;
}

bool haproxy_tlv_policy_header_addresses(const struct haproxy_tlv_header *header)
{
	/* LOCAL: the proxy's own connection, whose endpoints are the real
	   ones; UNSPEC (v1 UNKNOWN) and UNIX: nothing Dovecot can use */
	return header->hdr.command == PROXY_HEADER_CMD_PROXY &&
		(header->hdr.family == PROXY_HEADER_FAMILY_INET ||
		 header->hdr.family == PROXY_HEADER_FAMILY_INET6);
}

bool haproxy_tlv_policy_quiet_until_auth(const struct haproxy_tlv_header *header)
{
	/* the proxy's health check, most likely: its connect/disconnect is
	   not worth an info line each time. HAProxy also sends LOCAL for
	   clients of unix socket frontends, which send data and
	   authenticate: from then on they are logged as any client. A
	   health check sends nothing after its header. */
	return is_local(header);
}

void haproxy_tlv_policy_security(const struct haproxy_tlv_header *header,
				 const struct haproxy_tlv_client_tls *tls,
				 struct haproxy_tlv_security *security)
{
	/* the SSL TLV says the client itself used plaintext */
	bool plaintext = header->hdr.have_ssl &&
		!proxy_header_is_tls(&header->hdr);

	if (!haproxy_tlv_policy_header_addresses(header)) {
		/* login-common judged the proxy's own address, which may be
		   in login_trusted_networks: that says nothing about the
		   client behind it (every client of a HAProxy unix socket
		   frontend comes this way) */
		security->trusted = false;
	}
	/* Secured by TLS of this process or by login_trusted_networks, as
	   Dovecot judges a direct client (2.4: the latter not with ssl =
	   required); never because the proxy connects over loopback (2.3
	   and 2.4 core) or because ssl is not `required` (2.4 core, for
	   every haproxied connection). The proxy's TLS is added by
	   haproxy_tlv_policy_proxy_tls(). */
	bool trusted_secured = security->trusted &&
		!security->trusted_needs_tls;

	security->secured = tls->stream || trusted_secured;
	security->ssl_secured = tls->stream;
	if (plaintext && tls->stream) {
		/* HAProxy re-encrypts a client that used plaintext: the TLS
		   this process has is the proxy's, not the client's */
		security->secured = trusted_secured;
		security->ssl_secured = false;
	}
}

bool haproxy_tlv_policy_proxy_tls(const struct haproxy_tlv_header *header,
				  const struct haproxy_tlv_client_tls *tls)
{
	/* on an `ssl = yes` listener the client already counts as TLS,
	   with TLS of this process's own */
	return haproxy_tlv_policy_header_tls(&header->policy, header) &&
		!tls->tls;
}

bool haproxy_tlv_policy_lower_tls(const struct haproxy_tlv_client_tls *tls)
{
	/* only the proxy's TLS: a TLS stream of this process must stay in
	   the data path, so login-common proxies that session itself */
	return tls->from_proxy && tls->tls && !tls->stream;
}
