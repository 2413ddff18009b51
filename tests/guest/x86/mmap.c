/* mmap: walks the Multiboot memory map (MBI flags bit 6) and checks it
 * against mem_lower/mem_upper: usable RAM at 0 (>= 600 KiB) and at 1 MiB,
 * and usable RAM below 4 GiB within 1 MiB of mem_lower + mem_upper.
 * Reference: Multiboot 0.6.96 section 3.3 (mmap_* fields). */
#include "runtime.h"

#define KIB 1024ull
#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)
#define LOW_RAM_MIN (600 * KIB)
#define MAX_ENTRIES 128

static const char *type_name(uint32_t type)
{
    switch (type) {
    case 1: return "usable";
    case 2: return "reserved";
    case 3: return "ACPI reclaimable";
    case 4: return "ACPI NVS";
    case 5: return "bad";
    default: return "other";
    }
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    if (!(mbi->flags & MBI_FLAG_MEM))
        test_fail("MBI flags 0x%x lack mem_lower/mem_upper (bit 0)", (unsigned)mbi->flags);
    if (!(mbi->flags & MBI_FLAG_MMAP))
        test_fail("MBI flags 0x%x lack a memory map (bit 6)", (unsigned)mbi->flags);
    printf("mem_lower=%u KiB mem_upper=%u KiB\n", (unsigned)mbi->mem_lower, (unsigned)mbi->mem_upper);
    printf("mmap_addr=0x%08x mmap_length=%u\n", (unsigned)mbi->mmap_addr, (unsigned)mbi->mmap_length);

    uint64_t low_len = 0, high_len = 0, usable_below_4g = 0, usable_total = 0;
    int entries = 0;
    uint32_t off = 0;
    while (off + 4 <= mbi->mmap_length) {
        const MultibootMmapEntry *e = (const MultibootMmapEntry *)(mbi->mmap_addr + off);
        if (e->size < 20)
            test_fail("mmap entry %d has size %u < 20", entries, (unsigned)e->size);
        if (off + 4 + e->size > mbi->mmap_length)
            test_fail("mmap entry %d runs past mmap_length", entries);
        if (++entries > MAX_ENTRIES)
            test_fail("more than %d mmap entries", MAX_ENTRIES);
        uint64_t start = e->addr, end = e->addr + e->len;
        printf("  [%016llx-%016llx) %10llu KiB type %u %s\n", (unsigned long long)start,
               (unsigned long long)end, (unsigned long long)(e->len / KIB),
               (unsigned)e->type, type_name(e->type));
        if (e->type == 1) {
            usable_total += e->len;
            if (start < 4 * GIB)
                usable_below_4g += (end > 4 * GIB ? 4 * GIB : end) - start;
            if (start == 0)
                low_len = e->len;
            if (start <= MIB && end > MIB)
                high_len = end - MIB;
        }
        off += 4 + e->size;
    }
    printf("entries=%d usable=%llu KiB (below 4 GiB %llu KiB)\n", entries,
           (unsigned long long)(usable_total / KIB), (unsigned long long)(usable_below_4g / KIB));

    if (entries == 0)
        test_fail("empty memory map");
    if (low_len < LOW_RAM_MIN)
        test_fail("usable RAM at 0 is %llu KiB, want >= %llu", (unsigned long long)(low_len / KIB),
                  (unsigned long long)(LOW_RAM_MIN / KIB));
    if (high_len == 0)
        test_fail("no usable RAM at 1 MiB");
    if (low_len / KIB != mbi->mem_lower)
        printf("note: RAM at 0 is %llu KiB, mem_lower says %u KiB\n",
               (unsigned long long)(low_len / KIB), (unsigned)mbi->mem_lower);
    uint64_t reported = ((uint64_t)mbi->mem_lower + mbi->mem_upper) * KIB;
    uint64_t diff = usable_below_4g > reported ? usable_below_4g - reported : reported - usable_below_4g;
    if (diff > MIB)
        test_fail("usable RAM below 4 GiB %llu KiB differs from mem_lower+mem_upper %llu KiB by more than 1 MiB",
                  (unsigned long long)(usable_below_4g / KIB), (unsigned long long)(reported / KIB));
    test_pass();
}
