/*
 * x86 translator, integer instructions: random operands for ALU, shifts and
 * rotates, multiply/divide, bit instructions, exchanges and moves, run once
 * natively on the host CPU and once through the translator (interpreter
 * backend); final registers, defined flags and memory must match.
 */
#include "translate_harness.h"

#define N_RANDOM 300

#define F_ALL TH_FLAGS_ALL
#define F_NO_AF (TH_FLAGS_ALL & ~X86_EFLAGS_AF)

/* Registers the snippets use as operands (not RSP, not RBX: RBX = window base). */
static const int regs_usable[] = { R_EAX, R_ECX, R_EDX, R_EBP, R_ESI, R_EDI, R_R8, R_R9,
                                   R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };

static int rand_reg(void)
{
    return regs_usable[th_rand() % (sizeof(regs_usable) / sizeof(regs_usable[0]))];
}

static unsigned rand_size(void)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    return sizes[th_rand() & 3];
}

/* Legacy prefix + REX for an operation of `size` on ModRM reg/rm numbers. */
static void prefix(ThCode *c, unsigned size, int reg, int rm, bool byte_high)
{
    if (size == 2) {
        th_emit_u8(c, 0x66);
    }
    unsigned rex = 0x40 | (size == 8 ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0);
    if (rex != 0x40 || (size == 1 && !byte_high)) {
        th_emit_u8(c, (uint8_t)rex);
    }
}

/* op reg-reg: opcode bytes then ModRM (mod 3). For size 1, byte_high picks
 * AH..BH encodings (no REX, registers 4-7 only). */
static void op_rr(ThCode *c, unsigned size, const uint8_t *op, size_t oplen, int reg, int rm,
                  bool byte_high)
{
    prefix(c, size, reg, rm, byte_high);
    th_emit(c, op, oplen);
    th_emit_u8(c, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* op with a memory operand [rbx + disp8]. */
static void op_rm(ThCode *c, unsigned size, const uint8_t *op, size_t oplen, int reg, int8_t disp)
{
    prefix(c, size, reg, R_EBX, false);
    th_emit(c, op, oplen);
    th_emit_u8(c, (uint8_t)(0x40 | (reg & 7) << 3 | 3));
    th_emit_u8(c, (uint8_t)disp);
}

static void emit_imm(ThCode *c, unsigned n, uint64_t v)
{
    th_emit(c, (uint8_t *)&v, n);
}

/* Snippet start: RBX = a window address (for memory operands). */
static void start(ThCode *c)
{
    c->n = 0;
    th_mov_imm(c, R_EBX, TH_WINDOW + 0x400);
}

static int failures;

static void report(const char *what, const ThCode *c, const ThState *in, bool ok)
{
    if (!ok && failures++ < 8) {
        th_dump_code(c);
        printf("  in: rax=%#llx rcx=%#llx rdx=%#llx flags=%#llx\n",
               (unsigned long long)in->gpr[0], (unsigned long long)in->gpr[1],
               (unsigned long long)in->gpr[2], (unsigned long long)in->rflags);
        (void)what;
    }
}

static bool run_case(const char *what, ThCode *c, ThState *in, uint8_t *w, uint32_t mask)
{
    bool ok = th_check(what, c, in, w, mask);
    report(what, c, in, ok);
    return ok;
}

#define NEED_NATIVE() do { if (!th_native_init()) SKIP("cannot map the fixed test addresses"); } while (0)

/* ---- ALU --------------------------------------------------------------------------- */

TEST_CASE(alu_register_and_memory)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM * 4; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned op = th_rand() & 7, size = rand_size();
        uint8_t opc = (uint8_t)(op << 3 | (size == 1 ? 0 : 1));
        int form = (int)(th_rand() % 5);
        bool logic = op == 1 || op == 4 || op == 6;
        bool high = size == 1 && (th_rand() & 1);
        int r1 = high ? 4 + (int)(th_rand() & 3) : rand_reg(), r2 = high ? (int)(th_rand() & 7) : rand_reg();
        if (high && (r2 == R_EBX || r2 == R_ESP || r2 == 7)) {
            r2 = R_EAX;
        }
        switch (form) {
        case 0: op_rr(&c, size, &opc, 1, r2, r1, high); break;                 /* r/m, reg */
        case 1: { uint8_t o = opc + 2; op_rr(&c, size, &o, 1, r1, r2, high); break; }
        case 2: op_rm(&c, size, &opc, 1, r2, (int8_t)(th_rand() & 0x78)); break;  /* [mem], reg */
        case 3: { uint8_t o = opc + 2; op_rm(&c, size, &o, 1, r1, (int8_t)(th_rand() & 0x78)); break; }
        default: {                                                              /* r/m, imm */
            uint8_t o = size == 1 ? 0x80 : (th_rand() & 1) ? 0x83 : 0x81;
            prefix(&c, size, 0, r1, high);
            th_emit_u8(&c, o);
            th_emit_u8(&c, (uint8_t)(0xc0 | op << 3 | (r1 & 7)));
            emit_imm(&c, o == 0x81 ? (size == 2 ? 2 : 4) : 1, th_rand_value());
            break;
        }
        }
        if (!run_case("alu", &c, &in, w, logic ? F_NO_AF : F_ALL)) {
            CHECK(0);
        }
    }
}

/* Every condition code after every kind of flag producer, in one block
 * (static cc_op) and after a block boundary (dynamic cc_op). */
TEST_CASE(conditions_after_each_producer)
{
    static uint8_t w[TH_WINDOW_SIZE];
    static const struct { uint8_t op[3]; uint8_t len; uint8_t modrm_ext; uint32_t undefined; } prod[] = {
        { { 0x01 }, 1, 0xff, 0 },                     /* add */
        { { 0x29 }, 1, 0xff, 0 },                     /* sub */
        { { 0x39 }, 1, 0xff, 0 },                     /* cmp */
        { { 0x11 }, 1, 0xff, 0 },                     /* adc */
        { { 0x19 }, 1, 0xff, 0 },                     /* sbb */
        { { 0x21 }, 1, 0xff, X86_EFLAGS_AF },         /* and */
        { { 0x85 }, 1, 0xff, X86_EFLAGS_AF },         /* test */
        { { 0xf7 }, 1, 3, 0 },                        /* neg */
        { { 0xff }, 1, 0, 0 },                        /* inc */
        { { 0xff }, 1, 1, 0 },                        /* dec */
        { { 0xd1 }, 1, 4, X86_EFLAGS_AF },            /* shl 1 */
        { { 0xd1 }, 1, 5, X86_EFLAGS_AF },            /* shr 1 */
        { { 0xd1 }, 1, 7, X86_EFLAGS_AF },            /* sar 1 */
        { { 0xf7 }, 1, 4, X86_EFLAGS_SF | X86_EFLAGS_ZF | X86_EFLAGS_AF | X86_EFLAGS_PF }, /* mul */
        { { 0x0f, 0xaf }, 2, 0xff, X86_EFLAGS_SF | X86_EFLAGS_ZF | X86_EFLAGS_AF | X86_EFLAGS_PF },
        { { 0x0f, 0xb8 }, 2, 0xff, 0 },               /* popcnt (F3 below) */
        { { 0x0f, 0xbc }, 2, 0xff, ~(uint32_t)X86_EFLAGS_ZF },   /* bsf */
    };
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM * 3; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned p = (unsigned)(th_rand() % (sizeof(prod) / sizeof(prod[0])));
        unsigned size = rand_size(), cc = th_rand() & 15;
        int r1 = rand_reg(), r2 = rand_reg();
        if (prod[p].op[0] == 0x0f && size == 1) {
            size = 4;   /* imul/popcnt/bsf have no byte form */
        }
        if (prod[p].op[0] == 0x0f && prod[p].op[1] == 0xbc) {
            in.gpr[r2] |= 1;   /* BSF of zero leaves a 32-bit destination alone */
        }
        uint8_t op[3];
        memcpy(op, prod[p].op, 3);
        if (size == 1 && prod[p].len == 1) {
            op[0] &= 0xfe;
        }
        if (op[0] == 0x0f && op[1] == 0xb8) {
            if (size == 2) th_emit_u8(&c, 0x66);
            th_emit_u8(&c, 0xf3);
            prefix(&c, size == 2 ? 4 : size, r1, r2, false);
            th_emit(&c, op, 2);
            th_emit_u8(&c, (uint8_t)(0xc0 | (r1 & 7) << 3 | (r2 & 7)));
        } else if (prod[p].modrm_ext != 0xff) {
            prefix(&c, size, 0, r1, false);
            th_emit(&c, op, prod[p].len);
            th_emit_u8(&c, (uint8_t)(0xc0 | prod[p].modrm_ext << 3 | (r1 & 7)));
        } else if (op[0] == 0x0f) {
            op_rr(&c, size, op, 2, r1, r2, false);
        } else {
            op_rr(&c, size, op, 1, r2, r1, false);
        }
        /* Conditions reading an undefined flag are skipped. */
        uint32_t u = prod[p].undefined;
        static const uint32_t reads[8] = {
            X86_EFLAGS_OF, X86_EFLAGS_CF, X86_EFLAGS_ZF, X86_EFLAGS_CF | X86_EFLAGS_ZF,
            X86_EFLAGS_SF, X86_EFLAGS_PF, X86_EFLAGS_SF | X86_EFLAGS_OF,
            X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF,
        };
        if (reads[cc >> 1] & u) {
            continue;
        }
        int how = (int)(th_rand() % 4);
        int rd = rand_reg();
        switch (how) {
        case 0:   /* setcc r8 */
            prefix(&c, 1, 0, rd, false);
            TH_EMIT(&c, 0x0f);
            th_emit_u8(&c, (uint8_t)(0x90 | cc));
            th_emit_u8(&c, (uint8_t)(0xc0 | (rd & 7)));
            break;
        case 1: { /* cmovcc r64, r64 */
            uint8_t o[2] = { 0x0f, (uint8_t)(0x40 | cc) };
            op_rr(&c, 8, o, 2, rd, rand_reg(), false);
            break;
        }
        case 2:   /* jcc +10 over "mov $-1, rd" (10 bytes) */
            th_emit_u8(&c, (uint8_t)(0x70 | cc));
            th_emit_u8(&c, 10);
            th_mov_imm(&c, rd, ~0ull);
            break;
        default:  /* the same after a block boundary: jmp +0 first */
            TH_EMIT(&c, 0xeb, 0x00);
            prefix(&c, 1, 0, rd, false);
            TH_EMIT(&c, 0x0f);
            th_emit_u8(&c, (uint8_t)(0x90 | cc));
            th_emit_u8(&c, (uint8_t)(0xc0 | (rd & 7)));
            break;
        }
        if (!run_case("cond", &c, &in, w, TH_FLAGS_ALL & ~u)) {
            printf("  producer %u size %u cc %u how %d\n", p, size, cc, how);
            CHECK(0);
        }
    }
}

TEST_CASE(unary_ops)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned size = rand_size(), kind = th_rand() % 4;   /* not, neg, inc, dec */
        static const uint8_t ext[4] = { 2, 3, 0, 1 };
        uint8_t op = kind < 2 ? (size == 1 ? 0xf6 : 0xf7) : (size == 1 ? 0xfe : 0xff);
        int r = rand_reg();
        if (th_rand() & 1) {
            prefix(&c, size, 0, r, false);
            th_emit_u8(&c, op);
            th_emit_u8(&c, (uint8_t)(0xc0 | ext[kind] << 3 | (r & 7)));
        } else {
            prefix(&c, size, 0, R_EBX, false);
            th_emit_u8(&c, op);
            th_emit_u8(&c, (uint8_t)(0x40 | ext[kind] << 3 | 3));
            th_emit_u8(&c, (uint8_t)(th_rand() & 0x7f));
        }
        if (!run_case("unary", &c, &in, w, F_ALL)) {
            CHECK(0);
        }
    }
}

/*
 * INC/DEC/ADC/SBB that start a block: the flags' producer is in another
 * block, so CF comes from the lazy state at run time. The translator guesses
 * the producer from the one seen when it translated the block and checks
 * the guess: a subroutine entered after four different producers takes
 * both the guessed and the other paths. Each call's flags are kept in r13.
 */
TEST_CASE(carry_keepers_after_block_boundary)
{
    static uint8_t w[TH_WINDOW_SIZE];
    /* producers whose CF is defined (the keepers overwrite the other flags) */
    static const struct { uint8_t op; uint8_t ext; bool no_byte; } prod[] = {
        { 0x01, 0xff, false },   /* add */
        { 0x29, 0xff, false },   /* sub */
        { 0x39, 0xff, false },   /* cmp */
        { 0x11, 0xff, false },   /* adc */
        { 0x19, 0xff, false },   /* sbb */
        { 0x21, 0xff, false },   /* and */
        { 0xf7, 3, false },      /* neg */
        { 0xff, 0, false },      /* inc */
        { 0xff, 1, false },      /* dec */
        { 0xd1, 4, false },      /* shl 1 */
        { 0xd1, 5, false },      /* shr 1 */
        { 0xd1, 7, false },      /* sar 1 */
        { 0xf7, 4, false },      /* mul */
        { 0xaf, 0xff, true },    /* imul */
        { 0xd1, 0, false },      /* rol 1: flags left literal */
    };
    /* operand registers: not rbx (window), rsp, r13/r14 (flag log) */
    static const int regs[] = { R_EAX, R_ECX, R_EDX, R_EBP, R_ESI, R_EDI, R_R8, R_R9,
                                R_R10, R_R11, R_R12, R_R15 };
    const unsigned nregs = sizeof(regs) / sizeof(regs[0]);
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        in.gpr[R_R13] = 0;
        in.gpr[R_R14] = 0;
        start(&c);
        size_t calls[4];
        for (unsigned k = 0; k < 4; k++) {
            unsigned p = (unsigned)(th_rand() % (sizeof(prod) / sizeof(prod[0])));
            unsigned size = rand_size();
            int r1 = regs[th_rand() % nregs], r2 = regs[th_rand() % nregs];
            if (prod[p].no_byte && size == 1) {
                size = 4;
            }
            if (prod[p].op == 0xaf) {
                uint8_t o[2] = { 0x0f, 0xaf };
                op_rr(&c, size, o, 2, r1, r2, false);
            } else {
                uint8_t op = (uint8_t)(size == 1 ? prod[p].op & 0xfe : prod[p].op);
                if (prod[p].ext != 0xff) {
                    prefix(&c, size, 0, r1, false);
                    th_emit_u8(&c, op);
                    th_emit_u8(&c, (uint8_t)(0xc0 | prod[p].ext << 3 | (r1 & 7)));
                } else {
                    op_rr(&c, size, &op, 1, r2, r1, false);
                }
            }
            TH_EMIT(&c, 0xe8, 0, 0, 0, 0);            /* call L (patched below) */
            calls[k] = c.n;
        }
        size_t jmp_at = c.n;
        TH_EMIT(&c, 0xeb, 0);                         /* jmp end (patched) */
        size_t l = c.n;
        for (unsigned k = 0; k < 4; k++) {
            int32_t rel = (int32_t)(l - calls[k]);
            memcpy(&c.b[calls[k] - 4], &rel, 4);
        }
        unsigned kind = th_rand() % 4, size = rand_size();  /* inc, dec, adc, sbb */
        int r1 = regs[th_rand() % nregs], r2 = regs[th_rand() % nregs];
        if (kind < 2) {
            prefix(&c, size, 0, r1, false);
            th_emit_u8(&c, size == 1 ? 0xfe : 0xff);
            th_emit_u8(&c, (uint8_t)(0xc0 | kind << 3 | (r1 & 7)));
        } else {
            uint8_t op = (uint8_t)((kind == 2 ? 0x11 : 0x19) & (size == 1 ? 0xfe : 0xff));
            op_rr(&c, size, &op, 1, r2, r1, false);
        }
        /* pushfq; pop r14; and $0x8d5,r14d; shl $12,r13; or r14,r13; ret */
        TH_EMIT(&c, 0x9c, 0x41, 0x5e, 0x41, 0x81, 0xe6, 0xd5, 0x08, 0, 0,
                0x49, 0xc1, 0xe5, 0x0c, 0x4d, 0x09, 0xf5, 0xc3);
        c.b[jmp_at + 1] = (uint8_t)(c.n - (jmp_at + 2));
        if (!run_case("carry keeper", &c, &in, w, F_ALL)) {
            printf("  keeper %u size %u\n", kind, size);
            CHECK(0);
        }
    }
}

/* ---- shifts and rotates ----------------------------------------------------------------- */

TEST_CASE(shifts_and_rotates)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM * 4; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned size = rand_size(), kind = th_rand() & 7, form = th_rand() % 3;
        unsigned bits = size * 8, mask = size == 8 ? 63 : 31;
        int r = rand_reg();
        if (r == R_ECX && form == 2) {
            r = R_EDX;
        }
        unsigned count;
        uint8_t op;
        uint64_t imm = 0;
        if (form == 0) {
            op = size == 1 ? 0xd0 : 0xd1;
            count = 1;
        } else if (form == 1) {
            op = size == 1 ? 0xc0 : 0xc1;
            imm = th_rand() % 70;
            count = (unsigned)imm & mask;
        } else {
            op = size == 1 ? 0xd2 : 0xd3;
            in.gpr[R_ECX] = (in.gpr[R_ECX] & ~0xffull) | (th_rand() % 70);
            count = (unsigned)in.gpr[R_ECX] & mask;
        }
        prefix(&c, size, 0, r, false);
        th_emit_u8(&c, op);
        th_emit_u8(&c, (uint8_t)(0xc0 | kind << 3 | (r & 7)));
        if (form == 1) {
            emit_imm(&c, 1, imm);
        }
        uint32_t fm = F_ALL;
        if (count != 0) {
            if (kind >= 4) {
                fm &= ~X86_EFLAGS_AF;
                if ((kind == 4 || kind == 5 || kind == 6) && count >= bits) {
                    fm &= ~X86_EFLAGS_CF;
                }
            }
            if (count != 1) {
                fm &= ~X86_EFLAGS_OF;
            }
        }
        if (!run_case("shift", &c, &in, w, fm)) {
            printf("  kind %u size %u count %u form %u\n", kind, size, count, form);
            CHECK(0);
        }
    }
}

/* Rotates by a static count leave the last producer's flags pending with
 * the rotate's CF/OF (translate.h, X86_CC_ROT_PENDING). Chains of rotates
 * after each kind of producer, then: the block's end, a flag consumer, a
 * load that faults (the flags the fault sees come from insn_start's word),
 * or a rotate of memory that faults itself. */
TEST_CASE(rotate_flags_pending)
{
    static uint8_t w[TH_WINDOW_SIZE];
    static const struct { uint8_t op[3]; uint8_t len; bool af_undefined; } prod[] = {
        { { 0x01, 0xc8 }, 2, false },        /* add %ecx,%eax */
        { { 0x29, 0xd0 }, 2, false },        /* sub %edx,%eax */
        { { 0x31, 0xc8 }, 2, true },         /* xor %ecx,%eax */
        { { 0xff, 0xc6 }, 2, false },        /* inc %esi */
        { { 0xff, 0xcf }, 2, false },        /* dec %edi */
        { { 0xf7, 0xde }, 2, false },        /* neg %esi */
        { { 0xc1, 0xe0, 3 }, 3, true },      /* shl $3,%eax */
        { { 0x39, 0xd1 }, 2, false },        /* cmp %edx,%ecx */
        { { 0x00, 0xd1 }, 2, false },        /* add %dl,%cl */
        { { 0x66, 0x29, 0xd1 }, 3, false },  /* sub %dx,%cx */
        { { 0x0f, 0xaf, 0xc1 }, 3, true },   /* imul %ecx,%eax */
        { { 0x90 }, 1, false },              /* nop: flags from the snippet's start */
        { { 0x11, 0xc8 }, 2, false },        /* adc %ecx,%eax: rotates stay literal */
    };
    static const int rot_regs[] = { R_EAX, R_ECX, R_EDX, R_ESI, R_EDI, R_R8, R_R9 };
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM * 4; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned p = (unsigned)(th_rand() % (sizeof(prod) / sizeof(prod[0])));
        th_emit(&c, prod[p].op, prod[p].len);
        uint32_t fm = F_ALL;
        if (prod[p].af_undefined) {
            fm &= ~X86_EFLAGS_AF;
        }
        if (p == 10) {
            fm &= ~(X86_EFLAGS_SF | X86_EFLAGS_ZF | X86_EFLAGS_PF);   /* imul */
        }
        unsigned nrot = 1 + (unsigned)(th_rand() % 3), last_count = 0;
        for (unsigned k = 0; k < nrot; k++) {
            unsigned size = rand_size(), mask = size == 8 ? 63 : 31;
            int r = rot_regs[th_rand() % (sizeof(rot_regs) / sizeof(rot_regs[0]))];
            unsigned count = 1 + (unsigned)(th_rand() % (size * 8 - 1));
            bool one = th_rand() % 4 == 0;
            if (one) {
                count = 1;
            }
            prefix(&c, size, 0, r, false);
            th_emit_u8(&c, one ? (size == 1 ? 0xd0 : 0xd1) : (size == 1 ? 0xc0 : 0xc1));
            th_emit_u8(&c, (uint8_t)(0xc0 | (th_rand() & 1) << 3 | (r & 7)));   /* rol / ror */
            if (!one) {
                th_emit_u8(&c, (uint8_t)count);
            }
            last_count = count & mask;
            if (th_rand() & 1) {
                TH_EMIT(&c, 0x4c, 0x8b, 0x53, 0x10);   /* mov 0x10(%rbx),%r10: a load between */
            }
        }
        if (last_count != 1) {
            fm &= ~X86_EFLAGS_OF;
        }
        unsigned end = (unsigned)(th_rand() % 5);
        switch (end) {
        case 0:
            break;
        case 1: { /* setcc into r11b, on defined flags only */
            unsigned cc = (unsigned)(th_rand() & 15);
            if (!(fm & X86_EFLAGS_OF) && (cc < 2 || cc >= 12)) {
                cc = 2 + cc % 10;           /* not O/NO/L/GE/LE/G */
            }
            if (!(fm & X86_EFLAGS_ZF)) {
                cc = 2 + (cc & 1);          /* B/AE */
            }
            TH_EMIT(&c, 0x41, 0x0f);
            th_emit_u8(&c, (uint8_t)(0x90 | cc));
            TH_EMIT(&c, 0xc3);
            break;
        }
        case 2:   /* adc %r12,%r13 */
            TH_EMIT(&c, 0x4d, 0x11, 0xe5);
            break;
        case 3:   /* a load from the unmapped page after the window: #PF */
            th_mov_imm(&c, R_R14, TH_WINDOW + TH_WINDOW_SIZE + 0x10);
            TH_EMIT(&c, 0x4d, 0x8b, 0x36);              /* mov (%r14),%r14 */
            break;
        default:  /* rorl $5, (%r14) there: the rotate itself faults */
            th_mov_imm(&c, R_R14, TH_WINDOW + TH_WINDOW_SIZE + 0x20);
            TH_EMIT(&c, 0x41, 0xc1, 0x0e, 5);
            break;
        }
        if (!run_case("rotate pending", &c, &in, w, fm)) {
            printf("  producer %u rotates %u end %u\n", p, nrot, end);
            CHECK(0);
        }
    }
}

TEST_CASE(double_shifts)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM * 2; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned size = 2 + 2 * (th_rand() % 3);
        if (size == 6) size = 8;
        bool left = th_rand() & 1, cl = th_rand() & 1;
        int r1 = rand_reg(), r2 = rand_reg();
        unsigned bits = size * 8, mask = size == 8 ? 63 : 31;
        unsigned count = (unsigned)(th_rand() % (size == 2 ? 17 : 70));
        if (cl) {
            in.gpr[R_ECX] = (in.gpr[R_ECX] & ~0xffull) | count;
            if (r1 == R_ECX) r1 = R_EDX;
        }
        uint8_t op[2] = { 0x0f, (uint8_t)((left ? 0xa4 : 0xac) | (cl ? 1 : 0)) };
        op_rr(&c, size, op, 2, r2, r1, false);
        if (!cl) {
            emit_imm(&c, 1, count);
        }
        unsigned mc = count & mask;
        uint32_t fm = F_ALL;
        if (mc) {
            fm &= ~X86_EFLAGS_AF;
            if (mc != 1) fm &= ~X86_EFLAGS_OF;
        }
        (void)bits;
        if (!run_case("shxd", &c, &in, w, fm)) {
            printf("  %s size %u count %u\n", left ? "shld" : "shrd", size, count);
            CHECK(0);
        }
    }
}

/* ---- multiply / divide --------------------------------------------------------------------- */

TEST_CASE(multiply_divide)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM * 3; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned size = rand_size(), kind = th_rand() % 6;
        int r = rand_reg();
        if (r == R_EAX || r == R_EDX) r = R_ESI;
        uint32_t fm = X86_EFLAGS_CF | X86_EFLAGS_OF | X86_EFLAGS_DF;
        if (kind < 4) {   /* mul imul div idiv, one operand */
            if (kind >= 2 && (th_rand() & 3)) {
                /* mostly non-faulting: a small high half */
                in.gpr[R_EDX] = (kind == 3 && (th_rand() & 1)) ? ~0ull : 0;
            }
            prefix(&c, size, 0, r, false);
            th_emit_u8(&c, size == 1 ? 0xf6 : 0xf7);
            th_emit_u8(&c, (uint8_t)(0xc0 | (4 + kind) << 3 | (r & 7)));
            if (kind >= 2) fm = X86_EFLAGS_DF;
        } else if (kind == 4) {
            if (size == 1) size = 4;
            uint8_t op[2] = { 0x0f, 0xaf };
            op_rr(&c, size, op, 2, rand_reg(), r, false);
        } else {
            if (size == 1) size = 8;
            bool ib = th_rand() & 1;
            uint8_t op = ib ? 0x6b : 0x69;
            op_rr(&c, size, &op, 1, rand_reg(), r, false);
            emit_imm(&c, ib ? 1 : (size == 2 ? 2 : 4), th_rand_value());
        }
        if (!run_case("muldiv", &c, &in, w, fm)) {
            printf("  kind %u size %u\n", kind, size);
            CHECK(0);
        }
    }
}

/* ---- bit instructions ----------------------------------------------------------------------- */

TEST_CASE(bit_test_and_scan)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM * 3; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned size = 2 << (th_rand() % 3), kind = th_rand() % 7;
        int r1 = rand_reg(), r2 = rand_reg();
        uint32_t fm = X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_DF;
        if (kind < 4) {
            static const uint8_t rop[4] = { 0xa3, 0xab, 0xb3, 0xbb };
            unsigned form = th_rand() % 3;
            if (form == 0) {
                uint8_t op[2] = { 0x0f, rop[kind] };
                op_rr(&c, size, op, 2, r2, r1, false);
            } else if (form == 1) {
                /* memory with a register bit offset: keep it within +-0x200 bytes */
                in.gpr[r2] = (uint64_t)((int64_t)(th_rand() % 4096) - 2048);
                uint8_t op[2] = { 0x0f, rop[kind] };
                op_rm(&c, size, op, 2, r2, (int8_t)(th_rand() & 0x3f));
            } else {
                uint8_t op[2] = { 0x0f, 0xba };
                prefix(&c, size, 0, r1, false);
                th_emit(&c, op, 2);
                th_emit_u8(&c, (uint8_t)(0xc0 | (4 + kind) << 3 | (r1 & 7)));
                emit_imm(&c, 1, th_rand() & 0xff);
            }
        } else if (kind == 4 || kind == 5) {   /* bsf / bsr */
            if (size != 8) in.gpr[r2] |= 1ull << (th_rand() % (size * 8));
            uint8_t op[2] = { 0x0f, (uint8_t)(kind == 4 ? 0xbc : 0xbd) };
            op_rr(&c, size, op, 2, r1, r2, false);
            fm = X86_EFLAGS_ZF | X86_EFLAGS_DF;
        } else {                               /* popcnt */
            if (size == 2) th_emit_u8(&c, 0x66);
            th_emit_u8(&c, 0xf3);
            prefix(&c, size == 2 ? 4 : size, r1, r2, false);
            TH_EMIT(&c, 0x0f, 0xb8);
            th_emit_u8(&c, (uint8_t)(0xc0 | (r1 & 7) << 3 | (r2 & 7)));
            fm = F_ALL;
        }
        if (!run_case("bits", &c, &in, w, fm)) {
            printf("  kind %u size %u\n", kind, size);
            CHECK(0);
        }
    }
}

/* ---- exchanges, moves, conversions --------------------------------------------------------- */

TEST_CASE(exchange_and_compare_exchange)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM * 2; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned size = rand_size(), kind = th_rand() % 5;
        int r1 = rand_reg(), r2 = rand_reg();
        bool mem = th_rand() & 1;
        int8_t disp = (int8_t)(th_rand() & 0x70);
        uint32_t fm = F_ALL;
        if (kind == 2 && (th_rand() & 1)) {
            /* make the compare succeed half of the time */
            uint64_t v;
            memcpy(&v, w + 0x400 + disp, 8);
            in.gpr[R_EAX] = mem ? v : in.gpr[r1];
        }
        switch (kind) {
        case 0: {   /* xchg */
            uint8_t op = size == 1 ? 0x86 : 0x87;
            mem ? op_rm(&c, size, &op, 1, r2, disp) : op_rr(&c, size, &op, 1, r2, r1, false);
            break;
        }
        case 1: {   /* xadd */
            uint8_t op[2] = { 0x0f, (uint8_t)(size == 1 ? 0xc0 : 0xc1) };
            mem ? op_rm(&c, size, op, 2, r2, disp) : op_rr(&c, size, op, 2, r2, r1, false);
            break;
        }
        case 2: {   /* cmpxchg */
            uint8_t op[2] = { 0x0f, (uint8_t)(size == 1 ? 0xb0 : 0xb1) };
            if (th_rand() & 1) th_emit_u8(&c, 0xf0);   /* lock */
            mem = mem || true;
            op_rm(&c, size, op, 2, r2, disp);
            break;
        }
        case 3: {   /* cmpxchg8b / 16b [rbx+disp] */
            bool wide = th_rand() & 1;
            disp &= wide ? 0x70 : 0x78;
            if (th_rand() & 1) {
                memcpy(&in.gpr[R_EAX], w + 0x400 + disp, 8);
                uint64_t hi;
                memcpy(&hi, w + 0x400 + disp + (wide ? 8 : 4), 8);
                in.gpr[R_EDX] = wide ? hi : in.gpr[R_EAX] >> 32;
            }
            if (wide) th_emit_u8(&c, 0x48);
            TH_EMIT(&c, 0x0f, 0xc7, 0x4b);
            th_emit_u8(&c, (uint8_t)disp);
            fm = X86_EFLAGS_ZF | X86_EFLAGS_DF | X86_EFLAGS_CF | X86_EFLAGS_SF;
            break;
        }
        default: {  /* movzx / movsx / movsxd */
            unsigned k = th_rand() % 5;
            static const uint8_t mo[4] = { 0xb6, 0xb7, 0xbe, 0xbf };
            if (size == 1) size = 4;
            if (k < 4) {
                uint8_t op[2] = { 0x0f, mo[k] };
                mem ? op_rm(&c, size, op, 2, r1, disp) : op_rr(&c, size, op, 2, r1, r2, false);
            } else {
                uint8_t op = 0x63;
                mem ? op_rm(&c, size, &op, 1, r1, disp) : op_rr(&c, size, &op, 1, r1, r2, false);
            }
            break;
        }
        }
        if (!run_case("xchg", &c, &in, w, fm)) {
            printf("  kind %u size %u mem %d\n", kind, size, mem);
            CHECK(0);
        }
    }
}

TEST_CASE(conversions_and_flag_ops)
{
    static uint8_t w[TH_WINDOW_SIZE];
    static const uint8_t ops[][3] = {
        { 0x98 }, { 0x66, 0x98 }, { 0x48, 0x98 }, { 0x99 }, { 0x66, 0x99 }, { 0x48, 0x99 },
        { 0x9f }, { 0x9e }, { 0xf8 }, { 0xf9 }, { 0xf5 }, { 0x0f, 0xc8 }, { 0x48, 0x0f, 0xcd },
        { 0x41, 0x0f, 0xcb },
    };
    static const uint8_t lens[] = { 1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 1, 2, 3, 3 };
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        /* a flag producer first so LAHF/CMC see computed flags */
        uint8_t add = 0x01;
        op_rr(&c, rand_size() == 1 ? 4 : 8, &add, 1, rand_reg(), rand_reg(), false);
        unsigned k = (unsigned)(th_rand() % (sizeof(lens)));
        th_emit(&c, ops[k], lens[k]);
        if (!run_case("conv", &c, &in, w, F_ALL)) {
            printf("  op %u\n", k);
            CHECK(0);
        }
    }
}

TEST_CASE(lea_addressing_forms)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        unsigned size = 2 << (th_rand() % 3);
        int rd = rand_reg(), base = rand_reg(), idx = rand_reg();
        bool as32 = th_rand() & 1;
        if (size == 2) th_emit_u8(&c, 0x66);
        if (as32) th_emit_u8(&c, 0x67);
        th_emit_u8(&c, (uint8_t)(0x40 | (size == 8 ? 8 : 0) | (rd >= 8 ? 4 : 0) |
                                 (idx >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0)));
        th_emit_u8(&c, 0x8d);
        unsigned mod = th_rand() % 3;
        if ((base & 7) == 5 && mod == 0) mod = 1;
        th_emit_u8(&c, (uint8_t)(mod << 6 | (rd & 7) << 3 | 4));
        th_emit_u8(&c, (uint8_t)((th_rand() & 3) << 6 | (idx & 7) << 3 | (base & 7)));
        if (mod == 1) emit_imm(&c, 1, th_rand());
        if (mod == 2) emit_imm(&c, 4, th_rand_value());
        if (!run_case("lea", &c, &in, w, F_ALL)) {
            CHECK(0);
        }
    }
}

/* ---- stack and branches --------------------------------------------------------------------- */

TEST_CASE(stack_and_branches)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < N_RANDOM; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        int r = rand_reg();
        switch (th_rand() % 8) {
        case 0: /* push r; pop [rbx+8]; pop r (16-bit: 66) */
            th_emit_u8(&c, (uint8_t)(r >= 8 ? 0x41 : 0x40));
            th_emit_u8(&c, (uint8_t)(0x50 | (r & 7)));
            TH_EMIT(&c, 0x8f, 0x43, 0x08);
            TH_EMIT(&c, 0x66, 0x6a, 0x85, 0x66, 0x58);    /* pushw $-123; popw %ax */
            break;
        case 1: /* call +5 over a 5-byte nop-ish mov, then pop the return address */
            TH_EMIT(&c, 0xe8, 0x05, 0, 0, 0, 0xb8, 1, 2, 3, 4, 0x59);   /* call; mov eax; pop rcx */
            break;
        case 2: /* loop with rcx small */
            in.gpr[R_ECX] = 1 + th_rand() % 5;
            TH_EMIT(&c, 0x48, 0xff, 0xc0, 0xe2, 0xfb);     /* inc rax; loop -5 */
            break;
        case 3: /* jrcxz / jecxz */
            in.gpr[R_ECX] = (th_rand() & 1) ? 0 : (th_rand() & 1) ? 0x100000000ull : 5;
            if (th_rand() & 1) th_emit_u8(&c, 0x67);
            TH_EMIT(&c, 0xe3, 0x03, 0x48, 0xff, 0xc0);
            break;
        case 4: /* enter / leave */
            TH_EMIT(&c, 0xc8, 0x20, 0x00, 0x00, 0xc9);
            break;
        case 5: /* pushfq / popfq round trip with a modified flags image */
            TH_EMIT(&c, 0x9c, 0x48, 0x83, 0x34, 0x24, 0x01, 0x9d);   /* pushf; xorq $1,(rsp); popf */
            break;
        case 6: /* indirect jmp through a register to the next insn, ret to pushed address */
            TH_EMIT(&c, 0x48, 0x8d, 0x05, 0x02, 0, 0, 0, 0xff, 0xe0);  /* lea 2(%rip),%rax; jmp *%rax */
            TH_EMIT(&c, 0x90, 0x90, 0x48, 0x8d, 0x05, 0x02, 0, 0, 0, 0x50, 0xc3, 0x90); /* push; ret */
            break;
        default: /* loope / loopne after cmp */
            in.gpr[R_ECX] = th_rand() % 6;
            TH_EMIT(&c, 0x48, 0x39, 0xd0);                  /* cmp %rdx,%rax */
            th_emit_u8(&c, (th_rand() & 1) ? 0xe1 : 0xe0);
            TH_EMIT(&c, 0x02, 0x90, 0x90);
            break;
        }
        if (!run_case("stack", &c, &in, w, F_ALL)) {
            CHECK(0);
        }
    }
}

/* Faults are precise: registers and memory as before the faulting insn. */
TEST_CASE(faults_are_precise)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < 50; i++) {
        ThCode c;
        ThState in;
        th_random_state(&in, w);
        start(&c);
        TH_EMIT(&c, 0x48, 0x01, 0xc8);          /* add %rcx,%rax (flags) */
        TH_EMIT(&c, 0x48, 0x83, 0x03, 0x05);    /* addq $5,(%rbx) */
        switch (i % 4) {
        case 0: /* divide by zero */
            th_mov_imm(&c, R_ESI, 0);
            TH_EMIT(&c, 0x48, 0xf7, 0xf6);
            break;
        case 1: /* store to a non-canonical address after a push: #GP */
            TH_EMIT(&c, 0x50);
            th_mov_imm(&c, R_EDI, 0x8000000000000000ull);
            TH_EMIT(&c, 0x48, 0x01, 0x07);        /* add %rax,(%rdi) */
            break;
        case 2: /* ud2 */
            TH_EMIT(&c, 0x0f, 0x0b);
            break;
        default: /* idiv overflow */
            th_mov_imm(&c, R_EAX, 0x8000000000000000ull);
            th_mov_imm(&c, R_EDX, ~0ull);
            th_mov_imm(&c, R_ESI, ~0ull);
            TH_EMIT(&c, 0x48, 0xf7, 0xfe);
            break;
        }
        TH_EMIT(&c, 0x48, 0xff, 0xc0);
        static ThResult g, n;
        th_run_native(c.b, c.n, &in, w, &n);
        th_run_guest(TH_MODE64, c.b, c.n, &in, w, &g);
        /* A host SIGSEGV on an unmapped page reports #PF as trap 14. */
        bool ok = th_same("fault", &g, &n, F_ALL);
        report("fault", &c, &in, ok);
        CHECK(ok);
    }
}

int main(void)
{
    RUN(alu_register_and_memory);
    RUN(conditions_after_each_producer);
    RUN(unary_ops);
    RUN(carry_keepers_after_block_boundary);
    RUN(shifts_and_rotates);
    RUN(rotate_flags_pending);
    RUN(double_shifts);
    RUN(multiply_divide);
    RUN(bit_test_and_scan);
    RUN(exchange_and_compare_exchange);
    RUN(conversions_and_flag_ops);
    RUN(lea_addressing_forms);
    RUN(stack_and_branches);
    RUN(faults_are_precise);
    TEST_EXIT();
}
