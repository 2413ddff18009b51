/*
 * Port 0x92, System Control Port A (PS/2 and every PC chipset since; Intel
 * PIIX3 datasheet, "Port 92h"): bit 1 is the fast A20 gate, bit 0 a
 * fast-reset pulse. Firmware (SeaBIOS, ours) and Linux's A20 code use it.
 * Leaves out: A20 masking itself — the address line is always enabled, as
 * on the chipsets where the gate is a no-op; the bit reads back as written.
 */
#include <stdlib.h>

#include "hw/misc/port92.h"
#include "mimic/log.h"

#define PORT92_RESET 0x01
#define PORT92_A20   0x02

typedef struct Port92 {
    Machine *m;
    uint8_t value;
} Port92;

static uint64_t port92_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset, (void)size;
    return ((Port92 *)opaque)->value;
}

static void port92_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Port92 *p = opaque;
    (void)offset, (void)size;
    /* The reset pulse is a 0->1 transition of bit 0; the bit reads back. */
    bool reset = (value & PORT92_RESET) && !(p->value & PORT92_RESET);
    p->value = (uint8_t)(value & (PORT92_RESET | PORT92_A20));
    if (reset)
        machine_request_reset(p->m);
}

static void port92_reset(void *opaque)
{
    ((Port92 *)opaque)->value = PORT92_A20;   /* A20 on, as firmware leaves it */
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read, .write = port92_write, .min_access = 1, .max_access = 1,
};

void port92_create(Machine *m)
{
    Port92 *p = calloc(1, sizeof(*p));
    if (!p)
        fatal("out of memory");
    p->m = m;
    port92_reset(p);
    as_map_io(m->io, "port92", 0x92, 1, &port92_ops, p);
    machine_add_reset(m, port92_reset, p);
}
