#ifndef DOVEADM_HAPROXY_H
#define DOVEADM_HAPROXY_H

/* Dovecot 2.3: str_begins() is the two-argument test, which 2.4 renamed
   str_begins_with() */
#if !DOVECOT_PREREQ(2, 4, 0)
#  define str_begins_with(h, n) str_begins(h, n)
#endif

extern struct doveadm_cmd_ver2 doveadm_cmd_haproxy_test;

/* A TLV type as the plugin's settings write it: 0xE1 or 225. Only types
   the decoder has no field of its own for (custom, experimental, not yet
   assigned): FALSE for the others and for anything not 1-255. */
bool doveadm_haproxy_parse_tlv_type(const char *str, uint8_t *type_r);

#endif
