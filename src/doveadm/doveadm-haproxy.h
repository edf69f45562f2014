#ifndef DOVEADM_HAPROXY_H
#define DOVEADM_HAPROXY_H

extern struct doveadm_cmd_ver2 doveadm_cmd_haproxy_test;

#endif
