/*  test_format_export.c - the junit and oscal formats: XML escaping,
    name-based UUIDs, and the structure of both documents for a fixed
    assessment (format_export.h). Schema validity against NIST's OSCAL
    schema is checked on real output by tests/integration/test_formats. */
#include "format.h"
#include "format_export.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

/* One unit against one standard: a major NC clause (two failing checks,
   one an observation, one expired item), a conformant clause, an assessed
   clause that does not apply, and a heading; text that needs escaping. */
static const char document_13485[] =
    "{\"unit\":\"acme-stuttgart\",\"unit_name\":\"ACME <Stuttgart> & \\\"Söhne\\\"\","
    "\"org\":\"acme\",\"standard\":\"iso13485-2016\",\"edition\":\"2016\","
    "\"catalog_sha256\":\"abc\",\"as_of\":\"2026-11-01\",\"maturity\":2.43,"
    "\"maturity_by_clause\":{\"8\":2.43},\"readiness\":\"not_ready\",\"major_nc\":1,"
    "\"minor_nc\":0,\"observations\":1,"
    "\"clauses\":["
    "{\"id\":\"8\",\"title\":\"Measurement\",\"parent\":null,\"assessed\":false,"
    "\"applicable\":true,\"level\":2.43,\"status\":\"major_nc\",\"weight\":1},"
    "{\"id\":\"8.2.4\",\"title\":\"Internal audit\",\"parent\":\"8\",\"assessed\":true,"
    "\"applicable\":true,\"level\":2,\"status\":\"major_nc\",\"weight\":1},"
    "{\"id\":\"8.2.5\",\"title\":\"Monitoring <processes>\",\"parent\":\"8\",\"assessed\":true,"
    "\"applicable\":true,\"level\":4,\"status\":\"conformant\",\"weight\":2},"
    "{\"id\":\"7.5.7\",\"title\":\"Sterilization\",\"parent\":\"7.5\",\"assessed\":true,"
    "\"applicable\":false,\"level\":null,\"status\":\"not_applicable\",\"weight\":1}],"
    "\"checks\":["
    "{\"id\":\"8.2.4/recent\",\"clause\":\"8.2.4\",\"level\":3,\"severity\":\"major\","
    "\"status\":\"fail\",\"evidence\":[\"IA-7\"],\"expired\":[\"IA-1\"],\"message\":null},"
    "{\"id\":\"8.2.4/scope\",\"clause\":\"8.2.4\",\"level\":4,\"severity\":\"observation\","
    "\"status\":\"fail\",\"evidence\":[],\"expired\":[],\"message\":null},"
    "{\"id\":\"8.2.5/kpi\",\"clause\":\"8.2.5\",\"level\":4,\"severity\":\"minor\","
    "\"status\":\"pass\",\"evidence\":[\"KPI-1\",\"KPI-2\"],\"expired\":[],\"message\":null},"
    "{\"id\":\"7.5.7/validated\",\"clause\":\"7.5.7\",\"level\":2,\"severity\":\"major\","
    "\"status\":\"not_applicable\",\"evidence\":[],\"expired\":[],\"message\":null}],"
    "\"findings\":["
    "{\"clause\":\"8.2.4\",\"check\":\"8.2.4/recent\",\"severity\":\"major\","
    "\"text\":\"An internal audit <12 months> & \\\"recent\\\"\",\"evidence\":[\"IA-7\"]},"
    "{\"clause\":\"8.2.4\",\"check\":\"8.2.4/scope\",\"severity\":\"observation\","
    "\"text\":\"Scope covers all processes\",\"evidence\":[]}],"
    "\"mappings\":[],\"warnings\":[]}";

static cJSON *fixture(void)
{
    cJSON *document = cJSON_Parse(document_13485);
    assert_non_null(document);
    return document;
}

/* Run one format over a document (count times); what it printed. */
static char *render_document(format_kind_t kind, const cJSON *document, int count)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    format_t *format = format_new(kind, out);
    assert_non_null(format);
    for (int i = 0; i < count; i++)
        assert_int_equal(format_assessment(format, document), 0);
    assert_int_equal(format_finish(format), 0);
    format_destroy(&format);
    fclose(out);
    return text;
}

static char *render(format_kind_t kind, int count)
{
    cJSON *document = fixture();
    char *text = render_document(kind, document, count);
    cJSON_Delete(document);
    return text;
}

/* The fixture as `assay results` returns it after two assessors' ruled:
   the major NC 8.2.4 waived (conformant), the conformant 8.2.5 held as a
   minor NC, and what that makes of the assessment. */
static cJSON *fixture_with_overrides(void)
{
    cJSON *document = fixture();
    cJSON *overrides = cJSON_Parse(
        "[{\"id\":7,\"clause\":\"8.2.4\",\"status\":\"conformant\","
        "\"machine_status\":\"major_nc\",\"reason\":\"IA-8 <closed> it\",\"by\":\"A. Auditor\","
        "\"at\":\"2026-11-20T10:00:00+00:00\",\"expires\":\"2027-06-30\"},"
        "{\"id\":8,\"clause\":\"8.2.5\",\"status\":\"minor_nc\","
        "\"machine_status\":\"conformant\",\"reason\":\"KPI-2 is a draft\",\"by\":\"B. Lead\","
        "\"at\":\"2026-11-21T10:00:00+00:00\",\"expires\":null}]");
    cJSON *effective = cJSON_Parse(
        "{\"readiness\":\"conditional\",\"major_nc\":0,\"minor_nc\":1}");
    assert_non_null(overrides);
    assert_non_null(effective);
    cJSON_AddItemToObject(document, "overrides", overrides);
    cJSON_AddItemToObject(document, "effective", effective);
    return document;
}

static size_t occurrences(const char *text, const char *needle)
{
    /* Offsets and memcmp, no pointer kept into `text`: GCC 12 at -O3
       (Release) reports a false -Wdangling-pointer on the strstr walk once
       this is inlined beside cmocka's assertions. */
    size_t count = 0, length = strlen(text), width = strlen(needle);
    for (size_t offset = 0; width && offset + width <= length; offset++)
        if (memcmp(text + offset, needle, width) == 0)
            count++;
    return count;
}

/* ---- escaping ----------------------------------------------------------------- */

static void test_xml_escape(void **state)
{
    struct { const char *in; bool attribute; const char *out; } cases[] = {
        { "plain", true, "plain" },
        { "", false, "" },
        { "a & b < c > d", false, "a &amp; b &lt; c &gt; d" },
        { "say \"hi\" 'there'", true, "say &quot;hi&quot; &apos;there&apos;" },
        { "]]>", false, "]]&gt;" },
        { "&amp;", false, "&amp;amp;" },                 /* no double-decoding */
        { "tab\tlf\ncr\r", true, "tab&#9;lf&#10;cr&#13;" },
        { "tab\tlf\ncr\r", false, "tab\tlf\ncr&#13;" },  /* text keeps tab and LF */
        { "bell\x07" "end", false, "bell\xef\xbf\xbd" "end" },   /* C0: not XML 1.0 */
        { "esc\x1b", true, "esc\xef\xbf\xbd" },
        { "Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80", false,
          "Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80" },      /* UTF-8 kept */
        { "bad \xff byte", false, "bad \xef\xbf\xbd byte" },
        { "cut \xc3", false, "cut \xef\xbf\xbd" },               /* truncated */
        { "over \xc0\xaf", false, "over \xef\xbf\xbd\xef\xbf\xbd" },     /* overlong */
        { "sur \xed\xa0\x80", false, "sur \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
        { "nonchar \xef\xbf\xbe", false, "nonchar \xef\xbf\xbd" },     /* U+FFFE */
        { "del \x7f", false, "del \x7f" },               /* allowed in XML 1.0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *escaped = format_xml_escape(cases[i].in, cases[i].attribute);
        assert_non_null(escaped);
        assert_string_equal(escaped, cases[i].out);
        free(escaped);
    }
    char *escaped = format_xml_escape(NULL, true);
    assert_string_equal(escaped, "");
    free(escaped);
}

/* ---- UUIDs and control ids ---------------------------------------------------- */

static void test_uuid_v5(void **state)
{
    char uuid[37];
    /* RFC 9562's DNS namespace; Python's uuid.uuid5 gives the same. */
    assert_int_equal(format_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com",
                                    uuid), 0);
    assert_string_equal(uuid, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    /* Assay's namespace: uuid5(URL, FORMAT_OSCAL_NS). */
    assert_int_equal(format_uuid_v5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", FORMAT_OSCAL_NS,
                                    uuid), 0);
    assert_string_equal(uuid, "e38a911e-8bec-5ff4-8354-63febd9942a1");
    assert_int_equal(format_uuid_v5("e38a911e-8bec-5ff4-8354-63febd9942a1",
                                    "unit\nacme-stuttgart", uuid), 0);
    assert_string_equal(uuid, "bd3fb148-4d8f-51d9-b812-af0253dfa0bb");
    assert_int_equal(format_uuid_v5("not-a-uuid", "x", uuid), -1);
    assert_int_equal(format_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430", "x", uuid), -1);
}

static void test_control_id(void **state)
{
    struct { const char *in, *out; } cases[] = {
        { "8.2.4", "clause-8.2.4" }, { "A.5", "clause-A.5" }, { "10", "clause-10" },
        { "4 a/b", "clause-4_a_b" }, { "", "clause-" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *token = format_oscal_control_id(cases[i].in);
        assert_string_equal(token, cases[i].out);
        free(token);
    }
}

static void test_kinds(void **state)
{
    format_kind_t kind;
    assert_int_equal(format_kind_parse("junit", &kind), 0);
    assert_int_equal(kind, FORMAT_JUNIT);
    assert_int_equal(format_kind_parse("oscal", &kind), 0);
    assert_int_equal(kind, FORMAT_OSCAL);
    assert_string_equal(format_kind_name(FORMAT_JUNIT), "junit");
    assert_string_equal(format_kind_name(FORMAT_OSCAL), "oscal");
    assert_true(format_needs_full(FORMAT_JUNIT));
    assert_true(format_needs_full(FORMAT_OSCAL));
}

/* ---- junit -------------------------------------------------------------------- */

static void test_junit_structure(void **state)
{
    char *text = render(FORMAT_JUNIT, 2);
    assert_true(strncmp(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
    assert_non_null(strstr(text, "<testsuites name=\"assay\" tests=\"6\" failures=\"2\" "
                                 "errors=\"0\" skipped=\"2\" time=\"0\">\n"));
    /* A suite per assessment, a case per assessed clause (not the heading). */
    assert_int_equal(occurrences(text, "<testsuite "), 2);
    assert_int_equal(occurrences(text, "<testcase "), 6);
    assert_int_equal(occurrences(text, "name=\"8 Measurement\""), 0);
    assert_non_null(strstr(text, "<testsuite name=\"acme-stuttgart: iso13485-2016\" "
                                 "package=\"acme-stuttgart\" id=\"0\" tests=\"3\" failures=\"1\" "
                                 "errors=\"0\" skipped=\"1\" time=\"0\" "
                                 "timestamp=\"2026-11-01T00:00:00\">"));
    /* Properties, escaped. */
    assert_non_null(strstr(text, "<property name=\"unit_name\" "
                                 "value=\"ACME &lt;Stuttgart&gt; &amp; &quot;Söhne&quot;\"/>"));
    assert_non_null(strstr(text, "<property name=\"maturity\" value=\"2.43\"/>"));
    assert_non_null(strstr(text, "<property name=\"readiness\" value=\"not_ready\"/>"));
    assert_non_null(strstr(text, "<property name=\"maturity:8\" value=\"2.43\"/>"));
    /* The NC: one failure with severity, check text and evidence ids. */
    assert_int_equal(occurrences(text, "<failure "), 2);
    assert_non_null(strstr(text,
        "<testcase classname=\"acme-stuttgart.iso13485-2016\" name=\"8.2.4 Internal audit\" "
        "time=\"0\">\n"
        "      <failure type=\"major_nc\" message=\"major nonconformity (level 2): An internal "
        "audit &lt;12 months&gt; &amp; &quot;recent&quot;\">[major] 8.2.4/recent (fail): An "
        "internal audit &lt;12 months&gt; &amp; &quot;recent&quot;; evidence: IA-7; expired: "
        "IA-1\n</failure>\n"
        "      <system-out>[observation] 8.2.4/scope (fail): Scope covers all processes; "
        "evidence: none\n</system-out>\n"
        "    </testcase>\n"));
    /* Conformant: an empty case; not applicable: skipped. */
    assert_non_null(strstr(text, "name=\"8.2.5 Monitoring &lt;processes&gt;\" time=\"0\"/>\n"));
    assert_non_null(strstr(text, "name=\"7.5.7 Sterilization\" time=\"0\">\n"
                                 "      <skipped message=\"not applicable\"/>\n"));
    size_t length = strlen(text);
    assert_true(length > 14 && strcmp(text + length - 14, "</testsuites>\n") == 0);
    free(text);

    /* Nothing at all is still a document. */
    text = render(FORMAT_JUNIT, 0);
    assert_string_equal(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<testsuites name=\"assay\" tests=\"0\" failures=\"0\" errors=\"0\" "
                              "skipped=\"0\" time=\"0\">\n</testsuites>\n");
    free(text);
}

/* ---- oscal -------------------------------------------------------------------- */

static const cJSON *member(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    if (!item)
        fail_msg("no member \"%s\"", name);
    return item;
}

static const char *string_of(const cJSON *object, const char *name)
{
    const char *text = cJSON_GetStringValue(member(object, name));
    assert_non_null(text);
    return text;
}

static bool is_uuid(const char *text)
{
    if (strlen(text) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !strchr("0123456789abcdef", text[i]))
            return false;
    }
    return text[14] == '5' && strchr("89ab", text[19]);
}

/* The Assay prop NAME of an object's props (value), NULL if none. */
static const char *prop(const cJSON *object, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(object, "props")) {
        if (strcmp(string_of(item, "name"), name) == 0) {
            assert_string_equal(string_of(item, "ns"), FORMAT_OSCAL_NS);
            return string_of(item, "value");
        }
    }
    return NULL;
}

static void test_oscal_structure(void **state)
{
    char *text = render(FORMAT_OSCAL, 1);
    size_t length = strlen(text);
    assert_int_equal(text[length - 1], '\n');
    assert_null(memchr(text, '\n', length - 1));        /* one line */
    cJSON *document = cJSON_Parse(text);
    assert_non_null(document);
    const cJSON *ar = member(document, "assessment-results");
    assert_int_equal(cJSON_GetArraySize(document), 1);
    assert_true(is_uuid(string_of(ar, "uuid")));

    const cJSON *metadata = member(ar, "metadata");
    assert_string_equal(string_of(metadata, "oscal-version"), "1.2.1");
    assert_string_equal(string_of(metadata, "last-modified"), "2026-11-01T00:00:00Z");
    assert_non_null(strstr(string_of(metadata, "title"), "1 assessment of 1 unit"));
    assert_true(strlen(string_of(metadata, "version")) > 0);
    /* The unit as a party (deterministic uuid), member of its org. */
    const cJSON *parties = member(metadata, "parties");
    assert_int_equal(cJSON_GetArraySize(parties), 2);
    const cJSON *unit_party = cJSON_GetArrayItem(parties, 1);
    assert_string_equal(string_of(unit_party, "uuid"), "bd3fb148-4d8f-51d9-b812-af0253dfa0bb");
    assert_string_equal(string_of(unit_party, "short-name"), "acme-stuttgart");
    assert_string_equal(string_of(unit_party, "name"), "ACME <Stuttgart> & \"Söhne\"");

    /* import-ap points at the plan in back-matter. */
    const char *href = string_of(member(ar, "import-ap"), "href");
    const cJSON *resources = member(member(ar, "back-matter"), "resources");
    assert_int_equal(cJSON_GetArraySize(resources), 2);     /* the plan, the catalog */
    assert_string_equal(href + 1, string_of(cJSON_GetArrayItem(resources, 0), "uuid"));
    assert_string_equal(prop(cJSON_GetArrayItem(resources, 1), "catalog-sha256"), "abc");

    const cJSON *results = member(ar, "results");
    assert_int_equal(cJSON_GetArraySize(results), 1);
    const cJSON *result = cJSON_GetArrayItem(results, 0);
    assert_true(is_uuid(string_of(result, "uuid")));
    assert_string_equal(string_of(result, "title"), "acme-stuttgart: iso13485-2016");
    assert_string_equal(string_of(result, "start"), "2026-11-01T00:00:00Z");
    assert_true(strlen(string_of(result, "description")) > 0);
    /* Maturity and readiness as namespaced props. */
    assert_string_equal(prop(result, "maturity"), "2.43");
    assert_string_equal(prop(result, "readiness"), "not_ready");
    assert_string_equal(prop(result, "major-nc"), "1");
    assert_string_equal(prop(result, "unit"), "acme-stuttgart");
    assert_string_equal(prop(result, "standard"), "iso13485-2016");
    assert_string_equal(prop(result, "clause-maturity"), "2.43");

    /* Reviewed: the two applicable assessed clauses; the other excluded. */
    const cJSON *selection = cJSON_GetArrayItem(
        member(member(result, "reviewed-controls"), "control-selections"), 0);
    const cJSON *include = member(selection, "include-controls");
    assert_int_equal(cJSON_GetArraySize(include), 2);
    assert_string_equal(string_of(cJSON_GetArrayItem(include, 0), "control-id"), "clause-8.2.4");
    assert_string_equal(string_of(cJSON_GetArrayItem(include, 1), "control-id"), "clause-8.2.5");
    const cJSON *exclude = member(selection, "exclude-controls");
    assert_int_equal(cJSON_GetArraySize(exclude), 1);
    assert_string_equal(string_of(cJSON_GetArrayItem(exclude, 0), "control-id"), "clause-7.5.7");

    /* Observations: one per evaluated check (not the not-applicable one),
       citing the evidence items. */
    const cJSON *observations = member(result, "observations");
    assert_int_equal(cJSON_GetArraySize(observations), 3);
    const cJSON *recent = cJSON_GetArrayItem(observations, 0);
    assert_true(is_uuid(string_of(recent, "uuid")));
    assert_string_equal(prop(recent, "check"), "8.2.4/recent");
    assert_string_equal(prop(recent, "status"), "fail");
    assert_string_equal(string_of(recent, "collected"), "2026-11-01T00:00:00Z");
    assert_string_equal(cJSON_GetArrayItem(member(recent, "methods"), 0)->valuestring, "EXAMINE");
    const cJSON *subject = cJSON_GetArrayItem(member(recent, "subjects"), 0);
    assert_string_equal(string_of(subject, "subject-uuid"), string_of(unit_party, "uuid"));
    assert_string_equal(string_of(subject, "type"), "party");
    const cJSON *evidence = member(recent, "relevant-evidence");
    assert_int_equal(cJSON_GetArraySize(evidence), 2);              /* IA-7, expired IA-1 */
    assert_string_equal(prop(cJSON_GetArrayItem(evidence, 0), "evidence-id"), "IA-7");
    assert_string_equal(prop(cJSON_GetArrayItem(evidence, 1), "evidence-id"), "IA-1");
    assert_string_equal(prop(cJSON_GetArrayItem(evidence, 1), "expired"), "true");
    assert_true(strlen(string_of(cJSON_GetArrayItem(evidence, 0), "description")) > 0);
    /* A check without evidence has no (empty) relevant-evidence. */
    assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(observations, 1),
                                                 "relevant-evidence"));
    const cJSON *kpi = cJSON_GetArrayItem(observations, 2);
    assert_int_equal(cJSON_GetArraySize(member(kpi, "relevant-evidence")), 2);

    /* Findings: one per applicable assessed clause. */
    const cJSON *findings = member(result, "findings");
    assert_int_equal(cJSON_GetArraySize(findings), 2);
    const cJSON *audit = cJSON_GetArrayItem(findings, 0);
    assert_string_equal(string_of(audit, "title"), "8.2.4 Internal audit");
    assert_string_equal(prop(audit, "status"), "major_nc");
    assert_string_equal(prop(audit, "clause"), "8.2.4");
    const cJSON *target = member(audit, "target");
    assert_string_equal(string_of(target, "type"), "objective-id");
    assert_string_equal(string_of(target, "target-id"), "clause-8.2.4");
    assert_string_equal(string_of(member(target, "status"), "state"), "not-satisfied");
    assert_non_null(strstr(string_of(audit, "description"), "IA-7"));
    /* Its observations are the clause's two checks. */
    const cJSON *related = member(audit, "related-observations");
    assert_int_equal(cJSON_GetArraySize(related), 2);
    assert_string_equal(string_of(cJSON_GetArrayItem(related, 0), "observation-uuid"),
                        string_of(recent, "uuid"));
    assert_string_equal(string_of(cJSON_GetArrayItem(related, 1), "observation-uuid"),
                        string_of(cJSON_GetArrayItem(observations, 1), "uuid"));
    const cJSON *monitoring = cJSON_GetArrayItem(findings, 1);
    assert_string_equal(string_of(member(member(monitoring, "target"), "status"), "state"),
                        "satisfied");
    assert_string_equal(string_of(member(member(monitoring, "target"), "status"), "reason"),
                        "pass");

    /* Every uuid in the document is distinct... */
    const char *uuids[] = {
        string_of(ar, "uuid"), string_of(result, "uuid"), string_of(recent, "uuid"),
        string_of(cJSON_GetArrayItem(observations, 1), "uuid"), string_of(kpi, "uuid"),
        string_of(audit, "uuid"), string_of(monitoring, "uuid"), string_of(unit_party, "uuid"),
        href + 1,
    };
    for (size_t i = 0; i < sizeof uuids / sizeof uuids[0]; i++)
        for (size_t j = i + 1; j < sizeof uuids / sizeof uuids[0]; j++)
            assert_string_not_equal(uuids[i], uuids[j]);
    cJSON_Delete(document);

    /* ... and the same assessment prints byte for byte the same. */
    char *again = render(FORMAT_OSCAL, 1);
    assert_string_equal(text, again);
    free(again);
    free(text);
}

static void test_oscal_empty(void **state)
{
    /* OSCAL needs at least one result: an empty export says there is none. */
    char *text = render(FORMAT_OSCAL, 0);
    cJSON *document = cJSON_Parse(text);
    assert_non_null(document);
    const cJSON *ar = member(document, "assessment-results");
    const cJSON *results = member(ar, "results");
    assert_int_equal(cJSON_GetArraySize(results), 1);
    const cJSON *result = cJSON_GetArrayItem(results, 0);
    assert_string_equal(string_of(result, "title"), "No assessments");
    assert_non_null(member(cJSON_GetArrayItem(member(member(result, "reviewed-controls"),
                                                     "control-selections"), 0), "include-all"));
    assert_null(cJSON_GetObjectItemCaseSensitive(member(ar, "metadata"), "parties"));
    cJSON_Delete(document);
    free(text);
}

/* ---- assessors' overrides ------------------------------------------------------ */

static void test_junit_overrides(void **state)
{
    cJSON *document = fixture_with_overrides();
    char *text = render_document(FORMAT_JUNIT, document, 1);
    /* Counts follow the verdicts that apply: 8.2.5 fails, 8.2.4 no more. */
    assert_non_null(strstr(text, "tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(text, "<property name=\"readiness\" value=\"not_ready\"/>"));
    assert_non_null(strstr(text, "<property name=\"effective_readiness\" value=\"conditional\"/>"));
    assert_non_null(strstr(text, "<property name=\"effective_minor_nc\" value=\"1\"/>"));
    /* The waived clause passes, its machine verdict and findings kept. */
    assert_non_null(strstr(text,
        "name=\"8.2.4 Internal audit\" time=\"0\">\n"
        "      <system-out>Assessor override: conformant (machine verdict major_nc) by "
        "A. Auditor at 2026-11-20T10:00:00+00:00, until 2027-06-30: IA-8 &lt;closed&gt; it\n"
        "[major] 8.2.4/recent (fail): An internal audit &lt;12 months&gt; &amp; "
        "&quot;recent&quot;; evidence: IA-7; expired: IA-1\n"
        "[observation] 8.2.4/scope (fail): Scope covers all processes; evidence: none\n"
        "</system-out>\n"));
    /* The clause an assessor holds as an NC fails, saying so. */
    assert_non_null(strstr(text,
        "name=\"8.2.5 Monitoring &lt;processes&gt;\" time=\"0\">\n"
        "      <failure type=\"minor_nc\" message=\"minor nonconformity by assessor override "
        "(machine verdict conformant): KPI-2 is a draft\">Assessor override: minor_nc (machine "
        "verdict conformant) by B. Lead at 2026-11-21T10:00:00+00:00: KPI-2 is a draft\n"
        "</failure>\n"));
    assert_int_equal(occurrences(text, "<failure "), 1);
    free(text);
    cJSON_Delete(document);
}

/* The finding of clause ID in the only result of an OSCAL export. */
static const cJSON *oscal_finding(const cJSON *document, const char *id)
{
    const cJSON *result = cJSON_GetArrayItem(member(member(document, "assessment-results"),
                                                    "results"), 0);
    const cJSON *finding;
    cJSON_ArrayForEach(finding, member(result, "findings"))
        if (strcmp(prop(finding, "clause"), id) == 0)
            return finding;
    fail_msg("no finding for clause %s", id);
    return NULL;
}

static void test_oscal_overrides(void **state)
{
    cJSON *input = fixture_with_overrides();
    char *text = render_document(FORMAT_OSCAL, input, 1);
    cJSON *document = cJSON_Parse(text);
    assert_non_null(document);
    const cJSON *result = cJSON_GetArrayItem(member(member(document, "assessment-results"),
                                                    "results"), 0);
    assert_string_equal(prop(result, "readiness"), "not_ready");
    assert_string_equal(prop(result, "effective-readiness"), "conditional");
    assert_string_equal(prop(result, "effective-major-nc"), "0");
    assert_string_equal(prop(result, "active-overrides"), "2");

    const cJSON *waived = oscal_finding(document, "8.2.4");
    assert_string_equal(prop(waived, "status"), "conformant");
    assert_string_equal(prop(waived, "machine-status"), "major_nc");
    assert_string_equal(prop(waived, "override-by"), "A. Auditor");
    assert_string_equal(prop(waived, "override-expires"), "2027-06-30");
    assert_string_equal(prop(waived, "override-id"), "7");
    const cJSON *status = member(member(waived, "target"), "status");
    assert_string_equal(string_of(status, "state"), "satisfied");
    assert_string_equal(string_of(status, "reason"), "pass");
    assert_non_null(strstr(string_of(status, "remarks"), "machine verdict major_nc: IA-8 <closed> it"));
    assert_non_null(strstr(string_of(waived, "description"), "Machine verdict: Major nonconformity"));

    const cJSON *raised = oscal_finding(document, "8.2.5");
    assert_string_equal(prop(raised, "status"), "minor_nc");
    assert_string_equal(prop(raised, "machine-status"), "conformant");
    assert_null(prop(raised, "override-expires"));
    status = member(member(raised, "target"), "status");
    assert_string_equal(string_of(status, "state"), "not-satisfied");
    assert_string_equal(string_of(status, "reason"), "fail");
    cJSON_Delete(document);
    free(text);

    /* Without overrides: no override props, no effective figures. */
    text = render(FORMAT_OSCAL, 1);
    document = cJSON_Parse(text);
    assert_null(prop(oscal_finding(document, "8.2.4"), "machine-status"));
    assert_null(prop(cJSON_GetArrayItem(member(member(document, "assessment-results"), "results"), 0),
                     "effective-readiness"));
    cJSON_Delete(document);
    free(text);
    cJSON_Delete(input);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_escape),
        cmocka_unit_test(test_uuid_v5),
        cmocka_unit_test(test_control_id),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_junit_structure),
        cmocka_unit_test(test_oscal_structure),
        cmocka_unit_test(test_oscal_empty),
        cmocka_unit_test(test_junit_overrides),
        cmocka_unit_test(test_oscal_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
