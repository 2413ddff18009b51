/*
 * Segmentation: segment register loads with the protected-mode checks,
 * descriptor tables (LGDT/LIDT/LLDT/LTR, SGDT/SIDT), LAR/LSL/VERR/VERW/ARPL,
 * the checked stack used by event delivery, and the TSS I/O bitmap.
 * Reference: SDM vol. 3 ch. 3 and 5, vol. 2 (MOV, POP, LAR, LSL, LTR, ...).
 * Leaves out: task switches (TSS type checks only), UMIP.
 */
#include "cpu/x86/desc.h"
#include "mimic/log.h"

static _Noreturn void raise(X86CPU *cpu, int vector, uint32_t error, uintptr_t ra)
{
    x86_raise_exception(cpu, vector, error, ra);
}

/* ---- Descriptor tables ------------------------------------------------ */

static bool ldt_usable(const X86CPU *cpu)
{
    return (cpu->segs[SEG_LDTR].selector & 0xfffc) && (cpu->segs[SEG_LDTR].flags & SEGF_P);
}

uint64_t x86_desc_addr(X86CPU *cpu, uint16_t selector)
{
    uint64_t base = (selector & X86_ERR_TI) ? cpu->segs[SEG_LDTR].base : cpu->gdt.base;
    return seg_linear(cpu, base, selector & ~7u);
}

bool x86_desc_fetch(X86CPU *cpu, uint16_t selector, bool wide, X86Desc *d, uintptr_t ra)
{
    uint32_t limit;
    if (selector & X86_ERR_TI) {
        if (!ldt_usable(cpu)) {
            return false;
        }
        limit = cpu->segs[SEG_LDTR].limit;
    } else {
        limit = cpu->gdt.limit;
    }
    uint32_t last = (selector & ~7u) + (wide ? 15 : 7);
    if (last > limit) {
        return false;
    }
    uint64_t a = x86_desc_addr(cpu, selector);
    d->lo = (uint32_t)x86_mem_ld(cpu, a, 4, X86_MMU_SUPER, ra);
    d->hi = (uint32_t)x86_mem_ld(cpu, seg_linear(cpu, a, 4), 4, X86_MMU_SUPER, ra);
    d->hi2 = d->hi3 = 0;
    if (wide) {
        d->hi2 = (uint32_t)x86_mem_ld(cpu, seg_linear(cpu, a, 8), 4, X86_MMU_SUPER, ra);
        d->hi3 = (uint32_t)x86_mem_ld(cpu, seg_linear(cpu, a, 12), 4, X86_MMU_SUPER, ra);
    }
    return true;
}

void x86_desc_set_accessed(X86CPU *cpu, uint16_t selector, X86Desc *d, uintptr_t ra)
{
    if ((d->hi & DESC_S) && !(d->hi & DESC_ACCESSED)) {
        d->hi |= DESC_ACCESSED;
        uint64_t a = seg_linear(cpu, x86_desc_addr(cpu, selector), 5);
        x86_mem_st(cpu, a, (d->hi >> 8) & 0xff, 1, X86_MMU_SUPER, ra);
    }
}

/* ---- Segment register loads ------------------------------------------ */

void x86_seg_load_desc(X86CPU *cpu, int seg, uint16_t selector, X86Desc *d, uintptr_t ra)
{
    x86_desc_set_accessed(cpu, selector, d, ra);
    cpu->segs[seg] = desc_to_seg(selector, d);
}

void x86_seg_load_null(X86CPU *cpu, int seg, uint16_t selector, int dpl)
{
    /* Intel zeroes base and limit of a nulled register (Linux: !X86_BUG_NULL_SEG). */
    X86Segment *s = &cpu->segs[seg];
    s->selector = selector;
    s->base = 0;
    s->limit = 0;
    s->flags = seg == SEG_SS ? SEGF_DPL(dpl) : 0;
}

void x86_seg_load_flat(X86CPU *cpu, int seg, uint16_t selector, bool code, int dpl, bool l,
                       bool db)
{
    X86Segment *s = &cpu->segs[seg];
    s->selector = selector;
    s->base = 0;
    s->limit = 0xffffffff;
    s->flags = SEGF_P | SEGF_S | SEGF_G | SEGF_DPL(dpl) | SEGF_TYPE(code ? 0xb : 0x3) |
               (l ? SEGF_L : 0) | (db ? SEGF_DB : 0);
}

void x86_load_seg_real(X86CPU *cpu, int seg, uint16_t selector)
{
    X86Segment *s = &cpu->segs[seg];
    s->selector = selector;
    s->base = (uint64_t)selector << 4;
    if (x86_vm86(cpu)) {
        /* VM86 loads rewrite the whole cache; real mode keeps limit and
         * attributes ("unreal mode" relies on that). */
        s->limit = 0xffff;
        s->flags = SEGF_P | SEGF_S | SEGF_DPL(3) | SEGF_TYPE(seg == SEG_CS ? 0xb : 0x3);
    }
}

void x86_seg_validate_outer(X86CPU *cpu, int new_cpl)
{
    static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
        X86Segment *s = &cpu->segs[segs[i]];
        unsigned f = s->flags;
        bool conforming_code = (f & SEGF_S) && (f & SEGF_CODE) && (f & SEGF_CONFORM);
        if ((s->selector & 0xfffc) && !conforming_code && (int)SEGF_GET_DPL(f) < new_cpl) {
            uint64_t base = s->base;
            x86_seg_load_null(cpu, segs[i], 0, 0);
            if (x86_long_mode(cpu) && (segs[i] == SEG_FS || segs[i] == SEG_GS)) {
                s->base = base;   /* the MSR-written base survives */
            }
        }
    }
}

void x86_load_seg(X86CPU *cpu, int seg, uint16_t selector, uintptr_t ra)
{
    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        x86_load_seg_real(cpu, seg, selector);
        x86_update_hflags(cpu);
        return;
    }
    int cpl = x86_cpl(cpu), rpl = selector & 3;
    uint32_t err = selector & 0xfffc;

    if (err == 0) {
        if (seg == SEG_SS) {
            /* 64-bit mode lets CPL 0-2 run with a null SS (SDM vol. 3 5.8.4.4). */
            if (!x86_64bit_mode(cpu) || cpl == 3 || rpl != cpl) {
                raise(cpu, X86_EXCP_GP, 0, ra);
            }
            x86_seg_load_null(cpu, SEG_SS, selector, cpl);
        } else {
            x86_seg_load_null(cpu, seg, selector, 0);
        }
        x86_update_hflags(cpu);
        return;
    }

    X86Desc d;
    if (!x86_desc_fetch(cpu, selector, false, &d, ra)) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    int dpl = DESC_DPL(d.hi);
    if (seg == SEG_SS) {
        if (rpl != cpl || !desc_is_data(&d) || !(d.hi & DESC_RW) || dpl != cpl) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
        if (!(d.hi & DESC_P)) {
            raise(cpu, X86_EXCP_SS, err, ra);
        }
    } else {
        if (!(d.hi & DESC_S) || (desc_is_code(&d) && !(d.hi & DESC_RW))) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
        if (desc_is_data(&d) || !(d.hi & DESC_CONFORM)) {
            if (rpl > dpl || cpl > dpl) {
                raise(cpu, X86_EXCP_GP, err, ra);
            }
        }
        if (!(d.hi & DESC_P)) {
            raise(cpu, X86_EXCP_NP, err, ra);
        }
    }
    x86_seg_load_desc(cpu, seg, selector, &d, ra);
    x86_update_hflags(cpu);
}

/* ---- The checked stack ------------------------------------------------ */

static bool offset_in_limit(uint16_t flags, uint32_t limit, uint64_t off, unsigned size)
{
    uint64_t last = off + size - 1;
    if (!(flags & SEGF_CODE) && (flags & SEGF_EXPDOWN)) {
        uint64_t upper = (flags & SEGF_DB) ? 0xffffffffull : 0xffff;
        return off > limit && last <= upper;
    }
    return last <= limit;
}

void x86_stack_init(X86CPU *cpu, X86Stack *s, const X86Segment *ss, uint64_t sp, int cpl,
                    uint32_t error)
{
    s->base = ss->base;
    s->limit = ss->limit;
    s->flags = ss->flags;
    s->mask = (ss->flags & SEGF_DB) ? 0xffffffffull : 0xffff;
    s->sp = sp & s->mask;
    s->check = true;
    s->mmu = cpl == 3 ? X86_MMU_USER : X86_MMU_SUPER;
    s->error = error;
    (void)cpu;
}

void x86_stack_current(X86CPU *cpu, X86Stack *s)
{
    x86_stack_init(cpu, s, &cpu->segs[SEG_SS], cpu->regs[R_ESP], x86_cpl(cpu), 0);
    if (x86_64bit_mode(cpu)) {
        s->base = 0;
        s->mask = ~0ull;
        s->sp = cpu->regs[R_ESP];
        s->check = false;
    }
}

static uint64_t stack_linear(X86CPU *cpu, X86Stack *s, unsigned size, uintptr_t ra)
{
    if (s->check) {
        if (!offset_in_limit(s->flags, s->limit, s->sp, size)) {
            raise(cpu, X86_EXCP_SS, s->error, ra);
        }
        return (uint32_t)(s->base + s->sp);
    }
    if (s->mask != ~0ull) {
        return (uint32_t)(s->base + s->sp);
    }
    if (!x86_canonical(s->sp) || !x86_canonical(s->sp + size - 1)) {
        raise(cpu, X86_EXCP_SS, s->error, ra);
    }
    return s->sp;
}

void x86_stack_push(X86CPU *cpu, X86Stack *s, uint64_t value, unsigned size, uintptr_t ra)
{
    s->sp = (s->sp - size) & s->mask;
    x86_mem_st(cpu, stack_linear(cpu, s, size, ra), value, size, s->mmu, ra);
}

uint64_t x86_stack_pop(X86CPU *cpu, X86Stack *s, unsigned size, uintptr_t ra)
{
    uint64_t v = x86_mem_ld(cpu, stack_linear(cpu, s, size, ra), size, s->mmu, ra);
    s->sp = (s->sp + size) & s->mask;
    return v;
}

uint64_t x86_tss_read(X86CPU *cpu, uint32_t offset, unsigned size, uint32_t ext, uintptr_t ra)
{
    const X86Segment *tr = &cpu->segs[SEG_TR];
    if (!(tr->flags & SEGF_P) || (uint64_t)offset + size - 1 > tr->limit) {
        raise(cpu, X86_EXCP_TS, (tr->selector & 0xfffc) | ext, ra);
    }
    return x86_mem_ld(cpu, seg_linear(cpu, tr->base, offset), size, X86_MMU_SUPER, ra);
}

/* The inner stack for privilege level `dpl` from the current (16- or 32-bit)
 * TSS, checked as INT n and CALL through a gate do (SDM vol. 2 CALL, INT n). */
void x86_tss_stack(X86CPU *cpu, int dpl, uint32_t ext, X86Segment *ss_out, uint64_t *sp_out,
                   uint16_t *ss_sel_out, uintptr_t ra)
{
    unsigned tss_type = cpu->segs[SEG_TR].flags & 0xf;
    uint16_t ss;
    uint64_t sp;
    if (tss_type == SYS_TSS_AVAIL || tss_type == SYS_TSS_BUSY) {
        sp = x86_tss_read(cpu, 4 + 8 * dpl, 4, ext, ra);
        ss = (uint16_t)x86_tss_read(cpu, 8 + 8 * dpl, 2, ext, ra);
    } else {
        sp = x86_tss_read(cpu, 2 + 4 * dpl, 2, ext, ra);
        ss = (uint16_t)x86_tss_read(cpu, 4 + 4 * dpl, 2, ext, ra);
    }
    uint32_t err = (ss & 0xfffc) | ext;
    if ((ss & 0xfffc) == 0) {
        raise(cpu, X86_EXCP_TS, ext, ra);
    }
    X86Desc d;
    if (!x86_desc_fetch(cpu, ss, false, &d, ra)) {
        raise(cpu, X86_EXCP_TS, err, ra);
    }
    if ((ss & 3) != dpl || (int)DESC_DPL(d.hi) != dpl || !desc_is_data(&d) ||
        !(d.hi & DESC_RW)) {
        raise(cpu, X86_EXCP_TS, err, ra);
    }
    if (!(d.hi & DESC_P)) {
        raise(cpu, X86_EXCP_SS, err, ra);
    }
    x86_desc_set_accessed(cpu, ss, &d, ra);
    *ss_out = desc_to_seg(ss, &d);
    *sp_out = sp;
    *ss_sel_out = ss;
}

/* ---- Descriptor-table registers --------------------------------------- */

static void check_pm_cpl0(X86CPU *cpu, uintptr_t ra)
{
    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        raise(cpu, X86_EXCP_UD, 0, ra);
    }
    if (x86_cpl(cpu) != 0) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
}

static void load_table(X86CPU *cpu, X86DescTable *t, uint64_t linear, unsigned opsize,
                       uintptr_t ra)
{
    if (x86_protected(cpu) && x86_cpl(cpu) != 0) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    uint16_t limit = (uint16_t)x86_mem_ld(cpu, linear, 2, X86_MMU_SUPER, ra);
    uint64_t base_addr = x86_long_mode(cpu) ? linear + 2 : (uint32_t)(linear + 2);
    uint64_t base;
    if (opsize == 8) {
        base = x86_mem_ld(cpu, base_addr, 8, X86_MMU_SUPER, ra);
    } else {
        base = x86_mem_ld(cpu, base_addr, 4, X86_MMU_SUPER, ra);
        if (opsize == 2) {
            base &= 0xffffff;   /* the 16-bit form loads a 24-bit base */
        }
    }
    t->base = base;
    t->limit = limit;
}

static void store_table(X86CPU *cpu, const X86DescTable *t, uint64_t linear, uintptr_t ra)
{
    int mmu = x86_cpl(cpu) == 3 ? X86_MMU_USER : X86_MMU_SUPER;
    x86_mem_st(cpu, linear, t->limit, 2, mmu, ra);
    uint64_t base_addr = x86_long_mode(cpu) ? linear + 2 : (uint32_t)(linear + 2);
    /* 16- and 32-bit forms store a 32-bit base (SDM vol. 2 SGDT). */
    if (x86_64bit_mode(cpu)) {
        x86_mem_st(cpu, base_addr, t->base, 8, mmu, ra);
    } else {
        x86_mem_st(cpu, base_addr, (uint32_t)t->base, 4, mmu, ra);
    }
}

void x86_helper_lgdt(X86CPU *cpu, uint64_t linear, unsigned opsize, uintptr_t ra)
{
    load_table(cpu, &cpu->gdt, linear, opsize, ra);
}

void x86_helper_lidt(X86CPU *cpu, uint64_t linear, unsigned opsize, uintptr_t ra)
{
    load_table(cpu, &cpu->idt, linear, opsize, ra);
}

void x86_helper_sgdt(X86CPU *cpu, uint64_t linear, uintptr_t ra)
{
    store_table(cpu, &cpu->gdt, linear, ra);
}

void x86_helper_sidt(X86CPU *cpu, uint64_t linear, uintptr_t ra)
{
    store_table(cpu, &cpu->idt, linear, ra);
}

void x86_helper_lldt(X86CPU *cpu, uint16_t selector, uintptr_t ra)
{
    check_pm_cpl0(cpu, ra);
    uint32_t err = selector & 0xfffc;
    if (err == 0) {
        x86_seg_load_null(cpu, SEG_LDTR, selector, 0);
        return;
    }
    if (selector & X86_ERR_TI) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    X86Desc d;
    bool wide = x86_long_mode(cpu);
    if (!x86_desc_fetch(cpu, selector, wide, &d, ra)) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    if ((d.hi & DESC_S) || DESC_TYPE(d.hi) != SYS_LDT) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    if (!(d.hi & DESC_P)) {
        raise(cpu, X86_EXCP_NP, err, ra);
    }
    X86Segment s = desc_to_seg(selector, &d);
    if (wide) {
        s.base |= (uint64_t)d.hi2 << 32;
        if (!x86_canonical(s.base)) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
    }
    cpu->segs[SEG_LDTR] = s;
}

void x86_helper_ltr(X86CPU *cpu, uint16_t selector, uintptr_t ra)
{
    check_pm_cpl0(cpu, ra);
    uint32_t err = selector & 0xfffc;
    if (err == 0) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    if (selector & X86_ERR_TI) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    X86Desc d;
    bool wide = x86_long_mode(cpu);
    if (!x86_desc_fetch(cpu, selector, wide, &d, ra)) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    unsigned type = DESC_TYPE(d.hi);
    bool ok = !(d.hi & DESC_S) && (type == SYS_TSS_AVAIL || (!wide && type == SYS_TSS16_AVAIL));
    if (!ok) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    if (!(d.hi & DESC_P)) {
        raise(cpu, X86_EXCP_NP, err, ra);
    }
    X86Segment s = desc_to_seg(selector, &d);
    if (wide) {
        s.base |= (uint64_t)d.hi2 << 32;
        if (!x86_canonical(s.base)) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
    }
    /* Mark the descriptor busy (type 1 -> 3, 9 -> 11). */
    d.hi |= 2u << 8;
    x86_mem_st(cpu, seg_linear(cpu, x86_desc_addr(cpu, selector), 4), d.hi, 4,
               X86_MMU_SUPER, ra);
    s.flags |= 2;
    cpu->segs[SEG_TR] = s;
}

/* ---- LAR, LSL, VERR, VERW, ARPL --------------------------------------- */

/* The descriptor of `selector` if the current privilege may look at it. */
static bool probe_desc(X86CPU *cpu, uint16_t selector, X86Desc *d, uintptr_t ra)
{
    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        raise(cpu, X86_EXCP_UD, 0, ra);
    }
    if ((selector & 0xfffc) == 0 || !x86_desc_fetch(cpu, selector, false, d, ra)) {
        return false;
    }
    bool conforming_code = desc_is_code(d) && (d->hi & DESC_CONFORM);
    int dpl = DESC_DPL(d->hi);
    if (!conforming_code && (dpl < x86_cpl(cpu) || dpl < (selector & 3))) {
        return false;
    }
    return true;
}

bool x86_helper_lar(X86CPU *cpu, uint16_t selector, uint32_t *out, uintptr_t ra)
{
    X86Desc d;
    if (!probe_desc(cpu, selector, &d, ra)) {
        return false;
    }
    if (!(d.hi & DESC_S)) {
        static const uint16_t legacy = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 |
                                       1u << 9 | 1u << 11 | 1u << 12;
        static const uint16_t ia32e = 1u << 2 | 1u << 9 | 1u << 11 | 1u << 12;
        uint16_t valid = x86_long_mode(cpu) ? ia32e : legacy;
        if (!(valid & (1u << DESC_TYPE(d.hi)))) {
            return false;
        }
    }
    *out = d.hi & 0x00f0ff00;
    return true;
}

bool x86_helper_lsl(X86CPU *cpu, uint16_t selector, uint32_t *out, uintptr_t ra)
{
    X86Desc d;
    if (!probe_desc(cpu, selector, &d, ra)) {
        return false;
    }
    if (!(d.hi & DESC_S)) {
        static const uint16_t legacy = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 9 | 1u << 11;
        static const uint16_t ia32e = 1u << 2 | 1u << 9 | 1u << 11;
        uint16_t valid = x86_long_mode(cpu) ? ia32e : legacy;
        if (!(valid & (1u << DESC_TYPE(d.hi)))) {
            return false;
        }
    }
    *out = desc_limit(&d);
    return true;
}

bool x86_helper_verr(X86CPU *cpu, uint16_t selector, uintptr_t ra)
{
    X86Desc d;
    if (!probe_desc(cpu, selector, &d, ra) || !(d.hi & DESC_S)) {
        return false;
    }
    return desc_is_data(&d) || (d.hi & DESC_RW);
}

bool x86_helper_verw(X86CPU *cpu, uint16_t selector, uintptr_t ra)
{
    X86Desc d;
    if (!probe_desc(cpu, selector, &d, ra)) {
        return false;
    }
    return desc_is_data(&d) && (d.hi & DESC_RW);
}

uint16_t x86_arpl(uint16_t dest, uint16_t src, bool *zf)
{
    if ((dest & 3) < (src & 3)) {
        *zf = true;
        return (uint16_t)((dest & ~3u) | (src & 3));
    }
    *zf = false;
    return dest;
}

/* ---- I/O permission --------------------------------------------------- */

void x86_helper_check_io(X86CPU *cpu, uint16_t port, unsigned size, uintptr_t ra)
{
    if (!x86_protected(cpu)) {
        return;
    }
    int iopl = (cpu->eflags & X86_EFLAGS_IOPL) >> X86_EFLAGS_IOPL_SHIFT;
    if (!x86_vm86(cpu) && x86_cpl(cpu) <= iopl) {
        return;
    }
    const X86Segment *tr = &cpu->segs[SEG_TR];
    /* Only a 32/64-bit TSS has an I/O bitmap. */
    if (!(tr->flags & SEGF_P) || (tr->flags & 0x1d) != SYS_TSS_AVAIL || tr->limit < 103) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    uint32_t io_base = (uint32_t)x86_mem_ld(cpu, seg_linear(cpu, tr->base, 0x66), 2,
                                            X86_MMU_SUPER, ra);
    uint32_t off = io_base + port / 8;
    if ((uint64_t)off + 1 > tr->limit) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    uint32_t bits = (uint32_t)x86_mem_ld(cpu, seg_linear(cpu, tr->base, off), 2,
                                         X86_MMU_SUPER, ra);
    if ((bits >> (port & 7)) & ((1u << size) - 1)) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
}
