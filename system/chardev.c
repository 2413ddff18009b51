/*
 * Character backends: stdio (raw terminal, Ctrl-A mux as with -nographic),
 * file:PATH (output only) and null. Input is buffered here (4 KiB) and
 * handed to the frontend only as fast as its can_receive allows, so the mux
 * keys keep working while the guest does not drain its UART. Ctrl-A c
 * moves input between the frontend and a second client, the monitor.
 * Left out: sockets, pipes, ptys, sending a break.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "mimic/chardev.h"
#include "mimic/log.h"
#include "mimic/mainloop.h"

#define CHARDEV_MAX 16
#define CHARDEV_INBUF_SIZE 4096
#define CHARDEV_OUTBUF_SIZE 4096
#define CHARDEV_READ_CHUNK 512
#define MUX_ESCAPE 0x01      /* Ctrl-A */

struct Chardev {
    int in_fd, out_fd;       /* -1: none */
    bool owns_out;           /* file: backend closes its fd */
    bool is_stdio;
    bool mux;
    ChardevFrontend fe;
    /* The mux's second client (the monitor): gets the input after Ctrl-A c. */
    ChardevFrontend mon_fe;
    void (*mon_focus)(void *opaque, bool focused);
    bool mon_focused;

    /* Input ring: bytes read (after mux processing) not yet taken. */
    uint8_t in[CHARDEV_INBUF_SIZE];
    size_t in_head, in_len;
    bool watching;           /* in_fd is registered with the main loop */
    bool in_closed;          /* EOF or error: never watch again */
    bool delivering;         /* guards re-entry from the frontend */
    bool escape;             /* mux saw Ctrl-A, waiting for the command */

    uint8_t out[CHARDEV_OUTBUF_SIZE];
    size_t out_len;
    bool flush_scheduled;    /* a bottom half will flush (and may free) */
    bool out_failed;         /* write error: output dropped from now on */
    bool freed;              /* chardev_free ran while a flush was queued */
};

static Chardev *chardevs[CHARDEV_MAX];
static bool atexit_registered;
static bool stdio_in_use;
static struct termios stdio_saved_tio;
static volatile sig_atomic_t stdio_tio_saved;
static void (*quit_fn)(void *opaque);
static void *quit_opaque;

/* ---- output ---- */

/* Blocking write of everything, riding out EINTR and a non-blocking fd's
 * EAGAIN (stdout may be a pipe someone made non-blocking). */
static bool fd_write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            poll(&p, 1, -1);
        } else {
            return false;
        }
    }
    return true;
}

void chardev_flush(Chardev *c)
{
    if (!c || c->out_len == 0)
        return;
    size_t len = c->out_len;
    c->out_len = 0;
    if (c->out_failed || c->out_fd < 0)
        return;
    if (!fd_write_all(c->out_fd, c->out, len)) {
        c->out_failed = true;
        warn("serial output: write failed (%s); dropping further output", strerror(errno));
    }
}

static void chardev_free_now(Chardev *c)
{
    if (c->owns_out && c->out_fd >= 0)
        close(c->out_fd);
    free(c);
}

static void chardev_flush_bh(void *opaque)
{
    Chardev *c = opaque;
    c->flush_scheduled = false;
    if (c->freed) {
        chardev_free_now(c);
        return;
    }
    chardev_flush(c);
}

void chardev_write(Chardev *c, const uint8_t *buf, size_t len)
{
    if (!c || c->out_fd < 0 || c->out_failed || len == 0)
        return;
    bool newline = memchr(buf, '\n', len) != NULL;
    while (len > 0) {
        size_t room = CHARDEV_OUTBUF_SIZE - c->out_len;
        size_t n = len < room ? len : room;
        memcpy(c->out + c->out_len, buf, n);
        c->out_len += n;
        buf += n;
        len -= n;
        if (c->out_len == CHARDEV_OUTBUF_SIZE)
            chardev_flush(c);
    }
    /* One write per line keeps Linux's console cheap; a prompt without a
     * newline goes out from the main loop moments later. */
    if (newline)
        chardev_flush(c);
    else if (c->out_len > 0 && !c->flush_scheduled) {
        c->flush_scheduled = true;
        mainloop_schedule(chardev_flush_bh, c);
    }
}

/* Mux messages go straight to the terminal, after pending guest output. */
static void chardev_print(Chardev *c, const char *msg)
{
    chardev_flush(c);
    int fd = c->out_fd >= 0 && !c->out_failed ? c->out_fd : STDERR_FILENO;
    fd_write_all(fd, (const uint8_t *)msg, strlen(msg));
}

/* ---- input ---- */

static void chardev_readable(void *opaque);

static void chardev_watch(Chardev *c, bool on)
{
    if (on && (c->in_fd < 0 || c->in_closed))
        return;
    if (on == c->watching)
        return;
    c->watching = on;
    mainloop_set_fd(c->in_fd, on ? chardev_readable : NULL, NULL, c);
    if (on)
        mainloop_wakeup();   /* the loop may be polling without this fd */
}

static void chardev_deliver(Chardev *c)
{
    if (c->delivering)
        return;
    c->delivering = true;
    const ChardevFrontend *fe = c->mon_focused ? &c->mon_fe : &c->fe;
    while (c->in_len > 0 && fe->receive && fe->can_receive) {
        int room = fe->can_receive(fe->opaque);
        if (room <= 0)
            break;
        size_t n = c->in_len;
        if (n > (size_t)room)
            n = (size_t)room;
        if (n > CHARDEV_INBUF_SIZE - c->in_head)
            n = CHARDEV_INBUF_SIZE - c->in_head;
        fe->receive(fe->opaque, c->in + c->in_head, (int)n);
        c->in_head = (c->in_head + n) % CHARDEV_INBUF_SIZE;
        c->in_len -= n;
    }
    c->delivering = false;
    if (c->in_len < CHARDEV_INBUF_SIZE)
        chardev_watch(c, true);
}

static void chardev_push(Chardev *c, uint8_t byte)
{
    /* The reader never takes more than the free space, and the mux only
     * shrinks the stream, so the ring cannot overflow. */
    if (c->in_len == CHARDEV_INBUF_SIZE)
        return;
    c->in[(c->in_head + c->in_len) % CHARDEV_INBUF_SIZE] = byte;
    c->in_len++;
}

static const char mux_help[] =
    "\r\n"
    "C-a h    print this help\r\n"
    "C-a x    exit mimic\r\n"
    "C-a s    save disk data (nothing to save yet)\r\n"
    "C-a c    switch between console and monitor\r\n"
    "C-a C-a  send C-a to the guest\r\n";

static void chardev_mux_byte(Chardev *c, uint8_t byte)
{
    if (!c->escape) {
        if (byte == MUX_ESCAPE)
            c->escape = true;
        else
            chardev_push(c, byte);
        return;
    }
    c->escape = false;
    switch (byte) {
    case MUX_ESCAPE:
        chardev_push(c, byte);
        break;
    case 'x': case 'X':
        chardev_print(c, "\r\nmimic: terminated\r\n");
        if (quit_fn) {
            quit_fn(quit_opaque);
        } else {
            chardev_cleanup_all();
            exit(0);
        }
        break;
    case 'h': case 'H': case '?':
        chardev_print(c, mux_help);
        break;
    case 'c': case 'C':
        if (!c->mon_fe.receive) {
            chardev_print(c, "\r\nmimic: monitor not available on this console\r\n");
            break;
        }
        chardev_deliver(c);   /* what was typed before the switch stays with its client */
        c->mon_focused = !c->mon_focused;
        if (c->mon_focus)
            c->mon_focus(c->mon_fe.opaque, c->mon_focused);
        break;
    default:   /* 's' (nothing to commit) and unknown keys: ignored */
        break;
    }
}

static void chardev_readable(void *opaque)
{
    Chardev *c = opaque;
    size_t room = CHARDEV_INBUF_SIZE - c->in_len;
    if (room == 0) {
        chardev_watch(c, false);
        return;
    }
    uint8_t buf[CHARDEV_READ_CHUNK];
    ssize_t n = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        /* EOF or error (CI runs with stdin closed or /dev/null): stop quietly. */
        chardev_watch(c, false);
        c->in_closed = true;
        chardev_deliver(c);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (c->mux)
            chardev_mux_byte(c, buf[i]);
        else
            chardev_push(c, buf[i]);
    }
    chardev_deliver(c);
    if (c->in_len == CHARDEV_INBUF_SIZE)
        chardev_watch(c, false);
}

void chardev_accept_input(Chardev *c)
{
    if (c && (c->in_len > 0 || !c->watching))
        chardev_deliver(c);
}

void chardev_mux_set_monitor(Chardev *c, const ChardevFrontend *fe,
                             void (*focus)(void *opaque, bool focused))
{
    if (!c)
        return;
    c->mon_fe = fe ? *fe : (ChardevFrontend){ 0 };
    c->mon_focus = fe ? focus : NULL;
    c->mon_focused = false;
}

void chardev_set_frontend(Chardev *c, const ChardevFrontend *fe)
{
    if (!c)
        return;
    c->fe = fe ? *fe : (ChardevFrontend){ 0 };
    chardev_deliver(c);
}

/* ---- terminal and lifetime ---- */

static void stdio_raw_on(void)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) < 0)
        return;
    stdio_saved_tio = t;
    stdio_tio_saved = 1;
    /* Every key goes to the guest: no echo, no line editing, no signals
     * (Ctrl-C is the guest's; Ctrl-A x quits). Output processing stays. */
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static void stdio_raw_off(void)
{
    if (stdio_tio_saved) {
        stdio_tio_saved = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &stdio_saved_tio);
    }
}

void chardev_cleanup_all(void)
{
    stdio_raw_off();
    for (int i = 0; i < CHARDEV_MAX; i++) {
        Chardev *c = chardevs[i];
        if (c && c->out_len <= CHARDEV_OUTBUF_SIZE)
            chardev_flush(c);
    }
}

void chardev_set_quit_handler(void (*fn)(void *opaque), void *opaque)
{
    quit_fn = fn;
    quit_opaque = opaque;
}

static bool fd_is_open(int fd)
{
    return fcntl(fd, F_GETFL) >= 0;
}

Chardev *chardev_new_fd(int in_fd, int out_fd, bool mux)
{
    int slot = 0;
    while (slot < CHARDEV_MAX && chardevs[slot])
        slot++;
    if (slot == CHARDEV_MAX)
        fatal("too many character devices (at most %d)", CHARDEV_MAX);
    Chardev *c = calloc(1, sizeof(*c));
    if (!c)
        fatal("out of memory");
    c->in_fd = in_fd;
    c->out_fd = out_fd;
    c->mux = mux;
    chardevs[slot] = c;
    if (!atexit_registered) {
        atexit_registered = true;
        atexit(chardev_cleanup_all);
    }
    chardev_watch(c, true);
    return c;
}

void chardev_free(Chardev *c)
{
    if (!c)
        return;
    for (int i = 0; i < CHARDEV_MAX; i++)
        if (chardevs[i] == c)
            chardevs[i] = NULL;
    chardev_flush(c);
    chardev_watch(c, false);
    if (c->is_stdio) {
        stdio_raw_off();
        stdio_in_use = false;
    }
    if (c->flush_scheduled)
        c->freed = true;   /* the queued bottom half frees it */
    else
        chardev_free_now(c);
}

static Chardev *chardev_new_stdio(const char **err)
{
    if (stdio_in_use) {
        *err = "stdio is already used by another serial port";
        return NULL;
    }
    int in_fd = STDIN_FILENO;
    if (!fd_is_open(in_fd)) {
        in_fd = -1;
    } else if (isatty(in_fd)) {
        /* In a background job, reading or re-moding our controlling
         * terminal would stop us with SIGTTIN/SIGTTOU: run without input
         * instead. (A terminal that is not our controlling one, such as a
         * test harness's pty, fails tcgetpgrp and is used normally.) */
        pid_t fg = tcgetpgrp(in_fd);
        if (fg >= 0 && fg != getpgrp())
            in_fd = -1;
        else
            stdio_raw_on();
    }
    int out_fd = fd_is_open(STDOUT_FILENO) ? STDOUT_FILENO : -1;
    Chardev *c = chardev_new_fd(in_fd, out_fd, true);
    c->is_stdio = true;
    stdio_in_use = true;
    return c;
}

Chardev *chardev_new(const char *spec, const char **err)
{
    static char errbuf[512];
    const char *dummy;
    if (!err)
        err = &dummy;
    *err = NULL;
    if (!spec) {
        *err = "no character device given";
        return NULL;
    }
    if (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio"))
        return chardev_new_stdio(err);
    if (!strcmp(spec, "null") || !strcmp(spec, "none"))
        return chardev_new_fd(-1, -1, false);
    if (!strncmp(spec, "file:", 5)) {
        const char *path = spec + 5;
        if (!*path) {
            *err = "file: needs a path (file:PATH)";
            return NULL;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(errbuf, sizeof(errbuf), "cannot open %s: %s", path, strerror(errno));
            *err = errbuf;
            return NULL;
        }
        Chardev *c = chardev_new_fd(-1, fd, false);
        c->owns_out = true;
        return c;
    }
    snprintf(errbuf, sizeof(errbuf), "unknown character device '%.200s' (use stdio, file:PATH, "
             "null or none)", spec);
    *err = errbuf;
    return NULL;
}
