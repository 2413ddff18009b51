/*
 * isa-debugcon: the Bochs/QEMU debug console port. Every byte written to
 * the port goes to a character backend; a read returns the readback value
 * (0xE9), which is how SeaBIOS and others detect the port before logging
 * to it (SeaBIOS uses port 0x402, `-debugcon` and Bochs port 0xE9).
 * Leaves out: input.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mimic/chardev.h"
#include "mimic/device.h"
#include "mimic/log.h"
#include "mimic/machine.h"

typedef struct DebugCon {
    Chardev *chr;
    uint8_t readback;
} DebugCon;

static uint64_t debugcon_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset, (void)size;
    return ((DebugCon *)opaque)->readback;
}

static void debugcon_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    DebugCon *d = opaque;
    uint8_t byte = (uint8_t)value;
    (void)offset, (void)size;
    chardev_write(d->chr, &byte, 1);
}

static const MemoryRegionOps debugcon_ops = {
    .read = debugcon_read, .write = debugcon_write, .min_access = 1, .max_access = 1,
};

static void debugcon_create(Machine *m, const DeviceProps *p)
{
    uint64_t base = device_prop_u64(p, "iobase");
    uint64_t readback = device_prop_u64(p, "readback");
    const char *spec = device_prop_str(p, "chardev");
    if (base > 0xFFFF)
        fatal("-device isa-debugcon: iobase 0x%llx is beyond the I/O space",
              (unsigned long long)base);
    if (readback > 0xFF)
        fatal("-device isa-debugcon: readback must be a byte");
    DebugCon *d = calloc(1, sizeof(*d));
    if (!d)
        fatal("out of memory");
    d->readback = (uint8_t)readback;
    /* The serial console may own stdio (input, mux); this port only
     * writes, so it shares stdout without claiming the terminal. */
    if (!strcmp(spec, "stdio")) {
        d->chr = chardev_new_fd(-1, STDOUT_FILENO, false);
    } else {
        const char *err = NULL;
        d->chr = chardev_new(spec, &err);
        if (!d->chr)
            fatal("-device isa-debugcon,chardev=%s: %s", spec, err ? err : "cannot open");
    }
    as_map_io(m->io, "isa-debugcon", base, 1, &debugcon_ops, d);
}

static const DeviceProp debugcon_props[] = {
    { "iobase", PROP_U64, "0xe9", "I/O port (SeaBIOS logs to 0x402)" },
    { "chardev", PROP_STRING, "stdio", "where the bytes go: stdio, file:PATH, null" },
    { "readback", PROP_U64, "0xe9", "value a read of the port returns" },
    { 0 },
};

static const DeviceType debugcon_type = {
    .name = "isa-debugcon",
    .desc = "debug console port: bytes written go to a chardev (firmware logs)",
    .bus = "isa",
    .props = debugcon_props,
    .create = debugcon_create,
};
DEVICE_REGISTER(debugcon_type)
