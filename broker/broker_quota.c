/*  broker_quota.c - per-identity intake quotas: unfinished jobs and bytes
    per hour (see broker_quota.h for the model).

    Bytes are kept per minute in a ring of 60 buckets, so "the last hour"
    slides by the minute and costs a fixed 60 counters per identity.
*/
#include "broker_quota.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define MINUTES 60
#define MINUTE_MS 60000

typedef struct {
    uint64_t unfinished;
    uint64_t bytes[MINUTES];    /* by minute, ring indexed by minute % 60 */
    int64_t minute;             /* the newest minute the ring holds */
} account_t;

struct _broker_quota_t {
    broker_quota_limits_t limits;
    zhashx_t *accounts;         /* identity -> account_t, owned */
};

static void account_destructor(void **item)
{
    free(*item);
    *item = NULL;
}

broker_quota_t *broker_quota_new(broker_quota_limits_t limits)
{
    broker_quota_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->limits = limits;
    self->accounts = zhashx_new();
    if (!self->accounts) {
        free(self);
        return NULL;
    }
    zhashx_set_destructor(self->accounts, account_destructor);
    return self;
}

void broker_quota_destroy(broker_quota_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->accounts);
    free(*self_p);
    *self_p = NULL;
}

static account_t *account_of(broker_quota_t *self, const char *identity)
{
    account_t *account = zhashx_lookup(self->accounts, identity);
    if (!account && (account = calloc(1, sizeof *account))) {
        if (zhashx_insert(self->accounts, identity, account) != 0) {
            free(account);
            account = NULL;
        }
    }
    return account;
}

/* Move the ring to `minute`, clearing the minutes passed over. */
static void account_advance(account_t *account, int64_t minute)
{
    if (minute <= account->minute)
        return;
    int64_t passed = minute - account->minute;
    for (int64_t m = 1; m <= passed && m <= MINUTES; m++)
        account->bytes[(account->minute + m) % MINUTES] = 0;
    account->minute = minute;
}

static uint64_t account_hour(const account_t *account)
{
    uint64_t sum = 0;
    for (int m = 0; m < MINUTES; m++)
        sum += account->bytes[m];
    return sum;
}

broker_quota_verdict_t broker_quota_admit(broker_quota_t *self, const char *identity,
                                          uint64_t bytes, int64_t now_ms,
                                          char *reason, size_t reason_size)
{
    const broker_quota_limits_t *limits = &self->limits;
    if (limits->bytes_per_hour && bytes > limits->bytes_per_hour) {
        snprintf(reason, reason_size,
                 "quota: a bundle of %" PRIu64 " bytes is over key '%s''s allowance of %" PRIu64
                 " bytes per hour",
                 bytes, identity, limits->bytes_per_hour);
        return BROKER_QUOTA_PERMANENT;
    }
    account_t *account = account_of(self, identity);
    if (!account) {
        snprintf(reason, reason_size, "quota: out of memory");
        return BROKER_QUOTA_TEMPORARY;
    }
    account_advance(account, now_ms / MINUTE_MS);
    if (limits->unfinished_jobs && account->unfinished >= limits->unfinished_jobs) {
        snprintf(reason, reason_size,
                 "quota: key '%s' has %" PRIu64 " unfinished jobs (limit %" PRIu64
                 "); retry when some have finished",
                 identity, account->unfinished, limits->unfinished_jobs);
        return BROKER_QUOTA_TEMPORARY;
    }
    uint64_t hour = account_hour(account);
    if (limits->bytes_per_hour && hour + bytes > limits->bytes_per_hour) {
        snprintf(reason, reason_size,
                 "quota: key '%s' submitted %" PRIu64 " bytes in the last hour (limit %" PRIu64
                 "); retry later",
                 identity, hour, limits->bytes_per_hour);
        return BROKER_QUOTA_TEMPORARY;
    }
    account->bytes[account->minute % MINUTES] += bytes;
    account->unfinished++;
    return BROKER_QUOTA_ADMITTED;
}

void broker_quota_unadmit(broker_quota_t *self, const char *identity)
{
    account_t *account = zhashx_lookup(self->accounts, identity);
    if (account && account->unfinished > 0)
        account->unfinished--;
}

void broker_quota_refresh_begin(broker_quota_t *self)
{
    for (account_t *account = zhashx_first(self->accounts); account;
         account = zhashx_next(self->accounts))
        account->unfinished = 0;
}

void broker_quota_set_unfinished(broker_quota_t *self, const char *identity, uint64_t count)
{
    account_t *account = account_of(self, identity);
    if (account)
        account->unfinished = count;
}

uint64_t broker_quota_unfinished(broker_quota_t *self, const char *identity)
{
    account_t *account = zhashx_lookup(self->accounts, identity);
    return account ? account->unfinished : 0;
}

uint64_t broker_quota_bytes_last_hour(broker_quota_t *self, const char *identity, int64_t now_ms)
{
    account_t *account = zhashx_lookup(self->accounts, identity);
    if (!account)
        return 0;
    account_advance(account, now_ms / MINUTE_MS);
    return account_hour(account);
}
