/*
 * The xAPIC local APIC, one per vCPU, and the APIC "bus" (the system-bus
 * interrupt messages between LAPICs, IOAPICs and MSI writers). The LAPIC
 * talks to its CPU only through ApicCpuOps, so it works the same under tcg
 * and under kvm with kernel-irqchip=off. Callers hold the machine lock.
 */
#ifndef MIMIC_HW_INTC_APIC_H
#define MIMIC_HW_INTC_APIC_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/irq.h"

typedef struct Machine Machine;
typedef struct Apic Apic;
typedef struct ApicBus ApicBus;

/* Every LAPIC window is this big (SDM vol. 3 10.4.1). */
#define APIC_MMIO_SIZE 0x1000
/* LAPICs on one bus: physical destination 0xFF is the broadcast, so 255
 * is the architectural limit; we keep the machine's. */
#define APIC_BUS_MAX_APICS 64
/* IOAPICs (or others) that want to see level-triggered EOIs. */
#define APIC_BUS_MAX_EOI_LISTENERS 4

/* Message fields, as in the ICR, the IOAPIC redirection entries and MSI
 * data (SDM vol. 3 10.6.1). */
enum { APIC_DEST_PHYSICAL = 0, APIC_DEST_LOGICAL = 1 };
enum { APIC_TRIGGER_EDGE = 0, APIC_TRIGGER_LEVEL = 1 };
enum {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,
    APIC_DM_EXTINT = 7,
};

/*
 * What the LAPICs ask of the CPUs and the machine; `cpu` is the index given
 * to apic_create. None of these may call back into the APIC model.
 */
typedef struct ApicCpuOps {
    /* The CPU's INTR input, a level: high while apic_acknowledge would
     * return a real vector (IRR above PPR, or ExtINT from the 8259). Called
     * on changes only; after delivering one interrupt the CPU should look
     * at apic_intr_pending() again. */
    void (*set_intr)(void *opaque, int cpu, int level);
    void (*nmi)(void *opaque, int cpu);
    /* INIT: the LAPIC has already reset itself; the CPU does x86_cpu_init_signal. */
    void (*init)(void *opaque, int cpu);
    void (*sipi)(void *opaque, int cpu, uint8_t vector);
    /* Which vCPU is making the current MMIO access: -1 if none (DMA, the
     * monitor). The memory API has no per-CPU views, so each LAPIC window
     * dispatches on this; the accelerator keeps it (a thread-local under
     * kvm, the running vCPU under tcg). NULL means CPU 0. */
    int (*current_cpu)(void *opaque);
    /* Optional (may be NULL). */
    int (*extint_acknowledge)(void *opaque);   /* 8259 INTA cycle: its vector */
    void (*smi)(void *opaque, int cpu);        /* NULL: logged as unimplemented */
    /* The TSC-deadline timer fired or was disarmed by a mode change:
     * IA32_TSC_DEADLINE must read 0 from now on (cpu->msr.tsc_deadline = 0). */
    void (*tsc_deadline_cleared)(void *opaque, int cpu);
} ApicCpuOps;

ApicBus *apic_bus_create(Machine *m, const ApicCpuOps *ops, void *opaque);

/* One interrupt message on the bus (IOAPIC redirection, ICR, MSI). */
void apic_bus_deliver(ApicBus *bus, uint8_t dest, int dest_mode, int delivery_mode,
                      uint8_t vector, int trigger);
/* A PCI MSI write (address 0xFEExxxxx, data as in SDM vol. 3 10.11). */
void apic_bus_deliver_msi(ApicBus *bus, uint64_t address, uint32_t data);
/* Level-triggered EOIs from any LAPIC are broadcast to these (IOAPICs). */
void apic_bus_add_eoi_listener(ApicBus *bus, void (*fn)(void *opaque, uint8_t vector),
                               void *opaque);
Apic *apic_bus_get(ApicBus *bus, int cpu);   /* NULL if none */

/* The LAPIC of CPU `cpu` (0 is the BSP), xAPIC id `apic_id`, mapped at
 * 0xFEE00000 on m->mem; registers its reset handler. */
Apic *apic_create(ApicBus *bus, int cpu, uint8_t apic_id);

/* LINT0 (pin 0) and LINT1 (pin 1) inputs; the 8259's INT goes to LINT0. */
IrqLine *apic_lint(Apic *s, int pin);

/* Interrupt acknowledge: the vector for the CPU to take. ExtINT first (an
 * 8259 INTA via extint_acknowledge), else the highest IRR above PPR moves
 * to ISR; with nothing deliverable, the spurious vector (SVR[7:0]). */
int apic_acknowledge(Apic *s);
bool apic_intr_pending(Apic *s);   /* current INTR level */

/* IA32_APIC_BASE (the CPU's apic_base_changed hook): global enable/disable
 * and relocation of this LAPIC's window. The BSP bit is kept as given. */
void apic_set_base(Apic *s, uint64_t msr_value);
uint64_t apic_get_base(Apic *s);
/* TPR for CR8 (CR8 = TPR >> 4; the tpr_read/tpr_write hooks). */
uint8_t apic_get_tpr(Apic *s);
void apic_set_tpr(Apic *s, uint8_t tpr);
/* IA32_TSC_DEADLINE was written (the tsc_deadline_changed hook): `tsc` in
 * TSC units, 0 disarms; TSC = virtual ns * X86_TSC_FREQ_HZ / 1e9 + tsc_offset.
 * Ignored (and cleared) unless the LVT timer is in TSC-deadline mode. */
void apic_set_tsc_deadline(Apic *s, uint64_t tsc, int64_t tsc_offset);

#endif
