/*
 * C helpers of the integer instructions: lazy-flag evaluation, DIV/IDIV with
 * #DE, RCL/RCR, BCD adjusts, CMPXCHG8B/16B, BOUND, ENTER with nesting, the
 * checked segment access of non-flat modes, and the REP MOVS/STOS fast path
 * that copies whole runs inside a page. Also the helper info table.
 * Reference: Intel SDM vol. 2 (DIV, IDIV, RCL/RCR, DAA, DAS, AAA, AAS, AAM,
 * AAD, CMPXCHG8B/16B, BOUND, ENTER, MOVS, STOS), vol. 3 5.3 (limit checks).
 * Leaves out: LOCK atomicity across vCPU threads (one thread runs all vCPUs).
 */
#include <string.h>

#include "cpu/x86/helper.h"
#include "cpu/x86/mem.h"
#include "cpu/x86/translate.h"
#include "tcg/softmmu.h"

#define DEF_HELPER TCG_HELPER_DEFINE
#include "cpu/x86/helper.def"
#undef DEF_HELPER

#define CPU(env) ((X86CPU *)(env))

static int cpu_mmu(const X86CPU *cpu)
{
    return x86_cpl(cpu) == 3 ? X86_MMU_USER : X86_MMU_SUPER;
}

/* ---- lazy flags ---------------------------------------------------------- */

uint32_t helper_cc_compute_all(uint64_t dst, uint64_t src, uint64_t src2, uint32_t op)
{
    return x86_cc_compute(op, dst, src, src2);
}

uint32_t helper_cc_compute_cf(uint64_t dst, uint64_t src, uint64_t src2, uint32_t op)
{
    return x86_cc_compute_cf(op, dst, src, src2);
}

/* Arithmetic flags now, as literal bits (the state's lazy form). */
static uint32_t arith_flags(const X86CPU *cpu)
{
    return x86_cc_compute(cpu->cc_op, cpu->cc_dst, cpu->cc_src, cpu->cc_src2);
}

static void set_arith_flags(X86CPU *cpu, uint32_t f)
{
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->cc_src = f & X86_EFLAGS_ARITH;
    cpu->cc_dst = 0;
    cpu->cc_src2 = 0;
}

static uint32_t zsp8(uint8_t v)
{
    return (v == 0 ? X86_EFLAGS_ZF : 0) | (v & 0x80 ? X86_EFLAGS_SF : 0) |
           ((__builtin_popcount(v) & 1) ? 0 : X86_EFLAGS_PF);
}

/* ---- division ---------------------------------------------------------------- */

static _Noreturn void divide_error(X86CPU *cpu, uintptr_t ra)
{
    x86_raise_exception(cpu, X86_EXCP_DE, 0, ra);
}

void helper_divb(void *env, uint64_t divisor)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    unsigned d = divisor & 0xff, n = cpu->regs[R_EAX] & 0xffff;
    if (d == 0 || n / d > 0xff) {
        divide_error(cpu, ra);
    }
    cpu->regs[R_EAX] = (cpu->regs[R_EAX] & ~0xffffull) | ((n % d) << 8) | (n / d);
}

void helper_divw(void *env, uint64_t divisor)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    uint32_t d = divisor & 0xffff;
    uint32_t n = (uint32_t)((cpu->regs[R_EDX] & 0xffff) << 16 | (cpu->regs[R_EAX] & 0xffff));
    if (d == 0 || n / d > 0xffff) {
        divide_error(cpu, ra);
    }
    cpu->regs[R_EAX] = (cpu->regs[R_EAX] & ~0xffffull) | (n / d);
    cpu->regs[R_EDX] = (cpu->regs[R_EDX] & ~0xffffull) | (n % d);
}

void helper_divl(void *env, uint64_t divisor)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    uint64_t d = (uint32_t)divisor;
    uint64_t n = (cpu->regs[R_EDX] & 0xffffffffull) << 32 | (uint32_t)cpu->regs[R_EAX];
    if (d == 0 || n / d > 0xffffffffull) {
        divide_error(cpu, ra);
    }
    cpu->regs[R_EAX] = n / d;
    cpu->regs[R_EDX] = n % d;
}

void helper_divq(void *env, uint64_t d)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    if (d == 0 || cpu->regs[R_EDX] >= d) {
        divide_error(cpu, ra);
    }
    unsigned __int128 n = (unsigned __int128)cpu->regs[R_EDX] << 64 | cpu->regs[R_EAX];
    cpu->regs[R_EAX] = (uint64_t)(n / d);
    cpu->regs[R_EDX] = (uint64_t)(n % d);
}

void helper_idivb(void *env, uint64_t divisor)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    int d = (int8_t)divisor, n = (int16_t)cpu->regs[R_EAX];
    if (d == 0) {
        divide_error(cpu, ra);
    }
    int q = n / d, r = n % d;
    if (q != (int8_t)q) {
        divide_error(cpu, ra);
    }
    cpu->regs[R_EAX] = (cpu->regs[R_EAX] & ~0xffffull) | ((uint64_t)(uint8_t)r << 8) | (uint8_t)q;
}

void helper_idivw(void *env, uint64_t divisor)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    int32_t d = (int16_t)divisor;
    int32_t n = (int32_t)((uint32_t)(cpu->regs[R_EDX] & 0xffff) << 16 | (cpu->regs[R_EAX] & 0xffff));
    if (d == 0 || (d == -1 && n == INT32_MIN)) {
        divide_error(cpu, ra);
    }
    int32_t q = n / d, r = n % d;
    if (q != (int16_t)q) {
        divide_error(cpu, ra);
    }
    cpu->regs[R_EAX] = (cpu->regs[R_EAX] & ~0xffffull) | (uint16_t)q;
    cpu->regs[R_EDX] = (cpu->regs[R_EDX] & ~0xffffull) | (uint16_t)r;
}

void helper_idivl(void *env, uint64_t divisor)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    int64_t d = (int32_t)divisor;
    int64_t n = (int64_t)((cpu->regs[R_EDX] & 0xffffffffull) << 32 | (uint32_t)cpu->regs[R_EAX]);
    if (d == 0 || (d == -1 && n == INT64_MIN)) {
        divide_error(cpu, ra);
    }
    int64_t q = n / d, r = n % d;
    if (q != (int32_t)q) {
        divide_error(cpu, ra);
    }
    cpu->regs[R_EAX] = (uint32_t)q;
    cpu->regs[R_EDX] = (uint32_t)r;
}

void helper_idivq(void *env, uint64_t divisor)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    int64_t d = (int64_t)divisor;
    __int128 n = (__int128)((unsigned __int128)cpu->regs[R_EDX] << 64 | cpu->regs[R_EAX]);
    if (d == 0) {
        divide_error(cpu, ra);
    }
    __int128 q, r;
    if (d == -1) {
        /* -n overflows only for the most negative 128-bit value, whose
         * quotient is out of range anyway. */
        if (n == (__int128)((unsigned __int128)1 << 127)) {
            divide_error(cpu, ra);
        }
        q = -n;
        r = 0;
    } else {
        q = n / d;
        r = n % d;
    }
    if (q != (int64_t)q) {
        divide_error(cpu, ra);
    }
    cpu->regs[R_EAX] = (uint64_t)(int64_t)q;
    cpu->regs[R_EDX] = (uint64_t)(int64_t)r;
}

/* ---- RCL / RCR --------------------------------------------------------------- */

typedef struct RotateResult {
    uint64_t value;
    uint32_t flags;
} RotateResult;

/* Rotate the (bits+1)-bit value CF:val by the masked count (SDM RCL/RCR). */
static RotateResult rotate_carry(uint64_t val, uint32_t cs, uint32_t eflags, bool left)
{
    unsigned size = (cs >> 8) & 0xf, bits = size * 8, count = cs & 0xff;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    RotateResult res = { val & mask, eflags };

    if (size < 4) {
        count %= bits + 1;
    }
    if (count == 0) {
        return res;
    }
    unsigned __int128 x = (unsigned __int128)(val & mask) | (unsigned __int128)(eflags & 1) << bits;
    unsigned __int128 wmask = ((unsigned __int128)1 << (bits + 1)) - 1;
    unsigned __int128 r = left ? (x << count) | (x >> (bits + 1 - count))
                               : (x >> count) | (x << (bits + 1 - count));
    r &= wmask;
    uint64_t v = (uint64_t)r & mask;
    unsigned cf = (unsigned)(r >> bits) & 1;
    unsigned msb = (unsigned)(v >> (bits - 1)) & 1;
    unsigned of = left ? msb ^ cf : msb ^ ((unsigned)(v >> (bits - 2)) & 1);
    res.value = v;
    res.flags = (eflags & ~(X86_EFLAGS_CF | X86_EFLAGS_OF)) | cf | (of ? X86_EFLAGS_OF : 0);
    return res;
}

uint64_t helper_rcl(uint64_t val, uint32_t cs, uint32_t eflags)
{
    return rotate_carry(val, cs, eflags, true).value;
}

uint32_t helper_rcl_flags(uint64_t val, uint32_t cs, uint32_t eflags)
{
    return rotate_carry(val, cs, eflags, true).flags;
}

uint64_t helper_rcr(uint64_t val, uint32_t cs, uint32_t eflags)
{
    return rotate_carry(val, cs, eflags, false).value;
}

uint32_t helper_rcr_flags(uint64_t val, uint32_t cs, uint32_t eflags)
{
    return rotate_carry(val, cs, eflags, false).flags;
}

/* ---- BCD ----------------------------------------------------------------------- */

static void set_al(X86CPU *cpu, unsigned al)
{
    cpu->regs[R_EAX] = (cpu->regs[R_EAX] & ~0xffull) | (al & 0xff);
}

static void set_ax(X86CPU *cpu, unsigned ax)
{
    cpu->regs[R_EAX] = (cpu->regs[R_EAX] & ~0xffffull) | (ax & 0xffff);
}

void helper_daa(void *env)
{
    X86CPU *cpu = CPU(env);
    uint32_t f = arith_flags(cpu);
    unsigned al = cpu->regs[R_EAX] & 0xff, old_al = al;
    bool old_cf = f & X86_EFLAGS_CF, cf = false, af = false;
    if ((al & 0xf) > 9 || (f & X86_EFLAGS_AF)) {
        cf = old_cf || al + 6 > 0xff;
        al = (al + 6) & 0xff;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al + 0x60) & 0xff;
        cf = true;
    }
    set_al(cpu, al);
    set_arith_flags(cpu, zsp8((uint8_t)al) | (cf ? X86_EFLAGS_CF : 0) | (af ? X86_EFLAGS_AF : 0));
}

void helper_das(void *env)
{
    X86CPU *cpu = CPU(env);
    uint32_t f = arith_flags(cpu);
    unsigned al = cpu->regs[R_EAX] & 0xff, old_al = al;
    bool old_cf = f & X86_EFLAGS_CF, cf = false, af = false;
    if ((al & 0xf) > 9 || (f & X86_EFLAGS_AF)) {
        cf = old_cf || al < 6;
        al = (al - 6) & 0xff;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al - 0x60) & 0xff;
        cf = true;
    }
    set_al(cpu, al);
    set_arith_flags(cpu, zsp8((uint8_t)al) | (cf ? X86_EFLAGS_CF : 0) | (af ? X86_EFLAGS_AF : 0));
}

void helper_aaa(void *env)
{
    X86CPU *cpu = CPU(env);
    uint32_t f = arith_flags(cpu);
    unsigned ax = cpu->regs[R_EAX] & 0xffff;
    bool adj = (ax & 0xf) > 9 || (f & X86_EFLAGS_AF);
    if (adj) {
        ax += 0x106;
    }
    ax = (ax & 0xff00) | (ax & 0xf);
    set_ax(cpu, ax);
    set_arith_flags(cpu, zsp8((uint8_t)ax) | (adj ? X86_EFLAGS_AF | X86_EFLAGS_CF : 0));
}

void helper_aas(void *env)
{
    X86CPU *cpu = CPU(env);
    uint32_t f = arith_flags(cpu);
    unsigned ax = cpu->regs[R_EAX] & 0xffff;
    bool adj = (ax & 0xf) > 9 || (f & X86_EFLAGS_AF);
    if (adj) {
        ax = ((ax - 6) & 0xff) | ((((ax >> 8) - 1) & 0xff) << 8);
    }
    ax = (ax & 0xff00) | (ax & 0xf);
    set_ax(cpu, ax);
    set_arith_flags(cpu, zsp8((uint8_t)ax) | (adj ? X86_EFLAGS_AF | X86_EFLAGS_CF : 0));
}

void helper_aam(void *env, uint32_t base)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    unsigned al = cpu->regs[R_EAX] & 0xff;
    base &= 0xff;
    if (base == 0) {
        divide_error(cpu, ra);
    }
    set_ax(cpu, (al / base) << 8 | (al % base));
    set_arith_flags(cpu, zsp8((uint8_t)(al % base)));
}

void helper_aad(void *env, uint32_t base)
{
    X86CPU *cpu = CPU(env);
    unsigned ax = cpu->regs[R_EAX] & 0xffff;
    unsigned al = ((ax & 0xff) + (ax >> 8) * (base & 0xff)) & 0xff;
    set_ax(cpu, al);
    set_arith_flags(cpu, zsp8((uint8_t)al));
}

/* ---- CMPXCHG8B / CMPXCHG16B, BOUND, ENTER ------------------------------------------- */

static void set_zf_only(X86CPU *cpu, bool zf)
{
    uint32_t f = arith_flags(cpu) & ~X86_EFLAGS_ZF;
    set_arith_flags(cpu, f | (zf ? X86_EFLAGS_ZF : 0));
}

void helper_cmpxchg8b(void *env, uint64_t addr)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    int mmu = cpu_mmu(cpu);
    uint64_t old = x86_mem_ld(cpu, addr, 8, mmu, ra);
    uint64_t cmp = (cpu->regs[R_EDX] & 0xffffffffull) << 32 | (uint32_t)cpu->regs[R_EAX];
    bool eq = old == cmp;
    if (eq) {
        uint64_t nv = (cpu->regs[R_ECX] & 0xffffffffull) << 32 | (uint32_t)cpu->regs[R_EBX];
        x86_mem_st(cpu, addr, nv, 8, mmu, ra);
    } else {
        x86_mem_st(cpu, addr, old, 8, mmu, ra);   /* locked cycle: written back */
        cpu->regs[R_EAX] = (uint32_t)old;
        cpu->regs[R_EDX] = old >> 32;
    }
    set_zf_only(cpu, eq);
}

void helper_cmpxchg16b(void *env, uint64_t addr)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    int mmu = cpu_mmu(cpu);
    if (addr & 15) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
    uint64_t lo = x86_mem_ld(cpu, addr, 8, mmu, ra);
    uint64_t hi = x86_mem_ld(cpu, addr + 8, 8, mmu, ra);
    bool eq = lo == cpu->regs[R_EAX] && hi == cpu->regs[R_EDX];
    if (eq) {
        x86_mem_st(cpu, addr, cpu->regs[R_EBX], 8, mmu, ra);
        x86_mem_st(cpu, addr + 8, cpu->regs[R_ECX], 8, mmu, ra);
    } else {
        x86_mem_st(cpu, addr, lo, 8, mmu, ra);
        x86_mem_st(cpu, addr + 8, hi, 8, mmu, ra);
        cpu->regs[R_EAX] = lo;
        cpu->regs[R_EDX] = hi;
    }
    set_zf_only(cpu, eq);
}

static uint64_t linear_wrap(const X86CPU *cpu, uint64_t a)
{
    return x86_long_mode(cpu) ? a : (uint32_t)a;
}

void helper_bound(void *env, uint64_t addr, uint64_t index, uint32_t size)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    int mmu = cpu_mmu(cpu);
    int64_t lo, hi, idx;
    if (size == 2) {
        lo = (int16_t)x86_mem_ld(cpu, addr, 2, mmu, ra);
        hi = (int16_t)x86_mem_ld(cpu, linear_wrap(cpu, addr + 2), 2, mmu, ra);
        idx = (int16_t)index;
    } else {
        lo = (int32_t)x86_mem_ld(cpu, addr, 4, mmu, ra);
        hi = (int32_t)x86_mem_ld(cpu, linear_wrap(cpu, addr + 4), 4, mmu, ra);
        idx = (int32_t)index;
    }
    if (idx < lo || idx > hi) {
        x86_raise_exception(cpu, X86_EXCP_BR, 0, ra);
    }
}

/* Width of the stack pointer in the current mode. */
static uint64_t stack_mask(const X86CPU *cpu)
{
    if (x86_64bit_mode(cpu)) {
        return ~0ull;
    }
    return (cpu->hflags & X86_HF_SS32) ? 0xffffffffull : 0xffffull;
}

static uint64_t stack_linear(const X86CPU *cpu, uint64_t sp)
{
    if (x86_64bit_mode(cpu)) {
        return sp;
    }
    return (uint32_t)(cpu->segs[SEG_SS].base + (sp & stack_mask(cpu)));
}

static void write_sized(uint64_t *reg, uint64_t v, uint64_t mask)
{
    *reg = mask == 0xffff ? (*reg & ~0xffffull) | (v & 0xffff) : v & mask;
}

void helper_enter_level(void *env, uint32_t opsize, uint32_t frame, uint32_t level)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    int mmu = cpu_mmu(cpu);
    uint64_t smask = stack_mask(cpu);
    uint64_t omask = opsize == 8 ? ~0ull : opsize == 4 ? 0xffffffffull : 0xffff;
    uint64_t sp = cpu->regs[R_ESP], bp = cpu->regs[R_EBP];

    sp -= opsize;
    x86_mem_st(cpu, stack_linear(cpu, sp), bp, opsize, mmu, ra);
    uint64_t frame_temp = sp;
    for (uint32_t i = 1; i < level; i++) {
        bp -= opsize;
        uint64_t v = x86_mem_ld(cpu, stack_linear(cpu, bp), opsize, mmu, ra);
        sp -= opsize;
        x86_mem_st(cpu, stack_linear(cpu, sp), v, opsize, mmu, ra);
    }
    sp -= opsize;
    x86_mem_st(cpu, stack_linear(cpu, sp), frame_temp, opsize, mmu, ra);
    write_sized(&cpu->regs[R_EBP], frame_temp, omask);
    write_sized(&cpu->regs[R_ESP], sp - frame, smask);
}

/* ---- segmented (non-flat) accesses --------------------------------------------------- */

uint64_t helper_seg_linear(void *env, uint32_t segsize, uint64_t offset)
{
    X86CPU *cpu = CPU(env);
    int seg = segsize & 0xff;
    unsigned size = segsize >> 8;
    const X86Segment *sg = &cpu->segs[seg];
    int vector = seg == SEG_SS ? X86_EXCP_SS : X86_EXCP_GP;
    uint64_t last = offset + size - 1;
    bool ok;

    if (x86_protected(cpu) && !x86_vm86(cpu) && !(sg->flags & SEGF_P)) {
        ok = false;   /* a null selector was loaded */
    } else if ((sg->flags & SEGF_S) && !(sg->flags & (1u << 3)) && (sg->flags & (1u << 2))) {
        /* Expand-down data: valid offsets are above the limit. */
        uint64_t top = (sg->flags & SEGF_DB) ? 0xffffffffull : 0xffffull;
        ok = offset > sg->limit && last <= top;
    } else {
        ok = last <= sg->limit;
    }
    if (!ok) {
        x86_raise_exception(cpu, vector, 0, TCG_GETPC());
    }
    return (uint32_t)(sg->base + offset);
}

/* ---- REP MOVS / STOS fast path ---------------------------------------------------- */

/* Most elements one helper call moves before the loop looks at interrupts. */
#define REP_FAST_MAX_BYTES 65536u

typedef struct StrIndex {
    uint64_t *reg;
    uint64_t mask;        /* address-size mask */
    uint64_t base;        /* segment base */
} StrIndex;

static StrIndex str_index(X86CPU *cpu, int reg, int seg, unsigned as)
{
    StrIndex ix = { &cpu->regs[reg], as == 8 ? ~0ull : as == 4 ? 0xffffffffull : 0xffff, 0 };
    if (!x86_64bit_mode(cpu) || seg == SEG_FS || seg == SEG_GS) {
        ix.base = cpu->segs[seg].base;
    }
    return ix;
}

static uint64_t str_linear(const X86CPU *cpu, const StrIndex *ix)
{
    uint64_t a = ix->base + (*ix->reg & ix->mask);
    return x86_64bit_mode(cpu) ? a : (uint32_t)a;
}

/* Elements from the current index that stay in one page and do not wrap the
 * address size, in the direction of DF. 0 if the first one straddles. */
static uint64_t str_room(const X86CPU *cpu, const StrIndex *ix, unsigned size, bool down)
{
    uint64_t lin = str_linear(cpu, ix), off = *ix->reg & ix->mask;
    uint64_t in_page = lin & (TCG_PAGE_SIZE - 1);
    /* size is 1, 2, 4 or 8: shifts, not divisions (this runs for every
     * REP MOVS/STOS, most of them short copies) */
    unsigned sh = (unsigned)__builtin_ctz(size);
    if (in_page + size > TCG_PAGE_SIZE || off + size - 1 > ix->mask) {
        return 0;
    }
    if (down) {
        uint64_t n = (in_page >> sh) + 1;
        uint64_t w = (off >> sh) + 1;
        return n < w ? n : w;
    }
    uint64_t n = (TCG_PAGE_SIZE - in_page) >> sh;
    uint64_t w = ((ix->mask - off) >> sh) + 1;
    return n < w ? n : w;
}

static void str_step(StrIndex *ix, uint64_t n, unsigned size, bool down)
{
    uint64_t off = *ix->reg & ix->mask;
    off = down ? off - n * size : off + n * size;
    write_sized(ix->reg, off, ix->mask);
}

/* Probe only: a page that is not plain RAM or would fault gives NULL. A store
 * over translated code may restart the instruction (ra: state is precise,
 * the registers hold the elements done so far). */
static void *str_host(X86CPU *cpu, const StrIndex *ix, uint64_t n, unsigned size, bool down,
                      TCGAccess access, uintptr_t ra)
{
    uint64_t lin = str_linear(cpu, ix);
    uint64_t start = down ? lin - (n - 1) * size : lin;
    return tcg_mem_host_ptr(&cpu->common, start, (unsigned)(n * size), access,
                            (unsigned)cpu_mmu(cpu), true, ra);
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a < b ? a : b;
    return m < c ? m : c;
}

void helper_rep_movs(void *env, uint32_t args)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    unsigned size = args & 0xff, as = (args >> 8) & 0xff;
    int seg = (int)(args >> 16) & 0xff;
    bool down = cpu->df < 0;
    StrIndex src = str_index(cpu, R_ESI, seg, as), dst = str_index(cpu, R_EDI, SEG_ES, as);
    StrIndex cnt = str_index(cpu, R_ECX, SEG_DS, as);
    uint64_t budget = REP_FAST_MAX_BYTES / size;

    while (budget) {
        uint64_t count = *cnt.reg & cnt.mask;
        uint64_t n = min3(count, str_room(cpu, &src, size, down), str_room(cpu, &dst, size, down));
        if (n > budget) {
            n = budget;
        }
        if (n == 0) {
            return;
        }
        uint8_t *hs = str_host(cpu, &src, n, size, down, TCG_ACCESS_LOAD, ra);
        uint8_t *hd = hs ? str_host(cpu, &dst, n, size, down, TCG_ACCESS_STORE, ra) : NULL;
        if (!hd) {
            return;   /* not plain RAM, or it would fault: one element at a time */
        }
        size_t bytes = (size_t)(n * size);
        /* hs/hd point at the lowest element of the run. Element order matters
         * only when the destination overlaps the source ahead of it. */
        bool hazard = down ? (hs > hd && hs < hd + bytes) : (hd > hs && hd < hs + bytes);
        if (!hazard) {
            memmove(hd, hs, bytes);
        } else if (!down) {
            for (size_t i = 0; i < bytes; i += size) {
                memmove(hd + i, hs + i, size);
            }
        } else {
            for (size_t i = bytes; i > 0; i -= size) {
                memmove(hd + i - size, hs + i - size, size);
            }
        }
        str_step(&src, n, size, down);
        str_step(&dst, n, size, down);
        write_sized(cnt.reg, count - n, cnt.mask);
        budget -= n;
    }
}

/* Stores n copies of the low size bytes of value (little-endian host). A
 * value whose bytes are all equal (zeroing pages, above all) is one memset. */
static void str_fill(uint8_t *hd, uint64_t value, unsigned size, size_t n)
{
    uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    if ((value & mask) == ((value & 0xff) * (0x0101010101010101ull & mask))) {
        memset(hd, (int)(value & 0xff), n * size);
        return;
    }
    uint16_t v16 = (uint16_t)value;
    uint32_t v32 = (uint32_t)value;
    const void *v = size == 2 ? (const void *)&v16 : size == 4 ? (const void *)&v32 : &value;
    for (size_t i = 0; i < n; i++) {
        memcpy(hd + i * size, v, size);
    }
}

void helper_rep_stos(void *env, uint32_t args)
{
    X86CPU *cpu = CPU(env);
    uintptr_t ra = TCG_GETPC();
    unsigned size = args & 0xff, as = (args >> 8) & 0xff;
    bool down = cpu->df < 0;
    StrIndex dst = str_index(cpu, R_EDI, SEG_ES, as), cnt = str_index(cpu, R_ECX, SEG_DS, as);
    uint64_t value = cpu->regs[R_EAX];
    uint64_t budget = REP_FAST_MAX_BYTES / size;

    while (budget) {
        uint64_t count = *cnt.reg & cnt.mask;
        uint64_t n = count < budget ? count : budget;
        uint64_t room = str_room(cpu, &dst, size, down);
        if (room < n) {
            n = room;
        }
        if (n == 0) {
            return;
        }
        uint8_t *hd = str_host(cpu, &dst, n, size, down, TCG_ACCESS_STORE, ra);
        if (!hd) {
            return;
        }
        str_fill(hd, value, size, (size_t)n);
        str_step(&dst, n, size, down);
        write_sized(cnt.reg, count - n, cnt.mask);
        budget -= n;
    }
}
