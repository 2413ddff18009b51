/*
 * system/x86_state.c: the power-on register state (SDM vol. 3 table 10-1)
 * empties the MSR list; the list replaces an index already there, refuses
 * the entry past X86_REGS_MAX_MSRS without changing anything; PHYSMASKn
 * (and only those, 0x201 + 2n, SDM vol. 4 table 2-2) lose the bits from
 * MAXPHYADDR up.
 */
#include "test.h"

#include "mimic/x86_state.h"

TEST_CASE(reset_states_have_no_msrs)
{
    X86Regs r;
    memset(&r, 0x5A, sizeof(r));
    x86_regs_reset(&r);
    CHECK_EQ(r.nmsrs, 0);
    CHECK_EQ(r.rip, 0xFFF0);
    memset(&r, 0x5A, sizeof(r));
    x86_regs_flat32(&r, 0x100000);
    CHECK_EQ(r.nmsrs, 0);
}

TEST_CASE(set_msr_replaces_and_fills_up)
{
    X86Regs r, before;
    x86_regs_reset(&r);
    CHECK(x86_regs_set_msr(&r, 0x2FF, 1));
    CHECK(x86_regs_set_msr(&r, 0x250, 2));
    CHECK(x86_regs_set_msr(&r, 0x2FF, 3));
    CHECK_EQ(r.nmsrs, 2);
    CHECK_EQ(r.msrs[0].index, 0x2FF);
    CHECK_EQ(r.msrs[0].value, 3);
    CHECK_EQ(r.msrs[1].value, 2);
    for (uint32_t i = 2; i < X86_REGS_MAX_MSRS; i++)
        CHECK(x86_regs_set_msr(&r, 0x1000 + i, i));
    CHECK_EQ(r.nmsrs, X86_REGS_MAX_MSRS);
    before = r;
    CHECK(!x86_regs_set_msr(&r, 0x3000, 7));
    CHECK(memcmp(&r, &before, sizeof(r)) == 0);
    CHECK(x86_regs_set_msr(&r, 0x250, 9));        /* replacing still works */
    CHECK_EQ(r.msrs[1].value, 9);
}

TEST_CASE(physmask_fits_maxphyaddr)
{
    const uint64_t full = 0x000FFFFFC0000800ull;  /* 1 GiB range, valid */
    CHECK_EQ(x86_msr_fit_phys_bits(0x201, full, 36), 0x0000000FC0000800ull);
    CHECK_EQ(x86_msr_fit_phys_bits(0x201, full, 40), 0x000000FFC0000800ull);
    CHECK_EQ(x86_msr_fit_phys_bits(0x213, full, 46), 0x00003FFFC0000800ull);  /* PHYSMASK9 */
    CHECK_EQ(x86_msr_fit_phys_bits(0x201, full, 52), full);
    /* Not a PHYSMASK: unchanged, the CPU's checks decide. */
    CHECK_EQ(x86_msr_fit_phys_bits(0x200, 1ull << 45, 40), 1ull << 45);
    CHECK_EQ(x86_msr_fit_phys_bits(0x215, full, 40), full);   /* past PHYSMASK9 */
    CHECK_EQ(x86_msr_fit_phys_bits(0x2FF, ~0ull, 40), ~0ull);
}

int main(void)
{
    RUN(reset_states_have_no_msrs);
    RUN(set_msr_replaces_and_fills_up);
    RUN(physmask_fits_maxphyaddr);
    TEST_EXIT();
}
