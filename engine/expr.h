/*  expr.h - rule language v1: JSON Logic plus Assay's domain operators
    (internal).

    A catalog's expressions are compiled once, when the catalog is loaded,
    into trees of expr_t with operators resolved and arities checked, so an
    unknown operator is a lint error and evaluation never walks raw JSON
    rules. Evaluation (eval_t, one per assessment) is total: a type error
    yields an error status and a message, never a crash and never a pass.
    Values produced while evaluating one check live in an arena that is
    reset before the next, so evaluation does almost no malloc.

    expr_compile.c compiles, expr_eval.c holds the context and dispatch,
    expr_ops.c the operators; value.h is what they compute with.
*/
#ifndef ASSAY_EXPR_H_INCLUDED
#define ASSAY_EXPR_H_INCLUDED

#include "engine.h"

/* Deepest operator nesting a rule may have; bounds the recursion of both
   the compiler and the evaluator. */
#define EXPR_MAX_DEPTH 64

typedef struct expr_s expr_t;

/* Names the compiler saw, so the catalog can lint them once it knows the
   full vocabulary (which, for a catalog that extends another, is only
   after linking). */
typedef enum { EXPR_REF_KIND, EXPR_REF_ATTRIBUTE } expr_ref_type_t;

typedef struct {
    expr_ref_type_t type;
    char *name;
    char *pointer;      /* JSON Pointer of the use */
    bool applies_if;    /* used inside an applies_if */
} expr_ref_t;

typedef struct {
    const char *origin;
    diag_list_t *diags;
    expr_ref_t *refs;
    size_t ref_count;
    size_t ref_capacity;
    size_t errors;
    bool in_applies_if; /* set by the caller while compiling an applies_if */
} expr_compiler_t;

void expr_compiler_init(expr_compiler_t *self, const char *origin, diag_list_t *diags);
/* Frees the refs (unless the caller took them and zeroed the fields). */
void expr_compiler_clear(expr_compiler_t *self);
void expr_refs_free(expr_ref_t *refs, size_t count);

/* Compile one expression; `pointer` is where it sits in its document.
   Returns NULL after adding diagnostics on any error. */
expr_t *expr_compile(expr_compiler_t *self, const cJSON *json, const char *pointer);
void expr_destroy(expr_t **self_p);

/* ---- evaluation --------------------------------------------------------- */

typedef struct _eval_t eval_t;

/* One evaluation context per (bundle, assessment); not thread-safe, cheap. */
eval_t *eval_new(const bundle_t *bundle);
void eval_destroy(eval_t **self_p);
/* Start a new check: frees the previous check's values and explanation.
   With `record` false, evidence reads are not recorded (applies_if). */
void eval_begin(eval_t *self, bool record);
/* 1 truthy, 0 falsy, -1 error (see eval_error). Data is the bundle's unit. */
int eval_test(eval_t *self, const expr_t *expr);
const char *eval_error(const eval_t *self);
bool eval_out_of_memory(const eval_t *self);
/* Bundle item indices (ascending) that decided the outcome since the last
   eval_begin, and those skipped as expired. Arrays must hold
   bundle_item_count entries. */
void eval_explain(const eval_t *self, bool pass, size_t *evidence, size_t *evidence_count,
                  size_t *expired, size_t *expired_count);
/* Evaluate and return the value as JSON (for tests and tools); NULL on
   error. Caller owns the result. */
cJSON *eval_json(eval_t *self, const expr_t *expr);

#endif
