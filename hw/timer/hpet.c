/*
 * HPET event timer block: 64-bit main counter at 100 MHz computed from the
 * virtual clock, three 64-bit comparators (one-shot or periodic, optional
 * 32-bit mode), level/edge interrupts routed to IOAPIC inputs or, in legacy
 * replacement mode, to ISA IRQ0/IRQ8. Reference: IA-PC HPET Specification
 * 1.0a, sections 2.3 (registers) and 2.4 (modes). Left out: FSB (MSI)
 * delivery; two level-triggered timers sharing one line are not wire-ORed.
 */
#include <stdlib.h>

#include "hw/timer/hpet.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define HPET_TICK_NS (NS_PER_SEC / (int64_t)HPET_FREQ_HZ)
#define HPET_PERIOD_FS (1000000000000000ull / HPET_FREQ_HZ)
_Static_assert(NS_PER_SEC % HPET_FREQ_HZ == 0, "the HPET tick must be a whole number of ns");
_Static_assert(((HPET_CAP_ID_LOW >> 8) & 0x1f) == HPET_NUM_TIMERS - 1, "NUM_TIM_CAP");
/* A periodic comparator is never serviced more often than this; missed
 * periods merge into one interrupt (the main counter stays exact). */
#define HPET_MIN_PERIOD_NS 10000
/* Events further ahead (73 years) are never armed: a comparator the
 * counter has just passed, which matches again only after 2^64 ticks. */
#define HPET_MAX_AHEAD_TICKS ((uint64_t)INT64_MAX / 4 / HPET_TICK_NS)

/* Registers (spec 2.3.1) */
#define REG_CAP     0x000
#define REG_CONFIG  0x010
#define REG_STATUS  0x020
#define REG_COUNTER 0x0f0
#define REG_TIMER0  0x100
#define TIMER_STRIDE 0x20
#define TIMER_CONF  0x00
#define TIMER_CMP   0x08
#define TIMER_FSB   0x10

#define CFG_ENABLE  (1ull << 0)
#define CFG_LEGACY  (1ull << 1)

#define TN_LEVEL       (1ull << 1)
#define TN_INT_ENB     (1ull << 2)
#define TN_PERIODIC    (1ull << 3)
#define TN_PER_CAP     (1ull << 4)
#define TN_SIZE_CAP    (1ull << 5)
#define TN_VAL_SET     (1ull << 6)
#define TN_32BIT       (1ull << 8)
#define TN_ROUTE_SHIFT 9
#define TN_ROUTE_MASK  (0x1full << TN_ROUTE_SHIFT)
#define TN_WRITABLE    (TN_LEVEL | TN_INT_ENB | TN_PERIODIC | TN_VAL_SET | TN_32BIT | TN_ROUTE_MASK)
#define TN_CAPS        (TN_PER_CAP | TN_SIZE_CAP | (uint64_t)HPET_ROUTE_CAP << 32)

#define WRAP32 (1ull << 32)

typedef struct Hpet Hpet;

typedef struct HpetTimer {
    Hpet *hpet;
    int n;
    uint64_t conf;        /* writable bits; capabilities are added on read */
    uint64_t cmp;         /* comparator (the accumulator in periodic mode) */
    uint64_t period;      /* last value written in periodic mode */
    uint64_t done_tick;   /* events up to this counter value are signalled */
    IrqLine *asserted;    /* line held high for a level interrupt */
    Timer *timer;
} HpetTimer;

struct Hpet {
    HpetWiring wiring;
    uint64_t config;
    uint64_t status;
    uint64_t counter;     /* main counter at enable_ns (its value while halted) */
    int64_t enable_ns;
    HpetTimer t[HPET_NUM_TIMERS];
};

static bool hpet_enabled(const Hpet *s) { return (s->config & CFG_ENABLE) != 0; }

static uint64_t hpet_counter(const Hpet *s, int64_t now)
{
    if (!hpet_enabled(s))
        return s->counter;
    return s->counter + (uint64_t)((now - s->enable_ns) / HPET_TICK_NS);
}

static IrqLine *hpet_route(const HpetTimer *t)
{
    const Hpet *s = t->hpet;
    if ((s->config & CFG_LEGACY) && t->n < 2)
        return t->n == 0 ? s->wiring.legacy_irq0 : s->wiring.legacy_irq8;
    return s->wiring.route[(t->conf & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT];
}

/* A level interrupt holds its line while its status bit is set, the timer
 * may interrupt and the block is enabled (spec 2.3.6). */
static void hpet_update_line(HpetTimer *t)
{
    const Hpet *s = t->hpet;
    IrqLine *want = NULL;
    if ((t->conf & TN_LEVEL) && (t->conf & TN_INT_ENB) && hpet_enabled(s) &&
        (s->status >> t->n & 1))
        want = hpet_route(t);
    if (want == t->asserted)
        return;
    if (t->asserted)
        irq_lower(t->asserted);
    t->asserted = want;
    if (want)
        irq_raise(want);
}

static void hpet_fire(HpetTimer *t)
{
    if (t->conf & TN_LEVEL) {
        /* The status bit is set even with Tn_INT_ENB_CNF clear (2.3.8). */
        t->hpet->status |= 1ull << t->n;
        hpet_update_line(t);
    } else if (t->conf & TN_INT_ENB) {
        irq_pulse(hpet_route(t));
    }
}

/* Counter values are compared by their distance forward from done_tick,
 * never by magnitude: the main counter wraps at 2^64 and a guest may write
 * it just below that, and a comparator the counter has passed is not due
 * again until the counter comes round (a match is equality, not >=).
 * hpet_next_event returns that distance of the timer's next event, 0 when
 * there is none; *wrap_only says the event is a 32-bit wrap, not a match. */
static uint64_t hpet_next_event(const HpetTimer *t, bool *wrap_only)
{
    uint64_t last = t->done_tick;
    *wrap_only = false;
    if (!(t->conf & TN_32BIT))
        return t->cmp - last;   /* 0: matched at done_tick, next after 2^64 ticks */
    /* 32-bit mode: the low half matches every 2^32 ticks, and a one-shot
     * also signals when the low half wraps (spec 2.3.9.2.1). */
    uint64_t to_match = ((uint32_t)t->cmp - (uint32_t)last - 1u) + 1ull;   /* 1..2^32 */
    uint64_t to_wrap = WRAP32 - (uint32_t)last;                            /* 1..2^32 */
    if (!(t->conf & TN_PERIODIC) && to_wrap < to_match) {
        *wrap_only = true;
        return to_wrap;
    }
    return to_match;
}

/* Signal the events up to counter value `cnt` (at or after done_tick):
 * several are merged into one interrupt, and a periodic comparator moves
 * on by whole periods past `cnt`. */
static void hpet_process(HpetTimer *t, uint64_t cnt)
{
    bool wrap_only;
    uint64_t elapsed = cnt - t->done_tick;
    if (!hpet_enabled(t->hpet)) {
        t->done_tick = cnt;
        return;
    }
    if (elapsed == 0)
        return;
    uint64_t dist = hpet_next_event(t, &wrap_only);
    if (dist != 0 && dist <= elapsed) {
        hpet_fire(t);
        uint64_t period = (t->conf & TN_32BIT) ? (uint32_t)t->period : t->period;
        if (!wrap_only && (t->conf & TN_PERIODIC) && period) {
            uint64_t ev = t->done_tick + dist;
            uint64_t next = ev + ((cnt - ev) / period + 1) * period;
            t->cmp = (t->conf & TN_32BIT) ? (uint32_t)next : next;
        }
    }
    t->done_tick = cnt;
}

/* Arm the host timer for the next event. done_tick is the counter as of
 * the last catch-up, so the event lies `dist` ticks after the instant the
 * counter read done_tick: always in the future, never re-armed at a past
 * instant (which would fire the callback over and over). */
static void hpet_schedule(HpetTimer *t)
{
    Hpet *s = t->hpet;
    bool wrap_only;
    uint64_t dist = hpet_enabled(s) ? hpet_next_event(t, &wrap_only) : 0;
    if (dist == 0 || dist > HPET_MAX_AHEAD_TICKS) {
        timer_del(t->timer);   /* none, or centuries away (a comparator just passed) */
        return;
    }
    uint64_t since_enable = t->done_tick - s->counter;   /* ticks, < 2^63 / 10 */
    int64_t when = s->enable_ns + (int64_t)(since_enable + dist) * HPET_TICK_NS;
    int64_t now = clock_virtual_ns();
    if ((t->conf & TN_PERIODIC) && t->period < HPET_MIN_PERIOD_NS / HPET_TICK_NS &&
        when < now + HPET_MIN_PERIOD_NS)
        when = now + HPET_MIN_PERIOD_NS;
    timer_mod(t->timer, when);
}

static void hpet_timer_cb(void *opaque)
{
    HpetTimer *t = opaque;
    hpet_process(t, hpet_counter(t->hpet, clock_virtual_ns()));
    hpet_schedule(t);
}

/* Bring every comparator up to now before a register access. */
static void hpet_catch_up(Hpet *s)
{
    uint64_t cnt = hpet_counter(s, clock_virtual_ns());
    for (int i = 0; i < HPET_NUM_TIMERS; i++)
        hpet_process(&s->t[i], cnt);
}

static void hpet_reschedule_all(Hpet *s)
{
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        hpet_update_line(&s->t[i]);
        hpet_schedule(&s->t[i]);
    }
}

/* ---- Registers ---------------------------------------------------------- */

static uint64_t hpet_reg_read(Hpet *s, unsigned reg)
{
    if (reg >= REG_TIMER0 && reg < REG_TIMER0 + HPET_NUM_TIMERS * TIMER_STRIDE) {
        HpetTimer *t = &s->t[(reg - REG_TIMER0) / TIMER_STRIDE];
        switch ((reg - REG_TIMER0) % TIMER_STRIDE) {
        case TIMER_CONF: return t->conf | TN_CAPS;
        case TIMER_CMP:
            hpet_catch_up(s);
            return (t->conf & TN_32BIT) ? (uint32_t)t->cmp : t->cmp;
        default: return 0;   /* FSB route: not capable */
        }
    }
    switch (reg) {
    case REG_CAP: return HPET_PERIOD_FS << 32 | HPET_CAP_ID_LOW;
    case REG_CONFIG: return s->config;
    case REG_STATUS:
        hpet_catch_up(s);
        return s->status;
    case REG_COUNTER: return hpet_counter(s, clock_virtual_ns());
    default: return 0;
    }
}

static void hpet_write_timer_conf(HpetTimer *t, uint64_t value, uint64_t mask)
{
    uint64_t old = t->conf;
    uint64_t v = (old & ~(mask & TN_WRITABLE)) | (value & mask & TN_WRITABLE);
    unsigned route = (unsigned)((v & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
    if ((v ^ old) & TN_ROUTE_MASK && !(HPET_ROUTE_CAP >> route & 1)) {
        guest_error("hpet: timer %d cannot be routed to IOAPIC input %u\n", t->n, route);
        v = (v & ~TN_ROUTE_MASK) | (old & TN_ROUTE_MASK);
    }
    if ((v & TN_32BIT) && !(old & TN_32BIT)) {
        t->cmp = (uint32_t)t->cmp;
        t->period = (uint32_t)t->period;
    }
    if (!(v & TN_LEVEL))
        t->hpet->status &= ~(1ull << t->n);   /* status is level-only */
    t->conf = v;
}

static void hpet_write_timer_cmp(HpetTimer *t, uint64_t value, uint64_t mask)
{
    if (t->conf & TN_32BIT)
        mask &= 0xffffffffull;
    /* Periodic: the value is the period; with Tn_VAL_SET_CNF it also sets
     * the accumulator (the next match). The bit clears itself (2.3.8). */
    if (!(t->conf & TN_PERIODIC) || (t->conf & TN_VAL_SET))
        t->cmp = (t->cmp & ~mask) | (value & mask);
    if (t->conf & TN_PERIODIC)
        t->period = (t->period & ~mask) | (value & mask);
    t->conf &= ~TN_VAL_SET;
}

static void hpet_reg_write(Hpet *s, unsigned reg, uint64_t value, uint64_t mask)
{
    int64_t now = clock_virtual_ns();
    hpet_catch_up(s);
    if (reg >= REG_TIMER0 && reg < REG_TIMER0 + HPET_NUM_TIMERS * TIMER_STRIDE) {
        HpetTimer *t = &s->t[(reg - REG_TIMER0) / TIMER_STRIDE];
        switch ((reg - REG_TIMER0) % TIMER_STRIDE) {
        case TIMER_CONF: hpet_write_timer_conf(t, value, mask); break;
        case TIMER_CMP: hpet_write_timer_cmp(t, value, mask); break;
        default: break;   /* FSB route: not capable */
        }
        hpet_update_line(t);
        hpet_schedule(t);
        return;
    }
    switch (reg) {
    case REG_CONFIG: {
        uint64_t old = s->config;
        uint64_t v = (old & ~(mask & 3)) | (value & mask & 3);
        if ((old ^ v) & CFG_ENABLE) {
            s->counter = hpet_counter(s, now);
            s->enable_ns = now;
            for (int i = 0; i < HPET_NUM_TIMERS; i++)
                s->t[i].done_tick = s->counter;
        }
        s->config = v;
        if (((old ^ v) & CFG_LEGACY) && s->wiring.legacy_changed)
            s->wiring.legacy_changed(s->wiring.opaque, (v & CFG_LEGACY) != 0);
        break;
    }
    case REG_STATUS:
        s->status &= ~(value & mask);
        break;
    case REG_COUNTER:
        if (hpet_enabled(s))
            guest_error("hpet: main counter written while running\n");
        s->counter = (hpet_counter(s, now) & ~mask) | (value & mask);
        s->enable_ns = now;
        for (int i = 0; i < HPET_NUM_TIMERS; i++)
            s->t[i].done_tick = s->counter;
        break;
    case REG_CAP:
        break;   /* read-only */
    default:
        guest_error("hpet: write to reserved offset 0x%x\n", reg);
        return;
    }
    hpet_reschedule_all(s);
}

static uint64_t hpet_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)size;
    return hpet_reg_read(opaque, (unsigned)offset & ~7u) >> ((offset & 7) * 8);
}

static void hpet_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    unsigned reg = (unsigned)offset & ~7u;
    if (size == 8 && !(offset & 7)) {
        hpet_reg_write(opaque, reg, value, ~0ull);
    } else if (size == 4 && !(offset & 3)) {
        unsigned shift = (offset & 4) ? 32 : 0;
        hpet_reg_write(opaque, reg, value << shift, 0xffffffffull << shift);
    } else {
        guest_error("hpet: %u-byte write at 0x%llx ignored (32/64-bit aligned only)\n", size,
                    (unsigned long long)offset);
    }
}

static const MemoryRegionOps hpet_mmio_ops = {
    .read = hpet_mmio_read,
    .write = hpet_mmio_write,
    .min_access = 1,
    .max_access = 8,
};

static void hpet_reset(void *opaque)
{
    Hpet *s = opaque;
    bool was_legacy = (s->config & CFG_LEGACY) != 0;
    s->config = 0;
    s->status = 0;
    s->counter = 0;
    s->enable_ns = 0;
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        HpetTimer *t = &s->t[i];
        t->conf = 0;
        t->cmp = ~0ull;    /* spec 2.3.8: comparators reset to all ones */
        t->period = 0;
        t->done_tick = 0;
        hpet_update_line(t);
        timer_del(t->timer);
    }
    if (was_legacy && s->wiring.legacy_changed)
        s->wiring.legacy_changed(s->wiring.opaque, false);
}

Hpet *hpet_create(Machine *m, const HpetWiring *wiring)
{
    Hpet *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->wiring = *wiring;
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        s->t[i].hpet = s;
        s->t[i].n = i;
        s->t[i].timer = timer_new(hpet_timer_cb, &s->t[i]);
    }
    as_map_io(m->mem, "hpet", HPET_BASE, HPET_MMIO_SIZE, &hpet_mmio_ops, s);
    machine_add_reset(m, hpet_reset, s);
    hpet_reset(s);
    return s;
}
