/*
 * Where the human monitor's bytes come from: -monitor stdio (its own stdio
 * chardev), the -nographic Ctrl-A mux (Ctrl-A c), or -monitor unix:PATH,
 * server[,nowait] (a listening Unix socket, one client at a time, the next
 * one accepted when it leaves; QEMU's socket chardev in server mode).
 * Left out: tcp/telnet sockets, client mode, several clients at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mimic/chardev.h"
#include "mimic/log.h"
#include "mimic/mainloop.h"
#include "monitor/hmp.h"
#include "monitor/monitor_int.h"

/* Output a socket client has not taken yet; past this it is dropped. */
#define MONITOR_SOCKET_MAX_PENDING (1024 * 1024)
#define MONITOR_SOCKET_READ_CHUNK 512

struct MonitorFrontends {
    Monitor *mon;
    /* stdio or the mux */
    Chardev *chr;
    bool chr_owned;            /* -monitor stdio opened it: free it at close */
    HmpSession *chr_session;
    bool banner_shown;
    /* unix socket */
    int listen_fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int client_fd;
    HmpSession *client_session;
    bool client_dead;          /* a write failed: close once its input is handled */
    char *pending;
    size_t npending;
};

/* ---- -monitor ---- */

bool monitor_parse_spec(const char *spec, MonitorSpec *out, const char **err)
{
    static char msg[200];
    memset(out, 0, sizeof(*out));
    *err = NULL;
    if (!spec) {
        out->backend = MONITOR_DEFAULT;
        return true;
    }
    if (!strcmp(spec, "none")) {
        out->backend = MONITOR_NONE;
        return true;
    }
    if (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio")) {
        out->backend = MONITOR_STDIO;
        return true;
    }
    if (strncmp(spec, "unix:", 5)) {
        *err = "unsupported monitor backend (mimic has stdio, unix:PATH,server,nowait and none)";
        return false;
    }
    const char *path = spec + 5;
    size_t len = strcspn(path, ",");
    if (len == 0) {
        *err = "unix: needs a socket path (unix:PATH,server,nowait)";
        return false;
    }
    if (len >= sizeof(out->path)) {
        snprintf(msg, sizeof(msg), "the socket path is longer than %zu bytes",
                 sizeof(out->path) - 1);
        *err = msg;
        return false;
    }
    memcpy(out->path, path, len);
    out->path[len] = 0;
    out->backend = MONITOR_UNIX;
    out->wait = true;          /* QEMU's default for a server socket */
    bool server = false;
    for (const char *p = path + len; *p == ',';) {
        p++;
        size_t n = strcspn(p, ",");
        char opt[32];
        if (n >= sizeof(opt))
            n = sizeof(opt) - 1;
        memcpy(opt, p, n);
        opt[n] = 0;
        p += strcspn(p, ",");
        if (!strcmp(opt, "server") || !strcmp(opt, "server=on"))
            server = true;
        else if (!strcmp(opt, "server=off"))
            server = false;
        else if (!strcmp(opt, "nowait") || !strcmp(opt, "wait=off"))
            out->wait = false;
        else if (!strcmp(opt, "wait") || !strcmp(opt, "wait=on"))
            out->wait = true;
        else {
            snprintf(msg, sizeof(msg), "unknown socket option '%s' (mimic has server, nowait, "
                     "wait=on|off)", opt);
            *err = msg;
            return false;
        }
    }
    if (!server) {
        *err = "only a listening socket is supported: add ,server,nowait";
        return false;
    }
    return true;
}

/* ---- stdio and the mux ---- */

static void chr_write(void *opaque, const char *buf, size_t len)
{
    MonitorFrontends *fe = opaque;
    chardev_write(fe->chr, (const uint8_t *)buf, len);
}

static int chr_can_receive(void *opaque)
{
    (void)opaque;
    return MONITOR_MAX_LINE;
}

static void chr_receive(void *opaque, const uint8_t *buf, int len)
{
    MonitorFrontends *fe = opaque;
    hmp_session_input(fe->chr_session, buf, (size_t)len);
}

static void chr_focus(void *opaque, bool focused)
{
    MonitorFrontends *fe = opaque;
    if (!focused)
        return;
    chr_write(fe, "\n", 1);
    if (!fe->banner_shown) {
        fe->banner_shown = true;
        hmp_session_start(fe->chr_session);
    } else {
        hmp_session_prompt(fe->chr_session);
    }
}

static void open_chardev(MonitorFrontends *fe, Chardev *mux)
{
    const ChardevFrontend cfe = { chr_can_receive, chr_receive, fe };
    if (mux) {
        fe->chr = mux;
        fe->chr_session = hmp_session_new(fe->mon, chr_write, fe, false);
        chardev_mux_set_monitor(mux, &cfe, chr_focus);
        return;
    }
    const char *err = NULL;
    fe->chr = chardev_new("stdio", &err);
    if (!fe->chr)
        fatal("-monitor stdio: %s", err ? err : "cannot open");
    fe->chr_owned = true;
    fe->chr_session = hmp_session_new(fe->mon, chr_write, fe, false);
    chardev_set_frontend(fe->chr, &cfe);
    fe->banner_shown = true;
    hmp_session_start(fe->chr_session);
}

/* ---- the unix socket ---- */

static void socket_accept(void *opaque);
static void client_readable(void *opaque);
static void client_writable(void *opaque);

static void client_close(MonitorFrontends *fe)
{
    if (fe->client_fd < 0)
        return;
    mainloop_set_fd(fe->client_fd, NULL, NULL, NULL);
    close(fe->client_fd);
    fe->client_fd = -1;
    hmp_session_free(fe->client_session);
    fe->client_session = NULL;
    free(fe->pending);
    fe->pending = NULL;
    fe->npending = 0;
    fe->client_dead = false;
    /* Take the next client. */
    if (fe->listen_fd >= 0)
        mainloop_set_fd(fe->listen_fd, socket_accept, NULL, fe);
}

static void client_watch(MonitorFrontends *fe)
{
    mainloop_set_fd(fe->client_fd, client_readable, fe->npending ? client_writable : NULL, fe);
}

/* Send what the socket takes now; false if the client is gone. */
static bool client_send(MonitorFrontends *fe, const char *buf, size_t len, size_t *sent)
{
    *sent = 0;
    while (*sent < len) {
        ssize_t n = send(fe->client_fd, buf + *sent, len - *sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            *sent += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        else
            return false;
    }
    return true;
}

static void client_write(void *opaque, const char *buf, size_t len)
{
    MonitorFrontends *fe = opaque;
    size_t sent = 0;
    if (fe->client_fd < 0 || fe->client_dead)
        return;
    if (!fe->npending && !client_send(fe, buf, len, &sent)) {
        fe->client_dead = true;
        return;
    }
    if (sent == len)
        return;
    size_t rest = len - sent;
    if (fe->npending + rest > MONITOR_SOCKET_MAX_PENDING) {
        warn("monitor: the client does not read its output; disconnecting it");
        fe->client_dead = true;
        return;
    }
    char *p = realloc(fe->pending, fe->npending + rest);
    if (!p)
        fatal("out of memory");
    memcpy(p + fe->npending, buf + sent, rest);
    fe->pending = p;
    fe->npending += rest;
    client_watch(fe);
}

static void client_writable(void *opaque)
{
    MonitorFrontends *fe = opaque;
    size_t sent;
    if (!client_send(fe, fe->pending, fe->npending, &sent)) {
        client_close(fe);
        return;
    }
    memmove(fe->pending, fe->pending + sent, fe->npending - sent);
    fe->npending -= sent;
    client_watch(fe);
}

static void client_readable(void *opaque)
{
    MonitorFrontends *fe = opaque;
    uint8_t buf[MONITOR_SOCKET_READ_CHUNK];
    ssize_t n = read(fe->client_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        client_close(fe);
        return;
    }
    hmp_session_input(fe->client_session, buf, (size_t)n);
    if (fe->client_dead)
        client_close(fe);
}

static void client_start(MonitorFrontends *fe, int fd)
{
    fe->client_fd = fd;
    fe->client_session = hmp_session_new(fe->mon, client_write, fe, true);
    /* One client at a time: the others wait in the backlog. */
    mainloop_set_fd(fe->listen_fd, NULL, NULL, NULL);
    client_watch(fe);
    hmp_session_start(fe->client_session);
    if (fe->client_dead)
        client_close(fe);
}

static void socket_accept(void *opaque)
{
    MonitorFrontends *fe = opaque;
    int fd = accept4(fe->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;   /* EAGAIN, a client that already left, ...: wait for the next */
    if (fe->client_fd >= 0) {
        close(fd);
        return;
    }
    client_start(fe, fd);
}

static void open_socket(MonitorFrontends *fe, const MonitorSpec *spec)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct stat st;
    snprintf(fe->path, sizeof(fe->path), "%s", spec->path);
    memcpy(addr.sun_path, fe->path, sizeof(addr.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fatal("-monitor unix:%s: cannot create a socket: %s", spec->path, strerror(errno));
    /* A socket file left by an earlier run is replaced, as QEMU does;
     * anything else at that path is not ours to remove. */
    if (lstat(fe->path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(fe->path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0)
        fatal("-monitor unix:%s: cannot listen: %s", spec->path, strerror(errno));
    fe->listen_fd = fd;
    if (spec->wait) {
        /* QEMU's wait=on: no guest code runs until someone is there. */
        fprintf(stderr, "mimic: waiting for a monitor connection on unix:%s\n", spec->path);
        int cfd;
        do {
            cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        } while (cfd < 0 && errno == EINTR);
        if (cfd < 0)
            fatal("-monitor unix:%s: accept failed: %s", spec->path, strerror(errno));
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        client_start(fe, cfd);
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    mainloop_set_fd(fd, socket_accept, NULL, fe);
}

/* ---- open / close ---- */

void monitor_open(Monitor *mon, const MonitorSpec *spec, Chardev *mux)
{
    if (spec->backend == MONITOR_NONE || (spec->backend == MONITOR_DEFAULT && !mux))
        return;
    if (mon->fe)
        fatal("-monitor: only one monitor is supported");
    MonitorFrontends *fe = calloc(1, sizeof(*fe));
    if (!fe)
        fatal("out of memory");
    fe->mon = mon;
    fe->listen_fd = -1;
    fe->client_fd = -1;
    mon->fe = fe;
    if (spec->backend == MONITOR_UNIX)
        open_socket(fe, spec);
    else
        open_chardev(fe, mux);
}

void monitor_close(Monitor *mon)
{
    MonitorFrontends *fe = mon->fe;
    if (!fe)
        return;
    client_close(fe);
    if (fe->listen_fd >= 0) {
        mainloop_set_fd(fe->listen_fd, NULL, NULL, NULL);
        close(fe->listen_fd);
        unlink(fe->path);
    }
    if (fe->chr) {
        if (fe->chr_owned) {
            chardev_free(fe->chr);
        } else {
            chardev_mux_set_monitor(fe->chr, NULL, NULL);
        }
    }
    hmp_session_free(fe->chr_session);
    free(fe);
    mon->fe = NULL;
}
