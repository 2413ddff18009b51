/*
 * X86Regs <-> kvm_regs + kvm_sregs. Segment attributes follow the
 * descriptor layout (Intel SDM vol. 3 §3.4.5); KVM's limit is byte-granular
 * like ours. Only fields both sides have are converted: FPU, MSRs, debug
 * registers and the APIC base are handled elsewhere.
 */
#include <string.h>

#include "kvm_internal.h"

void kvm_segment_from_x86(const X86Segment *s, struct kvm_segment *k)
{
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->selector;
    k->type = s->flags & 0xf;
    k->s = (s->flags >> 4) & 1;
    k->dpl = (s->flags >> 5) & 3;
    k->present = (s->flags >> 7) & 1;
    k->avl = (s->flags >> 12) & 1;
    k->l = (s->flags >> 13) & 1;
    k->db = (s->flags >> 14) & 1;
    k->g = (s->flags >> 15) & 1;
    /* VM entry rejects a G bit that the limit cannot have come from (SDM
     * vol. 3 §28.3.1.2); fix only such impossible combinations. */
    if ((k->limit & 0xfff) != 0xfff)
        k->g = 0;
    else if (k->limit >> 20)
        k->g = 1;
    /* VMX marks null/not-present segments "unusable" rather than not present. */
    k->unusable = !k->present;
    k->padding = 0;
}

void kvm_segment_to_x86(const struct kvm_segment *k, X86Segment *s)
{
    bool present = k->present && !k->unusable;

    s->base = k->base;
    s->limit = k->limit;
    s->selector = k->selector;
    s->flags = (uint16_t)((k->type & 0xf) | (k->s ? SEGF_S : 0) | SEGF_DPL(k->dpl) |
                          (present ? SEGF_P : 0) | (k->avl ? 1u << 12 : 0) |
                          (k->l ? SEGF_L : 0) | (k->db ? SEGF_DB : 0) | (k->g ? SEGF_G : 0));
}

static struct kvm_segment *sreg_seg(struct kvm_sregs *ks, int i)
{
    switch (i) {
    case SEG_ES: return &ks->es;
    case SEG_CS: return &ks->cs;
    case SEG_SS: return &ks->ss;
    case SEG_DS: return &ks->ds;
    case SEG_FS: return &ks->fs;
    case SEG_GS: return &ks->gs;
    case SEG_LDTR: return &ks->ldt;
    default: return &ks->tr;
    }
}

void kvm_regs_from_x86(const X86Regs *r, struct kvm_regs *kr, struct kvm_sregs *ks)
{
    kr->rax = r->gpr[R_EAX];
    kr->rcx = r->gpr[R_ECX];
    kr->rdx = r->gpr[R_EDX];
    kr->rbx = r->gpr[R_EBX];
    kr->rsp = r->gpr[R_ESP];
    kr->rbp = r->gpr[R_EBP];
    kr->rsi = r->gpr[R_ESI];
    kr->rdi = r->gpr[R_EDI];
    kr->r8 = r->gpr[R_R8];
    kr->r9 = r->gpr[R_R9];
    kr->r10 = r->gpr[R_R10];
    kr->r11 = r->gpr[R_R11];
    kr->r12 = r->gpr[R_R12];
    kr->r13 = r->gpr[R_R13];
    kr->r14 = r->gpr[R_R14];
    kr->r15 = r->gpr[R_R15];
    kr->rip = r->rip;
    kr->rflags = r->rflags | 2;     /* bit 1 always reads as 1 */

    for (int i = 0; i < SEG_COUNT; i++)
        kvm_segment_from_x86(&r->seg[i], sreg_seg(ks, i));
    /* A power-on TR/LDTR with no type would fail VM entry: the CPU's own
     * reset values are a busy 32-bit TSS and an LDT (SDM vol. 3 §10.1.1). */
    if (ks->tr.type != 3 && ks->tr.type != 11) {
        ks->tr.type = 11;
        ks->tr.present = 1;
        ks->tr.unusable = 0;
    }
    ks->tr.s = 0;
    if (ks->ldt.present)
        ks->ldt.type = 2;
    ks->ldt.s = 0;

    ks->gdt.base = r->gdt.base;
    ks->gdt.limit = r->gdt.limit;
    ks->idt.base = r->idt.base;
    ks->idt.limit = r->idt.limit;
    memset(ks->gdt.padding, 0, sizeof(ks->gdt.padding));
    memset(ks->idt.padding, 0, sizeof(ks->idt.padding));
    ks->cr0 = r->cr0;
    ks->cr2 = r->cr2;
    ks->cr3 = r->cr3;
    ks->cr4 = r->cr4;
    ks->cr8 = r->cr8;
    /* The CPU sets LMA itself when paging is enabled with LME; KVM refuses
     * a state where the two disagree. */
    ks->efer = r->efer & ~(uint64_t)EFER_LMA;
    if ((r->efer & EFER_LME) && (r->cr0 & CR0_PG) && (r->cr4 & CR4_PAE))
        ks->efer |= EFER_LMA;
}

void kvm_regs_to_x86(const struct kvm_regs *kr, const struct kvm_sregs *ks, X86Regs *r)
{
    memset(r, 0, sizeof(*r));
    r->gpr[R_EAX] = kr->rax;
    r->gpr[R_ECX] = kr->rcx;
    r->gpr[R_EDX] = kr->rdx;
    r->gpr[R_EBX] = kr->rbx;
    r->gpr[R_ESP] = kr->rsp;
    r->gpr[R_EBP] = kr->rbp;
    r->gpr[R_ESI] = kr->rsi;
    r->gpr[R_EDI] = kr->rdi;
    r->gpr[R_R8] = kr->r8;
    r->gpr[R_R9] = kr->r9;
    r->gpr[R_R10] = kr->r10;
    r->gpr[R_R11] = kr->r11;
    r->gpr[R_R12] = kr->r12;
    r->gpr[R_R13] = kr->r13;
    r->gpr[R_R14] = kr->r14;
    r->gpr[R_R15] = kr->r15;
    r->rip = kr->rip;
    r->rflags = kr->rflags;

    struct kvm_sregs copy = *ks;
    for (int i = 0; i < SEG_COUNT; i++)
        kvm_segment_to_x86(sreg_seg(&copy, i), &r->seg[i]);
    r->gdt.base = ks->gdt.base;
    r->gdt.limit = ks->gdt.limit;
    r->idt.base = ks->idt.base;
    r->idt.limit = ks->idt.limit;
    r->cr0 = ks->cr0;
    r->cr2 = ks->cr2;
    r->cr3 = ks->cr3;
    r->cr4 = ks->cr4;
    r->cr8 = ks->cr8;
    r->efer = ks->efer;
}
