/* lm64: long-mode harness for the tcg_* programs: C stays 32-bit (compatibility
 * mode once IA-32e paging is on) and calls 64-bit assembly bodies; 4 KiB
 * identity pages below 4 MiB, a 64-bit IDT that records faults and applies
 * one armed fix, and a timer-tick counter.  Reference: SDM vol. 3A 4.5, 6.14,
 * 9.8.5.  Single CPU, CPL 0, no TSS/IST (so no PUSH into a missing page). */
#ifndef GUEST_LM64_H
#define GUEST_LM64_H

/* Offsets lm64.S uses into the structures below (checked in lm64.c). */
#define LM64_REGS_RFLAGS 120
#define LM64_FAULT_RIP 128
#define LM64_FAULT_CS 136
#define LM64_FAULT_RSP 144
#define LM64_FAULT_SS 152
#define LM64_FAULT_ERROR 160
#define LM64_FAULT_VECTOR 168
#define LM64_FAULT_CR2 176
#define LM64_FAULT_SNAP 184
#define LM64_FIX_ARMED 0
#define LM64_FIX_PTE 4
#define LM64_FIX_PTE_VALUE 8
#define LM64_FIX_RESUME_RIP 16
#define LM64_FIX_SNAP_ADDR 24
#define LM64_IRQ_TICKS 0
#define LM64_IRQ_EXIT_TICKS 8
#define LM64_IRQ_EXIT_RIP 16
#define LM64_IRQ_FLAG_TICKS 24
#define LM64_IRQ_FLAG 32
#define LM64_IRQ_LOG_RIP 40
#define LM64_IRQ_LOG 64
#define LM64_IRQ_LOG_TSC (LM64_IRQ_LOG_RIP + 8 * LM64_IRQ_LOG)
#define LM64_IRQ_LOG_RFLAGS (LM64_IRQ_LOG_TSC + 8 * LM64_IRQ_LOG)
#define LM64_IRQ_LOG_RCX (LM64_IRQ_LOG_RFLAGS + 8 * LM64_IRQ_LOG)
#define LM64_SNAP_BYTES 64

#ifndef __ASSEMBLER__
#include "runtime.h"

#define LM64_PAGE 4096u
#define LM64_SMALL_PAGES_END (4u << 20)   /* 4 KiB pages below this address */

/* Page-table entry bits (SDM vol. 3A table 4-19). */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_NX (1ull << 63)

/* Page-fault error code bits (SDM vol. 3A 4.7). */
#define PF_P 0x01u
#define PF_W 0x02u
#define PF_U 0x04u
#define PF_ID 0x10u

#define RFLAGS_CF 0x001u
#define RFLAGS_PF 0x004u
#define RFLAGS_AF 0x010u
#define RFLAGS_ZF 0x040u
#define RFLAGS_SF 0x080u
#define RFLAGS_IF 0x200u
#define RFLAGS_DF 0x400u
#define RFLAGS_OF 0x800u
#define RFLAGS_RF 0x10000u
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* General registers in and out of a 64-bit test body (no RSP: the body runs
 * on the caller's stack and must return with it balanced).  The offsets are
 * used by lm64.S. */
typedef struct Lm64Regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rflags;        /* out only: RFLAGS when the body returned */
} Lm64Regs;

/* What the exception handler saw, filled on every exception. */
typedef struct Lm64Fault {
    Lm64Regs regs;          /* rflags = RFLAGS in the exception frame */
    uint64_t rip, cs, rsp, ss;
    uint64_t error_code, vector, cr2;
    uint8_t snap[LM64_SNAP_BYTES];  /* copy of fix.snap_addr at fault time */
} Lm64Fault;

/* One armed fix, applied by the next exception and then disarmed:
 * write *pte = pte_value (if pte), flush the TLB, replace the frame's RIP
 * with resume_rip (if nonzero), and snapshot LM64_SNAP_BYTES at snap_addr
 * (if nonzero) before the PTE write.  An exception while disarmed fails the
 * test with the recorded state. */
typedef struct Lm64Fix {
    uint32_t armed;
    uint32_t pte;           /* address of the PTE to rewrite, 0 for none */
    uint64_t pte_value;
    uint64_t resume_rip;
    uint64_t snap_addr;
} Lm64Fix;

/* Timer-interrupt bookkeeping, kept by the IRQ handler (vectors 0x20-0x2f
 * are EOI'd at the PIC; only vector 0x20 counts). */
typedef struct Lm64Irq {
    uint64_t ticks;
    uint64_t exit_ticks;    /* at this tick count, redirect to exit_rip */
    uint64_t exit_rip;      /* 0: no redirect (cleared once used) */
    uint64_t flag_ticks;    /* at this tick count, set flag = 1 */
    uint64_t flag;
    uint64_t log_rip[LM64_IRQ_LOG];   /* interrupted RIP of ticks 1..64 */
    uint64_t log_tsc[LM64_IRQ_LOG];   /* TSC at ticks 1..64 */
    uint64_t log_rflags[LM64_IRQ_LOG]; /* RFLAGS in their frames */
    uint64_t log_rcx[LM64_IRQ_LOG];   /* interrupted RCX */
} Lm64Irq;

extern volatile Lm64Fault lm64_fault;
extern volatile uint32_t lm64_fault_count;
extern volatile Lm64Fix lm64_fix;
extern volatile Lm64Irq lm64_irq;

/* Builds the page tables and IDT and enters IA-32e mode; the caller goes on
 * in compatibility mode.  Fails the test if the CPU lacks long mode. */
void lm64_init(void);
/* True if CPUID reports the execute-disable bit (NX). */
bool lm64_has_nx(void);
/* Sets or clears IA32_EFER.NXE. */
void lm64_set_nxe(bool on);

/* Calls the 64-bit function FN with the registers in R, then stores the
 * registers it returned with back into R. */
typedef void Lm64Fn(void);
void lm64_call(Lm64Fn *fn, Lm64Regs *r);

/* The PTE mapping ADDR (below LM64_SMALL_PAGES_END), and rewriting it with
 * a TLB flush of that page. */
volatile uint64_t *lm64_pte(const volatile void *addr);
void lm64_map(const volatile void *addr, uint32_t phys, uint64_t flags);
void lm64_identity(const volatile void *addr, uint64_t flags);
uint32_t lm64_addr(const volatile void *p);

/* Arms the one-shot fix described at Lm64Fix; clears lm64_fault first. */
void lm64_arm(const volatile void *pte_page, uint64_t pte_flags, uint64_t resume_rip,
              const volatile void *snap);

/* Test bookkeeping: CHECK-style comparisons that count failures and print
 * the first few; lm64_finish() prints RESULT and exits. */
void lm64_expect(bool ok, const char *what, uint64_t got, uint64_t want);
#define LM64_EXPECT_EQ(what, got, want) \
    lm64_expect((uint64_t)(got) == (uint64_t)(want), (what), (uint64_t)(got), (uint64_t)(want))
uint32_t lm64_failures(void);
/* A check the SDM requires but QEMU's TCG (the reference run) does not
 * implement, e.g. RF = 1 in fault frames (SDM vol. 3A 17.3.1.1): under QEMU
 * TCG a mismatch prints a note instead of failing. */
void lm64_expect_sdm(const char *what, uint64_t got, uint64_t want);
_Noreturn void lm64_finish(const char *name);

#endif /* __ASSEMBLER__ */
#endif
