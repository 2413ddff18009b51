/*
 * ACPI table builder for the pc machine: RSDP 2.0, RSDT/XSDT, FADT 6.0,
 * FACS, MADT, DSDT (AML from aml.c), optional HPET. Layouts follow ACPI
 * 6.4 chapter 5 (5.2.5 RSDP, 5.2.9 FADT, 5.2.10 FACS, 5.2.12 MADT) and the
 * IA-PC HPET spec 1.0a section 3.2.4. Either placed at a fixed address
 * (direct kernel boot) or as fw_cfg blobs plus BIOS linker/loader commands
 * that firmware executes. Leaves out: SSDTs, sleep states other than S5,
 * hot-plug, NUMA (SRAT), PCIe (MCFG), SMBIOS (hw/acpi/smbios.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/acpi_tables.h"
#include "hw/acpi/aml.h"
#include "hw/acpi/pm.h"
#include "hw/nvram/bios_linker.h"

#define ACPI_OEM_ID         "MIMIC "
#define ACPI_OEM_TABLE_ID   "MIMICPC "
#define ACPI_OEM_REVISION   1
#define ACPI_CREATOR_ID     "MIMC"
#define ACPI_CREATOR_REV    1
#define ACPI_HEADER_LEN     36
#define ACPI_RSDP_LEN       36
#define ACPI_RSDP_V1_LEN    20
#define ACPI_FADT_LEN       276     /* revision 6 (ACPI 6.0) */
#define ACPI_FADT_REVISION  6
#define ACPI_FADT_MINOR     0
#define ACPI_FACS_LEN       64
#define ACPI_FACS_VERSION   2
#define ACPI_MADT_REVISION  4
#define ACPI_DSDT_REVISION  2       /* >= 2: 64-bit AML integers */
#define ACPI_MAX_TABLES     8       /* entries of RSDT/XSDT */
/* Loader mode records every pointer and checksummed table it writes. */
#define ACPI_MAX_POINTERS   (3 + 2 * ACPI_MAX_TABLES)
#define ACPI_MAX_CHECKSUMS  (ACPI_MAX_TABLES + 3)
#define PCI_SLOTS           32

/* Generic Address Structure address spaces and access sizes (5.2.3.2) */
enum { GAS_MEMORY = 0, GAS_IO = 1 };
enum { GAS_ACCESS_UNDEF = 0, GAS_ACCESS_BYTE = 1, GAS_ACCESS_WORD = 2, GAS_ACCESS_DWORD = 3 };

/* FADT Flags (table 5.10) and IAPC_BOOT_ARCH (table 5.11) */
#define FADT_WBINVD         (1u << 0)
#define FADT_PROC_C1        (1u << 2)
#define FADT_SLP_BUTTON     (1u << 5)   /* no fixed-feature sleep button */
#define FADT_FIX_RTC        (1u << 6)   /* no RTC wake status in PM1 */
#define FADT_RESET_REG_SUP  (1u << 10)
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_8042      (1u << 1)
#define FADT_PM_PROFILE_DESKTOP 1
/* C2/C3 latencies above 100/1000 us say the state is not supported. */
#define FADT_NO_C2_LATENCY  0x0FFF
#define FADT_NO_C3_LATENCY  0x0FFF

/* MADT (5.2.12) */
#define MADT_PCAT_COMPAT    1u
enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4 };
#define MADT_LAPIC_ENABLED  1u
/* MPS INTI flags: polarity bits 1:0 (1 high, 3 low), trigger bits 3:2
 * (1 edge, 3 level). */
#define MPS_ACTIVE_HIGH     0x1
#define MPS_EDGE            0x4
#define MPS_LEVEL           0xC
#define MADT_ALL_PROCESSORS 0xFF

typedef struct Writer {
    uint8_t *buf;
    size_t size, pos;
    uint64_t base;
    bool overflow;
    /* Loader mode: where pointers (offset, size) and tables (start,
     * length) are, for the firmware's ADD_POINTER / ADD_CHECKSUM. */
    bool record;
    struct { size_t off; uint8_t size; } ptr[ACPI_MAX_POINTERS];
    int nptr;
    struct { size_t start, len; } sum[ACPI_MAX_CHECKSUMS];
    int nsum;
} Writer;

static bool w_space(Writer *w, size_t n)
{
    if (w->overflow || n > w->size - w->pos) {
        w->overflow = true;
        return false;
    }
    return true;
}

static void w_bytes(Writer *w, const void *p, size_t n)
{
    if (!w_space(w, n))
        return;
    memcpy(w->buf + w->pos, p, n);
    w->pos += n;
}

static void w_zero(Writer *w, size_t n)
{
    if (!w_space(w, n))
        return;
    memset(w->buf + w->pos, 0, n);
    w->pos += n;
}

static void w_le(Writer *w, uint64_t v, unsigned size)
{
    uint8_t b[8];
    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    w_bytes(w, b, size);
}

static void w_align(Writer *w, unsigned align)
{
    while (!w->overflow && (w->base + w->pos) % align)
        w_zero(w, 1);
}

static uint64_t w_addr(const Writer *w, size_t off)
{
    return w->base + off;
}

/* A `size`-byte pointer to buffer offset `target`: an address in direct
 * mode, an offset the firmware relocates in loader mode. */
static void w_pointer(Writer *w, size_t target, unsigned size)
{
    if (w->record && !w->overflow) {
        if (w->nptr == ACPI_MAX_POINTERS) {
            w->overflow = true;
            return;
        }
        w->ptr[w->nptr].off = w->pos;
        w->ptr[w->nptr++].size = (uint8_t)size;
    }
    w_le(w, w_addr(w, target), size);
}

static void w_patch_le(Writer *w, size_t off, uint64_t v, unsigned size)
{
    if (w->overflow || off > w->pos || size > w->pos - off)
        return;
    for (unsigned i = 0; i < size; i++)
        w->buf[off + i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* System description table header (5.2.6); length and checksum are filled
 * by table_end(). */
static size_t table_begin(Writer *w, const char *sig, uint8_t revision)
{
    w_align(w, 8);
    size_t start = w->pos;
    w_bytes(w, sig, 4);
    w_le(w, 0, 4);
    w_le(w, revision, 1);
    w_le(w, 0, 1);
    w_bytes(w, ACPI_OEM_ID, 6);
    w_bytes(w, ACPI_OEM_TABLE_ID, 8);
    w_le(w, ACPI_OEM_REVISION, 4);
    w_bytes(w, ACPI_CREATOR_ID, 4);
    w_le(w, ACPI_CREATOR_REV, 4);
    return start;
}

static void table_end(Writer *w, size_t start)
{
    if (w->overflow)
        return;
    size_t len = w->pos - start;
    w_patch_le(w, start + 4, len, 4);
    w->buf[start + 9] = checksum(w->buf + start, len);
    if (w->record) {
        if (w->nsum == ACPI_MAX_CHECKSUMS) {
            w->overflow = true;
            return;
        }
        w->sum[w->nsum].start = start;
        w->sum[w->nsum++].len = len;
    }
}

/* Generic Address Structure (5.2.3.2) */
static void w_gas(Writer *w, uint8_t space, uint8_t bit_width, uint8_t access, uint64_t addr)
{
    w_le(w, space, 1);
    w_le(w, bit_width, 1);
    w_le(w, 0, 1);              /* bit offset */
    w_le(w, access, 1);
    w_le(w, addr, 8);
}

/* --- DSDT ------------------------------------------------------------- */

static const uint8_t pirq_gsi[4] = {
    ACPI_PIRQ_GSI_A, ACPI_PIRQ_GSI_B, ACPI_PIRQ_GSI_C, ACPI_PIRQ_GSI_D,
};

/* _PRT (6.2.13): one Package{Address, Pin, Source, SourceIndex} per slot
 * and pin; Source 0 means SourceIndex is the GSI itself (hard-wired). */
static void dsdt_prt(Aml *a)
{
    aml_name(a, "_PRT");
    aml_package_begin(a, (PCI_SLOTS - 1) * 4);
    for (unsigned slot = 1; slot < PCI_SLOTS; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            aml_package_begin(a, 4);
            aml_integer(a, ((uint64_t)slot << 16) | 0xFFFF);
            aml_integer(a, pin);
            aml_integer(a, 0);
            aml_integer(a, pirq_gsi[(slot + pin) & 3]);
            aml_end(a);
        }
    }
    aml_end(a);
}

/* Root bridge windows: bus 0-255, the config ports, I/O outside them, the
 * legacy VGA hole and the 32-bit MMIO hole. */
static void dsdt_pci_crs(Aml *a, const AcpiConfig *cfg)
{
    Aml res;
    aml_init(&res);
    aml_res_word_bus(&res, 0x00, 0xFF);
    aml_res_io(&res, 0xCF8, 0xCF8, 1, 8);
    aml_res_word_io(&res, 0x0000, 0x0CF7);
    aml_res_word_io(&res, 0x0D00, 0xFFFF);
    aml_res_dword_memory(&res, true, 0x000A0000, 0x000BFFFF);
    aml_res_dword_memory(&res, false, cfg->pci_mmio_base,
                         (uint32_t)(cfg->pci_mmio_base + (uint64_t)cfg->pci_mmio_size - 1));
    aml_name(a, "_CRS");
    aml_resource_template(a, &res);
    aml_free(&res);
}

/* An ISA device with a _HID, optional _UID and a _CRS of up to two I/O
 * ranges (len 0 = none) and one IRQ. */
typedef struct IsaDev {
    const char *name, *hid;
    int uid;                          /* -1: no _UID */
    uint16_t io[2];
    uint8_t io_len[2];
    uint8_t irq;
} IsaDev;

static const IsaDev isa_devs[] = {
    { "KBD", "PNP0303", -1, { 0x60, 0x64 }, { 1, 1 }, 1 },
    { "MOU", "PNP0F13", -1, { 0, 0 }, { 0, 0 }, 12 },
    { "COM1", "PNP0501", 1, { 0x3F8, 0 }, { 8, 0 }, 4 },
    { "RTC", "PNP0B00", -1, { 0x70, 0 }, { 2, 0 }, 8 },
};

static void dsdt_isa_device(Aml *a, const IsaDev *d)
{
    Aml res;
    aml_device_begin(a, d->name);
    aml_name_eisaid(a, "_HID", d->hid);
    if (d->uid >= 0)
        aml_name_integer(a, "_UID", (uint64_t)d->uid);
    aml_init(&res);
    for (int i = 0; i < 2; i++) {
        if (d->io_len[i])
            aml_res_io(&res, d->io[i], d->io[i], 1, d->io_len[i]);
    }
    aml_res_irq(&res, (uint16_t)(1u << d->irq));
    aml_name(a, "_CRS");
    aml_resource_template(a, &res);
    aml_free(&res);
    aml_end(a);
}

static void dsdt_hpet(Aml *a)
{
    Aml res;
    aml_device_begin(a, "HPET");
    aml_name_eisaid(a, "_HID", "PNP0103");
    aml_name_integer(a, "_UID", 0);
    aml_init(&res);
    aml_res_memory32_fixed(&res, false, ACPI_HPET_ADDR, ACPI_HPET_SIZE);
    aml_name(a, "_CRS");
    aml_resource_template(a, &res);
    aml_free(&res);
    aml_end(a);
}

static void dsdt_build(Aml *a, const AcpiConfig *cfg)
{
    /* \_S5: {SLP_TYPa, SLP_TYPb, reserved, reserved} (7.4.2) */
    aml_name(a, "\\_S5");
    aml_package_begin(a, 4);
    aml_integer(a, ACPI_PM_SLP_TYP_S5);
    aml_integer(a, ACPI_PM_SLP_TYP_S5);
    aml_integer(a, 0);
    aml_integer(a, 0);
    aml_end(a);

    aml_scope_begin(a, "\\_SB");
    /* Processor devices (8.4): _UID matches the MADT processor UID. */
    for (int i = 0; i < cfg->ncpus; i++) {
        char name[16];
        snprintf(name, sizeof(name), "C%03X", (unsigned)i & 0xFFF);
        aml_device_begin(a, name);
        aml_name(a, "_HID");
        aml_string(a, "ACPI0007");
        aml_name_integer(a, "_UID", (uint64_t)i);
        aml_end(a);
    }

    aml_device_begin(a, "PCI0");
    aml_name_eisaid(a, "_HID", "PNP0A03");
    aml_name_integer(a, "_ADR", 0);
    aml_name_integer(a, "_UID", 0);
    if (cfg->pci_mmio_size)
        dsdt_pci_crs(a, cfg);
    dsdt_prt(a);
    aml_device_begin(a, "ISA");
    aml_name_integer(a, "_ADR", ACPI_ISA_BRIDGE_ADR);
    for (size_t i = 0; i < sizeof(isa_devs) / sizeof(isa_devs[0]); i++)
        dsdt_isa_device(a, &isa_devs[i]);
    aml_end(a);     /* ISA */
    aml_end(a);     /* PCI0 */

    if (cfg->hpet)
        dsdt_hpet(a);
    aml_end(a);     /* \_SB */
}

/* --- Fixed tables ----------------------------------------------------- */

static size_t build_facs(Writer *w)
{
    w_align(w, 64);
    size_t start = w->pos;
    w_bytes(w, "FACS", 4);
    w_le(w, ACPI_FACS_LEN, 4);
    w_zero(w, 4 + 4 + 4 + 4 + 8);   /* hw signature, waking vector, lock, flags, X vector */
    w_le(w, ACPI_FACS_VERSION, 1);
    w_zero(w, 3 + 4 + 24);          /* reserved, OSPM flags, reserved */
    return start;
}

static void fadt_block(Writer *w, uint16_t port, uint8_t len, uint8_t access)
{
    w_gas(w, GAS_IO, (uint8_t)(len * 8), access, port);
}

/* FADT (5.2.9, table 5.9); offsets noted for review against the spec. */
static size_t build_fadt(Writer *w, const AcpiConfig *cfg, size_t facs, size_t dsdt)
{
    uint16_t pm = cfg->pm_base;
    uint32_t flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC;
    if (cfg->reset_port)
        flags |= FADT_RESET_REG_SUP;

    size_t start = table_begin(w, "FACP", ACPI_FADT_REVISION);
    w_pointer(w, facs, 4);                            /* 36 FIRMWARE_CTRL */
    w_pointer(w, dsdt, 4);                            /* 40 DSDT */
    w_le(w, 0, 1);                                    /* 44 reserved */
    w_le(w, FADT_PM_PROFILE_DESKTOP, 1);              /* 45 */
    w_le(w, (uint64_t)cfg->sci_irq, 2);               /* 46 SCI_INT */
    w_le(w, 0, 4);                                    /* 48 SMI_CMD: always in ACPI mode */
    w_le(w, 0, 4);                                    /* 52 ACPI_ENABLE/DISABLE, S4BIOS, PSTATE */
    w_le(w, pm + ACPI_PM1_EVT_OFFSET, 4);             /* 56 PM1a_EVT_BLK */
    w_le(w, 0, 4);                                    /* 60 PM1b_EVT_BLK */
    w_le(w, pm + ACPI_PM1_CNT_OFFSET, 4);             /* 64 PM1a_CNT_BLK */
    w_le(w, 0, 4);                                    /* 68 PM1b_CNT_BLK */
    w_le(w, 0, 4);                                    /* 72 PM2_CNT_BLK */
    w_le(w, pm + ACPI_PM_TMR_OFFSET, 4);              /* 76 PM_TMR_BLK */
    w_le(w, pm + ACPI_GPE0_OFFSET, 4);                /* 80 GPE0_BLK */
    w_le(w, 0, 4);                                    /* 84 GPE1_BLK */
    w_le(w, ACPI_PM1_EVT_LEN, 1);                     /* 88 */
    w_le(w, ACPI_PM1_CNT_LEN, 1);                     /* 89 */
    w_le(w, 0, 1);                                    /* 90 PM2_CNT_LEN */
    w_le(w, ACPI_PM_TMR_LEN, 1);                      /* 91 */
    w_le(w, ACPI_GPE0_LEN, 1);                        /* 92 */
    w_le(w, 0, 1);                                    /* 93 GPE1_BLK_LEN */
    w_le(w, 0, 1);                                    /* 94 GPE1_BASE */
    w_le(w, 0, 1);                                    /* 95 CST_CNT */
    w_le(w, FADT_NO_C2_LATENCY, 2);                   /* 96 P_LVL2_LAT */
    w_le(w, FADT_NO_C3_LATENCY, 2);                   /* 98 P_LVL3_LAT */
    w_le(w, 0, 2);                                    /* 100 FLUSH_SIZE */
    w_le(w, 0, 2);                                    /* 102 FLUSH_STRIDE */
    w_le(w, 0, 1);                                    /* 104 DUTY_OFFSET */
    w_le(w, 0, 1);                                    /* 105 DUTY_WIDTH */
    w_le(w, 0, 1);                                    /* 106 DAY_ALRM */
    w_le(w, 0, 1);                                    /* 107 MON_ALRM */
    w_le(w, cfg->rtc_century, 1);                     /* 108 CENTURY */
    w_le(w, BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_8042, 2); /* 109 IAPC_BOOT_ARCH */
    w_le(w, 0, 1);                                    /* 111 reserved */
    w_le(w, flags, 4);                                /* 112 Flags */
    if (cfg->reset_port)                              /* 116 RESET_REG */
        w_gas(w, GAS_IO, 8, GAS_ACCESS_BYTE, cfg->reset_port);
    else
        w_zero(w, 12);
    w_le(w, cfg->reset_port ? cfg->reset_value : 0, 1);   /* 128 RESET_VALUE */
    w_le(w, 0, 2);                                    /* 129 ARM_BOOT_ARCH */
    w_le(w, ACPI_FADT_MINOR, 1);                      /* 131 minor version */
    /* X_FIRMWARE_CTRL must be 0 when FIRMWARE_CTRL is used (always below 4G). */
    w_le(w, 0, 8);                                    /* 132 X_FIRMWARE_CTRL */
    w_pointer(w, dsdt, 8);                            /* 140 X_DSDT */
    fadt_block(w, pm + ACPI_PM1_EVT_OFFSET, ACPI_PM1_EVT_LEN, GAS_ACCESS_WORD); /* 148 */
    w_zero(w, 12);                                    /* 160 X_PM1b_EVT_BLK */
    fadt_block(w, pm + ACPI_PM1_CNT_OFFSET, ACPI_PM1_CNT_LEN, GAS_ACCESS_WORD); /* 172 */
    w_zero(w, 12);                                    /* 184 X_PM1b_CNT_BLK */
    w_zero(w, 12);                                    /* 196 X_PM2_CNT_BLK */
    fadt_block(w, pm + ACPI_PM_TMR_OFFSET, ACPI_PM_TMR_LEN, GAS_ACCESS_DWORD); /* 208 */
    fadt_block(w, pm + ACPI_GPE0_OFFSET, ACPI_GPE0_LEN, GAS_ACCESS_BYTE);      /* 220 */
    w_zero(w, 12);                                    /* 232 X_GPE1_BLK */
    w_zero(w, 12);                                    /* 244 SLEEP_CONTROL_REG */
    w_zero(w, 12);                                    /* 256 SLEEP_STATUS_REG */
    w_zero(w, 8);                                     /* 268 hypervisor vendor */
    table_end(w, start);
    return start;
}

static void madt_iso(Writer *w, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    w_le(w, MADT_ISO, 1);
    w_le(w, 10, 1);
    w_le(w, 0, 1);              /* bus: ISA */
    w_le(w, irq, 1);
    w_le(w, gsi, 4);
    w_le(w, flags, 2);
}

static size_t build_madt(Writer *w, const AcpiConfig *cfg)
{
    size_t start = table_begin(w, "APIC", ACPI_MADT_REVISION);
    w_le(w, cfg->lapic_addr, 4);
    w_le(w, MADT_PCAT_COMPAT, 4);
    for (int i = 0; i < cfg->ncpus; i++) {
        w_le(w, MADT_LAPIC, 1);
        w_le(w, 8, 1);
        w_le(w, (uint64_t)i, 1);        /* ACPI processor UID */
        w_le(w, (uint64_t)i, 1);        /* APIC id */
        w_le(w, MADT_LAPIC_ENABLED, 4);
    }
    w_le(w, MADT_IOAPIC, 1);
    w_le(w, 12, 1);
    w_le(w, cfg->ioapic_id, 1);
    w_le(w, 0, 1);
    w_le(w, cfg->ioapic_addr, 4);
    w_le(w, 0, 4);                      /* GSI base */
    /* The PIT drives IOAPIC pin 2; the SCI is level-triggered but, like
     * every ISA line here, active high. */
    madt_iso(w, 0, 2, MPS_EDGE | MPS_ACTIVE_HIGH);
    madt_iso(w, (uint8_t)cfg->sci_irq, (uint32_t)cfg->sci_irq, MPS_LEVEL | MPS_ACTIVE_HIGH);
    w_le(w, MADT_LAPIC_NMI, 1);
    w_le(w, 6, 1);
    w_le(w, MADT_ALL_PROCESSORS, 1);
    w_le(w, MPS_EDGE | MPS_ACTIVE_HIGH, 2);
    w_le(w, 1, 1);                      /* LINT1 */
    table_end(w, start);
    return start;
}

/* IA-PC HPET spec 1.0a, table 3: HPET description table. */
static size_t build_hpet(Writer *w, const AcpiConfig *cfg)
{
    size_t start = table_begin(w, "HPET", 1);
    w_le(w, cfg->hpet_block_id ? cfg->hpet_block_id : ACPI_HPET_DEFAULT_BLOCK_ID, 4);
    w_gas(w, GAS_MEMORY, 64, GAS_ACCESS_UNDEF, ACPI_HPET_ADDR);
    w_le(w, 0, 1);              /* HPET number */
    w_le(w, 0, 2);              /* minimum clock tick in periodic mode */
    w_le(w, 0, 1);              /* page protection: none */
    table_end(w, start);
    return start;
}

static size_t build_sdt(Writer *w, const char *sig, const size_t *tables, int n, unsigned size)
{
    size_t start = table_begin(w, sig, 1);
    for (int i = 0; i < n; i++)
        w_pointer(w, tables[i], size);
    table_end(w, start);
    return start;
}

/* RSDP (5.2.5.3): checksum over the first 20 bytes, extended checksum
 * over all 36. */
static void rsdp_fill(uint8_t r[ACPI_RSDP_LEN], uint32_t rsdt, uint64_t xsdt)
{
    memset(r, 0, ACPI_RSDP_LEN);
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, ACPI_OEM_ID, 6);
    r[15] = 2;
    for (int i = 0; i < 4; i++) {
        r[16 + i] = (uint8_t)(rsdt >> (8 * i));
        r[20 + i] = (uint8_t)(ACPI_RSDP_LEN >> (8 * i));
    }
    for (int i = 0; i < 8; i++)
        r[24 + i] = (uint8_t)(xsdt >> (8 * i));
    r[8] = checksum(r, ACPI_RSDP_V1_LEN);
    r[32] = checksum(r, ACPI_RSDP_LEN);
}

static bool config_valid(const AcpiConfig *cfg)
{
    return cfg->ncpus >= 1 && cfg->ncpus <= ACPI_MAX_CPUS &&
           cfg->sci_irq >= 1 && cfg->sci_irq <= 15 && cfg->sci_irq != 2 &&
           cfg->pm_base != 0 && cfg->pm_base <= 0x10000 - ACPI_PM_IO_SIZE &&
           cfg->lapic_addr != 0 && cfg->ioapic_addr != 0 &&
           (cfg->pci_mmio_size == 0 ||
            (uint64_t)cfg->pci_mmio_base + cfg->pci_mmio_size <= 0x100000000ull);
}

/* Every table but the RSDP, from the writer's current position: FACS,
 * DSDT, FADT, MADT, HPET, RSDT, XSDT. */
static bool build_tables(Writer *w, const AcpiConfig *cfg, size_t *rsdt_out, size_t *xsdt_out)
{
    size_t tables[ACPI_MAX_TABLES];
    int ntables = 0;
    Aml dsdt_aml;

    aml_init(&dsdt_aml);
    dsdt_build(&dsdt_aml, cfg);
    if (!aml_ok(&dsdt_aml)) {
        aml_free(&dsdt_aml);
        return false;
    }
    size_t facs = build_facs(w);

    size_t dsdt = table_begin(w, "DSDT", ACPI_DSDT_REVISION);
    w_bytes(w, dsdt_aml.data, dsdt_aml.len);
    table_end(w, dsdt);
    aml_free(&dsdt_aml);

    tables[ntables++] = build_fadt(w, cfg, facs, dsdt);
    tables[ntables++] = build_madt(w, cfg);
    if (cfg->hpet)
        tables[ntables++] = build_hpet(w, cfg);
    *rsdt_out = build_sdt(w, "RSDT", tables, ntables, 4);
    *xsdt_out = build_sdt(w, "XSDT", tables, ntables, 8);
    return !w->overflow;
}

size_t acpi_build(uint8_t *buf, size_t buf_size, uint64_t base, const AcpiConfig *cfg,
                  uint64_t *rsdp_addr)
{
    Writer w = { .buf = buf, .size = buf_size, .base = base };

    if (!buf || !cfg || !config_valid(cfg) || base >= 0x100000000ull)
        return 0;

    w_align(&w, 16);
    size_t rsdp = w.pos;
    w_zero(&w, ACPI_RSDP_LEN);
    size_t rsdt, xsdt;
    if (!build_tables(&w, cfg, &rsdt, &xsdt))
        return 0;
    /* RSDT and the 32-bit FADT fields hold 32-bit addresses. */
    if (base + w.pos > 0x100000000ull)
        return 0;
    rsdp_fill(w.buf + rsdp, (uint32_t)w_addr(&w, rsdt), w_addr(&w, xsdt));
    if (rsdp_addr)
        *rsdp_addr = base + rsdp;
    return w.pos;
}

bool acpi_build_for_loader(const AcpiConfig *cfg, AcpiBlobs *out, BiosLinker *linker)
{
    memset(out, 0, sizeof(*out));
    if (!cfg || !config_valid(cfg) || !linker)
        return false;
    Writer *w = calloc(1, sizeof(*w));
    uint8_t *buf = malloc(ACPI_TABLES_MAX_SIZE);
    if (!w || !buf) {
        free(w);
        free(buf);
        return false;
    }
    *w = (Writer){ .buf = buf, .size = ACPI_TABLES_MAX_SIZE, .base = 0, .record = true };
    size_t rsdt, xsdt;
    if (!build_tables(w, cfg, &rsdt, &xsdt)) {
        free(w);
        free(buf);
        return false;
    }
    rsdp_fill(out->rsdp, (uint32_t)rsdt, xsdt);
    uint8_t *fit = realloc(buf, w->pos);
    out->tables = fit ? fit : buf;
    out->tables_len = w->pos;

    /* The FACS must be 64-byte aligned in memory, and offsets in the blob
     * were aligned relative to its start. The RSDP lives where OSes scan
     * for it (ACPI 5.2.5.1: the BIOS read-only area 0xE0000-0xFFFFF). */
    bios_linker_allocate(linker, ACPI_FILE_TABLES, 64, BIOS_LINKER_ZONE_HIGH);
    bios_linker_allocate(linker, ACPI_FILE_RSDP, 16, BIOS_LINKER_ZONE_FSEG);
    for (int i = 0; i < w->nptr; i++)
        bios_linker_add_pointer(linker, ACPI_FILE_TABLES, (uint32_t)w->ptr[i].off,
                                w->ptr[i].size, ACPI_FILE_TABLES);
    for (int i = 0; i < w->nsum; i++)
        bios_linker_add_checksum(linker, ACPI_FILE_TABLES, (uint32_t)(w->sum[i].start + 9),
                                 (uint32_t)w->sum[i].start, (uint32_t)w->sum[i].len);
    bios_linker_add_pointer(linker, ACPI_FILE_RSDP, 16, 4, ACPI_FILE_TABLES);
    bios_linker_add_pointer(linker, ACPI_FILE_RSDP, 24, 8, ACPI_FILE_TABLES);
    bios_linker_add_checksum(linker, ACPI_FILE_RSDP, 8, 0, ACPI_RSDP_V1_LEN);
    bios_linker_add_checksum(linker, ACPI_FILE_RSDP, 32, 0, ACPI_RSDP_LEN);
    free(w);
    if (linker->error) {
        acpi_blobs_free(out);
        return false;
    }
    return true;
}

void acpi_blobs_free(AcpiBlobs *b)
{
    free(b->tables);
    memset(b, 0, sizeof(*b));
}
