/* tcg_smc: self-modifying code takes effect as on the real CPU: a loop that
 * rewrites its own immediate, stores into instructions ahead in the running
 * block (also across a page boundary), and a code buffer rewritten whole, in
 * part, through a second linear alias and by REP MOVSB.  Reference: SDM vol.
 * 3A 8.1.3, 11.6 (detected by physical address, prefetched code too). */
#include "lm64.h"

#define LOOP_ITERATIONS 1000u

extern Lm64Fn smc_loop, smc_ahead_jmp, smc_next, smc_far_ahead, smc_opcode, smc_rep_copy_call;

static uint8_t code_page[LM64_PAGE] __attribute__((aligned(4096)));
static uint8_t alias_page[LM64_PAGE] __attribute__((aligned(4096)));
static uint8_t source_page[LM64_PAGE] __attribute__((aligned(4096)));
static uint8_t cross_pages[2][LM64_PAGE] __attribute__((aligned(4096)));

/* mov $imm32, %eax ; ret */
static void emit_mov_eax_ret(uint8_t *p, uint32_t imm)
{
    p[0] = 0xb8;
    memcpy(p + 1, &imm, 4);
    p[5] = 0xc3;
}

static uint64_t call_code(void *code)
{
    Lm64Regs r = { 0 };
    lm64_call((Lm64Fn *)code, &r);
    return r.rax;
}

static void test_loop(void)
{
    Lm64Regs r = { .rcx = LOOP_ITERATIONS };
    lm64_call(smc_loop, &r);
    printf("(a) loop patching its own immediate: %u iterations, %llu stale\n",
           LOOP_ITERATIONS, (unsigned long long)r.rbx);
    LM64_EXPECT_EQ("(a) iterations that saw a stale immediate", r.rbx, 0);
    LM64_EXPECT_EQ("(a) sum of immediates seen", r.rax,
                   (uint64_t)LOOP_ITERATIONS * (LOOP_ITERATIONS - 1) / 2);
}

static void test_same_block(void)
{
    static const uint32_t values[] = { 0x0badf00d, 0x12345678, 0x0badf00d };
    Lm64Regs r;

    for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        r = (Lm64Regs){ .rsi = values[i] };
        lm64_call(smc_ahead_jmp, &r);
        LM64_EXPECT_EQ("(b1) store then jmp to the patched MOV", (uint32_t)r.rax, values[i]);
        r = (Lm64Regs){ .rsi = values[i] };
        lm64_call(smc_next, &r);
        LM64_EXPECT_EQ("(b2) store into the next instruction", (uint32_t)r.rax, values[i]);
        r = (Lm64Regs){ .rsi = values[i] };
        lm64_call(smc_far_ahead, &r);
        LM64_EXPECT_EQ("(b3) store four instructions ahead", (uint32_t)r.rax, values[i] + 3);
    }
    r = (Lm64Regs){ .rsi = 0x29, .rax = 10, .rcx = 3 };
    lm64_call(smc_opcode, &r);
    LM64_EXPECT_EQ("(b4) opcode ADD patched to SUB", (uint32_t)r.rax, 7);
    r = (Lm64Regs){ .rsi = 0x01, .rax = 10, .rcx = 3 };
    lm64_call(smc_opcode, &r);
    LM64_EXPECT_EQ("(b4) opcode SUB patched back to ADD", (uint32_t)r.rax, 13);
    printf("(b) stores into the running block: checked\n");
}

/* (b5) mov %esi,(%rdi) ; mov $imm32,%eax ; ret laid across a page boundary
 * so the store patches code in the second page (OFFSET 2: the MOV starts at
 * the boundary) or straddles it (OFFSET 4: the immediate's first byte is the
 * last byte of the first page). */
static void test_cross_page(unsigned offset)
{
    static const uint32_t values[] = { 0x0badf00d, 0x12345678, 0x0badf00d };
    uint8_t *boundary = cross_pages[1];
    uint8_t *entry = boundary - offset;
    memset(cross_pages, 0xcc, sizeof(cross_pages));
    entry[0] = 0x89;
    entry[1] = 0x37;
    emit_mov_eax_ret(entry + 2, 0x99999999);
    for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        Lm64Regs r = { .rsi = values[i], .rdi = lm64_addr(entry + 3) };
        lm64_call((Lm64Fn *)entry, &r);
        LM64_EXPECT_EQ(offset == 2 ? "(b5) store from the first page into code in the second"
                                   : "(b5) store straddling the page boundary into code",
                       (uint32_t)r.rax, values[i]);
    }
}

static void test_buffer(void)
{
    /* Run, overwrite whole, run. */
    emit_mov_eax_ret(code_page, 0x1111);
    LM64_EXPECT_EQ("(c) first code", call_code(code_page), 0x1111);
    emit_mov_eax_ret(code_page, 0x2222);
    LM64_EXPECT_EQ("(c) overwritten code", call_code(code_page), 0x2222);

    /* Different instruction boundaries: inc %eax; inc %eax; mov $5,%ecx;
     * add %ecx,%eax; ret -- over the old MOV's immediate. */
    static const uint8_t other[] = { 0x31, 0xc0, 0xff, 0xc0, 0xff, 0xc0, 0xb9, 5, 0, 0, 0,
                                     0x01, 0xc8, 0xc3 };
    memcpy(code_page, other, sizeof(other));
    LM64_EXPECT_EQ("(c) code with new instruction boundaries", call_code(code_page), 7);

    /* One byte of an immediate in the middle of the block. */
    code_page[7] = 9;
    LM64_EXPECT_EQ("(c) one immediate byte changed", call_code(code_page), 11);

    /* Through a second linear address of the same physical page. */
    lm64_map(alias_page, lm64_addr(code_page), PTE_P | PTE_W);
    emit_mov_eax_ret((uint8_t *)alias_page, 0x3333);
    LM64_EXPECT_EQ("(c) code written through an alias mapping", call_code(code_page), 0x3333);
    alias_page[1] = 0x44;
    LM64_EXPECT_EQ("(c) immediate byte written through the alias", call_code(code_page), 0x3344);
    lm64_identity(alias_page, PTE_P | PTE_W);

    /* REP MOVSB over code that ran, then call it from the same 64-bit code. */
    emit_mov_eax_ret(source_page, 0x5555);
    Lm64Regs r = { .rsi = lm64_addr(source_page), .rdi = lm64_addr(code_page), .rcx = 6 };
    lm64_call(smc_rep_copy_call, &r);
    LM64_EXPECT_EQ("(c) code copied by REP MOVSB", (uint32_t)r.rax, 0x5555);
    emit_mov_eax_ret(source_page, 0x6666);
    r = (Lm64Regs){ .rsi = lm64_addr(source_page), .rdi = lm64_addr(code_page), .rcx = 6 };
    lm64_call(smc_rep_copy_call, &r);
    LM64_EXPECT_EQ("(c) code copied again by REP MOVSB", (uint32_t)r.rax, 0x6666);
    printf("(c) code buffer rewritten (whole, partly, through an alias, by REP MOVSB): checked\n");
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    (void)mbi;
    lm64_init();
    printf("long mode on, C in compatibility mode, tests in 64-bit mode\n");
    test_loop();
    test_same_block();
    test_cross_page(2);
    test_cross_page(4);
    printf("(b5) stores into code across a page boundary: checked\n");
    test_buffer();
    lm64_finish("tcg_smc");
}
