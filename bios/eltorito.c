/*
 * El Torito parsing (see eltorito.h): the BRVD identifies itself as "CD001"
 * version 1 with the "EL TORITO SPECIFICATION" system id; the validation
 * entry's 16 words sum to zero and end with 55 AA; the default entry is
 * bootable when its indicator is 88h.
 */
#include "eltorito.h"

static const char el_torito_id[] = "EL TORITO SPECIFICATION";

s32 eltorito_catalog_lba(const u8 *b)
{
    if (b[0] != 0 || b[1] != 'C' || b[2] != 'D' || b[3] != '0' || b[4] != '0' || b[5] != '1' ||
        b[6] != 1)
        return -1;
    for (int i = 0; i < 32; i++) {
        u8 want = i < (int)sizeof(el_torito_id) - 1 ? (u8)el_torito_id[i] : 0;
        if (b[7 + i] != want)
            return -1;
    }
    u32 lba = get_le32(b + 0x47);
    if (lba > 0x7FFFFFFF)
        return -1;
    return (s32)lba;
}

int eltorito_parse_catalog(const u8 *c, struct eltorito_entry *e)
{
    if (c[0] != 0x01 || c[0x1E] != 0x55 || c[0x1F] != 0xAA)
        return -1;
    u16 sum = 0;
    for (int i = 0; i < 32; i += 2)
        sum += get_le16(c + i);
    if (sum != 0)
        return -1;
    const u8 *d = c + 32;
    if (d[0] != 0x88)
        return -1;
    e->media = d[1] & 0x0F;
    e->load_seg = get_le16(d + 2);
    if (e->load_seg == 0)
        e->load_seg = 0x07C0;
    e->count = get_le16(d + 6);
    e->lba = get_le32(d + 8);
    return 0;
}
