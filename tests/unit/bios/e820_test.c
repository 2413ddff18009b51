/* bios/e820.c: building the E820 map the way POST does (RAM list, then the
 * BIOS's holes and reservations on top), checked against ACPI 6.4 ch. 15. */
#include "test.h"
#include "bios/e820.h"

static int same(const struct e820_entry *e, u64 start, u64 size, u32 type)
{
    return e->start == start && e->size == size && e->type == type;
}

TEST_CASE(reserve_inside_ram_splits_it)
{
    struct e820_table t = { 0 };
    CHECK_EQ(e820_add(&t, 0, 0xA0000, E820_RAM), 0);
    CHECK_EQ(e820_add(&t, 0x9FC00, 0x400, E820_RESERVED), 0);
    CHECK_EQ(t.n, 2);
    CHECK(same(&t.e[0], 0, 0x9FC00, E820_RAM));
    CHECK(same(&t.e[1], 0x9FC00, 0x400, E820_RESERVED));
}

TEST_CASE(pc_layout_from_one_ram_range)
{
    struct e820_table t = { 0 };
    e820_add(&t, 0, 512u << 20, E820_RAM);
    e820_add(&t, 0xA0000, 0x40000, E820_HOLE);
    e820_add(&t, 0x9FC00, 0x400, E820_RESERVED);
    e820_add(&t, 0xE0000, 0x20000, E820_RESERVED);
    CHECK_EQ(t.n, 4);
    CHECK(same(&t.e[0], 0, 0x9FC00, E820_RAM));
    CHECK(same(&t.e[1], 0x9FC00, 0x400, E820_RESERVED));
    CHECK(same(&t.e[2], 0xE0000, 0x20000, E820_RESERVED));
    CHECK(same(&t.e[3], 0x100000, (512u << 20) - 0x100000, E820_RAM));
    CHECK_EQ(e820_ram_end(&t, 0x100000), 512u << 20);
    CHECK_EQ(e820_ram_end(&t, 0xE0000), 0);
}

TEST_CASE(unsorted_input_ends_sorted)
{
    struct e820_table t = { 0 };
    e820_add(&t, 1ull << 32, 1ull << 30, E820_RAM);
    e820_add(&t, 0xFFFE0000, 0x20000, E820_RESERVED);
    e820_add(&t, 0, 0x80000000, E820_RAM);
    CHECK_EQ(t.n, 3);
    CHECK(t.e[0].start == 0 && t.e[1].start == 0xFFFE0000 && t.e[2].start == 1ull << 32);
}

TEST_CASE(neighbours_of_one_type_merge)
{
    struct e820_table t = { 0 };
    e820_add(&t, 0x1000, 0x1000, E820_RESERVED);
    e820_add(&t, 0x3000, 0x1000, E820_RESERVED);
    e820_add(&t, 0x2000, 0x1000, E820_RESERVED);
    CHECK_EQ(t.n, 1);
    CHECK(same(&t.e[0], 0x1000, 0x3000, E820_RESERVED));
}

TEST_CASE(override_spanning_several_entries)
{
    struct e820_table t = { 0 };
    e820_add(&t, 0, 0x1000, E820_RAM);
    e820_add(&t, 0x1000, 0x1000, E820_ACPI);
    e820_add(&t, 0x2000, 0x1000, E820_NVS);
    e820_add(&t, 0x800, 0x2000, E820_RESERVED);
    CHECK_EQ(t.n, 3);
    CHECK(same(&t.e[0], 0, 0x800, E820_RAM));
    CHECK(same(&t.e[1], 0x800, 0x2000, E820_RESERVED));
    CHECK(same(&t.e[2], 0x2800, 0x800, E820_NVS));
}

TEST_CASE(full_table_is_refused_unchanged)
{
    struct e820_table t = { 0 };
    for (int i = 0; i < E820_MAX; i++)
        CHECK_EQ(e820_add(&t, (u64)i * 0x2000, 0x1000, i & 1 ? E820_RAM : E820_RESERVED), 0);
    CHECK_EQ(t.n, E820_MAX);
    struct e820_table before = t;
    CHECK_EQ(e820_add(&t, 0x100000000ull, 0x1000, E820_RAM), -1);
    CHECK_EQ(t.n, before.n);
    for (int i = 0; i < t.n; i++)
        CHECK(same(&t.e[i], before.e[i].start, before.e[i].size, before.e[i].type));
    /* A hole in the middle of an entry needs one more slot too. */
    CHECK_EQ(e820_add(&t, 0x400, 0x100, E820_HOLE), -1);
}

TEST_CASE(zero_size_is_a_no_op)
{
    struct e820_table t = { 0 };
    e820_add(&t, 0, 0x1000, E820_RAM);
    CHECK_EQ(e820_add(&t, 0x800, 0, E820_RESERVED), 0);
    CHECK_EQ(t.n, 1);
}

int main(void)
{
    RUN(reserve_inside_ram_splits_it);
    RUN(pc_layout_from_one_ram_range);
    RUN(unsorted_input_ends_sorted);
    RUN(neighbours_of_one_type_merge);
    RUN(override_spanning_several_entries);
    RUN(full_table_is_refused_unchanged);
    RUN(zero_size_is_a_no_op);
    TEST_EXIT();
}
