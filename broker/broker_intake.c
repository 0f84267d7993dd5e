/*  broker_intake.c - durable intake of submissions.

    A group of SUBMIT messages (whatever arrived together) is validated
    with the same engine the workers use, then committed in one
    transaction; only after COMMIT succeeds is any of them answered
    ACCEPTED. If the database is down or the transaction fails, every
    valid submission of the group is refused with the retryable code, so
    nothing is acknowledged that is not durable.
*/
#include "broker_internal.h"
#include "util.h"

#include <inttypes.h>

typedef struct {
    assay_msg_t *msg;
    bool valid;
    char *standards;
    char *unit_id;
    char sha256[65];
    char key[65 + 8];
    broker_submit_result_t result;
} submission_t;

static void refuse(broker_t *self, assay_msg_t *msg, int code, const char *text)
{
    assay_msg_t *answer = assay_msg_new(ASSAY_MSG_REFUSED);
    assay_msg_set_routing_id(answer, assay_msg_routing_id(msg));
    assay_msg_set_request_id(answer, assay_msg_request_id(msg));
    assay_msg_set_code(answer, (uint32_t) code);
    size_t length = strlen(text);
    if (length < ASSAY_MSG_MAX_TEXT)
        assay_msg_set_text(answer, text);
    else {
        /* A bundle with thousands of errors: send the first ones, cut on
           a line end so the text stays valid UTF-8. */
        char *cut = strndup(text, ASSAY_MSG_MAX_TEXT - 64);
        char *line_end = strrchr(cut, '\n');
        if (line_end)
            *line_end = '\0';
        char *shortened = zsys_sprintf("%s\n(more errors not shown)", cut);
        assay_msg_set_text(answer, shortened);
        zstr_free(&shortened);
        free(cut);
    }
    broker_send_client(self, &answer);
    self->counters.refused++;
}

static void accept_submission(broker_t *self, submission_t *submission, const char *batch)
{
    assay_msg_t *answer = assay_msg_new(ASSAY_MSG_ACCEPTED);
    assay_msg_set_routing_id(answer, assay_msg_routing_id(submission->msg));
    assay_msg_set_request_id(answer, assay_msg_request_id(submission->msg));
    assay_msg_set_job_id(answer, submission->result.job_id);
    assay_msg_set_batch(answer, batch);
    assay_msg_set_existing(answer, submission->result.existing);
    broker_send_client(self, &answer);
}

/* The same checks `assay submit` makes, for clients that skipped them. */
static bool validate(broker_t *self, submission_t *submission)
{
    assay_msg_t *msg = submission->msg;
    char error[512];
    if (assay_msg_body_size(msg) > self->config.max_bundle_bytes) {
        snprintf(error, sizeof error, "bundle of %zu bytes is over the limit of %zu bytes",
                 assay_msg_body_size(msg), self->config.max_bundle_bytes);
        refuse(self, msg, ASSAY_CODE_BAD_INPUT, error);
        return false;
    }
    submission->standards = util_standards_resolve(self->catalogs, assay_msg_standards(msg),
                                                   error, sizeof error);
    if (!submission->standards) {
        refuse(self, msg, ASSAY_CODE_BAD_INPUT, error);
        return false;
    }
    diag_list_t *diags = diag_list_new();
    bundle_limits_t limits = { .max_bytes = self->config.max_bundle_bytes };
    bundle_t *bundle = bundle_parse("bundle", assay_msg_body(msg), assay_msg_body_size(msg),
                                    self->catalogs, &limits, diags);
    if (!bundle) {
        char *text = diag_list_format(diags);
        refuse(self, msg, ASSAY_CODE_BAD_INPUT, text ? text : "invalid bundle");
        free(text);
        diag_list_destroy(&diags);
        return false;
    }
    submission->unit_id = strdup(bundle_unit_id(bundle));
    bundle_destroy(&bundle);
    diag_list_destroy(&diags);

    engine_sha256_hex(assay_msg_body(msg), assay_msg_body_size(msg), submission->sha256);
    if (*assay_msg_key(msg))
        snprintf(submission->key, sizeof submission->key, "%s", assay_msg_key(msg));
    else {
        /* Default key: unit, standards and exact content, so a scheduler
           that resubmits the same thing gets the same job back. */
        char *material = zsys_sprintf("%s\n%s\n%s", submission->unit_id, submission->standards,
                                      submission->sha256);
        snprintf(submission->key, sizeof submission->key, "sha256:");
        engine_sha256_hex(material, strlen(material), submission->key + 7);
        zstr_free(&material);
    }
    return true;
}

/* Store the group; returns false when nothing could be made durable. */
static bool store(broker_t *self, submission_t *submissions, size_t count, const char *batches[])
{
    if (!broker_db_ready(self->db) || broker_db_begin(self->db) != 0)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (!submissions[i].valid)
            continue;
        assay_msg_t *msg = submissions[i].msg;
        broker_submission_t row = {
            .batch = batches[i], .key = submissions[i].key, .unit_id = submissions[i].unit_id,
            .standards = submissions[i].standards, .sha256 = submissions[i].sha256,
            .content = assay_msg_body(msg), .max_attempts = self->config.max_attempts,
        };
        if (broker_db_submit(self->db, &row, &submissions[i].result) != 0) {
            broker_db_rollback(self->db);
            return false;
        }
    }
    return broker_db_commit(self->db) == 0;
}

static void answer(broker_t *self, submission_t *submission, const char *batch)
{
    if (submission->result.conflict) {
        char text[256];
        snprintf(text, sizeof text, "key '%s' is already used by job %" PRIu64
                 " with another bundle or other standards", submission->key,
                 submission->result.job_id);
        refuse(self, submission->msg, ASSAY_CODE_BAD_INPUT, text);
        return;
    }
    accept_submission(self, submission, batch);
    if (submission->result.existing) {
        self->counters.existing++;
        return;
    }
    self->counters.accepted++;
    /* Cache the new job unless the cache is full: then it waits in the
       database and is loaded, in id order, as room frees up. */
    if (!self->spilled && zhashx_size(self->jobs) < self->config.max_jobs_in_memory) {
        broker_job_add(self, submission->result.job_id, 0, false, 0);
        if (submission->result.job_id > self->loaded_upto)
            self->loaded_upto = submission->result.job_id;
    } else
        self->spilled = true;
}

void broker_intake(broker_t *self, assay_msg_t **submits, size_t count)
{
    submission_t *submissions = calloc(count, sizeof *submissions);
    const char **batches = calloc(count, sizeof *batches);
    char default_batch[64];
    snprintf(default_batch, sizeof default_batch, "batch-%" PRId64, zclock_time());
    size_t valid = 0;
    for (size_t i = 0; i < count; i++) {
        submissions[i].msg = submits[i];
        submissions[i].valid = validate(self, &submissions[i]);
        batches[i] = *assay_msg_batch(submits[i]) ? assay_msg_batch(submits[i]) : default_batch;
        valid += submissions[i].valid;
    }
    if (valid > 0) {
        if (!self->recovered || !store(self, submissions, count, batches)) {
            char text[600];
            snprintf(text, sizeof text, "not accepted, retry later: %s",
                     self->recovered ? broker_db_error(self->db) : "broker still recovering");
            for (size_t i = 0; i < count; i++)
                if (submissions[i].valid)
                    refuse(self, submissions[i].msg, ASSAY_CODE_RETRY, text);
        } else
            for (size_t i = 0; i < count; i++)
                if (submissions[i].valid)
                    answer(self, &submissions[i], batches[i]);
    }
    for (size_t i = 0; i < count; i++) {
        free(submissions[i].standards);
        free(submissions[i].unit_id);
        assay_msg_destroy(&submits[i]);
    }
    free(submissions);
    free(batches);
}
