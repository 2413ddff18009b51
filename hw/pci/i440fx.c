/*
 * The PC chipset as guests probe it: Intel 82441FX host bridge (8086:1237)
 * and 82371SB PIIX3 PCI-to-ISA bridge (8086:7000) with its PIRQ routing
 * registers (datasheet 290550, 2.2.6) and the reset control register at
 * I/O 0xCF9. Memory-controller (PAM/SMRAM) registers are plain storage.
 */
#include <stdlib.h>

#include "hw/pci/i440fx.h"
#include "mimic/log.h"

#define PIIX_PIRQRC 0x60    /* PIRQ[A-D] route control, bit 7 = disabled */
#define PIIX_NUM_PIRQ 4
#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04

typedef struct I440fx {
    Machine *machine;
    PciBus *bus;
    PciDevice *host, *isa;
    int pirq_count[PIIX_NUM_PIRQ];   /* asserted INTx inputs per PIRQ */
    int pirq_irq[PIIX_NUM_PIRQ];     /* ISA IRQ currently driven, -1 none */
    uint8_t rcr;
} I440fx;

/* Slot s pin p (0 = INTA) swizzles onto PIRQ (s + p) mod 4; the DSDT's
 * _PRT describes the same mapping. */
static int pirq_of(int devfn, int pin)
{
    return ((devfn >> 3) + pin) & 3;
}

static void pirq_update(I440fx *c, int pirq)
{
    uint8_t route = c->isa->config[PIIX_PIRQRC + pirq];
    int irq = (route & 0x80) || (route & 0x0f) < 3 ? -1 : route & 0x0f;
    int level = c->pirq_count[pirq] > 0;
    if (c->pirq_irq[pirq] >= 0 && c->pirq_irq[pirq] != irq)
        irq_lower(c->machine->gsi[c->pirq_irq[pirq]]);
    c->pirq_irq[pirq] = irq;
    if (irq >= 0)
        irq_set(c->machine->gsi[irq], level);
}

static void i440fx_route_irq(void *opaque, int devfn, int pin, int level)
{
    I440fx *c = opaque;
    int pirq = pirq_of(devfn, pin);
    c->pirq_count[pirq] += level ? 1 : -1;
    if (c->pirq_count[pirq] < 0)
        c->pirq_count[pirq] = 0;
    pirq_update(c, pirq);
}

static void piix_config_written(PciDevice *d, unsigned offset, unsigned len)
{
    I440fx *c = d->opaque;
    for (int i = 0; i < PIIX_NUM_PIRQ; i++)
        if (offset <= PIIX_PIRQRC + (unsigned)i && PIIX_PIRQRC + (unsigned)i < offset + len)
            pirq_update(c, i);
}

static uint64_t rcr_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset, (void)size;
    return ((I440fx *)opaque)->rcr;
}

static void rcr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I440fx *c = opaque;
    (void)offset, (void)size;
    if ((value & RCR_RST_CPU) && !(c->rcr & RCR_RST_CPU)) {
        c->rcr = 0;
        machine_request_reset(c->machine);
        return;
    }
    c->rcr = value & (RCR_SYS_RST | 0x08);
}

static const MemoryRegionOps rcr_ops = {
    .read = rcr_read, .write = rcr_write, .min_access = 1, .max_access = 1,
};

static void i440fx_reset(void *opaque)
{
    I440fx *c = opaque;
    /* Direct kernel boot has no firmware to program the PIRQ routers, so
     * start them as a BIOS leaves them: A,B -> IRQ 10, C,D -> IRQ 11. */
    static const uint8_t default_route[PIIX_NUM_PIRQ] = { 10, 10, 11, 11 };
    for (int i = 0; i < PIIX_NUM_PIRQ; i++) {
        c->isa->config[PIIX_PIRQRC + i] = default_route[i];
        pirq_update(c, i);
    }
    c->rcr = 0;
}

PciBus *i440fx_create(Machine *m)
{
    I440fx *c = calloc(1, sizeof(*c));
    if (!c)
        fatal("out of memory");
    c->machine = m;
    c->bus = pci_bus_create(m);
    for (int i = 0; i < PIIX_NUM_PIRQ; i++)
        c->pirq_irq[i] = -1;
    c->host = pci_device_create(c->bus, 0, "i440fx", 0x8086, 0x1237, 0x060000 << 8 | 0x02);
    for (int a = 0x50; a < 0x80; a++)
        c->host->wmask[a] = 0xff;   /* PMC config, PAM, DRB, SMRAM: kept as written */
    c->isa = pci_device_create(c->bus, 1 << 3, "piix3-isa", 0x8086, 0x7000, 0x060100 << 8);
    c->isa->config[PCI_HEADER_TYPE] = 0x80;   /* multi-function */
    for (int i = 0; i < PIIX_NUM_PIRQ; i++)
        c->isa->wmask[PIIX_PIRQRC + i] = 0x8f;
    c->isa->opaque = c;
    c->isa->config_written = piix_config_written;
    pci_bus_set_irq_router(c->bus, i440fx_route_irq, c);
    pci_bus_set_cf9_handler(c->bus, &rcr_ops, c);
    machine_add_reset(m, i440fx_reset, c);
    i440fx_reset(c);
    return c->bus;
}
