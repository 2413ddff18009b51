/* ACPI table discovery for the tests: RSDP scan, RSDT/XSDT walk, checksums
 * and the MADT (APIC) entry list.  Reference: ACPI 6.5 sections 5.2.5
 * (RSDP), 5.2.7-8 (RSDT/XSDT), 5.2.12 (MADT).  Paging is off, so tables above
 * 4 GiB are reported and skipped. */
#include "runtime.h"

#define RSDP_V1_LENGTH 20
#define BIOS_AREA_START 0xe0000u
#define BIOS_AREA_END 0x100000u
#define EBDA_SEGMENT_PTR 0x40e
#define EBDA_SCAN_BYTES 1024
#define TABLE_MAX_LENGTH (16u << 20)  /* sanity bound for a table's length */

uint8_t acpi_sum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    while (len--)
        s += *b++;
    return s;
}

static const AcpiRsdp *rsdp_scan(uint32_t start, uint32_t end)
{
    for (uint32_t a = start; a + RSDP_V1_LENGTH <= end; a += 16) {
        const AcpiRsdp *r = (const AcpiRsdp *)a;
        if (memcmp(r->signature, "RSD PTR ", 8) == 0 && acpi_sum(r, RSDP_V1_LENGTH) == 0)
            return r;
    }
    return NULL;
}

const AcpiRsdp *acpi_find_rsdp(void)
{
    const AcpiRsdp *r = rsdp_scan(BIOS_AREA_START, BIOS_AREA_END);
    if (r)
        return r;
    uint32_t ebda = (uint32_t)phys_read16(EBDA_SEGMENT_PTR) << 4;
    if (ebda >= 0x80000 && ebda < 0xa0000)
        return rsdp_scan(ebda, ebda + EBDA_SCAN_BYTES);
    return NULL;
}

int acpi_root_tables(const AcpiRsdp *rsdp, uint64_t *addrs, int max, const AcpiHeader **root)
{
    bool use_xsdt = rsdp->revision >= 2 && rsdp->xsdt_address != 0 &&
                    rsdp->xsdt_address < 0x100000000ull;
    const AcpiHeader *h = use_xsdt ? (const AcpiHeader *)(uint32_t)rsdp->xsdt_address
                                   : (const AcpiHeader *)rsdp->rsdt_address;
    if (root)
        *root = h;
    if (!h || h->length < sizeof(AcpiHeader) || h->length > TABLE_MAX_LENGTH)
        return -1;
    if (memcmp(h->signature, use_xsdt ? "XSDT" : "RSDT", 4) != 0)
        return -1;
    unsigned entry = use_xsdt ? 8 : 4;
    int n = (int)((h->length - sizeof(AcpiHeader)) / entry);
    const uint8_t *p = (const uint8_t *)h + sizeof(AcpiHeader);
    int count = 0;
    for (int i = 0; i < n && count < max; i++) {
        uint64_t a;
        if (use_xsdt)
            memcpy(&a, p + i * 8, 8);
        else {
            uint32_t a32;
            memcpy(&a32, p + i * 4, 4);
            a = a32;
        }
        addrs[count++] = a;
    }
    return count;
}

const AcpiHeader *acpi_find_table(const AcpiRsdp *rsdp, const char sig[4])
{
    uint64_t addrs[ACPI_MAX_TABLES];
    int n = acpi_root_tables(rsdp, addrs, ACPI_MAX_TABLES, NULL);
    for (int i = 0; i < n; i++) {
        if (addrs[i] == 0 || addrs[i] >= 0x100000000ull)
            continue;
        const AcpiHeader *h = (const AcpiHeader *)(uint32_t)addrs[i];
        if (memcmp(h->signature, sig, 4) == 0)
            return h;
    }
    return NULL;
}

bool madt_parse(const AcpiHeader *madt, MadtInfo *info, bool verbose)
{
    const uint8_t *base = (const uint8_t *)madt;
    uint32_t len = madt->length;

    memset(info, 0, sizeof(*info));
    if (len < sizeof(AcpiHeader) + 8 || len > TABLE_MAX_LENGTH)
        return false;
    memcpy(&info->lapic_address, base + 36, 4);
    for (uint32_t off = 44; off + 2 <= len;) {
        uint8_t type = base[off], elen = base[off + 1];
        if (elen < 2 || off + elen > len) {
            printf("MADT: bad entry length %u at offset %u\n", elen, (unsigned)off);
            return false;
        }
        const uint8_t *e = base + off;
        uint32_t id = 0, flags = 0;
        bool is_cpu = false;
        if (type == 0 && elen >= 8) {
            id = e[3];
            memcpy(&flags, e + 4, 4);
            is_cpu = true;
            if (verbose)
                printf("MADT: LAPIC uid=%u apic_id=%u flags=0x%x\n", e[2], e[3], (unsigned)flags);
        } else if (type == 9 && elen >= 16) {
            memcpy(&id, e + 4, 4);
            memcpy(&flags, e + 8, 4);
            is_cpu = true;
            if (verbose)
                printf("MADT: x2APIC apic_id=%u flags=0x%x\n", (unsigned)id, (unsigned)flags);
        } else if (type == 1 && elen >= 12) {
            uint32_t addr, gsi;
            memcpy(&addr, e + 4, 4);
            memcpy(&gsi, e + 8, 4);
            info->ioapic_count++;
            if (verbose)
                printf("MADT: IOAPIC id=%u addr=0x%08x gsi_base=%u\n", e[2], (unsigned)addr, (unsigned)gsi);
        } else if (type == 2 && elen >= 10) {
            uint32_t gsi;
            memcpy(&gsi, e + 4, 4);
            if (verbose)
                printf("MADT: override bus=%u irq=%u gsi=%u\n", e[2], e[3], (unsigned)gsi);
        } else if (type == 5 && elen >= 12) {
            uint64_t a;
            memcpy(&a, e + 4, 8);
            if (a < 0x100000000ull)
                info->lapic_address = (uint32_t)a;
        } else if (verbose) {
            printf("MADT: entry type %u length %u\n", type, elen);
        }
        if (is_cpu) {
            /* Bit 0: enabled; bit 1 (online capable) means hot-pluggable,
             * not present now, so it does not count. */
            if (info->cpu_count >= MADT_MAX_CPUS) {
                printf("MADT: more than %d CPUs, ignoring the rest\n", MADT_MAX_CPUS);
            } else {
                info->apic_id[info->cpu_count] = id;
                info->enabled[info->cpu_count] = flags & 1;
                info->cpu_count++;
                if (flags & 1)
                    info->enabled_count++;
            }
        }
        off += elen;
    }
    return true;
}
