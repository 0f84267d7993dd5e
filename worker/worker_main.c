/*  worker_main.c - assay-worker's command line. */
#include "util.h"
#include "worker.h"

#include <czmq.h>
#include <getopt.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
        "usage: assay-worker [options]\n"
        "\n"
        "Takes assessment jobs from the broker, evaluates them with the compiled\n"
        "catalogs and writes the verdicts to PostgreSQL. Run as many as you like,\n"
        "on as many machines as you like: each announces its free slots.\n"
        "\n"
        "  --broker ENDPOINT     broker's worker endpoint (env ASSAY_WORKER_ENDPOINT,\n"
        "                        default tcp://127.0.0.1:5556)\n"
        "  --database URL        libpq conninfo or URI (env ASSAY_DATABASE_URL)\n"
        "  --catalogs DIR[:DIR]  extra catalog folders (env ASSAY_CATALOGS)\n"
        "  --name NAME           name shown by `assay stats` (default HOST-PID)\n"
        "  --slots N             jobs held at once, the credit (default 16): enough\n"
        "                        to keep evaluators busy while results commit\n"
        "  --threads N           evaluator threads (default: CPU cores)\n"
        "  --heartbeat-ms N      heartbeat interval (default 1000)\n"
        "  --liveness N          missed heartbeats before reconnecting (default 3)\n"
        "  --shutdown-ms N       on SIGTERM, time to finish in-flight jobs (default 10000)\n"
        "  --help                this text\n");
}

int main(int argc, char **argv)
{
    worker_config_t config;
    worker_config_defaults(&config);
    config.broker_endpoint = util_env("ASSAY_WORKER_ENDPOINT", config.broker_endpoint);
    config.database_url = util_env("ASSAY_DATABASE_URL", config.database_url);
    static const struct option options[] = {
        { "broker", required_argument, NULL, 'b' }, { "database", required_argument, NULL, 'd' },
        { "catalogs", required_argument, NULL, 'C' }, { "name", required_argument, NULL, 'n' },
        { "slots", required_argument, NULL, 's' }, { "threads", required_argument, NULL, 't' }, { "heartbeat-ms", required_argument, NULL, 'H' },
        { "liveness", required_argument, NULL, 'L' }, { "shutdown-ms", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    int option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        unsigned long value = 0;
        if (strchr("stHLS", option) && (!util_parse_uint(optarg, 1000000, &value) || value == 0)) {
            fprintf(stderr, "assay-worker: %s takes a positive number, not '%s'\n",
                    argv[optind - 1], optarg);
            return 2;
        }
        switch (option) {
        case 'b': config.broker_endpoint = optarg; break;
        case 'd': config.database_url = optarg; break;
        case 'C': config.catalogs = optarg; break;
        case 'n': config.name = optarg; break;
        case 's': config.slots = (int) value; break;
        case 't': config.threads = (int) value; break;
        case 'H': config.heartbeat_ms = (int) value; break;
        case 'L': config.liveness = (int) value; break;
        case 'S': config.shutdown_ms = (int) value; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "assay-worker: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char name[300];
    if (!config.name) {
        char host[256] = "worker";
        gethostname(host, sizeof host - 1);
        snprintf(name, sizeof name, "%s-%d", host, (int) getpid());
        config.name = name;
    }
    zsys_init();
    zsys_set_logident("assay-worker");
    return worker_run(&config);
}
