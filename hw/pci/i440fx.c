/*
 * The PC chipset as guests probe it: Intel 82441FX host bridge (8086:1237)
 * with its PAM registers steering 0xC0000-0xFFFFF between shadow RAM and
 * the BIOS ROM (82441FX datasheet 290549, 3.2.12), and the 82371SB PIIX3
 * PCI-to-ISA bridge (8086:7000) with its PIRQ routing registers (datasheet
 * 290550, 2.2.6) and the reset control register at I/O 0xCF9. SMRAM and
 * the other memory-controller registers are plain storage.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hw/pci/i440fx.h"
#include "mimic/log.h"

#define PIIX_PIRQRC 0x60    /* PIRQ[A-D] route control, bit 7 = disabled */
#define PIIX_NUM_PIRQ 4
#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04

/* PAM0 (0x59) bits 5:4 govern 0xF0000-0xFFFFF; PAM1-6 (0x5A-0x5F) each
 * govern two 16 KiB segments from 0xC0000 up, low nibble first. In each
 * field bit 0 = reads from DRAM, bit 1 = writes to DRAM; otherwise the
 * access goes to PCI (the BIOS ROM, an option ROM or nothing). */
#define I440FX_PAM0 0x59
#define I440FX_PAM_LAST 0x5F
#define PAM_SEGMENTS 13
#define PAM_RE 0x1
#define PAM_WE 0x2
#define PAM_PRIORITY 1                  /* above the BIOS ROM alias beneath */
#define PAM_WINDOW_BASE 0xC0000u
#define PAM_WINDOW_END 0x100000u
/* Firmware expects the hardware reset value (all to PCI); a directly
 * booted kernel expects what a BIOS leaves: shadow RAM everywhere. */
#define PAM0_RESET_DIRECT 0x30
#define PAM_RESET_DIRECT 0x33

/* PCI subsystem ids that tell SeaBIOS it runs on a QEMU-like board. */
#define SUBSYS_VENDOR 0x1af4
#define SUBSYS_ID 0x1100

typedef struct I440fx I440fx;

typedef struct PamSegment {
    I440fx *chip;
    uint32_t base, size;
    int mode;                          /* PAM_RE | PAM_WE, -1: never mapped */
    MemoryRegion *mr;                  /* NULL in mode 0 */
    char name[16];
} PamSegment;

struct I440fx {
    Machine *machine;
    PciBus *bus;
    PciDevice *host, *isa;
    int pirq_count[PIIX_NUM_PIRQ];   /* asserted INTx inputs per PIRQ */
    int pirq_irq[PIIX_NUM_PIRQ];     /* ISA IRQ currently driven, -1 none */
    uint8_t rcr;
    PamSegment pam[PAM_SEGMENTS];
    bool firmware;                   /* PAM resets to "all to PCI" */
    const uint8_t *rom;              /* what PCI answers in [rom_base, 1 MiB) */
    uint32_t rom_base;
};

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

/* ---- PAM ---- */

static uint8_t pam_mode(I440fx *c, int i)
{
    if (i == 0)
        return (c->host->config[I440FX_PAM0] >> 4) & 3;
    uint8_t reg = c->host->config[I440FX_PAM0 + 1 + (i - 1) / 2];
    return ((i - 1) & 1 ? reg >> 4 : reg) & 3;
}

/* Write-only shadowing: reads still see PCI, writes land in DRAM. Rare
 * (SeaBIOS never uses it), so it can afford to be MMIO. */
static uint64_t pam_we_read(void *opaque, uint64_t offset, unsigned size)
{
    PamSegment *seg = opaque;
    I440fx *c = seg->chip;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = seg->base + offset + i;
        uint8_t byte = c->rom && a >= c->rom_base && a < PAM_WINDOW_END ? c->rom[a - c->rom_base]
                                                                       : 0xFF;
        v |= (uint64_t)byte << (8 * i);
    }
    return v;
}

static void pam_we_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PamSegment *seg = opaque;
    uint8_t *ram = seg->chip->machine->ram + seg->base + offset;
    for (unsigned i = 0; i < size; i++)
        ram[i] = (uint8_t)(value >> (8 * i));
}

static const MemoryRegionOps pam_we_ops = {
    .read = pam_we_read, .write = pam_we_write, .min_access = 1, .max_access = 8,
};

static void pam_update(I440fx *c)
{
    AddressSpace *mem = c->machine->mem;
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        PamSegment *seg = &c->pam[i];
        int mode = pam_mode(c, i);
        if (mode == seg->mode)
            continue;
        if (seg->mr)
            memory_region_unmap(seg->mr);
        seg->mr = NULL;
        seg->mode = mode;
        uint8_t *ram = c->machine->ram + seg->base;
        switch (mode) {
        case PAM_RE:
            seg->mr = as_map_rom(mem, seg->name, seg->base, seg->size, ram);
            break;
        case PAM_WE:
            seg->mr = as_map_io(mem, seg->name, seg->base, seg->size, &pam_we_ops, seg);
            break;
        case PAM_RE | PAM_WE:
            seg->mr = as_map_ram(mem, seg->name, seg->base, seg->size, ram);
            break;
        default:
            break;   /* PCI: whatever lies beneath shows through */
        }
        if (seg->mr)
            memory_region_set_priority(seg->mr, PAM_PRIORITY);
    }
}

static void host_config_written(PciDevice *d, unsigned offset, unsigned len)
{
    if (offset <= I440FX_PAM_LAST && offset + len > I440FX_PAM0)
        pam_update(d->opaque);
}

static void pam_reset(I440fx *c)
{
    for (int r = I440FX_PAM0; r <= I440FX_PAM_LAST; r++)
        c->host->config[r] = c->firmware ? 0 : r == I440FX_PAM0 ? PAM0_RESET_DIRECT
                                                                  : PAM_RESET_DIRECT;
    pam_update(c);
}

static void pam_init(I440fx *c)
{
    if (!c->machine->ram || c->machine->ram_size < PAM_WINDOW_END)
        fatal("internal error: i440fx needs at least 1 MiB of RAM mapped first");
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        PamSegment *seg = &c->pam[i];
        seg->chip = c;
        seg->base = i == 0 ? 0xF0000 : PAM_WINDOW_BASE + (uint32_t)(i - 1) * 0x4000;
        seg->size = i == 0 ? 0x10000 : 0x4000;
        seg->mode = -1;
        snprintf(seg->name, sizeof(seg->name), "pam-%05x", (unsigned)seg->base);
    }
    c->host->wmask[I440FX_PAM0] = 0x30;
    for (int r = I440FX_PAM0 + 1; r <= I440FX_PAM_LAST; r++)
        c->host->wmask[r] = 0x33;
    c->host->opaque = c;
    c->host->config_written = host_config_written;
}

void i440fx_use_firmware(PciBus *bus, const uint8_t *rom, uint32_t rom_base)
{
    PciDevice *host = pci_bus_device(bus, 0);
    I440fx *c = host ? host->opaque : NULL;
    if (!c || rom_base < PAM_WINDOW_BASE || rom_base >= PAM_WINDOW_END)
        fatal("internal error: i440fx_use_firmware: bad arguments");
    c->firmware = true;
    c->rom = rom;
    c->rom_base = rom_base;
    pam_reset(c);
}

/* ---- PIIX3 reset control ---- */

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
    pam_reset(c);
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
        c->host->wmask[a] = 0xff;   /* PMC config, DRB, SMRAM: kept as written */
    pam_init(c);
    c->isa = pci_device_create(c->bus, 1 << 3, "piix3-isa", 0x8086, 0x7000, 0x060100 << 8);
    c->isa->config[PCI_HEADER_TYPE] = 0x80;   /* multi-function */
    for (int i = 0; i < 2; i++) {
        PciDevice *d = i ? c->isa : c->host;
        pci_set_word(&d->config[PCI_SUBSYSTEM_VENDOR_ID], SUBSYS_VENDOR);
        pci_set_word(&d->config[PCI_SUBSYSTEM_ID], SUBSYS_ID);
    }
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
