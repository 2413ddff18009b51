/*
 * Intel 8259A programmable interrupt controller pair, as cascaded on a PC,
 * with the PIIX ELCR registers that make single lines level-triggered.
 * Reference: Intel 8259A datasheet (231468), PIIX3 datasheet 2.3.4 (ELCR).
 * Left out: 8080/8085 call mode, buffered mode and the ADI bit (all
 * meaningless on x86); an edge request is kept in IRR even if the line falls
 * before INTA (devices here pulse lines), where a real chip would answer IR7.
 */
#include <stdlib.h>

#include "hw/intc/i8259.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/memory.h"

#define PIC_MASTER 0
#define PIC_SLAVE 1
#define PIC_CASCADE_IRQ 2        /* master input wired to the slave's INT */
#define PIC_SPURIOUS_IRQ 7       /* what a chip answers when nothing is left */
#define PIC_NO_IRQ 8             /* "no level" from priority searches */

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xA0
#define PIC_ELCR_PORT 0x4D0
/* PIIX: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge-triggered. */
static const uint8_t elcr_writable[2] = { 0xF8, 0xDE };

/* ICW1 bits (command port, D4 = 1) */
#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_SELECT 0x10
/* ICW4 bits */
#define ICW4_UPM 0x01
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10
/* OCW3 bits (command port, D4 = 0, D3 = 1) */
#define OCW3_SELECT 0x08
#define OCW3_RIS 0x01
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW3_SMM 0x20
#define OCW3_ESMM 0x40

/* Where the chip is in its initialisation sequence: the data port takes
 * ICW2..4 while init_step says so, OCW1 (the mask) otherwise. */
enum { INIT_DONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

typedef struct PicChip {
    uint8_t irr, isr, imr;
    uint8_t input;          /* current level of each IR pin */
    uint8_t elcr;           /* 1 = level-triggered (PIIX) */
    uint8_t vector_base;    /* ICW2, T7..T3 */
    uint8_t icw3;           /* master: which IRs have slaves; slave: its ID */
    uint8_t priority_add;   /* IR with the highest priority (rotation) */
    bool ltim;              /* ICW1: every line level-triggered */
    bool single;            /* ICW1: no cascade */
    bool icw4_expected;
    int init_step;
    bool aeoi, rotate_on_aeoi, sfnm;
    bool special_mask;
    bool read_isr;          /* OCW3 RR/RIS: command-port reads give ISR */
    bool poll;              /* OCW3 P: next read is a poll */
    bool is_master;
} PicChip;

struct PicState {
    PicChip chip[2];
    IrqLine *inputs[I8259_NUM_IRQS];
    IrqLine *intr_out;
    bool output;
    bool ext_irq2;          /* whatever drives i8259_input(2) */
};

static uint8_t chip_level_lines(const PicChip *c)
{
    return c->ltim ? 0xFF : c->elcr;
}

/* Priority rank of the highest-priority set bit (0 = highest), or
 * PIC_NO_IRQ. Rank r is IR (r + priority_add) & 7. */
static int chip_highest_rank(const PicChip *c, uint8_t bits)
{
    for (int rank = 0; rank < 8; rank++) {
        if (bits & (1u << ((rank + c->priority_add) & 7)))
            return rank;
    }
    return PIC_NO_IRQ;
}

/* The IR this chip would deliver now, or -1: the best unmasked request
 * must outrank everything in service. Special mask mode lets masked
 * in-service levels stop blocking; special fully nested mode lets a slave
 * that is in service interrupt again through the master. */
static int chip_pending_irq(const PicChip *c)
{
    int req = chip_highest_rank(c, c->irr & ~c->imr);
    if (req == PIC_NO_IRQ)
        return -1;
    uint8_t in_service = c->isr;
    if (c->special_mask)
        in_service &= ~c->imr;
    if (c->sfnm && c->is_master && !c->single)
        in_service &= ~c->icw3;
    if (req >= chip_highest_rank(c, in_service))
        return -1;
    return (req + c->priority_add) & 7;
}

/* Latch a request on a rising edge (edge lines) or follow the level
 * (level lines). */
static void chip_set_input(PicChip *c, int irq, bool level)
{
    uint8_t bit = 1u << irq;
    if (chip_level_lines(c) & bit) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= ~bit;
    } else if (level && !(c->input & bit)) {
        c->irr |= bit;
    }
    if (level)
        c->input |= bit;
    else
        c->input &= ~bit;
}

/* Recompute the slave's INT (which feeds master IR2) and then the master's
 * INT, telling the CPU side when it changes. */
static void pic_update(PicState *s)
{
    bool slave_int = chip_pending_irq(&s->chip[PIC_SLAVE]) >= 0;
    chip_set_input(&s->chip[PIC_MASTER], PIC_CASCADE_IRQ, slave_int || s->ext_irq2);
    bool out = chip_pending_irq(&s->chip[PIC_MASTER]) >= 0;
    if (out != s->output) {
        s->output = out;
        log_mask_printf(LOG_INT, "i8259: INT %d\n", out);
        irq_set(s->intr_out, out);
    }
}

static void pic_set_irq(void *opaque, int irq, int level)
{
    PicState *s = opaque;
    if (irq == PIC_CASCADE_IRQ)
        s->ext_irq2 = level != 0;
    else
        chip_set_input(&s->chip[irq >> 3], irq & 7, level != 0);
    pic_update(s);
}

/* First INTA on a chip: move the request to in-service (or drop it at
 * once in automatic EOI mode). */
static void chip_intack(PicChip *c, int irq)
{
    uint8_t bit = 1u << irq;
    if (!(chip_level_lines(c) & bit))
        c->irr &= ~bit;
    if (c->aeoi) {
        if (c->rotate_on_aeoi)
            c->priority_add = (irq + 1) & 7;
    } else {
        c->isr |= bit;
    }
}

int i8259_acknowledge(PicState *s)
{
    PicChip *master = &s->chip[PIC_MASTER], *slave = &s->chip[PIC_SLAVE];
    int vector;
    int irq = chip_pending_irq(master);
    if (irq < 0) {
        /* The request went away between INT and INTA. */
        vector = master->vector_base | PIC_SPURIOUS_IRQ;
    } else {
        if (!master->single && (master->icw3 & (1u << irq))) {
            /* Only IR2 has a slave on a PC; another set ICW3 bit points
             * at an empty socket, where a real bus would float. */
            if (irq != PIC_CASCADE_IRQ) {
                guest_error("i8259: INTA for IR%d, which has no slave\n", irq);
                vector = 0xFF;
            } else {
                int irq2 = chip_pending_irq(slave);
                if (irq2 < 0) {
                    vector = slave->vector_base | PIC_SPURIOUS_IRQ;
                } else {
                    chip_intack(slave, irq2);
                    vector = slave->vector_base | irq2;
                }
            }
        } else {
            vector = master->vector_base | irq;
        }
        chip_intack(master, irq);
    }
    pic_update(s);
    log_mask_printf(LOG_INT, "i8259: INTA -> vector 0x%02x\n", vector);
    return vector;
}

bool i8259_output(PicState *s)
{
    return s->output;
}

/* Poll command: the read acts as INTA on this chip alone. */
static uint8_t chip_poll(PicState *s, PicChip *c)
{
    int irq = chip_pending_irq(c);
    if (irq < 0)
        return 0;
    chip_intack(c, irq);
    pic_update(s);
    return 0x80 | irq;
}

/* Clear the in-service bit of the highest-priority level in service. */
static int chip_nonspecific_eoi(PicChip *c)
{
    int rank = chip_highest_rank(c, c->isr);
    if (rank == PIC_NO_IRQ)
        return -1;
    int irq = (rank + c->priority_add) & 7;
    c->isr &= ~(1u << irq);
    return irq;
}

static void chip_write_ocw2(PicChip *c, uint8_t v)
{
    int level = v & 7;
    int irq;
    switch (v >> 5) {
    case 0: /* clear rotate in automatic EOI mode */
        c->rotate_on_aeoi = false;
        break;
    case 4: /* set rotate in automatic EOI mode */
        c->rotate_on_aeoi = true;
        break;
    case 1: /* non-specific EOI */
        chip_nonspecific_eoi(c);
        break;
    case 5: /* rotate on non-specific EOI: served level becomes lowest */
        irq = chip_nonspecific_eoi(c);
        if (irq >= 0)
            c->priority_add = (irq + 1) & 7;
        break;
    case 3: /* specific EOI */
        c->isr &= ~(1u << level);
        break;
    case 7: /* rotate on specific EOI */
        c->isr &= ~(1u << level);
        c->priority_add = (level + 1) & 7;
        break;
    case 6: /* set priority: L becomes the lowest */
        c->priority_add = (level + 1) & 7;
        break;
    case 2: /* no operation */
        break;
    }
}

static void chip_write_icw1(PicChip *c, uint8_t v)
{
    /* Bits 7-5 and ADI only matter in 8080 mode; x86 ignores them. After
     * ICW1: IMR and ISR clear, IR7 lowest priority, special mask off, IRR
     * selected for reads, ICW4 functions zero unless IC4 follows, and an
     * edge line needs a fresh low-to-high transition to request again. */
    c->ltim = v & ICW1_LTIM;
    c->single = v & ICW1_SNGL;
    c->icw4_expected = v & ICW1_IC4;
    c->imr = 0;
    c->isr = 0;
    c->irr = chip_level_lines(c) & c->input;
    c->priority_add = 0;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->aeoi = c->rotate_on_aeoi = c->sfnm = false;
    c->init_step = INIT_ICW2;
}

static void chip_write_data(PicChip *c, uint8_t v)
{
    switch (c->init_step) {
    case INIT_ICW2:
        c->vector_base = v & 0xF8;
        c->init_step = c->single ? (c->icw4_expected ? INIT_ICW4 : INIT_DONE) : INIT_ICW3;
        break;
    case INIT_ICW3:
        c->icw3 = v;
        c->init_step = c->icw4_expected ? INIT_ICW4 : INIT_DONE;
        break;
    case INIT_ICW4:
        if (!(v & ICW4_UPM))
            log_unimp("i8259: ICW4 0x%02x selects 8080 mode; running as x86\n", v);
        c->aeoi = v & ICW4_AEOI;
        c->sfnm = v & ICW4_SFNM;
        c->init_step = INIT_DONE;
        break;
    default:
        c->imr = v;   /* OCW1 */
        break;
    }
}

static void chip_write_command(PicChip *c, uint8_t v)
{
    if (v & ICW1_SELECT) {
        chip_write_icw1(c, v);
    } else if (v & OCW3_SELECT) {
        if (v & OCW3_ESMM)
            c->special_mask = v & OCW3_SMM;
        if (v & OCW3_RR)
            c->read_isr = v & OCW3_RIS;
        c->poll = v & OCW3_POLL;
    } else {
        chip_write_ocw2(c, v);
    }
}

static uint64_t pic_read(PicState *s, PicChip *c, uint64_t offset)
{
    if (c->poll) {
        c->poll = false;
        return chip_poll(s, c);
    }
    if (offset == 0)
        return c->read_isr ? c->isr : c->irr;
    return c->imr;
}

static void pic_write(PicState *s, PicChip *c, uint64_t offset, uint64_t value)
{
    if (offset == 0)
        chip_write_command(c, (uint8_t)value);
    else
        chip_write_data(c, (uint8_t)value);
    pic_update(s);
}

static uint64_t pic_master_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)size;
    PicState *s = opaque;
    return pic_read(s, &s->chip[PIC_MASTER], offset);
}

static void pic_master_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)size;
    PicState *s = opaque;
    pic_write(s, &s->chip[PIC_MASTER], offset, value);
}

static uint64_t pic_slave_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)size;
    PicState *s = opaque;
    return pic_read(s, &s->chip[PIC_SLAVE], offset);
}

static void pic_slave_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)size;
    PicState *s = opaque;
    pic_write(s, &s->chip[PIC_SLAVE], offset, value);
}

static uint64_t pic_elcr_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)size;
    PicState *s = opaque;
    return s->chip[offset & 1].elcr;
}

static void pic_elcr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)size;
    PicState *s = opaque;
    PicChip *c = &s->chip[offset & 1];
    uint8_t mask = elcr_writable[offset & 1];
    if (value & ~mask & 0xFF)
        guest_error("i8259: ELCR%d 0x%02x sets reserved bits (writable 0x%02x)\n",
                    (int)(offset & 1) + 1, (unsigned)value & 0xFF, mask);
    c->elcr = value & mask;
    /* Lines now level-triggered report their current level. */
    uint8_t level = chip_level_lines(c);
    c->irr = (c->irr & ~level) | (c->input & level);
    pic_update(s);
}

static const MemoryRegionOps pic_master_ops = {
    .read = pic_master_read, .write = pic_master_write, .min_access = 1, .max_access = 1,
};
static const MemoryRegionOps pic_slave_ops = {
    .read = pic_slave_read, .write = pic_slave_write, .min_access = 1, .max_access = 1,
};
static const MemoryRegionOps pic_elcr_ops = {
    .read = pic_elcr_read, .write = pic_elcr_write, .min_access = 1, .max_access = 1,
};

/* Power-on: both chips uninitialised with everything unmasked and edge
 * triggered (ELCR resets to 0); the input pins keep their levels. */
static void pic_reset(void *opaque)
{
    PicState *s = opaque;
    for (int i = 0; i < 2; i++) {
        PicChip *c = &s->chip[i];
        uint8_t input = c->input;
        *c = (PicChip){ .input = input, .is_master = i == PIC_MASTER };
    }
    pic_update(s);
}

PicState *i8259_create(Machine *m, IrqLine *intr_out)
{
    PicState *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->intr_out = intr_out;
    for (int i = 0; i < I8259_NUM_IRQS; i++)
        s->inputs[i] = irq_line_new(pic_set_irq, s, i);
    s->chip[PIC_MASTER].is_master = true;
    as_map_io(m->io, "pic-master", PIC_MASTER_PORT, 2, &pic_master_ops, s);
    as_map_io(m->io, "pic-slave", PIC_SLAVE_PORT, 2, &pic_slave_ops, s);
    as_map_io(m->io, "elcr", PIC_ELCR_PORT, 2, &pic_elcr_ops, s);
    machine_add_reset(m, pic_reset, s);
    return s;
}

IrqLine *i8259_input(PicState *s, int irq)
{
    if (irq < 0 || irq >= I8259_NUM_IRQS)
        fatal("i8259: no input IRQ %d (0..%d)", irq, I8259_NUM_IRQS - 1);
    return s->inputs[irq];
}
