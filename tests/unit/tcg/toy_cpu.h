/*
 * A made-up one-register guest for the exec loop / softmmu / TB tests: a
 * byte-coded ISA (below), a page table the test edits (identity by
 * default), a Machine with RAM, a ROM page and a logging MMIO device.
 * Included by exactly one test file per binary (it defines helper tables).
 *
 * ISA (acc: 64-bit accumulator; imm little-endian):
 *   00            invalid -> exception TOY_EXC_UD
 *   01 i8         addi    acc += sext(i8)
 *   02 i32        movi    acc = zext(i32)
 *   03 o8         bnz     if acc != 0: pc = next + sext(o8)
 *   04 a32        jmp     pc = a32
 *   05            jmpi    pc = acc (indirect: lookup helper + goto_ptr)
 *   06 v8         raise   exception v8
 *   07            halt
 *   08            nop
 *   09 a32        incb    m8[a32] += 1   (load, add, store)
 *   0a            sti     interrupts on (ends the block)
 *   10+s a32      ld      acc = zext(m[a32], 1 << s bytes)
 *   14+s a32      st      m[a32] = acc (1 << s bytes)
 *   18+s a32      lda     like ld, MO_ALIGN
 */
#ifndef MIMIC_TEST_TCG_TOY_CPU_H
#define MIMIC_TEST_TCG_TOY_CPU_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "tcg/exec.h"
#include "tcg/helper.h"
#include "tcg/softmmu.h"
#include "tcg/tb_internal.h"

#define TOY_UNUSED __attribute__((unused))

enum { TOY_EXC_UD = 6, TOY_EXC_PF = 14, TOY_EXC_ALIGN = 17 };
enum { TOY_R = 1, TOY_W = 2, TOY_X = 4, TOY_RWX = 7 };

#define TOY_RAM_SIZE  0x100000ull       /* 1 MiB at 0 */
#define TOY_ROM_BASE  0x200000ull       /* one page */
#define TOY_MMIO_BASE 0x300000ull       /* one page */
#define TOY_MMIO_SIZE 0x1000ull

typedef struct ToyCPU {
    CPUState common;
    uint64_t acc;
    uint64_t pc;
    uint64_t handler;       /* exception entry (0: halt on exceptions) */
    uint64_t irq_handler;
    uint8_t irq_enabled;
    uint32_t mode;          /* translation flags */
    /* Bookkeeping for the tests. */
    int exc_count, last_exc, irq_count, restore_count;
    uint64_t exc_pc, fault_addr, irq_pc, restored_idx;
    int fault_access;
} ToyCPU;

/* ---- the machine ---- */

typedef struct ToyDevAccess {
    uint64_t off, val;
    unsigned size;
    bool write;
} ToyDevAccess;

TOY_UNUSED static Machine toy_m;
TOY_UNUSED static uint8_t *toy_ram;
TOY_UNUSED static uint8_t toy_rom[4096] __attribute__((aligned(4096)));
TOY_UNUSED static ToyDevAccess toy_dev_log[512];
TOY_UNUSED static int toy_dev_n;

static uint64_t toy_dev_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)((0xa0 + off + i) & 0xff) << (8 * i);
    if (toy_dev_n < 512)
        toy_dev_log[toy_dev_n++] = (ToyDevAccess){ off, v, size, false };
    return v;
}

static void toy_dev_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    (void)opaque;
    if (toy_dev_n < 512)
        toy_dev_log[toy_dev_n++] = (ToyDevAccess){ off, value, size, true };
}

static const MemoryRegionOps toy_dev_ops = {
    .read = toy_dev_read, .write = toy_dev_write, .min_access = 1, .max_access = 8,
};

/* ---- the page table ---- */

typedef struct ToyMap {
    uint64_t vpage, ppage;
    int perm;
    uint64_t page_size;
} ToyMap;

#define TOY_MAX_MAPS 32
TOY_UNUSED static ToyMap toy_maps[TOY_MAX_MAPS];
TOY_UNUSED static int toy_nmaps;
TOY_UNUSED static int toy_fills;

/* Override one virtual page (perm 0: unmapped). */
TOY_UNUSED static void toy_map(uint64_t vaddr, uint64_t paddr, int perm)
{
    for (int i = 0; i < toy_nmaps; i++) {
        if (toy_maps[i].vpage == (vaddr & TCG_PAGE_MASK)) {
            toy_maps[i].ppage = paddr & TCG_PAGE_MASK;
            toy_maps[i].perm = perm;
            return;
        }
    }
    if (toy_nmaps < TOY_MAX_MAPS)
        toy_maps[toy_nmaps++] = (ToyMap){ vaddr & TCG_PAGE_MASK, paddr & TCG_PAGE_MASK, perm,
                                          TCG_PAGE_SIZE };
}

/* ---- the frontend ---- */

static TCGv_i64 toy_acc, toy_pcv;

static void toy_init_globals(void)
{
    toy_acc = tcg_global_mem_new_i64(offsetof(ToyCPU, acc), "acc");
    toy_pcv = tcg_global_mem_new_i64(offsetof(ToyCPU, pc), "pc");
}

static void toy_get_tb_key(CPUState *cpu, uint64_t *pc, uint64_t *cs_base, uint32_t *flags)
{
    ToyCPU *t = (ToyCPU *)cpu;
    *pc = t->pc;
    *cs_base = 0;
    *flags = t->mode;
}

#define TCG_HELPER_ENV_TYPE void *
TCG_HELPER_DECLARE(toy_raise, TCG_CALL_MAY_RAISE, void, env, i32)
TCG_HELPER_DECLARE(toy_halt, TCG_CALL_MAY_RAISE, void, env)
TCG_HELPER_DEFINE(toy_raise, TCG_CALL_MAY_RAISE, void, env, i32)
TCG_HELPER_DEFINE(toy_halt, TCG_CALL_MAY_RAISE, void, env)

void helper_toy_raise(void *env, uint32_t vec)
{
    CPUState *cpu = env;
    cpu->exception_index = (int)vec;
    cpu_loop_exit_restore(cpu, TCG_GETPC());
}

void helper_toy_halt(void *env)
{
    CPUState *cpu = env;
    cpu->halted = true;
    cpu->exception_index = EXCP_HLT;
    cpu_loop_exit(cpu);
}

static unsigned toy_insn_len(uint8_t op)
{
    switch (op) {
    case 0x01: case 0x03: case 0x06: return 2;
    case 0x02: case 0x04: case 0x09: return 5;
    default:
        return op >= 0x10 && op < 0x1c ? 5 : 1;
    }
}

static void toy_goto(TranslationBlock *tb, unsigned n, uint64_t dest)
{
    tcg_gen_goto_tb(n);
    tcg_gen_movi_i64(toy_pcv, (int64_t)dest);   /* the unchained path only (tcg/README.md) */
    tcg_gen_exit_tb(tb, n);
}

static void toy_translate(CPUState *cpu, TranslationBlock *tb, int max_insns)
{
    uint64_t pc = tb->pc;
    int n = 0;
    bool done = false;
    while (!done) {
        uint8_t op = tcg_code_ldub(cpu, pc, 0);
        unsigned len = toy_insn_len(op);
        /* An instruction past the first that runs into an unfetchable page
         * ends the block before it (it faults when it runs first). */
        if (n > 0 && ((pc + len - 1) & TCG_PAGE_MASK) != (pc & TCG_PAGE_MASK) &&
            !tcg_code_fetch_probe(cpu, pc + len - 1, 0))
            break;
        uint32_t imm = 0;
        for (unsigned i = 1; i < len; i++)
            imm |= (uint32_t)tcg_code_ldub(cpu, pc + i, 0) << (8 * (i - 1));
        uint64_t next = pc + len;
        tcg_gen_insn_start(pc, (uint64_t)n);
        n++;
        switch (op) {
        case 0x01:
            tcg_gen_addi_i64(toy_acc, toy_acc, (int8_t)imm);
            break;
        case 0x02:
            tcg_gen_movi_i64(toy_acc, imm);
            break;
        case 0x03: {
            TCGLabel *l = gen_new_label();
            tcg_gen_brcondi_i64(TCG_COND_EQ, toy_acc, 0, l);
            toy_goto(tb, 0, next + (uint64_t)(int64_t)(int8_t)imm);
            gen_set_label(l);
            toy_goto(tb, 1, next);
            done = true;
            break;
        }
        case 0x04:
            toy_goto(tb, 0, imm);
            done = true;
            break;
        case 0x05:
            tcg_gen_mov_i64(toy_pcv, toy_acc);
            tcg_gen_lookup_and_goto_ptr();
            done = true;
            break;
        case 0x06:
            gen_helper_toy_raise(tcg_env, tcg_constant_i32((int32_t)imm));
            done = true;
            break;
        case 0x07:
            tcg_gen_movi_i64(toy_pcv, (int64_t)next);
            gen_helper_toy_halt(tcg_env);
            done = true;
            break;
        case 0x08:
            break;
        case 0x09: {
            TCGv_i64 t = tcg_temp_new_i64();
            TCGv_i64 a = tcg_constant_i64(imm);
            tcg_gen_guest_ld_i64(t, a, 0, MO_UB);
            tcg_gen_addi_i64(t, t, 1);
            tcg_gen_guest_st_i64(t, a, 0, MO_UB);
            break;
        }
        case 0x0b:   /* jmpi with the next block's key: native code probes inline */
            tcg_gen_mov_i64(toy_pcv, toy_acc);
            tcg_gen_lookup_and_goto_ptr_key(toy_acc, 0, tcg_constant_i32((int32_t)tb->flags));
            done = true;
            break;
        case 0x0a: {
            TCGv_i32 one = tcg_constant_i32(1);
            tcg_gen_st8_i32(one, tcg_env, offsetof(ToyCPU, irq_enabled));
            tcg_gen_movi_i64(toy_pcv, (int64_t)next);
            tcg_gen_exit_tb(NULL, 0);
            done = true;
            break;
        }
        default:
            if (op >= 0x10 && op < 0x1c) {
                TCGMemOp mo = (TCGMemOp)(op & 3) | (op >= 0x18 ? MO_ALIGN : 0);
                TCGv_i64 a = tcg_constant_i64(imm);
                if (op < 0x14 || op >= 0x18)
                    tcg_gen_guest_ld_i64(toy_acc, a, 0, mo);
                else
                    tcg_gen_guest_st_i64(toy_acc, a, 0, mo);
                break;
            }
            gen_helper_toy_raise(tcg_env, tcg_constant_i32(TOY_EXC_UD));
            done = true;
            break;
        }
        pc = next;
        if (!done && (n >= max_insns || (pc & TCG_PAGE_MASK) != (tb->pc & TCG_PAGE_MASK) ||
                      tcg_op_buf_full())) {
            toy_goto(tb, 0, pc);
            done = true;
        }
    }
    if (n == 0 || !done) {
        /* Stopped before an instruction that cannot be fetched here. */
        toy_goto(tb, 0, pc);
    }
    tb->size = (uint32_t)(pc - tb->pc);
    tb->icount = (uint16_t)n;
}

static void toy_restore_state(CPUState *cpu, const TranslationBlock *tb, const uint64_t *data)
{
    ToyCPU *t = (ToyCPU *)cpu;
    (void)tb;
    t->pc = data[0];
    t->restored_idx = data[1];
    t->restore_count++;
}

static void toy_do_exception(CPUState *cpu)
{
    ToyCPU *t = (ToyCPU *)cpu;
    t->exc_count++;
    t->last_exc = cpu->exception_index;
    t->exc_pc = t->pc;
    if (t->handler)
        t->pc = t->handler;
    else
        cpu->halted = true;
}

static bool toy_exec_interrupt(CPUState *cpu)
{
    ToyCPU *t = (ToyCPU *)cpu;
    if ((cpu->interrupt_request & CPU_INTERRUPT_HARD) && t->irq_enabled) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_HARD);
        t->irq_count++;
        t->irq_enabled = 0;
        t->irq_pc = t->pc;
        t->pc = t->irq_handler;
        return true;
    }
    return false;
}

static bool toy_has_work(CPUState *cpu)
{
    ToyCPU *t = (ToyCPU *)cpu;
    return (__atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE) & CPU_INTERRUPT_HARD) &&
           t->irq_enabled;
}

static bool toy_tlb_fill(CPUState *cpu, uint64_t vaddr, TCGAccess access, unsigned mmu_idx,
                         bool probe, uintptr_t retaddr, TCGPageResult *out)
{
    ToyCPU *t = (ToyCPU *)cpu;
    (void)mmu_idx;
    uint64_t vpage = vaddr & TCG_PAGE_MASK, ppage = vpage, psize = TCG_PAGE_SIZE;
    int perm = vaddr < 0x40000000 ? TOY_RWX : 0;
    for (int i = 0; i < toy_nmaps; i++) {
        if (toy_maps[i].vpage == vpage) {
            ppage = toy_maps[i].ppage;
            perm = toy_maps[i].perm;
            psize = toy_maps[i].page_size;
        }
    }
    int need = access == TCG_ACCESS_LOAD ? TOY_R : access == TCG_ACCESS_STORE ? TOY_W : TOY_X;
    if (!(perm & need)) {
        if (probe)
            return false;
        t->fault_addr = vaddr;
        t->fault_access = access;
        cpu->exception_index = TOY_EXC_PF;
        cpu_loop_exit_restore(cpu, retaddr);
    }
    toy_fills++;
    out->phys = ppage;
    out->page_size = psize;
    out->readable = perm & TOY_R;
    out->writable = perm & TOY_W;
    out->executable = perm & TOY_X;
    out->global = mmu_idx == 1;
    return true;
}

static void toy_unaligned(CPUState *cpu, uint64_t vaddr, TCGAccess access, unsigned mmu_idx,
                          uintptr_t retaddr)
{
    ToyCPU *t = (ToyCPU *)cpu;
    (void)mmu_idx;
    t->fault_addr = vaddr;
    t->fault_access = access;
    cpu->exception_index = TOY_EXC_ALIGN;
    cpu_loop_exit_restore(cpu, retaddr);
}

static void toy_cpu_reset(CPUState *cpu)
{
    ToyCPU *t = (ToyCPU *)cpu;
    t->acc = t->pc = 0;
    t->irq_enabled = 0;
}

static void toy_get_regs(CPUState *cpu, X86Regs *r)
{
    ToyCPU *t = (ToyCPU *)cpu;
    memset(r, 0, sizeof(*r));
    r->gpr[0] = t->acc;
    r->rip = t->pc;
}

static void toy_set_regs(CPUState *cpu, const X86Regs *r)
{
    ToyCPU *t = (ToyCPU *)cpu;
    t->acc = r->gpr[0];
    t->pc = r->rip;
}

static void toy_dump_state(CPUState *cpu, FILE *out)
{
    ToyCPU *t = (ToyCPU *)cpu;
    fprintf(out, "acc=%016llx pc=%016llx\n", (unsigned long long)t->acc,
            (unsigned long long)t->pc);
}

TOY_UNUSED static const TCGFrontend toy_frontend = {
    .name = "toy",
    .nb_mmu_idx = 2,
    .state_size = sizeof(ToyCPU),
    .init_globals = toy_init_globals,
    .get_tb_key = toy_get_tb_key,
    .translate = toy_translate,
    .restore_state = toy_restore_state,
    .do_exception = toy_do_exception,
    .exec_interrupt = toy_exec_interrupt,
    .has_work = toy_has_work,
    .tlb_fill = toy_tlb_fill,
    .cpu_reset = toy_cpu_reset,
    .get_regs = toy_get_regs,
    .set_regs = toy_set_regs,
    .dump_state = toy_dump_state,
    .do_unaligned_access = toy_unaligned,
};

/* ---- backends ---- */

#if defined(__x86_64__) && __has_include("tcg/x86_64/backend.h")
#include "tcg/x86_64/backend.h"
#define TOY_NATIVE_BACKEND (&tcg_x86_64_backend)
#define TOY_HAVE_NATIVE 1
#else
#define TOY_NATIVE_BACKEND ((const TCGBackend *)NULL)
#define TOY_HAVE_NATIVE 0
#endif

/* Backend the current case runs on (cases run once per available backend). */
TOY_UNUSED static const TCGBackend *toy_backend = &tcg_interp_backend;

TOY_UNUSED static bool toy_native_available(void)
{
    return TOY_HAVE_NATIVE;
}

/* ---- fixture ---- */

TOY_UNUSED static ToyCPU *toy_cpu;

TOY_UNUSED static void toy_machine_init(void)
{
    if (toy_m.mem)
        return;
    toy_m.mem = address_space_new("toy-memory");
    toy_ram = aligned_alloc(4096, TOY_RAM_SIZE);
    memset(toy_ram, 0, TOY_RAM_SIZE);
    as_map_ram(toy_m.mem, "ram", 0, TOY_RAM_SIZE, toy_ram);
    as_map_rom(toy_m.mem, "rom", TOY_ROM_BASE, sizeof(toy_rom), toy_rom);
    as_map_io(toy_m.mem, "dev", TOY_MMIO_BASE, TOY_MMIO_SIZE, &toy_dev_ops, NULL);
    toy_m.ram = toy_ram;
    toy_m.ram_size = TOY_RAM_SIZE;
    toy_m.ncpus = 1;
}

TOY_UNUSED static ToyCPU *toy_cpu_new(int index)
{
    ToyCPU *t = aligned_alloc(64, (sizeof(ToyCPU) + 63) & ~(size_t)63);
    memset(t, 0, sizeof(*t));
    tcg_cpu_init(&t->common, &toy_m, &toy_frontend, index);
    return t;
}

TOY_UNUSED static void toy_cpu_free(ToyCPU *t)
{
    tcg_cpu_destroy(&t->common);
    free(t);
}

/* Fresh code buffer of `size` bytes (0: 16 MiB), RAM, maps, stats, CPU. */
TOY_UNUSED static void toy_setup_size(size_t size)
{
    toy_machine_init();
    if (toy_cpu)
        toy_cpu_free(toy_cpu);
    tcg_exec_init(toy_backend, size ? size : 16u << 20);
    memset(toy_ram, 0, TOY_RAM_SIZE);
    memset(toy_rom, 0, sizeof(toy_rom));
    toy_nmaps = 0;
    toy_fills = 0;
    toy_dev_n = 0;
    toy_cpu = toy_cpu_new(0);
    tcg_exec_stats_reset();
}

TOY_UNUSED static void toy_setup(void)
{
    toy_setup_size(0);
}

/* Run until the CPU halts (EXCP_HLT); returns the last tcg_cpu_exec result,
 * or -1 after max_exits returns that were not a halt. */
TOY_UNUSED static int toy_run_until_halt(ToyCPU *t, int max_exits)
{
    for (int i = 0; i < max_exits; i++) {
        int r = tcg_cpu_exec(&t->common);
        if (r == EXCP_HLT || r == EXCP_HALTED)
            return r;
    }
    return -1;
}

/* Start at pc and run to the halt; the CPU is un-halted first. */
TOY_UNUSED static int toy_run_at(uint64_t pc)
{
    toy_cpu->pc = pc;
    toy_cpu->common.halted = false;
    return toy_run_until_halt(toy_cpu, 1000);
}

/* ---- a tiny assembler ---- */

TOY_UNUSED static uint64_t toy_asm_pc;
TOY_UNUSED static void toy_org(uint64_t a) { toy_asm_pc = a; }
TOY_UNUSED static void toy_b(uint8_t v)
{
    if (toy_asm_pc < TOY_RAM_SIZE)
        toy_ram[toy_asm_pc] = v;
    else if (toy_asm_pc >= TOY_ROM_BASE && toy_asm_pc < TOY_ROM_BASE + sizeof(toy_rom))
        toy_rom[toy_asm_pc - TOY_ROM_BASE] = v;
    toy_asm_pc++;
}
TOY_UNUSED static void toy_w32(uint32_t v)
{
    for (int i = 0; i < 4; i++)
        toy_b((uint8_t)(v >> (8 * i)));
}
TOY_UNUSED static uint64_t A_addi(int8_t i) { uint64_t a = toy_asm_pc; toy_b(1); toy_b((uint8_t)i); return a; }
TOY_UNUSED static uint64_t A_movi(uint32_t v) { uint64_t a = toy_asm_pc; toy_b(2); toy_w32(v); return a; }
TOY_UNUSED static uint64_t A_bnz(uint64_t target)
{
    uint64_t a = toy_asm_pc;
    int64_t off = (int64_t)(target - (a + 2));
    if (off < -128 || off > 127) {
        fprintf(stderr, "toy assembler: bnz at 0x%llx cannot reach 0x%llx\n",
                (unsigned long long)a, (unsigned long long)target);
        abort();
    }
    toy_b(3);
    toy_b((uint8_t)(int8_t)(target - (a + 2)));
    return a;
}
TOY_UNUSED static uint64_t A_jmp(uint64_t t) { uint64_t a = toy_asm_pc; toy_b(4); toy_w32((uint32_t)t); return a; }
TOY_UNUSED static uint64_t A_jmpi(void) { uint64_t a = toy_asm_pc; toy_b(5); return a; }
TOY_UNUSED static uint64_t A_jmpk(void) { uint64_t a = toy_asm_pc; toy_b(0x0b); return a; }
TOY_UNUSED static uint64_t A_raise(uint8_t v) { uint64_t a = toy_asm_pc; toy_b(6); toy_b(v); return a; }
TOY_UNUSED static uint64_t A_halt(void) { uint64_t a = toy_asm_pc; toy_b(7); return a; }
TOY_UNUSED static uint64_t A_nop(void) { uint64_t a = toy_asm_pc; toy_b(8); return a; }
TOY_UNUSED static uint64_t A_incb(uint64_t m) { uint64_t a = toy_asm_pc; toy_b(9); toy_w32((uint32_t)m); return a; }
TOY_UNUSED static uint64_t A_sti(void) { uint64_t a = toy_asm_pc; toy_b(0x0a); return a; }
/* size_log2: 0..3 */
TOY_UNUSED static uint64_t A_ld(unsigned s, uint64_t m) { uint64_t a = toy_asm_pc; toy_b((uint8_t)(0x10 + s)); toy_w32((uint32_t)m); return a; }
TOY_UNUSED static uint64_t A_st(unsigned s, uint64_t m) { uint64_t a = toy_asm_pc; toy_b((uint8_t)(0x14 + s)); toy_w32((uint32_t)m); return a; }
TOY_UNUSED static uint64_t A_lda(unsigned s, uint64_t m) { uint64_t a = toy_asm_pc; toy_b((uint8_t)(0x18 + s)); toy_w32((uint32_t)m); return a; }

/* Cases run once per backend: interp always, native when it is linked in. */
#define RUN_BACKENDS(name) do { \
        toy_backend = &tcg_interp_backend; \
        test_case_name_ = #name "/interp"; test_case_failed_ = 0; name(); \
        if (test_case_failed_ == 0) printf("PASS %s/interp\n", #name); \
        else if (test_case_failed_ > 0) test_failures_++; \
        if (toy_native_available()) { \
            toy_backend = TOY_NATIVE_BACKEND; \
            test_case_name_ = #name "/native"; test_case_failed_ = 0; name(); \
            if (test_case_failed_ == 0) printf("PASS %s/native\n", #name); \
            else if (test_case_failed_ > 0) test_failures_++; \
        } else { \
            printf("SKIP %s/native: no native backend for this host (tcg/x86_64)\n", \
                   #name); \
        } \
        fflush(stdout); \
    } while (0)

/* A watchdog: a case that hangs fails the binary instead of the runner's timeout. */
static void toy_watchdog_fire(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL watchdog: a case did not finish in time\n";
    ssize_t r = write(1, msg, sizeof(msg) - 1);
    (void)r;
    _exit(1);
}

TOY_UNUSED static void toy_watchdog(unsigned seconds)
{
    signal(SIGALRM, toy_watchdog_fire);
    alarm(seconds);
}

#endif
