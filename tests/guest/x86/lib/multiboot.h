/* Multiboot v1 information structure as handed over in EBX.
 * Reference: Multiboot Specification 0.6.96, section 3.3. Only the fields the
 * tests read are named; the rest are kept as padding. */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u
#define MBI_FLAG_MEM (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MMAP (1u << 6)

typedef struct __attribute__((packed)) MultibootInfo {
    uint32_t flags;
    uint32_t mem_lower;   /* KiB below 1 MiB */
    uint32_t mem_upper;   /* KiB from 1 MiB to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
} MultibootInfo;

typedef struct __attribute__((packed)) MultibootMmapEntry {
    uint32_t size;        /* bytes of this entry after this field */
    uint64_t addr;
    uint64_t len;
    uint32_t type;        /* 1 = usable RAM */
} MultibootMmapEntry;

#endif
