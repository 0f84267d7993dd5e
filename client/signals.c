/*  signals.c - SIGINT and SIGTERM for the CLI. See signals.h. */
#include "signals.h"

#include <czmq.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught = 0;

static void on_signal(int signal_number)
{
    if (!caught)
        caught = signal_number;
    zsys_interrupted = 1;
    zctx_interrupted = 1;
}

void signals_install(void)
{
    /* czmq installs its own handlers the first time it initialises;
       initialise it now so ours are the ones that stay. */
    zsys_init();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;    /* no SA_RESTART: poll and sleep return at once */
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

int signals_caught(void)
{
    return caught;
}

int signals_exit_code(void)
{
    return caught ? 128 + caught : 0;
}
