/*
 * MC146818A real-time clock with 128 bytes of CMOS RAM, the PC's "CMOS":
 * index port 0x70 (bit 7 masks NMI), data port 0x71, IRQ 8.
 */
#ifndef MIMIC_HW_TIMER_MC146818RTC_H
#define MIMIC_HW_TIMER_MC146818RTC_H

#include <stdint.h>

#include "mimic/irq.h"

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT  0x71
#define RTC_CMOS_SIZE  128

/* CMOS bytes a PC BIOS or OS reads (IBM AT layout and later extensions). */
#define RTC_CMOS_BASE_MEM_LO    0x15   /* KiB below 1 MiB */
#define RTC_CMOS_BASE_MEM_HI    0x16
#define RTC_CMOS_EXT_MEM_LO     0x17   /* KiB above 1 MiB, at most 0xFFFF */
#define RTC_CMOS_EXT_MEM_HI     0x18
#define RTC_CMOS_CHECKSUM_HI    0x2E   /* sum of bytes 0x10..0x2D */
#define RTC_CMOS_CHECKSUM_LO    0x2F
#define RTC_CMOS_EXT_MEM2_LO    0x30   /* copy of 0x17/0x18 */
#define RTC_CMOS_EXT_MEM2_HI    0x31
#define RTC_CMOS_CENTURY        0x32
#define RTC_CMOS_MEM_16M_LO     0x34   /* 64 KiB units above 16 MiB, below 4 GiB */
#define RTC_CMOS_MEM_16M_HI     0x35
#define RTC_CMOS_MEM_4G_0       0x5B   /* 64 KiB units above 4 GiB, 3 bytes */
#define RTC_CMOS_MEM_4G_1       0x5C
#define RTC_CMOS_MEM_4G_2       0x5D
#define RTC_CMOS_NCPUS_MINUS_1  0x5F

typedef struct Machine Machine;
typedef struct Rtc Rtc;

/* Creates the RTC, maps ports 0x70-0x71 into m->io, registers a reset
 * handler. The clock starts at the host's wall-clock time (UTC). */
Rtc *rtc_create(Machine *m, IrqLine *irq);

/* CMOS RAM for the machine to fill before the guest runs. Writing a byte
 * in 0x10..0x2D updates the checksum at 0x2E/0x2F. Indices outside
 * 0..127 are a programming error (fatal). The clock and control registers
 * (0x00-0x0D) are not reachable here. */
void rtc_set_cmos(Rtc *rtc, int index, uint8_t value);
uint8_t rtc_get_cmos(Rtc *rtc, int index);

/* Fill the memory-size bytes listed above and the CPU count byte from the
 * RAM below and above 4 GiB (bytes) and the number of CPUs. */
void rtc_set_memory_size(Rtc *rtc, uint64_t below_4g, uint64_t above_4g, int ncpus);

#endif
