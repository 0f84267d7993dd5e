/*  client_conn.c - the CLI's connection to the broker. See client_conn.h. */
#include "client_conn.h"
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_ID_BASE (UINT64_C(1) << 63)   /* query ids never clash with submit's */
#define FIRST_RESEND_MS 1000
#define MAX_RESEND_MS 4000
#define RETRY_PAUSE_MS 500                  /* after a REPLY 75 */

struct _client_conn_t {
    char *endpoint;
    zsock_t *socket;
    zpoller_t *poller;
    uint64_t next_query_id;
    int timeout_ms;
};

client_conn_t *client_conn_new(const char *endpoint, char *error, size_t error_size)
{
    client_conn_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    self->endpoint = strdup(endpoint);
    self->next_query_id = QUERY_ID_BASE;
    self->timeout_ms = CLIENT_CONN_DEFAULT_TIMEOUT_MS;
    const char *budget = getenv("ASSAY_BROKER_TIMEOUT");
    if (budget && *budget) {
        char *end = NULL;
        double seconds = strtod(budget, &end);
        if (end && !*end && seconds > 0 && seconds < 86400)
            self->timeout_ms = (int) (seconds * 1000);
    }
    self->socket = zsock_new(ZMQ_DEALER);
    if (!self->socket) {
        snprintf(error, error_size, "cannot create a ZeroMQ socket");
        client_conn_destroy(&self);
        return NULL;
    }
    /* Never hang on exit with unsent requests, reconnect quickly after a
       broker restart, refuse absurd messages, and never block forever
       when the send queue is full. */
    zsock_set_linger(self->socket, 0);
    zsock_set_reconnect_ivl(self->socket, 100);
    zsock_set_reconnect_ivl_max(self->socket, 2000);
    zsock_set_maxmsgsize(self->socket, (int64_t) ASSAY_MSG_MAX_BYTES);
    zsock_set_sndtimeo(self->socket, 1000);
    zsock_set_sndhwm(self->socket, 10000);
    zsock_set_rcvhwm(self->socket, 10000);
    if (zsock_connect(self->socket, "%s", endpoint) != 0) {
        snprintf(error, error_size, "invalid broker endpoint '%s' (expected e.g. tcp://host:5555)",
                 endpoint);
        client_conn_destroy(&self);
        return NULL;
    }
    self->poller = zpoller_new(self->socket, NULL);
    return self;
}

void client_conn_destroy(client_conn_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    client_conn_t *self = *self_p;
    zpoller_destroy(&self->poller);
    zsock_destroy(&self->socket);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

const char *client_conn_endpoint(const client_conn_t *self)
{
    return self->endpoint;
}

int client_conn_timeout_ms(const client_conn_t *self)
{
    return self->timeout_ms;
}

void client_conn_set_timeout_ms(client_conn_t *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_CONN_DEFAULT_TIMEOUT_MS;
}

int client_conn_send(client_conn_t *self, assay_msg_t **msg_p)
{
    return assay_msg_send(msg_p, self->socket);
}

assay_msg_t *client_conn_recv(client_conn_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono() + (timeout_ms > 0 ? timeout_ms : 0);
    while (!signals_caught()) {
        int64_t left = deadline - zclock_mono();
        /* Something may already wait even when the time is up. */
        void *ready = zpoller_wait(self->poller, left > 0 ? (int) left : 0);
        if (!ready)
            return NULL;
        const char *reason = NULL;
        assay_msg_t *msg = assay_msg_recv(self->socket, &reason);
        if (msg)
            return msg;
        if (!reason)
            return NULL;    /* interrupted */
        /* A malformed answer is dropped, as the protocol says; it cannot
           be matched to a request anyway. */
        if (zclock_mono() >= deadline)
            return NULL;
    }
    return NULL;
}

bool client_conn_idle(client_conn_t *self, int ms)
{
    int64_t deadline = zclock_mono() + ms;
    while (!signals_caught()) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0)
            return true;
        assay_msg_t *stale = client_conn_recv(self, (int) left);
        assay_msg_destroy(&stale);
    }
    return false;
}

static assay_msg_t *query_new(uint64_t request_id, const char *verb, const char *target,
                              const char *body)
{
    assay_msg_t *msg = assay_msg_new(ASSAY_MSG_QUERY);
    if (!msg)
        return NULL;
    assay_msg_set_request_id(msg, request_id);
    assay_msg_set_text(msg, verb);
    assay_msg_set_target(msg, target ? target : "");
    assay_msg_set_body(msg, body ? body : "", body ? strlen(body) : 0);
    return msg;
}

client_conn_result_t client_conn_query(client_conn_t *self, const char *verb, const char *target,
                                       const cJSON *arguments, uint32_t *code, cJSON **body)
{
    *code = ASSAY_CODE_RETRY;
    *body = NULL;
    uint64_t request_id = self->next_query_id++;
    char *arguments_text = arguments ? cJSON_PrintUnformatted(arguments) : NULL;
    int64_t now = zclock_mono();
    int64_t deadline = now + self->timeout_ms;
    int resend_ms = FIRST_RESEND_MS;
    int64_t next_send = now;
    client_conn_result_t result = CLIENT_CONN_UNAVAILABLE;

    while (true) {
        if (signals_caught()) {
            result = CLIENT_CONN_INTERRUPTED;
            break;
        }
        now = zclock_mono();
        if (now >= deadline)
            break;    /* unavailable, or the last REPLY 75 stands */
        if (now >= next_send) {
            assay_msg_t *query = query_new(request_id, verb, target, arguments_text);
            if (query)
                client_conn_send(self, &query);
            next_send = now + resend_ms;
            resend_ms = resend_ms * 2 > MAX_RESEND_MS ? MAX_RESEND_MS : resend_ms * 2;
        }
        int64_t until = next_send < deadline ? next_send : deadline;
        assay_msg_t *answer = client_conn_recv(self, (int) (until - zclock_mono()));
        if (!answer)
            continue;
        if (assay_msg_id(answer) == ASSAY_MSG_REPLY && assay_msg_request_id(answer) == request_id) {
            cJSON_Delete(*body);
            *code = assay_msg_code(answer);
            *body = cJSON_ParseWithLength(assay_msg_body(answer), assay_msg_body_size(answer));
            assay_msg_destroy(&answer);
            result = CLIENT_CONN_OK;
            /* 75: the broker is there but its database is not (or was
               just restarted: the broker reconnects by itself). Ask again
               shortly, with a new request id, while the budget lasts; the
               last answer stands when it runs out. */
            if (*code == ASSAY_CODE_RETRY && zclock_mono() + RETRY_PAUSE_MS < deadline) {
                if (!client_conn_idle(self, RETRY_PAUSE_MS)) {
                    result = CLIENT_CONN_INTERRUPTED;
                    break;
                }
                request_id = self->next_query_id++;
                resend_ms = FIRST_RESEND_MS;
                next_send = zclock_mono();
                continue;
            }
            break;
        }
        /* A late answer to something we no longer wait for. */
        assay_msg_destroy(&answer);
    }
    free(arguments_text);
    return result;
}
