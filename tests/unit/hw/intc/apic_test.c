/*
 * Local APICs on one APIC bus, poked through guest memory at 0xFEE00000 as
 * each of three CPUs, checked against Intel SDM vol. 3 ch. 10: TPR/PPR,
 * priority and nesting, EOI and level broadcast, IPIs (fixed, NMI, INIT,
 * SIPI, shorthands, logical flat/cluster, lowest priority), ESR, the timer
 * in its three modes (exact under clock_virtual_pause), LINT0 ExtINT and
 * level pins, MSI, per-CPU windows and relocation.
 */
#include <time.h>

#include "test.h"

#include "cpu/x86/cpu.h"
#include "hw/intc/apic.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define NCPUS 3
#define BASE 0xFEE00000ull

static Machine *m;
static ApicBus *bus;
static Apic *lapic[NCPUS];
static int cur_cpu;
static int intr[NCPUS], nmis[NCPUS], inits[NCPUS], sipis[NCPUS], sipi_vec[NCPUS];
static int deadline_clears[NCPUS];
static int pic_acks;
static int eoi_count, eoi_vector;

static void cb_set_intr(void *o, int cpu, int level) { (void)o; intr[cpu] = level; }
static void cb_nmi(void *o, int cpu) { (void)o; nmis[cpu]++; }
static void cb_init(void *o, int cpu) { (void)o; inits[cpu]++; }
static void cb_sipi(void *o, int cpu, uint8_t v) { (void)o; sipis[cpu]++; sipi_vec[cpu] = v; }
static int cb_current(void *o) { (void)o; return cur_cpu; }
static int cb_extint(void *o) { (void)o; pic_acks++; return 0x20; }
static void cb_deadline(void *o, int cpu) { (void)o; deadline_clears[cpu]++; }
static void cb_eoi(void *o, uint8_t v) { (void)o; eoi_count++; eoi_vector = v; }

static const ApicCpuOps ops = {
    .set_intr = cb_set_intr, .nmi = cb_nmi, .init = cb_init, .sipi = cb_sipi,
    .current_cpu = cb_current, .extint_acknowledge = cb_extint,
    .tsc_deadline_cleared = cb_deadline,
};

/* Register access as CPU `cpu`, like a guest's MOV to the xAPIC page. */
static uint32_t rd(int cpu, unsigned reg) { cur_cpu = cpu; return (uint32_t)as_ld(m->mem, BASE + reg, 4); }
static void wr(int cpu, unsigned reg, uint32_t v) { cur_cpu = cpu; as_st(m->mem, BASE + reg, 4, v); }
static bool bit256(int cpu, unsigned base, int v) { return rd(cpu, base + (unsigned)(v / 32) * 0x10) >> (v % 32) & 1; }
static bool irr(int cpu, int v) { return bit256(cpu, 0x200, v); }
static bool isr(int cpu, int v) { return bit256(cpu, 0x100, v); }
static bool tmr(int cpu, int v) { return bit256(cpu, 0x180, v); }
static void ipi(int from, uint8_t dest, uint32_t icr_lo) { wr(from, 0x310, (uint32_t)dest << 24); wr(from, 0x300, icr_lo); }
static void eoi(int cpu) { wr(cpu, 0xB0, 0); }
static uint32_t esr(int cpu) { wr(cpu, 0x280, 0); return rd(cpu, 0x280); }

static void host_sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

/* Let virtual time run ~us (timers not serviced), then freeze it. */
static void advance_us(long us)
{
    clock_virtual_resume();
    host_sleep_us(us);
    clock_virtual_pause();
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
        apic_bus_add_eoi_listener(bus, cb_eoi, NULL);
    }
    for (int i = 0; i < NCPUS; i++) {
        irq_set(apic_lint(lapic[i], 0), 0);
        irq_set(apic_lint(lapic[i], 1), 0);
    }
    machine_reset_devices(m);
    for (int i = 0; i < NCPUS; i++) {
        nmis[i] = inits[i] = sipis[i] = deadline_clears[i] = 0;
        sipi_vec[i] = -1;
    }
    pic_acks = eoi_count = 0;
    eoi_vector = -1;
    cur_cpu = 0;
}

/* Reset state plus software enable (SVR bit 8, spurious vector 0xFF). */
static void setup_enabled(void)
{
    setup();
    for (int i = 0; i < NCPUS; i++)
        wr(i, 0xF0, 0x1FF);
}

TEST_CASE(reset_values)
{
    setup();
    CHECK_EQ(rd(0, 0x20), 0x00000000);
    CHECK_EQ(rd(1, 0x20), 0x01000000);
    CHECK_EQ(rd(2, 0x20), 0x02000000);
    CHECK_EQ(rd(0, 0x30), 0x00050014);     /* version 0x14, max LVT 5 */
    CHECK_EQ(rd(0, 0xF0), 0xFF);           /* software disabled */
    CHECK_EQ(rd(0, 0xE0), 0xFFFFFFFF);     /* DFR flat */
    CHECK_EQ(rd(0, 0xD0), 0);
    CHECK_EQ(rd(0, 0x80), 0);
    CHECK_EQ(rd(0, 0x320), 0x10000);
    CHECK_EQ(rd(0, 0x350), 0x700);         /* BSP: virtual wire, LINT0 ExtINT */
    CHECK_EQ(rd(1, 0x350), 0x10000);
    CHECK_EQ(rd(0, 0x360), 0x10000);
    CHECK_EQ(rd(0, 0x370), 0x10000);
    CHECK_EQ(rd(0, 0x3E0), 0);
    CHECK_EQ(apic_get_base(lapic[0]), 0xFEE00900);   /* enable + BSP */
    CHECK_EQ(apic_get_base(lapic[1]), 0xFEE00800);
}

TEST_CASE(fixed_ipi_irr_to_isr_to_eoi)
{
    setup_enabled();
    ipi(0, 1, 0x40);                       /* fixed, physical, vector 0x40 */
    CHECK(irr(1, 0x40));
    CHECK(!irr(0, 0x40));
    CHECK_EQ(intr[1], 1);
    CHECK_EQ(intr[0], 0);
    CHECK_EQ(rd(0, 0x300) & (1u << 12), 0);   /* delivery status: idle */
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x40);
    CHECK(!irr(1, 0x40));
    CHECK(isr(1, 0x40));
    CHECK_EQ(intr[1], 0);
    CHECK_EQ(rd(1, 0xA0), 0x40);           /* PPR = ISRV class */
    eoi(1);
    CHECK(!isr(1, 0x40));
    CHECK_EQ(rd(1, 0xA0), 0);
    CHECK_EQ(eoi_count, 0);                /* edge: no EOI broadcast */
}

TEST_CASE(tpr_ppr_masking)
{
    setup_enabled();
    wr(1, 0x80, 0x50);
    CHECK_EQ(rd(1, 0xA0), 0x50);
    ipi(0, 1, 0x55);                       /* class 5 = TPR class: held */
    CHECK(irr(1, 0x55));
    CHECK_EQ(intr[1], 0);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0xFF);   /* spurious, IRR kept */
    CHECK(irr(1, 0x55));
    CHECK(!isr(1, 0x55));
    ipi(0, 1, 0x65);
    CHECK_EQ(intr[1], 1);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x65);
    CHECK_EQ(rd(1, 0xA0), 0x60);           /* ISRV class above TPR */
    wr(1, 0x80, 0x6F);
    CHECK_EQ(rd(1, 0xA0), 0x6F);           /* TPR class >= ISRV class: PPR = TPR */
    eoi(1);
    wr(1, 0x80, 0x40);
    CHECK_EQ(intr[1], 1);                  /* 0x55 now above PPR */
    apic_set_tpr(lapic[1], 0x50);          /* CR8 = 5 */
    CHECK_EQ(apic_get_tpr(lapic[1]), 0x50);
    CHECK_EQ(rd(1, 0x80), 0x50);
    CHECK_EQ(intr[1], 0);
}

TEST_CASE(priority_order_and_nesting)
{
    setup_enabled();
    ipi(0, 1, 0x31);
    ipi(0, 1, 0x92);
    ipi(0, 1, 0x45);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x92);
    CHECK_EQ(intr[1], 0);                  /* 0x45, 0x31 below ISR class 9 */
    CHECK_EQ(apic_acknowledge(lapic[1]), 0xFF);
    ipi(0, 1, 0xA0);                       /* nests above 0x92 */
    CHECK_EQ(intr[1], 1);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0xA0);
    eoi(1);                                /* retires the highest: 0xA0 */
    CHECK(!isr(1, 0xA0));
    CHECK(isr(1, 0x92));
    CHECK_EQ(intr[1], 0);
    eoi(1);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x45);
    eoi(1);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x31);
    eoi(1);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0xFF);
    wr(1, 0xF0, 0x1EF);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0xEF);   /* the programmed spurious vector */
}

TEST_CASE(level_eoi_broadcast)
{
    setup_enabled();
    apic_bus_deliver(bus, 2, APIC_DEST_PHYSICAL, APIC_DM_FIXED, 0x50, APIC_TRIGGER_LEVEL);
    CHECK(irr(2, 0x50));
    CHECK(tmr(2, 0x50));
    CHECK_EQ(apic_acknowledge(lapic[2]), 0x50);
    eoi(2);
    CHECK_EQ(eoi_count, 1);
    CHECK_EQ(eoi_vector, 0x50);
    apic_bus_deliver(bus, 2, APIC_DEST_PHYSICAL, APIC_DM_FIXED, 0x50, APIC_TRIGGER_EDGE);
    CHECK(!tmr(2, 0x50));                  /* TMR follows the last acceptance */
    apic_acknowledge(lapic[2]);
    eoi(2);
    CHECK_EQ(eoi_count, 1);
    eoi(2);                                /* nothing in service: ignored */
    CHECK_EQ(eoi_count, 1);
}

TEST_CASE(ipi_shorthands)
{
    setup_enabled();
    ipi(1, 0, 0x40000 | 0x41);             /* self */
    CHECK(irr(1, 0x41) && !irr(0, 0x41) && !irr(2, 0x41));
    ipi(1, 0, 0x80000 | 0x42);             /* all including self */
    CHECK(irr(0, 0x42) && irr(1, 0x42) && irr(2, 0x42));
    ipi(1, 0, 0xC0000 | 0x43);             /* all excluding self */
    CHECK(irr(0, 0x43) && !irr(1, 0x43) && irr(2, 0x43));
    ipi(1, 0xFF, 0x44);                    /* physical broadcast */
    CHECK(irr(0, 0x44) && irr(1, 0x44) && irr(2, 0x44));
    ipi(1, 0, 0xC0000 | 0x400);               /* NMI to all but self */
    CHECK_EQ(nmis[0], 1);
    CHECK_EQ(nmis[1], 0);
    CHECK_EQ(nmis[2], 1);
}

TEST_CASE(init_and_startup_ipis)
{
    setup_enabled();
    wr(2, 0xD0, 0x04000000);
    wr(2, 0x20, 0x07000000);               /* ID survives INIT */
    ipi(0, 7, 0x4500);                     /* INIT, level assert */
    CHECK_EQ(inits[2], 1);
    CHECK_EQ(inits[1], 0);
    CHECK_EQ(rd(2, 0xF0), 0xFF);           /* back to power-up state */
    CHECK_EQ(rd(2, 0xD0), 0);
    CHECK_EQ(rd(2, 0x20), 0x07000000);
    ipi(0, 7, 0x8500);                     /* INIT level de-assert: no-op */
    CHECK_EQ(inits[2], 1);
    ipi(0, 7, 0x4608);                     /* start-up, vector 08 -> 0x8000 */
    CHECK_EQ(sipis[2], 1);
    CHECK_EQ(sipi_vec[2], 0x08);
    ipi(0, 1, 0x4400);                     /* NMI */
    CHECK_EQ(nmis[1], 1);
    ipi(0, 0, 0xC4500);                    /* INIT all-but-self */
    CHECK_EQ(inits[0], 0);
    CHECK_EQ(inits[1], 1);
    CHECK_EQ(inits[2], 2);
}

TEST_CASE(logical_flat_and_cluster)
{
    setup_enabled();
    wr(0, 0xD0, 0x01000000);
    wr(1, 0xD0, 0x02000000);
    wr(2, 0xD0, 0x04000000);
    ipi(0, 0x06, 0x800 | 0x51);            /* logical flat: CPUs 1 and 2 */
    CHECK(!irr(0, 0x51) && irr(1, 0x51) && irr(2, 0x51));
    for (int i = 0; i < NCPUS; i++)
        wr(i, 0xE0, 0x0FFFFFFF);           /* cluster model */
    CHECK_EQ(rd(0, 0xE0), 0x0FFFFFFF);
    wr(0, 0xD0, 0x11000000);               /* cluster 1, member 1 */
    wr(1, 0xD0, 0x12000000);               /* cluster 1, member 2 */
    wr(2, 0xD0, 0x21000000);               /* cluster 2, member 1 */
    ipi(0, 0x13, 0x800 | 0x52);
    CHECK(irr(0, 0x52) && irr(1, 0x52) && !irr(2, 0x52));
    ipi(0, 0x21, 0x800 | 0x53);
    CHECK(!irr(0, 0x53) && !irr(1, 0x53) && irr(2, 0x53));
    ipi(0, 0xF1, 0x800 | 0x54);            /* every cluster, member 1 */
    CHECK(irr(0, 0x54) && !irr(1, 0x54) && irr(2, 0x54));
    ipi(0, 0x01, 0x800 | 0x55);            /* cluster 0: nobody */
    CHECK(!irr(0, 0x55) && !irr(1, 0x55) && !irr(2, 0x55));
}

TEST_CASE(lowest_priority_arbitration)
{
    setup_enabled();
    wr(0, 0x80, 0x30);
    wr(1, 0x80, 0x10);
    wr(2, 0x80, 0x20);
    CHECK_EQ(rd(1, 0x90), 0x10);           /* APR = TPR when nothing pending */
    apic_bus_deliver(bus, 0xFF, APIC_DEST_PHYSICAL, APIC_DM_LOWEST, 0x60, APIC_TRIGGER_EDGE);
    CHECK(!irr(0, 0x60) && irr(1, 0x60) && !irr(2, 0x60));
    CHECK_EQ(rd(1, 0x90), 0x60);           /* APR class = IRRV class */
    /* CPU 1 has 0x60 pending: as focus processor it takes it again even
     * with a higher TPR... */
    wr(1, 0x80, 0xF0);
    apic_bus_deliver(bus, 0xFF, APIC_DEST_PHYSICAL, APIC_DM_LOWEST, 0x60, APIC_TRIGGER_EDGE);
    CHECK(!irr(0, 0x60) && !irr(2, 0x60));
    /* ...unless focus checking is disabled (SVR bit 9): then CPU 2. */
    for (int i = 0; i < NCPUS; i++)
        wr(i, 0xF0, 0x3FF);
    apic_bus_deliver(bus, 0xFF, APIC_DEST_PHYSICAL, APIC_DM_LOWEST, 0x60, APIC_TRIGGER_EDGE);
    CHECK(!irr(0, 0x60) && irr(2, 0x60));
    ipi(2, 0x03, 0x900 | 0x70);            /* ICR lowest, logical flat to CPUs 0-1 */
    CHECK(!irr(0, 0x70) && !irr(1, 0x70));  /* LDRs are 0: nobody matches */
    wr(0, 0xD0, 0x01000000);
    wr(1, 0xD0, 0x02000000);
    ipi(2, 0x03, 0x900 | 0x70);
    CHECK(irr(0, 0x70) && !irr(1, 0x70));  /* CPU 0 (TPR 0x30) beats CPU 1 (0xF0) */
}

TEST_CASE(esr_errors_and_error_lvt)
{
    setup_enabled();
    ipi(0, 1, 0x05);                       /* fixed vector < 16 */
    CHECK(!irr(1, 0x05));
    CHECK_EQ(rd(0, 0x280), 0);             /* nothing until ESR is written */
    CHECK_EQ(esr(0), 0x20);                /* send illegal vector */
    CHECK_EQ(esr(0), 0);                   /* the write cleared it */
    apic_bus_deliver(bus, 1, APIC_DEST_PHYSICAL, APIC_DM_FIXED, 0x03, APIC_TRIGGER_EDGE);
    CHECK_EQ(esr(1), 0x40);                /* receive illegal vector */
    rd(1, 0x2F0);                          /* no CMCI LVT on this version */
    CHECK_EQ(esr(1), 0x80);                /* illegal register address */
    wr(1, 0x370, 0xE3);                    /* LVT error: vector 0xE3, unmasked */
    CHECK_EQ(rd(1, 0x370), 0xE3);
    wr(1, 0x3F0, 1);
    CHECK(irr(1, 0xE3));
    CHECK_EQ(esr(1), 0x80);
}

TEST_CASE(software_disable)
{
    setup();                               /* SVR 0xFF: software disabled */
    wr(1, 0x320, 0x30);
    CHECK_EQ(rd(1, 0x320), 0x10030);       /* mask sticks */
    ipi(0, 1, 0x40);
    CHECK(!irr(1, 0x40));                  /* fixed interrupts dropped */
    ipi(0, 1, 0x400);
    CHECK_EQ(nmis[1], 1);                  /* NMI still accepted */
    wr(1, 0xF0, 0x1FF);
    wr(1, 0x320, 0x30);
    CHECK_EQ(rd(1, 0x320), 0x30);
    wr(1, 0xF0, 0x0FF);
    CHECK_EQ(rd(1, 0x320), 0x10030);       /* disabling masks every LVT */
}

TEST_CASE(timer_oneshot_exact)
{
    setup_enabled();
    wr(1, 0x3E0, 0xB);                     /* divide by 1: 25 MHz, 40 ns */
    wr(1, 0x320, 0x31);
    int64_t t0 = clock_virtual_ns();
    wr(1, 0x380, 500000);                  /* 20 ms */
    CHECK_EQ(rd(1, 0x380), 500000);
    CHECK_EQ(rd(1, 0x390), 500000);        /* time frozen */
    advance_us(100);
    int64_t e = (clock_virtual_ns() - t0) / 40;
    if (e >= 500000)
        SKIP("host stalled past the expiry");
    CHECK_EQ(rd(1, 0x390), 500000 - e);
    timers_run_expired();
    CHECK(!irr(1, 0x31));
    advance_us(21000);
    CHECK_EQ(rd(1, 0x390), 0);
    timers_run_expired();
    CHECK(irr(1, 0x31));
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x31);
    eoi(1);
    advance_us(200);
    timers_run_expired();
    CHECK(!irr(1, 0x31));                  /* one-shot: once */
    CHECK_EQ(rd(1, 0x390), 0);
    /* divide by 16 (DCR 0x3): 640 ns per count. */
    wr(1, 0x3E0, 0x3);
    t0 = clock_virtual_ns();
    wr(1, 0x380, 100000);
    advance_us(100);
    e = (clock_virtual_ns() - t0) / 640;
    CHECK_EQ(rd(1, 0x390), 100000 - e);
    /* divide by 128 (DCR 0xA): 5120 ns per count. */
    wr(1, 0x3E0, 0xA);
    t0 = clock_virtual_ns();
    wr(1, 0x380, 100000);
    advance_us(100);
    e = (clock_virtual_ns() - t0) / 5120;
    CHECK_EQ(rd(1, 0x390), 100000 - e);
    wr(1, 0x380, 0);                       /* 0 stops the timer */
    CHECK_EQ(rd(1, 0x390), 0);
}

TEST_CASE(timer_masked_does_not_interrupt)
{
    setup_enabled();
    wr(1, 0x3E0, 0xB);
    wr(1, 0x320, 0x10031);
    wr(1, 0x380, 250);                     /* 10 us */
    advance_us(100);
    timers_run_expired();
    CHECK(!irr(1, 0x31));
    CHECK_EQ(rd(1, 0x390), 0);
}

TEST_CASE(timer_periodic)
{
    setup_enabled();
    wr(1, 0x3E0, 0xB);
    wr(1, 0x320, 0x20032);                 /* periodic, vector 0x32 */
    int64_t t0 = clock_virtual_ns();
    wr(1, 0x380, 25000);                   /* 1 ms */
    advance_us(2500);
    int64_t e = (clock_virtual_ns() - t0) / 40;
    CHECK_EQ(rd(1, 0x390), 25000 - e % 25000);   /* reloads at zero */
    timers_run_expired();
    CHECK(irr(1, 0x32));
    apic_acknowledge(lapic[1]);
    eoi(1);
    /* Run like the main loop for ~20 ms; take every interrupt. */
    int n = 0;
    /* A host stall of k periods between two passes merges up to k
     * interrupts (the IRR holds one). */
    int64_t start = clock_virtual_ns(), end = start + 20 * 1000000, last = start, merged = 0;
    clock_virtual_resume();
    while (clock_virtual_ns() < end) {
        timers_run_expired();
        if (intr[1]) {
            apic_acknowledge(lapic[1]);
            eoi(1);
            n++;
        }
        int64_t now = clock_virtual_ns();
        merged += (now - last) / 1000000;
        last = now;
        host_sleep_us(50);
    }
    clock_virtual_pause();
    merged += (clock_virtual_ns() - last) / 1000000;   /* the stall that ended the loop */
    CHECK(n <= 21);
    CHECK(n >= 19 - merged);
}

TEST_CASE(timer_tsc_deadline)
{
    setup_enabled();
    wr(1, 0x320, 0x40033);                 /* TSC-deadline mode */
    CHECK_EQ(deadline_clears[1], 1);       /* entering the mode disarms: MSR reads 0 */
    wr(1, 0x380, 1000);                    /* ignored in this mode */
    CHECK_EQ(rd(1, 0x380), 0);
    CHECK_EQ(rd(1, 0x390), 0);
    int64_t offset = 12345;
    /* X86_TSC_FREQ_HZ is 1 GHz: TSC = virtual ns + offset. */
    _Static_assert(X86_TSC_FREQ_HZ == 1000000000ull, "test assumes a 1 GHz TSC");
    uint64_t now_tsc = (uint64_t)clock_virtual_ns() + offset;
    apic_set_tsc_deadline(lapic[1], now_tsc + 10000000, offset);   /* +10 ms */
    advance_us(100);
    timers_run_expired();
    if (clock_virtual_ns() + offset >= (int64_t)now_tsc + 10000000)
        SKIP("host stalled past the deadline");
    CHECK(!irr(1, 0x33));
    advance_us(11000);
    timers_run_expired();
    CHECK(irr(1, 0x33));
    CHECK_EQ(deadline_clears[1], 2);       /* IA32_TSC_DEADLINE reads 0 after firing */
    apic_acknowledge(lapic[1]);
    eoi(1);
    apic_set_tsc_deadline(lapic[1], 1, offset);   /* in the past: at once */
    CHECK(irr(1, 0x33));
    CHECK_EQ(deadline_clears[1], 3);
    apic_acknowledge(lapic[1]);
    eoi(1);
    now_tsc = (uint64_t)clock_virtual_ns() + offset;
    apic_set_tsc_deadline(lapic[1], now_tsc + 50000, offset);
    apic_set_tsc_deadline(lapic[1], 0, offset);   /* disarm */
    advance_us(100);
    timers_run_expired();
    CHECK(!irr(1, 0x33));
    now_tsc = (uint64_t)clock_virtual_ns() + offset;
    apic_set_tsc_deadline(lapic[1], now_tsc + 50000, offset);
    wr(1, 0x320, 0x00033);                 /* leaving deadline mode disarms */
    CHECK_EQ(deadline_clears[1], 4);
    advance_us(100);
    timers_run_expired();
    CHECK(!irr(1, 0x33));
    apic_set_tsc_deadline(lapic[1], now_tsc + 50000, offset);   /* one-shot mode: ignored */
    CHECK_EQ(deadline_clears[1], 5);
}

TEST_CASE(extint_passthrough_and_global_disable)
{
    setup_enabled();
    IrqLine *lint0 = apic_lint(lapic[0], 0);
    irq_raise(lint0);                      /* the 8259's INT */
    CHECK_EQ(intr[0], 1);
    CHECK_EQ(apic_acknowledge(lapic[0]), 0x20);   /* from the 8259 */
    CHECK_EQ(pic_acks, 1);
    CHECK(!isr(0, 0x20));                  /* ExtINT bypasses IRR/ISR */
    irq_lower(lint0);
    CHECK_EQ(intr[0], 0);
    wr(0, 0x350, 0x10700);                 /* masked */
    irq_raise(lint0);
    CHECK_EQ(intr[0], 0);
    irq_lower(lint0);
    apic_set_base(lapic[0], 0xFEE00000 | MSR_APIC_BASE_BSP);   /* global disable */
    CHECK_EQ(rd(0, 0x30), 0xFFFFFFFF);     /* window gone for CPU 0 */
    irq_raise(lint0);
    CHECK_EQ(intr[0], 1);                  /* LINT0 is the INTR pin now */
    CHECK_EQ(apic_acknowledge(lapic[0]), 0x20);
    irq_lower(lint0);
    CHECK_EQ(intr[0], 0);
    irq_raise(apic_lint(lapic[0], 1));     /* and LINT1 the NMI pin */
    CHECK_EQ(nmis[0], 1);
    irq_lower(apic_lint(lapic[0], 1));
    ipi(1, 0, 0x4400);                     /* a disabled LAPIC takes no messages */
    CHECK_EQ(nmis[0], 1);
    apic_set_base(lapic[0], 0xFEE00000 | MSR_APIC_BASE_BSP | MSR_APIC_BASE_ENABLE);
    CHECK_EQ(rd(0, 0x30), 0x00050014);
    CHECK_EQ(rd(0, 0xF0), 0xFF);           /* state was lost */
}

TEST_CASE(extint_message_from_ioapic)
{
    setup_enabled();
    apic_bus_deliver(bus, 1, APIC_DEST_PHYSICAL, APIC_DM_EXTINT, 0, APIC_TRIGGER_EDGE);
    CHECK_EQ(intr[1], 1);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x20);
    CHECK_EQ(pic_acks, 1);
    CHECK_EQ(intr[1], 0);
}

TEST_CASE(lint0_level_remote_irr)
{
    setup_enabled();
    IrqLine *lint0 = apic_lint(lapic[1], 0);
    wr(1, 0x350, 0x8070);                  /* fixed, level, vector 0x70 */
    irq_raise(lint0);
    CHECK(irr(1, 0x70));
    CHECK(tmr(1, 0x70));
    CHECK_EQ(rd(1, 0x350), 0xC070);        /* remote IRR set */
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x70);
    eoi(1);                                /* pin still high: delivered again */
    CHECK(irr(1, 0x70));
    CHECK_EQ(rd(1, 0x350), 0xC070);
    irq_lower(lint0);
    CHECK_EQ(apic_acknowledge(lapic[1]), 0x70);
    eoi(1);
    CHECK(!irr(1, 0x70));
    CHECK_EQ(rd(1, 0x350), 0x8070);
    wr(1, 0x360, 0x400);                   /* LINT1 as NMI, edge */
    irq_raise(apic_lint(lapic[1], 1));
    irq_raise(apic_lint(lapic[1], 1));
    CHECK_EQ(nmis[1], 1);
    irq_lower(apic_lint(lapic[1], 1));
    wr(1, 0x360, 0x71);                    /* LINT1 fixed edge */
    irq_raise(apic_lint(lapic[1], 1));
    CHECK(irr(1, 0x71));
    irq_lower(apic_lint(lapic[1], 1));
}

TEST_CASE(msi_delivery)
{
    setup_enabled();
    apic_bus_deliver_msi(bus, 0xFEE02000, 0x0049);   /* dest 2, fixed, vector 0x49 */
    CHECK(irr(2, 0x49) && !irr(0, 0x49));
    apic_bus_deliver_msi(bus, 0xFEE01000, 0x0400);   /* NMI to CPU 1 */
    CHECK_EQ(nmis[1], 1);
    apic_bus_deliver_msi(bus, 0xFED00000, 0x0049);   /* not an MSI address */
    CHECK(!irr(0, 0x49) && !irr(1, 0x49));
}

TEST_CASE(per_cpu_windows_and_relocation)
{
    setup();
    cur_cpu = 2;
    CHECK_EQ(as_ld(m->mem, BASE + 0x20, 4), 0x02000000);
    cur_cpu = 1;
    CHECK_EQ(as_ld(m->mem, BASE + 0x20, 4), 0x01000000);
    CHECK_EQ(as_ld(m->mem, BASE + 0x23, 1), 0x01);   /* byte read of ID[31:24] */
    apic_set_base(lapic[1], 0xFEF00000 | MSR_APIC_BASE_ENABLE);
    CHECK_EQ(rd(1, 0x20), 0xFFFFFFFF);     /* CPU 1 no longer decodes 0xFEE00000 */
    CHECK_EQ(rd(0, 0x20), 0);
    cur_cpu = 1;
    CHECK_EQ(as_ld(m->mem, 0xFEF00020, 4), 0x01000000);
    cur_cpu = 0;
    CHECK_EQ(as_ld(m->mem, 0xFEF00020, 4), 0xFFFFFFFF);
    machine_reset_devices(m);              /* reset moves it back */
    CHECK_EQ(rd(1, 0x20), 0x01000000);
}

int main(void)
{
    RUN(reset_values);
    RUN(fixed_ipi_irr_to_isr_to_eoi);
    RUN(tpr_ppr_masking);
    RUN(priority_order_and_nesting);
    RUN(level_eoi_broadcast);
    RUN(ipi_shorthands);
    RUN(init_and_startup_ipis);
    RUN(logical_flat_and_cluster);
    RUN(lowest_priority_arbitration);
    RUN(esr_errors_and_error_lvt);
    RUN(software_disable);
    RUN(timer_oneshot_exact);
    RUN(timer_masked_does_not_interrupt);
    RUN(timer_periodic);
    RUN(timer_tsc_deadline);
    RUN(extint_passthrough_and_global_disable);
    RUN(extint_message_from_ioapic);
    RUN(lint0_level_remote_irr);
    RUN(msi_delivery);
    RUN(per_cpu_windows_and_relocation);
    TEST_EXIT();
}
