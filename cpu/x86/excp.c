/*
 * Exception and interrupt delivery: the real-mode IVT, the protected-mode
 * IDT (interrupt/trap gates, privilege change through the TSS stack, VM86 ->
 * PL0), the IA-32e IDT (16-byte gates, IST, 64-bit frames), the double-fault
 * rules and triple fault, and INT n/INT3/INTO/INT1.
 * Reference: SDM vol. 3 ch. 6 (6.12-6.15, Tables 6-4/6-5), 20.1.4 (VM86),
 * vol. 2 INT n/INTO/INT3/INT1 pseudocode.
 * Leaves out: task gates (logged as unimplemented, then #GP), VME, SMI.
 */
#include "cpu/x86/desc.h"
#include "mimic/log.h"

static _Noreturn void raise(X86CPU *cpu, int vector, uint32_t error, uintptr_t ra)
{
    x86_raise_exception(cpu, vector, error, ra);
}

X86ExceptionClass x86_exception_class(int vector)
{
    switch (vector) {
    case X86_EXCP_DE: case X86_EXCP_TS: case X86_EXCP_NP: case X86_EXCP_SS: case X86_EXCP_GP:
        return X86_EXC_CONTRIBUTORY;
    case X86_EXCP_PF:
        return X86_EXC_PAGE_FAULT;
    case X86_EXCP_DF:
        return X86_EXC_DOUBLE_FAULT;
    default:
        return X86_EXC_BENIGN;
    }
}

bool x86_exception_has_error_code(int vector)
{
    switch (vector) {
    case X86_EXCP_DF: case X86_EXCP_TS: case X86_EXCP_NP: case X86_EXCP_SS:
    case X86_EXCP_GP: case X86_EXCP_PF: case X86_EXCP_AC:
        return true;
    default:
        return false;
    }
}

int x86_exception_combine(X86ExceptionClass first, int second)
{
    X86ExceptionClass sc = x86_exception_class(second);
    bool serious = sc == X86_EXC_CONTRIBUTORY || sc == X86_EXC_PAGE_FAULT;
    if (first == X86_EXC_DOUBLE_FAULT && (serious || sc == X86_EXC_DOUBLE_FAULT)) {
        return -1;
    }
    if (first == X86_EXC_CONTRIBUTORY && sc == X86_EXC_CONTRIBUTORY) {
        return X86_EXCP_DF;
    }
    if (first == X86_EXC_PAGE_FAULT && serious) {
        return X86_EXCP_DF;
    }
    return second;
}

/* Faults report the faulting instruction and set RF in the pushed EFLAGS
 * (SDM vol. 3 17.3.1.1), so a restarted instruction skips its breakpoint. */
static bool is_fault(int vector)
{
    switch (vector) {
    case X86_EXCP_DE: case X86_EXCP_BR: case X86_EXCP_UD: case X86_EXCP_NM:
    case X86_EXCP_TS: case X86_EXCP_NP: case X86_EXCP_SS: case X86_EXCP_GP:
    case X86_EXCP_PF: case X86_EXCP_MF: case X86_EXCP_AC: case X86_EXCP_XM:
        return true;
    default:
        return false;
    }
}

void x86_exception_record(X86CPU *cpu, int vector, uint32_t error_code)
{
    cpu->exception.vector = vector;
    cpu->exception.error_code = error_code;
}

_Noreturn void x86_raise_page_fault(X86CPU *cpu, uint64_t linear, uint32_t error_code,
                                    uintptr_t ra)
{
    cpu->exception.cr2 = linear;
    x86_raise_exception(cpu, X86_EXCP_PF, error_code, ra);
}

bool x86_interrupts_enabled(const X86CPU *cpu)
{
    return (cpu->eflags & X86_EFLAGS_IF) && !cpu->int_shadow;
}

/* What a delivery needs to know about its event. */
typedef struct Event {
    int vector;
    X86EventKind kind;
    bool has_error;
    uint32_t error;
    uint32_t ext;        /* X86_ERR_EXT for events not caused by the program */
    bool soft;           /* gate DPL checked against CPL */
    uint64_t ret_rip;
    uint32_t eflags;     /* as pushed */
} Event;

/* Read an IDT entry (8 or 16 bytes) after the limit check. */
static void idt_read(X86CPU *cpu, const Event *ev, unsigned entry_size, X86Desc *d,
                     uintptr_t ra)
{
    uint32_t idt_err = (uint32_t)ev->vector * 8 + X86_ERR_IDT + ev->ext;
    if ((uint64_t)ev->vector * entry_size + entry_size - 1 > cpu->idt.limit) {
        raise(cpu, X86_EXCP_GP, idt_err, ra);
    }
    uint64_t a = seg_linear(cpu, cpu->idt.base, (uint64_t)ev->vector * entry_size);
    d->lo = (uint32_t)x86_mem_ld(cpu, a, 4, X86_MMU_SUPER, ra);
    d->hi = (uint32_t)x86_mem_ld(cpu, seg_linear(cpu, a, 4), 4, X86_MMU_SUPER, ra);
    d->hi2 = d->hi3 = 0;
    if (entry_size == 16) {
        d->hi2 = (uint32_t)x86_mem_ld(cpu, seg_linear(cpu, a, 8), 4, X86_MMU_SUPER, ra);
        d->hi3 = (uint32_t)x86_mem_ld(cpu, seg_linear(cpu, a, 12), 4, X86_MMU_SUPER, ra);
    }
}

/* Gate DPL and presence (after the type check). */
static void gate_check(X86CPU *cpu, const Event *ev, const X86Desc *gate, uintptr_t ra)
{
    uint32_t idt_err = (uint32_t)ev->vector * 8 + X86_ERR_IDT + ev->ext;
    if (ev->soft && (int)DESC_DPL(gate->hi) < x86_cpl(cpu)) {
        raise(cpu, X86_EXCP_GP, (uint32_t)ev->vector * 8 + X86_ERR_IDT, ra);
    }
    if (!(gate->hi & DESC_P)) {
        raise(cpu, X86_EXCP_NP, idt_err, ra);
    }
}

/* The handler's code segment: present code with DPL <= CPL. */
static void target_code(X86CPU *cpu, const Event *ev, uint16_t sel, X86Desc *cs, uintptr_t ra)
{
    if ((sel & 0xfffc) == 0) {
        raise(cpu, X86_EXCP_GP, ev->ext, ra);
    }
    if (!x86_desc_fetch(cpu, sel, false, cs, ra) || !desc_is_code(cs) ||
        (int)DESC_DPL(cs->hi) > x86_cpl(cpu)) {
        raise(cpu, X86_EXCP_GP, (sel & 0xfffc) | ev->ext, ra);
    }
}

static void target_present(X86CPU *cpu, const Event *ev, uint16_t sel, const X86Desc *cs,
                           uintptr_t ra)
{
    if (!(cs->hi & DESC_P)) {
        raise(cpu, X86_EXCP_NP, (sel & 0xfffc) | ev->ext, ra);
    }
}

/* ---- Real mode ---------------------------------------------------------- */

static void deliver_real(X86CPU *cpu, const Event *ev, uintptr_t ra)
{
    if ((uint64_t)ev->vector * 4 + 3 > cpu->idt.limit) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    uint64_t a = (uint32_t)(cpu->idt.base + (uint64_t)ev->vector * 4);
    uint16_t ip = (uint16_t)x86_mem_ld(cpu, a, 2, X86_MMU_SUPER, ra);
    uint16_t cs = (uint16_t)x86_mem_ld(cpu, (uint32_t)(a + 2), 2, X86_MMU_SUPER, ra);

    X86Stack st;
    x86_stack_current(cpu, &st);
    x86_stack_push(cpu, &st, ev->eflags & 0xffff, 2, ra);
    x86_stack_push(cpu, &st, cpu->segs[SEG_CS].selector, 2, ra);
    x86_stack_push(cpu, &st, ev->ret_rip & 0xffff, 2, ra);

    cpu->regs[R_ESP] = x86_stack_sp_commit(cpu->regs[R_ESP], &st);
    x86_load_seg_real(cpu, SEG_CS, cs);
    cpu->rip = ip;
    cpu->eflags &= ~(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_AC | X86_EFLAGS_RF);
}

/* ---- Protected mode (legacy) ------------------------------------------- */

static void deliver_protected(X86CPU *cpu, const Event *ev, uintptr_t ra)
{
    uint32_t idt_err = (uint32_t)ev->vector * 8 + X86_ERR_IDT + ev->ext;
    X86Desc gate;
    idt_read(cpu, ev, 8, &gate, ra);
    unsigned type = DESC_TYPE(gate.hi);
    bool type_ok = type == SYS_TASK_GATE || type == SYS_INT16 || type == SYS_TRAP16 ||
                   type == SYS_INT || type == SYS_TRAP;
    if ((gate.hi & DESC_S) || !type_ok) {
        raise(cpu, X86_EXCP_GP, idt_err, ra);
    }
    gate_check(cpu, ev, &gate, ra);
    if (type == SYS_TASK_GATE) {
        log_unimp("x86: task gate in IDT vector %d: task switches are not implemented\n",
                  ev->vector);
        raise(cpu, X86_EXCP_GP, idt_err, ra);
    }

    const bool gate32 = type & 8;
    const unsigned sz = gate32 ? 4 : 2;
    uint16_t sel = gate_selector(&gate);
    uint64_t offset = gate32 ? (uint32_t)gate_offset(&gate) : gate_offset(&gate) & 0xffff;
    X86Desc cs;
    target_code(cpu, ev, sel, &cs, ra);

    const bool vm86 = x86_vm86(cpu);
    const int cpl = x86_cpl(cpu), dpl = DESC_DPL(cs.hi);
    const bool conforming = cs.hi & DESC_CONFORM;
    bool inner = !conforming && dpl < cpl;
    if (vm86 && (!inner || dpl != 0)) {
        raise(cpu, X86_EXCP_GP, (sel & 0xfffc) | ev->ext, ra);
    }
    target_present(cpu, ev, sel, &cs, ra);

    int new_cpl = inner ? dpl : cpl;
    X86Stack st;
    X86Segment new_ss = cpu->segs[SEG_SS];
    uint64_t base_sp = cpu->regs[R_ESP];
    uint16_t ss_sel = 0;
    if (inner) {
        x86_tss_stack(cpu, dpl, ev->ext, &new_ss, &base_sp, &ss_sel, ra);
        x86_stack_init(cpu, &st, &new_ss, base_sp, new_cpl, (ss_sel & 0xfffc) | ev->ext);
    } else {
        x86_stack_current(cpu, &st);
        st.error = ev->ext;
    }
    if (offset > desc_limit(&cs)) {
        raise(cpu, X86_EXCP_GP, ev->ext, ra);
    }
    x86_desc_set_accessed(cpu, sel, &cs, ra);

    if (inner) {
        if (vm86) {
            x86_stack_push(cpu, &st, cpu->segs[SEG_GS].selector, sz, ra);
            x86_stack_push(cpu, &st, cpu->segs[SEG_FS].selector, sz, ra);
            x86_stack_push(cpu, &st, cpu->segs[SEG_DS].selector, sz, ra);
            x86_stack_push(cpu, &st, cpu->segs[SEG_ES].selector, sz, ra);
        }
        x86_stack_push(cpu, &st, cpu->segs[SEG_SS].selector, sz, ra);
        x86_stack_push(cpu, &st, cpu->regs[R_ESP], sz, ra);
    }
    x86_stack_push(cpu, &st, ev->eflags, sz, ra);
    x86_stack_push(cpu, &st, cpu->segs[SEG_CS].selector, sz, ra);
    x86_stack_push(cpu, &st, ev->ret_rip, sz, ra);
    if (ev->has_error) {
        x86_stack_push(cpu, &st, ev->error, sz, ra);
    }

    /* Everything that could fault has happened: commit. */
    if (inner) {
        if (vm86) {
            x86_seg_load_null(cpu, SEG_ES, 0, 0);
            x86_seg_load_null(cpu, SEG_DS, 0, 0);
            x86_seg_load_null(cpu, SEG_FS, 0, 0);
            x86_seg_load_null(cpu, SEG_GS, 0, 0);
        }
        cpu->segs[SEG_SS] = new_ss;
    }
    cpu->regs[R_ESP] = x86_stack_sp_commit(base_sp, &st);
    cpu->segs[SEG_CS] = desc_to_seg((sel & 0xfffc) | new_cpl, &cs);
    cpu->rip = offset;
    cpu->eflags &= ~(X86_EFLAGS_TF | X86_EFLAGS_VM | X86_EFLAGS_RF | X86_EFLAGS_NT);
    if (type == SYS_INT || type == SYS_INT16) {
        cpu->eflags &= ~X86_EFLAGS_IF;
    }
}

/* ---- IA-32e mode -------------------------------------------------------- */

static void deliver_long(X86CPU *cpu, const Event *ev, uintptr_t ra)
{
    uint32_t idt_err = (uint32_t)ev->vector * 8 + X86_ERR_IDT + ev->ext;
    X86Desc gate;
    idt_read(cpu, ev, 16, &gate, ra);
    unsigned type = DESC_TYPE(gate.hi);
    if ((gate.hi & DESC_S) || (type != SYS_INT && type != SYS_TRAP)) {
        raise(cpu, X86_EXCP_GP, idt_err, ra);
    }
    gate_check(cpu, ev, &gate, ra);

    uint16_t sel = gate_selector(&gate);
    uint64_t offset = gate_offset(&gate);
    unsigned ist = gate.hi & 7;
    X86Desc cs;
    target_code(cpu, ev, sel, &cs, ra);
    /* The handler must be 64-bit code (L = 1, D = 0). */
    if (!(cs.hi & DESC_L) || (cs.hi & DESC_DB)) {
        raise(cpu, X86_EXCP_GP, (sel & 0xfffc) | ev->ext, ra);
    }
    target_present(cpu, ev, sel, &cs, ra);

    const int cpl = x86_cpl(cpu), dpl = DESC_DPL(cs.hi);
    const bool inner = !(cs.hi & DESC_CONFORM) && dpl < cpl;
    const int new_cpl = inner ? dpl : cpl;
    if (!x86_canonical(offset)) {
        raise(cpu, X86_EXCP_GP, ev->ext, ra);
    }

    uint64_t rsp = cpu->regs[R_ESP];
    if (ist) {
        rsp = x86_tss_read(cpu, 0x24 + 8 * (ist - 1), 8, ev->ext, ra);
    } else if (inner) {
        rsp = x86_tss_read(cpu, 4 + 8 * dpl, 8, ev->ext, ra);
    }
    /* The frame always starts 16-byte aligned (SDM vol. 3 6.14.2). */
    rsp &= ~0xfull;

    X86Stack st = {
        .base = 0, .sp = rsp, .mask = ~0ull, .check = false,
        .mmu = new_cpl == 3 ? X86_MMU_USER : X86_MMU_SUPER, .error = ev->ext,
    };
    x86_desc_set_accessed(cpu, sel, &cs, ra);
    x86_stack_push(cpu, &st, cpu->segs[SEG_SS].selector, 8, ra);
    x86_stack_push(cpu, &st, cpu->regs[R_ESP], 8, ra);
    x86_stack_push(cpu, &st, ev->eflags, 8, ra);
    x86_stack_push(cpu, &st, cpu->segs[SEG_CS].selector, 8, ra);
    x86_stack_push(cpu, &st, ev->ret_rip, 8, ra);
    if (ev->has_error) {
        x86_stack_push(cpu, &st, ev->error, 8, ra);
    }

    if (inner) {
        /* A null SS whose RPL is the new CPL (SDM vol. 3 6.14.4). */
        x86_seg_load_null(cpu, SEG_SS, (uint16_t)new_cpl, new_cpl);
    }
    cpu->regs[R_ESP] = st.sp;
    cpu->segs[SEG_CS] = desc_to_seg((sel & 0xfffc) | new_cpl, &cs);
    cpu->rip = offset;
    cpu->eflags &= ~(X86_EFLAGS_TF | X86_EFLAGS_VM | X86_EFLAGS_RF | X86_EFLAGS_NT);
    if (type == SYS_INT) {
        cpu->eflags &= ~X86_EFLAGS_IF;
    }
}

/* ---- Entry points ------------------------------------------------------- */

void x86_do_interrupt(X86CPU *cpu, int vector, X86EventKind kind, uint32_t error_code,
                      uint64_t next_rip, uintptr_t ra)
{
    Event ev = {
        .vector = vector & 0xff,
        .kind = kind,
        .error = error_code,
    };
    bool software = kind == X86_EVENT_SOFTWARE || kind == X86_EVENT_SOFT_EXCEPTION ||
                    kind == X86_EVENT_ICEBP;
    ev.soft = kind == X86_EVENT_SOFTWARE || kind == X86_EVENT_SOFT_EXCEPTION;
    ev.ext = ev.soft ? 0 : X86_ERR_EXT;
    ev.ret_rip = software ? next_rip : cpu->rip;
    ev.has_error = kind == X86_EVENT_EXCEPTION && x86_exception_has_error_code(ev.vector) &&
                   x86_protected(cpu);
    ev.eflags = x86_compute_eflags(cpu);
    if (kind == X86_EVENT_EXCEPTION && is_fault(ev.vector)) {
        ev.eflags |= X86_EFLAGS_RF;
    }
    if (!x86_64bit_mode(cpu)) {
        ev.ret_rip = (uint32_t)ev.ret_rip;
    }

    if (kind == X86_EVENT_EXCEPTION) {
        cpu->exception.delivering = ev.vector;
        cpu->exception.delivering_class = x86_exception_class(ev.vector);
    } else {
        cpu->exception.delivering = -1;
    }
    log_mask_printf(LOG_INT, "x86: event %d kind %d err %#x at %04x:%#llx\n", ev.vector,
                    (int)kind, ev.error, cpu->segs[SEG_CS].selector,
                    (unsigned long long)cpu->rip);

    if (!x86_protected(cpu)) {
        deliver_real(cpu, &ev, ra);
    } else if (x86_long_mode(cpu)) {
        deliver_long(cpu, &ev, ra);
    } else {
        deliver_protected(cpu, &ev, ra);
    }

    cpu->exception.delivering = -1;
    cpu->halted = false;
    cpu->int_shadow = false;
    if (kind == X86_EVENT_NMI) {
        cpu->nmi_blocked = true;
    }
    x86_update_hflags(cpu);
}

void x86_deliver_pending_exception(X86CPU *cpu)
{
    int vector = cpu->exception.vector;
    uint32_t error = cpu->exception.error_code;
    if (vector < 0) {
        return;
    }
    cpu->exception.vector = -1;
    if (cpu->exception.delivering >= 0) {
        int next = x86_exception_combine(cpu->exception.delivering_class, vector);
        if (next < 0) {
            log_mask_printf(LOG_INT | LOG_GUEST_ERRORS,
                            "x86: triple fault (#%d while delivering #DF): shutdown\n", vector);
            cpu->exception.delivering = -1;
            cpu->triple_fault = true;
            return;
        }
        if (next == X86_EXCP_DF) {
            error = 0;
        }
        vector = next;
    }
    if (vector == X86_EXCP_PF) {
        cpu->cr[2] = cpu->exception.cr2;
    }
    x86_do_interrupt(cpu, vector, X86_EVENT_EXCEPTION, error, cpu->rip, 0);
}

/* ---- INT n / INT3 / INTO / INT1 ---------------------------------------- */

void x86_helper_int(X86CPU *cpu, int vector, uint64_t next_rip, uintptr_t ra)
{
    /* Without VME, INT n in VM86 is IOPL-sensitive (SDM vol. 3 20.3.3). */
    if (x86_vm86(cpu) && (cpu->eflags & X86_EFLAGS_IOPL) != X86_EFLAGS_IOPL) {
        raise(cpu, X86_EXCP_GP, 0, ra);
    }
    x86_do_interrupt(cpu, vector, X86_EVENT_SOFTWARE, 0, next_rip, ra);
}

void x86_helper_int3(X86CPU *cpu, uint64_t next_rip, uintptr_t ra)
{
    x86_do_interrupt(cpu, X86_EXCP_BP, X86_EVENT_SOFT_EXCEPTION, 0, next_rip, ra);
}

void x86_helper_into(X86CPU *cpu, uint64_t next_rip, uintptr_t ra)
{
    if (x86_compute_eflags(cpu) & X86_EFLAGS_OF) {
        x86_do_interrupt(cpu, X86_EXCP_OF, X86_EVENT_SOFT_EXCEPTION, 0, next_rip, ra);
    }
}

void x86_helper_icebp(X86CPU *cpu, uint64_t next_rip, uintptr_t ra)
{
    x86_do_interrupt(cpu, X86_EXCP_DB, X86_EVENT_ICEBP, 0, next_rip, ra);
}
