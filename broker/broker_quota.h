/*  broker_quota.h - per-identity intake quotas.

    Each client identity (a certificate's name) may hold at most so many
    unfinished jobs (queued or running) and submit at most so many bundle
    bytes per hour. A submission over a quota is refused before it is
    checked or stored: temporarily (the client may retry later: its jobs
    finish, the hour moves on) or permanently (a single bundle larger than
    a whole hour's allowance can never pass).

    The unfinished counts come from the database (the jobs table is the
    truth: jobs finish on workers, and after a restart) via
    broker_quota_set_unfinished; between two refreshes the jobs admitted
    here are added on top, so a fast submitter cannot outrun the refresh.

    Owned and used by the broker's main loop only: not thread-safe.
*/
#ifndef ASSAY_BROKER_QUOTA_H_INCLUDED
#define ASSAY_BROKER_QUOTA_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct _broker_quota_t broker_quota_t;

typedef struct {
    uint64_t unfinished_jobs;   /* per identity; 0: no limit */
    uint64_t bytes_per_hour;    /* per identity; 0: no limit */
} broker_quota_limits_t;

typedef enum {
    BROKER_QUOTA_ADMITTED,
    BROKER_QUOTA_TEMPORARY,     /* over a limit now: retry later (exit 75) */
    BROKER_QUOTA_PERMANENT      /* can never pass (exit 2) */
} broker_quota_verdict_t;

/* A quota book with these limits; NULL on allocation failure. */
broker_quota_t *broker_quota_new(broker_quota_limits_t limits);
void broker_quota_destroy(broker_quota_t **self_p);

/* May `identity` submit a bundle of `bytes` now (`now_ms`: any monotonic
   clock in milliseconds)? When admitted, the bytes are charged to the
   hour and one job is counted as unfinished. Otherwise `reason` (of
   `reason_size`) says which limit, with the figures. */
broker_quota_verdict_t broker_quota_admit(broker_quota_t *self, const char *identity,
                                          uint64_t bytes, int64_t now_ms,
                                          char *reason, size_t reason_size);

/* An admitted submission did not become a new job (refused by its checks,
   or a repeat of an existing job): give its job back. */
void broker_quota_unadmit(broker_quota_t *self, const char *identity);

/* The database's count of unfinished jobs for `identity`, replacing what
   was counted since the last refresh. Identities absent from a refresh
   should be given 0: see broker_quota_refresh_begin. */
void broker_quota_refresh_begin(broker_quota_t *self);
void broker_quota_set_unfinished(broker_quota_t *self, const char *identity, uint64_t count);

/* What `identity` holds now: unfinished jobs and bytes in the last hour. */
uint64_t broker_quota_unfinished(broker_quota_t *self, const char *identity);
uint64_t broker_quota_bytes_last_hour(broker_quota_t *self, const char *identity, int64_t now_ms);

#endif
