/*  expr_internal.h - the compiled form of a rule, shared by the compiler
    (expr_compile.c) and the evaluator (expr_eval.c, expr_ops.c); not
    seen outside them.

    Everything a rule names is resolved when it is compiled: operators to
    op_t, var paths to segments with their member keys and array indices,
    evidence kinds to keys of the bundle's kind index. Evaluation then
    compares integers where it used to compare strings.
*/
#ifndef ASSAY_EXPR_INTERNAL_H_INCLUDED
#define ASSAY_EXPR_INTERNAL_H_INCLUDED

#include "expr.h"
#include "value.h"

typedef enum {
    OP_CONST, OP_ARRAY, OP_VAR, OP_EQ, OP_NE, OP_SEQ, OP_SNE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_NOT, OP_NOTNOT, OP_AND, OP_OR, OP_IF, OP_IN, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MIN,
    OP_MAX, OP_SOME, OP_ALL, OP_NONE, OP_FILTER, OP_MAP, OP_REDUCE, OP_MERGE, OP_EVIDENCE,
    OP_AGE_DAYS, OP_COUNT, OP_LATEST, OP_COVERAGE
} op_t;

/* ROOT_NONE: a '$' path that is neither $unit... nor $as_of, which only a
   latest or coverage FIELD can be (var's are checked at compile time); it
   reads null. */
typedef enum { ROOT_DATA, ROOT_UNIT, ROOT_AS_OF, ROOT_NONE } path_root_t;

/* One segment of a dot path, resolved for both kinds of step: a member
   name (key) and, when it is all digits, an array index. */
typedef struct {
    const char *text;       /* into the owning node's string, not terminated */
    size_t length;
    name_key_t key;
    bool is_index;
    size_t index;
} segment_t;

typedef struct {
    path_root_t root;
    segment_t *segments;
    size_t count;
} path_t;

struct expr_s {
    op_t op;
    const char *name;       /* operator name, for messages */
    size_t argc;
    expr_t **args;
    value_t constant;       /* OP_CONST */
    char *text;             /* constant string; var path; evidence/coverage kind; latest field */
    size_t text_length;
    name_key_t kind_key;    /* evidence, coverage: value_name_key(text) */
    char *field;            /* coverage field */
    bool dynamic;           /* var: path computed at run time from args[0] */
    path_t path;            /* var: compiled text; latest: field; coverage: field */
    const expr_t *prefilter; /* evidence: see expr_prefilter; points into args[1] */
};

/* For {"evidence": [KIND, {"and": [C..., {"in": [STRING, {"var": PATH}]}, ...]}]}
   where every C is an equality of literals and var reads: the "in"; else
   for {"and": [{"==": [{"var": PATH}, STRING]}, ...]}: that equality (the
   predicate may also be the "in" or the equality alone). Wherever it is
   false the predicate is false, and nothing evaluated before it marks an
   item or can fail (with nesting bounded, see eval_evidence), so the
   evaluator rejects such items without evaluating the predicate. This is
   the shape of most checks over big kinds (procedures by topic, KPI
   reports by metric). NULL otherwise. */
const expr_t *expr_prefilter(const expr_t *predicate);

/* Splits `text` into `segment` of length `length` from `path` (a dot
   path without its root): fills key and index. */
void path_segment(const char *text, size_t length, segment_t *segment);

#endif
