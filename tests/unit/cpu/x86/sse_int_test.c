/*
 * The MMX/SSE integer, AES-NI and PCLMULQDQ helpers (cpu/x86/sse_int.c,
 * sse_crypto.c) against the host CPU executing the same instruction on
 * random edge-value operands: every helper, MMX and XMM forms, every imm8
 * where there is one, and that MMX writes set the x87 exponent to all ones.
 */
#include <stdio.h>

#include "test.h"
#include "sse_test_host.h"

#define ITER 3000

typedef void Op2(void *env, uint32_t d, uint32_t s);
typedef void Op3(void *env, uint32_t d, uint32_t s, uint32_t imm);

typedef struct IntCase {
    const char *name;
    const char *enc;        /* prefixes and opcode, without ModRM */
    unsigned len;
    bool mmx;
    const char *feature;
    Op2 *op2;
    Op3 *op3;               /* with imm8 */
} IntCase;

#define ENC(s) s, sizeof(s) - 1
#define PAIR(name, opc, feat) \
    { #name " xmm", ENC("\x66" opc), false, feat, helper_##name##_xmm, NULL }, \
    { #name " mm", ENC(opc), true, feat, helper_##name##_mmx, NULL }
#define XMM(name, opc, feat) { #name, ENC("\x66" opc), false, feat, helper_##name, NULL }

static const IntCase int_cases[] = {
    PAIR(paddb, "\x0f\xfc", "sse2"), PAIR(paddw, "\x0f\xfd", "sse2"),
    PAIR(paddd, "\x0f\xfe", "sse2"), PAIR(paddq, "\x0f\xd4", "sse2"),
    PAIR(psubb, "\x0f\xf8", "sse2"), PAIR(psubw, "\x0f\xf9", "sse2"),
    PAIR(psubd, "\x0f\xfa", "sse2"), PAIR(psubq, "\x0f\xfb", "sse2"),
    PAIR(paddsb, "\x0f\xec", "sse2"), PAIR(paddsw, "\x0f\xed", "sse2"),
    PAIR(paddusb, "\x0f\xdc", "sse2"), PAIR(paddusw, "\x0f\xdd", "sse2"),
    PAIR(psubsb, "\x0f\xe8", "sse2"), PAIR(psubsw, "\x0f\xe9", "sse2"),
    PAIR(psubusb, "\x0f\xd8", "sse2"), PAIR(psubusw, "\x0f\xd9", "sse2"),
    PAIR(pmullw, "\x0f\xd5", "sse2"), PAIR(pmulhw, "\x0f\xe5", "sse2"),
    PAIR(pmulhuw, "\x0f\xe4", "sse2"), PAIR(pmuludq, "\x0f\xf4", "sse2"),
    PAIR(pmaddwd, "\x0f\xf5", "sse2"),
    PAIR(pcmpeqb, "\x0f\x74", "sse2"), PAIR(pcmpeqw, "\x0f\x75", "sse2"),
    PAIR(pcmpeqd, "\x0f\x76", "sse2"), PAIR(pcmpgtb, "\x0f\x64", "sse2"),
    PAIR(pcmpgtw, "\x0f\x65", "sse2"), PAIR(pcmpgtd, "\x0f\x66", "sse2"),
    PAIR(pminub, "\x0f\xda", "sse2"), PAIR(pmaxub, "\x0f\xde", "sse2"),
    PAIR(pminsw, "\x0f\xea", "sse2"), PAIR(pmaxsw, "\x0f\xee", "sse2"),
    PAIR(pavgb, "\x0f\xe0", "sse2"), PAIR(pavgw, "\x0f\xe3", "sse2"),
    PAIR(psadbw, "\x0f\xf6", "sse2"),
    PAIR(psllw, "\x0f\xf1", "sse2"), PAIR(pslld, "\x0f\xf2", "sse2"),
    PAIR(psllq, "\x0f\xf3", "sse2"), PAIR(psrlw, "\x0f\xd1", "sse2"),
    PAIR(psrld, "\x0f\xd2", "sse2"), PAIR(psrlq, "\x0f\xd3", "sse2"),
    PAIR(psraw, "\x0f\xe1", "sse2"), PAIR(psrad, "\x0f\xe2", "sse2"),
    PAIR(punpcklbw, "\x0f\x60", "sse2"), PAIR(punpcklwd, "\x0f\x61", "sse2"),
    PAIR(punpckldq, "\x0f\x62", "sse2"), PAIR(punpckhbw, "\x0f\x68", "sse2"),
    PAIR(punpckhwd, "\x0f\x69", "sse2"), PAIR(punpckhdq, "\x0f\x6a", "sse2"),
    PAIR(packsswb, "\x0f\x63", "sse2"), PAIR(packssdw, "\x0f\x6b", "sse2"),
    PAIR(packuswb, "\x0f\x67", "sse2"),
    PAIR(pshufb, "\x0f\x38\x00", "ssse3"), PAIR(phaddw, "\x0f\x38\x01", "ssse3"),
    PAIR(phaddd, "\x0f\x38\x02", "ssse3"), PAIR(phaddsw, "\x0f\x38\x03", "ssse3"),
    PAIR(pmaddubsw, "\x0f\x38\x04", "ssse3"), PAIR(phsubw, "\x0f\x38\x05", "ssse3"),
    PAIR(phsubd, "\x0f\x38\x06", "ssse3"), PAIR(phsubsw, "\x0f\x38\x07", "ssse3"),
    PAIR(psignb, "\x0f\x38\x08", "ssse3"), PAIR(psignw, "\x0f\x38\x09", "ssse3"),
    PAIR(psignd, "\x0f\x38\x0a", "ssse3"), PAIR(pmulhrsw, "\x0f\x38\x0b", "ssse3"),
    PAIR(pabsb, "\x0f\x38\x1c", "ssse3"), PAIR(pabsw, "\x0f\x38\x1d", "ssse3"),
    PAIR(pabsd, "\x0f\x38\x1e", "ssse3"),
    XMM(punpcklqdq, "\x0f\x6c", "sse2"), XMM(punpckhqdq, "\x0f\x6d", "sse2"),
    XMM(packusdw, "\x0f\x38\x2b", "sse4.1"), XMM(pmuldq, "\x0f\x38\x28", "sse4.1"),
    XMM(pmulld, "\x0f\x38\x40", "sse4.1"), XMM(pcmpeqq, "\x0f\x38\x29", "sse4.1"),
    XMM(pcmpgtq, "\x0f\x38\x37", "sse4.2"),
    XMM(pminsb, "\x0f\x38\x38", "sse4.1"), XMM(pminsd, "\x0f\x38\x39", "sse4.1"),
    XMM(pminuw, "\x0f\x38\x3a", "sse4.1"), XMM(pminud, "\x0f\x38\x3b", "sse4.1"),
    XMM(pmaxsb, "\x0f\x38\x3c", "sse4.1"), XMM(pmaxsd, "\x0f\x38\x3d", "sse4.1"),
    XMM(pmaxuw, "\x0f\x38\x3e", "sse4.1"), XMM(pmaxud, "\x0f\x38\x3f", "sse4.1"),
    XMM(phminposuw, "\x0f\x38\x41", "sse4.1"),
    XMM(pmovsxbw, "\x0f\x38\x20", "sse4.1"), XMM(pmovsxbd, "\x0f\x38\x21", "sse4.1"),
    XMM(pmovsxbq, "\x0f\x38\x22", "sse4.1"), XMM(pmovsxwd, "\x0f\x38\x23", "sse4.1"),
    XMM(pmovsxwq, "\x0f\x38\x24", "sse4.1"), XMM(pmovsxdq, "\x0f\x38\x25", "sse4.1"),
    XMM(pmovzxbw, "\x0f\x38\x30", "sse4.1"), XMM(pmovzxbd, "\x0f\x38\x31", "sse4.1"),
    XMM(pmovzxbq, "\x0f\x38\x32", "sse4.1"), XMM(pmovzxwd, "\x0f\x38\x33", "sse4.1"),
    XMM(pmovzxwq, "\x0f\x38\x34", "sse4.1"), XMM(pmovzxdq, "\x0f\x38\x35", "sse4.1"),
    XMM(aesenc, "\x0f\x38\xdc", "aes"), XMM(aesenclast, "\x0f\x38\xdd", "aes"),
    XMM(aesdec, "\x0f\x38\xde", "aes"), XMM(aesdeclast, "\x0f\x38\xdf", "aes"),
    XMM(aesimc, "\x0f\x38\xdb", "aes"),
    /* the blends with XMM0 as the implicit mask use xmm1/xmm2 below */
};

static const IntCase imm_cases[] = {
    { "palignr xmm", ENC("\x66\x0f\x3a\x0f"), false, "ssse3", NULL, helper_palignr_xmm },
    { "palignr mm", ENC("\x0f\x3a\x0f"), true, "ssse3", NULL, helper_palignr_mmx },
    { "pshufw", ENC("\x0f\x70"), true, "sse2", NULL, helper_pshufw },
    { "pshufd", ENC("\x66\x0f\x70"), false, "sse2", NULL, helper_pshufd },
    { "pshufhw", ENC("\xf3\x0f\x70"), false, "sse2", NULL, helper_pshufhw },
    { "pshuflw", ENC("\xf2\x0f\x70"), false, "sse2", NULL, helper_pshuflw },
    { "shufps", ENC("\x0f\xc6"), false, "sse2", NULL, helper_shufps },
    { "shufpd", ENC("\x66\x0f\xc6"), false, "sse2", NULL, helper_shufpd },
    { "blendps", ENC("\x66\x0f\x3a\x0c"), false, "sse4.1", NULL, helper_blendps },
    { "blendpd", ENC("\x66\x0f\x3a\x0d"), false, "sse4.1", NULL, helper_blendpd },
    { "pblendw", ENC("\x66\x0f\x3a\x0e"), false, "sse4.1", NULL, helper_pblendw },
    { "mpsadbw", ENC("\x66\x0f\x3a\x42"), false, "sse4.1", NULL, helper_mpsadbw },
    { "insertps", ENC("\x66\x0f\x3a\x21"), false, "sse4.1", NULL, helper_insertps },
    { "aeskeygenassist", ENC("\x66\x0f\x3a\xdf"), false, "aes", NULL, helper_aeskeygenassist },
    { "pclmulqdq", ENC("\x66\x0f\x3a\x44"), false, "pclmul", NULL, helper_pclmulqdq },
};

static X86CPU cpu;

/* Shift counts: mostly in range, sometimes at and past the lane width. */
static void rnd_shift_source(X86XmmReg *x, const char *name)
{
    if (strncmp(name, "ps", 2) || !strchr("lr", name[2])) {
        return;
    }
    static const uint64_t big[] = { 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 1ull << 32,
                                    ~0ull };
    x->q[0] = rnd(2) ? rnd(20) : big[rnd(sizeof(big) / sizeof(big[0]))];
}

static bool run_case(const IntCase *c, HostState *st, unsigned modrm, unsigned imm)
{
    uint8_t insn[16];
    unsigned len = c->len;
    memcpy(insn, c->enc, len);
    insn[len++] = (uint8_t)modrm;
    if (c->op3) {
        insn[len++] = (uint8_t)imm;
    }
    unsigned d = (modrm >> 3) & 7, s = modrm & 7;

    memset(&cpu, 0, sizeof(cpu));
    for (unsigned i = 0; i < 3; i++) {
        cpu.xmm[i] = st->xmm[i];
    }
    cpu.fpregs[0].mant = st->mm[0];
    cpu.fpregs[1].mant = st->mm[1];
    uint32_t doff = c->mmx ? sse_mmx_offset(d) : sse_xmm_offset(d);
    uint32_t soff = c->mmx ? sse_mmx_offset(s) : sse_xmm_offset(s);
    if (c->op3) {
        c->op3(&cpu, doff, soff, imm);
    } else {
        c->op2(&cpu, doff, soff);
    }
    host_run(insn, len, st);
    if (c->mmx) {
        return cpu.fpregs[0].mant == st->mm[0] && cpu.fpregs[1].mant == st->mm[1] &&
               cpu.fpregs[d].sign_exp == 0xffff;
    }
    for (unsigned i = 0; i < 3; i++) {
        if (!xmm_equal(&cpu.xmm[i], &st->xmm[i])) {
            return false;
        }
    }
    return true;
}

static void report(const IntCase *c, const HostState *in, const HostState *out, unsigned imm)
{
    printf("  %s imm=%#x: in d=%016llx%016llx s=%016llx%016llx mm0=%016llx mm1=%016llx\n",
           c->name, imm, (unsigned long long)in->xmm[0].q[1], (unsigned long long)in->xmm[0].q[0],
           (unsigned long long)in->xmm[1].q[1], (unsigned long long)in->xmm[1].q[0],
           (unsigned long long)in->mm[0], (unsigned long long)in->mm[1]);
    printf("  host d=%016llx%016llx mm0=%016llx; emulated d=%016llx%016llx mm0=%016llx\n",
           (unsigned long long)out->xmm[0].q[1], (unsigned long long)out->xmm[0].q[0],
           (unsigned long long)out->mm[0], (unsigned long long)cpu.xmm[0].q[1],
           (unsigned long long)cpu.xmm[0].q[0], (unsigned long long)cpu.fpregs[0].mant);
}

static void random_state(HostState *st)
{
    memset(st, 0, sizeof(*st));
    for (unsigned i = 0; i < 3; i++) {
        rnd_int_vec(&st->xmm[i]);
    }
    st->mm[0] = st->xmm[2].q[0] ^ rnd64();
    st->mm[1] = st->xmm[2].q[1];
    if (rnd(2)) {
        st->mm[1] = st->xmm[1].q[0];
    }
    st->mxcsr = MXCSR_RESET;
}

static int check_table(const IntCase *cases, unsigned n, bool all_imm)
{
    int bad = 0;
    for (unsigned k = 0; k < n; k++) {
        const IntCase *c = &cases[k];
        if (!host_has(c->feature)) {
            continue;
        }
        for (unsigned it = 0; it < (all_imm ? 256u * 8 : ITER); it++) {
            HostState st, in;
            random_state(&st);
            rnd_shift_source(&st.xmm[1], c->name);
            if (c->mmx) {
                rnd_shift_source((X86XmmReg *)&st.xmm[2], c->name);
                if (!strncmp(c->name, "ps", 2) && strchr("lr", c->name[2])) {
                    st.mm[1] = st.xmm[2].q[0];
                }
            }
            in = st;
            unsigned modrm = rnd(8) ? 0xc1 : 0xc0;  /* d = s too */
            unsigned imm = all_imm ? it % 256 : 0;
            if (!run_case(c, &st, modrm, imm)) {
                report(c, &in, &st, imm);
                bad++;
                break;
            }
        }
    }
    return bad;
}

TEST_CASE(int_binary_ops_match_host)
{
    CHECK_EQ(check_table(int_cases, sizeof(int_cases) / sizeof(int_cases[0]), false), 0);
}

TEST_CASE(int_imm_ops_match_host_for_every_imm8)
{
    CHECK_EQ(check_table(imm_cases, sizeof(imm_cases) / sizeof(imm_cases[0]), true), 0);
}

/* Shifts by imm8 are the register forms with the count in the scratch qword. */
TEST_CASE(int_shift_by_imm8_and_byte_shifts_match_host)
{
    static const struct { const char *name; uint8_t opc, ext; Op2 *xmm, *mmx; } shifts[] = {
        { "psrlw", 0x71, 2, helper_psrlw_xmm, helper_psrlw_mmx },
        { "psraw", 0x71, 4, helper_psraw_xmm, helper_psraw_mmx },
        { "psllw", 0x71, 6, helper_psllw_xmm, helper_psllw_mmx },
        { "psrld", 0x72, 2, helper_psrld_xmm, helper_psrld_mmx },
        { "psrad", 0x72, 4, helper_psrad_xmm, helper_psrad_mmx },
        { "pslld", 0x72, 6, helper_pslld_xmm, helper_pslld_mmx },
        { "psrlq", 0x73, 2, helper_psrlq_xmm, helper_psrlq_mmx },
        { "psllq", 0x73, 6, helper_psllq_xmm, helper_psllq_mmx },
        { "psrldq", 0x73, 3, NULL, NULL },
        { "pslldq", 0x73, 7, NULL, NULL },
    };
    for (unsigned k = 0; k < sizeof(shifts) / sizeof(shifts[0]); k++) {
        for (unsigned imm = 0; imm < 256; imm++) {
            for (int mmx = 0; mmx < 2; mmx++) {
                if (mmx && !shifts[k].mmx) {
                    continue;
                }
                HostState st;
                random_state(&st);
                uint8_t insn[5] = { 0x66, 0x0f, shifts[k].opc, (uint8_t)(0xc0 | shifts[k].ext << 3),
                                    (uint8_t)imm };
                memset(&cpu, 0, sizeof(cpu));
                cpu.xmm[0] = st.xmm[0];
                cpu.fpregs[0].mant = st.mm[0];
                cpu.xmm_t0.q[0] = imm;
                if (shifts[k].opc == 0x73 && (shifts[k].ext == 3 || shifts[k].ext == 7)) {
                    (shifts[k].ext == 3 ? helper_psrldq : helper_pslldq)(&cpu,
                        sse_xmm_offset(0), imm);
                } else if (mmx) {
                    shifts[k].mmx(&cpu, sse_mmx_offset(0), SSE_SCRATCH_OFFSET);
                } else {
                    shifts[k].xmm(&cpu, sse_xmm_offset(0), SSE_SCRATCH_OFFSET);
                }
                host_run(mmx ? insn + 1 : insn, mmx ? 4 : 5, &st);
                if (mmx) {
                    CHECK_EQ(cpu.fpregs[0].mant, st.mm[0]);
                } else {
                    if (!xmm_equal(&cpu.xmm[0], &st.xmm[0])) {
                        printf("  %s imm=%u\n", shifts[k].name, imm);
                    }
                    CHECK(xmm_equal(&cpu.xmm[0], &st.xmm[0]));
                }
            }
        }
    }
}

/* PBLENDVB/BLENDVPS/BLENDVPD: xmm1 = blend(xmm1, xmm2) under XMM0. */
TEST_CASE(int_variable_blends_match_host)
{
    if (!host_has("sse4.1")) {
        SKIP("host without SSE4.1");
    }
    static const struct { const char *enc; Op2 *op; } blends[] = {
        { "\x66\x0f\x38\x10\xca", helper_pblendvb },
        { "\x66\x0f\x38\x14\xca", helper_blendvps },
        { "\x66\x0f\x38\x15\xca", helper_blendvpd },
    };
    for (unsigned k = 0; k < 3; k++) {
        for (unsigned it = 0; it < ITER; it++) {
            HostState st;
            random_state(&st);
            memset(&cpu, 0, sizeof(cpu));
            memcpy(cpu.xmm, st.xmm, sizeof(st.xmm));
            blends[k].op(&cpu, sse_xmm_offset(1), sse_xmm_offset(2));
            host_run((const uint8_t *)blends[k].enc, 5, &st);
            CHECK(xmm_equal(&cpu.xmm[1], &st.xmm[1]));
        }
    }
}

/* PMOVMSKB/MOVMSKPS/MOVMSKPD into EAX; PTEST's ZF and CF. */
TEST_CASE(int_masks_and_ptest_match_host)
{
    for (unsigned it = 0; it < ITER; it++) {
        HostState st;
        random_state(&st);
        memset(&cpu, 0, sizeof(cpu));
        memcpy(cpu.xmm, st.xmm, sizeof(st.xmm));
        cpu.fpregs[1].mant = st.mm[1];

        host_run((const uint8_t *)"\x66\x0f\xd7\xc1", 4, &st);
        CHECK_EQ(helper_pmovmskb_xmm(&cpu, sse_xmm_offset(1)), st.rax);
        host_run((const uint8_t *)"\x0f\xd7\xc1", 3, &st);
        CHECK_EQ(helper_pmovmskb_mmx(&cpu, sse_mmx_offset(1)), st.rax);
        host_run((const uint8_t *)"\x0f\x50\xc1", 3, &st);
        CHECK_EQ(helper_movmskps(&cpu, sse_xmm_offset(1)), st.rax);
        host_run((const uint8_t *)"\x66\x0f\x50\xc1", 4, &st);
        CHECK_EQ(helper_movmskpd(&cpu, sse_xmm_offset(1)), st.rax);
        if (host_has("sse4.1")) {
            if (rnd(3) == 0) {
                cpu.xmm[1].q[0] &= ~cpu.xmm[0].q[0];
                cpu.xmm[1].q[1] &= ~cpu.xmm[0].q[1];
                st.xmm[1] = cpu.xmm[1];
            }
            host_run((const uint8_t *)"\x66\x0f\x38\x17\xc1", 5, &st);
            CHECK_EQ(helper_ptest(&cpu, sse_xmm_offset(0), sse_xmm_offset(1)),
                     st.rflags & X86_EFLAGS_ARITH);
        }
    }
}

/* CRC32 r32, r/m8..64 (CRC-32C), against the host's CRC32. */
TEST_CASE(crc32_matches_host)
{
    if (!host_has("sse4.2")) {
        SKIP("host without SSE4.2");
    }
    static const struct { const char *enc; unsigned len, size; } forms[] = {
        { "\xf2\x0f\x38\xf0\xc1", 5, 1 },
        { "\x66\xf2\x0f\x38\xf1\xc1", 6, 2 },
        { "\xf2\x0f\x38\xf1\xc1", 5, 4 },
        { "\xf2\x48\x0f\x38\xf1\xc1", 6, 8 },
    };
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned it = 0; it < ITER; it++) {
            HostState st;
            random_state(&st);
            st.rax = rnd64();
            st.rcx = rnd64();
            uint64_t want_in = st.rax;
            host_run((const uint8_t *)forms[k].enc, forms[k].len, &st);
            CHECK_EQ(helper_crc32(want_in, st.rcx, forms[k].size), st.rax);
        }
    }
}

/* MMX writes mark the aliased x87 register (exponent all ones). */
TEST_CASE(mmx_write_sets_x87_exponent)
{
    memset(&cpu, 0, sizeof(cpu));
    cpu.fpregs[3].sign_exp = 0x3fff;
    cpu.fpregs[3].mant = 0x8000000000000000ull;
    cpu.fpregs[4].mant = 5;
    helper_paddb_mmx(&cpu, sse_mmx_offset(3), sse_mmx_offset(4));
    CHECK_EQ(cpu.fpregs[3].sign_exp, 0xffff);
    CHECK_EQ(cpu.fpregs[3].mant, 0x8000000000000005ull);
    CHECK_EQ(cpu.fpregs[4].sign_exp, 0);
}

int main(void)
{
    RUN(int_binary_ops_match_host);
    RUN(int_imm_ops_match_host_for_every_imm8);
    RUN(int_shift_by_imm8_and_byte_shifts_match_host);
    RUN(int_variable_blends_match_host);
    RUN(int_masks_and_ptest_match_host);
    RUN(crc32_matches_host);
    RUN(mmx_write_sets_x87_exponent);
    TEST_EXIT();
}
