/*
 * Interrupt lines. A device raises or lowers a line; whoever wired it (an
 * interrupt controller model, or the accelerator's in-kernel irqchip) gets
 * the level. The device never knows which.
 */
#ifndef MIMIC_IRQ_H
#define MIMIC_IRQ_H

typedef void (*IrqHandler)(void *opaque, int n, int level);

typedef struct IrqLine {
    IrqHandler handler;
    void *opaque;
    int n;
} IrqLine;

/* Lines are owned by whoever creates them and live as long as the machine. */
IrqLine *irq_line_new(IrqHandler handler, void *opaque, int n);
/* An array of `count` lines n = 0..count-1 sharing one handler. */
IrqLine **irq_lines_new(IrqHandler handler, void *opaque, int count);

static inline void irq_set(IrqLine *line, int level)
{
    if (line && line->handler)
        line->handler(line->opaque, line->n, level);
}
static inline void irq_raise(IrqLine *line) { irq_set(line, 1); }
static inline void irq_lower(IrqLine *line) { irq_set(line, 0); }
static inline void irq_pulse(IrqLine *line) { irq_set(line, 1); irq_set(line, 0); }

#endif
