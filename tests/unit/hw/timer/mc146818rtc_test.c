/*
 * MC146818A RTC poked through ports 0x70/0x71 like a guest (no CPU),
 * checked against the datasheet and the host clock: BCD/binary and 12/24 h
 * time, SET and divider-reset time setting (Linux's sequence), register C
 * and IRQ 8, periodic/update/alarm interrupts on real time, UIP, CMOS
 * memory-size bytes and checksum, reset.
 */
#include "test.h"

#include <time.h>

#include "hw/timer/mc146818rtc.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

enum { SEC, SEC_ALARM, MIN, MIN_ALARM, HOUR, HOUR_ALARM, WDAY, MDAY, MONTH, YEAR,
       REG_A, REG_B, REG_C, REG_D };
#define CENTURY 0x32

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM  0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF  0x40
#define C_AF  0x20
#define C_UF  0x10

static Machine *m;
static Rtc *rtc;
static int irq_level;
static int irq_rises;

static void irq_record(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !irq_level)
        irq_rises++;
    irq_level = level;
}

static uint8_t rd(int index)
{
    as_write(m->io, 0x70, 1, (uint64_t)index);
    return (uint8_t)as_ld(m->io, 0x71, 1);
}

static void wr(int index, uint8_t v)
{
    as_write(m->io, 0x70, 1, (uint64_t)index);
    as_write(m->io, 0x71, 1, v);
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = { (time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC) };
    nanosleep(&ts, NULL);
}

/* Run the main loop's timers for up to `ns`; stop early when the IRQ is up. */
static bool wait_irq(int64_t ns)
{
    int64_t end = clock_virtual_ns() + ns;
    while (clock_virtual_ns() < end) {
        timers_run_expired();
        if (irq_level)
            return true;
        sleep_ns(50000);
    }
    return irq_level;
}

static void setup(void)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1 };
    if (!m) {
        mainloop_init();
        machine_lock();
        m = machine_create(&type, &opts);
        rtc = rtc_create(m, irq_line_new(irq_record, NULL, 8));
    }
    wr(REG_A, 0x26);
    wr(REG_B, B_24H);
    rd(REG_C);
    irq_rises = 0;
}

static int bcd(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

typedef struct Tm { int sec, min, hour, wday, mday, mon, year; } Tm;

/* Read the clock the way Linux does: not during UIP, seconds stable. */
static Tm read_time(bool binary)
{
    Tm t;
    for (int tries = 0; tries < 1000; tries++) {
        while (rd(REG_A) & A_UIP)
            ;
        uint8_t s = rd(SEC);
        t.min = rd(MIN);
        t.hour = rd(HOUR);
        t.wday = rd(WDAY);
        t.mday = rd(MDAY);
        t.mon = rd(MONTH);
        t.year = rd(YEAR) + 100 * (binary ? rd(CENTURY) : bcd(rd(CENTURY)));
        if (!(rd(REG_A) & A_UIP) && rd(SEC) == s) {
            t.sec = s;
            break;
        }
    }
    if (!binary) {
        t.sec = bcd((uint8_t)t.sec);
        t.min = bcd((uint8_t)t.min);
        t.hour = bcd((uint8_t)t.hour);
        t.wday = bcd((uint8_t)t.wday);
        t.mday = bcd((uint8_t)t.mday);
        t.mon = bcd((uint8_t)t.mon);
        t.year = bcd((uint8_t)(t.year % 100)) + t.year / 100 * 100;
    }
    return t;
}

static time_t tm_to_epoch(const Tm *t)
{
    struct tm tm = { .tm_sec = t->sec, .tm_min = t->min, .tm_hour = t->hour,
                     .tm_mday = t->mday, .tm_mon = t->mon - 1, .tm_year = t->year - 1900 };
    return timegm(&tm);
}

/* Power-on values: A = 0x26, B = 24 h BCD, C clear, D = VRT; A's divider
 * and rate bits are writable, UIP is not. */
TEST_CASE(power_on_registers)
{
    setup();
    CHECK_EQ(rd(REG_A) & 0x7F, 0x26);
    CHECK_EQ(rd(REG_B), B_24H);
    CHECK_EQ(rd(REG_D), 0x80);
    wr(REG_A, 0x20);                       /* no periodic flag in the way */
    rd(REG_C);
    CHECK_EQ(rd(REG_C) & ~C_UF, 0);        /* UF only if a second just passed */
    wr(REG_A, 0x2F);
    CHECK_EQ(rd(REG_A) & 0x7F, 0x2F);
    wr(REG_A, 0xA6);
    CHECK_EQ(rd(REG_A) & 0x7F, 0x26);
    wr(REG_C, 0xFF);                       /* read-only */
    wr(REG_D, 0x00);
    CHECK_EQ(rd(REG_C) & C_IRQF, 0);
    CHECK_EQ(rd(REG_D), 0x80);
    CHECK_EQ(irq_level, 0);
}

/* BCD 24 h time equals the host's UTC wall clock; weekday and century too. */
TEST_CASE(time_matches_host_bcd)
{
    setup();
    Tm t = read_time(false);
    time_t host = time(NULL);
    time_t guest = tm_to_epoch(&t);
    CHECK(guest - host <= 2 && host - guest <= 2);
    struct tm g;
    gmtime_r(&guest, &g);
    CHECK_EQ(t.wday, g.tm_wday + 1);
    CHECK_EQ(t.year, g.tm_year + 1900);
    CHECK((rd(SEC) & 0x0F) <= 9 && (rd(SEC) >> 4) <= 5);
}

/* Binary mode (DM) shows the same time in binary. */
TEST_CASE(time_binary_mode)
{
    setup();
    wr(REG_B, B_24H | B_DM);
    Tm t = read_time(true);
    time_t host = time(NULL);
    time_t guest = tm_to_epoch(&t);
    CHECK(guest - host <= 2 && host - guest <= 2);
    CHECK_EQ(rd(CENTURY), t.year / 100);
}

/* Switch modes while running first: the chip never converts frozen
 * registers, so SET must be raised in the mode the values are written in. */
static void set_time(uint8_t b_mode, uint8_t hour, uint8_t min, uint8_t sec)
{
    wr(REG_B, b_mode);
    wr(REG_B, b_mode | B_SET);
    wr(HOUR, hour);
    wr(MIN, min);
    wr(SEC, sec);
    wr(REG_B, b_mode);
}

/* 12 h mode: hours 1-12 with bit 7 = PM, in BCD and binary; 12 h writes
 * read back right in 24 h mode. */
TEST_CASE(twelve_hour_mode)
{
    setup();
    set_time(B_24H, 0x22, 0x30, 0x00);
    wr(REG_B, 0);
    CHECK_EQ(rd(HOUR), 0x90);              /* 10 PM, BCD */
    wr(REG_B, B_DM);
    CHECK_EQ(rd(HOUR), 0x8A);              /* 10 PM, binary */
    set_time(B_24H, 0x00, 0x30, 0x00);
    wr(REG_B, 0);
    CHECK_EQ(rd(HOUR), 0x12);              /* 12 AM */
    set_time(B_24H, 0x12, 0x30, 0x00);
    wr(REG_B, 0);
    CHECK_EQ(rd(HOUR), 0x92);              /* 12 PM */
    set_time(0, 0x91, 0x30, 0x00);         /* written as 11 PM in 12 h mode */
    wr(REG_B, B_24H);
    CHECK_EQ(rd(HOUR), 0x23);
    CHECK_EQ(rd(MIN), 0x30);
}

/* Time written under SET is held while SET is 1, then runs on from there:
 * 1999-12-31 23:59:59 becomes 2000-01-01 (a Saturday). */
TEST_CASE(set_bit_keeps_guest_time)
{
    setup();
    wr(REG_B, B_24H | B_SET);
    wr(SEC, 0x59);
    wr(MIN, 0x59);
    wr(HOUR, 0x23);
    wr(MDAY, 0x31);
    wr(MONTH, 0x12);
    wr(YEAR, 0x99);
    wr(CENTURY, 0x19);
    sleep_ns(1100 * 1000 * 1000);
    CHECK_EQ(rd(SEC), 0x59);               /* held */
    CHECK_EQ(rd(REG_A) & A_UIP, 0);        /* no updates while SET */
    wr(REG_B, B_24H);
    sleep_ns(1100 * 1000 * 1000);
    Tm t = read_time(false);
    CHECK_EQ(t.year, 2000);
    CHECK_EQ(t.mon, 1);
    CHECK_EQ(t.mday, 1);
    CHECK_EQ(t.hour, 0);
    CHECK_EQ(t.min, 0);
    CHECK(t.sec <= 1);
    CHECK_EQ(t.wday, 7);
}

/* Linux's mc146818_set_time: SET, divider reset (A |= 0x70), write, restore
 * B, restore A; the first update comes 500 ms after the divider restarts.
 * 2024-02-28 23:59:59 rolls into the leap day, a Thursday. */
TEST_CASE(linux_set_time_sequence)
{
    setup();
    uint8_t b = rd(REG_B), a = rd(REG_A) & 0x7F;
    wr(REG_B, b | B_SET);
    wr(REG_A, a | 0x70);
    wr(SEC, 0x59);
    wr(MIN, 0x59);
    wr(HOUR, 0x23);
    wr(MDAY, 0x28);
    wr(MONTH, 0x02);
    wr(YEAR, 0x24);
    wr(CENTURY, 0x20);
    wr(REG_B, b);
    CHECK_EQ(rd(SEC), 0x59);               /* divider still in reset */
    wr(REG_A, a);
    sleep_ns(350 * 1000 * 1000);
    CHECK_EQ(rd(SEC), 0x59);
    sleep_ns(300 * 1000 * 1000);
    Tm t = read_time(false);
    CHECK_EQ(t.year, 2024);
    CHECK_EQ(t.mon, 2);
    CHECK_EQ(t.mday, 29);
    CHECK_EQ(t.hour, 0);
    CHECK_EQ(t.sec, 0);
    CHECK_EQ(t.wday, 5);
}

/* Update-ended interrupt: IRQ 8 rises within a second; reading C returns
 * IRQF|UF, clears it and lowers the line. No timer is left running once
 * the interrupt is disabled. */
TEST_CASE(register_c_clears_irq)
{
    setup();
    wr(REG_B, B_24H | B_UIE);
    CHECK(wait_irq(1300 * 1000 * 1000LL));
    uint8_t c = rd(REG_C);
    CHECK_EQ(c & (C_IRQF | C_UF), C_IRQF | C_UF);
    CHECK_EQ(irq_level, 0);
    CHECK_EQ(rd(REG_C) & (C_IRQF | C_UF), 0);
    wr(REG_B, B_24H);
    CHECK_EQ(timers_run_expired(), -1);
    /* Polled flags still work without interrupts: UF after a second. */
    sleep_ns(1050 * 1000 * 1000);
    CHECK_EQ(rd(REG_C) & (C_UF | C_IRQF), C_UF);
    CHECK_EQ(irq_level, 0);
}

/* Count periodic interrupts over `ms` of real time, reading C in the
 * "handler" like a guest. */
static int count_periodic(int ms)
{
    int count = 0;
    int64_t end = clock_virtual_ns() + (int64_t)ms * 1000000;
    while (clock_virtual_ns() < end) {
        timers_run_expired();
        if (irq_level) {
            if (rd(REG_C) & C_PF)
                count++;
        }
        sleep_ns(20000);
    }
    return count;
}

/* Periodic interrupt at the register A rate (1024 Hz, 64 Hz), only with
 * the normal divider and a non-zero rate. */
TEST_CASE(periodic_interrupt_rate)
{
    setup();
    wr(REG_B, B_24H | B_PIE);
    int n = count_periodic(200);           /* 1024 Hz: ~205 */
    CHECK(n >= 40 && n <= 207);
    wr(REG_A, 0x2A);                       /* 64 Hz: ~16 */
    rd(REG_C);
    n = count_periodic(250);
    CHECK(n >= 8 && n <= 17);
    wr(REG_A, 0x20);                       /* rate 0: off */
    rd(REG_C);
    CHECK_EQ(timers_run_expired(), -1);
    wr(REG_A, 0x76);                       /* divider in reset: off */
    CHECK_EQ(timers_run_expired(), -1);
    wr(REG_A, 0x26);
    CHECK(timers_run_expired() >= 0);
    wr(REG_B, B_24H);
    CHECK_EQ(timers_run_expired(), -1);
}

/* Watch the seconds register tick and return the virtual time of a tick
 * seen to within 50 us (the update happened in (t - 50 us, t]). */
static bool find_second_boundary(int64_t *t_out)
{
    for (int tries = 0; tries < 20; tries++) {
        /* Each read happens within [before, after]; the tick lies between
         * the start of the last old read and the end of the first new one. */
        int64_t before = clock_virtual_ns();
        uint8_t s0 = rd(SEC);
        int64_t end = before + 1200 * 1000000LL;
        while (clock_virtual_ns() < end) {
            int64_t b = clock_virtual_ns();
            uint8_t s = rd(SEC);
            int64_t a = clock_virtual_ns();
            if (s != s0) {
                if (a - before < 50000) {
                    *t_out = a;
                    return true;
                }
                break;   /* we were descheduled around the tick: try again */
            }
            before = b;
        }
    }
    return false;
}

/* Spin to virtual time `at`, then stop the virtual clock there. Returns the
 * time it stopped at (the machine's clock stands still until resumed). */
static int64_t freeze_clock_at(int64_t at)
{
    while (clock_virtual_ns() < at)
        ;
    clock_virtual_pause();
    return clock_virtual_ns();
}

/* UIP is clear 600 us before an update, set in the 244 us before it, and
 * falls with the update, after which the seconds have moved on. The
 * virtual clock is frozen at each probe so host scheduling cannot hide it. */
TEST_CASE(uip_seen_and_cleared)
{
    setup();
    bool checked = false;
    for (int tries = 0; tries < 10 && !checked; tries++) {
        int64_t t;
        CHECK(find_second_boundary(&t));
        int64_t next = t + NS_PER_SEC;   /* next update in (next - 50 us, next] */
        int64_t v = freeze_clock_at(next - 600000);
        if (v > next - 350000) {         /* stopped too late: try again */
            clock_virtual_resume();
            continue;
        }
        uint8_t a = rd(REG_A);
        clock_virtual_resume();
        CHECK_EQ(a & A_UIP, 0);
        v = freeze_clock_at(next - 150000);
        if (v > next - 60000) {
            clock_virtual_resume();
            continue;
        }
        uint8_t before = rd(SEC);
        a = rd(REG_A);
        clock_virtual_resume();
        CHECK(a & A_UIP);
        int64_t seen = clock_virtual_ns();
        while ((rd(REG_A) & A_UIP) && clock_virtual_ns() - seen < 100 * 1000000LL)
            ;
        CHECK_EQ(rd(REG_A) & A_UIP, 0);
        CHECK(rd(SEC) != before);
        checked = true;
    }
    if (!checked)
        SKIP("host too busy to stop the clock inside the UIP window");
}

/* Alarm at hh:mm:02 with minute and hour "don't care" (>= 0xC0) fires when
 * the clock reaches second 2, setting AF. */
TEST_CASE(alarm_interrupt)
{
    setup();
    set_time(B_24H, 0x12, 0x00, 0x00);
    wr(SEC_ALARM, 0x02);
    wr(MIN_ALARM, 0xC0);
    wr(HOUR_ALARM, 0xFF);
    rd(REG_C);
    wr(REG_B, B_24H | B_AIE);
    CHECK(wait_irq(3000 * 1000 * 1000LL));
    CHECK_EQ(rd(SEC), 0x02);
    CHECK_EQ(rd(REG_C) & (C_IRQF | C_AF), C_IRQF | C_AF);
    CHECK_EQ(irq_level, 0);
    wr(REG_B, B_24H);
}

/* Memory-size bytes for 512 MiB and for 3 GiB + 3 GiB, the CPU count, and
 * the checksum over 0x10-0x2D, all read through the ports. */
TEST_CASE(cmos_memory_and_checksum)
{
    setup();
    rtc_set_memory_size(rtc, 512ull << 20, 0, 1);
    CHECK_EQ(rd(0x15), 0x80);
    CHECK_EQ(rd(0x16), 0x02);              /* 640 KiB */
    CHECK_EQ(rd(0x17), 0xFF);
    CHECK_EQ(rd(0x18), 0xFF);              /* 511 MiB capped at 0xFFFF KiB */
    CHECK_EQ(rd(0x30), 0xFF);
    CHECK_EQ(rd(0x31), 0xFF);
    CHECK_EQ(rd(0x34), 0x00);
    CHECK_EQ(rd(0x35), 0x1F);              /* 496 MiB / 64 KiB = 0x1F00 */
    CHECK_EQ(rd(0x5B) | rd(0x5C) | rd(0x5D), 0);
    CHECK_EQ(rd(0x5F), 0);

    rtc_set_memory_size(rtc, 3ull << 30, 3ull << 30, 4);
    CHECK_EQ(rd(0x34), 0x00);
    CHECK_EQ(rd(0x35), 0xBF);              /* (3 GiB - 16 MiB) / 64 KiB = 0xBF00 */
    CHECK_EQ(rd(0x5B), 0x00);
    CHECK_EQ(rd(0x5C), 0xC0);
    CHECK_EQ(rd(0x5D), 0x00);              /* 3 GiB / 64 KiB = 0xC000 */
    CHECK_EQ(rd(0x5F), 3);

    rtc_set_cmos(rtc, 0x10, 0x40);         /* floppy type byte */
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2D; i++)
        sum += rd(i);
    CHECK_EQ(rd(0x2E), (sum >> 8) & 0xFF);
    CHECK_EQ(rd(0x2F), sum & 0xFF);
    CHECK_EQ(rtc_get_cmos(rtc, 0x10), 0x40);

    /* Plain RAM through the ports; bit 7 of the index masks NMI only. */
    wr(0x40, 0x5A);
    CHECK_EQ(rd(0x40), 0x5A);
    as_write(m->io, 0x70, 1, 0x80 | 0x40);
    CHECK_EQ(as_ld(m->io, 0x71, 1), 0x5A);
    wr(0x7F, 0xA5);
    CHECK_EQ(rd(0xFF), 0xA5);
}

/* Machine reset clears the interrupt enables and flags and stops timers. */
TEST_CASE(reset_clears_enables)
{
    setup();
    wr(REG_B, B_24H | B_PIE | B_AIE | B_UIE);
    CHECK(wait_irq(50 * 1000 * 1000));
    machine_reset_devices(m);
    CHECK_EQ(irq_level, 0);
    CHECK_EQ(rd(REG_B), B_24H);
    CHECK_EQ(timers_run_expired(), -1);
    CHECK_EQ(rd(REG_A) & 0x7F, 0x26);      /* A survives reset */
}

/* Garbage dates are refused without disturbing the clock; year 9999 runs. */
TEST_CASE(bad_dates)
{
    setup();
    set_time(B_24H, 0x10, 0x00, 0x00);
    wr(REG_B, B_24H | B_SET);
    wr(SEC, 0xAA);                         /* not BCD */
    wr(REG_B, B_24H);
    CHECK_EQ(rd(HOUR), 0x10);
    CHECK_EQ(rd(MIN), 0x00);
    wr(REG_B, B_24H | B_SET);
    wr(SEC, 0x59);
    wr(MIN, 0x59);
    wr(HOUR, 0x23);
    wr(MDAY, 0x31);
    wr(MONTH, 0x12);
    wr(YEAR, 0x99);
    wr(CENTURY, 0x99);
    wr(REG_B, B_24H);
    CHECK_EQ(rd(CENTURY), 0x99);
    sleep_ns(1100 * 1000 * 1000);
    CHECK_EQ(rd(CENTURY), 0x99);           /* clamped at the last year */
    wr(MONTH, 0x13);                       /* direct write of a bad month */
    CHECK(rd(MONTH) <= 0x12);
    wr(REG_B, B_24H | B_DM);
    wr(HOUR, 0xFF);                        /* binary garbage */
    CHECK(rd(HOUR) < 24);
}

int main(void)
{
    RUN(power_on_registers);
    RUN(time_matches_host_bcd);
    RUN(time_binary_mode);
    RUN(twelve_hour_mode);
    RUN(set_bit_keeps_guest_time);
    RUN(linux_set_time_sequence);
    RUN(register_c_clears_irq);
    RUN(periodic_interrupt_rate);
    RUN(uip_seen_and_cleared);
    RUN(alarm_interrupt);
    RUN(cmos_memory_and_checksum);
    RUN(reset_clears_enables);
    RUN(bad_dates);
    TEST_EXIT();
}
