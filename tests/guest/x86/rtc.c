/* rtc: reads the CMOS RTC (waits for UIP clear, BCD or binary per register
 * B), checks the date/time ranges (year >= 2024), and checks the CMOS memory
 * size bytes against the Multiboot mem_upper: 0x30/0x31 = KiB above 1 MiB
 * (capped 0xffff), 0x34/0x35 = 64 KiB units above 16 MiB (below 4 GiB).
 * Reference: MC146818A datasheet; IBM PC/AT BIOS CMOS map. */
#include "runtime.h"

#define KIB 1024u
#define MEM_TOLERANCE_KIB 1024u     /* firmware may reserve a little at the top */

static bool in_range(unsigned v, unsigned lo, unsigned hi)
{
    return v >= lo && v <= hi;
}

static unsigned days_in_month(unsigned year, unsigned month)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[month - 1] + (month == 2 && leap);
}

static uint32_t diff_u32(uint32_t a, uint32_t b)
{
    return a > b ? a - b : b - a;
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    RtcTime t;

    tsc_calibrate();
    if (!rtc_read(&t))
        test_fail("RTC update-in-progress never cleared or time unstable");
    printf("RTC: %04u-%02u-%02u %02u:%02u:%02u (register B=0x%02x: %s, %s)\n", t.year,
           t.month, t.day, t.hour, t.minute, t.second, t.reg_b,
           (t.reg_b & 0x04) ? "binary" : "BCD", (t.reg_b & 0x02) ? "24h" : "12h");
    if (t.year < 2024 || t.year > 2199)
        test_fail("year %u out of range", t.year);
    if (!in_range(t.month, 1, 12))
        test_fail("month %u out of range", t.month);
    if (!in_range(t.day, 1, days_in_month(t.year, t.month)))
        test_fail("day %u out of range", t.day);
    if (t.hour > 23 || t.minute > 59 || t.second > 59)
        test_fail("time %u:%u:%u out of range", t.hour, t.minute, t.second);

    /* The clock must tick: the second changes within 2 s. */
    unsigned next = rtc_wait_second_edge(2000);
    if (next == ~0u)
        test_fail("RTC seconds did not advance within 2 s");

    uint32_t ext_kib = cmos_read(0x30) | (uint32_t)cmos_read(0x31) << 8;
    uint32_t above16 = cmos_read(0x34) | (uint32_t)cmos_read(0x35) << 8;
    printf("CMOS: extended memory %u KiB (0x30/0x31), above 16 MiB %u x 64 KiB (0x34/0x35)\n",
           (unsigned)ext_kib, (unsigned)above16);
    if (!(mbi->flags & MBI_FLAG_MEM))
        test_fail("MBI has no mem_upper");
    uint32_t upper = mbi->mem_upper;
    printf("multiboot: mem_upper %u KiB\n", (unsigned)upper);

    uint32_t want_ext = upper > 0xffff ? 0xffff : upper;
    if (diff_u32(ext_kib, want_ext) > MEM_TOLERANCE_KIB)
        test_fail("CMOS 0x30/0x31 says %u KiB, mem_upper says %u KiB", (unsigned)ext_kib, (unsigned)upper);
    if (upper + KIB > 16 * KIB) {
        /* RAM above 16 MiB, in KiB, according to the multiboot loader. */
        uint32_t mb_above16 = upper + KIB - 16 * KIB;
        uint32_t cmos_above16 = above16 * 64;
        if (above16 == 0xffff) {
            if (mb_above16 < 0xffffu * 64 - MEM_TOLERANCE_KIB)
                test_fail("CMOS 0x34/0x35 saturated but mem_upper is only %u KiB", (unsigned)upper);
        } else if (diff_u32(cmos_above16, mb_above16) > MEM_TOLERANCE_KIB) {
            test_fail("CMOS 0x34/0x35 says %u KiB above 16 MiB, mem_upper implies %u KiB",
                      (unsigned)cmos_above16, (unsigned)mb_above16);
        }
    } else if (above16 != 0) {
        test_fail("CMOS 0x34/0x35 = %u but there is no RAM above 16 MiB", (unsigned)above16);
    }
    test_pass();
}
