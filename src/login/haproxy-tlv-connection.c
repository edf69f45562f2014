/* Reads the PROXY header of every connection on a `haproxy = yes`
   listener before login-common sees the connection.

   Core would read the header itself for such listeners. At the first
   ioloop iteration (after plugins are initialised, before any connection
   is accepted) the plugin clears their haproxy flag and wraps the service's
   connection callback, so core hands it the untouched socket. The login
   client is created only once the header has been applied: client_alloc()
   then sees the real client address (trusted networks, penalties, events,
   settings filters) and an `ssl = yes` listener starts its TLS handshake
   only after the header. */

#include "lib.h"
#include "ioloop.h"
#include "net.h"
#include "llist.h"
#include "array.h"
#include "buffer.h"
#include "master-service-private.h"
#include "master-service-settings.h"
#include "login-common.h"
#include "proxy-header.h"
#include "haproxy-tlv-net.h"
#include "haproxy-tlv-plugin.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct haproxy_tlv_conn {
	struct haproxy_tlv_conn *prev, *next;
	pool_t pool;
	/* made when something is first logged about the connection
	   (haproxy_tlv_conn_get_event()) */
	struct event *event;

	struct master_service_connection conn;
	struct io *io;
	struct timeout *to;
	/* header bytes already consumed from the socket: only when the
	   header arrived in pieces */
	buffer_t *partial;
	/* haproxy_tlv_max_header_size for the peer */
	size_t max_header_size;
};

/* A header waiting for its login client. Usually taken within the core
   callback; with login_access_sockets, login-common creates the client
   later, so the header waits here until then.

   It belongs to the socket it arrived on, identified by the socket's
   inode: once login-common has closed the connection, a later one can
   get the same fd number, and even the same source address and port,
   but never the same socket. Login-common closes a connection that gets
   no client without telling plugins (login_access_sockets refused it or
   the client left during the lookup, client_init_ssl() failed), so every
   use of the list first drops the entries whose fd no longer holds
   their socket. */
struct haproxy_tlv_pending {
	struct haproxy_tlv_pending *prev, *next;
	/* made when something is first logged about it */
	struct event *event;
	/* the connection's real addresses, for the event */
	struct master_service_connection conn;
	int fd;
	dev_t dev;
	ino_t ino;
	/* the `haproxy = yes` listener the connection arrived on */
	char *listener_name;
	/* owned here until the login client takes it */
	struct haproxy_tlv_header *header;
	/* no header: a direct client (haproxy_tlv_direct_networks), to be
	   left to login-common alone */
	bool direct;
	/* in haproxy_pending, bound to its socket's inode */
	bool listed;
};

static struct haproxy_tlv_pending *haproxy_pending = NULL;
/* The entry of the connection being handed to login-common right now.
   Its login client usually takes it within that call, on the socket the
   header arrived on, so only an entry left after the call needs binding
   to the socket (fstat()) and a place in the list. */
static struct haproxy_tlv_pending *haproxy_handover = NULL;
static struct haproxy_tlv_conn *haproxy_conns = NULL;
static struct timeout *to_takeover = NULL;
static master_service_connection_callback_t *core_callback = NULL;
static ARRAY(int) haproxy_listen_fds;
static ARRAY_TYPE(const_string) haproxy_listener_names;
/* listener of the connection the master accepted for this process
   before starting it (Dovecot 2.4.2 and later), -1 for none */
static int preaccepted_listen_fd = -1;

static struct event *
haproxy_tlv_conn_event(const struct master_service_connection *conn)
{
	struct event *event = event_create(haproxy_tlv_event);
	const char *proxy_ip = haproxy_tlv_net_ip2addr(&conn->real_remote_ip);

	event_add_str(event, "proxy_ip", proxy_ip);
	event_add_int(event, "proxy_port", conn->real_remote_port);
	event_add_str(event, "local_ip",
		      haproxy_tlv_net_ip2addr(&conn->real_local_ip));
	event_add_int(event, "local_port", conn->real_local_port);
	event_set_append_log_prefix(event,
		t_strconcat("rip=", proxy_ip, ": ", NULL));
	return event;
}

/* *event, made from conn if it is not there yet */
static struct event *
haproxy_tlv_lazy_event(struct event **event,
		       const struct master_service_connection *conn)
{
	if (*event == NULL)
		*event = haproxy_tlv_conn_event(conn);
	return *event;
}

static struct event *
haproxy_tlv_pending_event(struct haproxy_tlv_pending *pending)
{
	return haproxy_tlv_lazy_event(&pending->event, &pending->conn);
}

static struct event *haproxy_tlv_conn_get_event(struct haproxy_tlv_conn *hpconn)
{
	return haproxy_tlv_lazy_event(&hpconn->event, &hpconn->conn);
}

static void haproxy_tlv_pending_free(struct haproxy_tlv_pending *pending)
{
	if (pending->listed)
		DLLIST_REMOVE(&haproxy_pending, pending);
	if (pending == haproxy_handover)
		haproxy_handover = NULL;
	if (pending->event != NULL)
		event_unref(&pending->event);
	haproxy_tlv_header_free(&pending->header);
	i_free(pending->listener_name);
	i_free(pending);
}

/* The fd still refers to the socket the header arrived on */
static bool
haproxy_tlv_pending_is_current(const struct haproxy_tlv_pending *pending)
{
	struct stat st;

	/* EBADF: closed. Any other failure cannot prove it is the same
	   socket either. */
	if (fstat(pending->fd, &st) < 0)
		return FALSE;
	return st.st_dev == pending->dev && st.st_ino == pending->ino;
}

/* Drop the headers whose connection ended without a login client */
static void haproxy_tlv_pending_purge(void)
{
	struct haproxy_tlv_pending *pending, *next;

	for (pending = haproxy_pending; pending != NULL; pending = next) {
		next = pending->next;
		if (haproxy_tlv_pending_is_current(pending))
			continue;
		e_debug(haproxy_tlv_pending_event(pending), "PROXY header dropped: its connection "
			"was closed before a login client was created");
		haproxy_tlv_pending_free(pending);
	}
}

/* The entry owns the header from now on. A direct client's entry has no
   header. */
static struct haproxy_tlv_pending *
haproxy_tlv_pending_new(const struct master_service_connection *conn,
			struct haproxy_tlv_header **_header, bool direct)
{
	struct haproxy_tlv_pending *pending;

	i_assert(direct == (*_header == NULL));
	pending = i_new(struct haproxy_tlv_pending, 1);
	pending->direct = direct;
	pending->fd = conn->fd;
	pending->listener_name = i_strdup(conn->name);
	pending->conn = *conn;
	pending->conn.name = pending->listener_name;
	pending->header = *_header;
	*_header = NULL;
	return pending;
}

/* An entry login-common did not take while it was handed over waits in
   the list, bound to the socket, if the connection is still open. The fd
   is still the header's socket if it is open at all: login-common accepts
   no connection within the handover. */
static void haproxy_tlv_pending_bind(struct haproxy_tlv_pending *pending)
{
	struct stat st;

	if (fstat(pending->fd, &st) < 0) {
		if (errno != EBADF)
			e_error(haproxy_tlv_pending_event(pending), "fstat() failed: %m");
		e_debug(haproxy_tlv_pending_event(pending), "PROXY header dropped: its connection "
			"was closed before a login client was created");
		haproxy_tlv_pending_free(pending);
		return;
	}
	pending->dev = st.st_dev;
	pending->ino = st.st_ino;
	pending->listed = TRUE;
	DLLIST_PREPEND(&haproxy_pending, pending);
}

/* Give the connection to login-common, with the entry for its client */
static void
haproxy_tlv_hand_over(struct haproxy_tlv_pending *pending,
		      struct master_service_connection *conn)
{
	struct haproxy_tlv_pending *outer = haproxy_handover;

	haproxy_tlv_pending_purge();
	haproxy_handover = pending;
	core_callback(conn);
	/* login-common closes the connection itself when it cannot set up
	   a client (client_init_ssl() failed, or the access lookup could
	   not start): the header goes with it */
	if (haproxy_handover == pending)
		haproxy_tlv_pending_bind(pending);
	haproxy_handover = outer;
}

/* The entry for the client on fd: the one being handed over, or one
   whose socket fd still is */
static struct haproxy_tlv_pending *haproxy_tlv_pending_find(int fd)
{
	struct haproxy_tlv_pending *pending;

	if (haproxy_handover != NULL && haproxy_handover->fd == fd)
		return haproxy_handover;
	/* after this, an entry with this fd is the client's own socket */
	haproxy_tlv_pending_purge();
	for (pending = haproxy_pending; pending != NULL;
	     pending = pending->next) {
		if (pending->fd == fd)
			return pending;
	}
	return NULL;
}

struct haproxy_tlv_header *
haproxy_tlv_header_take(int fd, const char *listener_name)
{
	struct haproxy_tlv_pending *pending = haproxy_tlv_pending_find(fd);
	struct haproxy_tlv_header *header;

	if (pending == NULL)
		return NULL;
	if (pending->direct) {
		/* never a header for a direct client's socket */
		haproxy_tlv_pending_free(pending);
		return NULL;
	}
	/* Only a client of the haproxy = yes listener the header arrived
	   on may have it. The socket already implies that; this keeps a
	   header from ever reaching a listener without haproxy = yes, where
	   anyone may connect. */
	if (null_strcmp(pending->listener_name, listener_name) != 0) {
		e_error(haproxy_tlv_pending_event(pending), "PROXY header not applied: it arrived "
			"on listener %s, the client is on listener %s",
			pending->listener_name, listener_name);
		return NULL;
	}
	/* handed over, not copied */
	header = pending->header;
	pending->header = NULL;
	haproxy_tlv_pending_free(pending);
	return header;
}

bool haproxy_tlv_direct_take(int fd, const char *listener_name)
{
	struct haproxy_tlv_pending *pending = haproxy_tlv_pending_find(fd);

	if (pending == NULL || !pending->direct)
		return FALSE;
	/* the socket implies the listener; a mismatch would be a bug */
	if (null_strcmp(pending->listener_name, listener_name) != 0) {
		e_error(haproxy_tlv_pending_event(pending), "Direct client mark not applied: it "
			"was set on listener %s, the client is on listener %s",
			pending->listener_name, listener_name);
		return FALSE;
	}
	haproxy_tlv_pending_free(pending);
	return TRUE;
}

bool haproxy_tlv_is_haproxy_listener(const char *name)
{
	/* unnamed listeners cannot be told apart */
	if (name == NULL || name[0] == '\0')
		return FALSE;
	const char *const *namep;
	array_foreach(&haproxy_listener_names, namep) {
		if (strcmp(*namep, name) == 0)
			return TRUE;
	}
	return FALSE;
}

static bool is_haproxy_listener(int listen_fd)
{
	const int *fdp;

	array_foreach(&haproxy_listen_fds, fdp) {
		if (*fdp == listen_fd)
			return TRUE;
	}
	return FALSE;
}

static const struct master_service_settings *haproxy_tlv_service_settings(void)
{
#if DOVECOT_PREREQ(2, 4, 0)
	return master_service_get_service_settings(master_service);
#else
	return master_service_settings_get(master_service);
#endif
}

/* haproxy_trusted_networks, parsed once per process rather than for
   each connection */
static struct haproxy_tlv_net_list trusted_networks;

static bool
haproxy_tlv_peer_is_trusted(const struct master_service_connection *conn)
{
	const char *error;
	int ret;

	haproxy_tlv_net_list_update(&trusted_networks,
		haproxy_tlv_service_settings()->haproxy_trusted_networks);
	ret = haproxy_tlv_net_list_contains(&trusted_networks,
					    &conn->real_remote_ip, &error);
	if (ret < 0) {
		struct event *event = haproxy_tlv_conn_event(conn);

		e_error(event, "haproxy_trusted_networks: %s", error);
		event_unref(&event);
	}
	return ret > 0;
}

static void haproxy_tlv_conn_free(struct haproxy_tlv_conn **_hpconn)
{
	struct haproxy_tlv_conn *hpconn = *_hpconn;

	*_hpconn = NULL;
	DLLIST_REMOVE(&haproxy_conns, hpconn);
	io_remove(&hpconn->io);
	timeout_remove(&hpconn->to);
	if (hpconn->event != NULL)
		event_unref(&hpconn->event);
	pool_unref(&hpconn->pool);
}

/* Close the connection: core's accounting closes the fd */
static void haproxy_tlv_conn_fail(struct haproxy_tlv_conn *hpconn)
{
	struct master_service_connection conn = hpconn->conn;

	haproxy_tlv_conn_free(&hpconn);
	conn.accepted = FALSE;
	master_service_client_connection_handled(master_service, &conn);
}

static void
haproxy_tlv_conn_reject(struct haproxy_tlv_conn *hpconn, const char *name,
			const char *reason)
{
	struct event_passthrough *e =
		event_create_passthrough(haproxy_tlv_conn_get_event(hpconn))->
		set_name(name)->
		add_str("error", reason);

	e_error(e->event(), "Invalid PROXY header, connection closed: %s",
		reason);
	haproxy_tlv_conn_fail(hpconn);
}

static void
haproxy_tlv_conn_refuse(struct haproxy_tlv_conn *hpconn,
			const struct haproxy_tlv_refusal *refusal)
{
	struct event_passthrough *e =
		event_create_passthrough(haproxy_tlv_conn_get_event(hpconn))->
		set_name(refusal->event_name);

	e_warning(e->event(), "%s: connection closed", refusal->reason);
	haproxy_tlv_conn_fail(hpconn);
}

static void
haproxy_tlv_conn_debug(struct haproxy_tlv_conn *hpconn,
		       const struct haproxy_tlv_header *header,
		       const struct master_service_connection *conn,
		       const struct proxy_header *hdr)
{
	struct event_passthrough *e =
		event_create_passthrough(haproxy_tlv_conn_get_event(hpconn))->
		set_name("haproxy_tlv_header_received")->
		add_int("proxy_version", hdr->version)->
		add_str("proxy_command",
			proxy_header_command_name(hdr->command));
	bool addresses = haproxy_tlv_policy_header_addresses(header);

	if (addresses) {
		e->add_str("client_ip", haproxy_tlv_net_ip2addr(&conn->remote_ip));
		e->add_int("client_port", conn->remote_port);
	}
	e_debug(e->event(), "PROXY v%u header (%zu bytes) received%s",
		hdr->version, hdr->size, addresses ? "" :
		", using the connection's own addresses");
}

/* data[0..hdr->size-1] is the header, hdr its decoded view */
static void
haproxy_tlv_conn_finish(struct haproxy_tlv_conn *hpconn,
			const unsigned char *data,
			const struct proxy_header *hdr)
{
	struct master_service_connection conn = hpconn->conn;
	const struct haproxy_tlv_refusal *refusal;
	struct haproxy_tlv_header *header;

	const char *error;

	header = haproxy_tlv_header_import(data, hdr);
	haproxy_tlv_header_apply(header, &conn);
	if (haproxy_tlv_policy_read(&conn, header, &header->policy,
				    &error) < 0) {
		e_error(haproxy_tlv_conn_get_event(hpconn), "%s", error);
		haproxy_tlv_header_free(&header);
		haproxy_tlv_conn_fail(hpconn);
		return;
	}
	refusal = haproxy_tlv_policy_connection(&header->policy, header);
	if (refusal != NULL) {
		haproxy_tlv_header_free(&header);
		haproxy_tlv_conn_refuse(hpconn, refusal);
		return;
	}
	/* what only the settings give a meaning can make it invalid */
	if (haproxy_tlv_identity_load(header, &error) < 0 ||
	    !haproxy_tlv_header_custom_valid(header, &error)) {
		haproxy_tlv_header_free(&header);
		haproxy_tlv_conn_reject(hpconn, "haproxy_tlv_header_invalid",
					error);
		return;
	}

	/* the connection's event gets forced debug and its minimum level
	   from its parent */
	if (haproxy_tlv_debug_possible(haproxy_tlv_event))
		haproxy_tlv_conn_debug(hpconn, header, &conn, hdr);

	/* the io and timeout must be gone before login-common takes over
	   the fd */
	io_remove(&hpconn->io);
	timeout_remove(&hpconn->to);

	conn.accepted = FALSE;
	haproxy_tlv_hand_over(haproxy_tlv_pending_new(&conn, &header, FALSE),
			      &conn);
	haproxy_tlv_conn_free(&hpconn);
	master_service_client_connection_handled(master_service, &conn);
}

static ssize_t haproxy_tlv_recv(int fd, void *buf, size_t size, int flags)
{
	ssize_t ret;

	do {
		ret = recv(fd, buf, size, flags);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

/* Consume exactly size bytes that are known to be in the socket buffer
   because they were just peeked */
static bool
haproxy_tlv_conn_consume(struct haproxy_tlv_conn *hpconn, void *buf,
			 size_t size)
{
	ssize_t ret = haproxy_tlv_recv(hpconn->conn.fd, buf, size, 0);

	if (ret == (ssize_t)size)
		return TRUE;
	if (ret < 0)
		e_error(haproxy_tlv_conn_get_event(hpconn), "recv() failed: %m");
	else
		e_error(haproxy_tlv_conn_get_event(hpconn), "recv() returned %zd bytes of %zu "
			"peeked", ret, size);
	haproxy_tlv_conn_fail(hpconn);
	return FALSE;
}

/* Returns TRUE when the connection is done with (handed to login-common
   or closed: hpconn is freed), FALSE while the header is incomplete */
static bool haproxy_tlv_conn_read(struct haproxy_tlv_conn *hpconn)
{
	unsigned char buf[PROXY_HEADER_V2_MAX_SIZE];
	struct proxy_header hdr;
	size_t have = 0, need;
	const char *reason;
	ssize_t ret;

	if (hpconn->partial != NULL) {
		have = hpconn->partial->used;
		memcpy(buf, hpconn->partial->data, have);
	}
	/* Peek, so that not one byte after the header is consumed */
	ret = haproxy_tlv_recv(hpconn->conn.fd, buf + have,
			       hpconn->max_header_size - have, MSG_PEEK);
	if (ret < 0 && errno == EAGAIN)
		return FALSE;
	if (ret <= 0) {
		struct event_passthrough *e =
			event_create_passthrough(haproxy_tlv_conn_get_event(hpconn))->
			set_name("haproxy_tlv_disconnected");
		if (ret == 0) {
			e_info(e->event(), "Disconnected before sending a "
			       "complete PROXY header (%zu bytes received)",
			       have);
		} else {
			e_info(e->event(), "recv() failed before a complete "
			       "PROXY header was received: %m");
		}
		haproxy_tlv_conn_fail(hpconn);
		return TRUE;
	}

	switch (proxy_header_decode_max(buf, have + (size_t)ret,
					hpconn->max_header_size, &hdr, &need,
					&reason)) {
	case PROXY_HEADER_INVALID:
		if (reason == proxy_header_reason_too_long) {
			reason = t_strdup_printf(
				"%s (haproxy_tlv_max_header_size = %zu)",
				reason, hpconn->max_header_size);
		}
		haproxy_tlv_conn_reject(hpconn, "haproxy_tlv_header_invalid",
					reason);
		return TRUE;
	case PROXY_HEADER_NEED_MORE:
		/* every byte peeked so far belongs to the header: take them
		   out of the socket so the next input event means new data */
		if (hpconn->partial == NULL) {
			hpconn->partial = buffer_create_dynamic(hpconn->pool,
								have + ret + need);
		}
		if (!haproxy_tlv_conn_consume(hpconn, buf + have, (size_t)ret))
			return TRUE;
		buffer_append(hpconn->partial, buf + have, (size_t)ret);
		return FALSE;
	case PROXY_HEADER_COMPLETE:
		break;
	}
	i_assert(hdr.size > have);
	if (!haproxy_tlv_conn_consume(hpconn, buf + have, hdr.size - have))
		return TRUE;
	haproxy_tlv_conn_finish(hpconn, buf, &hdr);
	return TRUE;
}

static void haproxy_tlv_conn_input(struct haproxy_tlv_conn *hpconn)
{
	(void)haproxy_tlv_conn_read(hpconn);
}

static void haproxy_tlv_conn_timeout(struct haproxy_tlv_conn *hpconn)
{
	struct event_passthrough *e =
		event_create_passthrough(haproxy_tlv_conn_get_event(hpconn))->
		set_name("haproxy_tlv_timeout");

	size_t received = hpconn->partial == NULL ? 0 :
		hpconn->partial->used;
	/* nothing at all, where the server speaks first: a proxy that
	   sends its header only with the client's first bytes waits for a
	   client that waits for the greeting */
	const char *hint = received == 0 &&
		haproxy_tlv_policy_server_speaks_first(login_binary->protocol) ?
		t_strdup_printf(" (%s speaks first: the proxy may be waiting "
				"for the client's data before it sends the "
				"header, e.g. AWS NLB without header "
				"placement on the first ACK)",
				login_binary->protocol) : "";

	e_error(e->event(), "Timed out after %u secs waiting for the PROXY "
		"header (%zu bytes received): connection closed%s",
		haproxy_tlv_service_settings()->haproxy_timeout, received,
		hint);
	haproxy_tlv_conn_fail(hpconn);
}


/* Close a connection that was accepted, but never got a login client */
static void haproxy_tlv_conn_close(const struct master_service_connection *conn)
{
	struct master_service_connection closed = *conn;

	closed.accepted = FALSE;
	master_service_client_connection_handled(master_service, &closed);
}

/* A peer in haproxy_tlv_direct_networks: handed to login-common at once,
   as a client of a listener without `haproxy = yes` (no header read, its
   own addresses, its own TLS), marked so that the client hooks leave it
   alone. */
static void
haproxy_tlv_conn_direct(const struct master_service_connection *_conn)
{
	struct master_service_connection conn = *_conn;
	struct haproxy_tlv_header *no_header = NULL;

	if (haproxy_tlv_peer_is_trusted(&conn)) {
		struct event *event = haproxy_tlv_conn_event(&conn);

		/* only possible when filter blocks made the lists overlap
		   after the start-up check */
		e_error(event, "Connection from %s closed: in both "
			"haproxy_trusted_networks and "
			"haproxy_tlv_direct_networks",
			net_ip2addr(&conn.real_remote_ip));
		event_unref(&event);
		haproxy_tlv_conn_close(&conn);
		return;
	}
	if (haproxy_tlv_debug_possible(haproxy_tlv_event)) {
		struct event *event = haproxy_tlv_conn_event(&conn);

		e_debug(event, "Direct client (haproxy_tlv_direct_networks): "
			"no PROXY header read");
		event_unref(&event);
	}
	conn.accepted = FALSE;
	haproxy_tlv_hand_over(haproxy_tlv_pending_new(&conn, &no_header, TRUE),
			      &conn);
	master_service_client_connection_handled(master_service, &conn);
}

/* The connection is closed, with a log line of the given level */
static void
haproxy_tlv_conn_new_failed(const struct master_service_connection *conn,
			    const char *event_name, const char *message)
{
	struct event *event = haproxy_tlv_conn_event(conn);

	if (event_name == NULL)
		e_error(event, "%s", message);
	else {
		struct event_passthrough *e =
			event_create_passthrough(event)->set_name(event_name);

		e_warning(e->event(), "%s", message);
	}
	event_unref(&event);
	haproxy_tlv_conn_close(conn);
}

static void haproxy_tlv_conn_new(struct master_service_connection *conn)
{
	struct haproxy_tlv_conn *hpconn;
	unsigned int timeout_secs =
		haproxy_tlv_service_settings()->haproxy_timeout;
	const char *error;
	size_t max_header_size;
	bool direct;

	/* before anything is read, with the settings for the real peer */
	if (haproxy_tlv_peer_read(conn, &direct, &max_header_size,
				  &error) < 0) {
		haproxy_tlv_conn_new_failed(conn, NULL, t_strdup_printf(
			"%s: connection closed", error));
		return;
	}
	if (direct) {
		haproxy_tlv_conn_direct(conn);
		return;
	}
	if (!haproxy_tlv_peer_is_trusted(conn)) {
		haproxy_tlv_conn_new_failed(conn, "haproxy_tlv_untrusted",
			t_strdup_printf("Connection from %s closed: "
					"not in haproxy_trusted_networks",
					net_ip2addr(&conn->real_remote_ip)));
		return;
	}

	pool_t pool = pool_alloconly_create("haproxy-tlv connection", 512);
	hpconn = p_new(pool, struct haproxy_tlv_conn, 1);
	hpconn->pool = pool;
	hpconn->conn = *conn;
	hpconn->max_header_size = max_header_size;
	DLLIST_PREPEND(&haproxy_conns, hpconn);

	/* The header usually arrives with the connection: then it is read
	   at once, without registering an io and a timeout for it */
	if (haproxy_tlv_conn_read(hpconn))
		return;
	hpconn->io = io_add(conn->fd, IO_READ, haproxy_tlv_conn_input, hpconn);
	hpconn->to = timeout_add(timeout_secs * 1000,
				 haproxy_tlv_conn_timeout, hpconn);
}

static void haproxy_tlv_connected(struct master_service_connection *conn)
{
	if (!is_haproxy_listener(conn->listen_fd)) {
		core_callback(conn);
		return;
	}
	/* From here on the plugin owns the fd; core must not close it when
	   this callback returns. */
	master_service_client_connection_accept(conn);
	haproxy_tlv_conn_new(conn);
}

#if DOVECOT_PREREQ(2, 4, 2)
/* master_service_run() would read the PROXY header of a connection the
   master accepted for this process with core's code, before the takeover:
   keep it for the takeover instead */
static void haproxy_tlv_keep_preaccepted(void)
{
	struct master_service *service = master_service;
	int listen_fd = service->accepted_listener_fd;

	if (listen_fd == -1 ||
	    !service->listeners[listen_fd - MASTER_LISTEN_FD_FIRST].haproxy)
		return;
	preaccepted_listen_fd = listen_fd;
	service->accepted_listener_fd = -1;
}

/* What master_service_run() does with a pre-accepted connection */
static void haproxy_tlv_start_preaccepted(void)
{
	const struct master_service_listener *l =
		&master_service->listeners[preaccepted_listen_fd -
					   MASTER_LISTEN_FD_FIRST];
	struct master_service_connection conn = {
		.fd = MASTER_ACCEPTED_CLIENT_FD,
		.listen_fd = preaccepted_listen_fd,
		.ssl = l->ssl,
		.name = l->name != NULL ? l->name : "",
		.type = l->type != NULL ? l->type : "",
	};

	preaccepted_listen_fd = -1;
	master_service_client_connection_created(master_service);
	if (net_getpeername(conn.fd, &conn.remote_ip, &conn.remote_port) < 0) {
		/* The peer left while this process was starting (HAProxy's
		   health checks do): without its address nobody can tell
		   whether it may send a header. Core would go on with an
		   empty address. */
		e_debug(haproxy_tlv_event, "Connection closed before this "
			"process could read it: getpeername() failed: %m");
		master_service_client_connection_handled(master_service,
							 &conn);
		return;
	}
	(void)net_getsockname(conn.fd, &conn.local_ip, &conn.local_port);
	conn.real_remote_ip = conn.remote_ip;
	conn.real_remote_port = conn.remote_port;
	conn.real_local_ip = conn.local_ip;
	conn.real_local_port = conn.local_port;
	net_set_nonblock(conn.fd, TRUE);

	master_service_client_connection_callback(master_service, &conn);
}
#else
static void haproxy_tlv_keep_preaccepted(void)
{
}

static void haproxy_tlv_start_preaccepted(void)
{
}
#endif

static void haproxy_tlv_take_over(void *context ATTR_UNUSED)
{
	struct master_service *service = master_service;

	timeout_remove(&to_takeover);
	for (unsigned int i = 0; i < service->socket_count; i++) {
		struct master_service_listener *l = &service->listeners[i];

		if (!l->haproxy)
			continue;
		l->haproxy = FALSE;
		array_push_back(&haproxy_listen_fds, &l->fd);
		if (l->name != NULL && l->name[0] != '\0') {
			const char *name = i_strdup(l->name);
			array_push_back(&haproxy_listener_names, &name);
		}
		e_debug(haproxy_tlv_event,
			"Reading the PROXY header of listener %s",
			l->name == NULL || l->name[0] == '\0' ?
			"(unnamed)" : l->name);
	}
	if (array_count(&haproxy_listen_fds) == 0)
		return;
	i_assert(service->callback != NULL);
	core_callback = service->callback;
	service->callback = haproxy_tlv_connected;
	if (preaccepted_listen_fd != -1)
		haproxy_tlv_start_preaccepted();
}

void haproxy_tlv_connections_init(void)
{
	i_array_init(&haproxy_listen_fds, 4);
	i_array_init(&haproxy_listener_names, 4);
	/* master_service_run() sets the callback after plugins are
	   initialised; timeouts run before I/O in each ioloop iteration */
	to_takeover = timeout_add_short(0, haproxy_tlv_take_over, NULL);
	haproxy_tlv_keep_preaccepted();
}

void haproxy_tlv_connections_deinit(void)
{
	timeout_remove(&to_takeover);
	haproxy_tlv_net_list_free(&trusted_networks);
	while (haproxy_conns != NULL) {
		struct haproxy_tlv_conn *hpconn = haproxy_conns;

		haproxy_tlv_conn_fail(hpconn);
	}
	if (core_callback != NULL && master_service->callback ==
	    haproxy_tlv_connected)
		master_service->callback = core_callback;
	while (haproxy_pending != NULL)
		haproxy_tlv_pending_free(haproxy_pending);
	array_free(&haproxy_listen_fds);
	const char *const *namep;
	array_foreach(&haproxy_listener_names, namep)
		i_free_and_null(*(char **)namep);
	array_free(&haproxy_listener_names);
}
