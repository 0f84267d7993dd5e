/*  fuzz_common.h - what the engine's fuzz targets share.

    Each target defines LLVMFuzzerTestOneInput. The same source is built
    twice: with clang and libFuzzer (-DASSAY_FUZZ=ON, `make fuzz`) to
    search, and with the normal compiler and replay_main.c to replay
    tests/fuzz-regressions/ in every ctest run. Nothing here may depend on
    libFuzzer.

    The fixtures are built on first use and kept for the process: they are
    read-only afterwards, so one input cannot change how the next is
    treated (a crash must reproduce from its input alone).
*/
#ifndef ASSAY_FUZZ_COMMON_H_INCLUDED
#define ASSAY_FUZZ_COMMON_H_INCLUDED

#include "engine.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bundled catalogs (every .json file in catalogs/), compiled and linked; the kind
   vocabulary for bundles, and what fuzzed bundles are assessed against. */
const catalog_set_t *fuzz_bundled_catalogs(void);

/* A small bundle with every kind of value a rule reads (dates with and
   without time, expired items, arrays, nested `fields`, numbers, strings,
   booleans), parsed without a kind vocabulary so any catalog's rules may
   read it. */
const bundle_t *fuzz_fixed_bundle(void);

/* Abort with a message: a broken contract found by the fuzzer. */
void fuzz_fail(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
