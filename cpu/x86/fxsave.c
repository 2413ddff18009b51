/*
 * FXSAVE/FXRSTOR, XSAVE/XSAVEOPT/XRSTOR (standard form; x87 + SSE), LDMXCSR, EMMS,
 * the x87-to-MMX transition and MASKMOVx. Ref: SDM vol. 1 10.5, 13.4-13.9.
 * Leaves out: compacted XSAVE forms, XSAVEOPT's modified optimization, #AC
 * (misaligned areas give #GP), segment limits past an area's first byte.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/x86/mem.h"
#include "cpu/x86/sse_helper.h"

#define FXSAVE_SIZE 512
#define XSAVE_HEADER 512        /* offset of the 64-byte XSAVE header */
#define XSAVE_SIZE 576
#define FX_MXCSR 24
#define FX_ST0 32
#define FX_XMM0 160
#define X87_FCW_INIT 0x037f

/* ---- the simple state instructions ---- */

void helper_sse_raise(void *env, uint32_t vector)
{
    x86_raise_exception(env, (int)vector, 0, TCG_GETPC());
}

/* A pending unmasked x87 exception is reported before an MMX instruction
 * (with CR0.NE; legacy FERR# reporting is not modelled). */
static void mmx_check_pending(X86CPU *cpu, uintptr_t ra)
{
    if (sse_x87_exception_pending(cpu) && (cpu->cr[0] & CR0_NE)) {
        x86_raise_exception(cpu, X86_EXCP_MF, 0, ra);
    }
}

/* Every MMX instruction but EMMS: TOP = 0 and all registers valid. */
void helper_mmx_enter(void *env)
{
    X86CPU *cpu = env;
    mmx_check_pending(cpu, TCG_GETPC());
    cpu->fpstt = 0;
    cpu->fptag_valid = 0xff;
}

/* EMMS: all registers empty; TOP becomes 0 as well (as measured on Intel). */
void helper_emms(void *env)
{
    X86CPU *cpu = env;
    mmx_check_pending(cpu, TCG_GETPC());
    cpu->fpstt = 0;
    cpu->fptag_valid = 0;
}

void helper_ldmxcsr(void *env, uint32_t value)
{
    X86CPU *cpu = env;
    if (value & ~MXCSR_WRITABLE) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, TCG_GETPC());
    }
    cpu->mxcsr = value;
}

/* ---- guest memory, with the address wrap of the current mode ---- */
typedef struct SaveArea {
    X86CPU *cpu;
    uint64_t base;
    unsigned flags;
    uintptr_t ra;
} SaveArea;

static uint64_t area_addr(const SaveArea *a, unsigned off)
{
    uint64_t addr = a->base + off;
    return (a->flags & SSE_MEM_LONG) ? addr : (uint32_t)addr;
}

static uint64_t area_ld(const SaveArea *a, unsigned off, unsigned size)
{
    return x86_mem_ld(a->cpu, area_addr(a, off), size, a->flags & SSE_MEM_MMU_MASK, a->ra);
}

static void area_st(const SaveArea *a, unsigned off, uint64_t v, unsigned size)
{
    x86_mem_st(a->cpu, area_addr(a, off), v, size, a->flags & SSE_MEM_MMU_MASK, a->ra);
}

static void area_check_align(const SaveArea *a, unsigned align)
{
    if (a->base & (align - 1)) {
        x86_raise_exception(a->cpu, X86_EXCP_GP, 0, a->ra);
    }
}

static unsigned xmm_count(const SaveArea *a)
{
    return (a->flags & SSE_MEM_LONG) ? 16 : 8;
}

/* ---- the legacy region (FXSAVE image, also XSAVE bytes 0-511) ---- */

/* Bytes 0-23 and 32-159: the x87 part. */
static void save_x87(const SaveArea *a)
{
    const X86CPU *cpu = a->cpu;
    /* ES and B are not state of their own: they say whether an unmasked
     * exception is pending (what the host stores, whatever was loaded). */
    uint16_t fsw = (uint16_t)((cpu->fpus & ~(0x3800u | FPUS_ES | FPUS_B)) |
                              (cpu->fpstt & 7u) << 11 |
                              (sse_x87_exception_pending(cpu) ? FPUS_ES | FPUS_B : 0));
    area_st(a, 0, cpu->fpuc | (uint64_t)fsw << 16 | (uint64_t)cpu->fptag_valid << 32 |
                  (uint64_t)(cpu->fpop & 0x7ff) << 48, 8);
    if (a->flags & SSE_MEM_REXW) {
        area_st(a, 8, cpu->fpip, 8);
        area_st(a, 16, cpu->fpdp, 8);
    } else {
        area_st(a, 8, (uint32_t)cpu->fpip | (uint64_t)cpu->fpcs << 32, 8);
        area_st(a, 16, (uint32_t)cpu->fpdp | (uint64_t)cpu->fpds << 32, 8);
    }
    for (unsigned i = 0; i < 8; i++) {
        const Float80 *r = &cpu->fpregs[(cpu->fpstt + i) & 7];
        area_st(a, FX_ST0 + 16 * i, r->mant, 8);
        area_st(a, FX_ST0 + 16 * i + 8, r->sign_exp, 8);   /* bytes 10-15 written as 0 */
    }
}

static void save_mxcsr(const SaveArea *a)
{
    area_st(a, FX_MXCSR, a->cpu->mxcsr | (uint64_t)MXCSR_WRITABLE << 32, 8);
}

static void save_xmm(const SaveArea *a)
{
    for (unsigned i = 0; i < xmm_count(a); i++) {
        area_st(a, FX_XMM0 + 16 * i, a->cpu->xmm[i].q[0], 8);
        area_st(a, FX_XMM0 + 16 * i + 8, a->cpu->xmm[i].q[1], 8);
    }
}

/* An x87 image read from memory, committed only once every read succeeded. */
typedef struct X87Image {
    uint16_t fcw, fsw, fop, fcs, fds;
    uint8_t ftw;
    uint64_t fip, fdp;
    Float80 st[8];
} X87Image;

static void load_x87(const SaveArea *a, X87Image *img)
{
    uint64_t w0 = area_ld(a, 0, 8), w1 = area_ld(a, 8, 8), w2 = area_ld(a, 16, 8);
    img->fcw = (uint16_t)w0;
    img->fsw = (uint16_t)(w0 >> 16);
    img->ftw = (uint8_t)(w0 >> 32);
    img->fop = (uint16_t)(w0 >> 48) & 0x7ff;
    if (a->flags & SSE_MEM_REXW) {
        img->fip = w1;
        img->fdp = w2;
        img->fcs = img->fds = 0;
    } else {
        img->fip = (uint32_t)w1;
        img->fcs = (uint16_t)(w1 >> 32);
        img->fdp = (uint32_t)w2;
        img->fds = (uint16_t)(w2 >> 32);
    }
    for (unsigned i = 0; i < 8; i++) {
        img->st[i].mant = area_ld(a, FX_ST0 + 16 * i, 8);
        img->st[i].sign_exp = (uint16_t)area_ld(a, FX_ST0 + 16 * i + 8, 2);
    }
}

static void commit_x87(X86CPU *cpu, const X87Image *img)
{
    cpu->fpuc = img->fcw;
    cpu->fpus = img->fsw & ~0x3800u;
    cpu->fpstt = (img->fsw >> 11) & 7;
    cpu->fptag_valid = img->ftw;
    cpu->fpop = img->fop;
    cpu->fpip = img->fip;
    cpu->fpdp = img->fdp;
    cpu->fpcs = img->fcs;
    cpu->fpds = img->fds;
    for (unsigned i = 0; i < 8; i++) {
        cpu->fpregs[(cpu->fpstt + i) & 7] = img->st[i];
    }
}

/* The x87 initial configuration (SDM vol. 1 13.6). */
static void init_x87(X86CPU *cpu)
{
    cpu->fpuc = X87_FCW_INIT;
    cpu->fpus = 0;
    cpu->fpstt = 0;
    cpu->fptag_valid = 0;
    cpu->fpop = 0;
    cpu->fpip = cpu->fpdp = 0;
    cpu->fpcs = cpu->fpds = 0;
    memset(cpu->fpregs, 0, sizeof(cpu->fpregs));
}

static void load_xmm(const SaveArea *a, X86XmmReg *xmm)
{
    for (unsigned i = 0; i < xmm_count(a); i++) {
        xmm[i].q[0] = area_ld(a, FX_XMM0 + 16 * i, 8);
        xmm[i].q[1] = area_ld(a, FX_XMM0 + 16 * i + 8, 8);
    }
}

static uint32_t load_mxcsr(const SaveArea *a)
{
    uint32_t v = (uint32_t)area_ld(a, FX_MXCSR, 4);
    if (v & ~MXCSR_WRITABLE) {
        x86_raise_exception(a->cpu, X86_EXCP_GP, 0, a->ra);
    }
    return v;
}

/* ---- FXSAVE / FXRSTOR ---- */

void helper_fxsave(void *env, uint64_t addr, uint32_t flags)
{
    SaveArea a = { env, addr, flags, TCG_GETPC() };
    area_check_align(&a, 16);
    save_x87(&a);
    save_mxcsr(&a);
    save_xmm(&a);
}

void helper_fxrstor(void *env, uint64_t addr, uint32_t flags)
{
    X86CPU *cpu = env;
    SaveArea a = { env, addr, flags, TCG_GETPC() };
    X87Image img;
    X86XmmReg xmm[16];

    area_check_align(&a, 16);
    uint32_t mxcsr = load_mxcsr(&a);
    load_x87(&a, &img);
    load_xmm(&a, xmm);
    commit_x87(cpu, &img);
    cpu->mxcsr = mxcsr;
    memcpy(cpu->xmm, xmm, xmm_count(&a) * sizeof(X86XmmReg));
}

/* ---- XSAVE / XSAVEOPT / XRSTOR, standard form ---- */

/*
 * XINUSE: a component may be reported in use even in its initial
 * configuration; these report "not in use" exactly when it is in it (x87:
 * FNINIT-like control/status, all empty, all registers zero; SSE: all XMM
 * registers zero and MXCSR at its reset value).
 */
static bool x87_in_use(const X86CPU *cpu)
{
    if (cpu->fpuc != X87_FCW_INIT || cpu->fpus || cpu->fpstt || cpu->fptag_valid ||
        cpu->fpop || cpu->fpip || cpu->fpdp || cpu->fpcs || cpu->fpds) {
        return true;
    }
    for (unsigned i = 0; i < 8; i++) {
        if (cpu->fpregs[i].mant || cpu->fpregs[i].sign_exp) {
            return true;
        }
    }
    return false;
}

static bool sse_in_use(const X86CPU *cpu)
{
    if (cpu->mxcsr != MXCSR_RESET) {
        return true;
    }
    for (unsigned i = 0; i < 16; i++) {
        if (cpu->xmm[i].q[0] | cpu->xmm[i].q[1]) {
            return true;
        }
    }
    return false;
}

static void xsave_common(X86CPU *cpu, uint64_t addr, uint64_t mask, uint32_t flags, bool opt,
                         uintptr_t ra)
{
    SaveArea a = { cpu, addr, flags, ra };
    uint64_t rfbm = mask & cpu->xcr0;
    uint64_t inuse = (x87_in_use(cpu) ? XCR0_X87 : 0) | (sse_in_use(cpu) ? XCR0_SSE : 0);

    area_check_align(&a, 64);
    uint64_t bv = area_ld(&a, XSAVE_HEADER, 8);
    if ((rfbm & XCR0_X87) && (!opt || (inuse & XCR0_X87))) {
        save_x87(&a);
    }
    if (rfbm & XCR0_SSE) {
        save_mxcsr(&a);
        if (!opt || (inuse & XCR0_SSE)) {
            save_xmm(&a);
        }
    }
    area_st(&a, XSAVE_HEADER, (bv & ~rfbm) | (inuse & rfbm), 8);
}

void helper_xsave(void *env, uint64_t addr, uint64_t mask, uint32_t flags)
{
    xsave_common(env, addr, mask, flags, false, TCG_GETPC());
}

void helper_xsaveopt(void *env, uint64_t addr, uint64_t mask, uint32_t flags)
{
    xsave_common(env, addr, mask, flags, true, TCG_GETPC());
}

void helper_xrstor(void *env, uint64_t addr, uint64_t mask, uint32_t flags)
{
    X86CPU *cpu = env;
    SaveArea a = { env, addr, flags, TCG_GETPC() };
    uint64_t rfbm = mask & cpu->xcr0;
    X87Image img;
    X86XmmReg xmm[16];
    uint32_t mxcsr = 0;

    area_check_align(&a, 64);
    uint64_t bv = area_ld(&a, XSAVE_HEADER, 8);
    /* XCOMP_BV (bytes 8-15) must be 0 (no compacted form here) and so must
     * bytes 16-23; XSTATE_BV may only name components enabled in XCR0. */
    if (area_ld(&a, XSAVE_HEADER + 8, 8) || area_ld(&a, XSAVE_HEADER + 16, 8) ||
        (bv & ~cpu->xcr0)) {
        x86_raise_exception(cpu, X86_EXCP_GP, 0, a.ra);
    }
    /* The standard form loads MXCSR whenever SSE is requested, even when
     * XSTATE_BV says the XMM registers take their initial value. */
    if (rfbm & XCR0_SSE) {
        mxcsr = load_mxcsr(&a);
    }
    if (rfbm & bv & XCR0_X87) {
        load_x87(&a, &img);
    }
    if (rfbm & bv & XCR0_SSE) {
        load_xmm(&a, xmm);
    }

    if (rfbm & XCR0_X87) {
        if (bv & XCR0_X87) {
            commit_x87(cpu, &img);
        } else {
            init_x87(cpu);
        }
    }
    if (rfbm & XCR0_SSE) {
        cpu->mxcsr = mxcsr;
        if (bv & XCR0_SSE) {
            memcpy(cpu->xmm, xmm, xmm_count(&a) * sizeof(X86XmmReg));
        } else {
            memset(cpu->xmm, 0, xmm_count(&a) * sizeof(X86XmmReg));
        }
    }
}

/*
 * MASKMOVQ / MASKMOVDQU: the bytes of d whose mask byte has bit 7. Intel
 * faults on an unmapped destination even for bytes masked off (the SDM lets
 * it): the first and last bytes are read first, so a missing page faults
 * whatever the mask (a read-only page only when a byte is stored).
 */
static void maskmov(X86CPU *cpu, const uint8_t *data, const uint8_t *mask, unsigned n,
                    uint64_t addr, uint32_t flags, uintptr_t ra)
{
    SaveArea a = { cpu, addr, flags, ra };
    area_ld(&a, 0, 1);
    area_ld(&a, n - 1, 1);
    for (unsigned i = 0; i < n; i++) {
        if (mask[i] & 0x80) {
            area_st(&a, i, data[i], 1);
        }
    }
}

void helper_maskmov_mmx(void *env, uint32_t d, uint32_t s, uint64_t addr, uint32_t flags)
{
    uint64_t data = sse_mmx_get(env, d), mask = sse_mmx_get(env, s);
    uint8_t db[8], mb[8];
    memcpy(db, &data, 8);
    memcpy(mb, &mask, 8);
    maskmov(env, db, mb, 8, addr, flags, TCG_GETPC());
}

void helper_maskmov_xmm(void *env, uint32_t d, uint32_t s, uint64_t addr, uint32_t flags)
{
    X86XmmReg data = *sse_xmm_at(env, d), mask = *sse_xmm_at(env, s);
    maskmov(env, data.b, mask.b, 16, addr, flags, TCG_GETPC());
}
