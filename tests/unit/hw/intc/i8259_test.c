/*
 * i8259 PIC pair driven through its ports like a guest would (Linux's init
 * sequence), checked against the 8259A datasheet: vectors, masking, edge vs
 * level, priority and rotation, cascade, spurious IR7/IR15, OCW3 reads, poll,
 * AEOI, special mask mode and the PIIX ELCR.
 */
#include "test.h"

#include "hw/intc/i8259.h"
#include "mimic/machine.h"
#include "mimic/memory.h"

static Machine *m;
static PicState *pic;
static int intr_level;
static int intr_rises;

static void intr_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !intr_level)
        intr_rises++;
    intr_level = level;
}

static void outb(uint16_t port, uint8_t v) { as_write(m->io, port, 1, v); }
static uint8_t inb(uint16_t port) { return (uint8_t)as_ld(m->io, port, 1); }
static void set_irq(int irq, int level) { irq_set(i8259_input(pic, irq), level); }

static uint8_t read_isr(uint16_t cmd) { outb(cmd, 0x0B); return inb(cmd); }
static uint8_t read_irr(uint16_t cmd) { outb(cmd, 0x0A); return inb(cmd); }

/* One machine for all cases: each case starts from a machine reset with
 * all lines low, then programs the PIC like Linux's init_8259A() and
 * unmasks everything. */
static void setup_icw4(uint8_t icw4)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1 };
    if (!m) {
        m = machine_create(&type, &opts);
        pic = i8259_create(m, irq_line_new(intr_handler, NULL, 0));
    }
    for (int i = 0; i < I8259_NUM_IRQS; i++)
        set_irq(i, 0);
    machine_reset_devices(m);
    intr_level = 0;
    intr_rises = 0;
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    outb(0x20, 0x11);   /* ICW1: edge, cascade, ICW4 follows */
    outb(0x21, 0x20);   /* ICW2: vectors 0x20.. */
    outb(0x21, 0x04);   /* ICW3: slave on IR2 */
    outb(0x21, icw4);   /* ICW4: x86 mode */
    outb(0xA0, 0x11);
    outb(0xA1, 0x28);
    outb(0xA1, 0x02);   /* slave ID 2 */
    outb(0xA1, icw4);
    outb(0x21, 0x00);
    outb(0xA1, 0x00);
}
static void setup(void) { setup_icw4(0x01); }

TEST_CASE(init_vectors_and_eoi)
{
    setup();
    CHECK_EQ(intr_level, 0);
    set_irq(0, 1);
    CHECK_EQ(intr_level, 1);
    CHECK(i8259_output(pic));
    CHECK_EQ(read_irr(0x20), 0x01);
    CHECK_EQ(i8259_acknowledge(pic), 0x20);
    CHECK_EQ(intr_level, 0);
    CHECK_EQ(read_isr(0x20), 0x01);
    CHECK_EQ(read_irr(0x20), 0x00);
    outb(0x20, 0x20);   /* non-specific EOI */
    CHECK_EQ(read_isr(0x20), 0x00);
    set_irq(0, 0);
    set_irq(4, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x24);
}

TEST_CASE(ocw3_read_select_sticks)
{
    setup();
    set_irq(3, 1);
    i8259_acknowledge(pic);
    set_irq(4, 1);
    outb(0x20, 0x0B);
    CHECK_EQ(inb(0x20), 0x08);   /* ISR */
    CHECK_EQ(inb(0x20), 0x08);   /* still ISR: the selection persists */
    outb(0x20, 0x0A);
    CHECK_EQ(inb(0x20), 0x10);   /* IRR */
    outb(0x20, 0x08);            /* OCW3 without RR leaves the selection */
    CHECK_EQ(inb(0x20), 0x10);
    CHECK_EQ(inb(0x21), 0x00);   /* data port reads IMR */
}

TEST_CASE(mask_holds_request)
{
    setup();
    outb(0x21, 0x01);
    CHECK_EQ(inb(0x21), 0x01);
    set_irq(0, 1);
    CHECK_EQ(intr_level, 0);
    CHECK_EQ(read_irr(0x20), 0x01);   /* IRR latches even when masked */
    outb(0x21, 0x00);
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x20);
}

TEST_CASE(edge_needs_new_rising_edge)
{
    setup();
    set_irq(1, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x21);
    outb(0x20, 0x20);
    CHECK_EQ(intr_level, 0);   /* line still high, but no new edge */
    set_irq(1, 0);
    CHECK_EQ(intr_level, 0);
    set_irq(1, 1);
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(intr_rises, 2);
    CHECK_EQ(i8259_acknowledge(pic), 0x21);
}

TEST_CASE(level_line_reasserts_after_eoi)
{
    setup();
    outb(0x4D1, 0x08);   /* IRQ 11 level-triggered */
    set_irq(11, 1);
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x2B);
    CHECK_EQ(intr_level, 0);
    outb(0xA0, 0x20);
    outb(0x20, 0x20);
    CHECK_EQ(intr_level, 1);   /* still asserted: interrupts again */
    CHECK_EQ(i8259_acknowledge(pic), 0x2B);
    set_irq(11, 0);
    outb(0xA0, 0x20);
    outb(0x20, 0x20);
    CHECK_EQ(intr_level, 0);
    CHECK_EQ(read_irr(0xA0), 0x00);
}

TEST_CASE(icw1_ltim_makes_all_level)
{
    setup();
    outb(0x20, 0x19);   /* ICW1 with LTIM */
    outb(0x21, 0x20);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    set_irq(5, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x25);
    outb(0x20, 0x20);
    CHECK_EQ(intr_level, 1);
    set_irq(5, 0);
    CHECK_EQ(intr_level, 0);
}

TEST_CASE(level_drop_before_inta_is_spurious_ir7)
{
    setup();
    outb(0x4D0, 0x20);   /* IRQ 5 level */
    set_irq(5, 1);
    CHECK_EQ(intr_level, 1);
    set_irq(5, 0);
    CHECK_EQ(intr_level, 0);
    CHECK_EQ(i8259_acknowledge(pic), 0x27);
    CHECK_EQ(read_isr(0x20), 0x00);   /* spurious IR7 sets no ISR bit */
}

TEST_CASE(masked_before_inta_is_spurious_ir7)
{
    setup();
    set_irq(3, 1);
    outb(0x21, 0x08);
    CHECK_EQ(i8259_acknowledge(pic), 0x27);
    CHECK_EQ(read_isr(0x20), 0x00);
}

TEST_CASE(spurious_ir15_sets_master_isr2)
{
    setup();
    outb(0x4D1, 0x04);   /* IRQ 10 level */
    set_irq(10, 1);
    CHECK_EQ(intr_level, 1);
    set_irq(10, 0);
    /* The master latched the slave's edge on IR2 and still requests. */
    CHECK_EQ(i8259_acknowledge(pic), 0x2F);
    CHECK_EQ(read_isr(0xA0), 0x00);
    CHECK_EQ(read_isr(0x20), 0x04);
}

TEST_CASE(fixed_priority_and_nesting)
{
    setup();
    set_irq(5, 1);
    set_irq(3, 1);
    set_irq(1, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x21);
    CHECK_EQ(intr_level, 0);   /* IR3/IR5 blocked by IR1 in service */
    set_irq(0, 1);
    CHECK_EQ(intr_level, 1);   /* IR0 outranks IR1: nests */
    CHECK_EQ(i8259_acknowledge(pic), 0x20);
    CHECK_EQ(read_isr(0x20), 0x03);
    outb(0x20, 0x20);   /* clears IR0, the highest in service */
    CHECK_EQ(read_isr(0x20), 0x02);
    CHECK_EQ(intr_level, 0);
    outb(0x20, 0x20);
    CHECK_EQ(i8259_acknowledge(pic), 0x23);
    outb(0x20, 0x63);   /* specific EOI IR3 */
    CHECK_EQ(i8259_acknowledge(pic), 0x25);
    outb(0x20, 0x65);
    CHECK_EQ(read_isr(0x20), 0x00);
    CHECK_EQ(intr_level, 0);
}

TEST_CASE(set_priority_command)
{
    setup();
    outb(0x20, 0xC4);   /* IR4 lowest, so IR5 highest */
    set_irq(3, 1);
    set_irq(6, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x26);
    outb(0x20, 0x20);
    CHECK_EQ(i8259_acknowledge(pic), 0x23);
    outb(0x20, 0x20);
    /* IR4 now ranks below IR3: with IR3 in service IR4 must wait. */
    set_irq(3, 0);
    set_irq(3, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x23);
    set_irq(4, 1);
    CHECK_EQ(intr_level, 0);
    outb(0x20, 0x20);
    CHECK_EQ(i8259_acknowledge(pic), 0x24);
}

TEST_CASE(rotate_on_nonspecific_eoi)
{
    setup();
    set_irq(1, 1);
    set_irq(3, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x21);
    outb(0x20, 0xA0);   /* rotate: IR1 becomes lowest, IR2 highest */
    CHECK_EQ(i8259_acknowledge(pic), 0x23);
    set_irq(1, 0);
    set_irq(1, 1);
    /* IR1 is now lowest priority: IR3 in service blocks it. */
    CHECK_EQ(intr_level, 0);
    outb(0x20, 0xA0);   /* rotate again: IR3 lowest, IR4 highest */
    CHECK_EQ(i8259_acknowledge(pic), 0x21);
    set_irq(0, 1);
    /* Order is now 4,5,6,7,0,1,2,3: IR0 outranks IR1. */
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x20);
}

TEST_CASE(rotate_on_specific_eoi)
{
    setup();
    set_irq(6, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x26);
    outb(0x20, 0xE6);   /* EOI IR6 and make it lowest: IR7 highest */
    set_irq(0, 1);
    set_irq(7, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x27);
    CHECK_EQ(read_isr(0x20), 0x80);
}

TEST_CASE(cascade_slave_irq8)
{
    setup();
    set_irq(8, 1);
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(read_irr(0x20), 0x04);   /* slave INT on master IR2 */
    CHECK_EQ(read_irr(0xA0), 0x01);
    CHECK_EQ(i8259_acknowledge(pic), 0x28);
    CHECK_EQ(read_isr(0x20), 0x04);
    CHECK_EQ(read_isr(0xA0), 0x01);
    CHECK_EQ(read_irr(0xA0), 0x00);
    CHECK_EQ(intr_level, 0);
    /* Slave IRQ 9 outranks IRQ 8 on the slave, but the master holds IR2
     * in service (fully nested mode off): no nesting through IR2. */
    set_irq(9, 1);
    CHECK_EQ(intr_level, 0);
    outb(0xA0, 0x20);
    CHECK_EQ(intr_level, 0);
    outb(0x20, 0x20);
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x29);
}

TEST_CASE(cascade_masked_on_master)
{
    setup();
    outb(0x21, 0x04);
    set_irq(12, 1);
    CHECK_EQ(intr_level, 0);
    outb(0x21, 0x00);
    CHECK_EQ(i8259_acknowledge(pic), 0x2C);
    /* Master IRQs below IR2 wait; above it pre-empt. */
    set_irq(3, 1);
    CHECK_EQ(intr_level, 0);
    set_irq(1, 1);
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(intr_rises, 2);
    CHECK_EQ(i8259_acknowledge(pic), 0x21);
}

TEST_CASE(special_fully_nested_mode)
{
    setup_icw4(0x11);   /* x86 + SFNM on both (only the master's matters) */
    set_irq(10, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x2A);
    set_irq(9, 1);   /* higher than IRQ 10 on the slave */
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x29);
    CHECK_EQ(read_isr(0xA0), 0x06);
}

TEST_CASE(poll_command)
{
    setup();
    outb(0x20, 0x0C);
    CHECK_EQ(inb(0x20), 0x00);   /* nothing requesting: I = 0 */
    set_irq(6, 1);
    set_irq(4, 1);
    outb(0x20, 0x0C);
    CHECK_EQ(inb(0x20), 0x84);   /* I=1, W=4 */
    CHECK_EQ(read_isr(0x20), 0x10);
    CHECK_EQ(intr_level, 0);
    outb(0x20, 0x20);
    outb(0x20, 0x0C);
    CHECK_EQ(inb(0x21), 0x86);   /* either port answers a poll */
}

TEST_CASE(auto_eoi)
{
    setup_icw4(0x03);
    set_irq(3, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x23);
    CHECK_EQ(read_isr(0x20), 0x00);
    set_irq(5, 1);   /* lower priority, but nothing is in service */
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x25);
    set_irq(8, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x28);
    CHECK_EQ(read_isr(0x20), 0x00);
    CHECK_EQ(read_isr(0xA0), 0x00);
}

TEST_CASE(rotate_in_auto_eoi)
{
    setup_icw4(0x03);
    outb(0x20, 0x80);   /* set rotate in AEOI */
    set_irq(0, 1);
    set_irq(1, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x20);
    set_irq(0, 0);
    set_irq(0, 1);
    /* IR0 became lowest: IR1 goes first. */
    CHECK_EQ(i8259_acknowledge(pic), 0x21);
    CHECK_EQ(i8259_acknowledge(pic), 0x20);
}

TEST_CASE(special_mask_mode)
{
    setup();
    set_irq(3, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x23);
    set_irq(5, 1);
    CHECK_EQ(intr_level, 0);
    outb(0x20, 0x68);   /* set special mask mode */
    outb(0x21, 0x08);   /* mask the level in service */
    CHECK_EQ(intr_level, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x25);
    CHECK_EQ(read_isr(0x20), 0x28);
    outb(0x20, 0x65);
    outb(0x20, 0x48);   /* reset special mask mode */
    outb(0x21, 0x00);
    set_irq(6, 1);
    CHECK_EQ(intr_level, 0);   /* IR3 in service blocks again */
}

TEST_CASE(elcr_writable_bits)
{
    setup();
    CHECK_EQ(inb(0x4D0), 0x00);
    CHECK_EQ(inb(0x4D1), 0x00);
    outb(0x4D0, 0xFF);
    outb(0x4D1, 0xFF);
    CHECK_EQ(inb(0x4D0), 0xF8);
    CHECK_EQ(inb(0x4D1), 0xDE);
    /* IRQ 0 stays edge-triggered despite the write. */
    set_irq(0, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x20);
    outb(0x20, 0x20);
    CHECK_EQ(intr_level, 0);
}

TEST_CASE(icw1_clears_edge_requests)
{
    setup();
    outb(0x21, 0x10);
    set_irq(4, 1);
    CHECK_EQ(read_irr(0x20), 0x10);
    outb(0x20, 0x11);   /* re-initialise while IR4 is high */
    outb(0x21, 0x20);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    CHECK_EQ(read_irr(0x20), 0x00);
    CHECK_EQ(inb(0x21), 0x00);   /* ICW1 clears IMR */
    CHECK_EQ(intr_level, 0);     /* a high line is not a new edge */
    set_irq(4, 0);
    set_irq(4, 1);
    CHECK_EQ(i8259_acknowledge(pic), 0x24);
}

TEST_CASE(machine_reset_lowers_intr)
{
    setup();
    set_irq(1, 1);
    CHECK_EQ(intr_level, 1);
    machine_reset_devices(m);
    CHECK_EQ(intr_level, 0);
    CHECK_EQ(inb(0x4D0), 0x00);
}

int main(void)
{
    RUN(init_vectors_and_eoi);
    RUN(ocw3_read_select_sticks);
    RUN(mask_holds_request);
    RUN(edge_needs_new_rising_edge);
    RUN(level_line_reasserts_after_eoi);
    RUN(icw1_ltim_makes_all_level);
    RUN(level_drop_before_inta_is_spurious_ir7);
    RUN(masked_before_inta_is_spurious_ir7);
    RUN(spurious_ir15_sets_master_isr2);
    RUN(fixed_priority_and_nesting);
    RUN(set_priority_command);
    RUN(rotate_on_nonspecific_eoi);
    RUN(rotate_on_specific_eoi);
    RUN(cascade_slave_irq8);
    RUN(cascade_masked_on_master);
    RUN(special_fully_nested_mode);
    RUN(poll_command);
    RUN(auto_eoi);
    RUN(rotate_in_auto_eoi);
    RUN(special_mask_mode);
    RUN(elcr_writable_bits);
    RUN(icw1_clears_edge_requests);
    RUN(machine_reset_lowers_intr);
    TEST_EXIT();
}
