/*
 * The x86 guest as a TCG frontend (tcg/frontend.h): what the exec loop and
 * accel/tcg need to run an X86CPU under the translator. The table registers
 * itself as "x86_64" (TCG_FRONTEND_REGISTER) and is also exported here.
 */
#ifndef CPU_X86_FRONTEND_H
#define CPU_X86_FRONTEND_H

#include "cpu/x86/cpu.h"
#include "mimic/accel.h"
#include "tcg/frontend.h"

extern const TCGFrontend x86_tcg_frontend;

/* TLB flush hooks (X86CPUHooks.tlb_flush / tlb_flush_page) that drive the
 * softmmu's flushes; accel/tcg installs them on each CPU it creates (or
 * copies them into its own hooks table next to the LAPIC ones). */
extern const X86CPUHooks x86_tcg_hooks;

/*
 * The interrupt-acknowledge cycle of the boot CPU's INTR line: returns the
 * vector the interrupt controller delivers, or < 0 for none. The pc machine
 * passes i8259_acknowledge and its PIC when the PIC is its own (no kernel
 * irqchip). Without it CPU_INTERRUPT_HARD is never taken.
 */
typedef int (*X86InterruptAck)(void *opaque);
void x86_set_interrupt_ack(Machine *m, X86InterruptAck ack, void *opaque);

/*
 * The machine's LAPICs (mimic/accel.h AccelIrqChip; accel/tcg passes on
 * AccelOps.irqchip_connect): every vCPU of m then takes CPU_INTERRUPT_HARD
 * through chip->acknowledge, and its IA32_APIC_BASE, IA32_TSC_DEADLINE and
 * CR8 reach its LAPIC through x86_tcg_hooks. Replaces x86_set_interrupt_ack.
 */
void x86_tcg_set_irqchip(Machine *m, const AccelIrqChip *chip);
/* A start-up IPI for cpu (machine lock held): taken at its next interrupt
 * check, after an INIT still pending; dropped unless it waits for one. */
void x86_tcg_sipi(CPUState *cpu, uint8_t vector);
/* The LAPIC's TSC-deadline timer fired or was disarmed: the MSR reads 0. */
void x86_tcg_tsc_deadline_cleared(CPUState *cpu);

#endif
