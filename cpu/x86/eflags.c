/*
 * EFLAGS: the lazy arithmetic flags (cc_op and its operands, see cpu.h),
 * the whole register as software sees it, and the privilege rules of
 * POPF/PUSHF/CLI/STI. Reference: SDM vol. 1 3.4.3 and appendix A, vol. 2
 * (each instruction's "Flags Affected"), vol. 3 20.2 (VM86 IOPL rules).
 * Leaves out: VME/PVI virtual interrupt flags (not advertised).
 */
#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"

static inline uint64_t size_mask(unsigned shift)
{
    return shift == 3 ? ~0ull : (1ull << (8u << shift)) - 1;
}

static inline uint64_t sign_bit(unsigned shift)
{
    return 1ull << ((8u << shift) - 1);
}

static inline uint32_t parity_flag(uint64_t v)
{
    /* PF reflects the low byte only: set when it has an even number of ones. */
    return (__builtin_popcount((unsigned)(v & 0xff)) & 1) ? 0 : X86_EFLAGS_PF;
}

/* ZF, SF and PF of a result. */
static inline uint32_t zsp(uint64_t result, unsigned shift)
{
    uint64_t r = result & size_mask(shift);
    return (r == 0 ? X86_EFLAGS_ZF : 0) | ((r & sign_bit(shift)) ? X86_EFLAGS_SF : 0) |
           parity_flag(r);
}

uint32_t x86_cc_compute(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2)
{
    if (cc_op == CC_OP_EFLAGS || cc_op >= CC_OP_COUNT) {
        return (uint32_t)src & X86_EFLAGS_ARITH;
    }
    unsigned shift = (cc_op - 1) & 3;
    unsigned base = (cc_op - 1) & ~3u;   /* CC_OP_xxxB - 1 */
    uint64_t mask = size_mask(shift), sign = sign_bit(shift);
    uint64_t first, cf = 0, of = 0;
    uint32_t af = 0;

    dst &= mask;
    src &= mask;
    switch (base + 1) {
    case CC_OP_ADDB:
        first = (dst - src) & mask;
        cf = dst < first;
        of = ((first ^ src ^ sign) & (first ^ dst)) & sign;
        af = (uint32_t)((first ^ src ^ dst) & 0x10);
        break;
    case CC_OP_ADCB:
        first = (dst - src - (src2 & 1)) & mask;
        cf = (src2 & 1) ? dst <= first : dst < first;
        of = ((first ^ src ^ sign) & (first ^ dst)) & sign;
        af = (uint32_t)((first ^ src ^ dst) & 0x10);
        break;
    case CC_OP_SUBB:
        first = (dst + src) & mask;
        cf = first < src;
        of = ((first ^ src) & (first ^ dst)) & sign;
        af = (uint32_t)((first ^ src ^ dst) & 0x10);
        break;
    case CC_OP_SBBB:
        first = (dst + src + (src2 & 1)) & mask;
        cf = (src2 & 1) ? first <= src : first < src;
        of = ((first ^ src) & (first ^ dst)) & sign;
        af = (uint32_t)((first ^ src ^ dst) & 0x10);
        break;
    case CC_OP_LOGICB:
        break;
    case CC_OP_INCB:
        cf = src & 1;
        of = dst == sign;
        af = (uint32_t)((dst ^ ((dst - 1) & mask)) & 0x10);
        break;
    case CC_OP_DECB:
        cf = src & 1;
        of = dst == sign - 1;
        af = (uint32_t)((dst ^ ((dst + 1) & mask)) & 0x10);
        break;
    case CC_OP_SHLB:
        cf = (src & sign) != 0;
        of = (src ^ dst) & sign;
        break;
    case CC_OP_SHRB:
    case CC_OP_SARB:
        cf = src & 1;
        of = (src ^ dst) & sign;
        break;
    case CC_OP_MULB:
    case CC_OP_IMULB:
        cf = of = src != 0;
        break;
    case CC_OP_BMILGB:
        cf = src & 1;
        break;
    case CC_OP_POPCNTB:
        return src == 0 ? X86_EFLAGS_ZF : 0;
    }
    return zsp(dst, shift) | af | (cf ? X86_EFLAGS_CF : 0) | (of ? X86_EFLAGS_OF : 0);
}

/* CF alone, without the rest of x86_cc_compute's work: INC/DEC/ADC/SBB
 * after a block boundary (cc_op known only at run time) call this for every
 * instruction, so it is on the hot path of loops such as `dec; jnz`. */
uint32_t x86_cc_compute_cf(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2)
{
    if (cc_op == CC_OP_EFLAGS || cc_op >= CC_OP_COUNT) {
        return (uint32_t)src & X86_EFLAGS_CF;
    }
    unsigned shift = (cc_op - 1) & 3;
    uint64_t mask = size_mask(shift);

    switch (((cc_op - 1) & ~3u) + 1) {
    case CC_OP_ADDB:
        return (dst & mask) < (src & mask);
    case CC_OP_ADCB:
        return (src2 & 1) ? (dst & mask) <= (src & mask) : (dst & mask) < (src & mask);
    case CC_OP_SUBB:
        return ((dst + src) & mask) < (src & mask);
    case CC_OP_SBBB:
        return (src2 & 1) ? ((dst + src + 1) & mask) <= (src & mask)
                          : ((dst + src) & mask) < (src & mask);
    case CC_OP_SHLB:
        return (src & sign_bit(shift)) != 0;
    case CC_OP_MULB:
    case CC_OP_IMULB:
        return (src & mask) != 0;
    case CC_OP_LOGICB:
    case CC_OP_POPCNTB:
        return 0;
    default:   /* INC, DEC, SHR, SAR, BMILG: CF is bit 0 of src */
        return (uint32_t)src & 1;
    }
}

bool x86_cc_condition(uint32_t f, unsigned cc)
{
    bool cf = f & X86_EFLAGS_CF, zf = f & X86_EFLAGS_ZF, sf = f & X86_EFLAGS_SF;
    bool of = f & X86_EFLAGS_OF, pf = f & X86_EFLAGS_PF;
    bool r;

    switch ((cc >> 1) & 7) {
    case 0: r = of; break;                  /* O */
    case 1: r = cf; break;                  /* B */
    case 2: r = zf; break;                  /* Z */
    case 3: r = cf || zf; break;            /* BE */
    case 4: r = sf; break;                  /* S */
    case 5: r = pf; break;                  /* P */
    case 6: r = sf != of; break;            /* L */
    default: r = zf || sf != of; break;     /* LE */
    }
    return (cc & 1) ? !r : r;
}

uint32_t x86_compute_eflags(const X86CPU *cpu)
{
    uint32_t f = cpu->eflags & X86_EFLAGS_ALL & ~(X86_EFLAGS_ARITH | X86_EFLAGS_DF);
    f |= x86_cc_compute(cpu->cc_op, cpu->cc_dst, cpu->cc_src, cpu->cc_src2);
    if (cpu->df < 0) {
        f |= X86_EFLAGS_DF;
    }
    return f | X86_EFLAGS_FIXED;
}

void x86_load_eflags(X86CPU *cpu, uint32_t value, uint32_t mask)
{
    uint32_t f = (x86_compute_eflags(cpu) & ~mask) | (value & mask);
    f &= X86_EFLAGS_ALL;
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->cc_src = f & X86_EFLAGS_ARITH;
    cpu->cc_dst = 0;
    cpu->cc_src2 = 0;
    cpu->df = (f & X86_EFLAGS_DF) ? -1 : 1;
    cpu->eflags = (f & ~(X86_EFLAGS_ARITH | X86_EFLAGS_DF)) | X86_EFLAGS_FIXED;
    x86_update_hflags(cpu);
}

static int iopl(const X86CPU *cpu)
{
    return (cpu->eflags & X86_EFLAGS_IOPL) >> X86_EFLAGS_IOPL_SHIFT;
}

void x86_helper_popf(X86CPU *cpu, uint64_t value, unsigned opsize, uintptr_t ra)
{
    /* VIP, VIF and VM never change through POPF; RF is cleared by it. */
    uint32_t mask = X86_EFLAGS_ARITH | X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_NT |
                    X86_EFLAGS_AC | X86_EFLAGS_ID | X86_EFLAGS_RF;

    if (x86_vm86(cpu)) {
        if (iopl(cpu) < 3) {
            x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
        }
        mask |= X86_EFLAGS_IF;   /* IOPL stays */
    } else if (!x86_protected(cpu) || x86_cpl(cpu) == 0) {
        mask |= X86_EFLAGS_IF | X86_EFLAGS_IOPL;
    } else if (x86_cpl(cpu) <= iopl(cpu)) {
        mask |= X86_EFLAGS_IF;
    }
    if (opsize == 2) {
        mask &= 0xffff;
    }
    x86_load_eflags(cpu, (uint32_t)value & ~X86_EFLAGS_RF, mask);
}

uint64_t x86_helper_pushf(X86CPU *cpu, uintptr_t ra)
{
    if (x86_vm86(cpu) && iopl(cpu) < 3) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
    return x86_compute_eflags(cpu) & ~(X86_EFLAGS_VM | X86_EFLAGS_RF);
}

static bool may_change_if(const X86CPU *cpu)
{
    if (!x86_protected(cpu)) {
        return true;
    }
    if (x86_vm86(cpu)) {
        return iopl(cpu) == 3;
    }
    return x86_cpl(cpu) <= iopl(cpu);
}

void x86_helper_cli(X86CPU *cpu, uintptr_t ra)
{
    if (!may_change_if(cpu)) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
    cpu->eflags &= ~X86_EFLAGS_IF;
}

void x86_helper_sti(X86CPU *cpu, uintptr_t ra)
{
    if (!may_change_if(cpu)) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
    /* Only a 0 -> 1 transition delays interrupts by one instruction. */
    if (!(cpu->eflags & X86_EFLAGS_IF)) {
        cpu->int_shadow = true;
    }
    cpu->eflags |= X86_EFLAGS_IF;
    x86_update_hflags(cpu);
}
