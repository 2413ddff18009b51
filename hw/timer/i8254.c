/*
 * Intel 8254 programmable interval timer as wired in a PC: CLK 1.193182 MHz
 * on all three counters, gates 0/1 tied high, gate 2 and OUT2 on port 0x61,
 * OUT0 on IRQ 0. Reference: Intel 8254 datasheet (231164), modes 0-5.
 * Counts are computed from the virtual clock on demand, never ticked.
 * Left out: sound on the speaker; the refresh toggle runs at its usual
 * 15.085 us whatever channel 1 is programmed to; in mode 3 a new count
 * waits for the end of the whole period rather than of the half-cycle.
 */
#include <stdlib.h>

#include "hw/timer/i8254.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define PIT_CHANNELS 3
#define PIT_PORT 0x40
#define PIT_PORT61 0x61
#define PIT_NO_TICK INT64_MAX
/* Channel 0 edges are delivered at most this often: a guest that asks for
 * a rate generator with count 1 or 2 (0.6-1.2 MHz) would otherwise make the
 * main loop do nothing but fire this timer. 50 us (20 kHz) is above any
 * rate a PC OS uses for its tick; edges falling in between are merged into
 * one (the PIC only latches one request per line anyway). Reading the
 * counter stays exact. */
#define PIT_MIN_IRQ_PERIOD_NS 50000
/* DRAM refresh request period: port 0x61 bit 4 flips once per request. */
#define PIT_REFRESH_NS 15085

/* Control word fields */
#define CTRL_BCD 0x01
#define CTRL_MODE_SHIFT 1
#define CTRL_ACCESS_SHIFT 4
#define CTRL_SELECT_SHIFT 6
enum { ACCESS_LATCH, ACCESS_LSB, ACCESS_MSB, ACCESS_WORD };
#define SELECT_READ_BACK 3
/* Read-back command: bits active low */
#define READ_BACK_NO_COUNT 0x20
#define READ_BACK_NO_STATUS 0x10
/* Status byte */
#define STATUS_OUT 0x80
#define STATUS_NULL_COUNT 0x40

/* Port 0x61 (system control port B) */
#define PORT61_GATE2 0x01
#define PORT61_SPEAKER 0x02
#define PORT61_WRITABLE 0x0F       /* gate, speaker, parity/IOCHK enables */
#define PORT61_REFRESH 0x10
#define PORT61_OUT2 0x20

typedef struct PitChannel {
    uint8_t ctrl;           /* bits 5-0 of the last control word */
    int mode;               /* 0-5 (6 and 7 folded onto 2 and 3) */
    int access;
    bool bcd;
    bool gate;
    /* Counting: from tick load_tick on, the counter holds `start` and
     * moves one CLK per tick. While !running it is frozen at `start` and
     * OUT is out_idle (also OUT before load_tick). */
    uint32_t count;         /* N from the count register, 1..65536 */
    uint32_t start;
    int64_t load_tick;
    bool running;
    bool out_idle;
    bool count_written;     /* since the last control word */
    /* Modes 2/3: a count written mid-period waits for the period's end. */
    bool pending;
    uint32_t pending_count;
    int64_t pending_tick;
    int64_t null_until;     /* null count until this tick (CR -> CE) */
    /* Bus side: flip-flops and latches */
    bool write_msb_next;
    uint8_t write_lsb;
    bool read_msb_next;
    bool count_latched;
    uint16_t latched_count;
    bool status_latched;
    uint8_t status;
} PitChannel;

struct Pit {
    PitChannel ch[PIT_CHANNELS];
    uint8_t port61;         /* writable bits of port 0x61 */
    IrqLine *irq0;
    Timer *irq_timer;
    int irq_level;          /* what irq0 was last set to */
    int64_t irq_tick;       /* channel 0 edges are handled up to here */
    int64_t irq_rise_ns;    /* when irq0 last rose */
};

/* The only source of time in this file. */
static int64_t pit_now_ns(void)
{
    return clock_virtual_ns();
}

/* Absolute CLK ticks since virtual time 0; the split avoids overflowing
 * ns * PIT_FREQ_HZ. */
static int64_t pit_ns_to_tick(int64_t ns)
{
    return ns / NS_PER_SEC * PIT_FREQ_HZ + ns % NS_PER_SEC * PIT_FREQ_HZ / NS_PER_SEC;
}

/* First ns at which pit_ns_to_tick() reaches tick. */
static int64_t pit_tick_to_ns(int64_t tick)
{
    return tick / PIT_FREQ_HZ * NS_PER_SEC +
           (tick % PIT_FREQ_HZ * NS_PER_SEC + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ;
}

static int64_t pit_now_tick(void)
{
    return pit_ns_to_tick(pit_now_ns());
}

static uint32_t channel_modulus(const PitChannel *c)
{
    return c->bcd ? 10000 : 65536;
}

/* Period of the rate generator / square wave. Count 1 is illegal there;
 * it runs as 2 so OUT still toggles. */
static int64_t channel_period(const PitChannel *c)
{
    return c->count < 2 ? 2 : c->count;
}

/* A count written mid-period in mode 2/3 takes over at the period's end. */
static void channel_sync(PitChannel *c, int64_t tick)
{
    if (c->pending && tick >= c->pending_tick) {
        c->count = c->start = c->pending_count;
        c->load_tick = c->pending_tick;
        c->pending = false;
    }
}

static bool channel_out(const PitChannel *c, int64_t tick)
{
    if (!c->running || tick < c->load_tick)
        return c->out_idle;
    int64_t e = tick - c->load_tick;
    int64_t n = channel_period(c);
    switch (c->mode) {
    case 0:
        return c->out_idle || e >= c->start;
    case 1:
        return e >= c->start;
    case 2:
        return e % n != n - 1;
    case 3:
        return e % n < (n + 1) / 2;
    default: /* 4, 5: one-CLK low strobe when the count expires */
        return e != c->start;
    }
}

/* Counter element value at tick (0..modulus-1; 65536 reads as 0). */
static uint32_t channel_value(const PitChannel *c, int64_t tick)
{
    if (!c->running || tick < c->load_tick)
        return c->start % channel_modulus(c);
    int64_t e = tick - c->load_tick;
    int64_t mod = channel_modulus(c);
    int64_t n = c->count, v;
    switch (c->mode) {
    case 2:
        v = n - e % n;
        break;
    case 3: {
        /* Decrements by two from the even part of N, reloading at each
         * half-cycle; the high half of an odd N is one CLK longer. */
        int64_t half = (n + 1) / 2, phase = e % n;
        v = (n & ~1) - 2 * (phase < half ? phase : phase - half);
        break;
    }
    default: /* one-shot modes keep counting down and wrap */
        v = (int64_t)c->start - e % mod + mod;
        break;
    }
    return (uint32_t)(v % mod);
}

/* The first tick after `tick` at which OUT changes, or PIT_NO_TICK. */
static int64_t channel_next_edge(const PitChannel *c, int64_t tick)
{
    if (!c->running)
        return PIT_NO_TICK;
    int64_t k = tick + 1 - c->load_tick;    /* first candidate, in e */
    int64_t n = channel_period(c), e;
    if (k < 0)
        k = 0;
    switch (c->mode) {
    case 0:
        if (c->out_idle || k > c->start)
            return PIT_NO_TICK;
        e = c->start;
        break;
    case 1:
        if (k == 0 && c->out_idle && c->start > 0)
            e = 0;
        else if (k <= c->start)
            e = c->start;
        else
            return PIT_NO_TICK;
        break;
    case 2: {
        int64_t phase = k % n;
        e = (phase == 0 && k > 0) ? k : k + (n - 1 - phase);
        break;
    }
    case 3: {
        int64_t phase = k % n, half = (n + 1) / 2;
        if (phase == 0 && k > 0)
            e = k;
        else if (phase <= half)
            e = k + (half - phase);
        else
            e = k + (n - phase);
        break;
    }
    default: /* 4, 5 */
        if (k <= c->start)
            e = c->start;
        else if (k == c->start + 1)
            e = k;
        else
            return PIT_NO_TICK;
        break;
    }
    return c->load_tick + e;
}

/* Bring irq0 up to date with channel 0 at the current time. Edges that
 * passed since the last call (a late timer, or a burst merged by the
 * rate limit) still show up on the line as one rising edge. */
static void pit_irq_update(Pit *p)
{
    PitChannel *c = &p->ch[0];
    int64_t now_ns = pit_now_ns();
    int64_t now = pit_ns_to_tick(now_ns);
    bool rose = false;
    int64_t t = p->irq_tick;
    /* At most a falling then a rising edge is needed to know. */
    for (int i = 0; i < 3 && t < now; i++) {
        channel_sync(c, t);
        int64_t edge = channel_next_edge(c, t);
        if (edge > now)
            break;
        channel_sync(c, edge);
        if (channel_out(c, edge)) {
            rose = true;
            break;
        }
        t = edge;
    }
    channel_sync(c, now);
    int level = channel_out(c, now);
    if (rose || (level && !p->irq_level))
        p->irq_rise_ns = now_ns;
    if (rose) {
        if (p->irq_level)
            irq_set(p->irq0, 0);
        irq_set(p->irq0, 1);
        p->irq_level = 1;
    }
    if (level != p->irq_level) {
        irq_set(p->irq0, level);
        p->irq_level = level;
    }
    p->irq_tick = now;

    int64_t edge = channel_next_edge(c, now);
    if (edge == PIT_NO_TICK) {
        timer_del(p->irq_timer);
        return;
    }
    int64_t expire = pit_tick_to_ns(edge);
    if ((c->mode == 2 || c->mode == 3) && expire < p->irq_rise_ns + PIT_MIN_IRQ_PERIOD_NS)
        expire = p->irq_rise_ns + PIT_MIN_IRQ_PERIOD_NS;
    timer_mod(p->irq_timer, expire);
}

static void pit_irq_timer(void *opaque)
{
    pit_irq_update(opaque);
}

/* Freeze the counter where it is (gate low, mode 0 LSB write, new mode). */
static void channel_freeze(PitChannel *c, int64_t tick)
{
    if (c->running) {
        bool out = channel_out(c, tick);
        c->start = channel_value(c, tick);
        c->out_idle = out;
        c->running = false;
    }
}

/* The count register got a complete new value. */
static void channel_load_count(PitChannel *c, uint16_t raw, int64_t tick)
{
    uint32_t n;
    if (c->bcd) {
        if ((raw & 0x000F) > 9 || (raw & 0x00F0) > 0x90 || (raw & 0x0F00) > 0x900 ||
            (raw & 0xF000) > 0x9000)
            guest_error("i8254: count 0x%04x is not BCD\n", raw);
        n = (raw >> 12) * 1000 + ((raw >> 8) & 0xF) * 100 + ((raw >> 4) & 0xF) * 10 + (raw & 0xF);
    } else {
        n = raw;
    }
    if (n == 0)
        n = channel_modulus(c);
    if ((c->mode == 2 || c->mode == 3) && n == 1)
        guest_error("i8254: count 1 is illegal in mode %d\n", c->mode);
    c->count_written = true;

    switch (c->mode) {
    case 1:
    case 5:
        /* Waits in the count register for a gate trigger. */
        c->count = n;
        c->null_until = PIT_NO_TICK;
        return;
    case 2:
    case 3:
        if (c->running && tick >= c->load_tick && c->gate) {
            int64_t period = channel_period(c);
            int64_t end = c->load_tick + ((tick - c->load_tick) / period + 1) * period;
            if (!c->pending)
                c->pending_tick = end;
            c->pending = true;
            c->pending_count = n;
            c->null_until = c->pending_tick;
            return;
        }
        c->out_idle = true;
        break;
    case 0:
        c->out_idle = false;   /* OUT drops as soon as a count is written */
        break;
    default: /* 4 */
        c->out_idle = true;
        break;
    }
    c->count = c->start = n;
    c->null_until = tick + 1;
    c->load_tick = tick + 1;
    c->running = c->gate;
}

static void channel_set_gate(PitChannel *c, bool gate, int64_t tick)
{
    if (gate == c->gate)
        return;
    c->gate = gate;
    switch (c->mode) {
    case 0:
    case 4:
        /* Gate low only suspends counting. */
        if (!gate) {
            channel_freeze(c, tick);
            if (c->mode == 4)
                c->out_idle = true;
        } else if (c->count_written) {
            c->running = true;
            c->load_tick = tick;
        }
        break;
    case 1:
    case 5:
        /* Rising edge (re)triggers from the count register. */
        if (gate && c->count_written) {
            c->out_idle = c->mode == 1 ? channel_out(c, tick) : true;
            c->start = c->count;
            c->load_tick = tick + 1;
            c->running = true;
            if (c->null_until > tick)
                c->null_until = tick + 1;
        }
        break;
    default: /* 2, 3: gate low forces OUT high; rising edge restarts */
        if (!gate) {
            channel_sync(c, tick);
            channel_freeze(c, tick);
            c->out_idle = true;
        } else if (c->count_written) {
            if (c->pending) {
                c->count = c->pending_count;
                c->pending = false;
            }
            c->start = c->count;
            c->load_tick = tick + 1;
            c->running = true;
            if (c->null_until > tick)
                c->null_until = tick + 1;
        }
        break;
    }
}

static void channel_control(PitChannel *c, uint8_t v, int64_t tick)
{
    channel_sync(c, tick);
    channel_freeze(c, tick);
    c->ctrl = v & 0x3F;
    c->access = (v >> CTRL_ACCESS_SHIFT) & 3;
    c->mode = (v >> CTRL_MODE_SHIFT) & 7;
    if (c->mode > 5)
        c->mode -= 4;
    c->bcd = v & CTRL_BCD;
    c->running = false;
    c->pending = false;
    c->count_written = false;
    c->out_idle = c->mode != 0;
    c->null_until = PIT_NO_TICK;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->status_latched = false;
}

static uint16_t channel_encode(const PitChannel *c, uint32_t v)
{
    if (!c->bcd)
        return (uint16_t)v;
    return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static void channel_latch_count(PitChannel *c, int64_t tick)
{
    if (c->count_latched)
        return;   /* the first latch holds until read */
    channel_sync(c, tick);
    c->latched_count = channel_encode(c, channel_value(c, tick));
    c->count_latched = true;
}

static void channel_latch_status(PitChannel *c, int64_t tick)
{
    if (c->status_latched)
        return;
    channel_sync(c, tick);
    c->status = c->ctrl | (channel_out(c, tick) ? STATUS_OUT : 0) |
                (tick < c->null_until ? STATUS_NULL_COUNT : 0);
    c->status_latched = true;
}

static uint8_t channel_read(PitChannel *c, int64_t tick)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v;
    if (c->count_latched) {
        v = c->latched_count;
    } else {
        channel_sync(c, tick);
        v = channel_encode(c, channel_value(c, tick));
    }
    bool msb;
    bool done = true;
    switch (c->access) {
    case ACCESS_MSB:
        msb = true;
        break;
    case ACCESS_WORD:
        msb = c->read_msb_next;
        c->read_msb_next = !msb;
        done = msb;
        break;
    default:
        msb = false;
        break;
    }
    if (done)
        c->count_latched = false;
    return msb ? v >> 8 : v & 0xFF;
}

static void channel_write(PitChannel *c, uint8_t v, int64_t tick)
{
    channel_sync(c, tick);
    switch (c->access) {
    case ACCESS_LSB:
        channel_load_count(c, v, tick);
        break;
    case ACCESS_MSB:
        channel_load_count(c, (uint16_t)(v << 8), tick);
        break;
    default:
        if (!c->write_msb_next) {
            c->write_lsb = v;
            c->write_msb_next = true;
            if (c->mode == 0) {
                /* The first byte stops a mode 0 count and drops OUT. */
                channel_freeze(c, tick);
                c->out_idle = false;
            }
        } else {
            c->write_msb_next = false;
            channel_load_count(c, (uint16_t)(c->write_lsb | v << 8), tick);
        }
        break;
    }
}

static void pit_write_control(Pit *p, uint8_t v, int64_t tick)
{
    int select = v >> CTRL_SELECT_SHIFT;
    if (select == SELECT_READ_BACK) {
        for (int i = 0; i < PIT_CHANNELS; i++) {
            if (!(v & (2u << i)))
                continue;
            if (!(v & READ_BACK_NO_STATUS))
                channel_latch_status(&p->ch[i], tick);
            if (!(v & READ_BACK_NO_COUNT))
                channel_latch_count(&p->ch[i], tick);
        }
        return;
    }
    PitChannel *c = &p->ch[select];
    if (((v >> CTRL_ACCESS_SHIFT) & 3) == ACCESS_LATCH)
        channel_latch_count(c, tick);
    else
        channel_control(c, v, tick);
}

static uint64_t pit_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)size;
    Pit *p = opaque;
    if (offset == 3)
        return 0xFF;   /* the control word register cannot be read */
    return channel_read(&p->ch[offset], pit_now_tick());
}

static void pit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)size;
    Pit *p = opaque;
    bool ch0 = offset == 0 || (offset == 3 && ((value >> CTRL_SELECT_SHIFT) & 3) == 0);
    /* Settle channel 0's edges under the old programming first. */
    if (ch0)
        pit_irq_update(p);
    int64_t tick = pit_now_tick();
    if (offset == 3)
        pit_write_control(p, (uint8_t)value, tick);
    else
        channel_write(&p->ch[offset], (uint8_t)value, tick);
    if (ch0)
        pit_irq_update(p);
}

static uint64_t port61_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    Pit *p = opaque;
    int64_t ns = pit_now_ns();
    PitChannel *c = &p->ch[2];
    int64_t tick = pit_ns_to_tick(ns);
    channel_sync(c, tick);
    return p->port61 | ((ns / PIT_REFRESH_NS) & 1 ? PORT61_REFRESH : 0) |
           (channel_out(c, tick) ? PORT61_OUT2 : 0);
}

static void port61_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)offset;
    (void)size;
    Pit *p = opaque;
    p->port61 = value & PORT61_WRITABLE;
    int64_t tick = pit_now_tick();
    channel_sync(&p->ch[2], tick);
    channel_set_gate(&p->ch[2], value & PORT61_GATE2, tick);
}

static const MemoryRegionOps pit_ops = {
    .read = pit_read, .write = pit_write, .min_access = 1, .max_access = 1,
};
static const MemoryRegionOps port61_ops = {
    .read = port61_read, .write = port61_write, .min_access = 1, .max_access = 1,
};

/* Power-on: nothing counts until programmed; OUT0 low (mode 0), word
 * access so a stray read still behaves. Gate 2 is off like port 0x61. */
static void pit_reset(void *opaque)
{
    Pit *p = opaque;
    int64_t tick = pit_now_tick();
    for (int i = 0; i < PIT_CHANNELS; i++) {
        PitChannel *c = &p->ch[i];
        *c = (PitChannel){ .gate = i != 2 };
        channel_control(c, ACCESS_WORD << CTRL_ACCESS_SHIFT, tick);
    }
    p->port61 = 0;
    p->irq_tick = tick;
    timer_del(p->irq_timer);
    if (p->irq_level) {
        p->irq_level = 0;
        irq_set(p->irq0, 0);
    }
}

Pit *i8254_create(Machine *m, IrqLine *irq0)
{
    Pit *p = calloc(1, sizeof(*p));
    if (!p)
        fatal("out of memory");
    p->irq0 = irq0;
    p->irq_timer = timer_new(pit_irq_timer, p);
    as_map_io(m->io, "pit", PIT_PORT, 4, &pit_ops, p);
    as_map_io(m->io, "port61", PIT_PORT61, 1, &port61_ops, p);
    machine_add_reset(m, pit_reset, p);
    pit_reset(p);
    return p;
}
