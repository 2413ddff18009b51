/*
 * The x87 environment and state images: FLDENV, FNSTENV, FRSTOR, FNSAVE in
 * the 16/32-bit real-address and protected-mode layouts, and the full tag
 * word they carry. Reference: Intel SDM vol. 1 8.1.10 (figures 8-9 to 8-12),
 * vol. 2 FSTENV/FSAVE. Leaves out: the FCS/FDS deprecation and FOP/FDP
 * "only on exception" options of newer CPUs (pointers are kept per the SDM).
 */
#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"
#include "tcg/helper.h"

#define DEF_HELPER TCG_HELPER_DECLARE
#include "cpu/x86/helper_x87.def"
#undef DEF_HELPER

enum {
    FSW_EXC = 0x003f, FSW_ES = 0x0080, FSW_B = 0x8000, FSW_TOP_SHIFT = 11,
    FCW_RESERVED_ONE = 0x0040, FCW_WRITABLE = 0x1f3f,
};

static uint16_t x87_status_word(const X86CPU *cpu)
{
    return (uint16_t)((cpu->fpus & ~(7u << FSW_TOP_SHIFT)) | ((cpu->fpstt & 7u) << FSW_TOP_SHIFT));
}

/* ES and B summarise the unmasked exception flags (as in x87_helper.c). */
static void x87_update_summary(X86CPU *cpu)
{
    if (cpu->fpus & ~cpu->fpuc & FSW_EXC) {
        cpu->fpus |= FSW_ES | FSW_B;
    } else {
        cpu->fpus &= (uint16_t)~(FSW_ES | FSW_B);
    }
}

/* Tag of a non-empty register: 0 valid, 1 zero, 2 special. */
static unsigned x87_tag_of(Float80 v)
{
    switch (float80_classify(v)) {
    case FLOAT_CLASS_NORMAL:
        return 0;
    case FLOAT_CLASS_ZERO:
        return 1;
    default:
        return 2;
    }
}

static uint16_t x87_full_tag_word(const X86CPU *cpu)
{
    uint16_t tw = 0;

    for (unsigned p = 0; p < 8; p++) {
        unsigned t = (cpu->fptag_valid >> p) & 1 ? x87_tag_of(cpu->fpregs[p]) : 3;
        tw |= (uint16_t)(t << (2 * p));
    }
    return tw;
}

/* The fields of an environment image, in the order of the 32-bit
 * protected-mode layout. */
typedef struct X87Env {
    uint16_t fcw, fsw, ftw, fop, fcs, fds;
    uint32_t fip, fdp;
} X87Env;

enum { X87_ENV_MAX_WORDS = 7 };

typedef struct X87EnvAccess {
    X86CPU *cpu;
    uint64_t addr, addr_mask;
    int mmu;
    uintptr_t ra;
} X87EnvAccess;

static uint64_t x87_env_ld(const X87EnvAccess *a, unsigned off, unsigned size)
{
    return x86_mem_ld(a->cpu, (a->addr + off) & a->addr_mask, size, a->mmu, a->ra);
}

static void x87_env_st(const X87EnvAccess *a, unsigned off, uint64_t v, unsigned size)
{
    x86_mem_st(a->cpu, (a->addr + off) & a->addr_mask, v, size, a->mmu, a->ra);
}

static X87EnvAccess x87_env_access(X86CPU *cpu, uint64_t addr, uint32_t how, uintptr_t ra)
{
    X87EnvAccess a = {
        .cpu = cpu, .addr = addr,
        .addr_mask = (cpu->hflags & X86_HF_CS64) ? ~0ull : 0xffffffffull,
        .mmu = (int)(how >> X87_MMU_SHIFT) & 0xff, .ra = ra,
    };
    return a;
}

static unsigned x87_env_size(uint32_t how)
{
    return (how & X87_ENV_32) ? 28 : 14;
}

/* Image words (2 or 4 bytes each) as the format lays them out. */
static void x87_env_encode(const X86CPU *cpu, uint32_t how, uint32_t w[X87_ENV_MAX_WORDS])
{
    uint32_t fip = (uint32_t)cpu->fpip, fdp = (uint32_t)cpu->fpdp, fop = cpu->fpop & 0x7ffu;

    if (how & X87_ENV_REAL) {
        /* Real-address/VM86 format: 20-bit (32-bit format: 32-bit) linear
         * pointers, split into a low word and bits 16 up. */
        fip = (uint32_t)((cpu->fpcs << 4) + fip);
        fdp = (uint32_t)((cpu->fpds << 4) + fdp);
    }
    w[0] = cpu->fpuc;
    w[1] = x87_status_word(cpu);
    w[2] = x87_full_tag_word(cpu);
    if (how & X87_ENV_32) {
        /* Reserved upper halves read as ones on the host. */
        w[0] |= 0xffff0000u;
        w[1] |= 0xffff0000u;
        w[2] |= 0xffff0000u;
        if (how & X87_ENV_REAL) {
            w[3] = 0xffff0000u | (fip & 0xffff);
            w[4] = ((fip >> 16) << 12) | fop;
            w[5] = 0xffff0000u | (fdp & 0xffff);
            w[6] = (fdp >> 16) << 12;
        } else {
            w[3] = fip;
            w[4] = cpu->fpcs | (fop << 16);
            w[5] = fdp;
            w[6] = 0xffff0000u | cpu->fpds;
        }
    } else if (how & X87_ENV_REAL) {
        w[3] = fip & 0xffff;
        w[4] = (((fip >> 16) & 0xf) << 12) | fop;
        w[5] = fdp & 0xffff;
        w[6] = ((fdp >> 16) & 0xf) << 12;
    } else {
        w[3] = fip & 0xffff;
        w[4] = cpu->fpcs;
        w[5] = fdp & 0xffff;
        w[6] = cpu->fpds;
    }
}

static void x87_env_decode(const uint32_t w[X87_ENV_MAX_WORDS], uint32_t how, X87Env *e)
{
    e->fcw = (uint16_t)w[0];
    e->fsw = (uint16_t)w[1];
    e->ftw = (uint16_t)w[2];
    if (how & X87_ENV_REAL) {
        unsigned shift = (how & X87_ENV_32) ? 16 : 4;   /* bits of the high part */
        uint32_t high_mask = (uint32_t)((1ull << shift) - 1);
        e->fip = (w[3] & 0xffff) | (((w[4] >> 12) & high_mask) << 16);
        e->fdp = (w[5] & 0xffff) | (((w[6] >> 12) & high_mask) << 16);
        e->fop = (uint16_t)(w[4] & 0x7ff);
        e->fcs = e->fds = 0;
    } else if (how & X87_ENV_32) {
        e->fip = w[3];
        e->fcs = (uint16_t)w[4];
        e->fop = (uint16_t)((w[4] >> 16) & 0x7ff);
        e->fdp = w[5];
        e->fds = (uint16_t)w[6];
    } else {
        e->fip = w[3] & 0xffff;
        e->fcs = (uint16_t)w[4];
        e->fop = 0;
        e->fdp = w[5] & 0xffff;
        e->fds = (uint16_t)w[6];
    }
}

static void x87_env_read(const X87EnvAccess *a, uint32_t how, X87Env *e)
{
    unsigned word = (how & X87_ENV_32) ? 4 : 2;
    uint32_t w[X87_ENV_MAX_WORDS];

    for (unsigned i = 0; i < X87_ENV_MAX_WORDS; i++) {
        w[i] = (uint32_t)x87_env_ld(a, i * word, word);
    }
    x87_env_decode(w, how, e);
}

static void x87_env_write(const X87EnvAccess *a, uint32_t how)
{
    unsigned word = (how & X87_ENV_32) ? 4 : 2;
    uint32_t w[X87_ENV_MAX_WORDS];

    x87_env_encode(a->cpu, how, w);
    for (unsigned i = 0; i < X87_ENV_MAX_WORDS; i++) {
        x87_env_st(a, i * word, w[i], word);
    }
}

/* The loaded tag word only says empty or not: the FPU keeps no more. */
static void x87_env_apply(X86CPU *cpu, const X87Env *e)
{
    cpu->fpuc = (uint16_t)((e->fcw & FCW_WRITABLE) | FCW_RESERVED_ONE);
    cpu->fpstt = (e->fsw >> FSW_TOP_SHIFT) & 7;
    cpu->fpus = (uint16_t)(e->fsw & ~(7u << FSW_TOP_SHIFT));
    cpu->fptag_valid = 0;
    for (unsigned p = 0; p < 8; p++) {
        if (((e->ftw >> (2 * p)) & 3) != 3) {
            cpu->fptag_valid |= (uint8_t)(1u << p);
        }
    }
    cpu->fpip = e->fip;
    cpu->fpcs = e->fcs;
    cpu->fpop = e->fop;
    cpu->fpdp = e->fdp;
    cpu->fpds = e->fds;
    x87_update_summary(cpu);
}

void helper_x87_fldenv(void *env, uint64_t addr, uint32_t how)
{
    X86CPU *cpu = env;
    X87EnvAccess a = x87_env_access(cpu, addr, how, TCG_GETPC());
    X87Env e;

    x87_env_read(&a, how, &e);
    x87_env_apply(cpu, &e);
}

/* FNSTENV masks every exception once the image is stored. */
void helper_x87_fnstenv(void *env, uint64_t addr, uint32_t how)
{
    X86CPU *cpu = env;
    X87EnvAccess a = x87_env_access(cpu, addr, how, TCG_GETPC());

    x87_env_write(&a, how);
    cpu->fpuc |= FSW_EXC;
    x87_update_summary(cpu);
}

void helper_x87_frstor(void *env, uint64_t addr, uint32_t how)
{
    X86CPU *cpu = env;
    X87EnvAccess a = x87_env_access(cpu, addr, how, TCG_GETPC());
    unsigned base = x87_env_size(how);
    Float80 regs[8];
    X87Env e;

    x87_env_read(&a, how, &e);
    for (unsigned i = 0; i < 8; i++) {
        regs[i].mant = x87_env_ld(&a, base + 10 * i, 8);
        regs[i].sign_exp = (uint16_t)x87_env_ld(&a, base + 10 * i + 8, 2);
    }
    x87_env_apply(cpu, &e);
    for (unsigned i = 0; i < 8; i++) {
        cpu->fpregs[(cpu->fpstt + i) & 7] = regs[i];
    }
}

/* FNSAVE: the environment, ST0..ST7 in stack order, then FNINIT. */
void helper_x87_fnsave(void *env, uint64_t addr, uint32_t how)
{
    X86CPU *cpu = env;
    X87EnvAccess a = x87_env_access(cpu, addr, how, TCG_GETPC());
    unsigned base = x87_env_size(how);

    x87_env_write(&a, how);
    for (unsigned i = 0; i < 8; i++) {
        Float80 v = cpu->fpregs[(cpu->fpstt + i) & 7];
        x87_env_st(&a, base + 10 * i, v.mant, 8);
        x87_env_st(&a, base + 10 * i + 8, v.sign_exp, 2);
    }
    helper_x87_fninit(cpu);
}
