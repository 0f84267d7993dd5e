/*  garbage_client.c - throws malformed multipart messages at both broker
    endpoints, to test the decoder's defence on a real broker.

    TEST CODE ONLY. proto/ is the only product code allowed to build or
    parse frames; this builds raw frames on purpose, because the point is
    to send what the codec would never produce. Nothing in broker/,
    worker/ or client/ may copy it.

        garbage_client --clients EP --workers EP [--count N] [--oversized K]
                       [--oversize-mib M] [--seed S]

    Sends, in this order:

    1. client link: N messages, each random frames, a valid message (built
       by the codec) with one mutation (a frame dropped, added, cut short,
       grown, overwritten, a bad signature or command), a lone signature,
       an empty frame, or thousands of tiny frames;
    2. worker link, unknown peer: N more such messages;
    3. worker link, known peer: READY with credit 0 (so no job is ever
       dispatched here), N/10 messages that are garbage or commands a
       worker never sends (JOB, SUBMIT, ...), then DISCONNECT;
    4. K oversized messages (M MiB, default 70, over the 64 MiB limit) on
       each link, each from a fresh connection, last, so that a broker
       that cuts such a peer off loses nothing else.

    Every message is decoded here first and sent only if the broker must
    count it as malformed: on the client link, anything that does not
    decode or decodes to a command other than SUBMIT and QUERY; on the
    worker link from an unknown peer, only what does not decode (the broker
    answers a decodable command from a stranger with DISCONNECT and does
    not count it); from a known worker, anything but the commands workers
    send. So the counts printed on stdout are exactly what the broker's
    counters must grow by:

        malformed_client=N1
        malformed_worker=N2

    Exit 0 when everything was sent, 1 otherwise. Reproducible: the same
    seed sends the same bytes.
*/
#include "assay_msg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers: xorshift64*, so that a seed replays a run ------- */

static uint64_t s_state = 0x9e3779b97f4a7c15u;

static uint64_t s_random(void)
{
    s_state ^= s_state >> 12;
    s_state ^= s_state << 25;
    s_state ^= s_state >> 27;
    return s_state * 0x2545f4914f6cdd1du;
}

static size_t s_below(size_t bound)
{
    return bound ? (size_t) (s_random() % bound) : 0;
}

/* ---- a message as plain frames, easy to mutate ------------------------ */

typedef struct {
    unsigned char *data;
    size_t size;
} raw_frame_t;

typedef struct {
    raw_frame_t *frames;
    size_t count;
    size_t capacity;
} raw_msg_t;

static void s_raw_free(raw_msg_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free(self->frames[i].data);
    free(self->frames);
    memset(self, 0, sizeof *self);
}

/* Insert a frame at `index` (count appends); copies `data`, or random
   bytes when `data` is NULL. */
static void s_raw_insert(raw_msg_t *self, size_t index, const void *data, size_t size)
{
    if (self->count == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 8;
        self->frames = realloc(self->frames, self->capacity * sizeof *self->frames);
        if (!self->frames)
            abort();
    }
    memmove(self->frames + index + 1, self->frames + index,
            (self->count - index) * sizeof *self->frames);
    raw_frame_t *frame = &self->frames[index];
    frame->data = malloc(size ? size : 1);
    if (!frame->data)
        abort();
    frame->size = size;
    for (size_t i = 0; i < size; i++)
        frame->data[i] = data ? ((const unsigned char *) data)[i] : (unsigned char) s_random();
    self->count++;
}

static void s_raw_add(raw_msg_t *self, const void *data, size_t size)
{
    s_raw_insert(self, self->count, data, size);
}

static void s_raw_remove(raw_msg_t *self, size_t index)
{
    free(self->frames[index].data);
    memmove(self->frames + index, self->frames + index + 1,
            (self->count - index - 1) * sizeof *self->frames);
    self->count--;
}

static void s_raw_resize(raw_frame_t *frame, size_t size)
{
    unsigned char *data = realloc(frame->data, size ? size : 1);
    if (!data)
        abort();
    for (size_t i = frame->size; i < size; i++)
        data[i] = (unsigned char) s_random();
    frame->data = data;
    frame->size = size;
}

static zmsg_t *s_raw_to_zmsg(const raw_msg_t *self)
{
    zmsg_t *msg = zmsg_new();
    for (size_t i = 0; i < self->count; i++)
        zmsg_addmem(msg, self->frames[i].data, self->frames[i].size);
    return msg;
}

/* ---- valid messages of every command, the codec's own output ---------- */

static const assay_msg_id_t s_commands[] = {
    ASSAY_MSG_SUBMIT, ASSAY_MSG_ACCEPTED, ASSAY_MSG_REFUSED, ASSAY_MSG_QUERY,
    ASSAY_MSG_REPLY, ASSAY_MSG_READY, ASSAY_MSG_CREDIT, ASSAY_MSG_JOB,
    ASSAY_MSG_DONE, ASSAY_MSG_FAILED, ASSAY_MSG_HEARTBEAT, ASSAY_MSG_DISCONNECT,
};
#define COMMAND_COUNT (sizeof s_commands / sizeof s_commands[0])

static assay_msg_t *s_valid(assay_msg_id_t id)
{
    assay_msg_t *msg = assay_msg_new(id);
    assay_msg_set_request_id(msg, 0x0102030405060708u);
    assay_msg_set_job_id(msg, UINT64_MAX - 1);
    assay_msg_set_attempt(msg, 3);
    assay_msg_set_credit(msg, 0);
    assay_msg_set_code(msg, 1);
    assay_msg_set_deadline_ms(msg, 30000);
    assay_msg_set_existing(msg, true);
    assay_msg_set_batch(msg, "garbage");
    assay_msg_set_key(msg, "k-1");
    assay_msg_set_standards(msg, "iso9001-2015");
    assay_msg_set_text(msg, "stats");
    assay_msg_set_target(msg, "garbage");
    assay_msg_set_worker(msg, "garbage-client");
    assay_msg_set_body(msg, "{}", 2);
    /* Job ids no real job has, should a mutated READY ever decode. */
    assay_held_t held[2] = { { UINT64_MAX - 1, 2 }, { UINT64_MAX - 2, 1 } };
    assay_msg_set_held(msg, held, 2);
    return msg;
}

static void s_raw_from_valid(raw_msg_t *raw, assay_msg_id_t id)
{
    assay_msg_t *msg = s_valid(id);
    zmsg_t *encoded = assay_msg_encode(msg);
    assay_msg_destroy(&msg);
    if (!encoded)
        abort();
    for (zframe_t *frame = zmsg_first(encoded); frame; frame = zmsg_next(encoded))
        s_raw_add(raw, zframe_data(frame), zframe_size(frame));
    zmsg_destroy(&encoded);
}

/* ---- the garbage ------------------------------------------------------ */

/* A random frame size: mostly small, sometimes a field's limit plus a
   little, rarely tens of KiB. */
static size_t s_frame_size(void)
{
    switch (s_below(20)) {
    case 0: return 250 + s_below(20);               /* around the short-string limit */
    case 1: return 65530 + s_below(20);             /* around the text limit */
    case 2: return s_below(100000);
    default: return s_below(40);
    }
}

static void s_mutate(raw_msg_t *raw)
{
    size_t index = s_below(raw->count);
    raw_frame_t *frame = &raw->frames[index];
    switch (s_below(9)) {
    case 0: /* truncated: the last frame(s) missing */
        for (size_t drop = 1 + s_below(2); drop && raw->count > 1; drop--)
            s_raw_remove(raw, raw->count - 1);
        break;
    case 1: /* one frame too many */
        s_raw_add(raw, NULL, s_below(3) == 0 ? 0 : s_frame_size());
        break;
    case 2: /* a frame cut short */
        s_raw_resize(frame, frame->size ? s_below(frame->size) : 0);
        break;
    case 3: /* a frame grown */
        s_raw_resize(frame, frame->size + 1 + s_below(8));
        break;
    case 4: /* a frame overwritten with random bytes of its own length */
        for (size_t i = 0; i < frame->size; i++)
            frame->data[i] = (unsigned char) s_random();
        break;
    case 5: /* another protocol version */
        s_raw_resize(&raw->frames[0], 7);
        memcpy(raw->frames[0].data, "ASSAY", 5);
        raw->frames[0].data[5] = (unsigned char) ('0' + s_below(10));
        raw->frames[0].data[6] = (unsigned char) ('2' + s_below(8));
        break;
    case 6: /* an unknown command */
        if (raw->count > 1) {
            static const unsigned char unknown[] = { 0, 6, 7, 8, 9, 17, 99, 255 };
            s_raw_resize(&raw->frames[1], 1);
            raw->frames[1].data[0] = unknown[s_below(sizeof unknown)];
        }
        break;
    case 7: /* bad UTF-8 or a NUL inside a field */
        if (frame->size == 0)
            s_raw_resize(frame, 1 + s_below(8));
        frame->data[s_below(frame->size)] = s_below(2) ? 0xff : 0x00;
        break;
    default: /* a field over its limit */
        if (raw->count > 2)
            s_raw_resize(&raw->frames[2 + s_below(raw->count - 2)], 257 + s_below(70000));
        break;
    }
}

/* One candidate message (it may turn out to be valid; the caller checks). */
static void s_generate(raw_msg_t *raw)
{
    switch (s_below(10)) {
    case 0: /* random frames */
    case 1:
        for (size_t n = 1 + s_below(8); n; n--)
            s_raw_add(raw, NULL, s_frame_size());
        break;
    case 2: /* the right signature, then anything */
        s_raw_add(raw, ASSAY_PROTO_SIGNATURE, 7);
        for (size_t n = s_below(8); n; n--)
            s_raw_add(raw, NULL, s_below(2) ? 1 : s_frame_size());
        break;
    case 3: /* a lone signature, or one empty frame */
        if (s_below(2))
            s_raw_add(raw, ASSAY_PROTO_SIGNATURE, 7);
        else
            s_raw_add(raw, "", 0);
        break;
    case 4: /* very many tiny frames */
        s_raw_add(raw, ASSAY_PROTO_SIGNATURE, 7);
        for (size_t n = 1000 + s_below(4000); n; n--)
            s_raw_add(raw, NULL, s_below(3));
        break;
    default: /* a valid message with one or two mutations */
        s_raw_from_valid(raw, s_commands[s_below(COMMAND_COUNT)]);
        for (size_t n = 1 + s_below(2); n; n--)
            s_mutate(raw);
        break;
    }
}

typedef enum { LINK_CLIENT, LINK_WORKER_STRANGER, LINK_WORKER_KNOWN } link_t;

/* Would the broker count this message as malformed on that link? */
static bool s_counted(zmsg_t *msg, link_t link)
{
    const char *reason = NULL;
    assay_msg_t *decoded = assay_msg_decode(msg, false, &reason);
    if (!decoded)
        return true;
    assay_msg_id_t id = assay_msg_id(decoded);
    assay_msg_destroy(&decoded);
    switch (link) {
    case LINK_CLIENT: return id != ASSAY_MSG_SUBMIT && id != ASSAY_MSG_QUERY;
    case LINK_WORKER_STRANGER: return false;
    case LINK_WORKER_KNOWN:
        return id != ASSAY_MSG_READY && id != ASSAY_MSG_CREDIT && id != ASSAY_MSG_DONE
            && id != ASSAY_MSG_FAILED && id != ASSAY_MSG_HEARTBEAT
            && id != ASSAY_MSG_DISCONNECT;
    }
    return false;
}

static zsock_t *s_connect(const char *endpoint)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock)
        return NULL;
    /* Let the broker drain at its own pace, but never wait forever, and
       deliver everything queued before the socket closes. */
    zsock_set_sndtimeo(sock, 60000);
    zsock_set_linger(sock, 120000);
    if (zsock_connect(sock, "%s", endpoint) != 0) {
        zsock_destroy(&sock);
        return NULL;
    }
    return sock;
}

/* Send `count` counted messages; returns how many went out. */
static size_t s_flood(zsock_t *sock, link_t link, size_t count)
{
    size_t sent = 0, tries = 0;
    while (sent < count && tries < count * 20) {
        tries++;
        raw_msg_t raw = { 0 };
        s_generate(&raw);
        zmsg_t *msg = s_raw_to_zmsg(&raw);
        s_raw_free(&raw);
        if (!s_counted(msg, link)) {
            zmsg_destroy(&msg);
            continue;
        }
        if (zmsg_send(&msg, sock) != 0) {
            zmsg_destroy(&msg);
            fprintf(stderr, "garbage_client: send failed after %zu messages\n", sent);
            break;
        }
        sent++;
    }
    return sent;
}

static int s_send_command(zsock_t *sock, assay_msg_id_t id)
{
    assay_msg_t *msg = s_valid(id);
    return assay_msg_send(&msg, sock);
}

/* What a known worker never sends: counted as malformed_worker whether
   the decoder rejects it or the broker's dispatch does. */
static size_t s_known_worker(const char *endpoint, size_t count)
{
    zsock_t *sock = s_connect(endpoint);
    if (!sock)
        return 0;
    size_t sent = 0;
    /* Credit 0 and nothing held: the broker must never lease a real job
       to this peer. */
    assay_msg_t *ready = s_valid(ASSAY_MSG_READY);
    assay_msg_set_held(ready, NULL, 0);
    if (assay_msg_send(&ready, sock) == 0) {
        static const assay_msg_id_t wrong[] = {
            ASSAY_MSG_SUBMIT, ASSAY_MSG_ACCEPTED, ASSAY_MSG_REFUSED,
            ASSAY_MSG_QUERY, ASSAY_MSG_REPLY, ASSAY_MSG_JOB,
        };
        for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
            sent += s_send_command(sock, wrong[i]) == 0;
        if (count > sent)
            sent += s_flood(sock, LINK_WORKER_KNOWN, count - sent);
        s_send_command(sock, ASSAY_MSG_DISCONNECT);
    }
    zsock_destroy(&sock);
    return sent;
}

/* Over the decoder's whole-message limit: a SUBMIT (or JOB) whose body
   alone is `mib` MiB. One frame shared by every send (zframe_dup). */
static size_t s_oversized(const char *endpoint, assay_msg_id_t id, size_t count, size_t mib)
{
    raw_msg_t raw = { 0 };
    s_raw_from_valid(&raw, id);
    zmsg_t *head = s_raw_to_zmsg(&raw);
    s_raw_free(&raw);
    zframe_t *body = zmsg_last(head);
    size_t big = mib * 1024 * 1024;
    unsigned char *bytes = calloc(1, big);
    if (!bytes)
        abort();
    memset(bytes, '{', big);
    zframe_reset(body, bytes, big);
    free(bytes);
    size_t sent = 0;
    for (size_t i = 0; i < count; i++) {
        zsock_t *sock = s_connect(endpoint);
        if (!sock)
            break;
        zmsg_t *msg = zmsg_dup(head);
        if (zmsg_send(&msg, sock) == 0)
            sent++;
        else
            zmsg_destroy(&msg);
        zsock_destroy(&sock);   /* lingers until the broker has it all */
    }
    zmsg_destroy(&head);
    return sent;
}

static int s_usage(void)
{
    fprintf(stderr, "usage: garbage_client --clients EP --workers EP [--count N] "
                    "[--oversized K] [--oversize-mib M] [--seed S]\n");
    return 2;
}

int main(int argc, char *argv[])
{
    const char *clients = NULL, *workers = NULL;
    size_t count = 2000, oversized = 2, mib = 70;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--clients") == 0)
            clients = argv[i + 1];
        else if (strcmp(argv[i], "--workers") == 0)
            workers = argv[i + 1];
        else if (strcmp(argv[i], "--count") == 0)
            count = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--oversized") == 0)
            oversized = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--oversize-mib") == 0)
            mib = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            s_state = strtoull(argv[i + 1], NULL, 0) | 1;
        else
            return s_usage();
    }
    if (argc % 2 == 0 || !clients || !workers)
        return s_usage();
    if (mib * 1024 * 1024 <= ASSAY_MSG_MAX_BYTES) {
        fprintf(stderr, "garbage_client: --oversize-mib must be over the %u byte limit\n",
                ASSAY_MSG_MAX_BYTES);
        return 2;
    }
    zsys_init();

    size_t client_sent = 0, worker_sent = 0;
    zsock_t *sock = s_connect(clients);
    if (sock)
        client_sent += s_flood(sock, LINK_CLIENT, count);
    zsock_destroy(&sock);
    fprintf(stderr, "garbage_client: %zu malformed messages to %s\n", client_sent, clients);

    sock = s_connect(workers);
    if (sock)
        worker_sent += s_flood(sock, LINK_WORKER_STRANGER, count);
    zsock_destroy(&sock);
    size_t known = s_known_worker(workers, count / 10);
    fprintf(stderr, "garbage_client: %zu malformed messages to %s, %zu of them as a known worker\n",
            worker_sent + known, workers, known);
    worker_sent += known;

    size_t big_client = s_oversized(clients, ASSAY_MSG_SUBMIT, oversized, mib);
    size_t big_worker = s_oversized(workers, ASSAY_MSG_JOB, oversized, mib);
    fprintf(stderr, "garbage_client: %zu + %zu oversized (%zu MiB) messages\n", big_client,
            big_worker, mib);
    client_sent += big_client;
    worker_sent += big_worker;

    printf("malformed_client=%zu\nmalformed_worker=%zu\n", client_sent, worker_sent);
    size_t wanted = count + oversized;
    return client_sent == wanted && worker_sent == wanted + count / 10 ? 0 : 1;
}
