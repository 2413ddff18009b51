/*
 * Shared fixture for the translator tests: a fake CPU state with globals, a
 * flat test guest memory (faults longjmp back to the test), a code buffer
 * and helpers to translate and run one block through the interpreter.
 */
#ifndef MIMIC_TEST_TCG_HARNESS_H
#define MIMIC_TEST_TCG_HARNESS_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "test.h"
#include "tcg/backend.h"
#include "tcg/helper.h"
#include "tcg/tcg.h"

#define UNUSED __attribute__((unused))

typedef struct TestCPU {
    uint64_t r[8];          /* globals r0..r7 (i64) */
    uint32_t w[4];          /* globals w0..w3 (i32) */
    uint64_t scratch[4];    /* plain fields for ld/st ops */
    uint64_t seen[8];       /* written by test helpers */
} TestCPU;

UNUSED static TCGContext test_ctx;
UNUSED static TestCPU cpu;
UNUSED static TCGv_i64 gr[8];
UNUSED static TCGv_i32 gw[4];
UNUSED static _Alignas(16) uint16_t code_buf[1 << 18];
UNUSED static TCGCodeInfo code_info;

#define TEST_MEM_SIZE 65536
UNUSED static uint8_t test_mem[TEST_MEM_SIZE];
UNUSED static jmp_buf fault_jmp;
UNUSED static uintptr_t fault_retaddr;
UNUSED static uint64_t fault_addr;
UNUSED static unsigned mem_calls;
UNUSED static unsigned last_mmu_idx;
/* Snapshot of cpu.r[] taken at each guest memory access: the state must be precise. */
UNUSED static uint64_t mem_seen_r[8];

static inline uint64_t test_mem_load(void *env, uint64_t addr, TCGMemOp memop, unsigned mmu_idx,
                              uintptr_t retaddr)
{
    unsigned size = 1u << (memop & MO_SIZE);
    memcpy(mem_seen_r, ((TestCPU *)env)->r, sizeof(mem_seen_r));
    mem_calls++;
    last_mmu_idx = mmu_idx;
    if (addr > TEST_MEM_SIZE - size || ((memop & MO_ALIGN) && (addr & (size - 1)))) {
        fault_retaddr = retaddr;
        fault_addr = addr;
        longjmp(fault_jmp, 1);
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {   /* byte by byte: endianness explicit */
        unsigned shift = (memop & MO_BE) ? 8 * (size - 1 - i) : 8 * i;
        v |= (uint64_t)test_mem[addr + i] << shift;
    }
    if ((memop & MO_SIGN) && size < 8 && (v >> (8 * size - 1)) & 1) {
        v |= ~0ull << (8 * size);
    }
    return v;
}

static inline void test_mem_store(void *env, uint64_t addr, uint64_t val, TCGMemOp memop,
                           unsigned mmu_idx, uintptr_t retaddr)
{
    unsigned size = 1u << (memop & MO_SIZE);
    memcpy(mem_seen_r, ((TestCPU *)env)->r, sizeof(mem_seen_r));
    mem_calls++;
    last_mmu_idx = mmu_idx;
    if (addr > TEST_MEM_SIZE - size || ((memop & MO_ALIGN) && (addr & (size - 1)))) {
        fault_retaddr = retaddr;
        fault_addr = addr;
        longjmp(fault_jmp, 1);
    }
    for (unsigned i = 0; i < size; i++) {
        unsigned shift = (memop & MO_BE) ? 8 * (size - 1 - i) : 8 * i;
        test_mem[addr + i] = (uint8_t)(val >> shift);
    }
}

static const TCGGuestMemoryOps test_mem_ops = { test_mem_load, test_mem_store };

static inline void harness_init(void)
{
    static const char *const rn[8] = { "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7" };
    static const char *const wn[4] = { "w0", "w1", "w2", "w3" };
    tcg_context_init(&test_ctx, &tcg_interp_backend, &test_mem_ops);
    for (int i = 0; i < 8; i++) {
        gr[i] = tcg_global_mem_new_i64(offsetof(TestCPU, r) + 8 * i, rn[i]);
    }
    for (int i = 0; i < 4; i++) {
        gw[i] = tcg_global_mem_new_i32(offsetof(TestCPU, w) + 4 * i, wn[i]);
    }
}

static inline void block_start(bool optimize)
{
    tcg_func_start(&test_ctx);
    test_ctx.optimize = optimize;
}

/* Translate the block built so far (caller adds the exit). Returns code size or error. */
static inline ptrdiff_t block_compile(void)
{
    return tcg_gen_code(&test_ctx, code_buf, sizeof(code_buf), 0, &code_info);
}

static inline uintptr_t block_run(void)
{
    return tcg_interp_backend.enter(&cpu, code_buf);
}

/* Count live ops of one opcode (after tcg_gen_code: optimized + liveness). */
static inline int count_ops(TCGOpcode opc)
{
    int n = 0;
    for (TCGOp *op = test_ctx.first_op; op; op = op->next) {
        n += op->opc == opc;
    }
    return n;
}

static inline int count_all_ops(void)
{
    int n = 0;
    for (TCGOp *op = test_ctx.first_op; op; op = op->next) {
        n += op->opc != INDEX_op_insn_start;
    }
    return n;
}

/* xorshift64*: deterministic random values, biased towards edge cases. */
UNUSED static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static inline uint64_t rnd64(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static inline uint64_t rnd_value(void)
{
    static const uint64_t special[] = {
        0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
        0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000ull,
        0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
        0xfffffffffffffffeull, 0xffffffffffffffffull, 0xffffffff80000000ull,
    };
    uint64_t r = rnd64();
    switch (r & 7) {
    case 0: case 1:
        return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
    case 2:
        return (r >> 8) & 0xff;                     /* small */
    case 3:
        return (uint64_t)-(int64_t)((r >> 8) & 0xff); /* small negative */
    case 4:
        return rnd64() >> (r >> 58);                /* random width */
    default:
        return rnd64();
    }
}

#endif
