/*
 * Fixture for the x86-64 backend tests: a CPU state that starts with the
 * softmmu fast-path TLB (tcg/tlb.h), a fake guest memory of 16 pages with a
 * TLB the test fills, slow-path callbacks that log every access with the
 * guest instruction its retaddr maps to, and a differential runner that
 * translates the same IR with the interpreter and the native backend.
 */
#ifndef MIMIC_TEST_TCG_X86_64_HARNESS_H
#define MIMIC_TEST_TCG_X86_64_HARNESS_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "test.h"
#include "tcg/backend.h"
#include "tcg/helper.h"
#include "tcg/tcg.h"
#include "tcg/tlb.h"
#include "tcg/x86_64/backend.h"

#define UNUSED __attribute__((unused))

#define NG64 16                 /* i64 globals r0..r15 */
#define NG32 8                  /* i32 globals w0..w7 */

typedef struct NCPU {
    TCGTLBFast tlb_fast[TCG_MAX_MMU_IDX];   /* generated code finds the TLB at env + 0 */
    uint64_t r[NG64];
    uint32_t w[NG32];
    uint64_t scratch[8];        /* plain fields for ld/st ops */
    uint64_t seen[8];           /* written by test helpers */
} NCPU;

UNUSED static TCGContext nctx;
UNUSED static NCPU ncpu;
UNUSED static TCGv_i64 gr[NG64];
UNUSED static TCGv_i32 gw[NG32];

/* ---- guest memory: pages GBASE.. of which some force the slow path ---- */
#define GBASE      0x40000000ull
#define GPAGES     16
#define GMEM_SIZE  (GPAGES * 4096)
#define GP_NOTDIRTY 13          /* write tag has TLB_NOTDIRTY */
#define GP_MMIO     14          /* both tags TLB_MMIO */
#define GP_INVALID  15          /* not in the TLB at all */
#define TLB_N       256
UNUSED static _Alignas(4096) uint8_t gmem[GMEM_SIZE];
UNUSED static TCGTLBEntry tlb_tables[4][TLB_N];

/* mmu 0: everything as above; mmu 1: read-only (write tags invalid); mmu 2, 3: like 0. */
static inline void tlb_fill_all(NCPU *c)
{
    for (int m = 0; m < TCG_MAX_MMU_IDX; m++) {
        c->tlb_fast[m].mask = (uintptr_t)(TLB_N - 1) << TCG_TLB_ENTRY_BITS;
        c->tlb_fast[m].table = tlb_tables[m & 3];
    }
    for (int m = 0; m < 4; m++) {
        for (int i = 0; i < TLB_N; i++) {
            tlb_tables[m][i].addr_read = tlb_tables[m][i].addr_write =
                tlb_tables[m][i].addr_code = TLB_INVALID;
            tlb_tables[m][i].addend = 0;
        }
        for (int p = 0; p < GPAGES; p++) {
            uint64_t va = GBASE + (uint64_t)p * 4096;
            TCGTLBEntry *e = &tlb_tables[m][(va >> TCG_PAGE_BITS) & (TLB_N - 1)];
            if (p == GP_INVALID) {
                continue;
            }
            e->addr_read = va | (p == GP_MMIO ? TLB_MMIO : 0);
            e->addr_write = va | (p == GP_MMIO ? TLB_MMIO : 0) | (p == GP_NOTDIRTY ? TLB_NOTDIRTY : 0);
            if (m == 1) {
                e->addr_write = TLB_INVALID;
            }
            e->addend = (uintptr_t)gmem - (uintptr_t)GBASE;
        }
    }
}

/* Would the fast path handle this access (tcg/tlb.h), given the TLB above? */
static inline bool access_is_fast(uint64_t addr, TCGMemOp memop, unsigned mmu, bool store)
{
    unsigned s = memop & MO_SIZE, size = 1u << s;
    uint64_t p = (addr - GBASE) / 4096;
    if (addr < GBASE || p >= GPAGES || p == GP_INVALID || p == GP_MMIO) {
        return false;
    }
    if (store && ((mmu & 3) == 1 || p == GP_NOTDIRTY)) {
        return false;
    }
    if ((memop & MO_ALIGN) && (addr & (size - 1))) {
        return false;
    }
    return (addr & 4095) + size <= 4096;
}

/* ---- slow-path callbacks: log, fault outside memory or on misalignment ---- */
typedef struct MemLog {
    uint64_t pc;            /* insn_data[insn][0] of the instruction retaddr maps to */
    uint64_t addr, val;
    uint32_t memop, mmu;
    uint8_t store;
    uint64_t r_snapshot;    /* a hash of the i64 globals as the callback sees them */
} MemLog;
#define MEMLOG_MAX 4096
UNUSED static MemLog memlog[MEMLOG_MAX];
UNUSED static unsigned memlog_n;
UNUSED static jmp_buf fault_jmp;
UNUSED static bool fault_armed;
UNUSED static uint64_t fault_pc, fault_addr;
/* The block being run: for mapping retaddr to an instruction. */
UNUSED static const TCGCodeInfo *cur_info;
UNUSED static uintptr_t cur_code;

static inline uint64_t globals_hash(const NCPU *c)
{
    uint64_t h = 0;
    for (int i = 0; i < NG64; i++) {
        h = (h ^ c->r[i]) * 0x100000001b3ull;
    }
    for (int i = 0; i < NG32; i++) {
        h = (h ^ c->w[i]) * 0x100000001b3ull;
    }
    return h;
}

static inline uint64_t retaddr_pc(uintptr_t retaddr)
{
    if (!cur_info || retaddr <= cur_code) {
        return ~0ull;
    }
    int i = tcg_code_info_find_insn(cur_info, retaddr - 1 - cur_code);
    return i < 0 ? ~0ull - 1 : cur_info->insn_data[i][0];
}

static inline bool gmem_fault(uint64_t addr, TCGMemOp memop)
{
    unsigned size = 1u << (memop & MO_SIZE);
    return addr < GBASE || addr - GBASE > GMEM_SIZE - size ||
           ((memop & MO_ALIGN) && (addr & (size - 1)));
}

static inline void memlog_add(uint64_t pc, uint64_t addr, uint64_t val, TCGMemOp memop,
                              unsigned mmu, bool store, void *env)
{
    if (memlog_n < MEMLOG_MAX) {
        memlog[memlog_n++] = (MemLog){ pc, addr, val, memop, mmu, store,
                                       globals_hash((NCPU *)env) };
    }
}

static inline uint64_t gmem_load(void *env, uint64_t addr, TCGMemOp memop, unsigned mmu,
                                 uintptr_t retaddr)
{
    unsigned size = 1u << (memop & MO_SIZE);
    uint64_t pc = retaddr_pc(retaddr);
    if (gmem_fault(addr, memop)) {
        memlog_add(pc, addr, 0, memop, mmu, false, env);
        fault_pc = pc;
        fault_addr = addr;
        if (fault_armed) {
            longjmp(fault_jmp, 1);
        }
        abort();
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {   /* byte by byte: endianness explicit */
        unsigned shift = (memop & MO_BE) ? 8 * (size - 1 - i) : 8 * i;
        v |= (uint64_t)gmem[addr - GBASE + i] << shift;
    }
    if ((memop & MO_SIGN) && size < 8 && ((v >> (8 * size - 1)) & 1)) {
        v |= ~0ull << (8 * size);
    }
    memlog_add(pc, addr, v, memop, mmu, false, env);
    return v;
}

static inline void gmem_store(void *env, uint64_t addr, uint64_t val, TCGMemOp memop,
                              unsigned mmu, uintptr_t retaddr)
{
    unsigned size = 1u << (memop & MO_SIZE);
    uint64_t pc = retaddr_pc(retaddr);
    if (size < 8) {
        val &= (1ull << (8 * size)) - 1;
    }
    memlog_add(pc, addr, val, memop, mmu, true, env);
    if (gmem_fault(addr, memop)) {
        fault_pc = pc;
        fault_addr = addr;
        if (fault_armed) {
            longjmp(fault_jmp, 1);
        }
        abort();
    }
    for (unsigned i = 0; i < size; i++) {
        unsigned shift = (memop & MO_BE) ? 8 * (size - 1 - i) : 8 * i;
        gmem[addr - GBASE + i] = (uint8_t)(val >> shift);
    }
}

static const TCGGuestMemoryOps gmem_ops = { gmem_load, gmem_store };

/* ---- code buffers ---- */
#define NBUF_SIZE (4u << 20)
UNUSED static uint8_t *nbuf;                      /* RWX for native code */
UNUSED static _Alignas(16) uint16_t ibuf[1 << 20];  /* interpreter bytecode */
UNUSED static TCGCodeInfo ninfo, iinfo;

static inline void nharness_init(void)
{
    static const char *const rn[NG64] = { "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
                                          "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    static const char *const wn[NG32] = { "w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7" };
    nbuf = mmap(NULL, NBUF_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (nbuf == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    tcg_context_init(&nctx, &tcg_x86_64_backend, &gmem_ops);
    for (int i = 0; i < NG64; i++) {
        gr[i] = tcg_global_mem_new_i64(offsetof(NCPU, r) + 8 * i, rn[i]);
    }
    for (int i = 0; i < NG32; i++) {
        gw[i] = tcg_global_mem_new_i32(offsetof(NCPU, w) + 4 * i, wn[i]);
    }
    tlb_fill_all(&ncpu);
}

/* ---- differential: build the same block for both backends ---- */
typedef void (*BlockBuilder)(void *arg);

static inline void nblock_start(const TCGBackend *be, bool optimize)
{
    tcg_func_start(&nctx);
    nctx.backend = be;
    nctx.optimize = optimize;
}

static inline ptrdiff_t nblock_compile_native(void)
{
    return tcg_gen_code(&nctx, nbuf, NBUF_SIZE, 0, &ninfo);
}

static inline ptrdiff_t nblock_compile_interp(void)
{
    return tcg_gen_code(&nctx, ibuf, sizeof(ibuf), 0, &iinfo);
}

/* Translate build(arg) with both backends. False if either fails. */
static inline bool diff_compile(BlockBuilder build, void *arg, bool optimize)
{
    nblock_start(&tcg_interp_backend, optimize);
    build(arg);
    if (nblock_compile_interp() <= 0) {
        return false;
    }
    nblock_start(&tcg_x86_64_backend, optimize);
    build(arg);
    return nblock_compile_native() > 0;
}

typedef struct RunResult {
    uintptr_t ret;
    bool faulted;
    uint64_t fault_pc, fault_addr;
    NCPU cpu;
    unsigned nlog;
    MemLog log[64];
    uint64_t mem_hash;
} RunResult;

static inline uint64_t mem_hash(void)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < GMEM_SIZE; i += 8) {
        uint64_t v;
        memcpy(&v, gmem + i, 8);
        h = (h ^ v) * 0x100000001b3ull;
    }
    return h;
}

/* Run one backend's code from state `start` and memory `mem0` (GMEM_SIZE bytes;
 * NULL: the block does not touch guest memory, leave it and skip its hash). */
static inline void run_one(const TCGBackend *be, const void *code, const TCGCodeInfo *info,
                           const NCPU *start, const uint8_t *mem0, RunResult *res)
{
    if (mem0) {
        memcpy(gmem, mem0, GMEM_SIZE);
    }
    ncpu = *start;
    tlb_fill_all(&ncpu);
    memlog_n = 0;
    cur_info = info;
    cur_code = (uintptr_t)code;
    res->faulted = false;
    res->ret = 0;
    fault_armed = true;
    if (setjmp(fault_jmp) == 0) {
        res->ret = be->enter(&ncpu, code);
    } else {
        res->faulted = true;
        res->fault_pc = fault_pc;
        res->fault_addr = fault_addr;
    }
    fault_armed = false;
    res->cpu = ncpu;
    res->nlog = memlog_n < 64 ? memlog_n : 64;
    memcpy(res->log, memlog, res->nlog * sizeof(MemLog));
    res->mem_hash = mem0 ? mem_hash() : 0;
    cur_info = NULL;
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
        return (r >> 8) & 0xff;
    case 3:
        return (uint64_t)-(int64_t)((r >> 8) & 0xff);
    case 4:
        return rnd64() >> (r >> 58);
    default:
        return rnd64();
    }
}

static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#endif
