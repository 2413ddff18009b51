/*
 * I/O APIC: IOREGSEL at +0x00, IOWIN at +0x10 and the EOI register at +0x40
 * (version 0x20). Reference: Intel 82093AA I/O APIC datasheet (290566),
 * ICH I/O APIC chapter for the EOI register. Pins are edge-detected or
 * level-sensitive with remote IRR; "asserted" means the device drives 1,
 * whatever the polarity bit says, so active-low PCI GSIs work as wired.
 * Left out: delivery-status latency (messages go out at once), the
 * 82093AA's 4-bit ID (8 bits kept, so MADT ids above 15 read back).
 */
#include <stdlib.h>

#include "hw/intc/ioapic.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/memory.h"

#define IOAPIC_VERSION 0x20u
#define IOAPIC_VERSION_VALUE (IOAPIC_VERSION | (IOAPIC_NUM_PINS - 1u) << 16)

/* MMIO offsets */
#define OFF_IOREGSEL 0x00
#define OFF_IOWIN    0x10
#define OFF_EOI      0x40

/* Indirect registers */
#define REG_ID     0x00
#define REG_VER    0x01
#define REG_ARB    0x02
#define REG_REDIR  0x10

/* Redirection entry (datasheet 3.2.4) */
#define RTE_VECTOR       0xffull
#define RTE_DM_SHIFT     8
#define RTE_DEST_LOGICAL (1ull << 11)
#define RTE_REMOTE_IRR   (1ull << 14)
#define RTE_LEVEL        (1ull << 15)
#define RTE_MASKED       (1ull << 16)
#define RTE_DEST_SHIFT   56
/* Vector, delivery/destination mode, polarity, trigger, mask; the
 * destination byte. Delivery status and remote IRR are read-only. */
#define RTE_WRITABLE_LO  0x1afffull
#define RTE_WRITABLE_HI  0xff000000ull

struct IoApic {
    ApicBus *bus;
    uint8_t reset_id;
    uint8_t id;
    uint8_t ioregsel;
    uint64_t rte[IOAPIC_NUM_PINS];
    bool level[IOAPIC_NUM_PINS];
    IrqLine *inputs[IOAPIC_NUM_PINS];
};

static int rte_dm(uint64_t rte) { return (rte >> RTE_DM_SHIFT) & 7; }

/* Remote IRR applies to level-triggered fixed and lowest-priority entries;
 * SMI, NMI, INIT and ExtINT are edge-only (datasheet 3.2.4). */
static bool rte_is_level(uint64_t rte)
{
    int dm = rte_dm(rte);
    return (rte & RTE_LEVEL) && (dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST);
}

static void ioapic_send(IoApic *s, int pin)
{
    uint64_t rte = s->rte[pin];
    apic_bus_deliver(s->bus, (uint8_t)(rte >> RTE_DEST_SHIFT),
                     (rte & RTE_DEST_LOGICAL) ? APIC_DEST_LOGICAL : APIC_DEST_PHYSICAL,
                     rte_dm(rte), (uint8_t)(rte & RTE_VECTOR),
                     rte_is_level(rte) ? APIC_TRIGGER_LEVEL : APIC_TRIGGER_EDGE);
}

/* A level-triggered pin: send while asserted, unmasked and not in service. */
static void ioapic_service_level(IoApic *s, int pin)
{
    uint64_t rte = s->rte[pin];
    if (!s->level[pin] || (rte & (RTE_MASKED | RTE_REMOTE_IRR)))
        return;
    s->rte[pin] |= RTE_REMOTE_IRR;
    ioapic_send(s, pin);
}

static void ioapic_set_irq(void *opaque, int pin, int level)
{
    IoApic *s = opaque;
    bool old = s->level[pin];
    s->level[pin] = level != 0;
    uint64_t rte = s->rte[pin];
    if (rte_is_level(rte)) {
        ioapic_service_level(s, pin);
        return;
    }
    /* Edge: a rising edge while masked is lost, as on the 82093AA. */
    if (level && !old && !(rte & RTE_MASKED))
        ioapic_send(s, pin);
}

void ioapic_eoi(IoApic *s, uint8_t vector)
{
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t rte = s->rte[pin];
        if ((rte & RTE_REMOTE_IRR) && (rte & RTE_VECTOR) == vector) {
            s->rte[pin] &= ~RTE_REMOTE_IRR;
            if (rte_is_level(rte))
                ioapic_service_level(s, pin);
        }
    }
}

static void ioapic_eoi_listener(void *opaque, uint8_t vector)
{
    ioapic_eoi(opaque, vector);
}

static uint32_t ioapic_reg_read(IoApic *s)
{
    unsigned r = s->ioregsel;
    if (r >= REG_REDIR && r < REG_REDIR + 2 * IOAPIC_NUM_PINS) {
        uint64_t rte = s->rte[(r - REG_REDIR) / 2];
        return (r & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
    }
    switch (r) {
    case REG_ID: return (uint32_t)s->id << 24;
    case REG_VER: return IOAPIC_VERSION_VALUE;
    case REG_ARB: return (uint32_t)(s->id & 0xf) << 24;
    default:
        guest_error("ioapic: read of reserved register 0x%x\n", r);
        return 0;
    }
}

static void ioapic_reg_write(IoApic *s, uint32_t v)
{
    unsigned r = s->ioregsel;
    if (r >= REG_REDIR && r < REG_REDIR + 2 * IOAPIC_NUM_PINS) {
        int pin = (int)(r - REG_REDIR) / 2;
        uint64_t rte = s->rte[pin];
        if (r & 1) {
            rte = (rte & 0xffffffffull) | (((uint64_t)v & RTE_WRITABLE_HI) << 32);
        } else {
            rte = (rte & ~RTE_WRITABLE_LO) | (v & RTE_WRITABLE_LO);
            if (!(rte & RTE_LEVEL))
                rte &= ~RTE_REMOTE_IRR;   /* meaningless for edge */
        }
        s->rte[pin] = rte;
        /* Unmasking (or switching to level) with the pin asserted delivers. */
        if (rte_is_level(rte))
            ioapic_service_level(s, pin);
        return;
    }
    switch (r) {
    case REG_ID:
        s->id = (uint8_t)(v >> 24);
        break;
    case REG_VER:
    case REG_ARB:
        break;   /* read-only */
    default:
        guest_error("ioapic: write 0x%x to reserved register 0x%x\n", v, r);
        break;
    }
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    IoApic *s = opaque;
    (void)size;
    if (offset < OFF_IOREGSEL + 4)
        return offset == OFF_IOREGSEL ? s->ioregsel : 0;
    if (offset >= OFF_IOWIN && offset < OFF_IOWIN + 4)
        return ioapic_reg_read(s) >> ((offset - OFF_IOWIN) * 8);
    return 0;
}

static void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    IoApic *s = opaque;
    if (offset == OFF_IOREGSEL) {
        s->ioregsel = (uint8_t)value;
    } else if (offset == OFF_IOWIN && size == 4) {
        ioapic_reg_write(s, (uint32_t)value);
    } else if (offset == OFF_EOI && size == 4) {
        ioapic_eoi(s, (uint8_t)value);
    } else {
        guest_error("ioapic: %u-byte write 0x%llx at offset 0x%llx ignored\n", size,
                    (unsigned long long)value, (unsigned long long)offset);
    }
}

static const MemoryRegionOps ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .min_access = 1,
    .max_access = 4,
};

static void ioapic_reset(void *opaque)
{
    IoApic *s = opaque;
    s->id = s->reset_id;
    s->ioregsel = 0;
    for (int i = 0; i < IOAPIC_NUM_PINS; i++)
        s->rte[i] = RTE_MASKED;
}

IoApic *ioapic_create(Machine *m, ApicBus *bus, uint64_t base, uint8_t id)
{
    IoApic *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->bus = bus;
    s->reset_id = id;
    for (int i = 0; i < IOAPIC_NUM_PINS; i++)
        s->inputs[i] = irq_line_new(ioapic_set_irq, s, i);
    as_map_io(m->mem, "ioapic", base, IOAPIC_MMIO_SIZE, &ioapic_mmio_ops, s);
    apic_bus_add_eoi_listener(bus, ioapic_eoi_listener, s);
    machine_add_reset(m, ioapic_reset, s);
    ioapic_reset(s);
    return s;
}

IrqLine *ioapic_input(IoApic *s, int pin)
{
    if (pin < 0 || pin >= IOAPIC_NUM_PINS)
        fatal("ioapic: no input pin %d (0..%d)", pin, IOAPIC_NUM_PINS - 1);
    return s->inputs[pin];
}
