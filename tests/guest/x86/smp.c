/* smp: starts every application processor listed in the MADT with the
 * INIT-SIPI-SIPI sequence through the xAPIC ICR and checks that each one
 * reached protected mode (smp_ap.S increments a counter).  Prints
 * "CPUS: N" (BSP + started APs).  Passes with no APs too (-smp 1).
 * Reference: Intel SDM vol. 3A 9.4.4 (INIT-SIPI-SIPI), 11.6.1 (ICR). */
#include "runtime.h"

#define TRAMPOLINE_ADDR 0x8000u
#define SIPI_VECTOR (TRAMPOLINE_ADDR >> 12)
#define ICR_INIT 0x00000500u
#define ICR_STARTUP 0x00000600u
#define ICR_LEVEL_ASSERT 0x00004000u
#define ICR_TRIGGER_LEVEL 0x00008000u
#define INIT_DELAY_US 10000u
#define SIPI_DELAY_US 200u
#define AP_WAIT_MS 2000u            /* per AP; slow emulators need time */
#define AP_MAX 64

extern const uint8_t ap_trampoline_start[], ap_trampoline_end[], ap_gdtr[];
extern const uint8_t gdt_descriptor[6];
extern volatile uint32_t ap_lapic_base, ap_count, ap_ids[AP_MAX];

static bool wait_for_count(uint32_t want, uint32_t timeout_ms)
{
    uint64_t start = rdtsc();
    uint64_t limit = (uint64_t)timeout_ms * tsc_khz();
    while (ap_count < want)
        if (rdtsc() - start > limit)
            return false;
    return true;
}

static bool start_ap(uint32_t apic_id, uint32_t expected_count)
{
    if (!lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL))
        printf("  INIT assert to %u stuck pending\n", (unsigned)apic_id);
    delay_us(INIT_DELAY_US);
    lapic_send_ipi(apic_id, ICR_INIT | ICR_TRIGGER_LEVEL);  /* de-assert */
    for (int i = 0; i < 2; i++) {
        if (!lapic_send_ipi(apic_id, ICR_STARTUP | SIPI_VECTOR))
            printf("  SIPI %d to %u stuck pending\n", i + 1, (unsigned)apic_id);
        delay_us(SIPI_DELAY_US);
    }
    uint32_t esr = lapic_read(LAPIC_ESR);
    if (esr)
        printf("  APIC ESR=0x%x after SIPIs to %u\n", (unsigned)esr, (unsigned)apic_id);
    return wait_for_count(expected_count, AP_WAIT_MS);
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    printf("TSC: %u kHz\n", (unsigned)tsc_calibrate());

    const AcpiRsdp *rsdp = acpi_find_rsdp();
    if (!rsdp)
        test_fail("no RSDP");
    const AcpiHeader *madt = acpi_find_table(rsdp, "APIC");
    if (!madt)
        test_fail("no MADT");
    if (acpi_sum(madt, madt->length) != 0)
        test_fail("MADT checksum wrong");
    MadtInfo info;
    if (!madt_parse(madt, &info, false))
        test_fail("MADT malformed");

    lapic_init(info.lapic_address);
    uint32_t bsp = lapic_id();
    printf("BSP APIC ID %u, LAPIC at 0x%08x (version 0x%x), MADT lists %d CPU(s), %d enabled\n",
           (unsigned)bsp, (unsigned)lapic_base(), (unsigned)lapic_read(LAPIC_VERSION),
           info.cpu_count, info.enabled_count);
    bool bsp_listed = false;
    for (int i = 0; i < info.cpu_count; i++)
        if (info.enabled[i] && info.apic_id[i] == bsp)
            bsp_listed = true;
    if (!bsp_listed)
        test_fail("BSP APIC ID %u not among the enabled MADT entries", (unsigned)bsp);

    /* The trampoline must not overwrite the Multiboot data we may still read. */
    uint32_t tlen = (uint32_t)(ap_trampoline_end - ap_trampoline_start);
    if (tlen > 0x1000)
        test_fail("trampoline too big (%u bytes)", (unsigned)tlen);
    if (mbi->mmap_addr < TRAMPOLINE_ADDR + tlen && mbi->mmap_addr + mbi->mmap_length > TRAMPOLINE_ADDR)
        printf("note: trampoline overlaps the multiboot memory map (not used here)\n");
    memcpy((void *)TRAMPOLINE_ADDR, ap_trampoline_start, tlen);
    memcpy((uint8_t *)TRAMPOLINE_ADDR + (ap_gdtr - ap_trampoline_start), gdt_descriptor, 6);
    ap_lapic_base = lapic_base();

    int aps = 0, started = 0;
    for (int i = 0; i < info.cpu_count; i++) {
        if (!info.enabled[i] || info.apic_id[i] == bsp)
            continue;
        if (info.apic_id[i] > 0xff) {
            printf("AP APIC ID %u needs x2APIC, skipped\n", (unsigned)info.apic_id[i]);
            continue;
        }
        aps++;
        uint64_t t0 = rdtsc();
        bool ok = start_ap(info.apic_id[i], (uint32_t)started + 1);
        uint32_t us = (uint32_t)tsc_to_us(rdtsc() - t0);
        printf("AP APIC ID %u: %s after %u us\n", (unsigned)info.apic_id[i],
               ok ? "started" : "did not start", (unsigned)us);
        if (ok)
            started++;
    }
    uint32_t count = ap_count;
    for (uint32_t i = 0; i < count && i < AP_MAX; i++)
        printf("AP %u reported APIC ID %u\n", (unsigned)i, (unsigned)ap_ids[i]);
    printf("CPUS: %u\n", (unsigned)(1 + count));
    if ((int)count != aps)
        test_fail("%u of %d APs came up", (unsigned)count, aps);
    test_pass();
}
