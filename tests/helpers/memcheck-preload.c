/* Preloaded into the Dovecot processes of scripts/memcheck.sh asan, after
   the ASan runtime; for the memory check only, never in a deployment.

   Login processes set RLIMIT_NPROC to 1 ("make sure we can't fork()"),
   and LeakSanitizer's exit-time check runs in a tracer it clone()s, which
   that limit refuses (EAGAIN: the login user has other processes): no
   leak would be checked in a login process. Here that one limit is left
   as it is; every other setrlimit() goes through.

   Dovecot dlclose()s its modules before the process exits, and a leak
   allocated by an unloaded module would be reported without a module
   name, as if Dovecot had made it: dlclose() leaves them loaded. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/resource.h>

typedef int setrlimit_func(__rlimit_resource_t, const struct rlimit *);

int setrlimit(__rlimit_resource_t resource, const struct rlimit *rlim)
{
	static setrlimit_func *next = NULL;

	if (resource == RLIMIT_NPROC)
		return 0;
	if (next == NULL)
		next = (setrlimit_func *)dlsym(RTLD_NEXT, "setrlimit");
	return next(resource, rlim);
}

int dlclose(void *handle)
{
	(void)handle;
	return 0;
}
