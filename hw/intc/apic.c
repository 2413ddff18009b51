/*
 * xAPIC local APIC (version 0x14, six LVT entries) and the APIC bus that
 * carries fixed/lowest-priority/NMI/INIT/SIPI/ExtINT messages between
 * LAPICs, IOAPICs and MSI writers. Reference: Intel SDM vol. 3 ch. 10
 * (11 in newer editions). The timer counts X86_CRYSTAL_HZ / divider from the
 * virtual clock, computed on demand. Left out: x2APIC, SMI (logged), thermal
 * and performance-counter sources, EOI-broadcast suppression, remote read.
 *
 * One window per LAPIC is mapped at its own base on the machine's memory;
 * several windows at the same base overlap and whichever is hit asks
 * ApicCpuOps.current_cpu which CPU is accessing and serves that CPU's LAPIC.
 */
#include <stdlib.h>

#include "cpu/x86/cpu.h"        /* X86_CRYSTAL_HZ, X86_TSC_FREQ_HZ, APIC_BASE MSR bits */
#include "hw/intc/apic.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

_Static_assert(APIC_BUS_MAX_APICS <= 255, "physical destination 0xFF is the broadcast");
_Static_assert(NS_PER_SEC % X86_CRYSTAL_HZ == 0, "the LAPIC tick must be a whole number of ns");

#define APIC_TICK_NS (NS_PER_SEC / X86_CRYSTAL_HZ)
/* A periodic timer is never serviced more often than this: a guest asking
 * for count 1 at divide-by-1 (40 ns) would otherwise starve the main loop.
 * Missed periods merge into one interrupt (the IRR holds one anyway); the
 * current-count register stays exact. */
#define APIC_MIN_PERIOD_NS 10000
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

/* Register offsets (SDM vol. 3 Table 10-1). */
enum {
    REG_ID = 0x020, REG_VERSION = 0x030, REG_TPR = 0x080, REG_APR = 0x090,
    REG_PPR = 0x0a0, REG_EOI = 0x0b0, REG_RRD = 0x0c0, REG_LDR = 0x0d0,
    REG_DFR = 0x0e0, REG_SVR = 0x0f0, REG_ISR = 0x100, REG_TMR = 0x180,
    REG_IRR = 0x200, REG_ESR = 0x280, REG_ICR_LO = 0x300, REG_ICR_HI = 0x310,
    REG_LVT_FIRST = 0x320, REG_LVT_LAST = 0x370, REG_TIMER_INIT = 0x380,
    REG_TIMER_CUR = 0x390, REG_TIMER_DIV = 0x3e0,
};

/* Version 0x14 (integrated xAPIC), max LVT entry 5 (six entries). */
#define APIC_VERSION_VALUE 0x00050014u

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

#define LVT_VECTOR      0x000ffu
#define LVT_DM_SHIFT    8
#define LVT_REMOTE_IRR  (1u << 14)
#define LVT_LEVEL       (1u << 15)
#define LVT_MASKED      (1u << 16)
#define LVT_TIMER_SHIFT 17
enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_DEADLINE = 2 };

static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x700ff,      /* vector, mask, timer mode */
    [LVT_THERMAL] = 0x107ff,    /* vector, delivery mode, mask */
    [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff,      /* + polarity, trigger mode */
    [LVT_LINT1] = 0x1a7ff,
    [LVT_ERROR] = 0x100ff,
};

#define SVR_ENABLE        (1u << 8)
#define SVR_FOCUS_DISABLE (1u << 9)
#define SVR_WRITABLE      0x3ffu

#define ESR_SEND_ILLEGAL   (1u << 5)
#define ESR_RECV_ILLEGAL   (1u << 6)
#define ESR_ILLEGAL_REG    (1u << 7)

/* ICR low (SDM vol. 3 Figure 10-12); delivery status (bit 12) reads 0:
 * messages are delivered before the write returns. */
#define ICR_LO_WRITABLE 0x000ccfffu
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND_SHIFT 18
enum { SH_NONE, SH_SELF, SH_ALL, SH_ALL_BUT_SELF };

#define DFR_FLAT 0xfu

struct ApicBus {
    Machine *m;
    const ApicCpuOps *ops;
    void *opaque;
    Apic *apics[APIC_BUS_MAX_APICS];
    struct {
        void (*fn)(void *opaque, uint8_t vector);
        void *opaque;
    } eoi[APIC_BUS_MAX_EOI_LISTENERS];
    int neoi;
};

struct Apic {
    ApicBus *bus;
    int cpu;
    uint8_t initial_id;
    MemoryRegion *mr;
    IrqLine *lint[2];
    bool lint_level[2];

    uint64_t base_msr;
    uint8_t id;
    uint8_t tpr;
    uint32_t ldr, dfr, svr;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t esr, esr_pending;      /* readable ESR, errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    bool extint_pending;            /* an ExtINT message: INTA goes to the 8259 */
    int intr_level;

    /* Timer: from count_load_ns on, the counter held count_load and moved
     * one step per tick; periodic mode reloads initial_count at zero. */
    uint32_t initial_count, divide;
    bool counting;
    bool oneshot_due;               /* one-shot expiry not yet signalled */
    int64_t count_load_ns;
    uint32_t count_load;
    bool deadline_armed;
    int64_t deadline_ns;
    int64_t expiry_ns;              /* next event to signal, -1 for none */
    Timer *timer;
};

/* ---- 256-bit vector sets ------------------------------------------------ */

static void vec_set(uint32_t *v, int n) { v[n >> 5] |= 1u << (n & 31); }
static void vec_clear(uint32_t *v, int n) { v[n >> 5] &= ~(1u << (n & 31)); }
static bool vec_test(const uint32_t *v, int n) { return v[n >> 5] >> (n & 31) & 1; }

static int vec_highest(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--)
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

/* ---- State helpers -------------------------------------------------------- */

static bool apic_hw_enabled(const Apic *s) { return (s->base_msr & MSR_APIC_BASE_ENABLE) != 0; }
static bool apic_sw_enabled(const Apic *s) { return (s->svr & SVR_ENABLE) != 0; }
static uint64_t apic_base_addr(const Apic *s) { return s->base_msr & APIC_BASE_ADDR_MASK; }
static int lvt_dm(uint32_t lvt) { return (lvt >> LVT_DM_SHIFT) & 7; }
static int apic_timer_mode(const Apic *s) { return (s->lvt[LVT_TIMER] >> LVT_TIMER_SHIFT) & 3; }

/* PPR (SDM vol. 3 10.8.3.1). */
static uint8_t apic_ppr(const Apic *s)
{
    int isrv = vec_highest(s->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    return (s->tpr & 0xf0) >= isr_class ? s->tpr : isr_class;
}

/* APR (SDM vol. 3 10.8.3.1, the arbitration priority of lowest-priority
 * delivery). */
static uint8_t apic_apr(const Apic *s)
{
    int isrv = vec_highest(s->isr), irrv = vec_highest(s->irr);
    unsigned tpr_c = s->tpr >> 4;
    unsigned isr_c = isrv < 0 ? 0 : (unsigned)isrv >> 4;
    unsigned irr_c = irrv < 0 ? 0 : (unsigned)irrv >> 4;
    if (tpr_c >= irr_c && tpr_c > isr_c)
        return s->tpr;
    unsigned c = tpr_c > isr_c ? tpr_c : isr_c;
    return (uint8_t)((c > irr_c ? c : irr_c) << 4);
}

/* The 8259 reaches INTR: through LINT0 programmed ExtINT, through an
 * ExtINT message, or directly while the LAPIC is globally disabled (then
 * LINT0 is the processor's INTR pin). */
static bool apic_extint_active(const Apic *s)
{
    if (!apic_hw_enabled(s))
        return s->lint_level[0];
    if (s->extint_pending)
        return true;
    uint32_t lvt = s->lvt[LVT_LINT0];
    return !(lvt & LVT_MASKED) && lvt_dm(lvt) == APIC_DM_EXTINT && s->lint_level[0];
}

/* Highest IRR vector whose class beats PPR, or -1. Interrupts held in IRR
 * stay deliverable while software-disabled (SDM 10.4.7.2). */
static int apic_deliverable(const Apic *s)
{
    if (!apic_hw_enabled(s))
        return -1;
    int v = vec_highest(s->irr);
    if (v < 0 || (v & 0xf0) <= (apic_ppr(s) & 0xf0))
        return -1;
    return v;
}

static void apic_update_intr(Apic *s)
{
    int level = apic_extint_active(s) || apic_deliverable(s) >= 0;
    if (level != s->intr_level) {
        s->intr_level = level;
        s->bus->ops->set_intr(s->bus->opaque, s->cpu, level);
    }
}

static void apic_accept(Apic *s, int vector, bool level);

/* An error the LAPIC detected: logged in ESR at the next ESR write, and
 * signalled through LVT Error. */
static void apic_error(Apic *s, uint32_t bits)
{
    s->esr_pending |= bits;
    uint32_t lvt = s->lvt[LVT_ERROR];
    if (lvt & LVT_MASKED)
        return;
    if ((lvt & LVT_VECTOR) < 16) {
        s->esr_pending |= ESR_RECV_ILLEGAL;   /* and no interrupt: no loop */
        return;
    }
    apic_accept(s, lvt & LVT_VECTOR, false);
}

/* A fixed interrupt arrives (message or local source) (SDM 10.8.3). */
static void apic_accept(Apic *s, int vector, bool level)
{
    if (vector < 16) {
        apic_error(s, ESR_RECV_ILLEGAL);
        return;
    }
    if (!apic_sw_enabled(s))
        return;   /* a software-disabled LAPIC drops fixed interrupts */
    vec_set(s->irr, vector);
    if (level)
        vec_set(s->tmr, vector);
    else
        vec_clear(s->tmr, vector);
    apic_update_intr(s);
}

static void apic_signal_init(Apic *s);

/* A local source fires through its LVT entry (SDM 10.5.1). */
static void apic_lvt_deliver(Apic *s, int idx)
{
    uint32_t lvt = s->lvt[idx];
    if (lvt & LVT_MASKED)
        return;
    ApicBus *bus = s->bus;
    int dm = (idx == LVT_TIMER || idx == LVT_ERROR) ? APIC_DM_FIXED : lvt_dm(lvt);
    switch (dm) {
    case APIC_DM_FIXED:
        apic_accept(s, lvt & LVT_VECTOR, false);
        break;
    case APIC_DM_NMI:
        bus->ops->nmi(bus->opaque, s->cpu);
        break;
    case APIC_DM_SMI:
        if (bus->ops->smi)
            bus->ops->smi(bus->opaque, s->cpu);
        else
            log_unimp("apic %d: SMI from LVT %d not modelled\n", s->cpu, idx);
        break;
    case APIC_DM_INIT:
        apic_signal_init(s);
        break;
    case APIC_DM_EXTINT:
        break;    /* level-sensitive: apic_update_intr follows the pin */
    default:
        guest_error("apic %d: LVT %d has reserved delivery mode %d\n", s->cpu, idx, dm);
        break;
    }
}

/* LINT pin `pin` changed (or its LVT entry did): edge or level delivery.
 * Polarity is not applied: a pin is asserted when its driver says 1. */
static void apic_lint_eval(Apic *s, int pin, bool old_level)
{
    int idx = LVT_LINT0 + pin;
    uint32_t lvt = s->lvt[idx];
    bool level = s->lint_level[pin];
    if (lvt & LVT_MASKED)
        return;
    int dm = lvt_dm(lvt);
    if (dm == APIC_DM_EXTINT)
        return;
    /* Only LINT0 takes level-triggered fixed interrupts (SDM 10.5.1). */
    if (pin == 0 && dm == APIC_DM_FIXED && (lvt & LVT_LEVEL)) {
        if (level && !(lvt & LVT_REMOTE_IRR)) {
            s->lvt[idx] |= LVT_REMOTE_IRR;
            apic_accept(s, lvt & LVT_VECTOR, true);
        }
        return;
    }
    if (level && !old_level)
        apic_lvt_deliver(s, idx);
}

static void apic_lint_set(void *opaque, int pin, int level)
{
    Apic *s = opaque;
    bool old = s->lint_level[pin];
    s->lint_level[pin] = level != 0;
    if (!apic_hw_enabled(s)) {
        /* Without the LAPIC, LINT1 is the NMI pin. */
        if (pin == 1 && level && !old)
            s->bus->ops->nmi(s->bus->opaque, s->cpu);
    } else {
        apic_lint_eval(s, pin, old);
    }
    apic_update_intr(s);
}

/* EOI (SDM 10.8.5): retire the highest in-service vector; a level-triggered
 * one is broadcast to the IOAPICs and clears LINT0's remote IRR. */
static void apic_eoi(Apic *s)
{
    int v = vec_highest(s->isr);
    if (v < 0)
        return;
    vec_clear(s->isr, v);
    if (vec_test(s->tmr, v)) {
        ApicBus *bus = s->bus;
        for (int i = 0; i < bus->neoi; i++)
            bus->eoi[i].fn(bus->eoi[i].opaque, (uint8_t)v);
        uint32_t *lint0 = &s->lvt[LVT_LINT0];
        if ((*lint0 & LVT_REMOTE_IRR) && (int)(*lint0 & LVT_VECTOR) == v) {
            *lint0 &= ~LVT_REMOTE_IRR;
            apic_lint_eval(s, 0, true);
        }
    }
    apic_update_intr(s);
}

/* ---- Timer (SDM 10.5.4) ------------------------------------------------- */

static int64_t apic_tick_ns(const Apic *s)
{
    unsigned v = (s->divide & 3) | ((s->divide >> 1) & 4);
    return APIC_TICK_NS * (v == 7 ? 1 : 2 << v);
}

static uint32_t apic_timer_count(const Apic *s, int64_t now)
{
    if (!s->counting || apic_timer_mode(s) == TIMER_DEADLINE)
        return 0;
    int64_t e = (now - s->count_load_ns) / apic_tick_ns(s);
    if (e < s->count_load)
        return (uint32_t)(s->count_load - e);
    if (apic_timer_mode(s) != TIMER_PERIODIC || s->initial_count == 0)
        return 0;
    return (uint32_t)(s->initial_count - (e - s->count_load) % s->initial_count);
}

/* The next instant the timer signals, after everything already signalled. */
static int64_t apic_timer_next(const Apic *s, int64_t now)
{
    if (apic_timer_mode(s) == TIMER_DEADLINE)
        return s->deadline_armed ? s->deadline_ns : -1;
    if (!s->counting)
        return -1;
    int64_t tick = apic_tick_ns(s);
    int64_t first = s->count_load_ns + (int64_t)s->count_load * tick;
    if (apic_timer_mode(s) != TIMER_PERIODIC)
        return s->oneshot_due ? first : -1;
    if (now < first)
        return first;
    if (s->initial_count == 0)
        return -1;
    int64_t period = (int64_t)s->initial_count * tick;
    return first + ((now - first) / period + 1) * period;
}

/* Signal the pending event if its time has come. */
static void apic_timer_service(Apic *s)
{
    int64_t now = clock_virtual_ns();
    if (s->expiry_ns < 0 || now < s->expiry_ns)
        return;
    s->expiry_ns = -1;
    if (apic_timer_mode(s) == TIMER_DEADLINE) {
        if (!s->deadline_armed)
            return;
        s->deadline_armed = false;
        if (s->bus->ops->tsc_deadline_cleared)
            s->bus->ops->tsc_deadline_cleared(s->bus->opaque, s->cpu);
    } else if (apic_timer_mode(s) != TIMER_PERIODIC) {
        if (!s->oneshot_due)
            return;
        s->oneshot_due = false;
    } else if (!s->counting) {
        return;
    }
    apic_lvt_deliver(s, LVT_TIMER);
}

/* Recompute the next event from the registers and arm the host timer. */
static void apic_timer_schedule(Apic *s)
{
    int64_t now = clock_virtual_ns();
    s->expiry_ns = apic_timer_next(s, now);
    if (s->expiry_ns >= 0 && s->expiry_ns <= now) {
        apic_timer_service(s);
        s->expiry_ns = apic_timer_next(s, now);
    }
    if (s->expiry_ns < 0) {
        timer_del(s->timer);
        return;
    }
    int64_t when = s->expiry_ns;
    if (apic_timer_mode(s) == TIMER_PERIODIC &&
        (int64_t)s->initial_count * apic_tick_ns(s) < APIC_MIN_PERIOD_NS &&
        when < now + APIC_MIN_PERIOD_NS)
        when = now + APIC_MIN_PERIOD_NS;
    timer_mod(s->timer, when);
}

static void apic_timer_cb(void *opaque)
{
    Apic *s = opaque;
    apic_timer_service(s);
    apic_timer_schedule(s);
}

/* Restart counting from the current count (divider or mode change). */
static void apic_timer_rebase(Apic *s)
{
    int64_t now = clock_virtual_ns();
    uint32_t cur = apic_timer_count(s, now);
    s->count_load_ns = now;
    s->count_load = cur;
    s->counting = cur != 0;
    s->oneshot_due = cur != 0;
}

static void apic_timer_stop(Apic *s)
{
    s->counting = false;
    s->oneshot_due = false;
    s->deadline_armed = false;
    s->expiry_ns = -1;
    timer_del(s->timer);
}

/* ---- Reset and INIT ------------------------------------------------------- */

/* Power-up register state except the ID and IA32_APIC_BASE (SDM 10.4.7.1 and
 * 10.4.7.3: INIT and a global disable leave those alone). */
static void apic_clear_state(Apic *s)
{
    apic_timer_stop(s);
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffffu;
    s->svr = 0xff;
    for (int i = 0; i < 8; i++)
        s->isr[i] = s->tmr[i] = s->irr[i] = 0;
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (int i = 0; i < LVT_COUNT; i++)
        s->lvt[i] = LVT_MASKED;
    s->initial_count = 0;
    s->divide = 0;
    s->extint_pending = false;
}

static void apic_place_window(Apic *s)
{
    memory_region_move(s->mr, apic_base_addr(s));
    memory_region_set_enabled(s->mr, apic_hw_enabled(s));
}

static void apic_reset(void *opaque)
{
    Apic *s = opaque;
    apic_clear_state(s);
    s->id = s->initial_id;
    s->base_msr = X86_APIC_DEFAULT_BASE | MSR_APIC_BASE_ENABLE |
                  (s->cpu == 0 ? MSR_APIC_BASE_BSP : 0);
    /* What PC firmware leaves behind (virtual wire mode, MP spec 3.6.2.2):
     * the BSP's LINT0 unmasked as ExtINT, so the 8259 works for guests
     * booted directly, without a BIOS. */
    if (s->cpu == 0)
        s->lvt[LVT_LINT0] = APIC_DM_EXTINT << LVT_DM_SHIFT;
    apic_place_window(s);
    apic_update_intr(s);
}

static void apic_signal_init(Apic *s)
{
    apic_clear_state(s);
    apic_update_intr(s);
    s->bus->ops->init(s->bus->opaque, s->cpu);
}

/* ---- The bus ---------------------------------------------------------------- */

static bool apic_match_dest(const Apic *s, uint8_t dest, int dest_mode)
{
    if (dest_mode == APIC_DEST_PHYSICAL)
        return dest == 0xff || dest == s->id;
    uint8_t ldr = (uint8_t)(s->ldr >> 24);
    if ((s->dfr >> 28) == DFR_FLAT)
        return (ldr & dest) != 0;
    /* Cluster model: high nibble the cluster (0xF = all), low the members. */
    return ((dest >> 4) == 0xf || (dest >> 4) == (ldr >> 4)) && (dest & ldr & 0xf) != 0;
}

/* Lowest-priority arbitration: a focus processor (the vector already in its
 * IRR or ISR) wins; else the lowest APR; ties go to the lowest CPU index. */
static Apic *apic_arbitrate(Apic **cand, int n, uint8_t vector)
{
    Apic *best = NULL;
    for (int i = 0; i < n; i++) {
        Apic *c = cand[i];
        if (!apic_sw_enabled(c))
            continue;
        if (!(c->svr & SVR_FOCUS_DISABLE) && (vec_test(c->isr, vector) || vec_test(c->irr, vector)))
            return c;
        if (!best || apic_apr(c) < apic_apr(best))
            best = c;
    }
    return best;
}

static void apic_receive(Apic *s, int dm, uint8_t vector, int trigger)
{
    ApicBus *bus = s->bus;
    switch (dm) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        apic_accept(s, vector, trigger == APIC_TRIGGER_LEVEL);
        break;
    case APIC_DM_SMI:
        if (bus->ops->smi)
            bus->ops->smi(bus->opaque, s->cpu);
        else
            log_unimp("apic %d: SMI message not modelled\n", s->cpu);
        break;
    case APIC_DM_NMI:
        bus->ops->nmi(bus->opaque, s->cpu);
        break;
    case APIC_DM_INIT:
        apic_signal_init(s);
        break;
    case APIC_DM_STARTUP:
        bus->ops->sipi(bus->opaque, s->cpu, vector);
        break;
    case APIC_DM_EXTINT:
        s->extint_pending = true;
        apic_update_intr(s);
        break;
    default:
        guest_error("apic %d: message with reserved delivery mode %d\n", s->cpu, dm);
        break;
    }
}

static void apic_bus_send(ApicBus *bus, Apic *src, int shorthand, uint8_t dest, int dest_mode,
                          int dm, uint8_t vector, int trigger)
{
    Apic *targets[APIC_BUS_MAX_APICS];
    int n = 0;
    for (int i = 0; i < APIC_BUS_MAX_APICS; i++) {
        Apic *t = bus->apics[i];
        if (!t || !apic_hw_enabled(t))
            continue;
        bool hit;
        switch (shorthand) {
        case SH_SELF: hit = t == src; break;
        case SH_ALL: hit = true; break;
        case SH_ALL_BUT_SELF: hit = t != src; break;
        default: hit = apic_match_dest(t, dest, dest_mode); break;
        }
        if (hit)
            targets[n++] = t;
    }
    if (dm == APIC_DM_LOWEST) {
        Apic *t = apic_arbitrate(targets, n, vector);
        if (t)
            apic_receive(t, dm, vector, trigger);
        return;
    }
    for (int i = 0; i < n; i++)
        apic_receive(targets[i], dm, vector, trigger);
}

void apic_bus_deliver(ApicBus *bus, uint8_t dest, int dest_mode, int delivery_mode,
                      uint8_t vector, int trigger)
{
    apic_bus_send(bus, NULL, SH_NONE, dest, dest_mode, delivery_mode & 7, vector, trigger);
}

void apic_bus_deliver_msi(ApicBus *bus, uint64_t address, uint32_t data)
{
    if ((address & 0xfff00000u) != 0xfee00000u) {
        guest_error("apic: MSI to 0x%llx, outside the 0xFEExxxxx window\n",
                    (unsigned long long)address);
        return;
    }
    apic_bus_send(bus, NULL, SH_NONE, (uint8_t)(address >> 12),
                  (address & 4) ? APIC_DEST_LOGICAL : APIC_DEST_PHYSICAL,
                  (data >> 8) & 7, (uint8_t)data, (data >> 15) & 1);
}

void apic_bus_add_eoi_listener(ApicBus *bus, void (*fn)(void *opaque, uint8_t vector),
                               void *opaque)
{
    if (bus->neoi == APIC_BUS_MAX_EOI_LISTENERS)
        fatal("apic: more than %d EOI listeners", APIC_BUS_MAX_EOI_LISTENERS);
    bus->eoi[bus->neoi].fn = fn;
    bus->eoi[bus->neoi].opaque = opaque;
    bus->neoi++;
}

Apic *apic_bus_get(ApicBus *bus, int cpu)
{
    if (cpu < 0 || cpu >= APIC_BUS_MAX_APICS)
        return NULL;
    return bus->apics[cpu];
}

/* ICR low was written: send the IPI (SDM 10.6.1). */
static void apic_send_ipi(Apic *s)
{
    uint32_t lo = s->icr_lo;
    int dm = lvt_dm(lo);
    uint8_t vector = lo & 0xff;
    int shorthand = (lo >> ICR_SHORTHAND_SHIFT) & 3;
    int trigger = (lo & ICR_TRIGGER_LEVEL) ? APIC_TRIGGER_LEVEL : APIC_TRIGGER_EDGE;
    if (dm == APIC_DM_INIT && trigger == APIC_TRIGGER_LEVEL && !(lo & ICR_LEVEL_ASSERT))
        return;   /* INIT level de-assert: only resynchronises arbitration IDs */
    if ((dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST) && vector < 16) {
        apic_error(s, ESR_SEND_ILLEGAL);
        return;
    }
    if (dm == 3 || dm == APIC_DM_EXTINT) {
        guest_error("apic %d: ICR with reserved delivery mode %d\n", s->cpu, dm);
        return;
    }
    apic_bus_send(s->bus, s, shorthand, (uint8_t)(s->icr_hi >> 24),
                  (lo & ICR_DEST_LOGICAL) ? APIC_DEST_LOGICAL : APIC_DEST_PHYSICAL,
                  dm, vector, trigger);
}

/* ---- Registers ------------------------------------------------------------- */

static bool apic_reg_read(Apic *s, unsigned reg, uint32_t *v)
{
    if (reg >= REG_ISR && reg < REG_ISR + 0x80) {
        *v = s->isr[(reg - REG_ISR) >> 4];
        return true;
    }
    if (reg >= REG_TMR && reg < REG_TMR + 0x80) {
        *v = s->tmr[(reg - REG_TMR) >> 4];
        return true;
    }
    if (reg >= REG_IRR && reg < REG_IRR + 0x80) {
        *v = s->irr[(reg - REG_IRR) >> 4];
        return true;
    }
    if (reg >= REG_LVT_FIRST && reg <= REG_LVT_LAST) {
        *v = s->lvt[(reg - REG_LVT_FIRST) >> 4];
        return true;
    }
    switch (reg) {
    case REG_ID: *v = (uint32_t)s->id << 24; return true;
    case REG_VERSION: *v = APIC_VERSION_VALUE; return true;
    case REG_TPR: *v = s->tpr; return true;
    case REG_APR: *v = apic_apr(s); return true;
    case REG_PPR: *v = apic_ppr(s); return true;
    case REG_EOI: *v = 0; return true;
    case REG_RRD: *v = 0; return true;
    case REG_LDR: *v = s->ldr; return true;
    case REG_DFR: *v = s->dfr; return true;
    case REG_SVR: *v = s->svr; return true;
    case REG_ESR: *v = s->esr; return true;
    case REG_ICR_LO: *v = s->icr_lo; return true;
    case REG_ICR_HI: *v = s->icr_hi; return true;
    case REG_TIMER_INIT: *v = s->initial_count; return true;
    case REG_TIMER_CUR: *v = apic_timer_count(s, clock_virtual_ns()); return true;
    case REG_TIMER_DIV: *v = s->divide; return true;
    default: return false;
    }
}

static void apic_lvt_write(Apic *s, int idx, uint32_t value)
{
    uint32_t old = s->lvt[idx];
    uint32_t v = value & lvt_writable[idx];
    if (!apic_sw_enabled(s))
        v |= LVT_MASKED;   /* software-disabled: the masks stick (SDM 10.4.7.2) */
    if (idx == LVT_LINT0 && (v & LVT_LEVEL))
        v |= old & LVT_REMOTE_IRR;
    if (idx != LVT_TIMER) {
        s->lvt[idx] = v;
        if (idx == LVT_LINT0 || idx == LVT_LINT1)
            apic_lint_eval(s, idx - LVT_LINT0, s->lint_level[idx - LVT_LINT0]);
        apic_update_intr(s);
        return;
    }
    apic_timer_service(s);
    int old_mode = apic_timer_mode(s);
    int new_mode = (v >> LVT_TIMER_SHIFT) & 3;
    if (new_mode == 3)
        guest_error("apic %d: reserved timer mode 3 (runs as one-shot)\n", s->cpu);
    if (old_mode != new_mode && (old_mode == TIMER_DEADLINE || new_mode == TIMER_DEADLINE)) {
        /* Switching into or out of TSC-deadline mode disarms the timer. */
        apic_timer_stop(s);
        s->initial_count = 0;
        if (s->bus->ops->tsc_deadline_cleared)
            s->bus->ops->tsc_deadline_cleared(s->bus->opaque, s->cpu);
    } else if (old_mode != new_mode) {
        apic_timer_rebase(s);
    }
    s->lvt[idx] = v;
    apic_timer_schedule(s);
}

static void apic_reg_write(Apic *s, unsigned reg, uint32_t v)
{
    if (reg >= REG_LVT_FIRST && reg <= REG_LVT_LAST) {
        apic_lvt_write(s, (int)(reg - REG_LVT_FIRST) >> 4, v);
        return;
    }
    switch (reg) {
    case REG_ID:
        s->id = (uint8_t)(v >> 24);
        break;
    case REG_TPR:
        s->tpr = (uint8_t)v;
        apic_update_intr(s);
        break;
    case REG_EOI:
        apic_eoi(s);
        break;
    case REG_LDR:
        s->ldr = v & 0xff000000u;
        break;
    case REG_DFR:
        s->dfr = (v & 0xf0000000u) | 0x0fffffffu;
        break;
    case REG_SVR:
        s->svr = v & SVR_WRITABLE;
        if (!apic_sw_enabled(s))
            for (int i = 0; i < LVT_COUNT; i++)
                s->lvt[i] |= LVT_MASKED;
        apic_update_intr(s);
        break;
    case REG_ESR:
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        break;
    case REG_ICR_LO:
        s->icr_lo = v & ICR_LO_WRITABLE;
        apic_send_ipi(s);
        break;
    case REG_ICR_HI:
        s->icr_hi = v & 0xff000000u;
        break;
    case REG_TIMER_INIT:
        if (apic_timer_mode(s) == TIMER_DEADLINE)
            break;   /* ignored in TSC-deadline mode */
        apic_timer_service(s);
        s->initial_count = v;
        s->count_load_ns = clock_virtual_ns();
        s->count_load = v;
        s->counting = v != 0;
        s->oneshot_due = v != 0;
        apic_timer_schedule(s);
        break;
    case REG_TIMER_DIV:
        apic_timer_service(s);
        apic_timer_rebase(s);
        s->divide = v & 0xb;
        apic_timer_schedule(s);
        break;
    case REG_VERSION: case REG_APR: case REG_PPR: case REG_RRD: case REG_TIMER_CUR:
        guest_error("apic %d: write 0x%x to read-only register 0x%x\n", s->cpu, v, reg);
        break;
    default:
        if (reg >= REG_ISR && reg < REG_IRR + 0x80) {
            guest_error("apic %d: write 0x%x to read-only register 0x%x\n", s->cpu, v, reg);
            break;
        }
        guest_error("apic %d: write 0x%x to reserved register 0x%x\n", s->cpu, v, reg);
        apic_error(s, ESR_ILLEGAL_REG);
        break;
    }
}

/* The LAPIC this access reaches: the accessing CPU's own, if its window is
 * the one at this address; NULL if the CPU's LAPIC lives elsewhere. */
static Apic *apic_mmio_target(Apic *owner)
{
    ApicBus *bus = owner->bus;
    int cpu = bus->ops->current_cpu ? bus->ops->current_cpu(bus->opaque) : 0;
    if (cpu < 0)
        return owner;
    Apic *s = apic_bus_get(bus, cpu);
    if (!s || !apic_hw_enabled(s) || apic_base_addr(s) != apic_base_addr(owner)) {
        guest_error("apic: CPU %d accessed 0x%llx, not its LAPIC window\n", cpu,
                    (unsigned long long)apic_base_addr(owner));
        return NULL;
    }
    return s;
}

static uint64_t apic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)size;
    Apic *s = apic_mmio_target(opaque);
    if (!s)
        return ~0ull;
    unsigned reg = (unsigned)offset & 0xff0, byte = (unsigned)offset & 0xf;
    if (byte >= 4 || offset >= 0x400)
        return 0;   /* bytes 4-15 of each 16-byte slot are reserved */
    uint32_t v;
    if (!apic_reg_read(s, reg, &v)) {
        guest_error("apic %d: read of reserved register 0x%x\n", s->cpu, reg);
        apic_error(s, ESR_ILLEGAL_REG);
        return 0;
    }
    return v >> (byte * 8);
}

static void apic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Apic *s = apic_mmio_target(opaque);
    if (!s)
        return;
    if (size != 4 || (offset & 0xf) || offset >= 0x400) {
        guest_error("apic %d: %u-byte write at offset 0x%llx ignored (32-bit, 16-byte aligned only)\n",
                    s->cpu, size, (unsigned long long)offset);
        return;
    }
    apic_reg_write(s, (unsigned)offset, (uint32_t)value);
}

static const MemoryRegionOps apic_mmio_ops = {
    .read = apic_mmio_read,
    .write = apic_mmio_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- Public API -------------------------------------------------------------- */

ApicBus *apic_bus_create(Machine *m, const ApicCpuOps *ops, void *opaque)
{
    if (!ops || !ops->set_intr || !ops->nmi || !ops->init || !ops->sipi)
        fatal("apic: set_intr, nmi, init and sipi callbacks are required");
    ApicBus *bus = calloc(1, sizeof(*bus));
    if (!bus)
        fatal("out of memory");
    bus->m = m;
    bus->ops = ops;
    bus->opaque = opaque;
    return bus;
}

Apic *apic_create(ApicBus *bus, int cpu, uint8_t apic_id)
{
    if (cpu < 0 || cpu >= APIC_BUS_MAX_APICS)
        fatal("apic: CPU index %d out of range (0..%d)", cpu, APIC_BUS_MAX_APICS - 1);
    if (bus->apics[cpu])
        fatal("apic: CPU %d already has a LAPIC", cpu);
    Apic *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->bus = bus;
    s->cpu = cpu;
    s->initial_id = apic_id;
    s->timer = timer_new(apic_timer_cb, s);
    s->expiry_ns = -1;
    for (int pin = 0; pin < 2; pin++)
        s->lint[pin] = irq_line_new(apic_lint_set, s, pin);
    s->mr = as_map_io(bus->m->mem, "lapic", X86_APIC_DEFAULT_BASE, APIC_MMIO_SIZE,
                      &apic_mmio_ops, s);
    /* Above RAM, should a guest move its window there. */
    memory_region_set_priority(s->mr, 1);
    bus->apics[cpu] = s;
    machine_add_reset(bus->m, apic_reset, s);
    apic_reset(s);
    return s;
}

IrqLine *apic_lint(Apic *s, int pin)
{
    if (pin < 0 || pin > 1)
        fatal("apic: no LINT%d", pin);
    return s->lint[pin];
}

int apic_acknowledge(Apic *s)
{
    if (apic_extint_active(s)) {
        s->extint_pending = false;
        ApicBus *bus = s->bus;
        int v = bus->ops->extint_acknowledge ? bus->ops->extint_acknowledge(bus->opaque)
                                             : (int)(s->svr & 0xff);
        apic_update_intr(s);
        return v;
    }
    int v = apic_deliverable(s);
    if (v < 0)
        return s->svr & 0xff;   /* spurious: nothing left above PPR (SDM 10.9) */
    vec_clear(s->irr, v);
    vec_set(s->isr, v);
    apic_update_intr(s);
    return v;
}

bool apic_intr_pending(Apic *s)
{
    return s->intr_level != 0;
}

void apic_set_base(Apic *s, uint64_t msr_value)
{
    bool was_enabled = apic_hw_enabled(s);
    s->base_msr = msr_value;
    if (was_enabled && !apic_hw_enabled(s))
        apic_clear_state(s);   /* a global disable loses the LAPIC state */
    apic_place_window(s);
    apic_update_intr(s);
}

uint64_t apic_get_base(Apic *s)
{
    return s->base_msr;
}

uint8_t apic_get_tpr(Apic *s)
{
    return s->tpr;
}

void apic_set_tpr(Apic *s, uint8_t tpr)
{
    s->tpr = tpr;
    apic_update_intr(s);
}

void apic_set_tsc_deadline(Apic *s, uint64_t tsc, int64_t tsc_offset)
{
    ApicBus *bus = s->bus;
    if (apic_timer_mode(s) != TIMER_DEADLINE) {
        /* Outside TSC-deadline mode the MSR ignores writes and reads 0. */
        if (bus->ops->tsc_deadline_cleared)
            bus->ops->tsc_deadline_cleared(bus->opaque, s->cpu);
        return;
    }
    apic_timer_service(s);
    if (tsc == 0) {
        s->deadline_armed = false;
    } else {
        int64_t ticks = (int64_t)(tsc - (uint64_t)tsc_offset);
        __int128 ns = (__int128)ticks * NS_PER_SEC / X86_TSC_FREQ_HZ;
        s->deadline_armed = true;
        s->deadline_ns = ns < 0 ? 0 : ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
    }
    apic_timer_schedule(s);
}
