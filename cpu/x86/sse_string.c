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

/* The n elements of x as ints, signed or not as ctl says. */
static void load_elements(const X86XmmReg *x, unsigned ctl, unsigned n, int *e)
{
    for (unsigned i = 0; i < n; i++) {
        if (ctl & STR_WORDS) {
            e[i] = (ctl & STR_SIGNED) ? (int16_t)x->w[i] : x->w[i];
        } else {
            e[i] = (ctl & STR_SIGNED) ? (int8_t)x->b[i] : x->b[i];
        }
    }
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
static unsigned implicit_length(const int *e, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (e[i] == 0) {
            return i;
        }
    }
    return n;
}

/*
 * IntRes2 of the comparison of a (reg, la valid elements) with b (reg/mem,
 * lb valid). The C library's strspn/strcspn/strpbrk run "equal any" on
 * bytes for every 16 bytes of a string: a set of a's bytes makes that
 * la + lb steps instead of la * lb.
 */
static unsigned compare(const int *a, unsigned la, const int *b, unsigned lb, unsigned ctl,
                        unsigned n)
{
    unsigned res = 0;
    switch ((ctl >> STR_AGG_SHIFT) & 3) {
    case AGG_EQUAL_ANY:
        if (!(ctl & STR_WORDS)) {
            uint64_t set[4] = { 0, 0, 0, 0 };
            for (unsigned i = 0; i < la; i++) {
                unsigned v = (unsigned)a[i] & 0xff;
                set[v >> 6] |= 1ull << (v & 63);
            }
            for (unsigned j = 0; j < lb; j++) {
                unsigned v = (unsigned)b[j] & 0xff;
                res |= (unsigned)((set[v >> 6] >> (v & 63)) & 1) << j;
            }
            break;
        }
        for (unsigned j = 0; j < lb; j++) {
            for (unsigned i = 0; i < la; i++) {
                if (a[i] == b[j]) {
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
            int v = b[j];
            for (unsigned i = 0; i + 1 < la; i += 2) {
                if (a[i] <= v && v <= a[i + 1]) {
                    res |= 1u << j;
                    break;
                }
            }
        }
        break;
    case AGG_EQUAL_EACH:
        for (unsigned i = 0; i < n; i++) {
            bool va = i < la, vb = i < lb;
            bool eq = (va && vb) ? a[i] == b[i] : !va && !vb;
            res |= (unsigned)eq << i;
        }
        break;
    case AGG_EQUAL_ORDERED:
        /* Substring search: a (the needle) matches b starting at j; needle
         * elements past la always match, haystack ones past lb never do. */
        for (unsigned j = 0; j < n; j++) {
            bool match = true;
            for (unsigned k = 0; k + j < n && k < la; k++) {
                if (j + k >= lb || a[k] != b[j + k]) {
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

/* IntRes2, la and lb of the explicit-length forms. */
static unsigned run_explicit(void *env, uint32_t d, uint32_t s, uint32_t ctl, uint64_t rax,
                             uint64_t rdx, unsigned *la, unsigned *lb)
{
    int a[16], b[16];
    unsigned n = elements(ctl);
    load_elements(sse_xmm_at(env, d), ctl, n, a);
    load_elements(sse_xmm_at(env, s), ctl, n, b);
    *la = explicit_length(rax, ctl, n);
    *lb = explicit_length(rdx, ctl, n);
    return compare(a, *la, b, *lb, ctl, n);
}

/* Index of the first zero byte of x, 16 if none: per 64-bit half, the
 * lowest byte whose top bit survives (v - 0x01..) & ~v & 0x80.. is the first
 * zero one (a borrow only marks bytes above a zero byte). */
static unsigned first_zero_byte(const X86XmmReg *x)
{
    for (unsigned h = 0; h < 2; h++) {
        uint64_t v = x->q[h];
        uint64_t t = (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull;
        if (t) {
            return 8 * h + (unsigned)__builtin_ctzll(t) / 8;
        }
    }
    return 16;
}

/* Bit i set when byte i of a equals byte i of b. */
static unsigned equal_bytes(const X86XmmReg *a, const X86XmmReg *b)
{
    unsigned m = 0;
    for (unsigned h = 0; h < 2; h++) {
        uint64_t x = a->q[h] ^ b->q[h];
        uint64_t low = 0x7f7f7f7f7f7f7f7full;
        uint64_t nz = ((x & low) + low) | x;                 /* top bit: byte nonzero */
        uint64_t eq = ~nz & 0x8080808080808080ull;
        m |= (unsigned)((eq * 0x0002040810204081ull) >> 56) << (8 * h);
    }
    return m;
}

/*
 * The implicit-length byte forms the C library uses (strspn, strcspn,
 * strpbrk: "equal any"; strcmp and friends: "equal each"), without
 * unpacking elements. Equality does not depend on signedness. False: not
 * one of them.
 */
static bool implicit_bytes(const X86XmmReg *a, const X86XmmReg *b, uint32_t ctl, unsigned *res,
                           unsigned *la, unsigned *lb)
{
    unsigned agg = (ctl >> STR_AGG_SHIFT) & 3;
    if ((ctl & STR_WORDS) || (agg != AGG_EQUAL_ANY && agg != AGG_EQUAL_EACH)) {
        return false;
    }
    unsigned r = 0;
    *la = first_zero_byte(a);
    *lb = first_zero_byte(b);
    if (agg == AGG_EQUAL_ANY) {
        uint64_t set[4] = { 0, 0, 0, 0 };
        for (unsigned i = 0; i < *la; i++) {
            set[a->b[i] >> 6] |= 1ull << (a->b[i] & 63);
        }
        for (unsigned j = 0; j < *lb; j++) {
            r |= (unsigned)((set[b->b[j] >> 6] >> (b->b[j] & 63)) & 1) << j;
        }
    } else {
        /* Both valid: equal; one valid: false; neither: true. */
        unsigned lo = *la < *lb ? *la : *lb, hi = *la < *lb ? *lb : *la;
        r = (equal_bytes(a, b) & ((1u << lo) - 1)) | (0xffffu & ~((1u << hi) - 1));
    }
    switch ((ctl >> STR_POL_SHIFT) & 3) {
    case 1:
        r ^= 0xffff;
        break;
    case 3:
        r ^= (1u << *lb) - 1;
        break;
    default:
        break;
    }
    *res = r & 0xffff;
    return true;
}

static unsigned run_implicit(void *env, uint32_t d, uint32_t s, uint32_t ctl, unsigned *la,
                             unsigned *lb)
{
    unsigned res;
    if (implicit_bytes(sse_xmm_at(env, d), sse_xmm_at(env, s), ctl, &res, la, lb)) {
        return res;
    }
    int a[16], b[16];
    unsigned n = elements(ctl);
    load_elements(sse_xmm_at(env, d), ctl, n, a);
    load_elements(sse_xmm_at(env, s), ctl, n, b);
    *la = implicit_length(a, n);
    *lb = implicit_length(b, n);
    return compare(a, *la, b, *lb, ctl, n);
}

uint64_t helper_pcmpestri(void *env, uint32_t d, uint32_t s, uint32_t ctl, uint64_t rax,
                          uint64_t rdx)
{
    unsigned la, lb, n = elements(ctl);
    unsigned res = run_explicit(env, d, s, ctl, rax, rdx, &la, &lb);
    return string_flags(res, la, lb, n) | string_index(res, ctl, n) << 32;
}

uint64_t helper_pcmpestrm(void *env, uint32_t d, uint32_t s, uint32_t ctl, uint64_t rax,
                          uint64_t rdx)
{
    unsigned la, lb, n = elements(ctl);
    unsigned res = run_explicit(env, d, s, ctl, rax, rdx, &la, &lb);
    string_mask(env, res, ctl, n);
    return string_flags(res, la, lb, n);
}

uint64_t helper_pcmpistri(void *env, uint32_t d, uint32_t s, uint32_t ctl)
{
    unsigned la, lb, n = elements(ctl);
    unsigned res = run_implicit(env, d, s, ctl, &la, &lb);
    return string_flags(res, la, lb, n) | string_index(res, ctl, n) << 32;
}

uint64_t helper_pcmpistrm(void *env, uint32_t d, uint32_t s, uint32_t ctl)
{
    unsigned la, lb, n = elements(ctl);
    unsigned res = run_implicit(env, d, s, ctl, &la, &lb);
    string_mask(env, res, ctl, n);
    return string_flags(res, la, lb, n);
}
