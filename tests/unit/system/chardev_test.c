/*
 * Character backends: file: output, spec errors, the stdio Ctrl-A mux fed
 * through a pipe in place of the terminal (escapes, quit, help, flow control
 * towards a slow frontend, EOF), and output that survives a non-blocking,
 * full pipe.
 */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "mimic/chardev.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"

/* A frontend that takes at most `room` bytes at a time. */
typedef struct Sink {
    uint8_t buf[8192];
    size_t len;
    int room;
} Sink;

static int sink_can_receive(void *opaque)
{
    Sink *s = opaque;
    size_t space = sizeof(s->buf) - s->len;
    return (size_t)s->room < space ? s->room : (int)space;
}

static void sink_receive(void *opaque, const uint8_t *buf, int len)
{
    Sink *s = opaque;
    if (len > sink_can_receive(s))
        abort();   /* the backend must respect can_receive */
    memcpy(s->buf + s->len, buf, (size_t)len);
    s->len += (size_t)len;
}

static int quit_calls;
static void on_quit(void *opaque) { (void)opaque; quit_calls++; }

/* A mux on pipes: in[1] is "the keyboard", out[0] shows "the screen". */
typedef struct Rig {
    int in[2], out[2];
    Chardev *c;
    Sink sink;
} Rig;

static bool rig_open(Rig *r, bool mux, int room)
{
    memset(r, 0, sizeof(*r));
    if (pipe(r->in) < 0 || pipe(r->out) < 0)
        return false;
    fcntl(r->out[0], F_SETFL, O_NONBLOCK);
    r->c = chardev_new_fd(r->in[0], r->out[1], mux);
    r->sink.room = room;
    ChardevFrontend fe = { sink_can_receive, sink_receive, &r->sink };
    chardev_set_frontend(r->c, &fe);
    quit_calls = 0;
    chardev_set_quit_handler(on_quit, NULL);
    return true;
}

static void rig_type(Rig *r, const char *keys, size_t len)
{
    if (write(r->in[1], keys, len) != (ssize_t)len)
        abort();
    for (int i = 0; i < 4; i++)
        mainloop_iterate(0);
}

/* Everything on "the screen" so far, NUL-terminated. */
static const char *rig_screen(Rig *r)
{
    static char buf[4096];
    chardev_flush(r->c);
    ssize_t n = read(r->out[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static void rig_close(Rig *r)
{
    chardev_free(r->c);
    close(r->in[0]);
    close(r->in[1]);
    close(r->out[0]);
    close(r->out[1]);
    mainloop_iterate(0);   /* run any queued flush so it frees */
}

static const char *tmp_path(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/mimic-chardev-test-%d", (int)getpid());
    return path;
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return (size_t)-1;
    ssize_t n = read(fd, buf, cap);
    close(fd);
    return n < 0 ? (size_t)-1 : (size_t)n;
}

TEST_CASE(file_backend_truncates_and_writes)
{
    char spec[80], buf[64];
    const char *path = tmp_path();
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs("old contents that must go away", f);
    fclose(f);
    snprintf(spec, sizeof(spec), "file:%s", path);
    const char *err = NULL;
    Chardev *c = chardev_new(spec, &err);
    CHECK(c);
    CHECK_EQ(read_file(path, buf, sizeof(buf)), 0);
    chardev_write(c, (const uint8_t *)"line\n", 5);
    CHECK_EQ(read_file(path, buf, sizeof(buf)), 5);   /* a newline flushes */
    chardev_write(c, (const uint8_t *)"\x00\xff", 2);
    chardev_write(c, (const uint8_t *)"tail", 4);
    chardev_accept_input(c);                            /* no input side: harmless */
    chardev_free(c);
    mainloop_iterate(0);
    size_t n = read_file(path, buf, sizeof(buf));
    CHECK_EQ(n, 11);
    CHECK(memcmp(buf, "line\n\x00\xfftail", 11) == 0);
    unlink(path);
}

TEST_CASE(prompt_without_newline_flushed_by_main_loop)
{
    char spec[80], buf[16];
    const char *path = tmp_path();
    snprintf(spec, sizeof(spec), "file:%s", path);
    Chardev *c = chardev_new(spec, NULL);
    CHECK(c);
    chardev_write(c, (const uint8_t *)"# ", 2);
    mainloop_iterate(0);
    size_t n = read_file(path, buf, sizeof(buf));
    chardev_free(c);
    unlink(path);
    CHECK_EQ(n, 2);
}

TEST_CASE(spec_errors)
{
    const char *err = NULL;
    CHECK(chardev_new("file:/nonexistent-dir/x", &err) == NULL);
    CHECK(err && strstr(err, "/nonexistent-dir/x"));
    err = NULL;
    CHECK(chardev_new("file:", &err) == NULL);
    CHECK(err);
    err = NULL;
    CHECK(chardev_new("telnet:1234", &err) == NULL);
    CHECK(err && strstr(err, "telnet"));
    Chardev *c = chardev_new("null", &err);
    CHECK(c);
    chardev_write(c, (const uint8_t *)"x", 1);
    chardev_free(c);
    c = chardev_new("none", &err);
    CHECK(c);
    chardev_free(c);
}

TEST_CASE(mux_passes_plain_bytes)
{
    Rig r;
    CHECK(rig_open(&r, true, 1000));
    rig_type(&r, "ls -l\r\x03\x7f", 8);
    CHECK_EQ(r.sink.len, 8);
    CHECK(memcmp(r.sink.buf, "ls -l\r\x03\x7f", 8) == 0);
    CHECK_EQ(quit_calls, 0);
    CHECK_EQ(rig_screen(&r)[0], 0);
    rig_close(&r);
}

TEST_CASE(mux_ctrl_a_ctrl_a_sends_one)
{
    Rig r;
    CHECK(rig_open(&r, true, 1000));
    rig_type(&r, "a\x01\x01" "b", 4);
    CHECK_EQ(r.sink.len, 3);
    CHECK(memcmp(r.sink.buf, "a\x01" "b", 3) == 0);
    rig_close(&r);
}

TEST_CASE(mux_ctrl_a_x_quits)
{
    Rig r;
    CHECK(rig_open(&r, true, 1000));
    rig_type(&r, "q\x01x", 3);
    CHECK_EQ(quit_calls, 1);
    CHECK_EQ(r.sink.len, 1);
    CHECK(strstr(rig_screen(&r), "mimic: terminated"));
    rig_close(&r);
}

TEST_CASE(mux_escape_split_across_reads)
{
    Rig r;
    CHECK(rig_open(&r, true, 1000));
    rig_type(&r, "\x01", 1);
    CHECK_EQ(quit_calls, 0);
    rig_type(&r, "X", 1);
    CHECK_EQ(quit_calls, 1);
    CHECK_EQ(r.sink.len, 0);
    rig_close(&r);
}

TEST_CASE(mux_help_and_monitor_and_ignored_keys)
{
    Rig r;
    CHECK(rig_open(&r, true, 1000));
    rig_type(&r, "\x01h", 2);
    const char *help = rig_screen(&r);
    CHECK(strstr(help, "C-a x"));
    CHECK(strstr(help, "C-a h"));
    CHECK(strstr(help, "C-a C-a"));
    CHECK(strstr(help, "C-a c"));
    rig_type(&r, "\x01" "c", 2);
    CHECK(strstr(rig_screen(&r), "monitor not available"));
    rig_type(&r, "\x01s\x01z!", 5);
    CHECK_EQ(rig_screen(&r)[0], 0);
    CHECK_EQ(r.sink.len, 1);
    CHECK_EQ(r.sink.buf[0], '!');
    CHECK_EQ(quit_calls, 0);
    rig_close(&r);
}

/* Ctrl-A c moves input to the monitor client and back; the monitor is told. */
static int focus_calls;
static bool focus_state;
static void on_focus(void *opaque, bool on) { (void)opaque; focus_calls++; focus_state = on; }

TEST_CASE(mux_ctrl_a_c_switches_to_monitor)
{
    Rig r;
    Sink mon = { .room = 1000 };
    CHECK(rig_open(&r, true, 1000));
    ChardevFrontend fe = { sink_can_receive, sink_receive, &mon };
    focus_calls = 0;
    chardev_mux_set_monitor(r.c, &fe, on_focus);
    rig_type(&r, "a\x01" "cb", 4);
    CHECK_EQ(focus_calls, 1);
    CHECK(focus_state);
    CHECK_EQ(r.sink.len, 1);
    CHECK_EQ(r.sink.buf[0], 'a');
    CHECK_EQ(mon.len, 1);
    CHECK_EQ(mon.buf[0], 'b');
    rig_type(&r, "\x01" "Cd", 3);
    CHECK_EQ(focus_calls, 2);
    CHECK(!focus_state);
    CHECK_EQ(r.sink.len, 2);
    CHECK_EQ(r.sink.buf[1], 'd');
    CHECK_EQ(mon.len, 1);
    rig_close(&r);
}

TEST_CASE(no_mux_is_transparent)
{
    Rig r;
    CHECK(rig_open(&r, false, 1000));
    rig_type(&r, "\x01x\x01h", 4);
    CHECK_EQ(quit_calls, 0);
    CHECK_EQ(r.sink.len, 4);
    CHECK(memcmp(r.sink.buf, "\x01x\x01h", 4) == 0);
    rig_close(&r);
}

TEST_CASE(slow_frontend_gets_everything_in_order)
{
    Rig r;
    char keys[3000];
    CHECK(rig_open(&r, true, 0));           /* frontend full */
    for (size_t i = 0; i < sizeof(keys); i++)
        keys[i] = (char)('a' + i % 26);
    rig_type(&r, keys, sizeof(keys));
    CHECK_EQ(r.sink.len, 0);
    rig_type(&r, "\x01x", 2);                /* the mux still listens */
    CHECK_EQ(quit_calls, 1);
    for (int i = 0; i < 2000 && r.sink.len < sizeof(keys); i++) {
        r.sink.room = 3;
        chardev_accept_input(r.c);
        r.sink.room = 0;
        mainloop_iterate(0);
    }
    CHECK_EQ(r.sink.len, sizeof(keys));
    CHECK(memcmp(r.sink.buf, keys, sizeof(keys)) == 0);
    rig_close(&r);
}

TEST_CASE(backend_buffer_full_stops_reading)
{
    Rig r;
    static char keys[10000];
    CHECK(rig_open(&r, false, 0));
    memset(keys, 'k', sizeof(keys));
    rig_type(&r, keys, sizeof(keys));
    for (int i = 0; i < 20; i++)
        mainloop_iterate(0);
    /* Whatever the backend did not buffer is still in the pipe. */
    int pending = 0;
    CHECK(fcntl(r.in[0], F_SETFL, O_NONBLOCK) == 0);
    char tmp[256];
    ssize_t n;
    while ((n = read(r.in[0], tmp, sizeof(tmp))) > 0)
        pending += (int)n;
    CHECK(pending > 0);
    CHECK(pending < (int)sizeof(keys));
    rig_close(&r);
}

TEST_CASE(eof_stops_watching)
{
    Rig r;
    CHECK(rig_open(&r, true, 1000));
    rig_type(&r, "bye", 3);
    close(r.in[1]);
    r.in[1] = open("/dev/null", O_WRONLY);   /* keep rig_close's close valid */
    mainloop_iterate(0);
    /* With the hung-up pipe still watched, poll would return at once. */
    int64_t t0 = clock_host_ns();
    mainloop_iterate(30 * 1000000LL);
    CHECK(clock_host_ns() - t0 >= 20 * 1000000LL);
    CHECK_EQ(r.sink.len, 3);
    rig_close(&r);
}

typedef struct Drain {
    int fd;
    size_t len;
    uint8_t *buf;
    size_t cap;
} Drain;

static void *drain_thread(void *opaque)
{
    Drain *d = opaque;
    for (;;) {
        ssize_t n = read(d->fd, d->buf + d->len, d->cap - d->len);
        if (n <= 0)
            break;
        d->len += (size_t)n;
    }
    return NULL;
}

TEST_CASE(output_survives_nonblocking_full_pipe)
{
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
    enum { TOTAL = 300000 };
    static uint8_t want[TOTAL], got[TOTAL];
    for (size_t i = 0; i < TOTAL; i++)
        want[i] = (uint8_t)(i * 7 + i / 251);
    Chardev *c = chardev_new_fd(-1, p[1], false);
    Drain d = { p[0], 0, got, TOTAL };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, drain_thread, &d) == 0);
    for (size_t i = 0; i < TOTAL; i += 1000)
        chardev_write(c, want + i, 1000);
    chardev_free(c);
    close(p[1]);
    pthread_join(th, NULL);
    close(p[0]);
    mainloop_iterate(0);
    CHECK_EQ(d.len, TOTAL);
    CHECK(memcmp(got, want, TOTAL) == 0);
}

TEST_CASE(stdio_only_once)
{
    /* Stand /dev/null in for the terminal, as CI does. */
    int saved = dup(0);
    int null_fd = open("/dev/null", O_RDONLY);
    CHECK(saved >= 0 && null_fd >= 0);
    dup2(null_fd, 0);
    close(null_fd);
    const char *err = NULL;
    Chardev *a = chardev_new("stdio", &err);
    Chardev *b = chardev_new("stdio", &err);
    for (int i = 0; i < 3; i++)
        mainloop_iterate(0);                 /* EOF on stdin: quietly stops */
    chardev_free(a);
    Chardev *again = chardev_new("stdio", NULL);
    chardev_free(again);
    dup2(saved, 0);
    close(saved);
    CHECK(a);
    CHECK(b == NULL);
    CHECK(err && strstr(err, "stdio"));
    CHECK(again);
}

int main(void)
{
    mainloop_init();
    machine_lock();
    RUN(file_backend_truncates_and_writes);
    RUN(prompt_without_newline_flushed_by_main_loop);
    RUN(spec_errors);
    RUN(mux_passes_plain_bytes);
    RUN(mux_ctrl_a_ctrl_a_sends_one);
    RUN(mux_ctrl_a_x_quits);
    RUN(mux_escape_split_across_reads);
    RUN(mux_help_and_monitor_and_ignored_keys);
    RUN(mux_ctrl_a_c_switches_to_monitor);
    RUN(no_mux_is_transparent);
    RUN(slow_frontend_gets_everything_in_order);
    RUN(backend_buffer_full_stops_reading);
    RUN(eof_stops_watching);
    RUN(output_survives_nonblocking_full_pipe);
    RUN(stdio_only_once);
    TEST_EXIT();
}
