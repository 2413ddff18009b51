/*
 * Proves the i440FX PAM registers (82441FX datasheet 290549, 3.2.12) steer
 * 0xC0000-0xFFFFF as firmware relies on: reset to "all to PCI" with
 * firmware (the BIOS ROM shows, writes are lost), read/write enable bits
 * picking ROM or shadow RAM independently per segment, write-only mode
 * filling RAM behind the ROM, read-only mode protecting the copy, and
 * reset restoring the defaults. Also the PIIX3 PIRQ defaults and the
 * subsystem ids SeaBIOS checks. Registers are poked through 0xCF8/0xCFC.
 */
#include "hw/pci/i440fx.h"
#include "hw/pci/pci.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "test.h"

#define ROM_BASE 0xE0000u
#define ROM_SIZE 0x20000u

static Machine *m;
static PciBus *bus;
/* Kept reachable for the leak checker: machines are never freed. */
static Machine *machines[16];
static int nmachines;
static uint8_t rom[ROM_SIZE];

static void cfg_write8(int devfn, unsigned reg, uint8_t v)
{
    as_write(m->io, 0xCF8, 4, 0x80000000u | (unsigned)devfn << 8 | (reg & 0xFC));
    as_write(m->io, 0xCFC + (reg & 3), 1, v);
}

static uint32_t cfg_read(int devfn, unsigned reg, unsigned size)
{
    as_write(m->io, 0xCF8, 4, 0x80000000u | (unsigned)devfn << 8 | (reg & 0xFC));
    return (uint32_t)as_ld(m->io, 0xCFC + (reg & 3), size);
}

static uint8_t peek(uint64_t a) { return (uint8_t)as_ld(m->mem, a, 1); }
static void poke(uint64_t a, uint8_t v) { as_write(m->mem, a, 1, v); }

/* A pc-like map: RAM below 640 KiB and from 1 MiB, the chipset owning the
 * window between, firmware ROM (pattern) at 0xE0000 beneath it. */
static void setup(bool firmware)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1, .ram_size = 4 << 20 };
    if (!m) {
        mainloop_init();
        machine_lock();
    }
    m = machine_create(&type, &opts);
    if (nmachines < 16)
        machines[nmachines++] = m;
    uint8_t *ram = machine_alloc_ram(m, 4 << 20);
    as_map_ram(m->mem, "ram-low", 0, 0xA0000, ram);
    as_map_ram(m->mem, "ram-high", 0x100000, (4 << 20) - 0x100000, ram + 0x100000);
    for (unsigned i = 0; i < ROM_SIZE; i++)
        rom[i] = (uint8_t)(i * 7 + 3);
    bus = i440fx_create(m);
    if (firmware) {
        as_map_rom(m->mem, "bios-low", ROM_BASE, ROM_SIZE, rom);
        i440fx_use_firmware(bus, rom, ROM_BASE);
    }
}

static uint8_t rom_at(uint64_t a) { return rom[a - ROM_BASE]; }

TEST_CASE(firmware_reset_reads_rom)
{
    setup(true);
    for (unsigned r = 0x59; r <= 0x5F; r++)
        CHECK_EQ(cfg_read(0, r, 1), 0);
    CHECK_EQ(peek(0xFFFF0), rom_at(0xFFFF0));
    CHECK_EQ(peek(0xE1234), rom_at(0xE1234));
    CHECK_EQ(peek(0xC0000), 0xFF);                /* nothing on PCI there */
    poke(0xFFFF0, 0x5A);                          /* ROM: write lost */
    CHECK_EQ(peek(0xFFFF0), rom_at(0xFFFF0));
    CHECK_EQ(m->ram[0xFFFF0], 0);
    /* RAM below and above the window is untouched by PAM. */
    poke(0x9FFFF, 0x11);
    CHECK_EQ(peek(0x9FFFF), 0x11);
    poke(0x100000, 0x22);
    CHECK_EQ(peek(0x100000), 0x22);
}

TEST_CASE(direct_boot_reset_is_shadow_ram)
{
    setup(false);
    CHECK_EQ(cfg_read(0, 0x59, 1), 0x30);
    for (unsigned r = 0x5A; r <= 0x5F; r++)
        CHECK_EQ(cfg_read(0, r, 1), 0x33);
    for (uint64_t a = 0xC0000; a < 0x100000; a += 0x4000) {
        poke(a + 5, (uint8_t)(a >> 12));
        CHECK_EQ(peek(a + 5), (uint8_t)(a >> 12));
        CHECK_EQ(m->ram[a + 5], (uint8_t)(a >> 12));
    }
}

/* SeaBIOS's sequence: F segment to read/write RAM, copy the ROM in (from
 * its 4 GiB alias; here from the array), then make it read-only. */
TEST_CASE(shadow_copy_then_read_only)
{
    setup(true);
    cfg_write8(0, 0x59, 0x30);
    CHECK_EQ(cfg_read(0, 0x59, 1), 0x30);
    CHECK_EQ(peek(0xF0000), 0);                   /* fresh RAM, not the ROM */
    for (uint64_t a = 0xF0000; a < 0x100000; a++)
        poke(a, rom_at(a));
    poke(0xF8000, 0xAB);                          /* a variable in the shadow */
    CHECK_EQ(peek(0xF8000), 0xAB);
    cfg_write8(0, 0x59, 0x10);                    /* read-only */
    poke(0xF8000, 0xCD);
    CHECK_EQ(peek(0xF8000), 0xAB);
    CHECK_EQ(peek(0xFFFF0), rom_at(0xFFFF0));
    CHECK_EQ(peek(0xE0000), rom_at(0xE0000));     /* E segment still ROM */
    cfg_write8(0, 0x59, 0x00);                    /* back to the ROM */
    CHECK_EQ(peek(0xF8000), rom_at(0xF8000));
    cfg_write8(0, 0x59, 0x10);                    /* the shadow kept its bytes */
    CHECK_EQ(peek(0xF8000), 0xAB);
}

/* Write-enable alone: reads still come from the ROM while writes fill the
 * RAM behind it (the classic copy-in-place shadowing). */
TEST_CASE(write_only_fills_ram_behind_rom)
{
    setup(true);
    cfg_write8(0, 0x5E, 0x02);                    /* E0000-E3FFF: WE only */
    for (uint64_t a = 0xE0000; a < 0xE4000; a++)
        poke(a, peek(a));
    CHECK_EQ(peek(0xE0010), rom_at(0xE0010));
    poke(0xE0010, 0x99);
    CHECK_EQ(peek(0xE0010), rom_at(0xE0010));     /* reads: ROM */
    CHECK_EQ(m->ram[0xE0010], 0x99);              /* writes: RAM */
    CHECK_EQ(as_ld(m->mem, 0xE0100, 4), (uint32_t)(rom_at(0xE0100) | rom_at(0xE0101) << 8 |
                                                   rom_at(0xE0102) << 16 |
                                                   (uint32_t)rom_at(0xE0103) << 24));
    cfg_write8(0, 0x5E, 0x01);                    /* RE only: the copy */
    CHECK_EQ(peek(0xE0011), rom_at(0xE0011));
    CHECK_EQ(peek(0xE0010), 0x99);
    CHECK_EQ(peek(0xE4000), rom_at(0xE4000));     /* the high nibble's segment untouched */
}

TEST_CASE(each_nibble_controls_its_segment)
{
    setup(true);
    /* C0000..EFFFF: 12 segments of 16 KiB, two per register, low nibble first. */
    for (int seg = 0; seg < 12; seg++) {
        unsigned reg = 0x5A + seg / 2;
        uint8_t v = (uint8_t)(seg & 1 ? 0x30 : 0x03);
        cfg_write8(0, reg, v);
        uint64_t base = 0xC0000 + (uint64_t)seg * 0x4000;
        poke(base + 1, 0x40 + seg);
        CHECK_EQ(peek(base + 1), 0x40 + seg);
        CHECK_EQ(m->ram[base + 1], 0x40 + seg);
        uint64_t other = seg & 1 ? base - 0x4000 : base + 0x4000;
        CHECK(m->ram[other + 1] != 0x40 + seg);
        cfg_write8(0, reg, 0);
        CHECK_EQ(peek(base + 1), base >= ROM_BASE ? rom_at(base + 1) : 0xFF);
    }
}

TEST_CASE(reserved_bits_and_reset)
{
    setup(true);
    cfg_write8(0, 0x59, 0xFF);
    CHECK_EQ(cfg_read(0, 0x59, 1), 0x30);
    cfg_write8(0, 0x5B, 0xFF);
    CHECK_EQ(cfg_read(0, 0x5B, 1), 0x33);
    poke(0xF0000, 0x77);
    CHECK_EQ(peek(0xF0000), 0x77);
    machine_reset_devices(m);
    CHECK_EQ(cfg_read(0, 0x59, 1), 0);
    CHECK_EQ(cfg_read(0, 0x5B, 1), 0);
    CHECK_EQ(peek(0xF0000), rom_at(0xF0000));
}

TEST_CASE(ids_seabios_checks)
{
    setup(true);
    CHECK_EQ(cfg_read(0, 0x00, 4), 0x12378086);
    CHECK_EQ(cfg_read(0, 0x2C, 2), 0x1af4);
    CHECK_EQ(cfg_read(0, 0x2E, 2), 0x1100);
    CHECK_EQ(cfg_read(1 << 3, 0x00, 4), 0x70008086);
    CHECK_EQ(cfg_read(1 << 3, 0x60, 4), 0x0B0B0A0A);   /* PIRQA-D -> 10, 10, 11, 11 */
}

int main(void)
{
    RUN(firmware_reset_reads_rom);
    RUN(direct_boot_reset_is_shadow_ram);
    RUN(shadow_copy_then_read_only);
    RUN(write_only_fills_ram_behind_rom);
    RUN(each_nibble_controls_its_segment);
    RUN(reserved_bits_and_reset);
    RUN(ids_seabios_checks);
    TEST_EXIT();
}
