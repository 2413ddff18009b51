/*
 * Proves cpu/x86/paging.c against SDM vol. 3 ch. 4: walks in each paging
 * mode with 4 KiB, 2 MiB, 4 MiB and 1 GiB pages, accessed/dirty updates,
 * the #PF error code for U/S, R/W with CR0.WP, NX with EFER.NXE and
 * reserved bits, global pages, the A20 mask and canonical addresses.
 */
#include "x86_fake_env.h"

#define P   0x001ull
#define RW  0x002ull
#define US  0x004ull
#define A   0x020ull
#define D   0x040ull
#define PS  0x080ull
#define G   0x100ull
#define NX  (1ull << 63)

static X86CPU *mode32(bool pse)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->cr[0] = CR0_PE | CR0_PG | CR0_ET;
    cpu->cr[3] = 0x10000;
    cpu->cr[4] = pse ? CR4_PSE : 0;
    x86_update_hflags(cpu);
    return cpu;
}

static X86CPU *mode_pae(void)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->cr[0] = CR0_PE | CR0_PG | CR0_ET;
    cpu->cr[4] = CR4_PAE;
    cpu->efer = EFER_NXE;
    cpu->cr[3] = 0x10000;
    return cpu;
}

static X86CPU *mode64(const char *model)
{
    X86CPU *cpu = fake_cpu(model);
    cpu->cr[0] = CR0_PE | CR0_PG | CR0_ET | CR0_WP;
    cpu->cr[4] = CR4_PAE | CR4_PGE;
    cpu->efer = EFER_LME | EFER_LMA | EFER_NXE;
    cpu->cr[3] = 0x10000;
    x86_update_hflags(cpu);
    /* PML4[0] -> PDPT 0x11000 -> PD 0x12000 -> PT 0x13000 */
    pw64(0x10000, 0x11000 | P | RW | US);
    pw64(0x11000, 0x12000 | P | RW | US);
    pw64(0x12000, 0x13000 | P | RW | US);
    return cpu;
}

static X86WalkResult walk(X86CPU *cpu, uint64_t la, X86Access acc, bool user,
                          X86Translation *t, uint32_t *err)
{
    *err = 0xdead;
    return x86_page_walk(cpu, la, acc, user, t, err);
}

TEST_CASE(paging32_4k_sets_accessed_then_dirty)
{
    X86CPU *cpu = mode32(false);
    pw32(0x10004, 0x11000 | P | RW | US);        /* PDE 1: 4 MiB - 8 MiB */
    pw32(0x11008, 0x200000 | P | RW | US);       /* PTE 2 */
    X86Translation t;
    uint32_t err;
    CHECK_EQ(walk(cpu, 0x402abc, X86_ACCESS_READ, true, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x200abc);
    CHECK_EQ(t.page_size, 4096);
    CHECK_EQ(pr32(0x10004), 0x11000 | P | RW | US | A);
    CHECK_EQ(pr32(0x11008), 0x200000 | P | RW | US | A);   /* no D on a read */
    CHECK(!(t.prot & X86_PROT_WRITE));                   /* so a write walks again */
    CHECK(t.prot & X86_PROT_EXEC);                       /* no NX in 32-bit paging */
    CHECK_EQ(walk(cpu, 0x402abc, X86_ACCESS_WRITE, true, &t, &err), X86_WALK_OK);
    CHECK_EQ(pr32(0x11008), 0x200000 | P | RW | US | A | D);
    CHECK_EQ(pr32(0x10004), 0x11000 | P | RW | US | A);  /* D only at the leaf */
    CHECK(t.prot & X86_PROT_WRITE);
    /* Not present: P = 0 in the error code, plus W/U of the access. */
    CHECK_EQ(walk(cpu, 0x403000, X86_ACCESS_WRITE, true, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_W | X86_PF_U);
    /* Fetch faults never set I/D without PAE + NXE. */
    CHECK_EQ(walk(cpu, 0x403000, X86_ACCESS_EXEC, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, 0);
}

TEST_CASE(paging32_pse_4m_pages_and_pse36)
{
    X86CPU *cpu = mode32(true);
    /* PDE 3: 4 MiB page at 0x12_00c00000 (bits 20:13 hold PA 39:32). */
    pw32(0x1000c, 0x00c00000 | (0x12u << 13) | PS | P | RW);
    X86Translation t;
    uint32_t err;
    CHECK_EQ(walk(cpu, 0x00d23456, X86_ACCESS_WRITE, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x1200d23456ull);
    CHECK_EQ(t.page_size, 4u << 20);
    CHECK_EQ(pr32(0x1000c) & (A | D), A | D);
    /* Bit 21 is reserved with MAXPHYADDR 40. */
    pw32(0x1000c, 0x00c00000 | (1u << 21) | PS | P | RW);
    CHECK_EQ(walk(cpu, 0x00d23456, X86_ACCESS_READ, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_RSVD);
    /* Without CR4.PSE the PS bit is ignored: the PDE points to a page table. */
    cpu->cr[4] = 0;
    pw32(0x1000c, 0x20000 | PS | P | RW);
    pw32(0x20000 + 4 * 0x123, 0x300000 | P);
    CHECK_EQ(walk(cpu, 0x00d23456, X86_ACCESS_READ, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x300456);
}

TEST_CASE(pae_4k_2m_and_not_present_pdpte)
{
    X86CPU *cpu = mode_pae();
    pw64(0x10000, 0x11000 | P);                       /* PDPTE 0 */
    CHECK(x86_load_pdptes(cpu, cpu->cr[3]));
    pw64(0x11000, 0x12000 | P | RW);                  /* PDE 0 -> PT */
    pw64(0x12000 + 8 * 5, 0x345000 | P | RW);         /* PTE 5 */
    pw64(0x11008, 0x600000 | PS | P | RW | NX);       /* PDE 1: 2 MiB at 6 MiB */
    X86Translation t;
    uint32_t err;
    CHECK_EQ(walk(cpu, 0x5123, X86_ACCESS_READ, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x345123);
    CHECK_EQ(walk(cpu, 0x3abcde, X86_ACCESS_READ, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x7abcde);
    CHECK_EQ(t.page_size, 2u << 20);
    CHECK(!(t.prot & X86_PROT_EXEC));
    /* Fetch from the NX page: P | I. */
    CHECK_EQ(walk(cpu, 0x3abcde, X86_ACCESS_EXEC, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_I);
    /* PDPTE 1 not present: #PF with P = 0; a fetch has I set (NXE = 1). */
    CHECK_EQ(walk(cpu, 0x40000000, X86_ACCESS_EXEC, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_I);
    /* 2 MiB PDE with bit 13 set: reserved. */
    pw64(0x11008, 0x600000 | (1u << 13) | PS | P | RW);
    CHECK_EQ(walk(cpu, 0x3abcde, X86_ACCESS_READ, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_RSVD);
    /* NX set while EFER.NXE = 0: reserved. */
    cpu->efer = 0;
    pw64(0x11008, 0x600000 | PS | P | RW | NX);
    CHECK_EQ(walk(cpu, 0x3abcde, X86_ACCESS_READ, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_RSVD);
}

TEST_CASE(long_mode_4k_2m_1g_and_ad_bits)
{
    X86CPU *cpu = mode64("max");
    pw64(0x13000 + 8 * 7, 0x777000 | P | RW | US);
    X86Translation t;
    uint32_t err;
    CHECK_EQ(walk(cpu, 0x7fff, X86_ACCESS_WRITE, true, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x777fff);
    for (uint64_t a = 0x10000; a <= 0x12000; a += 0x1000) {
        CHECK_EQ(pr64(a) & (A | D), A);     /* A on every level, D nowhere but the leaf */
    }
    CHECK_EQ(pr64(0x13000 + 8 * 7) & (A | D), A | D);
    /* 2 MiB page: PD[1]. */
    pw64(0x12008, 0x40000000ull | PS | P | RW | US | G);
    CHECK_EQ(walk(cpu, 0x212345, X86_ACCESS_READ, true, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x40012345ull);
    CHECK_EQ(t.page_size, 2u << 20);
    CHECK(t.global);                          /* G with CR4.PGE */
    /* 1 GiB page: PDPT[1] (the max model offers 1 GiB pages). */
    pw64(0x11008, 0x80000000ull | PS | P | RW);
    CHECK_EQ(walk(cpu, 0x7654321aull, X86_ACCESS_READ, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x80000000ull + 0x3654321a);
    CHECK_EQ(t.page_size, 1u << 30);
    CHECK(!t.global);
    /* PS in a PML4E is reserved. */
    pw64(0x10008, 0x11000 | P | RW | PS);
    CHECK_EQ(walk(cpu, 1ull << 39, X86_ACCESS_READ, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_RSVD);
    /* Address bits above MAXPHYADDR in a PTE are reserved. */
    pw64(0x13000 + 8 * 8, (1ull << 45) | 0x1000 | P);
    CHECK_EQ(walk(cpu, 0x8000, X86_ACCESS_READ, true, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_RSVD | X86_PF_U);
}

TEST_CASE(one_gig_pages_reserved_without_pdpe1gb)
{
    X86CPU *cpu = mode64("qemu64");
    pw64(0x11008, 0x80000000ull | PS | P | RW);
    X86Translation t;
    uint32_t err;
    CHECK_EQ(walk(cpu, 0x7654321aull, X86_ACCESS_READ, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_RSVD);
}

TEST_CASE(permissions_and_error_codes)
{
    X86CPU *cpu = mode64("qemu64");
    X86Translation t;
    uint32_t err;
    pw64(0x13000 + 8 * 1, 0x100000 | P | RW);          /* supervisor RW */
    pw64(0x13000 + 8 * 2, 0x101000 | P | US);          /* user read-only */
    pw64(0x13000 + 8 * 3, 0x102000 | P | RW | US | NX);/* user RW, no execute */
    /* User read of a supervisor page: P | U. */
    CHECK_EQ(walk(cpu, 0x1000, X86_ACCESS_READ, true, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_U);
    /* Supervisor read of a user page is fine (no SMAP). */
    CHECK_EQ(walk(cpu, 0x2000, X86_ACCESS_READ, false, &t, &err), X86_WALK_OK);
    /* User write to a read-only page: P | W | U. */
    CHECK_EQ(walk(cpu, 0x2000, X86_ACCESS_WRITE, true, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_W | X86_PF_U);
    /* Supervisor write to it: #PF with CR0.WP, allowed without. */
    CHECK_EQ(walk(cpu, 0x2000, X86_ACCESS_WRITE, false, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_W);
    cpu->cr[0] &= ~CR0_WP;
    CHECK_EQ(walk(cpu, 0x2000, X86_ACCESS_WRITE, false, &t, &err), X86_WALK_OK);
    CHECK(t.prot & X86_PROT_WRITE);
    /* ...but a user write still faults. */
    CHECK_EQ(walk(cpu, 0x2000, X86_ACCESS_WRITE, true, &t, &err), X86_WALK_PAGE_FAULT);
    /* Fetch from an NX page by user code: P | U | I. */
    CHECK_EQ(walk(cpu, 0x3000, X86_ACCESS_EXEC, true, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_U | X86_PF_I);
    /* R/W and U/S combine over every level: a read-only PDE makes the page read-only. */
    cpu->cr[0] |= CR0_WP;
    pw64(0x12000, 0x13000 | P | US);
    CHECK_EQ(walk(cpu, 0x3000, X86_ACCESS_WRITE, true, &t, &err), X86_WALK_PAGE_FAULT);
    CHECK_EQ(err, X86_PF_P | X86_PF_W | X86_PF_U);
    /* A fault leaves the entries' dirty bit alone. */
    CHECK_EQ(pr64(0x13000 + 8 * 3) & D, 0);
}

TEST_CASE(raise_sets_cr2_and_noncanonical_is_gp)
{
    X86CPU *cpu = mode64("qemu64");
    X86Translation t;
    uint32_t err;
    CHECK_EQ(walk(cpu, 0x0000800000000000ull, X86_ACCESS_READ, false, &t, &err),
             X86_WALK_NONCANONICAL);
    EXPECT_EXC(cpu, x86_translate(cpu, 0x0000800000000000ull, X86_ACCESS_READ, false, &t, 0),
               X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, x86_translate(cpu, 0x5000, X86_ACCESS_WRITE, true, &t, 0),
               X86_EXCP_PF, X86_PF_W | X86_PF_U);
    CHECK_EQ(cpu->exception.cr2, 0x5000);
    /* High canonical addresses walk PML4 entry 511. */
    pw64(0x10000 + 8 * 511, 0x11000 | P | RW);
    pw64(0x11000 + 8 * 511, 0x12000 | P | RW);
    pw64(0x12000 + 8 * 511, 0x13000 | P | RW);
    pw64(0x13000 + 8 * 511, 0x9000 | P | RW);
    CHECK_EQ(walk(cpu, 0xffffffffffffffffull, X86_ACCESS_READ, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x9fff);
}

TEST_CASE(cmpxchg_race_restarts_walk)
{
    X86CPU *cpu = mode64("qemu64");
    pw64(0x13000 + 8 * 4, 0x444000 | P | RW);
    fake_cmpxchg_fail = 2;
    X86Translation t;
    uint32_t err;
    CHECK_EQ(walk(cpu, 0x4000, X86_ACCESS_WRITE, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(fake_cmpxchg_fail, 0);
    CHECK_EQ(pr64(0x13000 + 8 * 4), 0x444000 | P | RW | A | D);
}

TEST_CASE(no_paging_a20_and_debug_walk)
{
    X86CPU *cpu = fake_cpu("qemu64");
    X86Translation t;
    uint32_t err;
    CHECK_EQ(walk(cpu, 0x10fff0, X86_ACCESS_WRITE, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x10fff0);
    x86_cpu_set_a20(cpu, false);
    CHECK_EQ(walk(cpu, 0x10fff0, X86_ACCESS_WRITE, false, &t, &err), X86_WALK_OK);
    CHECK_EQ(t.paddr, 0x0fff0);                 /* real-mode wraparound */
    x86_cpu_set_a20(cpu, true);
    /* The debugger's view sets no accessed bits. */
    cpu = mode64("qemu64");
    pw64(0x13000 + 8 * 6, 0x666000 | P);
    uint64_t pa = 0;
    CHECK(x86_translate_debug(cpu, 0x6010, &pa));
    CHECK_EQ(pa, 0x666010);
    CHECK_EQ(pr64(0x10000) & A, 0);
    CHECK(!x86_translate_debug(cpu, 0x7010, &pa));
}

int main(void)
{
    RUN(paging32_4k_sets_accessed_then_dirty);
    RUN(paging32_pse_4m_pages_and_pse36);
    RUN(pae_4k_2m_and_not_present_pdpte);
    RUN(long_mode_4k_2m_1g_and_ad_bits);
    RUN(one_gig_pages_reserved_without_pdpe1gb);
    RUN(permissions_and_error_codes);
    RUN(raise_sets_cr2_and_noncanonical_is_gp);
    RUN(cmpxchg_race_restarts_walk);
    RUN(no_paging_a20_and_debug_walk);
    TEST_EXIT();
}
