/*
 * PS/2 keyboard and mouse, as seen from the host side of the serial link:
 * IBM PS/2 Technical Reference (keyboard/auxiliary device commands), scan
 * code sets after A. Brouwer's "Keyboard scancodes", IntelliMouse and
 * IntelliMouse Explorer extensions after Microsoft's PS/2 mouse notes.
 * QEMU's key names map to set 2 codes here for the monitor's sendkey.
 * Host keys wait in a backlog until the byte queue has room, so no typing
 * burst overruns the 16 bytes a real keyboard buffers.
 * Left out: typematic repeat (the UI sends repeated downs), set 3 per-key
 * modes (all keys make/break), the fake-shift codes of set 2 navigation keys.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/input/ps2.h"
#include "mimic/log.h"

#define PS2_ACK      0xFA
#define PS2_RESEND   0xFE
#define PS2_BAT_OK   0xAA
#define PS2_ECHO     0xEE

/* Bytes kept free in the queue so a command's answer always fits behind
 * queued key or motion data (the longest answer is 4 bytes). */
#define PS2_QUEUE_RESERVE 4

typedef struct Ps2Queue {
    uint8_t data[PS2_QUEUE_SIZE];
    int head;
    int count;
} Ps2Queue;

static void queue_clear(Ps2Queue *q)
{
    q->head = 0;
    q->count = 0;
}

static int queue_room(const Ps2Queue *q)
{
    return PS2_QUEUE_SIZE - q->count;
}

/* A full queue drops its oldest byte: an answer to the host matters more
 * than stale input the host has not read. */
static void queue_push(Ps2Queue *q, uint8_t byte)
{
    if (q->count == PS2_QUEUE_SIZE) {
        q->head = (q->head + 1) % PS2_QUEUE_SIZE;
        q->count--;
    }
    q->data[(q->head + q->count) % PS2_QUEUE_SIZE] = byte;
    q->count++;
}

static int queue_pop(Ps2Queue *q)
{
    if (q->count == 0)
        return -1;
    uint8_t b = q->data[q->head];
    q->head = (q->head + 1) % PS2_QUEUE_SIZE;
    q->count--;
    return b;
}

/* ---- Scan code sets ---------------------------------------------------- */

/* Set 2 make code -> set 1 make code, the table of the 8042's translation
 * (IBM PC AT Technical Reference); entry 0 is the overrun code. */
static const uint8_t set2_to_set1[128] = {
    0xFF, 0x43, 0x41, 0x3F, 0x3D, 0x3B, 0x3C, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3E, 0x0F, 0x29, 0x59,
    0x65, 0x38, 0x2A, 0x70, 0x1D, 0x10, 0x02, 0x5A, 0x66, 0x71, 0x2C, 0x1F, 0x1E, 0x11, 0x03, 0x5B,
    0x67, 0x2E, 0x2D, 0x20, 0x12, 0x05, 0x04, 0x5C, 0x68, 0x39, 0x2F, 0x21, 0x14, 0x13, 0x06, 0x5D,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5E, 0x6A, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5F,
    0x6B, 0x33, 0x25, 0x17, 0x18, 0x0B, 0x0A, 0x60, 0x6C, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0C, 0x61,
    0x6D, 0x73, 0x28, 0x74, 0x1A, 0x0D, 0x62, 0x6E, 0x3A, 0x36, 0x1C, 0x1B, 0x75, 0x2B, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7A, 0x0E, 0x7B, 0x7C, 0x4F, 0x7D, 0x4B, 0x47, 0x7E, 0x7F, 0x6F,
    0x52, 0x53, 0x50, 0x4C, 0x4D, 0x48, 0x01, 0x45, 0x57, 0x4E, 0x51, 0x4A, 0x37, 0x49, 0x46, 0x54,
};

uint8_t ps2_set2_to_set1(uint8_t code)
{
    if (code < 0x80)
        return set2_to_set1[code];
    if (code == 0x83)       /* F7, the one set 2 key code above 0x7F */
        return 0x41;
    return code;
}

/* QEMU's key names (its QKeyCode spellings) and their set 2 codes, for the
 * monitor's sendkey. Keys of a 105-key PC keyboard; media keys left out. */
static const struct { const char *name; int code; } key_names[] = {
    { "esc", 0x76 }, { "1", 0x16 }, { "2", 0x1E }, { "3", 0x26 }, { "4", 0x25 },
    { "5", 0x2E }, { "6", 0x36 }, { "7", 0x3D }, { "8", 0x3E }, { "9", 0x46 }, { "0", 0x45 },
    { "minus", 0x4E }, { "equal", 0x55 }, { "backspace", 0x66 }, { "tab", 0x0D },
    { "q", 0x15 }, { "w", 0x1D }, { "e", 0x24 }, { "r", 0x2D }, { "t", 0x2C }, { "y", 0x35 },
    { "u", 0x3C }, { "i", 0x43 }, { "o", 0x44 }, { "p", 0x4D },
    { "bracket_left", 0x54 }, { "bracket_right", 0x5B }, { "ret", 0x5A }, { "ctrl", 0x14 },
    { "a", 0x1C }, { "s", 0x1B }, { "d", 0x23 }, { "f", 0x2B }, { "g", 0x34 }, { "h", 0x33 },
    { "j", 0x3B }, { "k", 0x42 }, { "l", 0x4B }, { "semicolon", 0x4C }, { "apostrophe", 0x52 },
    { "grave_accent", 0x0E }, { "shift", 0x12 }, { "backslash", 0x5D },
    { "z", 0x1A }, { "x", 0x22 }, { "c", 0x21 }, { "v", 0x2A }, { "b", 0x32 }, { "n", 0x31 },
    { "m", 0x3A }, { "comma", 0x41 }, { "dot", 0x49 }, { "slash", 0x4A }, { "shift_r", 0x59 },
    { "kp_multiply", 0x7C }, { "asterisk", 0x7C }, { "alt", 0x11 }, { "spc", 0x29 },
    { "caps_lock", 0x58 },
    { "f1", 0x05 }, { "f2", 0x06 }, { "f3", 0x04 }, { "f4", 0x0C }, { "f5", 0x03 },
    { "f6", 0x0B }, { "f7", 0x83 }, { "f8", 0x0A }, { "f9", 0x01 }, { "f10", 0x09 },
    { "f11", 0x78 }, { "f12", 0x07 }, { "num_lock", 0x77 }, { "scroll_lock", 0x7E },
    { "kp_7", 0x6C }, { "kp_8", 0x75 }, { "kp_9", 0x7D }, { "kp_subtract", 0x7B },
    { "kp_4", 0x6B }, { "kp_5", 0x73 }, { "kp_6", 0x74 }, { "kp_add", 0x79 },
    { "kp_1", 0x69 }, { "kp_2", 0x72 }, { "kp_3", 0x7A }, { "kp_0", 0x70 },
    { "kp_decimal", 0x71 }, { "less", 0x61 },
    { "kp_enter", PS2_KEY_EXTENDED | 0x5A }, { "ctrl_r", PS2_KEY_EXTENDED | 0x14 },
    { "kp_divide", PS2_KEY_EXTENDED | 0x4A }, { "print", PS2_KEY_PRINT },
    { "alt_r", PS2_KEY_EXTENDED | 0x11 }, { "altgr", PS2_KEY_EXTENDED | 0x11 },
    { "home", PS2_KEY_EXTENDED | 0x6C }, { "up", PS2_KEY_EXTENDED | 0x75 },
    { "pgup", PS2_KEY_EXTENDED | 0x7D }, { "left", PS2_KEY_EXTENDED | 0x6B },
    { "right", PS2_KEY_EXTENDED | 0x74 }, { "end", PS2_KEY_EXTENDED | 0x69 },
    { "down", PS2_KEY_EXTENDED | 0x72 }, { "pgdn", PS2_KEY_EXTENDED | 0x7A },
    { "insert", PS2_KEY_EXTENDED | 0x70 }, { "delete", PS2_KEY_EXTENDED | 0x71 },
    { "meta_l", PS2_KEY_EXTENDED | 0x1F }, { "meta_r", PS2_KEY_EXTENDED | 0x27 },
    { "menu", PS2_KEY_EXTENDED | 0x2F }, { "pause", PS2_KEY_PAUSE },
};

int ps2_key_from_name(const char *name)
{
    size_t n = sizeof(key_names) / sizeof(key_names[0]);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(key_names[i].name, name))
            return key_names[i].code;
    if (name[0] != '0' || (name[1] != 'x' && name[1] != 'X') || !name[2])
        return -1;
    char *end;
    unsigned long num = strtoul(name + 2, &end, 16);
    if (*end || num == 0 || num > 0xFF)
        return -1;
    /* A QEMU key number is the set 1 code; find the key that sends it. */
    int ext = num & 0x80 ? PS2_KEY_EXTENDED : 0;
    for (size_t i = 0; i < n; i++) {
        int code = key_names[i].code;
        if (code == PS2_KEY_PAUSE || code == PS2_KEY_PRINT || (code & PS2_KEY_EXTENDED) != ext)
            continue;
        if (ps2_set2_to_set1((uint8_t)code) == (num & 0x7F))
            return code;
    }
    return -1;
}

/* Set 3 codes of the keys of a 104/105-key keyboard (set 3 has no 0xE0
 * prefixes); keys without an entry do not exist in set 3. */
static const uint8_t set3_plain[0x84] = {
    [0x01] = 0x47, [0x03] = 0x27, [0x04] = 0x17, [0x05] = 0x07, [0x06] = 0x0F, [0x07] = 0x5E,
    [0x09] = 0x4F, [0x0A] = 0x3F, [0x0B] = 0x2F, [0x0C] = 0x1F, [0x0D] = 0x0D, [0x0E] = 0x0E,
    [0x11] = 0x19, [0x12] = 0x12, [0x14] = 0x11, [0x15] = 0x15, [0x16] = 0x16, [0x1A] = 0x1A,
    [0x1B] = 0x1B, [0x1C] = 0x1C, [0x1D] = 0x1D, [0x1E] = 0x1E, [0x21] = 0x21, [0x22] = 0x22,
    [0x23] = 0x23, [0x24] = 0x24, [0x25] = 0x25, [0x26] = 0x26, [0x29] = 0x29, [0x2A] = 0x2A,
    [0x2B] = 0x2B, [0x2C] = 0x2C, [0x2D] = 0x2D, [0x2E] = 0x2E, [0x31] = 0x31, [0x32] = 0x32,
    [0x33] = 0x33, [0x34] = 0x34, [0x35] = 0x35, [0x36] = 0x36, [0x3A] = 0x3A, [0x3B] = 0x3B,
    [0x3C] = 0x3C, [0x3D] = 0x3D, [0x3E] = 0x3E, [0x41] = 0x41, [0x42] = 0x42, [0x43] = 0x43,
    [0x44] = 0x44, [0x45] = 0x45, [0x46] = 0x46, [0x49] = 0x49, [0x4A] = 0x4A, [0x4B] = 0x4B,
    [0x4C] = 0x4C, [0x4D] = 0x4D, [0x4E] = 0x4E, [0x52] = 0x52, [0x54] = 0x54, [0x55] = 0x55,
    [0x58] = 0x14, [0x59] = 0x59, [0x5A] = 0x5A, [0x5B] = 0x5B, [0x5D] = 0x5C, [0x61] = 0x13,
    [0x66] = 0x66, [0x69] = 0x69, [0x6B] = 0x6B, [0x6C] = 0x6C, [0x70] = 0x70, [0x71] = 0x71,
    [0x72] = 0x72, [0x73] = 0x73, [0x74] = 0x74, [0x75] = 0x75, [0x76] = 0x08, [0x77] = 0x76,
    [0x78] = 0x56, [0x79] = 0x7C, [0x7A] = 0x7A, [0x7B] = 0x84, [0x7C] = 0x7E, [0x7D] = 0x7D,
    [0x7E] = 0x5F, [0x83] = 0x37,
};
static const uint8_t set3_extended[0x80] = {
    [0x11] = 0x39, [0x14] = 0x58, [0x1F] = 0x8B, [0x27] = 0x8C, [0x2F] = 0x8D, [0x4A] = 0x77,
    [0x5A] = 0x79, [0x69] = 0x65, [0x6B] = 0x61, [0x6C] = 0x6E, [0x70] = 0x67, [0x71] = 0x64,
    [0x72] = 0x60, [0x74] = 0x6A, [0x75] = 0x63, [0x7A] = 0x6D, [0x7C] = 0x57, [0x7D] = 0x6F,
};
#define SET3_PAUSE 0x62

/* ---- Keyboard ---------------------------------------------------------- */

#define KBD_ID_1 0xAB   /* MF2 keyboard */
#define KBD_ID_2 0x83
#define KBD_DEFAULT_TYPEMATIC 0x2B   /* 10.9 cps, 500 ms delay */

/* A backlog entry that sends the overrun code instead of a key. */
#define KBD_EVENT_OVERRUN (-1)

typedef struct Ps2KeyEvent {
    int16_t code;         /* a ps2.h key code, or KBD_EVENT_OVERRUN */
    bool down;
} Ps2KeyEvent;

struct Ps2Kbd {
    Ps2NotifyFn notify;
    void *opaque;
    Ps2Queue queue;
    /* Host key events not scanned yet, oldest at backlog_head: a key is
     * scanned (encoded into the queue) only when its whole sequence fits. */
    Ps2KeyEvent backlog[PS2_KEY_BACKLOG];
    int backlog_head, backlog_count;
    int pending_cmd;      /* command waiting for its argument byte, or 0 */
    int set;              /* 1, 2 or 3 */
    bool scanning;
    unsigned leds;
    uint8_t typematic;
    uint8_t last_sent;    /* for 0xFE resend */
};

static void kbd_defaults(Ps2Kbd *kbd)
{
    kbd->set = 2;
    kbd->typematic = KBD_DEFAULT_TYPEMATIC;
    kbd->pending_cmd = 0;
}

void ps2_keyboard_reset(Ps2Kbd *kbd)
{
    queue_clear(&kbd->queue);
    kbd->backlog_head = kbd->backlog_count = 0;
    kbd_defaults(kbd);
    kbd->scanning = true;
    kbd->leds = 0;
    kbd->last_sent = 0;
}

/* The keyboards the UI and the monitor can reach (see ps2_keyboard_get). */
static Ps2Kbd *keyboards[PS2_MAX_KEYBOARDS];

Ps2Kbd *ps2_keyboard_new(Ps2NotifyFn notify, void *opaque)
{
    Ps2Kbd *kbd = calloc(1, sizeof(*kbd));
    if (!kbd)
        fatal("out of memory");
    kbd->notify = notify;
    kbd->opaque = opaque;
    ps2_keyboard_reset(kbd);
    for (int i = 0; i < PS2_MAX_KEYBOARDS; i++) {
        if (!keyboards[i]) {
            keyboards[i] = kbd;
            break;
        }
    }
    return kbd;
}

void ps2_keyboard_free(Ps2Kbd *kbd)
{
    for (int i = 0; i < PS2_MAX_KEYBOARDS; i++) {
        if (keyboards[i] == kbd) {
            /* Keep creation order for the ones after it. */
            memmove(&keyboards[i], &keyboards[i + 1],
                    (PS2_MAX_KEYBOARDS - 1 - i) * sizeof(keyboards[0]));
            keyboards[PS2_MAX_KEYBOARDS - 1] = NULL;
            break;
        }
    }
    free(kbd);
}

Ps2Kbd *ps2_keyboard_get(int index)
{
    return index >= 0 && index < PS2_MAX_KEYBOARDS ? keyboards[index] : NULL;
}

/* Queue a complete answer or key sequence, then tell the controller. */
static void kbd_send(Ps2Kbd *kbd, const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++)
        queue_push(&kbd->queue, bytes[i]);
    if (n > 0 && kbd->notify)
        kbd->notify(kbd->opaque);
}

static void kbd_send1(Ps2Kbd *kbd, uint8_t byte)
{
    kbd_send(kbd, &byte, 1);
}

static void kbd_command(Ps2Kbd *kbd, uint8_t cmd)
{
    switch (cmd) {
    case 0xED:   /* set LEDs */
    case 0xF3:   /* set typematic rate/delay */
    case 0xF0:   /* get/set scan code set */
        kbd->pending_cmd = cmd;
        kbd_send1(kbd, PS2_ACK);
        break;
    case 0xEE:
        kbd_send1(kbd, PS2_ECHO);
        break;
    case 0xF2: {
        static const uint8_t id[] = { PS2_ACK, KBD_ID_1, KBD_ID_2 };
        kbd_send(kbd, id, 3);
        break;
    }
    case 0xF4:
        queue_clear(&kbd->queue);
        kbd->scanning = true;
        kbd_send1(kbd, PS2_ACK);
        break;
    case 0xF5:
        /* Keys not scanned yet go too: a disabled keyboard scans none. */
        queue_clear(&kbd->queue);
        kbd->backlog_head = kbd->backlog_count = 0;
        kbd_defaults(kbd);
        kbd->scanning = false;
        kbd_send1(kbd, PS2_ACK);
        break;
    case 0xF6:
        queue_clear(&kbd->queue);
        kbd_defaults(kbd);
        kbd_send1(kbd, PS2_ACK);
        break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA:
        /* set 3 "all keys" modes: every key already sends make and break */
        kbd_send1(kbd, PS2_ACK);
        break;
    case 0xFB: case 0xFC: case 0xFD:
        /* set 3 per-key modes: the key list that follows is acknowledged
         * byte by byte and ignored */
        log_unimp("ps2 keyboard: set 3 per-key mode command 0x%02x ignored\n", cmd);
        kbd->pending_cmd = cmd;
        kbd_send1(kbd, PS2_ACK);
        break;
    case 0xFE:
        kbd_send1(kbd, kbd->last_sent);
        break;
    case 0xFF: {
        static const uint8_t bat[] = { PS2_ACK, PS2_BAT_OK };
        ps2_keyboard_reset(kbd);
        kbd_send(kbd, bat, 2);
        break;
    }
    default:
        guest_error("ps2 keyboard: unknown command 0x%02x\n", cmd);
        kbd_send1(kbd, PS2_RESEND);
        break;
    }
}

/* Does `byte` start a new command rather than answer `pending`? Arguments
 * of 0xED/0xF0/0xF3 are below 0x80; set 3 key lists end at a command. */
static bool kbd_is_new_command(int pending, uint8_t byte)
{
    if (pending >= 0xFB)
        return byte >= 0xED;
    return byte >= 0x80;
}

static void kbd_scan(Ps2Kbd *kbd);

static void kbd_receive(Ps2Kbd *kbd, uint8_t byte)
{
    int cmd = kbd->pending_cmd;

    if (!cmd || kbd_is_new_command(cmd, byte)) {
        kbd->pending_cmd = 0;
        kbd_command(kbd, byte);
        return;
    }
    switch (cmd) {
    case 0xED:
        kbd->leds = byte & 7;
        kbd->pending_cmd = 0;
        break;
    case 0xF3:
        kbd->typematic = byte;
        kbd->pending_cmd = 0;
        break;
    case 0xF0:
        kbd->pending_cmd = 0;
        if (byte == 0) {
            const uint8_t reply[] = { PS2_ACK, (uint8_t)kbd->set };
            kbd_send(kbd, reply, 2);
            return;
        }
        if (byte > 3) {
            guest_error("ps2 keyboard: scan code set %u does not exist\n", byte);
            kbd_send1(kbd, PS2_RESEND);
            return;
        }
        kbd->set = byte;
        break;
    default:   /* an entry of a 0xFB..0xFD key list; stays pending */
        break;
    }
    kbd_send1(kbd, PS2_ACK);
}

void ps2_keyboard_write(Ps2Kbd *kbd, uint8_t byte)
{
    kbd_receive(kbd, byte);
    kbd_scan(kbd);          /* a command that emptied the queue made room */
}

int ps2_keyboard_read(Ps2Kbd *kbd)
{
    int b = queue_pop(&kbd->queue);
    if (b >= 0)
        kbd->last_sent = (uint8_t)b;
    kbd_scan(kbd);
    return b;
}

bool ps2_keyboard_has_data(const Ps2Kbd *kbd)
{
    return kbd->queue.count > 0;
}

unsigned ps2_keyboard_leds(const Ps2Kbd *kbd)
{
    return kbd->leds;
}

int ps2_keyboard_scancode_set(const Ps2Kbd *kbd)
{
    return kbd->set;
}

unsigned ps2_keyboard_typematic(const Ps2Kbd *kbd)
{
    return kbd->typematic;
}

/* The longest sequence a key produces (Pause in sets 1 and 2). */
#define KBD_MAX_SEQUENCE 8

static int kbd_encode(const Ps2Kbd *kbd, int keycode, bool down, uint8_t *out)
{
    int n = 0;
    bool ext = keycode & PS2_KEY_EXTENDED;
    uint8_t code = keycode & 0xFF;

    if (keycode == PS2_KEY_PAUSE) {
        /* Pause sends one sequence on press and nothing on release. */
        static const uint8_t set1[] = { 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5 };
        static const uint8_t set2[] = { 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77 };
        switch (kbd->set) {
        case 1:
            if (!down)
                return 0;
            memcpy(out, set1, sizeof(set1));
            return sizeof(set1);
        case 2:
            if (!down)
                return 0;
            memcpy(out, set2, sizeof(set2));
            return sizeof(set2);
        default:
            if (!down)
                out[n++] = 0xF0;
            out[n++] = SET3_PAUSE;
            return n;
        }
    }
    if (keycode == PS2_KEY_PRINT && kbd->set != 3) {
        /* Print Screen reports as a fake Shift plus the keypad '*' code. */
        if (kbd->set == 1) {
            const uint8_t mk[] = { 0xE0, 0x2A, 0xE0, 0x37 }, br[] = { 0xE0, 0xB7, 0xE0, 0xAA };
            memcpy(out, down ? mk : br, 4);
            return 4;
        }
        const uint8_t mk[] = { 0xE0, 0x12, 0xE0, 0x7C };
        const uint8_t br[] = { 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12 };
        memcpy(out, down ? mk : br, down ? sizeof(mk) : sizeof(br));
        return down ? (int)sizeof(mk) : (int)sizeof(br);
    }

    switch (kbd->set) {
    case 1:
        if (ext)
            out[n++] = 0xE0;
        out[n++] = (uint8_t)(ps2_set2_to_set1(code) | (down ? 0 : 0x80));
        return n;
    case 2:
        if (ext)
            out[n++] = 0xE0;
        if (!down)
            out[n++] = 0xF0;
        out[n++] = code;
        return n;
    default: {
        uint8_t c3 = ext ? set3_extended[code & 0x7F] : set3_plain[code];
        if (!c3) {
            log_unimp("ps2 keyboard: key 0x%x has no scan code set 3 code\n", keycode);
            return 0;
        }
        if (!down)
            out[n++] = 0xF0;
        out[n++] = c3;
        return n;
    }
    }
}

static bool kbd_keycode_valid(int keycode)
{
    if (keycode == PS2_KEY_PAUSE)
        return true;
    if (keycode & ~(PS2_KEY_EXTENDED | 0xFF))
        return false;
    int code = keycode & 0xFF;
    if (keycode & PS2_KEY_EXTENDED)
        return code > 0 && code < 0x80 && code != 0x12 && code != 0x59;  /* fake shifts */
    return code > 0 && (code < 0x80 || code == 0x83);
}

_Static_assert(KBD_MAX_SEQUENCE + PS2_QUEUE_RESERVE <= PS2_QUEUE_SIZE,
               "an empty queue must take any key's sequence");

/* Scan the backlog in order while the next key's whole sequence fits in
 * the queue beside the room kept for answers: the host's typing is paced
 * by the guest's reading, as a real keyboard's typist never outruns it. */
static void kbd_scan(Ps2Kbd *kbd)
{
    while (kbd->backlog_count && kbd->scanning) {
        const Ps2KeyEvent *e = &kbd->backlog[kbd->backlog_head];
        uint8_t seq[KBD_MAX_SEQUENCE];
        int n = 1;
        if (e->code == KBD_EVENT_OVERRUN)
            seq[0] = kbd->set == 1 ? 0xFF : 0x00;
        else
            n = kbd_encode(kbd, e->code, e->down, seq);
        if (n > 0 && queue_room(&kbd->queue) < n + PS2_QUEUE_RESERVE)
            return;
        kbd->backlog_head = (kbd->backlog_head + 1) % PS2_KEY_BACKLOG;
        kbd->backlog_count--;
        kbd_send(kbd, seq, n);
    }
}

void ps2_keyboard_key_event(Ps2Kbd *kbd, int keycode, bool down)
{
    if (!kbd_keycode_valid(keycode)) {
        log_unimp("ps2 keyboard: key code 0x%x is not a set 2 key, dropped\n", keycode);
        return;
    }
    if (!kbd->scanning)
        return;
    /* A full backlog means the guest reads nothing: its last slot holds
     * the overrun code, sent once in place of the keys dropped after it,
     * as a real keyboard does when its buffer fills. */
    int free_slots = PS2_KEY_BACKLOG - kbd->backlog_count;
    if (free_slots <= 1) {
        int last = (kbd->backlog_head + kbd->backlog_count - 1) % PS2_KEY_BACKLOG;
        if (free_slots == 0 || kbd->backlog[last].code == KBD_EVENT_OVERRUN)
            return;
        guest_error("ps2 keyboard: %d key events unread, dropping keys\n", kbd->backlog_count);
        keycode = KBD_EVENT_OVERRUN;
    }
    int tail = (kbd->backlog_head + kbd->backlog_count) % PS2_KEY_BACKLOG;
    kbd->backlog[tail] = (Ps2KeyEvent){ (int16_t)keycode, down };
    kbd->backlog_count++;
    kbd_scan(kbd);
}

/* ---- Mouse ------------------------------------------------------------- */

#define MOUSE_DEFAULT_RATE 100
#define MOUSE_DEFAULT_RESOLUTION 2   /* 4 counts/mm */
/* Motion kept for later packets when the queue is full; beyond this the
 * excess is dropped and the packet's overflow bit tells the host. */
#define MOUSE_MAX_PENDING 2048

enum { MOUSE_STREAM, MOUSE_REMOTE };

struct Ps2Mouse {
    Ps2NotifyFn notify;
    void *opaque;
    Ps2Queue queue;
    int pending_cmd;
    int mode;             /* MOUSE_STREAM or MOUSE_REMOTE */
    bool wrap;
    bool reporting;
    bool scaling21;
    uint8_t rate;
    uint8_t resolution;
    uint8_t id;
    uint8_t last_rates[3];   /* the last three sample rates set, newest last */
    uint8_t last_sent;
    unsigned buttons;
    int dx, dy, dz;          /* motion not yet reported; dy points up */
    bool x_overflow, y_overflow;
    bool buttons_changed;
};

static void mouse_defaults(Ps2Mouse *m)
{
    m->rate = MOUSE_DEFAULT_RATE;
    m->resolution = MOUSE_DEFAULT_RESOLUTION;
    m->scaling21 = false;
    m->reporting = false;
    m->mode = MOUSE_STREAM;
    m->dx = m->dy = m->dz = 0;
    m->x_overflow = m->y_overflow = false;
    m->buttons_changed = false;
}

void ps2_mouse_reset(Ps2Mouse *m)
{
    queue_clear(&m->queue);
    mouse_defaults(m);
    m->pending_cmd = 0;
    m->wrap = false;
    m->id = 0;
    memset(m->last_rates, 0, sizeof(m->last_rates));
    m->last_sent = 0;
}

/* The mice the UI can reach (see ps2_mouse_get). */
static Ps2Mouse *mice[PS2_MAX_MICE];

Ps2Mouse *ps2_mouse_new(Ps2NotifyFn notify, void *opaque)
{
    Ps2Mouse *m = calloc(1, sizeof(*m));
    if (!m)
        fatal("out of memory");
    m->notify = notify;
    m->opaque = opaque;
    ps2_mouse_reset(m);
    for (int i = 0; i < PS2_MAX_MICE; i++) {
        if (!mice[i]) {
            mice[i] = m;
            break;
        }
    }
    return m;
}

void ps2_mouse_free(Ps2Mouse *m)
{
    for (int i = 0; i < PS2_MAX_MICE; i++) {
        if (mice[i] == m) {
            memmove(&mice[i], &mice[i + 1], (PS2_MAX_MICE - 1 - i) * sizeof(mice[0]));
            mice[PS2_MAX_MICE - 1] = NULL;
            break;
        }
    }
    free(m);
}

Ps2Mouse *ps2_mouse_get(int index)
{
    return index >= 0 && index < PS2_MAX_MICE ? mice[index] : NULL;
}

int ps2_mouse_id(const Ps2Mouse *m)
{
    return m->id;
}

static void mouse_send(Ps2Mouse *m, const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++)
        queue_push(&m->queue, bytes[i]);
    if (n > 0 && m->notify)
        m->notify(m->opaque);
}

static void mouse_send1(Ps2Mouse *m, uint8_t byte)
{
    mouse_send(m, &byte, 1);
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 2:1 scaling (stream mode only): small moves stay, larger ones double. */
static int mouse_scale(int v)
{
    static const int small[] = { 0, 1, 1, 3, 6, 9 };
    int a = abs(v);
    int s = a < 6 ? small[a] : 2 * a;
    return v < 0 ? -s : s;
}

static int mouse_packet_size(const Ps2Mouse *m)
{
    return m->id == 3 || m->id == 4 ? 4 : 3;
}

/* Build one packet from the pending motion and take what it reports out of
 * the counters. `stream` applies scaling. Returns the packet length. */
static int mouse_make_packet(Ps2Mouse *m, uint8_t *p, bool stream)
{
    int dx = clamp(m->dx, -256, 255);
    int dy = clamp(m->dy, -256, 255);
    int dz = clamp(m->dz, -8, 7);
    m->dx -= dx;
    m->dy -= dy;
    m->dz -= dz;
    if (stream && m->scaling21) {
        dx = clamp(mouse_scale(dx), -256, 255);
        dy = clamp(mouse_scale(dy), -256, 255);
    }
    p[0] = (uint8_t)(0x08 | (m->buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0)
                     | (m->x_overflow ? 0x40 : 0) | (m->y_overflow ? 0x80 : 0));
    p[1] = (uint8_t)dx;
    p[2] = (uint8_t)dy;
    m->x_overflow = m->y_overflow = false;
    m->buttons_changed = false;
    if (m->id == 3) {
        p[3] = (uint8_t)dz;
        return 4;
    }
    if (m->id == 4) {
        p[3] = (uint8_t)((dz & 0x0F) | ((m->buttons & (PS2_BUTTON_SIDE | PS2_BUTTON_EXTRA)) << 1));
        return 4;
    }
    return 3;
}

static bool mouse_has_motion(const Ps2Mouse *m)
{
    return m->dx || m->dy || m->dz || m->buttons_changed;
}

/* Stream mode: turn pending motion into packets while the queue has room.
 * Returns true if anything was queued. */
static bool mouse_flush(Ps2Mouse *m)
{
    bool sent = false;
    uint8_t p[4];

    if (m->mode != MOUSE_STREAM || !m->reporting || m->wrap || m->pending_cmd)
        return false;
    while (mouse_has_motion(m)
           && queue_room(&m->queue) >= mouse_packet_size(m) + PS2_QUEUE_RESERVE) {
        int n = mouse_make_packet(m, p, true);
        for (int i = 0; i < n; i++)
            queue_push(&m->queue, p[i]);
        sent = true;
    }
    return sent;
}

static int mouse_accumulate(int pending, int delta, bool *overflow)
{
    long v = (long)pending + delta;
    if (v > MOUSE_MAX_PENDING || v < -MOUSE_MAX_PENDING) {
        *overflow = true;
        v = v > 0 ? MOUSE_MAX_PENDING : -MOUSE_MAX_PENDING;
    }
    return (int)v;
}

void ps2_mouse_event(Ps2Mouse *m, int dx, int dy, int dz, unsigned buttons)
{
    buttons &= 0x1F;
    if (m->mode == MOUSE_STREAM && !m->reporting) {
        m->buttons = buttons;   /* remembered for the status byte */
        return;
    }
    if (buttons != m->buttons)
        m->buttons_changed = true;
    m->buttons = buttons;
    /* Clamp the host's values first so the sums below cannot overflow. */
    dx = clamp(dx, -MOUSE_MAX_PENDING * 2, MOUSE_MAX_PENDING * 2);
    dy = clamp(dy, -MOUSE_MAX_PENDING * 2, MOUSE_MAX_PENDING * 2);
    dz = clamp(dz, -MOUSE_MAX_PENDING * 2, MOUSE_MAX_PENDING * 2);
    m->dx = mouse_accumulate(m->dx, dx, &m->x_overflow);
    m->dy = mouse_accumulate(m->dy, -dy, &m->y_overflow);
    if (mouse_packet_size(m) == 4) {   /* a plain mouse has no wheel to report */
        bool z_overflow = false;
        m->dz = mouse_accumulate(m->dz, dz, &z_overflow);
    }
    if (mouse_flush(m) && m->notify)
        m->notify(m->opaque);
}

static void mouse_status(Ps2Mouse *m)
{
    uint8_t b0 = (uint8_t)(((m->buttons & PS2_BUTTON_LEFT) ? 0x04 : 0)
                           | ((m->buttons & PS2_BUTTON_MIDDLE) ? 0x02 : 0)
                           | ((m->buttons & PS2_BUTTON_RIGHT) ? 0x01 : 0)
                           | (m->scaling21 ? 0x10 : 0) | (m->reporting ? 0x20 : 0)
                           | (m->mode == MOUSE_REMOTE ? 0x40 : 0));
    const uint8_t reply[] = { PS2_ACK, b0, m->resolution, m->rate };
    mouse_send(m, reply, 4);
}

/* The IntelliMouse "knock": sample rates 200,100,80 unlock the wheel
 * (id 3); then 200,200,80 unlock buttons 4/5 (id 4). */
static void mouse_set_rate(Ps2Mouse *m, uint8_t rate)
{
    m->rate = rate;
    m->last_rates[0] = m->last_rates[1];
    m->last_rates[1] = m->last_rates[2];
    m->last_rates[2] = rate;
    if (m->last_rates[0] == 200 && m->last_rates[2] == 80) {
        if (m->last_rates[1] == 100 && m->id == 0)
            m->id = 3;
        else if (m->last_rates[1] == 200 && m->id == 3)
            m->id = 4;
    }
}

static void mouse_command(Ps2Mouse *m, uint8_t cmd)
{
    uint8_t p[5];

    switch (cmd) {
    case 0xE6:
        m->scaling21 = false;
        mouse_send1(m, PS2_ACK);
        break;
    case 0xE7:
        m->scaling21 = true;
        mouse_send1(m, PS2_ACK);
        break;
    case 0xE8:   /* set resolution */
    case 0xF3:   /* set sample rate */
        m->pending_cmd = cmd;
        mouse_send1(m, PS2_ACK);
        break;
    case 0xE9:
        mouse_status(m);
        break;
    case 0xEA:
        m->mode = MOUSE_STREAM;
        m->dx = m->dy = m->dz = 0;
        mouse_send1(m, PS2_ACK);
        break;
    case 0xEB: {   /* read data: one packet, counters cleared */
        p[0] = PS2_ACK;
        int n = mouse_make_packet(m, p + 1, false);
        /* Motion beyond one packet's range is lost: say so. */
        if (m->dx)
            p[1] |= 0x40;
        if (m->dy)
            p[1] |= 0x80;
        m->dx = m->dy = m->dz = 0;
        mouse_send(m, p, n + 1);
        break;
    }
    case 0xEC:
        mouse_send1(m, PS2_ACK);
        break;
    case 0xEE:
        m->wrap = true;
        m->dx = m->dy = m->dz = 0;
        mouse_send1(m, PS2_ACK);
        break;
    case 0xF0:
        m->mode = MOUSE_REMOTE;
        m->dx = m->dy = m->dz = 0;
        mouse_send1(m, PS2_ACK);
        break;
    case 0xF2:
        p[0] = PS2_ACK;
        p[1] = m->id;
        mouse_send(m, p, 2);
        break;
    case 0xF4:
        m->reporting = true;
        m->dx = m->dy = m->dz = 0;
        mouse_send1(m, PS2_ACK);
        break;
    case 0xF5:
        m->reporting = false;
        queue_clear(&m->queue);
        mouse_send1(m, PS2_ACK);
        break;
    case 0xF6:
        queue_clear(&m->queue);
        mouse_defaults(m);
        mouse_send1(m, PS2_ACK);
        break;
    case 0xFE:
        mouse_send1(m, m->last_sent);
        break;
    case 0xFF: {
        static const uint8_t bat[] = { PS2_ACK, PS2_BAT_OK, 0x00 };
        ps2_mouse_reset(m);
        mouse_send(m, bat, 3);
        break;
    }
    default:
        /* Vendor probes (Synaptics, TrackPoint 0xE1, ...) get a NAK, as a
         * plain mouse answers them. */
        guest_error("ps2 mouse: unknown command 0x%02x\n", cmd);
        mouse_send1(m, PS2_RESEND);
        break;
    }
}

void ps2_mouse_write(Ps2Mouse *m, uint8_t byte)
{
    if (m->wrap && byte != 0xEC && byte != 0xFF) {
        mouse_send1(m, byte);
        return;
    }
    if (byte == 0xEC)
        m->wrap = false;

    switch (m->pending_cmd) {
    case 0xE8:
        m->pending_cmd = 0;
        if (byte > 3) {
            guest_error("ps2 mouse: resolution %u out of range\n", byte);
            mouse_send1(m, PS2_RESEND);
            return;
        }
        m->resolution = byte;
        mouse_send1(m, PS2_ACK);
        return;
    case 0xF3:
        m->pending_cmd = 0;
        switch (byte) {
        case 10: case 20: case 40: case 60: case 80: case 100: case 200:
            mouse_set_rate(m, byte);
            mouse_send1(m, PS2_ACK);
            return;
        default:
            guest_error("ps2 mouse: sample rate %u not supported\n", byte);
            mouse_send1(m, PS2_RESEND);
            return;
        }
    default:
        break;
    }
    mouse_command(m, byte);
}

int ps2_mouse_read(Ps2Mouse *m)
{
    int b = queue_pop(&m->queue);
    if (b >= 0)
        m->last_sent = (uint8_t)b;
    /* Room freed: pending motion may go out now. The controller is reading,
     * so it checks for more by itself; no notify from inside a read. */
    mouse_flush(m);
    return b;
}

bool ps2_mouse_has_data(const Ps2Mouse *m)
{
    return m->queue.count > 0;
}
