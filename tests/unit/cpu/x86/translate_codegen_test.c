/*
 * What the x86 translator and the native backend make of 32-bit integer
 * code: a 32-bit ALU op or rotate must cost no more host code than its
 * 64-bit form (the register write's zero-extension is folded into a 32-bit
 * host instruction, operands are not zero-extended first, rotates are one
 * host rotate). Each snippet also runs natively and must give the same
 * registers and flags. Measured with tcg_exec_stats.code_bytes.
 */
#include "translate_harness.h"

/* Host code bytes of the blocks the guest run of `code` translated. */
static uint64_t guest_code_bytes(const ThCode *code, const ThState *in, const uint8_t *w,
                                 bool *same)
{
    static ThResult g, n;
    uint64_t before = tcg_exec_stats.code_bytes, nb = tcg_exec_stats.tb_translated;
    th_run_guest(TH_MODE64, code->b, code->n, in, w, &g);
    uint64_t bytes = tcg_exec_stats.code_bytes - before;
    if (tcg_exec_stats.tb_translated - nb != 1) {
        printf("# %llu blocks translated\n", (unsigned long long)(tcg_exec_stats.tb_translated - nb));
    }
    th_run_native(code->b, code->n, in, w, &n);
    *same = th_same("snippet", &g, &n, TH_FLAGS_ALL & ~X86_EFLAGS_AF & ~X86_EFLAGS_OF);
    return bytes;
}

/* The same instruction repeated 24 times, with or without REX.W, between
 * register pairs that rotate so nothing folds away; then a flag consumer. */
static void repeat(ThCode *c, const uint8_t *op, size_t len, bool wide, bool modrm_regs)
{
    static const int regs[] = { R_EAX, R_ECX, R_EDX, R_ESI, R_EDI, R_R8, R_R9, R_R10 };
    c->n = 0;
    for (int i = 0; i < 24; i++) {
        int d = regs[i % 8], s = regs[(i * 3 + 1) % 8];
        uint8_t rex = (uint8_t)(0x40 | (wide ? 8 : 0) | (modrm_regs && s >= 8 ? 4 : 0) |
                                (d >= 8 ? 1 : 0));
        if (rex != 0x40) {
            th_emit_u8(c, rex);
        }
        th_emit(c, op, len);
        if (modrm_regs) {
            /* ModRM: mod 3, reg = s (or the opcode extension in op), rm = d */
            c->b[c->n - 1] = (uint8_t)(c->b[c->n - 1] | (s & 7) << 3 | (d & 7));
        } else {
            c->b[c->n - 2] = (uint8_t)(c->b[c->n - 2] | (d & 7));   /* op, ModRM, imm8 */
        }
    }
    TH_EMIT(c, 0x0f, 0x92, 0xc3);   /* setb bl: the last op's flags are read */
}

TEST_CASE(alu32_costs_no_more_than_alu64)
{
    static uint8_t w[TH_WINDOW_SIZE];
    static const struct { const char *name; uint8_t op[3]; uint8_t len; bool regs; } ops[] = {
        { "add", { 0x01, 0xc0 }, 2, true },
        { "sub", { 0x29, 0xc0 }, 2, true },
        { "and", { 0x21, 0xc0 }, 2, true },
        { "or",  { 0x09, 0xc0 }, 2, true },
        { "xor", { 0x31, 0xc0 }, 2, true },
        { "rol imm", { 0xc1, 0xc0, 7 }, 3, false },
        { "ror imm", { 0xc1, 0xc8, 13 }, 3, false },
        { "add imm", { 0x83, 0xc0, 0x55 }, 3, false },
        { "not", { 0xf7, 0xd0, 0x90 }, 3, false },   /* not r; nop */
    };
    if (!th_native_init()) {
        SKIP("cannot map the fixed test addresses");
    }
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        ThState in;
        th_random_state(&in, w);
        ThCode c32, c64;
        repeat(&c32, ops[i].op, ops[i].len, false, ops[i].regs);
        repeat(&c64, ops[i].op, ops[i].len, true, ops[i].regs);
        bool same32, same64;
        uint64_t b32 = guest_code_bytes(&c32, &in, w, &same32);
        uint64_t b64 = guest_code_bytes(&c64, &in, w, &same64);
        if (!same32 || !same64) {
            printf("FAIL %s: %s: guest and host differ\n", test_case_name_, ops[i].name);
            test_case_failed_ = 1;
            return;
        }
        printf("# %-8s 24 x 32-bit: %3llu bytes, 24 x 64-bit: %3llu bytes\n", ops[i].name,
               (unsigned long long)b32, (unsigned long long)b64);
        if (b32 > b64 + 16) {
            printf("FAIL %s: %s: 32-bit code is %llu bytes, 64-bit %llu\n", test_case_name_,
                   ops[i].name, (unsigned long long)b32, (unsigned long long)b64);
            test_case_failed_ = 1;
        }
    }
}

int main(void)
{
#if defined(__x86_64__)
    setenv("TH_BACKEND", "native", 1);
#else
    printf("SKIP alu32_costs_no_more_than_alu64: not an x86-64 host\n");
    return 0;
#endif
    RUN(alu32_costs_no_more_than_alu64);
    TEST_EXIT();
}
