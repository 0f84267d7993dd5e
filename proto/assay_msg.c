/*  assay_msg.c - the Assay wire protocol codec (see proto/PROTOCOL.md).

    The codec is table driven: each command lists its fields in wire
    order, and each field knows its type and limit. Encoding, decoding
    and checking all walk the same table, so the three cannot disagree
    about which frames a command has.

    The decoder treats every byte from the peer as hostile: it reads
    frames only through their size, never assumes a terminator, and
    rejects the message at the first thing PROTOCOL.md section 9 forbids,
    in the order that section gives.
*/
#include "assay_msg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- field and command tables ------------------------------------------ */

typedef enum {
    FIELD_NONE = 0,   /* terminates a command's field list */
    FIELD_REQUEST_ID,
    FIELD_JOB_ID,
    FIELD_ATTEMPT,
    FIELD_CREDIT,
    FIELD_CODE,
    FIELD_DEADLINE_MS,
    FIELD_EXISTING,
    FIELD_BATCH,
    FIELD_KEY,
    FIELD_STANDARDS,
    FIELD_TEXT,
    FIELD_TARGET,
    FIELD_WORKER,
    FIELD_BODY,
    FIELD_HELD
} field_t;

typedef enum {
    TYPE_U64,
    TYPE_U32,
    TYPE_FLAG,
    TYPE_STRING,  /* short string or text: the limit tells them apart */
    TYPE_BODY,
    TYPE_HELD
} field_type_t;

typedef struct {
    const char *name;   /* as PROTOCOL.md spells it, for reasons */
    field_type_t type;
    size_t limit;       /* strings: bytes; held: entries; else unused */
} field_info_t;

static const field_info_t s_fields[] = {
    [FIELD_NONE] = {"none", TYPE_BODY, 0},
    [FIELD_REQUEST_ID] = {"request_id", TYPE_U64, 0},
    [FIELD_JOB_ID] = {"job_id", TYPE_U64, 0},
    [FIELD_ATTEMPT] = {"attempt", TYPE_U32, 0},
    [FIELD_CREDIT] = {"credit", TYPE_U32, 0},
    [FIELD_CODE] = {"code", TYPE_U32, 0},
    [FIELD_DEADLINE_MS] = {"deadline_ms", TYPE_U32, 0},
    [FIELD_EXISTING] = {"existing", TYPE_FLAG, 0},
    [FIELD_BATCH] = {"batch", TYPE_STRING, ASSAY_MSG_MAX_SHORT},
    [FIELD_KEY] = {"key", TYPE_STRING, ASSAY_MSG_MAX_SHORT},
    [FIELD_STANDARDS] = {"standards", TYPE_STRING, ASSAY_MSG_MAX_SHORT},
    [FIELD_TEXT] = {"text", TYPE_STRING, ASSAY_MSG_MAX_TEXT},
    [FIELD_TARGET] = {"target", TYPE_STRING, ASSAY_MSG_MAX_SHORT},
    [FIELD_WORKER] = {"worker", TYPE_STRING, ASSAY_MSG_MAX_SHORT},
    [FIELD_BODY] = {"body", TYPE_BODY, 0},
    [FIELD_HELD] = {"held", TYPE_HELD, ASSAY_MSG_MAX_HELD},
};

/* The most fields any command has (SUBMIT and JOB have five). */
#define MAX_FIELDS 5

typedef struct {
    const char *name;
    field_t fields[MAX_FIELDS + 1];   /* FIELD_NONE-terminated */
} command_info_t;

/* Indexed by command id; ids without a name are unknown commands. */
static const command_info_t s_commands[] = {
    [ASSAY_MSG_SUBMIT] = {"SUBMIT",
                          {FIELD_REQUEST_ID, FIELD_BATCH, FIELD_KEY, FIELD_STANDARDS, FIELD_BODY}},
    [ASSAY_MSG_ACCEPTED] = {"ACCEPTED",
                            {FIELD_REQUEST_ID, FIELD_JOB_ID, FIELD_BATCH, FIELD_EXISTING}},
    [ASSAY_MSG_REFUSED] = {"REFUSED", {FIELD_REQUEST_ID, FIELD_CODE, FIELD_TEXT}},
    [ASSAY_MSG_QUERY] = {"QUERY", {FIELD_REQUEST_ID, FIELD_TEXT, FIELD_TARGET, FIELD_BODY}},
    [ASSAY_MSG_REPLY] = {"REPLY", {FIELD_REQUEST_ID, FIELD_CODE, FIELD_BODY}},
    [ASSAY_MSG_READY] = {"READY", {FIELD_WORKER, FIELD_CREDIT, FIELD_HELD}},
    [ASSAY_MSG_CREDIT] = {"CREDIT", {FIELD_CREDIT}},
    [ASSAY_MSG_JOB] = {"JOB", {FIELD_JOB_ID, FIELD_ATTEMPT, FIELD_DEADLINE_MS, FIELD_STANDARDS,
                               FIELD_BODY}},
    [ASSAY_MSG_DONE] = {"DONE", {FIELD_JOB_ID, FIELD_ATTEMPT, FIELD_CODE}},
    [ASSAY_MSG_FAILED] = {"FAILED", {FIELD_JOB_ID, FIELD_ATTEMPT, FIELD_TEXT}},
    [ASSAY_MSG_HEARTBEAT] = {"HEARTBEAT", {FIELD_NONE}},
    [ASSAY_MSG_DISCONNECT] = {"DISCONNECT", {FIELD_NONE}},
};

#define SIGNATURE_SIZE 7
#define HELD_ENTRY_SIZE 12

/* NULL for an id that is not a command: the table has holes (6..9). */
static const command_info_t *s_command_info(unsigned id)
{
    if (id >= sizeof s_commands / sizeof s_commands[0] || !s_commands[id].name)
        return NULL;
    return &s_commands[id];
}

/* Frames of a command on the wire: signature, command, then fields. */
static size_t s_frame_count(const command_info_t *command)
{
    size_t count = 2;
    for (const field_t *field = command->fields; *field != FIELD_NONE; field++)
        count++;
    return count;
}

/* ---- the message --------------------------------------------------------- */

struct _assay_msg_t {
    assay_msg_id_t id;
    zframe_t *routing_id;
    uint64_t request_id;
    uint64_t job_id;
    uint32_t attempt;
    uint32_t credit;
    uint32_t code;
    uint32_t deadline_ms;
    bool existing;
    /* Strings are NULL until set; getters turn that into "". */
    char *batch;
    char *key;
    char *standards;
    char *text;
    char *target;
    char *worker;
    /* The body keeps one NUL past its end so that callers may hand it to
       string APIs (the broker stores bundles as text); body_size does not
       count it. */
    char *body;
    size_t body_size;
    assay_held_t *held;
    size_t held_count;
};

/* Out of memory is not something a codec can recover from sensibly, and
   returning NULL from a setter would silently lose a field; czmq aborts
   in the same situation. */
static void *s_alloc(size_t size)
{
    void *memory = malloc(size ? size : 1);
    if (!memory) {
        fprintf(stderr, "assay_msg: out of memory (%zu bytes)\n", size);
        abort();
    }
    return memory;
}

/* Copy `size` bytes and add a NUL, so string fields decoded from frames
   (which have none) become C strings. */
static char *s_dup_bytes(const void *data, size_t size)
{
    char *copy = s_alloc(size + 1);
    if (size)
        memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
}

/* Replace a string field. The copy is made before the old value is freed
   so that setting a field from its own getter works. */
static void s_set_string(char **field_p, const char *value)
{
    char *copy = value && *value ? s_dup_bytes(value, strlen(value)) : NULL;
    free(*field_p);
    *field_p = copy;
}

static char **s_string_field(assay_msg_t *self, field_t field)
{
    switch (field) {
        case FIELD_BATCH: return &self->batch;
        case FIELD_KEY: return &self->key;
        case FIELD_STANDARDS: return &self->standards;
        case FIELD_TEXT: return &self->text;
        case FIELD_TARGET: return &self->target;
        case FIELD_WORKER: return &self->worker;
        default: return NULL;
    }
}

static const char *s_string_value(const assay_msg_t *self, field_t field)
{
    /* The cast only lets one lookup function serve both directions; the
       field is read, not written. */
    char **field_p = s_string_field((assay_msg_t *) self, field);
    return field_p && *field_p ? *field_p : "";
}

assay_msg_t *assay_msg_new(assay_msg_id_t id)
{
    assay_msg_t *self = s_alloc(sizeof *self);
    memset(self, 0, sizeof *self);
    self->id = id;
    return self;
}

void assay_msg_destroy(assay_msg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    assay_msg_t *self = *self_p;
    zframe_destroy(&self->routing_id);
    free(self->batch);
    free(self->key);
    free(self->standards);
    free(self->text);
    free(self->target);
    free(self->worker);
    free(self->body);
    free(self->held);
    free(self);
    *self_p = NULL;
}

/* ---- reasons --------------------------------------------------------------- */

/* One buffer per thread: the broker decodes on its main thread and in its
   query actor at the same time, and each must keep its own reason. */
static _Thread_local char s_reason[256];

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void s_say(char *buffer, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(buffer, size, format, args);
    va_end(args);
}

/* ---- validation shared by decode and check ---------------------------------- */

/* Validates one string field's bytes: limit, NUL, UTF-8 (RFC 3629).
   Returns 0, or -1 with the reason in `buffer`. */
static int s_check_string(const unsigned char *data, size_t size, size_t limit,
                          size_t frame, const char *name, char *buffer, size_t buffer_size)
{
    if (size > limit) {
        s_say(buffer, buffer_size, "frame %zu (%s): %zu bytes, over the limit of %zu", frame,
              name, size, limit);
        return -1;
    }
    size_t at = 0;
    while (at < size) {
        unsigned char lead = data[at];
        if (lead == 0x00) {
            s_say(buffer, buffer_size, "frame %zu (%s): NUL byte at byte %zu", frame, name, at);
            return -1;
        }
        if (lead < 0x80) {
            at++;
            continue;
        }
        /* Work out the sequence length and the range its second byte may
           take: the narrowed ranges exclude overlong forms (E0, F0),
           surrogates (ED) and code points above U+10FFFF (F4). */
        size_t length;
        unsigned char low = 0x80, high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF)
            length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0)
                low = 0xA0;
            else if (lead == 0xED)
                high = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0)
                low = 0x90;
            else if (lead == 0xF4)
                high = 0x8F;
        } else
            goto invalid;
        if (size - at < length)
            goto invalid;
        if (data[at + 1] < low || data[at + 1] > high)
            goto invalid;
        for (size_t i = 2; i < length; i++)
            if (data[at + i] < 0x80 || data[at + i] > 0xBF)
                goto invalid;
        at += length;
        continue;
    invalid:
        s_say(buffer, buffer_size, "frame %zu (%s): invalid UTF-8 at byte %zu", frame, name, at);
        return -1;
    }
    return 0;
}

/* DONE's code is the only integer whose values the protocol restricts. */
static int s_check_done_code(const command_info_t *command, field_t field, uint32_t code,
                             size_t frame, char *buffer, size_t buffer_size)
{
    if (command == &s_commands[ASSAY_MSG_DONE] && field == FIELD_CODE
        && code != ASSAY_DONE_COMMITTED && code != ASSAY_DONE_STALE) {
        s_say(buffer, buffer_size, "frame %zu (code): DONE code must be 0 or 1, got %" PRIu32,
              frame, code);
        return -1;
    }
    return 0;
}

static int s_check_message_size(size_t total, char *buffer, size_t buffer_size)
{
    if (total > ASSAY_MSG_MAX_BYTES) {
        s_say(buffer, buffer_size, "message: %zu bytes, over the limit of %zu bytes", total,
              (size_t) ASSAY_MSG_MAX_BYTES);
        return -1;
    }
    return 0;
}

/* Everything assay_msg_check promises, with the reason written to a
   caller's buffer so that encode can validate without disturbing the
   thread's last decode reason. The routing id counts towards the size
   only when it will be sent. */
static int s_validate(const assay_msg_t *self, bool with_routing_id, char *buffer,
                      size_t buffer_size)
{
    const command_info_t *command = s_command_info((unsigned) self->id);
    if (!command) {
        s_say(buffer, buffer_size, "frame 1 (command): unknown command %u", (unsigned) self->id);
        return -1;
    }
    /* Each term is bounded before it is added (strings by their limit,
       held by its entry limit, the body by the message limit), so the sum
       cannot wrap. */
    size_t total = SIGNATURE_SIZE + 1;
    if (with_routing_id && self->routing_id) {
        if (s_check_message_size(zframe_size(self->routing_id), buffer, buffer_size))
            return -1;
        total += zframe_size(self->routing_id);
    }
    size_t frame = 2;
    for (const field_t *field = command->fields; *field != FIELD_NONE; field++, frame++) {
        const field_info_t *info = &s_fields[*field];
        switch (info->type) {
            case TYPE_U64: total += 8; break;
            case TYPE_U32:
                if (s_check_done_code(command, *field, self->code, frame, buffer, buffer_size))
                    return -1;
                total += 4;
                break;
            case TYPE_FLAG: total += 1; break;
            case TYPE_STRING: {
                const char *value = s_string_value(self, *field);
                size_t size = strlen(value);
                if (s_check_string((const unsigned char *) value, size, info->limit, frame,
                                   info->name, buffer, buffer_size))
                    return -1;
                total += size;
                break;
            }
            case TYPE_BODY:
                if (s_check_message_size(self->body_size, buffer, buffer_size))
                    return -1;
                total += self->body_size;
                break;
            case TYPE_HELD:
                if (self->held_count > info->limit) {
                    s_say(buffer, buffer_size, "frame %zu (held): %zu entries, over the limit of %zu",
                          frame, self->held_count, info->limit);
                    return -1;
                }
                total += self->held_count * HELD_ENTRY_SIZE;
                break;
        }
    }
    return s_check_message_size(total, buffer, buffer_size);
}

int assay_msg_check(const assay_msg_t *self, const char **reason)
{
    int rc = s_validate(self, true, s_reason, sizeof s_reason);
    if (reason)
        *reason = rc == 0 ? NULL : s_reason;
    return rc;
}

/* ---- integers in network order ------------------------------------------------ */

static void s_put_u64(unsigned char *out, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char) (value & 0xFF);
        value >>= 8;
    }
}

static void s_put_u32(unsigned char *out, uint32_t value)
{
    for (int i = 3; i >= 0; i--) {
        out[i] = (unsigned char) (value & 0xFF);
        value >>= 8;
    }
}

static uint64_t s_get_u64(const unsigned char *in)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = (value << 8) | in[i];
    return value;
}

static uint32_t s_get_u32(const unsigned char *in)
{
    uint32_t value = 0;
    for (int i = 0; i < 4; i++)
        value = (value << 8) | in[i];
    return value;
}

static uint64_t *s_u64_field(assay_msg_t *self, field_t field)
{
    return field == FIELD_REQUEST_ID ? &self->request_id : &self->job_id;
}

static uint32_t *s_u32_field(assay_msg_t *self, field_t field)
{
    switch (field) {
        case FIELD_ATTEMPT: return &self->attempt;
        case FIELD_CREDIT: return &self->credit;
        case FIELD_DEADLINE_MS: return &self->deadline_ms;
        default: return &self->code;
    }
}

/* ---- encode ----------------------------------------------------------------------- */

static zmsg_t *s_encode(const assay_msg_t *self, bool with_routing_id)
{
    char unused[sizeof s_reason];
    if (s_validate(self, with_routing_id, unused, sizeof unused) != 0)
        return NULL;
    const command_info_t *command = s_command_info((unsigned) self->id);
    assay_msg_t *fields = (assay_msg_t *) self;   /* read only: see s_string_value */

    zmsg_t *msg = zmsg_new();
    if (with_routing_id && self->routing_id) {
        zframe_t *routing_id = zframe_dup(self->routing_id);
        zmsg_append(msg, &routing_id);
    }
    zmsg_addmem(msg, ASSAY_PROTO_SIGNATURE, SIGNATURE_SIZE);
    unsigned char command_byte = (unsigned char) self->id;
    zmsg_addmem(msg, &command_byte, 1);

    for (const field_t *field = command->fields; *field != FIELD_NONE; field++) {
        unsigned char buffer[8];
        switch (s_fields[*field].type) {
            case TYPE_U64:
                s_put_u64(buffer, *s_u64_field(fields, *field));
                zmsg_addmem(msg, buffer, 8);
                break;
            case TYPE_U32:
                s_put_u32(buffer, *s_u32_field(fields, *field));
                zmsg_addmem(msg, buffer, 4);
                break;
            case TYPE_FLAG:
                buffer[0] = self->existing ? 1 : 0;
                zmsg_addmem(msg, buffer, 1);
                break;
            case TYPE_STRING: {
                const char *value = s_string_value(self, *field);
                zmsg_addmem(msg, value, strlen(value));
                break;
            }
            case TYPE_BODY: zmsg_addmem(msg, self->body, self->body_size); break;
            case TYPE_HELD: {
                zframe_t *frame = zframe_new(NULL, self->held_count * HELD_ENTRY_SIZE);
                unsigned char *out = zframe_data(frame);
                for (size_t i = 0; i < self->held_count; i++) {
                    s_put_u64(out + i * HELD_ENTRY_SIZE, self->held[i].job_id);
                    s_put_u32(out + i * HELD_ENTRY_SIZE + 8, self->held[i].attempt);
                }
                zmsg_append(msg, &frame);
                break;
            }
        }
    }
    return msg;
}

zmsg_t *assay_msg_encode(const assay_msg_t *self)
{
    if (!self)
        return NULL;
    return s_encode(self, true);
}

/* ---- decode ----------------------------------------------------------------------- */

/* Reads one field frame into the message; -1 with s_reason on a bad one. */
static int s_decode_field(assay_msg_t *self, const command_info_t *command, field_t field,
                          size_t frame_number, zframe_t *frame)
{
    const field_info_t *info = &s_fields[field];
    const unsigned char *data = zframe_data(frame);
    size_t size = zframe_size(frame);
    size_t expected = 0;

    switch (info->type) {
        case TYPE_U64: expected = 8; break;
        case TYPE_U32: expected = 4; break;
        case TYPE_FLAG: expected = 1; break;
        default: break;
    }
    if (expected && size != expected) {
        s_say(s_reason, sizeof s_reason, "frame %zu (%s): expected %zu byte%s, got %zu",
              frame_number, info->name, expected, expected == 1 ? "" : "s", size);
        return -1;
    }

    switch (info->type) {
        case TYPE_U64: *s_u64_field(self, field) = s_get_u64(data); break;
        case TYPE_U32:
            *s_u32_field(self, field) = s_get_u32(data);
            if (s_check_done_code(command, field, *s_u32_field(self, field), frame_number,
                                  s_reason, sizeof s_reason))
                return -1;
            break;
        case TYPE_FLAG:
            if (data[0] > 1) {
                s_say(s_reason, sizeof s_reason, "frame %zu (%s): expected 00 or 01, got %02x",
                      frame_number, info->name, data[0]);
                return -1;
            }
            self->existing = data[0] == 1;
            break;
        case TYPE_STRING:
            if (s_check_string(data, size, info->limit, frame_number, info->name, s_reason,
                               sizeof s_reason))
                return -1;
            free(*s_string_field(self, field));
            *s_string_field(self, field) = size ? s_dup_bytes(data, size) : NULL;
            break;
        case TYPE_BODY:
            free(self->body);
            self->body = size ? s_dup_bytes(data, size) : NULL;
            self->body_size = size;
            break;
        case TYPE_HELD: {
            if (size % HELD_ENTRY_SIZE != 0) {
                s_say(s_reason, sizeof s_reason,
                      "frame %zu (held): %zu bytes is not a multiple of %d", frame_number, size,
                      HELD_ENTRY_SIZE);
                return -1;
            }
            size_t count = size / HELD_ENTRY_SIZE;
            if (count > info->limit) {
                s_say(s_reason, sizeof s_reason,
                      "frame %zu (held): %zu entries, over the limit of %zu", frame_number, count,
                      info->limit);
                return -1;
            }
            free(self->held);
            self->held = count ? s_alloc(count * sizeof *self->held) : NULL;
            self->held_count = count;
            for (size_t i = 0; i < count; i++) {
                self->held[i].job_id = s_get_u64(data + i * HELD_ENTRY_SIZE);
                self->held[i].attempt = s_get_u32(data + i * HELD_ENTRY_SIZE + 8);
            }
            break;
        }
    }
    return 0;
}

/* Decodes into a new message or returns NULL with s_reason set. Follows
   PROTOCOL.md section 9 step by step. */
static assay_msg_t *s_decode(zmsg_t *msg, bool with_routing_id)
{
    if (!msg) {
        s_say(s_reason, sizeof s_reason, "message: none");
        return NULL;
    }
    /* 1: the whole message, before looking at any frame. */
    if (s_check_message_size(zmsg_content_size(msg), s_reason, sizeof s_reason))
        return NULL;

    zframe_t *frame = zmsg_first(msg);
    /* 2: the routing id, which ZeroMQ adds on a ROUTER socket. */
    zframe_t *routing_id = NULL;
    if (with_routing_id) {
        if (!frame) {
            s_say(s_reason, sizeof s_reason, "routing id: missing");
            return NULL;
        }
        routing_id = frame;
        frame = zmsg_next(msg);
    }

    /* 3: the signature. */
    if (!frame) {
        s_say(s_reason, sizeof s_reason, "frame 0 (signature): missing");
        return NULL;
    }
    const unsigned char *data = zframe_data(frame);
    size_t size = zframe_size(frame);
    if (size != SIGNATURE_SIZE || memcmp(data, ASSAY_PROTO_SIGNATURE, SIGNATURE_SIZE) != 0) {
        /* Name the version only when the frame really is another version
           of ASSAY; anything else is just not our protocol. */
        if (size == SIGNATURE_SIZE && memcmp(data, "ASSAY", 5) == 0 && data[5] >= '0'
            && data[5] <= '9' && data[6] >= '0' && data[6] <= '9')
            s_say(s_reason, sizeof s_reason,
                  "frame 0 (signature): protocol version %c%c not supported, expected %s",
                  data[5], data[6], &ASSAY_PROTO_SIGNATURE[5]);
        else if (size != SIGNATURE_SIZE)
            s_say(s_reason, sizeof s_reason, "frame 0 (signature): expected %d bytes, got %zu",
                  SIGNATURE_SIZE, size);
        else
            s_say(s_reason, sizeof s_reason, "frame 0 (signature): not %s", ASSAY_PROTO_SIGNATURE);
        return NULL;
    }

    /* 4: the command. */
    frame = zmsg_next(msg);
    if (!frame) {
        s_say(s_reason, sizeof s_reason, "frame 1 (command): missing");
        return NULL;
    }
    if (zframe_size(frame) != 1) {
        s_say(s_reason, sizeof s_reason, "frame 1 (command): expected 1 byte, got %zu",
              zframe_size(frame));
        return NULL;
    }
    unsigned id = zframe_data(frame)[0];
    const command_info_t *command = s_command_info(id);
    if (!command) {
        s_say(s_reason, sizeof s_reason, "frame 1 (command): unknown command %u", id);
        return NULL;
    }

    /* 5: the fields, in order. */
    assay_msg_t *self = assay_msg_new((assay_msg_id_t) id);
    size_t frame_number = 2;
    for (const field_t *field = command->fields; *field != FIELD_NONE; field++, frame_number++) {
        frame = zmsg_next(msg);
        if (!frame) {
            s_say(s_reason, sizeof s_reason, "frame %zu (%s): missing (%s has %zu frames)",
                  frame_number, s_fields[*field].name, command->name, s_frame_count(command));
            assay_msg_destroy(&self);
            return NULL;
        }
        if (s_decode_field(self, command, *field, frame_number, frame) != 0) {
            assay_msg_destroy(&self);
            return NULL;
        }
    }

    /* 6: nothing after the last field. */
    if (zmsg_next(msg)) {
        s_say(s_reason, sizeof s_reason, "frame %zu: extra frame (%s has %zu frames)",
              frame_number, command->name, s_frame_count(command));
        assay_msg_destroy(&self);
        return NULL;
    }
    if (routing_id)
        self->routing_id = zframe_dup(routing_id);
    return self;
}

assay_msg_t *assay_msg_decode(zmsg_t *msg, bool with_routing_id, const char **reason)
{
    assay_msg_t *self = s_decode(msg, with_routing_id);
    if (reason)
        *reason = self ? NULL : s_reason;
    return self;
}

assay_msg_id_t assay_msg_peek_id(zmsg_t *msg, bool with_routing_id)
{
    zframe_t *frame = msg ? zmsg_first(msg) : NULL;
    if (with_routing_id && frame)
        frame = zmsg_next(msg);
    if (!frame || zframe_size(frame) != SIGNATURE_SIZE
        || memcmp(zframe_data(frame), ASSAY_PROTO_SIGNATURE, SIGNATURE_SIZE) != 0)
        return 0;
    frame = zmsg_next(msg);
    if (!frame || zframe_size(frame) != 1 || !s_command_info(zframe_data(frame)[0]))
        return 0;
    return (assay_msg_id_t) zframe_data(frame)[0];
}

/* ---- sockets ---------------------------------------------------------------------- */

assay_msg_t *assay_msg_recv(zsock_t *sock, const char **reason)
{
    if (reason)
        *reason = NULL;
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return NULL;   /* interrupted: no reason, nothing was dropped */
    assay_msg_t *self = assay_msg_decode(msg, zsock_type(sock) == ZMQ_ROUTER, reason);
    zmsg_destroy(&msg);
    return self;
}

int assay_msg_send(assay_msg_t **self_p, zsock_t *sock)
{
    if (!self_p || !*self_p)
        return -1;
    assay_msg_t *self = *self_p;
    /* A ROUTER routes by the first frame: without a routing id the
       signature would be taken for one and the message silently lost. */
    bool router = zsock_type(sock) == ZMQ_ROUTER;
    zmsg_t *msg = NULL;
    if (!router || self->routing_id)
        msg = s_encode(self, router);
    assay_msg_destroy(self_p);
    if (!msg)
        return -1;
    if (zmsg_send(&msg, sock) != 0) {
        /* zmsg_send keeps the message when it fails. */
        zmsg_destroy(&msg);
        return -1;
    }
    return 0;
}

/* ---- accessors -------------------------------------------------------------------- */

const char *assay_msg_command(const assay_msg_t *self)
{
    const command_info_t *command = self ? s_command_info((unsigned) self->id) : NULL;
    return command ? command->name : "UNKNOWN";
}

assay_msg_id_t assay_msg_id(const assay_msg_t *self)
{
    return self->id;
}

void assay_msg_set_id(assay_msg_t *self, assay_msg_id_t id)
{
    self->id = id;
}

zframe_t *assay_msg_routing_id(const assay_msg_t *self)
{
    return self->routing_id;
}

void assay_msg_set_routing_id(assay_msg_t *self, zframe_t *routing_id)
{
    /* Duplicate first: the caller may pass the message's own frame. */
    zframe_t *copy = routing_id ? zframe_dup(routing_id) : NULL;
    zframe_destroy(&self->routing_id);
    self->routing_id = copy;
}

uint64_t assay_msg_request_id(const assay_msg_t *self) { return self->request_id; }
void assay_msg_set_request_id(assay_msg_t *self, uint64_t request_id) { self->request_id = request_id; }
uint64_t assay_msg_job_id(const assay_msg_t *self) { return self->job_id; }
void assay_msg_set_job_id(assay_msg_t *self, uint64_t job_id) { self->job_id = job_id; }
uint32_t assay_msg_attempt(const assay_msg_t *self) { return self->attempt; }
void assay_msg_set_attempt(assay_msg_t *self, uint32_t attempt) { self->attempt = attempt; }
uint32_t assay_msg_credit(const assay_msg_t *self) { return self->credit; }
void assay_msg_set_credit(assay_msg_t *self, uint32_t credit) { self->credit = credit; }
uint32_t assay_msg_code(const assay_msg_t *self) { return self->code; }
void assay_msg_set_code(assay_msg_t *self, uint32_t code) { self->code = code; }
uint32_t assay_msg_deadline_ms(const assay_msg_t *self) { return self->deadline_ms; }
void assay_msg_set_deadline_ms(assay_msg_t *self, uint32_t deadline_ms) { self->deadline_ms = deadline_ms; }
bool assay_msg_existing(const assay_msg_t *self) { return self->existing; }
void assay_msg_set_existing(assay_msg_t *self, bool existing) { self->existing = existing; }

const char *assay_msg_batch(const assay_msg_t *self) { return s_string_value(self, FIELD_BATCH); }
void assay_msg_set_batch(assay_msg_t *self, const char *batch) { s_set_string(&self->batch, batch); }
const char *assay_msg_key(const assay_msg_t *self) { return s_string_value(self, FIELD_KEY); }
void assay_msg_set_key(assay_msg_t *self, const char *key) { s_set_string(&self->key, key); }
const char *assay_msg_standards(const assay_msg_t *self) { return s_string_value(self, FIELD_STANDARDS); }
void assay_msg_set_standards(assay_msg_t *self, const char *standards) { s_set_string(&self->standards, standards); }
const char *assay_msg_text(const assay_msg_t *self) { return s_string_value(self, FIELD_TEXT); }
void assay_msg_set_text(assay_msg_t *self, const char *text) { s_set_string(&self->text, text); }
const char *assay_msg_target(const assay_msg_t *self) { return s_string_value(self, FIELD_TARGET); }
void assay_msg_set_target(assay_msg_t *self, const char *target) { s_set_string(&self->target, target); }
const char *assay_msg_worker(const assay_msg_t *self) { return s_string_value(self, FIELD_WORKER); }
void assay_msg_set_worker(assay_msg_t *self, const char *worker) { s_set_string(&self->worker, worker); }

const char *assay_msg_body(const assay_msg_t *self)
{
    /* Never NULL, so callers can pass it straight to parsers. */
    return self->body ? self->body : "";
}

size_t assay_msg_body_size(const assay_msg_t *self)
{
    return self->body_size;
}

void assay_msg_set_body(assay_msg_t *self, const void *data, size_t size)
{
    if (!data)
        size = 0;
    char *copy = size ? s_dup_bytes(data, size) : NULL;
    free(self->body);
    self->body = copy;
    self->body_size = size;
}

size_t assay_msg_held_count(const assay_msg_t *self)
{
    return self->held_count;
}

const assay_held_t *assay_msg_held(const assay_msg_t *self)
{
    return self->held;
}

void assay_msg_set_held(assay_msg_t *self, const assay_held_t *held, size_t count)
{
    if (!held)
        count = 0;
    assay_held_t *copy = NULL;
    if (count) {
        if (count > SIZE_MAX / sizeof *copy) {
            fprintf(stderr, "assay_msg: %zu held entries cannot be stored\n", count);
            abort();
        }
        copy = s_alloc(count * sizeof *copy);
        memcpy(copy, held, count * sizeof *copy);
    }
    free(self->held);
    self->held = copy;
    self->held_count = count;
}
