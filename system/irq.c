/*
 * Interrupt lines: plain structs allocated once per machine and never
 * freed (they live as long as the machine that wires them).
 */
#include <stdlib.h>

#include "mimic/irq.h"
#include "mimic/log.h"

IrqLine *irq_line_new(IrqHandler handler, void *opaque, int n)
{
    IrqLine *line = malloc(sizeof(*line));
    if (!line)
        fatal("out of memory");
    *line = (IrqLine){ handler, opaque, n };
    return line;
}

IrqLine **irq_lines_new(IrqHandler handler, void *opaque, int count)
{
    IrqLine **lines = malloc(sizeof(*lines) * (size_t)count);
    if (!lines)
        fatal("out of memory");
    for (int i = 0; i < count; i++)
        lines[i] = irq_line_new(handler, opaque, i);
    return lines;
}
