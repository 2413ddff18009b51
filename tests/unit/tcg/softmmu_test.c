/*
 * The softmmu's C side with the toy guest (toy_cpu.h): MMIO sizes, endian
 * and sign handling, page-crossing splits (faults before any byte is
 * written), victim TLB, flushes (page, mmu, non-global, large page; from
 * the list of filled entries or the whole table),
 * resizing (at flushes and while missing), ROM/unassigned, host pointers, physical accesses, code fetch,
 * write tracking of code pages, memory map changes (also from inside a block).
 */
#include "toy_cpu.h"

#define CPU (&toy_cpu->common)

/* 1 if the statements longjmp'ed to the exec loop's jmp_env (a fault). */
#define CATCH(stmts) ({ int caught_ = 0; \
        if (sigsetjmp(CPU->jmp_env, 0) == 0) { stmts; } else { caught_ = 1; } caught_; })

static TCGTLBEntry *entry_for(unsigned mmu, uint64_t vaddr)
{
    TCGTLBFast *f = &CPU->tlb_fast[mmu];
    return &f->table[(vaddr >> TCG_PAGE_BITS) & (f->mask >> TCG_TLB_ENTRY_BITS)];
}

static unsigned tlb_size(unsigned mmu)
{
    return (unsigned)(CPU->tlb_fast[mmu].mask >> TCG_TLB_ENTRY_BITS) + 1;
}

/* MMIO accesses of every size reach the device once, with the right
 * offset/size/value; MO_SIGN and MO_BE are applied on the way back. */
TEST_CASE(softmmu_mmio_sizes)
{
    toy_setup();
    const uint64_t d = TOY_MMIO_BASE;
    for (unsigned s = 0; s < 4; s++)
        tcg_mem_store(CPU, d + 0x100 + 8 * s, 0x1122334455667788ull, s, 0, 0);
    CHECK_EQ(toy_dev_n, 4);
    CHECK_EQ(toy_dev_log[0].size, 1);
    CHECK_EQ(toy_dev_log[0].val, 0x88);
    CHECK_EQ(toy_dev_log[1].size, 2);
    CHECK_EQ(toy_dev_log[1].val, 0x7788);
    CHECK_EQ(toy_dev_log[2].size, 4);
    CHECK_EQ(toy_dev_log[2].val, 0x55667788);
    CHECK_EQ(toy_dev_log[3].size, 8);
    CHECK_EQ(toy_dev_log[3].off, 0x118);
    CHECK_EQ(toy_dev_log[3].val, 0x1122334455667788ull);
    /* Reads: byte i at offset o is 0xa0 + o + i. */
    CHECK_EQ(tcg_mem_load(CPU, d + 0x10, MO_UL, 0, 0), 0xb3b2b1b0);
    CHECK_EQ(tcg_mem_load(CPU, d + 0x10, MO_SL, 0, 0), 0xffffffffb3b2b1b0ull);
    CHECK_EQ(tcg_mem_load(CPU, d + 0x10, MO_UL | MO_BE, 0, 0), 0xb0b1b2b3);
    CHECK_EQ(tcg_mem_load(CPU, d + 0x10, MO_SB, 0, 0), 0xffffffffffffffb0ull);
    CHECK_EQ(tcg_mem_load(CPU, d + 0x10, MO_UQ, 0, 0), 0xb7b6b5b4b3b2b1b0ull);
    CHECK_EQ(toy_dev_n, 9);
    CHECK_EQ(toy_dev_log[8].size, 8);
    /* The same on RAM. */
    tcg_mem_store(CPU, 0x8000, 0x8899aabbu, MO_UL | MO_BE, 0, 0);
    CHECK_EQ(toy_ram[0x8000], 0x88);
    CHECK_EQ(toy_ram[0x8003], 0xbb);
    CHECK_EQ(tcg_mem_load(CPU, 0x8000, MO_UL, 0, 0), 0xbbaa9988u);
    CHECK_EQ(tcg_mem_load(CPU, 0x8000, MO_SW | MO_BE, 0, 0), 0xffffffffffff8899ull);
}

/* Accesses crossing a page are split: RAM bytes land on both pages; a RAM
 * page followed by a device page gives the device its part only; a store
 * whose second page faults writes nothing. */
TEST_CASE(softmmu_page_cross)
{
    toy_setup();
    tcg_mem_store(CPU, 0x1ffd, 0x0807060504030201ull, MO_UQ, 0, 0);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(toy_ram[0x1ffd + i], i + 1);
    CHECK_EQ(tcg_mem_load(CPU, 0x1ffd, MO_UQ, 0, 0), 0x0807060504030201ull);
    CHECK_EQ(tcg_mem_load(CPU, 0x1fff, MO_SW, 0, 0), 0x0403);
    CHECK(tcg_exec_stats.page_cross >= 3);

    toy_map(0x71000, TOY_MMIO_BASE, TOY_R | TOY_W);
    tcg_mem_store(CPU, 0x70ffe, 0xddccbbaa, MO_UL, 0, 0);
    CHECK_EQ(toy_ram[0x70ffe], 0xaa);
    CHECK_EQ(toy_ram[0x70fff], 0xbb);
    CHECK_EQ(toy_dev_n, 1);
    CHECK_EQ(toy_dev_log[0].off, 0);
    CHECK_EQ(toy_dev_log[0].size, 2);
    CHECK_EQ(toy_dev_log[0].val, 0xddcc);
    CHECK_EQ(tcg_mem_load(CPU, 0x70fff, MO_UW, 0, 0), 0xa0bb);

    toy_map(0x73000, 0x73000, 0);
    toy_ram[0x72ffe] = 0x11;
    toy_ram[0x72fff] = 0x22;
    CHECK(CATCH(tcg_mem_store(CPU, 0x72ffe, 0xffffffff, MO_UL, 0, 0)));
    CHECK_EQ(toy_cpu->fault_addr, 0x73000);
    CHECK_EQ(toy_ram[0x72ffe], 0x11);
    CHECK_EQ(toy_ram[0x72fff], 0x22);
}

/* Two pages that share a direct-mapped slot: after both are filled, going
 * back and forth hits the victim TLB instead of walking again. */
TEST_CASE(softmmu_victim)
{
    toy_setup();
    uint64_t v1 = 0x10000, v2 = v1 + (uint64_t)tlb_size(0) * TCG_PAGE_SIZE;
    toy_map(v2, 0x20000, TOY_RWX);
    toy_ram[0x10000] = 1;
    toy_ram[0x20000] = 2;
    CHECK_EQ(tcg_mem_load(CPU, v1, MO_UB, 0, 0), 1);
    CHECK_EQ(tcg_mem_load(CPU, v2, MO_UB, 0, 0), 2);
    int fills = toy_fills;
    uint64_t vh = tcg_exec_stats.victim_hits;
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(tcg_mem_load(CPU, v1, MO_UB, 0, 0), 1);
        CHECK_EQ(tcg_mem_load(CPU, v2, MO_UB, 0, 0), 2);
    }
    CHECK_EQ(toy_fills, fills);
    CHECK_EQ(tcg_exec_stats.victim_hits - vh, 20);
    /* tlb_flush_page also drops the victim copy. */
    tlb_flush_page(CPU, v1);
    tcg_mem_load(CPU, v2, MO_UB, 0, 0);
    tcg_mem_load(CPU, v1, MO_UB, 0, 0);
    CHECK_EQ(toy_fills, fills + 1);
}

/* Stale translations stay until the right flush: page, mmu mask,
 * non-global (mmu 1's entries are global in the toy), all. */
TEST_CASE(softmmu_flushes)
{
    toy_setup();
    toy_ram[0x30000] = 0xa;
    toy_ram[0x31000] = 0xb;
    toy_map(0x90000, 0x30000, TOY_RWX);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 0, 0), 0xa);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 1, 0), 0xa);
    toy_map(0x90000, 0x31000, TOY_RWX);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 0, 0), 0xa);   /* stale until flushed */
    tlb_flush_page(CPU, 0x90000);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 0, 0), 0xb);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 1, 0), 0xb);

    toy_map(0x90000, 0x30000, TOY_RWX);
    tlb_flush_mmu(CPU, 1u << 1);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 0, 0), 0xb);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 1, 0), 0xa);
    tlb_flush_mmu(CPU, 1u << 0);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 0, 0), 0xa);

    toy_map(0x90000, 0x31000, TOY_RWX);
    tlb_flush_nonglobal(CPU);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 0, 0), 0xb);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 1, 0), 0xa);   /* global: kept */
    tlb_flush_all(CPU);
    CHECK_EQ(tcg_mem_load(CPU, 0x90000, MO_UB, 1, 0), 0xb);
}

/* Fill `npages` pages through both mmu indexes (mmu 1's entries are global
 * in the toy), remap 8 of them, then check what each flush drops. */
static bool flush_round(unsigned npages)
{
    const uint64_t base = 0x20000, alt = 0xc0000;
    bool ok = true;
    for (unsigned p = 0; p < npages; p++)
        toy_ram[base + p * TCG_PAGE_SIZE] = (uint8_t)(p + 1);
    for (unsigned k = 0; k < 8; k++)
        toy_ram[alt + k * TCG_PAGE_SIZE] = (uint8_t)(0xe0 + k);
    for (unsigned p = 0; p < npages; p++) {
        ok &= tcg_mem_load(CPU, base + p * TCG_PAGE_SIZE, MO_UB, 0, 0) == p + 1;
        ok &= tcg_mem_load(CPU, base + p * TCG_PAGE_SIZE, MO_UB, 1, 0) == p + 1;
    }
    for (unsigned k = 0; k < 8; k++)
        toy_map(base + (k * npages / 8) * TCG_PAGE_SIZE, alt + k * TCG_PAGE_SIZE, TOY_RWX);
    tlb_flush_nonglobal(CPU);
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned p = 0; p < npages; p++) {
            unsigned want = p + 1;
            for (unsigned k = 0; k < 8; k++) {
                if (p == k * npages / 8)
                    want = 0xe0 + k;
            }
            ok &= tcg_mem_load(CPU, base + p * TCG_PAGE_SIZE, MO_UB, 0, 0) == want;
            /* global: kept by the non-global flush, dropped by the full one */
            ok &= tcg_mem_load(CPU, base + p * TCG_PAGE_SIZE, MO_UB, 1, 0) ==
                  (pass ? want : p + 1);
        }
        tlb_flush_all(CPU);
    }
    toy_nmaps = 0;
    tlb_flush_all(CPU);
    return ok;
}

/* A flush clears the entries filled since the last one from a list (past a
 * share of the table: all of it). Both ways every stale entry goes, global
 * ones survive a non-global flush, and entries that came back from the
 * victim TLB or were refilled after a page flush are dropped too. */
TEST_CASE(softmmu_flush_filled_entries)
{
    toy_setup();
    CHECK_EQ(tlb_size(0), TCG_TLB_MIN_ENTRIES);
    CHECK(flush_round(8));      /* listed */
    CHECK(flush_round(150));    /* more than the list holds, no resize */
    CHECK_EQ(tlb_size(0), TCG_TLB_MIN_ENTRIES);
    CHECK(flush_round(3));

    /* Two pages in one slot: the one swapped back from the victim TLB. */
    uint64_t v1 = 0x30000, v2 = v1 + (uint64_t)tlb_size(0) * TCG_PAGE_SIZE;
    toy_map(v2, 0x31000, TOY_RWX);
    toy_ram[0x30000] = 1;
    toy_ram[0x31000] = 2;
    toy_ram[0x32000] = 3;
    toy_ram[0x33000] = 4;
    CHECK_EQ(tcg_mem_load(CPU, v1, MO_UB, 0, 0), 1);
    CHECK_EQ(tcg_mem_load(CPU, v2, MO_UB, 0, 0), 2);
    CHECK_EQ(tcg_mem_load(CPU, v1, MO_UB, 0, 0), 1);      /* from the victim TLB */
    toy_map(v1, 0x32000, TOY_RWX);
    toy_map(v2, 0x33000, TOY_RWX);
    tlb_flush_nonglobal(CPU);
    CHECK_EQ(tcg_mem_load(CPU, v1, MO_UB, 0, 0), 3);
    CHECK_EQ(tcg_mem_load(CPU, v2, MO_UB, 0, 0), 4);

    /* Refilled after a page flush, then a non-global flush. */
    tlb_flush_page(CPU, v1);
    CHECK_EQ(tcg_mem_load(CPU, v1, MO_UB, 0, 0), 3);
    toy_map(v1, 0x30000, TOY_RWX);
    tlb_flush_nonglobal(CPU);
    CHECK_EQ(tcg_mem_load(CPU, v1, MO_UB, 0, 0), 1);
}

/* A page that gets code marks the write entries of every page mapping it
 * NOTDIRTY, also when more entries were filled than the flush list holds. */
TEST_CASE(softmmu_notdirty_many_entries)
{
    toy_setup();
    toy_org(0x6000);
    A_movi(3);
    A_halt();
    tcg_mem_load(CPU, 0x6800, MO_UB, 0, 0);
    for (uint64_t p = 0; p < 150; p++)          /* past the list: the whole table */
        tcg_mem_load(CPU, 0x20000 + p * TCG_PAGE_SIZE, MO_UB, 0, 0);
    toy_map(0xd0000, 0x6000, TOY_RWX);          /* a second mapping of the code page */
    tcg_mem_load(CPU, 0xd0800, MO_UB, 0, 0);
    CHECK_EQ(toy_run_at(0x6000), EXCP_HLT);
    CHECK_EQ(entry_for(0, 0x6800)->addr_write, 0x6000 | TLB_NOTDIRTY);
    CHECK_EQ(entry_for(0, 0xd0800)->addr_write, 0xd0000 | TLB_NOTDIRTY);
    tcg_mem_store(CPU, 0xd0001, 8, MO_UB, 0, 0);   /* through the alias */
    CHECK_EQ(toy_run_at(0x6000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 8);

    /* The same with few entries (the list). */
    toy_setup();
    toy_org(0x6000);
    A_movi(3);
    A_halt();
    toy_map(0xd0000, 0x6000, TOY_RWX);
    tcg_mem_load(CPU, 0xd0800, MO_UB, 0, 0);
    CHECK_EQ(toy_run_at(0x6000), EXCP_HLT);
    CHECK_EQ(entry_for(0, 0xd0800)->addr_write, 0xd0000 | TLB_NOTDIRTY);
    tcg_mem_store(CPU, 0xd0001, 6, MO_UB, 0, 0);
    CHECK_EQ(toy_run_at(0x6000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 6);
}

/* A flush_page anywhere inside a large page drops all its 4 KiB pieces. */
TEST_CASE(softmmu_large_page)
{
    toy_setup();
    toy_map(0x40000000, 0x80000, TOY_RWX);    /* outside the default identity map */
    toy_maps[toy_nmaps - 1].page_size = 0x200000;
    toy_map(0x40001000, 0x81000, TOY_RWX);
    toy_maps[toy_nmaps - 1].page_size = 0x200000;
    toy_ram[0x80000] = 1;
    toy_ram[0x81000] = 2;
    CHECK_EQ(tcg_mem_load(CPU, 0x40000000, MO_UB, 0, 0), 1);
    CHECK_EQ(tcg_mem_load(CPU, 0x40001000, MO_UB, 0, 0), 2);
    int fills = toy_fills;
    tlb_flush_page(CPU, 0x40100000);          /* same 2 MiB page, another 4 KiB */
    CHECK_EQ(tcg_mem_load(CPU, 0x40000000, MO_UB, 0, 0), 1);
    CHECK_EQ(tcg_mem_load(CPU, 0x40001000, MO_UB, 0, 0), 2);
    CHECK_EQ(toy_fills, fills + 2);
}

/* The table doubles when a period filled most of it and halves again
 * after a long quiet window. */
TEST_CASE(softmmu_resize)
{
    toy_setup();
    CHECK_EQ(tlb_size(0), TCG_TLB_MIN_ENTRIES);
    for (uint64_t p = 0; p < 240; p++)
        tcg_mem_load(CPU, 0x10000 + p * TCG_PAGE_SIZE, MO_UB, 0, 0);
    tlb_flush_all(CPU);
    CHECK_EQ(tlb_size(0), 2 * TCG_TLB_MIN_ENTRIES);
    CHECK_EQ(tlb_size(1), TCG_TLB_MIN_ENTRIES);    /* mmu 1 was idle */
    for (int i = 0; i < 200; i++)
        tlb_flush_all(CPU);
    CHECK_EQ(tlb_size(0), TCG_TLB_MIN_ENTRIES);
    /* Still correct after the resizes. */
    toy_ram[0x12345] = 0x5c;
    CHECK_EQ(tcg_mem_load(CPU, 0x12345, MO_UB, 0, 0), 0x5c);
}

/* A table that keeps missing with no flush to resize it at (one address
 * space touching more pages than it holds) grows at once. */
TEST_CASE(softmmu_grows_while_missing)
{
    toy_setup();
    CHECK_EQ(tlb_size(0), TCG_TLB_MIN_ENTRIES);
    for (int pass = 0; pass < 4; pass++) {
        for (uint64_t p = 0; p < 2 * TCG_TLB_MIN_ENTRIES; p++)
            tcg_mem_load(CPU, 0x10000 + p * TCG_PAGE_SIZE, MO_UB, 0, 0);
    }
    CHECK(tlb_size(0) >= 2 * TCG_TLB_MIN_ENTRIES);
    CHECK_EQ(tlb_size(1), TCG_TLB_MIN_ENTRIES);
    unsigned fills = toy_fills;
    for (uint64_t p = 0; p < 2 * TCG_TLB_MIN_ENTRIES; p++)
        tcg_mem_load(CPU, 0x10000 + p * TCG_PAGE_SIZE, MO_UB, 0, 0);
    CHECK_EQ(toy_fills, fills);                     /* the working set fits now */
    toy_ram[0x12345] = 0x5c;
    CHECK_EQ(tcg_mem_load(CPU, 0x12345, MO_UB, 0, 0), 0x5c);
}

/* ROM: reads from the host copy, writes dropped. Unassigned: reads all
 * ones, writes dropped. */
TEST_CASE(softmmu_rom_unassigned)
{
    toy_setup();
    toy_rom[0x10] = 0x42;
    CHECK_EQ(tcg_mem_load(CPU, TOY_ROM_BASE + 0x10, MO_UB, 0, 0), 0x42);
    tcg_mem_store(CPU, TOY_ROM_BASE + 0x10, 0x99, MO_UB, 0, 0);
    CHECK_EQ(toy_rom[0x10], 0x42);
    CHECK(tcg_mem_host_ptr(CPU, TOY_ROM_BASE, 4, TCG_ACCESS_LOAD, 0, false, 0) ==
          (void *)toy_rom);
    CHECK(tcg_mem_host_ptr(CPU, TOY_ROM_BASE, 4, TCG_ACCESS_STORE, 0, false, 0) == NULL);
    CHECK_EQ(tcg_mem_load(CPU, 0x400000, MO_UL, 0, 0), 0xffffffffu);
    tcg_mem_store(CPU, 0x400000, 1, MO_UL, 0, 0);
    CHECK_EQ(tcg_mem_load(CPU, 0x400000, MO_UQ, 0, 0), ~0ull);
}

/* Host pointers: RAM within a page only; probe on an unmapped page
 * returns NULL without raising; without probe it faults. */
TEST_CASE(softmmu_host_ptr)
{
    toy_setup();
    CHECK(tcg_mem_host_ptr(CPU, 0x5010, 16, TCG_ACCESS_STORE, 0, false, 0) ==
          (void *)(toy_ram + 0x5010));
    CHECK(tcg_mem_host_ptr(CPU, 0x5ff8, 16, TCG_ACCESS_LOAD, 0, false, 0) == NULL);
    CHECK(tcg_mem_host_ptr(CPU, TOY_MMIO_BASE, 4, TCG_ACCESS_LOAD, 0, false, 0) == NULL);
    toy_map(0x66000, 0x66000, 0);
    CHECK(tcg_mem_host_ptr(CPU, 0x66000, 4, TCG_ACCESS_LOAD, 0, true, 0) == NULL);
    CHECK_EQ(toy_cpu->common.exception_index, -1);
    void *p = (void *)1;
    CHECK(CATCH(p = tcg_mem_host_ptr(CPU, 0x66000, 4, TCG_ACCESS_LOAD, 0, false, 0)));
    CHECK(p == (void *)1);
    CHECK_EQ(toy_cpu->common.exception_index, TOY_EXC_PF);
    toy_cpu->common.exception_index = -1;
}

/* Physical accesses for page walks: RAM (atomic cmpxchg), device memory. */
TEST_CASE(softmmu_phys)
{
    toy_setup();
    tcg_phys_store(CPU, 0x7000, 0x1234567890abcdefull, 8);
    CHECK_EQ(tcg_phys_load(CPU, 0x7000, 8), 0x1234567890abcdefull);
    CHECK_EQ(tcg_phys_load(CPU, 0x7004, 4), 0x12345678);
    CHECK(!tcg_phys_cmpxchg(CPU, 0x7000, 5, 6, 8));
    CHECK(tcg_phys_cmpxchg(CPU, 0x7000, 0x1234567890abcdefull, 0x21, 8));
    CHECK_EQ(tcg_phys_load(CPU, 0x7000, 8), 0x21);
    CHECK(tcg_phys_cmpxchg(CPU, 0x7000, 0x21, 0x63, 4));
    CHECK_EQ(toy_ram[0x7000], 0x63);
    CHECK_EQ(tcg_phys_load(CPU, TOY_MMIO_BASE + 2, 2), 0xa3a2);
    tcg_phys_store(CPU, TOY_MMIO_BASE + 4, 0x77, 1);
    CHECK_EQ(toy_dev_log[toy_dev_n - 1].write, true);
    CHECK_EQ(toy_dev_log[toy_dev_n - 1].val, 0x77);
    CHECK_EQ(tcg_phys_load(CPU, 0x500000, 4), 0xffffffffu);
}

/* Code fetch: from RAM, ROM and a device; probes on unmapped and
 * non-executable pages fail without raising. */
TEST_CASE(softmmu_code_fetch)
{
    toy_setup();
    toy_ram[0x3003] = 0x5a;
    toy_rom[7] = 0xa5;
    CHECK_EQ(tcg_code_ldub(CPU, 0x3003, 0), 0x5a);
    CHECK_EQ(tcg_code_ldub(CPU, TOY_ROM_BASE + 7, 0), 0xa5);
    CHECK_EQ(tcg_code_ldub(CPU, TOY_MMIO_BASE + 1, 0), 0xa1);
    CHECK_EQ(tcg_code_ldl(CPU, 0x3003, 0), 0x5a);
    toy_map(0x67000, 0x67000, 0);
    toy_map(0x68000, 0x68000, TOY_R | TOY_W);
    CHECK(tcg_code_fetch_probe(CPU, 0x3000, 0));
    CHECK(!tcg_code_fetch_probe(CPU, 0x67000, 0));
    CHECK(!tcg_code_fetch_probe(CPU, 0x68000, 0));
    CHECK_EQ(tcg_mem_load(CPU, 0x68000, MO_UB, 0, 0), 0);   /* readable, not executable */
    uint64_t phys;
    toy_map(0x69000, 0x6a000, TOY_RWX);
    CHECK(tcg_code_phys_addr(CPU, 0x69123, 0, false, &phys));
    CHECK_EQ(phys, 0x6a123);
}

/* Pages with code are write-tracked: a store that misses the code leaves
 * the block alone, one that hits it drops it, and once the page holds no
 * block the TLB entry stops taking the slow path. */
TEST_CASE(softmmu_notdirty)
{
    toy_setup();
    toy_org(0x6000);
    A_movi(3);
    A_halt();
    tcg_mem_load(CPU, 0x6800, MO_UB, 0, 0);   /* a TLB entry before the page has code */
    CHECK_EQ(entry_for(0, 0x6800)->addr_write, 0x6000);
    CHECK_EQ(toy_run_at(0x6000), EXCP_HLT);
    CHECK_EQ(entry_for(0, 0x6800)->addr_write, 0x6000 | TLB_NOTDIRTY);
    uint64_t nd = tcg_exec_stats.notdirty_writes;
    tcg_mem_store(CPU, 0x6800, 1, MO_UB, 0, 0);        /* data on the code page */
    CHECK_EQ(tcg_exec_stats.notdirty_writes, nd + 1);
    CHECK_EQ(entry_for(0, 0x6800)->addr_write, 0x6000 | TLB_NOTDIRTY);
    uint64_t translated = tcg_exec_stats.tb_translated;
    CHECK_EQ(toy_run_at(0x6000), EXCP_HLT);
    CHECK_EQ(tcg_exec_stats.tb_translated, translated);  /* still valid */
    tcg_mem_store(CPU, 0x6001, 9, MO_UB, 0, 0);        /* the movi immediate */
    CHECK_EQ(entry_for(0, 0x6800)->addr_write, 0x6000); /* page has no code now */
    CHECK_EQ(toy_run_at(0x6000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 9);
    CHECK_EQ(tcg_exec_stats.tb_translated, translated + 1);
    /* A page never holding code: stores stay on the fast path. */
    nd = tcg_exec_stats.notdirty_writes;
    tcg_mem_store(CPU, 0x9000, 1, MO_UB, 0, 0);
    CHECK_EQ(tcg_exec_stats.notdirty_writes, nd);
    /* Physical writes (a page walk's A/D update) invalidate too. */
    tcg_phys_store(CPU, 0x6001, 4, 1);
    CHECK_EQ(toy_run_at(0x6000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 4);
}

static void listener(void *opaque, AddressSpace *as)
{
    (void)as;
    tcg_memory_map_changed(opaque);
}

static MemoryRegion *overlay;

static void switch_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    (void)opaque;
    (void)off;
    (void)size;
    memory_region_set_enabled(overlay, value != 0);
}

static const MemoryRegionOps switch_ops = { .write = switch_write, .min_access = 1,
                                            .max_access = 8 };

/* A ROM mapped over RAM that holds code and data: the blocks translated
 * from RAM are dropped and the TLB refilled, with no explicit flush; also
 * when a device access inside a block does the remapping (the rest of the
 * block sees the new map). */
TEST_CASE(softmmu_map_change)
{
    static bool listening;
    static uint8_t rom2[2 * 4096] __attribute__((aligned(4096)));
    toy_setup();
    if (!listening) {
        address_space_add_listener(toy_m.mem, listener, &toy_m);
        overlay = as_map_rom(toy_m.mem, "overlay", 0x40000, sizeof(rom2), rom2);
        memory_region_set_priority(overlay, 1);
        as_map_io(toy_m.mem, "switch", 0x310000, 0x1000, &switch_ops, NULL);
        listening = true;
    }
    memory_region_set_enabled(overlay, false);
    memset(rom2, 0, sizeof(rom2));
    toy_org(0x40000);
    A_movi(1);
    A_halt();
    rom2[0] = 2;              /* movi 2; halt */
    rom2[1] = 2;
    rom2[5] = 7;
    toy_ram[0x41000] = 0x11;
    rom2[0x1000] = 0x5a;
    CHECK_EQ(toy_run_at(0x40000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 1);
    CHECK_EQ(tcg_mem_load(CPU, 0x41000, MO_UB, 0, 0), 0x11);
    memory_region_set_enabled(overlay, true);
    CHECK_EQ(toy_run_at(0x40000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 2);
    CHECK_EQ(tcg_mem_load(CPU, 0x41000, MO_UB, 0, 0), 0x5a);
    memory_region_set_enabled(overlay, false);
    CHECK_EQ(toy_run_at(0x40000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 1);
    /* From inside a block: switch the overlay on, then read under it. */
    toy_org(0x1000);
    A_movi(1);
    A_st(0, 0x310000);
    A_ld(0, 0x41000);
    A_halt();
    CHECK_EQ(tcg_mem_load(CPU, 0x41000, MO_UB, 0, 0), 0x11);   /* cached in the TLB */
    CHECK_EQ(toy_run_at(0x1000), EXCP_HLT);
    CHECK_EQ(toy_cpu->acc, 0x5a);
    memory_region_set_enabled(overlay, false);
}

int main(void)
{
    toy_watchdog(120);
    RUN_BACKENDS(softmmu_mmio_sizes);
    RUN_BACKENDS(softmmu_page_cross);
    RUN_BACKENDS(softmmu_victim);
    RUN_BACKENDS(softmmu_flushes);
    RUN_BACKENDS(softmmu_flush_filled_entries);
    RUN_BACKENDS(softmmu_notdirty_many_entries);
    RUN_BACKENDS(softmmu_large_page);
    RUN_BACKENDS(softmmu_resize);
    RUN_BACKENDS(softmmu_grows_while_missing);
    RUN_BACKENDS(softmmu_rom_unassigned);
    RUN_BACKENDS(softmmu_host_ptr);
    RUN_BACKENDS(softmmu_phys);
    RUN_BACKENDS(softmmu_code_fetch);
    RUN_BACKENDS(softmmu_notdirty);
    RUN_BACKENDS(softmmu_map_change);
    TEST_EXIT();
}
