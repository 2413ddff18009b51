/*
 * The pc machine's interrupt wiring (hw/pc/pc_irq.c) with a fake
 * accelerator: ISA IRQs reach the CPU through the 8259 in virtual-wire
 * mode (BSP LINT0 ExtINT) and through the IOAPIC (IRQ0 on pin 2, per the
 * MADT override), IPIs reach the accelerator's INIT/SIPI/NMI inputs,
 * CR8/APIC-base hooks reach the right LAPIC, the HPET's legacy routing
 * takes IRQ8 from the RTC, and a kernel irqchip gets the GSIs instead.
 */
#include "test.h"

#include "hw/pc/e820.h"
#include "hw/pc/pc_irq.h"
#include "hw/timer/hpet.h"
#include "mimic/accel.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define NCPUS 2
#define LAPIC PC_LAPIC_BASE
#define IOAPIC PC_IOAPIC_BASE

static int intr[NCPUS], nmis[NCPUS], inits[NCPUS], sipis[NCPUS], sipi_vec[NCPUS];
static int cur_cpu;
static const AccelIrqChip *chip;
static bool in_kernel;
static int kernel_gsi_level[MACHINE_MAX_GSI];

/* Kept reachable for the leak checker: machines are never freed. */
static Machine *machines[8];
static PcIrq *irqs[8];
static int nmachines;

static bool fake_kernel_irqchip(Machine *m) { (void)m; return in_kernel; }
static void fake_set_irq(Machine *m, int gsi, int level) { (void)m; kernel_gsi_level[gsi] = level; }
static void fake_connect(Machine *m, const AccelIrqChip *c) { (void)m; chip = c; }
static void fake_intr(Machine *m, int cpu, int level) { (void)m; intr[cpu] = level; }
static void fake_nmi(Machine *m, int cpu) { (void)m; nmis[cpu]++; }
static void fake_init(Machine *m, int cpu) { (void)m; inits[cpu]++; }
static void fake_sipi(Machine *m, int cpu, uint8_t v) { (void)m; sipis[cpu]++; sipi_vec[cpu] = v; }
static int fake_current(Machine *m) { (void)m; return cur_cpu; }

static const AccelOps fake_accel = {
    .name = "fake",
    .kernel_irqchip = fake_kernel_irqchip,
    .set_irq = fake_set_irq,
    .irqchip_connect = fake_connect,
    .cpu_set_intr = fake_intr,
    .cpu_nmi = fake_nmi,
    .cpu_init = fake_init,
    .cpu_sipi = fake_sipi,
    .current_cpu = fake_current,
};

static Machine *new_machine(bool kernel_irqchip, PcIrq **p)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = NCPUS };
    in_kernel = kernel_irqchip;
    chip = NULL;
    for (int i = 0; i < NCPUS; i++)
        intr[i] = nmis[i] = inits[i] = sipis[i] = sipi_vec[i] = 0;
    Machine *m = machine_create(&type, &opts);
    m->accel = &fake_accel;
    *p = pc_irq_create(m);
    if (nmachines < 8) {
        machines[nmachines] = m;
        irqs[nmachines++] = *p;
    }
    return m;
}

static void outb(Machine *m, uint16_t port, uint8_t v) { as_st(m->io, port, 1, v); }
static uint32_t lapic_rd(Machine *m, int cpu, unsigned reg)
{
    cur_cpu = cpu;
    return (uint32_t)as_ld(m->mem, LAPIC + reg, 4);
}
static void lapic_wr(Machine *m, int cpu, unsigned reg, uint32_t v)
{
    cur_cpu = cpu;
    as_st(m->mem, LAPIC + reg, 4, v);
}
static void ioapic_rte(Machine *m, int pin, uint64_t rte)
{
    as_st(m->mem, IOAPIC, 4, 0x10 + 2 * pin);
    as_st(m->mem, IOAPIC + 0x10, 4, (uint32_t)rte);
    as_st(m->mem, IOAPIC, 4, 0x10 + 2 * pin + 1);
    as_st(m->mem, IOAPIC + 0x10, 4, (uint32_t)(rte >> 32));
}

/* Both 8259s initialised (vectors 0x20/0x28, edge, 8086 mode), all masked. */
static void pic_init(Machine *m)
{
    static const uint8_t icw[2][2] = { { 0x20, 0x21 }, { 0xA0, 0xA1 } };
    for (int c = 0; c < 2; c++) {
        outb(m, icw[c][0], 0x11);
        outb(m, icw[c][1], c ? 0x28 : 0x20);
        outb(m, icw[c][1], c ? 2 : 4);
        outb(m, icw[c][1], 1);
        outb(m, icw[c][1], 0xff);
    }
}

/* Software-enable CPU cpu's LAPIC (SVR bit 8, spurious vector 0xFF). */
static void lapic_enable(Machine *m, int cpu)
{
    lapic_wr(m, cpu, 0xF0, 0x1FF);
}

/* The ISA interrupt as the boot CPU takes it with the 8259 on LINT0. */
TEST_CASE(pic_through_lint0_extint)
{
    PcIrq *p;
    Machine *m = new_machine(false, &p);
    CHECK(chip != NULL);
    pic_init(m);
    outb(m, 0x21, ~(1u << 4) & 0xff);        /* unmask IRQ4 (COM1) */
    CHECK_EQ(intr[0], 0);
    irq_raise(m->gsi[4]);
    CHECK_EQ(intr[0], 1);                    /* reset state: LINT0 is ExtINT */
    CHECK_EQ(intr[1], 0);
    CHECK_EQ(chip->acknowledge(chip->opaque, 0), 0x24);
    CHECK_EQ(intr[0], 0);                    /* in service, INTR drops */
    CHECK_EQ(chip->acknowledge(chip->opaque, 0), -1);   /* no INTA without INTR */
    irq_lower(m->gsi[4]);
    outb(m, 0x20, 0x20);                     /* EOI */
    CHECK_EQ(intr[0], 0);
}

/* ISA IRQ0 is IOAPIC pin 2 (MADT override); GSI 2 is not on pin 2. */
TEST_CASE(ioapic_routes_isa_irqs)
{
    PcIrq *p;
    Machine *m = new_machine(false, &p);
    pic_init(m);                             /* everything masked at the 8259 */
    lapic_enable(m, 0);
    lapic_enable(m, 1);
    ioapic_rte(m, 2, 0x30);                  /* fixed, physical dest 0, edge */
    irq_pulse(m->gsi[0]);
    CHECK_EQ(intr[0], 1);
    CHECK_EQ(chip->acknowledge(chip->opaque, 0), 0x30);
    CHECK_EQ(intr[0], 0);
    lapic_wr(m, 0, 0xB0, 0);                 /* EOI */
    irq_pulse(m->gsi[2]);
    CHECK_EQ(intr[0], 0);
    /* Pin 4 to APIC id 1; pin 9 (the SCI) level-triggered to CPU 0. */
    ioapic_rte(m, 4, 0x41 | (1ull << 56));
    irq_pulse(m->gsi[4]);
    CHECK_EQ(intr[1], 1);
    CHECK_EQ(intr[0], 0);
    CHECK_EQ(chip->acknowledge(chip->opaque, 1), 0x41);
    ioapic_rte(m, 9, 0x59 | (1ull << 15));
    irq_raise(m->gsi[9]);
    CHECK_EQ(chip->acknowledge(chip->opaque, 0), 0x59);
    lapic_wr(m, 0, 0xB0, 0);                 /* EOI with the line still high: again */
    CHECK_EQ(intr[0], 1);
    CHECK_EQ(chip->acknowledge(chip->opaque, 0), 0x59);
    irq_lower(m->gsi[9]);
    lapic_wr(m, 0, 0xB0, 0);
    CHECK_EQ(intr[0], 0);
    /* PCI GSIs 16-23 reach IOAPIC pins 16-23. */
    ioapic_rte(m, 19, 0x63 | (1ull << 15));
    irq_raise(m->gsi[19]);
    CHECK_EQ(chip->acknowledge(chip->opaque, 0), 0x63);
    irq_lower(m->gsi[19]);
}

/* INIT and SIPI from the BSP's ICR reach the AP's accelerator inputs; the
 * LAPIC window dispatches on the accelerator's current CPU. */
TEST_CASE(ipis_reach_the_accelerator)
{
    PcIrq *p;
    Machine *m = new_machine(false, &p);
    CHECK_EQ(lapic_rd(m, 0, 0x20) >> 24, 0);   /* APIC id = CPU index */
    CHECK_EQ(lapic_rd(m, 1, 0x20) >> 24, 1);
    lapic_wr(m, 0, 0x310, 1u << 24);
    lapic_wr(m, 0, 0x300, 0x4500);             /* INIT, level assert */
    CHECK_EQ(inits[1], 1);
    CHECK_EQ(inits[0], 0);
    lapic_wr(m, 0, 0x300, 0x4608);             /* SIPI vector 8 */
    CHECK_EQ(sipis[1], 1);
    CHECK_EQ(sipi_vec[1], 8);
    lapic_wr(m, 0, 0x300, 0x4400);             /* NMI */
    CHECK_EQ(nmis[1], 1);
    lapic_enable(m, 1);
    lapic_wr(m, 1, 0x300, 0x40051);            /* self IPI, vector 0x51 */
    CHECK_EQ(intr[1], 1);
    CHECK_EQ(chip->acknowledge(chip->opaque, 1), 0x51);
}

/* CR8 is TPR[7:4] of the CPU's own LAPIC; IA32_APIC_BASE moves its window. */
TEST_CASE(cpu_hooks_reach_their_lapic)
{
    PcIrq *p;
    Machine *m = new_machine(false, &p);
    chip->tpr_write(chip->opaque, 1, 0x90);
    CHECK_EQ(lapic_rd(m, 1, 0x80), 0x90);
    CHECK_EQ(lapic_rd(m, 0, 0x80), 0);
    CHECK_EQ(chip->tpr_read(chip->opaque, 1), 0x90);
    /* TPR masks: a vector of class 9 waits while TPR is 0x90. */
    lapic_enable(m, 1);
    lapic_wr(m, 1, 0x300, 0x40095);
    CHECK_EQ(intr[1], 0);
    chip->tpr_write(chip->opaque, 1, 0);
    CHECK_EQ(intr[1], 1);
    /* Hardware-disable CPU 1's LAPIC: its window goes away. */
    chip->apic_base_changed(chip->opaque, 1, LAPIC);
    CHECK_EQ(intr[1], 0);
    cur_cpu = 0;
    CHECK_EQ(as_ld(m->mem, LAPIC + 0x20, 4) >> 24, 0);
}

/* LEG_RT_CNF takes ISA IRQ8 from the RTC (and IRQ0 from the PIT). */
TEST_CASE(hpet_legacy_replacement)
{
    PcIrq *p;
    Machine *m = new_machine(false, &p);
    CHECK(pc_irq_has_hpet(p));
    pic_init(m);
    lapic_enable(m, 0);
    ioapic_rte(m, 8, 0x38);
    IrqLine *rtc = pc_irq_rtc_line(p);
    irq_pulse(rtc);
    CHECK_EQ(chip->acknowledge(chip->opaque, 0), 0x38);
    lapic_wr(m, 0, 0xB0, 0);
    as_st(m->mem, HPET_BASE + 0x10, 4, 2);   /* legacy replacement, counter halted */
    irq_pulse(rtc);
    CHECK_EQ(intr[0], 0);                    /* the RTC is cut off */
    as_st(m->mem, HPET_BASE + 0x10, 4, 0);
    irq_pulse(rtc);
    CHECK_EQ(intr[0], 1);
    CHECK_EQ(chip->acknowledge(chip->opaque, 0), 0x38);
}

/* With the accelerator's irqchip, GSIs go there and nothing else exists. */
TEST_CASE(kernel_irqchip_gets_the_gsis)
{
    PcIrq *p;
    Machine *m = new_machine(true, &p);
    CHECK(chip == NULL);
    CHECK(!pc_irq_has_hpet(p));
    irq_raise(m->gsi[11]);
    CHECK_EQ(kernel_gsi_level[11], 1);
    irq_raise(pc_irq_rtc_line(p));
    CHECK_EQ(kernel_gsi_level[8], 1);
    CHECK_EQ(as_ld(m->mem, LAPIC + 0x30, 4), 0xffffffffu);   /* no LAPIC here */
}

int main(void)
{
    clock_virtual_pause();
    RUN(pic_through_lint0_extint);
    RUN(ioapic_routes_isa_irqs);
    RUN(ipis_reach_the_accelerator);
    RUN(cpu_hooks_reach_their_lapic);
    RUN(hpet_legacy_replacement);
    RUN(kernel_irqchip_gets_the_gsis);
    TEST_EXIT();
}
