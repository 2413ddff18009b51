/*
 * The PC's High Precision Event Timer block at 0xFED00000: a 100 MHz 64-bit
 * main counter and three comparators, with legacy replacement routing
 * (timer 0 takes over IRQ0 from the PIT, timer 1 IRQ8 from the RTC).
 * Callers hold the machine lock.
 */
#ifndef MIMIC_HW_TIMER_HPET_H
#define MIMIC_HW_TIMER_HPET_H

#include <stdbool.h>

#include "mimic/irq.h"

typedef struct Machine Machine;
typedef struct Hpet Hpet;

#define HPET_BASE 0xFED00000ull
#define HPET_MMIO_SIZE 0x400
#define HPET_NUM_TIMERS 3
#define HPET_FREQ_HZ 100000000ull   /* counter period 10 ns = 10^7 fs */
/* IOAPIC inputs a comparator may be routed to (Tn_INT_ROUTE_CNF 0..31). */
#define HPET_ROUTE_LINES 32
/* Tn_INT_ROUTE_CAP of every timer: IOAPIC inputs 2, 8 and 20-23. */
#define HPET_ROUTE_CAP 0x00f00104u
/* GCAP_ID[31:0]: vendor 8086, legacy-capable, 64-bit, 3 timers, rev 1;
 * the ACPI HPET table's Event Timer Block ID must match it. */
#define HPET_CAP_ID_LOW 0x8086a201u

typedef struct HpetWiring {
    /* IOAPIC input k, for Tn_INT_ROUTE_CNF = k; NULL where not wired. */
    IrqLine *route[HPET_ROUTE_LINES];
    /* LEG_RT_CNF: timer 0 drives ISA IRQ0 (8259 IR0 and IOAPIC pin 2), timer 1
     * ISA IRQ8 (8259 IR8 and IOAPIC pin 8). */
    IrqLine *legacy_irq0, *legacy_irq8;
    /* LEG_RT_CNF changed: while `on`, the machine disconnects the PIT's
     * IRQ0 and the RTC's IRQ8 outputs. May be NULL. */
    void (*legacy_changed)(void *opaque, bool on);
    void *opaque;
} HpetWiring;

/* Map at HPET_BASE on m->mem and register the reset handler. */
Hpet *hpet_create(Machine *m, const HpetWiring *wiring);

#endif
