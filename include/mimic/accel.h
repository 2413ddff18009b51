/*
 * Accelerator operations: what runs the vCPUs (kvm, tcg, xen). Everything
 * above this table (machine reset, monitor, gdbstub) goes through it.
 * Accelerators register themselves from their own file (ACCEL_REGISTER).
 */
#ifndef MIMIC_ACCEL_H
#define MIMIC_ACCEL_H

#include <stdbool.h>
#include <stdint.h>
#include "mimic/x86_state.h"

typedef struct Machine Machine;
typedef struct AccelOps AccelOps;

/*
 * The machine's own interrupt controllers as the vCPUs see them (x86
 * without a kernel irqchip: one LAPIC per CPU). The machine fills this and
 * hands it to AccelOps.irqchip_connect; the accelerator calls it with the
 * machine lock held, `cpu` being the vCPU index.
 */
typedef struct AccelIrqChip {
    void *opaque;
    /* The CPU's interrupt-acknowledge cycle: the vector to take, or < 0
     * if its INTR input is no longer asserted. */
    int (*acknowledge)(void *opaque, int cpu);
    /* The CPU's view of its LAPIC: IA32_APIC_BASE was written, IA32_TSC_
     * DEADLINE was written (TSC units, with the CPU's TSC offset), and the
     * TPR behind CR8 (all 8 bits; CR8 = TPR >> 4). */
    void (*apic_base_changed)(void *opaque, int cpu, uint64_t value);
    void (*tsc_deadline_changed)(void *opaque, int cpu, uint64_t tsc, int64_t tsc_offset);
    uint8_t (*tpr_read)(void *opaque, int cpu);
    void (*tpr_write)(void *opaque, int cpu, uint8_t tpr);
} AccelIrqChip;

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
    /*
     * Without a kernel irqchip, for the machine's LAPICs (all NULL where the
     * accelerator cannot host them; the machine then refuses to start).
     * irqchip_connect: acknowledge cycles and LAPIC registers go to `chip`
     * (kept by pointer). The cpu_* inputs of vCPU `cpu` may be driven
     * before vcpus_create and across reset_vcpus (levels are remembered);
     * callers hold the machine lock. current_cpu: the vCPU whose memory
     * access is being dispatched on this thread, -1 for none.
     */
    void (*irqchip_connect)(Machine *m, const AccelIrqChip *chip);
    void (*cpu_set_intr)(Machine *m, int cpu, int level);
    void (*cpu_nmi)(Machine *m, int cpu);
    void (*cpu_init)(Machine *m, int cpu);                 /* the INIT signal */
    void (*cpu_sipi)(Machine *m, int cpu, uint8_t vector);  /* a start-up IPI */
    /* The LAPIC's TSC-deadline timer fired or was disarmed: IA32_TSC_DEADLINE reads 0. */
    void (*cpu_tsc_deadline_cleared)(Machine *m, int cpu);
    int (*current_cpu)(Machine *m);
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
