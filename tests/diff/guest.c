/* Differential tests: the guest runner's main loop (64-bit, CPL 0, IF=0):
 * runs each snippet of the batch module through tramp.S and prints one
 * result line per snippet on COM1, then writes isa-debug-exit.  Reference:
 * Multiboot 0.6.96 3.3, Intel SDM vol. 3A 6.14 (IDT, TSS), NS16550A. */
#include <stddef.h>
#include <stdint.h>

#include "diff.h"
#include "multiboot.h"

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define SEL_CODE64 0x08
#define SEL_TSS 0x18
#define GATE_INTERRUPT 0x8e
#define TSS_AVAILABLE 0x89
#define VECTORS 32
#define MULTIBOOT_MAGIC 0x2badb002u
#define MBI_FLAG_MODS (1u << 3)

uint32_t diff_run(void);
void diff_exit(void);
void guest_main(uint32_t magic, uint32_t info);
_Noreturn void guest_panic(const uint64_t *frame);

extern const uint64_t fault_stubs[VECTORS];
extern uint64_t gdt_table[5];

typedef struct __attribute__((packed)) MultibootModule {
    uint32_t start, end, string, reserved;
} MultibootModule;

typedef struct __attribute__((packed)) Tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} Tss64;

typedef struct __attribute__((packed)) IdtGate {
    uint16_t offset_low, selector;
    uint8_t ist, type;
    uint16_t offset_mid;
    uint32_t offset_high, reserved;
} IdtGate;

static Tss64 tss __attribute__((aligned(16)));
static IdtGate idt[VECTORS] __attribute__((aligned(16)));
static DiffResult initial, final;
static char line[DIFF_LINE_MAX];

/* gcc may emit calls to these in freestanding code. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n)
{
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    return dst;
}
void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void serial_init(void)
{
    outb(COM1 + 1, 0);          /* no interrupts */
    outb(COM1 + 3, 0x80);       /* DLAB */
    outb(COM1 + 0, 1);          /* 115200 baud */
    outb(COM1 + 1, 0);
    outb(COM1 + 3, 0x03);       /* 8N1 */
    outb(COM1 + 4, 0x03);       /* DTR, RTS */
}

static void serial_putc(char c)
{
    while (!(inb(COM1 + 5) & 0x20))
        __asm__ volatile("pause");
    outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

static void put_hex(uint64_t v, int digits)
{
    char buf[17];
    *diff_put_hex(buf, v, digits) = 0;
    puts_serial(buf);
}

static _Noreturn void guest_exit(uint8_t code)
{
    outb(DEBUG_EXIT_PORT, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static _Noreturn void fail(const char *why)
{
    puts_serial("DIFF-ERROR ");
    puts_serial(why);
    puts_serial("\n");
    guest_exit(1);
}

_Noreturn void guest_panic(const uint64_t *frame)
{
    puts_serial("DIFF-ERROR runner exception vector ");
    put_hex(frame[0], 2);
    puts_serial(" at rip ");
    put_hex(frame[2], 16);
    puts_serial("\n");
    guest_exit(1);
}

static void cpu_tables_init(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;
    uint64_t base = (uint64_t)(uintptr_t)&tss;

    tss.ist[0] = DIFF_CTRL_ADDR + CTRL_IST_TOP;
    tss.iomap_base = sizeof(tss);
    gdt_table[3] = (sizeof(tss) - 1) | (base & 0xffffff) << 16 |
                   (uint64_t)TSS_AVAILABLE << 40 | (base >> 24 & 0xff) << 56;
    gdt_table[4] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));

    for (int v = 0; v < VECTORS; v++) {
        uint64_t a = fault_stubs[v];
        idt[v] = (IdtGate){ .offset_low = (uint16_t)a, .selector = SEL_CODE64, .ist = 1,
                            .type = GATE_INTERRUPT, .offset_mid = (uint16_t)(a >> 16),
                            .offset_high = (uint32_t)(a >> 32) };
    }
    idtr.limit = sizeof(idt) - 1;
    idtr.base = (uint64_t)(uintptr_t)idt;
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

/* One line describing the CPU features the generator may use, so a #UD in
 * the results can be traced to a feature the emulator does not offer. */
static void report_features(void)
{
    uint32_t r1[4], r7[4] = { 0 }, re[4] = { 0 }, r0[4];
    cpuid(0, 0, r0);
    cpuid(1, 0, r1);
    if (r0[0] >= 7)
        cpuid(7, 0, r7);
    cpuid(0x80000000, 0, re);
    if (re[0] >= 0x80000001)
        cpuid(0x80000001, 0, re);
    else
        re[2] = 0;
    puts_serial("DIFF-CPUID");
    puts_serial(r1[2] & (1u << 0) ? " sse3" : " -sse3");
    puts_serial(r1[2] & (1u << 9) ? " ssse3" : " -ssse3");
    puts_serial(r1[2] & (1u << 19) ? " sse4.1" : " -sse4.1");
    puts_serial(r1[2] & (1u << 20) ? " sse4.2" : " -sse4.2");
    puts_serial(r1[2] & (1u << 23) ? " popcnt" : " -popcnt");
    puts_serial(r1[2] & (1u << 13) ? " cx16" : " -cx16");
    puts_serial(re[2] & (1u << 5) ? " lzcnt" : " -lzcnt");
    puts_serial(r7[1] & (1u << 3) ? " bmi1" : " -bmi1");
    puts_serial("\n");
}

void guest_main(uint32_t magic, uint32_t info)
{
    const MultibootInfo *mbi = (const MultibootInfo *)(uintptr_t)info;

    serial_init();
    puts_serial("\nDIFF-GUEST\n");
    cpu_tables_init();
    if (magic != MULTIBOOT_MAGIC)
        fail("bad multiboot magic");
    report_features();
    if (!(mbi->flags & MBI_FLAG_MODS) || mbi->mods_count < 1)
        fail("no batch module (give one with -initrd)");
    if (!(mbi->flags & MBI_FLAG_MEM) ||
        (uint64_t)mbi->mem_upper * 1024 + 0x100000 < DIFF_CODE_ADDR + DIFF_CODE_SIZE)
        fail("need more memory for the fixed areas (use -m 256M)");
    const MultibootModule *mod = (const MultibootModule *)(uintptr_t)mbi->mods_addr;
    uint64_t start = mod->start, end = mod->end;
    if (end <= start || end - start < sizeof(DiffBatchHeader))
        fail("batch module is empty");
    if (end > DIFF_WINDOW_ADDR && start < DIFF_CODE_ADDR + DIFF_CODE_SIZE)
        fail("batch module overlaps the fixed snippet areas");
    const uint8_t *batch = (const uint8_t *)(uintptr_t)start;
    const DiffBatchHeader *bh = (const DiffBatchHeader *)batch;
    if (bh->magic != DIFF_BATCH_MAGIC || bh->total_size > end - start)
        fail("module is not a batch file");

    uint8_t *window = (uint8_t *)(uintptr_t)DIFF_WINDOW_ADDR;
    uint8_t *ctrl = (uint8_t *)(uintptr_t)DIFF_CTRL_ADDR;
    uint8_t *code = (uint8_t *)(uintptr_t)DIFF_CODE_ADDR;
    uint64_t offset = sizeof(DiffBatchHeader);
    puts_serial("DIFF-BEGIN ");
    put_hex(bh->count, 8);
    puts_serial("\n");
    for (uint32_t n = 0; n < bh->count; n++) {
        const DiffSnippetHeader *sh = (const DiffSnippetHeader *)(batch + offset);
        if (offset + sizeof(*sh) > bh->total_size || sh->magic != DIFF_SNIP_MAGIC ||
            sh->record_size < sizeof(*sh) + sh->code_len ||
            offset + sh->record_size > bh->total_size || sh->code_len > DIFF_CODE_MAX)
            fail("bad snippet record");
        memcpy(code, sh + 1, sh->code_len);
        code[sh->code_len] = 0xff;              /* jmp *0(%rip) */
        code[sh->code_len + 1] = 0x25;
        memset(code + sh->code_len + 2, 0, 4);
        uint64_t exit_address = (uint64_t)(uintptr_t)diff_exit;
        memcpy(code + sh->code_len + 6, &exit_address, 8);
        memcpy(window, sh->window, DIFF_WINDOW_SIZE);
        memcpy(ctrl + CTRL_IN, &sh->init, sizeof(sh->init));
        uint64_t entry = DIFF_CODE_ADDR;
        memcpy(ctrl + CTRL_ENTRY, &entry, 8);

        memset(&initial, 0, sizeof(initial));
        initial.cpu = sh->init;
        memcpy(initial.window, sh->window, DIFF_WINDOW_SIZE);

        uint32_t outcome = diff_run();
        memset(&final, 0, sizeof(final));
        memcpy(&final.cpu, ctrl + CTRL_OUT, sizeof(final.cpu));
        final.outcome = outcome;
        if (outcome == DIFF_DONE) {
            final.cpu.rip = DIFF_CODE_ADDR + sh->code_len;
        } else {
            uint64_t vector;
            memcpy(&vector, ctrl + CTRL_VECTOR, 8);
            final.vector = (uint32_t)vector;
        }
        memcpy(final.window, window, DIFF_WINDOW_SIZE);
        diff_format_result(line, sh->index, &initial, &final);
        puts_serial(line);
        offset += sh->record_size;
    }
    puts_serial("DIFF-END ");
    put_hex(bh->count, 8);
    puts_serial("\n");
    guest_exit(0);
}
