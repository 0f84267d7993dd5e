/*  assay_msg.h - the Assay wire protocol codec (see proto/PROTOCOL.md).

    This is the only code in Assay that builds or parses ZeroMQ frames.
    An assay_msg_t holds one decoded command with all of its fields; the
    fields a command does not use stay zero / NULL.

    Ownership: an assay_msg_t owns every string and the body it holds.
    Setters copy their argument. Getters return borrowed pointers valid
    until the next setter call or assay_msg_destroy. Decoding never
    trusts the peer: every malformed message is reported as an error
    (with a reason) and never crashes.
*/
#ifndef ASSAY_MSG_H_INCLUDED
#define ASSAY_MSG_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define ASSAY_PROTO_SIGNATURE "ASSAY01"

/* Largest message accepted by the decoder, all frames together. Bundles
   are limited separately (and more tightly) by the broker. */
#define ASSAY_MSG_MAX_BYTES (64u * 1024u * 1024u)

/* Per-field limits (PROTOCOL.md section 10), in bytes / entries. */
#define ASSAY_MSG_MAX_SHORT 256u    /* batch, key, standards, worker, target */
#define ASSAY_MSG_MAX_TEXT 65536u   /* text */
#define ASSAY_MSG_MAX_HELD 65536u   /* READY.held entries */

typedef enum {
    ASSAY_MSG_SUBMIT = 1,     /* client -> broker: one job */
    ASSAY_MSG_ACCEPTED = 2,   /* broker -> client: job row committed */
    ASSAY_MSG_REFUSED = 3,    /* broker -> client: not accepted, with code */
    ASSAY_MSG_QUERY = 4,      /* client -> broker: status, results, stats... */
    ASSAY_MSG_REPLY = 5,      /* broker -> client: answer to QUERY */
    ASSAY_MSG_READY = 10,     /* worker -> broker: hello, credit, held jobs */
    ASSAY_MSG_CREDIT = 11,    /* worker -> broker: more free slots */
    ASSAY_MSG_JOB = 12,       /* broker -> worker: one leased job */
    ASSAY_MSG_DONE = 13,      /* worker -> broker: result committed (or stale) */
    ASSAY_MSG_FAILED = 14,    /* worker -> broker: evaluation failed */
    ASSAY_MSG_HEARTBEAT = 15, /* both ways on the worker link */
    ASSAY_MSG_DISCONNECT = 16 /* both ways: the peer is going away */
} assay_msg_id_t;

/* Codes carried by REFUSED and REPLY; they are the CLI's exit codes. */
typedef enum {
    ASSAY_CODE_OK = 0,
    ASSAY_CODE_BAD_INPUT = 2,   /* the request itself is wrong: do not retry */
    ASSAY_CODE_NOT_FOUND = 4,   /* no such batch or job */
    ASSAY_CODE_RETRY = 75       /* database or broker unavailable: retry later */
} assay_code_t;

/* DONE codes. */
#define ASSAY_DONE_COMMITTED 0
#define ASSAY_DONE_STALE 1      /* the attempt guard rejected the write */

/* One job a reconnecting worker still holds (READY.held). */
typedef struct {
    uint64_t job_id;
    uint32_t attempt;
} assay_held_t;

typedef struct _assay_msg_t assay_msg_t;

/* Create an empty message of the given command. */
assay_msg_t *assay_msg_new(assay_msg_id_t id);
/* Destroy a message and null the pointer; safe on NULL. */
void assay_msg_destroy(assay_msg_t **self_p);

/* Decode a zmsg. If `with_routing_id` (the socket is a ROUTER), the first
   frame is the peer's routing id and is kept in the message. Returns NULL
   on a malformed message and, when `reason` is not NULL, points it at a
   static string saying which frame was wrong. Does not take the zmsg.
   The reason lives in thread-local storage: it stays valid until the next
   decode, recv or check on the same thread. */
assay_msg_t *assay_msg_decode(zmsg_t *msg, bool with_routing_id, const char **reason);
/* The command of a message not decoded yet, so that a receiver can hand
   it to where it will be decoded (the broker decodes large SUBMITs on its
   validator threads): the command's id when frame 0 is this protocol's
   signature and frame 1 a known command, else 0. Checks nothing more;
   assay_msg_decode still checks everything. Does not take the zmsg. */
assay_msg_id_t assay_msg_peek_id(zmsg_t *msg, bool with_routing_id);
/* Encode to a new zmsg (prefixed with the routing id when one is set).
   The caller owns the zmsg. Returns NULL when a field breaks its limit
   or is not valid UTF-8 (assay_msg_check says which). */
zmsg_t *assay_msg_encode(const assay_msg_t *self);

/* Receive one message; returns NULL on interrupt or when the message is
   malformed (then *reason says why, and the bad message is discarded).
   For a ROUTER socket the routing id is kept. On interrupt *reason is set
   to NULL, so a non-NULL reason always means a dropped message. */
assay_msg_t *assay_msg_recv(zsock_t *sock, const char **reason);
/* Send and destroy the message. Returns 0 or -1. On a ROUTER socket the
   routing id is required; on other sockets it is not sent. */
int assay_msg_send(assay_msg_t **self_p, zsock_t *sock);

/* The command's name ("SUBMIT"...) for logs; "UNKNOWN" otherwise. */
const char *assay_msg_command(const assay_msg_t *self);

assay_msg_id_t assay_msg_id(const assay_msg_t *self);

/* Routing id of the peer (ROUTER sockets only). */
zframe_t *assay_msg_routing_id(const assay_msg_t *self);
void assay_msg_set_routing_id(assay_msg_t *self, zframe_t *routing_id);

/* Fields. Which command carries which is listed in PROTOCOL.md. */
uint64_t assay_msg_request_id(const assay_msg_t *self);
void assay_msg_set_request_id(assay_msg_t *self, uint64_t request_id);
uint64_t assay_msg_job_id(const assay_msg_t *self);
void assay_msg_set_job_id(assay_msg_t *self, uint64_t job_id);
uint32_t assay_msg_attempt(const assay_msg_t *self);
void assay_msg_set_attempt(assay_msg_t *self, uint32_t attempt);
uint32_t assay_msg_credit(const assay_msg_t *self);
void assay_msg_set_credit(assay_msg_t *self, uint32_t credit);
uint32_t assay_msg_code(const assay_msg_t *self);
void assay_msg_set_code(assay_msg_t *self, uint32_t code);
uint32_t assay_msg_deadline_ms(const assay_msg_t *self);
void assay_msg_set_deadline_ms(assay_msg_t *self, uint32_t deadline_ms);
bool assay_msg_existing(const assay_msg_t *self);
void assay_msg_set_existing(assay_msg_t *self, bool existing);

/* Strings: UTF-8 text without NUL; never NULL when read (empty string). */
const char *assay_msg_batch(const assay_msg_t *self);
void assay_msg_set_batch(assay_msg_t *self, const char *batch);
const char *assay_msg_key(const assay_msg_t *self);
void assay_msg_set_key(assay_msg_t *self, const char *key);
const char *assay_msg_standards(const assay_msg_t *self);
void assay_msg_set_standards(assay_msg_t *self, const char *standards);
const char *assay_msg_text(const assay_msg_t *self);   /* REFUSED reason, QUERY verb, FAILED error */
void assay_msg_set_text(assay_msg_t *self, const char *text);
const char *assay_msg_target(const assay_msg_t *self); /* QUERY target */
void assay_msg_set_target(assay_msg_t *self, const char *target);
const char *assay_msg_worker(const assay_msg_t *self); /* READY worker name */
void assay_msg_set_worker(assay_msg_t *self, const char *worker);

/* Body: opaque bytes (SUBMIT/JOB bundle, QUERY arguments, REPLY JSON). */
const char *assay_msg_body(const assay_msg_t *self);
size_t assay_msg_body_size(const assay_msg_t *self);
void assay_msg_set_body(assay_msg_t *self, const void *data, size_t size);

/* READY: jobs the worker still holds. */
size_t assay_msg_held_count(const assay_msg_t *self);
const assay_held_t *assay_msg_held(const assay_msg_t *self);
void assay_msg_set_held(assay_msg_t *self, const assay_held_t *held, size_t count);

/* Additions to the first API. */

/* Change the command, e.g. to reuse a decoded message for the answer. */
void assay_msg_set_id(assay_msg_t *self, assay_msg_id_t id);
/* 0 if the message can be encoded, else -1 with *reason (as decode's). */
int assay_msg_check(const assay_msg_t *self, const char **reason);

/* Self test, cmocka-free, for quick checks (the cmocka tests are fuller). */
void assay_msg_test(bool verbose);

#endif
