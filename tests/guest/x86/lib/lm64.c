/* lm64: page tables, 64-bit IDT and the switch into IA-32e mode for the
 * translator edge-case programs; see lm64.h.  The switch follows SDM vol. 3A
 * 9.8.5 but stays on the 32-bit code segment, so the C code continues in
 * compatibility mode and only lm64_call() enters 64-bit mode.
 * Reference: SDM vol. 3A 4.5, 6.14.1 (64-bit IDT gate layout). */
#include "lm64.h"

#define ENTRIES 512
#define LARGE_PAGE (2u << 20)
#define SMALL_TABLES (LM64_SMALL_PAGES_END / LARGE_PAGE)
#define PDE_LARGE (1ull << 7)
#define IDT_ENTRIES 256
#define GATE_INTERRUPT_64 0x8e
#define MSR_EFER 0xc0000080u
#define EFER_LME (1ull << 8)
#define EFER_NXE (1ull << 11)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define MAX_REPORTED 12

typedef struct __attribute__((packed)) Gate64 {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} Gate64;

typedef struct __attribute__((packed)) IdtPointer64 {
    uint16_t limit;
    uint64_t base;
} IdtPointer64;

static uint64_t pml4[ENTRIES] __attribute__((aligned(4096)));
static uint64_t pdpt[ENTRIES] __attribute__((aligned(4096)));
static uint64_t pd[ENTRIES] __attribute__((aligned(4096)));
static uint64_t pt[SMALL_TABLES][ENTRIES] __attribute__((aligned(4096)));
static Gate64 idt64[IDT_ENTRIES] __attribute__((aligned(16)));
IdtPointer64 lm64_idt_pointer;      /* loaded by lm64_load_idt (64-bit LIDT) */

extern const char lm64_stubs[];     /* 256 stubs, 16 bytes apart (lm64.S) */
extern const char __bss_end[];
void lm64_load_idt(void);
static uint32_t failures;
static uint32_t notes;
static bool have_nx;
static bool qemu_tcg;

volatile Lm64Fault lm64_fault;
volatile uint32_t lm64_fault_count;
volatile Lm64Fix lm64_fix;
volatile Lm64Irq lm64_irq;

_Static_assert(offsetof(Lm64Regs, rflags) == LM64_REGS_RFLAGS, "Lm64Regs layout");
_Static_assert(offsetof(Lm64Fault, rip) == LM64_FAULT_RIP, "Lm64Fault layout");
_Static_assert(offsetof(Lm64Fault, cs) == LM64_FAULT_CS, "Lm64Fault layout");
_Static_assert(offsetof(Lm64Fault, rsp) == LM64_FAULT_RSP, "Lm64Fault layout");
_Static_assert(offsetof(Lm64Fault, ss) == LM64_FAULT_SS, "Lm64Fault layout");
_Static_assert(offsetof(Lm64Fault, error_code) == LM64_FAULT_ERROR, "Lm64Fault layout");
_Static_assert(offsetof(Lm64Fault, vector) == LM64_FAULT_VECTOR, "Lm64Fault layout");
_Static_assert(offsetof(Lm64Fault, cr2) == LM64_FAULT_CR2, "Lm64Fault layout");
_Static_assert(offsetof(Lm64Fault, snap) == LM64_FAULT_SNAP, "Lm64Fault layout");
_Static_assert(offsetof(Lm64Fix, pte) == LM64_FIX_PTE, "Lm64Fix layout");
_Static_assert(offsetof(Lm64Fix, pte_value) == LM64_FIX_PTE_VALUE, "Lm64Fix layout");
_Static_assert(offsetof(Lm64Fix, resume_rip) == LM64_FIX_RESUME_RIP, "Lm64Fix layout");
_Static_assert(offsetof(Lm64Fix, snap_addr) == LM64_FIX_SNAP_ADDR, "Lm64Fix layout");
_Static_assert(offsetof(Lm64Irq, exit_ticks) == LM64_IRQ_EXIT_TICKS, "Lm64Irq layout");
_Static_assert(offsetof(Lm64Irq, exit_rip) == LM64_IRQ_EXIT_RIP, "Lm64Irq layout");
_Static_assert(offsetof(Lm64Irq, flag_ticks) == LM64_IRQ_FLAG_TICKS, "Lm64Irq layout");
_Static_assert(offsetof(Lm64Irq, flag) == LM64_IRQ_FLAG, "Lm64Irq layout");
_Static_assert(offsetof(Lm64Irq, log_rip) == LM64_IRQ_LOG_RIP, "Lm64Irq layout");
_Static_assert(offsetof(Lm64Irq, log_tsc) == LM64_IRQ_LOG_TSC, "Lm64Irq layout");
_Static_assert(offsetof(Lm64Irq, log_rflags) == LM64_IRQ_LOG_RFLAGS, "Lm64Irq layout");
_Static_assert(offsetof(Lm64Irq, log_rcx) == LM64_IRQ_LOG_RCX, "Lm64Irq layout");

uint32_t lm64_addr(const volatile void *p)
{
    return (uint32_t)(uintptr_t)p;
}

static void build_page_tables(void)
{
    for (uint32_t t = 0; t < SMALL_TABLES; t++)
        for (uint32_t i = 0; i < ENTRIES; i++)
            pt[t][i] = ((uint64_t)t * LARGE_PAGE + (uint64_t)i * LM64_PAGE) | PTE_P | PTE_W;
    for (uint32_t i = 0; i < ENTRIES; i++) {
        if (i < SMALL_TABLES)
            pd[i] = lm64_addr(pt[i]) | PTE_P | PTE_W;
        else
            pd[i] = (uint64_t)i * LARGE_PAGE | PTE_P | PTE_W | PDE_LARGE;
    }
    pdpt[0] = lm64_addr(pd) | PTE_P | PTE_W;
    pml4[0] = lm64_addr(pdpt) | PTE_P | PTE_W;
}

static void build_idt(void)
{
    for (int v = 0; v < IDT_ENTRIES; v++) {
        uint32_t target = lm64_addr(lm64_stubs) + (uint32_t)v * 16;
        idt64[v] = (Gate64){
            .offset_low = target & 0xffff,
            .selector = SEL_CODE64,
            .type = GATE_INTERRUPT_64,
            .offset_mid = target >> 16,
        };
    }
    lm64_idt_pointer.limit = sizeof(idt64) - 1;
    lm64_idt_pointer.base = lm64_addr(idt64);
}

void lm64_init(void)
{
    uint32_t r[4];

    cpuid(0x80000000, 0, r);
    if (r[0] < 0x80000001)
        test_fail("no CPUID leaf 0x80000001");
    cpuid(0x80000001, 0, r);
    if (!(r[3] & (1u << 29)))
        test_fail("CPU lacks long mode (CPUID 0x80000001 EDX bit 29)");
    have_nx = r[3] & (1u << 20);
    cpuid(1, 0, r);
    if (r[2] & (1u << 31)) {                    /* hypervisor present */
        cpuid(0x40000000, 0, r);
        qemu_tcg = r[1] == 0x54474354 && r[2] == 0x43544743 && r[3] == 0x47435447;
    }
    if (lm64_addr(__bss_end) > LM64_SMALL_PAGES_END / 2)
        test_fail("program too large (%x) for the 4 KiB-page area", lm64_addr(__bss_end));

    build_page_tables();
    build_idt();
    cpu_cli();
    uint32_t cr4, cr0;
    __asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("movl %0, %%cr4" : : "r"(cr4 | CR4_PAE) : "memory");
    __asm__ volatile("movl %0, %%cr3" : : "r"(lm64_addr(pml4)) : "memory");
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_LME);
    __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
    /* From here on IA-32e mode is active and CS (L=0, D=1) makes this
     * compatibility mode; the jump follows the MOV to CR0 as 9.8.5 asks. */
    __asm__ volatile("movl %0, %%cr0\n\tjmp 1f\n1:" : : "r"(cr0 | CR0_PG | CR0_WP) : "memory");
    if (!(rdmsr(MSR_EFER) & (1ull << 10)))
        test_fail("EFER.LMA clear after enabling paging with EFER.LME");
    Lm64Regs regs = { 0 };
    lm64_call(lm64_load_idt, &regs);
}

bool lm64_has_nx(void)
{
    return have_nx;
}

void lm64_set_nxe(bool on)
{
    uint64_t efer = rdmsr(MSR_EFER);
    wrmsr(MSR_EFER, on ? efer | EFER_NXE : efer & ~EFER_NXE);
}

volatile uint64_t *lm64_pte(const volatile void *addr)
{
    uint32_t a = lm64_addr(addr);
    if (a >= LM64_SMALL_PAGES_END)
        test_fail("lm64_pte: 0x%08x is not in the 4 KiB-page area", (unsigned)a);
    return &pt[a / LARGE_PAGE][(a / LM64_PAGE) % ENTRIES];
}

void lm64_map(const volatile void *addr, uint32_t phys, uint64_t flags)
{
    *lm64_pte(addr) = (phys & ~(LM64_PAGE - 1)) | flags;
    __asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory");
}

void lm64_identity(const volatile void *addr, uint64_t flags)
{
    lm64_map(addr, lm64_addr(addr), flags);
}

void lm64_arm(const volatile void *pte_page, uint64_t pte_flags, uint64_t resume_rip,
              const volatile void *snap)
{
    memset((void *)&lm64_fault, 0, sizeof(lm64_fault));
    lm64_fix.pte = pte_page ? lm64_addr(lm64_pte(pte_page)) : 0;
    lm64_fix.pte_value = (lm64_addr(pte_page) & ~(LM64_PAGE - 1)) | pte_flags;
    lm64_fix.resume_rip = resume_rip;
    lm64_fix.snap_addr = lm64_addr(snap);
    lm64_fix.armed = 1;
}

void lm64_expect(bool ok, const char *what, uint64_t got, uint64_t want)
{
    if (ok)
        return;
    if (failures < MAX_REPORTED)
        printf("  MISMATCH %s: got 0x%llx, want 0x%llx\n", what,
               (unsigned long long)got, (unsigned long long)want);
    failures++;
}

void lm64_expect_sdm(const char *what, uint64_t got, uint64_t want)
{
    if (got == want || !qemu_tcg) {
        lm64_expect(got == want, what, got, want);
        return;
    }
    if (notes++ < MAX_REPORTED)
        printf("  note (known QEMU TCG gap, not counted) %s: got 0x%llx, SDM wants 0x%llx\n",
               what, (unsigned long long)got, (unsigned long long)want);
}

uint32_t lm64_failures(void)
{
    return failures;
}

_Noreturn void lm64_finish(const char *name)
{
    if (failures)
        test_fail("%s: %u mismatches (first ones listed above)", name, (unsigned)failures);
    test_pass();
}

/* Reached from the 64-bit exception handler (through a far return into
 * compatibility mode) when an exception arrives with no fix armed. */
_Noreturn void lm64_unexpected(void);
_Noreturn void lm64_unexpected(void)
{
    volatile Lm64Fault *f = &lm64_fault;
    printf("unexpected exception %u error=0x%llx at rip=0x%llx cs=0x%llx rflags=0x%llx "
           "cr2=0x%llx\n",
           (unsigned)f->vector, (unsigned long long)f->error_code, (unsigned long long)f->rip,
           (unsigned long long)f->cs, (unsigned long long)f->regs.rflags,
           (unsigned long long)f->cr2);
    printf("rax=%llx rbx=%llx rcx=%llx rdx=%llx rsi=%llx rdi=%llx rsp=%llx\n",
           (unsigned long long)f->regs.rax, (unsigned long long)f->regs.rbx,
           (unsigned long long)f->regs.rcx, (unsigned long long)f->regs.rdx,
           (unsigned long long)f->regs.rsi, (unsigned long long)f->regs.rdi,
           (unsigned long long)f->rsp);
    test_fail("unexpected exception %u at rip 0x%llx", (unsigned)f->vector,
              (unsigned long long)f->rip);
}
