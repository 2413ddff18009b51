/*
 * Standard VGA (IBM VGA Technical Reference; FreeVGA's register pages):
 * sequencer, graphics and attribute controllers, CRTC, DAC, the four 64 KiB
 * planes behind the 0xA0000-0xBFFFF window with every read/write mode,
 * chain-4 and odd/even, and a renderer for text, 16-colour planar, CGA
 * 4-colour and 256-colour modes plus the Bochs VBE linear modes.
 * Conveniences a real card lacks: reset leaves the card in mode 3 with a
 * built-in font in plane 2 (mimic's BIOS sets no mode and uploads no font
 * yet). Left out: pixel panning, the divide-by-2/4 address clocks, the
 * overscan border, light pen, and the "odd/even page" bit of misc output.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hw/display/vga_font.h"
#include "hw/display/vga_int.h"
#include "mimic/log.h"
#include "mimic/timer.h"

#define VGA_PORT_BASE 0x3B0
#define VGA_PORT_COUNT 0x30
#define VGA_WINDOW_BASE 0xA0000
#define VGA_WINDOW_SIZE 0x20000
#define VGA_LEGACY_BYTES (4 * VGA_PLANE_SIZE)
#define VGA_TEXT_MAX_CELLS (256 * 256)
#define VGA_FONT_STRIDE 32                /* bytes per glyph in plane 2 */
#define VGA_REFRESH_HZ 70
#define VGA_LINES_PER_FRAME 449

enum { SR_RESET, SR_CLOCK, SR_MAP_MASK, SR_CHAR_MAP, SR_MEMORY_MODE };
enum { GR_SET_RESET, GR_ENABLE_SET_RESET, GR_COLOR_COMPARE, GR_ROTATE, GR_READ_MAP,
       GR_MODE, GR_MISC, GR_DONT_CARE, GR_BIT_MASK };
enum { CR_HDISP_END = 0x01, CR_OVERFLOW = 0x07, CR_MAX_SCAN = 0x09, CR_CURSOR_START = 0x0a,
       CR_CURSOR_END = 0x0b, CR_START_HI = 0x0c, CR_START_LO = 0x0d, CR_CURSOR_HI = 0x0e,
       CR_CURSOR_LO = 0x0f, CR_VRETRACE_END = 0x11, CR_VDISP_END = 0x12, CR_OFFSET = 0x13,
       CR_UNDERLINE = 0x14, CR_MODE = 0x17, CR_LINE_COMPARE = 0x18 };
enum { AR_MODE = 0x10, AR_OVERSCAN = 0x11, AR_PLANE_ENABLE = 0x12, AR_PAN = 0x13,
       AR_COLOR_SELECT = 0x14 };
#define AR_PAS 0x20                       /* palette address source: display on */
#define MISC_COLOR 0x01                   /* CRTC at 0x3D4 rather than 0x3B4 */
#define MISC_RAM_ENABLE 0x02

/* Bits each register implements (reads give back only these). */
static const uint8_t sr_mask[VGA_SR_COUNT] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e };
static const uint8_t gr_mask[VGA_GR_COUNT] = { 0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff };

/* Mode 3 (80x25 text, 720x400, 9-dot cells of 16 lines) as the IBM VGA
 * BIOS programs it; the power-on state here. */
static const uint8_t mode3_sr[VGA_SR_COUNT] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_gr[VGA_GR_COUNT] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff };
static const uint8_t mode3_cr[VGA_CR_COUNT] = {
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00,
    0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};
static const uint8_t mode3_ar[VGA_AR_COUNT] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
    0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00,
};

typedef enum { FRAME_NONE, FRAME_BLANK, FRAME_TEXT, FRAME_GRAPHICS, FRAME_VBE } FrameKind;

/* Everything a frame's pixels depend on besides memory and the cursor's
 * position; when it changes the whole screen is redrawn. Compared with
 * memcmp, so always zeroed before it is filled. */
typedef struct FrameKey {
    int kind;
    uint8_t sr[VGA_SR_COUNT], gr_mode, gr_misc, cr[VGA_CR_COUNT], ar[VGA_AR_COUNT];
    uint16_t vbe[VBE_REG_COUNT];
    bool big_endian;
    uint32_t palette[256];
} FrameKey;

struct VgaFrame {
    FrameKey key;
    uint32_t *cells;                      /* text: what each cell was drawn as */
    int ncells;
};

/* Text-mode geometry from the CRTC and sequencer. */
typedef struct TextGeom {
    int cols, rows, cell_width, cell_height, dup, width, height;
    uint32_t start, pitch;                /* CRTC address counter units */
    uint32_t font_a, font_b;              /* plane-2 offsets (attribute bit 3 = 1 / 0) */
} TextGeom;

typedef enum { SHIFT_PLANAR, SHIFT_CGA, SHIFT_PACKED } ShiftMode;

typedef struct GfxGeom {
    ShiftMode shift;
    int cols, width, height;
    int rep, scan_div, row_lines;         /* surface line -> scanline -> character row */
    uint32_t start, pitch, line_compare;
} GfxGeom;

/* ---- DAC and attribute colours ------------------------------------------ */

static uint32_t vga_dac_rgb(const Vga *s, unsigned index)
{
    const uint8_t *c = s->dac[index & s->dac_mask];
    if (s->vbe[VBE_ENABLE] & VBE_8BIT_DAC)
        return (uint32_t)c[0] << 16 | c[1] << 8 | c[2];
    uint32_t r = (c[0] << 2) | (c[0] >> 4), g = (c[1] << 2) | (c[1] >> 4);
    uint32_t b = (c[2] << 2) | (c[2] >> 4);
    return r << 16 | g << 8 | b;
}

/* A 4-bit pixel through the colour plane enable, the palette registers and
 * the colour select register to a DAC index (FreeVGA, attribute controller). */
static uint8_t vga_attr_index(const Vga *s, unsigned v)
{
    uint8_t p = s->ar[v & s->ar[AR_PLANE_ENABLE] & 0x0f] & 0x3f;
    if (s->ar[AR_MODE] & 0x80)
        p = (p & 0x0f) | (s->ar[AR_COLOR_SELECT] & 0x03) << 4;
    return (uint8_t)(p | (s->ar[AR_COLOR_SELECT] & 0x0c) << 4);
}

static void vga_build_luts(const Vga *s, const uint32_t dac[256], uint32_t lut16[16],
                           uint32_t lut256[256])
{
    for (unsigned v = 0; v < 16; v++)
        lut16[v] = dac[vga_attr_index(s, v)];
    /* 256-colour mode: each nibble passes the palette registers and the two
     * low nibbles form the DAC index (identity palettes in mode 13h). */
    uint8_t pe = s->ar[AR_PLANE_ENABLE] & 0x0f;
    for (unsigned b = 0; b < 256; b++)
        lut256[b] = dac[(s->ar[(b >> 4) & pe] & 0x0f) << 4 | (s->ar[b & pe] & 0x0f)];
}

/* ---- Ports -------------------------------------------------------------- */

static bool vga_port_inactive(const Vga *s, uint16_t port)
{
    bool color = s->misc & MISC_COLOR;
    if (port >= 0x3b0 && port <= 0x3bf)
        return color && (port == 0x3b4 || port == 0x3b5 || port == 0x3ba);
    if (port >= 0x3d0 && port <= 0x3df)
        return !color && (port == 0x3d4 || port == 0x3d5 || port == 0x3da);
    return false;
}

/* Input status 1: a 70 Hz frame of 449 lines on the virtual clock, so
 * guests that wait for retrace see it come and go. */
static uint8_t vga_input_status1(void)
{
    int64_t frame = NS_PER_SEC / VGA_REFRESH_HZ;
    int64_t line = frame / VGA_LINES_PER_FRAME;
    int64_t t = clock_virtual_ns() % frame;
    bool vretrace = t >= frame - frame / 20;
    bool hblank = t % line >= line * 4 / 5;
    return (uint8_t)((vretrace ? 0x08 : 0) | (vretrace || hblank ? 0x01 : 0));
}

uint8_t vga_port_read(Vga *s, uint16_t port)
{
    if (vga_port_inactive(s, port))
        return 0xff;
    switch (port) {
    case 0x3c0:
        return s->ar_index;
    case 0x3c1:
        return (s->ar_index & 0x1f) < VGA_AR_COUNT ? s->ar[s->ar_index & 0x1f] : 0;
    case 0x3c2:
        return 0;                                   /* input status 0 */
    case 0x3c4:
        return s->sr_index;
    case 0x3c5:
        return s->sr_index < VGA_SR_COUNT ? s->sr[s->sr_index] : 0xff;
    case 0x3c6:
        return s->dac_mask;
    case 0x3c7:
        return s->dac_reading ? 0x03 : 0x00;
    case 0x3c8:
        return s->dac_write_index;
    case 0x3c9: {
        uint8_t v = s->dac[s->dac_read_index][s->dac_step];
        if (++s->dac_step == 3) {
            s->dac_step = 0;
            s->dac_read_index++;
        }
        return v;
    }
    case 0x3ca:
        return s->feature;
    case 0x3cc:
        return s->misc;
    case 0x3ce:
        return s->gr_index;
    case 0x3cf:
        return s->gr_index < VGA_GR_COUNT ? s->gr[s->gr_index] : 0xff;
    case 0x3b4: case 0x3d4:
        return s->cr_index;
    case 0x3b5: case 0x3d5:
        return s->cr_index < VGA_CR_COUNT ? s->cr[s->cr_index] : 0xff;
    case 0x3ba: case 0x3da:
        s->ar_data_next = false;                    /* reading resets the flip-flop */
        return vga_input_status1();
    default:
        return 0xff;
    }
}

static void vga_ar_write(Vga *s, uint8_t index, uint8_t v)
{
    if (index < 0x10) {
        /* The palette is dual-ported: the host may load it only while the
         * display does not use it (PAS = 0). */
        if (!(s->ar_index & AR_PAS))
            s->ar[index] = v & 0x3f;
        return;
    }
    static const uint8_t mask[VGA_AR_COUNT - 0x10] = { 0xef, 0xff, 0x3f, 0x0f, 0x0f };
    if (index < VGA_AR_COUNT)
        s->ar[index] = v & mask[index - 0x10];
    else
        guest_error("vga: write 0x%02x to attribute register 0x%02x, which does not exist\n",
                    v, index);
}

static void vga_cr_write(Vga *s, uint8_t index, uint8_t v)
{
    if (index >= VGA_CR_COUNT) {
        log_unimp("vga: write 0x%02x to CRTC register 0x%02x (not a VGA register)\n", v, index);
        return;
    }
    /* CR11 bit 7 protects CR0-CR7, except the line compare bit in CR7. */
    if ((s->cr[CR_VRETRACE_END] & 0x80) && index <= CR_OVERFLOW) {
        if (index == CR_OVERFLOW)
            s->cr[index] = (uint8_t)((s->cr[index] & ~0x10) | (v & 0x10));
        return;
    }
    s->cr[index] = v;
}

void vga_port_write(Vga *s, uint16_t port, uint8_t v)
{
    if (vga_port_inactive(s, port))
        return;
    switch (port) {
    case 0x3c0:
        if (s->ar_data_next)
            vga_ar_write(s, s->ar_index & 0x1f, v);
        else
            s->ar_index = v & 0x3f;
        s->ar_data_next = !s->ar_data_next;
        break;
    case 0x3c2:
        s->misc = v;
        break;
    case 0x3c4:
        s->sr_index = v;
        break;
    case 0x3c5:
        if (s->sr_index < VGA_SR_COUNT)
            s->sr[s->sr_index] = v & sr_mask[s->sr_index];
        else
            log_unimp("vga: write 0x%02x to sequencer register 0x%02x\n", v, s->sr_index);
        break;
    case 0x3c6:
        s->dac_mask = v;
        break;
    case 0x3c7:
        s->dac_read_index = v;
        s->dac_step = 0;
        s->dac_reading = 1;
        break;
    case 0x3c8:
        s->dac_write_index = v;
        s->dac_step = 0;
        s->dac_reading = 0;
        break;
    case 0x3c9:
        s->dac_pending[s->dac_step] = v & (s->vbe[VBE_ENABLE] & VBE_8BIT_DAC ? 0xff : 0x3f);
        if (++s->dac_step == 3) {
            memcpy(s->dac[s->dac_write_index++], s->dac_pending, 3);
            s->dac_step = 0;
        }
        break;
    case 0x3ce:
        s->gr_index = v;
        break;
    case 0x3cf:
        if (s->gr_index < VGA_GR_COUNT)
            s->gr[s->gr_index] = v & gr_mask[s->gr_index];
        else
            log_unimp("vga: write 0x%02x to graphics register 0x%02x\n", v, s->gr_index);
        break;
    case 0x3b4: case 0x3d4:
        s->cr_index = v;
        break;
    case 0x3b5: case 0x3d5:
        vga_cr_write(s, s->cr_index, v);
        break;
    case 0x3ba: case 0x3da:
        s->feature = v;
        break;
    default:
        break;                                      /* 0x3C3 VGA enable and unused ports */
    }
}

static uint64_t vga_ioport_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)size;
    return vga_port_read(opaque, (uint16_t)(VGA_PORT_BASE + offset));
}

static void vga_ioport_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)size;
    vga_port_write(opaque, (uint16_t)(VGA_PORT_BASE + offset), (uint8_t)value);
}

/* Byte-wide: a 16-bit OUT to an index port is index then data. */
static const MemoryRegionOps vga_ioport_ops = {
    .read = vga_ioport_read, .write = vga_ioport_write, .min_access = 1, .max_access = 1,
};

/* ---- The legacy window and the planes ----------------------------------- */

bool vga_vbe_active(const Vga *s)
{
    return (s->vbe[VBE_ENABLE] & VBE_ENABLED) && s->vbe[VBE_BPP] != 4;
}

/* GR6 memory map select: where the window is and how big. */
static bool vga_window_offset(const Vga *s, uint32_t addr, uint32_t *off)
{
    switch ((s->gr[GR_MISC] >> 2) & 3) {
    case 0:
        *off = addr;
        return true;
    case 1:
        *off = addr;
        return addr < 0x10000;
    case 2:
        *off = addr - 0x10000;
        return addr >= 0x10000 && addr < 0x18000;
    default:
        *off = addr - 0x18000;
        return addr >= 0x18000;
    }
}

static inline uint8_t *vga_plane_ptr(Vga *s, uint32_t offset)
{
    return &s->vram[(offset & (VGA_PLANE_SIZE - 1)) * 4];
}

static uint8_t vga_mem_readb(Vga *s, uint32_t addr)
{
    uint32_t a;
    if (!(s->misc & MISC_RAM_ENABLE) || !vga_window_offset(s, addr, &a))
        return 0xff;
    unsigned plane;
    if (s->sr[SR_MEMORY_MODE] & 0x08) {             /* chain-4: A1:A0 pick the plane */
        plane = a & 3;
        a &= ~3u;
    } else if (s->gr[GR_MODE] & 0x10) {             /* odd/even: A0 picks 0/2 or 1/3 */
        plane = (s->gr[GR_READ_MAP] & 2) | (a & 1);
        a &= ~1u;
    } else {
        plane = s->gr[GR_READ_MAP] & 3;
    }
    memcpy(s->latch, vga_plane_ptr(s, a), 4);
    if (!(s->gr[GR_MODE] & 0x08))
        return s->latch[plane];
    /* Read mode 1: bits where every plane in don't-care matches the
     * colour compare register. */
    uint8_t match = 0xff;
    for (int p = 0; p < 4; p++) {
        if (!(s->gr[GR_DONT_CARE] & (1 << p)))
            continue;
        uint8_t want = s->gr[GR_COLOR_COMPARE] & (1 << p) ? 0xff : 0x00;
        match &= (uint8_t)~(s->latch[p] ^ want);
    }
    return match;
}

static void vga_mem_writeb(Vga *s, uint32_t addr, uint8_t v)
{
    uint32_t a;
    if (!(s->misc & MISC_RAM_ENABLE) || !vga_window_offset(s, addr, &a))
        return;
    uint8_t planes = s->sr[SR_MAP_MASK] & 0x0f;
    if (s->sr[SR_MEMORY_MODE] & 0x08) {
        planes &= (uint8_t)(1 << (a & 3));
        a &= ~3u;
    } else if (!(s->sr[SR_MEMORY_MODE] & 0x04)) {
        planes &= a & 1 ? 0x0a : 0x05;
        a &= ~1u;
    }
    if (!planes)
        return;

    unsigned mode = s->gr[GR_MODE] & 3;
    uint8_t rot = s->gr[GR_ROTATE] & 7;
    uint8_t rotated = (uint8_t)((v >> rot) | (v << ((8 - rot) & 7)));
    uint8_t bit_mask = s->gr[GR_BIT_MASK];
    uint8_t data[4];
    for (int p = 0; p < 4; p++) {
        uint8_t set_reset = s->gr[GR_SET_RESET] & (1 << p) ? 0xff : 0x00;
        switch (mode) {
        case 0:
            data[p] = s->gr[GR_ENABLE_SET_RESET] & (1 << p) ? set_reset : rotated;
            break;
        case 1:
            data[p] = s->latch[p];
            break;
        case 2:
            data[p] = v & (1 << p) ? 0xff : 0x00;
            break;
        default:
            data[p] = set_reset;
            break;
        }
    }
    if (mode != 1) {
        if (mode == 3)
            bit_mask &= rotated;
        for (int p = 0; p < 4; p++) {
            switch ((s->gr[GR_ROTATE] >> 3) & 3) {
            case 1: data[p] &= s->latch[p]; break;
            case 2: data[p] |= s->latch[p]; break;
            case 3: data[p] ^= s->latch[p]; break;
            default: break;
            }
            data[p] = (uint8_t)((data[p] & bit_mask) | (s->latch[p] & ~bit_mask));
        }
    }
    uint8_t *dst = vga_plane_ptr(s, a);
    for (int p = 0; p < 4; p++)
        if (planes & (1 << p))
            dst[p] = data[p];
    vga_mark_page(s, (uint32_t)(dst - s->vram));
}

static uint64_t vga_window_read(void *opaque, uint64_t offset, unsigned size)
{
    Vga *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = (uint32_t)offset + i;
        uint8_t b = 0xff;
        if (vga_vbe_active(s)) {
            uint32_t lin = s->vbe[VBE_BANK] * VBE_BANK_SIZE + a;
            if (a < VBE_BANK_SIZE && lin < VGA_VRAM_SIZE)
                b = s->vram[lin];
        } else {
            b = vga_mem_readb(s, a);
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void vga_window_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Vga *s = opaque;
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = (uint32_t)offset + i;
        uint8_t b = (uint8_t)(value >> (8 * i));
        if (vga_vbe_active(s)) {
            uint32_t lin = s->vbe[VBE_BANK] * VBE_BANK_SIZE + a;
            if (a < VBE_BANK_SIZE && lin < VGA_VRAM_SIZE) {
                s->vram[lin] = b;
                vga_mark_page(s, lin);
            }
        } else {
            vga_mem_writeb(s, a, b);
        }
    }
}

static const MemoryRegionOps vga_window_ops = {
    .read = vga_window_read, .write = vga_window_write, .min_access = 1, .max_access = 8,
};

/* ---- CRTC addressing ---------------------------------------------------- */

static int vga_vdisp_end(const Vga *s)
{
    return (s->cr[CR_VDISP_END] | (s->cr[CR_OVERFLOW] & 0x02) << 7 |
            (s->cr[CR_OVERFLOW] & 0x40) << 3) + 1;
}

static uint32_t vga_start_address(const Vga *s)
{
    return (uint32_t)s->cr[CR_START_HI] << 8 | s->cr[CR_START_LO];
}

/* The address counter to a plane offset: doubleword, word (bit 13 or 15
 * wraps into bit 0) or byte mode. */
static uint32_t vga_crtc_address(const Vga *s, uint32_t counter)
{
    uint32_t ma;
    if (s->cr[CR_UNDERLINE] & 0x40)
        ma = counter << 2 | ((counter >> 14) & 3);
    else if (!(s->cr[CR_MODE] & 0x40))
        ma = counter << 1 | ((counter >> (s->cr[CR_MODE] & 0x20 ? 15 : 13)) & 1);
    else
        ma = counter;
    return ma & (VGA_PLANE_SIZE - 1);
}

/* ---- Text modes --------------------------------------------------------- */

static uint32_t vga_font_offset(unsigned map)
{
    return (map & 3) * 0x4000 + (map >> 2) * 0x2000;
}

static bool vga_text_geometry(const Vga *s, TextGeom *g)
{
    g->cols = s->cr[CR_HDISP_END] + 1;
    g->cell_width = s->sr[SR_CLOCK] & 0x01 ? 8 : 9;
    g->dup = s->sr[SR_CLOCK] & 0x08 ? 2 : 1;
    g->cell_height = (s->cr[CR_MAX_SCAN] & 0x1f) + 1;
    g->rows = vga_vdisp_end(s) / (g->cell_height * (s->cr[CR_MAX_SCAN] & 0x80 ? 2 : 1));
    g->width = g->cols * g->cell_width * g->dup;
    g->height = g->rows * g->cell_height;
    g->start = vga_start_address(s);
    g->pitch = s->cr[CR_OFFSET] * 2u;
    uint8_t cm = s->sr[SR_CHAR_MAP];
    g->font_a = vga_font_offset((cm >> 3 & 4) | (cm >> 2 & 3));
    g->font_b = vga_font_offset((cm >> 2 & 4) | (cm & 3));
    return g->rows > 0 && g->cols * g->rows <= VGA_TEXT_MAX_CELLS;
}

static void vga_text_cell(const Vga *s, const TextGeom *g, int row, int col, uint8_t *ch,
                          uint8_t *attr)
{
    uint32_t ma = vga_crtc_address(s, g->start + row * g->pitch + col);
    *ch = s->vram[ma * 4];
    *attr = s->vram[ma * 4 + 1];
}

/* Draw one character cell. `cursor` gives the scanlines to fill with the
 * foreground (first > last: none); `hide` blinks the foreground away. */
static void vga_text_draw_cell(const Vga *s, const TextGeom *g, uint32_t *dst, int stride,
                               uint8_t ch, uint8_t attr, bool hide, int cursor_first,
                               int cursor_last, const uint32_t lut16[16])
{
    bool blink = s->ar[AR_MODE] & 0x08;
    uint32_t fg = lut16[attr & 0x0f];
    uint32_t bg = lut16[blink ? (attr >> 4) & 7 : attr >> 4];
    uint32_t font = attr & 0x08 ? g->font_a : g->font_b;
    bool line_graphics = g->cell_width == 9 && (s->ar[AR_MODE] & 0x04) && ch >= 0xc0 && ch <= 0xdf;
    bool underlined = (s->ar[AR_MODE] & 0x02) && (attr & 0x77) == 0x01;
    for (int line = 0; line < g->cell_height; line++) {
        uint32_t bits = s->vram[((font + ch * VGA_FONT_STRIDE + line) & (VGA_PLANE_SIZE - 1)) * 4 + 2];
        bits = bits << 1 | (line_graphics ? bits & 1 : 0);      /* 9 bits, MSB left */
        if (hide)
            bits = 0;
        if ((underlined && line == (s->cr[CR_UNDERLINE] & 0x1f)) ||
            (line >= cursor_first && line <= cursor_last))
            bits = 0x1ff;
        uint32_t *p = dst + line * stride;
        for (int x = 0; x < g->cell_width; x++) {
            uint32_t c = bits & (0x100 >> x) ? fg : bg;
            for (int d = 0; d < g->dup; d++)
                *p++ = c;
        }
    }
}

static void vga_text_render(Vga *s, DisplaySurface *surf, const TextGeom *g, bool full,
                            const uint32_t lut16[16])
{
    struct VgaFrame *f = s->frame;
    int n = g->cols * g->rows;
    if (f->ncells != n) {
        free(f->cells);
        f->cells = calloc((size_t)n, sizeof(*f->cells));
        if (!f->cells)
            fatal("out of memory");
        f->ncells = n;
        full = true;
    }
    /* Cursor and blink phases: 16 and 32 frames of a 70 Hz display. */
    int64_t frames = clock_virtual_ns() / (NS_PER_SEC / VGA_REFRESH_HZ);
    bool cursor_on = !((frames >> 3) & 1), blink_on = !((frames >> 4) & 1);
    int cursor_cell = -1;
    int cursor_first = s->cr[CR_CURSOR_START] & 0x1f, cursor_last = s->cr[CR_CURSOR_END] & 0x1f;
    if (!(s->cr[CR_CURSOR_START] & 0x20) && g->pitch && cursor_first <= cursor_last) {
        uint32_t pos = (uint32_t)s->cr[CR_CURSOR_HI] << 8 | s->cr[CR_CURSOR_LO];
        uint32_t d = (pos - g->start) & 0xffff;
        if (d / g->pitch < (uint32_t)g->rows && d % g->pitch < (uint32_t)g->cols)
            cursor_cell = (int)(d / g->pitch) * g->cols + (int)(d % g->pitch);
    }
    bool blink_enabled = s->ar[AR_MODE] & 0x08;
    int stride = surf->stride / 4, cw = g->cell_width * g->dup;
    for (int r = 0; r < g->rows; r++) {
        for (int c = 0; c < g->cols; c++) {
            int i = r * g->cols + c;
            uint8_t ch, attr;
            vga_text_cell(s, g, r, c, &ch, &attr);
            bool hide = blink_enabled && (attr & 0x80) && !blink_on;
            bool cursor = i == cursor_cell && cursor_on;
            uint32_t key = ch | attr << 8 | (uint32_t)hide << 16 | (uint32_t)cursor << 17 | 1u << 18;
            if (!full && f->cells[i] == key)
                continue;
            f->cells[i] = key;
            uint32_t *dst = surf->pixels + r * g->cell_height * stride + c * cw;
            vga_text_draw_cell(s, g, dst, stride, ch, attr, hide, cursor ? cursor_first : 1,
                               cursor ? cursor_last : 0, lut16);
            display_mark_dirty(s->con, c * cw, r * g->cell_height, cw, g->cell_height);
        }
    }
}

static char vga_text_ascii(uint8_t ch)
{
    if (ch >= 0x20 && ch < 0x7f)
        return (char)ch;
    return ch == 0x00 || ch == 0xff ? ' ' : '?';
}

static bool vga_text_snapshot(void *opaque, char *buf, size_t size)
{
    Vga *s = opaque;
    TextGeom g;
    if (vga_vbe_active(s) || (s->gr[GR_MISC] & 0x01) || !vga_text_geometry(s, &g))
        return false;
    size_t n = 0;
    for (int r = 0; r < g.rows; r++) {
        for (int c = 0; c <= g.cols; c++) {
            uint8_t ch = 0, attr;
            if (c < g.cols)
                vga_text_cell(s, &g, r, c, &ch, &attr);
            if (n + 1 < size)
                buf[n++] = c < g.cols ? vga_text_ascii(ch) : '\n';
        }
    }
    if (size)
        buf[n] = '\0';
    return true;
}

/* ---- Graphics modes ----------------------------------------------------- */

static bool vga_gfx_geometry(const Vga *s, GfxGeom *g)
{
    g->cols = s->cr[CR_HDISP_END] + 1;
    if (s->gr[GR_MODE] & 0x40) {
        g->shift = SHIFT_PACKED;
        g->width = g->cols * 4;                     /* a pixel is two dots */
    } else {
        g->shift = s->gr[GR_MODE] & 0x20 ? SHIFT_CGA : SHIFT_PLANAR;
        g->width = g->cols * 8;
    }
    g->scan_div = s->cr[CR_MAX_SCAN] & 0x80 ? 2 : 1;
    g->row_lines = (s->cr[CR_MAX_SCAN] & 0x1f) + 1;
    /* When the row scan counter replaces address bits 13/14 (CGA-style
     * interleaved banks) each scanline of a character row differs;
     * otherwise they repeat and one surface line stands for them all. */
    bool banked = (s->cr[CR_MODE] & 3) != 3;
    g->rep = banked ? g->scan_div : g->scan_div * g->row_lines;
    g->height = vga_vdisp_end(s) / g->rep;
    g->start = vga_start_address(s);
    g->pitch = s->cr[CR_OFFSET] * 2u;
    g->line_compare = s->cr[CR_LINE_COMPARE] | (s->cr[CR_OVERFLOW] & 0x10) << 4 |
                      (s->cr[CR_MAX_SCAN] & 0x40) << 3;
    return g->height > 0;
}

/* Plane offset of character clock `col` on surface line y. */
static uint32_t vga_gfx_address(const Vga *s, const GfxGeom *g, int y, int col)
{
    uint32_t scan = (uint32_t)y * g->rep, base = g->start;
    if (scan > g->line_compare) {                  /* split screen: restart at 0 */
        scan -= g->line_compare + 1;
        base = 0;
    }
    uint32_t l = scan / g->scan_div;
    uint32_t row = l / g->row_lines, rsc = l % g->row_lines;
    uint32_t ma = vga_crtc_address(s, base + row * g->pitch + col);
    if (!(s->cr[CR_MODE] & 1))
        ma = (ma & ~0x2000u) | (rsc & 1) << 13;
    if (!(s->cr[CR_MODE] & 2))
        ma = (ma & ~0x4000u) | (rsc & 2) << 13;
    return ma;
}

static bool vga_vram_dirty(const Vga *s, uint32_t start, uint32_t end)
{
    for (uint32_t p = start >> VGA_PAGE_SHIFT; p <= (end - 1) >> VGA_PAGE_SHIFT && p < VGA_PAGES; p++)
        if (s->dirty[p / 64] & (1ull << (p % 64)))
            return true;
    return false;
}

static void vga_gfx_line(const Vga *s, const GfxGeom *g, int y, uint32_t *dst,
                         const uint32_t lut16[16], const uint32_t lut256[256])
{
    for (int c = 0; c < g->cols; c++) {
        const uint8_t *p = &s->vram[vga_gfx_address(s, g, y, c) * 4];
        switch (g->shift) {
        case SHIFT_PACKED:
            for (int i = 0; i < 4; i++)
                *dst++ = lut256[p[i]];
            break;
        case SHIFT_CGA:
            for (int half = 0; half < 2; half++)
                for (int sh = 6; sh >= 0; sh -= 2)
                    *dst++ = lut16[(p[half] >> sh & 3) | (p[half + 2] >> sh & 3) << 2];
            break;
        default:
            for (int b = 7; b >= 0; b--)
                *dst++ = lut16[(p[0] >> b & 1) | (p[1] >> b & 1) << 1 | (p[2] >> b & 1) << 2 |
                               (p[3] >> b & 1) << 3];
            break;
        }
    }
}

static void vga_gfx_render(Vga *s, DisplaySurface *surf, const GfxGeom *g, bool full,
                           const uint32_t lut16[16], const uint32_t lut256[256])
{
    for (int y = 0; y < g->height; y++) {
        if (!full) {
            uint32_t a = vga_gfx_address(s, g, y, 0), b = vga_gfx_address(s, g, y, g->cols - 1);
            uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
            if (!vga_vram_dirty(s, lo * 4, hi * 4 + 4))
                continue;
        }
        vga_gfx_line(s, g, y, surf->pixels + y * (surf->stride / 4), lut16, lut256);
        display_mark_dirty(s->con, 0, y, g->width, 1);
    }
}

/* ---- VBE linear modes --------------------------------------------------- */

typedef struct VbeGeom {
    int width, height, bpp, bytes;
    uint32_t line, start;
} VbeGeom;

static bool vga_vbe_geometry(const Vga *s, VbeGeom *g)
{
    g->width = s->vbe[VBE_XRES];
    g->height = s->vbe[VBE_YRES];
    g->bpp = s->vbe[VBE_BPP];
    g->bytes = (g->bpp + 7) / 8;
    uint32_t vw = s->vbe[VBE_VIRT_WIDTH] > g->width ? s->vbe[VBE_VIRT_WIDTH] : (uint32_t)g->width;
    g->line = vw * g->bytes;
    g->start = s->vbe[VBE_Y_OFFSET] * g->line + s->vbe[VBE_X_OFFSET] * g->bytes;
    if (!g->width || !g->height ||
        (uint64_t)g->start + (uint64_t)g->line * (g->height - 1) + (uint64_t)g->width * g->bytes >
            VGA_VRAM_SIZE)
        return false;
    return g->bpp == 8 || g->bpp == 15 || g->bpp == 16 || g->bpp == 24 || g->bpp == 32;
}

static uint32_t vga_rgb565(uint32_t v, bool x555)
{
    uint32_t r, g, b = v & 0x1f;
    if (x555) {
        r = (v >> 10) & 0x1f;
        g = (v >> 5) & 0x1f;
        g = g << 3 | g >> 2;
    } else {
        r = v >> 11;
        g = (v >> 5) & 0x3f;
        g = g << 2 | g >> 4;
    }
    return (r << 3 | r >> 2) << 16 | g << 8 | (b << 3 | b >> 2);
}

/* One framebuffer line to xRGB; the format switch stays outside the
 * per-pixel loops, which a full 1024x768 redraw runs 786432 times. */
static void vga_vbe_line(const Vga *s, const VbeGeom *g, const uint8_t *p, uint32_t *dst,
                         const uint32_t dac[256])
{
    bool be = s->fb_big_endian;
    int n = g->width;
    switch (g->bpp) {
    case 8:
        for (int x = 0; x < n; x++)
            dst[x] = dac[p[x]];
        break;
    case 15:
    case 16:
        for (int x = 0; x < n; x++, p += 2)
            dst[x] = vga_rgb565(be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0],
                                g->bpp == 15);
        break;
    case 24:
        for (int x = 0; x < n; x++, p += 3)
            dst[x] = (uint32_t)p[2] << 16 | p[1] << 8 | p[0];
        break;
    default:
        if (be) {
            for (int x = 0; x < n; x++, p += 4)
                dst[x] = (uint32_t)p[1] << 16 | p[2] << 8 | p[3];
        } else {
            for (int x = 0; x < n; x++, p += 4)
                dst[x] = (uint32_t)p[2] << 16 | p[1] << 8 | p[0];
        }
        break;
    }
}

/* The LFB is guest RAM (no write traps), so the pages a frame shows are
 * compared with what the last frame showed. */
static void vga_sync_shadow(Vga *s, uint32_t start, uint32_t end)
{
    if (!s->lfb_ram || !s->lfb_ram->enabled || start >= end)
        return;
    if (!s->shadow) {
        s->shadow = mmap(NULL, VGA_VRAM_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (s->shadow == MAP_FAILED)
            fatal("out of memory for the VGA shadow framebuffer");
    }
    uint32_t page_size = 1u << VGA_PAGE_SHIFT;
    for (uint32_t p = start >> VGA_PAGE_SHIFT; p <= (end - 1) >> VGA_PAGE_SHIFT; p++) {
        uint8_t *a = s->vram + p * page_size, *b = s->shadow + p * page_size;
        if (memcmp(a, b, page_size)) {
            memcpy(b, a, page_size);
            s->dirty[p / 64] |= 1ull << (p % 64);
        }
    }
}

static void vga_vbe_render(Vga *s, DisplaySurface *surf, const VbeGeom *g, bool full,
                           const uint32_t dac[256])
{
    vga_sync_shadow(s, g->start, g->start + g->line * (g->height - 1) + g->width * g->bytes);
    for (int y = 0; y < g->height; y++) {
        uint32_t a = g->start + y * g->line;
        if (!full && !vga_vram_dirty(s, a, a + g->width * g->bytes))
            continue;
        vga_vbe_line(s, g, s->vram + a, surf->pixels + y * (surf->stride / 4), dac);
        display_mark_dirty(s->con, 0, y, g->width, 1);
    }
}

/* ---- One frame ---------------------------------------------------------- */

static void vga_render(void *opaque, DisplayConsole *c, bool full)
{
    Vga *s = opaque;
    struct VgaFrame *f = s->frame;
    FrameKey key;
    memset(&key, 0, sizeof(key));
    TextGeom tg = { 0 };
    GfxGeom gg = { 0 };
    VbeGeom vg = { 0 };
    int width = 0, height = 0;
    DisplaySurface *surf = display_surface(c);

    if (!(s->ar_index & AR_PAS) || (s->sr[SR_CLOCK] & 0x20)) {
        key.kind = FRAME_BLANK;
    } else if (vga_vbe_active(s)) {
        key.kind = vga_vbe_geometry(s, &vg) ? FRAME_VBE : FRAME_BLANK;
        width = vg.width, height = vg.height;
    } else if (!(s->gr[GR_MISC] & 0x01)) {
        key.kind = vga_text_geometry(s, &tg) ? FRAME_TEXT : FRAME_BLANK;
        width = tg.width, height = tg.height;
    } else {
        key.kind = vga_gfx_geometry(s, &gg) ? FRAME_GRAPHICS : FRAME_BLANK;
        width = gg.width, height = gg.height;
    }
    if (key.kind == FRAME_BLANK) {
        width = surf->width ? surf->width : 640;
        height = surf->height ? surf->height : 480;
    }
    memcpy(key.sr, s->sr, sizeof(key.sr));
    key.gr_mode = s->gr[GR_MODE] & 0x60;
    key.gr_misc = s->gr[GR_MISC] & 0x01;
    memcpy(key.cr, s->cr, sizeof(key.cr));
    key.cr[CR_CURSOR_HI] = key.cr[CR_CURSOR_LO] = 0;    /* the cursor is tracked per cell */
    memcpy(key.ar, s->ar, sizeof(key.ar));
    memcpy(key.vbe, s->vbe, sizeof(key.vbe));
    key.vbe[VBE_BANK] = 0;
    key.big_endian = s->fb_big_endian;
    for (int i = 0; i < 256; i++)
        key.palette[i] = vga_dac_rgb(s, (unsigned)i);
    if (memcmp(&key, &f->key, sizeof(key))) {
        memcpy(&f->key, &key, sizeof(key));
        full = true;
    }
    if (surf->width != width || surf->height != height) {
        surf = display_resize(c, width, height);
        full = true;
    }
    if (!surf->pixels)
        return;

    uint32_t lut16[16], lut256[256];
    vga_build_luts(s, key.palette, lut16, lut256);
    switch (key.kind) {
    case FRAME_TEXT:
        vga_text_render(s, surf, &tg, full, lut16);
        break;
    case FRAME_GRAPHICS:
        vga_sync_shadow(s, 0, VGA_LEGACY_BYTES);
        vga_gfx_render(s, surf, &gg, full, lut16, lut256);
        break;
    case FRAME_VBE:
        vga_vbe_render(s, surf, &vg, full, key.palette);
        break;
    default:
        if (full) {
            memset(surf->pixels, 0, (size_t)surf->stride * surf->height);
            display_mark_dirty(c, 0, 0, surf->width, surf->height);
        }
        break;
    }
    memset(s->dirty, 0, sizeof(s->dirty));
}

static const DisplayDeviceOps vga_display_ops = {
    .render = vga_render,
    .text = vga_text_snapshot,
};

/* ---- Reset and creation ------------------------------------------------- */

void vga_reset(void *opaque)
{
    Vga *s = opaque;
    s->misc = 0x67;
    s->feature = 0;
    s->sr_index = s->gr_index = s->cr_index = 0;
    memcpy(s->sr, mode3_sr, sizeof(s->sr));
    memcpy(s->gr, mode3_gr, sizeof(s->gr));
    memcpy(s->cr, mode3_cr, sizeof(s->cr));
    memcpy(s->ar, mode3_ar, sizeof(s->ar));
    s->ar_index = AR_PAS;
    s->ar_data_next = false;
    s->dac_mask = 0xff;
    s->dac_read_index = s->dac_write_index = s->dac_step = s->dac_reading = 0;
    memset(s->latch, 0, sizeof(s->latch));
    /* The 64 EGA colours at 0-63 (bits: 0 b, 1 g, 2 r, 3 b', 4 g', 5 r'),
     * which mode 3's palette registers point into; black above. */
    memset(s->dac, 0, sizeof(s->dac));
    for (int i = 0; i < 64; i++) {
        s->dac[i][0] = (uint8_t)((i >> 2 & 1) * 0x2a + (i >> 5 & 1) * 0x15);
        s->dac[i][1] = (uint8_t)((i >> 1 & 1) * 0x2a + (i >> 4 & 1) * 0x15);
        s->dac[i][2] = (uint8_t)((i & 1) * 0x2a + (i >> 3 & 1) * 0x15);
    }
    vbe_reset(s);
    memset(s->vram, 0, VGA_LEGACY_BYTES);
    uint8_t font[VGA_FONT_CHARS][VGA_FONT_HEIGHT];
    vga_font_build(font);
    for (int ch = 0; ch < VGA_FONT_CHARS; ch++)
        for (int line = 0; line < VGA_FONT_HEIGHT; line++)
            s->vram[(ch * VGA_FONT_STRIDE + line) * 4 + 2] = font[ch][line];
    memset(s->dirty, 0xff, sizeof(s->dirty));
    display_invalidate(s->con);
}

Vga *vga_common_create(Machine *m, const char *name)
{
    Vga *s = calloc(1, sizeof(*s));
    struct VgaFrame *f = calloc(1, sizeof(*f));
    if (!s || !f)
        fatal("out of memory");
    s->m = m;
    s->frame = f;
    /* Page-aligned so the LFB can be a KVM memory slot. */
    s->vram = mmap(NULL, VGA_VRAM_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s->vram == MAP_FAILED)
        fatal("cannot allocate %u MiB of video memory", VGA_VRAM_SIZE >> 20);
    as_map_io(m->io, "vga", VGA_PORT_BASE, VGA_PORT_COUNT, &vga_ioport_ops, s);
    as_map_io(m->mem, "vga-window", VGA_WINDOW_BASE, VGA_WINDOW_SIZE, &vga_window_ops, s);
    s->con = display_register(name, &vga_display_ops, s);
    machine_add_reset(m, vga_reset, s);
    vga_reset(s);
    return s;
}
