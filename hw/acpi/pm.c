/*
 * ACPI fixed-hardware PM registers (ACPI 6.4 section 4.8.3): PM1a status/
 * enable/control, the 24-bit 3.579545 MHz PM timer and a 16-event GPE0
 * block. The platform is always in ACPI mode (FADT SMI_CMD = 0), so
 * SCI_EN reads 1. Only S5 (soft-off) is implemented; other sleep types,
 * the global lock SMI (GBL_RLS), bus master status and PM1b are left out.
 */
#include <stdlib.h>

#include "hw/acpi/pm.h"
#include "mimic/log.h"
#include "mimic/timer.h"

/* PM1_EN bits that are stored; only TMR and PWRBTN have event sources. */
#define PM1_EN_WRITABLE (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | \
                         ACPI_PM1_RTC)
#define PM1_STS_EVENTS  (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | \
                         ACPI_PM1_RTC)
#define PM1_CNT_STORED  (ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP_MASK)
#define PM_TMR_MASK     0xFFFFFFu
/* TMR_STS is set whenever bit 23 of the counter changes (section 4.8.3.3). */
#define PM_TMR_STS_SHIFT 23
#define GPE0_EVENTS     16

struct AcpiPm {
    MemoryRegion *mr;
    IrqLine *sci;
    void (*poweroff)(void *opaque);
    void *opaque;
    Timer *timer;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe_sts, gpe_en;
    uint64_t tmr_seen;   /* tick count up to which TMR_STS is accounted for */
    int sci_level;
};

/* Ticks of the 3.579545 MHz clock since virtual time 0, split so that
 * neither product overflows 64 bits. */
static uint64_t pm_ticks(void)
{
    int64_t ns = clock_virtual_ns();
    if (ns < 0)
        ns = 0;
    return (uint64_t)(ns / NS_PER_SEC) * ACPI_PM_TIMER_HZ +
           (uint64_t)(ns % NS_PER_SEC) * ACPI_PM_TIMER_HZ / NS_PER_SEC;
}

/* First virtual ns at which the tick count reaches `ticks`. */
static int64_t pm_ticks_to_ns(uint64_t ticks)
{
    return (int64_t)((ticks / ACPI_PM_TIMER_HZ) * NS_PER_SEC +
                     ((ticks % ACPI_PM_TIMER_HZ) * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) /
                         ACPI_PM_TIMER_HZ);
}

static void pm_update_sci(AcpiPm *pm)
{
    int level = (pm->pm1_sts & pm->pm1_en & PM1_STS_EVENTS) != 0 ||
                (pm->gpe_sts & pm->gpe_en) != 0;
    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_set(pm->sci, level);
    }
}

/* Lazily catch TMR_STS up with the counter. */
static void pm_update_tmr_sts(AcpiPm *pm, uint64_t now)
{
    if ((now >> PM_TMR_STS_SHIFT) != (pm->tmr_seen >> PM_TMR_STS_SHIFT))
        pm->pm1_sts |= ACPI_PM1_TMR;
    pm->tmr_seen = now;
}

/* A timer only runs while the guest wants the timer's SCI. */
static void pm_arm_timer(AcpiPm *pm, uint64_t now)
{
    if (pm->pm1_en & ACPI_PM1_TMR) {
        uint64_t next = ((now >> PM_TMR_STS_SHIFT) + 1) << PM_TMR_STS_SHIFT;
        timer_mod(pm->timer, pm_ticks_to_ns(next));
    } else {
        timer_del(pm->timer);
    }
}

static void pm_timer_cb(void *opaque)
{
    AcpiPm *pm = opaque;
    uint64_t now = pm_ticks();
    pm_update_tmr_sts(pm, now);
    pm_update_sci(pm);
    pm_arm_timer(pm, now);
}

static void pm_sleep(AcpiPm *pm, unsigned slp_typ)
{
    if (slp_typ == ACPI_PM_SLP_TYP_S5) {
        if (pm->poweroff)
            pm->poweroff(pm->opaque);
        return;
    }
    log_unimp("acpi-pm: sleep type %u not supported (only S5 = %u), ignored\n", slp_typ,
              ACPI_PM_SLP_TYP_S5);
}

static uint8_t pm_read_byte(AcpiPm *pm, uint64_t off, uint32_t tmr)
{
    switch (off) {
    case ACPI_PM1_EVT_OFFSET:
    case ACPI_PM1_EVT_OFFSET + 1:
        return (uint8_t)(pm->pm1_sts >> (8 * (off & 1)));
    case ACPI_PM1_EVT_OFFSET + 2:
    case ACPI_PM1_EVT_OFFSET + 3:
        return (uint8_t)(pm->pm1_en >> (8 * (off & 1)));
    case ACPI_PM1_CNT_OFFSET:
    case ACPI_PM1_CNT_OFFSET + 1:
        return (uint8_t)((pm->pm1_cnt | ACPI_PM1_CNT_SCI_EN) >> (8 * (off & 1)));
    case ACPI_PM_TMR_OFFSET:
    case ACPI_PM_TMR_OFFSET + 1:
    case ACPI_PM_TMR_OFFSET + 2:
    case ACPI_PM_TMR_OFFSET + 3:
        return (uint8_t)(tmr >> (8 * (off - ACPI_PM_TMR_OFFSET)));
    case ACPI_GPE0_OFFSET:
    case ACPI_GPE0_OFFSET + 1:
        return (uint8_t)(pm->gpe_sts >> (8 * (off & 1)));
    case ACPI_GPE0_OFFSET + 2:
    case ACPI_GPE0_OFFSET + 3:
        return (uint8_t)(pm->gpe_en >> (8 * (off & 1)));
    default:
        log_unimp("acpi-pm: read of reserved offset 0x%llx\n", (unsigned long long)off);
        return 0;
    }
}

/* Replace byte `i` of a 16-bit register. */
static uint16_t set_byte(uint16_t reg, unsigned i, uint8_t v)
{
    return (uint16_t)((reg & ~(0xFFu << (8 * i))) | ((unsigned)v << (8 * i)));
}

static void pm_write_byte(AcpiPm *pm, uint64_t off, uint8_t v)
{
    unsigned i = off & 1;
    switch (off) {
    case ACPI_PM1_EVT_OFFSET:
    case ACPI_PM1_EVT_OFFSET + 1:
        pm->pm1_sts &= (uint16_t)~((unsigned)v << (8 * i));     /* write 1 to clear */
        break;
    case ACPI_PM1_EVT_OFFSET + 2:
    case ACPI_PM1_EVT_OFFSET + 3:
        pm->pm1_en = set_byte(pm->pm1_en, i, v) & PM1_EN_WRITABLE;
        break;
    case ACPI_PM1_CNT_OFFSET:
    case ACPI_PM1_CNT_OFFSET + 1: {
        uint16_t val = set_byte(pm->pm1_cnt, i, v);
        pm->pm1_cnt = val & PM1_CNT_STORED;
        if (val & ACPI_PM1_CNT_SLP_EN)
            pm_sleep(pm, (val & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT);
        break;
    }
    case ACPI_PM_TMR_OFFSET:
    case ACPI_PM_TMR_OFFSET + 1:
    case ACPI_PM_TMR_OFFSET + 2:
    case ACPI_PM_TMR_OFFSET + 3:
        guest_error("acpi-pm: write 0x%02x to read-only PM_TMR ignored\n", v);
        break;
    case ACPI_GPE0_OFFSET:
    case ACPI_GPE0_OFFSET + 1:
        pm->gpe_sts &= (uint16_t)~((unsigned)v << (8 * i));
        break;
    case ACPI_GPE0_OFFSET + 2:
    case ACPI_GPE0_OFFSET + 3:
        pm->gpe_en = set_byte(pm->gpe_en, i, v);
        break;
    default:
        log_unimp("acpi-pm: write 0x%02x to reserved offset 0x%llx ignored\n", v,
                  (unsigned long long)off);
        break;
    }
}

/* Accesses are taken byte by byte so any width works the same, but the
 * counter is sampled once per access so a 32-bit read is consistent. */
static uint64_t pm_read(void *opaque, uint64_t offset, unsigned size)
{
    AcpiPm *pm = opaque;
    uint64_t now = pm_ticks();
    uint64_t v = 0;

    pm_update_tmr_sts(pm, now);
    pm_update_sci(pm);
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)pm_read_byte(pm, offset + i, (uint32_t)(now & PM_TMR_MASK)) << (8 * i);
    return v;
}

static void pm_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    AcpiPm *pm = opaque;
    uint64_t now = pm_ticks();

    /* Bring TMR_STS up to date first so a W1C in this write clears it. */
    pm_update_tmr_sts(pm, now);
    for (unsigned i = 0; i < size; i++)
        pm_write_byte(pm, offset + i, (uint8_t)(value >> (8 * i)));
    pm_update_sci(pm);
    pm_arm_timer(pm, now);
}

static const MemoryRegionOps pm_ops = {
    .read = pm_read,
    .write = pm_write,
    .min_access = 1,
    .max_access = 4,
};

/* The blocks the monitor and the UI can reach (see acpi_pm_get). */
static AcpiPm *pm_blocks[ACPI_PM_MAX];

AcpiPm *acpi_pm_get(int index)
{
    return index >= 0 && index < ACPI_PM_MAX ? pm_blocks[index] : NULL;
}

AcpiPm *acpi_pm_create(AddressSpace *io, uint16_t base, IrqLine *sci,
                       void (*poweroff)(void *opaque), void *opaque)
{
    if ((uint32_t)base + ACPI_PM_IO_SIZE > 0x10000)
        fatal("acpi-pm: I/O base 0x%x leaves no room for its 0x%x ports", base, ACPI_PM_IO_SIZE);
    AcpiPm *pm = calloc(1, sizeof(*pm));
    if (!pm)
        fatal("out of memory");
    pm->sci = sci;
    pm->poweroff = poweroff;
    pm->opaque = opaque;
    pm->timer = timer_new(pm_timer_cb, pm);
    pm->mr = as_map_io(io, "acpi-pm", base, ACPI_PM_IO_SIZE, &pm_ops, pm);
    acpi_pm_reset(pm);
    for (int i = 0; i < ACPI_PM_MAX; i++) {
        if (!pm_blocks[i]) {
            pm_blocks[i] = pm;
            break;
        }
    }
    return pm;
}

void acpi_pm_free(AcpiPm *pm)
{
    if (!pm)
        return;
    for (int i = 0; i < ACPI_PM_MAX; i++) {
        if (pm_blocks[i] == pm) {
            for (int j = i; j + 1 < ACPI_PM_MAX; j++)
                pm_blocks[j] = pm_blocks[j + 1];
            pm_blocks[ACPI_PM_MAX - 1] = NULL;
            break;
        }
    }
    memory_region_unmap(pm->mr);
    timer_free(pm->timer);
    free(pm);
}

void acpi_pm_reset(AcpiPm *pm)
{
    pm->pm1_sts = 0;
    pm->pm1_en = 0;
    pm->pm1_cnt = 0;
    pm->gpe_sts = 0;
    pm->gpe_en = 0;
    pm->tmr_seen = pm_ticks();
    timer_del(pm->timer);
    pm_update_sci(pm);
}

void acpi_pm_power_button(AcpiPm *pm)
{
    pm->pm1_sts |= ACPI_PM1_PWRBTN;
    pm_update_sci(pm);
}

void acpi_pm_set_gpe(AcpiPm *pm, unsigned gpe)
{
    if (gpe >= GPE0_EVENTS) {
        warn("acpi-pm: GPE %u out of range (0..%u)", gpe, GPE0_EVENTS - 1);
        return;
    }
    pm->gpe_sts |= (uint16_t)(1u << gpe);
    pm_update_sci(pm);
}
