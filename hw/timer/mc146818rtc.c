/*
 * Motorola MC146818A real-time clock and CMOS RAM (datasheet: registers
 * A-D, update cycle, interrupts; OSDev "CMOS" for the PC's use of it).
 * Guest time is the host's UTC wall clock at creation advanced by virtual
 * time, plus whatever the guest sets. Left out: daylight-saving (DSE), the
 * square-wave pin, the extended bank at 0x72/0x73, the 1984 us update
 * duration (the update and its interrupt happen at the second boundary).
 */
#include <stdlib.h>

#include "hw/timer/mc146818rtc.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

enum {
    REG_SECONDS = 0x00,
    REG_SECONDS_ALARM = 0x01,
    REG_MINUTES = 0x02,
    REG_MINUTES_ALARM = 0x03,
    REG_HOURS = 0x04,
    REG_HOURS_ALARM = 0x05,
    REG_WEEKDAY = 0x06,
    REG_DAY = 0x07,
    REG_MONTH = 0x08,
    REG_YEAR = 0x09,
    REG_A = 0x0A,
    REG_B = 0x0B,
    REG_C = 0x0C,
    REG_D = 0x0D,
    FIRST_RAM_BYTE = 0x0E,
};

#define A_UIP        0x80
#define A_DV_MASK    0x70
#define A_DV_NORMAL  0x20   /* 32.768 kHz time base */
#define A_DV_RESET   0x60   /* 11x: divider chain held in reset */
#define A_RS_MASK    0x0F

#define B_SET  0x80
#define B_PIE  0x40
#define B_AIE  0x20
#define B_UIE  0x10
#define B_SQWE 0x08
#define B_DM_BINARY 0x04
#define B_24H  0x02
#define B_DSE  0x01

#define C_IRQF 0x80
#define C_PF   0x40
#define C_AF   0x20
#define C_UF   0x10

#define D_VRT  0x80

#define A_POWER_ON (A_DV_NORMAL | 0x06)   /* 1024 Hz periodic rate, as BIOSes set */
#define B_POWER_ON B_24H

/* UIP rises this long before each update (datasheet: 244 us). */
#define UIP_NS 244000
/* After the divider leaves reset, the first update comes half a second later. */
#define DIVIDER_RELEASE_PHASE_NS (NS_PER_SEC / 2)
#define TIMEBASE_HZ 32768
#define ALARM_DONT_CARE 0xC0
#define CHECKSUM_FIRST 0x10
#define CHECKSUM_LAST  0x2D

struct Rtc {
    Machine *m;
    IrqLine *irq;
    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    bool nmi_masked;
    /* Guest time = base_sec seconds + (virtual ns + base_frac_ns); split so
     * that any date up to year 9999 fits. */
    int64_t base_sec;
    int64_t base_frac_ns;
    Timer *periodic_timer;
    Timer *update_timer;
    /* The second and periodic tick at which the flags were last brought
     * up to date (flags of sources without a running timer are derived
     * when the guest looks). */
    int64_t checked_sec;
    int64_t checked_tick;
    int irq_level;
};

/* ---- Calendar (proleptic Gregorian, days since 1970-01-01) -------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* Years counted from March so the leap day ends the year; 400-year eras
 * of 146097 days. */
static int64_t days_from_date(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void date_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    days += 719468;
    int64_t era = floor_div(days, 146097);
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* ---- Register encoding ------------------------------------------------- */

static bool rtc_binary(const Rtc *s)
{
    return s->cmos[REG_B] & B_DM_BINARY;
}

static uint8_t rtc_encode(const Rtc *s, int v)
{
    return rtc_binary(s) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* -1 if the byte is not a valid BCD number. */
static int rtc_decode(const Rtc *s, uint8_t v)
{
    if (rtc_binary(s))
        return v;
    if ((v >> 4) > 9 || (v & 0x0F) > 9)
        return -1;
    return (v >> 4) * 10 + (v & 0x0F);
}

static uint8_t rtc_encode_hour(const Rtc *s, int hour)
{
    if (s->cmos[REG_B] & B_24H)
        return rtc_encode(s, hour);
    int h12 = hour % 12 == 0 ? 12 : hour % 12;
    return (uint8_t)(rtc_encode(s, h12) | (hour >= 12 ? 0x80 : 0));
}

static int rtc_decode_hour(const Rtc *s, uint8_t v)
{
    if (s->cmos[REG_B] & B_24H) {
        int h = rtc_decode(s, v);
        return h >= 0 && h < 24 ? h : -1;
    }
    int h = rtc_decode(s, v & 0x7F);
    if (h < 1 || h > 12)
        return -1;
    return h % 12 + ((v & 0x80) ? 12 : 0);
}

/* ---- Clock ------------------------------------------------------------- */

static bool rtc_divider_in_reset(const Rtc *s)
{
    return (s->cmos[REG_A] & A_DV_RESET) == A_DV_RESET;
}

/* The time registers follow the clock unless SET holds them or the
 * divider chain is stopped; then they keep what was last there. */
static bool rtc_frozen(const Rtc *s)
{
    return (s->cmos[REG_B] & B_SET) || rtc_divider_in_reset(s);
}

static void rtc_now(const Rtc *s, int64_t vt, int64_t *sec, int64_t *frac)
{
    int64_t t = vt + s->base_frac_ns;
    *sec = s->base_sec + floor_div(t, NS_PER_SEC);
    *frac = floor_mod(t, NS_PER_SEC);
}

/* Make the clock read (sec, frac) at virtual time vt. */
static void rtc_set_clock(Rtc *s, int64_t vt, int64_t sec, int64_t frac)
{
    int64_t x = frac - vt;
    s->base_sec = sec + floor_div(x, NS_PER_SEC);
    s->base_frac_ns = floor_mod(x, NS_PER_SEC);
}

static void rtc_time_to_regs(Rtc *s, int64_t secs)
{
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    int64_t year;
    int month, day;
    date_from_days(days, &year, &month, &day);
    /* The registers hold years 0..9999; clamp rather than wrap. */
    if (year < 0)
        year = 0;
    if (year > 9999)
        year = 9999;
    s->cmos[REG_SECONDS] = rtc_encode(s, (int)(sod % 60));
    s->cmos[REG_MINUTES] = rtc_encode(s, (int)(sod / 60 % 60));
    s->cmos[REG_HOURS] = rtc_encode_hour(s, (int)(sod / 3600));
    s->cmos[REG_WEEKDAY] = rtc_encode(s, (int)floor_mod(days + 4, 7) + 1);   /* 1 = Sunday */
    s->cmos[REG_DAY] = rtc_encode(s, day);
    s->cmos[REG_MONTH] = rtc_encode(s, month);
    s->cmos[REG_YEAR] = rtc_encode(s, (int)(year % 100));
    s->cmos[RTC_CMOS_CENTURY] = rtc_encode(s, (int)(year / 100));
}

static bool rtc_regs_to_time(const Rtc *s, int64_t *secs)
{
    int sec = rtc_decode(s, s->cmos[REG_SECONDS]);
    int min = rtc_decode(s, s->cmos[REG_MINUTES]);
    int hour = rtc_decode_hour(s, s->cmos[REG_HOURS]);
    int day = rtc_decode(s, s->cmos[REG_DAY]);
    int month = rtc_decode(s, s->cmos[REG_MONTH]);
    int year = rtc_decode(s, s->cmos[REG_YEAR]);
    int century = rtc_decode(s, s->cmos[RTC_CMOS_CENTURY]);
    if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 || day < 1 || day > 31
        || month < 1 || month > 12 || year < 0 || year > 99 || century < 0 || century > 99)
        return false;
    int64_t days = days_from_date(century * 100 + year, month, day);
    *secs = days * 86400 + hour * 3600 + min * 60 + sec;
    return true;
}

/* Refresh the time registers from the clock (no-op while frozen). */
static void rtc_sync_regs(Rtc *s)
{
    if (rtc_frozen(s))
        return;
    int64_t sec, frac;
    rtc_now(s, clock_virtual_ns(), &sec, &frac);
    rtc_time_to_regs(s, sec);
}

/* ---- Interrupts -------------------------------------------------------- */

/* log2 of the periodic interval in time-base ticks, or -1 when off. */
static int rtc_periodic_shift(const Rtc *s)
{
    int rs = s->cmos[REG_A] & A_RS_MASK;
    if (rs == 0 || (s->cmos[REG_A] & A_DV_MASK) != A_DV_NORMAL)
        return -1;
    if (rs <= 2)
        rs += 7;   /* rates 1 and 2 repeat rates 8 and 9 (256 and 128 Hz) */
    return rs - 1;
}

static int64_t rtc_tick_index(int64_t sec, int64_t frac, int shift)
{
    int64_t ticks = frac * TIMEBASE_HZ / NS_PER_SEC;
    return sec * (TIMEBASE_HZ >> shift) + (ticks >> shift);
}

static void rtc_update_irq(Rtc *s)
{
    uint8_t c = s->cmos[REG_C], b = s->cmos[REG_B];
    bool irqf = ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE))
                || ((c & C_UF) && (b & B_UIE));
    s->cmos[REG_C] = (uint8_t)(irqf ? c | C_IRQF : c & ~C_IRQF);
    if (irqf != s->irq_level) {
        s->irq_level = irqf;
        irq_set(s->irq, irqf);
    }
}

static bool rtc_alarm_matches(const Rtc *s)
{
    static const int pairs[][2] = {
        { REG_SECONDS_ALARM, REG_SECONDS },
        { REG_MINUTES_ALARM, REG_MINUTES },
        { REG_HOURS_ALARM, REG_HOURS },
    };
    for (int i = 0; i < 3; i++) {
        uint8_t alarm = s->cmos[pairs[i][0]];
        if ((alarm & ALARM_DONT_CARE) != ALARM_DONT_CARE && alarm != s->cmos[pairs[i][1]])
            return false;
    }
    return true;
}

/* Set the flags of every update and periodic tick since the last check.
 * The alarm is compared against the newest second only. */
static void rtc_catch_up(Rtc *s)
{
    int64_t sec, frac;
    rtc_now(s, clock_virtual_ns(), &sec, &frac);
    if (!rtc_frozen(s) && sec != s->checked_sec) {
        s->cmos[REG_C] |= C_UF;
        rtc_time_to_regs(s, sec);
        if (rtc_alarm_matches(s))
            s->cmos[REG_C] |= C_AF;
    }
    s->checked_sec = sec;
    int shift = rtc_periodic_shift(s);
    if (shift >= 0) {
        int64_t tick = rtc_tick_index(sec, frac, shift);
        if (tick != s->checked_tick)
            s->cmos[REG_C] |= C_PF;
        s->checked_tick = tick;
    }
    rtc_update_irq(s);
}

/* Forget past ticks: after the time base or the rate changed. */
static void rtc_restart_checks(Rtc *s)
{
    int64_t sec, frac;
    rtc_now(s, clock_virtual_ns(), &sec, &frac);
    s->checked_sec = sec;
    int shift = rtc_periodic_shift(s);
    s->checked_tick = shift >= 0 ? rtc_tick_index(sec, frac, shift) : 0;
}

/* Arm only the timers whose interrupt is enabled: a guest that polls gets
 * its flags from rtc_catch_up, so idle RTCs cost nothing. */
static void rtc_update_timers(Rtc *s)
{
    int64_t vt = clock_virtual_ns();
    int64_t sec, frac;
    rtc_now(s, vt, &sec, &frac);

    int shift = rtc_periodic_shift(s);
    if (shift >= 0 && (s->cmos[REG_B] & B_PIE)) {
        int64_t ticks = frac * TIMEBASE_HZ / NS_PER_SEC;
        int64_t next = ((ticks >> shift) + 1) << shift;
        int64_t next_frac = next >= TIMEBASE_HZ ? NS_PER_SEC
                            : (next * NS_PER_SEC + TIMEBASE_HZ - 1) / TIMEBASE_HZ;
        timer_mod(s->periodic_timer, vt + (next_frac - frac));
    } else {
        timer_del(s->periodic_timer);
    }

    if (!rtc_frozen(s) && (s->cmos[REG_B] & (B_UIE | B_AIE)))
        timer_mod(s->update_timer, vt + (NS_PER_SEC - frac));
    else
        timer_del(s->update_timer);
}

static void rtc_timer_fired(void *opaque)
{
    Rtc *s = opaque;
    rtc_catch_up(s);
    rtc_update_timers(s);
}

/* ---- Register access --------------------------------------------------- */

static bool rtc_is_time_register(int index)
{
    switch (index) {
    case REG_SECONDS: case REG_MINUTES: case REG_HOURS: case REG_WEEKDAY:
    case REG_DAY: case REG_MONTH: case REG_YEAR: case RTC_CMOS_CENTURY:
        return true;
    default:
        return false;
    }
}

/* Restart the clock from the time registers, keeping phase `frac`. */
static void rtc_clock_from_regs(Rtc *s, int64_t frac)
{
    int64_t secs;
    if (!rtc_regs_to_time(s, &secs)) {
        guest_error("rtc: time registers hold no valid date, clock keeps its time\n");
        return;
    }
    rtc_set_clock(s, clock_virtual_ns(), secs, frac);
}

static int64_t rtc_phase(const Rtc *s)
{
    int64_t sec, frac;
    rtc_now(s, clock_virtual_ns(), &sec, &frac);
    return frac;
}

/* Register A or B changed: handle freezing and thawing the time registers. */
static void rtc_write_control(Rtc *s, int index, uint8_t value)
{
    bool was_frozen = rtc_frozen(s);
    bool divider_was_reset = rtc_divider_in_reset(s);
    int64_t phase = rtc_phase(s);

    rtc_catch_up(s);   /* flags due under the old settings */
    rtc_sync_regs(s);
    if (index == REG_A) {
        s->cmos[REG_A] = value & ~A_UIP;
        int dv = value & A_DV_MASK;
        if (dv != A_DV_NORMAL && (dv & A_DV_RESET) != A_DV_RESET)
            log_unimp("rtc: divider 0x%x (time base other than 32.768 kHz)\n", dv >> 4);
    } else {
        /* Setting SET also clears UIE (datasheet, register B). */
        if (value & B_SET)
            value &= ~B_UIE;
        if (value & B_DSE)
            log_unimp("rtc: daylight saving (DSE) is not modelled\n");
        s->cmos[REG_B] = value;
    }
    if (was_frozen && !rtc_frozen(s))
        rtc_clock_from_regs(s, divider_was_reset ? DIVIDER_RELEASE_PHASE_NS : phase);
    rtc_restart_checks(s);
    rtc_update_irq(s);
    rtc_update_timers(s);
}

static uint8_t rtc_read_register(Rtc *s, int index, bool side_effects)
{
    switch (index) {
    case REG_A: {
        uint8_t a = s->cmos[REG_A];
        if (!rtc_frozen(s) && rtc_phase(s) >= NS_PER_SEC - UIP_NS)
            a |= A_UIP;
        return a;
    }
    case REG_C: {
        if (!side_effects)
            return s->cmos[REG_C];
        rtc_catch_up(s);
        uint8_t c = s->cmos[REG_C];
        s->cmos[REG_C] = 0;
        rtc_update_irq(s);
        return c;
    }
    case REG_D:
        return D_VRT;
    default:
        if (rtc_is_time_register(index))
            rtc_sync_regs(s);
        return s->cmos[index];
    }
}

static void rtc_write_register(Rtc *s, int index, uint8_t value)
{
    switch (index) {
    case REG_A:
    case REG_B:
        rtc_write_control(s, index, value);
        return;
    case REG_C:
    case REG_D:
        guest_error("rtc: write 0x%02x to read-only register %c\n", value, 'A' + index - REG_A);
        return;
    default:
        break;
    }
    if (!rtc_is_time_register(index) || rtc_frozen(s)) {
        s->cmos[index] = value;
        return;
    }
    /* A running clock continues from the written value. */
    int64_t phase = rtc_phase(s);
    rtc_sync_regs(s);
    s->cmos[index] = value;
    rtc_clock_from_regs(s, phase);
    rtc_restart_checks(s);
    rtc_update_timers(s);
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned size)
{
    Rtc *s = opaque;
    (void)size;
    if (offset == 0)
        return 0xFF;   /* the index register is write-only */
    return rtc_read_register(s, s->index, true);
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Rtc *s = opaque;
    (void)size;
    if (offset == 0) {
        s->index = value & 0x7F;
        s->nmi_masked = value & 0x80;
        return;
    }
    rtc_write_register(s, s->index, (uint8_t)value);
}

static const MemoryRegionOps rtc_io_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- Machine side ------------------------------------------------------ */

static void rtc_update_checksum(Rtc *s)
{
    unsigned sum = 0;
    for (int i = CHECKSUM_FIRST; i <= CHECKSUM_LAST; i++)
        sum += s->cmos[i];
    s->cmos[RTC_CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
    s->cmos[RTC_CMOS_CHECKSUM_LO] = (uint8_t)sum;
}

static void rtc_check_index(int index)
{
    if (index < 0 || index >= RTC_CMOS_SIZE)
        fatal("rtc: CMOS index %d out of range 0..%d", index, RTC_CMOS_SIZE - 1);
}

void rtc_set_cmos(Rtc *s, int index, uint8_t value)
{
    rtc_check_index(index);
    rtc_write_register(s, index, value);
    if (index >= CHECKSUM_FIRST && index <= CHECKSUM_LAST)
        rtc_update_checksum(s);
}

uint8_t rtc_get_cmos(Rtc *s, int index)
{
    rtc_check_index(index);
    return rtc_read_register(s, index, false);
}

void rtc_set_memory_size(Rtc *s, uint64_t below_4g, uint64_t above_4g, int ncpus)
{
    const uint64_t kib = 1024, mib = 1024 * 1024, unit64k = 64 * 1024;
    uint64_t ext_kib = below_4g > mib ? (below_4g - mib) / kib : 0;
    if (ext_kib > 0xFFFF)
        ext_kib = 0xFFFF;
    uint64_t above_16m = below_4g > 16 * mib ? (below_4g - 16 * mib) / unit64k : 0;
    if (above_16m > 0xFFFF)
        above_16m = 0xFFFF;
    uint64_t high = above_4g / unit64k;
    if (high > 0xFFFFFF)
        high = 0xFFFFFF;
    if (ncpus < 1 || ncpus > 256)
        fatal("rtc: CPU count %d does not fit the CMOS byte (1..256)", ncpus);

    rtc_set_cmos(s, RTC_CMOS_BASE_MEM_LO, 640 & 0xFF);
    rtc_set_cmos(s, RTC_CMOS_BASE_MEM_HI, 640 >> 8);
    rtc_set_cmos(s, RTC_CMOS_EXT_MEM_LO, (uint8_t)ext_kib);
    rtc_set_cmos(s, RTC_CMOS_EXT_MEM_HI, (uint8_t)(ext_kib >> 8));
    rtc_set_cmos(s, RTC_CMOS_EXT_MEM2_LO, (uint8_t)ext_kib);
    rtc_set_cmos(s, RTC_CMOS_EXT_MEM2_HI, (uint8_t)(ext_kib >> 8));
    rtc_set_cmos(s, RTC_CMOS_MEM_16M_LO, (uint8_t)above_16m);
    rtc_set_cmos(s, RTC_CMOS_MEM_16M_HI, (uint8_t)(above_16m >> 8));
    rtc_set_cmos(s, RTC_CMOS_MEM_4G_0, (uint8_t)high);
    rtc_set_cmos(s, RTC_CMOS_MEM_4G_1, (uint8_t)(high >> 8));
    rtc_set_cmos(s, RTC_CMOS_MEM_4G_2, (uint8_t)(high >> 16));
    rtc_set_cmos(s, RTC_CMOS_NCPUS_MINUS_1, (uint8_t)(ncpus - 1));
}

/* The RESET pin clears the interrupt enables and flags; time, rate and
 * RAM survive (they are battery-backed). */
static void rtc_reset(void *opaque)
{
    Rtc *s = opaque;
    s->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    s->cmos[REG_C] = 0;
    rtc_restart_checks(s);
    rtc_update_irq(s);
    rtc_update_timers(s);
}

Rtc *rtc_create(Machine *m, IrqLine *irq)
{
    Rtc *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->m = m;
    s->irq = irq;
    s->cmos[REG_A] = A_POWER_ON;
    s->cmos[REG_B] = B_POWER_ON;
    s->cmos[REG_D] = D_VRT;
    int64_t vt = clock_virtual_ns();
    int64_t wall = clock_realtime_ns();
    rtc_set_clock(s, vt, floor_div(wall, NS_PER_SEC), floor_mod(wall, NS_PER_SEC));
    rtc_sync_regs(s);
    s->periodic_timer = timer_new(rtc_timer_fired, s);
    s->update_timer = timer_new(rtc_timer_fired, s);
    rtc_restart_checks(s);
    as_map_io(m->io, "rtc", RTC_INDEX_PORT, 2, &rtc_io_ops, s);
    machine_add_reset(m, rtc_reset, s);
    return s;
}
