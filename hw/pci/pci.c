/*
 * PCI bus 0: configuration spaces, BAR sizing and mapping, INTx routing,
 * reset, and the configuration mechanism #1 ports 0xCF8/0xCFC (PCI Local
 * Bus Specification 3.0, 3.2.2.3.2 and 6.2.5). Only bus 0 exists (no
 * bridges).
 */
#include <stdlib.h>
#include <string.h>

#include "hw/pci/pci.h"
#include "mimic/log.h"

struct PciBus {
    Machine *machine;
    PciDevice *dev[PCI_MAX_DEVFN];
    uint32_t config_address;   /* 0xCF8 */
    PciRouteIrq route;
    void *route_opaque;
    const MemoryRegionOps *cf9_ops;   /* byte port 0xCF9 inside 0xCF8-0xCFB */
    void *cf9_opaque;
};

void pci_bus_set_cf9_handler(PciBus *bus, const MemoryRegionOps *ops, void *opaque)
{
    bus->cf9_ops = ops;
    bus->cf9_opaque = opaque;
}

PciDevice *pci_bus_device(PciBus *bus, int devfn)
{
    return devfn >= 0 && devfn < PCI_MAX_DEVFN ? bus->dev[devfn] : NULL;
}

void pci_bus_set_irq_router(PciBus *bus, PciRouteIrq route, void *opaque)
{
    bus->route = route;
    bus->route_opaque = opaque;
}

static uint64_t bar_address(const PciDevice *d, int n)
{
    const PciBar *b = &d->bar[n];
    uint32_t lo = pci_get_long(&d->config[PCI_BAR0 + 4 * n]);
    uint64_t addr = lo & (b->io ? ~3u : ~15u);
    if (b->is64 && n + 1 < PCI_NUM_BARS)
        addr |= (uint64_t)pci_get_long(&d->config[PCI_BAR0 + 4 * (n + 1)]) << 32;
    return addr;
}

/* Map each BAR where the guest put it while its decode bit is on; a BAR
 * left at 0 (or still all ones from sizing) is not decoded. */
static void pci_update_mappings(PciDevice *d)
{
    uint16_t cmd = pci_get_word(&d->config[PCI_COMMAND]);
    AddressSpace *io = d->bus->machine->io, *mem = d->bus->machine->mem;
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PciBar *b = &d->bar[n];
        if (!b->size)
            continue;
        uint64_t addr = bar_address(d, n);
        bool enabled = (cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) && addr != 0 &&
                       addr + b->size - 1 <= (b->io ? 0xFFFFull : (b->is64 ? ~0ull >> 12 : 0xFFFFFFFFull)) &&
                       addr != (uint64_t)(-b->size & (b->io ? 0xFFFF : 0xFFFFFFFF));
        if (!enabled) {
            if (b->mr)
                memory_region_set_enabled(b->mr, false);
            continue;
        }
        if (!b->mr) {
            b->mr = as_map_io(b->io ? io : mem, d->name, addr, b->size, b->ops, b->opaque);
            memory_region_set_priority(b->mr, 1);
        } else {
            memory_region_move(b->mr, addr);
            memory_region_set_enabled(b->mr, true);
        }
    }
}

PciDevice *pci_device_create(PciBus *bus, int devfn, const char *name, uint16_t vendor,
                             uint16_t device, uint32_t class_rev)
{
    if (devfn < 0) {
        for (int slot = 1; slot < 32 && devfn < 0; slot++)
            if (!bus->dev[slot << 3])
                devfn = slot << 3;
        if (devfn < 0)
            fatal("PCI bus is full (32 slots)");
    }
    if (devfn >= PCI_MAX_DEVFN || bus->dev[devfn])
        fatal("PCI %02x.%x is already in use (%s)", devfn >> 3, devfn & 7, name);
    PciDevice *d = calloc(1, sizeof(*d));
    if (!d)
        fatal("out of memory");
    d->bus = bus;
    d->devfn = devfn;
    d->name = name;
    pci_set_word(&d->config[PCI_VENDOR_ID], vendor);
    pci_set_word(&d->config[PCI_DEVICE_ID], device);
    pci_set_long(&d->config[PCI_REVISION_ID], class_rev);
    pci_set_word(&d->wmask[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    d->wmask[0x0c] = 0xff;   /* cache line size */
    d->wmask[0x0d] = 0xff;   /* latency timer */
    pci_set_word(&d->w1cmask[PCI_STATUS], 0xf900);   /* error bits */
    bus->dev[devfn] = d;
    return d;
}

void pci_device_set_bar(PciDevice *d, int n, uint64_t size, bool io,
                        const MemoryRegionOps *ops, void *opaque)
{
    if (n < 0 || n >= PCI_NUM_BARS || size < (io ? 4 : 16) || (size & (size - 1)))
        fatal("PCI %s: bad BAR %d size 0x%llx", d->name, n, (unsigned long long)size);
    PciBar *b = &d->bar[n];
    *b = (PciBar){ .size = size, .io = io, .ops = ops, .opaque = opaque };
    uint32_t mask = ~(uint32_t)(size - 1);
    pci_set_long(&d->wmask[PCI_BAR0 + 4 * n], io ? (mask & ~3u) : (mask & ~15u));
    pci_set_long(&d->config[PCI_BAR0 + 4 * n], io ? 1 : 0);
}

void pci_device_set_irq(PciDevice *d, int level)
{
    int pin = d->config[PCI_INTERRUPT_PIN];
    if (pin < 1 || pin > 4 || d->irq_level == level)
        return;
    d->irq_level = level;
    uint16_t status = pci_get_word(&d->config[PCI_STATUS]);
    pci_set_word(&d->config[PCI_STATUS], level ? status | PCI_STATUS_INTERRUPT
                                               : status & ~PCI_STATUS_INTERRUPT);
    bool masked = pci_get_word(&d->config[PCI_COMMAND]) & PCI_COMMAND_INTX_DISABLE;
    if (d->bus->route)
        d->bus->route(d->bus->route_opaque, d->devfn, pin - 1, level && !masked);
}

uint32_t pci_config_read(PciDevice *d, unsigned offset, unsigned len)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len && offset + i < PCI_CONFIG_SIZE; i++)
        v |= (uint32_t)d->config[offset + i] << (8 * i);
    return v;
}

void pci_config_write(PciDevice *d, unsigned offset, uint32_t value, unsigned len)
{
    bool bars_touched = false, intx_touched = false;
    for (unsigned i = 0; i < len && offset + i < PCI_CONFIG_SIZE; i++) {
        unsigned a = offset + i;
        uint8_t v = (uint8_t)(value >> (8 * i));
        uint8_t wm = d->wmask[a], w1c = d->w1cmask[a];
        d->config[a] = (uint8_t)((d->config[a] & ~wm) | (v & wm));
        d->config[a] &= (uint8_t)~(v & w1c);
        if ((a >= PCI_BAR0 && a < PCI_BAR0 + 24) || a == PCI_COMMAND)
            bars_touched = true;
        if (a == PCI_COMMAND + 1)
            intx_touched = true;
    }
    if (bars_touched)
        pci_update_mappings(d);
    if (intx_touched && d->irq_level && d->bus->route) {
        bool masked = pci_get_word(&d->config[PCI_COMMAND]) & PCI_COMMAND_INTX_DISABLE;
        d->bus->route(d->bus->route_opaque, d->devfn, d->config[PCI_INTERRUPT_PIN] - 1, !masked);
    }
    if (d->config_written)
        d->config_written(d, offset, len);
}

/* Mechanism #1: 0xCF8 holds enable|bus|dev|fn|reg; 0xCFC-0xCFF the data. */
static uint64_t pci_host_read(void *opaque, uint64_t offset, unsigned size)
{
    PciBus *bus = opaque;
    if (offset == 1 && size == 1 && bus->cf9_ops)
        return bus->cf9_ops->read(bus->cf9_opaque, 0, 1);
    if (offset < 4)
        return offset == 0 && size == 4 ? bus->config_address : 0xffffffffu >> (32 - 8 * size);
    uint32_t ca = bus->config_address;
    unsigned reg = (ca & 0xfc) + (unsigned)(offset - 4);
    PciDevice *d = (ca >> 16 & 0xff) == 0 ? bus->dev[(ca >> 8) & 0xff] : NULL;
    if (!(ca & 0x80000000u) || !d || reg + size > PCI_CONFIG_SIZE)
        return 0xffffffffu >> (32 - 8 * size);
    return pci_config_read(d, reg, size);
}

static void pci_host_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PciBus *bus = opaque;
    if (offset == 1 && size == 1 && bus->cf9_ops) {
        bus->cf9_ops->write(bus->cf9_opaque, 0, value, 1);
        return;
    }
    if (offset < 4) {
        /* Only dword accesses reach CONFIG_ADDRESS (PCI 3.0, 3.2.2.3.2). */
        if (offset == 0 && size == 4)
            bus->config_address = (uint32_t)value & 0x80fffffcu;
        return;
    }
    uint32_t ca = bus->config_address;
    unsigned reg = (ca & 0xfc) + (unsigned)(offset - 4);
    PciDevice *d = (ca >> 16 & 0xff) == 0 ? bus->dev[(ca >> 8) & 0xff] : NULL;
    if (!(ca & 0x80000000u) || !d || reg + size > PCI_CONFIG_SIZE)
        return;
    pci_config_write(d, reg, (uint32_t)value, size);
}

static const MemoryRegionOps pci_host_ops = {
    .read = pci_host_read, .write = pci_host_write, .min_access = 1, .max_access = 4,
};

/* RST# (PCI Local Bus Specification 3.0, 6.2.2-6.2.5): a system reset
 * returns every function's configuration space to its power-on state.
 * Everything the guest can write powers on as zero here (command, BAR
 * addresses, expansion ROM, interrupt line, device registers) and the
 * error status bits clear, so the BARs stop decoding; a device's own reset
 * handler, registered after the bus's and so run after it, restores any
 * non-zero reset value (PAM, IDE decode enables, PIRQ routes). */
static void pci_bus_reset(void *opaque)
{
    PciBus *bus = opaque;
    bus->config_address = 0;
    for (int devfn = 0; devfn < PCI_MAX_DEVFN; devfn++) {
        PciDevice *d = bus->dev[devfn];
        if (!d)
            continue;
        for (unsigned a = 0; a < PCI_CONFIG_SIZE; a++)
            d->config[a] &= (uint8_t)~(d->wmask[a] | d->w1cmask[a]);
        pci_update_mappings(d);
        if (d->config_written)
            d->config_written(d, 0, PCI_CONFIG_SIZE);
    }
}

PciBus *pci_bus_create(Machine *m)
{
    PciBus *bus = calloc(1, sizeof(*bus));
    if (!bus)
        fatal("out of memory");
    bus->machine = m;
    /* One region for 0xCF8-0xCFF: the chipset decodes 0xCF9 (reset control)
     * inside the CONFIG_ADDRESS dword, so it is dispatched from here. */
    as_map_io(m->io, "pci-config", 0xCF8, 8, &pci_host_ops, bus);
    machine_add_reset(m, pci_bus_reset, bus);
    return bus;
}
