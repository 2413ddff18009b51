/* longmode: the switch from 32-bit protected mode to 64-bit long mode and
 * the 64-bit part of the test.  enter_long_mode(pml4) sets CR4.PAE, CR3,
 * EFER.LME and CR0.PG, then far-jumps to a L=1 code segment.  The 64-bit
 * code prints over COM1 itself (the C runtime is 32-bit), checks a few
 * 64-bit instructions against known results and reports through
 * isa-debug-exit.  Reference: Intel SDM vol. 3A 9.8.5 (initializing IA-32e
 * mode), vol. 2 (MUL, IMUL, DIV, SHLD, BSWAP, CMPXCHG). */

#define COM1 0x3f8
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CR4_PAE (1 << 5)
#define CR0_PG (1 << 31)

    .text
    .code32
    .globl enter_long_mode
enter_long_mode:
    cli
    movl 4(%esp), %edx              /* PML4 physical address */
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl %edx, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    ljmp $0x18, $long_entry

    .code64
long_entry:
    movl $0x10, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $stack64_top, %esp         /* zero-extends into RSP */

    leaq msg_hello(%rip), %rsi
    call puts64
    leaq msg_rip(%rip), %rsi
    call puts64
    leaq 0(%rip), %rax
here:
    call puthex64
    leaq msg_cs(%rip), %rsi
    call puts64
    xorl %eax, %eax
    movw %cs, %ax
    call puthex64
    leaq msg_nl(%rip), %rsi
    call puts64

    /* RIP-relative addressing must see the linked address. */
    leaq here(%rip), %rax
    movl $here, %ebx                /* zero-extended linked address */
    cmpq %rbx, %rax
    leaq fail_rip(%rip), %rsi
    jne fail

    movw %cs, %ax
    cmpw $0x18, %ax
    leaq fail_cs(%rip), %rsi
    jne fail

    /* EFER.LMA must be set now. */
    movl $MSR_EFER, %ecx
    rdmsr
    testl $(1 << 10), %eax
    leaq fail_lma(%rip), %rsi
    jz fail

    /* 64-bit IMUL: 0x123456789 * 0x100 = 0x12345678900 */
    movabsq $0x123456789, %rax
    movq $0x100, %rbx
    imulq %rbx, %rax
    movabsq $0x12345678900, %rcx
    cmpq %rcx, %rax
    leaq fail_imul(%rip), %rsi
    jne fail

    /* 128-bit product: 0xffffffffffffffff * 3 = 2:0xfffffffffffffffd */
    movq $-1, %rax
    movq $3, %rbx
    mulq %rbx
    cmpq $2, %rdx
    leaq fail_mul(%rip), %rsi
    jne fail
    cmpq $-3, %rax
    jne fail

    /* 128 / 64 division: (5 << 64 | 7) / 0x10 = 0x5000000000000000 r 7 */
    movq $5, %rdx
    movq $7, %rax
    movq $0x10, %rbx
    divq %rbx
    movabsq $0x5000000000000000, %rcx
    cmpq %rcx, %rax
    leaq fail_div(%rip), %rsi
    jne fail
    cmpq $7, %rdx
    jne fail

    /* REX registers, shifts and BSWAP across the 32-bit boundary. */
    movq $1, %r8
    shlq $40, %r8
    movabsq $0x0000010000000000, %r15
    cmpq %r15, %r8
    leaq fail_shift(%rip), %rsi
    jne fail
    movabsq $0x0102030405060708, %r9
    bswapq %r9
    movabsq $0x0807060504030201, %r10
    cmpq %r10, %r9
    leaq fail_bswap(%rip), %rsi
    jne fail

    /* 32-bit writes zero the upper half of a 64-bit register. */
    movq $-1, %r11
    movl $5, %r11d
    cmpq $5, %r11
    leaq fail_zext(%rip), %rsi
    jne fail

    /* 64-bit memory operand and CMPXCHG. */
    movabsq $0x1122334455667788, %rax
    movq %rax, scratch64(%rip)
    movabsq $0x99aabbccddeeff00, %rcx
    lock cmpxchgq %rcx, scratch64(%rip)
    leaq fail_cmpxchg(%rip), %rsi
    jne fail
    cmpq scratch64(%rip), %rcx
    jne fail

    /* 64-bit PUSH/POP keep all 64 bits. */
    movabsq $0xdeadbeefcafef00d, %rax
    pushq %rax
    popq %rbx
    cmpq %rax, %rbx
    leaq fail_push(%rip), %rsi
    jne fail

    leaq msg_ok(%rip), %rsi
    call puts64
    leaq msg_pass(%rip), %rsi
    call puts64
    xorl %eax, %eax
    movw $0xf4, %dx
    outb %al, %dx
    jmp halt64

fail:
    pushq %rsi
    leaq msg_fail(%rip), %rsi
    call puts64
    popq %rsi
    call puts64
    leaq msg_nl(%rip), %rsi
    call puts64
    movb $1, %al
    movw $0xf4, %dx
    outb %al, %dx
halt64:
    cli
    hlt
    jmp halt64

/* putc64: AL -> COM1, waiting for THRE. Clobbers DX, CL. */
putc64:
    movb %al, %cl
    movw $(COM1 + 5), %dx
1:  inb %dx, %al
    testb $0x20, %al
    jz 1b
    movb %cl, %al
    movw $COM1, %dx
    outb %al, %dx
    ret

/* puts64: NUL-terminated string at RSI ("\n" sent as CR LF). */
puts64:
    lodsb
    testb %al, %al
    jz 2f
    cmpb $10, %al
    jne 1f
    movb $13, %al
    call putc64
    movb $10, %al
1:  call putc64
    jmp puts64
2:  ret

/* puthex64: RAX as 16 hex digits. */
puthex64:
    pushq %rbx
    movq %rax, %rbx
    movl $16, %r9d
1:  rolq $4, %rbx
    movl %ebx, %eax
    andl $15, %eax
    leaq hexdigits(%rip), %r10
    movb (%r10, %rax), %al
    call putc64
    decl %r9d
    jnz 1b
    popq %rbx
    ret

    .section .rodata
hexdigits:      .ascii "0123456789abcdef"
msg_hello:      .asciz "hello from long mode\n"
msg_rip:        .asciz "RIP=0x"
msg_cs:         .asciz " CS=0x"
msg_nl:         .asciz "\n"
msg_ok:         .asciz "64-bit checks: imul mul div shl bswap zext cmpxchg push ok\n"
msg_pass:       .asciz "RESULT: PASS\n"
msg_fail:       .asciz "RESULT: FAIL long mode "
fail_rip:       .asciz "rip-relative address"
fail_cs:        .asciz "cs is not 0x18"
fail_lma:       .asciz "EFER.LMA clear"
fail_imul:      .asciz "imul"
fail_mul:       .asciz "mul"
fail_div:       .asciz "div"
fail_shift:     .asciz "shl"
fail_bswap:     .asciz "bswap"
fail_zext:      .asciz "32-bit write did not zero-extend"
fail_cmpxchg:   .asciz "cmpxchg"
fail_push:      .asciz "push/pop"

    .data
    .align 8
scratch64:      .quad 0

    .bss
    .align 16
stack64:        .space 4096
stack64_top:

    .section .note.GNU-stack, "", @progbits
