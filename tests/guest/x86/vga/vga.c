/* vga: draws three screens by programming the card directly (no BIOS), for
 * tests/display/run to compare screendump with pixels it computes itself:
 * 80x25 text with its own font (font.h) uploaded to plane 2, mode 13h with a
 * DAC palette, and Bochs VBE 1024x768x32 through the LFB that PCI BAR0 of
 * 1234:1111 decodes. Reference: IBM VGA Technical Reference (mode 3 and 13h
 * register values), Bochs vbe.h, PCI 3.0 configuration mechanism #1. After
 * each screen it prints "VGA-SHOT name ..." and waits for a line on COM1. */
#include "runtime.h"

#define GO_TIMEOUT_MS 300000u      /* the runner takes screendumps meanwhile */

/* ---- VGA registers ------------------------------------------------------ */

#define VGA_AR 0x3c0
#define VGA_MISC_WRITE 0x3c2
#define VGA_SEQ 0x3c4
#define VGA_DAC_MASK 0x3c6
#define VGA_DAC_READ 0x3c7
#define VGA_DAC_WRITE 0x3c8
#define VGA_DAC_DATA 0x3c9
#define VGA_GC 0x3ce
#define VGA_CRTC 0x3d4             /* colour: misc output bit 0 set */
#define VGA_STATUS1 0x3da
#define VGA_WINDOW 0xa0000u
#define VGA_TEXT 0xb8000u
#define AR_PAS 0x20

#define TEXT_COLS 80
#define TEXT_ROWS 25
#define FONT_SLOT 32               /* bytes per character in plane 2 */
#define FONT_CHARS 256
#define CURSOR_ROW 21
#define CURSOR_COL 7
#define CURSOR_FIRST 14
#define CURSOR_LAST 15

#define M13_WIDTH 320
#define M13_HEIGHT 200

typedef struct VgaMode {
    uint8_t misc, sr[5], cr[25], gr[9], ar[21];
} VgaMode;

/* 80x25 text, 720x400, 9x16 cells; AR10 = line graphics and blink on. */
static const VgaMode mode3 = {
    .misc = 0x67,
    .sr = { 0x03, 0x00, 0x03, 0x00, 0x02 },
    .cr = { 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x20 | CURSOR_FIRST,
            CURSOR_LAST, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3,
            0xff },
    .gr = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff },
    .ar = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
            0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00 },
};

/* 320x200, 256 colours, chain-4. */
static const VgaMode mode13h = {
    .misc = 0x63,
    .sr = { 0x03, 0x01, 0x0f, 0x00, 0x0e },
    .cr = { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff },
    .gr = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff },
    .ar = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
            0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00, 0x00 },
};

static void seq_write(uint8_t i, uint8_t v) { outb(VGA_SEQ, i); outb(VGA_SEQ + 1, v); }
static void gc_write(uint8_t i, uint8_t v) { outb(VGA_GC, i); outb(VGA_GC + 1, v); }
static void crtc_write(uint8_t i, uint8_t v) { outb(VGA_CRTC, i); outb(VGA_CRTC + 1, v); }

static void vga_set_mode(const VgaMode *m)
{
    seq_write(0, 0x01);                        /* synchronous reset while clocks change */
    outb(VGA_MISC_WRITE, m->misc);
    for (uint8_t i = 1; i < 5; i++)
        seq_write(i, m->sr[i]);
    seq_write(0, 0x03);
    crtc_write(0x11, m->cr[0x11] & 0x7f);      /* unprotect CR0-CR7 */
    for (uint8_t i = 0; i < 25; i++)
        crtc_write(i, i == 0x11 ? m->cr[i] & 0x7f : m->cr[i]);
    crtc_write(0x11, m->cr[0x11]);
    for (uint8_t i = 0; i < 9; i++)
        gc_write(i, m->gr[i]);
    (void)inb(VGA_STATUS1);                    /* attribute flip-flop to "index" */
    for (uint8_t i = 0; i < 21; i++) {
        outb(VGA_AR, i);                       /* PAS = 0: the palette is writable */
        outb(VGA_AR, m->ar[i]);
    }
    outb(VGA_AR, AR_PAS);                      /* display on again */
    outb(VGA_DAC_MASK, 0xff);
}

static void dac_write(uint8_t index, const uint8_t rgb[3])
{
    outb(VGA_DAC_WRITE, index);
    for (int i = 0; i < 3; i++)
        outb(VGA_DAC_DATA, rgb[i]);
}

static void dac_check(uint8_t index, const uint8_t rgb[3])
{
    outb(VGA_DAC_READ, index);
    for (int i = 0; i < 3; i++) {
        uint8_t v = inb(VGA_DAC_DATA);
        if (v != rgb[i])
            test_fail("DAC %u component %d reads 0x%02x, wrote 0x%02x", index, i, v, rgb[i]);
    }
}

/* Waits for the runner's go-ahead after it has looked at the screen. */
static void shot(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void shot(const char *name, const char *fmt, ...)
{
    char details[96], line[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(details, sizeof(details), fmt, ap);
    va_end(ap);
    printf("VGA-SHOT %s %s\n", name, details);
    if (serial_readline(line, sizeof(line), GO_TIMEOUT_MS) < 0)
        test_fail("no go-ahead on COM1 after the %s screen", name);
}

/* ---- (a) text mode ------------------------------------------------------ */

typedef struct Glyph {
    uint8_t code;
    const char *rows[8];
} Glyph;

#define GLYPH(code, r0, r1, r2, r3, r4, r5, r6, r7) { code, { r0, r1, r2, r3, r4, r5, r6, r7 } },
static const Glyph glyphs[] = {
#include "font.h"
};
#undef GLYPH

/* The 16 CGA colours (6-bit DAC values) at the DAC entries that mode 3's
 * palette registers select; every other entry gets WRONG_COLOUR, so a
 * renderer that skips the palette registers shows it. */
static const uint8_t cga[16][3] = {
    { 0, 0, 0 }, { 0, 0, 42 }, { 0, 42, 0 }, { 0, 42, 42 }, { 42, 0, 0 }, { 42, 0, 42 },
    { 42, 21, 0 }, { 42, 42, 42 }, { 21, 21, 21 }, { 21, 21, 63 }, { 21, 63, 21 },
    { 21, 63, 63 }, { 63, 21, 21 }, { 63, 21, 63 }, { 63, 63, 21 }, { 63, 63, 63 },
};
static const uint8_t wrong_colour[3] = { 50, 10, 60 };

static uint16_t screen[TEXT_ROWS * TEXT_COLS];

static void glyph_bits(const Glyph *g, uint8_t out[16])
{
    for (int r = 0; r < 8; r++) {
        uint8_t bits = 0;
        for (int c = 0; c < 8; c++)
            if (g->rows[r][c] == '#')
                bits |= (uint8_t)(0x80 >> c);
        out[2 * r] = out[2 * r + 1] = bits;
    }
}

static void font_upload(void)
{
    volatile uint8_t *plane = (volatile uint8_t *)VGA_WINDOW;
    /* Plane 2 alone, linear, at 0xA0000 (IBM VGA reference: loading fonts). */
    seq_write(2, 0x04);
    seq_write(4, 0x06);
    gc_write(4, 0x02);
    gc_write(5, 0x00);
    gc_write(6, 0x04);
    for (int i = 0; i < FONT_CHARS * FONT_SLOT; i++)
        plane[i] = 0;
    uint8_t bits[16];
    for (size_t i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++) {
        glyph_bits(&glyphs[i], bits);
        for (int l = 0; l < 16; l++)
            plane[glyphs[i].code * FONT_SLOT + l] = bits[l];
    }
    for (size_t i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++) {
        glyph_bits(&glyphs[i], bits);
        for (int l = 0; l < 16; l++)
            if (plane[glyphs[i].code * FONT_SLOT + l] != bits[l])
                test_fail("plane 2 glyph 0x%02x line %d reads 0x%02x", glyphs[i].code, l,
                          plane[glyphs[i].code * FONT_SLOT + l]);
    }
    /* Back to text: planes 0/1 odd/even at 0xB8000. */
    seq_write(2, 0x03);
    seq_write(4, 0x02);
    gc_write(4, 0x00);
    gc_write(5, 0x10);
    gc_write(6, 0x0e);
}

static void put(int row, int col, uint8_t attr, const char *s)
{
    for (; *s && col < TEXT_COLS; s++, col++)
        screen[row * TEXT_COLS + col] = (uint16_t)(attr << 8 | (uint8_t)*s);
}

static void put_char(int row, int col, uint8_t attr, uint8_t ch)
{
    screen[row * TEXT_COLS + col] = (uint16_t)(attr << 8 | ch);
}

static void fill_row(int row, uint8_t attr)
{
    for (int c = 0; c < TEXT_COLS; c++)
        put_char(row, c, attr, ' ');
}

static void box(int top, int left, int bottom, int right, uint8_t attr)
{
    for (int c = left + 1; c < right; c++) {
        put_char(top, c, attr, 0xc4);
        put_char(bottom, c, attr, 0xc4);
    }
    for (int r = top + 1; r < bottom; r++) {
        put_char(r, left, attr, 0xb3);
        put_char(r, right, attr, 0xb3);
    }
    put_char(top, left, attr, 0xda);
    put_char(top, right, attr, 0xbf);
    put_char(bottom, left, attr, 0xc0);
    put_char(bottom, right, attr, 0xd9);
}

static void text_compose(void)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < TEXT_ROWS * TEXT_COLS; i++)
        screen[i] = 0x0720;
    fill_row(0, 0x1f);
    put(0, 15, 0x1f, "MIMIC VGA TEXT MODE 80x25 - OWN FONT IN PLANE 2");
    box(2, 2, 10, 77, 0x0b);
    put(3, 5, 0x07, "FOREGROUND:");
    for (int i = 0; i < 16; i++) {
        put_char(3, 18 + 3 * i, (uint8_t)i, 0xdb);
        put_char(3, 19 + 3 * i, (uint8_t)i, 0xdb);
        put_char(4, 18 + 3 * i, (uint8_t)(i ? i : 8), (uint8_t)hex[i]);
    }
    put(6, 5, 0x07, "BACKGROUND:");
    for (int i = 0; i < 8; i++) {
        char label[4] = { ' ', hex[i], ' ', 0 };
        put(6, 18 + 4 * i, (uint8_t)(i << 4 | 0x0f), label);
    }
    put(8, 5, 0x07, "BLINK:");
    put(8, 18, 0x8e, "BLINKING");
    put(8, 28, 0x0e, "STEADY");
    put(8, 36, 0xce, "BLINK ON RED");
    put(12, 5, 0x0a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .:-/=>");
    put(14, 5, 0x4e, "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG");
    put(16, 5, 0x07, "LINE GRAPHICS JOIN ACROSS THE 9TH DOT:");
    for (int c = 44; c < 60; c++)
        put_char(16, c, 0x0c, 0xc4);
    put(CURSOR_ROW, 0, 0x07, "READY> ");
    fill_row(24, 0x70);
    put(24, 1, 0x70, "1 TEXT   2 MODE 13H   3 VBE 1024x768x32");
}

static void text_mode(void)
{
    vga_set_mode(&mode3);
    for (int i = 0; i < 256; i++)
        dac_write((uint8_t)i, wrong_colour);
    for (int i = 0; i < 16; i++)
        dac_write(mode3.ar[i], cga[i]);
    for (int i = 0; i < 16; i++)
        dac_check(mode3.ar[i], cga[i]);
    font_upload();

    text_compose();
    volatile uint16_t *text = (volatile uint16_t *)VGA_TEXT;
    for (int i = 0; i < TEXT_ROWS * TEXT_COLS; i++)
        text[i] = screen[i];
    for (int i = 0; i < TEXT_ROWS * TEXT_COLS; i++)
        if (text[i] != screen[i])
            test_fail("text cell %d reads 0x%04x, wrote 0x%04x", i, text[i], screen[i]);
    uint16_t pos = CURSOR_ROW * TEXT_COLS + CURSOR_COL;
    crtc_write(0x0e, (uint8_t)(pos >> 8));
    crtc_write(0x0f, (uint8_t)pos);
    crtc_write(0x0a, CURSOR_FIRST);                   /* cursor on */

    /* What the screen holds, so the runner need not know the layout. */
    for (int r = 0; r < TEXT_ROWS; r++) {
        printf("TEXT-ROW %02d ", r);
        for (int c = 0; c < TEXT_COLS; c++) {
            uint16_t v = screen[r * TEXT_COLS + c];
            printf("%02x%02x", v & 0xff, v >> 8);
        }
        printf("\n");
    }
    shot("text", "cursor=%d,%d lines=%d-%d", CURSOR_ROW, CURSOR_COL, CURSOR_FIRST, CURSOR_LAST);
}

/* ---- (b) mode 13h ------------------------------------------------------- */

/* Four ramps of 64: grey, red, green, blue. */
static void m13_palette(unsigned i, uint8_t rgb[3])
{
    uint8_t j = (uint8_t)(i & 63);
    unsigned ramp = i >> 6;
    rgb[0] = ramp == 0 || ramp == 1 ? j : 0;
    rgb[1] = ramp == 0 || ramp == 2 ? j : 0;
    rgb[2] = ramp == 0 || ramp == 3 ? j : 0;
}

/* A white frame, the 256 colours as 16x16 swatches of 12 dots with a black
 * gap, and rings (squared distance / 32) at the right. */
static uint8_t m13_pixel(int x, int y)
{
    if (x == 0 || y == 0 || x == M13_WIDTH - 1 || y == M13_HEIGHT - 1)
        return 63;
    if (x >= 8 && x < 8 + 16 * 12 && y >= 4 && y < 4 + 16 * 12) {
        int sx = (x - 8) % 12, sy = (y - 4) % 12;
        if (sx == 11 || sy == 11)
            return 0;
        return (uint8_t)((y - 4) / 12 * 16 + (x - 8) / 12);
    }
    if (x >= 208) {
        int dx = x - 264, dy = y - 100;
        return (uint8_t)((dx * dx + dy * dy) >> 5);
    }
    return 0;
}

static void mode_13h(void)
{
    vga_set_mode(&mode13h);
    uint8_t rgb[3];
    for (unsigned i = 0; i < 256; i++) {
        m13_palette(i, rgb);
        dac_write((uint8_t)i, rgb);
    }
    for (unsigned i = 0; i < 256; i++) {
        m13_palette(i, rgb);
        dac_check((uint8_t)i, rgb);
    }
    volatile uint8_t *fb = (volatile uint8_t *)VGA_WINDOW;
    for (int y = 0; y < M13_HEIGHT; y++)
        for (int x = 0; x < M13_WIDTH; x++)
            fb[y * M13_WIDTH + x] = m13_pixel(x, y);
    for (int y = 0; y < M13_HEIGHT; y++)
        for (int x = 0; x < M13_WIDTH; x++)
            if (fb[y * M13_WIDTH + x] != m13_pixel(x, y))
                test_fail("mode 13h pixel %d,%d reads %u, wrote %u", x, y, fb[y * M13_WIDTH + x],
                          m13_pixel(x, y));
    shot("mode13h", "width=%d height=%d", M13_WIDTH, M13_HEIGHT);
}

/* ---- (c) Bochs VBE ------------------------------------------------------ */

#define PCI_ADDRESS 0xcf8
#define PCI_DATA 0xcfc
#define PCI_VENDOR_DEVICE 0x00
#define PCI_COMMAND 0x04
#define PCI_HEADER_TYPE 0x0c       /* dword holding the header type in byte 2 */
#define PCI_BAR0 0x10
#define PCI_COMMAND_MEMORY 0x02
#define STDVGA_ID 0x11111234u      /* device 1111, vendor 1234 */
#define LFB_ASSIGN 0xe0000000u     /* in the PCI hole when nobody placed BAR0 */

#define DISPI_INDEX 0x1ce
#define DISPI_DATA 0x1cf
enum { DISPI_ID, DISPI_XRES, DISPI_YRES, DISPI_BPP, DISPI_ENABLE, DISPI_BANK, DISPI_VIRT_WIDTH };
#define DISPI_ID5 0xb0c5
#define DISPI_ENABLED 0x01
#define DISPI_LFB_ENABLED 0x40

#define VBE_WIDTH 1024
#define VBE_HEIGHT 768

static uint32_t pci_read(uint32_t bdf, uint8_t reg)
{
    outl(PCI_ADDRESS, 0x80000000u | bdf << 8 | reg);
    return inl(PCI_DATA);
}

static void pci_write(uint32_t bdf, uint8_t reg, uint32_t v)
{
    outl(PCI_ADDRESS, 0x80000000u | bdf << 8 | reg);
    outl(PCI_DATA, v);
}

/* Bus 0, every device and function; returns bus/device/function or -1. */
static int pci_find(uint32_t id)
{
    for (uint32_t dev = 0; dev < 32; dev++) {
        for (uint32_t fn = 0; fn < 8; fn++) {
            uint32_t bdf = dev << 3 | fn;
            uint32_t v = pci_read(bdf, PCI_VENDOR_DEVICE);
            if ((v & 0xffff) == 0xffff) {
                if (fn == 0)
                    break;
                continue;
            }
            if (v == id)
                return (int)bdf;
            if (fn == 0 && !(pci_read(bdf, PCI_HEADER_TYPE) & 0x00800000))
                break;                         /* not multi-function */
        }
    }
    return -1;
}

/* BAR0's address; a BAR nobody assigned (direct boot: no firmware ran) is
 * sized and placed at LFB_ASSIGN. Memory decoding is switched on. */
static uint32_t lfb_address(uint32_t bdf, const char **how)
{
    uint32_t bar = pci_read(bdf, PCI_BAR0);
    if (bar & 1)
        test_fail("BAR0 of the VGA is an I/O BAR (0x%08x)", bar);
    *how = "firmware";
    if (!(bar & ~0xfu)) {
        pci_write(bdf, PCI_BAR0, 0xffffffffu);
        uint32_t size = ~(pci_read(bdf, PCI_BAR0) & ~0xfu) + 1;
        if (size < VBE_WIDTH * VBE_HEIGHT * 4 || (LFB_ASSIGN & (size - 1)))
            test_fail("BAR0 size 0x%x does not hold 1024x768x32 at 0x%08x", size, LFB_ASSIGN);
        pci_write(bdf, PCI_BAR0, LFB_ASSIGN);
        bar = pci_read(bdf, PCI_BAR0);
        *how = "assigned";
    }
    pci_write(bdf, PCI_COMMAND, pci_read(bdf, PCI_COMMAND) | PCI_COMMAND_MEMORY);
    return bar & ~0xfu;
}

static void dispi_write(uint16_t index, uint16_t v)
{
    outw(DISPI_INDEX, index);
    outw(DISPI_DATA, v);
}

static uint16_t dispi_read(uint16_t index)
{
    outw(DISPI_INDEX, index);
    return inw(DISPI_DATA);
}

/* A white frame, eight colour bars, then a red/green gradient over a blue
 * checkerboard of 32-dot squares. */
static uint32_t vbe_pixel(uint32_t x, uint32_t y)
{
    if (x == 0 || y == 0 || x == VBE_WIDTH - 1 || y == VBE_HEIGHT - 1)
        return 0xffffff;
    if (y >= 16 && y < 80) {
        uint32_t k = x >> 7;
        return (k & 4 ? 0xff0000u : 0) | (k & 2 ? 0x00ff00u : 0) | (k & 1 ? 0x0000ffu : 0);
    }
    uint32_t b = ((x >> 5) ^ (y >> 5)) & 1 ? 0xc0 : 0x40;
    return (x >> 2) << 16 | (y * 255 / (VBE_HEIGHT - 1)) << 8 | b;
}

static void vbe_mode(void)
{
    int bdf = pci_find(STDVGA_ID);
    if (bdf < 0)
        test_fail("no PCI device 1234:1111 on bus 0");
    const char *how;
    uint32_t lfb = lfb_address((uint32_t)bdf, &how);
    printf("VGA at 00:%02x.%x, LFB 0x%08x (%s)\n", bdf >> 3, bdf & 7, lfb, how);

    dispi_write(DISPI_ID, DISPI_ID5);
    uint16_t id = dispi_read(DISPI_ID);
    if (id != DISPI_ID5)
        test_fail("DISPI ID reads 0x%04x after writing 0x%04x", id, DISPI_ID5);
    dispi_write(DISPI_ENABLE, 0);
    dispi_write(DISPI_XRES, VBE_WIDTH);
    dispi_write(DISPI_YRES, VBE_HEIGHT);
    dispi_write(DISPI_BPP, 32);
    dispi_write(DISPI_ENABLE, DISPI_ENABLED | DISPI_LFB_ENABLED);
    if (dispi_read(DISPI_XRES) != VBE_WIDTH || dispi_read(DISPI_YRES) != VBE_HEIGHT ||
        dispi_read(DISPI_BPP) != 32 || dispi_read(DISPI_VIRT_WIDTH) != VBE_WIDTH)
        test_fail("DISPI mode reads %ux%ux%u (virtual width %u)", dispi_read(DISPI_XRES),
                  dispi_read(DISPI_YRES), dispi_read(DISPI_BPP), dispi_read(DISPI_VIRT_WIDTH));

    volatile uint32_t *fb = (volatile uint32_t *)lfb;
    for (uint32_t y = 0; y < VBE_HEIGHT; y++)
        for (uint32_t x = 0; x < VBE_WIDTH; x++)
            fb[y * VBE_WIDTH + x] = vbe_pixel(x, y);
    for (uint32_t y = 0; y < VBE_HEIGHT; y++)
        for (uint32_t x = 0; x < VBE_WIDTH; x++)
            if (fb[y * VBE_WIDTH + x] != vbe_pixel(x, y))
                test_fail("LFB pixel %u,%u reads 0x%06x", x, y, fb[y * VBE_WIDTH + x]);
    /* Bank 0 of the legacy window is the start of the same memory. */
    volatile uint32_t *window = (volatile uint32_t *)VGA_WINDOW;
    for (uint32_t i = 0; i < 0x10000 / 4; i += 997)
        if (window[i] != fb[i])
            test_fail("window dword %u reads 0x%08x, LFB 0x%08x", i, window[i], fb[i]);
    shot("vbe", "width=%d height=%d bpp=32 lfb=0x%08x", VBE_WIDTH, VBE_HEIGHT, lfb);
    dispi_write(DISPI_ENABLE, 0);
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
    tsc_calibrate();
    printf("vga: text, mode 13h and VBE screens\n");
    text_mode();
    mode_13h();
    vbe_mode();
    test_pass();
}
