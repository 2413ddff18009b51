/*
 * The pc machine's firmware boot order across resets, read through the
 * ports a BIOS uses (CMOS 0x70/0x71 bytes 0x3D/0x38, fw_cfg BOOT_DEVICE and
 * BOOT_MENU): -boot once= holds for the power-on boot only, order= (or the
 * default "cad") from the first reset on, as QEMU's tests/qtest/boot-order-
 * test.c expects (CMOS 0x3D << 8 | 0x38: once=a -> 0x0100, then 0x1230).
 */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "hw/nvram/fw_cfg.h"
#include "hw/pc/e820.h"
#include "hw/pc/pc_firmware.h"
#include "hw/pci/i440fx.h"
#include "hw/timer/mc146818rtc.h"
#include "mimic/irq.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"

#define MAX_MACHINES 8
#define FW_SIZE (64u << 10)

static char bios_path[] = "/tmp/pc_firmware_test-XXXXXX";
static const MachineType test_type = { .name = "test", .desc = "test pc" };
static MachineOptions opts[MAX_MACHINES];   /* kept reachable: no leak reports */
static Machine *machines[MAX_MACHINES];
static int nmachines;

static void irq_ignore(void *opaque, int n, int level) { (void)opaque; (void)n; (void)level; }

/* A powered-on pc board with just what firmware boot needs. */
static Machine *power_on(const char *order, const char *once, bool menu)
{
    if (nmachines == MAX_MACHINES)
        abort();
    MachineOptions *o = &opts[nmachines];
    *o = (MachineOptions){ .smp = 1, .ram_size = 16u << 20, .bios = bios_path,
                           .boot_order = order, .boot_once = once, .boot_menu = menu,
                           .display = "none" };
    Machine *m = machine_create(&test_type, o);
    machines[nmachines++] = m;
    uint8_t *ram = machine_alloc_ram(m, o->ram_size);
    as_map_ram(m->mem, "ram-low", 0, PC_LOWRAM_END, ram);
    as_map_ram(m->mem, "ram-high", PC_HIGHRAM_BASE, o->ram_size - PC_HIGHRAM_BASE,
               ram + PC_HIGHRAM_BASE);
    Rtc *rtc = rtc_create(m, irq_line_new(irq_ignore, NULL, 8));
    PciBus *pci = i440fx_create(m);
    AcpiConfig acpi = {
        .ncpus = 1, .lapic_addr = 0xFEE00000, .ioapic_addr = 0xFEC00000, .ioapic_id = 1,
        .pm_base = 0x600, .sci_irq = 9, .reset_port = 0xCF9, .reset_value = 6,
        .rtc_century = 0x32,
    };
    PcFirmware *fw = pc_firmware_init(m, pci, rtc, &acpi);
    m->board = fw;
    pc_firmware_load(fw, m);          /* power-on, as main() does after init */
    return m;
}

/* What system/main.c does for a guest or monitor reset. */
static void reset(Machine *m)
{
    machine_reset_devices(m);
    pc_firmware_load(m->board, m);
}

static uint8_t cmos(Machine *m, int index)
{
    as_write(m->io, 0x70, 1, (uint64_t)index);
    return (uint8_t)as_ld(m->io, 0x71, 1);
}

static void cmos_write(Machine *m, int index, uint8_t v)
{
    as_write(m->io, 0x70, 1, (uint64_t)index);
    as_write(m->io, 0x71, 1, v);
}

/* QEMU's qtest reading: CMOS 0x3D in the high byte, 0x38 in the low. */
static unsigned boot_cmos(Machine *m) { return (unsigned)cmos(m, 0x3D) << 8 | cmos(m, 0x38); }

static unsigned fw_item16(Machine *m, uint16_t key)
{
    as_write(m->io, FW_CFG_IO_BASE, 2, key);
    unsigned lo = (unsigned)as_ld(m->io, FW_CFG_IO_BASE + 1, 1);
    return lo | (unsigned)as_ld(m->io, FW_CFG_IO_BASE + 1, 1) << 8;
}

TEST_CASE(default_order_is_cad_on_every_boot)
{
    Machine *m = power_on(NULL, NULL, false);
    CHECK_EQ(boot_cmos(m), 0x1230);
    CHECK_EQ(fw_item16(m, FW_CFG_BOOT_DEVICE), 'c');
    reset(m);
    CHECK_EQ(boot_cmos(m), 0x1230);
}

TEST_CASE(once_alone_then_default)
{
    Machine *m = power_on(NULL, "a", false);
    CHECK_EQ(boot_cmos(m), 0x0100);
    CHECK_EQ(fw_item16(m, FW_CFG_BOOT_DEVICE), 'a');
    reset(m);
    CHECK_EQ(boot_cmos(m), 0x1230);
    CHECK_EQ(fw_item16(m, FW_CFG_BOOT_DEVICE), 'c');
    reset(m);
    CHECK_EQ(boot_cmos(m), 0x1230);
}

TEST_CASE(once_then_order_menu_kept)
{
    Machine *m = power_on("nda", "dc", true);
    CHECK_EQ(boot_cmos(m), 0x2300);
    CHECK_EQ(fw_item16(m, FW_CFG_BOOT_DEVICE), 'd');
    CHECK_EQ(fw_item16(m, FW_CFG_BOOT_MENU), 1);
    reset(m);
    CHECK_EQ(boot_cmos(m), 0x3410);
    CHECK_EQ(fw_item16(m, FW_CFG_BOOT_DEVICE), 'n');
    CHECK_EQ(fw_item16(m, FW_CFG_BOOT_MENU), 1);
}

/* The order is written at power-on and at the first reset only: what the
 * guest puts in CMOS afterwards survives resets like battery-backed RAM. */
TEST_CASE(guest_cmos_survives_later_resets)
{
    Machine *m = power_on("c", "d", false);
    CHECK_EQ(boot_cmos(m), 0x0300);
    reset(m);
    CHECK_EQ(boot_cmos(m), 0x0200);
    cmos_write(m, 0x3D, 0x23);
    reset(m);
    CHECK_EQ(boot_cmos(m), 0x2300);
    /* Without once=, not even the first reset rewrites it. */
    Machine *m2 = power_on("c", NULL, false);
    cmos_write(m2, 0x3D, 0x03);
    reset(m2);
    CHECK_EQ(boot_cmos(m2), 0x0300);
}

/* The firmware's e820 reserves KVM's pages (under any accelerator) below
 * the largest firmware window, clear of the image. */
TEST_CASE(e820_reserves_accel_pages)
{
    uint8_t buf[8 * PC_FW_E820_ENTRY_SIZE];
    int n = pc_firmware_e820(128u << 20, PC_FIRMWARE_MAX_SIZE, buf, 8);
    bool found = false;
    for (int i = 0; i < n; i++) {
        const uint8_t *e = buf + i * PC_FW_E820_ENTRY_SIZE;
        uint64_t addr = 0, len = 0;
        for (int b = 7; b >= 0; b--) {
            addr = addr << 8 | e[b];
            len = len << 8 | e[8 + b];
        }
        if (addr == PC_ACCEL_PAGES_BASE) {
            found = len == MACHINE_ACCEL_PAGES_SIZE && e[16] == E820_RESERVED;
            CHECK(addr + len <= (1ull << 32) - PC_FIRMWARE_MAX_SIZE);
        }
    }
    CHECK(found);
}

int main(void)
{
    int fd = mkstemp(bios_path);
    static uint8_t image[FW_SIZE];
    if (fd < 0 || write(fd, image, sizeof(image)) != (ssize_t)sizeof(image))
        return 2;
    close(fd);
    mainloop_init();
    machine_lock();
    RUN(default_order_is_cad_on_every_boot);
    RUN(once_alone_then_default);
    RUN(once_then_order_menu_kept);
    RUN(guest_cmos_survives_later_resets);
    RUN(e820_reserves_accel_pages);
    unlink(bios_path);
    TEST_EXIT();
}
