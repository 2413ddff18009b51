/*
 * i8254 PIT and port 0x61 driven through their ports, checked against the
 * 8254 datasheet. Exact checks pause the virtual clock (clock_virtual_pause)
 * so counter, OUT and status can be predicted from the paused time; IRQ 0
 * edge rates run the real clock for ~50 ms with loose bounds.
 */
#include <time.h>

#include "test.h"

#include "hw/timer/i8254.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define HZ 1193182

static Machine *m;
static int irq_level, irq_rises, irq_falls;
static int64_t irq_first_rise_ns;

static void irq_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !irq_level) {
        if (!irq_rises)
            irq_first_rise_ns = clock_virtual_ns();
        irq_rises++;
    }
    if (!level && irq_level)
        irq_falls++;
    irq_level = level;
}

static void outb(uint16_t port, uint8_t v) { as_write(m->io, port, 1, v); }
static uint8_t inb(uint16_t port) { return (uint8_t)as_ld(m->io, port, 1); }

/* The datasheet's clock: tick k starts at k / 1.193182 MHz. */
static int64_t tick_of(int64_t ns) { return (int64_t)((__int128)ns * HZ / NS_PER_SEC); }
static int64_t now_tick(void) { return tick_of(clock_virtual_ns()); }

static void host_sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

/* Let virtual time run for about `us` (timers not serviced), then freeze. */
static void advance_us(long us)
{
    clock_virtual_resume();
    host_sleep_us(us);
    clock_virtual_pause();
}

/* Run like the main loop for `ms` of virtual time, then freeze. Returns
 * the longest gap between two passes over the timers: when the host
 * stalled us for longer than a timer period, edges were merged. */
static int64_t run_timers_ms(int ms)
{
    int64_t end = clock_virtual_ns() + (int64_t)ms * 1000000;
    int64_t last = clock_virtual_ns(), max_gap = 0;
    clock_virtual_resume();
    while (clock_virtual_ns() < end) {
        timers_run_expired();
        int64_t now = clock_virtual_ns();
        if (now - last > max_gap)
            max_gap = now - last;
        last = now;
        host_sleep_us(50);
    }
    clock_virtual_pause();
    timers_run_expired();
    if (clock_virtual_ns() - last > max_gap)
        max_gap = clock_virtual_ns() - last;
    return max_gap;
}

static void setup(void)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1 };
    clock_virtual_pause();
    if (!m) {
        m = machine_create(&type, &opts);
        i8254_create(m, irq_line_new(irq_handler, NULL, 0));
    }
    machine_reset_devices(m);
    irq_level = irq_rises = irq_falls = 0;
    irq_first_rise_ns = -1;
}

static uint16_t read_word(uint16_t port)
{
    uint8_t lo = inb(port);
    return (uint16_t)(lo | inb(port) << 8);
}

static void write_word(uint16_t port, uint16_t v)
{
    outb(port, v & 0xFF);
    outb(port, v >> 8);
}

static uint16_t to_bcd(unsigned v)
{
    return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static uint8_t read_back_status(int ch)
{
    outb(0x43, 0xE0 | (2 << ch));   /* latch status only */
    return inb(0x40 + ch);
}

static bool out2(void) { return inb(0x61) & 0x20; }

/* CLKs the counter has counted since a count written at tick w (it loads
 * on the first CLK after the write). */
static int64_t since(int64_t w) { return now_tick() - (w + 1); }
/* 16-bit down-counter value N - e, wrapping like the hardware. */
static uint16_t wrap16(int64_t v) { return (uint16_t)(((v % 65536) + 65536) % 65536); }

TEST_CASE(mode0_counts_down_then_out_rises)
{
    setup();
    outb(0x61, 0x01);                  /* gate 2 on, speaker off */
    outb(0x43, 0xB0);                  /* ch2, lsb+msb, mode 0, binary */
    CHECK(!out2());                    /* control word: OUT low */
    int64_t w = now_tick();
    write_word(0x42, 4000);            /* 3.35 ms */
    CHECK_EQ(read_back_status(2), 0x70);   /* OUT 0, null count, RW 3, mode 0 */
    CHECK(!out2());
    bool high = false;
    for (int i = 0; i < 200 && !high; i++) {
        advance_us(200);
        int64_t e = since(w);
        outb(0x43, 0x80);              /* latch ch2 */
        CHECK_EQ(read_word(0x42), wrap16(4000 - e));   /* keeps counting past 0 */
        high = e >= 4000;              /* OUT rises N+1 CLKs after the write */
        CHECK_EQ(out2(), high);
        CHECK_EQ(read_back_status(2), (high ? 0x80 : 0) | 0x30);
    }
    CHECK(high);
}

TEST_CASE(latch_holds_value_until_read)
{
    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xB4);                  /* ch2, mode 2 */
    int64_t w = now_tick();
    write_word(0x42, 50000);
    advance_us(500);
    int64_t e = since(w);
    outb(0x43, 0x80);
    advance_us(500);
    outb(0x43, 0x80);                  /* a second latch is ignored */
    int64_t e2 = since(w);
    CHECK(e2 > e);
    CHECK_EQ(read_word(0x42), 50000 - e % 50000);
    /* Latch released: the next read is live again. */
    CHECK_EQ(read_word(0x42), 50000 - e2 % 50000);
}

TEST_CASE(read_back_status_then_count)
{
    setup();
    outb(0x43, 0x9A);                  /* ch2, lsb only, mode 5, binary */
    CHECK_EQ(read_back_status(2), 0xDA);   /* OUT high, null count, ctrl */
    outb(0x61, 0x01);
    outb(0x43, 0xA0);                  /* ch2, msb only, mode 0 */
    int64_t w = now_tick();
    outb(0x42, 0x40);                  /* N = 0x4000 */
    advance_us(1000);
    int64_t e = since(w);
    outb(0x43, 0xC8);                  /* read-back count and status of ch2 */
    advance_us(1000);
    CHECK_EQ(inb(0x42), (e >= 0x4000 ? 0x80 : 0) | 0x20);   /* status first */
    CHECK_EQ(inb(0x42), wrap16(0x4000 - e) >> 8);
    e = since(w);
    CHECK_EQ(inb(0x42), wrap16(0x4000 - e) >> 8);   /* latch released */
}

TEST_CASE(read_back_latches_several_counters)
{
    setup();
    outb(0x43, 0x34);                  /* ch0 mode 2 */
    write_word(0x40, 30000);
    outb(0x43, 0x76);                  /* ch1 mode 3 */
    write_word(0x41, 20000);
    int64_t w = now_tick();            /* clock paused: both written now */
    advance_us(300);
    int64_t e = since(w);
    outb(0x43, 0xC6);                  /* read-back: count+status, ch0 and ch1 */
    advance_us(300);
    CHECK_EQ(inb(0x40), (e % 30000 != 29999 ? 0x80 : 0) | 0x34);
    CHECK_EQ(read_word(0x40), 30000 - e % 30000);
    int64_t phase = e % 20000;
    CHECK_EQ(inb(0x41), (phase < 10000 ? 0x80 : 0) | 0x36);
    /* Mode 3, even N: counts down by two from N in each half-cycle. */
    CHECK_EQ(read_word(0x41), 20000 - 2 * (phase % 10000));
}

TEST_CASE(access_modes_and_flip_flops)
{
    setup();
    outb(0x61, 0x01);
    /* The clock is paused: the counter still holds what was written. */
    outb(0x43, 0x90);                  /* ch2, lsb only */
    outb(0x42, 0x34);
    CHECK_EQ(inb(0x42), 0x34);
    CHECK_EQ(inb(0x42), 0x34);
    outb(0x43, 0xA0);                  /* msb only */
    outb(0x42, 0x12);
    CHECK_EQ(inb(0x42), 0x12);
    outb(0x43, 0x80);                  /* latch: value 0x1200 */
    CHECK_EQ(inb(0x42), 0x12);
    outb(0x43, 0xB0);                  /* lsb then msb */
    outb(0x42, 0x78);
    outb(0x42, 0x56);
    CHECK_EQ(inb(0x42), 0x78);
    CHECK_EQ(inb(0x42), 0x56);
    CHECK_EQ(inb(0x42), 0x78);
    outb(0x43, 0xB0);                  /* a control word resets the flip-flop */
    CHECK_EQ(inb(0x42), 0x78);
    CHECK_EQ(inb(0x42), 0x56);
    write_word(0x42, 0xABCD);
    CHECK_EQ(read_word(0x42), 0xABCD);
    /* Count 0 means 65536: reads as 0 before the first CLK. */
    int64_t w = now_tick();
    write_word(0x42, 0);
    CHECK_EQ(read_word(0x42), 0);
    advance_us(100);
    CHECK_EQ(read_word(0x42), wrap16(65536 - since(w)));
}

TEST_CASE(bcd_counting)
{
    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xB1);                  /* ch2, lsb+msb, mode 0, BCD */
    write_word(0x42, 0x1234);
    CHECK_EQ(read_word(0x42), 0x1234);
    int64_t w = now_tick();
    write_word(0x42, 0x0000);          /* 10000 in BCD */
    CHECK_EQ(read_word(0x42), 0x0000);
    advance_us(2000);
    int64_t e = since(w);
    CHECK(e > 0);
    CHECK_EQ(read_word(0x42), to_bcd((unsigned)(((10000 - e) % 10000 + 10000) % 10000)));
    CHECK_EQ(read_back_status(2) & 0x0F, 0x01);
}

TEST_CASE(mode0_gate_low_pauses_counting)
{
    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xB0);
    write_word(0x42, 60000);
    advance_us(500);
    outb(0x61, 0x00);                  /* gate off */
    uint16_t v1 = read_word(0x42);
    CHECK(v1 != 60000);
    advance_us(1000);
    CHECK_EQ(read_word(0x42), v1);
    int64_t g = now_tick();
    outb(0x61, 0x01);                  /* counting resumes from v1 */
    advance_us(500);
    CHECK_EQ(read_word(0x42), wrap16(v1 - (now_tick() - g)));
    /* After terminal count OUT stays high across a gate pause, even
     * though the counter has wrapped. */
    outb(0x43, 0xB0);
    write_word(0x42, 100);
    advance_us(500);
    CHECK(out2());
    outb(0x61, 0x00);
    advance_us(100);
    outb(0x61, 0x01);
    advance_us(100);
    CHECK(out2());
}

TEST_CASE(mode1_gate_triggers_one_shot)
{
    setup();
    outb(0x43, 0xB2);                  /* ch2, mode 1 */
    write_word(0x42, 3000);            /* 2.5 ms */
    CHECK(out2());                     /* OUT high until triggered */
    advance_us(3000);
    CHECK(out2());
    CHECK_EQ(read_back_status(2) & 0x40, 0x40);   /* not loaded yet */
    int64_t w = now_tick();
    outb(0x61, 0x01);                  /* rising gate: trigger */
    CHECK(out2());                     /* OUT falls on the next CLK */
    bool high = false;
    for (int i = 0; i < 100 && !high; i++) {
        advance_us(300);
        int64_t e = since(w);
        high = e >= 3000;
        CHECK_EQ(out2(), high);
        CHECK_EQ(read_word(0x42), wrap16(3000 - e));
        CHECK_EQ(read_back_status(2) & 0x40, 0);
    }
    CHECK(high);
    /* Retrigger restarts the full count. */
    outb(0x61, 0x00);
    w = now_tick();
    outb(0x61, 0x01);
    advance_us(500);
    CHECK_EQ(out2(), since(w) >= 3000);
}

TEST_CASE(mode2_rate_generator_exact)
{
    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xB4);                  /* ch2, mode 2 */
    int64_t w = now_tick();
    write_word(0x42, 1000);
    for (int i = 0; i < 5; i++) {
        advance_us(700 + 300 * i);
        int64_t e = now_tick() - (w + 1);
        outb(0x43, 0x80);
        CHECK_EQ(read_word(0x42), 1000 - e % 1000);
        CHECK_EQ(out2(), e % 1000 != 999);   /* low only while the count is 1 */
    }
}

TEST_CASE(mode2_new_count_waits_for_period_end)
{
    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xB4);
    int64_t w = now_tick();
    write_word(0x42, 60000);           /* 50 ms period */
    advance_us(1000);
    int64_t e = since(w);
    int64_t end = w + 1 + (e / 60000 + 1) * 60000;
    write_word(0x42, 1000);
    CHECK_EQ(read_back_status(2) & 0x40, 0x40);   /* waiting in CR */
    CHECK_EQ(read_word(0x42), 60000 - e % 60000);   /* old period continues */
    for (int i = 0; i < 100 && now_tick() <= end; i++)
        advance_us(5000);
    int64_t t = now_tick();
    CHECK(t > end);
    CHECK_EQ(read_back_status(2) & 0x40, 0);
    CHECK_EQ(read_word(0x42), 1000 - (t - end) % 1000);
}

TEST_CASE(mode2_gate_low_forces_out_high_and_restarts)
{
    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xB4);
    write_word(0x42, 40000);
    advance_us(2000);
    outb(0x61, 0x00);
    CHECK(out2());
    uint16_t v = read_word(0x42);
    advance_us(1000);
    CHECK_EQ(read_word(0x42), v);      /* counting suspended */
    int64_t w = now_tick();
    outb(0x61, 0x01);                  /* rising gate reloads N */
    advance_us(500);
    int64_t e = since(w);
    CHECK_EQ(read_word(0x42), 40000 - e % 40000);
}

TEST_CASE(mode3_square_wave_exact)
{
    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xB6);                  /* ch2, mode 3 */
    int64_t w = now_tick();
    write_word(0x42, 1001);            /* odd: high 501 CLKs, low 500 */
    int high = 0, low = 0;
    for (int i = 0; i < 500 && (i < 12 || !high || !low); i++) {
        advance_us(230 + 70 * (i % 12));
        int64_t e = now_tick() - (w + 1);
        bool expect = e % 1001 < 501;
        CHECK_EQ(out2(), expect);
        CHECK_EQ((read_back_status(2) & 0x80) != 0, expect);
        if (expect)
            high++;
        else
            low++;
    }
    CHECK(high > 0 && low > 0);
}

/* Small odd N: the high half is the longer one ((N+1)/2 CLKs). */
TEST_CASE(mode3_odd_count_halves)
{
    setup();
    outb(0x61, 0x01);
    outb(0x43, 0xB6);
    int64_t w = now_tick();
    write_word(0x42, 3);
    int seen[3] = { 0, 0, 0 };
    for (int i = 0; i < 2000 && (!seen[0] || !seen[1] || !seen[2]); i++) {
        advance_us(3 + i % 7);
        int64_t e = since(w);
        seen[e % 3]++;
        CHECK_EQ(out2(), e % 3 < 2);
    }
    CHECK(seen[0] && seen[1] && seen[2]);   /* every CLK of the cycle checked */
}

/* The timer behind IRQ 0 is armed for the first ns of the CLK at which
 * OUT changes (timers_run_expired reports the delay to it). */
TEST_CASE(irq0_timer_armed_at_exact_edge)
{
    setup();
    outb(0x43, 0x30);                  /* ch0, mode 0 */
    int64_t w = now_tick();
    write_word(0x40, 5000);
    int64_t due = clock_virtual_ns() + timers_run_expired();
    CHECK_EQ(tick_of(due), w + 1 + 5000);
    CHECK_EQ(tick_of(due - 1), w + 5000);
    outb(0x43, 0x34);                  /* ch0, mode 2: low at count 1 */
    w = now_tick();
    write_word(0x40, 5000);
    due = clock_virtual_ns() + timers_run_expired();
    CHECK_EQ(tick_of(due), w + 5000);
    CHECK_EQ(tick_of(due - 1), w + 4999);
}

/* With count 2 in mode 2 OUT changes every CLK; the timer waits out the
 * 50 us minimum after the last rising edge instead. */
TEST_CASE(irq0_fast_rate_timer_spacing)
{
    setup();
    outb(0x43, 0x34);                  /* OUT0 rises now */
    outb(0x40, 2);
    outb(0x40, 0);
    int64_t delay = timers_run_expired();
    CHECK(delay >= 49000 && delay <= 50000);
    advance_us(delay / 1000 + 1);
    int rises = irq_rises;
    delay = timers_run_expired();
    CHECK_EQ(irq_rises - rises, 1);
    CHECK(delay >= 49000 && delay <= 50000);
}

TEST_CASE(irq0_mode2_periodic_rate)
{
    setup();
    outb(0x43, 0x34);                  /* ch0, mode 2: OUT goes high */
    int rises_before = irq_rises, falls_before = irq_falls;
    int64_t w = now_tick();
    write_word(0x40, 1193);            /* ~1 kHz, like Linux with HZ=1000 */
    int64_t max_gap = run_timers_ms(50);
    int64_t expect = since(w) / 1193;  /* a rising edge at each reload */
    int got = irq_rises - rises_before;
    CHECK(expect >= 45);
    CHECK(got <= expect);              /* never an extra edge */
    CHECK(got >= 1);
    if (max_gap < 500000)              /* no host stall: none merged */
        CHECK_EQ(got, expect);
    int falls = irq_falls - falls_before;
    CHECK(falls == got || falls == got + 1);
}

TEST_CASE(irq0_mode3_periodic_rate)
{
    setup();
    outb(0x43, 0x36);                  /* ch0, mode 3 (what BIOSes use) */
    int rises_before = irq_rises;
    int64_t w = now_tick();
    write_word(0x40, 2386);            /* ~500 Hz */
    int64_t max_gap = run_timers_ms(50);
    int64_t e = since(w);
    int64_t expect = e / 2386;
    int got = irq_rises - rises_before;
    CHECK(got <= expect && got >= 1);
    if (max_gap < 900000)
        CHECK_EQ(got, expect);
    CHECK_EQ(irq_level, e % 2386 < 1193);
}

TEST_CASE(irq0_mode0_one_shot_not_early)
{
    setup();
    outb(0x43, 0x30);                  /* ch0, mode 0 */
    CHECK_EQ(irq_level, 0);
    int64_t w = now_tick();
    write_word(0x40, 2983);            /* 2.5 ms */
    run_timers_ms(10);
    CHECK_EQ(irq_rises, 1);
    CHECK_EQ(irq_level, 1);
    int64_t rise = tick_of(irq_first_rise_ns);
    CHECK(rise >= w + 1 + 2983);
    CHECK(rise < w + 1 + 2983 + HZ);   /* loose: the host may be busy */
    /* New count in mode 0 drops OUT at once. */
    write_word(0x40, 100);
    CHECK_EQ(irq_level, 0);
}

TEST_CASE(irq0_late_timer_merges_edges)
{
    setup();
    outb(0x43, 0x34);
    int64_t w = now_tick();
    write_word(0x40, 1193);
    int rises = irq_rises;
    advance_us(10000);                 /* ~10 periods, nobody runs timers */
    timers_run_expired();
    CHECK_EQ(irq_rises - rises, 1);    /* one edge for the PIC to latch */
    CHECK_EQ(irq_level, 1);
    /* Re-armed for the next low pulse (count 1), or 50 us after this
     * edge if that comes sooner. */
    int64_t now = clock_virtual_ns();
    int64_t due = now + timers_run_expired();
    int64_t e = since(w) + 1;
    int64_t next_low = w + 1 + e + (1192 - e % 1193);
    CHECK(tick_of(due) == next_low || (due == now + 50000 && tick_of(due) <= next_low));
}

TEST_CASE(irq0_count1_is_rate_limited)
{
    setup();
    outb(0x43, 0x34);
    outb(0x43, 0x14);                  /* ch0, lsb only, mode 2 */
    outb(0x40, 1);                     /* illegal in mode 2: 1.19 MHz */
    int rises = irq_rises;
    int64_t start = clock_virtual_ns();
    run_timers_ms(20);
    int64_t elapsed = clock_virtual_ns() - start;
    int got = irq_rises - rises;
    CHECK(got >= 1);                   /* still ticking */
    CHECK(got <= elapsed / 50000 + 1); /* at most one edge per 50 us */
}

TEST_CASE(irq0_mode4_strobe)
{
    setup();
    outb(0x43, 0x38);                  /* ch0, mode 4: OUT high */
    CHECK_EQ(irq_level, 1);
    int falls = irq_falls, rises = irq_rises;
    write_word(0x40, 2000);
    run_timers_ms(5);
    CHECK_EQ(irq_falls - falls, 1);    /* one-CLK low strobe at count 0 */
    CHECK_EQ(irq_rises - rises, 1);
    CHECK_EQ(irq_level, 1);
}

/* arch/x86/kernel/tsc.c pit_calibrate_tsc(): 10 ms one-shot on ch2,
 * polled through port 0x61 bit 5. */
TEST_CASE(linux_pit_calibrate_tsc)
{
    setup();
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xB0);
    int latch = HZ / 100;
    outb(0x42, latch & 0xFF);
    outb(0x42, latch >> 8);
    int64_t start = clock_virtual_ns();
    clock_virtual_resume();
    long polls = 0;
    while ((inb(0x61) & 0x20) == 0 && clock_virtual_ns() - start < 2 * NS_PER_SEC)
        polls++;
    int64_t elapsed = clock_virtual_ns() - start;
    clock_virtual_pause();
    CHECK(polls > 0);
    CHECK(inb(0x61) & 0x20);
    /* N+1 CLKs from the write, which fell somewhere inside a CLK. */
    CHECK(elapsed >= (int64_t)latch * NS_PER_SEC / HZ);
}

/* quick_pit_calibrate(): mode 0 count 0xFFFF on ch2, reading lsb then msb
 * and expecting the msb to step down. */
TEST_CASE(linux_quick_pit_msb_steps_down)
{
    setup();
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xB0);
    int64_t w = now_tick();
    outb(0x42, 0xFF);
    outb(0x42, 0xFF);
    inb(0x42);
    CHECK_EQ(inb(0x42), 0xFF);         /* clock paused: still at the top */
    int prev = 0xFF, steps = 0;
    bool monotonic = true;
    clock_virtual_resume();
    int64_t start = clock_virtual_ns();
    while (clock_virtual_ns() - start < 5000000) {
        inb(0x42);
        int msb = inb(0x42);
        monotonic &= msb <= prev;
        steps += msb < prev;
        prev = msb;
    }
    clock_virtual_pause();
    CHECK(monotonic);
    CHECK(steps >= 1);
    int64_t e = since(w);
    CHECK(e < 0xFFFF);
    CHECK_EQ(read_word(0x42), 0xFFFF - e);
}

TEST_CASE(port61_bits)
{
    setup();
    CHECK_EQ(inb(0x61) & 0xEF, 0x00);
    outb(0x61, 0xFF);                  /* only bits 0-3 are writable */
    CHECK_EQ(inb(0x61) & 0xCF, 0x0F);
    outb(0x61, 0x02);
    CHECK_EQ(inb(0x61) & 0x0F, 0x02);
    /* Refresh toggle: flips every 15.085 us of virtual time. */
    int seen[2] = { 0, 0 };
    for (int i = 0; i < 2000 && (i < 24 || !seen[0] || !seen[1]); i++) {
        advance_us(5 + i % 24);
        int expect = (int)(clock_virtual_ns() / 15085) & 1;
        CHECK_EQ((inb(0x61) >> 4) & 1, expect);
        CHECK_EQ((inb(0x61) >> 4) & 1, expect);   /* frozen clock: stands still */
        seen[expect]++;
    }
    CHECK(seen[0] > 0 && seen[1] > 0);
}

TEST_CASE(reset_stops_channel0)
{
    setup();
    outb(0x43, 0x34);
    write_word(0x40, 1193);
    CHECK_EQ(irq_level, 1);
    machine_reset_devices(m);
    CHECK_EQ(irq_level, 0);
    int rises = irq_rises;
    run_timers_ms(5);
    CHECK_EQ(irq_rises, rises);
    CHECK_EQ(inb(0x61) & 0x2F, 0);
}

int main(void)
{
    clock_virtual_ns();   /* start the virtual clock before pausing it */
    RUN(mode0_counts_down_then_out_rises);
    RUN(latch_holds_value_until_read);
    RUN(read_back_status_then_count);
    RUN(read_back_latches_several_counters);
    RUN(access_modes_and_flip_flops);
    RUN(bcd_counting);
    RUN(mode0_gate_low_pauses_counting);
    RUN(mode1_gate_triggers_one_shot);
    RUN(mode2_rate_generator_exact);
    RUN(mode2_new_count_waits_for_period_end);
    RUN(mode2_gate_low_forces_out_high_and_restarts);
    RUN(mode3_square_wave_exact);
    RUN(mode3_odd_count_halves);
    RUN(irq0_timer_armed_at_exact_edge);
    RUN(irq0_fast_rate_timer_spacing);
    RUN(irq0_mode2_periodic_rate);
    RUN(irq0_mode3_periodic_rate);
    RUN(irq0_mode0_one_shot_not_early);
    RUN(irq0_late_timer_merges_edges);
    RUN(irq0_count1_is_rate_limited);
    RUN(irq0_mode4_strobe);
    RUN(linux_pit_calibrate_tsc);
    RUN(linux_quick_pit_msb_steps_down);
    RUN(port61_bits);
    RUN(reset_stops_channel0);
    TEST_EXIT();
}
