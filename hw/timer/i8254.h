/*
 * The PC's Intel 8254 programmable interval timer (ports 0x40-0x43) and
 * the system control port B at 0x61 (channel 2 gate and output, speaker
 * enable, DRAM refresh toggle), which i8254_create maps as well because
 * both describe the same timer block of the chipset. Callers hold the
 * machine lock.
 */
#ifndef MIMIC_HW_TIMER_I8254_H
#define MIMIC_HW_TIMER_I8254_H

#include "mimic/irq.h"

typedef struct Machine Machine;
typedef struct Pit Pit;

#define PIT_FREQ_HZ 1193182

/* Map ports 0x40-0x43 and 0x61 on m->io and register the reset handler.
 * Channel 0's OUT pin drives irq0 (ISA IRQ 0) with its real edges. */
Pit *i8254_create(Machine *m, IrqLine *irq0);

#endif
