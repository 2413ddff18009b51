/*
 * INT 13h CHS geometry translation for ATA disks (Phoenix "Enhanced Disk
 * Drive Specification" 1.1, section 4: no translation, bit-shift "large"
 * translation, LBA-assisted translation). Pure logic, unit-tested on the host.
 */
#ifndef BIOS_GEOMETRY_H
#define BIOS_GEOMETRY_H

#include "types.h"

#define CHS_MAX_CYLS 1024
#define CHS_MAX_HEADS 255
#define CHS_MAX_SPT 63

enum { GEOM_NONE, GEOM_LARGE, GEOM_LBA };

struct chs { u32 cyls, heads, spt; };

/* Logical geometry for the BIOS CHS calls; returns the translation used. */
int geometry_translate(u64 sectors, struct chs phys, struct chs *logical);
/* CHS -> LBA with the logical geometry; -1 if the address is outside it. */
int geometry_chs_to_lba(const struct chs *g, u32 cyl, u32 head, u32 sector, u32 *lba);

#endif
