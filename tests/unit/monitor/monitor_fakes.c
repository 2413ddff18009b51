/*
 * Fakes for the monitor tests (see monitor_fakes.h).
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp.h"
#include "monitor_fakes.h"

FakeAccel fake_accel;

static void fake_pause_all(Machine *m)
{
    (void)m;
    fake_accel.pause_depth++;
    fake_accel.pauses++;
}

static void fake_resume_all(Machine *m)
{
    (void)m;
    if (fake_accel.pause_depth > 0)
        fake_accel.pause_depth--;
    fake_accel.resumes++;
}

static void fake_get_regs(Machine *m, int cpu, X86Regs *regs)
{
    (void)m;
    if (fake_accel.pause_depth == 0)
        fake_accel.reads_while_running++;
    if (cpu < 0 || cpu >= FAKE_MAX_CPUS)
        abort();
    *regs = fake_accel.regs[cpu];
}

static const AccelOps fake_ops = {
    .name = "fake",
    .pause_all = fake_pause_all,
    .resume_all = fake_resume_all,
    .get_regs = fake_get_regs,
};

Machine *fake_machine_new(int ncpus)
{
    memset(&fake_accel, 0, sizeof(fake_accel));
    Machine *m = calloc(1, sizeof(*m));
    if (!m)
        abort();
    m->ncpus = ncpus;
    m->accel = &fake_ops;
    return m;
}

void fake_machine_free(Machine *m)
{
    free(m);
}

static void cap_write(void *opaque, const char *text, size_t len)
{
    Capture *c = opaque;
    if (len > sizeof(c->text) - 1 - c->len)
        len = sizeof(c->text) - 1 - c->len;
    memcpy(c->text + c->len, text, len);
    c->len += len;
    c->text[c->len] = 0;
}

static void cap_error(void *opaque, const char *text, size_t len)
{
    Capture *c = opaque;
    cap_write(c, text, len);
    if (len > sizeof(c->errors) - 1 - c->elen)
        len = sizeof(c->errors) - 1 - c->elen;
    memcpy(c->errors + c->elen, text, len);
    c->elen += len;
    c->errors[c->elen] = 0;
}

void capture_init(Capture *cap, MonitorOutput *out)
{
    memset(cap, 0, sizeof(*cap));
    *out = (MonitorOutput){ .write = cap_write, .error = cap_error, .opaque = cap };
}

bool run_line(Monitor *mon, const char *line, Capture *cap)
{
    MonitorOutput out;
    capture_init(cap, &out);
    return hmp_execute(mon, line, &out);
}
