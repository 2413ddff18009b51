/* Two cascaded 8259A PICs (master 0x20/0x21, slave 0xa0/0xa1).
 * Reference: Intel 8259A datasheet, ICW1-ICW4 initialization sequence and
 * OCW1 (mask) / OCW2 (non-specific EOI).  No special mask or AEOI modes. */
#include "runtime.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086 0x01
#define OCW2_EOI 0x20

void pic_remap(uint8_t master_base, uint8_t slave_base)
{
    outb(PIC1_CMD, ICW1_INIT_ICW4);
    outb(PIC2_CMD, ICW1_INIT_ICW4);
    outb(PIC1_DATA, master_base);
    outb(PIC2_DATA, slave_base);
    outb(PIC1_DATA, 1 << 2);        /* slave on IRQ2 */
    outb(PIC2_DATA, 2);             /* slave identity */
    outb(PIC1_DATA, ICW4_8086);
    outb(PIC2_DATA, ICW4_8086);
    pic_mask_all();
}

void pic_mask_all(void)
{
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}

void pic_unmask(unsigned irq)
{
    if (irq >= 8) {
        outb(PIC2_DATA, inb(PIC2_DATA) & ~(1 << (irq - 8)));
        irq = 2;
    }
    outb(PIC1_DATA, inb(PIC1_DATA) & ~(1 << irq));
}

void pic_mask(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_DATA, inb(PIC2_DATA) | (1 << (irq - 8)));
    else
        outb(PIC1_DATA, inb(PIC1_DATA) | (1 << irq));
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, OCW2_EOI);
    outb(PIC1_CMD, OCW2_EOI);
}
