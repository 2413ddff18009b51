#ifndef HW_MISC_IOPORT80_H
#define HW_MISC_IOPORT80_H
#include "mimic/machine.h"
/* Port 0x80 (POST code / I/O delay). */
void port80_create(Machine *m);
#endif
