/*
 * Prototypes and gen_helper_* emitters of the core x86 helpers listed in
 * cpu/x86/helper.def (tcg/helper.h explains the scheme). The helpers
 * themselves are in helper_int.c and helper_sys.c; env is the X86CPU.
 */
#ifndef CPU_X86_HELPER_H
#define CPU_X86_HELPER_H

#include "tcg/helper.h"

#define DEF_HELPER TCG_HELPER_DECLARE
#include "cpu/x86/helper.def"
#undef DEF_HELPER

/* Packing of the rep_movs/rep_stos argument: element size (1, 2, 4, 8),
 * address size (2, 4, 8) and the source segment. */
#define X86_STR_ARGS(size, addrsize, seg) ((size) | (addrsize) << 8 | (seg) << 16)

#endif
