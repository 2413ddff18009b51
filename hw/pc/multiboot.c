/*
 * Multiboot v1 loader (Multiboot Specification 0.6.96, sections 3.1 "OS
 * image format", 3.2 "Machine state", 3.3 "Boot information format").
 * Loads ELF PT_LOAD segments at p_paddr or the a.out-kludge range, places
 * modules, writes the MBI with memory, command line, modules, mmap and boot
 * loader name; the MTRRs as a BIOS leaves them (e820.h). Leaves out symbol
 * tables, drives, APM, VBE and framebuffer.
 */
#include "mimic/le.h"
#include "hw/pc/multiboot.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Header flags (spec 3.1.2). Bits 0-15 are requirements: unknown ones there
 * mean we cannot boot the kernel as it expects. */
#define MBH_PAGE_ALIGN   (1u << 0)
#define MBH_MEMORY_INFO  (1u << 1)
#define MBH_VIDEO_MODE   (1u << 2)
#define MBH_ADDRESS      (1u << 16)
#define MBH_KNOWN_REQUIRED (MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE)

/* MBI flags and field offsets (spec 3.3). */
#define MBI_MEM          (1u << 0)
#define MBI_CMDLINE      (1u << 2)
#define MBI_MODS         (1u << 3)
#define MBI_MMAP         (1u << 6)
#define MBI_LOADER_NAME  (1u << 9)
#define MBI_FLAGS        0
#define MBI_MEM_LOWER    4
#define MBI_MEM_UPPER    8
#define MBI_CMDLINE_PTR  16
#define MBI_MODS_COUNT   20
#define MBI_MODS_ADDR    24
#define MBI_MMAP_LENGTH  44
#define MBI_MMAP_ADDR    48
#define MBI_LOADER_PTR   64
#define MBI_SIZE         128   /* 116 bytes defined, rounded up */
#define MOD_ENTRY_SIZE   16
#define MMAP_ENTRY_SIZE  24    /* the size field (20) plus the 20 it counts */

#define ELF_MAX_SEGMENTS 32
#define PT_LOAD          1
#define ET_EXEC          2
#define EM_386           3
#define EM_X86_64        62
#define PAGE_SIZE        0x1000ull

#define LOADER_NAME "mimic"

typedef struct LoadSegment {
    uint64_t paddr, filesz, memsz, offset;   /* offset: in the file */
} LoadSegment;

static char mb_err[256];

static bool fail(const char **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool fail(const char **err, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(mb_err, sizeof(mb_err), "multiboot: ");
    va_start(ap, fmt);
    vsnprintf(mb_err + n, sizeof(mb_err) - n, fmt, ap);
    va_end(ap);
    if (err)
        *err = mb_err;
    return false;
}

static uint64_t align_page(uint64_t a) { return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }

/* Offset of the multiboot header, or -1. */
static long find_header(const uint8_t *k, size_t n)
{
    size_t lim = n < MULTIBOOT_SEARCH ? n : MULTIBOOT_SEARCH;

    if (!k)
        return -1;
    for (size_t off = 0; off + 12 <= lim; off += 4) {
        uint32_t magic = ld_le32(k + off), flags = ld_le32(k + off + 4);
        if (magic == MULTIBOOT_HEADER_MAGIC &&
            (uint32_t)(magic + flags + ld_le32(k + off + 8)) == 0)
            return (long)off;
    }
    return -1;
}

bool multiboot_probe(const uint8_t *k, size_t n)
{
    return find_header(k, n) >= 0;
}

/* The header's address fields (spec 3.1.3): the file is loaded so that the
 * header lands at header_addr. */
static bool aout_segments(const uint8_t *k, size_t n, size_t hoff,
                          LoadSegment *seg, uint64_t *entry, const char **err)
{
    if (hoff + 32 > n)
        return fail(err, "header at 0x%zx is truncated (flags bit 16 needs "
                    "32 bytes)", hoff);
    uint32_t header_addr = ld_le32(k + hoff + 12), load_addr = ld_le32(k + hoff + 16);
    uint32_t load_end = ld_le32(k + hoff + 20), bss_end = ld_le32(k + hoff + 24);

    if (load_addr > header_addr || header_addr - load_addr > hoff)
        return fail(err, "load_addr 0x%x and header_addr 0x%x put the load "
                    "start before the file begins", load_addr, header_addr);
    seg->paddr = load_addr;
    seg->offset = hoff - (header_addr - load_addr);
    if (load_end && load_end < load_addr)
        return fail(err, "load_end_addr 0x%x is below load_addr 0x%x",
                    load_end, load_addr);
    seg->filesz = load_end ? load_end - load_addr : n - seg->offset;
    if (seg->filesz > n - seg->offset)
        return fail(err, "kernel image truncated: header asks for 0x%" PRIx64
                    " bytes from file offset 0x%" PRIx64 ", file has %zu",
                    seg->filesz, seg->offset, n);
    if (bss_end && bss_end < load_addr + seg->filesz)
        return fail(err, "bss_end_addr 0x%x is below the end of the loaded "
                    "data 0x%" PRIx64, bss_end, load_addr + seg->filesz);
    seg->memsz = bss_end ? bss_end - load_addr : seg->filesz;
    *entry = ld_le32(k + hoff + 28);
    return true;
}

/* PT_LOAD segments of an ELF32 (or ELF64) image, placed by p_paddr. A
 * higher-half kernel links e_entry at a virtual address; paging is off at
 * entry, so the entry is moved into the segment's physical range. */
static bool elf_segments(const uint8_t *k, size_t n, LoadSegment *seg,
                         int *nseg, uint64_t *entry, const char **err)
{
    bool is64 = k[4] == 2;
    uint64_t phoff, phentsize, phnum, e_entry;

    if (k[4] != 1 && k[4] != 2)
        return fail(err, "ELF class %u is neither 32- nor 64-bit", k[4]);
    if (k[5] != 1)
        return fail(err, "ELF image is not little-endian");
    if (n < (is64 ? 64u : 52u))
        return fail(err, "ELF header truncated (%zu bytes)", n);
    if (ld_le16(k + 16) != ET_EXEC)
        return fail(err, "ELF type %u is not an executable", ld_le16(k + 16));
    if (ld_le16(k + 18) != (is64 ? EM_X86_64 : EM_386))
        return fail(err, "ELF machine %u is not x86", ld_le16(k + 18));
    if (is64) {
        e_entry = ld_le64(k + 24);
        phoff = ld_le64(k + 32);
        phentsize = ld_le16(k + 54);
        phnum = ld_le16(k + 56);
    } else {
        e_entry = ld_le32(k + 24);
        phoff = ld_le32(k + 28);
        phentsize = ld_le16(k + 42);
        phnum = ld_le16(k + 44);
    }
    if (phentsize < (is64 ? 56u : 32u) || phoff > n ||
        phnum * phentsize > n - phoff)
        return fail(err, "ELF program headers (%" PRIu64 " at 0x%" PRIx64
                    ") lie outside the %zu-byte file", phnum, phoff, n);

    *nseg = 0;
    *entry = e_entry;
    bool entry_moved = false;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = k + phoff + i * phentsize;
        uint64_t off, vaddr, paddr, filesz, memsz;
        if (ld_le32(ph) != PT_LOAD)
            continue;
        if (is64) {
            off = ld_le64(ph + 8); vaddr = ld_le64(ph + 16); paddr = ld_le64(ph + 24);
            filesz = ld_le64(ph + 32); memsz = ld_le64(ph + 40);
        } else {
            off = ld_le32(ph + 4); vaddr = ld_le32(ph + 8); paddr = ld_le32(ph + 12);
            filesz = ld_le32(ph + 16); memsz = ld_le32(ph + 20);
        }
        if (memsz == 0)
            continue;
        if (filesz > memsz)
            return fail(err, "ELF segment %" PRIu64 " has p_filesz 0x%" PRIx64
                        " > p_memsz 0x%" PRIx64, i, filesz, memsz);
        if (off > n || filesz > n - off)
            return fail(err, "kernel image truncated: ELF segment %" PRIu64
                        " needs file bytes 0x%" PRIx64 "-0x%" PRIx64
                        ", file has %zu", i, off, off + filesz, n);
        if (*nseg >= ELF_MAX_SEGMENTS)
            return fail(err, "ELF image has more than %d loadable segments",
                        ELF_MAX_SEGMENTS);
        seg[(*nseg)++] = (LoadSegment){ paddr, filesz, memsz, off };
        if (!entry_moved && e_entry >= vaddr && e_entry - vaddr < memsz) {
            *entry = e_entry - vaddr + paddr;
            entry_moved = true;
        }
    }
    return true;
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

/* A GDT descriptor from the X86Segment flags encoding (x86_state.h). */
static uint64_t gdt_descriptor(uint16_t flags)
{
    const uint32_t limit_20 = 0xfffff;
    return (limit_20 & 0xffff) | (uint64_t)(flags & 0xf0ff) << 40 |
           (uint64_t)(limit_20 >> 16) << 48;
}

bool multiboot_setup(uint8_t *ram, uint64_t ram_size,
                     const uint8_t *kernel, size_t n, const char *cmdline,
                     const MultibootModule *mods, int nmods,
                     const E820Table *e820, X86Regs *regs, const char **err)
{
    uint64_t lowmem = pc_lowmem_size(ram_size);
    E820Table default_map;
    const E820Table *map = e820;
    LoadSegment seg[ELF_MAX_SEGMENTS];
    int nseg = 0;
    uint64_t entry = 0;

    if (!map) {
        e820_build_pc(&default_map, ram_size);
        map = &default_map;
    }
    if (map->count < 0 || map->count > E820_MAX)
        return fail(err, "memory map has %d entries; at most %d are supported",
                    map->count, E820_MAX);
    if (lowmem < MULTIBOOT_INFO_END)
        return fail(err, "guest RAM (%" PRIu64 " bytes) is too small for a "
                    "direct kernel boot", ram_size);

    long hoff = find_header(kernel, n);
    if (hoff < 0)
        return fail(err, "no multiboot header (magic 0x%08x with valid "
                    "checksum) in the first %d bytes of the kernel",
                    MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH);
    uint32_t flags = ld_le32(kernel + hoff + 4);
    if (flags & 0xffff & ~MBH_KNOWN_REQUIRED)
        return fail(err, "kernel header requires features mimic does not "
                    "provide (flags 0x%08x)", flags);

    if (flags & MBH_ADDRESS) {
        memset(&seg[0], 0, sizeof(seg[0]));
        if (!aout_segments(kernel, n, (size_t)hoff, &seg[0], &entry, err))
            return false;
        nseg = seg[0].memsz ? 1 : 0;
    } else if (n >= 4 && memcmp(kernel, "\177ELF", 4) == 0) {
        if (!elf_segments(kernel, n, seg, &nseg, &entry, err))
            return false;
    } else {
        return fail(err, "kernel is not ELF and its header has no address "
                    "fields (flags bit 16 clear)");
    }
    if (nseg == 0)
        return fail(err, "kernel has no loadable segments");

    uint64_t kend = 0;
    bool entry_ok = false;
    for (int i = 0; i < nseg; i++) {
        uint64_t a = seg[i].paddr, e = a + seg[i].memsz;
        if (e < a || e > lowmem || !e820_is_ram(map, a, seg[i].memsz))
            return fail(err, "segment 0x%" PRIx64 "-0x%" PRIx64 " lies outside "
                        "guest RAM", a, e);
        if (overlaps(a, e, MULTIBOOT_INFO_BASE, MULTIBOOT_INFO_END))
            return fail(err, "segment 0x%" PRIx64 "-0x%" PRIx64 " overlaps the "
                        "boot information area 0x%x-0x%x", a, e,
                        MULTIBOOT_INFO_BASE, MULTIBOOT_INFO_END);
        if (e > kend)
            kend = e;
        if (entry >= a && entry < e)
            entry_ok = true;
    }
    if (!entry_ok)
        return fail(err, "entry point 0x%" PRIx64 " lies outside the loaded "
                    "kernel", entry);

    if (nmods < 0 || nmods > MULTIBOOT_MAX_MODULES)
        return fail(err, "%d modules given; at most %d are supported",
                    nmods, MULTIBOOT_MAX_MODULES);
    uint64_t mod_addr[MULTIBOOT_MAX_MODULES];
    uint64_t cur = align_page(kend);
    for (int i = 0; i < nmods; i++) {
        uint64_t e = cur + mods[i].size;
        if (e < cur || e > lowmem || !e820_is_ram(map, cur, mods[i].size) ||
            overlaps(cur, e, MULTIBOOT_INFO_BASE, MULTIBOOT_INFO_END))
            return fail(err, "module %d (%s, %zu bytes) does not fit in guest "
                        "RAM at 0x%" PRIx64 "; give the guest more memory (-m)",
                        i, mods[i].cmdline ? mods[i].cmdline : "?",
                        mods[i].size, cur);
        mod_addr[i] = cur;
        cur = align_page(e);
    }

    /* Lay out the information area. */
    const char *cl = cmdline ? cmdline : "";
    uint64_t mods_at = MULTIBOOT_MBI_ADDR + MBI_SIZE;
    uint64_t mmap_at = mods_at + (uint64_t)nmods * MOD_ENTRY_SIZE;
    uint64_t mmap_len = (uint64_t)(map->count > 0 ? map->count : 0) * MMAP_ENTRY_SIZE;
    uint64_t name_at = mmap_at + mmap_len;
    uint64_t cmdline_at = name_at + sizeof(LOADER_NAME);
    uint64_t str_end = cmdline_at + strlen(cl) + 1;
    for (int i = 0; i < nmods; i++)
        str_end += strlen(mods[i].cmdline ? mods[i].cmdline : "") + 1;
    if (str_end > MULTIBOOT_INFO_END)
        return fail(err, "command line, module names and memory map need %"
                    PRIu64 " bytes; the boot information area holds %u",
                    str_end - MULTIBOOT_MBI_ADDR,
                    MULTIBOOT_INFO_END - MULTIBOOT_MBI_ADDR);

    /* Everything checked: write guest memory. */
    for (int i = 0; i < nseg; i++) {
        memcpy(ram + seg[i].paddr, kernel + seg[i].offset, seg[i].filesz);
        memset(ram + seg[i].paddr + seg[i].filesz, 0,
               seg[i].memsz - seg[i].filesz);
    }
    memset(ram + MULTIBOOT_INFO_BASE, 0, str_end - MULTIBOOT_INFO_BASE);

    uint8_t *mbi = ram + MULTIBOOT_MBI_ADDR;
    uint32_t mem_lower, mem_upper;
    e820_multiboot_mem(map, &mem_lower, &mem_upper);
    st_le32(mbi + MBI_FLAGS, MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP |
                          MBI_LOADER_NAME);
    st_le32(mbi + MBI_MEM_LOWER, mem_lower);
    st_le32(mbi + MBI_MEM_UPPER, mem_upper);
    st_le32(mbi + MBI_CMDLINE_PTR, (uint32_t)cmdline_at);
    st_le32(mbi + MBI_MODS_COUNT, (uint32_t)nmods);
    st_le32(mbi + MBI_MODS_ADDR, (uint32_t)mods_at);
    st_le32(mbi + MBI_MMAP_LENGTH, (uint32_t)mmap_len);
    st_le32(mbi + MBI_MMAP_ADDR, (uint32_t)mmap_at);
    st_le32(mbi + MBI_LOADER_PTR, (uint32_t)name_at);

    for (int i = 0; i < map->count; i++) {
        uint8_t *e = ram + mmap_at + (uint64_t)i * MMAP_ENTRY_SIZE;
        st_le32(e, MMAP_ENTRY_SIZE - 4);
        st_le64(e + 4, map->entry[i].addr);
        st_le64(e + 12, map->entry[i].size);
        st_le32(e + 20, map->entry[i].type);
    }
    memcpy(ram + name_at, LOADER_NAME, sizeof(LOADER_NAME));
    memcpy(ram + cmdline_at, cl, strlen(cl) + 1);
    uint64_t str_at = cmdline_at + strlen(cl) + 1;
    for (int i = 0; i < nmods; i++) {
        const char *s = mods[i].cmdline ? mods[i].cmdline : "";
        uint8_t *m = ram + mods_at + (uint64_t)i * MOD_ENTRY_SIZE;
        if (mods[i].size)
            memcpy(ram + mod_addr[i], mods[i].data, mods[i].size);
        st_le32(m, (uint32_t)mod_addr[i]);
        st_le32(m + 4, (uint32_t)(mod_addr[i] + mods[i].size));
        st_le32(m + 8, (uint32_t)str_at);
        memcpy(ram + str_at, s, strlen(s) + 1);
        str_at += strlen(s) + 1;
    }

    /* Spec 3.2: any flat 4 GiB read/execute CS and read/write data
     * segments; a real GDT behind them lets a kernel that reloads them live. */
    x86_regs_flat32(regs, (uint32_t)entry);
    regs->seg[SEG_CS].selector = MULTIBOOT_CS;   /* the GDT below must match */
    for (int i = 0; i < SEG_COUNT; i++)
        if (i != SEG_CS && i != SEG_LDTR && i != SEG_TR)
            regs->seg[i].selector = MULTIBOOT_DS;
    memset(ram + MULTIBOOT_GDT_ADDR, 0, 4 * 8);
    st_le64(ram + MULTIBOOT_GDT_ADDR + MULTIBOOT_CS,
         gdt_descriptor(regs->seg[SEG_CS].flags));
    st_le64(ram + MULTIBOOT_GDT_ADDR + MULTIBOOT_DS,
         gdt_descriptor(regs->seg[SEG_DS].flags));
    regs->gdt = (X86DescTable){ MULTIBOOT_GDT_ADDR, 4 * 8 - 1 };
    regs->idt = (X86DescTable){ 0, 0 };
    regs->rflags = 0x2;                  /* IF=0, VM=0 */
    regs->gpr[R_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    regs->gpr[R_EBX] = MULTIBOOT_MBI_ADDR;
    regs->gpr[R_ESP] = MULTIBOOT_INFO_BASE;
    /* Spec 3.2 leaves the rest of the machine as firmware set it up: the
     * MTRRs a BIOS programs (x86_regs_flat32 emptied the MSR list). */
    pc_mtrr_setup(regs, lowmem);
    return true;
}
