/*  broker_main.c - assay-broker's command line. */
#include "broker.h"
#include "util.h"

#include <czmq.h>
#include <getopt.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *out)
{
    fprintf(out,
        "usage: assay-broker [options]\n"
        "\n"
        "Accepts assessment jobs from clients, stores them in PostgreSQL, and\n"
        "dispatches them to workers by credit, with leases and heartbeats.\n"
        "\n"
        "  --clients ENDPOINT      client ROUTER endpoint (default tcp://*:5555)\n"
        "  --workers ENDPOINT      worker ROUTER endpoint (default tcp://*:5556)\n"
        "  --database URL          libpq conninfo or URI (env ASSAY_DATABASE_URL)\n"
        "  --catalogs DIR[:DIR]    extra catalog folders (env ASSAY_CATALOGS)\n"
        "  --heartbeat-ms N        worker heartbeat interval (default 1000)\n"
        "  --liveness N            missed heartbeats before a worker is lost (default 3)\n"
        "  --deadline-ms N         a running job is requeued after this (default 60000)\n"
        "  --lease-grace-ms N      after a restart, time for workers to reclaim (default 5000)\n"
        "  --max-attempts N        attempts before a job is dead-lettered (default 3)\n"
        "  --retry-backoff-ms N    delay after a failed attempt, doubling (default 1000)\n"
        "  --max-jobs-in-memory N  jobs cached; the rest wait in PostgreSQL (default 100000)\n"
        "  --max-bundle-bytes N    largest bundle accepted (default 16777216)\n"
        "  --validators N          threads checking submitted bundles (default 2)\n"
        "  --help                  this text\n"
        "\n"
        "Stops cleanly on SIGTERM or SIGINT (exit 0): what was accepted is in PostgreSQL.\n");
}

int main(int argc, char **argv)
{
    broker_config_t config;
    broker_config_defaults(&config);
    config.database_url = util_env("ASSAY_DATABASE_URL", config.database_url);
    static const struct option options[] = {
        { "clients", required_argument, NULL, 'c' }, { "workers", required_argument, NULL, 'w' },
        { "database", required_argument, NULL, 'd' }, { "catalogs", required_argument, NULL, 'C' },
        { "heartbeat-ms", required_argument, NULL, 'H' }, { "liveness", required_argument, NULL, 'L' },
        { "deadline-ms", required_argument, NULL, 'D' }, { "lease-grace-ms", required_argument, NULL, 'G' },
        { "max-attempts", required_argument, NULL, 'A' }, { "retry-backoff-ms", required_argument, NULL, 'B' },
        { "max-jobs-in-memory", required_argument, NULL, 'M' },
        { "max-bundle-bytes", required_argument, NULL, 'S' },
        { "validators", required_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        unsigned long value = 0;
        bool numeric = strchr("HLDGABMSV", option) != NULL;
        if (numeric && (!util_parse_uint(optarg, 1ul << 40, &value) || value == 0)) {
            fprintf(stderr, "assay-broker: %s takes a positive number, not '%s'\n",
                    argv[optind - 1], optarg);
            return 2;
        }
        switch (option) {
        case 'c': config.client_endpoint = optarg; break;
        case 'w': config.worker_endpoint = optarg; break;
        case 'd': config.database_url = optarg; break;
        case 'C': config.catalogs = optarg; break;
        case 'H': config.heartbeat_ms = (int) value; break;
        case 'L': config.liveness = (int) value; break;
        case 'D': config.deadline_ms = (int) value; break;
        case 'G': config.lease_grace_ms = (int) value; break;
        case 'A': config.max_attempts = (int) value; break;
        case 'B': config.retry_backoff_ms = (int) value; break;
        case 'M': config.max_jobs_in_memory = value; break;
        case 'S': config.max_bundle_bytes = value; break;
        case 'V':
            if (value > 64) {
                fprintf(stderr, "assay-broker: --validators takes at most 64, not %lu\n", value);
                return 2;
            }
            config.validators = (int) value;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "assay-broker: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
#if defined(__GLIBC__)
    /* Bundles come and go by the thousand, up to 16 MiB each: keep freed
       heap for the next ones instead of returning it to the kernel and
       taking a page fault per 4 KiB to get it back (most of the cost of
       a large bundle on a virtual machine). Peak use is bounded anyway
       (--max-bundle-bytes, intake's own bounds). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
    zsys_init();
    zsys_set_logident("assay-broker");
    char error[4096];
    broker_t *broker = broker_new(&config, error, sizeof error);
    if (!broker) {
        fprintf(stderr, "assay-broker: %s\n", error);
        return 1;
    }
    int rc = broker_run(broker);
    broker_destroy(&broker);
    return rc;
}
