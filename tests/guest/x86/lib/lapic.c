/* Local APIC in xAPIC (MMIO) mode: register access, ID, IPIs through the
 * ICR.  Reference: Intel SDM vol. 3A 11.4 (IA32_APIC_BASE), 11.6 (ICR,
 * delivery status bit 12).  x2APIC mode is not used. */
#include "runtime.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1u << 11)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_WAIT_US 100000u         /* delivery should take microseconds */

static uint32_t lapic_mmio = LAPIC_DEFAULT_BASE;

void lapic_init(uint32_t base)
{
    uint64_t msr = rdmsr(MSR_APIC_BASE);
    if (!base)
        base = (uint32_t)msr & 0xfffff000u;
    if (!(msr & APIC_BASE_ENABLE))
        wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);
    lapic_mmio = base;
    /* Software-enable with spurious vector 0xff. */
    lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x1ff);
}

uint32_t lapic_base(void)
{
    return lapic_mmio;
}

uint32_t lapic_read(uint32_t reg)
{
    return mmio_read32(lapic_mmio + reg);
}

void lapic_write(uint32_t reg, uint32_t value)
{
    mmio_write32(lapic_mmio + reg, value);
}

uint32_t lapic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

bool lapic_send_ipi(uint32_t dest_apic_id, uint32_t icr_low)
{
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_ICR_HIGH, dest_apic_id << 24);
    lapic_write(LAPIC_ICR_LOW, icr_low);
    if (!tsc_khz())
        tsc_calibrate();
    uint64_t start = rdtsc();
    uint64_t limit = (uint64_t)ICR_WAIT_US * tsc_khz() / 1000;
    while (lapic_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING)
        if (rdtsc() - start > limit)
            return false;
    return true;
}
