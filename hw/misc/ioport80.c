/*
 * Port 0x80, the POST diagnostic port: firmware and Linux write to it as an
 * I/O delay. Writes are dropped; the last value is kept and read back, as
 * on chipsets that latch it.
 */
#include <stdlib.h>

#include "hw/misc/ioport80.h"
#include "mimic/log.h"

typedef struct Port80 {
    uint8_t last;
} Port80;

static uint64_t port80_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset, (void)size;
    return ((Port80 *)opaque)->last;
}

static void port80_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)offset, (void)size;
    ((Port80 *)opaque)->last = (uint8_t)value;
}

static const MemoryRegionOps port80_ops = {
    .read = port80_read, .write = port80_write, .min_access = 1, .max_access = 1,
};

void port80_create(Machine *m)
{
    Port80 *p = calloc(1, sizeof(*p));
    if (!p)
        fatal("out of memory");
    as_map_io(m->io, "port80", 0x80, 1, &port80_ops, p);
}
