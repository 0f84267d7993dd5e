/*  cmd_admin.c - the small broker queries: `assay status`, `stats`,
    `cancel` and `retry`. Each is one QUERY and one REPLY; the output is
    a short table for people or, with --format json, the broker's JSON on
    one line.
*/
#include "commands.h"
#include "display.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One QUERY; on failure prints why and returns the exit code, else 0
   with *body set (caller deletes). */
static int query(const args_t *args, client_conn_t *conn, const char *verb, const char *target,
                 cJSON **body)
{
    uint32_t code = 0;
    *body = NULL;
    client_conn_result_t result = client_conn_query(conn, verb, target, NULL, &code, body);
    if (result == CLIENT_CONN_OK && code == ASSAY_CODE_OK && *body)
        return EXIT_DONE;
    /* Name the target when there is one ("b1: no such batch or job"). */
    char what[320];
    snprintf(what, sizeof what, "%s", target ? target : verb);
    int rc = result == CLIENT_CONN_OK && code == ASSAY_CODE_OK
        ? (fprintf(stderr, "assay %s: %s: the broker's answer is not JSON\n", args->command, what),
           EXIT_UNAVAILABLE)
        : cli_request_failed(args->command, what, result, code, *body);
    cJSON_Delete(*body);
    *body = NULL;
    return rc;
}

static double number_of(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

int cmd_status(const args_t *args)
{
    bool json = false;
    int rc = EXIT_DONE;
    client_conn_t *conn = cli_connect_to_query(args, 1, "one BATCH or JOB", &json, &rc);
    if (!conn)
        return rc;
    cJSON *body = NULL;
    rc = query(args, conn, "status", args->positional[0], &body);
    if (rc == EXIT_DONE) {
        if (json)
            cli_print_json_line(body);
        else if ((rc = cli_escape_answer(args->command, body)) == EXIT_DONE) {
            char target[600];
            const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "kind"));
            printf("%s %s: %.0f jobs\n", kind ? kind : "target",
                   display_escape_into(args->positional[0], target, sizeof target),
                   number_of(body, "total"));
            static const char *const states[] = {
                "queued", "running", "done", "failed", "dead", "cancelled"
            };
            for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
                printf("  %-10s %8.0f\n", states[i], number_of(body, states[i]));
            const char *created = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(body, "first_created"));
            const char *finished = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(body, "last_finished"));
            if (created)
                printf("  %-10s %s\n", "created", created);
            if (finished)
                printf("  %-10s %s\n", "finished", finished);
        }
    }
    cJSON_Delete(body);
    client_conn_destroy(&conn);
    return rc;
}

/* A scalar for the stats table. */
static void print_scalar(const cJSON *item)
{
    if (cJSON_IsNumber(item)) {
        char number[32];
        format_number(item->valuedouble, number);
        fputs(number, stdout);
    } else if (cJSON_IsBool(item))
        fputs(cJSON_IsTrue(item) ? "yes" : "no", stdout);
    else if (cJSON_IsString(item))
        fputs(item->valuestring, stdout);
    else
        fputs("-", stdout);
}

/* One line of the queue section: a count, or "?" when the database could
   not be asked. */
static void print_count(const char *label, const cJSON *item, const char *detail)
{
    printf("  %-26s ", label);
    if (cJSON_IsNumber(item))
        printf("%.0f", item->valuedouble);
    else
        fputs("? (database unavailable)", stdout);
    if (detail && *detail)
        printf("  %s", detail);
    fputc('\n', stdout);
}

static void print_stats(const cJSON *body)
{
    /* The queue first: what operators look at. */
    const cJSON *queue = cJSON_GetObjectItemCaseSensitive(body, "queue");
    if (cJSON_IsObject(queue)) {
        char detail[160];
        printf("queue\n");
        snprintf(detail, sizeof detail, "(in the database; %.0f of them cached in the broker)",
                 number_of(queue, "queued_in_memory"));
        print_count("queued", cJSON_GetObjectItemCaseSensitive(queue, "queued_in_database"),
                    detail);
        const cJSON *running = cJSON_GetObjectItemCaseSensitive(queue, "running_in_database");
        if (cJSON_IsNumber(running))
            snprintf(detail, sizeof detail, "(leased to workers; running in the database: %.0f)",
                     running->valuedouble);
        else
            snprintf(detail, sizeof detail, "(leased to workers)");
        print_count("in flight", cJSON_GetObjectItemCaseSensitive(queue, "in_flight"), detail);
        print_count("dead letters", cJSON_GetObjectItemCaseSensitive(queue, "dead_letters"),
                    "(assay retry BATCH|JOB queues them again)");
        print_count("failed", cJSON_GetObjectItemCaseSensitive(queue, "failed"), NULL);
    }
    const cJSON *broker = cJSON_GetObjectItemCaseSensitive(body, "broker");
    const cJSON *item;
    printf("broker\n");
    cJSON_ArrayForEach(item, broker) {
        if (cJSON_IsObject(item)) {
            printf("  %s\n", item->string);
            const cJSON *counter;
            cJSON_ArrayForEach(counter, item) {
                printf("    %-24s ", counter->string);
                print_scalar(counter);
                fputc('\n', stdout);
            }
        } else {
            printf("  %-26s ", item->string);
            print_scalar(item);
            fputc('\n', stdout);
        }
    }
    const cJSON *workers = cJSON_GetObjectItemCaseSensitive(body, "workers");
    printf("workers: %d\n", cJSON_GetArraySize(workers));
    if (cJSON_GetArraySize(workers) == 0)
        return;
    size_t name_width = 4;
    const cJSON *worker;
    cJSON_ArrayForEach(worker, workers) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(worker, "name"));
        if (name && strlen(name) > name_width)
            name_width = strlen(name);
    }
    printf("  %-*s  %-23s %8s %9s %6s %8s %10s %6s\n", (int) name_width, "NAME",
           "LAST HEARTBEAT (UTC)", "AGO_MS", "IN_FLIGHT", "CREDIT", "DONE", "RATE/S_1M", "FAILED");
    cJSON_ArrayForEach(worker, workers) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(worker, "name"));
        const char *heartbeat = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(worker, "last_heartbeat"));
        char when[32], rate[32];
        snprintf(when, sizeof when, "%.23s", heartbeat ? heartbeat : "-");
        if (strlen(when) > 10 && when[10] == 'T')
            when[10] = ' ';
        format_number(number_of(worker, "rate_per_s"), rate);
        printf("  %-*s  %-23s %8.0f %9.0f %6.0f %8.0f %10s %6.0f\n", (int) name_width,
               name ? name : "?", when, number_of(worker, "last_heartbeat_ms"),
               number_of(worker, "in_flight"), number_of(worker, "credit"),
               number_of(worker, "done"), rate, number_of(worker, "failed"));
    }
}

int cmd_stats(const args_t *args)
{
    if (args->positional_count != 0)
        return cli_usage_error(args->command, "takes no arguments");
    bool json = false;
    int rc = cli_table_or_json(args, &json);
    if (rc != EXIT_DONE)
        return rc;
    client_conn_t *conn = cli_connect(args, &rc);
    if (!conn)
        return rc;
    cJSON *body = NULL;
    rc = query(args, conn, "stats", NULL, &body);
    if (rc == EXIT_DONE) {
        if (json)
            cli_print_json_line(body);
        else if ((rc = cli_escape_answer(args->command, body)) == EXIT_DONE)
            print_stats(body);
    }
    cJSON_Delete(body);
    client_conn_destroy(&conn);
    return rc;
}

/* cancel and retry: the broker changes what it finds and says how many;
   it cannot tell "nothing to change" from "no such target", so ask the
   status first to give 4 for a name that does not exist. */
static int change(const args_t *args, const char *verb, const char *counter, const char *done)
{
    int rc = cli_expect_arguments(args, 1, "one BATCH or JOB");
    if (rc != EXIT_DONE)
        return rc;
    client_conn_t *conn = cli_connect(args, &rc);
    if (!conn)
        return rc;
    const char *target = args->positional[0];
    cJSON *body = NULL;
    rc = query(args, conn, "status", target, &body);
    cJSON_Delete(body);
    if (rc == EXIT_DONE)
        rc = query(args, conn, verb, target, &body);
    if (rc == EXIT_DONE) {
        char shown[600];
        printf("%s: %s %.0f jobs\n", display_escape_into(target, shown, sizeof shown), done,
               number_of(body, counter));
        cJSON_Delete(body);
    }
    client_conn_destroy(&conn);
    return rc;
}

int cmd_cancel(const args_t *args)
{
    return change(args, "cancel", "cancelled", "cancelled");
}

int cmd_retry(const args_t *args)
{
    return change(args, "retry", "requeued", "requeued");
}
