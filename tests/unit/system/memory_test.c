/* Address spaces: overlap priority, aliases, access-size adaptation,
 * unassigned accesses, and cross-range splitting. */
#include "mimic/memory.h"
#include "test.h"

static uint64_t last_off, last_val;
static unsigned last_size, nwrites, nreads;

static uint64_t rec_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    nreads++;
    last_off = off, last_size = size;
    return 0x0807060504030201ull >> (off % 8 * 8);
}

static void rec_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    (void)opaque;
    nwrites++;
    last_off = off, last_val = v, last_size = size;
}

static const MemoryRegionOps rec32 = { rec_read, rec_write, 4, 4 };
static const MemoryRegionOps rec_bytes = { rec_read, rec_write, 1, 1 };

TEST_CASE(ram_read_write)
{
    uint8_t ram[4096] = { 0 };
    AddressSpace *as = address_space_new("t");
    as_map_ram(as, "ram", 0x1000, sizeof(ram), ram);
    as_st(as, 0x1010, 4, 0xdeadbeef);
    CHECK_EQ(ram[0x10], 0xef);
    CHECK_EQ(ram[0x13], 0xde);
    CHECK_EQ(as_ld(as, 0x1010, 2), 0xbeef);
    CHECK_EQ(as_ld(as, 0x1011, 8), 0xdeadbe);
    CHECK_EQ(as_ld(as, 0x0ff0, 4), 0xffffffff);   /* unassigned */
    uint64_t v;
    CHECK(!as_read(as, 0x3000, 1, &v));
    address_space_free(as);
}

TEST_CASE(rom_ignores_writes)
{
    uint8_t rom[16] = { 0xaa };
    AddressSpace *as = address_space_new("t");
    as_map_rom(as, "rom", 0, sizeof(rom), rom);
    as_st(as, 0, 1, 0x55);
    CHECK_EQ(rom[0], 0xaa);
    CHECK(address_space_host_ptr(as, 0, true, NULL) == NULL);
    CHECK(address_space_host_ptr(as, 0, false, NULL) == rom);
    address_space_free(as);
}

TEST_CASE(priority_overlap_and_flat_view)
{
    uint8_t ram[0x3000] = { 0 };
    AddressSpace *as = address_space_new("t");
    as_map_ram(as, "ram", 0, sizeof(ram), ram);
    MemoryRegion *io = as_map_io(as, "dev", 0x1000, 0x100, &rec_bytes, NULL);
    /* Equal priority: the later region wins; raise RAM above it. */
    size_t n;
    const FlatRange *fr = address_space_flat(as, &n);
    CHECK_EQ(n, 3);
    CHECK(fr[1].mr == io && fr[1].start == 0x1000 && fr[1].end == 0x1100);
    CHECK(fr[2].offset == 0x1100);
    memory_region_set_enabled(io, false);
    fr = address_space_flat(as, &n);
    CHECK_EQ(n, 1);   /* RAM pieces merge back into one range */
    memory_region_set_enabled(io, true);
    memory_region_move(io, 0x2000);
    CHECK(address_space_lookup(as, 0x2010)->mr == io);
    CHECK(address_space_lookup(as, 0x1010)->mr->kind == MR_RAM);
    memory_region_unmap(io);
    address_space_flat(as, &n);
    CHECK_EQ(n, 1);
    address_space_free(as);
}

TEST_CASE(alias_window)
{
    uint8_t rom[0x10000];
    for (size_t i = 0; i < sizeof(rom); i++)
        rom[i] = (uint8_t)(i >> 8);
    AddressSpace *as = address_space_new("t");
    MemoryRegion *r = as_map_rom(as, "bios", 0xFFFF0000, sizeof(rom), rom);
    as_map_alias(as, "bios-low", 0xF0000, 0x10000, r, 0);
    CHECK_EQ(as_ld(as, 0xFFFF0, 1), 0xff);
    CHECK_EQ(as_ld(as, 0xF1234, 1), 0x12);
    CHECK(address_space_lookup(as, 0xF0000)->mr == r);
    address_space_free(as);
}

TEST_CASE(access_size_adaptation)
{
    AddressSpace *as = address_space_new("t");
    as_map_io(as, "dword-dev", 0x100, 8, &rec32, NULL);
    /* A byte read of a dword-only register reads the dword and extracts. */
    nreads = 0;
    CHECK_EQ(as_ld(as, 0x102, 1), 0x03);
    CHECK_EQ(last_off, 0);
    CHECK_EQ(last_size, 4);
    /* A qword write is split into two dword writes. */
    nwrites = 0;
    as_st(as, 0x100, 8, 0x1122334455667788ull);
    CHECK_EQ(nwrites, 2);
    CHECK_EQ(last_off, 4);
    CHECK_EQ(last_val, 0x11223344);
    /* A byte write is a read-modify-write of the dword. */
    as_st(as, 0x101, 1, 0xAB);
    CHECK_EQ(last_off, 0);
    CHECK_EQ(last_val, 0x0403AB01);
    address_space_free(as);
}

TEST_CASE(access_straddling_ranges)
{
    uint8_t ram[16] = { 0 };
    AddressSpace *as = address_space_new("t");
    as_map_ram(as, "ram", 0x10, sizeof(ram), ram);
    as_map_io(as, "bytes", 0x20, 4, &rec_bytes, NULL);
    ram[15] = 0x99;
    nreads = 0;
    CHECK_EQ(as_ld(as, 0x1f, 2), 0x0199);
    CHECK_EQ(nreads, 1);
    address_space_free(as);
}

TEST_CASE(buffer_copies)
{
    uint8_t ram[64] = { 0 };
    char out[16] = { 0 };
    AddressSpace *as = address_space_new("t");
    as_map_ram(as, "a", 0, 32, ram);
    as_map_ram(as, "b", 32, 32, ram + 32);
    as_write_buf(as, 28, "hello, world", 12);
    as_read_buf(as, 28, out, 12);
    CHECK(!memcmp(out, "hello, world", 12));
    CHECK(!memcmp(ram + 28, "hello, world", 12));
    address_space_free(as);
}

static uint64_t seen_addr[4], seen_len[4];
static int nseen;

static void observe(void *opaque, uint64_t addr, uint64_t len)
{
    (void)opaque;
    if (nseen < 4)
        seen_addr[nseen] = addr, seen_len[nseen] = len;
    nseen++;
}

/* DMA-style copies report every RAM range they write (split at region
 * boundaries), and nothing for MMIO or reads. */
TEST_CASE(ram_write_observer)
{
    uint8_t ram[64] = { 0 };
    char out[8];
    AddressSpace *as = address_space_new("t");
    as_map_ram(as, "a", 0, 32, ram);
    as_map_io(as, "bytes", 32, 4, &rec_bytes, NULL);
    as_map_ram(as, "b", 36, 28, ram + 36);
    address_space_set_ram_write_observer(as, observe, NULL);
    nseen = 0;
    as_write_buf(as, 30, "abcdefgh", 8);     /* 30-31 RAM, 32-35 MMIO, 36-37 RAM */
    CHECK_EQ(nseen, 2);
    CHECK_EQ(seen_addr[0], 30);
    CHECK_EQ(seen_len[0], 2);
    CHECK_EQ(seen_addr[1], 36);
    CHECK_EQ(seen_len[1], 2);
    as_read_buf(as, 30, out, 8);
    CHECK_EQ(nseen, 2);
    address_space_free(as);
}

int main(void)
{
    RUN(ram_read_write);
    RUN(rom_ignores_writes);
    RUN(priority_overlap_and_flat_view);
    RUN(alias_window);
    RUN(access_size_adaptation);
    RUN(access_straddling_ranges);
    RUN(buffer_copies);
    RUN(ram_write_observer);
    TEST_EXIT();
}
