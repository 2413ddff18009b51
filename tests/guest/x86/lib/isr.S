/* Interrupt entry stubs for the 32-bit IDT: one stub per vector pushes a
 * dummy error code where the CPU does not push one, then the vector number,
 * and jumps to a common path that saves registers and calls
 * interrupt_dispatch(frame).  Reference: Intel SDM vol. 3A 6.12-6.13
 * (which exceptions push an error code). */

    .text
    .code32

/* Vectors 8, 10-14, 17, 21, 29, 30 push an error code.  Every stub is
 * 16-byte aligned so the table below can be computed, not labelled. */
    .globl isr_stub_table_base
    .align 16
isr_stub_table_base:
.set v, 0
.rept 256
    .align 16
    .if (v == 8) || ((v >= 10) && (v <= 14)) || (v == 17) || (v == 21) || (v == 29) || (v == 30)
    .else
    pushl $0
    .endif
    pushl $v
    jmp isr_common
.set v, v + 1
.endr

isr_common:
    pushal
    pushl %esp
    call interrupt_dispatch
    addl $4, %esp
    popal
    addl $8, %esp
    cmpb $0, interrupt_return_soft
    jne 1f
    iret
    /* Soft return, selected by "iret=soft" on the command line: the KVM
     * instruction emulator (which runs all non-paged code under kvm_pvm)
     * handles IRET only in real mode.  Same-privilege return by hand:
     * rewrite [eip][cs][eflags] into [eflags][eip], POPF with IF clear,
     * then STI (whose one-instruction shadow covers the RET) if IF was set. */
1:  pushl %eax
    movl 12(%esp), %eax
    movl %eax, 8(%esp)
    movl 4(%esp), %eax
    movl %eax, 12(%esp)
    popl %eax
    addl $4, %esp
    testl $0x200, (%esp)
    jz 2f
    andl $~0x200, (%esp)
    popfl
    sti
    ret
2:  popfl
    ret

    .data
    .globl interrupt_return_soft
interrupt_return_soft:
    .byte 0
    .text

    .section .rodata
    .align 4
    .globl isr_stub_table
isr_stub_table:
.set v, 0
.rept 256
    .long isr_stub_table_base + v * 16
.set v, v + 1
.endr

    .section .note.GNU-stack, "", @progbits
