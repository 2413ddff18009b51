/* cpubench: enter_payload(pml4, params) switches from 32-bit protected mode
 * to 64-bit long mode (CR4.PAE, CR3, EFER.LME, CR0.PG, far jump to the L=1
 * code segment 0x18 of lib/entry.S's GDT) and jumps to the 64-bit payload
 * at PAYLOAD_ADDRESS with RDI = params.  Reference: Intel SDM vol. 3A
 * 9.8.5 (initializing IA-32e mode). */

#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CR4_PAE (1 << 5)
#define CR0_PG (1 << 31)
#define PAYLOAD_ADDRESS 0x800000        /* params.h */

    .text
    .code32
    .globl enter_payload
enter_payload:
    cli
    movl 4(%esp), %edx                  /* PML4 physical address */
    movl 8(%esp), %edi                  /* BenchParams, becomes RDI */
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
    movl %edi, %edi                     /* upper halves are undefined here */
    movl $PAYLOAD_ADDRESS, %eax
    jmp *%rax

    .section .note.GNU-stack, "", @progbits
