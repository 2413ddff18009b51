/*
 * mimic's built-in 8x16 VGA character set (CP437 layout), loaded into
 * plane 2 by the VGA at reset; see vga_font.c.
 */
#ifndef HW_DISPLAY_VGA_FONT_H
#define HW_DISPLAY_VGA_FONT_H

#include <stdint.h>

#define VGA_FONT_CHARS 256
#define VGA_FONT_HEIGHT 16

/* Fill font[c][row] (bit 7 = leftmost pixel) for all 256 codes. */
void vga_font_build(uint8_t font[VGA_FONT_CHARS][VGA_FONT_HEIGHT]);

#endif
