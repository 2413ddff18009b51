/* acpi: finds the RSDP (16-byte scan of 0xE0000-0xFFFFF), validates RSDP,
 * XSDT/RSDT and every table's checksum, finds FACP, APIC (MADT) and the DSDT,
 * lists the local APICs, then powers off the machine the ACPI way: SLP_TYPa
 * from the DSDT's \_S5 package, SLP_TYP<<10 | SLP_EN to PM1a_CNT.  Success is
 * the emulator exiting with status 0; still running afterwards is a FAIL.
 * Reference: ACPI 6.5 sections 5.2 (tables), 4.8.3.2 (PM1 control),
 * 7.4.2 (\_Sx objects), 20.2 (AML encoding). */
#include "runtime.h"

#define FADT_DSDT 40
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT 172
#define FADT_X_PM1B_CNT 184
#define GAS_ADDRESS 4
#define GAS_SPACE_IO 1
#define PM1_SCI_EN 0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN (1u << 13)
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_PACKAGE 0x12
#define POWEROFF_WAIT_MS 2000

static uint32_t rd32(const void *base, uint32_t off)
{
    uint32_t v;
    memcpy(&v, (const uint8_t *)base + off, 4);
    return v;
}

static uint64_t rd64(const void *base, uint32_t off)
{
    uint64_t v;
    memcpy(&v, (const uint8_t *)base + off, 8);
    return v;
}

static void check_table(const AcpiHeader *h, const char *what)
{
    printf("  %.4s @0x%08x len=%u rev=%u oem=%.6s/%.8s\n", h->signature, (unsigned)(uint32_t)h,
           (unsigned)h->length, h->revision, h->oem_id, h->oem_table_id);
    if (h->length < sizeof(AcpiHeader) || h->length > (16u << 20))
        test_fail("%s %.4s has bad length %u", what, h->signature, (unsigned)h->length);
    if (acpi_sum(h, h->length) != 0)
        test_fail("%s %.4s checksum wrong (sum 0x%02x)", what, h->signature, acpi_sum(h, h->length));
}

/* PM1x_CNT port: the 32-bit field, or the X_ GAS when that is zero. */
static uint32_t fadt_pm1_cnt(const AcpiHeader *fadt, uint32_t off32, uint32_t off_gas)
{
    uint32_t port = rd32(fadt, off32);
    if (port == 0 && fadt->length >= off_gas + 12) {
        const uint8_t *gas = (const uint8_t *)fadt + off_gas;
        uint64_t a = rd64(gas, GAS_ADDRESS);
        if (gas[0] == GAS_SPACE_IO && a < 0x10000)
            port = (uint32_t)a;
    }
    return port;
}

/* One element of a Package: ZeroOp, OneOp or BytePrefix n.  -1 otherwise. */
static int aml_small_int(const uint8_t *p, const uint8_t *end, int *used)
{
    if (p >= end)
        return -1;
    if (*p == AML_ZERO || *p == AML_ONE) {
        *used = 1;
        return *p;
    }
    if (*p == AML_BYTE_PREFIX && p + 1 < end) {
        *used = 2;
        return p[1];
    }
    return -1;
}

/* Finds NameOp [\] "_S5_" PackageOp PkgLength NumElements and returns the
 * first two elements (SLP_TYPa, SLP_TYPb). */
static bool find_s5(const AcpiHeader *dsdt, int *typ_a, int *typ_b)
{
    const uint8_t *body = (const uint8_t *)dsdt + sizeof(AcpiHeader);
    const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;
    for (const uint8_t *p = body; p + 4 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0)
            continue;
        printf("found \"_S5_\" at DSDT offset %u\n", (unsigned)(p - (const uint8_t *)dsdt));
        bool named = (p - 1 >= body && p[-1] == AML_NAME) ||
                     (p - 2 >= body && p[-1] == '\\' && p[-2] == AML_NAME);
        const uint8_t *q = p + 4;
        if (!named || q >= end || *q != AML_PACKAGE) {
            printf("  not a Name(_S5_, Package(...)), looking further\n");
            continue;
        }
        q++;
        unsigned extra = (q < end) ? (*q >> 6) : 0;   /* PkgLength follow bytes */
        q += 1 + extra;
        if (q >= end)
            return false;
        unsigned count = *q++;
        int used = 0;
        *typ_a = aml_small_int(q, end, &used);
        *typ_b = count >= 2 ? aml_small_int(q + used, end, &used) : -1;
        printf("  Package with %u elements, SLP_TYPa=%d SLP_TYPb=%d\n", count, *typ_a, *typ_b);
        return *typ_a >= 0;
    }
    return false;
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
    tsc_calibrate();

    const AcpiRsdp *rsdp = acpi_find_rsdp();
    if (!rsdp)
        test_fail("no RSDP in 0xE0000-0xFFFFF or the EBDA");
    printf("RSDP @0x%08x rev=%u oem=%.6s rsdt=0x%08x\n", (unsigned)(uint32_t)rsdp, rsdp->revision,
           rsdp->oem_id, (unsigned)rsdp->rsdt_address);
    if (rsdp->revision >= 2) {
        printf("  xsdt=0x%llx length=%u\n", (unsigned long long)rsdp->xsdt_address, (unsigned)rsdp->length);
        if (rsdp->length < sizeof(AcpiRsdp) || rsdp->length > 4096)
            test_fail("RSDP length %u", (unsigned)rsdp->length);
        if (acpi_sum(rsdp, rsdp->length) != 0)
            test_fail("RSDP extended checksum wrong");
    }

    const AcpiHeader *root;
    uint64_t addrs[ACPI_MAX_TABLES];
    int n = acpi_root_tables(rsdp, addrs, ACPI_MAX_TABLES, &root);
    if (n < 0)
        test_fail("root table at 0x%08x is not a valid RSDT/XSDT", (unsigned)(uint32_t)root);
    printf("%.4s with %d entries:\n", root->signature, n);
    check_table(root, "root");
    const AcpiHeader *fadt = NULL, *madt = NULL;
    for (int i = 0; i < n; i++) {
        if (addrs[i] >= 0x100000000ull) {
            printf("  (table above 4 GiB at 0x%llx skipped)\n", (unsigned long long)addrs[i]);
            continue;
        }
        const AcpiHeader *h = (const AcpiHeader *)(uint32_t)addrs[i];
        check_table(h, "table");
        if (memcmp(h->signature, "FACP", 4) == 0)
            fadt = h;
        else if (memcmp(h->signature, "APIC", 4) == 0)
            madt = h;
    }
    if (!fadt)
        test_fail("no FACP (FADT)");
    if (!madt)
        test_fail("no APIC (MADT)");

    uint64_t dsdt_addr = rd32(fadt, FADT_DSDT);
    if (fadt->length >= FADT_X_DSDT + 8 && rd64(fadt, FADT_X_DSDT) != 0)
        dsdt_addr = rd64(fadt, FADT_X_DSDT);
    if (dsdt_addr == 0 || dsdt_addr >= 0x100000000ull)
        test_fail("FADT has no usable DSDT address (0x%llx)", (unsigned long long)dsdt_addr);
    const AcpiHeader *dsdt = (const AcpiHeader *)(uint32_t)dsdt_addr;
    printf("DSDT via FADT:\n");
    if (memcmp(dsdt->signature, "DSDT", 4) != 0)
        test_fail("FADT DSDT pointer 0x%08x has signature %.4s", (unsigned)(uint32_t)dsdt, dsdt->signature);
    check_table(dsdt, "DSDT");

    MadtInfo info;
    if (!madt_parse(madt, &info, true))
        test_fail("MADT malformed");
    printf("MADT: local APIC address 0x%08x, %d processor entries (%d enabled), %d IOAPIC(s)\n",
           (unsigned)info.lapic_address, info.cpu_count, info.enabled_count, info.ioapic_count);
    if (info.enabled_count < 1)
        test_fail("MADT lists no enabled processor");

    int typ_a = -1, typ_b = -1;
    if (!find_s5(dsdt, &typ_a, &typ_b))
        test_fail("no parsable Name(_S5_, Package) in the DSDT");
    uint32_t pm1a = fadt_pm1_cnt(fadt, FADT_PM1A_CNT, FADT_X_PM1A_CNT);
    uint32_t pm1b = fadt_pm1_cnt(fadt, FADT_PM1B_CNT, FADT_X_PM1B_CNT);
    if (pm1a == 0 || pm1a > 0xffff)
        test_fail("FADT has no PM1a_CNT_BLK I/O port (0x%x)", (unsigned)pm1a);
    uint16_t cnt = inw((uint16_t)pm1a);
    printf("PM1a_CNT=0x%04x (value 0x%04x, SCI_EN=%u) PM1b_CNT=0x%04x\n", (unsigned)pm1a, cnt,
           cnt & PM1_SCI_EN, (unsigned)pm1b);
    printf("powering off: SLP_TYP=%d | SLP_EN\n", typ_a);

    uint16_t base = cnt & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN);
    if (pm1b && typ_b >= 0) {
        uint16_t b = inw((uint16_t)pm1b) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN);
        outw((uint16_t)pm1b, b | (uint16_t)((typ_b & 7) << PM1_SLP_TYP_SHIFT));
        outw((uint16_t)pm1b, b | (uint16_t)((typ_b & 7) << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
    }
    outw((uint16_t)pm1a, base | (uint16_t)((typ_a & 7) << PM1_SLP_TYP_SHIFT));
    outw((uint16_t)pm1a, base | (uint16_t)((typ_a & 7) << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
    delay_ms(POWEROFF_WAIT_MS);
    test_fail("poweroff");
}
