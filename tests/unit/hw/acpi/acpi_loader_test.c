/*
 * Proves acpi_build_for_loader() hands firmware what it needs: executed by
 * an independent linker/loader (linker_exec.c) at arbitrary addresses, the
 * tables validate (RSDP in the F-segment, every checksum, FACS alignment)
 * and are byte for byte the direct-boot tables built for the same address.
 */
#include "hw/acpi/acpi_tables.h"
#include "hw/nvram/bios_linker.h"
#include "acpi_reader.h"
#include "linker_exec.h"
#include "test.h"

#define IMAGE_SIZE 0x140000u          /* guest [0, 1.25 MiB) */
#define FSEG_START 0xF0000u
#define HIGH_START 0x100000u

static uint8_t image[IMAGE_SIZE];
static uint8_t direct[ACPI_TABLES_MAX_SIZE];

static AcpiConfig pc_config(int ncpus, bool hpet)
{
    return (AcpiConfig){
        .ncpus = ncpus, .lapic_addr = 0xFEE00000, .ioapic_addr = 0xFEC00000,
        .ioapic_id = (uint8_t)ncpus, .pm_base = 0x600, .sci_irq = 9, .reset_port = 0xCF9,
        .reset_value = 0x06, .hpet = hpet, .rtc_century = 0x32,
    };
}

/* Build in loader mode and run the commands with the zones starting at
 * high/fseg. */
static bool load(const AcpiConfig *cfg, uint64_t high, uint64_t fseg, LinkerResult *res,
                 BiosLinker *l, AcpiBlobs *blobs)
{
    bios_linker_init(l);
    if (!acpi_build_for_loader(cfg, blobs, l))
        return false;
    memset(image, 0xEE, sizeof(image));
    LinkerBlob files[] = {
        { ACPI_FILE_TABLES, blobs->tables, blobs->tables_len },
        { ACPI_FILE_RSDP, blobs->rsdp, sizeof(blobs->rsdp) },
    };
    LinkerMemory mem = { .mem = image, .base = 0, .size = sizeof(image),
                         .high_next = high, .high_end = IMAGE_SIZE,
                         .fseg_next = fseg, .fseg_end = 0x100000 };
    bool ok = linker_exec(l->data, l->len, files, 2, &mem, res);
    if (!ok)
        printf("linker: %s\n", res->error);
    return ok;
}

TEST_CASE(commands_allocate_first_in_qemu_zones)
{
    AcpiConfig cfg = pc_config(4, true);
    BiosLinker l;
    AcpiBlobs b;
    bios_linker_init(&l);
    CHECK(acpi_build_for_loader(&cfg, &b, &l));
    CHECK(!l.error);
    CHECK(l.len >= 4 * BIOS_LINKER_ENTRY_SIZE);
    CHECK_EQ(l.len % BIOS_LINKER_ENTRY_SIZE, 0);
    const uint8_t *e = l.data;
    CHECK_EQ(e[0], BIOS_LINKER_ALLOCATE);
    CHECK(!strcmp((const char *)e + 4, "etc/acpi/tables"));
    CHECK_EQ(e[60], 64);
    CHECK_EQ(e[64], BIOS_LINKER_ZONE_HIGH);
    e += BIOS_LINKER_ENTRY_SIZE;
    CHECK_EQ(e[0], BIOS_LINKER_ALLOCATE);
    CHECK(!strcmp((const char *)e + 4, "etc/acpi/rsdp"));
    CHECK_EQ(e[60], 16);
    CHECK_EQ(e[64], BIOS_LINKER_ZONE_FSEG);
    /* The RSDP blob holds offsets into the tables, not addresses. */
    CHECK(!memcmp(b.rsdp, "RSD PTR ", 8));
    uint32_t rsdt = b.rsdp[16] | b.rsdp[17] << 8 | b.rsdp[18] << 16 | (uint32_t)b.rsdp[19] << 24;
    CHECK(rsdt + 36 <= b.tables_len);
    CHECK(!memcmp(b.tables + rsdt, "RSDT", 4));
    /* The tables blob starts with the FACS (64-byte aligned in the file). */
    CHECK(!memcmp(b.tables, "FACS", 4));
    acpi_blobs_free(&b);
    bios_linker_free(&l);
}

TEST_CASE(tables_valid_wherever_placed)
{
    static const uint64_t highs[] = { HIGH_START, HIGH_START + 8, HIGH_START + 0x12345 };
    static const uint64_t fsegs[] = { FSEG_START, FSEG_START + 0x6A04, 0xFFF00 };
    static const int cpus[] = { 1, 2, 16, ACPI_MAX_CPUS };
    for (size_t i = 0; i < sizeof(highs) / sizeof(highs[0]); i++) {
        for (size_t c = 0; c < sizeof(cpus) / sizeof(cpus[0]); c++) {
            AcpiConfig cfg = pc_config(cpus[c], c & 1);
            BiosLinker l;
            AcpiBlobs b;
            LinkerResult res;
            CHECK(load(&cfg, highs[i], fsegs[i], &res, &l, &b));
            const LinkerPlaced *t = linker_placed(&res, ACPI_FILE_TABLES);
            const LinkerPlaced *r = linker_placed(&res, ACPI_FILE_RSDP);
            CHECK(t && r);
            CHECK(r->addr >= FSEG_START && r->addr + 36 <= 0x100000);
            CHECK_EQ(r->addr % 16, 0);
            /* 2 RSDP pointers, 2 FADT + 1 X_DSDT, 4+8-byte entries per table. */
            int ntables = cfg.hpet ? 3 : 2;
            CHECK_EQ(res.npointers, 2 + 3 + 2 * ntables);
            CHECK_EQ(res.nchecksums, 2 + 3 + ntables);   /* RSDP x2, DSDT, RSDT, XSDT */

            AcpiReader rd;
            if (!acpi_reader_open(&rd, image, sizeof(image), 0, r->addr)) {
                printf("FAIL %s: reader: %s\n", test_case_name_, rd.error);
                test_case_failed_ = 1;
                return;
            }
            CHECK_EQ(rd.nxsdt, ntables);
            for (int k = 0; k < rd.nxsdt; k++)
                CHECK(rd.xsdt[k].addr >= t->addr && rd.xsdt[k].addr + rd.xsdt[k].len <= t->addr + t->len);
            AcpiFadt f;
            CHECK(acpi_reader_fadt(acpi_reader_find(&rd, "FACP"), &f));
            CHECK_EQ(f.firmware_ctrl % 64, 0);
            CHECK_EQ(f.dsdt, f.x_dsdt);
            AcpiReaderTable dsdt;
            CHECK(acpi_reader_table_at(&rd, f.x_dsdt, "DSDT", &dsdt));
            const uint8_t *facs = acpi_reader_ptr(&rd, f.firmware_ctrl, 64);
            CHECK(facs && !memcmp(facs, "FACS", 4));
            acpi_blobs_free(&b);
            bios_linker_free(&l);
        }
    }
}

/* Direct boot puts the RSDP first and the FACS at the next 64-byte
 * boundary; loaded with the tables at that boundary, firmware must end up
 * with exactly the same bytes. */
TEST_CASE(same_bytes_as_direct_boot)
{
    static const int cpus[] = { 1, 3, 64 };
    for (size_t c = 0; c < sizeof(cpus) / sizeof(cpus[0]); c++) {
        for (int hpet = 0; hpet < 2; hpet++) {
            AcpiConfig cfg = pc_config(cpus[c], hpet);
            uint64_t rsdp = 0;
            size_t dlen = acpi_build(direct, sizeof(direct), HIGH_START, &cfg, &rsdp);
            CHECK(dlen > 64);
            CHECK_EQ(rsdp, HIGH_START);
            BiosLinker l;
            AcpiBlobs b;
            LinkerResult res;
            CHECK(load(&cfg, HIGH_START + 64, FSEG_START, &res, &l, &b));
            CHECK_EQ(linker_placed(&res, ACPI_FILE_TABLES)->addr, HIGH_START + 64);
            CHECK_EQ(b.tables_len, dlen - 64);
            CHECK(!memcmp(image + HIGH_START + 64, direct + 64, dlen - 64));
            CHECK(!memcmp(image + FSEG_START, direct, 36));
            acpi_blobs_free(&b);
            bios_linker_free(&l);
        }
    }
}

TEST_CASE(bad_config_rejected)
{
    AcpiConfig cfg = pc_config(0, true);
    BiosLinker l;
    AcpiBlobs b;
    bios_linker_init(&l);
    CHECK(!acpi_build_for_loader(&cfg, &b, &l));
    CHECK_EQ(l.len, 0);
    CHECK(b.tables == NULL);
    cfg = pc_config(1, true);
    cfg.sci_irq = 2;
    CHECK(!acpi_build_for_loader(&cfg, &b, &l));
    CHECK(!acpi_build_for_loader(NULL, &b, &l));
    bios_linker_free(&l);
}

int main(void)
{
    RUN(commands_allocate_first_in_qemu_zones);
    RUN(tables_valid_wherever_placed);
    RUN(same_bytes_as_direct_boot);
    RUN(bad_config_rejected);
    TEST_EXIT();
}
