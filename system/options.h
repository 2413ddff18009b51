/*
 * The command line, QEMU-compatible for the options mimic supports.
 */
#ifndef SYSTEM_OPTIONS_H
#define SYSTEM_OPTIONS_H

#include "mimic/machine.h"

/* Parse argv into o. Bad input: fatal() with one line. -h/-version/help
 * listings print and exit(0). */
void options_parse(int argc, char **argv, MachineOptions *o);
/* "512M", "2G", "1024" (MiB) -> bytes; false on bad syntax. */
bool options_parse_size(const char *s, uint64_t *bytes);

#endif
