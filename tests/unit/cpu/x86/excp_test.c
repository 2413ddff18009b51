/*
 * Proves cpu/x86/excp.c against SDM vol. 3 ch. 6: the stack frames of
 * real-mode, 32-bit (same and inner privilege through the TSS), VM86 -> PL0
 * and 64-bit (IST, 16-byte alignment) delivery, error codes and the vectors
 * that push them, gate DPL vs CPL for software interrupts, the error codes of
 * broken IDT entries, and the double-fault / triple-fault rules of Table 6-5.
 */
#include "x86_test_modes.h"

/* The exec loop: deliver what is pending until nothing is (or shutdown). */
static void run_pending(X86CPU *cpu)
{
    for (volatile int i = 0; i < 8 && cpu->exception.vector >= 0 && !cpu->triple_fault; i++) {
        sigjmp_buf jb;
        fake_jmp = &jb;
        if (sigsetjmp(jb, 0) == 0) {
            x86_deliver_pending_exception(cpu);
        }
        fake_jmp = NULL;
    }
}

TEST_CASE(real_mode_ivt_frame)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->idt = (X86DescTable){ 0, 0x3ff };
    pw16(0x21 * 4, 0x5678);
    pw16(0x21 * 4 + 2, 0x1234);
    x86_load_seg_real(cpu, SEG_SS, 0x100);
    x86_load_seg_real(cpu, SEG_CS, 0x2000);
    cpu->regs[R_ESP] = 0xdead0200;                  /* only SP moves */
    cpu->rip = 0x300;
    x86_load_eflags(cpu, X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_CF, 0xffff);
    EXPECT_OK(cpu, x86_helper_int(cpu, 0x21, 0x302, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0xdead01fa);
    CHECK_EQ(pr16(0x1000 + 0x1fa), 0x302);            /* IP of the next instruction */
    CHECK_EQ(pr16(0x1000 + 0x1fc), 0x2000);           /* CS */
    CHECK_EQ(pr16(0x1000 + 0x1fe), 0x2 | X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_CF);
    CHECK_EQ(cpu->segs[SEG_CS].selector, 0x1234);
    CHECK_EQ(cpu->segs[SEG_CS].base, 0x12340);
    CHECK_EQ(cpu->rip, 0x5678);
    CHECK_EQ(cpu->eflags & (X86_EFLAGS_IF | X86_EFLAGS_TF), 0);
    /* A fault returns to the faulting instruction and pushes no error code. */
    pw16(13 * 4, 0x1111);
    pw16(13 * 4 + 2, 0);
    cpu->rip = 0x40;
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 13, X86_EVENT_EXCEPTION, 0x55, 0, 0));
    CHECK_EQ(cpu->regs[R_ESP] & 0xffff, 0x1f4);
    CHECK_EQ(pr16(0x1000 + 0x1f4), 0x40);             /* IP = the faulting insn */
    CHECK_EQ(cpu->rip, 0x1111);
}

TEST_CASE(real_mode_fault_ip)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->idt = (X86DescTable){ 0, 0x3ff };
    x86_load_seg_real(cpu, SEG_SS, 0);
    x86_load_seg_real(cpu, SEG_CS, 0x2000);
    cpu->regs[R_ESP] = 0x800;
    cpu->rip = 0x40;
    EXPECT_OK(cpu, x86_do_interrupt(cpu, X86_EXCP_UD, X86_EVENT_EXCEPTION, 0, 0x99, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0x7fa);
    CHECK_EQ(pr16(0x7fa), 0x40);
    CHECK_EQ(pr16(0x7fc), 0x2000);
}

TEST_CASE(pm32_same_privilege_fault_frame)
{
    X86CPU *cpu = pm32(0);
    idt32(13, S_CODE0, 0x11111, 0xe, 0);
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 13, X86_EVENT_EXCEPTION, 0x28, 0, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 16);
    CHECK_EQ(pr32(0x9000 - 16), 0x28);                /* error code */
    CHECK_EQ(pr32(0x9000 - 12), 0x5000);              /* EIP of the faulting insn */
    CHECK_EQ(pr32(0x9000 - 8), S_CODE0);
    /* Faults push RF = 1 (SDM vol. 3 17.3.1.1). */
    CHECK_EQ(pr32(0x9000 - 4), 0x2 | X86_EFLAGS_IF | X86_EFLAGS_RF);
    CHECK_EQ(cpu->rip, 0x11111);
    CHECK_EQ(cpu->eflags & X86_EFLAGS_IF, 0);        /* interrupt gate */
    CHECK_EQ(pr8(GDT + S_CODE0 + 5), 0x9b);           /* accessed */
    /* A trap gate keeps IF; #UD pushes no error code. */
    cpu = pm32(0);
    idt32(6, S_CODE0, 0x22222, 0xf, 0);
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 6, X86_EVENT_EXCEPTION, 0x28, 0, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 12);
    CHECK_EQ(pr32(0x9000 - 12), 0x5000);
    CHECK(cpu->eflags & X86_EFLAGS_IF);
}

TEST_CASE(pm32_16bit_gate_pushes_words)
{
    X86CPU *cpu = pm32(0);
    idt32(0x40, S_CODE0, 0x123456, 0x6, 0);           /* 16-bit interrupt gate */
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 0x40, X86_EVENT_EXTERNAL, 0, 0, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 6);
    CHECK_EQ(pr16(0x9000 - 6), 0x5000);
    CHECK_EQ(pr16(0x9000 - 4), S_CODE0);
    CHECK_EQ(cpu->rip, 0x3456);                       /* 16-bit offset */
}

TEST_CASE(pm32_inner_privilege_uses_tss_stack)
{
    X86CPU *cpu = pm32(3);
    idt32(0x80, S_CODE0, 0x22222, 0xf, 3);
    EXPECT_OK(cpu, x86_helper_int(cpu, 0x80, 0x4002, 0));
    CHECK_EQ(x86_cpl(cpu), 0);
    CHECK_EQ(cpu->segs[SEG_SS].selector, S_DATA0);
    CHECK_EQ(cpu->segs[SEG_CS].selector, S_CODE0);
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 20);
    CHECK_EQ(pr32(0x9000 - 4), S_DATA3 | 3);          /* old SS */
    CHECK_EQ(pr32(0x9000 - 8), 0x8000);               /* old ESP */
    CHECK_EQ(pr32(0x9000 - 12), 0x2 | X86_EFLAGS_IF); /* no RF for INT n */
    CHECK_EQ(pr32(0x9000 - 16), S_CODE3 | 3);
    CHECK_EQ(pr32(0x9000 - 20), 0x4002);              /* return past the INT */
    CHECK_EQ(fake_last_st_mmu, X86_MMU_SUPER);
    CHECK_EQ(cpu->hflags & X86_HF_CPL_MASK, 0);
}

TEST_CASE(pm32_tss_stack_checks)
{
    X86CPU *cpu = pm32(3);
    idt32(0x80, S_CODE0, 0x22222, 0xe, 3);
    /* SS0 with RPL != 0: #TS(SS0). */
    pw16(TSS + 8, S_DATA0 | 1);
    EXPECT_EXC(cpu, x86_helper_int(cpu, 0x80, 0, 0), X86_EXCP_TS, S_DATA0);
    /* SS0 naming a DPL 3 segment: #TS. */
    pw16(TSS + 8, S_DATA3);
    EXPECT_EXC(cpu, x86_helper_int(cpu, 0x80, 0, 0), X86_EXCP_TS, S_DATA3);
    /* ...reported with EXT for a hardware interrupt. */
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x80, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_TS,
               S_DATA3 | X86_ERR_EXT);
    /* Null SS0: #TS(EXT). */
    pw16(TSS + 8, 0);
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x80, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_TS,
               X86_ERR_EXT);
    /* Nothing changed on the way. */
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->regs[R_ESP], 0x8000);
}

TEST_CASE(gate_dpl_applies_to_software_interrupts_only)
{
    X86CPU *cpu = pm32(3);
    idt32(0x81, S_CODE0, 0x3000, 0xe, 0);
    EXPECT_EXC(cpu, x86_helper_int(cpu, 0x81, 0, 0), X86_EXCP_GP, 0x81 * 8 + 2);
    EXPECT_EXC(cpu, x86_helper_int3(cpu, 0, 0), X86_EXCP_GP, 3 * 8 + 2);
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 0x81, X86_EVENT_EXTERNAL, 0, 0, 0));
    CHECK_EQ(cpu->rip, 0x3000);
    /* INT1 (ICEBP) has no DPL check either. */
    cpu = pm32(3);
    idt32(1, S_CODE0, 0x3100, 0xe, 0);
    EXPECT_OK(cpu, x86_helper_icebp(cpu, 0x5001, 0));
    CHECK_EQ(pr32(0x9000 - 20), 0x5001);
}

TEST_CASE(broken_idt_entries)
{
    X86CPU *cpu = pm32(0);
    /* Not present: #NP(IDT | EXT) for an exception, #NP(IDT) for INT n. */
    pw64(IDT + 8 * 0x30, gate_desc(S_CODE0, 0x1000, 0xe, 0, 0) & ~(1ull << 47));
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x30, X86_EVENT_EXCEPTION, 0, 0, 0), X86_EXCP_NP,
               0x30 * 8 + 2 + 1);
    EXPECT_EXC(cpu, x86_helper_int(cpu, 0x30, 0, 0), X86_EXCP_NP, 0x30 * 8 + 2);
    /* Not a gate type (a TSS descriptor): #GP(IDT | EXT). */
    pw64(IDT + 8 * 0x31, seg_desc(TSS, 0x67, 0x89, 0));
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x31, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_GP,
               0x31 * 8 + 3);
    /* Beyond the IDT limit. */
    cpu->idt.limit = 0x32 * 8 + 6;
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x32, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_GP,
               0x32 * 8 + 3);
    /* Handler CS not present: #NP(selector | EXT). */
    idt32(0x33, S_CODE_NP, 0x1000, 0xe, 0);
    cpu->idt.limit = 0x7ff;
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x33, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_NP,
               S_CODE_NP | 1);
    /* Handler CS a data segment: #GP(selector | EXT); null: #GP(EXT). */
    idt32(0x34, S_DATA0, 0x1000, 0xe, 0);
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x34, X86_EVENT_NMI, 0, 0, 0), X86_EXCP_GP, S_DATA0 | 1);
    idt32(0x35, 0, 0x1000, 0xe, 0);
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x35, X86_EVENT_EXCEPTION, 0, 0, 0), X86_EXCP_GP, 1);
    /* Task gates are not implemented: #GP. */
    pw64(IDT + 8 * 0x36, gate_desc(S_TSS, 0, 0x5, 0, 0));
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x36, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_GP,
               0x36 * 8 + 3);
}

TEST_CASE(vm86_to_pl0_frame)
{
    X86CPU *cpu = pm32(0);
    idt32(13, S_CODE0, 0x7777, 0xe, 0);
    x86_load_eflags(cpu, X86_EFLAGS_VM | X86_EFLAGS_IF, X86_EFLAGS_VM | X86_EFLAGS_IF);
    x86_load_seg_real(cpu, SEG_CS, 0x1000);
    x86_load_seg_real(cpu, SEG_SS, 0x2000);
    x86_load_seg_real(cpu, SEG_DS, 0x3000);
    x86_load_seg_real(cpu, SEG_ES, 0x4000);
    x86_load_seg_real(cpu, SEG_FS, 0x5000);
    x86_load_seg_real(cpu, SEG_GS, 0x6000);
    x86_update_hflags(cpu);
    CHECK_EQ(x86_cpl(cpu), 3);
    cpu->regs[R_ESP] = 0x100;
    cpu->rip = 0x42;
    /* INT n with IOPL < 3 is #GP(0) before any gate is looked at. */
    EXPECT_EXC(cpu, x86_helper_int(cpu, 0x21, 0x44, 0), X86_EXCP_GP, 0);
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 13, X86_EVENT_EXCEPTION, 0, 0, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 40);
    CHECK_EQ(pr32(0x9000 - 4), 0x6000);               /* GS */
    CHECK_EQ(pr32(0x9000 - 8), 0x5000);               /* FS */
    CHECK_EQ(pr32(0x9000 - 12), 0x3000);              /* DS */
    CHECK_EQ(pr32(0x9000 - 16), 0x4000);              /* ES */
    CHECK_EQ(pr32(0x9000 - 20), 0x2000);              /* SS */
    CHECK_EQ(pr32(0x9000 - 24), 0x100);               /* ESP */
    CHECK_EQ(pr32(0x9000 - 28) & X86_EFLAGS_VM, X86_EFLAGS_VM);
    CHECK_EQ(pr32(0x9000 - 32), 0x1000);              /* CS */
    CHECK_EQ(pr32(0x9000 - 36), 0x42);                /* EIP */
    CHECK_EQ(pr32(0x9000 - 40), 0);                   /* error code */
    CHECK_EQ(cpu->eflags & X86_EFLAGS_VM, 0);
    CHECK_EQ(x86_cpl(cpu), 0);
    CHECK_EQ(cpu->segs[SEG_DS].selector, 0);
    CHECK_EQ(cpu->segs[SEG_GS].selector, 0);
    CHECK_EQ(cpu->segs[SEG_FS].flags & SEGF_P, 0);
}

TEST_CASE(vm86_handler_must_be_ring0)
{
    X86CPU *cpu = pm32(0);
    idt32(13, S_CODE3, 0x7777, 0xe, 3);
    x86_load_eflags(cpu, X86_EFLAGS_VM, X86_EFLAGS_VM);
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 13, X86_EVENT_EXCEPTION, 0, 0, 0), X86_EXCP_GP,
               S_CODE3 | 1);
}

TEST_CASE(long_mode_frame_rsp0_and_alignment)
{
    X86CPU *cpu = lm64(3);
    idt64(14, S_CODE64, 0xffffffff80001000ull, 0xe, 0, 0);
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 14, X86_EVENT_EXCEPTION, 6, 0, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 48);
    CHECK_EQ(pr64(0x9000 - 8), S_DATA3 | 3);          /* SS */
    CHECK_EQ(pr64(0x9000 - 16), 0x8003);              /* RSP, unaligned as it was */
    CHECK_EQ(pr64(0x9000 - 24), 0x2 | X86_EFLAGS_IF | X86_EFLAGS_RF);
    CHECK_EQ(pr64(0x9000 - 32), S_CODE3_64 | 3);
    CHECK_EQ(pr64(0x9000 - 40), 0x400000);
    CHECK_EQ(pr64(0x9000 - 48), 6);
    CHECK_EQ(cpu->rip, 0xffffffff80001000ull);
    CHECK_EQ(cpu->segs[SEG_SS].selector, 0);          /* null SS, RPL = new CPL */
    CHECK_EQ(x86_cpl(cpu), 0);
    CHECK(cpu->hflags & X86_HF_CS64);
}

TEST_CASE(long_mode_ist_and_same_privilege_alignment)
{
    X86CPU *cpu = lm64(0);
    idt64(2, S_CODE64, 0x2000000, 0xe, 0, 1);
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 2, X86_EVENT_NMI, 0, 0, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0xa000 - 40);          /* IST1 0xa008, aligned down */
    CHECK_EQ(pr64(0xa000 - 16), 0x8003);
    CHECK_EQ(pr64(0xa000 - 8), S_DATA64);             /* SS pushed even without a change */
    CHECK(cpu->nmi_blocked);
    /* No IST, same privilege: the current RSP, aligned to 16. */
    cpu = lm64(0);
    idt64(0x20, S_CODE64, 0x2000000, 0xe, 0, 0);
    cpu->regs[R_ESP] = 0x7ff8;
    EXPECT_OK(cpu, x86_do_interrupt(cpu, 0x20, X86_EVENT_EXTERNAL, 0, 0, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0x7ff0 - 40);
    CHECK_EQ(pr64(0x7ff0 - 16), 0x7ff8);
    CHECK_EQ(cpu->segs[SEG_SS].selector, S_DATA64);   /* unchanged */
}

TEST_CASE(long_mode_gate_checks)
{
    X86CPU *cpu = lm64(0);
    /* A 32-bit code segment as handler: #GP(selector | EXT). */
    idt64(0x21, S_CODE0, 0x1000, 0xe, 0, 0);
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x21, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_GP,
               S_CODE0 | 1);
    /* A call gate type in the IDT: #GP(IDT | EXT). */
    idt64(0x22, S_CODE64, 0x1000, 0xc, 0, 0);
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x22, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_GP,
               0x22 * 8 + 3);
    /* The IDT limit counts 16-byte entries. */
    cpu->idt.limit = 0x23 * 16 + 8;
    EXPECT_EXC(cpu, x86_do_interrupt(cpu, 0x23, X86_EVENT_EXTERNAL, 0, 0, 0), X86_EXCP_GP,
               0x23 * 8 + 3);
}

TEST_CASE(exception_classes_follow_table_6_5)
{
    static const int contributory[] = { 0, 10, 11, 12, 13 };
    static const int benign[] = { 1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19 };
    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ(x86_exception_class(contributory[i]), X86_EXC_CONTRIBUTORY);
        CHECK_EQ(x86_exception_combine(X86_EXC_CONTRIBUTORY, contributory[i]), X86_EXCP_DF);
        CHECK_EQ(x86_exception_combine(X86_EXC_PAGE_FAULT, contributory[i]), X86_EXCP_DF);
        CHECK_EQ(x86_exception_combine(X86_EXC_BENIGN, contributory[i]), contributory[i]);
        CHECK_EQ(x86_exception_combine(X86_EXC_DOUBLE_FAULT, contributory[i]), -1);
    }
    for (unsigned i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
        CHECK_EQ(x86_exception_class(benign[i]), X86_EXC_BENIGN);
        CHECK_EQ(x86_exception_combine(X86_EXC_CONTRIBUTORY, benign[i]), benign[i]);
        CHECK_EQ(x86_exception_combine(X86_EXC_PAGE_FAULT, benign[i]), benign[i]);
    }
    CHECK_EQ(x86_exception_combine(X86_EXC_CONTRIBUTORY, 14), 14);   /* serially */
    CHECK_EQ(x86_exception_combine(X86_EXC_PAGE_FAULT, 14), X86_EXCP_DF);
    CHECK_EQ(x86_exception_combine(X86_EXC_DOUBLE_FAULT, 14), -1);
    /* Error codes: #DF, #TS, #NP, #SS, #GP, #PF, #AC. */
    for (int v = 0; v < 32; v++) {
        bool e = v == 8 || (v >= 10 && v <= 14) || v == 17;
        CHECK_EQ(x86_exception_has_error_code(v), e);
    }
}

TEST_CASE(fault_during_delivery_becomes_double_fault)
{
    X86CPU *cpu = pm32(0);
    idt32(13, S_CODE_NP, 0x1000, 0xe, 0);             /* #GP handler not present */
    idt32(8, S_CODE0, 0x8888, 0xe, 0);
    x86_exception_record(cpu, X86_EXCP_GP, 0x1234);
    run_pending(cpu);
    CHECK(!cpu->triple_fault);
    CHECK_EQ(cpu->rip, 0x8888);
    CHECK_EQ(pr32(cpu->regs[R_ESP]), 0);              /* #DF error code is 0 */
    CHECK_EQ(pr32(cpu->regs[R_ESP] + 4), 0x5000);
    CHECK_EQ(cpu->exception.delivering, -1);
}

TEST_CASE(page_fault_then_gp_is_double_fault_gp_then_pf_is_serial)
{
    /* #PF whose handler entry is beyond the IDT limit -> #GP -> #DF. */
    X86CPU *cpu = pm32(0);
    idt32(8, S_CODE0, 0x8888, 0xe, 0);
    cpu->idt.limit = 14 * 8 - 1;
    cpu->exception.cr2 = 0xcafe000;
    x86_exception_record(cpu, X86_EXCP_PF, 2);
    run_pending(cpu);
    CHECK_EQ(cpu->rip, 0x8888);
    CHECK_EQ(cpu->cr[2], 0xcafe000);                  /* CR2 set when the #PF happened */
    /* #GP whose stack write page-faults -> the #PF is delivered (serially). */
    cpu = pm32(0);
    idt32(13, S_CODE0, 0x1313, 0xe, 0);
    idt32(14, S_CODE0, 0x1414, 0xe, 0);
    /* Paging on; the stack page below 0x9000 is absent the first time. */
    cpu->cr[0] |= CR0_PG;
    cpu->cr[3] = 0x20000;
    pw32(0x20000, 0x21000 | 3);
    for (unsigned i = 0; i < 0x100; i++) {
        pw32(0x21000 + 4 * i, (i << 12) | 3);
    }
    pw32(0x21000 + 4 * 8, 0);                          /* page 0x8000 not present */
    cpu->regs[R_ESP] = 0xa000;
    pw32(TSS + 4, 0xa000);
    x86_update_hflags(cpu);
    cpu->regs[R_ESP] = 0x9004;                        /* pushes land in page 0x8000 */
    x86_exception_record(cpu, X86_EXCP_GP, 0);
    sigjmp_buf jb;
    fake_jmp = &jb;
    if (sigsetjmp(jb, 0) == 0) {
        x86_deliver_pending_exception(cpu);
    }
    fake_jmp = NULL;
    CHECK_EQ(cpu->exception.vector, X86_EXCP_PF);     /* the push faulted */
    CHECK_EQ(cpu->exception.cr2, 0x8ffc);
    pw32(0x21000 + 4 * 8, 0x8000 | 3);                 /* map it, as a handler would */
    cpu->regs[R_ESP] = 0x9004;
    run_pending(cpu);
    CHECK_EQ(cpu->rip, 0x1414);                       /* #PF handler, no #DF */
    CHECK_EQ(cpu->cr[2], 0x8ffc);
}

TEST_CASE(triple_fault_requests_shutdown)
{
    X86CPU *cpu = pm32(0);
    cpu->idt.limit = 0;                               /* every vector is outside */
    x86_exception_record(cpu, X86_EXCP_GP, 0);
    run_pending(cpu);
    CHECK(cpu->triple_fault);
    CHECK_EQ(cpu->rip, 0x5000);                       /* state as before */
    /* The same in real mode (IVT limit 0). */
    cpu = fake_cpu("qemu64");
    cpu->idt.limit = 0;
    x86_exception_record(cpu, X86_EXCP_UD, 0);       /* benign: a #GP follows, */
    run_pending(cpu);                                 /* then #DF, then shutdown */
    CHECK(cpu->triple_fault);
}

TEST_CASE(into_only_with_overflow)
{
    X86CPU *cpu = pm32(3);
    idt32(4, S_CODE0, 0x4444, 0xe, 3);
    EXPECT_OK(cpu, x86_helper_into(cpu, 0x5001, 0));
    CHECK_EQ(cpu->rip, 0x5000);                       /* nothing happened */
    x86_load_eflags(cpu, X86_EFLAGS_OF, X86_EFLAGS_OF);
    EXPECT_OK(cpu, x86_helper_into(cpu, 0x5001, 0));
    CHECK_EQ(cpu->rip, 0x4444);
    CHECK_EQ(pr32(0x9000 - 20), 0x5001);              /* trap: returns past INTO */
}

int main(void)
{
    RUN(real_mode_ivt_frame);
    RUN(real_mode_fault_ip);
    RUN(pm32_same_privilege_fault_frame);
    RUN(pm32_16bit_gate_pushes_words);
    RUN(pm32_inner_privilege_uses_tss_stack);
    RUN(pm32_tss_stack_checks);
    RUN(gate_dpl_applies_to_software_interrupts_only);
    RUN(broken_idt_entries);
    RUN(vm86_to_pl0_frame);
    RUN(vm86_handler_must_be_ring0);
    RUN(long_mode_frame_rsp0_and_alignment);
    RUN(long_mode_ist_and_same_privilege_alignment);
    RUN(long_mode_gate_checks);
    RUN(exception_classes_follow_table_6_5);
    RUN(fault_during_delivery_becomes_double_fault);
    RUN(page_fault_then_gp_is_double_fault_gp_then_pf_is_serial);
    RUN(triple_fault_requests_shutdown);
    RUN(into_only_with_overflow);
    TEST_EXIT();
}
