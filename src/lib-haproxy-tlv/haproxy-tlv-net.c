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

void haproxy_tlv_net_list_update(struct haproxy_tlv_net_list *list,
				 const char *networks)
{
	const char *const *nets;
	unsigned int i;

	if (networks == NULL)
		networks = "";
	if (list->networks != NULL && strcmp(list->networks, networks) == 0)
		return;
	haproxy_tlv_net_list_free(list);
	list->networks = i_strdup(networks);
	nets = t_strsplit_spaces(networks, ", ");
	list->ranges = i_new(struct haproxy_tlv_net_range,
			     str_array_length(nets) + 1);
	for (i = 0; nets[i] != NULL; i++) {
		struct haproxy_tlv_net_range *range = &list->ranges[i];

		if (net_parse_range(nets[i], &range->ip, &range->bits) < 0) {
			list->error = i_strdup_printf("Invalid network '%s'",
						      nets[i]);
			break;
		}
	}
	list->count = i;
}

int haproxy_tlv_net_list_contains(const struct haproxy_tlv_net_list *list,
				  const struct ip_addr *ip,
				  const char **error_r)
{
	for (unsigned int i = 0; i < list->count; i++) {
		if (net_is_in_network(ip, &list->ranges[i].ip,
				      list->ranges[i].bits))
			return 1;
	}
	if (list->error != NULL) {
		*error_r = list->error;
		return -1;
	}
	return 0;
}

void haproxy_tlv_net_list_free(struct haproxy_tlv_net_list *list)
{
	i_free(list->networks);
	i_free(list->error);
	i_free(list->ranges);
	list->count = 0;
}

static char *ip4_octet(char *p, unsigned int octet)
{
	if (octet >= 100)
		*p++ = (char)('0' + octet / 100);
	if (octet >= 10)
		*p++ = (char)('0' + octet / 10 % 10);
	*p++ = (char)('0' + octet % 10);
	return p;
}

const char *haproxy_tlv_net_ip2addr(const struct ip_addr *ip)
{
	const unsigned char *octets;
	char *str, *p;

	if (ip->family != AF_INET)
		return net_ip2addr(ip);
	octets = (const unsigned char *)&ip->u.ip4;
	str = p = t_malloc_no0(sizeof("255.255.255.255"));
	for (unsigned int i = 0; i < 4; i++) {
		if (i > 0)
			*p++ = '.';
		p = ip4_octet(p, octets[i]);
	}
	*p = '\0';
	return str;
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
