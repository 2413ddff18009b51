/*
 * AES-NI rounds (AESENC/AESENCLAST/AESDEC/AESDECLAST/AESIMC/AESKEYGENASSIST) and
 * PCLMULQDQ in portable C; S-boxes computed from GF(2^8) inverses at start-up.
 * Ref: SDM vol. 2, FIPS-197. Leaves out: nothing.
 */
#include <stdint.h>
#include <string.h>

#include "cpu/x86/sse_helper.h"

static uint8_t sbox[256], inv_sbox[256];

static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    uint8_t r = 0;
    while (b) {
        if (b & 1) {
            r ^= a;
        }
        a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
        b >>= 1;
    }
    return r;
}

static uint8_t rotl8(uint8_t x, unsigned n)
{
    return (uint8_t)((x << n) | (x >> (8 - n)));
}

static void __attribute__((constructor)) aes_tables_init(void)
{
    for (unsigned x = 0; x < 256; x++) {
        uint8_t inv = 0;
        for (unsigned y = 1; y < 256 && x; y++) {
            if (gf_mul((uint8_t)x, (uint8_t)y) == 1) {
                inv = (uint8_t)y;
                break;
            }
        }
        uint8_t s = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
        sbox[x] = s;
        inv_sbox[s] = (uint8_t)x;
    }
}

/* The state is column-major: byte r + 4c is row r of column c. */
static void shift_rows(uint8_t *s, bool inverse)
{
    uint8_t t[16];
    for (unsigned r = 0; r < 4; r++) {
        for (unsigned c = 0; c < 4; c++) {
            unsigned from = inverse ? (c + 4 - r) % 4 : (c + r) % 4;
            t[r + 4 * c] = s[r + 4 * from];
        }
    }
    memcpy(s, t, 16);
}

static void sub_bytes(uint8_t *s, const uint8_t *box)
{
    for (unsigned i = 0; i < 16; i++) {
        s[i] = box[s[i]];
    }
}

static void mix_columns(uint8_t *s, bool inverse)
{
    static const uint8_t fwd[4] = { 2, 3, 1, 1 }, inv[4] = { 14, 11, 13, 9 };
    const uint8_t *m = inverse ? inv : fwd;
    for (unsigned c = 0; c < 4; c++) {
        uint8_t col[4], out[4];
        memcpy(col, s + 4 * c, 4);
        for (unsigned r = 0; r < 4; r++) {
            out[r] = 0;
            for (unsigned k = 0; k < 4; k++) {
                out[r] ^= gf_mul(col[k], m[(k + 4 - r) % 4]);
            }
        }
        memcpy(s + 4 * c, out, 4);
    }
}

static void add_round_key(uint8_t *s, const X86XmmReg *key)
{
    for (unsigned i = 0; i < 16; i++) {
        s[i] ^= key->b[i];
    }
}

typedef enum { AES_ENC, AES_ENCLAST, AES_DEC, AES_DECLAST } AesRound;

static void aes_round(void *env, uint32_t d, uint32_t s, AesRound kind)
{
    X86XmmReg *x = sse_xmm_at(env, d);
    X86XmmReg key = *sse_xmm_at(env, s);
    bool dec = kind == AES_DEC || kind == AES_DECLAST;
    shift_rows(x->b, dec);
    sub_bytes(x->b, dec ? inv_sbox : sbox);
    if (kind == AES_ENC || kind == AES_DEC) {
        mix_columns(x->b, dec);
    }
    add_round_key(x->b, &key);
}

void helper_aesenc(void *env, uint32_t d, uint32_t s) { aes_round(env, d, s, AES_ENC); }
void helper_aesenclast(void *env, uint32_t d, uint32_t s) { aes_round(env, d, s, AES_ENCLAST); }
void helper_aesdec(void *env, uint32_t d, uint32_t s) { aes_round(env, d, s, AES_DEC); }
void helper_aesdeclast(void *env, uint32_t d, uint32_t s) { aes_round(env, d, s, AES_DECLAST); }

void helper_aesimc(void *env, uint32_t d, uint32_t s)
{
    X86XmmReg r = *sse_xmm_at(env, s);
    mix_columns(r.b, true);
    *sse_xmm_at(env, d) = r;
}

static uint32_t sub_word(uint32_t w)
{
    return (uint32_t)sbox[w & 0xff] | (uint32_t)sbox[(w >> 8) & 0xff] << 8 |
           (uint32_t)sbox[(w >> 16) & 0xff] << 16 | (uint32_t)sbox[w >> 24] << 24;
}

static uint32_t rot_word(uint32_t w)
{
    return (w >> 8) | (w << 24);
}

void helper_aeskeygenassist(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    const X86XmmReg *src = sse_xmm_at(env, s);
    uint32_t x1 = sub_word(src->d[1]), x3 = sub_word(src->d[3]), rcon = imm & 0xff;
    X86XmmReg r;
    r.d[0] = x1;
    r.d[1] = rot_word(x1) ^ rcon;
    r.d[2] = x3;
    r.d[3] = rot_word(x3) ^ rcon;
    *sse_xmm_at(env, d) = r;
}

/* PCLMULQDQ: carry-less product of qword imm8[0] of d and qword imm8[4] of s. */
void helper_pclmulqdq(void *env, uint32_t d, uint32_t s, uint32_t imm)
{
    X86XmmReg *x = sse_xmm_at(env, d);
    uint64_t a = x->q[imm & 1], b = sse_xmm_at(env, s)->q[(imm >> 4) & 1];
    uint64_t lo = 0, hi = 0;
    for (unsigned i = 0; i < 64; i++) {
        if ((b >> i) & 1) {
            lo ^= a << i;
            hi ^= i ? a >> (64 - i) : 0;
        }
    }
    x->q[0] = lo;
    x->q[1] = hi;
}
