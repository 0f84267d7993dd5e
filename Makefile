# Assay: the two commands a new user runs are `make demo` and `make test`.
#
#   make build      install missing Debian packages, configure and build (build/)
#   make test       build, then run every test with ctest (integration tests
#                   start and stop their own private stacks)
#   make demo       build, start the local stack, assess the example units
#   make stop       stop the local stack (its data is kept)
#   make test-asan  build with ASan+UBSan into build-asan/ and run the tests there
#   make bench      build, then run the benchmarks (bench/run)
#   make fuzz       build the libFuzzer targets with clang (build-fuzz/) and run
#                   each for FUZZ_SECONDS (default 600; FUZZ_TARGETS to choose)
#   make clean      remove the build trees
#
# Variables: CMAKE_FLAGS (extra cmake -D...), CTEST_FLAGS (e.g. -L unit, -j2),
# BOOTSTRAP_FLAGS (e.g. --with fuzz), JOBS (parallel build jobs).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
BOOTSTRAP_FLAGS ?=
ASAN_DIR := build-asan

.PHONY: bootstrap build test demo stop clean test-asan bench fuzz

bootstrap:
	scripts/bootstrap $(BOOTSTRAP_FLAGS)

build: bootstrap
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASSAY_WERROR=OFF $(CMAKE_FLAGS)
	cmake --build build -j$(JOBS)

# The project's own builds treat warnings as errors (ASSAY_WERROR); users'
# builds (make build, make demo, a plain cmake Release) only warn.
# The tests also need the "report" group (chromium renders the HTML report).
test: bootstrap
	scripts/bootstrap --with report $(BOOTSTRAP_FLAGS)
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASSAY_WERROR=ON $(CMAKE_FLAGS)
	cmake --build build -j$(JOBS)
	ctest --test-dir build --output-on-failure $(CTEST_FLAGS)

demo: build
	scripts/stack start
	scripts/demo

stop:
	scripts/stack stop

# Sanitizer build: its own tree, and the integration tests' stacks run the
# sanitized broker and workers (ASSAY_BIN_DIR). The flood test keeps its
# shape with 20,000 jobs instead of 100,000: ASan makes each one ~3x dearer.
test-asan: bootstrap
	scripts/bootstrap --with report $(BOOTSTRAP_FLAGS)
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DASSAY_SANITIZE=ON -DASSAY_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j$(JOBS)
	ASSAY_BIN_DIR=$(CURDIR)/$(ASAN_DIR) ASSAY_TEST_FLOOD_UNITS=$${ASSAY_TEST_FLOOD_UNITS:-20000} \
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1} \
	UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure $(CTEST_FLAGS)

bench: build
	@test -x bench/run || { echo "make bench: bench/run does not exist yet" >&2; exit 1; }
	bench/run

# Fuzzing: clang with libFuzzer, ASan and UBSan, in its own tree; the frame
# decoder, bundle parser, catalog compiler and expression evaluator, one
# after the other (fuzz/run). Crashes land in build-fuzz/crashes/TARGET/.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= assay_msg bundle catalog expr
FUZZ_DIR := build-fuzz

fuzz:
	scripts/bootstrap --with fuzz $(BOOTSTRAP_FLAGS)
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DASSAY_FUZZ=ON -DASSAY_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(FUZZ_DIR) -j$(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run --build $(FUZZ_DIR) $(FUZZ_TARGETS)

clean:
	rm -rf build $(ASAN_DIR)
