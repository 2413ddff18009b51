/* bios/eltorito.c: Boot Record Volume Descriptor and boot catalog parsing,
 * with sectors laid out by hand from the El Torito 1.0 spec (tables 1-3). */
#include "test.h"
#include "bios/eltorito.h"

static void make_brvd(u8 *b, u32 catalog)
{
    memset(b, 0, CD_SECTOR);
    b[0] = 0;                                   /* boot record */
    memcpy(b + 1, "CD001", 5);
    b[6] = 1;
    memcpy(b + 7, "EL TORITO SPECIFICATION", 23);
    b[0x47] = catalog;
    b[0x48] = catalog >> 8;
    b[0x49] = catalog >> 16;
    b[0x4A] = catalog >> 24;
}

static void make_catalog(u8 *c, u8 indicator, u8 media, u16 seg, u16 count, u32 lba)
{
    memset(c, 0, CD_SECTOR);
    c[0] = 0x01;                                /* validation entry */
    c[1] = 0x00;                                /* platform 80x86 */
    memcpy(c + 4, "mimic test", 10);
    c[0x1E] = 0x55;
    c[0x1F] = 0xAA;
    u16 sum = 0;
    for (int i = 0; i < 32; i += 2)
        sum += c[i] | c[i + 1] << 8;
    u16 fix = -sum;
    c[0x1C] = fix;
    c[0x1D] = fix >> 8;
    u8 *d = c + 32;                             /* initial/default entry */
    d[0] = indicator;
    d[1] = media;
    d[2] = seg;
    d[3] = seg >> 8;
    d[6] = count;
    d[7] = count >> 8;
    d[8] = lba;
    d[9] = lba >> 8;
    d[10] = lba >> 16;
    d[11] = lba >> 24;
}

TEST_CASE(brvd_gives_catalog_sector)
{
    u8 b[CD_SECTOR];
    make_brvd(b, 0x1234);
    CHECK_EQ(eltorito_catalog_lba(b), 0x1234);
}

TEST_CASE(brvd_with_other_system_id_is_rejected)
{
    u8 b[CD_SECTOR];
    make_brvd(b, 20);
    memcpy(b + 7, "EL TORITO SPECIFICATIOM", 23);
    CHECK_EQ(eltorito_catalog_lba(b), -1);
    make_brvd(b, 20);
    b[0] = 1;                                   /* a primary volume descriptor */
    CHECK_EQ(eltorito_catalog_lba(b), -1);
    make_brvd(b, 20);
    b[7 + 23] = 'X';                            /* id must be zero padded */
    CHECK_EQ(eltorito_catalog_lba(b), -1);
}

TEST_CASE(no_emulation_entry)
{
    u8 c[CD_SECTOR];
    struct eltorito_entry e;
    make_catalog(c, 0x88, 0, 0, 4, 35);
    CHECK_EQ(eltorito_parse_catalog(c, &e), 0);
    CHECK_EQ(e.media, ELTORITO_NO_EMULATION);
    CHECK_EQ(e.load_seg, 0x07C0);               /* 0 means the traditional 07C0 */
    CHECK_EQ(e.count, 4);
    CHECK_EQ(e.lba, 35);
    make_catalog(c, 0x88, 0, 0x2000, 1, 99);
    CHECK_EQ(eltorito_parse_catalog(c, &e), 0);
    CHECK_EQ(e.load_seg, 0x2000);
}

TEST_CASE(bad_checksum_or_key_is_rejected)
{
    u8 c[CD_SECTOR];
    struct eltorito_entry e;
    make_catalog(c, 0x88, 0, 0, 4, 35);
    c[5] ^= 1;
    CHECK_EQ(eltorito_parse_catalog(c, &e), -1);
    make_catalog(c, 0x88, 0, 0, 4, 35);
    c[0x1F] = 0;
    CHECK_EQ(eltorito_parse_catalog(c, &e), -1);
}

TEST_CASE(non_bootable_default_entry_is_rejected)
{
    u8 c[CD_SECTOR];
    struct eltorito_entry e;
    make_catalog(c, 0x00, 0, 0, 4, 35);
    CHECK_EQ(eltorito_parse_catalog(c, &e), -1);
}

TEST_CASE(emulation_media_type_is_reported)
{
    u8 c[CD_SECTOR];
    struct eltorito_entry e;
    make_catalog(c, 0x88, 2, 0, 1, 40);         /* 1.44M floppy emulation */
    CHECK_EQ(eltorito_parse_catalog(c, &e), 0);
    CHECK_EQ(e.media, 2);
}

int main(void)
{
    RUN(brvd_gives_catalog_sector);
    RUN(brvd_with_other_system_id_is_rejected);
    RUN(no_emulation_entry);
    RUN(bad_checksum_or_key_is_rejected);
    RUN(non_bootable_default_entry_is_rejected);
    RUN(emulation_media_type_is_reported);
    TEST_EXIT();
}
