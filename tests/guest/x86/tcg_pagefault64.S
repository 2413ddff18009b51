/* tcg_pagefault: the 64-bit bodies (see tcg_pagefault.c).  Straight-line
 * code without branches, so a translator keeps each in one block; the
 * faulting instruction is labelled for the RIP check. */

    .text
    .code64

/* Loads, then a load from a missing page, then more work.
 * in: RSI -> { ~0, 1 } (mapped), RDI -> missing page, R8 -> scratch,
 * R9 = 0x7fffffffffffffff; RCX, RDX = sentinels. */
    .globl pf_loads, pf_loads_fault
pf_loads:
    movq (%rsi), %rax               /* 1: RAX = ~0 */
    addq 8(%rsi), %rax              /* 2: RAX = 0; CF ZF PF AF */
pf_loads_fault:
    movq (%rdi), %rcx               /* 3: #PF */
    movq %rcx, (%r8)                /* 4 */
    movq $0x4444, %rdx              /* 5 */
    incq %r9                        /* 6: OF SF AF PF, CF kept */
    ret

/* Stores, then a store to a missing page, then another store.
 * in: R8 -> scratch, RDI -> missing page. */
    .globl pf_stores, pf_stores_fault
pf_stores:
    movq $0x1111, (%r8)             /* 1 */
    movl $0x2222, 8(%r8)            /* 2 */
    movb $0x33, 16(%r8)             /* 3 */
pf_stores_fault:
    movq $0x4444, (%rdi)            /* 4: #PF */
    movq $0x5555, 24(%r8)           /* 5 */
    movq $0x6666, %rax              /* 6 */
    ret

/* A QWORD load straddling into a missing page.  in: RSI, RAX = sentinel. */
    .globl pf_split_load, pf_split_load_fault
pf_split_load:
    movq $0x77, %rbx
pf_split_load_fault:
    movq (%rsi), %rax
    ret

/* Stack accesses that fault.  Each saves RSP (R15) or RBP (R14) first.
 * in: RDI -> missing page (its first QWORD holds the value to pop or the
 * target address); out: RDX = RSP right after the instruction. */
    .globl pf_pop, pf_pop_insn
pf_pop:
    movq %rsp, %r15
    movq %rdi, %rsp
pf_pop_insn:
    popq %rax
    movq %rsp, %rdx
    movq %r15, %rsp
    ret

    .globl pf_ret, pf_ret_insn, pf_ret_back
pf_ret:
    movq %rsp, %r15
    movq %rdi, %rsp
pf_ret_insn:
    ret
pf_ret_back:
    movq %rsp, %rdx
    movq %r15, %rsp
    ret

    .globl pf_call, pf_call_insn, pf_call_target
pf_call:
    movq %rsp, %r15
pf_call_insn:
    call *(%rdi)
    ret
pf_call_target:
    movq %rsp, %rdx
    ret

    .globl pf_push, pf_push_insn
pf_push:
    movq %rsp, %r15
pf_push_insn:
    pushq (%rdi)
    movq %rsp, %rdx
    popq %rax
    ret

    .globl pf_leave, pf_leave_insn
pf_leave:
    movq %rsp, %r15
    movq %rbp, %r14
    movq %rdi, %rbp
pf_leave_insn:
    leave
    movq %rsp, %rdx
    movq %rbp, %rax
    movq %r15, %rsp
    movq %r14, %rbp
    ret

/* Other exceptions in the middle of a block: #UD, #GP(0) for a
 * non-canonical address, #DE, and INT3 (a trap: RIP after it).  Each sets
 * RBX before and would set RCX after; the handler resumes at name_resume
 * (not for INT3). */
#define OTHER(name, ...) \
    .globl name, name##_insn, name##_resume; \
name: \
    movq $0x1234, %rbx; \
    movq $-1, %r10; \
    addq $1, %r10; \
name##_insn: \
    __VA_ARGS__; \
    movq $0x5678, %rcx; \
name##_resume: \
    ret

OTHER(exc_ud, ud2)
OTHER(exc_gp, movq (%rsi), %rax)
OTHER(exc_de, divq %rdi)
OTHER(exc_bp, int3)

/* Read-modify-write instructions on a read-only page (CR0.WP = 1).  Each
 * sets CF ZF PF AF first (~0 + 1) so the frame shows the flags before.
 * in: RDI -> target, RBX = operand, RAX = compare value, RCX = new value. */
#define RMW(name, ...) \
    .globl name, name##_insn; \
name: \
    movq $-1, %r10; \
    addq $1, %r10; \
name##_insn: \
    __VA_ARGS__; \
    ret

RMW(rmw_add, addq %rbx, (%rdi))
RMW(rmw_lock_add, lock addq %rbx, (%rdi))
RMW(rmw_adc, adcq %rbx, (%rdi))
RMW(rmw_inc, incq (%rdi))
RMW(rmw_neg, negq (%rdi))
RMW(rmw_shl, shlq $3, (%rdi))
RMW(rmw_bts, btsq $5, (%rdi))
RMW(rmw_xchg, xchgq %rbx, (%rdi))
RMW(rmw_xadd, lock xaddq %rbx, (%rdi))
RMW(rmw_cmpxchg, lock cmpxchgq %rcx, (%rdi))
RMW(rmw_add_byte, addb %bl, (%rdi))

    .section .note.GNU-stack, "", @progbits
