/*
 * Logging: the -d categories (-D FILE redirects them), guest-error reports,
 * and the one-line user error that ends the process.
 */
#ifndef MIMIC_LOG_H
#define MIMIC_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum {
    LOG_GUEST_ERRORS = 1u << 0,  /* guest did something wrong: logged, ignored */
    LOG_UNIMP        = 1u << 1,  /* guest used something we do not model */
    LOG_INT          = 1u << 2,  /* interrupts and exceptions */
    LOG_IN_ASM       = 1u << 3,
    LOG_OP           = 1u << 4,
    LOG_OUT_ASM      = 1u << 5,
    LOG_EXEC         = 1u << 6,
    LOG_CPU          = 1u << 7,
    LOG_IOPORT       = 1u << 8,  /* every port access */
    LOG_MMIO         = 1u << 9,
    LOG_KVM          = 1u << 10,
};

extern unsigned log_mask;

/* Parse "-d a,b,c"; returns false and sets *bad to the unknown name. */
bool log_parse_mask(const char *spec, unsigned *mask, const char **bad);
void log_print_help(FILE *out);
bool log_set_file(const char *path);     /* -D */
FILE *log_file(void);

static inline bool log_enabled(unsigned category) { return (log_mask & category) != 0; }
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define log_mask_printf(cat, ...) \
    do { if (log_enabled(cat)) log_printf(__VA_ARGS__); } while (0)
#define guest_error(...) log_mask_printf(LOG_GUEST_ERRORS, __VA_ARGS__)
#define log_unimp(...) log_mask_printf(LOG_UNIMP, __VA_ARGS__)

/* "mimic: <message>" on stderr, exit(1). For bad user input. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* "mimic: warning: <message>" on stderr. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
