/*
 * SSE4.2 PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM: source formats, aggregations,
 * polarities, output selection and the invalid-element overrides.
 * Ref: SDM vol. 2 4.1 (Tables 4-7..4-10). Leaves out: nothing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/x86/sse_helper.h"

enum {
    STR_WORDS = 1u << 0,      /* imm8[0]: 16-bit elements */
    STR_SIGNED = 1u << 1,     /* imm8[1]: signed elements */
    STR_AGG_SHIFT = 2,        /* imm8[3:2] */
    STR_POL_SHIFT = 4,        /* imm8[5:4] */
    STR_MSB = 1u << 6,        /* imm8[6]: STRI most significant index / STRM unit mask */
    STR_REXW = SSE_STR_REXW,  /* not in imm8: REX.W (64-bit lengths) */
};

enum { AGG_EQUAL_ANY, AGG_RANGES, AGG_EQUAL_EACH, AGG_EQUAL_ORDERED };

static int element(const X86XmmReg *x, unsigned i, unsigned ctl)
{
    if (ctl & STR_WORDS) {
        return (ctl & STR_SIGNED) ? (int16_t)x->w[i] : x->w[i];
    }
    return (ctl & STR_SIGNED) ? (int8_t)x->b[i] : x->b[i];
}

/* Explicit length: |value| saturated to the element count (EAX/EDX, or
 * RAX/RDX with REX.W). */
static unsigned explicit_length(uint64_t value, unsigned ctl, unsigned n)
{
    int64_t v = (ctl & STR_REXW) ? (int64_t)value : (int64_t)(int32_t)value;
    if (v < -(int64_t)n || v > (int64_t)n) {
        return n;
    }
    return (unsigned)(v < 0 ? -v : v);
}

/* Implicit length: the index of the first zero element. */
static unsigned implicit_length(const X86XmmReg *x, unsigned ctl, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (element(x, i, ctl) == 0) {
            return i;
        }
    }
    return n;
}

/*
 * IntRes2 of the comparison of a (reg, la valid elements) with b (reg/mem,
 * lb valid); writes the flags that do not depend on the output form.
 */
static unsigned compare(const X86XmmReg *a, unsigned la, const X86XmmReg *b, unsigned lb,
                        unsigned ctl, unsigned n)
{
    unsigned res = 0;
    switch ((ctl >> STR_AGG_SHIFT) & 3) {
    case AGG_EQUAL_ANY:
        for (unsigned j = 0; j < lb; j++) {
            for (unsigned i = 0; i < la; i++) {
                if (element(a, i, ctl) == element(b, j, ctl)) {
                    res |= 1u << j;
                    break;
                }
            }
        }
        break;
    case AGG_RANGES:
        /* Element pairs of a are [low, high] ranges; an odd last one is
         * compared but cannot pair (its partner is invalid: false). */
        for (unsigned j = 0; j < lb; j++) {
            int v = element(b, j, ctl);
            for (unsigned i = 0; i + 1 < la; i += 2) {
                if (element(a, i, ctl) <= v && v <= element(a, i + 1, ctl)) {
                    res |= 1u << j;
                    break;
                }
            }
        }
        break;
    case AGG_EQUAL_EACH:
        for (unsigned i = 0; i < n; i++) {
            bool va = i < la, vb = i < lb;
            bool eq = (va && vb) ? element(a, i, ctl) == element(b, i, ctl) : !va && !vb;
            res |= (unsigned)eq << i;
        }
        break;
    case AGG_EQUAL_ORDERED:
        /* Substring search: a (the needle) matches b starting at j; needle
         * elements past la always match, haystack ones past lb never do. */
        for (unsigned j = 0; j < n; j++) {
            bool match = true;
            for (unsigned k = 0; k + j < n && k < la; k++) {
                if (j + k >= lb || element(a, k, ctl) != element(b, j + k, ctl)) {
                    match = false;
                    break;
                }
            }
            res |= (unsigned)match << j;
        }
        break;
    }

    unsigned all = (1u << n) - 1;
    switch ((ctl >> STR_POL_SHIFT) & 3) {
    case 1:                                     /* negative */
        res ^= all;
        break;
    case 3:                                     /* masked negative: valid elements of b */
        res ^= (1u << lb) - 1;
        break;
    default:                                    /* positive, masked positive */
        break;
    }
    return res & all;
}

static uint32_t string_flags(unsigned res, unsigned la, unsigned lb, unsigned n)
{
    return (res ? X86_EFLAGS_CF : 0) | (lb < n ? X86_EFLAGS_ZF : 0) |
           (la < n ? X86_EFLAGS_SF : 0) | ((res & 1) ? X86_EFLAGS_OF : 0);
}

static uint64_t string_index(unsigned res, unsigned ctl, unsigned n)
{
    if (res == 0) {
        return n;
    }
    return (ctl & STR_MSB) ? 31u - (unsigned)__builtin_clz(res) : (unsigned)__builtin_ctz(res);
}

static void string_mask(X86CPU *cpu, unsigned res, unsigned ctl, unsigned n)
{
    X86XmmReg m;
    memset(&m, 0, sizeof(m));
    if (!(ctl & STR_MSB)) {
        m.w[0] = (uint16_t)res;
    } else if (ctl & STR_WORDS) {
        for (unsigned i = 0; i < n; i++) {
            m.w[i] = ((res >> i) & 1) ? 0xffff : 0;
        }
    } else {
        for (unsigned i = 0; i < n; i++) {
            m.b[i] = ((res >> i) & 1) ? 0xff : 0;
        }
    }
    cpu->xmm[0] = m;
}

static unsigned elements(unsigned ctl)
{
    return (ctl & STR_WORDS) ? 8 : 16;
}

uint64_t helper_pcmpestri(void *env, uint32_t d, uint32_t s, uint32_t ctl, uint64_t rax,
                          uint64_t rdx)
{
    const X86XmmReg *a = sse_xmm_at(env, d), *b = sse_xmm_at(env, s);
    unsigned n = elements(ctl);
    unsigned la = explicit_length(rax, ctl, n), lb = explicit_length(rdx, ctl, n);
    unsigned res = compare(a, la, b, lb, ctl, n);
    return string_flags(res, la, lb, n) | string_index(res, ctl, n) << 32;
}

uint64_t helper_pcmpestrm(void *env, uint32_t d, uint32_t s, uint32_t ctl, uint64_t rax,
                          uint64_t rdx)
{
    const X86XmmReg *a = sse_xmm_at(env, d), *b = sse_xmm_at(env, s);
    unsigned n = elements(ctl);
    unsigned la = explicit_length(rax, ctl, n), lb = explicit_length(rdx, ctl, n);
    unsigned res = compare(a, la, b, lb, ctl, n);
    string_mask(env, res, ctl, n);
    return string_flags(res, la, lb, n);
}

uint64_t helper_pcmpistri(void *env, uint32_t d, uint32_t s, uint32_t ctl)
{
    const X86XmmReg *a = sse_xmm_at(env, d), *b = sse_xmm_at(env, s);
    unsigned n = elements(ctl);
    unsigned la = implicit_length(a, ctl, n), lb = implicit_length(b, ctl, n);
    unsigned res = compare(a, la, b, lb, ctl, n);
    return string_flags(res, la, lb, n) | string_index(res, ctl, n) << 32;
}

uint64_t helper_pcmpistrm(void *env, uint32_t d, uint32_t s, uint32_t ctl)
{
    const X86XmmReg *a = sse_xmm_at(env, d), *b = sse_xmm_at(env, s);
    unsigned n = elements(ctl);
    unsigned la = implicit_length(a, ctl, n), lb = implicit_length(b, ctl, n);
    unsigned res = compare(a, la, b, lb, ctl, n);
    string_mask(env, res, ctl, n);
    return string_flags(res, la, lb, n);
}
