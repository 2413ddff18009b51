/*
 * The Bochs VBE "DISPI" interface (Bochs vbe.h register list, OSDev "Bochs
 * VBE Extensions") and the PCI function that carries the VGA as QEMU's
 * stdvga does (as Linux's bochs DRM driver and SeaBIOS's VGA BIOS expect):
 * BAR0 the 16 MiB framebuffer, BAR2 4 KiB of MMIO (VGA ports at 0x400,
 * DISPI registers at 0x500, the QEMU extension registers at 0x600), and
 * an expansion ROM BAR with the VGA BIOS. No EDID blob (reads as zero) and
 * no 4 bpp VBE modes beyond routing them to the planar VGA.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/display/vga.h"
#include "hw/display/vga_int.h"
#include "mimic/log.h"

#define VBE_PORT_BASE 0x1ce                 /* index; data at 0x1CF (and 0x1D0) */
#define VBE_ID_FIRST 0xb0c0
#define VBE_ID_LAST 0xb0c5
#define VBE_MAX_XRES 8192
#define VBE_MAX_YRES 8192
#define VBE_MAX_BPP 32
#define VBE_ENABLE_BITS (VBE_ENABLED | VBE_GETCAPS | VBE_8BIT_DAC | VBE_LFB_ENABLED | VBE_NOCLEARMEM)

#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111
#define VGA_PCI_CLASS 0x030000               /* display, VGA-compatible */
#define VGA_PCI_REVISION 2                   /* has the extension registers */
#define VGA_MMIO_SIZE 0x1000
#define VGA_MMIO_PORTS 0x400                 /* 0x3C0-0x3DF */
#define VGA_MMIO_PORTS_END 0x420
#define VGA_MMIO_VBE 0x500
#define VGA_MMIO_VBE_END (VGA_MMIO_VBE + 2 * VBE_REG_COUNT)
#define VGA_MMIO_QEXT 0x600
#define VGA_QEXT_SIZE 8
#define VGA_QEXT_LITTLE_ENDIAN 0x1e1e1e1eu
#define VGA_QEXT_BIG_ENDIAN 0xbebebebeu
#define PCI_ROM_ADDRESS 0x30
#define PCI_ROM_ENABLE 0x1u
#define VGA_ROM_MIN_SIZE 0x800
#define VGA_ROM_MAX_SIZE (1u << 20)

/* ---- DISPI registers ---------------------------------------------------- */

static uint32_t vbe_line_bytes(const Vga *s)
{
    uint32_t bytes = (s->vbe[VBE_BPP] + 7u) / 8u;
    if (s->vbe[VBE_BPP] == 4)
        return (s->vbe[VBE_VIRT_WIDTH] + 7u) / 8u;
    return s->vbe[VBE_VIRT_WIDTH] * bytes;
}

uint16_t vbe_read(Vga *s, unsigned index)
{
    bool caps = s->vbe[VBE_ENABLE] & VBE_GETCAPS;
    switch (index) {
    case VBE_XRES:
        return caps ? VBE_MAX_XRES : s->vbe[index];
    case VBE_YRES:
        return caps ? VBE_MAX_YRES : s->vbe[index];
    case VBE_BPP:
        return caps ? VBE_MAX_BPP : s->vbe[index];
    case VBE_VIRT_HEIGHT: {
        uint32_t line = vbe_line_bytes(s);
        uint32_t h = line ? VGA_VRAM_SIZE / line : 0;
        return (uint16_t)(h > 0xffff ? 0xffff : h);
    }
    case VBE_VIDEO_MEMORY_64K:
        return VGA_VRAM_SIZE / VBE_BANK_SIZE;
    default:
        if (index < VBE_REG_COUNT)
            return s->vbe[index];
        guest_error("vga: read of DISPI register 0x%x, which does not exist\n", index);
        return 0;
    }
}

static void vbe_enable(Vga *s, uint16_t v)
{
    bool was_on = s->vbe[VBE_ENABLE] & VBE_ENABLED;
    s->vbe[VBE_ENABLE] = v & VBE_ENABLE_BITS;
    if (!(v & VBE_ENABLED) || was_on)
        return;
    /* Switching on starts a fresh mode: the virtual screen is the visible
     * one, unpanned, and (unless told not to) cleared. */
    s->vbe[VBE_VIRT_WIDTH] = s->vbe[VBE_XRES];
    s->vbe[VBE_X_OFFSET] = s->vbe[VBE_Y_OFFSET] = 0;
    s->vbe[VBE_BANK] = 0;
    if (!(v & VBE_NOCLEARMEM)) {
        uint64_t bytes = (uint64_t)vbe_line_bytes(s) * s->vbe[VBE_YRES];
        if (s->vbe[VBE_BPP] == 4)
            bytes *= 4;                       /* all four planes */
        memset(s->vram, 0, bytes < VGA_VRAM_SIZE ? bytes : VGA_VRAM_SIZE);
        memset(s->dirty, 0xff, sizeof(s->dirty));
    }
}

void vbe_write(Vga *s, unsigned index, uint16_t v)
{
    switch (index) {
    case VBE_ID:
        if (v >= VBE_ID_FIRST && v <= VBE_ID_LAST)
            s->vbe[index] = v;
        else
            guest_error("vga: DISPI ID 0x%04x is not a Bochs VBE version\n", v);
        break;
    case VBE_XRES:
    case VBE_YRES:
        if (v == 0 || v > (index == VBE_XRES ? VBE_MAX_XRES : VBE_MAX_YRES))
            guest_error("vga: DISPI %s %u out of range\n", index == VBE_XRES ? "XRES" : "YRES", v);
        else
            s->vbe[index] = v;
        break;
    case VBE_BPP:
        if (v == 0)
            v = 8;
        if (v == 4 || v == 8 || v == 15 || v == 16 || v == 24 || v == 32)
            s->vbe[index] = v;
        else
            guest_error("vga: DISPI BPP %u is not 4, 8, 15, 16, 24 or 32\n", v);
        break;
    case VBE_ENABLE:
        vbe_enable(s, v);
        break;
    case VBE_BANK:
        if ((uint32_t)v * VBE_BANK_SIZE >= VGA_VRAM_SIZE)
            guest_error("vga: DISPI bank %u beyond %u KiB of video memory\n", v,
                        VGA_VRAM_SIZE >> 10);
        else
            s->vbe[index] = v;
        break;
    case VBE_VIRT_WIDTH:
    case VBE_X_OFFSET:
    case VBE_Y_OFFSET:
        s->vbe[index] = v;                    /* checked against memory when drawn */
        break;
    case VBE_VIRT_HEIGHT:
    case VBE_VIDEO_MEMORY_64K:
        break;                                /* derived from the memory size */
    default:
        guest_error("vga: write 0x%04x to DISPI register 0x%x, which does not exist\n", v, index);
        break;
    }
}

void vbe_reset(Vga *s)
{
    memset(s->vbe, 0, sizeof(s->vbe));
    s->vbe[VBE_ID] = VBE_ID_LAST;
    s->vbe_index = 0;
    s->fb_big_endian = false;
}

/* 0x1CE index, 0x1CF data (0x1D0 is the data port's old alias). */
static uint64_t vbe_port_read(void *opaque, uint64_t offset, unsigned size)
{
    Vga *s = opaque;
    (void)size;
    return offset == 0 ? s->vbe_index : vbe_read(s, s->vbe_index);
}

static void vbe_port_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Vga *s = opaque;
    (void)size;
    if (offset == 0)
        s->vbe_index = (uint16_t)value;
    else
        vbe_write(s, s->vbe_index, (uint16_t)value);
}

static const MemoryRegionOps vbe_port_ops = {
    .read = vbe_port_read, .write = vbe_port_write, .min_access = 1, .max_access = 2,
};

/* ---- BAR2: the MMIO register block -------------------------------------- */

static uint64_t vga_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    Vga *s = opaque;
    uint64_t v = 0;
    if (offset >= VGA_MMIO_QEXT && offset + size <= VGA_MMIO_QEXT + VGA_QEXT_SIZE) {
        uint64_t regs = VGA_QEXT_SIZE |
            (uint64_t)(s->fb_big_endian ? VGA_QEXT_BIG_ENDIAN : VGA_QEXT_LITTLE_ENDIAN) << 32;
        return regs >> (8 * (offset - VGA_MMIO_QEXT));
    }
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = offset + i, b = 0;
        if (a >= VGA_MMIO_PORTS && a < VGA_MMIO_PORTS_END)
            b = vga_port_read(s, (uint16_t)(0x3c0 + a - VGA_MMIO_PORTS));
        else if (a >= VGA_MMIO_VBE && a < VGA_MMIO_VBE_END)
            b = vbe_read(s, (unsigned)(a - VGA_MMIO_VBE) / 2) >> (8 * (a & 1));
        v |= (b & 0xff) << (8 * i);
    }
    return v;
}

static void vga_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Vga *s = opaque;
    if (offset == VGA_MMIO_QEXT + 4 && size == 4) {
        if (value == VGA_QEXT_BIG_ENDIAN || value == VGA_QEXT_LITTLE_ENDIAN)
            s->fb_big_endian = value == VGA_QEXT_BIG_ENDIAN;
        else
            guest_error("vga: framebuffer byte order 0x%08x is neither 0x1e1e1e1e nor 0xbebebebe\n",
                        (unsigned)value);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = offset + i;
        if (a >= VGA_MMIO_PORTS && a < VGA_MMIO_PORTS_END) {
            /* Word writes reach the index port first, as an OUTW would. */
            vga_port_write(s, (uint16_t)(0x3c0 + a - VGA_MMIO_PORTS), (uint8_t)(value >> (8 * i)));
        } else if (a >= VGA_MMIO_VBE && a < VGA_MMIO_VBE_END) {
            unsigned reg = (unsigned)(a - VGA_MMIO_VBE) / 2;
            uint16_t v;
            if (!(a & 1) && i + 1 < size) {
                v = (uint16_t)(value >> (8 * i));
                i++;
            } else {                          /* a lone byte merges with the other half */
                unsigned shift = 8 * (a & 1);
                v = (uint16_t)((s->vbe[reg] & ~(0xff << shift)) | ((value >> (8 * i)) & 0xff) << shift);
            }
            vbe_write(s, reg, v);
        } else {
            log_unimp("vga: write to MMIO register 0x%llx\n", (unsigned long long)a);
        }
    }
}

static const MemoryRegionOps vga_mmio_ops = {
    .read = vga_mmio_read, .write = vga_mmio_write, .min_access = 1, .max_access = 4,
};

/* ---- BAR0: the framebuffer ---------------------------------------------- */

/* Only used while the RAM mapping of the LFB is not in place (it covers
 * the BAR exactly, at a higher priority, whenever the BAR decodes). */
static uint64_t vga_lfb_read(void *opaque, uint64_t offset, unsigned size)
{
    Vga *s = opaque;
    uint64_t v = 0;
    if (offset + size <= VGA_VRAM_SIZE)
        memcpy(&v, s->vram + offset, size);
    return v;
}

static void vga_lfb_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Vga *s = opaque;
    if (offset + size > VGA_VRAM_SIZE)
        return;
    memcpy(s->vram + offset, &value, size);
    vga_mark_page(s, (uint32_t)offset);
    vga_mark_page(s, (uint32_t)(offset + size - 1));
}

static const MemoryRegionOps vga_lfb_ops = {
    .read = vga_lfb_read, .write = vga_lfb_write, .min_access = 1, .max_access = 8,
};

static void vga_pci_sync_lfb(Vga *s)
{
    MemoryRegion *bar = s->pci->bar[0].mr;
    if (bar && bar->enabled) {
        if (!s->lfb_ram) {
            s->lfb_ram = as_map_ram(s->m->mem, "vga-lfb", bar->base, VGA_VRAM_SIZE, s->vram);
            memory_region_set_priority(s->lfb_ram, 2);
        } else {
            memory_region_move(s->lfb_ram, bar->base);
            memory_region_set_enabled(s->lfb_ram, true);
        }
    } else if (s->lfb_ram) {
        memory_region_set_enabled(s->lfb_ram, false);
    }
}

/* The expansion ROM BAR (PCI 3.0, 6.2.5.2): decoded when its enable bit
 * and the command register's memory space bit are both set. */
static void vga_pci_sync_rom(Vga *s)
{
    if (!s->rom_size)
        return;
    PciDevice *d = s->pci;
    uint32_t reg = pci_get_long(&d->config[PCI_ROM_ADDRESS]);
    uint32_t addr = reg & ~(s->rom_size - 1);
    bool on = (reg & PCI_ROM_ENABLE) && (pci_get_word(&d->config[PCI_COMMAND]) & PCI_COMMAND_MEMORY) &&
              addr != 0 && addr != (uint32_t)-s->rom_size;
    if (on) {
        if (!s->rom_mr) {
            s->rom_mr = as_map_rom(s->m->mem, "vga-rom", addr, s->rom_size, s->rom);
            memory_region_set_priority(s->rom_mr, 1);
        } else {
            memory_region_move(s->rom_mr, addr);
            memory_region_set_enabled(s->rom_mr, true);
        }
    } else if (s->rom_mr) {
        memory_region_set_enabled(s->rom_mr, false);
    }
}

static bool ranges_meet(unsigned offset, unsigned len, unsigned reg, unsigned reg_len)
{
    return offset < reg + reg_len && offset + len > reg;
}

static void vga_pci_config_written(PciDevice *d, unsigned offset, unsigned len)
{
    Vga *s = d->opaque;
    bool command = ranges_meet(offset, len, PCI_COMMAND, 2);
    if (command || ranges_meet(offset, len, PCI_BAR0, 4))
        vga_pci_sync_lfb(s);
    if (command || ranges_meet(offset, len, PCI_ROM_ADDRESS, 4))
        vga_pci_sync_rom(s);
}

static void vga_pci_load_rom(Vga *s, const char *romfile)
{
    if (!romfile || access(romfile, R_OK) != 0)
        return;
    size_t size;
    const char *err;
    uint8_t *data = load_file(romfile, &size, &err);
    if (!data) {
        warn("VGA BIOS: %s; the card has no option ROM", err);
        return;
    }
    if (size == 0 || size > VGA_ROM_MAX_SIZE) {
        warn("VGA BIOS %s: %zu bytes is not an option ROM; the card has none", romfile, size);
        free(data);
        return;
    }
    uint32_t rom_size = VGA_ROM_MIN_SIZE;
    while (rom_size < size)
        rom_size <<= 1;
    /* Page-aligned, so KVM can map it as a read-only slot. */
    s->rom = mmap(NULL, rom_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->rom == MAP_FAILED)
        fatal("out of memory for the VGA BIOS");
    memcpy(s->rom, data, size);
    free(data);
    s->rom_size = rom_size;
    pci_set_long(&s->pci->wmask[PCI_ROM_ADDRESS], ~(rom_size - 1) | PCI_ROM_ENABLE);
}

Vga *vga_pci_create(Machine *m, PciBus *bus, int devfn, const char *romfile)
{
    Vga *s = vga_common_create(m, "vga");
    as_map_io(m->io, "vbe", VBE_PORT_BASE, 3, &vbe_port_ops, s);

    PciDevice *d = pci_device_create(bus, devfn, "vga", VGA_PCI_VENDOR, VGA_PCI_DEVICE,
                                     VGA_PCI_CLASS << 8 | VGA_PCI_REVISION);
    s->pci = d;
    d->opaque = s;
    d->config_written = vga_pci_config_written;
    pci_set_word(&d->config[PCI_SUBSYSTEM_VENDOR_ID], 0x1af4);   /* as QEMU's */
    pci_set_word(&d->config[PCI_SUBSYSTEM_ID], 0x1100);
    pci_device_set_bar(d, 0, VGA_VRAM_SIZE, false, &vga_lfb_ops, s);
    d->bar[0].prefetch = true;
    d->config[PCI_BAR0] |= 0x08;                                  /* prefetchable */
    pci_device_set_bar(d, 2, VGA_MMIO_SIZE, false, &vga_mmio_ops, s);
    vga_pci_load_rom(s, romfile);
    return s;
}

DisplayConsole *vga_console(Vga *s)
{
    return s->con;
}
