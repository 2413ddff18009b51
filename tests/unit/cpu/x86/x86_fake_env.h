/*
 * Test fakes for the seams cpu/x86/mem.h and mimic/timer.h: a flat 16 MiB
 * physical memory, linear accesses through the real page walker, an
 * x86_raise_exception that longjmps back into the test, and a settable
 * virtual clock. Included by exactly one .c per test binary (a header, not
 * a .c beside the tests, so other tests in this folder do not link it).
 */
#ifndef TESTS_CPU_X86_FAKE_ENV_H
#define TESTS_CPU_X86_FAKE_ENV_H

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"
#include "mimic/timer.h"
#include "test.h"

#define FAKE_RAM_SIZE (16u << 20)

static uint8_t *fake_ram;
static sigjmp_buf *fake_jmp;
static int64_t fake_clock_ns;
static int fake_flush_all, fake_flush_nonglobal, fake_flush_page;
static int fake_cmpxchg_fail;         /* make the next N cmpxchg fail (after changing nothing) */
static int fake_last_st_mmu = -1;     /* mmu index of the last linear store */

int64_t clock_virtual_ns(void)
{
    return fake_clock_ns;
}

static uint64_t ram_ld(uint64_t pa, unsigned size)
{
    if (pa + size > FAKE_RAM_SIZE) {
        return ~0ull >> (64 - 8 * size);
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)fake_ram[pa + i] << (8 * i);
    }
    return v;
}

static void ram_st(uint64_t pa, uint64_t v, unsigned size)
{
    if (pa + size > FAKE_RAM_SIZE) {
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        fake_ram[pa + i] = (uint8_t)(v >> (8 * i));
    }
}

uint64_t x86_phys_ld(X86CPU *cpu, uint64_t paddr, unsigned size)
{
    (void)cpu;
    return ram_ld(paddr, size);
}

bool x86_phys_cmpxchg(X86CPU *cpu, uint64_t paddr, uint64_t expected, uint64_t value,
                      unsigned size)
{
    (void)cpu;
    if (fake_cmpxchg_fail > 0) {
        fake_cmpxchg_fail--;
        return false;
    }
    if (ram_ld(paddr, size) != expected) {
        return false;
    }
    ram_st(paddr, value, size);
    return true;
}

_Noreturn void x86_raise_exception(X86CPU *cpu, int vector, uint32_t error_code,
                                   uintptr_t retaddr)
{
    (void)retaddr;
    x86_exception_record(cpu, vector, error_code);
    if (!fake_jmp) {
        fprintf(stderr, "unexpected x86 exception %d (%#x) outside a test guard\n", vector,
                error_code);
        abort();
    }
    siglongjmp(*fake_jmp, 1);
}

/* Byte by byte through the walker, so page-crossing accesses fault right. */
static uint64_t fake_translate(X86CPU *cpu, uint64_t linear, X86Access acc, int mmu)
{
    X86Translation t;
    x86_translate(cpu, linear, acc, mmu == X86_MMU_USER, &t, 0);
    return t.paddr;
}

uint64_t x86_mem_ld(X86CPU *cpu, uint64_t linear, unsigned size, int mmu_idx, uintptr_t ra)
{
    (void)ra;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = x86_long_mode(cpu) ? linear + i : (uint32_t)(linear + i);
        v |= ram_ld(fake_translate(cpu, a, X86_ACCESS_READ, mmu_idx), 1) << (8 * i);
    }
    return v;
}

void x86_mem_st(X86CPU *cpu, uint64_t linear, uint64_t value, unsigned size, int mmu_idx,
                uintptr_t ra)
{
    (void)ra;
    uint64_t pa[8];
    for (unsigned i = 0; i < size; i++) {   /* all translations before any byte lands */
        uint64_t a = x86_long_mode(cpu) ? linear + i : (uint32_t)(linear + i);
        pa[i] = fake_translate(cpu, a, X86_ACCESS_WRITE, mmu_idx);
    }
    for (unsigned i = 0; i < size; i++) {
        ram_st(pa[i], value >> (8 * i), 1);
    }
    fake_last_st_mmu = mmu_idx;
}

static void fake_tlb_flush(X86CPU *cpu, bool global)
{
    (void)cpu;
    if (global) {
        fake_flush_all++;
    } else {
        fake_flush_nonglobal++;
    }
}

static void fake_tlb_flush_page(X86CPU *cpu, uint64_t linear)
{
    (void)cpu;
    (void)linear;
    fake_flush_page++;
}

static const X86CPUHooks fake_hooks = {
    .tlb_flush = fake_tlb_flush,
    .tlb_flush_page = fake_tlb_flush_page,
};

/* A fresh CPU of `model` on zeroed memory. */
static X86CPU *fake_cpu(const char *model)
{
    static X86CPU cpu;
    if (!fake_ram) {
        fake_ram = calloc(1, FAKE_RAM_SIZE);
    }
    memset(fake_ram, 0, FAKE_RAM_SIZE);
    memset(&cpu, 0, sizeof(cpu));
    fake_clock_ns = 0;
    fake_cmpxchg_fail = 0;
    fake_jmp = NULL;
    if (!x86_cpu_setup(&cpu, model, 0, 1, NULL)) {
        abort();
    }
    cpu.hooks = &fake_hooks;
    fake_flush_all = fake_flush_nonglobal = fake_flush_page = 0;
    return &cpu;
}

/* Physical memory helpers for building tables. */
static inline void pw8(uint64_t pa, uint8_t v) { ram_st(pa, v, 1); }
static inline void pw16(uint64_t pa, uint16_t v) { ram_st(pa, v, 2); }
static inline void pw32(uint64_t pa, uint32_t v) { ram_st(pa, v, 4); }
static inline void pw64(uint64_t pa, uint64_t v) { ram_st(pa, v, 8); }
static inline uint8_t pr8(uint64_t pa) { return (uint8_t)ram_ld(pa, 1); }
static inline uint16_t pr16(uint64_t pa) { return (uint16_t)ram_ld(pa, 2); }
static inline uint32_t pr32(uint64_t pa) { return (uint32_t)ram_ld(pa, 4); }
static inline uint64_t pr64(uint64_t pa) { return ram_ld(pa, 8); }

/*
 * A segment descriptor: `access` is the byte P|DPL|S|type (0x9a = present
 * ring-0 code, 0x92 = data, 0xfa/0xf2 for ring 3), `gran` the nibble
 * G|D/B|L|AVL (0xc = 4 KiB granular 32-bit, 0xa = 64-bit code).
 */
static inline uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t gran)
{
    return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
           (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
           (uint64_t)(gran & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

/* A 32-bit (or 16-bit) gate: type 0xe interrupt, 0xf trap, 0xc call, ... */
static inline uint64_t gate_desc(uint16_t sel, uint32_t offset, unsigned type, int dpl,
                                 unsigned count)
{
    return (uint64_t)(offset & 0xffff) | (uint64_t)sel << 16 | (uint64_t)(count & 0x1f) << 32 |
           (uint64_t)(0x80 | dpl << 5 | type) << 40 | (uint64_t)(offset >> 16) << 48;
}

/* Run `stmt`; it must raise `vec` with error code `err`. */
#define EXPECT_EXC(cpu, stmt, vec, err) do {                                   \
        sigjmp_buf jb_;                                                         \
        fake_jmp = &jb_;                                                        \
        (cpu)->exception.vector = -1;                                           \
        if (sigsetjmp(jb_, 0) == 0) {                                           \
            stmt;                                                               \
            fake_jmp = NULL;                                                    \
            printf("FAIL %s: %s:%d: no exception from %s\n", test_case_name_,   \
                   __FILE__, __LINE__, #stmt);                                  \
            test_case_failed_ = 1;                                              \
            return;                                                             \
        }                                                                       \
        fake_jmp = NULL;                                                        \
        CHECK_EQ((cpu)->exception.vector, (vec));                               \
        CHECK_EQ((cpu)->exception.error_code, (err));                           \
    } while (0)

/* Run `stmt`; it must not raise. */
#define EXPECT_OK(cpu, stmt) do {                                               \
        sigjmp_buf jb_;                                                         \
        fake_jmp = &jb_;                                                        \
        if (sigsetjmp(jb_, 0) != 0) {                                           \
            fake_jmp = NULL;                                                    \
            printf("FAIL %s: %s:%d: %s raised #%d (%#x)\n", test_case_name_,     \
                   __FILE__, __LINE__, #stmt, (cpu)->exception.vector,          \
                   (cpu)->exception.error_code);                                \
            test_case_failed_ = 1;                                              \
            return;                                                             \
        }                                                                       \
        stmt;                                                                   \
        fake_jmp = NULL;                                                        \
    } while (0)

#endif
