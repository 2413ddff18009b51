/*
 * I/O APIC driven through IOREGSEL/IOWIN at 0xFEC00000, delivering to two
 * real LAPICs on an APIC bus; checked against the 82093AA datasheet: ID,
 * version and arbitration registers, redirection entry fields, edge
 * detection, level pins with remote IRR cleared by the LAPIC's EOI
 * broadcast (and the version-0x20 EOI register), masking, polarity, and
 * the NMI/INIT/ExtINT/logical/lowest-priority message kinds.
 */
#include "test.h"

#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define IOAPIC_BASE 0xFEC00000ull
#define LAPIC_BASE 0xFEE00000ull
#define NCPUS 2

static Machine *m;
static ApicBus *bus;
static Apic *lapic[NCPUS];
static IoApic *io;
static int cur_cpu;
static int intr[NCPUS], nmis[NCPUS], inits[NCPUS], pic_acks;

static void cb_set_intr(void *o, int cpu, int level) { (void)o; intr[cpu] = level; }
static void cb_nmi(void *o, int cpu) { (void)o; nmis[cpu]++; }
static void cb_init(void *o, int cpu) { (void)o; inits[cpu]++; }
static void cb_sipi(void *o, int cpu, uint8_t v) { (void)o; (void)cpu; (void)v; }
static int cb_current(void *o) { (void)o; return cur_cpu; }
static int cb_extint(void *o) { (void)o; pic_acks++; return 0x28; }

static const ApicCpuOps ops = {
    .set_intr = cb_set_intr, .nmi = cb_nmi, .init = cb_init, .sipi = cb_sipi,
    .current_cpu = cb_current, .extint_acknowledge = cb_extint,
};

static uint32_t io_read(uint8_t reg)
{
    as_st(m->mem, IOAPIC_BASE, 4, reg);
    return (uint32_t)as_ld(m->mem, IOAPIC_BASE + 0x10, 4);
}

static void io_write(uint8_t reg, uint32_t v)
{
    as_st(m->mem, IOAPIC_BASE, 4, reg);
    as_st(m->mem, IOAPIC_BASE + 0x10, 4, v);
}

static void rte_write(int pin, uint32_t lo, uint8_t dest)
{
    io_write((uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
    io_write((uint8_t)(0x10 + 2 * pin), lo);
}

static uint32_t rte_lo(int pin) { return io_read((uint8_t)(0x10 + 2 * pin)); }

static uint32_t lapic_rd(int cpu, unsigned reg)
{
    cur_cpu = cpu;
    return (uint32_t)as_ld(m->mem, LAPIC_BASE + reg, 4);
}

static void lapic_wr(int cpu, unsigned reg, uint32_t v)
{
    cur_cpu = cpu;
    as_st(m->mem, LAPIC_BASE + reg, 4, v);
}

static bool irr(int cpu, int v) { return lapic_rd(cpu, 0x200 + (unsigned)(v / 32) * 0x10) >> (v % 32) & 1; }
static void pin(int p, int level) { irq_set(ioapic_input(io, p), level); }
static void take(int cpu, int vector)     /* the CPU takes the interrupt and EOIs it */
{
    (void)vector;
    apic_acknowledge(lapic[cpu]);
    lapic_wr(cpu, 0xB0, 0);
}

static void setup(void)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = NCPUS };
    clock_virtual_pause();
    if (!m) {
        m = machine_create(&type, &opts);
        bus = apic_bus_create(m, &ops, NULL);
        for (int i = 0; i < NCPUS; i++)
            lapic[i] = apic_create(bus, i, (uint8_t)i);
        io = ioapic_create(m, bus, IOAPIC_BASE, 3);
    }
    for (int i = 0; i < IOAPIC_NUM_PINS; i++)
        pin(i, 0);
    machine_reset_devices(m);
    for (int i = 0; i < NCPUS; i++) {
        lapic_wr(i, 0xF0, 0x1FF);          /* software-enable the LAPICs */
        nmis[i] = inits[i] = 0;
    }
    pic_acks = 0;
}

TEST_CASE(id_version_arbitration_reset)
{
    setup();
    CHECK_EQ(io_read(0x00), 0x03000000);   /* ID as the MADT gives it */
    CHECK_EQ(io_read(0x01), 0x00170020);   /* version 0x20, max entry 23 */
    CHECK_EQ(io_read(0x02), 0x03000000);
    io_write(0x00, 0x05000000);
    CHECK_EQ(io_read(0x00), 0x05000000);
    io_write(0x01, 0);                     /* read-only */
    CHECK_EQ(io_read(0x01), 0x00170020);
    as_st(m->mem, IOAPIC_BASE, 4, 0x2A);
    CHECK_EQ(as_ld(m->mem, IOAPIC_BASE, 4), 0x2A);   /* IOREGSEL reads back */
    for (int p = 0; p < IOAPIC_NUM_PINS; p++) {
        CHECK_EQ(rte_lo(p), 0x10000);       /* masked */
        CHECK_EQ(io_read((uint8_t)(0x11 + 2 * p)), 0);
    }
    CHECK_EQ(io_read(0x40), 0);            /* past entry 23: reserved */
    machine_reset_devices(m);
    CHECK_EQ(io_read(0x00), 0x03000000);
}

TEST_CASE(rte_fields_and_readonly_bits)
{
    setup();
    rte_write(5, 0xFFFFFFFF, 0xAB);
    CHECK_EQ(rte_lo(5), 0x0001AFFF);       /* delivery status, remote IRR read-only */
    io_write(0x1B, 0xFFFFFFFF);
    CHECK_EQ(io_read(0x1B), 0xFF000000);   /* destination byte only */
}

TEST_CASE(edge_pin_delivery_and_mask)
{
    setup();
    rte_write(4, 0x34, 1);                 /* fixed, physical, edge, high, vector 0x34 */
    pin(4, 1);
    CHECK(irr(1, 0x34));
    CHECK(!irr(0, 0x34));
    CHECK_EQ(intr[1], 1);
    take(1, 0x34);
    CHECK(!irr(1, 0x34));                  /* still high: no new edge */
    pin(4, 1);
    CHECK(!irr(1, 0x34));
    pin(4, 0);
    pin(4, 1);
    CHECK(irr(1, 0x34));
    take(1, 0x34);
    pin(4, 0);
    rte_write(4, 0x10034, 1);              /* masked: the edge is lost */
    pin(4, 1);
    rte_write(4, 0x34, 1);
    CHECK(!irr(1, 0x34));
    CHECK_EQ(rte_lo(4) & (1u << 14), 0);   /* no remote IRR on edge entries */
}

TEST_CASE(level_pin_remote_irr_and_eoi)
{
    setup();
    rte_write(10, 0xA05A, 0);              /* level, active low, vector 0x5A */
    pin(10, 1);                            /* the device asserts its line */
    CHECK(irr(0, 0x5A));
    CHECK_EQ(rte_lo(10), 0xE05A);          /* remote IRR set */
    CHECK_EQ(apic_acknowledge(lapic[0]), 0x5A);
    pin(10, 1);
    CHECK(!irr(0, 0x5A));                  /* in service: not re-sent */
    lapic_wr(0, 0xB0, 0);                  /* EOI broadcast, line still high */
    CHECK(irr(0, 0x5A));                   /* sent again */
    CHECK_EQ(rte_lo(10), 0xE05A);
    pin(10, 0);
    take(0, 0x5A);
    CHECK(!irr(0, 0x5A));
    CHECK_EQ(rte_lo(10), 0xA05A);          /* remote IRR cleared */
    pin(10, 1);
    CHECK(irr(0, 0x5A));                   /* a new assertion */
    pin(10, 0);
    take(0, 0x5A);
}

TEST_CASE(level_pin_masked_then_unmasked)
{
    setup();
    rte_write(11, 0x1805B, 1);             /* level, masked */
    pin(11, 1);
    CHECK(!irr(1, 0x5B));
    CHECK_EQ(rte_lo(11) & (1u << 14), 0);
    rte_write(11, 0x805B, 1);              /* unmask: the pending level is sent */
    CHECK(irr(1, 0x5B));
    CHECK(rte_lo(11) & (1u << 14));
    pin(11, 0);
    take(1, 0x5B);
}

TEST_CASE(eoi_register_version_0x20)
{
    setup();
    rte_write(9, 0x8061, 0);
    pin(9, 1);
    CHECK(rte_lo(9) & (1u << 14));
    apic_acknowledge(lapic[0]);
    pin(9, 0);
    as_st(m->mem, IOAPIC_BASE + 0x40, 4, 0x62);   /* other vector: no effect */
    CHECK(rte_lo(9) & (1u << 14));
    as_st(m->mem, IOAPIC_BASE + 0x40, 4, 0x61);
    CHECK_EQ(rte_lo(9) & (1u << 14), 0);
}

TEST_CASE(message_kinds)
{
    setup();
    rte_write(1, 0x400, 1);                /* NMI */
    pin(1, 1);
    CHECK_EQ(nmis[1], 1);
    pin(1, 0);
    rte_write(2, 0x500, 0);                /* INIT */
    pin(2, 1);
    CHECK_EQ(inits[0], 1);
    pin(2, 0);
    lapic_wr(0, 0xF0, 0x1FF);
    rte_write(0, 0x700, 0);                /* ExtINT: the 8259 supplies the vector */
    pin(0, 1);
    CHECK_EQ(intr[0], 1);
    CHECK_EQ(apic_acknowledge(lapic[0]), 0x28);
    CHECK_EQ(pic_acks, 1);
    pin(0, 0);
    lapic_wr(0, 0xD0, 0x01000000);
    lapic_wr(1, 0xD0, 0x02000000);
    rte_write(3, 0x840 | 0x0, 0x03);       /* logical flat 0x03: both */
    pin(3, 1);
    CHECK(irr(0, 0x40) && irr(1, 0x40));
    pin(3, 0);
    lapic_wr(0, 0x80, 0x80);               /* CPU 0 busier */
    rte_write(6, 0x941, 0x03);             /* lowest priority, logical */
    pin(6, 1);
    CHECK(!irr(0, 0x41) && irr(1, 0x41));
    pin(6, 0);
    rte_write(7, 0x42, 0xFF);              /* physical broadcast */
    pin(7, 1);
    CHECK(irr(0, 0x42) && irr(1, 0x42));
}

int main(void)
{
    RUN(id_version_arbitration_reset);
    RUN(rte_fields_and_readonly_bits);
    RUN(edge_pin_delivery_and_mask);
    RUN(level_pin_remote_irr_and_eoi);
    RUN(level_pin_masked_then_unmasked);
    RUN(eoi_register_version_0x20);
    RUN(message_kinds);
    TEST_EXIT();
}
