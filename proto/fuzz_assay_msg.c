/*  fuzz_assay_msg.c - libFuzzer target for the ASSAY01 decoder.

    Built only with -DASSAY_FUZZ=ON and clang (see CMakeLists.txt). Run:
        build/proto/fuzz_assay_msg -dict=proto/fuzz_assay_msg.dict fuzz-out/

    Input layout, chosen so that the fuzzer can reach every frame count
    and size cheaply: byte 0 bit 0 says whether the first frame is a
    routing id; then frames, each a 2-byte big-endian length and that many
    bytes (a length running past the end takes what is left).

    Besides not crashing, the decoder must be exact: whatever it accepts,
    the encoder reproduces byte for byte, and whatever it rejects comes
    with a reason.
*/
#include "assay_msg.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool s_equal(zmsg_t *a, zmsg_t *b)
{
    if (zmsg_size(a) != zmsg_size(b))
        return false;
    zframe_t *x = zmsg_first(a);
    zframe_t *y = zmsg_first(b);
    while (x && y) {
        if (!zframe_eq(x, y))
            return false;
        x = zmsg_next(a);
        y = zmsg_next(b);
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool with_routing_id = data[0] & 1;
    size_t at = 1;
    zmsg_t *msg = zmsg_new();
    while (at < size) {
        size_t length = size - at >= 2 ? (size_t) data[at] << 8 | data[at + 1] : 0;
        at += size - at >= 2 ? 2 : 1;
        if (length > size - at)
            length = size - at;
        zmsg_addmem(msg, data + at, length);
        at += length;
    }

    const char *reason = NULL;
    assay_msg_t *decoded = assay_msg_decode(msg, with_routing_id, &reason);
    if (decoded) {
        zmsg_t *again = assay_msg_encode(decoded);
        if (!again || !s_equal(msg, again)) {
            fprintf(stderr, "decoded %s does not encode back to its input\n",
                    assay_msg_command(decoded));
            abort();
        }
        zmsg_destroy(&again);
        assay_msg_destroy(&decoded);
    } else if (!reason || !*reason) {
        fprintf(stderr, "rejected without a reason\n");
        abort();
    }
    zmsg_destroy(&msg);
    return 0;
}
