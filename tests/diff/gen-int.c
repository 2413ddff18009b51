/* Differential tests: integer and string classes of the generator, with
 * each instruction's defined/undefined flags.  Undefined results are steered
 * around: 16-bit SHLD/SHRD counts > 16, BSF/BSR of zero for 16/32-bit
 * operands (CMOVZ fix-up; 64-bit keeps the destination, as Linux relies on).
 * Reference: Intel SDM vol. 2A/2B, each instruction's "Flags Affected". */
#include <stdio.h>
#include <string.h>

#include "gen.h"

#define MEMTXT 96

static const char *const names8_legacy[8] = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };

static int rand_size(Gen *g)
{
    static const int sizes[6] = { 1, 2, 4, 8, 8, 4 };
    return sizes[rng_below(&g->rng, 6)];
}

static int rand_size_no8(Gen *g)
{
    static const int sizes[5] = { 2, 4, 8, 8, 4 };
    return sizes[rng_below(&g->rng, 5)];
}

/* Register operand; LEGACY (8-bit with ah..bh): only registers 0..7. */
static const char *pick_reg(Gen *g, int size, bool legacy, uint32_t avoid, int *reg)
{
    int r = gen_reg(g, avoid | (legacy ? 0xff00u : 0));
    if (reg)
        *reg = r;
    if (size == 1 && legacy)
        return names8_legacy[r];
    return reg_name(r, size);
}

static int64_t sext(uint64_t v, int size)
{
    int shift = 64 - 8 * size;
    return (int64_t)(v << shift) >> shift;
}

/* Immediate text for an instruction of SIZE: imm8 range sometimes (the
 * sign-extended 0x83 forms), 64-bit operations take a sign-extended imm32. */
static void imm_text(Gen *g, int size, char *out, size_t n)
{
    uint64_t v;
    if (rng_percent(&g->rng, 35))
        v = (uint64_t)(int64_t)(int8_t)rand_int(&g->rng, 8);
    else
        v = rand_int(&g->rng, size == 8 ? 32 : 8 * size);
    if (size == 8)
        snprintf(out, n, "$%lld", (long long)sext(v, 4));
    else
        snprintf(out, n, "$%lld", (long long)sext(v, size));
}

static void define_cf(Gen *g)
{
    static const Fx fx = { .def = FL_CF };
    if (!gen_defined(g, FL_CF))
        gen_emit(g, &fx, rng_percent(&g->rng, 50) ? "stc" : "clc");
}

static const char *lock_prefix(Gen *g)
{
    return rng_percent(&g->rng, 25) ? "lock " : "";
}

static void int_alu(Gen *g)
{
    static const char *const ops[10] = { "add", "or", "adc", "sbb", "and", "sub", "xor",
                                         "cmp", "test", "mov" };
    int op = (int)rng_below(&g->rng, 10);
    int size = rand_size(g);
    bool legacy = size == 1 && rng_percent(&g->rng, 30);
    unsigned form = rng_below(&g->rng, 5);
    char mem[MEMTXT], imm[40];
    Fx fx = { 0 };

    if (op == 2 || op == 3) {
        define_cf(g);
        fx.reads = FL_CF;
    }
    if (op <= 7 && op != 1 && op != 4 && op != 6)
        fx.def = FL_ARITH;
    else if (op != 9) {
        fx.def = FL_LOGIC_DEF;
        fx.undef = FL_AF;
    }
    if (op == 8 && form == 2)
        form = 1;
    if (op == 9 && size == 8 && form == 3 && rng_percent(&g->rng, 40)) {
        gen_emit(g, NULL, "movabsq $0x%llx, %%%s", (unsigned long long)rand_int(&g->rng, 64),
                 pick_reg(g, 8, false, 0, NULL));
        return;
    }
    char s = size_suffix(size);
    bool mem_dest = form == 1 || form == 4;
    const char *lock = (mem_dest && op != 7 && op != 8 && op != 9) ? lock_prefix(g) : "";
    switch (form) {
    case 0:
        gen_emit(g, &fx, "%s%c %%%s, %%%s", ops[op], s, pick_reg(g, size, legacy, 0, NULL),
                 pick_reg(g, size, legacy, 0, NULL));
        break;
    case 1:
        gen_mem(g, size, 1, 0, legacy ? MEM_LEGACY : 0, mem, sizeof(mem));
        gen_emit(g, &fx, "%s%s%c %%%s, %s", lock, ops[op], s, pick_reg(g, size, legacy, 0, NULL), mem);
        break;
    case 2:
        gen_mem(g, size, 1, 0, legacy ? MEM_LEGACY : 0, mem, sizeof(mem));
        gen_emit(g, &fx, "%s%c %s, %%%s", ops[op], s, mem, pick_reg(g, size, legacy, 0, NULL));
        break;
    case 3:
        imm_text(g, size, imm, sizeof(imm));
        gen_emit(g, &fx, "%s%c %s, %%%s", ops[op], s, imm, pick_reg(g, size, legacy, 0, NULL));
        break;
    default:
        gen_mem(g, size, 1, 0, 0, mem, sizeof(mem));
        imm_text(g, size, imm, sizeof(imm));
        gen_emit(g, &fx, "%s%s%c %s, %s", lock, ops[op], s, imm, mem);
        break;
    }
}

static void int_unary(Gen *g)
{
    static const char *const ops[4] = { "inc", "dec", "neg", "not" };
    int op = (int)rng_below(&g->rng, 4);
    int size = rand_size(g);
    bool legacy = size == 1 && rng_percent(&g->rng, 30);
    Fx fx = { .def = op < 2 ? FL_ARITH & ~FL_CF : op == 2 ? FL_ARITH : 0 };
    char mem[MEMTXT];

    if (rng_percent(&g->rng, 50)) {
        gen_emit(g, op == 3 ? NULL : &fx, "%s%c %%%s", ops[op], size_suffix(size),
                 pick_reg(g, size, legacy, 0, NULL));
    } else {
        gen_mem(g, size, 1, 0, 0, mem, sizeof(mem));
        gen_emit(g, op == 3 ? NULL : &fx, "%s%s%c %s", lock_prefix(g), ops[op], size_suffix(size), mem);
    }
}

/* Flag effect of a shift/rotate by a known count (SDM: SAL/SAR/SHL/SHR,
 * RCL/RCR/ROL/ROR "Flags Affected"). */
static bool shift_fx(int op, int size, unsigned count, Fx *fx)
{
    unsigned masked = count & (size == 8 ? 63u : 31u);
    memset(fx, 0, sizeof(*fx));
    if (op == 2 || op == 3)
        fx->reads = FL_CF;
    if (masked == 0)
        return fx->reads != 0;
    if (op < 4) {                                           /* rol ror rcl rcr */
        fx->def = FL_CF;
    } else {                                                /* shl shr sal sar */
        fx->def = FL_SF | FL_ZF | FL_PF;
        fx->undef = FL_AF;
        if (op == 7 || masked < 8u * (unsigned)size)
            fx->def |= FL_CF;
        else
            fx->undef |= FL_CF;
    }
    if (masked == 1)
        fx->def |= FL_OF;
    else
        fx->undef |= FL_OF;
    return true;
}

static unsigned rand_count(Gen *g, int size)
{
    static const unsigned special[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255 };
    if (rng_percent(&g->rng, 40))
        return special[rng_below(&g->rng, sizeof(special) / sizeof(special[0]))];
    if (rng_percent(&g->rng, 70))
        return rng_below(&g->rng, 8u * (unsigned)size + 2);
    return rng_below(&g->rng, 256);
}

static void int_shift(Gen *g)
{
    static const char *const ops[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };
    int op = (int)rng_below(&g->rng, 8);
    int size = rand_size(g);
    bool legacy = size == 1 && rng_percent(&g->rng, 30);
    char dst[MEMTXT], cnt[16];
    unsigned mode = rng_below(&g->rng, 4), count = 0;
    Fx fx;
    bool has_fx;

    if (op == 2 || op == 3)
        define_cf(g);
    if (rng_percent(&g->rng, 50)) {
        gen_mem(g, size, 1, 1u << R_RCX, legacy ? MEM_LEGACY : 0, dst, sizeof(dst));
    } else {
        snprintf(dst, sizeof(dst), "%%%s", pick_reg(g, size, legacy, 0, NULL));
    }
    switch (mode) {
    case 0:
        count = 1;
        snprintf(cnt, sizeof(cnt), "$1, ");
        break;
    case 1:
        count = rand_count(g, size);
        snprintf(cnt, sizeof(cnt), "$%u, ", count);
        break;
    case 2:
        count = rand_count(g, size);
        gen_emit(g, NULL, "movb $%u, %%cl", count);
        snprintf(cnt, sizeof(cnt), "%%cl, ");
        break;
    default:
        snprintf(cnt, sizeof(cnt), "%%cl, ");
        break;
    }
    if (mode == 2 && strstr(dst, "cx") == NULL && strstr(dst, "cl") == NULL &&
        strstr(dst, "ch") == NULL) {
        has_fx = shift_fx(op, size, count, &fx);
    } else if (mode == 3 || mode == 2) {
        /* Count unknown (or the destination is the count register). */
        memset(&fx, 0, sizeof(fx));
        fx.maybe = true;
        fx.reads = (op == 2 || op == 3) ? FL_CF : 0;
        fx.undef = FL_OF | (op >= 4 ? FL_AF : 0) | (op >= 4 && op != 7 && size <= 2 ? FL_CF : 0);
        has_fx = true;
    } else {
        has_fx = shift_fx(op, size, count, &fx);
    }
    gen_emit(g, has_fx ? &fx : NULL, "%s%c %s%s", ops[op], size_suffix(size), cnt, dst);
}

static void int_shiftd(Gen *g)
{
    bool left = rng_percent(&g->rng, 50);
    static const int sizes[3] = { 2, 4, 8 };
    int size = sizes[rng_below(&g->rng, 3)];
    char dst[MEMTXT];
    unsigned count;
    Fx fx = { 0 };

    if (rng_percent(&g->rng, 50))
        gen_mem(g, size, 1, 1u << R_RCX, 0, dst, sizeof(dst));
    else
        snprintf(dst, sizeof(dst), "%%%s", reg_name(gen_reg(g, 1u << R_RCX), size));
    const char *src = reg_name(gen_reg(g, 0), size);
    unsigned mode = rng_below(&g->rng, 3);
    if (mode == 2 && size == 2)
        mode = 1;
    count = rand_count(g, size);
    if (size == 2 && (count & 31) > 16)
        count &= 15;                      /* larger counts: result undefined */
    if (mode == 2) {
        fx.maybe = true;
        fx.undef = FL_OF | FL_AF;
        gen_emit(g, &fx, "sh%sd%c %%cl, %%%s, %s", left ? "l" : "r", size_suffix(size), src, dst);
        return;
    }
    unsigned masked = count & (size == 8 ? 63u : 31u);
    if (masked) {
        fx.def = FL_CF | FL_SF | FL_ZF | FL_PF | (masked == 1 ? FL_OF : 0);
        fx.undef = FL_AF | (masked == 1 ? 0 : FL_OF);
    }
    if (mode == 1) {
        if (strstr(src, "cx") || strstr(src, "cl"))
            src = reg_name(R_RDX, size);
        gen_emit(g, NULL, "movb $%u, %%cl", count);
        gen_emit(g, masked ? &fx : NULL, "sh%sd%c %%cl, %%%s, %s", left ? "l" : "r",
                 size_suffix(size), src, dst);
    } else {
        gen_emit(g, masked ? &fx : NULL, "sh%sd%c $%u, %%%s, %s", left ? "l" : "r",
                 size_suffix(size), count, src, dst);
    }
}

static void int_mul(Gen *g)
{
    int size = rand_size(g);
    char src[MEMTXT], imm[40];
    Fx fx = { .def = FL_CF | FL_OF, .undef = FL_SF | FL_ZF | FL_AF | FL_PF };
    unsigned form = rng_below(&g->rng, 3);
    bool legacy = size == 1 && rng_percent(&g->rng, 30);

    if (size == 1)
        form = 0;
    if (rng_percent(&g->rng, 40))
        gen_mem(g, size, 1, 0, legacy ? MEM_LEGACY : 0, src, sizeof(src));
    else
        snprintf(src, sizeof(src), "%%%s", pick_reg(g, size, legacy, 0, NULL));
    char s = size_suffix(size);
    switch (form) {
    case 0:
        gen_emit(g, &fx, "%s%c %s", rng_percent(&g->rng, 50) ? "mul" : "imul", s, src);
        break;
    case 1:
        gen_emit(g, &fx, "imul%c %s, %%%s", s, src, reg_name(gen_reg(g, 0), size));
        break;
    default:
        imm_text(g, size, imm, sizeof(imm));
        gen_emit(g, &fx, "imul%c %s, %s, %%%s", s, imm, src, reg_name(gen_reg(g, 0), size));
        break;
    }
}

/* DIV/IDIV: #DE (divide by zero, quotient overflow) is allowed; the runners
 * report it as a fault at the instruction, with the state before it.  A
 * zeroed or sign-extended high half makes completed divisions common. */
static void int_div(Gen *g)
{
    int size = rand_size(g);
    bool is_signed = rng_percent(&g->rng, 50);
    char src[MEMTXT];
    static const Fx fx = { .undef = FL_ARITH };
    static const char *const widen[4] = { "cbtw", "cwtd", "cltd", "cqto" };
    static const char *const zero[4] = { "movb $0, %ah", "movw $0, %dx", "movl $0, %edx", "movl $0, %edx" };
    int si = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

    if (rng_percent(&g->rng, 75))
        gen_emit(g, NULL, "%s", is_signed ? widen[si] : zero[si]);
    if (rng_percent(&g->rng, 40))
        gen_mem(g, size, 1, 0, size == 1 ? MEM_LEGACY : 0, src, sizeof(src));
    else
        snprintf(src, sizeof(src), "%%%s", pick_reg(g, size, size == 1 && rng_percent(&g->rng, 30), 0, NULL));
    gen_emit(g, &fx, "%s%c %s", is_signed ? "idiv" : "div", size_suffix(size), src);
}

static void int_bt(Gen *g)
{
    static const char *const ops[4] = { "bt", "bts", "btr", "btc" };
    int op = (int)rng_below(&g->rng, 4);
    int size = rand_size_no8(g);
    Fx fx = { .def = FL_CF, .undef = FL_OF | FL_SF | FL_AF | FL_PF };
    char mem[MEMTXT];
    char s = size_suffix(size);
    const char *lock = op ? lock_prefix(g) : "";

    switch (rng_below(&g->rng, 4)) {
    case 0:
        gen_emit(g, &fx, "%s%c %%%s, %%%s", ops[op], s, reg_name(gen_reg(g, 0), size),
                 reg_name(gen_reg(g, 0), size));
        break;
    case 1:
        gen_emit(g, &fx, "%s%c $%u, %%%s", ops[op], s, rng_below(&g->rng, 256),
                 reg_name(gen_reg(g, 0), size));
        break;
    case 2:
        gen_mem(g, size, 1, 0, 0, mem, sizeof(mem));
        gen_emit(g, &fx, "%s%s%c $%u, %s", lock, ops[op], s, rng_below(&g->rng, 256), mem);
        break;
    default: {
        /* Register bit offset into memory: signed, may reach far from the
         * operand; kept within +-1000 bytes of a location mid-window. */
        int offreg = gen_reg(g, 0);
        int64_t k = (int64_t)rng_below(&g->rng, 16000) - 8000;
        if (size == 2)
            k = (int16_t)k;
        uint32_t off = gen_mem(g, size, 1, 1u << offreg, MEM_MIDDLE, mem, sizeof(mem));
        int64_t unit = k >> (size == 2 ? 4 : size == 4 ? 5 : 6);
        gen_mark_dirty(g, (uint32_t)((int64_t)off + unit * size), (uint32_t)size);
        gen_emit(g, NULL, "movq $%lld, %%%s", (long long)k, reg_name(offreg, 8));
        gen_emit(g, &fx, "%s%s%c %%%s, %s", lock, ops[op], s, reg_name(offreg, size), mem);
        break;
    }
    }
}

static void int_bitscan(Gen *g)
{
    int size = rand_size_no8(g);
    char src[MEMTXT];
    unsigned choice = rng_below(&g->rng, 5);
    bool src_mem = rng_percent(&g->rng, 40);

    if ((choice == 2 && !host.bmi1) || (choice == 3 && !host.lzcnt) || (choice == 4 && !host.popcnt))
        choice = rng_below(&g->rng, 2);
    if (src_mem)
        gen_mem(g, size, 1, 0, 0, src, sizeof(src));
    else
        snprintf(src, sizeof(src), "%%%s", reg_name(gen_reg(g, 0), size));
    int dst = gen_reg(g, src_mem ? g->mem_regs : 0);
    char s = size_suffix(size);
    static const char *const ops[5] = { "bsf", "bsr", "tzcnt", "lzcnt", "popcnt" };
    Fx fx = { 0 };
    if (choice < 2) {
        fx.def = FL_ZF;
        fx.undef = FL_CF | FL_OF | FL_SF | FL_AF | FL_PF;
    } else if (choice < 4) {
        fx.def = FL_CF | FL_ZF;
        fx.undef = FL_OF | FL_SF | FL_AF | FL_PF;
    } else {
        fx.def = FL_ARITH;
    }
    gen_emit(g, &fx, "%s%c %s, %%%s", ops[choice], s, src, reg_name(dst, size));
    if (choice < 2 && size < 8) {
        static const Fx cmov = { .reads = FL_ZF };
        gen_emit(g, &cmov, "cmovz%c %s, %%%s", s, src, reg_name(dst, size));
    }
}

static void int_cond(Gen *g)
{
    int cc = gen_pick_cc(g);
    char mem[MEMTXT];

    if (cc < 0) {
        static const Fx fx = { .def = FL_ARITH };
        gen_emit(g, &fx, "cmpq %%%s, %%%s", reg_name(gen_reg(g, 0), 8), reg_name(gen_reg(g, 0), 8));
        return;
    }
    Fx fx = { .reads = cc_reads[cc] };
    switch (rng_below(&g->rng, 3)) {
    case 0:
        if (rng_percent(&g->rng, 40)) {
            gen_mem(g, 1, 1, 0, 0, mem, sizeof(mem));
            gen_emit(g, &fx, "set%s %s", cc_names[cc], mem);
        } else {
            gen_emit(g, &fx, "set%s %%%s", cc_names[cc], pick_reg(g, 1, rng_percent(&g->rng, 30), 0, NULL));
        }
        break;
    case 1: {
        int size = rand_size_no8(g);
        char src[MEMTXT];
        if (rng_percent(&g->rng, 40))
            gen_mem(g, size, 1, 0, 0, src, sizeof(src));
        else
            snprintf(src, sizeof(src), "%%%s", reg_name(gen_reg(g, 0), size));
        gen_emit(g, &fx, "cmov%s%c %s, %%%s", cc_names[cc], size_suffix(size), src,
                 reg_name(gen_reg(g, 0), size));
        break;
    }
    default: {
        char m[8];
        snprintf(m, sizeof(m), "j%s", cc_names[cc]);
        gen_jump(g, m, cc_reads[cc], false);
        break;
    }
    }
}

static void int_jump(Gen *g)
{
    switch (rng_below(&g->rng, 6)) {
    case 0: gen_jump(g, "jmp", 0, true); break;
    case 1: gen_jump(g, "jrcxz", 0, false); break;
    case 2: gen_jump(g, "jecxz", 0, false); break;
    case 3: gen_jump(g, "loop", 0, false); break;
    case 4: gen_jump(g, gen_defined(g, FL_ZF) ? "loope" : "loop", gen_defined(g, FL_ZF) ? FL_ZF : 0, false); break;
    default: gen_jump(g, gen_defined(g, FL_ZF) ? "loopne" : "loop", gen_defined(g, FL_ZF) ? FL_ZF : 0, false); break;
    }
}

static void int_lea(Gen *g)
{
    int size = rand_size_no8(g);
    static const int scales[4] = { 1, 2, 4, 8 };
    int scale = scales[rng_below(&g->rng, 4)];
    int64_t disp = rng_percent(&g->rng, 30) ? 0 : rng_percent(&g->rng, 50)
                   ? (int64_t)(int8_t)rng_next(&g->rng) : (int64_t)(int32_t)rand_int(&g->rng, 32);
    int dst = gen_reg(g, 0);
    bool a32 = rng_percent(&g->rng, 25);
    int asz = a32 ? 4 : 8;
    int base = gen_reg(g, 0), index = gen_reg(g, 1u << R_RSP);

    switch (rng_below(&g->rng, 5)) {
    case 0:
        gen_emit(g, NULL, "lea%c %lld(%%%s), %%%s", size_suffix(size), (long long)disp,
                 reg_name(base, asz), reg_name(dst, size));
        break;
    case 1:
        gen_emit(g, NULL, "lea%c %lld(,%%%s,%d), %%%s", size_suffix(size), (long long)disp,
                 reg_name(index, asz), scale, reg_name(dst, size));
        break;
    case 2:
        gen_emit(g, NULL, "lea%c .Ls+0x%x(%%rip), %%%s", size_suffix(size),
                 (unsigned)rng_below(&g->rng, 0x10000), reg_name(dst, size));
        break;
    default:
        gen_emit(g, NULL, "lea%c %lld(%%%s,%%%s,%d), %%%s", size_suffix(size), (long long)disp,
                 reg_name(base, asz), reg_name(index, asz), scale, reg_name(dst, size));
        break;
    }
}

static void int_movx(Gen *g)
{
    static const struct { const char *op; int from, to; } forms[] = {
        { "movsbw", 1, 2 }, { "movsbl", 1, 4 }, { "movsbq", 1, 8 }, { "movswl", 2, 4 },
        { "movswq", 2, 8 }, { "movslq", 4, 8 }, { "movzbw", 1, 2 }, { "movzbl", 1, 4 },
        { "movzbq", 1, 8 }, { "movzwl", 2, 4 }, { "movzwq", 2, 8 },
    };
    int f = (int)rng_below(&g->rng, sizeof(forms) / sizeof(forms[0]));
    bool legacy = forms[f].from == 1 && forms[f].to < 8 && rng_percent(&g->rng, 30);
    char src[MEMTXT];

    if (rng_percent(&g->rng, 40))
        gen_mem(g, forms[f].from, 1, 0, legacy ? MEM_LEGACY : 0, src, sizeof(src));
    else
        snprintf(src, sizeof(src), "%%%s", pick_reg(g, forms[f].from, legacy, 0, NULL));
    gen_emit(g, NULL, "%s %s, %%%s", forms[f].op, src,
             reg_name(gen_reg(g, legacy ? 0xff00u : 0), forms[f].to));
}

static void int_exchange(Gen *g)
{
    int size = rand_size(g);
    bool legacy = size == 1 && rng_percent(&g->rng, 30);
    char mem[MEMTXT];
    char s = size_suffix(size);
    static const Fx arith = { .def = FL_ARITH };
    unsigned op = rng_below(&g->rng, 3);
    bool use_mem = rng_percent(&g->rng, 50);
    static const char *const ops[3] = { "xchg", "xadd", "cmpxchg" };

    if (use_mem) {
        gen_mem(g, size, 1, op == 2 ? 1u << R_RAX : 0, legacy ? MEM_LEGACY : 0, mem, sizeof(mem));
        if (op == 2 && rng_percent(&g->rng, 50))       /* make the compare succeed */
            gen_emit(g, NULL, "mov%c %s, %%%s", s, mem, reg_name(R_RAX, size));
        gen_emit(g, op ? &arith : NULL, "%s%s%c %%%s, %s", op ? lock_prefix(g) : "", ops[op], s,
                 pick_reg(g, size, legacy, 0, NULL), mem);
    } else {
        gen_emit(g, op ? &arith : NULL, "%s%c %%%s, %%%s", ops[op], s,
                 pick_reg(g, size, legacy, 0, NULL), pick_reg(g, size, legacy, 0, NULL));
    }
}

static void int_cmpxchg8b(Gen *g)
{
    bool wide = host.cx16 && rng_percent(&g->rng, 50);
    int size = wide ? 16 : 8;
    char mem[MEMTXT];
    static const Fx fx = { .def = FL_ZF };
    uint32_t off = gen_mem(g, size, wide ? 16 : 1, 1u << R_RAX | 1u << R_RDX, 0, mem, sizeof(mem));

    if (rng_percent(&g->rng, 50)) {
        /* Expected value = memory: the exchange happens. */
        uint64_t lo, hi;
        memcpy(&lo, g->window + off, 8);
        memcpy(&hi, g->window + off + size / 2, 8);
        if (wide) {
            gen_emit(g, NULL, "movabsq $0x%llx, %%rax", (unsigned long long)lo);
            gen_emit(g, NULL, "movabsq $0x%llx, %%rdx", (unsigned long long)hi);
        } else {
            gen_emit(g, NULL, "movl $0x%x, %%eax", (uint32_t)lo);
            gen_emit(g, NULL, "movl $0x%x, %%edx", (uint32_t)(lo >> 32));
        }
    }
    gen_emit(g, &fx, "%scmpxchg%s %s", lock_prefix(g), wide ? "16b" : "8b", mem);
}

static void int_misc(Gen *g)
{
    static const char *const converts[6] = { "cbtw", "cwtl", "cltq", "cwtd", "cltd", "cqto" };
    char mem[MEMTXT];

    switch (rng_below(&g->rng, 12)) {
    case 0: case 1:
        gen_emit(g, NULL, "%s", converts[rng_below(&g->rng, 6)]);
        break;
    case 2: {
        int size = rng_percent(&g->rng, 50) ? 4 : 8;
        gen_emit(g, NULL, "bswap%c %%%s", size_suffix(size), reg_name(gen_reg(g, 0), size));
        break;
    }
    case 3: {
        static const Fx clc = { .def = FL_CF }, cmc = { .reads = FL_CF, .def = FL_CF };
        unsigned k = rng_below(&g->rng, 3);
        if (k == 2 && gen_defined(g, FL_CF))
            gen_emit(g, &cmc, "cmc");
        else
            gen_emit(g, &clc, k ? "stc" : "clc");
        break;
    }
    case 4: {
        static const Fx sahf = { .def = FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF };
        static const Fx lahf = { .reads = FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF };
        if (rng_percent(&g->rng, 50) && gen_defined(g, lahf.reads))
            gen_emit(g, &lahf, "lahf");
        else
            gen_emit(g, &sahf, "sahf");
        break;
    }
    case 5: {
        int df = rng_percent(&g->rng, 50);
        gen_emit(g, NULL, df ? "std" : "cld");
        gen_set_df(g, df);
        break;
    }
    case 6: {                                  /* stack operations in the window */
        uint32_t off = 256 + rng_below(&g->rng, DIFF_WINDOW_SIZE - 512);
        gen_mark_dirty(g, off - 32, 64);
        gen_emit(g, NULL, "movl $0x%x, %%esp", DIFF_WINDOW_ADDR + off);
        switch (rng_below(&g->rng, 6)) {
        case 0: gen_emit(g, NULL, "pushq %%%s", reg_name(gen_reg(g, 0), 8)); break;
        case 1: gen_emit(g, NULL, "popq %%%s", reg_name(gen_reg(g, 0), 8)); break;
        case 2: gen_emit(g, NULL, "pushw %%%s", reg_name(gen_reg(g, 0), 2)); break;
        case 3: gen_emit(g, NULL, "pushq $%lld", (long long)sext(rand_int(&g->rng, 32), 4)); break;
        case 4:
            gen_mem(g, 8, 1, 1u << R_RSP, 0, mem, sizeof(mem));
            gen_emit(g, NULL, "pushq %s", mem);
            break;
        default:
            gen_mem(g, 8, 1, 1u << R_RSP, 0, mem, sizeof(mem));
            gen_emit(g, NULL, "popq %s", mem);
            break;
        }
        break;
    }
    case 7:
        gen_emit(g, NULL, "movl $0x%x, %%ebx", DIFF_WINDOW_ADDR + rng_below(&g->rng, DIFF_WINDOW_SIZE - 256));
        gen_emit(g, NULL, "xlatb");
        break;
    case 8:
        if (host.movbe) {
            int size = rand_size_no8(g);
            gen_mem(g, size, 1, 0, 0, mem, sizeof(mem));
            if (rng_percent(&g->rng, 50))
                gen_emit(g, NULL, "movbe%c %s, %%%s", size_suffix(size), mem, reg_name(gen_reg(g, 0), size));
            else
                gen_emit(g, NULL, "movbe%c %%%s, %s", size_suffix(size), reg_name(gen_reg(g, 0), size), mem);
            break;
        }
        /* fall through */
    case 9: {
        int size = rand_size(g);
        static const char *const accs[4] = { "al", "ax", "eax", "rax" };
        int si = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
        uint32_t addr = DIFF_WINDOW_ADDR + rng_below(&g->rng, DIFF_WINDOW_SIZE - 8);
        if (rng_percent(&g->rng, 50)) {
            gen_emit(g, NULL, "movabs 0x%x, %%%s", addr, accs[si]);
        } else {
            gen_mark_dirty(g, addr - DIFF_WINDOW_ADDR, (uint32_t)size);
            gen_emit(g, NULL, "movabs %%%s, 0x%x", accs[si], addr);
        }
        break;
    }
    default:
        int_cmpxchg8b(g);
        break;
    }
}

void class_int(Gen *g)
{
    unsigned k = rng_below(&g->rng, 100);
    if (k < 24) int_alu(g);
    else if (k < 30) int_unary(g);
    else if (k < 42) int_shift(g);
    else if (k < 47) int_shiftd(g);
    else if (k < 53) int_mul(g);
    else if (k < 59) int_div(g);
    else if (k < 64) int_bt(g);
    else if (k < 69) int_bitscan(g);
    else if (k < 77) int_cond(g);
    else if (k < 80) int_jump(g);
    else if (k < 84) int_lea(g);
    else if (k < 88) int_movx(g);
    else if (k < 93) int_exchange(g);
    else int_misc(g);
}

/* ---- string instructions ----------------------------------------------- */

void class_str(Gen *g)
{
    static const char *const ops[5] = { "movs", "stos", "lods", "cmps", "scas" };
    static const char *const accs[4] = { "al", "ax", "eax", "rax" };
    Rng *r = &g->rng;
    int op = (int)rng_below(r, 5);
    int size = rand_size(g);
    int si = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    bool rep = rng_percent(r, 70);
    bool a32 = rng_percent(r, 15);
    const char *prefix = "";
    unsigned n = rep ? (rng_percent(r, 10) ? 0 : 1 + rng_below(r, rng_percent(r, 70) ? 16 : 64)) : 1;

    if (g->df < 0 || rng_percent(r, 30)) {
        int df = rng_percent(r, 40);
        gen_emit(g, NULL, df ? "std" : "cld");
        gen_set_df(g, df);
    }
    int df = g->df;
    if (rep)
        prefix = op < 3 ? "rep " : rng_percent(r, 50) ? "repe " : "repne ";
    /* Region of N elements: ascending from START, or descending to it. */
    uint32_t span = n * (uint32_t)size;
    uint32_t room = DIFF_WINDOW_SIZE - span - (uint32_t)size;
    uint32_t src = rng_below(r, room), dst = rng_below(r, room);
    if (df) {
        src += span ? span - (uint32_t)size : 0;
        dst += span ? span - (uint32_t)size : 0;
    }
    uint32_t src_lo = df ? src + (uint32_t)size - (span ? span : (uint32_t)size) : src;
    uint32_t dst_lo = df ? dst + (uint32_t)size - (span ? span : (uint32_t)size) : dst;
    uint32_t len = span ? span : (uint32_t)size;

    if (op == 3 && rng_percent(r, 50)) {
        /* Equal runs with at most one difference, so REPE goes on. */
        bool clean = true;
        for (uint32_t i = 0; i < len; i++)
            clean = clean && !g->dirty[src_lo + i] && !g->dirty[dst_lo + i];
        if (clean && (src_lo + len <= dst_lo || dst_lo + len <= src_lo)) {
            uint8_t tmp[DIFF_WINDOW_SIZE];
            memcpy(tmp, g->window + src_lo, len);
            if (rng_percent(r, 50))
                tmp[rng_below(r, len)] ^= 1;
            gen_set_window(g, dst_lo, tmp, len);
        }
    }
    if (op == 4 && rng_percent(r, 50) && len >= (uint32_t)size) {
        uint64_t v = 0;
        memcpy(&v, g->window + dst_lo + (rng_below(r, len / (uint32_t)size) * (uint32_t)size), (size_t)size);
        gen_emit(g, NULL, "movabsq $0x%llx, %%rax", (unsigned long long)v);
    }
    if (op == 0 || op == 1)
        gen_mark_dirty(g, dst_lo, len);
    const char *rsi = a32 ? "movabsq $0x%llx, %%rsi" : "movq $0x%llx, %%rsi";
    const char *rdi = a32 ? "movabsq $0x%llx, %%rdi" : "movq $0x%llx, %%rdi";
    uint64_t junk = a32 ? (rng_next(r) & 0xffffffff00000000ull) : 0;
    if (op == 0 || op == 2 || op == 3)
        gen_emit(g, NULL, rsi, (unsigned long long)(junk | (DIFF_WINDOW_ADDR + src)));
    if (op != 2)
        gen_emit(g, NULL, rdi, (unsigned long long)(junk | (DIFF_WINDOW_ADDR + dst)));
    if (rep)
        gen_emit(g, NULL, a32 && rng_percent(r, 50) ? "movabsq $0x%llx, %%rcx" : "movq $0x%llx, %%rcx",
                 (unsigned long long)((a32 ? rng_next(r) & 0xffffffff00000000ull : 0) | n));
    Fx fx = { .def = FL_ARITH };
    bool flags = (op == 3 || op == 4) && n > 0;
    gen_emit(g, flags ? &fx : NULL, "%s%s%s%c", a32 ? "addr32 " : "", prefix, ops[op], size_suffix(size));
    (void)accs;
    (void)si;
}
