/* cpubench: the 64-bit payload (start64.S, main64.c, kernels.c linked at
 * PAYLOAD_ADDRESS by payload.ld and flattened by objcopy), carried inside
 * the 32-bit Multiboot image; cpubench.c copies it into place. */
    .section .rodata
    .balign 16
    .globl payload_start, payload_end
payload_start:
    .incbin "cpubench64.bin"
payload_end:

    .section .note.GNU-stack, "", @progbits
