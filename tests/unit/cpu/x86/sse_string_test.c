/*
 * PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (sse_string.c) against the host CPU for
 * all 256 imm8 values, explicit lengths in and out of range in both operand sizes,
 * and implicit lengths with terminators anywhere.
 */
#include <stdio.h>

#include "test.h"
#include "sse_test_host.h"

#define PER_IMM 120

static X86CPU cpu;

/* Strings over a small alphabet, so that the aggregations find matches. */
static void rnd_string(X86XmmReg *x)
{
    static const uint8_t alphabet[] = { 'a', 'b', 'c', 'z', 0x80, 0xff, 0x7f, 0x01 };
    unsigned mode = rnd(4);
    for (unsigned i = 0; i < 16; i++) {
        x->b[i] = mode == 0 ? (uint8_t)rnd64() : alphabet[rnd(mode == 1 ? 3 : 8)];
    }
    if (rnd(3)) {                                /* a terminator somewhere (or two) */
        unsigned at = rnd(18);
        if (at < 16) {
            x->b[at] = 0;
            if (rnd(2) && at + 1 < 16) {
                x->b[at + 1] = 0;                /* a zero word too */
            }
        }
    }
}

static uint64_t rnd_length(bool rexw)
{
    switch (rnd(6)) {
    case 0: return (uint64_t)(int64_t)-(int)rnd(20);
    case 1: return rexw ? rnd64() : (uint32_t)rnd64() | (rnd64() << 32);
    case 2: return rexw ? 0x100000000ull | rnd(4) : 0x80000000u | rnd(4);
    default: return rnd(20) | (rexw ? 0 : rnd64() << 32);   /* upper half ignored */
    }
}

typedef uint64_t ExplicitOp(void *, uint32_t, uint32_t, uint32_t, uint64_t, uint64_t);
typedef uint64_t ImplicitOp(void *, uint32_t, uint32_t, uint32_t);

static bool check_one(unsigned opc, unsigned imm, bool rexw, HostState *st)
{
    bool explicit = opc == 0x60 || opc == 0x61, index = opc & 1;
    uint8_t insn[8];
    unsigned len = 0;
    insn[len++] = 0x66;
    if (rexw) {
        insn[len++] = 0x48;
    }
    insn[len++] = 0x0f;
    insn[len++] = 0x3a;
    insn[len++] = (uint8_t)opc;
    insn[len++] = 0xc1;
    insn[len++] = (uint8_t)imm;

    memset(&cpu, 0, sizeof(cpu));
    memcpy(cpu.xmm, st->xmm, sizeof(st->xmm));
    uint32_t ctl = imm | (rexw ? SSE_STR_REXW : 0);
    uint64_t r;
    if (explicit) {
        ExplicitOp *op = index ? helper_pcmpestri : helper_pcmpestrm;
        r = op(&cpu, sse_xmm_offset(0), sse_xmm_offset(1), ctl, st->rax, st->rdx);
    } else {
        ImplicitOp *op = index ? helper_pcmpistri : helper_pcmpistrm;
        r = op(&cpu, sse_xmm_offset(0), sse_xmm_offset(1), ctl);
    }
    HostState in = *st;
    host_run(insn, len, st);
    bool ok = (r & 0xffffffff) == (st->rflags & X86_EFLAGS_ARITH);
    if (index) {
        ok = ok && (r >> 32) == st->rcx;
    } else {
        ok = ok && xmm_equal(&cpu.xmm[0], &st->xmm[0]);
    }
    if (!ok) {
        printf("  opc %#x imm %#x rexw %d: a=%016llx%016llx b=%016llx%016llx rax=%llx rdx=%llx\n",
               opc, imm, rexw, (unsigned long long)in.xmm[0].q[1],
               (unsigned long long)in.xmm[0].q[0], (unsigned long long)in.xmm[1].q[1],
               (unsigned long long)in.xmm[1].q[0], (unsigned long long)in.rax,
               (unsigned long long)in.rdx);
        printf("  host flags %#llx ecx %llu xmm0 %016llx%016llx; emulated flags %#llx ecx %llu "
               "xmm0 %016llx%016llx\n", (unsigned long long)(st->rflags & X86_EFLAGS_ARITH),
               (unsigned long long)st->rcx, (unsigned long long)st->xmm[0].q[1],
               (unsigned long long)st->xmm[0].q[0], (unsigned long long)(r & 0xffffffff),
               (unsigned long long)(r >> 32), (unsigned long long)cpu.xmm[0].q[1],
               (unsigned long long)cpu.xmm[0].q[0]);
    }
    return ok;
}

static void check_form(unsigned opc)
{
    if (!host_has("sse4.2")) {
        SKIP("host without SSE4.2");
    }
    for (unsigned imm = 0; imm < 256; imm++) {
        for (unsigned it = 0; it < PER_IMM; it++) {
            HostState st;
            memset(&st, 0, sizeof(st));
            bool rexw = rnd(2);
            rnd_string(&st.xmm[0]);
            rnd_string(&st.xmm[1]);
            if (rnd(4) == 0) {
                st.xmm[1] = st.xmm[0];
            }
            st.rax = rnd_length(rexw);
            st.rdx = rnd_length(rexw);
            st.rcx = rnd64();
            st.mxcsr = MXCSR_RESET;
            CHECK(check_one(opc, imm, rexw, &st));
        }
    }
}

TEST_CASE(pcmpestri_matches_host_for_every_imm8)
{
    check_form(0x61);
}

TEST_CASE(pcmpestrm_matches_host_for_every_imm8)
{
    check_form(0x60);
}

TEST_CASE(pcmpistri_matches_host_for_every_imm8)
{
    check_form(0x63);
}

TEST_CASE(pcmpistrm_matches_host_for_every_imm8)
{
    check_form(0x62);
}

int main(void)
{
    RUN(pcmpestri_matches_host_for_every_imm8);
    RUN(pcmpestrm_matches_host_for_every_imm8);
    RUN(pcmpistri_matches_host_for_every_imm8);
    RUN(pcmpistrm_matches_host_for_every_imm8);
    TEST_EXIT();
}
