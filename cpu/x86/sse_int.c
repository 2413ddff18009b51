/*
 * MMX and SSE2..SSE4.1 integer and shuffle helpers in portable C, each written once
 * over n bytes (8 MMX, 16 XMM), plus CRC32C. Ref: SDM vol. 2 ("Operation" of each
 * instruction), vol. 1 9.5.1 (MMX writes). Leaves out: nothing of these.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/x86/sse_helper.h"

typedef void SseIntOp(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b, unsigned n);

/* MMX: operate on copies (the 64-bit registers live inside x87 slots). */
static inline void run_mmx(void *env, uint32_t d, uint32_t s, SseIntOp *op)
{
    X86XmmReg a, b, r;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&r, 0, sizeof(r));
    a.q[0] = sse_mmx_get(env, d);
    b.q[0] = sse_mmx_get(env, s);
    op(&r, &a, &b, 8);
    sse_mmx_put(env, d, r.q[0]);
}

/* XMM: the result goes through a copy, so d == s works. */
static inline void run_xmm(void *env, uint32_t d, uint32_t s, SseIntOp *op)
{
    X86XmmReg r;
    op(&r, sse_xmm_at(env, d), sse_xmm_at(env, s), 16);
    *sse_xmm_at(env, d) = r;
}

#define SSE_INT_PAIR(name)                                                  \
    void helper_##name##_mmx(void *env, uint32_t d, uint32_t s)             \
    {                                                                       \
        run_mmx(env, d, s, op_##name);                                      \
    }                                                                       \
    void helper_##name##_xmm(void *env, uint32_t d, uint32_t s)             \
    {                                                                       \
        run_xmm(env, d, s, op_##name);                                      \
    }

#define SSE_INT_XMM(name)                                                   \
    void helper_##name(void *env, uint32_t d, uint32_t s)                   \
    {                                                                       \
        run_xmm(env, d, s, op_##name);                                      \
    }

/* ---- saturation ---- */
static inline int8_t sat_s8(int v) { return v > 127 ? 127 : v < -128 ? -128 : (int8_t)v; }
static inline uint8_t sat_u8(int v) { return v > 255 ? 255 : v < 0 ? 0 : (uint8_t)v; }
static inline int16_t sat_s16(int v)
{
    return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
}
static inline uint16_t sat_u16(int v) { return v > 65535 ? 65535 : v < 0 ? 0 : (uint16_t)v; }

/* ---- add / subtract ---- */
#define LANE_OP(name, field, type, expr)                                            \
    static void op_##name(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b,     \
                          unsigned n)                                               \
    {                                                                               \
        for (unsigned i = 0; i < n / sizeof(r->field[0]); i++) {                    \
            type x = (type)a->field[i], y = (type)b->field[i];                      \
            (void)x;                                                                \
            r->field[i] = (expr);                                                   \
        }                                                                           \
    }

LANE_OP(paddb, b, uint8_t, (uint8_t)(x + y))
LANE_OP(paddw, w, uint16_t, (uint16_t)(x + y))
LANE_OP(paddd, d, uint32_t, x + y)
LANE_OP(paddq, q, uint64_t, x + y)
LANE_OP(psubb, b, uint8_t, (uint8_t)(x - y))
LANE_OP(psubw, w, uint16_t, (uint16_t)(x - y))
LANE_OP(psubd, d, uint32_t, x - y)
LANE_OP(psubq, q, uint64_t, x - y)
LANE_OP(paddsb, b, int8_t, (uint8_t)sat_s8(x + y))
LANE_OP(paddsw, w, int16_t, (uint16_t)sat_s16(x + y))
LANE_OP(paddusb, b, uint8_t, sat_u8(x + y))
LANE_OP(paddusw, w, uint16_t, sat_u16(x + y))
LANE_OP(psubsb, b, int8_t, (uint8_t)sat_s8(x - y))
LANE_OP(psubsw, w, int16_t, (uint16_t)sat_s16(x - y))
LANE_OP(psubusb, b, uint8_t, sat_u8(x - y))
LANE_OP(psubusw, w, uint16_t, sat_u16(x - y))

/* ---- multiply ---- */
LANE_OP(pmullw, w, int16_t, (uint16_t)((int32_t)x * y))
LANE_OP(pmulhw, w, int16_t, (uint16_t)(((int32_t)x * y) >> 16))
LANE_OP(pmulhuw, w, uint16_t, (uint16_t)(((uint32_t)x * y) >> 16))
LANE_OP(pmulhrsw, w, int16_t, (uint16_t)((((int32_t)x * y >> 14) + 1) >> 1))
LANE_OP(pmulld, d, uint32_t, x * y)

static void op_pmuludq(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b, unsigned n)
{
    for (unsigned i = 0; i < n / 8; i++) {
        r->q[i] = (uint64_t)a->d[2 * i] * b->d[2 * i];
    }
}

static void op_pmuldq(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b, unsigned n)
{
    for (unsigned i = 0; i < n / 8; i++) {
        r->q[i] = (uint64_t)((int64_t)(int32_t)a->d[2 * i] * (int32_t)b->d[2 * i]);
    }
}

static void op_pmaddwd(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b, unsigned n)
{
    for (unsigned i = 0; i < n / 4; i++) {
        /* Only -32768 * -32768 twice overflows: it wraps to 0x80000000. */
        uint32_t lo = (uint32_t)((int32_t)(int16_t)a->w[2 * i] * (int16_t)b->w[2 * i]);
        uint32_t hi = (uint32_t)((int32_t)(int16_t)a->w[2 * i + 1] * (int16_t)b->w[2 * i + 1]);
        r->d[i] = lo + hi;
    }
}

static void op_pmaddubsw(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++) {
        int v = a->b[2 * i] * (int8_t)b->b[2 * i] + a->b[2 * i + 1] * (int8_t)b->b[2 * i + 1];
        r->w[i] = (uint16_t)sat_s16(v);
    }
}

/* ---- compare, min/max, average ---- */
LANE_OP(pcmpeqb, b, uint8_t, x == y ? 0xff : 0)
LANE_OP(pcmpeqw, w, uint16_t, x == y ? 0xffff : 0)
LANE_OP(pcmpeqd, d, uint32_t, x == y ? 0xffffffffu : 0)
LANE_OP(pcmpeqq, q, uint64_t, x == y ? ~0ull : 0)
LANE_OP(pcmpgtb, b, int8_t, x > y ? 0xff : 0)
LANE_OP(pcmpgtw, w, int16_t, x > y ? 0xffff : 0)
LANE_OP(pcmpgtd, d, int32_t, x > y ? 0xffffffffu : 0)
LANE_OP(pcmpgtq, q, int64_t, x > y ? ~0ull : 0)
LANE_OP(pminub, b, uint8_t, x < y ? x : y)
LANE_OP(pmaxub, b, uint8_t, x > y ? x : y)
LANE_OP(pminsw, w, int16_t, (uint16_t)(x < y ? x : y))
LANE_OP(pmaxsw, w, int16_t, (uint16_t)(x > y ? x : y))
LANE_OP(pminsb, b, int8_t, (uint8_t)(x < y ? x : y))
LANE_OP(pmaxsb, b, int8_t, (uint8_t)(x > y ? x : y))
LANE_OP(pminuw, w, uint16_t, x < y ? x : y)
LANE_OP(pmaxuw, w, uint16_t, x > y ? x : y)
LANE_OP(pminsd, d, int32_t, (uint32_t)(x < y ? x : y))
LANE_OP(pmaxsd, d, int32_t, (uint32_t)(x > y ? x : y))
LANE_OP(pminud, d, uint32_t, x < y ? x : y)
LANE_OP(pmaxud, d, uint32_t, x > y ? x : y)
LANE_OP(pavgb, b, uint8_t, (uint8_t)((x + y + 1) >> 1))
LANE_OP(pavgw, w, uint16_t, (uint16_t)((x + y + 1) >> 1))

static void op_psadbw(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b, unsigned n)
{
    for (unsigned g = 0; g < n / 8; g++) {
        unsigned sum = 0;
        for (unsigned i = 0; i < 8; i++) {
            int diff = a->b[8 * g + i] - b->b[8 * g + i];
            sum += (unsigned)(diff < 0 ? -diff : diff);
        }
        r->q[g] = sum;
    }
}

/* ---- sign, absolute value (SSSE3) ---- */
LANE_OP(psignb, b, int8_t, (uint8_t)(y < 0 ? -x : y == 0 ? 0 : x))
LANE_OP(psignw, w, int16_t, (uint16_t)(y < 0 ? -x : y == 0 ? 0 : x))
LANE_OP(psignd, d, int32_t, (uint32_t)(y < 0 ? -(uint32_t)x : y == 0 ? 0 : (uint32_t)x))
LANE_OP(pabsb, b, int8_t, (uint8_t)(y < 0 ? -y : y))
LANE_OP(pabsw, w, int16_t, (uint16_t)(y < 0 ? -y : y))
LANE_OP(pabsd, d, int32_t, y < 0 ? -(uint32_t)y : (uint32_t)y)

/* ---- shifts by the low 64 bits of the source (SDM: counts above the lane
 * width give 0, or all sign bits for arithmetic shifts) ---- */
#define SHIFT_OP(name, field, bits, expr)                                           \
    static void op_##name(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b,     \
                          unsigned n)                                               \
    {                                                                               \
        uint64_t count = b->q[0];                                                   \
        for (unsigned i = 0; i < n / sizeof(r->field[0]); i++) {                    \
            r->field[i] = (expr);                                                   \
        }                                                                           \
    }

SHIFT_OP(psllw, w, 16, count > 15 ? 0 : (uint16_t)(a->w[i] << count))
SHIFT_OP(pslld, d, 32, count > 31 ? 0 : a->d[i] << count)
SHIFT_OP(psllq, q, 64, count > 63 ? 0 : a->q[i] << count)
SHIFT_OP(psrlw, w, 16, count > 15 ? 0 : (uint16_t)(a->w[i] >> count))
SHIFT_OP(psrld, d, 32, count > 31 ? 0 : a->d[i] >> count)
SHIFT_OP(psrlq, q, 64, count > 63 ? 0 : a->q[i] >> count)
SHIFT_OP(psraw, w, 16, (uint16_t)((int16_t)a->w[i] >> (count > 15 ? 15 : count)))
SHIFT_OP(psrad, d, 32, (uint32_t)((int32_t)a->d[i] >> (count > 31 ? 31 : count)))

/* ---- interleave and pack ---- */
#define UNPACK_OP(name, field, high)                                                \
    static void op_##name(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b,     \
                          unsigned n)                                               \
    {                                                                               \
        unsigned half = n / sizeof(r->field[0]) / 2, base = (high) ? half : 0;      \
        for (unsigned i = 0; i < half; i++) {                                       \
            r->field[2 * i] = a->field[base + i];                                   \
            r->field[2 * i + 1] = b->field[base + i];                               \
        }                                                                           \
    }

UNPACK_OP(punpcklbw, b, false)
UNPACK_OP(punpcklwd, w, false)
UNPACK_OP(punpckldq, d, false)
UNPACK_OP(punpcklqdq, q, false)
UNPACK_OP(punpckhbw, b, true)
UNPACK_OP(punpckhwd, w, true)
UNPACK_OP(punpckhdq, d, true)
UNPACK_OP(punpckhqdq, q, true)

/* Narrow a's lanes into the low half of r and b's into the high half. */
#define PACK_OP(name, out, in, intype, sat)                                         \
    static void op_##name(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b,     \
                          unsigned n)                                               \
    {                                                                               \
        unsigned m = n / sizeof(a->in[0]);                                          \
        for (unsigned i = 0; i < m; i++) {                                          \
            r->out[i] = sat((intype)a->in[i]);                                      \
            r->out[m + i] = sat((intype)b->in[i]);                                  \
        }                                                                           \
    }

#define SAT_S8_U(v) ((uint8_t)sat_s8(v))
#define SAT_S16_U(v) ((uint16_t)sat_s16(v))
#define SAT_U16_FROM32(v) ((v) > 65535 ? 65535 : (v) < 0 ? 0 : (uint16_t)(v))
PACK_OP(packsswb, b, w, int16_t, SAT_S8_U)
PACK_OP(packuswb, b, w, int16_t, sat_u8)
PACK_OP(packssdw, w, d, int32_t, SAT_S16_U)
PACK_OP(packusdw, w, d, int32_t, SAT_U16_FROM32)

/* ---- horizontal add/subtract (SSSE3): a's pairs, then b's ---- */
#define HORIZ_OP(name, field, type, expr)                                           \
    static void op_##name(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b,     \
                          unsigned n)                                               \
    {                                                                               \
        unsigned m = n / sizeof(r->field[0]) / 2;                                   \
        for (unsigned i = 0; i < m; i++) {                                          \
            type x = (type)a->field[2 * i], y = (type)a->field[2 * i + 1];          \
            r->field[i] = (expr);                                                   \
            x = (type)b->field[2 * i];                                              \
            y = (type)b->field[2 * i + 1];                                          \
            r->field[m + i] = (expr);                                               \
        }                                                                           \
    }

HORIZ_OP(phaddw, w, uint16_t, (uint16_t)(x + y))
HORIZ_OP(phaddd, d, uint32_t, x + y)
HORIZ_OP(phaddsw, w, int16_t, (uint16_t)sat_s16(x + y))
HORIZ_OP(phsubw, w, uint16_t, (uint16_t)(x - y))
HORIZ_OP(phsubd, d, uint32_t, x - y)
HORIZ_OP(phsubsw, w, int16_t, (uint16_t)sat_s16(x - y))

static void op_pshufb(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        r->b[i] = (b->b[i] & 0x80) ? 0 : a->b[b->b[i] & (n - 1)];
    }
}

SSE_INT_PAIR(paddb) SSE_INT_PAIR(paddw) SSE_INT_PAIR(paddd) SSE_INT_PAIR(paddq)
SSE_INT_PAIR(psubb) SSE_INT_PAIR(psubw) SSE_INT_PAIR(psubd) SSE_INT_PAIR(psubq)
SSE_INT_PAIR(paddsb) SSE_INT_PAIR(paddsw) SSE_INT_PAIR(paddusb) SSE_INT_PAIR(paddusw)
SSE_INT_PAIR(psubsb) SSE_INT_PAIR(psubsw) SSE_INT_PAIR(psubusb) SSE_INT_PAIR(psubusw)
SSE_INT_PAIR(pmullw) SSE_INT_PAIR(pmulhw) SSE_INT_PAIR(pmulhuw) SSE_INT_PAIR(pmuludq)
SSE_INT_PAIR(pmaddwd)
SSE_INT_PAIR(pcmpeqb) SSE_INT_PAIR(pcmpeqw) SSE_INT_PAIR(pcmpeqd)
SSE_INT_PAIR(pcmpgtb) SSE_INT_PAIR(pcmpgtw) SSE_INT_PAIR(pcmpgtd)
SSE_INT_PAIR(pminub) SSE_INT_PAIR(pmaxub) SSE_INT_PAIR(pminsw) SSE_INT_PAIR(pmaxsw)
SSE_INT_PAIR(pavgb) SSE_INT_PAIR(pavgw) SSE_INT_PAIR(psadbw)
SSE_INT_PAIR(psllw) SSE_INT_PAIR(pslld) SSE_INT_PAIR(psllq)
SSE_INT_PAIR(psrlw) SSE_INT_PAIR(psrld) SSE_INT_PAIR(psrlq)
SSE_INT_PAIR(psraw) SSE_INT_PAIR(psrad)
SSE_INT_PAIR(punpcklbw) SSE_INT_PAIR(punpcklwd) SSE_INT_PAIR(punpckldq)
SSE_INT_PAIR(punpckhbw) SSE_INT_PAIR(punpckhwd) SSE_INT_PAIR(punpckhdq)
SSE_INT_PAIR(packsswb) SSE_INT_PAIR(packssdw) SSE_INT_PAIR(packuswb)
SSE_INT_PAIR(pshufb)
SSE_INT_PAIR(phaddw) SSE_INT_PAIR(phaddd) SSE_INT_PAIR(phaddsw)
SSE_INT_PAIR(phsubw) SSE_INT_PAIR(phsubd) SSE_INT_PAIR(phsubsw)
SSE_INT_PAIR(pmaddubsw) SSE_INT_PAIR(pmulhrsw)
SSE_INT_PAIR(psignb) SSE_INT_PAIR(psignw) SSE_INT_PAIR(psignd)
SSE_INT_PAIR(pabsb) SSE_INT_PAIR(pabsw) SSE_INT_PAIR(pabsd)

SSE_INT_XMM(punpcklqdq) SSE_INT_XMM(punpckhqdq) SSE_INT_XMM(packusdw)
SSE_INT_XMM(pmuldq) SSE_INT_XMM(pmulld) SSE_INT_XMM(pcmpeqq) SSE_INT_XMM(pcmpgtq)
SSE_INT_XMM(pminsb) SSE_INT_XMM(pminsd) SSE_INT_XMM(pminuw) SSE_INT_XMM(pminud)
SSE_INT_XMM(pmaxsb) SSE_INT_XMM(pmaxsd) SSE_INT_XMM(pmaxuw) SSE_INT_XMM(pmaxud)

/* ---- with an immediate ---- */

/* PALIGNR: the 2n-byte concatenation a:b shifted right by imm bytes. */
static void op_palignr(X86XmmReg *r, const X86XmmReg *a, const X86XmmReg *b, unsigned n,
                       unsigned imm)
{
    uint8_t cat[32];
    memcpy(cat, b->b, n);
    memcpy(cat + n, a->b, n);
    for (unsigned i = 0; i < n; i++) {
        r->b[i] = imm + i < 2 * n ? cat[imm + i] : 0;
    }
}

void helper_palignr_mmx(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X86XmmReg a, b, r;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.q[0] = sse_mmx_get(env, d);
    b.q[0] = sse_mmx_get(env, s);
    op_palignr(&r, &a, &b, 8, imm & 0xff);
    sse_mmx_put(env, d, r.q[0]);
}

void helper_palignr_xmm(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X86XmmReg r;
    op_palignr(&r, sse_xmm_at(env, d), sse_xmm_at(env, s), 16, imm & 0xff);
    *sse_xmm_at(env, d) = r;
}

void helper_pshufw(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    uint64_t src = sse_mmx_get(env, s), r = 0;
    for (unsigned i = 0; i < 4; i++) {
        r |= ((src >> (16 * ((imm >> (2 * i)) & 3))) & 0xffff) << (16 * i);
    }
    sse_mmx_put(env, d, r);
}

void helper_pshufd(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    const X86XmmReg *src = sse_xmm_at(env, s);
    X86XmmReg r;
    for (unsigned i = 0; i < 4; i++) {
        r.d[i] = src->d[(imm >> (2 * i)) & 3];
    }
    *sse_xmm_at(env, d) = r;
}

void helper_pshufhw(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    const X86XmmReg *src = sse_xmm_at(env, s);
    X86XmmReg r;
    r.q[0] = src->q[0];
    for (unsigned i = 0; i < 4; i++) {
        r.w[4 + i] = src->w[4 + ((imm >> (2 * i)) & 3)];
    }
    *sse_xmm_at(env, d) = r;
}

void helper_pshuflw(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    const X86XmmReg *src = sse_xmm_at(env, s);
    X86XmmReg r;
    r.q[1] = src->q[1];
    for (unsigned i = 0; i < 4; i++) {
        r.w[i] = src->w[(imm >> (2 * i)) & 3];
    }
    *sse_xmm_at(env, d) = r;
}

void helper_shufps(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    const X86XmmReg *a = sse_xmm_at(env, d), *b = sse_xmm_at(env, s);
    X86XmmReg r;
    r.d[0] = a->d[imm & 3];
    r.d[1] = a->d[(imm >> 2) & 3];
    r.d[2] = b->d[(imm >> 4) & 3];
    r.d[3] = b->d[(imm >> 6) & 3];
    *sse_xmm_at(env, d) = r;
}

void helper_shufpd(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    const X86XmmReg *a = sse_xmm_at(env, d), *b = sse_xmm_at(env, s);
    X86XmmReg r;
    r.q[0] = a->q[imm & 1];
    r.q[1] = b->q[(imm >> 1) & 1];
    *sse_xmm_at(env, d) = r;
}

/* Byte shifts of the whole register; counts above 15 clear it. */
void helper_pslldq(void *env, uint32_t d, uint32_t imm)
{
    X86XmmReg *x = sse_xmm_at(env, d), r;
    for (unsigned i = 0; i < 16; i++) {
        r.b[i] = (imm & 0xff) <= i ? x->b[i - (imm & 0xff)] : 0;
    }
    *x = r;
}

void helper_psrldq(void *env, uint32_t d, uint32_t imm)
{
    X86XmmReg *x = sse_xmm_at(env, d), r;
    for (unsigned i = 0; i < 16; i++) {
        unsigned k = i + (imm & 0xff);
        r.b[i] = k < 16 ? x->b[k] : 0;
    }
    *x = r;
}

/* ---- blends (SSE4.1): select from s where the mask says ---- */
void helper_pblendvb(void *env, uint32_t d, uint32_t s)
{
    X86CPU *cpu = env;
    X86XmmReg *x = sse_xmm_at(env, d), r;
    const X86XmmReg *y = sse_xmm_at(env, s), *mask = &cpu->xmm[0];
    for (unsigned i = 0; i < 16; i++) {
        r.b[i] = (mask->b[i] & 0x80) ? y->b[i] : x->b[i];
    }
    *x = r;
}

void helper_blendvps(void *env, uint32_t d, uint32_t s)
{
    X86CPU *cpu = env;
    X86XmmReg *x = sse_xmm_at(env, d), r;
    const X86XmmReg *y = sse_xmm_at(env, s), *mask = &cpu->xmm[0];
    for (unsigned i = 0; i < 4; i++) {
        r.d[i] = (mask->d[i] >> 31) ? y->d[i] : x->d[i];
    }
    *x = r;
}

void helper_blendvpd(void *env, uint32_t d, uint32_t s)
{
    X86CPU *cpu = env;
    X86XmmReg *x = sse_xmm_at(env, d), r;
    const X86XmmReg *y = sse_xmm_at(env, s), *mask = &cpu->xmm[0];
    for (unsigned i = 0; i < 2; i++) {
        r.q[i] = (mask->q[i] >> 63) ? y->q[i] : x->q[i];
    }
    *x = r;
}

void helper_blendps(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X86XmmReg *x = sse_xmm_at(env, d), r;
    const X86XmmReg *y = sse_xmm_at(env, s);
    for (unsigned i = 0; i < 4; i++) {
        r.d[i] = ((imm >> i) & 1) ? y->d[i] : x->d[i];
    }
    *x = r;
}

void helper_blendpd(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X86XmmReg *x = sse_xmm_at(env, d), r;
    const X86XmmReg *y = sse_xmm_at(env, s);
    for (unsigned i = 0; i < 2; i++) {
        r.q[i] = ((imm >> i) & 1) ? y->q[i] : x->q[i];
    }
    *x = r;
}

void helper_pblendw(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X86XmmReg *x = sse_xmm_at(env, d), r;
    const X86XmmReg *y = sse_xmm_at(env, s);
    for (unsigned i = 0; i < 8; i++) {
        r.w[i] = ((imm >> i) & 1) ? y->w[i] : x->w[i];
    }
    *x = r;
}

/* MPSADBW: eight sums of absolute differences of a sliding 4-byte window of
 * d (from byte 4*imm[2]) against the fixed 4-byte block 4*imm[1:0] of s. */
void helper_mpsadbw(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X86XmmReg *x = sse_xmm_at(env, d), r;
    const X86XmmReg *y = sse_xmm_at(env, s);
    unsigned a0 = ((imm >> 2) & 1) * 4, b0 = (imm & 3) * 4;
    for (unsigned i = 0; i < 8; i++) {
        unsigned sum = 0;
        for (unsigned j = 0; j < 4; j++) {
            int diff = x->b[a0 + i + j] - y->b[b0 + j];
            sum += (unsigned)(diff < 0 ? -diff : diff);
        }
        r.w[i] = (uint16_t)sum;
    }
    *x = r;
}

/* PHMINPOSUW: the smallest word (lowest index on ties) and its index. */
void helper_phminposuw(void *env, uint32_t d, uint32_t s)
{
    const X86XmmReg *y = sse_xmm_at(env, s);
    X86XmmReg r;
    unsigned best = 0;
    for (unsigned i = 1; i < 8; i++) {
        if (y->w[i] < y->w[best]) {
            best = i;
        }
    }
    memset(&r, 0, sizeof(r));
    r.w[0] = y->w[best];
    r.w[1] = (uint16_t)best;
    *sse_xmm_at(env, d) = r;
}

/* ---- widening moves (SSE4.1): source lanes from the low bytes of s ---- */
#define PMOVX(name, out, outtype, in, intype)                                       \
    void helper_##name(void *env, uint32_t d, uint32_t s)                           \
    {                                                                               \
        const X86XmmReg *y = sse_xmm_at(env, s);                                    \
        X86XmmReg r;                                                                \
        for (unsigned i = 0; i < 16 / sizeof(r.out[0]); i++) {                      \
            r.out[i] = (outtype)(intype)y->in[i];                                   \
        }                                                                           \
        *sse_xmm_at(env, d) = r;                                                    \
    }

PMOVX(pmovsxbw, w, uint16_t, b, int8_t)
PMOVX(pmovsxbd, d, uint32_t, b, int8_t)
PMOVX(pmovsxbq, q, uint64_t, b, int8_t)
PMOVX(pmovsxwd, d, uint32_t, w, int16_t)
PMOVX(pmovsxwq, q, uint64_t, w, int16_t)
PMOVX(pmovsxdq, q, uint64_t, d, int32_t)
PMOVX(pmovzxbw, w, uint16_t, b, uint8_t)
PMOVX(pmovzxbd, d, uint32_t, b, uint8_t)
PMOVX(pmovzxbq, q, uint64_t, b, uint8_t)
PMOVX(pmovzxwd, d, uint32_t, w, uint16_t)
PMOVX(pmovzxwq, q, uint64_t, w, uint16_t)
PMOVX(pmovzxdq, q, uint64_t, d, uint32_t)

/*
 * INSERTPS: dword imm[7:6] of s (a register; a memory source was loaded into
 * dword 0 of the scratch register and the translator cleared imm[7:6]) goes
 * to dword imm[5:4] of d, then the dwords in imm[3:0] are zeroed.
 */
void helper_insertps(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X86XmmReg *x = sse_xmm_at(env, d);
    uint32_t v = sse_xmm_at(env, s)->d[(imm >> 6) & 3];
    x->d[(imm >> 4) & 3] = v;
    for (unsigned i = 0; i < 4; i++) {
        if ((imm >> i) & 1) {
            x->d[i] = 0;
        }
    }
}

/* ---- results in general registers ---- */
uint32_t helper_pmovmskb_mmx(void *env, uint32_t s)
{
    uint64_t v = sse_mmx_get(env, s);
    uint32_t r = 0;
    for (unsigned i = 0; i < 8; i++) {
        r |= (uint32_t)((v >> (8 * i + 7)) & 1) << i;
    }
    return r;
}

uint32_t helper_pmovmskb_xmm(void *env, uint32_t s)
{
    const X86XmmReg *x = sse_xmm_at(env, s);
    uint32_t r = 0;
    for (unsigned i = 0; i < 16; i++) {
        r |= (uint32_t)(x->b[i] >> 7) << i;
    }
    return r;
}

uint32_t helper_movmskps(void *env, uint32_t s)
{
    const X86XmmReg *x = sse_xmm_at(env, s);
    uint32_t r = 0;
    for (unsigned i = 0; i < 4; i++) {
        r |= (x->d[i] >> 31) << i;
    }
    return r;
}

uint32_t helper_movmskpd(void *env, uint32_t s)
{
    const X86XmmReg *x = sse_xmm_at(env, s);
    return (uint32_t)((x->q[0] >> 63) | (x->q[1] >> 63) << 1);
}

/* PTEST: ZF = (d AND s) == 0, CF = (NOT d AND s) == 0; others cleared. */
uint64_t helper_ptest(void *env, uint32_t d, uint32_t s)
{
    const X86XmmReg *x = sse_xmm_at(env, d), *y = sse_xmm_at(env, s);
    uint64_t and = (x->q[0] & y->q[0]) | (x->q[1] & y->q[1]);
    uint64_t andn = (~x->q[0] & y->q[0]) | (~x->q[1] & y->q[1]);
    return (and == 0 ? X86_EFLAGS_ZF : 0) | (andn == 0 ? X86_EFLAGS_CF : 0);
}

/* ---- CRC32 (SSE4.2): CRC-32C, reflected polynomial 0x82F63B78 ---- */
static uint32_t crc32c_table[256];

static void __attribute__((constructor)) crc32c_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        }
        crc32c_table[i] = c;
    }
}

uint64_t helper_crc32(uint64_t crc, uint64_t value, uint32_t bytes)
{
    uint32_t c = (uint32_t)crc;
    for (unsigned i = 0; i < bytes && i < 8; i++) {
        c = (c >> 8) ^ crc32c_table[(c ^ (uint32_t)(value >> (8 * i))) & 0xff];
    }
    return c;
}
