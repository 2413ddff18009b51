/*
 * CHS translation (see geometry.h). The choice follows the usual BIOS rule:
 * a drive whose own geometry fits the INT 13h limits is used as is, one
 * that fits after shifting cylinders into heads uses "large", anything else
 * LBA-assisted with 63 sectors per track.
 */
#include "geometry.h"

int geometry_translate(u64 sectors, struct chs p, struct chs *l)
{
    if (p.cyls && p.heads && p.spt && p.cyls <= CHS_MAX_CYLS && p.heads <= 16 && p.spt <= CHS_MAX_SPT) {
        *l = p;
        return GEOM_NONE;
    }
    if (p.cyls && p.heads && p.spt && p.spt <= CHS_MAX_SPT && p.heads <= 16 &&
        p.cyls * p.heads <= 131072) {
        u32 cyls = p.cyls, heads = p.heads;
        while (cyls > CHS_MAX_CYLS) {
            cyls >>= 1;
            heads <<= 1;
        }
        if (heads > CHS_MAX_HEADS) {
            /* 256 heads cannot be expressed: use 255 (ECHS rule). */
            heads = CHS_MAX_HEADS;
            cyls = p.cyls * p.heads / heads;
        }
        if (cyls > CHS_MAX_CYLS)
            cyls = CHS_MAX_CYLS;
        *l = (struct chs){ cyls, heads, p.spt };
        return GEOM_LARGE;
    }
    u32 heads;
    if (sectors <= (u64)CHS_MAX_CYLS * 16 * 63)
        heads = 16;
    else if (sectors <= (u64)CHS_MAX_CYLS * 32 * 63)
        heads = 32;
    else if (sectors <= (u64)CHS_MAX_CYLS * 64 * 63)
        heads = 64;
    else if (sectors <= (u64)CHS_MAX_CYLS * 128 * 63)
        heads = 128;
    else
        heads = 255;
    u64 cyls = sectors / (heads * 63);
    if (cyls > CHS_MAX_CYLS)
        cyls = CHS_MAX_CYLS;
    if (cyls == 0)
        cyls = 1;
    *l = (struct chs){ (u32)cyls, heads, 63 };
    return GEOM_LBA;
}

int geometry_chs_to_lba(const struct chs *g, u32 cyl, u32 head, u32 sector, u32 *lba)
{
    if (sector == 0 || sector > g->spt || head >= g->heads || cyl >= g->cyls)
        return -1;
    *lba = (cyl * g->heads + head) * g->spt + sector - 1;
    return 0;
}
