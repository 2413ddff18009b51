/*
 * What the files of monitor/ share and nothing outside it sees: the Monitor
 * itself (machine, run state, keys held by sendkey, open front ends).
 */
#ifndef MIMIC_MONITOR_MONITOR_INT_H
#define MIMIC_MONITOR_MONITOR_INT_H

#include "monitor/monitor.h"
#include "mimic/timer.h"

/* Keys one sendkey may hold down at once (QEMU's limit is also 16). */
#define MONITOR_MAX_KEYS 16
/* sendkey's default hold time, as QEMU's. */
#define MONITOR_KEY_HOLD_MS 100

typedef struct MonitorFrontends MonitorFrontends;

struct Monitor {
    Machine *m;
    bool stopped;                  /* we hold one accelerator pause */
    /* Keys pressed by sendkey, released in reverse when key_timer fires. */
    int held[MONITOR_MAX_KEYS];
    int nheld;
    Timer *key_timer;
    MonitorFrontends *fe;          /* frontend.c's state */
};

/* sendkey's release: also run before a new sendkey presses anything. */
void monitor_release_keys(Monitor *mon);

#endif
