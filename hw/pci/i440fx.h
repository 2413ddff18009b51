#ifndef HW_PCI_I440FX_H
#define HW_PCI_I440FX_H
#include "hw/pci/pci.h"
/* The i440FX host bridge (00.0) and PIIX3 ISA bridge (01.0) with PIRQ
 * routing to the machine's GSIs and the 0xCF9 reset control register. */
PciBus *i440fx_create(Machine *m);
#endif
