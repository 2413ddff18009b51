/*
 * ACPI PM register block of the pc machine (fixed hardware, ACPI 6.4
 * section 4.8): PM1a event/control, the 24-bit PM timer and a GPE0 block,
 * in one I/O window whose layout the FADT (acpi_tables.c) describes.
 */
#ifndef MIMIC_HW_ACPI_PM_H
#define MIMIC_HW_ACPI_PM_H

#include <stdint.h>

#include "mimic/irq.h"
#include "mimic/memory.h"

/* Layout of the window at pm_base (same spacing as the PIIX4 PMBA block,
 * with GPE0 inside it). */
#define ACPI_PM_IO_SIZE      0x40
#define ACPI_PM1_EVT_OFFSET  0x00   /* PM1_STS (2 bytes), PM1_EN (2 bytes) */
#define ACPI_PM1_EVT_LEN     4
#define ACPI_PM1_CNT_OFFSET  0x04   /* PM1_CNT (2 bytes) */
#define ACPI_PM1_CNT_LEN     2
#define ACPI_PM_TMR_OFFSET   0x08   /* PM_TMR (4 bytes, read-only) */
#define ACPI_PM_TMR_LEN      4
#define ACPI_GPE0_OFFSET     0x20   /* GPE0_STS (2 bytes), GPE0_EN (2 bytes) */
#define ACPI_GPE0_LEN        4

/* PM1_STS / PM1_EN bits (ACPI 6.4 tables 4.16, 4.17) */
#define ACPI_PM1_TMR         0x0001
#define ACPI_PM1_GBL         0x0020
#define ACPI_PM1_PWRBTN      0x0100
#define ACPI_PM1_SLPBTN      0x0200
#define ACPI_PM1_RTC         0x0400
#define ACPI_PM1_WAK_STS     0x8000
/* PM1_CNT bits (table 4.18) */
#define ACPI_PM1_CNT_SCI_EN  0x0001
#define ACPI_PM1_CNT_BM_RLD  0x0002
#define ACPI_PM1_CNT_GBL_RLS 0x0004
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK  0x1C00
#define ACPI_PM1_CNT_SLP_EN  0x2000

/* The SLP_TYP value the DSDT's \_S5 package hands the OS for soft-off. */
#define ACPI_PM_SLP_TYP_S5   5
/* PM timer input clock, Hz (section 4.8.3.3). */
#define ACPI_PM_TIMER_HZ     3579545

typedef struct AcpiPm AcpiPm;

/* Maps the block at `base` in the I/O space `io`. `sci` may be NULL.
 * `poweroff(opaque)` runs when the guest enters S5. */
AcpiPm *acpi_pm_create(AddressSpace *io, uint16_t base, IrqLine *sci,
                       void (*poweroff)(void *opaque), void *opaque);
void acpi_pm_reset(AcpiPm *pm);
/* Unmaps the block and frees it (tests, machine teardown). */
void acpi_pm_free(AcpiPm *pm);
/* Press of the fixed-feature power button: sets PWRBTN_STS (an SCI if the
 * OS enabled PWRBTN_EN). */
void acpi_pm_power_button(AcpiPm *pm);
/* The PM blocks that exist, in creation order (the first ACPI_PM_MAX):
 * the monitor's system_powerdown and the UI's close box press the power
 * button of block 0. NULL past the last. */
#define ACPI_PM_MAX 2
AcpiPm *acpi_pm_get(int index);
/* Set (level 1) a general-purpose event status bit, 0..15. */
void acpi_pm_set_gpe(AcpiPm *pm, unsigned gpe);

#endif
