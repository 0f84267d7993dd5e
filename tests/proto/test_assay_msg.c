/*  test_assay_msg.c - the ASSAY01 codec against PROTOCOL.md: round trips
    of every command and field (also through a real ROUTER/DEALER pair),
    every malformed case of section 9, the encoder's limits, seeded random
    garbage, and the test vectors of section 12, which are read from
    PROTOCOL.md itself so that the document and the codec cannot drift.

    Leaks are not checked here but by running this binary under valgrind
    or AddressSanitizer: every case frees what it made, so any report is
    the codec's. */
#include "assay_msg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ASSAY_PROTOCOL_MD
#error "ASSAY_PROTOCOL_MD must name proto/PROTOCOL.md"
#endif

/* ---- the spec, written out independently of the codec's tables ------------ */

/* Fields as PROTOCOL.md section 4 lists them, so the tests do not reuse
   the codec's own idea of which frames a command has. */
enum {
    F_REQUEST_ID = 1 << 0,
    F_JOB_ID = 1 << 1,
    F_ATTEMPT = 1 << 2,
    F_CREDIT = 1 << 3,
    F_CODE = 1 << 4,
    F_DEADLINE_MS = 1 << 5,
    F_EXISTING = 1 << 6,
    F_BATCH = 1 << 7,
    F_KEY = 1 << 8,
    F_STANDARDS = 1 << 9,
    F_TEXT = 1 << 10,
    F_TARGET = 1 << 11,
    F_WORKER = 1 << 12,
    F_BODY = 1 << 13,
    F_HELD = 1 << 14
};

typedef struct {
    int width;          /* 8, 4, 1 for integers and the flag; 0 otherwise */
    const char *name;
    size_t limit;       /* strings: bytes; 0: not a string */
} spec_field_t;

static spec_field_t spec_field(int field)
{
    switch (field) {
        case F_REQUEST_ID: return (spec_field_t) {8, "request_id", 0};
        case F_JOB_ID: return (spec_field_t) {8, "job_id", 0};
        case F_ATTEMPT: return (spec_field_t) {4, "attempt", 0};
        case F_CREDIT: return (spec_field_t) {4, "credit", 0};
        case F_CODE: return (spec_field_t) {4, "code", 0};
        case F_DEADLINE_MS: return (spec_field_t) {4, "deadline_ms", 0};
        case F_EXISTING: return (spec_field_t) {1, "existing", 0};
        case F_BATCH: return (spec_field_t) {0, "batch", 256};
        case F_KEY: return (spec_field_t) {0, "key", 256};
        case F_STANDARDS: return (spec_field_t) {0, "standards", 256};
        case F_TEXT: return (spec_field_t) {0, "text", 65536};
        case F_TARGET: return (spec_field_t) {0, "target", 256};
        case F_WORKER: return (spec_field_t) {0, "worker", 256};
        case F_BODY: return (spec_field_t) {0, "body", 0};
        default: return (spec_field_t) {0, "held", 0};
    }
}

typedef struct {
    assay_msg_id_t id;
    const char *name;
    int fields[6];      /* in wire order, 0-terminated */
} spec_command_t;

static const spec_command_t s_spec[] = {
    {ASSAY_MSG_SUBMIT, "SUBMIT", {F_REQUEST_ID, F_BATCH, F_KEY, F_STANDARDS, F_BODY}},
    {ASSAY_MSG_ACCEPTED, "ACCEPTED", {F_REQUEST_ID, F_JOB_ID, F_BATCH, F_EXISTING}},
    {ASSAY_MSG_REFUSED, "REFUSED", {F_REQUEST_ID, F_CODE, F_TEXT}},
    {ASSAY_MSG_QUERY, "QUERY", {F_REQUEST_ID, F_TEXT, F_TARGET, F_BODY}},
    {ASSAY_MSG_REPLY, "REPLY", {F_REQUEST_ID, F_CODE, F_BODY}},
    {ASSAY_MSG_READY, "READY", {F_WORKER, F_CREDIT, F_HELD}},
    {ASSAY_MSG_CREDIT, "CREDIT", {F_CREDIT}},
    {ASSAY_MSG_JOB, "JOB", {F_JOB_ID, F_ATTEMPT, F_DEADLINE_MS, F_STANDARDS, F_BODY}},
    {ASSAY_MSG_DONE, "DONE", {F_JOB_ID, F_ATTEMPT, F_CODE}},
    {ASSAY_MSG_FAILED, "FAILED", {F_JOB_ID, F_ATTEMPT, F_TEXT}},
    {ASSAY_MSG_HEARTBEAT, "HEARTBEAT", {0}},
    {ASSAY_MSG_DISCONNECT, "DISCONNECT", {0}},
};
#define SPEC_COUNT (sizeof s_spec / sizeof s_spec[0])

static int spec_mask(const spec_command_t *command)
{
    int mask = 0;
    for (const int *field = command->fields; *field; field++)
        mask |= *field;
    return mask;
}

static size_t spec_frames(const spec_command_t *command)
{
    size_t count = 2;
    for (const int *field = command->fields; *field; field++)
        count++;
    return count;
}

/* ---- helpers ------------------------------------------------------------------ */

static const assay_held_t s_held[] = {
    {1, 1}, {0x0102030405060708ULL, 0x0a0b0c0dU}, {UINT64_MAX, UINT32_MAX}};

/* Entry by entry: the struct has padding, which memcmp would compare. */
static bool held_equal(const assay_held_t *a, const assay_held_t *b, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (a[i].job_id != b[i].job_id || a[i].attempt != b[i].attempt)
            return false;
    return true;
}

/* Sets every field, carried or not, to a value unlike its zero, so a
   round trip shows both that carried fields survive and that the others
   are not sent. */
static assay_msg_t *full_message(assay_msg_id_t id)
{
    assay_msg_t *msg = assay_msg_new(id);
    assay_msg_set_request_id(msg, 0x8877665544332211ULL);
    assay_msg_set_job_id(msg, UINT64_MAX - 1);
    assay_msg_set_attempt(msg, 3);
    assay_msg_set_credit(msg, 0xFFFFFFFFU);
    /* DONE only takes 0 or 1; 1 is still not the zero value. */
    assay_msg_set_code(msg, id == ASSAY_MSG_DONE ? ASSAY_DONE_STALE : ASSAY_CODE_RETRY);
    assay_msg_set_deadline_ms(msg, 30000);
    assay_msg_set_existing(msg, true);
    assay_msg_set_batch(msg, "Zürich-nightly");
    assay_msg_set_key(msg, "k-1");
    assay_msg_set_standards(msg, "iso9001-2015,iso13485-2016");
    assay_msg_set_text(msg, "bad date in QM-1: \"2026-13-01\" \xF0\x9F\x98\x80");
    assay_msg_set_target(msg, "42");
    assay_msg_set_worker(msg, "host:1234");
    /* A body is raw bytes: NULs and invalid UTF-8 are fine. */
    assay_msg_set_body(msg, "{\"a\":1}\0\xFF\xFE", 10);
    assay_msg_set_held(msg, s_held, 3);
    return msg;
}

/* Checks that `msg` carries exactly what full_message set for the
   fields in `mask`, and zero values for the rest. */
static void assert_fields(const assay_msg_t *msg, int mask)
{
    assay_msg_id_t id = assay_msg_id(msg);
    assert_true(assay_msg_request_id(msg)
                == (mask & F_REQUEST_ID ? 0x8877665544332211ULL : 0));
    assert_true(assay_msg_job_id(msg) == (mask & F_JOB_ID ? UINT64_MAX - 1 : 0));
    assert_int_equal(assay_msg_attempt(msg), mask & F_ATTEMPT ? 3 : 0);
    assert_int_equal(assay_msg_credit(msg), mask & F_CREDIT ? 0xFFFFFFFFU : 0);
    assert_int_equal(assay_msg_code(msg),
                     mask & F_CODE ? (id == ASSAY_MSG_DONE ? 1u : 75u) : 0u);
    assert_int_equal(assay_msg_deadline_ms(msg), mask & F_DEADLINE_MS ? 30000 : 0);
    assert_int_equal(assay_msg_existing(msg), mask & F_EXISTING ? 1 : 0);
    assert_string_equal(assay_msg_batch(msg), mask & F_BATCH ? "Zürich-nightly" : "");
    assert_string_equal(assay_msg_key(msg), mask & F_KEY ? "k-1" : "");
    assert_string_equal(assay_msg_standards(msg),
                        mask & F_STANDARDS ? "iso9001-2015,iso13485-2016" : "");
    assert_string_equal(assay_msg_text(msg),
                        mask & F_TEXT ? "bad date in QM-1: \"2026-13-01\" \xF0\x9F\x98\x80" : "");
    assert_string_equal(assay_msg_target(msg), mask & F_TARGET ? "42" : "");
    assert_string_equal(assay_msg_worker(msg), mask & F_WORKER ? "host:1234" : "");
    assert_non_null(assay_msg_body(msg));
    if (mask & F_BODY) {
        assert_int_equal(assay_msg_body_size(msg), 10);
        assert_memory_equal(assay_msg_body(msg), "{\"a\":1}\0\xFF\xFE", 10);
        /* The body stays NUL-terminated for callers that treat it as text. */
        assert_int_equal(assay_msg_body(msg)[10], '\0');
    } else
        assert_int_equal(assay_msg_body_size(msg), 0);
    if (mask & F_HELD) {
        assert_int_equal(assay_msg_held_count(msg), 3);
        assert_true(held_equal(assay_msg_held(msg), s_held, 3));
    } else
        assert_int_equal(assay_msg_held_count(msg), 0);
}

static zmsg_t *zmsg_from(const void *const *frames, const size_t *sizes, size_t count)
{
    zmsg_t *msg = zmsg_new();
    for (size_t i = 0; i < count; i++)
        zmsg_addmem(msg, frames[i], sizes[i]);
    return msg;
}

static zframe_t *frame_at(zmsg_t *msg, size_t index)
{
    zframe_t *frame = zmsg_first(msg);
    while (frame && index--)
        frame = zmsg_next(msg);
    return frame;
}

static bool zmsg_equal(zmsg_t *a, zmsg_t *b)
{
    if (zmsg_size(a) != zmsg_size(b))
        return false;
    for (size_t i = 0; i < zmsg_size(a); i++)
        if (!zframe_eq(frame_at(a, i), frame_at(b, i)))
            return false;
    return true;
}

/* Decoding must fail, and its reason must be exactly `expected`. */
static void assert_rejected(zmsg_t *msg, bool with_routing_id, const char *expected)
{
    const char *reason = NULL;
    assay_msg_t *decoded = assay_msg_decode(msg, with_routing_id, &reason);
    if (decoded)
        fail_msg("accepted, expected \"%s\"", expected);
    assert_non_null(reason);
    if (strcmp(reason, expected) != 0)
        fail_msg("reason \"%s\", expected \"%s\"", reason, expected);
    /* Without a reason pointer it must fail just the same. */
    assert_null(assay_msg_decode(msg, with_routing_id, NULL));
}

/* Encodes a well-formed message of `command` with every field set. */
static zmsg_t *encoded(const spec_command_t *command)
{
    assay_msg_t *msg = full_message(command->id);
    zmsg_t *wire = assay_msg_encode(msg);
    assay_msg_destroy(&msg);
    assert_non_null(wire);
    return wire;
}

/* ---- round trips --------------------------------------------------------------- */

static void test_selftest(void **state)
{
    assay_msg_test(false);
}

static void test_round_trip_every_command(void **state)
{
    for (size_t i = 0; i < SPEC_COUNT; i++) {
        const spec_command_t *command = &s_spec[i];
        assay_msg_t *msg = full_message(command->id);
        assert_string_equal(assay_msg_command(msg), command->name);
        const char *reason = "unset";
        assert_int_equal(assay_msg_check(msg, &reason), 0);
        assert_null(reason);

        zmsg_t *wire = assay_msg_encode(msg);
        assert_non_null(wire);
        assert_int_equal(zmsg_size(wire), spec_frames(command));
        assert_memory_equal(zframe_data(frame_at(wire, 0)), "ASSAY01", 7);
        assert_int_equal(zframe_size(frame_at(wire, 1)), 1);
        assert_int_equal(zframe_data(frame_at(wire, 1))[0], command->id);
        /* Each field frame has its type's width. */
        size_t index = 2;
        for (const int *field = command->fields; *field; field++, index++)
            if (spec_field(*field).width)
                assert_int_equal(zframe_size(frame_at(wire, index)), spec_field(*field).width);

        assay_msg_t *decoded = assay_msg_decode(wire, false, &reason);
        assert_non_null(decoded);
        assert_null(reason);
        assert_int_equal(assay_msg_id(decoded), command->id);
        assert_null(assay_msg_routing_id(decoded));
        assert_fields(decoded, spec_mask(command));

        /* The encoding is canonical: decoding and encoding again gives
           the same bytes. */
        zmsg_t *again = assay_msg_encode(decoded);
        assert_true(zmsg_equal(wire, again));
        zmsg_destroy(&again);
        zmsg_destroy(&wire);
        assay_msg_destroy(&decoded);
        assert_null(decoded);
        assay_msg_destroy(&msg);
    }
}

static void test_round_trip_with_routing_id(void **state)
{
    const unsigned char identity[] = {0x00, 0x6b, 0x8b, 0x45, 0x67};
    for (size_t i = 0; i < SPEC_COUNT; i++) {
        const spec_command_t *command = &s_spec[i];
        assay_msg_t *msg = full_message(command->id);
        zframe_t *routing_id = zframe_new(identity, sizeof identity);
        assay_msg_set_routing_id(msg, routing_id);
        zframe_destroy(&routing_id);   /* the setter copied it */

        zmsg_t *wire = assay_msg_encode(msg);
        assert_int_equal(zmsg_size(wire), spec_frames(command) + 1);
        assert_int_equal(zframe_size(zmsg_first(wire)), sizeof identity);
        assert_memory_equal(zframe_data(zmsg_first(wire)), identity, sizeof identity);

        const char *reason = NULL;
        assay_msg_t *decoded = assay_msg_decode(wire, true, &reason);
        assert_non_null(decoded);
        assert_non_null(assay_msg_routing_id(decoded));
        assert_true(zframe_eq(assay_msg_routing_id(decoded), assay_msg_routing_id(msg)));
        assert_fields(decoded, spec_mask(command));

        /* Read without a routing id, the identity is taken for the
           signature and the message is dropped. */
        assert_rejected(wire, false, "frame 0 (signature): expected 7 bytes, got 5");

        zmsg_destroy(&wire);
        assay_msg_destroy(&decoded);
        assay_msg_destroy(&msg);
    }
}

static void test_send_recv_router_dealer(void **state)
{
    zsock_t *router = zsock_new_router("inproc://test-assay-msg");
    zsock_t *dealer = zsock_new_dealer("inproc://test-assay-msg");
    assert_non_null(router);
    assert_non_null(dealer);
    zsock_set_rcvtimeo(router, 5000);
    zsock_set_rcvtimeo(dealer, 5000);

    for (size_t i = 0; i < SPEC_COUNT; i++) {
        const spec_command_t *command = &s_spec[i];
        /* DEALER -> ROUTER: the router sees the dealer's routing id. */
        assay_msg_t *msg = full_message(command->id);
        assert_int_equal(assay_msg_send(&msg, dealer), 0);
        assert_null(msg);
        const char *reason = "unset";
        assay_msg_t *received = assay_msg_recv(router, &reason);
        assert_non_null(received);
        assert_null(reason);
        assert_non_null(assay_msg_routing_id(received));
        assert_int_equal(assay_msg_id(received), command->id);
        assert_fields(received, spec_mask(command));

        /* ROUTER -> DEALER, routed by that id: the answer pattern the
           broker uses (same message, new command would work too). */
        assert_int_equal(assay_msg_send(&received, router), 0);
        assert_null(received);
        received = assay_msg_recv(dealer, &reason);
        assert_non_null(received);
        assert_null(reason);
        assert_null(assay_msg_routing_id(received));
        assert_fields(received, spec_mask(command));
        assay_msg_destroy(&received);
    }

    /* A routing id set on a message for a DEALER is not sent. */
    assay_msg_t *msg = assay_msg_new(ASSAY_MSG_CREDIT);
    zframe_t *stray = zframe_from("stray");
    assay_msg_set_routing_id(msg, stray);
    zframe_destroy(&stray);
    assert_int_equal(assay_msg_send(&msg, dealer), 0);
    zmsg_t *raw = zmsg_recv(router);
    assert_non_null(raw);
    assert_int_equal(zmsg_size(raw), 4);   /* routing id, signature, command, credit */
    zmsg_destroy(&raw);

    /* A ROUTER cannot send without a routing id; the message is still
       destroyed. */
    msg = assay_msg_new(ASSAY_MSG_HEARTBEAT);
    assert_int_equal(assay_msg_send(&msg, router), -1);
    assert_null(msg);

    /* A message that breaks a limit is not sent, and destroyed. */
    msg = assay_msg_new(ASSAY_MSG_DONE);
    assay_msg_set_code(msg, 9);
    assert_int_equal(assay_msg_send(&msg, dealer), -1);
    assert_null(msg);
    assert_int_equal(assay_msg_send(&msg, dealer), -1);   /* NULL: nothing to send */

    /* A malformed message from the peer: recv drops it with a reason. */
    raw = zmsg_new();
    zmsg_addstr(raw, "ASSAY02");
    zmsg_addmem(raw, "\x0f", 1);
    zmsg_send(&raw, dealer);
    const char *reason = NULL;
    assert_null(assay_msg_recv(router, &reason));
    assert_non_null(reason);
    assert_string_equal(reason, "frame 0 (signature): protocol version 02 not supported, expected 01");

    /* A timeout is reported like an interrupt: no message, no reason. */
    zsock_set_rcvtimeo(router, 10);
    reason = "unset";
    assert_null(assay_msg_recv(router, &reason));
    assert_null(reason);

    zsock_destroy(&dealer);
    zsock_destroy(&router);
}

static void test_accessors(void **state)
{
    assay_msg_t *msg = assay_msg_new(ASSAY_MSG_SUBMIT);
    /* Unset strings read as "", the body as an empty string. */
    assert_string_equal(assay_msg_batch(msg), "");
    assert_string_equal(assay_msg_key(msg), "");
    assert_string_equal(assay_msg_standards(msg), "");
    assert_string_equal(assay_msg_text(msg), "");
    assert_string_equal(assay_msg_target(msg), "");
    assert_string_equal(assay_msg_worker(msg), "");
    assert_string_equal(assay_msg_body(msg), "");
    assert_int_equal(assay_msg_body_size(msg), 0);
    assert_int_equal(assay_msg_held_count(msg), 0);
    assert_null(assay_msg_routing_id(msg));

    /* Setting a field from its own getter keeps the value. */
    assay_msg_set_batch(msg, "nightly");
    assay_msg_set_batch(msg, assay_msg_batch(msg));
    assert_string_equal(assay_msg_batch(msg), "nightly");
    assay_msg_set_body(msg, "{}", 2);
    assay_msg_set_body(msg, assay_msg_body(msg), assay_msg_body_size(msg));
    assert_memory_equal(assay_msg_body(msg), "{}", 3);
    assay_msg_set_held(msg, s_held, 3);
    assay_msg_set_held(msg, assay_msg_held(msg), assay_msg_held_count(msg));
    assert_true(held_equal(assay_msg_held(msg), s_held, 3));
    zframe_t *identity = zframe_from("peer");
    assay_msg_set_routing_id(msg, identity);
    assay_msg_set_routing_id(msg, assay_msg_routing_id(msg));
    assert_true(zframe_eq(assay_msg_routing_id(msg), identity));
    zframe_destroy(&identity);

    /* NULL clears. */
    assay_msg_set_batch(msg, NULL);
    assert_string_equal(assay_msg_batch(msg), "");
    assay_msg_set_body(msg, NULL, 5);
    assert_int_equal(assay_msg_body_size(msg), 0);
    assay_msg_set_held(msg, NULL, 2);
    assert_int_equal(assay_msg_held_count(msg), 0);
    assay_msg_set_routing_id(msg, NULL);
    assert_null(assay_msg_routing_id(msg));

    /* Reusing a decoded message for the answer. */
    assay_msg_set_id(msg, ASSAY_MSG_ACCEPTED);
    assert_int_equal(assay_msg_id(msg), ASSAY_MSG_ACCEPTED);
    assert_string_equal(assay_msg_command(msg), "ACCEPTED");
    assay_msg_set_id(msg, (assay_msg_id_t) 7);
    assert_string_equal(assay_msg_command(msg), "UNKNOWN");
    assert_string_equal(assay_msg_command(NULL), "UNKNOWN");
    assay_msg_destroy(&msg);
    assay_msg_destroy(&msg);   /* safe on NULL */
    assay_msg_destroy(NULL);
}

/* ---- malformed messages (PROTOCOL.md section 9) ------------------------------- */

/* peek_id names the command of every well-formed message, with or
   without a routing id, and says 0 for anything not ASSAY01 with a
   known command; it never takes or alters the message. */
static void test_peek_id(void **state)
{
    const unsigned char identity[] = {0x00, 0x6b, 0x8b, 0x45, 0x67};
    for (size_t i = 0; i < SPEC_COUNT; i++) {
        assay_msg_t *msg = full_message(s_spec[i].id);
        zmsg_t *plain = assay_msg_encode(msg);
        assert_int_equal(assay_msg_peek_id(plain, false), s_spec[i].id);
        zframe_t *routing_id = zframe_new(identity, sizeof identity);
        assay_msg_set_routing_id(msg, routing_id);
        zframe_destroy(&routing_id);
        zmsg_t *routed = assay_msg_encode(msg);
        size_t frames = zmsg_size(routed);
        assert_int_equal(assay_msg_peek_id(routed, true), s_spec[i].id);
        assert_int_equal(zmsg_size(routed), frames);
        /* The identity read as a signature: not ours. */
        assert_int_equal(assay_msg_peek_id(routed, false), 0);
        zmsg_destroy(&plain);
        zmsg_destroy(&routed);
        assay_msg_destroy(&msg);
    }
    assert_int_equal(assay_msg_peek_id(NULL, false), 0);
    zmsg_t *msg = zmsg_new();
    assert_int_equal(assay_msg_peek_id(msg, true), 0);
    zmsg_addstr(msg, "peer");
    zmsg_addmem(msg, "ASSAY02", 7);
    zmsg_addmem(msg, "\x01", 1);
    assert_int_equal(assay_msg_peek_id(msg, true), 0);   /* another version */
    zmsg_destroy(&msg);
    msg = zmsg_new();
    zmsg_addstr(msg, "peer");
    zmsg_addmem(msg, "ASSAY01", 7);
    assert_int_equal(assay_msg_peek_id(msg, true), 0);   /* no command */
    zmsg_addmem(msg, "\x63", 1);
    assert_int_equal(assay_msg_peek_id(msg, true), 0);   /* unknown command 99 */
    zmsg_destroy(&msg);
    msg = zmsg_new();
    zmsg_addstr(msg, "peer");
    zmsg_addmem(msg, "ASSAY01", 7);
    zmsg_addmem(msg, "\x01", 1);
    /* A SUBMIT with no fields: named, though decode will refuse it. */
    assert_int_equal(assay_msg_peek_id(msg, true), ASSAY_MSG_SUBMIT);
    assert_null(assay_msg_decode(msg, true, NULL));
    zmsg_destroy(&msg);
}

static void test_reject_envelope(void **state)
{
    zmsg_t *msg = zmsg_new();
    assert_rejected(msg, true, "routing id: missing");
    assert_rejected(msg, false, "frame 0 (signature): missing");
    zmsg_addstr(msg, "peer");
    assert_rejected(msg, true, "frame 0 (signature): missing");
    zmsg_destroy(&msg);
    assert_rejected(NULL, false, "message: none");

    struct {
        const char *signature;
        size_t size;
        const char *reason;
    } signatures[] = {
        {"ASSAY02", 7, "frame 0 (signature): protocol version 02 not supported, expected 01"},
        {"ASSAY00", 7, "frame 0 (signature): protocol version 00 not supported, expected 01"},
        {"ASSAYx1", 7, "frame 0 (signature): not ASSAY01"},
        {"MDPC01\0", 7, "frame 0 (signature): not ASSAY01"},
        {"ASSAY01", 6, "frame 0 (signature): expected 7 bytes, got 6"},
        {"ASSAY01\0", 8, "frame 0 (signature): expected 7 bytes, got 8"},
        {"", 0, "frame 0 (signature): expected 7 bytes, got 0"},
    };
    for (size_t i = 0; i < sizeof signatures / sizeof signatures[0]; i++) {
        const void *frames[] = {signatures[i].signature, "\x0f"};
        size_t sizes[] = {signatures[i].size, 1};
        msg = zmsg_from(frames, sizes, 2);
        assert_rejected(msg, false, signatures[i].reason);
        zmsg_destroy(&msg);
    }

    /* The command frame. */
    const void *frames[] = {"ASSAY01", "\x0f\x00"};
    size_t sizes[] = {7, 2};
    msg = zmsg_from(frames, sizes, 1);
    assert_rejected(msg, false, "frame 1 (command): missing");
    zmsg_destroy(&msg);
    msg = zmsg_from(frames, sizes, 2);
    assert_rejected(msg, false, "frame 1 (command): expected 1 byte, got 2");
    zmsg_destroy(&msg);
    sizes[1] = 0;
    msg = zmsg_from(frames, sizes, 2);
    assert_rejected(msg, false, "frame 1 (command): expected 1 byte, got 0");
    zmsg_destroy(&msg);
    const unsigned unknown[] = {0, 6, 7, 8, 9, 17, 99, 255};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        unsigned char byte = (unsigned char) unknown[i];
        const void *command_frames[] = {"ASSAY01", &byte};
        size_t command_sizes[] = {7, 1};
        msg = zmsg_from(command_frames, command_sizes, 2);
        char expected[64];
        snprintf(expected, sizeof expected, "frame 1 (command): unknown command %u", unknown[i]);
        assert_rejected(msg, false, expected);
        zmsg_destroy(&msg);
    }
}

/* For each command: every field missing, every integer the wrong width,
   and one frame too many. */
static void test_reject_frames(void **state)
{
    char expected[128];
    for (size_t i = 0; i < SPEC_COUNT; i++) {
        const spec_command_t *command = &s_spec[i];
        size_t frames = spec_frames(command);

        size_t index = 2;
        for (const int *field = command->fields; *field; field++, index++) {
            spec_field_t info = spec_field(*field);
            /* Missing: cut the message before this field. */
            zmsg_t *wire = encoded(command);
            while (zmsg_size(wire) > index) {
                zframe_t *last = zmsg_last(wire);
                zmsg_remove(wire, last);
                zframe_destroy(&last);
            }
            snprintf(expected, sizeof expected, "frame %zu (%s): missing (%s has %zu frames)",
                     index, info.name, command->name, frames);
            assert_rejected(wire, false, expected);
            zmsg_destroy(&wire);

            if (!info.width)
                continue;
            const size_t wrong[] = {0, (size_t) info.width - 1, (size_t) info.width + 1, 7, 2};
            for (size_t w = 0; w < sizeof wrong / sizeof wrong[0]; w++) {
                if (wrong[w] == (size_t) info.width)
                    continue;
                wire = encoded(command);
                zframe_reset(frame_at(wire, index), "\x01\x01\x01\x01\x01\x01\x01\x01\x01",
                             wrong[w]);
                snprintf(expected, sizeof expected, "frame %zu (%s): expected %d byte%s, got %zu",
                         index, info.name, info.width, info.width == 1 ? "" : "s", wrong[w]);
                assert_rejected(wire, false, expected);
                zmsg_destroy(&wire);
            }
        }

        zmsg_t *wire = encoded(command);
        zmsg_addmem(wire, "", 0);
        snprintf(expected, sizeof expected, "frame %zu: extra frame (%s has %zu frames)", frames,
                 command->name, frames);
        assert_rejected(wire, false, expected);
        /* The same with a routing id in front: frame numbers do not
           count it. */
        zmsg_pushstr(wire, "peer");
        assert_rejected(wire, true, expected);
        zmsg_destroy(&wire);
    }
    /* The example from the brief, spelled out. */
    const void *frames[] = {"ASSAY01", "\x0d", "\0\0\0\0\0\0\x10\x92", "1234567", "\0\0\0\0"};
    size_t sizes[] = {7, 1, 8, 7, 4};
    zmsg_t *wire = zmsg_from(frames, sizes, 5);
    assert_rejected(wire, false, "frame 3 (attempt): expected 4 bytes, got 7");
    zmsg_destroy(&wire);
}

static void test_reject_values(void **state)
{
    /* existing is 00 or 01 only. */
    zmsg_t *wire = encoded(&s_spec[1]);
    zframe_reset(frame_at(wire, 5), "\x02", 1);
    assert_rejected(wire, false, "frame 5 (existing): expected 00 or 01, got 02");
    zframe_reset(frame_at(wire, 5), "\xff", 1);
    assert_rejected(wire, false, "frame 5 (existing): expected 00 or 01, got ff");
    zframe_reset(frame_at(wire, 5), "\x00", 1);
    assay_msg_t *msg = assay_msg_decode(wire, false, NULL);
    assert_non_null(msg);
    assert_false(assay_msg_existing(msg));
    assay_msg_destroy(&msg);
    zmsg_destroy(&wire);

    /* DONE's code is 0 or 1; REFUSED's and REPLY's codes are free. */
    wire = encoded(&s_spec[8]);
    zframe_reset(frame_at(wire, 4), "\0\0\0\x02", 4);
    assert_rejected(wire, false, "frame 4 (code): DONE code must be 0 or 1, got 2");
    zframe_reset(frame_at(wire, 4), "\x80\0\0\0", 4);
    assert_rejected(wire, false, "frame 4 (code): DONE code must be 0 or 1, got 2147483648");
    zframe_reset(frame_at(wire, 4), "\0\0\0\0", 4);
    msg = assay_msg_decode(wire, false, NULL);
    assert_non_null(msg);
    assert_int_equal(assay_msg_code(msg), ASSAY_DONE_COMMITTED);
    assay_msg_destroy(&msg);
    zmsg_destroy(&wire);
    wire = encoded(&s_spec[2]);
    zframe_reset(frame_at(wire, 3), "\xff\xff\xff\xff", 4);
    msg = assay_msg_decode(wire, false, NULL);
    assert_non_null(msg);
    assert_int_equal(assay_msg_code(msg), 0xFFFFFFFFU);
    assay_msg_destroy(&msg);
    zmsg_destroy(&wire);
}

/* Each string field of each command: limit, NUL, invalid UTF-8. */
static void test_reject_strings(void **state)
{
    static const struct {
        const char *bytes;
        size_t size;
        size_t at;   /* SIZE_MAX: valid */
    } cases[] = {
        {"plain", 5, SIZE_MAX},
        {"", 0, SIZE_MAX},
        {"Z\xC3\xBCrich", 7, SIZE_MAX},            /* U+00FC */
        {"\xE2\x82\xAC", 3, SIZE_MAX},              /* U+20AC */
        {"\xED\x9F\xBF", 3, SIZE_MAX},              /* U+D7FF, just below surrogates */
        {"\xEE\x80\x80", 3, SIZE_MAX},              /* U+E000, just above */
        {"\xF0\x90\x80\x80", 4, SIZE_MAX},          /* U+10000 */
        {"\xF4\x8F\xBF\xBF", 4, SIZE_MAX},          /* U+10FFFF */
        {"abcde\x80", 6, 5},                        /* lone continuation */
        {"\xC0\x80", 2, 0},                         /* overlong NUL */
        {"\xC1\xBF", 2, 0},                         /* overlong */
        {"\xE0\x80\xAF", 3, 0},                     /* overlong 3-byte */
        {"\xE0\x9F\xBF", 3, 0},                     /* overlong 3-byte, top */
        {"\xF0\x8F\xBF\xBF", 4, 0},                 /* overlong 4-byte */
        {"ab\xED\xA0\x80", 5, 2},                   /* U+D800 surrogate */
        {"\xED\xBF\xBF", 3, 0},                     /* U+DFFF surrogate */
        {"\xF4\x90\x80\x80", 4, 0},                 /* above U+10FFFF */
        {"\xF5\x80\x80\x80", 4, 0},
        {"\xF8\x88\x80\x80\x80", 5, 0},             /* old 5-byte form */
        {"\xFE", 1, 0},
        {"\xFF", 1, 0},
        {"a\xE2\x82", 3, 1},                        /* truncated at the end */
        {"a\xE2\x82z", 4, 1},                       /* truncated in the middle */
        {"\xC3\xC3\xBC", 3, 0},                     /* lead without continuation */
        {"\xF0\x90\x80", 3, 0},                     /* truncated 4-byte */
        {"\xF0\x90\x80\x41", 4, 0},
    };
    char expected[128];
    for (size_t i = 0; i < SPEC_COUNT; i++) {
        const spec_command_t *command = &s_spec[i];
        size_t index = 2;
        for (const int *field = command->fields; *field; field++, index++) {
            spec_field_t info = spec_field(*field);
            if (!info.limit)
                continue;
            zmsg_t *wire = encoded(command);
            zframe_t *frame = frame_at(wire, index);
            for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
                zframe_reset(frame, cases[c].bytes, cases[c].size);
                if (cases[c].at == SIZE_MAX) {
                    assay_msg_t *msg = assay_msg_decode(wire, false, NULL);
                    assert_non_null(msg);
                    assay_msg_destroy(&msg);
                    continue;
                }
                snprintf(expected, sizeof expected, "frame %zu (%s): invalid UTF-8 at byte %zu",
                         index, info.name, cases[c].at);
                assert_rejected(wire, false, expected);
            }
            /* NUL anywhere, even where the rest is valid. */
            zframe_reset(frame, "\0abc", 4);
            snprintf(expected, sizeof expected, "frame %zu (%s): NUL byte at byte 0", index,
                     info.name);
            assert_rejected(wire, false, expected);
            zframe_reset(frame, "ab\xC3\xBC\0", 5);
            snprintf(expected, sizeof expected, "frame %zu (%s): NUL byte at byte 4", index,
                     info.name);
            assert_rejected(wire, false, expected);

            /* Exactly at the limit is fine; one byte over is not. The
               limit is in bytes, not characters. */
            char *text = malloc(info.limit + 1);
            memset(text, 'x', info.limit + 1);
            text[0] = (char) 0xC3;
            text[1] = (char) 0xBC;
            zframe_reset(frame, text, info.limit);
            assay_msg_t *msg = assay_msg_decode(wire, false, NULL);
            assert_non_null(msg);
            assay_msg_destroy(&msg);
            zframe_reset(frame, text, info.limit + 1);
            snprintf(expected, sizeof expected, "frame %zu (%s): %zu bytes, over the limit of %zu",
                     index, info.name, info.limit + 1, info.limit);
            assert_rejected(wire, false, expected);
            free(text);
            zmsg_destroy(&wire);
        }
    }
}

static void test_reject_held(void **state)
{
    zmsg_t *wire = encoded(&s_spec[5]);
    zframe_t *frame = frame_at(wire, 4);
    const size_t bad[] = {1, 11, 13, 23, 25, 37};
    char expected[128];
    char bytes[64] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zframe_reset(frame, bytes, bad[i]);
        snprintf(expected, sizeof expected, "frame 4 (held): %zu bytes is not a multiple of 12",
                 bad[i]);
        assert_rejected(wire, false, expected);
    }
    zframe_reset(frame, bytes, 0);
    assay_msg_t *msg = assay_msg_decode(wire, false, NULL);
    assert_non_null(msg);
    assert_int_equal(assay_msg_held_count(msg), 0);
    assay_msg_destroy(&msg);

    /* 65536 entries is the limit; 65537 is over it. */
    size_t size = (ASSAY_MSG_MAX_HELD + 1) * 12;
    unsigned char *many = calloc(1, size);
    for (size_t i = 0; i <= ASSAY_MSG_MAX_HELD; i++) {
        many[i * 12 + 7] = (unsigned char) (i & 0xFF);     /* job_id low byte */
        many[i * 12 + 11] = (unsigned char) (i >> 8 & 0xFF); /* attempt low byte */
    }
    zframe_reset(frame, many, size - 12);
    msg = assay_msg_decode(wire, false, NULL);
    assert_non_null(msg);
    assert_int_equal(assay_msg_held_count(msg), ASSAY_MSG_MAX_HELD);
    assert_true(assay_msg_held(msg)[300].job_id == (300 & 0xFF));
    assert_int_equal(assay_msg_held(msg)[300].attempt, 300 >> 8);
    assay_msg_destroy(&msg);
    zframe_reset(frame, many, size);
    assert_rejected(wire, false, "frame 4 (held): 65537 entries, over the limit of 65536");
    free(many);
    zmsg_destroy(&wire);
}

static void test_reject_oversize(void **state)
{
    /* A SUBMIT whose frames add up to exactly the limit is accepted... */
    size_t overhead = 7 + 1 + 8 + 0 + 0 + 0;   /* signature, command, request_id, 3 empty strings */
    size_t body_size = ASSAY_MSG_MAX_BYTES - overhead;
    char *body = calloc(1, ASSAY_MSG_MAX_BYTES);
    zmsg_t *wire = zmsg_new();
    zmsg_addstr(wire, "ASSAY01");
    zmsg_addmem(wire, "\x01", 1);
    zmsg_addmem(wire, "\0\0\0\0\0\0\0\x01", 8);
    zmsg_addmem(wire, "", 0);
    zmsg_addmem(wire, "", 0);
    zmsg_addmem(wire, "", 0);
    zmsg_addmem(wire, body, body_size);
    assay_msg_t *msg = assay_msg_decode(wire, false, NULL);
    assert_non_null(msg);
    assert_int_equal(assay_msg_body_size(msg), body_size);
    /* ...and the encoder agrees it fits. */
    assert_int_equal(assay_msg_check(msg, NULL), 0);
    zmsg_t *again = assay_msg_encode(msg);
    assert_non_null(again);
    zmsg_destroy(&again);

    /* A routing id counts towards the limit, on both sides. */
    zframe_t *identity = zframe_from("x");
    assay_msg_set_routing_id(msg, identity);
    zframe_destroy(&identity);
    const char *reason = NULL;
    assert_int_equal(assay_msg_check(msg, &reason), -1);
    assert_string_equal(reason, "message: 67108865 bytes, over the limit of 67108864 bytes");
    assert_null(assay_msg_encode(msg));
    assay_msg_destroy(&msg);
    zmsg_pushstr(wire, "x");
    assert_rejected(wire, true, "message: 67108865 bytes, over the limit of 67108864 bytes");
    zmsg_destroy(&wire);

    /* One byte over in the body alone. */
    wire = zmsg_new();
    zmsg_addstr(wire, "ASSAY01");
    zmsg_addmem(wire, "\x05", 1);
    zmsg_addmem(wire, "\0\0\0\0\0\0\0\x01", 8);
    zmsg_addmem(wire, "\0\0\0\0", 4);
    zmsg_addmem(wire, body, ASSAY_MSG_MAX_BYTES - 7 - 1 - 8 - 4 + 1);
    assert_rejected(wire, false, "message: 67108865 bytes, over the limit of 67108864 bytes");
    zmsg_destroy(&wire);

    /* The size limit comes first (section 9 order): even a frame list
       that is wrong in every other way is reported as oversize. */
    wire = zmsg_new();
    zmsg_addmem(wire, body, ASSAY_MSG_MAX_BYTES);
    zmsg_addmem(wire, "!", 1);
    assert_rejected(wire, true, "message: 67108865 bytes, over the limit of 67108864 bytes");
    zmsg_destroy(&wire);
    free(body);
}

/* Every example reason PROTOCOL.md section 9 shows is what the decoder
   says for such a message, word for word. */
static zmsg_t *example_message(const char *reason, bool *with_routing_id)
{
    *with_routing_id = false;
    zmsg_t *msg = NULL;
    if (streq(reason, "frame 0 (signature): protocol version 02 not supported, expected 01")) {
        msg = zmsg_new();
        zmsg_addstr(msg, "ASSAY02");
        zmsg_addmem(msg, "\x0f", 1);
    } else if (streq(reason, "frame 1 (command): unknown command 99")) {
        msg = zmsg_new();
        zmsg_addstr(msg, "ASSAY01");
        zmsg_addmem(msg, "\x63", 1);
    } else if (streq(reason, "frame 3 (attempt): expected 4 bytes, got 2")) {
        msg = encoded(&s_spec[7]);   /* JOB */
        zframe_reset(frame_at(msg, 3), "\0\x03", 2);
    } else if (streq(reason, "frame 3 (batch): invalid UTF-8 at byte 5")) {
        msg = encoded(&s_spec[0]);   /* SUBMIT */
        zframe_reset(frame_at(msg, 3), "night\xFFly", 8);
    } else if (streq(reason, "frame 4 (text): NUL byte at byte 0")) {
        msg = encoded(&s_spec[9]);   /* FAILED */
        zframe_reset(frame_at(msg, 4), "\0oops", 5);
    } else if (streq(reason, "frame 6 (body): missing (SUBMIT has 7 frames)")) {
        msg = encoded(&s_spec[0]);
        zframe_t *body = zmsg_last(msg);
        zmsg_remove(msg, body);
        zframe_destroy(&body);
    } else if (streq(reason, "frame 5: extra frame (DONE has 5 frames)")) {
        msg = encoded(&s_spec[8]);
        zmsg_addstr(msg, "more");
    } else if (streq(reason, "routing id: missing")) {
        msg = zmsg_new();
        *with_routing_id = true;
    } else if (streq(reason, "message: 67108865 bytes, over the limit of 67108864 bytes")) {
        msg = encoded(&s_spec[4]);   /* REPLY */
        size_t rest = ASSAY_MSG_MAX_BYTES + 1 - zmsg_content_size(msg)
                      + zframe_size(zmsg_last(msg));
        zframe_t *body = zframe_new(NULL, rest);
        memset(zframe_data(body), '{', rest);
        zframe_t *old = zmsg_last(msg);
        zmsg_remove(msg, old);
        zframe_destroy(&old);
        zmsg_append(msg, &body);
    }
    return msg;
}

static void test_protocol_examples(void **state)
{
    FILE *file = fopen(ASSAY_PROTOCOL_MD, "r");
    assert_non_null(file);
    char line[512];
    bool in_section = false, in_block = false;
    size_t examples = 0;
    while (fgets(line, sizeof line, file)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "## ", 3) == 0)
            in_section = strncmp(line, "## 9.", 5) == 0;
        else if (in_section && strncmp(line, "```", 3) == 0) {
            if (in_block)
                break;   /* only the first block of section 9 */
            in_block = true;
        } else if (in_block && *line) {
            bool with_routing_id;
            zmsg_t *msg = example_message(line, &with_routing_id);
            if (!msg)
                fail_msg("PROTOCOL.md section 9 shows \"%s\", which the test does not know", line);
            assert_rejected(msg, with_routing_id, line);
            zmsg_destroy(&msg);
            examples++;
        }
    }
    fclose(file);
    assert_int_equal(examples, 9);
}

/* ---- the encoder's checks ------------------------------------------------------- */

static void assert_refused(const assay_msg_t *msg, const char *expected)
{
    const char *reason = NULL;
    assert_int_equal(assay_msg_check(msg, &reason), -1);
    assert_non_null(reason);
    if (strcmp(reason, expected) != 0)
        fail_msg("reason \"%s\", expected \"%s\"", reason, expected);
    assert_int_equal(assay_msg_check(msg, NULL), -1);
    assert_null(assay_msg_encode(msg));
}

static void test_check(void **state)
{
    char expected[128];
    for (size_t i = 0; i < SPEC_COUNT; i++) {
        const spec_command_t *command = &s_spec[i];
        size_t index = 2;
        for (const int *field = command->fields; *field; field++, index++) {
            spec_field_t info = spec_field(*field);
            if (!info.limit)
                continue;
            char *text = malloc(info.limit + 2);
            memset(text, 'y', info.limit + 1);
            text[info.limit + 1] = '\0';
            assay_msg_t *msg = full_message(command->id);
            void (*setter)(assay_msg_t *, const char *) =
                *field == F_BATCH       ? assay_msg_set_batch
                : *field == F_KEY       ? assay_msg_set_key
                : *field == F_STANDARDS ? assay_msg_set_standards
                : *field == F_TEXT      ? assay_msg_set_text
                : *field == F_TARGET    ? assay_msg_set_target
                                        : assay_msg_set_worker;
            setter(msg, text);
            snprintf(expected, sizeof expected, "frame %zu (%s): %zu bytes, over the limit of %zu",
                     index, info.name, info.limit + 1, info.limit);
            assert_refused(msg, expected);
            text[info.limit] = '\0';
            setter(msg, text);
            assert_int_equal(assay_msg_check(msg, NULL), 0);
            /* Strings are checked for UTF-8 before they are sent. */
            setter(msg, "ok \xC0\xAF");
            snprintf(expected, sizeof expected, "frame %zu (%s): invalid UTF-8 at byte 3", index,
                     info.name);
            assert_refused(msg, expected);
            free(text);
            assay_msg_destroy(&msg);
        }
    }
    /* A field a command does not carry is not checked: it is not sent. */
    assay_msg_t *msg = assay_msg_new(ASSAY_MSG_CREDIT);
    assay_msg_set_batch(msg, "\xFF");
    assay_msg_set_code(msg, 9);
    assert_int_equal(assay_msg_check(msg, NULL), 0);
    assay_msg_set_id(msg, ASSAY_MSG_DONE);
    assert_refused(msg, "frame 4 (code): DONE code must be 0 or 1, got 9");
    assay_msg_set_id(msg, ASSAY_MSG_ACCEPTED);
    assert_refused(msg, "frame 4 (batch): invalid UTF-8 at byte 0");
    assay_msg_set_id(msg, (assay_msg_id_t) 42);
    assert_refused(msg, "frame 1 (command): unknown command 42");
    assay_msg_destroy(&msg);

    /* held: the entry limit. */
    msg = assay_msg_new(ASSAY_MSG_READY);
    assay_held_t *held = calloc(ASSAY_MSG_MAX_HELD + 1, sizeof *held);
    assay_msg_set_held(msg, held, ASSAY_MSG_MAX_HELD + 1);
    assert_refused(msg, "frame 4 (held): 65537 entries, over the limit of 65536");
    assay_msg_set_held(msg, held, ASSAY_MSG_MAX_HELD);
    zmsg_t *wire = assay_msg_encode(msg);
    assert_non_null(wire);
    assert_int_equal(zframe_size(frame_at(wire, 4)), ASSAY_MSG_MAX_HELD * 12);
    zmsg_destroy(&wire);
    free(held);
    assay_msg_destroy(&msg);

    /* encode does not disturb the reason of the last decode. */
    zmsg_t *bad = zmsg_new();
    const char *reason = NULL;
    assert_null(assay_msg_decode(bad, false, &reason));
    msg = assay_msg_new(ASSAY_MSG_DONE);
    assay_msg_set_code(msg, 5);
    assert_null(assay_msg_encode(msg));
    assert_string_equal(reason, "frame 0 (signature): missing");
    assay_msg_destroy(&msg);
    zmsg_destroy(&bad);
}

/* ---- reasons are per thread ---------------------------------------------------- */

static void reason_actor(zsock_t *pipe, void *args)
{
    zsock_signal(pipe, 0);
    zmsg_t *bad = zmsg_new();
    zmsg_addstr(bad, "ASSAY07");
    const char *reason = NULL;
    assay_msg_t *msg = assay_msg_decode(bad, false, &reason);
    zmsg_destroy(&bad);
    /* Tell the test thread we decoded, then wait until it has decoded
       something else before reporting what our reason says now. */
    zsock_send(pipe, "sp", "decoded", (void *) reason);
    char *go = zstr_recv(pipe);
    zstr_free(&go);
    zsock_send(pipe, "ssp", msg ? "accepted" : "rejected", reason, (void *) reason);
    char *term = zstr_recv(pipe);   /* $TERM from zactor_destroy */
    zstr_free(&term);
}

static void test_reason_thread_local(void **state)
{
    zactor_t *actor = zactor_new(reason_actor, NULL);
    char *step = NULL;
    void *their_pointer = NULL;
    assert_int_equal(zsock_recv(actor, "sp", &step, &their_pointer), 0);
    zstr_free(&step);

    zmsg_t *bad = zmsg_new();
    const char *reason = NULL;
    assert_null(assay_msg_decode(bad, true, &reason));
    assert_string_equal(reason, "routing id: missing");
    zmsg_destroy(&bad);
    assert_ptr_not_equal(reason, their_pointer);
    zstr_send(actor, "go");

    char *outcome = NULL, *text = NULL;
    void *pointer = NULL;
    assert_int_equal(zsock_recv(actor, "ssp", &outcome, &text, &pointer), 0);
    assert_string_equal(outcome, "rejected");
    assert_string_equal(text, "frame 0 (signature): protocol version 07 not supported, expected 01");
    assert_string_equal(reason, "routing id: missing");
    zstr_free(&outcome);
    zstr_free(&text);
    zactor_destroy(&actor);
}

/* ---- random garbage ---------------------------------------------------------------- */

/* xorshift64*: small, seeded, the same sequence everywhere. */
static uint64_t s_random_state;
static uint64_t random_next(void)
{
    s_random_state ^= s_random_state >> 12;
    s_random_state ^= s_random_state << 25;
    s_random_state ^= s_random_state >> 27;
    return s_random_state * 0x2545F4914F6CDD1DULL;
}

static size_t random_below(size_t bound)
{
    return bound ? (size_t) (random_next() % bound) : 0;
}

/* Either a well-formed message, mutated a little, or plain noise: the
   mutations reach the field checks, the noise the envelope checks. */
static zmsg_t *random_message(bool *with_routing_id)
{
    *with_routing_id = random_below(2);
    zmsg_t *msg;
    if (random_below(4)) {
        msg = encoded(&s_spec[random_below(SPEC_COUNT)]);
        size_t mutations = 1 + random_below(3);
        for (size_t m = 0; m < mutations; m++) {
            size_t frames = zmsg_size(msg);
            zframe_t *frame = frames ? frame_at(msg, random_below(frames)) : NULL;
            switch (random_below(6)) {
                case 0:   /* flip a byte */
                    if (frame && zframe_size(frame))
                        zframe_data(frame)[random_below(zframe_size(frame))] =
                            (unsigned char) random_next();
                    break;
                case 1:   /* shorten a frame */
                    if (frame && zframe_size(frame)) {
                        size_t keep = random_below(zframe_size(frame));
                        zframe_t *copy = zframe_new(zframe_data(frame), keep);
                        zframe_reset(frame, zframe_data(copy), keep);
                        zframe_destroy(&copy);
                    }
                    break;
                case 2:   /* drop a frame */
                    if (frame) {
                        zmsg_remove(msg, frame);
                        zframe_destroy(&frame);
                    }
                    break;
                case 3:   /* add a frame */
                    zmsg_addmem(msg, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c",
                                random_below(13));
                    break;
                case 4:   /* change the command */
                    if (frames > 1) {
                        unsigned char command = (unsigned char) random_below(20);
                        zframe_reset(frame_at(msg, 1), &command, 1);
                    }
                    break;
                default:  /* a frame of random bytes in place of one */
                    if (frame) {
                        unsigned char bytes[40];
                        size_t size = random_below(sizeof bytes);
                        for (size_t b = 0; b < size; b++)
                            bytes[b] = (unsigned char) random_next();
                        zframe_reset(frame, bytes, size);
                    }
                    break;
            }
        }
        if (*with_routing_id)
            zmsg_pushmem(msg, "id", random_below(3));
    } else {
        msg = zmsg_new();
        size_t frames = random_below(9);
        for (size_t f = 0; f < frames; f++) {
            unsigned char bytes[64];
            size_t size = random_below(sizeof bytes);
            for (size_t b = 0; b < size; b++)
                bytes[b] = (unsigned char) random_next();
            /* Often a real signature, so the noise gets past frame 0. */
            if (f == (*with_routing_id ? 1u : 0u) && random_below(2)) {
                memcpy(bytes, "ASSAY01", 7);
                size = 7;
            }
            zmsg_addmem(msg, bytes, size);
        }
    }
    return msg;
}

static void test_random_garbage(void **state)
{
    const uint64_t seed = 0x5eed0a55a7ULL;
    s_random_state = seed;
    size_t accepted = 0;
    for (int i = 0; i < 5000; i++) {
        bool with_routing_id;
        zmsg_t *msg = random_message(&with_routing_id);
        const char *reason = NULL;
        assay_msg_t *decoded = assay_msg_decode(msg, with_routing_id, &reason);
        if (decoded) {
            /* Whatever the decoder accepts, the encoder reproduces bit
               for bit: nothing was misread or partly read. */
            accepted++;
            assert_null(reason);
            zmsg_t *again = assay_msg_encode(decoded);
            assert_non_null(again);
            assert_true(zmsg_equal(msg, again));
            zmsg_destroy(&again);
            assay_msg_destroy(&decoded);
        } else {
            assert_non_null(reason);
            assert_true(strncmp(reason, "frame ", 6) == 0 || strncmp(reason, "routing id:", 11) == 0
                        || strncmp(reason, "message:", 8) == 0);
        }
        zmsg_destroy(&msg);
    }
    /* The mutations must leave some messages valid, or the comparison
       above tested nothing. */
    print_message("seed %#" PRIx64 ": %zu of 5000 accepted\n", seed, accepted);
    assert_true(accepted > 50);
}

/* ---- test vectors (PROTOCOL.md section 12) --------------------------------------- */

#define MAX_VECTORS 32
#define MAX_FRAMES 8

typedef struct {
    char name[32];
    size_t frames;
    unsigned char bytes[MAX_FRAMES][128];
    size_t sizes[MAX_FRAMES];
} vector_t;

static size_t read_vectors(vector_t *vectors)
{
    FILE *file = fopen(ASSAY_PROTOCOL_MD, "r");
    if (!file)
        fail_msg("cannot open %s", ASSAY_PROTOCOL_MD);
    char line[1024];
    size_t count = 0;
    vector_t *current = NULL;
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, "vector ", 7) == 0) {
            assert_true(count < MAX_VECTORS);
            current = &vectors[count++];
            memset(current, 0, sizeof *current);
            sscanf(line + 7, "%31s", current->name);
            continue;
        }
        if (strncmp(line, "```", 3) == 0) {
            current = NULL;
            continue;
        }
        size_t number;
        int used = 0;
        if (!current || sscanf(line, " frame %zu:%n", &number, &used) != 1 || used == 0)
            continue;
        /* Frames must be listed in order, from 0. */
        assert_int_equal(number, current->frames);
        assert_true(number < MAX_FRAMES);
        const char *at = line + used;
        while (*at == ' ')
            at++;
        if (strncmp(at, "(empty)", 7) != 0) {
            unsigned value;
            int consumed;
            while (sscanf(at, "%2x%n", &value, &consumed) == 1) {
                assert_true(current->sizes[number] < sizeof current->bytes[number]);
                current->bytes[number][current->sizes[number]++] = (unsigned char) value;
                at += consumed;
                while (*at == ' ')
                    at++;
            }
            assert_true(*at == '\n' || *at == '\0');
        }
        current->frames++;
    }
    fclose(file);
    return count;
}

/* The field values of each vector, as its comment line in PROTOCOL.md
   gives them. */
static assay_msg_t *vector_message(const char *name)
{
    assay_msg_t *msg = NULL;
    if (streq(name, "SUBMIT")) {
        msg = assay_msg_new(ASSAY_MSG_SUBMIT);
        assay_msg_set_request_id(msg, 7);
        assay_msg_set_batch(msg, "nightly");
        assay_msg_set_key(msg, "k-1");
        assay_msg_set_standards(msg, "iso9001-2015");
        assay_msg_set_body(msg, "{}", 2);
    } else if (streq(name, "ACCEPTED")) {
        msg = assay_msg_new(ASSAY_MSG_ACCEPTED);
        assay_msg_set_request_id(msg, 7);
        assay_msg_set_job_id(msg, 4242);
        assay_msg_set_batch(msg, "nightly");
        assay_msg_set_existing(msg, true);
    } else if (streq(name, "REFUSED")) {
        msg = assay_msg_new(ASSAY_MSG_REFUSED);
        assay_msg_set_request_id(msg, 8);
        assay_msg_set_code(msg, ASSAY_CODE_RETRY);
        assay_msg_set_text(msg, "database unavailable");
    } else if (streq(name, "QUERY")) {
        msg = assay_msg_new(ASSAY_MSG_QUERY);
        assay_msg_set_request_id(msg, 9);
        assay_msg_set_text(msg, "status");
        assay_msg_set_target(msg, "Zürich-nightly");
    } else if (streq(name, "REPLY")) {
        msg = assay_msg_new(ASSAY_MSG_REPLY);
        assay_msg_set_request_id(msg, 9);
        assay_msg_set_code(msg, ASSAY_CODE_OK);
        assay_msg_set_body(msg, "{\"queued\":0}", 12);
    } else if (streq(name, "READY")) {
        msg = assay_msg_new(ASSAY_MSG_READY);
        const assay_held_t held[] = {{4242, 2}, {0x0102030405060708ULL, 0x0a0b0c0dU}};
        assay_msg_set_worker(msg, "w-1");
        assay_msg_set_credit(msg, 4);
        assay_msg_set_held(msg, held, 2);
    } else if (streq(name, "READY-EMPTY")) {
        msg = assay_msg_new(ASSAY_MSG_READY);
        assay_msg_set_worker(msg, "w-1");
        assay_msg_set_credit(msg, 2);
    } else if (streq(name, "CREDIT")) {
        msg = assay_msg_new(ASSAY_MSG_CREDIT);
        assay_msg_set_credit(msg, 1);
    } else if (streq(name, "JOB")) {
        msg = assay_msg_new(ASSAY_MSG_JOB);
        assay_msg_set_job_id(msg, 4242);
        assay_msg_set_attempt(msg, 3);
        assay_msg_set_deadline_ms(msg, 30000);
        assay_msg_set_standards(msg, "iso13485-2016");
        assay_msg_set_body(msg, "{}", 2);
    } else if (streq(name, "DONE")) {
        msg = assay_msg_new(ASSAY_MSG_DONE);
        assay_msg_set_job_id(msg, 4242);
        assay_msg_set_attempt(msg, 3);
        assay_msg_set_code(msg, ASSAY_DONE_STALE);
    } else if (streq(name, "FAILED")) {
        msg = assay_msg_new(ASSAY_MSG_FAILED);
        assay_msg_set_job_id(msg, 4242);
        assay_msg_set_attempt(msg, 3);
        assay_msg_set_text(msg, "bad date in QM-1: \"2026-13-01\"");
    } else if (streq(name, "HEARTBEAT"))
        msg = assay_msg_new(ASSAY_MSG_HEARTBEAT);
    else if (streq(name, "DISCONNECT"))
        msg = assay_msg_new(ASSAY_MSG_DISCONNECT);
    return msg;
}

static void test_vectors(void **state)
{
    static vector_t vectors[MAX_VECTORS];
    size_t count = read_vectors(vectors);
    /* Every command has at least one vector, READY one more. */
    assert_int_equal(count, 13);
    bool seen[17] = {false};
    for (size_t v = 0; v < count; v++) {
        const vector_t *vector = &vectors[v];
        assay_msg_t *expected = vector_message(vector->name);
        if (!expected)
            fail_msg("PROTOCOL.md has vector %s, which the test does not know", vector->name);
        seen[assay_msg_id(expected)] = true;

        /* Encoding the values gives exactly the document's bytes. */
        zmsg_t *wire = assay_msg_encode(expected);
        assert_non_null(wire);
        if (zmsg_size(wire) != vector->frames)
            fail_msg("vector %s: %zu frames, the codec made %zu", vector->name, vector->frames,
                     zmsg_size(wire));
        for (size_t f = 0; f < vector->frames; f++) {
            zframe_t *frame = frame_at(wire, f);
            if (zframe_size(frame) != vector->sizes[f]
                || memcmp(zframe_data(frame), vector->bytes[f], vector->sizes[f]) != 0)
                fail_msg("vector %s frame %zu differs", vector->name, f);
        }
        zmsg_destroy(&wire);

        /* Decoding the document's bytes gives the values back. */
        wire = zmsg_new();
        for (size_t f = 0; f < vector->frames; f++)
            zmsg_addmem(wire, vector->bytes[f], vector->sizes[f]);
        const char *reason = NULL;
        assay_msg_t *decoded = assay_msg_decode(wire, false, &reason);
        if (!decoded)
            fail_msg("vector %s rejected: %s", vector->name, reason);
        assert_int_equal(assay_msg_id(decoded), assay_msg_id(expected));
        assert_true(assay_msg_request_id(decoded) == assay_msg_request_id(expected));
        assert_true(assay_msg_job_id(decoded) == assay_msg_job_id(expected));
        assert_int_equal(assay_msg_attempt(decoded), assay_msg_attempt(expected));
        assert_int_equal(assay_msg_credit(decoded), assay_msg_credit(expected));
        assert_int_equal(assay_msg_code(decoded), assay_msg_code(expected));
        assert_int_equal(assay_msg_deadline_ms(decoded), assay_msg_deadline_ms(expected));
        assert_int_equal(assay_msg_existing(decoded), assay_msg_existing(expected));
        assert_string_equal(assay_msg_batch(decoded), assay_msg_batch(expected));
        assert_string_equal(assay_msg_key(decoded), assay_msg_key(expected));
        assert_string_equal(assay_msg_standards(decoded), assay_msg_standards(expected));
        assert_string_equal(assay_msg_text(decoded), assay_msg_text(expected));
        assert_string_equal(assay_msg_target(decoded), assay_msg_target(expected));
        assert_string_equal(assay_msg_worker(decoded), assay_msg_worker(expected));
        assert_int_equal(assay_msg_body_size(decoded), assay_msg_body_size(expected));
        assert_memory_equal(assay_msg_body(decoded), assay_msg_body(expected),
                            assay_msg_body_size(expected));
        assert_int_equal(assay_msg_held_count(decoded), assay_msg_held_count(expected));
        if (assay_msg_held_count(expected))
            assert_true(held_equal(assay_msg_held(decoded), assay_msg_held(expected),
                                   assay_msg_held_count(expected)));
        assay_msg_destroy(&decoded);
        zmsg_destroy(&wire);
        assay_msg_destroy(&expected);
    }
    for (size_t i = 0; i < SPEC_COUNT; i++)
        if (!seen[s_spec[i].id])
            fail_msg("PROTOCOL.md has no test vector for %s", s_spec[i].name);
}

int main(void)
{
    /* czmq would otherwise install its own SIGINT handler and print at
       exit; neither helps a test. */
    zsys_handler_set(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selftest),
        cmocka_unit_test(test_round_trip_every_command),
        cmocka_unit_test(test_round_trip_with_routing_id),
        cmocka_unit_test(test_send_recv_router_dealer),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_peek_id),
        cmocka_unit_test(test_reject_envelope),
        cmocka_unit_test(test_reject_frames),
        cmocka_unit_test(test_reject_values),
        cmocka_unit_test(test_reject_strings),
        cmocka_unit_test(test_reject_held),
        cmocka_unit_test(test_reject_oversize),
        cmocka_unit_test(test_protocol_examples),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_reason_thread_local),
        cmocka_unit_test(test_random_garbage),
        cmocka_unit_test(test_vectors),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return failed;
}
