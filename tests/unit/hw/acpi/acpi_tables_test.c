/*
 * Proves acpi_build() produces tables an OS can walk: RSDP -> RSDT/XSDT ->
 * FADT/MADT/HPET -> DSDT/FACS with valid checksums; MADT, FADT and DSDT
 * contents match the pc machine (ACPI 6.4 ch. 5, PIIX wiring); small
 * buffers fail cleanly; and, when installed, iasl disassembles the result.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hw/acpi/acpi_tables.h"
#include "hw/acpi/pm.h"
#include "acpi_reader.h"
#include "test.h"

#define BASE 0x000E0000ull
#define PM_BASE 0xB000

static uint8_t image[ACPI_TABLES_MAX_SIZE];

static AcpiConfig pc_config(int ncpus)
{
    return (AcpiConfig){
        .ncpus = ncpus, .lapic_addr = 0xFEE00000, .ioapic_addr = 0xFEC00000, .ioapic_id = 0,
        .pm_base = PM_BASE, .sci_irq = 9, .reset_port = 0xCF9, .reset_value = 0x06,
        .hpet = true, .rtc_century = 0x32,
        .pci_mmio_base = 0xC0000000, .pci_mmio_size = 0x3EC00000,
    };
}

/* Build and open; on failure the case fails with the reader's reason. */
#define BUILD_OPEN(r, cfg, len) \
    uint64_t rsdp_ = 0; \
    memset(image, 0xEE, sizeof(image)); \
    size_t len = acpi_build(image, sizeof(image), BASE, &(cfg), &rsdp_); \
    CHECK(len > 0); \
    if (!acpi_reader_open(&(r), image, len, BASE, rsdp_)) { \
        printf("FAIL %s: reader: %s\n", test_case_name_, (r).error); \
        test_case_failed_ = 1; return; }

static const int cpu_counts[] = { 1, 2, 8, ACPI_MAX_CPUS };

/* Every byte of the image belongs to a table reachable from the RSDP
 * (or is zero padding), so nothing is built that the OS cannot find. */
TEST_CASE(all_tables_reachable_and_checksummed)
{
    for (size_t c = 0; c < sizeof(cpu_counts) / sizeof(cpu_counts[0]); c++) {
        AcpiConfig cfg = pc_config(cpu_counts[c]);
        AcpiReader r;
        BUILD_OPEN(r, cfg, len);
        static uint8_t covered[ACPI_TABLES_MAX_SIZE];
        memset(covered, 0, sizeof(covered));

        CHECK_EQ(r.nrsdt, r.nxsdt);
        CHECK_EQ(r.nxsdt, 3);
        for (int i = 0; i < r.nxsdt; i++)
            CHECK_EQ(r.rsdt[i], r.xsdt[i].addr);
        CHECK(acpi_reader_find(&r, "FACP"));
        CHECK(acpi_reader_find(&r, "APIC"));
        CHECK(acpi_reader_find(&r, "HPET"));

        AcpiFadt f;
        CHECK(acpi_reader_fadt(acpi_reader_find(&r, "FACP"), &f));
        AcpiReaderTable dsdt, rsdt, xsdt;
        CHECK(acpi_reader_table_at(&r, f.x_dsdt, "DSDT", &dsdt));
        CHECK(acpi_reader_table_at(&r, r.rsdt_addr, "RSDT", &rsdt));
        CHECK(acpi_reader_table_at(&r, r.xsdt_addr, "XSDT", &xsdt));
        uint64_t facs = f.x_firmware_ctrl ? f.x_firmware_ctrl : f.firmware_ctrl;
        const uint8_t *fp = acpi_reader_ptr(&r, facs, 64);
        CHECK(fp);

        struct { uint64_t addr; size_t len; } parts[ACPI_READER_MAX_TABLES + 8];
        int n = 0;
        parts[n].addr = rsdp_, parts[n++].len = 36;
        parts[n].addr = facs, parts[n++].len = 64;
        parts[n].addr = dsdt.addr, parts[n++].len = dsdt.len;
        parts[n].addr = rsdt.addr, parts[n++].len = rsdt.len;
        parts[n].addr = xsdt.addr, parts[n++].len = xsdt.len;
        for (int i = 0; i < r.nxsdt; i++)
            parts[n].addr = r.xsdt[i].addr, parts[n++].len = r.xsdt[i].len;
        for (int i = 0; i < n; i++) {
            for (size_t b = 0; b < parts[i].len; b++) {
                size_t off = (size_t)(parts[i].addr - BASE) + b;
                CHECK(off < len);
                CHECK_EQ(covered[off], 0);       /* tables do not overlap */
                covered[off] = 1;
            }
        }
        for (size_t off = 0; off < len; off++) {
            if (!covered[off])
                CHECK_EQ(image[off], 0);         /* only zero padding between tables */
        }
        CHECK_EQ(image[len], 0xEE);              /* nothing written past the result */
    }
}

TEST_CASE(rsdp_and_facs_alignment)
{
    static const uint64_t bases[] = { 0xE0000, 0xE0004, 0x7FFE0003 };
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        AcpiConfig cfg = pc_config(2);
        uint64_t rsdp = 1;
        size_t len = acpi_build(image, sizeof(image), bases[i], &cfg, &rsdp);
        CHECK(len > 0);
        CHECK_EQ(rsdp % 16, 0);
        AcpiReader r;
        CHECK(acpi_reader_open(&r, image, len, bases[i], rsdp));
        CHECK_EQ(r.rsdp_revision, 2);
        AcpiFadt f;
        CHECK(acpi_reader_fadt(acpi_reader_find(&r, "FACP"), &f));
        uint64_t facs = f.x_firmware_ctrl ? f.x_firmware_ctrl : f.firmware_ctrl;
        CHECK_EQ(facs % 64, 0);
        /* FACS (5.2.10): signature, length 64, no checksum */
        const uint8_t *fp = acpi_reader_ptr(&r, facs, 64);
        CHECK(fp && memcmp(fp, "FACS", 4) == 0);
        CHECK_EQ(acpi_reader_le(fp + 4, 4), 64);
        CHECK(fp[32] >= 1);                      /* version */
    }
}

TEST_CASE(madt_lists_cpus_ioapic_overrides)
{
    for (size_t c = 0; c < sizeof(cpu_counts) / sizeof(cpu_counts[0]); c++) {
        int ncpus = cpu_counts[c];
        AcpiConfig cfg = pc_config(ncpus);
        cfg.ioapic_id = 3;
        AcpiReader r;
        BUILD_OPEN(r, cfg, len);
        (void)len;
        const AcpiReaderTable *t = acpi_reader_find(&r, "APIC");
        CHECK(t);
        CHECK_EQ(acpi_reader_le(t->data + 36, 4), 0xFEE00000);
        CHECK(acpi_reader_le(t->data + 40, 4) & 1);          /* PCAT_COMPAT */
        static AcpiMadtEntry e[ACPI_MAX_CPUS + 16];
        int n = acpi_reader_madt_entries(t, e, ACPI_MAX_CPUS + 16);
        CHECK(n > 0);
        int lapics = 0, ioapics = 0, nmis = 0;
        bool seen_id[256] = { false }, iso0 = false, iso_sci = false;
        for (int i = 0; i < n; i++) {
            const uint8_t *p = e[i].p;
            switch (e[i].type) {
            case 0:                                           /* Processor Local APIC */
                CHECK_EQ(e[i].len, 8);
                CHECK(acpi_reader_le(p + 4, 4) & 1);          /* enabled */
                CHECK_EQ(p[2], p[3]);                         /* UID = APIC id = index */
                CHECK(p[3] < ncpus && !seen_id[p[3]]);
                seen_id[p[3]] = true;
                lapics++;
                break;
            case 1:                                           /* I/O APIC */
                CHECK_EQ(e[i].len, 12);
                CHECK_EQ(p[2], 3);
                CHECK_EQ(acpi_reader_le(p + 4, 4), 0xFEC00000);
                CHECK_EQ(acpi_reader_le(p + 8, 4), 0);        /* GSI base */
                ioapics++;
                break;
            case 2:                                           /* Interrupt Source Override */
                CHECK_EQ(e[i].len, 10);
                CHECK_EQ(p[2], 0);                            /* ISA */
                if (p[3] == 0) {
                    CHECK_EQ(acpi_reader_le(p + 4, 4), 2);
                    CHECK_EQ(acpi_reader_le(p + 8, 2), 0x0005);   /* edge, active high */
                    iso0 = true;
                } else if (p[3] == 9) {
                    CHECK_EQ(acpi_reader_le(p + 4, 4), 9);
                    CHECK_EQ(acpi_reader_le(p + 8, 2), 0x000D);   /* level, active high */
                    iso_sci = true;
                } else {
                    CHECK(!"unexpected override");
                }
                break;
            case 4:                                           /* Local APIC NMI */
                CHECK_EQ(e[i].len, 6);
                CHECK_EQ(p[2], 0xFF);                         /* all processors */
                CHECK_EQ(p[5], 1);                            /* LINT1 */
                nmis++;
                break;
            default:
                CHECK(!"unexpected MADT entry type");
            }
        }
        CHECK_EQ(lapics, ncpus);
        CHECK_EQ(ioapics, 1);
        CHECK_EQ(nmis, 1);
        CHECK(iso0 && iso_sci);
    }
}

static void check_gas(const AcpiGas *g, uint8_t space, unsigned bytes, uint64_t addr)
{
    CHECK_EQ(g->space, space);
    CHECK_EQ(g->bit_width, bytes * 8);
    CHECK_EQ(g->bit_offset, 0);
    CHECK_EQ(g->addr, addr);
}

TEST_CASE(fadt_pm_blocks_and_reset)
{
    AcpiConfig cfg = pc_config(2);
    AcpiReader r;
    BUILD_OPEN(r, cfg, len);
    (void)len;
    AcpiFadt f;
    CHECK(acpi_reader_fadt(acpi_reader_find(&r, "FACP"), &f));
    /* FADT 5.0 is 268 bytes, 6.x is 276 (table 5.9) */
    CHECK((f.revision == 5 && f.length == 268) || (f.revision == 6 && f.length == 276));
    CHECK_EQ(f.sci_int, 9);
    CHECK_EQ(f.smi_cmd, 0);                 /* no SMI: hardware always in ACPI mode */
    CHECK_EQ(f.pm1a_evt, PM_BASE);
    CHECK_EQ(f.pm1a_cnt, PM_BASE + 4);
    CHECK_EQ(f.pm_tmr, PM_BASE + 8);
    CHECK_EQ(f.gpe0, PM_BASE + 0x20);
    CHECK_EQ(f.pm1b_evt | f.pm1b_cnt | f.pm2_cnt | f.gpe1, 0);
    CHECK_EQ(f.pm1_evt_len, 4);
    CHECK_EQ(f.pm1_cnt_len, 2);
    CHECK_EQ(f.pm_tmr_len, 4);
    CHECK_EQ(f.gpe0_len, 4);
    CHECK_EQ(f.gpe1_len, 0);
    check_gas(&f.x_pm1a_evt, 1, 4, PM_BASE);
    check_gas(&f.x_pm1a_cnt, 1, 2, PM_BASE + 4);
    check_gas(&f.x_pm_tmr, 1, 4, PM_BASE + 8);
    check_gas(&f.x_gpe0, 1, 4, PM_BASE + 0x20);
    CHECK_EQ(f.x_pm1b_evt.addr | f.x_pm1b_cnt.addr | f.x_pm2_cnt.addr | f.x_gpe1.addr, 0);
    /* the FADT's blocks are where the PM device puts its registers */
    CHECK_EQ(f.pm1a_evt - PM_BASE, ACPI_PM1_EVT_OFFSET);
    CHECK_EQ(f.pm1a_cnt - PM_BASE, ACPI_PM1_CNT_OFFSET);
    CHECK_EQ(f.pm_tmr - PM_BASE, ACPI_PM_TMR_OFFSET);
    CHECK_EQ(f.gpe0 - PM_BASE, ACPI_GPE0_OFFSET);

    CHECK_EQ(f.boot_arch & 3, 3);           /* LEGACY_DEVICES, 8042 */
    CHECK(f.flags & (1u << 0));             /* WBINVD */
    CHECK(f.flags & (1u << 2));             /* PROC_C1 */
    CHECK(!(f.flags & (1u << 4)));          /* fixed power button present */
    CHECK(f.flags & (1u << 5));             /* no sleep button */
    CHECK(!(f.flags & (1u << 8)));          /* TMR_VAL_EXT clear: 24-bit timer */
    CHECK(f.flags & (1u << 10));            /* RESET_REG_SUP */
    CHECK(!(f.flags & (1u << 20)));         /* not hardware-reduced */
    check_gas(&f.reset_reg, 1, 1, 0xCF9);
    CHECK_EQ(f.reset_value, 6);
    CHECK_EQ(f.century, 0x32);
    CHECK_EQ(f.dsdt, f.x_dsdt);
    /* X_FIRMWARE_CTRL must be 0 when FIRMWARE_CTRL is set (table 5.9) */
    CHECK(f.firmware_ctrl != 0 && f.x_firmware_ctrl == 0);

    cfg.reset_port = 0;
    uint64_t rsdp;
    len = acpi_build(image, sizeof(image), BASE, &cfg, &rsdp);
    CHECK(acpi_reader_open(&r, image, len, BASE, rsdp));
    CHECK(acpi_reader_fadt(acpi_reader_find(&r, "FACP"), &f));
    CHECK(!(f.flags & (1u << 10)));
}

TEST_CASE(hpet_table_optional)
{
    AcpiConfig cfg = pc_config(1);
    AcpiReader r;
    BUILD_OPEN(r, cfg, len);
    const AcpiReaderTable *h = acpi_reader_find(&r, "HPET");
    CHECK(h && h->len == 56);
    CHECK_EQ(acpi_reader_le(h->data + 36, 4), ACPI_HPET_DEFAULT_BLOCK_ID);
    CHECK_EQ(h->data[40], 0);                                /* system memory */
    CHECK_EQ(acpi_reader_le(h->data + 44, 8), 0xFED00000);

    cfg.hpet = false;
    uint64_t rsdp;
    len = acpi_build(image, sizeof(image), BASE, &cfg, &rsdp);
    CHECK(acpi_reader_open(&r, image, len, BASE, rsdp));
    CHECK(!acpi_reader_find(&r, "HPET"));
    CHECK_EQ(r.nxsdt, 2);
}

static bool parse_dsdt(AcpiReader *r, AmlNamespace *ns, const AcpiReaderTable **dsdt_out)
{
    static AcpiReaderTable dsdt;
    AcpiFadt f;
    if (!acpi_reader_fadt(acpi_reader_find(r, "FACP"), &f) ||
        !acpi_reader_table_at(r, f.x_dsdt, "DSDT", &dsdt))
        return false;
    *dsdt_out = &dsdt;
    return acpi_reader_aml_parse(dsdt.data + 36, dsdt.len - 36, ns);
}

static uint64_t int_elem(const AmlValue *pkg, unsigned i)
{
    AmlValue v;
    if (!acpi_reader_package_element(pkg, i, &v) || v.kind != AML_VALUE_INTEGER)
        return ~0ull;
    return v.integer;
}

TEST_CASE(dsdt_parses_with_s5_and_pci)
{
    for (size_t c = 0; c < sizeof(cpu_counts) / sizeof(cpu_counts[0]); c++) {
        AcpiConfig cfg = pc_config(cpu_counts[c]);
        AcpiReader r;
        BUILD_OPEN(r, cfg, len);
        (void)len;
        static AmlNamespace ns;
        const AcpiReaderTable *dsdt;
        if (!parse_dsdt(&r, &ns, &dsdt)) {
            printf("FAIL %s: DSDT: %s\n", test_case_name_, ns.error);
            test_case_failed_ = 1;
            return;
        }
        CHECK_EQ(dsdt->data[8], 2);         /* revision 2: 64-bit integers */
        CHECK_EQ(ns.top_level, 2);          /* \_S5 and \_SB */

        const AmlObject *s5 = acpi_reader_aml_find(&ns, "\\_S5_");
        CHECK(s5 && s5->value.kind == AML_VALUE_PACKAGE);
        CHECK(s5->value.parsed_elements >= 1);
        CHECK_EQ(s5->value.parsed_elements, s5->value.num_elements);
        CHECK_EQ(int_elem(&s5->value, 0), ACPI_PM_SLP_TYP_S5);

        const AmlObject *o = acpi_reader_aml_find(&ns, "\\_SB_.PCI0._HID");
        CHECK(o && o->value.kind == AML_VALUE_INTEGER && o->value.integer == 0x030AD041);
        o = acpi_reader_aml_find(&ns, "\\_SB_.PCI0._ADR");
        CHECK(o && o->value.integer == 0);
        o = acpi_reader_aml_find(&ns, "\\_SB_.PCI0._UID");
        CHECK(o && o->value.integer == 0);

        int cpus = 0;
        for (int i = 0; i < ns.n; i++) {
            const AmlObject *h = &ns.obj[i];
            size_t l = strlen(h->path);
            if (l > 5 && strcmp(h->path + l - 5, "._HID") == 0 &&
                h->value.kind == AML_VALUE_STRING && strcmp(h->value.string, "ACPI0007") == 0)
                cpus++;
        }
        CHECK_EQ(cpus, cpu_counts[c]);
    }
}

/* _PRT: slot s (1..31) pin p routes to PIRQ (s+p)&3, PIRQA..D = GSI
 * 10, 10, 11, 11; each slot/pin exactly once, hard-wired (Source 0). */
TEST_CASE(dsdt_prt_routing)
{
    static const unsigned gsi[4] = { 10, 10, 11, 11 };
    AcpiConfig cfg = pc_config(1);
    AcpiReader r;
    BUILD_OPEN(r, cfg, len);
    (void)len;
    static AmlNamespace ns;
    const AcpiReaderTable *dsdt;
    CHECK(parse_dsdt(&r, &ns, &dsdt));
    const AmlObject *prt = acpi_reader_aml_find(&ns, "\\_SB_.PCI0._PRT");
    CHECK(prt && prt->value.kind == AML_VALUE_PACKAGE);
    CHECK_EQ(prt->value.num_elements, 31 * 4);
    CHECK_EQ(prt->value.parsed_elements, 31 * 4);
    bool seen[32][4] = { { false } };
    for (unsigned i = 0; i < prt->value.parsed_elements; i++) {
        AmlValue e;
        CHECK(acpi_reader_package_element(&prt->value, i, &e));
        CHECK(e.kind == AML_VALUE_PACKAGE && e.num_elements == 4 && e.parsed_elements == 4);
        uint64_t addr = int_elem(&e, 0), pin = int_elem(&e, 1);
        CHECK_EQ(addr & 0xFFFF, 0xFFFF);                    /* any function */
        unsigned slot = (unsigned)(addr >> 16);
        CHECK(slot >= 1 && slot <= 31 && pin <= 3);
        CHECK(!seen[slot][pin]);
        seen[slot][pin] = true;
        CHECK_EQ(int_elem(&e, 2), 0);
        CHECK_EQ(int_elem(&e, 3), gsi[(slot + pin) & 3]);
    }
}

static int crs_of(const AmlNamespace *ns, const char *dev, AcpiResource *res, int max)
{
    char path[ACPI_READER_PATH_LEN], err[ACPI_READER_ERR_LEN];
    snprintf(path, sizeof(path), "%s._CRS", dev);
    const AmlObject *o = acpi_reader_aml_find(ns, path);
    if (!o)
        return -1;
    int n = acpi_reader_resources(&o->value, res, max, err, sizeof(err));
    if (n < 0)
        printf("  %s: %s\n", path, err);
    return n;
}

static uint64_t hid_of(const AmlNamespace *ns, const char *dev)
{
    char path[ACPI_READER_PATH_LEN];
    snprintf(path, sizeof(path), "%s._HID", dev);
    const AmlObject *o = acpi_reader_aml_find(ns, path);
    return o && o->value.kind == AML_VALUE_INTEGER ? o->value.integer : 0;
}

TEST_CASE(dsdt_isa_devices)
{
    AcpiConfig cfg = pc_config(2);
    AcpiReader r;
    BUILD_OPEN(r, cfg, len);
    (void)len;
    static AmlNamespace ns;
    const AcpiReaderTable *dsdt;
    CHECK(parse_dsdt(&r, &ns, &dsdt));
    AcpiResource res[8];
    const char *isa = "\\_SB_.PCI0.ISA_";
    char dev[64];

    snprintf(dev, sizeof(dev), "%s.KBD_", isa);
    CHECK_EQ(hid_of(&ns, dev), 0x0303D041);               /* PNP0303 */
    CHECK_EQ(crs_of(&ns, dev, res, 8), 3);
    CHECK(res[0].tag == 8 && res[0].io_min == 0x60 && res[0].io_max == 0x60 && res[0].io_len == 1);
    CHECK(res[1].tag == 8 && res[1].io_min == 0x64 && res[1].io_len == 1);
    CHECK(res[2].tag == 4 && res[2].irq_mask == (1u << 1));

    snprintf(dev, sizeof(dev), "%s.MOU_", isa);
    CHECK_EQ(hid_of(&ns, dev), 0x130FD041);               /* PNP0F13 */
    CHECK_EQ(crs_of(&ns, dev, res, 8), 1);
    CHECK(res[0].tag == 4 && res[0].irq_mask == (1u << 12));

    snprintf(dev, sizeof(dev), "%s.COM1", isa);
    CHECK_EQ(hid_of(&ns, dev), 0x0105D041);               /* PNP0501 */
    CHECK_EQ(crs_of(&ns, dev, res, 8), 2);
    CHECK(res[0].tag == 8 && res[0].io_min == 0x3F8 && res[0].io_len == 8);
    CHECK(res[1].tag == 4 && res[1].irq_mask == (1u << 4));

    snprintf(dev, sizeof(dev), "%s.RTC_", isa);
    CHECK_EQ(hid_of(&ns, dev), 0x000BD041);               /* PNP0B00 */
    CHECK_EQ(crs_of(&ns, dev, res, 8), 2);
    CHECK(res[0].tag == 8 && res[0].io_min == 0x70 && res[0].io_len == 2);
    CHECK(res[1].tag == 4 && res[1].irq_mask == (1u << 8));

    CHECK_EQ(hid_of(&ns, "\\_SB_.HPET"), 0x0301D041);     /* PNP0103 */
    CHECK_EQ(crs_of(&ns, "\\_SB_.HPET", res, 8), 1);
    CHECK(res[0].tag == 0x86 && res[0].mem_base == 0xFED00000);

    /* Root bridge windows cover the PCI hole handed in. */
    int n = crs_of(&ns, "\\_SB_.PCI0", res, 8);
    CHECK(n >= 2);
    bool hole = false;
    for (int i = 0; i < n && i < 8; i++) {
        if (res[i].tag == 0x87 && res[i].addr_min == 0xC0000000 &&
            res[i].addr_max == 0xFEBFFFFF && res[i].addr_len == 0x3EC00000)
            hole = true;
    }
    CHECK(hole);
}

/* Too-small buffers return 0 and write nothing past buf_size; each size
 * gets an exact-size heap block so ASan catches any overflow. */
TEST_CASE(buffer_too_small)
{
    AcpiConfig cfg = pc_config(8);
    uint64_t rsdp;
    size_t need = acpi_build(image, sizeof(image), BASE, &cfg, &rsdp);
    CHECK(need > 0);
    for (size_t size = 0; size < need; size++) {
        uint8_t *b = malloc(size + 1);
        CHECK(b);
        uint64_t out = 0x1234;
        size_t got = acpi_build(b, size, BASE, &cfg, &out);
        free(b);
        CHECK_EQ(got, 0);
        CHECK_EQ(out, 0x1234);
    }
    uint8_t *b = malloc(need);
    CHECK(b);
    size_t got = acpi_build(b, need, BASE, &cfg, &rsdp);
    free(b);
    CHECK_EQ(got, need);
}

TEST_CASE(bad_config_rejected)
{
    uint64_t rsdp;
    AcpiConfig cfg = pc_config(0);
    CHECK_EQ(acpi_build(image, sizeof(image), BASE, &cfg, &rsdp), 0);
    cfg = pc_config(ACPI_MAX_CPUS + 1);
    CHECK_EQ(acpi_build(image, sizeof(image), BASE, &cfg, &rsdp), 0);
    cfg = pc_config(1);
    cfg.sci_irq = 2;                 /* IRQ0's GSI */
    CHECK_EQ(acpi_build(image, sizeof(image), BASE, &cfg, &rsdp), 0);
    cfg.sci_irq = 16;
    CHECK_EQ(acpi_build(image, sizeof(image), BASE, &cfg, &rsdp), 0);
    cfg = pc_config(1);
    CHECK_EQ(acpi_build(image, sizeof(image), 0xFFFFF800ull, &cfg, &rsdp), 0);  /* crosses 4G */
    CHECK_EQ(acpi_build(NULL, 100, BASE, &cfg, &rsdp), 0);
}

/* --- iasl cross-check -------------------------------------------------- */

static int run(const char *cmd, char *out, size_t outlen)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static bool mentions_problem(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (strncasecmp(p, "error", 5) == 0 || strncasecmp(p, "warning", 7) == 0)
            return true;
    }
    return false;
}

TEST_CASE(iasl_disassembles_tables)
{
    static char out[1 << 16];
    if (run("command -v iasl >/dev/null 2>&1", out, sizeof(out)) != 0)
        SKIP("iasl not installed (Debian package acpica-tools)");

    AcpiConfig cfg = pc_config(8);
    AcpiReader r;
    BUILD_OPEN(r, cfg, len);
    (void)len;
    AcpiFadt f;
    CHECK(acpi_reader_fadt(acpi_reader_find(&r, "FACP"), &f));
    AcpiReaderTable dsdt;
    CHECK(acpi_reader_table_at(&r, f.x_dsdt, "DSDT", &dsdt));
    const AcpiReaderTable *tabs[] = { &dsdt, acpi_reader_find(&r, "FACP"),
                                      acpi_reader_find(&r, "APIC"), acpi_reader_find(&r, "HPET") };

    char dir[] = "/tmp/mimic-acpi-XXXXXX";
    CHECK(mkdtemp(dir));
    bool ok = true;
    for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]) && ok; i++) {
        char path[128], cmd[512];
        snprintf(path, sizeof(path), "%s/%s.dat", dir, tabs[i]->sig);
        ok = write_file(path, tabs[i]->data, tabs[i]->len);
        snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat 2>&1", dir, tabs[i]->sig);
        int rc = run(cmd, out, sizeof(out));
        if (ok && (rc != 0 || mentions_problem(out))) {
            printf("FAIL %s: iasl -d %s (rc %d):\n%s\n", test_case_name_, tabs[i]->sig, rc, out);
            ok = false;
        }
    }
    if (ok) {
        /* The disassembled DSDT must compile back (0 errors). */
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "cd %s && iasl -p recompiled DSDT.dsl 2>&1", dir);
        int rc = run(cmd, out, sizeof(out));
        if (rc != 0 || !strstr(out, " 0 Errors")) {
            printf("FAIL %s: iasl recompile (rc %d):\n%s\n", test_case_name_, rc, out);
            ok = false;
        }
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    run(cmd, out, sizeof(out));
    if (!ok) {
        test_case_failed_ = 1;
        return;
    }
}

int main(void)
{
    RUN(all_tables_reachable_and_checksummed);
    RUN(rsdp_and_facs_alignment);
    RUN(madt_lists_cpus_ioapic_overrides);
    RUN(fadt_pm_blocks_and_reset);
    RUN(hpet_table_optional);
    RUN(dsdt_parses_with_s5_and_pci);
    RUN(dsdt_prt_routing);
    RUN(dsdt_isa_devices);
    RUN(buffer_too_small);
    RUN(bad_config_rejected);
    RUN(iasl_disassembles_tables);
    TEST_EXIT();
}
