#ifndef DOVEADM_HAPROXY_H
#define DOVEADM_HAPROXY_H

/* Dovecot 2.3: str_begins() is the two-argument test, which 2.4 renamed
   str_begins_with() */
#if !DOVECOT_PREREQ(2, 4, 0)
#  define str_begins_with(h, n) str_begins(h, n)
#endif

extern struct doveadm_cmd_ver2 doveadm_cmd_haproxy_test;

#endif
