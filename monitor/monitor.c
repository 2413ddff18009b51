/*
 * The monitor's core: command-table lookup, argument specs and values, the
 * output sink, dispatch, and the VM run state that stop/cont change (one
 * accelerator pause held while stopped, as QEMU's "paused" runstate). The
 * command set lives in commands.c, the text front end in hmp.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/accel.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "monitor/monitor_int.h"

/* ---- output ---- */

void monitor_vprintf(MonitorOutput *out, const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof(small)) {
        out->write(out->opaque, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (!big)
            fatal("out of memory");
        vsnprintf(big, (size_t)n + 1, fmt, ap2);
        out->write(out->opaque, big, (size_t)n);
        free(big);
    }
    va_end(ap2);
}

void monitor_printf(MonitorOutput *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    monitor_vprintf(out, fmt, ap);
    va_end(ap);
}

void monitor_error(MonitorOutput *out, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(msg) - 2)
        n = (int)sizeof(msg) - 2;
    msg[n++] = '\n';
    msg[n] = 0;
    out->failed = true;
    (out->error ? out->error : out->write)(out->opaque, msg, (size_t)n);
}

/* ---- arguments ---- */

void monitor_args_clear(MonitorArgs *a)
{
    a->count = 0;
    a->used = 0;
}

static const char *args_store(MonitorArgs *a, const char *text)
{
    size_t len = strlen(text) + 1;
    if (len > sizeof(a->text) - a->used)
        return NULL;
    char *p = a->text + a->used;
    memcpy(p, text, len);
    a->used += len;
    return p;
}

static MonitorArg *args_new(MonitorArgs *a, const char *name, MonitorArgType type)
{
    if (a->count == MONITOR_MAX_ARGS || strlen(name) >= sizeof(a->arg[0].name))
        return NULL;
    MonitorArg *arg = &a->arg[a->count];
    memset(arg, 0, sizeof(*arg));
    strcpy(arg->name, name);
    arg->type = type;
    return arg;
}

bool monitor_args_add_str(MonitorArgs *a, const char *name, MonitorArgType type, const char *text)
{
    MonitorArg *arg = args_new(a, name, type);
    if (!arg || !(arg->str = args_store(a, text)))
        return false;
    a->count++;
    return true;
}

bool monitor_args_add_int(MonitorArgs *a, const char *name, int64_t value)
{
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)value);
    MonitorArg *arg = args_new(a, name, MONITOR_ARG_INT);
    if (!arg || !(arg->str = args_store(a, text)))
        return false;
    arg->num = value;
    a->count++;
    return true;
}

static const MonitorArg *args_find(const MonitorArgs *a, const char *name)
{
    for (int i = 0; a && i < a->count; i++)
        if (!strcmp(a->arg[i].name, name))
            return &a->arg[i];
    return NULL;
}

const char *monitor_arg_str(const MonitorArgs *a, const char *name)
{
    const MonitorArg *arg = args_find(a, name);
    return arg ? arg->str : NULL;
}

bool monitor_arg_int(const MonitorArgs *a, const char *name, int64_t *value)
{
    const MonitorArg *arg = args_find(a, name);
    if (!arg || arg->type != MONITOR_ARG_INT)
        return false;
    *value = arg->num;
    return true;
}

int monitor_parse_arg_spec(const char *spec, MonitorArgSpec *out, int max)
{
    int n = 0;
    const char *p = spec ? spec : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *colon = memchr(p, ':', len);
        if (!colon || colon == p || n == max)
            return -1;
        size_t name_len = (size_t)(colon - p);
        size_t type_len = len - name_len - 1;
        if (name_len >= sizeof(out[n].name) || type_len < 1 || type_len > 2)
            return -1;
        char t = colon[1];
        if (t != MONITOR_ARG_STR && t != MONITOR_ARG_INT && t != MONITOR_ARG_FILE)
            return -1;
        if (type_len == 2 && colon[2] != '?')
            return -1;
        memcpy(out[n].name, p, name_len);
        out[n].name[name_len] = 0;
        out[n].type = (MonitorArgType)t;
        out[n].optional = type_len == 2;
        /* A required argument after an optional one could never be reached. */
        if (n > 0 && out[n - 1].optional && !out[n].optional)
            return -1;
        n++;
        p += len;
        if (*p == ',')
            p++;
    }
    return n;
}

/* ---- commands ---- */

bool monitor_command_matches(const MonitorCommand *c, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = c->name; *p;) {
        size_t n = strcspn(p, "|");
        if (n == len && !strncmp(p, name, n))
            return true;
        p += n;
        if (*p == '|')
            p++;
    }
    return false;
}

const char *monitor_command_name(const MonitorCommand *c, char *buf, size_t size)
{
    snprintf(buf, size, "%.*s", (int)strcspn(c->name, "|"), c->name);
    return buf;
}

const MonitorCommand *monitor_find_command(const MonitorCommand *table, const char *name)
{
    for (const MonitorCommand *c = table; c && c->name; c++)
        if (monitor_command_matches(c, name))
            return c;
    return NULL;
}

bool monitor_dispatch(Monitor *mon, const MonitorCommand *c, const MonitorArgs *args,
                      MonitorOutput *out)
{
    MonitorArgSpec spec[MONITOR_MAX_ARGS];
    int n = monitor_parse_arg_spec(c->args, spec, MONITOR_MAX_ARGS);
    if (n < 0 || !c->handler) {
        monitor_error(out, "%s: internal error: bad command table entry", c->name);
        return false;
    }
    /* Front ends check this too; a JSON one may not, so check once more. */
    for (int i = 0; i < n; i++) {
        if (!spec[i].optional && !monitor_arg_str(args, spec[i].name)) {
            monitor_error(out, "%s: missing argument '%s'", c->name, spec[i].name);
            return false;
        }
    }
    out->failed = false;
    bool ok = c->handler(mon, args, out);
    return ok && !out->failed;
}

/* ---- the monitor ---- */

static void key_timer_cb(void *opaque)
{
    monitor_release_keys(opaque);
}

Monitor *monitor_new(Machine *m)
{
    Monitor *mon = calloc(1, sizeof(*mon));
    if (!mon)
        fatal("out of memory");
    mon->m = m;
    mon->key_timer = timer_new(key_timer_cb, mon);
    return mon;
}

void monitor_free(Monitor *mon)
{
    if (!mon)
        return;
    monitor_close(mon);
    timer_free(mon->key_timer);
    free(mon);
}

Machine *monitor_machine(Monitor *mon)
{
    return mon->m;
}

bool monitor_vm_running(const Monitor *mon)
{
    return !mon->stopped;
}

void monitor_vm_stop(Monitor *mon)
{
    if (mon->stopped)
        return;
    mon->m->accel->pause_all(mon->m);
    /* QEMU's virtual clock stops with the vCPUs: guest timers do not run
     * on while nobody can take their interrupts. */
    clock_virtual_pause();
    mon->stopped = true;
}

void monitor_vm_cont(Monitor *mon)
{
    if (!mon->stopped)
        return;
    mon->stopped = false;
    clock_virtual_resume();
    mon->m->accel->resume_all(mon->m);
}

void monitor_print_banner(MonitorOutput *out)
{
    monitor_printf(out, "mimic " MONITOR_VERSION " monitor - type 'help' for more information\n");
}
