/*
 * The SDL scancode -> PS/2 key table (ui/sdl_keymap.c) checked against the
 * IBM PC/AT scan code set 1 and set 2 tables (Brouwer, "Keyboard scancodes";
 * Microsoft's USB HID to PS/2 translation table), and fed through a real
 * PS/2 keyboard model to see every entry produce its make/break bytes.
 */
#include <SDL_scancode.h>

#include "test.h"

#include "hw/input/ps2.h"
#include "ui/ui.h"

/* Set 1 make codes: what a guest reading the 8042 (translation on) sees. */
static const struct { int sdl; int set1; bool e0; } set1_keys[] = {
    { SDL_SCANCODE_ESCAPE, 0x01, 0 }, { SDL_SCANCODE_1, 0x02, 0 }, { SDL_SCANCODE_2, 0x03, 0 },
    { SDL_SCANCODE_3, 0x04, 0 }, { SDL_SCANCODE_4, 0x05, 0 }, { SDL_SCANCODE_5, 0x06, 0 },
    { SDL_SCANCODE_6, 0x07, 0 }, { SDL_SCANCODE_7, 0x08, 0 }, { SDL_SCANCODE_8, 0x09, 0 },
    { SDL_SCANCODE_9, 0x0A, 0 }, { SDL_SCANCODE_0, 0x0B, 0 }, { SDL_SCANCODE_MINUS, 0x0C, 0 },
    { SDL_SCANCODE_EQUALS, 0x0D, 0 }, { SDL_SCANCODE_BACKSPACE, 0x0E, 0 },
    { SDL_SCANCODE_TAB, 0x0F, 0 }, { SDL_SCANCODE_Q, 0x10, 0 }, { SDL_SCANCODE_W, 0x11, 0 },
    { SDL_SCANCODE_E, 0x12, 0 }, { SDL_SCANCODE_R, 0x13, 0 }, { SDL_SCANCODE_T, 0x14, 0 },
    { SDL_SCANCODE_Y, 0x15, 0 }, { SDL_SCANCODE_U, 0x16, 0 }, { SDL_SCANCODE_I, 0x17, 0 },
    { SDL_SCANCODE_O, 0x18, 0 }, { SDL_SCANCODE_P, 0x19, 0 },
    { SDL_SCANCODE_LEFTBRACKET, 0x1A, 0 }, { SDL_SCANCODE_RIGHTBRACKET, 0x1B, 0 },
    { SDL_SCANCODE_RETURN, 0x1C, 0 }, { SDL_SCANCODE_LCTRL, 0x1D, 0 },
    { SDL_SCANCODE_A, 0x1E, 0 }, { SDL_SCANCODE_S, 0x1F, 0 }, { SDL_SCANCODE_D, 0x20, 0 },
    { SDL_SCANCODE_F, 0x21, 0 }, { SDL_SCANCODE_G, 0x22, 0 }, { SDL_SCANCODE_H, 0x23, 0 },
    { SDL_SCANCODE_J, 0x24, 0 }, { SDL_SCANCODE_K, 0x25, 0 }, { SDL_SCANCODE_L, 0x26, 0 },
    { SDL_SCANCODE_SEMICOLON, 0x27, 0 }, { SDL_SCANCODE_APOSTROPHE, 0x28, 0 },
    { SDL_SCANCODE_GRAVE, 0x29, 0 }, { SDL_SCANCODE_LSHIFT, 0x2A, 0 },
    { SDL_SCANCODE_BACKSLASH, 0x2B, 0 }, { SDL_SCANCODE_Z, 0x2C, 0 }, { SDL_SCANCODE_X, 0x2D, 0 },
    { SDL_SCANCODE_C, 0x2E, 0 }, { SDL_SCANCODE_V, 0x2F, 0 }, { SDL_SCANCODE_B, 0x30, 0 },
    { SDL_SCANCODE_N, 0x31, 0 }, { SDL_SCANCODE_M, 0x32, 0 }, { SDL_SCANCODE_COMMA, 0x33, 0 },
    { SDL_SCANCODE_PERIOD, 0x34, 0 }, { SDL_SCANCODE_SLASH, 0x35, 0 },
    { SDL_SCANCODE_RSHIFT, 0x36, 0 }, { SDL_SCANCODE_KP_MULTIPLY, 0x37, 0 },
    { SDL_SCANCODE_LALT, 0x38, 0 }, { SDL_SCANCODE_SPACE, 0x39, 0 },
    { SDL_SCANCODE_CAPSLOCK, 0x3A, 0 }, { SDL_SCANCODE_F1, 0x3B, 0 }, { SDL_SCANCODE_F2, 0x3C, 0 },
    { SDL_SCANCODE_F3, 0x3D, 0 }, { SDL_SCANCODE_F4, 0x3E, 0 }, { SDL_SCANCODE_F5, 0x3F, 0 },
    { SDL_SCANCODE_F6, 0x40, 0 }, { SDL_SCANCODE_F7, 0x41, 0 }, { SDL_SCANCODE_F8, 0x42, 0 },
    { SDL_SCANCODE_F9, 0x43, 0 }, { SDL_SCANCODE_F10, 0x44, 0 },
    { SDL_SCANCODE_NUMLOCKCLEAR, 0x45, 0 }, { SDL_SCANCODE_SCROLLLOCK, 0x46, 0 },
    { SDL_SCANCODE_KP_7, 0x47, 0 }, { SDL_SCANCODE_KP_8, 0x48, 0 }, { SDL_SCANCODE_KP_9, 0x49, 0 },
    { SDL_SCANCODE_KP_MINUS, 0x4A, 0 }, { SDL_SCANCODE_KP_4, 0x4B, 0 },
    { SDL_SCANCODE_KP_5, 0x4C, 0 }, { SDL_SCANCODE_KP_6, 0x4D, 0 }, { SDL_SCANCODE_KP_PLUS, 0x4E, 0 },
    { SDL_SCANCODE_KP_1, 0x4F, 0 }, { SDL_SCANCODE_KP_2, 0x50, 0 }, { SDL_SCANCODE_KP_3, 0x51, 0 },
    { SDL_SCANCODE_KP_0, 0x52, 0 }, { SDL_SCANCODE_KP_PERIOD, 0x53, 0 },
    { SDL_SCANCODE_NONUSBACKSLASH, 0x56, 0 }, { SDL_SCANCODE_F11, 0x57, 0 },
    { SDL_SCANCODE_F12, 0x58, 0 }, { SDL_SCANCODE_KP_EQUALS, 0x59, 0 },
    { SDL_SCANCODE_INTERNATIONAL2, 0x70, 0 }, { SDL_SCANCODE_INTERNATIONAL1, 0x73, 0 },
    { SDL_SCANCODE_INTERNATIONAL4, 0x79, 0 }, { SDL_SCANCODE_INTERNATIONAL5, 0x7B, 0 },
    { SDL_SCANCODE_INTERNATIONAL3, 0x7D, 0 }, { SDL_SCANCODE_F13, 0x64, 0 },
    /* the gray keys with the E0 prefix */
    { SDL_SCANCODE_KP_ENTER, 0x1C, 1 }, { SDL_SCANCODE_RCTRL, 0x1D, 1 },
    { SDL_SCANCODE_KP_DIVIDE, 0x35, 1 }, { SDL_SCANCODE_RALT, 0x38, 1 },
    { SDL_SCANCODE_HOME, 0x47, 1 }, { SDL_SCANCODE_UP, 0x48, 1 }, { SDL_SCANCODE_PAGEUP, 0x49, 1 },
    { SDL_SCANCODE_LEFT, 0x4B, 1 }, { SDL_SCANCODE_RIGHT, 0x4D, 1 }, { SDL_SCANCODE_END, 0x4F, 1 },
    { SDL_SCANCODE_DOWN, 0x50, 1 }, { SDL_SCANCODE_PAGEDOWN, 0x51, 1 },
    { SDL_SCANCODE_INSERT, 0x52, 1 }, { SDL_SCANCODE_DELETE, 0x53, 1 },
    { SDL_SCANCODE_LGUI, 0x5B, 1 }, { SDL_SCANCODE_RGUI, 0x5C, 1 },
    { SDL_SCANCODE_APPLICATION, 0x5D, 1 }, { SDL_SCANCODE_POWER, 0x5E, 1 },
    { SDL_SCANCODE_SLEEP, 0x5F, 1 }, { SDL_SCANCODE_MUTE, 0x20, 1 },
    { SDL_SCANCODE_VOLUMEDOWN, 0x2E, 1 }, { SDL_SCANCODE_VOLUMEUP, 0x30, 1 },
    { SDL_SCANCODE_AUDIONEXT, 0x19, 1 }, { SDL_SCANCODE_AUDIOPREV, 0x10, 1 },
    { SDL_SCANCODE_AUDIOPLAY, 0x22, 1 }, { SDL_SCANCODE_CALCULATOR, 0x21, 1 },
};

/* Every key's set 1 code, reached through the set 2 code the table holds. */
TEST_CASE(set1_codes)
{
    for (size_t i = 0; i < sizeof(set1_keys) / sizeof(set1_keys[0]); i++) {
        int code = sdl_keymap_to_ps2(set1_keys[i].sdl);
        if (code < 0)
            printf("  scancode %d unmapped\n", set1_keys[i].sdl);
        CHECK(code >= 0);
        CHECK_EQ(!!(code & PS2_KEY_EXTENDED), set1_keys[i].e0);
        if (ps2_set2_to_set1((uint8_t)code) != set1_keys[i].set1)
            printf("  scancode %d -> set 2 0x%x\n", set1_keys[i].sdl, code);
        CHECK_EQ(ps2_set2_to_set1((uint8_t)code), set1_keys[i].set1);
    }
}

/* A few set 2 codes straight from the set 2 table, and the special keys. */
TEST_CASE(set2_codes_and_specials)
{
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_A), 0x1C);
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_F7), 0x83);      /* the one code above 0x7F */
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_ESCAPE), 0x76);
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_UP), PS2_KEY_EXTENDED | 0x75);
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_PRINTSCREEN), PS2_KEY_PRINT);
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_SYSREQ), PS2_KEY_PRINT);
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_PAUSE), PS2_KEY_PAUSE);
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_NONUSHASH), sdl_keymap_to_ps2(SDL_SCANCODE_BACKSLASH));
    /* Not PC keys, or not SDL scancodes at all. */
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_UNKNOWN), -1);
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_LANG1), -1);    /* Hangul: no break code */
    CHECK_EQ(sdl_keymap_to_ps2(SDL_SCANCODE_MODE), -1);
    CHECK_EQ(sdl_keymap_to_ps2(-1), -1);
    CHECK_EQ(sdl_keymap_to_ps2(SDL_NUM_SCANCODES), -1);
    CHECK_EQ(sdl_keymap_to_ps2(1 << 30), -1);
}

static int drain(Ps2Kbd *k, uint8_t *buf, int max)
{
    int n = 0, b;
    while (n < max && (b = ps2_keyboard_read(k)) >= 0)
        buf[n++] = (uint8_t)b;
    return n;
}

/* Every entry is a key the keyboard model accepts: in set 2 its make is
 * [E0] code and its break [E0] F0 code; no two host keys share a PC key
 * except the documented aliases. */
TEST_CASE(every_entry_types)
{
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    int owner[0x400];
    for (int i = 0; i < 0x400; i++)
        owner[i] = -1;
    int mapped = 0;
    for (int sc = 0; sc < SDL_NUM_SCANCODES; sc++) {
        int code = sdl_keymap_to_ps2(sc);
        if (code < 0)
            continue;
        mapped++;
        CHECK(code < 0x400);
        if (owner[code] >= 0) {
            bool alias = (sc == SDL_SCANCODE_NONUSHASH && owner[code] == SDL_SCANCODE_BACKSLASH)
                || (sc == SDL_SCANCODE_SYSREQ && owner[code] == SDL_SCANCODE_PRINTSCREEN);
            if (!alias)
                printf("  scancodes %d and %d both map to 0x%x\n", owner[code], sc, code);
            CHECK(alias);
        }
        owner[code] = sc;
        uint8_t buf[32];
        ps2_keyboard_key_event(k, code, true);
        ps2_keyboard_key_event(k, code, false);
        int n = drain(k, buf, 32);
        if (code == PS2_KEY_PAUSE || code == PS2_KEY_PRINT) {
            CHECK(n >= 6);
            continue;
        }
        bool e0 = code & PS2_KEY_EXTENDED;
        CHECK_EQ(n, e0 ? 5 : 3);
        int i = 0;
        if (e0)
            CHECK_EQ(buf[i++], 0xE0);
        CHECK_EQ(buf[i++], code & 0xFF);
        if (e0)
            CHECK_EQ(buf[i++], 0xE0);
        CHECK_EQ(buf[i++], 0xF0);
        CHECK_EQ(buf[i++], code & 0xFF);
    }
    CHECK(mapped >= 104);   /* at least a full 104-key PC keyboard */
    ps2_keyboard_free(k);
}

int main(void)
{
    RUN(set1_codes);
    RUN(set2_codes_and_specials);
    RUN(every_entry_types);
    TEST_EXIT();
}
