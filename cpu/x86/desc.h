/*
 * Private to cpu/x86: segment descriptor decoding, descriptor-table access
 * and the checked stack used by event delivery and far transfers.
 * Reference: SDM vol. 3 3.4.5 (descriptors), 5.8 (gates), 6.12 (stacks).
 * Leaves out: nothing of its own; the callers decide what is legal.
 */
#ifndef MIMIC_CPU_X86_DESC_H
#define MIMIC_CPU_X86_DESC_H

#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"

/* Descriptor high-dword fields. */
#define DESC_TYPE(h)  (((h) >> 8) & 0xf)
#define DESC_S        (1u << 12)
#define DESC_DPL(h)   (((h) >> 13) & 3)
#define DESC_P        (1u << 15)
#define DESC_L        (1u << 21)
#define DESC_DB       (1u << 22)
#define DESC_G        (1u << 23)
#define DESC_CODE     (1u << 11)   /* with S: code segment */
#define DESC_CONFORM  (1u << 10)   /* code: conforming */
#define DESC_EXPDOWN  (1u << 10)   /* data: expand-down */
#define DESC_RW       (1u << 9)    /* code: readable, data: writable */
#define DESC_ACCESSED (1u << 8)

/* System descriptor / gate types (S = 0). */
enum {
    SYS_TSS16_AVAIL = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALL16 = 4,
    SYS_TASK_GATE = 5, SYS_INT16 = 6, SYS_TRAP16 = 7, SYS_TSS_AVAIL = 9,
    SYS_TSS_BUSY = 11, SYS_CALL = 12, SYS_INT = 14, SYS_TRAP = 15,
};

/* X86Segment.flags helpers (attributes of the high dword >> 8). */
#define SEGF_CODE    (1u << 3)
#define SEGF_CONFORM (1u << 2)
#define SEGF_EXPDOWN (1u << 2)
#define SEGF_RW      (1u << 1)
#define SEGF_GET_DPL(f) (((f) >> 5) & 3)

typedef struct X86Desc {
    uint32_t lo, hi;
    uint32_t hi2;       /* bits 63:32 of a 16-byte system descriptor's base/offset */
    uint32_t hi3;       /* its last dword (type field must be 0 for gates) */
} X86Desc;

static inline uint64_t desc_base(const X86Desc *d)
{
    return (d->lo >> 16) | ((d->hi & 0xff) << 16) | (d->hi & 0xff000000u);
}

static inline uint32_t desc_limit(const X86Desc *d)
{
    uint32_t limit = (d->lo & 0xffff) | (d->hi & 0xf0000);
    return (d->hi & DESC_G) ? (limit << 12) | 0xfff : limit;
}

static inline X86Segment desc_to_seg(uint16_t selector, const X86Desc *d)
{
    X86Segment s;
    s.selector = selector;
    s.base = desc_base(d);
    s.limit = desc_limit(d);
    s.flags = (d->hi >> 8) & 0xf0ff;
    return s;
}

static inline bool desc_is_code(const X86Desc *d)
{
    return (d->hi & DESC_S) && (d->hi & DESC_CODE);
}

static inline bool desc_is_data(const X86Desc *d)
{
    return (d->hi & DESC_S) && !(d->hi & DESC_CODE);
}

/* Gate fields. */
static inline uint16_t gate_selector(const X86Desc *d) { return d->lo >> 16; }
static inline uint64_t gate_offset(const X86Desc *d)
{
    return (d->lo & 0xffff) | (d->hi & 0xffff0000u) | ((uint64_t)d->hi2 << 32);
}

/* Linear address of a segment offset: outside long mode it wraps at 4 GiB. */
static inline uint64_t seg_linear(const X86CPU *cpu, uint64_t base, uint64_t offset)
{
    uint64_t a = base + offset;
    return x86_long_mode(cpu) ? a : (uint32_t)a;
}

/*
 * Read the descriptor a selector names: false if the index lies outside its
 * table (or the LDT is unusable). `wide` reads 16 bytes (system descriptors
 * in long mode). Faults (#PF) on the table raise.
 */
bool x86_desc_fetch(X86CPU *cpu, uint16_t selector, bool wide, X86Desc *d, uintptr_t ra);
/* Set the accessed bit in memory (when clear) for a code/data descriptor. */
void x86_desc_set_accessed(X86CPU *cpu, uint16_t selector, X86Desc *d, uintptr_t ra);
/* Linear address of a selector's descriptor (no limit check). */
uint64_t x86_desc_addr(X86CPU *cpu, uint16_t selector);

/* A stack being pushed to or popped from, committed only when all went well. */
typedef struct X86Stack {
    uint64_t base;
    uint64_t sp;        /* the stack pointer, wrapped to `mask` */
    uint64_t mask;      /* 0xffff, 0xffffffff or ~0 */
    uint32_t limit;
    uint16_t flags;     /* SS attributes (expand-down, B) */
    bool check;         /* apply segment limit checks (legacy modes) */
    int mmu;
    uint32_t error;     /* #SS error code on a limit violation */
} X86Stack;

/* The current SS:rSP as a stack for the current CPL. */
void x86_stack_current(X86CPU *cpu, X86Stack *s);
/* A stack on segment `ss` with pointer `sp`. */
void x86_stack_init(X86CPU *cpu, X86Stack *s, const X86Segment *ss, uint64_t sp, int cpl,
                    uint32_t error);
void x86_stack_push(X86CPU *cpu, X86Stack *s, uint64_t value, unsigned size, uintptr_t ra);
uint64_t x86_stack_pop(X86CPU *cpu, X86Stack *s, unsigned size, uintptr_t ra);
/* rSP after the stack was used: only the bits of the stack width change. */
static inline uint64_t x86_stack_sp_commit(uint64_t old_rsp, const X86Stack *s)
{
    return (old_rsp & ~s->mask) | (s->sp & s->mask);
}

/* Read `size` bytes of the TSS at `offset` with the TR limit checked
 * (#TS(TR selector | ext) beyond it). */
uint64_t x86_tss_read(X86CPU *cpu, uint32_t offset, unsigned size, uint32_t ext, uintptr_t ra);

/* SS:ESP for privilege level `dpl` from a 16/32-bit TSS, with the checks of
 * an inner-privilege transfer: #TS(SS | ext) or #SS(SS | ext). */
void x86_tss_stack(X86CPU *cpu, int dpl, uint32_t ext, X86Segment *ss_out, uint64_t *sp_out,
                   uint16_t *ss_sel_out, uintptr_t ra);

/* Load a segment register from a checked descriptor (no further checks);
 * sets the accessed bit. */
void x86_seg_load_desc(X86CPU *cpu, int seg, uint16_t selector, X86Desc *d, uintptr_t ra);
/* After a return to an outer privilege level: data segments the new CPL may
 * not use become null (SDM vol. 2 RET/IRET). */
void x86_seg_validate_outer(X86CPU *cpu, int new_cpl);
/* A null (unusable) segment register; DPL kept for SS. */
void x86_seg_load_null(X86CPU *cpu, int seg, uint16_t selector, int dpl);
/* Flat 4 GiB segment attributes for SYSCALL/SYSENTER and friends. */
void x86_seg_load_flat(X86CPU *cpu, int seg, uint16_t selector, bool code, int dpl, bool l,
                       bool db);

#endif
