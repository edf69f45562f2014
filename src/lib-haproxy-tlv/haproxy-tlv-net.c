/* Addresses the way both the login plugin and doveadm need them: what
   haproxy_trusted_networks admits, and a header's address as Dovecot's
   ip_addr. */

#include "lib.h"
#include "haproxy-tlv-net.h"

int haproxy_tlv_net_is_in_networks(const struct ip_addr *ip,
				   const char *networks, const char **error_r)
{
	const char *const *net;
	struct ip_addr net_ip;
	unsigned int bits;

	if (networks == NULL)
		return 0;
	for (net = t_strsplit_spaces(networks, ", "); *net != NULL; net++) {
		if (net_parse_range(*net, &net_ip, &bits) < 0) {
			*error_r = t_strdup_printf("Invalid network '%s'",
						   *net);
			return -1;
		}
		if (net_is_in_network(ip, &net_ip, bits))
			return 1;
	}
	return 0;
}

bool haproxy_tlv_net_header_ip(enum proxy_header_family family,
			       const struct proxy_header_address *addr,
			       struct ip_addr *ip_r)
{
	i_zero(ip_r);
	switch (family) {
	case PROXY_HEADER_FAMILY_INET:
		ip_r->family = AF_INET;
		memcpy(&ip_r->u.ip4, addr->ip, sizeof(ip_r->u.ip4));
		return TRUE;
	case PROXY_HEADER_FAMILY_INET6:
		ip_r->family = AF_INET6;
		memcpy(&ip_r->u.ip6, addr->ip, sizeof(ip_r->u.ip6));
		return TRUE;
	case PROXY_HEADER_FAMILY_UNSPEC:
	case PROXY_HEADER_FAMILY_UNIX:
		break;
	}
	return FALSE;
}
