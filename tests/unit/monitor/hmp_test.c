/*
 * The human monitor's text front end: every table entry has a valid spec
 * and unique names; lines parse into the right entry and typed arguments
 * (quotes, hex, aliases, info sub-commands) or into one-line errors; a
 * session echoes, edits (backspace, Ctrl-U), runs at CR, LF or CR LF once,
 * swallows escape sequences, and refuses an over-long line.
 */
#include "test.h"

#include "monitor/hmp.h"
#include "monitor_fakes.h"

/* A parse/usage-only table, so the cases do not depend on the real set. */
static bool nop(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)mon;
    (void)args;
    (void)out;
    return true;
}

static const MonitorCommand sub_table[] = {
    { "leaf", "n:i", "n", "a sub-command", nop, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL },
};

static const MonitorCommand table[] = {
    { "go|g", "", "", "no arguments", nop, NULL },
    { "put", "key:s,count:i?,file:F?", "key [count] [file]", "typed arguments", nop, NULL },
    { "show", "", "[what]", "with a sub-table", nop, sub_table },
    { NULL, NULL, NULL, NULL, NULL, NULL },
};

static bool parse(const char *line, const MonitorCommand **c, MonitorArgs *a, char *err)
{
    return hmp_parse_line(table, line, c, a, err, 256);
}

TEST_CASE(real_tables_are_well_formed)
{
    const MonitorCommand *tables[] = { monitor_commands, monitor_info_commands };
    MonitorArgSpec spec[MONITOR_MAX_ARGS];
    int total = 0;
    for (int t = 0; t < 2; t++) {
        for (const MonitorCommand *c = tables[t]; c->name; c++, total++) {
            CHECK(monitor_parse_arg_spec(c->args, spec, MONITOR_MAX_ARGS) >= 0);
            CHECK(c->handler != NULL);
            CHECK(c->help && c->help[0] && c->params);
            /* No name or alias used twice in one table. */
            for (const MonitorCommand *d = c + 1; d->name; d++) {
                char name[64];
                for (const char *p = d->name; *p;) {
                    size_t n = strcspn(p, "|");
                    snprintf(name, sizeof(name), "%.*s", (int)n, p);
                    CHECK(!monitor_command_matches(c, name));
                    p += n + (p[n] == '|');
                }
            }
        }
    }
    /* The commands issue 6 asks for. */
    const char *need[] = { "help", "info", "stop", "cont", "c", "system_reset",
                           "system_powerdown", "quit", "q", "sendkey", "screendump" };
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        CHECK(monitor_find_command(monitor_commands, need[i]) != NULL);
    const char *info[] = { "status", "registers", "version", "cpus" };
    for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++)
        CHECK(monitor_find_command(monitor_info_commands, info[i]) != NULL);
    CHECK(total >= 13);
}

TEST_CASE(arg_spec_parser)
{
    MonitorArgSpec s[MONITOR_MAX_ARGS];
    CHECK_EQ(monitor_parse_arg_spec("", s, MONITOR_MAX_ARGS), 0);
    CHECK_EQ(monitor_parse_arg_spec("keys:s,hold-time:i?", s, MONITOR_MAX_ARGS), 2);
    CHECK(!strcmp(s[0].name, "keys") && s[0].type == MONITOR_ARG_STR && !s[0].optional);
    CHECK(!strcmp(s[1].name, "hold-time") && s[1].type == MONITOR_ARG_INT && s[1].optional);
    CHECK_EQ(monitor_parse_arg_spec("a:x", s, MONITOR_MAX_ARGS), -1);      /* bad type */
    CHECK_EQ(monitor_parse_arg_spec("a", s, MONITOR_MAX_ARGS), -1);        /* no type */
    CHECK_EQ(monitor_parse_arg_spec(":s", s, MONITOR_MAX_ARGS), -1);       /* no name */
    CHECK_EQ(monitor_parse_arg_spec("a:s!", s, MONITOR_MAX_ARGS), -1);
    CHECK_EQ(monitor_parse_arg_spec("a:s?,b:s", s, MONITOR_MAX_ARGS), -1); /* required after optional */
    CHECK_EQ(monitor_parse_arg_spec("a:s,b:s,c:s", s, 2), -1);             /* too many */
}

TEST_CASE(parse_names_aliases_and_blank_lines)
{
    const MonitorCommand *c;
    MonitorArgs a;
    char err[256];
    CHECK(parse("go", &c, &a, err) && c == &table[0] && a.count == 0);
    CHECK(parse("   g   ", &c, &a, err) && c == &table[0]);
    CHECK(parse("", &c, &a, err) && c == NULL);
    CHECK(parse("  \t ", &c, &a, err) && c == NULL);
    CHECK(!parse("gone", &c, &a, err));
    CHECK(strstr(err, "unknown command: 'gone'"));
    CHECK(!parse("go now", &c, &a, err));
    CHECK(strstr(err, "too many arguments at 'now'"));
}

TEST_CASE(parse_typed_arguments)
{
    const MonitorCommand *c;
    MonitorArgs a;
    char err[256];
    int64_t v = 0;
    CHECK(parse("put ctrl-alt-delete", &c, &a, err) && c == &table[1]);
    CHECK(!strcmp(monitor_arg_str(&a, "key"), "ctrl-alt-delete"));
    CHECK(monitor_arg_str(&a, "count") == NULL);
    CHECK(!monitor_arg_int(&a, "count", &v));
    CHECK(parse("put k 0x1F", &c, &a, err));
    CHECK(monitor_arg_int(&a, "count", &v) && v == 31);
    CHECK(parse("put k -12 /tmp/x.png", &c, &a, err));
    CHECK(monitor_arg_int(&a, "count", &v) && v == -12);
    CHECK(!strcmp(monitor_arg_str(&a, "file"), "/tmp/x.png"));
    CHECK(!monitor_arg_int(&a, "file", &v));      /* a string is not an int */
    CHECK(!parse("put k 12x", &c, &a, err));
    CHECK(strstr(err, "'12x' is not a number"));
    CHECK(!parse("put", &c, &a, err));
    CHECK(strstr(err, "missing argument 'key'") && strstr(err, "usage: put key [count] [file]"));
}

TEST_CASE(parse_quoted_strings)
{
    const MonitorCommand *c;
    MonitorArgs a;
    char err[256];
    CHECK(parse("put \"a b\\\"c\\\\\" 1 \"/tmp/with space.png\"", &c, &a, err));
    CHECK(!strcmp(monitor_arg_str(&a, "key"), "a b\"c\\"));
    CHECK(!strcmp(monitor_arg_str(&a, "file"), "/tmp/with space.png"));
    CHECK(parse("put \"\"", &c, &a, err));
    CHECK(!strcmp(monitor_arg_str(&a, "key"), ""));
    CHECK(!parse("put \"open", &c, &a, err));
    CHECK(strstr(err, "unterminated"));
    CHECK(!parse("put \"a\"b", &c, &a, err));
    CHECK(!parse("put \"\\q\"", &c, &a, err));
    CHECK(strstr(err, "escape"));
}

TEST_CASE(parse_sub_commands)
{
    const MonitorCommand *c;
    MonitorArgs a;
    char err[256];
    int64_t v;
    CHECK(parse("show", &c, &a, err) && c == &table[2]);
    CHECK(parse("show leaf 7", &c, &a, err) && c == &sub_table[0]);
    CHECK(monitor_arg_int(&a, "n", &v) && v == 7);
    CHECK(!parse("show leaf", &c, &a, err));
    CHECK(strstr(err, "usage: show leaf n"));
    CHECK(!parse("show tree", &c, &a, err));
    CHECK(strstr(err, "show: unknown sub-command 'tree'"));
}

/* ---- sessions ---- */

typedef struct Screen {
    char text[16384];
    size_t len;
} Screen;

static void screen_write(void *opaque, const char *buf, size_t len)
{
    Screen *s = opaque;
    if (len > sizeof(s->text) - 1 - s->len)
        len = sizeof(s->text) - 1 - s->len;
    memcpy(s->text + s->len, buf, len);
    s->len += len;
    s->text[s->len] = 0;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void type(HmpSession *s, const char *keys)
{
    hmp_session_input(s, (const uint8_t *)keys, strlen(keys));
}

TEST_CASE(session_banner_echo_and_run)
{
    Machine *m = fake_machine_new(1);
    Monitor *mon = monitor_new(m);
    Screen scr = { .len = 0 };
    HmpSession *s = hmp_session_new(mon, screen_write, &scr, false);
    hmp_session_start(s);
    CHECK(strstr(scr.text, "mimic " MONITOR_VERSION " monitor - type 'help' for more information\n"));
    CHECK(strstr(scr.text, "\n(mimic) "));
    scr.len = 0;
    type(s, "info stat");
    CHECK(!strcmp(scr.text, "info stat"));      /* echoed as typed */
    type(s, "us\r\n");                           /* CR LF runs it once */
    CHECK(!strcmp(scr.text, "info status\nVM status: running\n(mimic) "));
    scr.len = 0;
    type(s, "\n\r");                             /* two empty lines: two prompts */
    CHECK_EQ(count(scr.text, "(mimic) "), 2);
    hmp_session_free(s);
    monitor_free(mon);
    fake_machine_free(m);
}

TEST_CASE(session_editing)
{
    Machine *m = fake_machine_new(1);
    Monitor *mon = monitor_new(m);
    Screen scr = { .len = 0 };
    HmpSession *s = hmp_session_new(mon, screen_write, &scr, true);
    type(s, "xyz\x7f\x7f\x7f\x7finfo statux\bs\r");
    CHECK(strstr(scr.text, "VM status: running\r\n"));
    CHECK(!strstr(scr.text, "unknown command"));
    scr.len = 0;
    type(s, "garbage\x15" "info version\r");   /* Ctrl-U drops the line */
    CHECK(strstr(scr.text, MONITOR_VERSION));
    CHECK(!strstr(scr.text, "garbage\r\n"));
    scr.len = 0;
    type(s, "info \x1b[Astatus\x1bOD\r");      /* arrow keys: ignored */
    CHECK(strstr(scr.text, "VM status: running"));
    scr.len = 0;
    type(s, "bogus\r");
    CHECK(strstr(scr.text, "unknown command: 'bogus' (try 'help')\r\n(mimic) "));
    hmp_session_free(s);
    monitor_free(mon);
    fake_machine_free(m);
}

TEST_CASE(session_refuses_long_lines)
{
    Machine *m = fake_machine_new(1);
    Monitor *mon = monitor_new(m);
    Screen scr = { .len = 0 };
    HmpSession *s = hmp_session_new(mon, screen_write, &scr, false);
    static char line[MONITOR_MAX_LINE + 100];
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = 0;
    type(s, line);
    scr.len = 0;
    type(s, "\r");
    CHECK(strstr(scr.text, "line too long"));
    scr.len = 0;
    type(s, "info status\r");                   /* and recovers */
    CHECK(strstr(scr.text, "VM status: running"));
    hmp_session_free(s);
    monitor_free(mon);
    fake_machine_free(m);
}

int main(void)
{
    RUN(real_tables_are_well_formed);
    RUN(arg_spec_parser);
    RUN(parse_names_aliases_and_blank_lines);
    RUN(parse_typed_arguments);
    RUN(parse_quoted_strings);
    RUN(parse_sub_commands);
    RUN(session_banner_echo_and_run);
    RUN(session_editing);
    RUN(session_refuses_long_lines);
    TEST_EXIT();
}
