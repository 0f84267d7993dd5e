/*  client_conn.h - the CLI's one connection to the broker.

    A DEALER socket on the client link (ASSAY01, proto/PROTOCOL.md). Every
    frame goes through the codec (assay_msg). Requests carry request ids
    and answers are matched by them; answers to requests we gave up on
    are dropped. There are no heartbeats on the client link, so "the
    broker is unavailable" means "no answer within the connection's time
    budget" (default 10 s; ASSAY_BROKER_TIMEOUT in seconds overrides);
    callers then exit 75.
*/
#ifndef ASSAY_CLIENT_CONN_H_INCLUDED
#define ASSAY_CLIENT_CONN_H_INCLUDED

#include "assay_msg.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _client_conn_t client_conn_t;

#define CLIENT_CONN_DEFAULT_TIMEOUT_MS 10000

/* Outcome of a request. */
typedef enum {
    CLIENT_CONN_OK = 0,
    CLIENT_CONN_UNAVAILABLE = -1,   /* no answer within the time budget */
    CLIENT_CONN_INTERRUPTED = -2    /* SIGINT or SIGTERM */
} client_conn_result_t;

/* Connect (asynchronously: ZeroMQ connects in the background) to the
   broker's client endpoint. NULL with a message when the endpoint is not
   a valid ZeroMQ endpoint. */
client_conn_t *client_conn_new(const char *endpoint, char *error, size_t error_size);
void client_conn_destroy(client_conn_t **self_p);

const char *client_conn_endpoint(const client_conn_t *self);
/* How long a request may go unanswered before the broker counts as
   unavailable. */
int client_conn_timeout_ms(const client_conn_t *self);
void client_conn_set_timeout_ms(client_conn_t *self, int timeout_ms);

/* QUERY verb [target] [arguments] and wait for its REPLY, resending it
   (same request id) with backoff while the budget lasts, in case the
   broker restarted and lost it. A REPLY with code 75 (database
   unavailable) is asked again after a pause while the budget lasts. On
   CLIENT_CONN_OK sets *code and *body (the parsed reply body, NULL if it
   was not JSON; caller deletes). */
client_conn_result_t client_conn_query(client_conn_t *self, const char *verb, const char *target,
                                       const cJSON *arguments, uint32_t *code, cJSON **body);

/* For pipelines (submit): send one message (taking it), receive the next
   well-formed one. Request ids below 2^63 are the caller's to choose;
   client_conn_query uses the others. send returns 0 or -1 (the message
   could not be queued; it is destroyed either way). recv returns NULL
   when nothing came within timeout_ms or on a signal. */
int client_conn_send(client_conn_t *self, assay_msg_t **msg_p);
assay_msg_t *client_conn_recv(client_conn_t *self, int timeout_ms);

/* Sleep up to `ms`, dropping any stale answers that arrive meanwhile;
   returns early (false) on a signal. */
bool client_conn_idle(client_conn_t *self, int ms);

#endif
