/*
 * Proves that no sequence of guest port/MMIO accesses can crash, hang or
 * corrupt the pc machine: the real `pc` machine type (hw/pc/pc.c, compiled
 * into rig.c) is built behind a fake accelerator with IDE disks (raw, qcow2,
 * qcow2 on a backing file, snapshot=on) and CDs, firmware or a direct-boot
 * kernel, isa-debugcon and isa-debug-exit; then seeded random accesses,
 * biased toward register offsets and values guests use, go to every MMIO
 * and port range of the flat views (followed as BARs move), to PCI
 * configuration space (BARs placed anywhere, decode bits toggled), to the
 * IDE task files and data ports, fw_cfg and its DMA interface, with DMA
 * descriptors and PRD tables pointing anywhere in (and outside) RAM,
 * interleaved with virtual time, interrupts, host input, display refreshes
 * and resets. It passes when ASan/UBSan stay silent, nothing hangs (SIGALRM
 * watchdog), no timers_run_expired() call hits its budget (with the clock
 * paused a 0 return means 1000 callbacks due at one instant: a storm),
 * guest RAM changes only through CPU stores and reported DMA writes (a
 * shadow copy), DMA set up by the guest writes only where it pointed, and a
 * system reset returns every PCI function's configuration space to its
 * power-on state. Each seed and each directed case runs in its own process.
 * Directed cases at the end pin each bug the fuzzer found.
 * This file is the driver (the mix of actions, the seeds, the directed
 * cases); rig.c builds and watches the machine, cases.c says what to poke.
 * Usage: pc_fuzz_test [first-seed [seed-count [ops-per-seed]]].
 */
#include <signal.h>
#include <unistd.h>

#include "test.h"

#include "hw/input/ps2.h"
#include "hw/pc/e820.h"
#include "hw/timer/hpet.h"
#include "mimic/display.h"
#include "mimic/irq.h"
#include "mimic/le.h"
#include "mimic/log.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"

#include "cases.h"
#include "rig.h"

#define DEFAULT_SEEDS 5
#define DEFAULT_OPS 100000
#define WATCHDOG_SECONDS 90          /* per seed; a seed takes ~1-2 s under ASan */
#define GUARD_CHECK_EVERY 25000      /* ops between full shadow comparisons */

/* ---- The fuzz loop ---------------------------------------------------------- */

typedef struct Stats {
    long reads, writes, advances, acks, configs, ide_cmds, episodes, renders, resets;
} Stats;

static const char *storm_where;

/* One random guest-visible action. Returns false (with why) on a failure. */
static bool fuzz_step(const Target **cur, uint64_t *offs, int *noffs, int *left, Stats *st,
                      char *why, size_t whylen)
{
    Machine *m = fz.m;
    unsigned r = rnd_below(1000);
    cur_cpu = chance(3) ? -1 : (int)rnd_below(NCPUS);

    if (r < 735) {
        /* Accesses come in runs at one device and a few offsets, so that
         * index/data pairs and multi-step programming happen. */
        if (!*cur || *left <= 0) {
            if (fz.targets_stale)
                refresh_targets();
            *cur = &targets[rnd_below((unsigned)ntargets)];
            *left = 1 + (int)rnd_below(24);
            *noffs = 1 + (int)rnd_below(4);
            for (int i = 0; i < *noffs; i++)
                offs[i] = pick_offset(*cur);
        }
        (*left)--;
        Target t = **cur;         /* the access may move regions and refresh the list */
        uint64_t off = chance(80) ? offs[rnd_below((unsigned)*noffs)] : pick_offset(&t);
        unsigned size = 1u << rnd_below(4);
        if (chance(60)) {
            cpu_st(t.as, t.start + off, size, pick_value(&t, off));
            st->writes++;
        } else {
            (void)as_ld(t.as, t.start + off, size);
            st->reads++;
        }
        if (fz.targets_stale)
            *cur = NULL;
        storm_where = t.name;
    } else if (r < 745) {
        act_pci_bars();
        *cur = NULL;
        storm_where = "PCI BARs";
    } else if (r < 780) {
        act_pci_config();
        st->configs++;
        *cur = NULL;
        storm_where = "PCI configuration";
    } else if (r < 800) {
        act_ide_command();
        st->ide_cmds++;
        storm_where = "IDE command";
    } else if (r < 810) {
        act_ide_data();
        storm_where = "IDE data burst";
    } else if (r < 817) {
        act_fw_cfg();
        storm_where = "fw_cfg";
    } else if (r < 825) {
        act_scribble();
        storm_where = "RAM scribble";
    } else if (r < 828) {
        st->episodes++;
        storm_where = "DMA episode";
        if (!(chance(60) ? episode_ide(why, whylen) : episode_fw_cfg(why, whylen)))
            return false;
    } else if (r < 880) {
        /* Virtual time moves: mostly a little, sometimes milliseconds. */
        long ns = chance(99) ? 100 + (long)rnd_below(chance(50) ? 2000 : 60000)
                             : 1000000 + (long)rnd_below(4000000);
        advance(ns);
        st->advances++;
        storm_where = "after time advanced";
    } else if (r < 925) {
        /* A CPU takes its interrupt and, usually, EOIs it. */
        int cpu = (int)rnd_below(NCPUS);
        if (intr[cpu]) {
            chip->acknowledge(chip->opaque, cpu);
            st->acks++;
        }
        if (chance(70)) {
            cur_cpu = cpu;
            as_st(m->mem, PC_LAPIC_BASE + 0xB0, 4, 0);
        }
        if (chance(30))
            outb(chance(50) ? 0x20 : 0xA0, 0x20);   /* 8259 non-specific EOI */
        storm_where = "interrupt acknowledge";
    } else if (r < 945) {
        /* The CPU-side LAPIC inputs a guest controls through CR8 and MSRs. */
        int cpu = (int)rnd_below(NCPUS);
        switch (rnd_below(4)) {
        case 0:
            chip->tpr_write(chip->opaque, cpu, (uint8_t)rnd());
            break;
        case 1:
            (void)chip->tpr_read(chip->opaque, cpu);
            break;
        case 2: {
            /* Mostly the architectural base, enabled or not; sometimes anywhere. */
            uint64_t v = chance(70) ? PC_LAPIC_BASE | (rnd() & 0x900) : interesting_value();
            chip->apic_base_changed(chip->opaque, cpu, v);
            break;
        }
        default: {
            int64_t now = clock_virtual_ns();
            uint64_t tsc = chance(50) ? (uint64_t)now + rnd_below(200000) : interesting_value();
            chip->tsc_deadline_changed(chip->opaque, cpu, tsc,
                                       chance(70) ? 0 : (int64_t)interesting_value());
            break;
        }
        }
        storm_where = "CPU-side LAPIC hook";
    } else if (r < 957) {
        /* Bytes arrive on COM1's line; the main loop hands them over. */
        uint8_t buf[32];
        size_t n = 1 + rnd_below(sizeof(buf));
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rnd();
        ssize_t w = write(fz.serial_in, buf, n);
        (void)w;
        mainloop_iterate(0);
        storm_where = "serial input";
    } else if (r < 970) {
        /* Host input for the PS/2 devices (keys, motion, buttons). */
        if (chance(50))
            ps2_keyboard_key_event(ps2_keyboard_get(0), (int)(rnd() & 0x1FF), chance(50));
        else
            ps2_mouse_event(ps2_mouse_get(0), (int)interesting_value(), (int)interesting_value(),
                            (int)rnd_below(16) - 8, (unsigned)rnd());
        storm_where = "PS/2 input";
    } else if (r < 987) {
        /* An interrupt line of the board moves (devices drive these). */
        irq_set(m->gsi[rnd_below(MACHINE_MAX_GSI)], (int)rnd_below(2));
        storm_where = "GSI level change";
    } else if (r < 989) {
        act_vga_mode();
        storm_where = "VGA mode set";
    } else if (r < 990) {
        /* The UI refreshes the screen (the VGA renders its current mode). */
        DisplayUpdate u;
        if (fz.con) {
            display_update(fz.con, &u);
            if (chance(30)) {
                static char text[16384];
                display_text(fz.con, text, chance(50) ? sizeof(text) : rnd_below(64));
            }
        }
        st->renders++;
        storm_where = "display refresh";
    } else if (r < 991) {
        fuzz_system_reset();
        st->resets++;
        *cur = NULL;
        storm_where = "system reset";
        if (!config_check_reset(why, whylen))
            return false;
    } else {
        /* The guest's own RAM traffic: stores anywhere below the top of RAM. */
        uint64_t a = chance(50) ? hot_address() : rnd() % RAM_SIZE;
        cpu_st(m->mem, a, 1u << rnd_below(4), rnd());
        storm_where = "RAM store";
    }
    if (m->request)
        fuzz_handle_request(m);
    if (!run_timers()) {
        snprintf(why, whylen, "timer storm (%s): 1000 timer callbacks due at one instant",
                 storm_where);
        return false;
    }
    return true;
}

static uint64_t seed_variant(uint64_t seed)
{
    return seed * 0xD1B54A32D192ED03ull >> 7;
}

static int fuzz_seed(uint64_t seed, long ops)
{
    uint64_t variant = seed_variant(seed);
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    fuzz_pc_create(variant);
    hot_init();
    refresh_targets();
    Stats st = { 0 };
    const Target *cur = NULL;
    uint64_t offs[4];
    int noffs = 0, left = 0;
    char why[512];
    alarm(WATCHDOG_SECONDS);
    int64_t t0 = clock_host_ns();
    for (long i = 0; i < ops; i++) {
        bool ok = fuzz_step(&cur, offs, &noffs, &left, &st, why, sizeof(why));
        if (ok && (i + 1) % GUARD_CHECK_EVERY == 0)
            ok = guard_check(why, sizeof(why));
        if (!ok) {
            alarm(0);
            printf("FAIL pc_fuzz seed %llu (variant 0x%llx): op %ld: %s\n",
                   (unsigned long long)seed, (unsigned long long)variant, i, why);
            return 1;
        }
    }
    if (!guard_check(why, sizeof(why))) {
        printf("FAIL pc_fuzz seed %llu: at the end: %s\n", (unsigned long long)seed, why);
        return 1;
    }
    /* A reset must disarm whatever the fuzzing armed and restore PCI. */
    fuzz_system_reset();
    if (!run_timers()) {
        printf("FAIL pc_fuzz seed %llu: timer storm after a reset\n", (unsigned long long)seed);
        return 1;
    }
    if (!config_check_reset(why, sizeof(why))) {
        printf("FAIL pc_fuzz seed %llu: final reset: %s\n", (unsigned long long)seed, why);
        return 1;
    }
    if (!disks_check(why, sizeof(why))) {
        printf("FAIL pc_fuzz seed %llu: disk images: %s\n", (unsigned long long)seed, why);
        return 1;
    }
    alarm(0);
    printf("PASS pc_fuzz seed %llu (variant 0x%llx, %s): %ld ops (%ld writes, %ld reads, %ld "
           "config, %ld IDE commands, %ld DMA episodes of which %ld IDE transfers, %ld DMA "
           "writes, %ld renders, %ld resets) over %d ranges, %ld time steps, %ld INTAs, %.2f s\n",
           (unsigned long long)seed, (unsigned long long)variant,
           fz.direct_boot ? "direct boot" : "firmware", ops, st.writes, st.reads, st.configs,
           st.ide_cmds, st.episodes, ide_dma_done, dma_writes, st.renders, st.resets, ntargets,
           st.advances, st.acks, (double)(clock_host_ns() - t0) / 1e9);
    fflush(stdout);
    return 0;
}

/* ---- Directed cases for what the fuzzer found --------------------------------- */

/* For the directed cases: a raw disk as primary master, a CD as primary
 * slave, an empty CD drive and a DVD on the secondary channel, firmware. */
#define VARIANT_PLAIN 0x0400ull

/* The HPET main counter written near 2^64 while halted, then enabled, wraps
 * within nanoseconds. The HPET used to arm a comparator's host timer at
 * "enable instant + (event - counter at enable)", magnitudes that go wrong
 * once the counter wraps: an event the wrapped counter had already passed
 * (comparators 1 and 2 at their reset value ~0) was armed at a past
 * instant, found not due, and re-armed there forever; and a 32-bit one-shot
 * kept its last-seen count above the wrapped counter and re-fired. Now
 * events are distances forward from the last-seen count. */
TEST_CASE(hpet_counter_wrap_no_storm)
{
    AddressSpace *mem = fuzz_pc_create(VARIANT_PLAIN)->m->mem;
    as_st(mem, HPET_BASE + 0xF0, 8, ~0ull - 5);       /* counter 6 ticks before the wrap */
    as_st(mem, HPET_BASE + 0x100, 4, (1u << 8) | (1u << 2) | (2u << 9));   /* 32-bit, int, IOAPIC 2 */
    as_st(mem, HPET_BASE + 0x108, 4, 100);            /* match at 100 after the wrap */
    as_st(mem, HPET_BASE + 0x10, 4, 1);               /* enable */
    advance(20000);                                   /* 2000 ticks: past the wrap and the match */
    CHECK(run_timers());
    CHECK(run_timers());
    uint64_t cnt = as_ld(mem, HPET_BASE + 0xF0, 8);
    CHECK(cnt < 1000000);                             /* wrapped and counting */
    advance(20000);
    CHECK(run_timers());
}

/* Same wrap with a 64-bit comparator just after it: it fires once and the
 * timer does not spin. */
TEST_CASE(hpet_counter_wrap_64bit_comparator)
{
    AddressSpace *mem = fuzz_pc_create(VARIANT_PLAIN)->m->mem;
    as_st(mem, HPET_BASE + 0xF0, 8, ~0ull - 5);
    as_st(mem, HPET_BASE + 0x100, 4, (1u << 1) | (1u << 2) | (20u << 9));   /* level, int, pin 20 */
    as_st(mem, HPET_BASE + 0x108, 8, 50);
    as_st(mem, HPET_BASE + 0x10, 4, 1);
    advance(20000);
    CHECK(run_timers());
    CHECK_EQ(as_ld(mem, HPET_BASE + 0x20, 4) & 1, 1);   /* matched once after the wrap */
    as_st(mem, HPET_BASE + 0x20, 4, 1);
    advance(20000);
    CHECK(run_timers());
    CHECK_EQ(as_ld(mem, HPET_BASE + 0x20, 4) & 1, 0);   /* and not again */
}

/* A 64-bit one-shot serviced long after its match (time advanced in one
 * big step) fires once; an intermediate fix re-armed the passed
 * comparator at its missed instant (seeds 4 and 5, "after time advanced"). */
TEST_CASE(hpet_late_oneshot_no_storm)
{
    AddressSpace *mem = fuzz_pc_create(VARIANT_PLAIN)->m->mem;
    as_st(mem, HPET_BASE + 0x140, 4, (1u << 1) | (1u << 2) | (21u << 9));   /* level, int, pin 21 */
    as_st(mem, HPET_BASE + 0x148, 8, 100);            /* 1 us after enable */
    as_st(mem, HPET_BASE + 0x10, 4, 1);
    advance(50000);
    CHECK(run_timers());
    CHECK_EQ(as_ld(mem, HPET_BASE + 0x20, 4), 4);
    as_st(mem, HPET_BASE + 0x20, 4, 4);
    advance(50000);
    CHECK(run_timers());
    CHECK_EQ(as_ld(mem, HPET_BASE + 0x20, 4), 0);
}

/* Bus-master IDE DMA wrote guest RAM with memcpy through a host pointer,
 * so the RAM-write observer (which makes tcg drop translations of those
 * bytes) never heard of it: a guest that reads code from disk over code it
 * ran before went on running the stale translation. The shadow comparison
 * found it; the DMA now goes through as_write_buf. */
TEST_CASE(ide_dma_reports_ram_writes)
{
    fuzz_pc_create(VARIANT_PLAIN);
    CHECK_EQ(fz.drive[0], IDE_DRIVE_DISK);
    pci_cfg_write(DEVFN_IDE, 0x20, 4, BM_PORT | 1);
    pci_cfg_write(DEVFN_IDE, 0x04, 2, 0x05);
    uint8_t prd[8];
    st_le32(prd, 0x20000);
    st_le16(prd + 4, 1024);
    prd[6] = 0;
    prd[7] = 0x80;
    cpu_write_bytes(0x10000, prd, sizeof(prd));
    outl(BM_PORT + 4, 0x10000);
    outb(0x1F6, 0xE0);
    outb(0x1F2, 2);
    outb(0x1F3, 1);                           /* LBA 1, 2 sectors */
    outb(0x1F4, 0);
    outb(0x1F5, 0);
    outb(0x1F7, 0xC8);                        /* READ DMA */
    long before = dma_writes;
    outb(BM_PORT, 0x09);
    CHECK_EQ(inb(0x1F7) & 0x89, 0);           /* done: neither BSY, DRQ nor ERR */
    CHECK(dma_writes > before);
    char why[256];
    CHECK(guard_check(why, sizeof(why)));
    for (unsigned i = 0; i < 1024; i++) {
        uint64_t off = 512 + i;               /* write_pattern_file's bytes, salt 0 */
        CHECK_EQ(fz.m->ram[0x20000 + i], (uint8_t)(off * 7 + (off >> 9)));
    }
}

/* PCI functions kept their configuration across a system reset: BARs the
 * last OS placed went on decoding (the VGA's framebuffer and MMIO, its ROM)
 * while the firmware started again, and status error bits stayed set. The
 * bus now performs RST#: every function returns to its power-on state. */
TEST_CASE(pci_reset_restores_config)
{
    fuzz_pc_create(VARIANT_PLAIN);
    pci_cfg_write(DEVFN_VGA, 0x10, 4, 0xFD000000);
    pci_cfg_write(DEVFN_VGA, 0x18, 4, 0xFEBF0000);
    pci_cfg_write(DEVFN_VGA, 0x30, 4, 0xFEB00001);
    pci_cfg_write(DEVFN_VGA, 0x04, 2, 0x03);
    pci_cfg_write(DEVFN_VGA, 0x3C, 1, 11);
    CHECK(address_space_lookup(fz.m->mem, 0xFD000000) != NULL);
    CHECK(address_space_lookup(fz.m->mem, 0xFEBF0400) != NULL);
    /* A bus-master abort (PRD table outside RAM) sets the IDE status bit. */
    pci_cfg_write(DEVFN_IDE, 0x20, 4, BM_PORT | 1);
    pci_cfg_write(DEVFN_IDE, 0x04, 2, 0x05);
    pci_cfg_write(DEVFN_IDE, 0x0D, 1, 0x40);
    outl(BM_PORT + 4, 0xFEC00000);
    outb(0x1F6, 0xE0);
    outb(0x1F2, 1);
    outb(0x1F7, 0xC8);
    outb(BM_PORT, 0x09);
    CHECK(pci_cfg_read(DEVFN_IDE, 0x06, 2) & 0x2000);
    pci_cfg_write(DEVFN_HOST, 0x0D, 1, 0x20);
    pci_cfg_write(DEVFN_HOST, 0x72, 1, 0x0A);   /* SMRAM */

    fuzz_system_reset();
    char why[256];
    CHECK(config_check_reset(why, sizeof(why)));
    CHECK(address_space_lookup(fz.m->mem, 0xFD000000) == NULL);
    CHECK(address_space_lookup(fz.m->mem, 0xFEBF0400) == NULL);
    CHECK(address_space_lookup(fz.m->mem, 0xFEB00000) == NULL);
    CHECK(address_space_lookup(fz.m->io, BM_PORT) == NULL);
}

typedef struct DirectedCase {
    const char *name;
    void (*fn)(void);
} DirectedCase;

#define DIRECTED(name) { #name, name }

static const DirectedCase directed[] = {
    DIRECTED(hpet_counter_wrap_no_storm),
    DIRECTED(hpet_counter_wrap_64bit_comparator),
    DIRECTED(hpet_late_oneshot_no_storm),
    DIRECTED(ide_dma_reports_ram_writes),
    DIRECTED(pci_reset_restores_config),
};

static int run_directed(void *arg)
{
    const DirectedCase *c = arg;
    test_case_name_ = c->name;
    test_case_failed_ = 0;
    c->fn();
    if (test_case_failed_ == 0)
        printf("PASS %s\n", c->name);
    return test_case_failed_ > 0;
}

typedef struct SeedArg {
    uint64_t seed;
    long ops;
} SeedArg;

static int run_seed(void *arg)
{
    const SeedArg *s = arg;
    return fuzz_seed(s->seed, s->ops);
}

int main(int argc, char **argv)
{
    uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    long nseeds = argc > 2 ? strtol(argv[2], NULL, 0) : DEFAULT_SEEDS;
    long ops = argc > 3 ? strtol(argv[3], NULL, 0) : DEFAULT_OPS;

    signal(SIGPIPE, SIG_IGN);
    /* Guest errors are formatted (that code runs too) into /dev/null. */
    log_mask = LOG_GUEST_ERRORS | LOG_UNIMP | LOG_INT;
    if (!log_set_file("/dev/null"))
        return 1;
    if (!images_create()) {
        printf("FAIL pc_fuzz: cannot create the disk and firmware images in %s\n", image_path(""));
        return 1;
    }
    int failed = 0;
    for (size_t i = 0; i < sizeof(directed) / sizeof(directed[0]); i++)
        failed |= !run_isolated(directed[i].name, run_directed, (void *)&directed[i]);
    for (long i = 0; i < nseeds; i++) {
        SeedArg s = { first + (uint64_t)i, ops };
        char name[64];
        snprintf(name, sizeof(name), "pc_fuzz seed %llu", (unsigned long long)s.seed);
        failed |= !run_isolated(name, run_seed, &s);
    }
    images_remove();
    if (failed)
        return 1;
    TEST_EXIT();
}
