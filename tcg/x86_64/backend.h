/*
 * The native x86-64 host backend of the translator (tcg/backend.h contract):
 * IR -> x86-64 machine code with a linear-scan register allocator and an
 * inlined softmmu TLB fast path. Exists only on x86-64 hosts.
 */
#ifndef MIMIC_TCG_X86_64_BACKEND_H
#define MIMIC_TCG_X86_64_BACKEND_H

#if defined(__x86_64__)

#include "../backend.h"

extern const TCGBackend tcg_x86_64_backend;

/* Optional host instructions the code generator uses when CPUID has them. */
enum {
    TCG_X86_64_LZCNT  = 1u << 0,   /* also selects TZCNT (BMI1) for ctz */
    TCG_X86_64_BMI1   = 1u << 1,   /* ANDN, TZCNT */
    TCG_X86_64_BMI2   = 1u << 2,   /* SHLX/SHRX/SARX, RORX */
    TCG_X86_64_POPCNT = 1u << 3,
    TCG_X86_64_ALL    = 0xf,
};
/* What CPUID reported (detected once). */
unsigned tcg_x86_64_host_features(void);
/* Restrict code generation to host features & mask (tests use it to exercise
 * the fallbacks); TCG_X86_64_ALL restores the default. Per thread. */
void tcg_x86_64_set_feature_mask(unsigned mask);

#endif
#endif
