/*
 * El Torito ("Bootable CD-ROM Format Specification" 1.0, Phoenix/IBM 1995):
 * the Boot Record Volume Descriptor at sector 17 and the boot catalog's
 * validation and initial/default entries. Pure logic, unit-tested on the host.
 */
#ifndef BIOS_ELTORITO_H
#define BIOS_ELTORITO_H

#include "types.h"

#define CD_SECTOR 2048
#define ELTORITO_BRVD_LBA 17
#define ELTORITO_NO_EMULATION 0

struct eltorito_entry {
    u8 media;          /* 0 no emulation, 1-3 floppy, 4 hard disk */
    u16 load_seg;      /* 0 in the catalog means 0x07C0 */
    u16 count;         /* 512-byte virtual sectors to load */
    u32 lba;           /* first CD sector of the image */
};

/* Boot catalog sector from the BRVD, or -1 if the sector is not one. */
s32 eltorito_catalog_lba(const u8 *brvd);
/* Parse the catalog's first sector: 0 with *e filled, -1 if the validation
 * entry is bad or the default entry is not bootable. */
int eltorito_parse_catalog(const u8 *cat, struct eltorito_entry *e);

#endif
