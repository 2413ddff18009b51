/*
 * The 8042 "AT keyboard controller" with a PS/2 keyboard on its first port
 * and a PS/2 mouse on its auxiliary port: data at I/O port 0x60,
 * status/command at 0x64, IRQ 1 (keyboard) and IRQ 12 (mouse).
 */
#ifndef MIMIC_HW_INPUT_I8042_H
#define MIMIC_HW_INPUT_I8042_H

#include <stdbool.h>

#include "hw/input/ps2.h"
#include "mimic/irq.h"

#define I8042_DATA_PORT   0x60
#define I8042_STATUS_PORT 0x64

typedef struct Machine Machine;
typedef struct I8042 I8042;

/* Creates the controller and both devices, maps the two ports into m->io
 * and registers a reset handler. */
I8042 *i8042_create(Machine *m, IrqLine *kbd_irq, IrqLine *aux_irq);

/* The devices behind the controller, for the UI to feed input into. */
Ps2Kbd *i8042_keyboard(I8042 *s);
Ps2Mouse *i8042_mouse(I8042 *s);

/* Called when the guest changes the A20 gate (output port bit 1, or the
 * 0xDD/0xDF commands). Without a handler the state is only recorded. */
typedef void (*I8042A20Fn)(void *opaque, bool enabled);
void i8042_set_a20_handler(I8042 *s, I8042A20Fn fn, void *opaque);
bool i8042_a20_enabled(const I8042 *s);

#endif
