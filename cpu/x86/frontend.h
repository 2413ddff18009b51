/*
 * The x86 guest as a TCG frontend (tcg/frontend.h): what the exec loop and
 * accel/tcg need to run an X86CPU under the translator. The table registers
 * itself as "x86_64" (TCG_FRONTEND_REGISTER) and is also exported here.
 */
#ifndef CPU_X86_FRONTEND_H
#define CPU_X86_FRONTEND_H

#include "cpu/x86/cpu.h"
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

#endif
