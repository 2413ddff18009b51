/*
 * Proves cpu/x86/msr.c against SDM vol. 4 and vol. 3 ch. 11/17: reserved
 * bits and read-only MSRs give #GP, canonical checks on address MSRs, PAT
 * and MTRR memory-type validation, the TSC as virtual time plus an offset,
 * RDMSR/WRMSR/RDTSC privilege, and unknown MSRs.
 */
#include "x86_fake_env.h"

static bool rd(X86CPU *cpu, uint32_t i, uint64_t *v)
{
    return x86_msr_read(cpu, i, v);
}

static bool wr(X86CPU *cpu, uint32_t i, uint64_t v)
{
    return x86_msr_write(cpu, i, v);
}

TEST_CASE(unknown_msrs_gp)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint64_t v;
    CHECK(!rd(cpu, 0x12345, &v));
    CHECK(!wr(cpu, 0x12345, 0));
    CHECK(!rd(cpu, 0x3b, &v));                       /* TSC_ADJUST: not offered */
    CHECK(!rd(cpu, 0x802, &v));                      /* x2APIC: not offered */
    cpu->regs[R_ECX] = 0x12345;
    EXPECT_EXC(cpu, x86_helper_rdmsr(cpu, 0), X86_EXCP_GP, 0);
}

TEST_CASE(rdmsr_wrmsr_need_cpl0)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->regs[R_ECX] = MSR_IA32_PAT;
    EXPECT_OK(cpu, x86_helper_rdmsr(cpu, 0));
    CHECK_EQ(cpu->regs[R_EAX], 0x00070406);
    CHECK_EQ(cpu->regs[R_EDX], 0x00070406);
    cpu->cr[0] |= CR0_PE;
    cpu->segs[SEG_SS].flags |= SEGF_DPL(3);
    x86_update_hflags(cpu);
    EXPECT_EXC(cpu, x86_helper_rdmsr(cpu, 0), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, x86_helper_wrmsr(cpu, 0), X86_EXCP_GP, 0);
}

TEST_CASE(syscall_msrs_and_canonical_checks)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint64_t v;
    CHECK(wr(cpu, MSR_STAR, 0x0023001000000000ull));
    CHECK(wr(cpu, MSR_LSTAR, 0xffffffff81000000ull));
    CHECK(!wr(cpu, MSR_LSTAR, 0x0000800000000000ull));
    CHECK(!wr(cpu, MSR_CSTAR, 0x8000000000000000ull));
    CHECK(wr(cpu, MSR_FMASK, 0x47700));
    CHECK(!wr(cpu, MSR_FMASK, 1ull << 32));
    CHECK(rd(cpu, MSR_LSTAR, &v));
    CHECK_EQ(v, 0xffffffff81000000ull);
    /* FS/GS base are the segment bases. */
    CHECK(wr(cpu, MSR_FS_BASE, 0x7f0000001000ull));
    CHECK_EQ(cpu->segs[SEG_FS].base, 0x7f0000001000ull);
    cpu->segs[SEG_GS].base = 0x1234;
    CHECK(rd(cpu, MSR_GS_BASE, &v));
    CHECK_EQ(v, 0x1234);
    CHECK(!wr(cpu, MSR_KERNEL_GS_BASE, 0x0001000000000000ull));
    CHECK(!wr(cpu, MSR_IA32_SYSENTER_EIP, 0x0000800000000000ull));
    CHECK(wr(cpu, MSR_IA32_SYSENTER_CS, 0x10));
}

TEST_CASE(pat_and_mtrr_types)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint64_t v;
    CHECK(rd(cpu, MSR_IA32_PAT, &v));
    CHECK_EQ(v, 0x0007040600070406ull);
    CHECK(wr(cpu, MSR_IA32_PAT, 0x0007010600070106ull));   /* WC in slots 1 and 5 */
    CHECK(!wr(cpu, MSR_IA32_PAT, 0x0000000000000002ull));  /* type 2 reserved */
    CHECK(!wr(cpu, MSR_IA32_PAT, 0x0300000000000000ull));  /* type 3 reserved */
    CHECK(!wr(cpu, MSR_IA32_PAT, 0x0000000000000008ull));
    CHECK(rd(cpu, MSR_MTRRCAP, &v));
    CHECK_EQ(v & 0xff, 8);                                 /* VCNT */
    CHECK(v & (1u << 8));                                  /* fixed ranges */
    CHECK(v & (1u << 10));                                 /* WC */
    CHECK(!wr(cpu, MSR_MTRRCAP, v));                       /* read-only */
    CHECK(wr(cpu, MSR_MTRR_DEF_TYPE, 0xc06));
    CHECK(!wr(cpu, MSR_MTRR_DEF_TYPE, 0xc02));             /* type 2 */
    CHECK(!wr(cpu, MSR_MTRR_DEF_TYPE, 0x200));             /* reserved bit 9 */
    CHECK(!wr(cpu, MSR_MTRR_DEF_TYPE, 0xc07));             /* UC- is PAT-only */
    CHECK(wr(cpu, MSR_MTRR_PHYSBASE0 + 2, 0x80000006));    /* PHYSBASE1: WB at 2 GiB */
    CHECK(wr(cpu, MSR_MTRR_PHYSBASE0 + 3, 0xff80000800ull)); /* PHYSMASK1: 2 GiB, valid */
    CHECK(rd(cpu, MSR_MTRR_PHYSBASE0 + 3, &v));
    CHECK_EQ(v, 0xff80000800ull);
    CHECK(!wr(cpu, MSR_MTRR_PHYSBASE0, 0x80000106));       /* bit 8 reserved */
    CHECK(!wr(cpu, MSR_MTRR_PHYSBASE0, (1ull << 40) | 6)); /* above MAXPHYADDR */
    CHECK(!wr(cpu, MSR_MTRR_PHYSBASE0 + 1, 0x800 | 1));    /* mask bit 0 reserved */
    CHECK(!rd(cpu, MSR_MTRR_PHYSBASE0 + 16, &v));          /* only 8 pairs */
    CHECK(wr(cpu, MSR_MTRR_FIX4K_C0000 + 7, 0x0505050505050505ull));
    CHECK(!wr(cpu, MSR_MTRR_FIX16K_A0000, 0x0000000000000300ull));
    CHECK(rd(cpu, MSR_MTRR_FIX4K_C0000 + 7, &v));
    CHECK_EQ(v, 0x0505050505050505ull);
}

TEST_CASE(tsc_is_virtual_time_plus_offset)
{
    X86CPU *cpu = fake_cpu("qemu64");
    fake_clock_ns = 1000;
    CHECK_EQ(x86_tsc_read(cpu), 1000);                     /* 0 at reset (clock was 0), 1 GHz */
    CHECK(wr(cpu, MSR_IA32_TSC, 5000000));
    fake_clock_ns += 250;
    uint64_t v;
    CHECK(rd(cpu, MSR_IA32_TSC, &v));
    CHECK_EQ(v, 5000250);
    EXPECT_OK(cpu, x86_helper_rdtsc(cpu, 0));
    CHECK_EQ(cpu->regs[R_EAX], 5000250);
    CHECK_EQ(cpu->regs[R_EDX], 0);
    /* TSC_AUX and RDTSCP. */
    CHECK(wr(cpu, MSR_TSC_AUX, 0x12345678));
    CHECK(!wr(cpu, MSR_TSC_AUX, 1ull << 32));
    EXPECT_OK(cpu, x86_helper_rdtscp(cpu, 0));
    CHECK_EQ(cpu->regs[R_ECX], 0x12345678);
    /* CR4.TSD: RDTSC at CPL > 0 is #GP(0). */
    cpu->cr[4] |= CR4_TSD;
    cpu->cr[0] |= CR0_PE;
    cpu->segs[SEG_SS].flags |= SEGF_DPL(3);
    x86_update_hflags(cpu);
    EXPECT_EXC(cpu, x86_helper_rdtsc(cpu, 0), X86_EXCP_GP, 0);
    /* PLATFORM_INFO: the non-turbo ratio times 100 MHz is the TSC frequency. */
    CHECK(rd(cpu, MSR_PLATFORM_INFO, &v));
    CHECK_EQ(((v >> 8) & 0xff) * 100000000ull, X86_TSC_FREQ_HZ);
    CHECK(!wr(cpu, MSR_PLATFORM_INFO, v));
}

static uint64_t seen_apic_base;
static void apic_hook(X86CPU *cpu, uint64_t v)
{
    (void)cpu;
    seen_apic_base = v;
}

TEST_CASE(apic_base_rules_and_hook)
{
    X86CPU *cpu = fake_cpu("qemu64");
    static X86CPUHooks hooks;
    hooks.apic_base_changed = apic_hook;
    cpu->hooks = &hooks;
    CHECK(wr(cpu, MSR_IA32_APIC_BASE, 0xfed00000 | (1u << 11)));
    CHECK_EQ(cpu->msr.apic_base, 0xfed00000 | (1u << 11) | (1u << 8));   /* BSP kept */
    CHECK_EQ(seen_apic_base, cpu->msr.apic_base);
    CHECK(!wr(cpu, MSR_IA32_APIC_BASE, 0xfee00000 | (1u << 10)));        /* no x2APIC */
    CHECK(!wr(cpu, MSR_IA32_APIC_BASE, 0xfee00000 | (1u << 9)));
    CHECK(!wr(cpu, MSR_IA32_APIC_BASE, (1ull << 40) | (1u << 11)));
    CHECK(!wr(cpu, MSR_IA32_APIC_BASE, 0xfee00001));
}

TEST_CASE(machine_check_and_misc_msrs)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint64_t v;
    CHECK(rd(cpu, MSR_IA32_MCG_CAP, &v));
    CHECK_EQ(v, (1u << 8) | 10);                           /* MCG_CTL_P, 10 banks */
    CHECK(!wr(cpu, MSR_IA32_MCG_CAP, 0));                  /* read-only */
    CHECK(wr(cpu, MSR_IA32_MCG_STATUS, 0));
    CHECK(!wr(cpu, MSR_IA32_MCG_STATUS, 1));
    CHECK(wr(cpu, 0x17b, ~0ull));                          /* MCG_CTL: enable all */
    CHECK(rd(cpu, 0x17b, &v));
    CHECK_EQ(v, ~0ull);
    /* Bank 9 (the last): CTL any value, STATUS only zero; bank 10 absent. */
    CHECK(wr(cpu, 0x400 + 4 * 9, ~0ull));
    CHECK(rd(cpu, 0x400 + 4 * 9, &v));
    CHECK_EQ(v, ~0ull);
    CHECK(wr(cpu, 0x401 + 4 * 9, 0));
    CHECK(!wr(cpu, 0x401 + 4 * 9, 1));
    CHECK(rd(cpu, 0x401 + 4 * 9, &v));
    CHECK_EQ(v, 0);
    CHECK(!rd(cpu, 0x400 + 4 * 10, &v));
    CHECK(!wr(cpu, 0x400 + 4 * 10, 0));
    /* ARCH_CAPABILITIES: read-only, RDCL_NO (no Meltdown) and MDS_NO among
     * the "not affected" bits. */
    CHECK(rd(cpu, 0x10a, &v));
    CHECK_EQ(v & 1, 1);
    CHECK_EQ((v >> 5) & 1, 1);
    CHECK(!wr(cpu, 0x10a, 0));
    CHECK(rd(cpu, MSR_IA32_MISC_ENABLE, &v));
    CHECK(v & MSR_MISC_ENABLE_FAST_STRING);
    CHECK(v & MSR_MISC_ENABLE_BTS_UNAVAIL);
    CHECK(v & MSR_MISC_ENABLE_PEBS_UNAVAIL);
    CHECK(rd(cpu, MSR_IA32_FEATURE_CONTROL, &v));
    CHECK_EQ(v & 1, 1);                                    /* locked */
    CHECK(!wr(cpu, MSR_IA32_FEATURE_CONTROL, 5));
    CHECK(wr(cpu, MSR_IA32_BIOS_SIGN_ID, 0));
    CHECK(wr(cpu, MSR_IA32_TSC_DEADLINE, 12345));
    CHECK(rd(cpu, MSR_IA32_TSC_DEADLINE, &v));
    CHECK_EQ(v, 12345);
}

int main(void)
{
    RUN(unknown_msrs_gp);
    RUN(rdmsr_wrmsr_need_cpl0);
    RUN(syscall_msrs_and_canonical_checks);
    RUN(pat_and_mtrr_types);
    RUN(tsc_is_virtual_time_plus_offset);
    RUN(apic_base_rules_and_hook);
    RUN(machine_check_and_misc_msrs);
    TEST_EXIT();
}
