/* Addresses and networks the way the login plugin checks every connection
   (src/lib-haproxy-tlv/haproxy-tlv-net.c): the faster IPv4 text must be
   net_ip2addr()'s, and a networks setting parsed once must admit exactly
   what parsing it for each connection admits. Links Dovecot's lib; starts
   no Dovecot process. */

#include "lib.h"
#include "net.h"
#include "haproxy-tlv-net.h"

#include <glib.h>
#include <string.h>

static void assert_ip2addr_same(const char *addr)
{
	struct ip_addr ip;

	g_assert_cmpint(net_addr2ip(addr, &ip), ==, 0);
	g_assert_cmpstr(haproxy_tlv_net_ip2addr(&ip), ==, net_ip2addr(&ip));
}

static void test_ip2addr(void)
{
	static const char *const addrs[] = {
		"0.0.0.0", "255.255.255.255", "127.0.0.1", "10.0.0.10",
		"192.0.2.99", "1.20.100.9", "100.10.1.0",
		"::1", "2001:db8::7", "::ffff:192.0.2.1", "fe80::1:2:3:4",
	};
	struct ip_addr ip;

	T_BEGIN {
		for (unsigned int i = 0; i < N_ELEMENTS(addrs); i++)
			assert_ip2addr_same(addrs[i]);
		/* every octet value in every position */
		i_zero(&ip);
		ip.family = AF_INET;
		for (unsigned int v = 0; v < 256 * 4; v++) {
			unsigned char *octets = (unsigned char *)&ip.u.ip4;

			memset(octets, (int)((v * 7) & 0xff), 4);
			octets[v / 256] = (unsigned char)(v % 256);
			g_assert_cmpstr(haproxy_tlv_net_ip2addr(&ip), ==,
					net_ip2addr(&ip));
		}
	} T_END;
}

static int
contains(struct haproxy_tlv_net_list *list, const char *networks,
	 const char *addr, const char **error_r)
{
	struct ip_addr ip;

	g_assert_cmpint(net_addr2ip(addr, &ip), ==, 0);
	haproxy_tlv_net_list_update(list, networks);
	return haproxy_tlv_net_list_contains(list, &ip, error_r);
}

static void test_list_same_as_string(void)
{
	static const char *const networks[] = {
		"", "127.0.0.1", "10.0.0.0/8 192.0.2.0/24",
		"10.0.0.0/8,192.0.2.0/24", "::1 fd00::/8",
		/* an invalid network: what matched before it still counts */
		"10.0.0.0/8 bogus 192.0.2.0/24", "bogus", "10.0.0.0/40",
	};
	static const char *const addrs[] = {
		"127.0.0.1", "10.1.2.3", "192.0.2.99", "198.51.100.1",
		"::1", "fd00::5", "2001:db8::1",
	};
	struct haproxy_tlv_net_list list;

	i_zero(&list);
	T_BEGIN {
		for (unsigned int n = 0; n < N_ELEMENTS(networks); n++) {
			for (unsigned int a = 0; a < N_ELEMENTS(addrs); a++) {
				const char *error1 = NULL, *error2 = NULL;
				struct ip_addr ip;
				int ret1, ret2;

				g_assert_cmpint(net_addr2ip(addrs[a], &ip), ==, 0);
				ret1 = haproxy_tlv_net_is_in_networks(&ip,
					networks[n], &error1);
				ret2 = contains(&list, networks[n], addrs[a],
						&error2);
				g_assert_cmpint(ret2, ==, ret1);
				g_assert_cmpstr(error2, ==, error1);
			}
		}
	} T_END;
	haproxy_tlv_net_list_free(&list);
}

/* a changed setting (a reload, another filter block) is parsed again */
static void test_list_changed(void)
{
	struct haproxy_tlv_net_list list;
	const char *error = NULL;

	i_zero(&list);
	g_assert_cmpint(contains(&list, "10.0.0.0/8", "10.1.2.3", &error), ==, 1);
	g_assert_cmpint(contains(&list, "192.0.2.0/24", "10.1.2.3", &error), ==, 0);
	g_assert_cmpint(contains(&list, "192.0.2.0/24", "192.0.2.1", &error), ==, 1);
	g_assert_cmpint(contains(&list, "bogus", "192.0.2.1", &error), ==, -1);
	g_assert_cmpstr(error, ==, "Invalid network 'bogus'");
	g_assert_cmpint(contains(&list, NULL, "192.0.2.1", &error), ==, 0);
	haproxy_tlv_net_list_free(&list);
}

int main(int argc, char **argv)
{
	int ret;

	lib_init();
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/net/ip2addr", test_ip2addr);
	g_test_add_func("/net/list-same-as-string", test_list_same_as_string);
	g_test_add_func("/net/list-changed", test_list_changed);
	ret = g_test_run();
	lib_deinit();
	return ret;
}
