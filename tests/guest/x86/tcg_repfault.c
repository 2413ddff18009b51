/* tcg_repfault: a #PF in the middle of REP MOVSB/STOSB/MOVSQ (and STOSB with
 * DF = 1) reports RIP = the instruction and RCX/RSI/RDI after the last done
 * element, with nothing stored past it; IRETQ resumes and completes it.
 * Reference: SDM vol. 2B REP (registers on a fault), vol. 3A 6.5 (no
 * half-done element), 8.2.4 (fast strings keep exceptions precise). */
#include "lm64.h"

#define VEC_PF 14
#define FILL 0xee
#define SNAP_BEFORE 32                  /* snapshot: 32 bytes each side */

extern Lm64Fn rep_movsb, rep_stosb, rep_movsq, rep_stosb_down;
extern const char rep_movsb_insn[], rep_stosb_insn[], rep_movsq_insn[], rep_stosb_down_insn[];

/* Source pages, destination pages and a linear alias of the destination
 * pages through which the handler snapshots memory around the boundary
 * (the second destination page itself is not present at that time). */
static uint8_t pages[6][LM64_PAGE] __attribute__((aligned(4096)));
#define SRC1 pages[0]
#define SRC2 pages[1]
#define DST1 pages[2]
#define DST2 pages[3]
#define ALIAS1 pages[4]
#define ALIAS2 pages[5]

static void reset_memory(void)
{
    uint8_t *src = (uint8_t *)pages + 0 * LM64_PAGE, *dst = (uint8_t *)pages + 2 * LM64_PAGE;
    for (unsigned i = 0; i < 2 * LM64_PAGE; i++)
        src[i] = (uint8_t)(i * 7 + 1);      /* SRC1 and SRC2 are adjacent */
    memset(dst, FILL, 2 * LM64_PAGE);
}

typedef struct Expect {
    uint64_t cr2, error, rcx, rsi, rdi;
    uint64_t final_rcx, final_rsi, final_rdi;
} Expect;

/* Runs BODY with page MISSING not present and the fix armed to map it;
 * checks the fault frame and the final registers. */
static Lm64Regs run_case(const char *name, Lm64Fn *body, const char *insn, Lm64Regs in,
                         uint8_t *missing, const Expect *want)
{
    char label[96];
    uint32_t count = lm64_fault_count;

    lm64_identity(missing, 0);
    lm64_arm(missing, PTE_P | PTE_W, 0, ALIAS2 - SNAP_BEFORE);
    lm64_call(body, &in);
    volatile Lm64Fault *f = &lm64_fault;
#define FIELD(what, got, exp) \
    snprintf(label, sizeof(label), "%s: %s", name, what), LM64_EXPECT_EQ(label, got, exp)
    FIELD("faults taken", lm64_fault_count - count, 1);
    FIELD("vector", f->vector, VEC_PF);
    FIELD("frame RIP (the string instruction)", f->rip, lm64_addr(insn));
    FIELD("CR2", f->cr2, want->cr2);
    FIELD("error code", f->error_code, want->error);
    FIELD("RCX at the fault", f->regs.rcx, want->rcx);
    FIELD("RSI at the fault", f->regs.rsi, want->rsi);
    FIELD("RDI at the fault", f->regs.rdi, want->rdi);
    snprintf(label, sizeof(label), "%s: RF in the fault frame", name);
    lm64_expect_sdm(label, f->regs.rflags & RFLAGS_RF, RFLAGS_RF);
    FIELD("RCX at the end", in.rcx, want->final_rcx);
    FIELD("RSI at the end", in.rsi, want->final_rsi);
    FIELD("RDI at the end", in.rdi, want->final_rdi);
#undef FIELD
    return in;
}

/* Bytes [from, to) of the snapshot window (boundary - 32 .. boundary + 32)
 * must equal WANT (NULL: the fill byte). */
static void check_snap(const char *name, int from, int to, const uint8_t *want)
{
    char label[96];
    for (int i = from; i < to; i++) {
        uint8_t exp = want ? want[i - from] : FILL;
        if (lm64_fault.snap[i] != exp) {
            int at = i - SNAP_BEFORE;
            snprintf(label, sizeof(label), "%s: byte at boundary %s %d when the fault was taken",
                     name, at < 0 ? "-" : "+", at < 0 ? -at : at);
            LM64_EXPECT_EQ(label, lm64_fault.snap[i], exp);
            return;
        }
    }
}

static void check_bytes(const char *name, const uint8_t *got, const uint8_t *want, uint8_t fill,
                        unsigned n)
{
    char label[96];
    for (unsigned i = 0; i < n; i++) {
        uint8_t exp = want ? want[i] : fill;
        if (got[i] != exp) {
            snprintf(label, sizeof(label), "%s: byte %u after completion", name, i);
            LM64_EXPECT_EQ(label, got[i], exp);
            return;
        }
    }
}

static void test_movsb(void)
{
    const unsigned before = 100, total = 300;
    reset_memory();
    Lm64Regs in = { .rsi = lm64_addr(SRC1), .rdi = lm64_addr(DST2 - before), .rcx = total };
    Expect want = {
        .cr2 = lm64_addr(DST2), .error = PF_W, .rcx = total - before,
        .rsi = lm64_addr(SRC1 + before), .rdi = lm64_addr(DST2),
        .final_rcx = 0, .final_rsi = lm64_addr(SRC1 + total),
        .final_rdi = lm64_addr(DST2 + total - before),
    };
    run_case("REP MOVSB", rep_movsb, rep_movsb_insn, in, DST2, &want);
    check_snap("REP MOVSB", 0, SNAP_BEFORE, SRC1 + before - SNAP_BEFORE);
    check_snap("REP MOVSB", SNAP_BEFORE, 2 * SNAP_BEFORE, NULL);
    check_bytes("REP MOVSB", DST2 - before, SRC1, 0, total);
    check_bytes("REP MOVSB (past the end)", DST2 + total - before, NULL, FILL, 64);
}

static void test_stosb(void)
{
    const unsigned before = 37, total = 100;
    uint8_t pattern[SNAP_BEFORE];
    reset_memory();
    memset(pattern, 0xab, sizeof(pattern));
    Lm64Regs in = { .rax = 0x12345678abull, .rdi = lm64_addr(DST2 - before), .rcx = total };
    Expect want = {
        .cr2 = lm64_addr(DST2), .error = PF_W, .rcx = total - before, .rsi = 0,
        .rdi = lm64_addr(DST2), .final_rcx = 0, .final_rsi = 0,
        .final_rdi = lm64_addr(DST2 + total - before),
    };
    run_case("REP STOSB", rep_stosb, rep_stosb_insn, in, DST2, &want);
    check_snap("REP STOSB", 0, SNAP_BEFORE, pattern);
    check_snap("REP STOSB", SNAP_BEFORE, 2 * SNAP_BEFORE, NULL);
    check_bytes("REP STOSB", DST2 - before, NULL, 0xab, total);
    check_bytes("REP STOSB (past the end)", DST2 + total - before, NULL, FILL, 64);
}

static void test_movsq(unsigned misalign)
{
    const unsigned before = 5, total = 20;       /* QWORDs wholly before the boundary */
    const char *name = misalign ? "REP MOVSQ (QWORD straddling the boundary)" : "REP MOVSQ";
    uint8_t *dst = DST2 - before * 8 - misalign;
    reset_memory();
    Lm64Regs in = { .rsi = lm64_addr(SRC1), .rdi = lm64_addr(dst), .rcx = total };
    Expect want = {
        .cr2 = lm64_addr(DST2), .error = PF_W, .rcx = total - before,
        .rsi = lm64_addr(SRC1 + before * 8), .rdi = lm64_addr(dst + before * 8),
        .final_rcx = 0, .final_rsi = lm64_addr(SRC1 + total * 8),
        .final_rdi = lm64_addr(dst + total * 8),
    };
    run_case(name, rep_movsq, rep_movsq_insn, in, DST2, &want);
    /* Done elements up to boundary - misalign; the straddling one untouched. */
    check_snap(name, 0, SNAP_BEFORE - misalign, SRC1 + before * 8 - (SNAP_BEFORE - misalign));
    check_snap(name, SNAP_BEFORE - misalign, 2 * SNAP_BEFORE, NULL);
    check_bytes(name, dst, SRC1, 0, total * 8);
    check_bytes(name, dst + total * 8, NULL, FILL, 64);
}

static void test_source_fault(void)
{
    const unsigned before = 50, total = 120;
    const char *name = "REP MOVSB (source page missing)";
    reset_memory();
    uint8_t expect[120];
    memcpy(expect, SRC2 - before, total);
    Lm64Regs in = { .rsi = lm64_addr(SRC2 - before), .rdi = lm64_addr(DST1), .rcx = total };
    Expect want = {
        .cr2 = lm64_addr(SRC2), .error = 0, .rcx = total - before,
        .rsi = lm64_addr(SRC2), .rdi = lm64_addr(DST1 + before),
        .final_rcx = 0, .final_rsi = lm64_addr(SRC2 + total - before),
        .final_rdi = lm64_addr(DST1 + total),
    };
    run_case(name, rep_movsb, rep_movsb_insn, in, SRC2, &want);
    check_bytes(name, DST1, expect, 0, total);
    check_bytes(name, DST1 + total, NULL, FILL, 64);
}

static void test_stosb_down(void)
{
    const unsigned after = 21, total = 80;       /* bytes at and above the boundary */
    const char *name = "REP STOSB with DF=1";
    uint8_t pattern[SNAP_BEFORE];
    reset_memory();
    memset(pattern, 0x5c, sizeof(pattern));
    uint8_t *start = DST2 + after - 1;
    Lm64Regs in = { .rax = 0x5c, .rdi = lm64_addr(start), .rcx = total };
    Expect want = {
        .cr2 = lm64_addr(DST2 - 1), .error = PF_W, .rcx = total - after, .rsi = 0,
        .rdi = lm64_addr(DST2 - 1), .final_rcx = 0, .final_rsi = 0,
        .final_rdi = lm64_addr(start - total),
    };
    /* Here the first destination page is the missing one. */
    run_case(name, rep_stosb_down, rep_stosb_down_insn, in, DST1, &want);
    check_snap(name, 0, SNAP_BEFORE, NULL);
    check_snap(name, SNAP_BEFORE, SNAP_BEFORE + after, pattern);
    check_snap(name, SNAP_BEFORE + after, 2 * SNAP_BEFORE, NULL);
    check_bytes(name, start - total + 1, NULL, 0x5c, total);
    check_bytes(name, start - total - 63, NULL, FILL, 63);
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
    lm64_init();
    lm64_map(ALIAS1, lm64_addr(DST1), PTE_P | PTE_W);
    lm64_map(ALIAS2, lm64_addr(DST2), PTE_P | PTE_W);
    test_movsb();
    test_stosb();
    test_movsq(0);
    test_movsq(4);
    test_source_fault();
    test_stosb_down();
    printf("REP MOVSB/STOSB/MOVSQ (aligned and straddling), source fault, STOSB DF=1: "
           "%u mismatches\n", (unsigned)lm64_failures());
    lm64_finish("tcg_repfault");
}
