/*
 * Direct Linux boot on the pc machine: place a bzImage, its initrd and
 * command line in guest RAM and build the zero page, then start the CPU at
 * the 32-bit or 64-bit protected-mode entry (Documentation/arch/x86/boot.rst,
 * protocol 2.02+; zero-page.rst). No real-mode setup code runs.
 */
#ifndef MIMIC_HW_PC_LINUX_BOOT_H
#define MIMIC_HW_PC_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/pc/bzimage.h"
#include "hw/pc/e820.h"
#include "mimic/x86_state.h"

/*
 * Fixed layout in conventional memory (all below the EBDA at 0x9FC00; Linux
 * reserves the first MiB, and copies the zero page and command line before
 * it reuses any of it):
 *   0x01000  GDT: null, null, __BOOT_CS 0x10, __BOOT_DS 0x18
 *   0x10000  zero page (struct boot_params, 4 KiB); ESI/RSI points here,
 *            the boot stack grows down from here
 *   0x20000  command line, at most LINUX_CMDLINE_AREA bytes with its NUL
 *   0x30000  64-bit entry only: PML4, 0x31000 PDPT, 0x32000.. one page
 *            directory (2 MiB pages) per GiB identity-mapped
 */
#define LINUX_GDT_ADDR       0x1000u
#define LINUX_ZERO_PAGE_ADDR 0x10000u
#define LINUX_CMDLINE_ADDR   0x20000u
#define LINUX_CMDLINE_AREA   0x10000u
#define LINUX_PML4_ADDR      0x30000u
#define LINUX_PDPT_ADDR      0x31000u
#define LINUX_PD_ADDR        0x32000u
/* The 64-bit protocol needs only the kernel, zero page, command line and
 * initrd mapped, all below 4 GiB; RAM above this many GiB stays unmapped. */
#define LINUX_IDMAP_MAX_GIB  64

#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18

typedef struct LinuxBootParams {
    const uint8_t *kernel;       /* the whole bzImage file */
    size_t kernel_size;
    const uint8_t *initrd;       /* NULL for none */
    size_t initrd_size;
    const char *cmdline;         /* NULL means "" */
    const E820Table *e820;       /* NULL means e820_build_pc(ram_size) */
    uint64_t acpi_rsdp;          /* 0 if the kernel should search for it */
    bool entry64;                /* enter at startup_64 in long mode */
    /* The bzImage's payload unpacked on the host (bzimage_unpack): its
     * segments go to their linked physical addresses and the CPU enters the
     * kernel's own startup_64 in long mode (implies entry64). NULL: the
     * guest runs the bzImage's decompressor. */
    const Vmlinux *vmlinux;
    /* A VGA in 80x25 text mode (what a BIOS leaves): described in
     * screen_info so the kernel's vgacon takes the screen. */
    bool vga_text;
} LinuxBootParams;

/* True if the image has a Linux setup header ("HdrS" at 0x202). */
bool linux_is_bzimage(const uint8_t *k, size_t n);

/*
 * Load the kernel into `ram` (guest physical 0 onwards; only bytes below
 * pc_lowmem_size(ram_size) are touched) and set *regs to the entry state.
 * Everything is checked before anything is written: on failure returns
 * false, leaves RAM and *regs alone and sets *err to a one-line message
 * (static storage, valid until the next call).
 */
bool linux_boot_setup(uint8_t *ram, uint64_t ram_size,
                      const LinuxBootParams *p, X86Regs *regs,
                      const char **err);

#endif
