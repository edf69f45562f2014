/* The plugin's settings in doveconf, refused bad values, and how the header
   feeds Dovecot's own settings: local_name blocks, login_trusted_networks,
   passdb templates with the forwarded fields, event filters. */

#include <string.h>

#include "test-protocol.h"

#define SETTINGS_CONF_COMMON \
	"haproxy_tlv_client_cert = present\n" \
	"login_trusted_networks = 127.0.0.4\n" \
	"log_debug = category=haproxy_tlv\n" \
	"local_name mail.example.test {\n" \
	"  login_greeting = Greetings from mail.example.test\n" \
	"}\n"
/* users listed for a TLS version may not log in over it */
static const char settings_conf_23[] =
	SETTINGS_CONF_COMMON TEST_DENY_TLS_VERSION_PASSDB_23;
static const char settings_conf_24[] =
	SETTINGS_CONF_COMMON TEST_DENY_TLS_VERSION_PASSDB_24;

static void test_doveconf_shows_settings(void)
{
	char *out = test_env_doveconf("-n");

	g_assert_nonnull(strstr(out, "haproxy_tlv_client_cert = present"));
	g_free(out);
	out = test_env_doveconf("haproxy_tlv_require_client_cert "
				"haproxy_tlv_require_tls");
	g_assert_nonnull(strstr(out, "haproxy_tlv_require_client_cert = no"));
	g_assert_nonnull(strstr(out, "haproxy_tlv_require_tls = no"));
	g_free(out);
}


struct bool_case {
	const char *value;
	gboolean enabled;
};

/* Runs in an environment with haproxy_tlv_require_tls = value: doveconf
   shows the value as written, and the login process read it as Dovecot
   reads its own booleans (a header without TLS is refused, or greeted) */
static void bool_value_applies(gconstpointer data)
{
	const struct bool_case *c = data;
	char *expected = g_strdup_printf("haproxy_tlv_require_tls = %s\n",
					 c->value);
	char *out = test_env_doveconf("haproxy_tlv_require_tls");
	gsize mark = test_log_mark();
	struct test_client *client;
	char *line;

	g_assert_cmpstr(out, ==, expected);
	g_free(out);
	g_free(expected);

	/* PROXY v1 through HAProxy: no TLS */
	client = connect_haproxy_plaintext(TEST_CLIENT_IP, HAPROXY_IMAP_V1);
	if (c->enabled) {
		g_assert_cmpuint(test_client_read_until_closed(client), ==, 0);
		assert_log(mark, "imap-login: Warning: haproxy-tlv: ",
			   "PROXY header does not report TLS and "
			   "haproxy_tlv_require_tls = yes", NULL);
	} else {
		line = read_greeting(client, PROTO_IMAP);
		g_assert_nonnull(line);
		g_free(line);
	}
	test_client_free(client);
}

/* Booleans accept what Dovecot's own accept */
static void test_bool_value(gconstpointer data)
{
	const struct bool_case *c = data;
	char *conf = g_strdup_printf("haproxy_tlv_require_tls = %s\n",
				     c->value);
	char *output;

	if (!test_env_try_start_run(conf, &output, bool_value_applies, c))
		g_error("haproxy_tlv_require_tls = %s refused:\n%s",
			c->value, output);
	g_free(output);
	g_free(conf);
}

static void test_present_accepts_unverified(void)
{
	gsize mark = test_log_mark();
	/* haproxy_tlv_client_cert = present: what Dovecot 2.3 does */
	char *reply = external_through(HAPROXY_IMAP_TLS_IGNORE_ERRORS,
				       PROTO_IMAP, "selfsigned");

	g_assert_true(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL", NULL, NULL);
}

static void test_local_name_block(void)
{
	struct test_client *client =
		connect_haproxy_sni(HAPROXY_IMAP_ALL_TLVS, "client",
				    "mail.example.test");
	char *line;

	line = read_greeting(client, PROTO_IMAP);
	g_assert_nonnull(line);
	g_assert_nonnull(strstr(line, "Greetings from mail.example.test"));
	g_free(line);
	test_client_free(client);

	/* without SNI there is no AUTHORITY: the global greeting */
	client = connect_haproxy(HAPROXY_IMAP_ALL_TLVS, "client");
	line = read_greeting(client, PROTO_IMAP);
	g_assert_nonnull(line);
	g_assert_null(strstr(line, "Greetings from"));
	g_free(line);
	test_client_free(client);
}

static void test_debug_line(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_haproxy_sni(HAPROXY_IMAP_ALL_TLVS, "client",
				    "mail.example.test");

	g_free(read_greeting(client, PROTO_IMAP));
	test_client_free(client);
	char *line = test_log_wait(mark, "imap-login: Debug: haproxy-tlv: "
				   "PROXY v2 PROXY: tls=yes version=TLSv1.3 "
				   "cipher=TLS_AES_256_GCM_SHA384 cert=verified "
				   "verify=0 cn=certuser cert_username=certuser "
				   "sni=mail.example.test", "unique_id=7F000002:",
				   "crc32c=verified", NULL);
	g_assert_nonnull(line);
	g_free(line);
}

static void test_login_trusted_networks(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_haproxy_plaintext("127.0.0.4", HAPROXY_IMAP_V1);
	char *line;

	/* the real client is in login_trusted_networks: secured, so
	   plaintext LOGIN is allowed without TLS */
	line = read_greeting(client, PROTO_IMAP);
	g_assert_nonnull(line);
	g_assert_null(strstr(line, "LOGINDISABLED"));
	g_free(line);
	assert_imap_login(client, "plainuser", "secret");
	test_client_free(client);
	assert_log(mark, "Login: user=<plainuser>, method=PLAIN, "
		   "rip=127.0.0.4,", "secured", NULL);
}

static void test_forwarded_field_in_passdb(void)
{
	gsize mark = test_log_mark();

	assert_imap_login_refused(HAPROXY_IMAP_TLS, "denieduser");
	assert_log(mark, "imap-login: Info: Disconnected: ", "(user disabled): "
		   "user=<denieduser>, method=PLAIN", NULL);
}

/* Core cannot write %{ssl_client_cert_fp} for TLS a proxy terminated
   (no TLS stream: the login process would crash on the log line): the
   plugin refuses to run with it, saying why */
static void fingerprint_refused(gconstpointer data G_GNUC_UNUSED)
{
	char *line = test_log_wait(0, "Fatal: haproxy-tlv: "
				   "login_log_format_elements uses "
				   "%{ssl_client_cert_fp}", NULL);

	g_assert_nonnull(line);
	g_free(line);
}

static void test_log_format_fingerprint(void)
{
	const char *version = test_env_dovecot_version();
	char *output;

	/* the variable exists since 2.4.2 */
	if (!test_env_dovecot_24() || strcmp(version, "2.4.2") < 0) {
		g_test_skip("this Dovecot has no %{ssl_client_cert_fp}");
		return;
	}
	if (!test_env_try_start_run("login_log_format_elements = "
				    "user=<%{user}> fp=%{ssl_client_cert_fp}\n",
				    &output, fingerprint_refused, NULL))
		g_error("Dovecot did not start:\n%s", output);
	g_free(output);
}

int main(int argc, char **argv)
{
	static const char *const bad_enum[] = {
		"haproxy_tlv_client_cert = maybe\n", "haproxy_tlv_client_cert"
	};
	static const char *const bad_bool[] = {
		"haproxy_tlv_require_tls = perhaps\n", "haproxy_tlv_require_tls"
	};
	/* Dovecot's own booleans refuse these too */
	static const char *const bad_bool_2[] = {
		"haproxy_tlv_require_tls = 2\n", "haproxy_tlv_require_tls"
	};
	static const char *const bad_bool_0[] = {
		"haproxy_tlv_require_client_cert = 0\n",
		"haproxy_tlv_require_client_cert"
	};
	static const char *const bad_bool_n[] = {
		"haproxy_tlv_require_tls = n\n", "haproxy_tlv_require_tls"
	};
	static const struct bool_case bool_y = { "Y", TRUE };
	static const struct bool_case bool_1 = { "1", TRUE };
	static const struct bool_case bool_no = { "No", FALSE };
	static const char *const contradiction[] = {
		"haproxy_tlv_client_cert = ignore\n"
		"haproxy_tlv_require_client_cert = yes\n",
		"haproxy_tlv_require_client_cert"
	};
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/settings/bad-value/client-cert", bad_enum,
			     test_env_bad_value);
	g_test_add_data_func("/settings/bad-value/require-tls", bad_bool,
			     test_env_bad_value);
	g_test_add_data_func("/settings/bad-value/bool-2", bad_bool_2,
			     test_env_bad_value);
	g_test_add_data_func("/settings/bad-value/bool-0", bad_bool_0,
			     test_env_bad_value);
	g_test_add_data_func("/settings/bad-value/bool-n", bad_bool_n,
			     test_env_bad_value);
	g_test_add_data_func("/settings/bad-value/contradiction",
			     contradiction, test_env_bad_value);
	g_test_add_data_func("/settings/bool/Y", &bool_y, test_bool_value);
	g_test_add_data_func("/settings/bool/1", &bool_1, test_bool_value);
	g_test_add_data_func("/settings/bool/No", &bool_no, test_bool_value);
	g_test_add_func("/settings/doveconf", test_doveconf_shows_settings);
	g_test_add_func("/settings/log-format-fingerprint",
			test_log_format_fingerprint);
	g_test_add_func("/settings/present-accepts-unverified",
			test_present_accepts_unverified);
	g_test_add_func("/settings/local-name-block", test_local_name_block);
	g_test_add_func("/settings/debug-line", test_debug_line);
	g_test_add_func("/settings/login-trusted-networks",
			test_login_trusted_networks);
	g_test_add_func("/settings/forwarded-field-in-passdb",
			test_forwarded_field_in_passdb);

	test_env_start_with(TEST_CONF(settings_conf_23, settings_conf_24));
	ret = g_test_run();
	test_env_stop();
	return ret;
}
