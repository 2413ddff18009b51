/*
 * The monitor: a table of commands {name, argument spec, help, handler}
 * that front ends drive. The human monitor (hmp.c) parses "name arg arg"
 * lines into MonitorArgs; a JSON front end (QMP, later) can fill the same
 * MonitorArgs from an object and call the same handlers. Handlers write
 * text through a MonitorOutput sink and never see where it goes.
 * Everything here runs on the main-loop thread with the machine lock held.
 */
#ifndef MIMIC_MONITOR_MONITOR_H
#define MIMIC_MONITOR_MONITOR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Machine Machine;
typedef struct Chardev Chardev;
typedef struct Monitor Monitor;

#define MONITOR_MAX_ARGS 8
#define MONITOR_MAX_LINE 1024
#define MONITOR_PROMPT "(mimic) "

/* ---- output ---- */

/* Where a handler's text goes. `error` (may be NULL: then `write`) gets
 * error messages, so a JSON front end can return them as its error. */
typedef struct MonitorOutput {
    void (*write)(void *opaque, const char *text, size_t len);
    void (*error)(void *opaque, const char *text, size_t len);
    void *opaque;
    bool failed;              /* set by monitor_error */
} MonitorOutput;

void monitor_printf(MonitorOutput *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void monitor_vprintf(MonitorOutput *out, const char *fmt, va_list ap);
/* An error message (one line; the newline is added) and out->failed. */
void monitor_error(MonitorOutput *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- arguments ---- */

/*
 * An argument spec is a comma-separated list of NAME:TYPE, TYPE being
 * 's' (a word or "quoted string"), 'i' (an integer, 0x.. for hex) or
 * 'F' (a file name); a trailing '?' makes it optional:
 * "keys:s,hold-time:i?". A command with a sub-table (info) takes the
 * sub-command's name as its first word instead.
 */
typedef enum MonitorArgType { MONITOR_ARG_STR = 's', MONITOR_ARG_INT = 'i',
                              MONITOR_ARG_FILE = 'F' } MonitorArgType;

typedef struct MonitorArg {
    char name[32];
    MonitorArgType type;
    const char *str;          /* the text (also set for integers) */
    int64_t num;
} MonitorArg;

typedef struct MonitorArgs {
    int count;
    MonitorArg arg[MONITOR_MAX_ARGS];
    char text[MONITOR_MAX_LINE];   /* storage for the strings above */
    size_t used;
} MonitorArgs;

/* NULL / false when the argument was not given. */
const char *monitor_arg_str(const MonitorArgs *a, const char *name);
bool monitor_arg_int(const MonitorArgs *a, const char *name, int64_t *value);
/* Builders for front ends (false: too many or too long). */
void monitor_args_clear(MonitorArgs *a);
bool monitor_args_add_str(MonitorArgs *a, const char *name, MonitorArgType type, const char *text);
bool monitor_args_add_int(MonitorArgs *a, const char *name, int64_t value);

/* ---- commands ---- */

typedef struct MonitorCommand MonitorCommand;
typedef bool (*MonitorHandler)(Monitor *mon, const MonitorArgs *args, MonitorOutput *out);

struct MonitorCommand {
    const char *name;              /* "quit|q": the name, then aliases */
    const char *args;              /* spec, see above ("" for none) */
    const char *params;            /* usage shown by help, e.g. "keys [hold-time]" */
    const char *help;
    MonitorHandler handler;        /* NULL for a command with a sub-table */
    const MonitorCommand *sub;     /* info's sub-commands, or NULL */
};

/* The table: terminated by an entry with name NULL. */
extern const MonitorCommand monitor_commands[];
extern const MonitorCommand monitor_info_commands[];

/* The entry called `name` (or one of its aliases), or NULL. */
const MonitorCommand *monitor_find_command(const MonitorCommand *table, const char *name);
/* True if `name` is one of the '|'-separated names of c. */
bool monitor_command_matches(const MonitorCommand *c, const char *name);
/* The primary name of c (up to the first '|'), into buf. */
const char *monitor_command_name(const MonitorCommand *c, char *buf, size_t size);

/* Parse `spec` into (name, type, optional) triples; returns how many, -1
 * on a malformed spec (a bug in a table, found by the unit test). */
typedef struct MonitorArgSpec { char name[32]; MonitorArgType type; bool optional; } MonitorArgSpec;
int monitor_parse_arg_spec(const char *spec, MonitorArgSpec *out, int max);

/* Run c with args; returns false if it failed (the message went to out). */
bool monitor_dispatch(Monitor *mon, const MonitorCommand *c, const MonitorArgs *args,
                      MonitorOutput *out);

/* ---- the monitor and its machine ---- */

Monitor *monitor_new(Machine *m);
void monitor_free(Monitor *mon);
Machine *monitor_machine(Monitor *mon);

/* VM run state as the monitor sees it: stop pauses every vCPU (and the
 * virtual clock) through the accelerator ops; cont undoes it. */
bool monitor_vm_running(const Monitor *mon);
void monitor_vm_stop(Monitor *mon);
void monitor_vm_cont(Monitor *mon);

/* The greeting a session prints when it starts. */
void monitor_print_banner(MonitorOutput *out);
#define MONITOR_VERSION "0.1.0"

/* ---- -monitor ---- */

typedef enum MonitorBackend { MONITOR_NONE, MONITOR_STDIO, MONITOR_UNIX, MONITOR_DEFAULT } MonitorBackend;

typedef struct MonitorSpec {
    MonitorBackend backend;
    char path[108];            /* unix: socket path (sun_path size) */
    bool wait;                 /* unix: wait for a client before the guest runs */
} MonitorSpec;

/* Check a -monitor value: "stdio", "none", "unix:PATH,server[=on][,nowait|
 * wait=off]". NULL (no -monitor) gives MONITOR_DEFAULT. False with *err (one
 * line, without the "-monitor SPEC: " prefix) on a bad value. */
bool monitor_parse_spec(const char *spec, MonitorSpec *out, const char **err);

/*
 * Open the front end `spec` asks for. `mux` is the stdio chardev with the
 * Ctrl-A mux that a serial port already uses (NULL if none): the default
 * monitor, and -monitor stdio, join it as the Ctrl-A c client. Failures
 * (socket in use, ...) are fatal() with one line.
 */
void monitor_open(Monitor *mon, const MonitorSpec *spec, Chardev *mux);
/* Close front ends and remove the socket file. */
void monitor_close(Monitor *mon);

#endif
