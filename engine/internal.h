/*  internal.h - the compiled catalog and parsed bundle structures that the
    engine's modules share (not part of the public API).

    A catalog_t owns what its own file declares (clause_t, check_t and their
    compiled expressions). Its effective clause list (eclause_t) is what an
    assessment walks: for a catalog that extends another it interleaves the
    base's clauses with its own, pointing at clause_t/check_t owned by
    either catalog. catalog_set_link builds it; until then it holds the
    catalog's own clauses only.
*/
#ifndef ASSAY_INTERNAL_H_INCLUDED
#define ASSAY_INTERNAL_H_INCLUDED

#include "engine.h"
#include "expr.h"
#include "value.h"

#include <stdint.h>

/* The types an evidence kind and an evidence item may have (NULL-ended):
   catalogs declare each kind with one, bundles give it per item. */
extern const char *const evidence_types[];

typedef enum { SEVERITY_MAJOR, SEVERITY_MINOR, SEVERITY_OBSERVATION } severity_t;
typedef enum { CLAUSE_REQUIREMENT, CLAUSE_GUIDANCE, CLAUSE_CONTROL } clause_kind_t;

typedef struct check_s check_t;

struct check_s {
    char *id;
    char *text;
    int level;                  /* 1..5 */
    severity_t severity;
    expr_t *applies_if;         /* NULL: always applies */
    expr_t *expr;
    const cJSON *json;          /* its source, kept by the catalog for display */
    /* The first check of the set with the same applies_if and expr JSON
       (itself if none), which evaluates the same on any bundle: sessions
       key outcomes by it. Set by catalog_set_link, NULL until then. */
    const check_t *shared;
};

typedef struct {
    char *id;
    char *title;
    char *parent;               /* NULL for a top-level clause */
    clause_kind_t kind;
    double weight;
    expr_t *applies_if;
    char **maps_to;             /* "CATALOG:CLAUSE" */
    size_t map_count;
    check_t *checks;
    size_t check_count;
    bool inherit_checks;
    size_t source_index;        /* index in the file's "clauses", for pointers */
    const cJSON *json;          /* its source, kept by the catalog for display */
} clause_t;

typedef struct {
    const catalog_t *catalog;   /* NULL until linked */
    size_t index;               /* into catalog->eff */
} map_target_t;

typedef struct {
    const clause_t *clause;
    const catalog_t *owner;     /* the catalog whose file defines the clause */
    const check_t **checks;
    size_t check_count;
    long parent;                /* index into eff, -1 for top level */
    size_t *subtree;            /* itself then its descendants, in eff order */
    size_t subtree_count;
    map_target_t *maps;         /* clause->map_count entries */
} eclause_t;

typedef struct {
    char *name;
    char *type;
    char *description;
} kind_decl_t;

typedef struct {
    char *name;
    char *type;
} attr_decl_t;

struct _catalog_t {
    char *id;
    char *standard;
    char *edition;
    char *title;
    char *extends;              /* NULL when it extends nothing */
    bool certifiable;
    char *levels[6];
    char *origin;
    char *source;
    size_t source_length;
    char sha256[65];
    kind_decl_t *kinds;         /* sorted by name */
    size_t kind_count;
    attr_decl_t *attributes;
    size_t attribute_count;
    clause_t *clauses;          /* own, document order */
    size_t clause_count;
    expr_ref_t *refs;           /* kinds and attributes the expressions name */
    size_t ref_count;
    eclause_t *eff;             /* effective clauses, see above */
    size_t eff_count;
    const catalog_t *base;      /* resolved extends */
};

/* Point every check of `catalogs` at the first check among them with
   the same rule (check_t.shared; catalog_share.c). Without memory, none
   is shared. */
void catalog_share_checks(catalog_t *const *catalogs, size_t count);
/* Forget the catalog's sharing (before a catalog of its set is replaced). */
void catalog_unshare_checks(catalog_t *catalog);

/* Declared type of KIND in any catalog of the set, or NULL. */
const char *catalog_set_kind_type(const catalog_set_t *self, const char *kind);
/* Index of clause `id` in the effective list, or -1. */
long catalog_find_clause(const catalog_t *self, const char *id);

/* FNV-1a: field names are short, this is cheap and well spread. */
static inline uint32_t engine_hash(const char *text, size_t length)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ (unsigned char) text[i]) * 16777619u;
    return hash;
}

/* An evidence item: its fields converted once at parse (value.h), so rules
   read them without cJSON. */
typedef struct item_s {
    const cJSON *json;
    const object_t *object;     /* its fields */
    const object_t *nested;     /* its "fields" object, if any */
    const char *id;
    const char *kind;
    const char *type;
    int32_t date;               /* DATE_NONE when absent */
    int32_t expires;            /* DATE_NONE when absent */
    bool expired;               /* expires < as_of */
    size_t index;               /* position in the bundle's evidence array */
} item_t;

/* One kind's items in the bundle's kind index: an open-addressing table
   keyed like member names (value_name_key), so that the evidence and
   coverage operators find their kind with integer compares. */
typedef struct {
    const char *kind;           /* NULL: empty slot */
    name_key_t key;
    size_t first;               /* into bundle->by_kind */
    size_t count;
} kind_slot_t;

struct _bundle_t {
    cJSON *root;
    value_pool_t *pool;         /* the converted unit and items */
    value_t unit;               /* V_OBJECT */
    const cJSON *unit_json;
    const char *unit_id;
    const char *unit_name;
    const char *org;
    char as_of[11];
    int32_t as_of_day;
    item_t *items;
    size_t item_count;
    size_t *by_kind;            /* item indices grouped by kind, bundle order within */
    kind_slot_t *kinds;         /* kind_mask + 1 slots */
    size_t kind_mask;
    size_t kind_count;
    diag_list_t *warnings;
};

/* The items of one kind, in bundle order (expired ones included); `key`
   is value_name_key(kind). */
size_t bundle_kind_items(const bundle_t *self, name_key_t key, const char *kind, size_t length,
                         const size_t **indices);

#endif
