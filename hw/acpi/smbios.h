/*
 * SMBIOS tables of the pc machine (DMTF DSP0134 3.x, structures as of
 * version 2.8) handed to firmware through fw_cfg as QEMU does: a 2.1-style
 * 32-bit entry point ("etc/smbios/smbios-anchor") whose structure table
 * address the firmware fills in after placing "etc/smbios/smbios-tables";
 * or, for direct kernel boot, placed in guest memory by smbios_place().
 * Pure data: no devices, no machine.
 */
#ifndef MIMIC_HW_ACPI_SMBIOS_H
#define MIMIC_HW_ACPI_SMBIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMBIOS_FILE_ANCHOR "etc/smbios/smbios-anchor"
#define SMBIOS_FILE_TABLES "etc/smbios/smbios-tables"
#define SMBIOS_ANCHOR_SIZE 31          /* 2.1 entry point (DSP0134 5.2.1) */
#define SMBIOS_ANCHOR_ALIGN 16         /* OSes scan 0xF0000-0xFFFFF by paragraph */
#define SMBIOS_MAJOR 2
#define SMBIOS_MINOR 8
#define SMBIOS_MAX_CPUS 255            /* one type 4 structure each */
#define SMBIOS_DIMM_SIZE (16ull << 30) /* RAM is described as DIMMs of this size */
#define SMBIOS_MAX_DIMMS 128
#define SMBIOS_MAX_STRING 64           /* longest string accepted */

/* Entry point offsets (DSP0134 table 1). */
#define SMBIOS_EP_CHECKSUM      0x04
#define SMBIOS_EP_MAX_SIZE      0x08
#define SMBIOS_EP_DMI_CHECKSUM  0x15
#define SMBIOS_EP_TABLE_LENGTH  0x16
#define SMBIOS_EP_TABLE_ADDRESS 0x18
#define SMBIOS_EP_NUM_STRUCTS   0x1C

typedef struct SmbiosConfig {
    /* Type 0 (BIOS information) only when bios_vendor is set: a foreign
     * firmware (SeaBIOS) adds its own. */
    const char *bios_vendor, *bios_version, *bios_date;   /* date: "MM/DD/YYYY" */
    uint32_t bios_rom_size;            /* bytes; 0: 64 KiB */
    const char *manufacturer, *product, *version, *serial, *family;
    uint8_t uuid[16];                  /* SMBIOS byte order; all zero: not set */
    int ncpus;                         /* 1..SMBIOS_MAX_CPUS */
    uint32_t cpu_signature;            /* CPUID.1:EAX */
    uint32_t cpu_features;             /* CPUID.1:EDX */
    uint16_t cpu_mhz;                  /* 0: unknown */
    uint64_t ram_below_4g;             /* RAM at [0, below) */
    uint64_t ram_above_4g;             /* RAM at [4 GiB, 4 GiB + above) */
} SmbiosConfig;

typedef struct SmbiosBlobs {
    uint8_t anchor[SMBIOS_ANCHOR_SIZE];   /* table address 0: firmware sets it */
    uint8_t *tables;                      /* malloc'd */
    size_t tables_len;
    int nstructs;
} SmbiosBlobs;

/* Types 0 (optional), 1, 3, 4 per CPU, 16, 17 per DIMM, 19 per RAM range,
 * 32 and 127. False (nothing to free) on a bad config or a table longer
 * than the entry point can describe (64 KiB). */
bool smbios_build(const SmbiosConfig *cfg, SmbiosBlobs *out);
void smbios_blobs_free(SmbiosBlobs *b);

/* Direct boot, no firmware: copy the tables to tables_addr and the entry
 * point to anchor_addr in guest RAM (ram holds guest physical [0,
 * ram_size)), the entry point's table address and both checksums patched
 * as a BIOS does. The caller picks reserved memory; without EFI, Linux
 * looks for the entry point in 0xF0000-0xFFFFF. False, writing nothing, if
 * anchor_addr is not SMBIOS_ANCHOR_ALIGN-aligned, either part leaves RAM,
 * the table ends above 4 GiB or the two overlap. */
bool smbios_place(const SmbiosBlobs *b, uint8_t *ram, uint64_t ram_size,
                  uint64_t anchor_addr, uint64_t tables_addr);

#endif
