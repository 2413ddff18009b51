/*
 * Time: PIT channel 0 at 18.2 Hz (Intel 8254 datasheet, mode 2, divisor
 * 65536) read back as a polled 1.193182 MHz clock for delays and timeouts,
 * the MC146818 RTC/CMOS, INT 1Ah 00-05 and INT 15h AH=86h. The RTC alarm
 * (INT 1Ah 06/07) and INT 15h AH=83h are left out.
 */
#include "bios.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_REG_C 0x0C
#define RTC_REG_D 0x0D
#define RTC_UIP 0x80
#define RTC_SET 0x80
#define RTC_BINARY 0x04
#define RTC_CENTURY 0x32
#define TICK_US 54925u

static u16 pit_last;
static u64 pit_total;
static u8 wait_active;
static u32 wait_until;

u8 cmos_read(u8 reg)
{
    outb(RTC_INDEX, reg | 0x80);
    return inb(RTC_DATA);
}

void cmos_write(u8 reg, u8 v)
{
    outb(RTC_INDEX, reg | 0x80);
    outb(RTC_DATA, v);
}

static u16 pit_read(void)
{
    outb(PIT_CMD, 0x00);
    u8 lo = inb(PIT_CH0);
    return lo | inb(PIT_CH0) << 8;
}

u64 clock_ticks(void)
{
    u16 now = pit_read();
    pit_total += (u16)(pit_last - now);
    pit_last = now;
    return pit_total;
}

void clock_udelay(u32 us)
{
    u64 end = clock_ticks() + (u64)us * PIT_HZ / 1000000;
    while (clock_ticks() < end)
        ;
}

static u8 bcd2bin(u8 v) { return (v >> 4) * 10 + (v & 15); }

static void rtc_wait_stable(void)
{
    for (int i = 0; i < 100000 && (cmos_read(RTC_REG_A) & RTC_UIP); i++)
        ;
}

void clock_init(void)
{
    outb(PIT_CMD, 0x34);            /* channel 0, lo/hi, mode 2 */
    outb(PIT_CH0, 0);
    outb(PIT_CH0, 0);
    pit_last = pit_read();

    cmos_write(RTC_REG_A, 0x26);
    cmos_write(RTC_REG_B, (cmos_read(RTC_REG_B) & RTC_BINARY) | 0x02);   /* 24 h, no IRQs */
    cmos_read(RTC_REG_C);
    cmos_read(RTC_REG_D);

    rtc_wait_stable();
    u8 s = cmos_read(0x00), m = cmos_read(0x02), h = cmos_read(0x04);
    if (!(cmos_read(RTC_REG_B) & RTC_BINARY)) {
        s = bcd2bin(s);
        m = bcd2bin(m);
        h = bcd2bin(h);
    }
    u32 secs = (h * 60u + m) * 60u + s;
    wr32(BDA_TICKS, (u32)((u64)secs * PIT_HZ / 65536) % TICKS_PER_DAY);
    wr8(BDA_MIDNIGHT, 0);
}

static void rtc_set(u8 reg_first, const u8 *vals, int n)
{
    u8 b = cmos_read(RTC_REG_B);
    cmos_write(RTC_REG_B, b | RTC_SET);
    for (int i = 0; i < n; i++)
        cmos_write(reg_first + i * 2, vals[i]);
    cmos_write(RTC_REG_B, b & ~RTC_SET);
}

void clock_int1a(struct bregs *r)
{
    switch (r->ah) {
    case 0x00: {
        u32 t = rd32(BDA_TICKS);
        r->cx = t >> 16;
        r->dx = t;
        r->al = rd8(BDA_MIDNIGHT);
        wr8(BDA_MIDNIGHT, 0);
        clear_cf(r);
        return;
    }
    case 0x01:
        wr32(BDA_TICKS, (u32)r->cx << 16 | r->dx);
        wr8(BDA_MIDNIGHT, 0);
        set_ok(r);
        return;
    case 0x02:
        rtc_wait_stable();
        r->dh = cmos_read(0x00);
        r->cl = cmos_read(0x02);
        r->ch = cmos_read(0x04);
        r->dl = cmos_read(RTC_REG_B) & 1;
        set_ok(r);
        return;
    case 0x03: {
        u8 b = cmos_read(RTC_REG_B);
        cmos_write(RTC_REG_B, b | RTC_SET);
        cmos_write(0x00, r->dh);
        cmos_write(0x02, r->cl);
        cmos_write(0x04, r->ch);
        cmos_write(RTC_REG_B, (b & ~(RTC_SET | 1)) | (r->dl & 1));
        set_ok(r);
        return;
    }
    case 0x04:
        rtc_wait_stable();
        r->dl = cmos_read(0x07);
        r->dh = cmos_read(0x08);
        r->cl = cmos_read(0x09);
        r->ch = cmos_read(RTC_CENTURY);
        set_ok(r);
        return;
    case 0x05: {
        u8 v[2] = { r->dl, r->dh };
        rtc_set(0x07, v, 1);
        rtc_set(0x08, v + 1, 1);
        u8 y = r->cl;
        rtc_set(0x09, &y, 1);
        cmos_write(RTC_CENTURY, r->ch);
        set_ok(r);
        return;
    }
    case 0xB1:
        pci_int1a(r);
        return;
    default:
        set_fail(r, 0x86);
        return;
    }
}

/* INT 15h AH=86h: wait CX:DX microseconds. Short waits spin on the PIT;
 * long ones sleep in hlt between timer ticks so IRQs keep being served. */
u32 clock_wait_int15_86(struct bregs *r)
{
    if (wait_active) {
        if ((s32)(rd32(BDA_TICKS) - wait_until) < 0 && !rd8(BDA_MIDNIGHT))
            return SVC_RET_WAIT;
        wait_active = 0;
        set_ok(r);
        return SVC_RET_DONE;
    }
    u32 us = (u32)r->cx << 16 | r->dx;
    if (us < TICK_US) {
        clock_udelay(us);
        set_ok(r);
        return SVC_RET_DONE;
    }
    wait_active = 1;
    wait_until = rd32(BDA_TICKS) + (us + TICK_US - 1) / TICK_US;
    return SVC_RET_WAIT;
}
