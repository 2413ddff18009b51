/* tcg_smc: the 64-bit bodies (see tcg_smc.c), each patching code that it or
 * its caller runs (the harness maps .text writable).  Reference: SDM vol. 3A
 * 8.1.3 (store, then jump to the new code), 11.6 (P6 and later detect a
 * store to an already prefetched instruction). */

    .text
    .code64

/* (a) A loop whose every iteration rewrites the immediate of its first
 * instruction for the next iteration; branch-free body, one block.
 * in: RCX = iterations; out: RAX = sum of the values the MOV saw,
 * RBX = iterations that saw a stale value. */
    .globl smc_loop
smc_loop:
    movl $0, smc_loop_imm(%rip)
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %edx, %edx
1:  movl $0x7fffffff, %esi
    .set smc_loop_imm, . - 4
    cmpl %edx, %esi
    setne %r8b
    movzbl %r8b, %r8d
    addq %r8, %rbx
    addq %rsi, %rax
    incl %edx
    movl %edx, smc_loop_imm(%rip)
    decq %rcx
    jnz 1b
    ret

/* (b1) Store into an instruction further on in the same block, then jump
 * to it (the SDM's portable sequence).  in: ESI = new immediate; out: EAX. */
    .globl smc_ahead_jmp
smc_ahead_jmp:
    movl %esi, smc_ahead_jmp_imm(%rip)
    jmp 1f
1:  movl $0x11111111, %eax
    .set smc_ahead_jmp_imm, . - 4
    ret

/* (b2) Store into the very next instruction, no jump in between.
 * in: ESI = new immediate; out: EAX. */
    .globl smc_next
smc_next:
    movl %esi, smc_next_imm(%rip)
    movl $0x22222222, %eax
    .set smc_next_imm, . - 4
    ret

/* (b3) Store into an instruction four instructions ahead in a straight
 * line.  in: ESI = new immediate; out: EAX = 3 + new immediate. */
    .globl smc_far_ahead
smc_far_ahead:
    movl %esi, smc_far_ahead_imm(%rip)
    xorl %eax, %eax
    addl $1, %eax
    addl $2, %eax
    addl $0x33333333, %eax
    .set smc_far_ahead_imm, . - 4
    ret

/* (b4) Rewrite an opcode byte ahead (ADD r/m32,r32 = 0x01 <-> SUB = 0x29).
 * in: SIL = opcode byte, EAX, ECX; out: EAX = EAX + ECX or EAX - ECX. */
    .globl smc_opcode
smc_opcode:
    movb %sil, smc_opcode_op(%rip)
    jmp 1f
1:
smc_opcode_op:
    .byte 0x01, 0xc8                /* addl %ecx, %eax (0x29 0xc8: subl) */
    ret

/* (c') Copy code with REP MOVSB over code that already ran, then call it.
 * in: RSI = source, RDI = destination, RCX = bytes; out: EAX from the call. */
    .globl smc_rep_copy_call
smc_rep_copy_call:
    movq %rdi, %r8
    cld
    rep movsb
    call *%r8
    ret

    .section .note.GNU-stack, "", @progbits
