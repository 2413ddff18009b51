/*
 * The E820 memory map as a sorted list of non-overlapping ranges (ACPI 6.4
 * section 15, "System Address Map Interfaces"). Pure logic, unit-tested on
 * the host (tests/unit/bios/e820_test.c).
 */
#ifndef BIOS_E820_H
#define BIOS_E820_H

#include "types.h"

#define E820_MAX 32
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_HOLE 0          /* e820_add with this type removes the range */

struct e820_entry { u64 start, size; u32 type; };
struct e820_table { int n; struct e820_entry e[E820_MAX]; };

/* Set [start, start+size) to type, splitting and replacing what overlaps and
 * merging neighbours of the same type. Returns -1 (table unchanged) if the
 * result would not fit in E820_MAX entries. */
int e820_add(struct e820_table *t, u64 start, u64 size, u32 type);
/* End of the RAM range that contains addr, or 0 if addr is not RAM. */
u64 e820_ram_end(const struct e820_table *t, u64 addr);

#endif
