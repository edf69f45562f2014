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

/* The address of a header of family INET or INET6 as Dovecot's ip_addr.
   FALSE for UNSPEC and UNIX, whose addresses are no IP addresses. */
bool haproxy_tlv_net_header_ip(enum proxy_header_family family,
			       const struct proxy_header_address *addr,
			       struct ip_addr *ip_r);

#endif
