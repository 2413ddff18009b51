/*
 * Multiboot v1 loader tests: synthetic ELF32, ELF64 and a.out-kludge kernels
 * are loaded into a RAM buffer; segments, bss, modules, the MBI, its memory
 * map and the entry registers are checked against Multiboot spec 0.6.96
 * (offsets below are taken from sections 3.1 and 3.3).
 */
#include "test.h"

#include "hw/pc/multiboot.h"

#define MiB (1ull << 20)
#define RAM_SIZE (32 * MiB)

/* Spec 3.3 MBI offsets and flags. */
enum {
    MBI_FLAGS = 0, MBI_MEM_LOWER = 4, MBI_MEM_UPPER = 8, MBI_CMDLINE = 16,
    MBI_MODS_COUNT = 20, MBI_MODS_ADDR = 24, MBI_MMAP_LENGTH = 44,
    MBI_MMAP_ADDR = 48, MBI_BOOT_LOADER_NAME = 64,
};
#define F_MEM (1u << 0)
#define F_CMDLINE (1u << 2)
#define F_MODS (1u << 3)
#define F_MMAP (1u << 6)
#define F_LOADER_NAME (1u << 9)
#define F_VBE (1u << 11)

static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, v); wr32(p + 4, v >> 32); }

static void put_header(uint8_t *at, uint32_t flags)
{
    wr32(at, 0x1BADB002);
    wr32(at + 4, flags);
    wr32(at + 8, (uint32_t)-(0x1BADB002u + flags));
}

/*
 * ELF32 kernel, higher half: text at vaddr 0xC0100000 / paddr 0x100000
 * (0x2000 bytes, multiboot header at file offset 0x100), data+bss at paddr
 * 0x104000 (0x800 in the file, 0x3000 in memory). Entry 0xC0100200.
 */
#define ELF_SIZE 0x2800
static uint8_t *make_elf32(void)
{
    uint8_t *k = calloc(1, ELF_SIZE);
    memcpy(k, "\177ELF", 4);
    k[4] = 1; k[5] = 1; k[6] = 1;            /* ELFCLASS32, LSB, EV_CURRENT */
    wr16(k + 16, 2);                          /* ET_EXEC */
    wr16(k + 18, 3);                          /* EM_386 */
    wr32(k + 20, 1);
    wr32(k + 24, 0xC0100200);                 /* e_entry */
    wr32(k + 28, 52);                         /* e_phoff */
    wr16(k + 40, 52);                         /* e_ehsize */
    wr16(k + 42, 32);                         /* e_phentsize */
    wr16(k + 44, 3);                          /* e_phnum */
    uint8_t *ph = k + 52;
    wr32(ph + 0, 1); wr32(ph + 4, 0); wr32(ph + 8, 0xC0100000);
    wr32(ph + 12, 0x100000); wr32(ph + 16, 0x2000); wr32(ph + 20, 0x2000);
    ph += 32;
    wr32(ph + 0, 1); wr32(ph + 4, 0x2000); wr32(ph + 8, 0xC0104000);
    wr32(ph + 12, 0x104000); wr32(ph + 16, 0x800); wr32(ph + 20, 0x3000);
    ph += 32;
    wr32(ph + 0, 4);                          /* PT_NOTE: ignored */
    wr32(ph + 12, 0x80000000); wr32(ph + 20, 0x100);
    put_header(k + 0x100, 0x3);               /* page-align, memory info */
    for (int i = 0x200; i < ELF_SIZE; i++)
        k[i] = (uint8_t)(i * 13 + 5);
    return k;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

TEST_CASE(probe)
{
    uint8_t k[9000];
    memset(k, 0, sizeof(k));
    CHECK(!multiboot_probe(k, sizeof(k)));
    put_header(k + 8180, 0);                  /* ends exactly at 8192 */
    CHECK(multiboot_probe(k, sizeof(k)));
    memset(k, 0, sizeof(k));
    put_header(k + 8192, 0);                  /* beyond the search window */
    CHECK(!multiboot_probe(k, sizeof(k)));
    memset(k, 0, sizeof(k));
    put_header(k + 0x102, 0);                 /* not 4-byte aligned */
    CHECK(!multiboot_probe(k, sizeof(k)));
    memset(k, 0, sizeof(k));
    put_header(k + 0x100, 0x10003);
    CHECK(multiboot_probe(k, sizeof(k)));
    k[0x108] ^= 1;                            /* bad checksum */
    CHECK(!multiboot_probe(k, sizeof(k)));
    CHECK(!multiboot_probe(k, 8));
}

TEST_CASE(elf32_segments_bss_entry)
{
    uint8_t *k = make_elf32();
    uint8_t *ram = calloc(1, RAM_SIZE);
    memset(ram + 0x104000, 0xEE, 0x4000);     /* stale bytes where bss goes */
    X86Regs r;
    const char *err = NULL;
    CHECK(multiboot_setup(ram, RAM_SIZE, k, ELF_SIZE, "kernel -v", NULL, 0,
                          NULL, &r, &err));
    CHECK(memcmp(ram + 0x100000, k, 0x2000) == 0);
    CHECK(memcmp(ram + 0x104000, k + 0x2000, 0x800) == 0);
    CHECK(all_zero(ram + 0x104800, 0x2800));  /* bss zeroed */
    CHECK_EQ(ram[0x107000], 0xEE);            /* nothing past bss_end */
    /* The PT_NOTE at 0x80000000 (beyond RAM) was skipped, or setup failed. */
    /* Entry: the virtual e_entry moved into the segment's physical range. */
    CHECK_EQ(r.rip, 0x100200);
    /* Spec 3.2 machine state. */
    CHECK_EQ(r.gpr[R_EAX], 0x2BADB002);
    CHECK(r.gpr[R_EBX] != 0 && r.gpr[R_EBX] < 0xA0000);
    CHECK_EQ(r.seg[SEG_CS].base, 0);
    CHECK_EQ(r.seg[SEG_CS].limit, 0xFFFFFFFFu);
    CHECK_EQ(r.seg[SEG_CS].flags & 0x1A, 0x1A);   /* code/data, exec, readable */
    CHECK(r.seg[SEG_CS].flags & SEGF_DB);
    for (int s = SEG_ES; s <= SEG_GS; s++) {
        if (s == SEG_CS)
            continue;
        CHECK_EQ(r.seg[s].base, 0);
        CHECK_EQ(r.seg[s].limit, 0xFFFFFFFFu);
        CHECK_EQ(r.seg[s].flags & 0x1A, 0x12);    /* data, writable */
    }
    CHECK(r.cr0 & 1);
    CHECK_EQ(r.cr0 & (1ull << 31), 0);
    CHECK_EQ(r.rflags & (1u << 9), 0);            /* IF */
    CHECK_EQ(r.rflags & (1u << 17), 0);           /* VM */
    /* The GDT in RAM holds what the caches say. */
    uint64_t d = rd64(ram + r.gdt.base + r.seg[SEG_CS].selector);
    CHECK_EQ((d >> 40) & 0xFF, r.seg[SEG_CS].flags & 0xFF);
    CHECK_EQ((d & 0xFFFF) | ((d >> 32) & 0xF0000), 0xFFFFF);
    d = rd64(ram + r.gdt.base + r.seg[SEG_DS].selector);
    CHECK_EQ((d >> 40) & 0xFF, r.seg[SEG_DS].flags & 0xFF);
    CHECK_EQ((d >> 52) & 0xF, 0xC);
    free(ram);
    free(k);
}

TEST_CASE(mbi_contents)
{
    uint8_t *k = make_elf32();
    uint8_t *ram = calloc(1, RAM_SIZE);
    uint8_t m0[5000], m1[3];
    memset(m0, 0x11, sizeof(m0));
    memset(m1, 0x22, sizeof(m1));
    MultibootModule mods[2] = {
        { m0, sizeof(m0), "/boot/initrd.tar root=1" },
        { m1, sizeof(m1), "/boot/font" },
    };
    E820Table map;
    e820_build_pc(&map, RAM_SIZE);
    CHECK(e820_add(&map, RAM_SIZE - 0x10000, 0x10000, 3));
    X86Regs r;
    const char *err = NULL;
    CHECK(multiboot_setup(ram, RAM_SIZE, k, ELF_SIZE, "kernel -v", mods, 2,
                          &map, &r, &err));
    const uint8_t *mbi = ram + r.gpr[R_EBX];
    uint32_t flags = rd32(mbi + MBI_FLAGS);
    CHECK_EQ(flags & (F_MEM | F_CMDLINE | F_MODS | F_MMAP | F_LOADER_NAME),
             F_MEM | F_CMDLINE | F_MODS | F_MMAP | F_LOADER_NAME);
    CHECK_EQ(flags & F_VBE, 0);
    CHECK_EQ(rd32(mbi + MBI_MEM_LOWER), 639);
    CHECK_EQ(rd32(mbi + MBI_MEM_UPPER), (RAM_SIZE - 0x10000 - MiB) / 1024);
    CHECK(strcmp((const char *)ram + rd32(mbi + MBI_CMDLINE), "kernel -v") == 0);
    CHECK(strcmp((const char *)ram + rd32(mbi + MBI_BOOT_LOADER_NAME), "mimic") == 0);

    /* Modules: page aligned, after the kernel's end (0x107000), in order. */
    CHECK_EQ(rd32(mbi + MBI_MODS_COUNT), 2);
    const uint8_t *ml = ram + rd32(mbi + MBI_MODS_ADDR);
    uint32_t s0 = rd32(ml), e0 = rd32(ml + 4), s1 = rd32(ml + 16), e1 = rd32(ml + 20);
    CHECK_EQ(s0, 0x107000);
    CHECK_EQ(e0, s0 + sizeof(m0));
    CHECK_EQ(s1 & 0xFFF, 0);
    CHECK(s1 >= e0);
    CHECK(s1 < e0 + 0x1000);
    CHECK_EQ(e1, s1 + sizeof(m1));
    CHECK(memcmp(ram + s0, m0, sizeof(m0)) == 0);
    CHECK(memcmp(ram + s1, m1, sizeof(m1)) == 0);
    CHECK(strcmp((const char *)ram + rd32(ml + 8), "/boot/initrd.tar root=1") == 0);
    CHECK(strcmp((const char *)ram + rd32(ml + 24), "/boot/font") == 0);
    CHECK_EQ(rd32(ml + 12), 0);
    CHECK_EQ(rd32(ml + 28), 0);

    /* Memory map: size field 20, then base, length, type; the length covers
     * every entry including its size field. */
    uint32_t len = rd32(mbi + MBI_MMAP_LENGTH);
    uint32_t at = rd32(mbi + MBI_MMAP_ADDR);
    CHECK_EQ(len, (uint32_t)map.count * 24);
    int i = 0;
    for (uint32_t off = 0; off < len; i++) {
        const uint8_t *e = ram + at + off;
        CHECK_EQ(rd32(e), 20);
        CHECK_EQ(rd64(e + 4), map.entry[i].addr);
        CHECK_EQ(rd64(e + 12), map.entry[i].size);
        CHECK_EQ(rd32(e + 20), map.entry[i].type);
        off += rd32(e) + 4;
    }
    CHECK_EQ(i, map.count);
    /* Nothing the MBI points at overlaps the kernel or modules. */
    CHECK(at + len <= 0x100000);
    free(ram);
    free(k);
}

/* Flags bit 16: load by the header's address fields (spec 3.1.3). */
TEST_CASE(aout_kludge)
{
    size_t n = 0x1800;
    uint8_t *k = calloc(1, n);
    for (size_t i = 0; i < n; i++)
        k[i] = (uint8_t)(i * 3 + 1);
    uint8_t *h = k + 0x40;
    put_header(h, 0x10000);
    wr32(h + 12, 0x200040);       /* header_addr */
    wr32(h + 16, 0x200000);       /* load_addr */
    wr32(h + 20, 0x201000);       /* load_end_addr */
    wr32(h + 24, 0x203000);       /* bss_end_addr */
    wr32(h + 28, 0x200080);       /* entry_addr */
    uint8_t *ram = calloc(1, RAM_SIZE);
    memset(ram + 0x200000, 0xEE, 0x4000);
    X86Regs r;
    const char *err = NULL;
    CHECK(multiboot_setup(ram, RAM_SIZE, k, n, NULL, NULL, 0, NULL, &r, &err));
    CHECK(memcmp(ram + 0x200000, k, 0x1000) == 0);
    CHECK(all_zero(ram + 0x201000, 0x2000));
    CHECK_EQ(ram[0x203000], 0xEE);
    CHECK_EQ(r.rip, 0x200080);
    CHECK_EQ(ram[rd32(ram + r.gpr[R_EBX] + MBI_CMDLINE)], 0);
    CHECK_EQ(rd32(ram + r.gpr[R_EBX] + MBI_MODS_COUNT), 0);

    /* load_end_addr 0: the rest of the file; bss_end 0: no bss. Header
     * placed 0x40 into the file, so the load starts at file offset 0x20. */
    wr32(h + 12, 0x300020);
    wr32(h + 16, 0x300000);
    wr32(h + 20, 0);
    wr32(h + 24, 0);
    wr32(h + 28, 0x300000);
    memset(ram + 0x300000, 0xEE, 0x2000);
    CHECK(multiboot_setup(ram, RAM_SIZE, k, n, NULL, NULL, 0, NULL, &r, &err));
    CHECK(memcmp(ram + 0x300000, k + 0x20, n - 0x20) == 0);
    CHECK_EQ(ram[0x300000 + n - 0x20], 0xEE);
    free(ram);
    free(k);
}

/* An ELF64 kernel with a multiboot header: loaded by p_paddr, 32-bit entry. */
TEST_CASE(elf64)
{
    size_t n = 0x1400;
    uint8_t *k = calloc(1, n);
    memcpy(k, "\177ELF", 4);
    k[4] = 2; k[5] = 1; k[6] = 1;
    wr16(k + 16, 2);
    wr16(k + 18, 62);                          /* EM_X86_64 */
    wr64(k + 24, 0x100010);                    /* e_entry */
    wr64(k + 32, 64);                          /* e_phoff */
    wr16(k + 54, 56);                          /* e_phentsize */
    wr16(k + 56, 1);
    uint8_t *ph = k + 64;
    wr32(ph, 1);
    wr64(ph + 8, 0x1000);                      /* p_offset */
    wr64(ph + 16, 0xFFFFFFFF80100000ull);      /* p_vaddr */
    wr64(ph + 24, 0x100000);                   /* p_paddr */
    wr64(ph + 32, 0x400);
    wr64(ph + 40, 0x800);
    put_header(k + 0x1000, 0x2);
    uint8_t *ram = calloc(1, RAM_SIZE);
    X86Regs r;
    const char *err = NULL;
    CHECK(multiboot_setup(ram, RAM_SIZE, k, n, "", NULL, 0, NULL, &r, &err));
    CHECK(memcmp(ram + 0x100000, k + 0x1000, 0x400) == 0);
    CHECK_EQ(r.rip, 0x100010);
    CHECK_EQ(r.efer, 0);
    CHECK_EQ(r.seg[SEG_CS].flags & SEGF_L, 0);
    free(ram);
    free(k);
}

/* Each bad kernel fails with one line and leaves the registers alone. */
static int rejects(const uint8_t *k, size_t n, const MultibootModule *mods,
                   int nmods, const char *cmdline, const char *want)
{
    uint8_t *ram = calloc(1, RAM_SIZE);
    X86Regs r, before;
    memset(&r, 0x5A, sizeof(r));
    before = r;
    const char *err = NULL;
    bool ok = multiboot_setup(ram, RAM_SIZE, k, n, cmdline, mods, nmods, NULL,
                              &r, &err);
    int good = !ok && err && strstr(err, want) &&
               strncmp(err, "multiboot: ", 11) == 0 && !strchr(err, '\n') &&
               memcmp(&r, &before, sizeof(r)) == 0;
    if (!good)
        printf("  got ok=%d err=%s (wanted \"%s\")\n", ok, err ? err : "(null)", want);
    free(ram);
    return good;
}

TEST_CASE(errors)
{
    uint8_t *k = make_elf32();
    uint8_t *ph2 = k + 52 + 32;

    CHECK(rejects(k, 0x800, NULL, 0, NULL, "truncated"));
    wr32(ph2 + 12, RAM_SIZE - 0x1000);            /* runs past the end of RAM */
    CHECK(rejects(k, ELF_SIZE, NULL, 0, NULL, "lies outside guest RAM"));
    wr32(ph2 + 12, 0xA0000);                      /* VGA window */
    CHECK(rejects(k, ELF_SIZE, NULL, 0, NULL, "0xa0000-0xa3000 lies outside guest RAM"));
    wr32(ph2 + 12, 0x9000);                       /* the boot information area */
    CHECK(rejects(k, ELF_SIZE, NULL, 0, NULL, "overlaps the boot information"));
    wr32(ph2 + 12, 0x104000);

    wr32(k + 24, 0x0DEAD000);
    CHECK(rejects(k, ELF_SIZE, NULL, 0, NULL, "entry point"));
    wr32(k + 24, 0xC0100200);

    wr32(ph2 + 16, 0x4000);                       /* filesz > memsz */
    CHECK(rejects(k, ELF_SIZE, NULL, 0, NULL, "p_filesz"));
    wr32(ph2 + 16, 0x800);

    put_header(k + 0x100, 0x3 | 0x8);             /* unknown required bit 3 */
    CHECK(rejects(k, ELF_SIZE, NULL, 0, NULL, "requires features"));
    put_header(k + 0x100, 0x3);

    static uint8_t big[40 << 20];
    MultibootModule m = { big, sizeof(big), "/big" };
    CHECK(rejects(k, ELF_SIZE, &m, 1, NULL, "module 0 (/big"));

    static char longcl[70000];
    memset(longcl, 'x', sizeof(longcl) - 1);
    CHECK(rejects(k, ELF_SIZE, NULL, 0, longcl, "command line"));

    k[0] = 0;                                      /* not ELF, no bit 16 */
    CHECK(rejects(k, ELF_SIZE, NULL, 0, NULL, "not ELF"));
    k[0] = 0x7F;
    k[0x108] ^= 1;                                 /* bad checksum */
    CHECK(rejects(k, ELF_SIZE, NULL, 0, NULL, "no multiboot header"));
    k[0x108] ^= 1;

    /* a.out kludge: header_addr below load_addr, and a file too short. */
    uint8_t a[0x200] = { 0 };
    put_header(a + 0x40, 0x10000);
    wr32(a + 0x40 + 12, 0x200040);
    wr32(a + 0x40 + 16, 0x200100);
    wr32(a + 0x40 + 28, 0x200100);
    CHECK(rejects(a, sizeof(a), NULL, 0, NULL, "header_addr"));
    wr32(a + 0x40 + 16, 0x200000);
    wr32(a + 0x40 + 20, 0x201000);
    CHECK(rejects(a, sizeof(a), NULL, 0, NULL, "truncated"));
    free(k);
}

/* Spec 3.2 leaves the machine as firmware set it up: MTRRs on (SDM vol. 3
 * 11.11.2.1 IA32_MTRR_DEF_TYPE = E | FE | WB), the VGA window UC (FIX16K_A0000
 * all UC) and the top of 4 GiB UC through variable range 0. */
TEST_CASE(mtrrs_as_firmware_leaves_them)
{
    uint8_t *k = make_elf32();
    uint8_t *ram = calloc(1, RAM_SIZE);
    X86Regs r;
    const char *err = NULL;
    CHECK(multiboot_setup(ram, RAM_SIZE, k, ELF_SIZE, "", NULL, 0, NULL, &r, &err));
    bool def = false, vga = false, top = false;
    for (int i = 0; i < r.nmsrs; i++) {
        uint32_t idx = r.msrs[i].index;
        uint64_t v = r.msrs[i].value;
        def |= idx == 0x2FF && v == 0xC06;
        vga |= idx == 0x259 && v == 0;
        top |= idx == 0x200 && v == 0x80000000ull;   /* [2 GiB, 4 GiB) UC */
    }
    CHECK(def && vga && top);
    free(ram);
    free(k);
}

int main(void)
{
    RUN(probe);
    RUN(elf32_segments_bss_entry);
    RUN(mbi_contents);
    RUN(aout_kludge);
    RUN(elf64);
    RUN(errors);
    RUN(mtrrs_as_firmware_leaves_them);
    TEST_EXIT();
}
