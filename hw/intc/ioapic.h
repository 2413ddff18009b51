/*
 * The I/O APIC (82093AA register model, version 0x20 with the EOI register
 * of later chipsets): 24 input pins, each with a redirection entry that
 * turns it into a message on the APIC bus. Callers hold the machine lock.
 */
#ifndef MIMIC_HW_INTC_IOAPIC_H
#define MIMIC_HW_INTC_IOAPIC_H

#include <stdint.h>

#include "hw/intc/apic.h"
#include "mimic/irq.h"

typedef struct IoApic IoApic;

#define IOAPIC_NUM_PINS 24
#define IOAPIC_MMIO_SIZE 0x1000

/* Map the registers at `base` on m->mem (0xFEC00000 on a PC), deliver
 * through `bus` and listen to its level-triggered EOIs. `id` is the
 * reset value of the ID register (what the MADT says). */
IoApic *ioapic_create(Machine *m, ApicBus *bus, uint64_t base, uint8_t id);

/* Input pin 0..23 (GSI n on a single-IOAPIC PC). Level 1 = asserted, i.e.
 * the level the device drives; the polarity bit is not applied. */
IrqLine *ioapic_input(IoApic *s, int pin);

/* An EOI for `vector` (what apic_bus_add_eoi_listener calls): clears remote
 * IRR of the level-triggered entries with that vector and re-delivers those
 * whose pin is still asserted. */
void ioapic_eoi(IoApic *s, uint8_t vector);

#endif
