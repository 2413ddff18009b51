/*
 * 16550A UART on the x86 I/O-port bus (COM1..4 on the pc machine). The
 * device state is private to serial.c; guests reach it only through ports.
 */
#ifndef MIMIC_HW_CHAR_SERIAL_H
#define MIMIC_HW_CHAR_SERIAL_H

#include <stdint.h>

#include "mimic/chardev.h"
#include "mimic/irq.h"

typedef struct Machine Machine;
typedef struct Serial Serial;

/* Map the 8 ports at iobase on m->io, register the reset handler and
 * attach to chr (NULL: a UART with nothing on the line). `irq` is the ISA
 * line; the UART drives it only while MCR.OUT2 is set, as a PC does. */
Serial *serial_create(Machine *m, uint16_t iobase, IrqLine *irq, Chardev *chr);

#endif
