/*
 * translate_sse.c end to end: every MMX/SSE..SSE4.2 form the decoder knows (found by
 * decoding all 0F/0F38/0F3A opcodes), register and memory forms, runs as a guest and
 * natively between FXRSTOR64/FXSAVE64 in the compared window; plus the CR0/CR4, #GP
 * alignment and #XM/#UD rules.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcg/helper.h"   /* tcg_helper_retaddr, used by the harness */
#include "translate_harness.h"

#include "cpu/x86/decode.h"
#include "cpu/x86/sse_helper.h"

enum { IMG_IN = 0x000, IMG_OUT = 0x200, OPND = 0x400, OPND_SIZE = 0x400 };

/* ---- the forms under test, found through the decoder ---- */

typedef struct Template {
    uint8_t b[16];
    unsigned len;
    unsigned modrm_at;      /* index of the ModRM byte */
    bool mem;               /* memory form: ModRM 01 reg 110 (+disp8): [rsi + disp8] */
    unsigned imm_at, imm_len;
    uint16_t id;
} Template;

#define MAX_TEMPLATES 2048
static Template templates[MAX_TEMPLATES];
static unsigned n_templates;

typedef struct FetchBuf {
    const uint8_t *b;
} FetchBuf;

static uint8_t fetch(void *ctx, unsigned i)
{
    return ((FetchBuf *)ctx)->b[i];
}

static bool decode_bytes(const uint8_t *b, X86Insn *in)
{
    FetchBuf fb = { b };
    return x86_decode(X86_MODE_64, fetch, &fb, in) == X86_DECODE_OK;
}

static bool family(const X86Insn *in)
{
    switch (in->feature) {
    case X86_FEAT_MMX: case X86_FEAT_SSE: case X86_FEAT_SSE2: case X86_FEAT_SSE3:
    case X86_FEAT_SSSE3: case X86_FEAT_SSE4_1: case X86_FEAT_SSE4_2:
        break;
    default:
        return false;
    }
    /* hints and fences are not this family's (no operands to compare) */
    return !(in->attrs & X86_ATTR_NOP) && in->id != X86_INSN_MOVNTI_MyGy;
}

static void find_templates(void)
{
    static const uint8_t prefixes[] = { 0, 0x66, 0xf3, 0xf2 };
    static const uint8_t maps[3][2] = { { 0x0f, 0 }, { 0x0f, 0x38 }, { 0x0f, 0x3a } };
    for (unsigned m = 0; m < 3; m++) {
        for (unsigned p = 0; p < 4; p++) {
            for (unsigned opc = 0; opc < 256; opc++) {
                for (unsigned form = 0; form < 16; form++) {
                    uint8_t b[24] = { 0 };
                    unsigned n = 0;
                    if (prefixes[p]) {
                        b[n++] = prefixes[p];
                    }
                    b[n++] = maps[m][0];
                    if (maps[m][1]) {
                        b[n++] = maps[m][1];
                    }
                    b[n++] = (uint8_t)opc;
                    unsigned modrm_at = n;
                    bool mem = form >= 8;
                    b[n++] = mem ? (uint8_t)(0x46 | (form & 7) << 3)
                                 : (uint8_t)(0xc1 | (form & 7) << 3);
                    X86Insn in;
                    if (!decode_bytes(b, &in) || !family(&in) || !in.has_modrm ||
                        in.modrm != b[modrm_at]) {
                        continue;
                    }
                    /* one template per (id, register/memory form) */
                    bool seen = false;
                    for (unsigned t = 0; t < n_templates; t++) {
                        seen |= templates[t].id == in.id && templates[t].mem == mem;
                    }
                    if (seen || n_templates == MAX_TEMPLATES) {
                        continue;
                    }
                    Template *t = &templates[n_templates++];
                    memcpy(t->b, b, sizeof(t->b));
                    t->len = in.len;
                    t->modrm_at = modrm_at;
                    t->mem = mem;
                    t->imm_at = modrm_at + 1 + (mem ? 1 : 0);
                    t->imm_len = in.len - t->imm_at;
                    t->id = in.id;
                }
            }
        }
    }
    /* EMMS has no ModRM */
    Template *t = &templates[n_templates++];
    memset(t, 0, sizeof(*t));
    t->b[0] = 0x0f;
    t->b[1] = 0x77;
    t->len = 2;
    t->id = X86_INSN_EMMS;
}

/* GPR operands may not be the frame's bases (rbx, rsi) or rsp. */
static bool usable(const X86Insn *in)
{
    for (unsigned i = 0; i < X86_MAX_OPERANDS; i++) {
        const X86Operand *o = &in->op[i];
        if (o->type == X86_OPT_REG && (o->cls == X86_RC_GPR || o->cls == X86_RC_GPR8H) &&
            (o->reg == R_EBX || o->reg == R_ESI || o->reg == R_ESP)) {
            return false;
        }
    }
    return true;
}

/* An instance of template t with random registers, REX, displacement, imm8. */
static bool instantiate(const Template *t, ThCode *c, X86Insn *out)
{
    for (int tries = 0; tries < 50; tries++) {
        uint8_t b[24];
        unsigned n = 0, at = 0;
        const uint8_t *src = t->b;
        /* mandatory prefix first, then an optional REX */
        if (src[0] == 0x66 || src[0] == 0xf2 || src[0] == 0xf3) {
            b[n++] = src[at++];
        }
        unsigned rex = 0;
        if (t->modrm_at && th_rand() % 3 == 0) {
            rex = 0x40 | (th_rand() & (t->mem ? 0xc : 0xd));   /* W R (B) */
            b[n++] = (uint8_t)rex;
        }
        unsigned modrm_at = t->modrm_at ? t->modrm_at - at + n : 0;
        memcpy(b + n, src + at, t->len - at + 8);
        n += t->len - at;
        if (t->modrm_at) {
            uint8_t m = b[modrm_at];
            uint8_t reg = (uint8_t)(th_rand() & 7);
            if (t->mem) {
                b[modrm_at] = (uint8_t)(0x46 | reg << 3);
                unsigned disp = th_rand() % 4 ? (unsigned)(th_rand() % 8) * 16
                                              : (unsigned)(th_rand() % 120);
                b[modrm_at + 1] = (uint8_t)disp;
            } else {
                b[modrm_at] = (uint8_t)(0xc0 | reg << 3 | (th_rand() & 7));
            }
            (void)m;
        }
        unsigned imm_at = t->imm_at - (t->modrm_at ? t->modrm_at : 0) + modrm_at;
        for (unsigned i = 0; i < t->imm_len; i++) {
            b[imm_at + i] = (uint8_t)th_rand();
        }
        memset(b + n, 0, 8);
        X86Insn in;
        if (!decode_bytes(b, &in) || in.id != t->id || !usable(&in)) {
            continue;
        }
        th_emit(c, b, in.len);
        *out = in;
        return true;
    }
    return false;
}

/* ---- state ---- */

static void rand_image(uint8_t *img)
{
    for (unsigned i = 0; i < 512; i += 8) {
        uint64_t v = th_rand_value();
        memcpy(img + i, &v, 8);
    }
    for (unsigned i = 0; i < 16; i++) {                 /* float-looking XMM lanes */
        uint8_t *x = img + 160 + 16 * i;
        unsigned kind = th_rand() % 4;
        for (unsigned l = 0; l < 4 && kind < 2; l++) {
            static const uint32_t f32[] = { 0x3f800000, 0xbfc00000, 0x7fc00000, 0x7f800001,
                                            0x00000001, 0x7f7fffff, 0, 0x80000000, 0x4b000000,
                                            0x4f000000, 0xcf000001, 0x3effffff };
            uint32_t v = kind ? f32[th_rand() % 12]
                              : (uint32_t)(th_rand() & 0x807fffff) | (uint32_t)(120 + th_rand() % 20) << 23;
            memcpy(x + 4 * l, &v, 4);
        }
    }
    uint32_t mxcsr = MXCSR_MASKS | (uint32_t)(th_rand() % 4) << MXCSR_RC_SHIFT |
                     (th_rand() % 2 ? MXCSR_DAZ : 0) | (th_rand() % 2 ? MXCSR_FTZ : 0) |
                     (uint32_t)(th_rand() % 64);
    uint32_t mask = 0xffff;
    memcpy(img + 24, &mxcsr, 4);
    memcpy(img + 28, &mask, 4);
    uint16_t fcw = 0x037f;
    memcpy(img, &fcw, 2);
    img[5] = 0;
    memset(img + 6, 0, 18);
    for (unsigned i = 0; i < 8; i++) {
        memset(img + 32 + 16 * i + 10, 0, 6);
    }
}

static uint64_t checks_run;

/* When set, XMM/MMX registers and the memory operands hold bytes of a tiny
 * alphabet, so that compares find equal elements (string-scan code). */
static bool few_values;

static void few_values_fill(uint8_t *p, size_t n)
{
    static const uint8_t alphabet[] = { 0, 0xff, 'a', 0x80 };
    for (size_t i = 0; i < n; i++) {
        p[i] = alphabet[th_rand() % 4];
    }
}

/* Frame `body` with FXRSTOR64 [rbx] / FXSAVE64 [rbx+0x200]; run both ways. */
static bool run_snippet(const char *what, const ThCode *body, bool aligned_rdi)
{
    static uint8_t window[TH_WINDOW_SIZE];
    static ThResult g, n;
    ThState in;
    ThCode code = { .n = 0 };

    th_random_state(&in, window);
    rand_image(window + IMG_IN);
    if (few_values) {
        few_values_fill(window + IMG_IN + 160, 256);          /* XMM0-15 */
        for (unsigned i = 0; i < 8; i++) {
            few_values_fill(window + IMG_IN + 32 + 16 * i, 8);   /* MM0-7 */
        }
        few_values_fill(window + OPND, OPND_SIZE);
    }
    in.gpr[R_EBX] = TH_WINDOW + IMG_IN;
    in.gpr[R_ESI] = TH_WINDOW + OPND;
    in.gpr[R_EDI] = TH_WINDOW + OPND + 0x100 + (aligned_rdi ? 0 : th_rand() % 64);
    for (int r = 0; r < 16; r++) {                      /* lengths for PCMPESTRx */
        if (r == R_EAX || r == R_EDX) {
            if (th_rand() % 2) {
                in.gpr[r] = (uint64_t)(int64_t)((int)(th_rand() % 40) - 20);
            }
        }
    }
    TH_EMIT(&code, 0x48, 0x0f, 0xae, 0x0b);             /* fxrstor64 (%rbx) */
    th_emit(&code, body->b, body->n);
    TH_EMIT(&code, 0x48, 0x0f, 0xae, 0x83, 0x00, 0x02, 0x00, 0x00);   /* fxsave64 0x200(%rbx) */

    th_run_native(code.b, code.n, &in, window, &n);
    __asm__ volatile("fninit\n\tldmxcsr %0" : : "m"((uint32_t){ MXCSR_RESET }));
    th_run_guest(TH_MODE64, code.b, code.n, &in, window, &g);
    /* FPU instruction/data pointers and opcode: not this family's. */
    memset(g.window + IMG_OUT + 6, 0, 18);
    memset(n.window + IMG_OUT + 6, 0, 18);
    checks_run++;
    if (th_same(what, &g, &n, X86_EFLAGS_ARITH)) {
        return true;
    }
    th_dump_code(&code);
    return false;
}

TEST_CASE(every_form_matches_host)
{
    if (!th_native_init()) {
        SKIP("cannot map the fixed native addresses");
    }
    find_templates();
    CHECK(n_templates > 400);
    int bad = 0;
    for (unsigned t = 0; t < n_templates && bad < 10; t++) {
        const char *name = x86_insn_name(templates[t].id);
        for (unsigned it = 0; it < 40; it++) {
            ThCode body = { .n = 0 };
            X86Insn in;
            if (!instantiate(&templates[t], &body, &in)) {
                break;
            }
            char what[64];
            snprintf(what, sizeof(what), "%s%s", name, templates[t].mem ? " (mem)" : "");
            if (!run_snippet(what, &body, it % 2)) {
                bad++;
                break;
            }
        }
    }
    printf("  %u forms, %llu snippets\n", n_templates, (unsigned long long)checks_run);
    CHECK_EQ(bad, 0);
}

/* Short sequences mixing MMX, x87-aliasing moves and SSE. */
TEST_CASE(sequences_match_host)
{
    if (!th_native_init()) {
        SKIP("cannot map the fixed native addresses");
    }
    int bad = 0;
    for (unsigned it = 0; it < 400 && !bad; it++) {
        ThCode body = { .n = 0 };
        for (unsigned k = 0; k < 6; k++) {
            /* not LDMXCSR: it could unmask exceptions, which the harness's
             * guest (CR4.OSXMMEXCPT = 0) reports as #UD, Linux as #XM; not
             * MASKMOVx: an earlier insn may point rDI at guest-only memory */
            const Template *t = &templates[th_rand() % n_templates];
            X86Insn in;
            if (t->id != X86_INSN_LDMXCSR_Md && t->id != X86_INSN_MASKMOVQ_PqNq &&
                t->id != X86_INSN_MASKMOVDQU_VdqUdq) {
                instantiate(t, &body, &in);
            }
        }
        bad += !run_snippet("sequence", &body, true);
    }
    CHECK_EQ(bad, 0);
}

/* The forms translate_sse.c emits inline (PCMPEQB/W/D, PMOVMSKB, PSHUFD)
 * in strlen/strchr-like sequences over data with many equal elements. */
TEST_CASE(string_scan_forms_match_host)
{
    if (!th_native_init()) {
        SKIP("cannot map the fixed native addresses");
    }
    static const uint16_t ids[] = {
        X86_INSN_PCMPEQB_VdqWdq, X86_INSN_PCMPEQW_VdqWdq, X86_INSN_PCMPEQD_VdqWdq,
        X86_INSN_PCMPEQB_PqQq, X86_INSN_PCMPEQW_PqQq, X86_INSN_PCMPEQD_PqQq,
        X86_INSN_PMOVMSKB_GyUdq, X86_INSN_PMOVMSKB_GyNq, X86_INSN_PSHUFD_VdqWdqIb,
        X86_INSN_POR_VdqWdq, X86_INSN_PXOR_VdqWdq,
    };
    const Template *pick[2 * sizeof(ids) / sizeof(ids[0])];
    unsigned n = 0;
    for (unsigned t = 0; t < n_templates; t++) {
        for (unsigned k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
            if (templates[t].id == ids[k]) {
                pick[n++] = &templates[t];
            }
        }
    }
    CHECK(n >= 15);   /* register and memory forms (PMOVMSKB: register only) */
    few_values = true;
    int bad = 0;
    for (unsigned it = 0; it < 600 && !bad && n; it++) {
        ThCode body = { .n = 0 };
        for (unsigned k = 0; k < 5; k++) {
            X86Insn in;
            instantiate(pick[th_rand() % n], &body, &in);
        }
        bad += !run_snippet("string scan", &body, true);
    }
    few_values = false;
    CHECK_EQ(bad, 0);
}

/* #UD with CR4.OSFXSR = 0 (SSE, not MMX), #UD with CR0.EM, #NM with CR0.TS. */
TEST_CASE(control_register_exception_rules)
{
    static const struct { const char *what; uint8_t b[4]; unsigned n; bool mmx; } forms[] = {
        { "addps", { 0x0f, 0x58, 0xc1 }, 3, false },
        { "paddb mm", { 0x0f, 0xfc, 0xc1 }, 3, true },
        { "emms", { 0x0f, 0x77 }, 2, true },
    };
    for (unsigned k = 0; k < 3; k++) {
        for (unsigned mode = 0; mode < 4; mode++) {
            X86CPU *c = th_cpu_new(TH_MODE64);
            int want = -1;
            if (mode == 0) {
                c->cr[4] &= ~CR4_OSFXSR;
                want = forms[k].mmx ? -1 : X86_EXCP_UD;
            } else if (mode == 1) {
                c->cr[0] |= CR0_EM;
                want = X86_EXCP_UD;
            } else if (mode == 2) {
                c->cr[0] |= CR0_TS;
                want = X86_EXCP_NM;
            }
            x86_update_hflags(c);
            memset(th_gcode, 0xcc, TH_CODE_SIZE);
            memcpy(th_gcode, forms[k].b, forms[k].n);
            th_gcode[forms[k].n] = 0xf4;
            c->rip = TH_CODE;
            int vec;
            ThStop stop = th_exec(c, &vec);
            if (want < 0) {
                CHECK_EQ(stop, TH_STOP_HALT);
            } else {
                CHECK_EQ(stop, TH_STOP_EXCEPTION);
                CHECK_EQ(vec, want);
                CHECK_EQ(c->rip, TH_CODE);
            }
        }
    }
}

/* Misaligned 16-byte operands of aligned forms: #GP(0) before anything. */
TEST_CASE(misaligned_movaps_raises_gp)
{
    X86CPU *c = th_cpu_new(TH_MODE64);
    static const uint8_t code[] = { 0x0f, 0x28, 0x46, 0x08, 0xf4 };   /* movaps 8(%rsi),%xmm0 */
    memset(th_gcode, 0xcc, TH_CODE_SIZE);
    memcpy(th_gcode, code, sizeof(code));
    c->rip = TH_CODE;
    c->regs[R_ESI] = TH_WINDOW;
    c->xmm[0].q[0] = 0x1234;
    int vec;
    CHECK_EQ(th_exec(c, &vec), TH_STOP_EXCEPTION);
    CHECK_EQ(vec, X86_EXCP_GP);
    CHECK_EQ(c->exception.error_code, 0);
    CHECK_EQ(c->xmm[0].q[0], 0x1234);
}

/* Unmasked SIMD exceptions: #XM with CR4.OSXMMEXCPT, else #UD; the flag is
 * recorded and the destination kept. */
TEST_CASE(unmasked_simd_exception_raises_xm_or_ud)
{
    static const uint8_t code[] = { 0xf3, 0x0f, 0x5e, 0xc1, 0xf4 };    /* divss %xmm1,%xmm0 */
    for (int osxmmexcpt = 0; osxmmexcpt < 2; osxmmexcpt++) {
        X86CPU *c = th_cpu_new(TH_MODE64);
        if (osxmmexcpt) {
            c->cr[4] |= CR4_OSXMMEXCPT;
            x86_update_hflags(c);
        }
        memset(th_gcode, 0xcc, TH_CODE_SIZE);
        memcpy(th_gcode, code, sizeof(code));
        c->rip = TH_CODE;
        c->mxcsr = MXCSR_MASKS & ~(MXCSR_ZE << MXCSR_MASK_SHIFT);
        c->xmm[0].d[0] = 0x3f800000;
        c->xmm[1].d[0] = 0;
        int vec;
        CHECK_EQ(th_exec(c, &vec), TH_STOP_EXCEPTION);
        CHECK_EQ(vec, osxmmexcpt ? X86_EXCP_XM : X86_EXCP_UD);
        CHECK_EQ(c->rip, TH_CODE);
        CHECK_EQ(c->xmm[0].d[0], 0x3f800000);
        CHECK_EQ(c->mxcsr & MXCSR_FLAGS, MXCSR_ZE);
    }
}

/* translate.c has weak stand-ins for the family entry points; linking from
 * the library archive would keep them unless translate_sse.o is pulled in. */
extern const TCGHelperInfo helper_info_addps;

TEST_CASE(sse_family_linked)
{
    CHECK(helper_info_addps.func != NULL);
}

int main(void)
{
    RUN(sse_family_linked);
    RUN(every_form_matches_host);
    RUN(sequences_match_host);
    RUN(string_scan_forms_match_host);
    RUN(control_register_exception_rules);
    RUN(misaligned_movaps_raises_gp);
    RUN(unmasked_simd_exception_raises_xm_or_ud);
    TEST_EXIT();
}
