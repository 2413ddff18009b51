/*
 * Linux direct-boot tests: a synthetic bzImage is loaded into a RAM buffer
 * and the zero page, kernel/initrd/command line placement, GDT, page tables
 * and entry registers are checked against Documentation/arch/x86/boot.rst
 * and zero-page.rst (offsets below are taken from those documents); the
 * MTRRs handed over with the registers are evaluated by the SDM's rules
 * (vol. 3 11.11) for several RAM sizes.
 */
#include "test.h"

#include <glob.h>
#include <sys/mman.h>

#include "hw/pc/linux_boot.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* boot.rst "The Real-Mode Kernel Header" / zero-page.rst offsets. */
enum {
    ZP_ORIG_VIDEO_ISVGA = 0x00F,     /* screen_info.orig_video_isVGA */
    ZP_ACPI_RSDP = 0x070,
    ZP_EXT_RAMDISK_IMAGE = 0x0C0, ZP_EXT_RAMDISK_SIZE = 0x0C4,
    ZP_EXT_CMD_LINE_PTR = 0x0C8,
    ZP_E820_ENTRIES = 0x1E8, ZP_SENTINEL = 0x1EF, ZP_E820_TABLE = 0x2D0,
    H_SETUP_SECTS = 0x1F1, H_SYSSIZE = 0x1F4, H_VID_MODE = 0x1FA,
    H_BOOT_FLAG = 0x1FE, H_JUMP = 0x200, H_HEADER = 0x202, H_VERSION = 0x206,
    H_TYPE_OF_LOADER = 0x210, H_LOADFLAGS = 0x211, H_CODE32_START = 0x214,
    H_RAMDISK_IMAGE = 0x218, H_RAMDISK_SIZE = 0x21C, H_HEAP_END_PTR = 0x224,
    H_CMD_LINE_PTR = 0x228, H_INITRD_ADDR_MAX = 0x22C,
    H_KERNEL_ALIGNMENT = 0x230, H_RELOCATABLE = 0x234, H_XLOADFLAGS = 0x236,
    H_CMDLINE_SIZE = 0x238, H_HW_SUBARCH = 0x23C, H_PREF_ADDRESS = 0x258,
    H_INIT_SIZE = 0x260, H_KERNEL_INFO_OFFSET = 0x268,
};

static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, v); wr32(p + 4, v >> 32); }

#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define PM_SIZE 0x3000
#define INIT_SIZE 0x400000
#define PREF 0x1000000

/* A bzImage of protocol 2.15 with a relocatable 64-bit-capable kernel. */
static uint8_t *make_bzimage(size_t *n)
{
    uint8_t *k = calloc(1, SETUP_SIZE + PM_SIZE);
    k[H_SETUP_SECTS] = SETUP_SECTS;
    wr32(k + H_SYSSIZE, PM_SIZE / 16);
    wr16(k + H_VID_MODE, 0xFFFF);
    wr16(k + H_BOOT_FLAG, 0xAA55);
    k[H_JUMP] = 0xEB;
    k[H_JUMP + 1] = 0x6A;                /* header ends at 0x26C */
    memcpy(k + H_HEADER, "HdrS", 4);
    wr16(k + H_VERSION, 0x020F);
    k[H_LOADFLAGS] = 0x01;               /* LOADED_HIGH */
    wr32(k + H_CODE32_START, 0x100000);
    wr32(k + H_INITRD_ADDR_MAX, 0x7FFFFFFF);
    wr32(k + H_KERNEL_ALIGNMENT, 0x200000);
    k[H_RELOCATABLE] = 1;
    wr16(k + H_XLOADFLAGS, 0x1 | 0x2);    /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
    wr32(k + H_CMDLINE_SIZE, 2047);
    wr64(k + H_PREF_ADDRESS, PREF);
    wr32(k + H_INIT_SIZE, INIT_SIZE);
    wr32(k + H_KERNEL_INFO_OFFSET, 0x12345);
    /* Setup code right after the header must not reach the zero page. */
    memset(k + 0x26C, 0xCC, 0x290 - 0x26C);
    for (int i = 0; i < PM_SIZE; i++)
        k[SETUP_SIZE + i] = (uint8_t)(i * 7 + 1);
    *n = SETUP_SIZE + PM_SIZE;
    return k;
}

static uint8_t *ram_alloc(uint64_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Decode a GDT descriptor by the SDM layout (vol. 3, 3.4.5). */
static void decode_desc(uint64_t d, uint32_t *base, uint32_t *limit,
                        uint8_t *access, uint8_t *gran)
{
    *base = (uint32_t)((d >> 16) & 0xFFFFFF) | (uint32_t)(d >> 56) << 24;
    *limit = (uint32_t)(d & 0xFFFF) | (uint32_t)((d >> 48) & 0xF) << 16;
    *access = (uint8_t)(d >> 40);
    *gran = (uint8_t)(d >> 52) & 0xF;     /* AVL, L, D/B, G */
}

/* Walk 4-level page tables in RAM (SDM vol. 3, 4.5); -1 if not present. */
static int64_t walk(const uint8_t *ram, uint64_t cr3, uint64_t va)
{
    uint64_t table = cr3 & ~0xFFFull;
    for (int level = 3; level >= 0; level--) {
        uint64_t e = rd64(ram + table + ((va >> (12 + 9 * level)) & 511) * 8);
        if (!(e & 1))
            return -1;
        if (level == 0 || (level <= 2 && (e & 0x80))) {
            uint64_t mask = (1ull << (12 + 9 * level)) - 1;
            return (int64_t)((e & 0x000FFFFFFFFFF000ull & ~mask) | (va & mask));
        }
        table = e & 0x000FFFFFFFFFF000ull;
    }
    return -1;
}

TEST_CASE(zero_page_fields)
{
    size_t n;
    uint8_t *k = make_bzimage(&n);
    uint64_t ram_size = 64 * MiB;
    uint8_t *ram = ram_alloc(ram_size);
    uint8_t initrd[10000];
    for (size_t i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i ^ 0x5A);
    E820Table map;
    e820_build_pc(&map, ram_size);
    LinuxBootParams p = { .kernel = k, .kernel_size = n, .initrd = initrd,
                          .initrd_size = sizeof(initrd),
                          .cmdline = "console=ttyS0 root=/dev/ram0",
                          .e820 = &map, .acpi_rsdp = 0xF5A40 };
    X86Regs r;
    const char *err = NULL;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));

    uint64_t zp_addr = r.gpr[R_ESI];
    CHECK(zp_addr + 4096 <= 0x9FC00);
    const uint8_t *zp = ram + zp_addr;
    /* Protected-mode kernel at pref_address (relocatable, fits). */
    CHECK(memcmp(ram + PREF, k + SETUP_SIZE, PM_SIZE) == 0);
    /* Header copied from 0x1F1 up to 0x202 + byte 0x201, nothing beyond. */
    CHECK_EQ(zp[H_SETUP_SECTS], SETUP_SECTS);
    CHECK_EQ(rd32(zp + H_SYSSIZE), PM_SIZE / 16);
    CHECK_EQ(rd16(zp + H_BOOT_FLAG), 0xAA55);
    CHECK(memcmp(zp + H_HEADER, "HdrS", 4) == 0);
    CHECK_EQ(rd16(zp + H_VERSION), 0x020F);
    CHECK_EQ(rd16(zp + H_VID_MODE), 0xFFFF);
    CHECK_EQ(rd64(zp + H_PREF_ADDRESS), PREF);
    CHECK_EQ(rd32(zp + H_INIT_SIZE), INIT_SIZE);
    CHECK_EQ(rd32(zp + H_KERNEL_INFO_OFFSET), 0x12345);
    CHECK(all_zero(zp + 0x26C, 0x290 - 0x26C));
    CHECK_EQ(zp[ZP_SENTINEL], 0);
    /* Loader-written fields. */
    CHECK_EQ(zp[H_TYPE_OF_LOADER], 0xFF);
    CHECK(zp[H_LOADFLAGS] & 0x01);         /* LOADED_HIGH kept */
    CHECK(zp[H_LOADFLAGS] & 0x80);         /* CAN_USE_HEAP */
    CHECK_EQ(rd16(zp + H_HEAP_END_PTR), 0xDE00);
    CHECK_EQ(rd32(zp + H_CODE32_START), PREF);
    uint32_t cl = rd32(zp + H_CMD_LINE_PTR);
    CHECK(cl >= 0x500 && cl + 64 < 0xA0000);
    CHECK(strcmp((const char *)ram + cl, "console=ttyS0 root=/dev/ram0") == 0);
    uint32_t rd = rd32(zp + H_RAMDISK_IMAGE);
    CHECK_EQ(rd32(zp + H_RAMDISK_SIZE), sizeof(initrd));
    CHECK_EQ(rd & 0xFFF, 0);
    CHECK(rd + sizeof(initrd) <= ram_size);
    CHECK(rd + sizeof(initrd) + 4096 > ram_size);   /* as high as possible */
    CHECK(rd >= PREF + INIT_SIZE);                   /* clear of the kernel */
    CHECK(memcmp(ram + rd, initrd, sizeof(initrd)) == 0);
    CHECK_EQ(rd32(zp + ZP_EXT_RAMDISK_IMAGE), 0);
    CHECK_EQ(rd32(zp + ZP_EXT_RAMDISK_SIZE), 0);
    CHECK_EQ(rd32(zp + ZP_EXT_CMD_LINE_PTR), 0);
    CHECK_EQ(rd64(zp + ZP_ACPI_RSDP), 0xF5A40);
    CHECK_EQ(zp[ZP_ORIG_VIDEO_ISVGA], 0);
    CHECK_EQ(zp[ZP_E820_ENTRIES], map.count);
    for (int i = 0; i < map.count; i++) {
        const uint8_t *e = zp + ZP_E820_TABLE + 20 * i;
        CHECK_EQ(rd64(e), map.entry[i].addr);
        CHECK_EQ(rd64(e + 8), map.entry[i].size);
        CHECK_EQ(rd32(e + 16), map.entry[i].type);
    }
    CHECK(all_zero(zp + ZP_E820_TABLE + 20 * map.count, 20));
    /* With a VGA in text mode: screen_info as the setup code fills it
     * (uapi screen_info: mode 0x06, cols 0x07, lines 0x0E, isVGA 0x0F,
     * points 0x10). */
    p.vga_text = true;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));
    zp = ram + r.gpr[R_ESI];
    CHECK_EQ(zp[0x06], 3);
    CHECK_EQ(zp[0x07], 80);
    CHECK_EQ(zp[0x0E], 25);
    CHECK_EQ(zp[ZP_ORIG_VIDEO_ISVGA], 1);
    CHECK_EQ(rd16(zp + 0x10), 16);
    munmap(ram, ram_size);
    free(k);
}

/* boot.rst 32-bit protocol: flat segments __BOOT_CS 0x10 / __BOOT_DS 0x18
 * from a loaded GDT, paging off, interrupts off, ESI = boot_params,
 * EBP = EDI = EBX = 0, entry at the protected-mode kernel's start. */
TEST_CASE(entry32_registers_and_gdt)
{
    size_t n;
    uint8_t *k = make_bzimage(&n);
    uint64_t ram_size = 64 * MiB;
    uint8_t *ram = ram_alloc(ram_size);
    LinuxBootParams p = { .kernel = k, .kernel_size = n, .cmdline = "x" };
    X86Regs r;
    const char *err = NULL;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));
    CHECK_EQ(r.rip, PREF);
    CHECK_EQ(r.gpr[R_EBP], 0);
    CHECK_EQ(r.gpr[R_EDI], 0);
    CHECK_EQ(r.gpr[R_EBX], 0);
    CHECK(r.gpr[R_ESI] != 0);
    CHECK_EQ(r.rflags & (1u << 9), 0);     /* IF */
    CHECK_EQ(r.rflags & 2, 2);
    CHECK(r.cr0 & 1);                      /* PE */
    CHECK_EQ(r.cr0 & (1ull << 31), 0);     /* PG */
    CHECK_EQ(r.efer & (1ull << 10), 0);    /* LMA */
    CHECK_EQ(r.seg[SEG_CS].selector, 0x10);
    CHECK_EQ(r.seg[SEG_DS].selector, 0x18);
    CHECK_EQ(r.seg[SEG_ES].selector, 0x18);
    CHECK_EQ(r.seg[SEG_SS].selector, 0x18);
    for (int s = SEG_ES; s <= SEG_GS; s++) {
        CHECK_EQ(r.seg[s].base, 0);
        CHECK_EQ(r.seg[s].limit, 0xFFFFFFFFu);
        CHECK(r.seg[s].flags & SEGF_P);
        CHECK(r.seg[s].flags & SEGF_S);
        CHECK(r.seg[s].flags & SEGF_DB);
        CHECK(r.seg[s].flags & SEGF_G);
    }
    CHECK_EQ(r.seg[SEG_CS].flags & 0xA, 0xA);   /* code, readable */
    CHECK_EQ(r.seg[SEG_DS].flags & 0xA, 0x2);   /* data, writable */
    /* The GDT in RAM holds the same descriptors as the caches. */
    CHECK(r.gdt.limit >= 0x1F);
    for (int s = SEG_CS; s <= SEG_DS; s += SEG_DS - SEG_CS) {
        uint32_t base, limit; uint8_t access, gran;
        uint64_t d = rd64(ram + r.gdt.base + r.seg[s].selector);
        decode_desc(d, &base, &limit, &access, &gran);
        CHECK_EQ(base, 0);
        CHECK_EQ(limit, 0xFFFFF);
        CHECK_EQ(gran, 0xC);                   /* G=1, D/B=1, L=0 */
        CHECK_EQ(access, r.seg[s].flags & 0xFF);
        CHECK(access & 0x80);                  /* present */
    }
    CHECK_EQ(rd64(ram + r.gdt.base), 0);       /* null descriptor */
    /* TR must be a busy TSS and present for KVM_SET_SREGS / VM entry. */
    CHECK_EQ(r.seg[SEG_TR].flags & 0xF, 0xB);
    CHECK(r.seg[SEG_TR].flags & SEGF_P);
    munmap(ram, ram_size);
    free(k);
}

/* boot.rst 64-bit protocol: long mode, identity-mapped kernel/zero page/
 * command line/initrd, 64-bit __BOOT_CS, RSI = boot_params, entry at
 * load address + 0x200. RAM above 4 GiB is mapped too. */
TEST_CASE(entry64_long_mode_and_page_tables)
{
    size_t n;
    uint8_t *k = make_bzimage(&n);
    uint64_t ram_size = 6 * GiB;   /* 3 GiB low, 3 GiB at 4 GiB */
    uint8_t *ram = ram_alloc(pc_lowmem_size(ram_size));
    CHECK(ram);
    uint8_t initrd[5000] = { 1, 2, 3 };
    LinuxBootParams p = { .kernel = k, .kernel_size = n, .initrd = initrd,
                          .initrd_size = sizeof(initrd), .cmdline = "a=b",
                          .entry64 = true };
    X86Regs r;
    const char *err = NULL;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));
    CHECK_EQ(r.rip, PREF + 0x200);
    CHECK((r.cr0 & 0x80000001ull) == 0x80000001ull);
    CHECK(r.cr4 & (1u << 5));                  /* PAE */
    CHECK_EQ(r.efer & 0x500, 0x500);           /* LME | LMA */
    CHECK(r.seg[SEG_CS].flags & SEGF_L);
    CHECK_EQ(r.seg[SEG_CS].flags & SEGF_DB, 0);
    CHECK_EQ(r.seg[SEG_CS].selector, 0x10);
    CHECK_EQ(r.seg[SEG_DS].selector, 0x18);
    uint32_t base, limit; uint8_t access, gran;
    decode_desc(rd64(ram + r.gdt.base + 0x10), &base, &limit, &access, &gran);
    CHECK_EQ(gran & 0x6, 0x2);                 /* L=1, D=0 in RAM too */
    CHECK(r.cr3 + 0x1000 <= 0x9FC00);
    uint64_t zp = r.gpr[R_ESI];
    uint32_t rd = rd32(ram + zp + H_RAMDISK_IMAGE);
    uint64_t probes[] = { 0, zp, rd32(ram + zp + H_CMD_LINE_PTR), PREF,
                          PREF + INIT_SIZE - 1, rd, rd + sizeof(initrd) - 1,
                          0xBFFFFFFFull, 4 * GiB, 7 * GiB - 1 };
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
        CHECK_EQ(walk(ram, r.cr3, probes[i]), (int64_t)probes[i]);
    munmap(ram, pc_lowmem_size(ram_size));
    free(k);
}

/* Not relocatable: loaded at 1 MiB whatever pref_address says; also
 * setup_sects 0 means 4. */
TEST_CASE(non_relocatable_and_setup_sects_zero)
{
    size_t n;
    uint8_t *k = make_bzimage(&n);
    k[H_RELOCATABLE] = 0;
    k[H_SETUP_SECTS] = 0;
    uint64_t ram_size = 32 * MiB;
    uint8_t *ram = ram_alloc(ram_size);
    LinuxBootParams p = { .kernel = k, .kernel_size = n };
    X86Regs r;
    const char *err = NULL;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));
    CHECK_EQ(r.rip, 0x100000);
    CHECK(memcmp(ram + 0x100000, k + SETUP_SIZE, PM_SIZE) == 0);
    CHECK_EQ(rd32(ram + r.gpr[R_ESI] + H_CODE32_START), 0x100000);
    CHECK_EQ(rd32(ram + r.gpr[R_ESI] + H_RAMDISK_IMAGE), 0);
    CHECK_EQ(ram[rd32(ram + r.gpr[R_ESI] + H_CMD_LINE_PTR)], 0);
    munmap(ram, ram_size);
    free(k);
}

/* Relocatable but pref_address + init_size does not fit: fall back to 1 MiB. */
TEST_CASE(pref_address_too_high_falls_back)
{
    size_t n;
    uint8_t *k = make_bzimage(&n);
    uint64_t ram_size = 18 * MiB;   /* 16 MiB + 4 MiB init_size > 18 MiB */
    uint8_t *ram = ram_alloc(ram_size);
    LinuxBootParams p = { .kernel = k, .kernel_size = n };
    X86Regs r;
    const char *err = NULL;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));
    CHECK_EQ(r.rip, 0x100000);
    munmap(ram, ram_size);
    free(k);
}

/* initrd_addr_max and an ACPI range at the top of RAM bound the initrd. */
TEST_CASE(initrd_limits)
{
    size_t n;
    uint8_t *k = make_bzimage(&n);
    wr32(k + H_INITRD_ADDR_MAX, 0x1FFFFFF);     /* highest byte 32 MiB - 1 */
    uint64_t ram_size = 64 * MiB;
    uint8_t *ram = ram_alloc(ram_size);
    uint8_t initrd[8192];
    memset(initrd, 0x77, sizeof(initrd));
    LinuxBootParams p = { .kernel = k, .kernel_size = n, .initrd = initrd,
                          .initrd_size = sizeof(initrd) };
    X86Regs r;
    const char *err = NULL;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));
    uint32_t rd = rd32(ram + r.gpr[R_ESI] + H_RAMDISK_IMAGE);
    CHECK_EQ(rd, 32 * MiB - sizeof(initrd));

    E820Table map;
    e820_build_pc(&map, ram_size);
    CHECK(e820_add(&map, 64 * MiB - 0x10000, 0x10000, 3));
    wr32(k + H_INITRD_ADDR_MAX, 0x7FFFFFFF);
    p.e820 = &map;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));
    rd = rd32(ram + r.gpr[R_ESI] + H_RAMDISK_IMAGE);
    CHECK_EQ(rd, 64 * MiB - 0x10000 - sizeof(initrd));
    munmap(ram, ram_size);
    free(k);
}

/* Each bad input fails with a message and leaves RAM and regs alone. */
static int rejects(uint8_t *k, size_t n, uint64_t ram_size,
                   const uint8_t *initrd, size_t initrd_size,
                   const char *cmdline, bool entry64, const char *want)
{
    uint8_t *ram = ram_alloc(ram_size);
    LinuxBootParams p = { .kernel = k, .kernel_size = n, .initrd = initrd,
                          .initrd_size = initrd_size, .cmdline = cmdline,
                          .entry64 = entry64 };
    X86Regs r, before;
    memset(&r, 0x5A, sizeof(r));
    before = r;
    const char *err = NULL;
    bool ok = linux_boot_setup(ram, ram_size, &p, &r, &err);
    int good = !ok && err && strstr(err, want) && strncmp(err, "linux: ", 7) == 0 &&
               !strchr(err, '\n') && memcmp(&r, &before, sizeof(r)) == 0 &&
               all_zero(ram, ram_size);
    if (!good)
        printf("  got ok=%d err=%s (wanted \"%s\")\n", ok, err ? err : "(null)", want);
    munmap(ram, ram_size);
    return good;
}

TEST_CASE(errors)
{
    size_t n;
    uint8_t *k = make_bzimage(&n);
    static uint8_t big[60 << 20];
    char longcl[2100];
    memset(longcl, 'a', sizeof(longcl) - 1);
    longcl[sizeof(longcl) - 1] = 0;

    CHECK(rejects(k, n - 1, 64 * MiB, NULL, 0, NULL, false, "truncated"));
    CHECK(rejects(k, SETUP_SIZE, 64 * MiB, NULL, 0, NULL, false, "truncated"));
    CHECK(rejects(k, 0x100, 64 * MiB, NULL, 0, NULL, false, "too small"));
    CHECK(rejects(k, n, 64 * MiB, NULL, 0, longcl, false, "command line"));
    CHECK(rejects(k, n, 64 * MiB, big, sizeof(big), NULL, false, "initrd"));
    CHECK(rejects(k, n, 4 * MiB, NULL, 0, NULL, false, "more memory"));

    k[H_HEADER] = 'X';
    CHECK(rejects(k, n, 64 * MiB, NULL, 0, NULL, false, "HdrS"));
    k[H_HEADER] = 'H';
    wr16(k + H_BOOT_FLAG, 0);
    CHECK(rejects(k, n, 64 * MiB, NULL, 0, NULL, false, "0xaa55"));
    wr16(k + H_BOOT_FLAG, 0xAA55);
    wr16(k + H_VERSION, 0x0201);
    CHECK(rejects(k, n, 64 * MiB, NULL, 0, NULL, false, "too old"));
    wr16(k + H_VERSION, 0x020F);
    k[H_LOADFLAGS] = 0;
    CHECK(rejects(k, n, 64 * MiB, NULL, 0, NULL, false, "zImage"));
    k[H_LOADFLAGS] = 1;
    wr16(k + H_XLOADFLAGS, 0x2);
    CHECK(rejects(k, n, 64 * MiB, NULL, 0, NULL, true, "64-bit"));
    wr16(k + H_XLOADFLAGS, 0x3);

    /* cmdline_size is the limit without the NUL: exactly 16 passes. */
    wr32(k + H_CMDLINE_SIZE, 16);
    CHECK(rejects(k, n, 64 * MiB, NULL, 0, "0123456789abcdefg", false,
                  "at most 16"));
    uint8_t *ram = ram_alloc(64 * MiB);
    LinuxBootParams p = { .kernel = k, .kernel_size = n,
                          .cmdline = "0123456789abcdef" };
    X86Regs r;
    const char *err;
    CHECK(linux_boot_setup(ram, 64 * MiB, &p, &r, &err));
    munmap(ram, 64 * MiB);
    CHECK(linux_is_bzimage(k, n));
    CHECK(!linux_is_bzimage(k, 0x205));
    free(k);
}

/* A real kernel, when this host has one: header parsing and placement. */
TEST_CASE(real_bzimage)
{
    char path[4096] = "";
    const char *env = getenv("MIMIC_TEST_VMLINUZ");
    const char *home = getenv("HOME");
    glob_t g;
    if (env && *env)
        snprintf(path, sizeof(path), "%s", env);
    if (!*path && home) {
        snprintf(path, sizeof(path), "%s/.cache/mimic/amd64/vmlinuz", home);
        FILE *f = fopen(path, "rb");
        if (f)
            fclose(f);
        else
            path[0] = 0;
    }
    if (!*path && glob("/boot/vmlinuz-*", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !*path; i++) {
            FILE *f = fopen(g.gl_pathv[i], "rb");
            if (f) {
                snprintf(path, sizeof(path), "%s", g.gl_pathv[i]);
                fclose(f);
            }
        }
        globfree(&g);
    }
    if (!*path)
        SKIP("no readable /boot/vmlinuz-* or ~/.cache/mimic/amd64/vmlinuz");
    FILE *f = fopen(path, "rb");
    if (!f)
        SKIP("kernel image not readable");
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *k = malloc(sz);
    CHECK(fread(k, 1, sz, f) == (size_t)sz);
    fclose(f);
    CHECK(linux_is_bzimage(k, sz));

    unsigned sects = k[H_SETUP_SECTS] ? k[H_SETUP_SECTS] : 4;
    size_t setup = (sects + 1) * 512;
    uint64_t ram_size = 512 * MiB;
    uint8_t *ram = ram_alloc(ram_size);
    bool has64 = rd16(k + H_VERSION) >= 0x20C && (rd16(k + H_XLOADFLAGS) & 1);
    LinuxBootParams p = { .kernel = k, .kernel_size = sz,
                          .cmdline = "console=ttyS0", .entry64 = has64 };
    X86Regs r;
    const char *err = NULL;
    bool ok = linux_boot_setup(ram, ram_size, &p, &r, &err);
    if (!ok)
        printf("  %s: %s\n", path, err);
    CHECK(ok);
    uint64_t load = r.rip - (has64 ? 0x200 : 0);
    if (k[H_RELOCATABLE] && rd64(k + H_PREF_ADDRESS))
        CHECK_EQ(load, rd64(k + H_PREF_ADDRESS));
    const uint8_t *zp = ram + r.gpr[R_ESI];
    size_t hdr_end = 0x202 + k[0x201];
    /* The header is the image's, except the fields a loader writes. */
    for (size_t off = 0x1F1; off < hdr_end; off++) {
        bool written = off == H_TYPE_OF_LOADER || off == H_LOADFLAGS ||
                       (off >= H_CODE32_START && off < H_RAMDISK_SIZE + 4) ||
                       (off >= H_HEAP_END_PTR && off < H_HEAP_END_PTR + 2) ||
                       (off >= H_CMD_LINE_PTR && off < H_CMD_LINE_PTR + 4);
        if (!written)
            CHECK_EQ(zp[off], k[off]);
    }
    CHECK(all_zero(zp + hdr_end, 0x290 - hdr_end));
    CHECK(memcmp(ram + load, k + setup, rd32(k + H_SYSSIZE) * 16) == 0);
    CHECK_EQ(zp[H_TYPE_OF_LOADER], 0xFF);
    CHECK(strcmp((const char *)ram + rd32(zp + H_CMD_LINE_PTR), "console=ttyS0") == 0);
    printf("  %s: protocol %x, loaded at 0x%llx, %s entry\n", path,
           rd16(k + H_VERSION), (unsigned long long)load, has64 ? "64-bit" : "32-bit");
    munmap(ram, ram_size);
    free(k);
}

/* ---- MTRRs (SDM vol. 3 11.11; MSR numbers from vol. 4 table 2-2) ---- */

#define MSR_PHYSBASE0 0x200
#define MSR_FIX64K    0x250
#define MSR_FIX16K    0x258
#define MSR_FIX4K     0x268
#define MSR_DEF_TYPE  0x2FF
#define T_UC 0
#define T_WB 6
#define MASK_BITS 0x000FFFFFFFFFF000ull   /* the list's full-width PHYSMASK */

static bool msr_get(const X86Regs *r, uint32_t index, uint64_t *v)
{
    for (int i = 0; i < r->nmsrs; i++) {
        if (r->msrs[i].index == index) {
            *v = r->msrs[i].value;
            return true;
        }
    }
    return false;
}

/* Memory type of `pa` as the CPU would derive it from these MSRs
 * (11.11.2.2 fixed ranges, 11.11.4.1 precedences); -1: MTRRs off. */
static int mtrr_type(const X86Regs *r, uint64_t pa)
{
    uint64_t def, v;
    if (!msr_get(r, MSR_DEF_TYPE, &def) || !(def & (1u << 11)))
        return -1;
    if ((def & (1u << 10)) && pa < MiB) {
        uint32_t msr;
        unsigned sub;
        if (pa < 0x80000) {
            msr = MSR_FIX64K;
            sub = (unsigned)(pa >> 16);
        } else if (pa < 0xC0000) {
            msr = MSR_FIX16K + (uint32_t)((pa - 0x80000) >> 17);
            sub = (unsigned)((pa - 0x80000) >> 14) & 7;
        } else {
            msr = MSR_FIX4K + (uint32_t)((pa - 0xC0000) >> 15);
            sub = (unsigned)((pa - 0xC0000) >> 12) & 7;
        }
        if (!msr_get(r, msr, &v))
            return -2;
        return (int)((v >> (8 * sub)) & 0xFF);
    }
    int type = -1;
    for (uint32_t n = 0; n < 10; n++) {
        uint64_t base, mask;
        if (!msr_get(r, MSR_PHYSBASE0 + 2 * n, &base) ||
            !msr_get(r, MSR_PHYSBASE0 + 2 * n + 1, &mask) || !(mask & (1u << 11)))
            continue;
        if ((pa & mask & MASK_BITS) != (base & mask & MASK_BITS))
            continue;
        int t = (int)(base & 0xFF);
        if (t == T_UC)
            return T_UC;              /* UC wins any overlap */
        type = type < 0 ? t : (type == t ? t : 4 /* WT+WB -> WT */);
    }
    return type >= 0 ? type : (int)(def & 0xFF);
}

static int valid_var_ranges(const X86Regs *r)
{
    int n = 0;
    for (uint32_t i = 0; i < 10; i++) {
        uint64_t mask;
        if (msr_get(r, MSR_PHYSBASE0 + 2 * i + 1, &mask) && (mask & (1u << 11)))
            n++;
    }
    return n;
}

/* linux_boot_setup on a machine with `ram_size` bytes; the MSR list. */
static bool boot_with_ram(uint64_t ram_size, X86Regs *r)
{
    size_t n;
    uint8_t *k = make_bzimage(&n);
    uint64_t low = ram_size > 0xC0000000ull ? 0xC0000000ull : ram_size;
    uint8_t *ram = ram_alloc(low);
    LinuxBootParams p = { .kernel = k, .kernel_size = n, .cmdline = "" };
    const char *err = NULL;
    bool ok = ram && linux_boot_setup(ram, ram_size, &p, r, &err);
    if (ram)
        munmap(ram, low);
    free(k);
    return ok;
}

/* What every layout must give: MTRRs and fixed ranges on, default WB, the
 * VGA window UC, RAM below the hole WB, the top of 4 GiB (IOAPIC, LAPIC,
 * flash) UC, RAM above 4 GiB WB, at most 6 variable ranges for the hole,
 * each an aligned power of two. */
static void check_common(const X86Regs *r, uint64_t ram_size)
{
    uint64_t low = ram_size > 0xC0000000ull ? 0xC0000000ull : ram_size, v;
    CHECK(msr_get(r, MSR_DEF_TYPE, &v));
    CHECK_EQ(v, (1u << 11) | (1u << 10) | T_WB);
    CHECK_EQ(mtrr_type(r, 0), T_WB);
    CHECK_EQ(mtrr_type(r, 0x9FC00), T_WB);
    CHECK_EQ(mtrr_type(r, 0xA0000), T_UC);
    CHECK_EQ(mtrr_type(r, 0xB8000), T_UC);
    CHECK_EQ(mtrr_type(r, 0xBFFFF), T_UC);
    CHECK_EQ(mtrr_type(r, 0xC0000), T_WB);
    CHECK_EQ(mtrr_type(r, 0xE0000), T_WB);
    CHECK_EQ(mtrr_type(r, 0xFFFF0), T_WB);
    CHECK_EQ(mtrr_type(r, MiB), T_WB);
    CHECK_EQ(mtrr_type(r, low / 2), T_WB);
    CHECK_EQ(mtrr_type(r, low - 1), T_WB);
    CHECK_EQ(mtrr_type(r, 0xFEC00000ull), T_UC);
    CHECK_EQ(mtrr_type(r, 0xFEE00000ull), T_UC);
    CHECK_EQ(mtrr_type(r, 0xFFFFFFFFull), T_UC);
    CHECK_EQ(mtrr_type(r, 4 * GiB), T_WB);
    if (ram_size > low)
        CHECK_EQ(mtrr_type(r, 4 * GiB + (ram_size - low) - 1), T_WB);
    CHECK(valid_var_ranges(r) >= 1 && valid_var_ranges(r) <= 6);
    for (uint32_t i = 0; i < 10; i++) {
        uint64_t base, mask;
        if (!msr_get(r, MSR_PHYSBASE0 + 2 * i + 1, &mask) || !(mask & (1u << 11)))
            continue;
        CHECK(msr_get(r, MSR_PHYSBASE0 + 2 * i, &base));
        uint64_t size = (~mask & MASK_BITS) + 0x1000;
        CHECK_EQ(size & (size - 1), 0);           /* contiguous mask: a power of two */
        CHECK_EQ(base & (size - 1) & ~0xFFFull, 0);   /* aligned to it */
        CHECK_EQ(mask & ~(MASK_BITS | (1u << 11)), 0);
    }
}

TEST_CASE(mtrrs_512m_hole_in_three_ranges)
{
    X86Regs r;
    CHECK(boot_with_ram(512 * MiB, &r));
    check_common(&r, 512 * MiB);
    /* [512 MiB, 4 GiB) = 2 GiB + 1 GiB + 512 MiB, largest first. */
    uint64_t v;
    CHECK(msr_get(&r, MSR_PHYSBASE0, &v));
    CHECK_EQ(v, 0x80000000ull | T_UC);
    CHECK(msr_get(&r, MSR_PHYSBASE0 + 1, &v));
    CHECK_EQ(v, 0x000FFFFF80000800ull);
    CHECK(msr_get(&r, MSR_PHYSBASE0 + 2, &v));
    CHECK_EQ(v, 0x40000000ull | T_UC);
    CHECK(msr_get(&r, MSR_PHYSBASE0 + 4, &v));
    CHECK_EQ(v, 0x20000000ull | T_UC);
    CHECK(msr_get(&r, MSR_PHYSBASE0 + 5, &v));
    CHECK_EQ(v, 0x000FFFFFE0000800ull);
    CHECK_EQ(valid_var_ranges(&r), 3);
    /* The other five of the eight are cleared, as firmware does. */
    CHECK(msr_get(&r, MSR_PHYSBASE0 + 2 * 7 + 1, &v));
    CHECK_EQ(v, 0);
    CHECK(!msr_get(&r, MSR_PHYSBASE0 + 2 * 8, &v));   /* beyond MTRRcap.VCNT = 8 */
    CHECK_EQ(mtrr_type(&r, 512 * MiB), T_UC);
    CHECK_EQ(r.nmsrs, 1 + 11 + 16);
}

TEST_CASE(mtrrs_hole_from_3g_and_ram_above_4g)
{
    /* 3 GiB and more: low RAM stops at the hole, one 1 GiB range covers it. */
    static const uint64_t sizes[] = { 3 * GiB, 4 * GiB, 6 * GiB };
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        X86Regs r;
        uint64_t v;
        CHECK(boot_with_ram(sizes[i], &r));
        check_common(&r, sizes[i]);
        CHECK_EQ(valid_var_ranges(&r), 1);
        CHECK(msr_get(&r, MSR_PHYSBASE0, &v));
        CHECK_EQ(v, 0xC0000000ull | T_UC);
        CHECK_EQ(mtrr_type(&r, 0xBFFFF000ull), T_WB);
        CHECK_EQ(mtrr_type(&r, 0xC0000000ull), T_UC);
    }
}

TEST_CASE(mtrrs_odd_sizes)
{
    X86Regs r;
    /* 128 MiB: 5 ranges, the whole hole UC. */
    CHECK(boot_with_ram(128 * MiB, &r));
    check_common(&r, 128 * MiB);
    CHECK_EQ(valid_var_ranges(&r), 5);
    CHECK_EQ(mtrr_type(&r, 128 * MiB), T_UC);
    /* 1000 MiB: 2 GiB + 1 GiB + 16 MiB + 8 MiB. */
    CHECK(boot_with_ram(1000 * MiB, &r));
    check_common(&r, 1000 * MiB);
    CHECK_EQ(valid_var_ranges(&r), 4);
    CHECK_EQ(mtrr_type(&r, 1000 * MiB), T_UC);
    CHECK_EQ(mtrr_type(&r, 1000 * MiB - 0x1000), T_WB);
    /* 100 MiB would need 8 (4+8+16 MiB, then 128 MiB .. 2 GiB): the six
     * largest cover [112 MiB, 4 GiB); 100..112 MiB, no RAM, stays WB. */
    CHECK(boot_with_ram(100 * MiB, &r));
    check_common(&r, 100 * MiB);
    CHECK_EQ(valid_var_ranges(&r), 6);
    CHECK_EQ(mtrr_type(&r, 100 * MiB), T_WB);
    CHECK_EQ(mtrr_type(&r, 112 * MiB - 1), T_WB);
    CHECK_EQ(mtrr_type(&r, 112 * MiB), T_UC);
    /* Not a whole page: the page holding RAM's last bytes stays WB; the
     * hole from the next page needs 19 ranges, the six largest cover
     * [96 MiB, 4 GiB). */
    CHECK(boot_with_ram(64 * MiB + 0x800, &r));
    check_common(&r, 64 * MiB + 0x800);
    CHECK_EQ(mtrr_type(&r, 64 * MiB + 0x7FF), T_WB);
    CHECK_EQ(mtrr_type(&r, 96 * MiB - 1), T_WB);
    CHECK_EQ(mtrr_type(&r, 96 * MiB), T_UC);
}

int main(void)
{
    RUN(zero_page_fields);
    RUN(entry32_registers_and_gdt);
    RUN(entry64_long_mode_and_page_tables);
    RUN(non_relocatable_and_setup_sects_zero);
    RUN(pref_address_too_high_falls_back);
    RUN(initrd_limits);
    RUN(errors);
    RUN(real_bzimage);
    RUN(mtrrs_512m_hole_in_three_ranges);
    RUN(mtrrs_hole_from_3g_and_ram_above_4g);
    RUN(mtrrs_odd_sizes);
    TEST_EXIT();
}
