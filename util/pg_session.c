/*  pg_session.c - a PostgreSQL connection with reconnect backoff. See
    pg_session.h. */
#include "pg_session.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

struct _pg_session_t {
    char *conninfo;
    char *options;
    char *application_name;
    PGconn *connection;
    int64_t attempted;      /* monotonic ms of the last connection attempt */
    int64_t next_attempt;   /* monotonic ms before which we do not reconnect */
    int backoff_ms;
    char error[512];
};

pg_session_t *pg_session_new(const char *conninfo, const char *options,
                             const char *application_name)
{
    pg_session_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->conninfo = strdup(conninfo);
    self->options = strdup(options);
    self->application_name = strdup(application_name);
    self->backoff_ms = BACKOFF_FIRST_MS;
    if (!self->conninfo || !self->options || !self->application_name)
        pg_session_destroy(&self);
    return self;
}

void pg_session_destroy(pg_session_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pg_session_t *self = *self_p;
    if (self->connection)
        PQfinish(self->connection);
    free(self->conninfo);
    free(self->options);
    free(self->application_name);
    free(self);
    *self_p = NULL;
}

PGconn *pg_session_connection(const pg_session_t *self)
{
    return self->connection && PQstatus(self->connection) == CONNECTION_OK ? self->connection
                                                                           : NULL;
}

void pg_session_abandon(pg_session_t *self)
{
    if (self->connection)
        PQfinish(self->connection);
    self->connection = NULL;
    self->next_attempt = self->attempted + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : self->backoff_ms * 2;
}

PGconn *pg_session_connect(pg_session_t *self, bool *opened)
{
    if (opened)
        *opened = false;
    if (pg_session_connection(self))
        return self->connection;
    int64_t now = zclock_mono();
    if (now < self->next_attempt)
        return NULL;
    self->attempted = now;
    if (self->connection)
        PQfinish(self->connection);
    /* A short connect timeout keeps the caller's loop responsive while the
       database is down; keepalives notice a database host that vanished. */
    const char *keywords[] = { "options", "keepalives_idle", "keepalives_interval",
                               "keepalives_count", "dbname", "connect_timeout",
                               "application_name", NULL };
    const char *values[] = { self->options, "10", "5", "3", self->conninfo, "2",
                             self->application_name, NULL };
    self->connection = PQconnectdbParams(keywords, values, 1);
    if (PQstatus(self->connection) != CONNECTION_OK) {
        pg_session_fail(self, "database unavailable", PQerrorMessage(self->connection));
        pg_session_abandon(self);
        return NULL;
    }
    self->backoff_ms = BACKOFF_FIRST_MS;
    if (opened)
        *opened = true;
    return self->connection;
}

void pg_session_retry_now(pg_session_t *self)
{
    self->next_attempt = 0;
}

int pg_session_backoff_ms(const pg_session_t *self)
{
    int64_t wait = self->next_attempt - zclock_mono();
    return wait > 0 ? (int) wait : 0;
}

void pg_session_fail(pg_session_t *self, const char *what, const char *detail)
{
    snprintf(self->error, sizeof self->error, "%s: %s", what, detail ? detail : "");
    /* libpq messages end in a newline; logs want one line. */
    char *newline;
    while ((newline = strchr(self->error, '\n')))
        *newline = ' ';
}

const char *pg_session_error(const pg_session_t *self)
{
    return self->error;
}
