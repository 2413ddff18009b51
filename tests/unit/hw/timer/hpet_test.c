/*
 * HPET at 0xFED00000 driven through 32- and 64-bit MMIO, checked against
 * the IA-PC HPET specification 1.0a: capabilities, the 100 MHz main
 * counter (exact with clock_virtual_pause), halting and writing it,
 * one-shot and periodic comparators, level status W1C, route capability,
 * legacy replacement routing, the 32-bit mode wrap interrupt, and that
 * no programming (counter wrap, late service, random writes) makes a
 * timer re-arm itself in the past.
 */
#include <time.h>

#include "test.h"

#include "hw/timer/hpet.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define LEGACY0 100
#define LEGACY8 108
#define NLINES 128

static Machine *m;
static int level[NLINES], rises[NLINES];
static int legacy_calls, legacy_on;

static void line_handler(void *o, int n, int lvl)
{
    (void)o;
    if (lvl && !level[n])
        rises[n]++;
    level[n] = lvl;
}

static void legacy_cb(void *o, bool on)
{
    (void)o;
    legacy_calls++;
    legacy_on = on;
}

static uint64_t rd64(unsigned off) { return as_ld(m->mem, HPET_BASE + off, 8); }
static uint32_t rd32(unsigned off) { return (uint32_t)as_ld(m->mem, HPET_BASE + off, 4); }
static void wr64(unsigned off, uint64_t v) { as_st(m->mem, HPET_BASE + off, 8, v); }
static void wr32(unsigned off, uint32_t v) { as_st(m->mem, HPET_BASE + off, 4, v); }
static unsigned tconf(int n) { return 0x100 + 0x20 * (unsigned)n; }
static unsigned tcmp(int n) { return 0x108 + 0x20 * (unsigned)n; }

#define CNF_ENABLE 1u
#define CNF_LEGACY 2u
#define TN_LEVEL (1u << 1)
#define TN_ENB (1u << 2)
#define TN_PERIODIC (1u << 3)
#define TN_VAL_SET (1u << 6)
#define TN_32BIT (1u << 8)
#define TN_ROUTE(k) ((unsigned)(k) << 9)

static void host_sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

static void advance_us(long us)
{
    clock_virtual_resume();
    host_sleep_us(us);
    clock_virtual_pause();
}

static void setup(void)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1 };
    clock_virtual_pause();
    if (!m) {
        m = machine_create(&type, &opts);
        HpetWiring w = { .legacy_changed = legacy_cb };
        for (int k = 0; k < HPET_ROUTE_LINES; k++)
            w.route[k] = irq_line_new(line_handler, NULL, k);
        w.legacy_irq0 = irq_line_new(line_handler, NULL, LEGACY0);
        w.legacy_irq8 = irq_line_new(line_handler, NULL, LEGACY8);
        hpet_create(m, &w);
    }
    machine_reset_devices(m);
    for (int i = 0; i < NLINES; i++)
        level[i] = rises[i] = 0;
    legacy_calls = legacy_on = 0;
}

TEST_CASE(capabilities_and_reset)
{
    setup();
    CHECK_EQ(rd32(0x000), 0x8086A201);     /* = ACPI_HPET_DEFAULT_BLOCK_ID */
    CHECK_EQ(rd32(0x004), 10000000);       /* 10 ns in fs: 100 MHz */
    CHECK_EQ(rd64(0x000), 0x009896808086A201ull);
    CHECK_EQ(rd64(0x010), 0);
    CHECK_EQ(rd64(0x020), 0);
    CHECK_EQ(rd64(0x0F0), 0);
    for (int n = 0; n < HPET_NUM_TIMERS; n++) {
        /* periodic- and 64-bit-capable, routable to inputs 2, 8, 20-23 */
        CHECK_EQ(rd64(tconf(n)), 0x00F0010400000030ull);
        CHECK_EQ(rd64(tcmp(n)), ~0ull);
    }
    wr64(0x000, 0);                        /* read-only */
    CHECK_EQ(rd32(0x000), 0x8086A201);
}

TEST_CASE(counter_rate_halt_and_write)
{
    setup();
    int64_t t0 = clock_virtual_ns();
    wr32(0x010, CNF_ENABLE);
    CHECK_EQ(rd64(0x0F0), 0);
    advance_us(1000);
    uint64_t expect = (uint64_t)(clock_virtual_ns() - t0) / 10;
    CHECK(expect > 50000);
    CHECK_EQ(rd64(0x0F0), expect);
    CHECK_EQ(rd32(0x0F0), (uint32_t)expect);
    wr32(0x010, 0);                        /* halt */
    advance_us(200);
    CHECK_EQ(rd64(0x0F0), expect);
    wr64(0x0F0, 0x123456789ABCDEF0ull);
    CHECK_EQ(rd64(0x0F0), 0x123456789ABCDEF0ull);
    wr32(0x0F4, 0x00000001);               /* high half only */
    CHECK_EQ(rd64(0x0F0), 0x000000019ABCDEF0ull);
    t0 = clock_virtual_ns();
    wr32(0x010, CNF_ENABLE);
    advance_us(300);
    CHECK_EQ(rd64(0x0F0), 0x000000019ABCDEF0ull + (uint64_t)(clock_virtual_ns() - t0) / 10);
}

TEST_CASE(oneshot_edge_interrupt)
{
    setup();
    wr64(tconf(2), TN_ENB | TN_ROUTE(20));
    wr64(tcmp(2), 200000);                 /* 2 ms after start */
    CHECK_EQ(rd64(tcmp(2)), 200000);
    wr32(0x010, CNF_ENABLE);
    advance_us(100);
    timers_run_expired();
    if (rd64(0x0F0) >= 200000)
        SKIP("host stalled past the comparator");
    CHECK_EQ(rises[20], 0);
    advance_us(2500);
    timers_run_expired();
    CHECK_EQ(rises[20], 1);
    CHECK_EQ(level[20], 0);                /* an edge pulse */
    CHECK_EQ(rd64(0x020), 0);              /* no status bit for edge */
    advance_us(1000);
    timers_run_expired();
    CHECK_EQ(rises[20], 1);                /* 64-bit one-shot: once */
}

TEST_CASE(level_status_w1c)
{
    setup();
    wr64(tconf(1), TN_LEVEL | TN_ENB | TN_ROUTE(21));
    wr64(tcmp(1), 10000);                  /* 100 us */
    wr32(0x010, CNF_ENABLE);
    advance_us(300);
    timers_run_expired();
    CHECK_EQ(rd64(0x020), 0x2);
    CHECK_EQ(level[21], 1);
    wr64(0x020, 0x1);                      /* other bit: nothing */
    CHECK_EQ(rd64(0x020), 0x2);
    wr64(0x020, 0x2);                      /* write 1 to clear */
    CHECK_EQ(rd64(0x020), 0);
    CHECK_EQ(level[21], 0);
    /* Interrupts disabled: the status bit is still set (spec 2.3.8). */
    wr64(tconf(1), TN_LEVEL | TN_ROUTE(21));
    wr64(tcmp(1), rd64(0x0F0) + 10000);
    advance_us(300);
    CHECK_EQ(rd64(0x020), 0x2);            /* read catches up on its own */
    CHECK_EQ(level[21], 0);
    wr64(tconf(1), TN_LEVEL | TN_ENB | TN_ROUTE(21));
    CHECK_EQ(level[21], 1);                /* enabling asserts the pending level */
    wr32(0x010, 0);
    CHECK_EQ(level[21], 0);                /* halting disables all interrupts */
    CHECK_EQ(rd64(0x020), 0x2);
}

TEST_CASE(periodic_mode)
{
    setup();
    /* Linux's sequence: halted, periodic + value-set + 32-bit mode (32-bit
     * writes to a 64-bit comparator leave its all-ones upper half), the
     * accumulator, then the period. */
    wr32(tconf(0), TN_ENB | TN_PERIODIC | TN_VAL_SET | TN_32BIT | TN_ROUTE(22));
    wr32(tcmp(0), 100000);                 /* first match at 1 ms */
    wr32(tcmp(0), 100000);                 /* period 1 ms */
    CHECK_EQ(rd64(tconf(0)) & TN_VAL_SET, 0);   /* value-set clears itself */
    CHECK_EQ(rd64(tcmp(0)), 100000);
    wr32(0x010, CNF_ENABLE);
    int n = 0;
    int64_t start = clock_virtual_ns(), end = start + 20 * 1000000, last = start, merged = 0;
    clock_virtual_resume();
    while (clock_virtual_ns() < end) {
        timers_run_expired();
        int64_t now = clock_virtual_ns();
        merged += (now - last) / 1000000;
        last = now;
        host_sleep_us(50);
    }
    clock_virtual_pause();
    merged += (clock_virtual_ns() - last) / 1000000;
    n = rises[22];
    CHECK(n <= 21);
    CHECK(n >= 19 - merged);
    /* The accumulator holds the next match: a multiple of the period
     * above the counter. */
    uint64_t cmp = rd64(tcmp(0)), cnt = rd64(0x0F0);
    CHECK(cmp > cnt && cmp <= cnt + 100000);
    CHECK_EQ(cmp % 100000, 0);
}

TEST_CASE(route_capability)
{
    setup();
    wr64(tconf(2), TN_ROUTE(21));
    CHECK_EQ((rd64(tconf(2)) >> 9) & 31, 21);
    wr64(tconf(2), TN_ROUTE(5));           /* not in Tn_INT_ROUTE_CAP */
    CHECK_EQ((rd64(tconf(2)) >> 9) & 31, 21);
    wr64(tconf(2), TN_ROUTE(8));
    CHECK_EQ((rd64(tconf(2)) >> 9) & 31, 8);
}

TEST_CASE(legacy_replacement)
{
    setup();
    wr32(0x010, CNF_LEGACY);
    CHECK_EQ(legacy_calls, 1);
    CHECK_EQ(legacy_on, 1);                /* the machine cuts PIT IRQ0 / RTC IRQ8 */
    CHECK_EQ(rd32(0x010), CNF_LEGACY);
    wr64(tconf(0), TN_ENB | TN_ROUTE(20));  /* route ignored in legacy mode */
    wr64(tconf(1), TN_ENB | TN_ROUTE(21));
    wr64(tconf(2), TN_ENB | TN_ROUTE(22));
    wr64(tcmp(0), 10000);
    wr64(tcmp(1), 20000);
    wr64(tcmp(2), 30000);
    wr32(0x010, CNF_LEGACY | CNF_ENABLE);
    advance_us(500);
    timers_run_expired();
    CHECK_EQ(rises[LEGACY0], 1);           /* timer 0 -> IRQ0 */
    CHECK_EQ(rises[LEGACY8], 1);           /* timer 1 -> IRQ8 */
    CHECK_EQ(rises[20] + rises[21], 0);
    CHECK_EQ(rises[22], 1);                /* timer 2 keeps its route */
    wr32(0x010, CNF_ENABLE);
    CHECK_EQ(legacy_calls, 2);
    CHECK_EQ(legacy_on, 0);
    wr64(tcmp(0), rd64(0x0F0) + 10000);
    advance_us(500);
    timers_run_expired();
    CHECK_EQ(rises[20], 1);                /* back on its IOAPIC route */
    CHECK_EQ(rises[LEGACY0], 1);
    wr32(0x010, CNF_LEGACY);
    machine_reset_devices(m);              /* reset leaves legacy mode */
    CHECK_EQ(legacy_on, 0);
}

/* 32-bit mode: the comparator matches the low 32 bits, and a one-shot
 * also fires when those wrap (spec 2.3.9.2.1). Level mode and a paused
 * clock make every check exact: the status bit says whether the event's
 * counter value has been reached. */
TEST_CASE(mode32_wrap_and_match)
{
    setup();
    wr64(0x0F0, 0x1FFFF0000ull);           /* 65536 ticks (655 us) before a 32-bit wrap */
    wr64(tconf(1), TN_LEVEL | TN_ENB | TN_32BIT | TN_ROUTE(23));
    wr64(tcmp(1), 0x100010000ull);         /* upper half dropped in 32-bit mode */
    CHECK_EQ(rd64(tcmp(1)), 0x10000);
    wr64(tconf(2), TN_LEVEL | TN_ENB | TN_ROUTE(20));
    wr64(tcmp(2), 0x10000);                /* 64-bit: already behind, never matches */
    wr32(0x010, CNF_ENABLE);
    const uint64_t events[2] = { 0x200000000ull, 0x200010000ull };   /* wrap, then match */
    int next = 0;
    for (int i = 0; i < 200 && next < 2; i++) {
        advance_us(100);
        uint64_t cnt = rd64(0x0F0);
        uint64_t sts = rd64(0x020);
        CHECK_EQ(sts & 4, 0);
        bool due = cnt >= events[next];
        if (next == 0 && cnt >= events[1])
            SKIP("host stalled past both events");
        CHECK_EQ(sts & 2, due ? 2 : 0);
        CHECK_EQ(level[23], due);
        if (due) {
            wr64(0x020, 2);
            next++;
        }
    }
    CHECK_EQ(next, 2);
    advance_us(500);
    CHECK_EQ(rd64(0x020), 0);              /* nothing until the next wrap */
}

/* With the clock paused, timers_run_expired() returns 0 only when its
 * callback budget ran out with timers still due at this instant: a timer
 * that re-arms itself in the past (a storm). */
static bool timers_settle(void)
{
    return timers_run_expired() != 0;
}

/* A 64-bit one-shot serviced long after its match (the host was busy):
 * one interrupt, then the comparator lies behind the counter and the
 * timer stays quiet, instead of being re-armed at the missed instant. */
TEST_CASE(late_oneshot_fires_once)
{
    setup();
    wr64(tconf(2), TN_LEVEL | TN_ENB | TN_ROUTE(20));
    wr64(tcmp(2), 1000);                   /* 10 us */
    wr32(0x010, CNF_ENABLE);
    advance_us(300);                       /* serviced 290+ us late */
    CHECK(timers_settle());
    CHECK_EQ(rd64(0x020), 0x4);
    CHECK_EQ(level[20], 1);
    wr64(0x020, 0x4);
    advance_us(300);
    CHECK(timers_settle());
    CHECK_EQ(rd64(0x020), 0);
    CHECK_EQ(rises[20], 1);
}

/* The main counter written just below 2^64 wraps to 0 (spec: the counter
 * is a free-running 64-bit up-counter). A comparator at its reset value
 * (all ones) matches once just before the wrap, one at 500 once after it;
 * neither is due again nor armed at a past instant once the counter
 * is small again. */
TEST_CASE(counter_wrap_64bit_comparators)
{
    setup();
    wr64(0x0F0, ~0ull - 999);              /* 1000 ticks (10 us) before the wrap */
    wr64(tconf(1), TN_LEVEL | TN_ENB | TN_ROUTE(21));   /* comparator left at ~0 */
    wr64(tconf(2), TN_LEVEL | TN_ENB | TN_ROUTE(20));
    wr64(tcmp(2), 500);
    wr32(0x010, CNF_ENABLE);
    advance_us(300);
    CHECK(timers_settle());
    uint64_t cnt = rd64(0x0F0);
    CHECK(cnt > 500 && cnt < 1000000);     /* wrapped, past the second match */
    CHECK_EQ(rd64(0x020), 0x6);
    wr64(0x020, 0x6);
    advance_us(300);
    CHECK(timers_settle());
    CHECK_EQ(rd64(0x020), 0);
    CHECK_EQ(rises[20], 1);
    CHECK_EQ(rises[21], 1);
}

/* 32-bit one-shot across the 64-bit wrap (which is also a 32-bit wrap):
 * the wrap and the match at 500 both passed before the callback ran, so
 * they merge into one interrupt, and the next event is 2^32 ticks away. */
TEST_CASE(counter_wrap_32bit_oneshot)
{
    setup();
    wr64(0x0F0, ~0ull - 999);
    wr64(tconf(0), TN_LEVEL | TN_ENB | TN_32BIT | TN_ROUTE(22));
    wr32(tcmp(0), 500);
    wr32(0x010, CNF_ENABLE);
    advance_us(300);
    CHECK(timers_settle());
    CHECK_EQ(rd64(0x020), 0x1);
    wr64(0x020, 0x1);
    advance_us(300);
    CHECK(timers_settle());
    CHECK_EQ(rd64(0x020), 0);
    CHECK_EQ(rises[22], 1);
}

/* Dense random programming of the HPET alone (seeded): no register write
 * sequence may leave a timer armed at a past instant. */
TEST_CASE(random_programming_never_storms)
{
    static const uint64_t values[] = {
        0, 1, 2, 999, 1000, 0xFFFFFFFF, 0x100000000ull, ~0ull, ~0ull - 1, ~0ull - 1000,
        0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, 0xFFFFFFFF00000000ull,
    };
    static const unsigned regs[] = { 0x010, 0x020, 0x0F0, 0x0F4, 0x100, 0x104, 0x108, 0x10C,
                                     0x120, 0x128, 0x12C, 0x140, 0x148, 0x14C };
    setup();
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        uint64_t r = x * 0x2545F4914F6CDD1Dull;
        unsigned reg = regs[(r >> 8) % (sizeof(regs) / sizeof(regs[0]))];
        uint64_t v = (r >> 20) & 1 ? values[(r >> 24) % (sizeof(values) / sizeof(values[0]))]
                                   : (r & 0x80 ? r >> 33 : (r >> 40) | CNF_ENABLE);
        if ((r & 15) == 0) {
            clock_virtual_resume();        /* a spin: nanosleep would take 50+ us */
            for (int64_t end = clock_host_ns() + (int64_t)(r >> 44) % 30000; clock_host_ns() < end;)
                ;
            clock_virtual_pause();
        } else if ((r & 15) < 4) {
            (void)rd64(reg & ~7u);
        } else if ((r >> 4) & 1) {
            wr64(reg & ~7u, v);
        } else {
            wr32(reg, (uint32_t)v);
        }
        if (!timers_settle()) {
            printf("  storm after op %d (reg 0x%x)\n", i, reg);
            CHECK(false);
        }
    }
}

int main(void)
{
    RUN(capabilities_and_reset);
    RUN(counter_rate_halt_and_write);
    RUN(oneshot_edge_interrupt);
    RUN(level_status_w1c);
    RUN(periodic_mode);
    RUN(route_capability);
    RUN(legacy_replacement);
    RUN(mode32_wrap_and_match);
    RUN(late_oneshot_fires_once);
    RUN(counter_wrap_64bit_comparators);
    RUN(counter_wrap_32bit_oneshot);
    RUN(random_programming_never_storms);
    TEST_EXIT();
}
