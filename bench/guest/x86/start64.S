/* cpubench payload entry, linked first at PAYLOAD_ADDRESS: sets up its own
 * stack and calls main64(params) with RDI from switch.S.  Interrupts stay
 * off (no 64-bit IDT: any exception is a triple fault, which -no-reboot
 * turns into an exit the harness reports as a failure). */
    .section .text.entry, "ax"
    .code64
    .globl payload_entry
payload_entry:
    leaq stack_top(%rip), %rsp
    xorl %ebp, %ebp
    call main64
1:  cli
    hlt
    jmp 1b

    .bss
    .balign 16
stack:
    .space 65536
stack_top:

    .section .note.GNU-stack, "", @progbits
