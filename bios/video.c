/*
 * INT 10h text-mode services on the colour text buffer at 0xB8000 (IBM VGA
 * BIOS interface: functions 00-03, 05-0A, 0E, 0F, 11/12 queries, 13, 1A) with
 * every teletype character also sent to COM1, and VBE 2.0 (4F00/01/02/03)
 * through the Bochs VBE ports 0x1CE/0x1CF when that adapter answers. Fonts,
 * palettes and the mode register tables of a real VGA BIOS are left to a VGA
 * option ROM: when one runs, it owns INT 10h and entry.S only mirrors 0Eh.
 */
#include "bios.h"

#define TEXT_BASE 0xB8000
#define TEXT_COLS 80
#define TEXT_ROWS 25
#define TEXT_PAGE_SIZE 0x1000
#define TEXT_PAGES 8
#define BLANK_ATTR 0x07

u32 video_rom_int10;

static u8 page_active(void) { return rd8(BDA_VIDEO_PAGE) & (TEXT_PAGES - 1); }
static u32 cell_addr(u8 page, u8 row, u8 col)
{
    return TEXT_BASE + page * TEXT_PAGE_SIZE + (row * TEXT_COLS + col) * 2;
}
static u16 cursor_get(u8 page) { return rd16(BDA_CURSOR_POS + 2 * (page & 7)); }

static void crtc_write(u8 index, u8 v)
{
    u16 base = rd16(BDA_CRTC_BASE);
    outb(base, index);
    outb(base + 1, v);
}

static void cursor_set(u8 page, u8 row, u8 col)
{
    page &= TEXT_PAGES - 1;
    wr16(BDA_CURSOR_POS + 2 * page, row << 8 | col);
    if (page == page_active()) {
        u16 pos = page * TEXT_PAGE_SIZE / 2 + row * TEXT_COLS + col;
        crtc_write(0x0E, pos >> 8);
        crtc_write(0x0F, pos & 0xFF);
    }
}

static void scroll(u8 page, int lines, u8 attr, u8 top, u8 left, u8 bottom, u8 right)
{
    if (bottom >= TEXT_ROWS)
        bottom = TEXT_ROWS - 1;
    if (right >= TEXT_COLS)
        right = TEXT_COLS - 1;
    if (top > bottom || left > right)
        return;
    int height = bottom - top + 1, width = right - left + 1;
    int n = lines < 0 ? -lines : lines;
    if (n == 0 || n > height)
        n = height;
    for (int i = 0; i < height; i++) {
        int row = lines >= 0 ? top + i : bottom - i;
        int src = lines >= 0 ? row + n : row - n;
        u16 *dst = flat(cell_addr(page, row, left));
        if (i < height - n) {
            memmove(dst, flat(cell_addr(page, src, left)), width * 2);
        } else {
            for (int c = 0; c < width; c++)
                dst[c] = attr << 8 | ' ';
        }
    }
}

static void teletype(u8 page, u8 c)
{
    u16 pos = cursor_get(page);
    u8 row = pos >> 8, col = pos & 0xFF;
    switch (c) {
    case 7:
        return;
    case 8:
        if (col)
            col--;
        break;
    case '\r':
        col = 0;
        break;
    case '\n':
        row++;
        break;
    case '\t':
        col = (col + 8) & ~7;
        break;
    default:
        wr8(cell_addr(page, row, col), c);
        col++;
        break;
    }
    if (col >= TEXT_COLS) {
        col = 0;
        row++;
    }
    if (row >= TEXT_ROWS) {
        u8 attr = rd8(cell_addr(page, TEXT_ROWS - 1, 0) + 1);
        if (attr == 0 || attr == 0xFF)
            attr = BLANK_ATTR;
        scroll(page, 1, attr, 0, 0, TEXT_ROWS - 1, TEXT_COLS - 1);
        row = TEXT_ROWS - 1;
    }
    cursor_set(page, row, col);
}

void video_putc(u8 c)
{
    serial_putc(c);
    if (video_rom_int10) {
        /* The option ROM keeps the BDA cursor; the text buffer is still
         * at 0xB8000 in mode 3. */
        if (rd8(BDA_VIDEO_MODE) > 3 && rd8(BDA_VIDEO_MODE) != 7)
            return;
    }
    teletype(page_active(), c);
}

static void set_text_mode(u8 mode, int clear)
{
    wr8(BDA_VIDEO_MODE, mode);
    wr16(BDA_VIDEO_COLS, TEXT_COLS);
    wr16(BDA_VIDEO_PAGESZ, TEXT_PAGE_SIZE);
    wr16(BDA_VIDEO_PAGEOFF, 0);
    wr8(BDA_VIDEO_PAGE, 0);
    wr16(BDA_CRTC_BASE, 0x3D4);
    wr8(0x465, 0x29);
    wr8(0x466, 0x30);
    wr8(BDA_VIDEO_ROWS, TEXT_ROWS - 1);
    wr16(BDA_CHAR_HEIGHT, 16);
    wr8(0x487, 0x60);
    wr8(0x488, 0xF9);
    wr8(0x489, 0x51);
    wr16(BDA_CURSOR_SHAPE, 0x0607);
    for (int p = 0; p < TEXT_PAGES; p++)
        wr16(BDA_CURSOR_POS + 2 * p, 0);
    if (clear)
        for (int p = 0; p < TEXT_PAGES; p++)
            scroll(p, 0, BLANK_ATTR, 0, 0, TEXT_ROWS - 1, TEXT_COLS - 1);
    cursor_set(0, 0, 0);
}

void video_init(void)
{
    wr16(BDA_EQUIPMENT, (rd16(BDA_EQUIPMENT) & ~0x30) | 0x20);   /* 80x25 colour */
    set_text_mode(3, 1);
}

/* ---- VBE through the Bochs dispi interface ---- */
#define VBE_INDEX 0x1CE
#define VBE_DATA 0x1CF
#define VBE_ID 0
#define VBE_XRES 1
#define VBE_YRES 2
#define VBE_BPP 3
#define VBE_ENABLE 4
#define VBE_VIDEO_MEMORY_64K 0x0A
#define VBE_ENABLED 0x01
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM 0x80

static const struct vbe_mode { u16 number, xres, yres; u8 bpp; } vbe_modes[] = {
    { 0x101, 640, 480, 8 }, { 0x103, 800, 600, 8 }, { 0x105, 1024, 768, 8 },
    { 0x111, 640, 480, 16 }, { 0x114, 800, 600, 16 }, { 0x117, 1024, 768, 16 },
    { 0x112, 640, 480, 32 }, { 0x115, 800, 600, 32 }, { 0x118, 1024, 768, 32 },
    { 0x180, 1280, 1024, 32 }, { 0x181, 1920, 1080, 32 },
};

static u16 vbe_read(u16 index) { outw(VBE_INDEX, index); return inw(VBE_DATA); }
static void vbe_write(u16 index, u16 v) { outw(VBE_INDEX, index); outw(VBE_DATA, v); }
static int vbe_present(void) { return (vbe_read(VBE_ID) & 0xFFF0) == 0xB0C0; }

static u32 vbe_lfb(void)
{
    u16 bdf;
    if (pci_find_class(0x0300, &bdf))
        return 0;
    return pci_read32(bdf, 0x10) & ~0xFu;
}

static const struct vbe_mode *vbe_find(u16 number)
{
    number &= 0x1FF;
    for (u32 i = 0; i < ARRAY_SIZE(vbe_modes); i++)
        if (vbe_modes[i].number == number)
            return &vbe_modes[i];
    return NULL;
}

static void vbe_int10(struct bregs *r)
{
    if (!vbe_present()) {
        r->ax = 0x014F;
        return;
    }
    u32 vram = vbe_read(VBE_VIDEO_MEMORY_64K) * 65536u;
    if (!vram)
        vram = 16u << 20;
    u8 *buf = far_ptr(r->es, r->di);
    switch (r->al) {
    case 0x00: {                              /* controller information */
        int v2 = !memcmp(buf, "VBE2", 4);
        memset(buf, 0, v2 ? 512 : 256);
        memcpy(buf, "VESA", 4);
        put_le16(buf + 4, 0x0200);
        /* OEM string and mode list live in the buffer's reserved area. */
        u16 list = r->di + 0x22 + 0x40, oem = r->di + 0x22;
        memcpy(buf + 0x22, "mimic VBE", 10);
        put_le16(buf + 6, oem);
        put_le16(buf + 8, r->es);
        put_le32(buf + 10, 1);                /* DAC switchable */
        put_le16(buf + 14, list);
        put_le16(buf + 16, r->es);
        u8 *lp = buf + 0x22 + 0x40;
        u32 i;
        for (i = 0; i < ARRAY_SIZE(vbe_modes); i++)
            put_le16(lp + 2 * i, vbe_modes[i].number);
        put_le16(lp + 2 * i, 0xFFFF);
        put_le16(buf + 18, vram / 65536);
        r->ax = 0x004F;
        return;
    }
    case 0x01: {                              /* mode information */
        const struct vbe_mode *m = vbe_find(r->cx);
        if (!m) {
            r->ax = 0x014F;
            return;
        }
        u16 pitch = m->xres * ((m->bpp + 7) / 8);
        memset(buf, 0, 256);
        put_le16(buf + 0, 0x009B);            /* supported, colour, graphics, LFB */
        buf[2] = 0x07;                        /* window A: readable, writable */
        put_le16(buf + 4, 64);
        put_le16(buf + 6, 64);
        put_le16(buf + 8, 0xA000);
        put_le16(buf + 16, pitch);
        put_le16(buf + 18, m->xres);
        put_le16(buf + 20, m->yres);
        buf[22] = 8;
        buf[23] = 16;
        buf[24] = 1;
        buf[25] = m->bpp;
        buf[26] = 1;
        buf[27] = m->bpp == 8 ? 4 : 6;        /* packed pixel / direct colour */
        buf[29] = vram / ((u32)pitch * m->yres) - 1;
        buf[30] = 1;
        if (m->bpp == 16) {
            buf[31] = 5; buf[32] = 11; buf[33] = 6; buf[34] = 5; buf[35] = 5; buf[36] = 0;
        } else if (m->bpp == 32) {
            buf[31] = 8; buf[32] = 16; buf[33] = 8; buf[34] = 8; buf[35] = 8; buf[36] = 0;
            buf[37] = 8; buf[38] = 24;
        }
        put_le32(buf + 40, vbe_lfb());
        put_le16(buf + 50, pitch);
        r->ax = 0x004F;
        return;
    }
    case 0x02: {                              /* set mode */
        u16 number = r->bx & 0x1FF;
        if (number < 0x100) {
            vbe_write(VBE_ENABLE, 0);
            set_text_mode(3, 1);
            r->ax = 0x004F;
            return;
        }
        const struct vbe_mode *m = vbe_find(number);
        if (!m) {
            r->ax = 0x014F;
            return;
        }
        vbe_write(VBE_ENABLE, 0);
        vbe_write(VBE_XRES, m->xres);
        vbe_write(VBE_YRES, m->yres);
        vbe_write(VBE_BPP, m->bpp);
        vbe_write(VBE_ENABLE, VBE_ENABLED | (r->bx & 0x4000 ? VBE_LFB_ENABLED : 0) |
                                  (r->bx & 0x8000 ? VBE_NOCLEARMEM : 0));
        wr8(BDA_VIDEO_MODE, 0x62);
        r->ax = 0x004F;
        return;
    }
    case 0x03:
        r->bx = (vbe_read(VBE_ENABLE) & VBE_ENABLED) ? 0x4000 | 0x118 : rd8(BDA_VIDEO_MODE);
        r->ax = 0x004F;
        return;
    default:
        r->ax = 0x014F;
        return;
    }
}

u32 video_int10(struct bregs *r)
{
    u8 page = r->bh & (TEXT_PAGES - 1);
    switch (r->ah) {
    case 0x00:
        set_text_mode(r->al & 0x7F, !(r->al & 0x80));
        break;
    case 0x01:
        wr16(BDA_CURSOR_SHAPE, r->cx);
        crtc_write(0x0A, r->ch);
        crtc_write(0x0B, r->cl);
        break;
    case 0x02:
        cursor_set(page, r->dh, r->dl);
        break;
    case 0x03:
        r->cx = rd16(BDA_CURSOR_SHAPE);
        r->dx = cursor_get(page);
        break;
    case 0x05:
        wr8(BDA_VIDEO_PAGE, r->al & (TEXT_PAGES - 1));
        wr16(BDA_VIDEO_PAGEOFF, (r->al & (TEXT_PAGES - 1)) * TEXT_PAGE_SIZE);
        crtc_write(0x0C, ((r->al & 7) * TEXT_PAGE_SIZE / 2) >> 8);
        crtc_write(0x0D, 0);
        { u16 pos = cursor_get(r->al); cursor_set(r->al, pos >> 8, pos & 0xFF); }
        break;
    case 0x06:
    case 0x07:
        scroll(page_active(), r->ah == 0x06 ? r->al : -r->al, r->bh, r->ch, r->cl, r->dh, r->dl);
        break;
    case 0x08: {
        u16 pos = cursor_get(page);
        r->ax = rd16(cell_addr(page, pos >> 8, pos & 0xFF));
        break;
    }
    case 0x09:
    case 0x0A: {
        u16 pos = cursor_get(page);
        u32 a = cell_addr(page, pos >> 8, pos & 0xFF);
        u32 end = cell_addr(page, TEXT_ROWS - 1, TEXT_COLS - 1);
        for (u16 i = 0; i < r->cx && a <= end; i++, a += 2) {
            wr8(a, r->al);
            if (r->ah == 0x09)
                wr8(a + 1, r->bl);
        }
        break;
    }
    case 0x0E:
        serial_putc(r->al);
        teletype(page_active(), r->al);
        break;
    case 0x0F:
        r->ah = rd16(BDA_VIDEO_COLS);
        r->al = rd8(BDA_VIDEO_MODE);
        r->bh = page_active();
        break;
    case 0x10:
        break;
    case 0x11:
        if (r->al == 0x30) {
            r->cx = 16;
            r->dl = TEXT_ROWS - 1;
            r->es = 0;
            r->bp = 0;
        }
        break;
    case 0x12:
        if (r->bl == 0x10) {
            r->bh = 0;
            r->bl = 3;
            r->cx = 0x0009;
        }
        break;
    case 0x13: {
        u16 save = cursor_get(page);
        cursor_set(page, r->dh, r->dl);
        const u8 *s = far_ptr(r->es, r->bp);
        for (u16 i = 0; i < r->cx; i++) {
            u8 c = *s++;
            u8 attr = r->bl;
            if (r->al & 2)
                attr = *s++;
            serial_putc(c);
            if (c == 7 || c == 8 || c == '\r' || c == '\n') {
                teletype(page, c);
                continue;
            }
            u16 pos = cursor_get(page);
            wr8(cell_addr(page, pos >> 8, pos & 0xFF) + 1, attr);
            teletype(page, c);
        }
        if (!(r->al & 1)) {
            cursor_set(page, save >> 8, save & 0xFF);
        }
        break;
    }
    case 0x1A:
        if (r->al == 0x00) {
            r->al = 0x1A;
            r->bx = 0x0008;
        }
        break;
    case 0x4F:
        vbe_int10(r);
        break;
    default:
        break;
    }
    return SVC_RET_DONE;
}
