/*
 * Direct Linux boot (Documentation/arch/x86/boot.rst "32-bit BOOT PROTOCOL"
 * and "64-bit BOOT PROTOCOL", zero-page.rst): copies the protected-mode part
 * of a bzImage, the initrd and command line into RAM, fills struct
 * boot_params, and sets up the CPU as the protocol requires. Leaves out
 * zImage/protocol < 2.02, setup_data chains, EFI handover and video setup
 * (screen_info stays zero: the machine is driven over the serial console).
 * With a host-unpacked vmlinux (bzimage.h) its ELF segments replace the
 * protected-mode code and the CPU starts in the kernel proper's startup_64.
 * The MTRRs are handed over as a BIOS leaves them (e820.h pc_mtrr_setup).
 */
#include "mimic/le.h"
#include "hw/pc/linux_boot.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Setup header fields: the same offsets in the image and in the zero page. */
#define HDR_START          0x1f1
#define HDR_SETUP_SECTS    0x1f1
#define HDR_SYSSIZE        0x1f4
#define HDR_BOOT_FLAG      0x1fe
#define HDR_JUMP_LEN       0x201   /* second byte of the short jmp */
#define HDR_MAGIC          0x202
#define HDR_VERSION        0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS      0x211
#define HDR_CODE32_START   0x214
#define HDR_RAMDISK_IMAGE  0x218
#define HDR_RAMDISK_SIZE   0x21c
#define HDR_HEAP_END_PTR   0x224
#define HDR_CMD_LINE_PTR   0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_RELOCATABLE    0x234
#define HDR_XLOADFLAGS     0x236
#define HDR_CMDLINE_SIZE   0x238
#define HDR_PREF_ADDRESS   0x258
#define HDR_INIT_SIZE      0x260
#define HDR_END_MAX        0x290   /* edd_mbr_sig_buffer follows in boot_params */

/* boot_params fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR  0x070
/* screen_info at the start of boot_params (Linux include/uapi/linux/screen_info.h) */
#define SI_ORIG_X          0x00
#define SI_ORIG_Y          0x01
#define SI_VIDEO_MODE      0x06
#define SI_VIDEO_COLS      0x07
#define SI_VIDEO_LINES     0x0e
#define SI_VIDEO_ISVGA     0x0f
#define SI_VIDEO_POINTS    0x10
#define BP_E820_ENTRIES    0x1e8
#define BP_E820_TABLE      0x2d0
#define BP_E820_MAX        128
#define BP_SIZE            0x1000

#define LOADED_HIGH   0x01
#define CAN_USE_HEAP  0x80
#define XLF_KERNEL_64 0x01

#define BOOT_FLAG_MAGIC 0xAA55
#define LOADER_UNKNOWN  0xFF     /* boot.rst: "undefined" boot loader ID */
#define HEAP_END_PTR    0xDE00   /* boot.rst sample: heap_end 0xe000 - 0x200 */
#define DEFAULT_LOAD    0x100000u
#define OLD_INITRD_MAX  0x37FFFFFFu  /* protocol < 2.03 */
#define OLD_CMDLINE_MAX 255u         /* protocol < 2.06 */
#define STARTUP_64_OFF  0x200
#define PAGE_SIZE       0x1000u
#define GIB             (1ull << 30)

#define PTE_P   0x1ull
#define PTE_RW  0x2ull
#define PTE_PS  0x80ull

_Static_assert(LINUX_PD_ADDR + LINUX_IDMAP_MAX_GIB * PAGE_SIZE <= PC_EBDA_BASE,
               "page tables must stay in conventional memory");
_Static_assert(LINUX_CMDLINE_ADDR + LINUX_CMDLINE_AREA <= LINUX_PML4_ADDR,
               "command line area overlaps the page tables");

static char linux_err[256];

static bool fail(const char **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool fail(const char **err, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(linux_err, sizeof(linux_err), "linux: ");
    va_start(ap, fmt);
    vsnprintf(linux_err + n, sizeof(linux_err) - n, fmt, ap);
    va_end(ap);
    if (err)
        *err = linux_err;
    return false;
}


bool linux_is_bzimage(const uint8_t *k, size_t n)
{
    return k && n >= HDR_MAGIC + 4 && memcmp(k + HDR_MAGIC, "HdrS", 4) == 0;
}

/* A GDT descriptor from the X86Segment flags encoding (x86_state.h), so the
 * table in RAM and the segment caches handed to the accelerator agree. */
static uint64_t gdt_descriptor(uint32_t base, uint32_t limit_20, uint16_t flags)
{
    return (limit_20 & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
           (uint64_t)(flags & 0xf0ff) << 40 |
           (uint64_t)((limit_20 >> 16) & 0xf) << 48 |
           (uint64_t)(base >> 24) << 56;
}

/* Highest page-aligned start for `size` bytes inside [lo, hi), or 0. */
static uint64_t place_top(uint64_t lo, uint64_t hi, uint64_t size)
{
    if (hi <= lo || hi - lo < size)
        return 0;
    uint64_t a = (hi - size) & ~(uint64_t)(PAGE_SIZE - 1);
    return a >= lo ? a : 0;
}

/* Highest page-aligned address for the initrd: in RAM at or above 1 MiB,
 * ending at or below `top`, clear of the kernel's [kstart, kend). 0 if none. */
static uint64_t place_initrd(const E820Table *t, uint64_t size, uint64_t top,
                             uint64_t kstart, uint64_t kend)
{
    uint64_t best = 0;

    for (int i = 0; i < t->count && i < E820_MAX; i++) {
        if (t->entry[i].type != E820_RAM)
            continue;
        uint64_t lo = t->entry[i].addr, hi = lo + t->entry[i].size;
        if (lo < PC_HIGHRAM_BASE)
            lo = PC_HIGHRAM_BASE;
        if (hi > top)
            hi = top;
        /* The part above the kernel, then the part below it. */
        uint64_t a = place_top(lo > kend ? lo : kend, hi, size);
        uint64_t b = place_top(lo, hi < kstart ? hi : kstart, size);
        if (a > best)
            best = a;
        if (b > best)
            best = b;
    }
    return best;
}

static void build_page_tables(uint8_t *ram, uint64_t ram_size)
{
    uint64_t top = pc_highmem_size(ram_size) ?
                   PC_HIGHMEM_BASE + pc_highmem_size(ram_size) : PC_HIGHMEM_BASE;
    uint64_t ngib = (top + GIB - 1) / GIB;

    if (ngib > LINUX_IDMAP_MAX_GIB)
        ngib = LINUX_IDMAP_MAX_GIB;
    memset(ram + LINUX_PML4_ADDR, 0, 2 * PAGE_SIZE);
    st_le64(ram + LINUX_PML4_ADDR, LINUX_PDPT_ADDR | PTE_P | PTE_RW);
    for (uint64_t g = 0; g < ngib; g++) {
        uint8_t *pd = ram + LINUX_PD_ADDR + g * PAGE_SIZE;
        st_le64(ram + LINUX_PDPT_ADDR + g * 8,
             (LINUX_PD_ADDR + g * PAGE_SIZE) | PTE_P | PTE_RW);
        for (uint64_t j = 0; j < 512; j++)
            st_le64(pd + j * 8, (g * GIB + (j << 21)) | PTE_P | PTE_RW | PTE_PS);
    }
}

bool linux_boot_setup(uint8_t *ram, uint64_t ram_size,
                      const LinuxBootParams *p, X86Regs *regs,
                      const char **err)
{
    const uint8_t *k = p->kernel;
    size_t n = p->kernel_size;
    uint64_t lowmem = pc_lowmem_size(ram_size);
    E820Table default_map;
    const E820Table *map = p->e820;

    if (!map) {
        e820_build_pc(&default_map, ram_size);
        map = &default_map;
    }
    if (lowmem < PC_HIGHRAM_BASE)
        return fail(err, "guest RAM (%" PRIu64 " bytes) is too small for a "
                    "direct kernel boot; need at least 1 MiB", ram_size);
    if (!k || n < HDR_MAGIC + 4)
        return fail(err, "kernel image is %zu bytes, too small to hold a "
                    "setup header", k ? n : 0);
    if (!linux_is_bzimage(k, n))
        return fail(err, "not a bzImage: no \"HdrS\" setup header at 0x202");
    if (ld_le16(k + HDR_BOOT_FLAG) != BOOT_FLAG_MAGIC)
        return fail(err, "not a bzImage: boot flag at 0x1fe is 0x%04x, "
                    "not 0xaa55", ld_le16(k + HDR_BOOT_FLAG));

    uint16_t version = ld_le16(k + HDR_VERSION);
    if (version < 0x202)
        return fail(err, "boot protocol %u.%02u is too old; need 2.02 or newer",
                    version >> 8, version & 0xff);
    if (!(k[HDR_LOADFLAGS] & LOADED_HIGH))
        return fail(err, "zImage (loaded at 0x10000) is not supported; "
                    "need a bzImage");

    /* Header fields past HdrS were added over protocol versions; reading
     * them from an older kernel would read its setup code. */
    unsigned setup_sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;
    size_t setup_size = (size_t)(setup_sects + 1) * 512;
    uint64_t syssize = version >= 0x204 ? ld_le32(k + HDR_SYSSIZE)
                                        : ld_le16(k + HDR_SYSSIZE);
    if (n <= setup_size)
        return fail(err, "kernel image truncated: %zu bytes, but its setup "
                    "code alone is %zu", n, setup_size);
    uint64_t pm_size = syssize ? syssize * 16 : n - setup_size;
    if (pm_size > n - setup_size)
        return fail(err, "kernel image truncated: header says %" PRIu64
                    " bytes, file has %zu", setup_size + pm_size, n);
    size_t hdr_end = HDR_MAGIC + k[HDR_JUMP_LEN];
    if (hdr_end > HDR_END_MAX)
        hdr_end = HDR_END_MAX;

    uint64_t init_size = version >= 0x20a ? ld_le32(k + HDR_INIT_SIZE) : 0;
    uint64_t need = init_size > pm_size ? init_size : pm_size;
    uint64_t pref = version >= 0x20a ? ld_le64(k + HDR_PREF_ADDRESS) : 0;
    bool relocatable = version >= 0x205 && k[HDR_RELOCATABLE];
    uint64_t load = DEFAULT_LOAD;
    const Vmlinux *v = p->vmlinux;
    if (v) {
        /* Linked addresses, no relocation: the kernel's own footprint, or
         * init_size if larger, as its decompressor would have reserved. */
        load = v->start;
        need = v->end - v->start > init_size ? v->end - v->start : init_size;
    } else if (relocatable && pref && pref + need <= lowmem && pref + need > pref &&
               e820_is_ram(map, pref, need)) {
        load = pref;
    }
    if (need > lowmem || load > lowmem - need || !e820_is_ram(map, load, need))
        return fail(err, "kernel needs 0x%" PRIx64 " bytes of RAM at 0x%" PRIx64
                    " but guest RAM below 4 GiB ends at 0x%" PRIx64
                    "; give the guest more memory (-m)", need, load, lowmem);

    const char *cmdline = p->cmdline ? p->cmdline : "";
    size_t cmdlen = strlen(cmdline);
    uint64_t cmdmax = version >= 0x206 ? ld_le32(k + HDR_CMDLINE_SIZE)
                                       : OLD_CMDLINE_MAX;
    if (cmdmax > LINUX_CMDLINE_AREA - 1)
        cmdmax = LINUX_CMDLINE_AREA - 1;
    if (cmdlen > cmdmax)
        return fail(err, "command line is %zu bytes; this kernel accepts at "
                    "most %" PRIu64, cmdlen, cmdmax);

    if (p->entry64 && !v && (version < 0x20c || !(ld_le16(k + HDR_XLOADFLAGS) & XLF_KERNEL_64)))
        return fail(err, "kernel has no 64-bit entry point (boot protocol "
                    "%u.%02u, XLF_KERNEL_64 not set); use the 32-bit entry",
                    version >> 8, version & 0xff);

    uint64_t initrd_addr = 0;
    if (p->initrd && p->initrd_size) {
        uint64_t top = version >= 0x203 ? (uint64_t)ld_le32(k + HDR_INITRD_ADDR_MAX) + 1
                                        : (uint64_t)OLD_INITRD_MAX + 1;
        if (top > lowmem)
            top = lowmem;
        if (p->initrd_size <= UINT32_MAX)
            initrd_addr = place_initrd(map, p->initrd_size, top, load, load + need);
        if (!initrd_addr)
            return fail(err, "initrd (%zu bytes) does not fit in guest RAM "
                        "below 0x%" PRIx64 " beside the kernel; give the guest "
                        "more memory (-m) or use a smaller initrd",
                        p->initrd_size, top);
    }
    if (map->count > BP_E820_MAX || map->count < 0)
        return fail(err, "memory map has %d entries; the zero page holds %d",
                    map->count, BP_E820_MAX);

    /* Everything checked: write guest memory. */
    if (v) {
        for (int i = 0; i < v->nsegs; i++) {
            memcpy(ram + v->seg[i].paddr, v->seg[i].data, v->seg[i].filesz);
            memset(ram + v->seg[i].paddr + v->seg[i].filesz, 0,
                   v->seg[i].memsz - v->seg[i].filesz);
        }
    } else {
        memcpy(ram + load, k + setup_size, pm_size);
    }
    if (initrd_addr)
        memcpy(ram + initrd_addr, p->initrd, p->initrd_size);
    memcpy(ram + LINUX_CMDLINE_ADDR, cmdline, cmdlen + 1);

    uint8_t *bp = ram + LINUX_ZERO_PAGE_ADDR;
    memset(bp, 0, BP_SIZE);
    memcpy(bp + HDR_START, k + HDR_START, hdr_end - HDR_START);
    bp[HDR_TYPE_OF_LOADER] = LOADER_UNKNOWN;
    bp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
    st_le16(bp + HDR_HEAP_END_PTR, HEAP_END_PTR);
    st_le32(bp + HDR_CODE32_START, (uint32_t)load);
    st_le32(bp + HDR_CMD_LINE_PTR, LINUX_CMDLINE_ADDR);
    st_le32(bp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_addr);
    st_le32(bp + HDR_RAMDISK_SIZE, initrd_addr ? (uint32_t)p->initrd_size : 0);
    st_le64(bp + BP_ACPI_RSDP_ADDR, p->acpi_rsdp);
    if (p->vga_text) {
        /* What the real-mode setup code stores after INT 10h/0Fh on a VGA
         * left in mode 3 (arch/x86/boot/video.c store_mode_params). */
        bp[SI_ORIG_X] = 0;
        bp[SI_ORIG_Y] = 0;
        bp[SI_VIDEO_MODE] = 3;
        bp[SI_VIDEO_COLS] = 80;
        bp[SI_VIDEO_LINES] = 25;
        bp[SI_VIDEO_ISVGA] = 1;
        st_le16(bp + SI_VIDEO_POINTS, 16);
    }
    bp[BP_E820_ENTRIES] = (uint8_t)map->count;
    for (int i = 0; i < map->count; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * 20;
        st_le64(e, map->entry[i].addr);
        st_le64(e + 8, map->entry[i].size);
        st_le32(e + 16, map->entry[i].type);
    }

    /* boot.rst: __BOOT_CS 0x10 and __BOOT_DS 0x18, flat 4 GiB; in long
     * mode the same selector holds a 64-bit code descriptor. */
    x86_regs_flat32(regs, (uint32_t)load);
    regs->seg[SEG_CS].selector = LINUX_BOOT_CS;   /* the GDT below must match */
    for (int i = 0; i < SEG_COUNT; i++)
        if (i != SEG_CS && i != SEG_LDTR && i != SEG_TR)
            regs->seg[i].selector = LINUX_BOOT_DS;
    if (p->entry64 || v) {
        regs->seg[SEG_CS].flags = (regs->seg[SEG_CS].flags & ~SEGF_DB) | SEGF_L;
        regs->cr0 |= CR0_PG;
        regs->cr3 = LINUX_PML4_ADDR;
        regs->cr4 = CR4_PAE;
        regs->efer = EFER_LME | EFER_LMA;
        regs->rip = v ? v->entry : load + STARTUP_64_OFF;
        build_page_tables(ram, ram_size);
    }
    memset(ram + LINUX_GDT_ADDR, 0, 4 * 8);
    st_le64(ram + LINUX_GDT_ADDR + LINUX_BOOT_CS,
         gdt_descriptor(0, 0xfffff, regs->seg[SEG_CS].flags));
    st_le64(ram + LINUX_GDT_ADDR + LINUX_BOOT_DS,
         gdt_descriptor(0, 0xfffff, regs->seg[SEG_DS].flags));
    regs->gdt = (X86DescTable){ LINUX_GDT_ADDR, 4 * 8 - 1 };
    regs->idt = (X86DescTable){ 0, 0 };
    regs->rflags = 0x2;                  /* IF=0: interrupts off */
    regs->gpr[R_ESI] = LINUX_ZERO_PAGE_ADDR;
    regs->gpr[R_ESP] = LINUX_ZERO_PAGE_ADDR;
    /* A BIOS would have enabled the MTRRs before running the boot loader;
     * Linux sets up PAT only if it finds them on. x86_regs_flat32 emptied
     * the MSR list, so they fit (e820.h). */
    pc_mtrr_setup(regs, lowmem);
    return true;
}
