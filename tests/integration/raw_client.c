/*  raw_client.c - a test client that skips every client-side check.

    `assay submit` validates a bundle before it sends it, so it can never
    show whether the broker defends itself. This sends the bytes of FILE,
    unread and unvalidated, as the body of one SUBMIT (built by the proto/
    codec like any other client's) and prints the answer:

        raw_client [--broker EP] [--standard IDS] [--batch NAME] [--key KEY]
                   [--timeout MS] FILE

        ACCEPTED job=ID batch=NAME existing=0|1        exit 0
        REFUSED code=CODE                              exit CODE
        TEXT (the broker's message, as sent)

    No answer within the timeout (default 30000 ms): exit 75, as the CLI
    does when the broker is unreachable. Bad usage: exit 64, a code the
    broker never sends, so a test cannot mistake it for a refusal.
    --broker defaults to $ASSAY_BROKER, then tcp://127.0.0.1:5555.
*/
#include "assay_msg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_BAD_USAGE 64
#define EXIT_NO_ANSWER 75

/* The whole file, any bytes (NUL included): the point is to send what a
   careful client would never send. Anything larger than a message can
   carry is refused here, since the encoder would refuse it anyway. */
static char *s_read_all(const char *path, size_t *size)
{
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "raw_client: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t capacity = 1 << 16, used = 0;
    char *data = malloc(capacity);
    while (data) {
        if (used == capacity) {
            if (capacity >= ASSAY_MSG_MAX_BYTES) {
                fprintf(stderr, "raw_client: %s: larger than a message can carry\n", path);
                free(data);
                data = NULL;
                break;
            }
            capacity *= 2;
            char *bigger = realloc(data, capacity);
            if (!bigger) {
                free(data);
                data = NULL;
                break;
            }
            data = bigger;
        }
        size_t got = fread(data + used, 1, capacity - used, file);
        used += got;
        if (got == 0) {
            if (ferror(file)) {
                fprintf(stderr, "raw_client: %s: read error\n", path);
                free(data);
                data = NULL;
            }
            break;
        }
    }
    if (file != stdin)
        fclose(file);
    *size = used;
    return data;
}

static int s_usage(void)
{
    fprintf(stderr, "usage: raw_client [--broker EP] [--standard IDS] [--batch NAME] "
                    "[--key KEY] [--timeout MS] FILE\n");
    return EXIT_BAD_USAGE;
}

int main(int argc, char *argv[])
{
    const char *broker = getenv("ASSAY_BROKER");
    if (!broker || !*broker)
        broker = "tcp://127.0.0.1:5555";
    const char *standards = "iso13485-2016", *batch = "", *key = "", *path = NULL;
    int timeout_ms = 30000;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--broker") == 0 && has_value)
            broker = argv[++i];
        else if (strcmp(arg, "--standard") == 0 && has_value)
            standards = argv[++i];
        else if (strcmp(arg, "--batch") == 0 && has_value)
            batch = argv[++i];
        else if (strcmp(arg, "--key") == 0 && has_value)
            key = argv[++i];
        else if (strcmp(arg, "--timeout") == 0 && has_value)
            timeout_ms = atoi(argv[++i]);
        else if (!path && (arg[0] != '-' || strcmp(arg, "-") == 0))
            path = arg;
        else
            return s_usage();
    }
    if (!path || timeout_ms <= 0)
        return s_usage();

    size_t size = 0;
    char *body = s_read_all(path, &size);
    if (!body)
        return EXIT_BAD_USAGE;

    /* Keep the process quiet: czmq would otherwise log to stderr, which
       the tests read for the broker's message. */
    zsys_init();
    zsys_set_logstream(NULL);
    zsock_t *socket = zsock_new(ZMQ_DEALER);
    if (!socket || zsock_connect(socket, "%s", broker) != 0) {
        fprintf(stderr, "raw_client: cannot connect to %s\n", broker);
        free(body);
        zsock_destroy(&socket);
        return EXIT_BAD_USAGE;
    }
    /* A 16 MiB body may still be queued when we give up waiting; linger
       only as long as the wait itself so the process always ends. */
    zsock_set_linger(socket, timeout_ms);

    /* A request id that is not 1, so an echo of the wrong field shows. */
    uint64_t request_id = ((uint64_t) getpid() << 20) | 0x5eed;
    assay_msg_t *submit = assay_msg_new(ASSAY_MSG_SUBMIT);
    assay_msg_set_request_id(submit, request_id);
    assay_msg_set_batch(submit, batch);
    assay_msg_set_key(submit, key);
    assay_msg_set_standards(submit, standards);
    assay_msg_set_body(submit, body, size);
    free(body);
    const char *reason = NULL;
    if (assay_msg_check(submit, &reason) != 0) {
        /* Only the body is arbitrary; the other fields come from the
           command line and must still make a message. */
        fprintf(stderr, "raw_client: cannot encode the SUBMIT: %s\n", reason);
        assay_msg_destroy(&submit);
        zsock_destroy(&socket);
        return EXIT_BAD_USAGE;
    }
    if (assay_msg_send(&submit, socket) != 0) {
        fprintf(stderr, "raw_client: cannot send to %s\n", broker);
        zsock_destroy(&socket);
        return EXIT_NO_ANSWER;
    }

    int rc = EXIT_NO_ANSWER;
    zpoller_t *poller = zpoller_new(socket, NULL);
    int64_t deadline = zclock_mono() + timeout_ms;
    while (rc == EXIT_NO_ANSWER) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0 || !zpoller_wait(poller, (int) left)) {
            fprintf(stderr, "raw_client: no answer from %s within %d ms\n", broker, timeout_ms);
            break;
        }
        assay_msg_t *answer = assay_msg_recv(socket, &reason);
        if (!answer) {
            fprintf(stderr, "raw_client: undecodable answer: %s\n", reason ? reason : "interrupted");
            break;
        }
        if (assay_msg_request_id(answer) != request_id)
            fprintf(stderr, "raw_client: ignoring an answer to request %" PRIu64 "\n",
                    assay_msg_request_id(answer));
        else if (assay_msg_id(answer) == ASSAY_MSG_ACCEPTED) {
            printf("ACCEPTED job=%" PRIu64 " batch=%s existing=%d\n", assay_msg_job_id(answer),
                   assay_msg_batch(answer), assay_msg_existing(answer) ? 1 : 0);
            rc = 0;
        } else if (assay_msg_id(answer) == ASSAY_MSG_REFUSED) {
            printf("REFUSED code=%" PRIu32 "\n%s\n", assay_msg_code(answer), assay_msg_text(answer));
            /* A refusal with code 0 would read as success: make it loud. */
            rc = assay_msg_code(answer) ? (int) (assay_msg_code(answer) & 0xff) : 70;
        } else {
            fprintf(stderr, "raw_client: unexpected %s\n", assay_msg_command(answer));
            rc = 70;
        }
        assay_msg_destroy(&answer);
    }
    fflush(stdout);
    zpoller_destroy(&poller);
    zsock_set_linger(socket, 0);
    zsock_destroy(&socket);
    return rc;
}
