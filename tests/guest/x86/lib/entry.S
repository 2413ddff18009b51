/* Multiboot v1 header and entry point of the x86 test programs.
 * Reference: Multiboot Specification 0.6.96 sections 3.1 (header) and 3.2
 * (machine state: EAX = magic, EBX = MBI, protected mode, GDTR undefined).
 * We load our own flat GDT (also holding a 64-bit code segment for longmode)
 * before touching any segment register. */

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003          /* page-align modules, want mem info */
#define STACK_SIZE 16384

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
    movl $boot_stack_top, %esp
    movl %eax, %esi
    movl %ebx, %ebp
    /* Clear .bss ourselves rather than trust the loader to zero the tail of
     * the ELF segment (the boot stack lives there, but nothing is on it yet). */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    lgdt gdt_descriptor
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    pushl %ebp
    pushl %esi
    call runtime_start
2:  cli
    hlt
    jmp 2b

    .section .rodata
    .align 16
    .globl gdt_table
gdt_table:
    .quad 0                          /* null */
    .quad 0x00cf9a000000ffff         /* 0x08: code32, flat, 4 GiB */
    .quad 0x00cf92000000ffff         /* 0x10: data32, flat, 4 GiB */
    .quad 0x00af9a000000ffff         /* 0x18: code64 (L=1) */
    .quad 0x000f9a000000ffff         /* 0x20: code16, 1 MiB limit */
    .quad 0x000f92000000ffff         /* 0x28: data16 */
gdt_end:
    .align 4
    .globl gdt_descriptor
    .word 0
gdt_descriptor:
    .word gdt_end - gdt_table - 1
    .long gdt_table

    .bss
    .align 16
boot_stack:
    .space STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
