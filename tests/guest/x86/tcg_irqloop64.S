/* tcg_irqloop: the 64-bit busy loops (see tcg_irqloop.c).  Each enables
 * interrupts, spins without HLT and disables them again at its exit label;
 * the timer handler in lm64_asm.S ends the endless ones by rewriting the
 * return RIP to that label. */

    .text
    .code64

/* JMP to itself, forever. */
    .globl irq_self, irq_self_loop, irq_self_exit
irq_self:
    sti
irq_self_loop:
    jmp irq_self_loop
irq_self_exit:
    cli
    ret

/* INC RAX / DEC RCX / JNZ with a count that never runs out in time.
 * in: RCX = count, RAX = 0. */
    .globl irq_count, irq_count_inc, irq_count_dec, irq_count_jnz, irq_count_exit
irq_count:
    sti
irq_count_inc:
    incq %rax
irq_count_dec:
    decq %rcx
irq_count_jnz:
    jnz irq_count_inc
irq_count_exit:
    cli
    ret

/* Spin on a flag the handler sets.  in: RSI -> flag. */
    .globl irq_flag, irq_flag_loop, irq_flag_end
irq_flag:
    sti
irq_flag_loop:
    cmpq $0, (%rsi)
    je irq_flag_loop
irq_flag_end:
    cli
    ret

/* Triangular sums until the tick count reaches RBX; the CMP/JB pair and
 * the ADC chain keep flags live across every possible interrupt point.
 * in: RSI -> tick counter, RBX = ticks; out: RAX = n, RDX:R8 = 1 + ... + n
 * (128-bit), R9 = n counted a second way (SUB of -1). */
    .globl irq_sum, irq_sum_loop, irq_sum_end
irq_sum:
    xorl %eax, %eax
    xorl %edx, %edx
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    sti
irq_sum_loop:
    incq %rax
    addq %rax, %r8
    adcq $0, %rdx
    subq $-1, %r9
    cmpq %rbx, (%rsi)
    jb irq_sum_loop
irq_sum_end:
    cli
    ret

/* REP MOVSB of RCX bytes, repeated until the tick count reaches RBX.
 * in: RSI, RDI, RCX, R8 -> tick counter; out: R9 = copies done. */
    .globl irq_rep, irq_rep_insn, irq_rep_end
irq_rep:
    movq %rsi, %r10
    movq %rdi, %r11
    movq %rcx, %r12
    xorl %r9d, %r9d
    cld
    sti
1:  movq %r10, %rsi
    movq %r11, %rdi
    movq %r12, %rcx
irq_rep_insn:
    rep movsb
    incq %r9
    cmpq %rbx, (%r8)
    jb 1b
irq_rep_end:
    cli
    ret

    .section .note.GNU-stack, "", @progbits
