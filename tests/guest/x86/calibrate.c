/* calibrate: how fast does this accelerator run plain guest code?  Times a
 * fixed ADD/DEC/JNZ loop with the TSC (calibrated against PIT channel 2) and
 * cross-checks long runs with the RTC seconds.  Prints
 * "CALIBRATE loops=N ms=M"; run-x86 uses M to tell real hardware
 * virtualization (a few ms) from an instruction emulator (seconds).
 * "loops=N" on the command line overrides the iteration count. */
#include "runtime.h"

/* A few ms under VT-x or TCG; about 4-8 s under kvm_pvm, whose KVM
 * instruction emulator runs the loop at 0.55-1 us per iteration here. */
#define DEFAULT_LOOPS 8000000u
#define RTC_CHECK_MIN_MS 3000u      /* RTC has 1 s resolution */

static uint32_t spin(uint32_t loops)
{
    uint32_t acc = 0;
    __asm__ volatile("1: addl %1, %0\n\t"
                     "decl %1\n\t"
                     "jnz 1b"
                     : "+r"(acc), "+r"(loops)
                     :
                     : "cc");
    return acc;
}

static unsigned rtc_seconds_of_day(void)
{
    RtcTime t;
    if (!rtc_read(&t))
        return ~0u;
    return t.hour * 3600 + t.minute * 60 + t.second;
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
    uint32_t loops = parse_u32(cmdline_value("loops"), DEFAULT_LOOPS);
    if (loops == 0)
        test_fail("loops must be > 0");

    printf("TSC: %u kHz (PIT channel 2 reference)\n", (unsigned)tsc_calibrate());
    unsigned rtc0 = rtc_seconds_of_day();
    uint64_t t0 = rdtsc();
    uint32_t acc = spin(loops);
    uint64_t t1 = rdtsc();
    unsigned rtc1 = rtc_seconds_of_day();
    uint64_t us = tsc_to_us(t1 - t0);
    uint32_t ms = (uint32_t)(us / 1000);

    /* Sum of 1..N mod 2^32, to prove the loop really ran. */
    uint32_t want = (uint32_t)((uint64_t)loops * (loops + 1) / 2);
    if (acc != want)
        test_fail("loop result 0x%08x, want 0x%08x", (unsigned)acc, (unsigned)want);
    printf("loop: %u iterations in %llu us\n", (unsigned)loops, (unsigned long long)us);
    if (rtc0 != ~0u && rtc1 != ~0u) {
        unsigned rtc_s = (rtc1 + 86400 - rtc0) % 86400;
        printf("RTC elapsed: %u s\n", rtc_s);
        if (ms >= RTC_CHECK_MIN_MS && (rtc_s * 1000 + 2000 < ms || ms + 2000 < rtc_s * 1000))
            test_fail("TSC says %u ms but the RTC says %u s", (unsigned)ms, rtc_s);
    }
    printf("CALIBRATE loops=%u ms=%u\n", (unsigned)loops, (unsigned)ms);
    test_pass();
}
