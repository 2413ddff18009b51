/*
 * The x86-64 backend's instruction encoder against capstone's disassembler:
 * every form the code generator uses, with every register (REX.R/X/B, the
 * rsp/r12 SIB and rbp/r13 displacement special cases, spl..dil byte
 * registers), short and long immediates and displacements, VEX (BMI), jumps.
 */
#if defined(__x86_64__)
#include <capstone/capstone.h>

#include "x86_64_harness.h"
#include "tcg/x86_64/internal.h"

static const char *const r64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const r32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                     "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const r16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                     "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const r8n[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                     "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const ccn[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                     "s", "ns", "p", "np", "l", "ge", "le", "g" };
static const char *const arith[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };

static csh cs;
static uint8_t buf[256];
static X64Gen gen;
static unsigned checked;

static X64Gen *start(void)
{
    gen.buf = gen.ptr = buf;
    gen.end = buf + sizeof(buf);
    gen.rx_diff = 0;
    return &gen;
}

/* Capstone's immediate style: decimal up to 9, hex above, minus sign for negatives. */
static void imm_str(char *out, size_t n, int64_t v)
{
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (m <= 9) {
        snprintf(out, n, "%s%" PRIu64, v < 0 ? "-" : "", m);
    } else {
        snprintf(out, n, "%s0x%" PRIx64, v < 0 ? "-" : "", m);
    }
}

static void mem_str(char *out, size_t n, const char *size, int base, int index, int32_t disp)
{
    char d[32] = "";
    if (disp) {
        char x[24];
        imm_str(x, sizeof(x), disp < 0 ? -(int64_t)disp : disp);
        snprintf(d, sizeof(d), " %c %s", disp < 0 ? '-' : '+', x);
    }
    snprintf(out, n, "%s%s[%s%s%s%s]", size, *size ? " ptr " : "", r64[base],
             index >= 0 ? " + " : "", index >= 0 ? r64[index] : "", d);
}

/* The bytes emitted since start() must be exactly one instruction reading `want`
 * (or `alt`, for capstone's inconsistent spellings of the same immediate). */
static bool expect2(const char *want, const char *alt)
{
    size_t len = (size_t)(gen.ptr - buf);
    cs_insn *insn;
    size_t n = cs_disasm(cs, buf, len, 0x1000, 1, &insn);
    char got[256] = "(undecodable)";
    size_t used = 0;
    if (n == 1) {
        snprintf(got, sizeof(got), "%s%s%s", insn[0].mnemonic, insn[0].op_str[0] ? " " : "",
                 insn[0].op_str);
        used = insn[0].size;
        cs_free(insn, n);
    }
    checked++;
    if ((strcmp(got, want) != 0 && (!alt || strcmp(got, alt) != 0)) || used != len) {
        printf("FAIL %s: want \"%s\", got \"%s\" (%zu of %zu bytes:", test_case_name_, want, got,
               used, len);
        for (size_t i = 0; i < len; i++) {
            printf(" %02x", buf[i]);
        }
        printf(")\n");
        test_case_failed_ = 1;
        return false;
    }
    return true;
}

static bool expect(const char *want)
{
    return expect2(want, NULL);
}

#define EXPECT(...) do { char w_[160]; snprintf(w_, sizeof(w_), __VA_ARGS__); \
                         if (!expect(w_)) return; } while (0)

TEST_CASE(register_forms)
{
    for (int a = 0; a < 16; a++) {
        for (int b = 0; b < 16; b++) {
            for (int w = 0; w < 2; w++) {
                const char *const *rn = w ? r64 : r32;
                if (a != b) {
                    x64_mov_rr(start(), w, a, b);
                    EXPECT("mov %s, %s", rn[a], rn[b]);
                }
                for (int e = 0; e < 8; e++) {
                    x64_arith_rr(start(), e, w, a, b);
                    EXPECT("%s %s, %s", arith[e], rn[a], rn[b]);
                }
                x64_test_rr(start(), w, a, b);
                EXPECT("test %s, %s", rn[a], rn[b]);   /* TEST r/m, reg */
                x64_cmov(start(), CC_L + (a & 3), w, a, b);
                EXPECT("cmov%s %s, %s", ccn[CC_L + (a & 3)], rn[a], rn[b]);
                x64_op_rr(start(), OPC_IMUL_GvEv | (w ? P_REXW : 0), a, b);
                EXPECT("imul %s, %s", rn[a], rn[b]);
                x64_op_rr(start(), OPC_LZCNT | (w ? P_REXW : 0), a, b);
                EXPECT("lzcnt %s, %s", rn[a], rn[b]);
                x64_op_rr(start(), OPC_TZCNT | (w ? P_REXW : 0), a, b);
                EXPECT("tzcnt %s, %s", rn[a], rn[b]);
                x64_op_rr(start(), OPC_POPCNT | (w ? P_REXW : 0), a, b);
                EXPECT("popcnt %s, %s", rn[a], rn[b]);
                x64_op_rr(start(), OPC_BSR | (w ? P_REXW : 0), a, b);
                EXPECT("bsr %s, %s", rn[a], rn[b]);
                x64_op_rr(start(), OPC_BSF | (w ? P_REXW : 0), a, b);
                EXPECT("bsf %s, %s", rn[a], rn[b]);
                x64_op_rr(start(), OPC_MOVSBL | P_REXB_RM | (w ? P_REXW : 0), a, b);
                EXPECT("movsx %s, %s", rn[a], r8n[b]);
                x64_op_rr(start(), OPC_MOVSWL | (w ? P_REXW : 0), a, b);
                EXPECT("movsx %s, %s", rn[a], r16[b]);
                for (int c = 0; c < 16; c += 5) {
                    x64_vex_rrr(start(), OPC_ANDN, w, a, b, c);
                    EXPECT("andn %s, %s, %s", rn[a], rn[b], rn[c]);
                    x64_vex_rrr(start(), OPC_SHLX, w, a, b, c);
                    EXPECT("shlx %s, %s, %s", rn[a], rn[c], rn[b]);
                    x64_vex_rrr(start(), OPC_SHRX, w, a, b, c);
                    EXPECT("shrx %s, %s, %s", rn[a], rn[c], rn[b]);
                    x64_vex_rrr(start(), OPC_SARX, w, a, b, c);
                    EXPECT("sarx %s, %s, %s", rn[a], rn[c], rn[b]);
                }
                X64Gen *g = start();
                x64_vex_rrr(g, OPC_RORX, w, a, 0, b);
                x64_byte(g, 13);
                EXPECT("rorx %s, %s, 0xd", rn[a], rn[b]);
            }
            x64_op_rr(start(), OPC_MOVZBL | P_REXB_RM, a, b);
            EXPECT("movzx %s, %s", r32[a], r8n[b]);
            x64_op_rr(start(), OPC_MOVZWL, a, b);
            EXPECT("movzx %s, %s", r32[a], r16[b]);
            x64_op_rr(start(), OPC_MOVSLQ, a, b);
            EXPECT("movsxd %s, %s", r64[a], r32[b]);
            x64_op_rr(start(), OPC_MOVB_EvGv | P_REXB_R | P_REXB_RM, b, a);
            EXPECT("mov %s, %s", r8n[a], r8n[b]);
            x64_op_rr(start(), OPC_MOVL_EvGv | P_DATA16, b, a);
            EXPECT("mov %s, %s", r16[a], r16[b]);
            x64_op_rr(start(), OPC_XCHG | P_REXW, a, b);
            EXPECT("xchg %s, %s", r64[b], r64[a]);
            if (a != X_RSP && b != X_RSP) {
                x64_lea(start(), true, a, b, a, 0);
                char m[64];
                mem_str(m, sizeof(m), "", b, a, 0);
                EXPECT("lea %s, %s", r64[a], m);
            }
        }
    }
}

TEST_CASE(single_register_forms)
{
    static const int32_t imms[] = { 0, 1, 9, 10, 127, -128, 128, -129, 0x1000, -0x12345678,
                                    0x7fffffff, INT32_MIN };
    for (int r = 0; r < 16; r++) {
        for (int w = 0; w < 2; w++) {
            const char *const *rn = w ? r64 : r32;
            for (size_t i = 0; i < sizeof(imms) / sizeof(imms[0]); i++) {
                /* capstone shows imm8 forms signed, a 32-bit op's imm32 unsigned */
                bool imm8 = imms[i] == (int8_t)imms[i];
                char im[32], alt[32], w1[64], w2[64];
                imm_str(im, sizeof(im), w || imm8 ? imms[i] : (int64_t)(uint32_t)imms[i]);
                if (w) {
                    snprintf(alt, sizeof(alt), "0x%" PRIx64, (uint64_t)(int64_t)imms[i]);
                } else {
                    imm_str(alt, sizeof(alt), (int64_t)(uint32_t)imms[i]);
                }
                for (int e = 0; e < 8; e++) {
                    x64_arith_ri(start(), e, w, r, imms[i]);
                    snprintf(w1, sizeof(w1), "%s %s, %s", arith[e], rn[r], im);
                    snprintf(w2, sizeof(w2), "%s %s, %s", arith[e], rn[r], alt);
                    if (!expect2(w1, w2)) {
                        return;
                    }
                }
            }
            static const char *const sh[8] = { "rol", "ror", "", "", "shl", "shr", "", "sar" };
            for (int e = 0; e < 8; e++) {
                if (!*sh[e]) {
                    continue;
                }
                x64_shift_ri(start(), e, w, r, 1);
                EXPECT("%s %s, 1", sh[e], rn[r]);
                x64_shift_ri(start(), e, w, r, 31);
                EXPECT("%s %s, 0x1f", sh[e], rn[r]);
                x64_shift_rcl(start(), e, w, r);
                EXPECT("%s %s, cl", sh[e], rn[r]);
            }
            static const char *const g3[8] = { "", "", "not", "neg", "mul", "imul", "div", "idiv" };
            for (int e = 2; e < 8; e++) {
                x64_grp3(start(), e, w, r);
                EXPECT("%s %s", g3[e], rn[r]);
            }
            x64_bswap(start(), w, r);
            EXPECT("bswap %s", rn[r]);
            x64_test_ri(start(), w, r, 0x1234);
            EXPECT("test %s, 0x1234", rn[r]);
        }
        x64_test_ri(start(), false, r, 0x80);
        EXPECT("test %s, 0x80", r8n[r]);
        x64_rol16_8(start(), r);
        EXPECT("rol %s, 8", r16[r]);
        for (int cc = 0; cc < 16; cc++) {
            x64_setcc(start(), cc, r);
            EXPECT("set%s %s", ccn[cc], r8n[r]);
        }
        x64_push(start(), r);
        EXPECT("push %s", r64[r]);
        x64_pop(start(), r);
        EXPECT("pop %s", r64[r]);
        x64_jmp_reg(start(), r);
        EXPECT("jmp %s", r64[r]);
        /* constants: xor for 0, mov r32 for 32-bit, sign-extended imm32, movabs */
        x64_movi(start(), true, r, 0, false);
        EXPECT("xor %s, %s", r32[r], r32[r]);
        x64_movi(start(), true, r, 0, true);
        EXPECT("mov %s, 0", r32[r]);
        x64_movi(start(), true, r, 0xfffffffful, false);
        EXPECT("mov %s, 0xffffffff", r32[r]);
        x64_movi(start(), true, r, (uint64_t)-2, false);
        EXPECT("mov %s, -2", r64[r]);
        x64_movi(start(), true, r, 0x123456789aull, false);
        EXPECT("movabs %s, 0x123456789a", r64[r]);
        x64_movi(start(), false, r, (uint64_t)-2, false);
        EXPECT("mov %s, 0xfffffffe", r32[r]);
    }
}

TEST_CASE(memory_forms)
{
    static const int32_t disps[] = { 0, 8, -8, 127, 128, -129, 0x12345 };
    static const char *const sz[4] = { "byte", "word", "dword", "qword" };
    char m[80];
    for (int base = 0; base < 16; base++) {
        for (size_t d = 0; d < sizeof(disps) / sizeof(disps[0]); d++) {
            int32_t disp = disps[d];
            for (int r = 0; r < 16; r += 3) {
                int index = (base + r + 1) % 16 == X_RSP ? X_R12 : (base + r + 1) % 16;
                mem_str(m, sizeof(m), "qword", base, X_NOIDX, disp);
                x64_load(start(), OPC_MOVL_GvEv | P_REXW, r, base, X_NOIDX, disp);
                EXPECT("mov %s, %s", r64[r], m);
                x64_arith_rm(start(), ARITH_CMP, true, r, base, disp);
                EXPECT("cmp %s, %s", r64[r], m);
                x64_arith_rm(start(), ARITH_AND, true, r, base, disp);
                EXPECT("and %s, %s", r64[r], m);
                mem_str(m, sizeof(m), "", base, X_NOIDX, disp);
                x64_lea(start(), true, r, base, X_NOIDX, disp);
                EXPECT("lea %s, %s", r64[r], m);
                x64_lea(start(), false, r, base, X_NOIDX, disp);
                EXPECT("lea %s, %s", r32[r], m);
                for (unsigned s = 0; s < 4; s++) {
                    const char *reg = s == 0 ? r8n[r] : s == 1 ? r16[r] : s == 2 ? r32[r] : r64[r];
                    mem_str(m, sizeof(m), sz[s], base, index, disp);
                    x64_store(start(), s, r, base, index, disp);
                    EXPECT("mov %s, %s", m, reg);
                    mem_str(m, sizeof(m), sz[s], base, X_NOIDX, disp);
                    x64_store(start(), s, r, base, X_NOIDX, disp);
                    EXPECT("mov %s, %s", m, reg);
                    x64_store_imm(start(), s, s == 0 ? 0x12 : s == 1 ? 0x1234 : -5, base, X_NOIDX,
                                  disp);
                    EXPECT("mov %s, %s", m, s == 0 ? "0x12" : s == 1 ? "0x1234"
                                             : s == 2 ? "0xfffffffb" : "-5");
                }
                mem_str(m, sizeof(m), "byte", base, index, disp);
                x64_load(start(), OPC_MOVZBL, r, base, index, disp);
                EXPECT("movzx %s, %s", r32[r], m);
                x64_load(start(), OPC_MOVSBL | P_REXW, r, base, index, disp);
                EXPECT("movsx %s, %s", r64[r], m);
                mem_str(m, sizeof(m), "word", base, index, disp);
                x64_load(start(), OPC_MOVZWL, r, base, index, disp);
                EXPECT("movzx %s, %s", r32[r], m);
                x64_load(start(), OPC_MOVSWL, r, base, index, disp);
                EXPECT("movsx %s, %s", r32[r], m);
                mem_str(m, sizeof(m), "dword", base, index, disp);
                x64_load(start(), OPC_MOVSLQ, r, base, index, disp);
                EXPECT("movsxd %s, %s", r64[r], m);
                x64_load(start(), OPC_MOVL_GvEv, r, base, index, disp);
                EXPECT("mov %s, %s", r32[r], m);
            }
        }
    }
}

TEST_CASE(control_transfer_and_misc)
{
    X64Gen *g = start();
    g->ptr += 100;
    uint32_t here = x64_off(g);
    x64_jcc_to(g, CC_NE, 40);          /* backward, short */
    g->ptr = buf;
    memmove(buf, buf + here, 2);
    g->ptr = buf + 2;
    EXPECT("jne 0xfc4");               /* 0x1000 + 40 - 100 - 2 + 2 */
    for (int cc = 0; cc < 16; cc++) {
        g = start();
        g->ptr += 200;
        uint32_t at = x64_off(g);
        x64_jcc_to(g, cc, 0);          /* backward, long */
        size_t len = (size_t)(g->ptr - buf) - at;
        memmove(buf, buf + at, len);
        g->ptr = buf + len;
        EXPECT("j%s 0xf38", ccn[cc]);  /* 0x1000 - 200 */
    }
    g = start();
    x64_jmp_to(g, 0x400);
    EXPECT("jmp 0x1400");
    TCGLabel l = { 0 };
    g = start();
    x64_jump_label(g, CC_AE, &l);      /* forward: relocated when placed */
    uint32_t end = x64_off(g);
    x64_label_place(g, &l);
    CHECK_EQ(l.value, end);
    g->ptr = buf + end;
    EXPECT("jae 0x1006");
    g = start();
    g->rx_diff = 0x1000 - (intptr_t)(uintptr_t)buf;   /* as if buf ran at 0x1000 */
    x64_call_abs(g, 0x1000 + 0x12345);
    EXPECT("call 0x13345");
    g = start();
    x64_mfence(g);
    EXPECT("mfence");
    x64_lea_rip(start(), X_R9, 0x40);
    EXPECT("lea r9, [rip + 0x39]");
    for (unsigned n = 1; n <= 8; n++) {   /* padding: one nop instruction of n bytes */
        g = start();
        x64_nop(g, n);
        cs_insn *insn;
        size_t k = cs_disasm(cs, buf, n, 0x1000, 0, &insn);
        CHECK_EQ(k, 1);
        CHECK_EQ(insn[0].size, n);
        CHECK(strcmp(insn[0].mnemonic, "nop") == 0);
        cs_free(insn, k);
    }
}

int main(void)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        printf("SKIP encoder: capstone unavailable\n");
        return 0;
    }
    tcg_context_init(&nctx, &tcg_x86_64_backend, &gmem_ops);   /* arena for relocations */
    gen.s = &nctx;
    RUN(register_forms);
    RUN(single_register_forms);
    RUN(memory_forms);
    RUN(control_transfer_and_misc);
    printf("# %u instructions checked against capstone\n", checked);
    cs_close(&cs);
    TEST_EXIT();
}

#else   /* the native backend exists only on x86-64 hosts */
#include <stdio.h>

int main(void)
{
    printf("SKIP x86_64_emit_test: not an x86-64 host\n");
    return 0;
}
#endif
