/* Runs env.sh to start and stop the private Dovecot and HAProxy, and reads
   Dovecot's log. */

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-client.h"
#include "test-env.h"

#define TEST_LOG_WAIT_GUARD_MSECS 20000

static char *env_dir;
static unsigned int base_port;
/* the environment test_env_try_start_run() puts aside while it runs
   another one */
static char *outer_env_dir;
static gboolean sanitizer_reports_shown;

static void stop_on_signal(int signo);

/* A sanitizer build that cannot run the plugin inside Dovecot (see
   tests/meson.build): every integration program skips, before its main()
   starts anything */
__attribute__((constructor))
static void skip_unless_sanitizer_runs(void)
{
	if (TEST_SANITIZER_SKIP[0] == '\0')
		return;
	printf("1..0 # SKIP %s\n", TEST_SANITIZER_SKIP);
	fflush(stdout);
	exit(0);
}

static void run_env(const char *const *argv)
{
	GError *error = NULL;
	int status;
	char *out = NULL, *err = NULL;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
			  NULL, &out, &err, &status, &error))
		g_error("%s: %s", argv[1], error->message);
	if (!g_spawn_check_wait_status(status, &error))
		g_error("env.sh %s failed: %s\n%s%s", argv[2], error->message,
			out, err);
	g_free(out);
	g_free(err);
}

static gboolean ports_free(unsigned int first, unsigned int count)
{
	for (unsigned int port = first; port < first + count; port++) {
		union {
			struct sockaddr sa;
			struct sockaddr_in sin;
		} addr;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int ret;

		memset(&addr, 0, sizeof(addr));
		addr.sin.sin_family = AF_INET;
		addr.sin.sin_port = htons(port);
		addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ret = bind(fd, &addr.sa, sizeof(addr.sin));
		close(fd);
		if (ret < 0)
			return FALSE;
	}
	return TRUE;
}

void test_env_write_file(const char *name, const char *contents)
{
	char *path = test_env_path(name);
	GError *error = NULL;

	if (!g_file_set_contents(path, contents, -1, &error))
		g_error("%s: %s", path, error->message);
	g_free(path);
}

static const char **env_start_argv(const char *extra_conf,
				   const char *extra_haproxy_cfg)
{
	static char port[16];
	static const char *argv[7];
	GError *error = NULL;

	/* env.sh preloads the ASan runtime into Dovecot's processes */
	if (TEST_SANITIZER_PRELOAD[0] != '\0')
		g_setenv("TEST_SANITIZER_PRELOAD", TEST_SANITIZER_PRELOAD, TRUE);
	signal(SIGABRT, stop_on_signal);
	signal(SIGTRAP, stop_on_signal);
	signal(SIGSEGV, stop_on_signal);
	signal(SIGTERM, stop_on_signal);
	signal(SIGINT, stop_on_signal);
	env_dir = g_dir_make_tmp("haproxy-tlv-XXXXXX", &error);
	g_assert_no_error(error);
	if (extra_conf != NULL)
		test_env_write_file("extra.conf", extra_conf);
	if (extra_haproxy_cfg != NULL)
		test_env_write_file("extra-haproxy.cfg", extra_haproxy_cfg);
	/* a port range per process and start: tests may run in parallel */
	static unsigned int starts = 0;
	/* below 32768, where Linux starts picking local ports for outgoing
	   connections: the load test leaves thousands in TIME_WAIT. A range
	   another test run holds is skipped. */
	unsigned int slot = (unsigned int)getpid() % 120;
	for (unsigned int tries = 0; ; tries++) {
		g_assert_cmpuint(tries, <, 120);
		base_port = 20000 + ((slot + starts + tries) % 120) * 100;
		if (ports_free(base_port, 30))
			break;
	}
	starts++;
	g_snprintf(port, sizeof(port), "%u", base_port);
	argv[0] = "/bin/sh";
	argv[1] = TEST_ENV_SH;
	argv[2] = "start";
	argv[3] = env_dir;
	argv[4] = port;
	argv[5] = TEST_PLUGIN_DIR;
	argv[6] = NULL;
	return argv;
}

/* The lines where a sanitizer reported something in a Dovecot process (its
   log) or in doveconf at start-up (dovecot.stdout); NULL if none */
static char *sanitizer_reports(void)
{
	static const char *const files[] = { "dovecot.log", "dovecot.stdout" };
	static const char *const needles[] = {
		"AddressSanitizer", "LeakSanitizer", "runtime error:",
		"UndefinedBehaviorSanitizer",
	};
	GString *found = g_string_new(NULL);

	for (unsigned int i = 0; i < G_N_ELEMENTS(files); i++) {
		char *path = test_env_path(files[i]);
		char *contents = NULL;

		if (g_file_get_contents(path, &contents, NULL, NULL)) {
			char **lines = g_strsplit(contents, "\n", -1);

			for (char **l = lines; *l != NULL; l++) {
				for (unsigned int n = 0; n < G_N_ELEMENTS(needles); n++) {
					if (strstr(*l, needles[n]) != NULL) {
						g_string_append_printf(found,
							"%s: %s\n", files[i], *l);
						break;
					}
				}
			}
			g_strfreev(lines);
		}
		g_free(contents);
		g_free(path);
	}
	return g_string_free(found, found->len == 0);
}

/* Sanitizer reports fail the program; the whole reports are in the log,
   which is kept */
static void assert_no_sanitizer_reports(void)
{
	char *reports = sanitizer_reports();

	if (reports != NULL) {
		g_setenv("TEST_KEEP_ENV", "1", TRUE);
		sanitizer_reports_shown = TRUE;
		g_error("sanitizer reports in Dovecot's processes (whole "
			"reports in %s):\n%s", env_dir, reports);
	}
}

/* Stop the daemons of the environment in dir and remove it, unless
   TEST_KEEP_ENV is set */
static void env_discard(const char *dir)
{
	char *cmd;

	if (g_getenv("TEST_KEEP_ENV") == NULL) {
		cmd = g_strdup_printf("/bin/sh %s stop %s; rm -rf %s",
				      TEST_ENV_SH, dir, dir);
	} else {
		cmd = g_strdup_printf("/bin/sh %s stop %s; echo kept %s >&2",
				      TEST_ENV_SH, dir, dir);
	}
	if (system(cmd) != 0)
		g_printerr("%s failed\n", cmd);
	g_free(cmd);
}

/* A failed assertion aborts the test program: stop the daemons anyway so
   they do not outlive it (and keep its ports), and remove the directory
   (of the environment test_env_try_start_run() put aside too) */
static void stop_on_signal(int signo)
{
	char *reports = env_dir == NULL || sanitizer_reports_shown ? NULL :
		sanitizer_reports();

	/* a failure in a sanitized Dovecot process is likely the cause */
	if (reports != NULL) {
		g_printerr("sanitizer reports in Dovecot's processes (whole "
			   "reports in %s):\n%s", env_dir, reports);
		g_setenv("TEST_KEEP_ENV", "1", TRUE);
	}
	if (env_dir != NULL)
		env_discard(env_dir);
	if (outer_env_dir != NULL)
		env_discard(outer_env_dir);
	signal(signo, SIG_DFL);
	raise(signo);
}

/* Runs env.sh start; TRUE if Dovecot and HAProxy started, with what
   env.sh printed in *output_r. Another test run on the machine may take
   the port range between the check in env_start_argv() and the daemons'
   bind(): then the start is tried again on another range. */
static gboolean env_spawn_start(const char *extra_conf,
				const char *extra_haproxy_cfg, char **output_r)
{
	for (unsigned int attempt = 1; ; attempt++) {
		const char **argv = env_start_argv(extra_conf,
						   extra_haproxy_cfg);
		char *out = NULL, *err = NULL;
		int status;
		gboolean started;

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
					   G_SPAWN_DEFAULT, NULL, NULL, &out,
					   &err, &status, NULL));
		*output_r = g_strconcat(out, err, NULL);
		g_free(out);
		g_free(err);
		started = g_spawn_check_wait_status(status, NULL);
		if (started || attempt == 5 ||
		    strstr(*output_r, "already in use") == NULL)
			return started;
		g_test_message("ports %u-%u were taken meanwhile, trying "
			       "others:\n%s", base_port, base_port + 29,
			       *output_r);
		g_free(*output_r);
		test_env_stop();
	}
}

void test_env_start_full(const char *extra_conf,
			 const char *extra_haproxy_cfg)
{
	char *output;

	if (!env_spawn_start(extra_conf, extra_haproxy_cfg, &output))
		g_error("env.sh start failed:\n%s", output);
	g_free(output);
}

void test_env_start_with(const char *extra_conf)
{
	test_env_start_full(extra_conf, NULL);
}

void test_env_start(void)
{
	test_env_start_with(NULL);
}

gboolean test_env_try_start_run(const char *extra_conf, char **output_r,
				GTestDataFunc running, gconstpointer data)
{
	char *saved_dir = env_dir;
	unsigned int saved_port = base_port;
	gboolean started;

	g_assert_null(outer_env_dir);
	outer_env_dir = saved_dir;
	started = env_spawn_start(extra_conf, NULL, output_r);
	if (started && running != NULL)
		running(data);
	test_env_stop();
	env_dir = saved_dir;
	base_port = saved_port;
	outer_env_dir = NULL;
	return started;
}

gboolean test_env_try_start(const char *extra_conf, char **output_r)
{
	return test_env_try_start_run(extra_conf, output_r, NULL, NULL);
}

void test_env_bad_value(gconstpointer data)
{
	const char *const *c = data;
	char *output;

	g_assert_false(test_env_try_start(c[0], &output));
	if (strstr(output, c[1]) == NULL)
		g_error("start-up error does not name %s:\n%s", c[1], output);
	g_free(output);
}

char *test_env_doveconf(const char *args)
{
	char *cmd = g_strdup_printf("/bin/sh %s doveconf %s %s", TEST_ENV_SH,
				    env_dir, args);
	char *out = NULL;

	g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL));
	g_free(cmd);
	return out;
}

void test_env_stop(void)
{
	const char *argv[] = { "/bin/sh", TEST_ENV_SH, "stop", env_dir, NULL };
	char *rm[] = { "rm", "-rf", env_dir, NULL };

	run_env(argv);
	assert_no_sanitizer_reports();
	if (g_getenv("TEST_KEEP_ENV") == NULL)
		g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
			     NULL, NULL, NULL, NULL);
	else
		g_printerr("kept %s\n", env_dir);
	g_free(env_dir);
	env_dir = NULL;
}

unsigned int test_dovecot_port(enum test_dovecot_port port)
{
	return base_port + (unsigned int)port;
}

unsigned int test_haproxy_port(enum test_haproxy_port port)
{
	return base_port + 10 + (unsigned int)port;
}

char *test_env_path(const char *name)
{
	return g_build_filename(env_dir, name, NULL);
}

gboolean test_env_sanitized(void)
{
	return TEST_SANITIZER_PRELOAD[0] != '\0';
}

const char *test_env_dovecot_version(void)
{
	static char *version = NULL;

	if (version == NULL) {
		const char *argv[] = { "/bin/sh", TEST_ENV_SH, "version", NULL };
		char *out = NULL;
		int status;

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
					   G_SPAWN_DEFAULT, NULL, NULL, &out,
					   NULL, &status, NULL));
		g_assert_true(g_spawn_check_wait_status(status, NULL));
		version = g_strstrip(out);
		g_assert_cmpstr(version, !=, "");
	}
	return version;
}

gboolean test_env_dovecot_24(void)
{
	const char *version = test_env_dovecot_version();
	guint64 major = g_ascii_strtoull(version, NULL, 10);
	const char *dot = strchr(version, '.');
	guint64 minor = dot == NULL ? 0 : g_ascii_strtoull(dot + 1, NULL, 10);

	return major > 2 || (major == 2 && minor >= 4);
}

const char *test_env_dir(void)
{
	return env_dir;
}

gboolean test_env_valgrind(void)
{
	return g_strcmp0(g_getenv("TEST_LOGIN_WRAPPER"), "valgrind") == 0;
}

char *test_env_valgrind_pattern(const char *service)
{
	char *base = g_path_get_basename(env_dir);
	char *pattern = g_strdup_printf("valgrind.*/%s/valgrind-%s-", base,
					service);

	g_free(base);
	return pattern;
}

int test_env_doveadm(const char *args, const char *stdin_file,
		     char **stdout_r, char **stderr_r)
{
	char *cmd = g_strdup_printf("/bin/sh %s doveadm %s %s%s%s",
				    TEST_ENV_SH, env_dir, args,
				    stdin_file == NULL ? "" : " < ",
				    stdin_file == NULL ? "" : stdin_file);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int status;

	g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL,
				   NULL, stdout_r, stderr_r, &status, NULL));
	g_free(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *read_log(void)
{
	char *path = test_env_path("dovecot.log");
	char *contents = NULL;

	if (!g_file_get_contents(path, &contents, NULL, NULL))
		contents = g_strdup("");
	g_free(path);
	return contents;
}

gsize test_log_mark(void)
{
	char *log = read_log();
	gsize size = strlen(log);

	g_free(log);
	return size;
}

char *test_log_since(gsize mark)
{
	char *log = read_log();
	char *since = g_strdup(strlen(log) >= mark ? log + mark : "");

	g_free(log);
	return since;
}

const char *test_log_needle(const char *needle)
{
	/* 2.3's wording, 2.4's */
	static const char *const words[][2] = {
		{ "Login: user=", "Logged in: user=" },
		{ "-login: Info: Disconnected", "-login: Info: Login aborted" },
		{ "Aborted login", "Logged out" },
		{ "(user disabled): ", "(user_disabled): " },
	};

	if (!test_env_dovecot_24())
		return needle;
	if (strcmp(needle, "Disconnected") == 0)
		return "Login aborted";
	for (unsigned int i = 0; i < G_N_ELEMENTS(words); i++) {
		const char *p = strstr(needle, words[i][0]);

		if (p != NULL) {
			char *s = g_strdup_printf("%.*s%s%s",
				(int)(p - needle), needle, words[i][1],
				p + strlen(words[i][0]));
			const char *interned = g_intern_string(s);

			g_free(s);
			return interned;
		}
	}
	return needle;
}

/* The complete lines after mark that contain all needles, oldest first
   (a line still being written has no newline yet: it is left for the
   next look) */
static GPtrArray *matching_lines(gsize mark, const char *const *needles)
{
	char *since = test_log_since(mark);
	char *end = strrchr(since, '\n');
	GPtrArray *found = g_ptr_array_new_with_free_func(g_free);

	if (end == NULL) {
		g_free(since);
		return found;
	}
	*end = '\0';
	char **lines = g_strsplit(since, "\n", -1);
	for (char **line = lines; *line != NULL; line++) {
		gboolean all = TRUE;

		for (const char *const *n = needles; *n != NULL; n++)
			all = all && strstr(*line, *n) != NULL;
		if (all)
			g_ptr_array_add(found, g_strdup(*line));
	}
	g_strfreev(lines);
	g_free(since);
	return found;
}

/* Matching lines once there are at least count of them, or all there
   are when the guard runs out (a guard against hanging, not a timing
   assertion: the caller asserts the count) */
static GPtrArray *wait_lines(gsize mark, guint count,
			     const char *needle, va_list args)
{
	GPtrArray *needles = g_ptr_array_new();
	GPtrArray *found = NULL;

	for (const char *n = needle; n != NULL; n = va_arg(args, const char *))
		g_ptr_array_add(needles, (gpointer)test_log_needle(n));
	g_ptr_array_add(needles, NULL);

	for (unsigned int waited = 0; ; waited += 50) {
		found = matching_lines(mark,
				       (const char *const *)needles->pdata);
		if (found->len >= count ||
		    waited >= TEST_LOG_WAIT_GUARD_MSECS * test_guard_factor())
			break;
		g_ptr_array_unref(found);
		g_usleep(50 * 1000);
	}
	if (found->len < count) {
		char *since = test_log_since(mark);
		g_test_message("%u of %u lines; log since mark:\n%s",
			       found->len, count, since);
		g_free(since);
	}
	g_ptr_array_free(needles, TRUE);
	return found;
}

char *test_log_wait(gsize mark, const char *needle, ...)
{
	va_list args;
	GPtrArray *found;
	char *line = NULL;

	va_start(args, needle);
	found = wait_lines(mark, 1, needle, args);
	va_end(args);
	if (found->len > 0)
		line = g_strdup(g_ptr_array_index(found, 0));
	g_ptr_array_unref(found);
	return line;
}

guint test_log_wait_count(gsize mark, guint count, const char *needle, ...)
{
	va_list args;
	GPtrArray *found;
	guint n;

	va_start(args, needle);
	found = wait_lines(mark, count, needle, args);
	va_end(args);
	n = found->len;
	g_ptr_array_unref(found);
	return n;
}
