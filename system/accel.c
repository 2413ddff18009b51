/*
 * The accelerator registry: kvm (and later tcg, xen) register their ops.
 */
#include <string.h>

#include "mimic/accel.h"
#include "mimic/log.h"

#define MAX_ACCELS 4

static const AccelOps *accels[MAX_ACCELS];
static int naccels;

void accel_register(const AccelOps *ops)
{
    if (naccels == MAX_ACCELS)
        fatal("too many accelerators");
    accels[naccels++] = ops;
}

const AccelOps *accel_find(const char *name)
{
    for (int i = 0; i < naccels; i++)
        if (!strcmp(accels[i]->name, name))
            return accels[i];
    return NULL;
}
