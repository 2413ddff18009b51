/*
 * The standard VGA + Bochs VBE card driven like a guest (ports, the legacy
 * window, PCI config space and BARs; no CPU), checked against the IBM VGA /
 * FreeVGA register descriptions and the Bochs DISPI interface: plane write
 * and read modes, chain-4, odd/even, DAC, attribute flip-flop, CRTC protect,
 * rendering of text, mode 12h, mode 13h and VBE modes into the display
 * surface, the dirty rectangles, and the PCI BARs and option ROM BAR.
 */
#include "test.h"

#include <unistd.h>

#include "hw/display/vga.h"
#include "hw/pci/pci.h"
#include "mimic/display.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"

#define LFB_BASE 0xE0000000u
#define MMIO_BASE 0xE1000000u
#define ROM_BASE 0xE2000000u
#define ROM_FILE_SIZE 3000       /* rounds up to a 4 KiB ROM BAR */

static Machine *m;
static PciBus *bus;
static PciDevice *pdev;
static Vga *vga;
static DisplayConsole *con;
static char rom_path[64];

static void outb(uint16_t port, uint8_t v) { as_write(m->io, port, 1, v); }
static uint8_t inb(uint16_t port) { return (uint8_t)as_ld(m->io, port, 1); }
static void outw(uint16_t port, uint16_t v) { as_write(m->io, port, 2, v); }
static uint16_t inw(uint16_t port) { return (uint16_t)as_ld(m->io, port, 2); }
static void wb(uint32_t addr, uint8_t v) { as_write(m->mem, addr, 1, v); }
static uint8_t rb(uint32_t addr) { return (uint8_t)as_ld(m->mem, addr, 1); }

static void sr(uint8_t i, uint8_t v) { outb(0x3c4, i); outb(0x3c5, v); }
static void gr(uint8_t i, uint8_t v) { outb(0x3ce, i); outb(0x3cf, v); }
static uint8_t gr_read(uint8_t i) { outb(0x3ce, i); return inb(0x3cf); }
static void cr(uint8_t i, uint8_t v) { outb(0x3d4, i); outb(0x3d5, v); }
static uint8_t cr_read(uint8_t i) { outb(0x3d4, i); return inb(0x3d5); }
/* Attribute register write the way BIOSes do it: reset the flip-flop,
 * index with PAS clear, data, then PAS back on. */
static void ar(uint8_t i, uint8_t v)
{
    inb(0x3da);
    outb(0x3c0, i);
    outb(0x3c0, v);
    outb(0x3c0, 0x20);
}
static void dac_set(uint8_t i, uint8_t r, uint8_t g, uint8_t b)
{
    outb(0x3c8, i);
    outb(0x3c9, r);
    outb(0x3c9, g);
    outb(0x3c9, b);
}
static void dispi(uint16_t index, uint16_t v) { outw(0x1ce, index); outw(0x1cf, v); }
static uint16_t dispi_read(uint16_t index) { outw(0x1ce, index); return inw(0x1cf); }

typedef struct ModeRegs {
    uint8_t misc, sr[5], cr[25], gr[9], ar[21];
} ModeRegs;

/* Register sets of the IBM VGA BIOS mode table. */
static const ModeRegs mode13h = {
    0x63, { 0x03, 0x01, 0x0f, 0x00, 0x0e },
    { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x9c, 0x0e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
      0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00, 0x00 },
};
static const ModeRegs mode12h = {
    0xe3, { 0x03, 0x01, 0x0f, 0x00, 0x06 },
    { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff },
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
      0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00 },
};

static void set_mode(const ModeRegs *r)
{
    outb(0x3c2, r->misc);
    for (int i = 0; i < 5; i++)
        sr((uint8_t)i, r->sr[i]);
    cr(0x11, r->cr[0x11] & 0x7f);              /* unlock CR0-7 first */
    for (int i = 0; i < 25; i++)
        cr((uint8_t)i, r->cr[i]);
    for (int i = 0; i < 9; i++)
        gr((uint8_t)i, r->gr[i]);
    inb(0x3da);
    for (int i = 0; i < 21; i++) {
        outb(0x3c0, (uint8_t)i);
        outb(0x3c0, r->ar[i]);
    }
    outb(0x3c0, 0x20);
}

static uint32_t pixel(const DisplaySurface *s, int x, int y)
{
    return s->pixels[y * (s->stride / 4) + x];
}

static void setup(void)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1 };
    if (!m) {
        mainloop_init();
        machine_lock();
        m = machine_create(&type, &opts);
        snprintf(rom_path, sizeof(rom_path), "/tmp/vga_test_rom.%d", (int)getpid());
        FILE *f = fopen(rom_path, "wb");
        if (!f)
            abort();
        for (int i = 0; i < ROM_FILE_SIZE; i++)
            fputc(i == 0 ? 0x55 : i == 1 ? 0xaa : (uint8_t)(i * 7), f);
        fclose(f);
        bus = pci_bus_create(m);
        vga = vga_pci_create(m, bus, VGA_PCI_DEVFN, rom_path);
        unlink(rom_path);
        pdev = pci_bus_device(bus, VGA_PCI_DEVFN);
        con = vga_console(vga);
    }
    pci_config_write(pdev, PCI_COMMAND, 0, 2);
    pci_config_write(pdev, PCI_BAR0, 0, 4);
    pci_config_write(pdev, PCI_BAR0 + 8, 0, 4);
    pci_config_write(pdev, 0x30, 0, 4);
    machine_reset_devices(m);
    display_update(con, NULL);
}

static void map_bars(void)
{
    pci_config_write(pdev, PCI_BAR0, LFB_BASE, 4);
    pci_config_write(pdev, PCI_BAR0 + 8, MMIO_BASE, 4);
    pci_config_write(pdev, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
}

/* Sequential planar access to the 64 KiB window at 0xA0000. */
static void planar_mode(void)
{
    sr(4, 0x06);
    gr(5, 0x00);
    gr(6, 0x05);
    sr(2, 0x0f);
}

static uint8_t plane_byte(int plane, uint32_t offset)
{
    gr(4, (uint8_t)plane);
    return rb(0xa0000 + offset);
}

TEST_CASE(reset_state_is_mode3)
{
    setup();
    CHECK_EQ(inb(0x3cc), 0x67);
    CHECK_EQ(cr_read(0x01), 0x4f);
    CHECK_EQ(cr_read(0x13), 0x28);
    CHECK_EQ(gr_read(6), 0x0e);
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(s->width, 720);
    CHECK_EQ(s->height, 400);
    /* The built-in font sits in plane 2 (32 bytes a glyph): blank space,
     * something drawn for 'A'. */
    planar_mode();
    int ink_space = 0, ink_a = 0;
    for (int row = 0; row < 16; row++) {
        ink_space |= plane_byte(2, 0x20 * 32 + row);
        ink_a |= plane_byte(2, 0x41 * 32 + row);
    }
    CHECK_EQ(ink_space, 0);
    CHECK(ink_a != 0);
}

TEST_CASE(pci_identity_and_bars)
{
    setup();
    CHECK_EQ(pci_config_read(pdev, PCI_VENDOR_ID, 2), 0x1234);
    CHECK_EQ(pci_config_read(pdev, PCI_DEVICE_ID, 2), 0x1111);
    CHECK_EQ(pci_config_read(pdev, PCI_REVISION_ID, 4) >> 8, 0x030000);
    pci_config_write(pdev, PCI_BAR0, 0xffffffff, 4);
    CHECK_EQ(pci_config_read(pdev, PCI_BAR0, 4), 0xff000008);     /* 16 MiB, prefetchable */
    pci_config_write(pdev, PCI_BAR0 + 4, 0xffffffff, 4);
    CHECK_EQ(pci_config_read(pdev, PCI_BAR0 + 4, 4), 0);           /* BAR1 unused */
    pci_config_write(pdev, PCI_BAR0 + 8, 0xffffffff, 4);
    CHECK_EQ(pci_config_read(pdev, PCI_BAR0 + 8, 4), 0xfffff000);  /* 4 KiB MMIO */
    map_bars();
    /* BAR0 is RAM to the CPU (no exit per access) and reaches VRAM. */
    CHECK(address_space_host_ptr(m->mem, LFB_BASE, true, NULL) != NULL);
    as_write(m->mem, LFB_BASE + 0x100, 4, 0xdeadbeef);
    CHECK_EQ(as_ld(m->mem, LFB_BASE + 0x100, 4), 0xdeadbeef);
    pci_config_write(pdev, PCI_COMMAND, 0, 2);
    CHECK_EQ(as_ld(m->mem, LFB_BASE + 0x100, 4), 0xffffffff);     /* not decoded */
    pci_config_write(pdev, PCI_BAR0, LFB_BASE + 0x1000000, 4);
    pci_config_write(pdev, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    CHECK_EQ(as_ld(m->mem, LFB_BASE + 0x1000100, 4), 0xdeadbeef); /* moved with the BAR */
}

TEST_CASE(rom_bar)
{
    setup();
    pci_config_write(pdev, 0x30, 0xfffff800, 4);
    CHECK_EQ(pci_config_read(pdev, 0x30, 4), 0xfffff000);          /* 4 KiB ROM */
    pci_config_write(pdev, 0x30, ROM_BASE | 1, 4);
    CHECK_EQ(rb(ROM_BASE), 0xff);                                  /* memory decode off */
    pci_config_write(pdev, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    CHECK_EQ(rb(ROM_BASE), 0x55);
    CHECK_EQ(rb(ROM_BASE + 1), 0xaa);
    CHECK_EQ(rb(ROM_BASE + 100), (uint8_t)(100 * 7));
    CHECK_EQ(rb(ROM_BASE + ROM_FILE_SIZE), 0);                     /* padding */
    wb(ROM_BASE, 0);
    CHECK_EQ(rb(ROM_BASE), 0x55);                                  /* read-only */
    pci_config_write(pdev, 0x30, ROM_BASE, 4);
    CHECK_EQ(rb(ROM_BASE), 0xff);                                  /* enable bit off */
}

TEST_CASE(write_mode0_set_reset_rotate_function_mask)
{
    setup();
    planar_mode();
    gr(0, 0x05);                      /* set/reset: planes 0 and 2 */
    gr(1, 0x0f);                      /* enabled for all planes */
    wb(0xa0000, 0x00);
    CHECK_EQ(plane_byte(0, 0), 0xff);
    CHECK_EQ(plane_byte(1, 0), 0x00);
    CHECK_EQ(plane_byte(2, 0), 0xff);
    CHECK_EQ(plane_byte(3, 0), 0x00);
    gr(1, 0x00);
    gr(3, 0x04);                      /* rotate right by 4 */
    wb(0xa0010, 0x0f);
    for (int p = 0; p < 4; p++)
        CHECK_EQ(plane_byte(p, 0x10), 0xf0);
    gr(3, 0x08);                      /* AND with the latches */
    rb(0xa0010);                      /* latch 0xf0 in every plane */
    wb(0xa0010, 0xcc);                /* 0xcc & 0xf0 */
    CHECK_EQ(plane_byte(1, 0x10), 0xc0);
    gr(3, 0x18);                      /* XOR */
    rb(0xa0010);
    wb(0xa0010, 0xff);                /* rotated 0xff, xor 0xc0 */
    CHECK_EQ(plane_byte(2, 0x10), 0x3f);
    gr(3, 0x00);
    gr(8, 0xf0);                      /* bit mask: high nibble from data, low from latch */
    rb(0xa0010);                      /* latches 0x3f */
    wb(0xa0010, 0x80);
    CHECK_EQ(plane_byte(0, 0x10), 0x8f);
    gr(8, 0xff);
    sr(2, 0x02);                      /* map mask: plane 1 only */
    wb(0xa0020, 0x5a);
    CHECK_EQ(plane_byte(0, 0x20), 0x00);
    CHECK_EQ(plane_byte(1, 0x20), 0x5a);
}

TEST_CASE(write_modes_1_2_3)
{
    setup();
    planar_mode();
    gr(5, 0x02);                      /* mode 2: each plane gets a data bit */
    wb(0xa0000, 0x09);
    CHECK_EQ(plane_byte(0, 0), 0xff);
    CHECK_EQ(plane_byte(1, 0), 0x00);
    CHECK_EQ(plane_byte(2, 0), 0x00);
    CHECK_EQ(plane_byte(3, 0), 0xff);
    gr(5, 0x01);                      /* mode 1: copy the latches */
    rb(0xa0000);
    wb(0xa0040, 0x00);
    CHECK_EQ(plane_byte(0, 0x40), 0xff);
    CHECK_EQ(plane_byte(3, 0x40), 0xff);
    CHECK_EQ(plane_byte(1, 0x40), 0x00);
    gr(5, 0x03);                      /* mode 3: set/reset colour, data & bit mask as mask */
    gr(0, 0x06);
    gr(8, 0x3c);
    rb(0xa0080);                      /* latches 0 */
    wb(0xa0080, 0xf0);                /* mask = 0x3c & 0xf0 = 0x30 */
    CHECK_EQ(plane_byte(0, 0x80), 0x00);
    CHECK_EQ(plane_byte(1, 0x80), 0x30);
    CHECK_EQ(plane_byte(2, 0x80), 0x30);
    CHECK_EQ(plane_byte(3, 0x80), 0x00);
}

TEST_CASE(read_mode1_color_compare)
{
    setup();
    planar_mode();
    static const uint8_t planes[4] = { 0xf0, 0xcc, 0xaa, 0x00 };
    for (int p = 0; p < 4; p++) {
        sr(2, (uint8_t)(1 << p));
        wb(0xa0100, planes[p]);
    }
    gr(5, 0x08);
    gr(2, 0x03);                      /* colour 3: planes 0,1 set, 2,3 clear */
    gr(7, 0x0f);
    CHECK_EQ(rb(0xa0100), 0xf0 & 0xcc & 0x55 & 0xff);
    gr(7, 0x01);                      /* only plane 0 counts */
    CHECK_EQ(rb(0xa0100), 0xf0);
    gr(7, 0x00);                      /* nothing counts: all match */
    CHECK_EQ(rb(0xa0100), 0xff);
}

TEST_CASE(chain4_addressing)
{
    setup();
    set_mode(&mode13h);
    for (int i = 0; i < 8; i++)
        wb(0xa0000 + i, (uint8_t)(0x11 * (i + 1)));
    for (int i = 0; i < 8; i++)
        CHECK_EQ(rb(0xa0000 + i), 0x11 * (i + 1));
    /* Four consecutive bytes share one address in the four planes. */
    planar_mode();
    for (int p = 0; p < 4; p++) {
        CHECK_EQ(plane_byte(p, 0), 0x11 * (p + 1));
        CHECK_EQ(plane_byte(p, 4), 0x11 * (p + 5));
    }
}

TEST_CASE(odd_even_text_planes)
{
    setup();
    wb(0xb8000, 'A');
    wb(0xb8001, 0x1f);
    wb(0xb8002, 'B');
    wb(0xb8003, 0x2e);
    CHECK_EQ(rb(0xb8001), 0x1f);
    CHECK_EQ(rb(0xa0000), 0xff);                  /* GR6 maps only 0xB8000 */
    planar_mode();
    CHECK_EQ(plane_byte(0, 0), 'A');              /* characters in plane 0 */
    CHECK_EQ(plane_byte(0, 2), 'B');
    CHECK_EQ(plane_byte(1, 0), 0x1f);             /* attributes in plane 1 */
    CHECK_EQ(plane_byte(1, 2), 0x2e);
    CHECK_EQ(plane_byte(2, 0), 0);                /* the font's glyph 0 untouched */
}

TEST_CASE(dac_auto_increment_and_6bit)
{
    setup();
    outb(0x3c8, 5);
    CHECK_EQ(inb(0x3c7), 0x00);                   /* write mode */
    static const uint8_t vals[6] = { 0x3f, 0x20, 0x01, 0xff, 0x40, 0x15 };
    for (int i = 0; i < 6; i++)
        outb(0x3c9, vals[i]);
    CHECK_EQ(inb(0x3c8), 7);                      /* two entries written */
    outb(0x3c7, 5);
    CHECK_EQ(inb(0x3c7), 0x03);                   /* read mode */
    for (int i = 0; i < 6; i++)
        CHECK_EQ(inb(0x3c9), vals[i] & 0x3f);     /* 6-bit components */
    CHECK_EQ(inb(0x3c9), 0x2a);                   /* entry 7 (EGA grey) follows */
    outb(0x3c6, 0x0f);
    CHECK_EQ(inb(0x3c6), 0x0f);
}

TEST_CASE(attribute_flip_flop)
{
    setup();
    inb(0x3da);
    outb(0x3c0, 0x11);                            /* index (PAS clear) */
    outb(0x3c0, 0x2a);                            /* data */
    outb(0x3c0, 0x31);                            /* index again, PAS set */
    CHECK_EQ(inb(0x3c0), 0x31);
    CHECK_EQ(inb(0x3c1), 0x2a);
    outb(0x3c0, 0x12);                            /* this is data for 0x11 */
    CHECK_EQ(inb(0x3c1), 0x12);
    outb(0x3c0, 0x32);                            /* index 0x12 */
    inb(0x3da);                                   /* flip-flop back to index */
    outb(0x3c0, 0x33);                            /* so this is an index */
    outb(0x3c0, 0x05);                            /* data for 0x13 */
    CHECK_EQ(inb(0x3c0), 0x33);
    CHECK_EQ(inb(0x3c1), 0x05);
    outb(0x3c0, 0x32);
    CHECK_EQ(inb(0x3c1), 0x0f);                   /* 0x12 kept its mode 3 value */
    /* Palette registers load only while PAS = 0. */
    inb(0x3da);
    outb(0x3c0, 0x21);
    outb(0x3c0, 0x3c);
    outb(0x3c0, 0x21);
    CHECK_EQ(inb(0x3c1), 0x01);
    ar(0x01, 0x3c);
    inb(0x3da);
    outb(0x3c0, 0x21);
    CHECK_EQ(inb(0x3c1), 0x3c);
}

TEST_CASE(crtc_protect_and_io_select)
{
    setup();
    CHECK_EQ(cr_read(0x11) & 0x80, 0x80);         /* mode 3 leaves CR0-7 protected */
    cr(0x01, 0x27);
    CHECK_EQ(cr_read(0x01), 0x4f);
    cr(0x07, 0x00);
    CHECK_EQ(cr_read(0x07), 0x1f & ~0x10);        /* only line compare bit 8 writes */
    cr(0x13, 0x30);
    CHECK_EQ(cr_read(0x13), 0x30);                /* CR8 and up are not protected */
    cr(0x11, 0x0e);
    cr(0x01, 0x27);
    CHECK_EQ(cr_read(0x01), 0x27);
    /* Misc output bit 0 moves the CRTC between 0x3D4 and 0x3B4. */
    outb(0x3c2, 0x66);
    CHECK_EQ(inb(0x3d5), 0xff);
    outb(0x3b4, 0x13);
    CHECK_EQ(inb(0x3b5), 0x30);
}

static const uint8_t glyph_a[16] = { 0x00, 0x81, 0x42, 0x01, 0x80, 0xff, 0x18, 0x3c,
                                     0x7e, 0xaa, 0x55, 0x0f, 0xf0, 0x99, 0x66, 0x01 };

/* Load glyphs the way a BIOS does: plane 2 alone, sequential addressing. */
static void load_glyph(uint8_t ch, const uint8_t rows[16])
{
    sr(2, 0x04);
    sr(4, 0x06);
    gr(4, 0x02);
    gr(5, 0x00);
    gr(6, 0x04);
    for (int r = 0; r < 16; r++)
        wb(0xa0000 + ch * 32 + r, rows[r]);
    sr(2, 0x03);
    sr(4, 0x02);
    gr(4, 0x00);
    gr(5, 0x10);
    gr(6, 0x0e);
}

TEST_CASE(text_rendering_pixels)
{
    setup();
    load_glyph('A', glyph_a);
    static const uint8_t line_glyph[16] = { [3] = 0x01, [4] = 0x80 };
    load_glyph(0xc4, line_glyph);
    cr(0x0a, 0x20);                               /* cursor off: no blinking in the way */
    wb(0xb8000, 'A');
    wb(0xb8001, 0x1e);                            /* yellow on blue */
    wb(0xb8002, 'A');
    wb(0xb8003, 0x07);
    wb(0xb8004, 0xc4);                            /* a line-graphics character */
    wb(0xb8005, 0x07);
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(s->width, 720);
    CHECK_EQ(s->height, 400);
    const uint32_t yellow = 0xffff55, blue = 0x0000aa, grey = 0xaaaaaa;
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 9; x++) {
            bool on = x < 8 && (glyph_a[y] >> (7 - x)) & 1;
            CHECK_EQ(pixel(s, x, y), on ? yellow : blue);
            CHECK_EQ(pixel(s, 9 + x, y), on ? grey : 0);
        }
    /* 9th column: background, except for 0xC0-0xDF where column 8 repeats. */
    CHECK_EQ(pixel(s, 18 + 8, 3), grey);
    CHECK_EQ(pixel(s, 18 + 8, 4), 0);
    CHECK_EQ(pixel(s, 9 + 8, 3), 0);
    char text[81 * 25 + 1];
    CHECK(display_text(con, text, sizeof(text)));
    CHECK_EQ(strlen(text), 81 * 25);
    CHECK(!strncmp(text, "AA? ", 4));
    CHECK_EQ(text[80], '\n');
    /* 8-dot cells: 640 wide. */
    sr(1, 0x01);
    s = display_update(con, NULL);
    CHECK_EQ(s->width, 640);
    CHECK_EQ(pixel(s, 8 + 7, 3), grey);           /* second cell starts at x = 8 */
}

TEST_CASE(text_attribute_blink_and_intensity)
{
    setup();
    cr(0x0a, 0x20);
    wb(0xb8000, ' ');
    wb(0xb8001, 0x9f);                            /* bit 7: blink (or bright background) */
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0x0000aa);           /* blink enabled: background 1 */
    ar(0x10, 0x04);                               /* blink off: bit 7 is intensity */
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0x5555ff);           /* background 9, bright blue */
}

TEST_CASE(text_cursor_blinks)
{
    setup();
    cr(0x0a, 0x0e);
    cr(0x0b, 0x0f);
    cr(0x0e, 0x00);
    cr(0x0f, 80 + 3);                             /* row 1, column 3 */
    wb(0xb8000 + 2 * 83 + 1, 0x07);
    bool seen_on = false, seen_off = false;
    for (int i = 0; i < 40 && !(seen_on && seen_off); i++) {
        const DisplaySurface *s = display_update(con, NULL);
        uint32_t cursor_line = pixel(s, 3 * 9 + 4, 16 + 14), above = pixel(s, 3 * 9 + 4, 16 + 13);
        CHECK_EQ(above, 0);
        if (cursor_line == 0xaaaaaa)
            seen_on = true;
        else if (cursor_line == 0)
            seen_off = true;
        usleep(20000);
    }
    CHECK(seen_on);
    CHECK(seen_off);
}

TEST_CASE(mode13h_pixel_through_dac)
{
    setup();
    set_mode(&mode13h);
    dac_set(5, 63, 0, 32);
    wb(0xa0000 + 3 * 320 + 10, 5);
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(s->width, 320);
    CHECK_EQ(s->height, 200);
    CHECK_EQ(pixel(s, 10, 3), 0xff0082);          /* 6-bit 32 -> 0x82 */
    CHECK_EQ(pixel(s, 11, 3), 0);
    CHECK_EQ(pixel(s, 10, 2), 0);
    char text[16];
    CHECK(!display_text(con, text, sizeof(text)));
}

TEST_CASE(mode12h_planar_pixel)
{
    setup();
    set_mode(&mode12h);
    int x = 333, y = 401;
    gr(5, 0x02);                                  /* write mode 2 */
    gr(8, (uint8_t)(0x80 >> (x & 7)));
    rb(0xa0000 + y * 80 + x / 8);
    wb(0xa0000 + y * 80 + x / 8, 4);              /* colour 4: red */
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(s->width, 640);
    CHECK_EQ(s->height, 480);
    CHECK_EQ(pixel(s, x, y), 0xaa0000);
    CHECK_EQ(pixel(s, x + 1, y), 0);
    CHECK_EQ(pixel(s, x - 1, y), 0);
    ar(0x04, 0x3e);                               /* palette register 4 -> yellow */
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, x, y), 0xffff55);
}

static void vbe_mode(int w, int h, int bpp, uint16_t flags)
{
    dispi(4, 0);
    dispi(3, (uint16_t)bpp);
    dispi(1, (uint16_t)w);
    dispi(2, (uint16_t)h);
    dispi(4, (uint16_t)(0x01 | flags));
}

TEST_CASE(vbe_1024x768x32_lfb)
{
    setup();
    map_bars();
    CHECK_EQ(dispi_read(0) & 0xfff0, 0xb0c0);
    CHECK_EQ(dispi_read(10), 256);                /* 16 MiB in 64 KiB units */
    vbe_mode(1024, 768, 32, 0x40);
    CHECK_EQ(dispi_read(6), 1024);
    CHECK_EQ(dispi_read(7), (16 << 20) / 4096);
    as_write(m->mem, LFB_BASE + (5 * 1024 + 7) * 4, 4, 0x00123456);
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(s->width, 1024);
    CHECK_EQ(s->height, 768);
    CHECK_EQ(pixel(s, 7, 5), 0x123456);
    CHECK_EQ(pixel(s, 8, 5), 0);
    /* Panning through the Y offset. */
    dispi(9, 5);
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 7, 0), 0x123456);
    char text[16];
    CHECK(!display_text(con, text, sizeof(text)));
}

TEST_CASE(vbe_16_15_24_8bpp_conversion)
{
    setup();
    map_bars();
    vbe_mode(640, 480, 16, 0x40);
    as_write(m->mem, LFB_BASE + 0, 2, 0xf800);
    as_write(m->mem, LFB_BASE + 2, 2, 0x07e0);
    as_write(m->mem, LFB_BASE + 4, 2, 0x001f);
    as_write(m->mem, LFB_BASE + 6, 2, 0x8410);
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0xff0000);
    CHECK_EQ(pixel(s, 1, 0), 0x00ff00);
    CHECK_EQ(pixel(s, 2, 0), 0x0000ff);
    CHECK_EQ(pixel(s, 3, 0), 0x848284);
    vbe_mode(640, 480, 15, 0x40 | 0x80);          /* keep memory */
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0xf70000);           /* 0xf800 read as x1r5g5b5 */
    as_write(m->mem, LFB_BASE + 0, 2, 0x7c00);
    as_write(m->mem, LFB_BASE + 2, 2, 0x03e0);
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0xff0000);
    CHECK_EQ(pixel(s, 1, 0), 0x00ff00);
    vbe_mode(640, 480, 24, 0x40);
    as_write(m->mem, LFB_BASE + 3, 1, 0x11);
    as_write(m->mem, LFB_BASE + 4, 1, 0x22);
    as_write(m->mem, LFB_BASE + 5, 1, 0x33);
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 1, 0), 0x332211);
    CHECK_EQ(pixel(s, 0, 0), 0);                  /* enabling cleared memory */
    vbe_mode(640, 480, 8, 0x40);
    dac_set(9, 0x3f, 0x00, 0x3f);
    as_write(m->mem, LFB_BASE + 2, 1, 9);
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 2, 0), 0xff00ff);
    dispi(4, 0x41 | 0x20 | 0x80);                 /* 8-bit DAC */
    dac_set(9, 0x80, 0x40, 0xc0);
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 2, 0), 0x8040c0);
}

TEST_CASE(vbe_bank_window)
{
    setup();
    map_bars();
    vbe_mode(640, 480, 8, 0);                     /* banked, no LFB bit */
    dac_set(7, 0x3f, 0x3f, 0x00);
    dispi(5, 1);
    wb(0xa0010, 7);
    CHECK_EQ(rb(0xa0010), 7);
    CHECK_EQ(rb(LFB_BASE + 0x10010), 7);          /* the same byte through the LFB */
    CHECK_EQ(rb(0xb0000), 0xff);                  /* only 64 KiB of window */
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0x10010 % 640, 0x10010 / 640), 0xffff00);
    dispi(5, 300);                                /* beyond 16 MiB: refused */
    CHECK_EQ(dispi_read(5), 1);
}

TEST_CASE(dispi_registers_via_mmio_bar)
{
    setup();
    map_bars();
    CHECK_EQ(as_ld(m->mem, MMIO_BASE + 0x500, 2), 0xb0c5);
    as_write(m->mem, MMIO_BASE + 0x500, 2, 0xb0c0);
    CHECK_EQ(dispi_read(0), 0xb0c0);
    CHECK_EQ(as_ld(m->mem, MMIO_BASE + 0x500 + 2 * 10, 2), 256);
    CHECK_EQ(as_ld(m->mem, MMIO_BASE + 0x600, 4), 8);             /* extension regs size */
    CHECK_EQ(as_ld(m->mem, MMIO_BASE + 0x40c, 1), 0x67);          /* 0x3CC misc output */
    as_write(m->mem, MMIO_BASE + 0x414, 2, 0x200e);               /* 0x3D4 = 0x0e, 0x3D5 = 0x20 */
    CHECK_EQ(cr_read(0x0e), 0x20);
    as_write(m->mem, MMIO_BASE + 0x500 + 2 * 3, 2, 12);           /* BPP 12: refused */
    CHECK_EQ(dispi_read(3), 0);
    dispi(1, 800);
    dispi(4, 0x02);                                               /* GETCAPS */
    CHECK(dispi_read(1) >= 1920);
    CHECK_EQ(dispi_read(3), 32);
    dispi(4, 0x00);
    CHECK_EQ(dispi_read(1), 800);
    /* Linux's bochs driver blanks and unblanks through the attribute index. */
    as_write(m->mem, MMIO_BASE + 0x402, 1, 0x01);                 /* 0x3C2 colour */
    as_ld(m->mem, MMIO_BASE + 0x41a, 1);                          /* 0x3DA */
    as_write(m->mem, MMIO_BASE + 0x400, 1, 0x00);
    CHECK_EQ(inb(0x3c0), 0x00);
}

TEST_CASE(dirty_rectangles)
{
    setup();
    map_bars();
    vbe_mode(1024, 768, 32, 0x40);
    DisplayUpdate u;
    display_update(con, &u);
    CHECK(u.resized);
    CHECK_EQ(u.nrects, 1);
    CHECK_EQ(u.rect[0].w, 1024);
    CHECK_EQ(u.rect[0].h, 768);
    display_update(con, &u);
    CHECK(!u.resized);
    CHECK_EQ(u.nrects, 0);
    as_write(m->mem, LFB_BASE + (200 * 1024 + 100) * 4, 4, 0xffffff);
    display_update(con, &u);
    CHECK_EQ(u.nrects, 1);
    CHECK_EQ(u.rect[0].y, 200);
    CHECK_EQ(u.rect[0].h, 1);
    /* Banked writes (MMIO) are tracked too. */
    dispi(5, 4);                                  /* 0x40000 = line 64 */
    wb(0xa0000, 1);
    display_update(con, &u);
    CHECK_EQ(u.nrects, 1);
    CHECK_EQ(u.rect[0].y, 64);
    CHECK_EQ(u.rect[0].h, 1);

    /* Text mode: one character redraws one cell. */
    dispi(4, 0);
    cr(0x0a, 0x20);
    display_update(con, &u);
    CHECK(u.resized);
    display_update(con, &u);
    CHECK_EQ(u.nrects, 0);
    wb(0xb8000 + 2 * (3 * 80 + 5), 'x');
    display_update(con, &u);
    CHECK_EQ(u.nrects, 1);
    CHECK_EQ(u.rect[0].x, 5 * 9);
    CHECK_EQ(u.rect[0].y, 3 * 16);
    CHECK_EQ(u.rect[0].w, 9);
    CHECK_EQ(u.rect[0].h, 16);
    /* A palette change redraws everything. */
    dac_set(0, 1, 2, 3);
    display_update(con, &u);
    CHECK_EQ(u.nrects, 1);
    CHECK_EQ(u.rect[0].w * u.rect[0].h, 720 * 400);
}

TEST_CASE(blanking)
{
    setup();
    wb(0xb8000, 0xdb);
    wb(0xb8001, 0x0f);
    cr(0x0a, 0x20);
    const DisplaySurface *s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0xffffff);
    inb(0x3da);
    outb(0x3c0, 0x00);                            /* PAS = 0: palette to the host */
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0);
    inb(0x3da);
    outb(0x3c0, 0x20);
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0xffffff);
    sr(1, 0x20);                                  /* screen off */
    s = display_update(con, NULL);
    CHECK_EQ(pixel(s, 0, 0), 0);
}

/* Whatever a guest writes, nothing breaks: random port, window and BAR
 * traffic followed by frames. */
TEST_CASE(random_guest_traffic)
{
    setup();
    map_bars();
    uint32_t x = 12345;
    for (int i = 0; i < 200000; i++) {
        x = x * 1103515245 + 12345;
        uint32_t r = x >> 8;
        switch (r % 6) {
        case 0: outb((uint16_t)(0x3b0 + (r >> 8) % 0x30), (uint8_t)(r >> 16)); break;
        case 1: outw((uint16_t)(0x1ce + (r >> 8) % 2), (uint16_t)(r >> 12)); break;
        case 2: wb(0xa0000 + (r >> 8) % 0x20000, (uint8_t)(r >> 3)); break;
        case 3: rb(0xa0000 + (r >> 8) % 0x20000); break;
        case 4: as_write(m->mem, MMIO_BASE + (r >> 8) % 0x1000, 1 << (r >> 20) % 3, r); break;
        default: inb((uint16_t)(0x3b0 + (r >> 8) % 0x30)); break;
        }
        if (i % 5000 == 0) {
            display_update(con, NULL);
            char text[8192];
            display_text(con, text, sizeof(text));
        }
    }
    display_update(con, NULL);
    CHECK(true);
}

int main(void)
{
    RUN(reset_state_is_mode3);
    RUN(pci_identity_and_bars);
    RUN(rom_bar);
    RUN(write_mode0_set_reset_rotate_function_mask);
    RUN(write_modes_1_2_3);
    RUN(read_mode1_color_compare);
    RUN(chain4_addressing);
    RUN(odd_even_text_planes);
    RUN(dac_auto_increment_and_6bit);
    RUN(attribute_flip_flop);
    RUN(crtc_protect_and_io_select);
    RUN(text_rendering_pixels);
    RUN(text_attribute_blink_and_intensity);
    RUN(text_cursor_blinks);
    RUN(mode13h_pixel_through_dac);
    RUN(mode12h_planar_pixel);
    RUN(vbe_1024x768x32_lfb);
    RUN(vbe_16_15_24_8bpp_conversion);
    RUN(vbe_bank_window);
    RUN(dispi_registers_via_mmio_bar);
    RUN(dirty_rectangles);
    RUN(blanking);
    RUN(random_guest_traffic);
    TEST_EXIT();
}
