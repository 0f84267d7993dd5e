/*  signals.h - SIGINT and SIGTERM for the CLI.

    `assay` never cancels anything when interrupted: the jobs belong to
    the broker. It only has to stop waiting and exit 130 (SIGINT) or 143
    (SIGTERM) so schedulers can tell an interruption from a failure. The
    handlers record the signal and wake czmq's blocking calls (they run
    without SA_RESTART, and set zsys_interrupted as czmq's own would).
*/
#ifndef ASSAY_CLIENT_SIGNALS_H_INCLUDED
#define ASSAY_CLIENT_SIGNALS_H_INCLUDED

/* Install the handlers (after czmq's, replacing them). */
void signals_install(void);
/* The signal caught so far, or 0. */
int signals_caught(void);
/* 128 + the signal: 130 for SIGINT, 143 for SIGTERM. */
int signals_exit_code(void);

#endif
