/*
 * Proves cpu/x86/transfer.c against SDM vol. 2 (IRET, CALL, JMP, RET,
 * SYSCALL, SYSRET, SYSENTER, SYSEXIT, SWAPGS): IRET back to ring 3, to VM86,
 * in 64-bit mode; the EFLAGS IRET may change at each CPL; far calls through
 * call gates with a stack switch and parameter copy; far JMP/RET rules; the
 * fast system call instructions' segment and flag results.
 */
#include "x86_test_modes.h"

static void push32(X86CPU *cpu, uint32_t v)
{
    cpu->regs[R_ESP] -= 4;
    pw32(cpu->regs[R_ESP], v);
}

static void push64(X86CPU *cpu, uint64_t v)
{
    cpu->regs[R_ESP] -= 8;
    pw64(cpu->regs[R_ESP], v);
}

TEST_CASE(iret_to_ring3_nulls_kernel_data_segments)
{
    X86CPU *cpu = pm32(0);
    set_seg(cpu, SEG_ES, S_DATA3 | 3, false, 3, false);
    cpu->nmi_blocked = true;
    push32(cpu, S_DATA3 | 3);                  /* SS */
    push32(cpu, 0x8000);                       /* ESP */
    push32(cpu, 0x2 | X86_EFLAGS_IF | X86_EFLAGS_IOPL | X86_EFLAGS_CF);
    push32(cpu, S_CODE3 | 3);                  /* CS */
    push32(cpu, 0x1234);                       /* EIP */
    EXPECT_OK(cpu, x86_helper_iret(cpu, 4, 0));
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->rip, 0x1234);
    CHECK_EQ(cpu->regs[R_ESP], 0x8000);
    CHECK_EQ(cpu->segs[SEG_SS].selector, S_DATA3 | 3);
    CHECK_EQ(cpu->segs[SEG_CS].selector, S_CODE3 | 3);
    CHECK_EQ(x86_compute_eflags(cpu), 0x2 | X86_EFLAGS_IF | X86_EFLAGS_IOPL | X86_EFLAGS_CF);
    CHECK_EQ(cpu->segs[SEG_DS].selector, 0);   /* DPL 0 data: nulled */
    CHECK_EQ(cpu->segs[SEG_ES].selector, S_DATA3 | 3);
    CHECK(!cpu->nmi_blocked);
}

TEST_CASE(iret_at_cpl3_keeps_iopl_and_if)
{
    X86CPU *cpu = pm32(3);
    push32(cpu, 0x2 | X86_EFLAGS_IOPL | X86_EFLAGS_ZF);   /* IF = 0 requested */
    push32(cpu, S_CODE3 | 3);
    push32(cpu, 0x4321);
    EXPECT_OK(cpu, x86_helper_iret(cpu, 4, 0));
    uint32_t f = x86_compute_eflags(cpu);
    CHECK_EQ(f & X86_EFLAGS_IOPL, 0);
    CHECK(f & X86_EFLAGS_IF);
    CHECK(f & X86_EFLAGS_ZF);
    CHECK_EQ(cpu->regs[R_ESP], 0x8000);        /* no SS:ESP popped at the same level */
    /* Returning to a more privileged level is #GP(selector). */
    cpu = pm32(3);
    push32(cpu, 0x2);
    push32(cpu, S_CODE0);
    push32(cpu, 0x4321);
    EXPECT_EXC(cpu, x86_helper_iret(cpu, 4, 0), X86_EXCP_GP, S_CODE0);
}

TEST_CASE(iret_to_vm86)
{
    X86CPU *cpu = pm32(0);
    push32(cpu, 0x6000);                       /* GS */
    push32(cpu, 0x5000);                       /* FS */
    push32(cpu, 0x4000);                       /* DS */
    push32(cpu, 0x3000);                       /* ES */
    push32(cpu, 0x2000);                       /* SS */
    push32(cpu, 0x200);                        /* ESP */
    push32(cpu, 0x2 | X86_EFLAGS_VM | X86_EFLAGS_IF);
    push32(cpu, 0x1000);                       /* CS */
    push32(cpu, 0x100);                        /* EIP */
    EXPECT_OK(cpu, x86_helper_iret(cpu, 4, 0));
    CHECK(cpu->hflags & X86_HF_VM);
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->rip, 0x100);
    CHECK_EQ(cpu->regs[R_ESP], 0x200);
    CHECK_EQ(cpu->segs[SEG_CS].base, 0x10000);
    CHECK_EQ(cpu->segs[SEG_SS].base, 0x20000);
    CHECK_EQ(cpu->segs[SEG_ES].base, 0x30000);
    CHECK_EQ(cpu->segs[SEG_DS].base, 0x40000);
    CHECK_EQ(cpu->segs[SEG_GS].base, 0x60000);
    CHECK_EQ(cpu->segs[SEG_SS].limit, 0xffff);
    CHECK(!(cpu->hflags & (X86_HF_CS32 | X86_HF_SS32)));
    /* Now in VM86 with IOPL 0: IRET is #GP(0). */
    EXPECT_EXC(cpu, x86_helper_iret(cpu, 2, 0), X86_EXCP_GP, 0);
    /* With IOPL 3 it pops like real mode and keeps IOPL. */
    cpu->eflags |= X86_EFLAGS_IOPL;
    x86_update_hflags(cpu);
    pw16(0x20000 + 0x200 - 2, 0x0002);         /* FLAGS: IOPL 0 requested */
    pw16(0x20000 + 0x200 - 4, 0x1100);         /* CS */
    pw16(0x20000 + 0x200 - 6, 0x0042);         /* IP */
    cpu->regs[R_ESP] = 0x200 - 6;
    EXPECT_OK(cpu, x86_helper_iret(cpu, 2, 0));
    CHECK_EQ(cpu->rip, 0x42);
    CHECK_EQ(cpu->segs[SEG_CS].base, 0x11000);
    CHECK_EQ(cpu->eflags & X86_EFLAGS_IOPL, X86_EFLAGS_IOPL);
    CHECK(cpu->hflags & X86_HF_VM);
}

TEST_CASE(iret_vm_bit_ignored_below_cpl0_and_nt_unimplemented)
{
    X86CPU *cpu = pm32(3);
    push32(cpu, 0x2 | X86_EFLAGS_VM);
    push32(cpu, S_CODE3 | 3);
    push32(cpu, 0x10);
    EXPECT_OK(cpu, x86_helper_iret(cpu, 4, 0));
    CHECK(!(cpu->hflags & X86_HF_VM));
    CHECK_EQ(cpu->regs[R_ESP], 0x8000);
    cpu = pm32(0);
    x86_load_eflags(cpu, X86_EFLAGS_NT, X86_EFLAGS_NT);
    EXPECT_EXC(cpu, x86_helper_iret(cpu, 4, 0), X86_EXCP_GP, 0);
}

TEST_CASE(iret_real_mode)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->regs[R_ESP] = 0x100;
    pw16(0x100, 0x1234);
    pw16(0x102, 0x2000);
    pw16(0x104, 0x0002 | X86_EFLAGS_IF | X86_EFLAGS_DF);
    EXPECT_OK(cpu, x86_helper_iret(cpu, 2, 0));
    CHECK_EQ(cpu->rip, 0x1234);
    CHECK_EQ(cpu->segs[SEG_CS].base, 0x20000);
    CHECK_EQ(cpu->regs[R_ESP], 0x106);
    CHECK_EQ(x86_compute_eflags(cpu), 0x2 | X86_EFLAGS_IF | X86_EFLAGS_DF);
}

TEST_CASE(iretq_always_pops_ss_rsp)
{
    X86CPU *cpu = lm64(0);
    cpu->regs[R_ESP] = 0x9000;
    push64(cpu, S_DATA64);
    push64(cpu, 0x7770);
    push64(cpu, 0x2);
    push64(cpu, S_CODE64);
    push64(cpu, 0xffffffff80000123ull);
    EXPECT_OK(cpu, x86_helper_iret(cpu, 8, 0));
    CHECK_EQ(cpu->rip, 0xffffffff80000123ull);
    CHECK_EQ(cpu->regs[R_ESP], 0x7770);
    /* To ring 0 64-bit code with a null SS: allowed. */
    cpu->regs[R_ESP] = 0x9000;
    push64(cpu, 0);
    push64(cpu, 0x6660);
    push64(cpu, 0x2);
    push64(cpu, S_CODE64);
    push64(cpu, 0x1000);
    EXPECT_OK(cpu, x86_helper_iret(cpu, 8, 0));
    CHECK_EQ(cpu->segs[SEG_SS].selector, 0);
    CHECK_EQ(x86_cpl(cpu), 0);
    /* To ring 3 with a null SS: #GP(0). */
    cpu->regs[R_ESP] = 0x9000;
    push64(cpu, 3);
    push64(cpu, 0x6660);
    push64(cpu, 0x2);
    push64(cpu, S_CODE3_64 | 3);
    push64(cpu, 0x1000);
    EXPECT_EXC(cpu, x86_helper_iret(cpu, 8, 0), X86_EXCP_GP, 0);
    /* Non-canonical RIP: #GP(0). */
    cpu->regs[R_ESP] = 0x9000;
    push64(cpu, S_DATA64);
    push64(cpu, 0x6660);
    push64(cpu, 0x2);
    push64(cpu, S_CODE64);
    push64(cpu, 0x0000800000000000ull);
    EXPECT_EXC(cpu, x86_helper_iret(cpu, 8, 0), X86_EXCP_GP, 0);
}

TEST_CASE(iretq_to_compat_mode_ring3)
{
    X86CPU *cpu = lm64(0);
    cpu->regs[R_ESP] = 0x9000;
    push64(cpu, S_DATA3 | 3);
    push64(cpu, 0xffff8000ull);
    push64(cpu, 0x202);
    push64(cpu, S_CODE3 | 3);                   /* 32-bit code */
    push64(cpu, 0x08048000);
    EXPECT_OK(cpu, x86_helper_iret(cpu, 8, 0));
    CHECK(cpu->hflags & X86_HF_LMA);
    CHECK(!(cpu->hflags & X86_HF_CS64));
    CHECK(cpu->hflags & X86_HF_CS32);
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->regs[R_ESP], 0xffff8000ull);
}

TEST_CASE(call_gate_with_stack_switch_copies_parameters)
{
    X86CPU *cpu = pm32(3);
    push32(cpu, 0x22222222);                   /* second parameter */
    push32(cpu, 0x11111111);                   /* first parameter (lowest address) */
    uint32_t caller_esp = (uint32_t)cpu->regs[R_ESP];
    EXPECT_OK(cpu, x86_helper_lcall(cpu, S_CALL32 | 3, 0xdead, 4, 0x5007, 0));
    CHECK_EQ(x86_cpl(cpu), 0);
    CHECK_EQ(cpu->rip, 0x6000);                /* the gate's offset, not the operand */
    CHECK_EQ(cpu->segs[SEG_CS].selector, S_CODE0);
    CHECK_EQ(cpu->segs[SEG_SS].selector, S_DATA0);
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 24);
    CHECK_EQ(pr32(0x9000 - 4), S_DATA3 | 3);
    CHECK_EQ(pr32(0x9000 - 8), caller_esp);
    CHECK_EQ(pr32(0x9000 - 12), 0x22222222);
    CHECK_EQ(pr32(0x9000 - 16), 0x11111111);
    CHECK_EQ(pr32(0x9000 - 20), S_CODE3 | 3);
    CHECK_EQ(pr32(0x9000 - 24), 0x5007);
    /* RET 8 back to ring 3 drops the parameters from the caller's stack. */
    set_seg(cpu, SEG_DS, S_DATA0, false, 0, false);
    EXPECT_OK(cpu, x86_helper_lret(cpu, 4, 8, 0));
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->rip, 0x5007);
    CHECK_EQ(cpu->regs[R_ESP], caller_esp + 8);
    CHECK_EQ(cpu->segs[SEG_SS].selector, S_DATA3 | 3);
    CHECK_EQ(cpu->segs[SEG_DS].selector, 0);   /* kernel DS dropped on the way out */
}

TEST_CASE(call_gate_checks)
{
    X86CPU *cpu = pm32(3);
    /* Gate DPL 3 < ... fine; a gate of DPL 0 from CPL 3: #GP(gate). */
    pw64(GDT + S_CALL32, gate_desc(S_CODE0, 0x6000, 0xc, 0, 0));
    EXPECT_EXC(cpu, x86_helper_lcall(cpu, S_CALL32 | 3, 0, 4, 0, 0), X86_EXCP_GP, S_CALL32);
    /* Not present gate: #NP(gate). */
    pw64(GDT + S_CALL32, gate_desc(S_CODE0, 0x6000, 0xc, 3, 0) & ~(1ull << 47));
    EXPECT_EXC(cpu, x86_helper_lcall(cpu, S_CALL32 | 3, 0, 4, 0, 0), X86_EXCP_NP, S_CALL32);
    /* JMP through a gate to more privileged non-conforming code: #GP(target). */
    pw64(GDT + S_CALL32, gate_desc(S_CODE0, 0x6000, 0xc, 3, 0));
    EXPECT_EXC(cpu, x86_helper_ljmp(cpu, S_CALL32 | 3, 0, 4, 0, 0), X86_EXCP_GP, S_CODE0);
    CHECK_EQ(x86_cpl(cpu), 3);
}

TEST_CASE(far_jmp_rules)
{
    X86CPU *cpu = pm32(3);
    EXPECT_EXC(cpu, x86_helper_ljmp(cpu, S_CODE0 | 3, 0x100, 4, 0, 0), X86_EXCP_GP, S_CODE0);
    EXPECT_EXC(cpu, x86_helper_ljmp(cpu, S_DATA3 | 3, 0x100, 4, 0, 0), X86_EXCP_GP, S_DATA3);
    EXPECT_EXC(cpu, x86_helper_ljmp(cpu, 0, 0x100, 4, 0, 0), X86_EXCP_GP, 0);
    /* Conforming code: CPL stays 3, CS.RPL becomes 3. */
    EXPECT_OK(cpu, x86_helper_ljmp(cpu, S_CONF0, 0x100, 4, 0, 0));
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->segs[SEG_CS].selector, S_CONF0 | 3);
    CHECK_EQ(cpu->rip, 0x100);
    /* Beyond the limit: #GP(0). */
    cpu = pm32(0);
    pw64(GDT + S_CODE0, seg_desc(0, 0xfff, 0x9a, 0x4));
    EXPECT_EXC(cpu, x86_helper_ljmp(cpu, S_CODE0, 0x1000, 4, 0, 0), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, x86_helper_ljmp(cpu, S_CODE_NP, 0x10, 4, 0, 0), X86_EXCP_NP, S_CODE_NP);
    /* 16-bit operand size truncates the offset before the limit check. */
    EXPECT_OK(cpu, x86_helper_ljmp(cpu, S_CODE0, 0x10ff0, 2, 0, 0));
    CHECK_EQ(cpu->rip, 0xff0);
}

TEST_CASE(far_call_same_privilege_and_real_mode)
{
    X86CPU *cpu = pm32(0);
    EXPECT_OK(cpu, x86_helper_lcall(cpu, S_CODE0, 0x7777, 4, 0x5005, 0));
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 8);
    CHECK_EQ(pr32(0x9000 - 4), S_CODE0);
    CHECK_EQ(pr32(0x9000 - 8), 0x5005);
    CHECK_EQ(cpu->rip, 0x7777);
    cpu = fake_cpu("qemu64");
    cpu->regs[R_ESP] = 0x400;
    x86_load_seg_real(cpu, SEG_CS, 0x1000);
    EXPECT_OK(cpu, x86_helper_lcall(cpu, 0x2000, 0x10, 2, 0x55, 0));
    CHECK_EQ(pr16(0x3fe), 0x1000);
    CHECK_EQ(pr16(0x3fc), 0x55);
    CHECK_EQ(cpu->segs[SEG_CS].base, 0x20000);
    EXPECT_OK(cpu, x86_helper_lret(cpu, 2, 0, 0));
    CHECK_EQ(cpu->segs[SEG_CS].selector, 0x1000);
    CHECK_EQ(cpu->rip, 0x55);
    CHECK_EQ(cpu->regs[R_ESP], 0x400);
}

TEST_CASE(call_gate_64bit)
{
    X86CPU *cpu = lm64(3);
    EXPECT_OK(cpu, x86_helper_lcall(cpu, S_CALL64 | 3, 0, 8, 0x400007, 0));
    CHECK_EQ(x86_cpl(cpu), 0);
    CHECK_EQ(cpu->rip, CALL64_TARGET);
    CHECK_EQ(cpu->segs[SEG_SS].selector, 0);   /* null SS with RPL 0 */
    CHECK_EQ(cpu->regs[R_ESP], 0x9000 - 32);
    CHECK_EQ(pr64(0x9000 - 8), S_DATA3 | 3);
    CHECK_EQ(pr64(0x9000 - 16), 0x8003);
    CHECK_EQ(pr64(0x9000 - 24), S_CODE3_64 | 3);
    CHECK_EQ(pr64(0x9000 - 32), 0x400007);
    /* RETF (REX.W) back to ring 3 64-bit code. */
    EXPECT_OK(cpu, x86_helper_lret(cpu, 8, 0, 0));
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->regs[R_ESP], 0x8003);
    CHECK_EQ(cpu->rip, 0x400007);
    CHECK(cpu->hflags & X86_HF_CS64);
}

TEST_CASE(syscall_sysret_64)
{
    X86CPU *cpu = lm64(3);
    cpu->efer |= EFER_SCE;
    cpu->msr.star = (0x23ull << 48) | (0x10ull << 32);
    cpu->msr.lstar = 0xffffffff81000000ull;
    cpu->msr.fmask = X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_AC;
    x86_load_eflags(cpu, X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_CF, 0xffffffff);
    EXPECT_OK(cpu, x86_helper_syscall(cpu, 0x400010, 0));
    CHECK_EQ(cpu->regs[R_ECX], 0x400010);
    CHECK_EQ(cpu->regs[R_R11], 0x2 | X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_CF);
    CHECK_EQ(x86_compute_eflags(cpu), 0x2 | X86_EFLAGS_CF);
    CHECK_EQ(cpu->rip, 0xffffffff81000000ull);
    CHECK_EQ(cpu->segs[SEG_CS].selector, 0x10);
    CHECK_EQ(cpu->segs[SEG_SS].selector, 0x18);
    CHECK_EQ(x86_cpl(cpu), 0);
    CHECK(cpu->hflags & X86_HF_CS64);
    /* SYSRET to 64-bit: CS = STAR[63:48] + 16, SS = + 8, RPL 3; RFLAGS from R11. */
    cpu->regs[R_R11] = 0x2 | X86_EFLAGS_IF | X86_EFLAGS_RF | X86_EFLAGS_VM | X86_EFLAGS_ZF;
    EXPECT_OK(cpu, x86_helper_sysret(cpu, 8, 0));
    CHECK_EQ(cpu->segs[SEG_CS].selector, 0x33);
    CHECK_EQ(cpu->segs[SEG_SS].selector, 0x2b);
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->rip, 0x400010);
    CHECK_EQ(x86_compute_eflags(cpu), 0x2 | X86_EFLAGS_IF | X86_EFLAGS_ZF);   /* no RF, VM */
    /* SYSRET at CPL 3: #GP(0). */
    EXPECT_EXC(cpu, x86_helper_sysret(cpu, 8, 0), X86_EXCP_GP, 0);
}

TEST_CASE(sysret_checks_rcx_and_compat_return)
{
    X86CPU *cpu = lm64(0);
    cpu->efer |= EFER_SCE;
    cpu->msr.star = (0x23ull << 48) | (0x10ull << 32);
    cpu->regs[R_ECX] = 0x0000800000000000ull;
    EXPECT_EXC(cpu, x86_helper_sysret(cpu, 8, 0), X86_EXCP_GP, 0);
    CHECK_EQ(x86_cpl(cpu), 0);                 /* the #GP is taken in ring 0 */
    cpu->regs[R_ECX] = 0x1234567808048000ull;
    EXPECT_OK(cpu, x86_helper_sysret(cpu, 4, 0));
    CHECK_EQ(cpu->segs[SEG_CS].selector, 0x23);
    CHECK_EQ(cpu->rip, 0x08048000);
    CHECK(!(cpu->hflags & X86_HF_CS64));
    CHECK(cpu->hflags & X86_HF_CS32);
    /* SYSCALL outside 64-bit mode is #UD on Intel; so is SYSCALL without SCE. */
    EXPECT_EXC(cpu, x86_helper_syscall(cpu, 0, 0), X86_EXCP_UD, 0);
    cpu = lm64(3);
    EXPECT_EXC(cpu, x86_helper_syscall(cpu, 0, 0), X86_EXCP_UD, 0);
}

TEST_CASE(syscall_from_compat_mode_with_amd_rule)
{
    /* Off on our Intel models; the AMD rule enters at CSTAR in 64-bit mode. */
    X86CPU *cpu = lm64(3);
    set_seg(cpu, SEG_CS, S_CODE3 | 3, true, 3, false);
    x86_update_hflags(cpu);
    cpu->syscall_compat = true;
    cpu->efer |= EFER_SCE;
    cpu->msr.star = (0x23ull << 48) | (0x10ull << 32);
    cpu->msr.cstar = 0xffffffff81000100ull;
    EXPECT_OK(cpu, x86_helper_syscall(cpu, 0x08048010, 0));
    CHECK_EQ(cpu->rip, 0xffffffff81000100ull);
    CHECK_EQ(cpu->regs[R_ECX], 0x08048010);
    CHECK(cpu->hflags & X86_HF_CS64);
    CHECK_EQ(x86_cpl(cpu), 0);
}

TEST_CASE(sysenter_sysexit)
{
    X86CPU *cpu = pm32(3);
    EXPECT_EXC(cpu, x86_helper_sysenter(cpu, 0), X86_EXCP_GP, 0);   /* SYSENTER_CS = 0 */
    cpu->msr.sysenter_cs = S_CODE0;
    cpu->msr.sysenter_esp = 0x9000;
    cpu->msr.sysenter_eip = 0xc0001000;
    EXPECT_OK(cpu, x86_helper_sysenter(cpu, 0));
    CHECK_EQ(cpu->segs[SEG_CS].selector, S_CODE0);
    CHECK_EQ(cpu->segs[SEG_SS].selector, S_DATA0);
    CHECK_EQ(x86_cpl(cpu), 0);
    CHECK_EQ(cpu->rip, 0xc0001000);
    CHECK_EQ(cpu->regs[R_ESP], 0x9000);
    CHECK_EQ(cpu->eflags & X86_EFLAGS_IF, 0);
    CHECK(cpu->hflags & X86_HF_CS32);
    cpu->regs[R_ECX] = 0x7000;
    cpu->regs[R_EDX] = 0x8048123;
    EXPECT_OK(cpu, x86_helper_sysexit(cpu, 4, 0));
    CHECK_EQ(cpu->segs[SEG_CS].selector, S_CODE0 + 16 + 3);
    CHECK_EQ(cpu->segs[SEG_SS].selector, S_CODE0 + 24 + 3);
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->rip, 0x8048123);
    CHECK_EQ(cpu->regs[R_ESP], 0x7000);
    EXPECT_EXC(cpu, x86_helper_sysexit(cpu, 4, 0), X86_EXCP_GP, 0);   /* CPL 3 */
    /* 64-bit SYSEXIT: CS + 32, SS + 40, L = 1. */
    cpu = lm64(0);
    cpu->msr.sysenter_cs = S_CODE0;
    cpu->regs[R_ECX] = 0x7fff0000;
    cpu->regs[R_EDX] = 0x400000;
    EXPECT_OK(cpu, x86_helper_sysexit(cpu, 8, 0));
    CHECK_EQ(cpu->segs[SEG_CS].selector, S_CODE0 + 32 + 3);
    CHECK_EQ(cpu->segs[SEG_SS].selector, S_CODE0 + 40 + 3);
    CHECK(cpu->hflags & X86_HF_CS64);
}

TEST_CASE(swapgs)
{
    X86CPU *cpu = lm64(0);
    cpu->segs[SEG_GS].base = 0x1111;
    cpu->msr.kernel_gs_base = 0xffff888000000000ull;
    EXPECT_OK(cpu, x86_helper_swapgs(cpu, 0));
    CHECK_EQ(cpu->segs[SEG_GS].base, 0xffff888000000000ull);
    CHECK_EQ(cpu->msr.kernel_gs_base, 0x1111);
    cpu = lm64(3);
    EXPECT_EXC(cpu, x86_helper_swapgs(cpu, 0), X86_EXCP_GP, 0);
    cpu = pm32(0);
    EXPECT_EXC(cpu, x86_helper_swapgs(cpu, 0), X86_EXCP_UD, 0);
}

int main(void)
{
    RUN(iret_to_ring3_nulls_kernel_data_segments);
    RUN(iret_at_cpl3_keeps_iopl_and_if);
    RUN(iret_to_vm86);
    RUN(iret_vm_bit_ignored_below_cpl0_and_nt_unimplemented);
    RUN(iret_real_mode);
    RUN(iretq_always_pops_ss_rsp);
    RUN(iretq_to_compat_mode_ring3);
    RUN(call_gate_with_stack_switch_copies_parameters);
    RUN(call_gate_checks);
    RUN(far_jmp_rules);
    RUN(far_call_same_privilege_and_real_mode);
    RUN(call_gate_64bit);
    RUN(syscall_sysret_64);
    RUN(sysret_checks_rcx_and_compat_return);
    RUN(syscall_from_compat_mode_with_amd_rule);
    RUN(sysenter_sysexit);
    RUN(swapgs);
    TEST_EXIT();
}
