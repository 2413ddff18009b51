/* Differential tests: native runner.  Maps the window, control and code
 * pages at the fixed addresses, runs each snippet of a batch on the host CPU
 * and prints the result lines the guest runner prints; faults arrive as
 * signals and the state at the fault comes from the signal context.
 * Reference: Linux sigaction(2), <sys/ucontext.h>. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include "diff.h"

uint32_t diff_run(void);
void diff_exit(void);

#define ALT_STACK_SIZE (64 * 1024)

static sigjmp_buf fault_jump;
static volatile sig_atomic_t in_snippet;
static DiffResult fault_result;

/* ucontext gregs index for each GPR in hardware order. */
static const int greg_index[DIFF_GPRS] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void fault_handler(int sig, siginfo_t *info, void *context)
{
    ucontext_t *uc = context;
    (void)info;

    if (!in_snippet) {
        signal(sig, SIG_DFL);
        return;          /* re-executes the fault with the default action */
    }
    in_snippet = 0;
    memset(&fault_result, 0, sizeof(fault_result));
    for (int i = 0; i < DIFF_GPRS; i++)
        fault_result.cpu.gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg_index[i]];
    fault_result.cpu.rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    fault_result.cpu.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    if (uc->uc_mcontext.fpregs)
        memcpy(fault_result.cpu.fx, uc->uc_mcontext.fpregs, sizeof(fault_result.cpu.fx));
    fault_result.outcome = DIFF_FAULT;
    fault_result.vector = (uint32_t)uc->uc_mcontext.gregs[REG_TRAPNO];
    siglongjmp(fault_jump, 1);
}

static void *map_fixed(uint32_t address, size_t size, int prot)
{
    void *p = mmap((void *)(uintptr_t)address, size, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != (void *)(uintptr_t)address) {
        fprintf(stderr, "diff-native: cannot map 0x%08x: %s\n", address, strerror(errno));
        exit(2);
    }
    return p;
}

static void install_handlers(void)
{
    static const int signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    static uint8_t alt_stack[ALT_STACK_SIZE] __attribute__((aligned(16)));
    stack_t ss = { .ss_sp = alt_stack, .ss_size = ALT_STACK_SIZE };
    struct sigaction sa;

    if (sigaltstack(&ss, NULL) != 0) {
        perror("diff-native: sigaltstack");
        exit(2);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
        sigaction(signals[i], &sa, NULL);
}

/* Clean x87/SSE state for the C code after a fault left the snippet's. */
static void reset_fpu(void)
{
    uint32_t mxcsr = 0x1f80;
    __asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: diff-native BATCH.bin RESULTS.txt\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "diff-native: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    const uint8_t *batch = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (batch == MAP_FAILED || (size_t)st.st_size < sizeof(DiffBatchHeader)) {
        fprintf(stderr, "diff-native: %s: cannot read batch\n", argv[1]);
        return 2;
    }
    const DiffBatchHeader *bh = (const DiffBatchHeader *)batch;
    if (bh->magic != DIFF_BATCH_MAGIC || bh->total_size != (uint64_t)st.st_size) {
        fprintf(stderr, "diff-native: %s: not a batch file\n", argv[1]);
        return 2;
    }
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        fprintf(stderr, "diff-native: %s: %s\n", argv[2], strerror(errno));
        return 2;
    }

    uint8_t *window = map_fixed(DIFF_WINDOW_ADDR, DIFF_WINDOW_SIZE, PROT_READ | PROT_WRITE);
    uint8_t *ctrl = map_fixed(DIFF_CTRL_ADDR, DIFF_CTRL_SIZE, PROT_READ | PROT_WRITE);
    uint8_t *code = map_fixed(DIFF_CODE_ADDR, DIFF_CODE_SIZE,
                              PROT_READ | PROT_WRITE | PROT_EXEC);
    install_handlers();

    static DiffResult initial, final;
    static char line[DIFF_LINE_MAX];
    uint64_t offset = sizeof(DiffBatchHeader);
    fprintf(out, "DIFF-BEGIN %08x\n", bh->count);
    for (uint32_t n = 0; n < bh->count; n++) {
        const DiffSnippetHeader *sh = (const DiffSnippetHeader *)(batch + offset);
        if (offset + sizeof(*sh) > bh->total_size || sh->magic != DIFF_SNIP_MAGIC ||
            sh->record_size < sizeof(*sh) + sh->code_len ||
            offset + sh->record_size > bh->total_size || sh->code_len > DIFF_CODE_MAX) {
            fprintf(stderr, "diff-native: %s: bad snippet record %u\n", argv[1], n);
            return 2;
        }
        memcpy(code, (const uint8_t *)(sh + 1), sh->code_len);
        code[sh->code_len] = 0xff;              /* jmp *0(%rip) */
        code[sh->code_len + 1] = 0x25;
        memset(code + sh->code_len + 2, 0, 4);
        uint64_t exit_address = (uint64_t)(uintptr_t)diff_exit;
        memcpy(code + sh->code_len + 6, &exit_address, 8);
        memcpy(window, sh->window, DIFF_WINDOW_SIZE);
        memcpy(ctrl + CTRL_IN, &sh->init, sizeof(sh->init));
        uint64_t entry = DIFF_CODE_ADDR;
        memcpy(ctrl + CTRL_ENTRY, &entry, 8);

        memset(&initial, 0, sizeof(initial));
        initial.cpu = sh->init;
        memcpy(initial.window, sh->window, DIFF_WINDOW_SIZE);

        if (sigsetjmp(fault_jump, 1) == 0) {
            in_snippet = 1;
            diff_run();
            in_snippet = 0;
            memset(&final, 0, sizeof(final));
            memcpy(&final.cpu, ctrl + CTRL_OUT, sizeof(final.cpu));
            final.outcome = DIFF_DONE;
            final.cpu.rip = DIFF_CODE_ADDR + sh->code_len;
        } else {
            reset_fpu();
            final = fault_result;
        }
        memcpy(final.window, window, DIFF_WINDOW_SIZE);
        diff_format_result(line, sh->index, &initial, &final);
        fputs(line, out);
        offset += sh->record_size;
    }
    fprintf(out, "DIFF-END %08x\n", bh->count);
    if (fclose(out) != 0) {
        fprintf(stderr, "diff-native: %s: write failed\n", argv[2]);
        return 2;
    }
    return 0;
}
