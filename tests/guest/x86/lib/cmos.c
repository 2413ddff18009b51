/* MC146818-compatible RTC/CMOS at ports 0x70 (index) / 0x71 (data).
 * Reference: Motorola MC146818A datasheet (registers 0-9, A: UIP bit 7,
 * B: DM bit 2 = binary, 24/12 bit 1); century in register 0x32 as in the
 * ACPI FADT CENTURY convention.  Alarms and interrupts are not used. */
#include "runtime.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_A_UIP 0x80
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_CENTURY 0x32
#define UIP_WAIT_MS 20              /* UIP lasts 244 us + 1984 us at most */
#define READ_ATTEMPTS 10

uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg & 0x7f);   /* bit 7 clear: leave NMI enabled */
    return inb(CMOS_DATA);
}

static unsigned bcd_to_bin(uint8_t v)
{
    return (v & 0x0f) + (v >> 4) * 10;
}

static bool rtc_wait_uip_clear(void)
{
    if (!tsc_khz())
        tsc_calibrate();
    uint64_t start = rdtsc();
    uint64_t limit = (uint64_t)UIP_WAIT_MS * tsc_khz();
    while (cmos_read(RTC_REG_A) & RTC_A_UIP)
        if (rdtsc() - start > limit)
            return false;
    return true;
}

static void rtc_read_raw(uint8_t r[7])
{
    static const uint8_t regs[7] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, RTC_CENTURY };
    for (int i = 0; i < 7; i++)
        r[i] = cmos_read(regs[i]);
}

bool rtc_read(RtcTime *t)
{
    uint8_t a[7], b[7];
    int attempt;

    /* Read until two consecutive reads agree, so an update in between
     * cannot give a torn time. */
    for (attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        if (!rtc_wait_uip_clear())
            return false;
        rtc_read_raw(a);
        if (!rtc_wait_uip_clear())
            return false;
        rtc_read_raw(b);
        if (memcmp(a, b, sizeof(a)) == 0)
            break;
    }
    if (attempt == READ_ATTEMPTS)
        return false;
    uint8_t reg_b = cmos_read(RTC_REG_B);
    bool pm = false;
    if (!(reg_b & RTC_B_24H)) {
        pm = a[2] & 0x80;
        a[2] &= 0x7f;
    }
    if (!(reg_b & RTC_B_BINARY))
        for (int i = 0; i < 7; i++)
            a[i] = (uint8_t)bcd_to_bin(a[i]);
    if (!(reg_b & RTC_B_24H))
        a[2] = (uint8_t)((a[2] % 12) + (pm ? 12 : 0));
    t->second = a[0];
    t->minute = a[1];
    t->hour = a[2];
    t->day = a[3];
    t->month = a[4];
    unsigned century = (a[6] >= 19 && a[6] <= 30) ? a[6] : 20;
    t->year = century * 100 + a[5];
    t->reg_b = reg_b;
    return true;
}

unsigned rtc_wait_second_edge(uint32_t timeout_ms)
{
    if (!tsc_khz())
        tsc_calibrate();
    uint64_t start = rdtsc();
    uint64_t limit = (uint64_t)timeout_ms * tsc_khz();
    uint8_t first = cmos_read(0x00);
    while (rdtsc() - start < limit) {
        if (cmos_read(RTC_REG_A) & RTC_A_UIP)
            continue;
        uint8_t now = cmos_read(0x00);
        if (now != first)
            return now;
    }
    return ~0u;
}
