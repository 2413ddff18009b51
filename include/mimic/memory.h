/*
 * Guest address spaces: a sorted list of regions (RAM, ROM, MMIO, alias),
 * flattened into non-overlapping ranges for lookup. The x86 I/O-port space is
 * a second AddressSpace of the same kind. Devices only ever see the
 * read/write callbacks of MemoryRegionOps; accelerators see the flat view.
 */
#ifndef MIMIC_MEMORY_H
#define MIMIC_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct AddressSpace AddressSpace;
typedef struct MemoryRegion MemoryRegion;

/* Callbacks of an MMIO or port region. `offset` is relative to the region's
 * base. Accesses outside [min_access, max_access] bytes are split (too wide)
 * or widened with read-modify-write (too narrow) by the dispatcher, so a
 * device only handles the sizes it declares. 0 means 1 (min) / 8 (max). */
typedef struct MemoryRegionOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    unsigned min_access;
    unsigned max_access;
} MemoryRegionOps;

typedef enum MemoryRegionKind {
    MR_RAM,
    MR_ROM,     /* host-backed, guest writes ignored (logged as guest error) */
    MR_MMIO,
    MR_ALIAS,   /* window onto [alias_offset, +size) of another region */
} MemoryRegionKind;

struct MemoryRegion {
    const char *name;
    MemoryRegionKind kind;
    uint64_t base;
    uint64_t size;
    int priority;               /* higher wins where regions overlap */
    uint8_t *host;              /* RAM / ROM backing */
    const MemoryRegionOps *ops; /* MMIO */
    void *opaque;               /* MMIO */
    MemoryRegion *alias;        /* ALIAS target */
    uint64_t alias_offset;
    bool enabled;
    AddressSpace *as;
};

/* One range of the flattened view: [start, end) served by `mr` at
 * region offset `offset` (aliases already resolved). */
typedef struct FlatRange {
    uint64_t start, end;
    MemoryRegion *mr;
    uint64_t offset;
} FlatRange;

/* Called after every change of the flat view (KVM slots, TCG TLB flush). */
typedef void (*AddressSpaceListener)(void *opaque, AddressSpace *as);

AddressSpace *address_space_new(const char *name);
void address_space_free(AddressSpace *as);

MemoryRegion *as_map_ram(AddressSpace *as, const char *name, uint64_t base,
                         uint64_t size, void *host);
MemoryRegion *as_map_rom(AddressSpace *as, const char *name, uint64_t base,
                         uint64_t size, void *host);
MemoryRegion *as_map_io(AddressSpace *as, const char *name, uint64_t base,
                        uint64_t size, const MemoryRegionOps *ops, void *opaque);
MemoryRegion *as_map_alias(AddressSpace *as, const char *name, uint64_t base,
                           uint64_t size, MemoryRegion *target, uint64_t offset);
void memory_region_set_priority(MemoryRegion *mr, int priority);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_move(MemoryRegion *mr, uint64_t new_base);
void memory_region_unmap(MemoryRegion *mr);   /* removes and frees */

void address_space_add_listener(AddressSpace *as, AddressSpaceListener fn, void *opaque);

/* RAM written by as_write_buf (device DMA, firmware interfaces: anything
 * but a CPU) is reported to this observer, so an accelerator can drop what
 * it derived from those bytes (translated code). One per address space;
 * called on the writer's thread, after the bytes are in place. */
typedef void (*AddressSpaceRamWriteFn)(void *opaque, uint64_t addr, uint64_t len);
void address_space_set_ram_write_observer(AddressSpace *as, AddressSpaceRamWriteFn fn,
                                          void *opaque);

/* The flat view; valid until the next map/unmap/enable/move. */
const FlatRange *address_space_flat(AddressSpace *as, size_t *count);
/* The range containing addr, or NULL when unassigned. */
const FlatRange *address_space_lookup(AddressSpace *as, uint64_t addr);
/* Host pointer for a RAM (or ROM when !write) address, valid for at least
 * *avail bytes (may be NULL). NULL if not plain memory. */
uint8_t *address_space_host_ptr(AddressSpace *as, uint64_t addr, bool write, uint64_t *avail);

/* Dispatch a single access of 1, 2, 4 or 8 bytes (little-endian value).
 * Unassigned reads return all ones; unassigned writes are dropped. Both are
 * logged under -d guest_errors / unimp. Returns false when unassigned. */
bool as_read(AddressSpace *as, uint64_t addr, unsigned size, uint64_t *value);
bool as_write(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value);
/* Convenience wrappers returning the value (all ones if unassigned). */
uint64_t as_ld(AddressSpace *as, uint64_t addr, unsigned size);
void as_st(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value);
/* Byte-buffer copies (loaders, DMA); any region kind. */
void as_read_buf(AddressSpace *as, uint64_t addr, void *buf, size_t len);
void as_write_buf(AddressSpace *as, uint64_t addr, const void *buf, size_t len);

#endif
