/*
 * The PC physical memory map as firmware reports it (INT 15h AX=E820h, ACPI
 * spec "System Address Map Interfaces"), shared by the BIOS handoff, the
 * Linux zero page and the multiboot mmap, and the memory types firmware
 * gives it in the MTRRs (SDM vol. 3 11.11). Leaves out E820_PMEM and
 * extended attributes (ACPI 3.0 20-byte entries only).
 */
#ifndef MIMIC_HW_PC_E820_H
#define MIMIC_HW_PC_E820_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/x86_state.h"

#define E820_MAX 128             /* Linux's zero page holds 128 entries */

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3          /* ACPI tables, reclaimable after boot */
#define E820_NVS      4

/* Guest RAM below 4 GiB stops here when it does not all fit: the PCI hole
 * (MMIO BARs, IOAPIC, LAPIC, BIOS flash) fills 0xC0000000..4 GiB. */
#define PC_LOWMEM_MAX   0xC0000000ull
#define PC_HIGHMEM_BASE 0x100000000ull

#define PC_EBDA_BASE    0x9FC00ull   /* 1 KiB extended BIOS data area */
#define PC_LOWRAM_END   0xA0000ull   /* VGA window starts here */
#define PC_BIOS_BASE    0xF0000ull   /* system BIOS shadow */
#define PC_HIGHRAM_BASE 0x100000ull  /* "extended" memory from 1 MiB */
#define PC_IOAPIC_BASE  0xFEC00000ull
#define PC_LAPIC_BASE   0xFEE00000ull
#define PC_BIOS_ROM_BASE 0xFFFC0000ull /* 256 KiB BIOS image below 4 GiB */
/* MACHINE_ACCEL_PAGES_SIZE (16 KiB) mapped by nothing and reserved in every
 * map, under every accelerator, for KVM's real-mode TSS and identity map
 * (Machine.accel_pages_base). It ends where the largest firmware image may
 * start (pc_firmware.h checks) and lies above the LAPIC page and below the
 * PCI window's end (the IOAPIC), so no firmware, device or BAR lands on it. */
#define PC_ACCEL_PAGES_BASE 0xFEFFC000ull

typedef struct E820Table {
    int count;
    struct { uint64_t addr, size; uint32_t type; } entry[E820_MAX];
} E820Table;

/* Bytes of RAM the pc machine puts below 4 GiB / at and above 4 GiB. */
uint64_t pc_lowmem_size(uint64_t ram_size);
uint64_t pc_highmem_size(uint64_t ram_size);

/* Standard PC map for ram_size bytes of RAM, sorted by address. */
void e820_build_pc(E820Table *t, uint64_t ram_size);

/* Mark [addr, addr+size) as `type`, carving it out of whatever entries it
 * overlaps (so ACPI tables placed inside RAM become a separate range).
 * Keeps the table sorted. False if the table would exceed E820_MAX. */
bool e820_add(E820Table *t, uint64_t addr, uint64_t size, uint32_t type);

/* True if [addr, addr+size) is entirely usable RAM (type 1, possibly spread
 * over adjacent entries). A zero size is RAM iff addr is. */
bool e820_is_ram(const E820Table *t, uint64_t addr, uint64_t size);

/* Multiboot mem_lower / mem_upper in KiB (multiboot 0.6.96 section 3.3):
 * RAM contiguous from 0 (at most 640 KiB) and RAM contiguous from 1 MiB up to
 * the first hole. */
void e820_multiboot_mem(const E820Table *t, uint32_t *mem_lower_kib,
                        uint32_t *mem_upper_kib);

/* Variable-range MTRRs every vCPU mimic builds has (MTRRcap.VCNT: tcg in
 * cpu/x86/cpu.h, KVM's KVM_NR_VAR_MTRR); direct boot clears them all. */
#define PC_MTRR_VAR_COUNT   8
/* At most this many of them make the PCI hole UC, so that an OS still has
 * some for its own use (write-combining without PAT). */
#define PC_MTRR_HOLE_RANGES 6

/*
 * Program the MTRRs in r's MSR list the way PC firmware does (SeaBIOS and
 * real BIOSes alike): MTRRs and fixed ranges enabled, default type WB; below
 * 1 MiB WB except the VGA window 0xA0000-0xBFFFF (UC); the PCI hole from
 * `lowmem` (end of RAM below 4 GiB, where pc.c's MMIO window starts) to
 * 4 GiB UC. A variable range covers an aligned power of two, so the hole
 * takes one range per set bit of its size, largest (highest) first; if that
 * is more than PC_MTRR_HOLE_RANGES the lowest, smallest part of the hole
 * stays WB (it holds no RAM, and an OS maps MMIO there UC through PAT).
 * False if r's list has no room for the PC_MTRR_MSRS entries.
 */
#define PC_MTRR_MSRS (1 + 11 + 2 * PC_MTRR_VAR_COUNT)
_Static_assert(PC_MTRR_MSRS <= X86_REGS_MAX_MSRS, "the MTRRs must fit an empty MSR list");
_Static_assert(PC_MTRR_HOLE_RANGES <= PC_MTRR_VAR_COUNT, "more hole ranges than MTRRs");
bool pc_mtrr_setup(X86Regs *r, uint64_t lowmem);

#endif
