/* Time for the test programs: 8254 PIT channel 0 (periodic IRQ0) and
 * channel 2 (gated by port 0x61 bit 0, OUT2 read back in bit 5) as the
 * reference clock, and the TSC calibrated against it for cheap waits.
 * Reference: Intel 8254 datasheet (modes 0 and 2); IBM PC/AT port 0x61. */
#include "runtime.h"

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define PIT_CHUNK_US 50000u         /* below the 16-bit count limit (54.9 ms) */
#define CALIBRATE_US 50000u
/* Polls of OUT2 per chunk before we decide the PIT is dead.  Generous:
 * even a fast emulator needs far fewer than this for 50 ms. */
#define PIT_POLL_LIMIT 50000000u

static uint32_t tsc_khz_value;

void pit_start_periodic(uint32_t hz)
{
    uint32_t divisor = PIT_HZ / hz;
    if (divisor == 0 || divisor > 0xffff)
        test_fail("pit_start_periodic: %u Hz out of range", (unsigned)hz);
    outb(PIT_MODE, 0x34);           /* channel 0, lobyte/hibyte, mode 2 */
    outb(PIT_CH0, divisor & 0xff);
    outb(PIT_CH0, divisor >> 8);
}

void pit_stop(void)
{
    outb(PIT_MODE, 0x30);           /* channel 0, mode 0: one final edge */
    outb(PIT_CH0, 0xff);
    outb(PIT_CH0, 0xff);
}

static void pit_wait_chunk(uint32_t us)
{
    uint32_t count = (uint32_t)(((uint64_t)us * PIT_HZ) / 1000000u);
    if (count < 1)
        count = 1;
    uint8_t b = inb(PORT_B);
    outb(PORT_B, (b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2);
    outb(PIT_MODE, 0xb0);           /* channel 2, lobyte/hibyte, mode 0 */
    outb(PIT_CH2, count & 0xff);
    outb(PIT_CH2, count >> 8);
    outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
    for (uint32_t i = 0; i < PIT_POLL_LIMIT; i++)
        if (inb(PORT_B) & PORT_B_OUT2)
            return;
    test_fail("PIT channel 2 OUT never went high (port 0x61 bit 5)");
}

void pit_delay_us(uint32_t us)
{
    while (us) {
        uint32_t chunk = us > PIT_CHUNK_US ? PIT_CHUNK_US : us;
        pit_wait_chunk(chunk);
        us -= chunk;
    }
}

uint32_t tsc_calibrate(void)
{
    uint64_t t0 = rdtsc();
    pit_delay_us(CALIBRATE_US);
    uint64_t t1 = rdtsc();
    tsc_khz_value = (uint32_t)((t1 - t0) / (CALIBRATE_US / 1000));
    if (tsc_khz_value == 0)
        test_fail("TSC does not advance");
    return tsc_khz_value;
}

uint32_t tsc_khz(void)
{
    return tsc_khz_value;
}

uint64_t tsc_to_us(uint64_t ticks)
{
    if (!tsc_khz_value)
        tsc_calibrate();
    /* ticks * 1000 / khz without overflowing for realistic spans */
    return udiv64(ticks * 1000u, tsc_khz_value, NULL);
}

void delay_us(uint32_t us)
{
    if (!tsc_khz_value) {
        pit_delay_us(us);
        return;
    }
    uint64_t start = rdtsc();
    uint64_t ticks = udiv64((uint64_t)us * tsc_khz_value, 1000, NULL);
    while (rdtsc() - start < ticks)
        cpu_pause();
}

void delay_ms(uint32_t ms)
{
    while (ms--)
        delay_us(1000);
}
