/*
 * Logging for -d/-D, and the user-facing error and warning lines. fatal()
 * exits through exit(), so atexit handlers (terminal restore) still run.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/log.h"

unsigned log_mask;
static FILE *log_out;

static const struct {
    const char *name;
    unsigned mask;
    const char *help;
} log_items[] = {
    { "guest_errors", LOG_GUEST_ERRORS, "guest did something invalid (logged, then ignored)" },
    { "unimp", LOG_UNIMP, "guest used something mimic does not model" },
    { "int", LOG_INT, "interrupts and exceptions" },
    { "in_asm", LOG_IN_ASM, "guest code as translated (tcg)" },
    { "op", LOG_OP, "translator IR (tcg)" },
    { "out_asm", LOG_OUT_ASM, "generated host code (tcg)" },
    { "exec", LOG_EXEC, "blocks as executed (tcg)" },
    { "cpu", LOG_CPU, "CPU state before each block (tcg)" },
    { "ioport", LOG_IOPORT, "every I/O port access" },
    { "mmio", LOG_MMIO, "every MMIO access" },
    { "kvm", LOG_KVM, "KVM exits" },
};

bool log_parse_mask(const char *spec, unsigned *mask, const char **bad)
{
    static char badbuf[64];
    unsigned m = 0;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = false;
        if (len == 3 && !strncmp(p, "all", 3)) {
            m = ~0u;
            found = true;
        }
        for (size_t i = 0; !found && i < sizeof(log_items) / sizeof(log_items[0]); i++) {
            if (strlen(log_items[i].name) == len && !strncmp(p, log_items[i].name, len)) {
                m |= log_items[i].mask;
                found = true;
            }
        }
        if (!found) {
            snprintf(badbuf, sizeof(badbuf), "%.*s", (int)(len < 60 ? len : 60), p);
            *bad = badbuf;
            return false;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    *mask = m;
    return true;
}

void log_print_help(FILE *out)
{
    fprintf(out, "Log items (comma separated, or 'all'):\n");
    for (size_t i = 0; i < sizeof(log_items) / sizeof(log_items[0]); i++)
        fprintf(out, "  %-14s %s\n", log_items[i].name, log_items[i].help);
}

bool log_set_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    setvbuf(f, NULL, _IOLBF, 0);
    log_out = f;
    return true;
}

FILE *log_file(void)
{
    return log_out ? log_out : stderr;
}

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file(), fmt, ap);
    va_end(ap);
}

void fatal(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("mimic: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void warn(const char *fmt, ...)
{
    va_list ap;
    fputs("mimic: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
