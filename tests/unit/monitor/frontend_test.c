/*
 * The monitor's front ends: -monitor values accepted and refused with
 * one-line reasons; a Unix socket server that greets a client, runs its
 * commands with CR LF output, serves one client at a time, takes the next
 * when it leaves, waits for the first with wait=on, and removes its socket
 * at close; the Ctrl-A c mux client beside a serial frontend.
 */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mimic/chardev.h"
#include "mimic/mainloop.h"
#include "monitor_fakes.h"

TEST_CASE(spec_values)
{
    MonitorSpec s;
    const char *err;
    CHECK(monitor_parse_spec(NULL, &s, &err) && s.backend == MONITOR_DEFAULT);
    CHECK(monitor_parse_spec("none", &s, &err) && s.backend == MONITOR_NONE);
    CHECK(monitor_parse_spec("stdio", &s, &err) && s.backend == MONITOR_STDIO);
    CHECK(monitor_parse_spec("unix:/tmp/m.sock,server,nowait", &s, &err));
    CHECK(s.backend == MONITOR_UNIX && !strcmp(s.path, "/tmp/m.sock") && !s.wait);
    CHECK(monitor_parse_spec("unix:rel.sock,server=on,wait=off", &s, &err));
    CHECK(!strcmp(s.path, "rel.sock") && !s.wait);
    CHECK(monitor_parse_spec("unix:/tmp/m.sock,server", &s, &err) && s.wait);

    CHECK(!monitor_parse_spec("unix:/tmp/m.sock", &s, &err));
    CHECK(strstr(err, "server"));
    CHECK(!monitor_parse_spec("unix:/tmp/m.sock,server=off,nowait", &s, &err));
    CHECK(!monitor_parse_spec("unix:,server,nowait", &s, &err));
    CHECK(strstr(err, "path"));
    CHECK(!monitor_parse_spec("unix:/tmp/m.sock,server,colour=red", &s, &err));
    CHECK(strstr(err, "unknown socket option 'colour=red'"));
    CHECK(!monitor_parse_spec("tcp:localhost:4444,server,nowait", &s, &err));
    CHECK(strstr(err, "unsupported monitor backend"));
    CHECK(!monitor_parse_spec("vc", &s, &err));
    char longpath[200] = "unix:/";
    memset(longpath + 6, 'x', 150);
    strcpy(longpath + 156, ",server,nowait");
    CHECK(!monitor_parse_spec(longpath, &s, &err));
    CHECK(strstr(err, "longer than 107"));
}

static const char *sock_path(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/mimic-monitor-test-%d.sock", (int)getpid());
    return path;
}

static int client_connect(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path());
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Everything the server sends within a few main-loop turns. */
static const char *client_read(int fd)
{
    static char buf[8192];
    size_t n = 0;
    for (int i = 0; i < 20; i++) {
        mainloop_iterate(1000 * 1000);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        while (n < sizeof(buf) - 1 && poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
            ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
        }
    }
    buf[n] = 0;
    return buf;
}

static void client_send(int fd, const char *s)
{
    if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
        abort();
}

TEST_CASE(unix_socket_sessions)
{
    Machine *m = fake_machine_new(1);
    Monitor *mon = monitor_new(m);
    MonitorSpec spec;
    const char *err;
    char text[128];
    snprintf(text, sizeof(text), "unix:%s,server,nowait", sock_path());
    mainloop_init();
    CHECK(monitor_parse_spec(text, &spec, &err));
    monitor_open(mon, &spec, NULL);
    struct stat st;
    CHECK(stat(sock_path(), &st) == 0 && S_ISSOCK(st.st_mode));

    int a = client_connect();
    CHECK(a >= 0);
    const char *got = client_read(a);
    CHECK(strstr(got, "mimic " MONITOR_VERSION " monitor - type 'help' for more information\r\n"
                      "(mimic) "));
    client_send(a, "info status\r\n");
    got = client_read(a);
    CHECK(!strcmp(got, "info status\r\nVM status: running\r\n(mimic) "));

    /* A second client waits until the first leaves. */
    int b = client_connect();
    CHECK(b >= 0);
    CHECK_EQ(client_read(b)[0], 0);
    client_send(a, "stop\n");
    got = client_read(a);
    CHECK(strstr(got, "(mimic) "));
    CHECK_EQ(fake_accel.pause_depth, 1);
    close(a);
    got = client_read(b);
    CHECK(strstr(got, "type 'help'"));
    client_send(b, "info status\n");
    CHECK(strstr(client_read(b), "VM status: paused"));
    client_send(b, "cont\n");
    client_read(b);
    CHECK_EQ(fake_accel.pause_depth, 0);
    close(b);
    client_read(-1);

    monitor_close(mon);
    CHECK(stat(sock_path(), &st) != 0);        /* the socket file is gone */
    monitor_free(mon);
    fake_machine_free(m);
}

static void *late_client(void *arg)
{
    int *fd = arg;
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    for (int i = 0; i < 100 && *fd < 0; i++) {
        nanosleep(&ts, NULL);
        *fd = client_connect();
    }
    return NULL;
}

TEST_CASE(unix_socket_wait_blocks_until_a_client_is_there)
{
    Machine *m = fake_machine_new(1);
    Monitor *mon = monitor_new(m);
    MonitorSpec spec;
    const char *err;
    char text[128];
    snprintf(text, sizeof(text), "unix:%s,server", sock_path());
    CHECK(monitor_parse_spec(text, &spec, &err) && spec.wait);
    int fd = -1;
    pthread_t t;
    pthread_create(&t, NULL, late_client, &fd);
    monitor_open(mon, &spec, NULL);            /* returns once the thread connected */
    pthread_join(t, NULL);
    CHECK(fd >= 0);
    CHECK(strstr(client_read(fd), "(mimic) "));
    close(fd);
    monitor_free(mon);
    fake_machine_free(m);
}

/* ---- the Ctrl-A mux ---- */

typedef struct Sink {
    char buf[256];
    size_t len;
} Sink;

static int sink_can_receive(void *opaque)
{
    (void)opaque;
    return 64;
}

static void sink_receive(void *opaque, const uint8_t *buf, int len)
{
    Sink *s = opaque;
    if (s->len + (size_t)len < sizeof(s->buf)) {
        memcpy(s->buf + s->len, buf, (size_t)len);
        s->len += (size_t)len;
    }
}

static void type(int fd, const char *keys)
{
    if (write(fd, keys, strlen(keys)) != (ssize_t)strlen(keys))
        abort();
    for (int i = 0; i < 4; i++)
        mainloop_iterate(0);
}

static const char *screen(Chardev *c, int fd)
{
    static char buf[4096];
    chardev_flush(c);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

TEST_CASE(mux_ctrl_a_c_reaches_the_monitor)
{
    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    mainloop_init();
    Chardev *c = chardev_new_fd(in[0], out[1], true);
    Sink serial = { .len = 0 };
    ChardevFrontend fe = { sink_can_receive, sink_receive, &serial };
    chardev_set_frontend(c, &fe);

    Machine *m = fake_machine_new(1);
    Monitor *mon = monitor_new(m);
    MonitorSpec spec;
    const char *err;
    CHECK(monitor_parse_spec(NULL, &spec, &err));
    monitor_open(mon, &spec, c);
    CHECK_EQ(screen(c, out[0])[0], 0);          /* quiet until Ctrl-A c */

    type(in[1], "ls\x01" "c");
    CHECK_EQ(serial.len, 2);
    CHECK(strstr(screen(c, out[0]), "monitor - type 'help'"));
    type(in[1], "info status\r");
    const char *s = screen(c, out[0]);
    CHECK(strstr(s, "info status\nVM status: running\n(mimic) "));
    type(in[1], "\x01" "c" "pwd");
    CHECK_EQ(serial.len, 5);
    CHECK(memcmp(serial.buf, "lspwd", 5) == 0);
    type(in[1], "\x01" "c");
    s = screen(c, out[0]);
    CHECK(strstr(s, "(mimic) ") && !strstr(s, "type 'help'"));   /* banner only once */

    monitor_free(mon);
    type(in[1], "\x01" "c");                  /* monitor gone: the mux says so */
    CHECK(strstr(screen(c, out[0]), "monitor not available"));
    fake_machine_free(m);
    chardev_free(c);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    mainloop_iterate(0);
}

TEST_CASE(none_and_default_without_mux_open_nothing)
{
    Machine *m = fake_machine_new(1);
    Monitor *mon = monitor_new(m);
    MonitorSpec spec;
    const char *err;
    CHECK(monitor_parse_spec("none", &spec, &err));
    monitor_open(mon, &spec, NULL);
    CHECK(monitor_parse_spec(NULL, &spec, &err));
    monitor_open(mon, &spec, NULL);
    monitor_free(mon);
    fake_machine_free(m);
}

int main(void)
{
    RUN(spec_values);
    RUN(unix_socket_sessions);
    RUN(unix_socket_wait_blocks_until_a_client_is_there);
    RUN(mux_ctrl_a_c_reaches_the_monitor);
    RUN(none_and_default_without_mux_open_nothing);
    TEST_EXIT();
}
