/*
 * The main loop: poll() over watched fds with the next timer deadline as the
 * timeout, an eventfd to be woken from other threads, and a queue of bottom
 * halves. The big machine lock is held except while waiting in poll.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mimic/log.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"

#define MAINLOOP_MAX_FDS 64
#define MAINLOOP_MAX_BH 256

typedef struct FdWatch {
    int fd;
    FdHandler on_read, on_write;
    void *opaque;
} FdWatch;

typedef struct BhEntry {
    BottomHalf cb;
    void *opaque;
} BhEntry;

static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t bh_lock = PTHREAD_MUTEX_INITIALIZER;
static FdWatch watches[MAINLOOP_MAX_FDS];
static int nwatches;
static BhEntry bh_queue[MAINLOOP_MAX_BH];
static int nbh;
static int wake_fd = -1;
static volatile int quit_requested;

void machine_lock(void) { pthread_mutex_lock(&big_lock); }
void machine_unlock(void) { pthread_mutex_unlock(&big_lock); }
void machine_cond_wait(pthread_cond_t *cond) { pthread_cond_wait(cond, &big_lock); }

void mainloop_init(void)
{
    if (wake_fd >= 0)
        return;
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0)
        fatal("eventfd: %s", strerror(errno));
}

void mainloop_set_fd(int fd, FdHandler on_read, FdHandler on_write, void *opaque)
{
    for (int i = 0; i < nwatches; i++) {
        if (watches[i].fd == fd) {
            if (!on_read && !on_write)
                watches[i] = watches[--nwatches];
            else
                watches[i] = (FdWatch){ fd, on_read, on_write, opaque };
            return;
        }
    }
    if (!on_read && !on_write)
        return;
    if (nwatches == MAINLOOP_MAX_FDS)
        fatal("main loop: more than %d file descriptors", MAINLOOP_MAX_FDS);
    watches[nwatches++] = (FdWatch){ fd, on_read, on_write, opaque };
}

void mainloop_wakeup(void)
{
    if (wake_fd >= 0) {
        uint64_t one = 1;
        ssize_t r = write(wake_fd, &one, sizeof(one));
        (void)r;   /* EAGAIN: counter full means a wakeup is pending anyway */
    }
}

void mainloop_schedule(BottomHalf cb, void *opaque)
{
    pthread_mutex_lock(&bh_lock);
    if (nbh == MAINLOOP_MAX_BH) {
        pthread_mutex_unlock(&bh_lock);
        fatal("main loop: bottom-half queue overflow");
    }
    bh_queue[nbh++] = (BhEntry){ cb, opaque };
    pthread_mutex_unlock(&bh_lock);
    mainloop_wakeup();
}

static void run_bottom_halves(void)
{
    BhEntry local[MAINLOOP_MAX_BH];
    pthread_mutex_lock(&bh_lock);
    int n = nbh;
    for (int i = 0; i < n; i++)
        local[i] = bh_queue[i];
    nbh = 0;
    pthread_mutex_unlock(&bh_lock);
    for (int i = 0; i < n; i++)
        local[i].cb(local[i].opaque);
}

/* Called with the big lock held; releases it while waiting. */
void mainloop_iterate(long long timeout_ns)
{
    struct pollfd pfd[MAINLOOP_MAX_FDS + 1];
    FdWatch snap[MAINLOOP_MAX_FDS];
    int64_t next = timers_run_expired();
    if (next >= 0 && (timeout_ns < 0 || next < timeout_ns))
        timeout_ns = next;
    pthread_mutex_lock(&bh_lock);
    if (nbh)
        timeout_ns = 0;
    pthread_mutex_unlock(&bh_lock);

    int n = nwatches;
    for (int i = 0; i < n; i++) {
        snap[i] = watches[i];
        pfd[i] = (struct pollfd){ .fd = snap[i].fd,
                                  .events = (snap[i].on_read ? POLLIN : 0) |
                                            (snap[i].on_write ? POLLOUT : 0) };
    }
    pfd[n] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };

    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / NS_PER_SEC;
        ts.tv_nsec = timeout_ns % NS_PER_SEC;
        tsp = &ts;
    }
    machine_unlock();
    int r = ppoll(pfd, (nfds_t)n + 1, tsp, NULL);
    machine_lock();
    if (r < 0 && errno != EINTR)
        fatal("poll: %s", strerror(errno));
    if (r > 0) {
        if (pfd[n].revents & POLLIN) {
            uint64_t v;
            ssize_t rr = read(wake_fd, &v, sizeof(v));
            (void)rr;
        }
        for (int i = 0; i < n; i++) {
            /* A handler may have removed a later watch: re-check it exists. */
            short ev = pfd[i].revents;
            if (!ev)
                continue;
            for (int j = 0; j < nwatches; j++) {
                if (watches[j].fd != snap[i].fd)
                    continue;
                if ((ev & (POLLIN | POLLHUP | POLLERR)) && watches[j].on_read)
                    watches[j].on_read(watches[j].opaque);
                else if ((ev & POLLOUT) && watches[j].on_write)
                    watches[j].on_write(watches[j].opaque);
                else if ((ev & (POLLHUP | POLLERR | POLLNVAL)) && !watches[j].on_read)
                    watches[j] = watches[--nwatches];   /* dead fd with nobody to tell */
                break;
            }
        }
    }
    run_bottom_halves();
    timers_run_expired();
}

void mainloop_quit(void)
{
    quit_requested = 1;
    mainloop_wakeup();
}

bool mainloop_should_quit(void)
{
    return quit_requested;
}
