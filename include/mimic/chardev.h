/*
 * Character backends for serial ports: stdio (with the Ctrl-A mux), a file,
 * or nothing. A frontend (UART) registers how much it can accept and a
 * receive callback; the backend pushes input bytes when can_receive > 0.
 * All calls are made with the machine lock held (or single-threaded tests).
 */
#ifndef MIMIC_CHARDEV_H
#define MIMIC_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Chardev Chardev;

typedef struct ChardevFrontend {
    int (*can_receive)(void *opaque);                    /* bytes it can take now */
    void (*receive)(void *opaque, const uint8_t *buf, int len);
    void *opaque;
} ChardevFrontend;

/* spec: "stdio" (also "mon:stdio"), "file:PATH", "none", "null".
 * Returns NULL and sets *err (a one-line reason) on failure. */
Chardev *chardev_new(const char *spec, const char **err);
/* A backend over already-open fds (in_fd -1: no input, out_fd -1: output
 * discarded), with or without the Ctrl-A mux. The fds stay the caller's.
 * Input is read through the main loop (mainloop_set_fd). Used by tests. */
Chardev *chardev_new_fd(int in_fd, int out_fd, bool mux);
/* Flush, stop watching, restore the terminal (stdio) and free. */
void chardev_free(Chardev *c);

/* The frontend struct is copied. Buffered input is offered to it at once. */
void chardev_set_frontend(Chardev *c, const ChardevFrontend *fe);
/* With the Ctrl-A mux: the monitor as a second frontend. Ctrl-A c moves
 * input between it and the first; focus(opaque, true/false) is told. */
void chardev_mux_set_monitor(Chardev *c, const ChardevFrontend *fe,
                             void (*focus)(void *opaque, bool focused));
/* Output is buffered: flushed at a newline, when the buffer fills, from a
 * main-loop bottom half shortly after, by chardev_flush and at exit. */
void chardev_write(Chardev *c, const uint8_t *buf, size_t len);
void chardev_flush(Chardev *c);
/* The frontend calls this when it has room again (after the guest read). */
void chardev_accept_input(Chardev *c);
/* Restore terminal modes and flush output; async-signal-safe enough to be
 * called from a fatal signal handler. Also registered with atexit. */
void chardev_cleanup_all(void);

/* Mux Ctrl-A x calls fn(opaque) (after printing "mimic: terminated").
 * Without a handler the process flushes, restores the terminal and exits 0. */
void chardev_set_quit_handler(void (*fn)(void *opaque), void *opaque);

#endif
