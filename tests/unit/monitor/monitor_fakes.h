/*
 * Fakes shared by the monitor tests: a machine whose accelerator only
 * counts pauses and hands out preset registers, and an output sink that
 * collects a command's text.
 */
#ifndef TESTS_UNIT_MONITOR_FAKES_H
#define TESTS_UNIT_MONITOR_FAKES_H

#include <stdbool.h>

#include "mimic/accel.h"
#include "mimic/machine.h"
#include "monitor/monitor.h"

#define FAKE_MAX_CPUS 4

typedef struct FakeAccel {
    int pause_depth;          /* pause_all minus resume_all */
    int pauses, resumes;
    int reads_while_running;  /* get_regs with pause_depth 0: must stay 0 */
    X86Regs regs[FAKE_MAX_CPUS];
} FakeAccel;

extern FakeAccel fake_accel;

/* A machine with `ncpus` vCPUs on the fake accelerator (reset to zero). */
Machine *fake_machine_new(int ncpus);
void fake_machine_free(Machine *m);

typedef struct Capture {
    char text[65536];
    size_t len;
    char errors[4096];
    size_t elen;
} Capture;

/* out writes into cap (errors both into text and errors). */
void capture_init(Capture *cap, MonitorOutput *out);
/* Run one HMP line; returns its success, text in cap. */
bool run_line(Monitor *mon, const char *line, Capture *cap);

#endif
