/*  pg_session.h - one PostgreSQL connection that reconnects by itself,
    as the broker and the worker keep it (the CLI never links this: it
    talks only to the broker).

    The session connects lazily and, while the database is away, at most
    once per backoff period (100 ms doubling to 5 s), so an event loop may
    ask for the connection on every turn without hammering the server.
    Errors are kept as one line ("what: libpq's message") for logs and
    replies. Everything said to the server beyond connecting belongs to
    the caller.
*/
#ifndef ASSAY_PG_SESSION_H_INCLUDED
#define ASSAY_PG_SESSION_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct _pg_session_t pg_session_t;

/* conninfo: a URL or key=value string. options: server settings for the
   session ("-c lock_timeout=1000"), given before conninfo so that what
   the URL sets wins. application_name: how the server lists it. All
   copied. NULL when out of memory. */
pg_session_t *pg_session_new(const char *conninfo, const char *options,
                             const char *application_name);
void pg_session_destroy(pg_session_t **self_p);

/* The open connection (borrowed), or NULL when there is none and the
   backoff period has not passed or connecting failed (the error says
   why). *opened, when not NULL, is set true when this call opened it: a
   new session may need set-up first (pg_session_abandon if that fails). */
PGconn *pg_session_connect(pg_session_t *self, bool *opened);
/* The connection if it is open, else NULL; never connects. */
PGconn *pg_session_connection(const pg_session_t *self);
/* Close the connection; the next attempt waits a backoff period from
   the last one. */
void pg_session_abandon(pg_session_t *self);
/* The connection broke mid-statement: let the next pg_session_connect
   try at once instead of waiting out a backoff. */
void pg_session_retry_now(pg_session_t *self);
/* Milliseconds until the next connection attempt is allowed. */
int pg_session_backoff_ms(const pg_session_t *self);

/* Record an error: "what: detail", newlines turned into spaces. */
void pg_session_fail(pg_session_t *self, const char *what, const char *detail);
/* The last error, one line ("" when none yet). */
const char *pg_session_error(const pg_session_t *self);

#endif
