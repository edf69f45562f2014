/* The plugin's own settings follow settings blocks as login-common's do:
   each connection reads them with its protocol, addresses (the client's,
   from the header) and local_name (AUTHORITY), on Dovecot 2.3 from the
   settings cache, on 2.4 with settings_get(). */

#include <string.h>

#include "test-protocol.h"

/* a client address of its own, for the remote block */
#define FILTERED_CLIENT_IP "127.0.0.7"

static const char filters_conf[] =
	"protocol pop3 {\n"
	"  haproxy_tlv_client_cert = ignore\n"
	"}\n"
	"remote " FILTERED_CLIENT_IP " {\n"
	"  haproxy_tlv_client_cert = ignore\n"
	"}\n"
	"local_name filtered.example.test {\n"
	"  haproxy_tlv_client_cert = ignore\n"
	"}\n";

static char *external_with_sni(const char *server_name)
{
	struct test_client *client =
		connect_haproxy_sni(HAPROXY_IMAP_ALL_TLVS, "client",
				    server_name);
	char *reply;

	g_free(read_greeting(client, PROTO_IMAP));
	reply = auth_external(client, PROTO_IMAP);
	test_client_free(client);
	return reply;
}

/* a protocol block applies to that protocol only */
static void test_protocol_block(void)
{
	char *reply;

	reply = external_failing(HAPROXY_POP3_TLS, PROTO_POP3, "client");
	g_assert_false(auth_succeeded(reply, PROTO_POP3));
	g_free(reply);

	reply = external_through(HAPROXY_IMAP_TLS, PROTO_IMAP, "client");
	g_assert_true(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
}

/* a remote block applies to the client's own address, which the header
   carries */
static void test_remote_block(void)
{
	char *reply = external_through_from(FILTERED_CLIENT_IP,
					    HAPROXY_IMAP_TLS, PROTO_IMAP,
					    "client");

	g_assert_false(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);

	/* any other client is not in the block */
	reply = external_through(HAPROXY_IMAP_TLS, PROTO_IMAP, "client");
	g_assert_true(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
}

/* a local_name block applies to the name the client asked HAProxy for
   (AUTHORITY) */
static void test_local_name_block(void)
{
	char *reply = external_with_sni("filtered.example.test");

	g_assert_false(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);

	reply = external_with_sni("mail.example.test");
	g_assert_true(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/filters/protocol", test_protocol_block);
	g_test_add_func("/filters/remote", test_remote_block);
	g_test_add_func("/filters/local-name", test_local_name_block);

	test_env_start_with(filters_conf);
	ret = g_test_run();
	test_env_stop();
	return ret;
}
