/* Port 0x92 (System Control Port A, PIIX3 datasheet): A20 bit reads back,
 * a 0->1 edge of bit 0 requests a reset, other bits are reserved. */
#include "test.h"

#include "hw/misc/port92.h"
#include "mimic/mainloop.h"

static Machine *m;

static void setup(void)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1 };
    if (!m) {
        mainloop_init();
        machine_lock();
        m = machine_create(&type, &opts);
        port92_create(m);
    }
    machine_reset_devices(m);
    m->request = REQUEST_NONE;
}

TEST_CASE(a20_bit_reads_back_and_reset_state)
{
    setup();
    CHECK_EQ(as_ld(m->io, 0x92, 1), 0x02);          /* A20 enabled after reset */
    as_st(m->io, 0x92, 1, 0x00);
    CHECK_EQ(as_ld(m->io, 0x92, 1), 0x00);
    as_st(m->io, 0x92, 1, 0xF2);                    /* reserved bits dropped */
    CHECK_EQ(as_ld(m->io, 0x92, 1), 0x02);
    CHECK_EQ(m->request, REQUEST_NONE);
}

TEST_CASE(fast_reset_on_rising_edge)
{
    setup();
    as_st(m->io, 0x92, 1, 0x03);
    CHECK_EQ(m->request, REQUEST_RESET);
    m->request = REQUEST_NONE;
    as_st(m->io, 0x92, 1, 0x03);                    /* still set: no new pulse */
    CHECK_EQ(m->request, REQUEST_NONE);
    as_st(m->io, 0x92, 1, 0x02);
    as_st(m->io, 0x92, 1, 0x03);
    CHECK_EQ(m->request, REQUEST_RESET);
}

int main(void)
{
    RUN(a20_bit_reads_back_and_reset_state);
    RUN(fast_reset_on_rising_edge);
    TEST_EXIT();
}
