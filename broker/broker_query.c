/*  broker_query.c - the broker's read-query thread.

    Status and results can be large and slow to read; answering them here,
    on a connection of their own, keeps the main loop dispatching. The main
    thread forwards each QUERY as an encoded message; we answer with an
    encoded REPLY that already carries the client's routing id, so the main
    thread only has to pass it on.
*/
#include "broker_internal.h"

#include <inttypes.h>

#define RESULTS_PAGE_DEFAULT 100
#define RESULTS_PAGE_MAX 1000

/* Results arguments: {"after": JOB, "limit": N, "full": BOOL}. */
static char *answer_results(broker_db_t *db, assay_msg_t *query, int *code)
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
    return broker_db_results(db, assay_msg_target(query), after, limit, full, code);
}

static void answer(broker_db_t *db, assay_msg_t *query, zsock_t *pipe)
{
    int code = ASSAY_CODE_RETRY;
    char *body = NULL;
    if (broker_db_ready(db)) {
        if (strcmp(assay_msg_text(query), "status") == 0)
            body = broker_db_status(db, assay_msg_target(query), &code);
        else
            body = answer_results(db, query, &code);
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

void broker_query_actor(zsock_t *pipe, void *database_url)
{
    broker_db_t *db = broker_db_new(database_url);
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
            answer(db, query, pipe);
            assay_msg_destroy(&query);
        }
    }
    broker_db_destroy(&db);
}
