/*  test_report_html.c - the HTML report for fixed result documents:
    escaping, one heatmap cell per unit x top-level clause, one radar per
    unit x standard, nonconformities with their failing checks and
    evidence, and nothing that could reach the network. */
#include "report_html.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Result documents in the shape of docs/catalog-format.md, written with
   single quotes (turned into double quotes before parsing). */

/* u1 x s1: top-level 4 (with a major NC in 4.1 and a minor one in 4.2) and
   5, which does not apply. Text that must be escaped in names and
   titles. */
static const char doc_u1_s1[] =
    "{'unit':'u1','unit_name':'Plant <script>alert(1)</script> & Co','org':'acme',"
    "'standard':'s1','edition':'2016','catalog_sha256':'c1','as_of':'2026-11-01',"
    "'maturity':1.5,'maturity_by_clause':{'4':1.5},'readiness':'not_ready',"
    "'major_nc':1,'minor_nc':1,'observations':0,"
    "'clauses':["
    "{'id':'4','title':'Context \\u0027quoted\\u0027','parent':null,'assessed':false,"
    "'applicable':true,'level':1.5,'status':'major_nc','weight':1},"
    "{'id':'4.1','title':'Policy \\\"><img src=x onerror=alert(2)>','parent':'4',"
    "'assessed':true,'applicable':true,'level':1,'status':'major_nc','weight':1},"
    "{'id':'4.2','title':'Scope','parent':'4','assessed':true,'applicable':true,"
    "'level':2,'status':'minor_nc','weight':1},"
    "{'id':'5','title':'Leadership','parent':null,'assessed':false,'applicable':false,"
    "'level':null,'status':'not_applicable','weight':1},"
    "{'id':'5.1','title':'Commitment','parent':'5','assessed':true,'applicable':false,"
    "'level':null,'status':'not_applicable','weight':1}],"
    "'checks':["
    "{'id':'4.1/policy','clause':'4.1','level':2,'severity':'major','status':'fail',"
    "'evidence':['POL-1'],'expired':['POL-0'],'message':null},"
    "{'id':'4.2/scope','clause':'4.2','level':3,'severity':'minor','status':'error',"
    "'evidence':[],'expired':[],'message':'type mismatch: <string>'}],"
    "'findings':["
    "{'clause':'4.1','check':'4.1/policy','severity':'major',"
    "'text':'An approved policy exists & is < 1 year old','evidence':['POL-1']},"
    "{'clause':'4.2','check':'4.2/scope','severity':'minor','text':'The scope is defined',"
    "'evidence':[]}]}";

/* u1 x s2: one top-level clause, conformant. */
static const char doc_u1_s2[] =
    "{'unit':'u1','unit_name':'Plant <script>alert(1)</script> & Co','org':'acme',"
    "'standard':'s2','edition':'2022','catalog_sha256':'c2','as_of':'2026-11-01',"
    "'maturity':4,'maturity_by_clause':{'A':4},'readiness':'n/a',"
    "'major_nc':0,'minor_nc':0,'observations':0,"
    "'clauses':[{'id':'A','title':'Annex','parent':null,'assessed':true,'applicable':true,"
    "'level':4,'status':'conformant','weight':1}],'checks':[],'findings':[]}";

/* u2 x s1, twice: the later document replaces the earlier one. The same
   catalog as u1's, so the same clauses. */
#define U2_CLAUSES(level_4, level_5) \
    "'clauses':[{'id':'4','title':'Context \\u0027quoted\\u0027','parent':null," \
    "'assessed':false,'applicable':true,'level':" level_4 ",'status':'conformant'," \
    "'weight':1}," \
    "{'id':'4.1','title':'Policy \\\"><img src=x onerror=alert(2)>','parent':'4'," \
    "'assessed':true,'applicable':true,'level':" level_4 ",'status':'conformant'," \
    "'weight':1}," \
    "{'id':'4.2','title':'Scope','parent':'4','assessed':true,'applicable':true," \
    "'level':" level_4 ",'status':'conformant','weight':1}," \
    "{'id':'5','title':'Leadership','parent':null,'assessed':false,'applicable':true," \
    "'level':" level_5 ",'status':'conformant','weight':1}," \
    "{'id':'5.1','title':'Commitment','parent':'5','assessed':true,'applicable':true," \
    "'level':" level_5 ",'status':'conformant','weight':1}],'checks':[],'findings':[]}"

static const char doc_u2_s1_old[] =
    "{'unit':'u2','unit_name':'Second','org':'acme','standard':'s1','edition':'2016',"
    "'catalog_sha256':'c1','as_of':'2026-10-01','maturity':0,'maturity_by_clause':{},"
    "'readiness':'not_ready','major_nc':0,'minor_nc':0,'observations':0,"
    U2_CLAUSES("0", "0");

static const char doc_u2_s1[] =
    "{'unit':'u2','unit_name':'Second','org':'acme','standard':'s1','edition':'2016',"
    "'catalog_sha256':'c1','as_of':'2026-11-01','maturity':3.25,"
    "'maturity_by_clause':{'4':3,'5':3.5},'readiness':'ready','major_nc':0,'minor_nc':0,"
    "'observations':0,"
    U2_CLAUSES("3", "3.5");

static cJSON *parse_quoted(const char *text)
{
    char *copy = strdup(text);
    assert_non_null(copy);
    for (char *at = copy; *at; at++)
        if (*at == '\'')
            *at = '"';
    cJSON *json = cJSON_Parse(copy);
    free(copy);
    assert_non_null(json);
    return json;
}

static void add(report_t *report, const char *text)
{
    cJSON *document = parse_quoted(text);
    assert_int_equal(report_add_assessment(report, document), 0);
    cJSON_Delete(document);
}

static size_t occurrences(const char *haystack, const char *needle)
{
    size_t count = 0, length = strlen(needle);
    for (const char *at = strstr(haystack, needle); at; at = strstr(at + length, needle))
        count++;
    return count;
}

static char *build(bool with_job)
{
    report_t *report = report_new();
    assert_non_null(report);
    add(report, doc_u2_s1_old);
    add(report, doc_u1_s2);
    add(report, doc_u1_s1);
    add(report, doc_u2_s1);
    if (with_job) {
        cJSON *job = parse_quoted("{'job':7,'unit':'u3','state':'dead','attempt':3,"
                                  "'errors':[{'attempt':3,'error':'worker lost <again>'}]}");
        assert_int_equal(report_add_job(report, job), 0);
        cJSON_Delete(job);
    }
    report_options_t options = { .batch = "nightly <blink>", .generated = "2026-11-02 03:00 UTC" };
    char *html = report_html(report, &options);
    assert_non_null(html);
    report_destroy(&report);
    assert_null(report);
    return html;
}

static void test_escape(void **state)
{
    (void) state;
    char *escaped = report_html_escape("<a href=\"x\">Tom & Jerry's</a>\x01\tend");
    assert_string_equal(escaped,
                        "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
                        "\xef\xbf\xbd\tend");
    free(escaped);
    escaped = report_html_escape(NULL);
    assert_string_equal(escaped, "");
    free(escaped);
    escaped = report_html_escape("plain text, \xc3\xa9t\xc3\xa9");
    assert_string_equal(escaped, "plain text, \xc3\xa9t\xc3\xa9");
    free(escaped);
}

static void test_text_is_escaped(void **state)
{
    (void) state;
    char *html = build(true);
    assert_null(strstr(html, "<script>alert"));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<blink>"));
    assert_non_null(strstr(html, "Plant &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
    assert_non_null(strstr(html, "Policy &quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert_non_null(strstr(html, "Context &#39;quoted&#39;"));
    assert_non_null(strstr(html, "nightly &lt;blink&gt;"));
    assert_non_null(strstr(html, "worker lost &lt;again&gt;"));
    /* The page's own script is the only one. */
    assert_int_equal(occurrences(html, "<script"), 1);
    free(html);
}

static void test_heatmap_cells(void **state)
{
    (void) state;
    char *html = build(false);
    /* u1: s1 has 4 and 5 (5 not applicable), s2 has A; u2: s1 once
       (the later document), 4 and 5. */
    assert_int_equal(occurrences(html, "<rect class=\"cell"), 5);
    assert_int_equal(occurrences(html, "<rect class=\"cell na\""), 1);
    assert_int_equal(occurrences(html, "<rect class=\"cell\" data-unit=\"u1\" "
                                       "data-standard=\"s1\" data-clause=\"4\""),
                     1);
    assert_int_equal(occurrences(html, "<rect class=\"cell\" data-unit=\"u2\" "
                                       "data-standard=\"s1\" data-clause=\"5\" "
                                       "data-level=\"3.5\""),
                     1);
    /* The earlier u2 document is gone: no level 0 cell for u2. */
    assert_int_equal(occurrences(html, "data-unit=\"u2\" data-standard=\"s1\" data-clause=\"4\" "
                                       "data-level=\"0\""),
                     0);
    /* One radar per unit x standard, one heatmap per standard. */
    assert_int_equal(occurrences(html, "<svg class=\"radar\""), 3);
    assert_int_equal(occurrences(html, "<polygon class=\"radar-shape\""), 3);
    assert_int_equal(occurrences(html, "<svg class=\"heatmap\""), 2);
    assert_non_null(strstr(html, "data-units=\"2\" data-standards=\"2\" data-assessments=\"3\""));
    /* Balanced containers. */
    assert_int_equal(occurrences(html, "<svg"), occurrences(html, "</svg>"));
    assert_int_equal(occurrences(html, "<table"), occurrences(html, "</table>"));
    assert_int_equal(occurrences(html, "<details"), occurrences(html, "</details>"));
    assert_int_equal(occurrences(html, "<section"), occurrences(html, "</section>"));
    assert_int_equal(occurrences(html, "<tr"), occurrences(html, "</tr>"));
    free(html);
}

static void test_nonconformities(void **state)
{
    (void) state;
    char *html = build(false);
    assert_non_null(strstr(html, "id=\"nonconformities\" data-count=\"2\""));
    assert_int_equal(occurrences(html, "<details class=\"nc-clause\""), 2);
    assert_non_null(strstr(html, "data-standard=\"s1\" data-clause=\"4.1\""));
    /* What is missing, and the evidence that decided it (expired too). */
    assert_non_null(strstr(html, "An approved policy exists &amp; is &lt; 1 year old"));
    assert_non_null(strstr(html, "<code>POL-1</code>"));
    assert_non_null(strstr(html, "<code>POL-0</code>"));
    assert_non_null(strstr(html, "The scope is defined"));
    assert_non_null(strstr(html, "type mismatch: &lt;string&gt;"));
    /* Clause titles beside the ids, the parent's too. */
    assert_non_null(strstr(html, "in 4 Context &#39;quoted&#39;"));
    assert_null(strstr(html, "id=\"jobs\""));
    free(html);
}

static void test_jobs_without_results(void **state)
{
    (void) state;
    char *html = build(true);
    assert_non_null(strstr(html, "<section id=\"jobs\">"));
    assert_non_null(strstr(html, "<td>u3</td><td>dead</td>"));
    free(html);
}

/* Nothing on the page can reach the network: the only "http" is the SVG
   namespace (an identifier, never fetched) and the http-equiv of the
   Content-Security-Policy that forbids fetching anything. */
static void test_no_network(void **state)
{
    (void) state;
    char *html = build(true);
    size_t total = occurrences(html, "http");
    size_t namespaces = occurrences(html, "xmlns=\"http://www.w3.org/2000/svg\"");
    size_t equiv = occurrences(html, "<meta http-equiv=\"Content-Security-Policy\" "
                                     "content=\"default-src 'none';");
    assert_true(namespaces >= 5);
    assert_int_equal(equiv, 1);
    assert_int_equal(total, namespaces + equiv);
    assert_null(strstr(html, " src=\""));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "//cdn"));
    /* Links only within the page (and the empty data: icon). */
    for (const char *at = strstr(html, "href=\""); at; at = strstr(at + 6, "href=\""))
        assert_true(at[6] == '#' || strncmp(at + 6, "data:,\"", 7) == 0);
    free(html);
}

/* An assessor's override stands beside the machine verdict: the NC row
   shows both, and the decisions are listed with who, why and until when. */
static void test_overrides(void **state)
{
    (void) state;
    report_t *report = report_new();
    assert_non_null(report);
    cJSON *document = parse_quoted(doc_u1_s1);
    cJSON *overrides = parse_quoted(
        "[{'id':3,'clause':'4.1','status':'conformant','machine_status':'major_nc',"
        "'reason':'Policy seen on site & <accepted>','by':'Ann <QA>',"
        "'at':'2026-11-02T10:00:00Z','expires':'2027-01-31'}]");
    cJSON_AddItemToObject(document, "overrides", overrides);
    cJSON_AddItemToObject(document, "effective",
                          parse_quoted("{'readiness':'ready','major_nc':0,'minor_nc':0}"));
    assert_int_equal(report_add_assessment(report, document), 0);
    cJSON_Delete(document);
    char *html = report_html(report, NULL);
    assert_non_null(html);
    assert_non_null(strstr(html, "<section id=\"overrides\" data-count=\"1\">"));
    assert_non_null(strstr(html, "href=\"#overrides\""));
    /* The machine verdict stays; the decision is beside it. */
    assert_non_null(strstr(html, "data-override=\"conformant\""));
    assert_non_null(strstr(html, "by Ann &lt;QA&gt;, until 2027-01-31: "
                                 "Policy seen on site &amp; &lt;accepted&gt;"));
    assert_non_null(strstr(html, "<tr class=\"override\" data-unit=\"u1\" "
                                 "data-standard=\"s1\" data-clause=\"4.1\">"));
    assert_non_null(strstr(html, "<span class=\"badge major\">major NC</span></td>"
                                 "<td><span class=\"badge ready\">conformant</span>"));
    /* The readiness the decision gives, beside the machine's. */
    assert_non_null(strstr(html, "<span class=\"note\" data-effective-readiness=\"ready\">"
                                 "with assessors&#39; decisions:</span> "
                                 "<span class=\"badge ready\">"));
    assert_null(strstr(html, "<QA>"));
    free(html);
    report_destroy(&report);
}

/* A clause many units fail: the first 50 (by unit id) with their
   evidence, the rest named in one row. */
static void test_many_units_per_clause(void **state)
{
    (void) state;
    report_t *report = report_new();
    assert_non_null(report);
    for (int i = 0; i < 55; i++) {
        cJSON *document = parse_quoted(doc_u1_s1);
        char unit[16];
        snprintf(unit, sizeof unit, "m%02d", i);
        cJSON_ReplaceItemInObjectCaseSensitive(document, "unit", cJSON_CreateString(unit));
        assert_int_equal(report_add_assessment(report, document), 0);
        cJSON_Delete(document);
    }
    char *html = report_html(report, NULL);
    assert_non_null(html);
    assert_non_null(strstr(html, "<rect class=\"cell\" data-unit=\"m54\""));
    /* Two clauses (4.1, 4.2): 50 rows each with evidence, then one row
       naming the other 5. */
    assert_int_equal(occurrences(html, "<tr class=\"nc\" data-unit="), 100);
    assert_int_equal(occurrences(html, "<tr class=\"nc more\" data-units=\"5\">"), 2);
    assert_non_null(strstr(html, "<tr class=\"nc\" data-unit=\"m49\">"));
    assert_null(strstr(html, "<tr class=\"nc\" data-unit=\"m50\">"));
    assert_non_null(strstr(html, "<a href=\"#unit-m54\">m54</a>"));
    assert_non_null(strstr(html, "failed by 55 units"));
    free(html);
    report_destroy(&report);
}

static void test_empty_report(void **state)
{
    (void) state;
    report_t *report = report_new();
    assert_non_null(report);
    char *html = report_html(report, NULL);
    assert_non_null(html);
    assert_int_equal(occurrences(html, "<rect class=\"cell"), 0);
    assert_non_null(strstr(html, "No nonconformities."));
    assert_non_null(strstr(html, "</html>"));
    free(html);
    /* A document without unit or standard is refused. */
    cJSON *bad = parse_quoted("{'standard':'s1'}");
    assert_int_equal(report_add_assessment(report, bad), -1);
    cJSON_Delete(bad);
    report_destroy(&report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_text_is_escaped),
        cmocka_unit_test(test_heatmap_cells),
        cmocka_unit_test(test_nonconformities),
        cmocka_unit_test(test_jobs_without_results),
        cmocka_unit_test(test_no_network),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_many_units_per_clause),
        cmocka_unit_test(test_empty_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
