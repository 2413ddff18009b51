/* tcg_pagecross: an instruction split across a 4 KiB page boundary at every
 * point runs, sees stores and remaps of its second page, and with that page
 * missing or NX faults with CR2 = the boundary, RIP = its start, earlier
 * instructions done, I/D set only with EFER.NXE; code that already ran obeys
 * a remap, unmap or NX of its page.  Reference: SDM vol. 3A 4.7, 6.15. */
#include "lm64.h"

#define INSN_LEN 10                  /* 48 b8 imm64: movabs $imm, %rax */
#define LEAD_LEN 10                  /* mov $0x11,%ecx ; mov $0x22,%edx */
#define IMM_A 0x1122334455667788ull
#define SENTINEL 0x5a5a5a5a5a5a5a5aull
#define VEC_PF 14

static uint8_t pages[3][LM64_PAGE] __attribute__((aligned(4096)));
#define PAGE1 pages[0]
#define PAGE2 pages[1]
#define OTHER pages[2]               /* second physical page for the remap */

/* Writes the lead-in and the MOVABS so the MOVABS starts SPLIT bytes
 * before the boundary (0: at the boundary, 10: wholly in the first page),
 * then RET.  Returns the entry address. */
static uint8_t *emit(uint8_t *boundary, unsigned split, uint64_t imm)
{
    uint8_t *insn = boundary - split;
    uint8_t *p = insn - LEAD_LEN;
    static const uint8_t lead[LEAD_LEN] = { 0xb9, 0x11, 0, 0, 0, 0xba, 0x22, 0, 0, 0 };
    memcpy(p, lead, LEAD_LEN);
    insn[0] = 0x48;
    insn[1] = 0xb8;
    memcpy(insn + 2, &imm, 8);
    insn[INSN_LEN] = 0xc3;
    return p;
}

static Lm64Regs run(uint8_t *entry)
{
    Lm64Regs r = { .rax = SENTINEL, .rcx = SENTINEL, .rdx = SENTINEL };
    lm64_call((Lm64Fn *)entry, &r);
    return r;
}

static void check_fault(const char *what, unsigned split, uint32_t want_error, uint64_t imm)
{
    volatile Lm64Fault *f = &lm64_fault;
    char label[96];
    snprintf(label, sizeof(label), "%s split %u: vector", what, split);
    LM64_EXPECT_EQ(label, f->vector, VEC_PF);
    snprintf(label, sizeof(label), "%s split %u: CR2", what, split);
    LM64_EXPECT_EQ(label, f->cr2, lm64_addr(PAGE2));
    snprintf(label, sizeof(label), "%s split %u: error code", what, split);
    LM64_EXPECT_EQ(label, f->error_code, want_error);
    snprintf(label, sizeof(label), "%s split %u: RIP in the frame", what, split);
    LM64_EXPECT_EQ(label, f->rip, lm64_addr(split < INSN_LEN ? PAGE2 - split : PAGE2));
    snprintf(label, sizeof(label), "%s split %u: RCX (earlier MOV done)", what, split);
    LM64_EXPECT_EQ(label, f->regs.rcx, 0x11);
    snprintf(label, sizeof(label), "%s split %u: RDX (earlier MOV done)", what, split);
    LM64_EXPECT_EQ(label, f->regs.rdx, 0x22);
    snprintf(label, sizeof(label), "%s split %u: RF in the fault frame", what, split);
    lm64_expect_sdm(label, f->regs.rflags & RFLAGS_RF, RFLAGS_RF);
    snprintf(label, sizeof(label), "%s split %u: RAX at the fault", what, split);
    LM64_EXPECT_EQ(label, f->regs.rax, split < INSN_LEN ? SENTINEL : imm);
}

static void test_split(unsigned split, bool have_nx)
{
    char label[96];
    uint8_t *entry = emit(PAGE2, split, IMM_A);
    uint8_t *insn = PAGE2 - split;

    Lm64Regs r = run(entry);
    snprintf(label, sizeof(label), "split %u: MOVABS result", split);
    LM64_EXPECT_EQ(label, r.rax, IMM_A);

    /* A store to the last immediate byte (in the second page unless split = 10). */
    insn[INSN_LEN - 1] = 0x99;
    uint64_t imm_b = (IMM_A & 0x00ffffffffffffffull) | 0x9900000000000000ull;
    r = run(entry);
    snprintf(label, sizeof(label), "split %u: after a store to the second page", split);
    LM64_EXPECT_EQ(label, r.rax, imm_b);

    /* The second linear page remapped onto another physical page whose
     * bytes differ: the cached translation must not be reused. */
    memcpy(OTHER, PAGE2, LM64_PAGE);
    if (split < INSN_LEN)
        OTHER[INSN_LEN - 1 - split] = 0x77;
    uint64_t imm_c = (IMM_A & 0x00ffffffffffffffull) | 0x7700000000000000ull;
    lm64_map(PAGE2, lm64_addr(OTHER), PTE_P | PTE_W);
    r = run(entry);
    snprintf(label, sizeof(label), "split %u: second page remapped to other bytes", split);
    LM64_EXPECT_EQ(label, r.rax, split < INSN_LEN ? imm_c : imm_b);
    lm64_identity(PAGE2, PTE_P | PTE_W);

    /* Second page not present, NXE = 0: I/D stays 0. */
    uint32_t count = lm64_fault_count;
    lm64_identity(PAGE2, 0);
    lm64_arm(PAGE2, PTE_P | PTE_W, 0, NULL);
    r = run(entry);
    LM64_EXPECT_EQ("faults taken (not present, NXE=0)", lm64_fault_count - count, 1);
    check_fault("not present, NXE=0", split, 0, imm_b);
    snprintf(label, sizeof(label), "split %u: result after the handler mapped the page", split);
    LM64_EXPECT_EQ(label, r.rax, imm_b);
    if (!have_nx)
        return;

    /* Not present with NXE = 1: I/D = 1. */
    lm64_set_nxe(true);
    count = lm64_fault_count;
    lm64_identity(PAGE2, 0);
    lm64_arm(PAGE2, PTE_P | PTE_W, 0, NULL);
    r = run(entry);
    LM64_EXPECT_EQ("faults taken (not present, NXE=1)", lm64_fault_count - count, 1);
    check_fault("not present, NXE=1", split, PF_ID, imm_b);
    LM64_EXPECT_EQ("result after the handler mapped the page (NXE=1)", r.rax, imm_b);

    /* Present but execute-disabled: P = 1, I/D = 1. */
    count = lm64_fault_count;
    lm64_identity(PAGE2, PTE_P | PTE_W | PTE_NX);
    lm64_arm(PAGE2, PTE_P | PTE_W, 0, NULL);
    r = run(entry);
    LM64_EXPECT_EQ("faults taken (NX)", lm64_fault_count - count, 1);
    check_fault("execute-disabled", split, PF_P | PF_ID, imm_b);
    LM64_EXPECT_EQ("result after the handler cleared NX", r.rax, imm_b);
    lm64_set_nxe(false);
}

/* Code already run (so possibly cached as translated code) on a page that
 * is then remapped to other bytes, made not present, or made NX: the next
 * call must see the new mapping, and the faults report CR2 = RIP = entry. */
static void test_cached_page(bool have_nx)
{
    uint8_t *entry = PAGE1 + 0x100;
    memset(OTHER, 0xcc, LM64_PAGE);
    entry[0] = 0xb8;                             /* mov $0x1234, %eax ; ret */
    memcpy(entry + 1, "\x34\x12\x00\x00\xc3", 5);
    memcpy(OTHER + 0x100, "\xb8\x78\x56\x00\x00\xc3", 6);
    Lm64Regs r = { 0 };
    lm64_call((Lm64Fn *)entry, &r);
    LM64_EXPECT_EQ("cached page: first run", r.rax, 0x1234);

    lm64_map(PAGE1, lm64_addr(OTHER), PTE_P | PTE_W);
    r = (Lm64Regs){ 0 };
    lm64_call((Lm64Fn *)entry, &r);
    LM64_EXPECT_EQ("cached page: after remapping to another physical page", r.rax, 0x5678);
    lm64_identity(PAGE1, PTE_P | PTE_W);
    r = (Lm64Regs){ 0 };
    lm64_call((Lm64Fn *)entry, &r);
    LM64_EXPECT_EQ("cached page: after mapping back", r.rax, 0x1234);

    uint32_t count = lm64_fault_count;
    lm64_identity(PAGE1, 0);
    lm64_arm(PAGE1, PTE_P | PTE_W, 0, NULL);
    r = (Lm64Regs){ 0 };
    lm64_call((Lm64Fn *)entry, &r);
    LM64_EXPECT_EQ("cached page not present: faults", lm64_fault_count - count, 1);
    LM64_EXPECT_EQ("cached page not present: CR2", lm64_fault.cr2, lm64_addr(entry));
    LM64_EXPECT_EQ("cached page not present: RIP", lm64_fault.rip, lm64_addr(entry));
    LM64_EXPECT_EQ("cached page not present: error code", lm64_fault.error_code, 0);
    LM64_EXPECT_EQ("cached page not present: result after the fix", r.rax, 0x1234);
    if (!have_nx)
        return;
    lm64_set_nxe(true);
    count = lm64_fault_count;
    lm64_identity(PAGE1, PTE_P | PTE_W | PTE_NX);
    lm64_arm(PAGE1, PTE_P | PTE_W, 0, NULL);
    r = (Lm64Regs){ 0 };
    lm64_call((Lm64Fn *)entry, &r);
    LM64_EXPECT_EQ("cached page made NX: faults", lm64_fault_count - count, 1);
    LM64_EXPECT_EQ("cached page made NX: CR2", lm64_fault.cr2, lm64_addr(entry));
    LM64_EXPECT_EQ("cached page made NX: RIP", lm64_fault.rip, lm64_addr(entry));
    LM64_EXPECT_EQ("cached page made NX: error code", lm64_fault.error_code, PF_P | PF_ID);
    LM64_EXPECT_EQ("cached page made NX: result after the fix", r.rax, 0x1234);
    lm64_set_nxe(false);
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
    lm64_init();
    bool have_nx = lm64_has_nx();
    printf("long mode on; NX %s\n", have_nx ? "available" : "not available (NX cases skipped)");
    for (unsigned split = 0; split <= INSN_LEN; split++) {
        memset(PAGE1, 0xcc, sizeof(PAGE1));     /* INT3 around the code */
        memset(PAGE2, 0xcc, sizeof(PAGE2));
        test_split(split, have_nx);
    }
    memset(PAGE1, 0xcc, sizeof(PAGE1));
    test_cached_page(have_nx);
    printf("code page remapped, made not present%s after it ran: checked\n",
           have_nx ? ", made NX" : "");
    printf("MOVABS split at 0..%u bytes before the boundary: run, store, remap, #PF "
           "(not present%s) checked\n", INSN_LEN, have_nx ? ", NXE=1, NX" : "");
    lm64_finish("tcg_pagecross");
}
