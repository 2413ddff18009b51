/* Differential tests: enters and leaves a snippet, shared by the native
 * (user mode) and guest (CPL 0) runners.  State moves through the control
 * page at DIFF_CTRL_ADDR with absolute disp32 operands, so a snippet may
 * change every GPR, RSP included.  Reference: Intel SDM vol. 1 10.5. */
#include "diff.h"

#define IN(off) (DIFF_CTRL_ADDR + CTRL_IN + (off))
#define OUT(off) (DIFF_CTRL_ADDR + CTRL_OUT + (off))
#define HOST(off) (DIFF_CTRL_ADDR + CTRL_HOST_GPR + (off))

    .text
    .code64

/* uint32_t diff_run(void): runs the snippet at DIFF_CODE_ADDR from the
 * state at CTRL_IN; returns DIFF_DONE through diff_exit (or DIFF_FAULT
 * through diff_fault_return) with the final state at CTRL_OUT. */
    .globl diff_run
    .type diff_run, @function
diff_run:
    movq %rbx, HOST(0)
    movq %rbp, HOST(8)
    movq %r12, HOST(16)
    movq %r13, HOST(24)
    movq %r14, HOST(32)
    movq %r15, HOST(40)
    movq %rsp, HOST(48)
    fxsave64 DIFF_CTRL_ADDR + CTRL_HOST_FX
    movq $1, DIFF_CTRL_ADDR + CTRL_ACTIVE
    fxrstor64 IN(DIFF_OFF_FX)
    pushq IN(DIFF_OFF_RFLAGS)
    popfq
    movq IN(0), %rax
    movq IN(8), %rcx
    movq IN(16), %rdx
    movq IN(24), %rbx
    movq IN(40), %rbp
    movq IN(48), %rsi
    movq IN(56), %rdi
    movq IN(64), %r8
    movq IN(72), %r9
    movq IN(80), %r10
    movq IN(88), %r11
    movq IN(96), %r12
    movq IN(104), %r13
    movq IN(112), %r14
    movq IN(120), %r15
    movq IN(32), %rsp
    jmp *DIFF_CTRL_ADDR + CTRL_ENTRY
    .size diff_run, . - diff_run

/* Reached by the stub after the snippet's last instruction.  MOV leaves the
 * flags alone, so RFLAGS is read only after RSP points at our own stack. */
    .globl diff_exit
    .type diff_exit, @function
diff_exit:
    movq %rax, OUT(0)
    movq %rcx, OUT(8)
    movq %rdx, OUT(16)
    movq %rbx, OUT(24)
    movq %rsp, OUT(32)
    movq %rbp, OUT(40)
    movq %rsi, OUT(48)
    movq %rdi, OUT(56)
    movq %r8, OUT(64)
    movq %r9, OUT(72)
    movq %r10, OUT(80)
    movq %r11, OUT(88)
    movq %r12, OUT(96)
    movq %r13, OUT(104)
    movq %r14, OUT(112)
    movq %r15, OUT(120)
    movq $DIFF_CTRL_ADDR + CTRL_STACK_TOP, %rsp
    pushfq
    popq OUT(DIFF_OFF_RFLAGS)
    movq $0, OUT(DIFF_OFF_RIP)
    xorl %eax, %eax
    /* fall through */

/* Common tail: EAX = outcome, CTRL_OUT filled except the FXSAVE image. */
    .globl diff_fault_return
diff_fault_return:
    cld
    fxsave64 OUT(DIFF_OFF_FX)
    fxrstor64 DIFF_CTRL_ADDR + CTRL_HOST_FX
    movq $0, DIFF_CTRL_ADDR + CTRL_ACTIVE
    movq HOST(0), %rbx
    movq HOST(8), %rbp
    movq HOST(16), %r12
    movq HOST(24), %r13
    movq HOST(32), %r14
    movq HOST(40), %r15
    movq HOST(48), %rsp
    ret
    .size diff_exit, . - diff_exit

    .section .note.GNU-stack, "", @progbits
