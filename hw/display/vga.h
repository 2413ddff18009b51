/*
 * The standard VGA with Bochs VBE extensions as PCI function 1234:1111
 * (QEMU's "-vga std"): legacy VGA ports and window, DISPI at 0x1CE/0x1CF,
 * the linear framebuffer in BAR0, the MMIO registers in BAR2 and an
 * optional VGA BIOS in the expansion ROM BAR. It registers one console
 * (mimic/display.h) with the display.
 */
#ifndef HW_DISPLAY_VGA_H
#define HW_DISPLAY_VGA_H

#include "hw/pci/pci.h"
#include "mimic/display.h"
#include "mimic/machine.h"

typedef struct Vga Vga;

#define VGA_PCI_DEVFN (2 << 3)     /* 00:02.0, where QEMU's pc puts it */
/* SeaBIOS's VGA BIOS for this card, from Debian's seabios package. */
#define VGA_DEFAULT_ROM "/usr/share/seabios/vgabios-stdvga.bin"

/* Create the card at devfn on bus. romfile: the option ROM for the ROM BAR;
 * NULL, or a file that does not exist, gives a card without one. */
Vga *vga_pci_create(Machine *m, PciBus *bus, int devfn, const char *romfile);
DisplayConsole *vga_console(Vga *s);

#endif
