/*
 * The pc machine's interrupt architecture without a kernel irqchip: the
 * 8259 pair in virtual-wire mode on the BSP's LINT0, a LAPIC per CPU, the
 * IOAPIC (ISA IRQ n on pin n except IRQ0 on pin 2, the MADT's override),
 * the PIT, and the HPET whose legacy replacement takes IRQ0/IRQ8 from the
 * PIT and RTC. References: MP spec 1.4 3.6 (virtual wire), ACPI 6.4 5.2.12
 * (MADT), IA-PC HPET 1.0a 2.3.9.2.2 (legacy routing). Left out: PCI INTx
 * routing (PIRQ registers), MSI, LINT1 (no NMI source on this board).
 */
#include <stdlib.h>

#include "hw/intc/apic.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/pc/e820.h"
#include "hw/pc/pc_irq.h"
#include "hw/timer/hpet.h"
#include "hw/timer/i8254.h"
#include "mimic/accel.h"
#include "mimic/log.h"
#include "mimic/machine.h"

/* ISA IRQ0 reaches IOAPIC pin 2 (MADT interrupt source override); pin 0
 * is the 8259's INTR in other boards' virtual-wire modes, unused here. */
#define PC_IRQ0_IOAPIC_PIN 2
#define PC_IRQ_CASCADE 2

/* ISA lines that a legacy-replacement HPET takes over. */
enum { MUX_IRQ0, MUX_IRQ8, MUX_COUNT };

struct PcIrq {
    Machine *m;
    PicState *pic;
    ApicBus *bus;
    IoApic *ioapic;
    Hpet *hpet;
    AccelIrqChip chip;
    /* IRQ0/IRQ8: the PIT/RTC output or, in legacy replacement mode, the
     * HPET's timer 0/1. */
    bool hpet_legacy;
    bool legacy_level[MUX_COUNT], hpet_level[MUX_COUNT];
    IrqLine *legacy_out[MUX_COUNT], *hpet_out[MUX_COUNT];
    IrqLine *rtc_line;
};

static const int mux_irq[MUX_COUNT] = { 0, 8 };

/* ---- kernel irqchip ------------------------------------------------------- */

static void gsi_to_accel(void *opaque, int gsi, int level)
{
    Machine *m = opaque;
    m->accel->set_irq(m, gsi, level);
}

/* ---- ISA / GSI fan-out -------------------------------------------------- */

static void gsi_fanout(void *opaque, int n, int level)
{
    PcIrq *p = opaque;
    if (n < I8259_NUM_IRQS)
        irq_set(i8259_input(p->pic, n), level);
    int pin = n == 0 ? PC_IRQ0_IOAPIC_PIN : n == PC_IRQ_CASCADE ? -1 : n;
    if (pin >= 0 && pin < IOAPIC_NUM_PINS)
        irq_set(ioapic_input(p->ioapic, pin), level);
}

static void mux_update(PcIrq *p, int k)
{
    bool level = p->hpet_legacy ? p->hpet_level[k] : p->legacy_level[k];
    irq_set(p->m->gsi[mux_irq[k]], level);
}

static void legacy_source_set(void *opaque, int k, int level)
{
    PcIrq *p = opaque;
    p->legacy_level[k] = level != 0;
    if (!p->hpet_legacy)
        mux_update(p, k);
}

static void hpet_source_set(void *opaque, int k, int level)
{
    PcIrq *p = opaque;
    p->hpet_level[k] = level != 0;
    if (p->hpet_legacy)
        mux_update(p, k);
}

static void hpet_legacy_changed(void *opaque, bool on)
{
    PcIrq *p = opaque;
    p->hpet_legacy = on;
    for (int k = 0; k < MUX_COUNT; k++)
        mux_update(p, k);
}

/* ---- LAPICs to vCPUs (ApicCpuOps -> AccelOps) --------------------------- */

static void lapic_set_intr(void *opaque, int cpu, int level)
{
    Machine *m = ((PcIrq *)opaque)->m;
    m->accel->cpu_set_intr(m, cpu, level);
}

static void lapic_nmi(void *opaque, int cpu)
{
    Machine *m = ((PcIrq *)opaque)->m;
    m->accel->cpu_nmi(m, cpu);
}

static void lapic_init(void *opaque, int cpu)
{
    Machine *m = ((PcIrq *)opaque)->m;
    m->accel->cpu_init(m, cpu);
}

static void lapic_sipi(void *opaque, int cpu, uint8_t vector)
{
    Machine *m = ((PcIrq *)opaque)->m;
    m->accel->cpu_sipi(m, cpu, vector);
}

static int lapic_current_cpu(void *opaque)
{
    Machine *m = ((PcIrq *)opaque)->m;
    return m->accel->current_cpu(m);
}

static int lapic_extint_ack(void *opaque)
{
    return i8259_acknowledge(((PcIrq *)opaque)->pic);
}

static void lapic_tsc_deadline_cleared(void *opaque, int cpu)
{
    Machine *m = ((PcIrq *)opaque)->m;
    if (m->accel->cpu_tsc_deadline_cleared)
        m->accel->cpu_tsc_deadline_cleared(m, cpu);
}

static const ApicCpuOps lapic_cpu_ops = {
    .set_intr = lapic_set_intr,
    .nmi = lapic_nmi,
    .init = lapic_init,
    .sipi = lapic_sipi,
    .current_cpu = lapic_current_cpu,
    .extint_acknowledge = lapic_extint_ack,
    .tsc_deadline_cleared = lapic_tsc_deadline_cleared,
};

/* ---- vCPUs to LAPICs (AccelIrqChip) -------------------------------------- */

static Apic *lapic_of(void *opaque, int cpu)
{
    Apic *l = apic_bus_get(((PcIrq *)opaque)->bus, cpu);
    if (!l)
        warn("pc: vCPU %d has no LAPIC (machine wiring bug)", cpu);
    return l;
}

static int chip_acknowledge(void *opaque, int cpu)
{
    Apic *l = lapic_of(opaque, cpu);
    /* INTR may have dropped since the CPU looked: no INTA cycle then. */
    if (!l || !apic_intr_pending(l))
        return -1;
    return apic_acknowledge(l);
}

static void chip_apic_base_changed(void *opaque, int cpu, uint64_t value)
{
    Apic *l = lapic_of(opaque, cpu);
    if (l)
        apic_set_base(l, value);
}

static void chip_tsc_deadline_changed(void *opaque, int cpu, uint64_t tsc, int64_t tsc_offset)
{
    Apic *l = lapic_of(opaque, cpu);
    if (l)
        apic_set_tsc_deadline(l, tsc, tsc_offset);
}

static uint8_t chip_tpr_read(void *opaque, int cpu)
{
    Apic *l = lapic_of(opaque, cpu);
    return l ? apic_get_tpr(l) : 0;
}

static void chip_tpr_write(void *opaque, int cpu, uint8_t tpr)
{
    Apic *l = lapic_of(opaque, cpu);
    if (l)
        apic_set_tpr(l, tpr);
}

/* ---- creation -------------------------------------------------------------- */

static void require_accel_ops(Machine *m)
{
    const AccelOps *a = m->accel;
    if (!a->irqchip_connect || !a->cpu_set_intr || !a->cpu_nmi || !a->cpu_init ||
        !a->cpu_sipi || !a->current_cpu)
        fatal("-accel %s: without a kernel irqchip the pc machine needs LAPIC support "
              "from the accelerator, which %s does not have", a->name, a->name);
}

static void create_apics(PcIrq *p)
{
    Machine *m = p->m;
    if (m->ncpus < 1 || m->ncpus > APIC_BUS_MAX_APICS)
        fatal("-smp %d: the pc machine's LAPICs allow 1..%d CPUs", m->ncpus, APIC_BUS_MAX_APICS);
    p->bus = apic_bus_create(m, &lapic_cpu_ops, p);
    for (int i = 0; i < m->ncpus; i++)
        apic_create(p->bus, i, (uint8_t)i);
    p->chip = (AccelIrqChip){
        .opaque = p,
        .acknowledge = chip_acknowledge,
        .apic_base_changed = chip_apic_base_changed,
        .tsc_deadline_changed = chip_tsc_deadline_changed,
        .tpr_read = chip_tpr_read,
        .tpr_write = chip_tpr_write,
    };
    m->accel->irqchip_connect(m, &p->chip);
}

static void create_hpet(PcIrq *p)
{
    static const int routes[] = { 2, 8, 20, 21, 22, 23 };
    HpetWiring w = { .legacy_changed = hpet_legacy_changed, .opaque = p };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!(HPET_ROUTE_CAP >> routes[i] & 1))
            fatal("internal error: HPET route %d not in its capabilities", routes[i]);
        w.route[routes[i]] = ioapic_input(p->ioapic, routes[i]);
    }
    w.legacy_irq0 = p->hpet_out[MUX_IRQ0];
    w.legacy_irq8 = p->hpet_out[MUX_IRQ8];
    p->hpet = hpet_create(p->m, &w);
}

PcIrq *pc_irq_create(Machine *m)
{
    PcIrq *p = calloc(1, sizeof(*p));
    if (!p)
        fatal("out of memory");
    p->m = m;
    if (m->accel->kernel_irqchip(m)) {
        for (int i = 0; i < MACHINE_MAX_GSI; i++)
            m->gsi[i] = irq_line_new(gsi_to_accel, m, i);
        p->rtc_line = m->gsi[8];
        return p;
    }
    require_accel_ops(m);
    create_apics(p);
    p->pic = i8259_create(m, apic_lint(apic_bus_get(p->bus, 0), 0));
    p->ioapic = ioapic_create(m, p->bus, PC_IOAPIC_BASE, (uint8_t)m->ncpus);
    for (int i = 0; i < MACHINE_MAX_GSI; i++)
        m->gsi[i] = irq_line_new(gsi_fanout, p, i);
    for (int k = 0; k < MUX_COUNT; k++) {
        p->legacy_out[k] = irq_line_new(legacy_source_set, p, k);
        p->hpet_out[k] = irq_line_new(hpet_source_set, p, k);
    }
    p->rtc_line = p->legacy_out[MUX_IRQ8];
    i8254_create(m, p->legacy_out[MUX_IRQ0]);
    create_hpet(p);
    return p;
}

IrqLine *pc_irq_rtc_line(PcIrq *p)
{
    return p->rtc_line;
}

bool pc_irq_has_hpet(const PcIrq *p)
{
    return p->hpet != NULL;
}
