/*
 * Booting the pc machine through firmware (no -kernel): the BIOS image
 * mapped below 4 GiB and at 0xE0000, fw_cfg with everything SeaBIOS and
 * our own BIOS (bios/) read, the boot order in CMOS, CPUs at the reset
 * vector.
 */
#ifndef MIMIC_HW_PC_PC_FIRMWARE_H
#define MIMIC_HW_PC_PC_FIRMWARE_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/acpi/acpi_tables.h"
#include "hw/acpi/smbios.h"
#include "hw/nvram/fw_cfg.h"
#include "mimic/machine.h"

#define PC_FIRMWARE_MAX_SIZE (16u << 20)    /* below the LAPIC at 0xFEE00000 */
#define PC_FIRMWARE_UNIT (64u << 10)        /* images come in 64 KiB multiples */
#define PC_FIRMWARE_LOW_SIZE (128u << 10)   /* the image's tail seen at 0xE0000 */
#define PC_MAX_BOOT_DEVICES 3               /* what the CMOS bytes hold */
#define PC_DEFAULT_BOOT_ORDER "cad"         /* QEMU's: disk, floppy, CD */
#define PC_BIOS_FILE "bios.bin"             /* our BIOS: BUILD/bios/bios.bin */
/* SMBIOS identity, the same whether firmware or the kernel loader places it. */
#define PC_SMBIOS_VENDOR "mimic"
#define PC_SMBIOS_BIOS_VERSION "mimic"
#define PC_SMBIOS_BIOS_DATE "01/01/2025"

typedef struct PciBus PciBus;
typedef struct Rtc Rtc;
typedef struct PcFirmware PcFirmware;

/* What the machine tells firmware through fw_cfg. */
typedef struct PcFirmwareInfo {
    uint64_t ram_size;                 /* bytes */
    int ncpus;
    const char *boot_order;            /* QEMU letters, e.g. "cad" */
    bool boot_menu;
    bool nographic;
    /* No display to show the screen: firmware copies its text output to
     * COM1 ("etc/sercon-port", read by SeaBIOS and by our BIOS). */
    bool serial_console;
    const AcpiConfig *acpi;
    const char *product;               /* SMBIOS system product name */
    uint32_t bios_size;                /* the firmware image, reserved below 4 GiB */
    bool own_bios;                     /* ours: SMBIOS type 0 comes from here */
} PcFirmwareInfo;

/* Items and files: SIGNATURE/ID (from fw_cfg_create), UUID, RAM_SIZE,
 * NOGRAPHIC, NB_CPUS, MAX_CPUS, BOOT_DEVICE, BOOT_MENU, NUMA (no nodes),
 * IRQ0_OVERRIDE, and the files etc/e820, etc/acpi/tables, etc/acpi/rsdp,
 * etc/table-loader, etc/smbios/smbios-anchor, etc/smbios/smbios-tables,
 * etc/boot-fail-wait. Bad configurations are fatal. */
void pc_firmware_fill_fw_cfg(FwCfg *fw, const PcFirmwareInfo *info);

/* "etc/e820": 20-byte little-endian {u64 address, u64 length, u32 type}
 * entries (QEMU's layout): RAM from 0 (firmware carves the legacy holes
 * itself), RAM above 4 GiB, the accelerator's pages (PC_ACCEL_PAGES_BASE)
 * and the firmware image reserved. Returns the count written (at most max). */
int pc_firmware_e820(uint64_t ram_size, uint32_t bios_size, uint8_t *buf, int max);

/* The pc's SMBIOS tables, the same for the firmware (through fw_cfg) and the
 * kernel loader (placed in RAM). bios_vendor NULL: no type 0 (the firmware
 * brings its own); bios_rom_size 0 when no image is mapped. */
void pc_smbios_build(SmbiosBlobs *out, const char *product, int ncpus, uint64_t ram_size,
                     const char *bios_vendor, uint32_t bios_rom_size);
#define PC_FW_E820_ENTRY_SIZE 20

/* QEMU's CMOS layout: 0x3D low/high nibble = first/second device, 0x38
 * high nibble = third, 0x38 bit 0 = skip the floppy boot-signature check;
 * devices 1 floppy (a), 2 hard disk (c), 3 CD-ROM (d), 4 network (n).
 * False (with a one-line reason) for an unknown letter or more than
 * PC_MAX_BOOT_DEVICES letters. */
bool pc_boot_order_cmos(const char *order, uint8_t *reg3d, uint8_t *reg38, const char **err);

/* With no -kernel: load -bios FILE (or BUILD/bios/bios.bin), map it at
 * 4 GiB - size and its last 128 KiB at 0xE0000 under the PAM registers,
 * create fw_cfg and fill it, write the boot order (-boot once= if given,
 * else order=) into CMOS and fw_cfg. User errors are fatal, one line. */
PcFirmware *pc_firmware_init(Machine *m, PciBus *pci, Rtc *rtc, const AcpiConfig *acpi);
/* At power-on and every reset: the boot CPU starts at the reset vector
 * (F000:FFF0, CS base 0xFFFF0000). The first reset after power-on puts
 * -boot order= in place of once=. */
void pc_firmware_load(PcFirmware *fw, Machine *m);

#endif
