/*
 * The 8042 controller poked through ports 0x60/0x64 like a guest (no CPU),
 * checked against the 8042 command set and the probe Linux's i8042 driver
 * runs: self test, command byte, AUX loopback with AUXB, IRQ 1/12 levels,
 * set 2 -> set 1 translation, keyboard and mouse behind it, reset and A20.
 */
#include "test.h"

#include "hw/input/i8042.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"

#define DATA 0x60
#define STATUS 0x64
#define CMD 0x64

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_UNLOCKED 0x10
#define ST_AUXB 0x20

#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

static Machine *m;
static I8042 *kbc;
static int irq_level[2];
static int irq_rises[2];
static int a20_calls;
static bool a20_state;

static void irq_record(void *opaque, int n, int level)
{
    (void)opaque;
    if (level && !irq_level[n])
        irq_rises[n]++;
    irq_level[n] = level;
}

static void a20_record(void *opaque, bool on)
{
    (void)opaque;
    a20_calls++;
    a20_state = on;
}

static void outb(uint16_t port, uint8_t v) { as_write(m->io, port, 1, v); }
static uint8_t inb(uint16_t port) { return (uint8_t)as_ld(m->io, port, 1); }

static void setup(void)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1 };
    if (!m) {
        mainloop_init();
        machine_lock();
        m = machine_create(&type, &opts);
        kbc = i8042_create(m, irq_line_new(irq_record, NULL, 0),
                           irq_line_new(irq_record, NULL, 1));
        i8042_set_a20_handler(kbc, a20_record, NULL);
    }
    machine_reset_devices(m);
    m->request = REQUEST_NONE;
    irq_rises[0] = irq_rises[1] = 0;
    a20_calls = 0;
}

/* Read everything in the output buffer (like Linux's i8042_flush). */
static int flush(void)
{
    int n = 0;
    while ((inb(STATUS) & ST_OBF) && n < 64) {
        inb(DATA);
        n++;
    }
    return n;
}

/* Wait for and read one byte as Linux's i8042_command does; -1 if none. */
static int read_byte(uint8_t *status)
{
    uint8_t st = inb(STATUS);
    if (status)
        *status = st;
    if (!(st & ST_OBF))
        return -1;
    return inb(DATA);
}

static uint8_t read_ctr(void)
{
    outb(CMD, 0x20);
    return (uint8_t)read_byte(NULL);
}

static void write_ctr(uint8_t v)
{
    outb(CMD, 0x60);
    outb(DATA, v);
}

/* Linux: i8042_controller_check, selftest, CTR read/write round trip. */
TEST_CASE(linux_controller_probe)
{
    setup();
    uint8_t st = inb(STATUS);
    CHECK_EQ(st & ST_OBF, 0);
    CHECK(st & ST_UNLOCKED);
    CHECK_EQ(flush(), 0);
    outb(CMD, 0xAA);
    CHECK(inb(STATUS) & ST_CMD);
    CHECK_EQ(read_byte(&st), 0x55);
    CHECK_EQ(st & ST_AUXB, 0);
    CHECK_EQ(inb(STATUS) & ST_OBF, 0);
    uint8_t ctr = read_ctr();
    CHECK_EQ(read_ctr(), ctr);          /* Linux reads twice and compares */
    write_ctr(CTR_KBDDIS | CTR_AUXDIS | CTR_XLATE | 0x04);
    CHECK_EQ(inb(STATUS) & ST_CMD, 0);  /* last write went to the data port */
    CHECK_EQ(read_ctr(), CTR_KBDDIS | CTR_AUXDIS | CTR_XLATE | 0x04);
    CHECK(inb(STATUS) & ST_SYS);
    outb(CMD, 0xAB);
    CHECK_EQ(read_byte(NULL), 0x00);
    outb(CMD, 0xA9);
    CHECK_EQ(read_byte(NULL), 0x00);
    outb(CMD, 0xD0);
    CHECK_EQ(read_byte(NULL) & 0x03, 0x03);  /* reset line high, A20 on */
}

/* Linux i8042_check_aux: loopback via 0xD3 with AUXB, AUX disable/enable
 * visible in the CTR, then loopback with the AUX interrupt on. */
TEST_CASE(linux_aux_probe)
{
    setup();
    write_ctr(CTR_XLATE);                /* both interrupts off */
    outb(CMD, 0xD3);
    outb(DATA, 0x5A);
    uint8_t st;
    CHECK_EQ(read_byte(&st), 0x5A);
    CHECK(st & ST_AUXB);
    CHECK_EQ(irq_rises[1], 0);
    outb(CMD, 0xA7);
    CHECK(read_ctr() & CTR_AUXDIS);
    outb(CMD, 0xA8);
    CHECK_EQ(read_ctr() & CTR_AUXDIS, 0);
    write_ctr(CTR_XLATE | CTR_AUXINT);
    outb(CMD, 0xD3);
    outb(DATA, 0xA5);
    CHECK_EQ(irq_level[1], 1);
    CHECK_EQ(irq_level[0], 0);
    st = inb(STATUS);
    CHECK_EQ(st & (ST_OBF | ST_AUXB), ST_OBF | ST_AUXB);
    CHECK_EQ(inb(DATA), 0xA5);
    CHECK_EQ(irq_level[1], 0);
    /* 0xD2 data looks like keyboard data: IRQ 1 only when enabled. */
    outb(CMD, 0xD2);
    outb(DATA, 0x33);
    CHECK_EQ(irq_level[0], 0);
    CHECK_EQ(read_byte(&st), 0x33);
    CHECK_EQ(st & ST_AUXB, 0);
}

/* 0xD4 sends to the mouse: reset answers FA AA 00, all as AUX data on IRQ 12. */
TEST_CASE(mouse_through_controller)
{
    setup();
    write_ctr(CTR_KBDINT | CTR_AUXINT | CTR_XLATE);
    outb(CMD, 0xD4);
    outb(DATA, 0xFF);
    static const uint8_t want[] = { 0xFA, 0xAA, 0x00 };
    for (int i = 0; i < 3; i++) {
        uint8_t st;
        CHECK_EQ(irq_level[1], 1);
        CHECK_EQ(read_byte(&st), want[i]);
        CHECK(st & ST_AUXB);
    }
    CHECK_EQ(irq_level[1], 0);
    CHECK_EQ(irq_rises[1], 3);           /* one edge per byte */
    CHECK_EQ(irq_rises[0], 0);
    /* With the AUX port disabled the mouse's answer waits. */
    outb(CMD, 0xA7);
    outb(CMD, 0xD4);
    outb(DATA, 0xF2);
    CHECK_EQ(inb(STATUS) & ST_OBF, 0);
    outb(CMD, 0xA8);
    CHECK_EQ(read_byte(NULL), 0xFA);
    CHECK_EQ(read_byte(NULL), 0x00);
}

/* Keyboard reset and identify through the data port, with and without
 * translation (translated id is AB 41, as Linux's atkbd expects). */
TEST_CASE(keyboard_reset_identify)
{
    setup();
    write_ctr(CTR_KBDINT | CTR_AUXINT);  /* no translation */
    outb(DATA, 0xFF);
    CHECK_EQ(irq_level[0], 1);
    CHECK_EQ(read_byte(NULL), 0xFA);
    CHECK_EQ(read_byte(NULL), 0xAA);
    outb(DATA, 0xF2);
    CHECK_EQ(read_byte(NULL), 0xFA);
    CHECK_EQ(read_byte(NULL), 0xAB);
    CHECK_EQ(read_byte(NULL), 0x83);
    CHECK_EQ(read_byte(NULL), -1);
    write_ctr(CTR_KBDINT | CTR_AUXINT | CTR_XLATE);
    outb(DATA, 0xF2);
    CHECK_EQ(read_byte(NULL), 0xFA);
    CHECK_EQ(read_byte(NULL), 0xAB);
    CHECK_EQ(read_byte(NULL), 0x41);
    CHECK_EQ(irq_level[0], 0);
}

/* With XLATE the set 2 stream comes out as set 1: A = 1C / F0 1C -> 1E / 9E. */
TEST_CASE(translation)
{
    setup();
    write_ctr(CTR_KBDINT | CTR_XLATE);
    Ps2Kbd *k = i8042_keyboard(kbc);
    ps2_keyboard_key_event(k, 0x1C, true);
    ps2_keyboard_key_event(k, 0x1C, false);
    CHECK_EQ(read_byte(NULL), 0x1E);
    CHECK_EQ(read_byte(NULL), 0x9E);
    CHECK_EQ(read_byte(NULL), -1);
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x75, true);    /* Up */
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x75, false);
    static const uint8_t up[] = { 0xE0, 0x48, 0xE0, 0xC8 };
    for (int i = 0; i < 4; i++)
        CHECK_EQ(read_byte(NULL), up[i]);
    ps2_keyboard_key_event(k, PS2_KEY_PAUSE, true);
    static const uint8_t pause[] = { 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5 };
    for (int i = 0; i < 6; i++)
        CHECK_EQ(read_byte(NULL), pause[i]);
    CHECK_EQ(read_byte(NULL), -1);
    /* Without XLATE the raw set 2 bytes come through. */
    write_ctr(CTR_KBDINT);
    ps2_keyboard_key_event(k, 0x1C, false);
    CHECK_EQ(read_byte(NULL), 0xF0);
    CHECK_EQ(read_byte(NULL), 0x1C);
}

/* Translation of the multi-byte keys and of answers: Print Screen's fake
 * shift and its breaks, keypad Enter, and the scan code set number that
 * F0 00 reports (translated 43/41/3F, as Linux's atkbd decodes it). */
TEST_CASE(translation_special_keys)
{
    setup();
    write_ctr(CTR_KBDINT | CTR_XLATE);
    Ps2Kbd *k = i8042_keyboard(kbc);
    ps2_keyboard_key_event(k, PS2_KEY_PRINT, true);
    ps2_keyboard_key_event(k, PS2_KEY_PRINT, false);
    static const uint8_t print[] = { 0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA };
    for (int i = 0; i < 8; i++)
        CHECK_EQ(read_byte(NULL), print[i]);
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x5A, true);
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x5A, false);
    static const uint8_t kp_enter[] = { 0xE0, 0x1C, 0xE0, 0x9C };
    for (int i = 0; i < 4; i++)
        CHECK_EQ(read_byte(NULL), kp_enter[i]);
    static const uint8_t set_codes[] = { 0, 0x43, 0x41, 0x3F };
    for (int set = 1; set <= 3; set++) {
        outb(DATA, 0xF0);
        outb(DATA, (uint8_t)set);
        CHECK_EQ(read_byte(NULL), 0xFA);
        CHECK_EQ(read_byte(NULL), 0xFA);
        outb(DATA, 0xF0);
        outb(DATA, 0x00);
        CHECK_EQ(read_byte(NULL), 0xFA);
        CHECK_EQ(read_byte(NULL), 0xFA);
        CHECK_EQ(read_byte(NULL), set_codes[set]);
    }
    CHECK_EQ(read_byte(NULL), -1);
    /* Switching translation off passes set 2 through from the next byte on;
     * a byte already in the output buffer stays as it was taken. */
    write_ctr(CTR_KBDINT);
    outb(DATA, 0xF0);
    outb(DATA, 0x02);
    flush();
    ps2_keyboard_key_event(k, 0x1C, true);
    ps2_keyboard_key_event(k, 0x1C, false);
    CHECK_EQ(read_byte(NULL), 0x1C);
    write_ctr(CTR_KBDINT | CTR_XLATE);
    CHECK_EQ(read_byte(NULL), 0xF0);
    CHECK_EQ(read_byte(NULL), 0x1E);          /* the rest of the break, translated */
    CHECK_EQ(read_byte(NULL), -1);
}

/* IRQ 1 follows OBF for keyboard data and the CTR enable; a disabled
 * keyboard port holds its data back until re-enabled; keyboard before mouse. */
TEST_CASE(irq_and_port_enables)
{
    setup();
    write_ctr(CTR_XLATE);
    Ps2Kbd *k = i8042_keyboard(kbc);
    ps2_keyboard_key_event(k, 0x1C, true);
    CHECK(inb(STATUS) & ST_OBF);
    CHECK_EQ(irq_level[0], 0);
    write_ctr(CTR_XLATE | CTR_KBDINT);   /* CTR answer is not pending: data stays */
    CHECK_EQ(irq_level[0], 1);
    CHECK_EQ(inb(DATA), 0x1E);
    CHECK_EQ(irq_level[0], 0);

    outb(CMD, 0xAD);
    ps2_keyboard_key_event(k, 0x1C, false);
    CHECK_EQ(inb(STATUS) & ST_OBF, 0);
    CHECK_EQ(irq_level[0], 0);
    outb(CMD, 0xAE);
    CHECK_EQ(irq_level[0], 1);
    CHECK_EQ(read_byte(NULL), 0x9E);

    /* Mouse and keyboard data both pending: keyboard first, AUXB right. */
    write_ctr(CTR_XLATE | CTR_KBDINT | CTR_AUXINT);
    outb(CMD, 0xD4);
    outb(DATA, 0xF4);                    /* enable mouse reporting */
    uint8_t st;
    CHECK_EQ(read_byte(&st), 0xFA);
    CHECK(st & ST_AUXB);
    outb(CMD, 0xAD);
    outb(CMD, 0xA7);
    ps2_keyboard_key_event(k, 0x1C, true);
    ps2_mouse_event(i8042_mouse(kbc), 1, 0, 0, 0);
    CHECK_EQ(inb(STATUS) & ST_OBF, 0);
    outb(CMD, 0xAE);
    outb(CMD, 0xA8);
    CHECK_EQ(read_byte(&st), 0x1E);
    CHECK_EQ(st & ST_AUXB, 0);
    static const uint8_t pkt[] = { 0x08, 0x01, 0x00 };
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(irq_level[1], 1);
        CHECK_EQ(irq_level[0], 0);
        CHECK_EQ(read_byte(&st), pkt[i]);
        CHECK(st & ST_AUXB);
    }
    CHECK_EQ(read_byte(NULL), -1);
}

/* A guest that reads port 0x60 slowly (one byte per two key events, the
 * way a busy guest lags a monitor typing into it) while 200 keys, some
 * with Shift held, go in back to back: every byte reaches it, in order,
 * as set 1 (the 8042 translating; IBM PC AT Technical Reference scan
 * codes), without an overrun code. */
TEST_CASE(slow_guest_gets_every_key)
{
    static const struct { int key; uint8_t set1; bool ext; } keys[] = {
        { 0x1C, 0x1E, false }, { 0x32, 0x30, false }, { 0x21, 0x2E, false },   /* a b c */
        { 0x2C, 0x14, false }, { 0x33, 0x23, false }, { 0x24, 0x12, false },   /* t h e */
        { 0x29, 0x39, false }, { 0x5A, 0x1C, false },                          /* space Enter */
        { 0x75, 0x48, true }, { 0x71, 0x53, true },                            /* Up Delete */
    };
    const int nkeys = (int)(sizeof(keys) / sizeof(keys[0]));
    static uint8_t want[200 * 8], got[200 * 8 + 16];
    int nwant = 0, ngot = 0, events = 0, b;
    setup();
    write_ctr(CTR_KBDINT | CTR_XLATE);
    Ps2Kbd *k = i8042_keyboard(kbc);
    for (int i = 0; i < 200; i++) {
        int key = keys[i % nkeys].key | (keys[i % nkeys].ext ? PS2_KEY_EXTENDED : 0);
        uint8_t code = keys[i % nkeys].set1;
        bool shifted = i % 7 == 3;
        int seq[4] = { 0x12, key, key, 0x12 };            /* Shift down, key down, up, Shift up */
        bool down[4] = { true, true, false, false };
        for (int e = shifted ? 0 : 1; e < (shifted ? 4 : 3); e++) {
            if (seq[e] == 0x12) {
                want[nwant++] = down[e] ? 0x2A : 0xAA;
            } else {
                if (keys[i % nkeys].ext)
                    want[nwant++] = 0xE0;
                want[nwant++] = down[e] ? code : (uint8_t)(code | 0x80);
            }
            ps2_keyboard_key_event(k, seq[e], down[e]);
            if (++events % 2 == 0 && (b = read_byte(NULL)) >= 0)
                got[ngot++] = (uint8_t)b;
        }
    }
    while (ngot < (int)sizeof(got) && (b = read_byte(NULL)) >= 0)
        got[ngot++] = (uint8_t)b;
    CHECK_EQ(ngot, nwant);
    for (int i = 0; i < nwant; i++)
        CHECK_EQ(got[i], want[i]);
    CHECK_EQ(irq_rises[0], ngot);           /* an IRQ 1 edge for every byte */
}

/* Reset requests: 0xFE, any pulse with bit 0 clear, output port bit 0 = 0;
 * 0xFF pulses nothing. */
TEST_CASE(reset_requests)
{
    setup();
    outb(CMD, 0xFF);
    CHECK_EQ(m->request, REQUEST_NONE);
    outb(CMD, 0xFE);
    CHECK_EQ(m->request, REQUEST_RESET);
    m->request = REQUEST_NONE;
    outb(CMD, 0xF0);
    CHECK_EQ(m->request, REQUEST_RESET);
    m->request = REQUEST_NONE;
    outb(CMD, 0xD1);
    outb(DATA, 0x03);                    /* reset high: nothing */
    CHECK_EQ(m->request, REQUEST_NONE);
    outb(CMD, 0xD1);
    outb(DATA, 0x02);
    CHECK_EQ(m->request, REQUEST_RESET);
    m->request = REQUEST_NONE;
}

/* A20 through the output port and the 0xDD/0xDF commands. */
TEST_CASE(a20_gate)
{
    setup();
    CHECK(i8042_a20_enabled(kbc));
    outb(CMD, 0xD1);
    outb(DATA, 0x01);                    /* A20 off, reset high */
    CHECK_EQ(a20_calls, 1);
    CHECK(!a20_state);
    CHECK(!i8042_a20_enabled(kbc));
    outb(CMD, 0xD0);
    CHECK_EQ(read_byte(NULL) & 0x03, 0x01);
    outb(CMD, 0xDF);
    CHECK_EQ(a20_calls, 2);
    CHECK(a20_state);
    outb(CMD, 0xDF);                     /* no change, no call */
    CHECK_EQ(a20_calls, 2);
    outb(CMD, 0xDD);
    CHECK(!i8042_a20_enabled(kbc));
    CHECK_EQ(m->request, REQUEST_NONE);
}

/* Linux psmouse: reset, then the IntelliMouse knock 200,100,80 gives id 3
 * and 4-byte packets reach the guest through the controller. */
TEST_CASE(intellimouse_detection)
{
    setup();
    write_ctr(CTR_KBDINT | CTR_AUXINT | CTR_XLATE);
    static const uint8_t seq[] = { 0xFF, 0xF3, 200, 0xF3, 100, 0xF3, 80, 0xF2 };
    static const uint8_t want[] = { 0xFA, 0xAA, 0x00, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA,
                                    0xFA, 0x03 };
    int got = 0;
    for (size_t i = 0; i < sizeof(seq); i++) {
        outb(CMD, 0xD4);
        outb(DATA, seq[i]);
        int b;
        uint8_t st;
        while ((b = read_byte(&st)) >= 0) {
            CHECK(st & ST_AUXB);
            CHECK(got < (int)sizeof(want));
            CHECK_EQ(b, want[got]);
            got++;
        }
    }
    CHECK_EQ(got, (int)sizeof(want));
    outb(CMD, 0xD4);
    outb(DATA, 0xF4);
    CHECK_EQ(read_byte(NULL), 0xFA);
    ps2_mouse_event(i8042_mouse(kbc), 3, -2, -1, PS2_BUTTON_LEFT);
    static const uint8_t pkt[] = { 0x09, 0x03, 0x02, 0xFF };
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(irq_level[1], 1);
        CHECK_EQ(read_byte(NULL), pkt[i]);
    }
    CHECK_EQ(read_byte(NULL), -1);
}

/* Machine reset empties the buffer, lowers the IRQs and resets the devices. */
TEST_CASE(machine_reset)
{
    setup();
    write_ctr(CTR_KBDINT | CTR_AUXINT);
    outb(DATA, 0xF0);                    /* keyboard to set 3 */
    outb(DATA, 0x03);
    outb(CMD, 0xD3);
    outb(DATA, 0x11);
    CHECK(irq_level[0] || irq_level[1]);
    machine_reset_devices(m);
    CHECK_EQ(inb(STATUS) & ST_OBF, 0);
    CHECK_EQ(irq_level[0], 0);
    CHECK_EQ(irq_level[1], 0);
    CHECK_EQ(ps2_keyboard_scancode_set(i8042_keyboard(kbc)), 2);
    CHECK_EQ(read_ctr() & (CTR_KBDINT | CTR_AUXINT | CTR_XLATE),
             CTR_KBDINT | CTR_AUXINT | CTR_XLATE);
}

/* Junk from the guest: unknown commands, data with nothing pending, wide
 * accesses; nothing crashes and the controller still answers. */
TEST_CASE(guest_junk)
{
    setup();
    for (int c = 0; c < 256; c++) {
        if (c == 0xD1 || (c >= 0xF0 && !(c & 1)) || (c >= 0x60 && c <= 0x7F))
            continue;   /* these change state on purpose, tested above */
        outb(CMD, (uint8_t)c);
        outb(DATA, 0xF4);
        flush();
    }
    as_write(m->io, DATA, 4, 0xFFFFFFFF);
    flush();
    outb(CMD, 0xAA);
    CHECK_EQ(read_byte(NULL), 0x55);
    CHECK_EQ(m->request, REQUEST_NONE);
}

int main(void)
{
    RUN(linux_controller_probe);
    RUN(linux_aux_probe);
    RUN(mouse_through_controller);
    RUN(keyboard_reset_identify);
    RUN(translation);
    RUN(translation_special_keys);
    RUN(irq_and_port_enables);
    RUN(slow_guest_gets_every_key);
    RUN(reset_requests);
    RUN(a20_gate);
    RUN(intellimouse_detection);
    RUN(machine_reset);
    RUN(guest_junk);
    TEST_EXIT();
}
