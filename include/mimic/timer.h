/*
 * Timers on the virtual clock. The virtual clock counts nanoseconds since
 * machine start and stands still while the machine is paused. Timer
 * callbacks run from the main loop with the machine lock held; timer_mod
 * may be called from any thread holding that lock (it wakes the loop).
 */
#ifndef MIMIC_TIMER_H
#define MIMIC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define NS_PER_SEC 1000000000LL

typedef struct Timer Timer;
typedef void (*TimerCallback)(void *opaque);

int64_t clock_virtual_ns(void);   /* virtual time, ns */
int64_t clock_host_ns(void);      /* CLOCK_MONOTONIC, ns */
int64_t clock_realtime_ns(void);  /* wall clock, ns since the epoch (RTC) */
void clock_virtual_pause(void);
void clock_virtual_resume(void);

Timer *timer_new(TimerCallback cb, void *opaque);
void timer_free(Timer *t);
void timer_mod(Timer *t, int64_t expire_ns);   /* absolute virtual time */
void timer_del(Timer *t);
bool timer_pending(const Timer *t);
int64_t timer_expire_time(const Timer *t);     /* -1 if not pending */

/* Main-loop side: run expired timers; returns ns until the next one or -1. */
int64_t timers_run_expired(void);

#endif
