#ifndef HW_PCI_I440FX_H
#define HW_PCI_I440FX_H
#include "hw/pci/pci.h"
/* The i440FX host bridge (00.0) and PIIX3 ISA bridge (01.0) with PIRQ
 * routing to the machine's GSIs and the 0xCF9 reset control register. */
PciBus *i440fx_create(Machine *m);

/* The host bridge owns 0xC0000-0xFFFFF through its PAM registers and maps
 * shadow RAM (m->ram, which must be allocated before i440fx_create) there.
 * Without firmware (direct kernel boot) they reset to all RAM. With
 * firmware, call this: they reset to 0 as on real hardware, so the BIOS
 * ROM the caller maps beneath (priority 0) at rom_base..1 MiB shows
 * through; `rom` holds those bytes, for reads in write-only mode. */
void i440fx_use_firmware(PciBus *bus, const uint8_t *rom, uint32_t rom_base);
#endif
