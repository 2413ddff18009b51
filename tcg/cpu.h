/*
 * CPUState: the part of every vCPU's state that the translator core owns.
 * It is the first member of each architecture's state struct (X86CPU, ...),
 * so the env pointer generated code receives points at it. Its first member
 * is the softmmu fast-path table (tcg/tlb.h: TCG_ENV_TLB_OFFSET 0).
 */
#ifndef MIMIC_TCG_CPU_H
#define MIMIC_TCG_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlb.h"

/* Size of CPUState.interp_frame, in 8-byte registers. */
#define TCG_ENV_FRAME_SLOTS 2048

typedef struct Machine Machine;
typedef struct TCGFrontend TCGFrontend;
typedef struct TCGTLBState TCGTLBState;       /* softmmu.c: full entries, victim TLB */
typedef struct TBJumpCache TBJumpCache;       /* exec.c: virtual-pc -> block cache */

/* interrupt_request bits (set from any thread with cpu_interrupt()). */
enum {
    CPU_INTERRUPT_HARD = 1u << 0,    /* maskable interrupt line (PIC INTR / LAPIC) */
    CPU_INTERRUPT_NMI = 1u << 1,
    CPU_INTERRUPT_SMI = 1u << 2,
    CPU_INTERRUPT_INIT = 1u << 3,
    CPU_INTERRUPT_SIPI = 1u << 4,
    CPU_INTERRUPT_EXITTB = 1u << 5,  /* leave generated code, re-check state */
    CPU_INTERRUPT_TIMER = 1u << 6,   /* architecture-defined extra source */
};

/*
 * exception_index values >= EXCP_FIRST_INTERNAL are not guest exceptions:
 * the exec loop returns them to the accelerator instead of calling
 * frontend->do_exception. Guest exception numbers stay below.
 */
enum {
    EXCP_FIRST_INTERNAL = 0x10000,
    EXCP_INTERRUPT = EXCP_FIRST_INTERNAL,  /* exit_request was seen (kick) */
    EXCP_HLT,         /* the guest halted (HLT/WFI): set cpu->halted, then raise this */
    EXCP_HALTED,      /* tcg_cpu_exec found the CPU halted with no work */
    EXCP_DEBUG,       /* breakpoint / single step for the gdbstub */
    EXCP_YIELD,       /* PAUSE/YIELD: let another vCPU run */
};

typedef struct CPUState {
    TCGTLBFast tlb_fast[TCG_MAX_MMU_IDX];   /* must stay first: generated code */
    /* Non-zero: generated code leaves at the next block entry. Set by kicks
     * (timers, device IRQs, pause requests) from any thread. */
    volatile int32_t exit_request;
    volatile uint32_t interrupt_request;    /* CPU_INTERRUPT_* */
    int32_t exception_index;                /* pending exception, -1 none */
    bool halted;                            /* HLT/WFI: wait for interrupt_request */
    int cpu_index;
    Machine *machine;
    const TCGFrontend *frontend;
    sigjmp_buf jmp_env;                     /* exceptions unwind to the exec loop */
    /* TB_CFLAG_* for the next block only (a self-modifying store restarts
     * its instruction as a one-instruction block). */
    uint32_t cflags_next_tb;
    TCGTLBState *tlb;
    TBJumpCache *jmp_cache;
    void *accel;                            /* accel/tcg's per-vCPU data */
    /* The interpreter backend's registers (tcg/interp): kept here, next to
     * the guest state, so one 16-bit operand reaches both temps and 8-byte
     * globals, which it then reads and writes in place. */
    uint64_t interp_frame[TCG_ENV_FRAME_SLOTS];
} CPUState;

_Static_assert(offsetof(CPUState, tlb_fast) == TCG_ENV_TLB_OFFSET, "TLB first in CPUState");
#define TCG_ENV_EXIT_REQUEST_OFFSET offsetof(CPUState, exit_request)

/* Set bits in interrupt_request and kick the vCPU out of generated code. */
void cpu_interrupt(CPUState *cpu, uint32_t mask);
void cpu_reset_interrupt(CPUState *cpu, uint32_t mask);
/* Make the vCPU leave generated code soon (sets exit_request, wakes it). */
void cpu_kick(CPUState *cpu);

/* Unwind to the exec loop. With retaddr (a host address inside generated
 * code, or 0 from outside it), first restore the guest state of the
 * instruction that was executing (frontend->restore_state). The exec loop
 * then delivers cpu->exception_index if it is >= 0. */
_Noreturn void cpu_loop_exit(CPUState *cpu);
_Noreturn void cpu_loop_exit_restore(CPUState *cpu, uintptr_t retaddr);

#endif
