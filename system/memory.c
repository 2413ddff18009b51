/*
 * Address spaces: regions kept in a list, flattened after every change into
 * sorted non-overlapping ranges (priority decides overlaps, aliases are
 * resolved to their target), then looked up by binary search.
 * Unassigned accesses read as all ones and are logged, never fatal.
 */
#include <stdlib.h>
#include <string.h>

#include "mimic/log.h"
#include "mimic/memory.h"

#define AS_MAX_LISTENERS 8

typedef struct Listener {
    AddressSpaceListener fn;
    void *opaque;
} Listener;

struct AddressSpace {
    const char *name;
    MemoryRegion **regions;
    size_t nregions, cap;
    FlatRange *flat;
    size_t nflat;
    Listener listeners[AS_MAX_LISTENERS];
    int nlisteners;
    AddressSpaceRamWriteFn ram_written;
    void *ram_written_opaque;
};

void address_space_set_ram_write_observer(AddressSpace *as, AddressSpaceRamWriteFn fn,
                                          void *opaque)
{
    as->ram_written = fn;
    as->ram_written_opaque = opaque;
}

AddressSpace *address_space_new(const char *name)
{
    AddressSpace *as = calloc(1, sizeof(*as));
    if (!as)
        fatal("out of memory");
    as->name = name;
    return as;
}

void address_space_free(AddressSpace *as)
{
    if (!as)
        return;
    for (size_t i = 0; i < as->nregions; i++)
        free(as->regions[i]);
    free(as->regions);
    free(as->flat);
    free(as);
}

/* Follow an alias chain to the backing region, accumulating offsets. */
static MemoryRegion *resolve_alias(MemoryRegion *mr, uint64_t *offset)
{
    int depth = 0;
    while (mr->kind == MR_ALIAS) {
        if (++depth > 8)
            fatal("memory: alias chain too deep at %s", mr->name);
        *offset += mr->alias_offset;
        mr = mr->alias;
    }
    return mr;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Regions are few (tens), so a quadratic sweep over boundaries is fine. */
static void address_space_rebuild(AddressSpace *as)
{
    size_t nb = 0;
    uint64_t *bounds = malloc(sizeof(uint64_t) * (2 * as->nregions + 1));
    if (!bounds)
        fatal("out of memory");
    for (size_t i = 0; i < as->nregions; i++) {
        MemoryRegion *mr = as->regions[i];
        if (!mr->enabled || mr->size == 0)
            continue;
        bounds[nb++] = mr->base;
        bounds[nb++] = mr->base + mr->size;   /* may wrap to 0 at 2^64: regions stay below */
    }
    qsort(bounds, nb, sizeof(uint64_t), cmp_u64);

    free(as->flat);
    as->flat = calloc(nb ? nb : 1, sizeof(FlatRange));
    if (!as->flat)
        fatal("out of memory");
    as->nflat = 0;
    for (size_t b = 0; b + 1 < nb; b++) {
        uint64_t start = bounds[b], end = bounds[b + 1];
        if (start == end)
            continue;
        MemoryRegion *best = NULL;
        for (size_t i = 0; i < as->nregions; i++) {
            MemoryRegion *mr = as->regions[i];
            if (!mr->enabled || start < mr->base || end > mr->base + mr->size)
                continue;
            if (!best || mr->priority >= best->priority)
                best = mr;
        }
        if (!best)
            continue;
        uint64_t offset = start - best->base;
        MemoryRegion *target = resolve_alias(best, &offset);
        FlatRange *prev = as->nflat ? &as->flat[as->nflat - 1] : NULL;
        if (prev && prev->end == start && prev->mr == target &&
            prev->offset + (prev->end - prev->start) == offset) {
            prev->end = end;
            continue;
        }
        as->flat[as->nflat++] = (FlatRange){ start, end, target, offset };
    }
    free(bounds);
    for (int i = 0; i < as->nlisteners; i++)
        as->listeners[i].fn(as->listeners[i].opaque, as);
}

static MemoryRegion *as_add(AddressSpace *as, const char *name, MemoryRegionKind kind,
                            uint64_t base, uint64_t size)
{
    if (size == 0 || base + size < base)
        fatal("memory: region %s has a bad range 0x%llx+0x%llx", name,
              (unsigned long long)base, (unsigned long long)size);
    MemoryRegion *mr = calloc(1, sizeof(*mr));
    if (!mr)
        fatal("out of memory");
    mr->name = name;
    mr->kind = kind;
    mr->base = base;
    mr->size = size;
    mr->enabled = true;
    mr->as = as;
    if (as->nregions == as->cap) {
        as->cap = as->cap ? as->cap * 2 : 16;
        as->regions = realloc(as->regions, as->cap * sizeof(*as->regions));
        if (!as->regions)
            fatal("out of memory");
    }
    as->regions[as->nregions++] = mr;
    return mr;
}

MemoryRegion *as_map_ram(AddressSpace *as, const char *name, uint64_t base,
                         uint64_t size, void *host)
{
    MemoryRegion *mr = as_add(as, name, MR_RAM, base, size);
    mr->host = host;
    address_space_rebuild(as);
    return mr;
}

MemoryRegion *as_map_rom(AddressSpace *as, const char *name, uint64_t base,
                         uint64_t size, void *host)
{
    MemoryRegion *mr = as_add(as, name, MR_ROM, base, size);
    mr->host = host;
    address_space_rebuild(as);
    return mr;
}

MemoryRegion *as_map_io(AddressSpace *as, const char *name, uint64_t base,
                        uint64_t size, const MemoryRegionOps *ops, void *opaque)
{
    MemoryRegion *mr = as_add(as, name, MR_MMIO, base, size);
    mr->ops = ops;
    mr->opaque = opaque;
    address_space_rebuild(as);
    return mr;
}

MemoryRegion *as_map_alias(AddressSpace *as, const char *name, uint64_t base,
                           uint64_t size, MemoryRegion *target, uint64_t offset)
{
    if (offset + size > target->size)
        fatal("memory: alias %s exceeds its target %s", name, target->name);
    MemoryRegion *mr = as_add(as, name, MR_ALIAS, base, size);
    mr->alias = target;
    mr->alias_offset = offset;
    address_space_rebuild(as);
    return mr;
}

void memory_region_set_priority(MemoryRegion *mr, int priority)
{
    mr->priority = priority;
    address_space_rebuild(mr->as);
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled == enabled)
        return;
    mr->enabled = enabled;
    address_space_rebuild(mr->as);
}

void memory_region_move(MemoryRegion *mr, uint64_t new_base)
{
    if (mr->base == new_base)
        return;
    mr->base = new_base;
    address_space_rebuild(mr->as);
}

void memory_region_unmap(MemoryRegion *mr)
{
    AddressSpace *as = mr->as;
    for (size_t i = 0; i < as->nregions; i++) {
        if (as->regions[i] == mr) {
            memmove(&as->regions[i], &as->regions[i + 1],
                    (as->nregions - i - 1) * sizeof(*as->regions));
            as->nregions--;
            break;
        }
    }
    free(mr);
    address_space_rebuild(as);
}

void address_space_add_listener(AddressSpace *as, AddressSpaceListener fn, void *opaque)
{
    if (as->nlisteners == AS_MAX_LISTENERS)
        fatal("memory: too many listeners on %s", as->name);
    as->listeners[as->nlisteners++] = (Listener){ fn, opaque };
}

const FlatRange *address_space_flat(AddressSpace *as, size_t *count)
{
    *count = as->nflat;
    return as->flat;
}

const FlatRange *address_space_lookup(AddressSpace *as, uint64_t addr)
{
    size_t lo = 0, hi = as->nflat;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const FlatRange *fr = &as->flat[mid];
        if (addr < fr->start)
            hi = mid;
        else if (addr >= fr->end)
            lo = mid + 1;
        else
            return fr;
    }
    return NULL;
}

uint8_t *address_space_host_ptr(AddressSpace *as, uint64_t addr, bool write, uint64_t *avail)
{
    const FlatRange *fr = address_space_lookup(as, addr);
    if (!fr || fr->mr->kind == MR_MMIO || (write && fr->mr->kind == MR_ROM))
        return NULL;
    if (avail)
        *avail = fr->end - addr;
    return fr->mr->host + fr->offset + (addr - fr->start);
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static uint64_t mmio_read(const MemoryRegion *mr, uint64_t offset, unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned min = ops->min_access ? ops->min_access : 1;
    unsigned max = ops->max_access ? ops->max_access : 8;
    if (!ops->read)
        return size_mask(size);
    if (size > max) {
        uint64_t v = 0;
        for (unsigned done = 0; done < size; done += max)
            v |= (mmio_read(mr, offset + done, max) & size_mask(max)) << (done * 8);
        return v;
    }
    if (size < min) {
        uint64_t aligned = offset & ~(uint64_t)(min - 1);
        uint64_t v = ops->read(mr->opaque, aligned, min);
        return (v >> ((offset - aligned) * 8)) & size_mask(size);
    }
    return ops->read(mr->opaque, offset, size) & size_mask(size);
}

static void mmio_write(const MemoryRegion *mr, uint64_t offset, uint64_t value, unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned min = ops->min_access ? ops->min_access : 1;
    unsigned max = ops->max_access ? ops->max_access : 8;
    if (!ops->write)
        return;
    if (size > max) {
        for (unsigned done = 0; done < size; done += max)
            mmio_write(mr, offset + done, value >> (done * 8), max);
        return;
    }
    if (size < min) {
        uint64_t aligned = offset & ~(uint64_t)(min - 1);
        unsigned shift = (offset - aligned) * 8;
        uint64_t old = ops->read ? ops->read(mr->opaque, aligned, min) & size_mask(min) : 0;
        uint64_t mask = size_mask(size) << shift;
        ops->write(mr->opaque, aligned, (old & ~mask) | ((value << shift) & mask), min);
        return;
    }
    ops->write(mr->opaque, offset, value & size_mask(size), size);
}

static bool access_one(AddressSpace *as, uint64_t addr, unsigned size, uint64_t *value, bool write)
{
    const FlatRange *fr = address_space_lookup(as, addr);
    if (fr && addr + size > fr->end) {
        /* Straddles two ranges: do it byte by byte. */
        bool ok = true;
        uint64_t v = write ? *value : 0;
        for (unsigned i = 0; i < size; i++) {
            uint64_t b = (v >> (i * 8)) & 0xff;
            ok &= access_one(as, addr + i, 1, &b, write);
            if (!write)
                v |= (b & 0xff) << (i * 8);
        }
        if (!write)
            *value = v;
        return ok;
    }
    if (!fr) {
        if (write)
            log_mask_printf(LOG_UNIMP, "%s: unassigned write 0x%llx size %u value 0x%llx\n",
                            as->name, (unsigned long long)addr, size,
                            (unsigned long long)*value);
        else {
            log_mask_printf(LOG_UNIMP, "%s: unassigned read 0x%llx size %u\n", as->name,
                            (unsigned long long)addr, size);
            *value = size_mask(size);
        }
        return false;
    }
    MemoryRegion *mr = fr->mr;
    uint64_t offset = fr->offset + (addr - fr->start);
    switch (mr->kind) {
    case MR_RAM:
    case MR_ROM:
        if (write) {
            if (mr->kind == MR_ROM) {
                guest_error("%s: write to ROM %s at 0x%llx ignored\n", as->name, mr->name,
                            (unsigned long long)addr);
                return true;
            }
            memcpy(mr->host + offset, value, size);   /* little-endian host */
        } else {
            *value = 0;
            memcpy(value, mr->host + offset, size);
        }
        return true;
    case MR_MMIO:
        if (write)
            mmio_write(mr, offset, *value, size);
        else
            *value = mmio_read(mr, offset, size);
        return true;
    case MR_ALIAS:
        break;   /* resolved by the flat view */
    }
    return false;
}

bool as_read(AddressSpace *as, uint64_t addr, unsigned size, uint64_t *value)
{
    return access_one(as, addr, size, value, false);
}

bool as_write(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value)
{
    return access_one(as, addr, size, &value, true);
}

uint64_t as_ld(AddressSpace *as, uint64_t addr, unsigned size)
{
    uint64_t v;
    as_read(as, addr, size, &v);
    return v;
}

void as_st(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value)
{
    as_write(as, addr, size, value);
}

void as_read_buf(AddressSpace *as, uint64_t addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len) {
        uint64_t avail;
        uint8_t *p = address_space_host_ptr(as, addr, false, &avail);
        if (p) {
            size_t n = avail < len ? avail : len;
            memcpy(out, p, n);
            out += n, addr += n, len -= n;
        } else {
            *out++ = (uint8_t)as_ld(as, addr++, 1);
            len--;
        }
    }
}

void as_write_buf(AddressSpace *as, uint64_t addr, const void *buf, size_t len)
{
    const uint8_t *in = buf;
    while (len) {
        uint64_t avail;
        uint8_t *p = address_space_host_ptr(as, addr, true, &avail);
        if (p) {
            size_t n = avail < len ? avail : len;
            memcpy(p, in, n);
            if (as->ram_written)
                as->ram_written(as->ram_written_opaque, addr, n);
            in += n, addr += n, len -= n;
        } else {
            as_st(as, addr++, 1, *in++);
            len--;
        }
    }
}
