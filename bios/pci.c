/*
 * PCI: configuration mechanism #1, enumeration of bus 0 with BAR sizing and
 * assignment (I/O from 0xC000, 32-bit memory in the hole below 0xFEC00000,
 * largest first), PIIX3/PIIX4 set-up (PIRQ routing 10,10,11,11 with ELCR,
 * IDE decode, PIIX4 PM base 0x600), INTERRUPT_LINE per function, the PCI
 * BIOS INT 1Ah B1xxh calls (PCI BIOS spec 2.1 chapter 2) and the VGA option
 * ROM. Secondary buses behind bridges and 64-bit placement above 4 GiB are
 * left out.
 */
#include "bios.h"

#define PCI_MAX_BARS 64
#define PCI_IO_START 0xC000
#define PCI_IO_END 0x10000
#define PCI_MEM_END 0xFEC00000u
#define PCI_COMMAND 0x04
#define PCI_CMD_IO 0x01
#define PCI_CMD_MEM 0x02
#define PCI_CMD_MASTER 0x04
#define PCI_ROM 0x30
#define PM_BASE 0x600
#define SMB_BASE 0x700

static const u8 pirq_irqs[4] = { 10, 10, 11, 11 };

struct bar { u16 bdf; u8 reg, io, is64; u32 size; };
static struct bar bars[PCI_MAX_BARS];
static int nbars;

static void cfg_addr(u16 bdf, u8 reg) { outl(0xCF8, 0x80000000u | (u32)bdf << 8 | (reg & 0xFC)); }
u32 pci_read32(u16 bdf, u8 reg) { cfg_addr(bdf, reg); return inl(0xCFC); }
u16 pci_read16(u16 bdf, u8 reg) { cfg_addr(bdf, reg); return inw(0xCFC + (reg & 2)); }
u8 pci_read8(u16 bdf, u8 reg) { cfg_addr(bdf, reg); return inb(0xCFC + (reg & 3)); }
void pci_write32(u16 bdf, u8 reg, u32 v) { cfg_addr(bdf, reg); outl(0xCFC, v); }
void pci_write16(u16 bdf, u8 reg, u16 v) { cfg_addr(bdf, reg); outw(0xCFC + (reg & 2), v); }
void pci_write8(u16 bdf, u8 reg, u8 v) { cfg_addr(bdf, reg); outb(0xCFC + (reg & 3), v); }

/* Walk bus 0: calls fn for each present function; stops when fn returns 1. */
static int pci_walk(int (*fn)(u16 bdf, void *arg), void *arg)
{
    for (u16 bdf = 0; bdf < 256; bdf++) {
        u32 id = pci_read32(bdf, 0);
        if ((id & 0xFFFF) == 0xFFFF || (id & 0xFFFF) == 0) {
            if (!(bdf & 7))
                bdf += 7;
            continue;
        }
        if (fn(bdf, arg))
            return 1;
        if (!(bdf & 7) && !(pci_read8(bdf, 0x0E) & 0x80))
            bdf += 7;
    }
    return 0;
}

static void bar_add(u16 bdf, u8 reg, u32 size, int io, int is64)
{
    if (nbars >= PCI_MAX_BARS) {
        printf("PCI: more than %d BARs, %02x:%02x.%x reg %x left unassigned\n", PCI_MAX_BARS,
               bdf >> 8, (bdf >> 3) & 31, bdf & 7, reg);
        return;
    }
    bars[nbars++] = (struct bar){ bdf, reg, io, is64, size };
}

static int size_bars(u16 bdf, void *arg)
{
    (void)arg;
    if ((pci_read8(bdf, 0x0E) & 0x7F) != 0)
        return 0;                               /* bridges: not handled */
    u16 cmd = pci_read16(bdf, PCI_COMMAND);
    pci_write16(bdf, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
    for (u8 reg = 0x10; reg <= 0x24; reg += 4) {
        u32 old = pci_read32(bdf, reg);
        pci_write32(bdf, reg, ~0u);
        u32 v = pci_read32(bdf, reg);
        pci_write32(bdf, reg, old);
        if (!v || v == ~0u)
            continue;
        if (v & 1) {
            u32 size = (~(v & ~3u) + 1) & 0xFFFF;
            if (size)
                bar_add(bdf, reg, size, 1, 0);
            continue;
        }
        int is64 = (v & 6) == 4;
        u32 size = ~(v & ~0xFu) + 1;
        if (is64 && reg < 0x24) {
            u32 oldhi = pci_read32(bdf, reg + 4);
            pci_write32(bdf, reg + 4, ~0u);
            u32 hi = pci_read32(bdf, reg + 4);
            pci_write32(bdf, reg + 4, oldhi);
            if (hi != ~0u) {
                printf("PCI: %02x:%02x.%x BAR %x needs 64-bit space, left unassigned\n",
                       bdf >> 8, (bdf >> 3) & 31, bdf & 7, reg);
                reg += 4;
                continue;
            }
        }
        if (size)
            bar_add(bdf, reg, size, 0, is64);
        if (is64)
            reg += 4;
    }
    u32 old = pci_read32(bdf, PCI_ROM);
    pci_write32(bdf, PCI_ROM, ~1u);
    u32 v = pci_read32(bdf, PCI_ROM);
    pci_write32(bdf, PCI_ROM, old);
    if (v & ~0x7FFu)
        bar_add(bdf, PCI_ROM, ~(v & ~0x7FFu) + 1, 0, 0);
    pci_write16(bdf, PCI_COMMAND, cmd);
    return 0;
}

static void assign_bars(void)
{
    u32 ram = memmap_ram_below_4g();
    u32 mem = ram <= 0x80000000u ? 0x80000000u : ram <= 0xC0000000u ? 0xC0000000u : 0xE0000000u;
    u32 io = PCI_IO_START;
    /* Largest first keeps every BAR naturally aligned with no gaps. */
    for (int i = 1; i < nbars; i++)
        for (int j = i; j > 0 && bars[j].size > bars[j - 1].size; j--) {
            struct bar t = bars[j];
            bars[j] = bars[j - 1];
            bars[j - 1] = t;
        }
    for (int i = 0; i < nbars; i++) {
        struct bar *b = &bars[i];
        u32 addr;
        if (b->io) {
            addr = ALIGN_UP(io, b->size);
            if (addr + b->size > PCI_IO_END) {
                printf("PCI: out of I/O space\n");
                continue;
            }
            io = addr + b->size;
        } else {
            addr = ALIGN_UP(mem, b->size);
            if (addr < mem || addr + b->size > PCI_MEM_END || addr + b->size < addr) {
                printf("PCI: out of memory space for a %u KiB BAR\n", b->size >> 10);
                continue;
            }
            mem = addr + b->size;
        }
        pci_write32(b->bdf, b->reg, addr);
        if (b->is64)
            pci_write32(b->bdf, b->reg + 4, 0);
        u16 cmd = pci_read16(b->bdf, PCI_COMMAND);
        if (b->reg != PCI_ROM)
            pci_write16(b->bdf, PCI_COMMAND, cmd | (b->io ? PCI_CMD_IO : PCI_CMD_MEM));
    }
}

static int setup_function(u16 bdf, void *arg)
{
    (void)arg;
    u32 id = pci_read32(bdf, 0);
    u16 class = pci_read16(bdf, 0x0A);
    switch (id) {
    case 0x70008086:              /* PIIX3 ISA */
    case 0x71108086: {            /* PIIX4 ISA */
        u8 elcr[2] = { 0, 0 };
        for (int i = 0; i < 4; i++) {
            pci_write8(bdf, 0x60 + i, pirq_irqs[i]);
            elcr[pirq_irqs[i] >> 3] |= 1 << (pirq_irqs[i] & 7);
        }
        outb(0x4D0, elcr[0]);
        outb(0x4D1, elcr[1]);
        break;
    }
    case 0x70108086:              /* PIIX3 IDE */
    case 0x71118086:              /* PIIX4 IDE */
        pci_write16(bdf, 0x40, 0x8000);
        pci_write16(bdf, 0x42, 0x8000);
        break;
    case 0x71138086:              /* PIIX4 power management */
        pci_write32(bdf, 0x40, PM_BASE | 1);
        pci_write8(bdf, 0x80, pci_read8(bdf, 0x80) | 1);
        pci_write32(bdf, 0x90, SMB_BASE | 1);
        pci_write8(bdf, 0xD2, 0x09);
        pci_write8(bdf, 0x3C, 9);
        return 0;
    }
    if (class == 0x0101)
        pci_write16(bdf, PCI_COMMAND, pci_read16(bdf, PCI_COMMAND) | PCI_CMD_IO | PCI_CMD_MASTER);
    if (class == 0x0300)
        pci_write16(bdf, PCI_COMMAND, pci_read16(bdf, PCI_COMMAND) | PCI_CMD_IO | PCI_CMD_MEM);
    u8 pin = pci_read8(bdf, 0x3D);
    if (pin >= 1 && pin <= 4)
        pci_write8(bdf, 0x3C, pirq_irqs[((bdf >> 3) + pin - 1) & 3]);
    return 0;
}

void pci_init(void)
{
    nbars = 0;
    pci_walk(size_bars, NULL);
    assign_bars();
    pci_walk(setup_function, NULL);
}

struct find_arg { u32 match, mask; u8 reg; u16 index, bdf; };

static int find_fn(u16 bdf, void *arg)
{
    struct find_arg *f = arg;
    if ((pci_read32(bdf, f->reg) & f->mask) != f->match)
        return 0;
    if (f->index--)
        return 0;
    f->bdf = bdf;
    return 1;
}

int pci_find_class(u16 class, u16 *bdf)
{
    struct find_arg f = { (u32)class << 16, 0xFFFF0000u, 0x08, 0, 0 };
    if (!pci_walk(find_fn, &f))
        return -1;
    *bdf = f.bdf;
    return 0;
}

void pci_int1a(struct bregs *r)
{
    switch (r->al) {
    case 0x01:
        r->ax = 0x0001;
        r->bx = 0x0210;
        r->cl = 0;
        r->edx = 0x20494350;
        r->edi = 0;
        clear_cf(r);
        return;
    case 0x02:
    case 0x03: {
        struct find_arg f;
        if (r->al == 0x02) {
            if (r->dx == 0xFFFF) {
                set_fail(r, 0x83);
                return;
            }
            f = (struct find_arg){ (u32)r->cx << 16 | r->dx, ~0u, 0x00, r->si, 0 };
        } else {
            f = (struct find_arg){ (r->ecx & 0xFFFFFF) << 8, 0xFFFFFF00u, 0x08, r->si, 0 };
        }
        if (!pci_walk(find_fn, &f)) {
            set_fail(r, 0x86);
            return;
        }
        r->bx = f.bdf;
        set_ok(r);
        return;
    }
    case 0x08: case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: {
        u8 width = (r->al == 0x08 || r->al == 0x0B) ? 1 : (r->al == 0x09 || r->al == 0x0C) ? 2 : 4;
        if (r->di > 0xFF || (r->di & (width - 1))) {
            set_fail(r, 0x87);
            return;
        }
        u16 bdf = r->bx;
        u8 reg = r->di;
        if (r->bh != 0) {           /* only bus 0 exists here */
            if (r->al <= 0x0A)
                r->ecx = ~0u;
            set_ok(r);
            return;
        }
        switch (r->al) {
        case 0x08: r->cl = pci_read8(bdf, reg); break;
        case 0x09: r->cx = pci_read16(bdf, reg); break;
        case 0x0A: r->ecx = pci_read32(bdf, reg); break;
        case 0x0B: pci_write8(bdf, reg, r->cl); break;
        case 0x0C: pci_write16(bdf, reg, r->cx); break;
        case 0x0D: pci_write32(bdf, reg, r->ecx); break;
        }
        set_ok(r);
        return;
    }
    default:
        set_fail(r, 0x81);
        return;
    }
}

/* ---- VGA option ROM ---- */
#define OPTION_ROM_BASE 0xC0000
#define OPTION_ROM_MAX 0x20000

static void pam_set_c_d(u8 val)
{
    for (u8 reg = 0x5A; reg <= 0x5D; reg++)
        pci_write8(0, reg, val);
}

void pci_run_vga_rom(void)
{
    u16 bdf;
    if (pci_find_class(0x0300, &bdf))
        return;
    u32 rom = pci_read32(bdf, PCI_ROM) & ~0x7FFu;
    if (!rom)
        return;
    pci_write16(bdf, PCI_COMMAND, pci_read16(bdf, PCI_COMMAND) | PCI_CMD_MEM);
    pci_write32(bdf, PCI_ROM, rom | 1);
    const u8 *img = flat(rom);
    u32 size = img[2] * 512u;
    u16 pcir = get_le16(img + 0x18);
    int ok = img[0] == 0x55 && img[1] == 0xAA && size && size <= OPTION_ROM_MAX &&
             pcir + 24u <= size && !memcmp(img + pcir, "PCIR", 4) && img[pcir + 0x14] == 0;
    if (ok) {
        pam_set_c_d(0x33);
        memcpy(flat(OPTION_ROM_BASE), img, size);
    }
    pci_write32(bdf, PCI_ROM, rom);
    if (!ok)
        return;
    u32 our10 = rd32(0x10 * 4);
    struct call16_regs regs = { 0 };
    regs.eax = bdf;
    regs.ebx = regs.edx = 0xFFFF;
    regs.edi = 0xFFFF;
    regs.cs = OPTION_ROM_BASE >> 4;
    regs.ip = 3;
    call16_far(&regs);
    /* Keep the ROM's image read-only from here on (16 KiB PAM pieces). */
    u32 used = ALIGN_UP(rd8(OPTION_ROM_BASE + 2) * 512u, 0x4000);
    for (u32 a = 0; a < OPTION_ROM_MAX; a += 0x4000) {
        u8 reg = 0x5A + a / 0x8000, shift = (a & 0x4000) ? 4 : 0;
        u8 v = pci_read8(0, reg) & ~(0xF << shift);
        pci_write8(0, reg, v | (a < used ? 0x1 : 0x0) << shift);
    }
    u32 vec = rd32(0x10 * 4);
    if (vec != our10) {
        extern u32 video_rom_vector;
        video_rom_vector = vec;
        video_rom_int10 = vec;
        if (serial_console)      /* copy its teletype output to COM1 */
            wr32(0x10 * 4, FSEG_SEG << 16 | fseg_off(int10_chain_stub));
        /* The ROM leaves the mode to the BIOS: text mode 3, as on a PC. */
        struct call16_regs mode = { 0 };
        mode.eax = 0x0003;
        mode.cs = vec >> 16;
        mode.ip = vec & 0xFFFF;
        call16_far(&mode);
    }
}
