/*
 * isa-debug-exit: a write of value V to its port ends mimic with exit status
 * (V << 1) | 1, exactly as QEMU's device of the same name; test programs use
 * it to report their result. Reads return all ones.
 */
#include <stdlib.h>

#include "mimic/device.h"
#include "mimic/log.h"
#include "mimic/machine.h"

typedef struct DebugExit {
    Machine *machine;
} DebugExit;

static uint64_t debugexit_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque, (void)offset;
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void debugexit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    DebugExit *d = opaque;
    (void)offset, (void)size;
    machine_request_exit(d->machine, (int)(((value << 1) | 1) & 0xff));
}

static const MemoryRegionOps debugexit_ops = {
    .read = debugexit_read,
    .write = debugexit_write,
    .min_access = 1,
    .max_access = 4,
};

static void debugexit_create(Machine *m, const DeviceProps *p)
{
    uint64_t base = device_prop_u64(p, "iobase");
    uint64_t size = device_prop_u64(p, "iosize");
    if (size < 1 || size > 4)
        fatal("-device isa-debug-exit: iosize must be 1 to 4");
    if (base + size > 0x10000)
        fatal("-device isa-debug-exit: iobase 0x%llx is beyond the I/O space",
              (unsigned long long)base);
    DebugExit *d = calloc(1, sizeof(*d));
    if (!d)
        fatal("out of memory");
    d->machine = m;
    as_map_io(m->io, "isa-debug-exit", base, size, &debugexit_ops, d);
}

static const DeviceProp debugexit_props[] = {
    { "iobase", PROP_U64, "0x501", "I/O port base" },
    { "iosize", PROP_U64, "0x02", "number of ports" },
    { NULL },
};

static const DeviceType debugexit_type = {
    .name = "isa-debug-exit",
    .desc = "write V to exit with status (V<<1)|1 (tests)",
    .bus = "isa",
    .props = debugexit_props,
    .create = debugexit_create,
};
DEVICE_REGISTER(debugexit_type)
