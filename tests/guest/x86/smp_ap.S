/* smp: code the application processors run.  ap_trampoline is copied to
 * 0x8000 and entered by SIPI (vector 0x08) in real mode at CS=0x0800, IP=0;
 * it loads the BSP's GDT (patched into ap_gdtr by smp.c), enters protected
 * mode and far-jumps to ap_entry32 at its linked address.  Each AP records
 * its local APIC ID, increments ap_count atomically and halts with
 * interrupts off.  No stack is needed.  Reference: Intel SDM vol. 3A 9.4
 * (MP initialization), 9.9 (switching to protected mode). */

#define AP_MAX 64

    .text
    .code16
    .globl ap_trampoline_start, ap_trampoline_end, ap_gdtr
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (ap_gdtr - ap_trampoline_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $ap_entry32
    .align 8
ap_gdtr:                    /* limit + base, filled in by the BSP */
    .word 0
    .long 0
ap_trampoline_end:

    .code32
ap_entry32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl ap_lapic_base, %ebx
    movl 0x20(%ebx), %eax           /* LAPIC ID register, ID in bits 31:24 */
    shrl $24, %eax
    movl $1, %ecx
    lock xaddl %ecx, ap_slot
    cmpl $AP_MAX, %ecx
    jae 1f
    movl %eax, ap_ids(, %ecx, 4)
1:  lock incl ap_count
2:  cli
    hlt
    jmp 2b

    .data
    .align 4
    .globl ap_lapic_base, ap_count, ap_slot, ap_ids
ap_lapic_base:
    .long 0xfee00000
ap_count:
    .long 0
ap_slot:
    .long 0
ap_ids:
    .fill AP_MAX, 4, 0xffffffff

    .section .note.GNU-stack, "", @progbits
