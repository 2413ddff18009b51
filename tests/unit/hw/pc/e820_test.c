/*
 * e820 tests: the pc machine's memory map matches the standard PC layout
 * (RAM, EBDA, BIOS shadow, PCI hole at 3 GiB, IOAPIC/LAPIC/KVM's pages/
 * flash, RAM above 4 GiB), e820_add carves ranges out of RAM, and multiboot
 * mem_lower/upper.
 */
#include "test.h"

#include "hw/pc/e820.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

struct want { uint64_t addr, size; uint32_t type; };

static int table_matches(const E820Table *t, const struct want *w, int n)
{
    if (t->count != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (t->entry[i].addr != w[i].addr || t->entry[i].size != w[i].size ||
            t->entry[i].type != w[i].type)
            return 0;
    return 1;
}

/* 128 MiB: everything below the hole. */
TEST_CASE(pc_map_128m)
{
    E820Table t;
    e820_build_pc(&t, 128 * MiB);
    static const struct want w[] = {
        { 0, 0x9FC00, 1 },
        { 0x9FC00, 0x400, 2 },
        { 0xF0000, 0x10000, 2 },
        { 0x100000, 127 * MiB, 1 },
        { 0xFEC00000, 0x1000, 2 },
        { 0xFEE00000, 0x1000, 2 },
        { 0xFEFFC000, 0x4000, 2 },    /* KVM's TSS + identity map, any accelerator */
        { 0xFFFC0000, 0x40000, 2 },
    };
    CHECK(table_matches(&t, w, 8));
}

/* 4 GiB: low RAM stops at 0xC0000000, the last GiB moves above 4 GiB. */
TEST_CASE(pc_map_4g_splits_at_hole)
{
    E820Table t;
    e820_build_pc(&t, 4 * GiB);
    CHECK_EQ(t.count, 9);
    CHECK_EQ(t.entry[3].addr, 0x100000);
    CHECK_EQ(t.entry[3].addr + t.entry[3].size, 0xC0000000ull);
    CHECK_EQ(t.entry[3].type, 1);
    CHECK_EQ(t.entry[8].addr, 4 * GiB);
    CHECK_EQ(t.entry[8].size, 1 * GiB);
    CHECK_EQ(t.entry[8].type, 1);
    CHECK_EQ(pc_lowmem_size(4 * GiB), 0xC0000000ull);
    CHECK_EQ(pc_highmem_size(4 * GiB), 1 * GiB);
}

/* Exactly 3 GiB still fits below the hole: no high RAM entry. */
TEST_CASE(pc_map_3g_no_high)
{
    E820Table t;
    e820_build_pc(&t, 3 * GiB);
    CHECK_EQ(t.count, 8);
    CHECK_EQ(t.entry[3].addr + t.entry[3].size, 3 * GiB);
    CHECK_EQ(pc_highmem_size(3 * GiB), 0);
}

/* ACPI tables at the top of low RAM become their own type-3 range. */
TEST_CASE(add_acpi_carves_ram)
{
    E820Table t;
    e820_build_pc(&t, 128 * MiB);
    CHECK(e820_add(&t, 128 * MiB - 0x20000, 0x20000, 3));
    CHECK_EQ(t.count, 9);
    CHECK_EQ(t.entry[3].addr, 0x100000);
    CHECK_EQ(t.entry[3].addr + t.entry[3].size, 128 * MiB - 0x20000);
    CHECK_EQ(t.entry[4].addr, 128 * MiB - 0x20000);
    CHECK_EQ(t.entry[4].size, 0x20000);
    CHECK_EQ(t.entry[4].type, 3);
    for (int i = 1; i < t.count; i++)
        CHECK(t.entry[i - 1].addr + t.entry[i - 1].size <= t.entry[i].addr);
}

/* A range in the middle of RAM splits it in three. */
TEST_CASE(add_in_middle_splits)
{
    E820Table t;
    e820_build_pc(&t, 128 * MiB);
    CHECK(e820_add(&t, 16 * MiB, MiB, 4));
    CHECK_EQ(t.count, 10);
    CHECK_EQ(t.entry[3].addr, MiB);
    CHECK_EQ(t.entry[3].size, 15 * MiB);
    CHECK_EQ(t.entry[4].addr, 16 * MiB);
    CHECK_EQ(t.entry[4].type, 4);
    CHECK_EQ(t.entry[5].addr, 17 * MiB);
    CHECK_EQ(t.entry[5].size, 111 * MiB);
    CHECK_EQ(t.entry[5].type, 1);
}

TEST_CASE(add_full_table_fails)
{
    E820Table t;
    e820_build_pc(&t, 1 * GiB);
    int added = 0;
    /* Each 4 KiB hole in RAM adds two entries; eventually the table fills. */
    for (int i = 0; i < 200; i++) {
        if (!e820_add(&t, 2 * MiB + (uint64_t)i * 0x2000, 0x1000, 2))
            break;
        added++;
    }
    CHECK(added < 200);
    CHECK(t.count <= E820_MAX);
    CHECK(t.count >= E820_MAX - 1);
    CHECK(!e820_add(&t, 512 * MiB, 0x1000, 2));
    CHECK(!e820_add(&t, ~0ull - 10, 100, 2));   /* wraps */
}

TEST_CASE(is_ram)
{
    E820Table t;
    e820_build_pc(&t, 128 * MiB);
    CHECK(e820_is_ram(&t, 0, 0x9FC00));
    CHECK(!e820_is_ram(&t, 0, 0x9FC01));          /* runs into the EBDA */
    CHECK(e820_is_ram(&t, MiB, 127 * MiB));
    CHECK(!e820_is_ram(&t, MiB, 127 * MiB + 1));
    CHECK(!e820_is_ram(&t, 0xA0000, 0x1000));     /* VGA window */
    CHECK(!e820_is_ram(&t, 0xFEE00000, 4));
    CHECK(!e820_is_ram(&t, 0xFEFFC000, 0x4000));
    /* Adjacent RAM entries count as one run. */
    CHECK(e820_add(&t, 64 * MiB, MiB, 1));
    CHECK(e820_is_ram(&t, 60 * MiB, 10 * MiB));
}

/* mem_lower: RAM from 0 (639 KiB with the EBDA); mem_upper: from 1 MiB to
 * the first hole, in KiB (multiboot spec 3.3). */
TEST_CASE(multiboot_mem)
{
    E820Table t;
    uint32_t lo, hi;
    e820_build_pc(&t, 128 * MiB);
    e820_multiboot_mem(&t, &lo, &hi);
    CHECK_EQ(lo, 639);
    CHECK_EQ(hi, 127 * 1024);
    CHECK(e820_add(&t, 128 * MiB - 0x10000, 0x10000, 3));
    e820_multiboot_mem(&t, &lo, &hi);
    CHECK_EQ(hi, 127 * 1024 - 64);
    /* A map without the 640 KiB hole: mem_lower still stops at 640 KiB. */
    E820Table flat = { .count = 1, .entry = { { 0, 64 * MiB, 1 } } };
    e820_multiboot_mem(&flat, &lo, &hi);
    CHECK_EQ(lo, 640);
    CHECK_EQ(hi, 63 * 1024);
    e820_build_pc(&t, 8 * GiB);
    e820_multiboot_mem(&t, &lo, &hi);
    CHECK_EQ(hi, (0xC0000000ull - MiB) / 1024);
}

int main(void)
{
    RUN(pc_map_128m);
    RUN(pc_map_4g_splits_at_hole);
    RUN(pc_map_3g_no_high);
    RUN(add_acpi_carves_ram);
    RUN(add_in_middle_splits);
    RUN(add_full_table_fails);
    RUN(is_ram);
    RUN(multiboot_mem);
    TEST_EXIT();
}
