/*
 * The PC's pair of Intel 8259A interrupt controllers (master at 0x20/0x21,
 * slave at 0xA0/0xA1 on master IR2) plus the PIIX edge/level control
 * registers (ELCR) at 0x4D0/0x4D1. Callers hold the machine lock.
 */
#ifndef MIMIC_HW_INTC_I8259_H
#define MIMIC_HW_INTC_I8259_H

#include <stdbool.h>

#include "mimic/irq.h"

typedef struct Machine Machine;
typedef struct PicState PicState;

#define I8259_NUM_IRQS 16

/* Map the ports on m->io and register the reset handler. intr_out follows
 * the master's INT pin: raised/lowered whenever the level changes. */
PicState *i8259_create(Machine *m, IrqLine *intr_out);

/* Input line for ISA IRQ 0..15 (level 1 = asserted). Lines stay valid for
 * the machine's lifetime. IRQ 2 is ORed with the slave's INT output; the
 * PC routes the ISA bus's IRQ2/9 pin to IRQ 9, so boards should use that. */
IrqLine *i8259_input(PicState *s, int irq);

/* The CPU's interrupt-acknowledge cycle: the vector to deliver. Updates
 * IRR/ISR (or auto-EOIs) on both chips; with nothing left to deliver it
 * returns the spurious vector of IR7 (master) or IR15 (slave). */
int i8259_acknowledge(PicState *s);

/* Current level of the INT output (what intr_out was last set to). */
bool i8259_output(PicState *s);

#endif
