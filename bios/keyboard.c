/*
 * Keyboard: i8042 controller set-up (IBM PC/AT keyboard controller command
 * set, translation to scan code set 1), the IRQ 1 translation of set-1 scan
 * codes into the BDA key buffer (US layout), and INT 16h 00-03/05/09-0A/10-12.
 * Bytes arriving on COM1 are fed into the same buffer when INT 16h polls,
 * ANSI cursor sequences becoming arrow keys. Left out: typematic rates,
 * keyboard LEDs, Pause/SysRq/Print Screen handling.
 */
#include "bios.h"

#define KBC_DATA 0x60
#define KBC_STATUS 0x64
#define KBC_OBF 0x01
#define KBC_IBF 0x02
#define KBC_TIMEOUT_US 50000

/* BDA shift flags (0x417) */
#define KF_RSHIFT 0x01
#define KF_LSHIFT 0x02
#define KF_CTRL 0x04
#define KF_ALT 0x08
#define KF_SCROLL 0x10
#define KF_NUM 0x20
#define KF_CAPS 0x40
#define KF_INSERT 0x80
#define KF3_E0 0x02      /* 0x496: last code was E0 */

static const char keys_normal[0x3B] =
    "\0\x1b" "1234567890-=\b\t" "qwertyuiop[]\r\0" "asdfghjkl;'`\0\\" "zxcvbnm,./\0*\0 ";
static const char keys_shift[0x3B] =
    "\0\x1b" "!@#$%^&*()_+\b\0" "QWERTYUIOP{}\r\0" "ASDFGHJKL:\"~\0|" "ZXCVBNM<>?\0*\0 ";
static const char keys_pad[] = "789-456+1230.";

static int kbc_wait(u8 mask, u8 want)
{
    u64 end = clock_ticks() + (u64)KBC_TIMEOUT_US * PIT_HZ / 1000000;
    while ((inb(KBC_STATUS) & mask) != want)
        if (clock_ticks() > end)
            return -1;
    return 0;
}

static int kbc_read(void)
{
    if (kbc_wait(KBC_OBF, KBC_OBF))
        return -1;
    return inb(KBC_DATA);
}

static void kbc_command(u8 cmd)
{
    kbc_wait(KBC_IBF, 0);
    outb(KBC_STATUS, cmd);
}

static void kbc_send(u8 data)
{
    kbc_wait(KBC_IBF, 0);
    outb(KBC_DATA, data);
}

void keyboard_init(void)
{
    wr16(BDA_KB_START, BDA_KB_BUF - BDA);
    wr16(BDA_KB_END, BDA_KB_BUF - BDA + 32);
    wr16(BDA_KB_HEAD, BDA_KB_BUF - BDA);
    wr16(BDA_KB_TAIL, BDA_KB_BUF - BDA);
    wr8(BDA_KB_FLAGS0, 0);
    wr8(BDA_KB_FLAGS1, 0);
    wr8(BDA_KB_FLAGS3, 0x10);     /* 101/102-key keyboard */
    wr8(BDA_KB_FLAGS2, 0);

    for (int i = 0; i < 16 && (inb(KBC_STATUS) & KBC_OBF); i++)
        inb(KBC_DATA);
    if (inb(KBC_STATUS) == 0xFF)
        return;                   /* no controller */
    kbc_command(0xAA);            /* self test */
    if (kbc_read() != 0x55)
        printf("keyboard controller self test failed\n");
    kbc_command(0x60);
    kbc_send(0x65);               /* translate, aux off, system flag, IRQ 1 */
    kbc_command(0xAE);
    kbc_send(0xFF);               /* keyboard reset: ACK then BAT result */
    if (kbc_read() == 0xFA)
        kbc_read();
    kbc_send(0xF4);
    kbc_read();
}

int keyboard_push(u16 key)
{
    u16 head = rd16(BDA_KB_HEAD), tail = rd16(BDA_KB_TAIL);
    u16 next = tail + 2;
    if (next >= rd16(BDA_KB_END))
        next = rd16(BDA_KB_START);
    if (next == head)
        return -1;
    wr16(BDA + tail, key);
    wr16(BDA_KB_TAIL, next);
    return 0;
}

static int keyboard_pop(u16 *key, int remove)
{
    u16 head = rd16(BDA_KB_HEAD), tail = rd16(BDA_KB_TAIL);
    if (head == tail)
        return -1;
    *key = rd16(BDA + head);
    if (remove) {
        head += 2;
        if (head >= rd16(BDA_KB_END))
            head = rd16(BDA_KB_START);
        wr16(BDA_KB_HEAD, head);
    }
    return 0;
}

static u16 translate(u8 sc, u8 flags, int e0)
{
    int shift = flags & (KF_LSHIFT | KF_RSHIFT);
    if (e0) {
        if (sc == 0x1C)
            return 0xE00D;
        if (sc == 0x35)
            return 0xE02F;
        if (sc >= 0x47 && sc <= 0x53)
            return sc << 8 | 0xE0;
        return 0;
    }
    if (sc >= 0x3B && sc <= 0x44) {           /* F1-F10 */
        u8 i = sc - 0x3B;
        if (flags & KF_ALT)
            return (0x68 + i) << 8;
        if (flags & KF_CTRL)
            return (0x5E + i) << 8;
        if (shift)
            return (0x54 + i) << 8;
        return sc << 8;
    }
    if (sc == 0x57 || sc == 0x58) {           /* F11, F12 */
        u8 base = flags & KF_ALT ? 0x8B : flags & KF_CTRL ? 0x89 : shift ? 0x87 : 0x85;
        return (base + sc - 0x57) << 8;
    }
    if (sc >= 0x47 && sc <= 0x53) {           /* keypad */
        char c = keys_pad[sc - 0x47];
        int digits = !!(flags & KF_NUM) != !!shift;
        if (c == '-' || c == '+' || digits)
            return sc << 8 | (u8)c;
        return sc << 8;
    }
    if (sc >= sizeof(keys_normal))
        return 0;
    char c = keys_normal[sc];
    if (flags & KF_ALT) {
        if (sc >= 0x02 && sc <= 0x0D)
            return (0x78 + sc - 0x02) << 8;
        return c ? sc << 8 : 0;
    }
    if (flags & KF_CTRL) {
        if (c >= 'a' && c <= 'z')
            return sc << 8 | (c - 'a' + 1);
        if (sc == 0x1C)
            return 0x1C0A;
        if (sc == 0x0E)
            return 0x0E7F;
        if (sc == 0x1A || sc == 0x1B || sc == 0x2B)
            return sc << 8 | (c & 0x1F);
        return 0;
    }
    if (shift)
        c = keys_shift[sc];
    if ((flags & KF_CAPS) && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        c ^= 0x20;
    if (sc == 0x0F && shift)
        return 0x0F00;
    return c ? sc << 8 | (u8)c : 0;
}

void keyboard_irq(u8 code)
{
    u8 flags = rd8(BDA_KB_FLAGS0), flags1 = rd8(BDA_KB_FLAGS1), flags3 = rd8(BDA_KB_FLAGS3);
    int e0 = flags3 & KF3_E0;
    wr8(BDA_KB_FLAGS3, flags3 & ~KF3_E0);
    if (code == 0xE0) {
        wr8(BDA_KB_FLAGS3, flags3 | KF3_E0);
        return;
    }
    if (code == 0xE1 || code == 0xFA || code == 0xFE || code == 0x00 || code == 0xFF)
        return;
    int release = code & 0x80;
    u8 sc = code & 0x7F;
    u8 bit = 0, lock = 0;
    switch (sc) {
    case 0x2A: if (e0) return; bit = KF_LSHIFT; break;
    case 0x36: if (e0) return; bit = KF_RSHIFT; break;
    case 0x1D: bit = KF_CTRL; break;
    case 0x38: bit = KF_ALT; break;
    case 0x3A: lock = KF_CAPS; break;
    case 0x45: if (e0) break; lock = KF_NUM; break;
    case 0x46: lock = KF_SCROLL; break;
    case 0x52: if (!release && !(flags & (KF_CTRL | KF_ALT))) flags ^= KF_INSERT; break;
    }
    if (bit) {
        flags = release ? flags & ~bit : flags | bit;
        wr8(BDA_KB_FLAGS0, flags);
        return;
    }
    if (lock) {
        if (!release && !(flags1 & lock))
            flags ^= lock;
        flags1 = release ? flags1 & ~lock : flags1 | lock;
        wr8(BDA_KB_FLAGS0, flags);
        wr8(BDA_KB_FLAGS1, flags1);
        return;
    }
    wr8(BDA_KB_FLAGS0, flags);
    if (release)
        return;
    if (sc == 0x53 && (flags & (KF_CTRL | KF_ALT)) == (KF_CTRL | KF_ALT)) {
        wr16(BDA_RESET_FLAG, 0x1234);
        outb(KBC_STATUS, 0xFE);       /* pulse the CPU reset line */
        return;
    }
    u16 key = translate(sc, flags, e0);
    if (key)
        keyboard_push(key);
}

/* Serial console input: one byte (or an ANSI escape sequence) becomes a key. */
static u16 serial_key(u8 b)
{
    if (b == '\r' || b == '\n')
        return 0x1C0D;
    if (b == 0x7F || b == 0x08)
        return 0x0E08;
    if (b == '\t')
        return 0x0F09;
    if (b == 0x1B) {
        int c = -1;
        for (int i = 0; i < 2000 && c < 0; i++)
            c = serial_getc();
        if (c != '[' && c != 'O')
            return 0x011B;
        c = -1;
        for (int i = 0; i < 2000 && c < 0; i++)
            c = serial_getc();
        switch (c) {
        case 'A': return 0x4800;
        case 'B': return 0x5000;
        case 'C': return 0x4D00;
        case 'D': return 0x4B00;
        case 'H': return 0x4700;
        case 'F': return 0x4F00;
        case '5': serial_getc(); return 0x4900;
        case '6': serial_getc(); return 0x5100;
        case '3': serial_getc(); return 0x5300;
        }
        return 0x011B;
    }
    if (b >= 1 && b <= 26) {
        for (u32 sc = 0; sc < sizeof(keys_normal); sc++)
            if (keys_normal[sc] == 'a' + b - 1)
                return sc << 8 | b;
    }
    for (u32 sc = 0; sc < sizeof(keys_normal); sc++) {
        if (keys_normal[sc] == b || keys_shift[sc] == b)
            return sc << 8 | b;
    }
    return b;
}

static void serial_poll(void)
{
    for (int i = 0; i < 16; i++) {
        int c = serial_getc();
        if (c < 0)
            return;
        keyboard_push(serial_key(c));
    }
}

/* Functions 00h/01h hide the enhanced-keyboard codes. */
static u16 legacy_key(u16 key)
{
    if ((key & 0xFF) == 0xE0)
        key &= 0xFF00;
    if ((key & 0xFF00) == 0xE000)
        key = 0x1C00 | (key & 0xFF);
    return key;
}

u32 keyboard_int16(struct bregs *r)
{
    u16 key;
    switch (r->ah) {
    case 0x00:
    case 0x10:
        serial_poll();
        if (keyboard_pop(&key, 1))
            return SVC_RET_WAIT;
        r->ax = r->ah == 0x00 ? legacy_key(key) : key;
        break;
    case 0x01:
    case 0x11:
        serial_poll();
        if (keyboard_pop(&key, 0)) {
            r->flags |= F_ZF;
            break;
        }
        r->flags &= ~F_ZF;
        r->ax = r->ah == 0x01 ? legacy_key(key) : key;
        break;
    case 0x02:
        r->al = rd8(BDA_KB_FLAGS0);
        break;
    case 0x12:
        r->al = rd8(BDA_KB_FLAGS0);
        r->ah = (rd8(BDA_KB_FLAGS1) & 0x73) | (rd8(BDA_KB_FLAGS0) & KF_INSERT);
        break;
    case 0x03:
        break;
    case 0x05:
        r->al = keyboard_push(r->cx) ? 1 : 0;
        break;
    case 0x09:
        r->al = 0x30;
        break;
    case 0x0A:
        r->bx = 0x41AB;
        break;
    default:
        break;
    }
    return SVC_RET_DONE;
}
