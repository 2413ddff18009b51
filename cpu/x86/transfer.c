/*
 * Far control transfers and fast system calls: far JMP/CALL (direct and
 * through 16/32/64-bit call gates, with privilege change and parameter
 * copying), far RET, IRET in every mode (outer privilege, VM86, IA-32e),
 * SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS.
 * Reference: SDM vol. 2 (CALL, JMP, RET, IRET, SYSCALL, SYSRET, SYSENTER,
 * SYSEXIT, SWAPGS pseudocode), vol. 3 5.8 (call gates), 6.14.3 (IRET in IA-32e).
 * Leaves out: task switches (task gates, TSS targets, IRET with NT): logged
 * as unimplemented, then #GP(0)/#GP(selector).
 */
#include "cpu/x86/desc.h"
#include "mimic/log.h"

static _Noreturn void raise(X86CPU *cpu, int vector, uint32_t error, uintptr_t ra)
{
    x86_raise_exception(cpu, vector, error, ra);
}

static uint64_t mask_to(uint64_t v, unsigned size)
{
    return size == 2 ? (v & 0xffff) : size == 4 ? (uint32_t)v : v;
}

/* The new rIP in the target segment: canonical for 64-bit code, else
 * within the limit (#GP(0)). */
static uint64_t target_rip(X86CPU *cpu, const X86Desc *cs, uint64_t offset, unsigned size,
                           uintptr_t ra)
{
    if (x86_long_mode(cpu) && (cs->hi & DESC_L)) {
        if (!x86_canonical(offset)) {
            raise(cpu, X86_EXCP_GP, 0, ra);
        }
        return offset;
    }
    offset = mask_to(offset, size == 8 ? 4 : size);
    if (offset > desc_limit(cs)) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    return offset;
}

static void commit_cs(X86CPU *cpu, uint16_t sel, X86Desc *cs, int cpl, uint64_t rip,
                      uintptr_t ra)
{
    x86_desc_set_accessed(cpu, sel, cs, ra);
    cpu->segs[SEG_CS] = desc_to_seg((sel & 0xfffc) | cpl, cs);
    cpu->rip = rip;
}

/* Real mode and VM86: no descriptors, a limit check only. */
static void real_far_target(X86CPU *cpu, uint16_t sel, uint64_t offset, unsigned opsize,
                            uintptr_t ra)
{
    offset = mask_to(offset, opsize);
    if (offset > cpu->segs[SEG_CS].limit) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    x86_load_seg_real(cpu, SEG_CS, sel);
    cpu->rip = offset;
}

typedef struct FarTarget {
    X86Desc cs;
    uint16_t sel;
    uint64_t rip;
    unsigned gate_size;   /* 0: direct; 2, 4, 8: through a call gate of that width */
    unsigned params;      /* words/dwords a 16/32-bit call gate copies */
    bool inner;           /* CALL to a more privileged level */
    int new_cpl;
} FarTarget;

static void resolve_far(X86CPU *cpu, uint16_t sel, uint64_t offset, unsigned opsize,
                        bool is_call, FarTarget *t, uintptr_t ra)
{
    const uint32_t err = sel & 0xfffc;
    const int cpl = x86_cpl(cpu), rpl = sel & 3;
    const bool lma = x86_long_mode(cpu);
    X86Desc d;

    if (!err) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    if (!x86_desc_fetch(cpu, sel, false, &d, ra)) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    int dpl = DESC_DPL(d.hi);
    if (d.hi & DESC_S) {
        if (!desc_is_code(&d)) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
        if ((d.hi & DESC_CONFORM) ? dpl > cpl : (rpl > cpl || dpl != cpl)) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
        if (!(d.hi & DESC_P)) {
            raise(cpu, X86_EXCP_NP, err, ra);
        }
        if (lma && (d.hi & DESC_L) && (d.hi & DESC_DB)) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
        t->cs = d;
        t->sel = sel;
        t->rip = target_rip(cpu, &d, offset, opsize, ra);
        t->gate_size = 0;
        t->params = 0;
        t->inner = false;
        t->new_cpl = cpl;
        return;
    }

    unsigned type = DESC_TYPE(d.hi);
    if (lma) {
        if (type != SYS_CALL) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
        if (!x86_desc_fetch(cpu, sel, true, &d, ra) || ((d.hi3 >> 8) & 0x1f) != 0) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
    } else if (type == SYS_TASK_GATE || type == SYS_TSS16_AVAIL || type == SYS_TSS_AVAIL) {
        if (dpl < cpl || dpl < rpl) {
            raise(cpu, X86_EXCP_GP, err, ra);
        }
        if (!(d.hi & DESC_P)) {
            raise(cpu, X86_EXCP_NP, err, ra);
        }
        log_unimp("x86: far %s to a task gate/TSS (selector %#x): task switches are not "
                  "implemented\n", is_call ? "CALL" : "JMP", sel);
        raise(cpu, X86_EXCP_GP, err, ra);
    } else if (type != SYS_CALL16 && type != SYS_CALL) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    if (dpl < cpl || dpl < rpl) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    if (!(d.hi & DESC_P)) {
        raise(cpu, X86_EXCP_NP, err, ra);
    }

    uint16_t tsel = gate_selector(&d);
    uint32_t terr = tsel & 0xfffc;
    X86Desc cs;
    if (!terr) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    if (!x86_desc_fetch(cpu, tsel, false, &cs, ra) || !desc_is_code(&cs)) {
        raise(cpu, X86_EXCP_GP, terr, ra);
    }
    int tdpl = DESC_DPL(cs.hi);
    bool conforming = cs.hi & DESC_CONFORM;
    if (tdpl > cpl || (!is_call && !conforming && tdpl != cpl)) {
        raise(cpu, X86_EXCP_GP, terr, ra);
    }
    if (!(cs.hi & DESC_P)) {
        raise(cpu, X86_EXCP_NP, terr, ra);
    }
    if (lma && (!(cs.hi & DESC_L) || (cs.hi & DESC_DB))) {
        raise(cpu, X86_EXCP_GP, terr, ra);
    }
    t->gate_size = lma ? 8 : type == SYS_CALL ? 4 : 2;
    uint64_t goff = lma ? gate_offset(&d) : mask_to(gate_offset(&d), t->gate_size);
    t->cs = cs;
    t->sel = tsel;
    t->rip = target_rip(cpu, &cs, goff, t->gate_size, ra);
    t->inner = is_call && !conforming && tdpl < cpl;
    t->new_cpl = t->inner ? tdpl : cpl;
    t->params = lma ? 0 : (d.hi & 0x1f);
}

void x86_helper_ljmp(X86CPU *cpu, uint16_t selector, uint64_t offset, unsigned opsize,
                     uint64_t next_rip, uintptr_t ra)
{
    (void)next_rip;
    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        real_far_target(cpu, selector, offset, opsize, ra);
    } else {
        FarTarget t;
        resolve_far(cpu, selector, offset, opsize, false, &t, ra);
        commit_cs(cpu, t.sel, &t.cs, x86_cpl(cpu), t.rip, ra);
    }
    x86_update_hflags(cpu);
}

void x86_helper_lcall(X86CPU *cpu, uint16_t selector, uint64_t offset, unsigned opsize,
                      uint64_t next_rip, uintptr_t ra)
{
    X86Stack st;
    uint16_t old_cs = cpu->segs[SEG_CS].selector;

    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        x86_stack_current(cpu, &st);
        x86_stack_push(cpu, &st, old_cs, opsize, ra);
        x86_stack_push(cpu, &st, next_rip, opsize, ra);
        real_far_target(cpu, selector, offset, opsize, ra);
        cpu->regs[R_ESP] = x86_stack_sp_commit(cpu->regs[R_ESP], &st);
        x86_update_hflags(cpu);
        return;
    }

    FarTarget t;
    resolve_far(cpu, selector, offset, opsize, true, &t, ra);
    unsigned size = t.gate_size ? t.gate_size : opsize;

    if (!t.inner) {
        x86_stack_current(cpu, &st);
        x86_stack_push(cpu, &st, old_cs, size, ra);
        x86_stack_push(cpu, &st, next_rip, size, ra);
        commit_cs(cpu, t.sel, &t.cs, t.new_cpl, t.rip, ra);
        cpu->regs[R_ESP] = x86_stack_sp_commit(cpu->regs[R_ESP], &st);
        x86_update_hflags(cpu);
        return;
    }

    /* More privileged: switch to the stack the TSS names for that level. */
    X86Segment new_ss;
    uint64_t new_sp;
    uint16_t ss_sel;
    uint64_t old_sp = cpu->regs[R_ESP];
    uint16_t old_ss = cpu->segs[SEG_SS].selector;
    if (x86_long_mode(cpu)) {
        new_sp = x86_tss_read(cpu, 4 + 8 * t.new_cpl, 8, 0, ra);
        st = (X86Stack){ .base = 0, .sp = new_sp, .mask = ~0ull, .check = false,
                         .mmu = X86_MMU_SUPER, .error = 0 };
        x86_stack_push(cpu, &st, old_ss, 8, ra);
        x86_stack_push(cpu, &st, old_sp, 8, ra);
        x86_stack_push(cpu, &st, old_cs, 8, ra);
        x86_stack_push(cpu, &st, next_rip, 8, ra);
        x86_seg_load_null(cpu, SEG_SS, (uint16_t)t.new_cpl, t.new_cpl);
        cpu->regs[R_ESP] = st.sp;
    } else {
        x86_tss_stack(cpu, t.new_cpl, 0, &new_ss, &new_sp, &ss_sel, ra);
        x86_stack_init(cpu, &st, &new_ss, new_sp, t.new_cpl, ss_sel & 0xfffc);
        /* Parameters are copied as they lie on the caller's stack. */
        uint64_t params[32];
        X86Stack old;
        x86_stack_current(cpu, &old);
        for (unsigned i = 0; i < t.params; i++) {
            params[i] = x86_stack_pop(cpu, &old, t.gate_size, ra);
        }
        x86_stack_push(cpu, &st, old_ss, t.gate_size, ra);
        x86_stack_push(cpu, &st, old_sp, t.gate_size, ra);
        for (unsigned i = t.params; i-- > 0;) {
            x86_stack_push(cpu, &st, params[i], t.gate_size, ra);
        }
        x86_stack_push(cpu, &st, old_cs, t.gate_size, ra);
        x86_stack_push(cpu, &st, next_rip, t.gate_size, ra);
        cpu->segs[SEG_SS] = new_ss;
        cpu->regs[R_ESP] = x86_stack_sp_commit(new_sp, &st);
    }
    commit_cs(cpu, t.sel, &t.cs, t.new_cpl, t.rip, ra);
    x86_update_hflags(cpu);
}

/* ---- Returns ------------------------------------------------------------ */

/* The code segment a far RET/IRET returns to (SDM vol. 2 RET, IRET). */
static void return_cs(X86CPU *cpu, uint16_t sel, X86Desc *cs, uintptr_t ra)
{
    uint32_t err = sel & 0xfffc;
    int rpl = sel & 3;
    if (!err) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    if (!x86_desc_fetch(cpu, sel, false, cs, ra) || !desc_is_code(cs) || rpl < x86_cpl(cpu)) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    int dpl = DESC_DPL(cs->hi);
    if ((cs->hi & DESC_CONFORM) ? dpl > rpl : dpl != rpl) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    if (!(cs->hi & DESC_P)) {
        raise(cpu, X86_EXCP_NP, err, ra);
    }
    if (x86_long_mode(cpu) && (cs->hi & DESC_L) && (cs->hi & DESC_DB)) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
}

/* The stack segment of a return to privilege `rpl`; a null SS is allowed
 * only for 64-bit code at CPL < 3. Returns false for a null SS. */
static bool return_ss(X86CPU *cpu, uint16_t sel, int rpl, const X86Desc *cs, X86Desc *ss,
                      uintptr_t ra)
{
    uint32_t err = sel & 0xfffc;
    if (!err) {
        bool to64 = x86_long_mode(cpu) && (cs->hi & DESC_L);
        if (!to64 || rpl == 3 || (sel & 3) != rpl) {
            raise(cpu, X86_EXCP_GP, 0, ra);
        }
        return false;
    }
    if (!x86_desc_fetch(cpu, sel, false, ss, ra) || (sel & 3) != rpl || !desc_is_data(ss) ||
        !(ss->hi & DESC_RW) || (int)DESC_DPL(ss->hi) != rpl) {
        raise(cpu, X86_EXCP_GP, err, ra);
    }
    if (!(ss->hi & DESC_P)) {
        raise(cpu, X86_EXCP_SS, err, ra);
    }
    return true;
}

/* Load SS:rSP of an outer level, then drop data segments it may not use. */
static void commit_outer_stack(X86CPU *cpu, uint16_t ss_sel, bool ss_valid, X86Desc *ss,
                               uint64_t sp, int rpl, uintptr_t ra)
{
    if (ss_valid) {
        x86_seg_load_desc(cpu, SEG_SS, ss_sel, ss, ra);
    } else {
        x86_seg_load_null(cpu, SEG_SS, ss_sel, rpl);
    }
    /* CS is already loaded: 64-bit code takes all of RSP. */
    if (x86_long_mode(cpu) && (cpu->segs[SEG_CS].flags & SEGF_L)) {
        cpu->regs[R_ESP] = sp;
        return;
    }
    if (cpu->segs[SEG_SS].flags & SEGF_DB) {
        cpu->regs[R_ESP] = (uint32_t)sp;
    } else {
        cpu->regs[R_ESP] = (cpu->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    }
}

void x86_helper_lret(X86CPU *cpu, unsigned opsize, uint16_t imm, uintptr_t ra)
{
    X86Stack st;
    x86_stack_current(cpu, &st);
    uint64_t rip = x86_stack_pop(cpu, &st, opsize, ra);
    uint16_t sel = (uint16_t)x86_stack_pop(cpu, &st, opsize, ra);

    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        real_far_target(cpu, sel, rip, opsize, ra);
        st.sp = (st.sp + imm) & st.mask;
        cpu->regs[R_ESP] = x86_stack_sp_commit(cpu->regs[R_ESP], &st);
        x86_update_hflags(cpu);
        return;
    }

    X86Desc cs;
    return_cs(cpu, sel, &cs, ra);
    int cpl = x86_cpl(cpu), rpl = sel & 3;
    rip = target_rip(cpu, &cs, rip, opsize, ra);
    if (rpl == cpl) {
        st.sp = (st.sp + imm) & st.mask;
        commit_cs(cpu, sel, &cs, rpl, rip, ra);
        cpu->regs[R_ESP] = x86_stack_sp_commit(cpu->regs[R_ESP], &st);
        x86_update_hflags(cpu);
        return;
    }

    /* Return to an outer level: its SS:rSP follow, after the imm16 bytes. */
    st.sp = (st.sp + imm) & st.mask;
    uint64_t new_sp = x86_stack_pop(cpu, &st, opsize, ra);
    uint16_t ss_sel = (uint16_t)x86_stack_pop(cpu, &st, opsize, ra);
    X86Desc ss;
    bool ss_valid = return_ss(cpu, ss_sel, rpl, &cs, &ss, ra);
    commit_cs(cpu, sel, &cs, rpl, rip, ra);
    commit_outer_stack(cpu, ss_sel, ss_valid, &ss, new_sp + imm, rpl, ra);
    x86_seg_validate_outer(cpu, rpl);
    x86_update_hflags(cpu);
}

/* EFLAGS bits IRET may load at the current CPL (SDM vol. 2 IRET). */
static uint32_t iret_flags_mask(X86CPU *cpu, unsigned opsize)
{
    uint32_t mask = X86_EFLAGS_ARITH | X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_NT |
                    X86_EFLAGS_RF | X86_EFLAGS_AC | X86_EFLAGS_ID;
    int cpl = x86_cpl(cpu);
    int iopl = (cpu->eflags & X86_EFLAGS_IOPL) >> X86_EFLAGS_IOPL_SHIFT;
    if (cpl == 0) {
        mask |= X86_EFLAGS_IOPL | X86_EFLAGS_IF | X86_EFLAGS_VIF | X86_EFLAGS_VIP;
    } else if (cpl <= iopl) {
        mask |= X86_EFLAGS_IF;
    }
    if (opsize == 2) {
        mask &= 0xffff;
    }
    return mask;
}

static void iret_to_vm86(X86CPU *cpu, X86Stack *st, uint64_t rip, uint16_t cs, uint32_t flags,
                         uintptr_t ra)
{
    uint32_t esp = (uint32_t)x86_stack_pop(cpu, st, 4, ra);
    uint16_t ss = (uint16_t)x86_stack_pop(cpu, st, 4, ra);
    uint16_t es = (uint16_t)x86_stack_pop(cpu, st, 4, ra);
    uint16_t ds = (uint16_t)x86_stack_pop(cpu, st, 4, ra);
    uint16_t fs = (uint16_t)x86_stack_pop(cpu, st, 4, ra);
    uint16_t gs = (uint16_t)x86_stack_pop(cpu, st, 4, ra);

    x86_load_eflags(cpu, flags, X86_EFLAGS_ALL);   /* VM set from here on */
    x86_load_seg_real(cpu, SEG_CS, cs);
    x86_load_seg_real(cpu, SEG_SS, ss);
    x86_load_seg_real(cpu, SEG_ES, es);
    x86_load_seg_real(cpu, SEG_DS, ds);
    x86_load_seg_real(cpu, SEG_FS, fs);
    x86_load_seg_real(cpu, SEG_GS, gs);
    cpu->regs[R_ESP] = esp;
    cpu->rip = rip & 0xffff;
    x86_update_hflags(cpu);
}

void x86_helper_iret(X86CPU *cpu, unsigned opsize, uintptr_t ra)
{
    X86Stack st;
    x86_stack_current(cpu, &st);
    cpu->nmi_blocked = false;

    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        int iopl = (cpu->eflags & X86_EFLAGS_IOPL) >> X86_EFLAGS_IOPL_SHIFT;
        if (x86_vm86(cpu) && iopl < 3) {
            raise(cpu, X86_EXCP_GP, 0, ra);
        }
        uint64_t rip = x86_stack_pop(cpu, &st, opsize, ra);
        uint16_t cs = (uint16_t)x86_stack_pop(cpu, &st, opsize, ra);
        uint32_t flags = (uint32_t)x86_stack_pop(cpu, &st, opsize, ra);
        /* Real mode keeps VM, VIF, VIP; VM86 also keeps IOPL. */
        uint32_t mask = X86_EFLAGS_ALL & ~(X86_EFLAGS_VM | X86_EFLAGS_VIF | X86_EFLAGS_VIP);
        if (x86_vm86(cpu)) {
            mask &= ~X86_EFLAGS_IOPL;
        }
        if (opsize == 2) {
            mask &= 0xffff;
        }
        real_far_target(cpu, cs, rip, opsize, ra);
        cpu->regs[R_ESP] = x86_stack_sp_commit(cpu->regs[R_ESP], &st);
        x86_load_eflags(cpu, flags, mask);
        return;
    }

    if (cpu->eflags & X86_EFLAGS_NT) {
        if (!x86_long_mode(cpu)) {
            log_unimp("x86: IRET with EFLAGS.NT (task return): task switches are not "
                      "implemented\n");
        }
        raise(cpu, X86_EXCP_GP, 0, ra);
    }

    int cpl = x86_cpl(cpu);
    uint64_t rip = x86_stack_pop(cpu, &st, opsize, ra);
    uint16_t sel = (uint16_t)x86_stack_pop(cpu, &st, opsize, ra);
    uint32_t flags = (uint32_t)x86_stack_pop(cpu, &st, opsize, ra);

    if (!x86_long_mode(cpu) && (flags & X86_EFLAGS_VM) && cpl == 0 && opsize == 4) {
        iret_to_vm86(cpu, &st, rip, sel, flags, ra);
        return;
    }

    X86Desc cs;
    return_cs(cpu, sel, &cs, ra);
    int rpl = sel & 3;
    rip = target_rip(cpu, &cs, rip, opsize, ra);
    /* 64-bit mode always pops SS:RSP; elsewhere only on a privilege change. */
    bool pop_stack = x86_64bit_mode(cpu) || rpl > cpl;
    uint64_t new_sp = 0;
    uint16_t ss_sel = 0;
    X86Desc ss;
    bool ss_valid = false;
    if (pop_stack) {
        new_sp = x86_stack_pop(cpu, &st, opsize, ra);
        ss_sel = (uint16_t)x86_stack_pop(cpu, &st, opsize, ra);
        ss_valid = return_ss(cpu, ss_sel, rpl, &cs, &ss, ra);
    }

    uint32_t mask = iret_flags_mask(cpu, opsize);
    commit_cs(cpu, sel, &cs, rpl, rip, ra);
    if (pop_stack) {
        commit_outer_stack(cpu, ss_sel, ss_valid, &ss, new_sp, rpl, ra);
    } else {
        cpu->regs[R_ESP] = x86_stack_sp_commit(cpu->regs[R_ESP], &st);
    }
    x86_load_eflags(cpu, flags & ~X86_EFLAGS_VM, mask);
    if (rpl > cpl) {
        x86_seg_validate_outer(cpu, rpl);
    }
    x86_update_hflags(cpu);
}

/* ---- SYSCALL / SYSRET --------------------------------------------------- */

void x86_helper_syscall(X86CPU *cpu, uint64_t next_rip, uintptr_t ra)
{
    if (!(cpu->efer & EFER_SCE) || (!x86_64bit_mode(cpu) && !cpu->syscall_compat)) {
        raise(cpu, X86_EXCP_UD, 0, ra);
    }
    uint16_t cs = (uint16_t)(cpu->msr.star >> 32) & 0xfffc;
    uint32_t flags = x86_compute_eflags(cpu);
    if (x86_long_mode(cpu)) {
        cpu->regs[R_ECX] = next_rip;
        cpu->regs[R_R11] = flags;
        x86_seg_load_flat(cpu, SEG_CS, cs, true, 0, true, false);
        x86_seg_load_flat(cpu, SEG_SS, (uint16_t)(cs + 8), false, 0, false, true);
        cpu->rip = x86_64bit_mode(cpu) ? cpu->msr.lstar : cpu->msr.cstar;
        x86_load_eflags(cpu, 0, ((uint32_t)cpu->msr.fmask & X86_EFLAGS_ALL) | X86_EFLAGS_RF);
    } else {
        /* Legacy mode (AMD only): EIP from STAR[31:0]. */
        cpu->regs[R_ECX] = (uint32_t)next_rip;
        x86_seg_load_flat(cpu, SEG_CS, cs, true, 0, false, true);
        x86_seg_load_flat(cpu, SEG_SS, (uint16_t)(cs + 8), false, 0, false, true);
        cpu->rip = (uint32_t)cpu->msr.star;
        x86_load_eflags(cpu, 0, X86_EFLAGS_VM | X86_EFLAGS_IF | X86_EFLAGS_RF);
    }
    x86_update_hflags(cpu);
}

void x86_helper_sysret(X86CPU *cpu, unsigned opsize, uintptr_t ra)
{
    if (!(cpu->efer & EFER_SCE) || (!x86_64bit_mode(cpu) && !cpu->syscall_compat)) {
        raise(cpu, X86_EXCP_UD, 0, ra);
    }
    if (!x86_protected(cpu) || x86_cpl(cpu) != 0) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    uint16_t base = (uint16_t)(cpu->msr.star >> 48);
    if (x86_long_mode(cpu)) {
        if (opsize == 8) {
            /* Intel checks RCX before leaving ring 0 (SDM vol. 2 SYSRET). */
            if (!x86_canonical(cpu->regs[R_ECX])) {
                raise(cpu, X86_EXCP_GP, 0, ra);
            }
            x86_seg_load_flat(cpu, SEG_CS, (uint16_t)((base + 16) | 3), true, 3, true, false);
            cpu->rip = cpu->regs[R_ECX];
        } else {
            x86_seg_load_flat(cpu, SEG_CS, base | 3, true, 3, false, true);
            cpu->rip = (uint32_t)cpu->regs[R_ECX];
        }
        x86_seg_load_flat(cpu, SEG_SS, (uint16_t)((base + 8) | 3), false, 3, false, true);
        x86_load_eflags(cpu, ((uint32_t)cpu->regs[R_R11] & 0x3c7fd7u) | X86_EFLAGS_FIXED,
                        X86_EFLAGS_ALL);
    } else {
        x86_seg_load_flat(cpu, SEG_CS, base | 3, true, 3, false, true);
        x86_seg_load_flat(cpu, SEG_SS, (uint16_t)((base + 8) | 3), false, 3, false, true);
        cpu->rip = (uint32_t)cpu->regs[R_ECX];
        x86_load_eflags(cpu, X86_EFLAGS_IF, X86_EFLAGS_IF);
    }
    x86_update_hflags(cpu);
}

/* ---- SYSENTER / SYSEXIT ------------------------------------------------- */

void x86_helper_sysenter(X86CPU *cpu, uintptr_t ra)
{
    uint16_t cs = (uint16_t)cpu->msr.sysenter_cs & 0xfffc;
    if (!x86_protected(cpu) || cs == 0) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    bool lma = x86_long_mode(cpu);
    x86_load_eflags(cpu, 0, X86_EFLAGS_VM | X86_EFLAGS_IF | X86_EFLAGS_RF);
    x86_seg_load_flat(cpu, SEG_CS, cs, true, 0, lma, !lma);
    x86_seg_load_flat(cpu, SEG_SS, (uint16_t)(cs + 8), false, 0, false, true);
    cpu->rip = lma ? cpu->msr.sysenter_eip : (uint32_t)cpu->msr.sysenter_eip;
    cpu->regs[R_ESP] = lma ? cpu->msr.sysenter_esp : (uint32_t)cpu->msr.sysenter_esp;
    x86_update_hflags(cpu);
}

void x86_helper_sysexit(X86CPU *cpu, unsigned opsize, uintptr_t ra)
{
    uint16_t cs = (uint16_t)cpu->msr.sysenter_cs;
    if (!x86_protected(cpu) || x86_vm86(cpu) || x86_cpl(cpu) != 0 || (cs & 0xfffc) == 0) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    if (opsize == 8) {
        if (!x86_canonical(cpu->regs[R_EDX]) || !x86_canonical(cpu->regs[R_ECX])) {
            raise(cpu, X86_EXCP_GP, 0, ra);
        }
        x86_seg_load_flat(cpu, SEG_CS, (uint16_t)((cs + 32) | 3), true, 3, true, false);
        x86_seg_load_flat(cpu, SEG_SS, (uint16_t)((cs + 40) | 3), false, 3, false, true);
        cpu->rip = cpu->regs[R_EDX];
        cpu->regs[R_ESP] = cpu->regs[R_ECX];
    } else {
        x86_seg_load_flat(cpu, SEG_CS, (uint16_t)((cs + 16) | 3), true, 3, false, true);
        x86_seg_load_flat(cpu, SEG_SS, (uint16_t)((cs + 24) | 3), false, 3, false, true);
        cpu->rip = (uint32_t)cpu->regs[R_EDX];
        cpu->regs[R_ESP] = (uint32_t)cpu->regs[R_ECX];
    }
    x86_update_hflags(cpu);
}

void x86_helper_swapgs(X86CPU *cpu, uintptr_t ra)
{
    if (!x86_64bit_mode(cpu)) {
        raise(cpu, X86_EXCP_UD, 0, ra);
    }
    if (x86_cpl(cpu) != 0) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    uint64_t t = cpu->segs[SEG_GS].base;
    cpu->segs[SEG_GS].base = cpu->msr.kernel_gs_base;
    cpu->msr.kernel_gs_base = t;
}
