/*
 * Proves the ACPI PM block behaves as ACPI 6.4 section 4.8.3 says when a
 * guest pokes it through the I/O address space: S5 power-off via SLP_EN,
 * the 24-bit 3.579545 MHz timer and its TMR_STS, write-1-to-clear status,
 * and the SCI level. Virtual time is a fake (host time plus a skew the
 * test can jump) so wrap-around and bit-23 events need no long sleeps.
 */
#include <time.h>
#include <unistd.h>

#include "hw/acpi/pm.h"
#include "mimic/timer.h"
#include "test.h"

#define PM_BASE 0xB000
#define PM1_STS (PM_BASE + 0)
#define PM1_EN  (PM_BASE + 2)
#define PM1_CNT (PM_BASE + 4)
#define PM_TMR  (PM_BASE + 8)
#define GPE0_STS (PM_BASE + 0x20)
#define GPE0_EN  (PM_BASE + 0x22)
#define TIMER_HZ 3579545ull

/* --- fake virtual clock and timers (instead of system/timer.c) ---------- */

static int64_t fake_skew;

int64_t clock_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_realtime_ns(void)
{
    return clock_host_ns();
}

int64_t clock_virtual_ns(void)
{
    static int64_t start = -1;
    if (start < 0)
        start = clock_host_ns();
    return clock_host_ns() - start + fake_skew;
}

void clock_virtual_pause(void) {}
void clock_virtual_resume(void) {}

#define FAKE_TIMERS 8
struct Timer {
    TimerCallback cb;
    void *opaque;
    int64_t expire;
    bool pending;
};
static Timer *fake_timers[FAKE_TIMERS];

Timer *timer_new(TimerCallback cb, void *opaque)
{
    for (int i = 0; i < FAKE_TIMERS; i++) {
        if (!fake_timers[i]) {
            Timer *t = calloc(1, sizeof(*t));
            t->cb = cb;
            t->opaque = opaque;
            fake_timers[i] = t;
            return t;
        }
    }
    abort();
}

void timer_free(Timer *t)
{
    for (int i = 0; i < FAKE_TIMERS; i++) {
        if (fake_timers[i] == t)
            fake_timers[i] = NULL;
    }
    free(t);
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    t->expire = expire_ns;
    t->pending = true;
}

void timer_del(Timer *t)
{
    t->pending = false;
}

bool timer_pending(const Timer *t)
{
    return t->pending;
}

int64_t timer_expire_time(const Timer *t)
{
    return t->pending ? t->expire : -1;
}

int64_t timers_run_expired(void)
{
    int64_t now = clock_virtual_ns();
    for (int i = 0; i < FAKE_TIMERS; i++) {
        Timer *t = fake_timers[i];
        if (t && t->pending && t->expire <= now) {
            t->pending = false;
            t->cb(t->opaque);
        }
    }
    return -1;
}

/* Move virtual time so that it reads `ns` now. */
static void clock_set(int64_t ns)
{
    fake_skew += ns - clock_virtual_ns();
}

/* Expected counter from the spec: ticks = ns * 3.579545 MHz, 24 bits. */
static uint64_t ticks_at(int64_t ns)
{
    return (uint64_t)(((unsigned __int128)ns * TIMER_HZ) / 1000000000u);
}

/* First ns at which the counter reaches `ticks`. */
static int64_t ns_at(uint64_t ticks)
{
    return (int64_t)(((unsigned __int128)ticks * 1000000000u + TIMER_HZ - 1) / TIMER_HZ);
}

/* --- fixture ------------------------------------------------------------ */

static struct { int level, raises, lowers; } sci;
static int poweroffs;

static void sci_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !sci.level)
        sci.raises++;
    if (!level && sci.level)
        sci.lowers++;
    sci.level = level;
}

static void poweroff_cb(void *opaque)
{
    (*(int *)opaque)++;
}

static IrqLine sci_line = { sci_handler, NULL, 9 };
static AddressSpace *io;
static AcpiPm *pm;

static void setup(void)
{
    memset(&sci, 0, sizeof(sci));
    poweroffs = 0;
    fake_skew = 0;
    io = address_space_new("io");
    pm = acpi_pm_create(io, PM_BASE, &sci_line, poweroff_cb, &poweroffs);
}

static void teardown(void)
{
    acpi_pm_free(pm);
    address_space_free(io);
    pm = NULL;
    io = NULL;
}

static uint64_t inw(uint16_t port) { return as_ld(io, port, 2); }
static uint64_t inl(uint16_t port) { return as_ld(io, port, 4); }
static void outw(uint16_t port, uint16_t v) { as_st(io, port, 2, v); }
static void outb(uint16_t port, uint8_t v) { as_st(io, port, 1, v); }

#define RUN_PM(name) do { setup(); RUN(name); teardown(); } while (0)

/* --- cases -------------------------------------------------------------- */

TEST_CASE(slp_en_type5_powers_off)
{
    outw(PM1_CNT, (5 << 10));                /* SLP_TYP without SLP_EN: nothing */
    CHECK_EQ(poweroffs, 0);
    outw(PM1_CNT, (0 << 10) | (1 << 13));    /* S0 type with SLP_EN: ignored */
    CHECK_EQ(poweroffs, 0);
    outw(PM1_CNT, (3 << 10) | (1 << 13));    /* unsupported type: ignored */
    CHECK_EQ(poweroffs, 0);
    outw(PM1_CNT, (5 << 10) | (1 << 13));
    CHECK_EQ(poweroffs, 1);
}

TEST_CASE(slp_en_byte_write_powers_off)
{
    outb(PM1_CNT + 1, (5 << 2) | (1 << 5));  /* high byte holds SLP_TYP and SLP_EN */
    CHECK_EQ(poweroffs, 1);
}

TEST_CASE(pm1_cnt_reads)
{
    CHECK_EQ(inw(PM1_CNT) & 1, 1);           /* SCI_EN: always in ACPI mode */
    outw(PM1_CNT, 0);
    CHECK_EQ(inw(PM1_CNT) & 1, 1);           /* cannot leave ACPI mode */
    outw(PM1_CNT, (2 << 10) | 1);
    CHECK_EQ(inw(PM1_CNT), (2 << 10) | 1);   /* SLP_TYP kept, SLP_EN reads 0 */
    outw(PM1_CNT, (2 << 10) | (1 << 13));
    CHECK_EQ(inw(PM1_CNT) & (1 << 13), 0);
}

TEST_CASE(timer_rate)
{
    uint32_t t0 = (uint32_t)inl(PM_TMR);
    usleep(10000);
    uint32_t t1 = (uint32_t)inl(PM_TMR);
    CHECK_EQ(t0 >> 24, 0);
    CHECK_EQ(t1 >> 24, 0);
    uint32_t d = (t1 - t0) & 0xFFFFFF;
    /* 10 ms at 3.579545 MHz = 35795 ticks; the sleep may overshoot. */
    CHECK(d >= 35795 - 2);
    CHECK(d < 35795 * 5);
}

/* The counter is ticks of virtual time modulo 2^24, bracketed by clock
 * reads on either side, at several points including across a wrap. */
TEST_CASE(timer_value_and_wrap)
{
    static const int64_t points[] = {
        0, 1000000, 4687000000LL, 4687500000LL, 1000LL * NS_PER_SEC, 123456789012345LL,
    };
    for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
        clock_set(points[i]);
        int64_t before = clock_virtual_ns();
        uint32_t v = (uint32_t)inl(PM_TMR);
        int64_t after = clock_virtual_ns();
        uint64_t lo = ticks_at(before), hi = ticks_at(after);
        CHECK_EQ(v >> 24, 0);
        CHECK(((v - lo) & 0xFFFFFF) <= hi - lo);
    }
    /* Just below 2^24 ticks, then 1 ms later: the counter wrapped. */
    clock_set(ns_at((1u << 24) - 200));
    uint32_t a = (uint32_t)inl(PM_TMR);
    clock_set(ns_at((1u << 24) - 200) + 1000000);
    uint32_t b = (uint32_t)inl(PM_TMR);
    CHECK(a >= 0xFFFF00 - 1000);
    CHECK(b < a);
    CHECK(((b - a) & 0xFFFFFF) >= 3579 && ((b - a) & 0xFFFFFF) < 3579 + 1000);
}

TEST_CASE(timer_is_read_only)
{
    clock_set(0);
    outw(PM_TMR, 0xFFFF);
    as_st(io, PM_TMR, 4, 0xFFFFFFFF);
    CHECK(((uint32_t)inl(PM_TMR)) < 0x100000);
}

/* TMR_STS is set each time bit 23 of the counter changes (both ways). */
TEST_CASE(tmr_sts_on_bit23)
{
    clock_set(ns_at((1u << 23) - 5000));
    outw(PM1_STS, 0xFFFF);
    CHECK_EQ(inw(PM1_STS) & 1, 0);
    clock_set(ns_at((1u << 23) - 100));
    CHECK_EQ(inw(PM1_STS) & 1, 0);
    clock_set(ns_at((1u << 23) + 100));
    CHECK_EQ(inw(PM1_STS) & 1, 1);
    outw(PM1_STS, 0x0001);
    CHECK_EQ(inw(PM1_STS) & 1, 0);
    clock_set(ns_at((1u << 24) - 100));
    CHECK_EQ(inw(PM1_STS) & 1, 0);
    clock_set(ns_at((1u << 24) + 100));          /* 1 -> 0 on the wrap */
    CHECK_EQ(inw(PM1_STS) & 1, 1);
    CHECK_EQ(sci.raises, 0);                     /* TMR_EN is clear */
}

/* With TMR_EN set a timer raises the SCI at the transition, without the
 * guest reading anything; without TMR_EN no timer runs. */
TEST_CASE(tmr_en_timer_raises_sci)
{
    clock_set(ns_at((3u << 23) - 10000));
    outw(PM1_STS, 0xFFFF);
    Timer *t = NULL;
    for (int i = 0; i < FAKE_TIMERS; i++)
        t = fake_timers[i] ? fake_timers[i] : t;
    CHECK(t);
    CHECK(!timer_pending(t));
    outw(PM1_EN, 0x0001);
    CHECK(timer_pending(t));
    int64_t due = ns_at(3u << 23);
    CHECK(timer_expire_time(t) >= due - 1 && timer_expire_time(t) <= due + 1);
    timers_run_expired();
    CHECK_EQ(sci.level, 0);                      /* not yet */
    clock_set(due + 10);
    timers_run_expired();
    CHECK_EQ(sci.level, 1);
    CHECK_EQ(sci.raises, 1);
    CHECK(timer_pending(t));                     /* re-armed for the next change */
    outw(PM1_STS, 0x0001);
    CHECK_EQ(sci.level, 0);
    outw(PM1_EN, 0);
    CHECK(!timer_pending(t));
}

TEST_CASE(w1c_status)
{
    acpi_pm_power_button(pm);
    CHECK_EQ(inw(PM1_STS) & 0x0100, 0x0100);
    outw(PM1_STS, 0x0000);
    CHECK_EQ(inw(PM1_STS) & 0x0100, 0x0100);
    outw(PM1_STS, 0xFEFF);                       /* every other bit */
    CHECK_EQ(inw(PM1_STS) & 0x0100, 0x0100);
    outb(PM1_STS + 1, 0x01);                     /* byte write to bit 8 */
    CHECK_EQ(inw(PM1_STS) & 0x0100, 0);
    outw(PM1_STS, 0xFFFF);                       /* writing 1 never sets */
    CHECK_EQ(inw(PM1_STS) & ~1u, 0);

    acpi_pm_set_gpe(pm, 3);
    CHECK_EQ(inw(GPE0_STS), 1u << 3);
    outw(GPE0_STS, 1u << 2);
    CHECK_EQ(inw(GPE0_STS), 1u << 3);
    outb(GPE0_STS, 1u << 3);
    CHECK_EQ(inw(GPE0_STS), 0);
}

TEST_CASE(enable_registers)
{
    outw(PM1_EN, 0xFFFF);
    uint16_t en = (uint16_t)inw(PM1_EN);
    CHECK_EQ(en & 0x0101, 0x0101);               /* TMR_EN, PWRBTN_EN */
    CHECK_EQ(en & 0x8000, 0);                    /* bit 15 is reserved in PM1_EN */
    outw(GPE0_EN, 0xA5A5);
    CHECK_EQ(inw(GPE0_EN), 0xA5A5);
    outb(GPE0_EN + 1, 0x00);
    CHECK_EQ(inw(GPE0_EN), 0x00A5);
}

TEST_CASE(sci_follows_status_and_enable)
{
    acpi_pm_power_button(pm);
    CHECK_EQ(sci.level, 0);                      /* PWRBTN_EN clear */
    outw(PM1_EN, 0x0100);
    CHECK_EQ(sci.level, 1);
    outw(PM1_STS, 0x0100);
    CHECK_EQ(sci.level, 0);
    acpi_pm_power_button(pm);
    CHECK_EQ(sci.level, 1);
    outw(PM1_EN, 0);
    CHECK_EQ(sci.level, 0);
    outw(PM1_STS, 0xFFFF);

    acpi_pm_set_gpe(pm, 5);
    CHECK_EQ(sci.level, 0);
    outw(GPE0_EN, 1u << 5);
    CHECK_EQ(sci.level, 1);
    outw(GPE0_STS, 1u << 5);
    CHECK_EQ(sci.level, 0);
    CHECK_EQ(sci.raises, 3);
    CHECK_EQ(sci.lowers, 3);
}

TEST_CASE(reset_clears_state)
{
    outw(PM1_EN, 0x0101);
    outw(GPE0_EN, 0xFFFF);
    acpi_pm_power_button(pm);
    acpi_pm_set_gpe(pm, 0);
    CHECK_EQ(sci.level, 1);
    outw(PM1_CNT, 5 << 10);
    acpi_pm_reset(pm);
    CHECK_EQ(sci.level, 0);
    CHECK_EQ(inw(PM1_STS) & ~1u, 0);
    CHECK_EQ(inw(PM1_EN), 0);
    CHECK_EQ(inw(PM1_CNT), 1);
    CHECK_EQ(inw(GPE0_STS), 0);
    CHECK_EQ(inw(GPE0_EN), 0);
}

TEST_CASE(reserved_offsets_harmless)
{
    outw(PM_BASE + 6, 0xFFFF);
    CHECK_EQ(inw(PM_BASE + 6), 0);
    as_st(io, PM_BASE + 0x10, 4, 0xFFFFFFFF);
    CHECK_EQ(inl(PM_BASE + 0x10), 0);
    as_st(io, PM_BASE + 0x3C, 4, 0xFFFFFFFF);
    acpi_pm_set_gpe(pm, 16);                     /* out of range: ignored */
    CHECK_EQ(inw(GPE0_STS), 0);
    CHECK_EQ(poweroffs, 0);
    CHECK_EQ(sci.level, 0);
}

int main(void)
{
    RUN_PM(slp_en_type5_powers_off);
    RUN_PM(slp_en_byte_write_powers_off);
    RUN_PM(pm1_cnt_reads);
    RUN_PM(timer_rate);
    RUN_PM(timer_value_and_wrap);
    RUN_PM(timer_is_read_only);
    RUN_PM(tmr_sts_on_bit23);
    RUN_PM(tmr_en_timer_raises_sci);
    RUN_PM(w1c_status);
    RUN_PM(enable_registers);
    RUN_PM(sci_follows_status_and_enable);
    RUN_PM(reset_clears_state);
    RUN_PM(reserved_offsets_harmless);
    TEST_EXIT();
}
