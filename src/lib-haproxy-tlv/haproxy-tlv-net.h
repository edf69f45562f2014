#ifndef HAPROXY_TLV_NET_H
#define HAPROXY_TLV_NET_H

#include "net.h"
#include "proxy-header.h"

/* Returns 1 if ip is in networks (addresses and CIDR ranges separated by
   spaces or commas, as Dovecot's *_trusted_networks settings have them),
   0 if it is not or networks is NULL, and -1 with *error_r when a network
   is invalid before one matched. */
int haproxy_tlv_net_is_in_networks(const struct ip_addr *ip,
				   const char *networks, const char **error_r);

/* A networks setting parsed once, for a process that checks many
   connections against it */
struct haproxy_tlv_net_list {
	/* the setting it was parsed from */
	char *networks;
	/* its first invalid network, NULL if all are valid */
	char *error;
	unsigned int count;
	struct haproxy_tlv_net_range {
		struct ip_addr ip;
		unsigned int bits;
	} *ranges;
};

/* Parse networks into list, unless list already holds exactly them.
   Invalid networks make every lookup fail as haproxy_tlv_net_is_in_networks()
   does for the first one. */
void haproxy_tlv_net_list_update(struct haproxy_tlv_net_list *list,
				 const char *networks);
/* haproxy_tlv_net_is_in_networks() of the list's networks */
int haproxy_tlv_net_list_contains(const struct haproxy_tlv_net_list *list,
				  const struct ip_addr *ip,
				  const char **error_r);
void haproxy_tlv_net_list_free(struct haproxy_tlv_net_list *list);

/* net_ip2addr()'s text, on the data stack; IPv4 without the formatted
   printing that makes net_ip2addr() one of a connection's costlier calls */
const char *haproxy_tlv_net_ip2addr(const struct ip_addr *ip);

/* The address of a header of family INET or INET6 as Dovecot's ip_addr.
   FALSE for UNSPEC and UNIX, whose addresses are no IP addresses. */
bool haproxy_tlv_net_header_ip(enum proxy_header_family family,
			       const struct proxy_header_address *addr,
			       struct ip_addr *ip_r);

#endif
