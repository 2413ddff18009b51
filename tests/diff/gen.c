/* Differential tests: the snippet generator.  Seed -> snippets (random
 * instructions of one class group, random state and window), assembled with
 * one `as` run per batch; writes the batch and a meta file (per-line offsets,
 * source and undefined-flag masks).  Reference: Intel SDM vol. 2 (flags),
 * vol. 1 10.5.1 (FXSAVE layout). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gen.h"

#define MAX_BATCH 100000

const char *const group_names[GROUP_COUNT] = {
    "int", "str", "x87", "mmx", "sse", "simd", "approx", "mix",
};

const char *const cc_names[16] = {
    "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
};
const uint32_t cc_reads[16] = {
    FL_OF, FL_OF, FL_CF, FL_CF, FL_ZF, FL_ZF, FL_CF | FL_ZF, FL_CF | FL_ZF,
    FL_SF, FL_SF, FL_PF, FL_PF, FL_SF | FL_OF, FL_SF | FL_OF,
    FL_ZF | FL_SF | FL_OF, FL_ZF | FL_SF | FL_OF,
};

HostFeatures host;

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "diff-gen: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(2);
}

/* ---- random numbers ---------------------------------------------------- */

uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

unsigned rng_below(Rng *r, unsigned n)
{
    return n ? (unsigned)(rng_next(r) % n) : 0;
}

bool rng_percent(Rng *r, unsigned percent)
{
    return rng_below(r, 100) < percent;
}

static uint64_t mask_bits(int bits)
{
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

/* Values that find bugs: zero, one, all ones, powers of two and their
 * neighbours, the sign boundaries of every width, small numbers, random. */
uint64_t rand_int(Rng *r, int bits)
{
    static const int widths[4] = { 8, 16, 32, 64 };
    unsigned k = rng_below(r, (unsigned)bits);
    int w = widths[rng_below(r, 4)];
    uint64_t v;

    switch (rng_below(r, 16)) {
    case 0: v = 0; break;
    case 1: v = 1; break;
    case 2: v = ~0ull; break;
    case 3: v = 1ull << k; break;
    case 4: v = (1ull << k) - 1; break;
    case 5: v = -(1ull << k); break;
    case 6: v = (1ull << k) + 1; break;
    case 7: v = mask_bits(w) >> 1; v += rng_below(r, 3) - 1u; break;
    case 8: v = (mask_bits(w) >> 1) + 1; v += rng_below(r, 3) - 1u; break;
    case 9: v = rng_below(r, 256); break;
    case 10: v = -(uint64_t)rng_below(r, 256); break;
    default: v = rng_next(r); break;
    }
    return v & mask_bits(bits);
}

uint32_t rand_f32(Rng *r)
{
    uint32_t sign = rng_percent(r, 40) ? 0x80000000u : 0;
    uint32_t mant = (uint32_t)rng_next(r) & 0x7fffff;
    float f;

    switch (rng_below(r, 20)) {
    case 0: return sign;
    case 1: return sign | 0x7f800000u;
    case 2: return sign | 0x7fc00000u | (rng_percent(r, 50) ? mant & 0x3fffff : 0);
    case 3: return sign | 0x7f800000u | (mant & 0x3fffff ? mant & 0x3fffff : 1);
    case 4: return sign | (mant ? mant : 1);                    /* denormal */
    case 5: return sign | 0x00800000u | (rng_percent(r, 50) ? 0 : mant);
    case 6: return sign | 0x7f7fffffu;
    case 7: f = (float)(int64_t)rand_int(r, 64); break;
    case 8: f = (float)(int32_t)rand_int(r, 32); break;
    case 9: f = (float)((int)rng_below(r, 64) - 32) + 0.5f; break;  /* halves */
    case 10: {
        static const float edges[] = { 2147483648.0f, 2147483520.0f, 4294967296.0f,
                                       9223372036854775808.0f, 32768.0f, 65536.0f, 1.0f };
        f = edges[rng_below(r, sizeof(edges) / sizeof(edges[0]))];
        break;
    }
    case 11: case 12: case 13:
        return sign | (uint32_t)(127 - 30 + rng_below(r, 60)) << 23 | mant;
    default: return (uint32_t)rng_next(r);
    }
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return bits ^ sign;
}

uint64_t rand_f64(Rng *r)
{
    uint64_t sign = rng_percent(r, 40) ? 1ull << 63 : 0;
    uint64_t mant = rng_next(r) & ((1ull << 52) - 1);
    double d;

    switch (rng_below(r, 20)) {
    case 0: return sign;
    case 1: return sign | 0x7ff0000000000000ull;
    case 2: return sign | 0x7ff8000000000000ull | (rng_percent(r, 50) ? mant >> 1 : 0);
    case 3: return sign | 0x7ff0000000000000ull | ((mant >> 1) ? mant >> 1 : 1);
    case 4: return sign | (mant ? mant : 1);
    case 5: return sign | 0x0010000000000000ull | (rng_percent(r, 50) ? 0 : mant);
    case 6: return sign | 0x7fefffffffffffffull;
    case 7: d = (double)(int64_t)rand_int(r, 64); break;
    case 8: d = (double)(int32_t)rand_int(r, 32); break;
    case 9: d = (double)((int)rng_below(r, 64) - 32) + 0.5; break;
    case 10: {
        static const double edges[] = { 2147483648.0, 2147483647.5, -2147483648.5,
                                        9223372036854775808.0, 9223372036854774784.0,
                                        18446744073709551616.0, 1.0, 3.0 };
        d = edges[rng_below(r, sizeof(edges) / sizeof(edges[0]))];
        break;
    }
    case 11: {
        float f;                             /* exactly representable as float */
        uint32_t b = rand_f32(r);
        memcpy(&f, &b, 4);
        d = f;
        break;
    }
    case 12: case 13: case 14:
        return sign | (uint64_t)(1023 - 60 + rng_below(r, 120)) << 52 | mant;
    default: return rng_next(r);
    }
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return bits ^ sign;
}

/* 80-bit extended values, including the encodings the x87 treats as
 * invalid operands (pseudo-denormal, unnormal, pseudo-NaN/infinity). */
void rand_f80(Rng *r, uint8_t out[10])
{
    uint16_t sign = rng_percent(r, 40) ? 0x8000 : 0;
    uint64_t mant = rng_next(r);
    uint16_t exp;
    long double ld;

    switch (rng_below(r, 24)) {
    case 0: exp = 0; mant = 0; break;
    case 1: exp = 0x7fff; mant = 1ull << 63; break;
    case 2: exp = 0x7fff; mant = 3ull << 62 | (rng_percent(r, 50) ? mant >> 2 : 0); break;
    case 3: exp = 0x7fff; mant = 1ull << 63 | ((mant >> 2) ? mant >> 2 : 1); break;
    case 4: exp = 0; mant >>= 1; if (!mant) mant = 1; break;       /* denormal */
    case 5: exp = 1; mant |= 1ull << 63; break;                    /* smallest normals */
    case 6: exp = 0x7ffe; mant |= 1ull << 63; break;
    case 7:                                           /* unsupported encodings */
        switch (rng_below(r, 3)) {
        case 0: exp = 0; mant |= 1ull << 63; break;                /* pseudo-denormal */
        case 1: exp = (uint16_t)(1 + rng_below(r, 0x7ffe)); mant &= ~(1ull << 63); break;
        default: exp = 0x7fff; mant &= ~(1ull << 63); break;      /* pseudo-NaN/inf */
        }
        break;
    case 8: case 9: ld = (long double)(int64_t)rand_int(r, 64); goto from_ld;
    case 10: ld = (long double)((int)rng_below(r, 64) - 32) + 0.5L; goto from_ld;
    case 11: {
        double d;
        uint64_t b = rand_f64(r);
        memcpy(&d, &b, 8);
        ld = d;
        goto from_ld;
    }
    case 12: ld = 1.0L; goto from_ld;
    case 13: exp = (uint16_t)(0x3fff - 64 + rng_below(r, 128)); mant |= 1ull << 63;
        mant &= ~0ull << rng_below(r, 64);                         /* short significand */
        break;
    default:
        exp = (uint16_t)(0x3fff - 100 + rng_below(r, 200));
        mant |= 1ull << 63;
        break;
    }
    memcpy(out, &mant, 8);
    exp |= sign;
    memcpy(out + 8, &exp, 2);
    return;
from_ld:
    memcpy(out, &ld, 10);
    out[9] ^= (uint8_t)(sign >> 8);
}

/* ---- registers ------------------------------------------------------ */

static const char *const names64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const names32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const names16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const names8[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const names8h[4] = { "ah", "ch", "dh", "bh" };

const char *reg_name(int reg, int size)
{
    if (reg & REG_HIGH8)
        return names8h[(reg & 0xff) - 4];
    switch (size) {
    case 1: return names8[reg];
    case 2: return names16[reg];
    case 4: return names32[reg];
    default: return names64[reg];
    }
}

char size_suffix(int size)
{
    return size == 1 ? 'b' : size == 2 ? 'w' : size == 4 ? 'l' : 'q';
}

int gen_reg(Gen *g, uint32_t avoid)
{
    if ((avoid & 0xffff) == 0xffff)
        abort();
    for (;;) {
        int r = (int)rng_below(&g->rng, 16);
        if (!(avoid & (1u << r)))
            return r;
    }
}

/* ---- emission and flag tracking ---------------------------------------- */

static Line *new_line(Gen *g)
{
    if (g->nlines >= GEN_MAX_LINES)
        die("snippet too long (seed %016llx)", (unsigned long long)g->seed);
    Line *l = &g->lines[g->nlines++];
    memset(l, 0, sizeof(*l));
    l->uflags = g->uflags;
    l->x87u = g->x87u;
    return l;
}

bool gen_defined(const Gen *g, uint32_t flags)
{
    return !(g->uflags & flags);
}

void gen_emit(Gen *g, const Fx *fx, const char *fmt, ...)
{
    va_list ap;
    Line *l = new_line(g);

    va_start(ap, fmt);
    int n = vsnprintf(l->text, sizeof(l->text), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(l->text))
        die("line too long: %s", l->text);
    if (!fx || g->dead)
        return;
    if ((fx->reads & g->uflags) || (fx->x87_reads & g->x87u))
        die("generator bug: '%s' reads undefined flags %x/%x (seed %016llx)", l->text,
            fx->reads & g->uflags, fx->x87_reads & g->x87u, (unsigned long long)g->seed);
    if (fx->maybe) {
        g->uflags |= fx->undef;
        g->x87u |= fx->x87_undef;
    } else {
        g->uflags = (g->uflags & ~(fx->def | fx->undef)) | fx->undef;
        g->x87u = (g->x87u & ~(fx->x87_def | fx->x87_undef)) | fx->x87_undef;
    }
}

void gen_set_df(Gen *g, int df)
{
    if (!g->dead)
        g->df = df;
}

int gen_pick_cc(Gen *g)
{
    int start = (int)rng_below(&g->rng, 16);
    for (int i = 0; i < 16; i++) {
        int cc = (start + i) & 15;
        if (gen_defined(g, cc_reads[cc]))
            return cc;
    }
    return -1;
}

void gen_jump(Gen *g, const char *mnemonic, uint32_t reads, bool unconditional)
{
    if (g->nopen >= GEN_MAX_LABELS || (!gen_defined(g, reads) && !g->dead)) {
        gen_emit(g, NULL, "nop");
        return;
    }
    OpenLabel *l = &g->open[g->nopen++];
    l->id = g->next_label++;
    l->place_after = g->ninsns + 1 + (int)rng_below(&g->rng, 4);
    l->uflags = g->uflags;
    l->x87u = g->x87u;
    l->df = g->df;
    Fx fx = { .reads = reads };
    gen_emit(g, &fx, "%s .Ll%d", mnemonic, l->id);
    if (unconditional)
        g->dead = true;
}

static void place_label(Gen *g, int k)
{
    OpenLabel l = g->open[k];
    g->open[k] = g->open[--g->nopen];
    if (g->dead) {
        g->uflags = l.uflags;
        g->x87u = l.x87u;
        g->df = l.df;
        g->dead = false;
    } else {
        g->uflags |= l.uflags;
        g->x87u |= l.x87u;
        if (g->df != l.df)
            g->df = -1;
    }
    Line *line = new_line(g);
    line->is_label = true;
    line->label = l.id;
}

static void end_insn(Gen *g, bool last)
{
    g->ninsns++;
    for (int k = g->nopen - 1; k >= 0; k--)
        if (last || g->open[k].place_after <= g->ninsns)
            place_label(g, k);
}

/* ---- the data window and memory operands ------------------------------- */

void gen_mark_dirty(Gen *g, uint32_t offset, uint32_t size)
{
    for (uint32_t i = offset; i < offset + size && i < DIFF_WINDOW_SIZE; i++)
        g->dirty[i] = 1;
}

static bool window_clean(const Gen *g, uint32_t offset, uint32_t size)
{
    for (uint32_t i = offset; i < offset + size; i++)
        if (g->dirty[i])
            return false;
    return true;
}

void gen_set_window(Gen *g, uint32_t offset, const void *data, uint32_t size)
{
    if (offset + size > DIFF_WINDOW_SIZE || !window_clean(g, offset, size))
        die("generator bug: window write at %u", offset);
    memcpy(g->window + offset, data, size);
}

static uint32_t pick_offset(Gen *g, int size, int align, unsigned flags, bool *clean)
{
    uint32_t lo = 0, hi = DIFF_WINDOW_SIZE - (uint32_t)size, offset = 0;
    if (flags & MEM_MIDDLE) {
        lo = 1024;
        hi = 3072 - (uint32_t)size;
    }
    if (align < 1)
        align = 1;
    *clean = false;
    for (int tries = 0; tries < 64; tries++) {
        offset = (lo + rng_below(&g->rng, hi - lo + 1)) & ~(uint32_t)(align - 1);
        if (offset < lo)
            offset += (uint32_t)align;
        *clean = window_clean(g, offset, (uint32_t)size);
        if (!(flags & MEM_CLEAN) || *clean)
            break;
    }
    return offset;
}

uint32_t gen_mem(Gen *g, int size, int align, uint32_t avoid, unsigned flags,
                 char *out, size_t out_size)
{
    bool clean;
    uint32_t offset = pick_offset(g, size, align, flags, &clean);
    gen_mark_dirty(g, offset, (uint32_t)size);
    return gen_mem_at(g, offset, avoid, flags, out, out_size);
}

bool gen_mem_value(Gen *g, int size, int align, uint32_t avoid, unsigned flags,
                   const void *data, char *out, size_t out_size)
{
    bool clean;
    uint32_t offset = pick_offset(g, size, align, flags | MEM_CLEAN, &clean);
    if (clean)
        gen_set_window(g, offset, data, (uint32_t)size);
    gen_mark_dirty(g, offset, (uint32_t)size);
    gen_mem_at(g, offset, avoid, flags, out, out_size);
    return clean;
}

uint32_t gen_mem_at(Gen *g, uint32_t offset, uint32_t avoid, unsigned flags,
                    char *out, size_t out_size)
{
    Rng *r = &g->rng;
    uint64_t target = DIFF_WINDOW_ADDR + offset;
    uint32_t legacy = (flags & MEM_LEGACY) ? 0xff00u : 0;
    static const int scales[4] = { 1, 2, 4, 8 };
    unsigned kind = (flags & MEM_SIMPLE) ? 0 : rng_below(r, 100);

    g->mem_regs = 0;

    if (kind < 38) {                                   /* disp(base) */
        int base = gen_reg(g, avoid | legacy);
        int64_t disp = 0;
        switch (rng_below(r, 3)) {
        case 1: disp = (int64_t)rng_below(r, 256) - 128; break;
        case 2: disp = (int64_t)rng_below(r, 1 << 21) - (1 << 20); break;
        }
        g->mem_regs = 1u << base;
        gen_emit(g, NULL, "movl $0x%llx, %%%s", (unsigned long long)(target - (uint64_t)disp),
                 reg_name(base, 4));
        snprintf(out, out_size, "%lld(%%%s)", (long long)disp, reg_name(base, 8));
    } else if (kind < 62) {                            /* disp(base,index,scale) */
        int base = gen_reg(g, avoid | legacy);
        int index = gen_reg(g, avoid | legacy | 1u << base | 1u << R_RSP);
        int scale = scales[rng_below(r, 4)];
        int64_t iv = (int64_t)rng_below(r, 129) - 64;
        int64_t disp = rng_percent(r, 50) ? 0 : (int64_t)rng_below(r, 256) - 128;
        g->mem_regs = 1u << base | 1u << index;
        gen_emit(g, NULL, "movl $0x%llx, %%%s",
                 (unsigned long long)(target - (uint64_t)(iv * scale) - (uint64_t)disp),
                 reg_name(base, 4));
        gen_emit(g, NULL, "movq $%lld, %%%s", (long long)iv, reg_name(index, 8));
        snprintf(out, out_size, "%lld(%%%s,%%%s,%d)", (long long)disp, reg_name(base, 8),
                 reg_name(index, 8), scale);
    } else if (kind < 70) {                            /* disp32(,index,scale) */
        int index = gen_reg(g, avoid | legacy | 1u << R_RSP);
        int scale = scales[rng_below(r, 4)];
        uint64_t iv = (target >> 1) / (uint64_t)scale + rng_below(r, 4096);
        int64_t disp = (int64_t)(target - iv * (uint64_t)scale);
        g->mem_regs = 1u << index;
        gen_emit(g, NULL, "movl $0x%llx, %%%s", (unsigned long long)iv, reg_name(index, 4));
        snprintf(out, out_size, "%lld(,%%%s,%d)", (long long)disp, reg_name(index, 8), scale);
    } else if (kind < 78) {                            /* absolute disp32 */
        snprintf(out, out_size, "0x%llx", (unsigned long long)target);
    } else if (kind < 88 || (flags & MEM_NO_A32)) {    /* RIP-relative */
        int64_t rel = (int64_t)target - (int64_t)DIFF_CODE_ADDR;
        snprintf(out, out_size, ".Ls%s0x%llx(%%rip)", rel < 0 ? "-" : "+",
                 (unsigned long long)(rel < 0 ? -rel : rel));
    } else {                                           /* 32-bit address size, wraps */
        int base = gen_reg(g, avoid | legacy);
        int index = gen_reg(g, avoid | legacy | 1u << base | 1u << R_RSP);
        int scale = scales[rng_below(r, 4)];
        uint32_t bv = (uint32_t)rng_next(r), iv = rng_below(r, 256);
        int32_t disp = (int32_t)(uint32_t)(target - bv - iv * (uint32_t)scale);
        g->mem_regs = 1u << base | 1u << index;
        gen_emit(g, NULL, "movl $0x%x, %%%s", bv, reg_name(base, 4));
        gen_emit(g, NULL, "movl $%u, %%%s", iv, reg_name(index, 4));
        snprintf(out, out_size, "%d(%%%s,%%%s,%d)", disp, reg_name(base, 4),
                 reg_name(index, 4), scale);
    }
    return offset;
}

/* ---- initial state ------------------------------------------------------ */

static void fill_window(Gen *g)
{
    Rng *r = &g->rng;
    for (uint32_t b = 0; b < DIFF_WINDOW_SIZE; b += 64) {
        uint8_t *p = g->window + b;
        switch (rng_below(r, 11)) {
        case 0:
            for (int i = 0; i < 64; i += 8) {
                uint64_t v = rng_next(r);
                memcpy(p + i, &v, 8);
            }
            break;
        case 1:
            for (int i = 0; i < 64; i += 8) {
                uint64_t v = rand_int(r, 64);
                memcpy(p + i, &v, 8);
            }
            break;
        case 2:
            for (int i = 0; i < 64; i += 4) {
                uint32_t v = (uint32_t)rand_int(r, 32);
                memcpy(p + i, &v, 4);
            }
            break;
        case 3:
            for (int i = 0; i < 64; i += 4) {
                uint32_t v = rand_f32(r);
                memcpy(p + i, &v, 4);
            }
            break;
        case 4:
            for (int i = 0; i < 64; i += 8) {
                uint64_t v = rand_f64(r);
                memcpy(p + i, &v, 8);
            }
            break;
        case 5:
            for (int i = 0; i < 64; i += 16) {
                uint64_t pad = rng_next(r);
                rand_f80(r, p + i);
                memcpy(p + i + 10, &pad, 6);
            }
            break;
        case 6:
            memset(p, 0, 64);
            break;
        case 7:
            memset(p, (int)rand_int(r, 8), 64);
            break;
        case 8:
            if (b >= 64) {
                memcpy(p, g->window + 64 * rng_below(r, b / 64), 64);
                if (rng_percent(r, 50))
                    p[rng_below(r, 64)] ^= (uint8_t)(1u << rng_below(r, 8));
                break;
            }
            /* fall through */
        default:                                /* text with terminators */
            for (int i = 0; i < 64; i++)
                p[i] = rng_percent(r, 8) ? 0 : (uint8_t)("abcAB09 -\x7f\x80\xff"[rng_below(r, 13)]);
            break;
        }
    }
}

static void init_xmm(Gen *g, uint8_t *x)
{
    Rng *r = &g->rng;
    switch (rng_below(r, 6)) {
    case 0:
        for (int i = 0; i < 16; i += 4) {
            uint32_t v = rand_f32(r);
            memcpy(x + i, &v, 4);
        }
        break;
    case 1:
        for (int i = 0; i < 16; i += 8) {
            uint64_t v = rand_f64(r);
            memcpy(x + i, &v, 8);
        }
        break;
    case 2: {
        static const int lanes[4] = { 1, 2, 4, 8 };
        int w = lanes[rng_below(r, 4)];
        for (int i = 0; i < 16; i += w) {
            uint64_t v = rand_int(r, 8 * w);
            memcpy(x + i, &v, (size_t)w);
        }
        break;
    }
    case 3:
        memcpy(x, g->window + rng_below(r, DIFF_WINDOW_SIZE - 16), 16);
        break;
    default:
        for (int i = 0; i < 16; i += 8) {
            uint64_t v = rng_next(r);
            memcpy(x + i, &v, 8);
        }
        break;
    }
}

static void init_state(Gen *g)
{
    Rng *r = &g->rng;
    DiffCpuState *s = &g->init;
    static const int widths[4] = { 8, 16, 32, 64 };

    memset(s, 0, sizeof(*s));
    fill_window(g);
    for (int i = 0; i < DIFF_GPRS; i++) {
        int w = widths[rng_below(r, 4)];
        uint64_t v = rand_int(r, w);
        switch (rng_below(r, 3)) {
        case 0: break;                                           /* zero-extended */
        case 1:
            if (w < 64 && (v >> (w - 1) & 1))
                v |= ~mask_bits(w);                              /* sign-extended */
            break;
        default: v |= rng_next(r) & ~mask_bits(w); break;         /* random high part */
        }
        s->gpr[i] = v;
    }
    g->df = rng_percent(r, 30);
    s->rflags = 0x2 | (rng_next(r) & FL_ARITH) | (g->df ? FL_DF : 0);

    /* x87: random TOP, a contiguous stack of D valid registers from ST(0)
     * (sometimes with holes), all exceptions masked, random PC and RC. */
    static const uint16_t pcs[4] = { 0, 2, 3, 3 };
    uint16_t fcw = 0x007f | (uint16_t)(pcs[rng_below(r, 4)] << 8) | (uint16_t)(rng_below(r, 4) << 10);
    int top = (int)rng_below(r, 8);
    int depth = (int)rng_below(r, 9);
    uint16_t fsw = (uint16_t)(top << 11) | (uint16_t)(rng_next(r) & FSW_CC);
    if (rng_percent(r, 30))
        fsw |= (uint16_t)(rng_next(r) & 0x7f & ~0x40);          /* sticky flags, not SF */
    uint8_t ftw = 0;
    for (int i = 0; i < 8; i++) {
        bool valid = i < depth ? !rng_percent(r, 5) : rng_percent(r, 5);
        if (valid)
            ftw |= (uint8_t)(1u << ((top + i) & 7));
        rand_f80(r, s->fx + FX_ST0 + 16 * i);
    }
    g->x87_depth = depth;
    uint32_t mxcsr = 0x1f80 | (uint32_t)rng_below(r, 4) << 13;
    if (rng_percent(r, 25))
        mxcsr |= 0x8000;                                         /* FTZ */
    if (rng_percent(r, 25))
        mxcsr |= 0x40;                                           /* DAZ */
    if (rng_percent(r, 30))
        mxcsr |= (uint32_t)rng_next(r) & 0x3f;
    memcpy(s->fx + FX_FCW, &fcw, 2);
    memcpy(s->fx + FX_FSW, &fsw, 2);
    s->fx[FX_FTW] = ftw;
    memcpy(s->fx + FX_MXCSR, &mxcsr, 4);
    for (int i = 0; i < 16; i++)
        init_xmm(g, s->fx + FX_XMM0 + 16 * i);
}

/* ---- snippets ---------------------------------------------------------- */

static void pick_and_emit(Gen *g, int group)
{
    Rng *r = &g->rng;
    if (group == GROUP_MIX) {
        static const int mix[] = { GROUP_INT, GROUP_INT, GROUP_INT, GROUP_STR, GROUP_X87,
                                   GROUP_X87, GROUP_MMX, GROUP_SSE, GROUP_SSE, GROUP_SIMD,
                                   GROUP_SIMD };
        group = mix[rng_below(r, sizeof(mix) / sizeof(mix[0]))];
    }
    switch (group) {
    case GROUP_INT: class_int(g); break;
    case GROUP_STR: if (rng_percent(r, 70)) class_str(g); else class_int(g); break;
    case GROUP_X87: class_x87(g); break;
    case GROUP_MMX: if (rng_percent(r, 85)) class_mmx(g); else class_int(g); break;
    case GROUP_SSE: if (rng_percent(r, 90)) class_sse(g); else class_int(g); break;
    case GROUP_SIMD: class_simd(g); break;
    case GROUP_APPROX: class_approx(g); break;
    default: abort();
    }
}

static void gen_snippet(Gen *g, int group, uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    g->rng.s = seed;
    g->seed = seed;
    g->group = group;
    init_state(g);
    int n = rng_percent(&g->rng, 30) ? 1 + (int)rng_below(&g->rng, 4)
                                      : 1 + (int)rng_below(&g->rng, GEN_MAX_INSNS);
    while (g->ninsns < n) {
        pick_and_emit(g, group);
        end_insn(g, g->ninsns + 1 >= n);
    }
}

/* ---- host features ---------------------------------------------------- */

static void detect_host(void)
{
    unsigned a, b, c, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    host.sse3 = c & 1u << 0;
    host.pclmul = c & 1u << 1;
    host.ssse3 = c & 1u << 9;
    host.cx16 = c & 1u << 13;
    host.sse41 = c & 1u << 19;
    host.sse42 = c & 1u << 20;
    host.movbe = c & 1u << 22;
    host.popcnt = c & 1u << 23;
    host.aes = c & 1u << 25;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    host.bmi1 = b & 1u << 3;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001), "c"(0));
    host.lzcnt = c & 1u << 5;
    /* Features the emulated CPU does not advertise (DIFF_WITHOUT="bmi1,aes"):
     * snippets must not use them, whatever the host has. */
    const char *without = getenv("DIFF_WITHOUT");
    if (without) {
        static const struct { const char *name; bool *flag; } names[] = {
            { "sse3", &host.sse3 }, { "pclmul", &host.pclmul }, { "ssse3", &host.ssse3 },
            { "cx16", &host.cx16 }, { "sse41", &host.sse41 }, { "sse42", &host.sse42 },
            { "movbe", &host.movbe }, { "popcnt", &host.popcnt }, { "aes", &host.aes },
            { "bmi1", &host.bmi1 }, { "lzcnt", &host.lzcnt },
        };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            const char *p = strstr(without, names[i].name);
            size_t n = strlen(names[i].name);
            if (p && (p == without || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
                *names[i].flag = false;
        }
    }
}

/* ---- batch output ------------------------------------------------------- */

typedef struct SnipMeta {
    int group;
    uint64_t seed;
    int nlines;
    uint32_t final_uflags, final_x87u;
    uint32_t *uflags, *x87u;
    char **text;
    DiffCpuState init;
    uint8_t *window;
} SnipMeta;

static int find_group(const char *name)
{
    for (int i = 0; i < GROUP_COUNT; i++)
        if (strcmp(name, group_names[i]) == 0)
            return i;
    return -1;
}

/* Snippet seed from the run seed, the group and the snippet number. */
static uint64_t snippet_seed(uint64_t seed, int group, uint64_t number)
{
    Rng r = { seed ^ (uint64_t)(group + 1) * 0x9e3779b97f4a7c15ull };
    r.s += number * 0xd1b54a32d192ed03ull;
    return rng_next(&r);
}

static void write_asm(FILE *s, SnipMeta *m, int count, Gen *g)
{
    (void)g;
    fprintf(s, "\t.text\n.Lt0:\n");
    for (int i = 0; i < count; i++) {
        fprintf(s, "\t.long .Ls%d-.Lt0, .Le%d-.Ls%d\n", i, i, i);
        int k = 0;
        for (int j = 0; j < m[i].nlines; j++)
            if (m[i].text[j][0] != ':')
                fprintf(s, "\t.short .Li%d_%d-.Ls%d\n", i, k++, i);
    }
    for (int i = 0; i < count; i++) {
        fprintf(s, "\t.p2align 4, 0xcc\n.Ls%d:\n", i);
        int k = 0;
        for (int j = 0; j < m[i].nlines; j++) {
            const char *t = m[i].text[j];
            if (t[0] == ':') {
                fprintf(s, ".Ll%d_%s:\n", i, t + 1);
                continue;
            }
            /* Lines name the snippet start ".Ls" (RIP-relative operands) and
             * jump labels ".Ll<n>"; make both unique in the batch. */
            fprintf(s, ".Li%d_%d:\t", i, k++);
            for (const char *p = t; *p; p++) {
                if (p[0] == '.' && p[1] == 'L' && p[2] == 's' && (p[3] == '+' || p[3] == '-')) {
                    fprintf(s, ".Ls%d", i);
                    p += 2;
                } else if (p[0] == '.' && p[1] == 'L' && p[2] == 'l') {
                    fprintf(s, ".Ll%d_", i);
                    p += 2;
                } else {
                    fputc(*p, s);
                }
            }
            fputc('\n', s);
        }
        fprintf(s, ".Le%d:\n", i);
    }
}

static uint8_t *read_text_section(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        die("%s: read failed", path);
    fclose(f);
    /* ELF64: find .text; a relocation section against it is a generator bug. */
    uint64_t shoff;
    uint16_t shentsize, shnum, shstrndx;
    memcpy(&shoff, buf + 0x28, 8);
    memcpy(&shentsize, buf + 0x3a, 2);
    memcpy(&shnum, buf + 0x3c, 2);
    memcpy(&shstrndx, buf + 0x3e, 2);
    if (memcmp(buf, "\x7f" "ELF\x02", 5) != 0 || shoff + (uint64_t)shnum * shentsize > (uint64_t)len)
        die("%s: not an ELF64 object", path);
    const uint8_t *strsh = buf + shoff + (uint64_t)shstrndx * shentsize;
    uint64_t stroff;
    memcpy(&stroff, strsh + 0x18, 8);
    uint8_t *text = NULL;
    for (int i = 0; i < shnum; i++) {
        const uint8_t *sh = buf + shoff + (uint64_t)i * shentsize;
        uint32_t name, type;
        uint64_t off, sz;
        memcpy(&name, sh, 4);
        memcpy(&type, sh + 4, 4);
        memcpy(&off, sh + 0x18, 8);
        memcpy(&sz, sh + 0x20, 8);
        const char *n = (const char *)buf + stroff + name;
        if (strcmp(n, ".rela.text") == 0 && sz)
            die("%s: .text has relocations (generator bug)", path);
        if (strcmp(n, ".text") == 0) {
            text = malloc(sz ? sz : 1);
            memcpy(text, buf + off, sz);
            *size = sz;
        }
    }
    free(buf);
    if (!text)
        die("%s: no .text", path);
    return text;
}

static void run_as(const char *assembler, const char *src, const char *obj)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp(assembler, assembler, "--64", "-o", obj, src, (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        die("assembling %s failed (kept for inspection)", src);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: diff-gen --out PREFIX [--as AS] (--group G --seed S --first N --count C\n"
            "                | --list FILE)\n"
            "  writes PREFIX.bin (batch) and PREFIX.meta; groups:");
    for (int i = 0; i < GROUP_COUNT; i++)
        fprintf(stderr, " %s", group_names[i]);
    fprintf(stderr, "\n  --list: lines \"GROUP SEED\" (snippet seeds, as printed on failure)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *out = NULL, *list = NULL, *assembler = "as", *group_name = NULL;
    uint64_t seed = 0, first = 0;
    long count = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--as")) assembler = v;
        else if (!strcmp(a, "--group")) group_name = v;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--first")) first = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--count")) count = strtol(v, NULL, 0);
        else if (!strcmp(a, "--list")) list = v;
        else usage();
        i++;
    }
    if (!out || (!list && (!group_name || count <= 0 || count > MAX_BATCH)))
        usage();
    detect_host();

    /* The snippets to make: (group, seed) pairs. */
    int *groups = calloc(MAX_BATCH, sizeof(int));
    uint64_t *seeds = calloc(MAX_BATCH, sizeof(uint64_t));
    int n = 0;
    if (list) {
        FILE *f = fopen(list, "r");
        char buf[256];
        if (!f)
            die("%s: %s", list, strerror(errno));
        while (fgets(buf, sizeof(buf), f)) {
            char gname[32];
            unsigned long long s;
            if (buf[0] == '#' || sscanf(buf, "%31s %llx", gname, &s) != 2)
                continue;
            int gi = find_group(gname);
            if (gi < 0)
                die("%s: unknown group '%s'", list, gname);
            if (n >= MAX_BATCH)
                die("%s: more than %d entries", list, MAX_BATCH);
            groups[n] = gi;
            seeds[n++] = s;
        }
        fclose(f);
    } else {
        int gi = find_group(group_name);
        if (gi < 0)
            die("unknown group '%s'", group_name);
        for (long i = 0; i < count; i++) {
            groups[n] = gi;
            seeds[n++] = snippet_seed(seed, gi, first + (uint64_t)i);
        }
    }

    SnipMeta *meta = calloc((size_t)(n ? n : 1), sizeof(SnipMeta));
    Gen *g = malloc(sizeof(Gen));
    for (int i = 0; i < n; i++) {
        gen_snippet(g, groups[i], seeds[i]);
        SnipMeta *m = &meta[i];
        m->group = groups[i];
        m->seed = seeds[i];
        m->nlines = g->nlines;
        m->final_uflags = g->uflags;
        m->final_x87u = g->x87u;
        m->uflags = calloc((size_t)g->nlines + 1, sizeof(uint32_t));
        m->x87u = calloc((size_t)g->nlines + 1, sizeof(uint32_t));
        m->text = calloc((size_t)g->nlines + 1, sizeof(char *));
        for (int j = 0; j < g->nlines; j++) {
            Line *l = &g->lines[j];
            m->uflags[j] = l->uflags;
            m->x87u[j] = l->x87u;
            if (l->is_label) {
                char b[24];
                snprintf(b, sizeof(b), ":%d", l->label);
                m->text[j] = strdup(b);
            } else {
                m->text[j] = strdup(l->text);
            }
        }
        m->init = g->init;
        m->window = malloc(DIFF_WINDOW_SIZE);
        memcpy(m->window, g->window, DIFF_WINDOW_SIZE);
    }

    char path_s[4096], path_o[4096], path_bin[4096], path_meta[4096];
    snprintf(path_s, sizeof(path_s), "%s.s", out);
    snprintf(path_o, sizeof(path_o), "%s.o", out);
    snprintf(path_bin, sizeof(path_bin), "%s.bin", out);
    snprintf(path_meta, sizeof(path_meta), "%s.meta", out);
    FILE *s = fopen(path_s, "w");
    if (!s)
        die("%s: %s", path_s, strerror(errno));
    write_asm(s, meta, n, g);
    if (fclose(s) != 0)
        die("%s: write failed", path_s);
    run_as(assembler, path_s, path_o);
    size_t text_size = 0;
    uint8_t *text = read_text_section(path_o, &text_size);

    FILE *bin = fopen(path_bin, "wb"), *mf = fopen(path_meta, "w");
    if (!bin || !mf)
        die("%s: cannot write", out);
    DiffBatchHeader bh = { .magic = DIFF_BATCH_MAGIC, .count = (uint32_t)n };
    fwrite(&bh, sizeof(bh), 1, bin);
    uint64_t total = sizeof(bh);
    size_t idx = 0;
    static DiffSnippetHeader sh;
    for (int i = 0; i < n; i++) {
        SnipMeta *m = &meta[i];
        uint32_t start, len;
        if (idx + 8 > text_size)
            die("index overrun");
        memcpy(&start, text + idx, 4);
        memcpy(&len, text + idx + 4, 4);
        idx += 8;
        if ((uint64_t)start + len > text_size || len > DIFF_CODE_MAX)
            die("snippet %d: bad code range", i);
        fprintf(mf, "snippet %d %s %016llx %d %x %x\n", i, group_names[m->group],
                (unsigned long long)m->seed, m->nlines, m->final_uflags, m->final_x87u);
        for (int j = 0; j < m->nlines; j++) {
            if (m->text[j][0] == ':') {
                fprintf(mf, "- %x %x .Ll%s:\n", m->uflags[j], m->x87u[j], m->text[j] + 1);
                continue;
            }
            uint16_t off;
            memcpy(&off, text + idx, 2);
            idx += 2;
            fprintf(mf, "%x %x %x %s\n", off, m->uflags[j], m->x87u[j], m->text[j]);
        }
        memset(&sh, 0, sizeof(sh));
        sh.magic = DIFF_SNIP_MAGIC;
        sh.index = (uint32_t)i;
        sh.code_len = len;
        sh.record_size = (uint32_t)((sizeof(sh) + len + 15) & ~15ull);
        sh.seed = m->seed;
        sh.init = m->init;
        memcpy(sh.window, m->window, DIFF_WINDOW_SIZE);
        fwrite(&sh, sizeof(sh), 1, bin);
        fwrite(text + start, 1, len, bin);
        static const uint8_t pad[16];
        fwrite(pad, 1, sh.record_size - sizeof(sh) - len, bin);
        total += sh.record_size;
    }
    bh.total_size = total;
    fseek(bin, 0, SEEK_SET);
    fwrite(&bh, sizeof(bh), 1, bin);
    if (fclose(bin) != 0 || fclose(mf) != 0)
        die("%s: write failed", out);
    unlink(path_o);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < meta[i].nlines; j++)
            free(meta[i].text[j]);
        free(meta[i].text);
        free(meta[i].uflags);
        free(meta[i].x87u);
        free(meta[i].window);
    }
    free(meta);
    free(text);
    free(g);
    free(groups);
    free(seeds);
    return 0;
}
