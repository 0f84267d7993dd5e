/*  client_conn.h - the CLI's one connection to the broker.

    A DEALER socket on the client link (ASSAY01, proto/PROTOCOL.md). Every
    frame goes through the codec (assay_msg). Requests carry request ids
    and answers are matched by them; answers to requests we gave up on
    are dropped.

    There are no heartbeats on the client link in ASSAY01, so the
    connection watches the transport instead: ZeroMQ's own ZMTP
    heartbeats (answered by the broker's I/O thread) find a dead peer in
    seconds, and a socket monitor says when the link is up and when it
    was lost. That separates the two ways a request can go unanswered:

    * the link is down (broker stopped, unreachable): after the
      unreachable budget (10 s; ASSAY_BROKER_TIMEOUT in seconds), callers
      exit 75; when the link comes back first, requests in flight are
      sent again, since the old link may have taken them with it;
    * the link is up but the broker is slow (a big results page behind
      other queries): the request is NOT sent again, which would only
      queue more work in front of it, and it is waited for up to the
      answer budget (CLIENT_CONN_ANSWER_MS) before 75.
*/
#ifndef ASSAY_CLIENT_CONN_H_INCLUDED
#define ASSAY_CLIENT_CONN_H_INCLUDED

#include "assay_msg.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _client_conn_t client_conn_t;

#define CLIENT_CONN_DEFAULT_TIMEOUT_MS 10000   /* link down this long: unavailable */
#define CLIENT_CONN_ANSWER_MS 300000           /* link up, no answer this long: unavailable */

/* Outcome of a request. */
typedef enum {
    CLIENT_CONN_OK = 0,
    CLIENT_CONN_UNAVAILABLE = -1,   /* no answer within the budgets */
    CLIENT_CONN_INTERRUPTED = -2    /* SIGINT or SIGTERM */
} client_conn_result_t;

/* Connect (asynchronously: ZeroMQ connects in the background) to the
   broker's client endpoint. NULL with a message when the endpoint is not
   a valid ZeroMQ endpoint. */
client_conn_t *client_conn_new(const char *endpoint, char *error, size_t error_size);
void client_conn_destroy(client_conn_t **self_p);

const char *client_conn_endpoint(const client_conn_t *self);
/* The unreachable budget, in ms. */
int client_conn_timeout_ms(const client_conn_t *self);

/* QUERY verb [target] [arguments] and wait for its REPLY (sent again
   only after the link was lost and is back). A REPLY with code 75
   (database unavailable, or the broker just reconnected to it) is asked
   again after a pause within the unreachable budget; the last answer
   stands after that. On CLIENT_CONN_OK sets *code and *body (the parsed
   reply body, NULL if it was not JSON; caller deletes). */
client_conn_result_t client_conn_query(client_conn_t *self, const char *verb, const char *target,
                                       const cJSON *arguments, uint32_t *code, cJSON **body);

/* For pipelines (submit): send one message (taking it), receive the next
   well-formed one. Request ids below 2^63 are the caller's to choose;
   client_conn_query uses the others. send returns 0 or -1 (the message
   could not be queued; it is destroyed either way). recv returns NULL
   when nothing came within timeout_ms or on a signal. */
int client_conn_send(client_conn_t *self, assay_msg_t **msg_p);
assay_msg_t *client_conn_recv(client_conn_t *self, int timeout_ms);

/* How many times the link was lost so far: a request sent when this was
   N must be sent again once it is more than N and the link is up. */
uint64_t client_conn_losses(const client_conn_t *self);
bool client_conn_connected(const client_conn_t *self);
/* Has a request waiting since `since` (monotonic ms, e.g. its send or
   the last answer) waited too long, by the budgets above? */
bool client_conn_given_up(const client_conn_t *self, int64_t since);

/* Sleep up to `ms`, dropping any stale answers that arrive meanwhile;
   returns early (false) on a signal. */
bool client_conn_idle(client_conn_t *self, int ms);

#endif
