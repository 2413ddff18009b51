/*
 * Memory map: RAM from fw_cfg "etc/e820" (QEMU's 20-byte entries) or, without
 * fw_cfg, the CMOS sizes (0x34/0x35 above 16 MiB, 0x5B-0x5D above 4 GiB), plus
 * the BIOS's own reservations (EBDA, video hole, BIOS image, ACPI/SMBIOS
 * tables at the top of low RAM). INT 15h E820h, E801h, 88h and 87h read it
 * (Ralf Brown's interrupt list; ACPI 6.4 section 15).
 */
#include "bios.h"
#include "e820.h"

#define MB (1024u * 1024u)
#define HIGH_TABLES_MIN (64u * 1024)

static struct e820_table map;
static u32 high_top, high_ptr;
static u8 *fseg_ptr;

static void map_add(u64 start, u64 size, u32 type)
{
    if (e820_add(&map, start, size, type))
        printf("e820: table full, dropping %llx+%llx\n", (unsigned long long)start,
               (unsigned long long)size);
}

void memmap_init(void)
{
    map.n = 0;
    u8 buf[20 * E820_MAX];
    int len = fwcfg_present() ? fwcfg_read_file("etc/e820", buf, sizeof(buf)) : -1;
    if (len >= 20) {
        for (int i = 0; i + 20 <= len; i += 20)
            map_add(get_le64(buf + i), get_le64(buf + i + 8), get_le32(buf + i + 16));
    } else {
        u64 low = (u64)(cmos_read(0x34) | cmos_read(0x35) << 8) * 65536 + 16 * MB;
        u64 high = (u64)(cmos_read(0x5B) | cmos_read(0x5C) << 8 | cmos_read(0x5D) << 16) * 65536;
        if (low == 16 * MB) {
            u32 ext_kb = cmos_read(0x30) | cmos_read(0x31) << 8;
            low = MB + ext_kb * 1024ull;
        }
        map_add(0, low, E820_RAM);
        if (high)
            map_add(1ull << 32, high, E820_RAM);
    }
    map_add(0xA0000, 0x40000, E820_HOLE);
    map_add(EBDA_SEG * 16, EBDA_SIZE_KB * 1024, E820_RESERVED);
    map_add(BIOS_BASE, BIOS_SIZE, E820_RESERVED);
    map_add(BIOS_HIGH_BASE, BIOS_SIZE, E820_RESERVED);
    u64 top = e820_ram_end(&map, MB);
    if (top > 0x100000000ull)
        top = 0x100000000ull - 0x1000;
    high_top = high_ptr = top ? (u32)top : 2 * MB;
    fseg_ptr = (u8 *)__fseg_pool;
    wr16(BDA_MEM_KB, (EBDA_SEG * 16) / 1024);
}

u32 memmap_ram_below_4g(void) { return high_top; }

void memmap_reserve(u64 start, u64 len) { map_add(start, len, E820_RESERVED); }

u32 memmap_high_alloc(u32 size, u32 align)
{
    if (align < 16)
        align = 16;
    u32 p = ALIGN_DOWN(high_ptr - size, align);
    if (size > high_ptr || p < 2 * MB)
        return 0;
    high_ptr = p;
    return p;
}

void memmap_finish(void)
{
    /* Keep the reserved table area 64 KiB aligned so that what is left as
     * RAM ends on a boundary the OS likes. */
    if (high_ptr != high_top) {
        u32 start = ALIGN_DOWN(high_ptr, HIGH_TABLES_MIN);
        map_add(start, high_top - start, E820_RESERVED);
    }
}

void *fseg_alloc(u32 size, u32 align)
{
    u8 *p = (u8 *)ALIGN_UP((uintptr_t)fseg_ptr, align ? align : 1);
    if (p + size > (u8 *)__fseg_pool_end)
        return NULL;
    fseg_ptr = p + size;
    memset(p, 0, size);
    return p;
}

void memmap_int15_e820(struct bregs *r)
{
    if (r->edx != 0x534D4150 || r->ecx < 20 || r->ebx >= (u32)map.n) {
        set_fail(r, 0x86);
        return;
    }
    const struct e820_entry *e = &map.e[r->ebx];
    u8 *out = far_ptr(r->es, r->di);
    put_le64(out, e->start);
    put_le64(out + 8, e->size);
    put_le32(out + 16, e->type);
    r->ebx = r->ebx + 1 < (u32)map.n ? r->ebx + 1 : 0;
    r->eax = 0x534D4150;
    r->ecx = 20;
    clear_cf(r);
}

/* Contiguous RAM from 1 MiB up, as the legacy calls see it. */
static u32 ext_end(void)
{
    u64 end = e820_ram_end(&map, MB);
    if (end > 0xFFFFFFFFull)
        end = 0xFFFF0000;
    return end ? (u32)end : MB;
}

void memmap_int15_e801(struct bregs *r)
{
    u32 end = ext_end();
    u32 below16 = (end < 16 * MB ? end : 16 * MB) - MB;
    u32 above16 = end > 16 * MB ? (end - 16 * MB) / 65536 : 0;
    r->ax = r->cx = below16 / 1024;
    r->bx = r->dx = above16;
    clear_cf(r);
}

void memmap_int15_88(struct bregs *r)
{
    u32 kb = (ext_end() - MB) / 1024;
    r->ax = kb > 0xFC00 ? 0xFC00 : kb;
    clear_cf(r);
}

/* Block move through a GDT the caller built (entries 2 and 3). */
void memmap_int15_87(struct bregs *r)
{
    const u8 *gdt = far_ptr(r->es, r->si);
    u32 src = get_le32(gdt + 0x12) & 0xFFFFFF, dst = get_le32(gdt + 0x1A) & 0xFFFFFF;
    src |= (u32)gdt[0x17] << 24;
    dst |= (u32)gdt[0x1F] << 24;
    u32 len = (u32)r->cx * 2;
    if (r->cx > 0x8000) {
        set_fail(r, 0x01);
        return;
    }
    int a20 = inb(0x92) & 2;
    system_a20(1);
    memmove(flat(dst), flat(src), len);
    system_a20(a20);
    set_ok(r);
    r->flags |= F_ZF;
}
