/*
 * Test fixture for the x86 translator: runs a code snippet natively on the
 * host (user mode, fixed addresses, faults as signals) and as a guest through
 * the real exec loop, softmmu and frontend (interpreter backend; TH_BACKEND=
 * native picks the x86-64 code generator) over a real AddressSpace, with
 * exceptions recorded instead of delivered.
 * Included by exactly one .c per test binary (a header, so other tests in
 * this folder do not link it).
 */
#ifndef TESTS_CPU_X86_TRANSLATE_HARNESS_H
#define TESTS_CPU_X86_TRANSLATE_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/frontend.h"
#include "cpu/x86/mem.h"
#include "cpu/x86/translate.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"
#include "mimic/timer.h"
#include "tcg/backend.h"
#include "tcg/exec.h"
#include "tcg/helper.h"
#include "tcg/softmmu.h"
#include "tcg/tcg.h"
#include "tcg/x86_64/backend.h"
#include "test.h"

#define TH_UNUSED __attribute__((unused))

/* Fixed addresses, identical natively (mmap) and in the guest (identity map). */
#define TH_WINDOW 0x08000000ull
#define TH_WINDOW_SIZE 0x2000u
#define TH_CODE 0x08200000ull
#define TH_CODE_SIZE 0x4000u
#define TH_LOW_SIZE 0x200000u          /* guest 0..2 MiB: page tables, GDT, IDT, stacks */
#define TH_PML4 0x100000ull
#define TH_GDT 0x1000ull
#define TH_IDT 0x2000ull

typedef struct ThState {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
} ThState;

typedef struct ThResult {
    ThState st;
    int vector;                 /* -1: ran to the end */
    uint8_t window[TH_WINDOW_SIZE];
} ThResult;

/* ---- the guest side: the real exec loop, softmmu and frontend ---------------- */

static sigjmp_buf th_native_jmp;
static volatile sig_atomic_t th_in_native;
static ThResult *th_native_result;
static uint8_t *th_nwindow, *th_ncode;

/* Seams outside the translator that tests do without. */
static int64_t th_clock_ns;
int64_t clock_virtual_ns(void) { return th_clock_ns; }
static int th_reset_requests;
void machine_request_reset(Machine *m) { (void)m; th_reset_requests++; }
static pthread_mutex_t th_big_lock = PTHREAD_MUTEX_INITIALIZER;
void machine_lock(void) { pthread_mutex_lock(&th_big_lock); }
void machine_unlock(void) { pthread_mutex_unlock(&th_big_lock); }

extern const TCGBackend tcg_x86_64_backend __attribute__((weak));

static Machine th_machine;
static uint8_t *th_low, *th_gwindow, *th_gcode;
static _Alignas(64) X86CPU th_cpu;
static TCGFrontend th_fe;            /* x86_tcg_frontend, exceptions stop the run */
static int th_vector = -1;
static volatile sig_atomic_t th_timed_out;
static bool th_native_backend;

/* Exceptions are recorded, not delivered: the CPU halts at the faulting
 * instruction (rip restored by the core) and tcg_cpu_exec returns. */
static void th_do_exception(CPUState *cpu)
{
    X86CPU *x = (X86CPU *)cpu;
    th_vector = x->exception.vector;
    x->exception.vector = -1;
    cpu->exception_index = -1;
    cpu->halted = true;
}

static void th_alarm_native(void);

/* A run that does not end in 10 s: the guest leaves at its next block
 * entry; a native snippet is abandoned like a fault. */
static void th_alarm(int sig)
{
    (void)sig;
    th_timed_out = 1;
    th_cpu.common.exit_request = 1;
    th_alarm_native();
}

static void th_init_once(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
    th_machine.mem = address_space_new("mem");
    th_machine.io = address_space_new("io");
    th_machine.ncpus = 1;
    th_low = calloc(1, TH_LOW_SIZE);
    th_gwindow = calloc(1, TH_WINDOW_SIZE);
    th_gcode = calloc(1, TH_CODE_SIZE);
    as_map_ram(th_machine.mem, "low", 0, TH_LOW_SIZE, th_low);
    as_map_ram(th_machine.mem, "window", TH_WINDOW, TH_WINDOW_SIZE, th_gwindow);
    as_map_ram(th_machine.mem, "code", TH_CODE, TH_CODE_SIZE, th_gcode);
    const char *be = getenv("TH_BACKEND");
#if defined(__x86_64__)
    /* A call into the backend links it in: the weak reference alone would
     * leave it out of a static link, and "native" would run the interpreter. */
    (void)tcg_x86_64_host_features();
#endif
    th_native_backend = be && !strcmp(be, "native") && &tcg_x86_64_backend;
    tcg_exec_init(th_native_backend ? &tcg_x86_64_backend : &tcg_interp_backend, 32u << 20);
    th_fe = x86_tcg_frontend;
    th_fe.name = "x86_64-test";
    th_fe.do_exception = th_do_exception;
    machine_lock();
    tcg_memory_map_changed(&th_machine);
    machine_unlock();
    signal(SIGALRM, th_alarm);
}

static void th_pw64(uint64_t pa, uint64_t v) { memcpy(th_low + pa, &v, 8); }

static uint64_t th_seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t gran)
{
    return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
           (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
           (uint64_t)(gran & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

enum { TH_SEL_CODE64 = 0x08, TH_SEL_DATA = 0x10, TH_SEL_CODE32 = 0x18, TH_SEL_CODE16 = 0x20,
       TH_SEL_CODE3_64 = 0x28 | 3, TH_SEL_DATA3 = 0x30 | 3 };

typedef enum ThMode { TH_MODE64, TH_MODE32, TH_MODE16_REAL } ThMode;

static void th_set_seg(X86CPU *c, int seg, uint16_t sel, uint64_t base, uint32_t limit,
                       uint16_t flags)
{
    c->segs[seg] = (X86Segment){ sel, base, limit, flags };
}

/* A fresh CPU in `mode` at CPL 0 (64-bit: identity-mapped 1 GiB, 2 MiB pages). */
static X86CPU *th_cpu_new(ThMode mode)
{
    static bool registered;
    th_init_once();
    if (registered) {
        tcg_cpu_destroy(&th_cpu.common);
    }
    memset(th_low, 0, TH_LOW_SIZE);
    memset(&th_cpu, 0, sizeof(th_cpu));
    tcg_cpu_init(&th_cpu.common, &th_machine, &th_fe, 0);
    registered = true;
    if (!x86_cpu_setup(&th_cpu, "qemu64", 0, 1, &th_machine)) {
        abort();
    }
    th_cpu.hooks = &x86_tcg_hooks;

    th_pw64(TH_GDT + TH_SEL_CODE64, th_seg_desc(0, 0xfffff, 0x9a, 0xa));
    th_pw64(TH_GDT + TH_SEL_DATA, th_seg_desc(0, 0xfffff, 0x92, 0xc));
    th_pw64(TH_GDT + TH_SEL_CODE32, th_seg_desc(0, 0xfffff, 0x9a, 0xc));
    th_pw64(TH_GDT + TH_SEL_CODE16, th_seg_desc(0, 0xffff, 0x9a, 0x0));
    th_pw64(TH_GDT + (TH_SEL_CODE3_64 & ~3), th_seg_desc(0, 0xfffff, 0xfa, 0xa));
    th_pw64(TH_GDT + (TH_SEL_DATA3 & ~3), th_seg_desc(0, 0xfffff, 0xf2, 0xc));
    th_cpu.gdt = (X86DescTable){ TH_GDT, 0x3f };
    uint16_t data = SEGF_P | SEGF_S | SEGF_TYPE(3) | SEGF_DB | SEGF_G;

    switch (mode) {
    case TH_MODE64:
        /* PML4 -> PDPT -> PD of 2 MiB pages for 0..1 GiB, user-accessible. */
        th_pw64(TH_PML4, (TH_PML4 + 0x1000) | 7);
        th_pw64(TH_PML4 + 0x1000, (TH_PML4 + 0x2000) | 7);
        for (uint64_t i = 0; i < 512; i++) {
            th_pw64(TH_PML4 + 0x2000 + 8 * i, (i << 21) | 0x87);
        }
        /* The 2 MiB around the window in 4 KiB pages: only the window is
         * present, so running past it faults as it does natively. */
        th_pw64(TH_PML4 + 0x2000 + 8 * (TH_WINDOW >> 21), (TH_PML4 + 0x3000) | 7);
        th_pw64(TH_PML4 + 0x2000 + 8 * ((TH_WINDOW >> 21) - 1), 0);
        for (uint64_t i = 0; i < TH_WINDOW_SIZE / 4096; i++) {
            th_pw64(TH_PML4 + 0x3000 + 8 * i, (TH_WINDOW + i * 4096) | 7);
        }
        th_cpu.cr[3] = TH_PML4;
        th_cpu.cr[4] = CR4_PAE | CR4_OSFXSR;
        th_cpu.cr[0] = CR0_PE | CR0_PG | CR0_ET | CR0_NE | CR0_MP;
        th_cpu.efer = EFER_LME | EFER_LMA | EFER_SCE;
        th_set_seg(&th_cpu, SEG_CS, TH_SEL_CODE64, 0, 0xffffffff,
                   SEGF_P | SEGF_S | SEGF_TYPE(0xb) | SEGF_L | SEGF_G);
        for (int s = SEG_ES; s <= SEG_GS; s++) {
            if (s != SEG_CS) {
                th_set_seg(&th_cpu, s, TH_SEL_DATA, 0, 0xffffffff, data);
            }
        }
        break;
    case TH_MODE32:
        th_cpu.cr[0] = CR0_PE | CR0_ET | CR0_NE;
        th_set_seg(&th_cpu, SEG_CS, TH_SEL_CODE32, 0, 0xffffffff,
                   SEGF_P | SEGF_S | SEGF_TYPE(0xb) | SEGF_DB | SEGF_G);
        for (int s = SEG_ES; s <= SEG_GS; s++) {
            if (s != SEG_CS) {
                th_set_seg(&th_cpu, s, TH_SEL_DATA, 0, 0xffffffff, data);
            }
        }
        break;
    case TH_MODE16_REAL:
        /* Real mode, all data segments at 0 (code runs at CS base TH_CODE). */
        th_cpu.cr[0] = CR0_ET;
        for (int s = SEG_ES; s <= SEG_GS; s++) {
            th_set_seg(&th_cpu, s, 0, 0, 0xffff, SEGF_P | SEGF_S | SEGF_TYPE(3));
        }
        th_set_seg(&th_cpu, SEG_CS, (uint16_t)(TH_CODE >> 4), TH_CODE, 0xffff,
                   SEGF_P | SEGF_S | SEGF_TYPE(0xb));
        break;
    }
    th_cpu.segs[SEG_TR] = (X86Segment){ 0, 0, 0xffff, SEGF_P | SEGF_TYPE(0xb) };
    x86_update_hflags(&th_cpu);
    tlb_flush_all(&th_cpu.common);
    return &th_cpu;
}

typedef enum ThStop { TH_STOP_HALT, TH_STOP_EXCEPTION, TH_STOP_LIMIT } ThStop;

/* Run until HLT or an exception (recorded, not delivered), 10 s at most. */
static ThStop th_exec(X86CPU *c, int *vector)
{
    CPUState *cpu = &c->common;
    th_vector = -1;
    th_timed_out = 0;
    cpu->halted = false;
    c->halted = false;
    tcg_tb_flush();          /* the test rewrote code behind the softmmu's back */
    alarm(10);
    for (;;) {
        int r = tcg_cpu_exec(cpu);
        if (th_timed_out) {
            alarm(0);
            *vector = -1;
            return TH_STOP_LIMIT;
        }
        if (r == EXCP_HLT || r == EXCP_HALTED) {
            break;
        }
    }
    alarm(0);
    *vector = th_vector;
    return th_vector >= 0 ? TH_STOP_EXCEPTION : TH_STOP_HALT;
}

/* Run `code` in the guest from the state in `in`; the snippet is followed by
 * HLT (so the result rip is the end of the snippet). */
static TH_UNUSED void th_run_guest(ThMode mode, const uint8_t *code, size_t len, const ThState *in,
                         const uint8_t *window, ThResult *out)
{
    X86CPU *c = th_cpu_new(mode);
    memcpy(th_gwindow, window, TH_WINDOW_SIZE);
    memset(th_gcode, 0xcc, TH_CODE_SIZE);
    memcpy(th_gcode, code, len);
    th_gcode[len] = 0xf4;   /* hlt */
    memcpy(c->regs, in->gpr, sizeof(c->regs));
    c->rip = mode == TH_MODE16_REAL ? 0 : TH_CODE;
    /* IF as in a user process (PUSHF shows it). */
    x86_load_eflags(c, (uint32_t)in->rflags | X86_EFLAGS_IF,
                    X86_EFLAGS_ARITH | X86_EFLAGS_DF | X86_EFLAGS_IF);
    int vec;
    ThStop stop = th_exec(c, &vec);
    memcpy(out->st.gpr, c->regs, sizeof(c->regs));
    out->st.rflags = x86_compute_eflags(c);
    out->st.rip = c->rip + (mode == TH_MODE16_REAL ? TH_CODE : 0);
    out->vector = stop == TH_STOP_EXCEPTION ? vec : -1;
    if (stop == TH_STOP_HALT) {
        out->st.rip -= 1;   /* before the appended HLT */
    } else if (stop == TH_STOP_LIMIT) {
        out->vector = 999;
    }
    memcpy(out->window, th_gwindow, TH_WINDOW_SIZE);
}

/* ---- the native runner ---------------------------------------------------------------- */

void th_native_enter(void);
void th_native_exit(void);
ThState th_native_in, th_native_out;
uint64_t th_native_host_rsp;

__asm__(
    ".text\n"
    ".globl th_native_enter\n"
    "th_native_enter:\n"
    "    push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "    mov %rsp, th_native_host_rsp(%rip)\n"
    "    pushq th_native_in+136(%rip)\n"
    "    popfq\n"
    "    mov th_native_in+8(%rip), %rcx\n"
    "    mov th_native_in+16(%rip), %rdx\n"
    "    mov th_native_in+24(%rip), %rbx\n"
    "    mov th_native_in+40(%rip), %rbp\n"
    "    mov th_native_in+48(%rip), %rsi\n"
    "    mov th_native_in+56(%rip), %rdi\n"
    "    mov th_native_in+64(%rip), %r8\n"
    "    mov th_native_in+72(%rip), %r9\n"
    "    mov th_native_in+80(%rip), %r10\n"
    "    mov th_native_in+88(%rip), %r11\n"
    "    mov th_native_in+96(%rip), %r12\n"
    "    mov th_native_in+104(%rip), %r13\n"
    "    mov th_native_in+112(%rip), %r14\n"
    "    mov th_native_in+120(%rip), %r15\n"
    "    mov th_native_in+32(%rip), %rsp\n"
    "    mov th_native_in+0(%rip), %rax\n"
    "    jmp *th_native_in+128(%rip)\n"
    ".globl th_native_exit\n"
    "th_native_exit:\n"
    "    mov %rax, th_native_out+0(%rip)\n"
    "    mov %rcx, th_native_out+8(%rip)\n"
    "    mov %rdx, th_native_out+16(%rip)\n"
    "    mov %rbx, th_native_out+24(%rip)\n"
    "    mov %rsp, th_native_out+32(%rip)\n"
    "    mov %rbp, th_native_out+40(%rip)\n"
    "    mov %rsi, th_native_out+48(%rip)\n"
    "    mov %rdi, th_native_out+56(%rip)\n"
    "    mov %r8, th_native_out+64(%rip)\n"
    "    mov %r9, th_native_out+72(%rip)\n"
    "    mov %r10, th_native_out+80(%rip)\n"
    "    mov %r11, th_native_out+88(%rip)\n"
    "    mov %r12, th_native_out+96(%rip)\n"
    "    mov %r13, th_native_out+104(%rip)\n"
    "    mov %r14, th_native_out+112(%rip)\n"
    "    mov %r15, th_native_out+120(%rip)\n"
    "    mov th_native_host_rsp(%rip), %rsp\n"
    "    pushfq\n"
    "    popq th_native_out+136(%rip)\n"
    "    cld\n"
    "    pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "    ret\n");


static void th_signal(int sig, siginfo_t *info, void *ctx)
{
    ucontext_t *uc = ctx;
    static const int greg[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                  REG_RSI, REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11,
                                  REG_R12, REG_R13, REG_R14, REG_R15 };
    (void)info;
    if (!th_in_native) {
        signal(sig, SIG_DFL);
        return;
    }
    th_in_native = 0;
    for (int i = 0; i < 16; i++) {
        th_native_result->st.gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg[i]];
    }
    th_native_result->st.rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    th_native_result->st.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    th_native_result->vector = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
    siglongjmp(th_native_jmp, 1);
}

static void th_alarm_native(void)
{
    if (th_in_native) {
        th_in_native = 0;
        th_native_result->vector = 998;
        siglongjmp(th_native_jmp, 1);
    }
}

static void *th_map_fixed(uint64_t addr, size_t size, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, size, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != (void *)(uintptr_t)addr) {
        return NULL;
    }
    return p;
}

/* False when the fixed addresses cannot be mapped on this host. */
static TH_UNUSED bool th_native_init(void)
{
    static int state;   /* 0 untried, 1 ok, -1 failed */
    if (state) {
        return state > 0;
    }
    th_nwindow = th_map_fixed(TH_WINDOW, TH_WINDOW_SIZE, PROT_READ | PROT_WRITE);
    th_ncode = th_map_fixed(TH_CODE, TH_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (!th_nwindow || !th_ncode) {
        state = -1;
        return false;
    }
    static uint8_t alt_stack[65536] __attribute__((aligned(16)));
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof(alt_stack) };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = th_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
    state = 1;
    return true;
}

static TH_UNUSED void th_run_native(const uint8_t *code, size_t len, const ThState *in,
                          const uint8_t *window, ThResult *out)
{
    memcpy(th_nwindow, window, TH_WINDOW_SIZE);
    memset(th_ncode, 0xcc, TH_CODE_SIZE);
    memcpy(th_ncode, code, len);
    th_ncode[len] = 0xff;               /* jmp *0(%rip) */
    th_ncode[len + 1] = 0x25;
    memset(th_ncode + len + 2, 0, 4);
    uint64_t exit_addr = (uint64_t)(uintptr_t)th_native_exit;
    memcpy(th_ncode + len + 6, &exit_addr, 8);
    __builtin___clear_cache((char *)th_ncode, (char *)th_ncode + len + 14);

    th_native_in = *in;
    th_native_in.rip = TH_CODE;
    th_native_result = out;
    out->vector = -1;
    th_init_once();   /* the SIGALRM handler */
    if (sigsetjmp(th_native_jmp, 1) == 0) {
        alarm(10);
        th_in_native = 1;
        th_native_enter();
        th_in_native = 0;
        alarm(0);
        out->st = th_native_out;
        out->st.rip = TH_CODE + len;
    }
    alarm(0);
    memcpy(out->window, th_nwindow, TH_WINDOW_SIZE);
}

/* ---- comparison ------------------------------------------------------------------------ */

#define TH_FLAGS_ALL (X86_EFLAGS_ARITH | X86_EFLAGS_DF)

/* Compare guest and native results; flags outside flag_mask are ignored.
 * Prints the first difference; returns true when equal. */
static TH_UNUSED bool th_same(const char *what, const ThResult *g, const ThResult *n, uint32_t flag_mask)
{
    static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi",
                                           "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
                                           "r14", "r15" };
    if (g->vector != n->vector) {
        printf("  %s: outcome guest %d native %d (rip %#llx / %#llx)\n", what, g->vector,
               n->vector, (unsigned long long)g->st.rip, (unsigned long long)n->st.rip);
        return false;
    }
    if (g->st.rip != n->st.rip) {
        printf("  %s: rip guest %#llx native %#llx\n", what, (unsigned long long)g->st.rip,
               (unsigned long long)n->st.rip);
        return false;
    }
    for (int i = 0; i < 16; i++) {
        if (g->st.gpr[i] != n->st.gpr[i]) {
            printf("  %s: %s guest %#llx native %#llx\n", what, names[i],
                   (unsigned long long)g->st.gpr[i], (unsigned long long)n->st.gpr[i]);
            return false;
        }
    }
    if ((g->st.rflags ^ n->st.rflags) & flag_mask) {
        printf("  %s: rflags guest %#llx native %#llx (mask %#x)\n", what,
               (unsigned long long)g->st.rflags, (unsigned long long)n->st.rflags, flag_mask);
        return false;
    }
    if (memcmp(g->window, n->window, TH_WINDOW_SIZE) != 0) {
        for (unsigned i = 0; i < TH_WINDOW_SIZE; i++) {
            if (g->window[i] != n->window[i]) {
                printf("  %s: window[%#x] guest %#x native %#x\n", what, i, g->window[i],
                       n->window[i]);
                break;
            }
        }
        return false;
    }
    return true;
}

/* ---- a tiny assembler for test snippets ----------------------------------------------- */

typedef struct ThCode {
    uint8_t b[TH_CODE_SIZE - 64];
    size_t n;
} ThCode;

static TH_UNUSED void th_emit(ThCode *c, const uint8_t *bytes, size_t n)
{
    if (c->n + n <= sizeof(c->b)) {
        memcpy(c->b + c->n, bytes, n);
        c->n += n;
    }
}

#define TH_EMIT(c, ...) do { static const uint8_t b_[] = { __VA_ARGS__ }; \
        th_emit((c), b_, sizeof(b_)); } while (0)

static TH_UNUSED void th_emit_u8(ThCode *c, uint8_t v) { th_emit(c, &v, 1); }
static TH_UNUSED void th_emit_u32(ThCode *c, uint32_t v) { th_emit(c, (uint8_t *)&v, 4); }
static TH_UNUSED void th_emit_u64(ThCode *c, uint64_t v) { th_emit(c, (uint8_t *)&v, 8); }

/* mov $imm64, %reg */
static TH_UNUSED void th_mov_imm(ThCode *c, int reg, uint64_t v)
{
    th_emit_u8(c, (uint8_t)(0x48 | (reg >> 3)));
    th_emit_u8(c, (uint8_t)(0xb8 | (reg & 7)));
    th_emit_u64(c, v);
}

/* xorshift64*: deterministic operands biased towards edge cases. */
static uint64_t th_rng = 0x2545f4914f6cdd1dull;
static TH_UNUSED uint64_t th_rand(void)
{
    th_rng ^= th_rng >> 12;
    th_rng ^= th_rng << 25;
    th_rng ^= th_rng >> 27;
    return th_rng * 0x2545f4914f6cdd1dull;
}

static TH_UNUSED uint64_t th_rand_value(void)
{
    static const uint64_t special[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
        0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
        0xffffffffffffffffull, 0xffffffff80000000ull, 0x0f, 0x10, 0x99, 0x9a,
    };
    uint64_t r = th_rand();
    switch (r & 7) {
    case 0: case 1: return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
    case 2: return (r >> 8) & 0xff;
    case 3: return (uint64_t)-(int64_t)((r >> 8) & 0xff);
    case 4: return th_rand() >> (r >> 58);
    default: return th_rand();
    }
}

/* A random initial state: GPRs (rsp into the window), flags, window bytes. */
static TH_UNUSED void th_random_state(ThState *st, uint8_t *window)
{
    for (int i = 0; i < 16; i++) {
        st->gpr[i] = th_rand_value();
    }
    st->gpr[R_ESP] = TH_WINDOW + 0x1800;
    st->rflags = (th_rand() & (X86_EFLAGS_ARITH)) | X86_EFLAGS_FIXED;
    for (unsigned i = 0; i < TH_WINDOW_SIZE; i += 8) {
        uint64_t v = th_rand_value();
        memcpy(window + i, &v, 8);
    }
}

/* Run natively and in the guest, compare. */
static TH_UNUSED bool th_check(const char *what, const ThCode *code, const ThState *in,
                               const uint8_t *window, uint32_t flag_mask)
{
    static ThResult g, n;
    th_run_native(code->b, code->n, in, window, &n);
    th_run_guest(TH_MODE64, code->b, code->n, in, window, &g);
    return th_same(what, &g, &n, flag_mask);
}

static TH_UNUSED void th_dump_code(const ThCode *c)
{
    printf("  code:");
    for (size_t i = 0; i < c->n; i++) {
        printf(" %02x", c->b[i]);
    }
    printf("\n");
}

#endif
