/*
 * The human monitor's text front end: a line parser that turns
 * "name arg arg" into a command-table entry plus MonitorArgs, and a session
 * (line editing, echo, prompt) that any byte transport can drive.
 */
#ifndef MIMIC_MONITOR_HMP_H
#define MIMIC_MONITOR_HMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/monitor.h"

/* Parse one line against `table` (sub-tables followed). An empty line gives
 * true with *cmd NULL. On a syntax error: false, message in err. */
bool hmp_parse_line(const MonitorCommand *table, const char *line, const MonitorCommand **cmd,
                    MonitorArgs *args, char *err, size_t errsize);

/* Parse and run one line on the default table; errors go to out. */
bool hmp_execute(Monitor *mon, const char *line, MonitorOutput *out);

typedef struct HmpSession HmpSession;
/* write(opaque, bytes, len) sends to the user. `crlf`: send "\r\n" for
 * "\n" (sockets; a terminal's own output processing does it on a tty). */
HmpSession *hmp_session_new(Monitor *mon, void (*write)(void *opaque, const char *buf, size_t len),
                            void *opaque, bool crlf);
void hmp_session_free(HmpSession *s);
/* The banner and the first prompt. */
void hmp_session_start(HmpSession *s);
/* Bytes typed by the user: echoed, edited (backspace, Ctrl-U), and run at
 * Enter (CR, LF or CR LF). */
void hmp_session_input(HmpSession *s, const uint8_t *buf, size_t len);
/* Print a fresh prompt (after the mux switched to the monitor). */
void hmp_session_prompt(HmpSession *s);

#endif
