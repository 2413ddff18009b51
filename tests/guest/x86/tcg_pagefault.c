/* tcg_pagefault: faults inside a translated block are precise: loads, stores,
 * read-modify-writes on a read-only page (CR0.WP = 1), stack operations and
 * #UD/#GP/#DE/#BP leave exactly the earlier instructions' effects, and the
 * sequence completes after the handler fixes the cause.  Reference: SDM
 * vol. 3A 6.5 (fault state is from before the instruction), 4.6, 4.7. */
#include "lm64.h"

#define VEC_PF 14
#define SENTINEL 0x5a5a5a5a5a5a5a5aull
#define MISSING_VALUE 0x0123456789abcdefull
#define RMW_INIT 0x7fffffffffffffffull
#define SNAP_HALF 32
#define FLAGS_BEFORE (RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF | RFLAGS_AF)

extern Lm64Fn pf_loads, pf_stores, pf_split_load;
extern const char pf_loads_fault[], pf_stores_fault[], pf_split_load_fault[];

static uint8_t pages[4][LM64_PAGE] __attribute__((aligned(4096)));
#define BEFORE pages[0]             /* writable page before the target */
#define TARGET pages[1]             /* read-only or missing */
#define DATA pages[2]
#define SCRATCH pages[3]

static char label[128];
#define EXPECT(fmt_what, got, want) \
    (snprintf(label, sizeof(label), "%s: %s", name, fmt_what), LM64_EXPECT_EQ(label, got, want))

static void check_pf(const char *name, const char *insn, uint64_t cr2, uint64_t error,
                     uint32_t count_before)
{
    EXPECT("faults taken", lm64_fault_count - count_before, 1);
    EXPECT("vector", lm64_fault.vector, VEC_PF);
    EXPECT("frame RIP", lm64_fault.rip, lm64_addr(insn));
    EXPECT("CR2", lm64_fault.cr2, cr2);
    EXPECT("error code", lm64_fault.error_code, error);
    snprintf(label, sizeof(label), "%s: RF in the fault frame", name);
    lm64_expect_sdm(label, lm64_fault.regs.rflags & RFLAGS_RF, RFLAGS_RF);
}

static void test_loads(void)
{
    const char *name = "loads";
    uint64_t *data = (uint64_t *)DATA, *scratch = (uint64_t *)SCRATCH;
    uint64_t *missing = (uint64_t *)(TARGET + 0x238);
    data[0] = ~0ull;
    data[1] = 1;
    *missing = MISSING_VALUE;
    scratch[0] = SENTINEL;
    lm64_identity(TARGET, 0);
    lm64_arm(TARGET, PTE_P | PTE_W, 0, SCRATCH);
    uint32_t count = lm64_fault_count;
    Lm64Regs r = { .rsi = lm64_addr(data), .rdi = lm64_addr(missing), .r8 = lm64_addr(scratch),
                   .r9 = 0x7fffffffffffffffull, .rax = SENTINEL, .rcx = SENTINEL,
                   .rdx = SENTINEL };
    lm64_call(pf_loads, &r);
    check_pf(name, pf_loads_fault, lm64_addr(missing), 0, count);
    volatile Lm64Regs *f = &lm64_fault.regs;
    EXPECT("RAX from loads 1-2 at the fault", f->rax, 0);
    EXPECT("flags from instruction 2 at the fault", f->rflags & RFLAGS_ARITH, FLAGS_BEFORE);
    EXPECT("RCX (faulting load) at the fault", f->rcx, SENTINEL);
    EXPECT("RDX (instruction 5) at the fault", f->rdx, SENTINEL);
    EXPECT("R9 (instruction 6) at the fault", f->r9, 0x7fffffffffffffffull);
    uint64_t stored;
    memcpy(&stored, (const void *)lm64_fault.snap, 8);
    EXPECT("store of instruction 4 at the fault", stored, SENTINEL);
    EXPECT("RAX at the end", r.rax, 0);
    EXPECT("RCX at the end", r.rcx, MISSING_VALUE);
    EXPECT("store of instruction 4 at the end", scratch[0], MISSING_VALUE);
    EXPECT("RDX at the end", r.rdx, 0x4444);
    EXPECT("R9 at the end", r.r9, 0x8000000000000000ull);
    EXPECT("flags at the end", r.rflags & RFLAGS_ARITH,
           RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_SF | RFLAGS_OF);
}

static void test_stores(void)
{
    const char *name = "stores";
    uint64_t *scratch = (uint64_t *)SCRATCH;
    uint64_t *missing = (uint64_t *)(TARGET + 0x100);
    for (int i = 0; i < 4; i++)
        scratch[i] = SENTINEL;
    *missing = SENTINEL;
    lm64_identity(TARGET, 0);
    lm64_arm(TARGET, PTE_P | PTE_W, 0, SCRATCH);
    uint32_t count = lm64_fault_count;
    Lm64Regs r = { .rdi = lm64_addr(missing), .r8 = lm64_addr(scratch), .rax = SENTINEL };
    lm64_call(pf_stores, &r);
    check_pf(name, pf_stores_fault, lm64_addr(missing), PF_W, count);
    uint64_t snap[4];
    memcpy(snap, (const void *)lm64_fault.snap, sizeof(snap));
    EXPECT("QWORD store 1 at the fault", snap[0], 0x1111);
    EXPECT("DWORD store 2 at the fault", snap[1], 0x5a5a5a5a00002222ull);
    EXPECT("BYTE store 3 at the fault", snap[2], 0x5a5a5a5a5a5a5a33ull);
    EXPECT("store 5 at the fault", snap[3], SENTINEL);
    EXPECT("RAX (instruction 6) at the fault", lm64_fault.regs.rax, SENTINEL);
    EXPECT("faulting store at the end", *missing, 0x4444);
    EXPECT("store 5 at the end", scratch[3], 0x5555);
    EXPECT("RAX at the end", r.rax, 0x6666);
}

static void test_split_load(void)
{
    const char *name = "QWORD load straddling into a missing page";
    uint8_t *addr = TARGET - 4;
    lm64_identity(TARGET, PTE_P | PTE_W);
    memcpy(addr, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    lm64_identity(TARGET, 0);
    lm64_arm(TARGET, PTE_P | PTE_W, 0, NULL);
    uint32_t count = lm64_fault_count;
    Lm64Regs r = { .rsi = lm64_addr(addr), .rax = SENTINEL };
    lm64_call(pf_split_load, &r);
    check_pf(name, pf_split_load_fault, lm64_addr(TARGET), 0, count);
    EXPECT("RAX at the fault", lm64_fault.regs.rax, SENTINEL);
    EXPECT("RBX (instruction before) at the fault", lm64_fault.regs.rbx, 0x77);
    EXPECT("RAX at the end", r.rax, 0x0807060504030201ull);
}

extern Lm64Fn pf_pop, pf_ret, pf_call, pf_push, pf_leave;
extern const char pf_pop_insn[], pf_ret_insn[], pf_ret_back[], pf_call_insn[], pf_call_target[],
    pf_push_insn[], pf_leave_insn[];

typedef struct StackCase {
    const char *name;
    Lm64Fn *body;
    const char *insn;
    bool stack_in_missing;      /* RSP (or RBP for LEAVE) points at the missing page */
    uint64_t value;             /* first QWORD of the missing page */
    uint64_t rdx_after;         /* RSP after the instruction, relative to the saved one */
} StackCase;

/* RSP itself must be unchanged in the frame (no partial push or pop);
 * SDM vol. 3A 6.5: the saved state is as before the faulting instruction. */
static void test_stack(const StackCase *c)
{
    const char *name = c->name;
    uint64_t *missing = (uint64_t *)TARGET;
    lm64_identity(TARGET, PTE_P | PTE_W);
    *missing = c->value;
    lm64_identity(TARGET, 0);
    lm64_arm(TARGET, PTE_P | PTE_W, 0, NULL);
    uint32_t count = lm64_fault_count;
    Lm64Regs r = { .rdi = lm64_addr(missing), .rax = SENTINEL, .rdx = SENTINEL };
    lm64_call(c->body, &r);
    check_pf(name, c->insn, lm64_addr(missing), 0, count);
    volatile Lm64Fault *f = &lm64_fault;
    if (c->body == pf_leave) {
        EXPECT("RSP at the fault", f->rsp, f->regs.r15);
        EXPECT("RBP at the fault", f->regs.rbp, lm64_addr(missing));
        EXPECT("RSP after LEAVE", r.rdx, lm64_addr(missing) + 8);
        EXPECT("RBP after LEAVE", r.rax, c->value);
        return;
    }
    EXPECT("RSP at the fault", f->rsp, c->stack_in_missing ? lm64_addr(missing) : f->regs.r15);
    EXPECT("RAX at the fault", f->regs.rax, SENTINEL);
    uint64_t base = c->stack_in_missing ? lm64_addr(missing) : r.r15;
    EXPECT("RSP after the instruction", r.rdx, base + c->rdx_after);
    if (c->body == pf_pop || c->body == pf_push)
        EXPECT("value moved", r.rax, c->value);
}

static void test_stacks(void)
{
    const StackCase cases[] = {
        { "POP from a missing stack page", pf_pop, pf_pop_insn, true, 0x0102030405060708ull, 8 },
        { "RET with the stack page missing", pf_ret, pf_ret_insn, true, lm64_addr(pf_ret_back), 8 },
        { "CALL through a missing pointer", pf_call, pf_call_insn, false,
          lm64_addr(pf_call_target), (uint64_t)-8 },
        { "PUSH of a missing memory operand", pf_push, pf_push_insn, false, 0x1122334455667788ull,
          (uint64_t)-8 },
        { "LEAVE with RBP in a missing page", pf_leave, pf_leave_insn, true, 0x0a0b0c0d0e0f1011ull,
          8 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        test_stack(&cases[i]);
}

extern Lm64Fn exc_ud, exc_gp, exc_de, exc_bp;
extern const char exc_ud_insn[], exc_gp_insn[], exc_de_insn[], exc_bp_insn[];
extern const char exc_ud_resume[], exc_gp_resume[], exc_de_resume[], exc_bp_resume[];

/* Faults report the faulting instruction, traps the next one; both with
 * the earlier instruction's register and flags state. */
static void test_other(const char *name, Lm64Fn *body, const char *insn, const char *resume,
                       uint64_t vector, bool trap, unsigned trap_length)
{
    lm64_arm(NULL, 0, trap ? 0 : lm64_addr(resume), NULL);
    uint32_t count = lm64_fault_count;
    Lm64Regs r = { .rsi = 0x8000000000000000ull, .rdi = 0, .rax = 7, .rdx = 0, .rcx = SENTINEL };
    lm64_call(body, &r);
    EXPECT("exceptions taken", lm64_fault_count - count, 1);
    EXPECT("vector", lm64_fault.vector, vector);
    EXPECT("frame RIP", lm64_fault.rip, lm64_addr(insn) + (trap ? trap_length : 0));
    EXPECT("error code", lm64_fault.error_code, 0);
    /* SDM vol. 3A 17.3.1.1: RF = 1 for faults, the current RF (0) for traps. */
    if (trap) {
        EXPECT("RF in the trap frame", lm64_fault.regs.rflags & RFLAGS_RF, 0);
    } else {
        snprintf(label, sizeof(label), "%s: RF in the fault frame", name);
        lm64_expect_sdm(label, lm64_fault.regs.rflags & RFLAGS_RF, RFLAGS_RF);
    }
    EXPECT("RBX (instruction before) at the exception", lm64_fault.regs.rbx, 0x1234);
    EXPECT("flags (instruction before) at the exception", lm64_fault.regs.rflags & RFLAGS_ARITH,
           FLAGS_BEFORE);
    EXPECT("RCX (instruction after) at the exception", lm64_fault.regs.rcx, SENTINEL);
    EXPECT("RCX at the end", r.rcx, trap ? 0x5678 : SENTINEL);
}

static void test_others(void)
{
    test_other("#UD (UD2)", exc_ud, exc_ud_insn, exc_ud_resume, 6, false, 0);
    test_other("#GP(0) (non-canonical load)", exc_gp, exc_gp_insn, exc_gp_resume, 13, false, 0);
    test_other("#DE (DIV by zero)", exc_de, exc_de_insn, exc_de_resume, 0, false, 0);
    test_other("#BP (INT3, a trap)", exc_bp, exc_bp_insn, exc_bp_resume, 3, true, 1);
}

typedef struct RmwCase {
    const char *name;
    Lm64Fn *body;
    const char *insn;
    int offset;                 /* from the start of the read-only page */
    uint32_t defined;           /* flags the SDM defines after it */
} RmwCase;

#define SHL_DEFINED (RFLAGS_CF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_PF)  /* OF, AF undefined */
#define BTS_DEFINED (RFLAGS_CF | RFLAGS_ZF)     /* CF = the bit, ZF kept, rest undefined */

extern Lm64Fn rmw_add, rmw_lock_add, rmw_adc, rmw_inc, rmw_neg, rmw_shl, rmw_bts, rmw_xchg,
    rmw_xadd, rmw_cmpxchg, rmw_add_byte;
extern const char rmw_add_insn[], rmw_lock_add_insn[], rmw_adc_insn[], rmw_inc_insn[],
    rmw_neg_insn[], rmw_shl_insn[], rmw_bts_insn[], rmw_xchg_insn[], rmw_xadd_insn[],
    rmw_cmpxchg_insn[], rmw_add_byte_insn[];

static const RmwCase rmw_cases[] = {
    { "ADD [mem], reg", rmw_add, rmw_add_insn, 0x40, RFLAGS_ARITH },
    { "LOCK ADD [mem], reg", rmw_lock_add, rmw_lock_add_insn, 0x40, RFLAGS_ARITH },
    { "ADC [mem], reg", rmw_adc, rmw_adc_insn, 0x48, RFLAGS_ARITH },
    { "INC [mem]", rmw_inc, rmw_inc_insn, 0x50, RFLAGS_ARITH },
    { "NEG [mem]", rmw_neg, rmw_neg_insn, 0x58, RFLAGS_ARITH },
    { "SHL [mem], 3", rmw_shl, rmw_shl_insn, 0x60, SHL_DEFINED },
    { "BTS [mem], 5", rmw_bts, rmw_bts_insn, 0x68, BTS_DEFINED },
    { "XCHG [mem], reg", rmw_xchg, rmw_xchg_insn, 0x70, RFLAGS_ARITH },
    { "LOCK XADD [mem], reg", rmw_xadd, rmw_xadd_insn, 0x78, RFLAGS_ARITH },
    { "LOCK CMPXCHG [mem], reg", rmw_cmpxchg, rmw_cmpxchg_insn, 0x80, RFLAGS_ARITH },
    { "ADD byte [mem], reg", rmw_add_byte, rmw_add_byte_insn, 0x88, RFLAGS_ARITH },
    { "ADD [mem], reg straddling into the read-only page", rmw_add, rmw_add_insn, -4,
      RFLAGS_ARITH },
};

/* The 64 bytes around TARGET + offset, as set before each run. */
static void rmw_reset(int offset, uint8_t *expect)
{
    uint8_t *p = TARGET + offset - SNAP_HALF;
    for (int i = 0; i < 2 * SNAP_HALF; i++)
        p[i] = (uint8_t)(0xa0 + i);
    uint64_t init = RMW_INIT;
    memcpy(TARGET + offset, &init, 8);
    if (expect)
        memcpy(expect, p, 2 * SNAP_HALF);
}

static void test_rmw(const RmwCase *c)
{
    const char *name = c->name;
    uint8_t *target = TARGET + c->offset;
    uint8_t before[2 * SNAP_HALF], reference[2 * SNAP_HALF];
    const Lm64Regs in = { .rdi = lm64_addr(target), .rbx = 1, .rax = RMW_INIT, .rcx = 0x42 };

    /* Reference: the same body on a writable page, no fault. */
    lm64_identity(TARGET, PTE_P | PTE_W);
    rmw_reset(c->offset, NULL);
    Lm64Regs ref = in;
    lm64_call(c->body, &ref);
    memcpy(reference, target - SNAP_HALF, sizeof(reference));

    rmw_reset(c->offset, before);
    lm64_identity(TARGET, PTE_P);
    lm64_arm(TARGET, PTE_P | PTE_W, 0, target - SNAP_HALF);
    uint32_t count = lm64_fault_count;
    Lm64Regs r = in;
    lm64_call(c->body, &r);
    check_pf(name, c->insn, lm64_addr(c->offset < 0 ? TARGET : target), PF_P | PF_W, count);
    EXPECT("flags at the fault (as before the instruction)",
           lm64_fault.regs.rflags & RFLAGS_ARITH, FLAGS_BEFORE);
    EXPECT("RAX at the fault", lm64_fault.regs.rax, in.rax);
    EXPECT("RBX at the fault", lm64_fault.regs.rbx, in.rbx);
    EXPECT("RCX at the fault", lm64_fault.regs.rcx, in.rcx);
    EXPECT("memory unchanged at the fault",
           memcmp((const void *)lm64_fault.snap, before, sizeof(before)), 0);
    EXPECT("memory at the end equals a run without the fault",
           memcmp(target - SNAP_HALF, reference, sizeof(reference)), 0);
    EXPECT("RAX at the end", r.rax, ref.rax);
    EXPECT("RBX at the end", r.rbx, ref.rbx);
    EXPECT("defined flags at the end", r.rflags & c->defined, ref.rflags & c->defined);
    if (c->body == rmw_add && c->offset >= 0) {
        /* 0x7fffffffffffffff + 1, by the SDM's ADD flag rules. */
        uint64_t result;
        memcpy(&result, target, 8);
        EXPECT("ADD result", result, 0x8000000000000000ull);
        EXPECT("ADD flags", r.rflags & RFLAGS_ARITH,
               RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
    }
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
    lm64_init();
    test_loads();
    test_stores();
    test_split_load();
    for (unsigned i = 0; i < sizeof(rmw_cases) / sizeof(rmw_cases[0]); i++)
        test_rmw(&rmw_cases[i]);
    test_stacks();
    test_others();
    lm64_identity(TARGET, PTE_P | PTE_W);
    printf("loads, stores, split load, %u read-modify-write forms on a read-only page, "
           "POP/RET/CALL/PUSH/LEAVE, #UD/#GP/#DE/#BP: %u mismatches\n",
           (unsigned)(sizeof(rmw_cases) / sizeof(rmw_cases[0])), (unsigned)lm64_failures());
    lm64_finish("tcg_pagefault");
}
