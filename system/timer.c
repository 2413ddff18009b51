/*
 * Timers on the virtual clock, kept in a list sorted by expiry (machines
 * have tens of timers, so insertion is cheap and the head is the deadline).
 * The virtual clock is CLOCK_MONOTONIC minus the time spent paused.
 */
#include <stdlib.h>
#include <time.h>

#include "mimic/log.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"

struct Timer {
    TimerCallback cb;
    void *opaque;
    int64_t expire;
    bool pending;
    Timer *next;
};

static Timer *timer_head;
static int64_t clock_start_ns = -1;
static int64_t clock_paused_total;
static int64_t clock_paused_since = -1;

int64_t clock_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_virtual_ns(void)
{
    int64_t now = clock_host_ns();
    if (clock_start_ns < 0)
        clock_start_ns = now;
    if (clock_paused_since >= 0)
        now = clock_paused_since;
    return now - clock_start_ns - clock_paused_total;
}

void clock_virtual_pause(void)
{
    if (clock_paused_since < 0)
        clock_paused_since = clock_host_ns();
}

void clock_virtual_resume(void)
{
    if (clock_paused_since >= 0) {
        clock_paused_total += clock_host_ns() - clock_paused_since;
        clock_paused_since = -1;
    }
}

Timer *timer_new(TimerCallback cb, void *opaque)
{
    Timer *t = calloc(1, sizeof(*t));
    if (!t)
        fatal("out of memory");
    t->cb = cb;
    t->opaque = opaque;
    t->expire = -1;
    return t;
}

void timer_free(Timer *t)
{
    if (t) {
        timer_del(t);
        free(t);
    }
}

void timer_del(Timer *t)
{
    if (!t->pending)
        return;
    for (Timer **p = &timer_head; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->pending = false;
    t->next = NULL;
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    timer_del(t);
    t->expire = expire_ns;
    t->pending = true;
    Timer **p = &timer_head;
    while (*p && (*p)->expire <= expire_ns)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    if (timer_head == t)
        mainloop_wakeup();
}

bool timer_pending(const Timer *t)
{
    return t->pending;
}

int64_t timer_expire_time(const Timer *t)
{
    return t->pending ? t->expire : -1;
}

int64_t timers_run_expired(void)
{
    int64_t now = clock_virtual_ns();
    /* Bound the work per call so a timer that rearms itself in the past
     * cannot starve the loop. */
    for (int budget = 1000; timer_head && budget > 0; budget--) {
        Timer *t = timer_head;
        if (t->expire > now)
            break;
        timer_head = t->next;
        t->pending = false;
        t->next = NULL;
        t->cb(t->opaque);
        now = clock_virtual_ns();
    }
    if (!timer_head)
        return -1;
    int64_t delta = timer_head->expire - clock_virtual_ns();
    return delta > 0 ? delta : 0;
}
