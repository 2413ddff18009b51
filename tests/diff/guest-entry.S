/* Differential tests: entry of the bare-metal guest runner (Multiboot v1,
 * linked as x86-64 and converted to ELF32): identity map of 1 GiB, long
 * mode, x87/SSE enabled, exceptions on IST1 ending the running snippet.
 * Reference: Multiboot 0.6.96 3; Intel SDM vol. 3A 9.8.5, 6.14, 2.5. */
#include "diff.h"

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003            /* page-aligned modules, memory info */
#define STACK_SIZE 65536
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define CR0_MP 0x2
#define CR0_EM 0x4
#define CR0_NE 0x20
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define CR4_OSFXSR 0x200
#define CR4_OSXMMEXCPT 0x400
#define OUT(off) (DIFF_CTRL_ADDR + CTRL_OUT + (off))

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, %esi
    movl %ebx, %ebp
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl $boot_stack_top, %esp
    movl %esi, boot_magic
    movl %ebp, boot_info

    /* PML4[0] -> PDPT[0] -> PD of 512 2 MiB pages. */
    movl $pdpt, %eax
    orl $3, %eax
    movl %eax, pml4
    movl $pd, %eax
    orl $3, %eax
    movl %eax, pdpt
    movl $pd, %edi
    movl $0x83, %eax                   /* present, writable, 2 MiB */
    movl $512, %ecx
1:  movl %eax, (%edi)
    movl $0, 4(%edi)
    addl $0x200000, %eax
    addl $8, %edi
    loop 1b

    lgdt gdt_descriptor
    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    andl $~CR0_EM, %eax
    orl $(CR0_PG | CR0_MP | CR0_NE), %eax
    movl %eax, %cr0
    ljmp $0x08, $long_entry

    .code64
long_entry:
    movl $0x10, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq $boot_stack_top, %rsp
    fninit
    movl boot_magic, %edi
    movl boot_info, %esi
    call guest_main
2:  cli
    hlt
    jmp 2b

/* Exception stubs: push a zero error code where the CPU pushes none, then
 * the vector. */
.macro STUB vector, has_error
stub_\vector:
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\vector
    jmp fault_common
.endm
    STUB 0, 0
    STUB 1, 0
    STUB 2, 0
    STUB 3, 0
    STUB 4, 0
    STUB 5, 0
    STUB 6, 0
    STUB 7, 0
    STUB 8, 1
    STUB 9, 0
    STUB 10, 1
    STUB 11, 1
    STUB 12, 1
    STUB 13, 1
    STUB 14, 1
    STUB 15, 0
    STUB 16, 0
    STUB 17, 1
    STUB 18, 0
    STUB 19, 0
    STUB 20, 0
    STUB 21, 1
    STUB 22, 0
    STUB 23, 0
    STUB 24, 0
    STUB 25, 0
    STUB 26, 0
    STUB 27, 0
    STUB 28, 0
    STUB 29, 1
    STUB 30, 1
    STUB 31, 0

/* Frame: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
fault_common:
    cmpq $0, DIFF_CTRL_ADDR + CTRL_ACTIVE
    je 1f
    movq %rax, OUT(0)
    movq %rcx, OUT(8)
    movq %rdx, OUT(16)
    movq %rbx, OUT(24)
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
    movq 40(%rsp), %rax
    movq %rax, OUT(32)
    movq 16(%rsp), %rax
    movq %rax, OUT(DIFF_OFF_RIP)
    movq 32(%rsp), %rax
    movq %rax, OUT(DIFF_OFF_RFLAGS)
    movq (%rsp), %rax
    movq %rax, DIFF_CTRL_ADDR + CTRL_VECTOR
    movl $DIFF_FAULT, %eax
    jmp diff_fault_return
1:  movq %rsp, %rdi
    andq $-16, %rsp
    call guest_panic
    jmp 2b

    .section .rodata
    .align 8
    .globl fault_stubs
fault_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad stub_\v
    .endr

    .data
    /* Writable: guest_main fills the TSS descriptor and LTR marks it busy. */
    .align 16
    .globl gdt_table
gdt_table:
    .quad 0
    .quad 0x00af9a000000ffff           /* 0x08: code64 */
    .quad 0x00cf92000000ffff           /* 0x10: data */
    .quad 0, 0                         /* 0x18: 64-bit TSS */
gdt_end:
    .align 4
    .word 0
gdt_descriptor:
    .word gdt_end - gdt_table - 1
    .long gdt_table

    .align 4
boot_magic: .long 0
boot_info: .long 0

    .bss
    .align 4096
pml4: .space 4096
pdpt: .space 4096
pd: .space 4096
    .align 16
boot_stack: .space STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
