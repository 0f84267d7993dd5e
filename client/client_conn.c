/*  client_conn.c - the CLI's connection to the broker. See client_conn.h. */
#include "client_conn.h"
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_ID_BASE (UINT64_C(1) << 63)   /* query ids never clash with submit's */
#define RETRY_PAUSE_MS 500                  /* after a REPLY 75 */
#define HEARTBEAT_MS 1000                   /* ZMTP PING interval */
#define HEARTBEAT_TIMEOUT_MS 3000           /* no PONG this long: the link is dead */

struct _client_conn_t {
    char *endpoint;
    zsock_t *socket;
    zactor_t *monitor;
    zpoller_t *poller;
    uint64_t next_query_id;
    int timeout_ms;
    bool connected;
    uint64_t losses;
    int64_t down_since;     /* monotonic ms the link has been down since */
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
    self->down_since = zclock_mono();
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
       broker restart, notice a dead peer by ZMTP heartbeats, refuse
       absurd messages, and never block forever on a full send queue. */
    zsock_set_linger(self->socket, 0);
    zsock_set_reconnect_ivl(self->socket, 100);
    zsock_set_reconnect_ivl_max(self->socket, 1000);
    zsock_set_heartbeat_ivl(self->socket, HEARTBEAT_MS);
    zsock_set_heartbeat_timeout(self->socket, HEARTBEAT_TIMEOUT_MS);
    zsock_set_maxmsgsize(self->socket, (int64_t) ASSAY_MSG_MAX_BYTES);
    zsock_set_sndtimeo(self->socket, 1000);
    zsock_set_sndhwm(self->socket, 10000);
    zsock_set_rcvhwm(self->socket, 10000);

    /* Watch the link before connecting so no event is missed. */
    self->monitor = zactor_new(zmonitor, self->socket);
    if (!self->monitor) {
        snprintf(error, error_size, "cannot monitor the ZeroMQ socket");
        client_conn_destroy(&self);
        return NULL;
    }
    zstr_sendx(self->monitor, "LISTEN", "HANDSHAKE_SUCCEEDED", NULL);
    zstr_sendx(self->monitor, "LISTEN", "DISCONNECTED", NULL);
    zstr_sendx(self->monitor, "START", NULL);
    zsock_wait(self->monitor);

    if (zsock_connect(self->socket, "%s", endpoint) != 0) {
        snprintf(error, error_size, "invalid broker endpoint '%s' (expected e.g. tcp://host:5555)",
                 endpoint);
        client_conn_destroy(&self);
        return NULL;
    }
    self->poller = zpoller_new(self->socket, self->monitor, NULL);
    return self;
}

void client_conn_destroy(client_conn_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    client_conn_t *self = *self_p;
    zpoller_destroy(&self->poller);
    zactor_destroy(&self->monitor);
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

uint64_t client_conn_losses(const client_conn_t *self)
{
    return self->losses;
}

bool client_conn_connected(const client_conn_t *self)
{
    return self->connected;
}

bool client_conn_given_up(const client_conn_t *self, int64_t since)
{
    int64_t now = zclock_mono();
    if (self->connected)
        return now - since >= CLIENT_CONN_ANSWER_MS;
    int64_t down = self->down_since > since ? self->down_since : since;
    return now - down >= self->timeout_ms;
}

/* One event from the monitor: the link came up or went down. */
static void handle_event(client_conn_t *self)
{
    zmsg_t *event = zmsg_recv(self->monitor);
    if (!event)
        return;
    char *name = zmsg_popstr(event);
    if (name && strcmp(name, "HANDSHAKE_SUCCEEDED") == 0)
        self->connected = true;
    else if (name && strcmp(name, "DISCONNECTED") == 0) {
        if (self->connected) {
            self->losses++;
            self->down_since = zclock_mono();
        }
        self->connected = false;
    }
    free(name);
    zmsg_destroy(&event);
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
        if (ready == self->monitor) {
            handle_event(self);
            continue;
        }
        if (!ready) {
            if (zpoller_expired(self->poller) || zpoller_terminated(self->poller))
                return NULL;
            continue;
        }
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

static int query_send(client_conn_t *self, uint64_t request_id, const char *verb,
                      const char *target, const char *body)
{
    assay_msg_t *msg = assay_msg_new(ASSAY_MSG_QUERY);
    if (!msg)
        return -1;
    assay_msg_set_request_id(msg, request_id);
    assay_msg_set_text(msg, verb);
    assay_msg_set_target(msg, target ? target : "");
    assay_msg_set_body(msg, body ? body : "", body ? strlen(body) : 0);
    return client_conn_send(self, &msg);
}

client_conn_result_t client_conn_query(client_conn_t *self, const char *verb, const char *target,
                                       const cJSON *arguments, uint32_t *code, cJSON **body)
{
    *code = ASSAY_CODE_RETRY;
    *body = NULL;
    char *arguments_text = arguments ? cJSON_PrintUnformatted(arguments) : NULL;
    /* A request the codec cannot encode (a target over 256 bytes, not
       UTF-8) is bad input, answered here as the broker would. */
    assay_msg_t *probe = assay_msg_new(ASSAY_MSG_QUERY);
    const char *reason = NULL;
    if (probe) {
        assay_msg_set_text(probe, verb);
        assay_msg_set_target(probe, target ? target : "");
        assay_msg_set_body(probe, arguments_text ? arguments_text : "",
                           arguments_text ? strlen(arguments_text) : 0);
        if (assay_msg_check(probe, &reason) != 0) {
            *code = ASSAY_CODE_BAD_INPUT;
            *body = cJSON_CreateObject();
            char message[300];
            snprintf(message, sizeof message, "cannot be sent: %s", reason ? reason : "invalid");
            cJSON_AddStringToObject(*body, "error", message);
        }
        assay_msg_destroy(&probe);
    }
    if (*code == ASSAY_CODE_BAD_INPUT) {
        free(arguments_text);
        return CLIENT_CONN_OK;
    }
    int64_t started = zclock_mono();
    uint64_t request_id = self->next_query_id++;
    int64_t sent_at = started;
    uint64_t losses_at_send = self->losses;
    bool sent = query_send(self, request_id, verb, target, arguments_text) == 0;
    client_conn_result_t result = CLIENT_CONN_UNAVAILABLE;

    while (true) {
        if (signals_caught()) {
            result = CLIENT_CONN_INTERRUPTED;
            break;
        }
        assay_msg_t *answer = client_conn_recv(self, 200);
        if (answer && assay_msg_id(answer) == ASSAY_MSG_REPLY
            && assay_msg_request_id(answer) == request_id) {
            cJSON_Delete(*body);
            *code = assay_msg_code(answer);
            *body = cJSON_ParseWithLength(assay_msg_body(answer), assay_msg_body_size(answer));
            assay_msg_destroy(&answer);
            result = CLIENT_CONN_OK;
            /* 75: the broker is there but its database is not (or was
               just restarted: the broker reconnects by itself). Ask again
               shortly, with a new request id, while the unreachable
               budget lasts; the last answer stands when it runs out. */
            if (*code == ASSAY_CODE_RETRY
                && zclock_mono() + RETRY_PAUSE_MS < started + self->timeout_ms) {
                if (!client_conn_idle(self, RETRY_PAUSE_MS)) {
                    result = CLIENT_CONN_INTERRUPTED;
                    break;
                }
                request_id = self->next_query_id++;
                sent_at = zclock_mono();
                losses_at_send = self->losses;
                sent = query_send(self, request_id, verb, target, arguments_text) == 0;
                continue;
            }
            break;
        }
        /* Anything else is a late answer to something we no longer wait for. */
        assay_msg_destroy(&answer);
        if (result == CLIENT_CONN_OK && zclock_mono() >= started + self->timeout_ms)
            break;    /* the last REPLY 75 stands */
        /* The link was lost since the send (or the send failed) and is up
           again: the request may have gone down with the old link. */
        if (self->connected && (!sent || self->losses != losses_at_send)) {
            sent_at = zclock_mono();
            losses_at_send = self->losses;
            sent = query_send(self, request_id, verb, target, arguments_text) == 0;
        }
        if (client_conn_given_up(self, sent_at))
            break;
    }
    free(arguments_text);
    return result;
}
