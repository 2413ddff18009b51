/*
 * x86 translator, string instructions: MOVS/STOS/LODS/CMPS/SCAS in every
 * size with REP/REPE/REPNE, both directions, 32-bit address size, long runs
 * through the REP MOVS/STOS fast path, overlapping copies, and faults in the
 * middle of a REP (rCX/rSI/rDI must be those of the faulting element) —
 * each run natively and through the translator, compared.
 */
#include "translate_harness.h"

#define NEED_NATIVE() do { if (!th_native_init()) SKIP("cannot map the fixed test addresses"); } while (0)

static const uint8_t str_ops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };   /* movs cmps stos lods scas */

static int failures;

/* One string instruction: op (byte form), size 1/2/4/8, prefix 0/F3/F2, addr32. */
static void emit_str(ThCode *c, uint8_t op, unsigned size, uint8_t rep, bool a32)
{
    if (size == 2) th_emit_u8(c, 0x66);
    if (a32) th_emit_u8(c, 0x67);
    if (rep) th_emit_u8(c, rep);
    if (size == 8) th_emit_u8(c, 0x48);
    th_emit_u8(c, (uint8_t)(op | (size == 1 ? 0 : 1)));
}

static bool run(const char *what, ThCode *c, ThState *in, uint8_t *w, uint32_t mask)
{
    bool ok = th_check(what, c, in, w, mask);
    if (!ok && failures++ < 8) {
        th_dump_code(c);
        printf("  in: flags=%#llx rcx=%#llx rsi=%#llx rdi=%#llx rax=%#llx\n", (unsigned long long)in->rflags,
               (unsigned long long)in->gpr[R_ECX], (unsigned long long)in->gpr[R_ESI],
               (unsigned long long)in->gpr[R_EDI], (unsigned long long)in->gpr[R_EAX]);
    }
    return ok;
}

TEST_CASE(string_ops_random)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < 1500; i++) {
        ThCode c = { .n = 0 };
        ThState in;
        th_random_state(&in, w);
        /* equal bytes sometimes, so REPE runs on */
        if (th_rand() & 1) {
            memset(w + 0x100, (int)(th_rand() & 0xff), 0x1e00);
        }
        uint8_t op = str_ops[th_rand() % 5];
        unsigned size = 1u << (th_rand() & 3);
        uint8_t rep = (uint8_t[]){ 0, 0xf3, 0xf2 }[th_rand() % 3];
        bool a32 = (th_rand() & 3) == 0, down = th_rand() & 1;
        uint64_t count = th_rand() % 40;
        if ((th_rand() & 7) == 0) {
            count = th_rand() % 600;
        }
        /* pointers with room for count elements in the direction of travel */
        uint64_t room = count * size + 8;
        uint64_t lo = 0x100, hi = TH_WINDOW_SIZE - 0x100;
        uint64_t span = hi - lo - room;
        uint64_t si = TH_WINDOW + lo + (down ? room : 0) + th_rand() % span;
        uint64_t di = TH_WINDOW + lo + (down ? room : 0) + th_rand() % span;
        uint64_t high = a32 ? (th_rand() & ~0xffffffffull) : 0;
        in.gpr[R_ESI] = si | high;
        in.gpr[R_EDI] = di | (a32 ? (th_rand() & ~0xffffffffull) : 0);
        in.gpr[R_ECX] = count | (a32 ? (th_rand() & ~0xffffffffull) : 0);
        th_emit_u8(&c, down ? 0xfd : 0xfc);
        emit_str(&c, op, size, rep, a32);
        th_emit_u8(&c, 0xfc);   /* cld: DF back to 0 for the native exit path */
        if (!run("str", &c, &in, w, TH_FLAGS_ALL)) {
            printf("  op %02x size %u rep %02x a32 %d down %d count %llu\n", op, size, rep, a32,
                   down, (unsigned long long)count);
            CHECK(0);
        }
    }
}

/* Long REP MOVS/STOS through the fast path: page-crossing runs, overlaps
 * in both directions, misaligned elements straddling the page boundary. */
TEST_CASE(rep_movs_stos_runs)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < 400; i++) {
        ThCode c = { .n = 0 };
        ThState in;
        th_random_state(&in, w);
        bool movs = th_rand() & 1, down = th_rand() & 1;
        unsigned size = 1u << (th_rand() & 3);
        uint64_t count = 1 + th_rand() % (0x1800 / size);
        uint64_t bytes = count * size;
        uint64_t base = TH_WINDOW + 0x40;
        uint64_t span = TH_WINDOW_SIZE - 0x80 - bytes;
        uint64_t src = base + th_rand() % (span + 1);
        uint64_t dst = base + th_rand() % (span + 1);
        if ((th_rand() & 3) == 0) {
            /* small overlap in either direction */
            int64_t d = (int64_t)(th_rand() % 17) - 8;
            if (src + d >= base && src + d + bytes <= base + span + bytes) dst = src + d;
        }
        if (down) {
            src += bytes - size;
            dst += bytes - size;
        }
        in.gpr[R_ESI] = src;
        in.gpr[R_EDI] = dst;
        in.gpr[R_ECX] = count;
        th_emit_u8(&c, down ? 0xfd : 0xfc);
        emit_str(&c, movs ? 0xa4 : 0xaa, size, 0xf3, false);
        th_emit_u8(&c, 0xfc);
        if (!run("rep", &c, &in, w, TH_FLAGS_ALL)) {
            printf("  %s size %u down %d count %llu src %#llx dst %#llx\n", movs ? "movs" : "stos",
                   size, down, (unsigned long long)count, (unsigned long long)src,
                   (unsigned long long)dst);
            CHECK(0);
        }
    }
}

/* A REP that runs off the mapped window faults at the element that leaves
 * it, with rCX/rSI/rDI and memory as they are after the elements before. */
TEST_CASE(rep_fault_is_precise)
{
    static uint8_t w[TH_WINDOW_SIZE];
    NEED_NATIVE();
    failures = 0;
    for (int i = 0; i < 200; i++) {
        ThCode c = { .n = 0 };
        ThState in;
        th_random_state(&in, w);
        uint8_t op = str_ops[th_rand() % 5];
        unsigned size = 1u << (th_rand() & 3);
        bool down = th_rand() & 1;
        uint64_t count = 10 + th_rand() % 300;
        /* start a few elements inside an edge of the window, run out of it */
        uint64_t inside = (th_rand() % 8) * size + (th_rand() % size);
        uint64_t edge = down ? TH_WINDOW + inside : TH_WINDOW + TH_WINDOW_SIZE - size - inside;
        uint64_t other = TH_WINDOW + 0x800 + th_rand() % 0x400;
        bool fault_on_src = th_rand() & 1;
        in.gpr[R_ESI] = fault_on_src ? edge : other;
        in.gpr[R_EDI] = fault_on_src ? other : edge;
        in.gpr[R_ECX] = count;
        uint8_t rep = op == 0xa6 || op == 0xae ? (uint8_t)((th_rand() & 1) ? 0xf3 : 0xf2) : 0xf3;
        th_emit_u8(&c, down ? 0xfd : 0xfc);
        emit_str(&c, op, size, rep, false);
        th_emit_u8(&c, 0xfc);
        /* A host faulting in the middle of REP CMPS/SCAS reports the flags
         * from before the instruction (its iterations commit them lazily);
         * mimic keeps those of the last completed iteration: not compared. */
        uint32_t mask = (op == 0xa6 || op == 0xae) ? X86_EFLAGS_DF : TH_FLAGS_ALL;
        if (!run("fault", &c, &in, w, mask)) {
            printf("  op %02x size %u down %d count %llu\n", op, size, down,
                   (unsigned long long)count);
            CHECK(0);
        }
    }
}

int main(void)
{
    RUN(string_ops_random);
    RUN(rep_movs_stos_runs);
    RUN(rep_fault_is_precise);
    TEST_EXIT();
}
