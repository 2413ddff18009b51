/*
 * Multiboot v1 direct boot (Multiboot Specification 0.6.96): load an ELF or
 * a.out-kludge kernel and its modules into guest RAM, build the multiboot
 * information structure, and enter in flat 32-bit protected mode.
 * Leaves out video mode setup (header flag 2 is accepted, no VBE info given).
 */
#ifndef MIMIC_HW_PC_MULTIBOOT_H
#define MIMIC_HW_PC_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/pc/e820.h"
#include "mimic/x86_state.h"

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH           8192   /* header lies in the first 8 KiB */
#define MULTIBOOT_MAX_MODULES      64

/*
 * The information area, in conventional memory below the EBDA; kernel
 * segments and modules may not overlap it:
 *   0x09000  GDT: null, null, code 0x10, data 0x18 (flat 4 GiB)
 *   0x09020  struct multiboot_info (EBX points here)
 *   then     module list, memory map, boot loader name, command line and
 *            module strings, up to MULTIBOOT_INFO_END
 * The boot stack (ESP) grows down from 0x09000.
 */
#define MULTIBOOT_INFO_BASE 0x9000u
#define MULTIBOOT_GDT_ADDR  0x9000u
#define MULTIBOOT_MBI_ADDR  0x9020u
#define MULTIBOOT_INFO_END  0x19000u
#define MULTIBOOT_CS 0x10
#define MULTIBOOT_DS 0x18

typedef struct MultibootModule {
    const uint8_t *data;
    size_t size;
    const char *cmdline;   /* module path plus its arguments, as given */
} MultibootModule;

/* True if a valid multiboot header (magic, 4-byte aligned, checksum) lies in
 * the first 8192 bytes of the image. */
bool multiboot_probe(const uint8_t *k, size_t n);

/*
 * Load `kernel` (ELF32, ELF64 loaded by physical address with a 32-bit
 * entry, or any image using the header's address fields, flags bit 16) into
 * `ram` (guest physical 0 onwards; only bytes below pc_lowmem_size(ram_size)
 * are touched), place modules page-aligned after the kernel, build the MBI
 * and set *regs to the entry state (EAX=0x2BADB002, EBX=MBI). cmdline NULL
 * means "". e820 NULL means e820_build_pc(ram_size). On failure returns
 * false, leaves *regs alone and sets *err to a one-line message (static
 * storage, valid until the next call); RAM may be partly written.
 */
bool multiboot_setup(uint8_t *ram, uint64_t ram_size,
                     const uint8_t *kernel, size_t n, const char *cmdline,
                     const MultibootModule *mods, int nmods,
                     const E820Table *e820, X86Regs *regs, const char **err);

#endif
