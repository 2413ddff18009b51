/*
 * The host CPU as the oracle of the SSE/MMX helper tests: one instruction given as
 * bytes runs natively between loads and stores of XMM0-2, MM0-1, RAX/RCX/RDX, MXCSR,
 * RFLAGS; plus operand generators of edge values (saturation, NaN, denormal, inf).
 */
#ifndef TESTS_CPU_X86_SSE_TEST_HOST_H
#define TESTS_CPU_X86_SSE_TEST_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/sse_helper.h"

typedef struct HostState {
    X86XmmReg xmm[3];       /* 0 */
    uint64_t rax, rdx, rcx; /* 48 */
    uint32_t mxcsr, pad;    /* 72 */
    uint64_t rflags;        /* 80 */
    uint64_t mm[2];         /* 88 */
    uint32_t host_mxcsr;    /* 104 */
} HostState;

_Static_assert(offsetof(HostState, rax) == 48 && offsetof(HostState, mxcsr) == 72 &&
               offsetof(HostState, rflags) == 80 && offsetof(HostState, mm) == 88 &&
               offsetof(HostState, host_mxcsr) == 104, "offsets used by host_run's asm");

static uint8_t *host_code_page;

/* Run one instruction (`len` bytes) on the host with the registers of *st. */
static __attribute__((unused)) void host_run(const uint8_t *insn, unsigned len, HostState *st)
{
    if (!host_code_page) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            abort();
        }
        host_code_page = p;
    }
    memcpy(host_code_page, insn, len);
    host_code_page[len] = 0xc3;                 /* ret */
    asm volatile("movdqu 0(%0), %%xmm0\n\t"
                 "movdqu 16(%0), %%xmm1\n\t"
                 "movdqu 32(%0), %%xmm2\n\t"
                 "movq 88(%0), %%mm0\n\t"
                 "movq 96(%0), %%mm1\n\t"
                 "mov 48(%0), %%rax\n\t"
                 "mov 56(%0), %%rdx\n\t"
                 "mov 64(%0), %%rcx\n\t"
                 "stmxcsr 104(%0)\n\t"
                 "ldmxcsr 72(%0)\n\t"
                 "lea -128(%%rsp), %%rsp\n\t"   /* keep clear of the red zone */
                 "call *%1\n\t"
                 "lea 128(%%rsp), %%rsp\n\t"     /* flags untouched */
                 "pushfq\n\t"
                 "popq 80(%0)\n\t"
                 "stmxcsr 72(%0)\n\t"
                 "ldmxcsr 104(%0)\n\t"
                 "movdqu %%xmm0, 0(%0)\n\t"
                 "movdqu %%xmm1, 16(%0)\n\t"
                 "movdqu %%xmm2, 32(%0)\n\t"
                 "movq %%mm0, 88(%0)\n\t"
                 "movq %%mm1, 96(%0)\n\t"
                 "emms\n\t"
                 "mov %%rax, 48(%0)\n\t"
                 "mov %%rdx, 56(%0)\n\t"
                 "mov %%rcx, 64(%0)\n\t"
                 :
                 : "r"(st), "r"(host_code_page)
                 : "rax", "rcx", "rdx", "xmm0", "xmm1", "xmm2", "mm0", "mm1", "memory", "cc");
}

static __attribute__((unused)) bool host_has(const char *feature)
{
    __builtin_cpu_init();
    if (!strcmp(feature, "ssse3")) {
        return __builtin_cpu_supports("ssse3");
    }
    if (!strcmp(feature, "sse4.1")) {
        return __builtin_cpu_supports("sse4.1");
    }
    if (!strcmp(feature, "sse4.2")) {
        return __builtin_cpu_supports("sse4.2");
    }
    if (!strcmp(feature, "aes")) {
        return __builtin_cpu_supports("aes");
    }
    if (!strcmp(feature, "pclmul")) {
        return __builtin_cpu_supports("pclmul");
    }
    return __builtin_cpu_supports("sse3");
}

/* ---- random operands ---- */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static __attribute__((unused)) uint64_t rnd64(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static __attribute__((unused)) unsigned rnd(unsigned n)
{
    return (unsigned)(rnd64() % n);
}

/* A byte, word, dword or qword lane from the integer edge values. */
static __attribute__((unused)) uint64_t rnd_int_lane(unsigned bytes)
{
    uint64_t bits = bytes * 8, max = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t sign = 1ull << (bits - 1);
    switch (rnd(10)) {
    case 0: return 0;
    case 1: return max;                          /* -1 */
    case 2: return sign;                         /* most negative */
    case 3: return sign - 1;                     /* most positive */
    case 4: return 1;
    case 5: return (sign + 1) & max;
    case 6: return rnd(64) & max;                /* small */
    default: return rnd64() & max;
    }
}

static __attribute__((unused)) void rnd_int_vec(X86XmmReg *x)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    unsigned lane = sizes[rnd(4)];
    for (unsigned i = 0; i < 16; i += lane) {
        uint64_t v = rnd_int_lane(lane);
        memcpy(&x->b[i], &v, lane);
    }
}

static __attribute__((unused)) uint32_t rnd_f32(void)
{
    static const uint32_t special[] = {
        0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
        0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0xff812345, 0x00000001,
        0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f000000,
        0x3fc00000, 0x40200000, 0xbfc00000, 0x4f000000, 0xcf000000, 0x4effffff,
        0x5f000000, 0xdf000000, 0x3effffff, 0x00400000, 0x4b000000, 0x4b7fffff,
        0x3f7fffff, 0x7e800000, 0x01000000, 0x33800000,
    };
    switch (rnd(4)) {
    case 0:
        return special[rnd(sizeof(special) / sizeof(special[0]))];
    case 1:                                      /* moderate exponents */
        return (uint32_t)(rnd64() & 0x807fffff) | (uint32_t)(110 + rnd(40)) << 23;
    case 2:                                      /* small integers and halves */
        {
            float f = (float)((int)rnd(64) - 32) / (float)(1 + rnd(4));
            uint32_t u;
            memcpy(&u, &f, 4);
            return u;
        }
    default:
        return (uint32_t)rnd64();
    }
}

static __attribute__((unused)) uint64_t rnd_f64(void)
{
    static const uint64_t special[] = {
        0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
        0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
        0xfff8000000000000ull, 0x7ff0000000000001ull, 0x7ff4000000000000ull,
        0x0000000000000001ull, 0x800fffffffffffffull, 0x0010000000000000ull,
        0x7fefffffffffffffull, 0x3fe0000000000000ull, 0x3ff8000000000000ull,
        0x41e0000000000000ull, 0xc1e0000000000000ull, 0x41dfffffffc00000ull,
        0x43e0000000000000ull, 0xc3e0000000000000ull, 0x4330000000000000ull,
        0x36a0000000000000ull, 0x47efffffe0000000ull, 0x47efffff00000000ull,
        0x3810000000000000ull, 0x380fffffffffffffull, 0x3fdfffffffffffffull,
    };
    switch (rnd(4)) {
    case 0:
        return special[rnd(sizeof(special) / sizeof(special[0]))];
    case 1:
        return (rnd64() & 0x800fffffffffffffull) | (uint64_t)(1000 + rnd(50)) << 52;
    case 2: {
        double f = (double)((int)rnd(64) - 32) / (double)(1 + rnd(4));
        uint64_t u;
        memcpy(&u, &f, 8);
        return u;
    }
    default:
        return rnd64();
    }
}

static __attribute__((unused)) void rnd_f32_vec(X86XmmReg *x)
{
    for (unsigned i = 0; i < 4; i++) {
        x->d[i] = rnd_f32();
    }
}

static __attribute__((unused)) void rnd_f64_vec(X86XmmReg *x)
{
    for (unsigned i = 0; i < 2; i++) {
        x->q[i] = rnd_f64();
    }
}

/* A guest MXCSR: random rounding, DAZ, FTZ and sticky flags, all masked. */
static __attribute__((unused)) uint32_t rnd_mxcsr(void)
{
    return MXCSR_MASKS | (uint32_t)rnd(4) << MXCSR_RC_SHIFT | (rnd(2) ? MXCSR_DAZ : 0) |
           (rnd(2) ? MXCSR_FTZ : 0) | (rnd(3) ? 0 : (uint32_t)rnd(64));
}

static __attribute__((unused)) bool xmm_equal(const X86XmmReg *a, const X86XmmReg *b)
{
    return a->q[0] == b->q[0] && a->q[1] == b->q[1];
}

#endif
