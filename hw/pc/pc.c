/*
 * The `pc` machine: an i440FX/PIIX3-class PC as guests expect it. RAM below
 * the PCI hole and above 4 GiB, the ISA devices at their legacy ports, PCI
 * configuration mechanism #1, ACPI tables and PM block, and direct boot (with
 * ACPI and SMBIOS tables placed as firmware would) of a
 * Linux bzImage (its payload unpacked on the host unless -M pc,kernel-unpack
 * =off) or a multiboot kernel; without -kernel, a BIOS (hw/pc/pc_firmware.c).
 */
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/acpi_tables.h"
#include "hw/acpi/pm.h"
#include "hw/acpi/smbios.h"
#include "hw/char/serial.h"
#include "hw/display/vga.h"
#include "hw/ide/ide.h"
#include "hw/input/i8042.h"
#include "hw/misc/ioport80.h"
#include "hw/misc/port92.h"
#include "hw/pc/bzimage.h"
#include "hw/pc/e820.h"
#include "hw/pc/linux_boot.h"
#include "hw/pc/multiboot.h"
#include "hw/pc/pc_firmware.h"
#include "hw/pc/pc_irq.h"
#include "hw/pci/i440fx.h"
#include "hw/timer/mc146818rtc.h"
#include "mimic/accel.h"
#include "mimic/device.h"
#include "mimic/log.h"
#include "mimic/machine.h"

#define PC_ACPI_BASE 0xE0000u      /* tables live in the reserved E-segment */
/* Direct boot's SMBIOS: entry point where Linux's non-EFI scan starts, the
 * tables after it, all in the F-segment (reserved, no BIOS in it). */
#define PC_SMBIOS_ANCHOR 0xF0000u
#define PC_SMBIOS_TABLES (PC_SMBIOS_ANCHOR + 0x20)
#define PC_SMBIOS_END 0x100000u
#define PC_PM_BASE 0x600
#define PC_SCI_IRQ 9
#define PC_RESET_PORT 0xCF9
#define PC_MAX_MODULES MULTIBOOT_MAX_MODULES

static const uint16_t serial_ports[MACHINE_MAX_SERIAL] = { 0x3F8, 0x2F8, 0x3E8, 0x2E8 };
static const int serial_irqs[MACHINE_MAX_SERIAL] = { 4, 3, 4, 3 };

typedef struct PcBoard {
    PcIrq *irq;
    PciBus *pci;
    Rtc *rtc;
    AcpiPm *pm;
    uint8_t *kernel;        /* -kernel image, read once */
    size_t kernel_size;
    uint8_t *initrd;
    size_t initrd_size;
    Vmlinux vmlinux;        /* the bzImage's payload, unpacked once */
    bool unpacked;
    PcFirmware *firmware;   /* no -kernel: boot through a BIOS */
} PcBoard;

static void pc_poweroff(void *opaque)
{
    machine_request_poweroff(opaque);
}

static void pc_map_ram(Machine *m)
{
    uint64_t low = pc_lowmem_size(m->opts->ram_size);
    uint64_t high = pc_highmem_size(m->opts->ram_size);
    uint8_t *ram = machine_alloc_ram(m, m->opts->ram_size);
    /* The legacy VGA window 0xA0000-0xBFFFF is not RAM; 0xC0000-0xFFFFF is
     * shadow RAM or BIOS ROM as the chipset's PAM registers say (i440fx.c),
     * and holds our ACPI tables for direct boot. */
    as_map_ram(m->mem, "ram-low", 0, low < PC_LOWRAM_END ? low : PC_LOWRAM_END, ram);
    if (low > PC_HIGHRAM_BASE)
        as_map_ram(m->mem, "ram-below-4g", PC_HIGHRAM_BASE, low - PC_HIGHRAM_BASE,
                   ram + PC_HIGHRAM_BASE);
    if (high)
        as_map_ram(m->mem, "ram-above-4g", PC_HIGHMEM_BASE, high, ram + low);
}

static AcpiConfig pc_acpi_config(Machine *m)
{
    PcBoard *b = m->board;
    return (AcpiConfig){
        .ncpus = m->ncpus,
        .lapic_addr = (uint32_t)PC_LAPIC_BASE,
        .ioapic_addr = (uint32_t)PC_IOAPIC_BASE,
        .ioapic_id = (uint8_t)m->ncpus,
        .pm_base = PC_PM_BASE,
        .sci_irq = PC_SCI_IRQ,
        .reset_port = PC_RESET_PORT,
        .reset_value = 0x06,
        .rtc_century = 0x32,
        .hpet = pc_irq_has_hpet(b->irq),
        /* PCI0._CRS: without host bridge windows Linux cannot claim any
         * BAR (ata_piix then fails). The 32-bit hole runs from the end of
         * low RAM to the IOAPIC, where SeaBIOS also puts BARs. */
        .pci_mmio_base = (uint32_t)pc_lowmem_size(m->ram_size),
        .pci_mmio_size = (uint32_t)(PC_IOAPIC_BASE - pc_lowmem_size(m->ram_size)),
    };
}

/* The PIIX IDE function with the -drive if=ide / -hda..-hdd / -cdrom drives
 * at their indexes (0-3: primary master .. secondary slave; system/options.c
 * has checked them), or the next free one. */
static void pc_ide_init(Machine *m, PciBus *pci)
{
    IdeDrive drives[IDE_MAX_DRIVES] = { { 0 } };
    for (int i = 0; i < m->opts->ndrives; i++) {
        const DriveOptions *d = &m->opts->drives[i];
        int idx = d->index;
        if (d->iface && strcmp(d->iface, "ide"))
            continue;
        for (int j = 0; idx < 0 && j < IDE_MAX_DRIVES; j++)
            if (drives[j].kind == IDE_DRIVE_NONE)
                idx = j;
        if (idx < 0 || idx >= IDE_MAX_DRIVES || drives[idx].kind != IDE_DRIVE_NONE)
            fatal("-drive %s: no free IDE position (index %d)", d->file ? d->file : "", d->index);
        const char *err = NULL;
        drives[idx].kind = d->cdrom ? IDE_DRIVE_CD : IDE_DRIVE_DISK;
        if ((d->file || !d->cdrom) && !(drives[idx].blk = blk_open(d, &err)))
            fatal("%s", err);
    }
    piix_ide_create(m, pci, PIIX_IDE_DEVFN, drives);
}

static void pc_init(Machine *m)
{
    PcBoard *b = calloc(1, sizeof(*b));
    if (!b)
        fatal("out of memory");
    m->board = b;
    if (m->opts->ram_size < (2ull << 20))
        fatal("-m: the pc machine needs at least 2 MiB of RAM");
    pc_map_ram(m);
    m->accel_pages_base = PC_ACCEL_PAGES_BASE;   /* e820.c reserves them */

    b->irq = pc_irq_create(m);    /* fills m->gsi[] */

    b->pci = i440fx_create(m);
    /* QEMU's pc always has -vga std, -nographic included (no -vga none yet). */
    vga_pci_create(m, b->pci, VGA_PCI_DEVFN, VGA_DEFAULT_ROM);
    pc_ide_init(m, b->pci);
    port80_create(m);
    port92_create(m);
    b->rtc = rtc_create(m, pc_irq_rtc_line(b->irq));
    rtc_set_memory_size(b->rtc, pc_lowmem_size(m->opts->ram_size),
                        pc_highmem_size(m->opts->ram_size), m->ncpus);
    i8042_create(m, m->gsi[1], m->gsi[12]);
    for (int i = 0; i < MACHINE_MAX_SERIAL; i++)
        if (m->serial[i])
            serial_create(m, serial_ports[i], m->gsi[serial_irqs[i]], m->serial[i]);
    b->pm = acpi_pm_create(m->io, PC_PM_BASE, m->gsi[PC_SCI_IRQ], pc_poweroff, m);
    machine_add_reset(m, (void (*)(void *))acpi_pm_reset, b->pm);

    if (!m->opts->kernel) {
        AcpiConfig acpi = pc_acpi_config(m);
        b->firmware = pc_firmware_init(m, b->pci, b->rtc, &acpi);
        return;
    }
    if (m->opts->bios)
        warn("-bios %s is not used: -kernel boots the kernel directly", m->opts->bios);
    const char *err;
    b->kernel = load_file(m->opts->kernel, &b->kernel_size, &err);
    if (!b->kernel)
        fatal("-kernel %s", err);
    if (!multiboot_probe(b->kernel, b->kernel_size) && !linux_is_bzimage(b->kernel, b->kernel_size))
        fatal("-kernel %s: not a Linux bzImage or a multiboot kernel", m->opts->kernel);
    if (!multiboot_probe(b->kernel, b->kernel_size) && !m->opts->no_kernel_unpack) {
        /* Seconds of the guest's boot under emulation are its decompressor;
         * the host libraries do the same work in a fraction of a second. A
         * format or kernel we cannot unpack boots the normal way. */
        BzimageResult r = bzimage_unpack(b->kernel, b->kernel_size, &b->vmlinux, &err);
        if (r == BZIMAGE_CORRUPT)
            fatal("-kernel %s: %s; -M pc,kernel-unpack=off leaves it to the guest",
                  m->opts->kernel, err);
        if (r == BZIMAGE_UNSUPPORTED)
            log_unimp("-kernel %s: %s; the guest decompresses it\n", m->opts->kernel, err);
        b->unpacked = r == BZIMAGE_OK;
    }
    if (m->opts->initrd && !multiboot_probe(b->kernel, b->kernel_size)) {
        b->initrd = load_file(m->opts->initrd, &b->initrd_size, &err);
        if (!b->initrd)
            fatal("-initrd %s", err);
    }
}

/* -initrd "a args,b" for multiboot: each comma-separated entry is a module
 * whose command line is the entry as given; its file is the first word. */
static int pc_load_modules(const char *spec, MultibootModule *mods)
{
    int n = 0;
    if (!spec)
        return 0;
    char *copy = strdup(spec), *save = NULL;
    for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        if (n == PC_MAX_MODULES)
            fatal("-initrd: at most %d multiboot modules", PC_MAX_MODULES);
        char path[4096];
        snprintf(path, sizeof(path), "%.*s", (int)strcspn(e, " "), e);
        const char *err;
        mods[n].data = load_file(path, &mods[n].size, &err);
        if (!mods[n].data)
            fatal("-initrd %s", err);
        mods[n].cmdline = strdup(e);
        n++;
    }
    free(copy);
    return n;
}

/* Without firmware nobody places the SMBIOS tables, and Linux logs "DMI not
 * present"; do what a BIOS does with the fw_cfg files. Type 0 names no real
 * BIOS, but gives drivers' DMI quirks a vendor and a date (year) to read. */
static void pc_place_smbios(Machine *m)
{
    SmbiosBlobs smbios;
    pc_smbios_build(&smbios, m->type->desc, m->ncpus, m->ram_size, PC_SMBIOS_VENDOR, 0);
    if (smbios.tables_len > PC_SMBIOS_END - PC_SMBIOS_TABLES ||
        !smbios_place(&smbios, m->ram, m->ram_size, PC_SMBIOS_ANCHOR, PC_SMBIOS_TABLES))
        fatal("internal error: SMBIOS tables (%zu bytes) do not fit in the F-segment",
              smbios.tables_len);
    smbios_blobs_free(&smbios);
}

static void pc_load(Machine *m)
{
    PcBoard *b = m->board;
    if (b->firmware) {
        pc_firmware_load(b->firmware, m);
        return;
    }
    E820Table e820;
    e820_build_pc(&e820, m->opts->ram_size);
    e820_add(&e820, PC_ACPI_BASE, 0x10000, E820_RESERVED);
    e820_add(&e820, PC_SMBIOS_ANCHOR, PC_SMBIOS_END - PC_SMBIOS_ANCHOR, E820_RESERVED);

    AcpiConfig acpi = pc_acpi_config(m);
    uint64_t rsdp = 0;
    if (!acpi_build(m->ram + PC_ACPI_BASE, ACPI_TABLES_MAX_SIZE, PC_ACPI_BASE, &acpi, &rsdp))
        fatal("internal error: ACPI tables do not fit in 64 KiB");
    pc_place_smbios(m);

    const char *err = NULL;
    bool ok;
    if (multiboot_probe(b->kernel, b->kernel_size)) {
        static MultibootModule mods[PC_MAX_MODULES];
        static int nmods = -1;
        if (nmods < 0)
            nmods = pc_load_modules(m->opts->initrd, mods);
        ok = multiboot_setup(m->ram, pc_lowmem_size(m->ram_size), b->kernel, b->kernel_size,
                             m->opts->append ? m->opts->append : "", mods, nmods, &e820,
                             &m->boot_regs, &err);
    } else {
        LinuxBootParams p = {
            .kernel = b->kernel, .kernel_size = b->kernel_size,
            .initrd = b->initrd, .initrd_size = b->initrd_size,
            .cmdline = m->opts->append, .e820 = &e820, .acpi_rsdp = rsdp,
            .vmlinux = b->unpacked ? &b->vmlinux : NULL,
            .vga_text = true,     /* the VGA is always there, in mode 3 after reset */
        };
        ok = linux_boot_setup(m->ram, pc_lowmem_size(m->ram_size), &p, &m->boot_regs, &err);
    }
    if (!ok)
        fatal("-kernel %s: %s", m->opts->kernel, err);
}

static const MachineType pc_machine = {
    .name = "pc",
    .desc = "Standard PC (i440FX + PIIX, 1996)",
    .is_default = true,
    .init = pc_init,
    .load = pc_load,
};
MACHINE_REGISTER(pc_machine)
