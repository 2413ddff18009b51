/*
 * The x86 frontend's register seam (cpu/x86/frontend.c get_regs/set_regs):
 * the MSRs a loader hands over with X86Regs reach the CPU through WRMSR's
 * own checks (SDM vol. 3 11.11: MTRR types and reserved bits), a PHYSMASK
 * given full width is cut to the CPU's MAXPHYADDR (qemu64: 40 bits, CPUID
 * 80000008h), a refused MSR does not stop the others, and get_regs hands
 * back no MSRs.
 */
#include "translate_harness.h"

/* A 1 GiB UC range at 3 GiB with its mask as loaders give it (bits 30..51). */
#define HOLE_BASE (0xC0000000ull | 0)
#define HOLE_MASK_FULL (0x000FFFFFC0000000ull | (1ull << 11))
#define HOLE_MASK_40   (0x000000FFC0000000ull | (1ull << 11))

TEST_CASE(set_regs_writes_the_loaders_msrs)
{
    X86CPU *c = th_cpu_new(TH_MODE64);
    X86Regs r;
    uint64_t v;

    CHECK_EQ(c->phys_bits, 40);
    CHECK(x86_msr_read(c, MSR_MTRR_DEF_TYPE, &v));
    CHECK_EQ(v, 0);                                   /* reset: MTRRs off */
    x86_regs_flat32(&r, 0x123456);
    CHECK(x86_regs_set_msr(&r, 0x200, HOLE_BASE));
    CHECK(x86_regs_set_msr(&r, 0x201, HOLE_MASK_FULL));
    CHECK(x86_regs_set_msr(&r, 0x250, 0x0606060606060606ull));
    CHECK(x86_regs_set_msr(&r, 0x259, 0));
    CHECK(x86_regs_set_msr(&r, 0x2FF, 0xC06));
    x86_tcg_frontend.set_regs(&c->common, &r);

    CHECK_EQ(c->rip, 0x123456);
    CHECK(x86_msr_read(c, MSR_MTRR_DEF_TYPE, &v));
    CHECK_EQ(v, 0xC06);
    CHECK(x86_msr_read(c, MSR_MTRR_PHYSBASE0, &v));
    CHECK_EQ(v, HOLE_BASE);
    CHECK(x86_msr_read(c, MSR_MTRR_PHYSBASE0 + 1, &v));
    CHECK_EQ(v, HOLE_MASK_40);
    CHECK(x86_msr_read(c, MSR_MTRR_FIX64K_00000, &v));
    CHECK_EQ(v, 0x0606060606060606ull);
    /* The same values a guest's RDMSR sees. */
    c->regs[R_ECX] = MSR_MTRR_DEF_TYPE;
    x86_helper_rdmsr(c, 0);
    CHECK_EQ(c->regs[R_EAX], 0xC06);
    CHECK_EQ(c->regs[R_EDX], 0);
}

TEST_CASE(refused_msr_is_skipped)
{
    X86CPU *c = th_cpu_new(TH_MODE64);
    X86Regs r;
    uint64_t v;

    x86_regs_flat32(&r, 0x1000);
    CHECK(x86_regs_set_msr(&r, 0x200, 0xC0000000ull | 2));    /* type 2: reserved */
    CHECK(x86_regs_set_msr(&r, 0x202, 1ull << 45));           /* above MAXPHYADDR 40 */
    CHECK(x86_regs_set_msr(&r, 0x2FF, 0xC06 | (1ull << 12))); /* reserved bit 12 */
    CHECK(x86_regs_set_msr(&r, 0x258, 0x0606060606060606ull));
    x86_tcg_frontend.set_regs(&c->common, &r);

    CHECK(x86_msr_read(c, MSR_MTRR_PHYSBASE0, &v));
    CHECK_EQ(v, 0);
    CHECK(x86_msr_read(c, MSR_MTRR_PHYSBASE0 + 2, &v));
    CHECK_EQ(v, 0);
    CHECK(x86_msr_read(c, MSR_MTRR_DEF_TYPE, &v));
    CHECK_EQ(v, 0);
    CHECK(x86_msr_read(c, MSR_MTRR_FIX16K_80000, &v));
    CHECK_EQ(v, 0x0606060606060606ull);
}

TEST_CASE(get_regs_returns_no_msrs)
{
    X86CPU *c = th_cpu_new(TH_MODE64);
    X86Regs r;
    memset(&r, 0x5A, sizeof(r));
    x86_tcg_frontend.get_regs(&c->common, &r);
    CHECK_EQ(r.nmsrs, 0);
    CHECK_EQ(r.rip, c->rip);
}

int main(void)
{
    RUN(set_regs_writes_the_loaders_msrs);
    RUN(refused_msr_is_skipped);
    RUN(get_regs_returns_no_msrs);
    TEST_EXIT();
}
