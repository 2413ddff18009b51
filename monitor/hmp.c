/*
 * The human monitor (HMP) text front end, after QEMU's: "name arg arg"
 * lines (arguments are words or "quoted strings" with \" \\ \n escapes),
 * checked against the command table's argument specs, and a session with
 * just enough line editing for a raw terminal or a socket (echo, backspace,
 * Ctrl-U, CR/LF/CRLF; escape sequences are swallowed). Left out: history,
 * completion, cursor movement inside the line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/log.h"
#include "mimic/machine.h"
#include "monitor/hmp.h"

/* ---- parsing ---- */

/* Next argument of `line` from *pos into buf: false at the end of the
 * line, or with err set on a bad quoted string. */
static bool next_token(const char **pos, char *buf, size_t size, char *err, size_t errsize)
{
    const char *p = *pos;
    size_t n = 0;
    err[0] = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p) {
        *pos = p;
        return false;
    }
    if (*p == '"') {
        p++;
        for (;;) {
            char ch = *p++;
            if (!ch) {
                snprintf(err, errsize, "unterminated quoted string");
                return false;
            }
            if (ch == '"')
                break;
            if (ch == '\\') {
                ch = *p++;
                if (ch == 'n')
                    ch = '\n';
                else if (ch != '"' && ch != '\\') {
                    snprintf(err, errsize, "unknown escape '\\%c' in a quoted string",
                             ch ? ch : ' ');
                    return false;
                }
            }
            if (n + 1 < size)
                buf[n++] = ch;
        }
        if (*p && *p != ' ' && *p != '\t') {
            snprintf(err, errsize, "a quoted string must be followed by a space");
            return false;
        }
    } else {
        while (*p && *p != ' ' && *p != '\t') {
            if (n + 1 < size)
                buf[n++] = *p;
            p++;
        }
    }
    buf[n] = 0;
    *pos = p;
    return true;
}

static void usage_of(const MonitorCommand *parent, const MonitorCommand *c, char *buf, size_t size)
{
    char name[64], pname[64];
    monitor_command_name(c, name, sizeof(name));
    if (parent)
        snprintf(buf, size, "%s %s%s%s", monitor_command_name(parent, pname, sizeof(pname)),
                 name, c->params[0] ? " " : "", c->params);
    else
        snprintf(buf, size, "%s%s%s", name, c->params[0] ? " " : "", c->params);
}

bool hmp_parse_line(const MonitorCommand *table, const char *line, const MonitorCommand **cmd,
                    MonitorArgs *args, char *err, size_t errsize)
{
    char tok[MONITOR_MAX_LINE], usage[160];
    const char *p = line;
    const MonitorCommand *parent = NULL;

    monitor_args_clear(args);
    *cmd = NULL;
    if (!next_token(&p, tok, sizeof(tok), err, errsize))
        return err[0] == 0;
    const MonitorCommand *c = monitor_find_command(table, tok);
    if (!c) {
        snprintf(err, errsize, "unknown command: '%.100s' (try 'help')", tok);
        return false;
    }
    if (c->sub) {
        const char *save = p;
        if (next_token(&p, tok, sizeof(tok), err, errsize)) {
            const MonitorCommand *sc = monitor_find_command(c->sub, tok);
            if (!sc) {
                char name[64];
                snprintf(err, errsize, "%s: unknown sub-command '%.100s' (try '%s' alone)",
                         monitor_command_name(c, name, sizeof(name)), tok, name);
                return false;
            }
            parent = c;
            c = sc;
        } else if (err[0]) {
            return false;
        } else {
            p = save;
        }
    }
    usage_of(parent, c, usage, sizeof(usage));

    MonitorArgSpec spec[MONITOR_MAX_ARGS];
    int n = monitor_parse_arg_spec(c->args, spec, MONITOR_MAX_ARGS);
    if (n < 0) {
        snprintf(err, errsize, "%s: internal error: bad argument spec", usage);
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (!next_token(&p, tok, sizeof(tok), err, errsize)) {
            if (err[0])
                return false;
            if (spec[i].optional)
                break;
            snprintf(err, errsize, "missing argument '%s' (usage: %s)", spec[i].name, usage);
            return false;
        }
        bool ok;
        if (spec[i].type == MONITOR_ARG_INT) {
            char *end;
            errno = 0;
            long long v = strtoll(tok, &end, 0);
            if (!tok[0] || *end || errno) {
                snprintf(err, errsize, "'%.100s' is not a number (argument '%s' of %s)", tok,
                         spec[i].name, usage);
                return false;
            }
            ok = monitor_args_add_int(args, spec[i].name, v);
        } else {
            ok = monitor_args_add_str(args, spec[i].name, spec[i].type, tok);
        }
        if (!ok) {
            snprintf(err, errsize, "arguments too long (usage: %s)", usage);
            return false;
        }
    }
    if (next_token(&p, tok, sizeof(tok), err, errsize) || err[0]) {
        if (!err[0])
            snprintf(err, errsize, "too many arguments at '%.100s' (usage: %s)", tok, usage);
        return false;
    }
    *cmd = c;
    return true;
}

bool hmp_execute(Monitor *mon, const char *line, MonitorOutput *out)
{
    MonitorArgs args;
    const MonitorCommand *c;
    char err[256];
    if (!hmp_parse_line(monitor_commands, line, &c, &args, err, sizeof(err))) {
        monitor_error(out, "%s", err);
        return false;
    }
    if (!c)
        return true;
    return monitor_dispatch(mon, c, &args, out);
}

/* ---- session ---- */

enum { ESC_NONE, ESC_START, ESC_CSI };

struct HmpSession {
    Monitor *mon;
    void (*write)(void *opaque, const char *buf, size_t len);
    void *opaque;
    bool crlf;
    char line[MONITOR_MAX_LINE];
    size_t len;
    bool overflow;            /* the line grew past the buffer: refuse it at Enter */
    bool last_cr;             /* swallow the LF of a CR LF */
    int esc;
};

static void session_raw(HmpSession *s, const char *buf, size_t len)
{
    s->write(s->opaque, buf, len);
}

/* Output of commands: "\n" becomes "\r\n" on sockets. */
static void session_out(void *opaque, const char *text, size_t len)
{
    HmpSession *s = opaque;
    if (!s->crlf) {
        session_raw(s, text, len);
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            if (i > start)
                session_raw(s, text + start, i - start);
            session_raw(s, "\r\n", 2);
            start = i + 1;
        }
    }
    if (start < len)
        session_raw(s, text + start, len - start);
}

HmpSession *hmp_session_new(Monitor *mon, void (*write)(void *opaque, const char *buf, size_t len),
                            void *opaque, bool crlf)
{
    HmpSession *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->mon = mon;
    s->write = write;
    s->opaque = opaque;
    s->crlf = crlf;
    return s;
}

void hmp_session_free(HmpSession *s)
{
    free(s);
}

void hmp_session_prompt(HmpSession *s)
{
    session_raw(s, MONITOR_PROMPT, strlen(MONITOR_PROMPT));
}

void hmp_session_start(HmpSession *s)
{
    MonitorOutput out = { .write = session_out, .opaque = s };
    monitor_print_banner(&out);
    hmp_session_prompt(s);
}

static void session_run_line(HmpSession *s)
{
    MonitorOutput out = { .write = session_out, .opaque = s };
    session_out(s, "\n", 1);
    if (s->overflow)
        monitor_error(&out, "line too long (at most %d characters)", MONITOR_MAX_LINE - 1);
    else {
        s->line[s->len] = 0;
        hmp_execute(s->mon, s->line, &out);
    }
    s->len = 0;
    s->overflow = false;
    /* After quit the process is going away: no prompt, as in QEMU. */
    int req = monitor_machine(s->mon)->request;
    if (req != REQUEST_EXIT && req != REQUEST_POWEROFF)
        hmp_session_prompt(s);
}

static void session_byte(HmpSession *s, uint8_t ch)
{
    bool was_cr = s->last_cr;
    s->last_cr = false;
    if (s->esc == ESC_START) {
        s->esc = ch == '[' || ch == 'O' ? ESC_CSI : ESC_NONE;
        return;
    }
    if (s->esc == ESC_CSI) {
        if (ch >= 0x40 && ch <= 0x7e)
            s->esc = ESC_NONE;
        return;
    }
    switch (ch) {
    case '\r':
        s->last_cr = true;
        session_run_line(s);
        return;
    case '\n':
        if (!was_cr)
            session_run_line(s);
        return;
    case 0x7f: case 0x08:      /* DEL / backspace */
        if (s->len > 0) {
            s->len--;
            session_raw(s, "\b \b", 3);
        }
        return;
    case 0x15:                 /* Ctrl-U: erase the line */
        while (s->len > 0) {
            s->len--;
            session_raw(s, "\b \b", 3);
        }
        s->overflow = false;
        return;
    case 0x1b:
        s->esc = ESC_START;
        return;
    default:
        break;
    }
    if (ch < 0x20)             /* other control characters: ignored */
        return;
    if (s->len + 1 < sizeof(s->line))
        s->line[s->len++] = (char)ch;
    else
        s->overflow = true;
    char c = (char)ch;
    session_raw(s, &c, 1);
}

void hmp_session_input(HmpSession *s, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        session_byte(s, buf[i]);
}
