/*
 * Private to the MMX/SSE family (translate_sse.c, sse_*.c, fxsave.c): the
 * helper prototypes of helper_sse.def, MXCSR bits, and register access by
 * byte offset inside X86CPU. Reference: Intel SDM vol. 1 ch. 9-12 (MMX,
 * SSE..SSE4.2), 10.2.3 (MXCSR), 9.5 (MMX aliasing the x87 registers).
 */
#ifndef MIMIC_CPU_X86_SSE_HELPER_H
#define MIMIC_CPU_X86_SSE_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu/x86/cpu.h"
#include "tcg/helper.h"

#define DEF_HELPER TCG_HELPER_DECLARE
#include "cpu/x86/helper_sse.def"
#undef DEF_HELPER

/* MXCSR (SDM vol. 1 10.2.3). */
#define MXCSR_IE   0x0001u
#define MXCSR_DE   0x0002u
#define MXCSR_ZE   0x0004u
#define MXCSR_OE   0x0008u
#define MXCSR_UE   0x0010u
#define MXCSR_PE   0x0020u
#define MXCSR_FLAGS 0x003fu
#define MXCSR_DAZ  0x0040u
#define MXCSR_MASKS 0x1f80u     /* IM DM ZM OM UM PM */
#define MXCSR_MASK_SHIFT 7
#define MXCSR_RC_SHIFT 13
#define MXCSR_RC   0x6000u
#define MXCSR_FTZ  0x8000u
/* Writable bits, also reported as MXCSR_MASK by FXSAVE: DAZ is supported. */
#define MXCSR_WRITABLE 0xffffu
#define MXCSR_RESET 0x1f80u

/* x87 status/control bits the MMX entry checks (SDM vol. 1 8.1.3, 8.1.5). */
#define FPUS_EXCEPTIONS 0x003fu
#define FPUS_ES         0x0080u
#define FPUS_B          0x8000u
#define FPUC_MASKS      0x003fu

/* The i32 `flags` argument of the save/restore and MASKMOV helpers. */
#define SSE_MEM_MMU_MASK 0x0fu  /* mmu index of the accesses */
#define SSE_MEM_REXW     0x10u  /* FXSAVE64/XSAVE64...: 64-bit FPU IP/DP format */
#define SSE_MEM_LONG     0x20u  /* 64-bit mode: XMM8-15, no 32-bit address wrap */

/* Added to the imm8 of PCMPESTRx by the translator: REX.W (64-bit lengths). */
#define SSE_STR_REXW 0x100u

/* Offset of the exponent word of an x87 register from its mantissa. */
#define SSE_MMX_EXP_DELTA (offsetof(Float80, sign_exp) - offsetof(Float80, mant))

static inline uint32_t sse_xmm_offset(unsigned reg)
{
    return (uint32_t)(offsetof(X86CPU, xmm) + reg * sizeof(X86XmmReg));
}

static inline uint32_t sse_mmx_offset(unsigned reg)
{
    return (uint32_t)(offsetof(X86CPU, fpregs) + (reg & 7) * sizeof(Float80) +
                      offsetof(Float80, mant));
}

#define SSE_SCRATCH_OFFSET ((uint32_t)offsetof(X86CPU, xmm_t0))

static inline X86XmmReg *sse_xmm_at(void *env, uint32_t off)
{
    return (X86XmmReg *)((char *)env + off);
}

/* The 64 bits of an MMX register (or of the scratch register) at `off`. */
static inline uint64_t sse_mmx_get(const void *env, uint32_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)env + off, sizeof(v));
    return v;
}

/* An MMX write: the mantissa takes the value and the exponent field of the
 * aliased x87 register becomes all ones (SDM vol. 1 9.5.1). */
static inline void sse_mmx_put(void *env, uint32_t off, uint64_t v)
{
    uint16_t exp = 0xffff;
    memcpy((char *)env + off, &v, sizeof(v));
    memcpy((char *)env + off + SSE_MMX_EXP_DELTA, &exp, sizeof(exp));
}

/* True when a pending unmasked x87 exception must be reported (#MF) before
 * an MMX instruction or FWAIT-like check. */
static inline bool sse_x87_exception_pending(const X86CPU *cpu)
{
    return (cpu->fpus & FPUS_EXCEPTIONS & ~(cpu->fpuc & FPUC_MASKS)) != 0;
}

#endif
