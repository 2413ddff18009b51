/* pit_irq: interrupts through the 8259 PIC.  Remaps the PIC to 0x20/0x28,
 * runs PIT channel 0 at 1000 Hz, hlt-loops until 100 IRQ0s arrived (EOI each)
 * and checks the elapsed TSC time (100 ms), then counts ticks across one RTC
 * second (1000).  Bounds are loose: they catch a wrong divisor or a dead
 * timer, not jitter; on a loaded host an emulator's timer callbacks run late
 * and late PIT edges merge, so the low bounds allow half the rate.
 * Reference: 8254 mode 2, 8259A OCW2. */
#include "runtime.h"

#define TICK_HZ 1000
#define TICKS_WANTED 100
#define FIRST_TICK_MS 200
#define WAIT_LIMIT_MS 5000          /* for 100 ms of ticks */
#define ELAPSED_MIN_MS 70
#define ELAPSED_MAX_MS 400
#define RTC_TICKS_MIN 400
#define RTC_TICKS_MAX 1250

static volatile uint32_t ticks;

static void on_irq0(InterruptFrame *frame)
{
    (void)frame;
    ticks++;
    pic_eoi(0);
}

static uint32_t wait_ticks(uint32_t target, uint32_t limit_ms)
{
    uint64_t start = rdtsc();
    uint64_t limit = (uint64_t)limit_ms * tsc_khz();
    while (ticks < target) {
        if (rdtsc() - start > limit)
            break;
        cpu_sti_hlt();
    }
    return ticks;
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
    idt_init();
    pic_remap(PIC_VECTOR_MASTER, PIC_VECTOR_SLAVE);
    printf("TSC: %u kHz\n", (unsigned)tsc_calibrate());
    idt_set_handler(PIC_VECTOR_MASTER + 0, on_irq0);

    pit_start_periodic(TICK_HZ);
    pic_unmask(0);
    uint64_t t0 = rdtsc();
    ticks = 0;
    cpu_sti();
    /* Spin (no hlt) until the first tick, so a timer that never fires is
     * reported instead of halting forever; after that each hlt ends at the
     * next tick. */
    uint64_t first_limit = (uint64_t)FIRST_TICK_MS * tsc_khz();
    while (ticks == 0 && rdtsc() - t0 < first_limit)
        cpu_pause();
    if (ticks == 0) {
        cpu_cli();
        test_fail("no IRQ0 within %u ms of starting PIT channel 0 at %u Hz", FIRST_TICK_MS, TICK_HZ);
    }
    uint32_t got = wait_ticks(TICKS_WANTED, WAIT_LIMIT_MS);
    uint64_t t1 = rdtsc();
    uint32_t ms = (uint32_t)(tsc_to_us(t1 - t0) / 1000);
    printf("IRQ0 ticks=%u elapsed=%u ms (TSC)\n", (unsigned)got, (unsigned)ms);
    if (got < TICKS_WANTED)
        test_fail("only %u of %u ticks within %u ms", (unsigned)got, TICKS_WANTED, WAIT_LIMIT_MS);
    if (ms < ELAPSED_MIN_MS || ms > ELAPSED_MAX_MS)
        test_fail("%u ticks at %u Hz took %u ms, want %u..%u", TICKS_WANTED, TICK_HZ,
                  (unsigned)ms, ELAPSED_MIN_MS, ELAPSED_MAX_MS);

    /* Independent clock: ticks counted between two RTC second edges, with
     * interrupts on throughout so no tick waits in the IRR. */
    if (rtc_wait_second_edge(2000) == ~0u)
        test_fail("RTC seconds did not change within 2 s");
    uint32_t start_ticks = ticks;
    unsigned sec = rtc_wait_second_edge(2000);
    uint32_t per_second = ticks - start_ticks;
    cpu_cli();
    if (sec == ~0u)
        test_fail("RTC seconds did not change within 2 s");
    printf("IRQ0 ticks per RTC second=%u\n", (unsigned)per_second);
    if (per_second < RTC_TICKS_MIN || per_second > RTC_TICKS_MAX)
        test_fail("%u ticks per RTC second, want %u..%u", (unsigned)per_second, RTC_TICKS_MIN, RTC_TICKS_MAX);
    pic_mask(0);
    test_pass();
}
