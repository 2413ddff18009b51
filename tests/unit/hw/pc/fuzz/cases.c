/*
 * The pc fuzzer's per-device cases (see cases.h): what guests write where,
 * after the IBM VGA Technical Reference, ATA/ATAPI (task file, PACKET),
 * SFF-8038i (IDE bus-master DMA), QEMU's fw_cfg interface and the
 * PIIX/i440FX datasheets; DMA episodes whose every RAM write and moved byte
 * is checked.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block_int.h"
#include "block/qcow2.h"
#include "hw/pc/e820.h"
#include "hw/timer/hpet.h"
#include "mimic/block.h"
#include "mimic/display.h"
#include "mimic/le.h"

#include "cases.h"
#include "rig.h"

/* ---- Values and addresses worth trying ----------------------------------- */

uint64_t hot_address(void)
{
    return fz.hot[rnd_below(NHOT)] + (chance(20) ? rnd_below(16) : 0);
}

void hot_init(void)
{
    static const uint64_t fixed[] = {
        0, RAM_SIZE - 8, RAM_SIZE - 4, RAM_SIZE - 2, RAM_SIZE, 0x9FFF8, 0xA0000, 0xBFFF8,
        0xC0000, 0xEFFF8, 0xF0000, 0xFFFF0, 0x100000, PC_IOAPIC_BASE, HPET_BASE, PC_LAPIC_BASE,
        0xFFFFFFF8, 0xFFFE0000,
    };
    int n = 0;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        fz.hot[n++] = fixed[i];
    while (n < NHOT)
        fz.hot[n++] = rnd() % RAM_SIZE & (chance(70) ? ~7ull : ~0ull);
}

uint64_t interesting_value(void)
{
    static const uint64_t fixed[] = {
        0x80, 0x7F, 0xFF, 0x100, 0xFFFF, 0x8000, 0x10000, 0x7FFFFFFF, 0x80000000,
        0xFFFFFFFF, 0x100000000ull, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull,
        0xFFFFFFFF00000000ull, 0xFEE00000, 0xFEC00000, 0xFED00000, 0xAA, 0x55, 0xFE, 0xF0,
    };
    switch (rnd_below(13)) {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return rnd_below(64);                        /* indices, small counts */
    case 3: return 1ull << rnd_below(64);
    case 4: return (1ull << rnd_below(64)) - 1;
    case 5: return ~0ull << rnd_below(64);
    case 6: return PICK(fixed);
    case 7: return 0x10 + rnd_below(2 * 24 + 8);         /* IOAPIC IOREGSEL around the RTEs */
    case 8: return rnd() & 0xFF;
    case 9: return rnd() & 0xFFFF;
    case 10: return ~0ull - rnd_below(256);              /* just below a wrap */
    case 11: return hot_address();
    default: return rnd();
    }
}

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xFF00) | (v << 8 & 0xFF0000) | v << 24;
}

static const uint8_t ata_commands[] = {
    0x00, 0x08, 0x10, 0x20, 0x21, 0x24, 0x25, 0x29, 0x30, 0x31, 0x34, 0x35, 0x39, 0x40, 0x41,
    0x42, 0x70, 0x90, 0x91, 0xA0, 0xA0, 0xA0, 0xA1, 0xC4, 0xC5, 0xC6, 0xC8, 0xC8, 0xC9, 0xCA,
    0xCA, 0xCB, 0xE0, 0xE1, 0xE2, 0xE3, 0xE5, 0xE6, 0xE7, 0xEA, 0xEC, 0xEF, 0xEF,
};

static const uint16_t fw_cfg_keys[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0C, 0x0D, 0x0E, 0x0F, 0x19, 0x20, 0x21, 0x22, 0x23,
    0x24, 0x25, 0x26, 0x27, 0x28, 0x2F, 0x3F, 0x8000, 0x8002, 0x8003, 0x4000, 0xBFFF, 0xFFFF,
};

/* Register offsets guests use, by region (a fuzzer dictionary), so that
 * index/data pairs and enable sequences happen often. */
struct Dict {
    const char *name;     /* region name; NULL: by base */
    uint64_t base;
    bool io;
    uint16_t off[24];
    int n;
};

static const Dict dictionary[] = {
    { NULL, PC_LAPIC_BASE, false, { 0x20, 0x80, 0xB0, 0xD0, 0xE0, 0xF0, 0x280, 0x300, 0x310, 0x320,
      0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3E0, 0x100, 0x200 }, 20 },
    { NULL, PC_IOAPIC_BASE, false, { 0x00, 0x10, 0x40, 0x00, 0x10 }, 5 },
    { NULL, HPET_BASE, false, { 0x000, 0x010, 0x020, 0x0F0, 0x0F4, 0x100, 0x108, 0x10C, 0x120,
      0x128, 0x140, 0x148, 0x104, 0x024 }, 14 },
    { "ide0", 0, true, { 0, 1, 2, 3, 4, 5, 6, 7, 7, 7 }, 10 },
    { "ide1", 0, true, { 0, 1, 2, 3, 4, 5, 6, 7, 7, 7 }, 10 },
    { "piix3-ide", 0, true, { 0, 2, 4, 8, 10, 12 }, 6 },
    { "vga", 0, true, { 0x10, 0x11, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1C, 0x1E, 0x1F,
      0x24, 0x25, 0x2A, 0x04, 0x05, 0x0A, 0x12 }, 18 },
    { "vga", 0, false, { 0x400, 0x401, 0x404, 0x405, 0x408, 0x409, 0x40E, 0x40F, 0x414, 0x415,
      0x41A, 0x500, 0x502, 0x504, 0x506, 0x508, 0x50A, 0x50C, 0x510, 0x512, 0x600, 0x604 }, 22 },
    { "vbe", 0, true, { 0, 1, 0, 1, 2 }, 5 },
    { "fw_cfg", 0, true, { 0, 1, 1, 1 }, 4 },
    { "fw_cfg-dma", 0, true, { 0, 4 }, 2 },
    { "pci-config", 0, true, { 0, 1, 4, 5, 6, 7 }, 6 },
};

Target targets[MAX_TARGETS];
int ntargets;

static void collect_targets(AddressSpace *as)
{
    size_t n;
    const FlatRange *fr = address_space_flat(as, &n);
    for (size_t i = 0; i < n && ntargets < MAX_TARGETS; i++) {
        if (fr[i].mr->kind != MR_MMIO)
            continue;
        Target *t = &targets[ntargets++];
        *t = (Target){ as, fr[i].start, fr[i].end, fr[i].mr->name, NULL };
        for (size_t d = 0; d < sizeof(dictionary) / sizeof(dictionary[0]); d++) {
            const Dict *e = &dictionary[d];
            if (e->name ? !strcmp(e->name, t->name) && e->io == (as == fz.m->io) &&
                              fr[i].offset == 0
                        : e->base == t->start)
                t->dict = e;
        }
    }
}

void refresh_targets(void)
{
    ntargets = 0;
    collect_targets(fz.m->io);
    collect_targets(fz.m->mem);
    fz.targets_stale = false;
}

uint64_t pick_offset(const Target *t)
{
    uint64_t size = t->end - t->start;
    uint64_t regs = size < 0x1000 ? size : 0x1000;
    unsigned r = rnd_below(100);
    if (r < 35 && t->dict)
        return (t->dict->off[rnd_below((unsigned)t->dict->n)] + (chance(10) ? rnd_below(8) : 0)) %
               size;
    if (r < 55)
        return (rnd() % regs) & ~15ull;
    if (r < 70)
        return (rnd() % regs) & ~3ull;
    if (r < 85)
        return rnd() % size;
    if (r < 92)
        return rnd_below(8) % size;
    return size - 1 - rnd_below(8) % size;    /* at the end: accesses straddle out */
}

/* Values some registers like to see. */
uint64_t pick_value(const Target *t, uint64_t off)
{
    if (chance(50) && t->dict && t->dict->name) {
        const char *n = t->name;
        if (!strncmp(n, "ide", 3) && strlen(n) == 4 && off == 7)
            return PICK(ata_commands);
        if (!strncmp(n, "ide", 3) && strlen(n) == 4 && off == 6)
            return 0xA0 | rnd_below(2) << 4 | (chance(50) ? 0x40 : 0) |
                   (chance(50) ? rnd_below(16) : 0);
        if (!strcmp(n, "piix3-ide") && (off & 7) == 0)
            return (chance(60) ? 1 : 0) | (chance(50) ? 8 : 0);
        if (!strcmp(n, "piix3-ide") && (off & 7) == 4)
            return hot_address();
        if (!strcmp(n, "fw_cfg") && off == 0)
            return PICK(fw_cfg_keys);
        if (!strcmp(n, "fw_cfg-dma"))
            return bswap32((uint32_t)(off == 0 ? (chance(80) ? 0 : rnd()) : hot_address()));
        if (!strcmp(n, "vbe") && off == 0)
            return rnd_below(12);
        if (!strcmp(n, "vbe"))
            return chance(50) ? PICK(((const uint16_t[]){ 0, 4, 8, 15, 16, 24, 32, 640, 480, 1024,
                                                          768, 8192, 8191, 0xB0C5, 0x41, 0xC1,
                                                          0x01, 0x21, 0x03, 0x61, 0xFF }))
                              : rnd_below(0x300);
    }
    return interesting_value();
}

/* ---- Structured actions ------------------------------------------------------ */

/* PCI configuration space through 0xCF8/0xCFC, at the registers that move
 * BARs, flip decode bits and steer PAM, IDE decoding and PIRQs. */
void act_pci_config(void)
{
    static const uint8_t regs[] = {
        0x04, 0x04, 0x04, 0x05, 0x06, 0x10, 0x10, 0x14, 0x18, 0x18, 0x1C, 0x20, 0x20, 0x24, 0x30,
        0x30, 0x3C, 0x3D, 0x40, 0x41, 0x42, 0x43, 0x44, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F,
        0x60, 0x61, 0x62, 0x63, 0x0C, 0x0D, 0x0E, 0x00, 0x08, 0xFC, 0xFF,
    };
    static const uint32_t bars[] = {
        0, 0xFFFFFFFF, 0xFD000000, 0xFEBF0000, 0xFEBF1000, 0xE0000000, 0x01000000, 0x00000000,
        0x000A0000, 0x000C0000, 0x000F0000, 0xFEC00000, 0xFED00000, 0xFEE00000, 0xFFFE0000,
        0xFFFFF000, 0xC001, 0xC041, 0x1F1, 0x171, 0x3F5, 0x511, 0xCF9, 0x0061, 0xFFF1, 0x3C1,
        0x1CD, 0x00100000, 0x00000401, 0xFF000000, 0xFFFFFFF1,
    };
    int devfn = chance(92) ? PICK(pci_funcs) : (int)rnd_below(256);
    unsigned reg = chance(85) ? PICK(regs) : rnd_below(256);
    unsigned size = 1u << rnd_below(3);
    if ((reg & 3) + size > 4)
        size = 1;
    if (chance(30)) {
        (void)pci_cfg_read(devfn, reg, size);
        return;
    }
    uint32_t v;
    if (reg >= 0x10 && reg < 0x34 && chance(80))
        v = (PICK(bars) + (chance(10) ? (uint32_t)rnd_below(4096) : 0)) |
            (reg == 0x30 && chance(60) ? 1 : 0);  /* expansion ROM enable */
    else if (reg == 0x04 && chance(80))
        v = (uint32_t)rnd_below(8) | (chance(20) ? 0x400 : 0);
    else if (reg >= 0x59 && reg <= 0x5F && chance(70))
        v = (uint32_t)(rnd() & 0x33333333);
    else
        v = (uint32_t)interesting_value();
    pci_cfg_write(devfn, reg, size, v);
}

static const uint8_t cdb_ops[] = {
    0x00, 0x03, 0x12, 0x1B, 0x1E, 0x25, 0x28, 0x28, 0x28, 0x2B, 0x43, 0x43, 0x46, 0x4A, 0x51,
    0x5A, 0x5A, 0xA8, 0xBB, 0xBD, 0x55, 0xAD, 0xBE,
};

static void make_cdb(uint8_t cdb[12], int drive)
{
    memset(cdb, 0, 12);
    for (int i = 1; i < 12; i++)
        if (chance(15))
            cdb[i] = (uint8_t)interesting_value();
    cdb[0] = chance(90) ? PICK(cdb_ops) : (uint8_t)rnd();
    uint64_t sectors = drive >= 0 ? fz.sectors[drive] : 0;
    uint32_t lba = chance(60) ? (uint32_t)(sectors ? rnd() % sectors : 0)
                 : chance(50) ? (uint32_t)(sectors - rnd_below(4)) : (uint32_t)interesting_value();
    uint32_t count = chance(70) ? rnd_below(8) : (uint32_t)interesting_value();
    switch (cdb[0]) {
    case 0x28:
        cdb[2] = (uint8_t)(lba >> 24), cdb[3] = (uint8_t)(lba >> 16);
        cdb[4] = (uint8_t)(lba >> 8), cdb[5] = (uint8_t)lba;
        cdb[7] = (uint8_t)(count >> 8), cdb[8] = (uint8_t)count;
        break;
    case 0xA8:
        cdb[2] = (uint8_t)(lba >> 24), cdb[3] = (uint8_t)(lba >> 16);
        cdb[4] = (uint8_t)(lba >> 8), cdb[5] = (uint8_t)lba;
        cdb[6] = (uint8_t)(count >> 24), cdb[7] = (uint8_t)(count >> 16);
        cdb[8] = (uint8_t)(count >> 8), cdb[9] = (uint8_t)count;
        break;
    case 0x1B:
        cdb[4] = (uint8_t)rnd_below(4) | (chance(10) ? 0x10 : 0);
        break;
    case 0x1E:
        cdb[4] = (uint8_t)rnd_below(2);
        break;
    case 0x4A:
        cdb[1] = chance(90);
        cdb[4] = chance(70) ? 0x10 : (uint8_t)rnd();
        /* fall through */
    default: {
        uint16_t alloc = PICK(((const uint16_t[]){ 0, 1, 8, 18, 36, 0xFF, 0x100, 0xFFFF, 34, 48 }));
        if (cdb[0] == 0x03 || cdb[0] == 0x12) {
            cdb[4] = (uint8_t)alloc;
        } else if (cdb[0] == 0xBD) {
            cdb[8] = (uint8_t)(alloc >> 8), cdb[9] = (uint8_t)alloc;
        } else {
            cdb[7] = (uint8_t)(alloc >> 8), cdb[8] = (uint8_t)alloc;
        }
        if (cdb[0] == 0x43 && chance(50))
            cdb[2] = (uint8_t)rnd_below(4), cdb[1] = chance(50) ? 2 : 0;
        if (cdb[0] == 0x5A && chance(70))
            cdb[2] = (uint8_t)(PICK(((const uint8_t[]){ 0x01, 0x0D, 0x2A, 0x3F, 0x00 })) |
                               rnd_below(4) << 6);
        break;
    }
    }
}

static void ide_send_cdb(uint16_t base, const uint8_t cdb[12])
{
    for (int i = 0; i < 12; i += 2)
        outw(base, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
}

static uint8_t pick_lba_byte(int i, uint64_t sectors, uint64_t lba)
{
    (void)sectors;
    return chance(80) ? (uint8_t)(lba >> (8 * i)) : (uint8_t)interesting_value();
}

/* A command on a channel with a plausible task file; PACKET usually gets
 * its CDB. */
void act_ide_command(void)
{
    int ch = (int)rnd_below(2);
    uint16_t base = ch ? 0x170 : 0x1F0, ctl = ch ? 0x376 : 0x3F6;
    if (chance(10)) {
        outb(ctl, (uint8_t)PICK(((const uint8_t[]){ 0, 2, 4, 0x80, 6, 0x82 })));
        if (chance(70))
            outb(ctl, chance(50) ? 0 : 2);
    }
    int unit = (int)rnd_below(2);
    if (chance(70))
        outb(base + 6, (uint8_t)(0xA0 | unit << 4 | (chance(70) ? 0x40 : 0) |
                                 (chance(30) ? rnd_below(16) : 0)));
    int drive = 2 * ch + unit;
    uint64_t sectors = fz.sectors[drive];
    uint64_t lba = chance(60) && sectors ? rnd() % sectors
                 : chance(50) ? sectors - rnd_below(4) : rnd();
    bool hob = chance(30);
    for (int pass = hob ? 0 : 1; pass < 2; pass++) {
        int shift = pass == 0 ? 24 : 0;
        uint8_t count = (uint8_t)(pass == 0 ? (chance(80) ? 0 : rnd()) : PICK(((const uint8_t[]){
                                   0, 1, 2, 3, 8, 16, 17, 128, 255 })));
        outb(base + 1, (uint8_t)(pass == 1 ? PICK(((const uint8_t[]){ 0, 1, 2, 3, 0x02, 0x82,
                                      0x55, 0xAA, 0x66, 0xCC, 0x03 })) : 0));
        outb(base + 2, count);
        for (int i = 0; i < 3; i++)
            outb(base + 3 + i, pick_lba_byte(i + shift / 8, sectors, lba));
    }
    uint8_t cmd = chance(95) ? PICK(ata_commands) : (uint8_t)rnd();
    if (fz.drive[drive] == IDE_DRIVE_CD && chance(60)) {
        /* Packet commands, mostly by PIO with a byte count limit from the
         * usual ones; sometimes a TEST UNIT READY first takes the unit
         * attention that follows each reset. */
        cmd = 0xA0;
        if (chance(40)) {
            outb(base + 1, 0);
            outb(base + 7, 0xA0);
            ide_send_cdb(base, (const uint8_t[12]){ 0 });
            (void)inb(base + 7);
        }
        uint16_t limit = PICK(((const uint16_t[]){ 0, 1, 2, 3, 0x10, 0x200, 0x800, 0x801, 0x8000,
                                                   0xFFFE, 0xFFFF, 18, 36 }));
        outb(base + 1, chance(75) ? 0 : 1);
        outb(base + 4, (uint8_t)limit);
        outb(base + 5, (uint8_t)(limit >> 8));
    }
    if (cmd == 0xEF && chance(50))
        outb(base + 2, PICK(((const uint8_t[]){ 0x00, 0x01, 0x08, 0x0C, 0x22, 0x45, 0x46 })));
    outb(base + 7, cmd);
    if (cmd == 0xA0 && chance(85)) {
        uint8_t cdb[12];
        make_cdb(cdb, drive);
        ide_send_cdb(base, cdb);
    }
    /* Often the driver then reads what the drive offers, block by block
     * (for a packet device: while the interrupt reason says data in). */
    bool cd = fz.drive[drive] == IDE_DRIVE_CD;
    for (int blocks = chance(60) ? (int)rnd_below(64) : 0; blocks > 0; blocks--) {
        if ((inb(base + 7) & 0x88) != 0x08 || (cd && (inb(base + 2) & 3) != 2))
            break;
        unsigned bytes = cd ? (unsigned)(inb(base + 4) | inb(base + 5) << 8) : 512;
        bool wide = chance(30);
        for (unsigned i = 0; i < (bytes + (wide ? 3 : 1)) / (wide ? 4 : 2); i++) {
            if (i % 64 == 63 && !(inb(ctl) & 0x08))
                break;
            (void)as_ld(fz.m->io, base, wide ? 4 : 2);
        }
    }
}

/* The guest programs a function's BARs where firmware would (or over
 * something else) and turns decoding on: targets for everything else. */
void act_pci_bars(void)
{
    static const uint32_t lfb[] = { 0xFD000000, 0xFC000000, 0xE0000000, 0xFE000000, 0x01000000,
                                    0xFF000000, 0x80000000 };
    static const uint32_t mmio[] = { 0xFEBF0000, 0xFEBF1000, 0xFEC00000, 0xFED00000, 0xFEE00000,
                                     0x000A0000, 0x000C0000, 0x000F0000, 0x00100000, 0xFFFFE000 };
    static const uint32_t rom[] = { 0xFEB00000, 0xFEBE0000, 0x000C0000, 0x000E0000, 0xFFFE0000,
                                    0xFD000000 };
    static const uint16_t io[] = { 0xC000, 0xC040, 0x1F0, 0x170, 0x3F0, 0x510, 0xCF0, 0x60,
                                   0x3C0, 0x1C0, 0xFFF0 };
    if (chance(50)) {
        pci_cfg_write(DEVFN_VGA, 0x10, 4, PICK(lfb));
        pci_cfg_write(DEVFN_VGA, 0x18, 4, PICK(mmio) + (chance(20) ? 0x1000 * rnd_below(16) : 0));
        if (chance(50))
            pci_cfg_write(DEVFN_VGA, 0x30, 4, PICK(rom) | (chance(70) ? 1 : 0));
        pci_cfg_write(DEVFN_VGA, 0x04, 2, chance(85) ? 0x03 : (uint32_t)rnd_below(4));
    } else {
        pci_cfg_write(DEVFN_IDE, 0x20, 4, PICK(io) | 1u);
        pci_cfg_write(DEVFN_IDE, 0x04, 2, chance(85) ? 0x05 : (uint32_t)rnd_below(8));
    }
}

/* A burst at a data port: whole sectors move only this way. */
void act_ide_data(void)
{
    uint16_t base = chance(50) ? 0x170 : 0x1F0;
    unsigned n = PICK(((const unsigned[]){ 1, 2, 6, 255, 256, 257, 512, 1024 }));
    if (chance(10))
        n = rnd_below(4096);
    bool wide = chance(30), rd = chance(60);
    if (!address_space_lookup(fz.m->io, base) && n > 8)
        n = 8;                                /* the channel does not decode */
    for (unsigned i = 0; i < n; i++) {
        /* Mostly the burst ends when the drive stops offering data. */
        if (i % 32 == 31 && !(inb(base == 0x1F0 ? 0x3F6 : 0x376) & 0x08) && chance(90))
            break;
        if (rd)
            (void)as_ld(fz.m->io, base, wide ? 4 : 2);
        else
            as_st(fz.m->io, base, wide ? 4 : 2, rnd());
    }
    (void)inb(base + 7);
}

/* fw_cfg through its ports: an item selected and read a byte at a time,
 * or a DMA request with the descriptor at a hot address. */
void act_fw_cfg(void)
{
    if (chance(60)) {
        outw(0x510, PICK(fw_cfg_keys));
        unsigned n = rnd_below(chance(90) ? 64 : 4096);
        for (unsigned i = 0; i < n; i++)
            (void)inb(0x511);
        return;
    }
    uint64_t desc = hot_address();
    if (chance(60)) {
        uint8_t d[16];
        uint32_t ctl = (uint32_t)PICK(fw_cfg_keys) << 16 |
                       PICK(((const uint32_t[]){ 0x0A, 0x0A, 0x02, 0x04, 0x0C, 0x10, 0x18, 1, 0 }));
        uint32_t len = chance(60) ? rnd_below(8192) : (uint32_t)interesting_value();
        uint64_t addr = chance(70) ? hot_address() : interesting_value();
        for (int i = 0; i < 4; i++) {
            d[i] = (uint8_t)(ctl >> (24 - 8 * i));
            d[4 + i] = (uint8_t)(len >> (24 - 8 * i));
        }
        for (int i = 0; i < 8; i++)
            d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
        if (desc < RAM_SIZE - 16)
            cpu_write_bytes(desc, d, sizeof(d));
    }
    outl(0x514, bswap32(chance(90) ? 0 : (uint32_t)rnd()));
    outl(0x518, bswap32((uint32_t)desc));
}

/* The guest writes PRD tables, descriptors or junk where DMA pointers go. */
void act_scribble(void)
{
    uint64_t at = hot_address();
    if (at >= RAM_SIZE - 64)
        at = rnd() % (RAM_SIZE - 64);
    uint8_t b[32];
    unsigned n = 8 * (1 + rnd_below(4));
    for (unsigned i = 0; i < n; i += 8) {
        uint32_t addr = (uint32_t)(chance(70) ? hot_address() : interesting_value());
        uint16_t count = PICK(((const uint16_t[]){ 0, 2, 512, 1024, 4096, 0xFFFE, 0xFFFF, 1 }));
        st_le32(b + i, addr);
        st_le16(b + i + 4, count);
        b[i + 6] = 0;
        b[i + 7] = i + 8 == n || chance(10) ? 0x80 : 0;
    }
    cpu_write_bytes(at, b, n);
}

/* Register images of standard VGA modes (IBM VGA Technical Reference): 13h
 * (320x200, 256 colours, chain-4), 12h (640x480, 16 colours, planar), 04h
 * (320x200, CGA 4 colours) and 03h (80x25 text), as a mode set writes them. */
typedef struct VgaRegs {
    uint8_t misc, sr[5], cr[25], gr[9], ar[21];
} VgaRegs;

static const VgaRegs vga_modes[] = {
    { 0x63, { 0x03, 0x01, 0x0F, 0x00, 0x0E },
      { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x0E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF },
      { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
        0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00 } },
    { 0xE3, { 0x03, 0x01, 0x0F, 0x00, 0x06 },
      { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xEA, 0x0C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF },
      { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E,
        0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00 } },
    { 0x63, { 0x03, 0x09, 0x03, 0x00, 0x02 },
      { 0x2D, 0x27, 0x28, 0x90, 0x2B, 0x80, 0xBF, 0x1F, 0x00, 0xC1, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x0E, 0x8F, 0x14, 0x00, 0x96, 0xB9, 0xA2, 0xFF },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0F, 0x00, 0xFF },
      { 0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
        0x17, 0x01, 0x00, 0x03, 0x00, 0x00 } },
    { 0x67, { 0x03, 0x00, 0x03, 0x00, 0x02 },
      { 0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF },
      { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E,
        0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00 } },
};

static uint8_t perturb(uint8_t v)
{
    return chance(6) ? (uint8_t)interesting_value() : v;
}

/* A mode set, then usually a screen refresh: a legacy mode from its
 * register image with a few registers off, or a Bochs VBE mode of any
 * geometry (the renderer's inputs are all guest-controlled). */
void act_vga_mode(void)
{
    if (chance(50)) {
        static const uint16_t res[] = { 1, 2, 320, 640, 800, 1024, 1280, 1920, 8192, 8193, 0 };
        outw(0x1CE, 4);
        outw(0x1CF, 0);
        outw(0x1CE, 1);
        outw(0x1CF, chance(90) ? PICK(res) % (chance(95) ? 1921 : 8194) : (uint16_t)rnd());
        outw(0x1CE, 2);
        outw(0x1CF, chance(90) ? PICK(res) % (chance(95) ? 1201 : 8194) : (uint16_t)rnd());
        outw(0x1CE, 3);
        outw(0x1CF, PICK(((const uint16_t[]){ 4, 8, 15, 16, 24, 32, 0, 7 })));
        outw(0x1CE, 5);
        outw(0x1CF, (uint16_t)(chance(70) ? 0 : rnd_below(300)));
        outw(0x1CE, 4);
        outw(0x1CF, (uint16_t)(0x01 | (chance(70) ? 0x40 : 0) | (chance(70) ? 0x80 : 0) |
                               (chance(20) ? 0x20 : 0) | (chance(5) ? 0x02 : 0)));
        for (int reg = 6; reg <= 9; reg++)
            if (chance(25)) {
                outw(0x1CE, (uint16_t)reg);
                outw(0x1CF, (uint16_t)(chance(60) ? rnd_below(2048) : rnd()));
            }
    } else {
        const VgaRegs *m = &PICK(vga_modes);
        outw(0x1CE, 4);
        outw(0x1CF, 0);
        outb(0x3C2, perturb(m->misc));
        for (int i = 0; i < 5; i++)
            outb(0x3C4, (uint8_t)i), outb(0x3C5, perturb(m->sr[i]));
        outb(0x3D4, 0x11), outb(0x3D5, 0);                /* unlock CR0-7 */
        for (int i = 0; i < 25; i++)
            outb(0x3D4, (uint8_t)i), outb(0x3D5, perturb(m->cr[i]));
        for (int i = 0; i < 9; i++)
            outb(0x3CE, (uint8_t)i), outb(0x3CF, perturb(m->gr[i]));
        (void)inb(0x3DA);
        for (int i = 0; i < 21; i++)
            outb(0x3C0, (uint8_t)i), outb(0x3C0, perturb(m->ar[i]));
        outb(0x3C0, 0x20);
    }
    if (chance(70) && fz.con) {
        DisplayUpdate u;
        display_update(fz.con, &u);
    }
}

/* ---- DMA episodes: the guest points DMA somewhere; nothing else may change -- */

/* Where a PRD entry sends its bytes: mostly RAM, sometimes anywhere. */
static uint32_t dma_buffer_address(void)
{
    if (chance(80))
        return (uint32_t)(rnd() % RAM_SIZE) & ~1u;
    return (uint32_t)(chance(60) ? hot_address() : interesting_value());
}

/* The byte write_pattern_file put at off of a CD image. */
static uint8_t cd_pattern(int drive, uint64_t off)
{
    const DriveOptions *d = NULL;
    for (int i = 0; i < fz_opts.ndrives; i++)
        if (fz_opts.drives[i].index == drive)
            d = &fz_opts.drives[i];
    bool dvd = d && d->file && strstr(d->file, "dvd");
    if (dvd && off >= (1u << 20))
        return 0;
    return (uint8_t)(off * 7 + (off >> 9) + (dvd ? 0x22 : 0x11));
}

/* After a completed DMA: what the PRD regions hold is the data. For a
 * disk READ SECTORS must return the same bytes (both directions: for WRITE
 * DMA they are what reached the disk); a CD holds its image's pattern. */
static bool ide_verify_dma(int drive, uint64_t lba, uint32_t count, char *why, size_t whylen)
{
    static uint8_t dma[256 * 512], pio[256 * 512];
    uint16_t base = drive / 2 ? 0x170 : 0x1F0;
    bool cd = fz.drive[drive] == IDE_DRIVE_CD;
    uint32_t len = count * (cd ? 2048 : 512);
    if (len > sizeof(dma) || watch.nallowed > 64 || !prd_gather(dma, len))
        return true;
    if (cd) {
        for (uint32_t i = 0; i < len; i++)
            pio[i] = cd_pattern(drive, lba * 2048 + i);
    } else {
        outb(base + 6, (uint8_t)(0xE0 | (drive & 1) << 4 | ((lba >> 24) & 0xF)));
        outb(base + 2, (uint8_t)count);
        outb(base + 3, (uint8_t)lba);
        outb(base + 4, (uint8_t)(lba >> 8));
        outb(base + 5, (uint8_t)(lba >> 16));
        outb(base + 7, 0x20);                 /* READ SECTORS */
        for (uint32_t sct = 0; sct < count; sct++) {
            uint8_t st = inb(base + 7);
            if ((st & 0x89) != 0x08) {
                snprintf(why, whylen, "IDE drive %d: READ SECTORS %llu+%u after a DMA: status "
                         "0x%02x at sector %u", drive, (unsigned long long)lba, count, st, sct);
                return false;
            }
            for (int w = 0; w < 256; w++)
                st_le16(pio + sct * 512 + 2 * w, (uint16_t)as_ld(fz.m->io, base, 2));
        }
    }
    for (uint32_t i = 0; i < len; i++)
        if (dma[i] != pio[i]) {
            snprintf(why, whylen, "IDE drive %d: DMA of %u sectors at %llu: byte %u is 0x%02x "
                     "in RAM, 0x%02x on the %s", drive, count, (unsigned long long)lba, i, dma[i],
                     pio[i], cd ? "disc" : "disk (READ SECTORS)");
            return false;
        }
    return true;
}

/* An ATA READ/WRITE DMA or an ATAPI PACKET-DMA command with a fresh PRD
 * table; device writes must land inside the table's regions, and the data
 * moved must be the data on the medium. */
bool episode_ide(char *why, size_t whylen)
{
    int drive = (int)rnd_below(IDE_MAX_DRIVES);
    if (fz.drive[drive] == IDE_DRIVE_NONE)
        return true;
    int ch = drive / 2, unit = drive % 2;
    uint16_t base = ch ? 0x170 : 0x1F0, ctl = ch ? 0x376 : 0x3F6, bm = BM_PORT + 8 * ch;

    /* A BAR the guest put over 0xCF8 hides configuration space until a
     * reset: then there is no setting this episode up. */
    if (pci_cfg_read(DEVFN_IDE, 0, 4) != 0x70108086)
        return true;
    /* Sometimes bus mastering is off: then the DMA may write nothing. */
    bool master = chance(92);
    pci_cfg_write(DEVFN_IDE, 0x20, 4, BM_PORT | 1);
    pci_cfg_write(DEVFN_IDE, 0x04, 2, (pci_cfg_read(DEVFN_IDE, 0x04, 2) & ~4u) | (master ? 5 : 1));
    pci_cfg_write(DEVFN_IDE, 0x41 + 2 * ch, 1, 0x80);
    /* A software reset first, as a driver recovers a channel: a DMA command
     * still pending from the random phase would otherwise take the PRD
     * table when the bus master starts (correctly, but not this episode's
     * data). */
    outb(ctl, 4);
    outb(ctl, 0);
    outb(bm, 0);
    outb(bm + 2, 6);

    unsigned nent = 1 + rnd_below(chance(80) ? 4 : 40);
    uint32_t prdt = (uint32_t)(chance(90) ? rnd() % (RAM_SIZE - 8 * nent) & ~3ull : hot_address());
    for (unsigned i = 0; i < nent; i++) {
        uint8_t e[8];
        st_le32(e, dma_buffer_address());
        st_le16(e + 4, chance(70) ? (uint16_t)(512 * (1 + rnd_below(8)))
                                  : PICK(((const uint16_t[]){ 0, 2, 0xFFFE, 2048, 1, 510 })));
        e[6] = 0;
        e[7] = i + 1 == nent && chance(95) ? 0x80 : 0;
        cpu_write_bytes(prdt + 8 * i, e, 8);
    }
    outl(bm + 4, prdt);
    outb(base + 6, (uint8_t)(0xE0 | unit << 4));
    if (as_ld(fz.m->io, bm + 4, 4) != (prdt & ~3u))
        return true;                          /* the bus master is not where it was put */

    watch.nallowed = 0;
    watch.violated = false;
    bool exact = prd_allow(prdt & ~3u);
    if (!master)
        watch.nallowed = 0, exact = true;
    bool to_memory = true, verify = false;
    uint64_t vlba = 0;
    uint32_t vcount = 0;
    bool bm_first = chance(30);
    watch.active = exact;
    if (bm_first)
        outb(bm, 0x09);
    if (fz.drive[drive] == IDE_DRIVE_DISK) {
        uint64_t sectors = fz.sectors[drive];
        uint32_t count = chance(80) ? 1 + rnd_below(8) : 1 + rnd_below(256);
        uint64_t lba = sectors > count ? rnd() % (sectors - count) : 0;
        bool ext = chance(30);
        to_memory = chance(70);
        if (ext) {
            outb(base + 2, (uint8_t)(count >> 8));
            outb(base + 3, (uint8_t)(lba >> 24));
            outb(base + 4, 0);
            outb(base + 5, 0);
        }
        outb(base + 2, (uint8_t)count);
        outb(base + 3, (uint8_t)lba);
        outb(base + 4, (uint8_t)(lba >> 8));
        outb(base + 5, (uint8_t)(lba >> 16));
        if (!ext)
            outb(base + 6, (uint8_t)(0xE0 | unit << 4 | ((lba >> 24) & 0xF)));
        outb(base + 7, ext ? (to_memory ? 0x25 : 0x35) : (to_memory ? 0xC8 : 0xCA));
        verify = count < 256 && lba + count <= sectors;
        vlba = lba, vcount = count;
    } else {
        uint8_t cdb[12];
        if (chance(50)) {
            /* TEST UNIT READY (PIO) first: it takes a pending unit attention. */
            outb(base + 1, 0);
            outb(base + 7, 0xA0);
            ide_send_cdb(base, (const uint8_t[12]){ 0 });
            (void)inb(base + 7);
        }
        make_cdb(cdb, drive);
        if (chance(60) && fz.sectors[drive]) {
            uint32_t count = 1 + rnd_below(8);
            uint32_t lba = (uint32_t)(rnd() % fz.sectors[drive]);
            memset(cdb, 0, 12);
            cdb[0] = 0x28;
            st_le32(cdb + 2, bswap32(lba));
            cdb[7] = (uint8_t)(count >> 8), cdb[8] = (uint8_t)count;
            verify = lba + count <= fz.sectors[drive];
            vlba = lba, vcount = count;
        }
        outb(base + 1, 1);                    /* DMA */
        outb(base + 4, 0);
        outb(base + 5, 0x80);
        outb(base + 7, 0xA0);
        ide_send_cdb(base, cdb);
    }
    if (!bm_first)
        outb(bm, to_memory ? 0x09 : 0x01);
    watch.active = false;
    bool done = (inb(bm + 2) & 0x06) == 0x04 && !(inb(ctl) & 0x89);
    if (done)
        ide_dma_done++;                       /* interrupt, no error: the transfer happened */
    outb(bm, 0);
    (void)inb(base + 7);
    if (watch.violated) {
        snprintf(why, whylen, "IDE DMA (drive %d, PRD table at 0x%x) wrote 0x%llx+0x%llx, "
                 "outside the regions the table names", drive, (unsigned)prdt,
                 (unsigned long long)watch.bad_addr, (unsigned long long)watch.bad_len);
        return false;
    }
    return !(done && exact && verify) || ide_verify_dma(drive, vlba, vcount, why, whylen);
}

/* A fw_cfg DMA request: only its buffer and the descriptor's control word
 * may change. */
bool episode_fw_cfg(char *why, size_t whylen)
{
    /* No fw_cfg without firmware; an I/O BAR may cover its ports. */
    if (fz.direct_boot || as_ld(fz.m->io, 0x514, 4) != 0x554D4551)   /* "QEMU" */
        return true;
    uint64_t desc = chance(85) ? rnd() % (RAM_SIZE - 16) : hot_address();
    uint32_t ctl = (uint32_t)PICK(fw_cfg_keys) << 16 |
                   PICK(((const uint32_t[]){ 0x0A, 0x0A, 0x0A, 2, 4, 0x0C, 0x10, 0x1A, 0xE }));
    uint32_t len = chance(70) ? rnd_below(chance(50) ? 256 : 70000) : (uint32_t)interesting_value();
    uint64_t addr = chance(80) ? rnd() % RAM_SIZE
                  : chance(50) ? hot_address() : interesting_value();
    uint8_t d[16];
    for (int i = 0; i < 4; i++) {
        d[i] = (uint8_t)(ctl >> (24 - 8 * i));
        d[4 + i] = (uint8_t)(len >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++)
        d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
    cpu_write_bytes(desc, d, sizeof(d));
    /* Stores to ROM (PAM read-only, a ROM BAR over RAM) are dropped. */
    uint8_t back[16];
    bool stored = ram_read(desc, back, sizeof(back)) && !memcmp(back, d, sizeof(d));
    watch.nallowed = 0;
    watch.violated = false;
    watch_allow(addr, len);
    watch_allow(desc, 4);
    watch.active = true;
    outl(0x514, bswap32((uint32_t)(desc >> 32)));
    outl(0x518, bswap32((uint32_t)desc));
    watch.active = false;
    if (watch.violated) {
        snprintf(why, whylen, "fw_cfg DMA (descriptor 0x%llx: control 0x%x, 0x%x bytes to "
                 "0x%llx) wrote 0x%llx+0x%llx", (unsigned long long)desc, ctl, len,
                 (unsigned long long)addr, (unsigned long long)watch.bad_addr,
                 (unsigned long long)watch.bad_len);
        return false;
    }
    /* A completed select+read left the item's bytes (zeros past its end):
     * the same as the port interface gives. */
    uint8_t result[4], got[4096];
    if (stored && (ctl & 0xFFFF) == 0x0A && len <= sizeof(got) && addr + len <= RAM_SIZE &&
        (addr >= desc + 16 || addr + len <= desc) && ram_read(desc, result, 4) &&
        ld_le32(result) == 0 && ram_read(addr, got, len)) {
        outw(0x510, (uint16_t)(ctl >> 16));
        for (uint32_t i = 0; i < len; i++) {
            uint8_t want = inb(0x511);
            if (got[i] != want) {
                snprintf(why, whylen, "fw_cfg DMA read of item 0x%04x: byte %u is 0x%02x, the "
                         "data port gives 0x%02x", ctl >> 16, i, got[i], want);
                return false;
            }
        }
    }
    return true;
}

/* ---- The images after the fuzzing ------------------------------------------ */

/* One sector through the guest's PIO path (READ SECTORS); false if the
 * drive does not offer it. */
static bool ide_pio_read(int drive, uint64_t lba, uint8_t *buf)
{
    uint16_t base = drive / 2 ? 0x170 : 0x1F0;
    outb(base + 6, (uint8_t)(0xE0 | (drive & 1) << 4 | ((lba >> 24) & 0xF)));
    outb(base + 2, 1);
    outb(base + 3, (uint8_t)lba);
    outb(base + 4, (uint8_t)(lba >> 8));
    outb(base + 5, (uint8_t)(lba >> 16));
    outb(base + 7, 0x20);
    if ((inb(base + 7) & 0x89) != 0x08)
        return false;
    for (int w = 0; w < 256; w++)
        st_le16(buf + 2 * w, (uint16_t)as_ld(fz.m->io, base, 2));
    return true;
}

/* After a reset: each image the guest wrote is consistent on the host
 * side. A qcow2 passes qemu-img check semantics and, opened afresh, holds
 * what the drive shows; a raw disk's file holds what the drive shows; a
 * snapshot=on disk's file and the backing file are untouched. */
bool disks_check(char *why, size_t n)
{
    pci_cfg_write(DEVFN_IDE, 0x04, 2, 0x01);     /* legacy ports decode */
    outb(0x3F6, 0);
    outb(0x376, 0);
    uint8_t dev[512], ref[512];
    for (int i = 0; i < IDE_MAX_DRIVES; i++) {
        const char *path = fz.disk_path[i];
        if (!path)
            continue;
        DiskKind k = fz.disk[i];
        bool qcow2 = k == DISK_QCOW2 || k == DISK_QCOW2_BACKED;
        char err[256];
        if (qcow2) {
            BlockNode *bn = block_node_open(path, "qcow2", BLOCK_OPEN_READONLY, 0, err,
                                            sizeof(err));
            if (!bn) {
                snprintf(why, n, "drive %d: the qcow2 image no longer opens: %s", i, err);
                return false;
            }
            FILE *devnull = fopen("/dev/null", "w");
            Qcow2CheckResult res;
            int r = qcow2_check(bn, devnull, &res);
            fclose(devnull);
            block_node_close(bn);
            if (r < 0 || res.corruptions || res.check_errors) {
                snprintf(why, n, "drive %d: qcow2 check: %llu corruptions, %llu errors (r %d)", i,
                         (unsigned long long)res.corruptions,
                         (unsigned long long)res.check_errors, r);
                return false;
            }
        }
        DriveOptions d = { .file = path, .format = qcow2 ? "qcow2" : "raw", .readonly = true,
                           .index = -1 };
        const char *e;
        BlockBackend *bb = blk_open(&d, &e);
        if (!bb) {
            snprintf(why, n, "drive %d: cannot reopen %s: %s", i, path, e);
            return false;
        }
        uint64_t sectors = fz.sectors[i];
        bool ok = true;
        for (int s = 0; s < 64 && ok; s++) {
            uint64_t lba = s == 0 ? 0 : s == 1 ? sectors - 1 : rnd() % sectors;
            if (blk_pread(bb, lba * 512, ref, 512) < 0) {
                snprintf(why, n, "drive %d: sector %llu of the image cannot be read", i,
                         (unsigned long long)lba);
                ok = false;
            } else if (k == DISK_RAW_SNAPSHOT) {
                for (int b = 0; b < 512 && ok; b++) {
                    uint64_t off = lba * 512 + (uint64_t)b;
                    if (ref[b] != (uint8_t)(off * 7 + (off >> 9) + i)) {
                        snprintf(why, n, "drive %d: snapshot=on, yet the image changed at byte "
                                 "%llu", i, (unsigned long long)off);
                        ok = false;
                    }
                }
            } else if (!ide_pio_read(i, lba, dev)) {
                snprintf(why, n, "drive %d: READ SECTORS %llu fails after a reset", i,
                         (unsigned long long)lba);
                ok = false;
            } else if (memcmp(dev, ref, 512)) {
                snprintf(why, n, "drive %d: sector %llu differs between the drive and its image "
                         "(%s) opened afresh", i, (unsigned long long)lba, qcow2 ? "qcow2" : "raw");
                ok = false;
            }
        }
        blk_close(bb);
        if (!ok)
            return false;
    }
    /* qcow2 backing file: opened read-only under the overlays. */
    int fd = open(image_path("base.raw"), O_RDONLY);
    static uint8_t buf[QCOW2_DISK_SIZE];
    bool same = fd >= 0 && pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf);
    for (uint64_t off = 0; same && off < sizeof(buf); off++)
        same = buf[off] == (uint8_t)(off * 7 + (off >> 9) + 0x33);
    if (fd >= 0)
        close(fd);
    if (!same) {
        snprintf(why, n, "the qcow2 backing file base.raw changed");
        return false;
    }
    return true;
}
