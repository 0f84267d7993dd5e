/*  broker_query.c - the broker's read-query thread.

    Status and results can be large and slow to read; answering them here,
    on a connection of their own, keeps the main loop dispatching. The main
    thread forwards each QUERY as an encoded message; we answer with an
    encoded REPLY that already carries the client's routing id, so the main
    thread only has to pass it on.
*/
#include "broker_internal.h"
#include "broker_results.h"
#include "date.h"

#include <inttypes.h>
#include <stdlib.h>

#define RESULTS_PAGE_DEFAULT 100
#define RESULTS_PAGE_MAX 1000

/* Results arguments: {"after": JOB, "limit": N, "full": BOOL}. */
static char *answer_results(broker_db_t *db, broker_results_t *results, assay_msg_t *query,
                            int *code)
{
    uint64_t after = 0;
    int limit = RESULTS_PAGE_DEFAULT;
    bool full = false;
    cJSON *arguments = cJSON_ParseWithLength(assay_msg_body(query), assay_msg_body_size(query));
    if (arguments) {
        cJSON *item = cJSON_GetObjectItemCaseSensitive(arguments, "after");
        if (cJSON_IsNumber(item) && item->valuedouble >= 0)
            after = (uint64_t) item->valuedouble;
        item = cJSON_GetObjectItemCaseSensitive(arguments, "limit");
        if (cJSON_IsNumber(item) && item->valueint > 0)
            limit = item->valueint > RESULTS_PAGE_MAX ? RESULTS_PAGE_MAX : item->valueint;
        full = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(arguments, "full"));
        cJSON_Delete(arguments);
    }
    char *page = broker_db_results(db, assay_msg_target(query), after, limit, full, code);
    if (page && full && *code == ASSAY_CODE_OK && !(page = broker_results_inflate(results, db, page)))
        *code = ASSAY_CODE_RETRY;
    return page;
}

/* ---- diff, history, overrides, override, stats ----------------------- */

#define DIFF_PAGE_DEFAULT 500
#define DIFF_PAGE_MAX 2000
#define REASON_MAX 4096
#define BY_MAX 256

static char *refuse(int *code, const char *message)
{
    *code = ASSAY_CODE_BAD_INPUT;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "error", message);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    return text;
}

static cJSON *arguments_of(assay_msg_t *query)
{
    return cJSON_ParseWithLength(assay_msg_body(query), assay_msg_body_size(query));
}

static const char *string_argument(const cJSON *arguments, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(arguments, name));
}

/* diff: target the batch to compare from, {"against": BATCH, "all": BOOL,
   "after": {"unit", "standard"}, "limit": N}. */
static char *answer_diff(broker_db_t *db, assay_msg_t *query, int *code)
{
    cJSON *arguments = arguments_of(query);
    const char *against = string_argument(arguments, "against");
    char *body;
    if (!*assay_msg_target(query) || !against || !*against)
        body = refuse(code, "diff needs two batches: target and {\"against\": BATCH}");
    else {
        const cJSON *after = cJSON_GetObjectItemCaseSensitive(arguments, "after");
        const cJSON *limit = cJSON_GetObjectItemCaseSensitive(arguments, "limit");
        int page = cJSON_IsNumber(limit) && limit->valueint > 0
            ? (limit->valueint > DIFF_PAGE_MAX ? DIFF_PAGE_MAX : limit->valueint)
            : DIFF_PAGE_DEFAULT;
        body = broker_db_diff(db, assay_msg_target(query), against,
                              string_argument(after, "unit"), string_argument(after, "standard"),
                              page, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(arguments, "all")),
                              code);
    }
    cJSON_Delete(arguments);
    return body;
}

static char *answer_history(broker_db_t *db, assay_msg_t *query, int *code)
{
    if (!*assay_msg_target(query))
        return refuse(code, "history needs a unit id");
    cJSON *arguments = arguments_of(query);
    char *body = broker_db_history(db, assay_msg_target(query),
                                   string_argument(arguments, "standard"), code);
    cJSON_Delete(arguments);
    return body;
}

/* override: {"job", "standard"?, "clause", "status", "reason", "by",
   "expires"?}; the job may also be the target. */
static char *answer_override(broker_db_t *db, assay_msg_t *query, int *code)
{
    cJSON *arguments = arguments_of(query);
    broker_override_t request = {
        .standard = string_argument(arguments, "standard"),
        .clause = string_argument(arguments, "clause"),
        .status = string_argument(arguments, "status"),
        .reason = string_argument(arguments, "reason"),
        .by = string_argument(arguments, "by"),
        .expires = string_argument(arguments, "expires"),
    };
    const cJSON *job = cJSON_GetObjectItemCaseSensitive(arguments, "job");
    const char *job_text = cJSON_IsString(job) ? job->valuestring : assay_msg_target(query);
    char *end = NULL;
    if (cJSON_IsNumber(job) && job->valuedouble >= 1 && job->valuedouble < 9007199254740992.0
        && job->valuedouble == (double) (uint64_t) job->valuedouble)
        request.job_id = (uint64_t) job->valuedouble;
    else if (job_text && *job_text && strspn(job_text, "0123456789") == strlen(job_text)
             && strlen(job_text) <= 18)
        request.job_id = strtoull(job_text, &end, 10);
    static const char *const statuses[] = { "conformant", "minor_nc", "major_nc", "not_applicable" };
    bool status_ok = false;
    for (size_t i = 0; request.status && i < 4; i++)
        status_ok = status_ok || strcmp(request.status, statuses[i]) == 0;
    const char *problem = NULL;
    int32_t expires_day;
    if (!arguments)
        problem = "override needs arguments: {\"job\", \"clause\", \"status\", \"reason\", \"by\"}";
    else if (request.job_id == 0)
        problem = "override: \"job\" must be a job id (a positive integer)";
    else if (!request.clause || !*request.clause)
        problem = "override: \"clause\" is missing";
    else if (!status_ok)
        problem = "override: \"status\" must be conformant, minor_nc, major_nc or not_applicable";
    else if (!request.reason || !*request.reason || strspn(request.reason, " \t\r\n") == strlen(request.reason))
        problem = "override: \"reason\" is missing: say why";
    else if (strlen(request.reason) > REASON_MAX)
        problem = "override: \"reason\" is longer than 4096 bytes";
    else if (!request.by || !*request.by || strspn(request.by, " \t\r\n") == strlen(request.by))
        problem = "override: \"by\" is missing: say who decided";
    else if (strlen(request.by) > BY_MAX)
        problem = "override: \"by\" is longer than 256 bytes";
    else if (request.expires && *request.expires && !date_parse_day(request.expires, &expires_day))
        problem = "override: \"expires\" must be a date, YYYY-MM-DD";
    else if (cJSON_GetObjectItemCaseSensitive(arguments, "standard") && !request.standard)
        problem = "override: \"standard\" must be a string";
    char *body = problem ? refuse(code, problem) : broker_db_override(db, &request, code);
    cJSON_Delete(arguments);
    return body;
}

static char *answer_overrides(broker_db_t *db, assay_msg_t *query, int *code)
{
    if (!*assay_msg_target(query))
        return refuse(code, "overrides needs a batch, unit or job");
    return broker_db_overrides(db, assay_msg_target(query), code);
}

/* stats: the main thread sends what its memory holds as the body; the
   database's counts are added here ("jobs"), so the event loop never
   waits for them. Without the database the memory part still answers. */
static char *answer_stats(broker_db_t *db, assay_msg_t *query, int *code)
{
    cJSON *stats = arguments_of(query);
    if (!stats)
        stats = cJSON_CreateObject();
    int counts_code = ASSAY_CODE_RETRY;
    char *counts = broker_db_ready(db) ? broker_db_job_counts(db, &counts_code) : NULL;
    cJSON *jobs = counts && counts_code == 0 ? cJSON_Parse(counts) : NULL;
    free(counts);
    const cJSON *broker = cJSON_GetObjectItemCaseSensitive(stats, "broker");
    const cJSON *in_memory = cJSON_GetObjectItemCaseSensitive(broker, "queued_in_memory");
    double in_flight = 0;
    const cJSON *worker;
    cJSON_ArrayForEach(worker, cJSON_GetObjectItemCaseSensitive(stats, "workers")) {
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(worker, "in_flight");
        in_flight += cJSON_IsNumber(count) ? count->valuedouble : 0;
    }
    cJSON *queue = cJSON_CreateObject();
    cJSON_AddNumberToObject(queue, "queued_in_memory",
                            cJSON_IsNumber(in_memory) ? in_memory->valuedouble : 0);
    static const char *const names[][2] = {
        { "queued", "queued_in_database" }, { "running", "running_in_database" },
        { "dead", "dead_letters" }, { "failed", "failed" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(jobs, names[i][0]);
        if (cJSON_IsNumber(count))
            cJSON_AddNumberToObject(queue, names[i][1], count->valuedouble);
        else
            cJSON_AddNullToObject(queue, names[i][1]);
    }
    cJSON_AddNumberToObject(queue, "in_flight", in_flight);
    cJSON_AddBoolToObject(queue, "counted_in_database", jobs != NULL);
    cJSON_AddItemToObject(stats, "queue", queue);
    cJSON_Delete(jobs);
    char *text = cJSON_PrintUnformatted(stats);
    cJSON_Delete(stats);
    *code = ASSAY_CODE_OK;
    return text;
}

static void answer(broker_db_t *db, broker_results_t *results, assay_msg_t *query, zsock_t *pipe)
{
    int code = ASSAY_CODE_RETRY;
    char *body = NULL;
    const char *verb = assay_msg_text(query);
    if (strcmp(verb, "stats") == 0)
        body = answer_stats(db, query, &code);
    else if (broker_db_ready(db)) {
        if (strcmp(verb, "status") == 0)
            body = broker_db_status(db, assay_msg_target(query), &code);
        else if (strcmp(verb, "diff") == 0)
            body = answer_diff(db, query, &code);
        else if (strcmp(verb, "history") == 0)
            body = answer_history(db, query, &code);
        else if (strcmp(verb, "override") == 0)
            body = answer_override(db, query, &code);
        else if (strcmp(verb, "overrides") == 0)
            body = answer_overrides(db, query, &code);
        else
            body = answer_results(db, results, query, &code);
    }
    if (!body)
        body = strdup(code == ASSAY_CODE_NOT_FOUND ? "{\"error\":\"no such batch or job\"}"
                                                   : "{\"error\":\"database unavailable\"}");
    assay_msg_t *reply = assay_msg_new(ASSAY_MSG_REPLY);
    assay_msg_set_routing_id(reply, assay_msg_routing_id(query));
    assay_msg_set_request_id(reply, assay_msg_request_id(query));
    assay_msg_set_code(reply, (uint32_t) code);
    assay_msg_set_body(reply, body, strlen(body));
    free(body);
    zmsg_t *encoded = assay_msg_encode(reply);
    assay_msg_destroy(&reply);
    zmsg_send(&encoded, pipe);
}

void broker_query_actor(zsock_t *pipe, void *broker)
{
    /* Only what never changes after start is read from the broker. */
    const broker_t *owner = broker;
    broker_db_t *db = broker_db_new(owner->config.database_url);
    broker_results_t *results = broker_results_new(owner->catalogs);
    zsock_signal(pipe, 0);
    while (true) {
        zmsg_t *msg = zmsg_recv(pipe);
        if (!msg)
            break;
        if (zmsg_size(msg) == 1) {     /* "$TERM" from zactor_destroy */
            zmsg_destroy(&msg);
            break;
        }
        assay_msg_t *query = assay_msg_decode(msg, true, NULL);
        zmsg_destroy(&msg);
        if (query) {
            answer(db, results, query, pipe);
            assay_msg_destroy(&query);
        }
    }
    broker_results_destroy(&results);
    broker_db_destroy(&db);
}
