/* 32-bit protected-mode IDT: 256 interrupt gates into isr.S, dispatched to
 * per-vector C handlers.  Reference: Intel SDM vol. 3A 6.10-6.11 (IDT, gate
 * descriptors).  Unhandled exceptions fail the test with a register dump
 * instead of triple-faulting, so a broken emulator gives a readable error. */
#include "runtime.h"

#define IDT_ENTRIES 256
#define GATE_INTERRUPT_32 0x8e      /* present, DPL 0, 32-bit interrupt gate */

typedef struct __attribute__((packed)) IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type;
    uint16_t offset_high;
} IdtGate;

typedef struct __attribute__((packed)) IdtPointer {
    uint16_t limit;
    uint32_t base;
} IdtPointer;

extern const uint32_t isr_stub_table[IDT_ENTRIES];
void interrupt_dispatch(InterruptFrame *frame);

static IdtGate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static InterruptHandler handlers[IDT_ENTRIES];

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound", "#UD invalid opcode", "#NM no FPU", "#DF double fault",
    "coprocessor overrun", "#TS invalid TSS", "#NP not present",
    "#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
    "#MF x87 error", "#AC alignment", "#MC machine check", "#XM SIMD",
    "#VE virtualization", "#CP control protection",
};

void idt_init(void)
{
    for (int i = 0; i < IDT_ENTRIES; i++) {
        uint32_t target = isr_stub_table[i];
        idt[i].offset_low = target & 0xffff;
        idt[i].selector = SEL_CODE32;
        idt[i].zero = 0;
        idt[i].type = GATE_INTERRUPT_32;
        idt[i].offset_high = target >> 16;
    }
    IdtPointer ptr = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(ptr));
}

void idt_set_handler(uint8_t vector, InterruptHandler handler)
{
    handlers[vector] = handler;
}

void interrupt_dispatch(InterruptFrame *frame)
{
    uint32_t vector = frame->vector;

    if (vector < IDT_ENTRIES && handlers[vector]) {
        handlers[vector](frame);
        return;
    }
    if (vector == PIC_VECTOR_MASTER + 7 || vector == PIC_VECTOR_SLAVE + 7 || vector == 0xff) {
        printf("note: spurious interrupt vector 0x%x ignored\n", (unsigned)vector);
        if (vector == PIC_VECTOR_SLAVE + 7)
            pic_eoi(2);         /* the master saw a real IRQ2 */
        return;
    }
    const char *name = vector < 32 && exception_names[vector] ? exception_names[vector] : "interrupt";
    printf("unexpected %s (vector %u) error=0x%x at cs:eip=%04x:%08x eflags=%08x\n",
           name, (unsigned)vector, (unsigned)frame->error_code, (unsigned)frame->cs,
           (unsigned)frame->eip, (unsigned)frame->eflags);
    printf("eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x\n",
           (unsigned)frame->eax, (unsigned)frame->ebx, (unsigned)frame->ecx,
           (unsigned)frame->edx, (unsigned)frame->esi, (unsigned)frame->edi,
           (unsigned)frame->ebp);
    test_fail("unexpected vector %u", (unsigned)vector);
}
