/*
 * Accelerator operations: what runs the vCPUs (kvm, tcg, xen). Everything
 * above this table (machine reset, monitor, gdbstub) goes through it.
 * Accelerators register themselves from their own file (ACCEL_REGISTER).
 */
#ifndef MIMIC_ACCEL_H
#define MIMIC_ACCEL_H

#include <stdbool.h>
#include "mimic/x86_state.h"

typedef struct Machine Machine;
typedef struct AccelOps AccelOps;

struct AccelOps {
    const char *name;
    /* Open the accelerator for m (before the machine's devices exist).
     * User-facing failures (no /dev/kvm, ...) are fatal() with a hint. */
    void (*init)(Machine *m, const char *opts);
    /* True when the interrupt controllers and PIT live in the accelerator
     * (KVM in-kernel irqchip): the machine then wires its GSIs to set_irq
     * and creates no PIC/PIT/IOAPIC/LAPIC of its own. */
    bool (*kernel_irqchip)(Machine *m);
    void (*set_irq)(Machine *m, int gsi, int level);
    /* Without a kernel irqchip: the boot CPU's INTR input, driven by our
     * own PIC (NULL where the accelerator cannot take it yet). */
    void (*set_cpu_intr)(Machine *m, int level);
    /* Create vCPUs (m->ncpus), after the machine is built and loaded. */
    void (*vcpus_create)(Machine *m);
    /* Start vCPU threads running; they stop at pause_all. */
    void (*start)(Machine *m);
    void (*pause_all)(Machine *m);
    void (*resume_all)(Machine *m);
    /* Put every vCPU into its reset state: the boot CPU gets m->boot_regs,
     * the others wait for INIT/SIPI. vCPUs must be paused. */
    void (*reset_vcpus)(Machine *m);
    void (*get_regs)(Machine *m, int cpu, X86Regs *regs);
    void (*set_regs)(Machine *m, int cpu, const X86Regs *regs);
    /* Memory map changed (flat view); update slots / flush TLBs. */
    void (*memory_changed)(Machine *m);
    void (*shutdown)(Machine *m);
};

void accel_register(const AccelOps *ops);
const AccelOps *accel_find(const char *name);

#define ACCEL_REGISTER(ops_var) \
    static void __attribute__((constructor)) accel_register_##ops_var(void) \
    { accel_register(&ops_var); }

#endif
