/*
 * State shared by the two halves of the standard VGA: vga.c (the VGA
 * registers, planes, legacy window and rendering) and vga_pci.c (the Bochs
 * VBE "DISPI" registers and the PCI function with its BARs). Private to
 * hw/display; nothing else includes it.
 */
#ifndef HW_DISPLAY_VGA_INT_H
#define HW_DISPLAY_VGA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/display.h"
#include "mimic/machine.h"

#define VGA_VRAM_SIZE (16u << 20)          /* QEMU stdvga's default, a power of two */
#define VGA_PLANE_SIZE 0x10000u            /* 64 KiB per plane, 4 planes */
#define VGA_PAGE_SHIFT 12
#define VGA_PAGES (VGA_VRAM_SIZE >> VGA_PAGE_SHIFT)

#define VGA_SR_COUNT 5
#define VGA_GR_COUNT 9
#define VGA_CR_COUNT 0x19
#define VGA_AR_COUNT 0x15

/* Bochs VBE DISPI registers (index port 0x1CE, data 0x1CF). */
enum {
    VBE_ID, VBE_XRES, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH,
    VBE_VIRT_HEIGHT, VBE_X_OFFSET, VBE_Y_OFFSET, VBE_VIDEO_MEMORY_64K, VBE_REG_COUNT
};
#define VBE_ENABLED 0x01
#define VBE_GETCAPS 0x02
#define VBE_8BIT_DAC 0x20
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM 0x80
#define VBE_BANK_SIZE 0x10000u

typedef struct PciDevice PciDevice;

typedef struct Vga {
    Machine *m;
    /* Plane p's byte at plane offset o is vram[o * 4 + p], so the four
     * planes of one address are one 32-bit word; VBE modes see vram as a
     * linear framebuffer. */
    uint8_t *vram;
    uint8_t *shadow;                      /* last rendered copy, for the RAM-mapped LFB */
    uint64_t dirty[VGA_PAGES / 64];       /* pages written through MMIO since the last frame */

    uint8_t misc;                         /* 0x3C2 write / 0x3CC read */
    uint8_t feature;
    uint8_t sr_index, sr[VGA_SR_COUNT];
    uint8_t gr_index, gr[VGA_GR_COUNT];
    uint8_t cr_index, cr[VGA_CR_COUNT];
    uint8_t ar_index;                     /* bits 0-4 index, bit 5 palette address source */
    bool ar_data_next;                    /* attribute flip-flop: next 0x3C0 write is data */
    uint8_t ar[VGA_AR_COUNT];
    uint8_t dac_mask;
    uint8_t dac_read_index, dac_write_index, dac_step, dac_reading;
    uint8_t dac_pending[3];
    uint8_t dac[256][3];                  /* as stored: 6-bit, or 8-bit in VBE 8BIT_DAC mode */
    uint8_t latch[4];

    uint16_t vbe_index;
    uint16_t vbe[VBE_REG_COUNT];
    bool fb_big_endian;                   /* QEMU extension register at BAR2 0x604 */

    DisplayConsole *con;
    struct VgaFrame *frame;               /* renderer's memory of the last frame (vga.c) */

    PciDevice *pci;
    MemoryRegion *lfb_ram;                /* BAR0 as RAM over its MMIO fallback */
    MemoryRegion *rom_mr;
    uint8_t *rom;
    uint32_t rom_size;                    /* power of two, 0: no option ROM */
} Vga;

/* vga.c */
Vga *vga_common_create(Machine *m, const char *name);
void vga_reset(void *opaque);
uint8_t vga_port_read(Vga *s, uint16_t port);
void vga_port_write(Vga *s, uint16_t port, uint8_t value);
bool vga_vbe_active(const Vga *s);        /* a DISPI mode (not 4 bpp) is on */
static inline void vga_mark_page(Vga *s, uint32_t vram_offset)
{
    uint32_t page = (vram_offset >> VGA_PAGE_SHIFT) & (VGA_PAGES - 1);
    s->dirty[page / 64] |= 1ull << (page % 64);
}

/* vga_pci.c */
uint16_t vbe_read(Vga *s, unsigned index);
void vbe_write(Vga *s, unsigned index, uint16_t value);
void vbe_reset(Vga *s);

#endif
