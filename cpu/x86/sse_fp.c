/*
 * SSE..SSE4.1 floating point, run on the host's SSE unit under the guest's RC/DAZ/FTZ
 * with all exceptions masked, then flags merged and unmasked ones raised (#XM or #UD,
 * destination kept; SDM vol. 1 11.5). Needs an x86-64 host: others need soft floats.
 * Leaves out: PE beside an unmasked OE/UE (hardware: is the unbounded result inexact),
 * DPPS/DPPD stopping at the stage that traps.
 */
#if !defined(__x86_64__)
#error "cpu/x86/sse_fp.c computes with the host's SSE unit: it needs an x86-64 host"
#endif

#include <emmintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/x86/mem.h"
#include "cpu/x86/sse_helper.h"

/* ---- register file access ---- */
static inline __m128i vload(const void *env, uint32_t off)
{
    __m128i v;
    memcpy(&v, (const char *)env + off, sizeof(v));
    return v;
}

static inline void vstore(void *env, uint32_t off, __m128i v)
{
    memcpy((char *)env + off, &v, sizeof(v));
}

static inline __m128i vlow64(uint64_t lo)
{
    return _mm_set_epi64x(0, (long long)lo);
}

static inline uint64_t vget64(__m128i v)
{
    uint64_t lo;
    memcpy(&lo, &v, sizeof(lo));
    return lo;
}

/*
 * The host MXCSR bracket. Every instruction in between is an `asm volatile`
 * statement, which the compiler keeps in order with the two MXCSR accesses.
 */
static inline uint32_t fp_enter(const X86CPU *cpu)
{
    uint32_t host, guest = (cpu->mxcsr & (MXCSR_RC | MXCSR_DAZ | MXCSR_FTZ)) | MXCSR_MASKS;
    asm volatile("stmxcsr %0" : "=m"(host));
    asm volatile("ldmxcsr %0" : : "m"(guest));
    return host;
}

static inline uint32_t fp_leave(uint32_t host)
{
    uint32_t now;
    asm volatile("stmxcsr %0" : "=m"(now));
    asm volatile("ldmxcsr %0" : : "m"(host));
    return now & MXCSR_FLAGS;
}

static _Noreturn void fp_raise(X86CPU *cpu, uintptr_t ra)
{
    x86_raise_exception(cpu, (cpu->cr[4] & CR4_OSXMMEXCPT) ? X86_EXCP_XM : X86_EXCP_UD, 0, ra);
}

/*
 * Merge `flags` into the guest MXCSR. With an unmasked exception, SDM vol. 1
 * 11.5.1: if it is a pre-computation one (invalid, denormal, divide), only
 * the pre-computation flags of all lanes are recorded; otherwise all flags
 * are. The destination is then left alone and the exception raised.
 */
static inline void fp_finish(X86CPU *cpu, uint32_t flags, uintptr_t ra)
{
    uint32_t unmasked = flags & ~(cpu->mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS;
    if (__builtin_expect(unmasked == 0, 1)) {
        cpu->mxcsr |= flags;
        return;
    }
    uint32_t pre = flags & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
    cpu->mxcsr |= (pre & unmasked) ? pre : flags;
    fp_raise(cpu, ra);
}

/* Instructions beyond the x86-64 baseline (SSE3, SSE4.1) need them on the
 * host too; without, the guest gets #UD rather than mimic a SIGILL. */
static bool host_sse3, host_sse41;

static void __attribute__((constructor)) fp_host_features(void)
{
    __builtin_cpu_init();
    host_sse3 = __builtin_cpu_supports("sse3") != 0;
    host_sse41 = __builtin_cpu_supports("sse4.1") != 0;
}

static void fp_require_host(X86CPU *cpu, bool sse41, uintptr_t ra)
{
    if (!(sse41 ? host_sse41 : host_sse3)) {
        x86_raise_exception(cpu, X86_EXCP_UD, 0, ra);
    }
}

/*
 * The vector-result operations: `op` runs one host instruction on a and b.
 * With underflow unmasked, an exact tiny result must still raise: a second
 * run with FTZ (which flags every tiny result) finds it.
 */
typedef __m128i FpOp(__m128i a, __m128i b, uint32_t imm);

static inline __m128i fp_exec(FpOp *op, __m128i a, __m128i b, uint32_t imm, uint32_t run,
                              uint32_t *flags)
{
    uint32_t host;
    asm volatile("stmxcsr %0" : "=m"(host));
    asm volatile("ldmxcsr %0" : : "m"(run));
    __m128i r = op(a, b, imm);
    *flags = fp_leave(host);
    return r;
}

static uint32_t fp_run_mxcsr(const X86CPU *cpu)
{
    return (cpu->mxcsr & (MXCSR_RC | MXCSR_DAZ | MXCSR_FTZ)) | MXCSR_MASKS;
}

static __attribute__((noinline, cold)) uint32_t fp_tiny_probe(const X86CPU *cpu, FpOp *op,
                                                              __m128i a, __m128i b, uint32_t imm)
{
    uint32_t probe;
    fp_exec(op, a, b, imm, fp_run_mxcsr(cpu) | MXCSR_FTZ, &probe);
    return probe & MXCSR_UE;
}

/* d = op(d, s). */
static inline void fp_vector(X86CPU *cpu, uint32_t d, uint32_t s, uint32_t imm, FpOp *op,
                             uintptr_t ra)
{
    __m128i a = vload(cpu, d), b = vload(cpu, s);
    uint32_t flags;
    __m128i r = fp_exec(op, a, b, imm, fp_run_mxcsr(cpu), &flags);
    if (__builtin_expect(!(cpu->mxcsr & (MXCSR_UE << MXCSR_MASK_SHIFT)), 0)) {
        flags |= fp_tiny_probe(cpu, op, a, b, imm);
    }
    fp_finish(cpu, flags, ra);
    vstore(cpu, d, r);
}

#define HOST_OP(name)                                                       \
    static inline __m128i host_##name(__m128i a, __m128i b, uint32_t imm)   \
    {                                                                       \
        (void)imm;                                                          \
        asm volatile(#name " %1, %0" : "+x"(a) : "x"(b));                   \
        return a;                                                           \
    }

#define FP_BINOP(name, host_check)                                          \
    HOST_OP(name)                                                           \
    void helper_##name(void *env, uint32_t d, uint32_t s)                   \
    {                                                                       \
        host_check;                                                         \
        fp_vector(env, d, s, 0, host_##name, TCG_GETPC());                  \
    }

#define BASE (void)0
#define SSE3 fp_require_host(env, false, TCG_GETPC())

FP_BINOP(addps, BASE) FP_BINOP(addpd, BASE) FP_BINOP(addss, BASE) FP_BINOP(addsd, BASE)
FP_BINOP(subps, BASE) FP_BINOP(subpd, BASE) FP_BINOP(subss, BASE) FP_BINOP(subsd, BASE)
FP_BINOP(mulps, BASE) FP_BINOP(mulpd, BASE) FP_BINOP(mulss, BASE) FP_BINOP(mulsd, BASE)
FP_BINOP(divps, BASE) FP_BINOP(divpd, BASE) FP_BINOP(divss, BASE) FP_BINOP(divsd, BASE)
FP_BINOP(minps, BASE) FP_BINOP(minpd, BASE) FP_BINOP(minss, BASE) FP_BINOP(minsd, BASE)
FP_BINOP(maxps, BASE) FP_BINOP(maxpd, BASE) FP_BINOP(maxss, BASE) FP_BINOP(maxsd, BASE)
/* Scalar forms keep the destination's upper lanes: d is an input too. */
FP_BINOP(sqrtps, BASE) FP_BINOP(sqrtpd, BASE) FP_BINOP(sqrtss, BASE)
FP_BINOP(sqrtsd, BASE)
FP_BINOP(rcpps, BASE) FP_BINOP(rcpss, BASE) FP_BINOP(rsqrtps, BASE)
FP_BINOP(rsqrtss, BASE)
FP_BINOP(addsubps, SSE3) FP_BINOP(addsubpd, SSE3)
FP_BINOP(haddps, SSE3) FP_BINOP(haddpd, SSE3) FP_BINOP(hsubps, SSE3)
FP_BINOP(hsubpd, SSE3)
FP_BINOP(cvtps2pd, BASE) FP_BINOP(cvtpd2ps, BASE) FP_BINOP(cvtss2sd, BASE)
FP_BINOP(cvtsd2ss, BASE) FP_BINOP(cvtdq2ps, BASE) FP_BINOP(cvtps2dq, BASE)
FP_BINOP(cvttps2dq, BASE) FP_BINOP(cvtdq2pd, BASE) FP_BINOP(cvtpd2dq, BASE)
FP_BINOP(cvttpd2dq, BASE)

/* ---- compare with a predicate (legacy SSE: imm8[2:0]), ROUNDxx (imm8[3:0]) ---- */
#define IMM_CASE(insn, k)                                                   \
    case k:                                                                 \
        asm volatile(insn " $" #k ", %1, %0" : "+x"(a) : "x"(b));           \
        break;

#define FP_CMP(name)                                                        \
    static inline __m128i host_##name(__m128i a, __m128i b, uint32_t imm)   \
    {                                                                       \
        switch (imm & 7) {                                                  \
        IMM_CASE(#name, 0) IMM_CASE(#name, 1) IMM_CASE(#name, 2)            \
        IMM_CASE(#name, 3) IMM_CASE(#name, 4) IMM_CASE(#name, 5)            \
        IMM_CASE(#name, 6) IMM_CASE(#name, 7)                               \
        }                                                                   \
        return a;                                                           \
    }                                                                       \
    void helper_##name(void *env, uint32_t d, uint32_t s, uint32_t imm)     \
    {                                                                       \
        fp_vector(env, d, s, imm, host_##name, TCG_GETPC());                \
    }

FP_CMP(cmpps) FP_CMP(cmppd) FP_CMP(cmpss) FP_CMP(cmpsd)

#define FP_ROUND(name)                                                      \
    static inline __m128i host_##name(__m128i a, __m128i b, uint32_t imm)   \
    {                                                                       \
        switch (imm & 15) {                                                 \
        IMM_CASE(#name, 0) IMM_CASE(#name, 1) IMM_CASE(#name, 2)            \
        IMM_CASE(#name, 3) IMM_CASE(#name, 4) IMM_CASE(#name, 5)            \
        IMM_CASE(#name, 6) IMM_CASE(#name, 7) IMM_CASE(#name, 8)            \
        IMM_CASE(#name, 9) IMM_CASE(#name, 10) IMM_CASE(#name, 11)          \
        IMM_CASE(#name, 12) IMM_CASE(#name, 13) IMM_CASE(#name, 14)         \
        IMM_CASE(#name, 15)                                                 \
        }                                                                   \
        return a;                                                           \
    }                                                                       \
    void helper_##name(void *env, uint32_t d, uint32_t s, uint32_t imm)     \
    {                                                                       \
        fp_require_host(env, true, TCG_GETPC());                            \
        fp_vector(env, d, s, imm, host_##name, TCG_GETPC());                \
    }

FP_ROUND(roundps) FP_ROUND(roundpd) FP_ROUND(roundss) FP_ROUND(roundsd)

/*
 * DPPS/DPPD: a lane left out of the products (imm8[7:4]) contributes +0.0
 * and raises nothing, exactly like a product of two zeros; so zero both
 * inputs there, let the host sum every lane, and clear the result lanes not
 * selected by imm8[3:0].
 */
static __m128i lane_mask32(unsigned bits)
{
    return _mm_set_epi32((bits & 8) ? -1 : 0, (bits & 4) ? -1 : 0, (bits & 2) ? -1 : 0,
                         (bits & 1) ? -1 : 0);
}

static __m128i lane_mask64(unsigned bits)
{
    return _mm_set_epi64x((bits & 2) ? -1 : 0, (bits & 1) ? -1 : 0);
}

static inline __m128i host_dpps(__m128i a, __m128i b, uint32_t imm)
{
    __m128i in = lane_mask32(imm >> 4);
    a = _mm_and_si128(a, in);
    b = _mm_and_si128(b, in);
    asm volatile("dpps $0xff, %1, %0" : "+x"(a) : "x"(b));
    return _mm_and_si128(a, lane_mask32(imm));
}

static inline __m128i host_dppd(__m128i a, __m128i b, uint32_t imm)
{
    __m128i in = lane_mask64(imm >> 4);
    a = _mm_and_si128(a, in);
    b = _mm_and_si128(b, in);
    asm volatile("dppd $0x33, %1, %0" : "+x"(a) : "x"(b));
    return _mm_and_si128(a, lane_mask64(imm));
}

void helper_dpps(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    fp_require_host(env, true, TCG_GETPC());
    fp_vector(env, d, s, imm, host_dpps, TCG_GETPC());
}

void helper_dppd(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    fp_require_host(env, true, TCG_GETPC());
    fp_vector(env, d, s, imm, host_dppd, TCG_GETPC());
}

/* ---- COMISS & co: ZF, PF, CF; OF, SF, AF cleared ---- */
#define FP_COMI(name)                                                       \
    uint64_t helper_##name(void *env, uint32_t d, uint32_t s)               \
    {                                                                       \
        X86CPU *cpu = env;                                                  \
        __m128i a = vload(env, d), b = vload(env, s);                       \
        bool zf, pf, cf;                                                    \
        uint32_t host = fp_enter(cpu);                                      \
        asm volatile(#name " %4, %3"                                        \
                     : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf)                \
                     : "x"(a), "x"(b));                                     \
        fp_finish(cpu, fp_leave(host), TCG_GETPC());                        \
        return (zf ? X86_EFLAGS_ZF : 0) | (pf ? X86_EFLAGS_PF : 0) |        \
               (cf ? X86_EFLAGS_CF : 0);                                    \
    }

FP_COMI(comiss) FP_COMI(ucomiss) FP_COMI(comisd) FP_COMI(ucomisd)

/* ---- MMX <-> XMM conversions, done on XMM lanes (never host MMX, which
 * would disturb the host's x87 state); the unused lanes are +0/0, exact ---- */
void helper_cvtpi2ps(void *env, uint32_t d, uint32_t s)
{
    X86CPU *cpu = env;
    __m128i t = vlow64(sse_mmx_get(env, s));
    uint32_t host = fp_enter(cpu);
    asm volatile("cvtdq2ps %0, %0" : "+x"(t));
    fp_finish(cpu, fp_leave(host), TCG_GETPC());
    sse_xmm_at(env, d)->q[0] = vget64(t);
}

void helper_cvtpi2pd(void *env, uint32_t d, uint32_t s)
{
    X86CPU *cpu = env;
    __m128i t = vlow64(sse_mmx_get(env, s));
    uint32_t host = fp_enter(cpu);
    asm volatile("cvtdq2pd %0, %0" : "+x"(t));
    fp_finish(cpu, fp_leave(host), TCG_GETPC());
    vstore(env, d, t);
}

#define FP_TO_MMX(name, insn, src)                                          \
    void helper_##name(void *env, uint32_t d, uint32_t s)                   \
    {                                                                       \
        X86CPU *cpu = env;                                                  \
        __m128i t = (src);                                                  \
        uint32_t host = fp_enter(cpu);                                      \
        asm volatile(insn " %0, %0" : "+x"(t));                             \
        fp_finish(cpu, fp_leave(host), TCG_GETPC());                        \
        sse_mmx_put(env, d, vget64(t));                                     \
    }

FP_TO_MMX(cvtps2pi, "cvtps2dq", vlow64(sse_xmm_at(env, s)->q[0]))
FP_TO_MMX(cvttps2pi, "cvttps2dq", vlow64(sse_xmm_at(env, s)->q[0]))
FP_TO_MMX(cvtpd2pi, "cvtpd2dq", vload(env, s))
FP_TO_MMX(cvttpd2pi, "cvttpd2dq", vload(env, s))

/* ---- general register <-> scalar ---- */
#define FP_FROM_INT(name, insn)                                             \
    void helper_##name(void *env, uint32_t d, uint64_t value, uint32_t size) \
    {                                                                       \
        X86CPU *cpu = env;                                                  \
        __m128i a = vload(env, d);                                          \
        uint32_t host = fp_enter(cpu);                                      \
        if (size == 8) {                                                    \
            asm volatile(insn "q %1, %0" : "+x"(a) : "r"(value));           \
        } else {                                                            \
            asm volatile(insn "l %1, %0" : "+x"(a) : "r"((uint32_t)value)); \
        }                                                                   \
        fp_finish(cpu, fp_leave(host), TCG_GETPC());                        \
        vstore(env, d, a);                                                  \
    }

FP_FROM_INT(cvtsi2ss, "cvtsi2ss") FP_FROM_INT(cvtsi2sd, "cvtsi2sd")

#define FP_TO_INT(name)                                                     \
    uint64_t helper_##name(void *env, uint32_t s, uint32_t size)            \
    {                                                                       \
        X86CPU *cpu = env;                                                  \
        __m128i b = vload(env, s);                                          \
        uint64_t r;                                                         \
        uint32_t host = fp_enter(cpu);                                      \
        if (size == 8) {                                                    \
            asm volatile(#name " %1, %q0" : "=r"(r) : "x"(b));              \
        } else {                                                            \
            uint32_t r32;                                                   \
            asm volatile(#name " %1, %k0" : "=r"(r32) : "x"(b));            \
            r = r32;                                                        \
        }                                                                   \
        fp_finish(cpu, fp_leave(host), TCG_GETPC());                        \
        return r;                                                           \
    }

FP_TO_INT(cvtss2si) FP_TO_INT(cvttss2si) FP_TO_INT(cvtsd2si) FP_TO_INT(cvttsd2si)
