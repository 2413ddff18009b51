/*
 * The PC's IDE controller as machines create it: the PIIX3 PCI IDE function
 * (8086:7010) with two compatibility-mode channels (0x1F0/0x3F6 on IRQ 14,
 * 0x170/0x376 on IRQ 15), bus-master DMA in BAR4, and up to four drives:
 * ATA hard disks and ATAPI CD/DVD-ROM drives backed by BlockBackends.
 */
#ifndef HW_IDE_IDE_H
#define HW_IDE_IDE_H

#include "hw/pci/pci.h"
#include "mimic/block.h"
#include "mimic/machine.h"

/* Drives 0..3: primary master, primary slave, secondary master, secondary slave. */
#define IDE_MAX_DRIVES 4
#define PIIX_IDE_DEVFN ((1 << 3) | 1)   /* 01.1, beside the PIIX3 ISA bridge at 01.0 */

typedef enum IdeDriveKind {
    IDE_DRIVE_NONE,
    IDE_DRIVE_DISK,     /* ATA hard disk: blk required */
    IDE_DRIVE_CD,       /* ATAPI CD/DVD-ROM: blk NULL means an empty drive */
} IdeDriveKind;

typedef struct IdeDrive {
    IdeDriveKind kind;
    BlockBackend *blk;  /* stays owned by the caller; used for the machine's lifetime */
} IdeDrive;

typedef struct PiixIde PiixIde;

/* Create the function at devfn on bus, its legacy ports in m->io and its
 * interrupts on m->gsi[14] and m->gsi[15]; DMA reaches m->mem. Registers a
 * machine reset handler (hardware reset of controller and drives). */
PiixIde *piix_ide_create(Machine *m, PciBus *bus, int devfn, const IdeDrive drives[IDE_MAX_DRIVES]);

#endif
