/*
 * The 8042 keyboard controller of a PC/AT with PS/2 auxiliary port: IBM PS/2
 * Hardware Interface Technical Reference (keyboard/auxiliary device
 * controller), OSDev "8042 PS/2 Controller", Linux serio/i8042.c for what a
 * guest probes. Left out: passwords/security, input-port polling (0xC1-0xC3),
 * controller timing (IBF is never seen set), parity and timeout errors.
 */
#include <stdlib.h>

#include "hw/input/i8042.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/memory.h"

/* Status register */
#define STAT_OBF       0x01   /* output buffer full */
#define STAT_IBF       0x02   /* input buffer full (never: we consume at once) */
#define STAT_SYS       0x04   /* system flag, copied from the command byte */
#define STAT_CMD       0x08   /* last write went to the command port */
#define STAT_UNLOCKED  0x10   /* keyboard inhibit switch off */
#define STAT_AUXB      0x20   /* output buffer holds auxiliary-device data */

/* Command byte ("controller configuration byte", internal RAM byte 0) */
#define CB_KBD_INT     0x01
#define CB_AUX_INT     0x02
#define CB_SYS         0x04
#define CB_KBD_DISABLE 0x10
#define CB_AUX_DISABLE 0x20
#define CB_XLATE       0x40
/* What a PC BIOS leaves: both interrupts on, set 2 -> set 1 translation. */
#define CB_DEFAULT     (CB_KBD_INT | CB_AUX_INT | CB_XLATE)

/* Output port */
#define OUT_RESET      0x01   /* 0 holds the CPU in reset */
#define OUT_A20        0x02
#define OUT_KBD_IRQ    0x10
#define OUT_AUX_IRQ    0x20

/* Input port: keyboard not inhibited, no manufacturing jumper, colour display. */
#define INPUT_PORT     0xA0

#define SELF_TEST_OK   0x55
#define INTERFACE_OK   0x00
#define NO_PASSWORD    0xF1

#define I8042_RAM_SIZE 32
/* Controller answers waiting for the output buffer; the guest gets at most
 * one per command, so a few slots are plenty. */
#define I8042_ANSWER_QUEUE 8

typedef struct Answer {
    uint8_t byte;
    bool aux;
} Answer;

struct I8042 {
    Machine *m;
    IrqLine *kbd_irq, *aux_irq;
    Ps2Kbd *kbd;
    Ps2Mouse *mouse;

    uint8_t ram[I8042_RAM_SIZE];   /* ram[0] is the command byte */
    uint8_t out_port;
    bool last_write_was_cmd;
    uint8_t pending;               /* command waiting for its data byte, or 0 */

    uint8_t ob;                    /* output buffer */
    bool obf, ob_aux;
    Answer answers[I8042_ANSWER_QUEUE];
    int answer_head, answer_count;
    bool xlate_break;              /* translation saw a set 2 0xF0 prefix */
    bool refilling;

    int kbd_level, aux_level;
    I8042A20Fn a20_fn;
    void *a20_opaque;
};

static void i8042_update_irqs(I8042 *s)
{
    int kbd = s->obf && !s->ob_aux && (s->ram[0] & CB_KBD_INT);
    int aux = s->obf && s->ob_aux && (s->ram[0] & CB_AUX_INT);
    if (kbd != s->kbd_level) {
        s->kbd_level = kbd;
        irq_set(s->kbd_irq, kbd);
    }
    if (aux != s->aux_level) {
        s->aux_level = aux;
        irq_set(s->aux_irq, aux);
    }
}

/* Fill an empty output buffer: controller answers first, then the
 * keyboard, then the mouse, each device only while its port is enabled. */
static void i8042_refill(I8042 *s)
{
    if (s->refilling)
        return;
    s->refilling = true;
    while (!s->obf) {
        if (s->answer_count) {
            Answer a = s->answers[s->answer_head];
            s->answer_head = (s->answer_head + 1) % I8042_ANSWER_QUEUE;
            s->answer_count--;
            s->ob = a.byte;
            s->ob_aux = a.aux;
            s->obf = true;
        } else if (!(s->ram[0] & CB_KBD_DISABLE) && ps2_keyboard_has_data(s->kbd)) {
            int b = ps2_keyboard_read(s->kbd);
            if (b < 0)
                break;
            if (s->ram[0] & CB_XLATE) {
                /* Set 2 break is "F0 code"; set 1 break is code | 0x80. */
                if (b == 0xF0) {
                    s->xlate_break = true;
                    continue;
                }
                b = ps2_set2_to_set1((uint8_t)b) | (s->xlate_break ? 0x80 : 0);
                s->xlate_break = false;
            }
            s->ob = (uint8_t)b;
            s->ob_aux = false;
            s->obf = true;
        } else if (!(s->ram[0] & CB_AUX_DISABLE) && ps2_mouse_has_data(s->mouse)) {
            int b = ps2_mouse_read(s->mouse);
            if (b < 0)
                break;
            s->ob = (uint8_t)b;
            s->ob_aux = true;
            s->obf = true;
        } else {
            break;
        }
    }
    s->refilling = false;
    i8042_update_irqs(s);
}

static void i8042_device_notify(void *opaque)
{
    i8042_refill(opaque);
}

static void i8042_answer(I8042 *s, uint8_t byte, bool aux)
{
    if (s->answer_count == I8042_ANSWER_QUEUE) {
        guest_error("i8042: %d answers unread, dropping 0x%02x\n", I8042_ANSWER_QUEUE, byte);
        return;
    }
    s->answers[(s->answer_head + s->answer_count) % I8042_ANSWER_QUEUE] = (Answer){ byte, aux };
    s->answer_count++;
    i8042_refill(s);
}

static void i8042_set_a20(I8042 *s, bool on)
{
    bool was = s->out_port & OUT_A20;
    if (on)
        s->out_port |= OUT_A20;
    else
        s->out_port &= ~OUT_A20;
    if (was != on && s->a20_fn)
        s->a20_fn(s->a20_opaque, on);
}

static void i8042_write_output_port(I8042 *s, uint8_t v)
{
    i8042_set_a20(s, v & OUT_A20);
    /* The IRQ bits reflect the output buffer and are not writable. */
    s->out_port = (uint8_t)((v & ~(OUT_KBD_IRQ | OUT_AUX_IRQ)) | (s->out_port & OUT_A20));
    if (!(v & OUT_RESET)) {
        s->out_port |= OUT_RESET;   /* the pulse ends with the reset */
        machine_request_reset(s->m);
    }
}

static uint8_t i8042_read_output_port(I8042 *s)
{
    return (uint8_t)((s->out_port & ~(OUT_KBD_IRQ | OUT_AUX_IRQ))
                     | (s->kbd_level ? OUT_KBD_IRQ : 0) | (s->aux_level ? OUT_AUX_IRQ : 0));
}

static void i8042_command(I8042 *s, uint8_t cmd)
{
    s->pending = 0;
    if (cmd >= 0x20 && cmd <= 0x3F) {
        i8042_answer(s, s->ram[cmd & 0x1F], false);
        return;
    }
    if (cmd >= 0x60 && cmd <= 0x7F) {
        s->pending = cmd;
        return;
    }
    if (cmd >= 0xF0) {
        /* Pulse the output-port lines whose bit is 0; line 0 is CPU reset. */
        if (!(cmd & OUT_RESET))
            machine_request_reset(s->m);
        return;
    }
    switch (cmd) {
    case 0xA4:
        i8042_answer(s, NO_PASSWORD, false);
        break;
    case 0xA7:
        s->ram[0] |= CB_AUX_DISABLE;
        break;
    case 0xA8:
        s->ram[0] &= ~CB_AUX_DISABLE;
        i8042_refill(s);
        break;
    case 0xA9:
        i8042_answer(s, INTERFACE_OK, false);
        break;
    case 0xAA:
        i8042_answer(s, SELF_TEST_OK, false);
        break;
    case 0xAB:
        i8042_answer(s, INTERFACE_OK, false);
        break;
    case 0xAD:
        s->ram[0] |= CB_KBD_DISABLE;
        break;
    case 0xAE:
        s->ram[0] &= ~CB_KBD_DISABLE;
        i8042_refill(s);
        break;
    case 0xC0:
        i8042_answer(s, INPUT_PORT, false);
        break;
    case 0xD0:
        i8042_answer(s, i8042_read_output_port(s), false);
        break;
    case 0xD1:   /* write output port */
    case 0xD2:   /* write keyboard output buffer */
    case 0xD3:   /* write auxiliary output buffer */
    case 0xD4:   /* write to auxiliary device */
        s->pending = cmd;
        break;
    case 0xDD:
        i8042_set_a20(s, false);
        break;
    case 0xDF:
        i8042_set_a20(s, true);
        break;
    case 0xE0:   /* read test inputs */
        i8042_answer(s, 0x00, false);
        break;
    default:
        log_unimp("i8042: command 0x%02x not modelled\n", cmd);
        break;
    }
}

static void i8042_write_data(I8042 *s, uint8_t v)
{
    uint8_t cmd = s->pending;
    s->pending = 0;
    if (cmd >= 0x60 && cmd <= 0x7F) {
        s->ram[cmd & 0x1F] = v;
        if (cmd == 0x60) {
            if (!(v & CB_XLATE))
                s->xlate_break = false;
            i8042_refill(s);   /* ports or interrupts may have been enabled */
        }
        return;
    }
    switch (cmd) {
    case 0xD1:
        i8042_write_output_port(s, v);
        break;
    case 0xD2:
        i8042_answer(s, v, false);
        break;
    case 0xD3:
        i8042_answer(s, v, true);
        break;
    case 0xD4:
        ps2_mouse_write(s->mouse, v);
        break;
    default:
        ps2_keyboard_write(s->kbd, v);
        break;
    }
}

static uint64_t i8042_data_read(void *opaque, uint64_t offset, unsigned size)
{
    I8042 *s = opaque;
    (void)offset;
    (void)size;
    uint8_t v = s->ob;   /* an empty buffer reads as its last contents */
    if (s->obf) {
        s->obf = false;
        /* Drop the lines before refilling so that the next byte makes a
         * fresh edge for an edge-triggered interrupt controller. */
        i8042_update_irqs(s);
        i8042_refill(s);
    }
    return v;
}

static void i8042_data_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I8042 *s = opaque;
    (void)offset;
    (void)size;
    s->last_write_was_cmd = false;
    i8042_write_data(s, (uint8_t)value);
}

static uint64_t i8042_status_read(void *opaque, uint64_t offset, unsigned size)
{
    I8042 *s = opaque;
    (void)offset;
    (void)size;
    uint8_t st = STAT_UNLOCKED;
    if (s->obf)
        st |= STAT_OBF | (s->ob_aux ? STAT_AUXB : 0);
    if (s->ram[0] & CB_SYS)
        st |= STAT_SYS;
    if (s->last_write_was_cmd)
        st |= STAT_CMD;
    return st;
}

static void i8042_command_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I8042 *s = opaque;
    (void)offset;
    (void)size;
    s->last_write_was_cmd = true;
    i8042_command(s, (uint8_t)value);
}

static const MemoryRegionOps i8042_data_ops = {
    .read = i8042_data_read,
    .write = i8042_data_write,
    .min_access = 1,
    .max_access = 1,
};

static const MemoryRegionOps i8042_command_ops = {
    .read = i8042_status_read,
    .write = i8042_command_write,
    .min_access = 1,
    .max_access = 1,
};

static void i8042_reset(void *opaque)
{
    I8042 *s = opaque;
    for (int i = 0; i < I8042_RAM_SIZE; i++)
        s->ram[i] = 0;
    s->ram[0] = CB_DEFAULT;
    s->pending = 0;
    s->last_write_was_cmd = false;
    s->obf = false;
    s->ob_aux = false;
    s->ob = 0;
    s->answer_head = s->answer_count = 0;
    s->xlate_break = false;
    s->out_port = (uint8_t)(OUT_RESET | (s->out_port & OUT_A20));
    i8042_set_a20(s, true);
    ps2_keyboard_reset(s->kbd);
    ps2_mouse_reset(s->mouse);
    i8042_update_irqs(s);
}

I8042 *i8042_create(Machine *m, IrqLine *kbd_irq, IrqLine *aux_irq)
{
    I8042 *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->m = m;
    s->kbd_irq = kbd_irq;
    s->aux_irq = aux_irq;
    s->kbd = ps2_keyboard_new(i8042_device_notify, s);
    s->mouse = ps2_mouse_new(i8042_device_notify, s);
    s->out_port = OUT_RESET | OUT_A20;
    i8042_reset(s);
    as_map_io(m->io, "i8042-data", I8042_DATA_PORT, 1, &i8042_data_ops, s);
    as_map_io(m->io, "i8042-cmd", I8042_STATUS_PORT, 1, &i8042_command_ops, s);
    machine_add_reset(m, i8042_reset, s);
    return s;
}

Ps2Kbd *i8042_keyboard(I8042 *s)
{
    return s->kbd;
}

Ps2Mouse *i8042_mouse(I8042 *s)
{
    return s->mouse;
}

void i8042_set_a20_handler(I8042 *s, I8042A20Fn fn, void *opaque)
{
    s->a20_fn = fn;
    s->a20_opaque = opaque;
}

bool i8042_a20_enabled(const I8042 *s)
{
    return s->out_port & OUT_A20;
}
