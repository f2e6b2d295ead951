/*
 * A small NETCONF client on Debian's libnetconf2 (2.0.x), the library under
 * Netopeer2's netopeer2-cli: a second, independent implementation of the
 * RFC 8526 (NMDA) and RFC 8639/8641 (subscribed notifications, YANG-push)
 * client side to test bmpd against. Tests compile it with
 *   cc -o nc-client nc-client.c $(pkg-config --cflags --libs libnetconf2 libyang)
 *
 * Usage:
 *   nc-client HOST PORT USER AUTH COMMAND [ARGS...]
 *     AUTH: password:SECRET | key:PUBLIC_KEY_FILE:PRIVATE_KEY_FILE
 *
 *   get-data DATASTORE [--filter F] [--config-filter true|false] [--max-depth N]
 *            [--with-origin] [--origin-filter IDENTITY]... [--negated-origin-filter]
 *            [--with-defaults report-all|report-all-tagged|trim|explicit]
 *   edit-data DATASTORE [--default-operation merge|replace|none] CONTENT
 *   establish-sub STREAM [--filter F] [--start-time T] [--stop-time T] [WAIT]
 *   establish-push-periodic DATASTORE PERIOD_CENTISECONDS [--filter F] [--anchor-time T] [--stop-time T] [WAIT]
 *   establish-push-onchange DATASTORE [--filter F] [--dampening-period CENTISECONDS] [--sync-on-start]
 *            [--excluded-change create|delete|insert|move|replace]... [--stop-time T] [WAIT]
 *   modify-sub ID [--filter F] [--stop-time T]
 *   delete-sub ID
 *   kill-sub ID
 *
 *   DATASTORE is an identity with its module prefix (ietf-datastores:operational).
 *   A filter starting with '<' is a subtree filter, otherwise an XPath with module-name prefixes.
 *   WAIT: [--count N] [--seconds S] stop after N notifications or S seconds (default: until
 *   the session ends or subscription-terminated/notificationComplete arrives).
 *   While a subscription runs, lines on stdin are commands on the same session:
 *     modify-sub ID [FILTER] | delete-sub ID | kill-sub ID | quit
 *
 * Output: one JSON object per line on stdout.
 *   {"type":"reply","ok":true}                          <ok/>
 *   {"type":"reply","data":"<xml>"}                     the reply's data, XML on one line
 *   {"type":"reply","errors":[{"tag":..,"type":..,"severity":..,"app-tag":..,"path":..,"message":..}]}
 *   {"type":"notification","time":"...","received":MS,"xml":"<xml>"}   received: client clock, ms since epoch
 *   {"type":"end","reason":"..."}                       why the program stopped listening
 * Exit status: 0 when every reply was ok or data, 1 when one was an rpc-error, 2 on any other failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <libyang/libyang.h>
#include <nc_client.h>

#define REPLY_TIMEOUT_MS 30000

static const char *password;
static int saw_rpc_error;

static void fail(const char *what)
{
    fprintf(stderr, "nc-client: %s\n", what);
    exit(2);
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void json_string(const char *s)
{
    putchar('"');
    for (; s && *s; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c == '\n') {
            fputs("\\n", stdout);
        } else if (c == '\r') {
            fputs("\\r", stdout);
        } else if (c == '\t') {
            fputs("\\t", stdout);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

/* Every sibling from node on as XML on one line; the caller frees. */
static char *xml_of(const struct lyd_node *node)
{
    char *out = NULL;
    if (node && lyd_print_mem(&out, node, LYD_XML, LYD_PRINT_SHRINK | LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL_TAG)) {
        fail("cannot print the received data");
    }
    return out ? out : strdup("");
}

/* An rpc-error child's text, or NULL (rpc-error content is parsed as opaque nodes). */
static const char *child_text(const struct lyd_node *parent, const char *name)
{
    for (const struct lyd_node *c = lyd_child(parent); c; c = c->next) {
        if (!strcmp(LYD_NAME(c), name)) return lyd_get_value(c);
    }
    return NULL;
}

static void print_errors(const struct lyd_node *envp)
{
    static const char *fields[] = {"error-tag", "error-type", "error-severity", "error-app-tag", "error-path", "error-message"};
    int first = 1;
    printf("{\"type\":\"reply\",\"errors\":[");
    for (const struct lyd_node *e = lyd_child(envp); e; e = e->next) {
        if (strcmp(LYD_NAME(e), "rpc-error")) continue;
        printf("%s{", first ? "" : ",");
        first = 0;
        int first_field = 1;
        for (size_t i = 0; i < sizeof fields / sizeof *fields; ++i) {
            const char *v = child_text(e, fields[i]);
            if (!v) continue;
            printf("%s\"%s\":", first_field ? "" : ",", fields[i] + strlen("error-"));
            json_string(v);
            first_field = 0;
        }
        printf("}");
    }
    printf("]}\n");
    fflush(stdout);
}

/* Sends rpc and prints its reply; notifications read meanwhile stay queued in the session. */
static int call(struct nc_session *session, struct nc_rpc *rpc)
{
    uint64_t msgid;
    struct lyd_node *envp = NULL, *op = NULL;
    NC_MSG_TYPE msg;

    if (!rpc) fail("cannot build the rpc");
    if (nc_send_rpc(session, rpc, REPLY_TIMEOUT_MS, &msgid) != NC_MSG_RPC) fail("cannot send the rpc");
    do {
        msg = nc_recv_reply(session, rpc, msgid, REPLY_TIMEOUT_MS, &envp, &op);
    } while (msg == NC_MSG_NOTIF || msg == NC_MSG_REPLY_ERR_MSGID);
    if (msg != NC_MSG_REPLY) fail(msg == NC_MSG_WOULDBLOCK ? "no reply in time" : "cannot read the reply");

    int status = 0;
    if (op) {
        /* The reply's output nodes are op's children (the rpc node itself is their parent). */
        char *xml = xml_of(lyd_child(op));
        printf("{\"type\":\"reply\",\"data\":");
        json_string(xml);
        printf("}\n");
        free(xml);
    } else if (envp && lyd_child(envp) && !strcmp(LYD_NAME(lyd_child(envp)), "ok")) {
        printf("{\"type\":\"reply\",\"ok\":true}\n");
    } else {
        print_errors(envp);
        saw_rpc_error = 1;
        status = 1;
    }
    fflush(stdout);
    lyd_free_tree(envp);
    lyd_free_tree(op);
    nc_rpc_free(rpc);
    return status;
}

static char *auth_password(const char *username, const char *hostname, void *priv)
{
    (void)username; (void)hostname; (void)priv;
    return strdup(password);
}

/* Loopback test agents have fresh host keys: there is nothing to pin. */
static int accept_host_key(const char *hostname, ssh_session session, void *priv)
{
    (void)hostname; (void)session; (void)priv;
    return 0;
}

/* --name VALUE from argv, NULL when absent; each option may repeat only where noted. */
static const char *option(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc - 1; ++i) {
        if (!strcmp(argv[i], name)) return argv[i + 1];
    }
    return NULL;
}

static int flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; ++i) {
        if (!strcmp(argv[i], name)) return 1;
    }
    return 0;
}

/* The first argument that is neither an option nor an option's value. */
static const char *positional(int argc, char **argv, int index)
{
    static const char *valued[] = {"--filter", "--config-filter", "--max-depth", "--origin-filter", "--with-defaults",
        "--default-operation", "--start-time", "--stop-time", "--anchor-time", "--dampening-period",
        "--excluded-change", "--count", "--seconds"};
    for (int i = 0; i < argc; ++i) {
        int takes_value = 0;
        for (size_t v = 0; v < sizeof valued / sizeof *valued; ++v) {
            if (!strcmp(argv[i], valued[v])) takes_value = 1;
        }
        if (takes_value) {
            ++i;
        } else if (strncmp(argv[i], "--", 2) && index-- == 0) {
            return argv[i];
        }
    }
    return NULL;
}

static NC_WD_MODE wd_mode(const char *name)
{
    if (!name) return NC_WD_UNKNOWN;
    if (!strcmp(name, "report-all")) return NC_WD_ALL;
    if (!strcmp(name, "report-all-tagged")) return NC_WD_ALL_TAG;
    if (!strcmp(name, "trim")) return NC_WD_TRIM;
    if (!strcmp(name, "explicit")) return NC_WD_EXPLICIT;
    fail("unknown --with-defaults mode");
    return NC_WD_UNKNOWN;
}

static uint32_t number(const char *text, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = text ? strtoul(text, &end, 10) : 0;
    if (!text || *end || errno || v > UINT32_MAX) {
        fprintf(stderr, "nc-client: %s must be a number\n", what);
        exit(2);
    }
    return (uint32_t)v;
}

static void print_notification(const struct lyd_node *envp, const struct lyd_node *op)
{
    const char *time = NULL;
    for (const struct lyd_node *c = lyd_child(envp); c; c = c->next) {
        if (!strcmp(LYD_NAME(c), "eventTime")) time = lyd_get_value(c);
    }
    char *xml = xml_of(op);
    printf("{\"type\":\"notification\",\"time\":");
    json_string(time);
    printf(",\"received\":%lld,\"xml\":", (long long)now_ms());
    json_string(xml);
    printf("}\n");
    fflush(stdout);
    free(xml);
}

/* Whether a notification ends the subscription on this session (RFC 8639 §2.7, RFC 5277 §2.2.1). */
static int ends_subscription(const struct lyd_node *op)
{
    const struct lyd_node *n = op;
    while (n && n->parent) n = lyd_parent(n);
    const char *name = n ? LYD_NAME(n) : "";
    return !strcmp(name, "subscription-terminated") || !strcmp(name, "subscription-completed") ||
        !strcmp(name, "notificationComplete");
}

/* One command line read from stdin during a subscription; returns 0 to stop listening. */
static int stdin_command(struct nc_session *session, char *line)
{
    char *save = NULL;
    char *cmd = strtok_r(line, " \t\r\n", &save);
    char *id = strtok_r(NULL, " \t\r\n", &save);
    char *rest = strtok_r(NULL, "\r\n", &save);
    if (!cmd || !strcmp(cmd, "quit")) return 0;
    if (!strcmp(cmd, "modify-sub")) {
        call(session, nc_rpc_modifysub(number(id, "ID"), rest, NULL, NC_PARAMTYPE_DUP_AND_FREE));
    } else if (!strcmp(cmd, "delete-sub")) {
        call(session, nc_rpc_deletesub(number(id, "ID")));
    } else if (!strcmp(cmd, "kill-sub")) {
        call(session, nc_rpc_killsub(number(id, "ID")));
    } else {
        fprintf(stderr, "nc-client: unknown stdin command %s\n", cmd);
    }
    return 1;
}

/* Prints notifications until --count, --seconds, the end of the subscription or the session; serves stdin commands meanwhile. */
static void listen_for_notifications(struct nc_session *session, int argc, char **argv)
{
    const char *count_text = option(argc, argv, "--count");
    const char *seconds_text = option(argc, argv, "--seconds");
    long count = count_text ? (long)number(count_text, "--count") : -1;
    int64_t deadline = seconds_text ? now_ms() + (int64_t)number(seconds_text, "--seconds") * 1000 : INT64_MAX;
    int stdin_open = 1;
    char line[4096];

    for (;;) {
        if (count == 0) { printf("{\"type\":\"end\",\"reason\":\"count\"}\n"); break; }
        if (now_ms() >= deadline) { printf("{\"type\":\"end\",\"reason\":\"seconds\"}\n"); break; }
        struct lyd_node *envp = NULL, *op = NULL;
        NC_MSG_TYPE msg = nc_recv_notif(session, 50, &envp, &op);
        if (msg == NC_MSG_NOTIF) {
            print_notification(envp, op);
            int ended = ends_subscription(op);
            lyd_free_tree(envp);
            lyd_free_all(op);
            if (count > 0) --count;
            if (ended) { printf("{\"type\":\"end\",\"reason\":\"subscription ended\"}\n"); break; }
            continue;
        }
        lyd_free_tree(envp);
        lyd_free_all(op);
        if (msg == NC_MSG_ERROR || nc_session_get_status(session) != NC_STATUS_RUNNING) {
            printf("{\"type\":\"end\",\"reason\":\"session closed\"}\n");
            break;
        }
        if (stdin_open) {
            struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
            if (poll(&p, 1, 0) > 0) {
                if (!fgets(line, sizeof line, stdin)) {
                    stdin_open = 0;
                } else if (!stdin_command(session, line)) {
                    printf("{\"type\":\"end\",\"reason\":\"quit\"}\n");
                    break;
                }
            }
        }
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: nc-client HOST PORT USER password:SECRET|key:PUB:PRIV COMMAND [ARGS...]\n");
        return 2;
    }
    const char *host = argv[1], *user = argv[3], *auth = argv[4], *command = argv[5];
    uint16_t port = (uint16_t)number(argv[2], "PORT");
    int cargc = argc - 6;
    char **cargv = argv + 6;

    nc_client_init();
    nc_verbosity(getenv("NC_CLIENT_VERBOSE") ? NC_VERB_DEBUG : NC_VERB_ERROR);
    nc_client_ssh_set_username(user);
    nc_client_ssh_set_auth_hostkey_check_clb(accept_host_key, NULL);
    nc_client_ssh_set_auth_pref(NC_SSH_AUTH_INTERACTIVE, -1);
    if (!strncmp(auth, "password:", 9)) {
        password = auth + 9;
        nc_client_ssh_set_auth_password_clb(auth_password, NULL);
        nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PUBLICKEY, -1);
        nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PASSWORD, 3);
    } else if (!strncmp(auth, "key:", 4)) {
        char *pub = strdup(auth + 4);
        char *priv = strchr(pub, ':');
        if (!priv) fail("AUTH key: needs PUBLIC_KEY_FILE:PRIVATE_KEY_FILE");
        *priv++ = '\0';
        if (nc_client_ssh_add_keypair(pub, priv)) fail("cannot use the key pair");
        nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PASSWORD, -1);
        nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PUBLICKEY, 3);
    } else {
        fail("AUTH must be password:SECRET or key:PUB:PRIV");
    }

    /* No context given: libnetconf2 builds one from the server's yang-library and <get-schema>. */
    struct nc_session *session = nc_connect_ssh(host, port, NULL);
    if (!session) fail("cannot connect (SSH, authentication or hello failed)");

    const char *filter = option(cargc, cargv, "--filter");
    const char *stop_time = option(cargc, cargv, "--stop-time");
    if (!strcmp(command, "get-data")) {
        const char *datastore = positional(cargc, cargv, 0);
        char *origins[16];
        int origin_count = 0;
        for (int i = 0; i < cargc - 1; ++i) {
            if (!strcmp(cargv[i], "--origin-filter") && origin_count < 16) origins[origin_count++] = cargv[i + 1];
        }
        const char *depth = option(cargc, cargv, "--max-depth");
        call(session, nc_rpc_getdata(datastore, filter, option(cargc, cargv, "--config-filter"), origin_count ? origins : NULL,
                origin_count, flag(cargc, cargv, "--negated-origin-filter"), depth ? (uint16_t)number(depth, "--max-depth") : 0,
                flag(cargc, cargv, "--with-origin"), wd_mode(option(cargc, cargv, "--with-defaults")), NC_PARAMTYPE_CONST));
    } else if (!strcmp(command, "edit-data")) {
        const char *op = option(cargc, cargv, "--default-operation");
        NC_RPC_EDIT_DFLTOP dflt = !op ? NC_RPC_EDIT_DFLTOP_UNKNOWN : !strcmp(op, "merge") ? NC_RPC_EDIT_DFLTOP_MERGE
            : !strcmp(op, "replace") ? NC_RPC_EDIT_DFLTOP_REPLACE : !strcmp(op, "none") ? NC_RPC_EDIT_DFLTOP_NONE
            : NC_RPC_EDIT_DFLTOP_UNKNOWN;
        if (op && dflt == NC_RPC_EDIT_DFLTOP_UNKNOWN) fail("unknown --default-operation");
        call(session, nc_rpc_editdata(positional(cargc, cargv, 0), dflt, positional(cargc, cargv, 1), NC_PARAMTYPE_CONST));
    } else if (!strcmp(command, "establish-sub")) {
        if (!call(session, nc_rpc_establishsub(filter, positional(cargc, cargv, 0), option(cargc, cargv, "--start-time"),
                stop_time, NULL, NC_PARAMTYPE_CONST))) {
            listen_for_notifications(session, cargc, cargv);
        }
    } else if (!strcmp(command, "establish-push-periodic")) {
        if (!call(session, nc_rpc_establishpush_periodic(positional(cargc, cargv, 0), filter, stop_time, NULL,
                number(positional(cargc, cargv, 1), "PERIOD"), option(cargc, cargv, "--anchor-time"), NC_PARAMTYPE_CONST))) {
            listen_for_notifications(session, cargc, cargv);
        }
    } else if (!strcmp(command, "establish-push-onchange")) {
        const char *excluded[8] = {NULL};
        int n = 0;
        for (int i = 0; i < cargc - 1; ++i) {
            if (!strcmp(cargv[i], "--excluded-change") && n < 7) excluded[n++] = cargv[i + 1];
        }
        const char *dampening = option(cargc, cargv, "--dampening-period");
        if (!call(session, nc_rpc_establishpush_onchange(positional(cargc, cargv, 0), filter, stop_time, NULL,
                dampening ? number(dampening, "--dampening-period") : 0, flag(cargc, cargv, "--sync-on-start"),
                n ? excluded : NULL, NC_PARAMTYPE_CONST))) {
            listen_for_notifications(session, cargc, cargv);
        }
    } else if (!strcmp(command, "modify-sub")) {
        call(session, nc_rpc_modifysub(number(positional(cargc, cargv, 0), "ID"), filter, stop_time, NC_PARAMTYPE_CONST));
    } else if (!strcmp(command, "delete-sub")) {
        call(session, nc_rpc_deletesub(number(positional(cargc, cargv, 0), "ID")));
    } else if (!strcmp(command, "kill-sub")) {
        call(session, nc_rpc_killsub(number(positional(cargc, cargv, 0), "ID")));
    } else {
        fail("unknown command");
    }

    nc_session_free(session, NULL);
    nc_client_destroy();
    return saw_rpc_error ? 1 : 0;
}
