/*  format_junit.c - `--format junit`: JUnit XML, as CI dashboards read it
    (Jenkins, GitLab, Azure DevOps...: the junit-10 dialect with
    <skipped/>), for result documents (docs/catalog-format.md):

      <testsuites name="assay" tests= failures= errors="0" skipped= time="0">
        <testsuite name="UNIT: STANDARD" package="UNIT" id="N" tests=...
                   timestamp="AS_OFT00:00:00" time="0">
          <properties> unit, unit_name, org, standard, edition,
            catalog_sha256, as_of, maturity, readiness, major_nc,
            minor_nc, observations, maturity:CLAUSE per top-level clause
          <testcase classname="UNIT.STANDARD" name="CLAUSE TITLE" time="0">
            <failure type="major_nc|minor_nc" message="...">  per NC clause:
              [severity] CHECK (status): text; evidence: ids; expired: ids
            <skipped message="not applicable"/>  clause not applicable
            <system-out> observations (findings that never block)

    tests counts assessed clauses, failures nonconformities (major_nc +
    minor_nc: the document's counts), skipped the not applicable ones.

    Assessors' overrides (the "overrides" the broker adds to a result):
    a testcase's outcome is the verdict that applies, the override's,
    because that is what a dashboard gates on; the machine verdict is
    kept beside it, never dropped: "Assessor override: STATUS (machine
    verdict X) by NAME at TIME[, until DATE]: REASON" opens the failure
    or the <system-out>, followed by the machine's findings. The counts
    then follow the applied verdicts, and effective_readiness,
    effective_major_nc and effective_minor_nc join the properties.
    Times are 0 and timestamps the as_of date: an assessment takes no
    measurable time and is dated by its evidence, so the output is the
    same for the same assessments.

    No XML library: the document is written front to back in a fixed
    shape, so the only thing a library would add is escaping, which is
    format_xml_escape below (a few dozen lines); libxml2 would be a new
    dependency (DESIGN.md: none without a reason) for that alone.
*/
#include "format.h"
#include "format_export.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct _junit_t {
    FILE *spool;              /* the <testsuite> elements so far */
    bool failed;
    size_t suites, tests, failures, skipped;
};

/* ---- escaping -------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at `at` (1 to 4) and its code
   point, or 0 when the bytes there are not UTF-8 (RFC 3629: no overlong
   forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *at, uint32_t *code)
{
    unsigned char lead = at[0];
    size_t length;
    uint32_t value, minimum;
    if (lead < 0x80) {
        *code = lead;
        return 1;
    }
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2, value = lead & 0x1f, minimum = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3, value = lead & 0x0f, minimum = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4, value = lead & 0x07, minimum = 0x10000;
    } else
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((at[i] & 0xc0) != 0x80)        /* also stops at the NUL */
            return 0;
        value = value << 6 | (at[i] & 0x3f);
    }
    if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return 0;
    *code = value;
    return length;
}

char *format_xml_escape(const char *text, bool attribute)
{
    static const char replacement[] = "\xef\xbf\xbd";   /* U+FFFD */
    if (!text)
        text = "";
    /* At most 6 bytes out per byte in ("&quot;", "&#13;", U+FFFD for one
       bad byte is 3). */
    size_t length = strlen(text);
    char *out = malloc(length * 6 + 1), *cursor = out;
    if (!out)
        return NULL;
    const unsigned char *at = (const unsigned char *) text;
    while (*at) {
        const char *entity = NULL;
        switch (*at) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;       /* also keeps "]]>" out */
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&apos;"; break;
        case '\t': entity = attribute ? "&#9;" : "\t"; break;
        case '\n': entity = attribute ? "&#10;" : "\n"; break;
        case '\r': entity = "&#13;"; break;
        default: break;
        }
        if (entity) {
            size_t size = strlen(entity);
            memcpy(cursor, entity, size);
            cursor += size;
            at++;
            continue;
        }
        uint32_t code = 0;
        size_t size = utf8_sequence(at, &code);
        if (size == 0 || code < 0x20 || code == 0xfffe || code == 0xffff) {
            /* Not a character XML 1.0 allows, not even as &#N;. */
            memcpy(cursor, replacement, 3);
            cursor += 3;
            at += size ? size : 1;
            continue;
        }
        memcpy(cursor, at, size);
        cursor += size;
        at += size;
    }
    *cursor = '\0';
    return out;
}

/* ---- writing --------------------------------------------------------------- */

/* Write escaped text; `failed` sticks. */
static void put_escaped(junit_t *self, const char *text, bool attribute)
{
    char *escaped = format_xml_escape(text, attribute);
    if (!escaped) {
        self->failed = true;
        return;
    }
    fputs(escaped, self->spool);
    free(escaped);
}

/* ` NAME="VALUE"` */
static void put_attribute(junit_t *self, const char *name, const char *value)
{
    fprintf(self->spool, " %s=\"", name);
    put_escaped(self, value, true);
    fputc('"', self->spool);
}

static const char *get_string(const cJSON *object, const char *name)
{
    const char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(object, name));
    return value ? value : "";
}

/* A scalar as text: strings as they are, numbers by format_number,
   booleans, null and absent as "". */
static void scalar_text(const cJSON *item, char *out, size_t out_size)
{
    if (cJSON_IsString(item))
        snprintf(out, out_size, "%s", item->valuestring);
    else if (cJSON_IsNumber(item)) {
        char number[32];
        format_number(item->valuedouble, number);
        snprintf(out, out_size, "%s", number);
    } else if (cJSON_IsBool(item))
        snprintf(out, out_size, "%s", cJSON_IsTrue(item) ? "true" : "false");
    else
        snprintf(out, out_size, "%s", "");
}

static void put_property(junit_t *self, const char *name, const cJSON *item)
{
    char value[512];
    scalar_text(item, value, sizeof value);
    fputs("      <property", self->spool);
    put_attribute(self, "name", name);
    put_attribute(self, "value", value);
    fputs("/>\n", self->spool);
}

/* "IA-7, IA-8" from an array of ids; "" when none. */
static void put_id_list(junit_t *self, const cJSON *ids)
{
    const cJSON *id;
    bool first = true;
    cJSON_ArrayForEach(id, ids) {
        if (!cJSON_IsString(id))
            continue;
        if (!first)
            fputs(", ", self->spool);
        put_escaped(self, id->valuestring, false);
        first = false;
    }
}

static const cJSON *find_check(const cJSON *checks, const char *id)
{
    const cJSON *check;
    cJSON_ArrayForEach(check, checks)
        if (strcmp(get_string(check, "id"), id) == 0)
            return check;
    return NULL;
}

/* One line per finding of the clause whose severity is (not) an
   observation: "[major] 8.2.4/recent (fail): text; evidence: IA-7". */
static void put_findings(junit_t *self, const cJSON *assessment, const char *clause,
                         bool observations)
{
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(assessment, "checks");
    const cJSON *finding;
    cJSON_ArrayForEach(finding, cJSON_GetObjectItemCaseSensitive(assessment, "findings")) {
        if (strcmp(get_string(finding, "clause"), clause) != 0)
            continue;
        const char *severity = get_string(finding, "severity");
        if ((strcmp(severity, "observation") == 0) != observations)
            continue;
        const char *check_id = get_string(finding, "check");
        const cJSON *check = find_check(checks, check_id);
        const char *status = check ? get_string(check, "status") : "";
        fputc('[', self->spool);
        put_escaped(self, severity, false);
        fputs("] ", self->spool);
        put_escaped(self, check_id, false);
        if (*status) {
            fputs(" (", self->spool);
            put_escaped(self, status, false);
            fputc(')', self->spool);
        }
        fputs(": ", self->spool);
        put_escaped(self, get_string(finding, "text"), false);
        const char *message = check ? get_string(check, "message") : "";
        if (*message) {
            fputs("; error: ", self->spool);
            put_escaped(self, message, false);
        }
        const cJSON *evidence = cJSON_GetObjectItemCaseSensitive(finding, "evidence");
        fputs("; evidence: ", self->spool);
        if (cJSON_GetArraySize(evidence) > 0)
            put_id_list(self, evidence);
        else
            fputs("none", self->spool);
        const cJSON *expired = check ? cJSON_GetObjectItemCaseSensitive(check, "expired") : NULL;
        if (cJSON_GetArraySize(expired) > 0) {
            fputs("; expired: ", self->spool);
            put_id_list(self, expired);
        }
        fputc('\n', self->spool);
    }
}

/* The first blocking finding's text, for the failure's message. */
static const char *first_blocking_text(const cJSON *assessment, const char *clause)
{
    const cJSON *finding;
    cJSON_ArrayForEach(finding, cJSON_GetObjectItemCaseSensitive(assessment, "findings"))
        if (strcmp(get_string(finding, "clause"), clause) == 0
            && strcmp(get_string(finding, "severity"), "observation") != 0)
            return get_string(finding, "text");
    return "";
}

static bool has_observations(const cJSON *assessment, const char *clause)
{
    const cJSON *finding;
    cJSON_ArrayForEach(finding, cJSON_GetObjectItemCaseSensitive(assessment, "findings"))
        if (strcmp(get_string(finding, "clause"), clause) == 0
            && strcmp(get_string(finding, "severity"), "observation") == 0)
            return true;
    return false;
}

/* The status that applies to a clause: its active override's, else the
   machine's; *override is the override or NULL. */
static const char *applied_status(const cJSON *assessment, const cJSON *clause,
                                  const cJSON **override)
{
    *override = format_clause_override(assessment, get_string(clause, "id"));
    const char *status = get_string(*override, "status");
    return *status ? status : get_string(clause, "status");
}

static bool is_nc(const char *status)
{
    return strcmp(status, "major_nc") == 0 || strcmp(status, "minor_nc") == 0;
}

/* "Assessor override: conformant (machine verdict major_nc) by NAME at
   TIME, until DATE: REASON" */
static void put_override(junit_t *self, const cJSON *override, const char *machine)
{
    fputs("Assessor override: ", self->spool);
    put_escaped(self, get_string(override, "status"), false);
    fputs(" (machine verdict ", self->spool);
    put_escaped(self, machine, false);
    fputs(") by ", self->spool);
    put_escaped(self, get_string(override, "by"), false);
    fputs(" at ", self->spool);
    put_escaped(self, get_string(override, "at"), false);
    const char *expires = get_string(override, "expires");
    if (*expires) {
        fputs(", until ", self->spool);
        put_escaped(self, expires, false);
    }
    fputs(": ", self->spool);
    put_escaped(self, get_string(override, "reason"), false);
    fputc('\n', self->spool);
}

/* A clause as a testcase. Its outcome is the verdict that applies (an
   assessor's override, else the machine's); an overridden machine
   verdict and the findings behind it stay in the testcase's output. */
static void put_testcase(junit_t *self, const cJSON *assessment, const cJSON *clause,
                         const char *classname)
{
    const char *id = get_string(clause, "id");
    const char *title = get_string(clause, "title");
    const char *machine = get_string(clause, "status");
    const cJSON *override;
    const char *status = applied_status(assessment, clause, &override);
    size_t name_size = strlen(id) + strlen(title) + 2;
    char *name = malloc(name_size);
    if (!name) {
        self->failed = true;
        return;
    }
    snprintf(name, name_size, "%s%s%s", id, *title ? " " : "", title);
    fputs("    <testcase", self->spool);
    put_attribute(self, "classname", classname);
    put_attribute(self, "name", name);
    put_attribute(self, "time", "0");
    free(name);

    bool major = strcmp(status, "major_nc") == 0, minor = strcmp(status, "minor_nc") == 0;
    bool skipped = strcmp(status, "not_applicable") == 0;
    bool observations = has_observations(assessment, id);
    if (!major && !minor && !skipped && !observations && !override) {
        fputs("/>\n", self->spool);
        return;
    }
    fputs(">\n", self->spool);
    if (skipped)
        fprintf(self->spool, "      <skipped message=\"not applicable%s\"/>\n",
                override ? " (assessor override)" : "");
    if (major || minor) {
        char level[32], message[1024];
        scalar_text(cJSON_GetObjectItemCaseSensitive(clause, "level"), level, sizeof level);
        if (override)
            snprintf(message, sizeof message,
                     "%s nonconformity by assessor override (machine verdict %s): %s",
                     major ? "major" : "minor", machine, get_string(override, "reason"));
        else
            snprintf(message, sizeof message, "%s nonconformity (level %s): %s",
                     major ? "major" : "minor", *level ? level : "-",
                     first_blocking_text(assessment, id));
        fputs("      <failure", self->spool);
        put_attribute(self, "type", status);
        put_attribute(self, "message", message);
        fputs(">", self->spool);
        if (override)
            put_override(self, override, machine);
        put_findings(self, assessment, id, false);
        fputs("</failure>\n", self->spool);
    }
    bool waived = override && !major && !minor;
    if (observations || waived) {
        fputs("      <system-out>", self->spool);
        if (waived) {
            put_override(self, override, machine);
            if (is_nc(machine))
                put_findings(self, assessment, id, false);
        }
        put_findings(self, assessment, id, true);
        fputs("</system-out>\n", self->spool);
    }
    fputs("    </testcase>\n", self->spool);
}

junit_t *junit_new(void)
{
    junit_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->spool = export_spool_open();
    if (!self->spool) {
        free(self);
        return NULL;
    }
    return self;
}

void junit_destroy(junit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->spool)
        fclose((*self_p)->spool);
    free(*self_p);
    *self_p = NULL;
}

int junit_assessment(junit_t *self, const cJSON *assessment)
{
    const char *unit = get_string(assessment, "unit");
    const char *standard = get_string(assessment, "standard");
    const cJSON *clauses = cJSON_GetObjectItemCaseSensitive(assessment, "clauses");
    size_t tests = 0, failures = 0, skipped = 0;
    const cJSON *clause;
    cJSON_ArrayForEach(clause, clauses) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(clause, "assessed")))
            continue;
        const cJSON *override;
        const char *status = applied_status(assessment, clause, &override);
        tests++;
        failures += is_nc(status);
        skipped += strcmp(status, "not_applicable") == 0;
    }

    /* "UNIT.STANDARD": dashboards show the part before the last dot as the
       package (the unit) and the rest as the class (standard ids have no
       dot). */
    size_t size = strlen(unit) + strlen(standard) + 3;
    char *suite_name = malloc(size), *classname = malloc(size);
    if (!suite_name || !classname) {
        free(suite_name);
        free(classname);
        self->failed = true;
        return -1;
    }
    snprintf(suite_name, size, "%s: %s", unit, standard);
    snprintf(classname, size, "%s.%s", unit, standard);
    char number[32], timestamp[64];
    fputs("  <testsuite", self->spool);
    put_attribute(self, "name", suite_name);
    put_attribute(self, "package", unit);
    snprintf(number, sizeof number, "%zu", self->suites);
    put_attribute(self, "id", number);
    snprintf(number, sizeof number, "%zu", tests);
    put_attribute(self, "tests", number);
    snprintf(number, sizeof number, "%zu", failures);
    put_attribute(self, "failures", number);
    put_attribute(self, "errors", "0");
    snprintf(number, sizeof number, "%zu", skipped);
    put_attribute(self, "skipped", number);
    put_attribute(self, "time", "0");
    const char *as_of = get_string(assessment, "as_of");
    if (*as_of) {
        snprintf(timestamp, sizeof timestamp, "%.10sT00:00:00", as_of);
        put_attribute(self, "timestamp", timestamp);
    }
    fputs(">\n    <properties>\n", self->spool);
    static const char *const fields[] = {
        "unit", "unit_name", "org", "standard", "edition", "catalog_sha256", "as_of",
        "maturity", "readiness", "major_nc", "minor_nc", "observations"
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        put_property(self, fields[i], cJSON_GetObjectItemCaseSensitive(assessment, fields[i]));
    const cJSON *by_clause;
    cJSON_ArrayForEach(by_clause, cJSON_GetObjectItemCaseSensitive(assessment,
                                                                   "maturity_by_clause")) {
        char name[256];
        snprintf(name, sizeof name, "maturity:%s", by_clause->string ? by_clause->string : "");
        put_property(self, name, by_clause);
    }
    /* What the assessors' active overrides make of the assessment. */
    const cJSON *effective = cJSON_GetObjectItemCaseSensitive(assessment, "effective");
    if (cJSON_IsObject(effective)) {
        put_property(self, "effective_readiness", cJSON_GetObjectItemCaseSensitive(effective, "readiness"));
        put_property(self, "effective_major_nc", cJSON_GetObjectItemCaseSensitive(effective, "major_nc"));
        put_property(self, "effective_minor_nc", cJSON_GetObjectItemCaseSensitive(effective, "minor_nc"));
    }
    fputs("    </properties>\n", self->spool);
    cJSON_ArrayForEach(clause, clauses)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(clause, "assessed")))
            put_testcase(self, assessment, clause, classname);
    fputs("  </testsuite>\n", self->spool);
    free(suite_name);
    free(classname);

    self->suites++;
    self->tests += tests;
    self->failures += failures;
    self->skipped += skipped;
    if (ferror(self->spool))
        self->failed = true;
    return self->failed ? -1 : 0;
}

int junit_finish(junit_t *self, FILE *out)
{
    if (self->failed)
        return -1;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"assay\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"%zu\" time=\"0\">\n", self->tests, self->failures, self->skipped);
    if (export_spool_copy(self->spool, out) != 0)
        return -1;
    fputs("</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}
