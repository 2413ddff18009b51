#ifndef HW_MISC_PORT92_H
#define HW_MISC_PORT92_H
#include "mimic/machine.h"
/* Port 0x92, System Control Port A: fast A20 gate and fast reset. */
void port92_create(Machine *m);
#endif
