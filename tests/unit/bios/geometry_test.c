/* bios/geometry.c: INT 13h CHS translation per the Phoenix EDD 1.1 rules
 * (none / bit-shift "large" / LBA-assisted) and CHS -> LBA. */
#include "test.h"
#include "bios/geometry.h"

TEST_CASE(small_disk_keeps_its_geometry)
{
    struct chs l;
    CHECK_EQ(geometry_translate(20 * 16 * 63, (struct chs){ 20, 16, 63 }, &l), GEOM_NONE);
    CHECK(l.cyls == 20 && l.heads == 16 && l.spt == 63);
}

TEST_CASE(one_gib_uses_large_translation)
{
    /* 2080 cylinders x 16 heads: halve cylinders, double heads twice. */
    struct chs l;
    CHECK_EQ(geometry_translate(2097152, (struct chs){ 2080, 16, 63 }, &l), GEOM_LARGE);
    CHECK_EQ(l.cyls, 520);
    CHECK_EQ(l.heads, 64);
    CHECK_EQ(l.spt, 63);
}

TEST_CASE(four_gib_uses_lba_assist_255_heads)
{
    struct chs l;
    CHECK_EQ(geometry_translate(8388608, (struct chs){ 8322, 16, 63 }, &l), GEOM_LBA);
    CHECK_EQ(l.heads, 255);
    CHECK_EQ(l.spt, 63);
    CHECK_EQ(l.cyls, 522);
}

TEST_CASE(lba_assist_head_steps)
{
    struct chs l;
    /* No usable physical geometry: heads from the EDD table by size. */
    geometry_translate(1000000, (struct chs){ 0, 0, 0 }, &l);
    CHECK(l.heads == 16 && l.cyls == 1000000 / (16 * 63));
    geometry_translate(1032193, (struct chs){ 0, 0, 0 }, &l);
    CHECK_EQ(l.heads, 32);
    geometry_translate(4128768, (struct chs){ 0, 0, 0 }, &l);
    CHECK_EQ(l.heads, 64);
    geometry_translate(4128769, (struct chs){ 0, 0, 0 }, &l);
    CHECK_EQ(l.heads, 128);
}

TEST_CASE(huge_disk_caps_at_1024_cylinders)
{
    struct chs l;
    CHECK_EQ(geometry_translate(1ull << 32, (struct chs){ 16383, 16, 63 }, &l), GEOM_LBA);
    CHECK_EQ(l.cyls, 1024);
    CHECK_EQ(l.heads, 255);
}

TEST_CASE(chs_to_lba)
{
    struct chs g = { 1024, 16, 63 };
    u32 lba;
    CHECK_EQ(geometry_chs_to_lba(&g, 0, 0, 1, &lba), 0);
    CHECK_EQ(lba, 0);
    CHECK_EQ(geometry_chs_to_lba(&g, 1, 0, 1, &lba), 0);
    CHECK_EQ(lba, 1008);
    CHECK_EQ(geometry_chs_to_lba(&g, 2, 3, 4, &lba), 0);
    CHECK_EQ(lba, (2 * 16 + 3) * 63 + 3);
    CHECK_EQ(geometry_chs_to_lba(&g, 0, 0, 0, &lba), -1);     /* sectors count from 1 */
    CHECK_EQ(geometry_chs_to_lba(&g, 0, 16, 1, &lba), -1);
    CHECK_EQ(geometry_chs_to_lba(&g, 0, 0, 64, &lba), -1);
    CHECK_EQ(geometry_chs_to_lba(&g, 1024, 0, 1, &lba), -1);
}

int main(void)
{
    RUN(small_disk_keeps_its_geometry);
    RUN(one_gib_uses_large_translation);
    RUN(four_gib_uses_lba_assist_255_heads);
    RUN(lba_assist_head_steps);
    RUN(huge_disk_caps_at_1024_cylinders);
    RUN(chs_to_lba);
    TEST_EXIT();
}
