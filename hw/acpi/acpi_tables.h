/*
 * ACPI tables of the pc machine (ACPI 6.4 chapter 5): RSDP, RSDT, XSDT,
 * FADT, FACS, MADT, DSDT and optionally HPET, built into one buffer that
 * the caller places in guest memory. Pure data: no devices, no machine.
 */
#ifndef MIMIC_HW_ACPI_ACPI_TABLES_H
#define MIMIC_HW_ACPI_ACPI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Processor Local APIC entries carry 8-bit APIC ids; 0xFF is broadcast. */
#define ACPI_MAX_CPUS       255
#define ACPI_HPET_ADDR      0xFED00000u
#define ACPI_HPET_SIZE      0x400u
/* Default HPET Event Timer Block ID (= HPET GCAP_ID bits 31:0): vendor
 * 8086, legacy-replacement capable, 64-bit counter, 3 timers, rev 1. */
#define ACPI_HPET_DEFAULT_BLOCK_ID 0x8086A201u
/* Enough for every table at ACPI_MAX_CPUS. */
#define ACPI_TABLES_MAX_SIZE (64 * 1024)
/* PCI-to-ISA bridge function the DSDT's \_SB.PCI0.ISA describes (00:01.0). */
#define ACPI_ISA_BRIDGE_ADR 0x00010000u
/* Fixed PCI interrupt routing: slot s pin p (0 = INTA) uses PIRQ (s+p)&3,
 * PIRQA..D wired to these GSIs. */
#define ACPI_PIRQ_GSI_A 10
#define ACPI_PIRQ_GSI_B 10
#define ACPI_PIRQ_GSI_C 11
#define ACPI_PIRQ_GSI_D 11

typedef struct AcpiConfig {
    int ncpus;              /* 1..ACPI_MAX_CPUS; APIC id = processor UID = index */
    uint32_t lapic_addr;    /* 0xFEE00000 */
    uint32_t ioapic_addr;   /* 0xFEC00000 */
    uint8_t ioapic_id;
    uint16_t pm_base;       /* I/O base of the PM block (hw/acpi/pm.h layout) */
    int sci_irq;            /* ISA IRQ of the SCI (9); 1..15, not 2 */
    uint16_t reset_port;    /* 0xCF9; 0 = no reset register */
    uint8_t reset_value;    /* 0x06 */
    bool hpet;              /* HPET table and PNP0103 device at ACPI_HPET_ADDR */
    uint32_t hpet_block_id; /* 0 = ACPI_HPET_DEFAULT_BLOCK_ID */
    uint8_t rtc_century;    /* CMOS index of the century byte (0x32); 0 = none */
    /* 32-bit PCI MMIO window for PCI0._CRS; size 0 = no _CRS (OS defaults). */
    uint32_t pci_mmio_base, pci_mmio_size;
} AcpiConfig;

/*
 * Builds every table into buf as it will sit at guest physical `base`
 * (which must leave the whole result below 4 GiB). The RSDP is 16-byte
 * aligned, the FACS 64-byte aligned. Returns the number of bytes used and
 * the RSDP's guest address in *rsdp_addr, or 0 (buffer too small, bad
 * config) without writing past buf_size.
 */
size_t acpi_build(uint8_t *buf, size_t buf_size, uint64_t base, const AcpiConfig *cfg,
                  uint64_t *rsdp_addr);

/* fw_cfg file names of the loader-mode blobs (what QEMU calls them, so
 * SeaBIOS and our BIOS find them). */
#define ACPI_FILE_TABLES "etc/acpi/tables"
#define ACPI_FILE_RSDP   "etc/acpi/rsdp"
#define ACPI_RSDP_SIZE   36

typedef struct AcpiBlobs {
    uint8_t *tables;                  /* every table but the RSDP (malloc'd) */
    size_t tables_len;
    uint8_t rsdp[ACPI_RSDP_SIZE];
} AcpiBlobs;

typedef struct BiosLinker BiosLinker;

/*
 * Firmware placement ("loader mode"): the same tables with every pointer
 * written as an offset into ACPI_FILE_TABLES, and commands appended to
 * `linker` that make the firmware allocate both files (tables: 64-byte
 * aligned, high memory; RSDP: F-segment), add the tables' address to each
 * pointer and fix every checksum. False (nothing to free) on a bad config.
 */
bool acpi_build_for_loader(const AcpiConfig *cfg, AcpiBlobs *out, BiosLinker *linker);
void acpi_blobs_free(AcpiBlobs *b);

#endif
