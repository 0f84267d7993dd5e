/*  assay_msg_selftest.c - the codec's self test (assay_msg_test), in the
    czmq manner: a quick round trip of the public API, run by
    tests/proto/test_assay_msg.c. Kept apart from assay_msg.c so the
    codec itself stays short.
*/
#include "assay_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- self test ---------------------------------------------------------------------- */

/* Not assert(): the self test must still test in NDEBUG builds. */
#define s_require(condition)                                                          \
    do {                                                                              \
        if (!(condition)) {                                                           \
            fprintf(stderr, "assay_msg_test: %s:%d: %s\n", __FILE__, __LINE__,         \
                    #condition);                                                      \
            abort();                                                                  \
        }                                                                             \
    } while (0)

void assay_msg_test(bool verbose)
{
    printf(" * assay_msg: ");
    if (verbose)
        printf("\n");

    /* Round trip of a message with every kind of field but held. */
    assay_msg_t *self = assay_msg_new(ASSAY_MSG_SUBMIT);
    assay_msg_set_request_id(self, 0x0102030405060708ULL);
    assay_msg_set_batch(self, "nightly");
    assay_msg_set_key(self, "k-1");
    assay_msg_set_standards(self, "iso9001-2015");
    assay_msg_set_body(self, "{}", 2);
    const char *reason = "unset";
    s_require(assay_msg_check(self, &reason) == 0 && reason == NULL);
    zmsg_t *msg = assay_msg_encode(self);
    s_require(msg && zmsg_size(msg) == 7);
    assay_msg_destroy(&self);
    s_require(self == NULL);
    self = assay_msg_decode(msg, false, &reason);
    s_require(self && reason == NULL);
    s_require(assay_msg_id(self) == ASSAY_MSG_SUBMIT);
    s_require(streq(assay_msg_command(self), "SUBMIT"));
    s_require(assay_msg_request_id(self) == 0x0102030405060708ULL);
    s_require(streq(assay_msg_batch(self), "nightly"));
    s_require(streq(assay_msg_key(self), "k-1"));
    s_require(streq(assay_msg_standards(self), "iso9001-2015"));
    s_require(assay_msg_body_size(self) == 2 && memcmp(assay_msg_body(self), "{}", 2) == 0);
    s_require(streq(assay_msg_text(self), ""));
    assay_msg_destroy(&self);
    zmsg_destroy(&msg);

    /* READY with held jobs. */
    self = assay_msg_new(ASSAY_MSG_READY);
    assay_held_t held[] = {{4242, 2}, {UINT64_MAX, UINT32_MAX}};
    assay_msg_set_worker(self, "w-1");
    assay_msg_set_credit(self, 4);
    assay_msg_set_held(self, held, 2);
    msg = assay_msg_encode(self);
    assay_msg_destroy(&self);
    self = assay_msg_decode(msg, false, NULL);
    s_require(self && assay_msg_held_count(self) == 2);
    s_require(assay_msg_held(self)[1].job_id == UINT64_MAX);
    s_require(assay_msg_held(self)[1].attempt == UINT32_MAX);
    s_require(assay_msg_credit(self) == 4 && streq(assay_msg_worker(self), "w-1"));
    assay_msg_destroy(&self);

    /* A bad frame is reported by number and name. */
    zframe_t *attempt = zmsg_last(msg);
    zframe_reset(attempt, "x", 1);
    self = assay_msg_decode(msg, false, &reason);
    s_require(!self && reason && strstr(reason, "frame 4 (held)"));
    zmsg_destroy(&msg);

    /* The encoder refuses what the decoder would drop. */
    self = assay_msg_new(ASSAY_MSG_DONE);
    assay_msg_set_code(self, 7);
    s_require(assay_msg_encode(self) == NULL);
    s_require(assay_msg_check(self, &reason) == -1 && strstr(reason, "frame 4 (code)"));
    assay_msg_destroy(&self);

    /* Send and receive over a ROUTER/DEALER pair. */
    zsock_t *router = zsock_new_router("inproc://assay-msg-selftest");
    zsock_t *dealer = zsock_new_dealer("inproc://assay-msg-selftest");
    s_require(router && dealer);
    self = assay_msg_new(ASSAY_MSG_HEARTBEAT);
    s_require(assay_msg_send(&self, dealer) == 0 && self == NULL);
    self = assay_msg_recv(router, &reason);
    s_require(self && reason == NULL && assay_msg_routing_id(self));
    assay_msg_set_id(self, ASSAY_MSG_DISCONNECT);
    s_require(assay_msg_send(&self, router) == 0);
    self = assay_msg_recv(dealer, &reason);
    s_require(self && assay_msg_id(self) == ASSAY_MSG_DISCONNECT);
    assay_msg_destroy(&self);
    zsock_destroy(&dealer);
    zsock_destroy(&router);

    printf("OK\n");
}
