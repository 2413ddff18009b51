/*
 * PS/2 keyboard and mouse driven directly (no controller), checked against
 * the IBM PS/2 keyboard/mouse command set, Brouwer's scan code tables and
 * the IntelliMouse protocol: answers, scan codes in sets 1-3, LEDs, the key
 * backlog and its overrun, mouse packets (signs, overflow, splitting,
 * scaling, wheel).
 */
#include "test.h"

#include "hw/input/ps2.h"

static int notifications;

static void count_notify(void *opaque)
{
    (void)opaque;
    notifications++;
}

/* Drain a device into buf; returns the byte count. */
static int drain_kbd(Ps2Kbd *k, uint8_t *buf, int max)
{
    int n = 0, b;
    while (n < max && (b = ps2_keyboard_read(k)) >= 0)
        buf[n++] = (uint8_t)b;
    return n;
}

static int drain_mouse(Ps2Mouse *m, uint8_t *buf, int max)
{
    int n = 0, b;
    while (n < max && (b = ps2_mouse_read(m)) >= 0)
        buf[n++] = (uint8_t)b;
    return n;
}

#define EXPECT_BYTES(drain, dev, ...) do { \
        const uint8_t want_[] = { __VA_ARGS__ }; \
        uint8_t got_[64]; \
        int n_ = drain(dev, got_, 64); \
        CHECK_EQ(n_, (int)sizeof(want_)); \
        for (int i_ = 0; i_ < n_; i_++) \
            CHECK_EQ(got_[i_], want_[i_]); \
    } while (0)

#define KBD_EXPECT(k, ...) EXPECT_BYTES(drain_kbd, k, __VA_ARGS__)
#define MOUSE_EXPECT(m, ...) EXPECT_BYTES(drain_mouse, m, __VA_ARGS__)

/* Reset answers ACK then BAT passed; identify gives the MF2 id AB 83. */
TEST_CASE(kbd_reset_and_identify)
{
    Ps2Kbd *k = ps2_keyboard_new(count_notify, NULL);
    notifications = 0;
    ps2_keyboard_write(k, 0xFF);
    CHECK(notifications > 0);
    CHECK(ps2_keyboard_has_data(k));
    KBD_EXPECT(k, 0xFA, 0xAA);
    CHECK(!ps2_keyboard_has_data(k));
    CHECK_EQ(ps2_keyboard_read(k), -1);
    ps2_keyboard_write(k, 0xF2);
    KBD_EXPECT(k, 0xFA, 0xAB, 0x83);
    ps2_keyboard_write(k, 0xEE);          /* echo: no ACK */
    KBD_EXPECT(k, 0xEE);
    ps2_keyboard_free(k);
}

/* LEDs, typematic and scan code set commands take an argument, each byte ACKed. */
TEST_CASE(kbd_argument_commands)
{
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    ps2_keyboard_write(k, 0xED);
    ps2_keyboard_write(k, 0x05);
    KBD_EXPECT(k, 0xFA, 0xFA);
    CHECK_EQ(ps2_keyboard_leds(k), 5);
    ps2_keyboard_write(k, 0xF3);
    ps2_keyboard_write(k, 0x20);
    KBD_EXPECT(k, 0xFA, 0xFA);
    ps2_keyboard_write(k, 0xF0);           /* query */
    ps2_keyboard_write(k, 0x00);           /* the argument is ACKed too */
    KBD_EXPECT(k, 0xFA, 0xFA, 0x02);
    ps2_keyboard_write(k, 0xF0);
    ps2_keyboard_write(k, 0x03);
    KBD_EXPECT(k, 0xFA, 0xFA);
    CHECK_EQ(ps2_keyboard_scancode_set(k), 3);
    ps2_keyboard_write(k, 0xF0);
    ps2_keyboard_write(k, 0x07);           /* no such set */
    KBD_EXPECT(k, 0xFA, 0xFE);
    CHECK_EQ(ps2_keyboard_scancode_set(k), 3);
    /* A command byte where an argument was expected starts a new command. */
    ps2_keyboard_write(k, 0xED);
    ps2_keyboard_write(k, 0xF2);
    KBD_EXPECT(k, 0xFA, 0xFA, 0xAB, 0x83);
    CHECK_EQ(ps2_keyboard_leds(k), 5);
    /* Resend repeats the last byte sent. */
    ps2_keyboard_write(k, 0xFE);
    KBD_EXPECT(k, 0x83);
    /* Unknown command: resend request. */
    ps2_keyboard_write(k, 0xE5);
    KBD_EXPECT(k, 0xFE);
    /* Defaults restore set 2. */
    ps2_keyboard_write(k, 0xF6);
    KBD_EXPECT(k, 0xFA);
    CHECK_EQ(ps2_keyboard_scancode_set(k), 2);
    ps2_keyboard_free(k);
}

/* Make/break codes of the same keys in sets 2, 1 and 3 (Brouwer's tables). */
TEST_CASE(kbd_scancode_sets)
{
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    /* set 2 */
    ps2_keyboard_key_event(k, 0x1C, true);                      /* A */
    ps2_keyboard_key_event(k, 0x1C, false);
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x75, true);   /* Up */
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x75, false);
    KBD_EXPECT(k, 0x1C, 0xF0, 0x1C, 0xE0, 0x75, 0xE0, 0xF0, 0x75);
    ps2_keyboard_key_event(k, PS2_KEY_PRINT, true);
    ps2_keyboard_key_event(k, PS2_KEY_PRINT, false);
    KBD_EXPECT(k, 0xE0, 0x12, 0xE0, 0x7C, 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12);
    ps2_keyboard_key_event(k, PS2_KEY_PAUSE, true);
    ps2_keyboard_key_event(k, PS2_KEY_PAUSE, false);   /* Pause has no break */
    KBD_EXPECT(k, 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);

    /* set 1 */
    ps2_keyboard_write(k, 0xF0);
    ps2_keyboard_write(k, 0x01);
    KBD_EXPECT(k, 0xFA, 0xFA);
    ps2_keyboard_key_event(k, 0x1C, true);
    ps2_keyboard_key_event(k, 0x1C, false);
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x75, true);
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x75, false);
    KBD_EXPECT(k, 0x1E, 0x9E, 0xE0, 0x48, 0xE0, 0xC8);
    ps2_keyboard_key_event(k, 0x83, true);                      /* F7 */
    ps2_keyboard_key_event(k, 0x76, true);                      /* Esc */
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x14, false);  /* right Ctrl up */
    KBD_EXPECT(k, 0x41, 0x01, 0xE0, 0x9D);
    ps2_keyboard_key_event(k, PS2_KEY_PAUSE, true);
    KBD_EXPECT(k, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);

    /* set 3: single-byte codes, F0 break, no E0 */
    ps2_keyboard_write(k, 0xF0);
    ps2_keyboard_write(k, 0x03);
    KBD_EXPECT(k, 0xFA, 0xFA);
    ps2_keyboard_key_event(k, 0x1C, true);
    ps2_keyboard_key_event(k, 0x1C, false);
    ps2_keyboard_key_event(k, 0x05, true);                      /* F1 */
    ps2_keyboard_key_event(k, 0x76, true);                      /* Esc */
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x75, true);   /* Up */
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x14, false);  /* right Ctrl */
    KBD_EXPECT(k, 0x1C, 0xF0, 0x1C, 0x07, 0x08, 0x63, 0xF0, 0x58);
    ps2_keyboard_free(k);
}

/* The set 2 -> set 1 mapping for keys across the keyboard (IBM tables). */
TEST_CASE(set2_to_set1_table)
{
    static const uint8_t pairs[][2] = {
        { 0x76, 0x01 }, { 0x05, 0x3B }, { 0x06, 0x3C }, { 0x04, 0x3D }, { 0x0C, 0x3E },
        { 0x03, 0x3F }, { 0x0B, 0x40 }, { 0x83, 0x41 }, { 0x0A, 0x42 }, { 0x01, 0x43 },
        { 0x09, 0x44 }, { 0x78, 0x57 }, { 0x07, 0x58 }, { 0x0E, 0x29 }, { 0x16, 0x02 },
        { 0x45, 0x0B }, { 0x4E, 0x0C }, { 0x55, 0x0D }, { 0x66, 0x0E }, { 0x0D, 0x0F },
        { 0x15, 0x10 }, { 0x4D, 0x19 }, { 0x54, 0x1A }, { 0x5B, 0x1B }, { 0x5A, 0x1C },
        { 0x14, 0x1D }, { 0x1C, 0x1E }, { 0x4C, 0x27 }, { 0x52, 0x28 }, { 0x12, 0x2A },
        { 0x5D, 0x2B }, { 0x1A, 0x2C }, { 0x4A, 0x35 }, { 0x59, 0x36 }, { 0x7C, 0x37 },
        { 0x11, 0x38 }, { 0x29, 0x39 }, { 0x58, 0x3A }, { 0x77, 0x45 }, { 0x7E, 0x46 },
        { 0x6C, 0x47 }, { 0x75, 0x48 }, { 0x7D, 0x49 }, { 0x7B, 0x4A }, { 0x6B, 0x4B },
        { 0x73, 0x4C }, { 0x74, 0x4D }, { 0x79, 0x4E }, { 0x69, 0x4F }, { 0x72, 0x50 },
        { 0x7A, 0x51 }, { 0x70, 0x52 }, { 0x71, 0x53 }, { 0x61, 0x56 }, { 0x1F, 0x5B },
        { 0x27, 0x5C }, { 0x2F, 0x5D },
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        CHECK_EQ(ps2_set2_to_set1(pairs[i][0]), pairs[i][1]);
    /* Protocol bytes pass through. */
    CHECK_EQ(ps2_set2_to_set1(0xFA), 0xFA);
    CHECK_EQ(ps2_set2_to_set1(0xE0), 0xE0);
    CHECK_EQ(ps2_set2_to_set1(0xAA), 0xAA);
    /* Every code maps to a distinct set 1 code (it is a permutation). */
    int seen[256] = { 0 };
    for (int c = 0; c < 128; c++)
        CHECK_EQ(seen[ps2_set2_to_set1((uint8_t)c)]++, 0);
}

/* Disabled scanning drops keys. Keys the queue cannot take wait, however
 * many, and come out in order as it is read: 40 events arrive whole. */
TEST_CASE(kbd_disable_and_backlog)
{
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    ps2_keyboard_write(k, 0xF5);
    KBD_EXPECT(k, 0xFA);
    ps2_keyboard_key_event(k, 0x1C, true);
    CHECK(!ps2_keyboard_has_data(k));
    ps2_keyboard_write(k, 0xF4);
    KBD_EXPECT(k, 0xFA);
    for (int i = 0; i < 40; i++)
        ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x75, (i & 1) == 0);
    uint8_t buf[128];
    int n = drain_kbd(k, buf, 128);
    CHECK_EQ(n, 20 * 5);                      /* Up: E0 75, E0 F0 75 */
    for (int i = 0; i < n; i += 5) {
        CHECK_EQ(buf[i], 0xE0);
        CHECK_EQ(buf[i + 1], 0x75);
        CHECK_EQ(buf[i + 2], 0xE0);
        CHECK_EQ(buf[i + 3], 0xF0);
        CHECK_EQ(buf[i + 4], 0x75);
    }
    /* An answer still fits behind a full queue of keys, ahead of the
     * keys that wait. */
    for (int i = 0; i < 10; i++)
        ps2_keyboard_key_event(k, 0x1C, (i & 1) == 0);
    ps2_keyboard_write(k, 0xEE);
    n = drain_kbd(k, buf, 128);
    CHECK_EQ(n, 5 * 3 + 1);
    int echo = -1;
    for (int i = 0; i < n; i++)
        if (buf[i] == 0xEE)
            echo = i;
    CHECK(echo > 0 && echo <= 12);            /* after what the queue held, before the rest */
    /* Bad key codes from the UI are refused, not queued. */
    ps2_keyboard_key_event(k, 0x1234, true);
    ps2_keyboard_key_event(k, -1, true);
    CHECK(!ps2_keyboard_has_data(k));
    ps2_keyboard_free(k);
}

/* A guest that reads nothing: keys past the backlog are dropped and the
 * overrun code (00 in set 2) stands once where they went, after every key
 * kept; typing works again once the guest reads. A reset forgets waiting
 * keys, as a real keyboard empties its buffer. */
TEST_CASE(kbd_backlog_overrun)
{
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    int sent = PS2_KEY_BACKLOG + 100;
    for (int i = 0; i < sent; i++)
        ps2_keyboard_key_event(k, 0x1C, (i & 1) == 0);   /* A: 1C, F0 1C */
    static uint8_t buf[3 * PS2_KEY_BACKLOG];
    int n = drain_kbd(k, buf, (int)sizeof(buf));
    CHECK(n > 0 && n < (int)sizeof(buf));
    CHECK_EQ(buf[n - 1], 0x00);
    int events = 0, i = 0;
    while (i < n - 1) {
        if (events & 1) {
            CHECK_EQ(buf[i], 0xF0);
            CHECK_EQ(buf[i + 1], 0x1C);
            i += 2;
        } else {
            CHECK_EQ(buf[i], 0x1C);
            i++;
        }
        events++;
    }
    CHECK_EQ(i, n - 1);
    CHECK(events >= PS2_KEY_BACKLOG - 1);
    CHECK(events < sent);
    ps2_keyboard_key_event(k, 0x1C, true);
    KBD_EXPECT(k, 0x1C);

    for (int j = 0; j < 100; j++)
        ps2_keyboard_key_event(k, 0x1C, (j & 1) != 0);
    ps2_keyboard_write(k, 0xFF);
    KBD_EXPECT(k, 0xFA, 0xAA);
    ps2_keyboard_free(k);
}

/* 200 keys typed far faster than the reader takes bytes (one byte per
 * three key events): every make and break arrives, in order, in set 2
 * (Brouwer's tables), with no overrun code. */
TEST_CASE(kbd_slow_reader_gets_every_key)
{
    static const struct { int key; uint8_t make[2]; int n; } keys[] = {
        { 0x1C, { 0x1C }, 1 }, { 0x32, { 0x32 }, 1 }, { 0x21, { 0x21 }, 1 },   /* a b c */
        { 0x29, { 0x29 }, 1 }, { 0x5A, { 0x5A }, 1 },                          /* space, Enter */
        { PS2_KEY_EXTENDED | 0x75, { 0xE0, 0x75 }, 2 },                       /* Up */
        { PS2_KEY_EXTENDED | 0x71, { 0xE0, 0x71 }, 2 },                       /* Delete */
        { 0x12, { 0x12 }, 1 },                                                /* left Shift */
    };
    const int nkeys = (int)(sizeof(keys) / sizeof(keys[0]));
    static uint8_t want[200 * 5], got[200 * 5 + 16];
    int nwant = 0, ngot = 0, events = 0, b;
    Ps2Kbd *k = ps2_keyboard_new(count_notify, NULL);
    for (int i = 0; i < 200; i++) {
        int key = keys[i % nkeys].key, mn = keys[i % nkeys].n;
        for (int down = 1; down >= 0; down--) {
            for (int j = 0; j < mn; j++) {
                if (!down && j == mn - 1)
                    want[nwant++] = 0xF0;
                want[nwant++] = keys[i % nkeys].make[j];
            }
            ps2_keyboard_key_event(k, key, down);
            if (++events % 3 == 0 && (b = ps2_keyboard_read(k)) >= 0)
                got[ngot++] = (uint8_t)b;
        }
    }
    ngot += drain_kbd(k, got + ngot, (int)sizeof(got) - ngot);
    CHECK_EQ(ngot, nwant);
    CHECK(memcmp(got, want, (size_t)nwant) == 0);
    ps2_keyboard_free(k);
}

/* Reset gives ACK, BAT, id 0; status request reports the defaults
 * (100 samples/s, resolution 2, stream, disabled). */
TEST_CASE(mouse_reset_and_status)
{
    Ps2Mouse *m = ps2_mouse_new(count_notify, NULL);
    notifications = 0;
    ps2_mouse_write(m, 0xFF);
    CHECK(notifications > 0);
    MOUSE_EXPECT(m, 0xFA, 0xAA, 0x00);
    ps2_mouse_write(m, 0xF2);
    MOUSE_EXPECT(m, 0xFA, 0x00);
    ps2_mouse_write(m, 0xE9);
    MOUSE_EXPECT(m, 0xFA, 0x00, 0x02, 100);
    ps2_mouse_write(m, 0xE8);
    ps2_mouse_write(m, 0x03);
    ps2_mouse_write(m, 0xE7);
    ps2_mouse_write(m, 0xF3);
    ps2_mouse_write(m, 40);
    ps2_mouse_write(m, 0xF4);
    MOUSE_EXPECT(m, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA);
    ps2_mouse_event(m, 0, 0, 0, PS2_BUTTON_LEFT);
    MOUSE_EXPECT(m, 0x09, 0x00, 0x00);
    ps2_mouse_write(m, 0xE9);
    MOUSE_EXPECT(m, 0xFA, 0x20 | 0x10 | 0x04, 0x03, 40);
    ps2_mouse_write(m, 0xF3);
    ps2_mouse_write(m, 7);              /* not a valid rate */
    MOUSE_EXPECT(m, 0xFA, 0xFE);
    ps2_mouse_write(m, 0xE1);           /* TrackPoint probe: not us */
    MOUSE_EXPECT(m, 0xFE);
    ps2_mouse_write(m, 0xF6);
    ps2_mouse_write(m, 0xE9);
    MOUSE_EXPECT(m, 0xFA, 0xFA, 0x04, 0x02, 100);
    ps2_mouse_free(m);
}

/* Standard packets: sync bit, buttons, 9-bit signed deltas with y up. */
TEST_CASE(mouse_packets)
{
    Ps2Mouse *m = ps2_mouse_new(NULL, NULL);
    ps2_mouse_event(m, 5, 5, 0, 0);     /* reporting disabled: nothing */
    CHECK(!ps2_mouse_has_data(m));
    ps2_mouse_write(m, 0xF4);
    MOUSE_EXPECT(m, 0xFA);
    ps2_mouse_event(m, 10, -20, 3, 0);  /* right, up; wheel not enabled */
    MOUSE_EXPECT(m, 0x08, 10, 20);
    ps2_mouse_event(m, 0, 0, 5, 0);     /* wheel alone: nothing to report */
    CHECK(!ps2_mouse_has_data(m));
    ps2_mouse_event(m, -5, 3, 0, PS2_BUTTON_RIGHT | PS2_BUTTON_MIDDLE);
    MOUSE_EXPECT(m, 0x08 | 0x10 | 0x20 | 0x02 | 0x04, 0xFB, 0xFD);
    /* A large move is split across packets, nothing lost. */
    ps2_mouse_event(m, 600, 0, 0, 0);
    MOUSE_EXPECT(m, 0x08, 255, 0, 0x08, 255, 0, 0x08, 90, 0);
    ps2_mouse_event(m, -300, 0, 0, 0);
    MOUSE_EXPECT(m, 0x18, 0x00, 0, 0x18, 0xD4, 0);   /* -256, then -44 */
    /* 2:1 scaling in stream mode. */
    ps2_mouse_write(m, 0xE7);
    MOUSE_EXPECT(m, 0xFA);
    ps2_mouse_event(m, 4, 0, 0, 0);
    ps2_mouse_event(m, 10, 0, 0, 0);
    MOUSE_EXPECT(m, 0x08, 6, 0, 0x08, 20, 0);
    ps2_mouse_free(m);
}

/* Remote mode: motion accumulates and 0xEB reads one packet, with the
 * overflow bit when the motion did not fit. */
TEST_CASE(mouse_remote_mode)
{
    Ps2Mouse *m = ps2_mouse_new(NULL, NULL);
    ps2_mouse_write(m, 0xF0);
    MOUSE_EXPECT(m, 0xFA);
    ps2_mouse_event(m, 300, 0, 0, 0);
    CHECK(!ps2_mouse_has_data(m));
    ps2_mouse_write(m, 0xEB);
    MOUSE_EXPECT(m, 0xFA, 0x48, 0xFF, 0x00);
    ps2_mouse_write(m, 0xEB);           /* counters were cleared */
    MOUSE_EXPECT(m, 0xFA, 0x08, 0x00, 0x00);
    /* Wrap mode echoes until 0xEC. */
    ps2_mouse_write(m, 0xEE);
    ps2_mouse_write(m, 0x12);
    ps2_mouse_write(m, 0xF2);
    ps2_mouse_write(m, 0xEC);
    ps2_mouse_write(m, 0xF2);
    MOUSE_EXPECT(m, 0xFA, 0x12, 0xF2, 0xFA, 0xFA, 0x00);
    ps2_mouse_free(m);
}

static void set_rate(Ps2Mouse *m, uint8_t rate)
{
    ps2_mouse_write(m, 0xF3);
    ps2_mouse_write(m, rate);
}

/* Sample-rate knocks 200,100,80 -> id 3 (wheel); then 200,200,80 -> id 4
 * (wheel + buttons 4/5), with 4-byte packets. */
TEST_CASE(mouse_intellimouse)
{
    Ps2Mouse *m = ps2_mouse_new(NULL, NULL);
    set_rate(m, 200);
    set_rate(m, 200);
    set_rate(m, 80);                    /* Explorer knock first: stays 0 */
    ps2_mouse_write(m, 0xF2);
    MOUSE_EXPECT(m, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0x00);
    set_rate(m, 200);
    set_rate(m, 100);
    set_rate(m, 80);
    ps2_mouse_write(m, 0xF2);
    MOUSE_EXPECT(m, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0x03);
    ps2_mouse_write(m, 0xF4);
    MOUSE_EXPECT(m, 0xFA);
    ps2_mouse_event(m, 1, 0, 2, 0);
    ps2_mouse_event(m, 0, 0, -1, 0);
    MOUSE_EXPECT(m, 0x08, 1, 0, 2, 0x08, 0, 0, 0xFF);
    ps2_mouse_event(m, 0, 0, 20, 0);    /* beyond -8..7: spread over packets */
    MOUSE_EXPECT(m, 0x08, 0, 0, 7, 0x08, 0, 0, 7, 0x08, 0, 0, 6);

    set_rate(m, 200);
    set_rate(m, 200);
    set_rate(m, 80);
    ps2_mouse_write(m, 0xF2);
    MOUSE_EXPECT(m, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0x04);
    CHECK_EQ(ps2_mouse_id(m), 4);
    ps2_mouse_event(m, 0, 0, -2, PS2_BUTTON_SIDE | PS2_BUTTON_LEFT);
    MOUSE_EXPECT(m, 0x09, 0, 0, 0x10 | 0x0E);
    /* Reset drops back to a plain mouse. */
    ps2_mouse_write(m, 0xFF);
    ps2_mouse_write(m, 0xF2);
    MOUSE_EXPECT(m, 0xFA, 0xAA, 0x00, 0xFA, 0x00);
    ps2_mouse_free(m);
}

/* 0xF3 takes any rate/delay byte below 0x80 and keeps it; defaults (0xF6),
 * reset (0xFF) and disable (0xF5) restore 0x2B; a byte with bit 7 set is a
 * command, not a rate. */
TEST_CASE(kbd_typematic)
{
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    CHECK_EQ(ps2_keyboard_typematic(k), 0x2B);
    ps2_keyboard_write(k, 0xF3);
    ps2_keyboard_write(k, 0x7F);           /* slowest: 2 cps after 1 s */
    KBD_EXPECT(k, 0xFA, 0xFA);
    CHECK_EQ(ps2_keyboard_typematic(k), 0x7F);
    ps2_keyboard_write(k, 0xF3);
    ps2_keyboard_write(k, 0xEE);           /* echo instead of an argument */
    KBD_EXPECT(k, 0xFA, 0xEE);
    CHECK_EQ(ps2_keyboard_typematic(k), 0x7F);
    ps2_keyboard_write(k, 0xF6);
    KBD_EXPECT(k, 0xFA);
    CHECK_EQ(ps2_keyboard_typematic(k), 0x2B);
    ps2_keyboard_write(k, 0xF3);
    ps2_keyboard_write(k, 0x00);           /* fastest: 30 cps after 250 ms */
    KBD_EXPECT(k, 0xFA, 0xFA);
    CHECK_EQ(ps2_keyboard_typematic(k), 0x00);
    ps2_keyboard_write(k, 0xF5);
    KBD_EXPECT(k, 0xFA);
    CHECK_EQ(ps2_keyboard_typematic(k), 0x2B);
    ps2_keyboard_write(k, 0xF3);
    ps2_keyboard_write(k, 0x20);
    KBD_EXPECT(k, 0xFA, 0xFA);
    ps2_keyboard_write(k, 0xFF);
    KBD_EXPECT(k, 0xFA, 0xAA);
    CHECK_EQ(ps2_keyboard_typematic(k), 0x2B);
    ps2_keyboard_free(k);
}

/* 0xF4 drops keys the host has not read; 0xF5 also goes back to set 2 and
 * stops scanning; 0xFF scans again; LEDs survive F5/F6 but not a reset;
 * resend repeats a key byte just as well as an answer. */
TEST_CASE(kbd_enable_disable_reset)
{
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    ps2_keyboard_write(k, 0xED);
    ps2_keyboard_write(k, 0x04);           /* Caps Lock LED */
    ps2_keyboard_write(k, 0xF0);
    ps2_keyboard_write(k, 0x01);
    KBD_EXPECT(k, 0xFA, 0xFA, 0xFA, 0xFA);
    ps2_keyboard_key_event(k, 0x1C, true);
    ps2_keyboard_write(k, 0xF4);
    KBD_EXPECT(k, 0xFA);                   /* the queued 0x1E is gone */
    ps2_keyboard_key_event(k, 0x1C, false);
    CHECK_EQ(ps2_keyboard_read(k), 0x9E);
    ps2_keyboard_write(k, 0xFE);
    KBD_EXPECT(k, 0x9E);
    ps2_keyboard_write(k, 0xF5);
    KBD_EXPECT(k, 0xFA);
    CHECK_EQ(ps2_keyboard_scancode_set(k), 2);
    CHECK_EQ(ps2_keyboard_leds(k), 4);
    ps2_keyboard_key_event(k, 0x1C, true);
    CHECK(!ps2_keyboard_has_data(k));
    ps2_keyboard_write(k, 0xF2);           /* commands still work while disabled */
    KBD_EXPECT(k, 0xFA, 0xAB, 0x83);
    ps2_keyboard_write(k, 0xFF);
    KBD_EXPECT(k, 0xFA, 0xAA);
    CHECK_EQ(ps2_keyboard_leds(k), 0);
    ps2_keyboard_key_event(k, 0x1C, true);
    KBD_EXPECT(k, 0x1C);
    ps2_keyboard_free(k);
}

/* The keys with odd sequences, in set 1 (what a translating 8042 makes of
 * set 2): Print Screen's fake shift, keypad keys with and without E0. */
TEST_CASE(kbd_set1_special_keys)
{
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    ps2_keyboard_write(k, 0xF0);
    ps2_keyboard_write(k, 0x01);
    KBD_EXPECT(k, 0xFA, 0xFA);
    ps2_keyboard_key_event(k, PS2_KEY_PRINT, true);
    ps2_keyboard_key_event(k, PS2_KEY_PRINT, false);
    KBD_EXPECT(k, 0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA);
    ps2_keyboard_key_event(k, 0x6C, true);                      /* keypad 7 */
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x4A, true);   /* keypad / */
    ps2_keyboard_key_event(k, PS2_KEY_EXTENDED | 0x5A, false);  /* keypad Enter up */
    ps2_keyboard_key_event(k, 0x7C, true);                      /* keypad * */
    KBD_EXPECT(k, 0x47, 0xE0, 0x35, 0xE0, 0x9C, 0x37);
    ps2_keyboard_free(k);
}

/* The UI and the monitor find devices by creation order. */
TEST_CASE(device_registry)
{
    /* Devices a failed case above did not free come first. */
    int k0 = 0, m0 = 0;
    while (ps2_keyboard_get(k0))
        k0++;
    while (ps2_mouse_get(m0))
        m0++;
    if (k0 > PS2_MAX_KEYBOARDS - 2 || m0 > PS2_MAX_MICE - 2)
        SKIP("earlier cases left too many devices");
    Ps2Kbd *k1 = ps2_keyboard_new(NULL, NULL), *k2 = ps2_keyboard_new(NULL, NULL);
    Ps2Mouse *m1 = ps2_mouse_new(NULL, NULL), *m2 = ps2_mouse_new(NULL, NULL);
    CHECK(ps2_keyboard_get(k0) == k1);
    CHECK(ps2_keyboard_get(k0 + 1) == k2);
    CHECK(ps2_keyboard_get(k0 + 2) == NULL);
    CHECK(ps2_keyboard_get(-1) == NULL);
    CHECK(ps2_mouse_get(m0) == m1);
    CHECK(ps2_mouse_get(m0 + 1) == m2);
    CHECK(ps2_mouse_get(PS2_MAX_MICE) == NULL);
    ps2_keyboard_free(k1);
    ps2_mouse_free(m1);
    CHECK(ps2_keyboard_get(k0) == k2);
    CHECK(ps2_mouse_get(m0) == m2);
    CHECK(ps2_mouse_get(m0 + 1) == NULL);
    ps2_keyboard_free(k2);
    ps2_mouse_free(m2);
    CHECK(ps2_keyboard_get(k0) == NULL);
    CHECK(ps2_mouse_get(m0) == NULL);
}

/* Sum the X/Y deltas of standard 3-byte packets (9-bit two's complement). */
static void sum_packets(const uint8_t *p, int n, int *dx, int *dy, int *flags_or)
{
    *dx = *dy = *flags_or = 0;
    for (int i = 0; i + 2 < n; i += 3) {
        *flags_or |= p[i];
        *dx += p[i + 1] - ((p[i] & 0x10) ? 256 : 0);
        *dy += p[i + 2] - ((p[i] & 0x20) ? 256 : 0);
    }
}

/* Motion beyond what the queue holds is kept and sent as the host reads;
 * motion beyond the device's counters is clamped and flagged overflow. */
TEST_CASE(mouse_large_motion)
{
    Ps2Mouse *m = ps2_mouse_new(NULL, NULL);
    ps2_mouse_write(m, 0xF4);
    MOUSE_EXPECT(m, 0xFA);
    for (int i = 0; i < 10; i++)
        ps2_mouse_event(m, 100, -50, 0, 0);   /* 1000 right, 500 up, unread */
    uint8_t buf[256];
    int n = drain_mouse(m, buf, 256);
    CHECK_EQ(n % 3, 0);
    for (int i = 0; i < n; i += 3)
        CHECK(buf[i] & 0x08);                 /* every packet in sync */
    int dx, dy, flags;
    sum_packets(buf, n, &dx, &dy, &flags);
    CHECK_EQ(dx, 1000);
    CHECK_EQ(dy, 500);                        /* the packet's y points up */
    CHECK_EQ(flags & 0xC0, 0);
    /* Far beyond the counters: clamped, the first packet says overflow. */
    ps2_mouse_event(m, -100000, 100000, 0, 0);
    n = drain_mouse(m, buf, 256);
    sum_packets(buf, n, &dx, &dy, &flags);
    CHECK_EQ(buf[0] & 0xC0, 0xC0);
    CHECK(dx < -1000 && dx >= -4096);
    CHECK(dy < -1000 && dy >= -4096);
    CHECK_EQ(buf[3] & 0xC0, 0);               /* only once */
    ps2_mouse_free(m);
}

/* Disable drops queued packets; remote mode ignores the reporting switch
 * and sends nothing by itself; defaults bring back stream mode. */
TEST_CASE(mouse_modes)
{
    Ps2Mouse *m = ps2_mouse_new(NULL, NULL);
    ps2_mouse_write(m, 0xF4);
    ps2_mouse_event(m, 3, 0, 0, 0);
    ps2_mouse_write(m, 0xF5);
    MOUSE_EXPECT(m, 0xFA);                    /* the packet went with F5 */
    ps2_mouse_write(m, 0xF0);
    ps2_mouse_write(m, 0xF4);
    MOUSE_EXPECT(m, 0xFA, 0xFA);
    ps2_mouse_event(m, 7, 0, 0, PS2_BUTTON_LEFT);
    CHECK(!ps2_mouse_has_data(m));
    ps2_mouse_write(m, 0xE9);
    MOUSE_EXPECT(m, 0xFA, 0x40 | 0x20 | 0x04, 0x02, 100);
    ps2_mouse_write(m, 0xEB);
    MOUSE_EXPECT(m, 0xFA, 0x09, 7, 0);
    ps2_mouse_write(m, 0xF6);
    MOUSE_EXPECT(m, 0xFA);
    ps2_mouse_write(m, 0xE9);
    MOUSE_EXPECT(m, 0xFA, 0x04, 0x02, 100);   /* stream, disabled, left still held */
    ps2_mouse_write(m, 0xE8);
    ps2_mouse_write(m, 0x04);                 /* resolution 0..3 only */
    MOUSE_EXPECT(m, 0xFA, 0xFE);
    ps2_mouse_write(m, 0xFE);                 /* resend the last byte */
    MOUSE_EXPECT(m, 0xFE);
    ps2_mouse_free(m);
}

/* Wheel: 4-bit signed in Explorer mode, with buttons 4/5 in bits 4-5;
 * towards the user is positive. */
TEST_CASE(mouse_explorer_wheel)
{
    Ps2Mouse *m = ps2_mouse_new(NULL, NULL);
    static const uint8_t knock[] = { 200, 100, 80, 200, 200, 80 };
    for (int i = 0; i < 6; i++)
        set_rate(m, knock[i]);
    ps2_mouse_write(m, 0xF4);
    drain_mouse(m, (uint8_t[32]){ 0 }, 32);
    CHECK_EQ(ps2_mouse_id(m), 4);
    ps2_mouse_event(m, 0, 0, 3, PS2_BUTTON_EXTRA);
    MOUSE_EXPECT(m, 0x08, 0, 0, 0x20 | 0x03);
    ps2_mouse_event(m, 0, 0, -20, 0);         /* -8 is the most one packet holds */
    MOUSE_EXPECT(m, 0x08, 0, 0, 0x08, 0x08, 0, 0, 0x08, 0x08, 0, 0, 0x0C);
    ps2_mouse_free(m);
}

int main(void)
{
    RUN(kbd_reset_and_identify);
    RUN(kbd_argument_commands);
    RUN(kbd_scancode_sets);
    RUN(set2_to_set1_table);
    RUN(kbd_disable_and_backlog);
    RUN(kbd_backlog_overrun);
    RUN(kbd_slow_reader_gets_every_key);
    RUN(mouse_reset_and_status);
    RUN(mouse_packets);
    RUN(mouse_remote_mode);
    RUN(mouse_intellimouse);
    RUN(kbd_typematic);
    RUN(kbd_enable_disable_reset);
    RUN(kbd_set1_special_keys);
    RUN(device_registry);
    RUN(mouse_large_motion);
    RUN(mouse_modes);
    RUN(mouse_explorer_wheel);
    TEST_EXIT();
}
