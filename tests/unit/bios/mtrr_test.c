/* bios/mtrr.c: the WRMSRs POST issues, evaluated by the SDM's rules (vol. 3
 * 11.11.2 fixed and variable ranges, 11.11.4.1 precedences) for several RAM
 * sizes, address widths and MTRRcap values. */
#include "test.h"
#include "bios/mtrr.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static struct mtrr_write w[MTRR_MAX_WRITES];
static int nw;

static int get(u32 msr, u64 *v)
{
    for (int i = 0; i < nw; i++)
        if (w[i].msr == msr) {
            *v = w[i].value;
            return 1;
        }
    return 0;
}

/* Memory type of pa; -1 if the MTRRs are left off. */
static int type_of(u64 pa, unsigned phys_bits)
{
    u64 def, v, phys = (1ull << phys_bits) - 1;
    if (!get(MSR_MTRR_DEF_TYPE, &def) || !(def & MTRR_DEF_E))
        return -1;
    if ((def & MTRR_DEF_FE) && pa < MiB) {
        u32 msr;
        unsigned sub;
        if (pa < 0x80000) {
            msr = 0x250;
            sub = (unsigned)(pa >> 16);
        } else if (pa < 0xC0000) {
            msr = 0x258 + (u32)((pa - 0x80000) >> 17);
            sub = (unsigned)((pa - 0x80000) >> 14) & 7;
        } else {
            msr = 0x268 + (u32)((pa - 0xC0000) >> 15);
            sub = (unsigned)((pa - 0xC0000) >> 12) & 7;
        }
        return get(msr, &v) ? (int)((v >> (8 * sub)) & 0xFF) : -2;
    }
    int t = -1;
    for (u32 n = 0; n < 10; n++) {
        u64 base, mask;
        if (!get(0x200 + 2 * n, &base) || !get(0x201 + 2 * n, &mask) || !(mask & (1u << 11)))
            continue;
        u64 m = mask & phys & ~0xFFFull;
        if ((pa & m) != (base & m))
            continue;
        if ((base & 0xFF) == MTRR_TYPE_UC)
            return MTRR_TYPE_UC;
        t = (int)(base & 0xFF);
    }
    return t >= 0 ? t : (int)(def & 0xFF);
}

static int valid_ranges(void)
{
    int n = 0;
    u64 m;
    for (u32 i = 0; i < 10; i++)
        n += get(0x201 + 2 * i, &m) && (m & (1u << 11));
    return n;
}

TEST_CASE(pc_512m_36_bit)
{
    nw = mtrr_layout(512 * MiB, 8, 1, 36, w);
    CHECK_EQ(nw, 1 + 11 + 16);
    CHECK_EQ(w[nw - 1].msr, MSR_MTRR_DEF_TYPE);     /* enabled last */
    CHECK_EQ(w[nw - 1].value, 0xC06);
    CHECK_EQ(type_of(0, 36), MTRR_TYPE_WB);
    CHECK_EQ(type_of(0x9FFFF, 36), MTRR_TYPE_WB);
    CHECK_EQ(type_of(0xA0000, 36), MTRR_TYPE_UC);
    CHECK_EQ(type_of(0xBFFFF, 36), MTRR_TYPE_UC);
    CHECK_EQ(type_of(0xC0000, 36), MTRR_TYPE_WB);
    CHECK_EQ(type_of(0xFFFFF, 36), MTRR_TYPE_WB);
    CHECK_EQ(type_of(512 * MiB - 1, 36), MTRR_TYPE_WB);
    CHECK_EQ(type_of(512 * MiB, 36), MTRR_TYPE_UC);
    CHECK_EQ(type_of(0xFEE00000, 36), MTRR_TYPE_UC);
    CHECK_EQ(type_of(4 * GiB, 36), MTRR_TYPE_WB);
    CHECK_EQ(valid_ranges(), 3);
    u64 v;
    CHECK(get(0x201, &v));
    CHECK_EQ(v, 0xF80000800ull);       /* 2 GiB in 36 bits: no bit above 35 */
}

TEST_CASE(widths_and_sizes)
{
    static const struct { u32 ram; unsigned bits; int ranges; u32 uc_from; } c[] = {
        { 0xC0000000u, 40, 1, 0xC0000000u },
        { 128 * MiB, 46, 5, 128 * MiB },
        { 1000 * MiB, 39, 4, 1000 * MiB },
        { 100 * MiB, 48, 6, 112 * MiB },         /* 8 needed: the six largest */
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        nw = mtrr_layout(c[i].ram, 8, 1, c[i].bits, w);
        CHECK_EQ(valid_ranges(), c[i].ranges);
        CHECK_EQ(type_of(c[i].ram - 1, c[i].bits), MTRR_TYPE_WB);
        CHECK_EQ(type_of(c[i].uc_from - 1, c[i].bits), MTRR_TYPE_WB);
        CHECK_EQ(type_of(c[i].uc_from, c[i].bits), MTRR_TYPE_UC);
        CHECK_EQ(type_of(0xFFFFF000u, c[i].bits), MTRR_TYPE_UC);
        CHECK_EQ(type_of(1ull << 32, c[i].bits), MTRR_TYPE_WB);
        for (int j = 0; j < nw; j++)     /* nothing at or above MAXPHYADDR */
            if ((w[j].msr & 0xFF00) == 0x200 && w[j].msr < 0x214)
                CHECK_EQ(w[j].value >> c[i].bits, 0);
    }
}

TEST_CASE(fewer_ranges_and_no_fixed)
{
    /* MTRRcap VCNT 2, no fixed ranges: the hole gets both, FE stays off,
     * nothing is written to fixed or absent variable MTRRs. */
    nw = mtrr_layout(512 * MiB, 2, 0, 36, w);
    u64 v;
    CHECK(!get(0x250, &v));
    CHECK(!get(0x204, &v));
    CHECK(get(MSR_MTRR_DEF_TYPE, &v));
    CHECK_EQ(v, MTRR_DEF_E | MTRR_TYPE_WB);
    CHECK_EQ(valid_ranges(), 2);
    CHECK_EQ(type_of(1 * GiB, 36), MTRR_TYPE_UC);
    CHECK_EQ(type_of(512 * MiB, 36), MTRR_TYPE_WB);   /* no third range left */
    CHECK_EQ(type_of(0xA0000, 36), MTRR_TYPE_WB);     /* no fixed ranges: default */
    /* More than architectural PHYSBASE0..9 are never touched. */
    nw = mtrr_layout(512 * MiB, 200, 1, 36, w);
    CHECK(!get(0x214, &v));
    CHECK(get(0x213, &v));
    CHECK(nw <= MTRR_MAX_WRITES);
}

int main(void)
{
    RUN(pc_512m_36_bit);
    RUN(widths_and_sizes);
    RUN(fewer_ranges_and_no_fixed);
    TEST_EXIT();
}
