/*
 * Real-mode side of the BIOS: reset vector, the switch into 32-bit flat
 * protected mode for POST (with the copy of the image into i440FX shadow RAM),
 * the interrupt vector stubs, and the trampolines between the 16-bit callers
 * and the 32-bit C services (svc_dispatch) and back (call16_far). IRQ 0 and
 * the EOI-only handlers stay in 16-bit code. References: Intel SDM vol. 3
 * 9.9 (mode switching), 82441FX datasheet 3.2.18 (PAM registers).
 */
#include "layout.h"

/* The assembler cannot subtract a constant from a symbol of an unplaced
 * section in a 16-bit field, so F-segment offsets are taken from the start
 * of .text16 (linked at TEXT16_BASE) and the variables the 16-bit code uses
 * sit at fixed offsets of the writable area. */
#define OFF(sym) ((sym) - text16_base + (TEXT16_BASE - FSEG_BASE))
#define RW(sym) (sym##_OFF)
#define rm_ss_OFF 0x10
#define rm_sp_OFF 0x12
#define boot_cs_OFF 0x08
#define boot_ip_OFF 0x0A
#define boot_dl_OFF 0x0C
#define call16_saved_esp_OFF 0x14
#define call16_buf_OFF 0x18

/* call16_buf field offsets (struct call16_regs in bios.h) */
#define C16_EAX 0
#define C16_EBX 4
#define C16_ECX 8
#define C16_EDX 12
#define C16_ESI 16
#define C16_EDI 20
#define C16_EBP 24
#define C16_DS 28
#define C16_ES 30
#define C16_IP 32
#define C16_CS 34
#define C16_SIZE 36

/* ------------------------------------------------------------------ */
        .section .rwfixed, "aw"
        .ascii "mimicRW\0"
        .fill 0x38, 1, 0
        .globl boot_cs, boot_ip, boot_dl
        .set boot_cs, RW_BASE + boot_cs_OFF
        .set boot_ip, RW_BASE + boot_ip_OFF
        .set boot_dl, RW_BASE + boot_dl_OFF
        .set call16_saved_esp, RW_BASE + call16_saved_esp_OFF
        .set call16_buf, RW_BASE + call16_buf_OFF

        .section .svcstack, "aw", @nobits
        .fill 0x1000, 1, 0

/* ------------------------------------------------------------------ */
        .section .text16, "ax"
        .code16
text16_base:

        .globl post_entry
post_entry:
        cli
        cld
        /* A jump to the reset vector after POST (bootloaders' and DOS's
         * "reboot": syslinux reboot.c32, INT 19h-less restarts) finds the
         * shadow copy, where post_has_run is set; a hardware reset reads
         * the ROM again (PAM defaults), where it is 0. Reboot for real
         * through the PIIX reset control register, as SeaBIOS does. */
        cmpb $0, %cs:OFF(post_has_run)
        je 1f
        movw $0xCF9, %dx
        movb $0x02, %al
        outb %al, %dx
        movb $0x06, %al
        outb %al, %dx
2:      hlt
        jmp 2b
post_has_run:
        .byte 0
1:
        /* CMOS shutdown status: always a cold start here. */
        movb $0x8F, %al
        outb %al, $0x70
        xorb %al, %al
        outb %al, $0x71
        lgdtl %cs:OFF(gdt_desc)
        movl %cr0, %eax
        andl $0x9FFFFFFF, %eax          /* caches on */
        orb $1, %al
        movl %eax, %cr0
        ljmpl $SEL_CODE32, $post32

/* --- interrupt service stubs: push a service index, enter C --- */
.macro SVC name, idx
        .globl \name
\name:
        pushw $\idx
        jmp svc_common
.endm
        SVC int10_stub, SVC_INT10
        SVC int11_stub, SVC_INT11
        SVC int12_stub, SVC_INT12
        SVC int13_stub, SVC_INT13
        SVC int14_stub, SVC_INT14
        SVC int15_stub, SVC_INT15
        SVC int16_stub, SVC_INT16
        SVC int17_stub, SVC_INT17
        SVC int18_stub, SVC_INT18
        SVC int19_stub, SVC_INT19
        SVC int1a_stub, SVC_INT1A
        SVC irq1_svc, SVC_IRQ1

/* Frame (low to high): es ds edi esi ebp esp ebx edx ecx eax svc ip cs flags */
svc_common:
        pushal
        pushw %ds
        pushw %es
        cld
1:      xorl %eax, %eax
        movw %ss, %ax
        shll $4, %eax
        movzwl %sp, %ecx
        addl %ecx, %eax
        call call32
        cmpl $SVC_RET_WAIT, %eax
        je 2f
        cmpl $SVC_RET_BOOT, %eax
        je boot_jump
        popw %es
        popw %ds
        popal
        addw $2, %sp
        iret
2:      sti
        hlt
        cli
        jmp 1b

/* Enter svc_dispatch(frame = %eax) in 32-bit flat mode; result in %eax. */
call32:
        movw $RW_SEG, %dx
        movw %dx, %ds
        movw %ss, RW(rm_ss)
        movw %sp, RW(rm_sp)
        lgdtl %cs:OFF(gdt_desc)
        movl %cr0, %edx
        orb $1, %dl
        movl %edx, %cr0
        ljmpl $SEL_CODE32, $call32_pm
call32_back16:
        movw $SEL_DATA16, %dx
        movw %dx, %ds
        movw %dx, %es
        movw %dx, %ss
        movl %cr0, %edx
        andb $0xFE, %dl
        movl %edx, %cr0
        ljmp $FSEG_SEG, $OFF(1f)
1:      movw $RW_SEG, %dx
        movw %dx, %ds
        movw RW(rm_ss), %ss
        movw RW(rm_sp), %sp
        retw

/* The boot sector or El Torito image starts with DL = drive, SS:SP = 0:7C00. */
boot_jump:
        movw $RW_SEG, %ax
        movw %ax, %ds
        xorw %ax, %ax
        movw %ax, %ss
        movw $BOOT_STACK, %sp
        pushw RW(boot_cs)
        pushw RW(boot_ip)
        movb RW(boot_dl), %dl
        xorl %eax, %eax
        xorl %ebx, %ebx
        xorl %ecx, %ecx
        xorl %esi, %esi
        xorl %edi, %edi
        xorl %ebp, %ebp
        movb $0, %dh
        movzwl %dx, %edx
        movw %ax, %ds
        movw %ax, %es
        sti
        lretw

/* IRQ 0: tick count at 0x46C, midnight flag at 0x470, user hook INT 1Ch. */
        .globl irq0_handler
irq0_handler:
        pushw %ds
        pushl %eax
        xorw %ax, %ax
        movw %ax, %ds
        movl 0x46C, %eax
        incl %eax
        cmpl $0x1800B0, %eax
        jb 1f
        xorl %eax, %eax
        movb $1, 0x470
1:      movl %eax, 0x46C
        int $0x1C
        movb $0x20, %al
        outb %al, $0x20
        popl %eax
        popw %ds
        iret

/* IRQ 1: scan code from the i8042, INT 15h AH=4Fh may swallow it. */
        .globl irq1_handler
irq1_handler:
        pushl %eax
        inb $0x60, %al
        movb $0x4F, %ah
        stc
        int $0x15
        jnc 1f
        pushfw
        lcallw $FSEG_SEG, $OFF(irq1_svc)
1:      cli
        movb $0x20, %al
        outb %al, $0x20
        popl %eax
        iret

        .globl irq_master_eoi, irq_slave_eoi, irq8_handler, irq14_handler, irq15_handler, iret_stub
irq_master_eoi:
        pushw %ax
        movb $0x20, %al
        outb %al, $0x20
        popw %ax
iret_stub:
        iret
irq8_handler:
        pushw %ax
        movb $0x0C, %al
        outb %al, $0x70
        inb $0x71, %al
        jmp 1f
irq14_handler:
        pushw %ax
        pushw %dx
        movw $0x1F7, %dx
        inb %dx, %al
        popw %dx
        jmp 1f
irq15_handler:
        pushw %ax
        pushw %dx
        movw $0x177, %dx
        inb %dx, %al
        popw %dx
        jmp 1f
irq_slave_eoi:
        pushw %ax
1:      movb $0x20, %al
        outb %al, $0xA0
        outb %al, $0x20
        popw %ax
        iret

/* INT 10h while a video option ROM owns the screen: copy teletype output
 * to COM1 and continue in the ROM's handler. */
        .globl int10_chain_stub, video_rom_vector
int10_chain_stub:
        cmpb $0x0E, %ah
        jne 3f
        pushw %ax
        pushw %cx
        pushw %dx
        movw $0x3FD, %dx
        movw $0xFFFF, %cx
1:      inb %dx, %al
        testb $0x20, %al
        jnz 2f
        loop 1b
2:      movw $0x3F8, %dx
        movw %sp, %cx           /* reach the saved AX without BP */
        pushw %bp
        movw %cx, %bp
        movb 4(%bp), %al
        popw %bp
        outb %al, %dx
        popw %dx
        popw %cx
        popw %ax
3:      ljmpw *%cs:OFF(video_rom_vector)
        .balign 4
video_rom_vector: .long 0

/* Back from call16_far's real-mode callee (see call16_far below). */
call16_return:
        cli
        pushw %ds
        pushl %eax
        movw $RW_SEG, %ax
        movw %ax, %ds
        popl %eax
        movl %eax, RW(call16_buf) + C16_EAX
        movl %ebx, RW(call16_buf) + C16_EBX
        movl %ecx, RW(call16_buf) + C16_ECX
        movl %edx, RW(call16_buf) + C16_EDX
        movl %esi, RW(call16_buf) + C16_ESI
        movl %edi, RW(call16_buf) + C16_EDI
        movl %ebp, RW(call16_buf) + C16_EBP
        popw RW(call16_buf) + C16_DS
        movw %es, RW(call16_buf) + C16_ES
        lgdtl %cs:OFF(gdt_desc)
        movl %cr0, %eax
        orb $1, %al
        movl %eax, %cr0
        ljmpl $SEL_CODE32, $call16_pm

call16_real:
        xorw %ax, %ax
        movw %ax, %ss
        movw $CALL16_STACK, %sp
        movw %ax, %fs
        movw %ax, %gs
        movw $RW_SEG, %ax
        movw %ax, %ds
        pushfw                          /* lets the callee be an INT handler */
        pushw %cs
        pushw $OFF(call16_return)
        pushw RW(call16_buf) + C16_CS
        pushw RW(call16_buf) + C16_IP
        pushw RW(call16_buf) + C16_DS
        movw RW(call16_buf) + C16_ES, %es
        movl RW(call16_buf) + C16_EAX, %eax
        movl RW(call16_buf) + C16_EBX, %ebx
        movl RW(call16_buf) + C16_ECX, %ecx
        movl RW(call16_buf) + C16_EDX, %edx
        movl RW(call16_buf) + C16_ESI, %esi
        movl RW(call16_buf) + C16_EDI, %edi
        movl RW(call16_buf) + C16_EBP, %ebp
        popw %ds
        sti
        lretw

/* Option ROMs run in "big real mode" (4 GiB data limits), as SeaBIOS calls
 * them: SeaVGABIOS's init reads flat addresses through DS = 0. */
call16_to_real:
        movw $SEL_DATA16, %ax
        movw %ax, %ss
        movw $SEL_DATA16BIG, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movl %cr0, %eax
        andb $0xFE, %al
        movl %eax, %cr0
        ljmp $FSEG_SEG, $OFF(call16_real)

/* End of POST: real mode, then INT 19h. */
post_done16:
        movw $SEL_DATA16, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl %cr0, %eax
        andb $0xFE, %al
        movl %eax, %cr0
        ljmp $FSEG_SEG, $OFF(1f)
1:      xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movw $BOOT_STACK, %sp
        sti
        int $0x19
        jmp 1b

/* GDT: flat 32-bit code/data, and 16-bit code (base F0000)/data to return
 * to real mode with real-mode limits. Accessed bits preset: the table sits
 * in write-protected shadow RAM. */
        .balign 8
gdt:
        .quad 0
        .quad 0x00CF9B000000FFFF
        .quad 0x00CF93000000FFFF
        .quad 0x00009B0F0000FFFF
        .quad 0x000093000000FFFF
        .quad 0x008F93000000FFFF
gdt_desc:
        .word gdt_desc - gdt - 1
        .long gdt

/* INT 1Eh diskette parameter table (no floppy, but some loaders read it). */
        .globl diskette_param_table, config_table
diskette_param_table:
        .byte 0xAF, 0x02, 0x25, 0x02, 0x12, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08
/* INT 15h AH=C0h system configuration table: model FC (AT), second PIC,
 * RTC, INT 15h/4Fh called by IRQ 1, EBDA allocated. */
config_table:
        .word 8
        .byte 0xFC, 0x00, 0x01, 0x74, 0x40, 0x00, 0x00, 0x00

/* ------------------------------------------------------------------ */
        .section .text.post32, "ax"
        .code32
post32:
        movw $SEL_DATA32, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl $POST_STACK, %esp
        movl $shadow_copy + BIOS_HIGH_DELTA, %eax
        jmp *%eax

/* Runs from the ROM alias below 4 GiB: the E/F segments become RAM
 * (PAM = read/write DRAM) and receive a copy of the image. */
shadow_copy:
        movl $0x80000058, %eax
        movw $0xCF8, %dx
        outl %eax, %dx
        movb $0x30, %al
        movw $0xCFD, %dx
        outb %al, %dx                   /* PAM0: F0000-FFFFF */
        movl $0x8000005C, %eax
        movw $0xCF8, %dx
        outl %eax, %dx
        movb $0x33, %al
        movw $0xCFE, %dx
        outb %al, %dx                   /* PAM5: E0000-E7FFF */
        movw $0xCFF, %dx
        outb %al, %dx                   /* PAM6: E8000-EFFFF */
        movl $BIOS_HIGH_BASE, %esi
        movl $BIOS_BASE, %edi
        movl $BIOS_SIZE / 4, %ecx
        cld
        rep movsl
        movl $post_shadowed, %eax
        jmp *%eax

post_shadowed:
        movb $1, post_has_run           /* in the shadow copy only */
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        subl %edi, %ecx
        xorl %eax, %eax
        rep stosb
        call post_main
        ljmp $SEL_CODE16, $OFF(post_done16)

call32_pm:
        movw $SEL_DATA32, %dx
        movw %dx, %ds
        movw %dx, %es
        movw %dx, %ss
        movl $__svc_stack_top, %esp
        cld
        pushl %eax
        call svc_dispatch
        addl $4, %esp
        ljmp $SEL_CODE16, $OFF(call32_back16)

/* void call16_far(struct call16_regs *regs): far call into real mode
 * (option ROM init); registers in and out through regs. POST only. */
        .globl call16_far
call16_far:
        pushal
        movl 36(%esp), %esi
        movl $call16_buf, %edi
        movl $C16_SIZE, %ecx
        cld
        rep movsb
        movl %esp, call16_saved_esp
        ljmp $SEL_CODE16, $OFF(call16_to_real)
call16_pm:
        movw $SEL_DATA32, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl call16_saved_esp, %esp
        movl 36(%esp), %edi
        movl $call16_buf, %esi
        movl $C16_SIZE, %ecx
        cld
        rep movsb
        popal
        ret

/* ------------------------------------------------------------------ */
        .section .reset, "ax"
        .code16
        .globl reset_vector
reset_vector:
        ljmp $FSEG_SEG, $OFF(post_entry)
        .ascii "01/01/24"
        .byte 0
        .byte 0xFC              /* model byte: AT */
        .byte 0
        .section .note.GNU-stack, "", @progbits
