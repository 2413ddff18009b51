/*
 * Proves cpu/x86/mode.c and cpu.c against the SDM: the RESET state of
 * Table 9-1, the #GP rules of MOV to CR0/CR3/CR4/CR8, EFER and XSETBV, the
 * long-mode activation sequence, PAE PDPTE loading, the TLB flush each write
 * needs, DR6/DR7 fixed bits, and the translation flags of each mode.
 */
#include "x86_fake_env.h"

TEST_CASE(reset_state_is_table_9_1)
{
    X86CPU *cpu = fake_cpu("qemu64");
    CHECK_EQ(cpu->rip, 0xfff0);
    CHECK_EQ(cpu->segs[SEG_CS].selector, 0xf000);
    CHECK_EQ(cpu->segs[SEG_CS].base, 0xffff0000);
    CHECK_EQ(cpu->segs[SEG_CS].limit, 0xffff);
    CHECK_EQ(cpu->segs[SEG_DS].base, 0);
    CHECK_EQ(cpu->segs[SEG_SS].limit, 0xffff);
    CHECK_EQ(x86_compute_eflags(cpu), 0x2);
    CHECK_EQ(cpu->cr[0], 0x60000010);
    CHECK_EQ(cpu->cr[3], 0);
    CHECK_EQ(cpu->cr[4], 0);
    CHECK_EQ(cpu->regs[R_EDX], 0x6fb);          /* processor signature */
    CHECK_EQ(cpu->regs[R_EAX], 0);              /* BIST passed */
    CHECK_EQ(cpu->dr[6], 0xffff0ff0);
    CHECK_EQ(cpu->dr[7], 0x400);
    CHECK_EQ(cpu->gdt.limit, 0xffff);
    CHECK_EQ(cpu->idt.limit, 0xffff);
    CHECK_EQ(cpu->fpuc, 0x40);
    CHECK_EQ(cpu->mxcsr, 0x1f80);
    CHECK_EQ(cpu->efer, 0);
    CHECK_EQ(cpu->xcr0, 1);
    CHECK_EQ(cpu->msr.pat, 0x0007040600070406ull);
    CHECK_EQ(cpu->msr.apic_base, 0xfee00000 | (1u << 11) | (1u << 8));
    /* Real mode, CPL 0, 16-bit code and stack. */
    CHECK_EQ(cpu->hflags & (X86_HF_PE | X86_HF_CPL_MASK | X86_HF_CS32 | X86_HF_SS32), 0);
    CHECK(!(cpu->hflags & X86_HF_ADDSEG));  /* DS, ES, SS bases are 0 */
    CHECK(cpu->hflags & X86_HF_NOTFLAT);    /* 64 KiB limits */
}

TEST_CASE(regs_round_trip_through_x86regs)
{
    X86CPU *cpu = fake_cpu("qemu64");
    X86Regs r;
    x86_regs_flat32(&r, 0x100000);
    r.gpr[R_EBX] = 0x1234;
    r.rflags = 0x202 | X86_EFLAGS_CF | X86_EFLAGS_DF;
    x86_cpu_set_regs(cpu, &r);
    CHECK_EQ(cpu->rip, 0x100000);
    CHECK(cpu->hflags & X86_HF_PE);
    CHECK(cpu->hflags & X86_HF_CS32);
    CHECK(!(cpu->hflags & X86_HF_NOTFLAT));
    CHECK(!(cpu->hflags & X86_HF_ADDSEG));
    X86Regs back;
    x86_cpu_get_regs(cpu, &back);
    CHECK_EQ(back.rflags, r.rflags);
    CHECK_EQ(back.gpr[R_EBX], 0x1234);
    CHECK_EQ(back.seg[SEG_CS].selector, 0x10);
    CHECK_EQ(back.cr0, r.cr0);
    CHECK(memcmp(back.seg, r.seg, sizeof(r.seg)) == 0);
}

TEST_CASE(init_keeps_fpu_state_and_sipi_starts_ap)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->xmm[3].q[0] = 42;
    cpu->msr.mtrr_def_type = 0xc06;
    cpu->cpu_index = 1;
    cpu->msr.apic_base &= ~MSR_APIC_BASE_BSP;
    x86_cpu_init_signal(cpu);
    CHECK_EQ(cpu->xmm[3].q[0], 42);
    CHECK_EQ(cpu->msr.mtrr_def_type, 0xc06);
    CHECK(cpu->wait_for_sipi);
    x86_cpu_sipi(cpu, 0x9a);
    CHECK(!cpu->wait_for_sipi);
    CHECK_EQ(cpu->segs[SEG_CS].selector, 0x9a00);
    CHECK_EQ(cpu->segs[SEG_CS].base, 0x9a000);
    CHECK_EQ(cpu->rip, 0);
}

TEST_CASE(cr0_gp_rules)
{
    X86CPU *cpu = fake_cpu("qemu64");
    CHECK(!x86_set_cr0(cpu, CR0_PG | CR0_ET));            /* PG without PE */
    CHECK(!x86_set_cr0(cpu, CR0_PE | CR0_NW));            /* NW without CD */
    CHECK(!x86_set_cr0(cpu, (1ull << 32) | CR0_PE));      /* bits 63:32 */
    CHECK(x86_set_cr0(cpu, CR0_PE | (1u << 7)));          /* reserved low bits ignored */
    CHECK_EQ(cpu->cr[0], CR0_PE | CR0_ET);                /* ET reads 1 */
    CHECK(cpu->hflags & X86_HF_PE);
    /* The helper raises #GP(0) at CPL 0 for a bad value, and for any write at CPL 3. */
    EXPECT_EXC(cpu, x86_helper_write_cr(cpu, 0, CR0_PG, 0), X86_EXCP_GP, 0);
    cpu->segs[SEG_SS].flags |= SEGF_DPL(3);
    x86_update_hflags(cpu);
    EXPECT_EXC(cpu, x86_helper_write_cr(cpu, 0, CR0_PE, 0), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, x86_helper_read_cr(cpu, 0, 0), X86_EXCP_GP, 0);
}

TEST_CASE(long_mode_activation_sequence)
{
    X86CPU *cpu = fake_cpu("qemu64");
    CHECK(x86_set_cr0(cpu, CR0_PE | CR0_ET));
    CHECK(x86_set_efer(cpu, EFER_LME));
    CHECK_EQ(cpu->efer & EFER_LMA, 0);
    /* PG with LME but without PAE: #GP(0). */
    CHECK(!x86_set_cr0(cpu, CR0_PE | CR0_PG));
    CHECK(x86_set_cr4(cpu, CR4_PAE));
    CHECK(x86_set_cr3(cpu, 0x1000));
    fake_flush_all = 0;
    CHECK(x86_set_cr0(cpu, CR0_PE | CR0_PG));
    CHECK(cpu->efer & EFER_LMA);                  /* LMA = LME & PG */
    CHECK(fake_flush_all > 0);
    CHECK(cpu->hflags & X86_HF_LMA);
    CHECK(!(cpu->hflags & X86_HF_CS64));          /* compatibility mode until a far jump */
    /* In IA-32e mode: PAE cannot be cleared, LME cannot change. */
    CHECK(!x86_set_cr4(cpu, 0));
    CHECK(!x86_set_efer(cpu, 0));
    /* Into 64-bit code: clearing PG there is #GP. */
    cpu->segs[SEG_CS].flags |= SEGF_L;
    x86_update_hflags(cpu);
    CHECK(cpu->hflags & X86_HF_CS64);
    CHECK(!x86_set_cr0(cpu, CR0_PE));
    /* From compatibility mode it leaves IA-32e mode. */
    cpu->segs[SEG_CS].flags &= ~SEGF_L;
    CHECK(x86_set_cr0(cpu, CR0_PE));
    CHECK_EQ(cpu->efer & EFER_LMA, 0);
    /* Enabling paging from a CS with L set is refused. */
    cpu->segs[SEG_CS].flags |= SEGF_L;
    CHECK(!x86_set_cr0(cpu, CR0_PE | CR0_PG));
}

TEST_CASE(efer_rules)
{
    X86CPU *cpu = fake_cpu("qemu64");
    CHECK(!x86_set_efer(cpu, 1u << 1));               /* reserved */
    CHECK(!x86_set_efer(cpu, 1u << 12));              /* SVME: not offered */
    CHECK(x86_set_efer(cpu, EFER_SCE | EFER_NXE | EFER_LMA));
    CHECK_EQ(cpu->efer, EFER_SCE | EFER_NXE);         /* LMA write ignored */
    /* XD disable in MISC_ENABLE hides NX: NXE becomes reserved. */
    CHECK(x86_msr_write(cpu, MSR_IA32_MISC_ENABLE, cpu->msr.misc_enable | MSR_MISC_ENABLE_XD_DISABLE));
    CHECK_EQ(cpu->efer & EFER_NXE, 0);
    CHECK(!x86_set_efer(cpu, EFER_NXE));
    /* EFER through WRMSR at CPL 0. */
    cpu->regs[R_ECX] = MSR_EFER;
    cpu->regs[R_EAX] = 1u << 2;
    cpu->regs[R_EDX] = 0;
    EXPECT_EXC(cpu, x86_helper_wrmsr(cpu, 0), X86_EXCP_GP, 0);
}

TEST_CASE(cr4_rules)
{
    X86CPU *cpu = fake_cpu("qemu64");
    static const unsigned reserved_bits[] = { 0, 1, 3, 11, 12, 13, 14, 16, 17, 20, 21, 22, 23 };
    for (unsigned i = 0; i < sizeof(reserved_bits) / sizeof(reserved_bits[0]); i++) {
        CHECK(!x86_set_cr4(cpu, 1ull << reserved_bits[i]));
    }
    CHECK(x86_set_cr4(cpu, CR4_TSD | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE |
                           CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE));
    CHECK(cpu->hflags & X86_HF_OSFXSR);
    CHECK(cpu->hflags & X86_HF_OSXSAVE);
    /* Toggling PGE flushes everything, global pages too (Linux's global flush). */
    fake_flush_all = 0;
    CHECK(x86_set_cr4(cpu, cpu->cr[4] & ~CR4_PGE));
    CHECK_EQ(fake_flush_all, 1);
    /* A CR3 write flushes only non-global entries. */
    fake_flush_all = fake_flush_nonglobal = 0;
    CHECK(x86_set_cr3(cpu, 0x5000));
    CHECK_EQ(fake_flush_nonglobal, 1);
    CHECK_EQ(fake_flush_all, 0);
}

TEST_CASE(cr3_reserved_bits_in_long_mode)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->efer = EFER_LME | EFER_LMA;
    CHECK(x86_set_cr3(cpu, 0xfffffff000ull | 0x18));   /* below 2^40, PWT/PCD */
    CHECK(!x86_set_cr3(cpu, 1ull << 40));              /* above MAXPHYADDR */
    CHECK(!x86_set_cr3(cpu, 1ull << 63));              /* no PCID: bit 63 reserved */
}

TEST_CASE(pae_pdptes_load_and_reserved_bits)
{
    X86CPU *cpu = fake_cpu("qemu64");
    CHECK(x86_set_cr0(cpu, CR0_PE | CR0_ET));
    CHECK(x86_set_cr4(cpu, CR4_PAE));
    pw64(0x3000, 0x4001);
    pw64(0x3008, 0);                       /* not present: anything goes */
    pw64(0x3010, 0x5001);
    pw64(0x3018, 0xdead0000 | 6);          /* not present (P = 0) */
    CHECK(x86_set_cr3(cpu, 0x3000));
    CHECK(x86_set_cr0(cpu, CR0_PE | CR0_PG));
    CHECK_EQ(cpu->pdpte[0], 0x4001);
    CHECK_EQ(cpu->pdpte[2], 0x5001);
    /* Present with reserved bit 1: MOV CR3 #GP, state unchanged. */
    pw64(0x6000, 0x4001 | 2);
    CHECK(!x86_set_cr3(cpu, 0x6000));
    CHECK_EQ(cpu->cr[3], 0x3000);
    /* Bits above MAXPHYADDR (40) are reserved too. */
    pw64(0x6000, 0x4001 | (1ull << 45));
    CHECK(!x86_set_cr3(cpu, 0x6000));
    /* CR3 written in memory after the load is not seen until the next load. */
    pw64(0x3000, 0x7001);
    CHECK_EQ(cpu->pdpte[0], 0x4001);
}

TEST_CASE(cr8_xcr0_dr_rules)
{
    X86CPU *cpu = fake_cpu("qemu64");
    CHECK(x86_set_cr8(cpu, 15));
    CHECK(!x86_set_cr8(cpu, 16));
    CHECK_EQ(x86_get_cr8(cpu), 15);
    /* XSETBV: #UD without CR4.OSXSAVE; x87 must stay set; only bits 0-1 exist. */
    EXPECT_EXC(cpu, x86_helper_xsetbv(cpu, 0, 3, 0), X86_EXCP_UD, 0);
    CHECK(x86_set_cr4(cpu, CR4_OSXSAVE));
    EXPECT_EXC(cpu, x86_helper_xsetbv(cpu, 0, 2, 0), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, x86_helper_xsetbv(cpu, 0, 7, 0), X86_EXCP_GP, 0);     /* AVX: not offered */
    EXPECT_EXC(cpu, x86_helper_xsetbv(cpu, 1, 1, 0), X86_EXCP_GP, 0);
    EXPECT_OK(cpu, x86_helper_xsetbv(cpu, 0, 3, 0));
    uint64_t v = 0;
    EXPECT_OK(cpu, v = x86_helper_xgetbv(cpu, 0, 0));
    CHECK_EQ(v, 3);
    /* DR6/DR7 fixed bits; DR4/DR5 alias DR6/DR7; 64-bit upper halves #GP. */
    EXPECT_OK(cpu, x86_helper_write_dr(cpu, 6, 0, 0));
    CHECK_EQ(cpu->dr[6], 0xffff0ff0);
    EXPECT_OK(cpu, x86_helper_write_dr(cpu, 5, 0, 0));
    CHECK_EQ(cpu->dr[7], 0x400);
    EXPECT_OK(cpu, v = x86_helper_read_dr(cpu, 4, 0));
    CHECK_EQ(v, 0xffff0ff0);
    cpu->segs[SEG_CS].flags |= SEGF_L;
    cpu->efer |= EFER_LMA;
    x86_update_hflags(cpu);
    EXPECT_EXC(cpu, x86_helper_write_dr(cpu, 7, 1ull << 32, 0), X86_EXCP_GP, 0);
}

TEST_CASE(lmsw_cannot_clear_pe_and_clts)
{
    X86CPU *cpu = fake_cpu("qemu64");
    EXPECT_OK(cpu, x86_helper_lmsw(cpu, 0xf, 0));
    CHECK_EQ(cpu->cr[0] & 0xf, 0xf);
    EXPECT_OK(cpu, x86_helper_lmsw(cpu, 0x0, 0));
    CHECK_EQ(cpu->cr[0] & 0xf, CR0_PE);
    CHECK(!(cpu->hflags & X86_HF_TS));
    EXPECT_OK(cpu, x86_helper_lmsw(cpu, 0x8, 0));
    CHECK(cpu->hflags & X86_HF_TS);
    EXPECT_OK(cpu, x86_helper_clts(cpu, 0));
    CHECK_EQ(cpu->cr[0] & CR0_TS, 0);
    CHECK(!(cpu->hflags & X86_HF_TS));
}

TEST_CASE(hflags_per_mode)
{
    X86CPU *cpu = fake_cpu("qemu64");
    X86Regs r;
    x86_regs_flat32(&r, 0);
    x86_cpu_set_regs(cpu, &r);
    CHECK_EQ(cpu->hflags & (X86_HF_PE | X86_HF_CS32 | X86_HF_SS32 | X86_HF_CPL_MASK),
             X86_HF_PE | X86_HF_CS32 | X86_HF_SS32);
    CHECK_EQ(x86_hf_code_size(cpu->hflags), 4);
    /* VM86: CPL 3, 16-bit. */
    x86_load_eflags(cpu, X86_EFLAGS_VM, X86_EFLAGS_VM);
    CHECK(cpu->hflags & X86_HF_VM);
    CHECK_EQ(cpu->hflags & X86_HF_CPL_MASK, 3);
    x86_load_eflags(cpu, 0, X86_EFLAGS_VM);
    /* 64-bit mode: CS.L with LMA; base/limit checks off whatever DS holds. */
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->segs[SEG_CS].flags = (cpu->segs[SEG_CS].flags & ~SEGF_DB) | SEGF_L;
    cpu->segs[SEG_DS].base = 0x1000;
    x86_update_hflags(cpu);
    CHECK(cpu->hflags & X86_HF_CS64);
    CHECK(!(cpu->hflags & X86_HF_CS32));
    CHECK_EQ(x86_hf_code_size(cpu->hflags), 8);
    CHECK(!(cpu->hflags & (X86_HF_ADDSEG | X86_HF_NOTFLAT)));
    /* Compatibility mode with a DS base: bases added. */
    cpu->segs[SEG_CS].flags = (cpu->segs[SEG_CS].flags & ~SEGF_L) | SEGF_DB;
    x86_update_hflags(cpu);
    CHECK(cpu->hflags & X86_HF_LMA);
    CHECK(cpu->hflags & X86_HF_CS32);
    CHECK(cpu->hflags & X86_HF_ADDSEG);
    /* Alignment checks need CR0.AM, EFLAGS.AC and CPL 3. */
    cpu->cr[0] |= CR0_AM;
    x86_load_eflags(cpu, X86_EFLAGS_AC, X86_EFLAGS_AC);
    CHECK(!(cpu->hflags & X86_HF_AC));
    cpu->segs[SEG_SS].flags |= SEGF_DPL(3);
    x86_update_hflags(cpu);
    CHECK(cpu->hflags & X86_HF_AC);
}

TEST_CASE(invlpg_reports_page_flush)
{
    X86CPU *cpu = fake_cpu("qemu64");
    EXPECT_OK(cpu, x86_helper_invlpg(cpu, 0x1234000, 0));
    CHECK_EQ(fake_flush_page, 1);
}

int main(void)
{
    RUN(reset_state_is_table_9_1);
    RUN(regs_round_trip_through_x86regs);
    RUN(init_keeps_fpu_state_and_sipi_starts_ap);
    RUN(cr0_gp_rules);
    RUN(long_mode_activation_sequence);
    RUN(efer_rules);
    RUN(cr4_rules);
    RUN(cr3_reserved_bits_in_long_mode);
    RUN(pae_pdptes_load_and_reserved_bits);
    RUN(cr8_xcr0_dr_rules);
    RUN(lmsw_cannot_clear_pe_and_clts);
    RUN(hflags_per_mode);
    RUN(invlpg_reports_page_flush);
    TEST_EXIT();
}
