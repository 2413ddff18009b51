/* lm64: the 64-bit side of the harness (see lm64.h): the far-call trampoline
 * from compatibility mode, 256 IDT stubs and the common handler (exceptions
 * recorded and the armed fix applied; PIC IRQs counted and EOI'd).
 * Reference: SDM vol. 3A 6.14.2 (64-bit frame), 6.13 (error codes), vol. 2
 * far CALL/RET (32-bit operand size by default in 64-bit mode). */
#include "lm64.h"

#define SEL_CODE32 0x08
#define SEL_CODE64 0x18
#define PIC1_CMD 0x20
#define PIC2_CMD 0xa0
#define OCW2_EOI 0x20
#define VEC_IRQ0 0x20
#define VEC_IRQ8 0x28
#define VEC_IRQ_END 0x30
/* Saved frame on the handler stack: 15 GPRs (RAX lowest), vector, error
 * code, then the CPU's RIP, CS, RFLAGS, RSP, SS. */
#define F_VECTOR 120
#define F_ERROR 128
#define F_RIP 136
#define F_CS 144
#define F_RFLAGS 152
#define F_RSP 160
#define F_SS 168

    .text
    .code32
/* void lm64_call(Lm64Fn *fn, Lm64Regs *r) -- cdecl, from compatibility mode. */
    .globl lm64_call
lm64_call:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 20(%esp), %eax
    movl 24(%esp), %edx
    movl %eax, call_fn
    movl %edx, call_regs
    lcall $SEL_CODE64, $call_entry64
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .code64
call_entry64:
    movl %esp, %esp                 /* the upper half is undefined after compatibility mode */
    movq call_regs(%rip), %rax
    movq 8(%rax), %rbx
    movq 16(%rax), %rcx
    movq 24(%rax), %rdx
    movq 32(%rax), %rsi
    movq 40(%rax), %rdi
    movq 48(%rax), %rbp
    movq 56(%rax), %r8
    movq 64(%rax), %r9
    movq 72(%rax), %r10
    movq 80(%rax), %r11
    movq 88(%rax), %r12
    movq 96(%rax), %r13
    movq 104(%rax), %r14
    movq 112(%rax), %r15
    movq 0(%rax), %rax
    callq *call_fn(%rip)
    pushfq
    pushq %rax
    movq call_regs(%rip), %rax
    popq 0(%rax)
    popq LM64_REGS_RFLAGS(%rax)
    movq %rbx, 8(%rax)
    movq %rcx, 16(%rax)
    movq %rdx, 24(%rax)
    movq %rsi, 32(%rax)
    movq %rdi, 40(%rax)
    movq %rbp, 48(%rax)
    movq %r8, 56(%rax)
    movq %r9, 64(%rax)
    movq %r10, 72(%rax)
    movq %r11, 80(%rax)
    movq %r12, 88(%rax)
    movq %r13, 96(%rax)
    movq %r14, 104(%rax)
    movq %r15, 112(%rax)
    cld                             /* the 32-bit C code assumes DF = 0 */
    lretl

/* LIDT with a 64-bit base must run in 64-bit mode. */
    .globl lm64_load_idt
lm64_load_idt:
    lidt lm64_idt_pointer(%rip)
    ret

/* 256 stubs, 16 bytes apart: push a zero where the CPU pushes no error
 * code, push the vector, go to the common handler. */
    .align 16
    .globl lm64_stubs
lm64_stubs:
.set v, 0
.rept 256
    .align 16
    .if (v == 8) || ((v >= 10) && (v <= 14)) || (v == 17) || (v == 21) || (v == 29) || (v == 30)
    .else
    pushq $0
    .endif
    pushq $v
    jmp isr64_common
.set v, v + 1
.endr

isr64_common:
    pushq %r15
    pushq %r14
    pushq %r13
    pushq %r12
    pushq %r11
    pushq %r10
    pushq %r9
    pushq %r8
    pushq %rbp
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rbx
    pushq %rax
    cld
    movq %rsp, %rbx
    movq F_VECTOR(%rbx), %rax
    cmpq $VEC_IRQ0, %rax
    jb exception64
    cmpq $VEC_IRQ_END, %rax
    jb irq64
    jmp exception64                 /* no other vector is expected */

exception64:
    incl lm64_fault_count(%rip)
    leaq lm64_fault(%rip), %rdi
    xorl %ecx, %ecx
1:  movq (%rbx, %rcx, 8), %rax      /* RAX..R15 into lm64_fault.regs */
    movq %rax, (%rdi, %rcx, 8)
    incl %ecx
    cmpl $15, %ecx
    jb 1b
    movq F_RFLAGS(%rbx), %rax
    movq %rax, LM64_REGS_RFLAGS(%rdi)
    movq F_RIP(%rbx), %rax
    movq %rax, LM64_FAULT_RIP(%rdi)
    movq F_CS(%rbx), %rax
    movq %rax, LM64_FAULT_CS(%rdi)
    movq F_RSP(%rbx), %rax
    movq %rax, LM64_FAULT_RSP(%rdi)
    movq F_SS(%rbx), %rax
    movq %rax, LM64_FAULT_SS(%rdi)
    movq F_ERROR(%rbx), %rax
    movq %rax, LM64_FAULT_ERROR(%rdi)
    movq F_VECTOR(%rbx), %rax
    movq %rax, LM64_FAULT_VECTOR(%rdi)
    movq %cr2, %rax
    movq %rax, LM64_FAULT_CR2(%rdi)

    leaq lm64_fix(%rip), %rsi
    cmpl $0, LM64_FIX_ARMED(%rsi)
    je unexpected64
    movl $0, LM64_FIX_ARMED(%rsi)
    movq LM64_FIX_SNAP_ADDR(%rsi), %rdx
    testq %rdx, %rdx
    jz 2f
    xorl %ecx, %ecx
1:  movq (%rdx, %rcx, 8), %rax
    movq %rax, LM64_FAULT_SNAP(%rdi, %rcx, 8)
    incl %ecx
    cmpl $LM64_SNAP_BYTES / 8, %ecx
    jb 1b
2:  movl LM64_FIX_PTE(%rsi), %edx
    testl %edx, %edx
    jz 3f
    movq LM64_FIX_PTE_VALUE(%rsi), %rax
    movq %rax, (%rdx)
    movq %cr3, %rax                 /* flush the whole (non-global) TLB */
    movq %rax, %cr3
3:  movq LM64_FIX_RESUME_RIP(%rsi), %rax
    testq %rax, %rax
    jz restore64
    movq %rax, F_RIP(%rbx)
    jmp restore64

/* No fix armed: report from the 32-bit C code, entered in compatibility
 * mode with a far return (it never comes back). */
unexpected64:
    subq $8, %rsp
    movl $lm64_unexpected, (%rsp)
    movl $SEL_CODE32, 4(%rsp)
    lretl

irq64:
    cmpq $VEC_IRQ0, %rax
    jne eoi64
    leaq lm64_irq(%rip), %rsi
    movq LM64_IRQ_TICKS(%rsi), %rcx
    incq %rcx
    movq %rcx, LM64_IRQ_TICKS(%rsi)
    cmpq $LM64_IRQ_LOG, %rcx
    ja 1f
    movq F_RIP(%rbx), %rax
    movq %rax, LM64_IRQ_LOG_RIP - 8(%rsi, %rcx, 8)
    movq F_RFLAGS(%rbx), %rax
    movq %rax, LM64_IRQ_LOG_RFLAGS - 8(%rsi, %rcx, 8)
    movq 16(%rbx), %rax             /* the interrupted RCX */
    movq %rax, LM64_IRQ_LOG_RCX - 8(%rsi, %rcx, 8)
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    movq LM64_IRQ_TICKS(%rsi), %rcx
    movq %rax, LM64_IRQ_LOG_TSC - 8(%rsi, %rcx, 8)
1:  movq LM64_IRQ_TICKS(%rsi), %rcx
    movq LM64_IRQ_EXIT_RIP(%rsi), %rax
    testq %rax, %rax
    jz 2f
    cmpq LM64_IRQ_EXIT_TICKS(%rsi), %rcx
    jb 2f
    movq %rax, F_RIP(%rbx)
    movq $0, LM64_IRQ_EXIT_RIP(%rsi)
2:  movq LM64_IRQ_FLAG_TICKS(%rsi), %rax
    testq %rax, %rax
    jz eoi64
    cmpq %rax, %rcx
    jb eoi64
    movq $1, LM64_IRQ_FLAG(%rsi)
eoi64:
    movb $OCW2_EOI, %al
    cmpq $VEC_IRQ8, F_VECTOR(%rbx)
    jb 1f
    outb %al, $PIC2_CMD
1:  outb %al, $PIC1_CMD

restore64:
    popq %rax
    popq %rbx
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    popq %rbp
    popq %r8
    popq %r9
    popq %r10
    popq %r11
    popq %r12
    popq %r13
    popq %r14
    popq %r15
    addq $16, %rsp
    iretq

    .data
    .align 8
call_fn:    .quad 0
call_regs:  .quad 0

    .section .note.GNU-stack, "", @progbits
