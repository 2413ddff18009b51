/*
 * The pc machine's interrupt wiring: who drives m->gsi[], and which
 * interrupt controllers and timers sit behind them (hw/pc/pc_irq.c).
 */
#ifndef MIMIC_HW_PC_PC_IRQ_H
#define MIMIC_HW_PC_PC_IRQ_H

#include <stdbool.h>

#include "mimic/irq.h"

typedef struct Machine Machine;
typedef struct PcIrq PcIrq;

/*
 * Fill m->gsi[] (ISA IRQ n = m->gsi[n], PCI GSIs 16-23). With the
 * accelerator's kernel irqchip the lines go to it and nothing else is
 * created. Otherwise: the 8259 pair into the BSP LAPIC's LINT0, one LAPIC
 * per CPU (APIC id = CPU index), the IOAPIC at PC_IOAPIC_BASE (id =
 * m->ncpus, as the MADT says), the 8254 PIT and the HPET. The accelerator
 * must then offer AccelOps.irqchip_connect and the cpu_* inputs.
 */
PcIrq *pc_irq_create(Machine *m);

/* Where the RTC's interrupt output goes (ISA IRQ8, cut off while the
 * HPET's legacy replacement routing is on). */
IrqLine *pc_irq_rtc_line(PcIrq *p);

/* The machine has an HPET at 0xFED00000 (for the ACPI HPET table). */
bool pc_irq_has_hpet(const PcIrq *p);

#endif
