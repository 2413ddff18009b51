/*
 * Proves that no sequence of guest port/MMIO accesses can crash, hang or
 * corrupt the pc machine's devices: the devices are built as pc_init builds
 * them (hw/pc/pc.c, hw/pc/pc_irq.c) behind a fake accelerator, then seeded
 * random reads and writes of 1/2/4/8 bytes go to every MMIO and port range
 * of the flat views (RAM skipped), biased toward register offsets guests use
 * and toward edge values (0, ~0, small indices, powers of two), interleaved
 * with virtual time advancing, interrupts being taken and EOIed, CPU-side
 * hooks (CR8, IA32_APIC_BASE, IA32_TSC_DEADLINE), serial input and resets.
 * It passes when ASan/UBSan stay silent, no call hangs (SIGALRM watchdog)
 * and no timers_run_expired() call hits its budget: with the clock paused,
 * a 0 return means 1000 callbacks were due at one instant, a timer storm.
 * Directed cases at the end pin each bug the fuzzer found.
 * Usage: pc_fuzz_test [first-seed [seed-count [ops-per-seed]]].
 */
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#include "hw/acpi/pm.h"
#include "hw/char/serial.h"
#include "hw/input/i8042.h"
#include "hw/input/ps2.h"
#include "hw/misc/ioport80.h"
#include "hw/pc/e820.h"
#include "hw/pc/pc_irq.h"
#include "hw/pci/i440fx.h"
#include "hw/timer/hpet.h"
#include "hw/timer/mc146818rtc.h"
#include "mimic/accel.h"
#include "mimic/chardev.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define NCPUS 2
#define RAM_SIZE (32ull << 20)
#define DEFAULT_SEEDS 8
#define DEFAULT_OPS 150000
#define MAX_TARGETS 64
#define MAX_MACHINES 64
#define WATCHDOG_SECONDS 60     /* per seed batch; a batch takes ~1-2 s under ASan */
#define PC_PM_BASE 0x600        /* as hw/pc/pc.c */
#define PC_SCI_IRQ 9

static const uint16_t serial_ports[MACHINE_MAX_SERIAL] = { 0x3F8, 0x2F8, 0x3E8, 0x2E8 };
static const int serial_irqs[MACHINE_MAX_SERIAL] = { 4, 3, 4, 3 };

/* ---- Fake accelerator: what pc_irq needs, with the CPU's inputs recorded -- */

static int intr[NCPUS];
static int cur_cpu;
static const AccelIrqChip *chip;
static long nmis, inits, sipis, deadline_clears;

static bool fake_kernel_irqchip(Machine *m) { (void)m; return false; }
static void fake_connect(Machine *m, const AccelIrqChip *c) { (void)m; chip = c; }
static void fake_intr(Machine *m, int cpu, int level) { (void)m; intr[cpu] = level; }
static void fake_nmi(Machine *m, int cpu) { (void)m; (void)cpu; nmis++; }
static void fake_init(Machine *m, int cpu) { (void)m; (void)cpu; inits++; }
static void fake_sipi(Machine *m, int cpu, uint8_t v) { (void)m; (void)cpu; (void)v; sipis++; }
static int fake_current(Machine *m) { (void)m; return cur_cpu; }
static void fake_deadline_cleared(Machine *m, int cpu) { (void)m; (void)cpu; deadline_clears++; }

static const AccelOps fake_accel = {
    .name = "fake",
    .kernel_irqchip = fake_kernel_irqchip,
    .irqchip_connect = fake_connect,
    .cpu_set_intr = fake_intr,
    .cpu_nmi = fake_nmi,
    .cpu_init = fake_init,
    .cpu_sipi = fake_sipi,
    .cpu_tsc_deadline_cleared = fake_deadline_cleared,
    .current_cpu = fake_current,
};

/* ---- The machine, built the way pc_init builds it --------------------------- */

typedef struct FuzzPc {
    Machine *m;
    PcIrq *irq;
    I8042 *kbd;
    int serial_in;          /* write end of COM1's input pipe */
} FuzzPc;

/* Kept reachable for the leak checker: machines are never freed. */
static FuzzPc machines[MAX_MACHINES];
static int nmachines;
static MachineOptions opts = { .smp = NCPUS, .ram_size = RAM_SIZE };
static const MachineType fuzz_type = { .name = "pc-fuzz" };

static void fuzz_poweroff(void *opaque)
{
    machine_request_poweroff(opaque);
}

/* Mirrors pc_init() (hw/pc/pc.c) minus the kernel: RAM with the VGA hole,
 * the interrupt wiring, the chipset, port 0x80, RTC, i8042, COM1-4 and the
 * ACPI PM block. Keep it in step when pc_init gains a device. */
static FuzzPc *fuzz_pc_create(void)
{
    if (nmachines == MAX_MACHINES)
        return NULL;
    FuzzPc *f = &machines[nmachines++];
    for (int i = 0; i < NCPUS; i++)
        intr[i] = 0;
    chip = NULL;
    Machine *m = machine_create(&fuzz_type, &opts);
    m->accel = &fake_accel;
    f->m = m;

    uint64_t low = pc_lowmem_size(RAM_SIZE);
    uint8_t *ram = machine_alloc_ram(m, RAM_SIZE);
    as_map_ram(m->mem, "ram-low", 0, PC_LOWRAM_END, ram);
    as_map_ram(m->mem, "ram-below-4g", 0xC0000, low - 0xC0000, ram + 0xC0000);

    /* COM1 takes input from a pipe (delivered by the main loop) and writes
     * to /dev/null through the chardev's buffering; one backend serves
     * every machine in turn (chardevs are a process-wide few). COM2-4 are
     * UARTs with nothing on the line. */
    static Chardev *com1;
    static int com1_in = -1;
    if (!com1) {
        int fds[2];
        if (pipe(fds) < 0)
            return NULL;
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        fcntl(fds[1], F_SETFL, O_NONBLOCK);
        com1_in = fds[1];
        com1 = chardev_new_fd(fds[0], open("/dev/null", O_WRONLY), false);
    }
    f->serial_in = com1_in;
    m->serial[0] = com1;

    f->irq = pc_irq_create(m);
    i440fx_create(m);
    port80_create(m);
    Rtc *rtc = rtc_create(m, pc_irq_rtc_line(f->irq));
    rtc_set_memory_size(rtc, low, pc_highmem_size(RAM_SIZE), m->ncpus);
    f->kbd = i8042_create(m, m->gsi[1], m->gsi[12]);
    for (int i = 0; i < MACHINE_MAX_SERIAL; i++)
        serial_create(m, serial_ports[i], m->gsi[serial_irqs[i]], m->serial[i]);
    AcpiPm *pm = acpi_pm_create(m->io, PC_PM_BASE, m->gsi[PC_SCI_IRQ], fuzz_poweroff, m);
    machine_add_reset(m, (void (*)(void *))acpi_pm_reset, pm);
    return f;
}

/* Reset every machine built so far: a reset disarms the devices' timers,
 * so nothing of an earlier case (even a failed one) fires into the next. */
static void fuzz_quiesce_all(void)
{
    for (int i = 0; i < nmachines; i++)
        machine_reset_devices(machines[i].m);
}

/* What the main loop does with a device's request (system/main.c run()). */
static void fuzz_handle_request(Machine *m)
{
    int req = m->request;
    m->request = REQUEST_NONE;
    if (req == REQUEST_RESET)
        machine_reset_devices(m);
}

/* ---- Random numbers and the things worth trying --------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: fixed sequences per seed, no libc state. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }
static bool chance(unsigned percent) { return rnd_below(100) < percent; }

static uint64_t interesting_value(void)
{
    static const uint64_t fixed[] = {
        0x80, 0x7F, 0xFF, 0x100, 0xFFFF, 0x8000, 0x10000, 0x7FFFFFFF, 0x80000000,
        0xFFFFFFFF, 0x100000000ull, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull,
        0xFFFFFFFF00000000ull, 0xFEE00000, 0xFEC00000, 0xFED00000, 0xAA, 0x55, 0xFE, 0xF0,
    };
    switch (rnd_below(12)) {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return rnd_below(64);                        /* indices, small counts */
    case 3: return 1ull << rnd_below(64);
    case 4: return (1ull << rnd_below(64)) - 1;
    case 5: return ~0ull << rnd_below(64);
    case 6: return fixed[rnd_below(sizeof(fixed) / sizeof(fixed[0]))];
    case 7: return 0x10 + rnd_below(2 * 24 + 8);         /* IOAPIC IOREGSEL around the RTEs */
    case 8: return rnd() & 0xFF;
    case 9: return rnd() & 0xFFFF;
    case 10: return ~0ull - rnd_below(256);              /* just below a wrap */
    default: return rnd();
    }
}

/* Register offsets guests actually use, so that index/data pairs and
 * enable sequences happen often (a fuzzer dictionary). */
static const struct { uint64_t base; uint16_t off[24]; int n; } dictionary[] = {
    { PC_LAPIC_BASE, { 0x20, 0x80, 0xB0, 0xD0, 0xE0, 0xF0, 0x280, 0x300, 0x310, 0x320, 0x330,
                       0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3E0, 0x100, 0x200 }, 20 },
    { PC_IOAPIC_BASE, { 0x00, 0x10, 0x40, 0x00, 0x10 }, 5 },
    { HPET_BASE, { 0x000, 0x010, 0x020, 0x0F0, 0x0F4, 0x100, 0x108, 0x10C, 0x120, 0x128,
                   0x140, 0x148, 0x104, 0x024 }, 14 },
};

typedef struct Target {
    AddressSpace *as;
    uint64_t start, end;
    const char *name;
} Target;

static Target targets[MAX_TARGETS];
static int ntargets;

static void collect_targets(AddressSpace *as)
{
    size_t n;
    const FlatRange *fr = address_space_flat(as, &n);
    for (size_t i = 0; i < n && ntargets < MAX_TARGETS; i++) {
        if (fr[i].mr->kind != MR_MMIO)
            continue;
        targets[ntargets++] = (Target){ as, fr[i].start, fr[i].end, fr[i].mr->name };
    }
}

static uint64_t pick_offset(const Target *t)
{
    uint64_t size = t->end - t->start;
    uint64_t regs = size < 0x400 ? size : 0x400;
    unsigned r = rnd_below(100);
    if (r < 30) {
        for (size_t i = 0; i < sizeof(dictionary) / sizeof(dictionary[0]); i++)
            if (dictionary[i].base == t->start)
                return dictionary[i].off[rnd_below((unsigned)dictionary[i].n)] +
                       (chance(10) ? rnd_below(8) : 0);
    }
    if (r < 55)
        return (rnd() % regs) & ~15ull;
    if (r < 70)
        return (rnd() % regs) & ~3ull;
    if (r < 85)
        return rnd() % size;
    if (r < 92)
        return rnd_below(8) % size;
    return size - 1 - rnd_below(8) % size;    /* at the end: accesses straddle out */
}

/* ---- Time and timers ------------------------------------------------------- */

static void host_sleep_ns(long ns)
{
    struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
    nanosleep(&ts, NULL);
}

/* Let virtual time run (timers not serviced), then freeze it again. Short
 * steps spin: a sleep costs the host's timer slack (~50 us) every time. */
static void advance(long ns)
{
    clock_virtual_resume();
    if (ns < 200000) {
        int64_t end = clock_host_ns() + ns;
        while (clock_host_ns() < end)
            ;
    } else {
        host_sleep_ns(ns);
    }
    clock_virtual_pause();
}

/* With the clock paused, timers_run_expired() stops early only when the
 * next timer lies in the future; 0 means its 1000-callback budget ran out
 * with timers still due at this very instant: a storm. */
static bool run_timers(void)
{
    return timers_run_expired() != 0;
}

/* ---- The fuzz loop ---------------------------------------------------------- */

typedef struct Stats {
    long reads, writes, advances, acks, storms;
} Stats;

static const char *storm_where;

/* One random guest-visible action. Returns false on a timer storm. */
static bool fuzz_step(FuzzPc *f, const Target **cur, uint64_t *offs, int *noffs, int *left,
                      Stats *st)
{
    Machine *m = f->m;
    unsigned r = rnd_below(1000);
    cur_cpu = chance(3) ? -1 : (int)rnd_below(NCPUS);

    if (r < 820) {
        /* Accesses come in runs at one device and a few offsets, so that
         * index/data pairs and multi-step programming happen. */
        if (!*cur || *left <= 0) {
            *cur = &targets[rnd_below((unsigned)ntargets)];
            *left = 1 + (int)rnd_below(24);
            *noffs = 1 + (int)rnd_below(4);
            for (int i = 0; i < *noffs; i++)
                offs[i] = pick_offset(*cur);
        }
        (*left)--;
        const Target *t = *cur;
        uint64_t off = chance(80) ? offs[rnd_below((unsigned)*noffs)] : pick_offset(t);
        unsigned size = 1u << rnd_below(4);
        if (chance(60)) {
            as_st(t->as, t->start + off, size, interesting_value());
            st->writes++;
        } else {
            (void)as_ld(t->as, t->start + off, size);
            st->reads++;
        }
        storm_where = t->name;
    } else if (r < 880) {
        /* Virtual time moves: mostly a little, sometimes milliseconds. */
        long ns = chance(99) ? 100 + (long)rnd_below(chance(50) ? 2000 : 60000)
                             : 1000000 + (long)rnd_below(4000000);
        advance(ns);
        st->advances++;
        storm_where = "after time advanced";
    } else if (r < 930) {
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
            as_st(m->io, chance(50) ? 0x20 : 0xA0, 1, 0x20);   /* 8259 non-specific EOI */
        storm_where = "interrupt acknowledge";
    } else if (r < 950) {
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
    } else if (r < 965) {
        /* Bytes arrive on COM1's line; the main loop hands them over. */
        uint8_t buf[32];
        size_t n = 1 + rnd_below(sizeof(buf));
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rnd();
        ssize_t w = write(f->serial_in, buf, n);
        (void)w;
        mainloop_iterate(0);
        storm_where = "serial input";
    } else if (r < 980) {
        /* Host input for the PS/2 devices (keys, motion, buttons). */
        if (chance(50))
            ps2_keyboard_key_event(i8042_keyboard(f->kbd), (int)(rnd() & 0x1FF), chance(50));
        else
            ps2_mouse_event(i8042_mouse(f->kbd), (int)interesting_value(), (int)interesting_value(),
                            (int)rnd_below(16) - 8, (unsigned)rnd());
        storm_where = "PS/2 input";
    } else if (r < 998) {
        /* An interrupt line of the board moves (devices drive these). */
        irq_set(m->gsi[rnd_below(MACHINE_MAX_GSI)], (int)rnd_below(2));
        storm_where = "GSI level change";
    } else {
        machine_reset_devices(m);
        storm_where = "system reset";
    }
    if (m->request)
        fuzz_handle_request(m);
    if (!run_timers()) {
        st->storms++;
        return false;
    }
    return true;
}

static void on_watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL pc_fuzz: watchdog: a device access or timer hung\n";
    ssize_t w = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    _exit(1);
}

static int fuzz_seed(uint64_t seed, long ops)
{
    FuzzPc *f = fuzz_pc_create();
    if (!f) {
        printf("FAIL pc_fuzz seed %llu: cannot build the machine (at most %d per run: "
               "run more seeds in batches)\n", (unsigned long long)seed, MAX_MACHINES);
        return 1;
    }
    ntargets = 0;
    collect_targets(f->m->io);
    collect_targets(f->m->mem);
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    Stats st = { 0 };
    const Target *cur = NULL;
    uint64_t offs[4];
    int noffs = 0, left = 0;
    alarm(WATCHDOG_SECONDS);
    int64_t t0 = clock_host_ns();
    for (long i = 0; i < ops; i++) {
        if (!fuzz_step(f, &cur, offs, &noffs, &left, &st)) {
            alarm(0);
            printf("FAIL pc_fuzz seed %llu: timer storm at op %ld (%s): 1000 timer callbacks "
                   "due at one instant\n", (unsigned long long)seed, i, storm_where);
            return 1;
        }
    }
    /* A reset must disarm whatever the fuzzing armed. */
    machine_reset_devices(f->m);
    if (!run_timers()) {
        printf("FAIL pc_fuzz seed %llu: timer storm after a reset\n", (unsigned long long)seed);
        return 1;
    }
    alarm(0);
    printf("PASS pc_fuzz seed %llu: %ld ops (%ld writes, %ld reads) over %d ranges, %ld time "
           "steps, %ld INTAs, %.2f s\n", (unsigned long long)seed, ops, st.writes, st.reads,
           ntargets, st.advances, st.acks, (double)(clock_host_ns() - t0) / 1e9);
    fflush(stdout);
    return 0;
}

/* ---- Directed cases for what the fuzzer found --------------------------------- */

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
    FuzzPc *f = fuzz_pc_create();
    if (!f)
        SKIP("no machine");
    AddressSpace *mem = f->m->mem;
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
    FuzzPc *f = fuzz_pc_create();
    if (!f)
        SKIP("no machine");
    AddressSpace *mem = f->m->mem;
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
    FuzzPc *f = fuzz_pc_create();
    if (!f)
        SKIP("no machine");
    AddressSpace *mem = f->m->mem;
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

int main(int argc, char **argv)
{
    uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    long nseeds = argc > 2 ? strtol(argv[2], NULL, 0) : DEFAULT_SEEDS;
    long ops = argc > 3 ? strtol(argv[3], NULL, 0) : DEFAULT_OPS;

    signal(SIGALRM, on_watchdog);
    signal(SIGPIPE, SIG_IGN);
    /* Guest errors are formatted (that code runs too) into /dev/null. */
    log_mask = LOG_GUEST_ERRORS | LOG_UNIMP | LOG_INT;
    if (!log_set_file("/dev/null"))
        return 1;
    clock_virtual_ns();
    clock_virtual_pause();
    mainloop_init();
    machine_lock();

    RUN(hpet_counter_wrap_no_storm);
    fuzz_quiesce_all();
    RUN(hpet_counter_wrap_64bit_comparator);
    fuzz_quiesce_all();
    RUN(hpet_late_oneshot_no_storm);
    fuzz_quiesce_all();
    int failed = 0;
    for (long i = 0; i < nseeds; i++) {
        failed |= fuzz_seed(first + (uint64_t)i, ops);
        fuzz_quiesce_all();
    }
    machine_unlock();
    if (failed)
        return 1;
    TEST_EXIT();
}
