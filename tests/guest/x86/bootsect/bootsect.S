/*
 * A hard-disk boot sector for firmware boot tests (any PC BIOS: SeaBIOS,
 * mimic's own): loaded at 0000:7C00 with DL = boot drive (BIOS Boot
 * Specification 1.01, 6.5.1), it reports on COM1 and exits through
 * isa-debug-exit (port 0xF4): 0x10 on success (status 33), 0x01 on failure.
 * It checks DL = 0x80, INT 13h CHS read (AH=02h) of sector 1 and EDD
 * (AH=41h/42h) of sectors 2-3, and that INT 15h E820 reports RAM at 1 MiB.
 * Sector 3 holds reboot_once: with its flag set (byte 1536 of the image,
 * written by bootsect/run into a copy) the first boot resets the machine.
 * Assembled with GNU as; sectors 1 and 2 carry the strings it expects.
 */
    .code16
    .equ CMOS_SCRATCH, 0x4F         /* no BIOS of a QEMU-style PC uses it */
    .equ REBOOTED, 0xA5
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7C00, %sp
    ljmp $0, $main                  /* some BIOSes jump to 07C0:0000 */
main:
    sti
    cld
    mov %dl, boot_drive
    mov $msg_hello, %si
    call puts
    mov boot_drive, %al
    call puthex8
    call newline
    cmpb $0x80, boot_drive
    jne fail

    /* INT 13h AH=02h: cylinder 0, head 0, sector 2 (CHS sectors count from 1). */
    mov $0x0201, %ax
    mov $0x0002, %cx
    xor %dh, %dh
    mov boot_drive, %dl
    mov $0x8000, %bx
    int $0x13
    jc fail
    mov $0x8000, %si
    mov $sig1, %di
    call check

    /* INT 13h AH=41h: EDD present; AH=42h: read LBA 2-3 through a packet
     * to 0x8000 (sector 3 then sits at its link address 0x8200). */
    mov $0x41, %ah
    mov $0x55AA, %bx
    mov boot_drive, %dl
    int $0x13
    jc fail
    cmp $0xAA55, %bx
    jne fail
    mov $0x42, %ah
    mov boot_drive, %dl
    mov $dap, %si
    int $0x13
    jc fail
    mov $0x8000, %si
    mov $sig2, %di
    call check
    call reboot_once

    /* INT 15h E820: walk the map; some RAM entry must cover 1 MiB. */
    xor %ebx, %ebx
    xor %bp, %bp
e820_next:
    mov $0xE820, %eax
    mov $20, %ecx
    mov $0x534D4150, %edx           /* 'SMAP' */
    mov $0xA000, %di
    int $0x15
    jc e820_done
    cmp $0x534D4150, %eax
    jne fail
    inc %bp
    cmpl $1, 0xA010                 /* type: RAM */
    jne e820_more
    cmpl $0, 0xA004                 /* base below 4 GiB */
    jne e820_more
    mov 0xA000, %eax
    cmp $0x100000, %eax
    ja e820_more
    cmpl $0, 0xA00C                 /* length of 4 GiB or more */
    jne e820_found
    add 0xA008, %eax
    jc e820_found
    cmp $0x100000, %eax
    jbe e820_more
e820_found:
    movb $1, ram_at_1m
e820_more:
    test %ebx, %ebx
    jnz e820_next
e820_done:
    mov $msg_e820, %si
    call puts
    mov %bp, %ax
    call puthex8
    call newline
    cmpb $1, ram_at_1m
    jne fail

    mov $msg_pass, %si
    call puts
    mov $0x10, %al
    out %al, $0xF4
    jmp halt
fail:
    mov $msg_fail, %si
    call puts
    mov $0x01, %al
    out %al, $0xF4
halt:
    cli
    hlt
    jmp halt

/* Print the string at SI, then compare it with DI; fail unless equal. */
check:
    push %si
    call puts
    call newline
    pop %si
1:  lodsb
    scasb
    jne fail
    test %al, %al
    jnz 1b
    ret

/* COM1 output, polling the transmitter-empty bit (16550 LSR bit 5). */
putc:
    push %dx
    push %ax
    mov $0x3FD, %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    pop %ax
    mov $0x3F8, %dx
    out %al, %dx
    pop %dx
    ret

puts:
    lodsb
    test %al, %al
    jz 1f
    call putc
    jmp puts
1:  ret

newline:
    mov $'\r', %al
    call putc
    mov $'\n', %al
    jmp putc

puthex8:
    push %ax
    shr $4, %al
    call hexdigit
    pop %ax
hexdigit:
    and $0x0F, %al
    add $'0', %al
    cmp $'9', %al
    jbe putc
    add $('A' - '9' - 1), %al
    jmp putc

/* EDD disk address packet: 16 bytes, 2 sectors, to 0000:8000, LBA 2. */
    .balign 4
dap:
    .byte 16, 0
    .word 2
    .word 0x8000, 0
    .quad 2

boot_drive: .byte 0
ram_at_1m:  .byte 0
msg_hello:  .asciz "bootsect: boot drive "
msg_e820:   .asciz "bootsect: e820 entries "
msg_pass:   .asciz "RESULT: PASS\r\n"
msg_fail:   .asciz "RESULT: FAIL\r\n"
sig1:       .asciz "bootsect: sector 1 (CHS)"
sig2:       .asciz "bootsect: sector 2 (EDD)"

    .org 510
    .word 0xAA55

    .org 512
    .asciz "bootsect: sector 1 (CHS)"
    .org 1024
    .asciz "bootsect: sector 2 (EDD)"

/* Sector 3. With reboot_flag set, the first boot marks CMOS and resets
 * through the 8042 (pulse 0xFE); the boot after the reset returns and
 * finishes the checks. */
    .org 1536
reboot_flag: .byte 0
reboot_once:
    cmpb $0, reboot_flag
    je 2f
    mov $CMOS_SCRATCH, %al
    out %al, $0x70
    in $0x71, %al
    cmp $REBOOTED, %al
    je 1f
    mov $CMOS_SCRATCH, %al
    out %al, $0x70
    mov $REBOOTED, %al
    out %al, $0x71
    mov $msg_reset, %si
    call puts
    mov $0xFE, %al
    out %al, $0x64
    jmp halt
1:  mov $msg_rebooted, %si
    call puts
2:  ret
msg_reset:    .asciz "bootsect: resetting\r\n"
msg_rebooted: .asciz "bootsect: booted again after the reset\r\n"
    .org 2048
