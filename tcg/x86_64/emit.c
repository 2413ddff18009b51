/*
 * x86-64 instruction encoder for the native backend: legacy prefixes, REX,
 * ModRM/SIB with disp8/disp32, VEX for BMI1/BMI2, immediates in their short
 * forms, and jumps with rel8/rel32 plus label relocations. Reference: Intel
 * SDM vol. 2, chapter 2 (instruction format) and the opcode tables.
 */
#if defined(__x86_64__)

#include <string.h>

#include "internal.h"

void x64_u16(X64Gen *g, uint16_t v)
{
    memcpy(g->ptr, &v, 2);
    g->ptr += 2;
}

void x64_u32(X64Gen *g, uint32_t v)
{
    memcpy(g->ptr, &v, 4);
    g->ptr += 4;
}

void x64_u64(X64Gen *g, uint64_t v)
{
    memcpy(g->ptr, &v, 8);
    g->ptr += 8;
}

#define ALWAYS_INLINE inline __attribute__((always_inline))

static uint8_t *put_prefixes(uint8_t *p, unsigned opc)
{
    if (opc & P_DATA16) {
        *p++ = 0x66;
    }
    if (opc & P_F3) {
        *p++ = 0xf3;
    } else if (opc & P_F2) {
        *p++ = 0xf2;
    }
    return p;
}

/*
 * Prefixes, REX and opcode bytes at p for ModRM.reg r, SIB.index x and
 * ModRM.rm or SIB.base b (register numbers 0..15; 0 for a field not used);
 * returns the end. Inlined into the encoders below, which keep the write
 * pointer in a local: a store through g->ptr may alias g itself, so the
 * compiler would reload it for every byte.
 */
static ALWAYS_INLINE uint8_t *put_opc(uint8_t *p, unsigned opc, unsigned r, unsigned x,
                                      unsigned b)
{
    if (__builtin_expect(opc & (P_DATA16 | P_F3 | P_F2), 0)) {
        p = put_prefixes(p, opc);
    }
    _Static_assert(P_REXW == 8u << 9, "REX.W is bit 3 of the REX byte");
    unsigned rex = ((opc >> 9) & 8) | ((r >> 1) & 4) | ((x >> 2) & 2) | ((b >> 3) & 1);
    /* Without any REX, byte registers 4..7 are ah..bh, not spl..dil. */
    if (__builtin_expect(opc & (P_REXB_R | P_REXB_RM), 0) &&
        (((opc & P_REXB_R) && r >= 4) || ((opc & P_REXB_RM) && b >= 4))) {
        rex |= 0x40;
    }
    if (rex) {
        *p++ = (uint8_t)(0x40 | rex);
    }
    if (opc & (P_EXT | P_EXT38 | P_EXT3A)) {
        *p++ = 0x0f;
        if (opc & P_EXT38) {
            *p++ = 0x38;
        } else if (opc & P_EXT3A) {
            *p++ = 0x3a;
        }
    }
    *p++ = (uint8_t)opc;
    return p;
}

/* Negative register numbers (none, rip) contribute no REX bits. */
static unsigned reg_field(int r) { return r < 0 ? 0 : (unsigned)r; }

void x64_opc(X64Gen *g, unsigned opc, int r, int rm, int x)
{
    g->ptr = put_opc(g->ptr, opc, reg_field(r), reg_field(x), reg_field(rm));
}

static ALWAYS_INLINE void op_rr(X64Gen *g, unsigned opc, int r, int rm)
{
    uint8_t *p = put_opc(g->ptr, opc, (unsigned)r, 0, (unsigned)rm);
    *p++ = (uint8_t)(0xc0 | ((unsigned)r & 7) << 3 | ((unsigned)rm & 7));
    g->ptr = p;
}

void x64_op_rr(X64Gen *g, unsigned opc, int r, int rm)
{
    op_rr(g, opc, r, rm);
}

/* [base + index << shift + disp]; base >= 0 here (rip is x64_op_rmx's). */
static ALWAYS_INLINE void op_rmx(X64Gen *g, unsigned opc, int r, int base, int index, int shift,
                                 int32_t disp)
{
    uint8_t *p = put_opc(g->ptr, opc, (unsigned)r, reg_field(index), (unsigned)base);
    unsigned mod;
    if (disp == 0 && (base & 7) != X_RBP) {   /* rbp/r13 with mod 0 would mean rip/disp32 */
        mod = 0x00;
    } else if (disp == (int8_t)disp) {
        mod = 0x40;
    } else {
        mod = 0x80;
    }
    if (index < 0 && (base & 7) != X_RSP) {   /* rsp/r12 as base always need a SIB byte */
        *p++ = (uint8_t)(mod | ((unsigned)r & 7) << 3 | ((unsigned)base & 7));
    } else {
        unsigned idx = index < 0 ? 4 : ((unsigned)index & 7);   /* 4 = no index */
        *p++ = (uint8_t)(mod | ((unsigned)r & 7) << 3 | 4);
        *p++ = (uint8_t)((unsigned)shift << 6 | idx << 3 | ((unsigned)base & 7));
    }
    if (mod == 0x40) {
        *p++ = (uint8_t)disp;
    } else if (mod == 0x80) {
        memcpy(p, &disp, 4);
        p += 4;
    }
    g->ptr = p;
}

static void op_rip(X64Gen *g, unsigned opc, int r, int32_t disp)
{
    uint8_t *p = put_opc(g->ptr, opc, (unsigned)r, 0, 0);
    *p++ = (uint8_t)(0x05 | ((unsigned)r & 7) << 3);
    memcpy(p, &disp, 4);
    g->ptr = p + 4;
}

static ALWAYS_INLINE void op_mem(X64Gen *g, unsigned opc, int r, int base, int index, int shift,
                                 int32_t disp)
{
    if (base == X_RIP) {
        op_rip(g, opc, r, disp);
    } else {
        op_rmx(g, opc, r, base, index, shift, disp);
    }
}

void x64_op_rmx(X64Gen *g, unsigned opc, int r, int base, int index, int shift, int32_t disp)
{
    op_mem(g, opc, r, base, index, shift, disp);
}

void x64_op_rm(X64Gen *g, unsigned opc, int r, int base, int32_t disp)
{
    x64_op_rmx(g, opc, r, base, X_NOIDX, 0, disp);
}

void x64_vex_rrr(X64Gen *g, unsigned opc, bool is64, int r, int v, int rm)
{
    unsigned mmmmm = (opc & P_EXT38) ? 2 : (opc & P_EXT3A) ? 3 : 1;
    unsigned pp = (opc & P_DATA16) ? 1 : (opc & P_F3) ? 2 : (opc & P_F2) ? 3 : 0;
    x64_byte(g, 0xc4);
    /* R, X, B are stored inverted; X is unused (register operands). */
    x64_byte(g, ((r & 8) ? 0 : 0x80) | 0x40 | ((rm & 8) ? 0 : 0x20) | mmmmm);
    x64_byte(g, (is64 ? 0x80 : 0) | ((~(unsigned)v & 15) << 3) | pp);
    x64_byte(g, opc & 0xff);
    x64_byte(g, 0xc0 | ((unsigned)r & 7) << 3 | ((unsigned)rm & 7));
}

static unsigned rexw(bool is64) { return is64 ? P_REXW : 0; }

void x64_mov_rr(X64Gen *g, bool is64, int dst, int src)
{
    if (dst != src) {
        op_rr(g, OPC_MOVL_GvEv | rexw(is64), dst, src);
    }
}

void x64_movi(X64Gen *g, bool is64, int dst, uint64_t val, bool keep_flags)
{
    if (!is64) {
        val = (uint32_t)val;
    }
    if (val == 0 && !keep_flags) {
        op_rr(g, OPC_ARITH_GvEv | ARITH_XOR << 3, dst, dst);
    } else if (val <= UINT32_MAX) {
        x64_opc(g, OPC_MOVL_Iv | ((unsigned)dst & 7), 0, dst, -1);   /* zero-extends */
        x64_u32(g, (uint32_t)val);
    } else if ((int64_t)val == (int32_t)val) {
        op_rr(g, OPC_MOVL_EvIz | P_REXW, 0, dst);
        x64_u32(g, (uint32_t)val);
    } else {
        x64_opc(g, (OPC_MOVL_Iv | ((unsigned)dst & 7)) | P_REXW, 0, dst, -1);
        x64_u64(g, val);
    }
}

void x64_arith_rr(X64Gen *g, int ext, bool is64, int dst, int src)
{
    op_rr(g, (OPC_ARITH_GvEv | (unsigned)ext << 3) | rexw(is64), dst, src);
}

void x64_arith_ri(X64Gen *g, int ext, bool is64, int dst, int32_t imm)
{
    if (imm == (int8_t)imm) {
        op_rr(g, OPC_ARITH_EvIb | rexw(is64), ext, dst);
        x64_byte(g, (uint8_t)imm);
    } else {
        op_rr(g, OPC_ARITH_EvIz | rexw(is64), ext, dst);
        x64_u32(g, (uint32_t)imm);
    }
}

void x64_arith_rm(X64Gen *g, int ext, bool is64, int dst, int base, int32_t disp)
{
    op_mem(g, (OPC_ARITH_GvEv | (unsigned)ext << 3) | rexw(is64), dst, base, X_NOIDX, 0, disp);
}

void x64_shift_ri(X64Gen *g, int ext, bool is64, int dst, unsigned n)
{
    if (n == 1) {
        op_rr(g, OPC_SHIFT_1 | rexw(is64), ext, dst);
    } else {
        op_rr(g, OPC_SHIFT_Ib | rexw(is64), ext, dst);
        x64_byte(g, n);
    }
}

void x64_shift_rcl(X64Gen *g, int ext, bool is64, int dst)
{
    op_rr(g, OPC_SHIFT_cl | rexw(is64), ext, dst);
}

void x64_grp3(X64Gen *g, int ext, bool is64, int r)
{
    op_rr(g, OPC_GRP3_Ev | rexw(is64), ext, r);
}

void x64_test_rr(X64Gen *g, bool is64, int a, int b)
{
    op_rr(g, OPC_TESTL | rexw(is64), b, a);
}

void x64_test_ri(X64Gen *g, bool is64, int r, int32_t imm)
{
    if (imm >= 0 && imm <= 0xff) {   /* only ZF is used after a test: a byte test is enough */
        op_rr(g, OPC_GRP3_Eb | P_REXB_RM, GRP3_TEST, r);
        x64_byte(g, (uint8_t)imm);
    } else {
        op_rr(g, OPC_GRP3_Ev | rexw(is64), GRP3_TEST, r);
        x64_u32(g, (uint32_t)imm);
    }
}

void x64_lea(X64Gen *g, bool is64, int dst, int base, int index, int32_t disp)
{
    op_mem(g, OPC_LEA | rexw(is64), dst, base, index, 0, disp);
}

void x64_lea_rip(X64Gen *g, int dst, uint32_t target_off)
{
    int32_t disp = (int32_t)(target_off - (x64_off(g) + 7));   /* REX.W 8D modrm disp32 */
    op_mem(g, OPC_LEA | P_REXW, dst, X_RIP, X_NOIDX, 0, disp);
}

void x64_load(X64Gen *g, unsigned opc, int dst, int base, int index, int32_t disp)
{
    op_mem(g, opc, dst, base, index, 0, disp);
}

void x64_store(X64Gen *g, unsigned size_log2, int src, int base, int index, int32_t disp)
{
    static const unsigned opc[4] = {
        OPC_MOVB_EvGv | P_REXB_R, OPC_MOVL_EvGv | P_DATA16, OPC_MOVL_EvGv, OPC_MOVL_EvGv | P_REXW,
    };
    op_mem(g, opc[size_log2], src, base, index, 0, disp);
}

void x64_store_imm(X64Gen *g, unsigned size_log2, int32_t imm, int base, int index, int32_t disp)
{
    static const unsigned opc[4] = {
        OPC_MOVB_EvIb, OPC_MOVL_EvIz | P_DATA16, OPC_MOVL_EvIz, OPC_MOVL_EvIz | P_REXW,
    };
    op_mem(g, opc[size_log2], 0, base, index, 0, disp);
    if (size_log2 == 0) {
        x64_byte(g, (uint8_t)imm);
    } else if (size_log2 == 1) {
        x64_u16(g, (uint16_t)imm);
    } else {
        x64_u32(g, (uint32_t)imm);
    }
}

void x64_setcc(X64Gen *g, int cc, int r)
{
    op_rr(g, (OPC_SETCC + (unsigned)cc) | P_REXB_RM, 0, r);
}

void x64_cmov(X64Gen *g, int cc, bool is64, int dst, int src)
{
    op_rr(g, (OPC_CMOVCC + (unsigned)cc) | rexw(is64), dst, src);
}

void x64_bswap(X64Gen *g, bool is64, int r)
{
    x64_opc(g, (OPC_BSWAP + ((unsigned)r & 7)) | rexw(is64), 0, r, -1);
}

void x64_rol16_8(X64Gen *g, int r)
{
    op_rr(g, OPC_SHIFT_Ib | P_DATA16, SHIFT_ROL, r);
    x64_byte(g, 8);
}

void x64_push(X64Gen *g, int r)
{
    x64_opc(g, 0x50 | ((unsigned)r & 7), 0, r, -1);
}

void x64_pop(X64Gen *g, int r)
{
    x64_opc(g, 0x58 | ((unsigned)r & 7), 0, r, -1);
}

void x64_nop(X64Gen *g, unsigned n)
{
    static const uint8_t nops[9][8] = {   /* the SDM's recommended multi-byte NOPs */
        { 0 }, { 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 }, { 0x0f, 0x1f, 0x40, 0x00 },
        { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    };
    while (n) {
        unsigned k = n > 8 ? 8 : n;
        memcpy(g->ptr, nops[k], k);
        g->ptr += k;
        n -= k;
    }
}

void x64_mfence(X64Gen *g)
{
    x64_byte(g, 0x0f);
    x64_byte(g, 0xae);
    x64_byte(g, 0xf0);
}

void x64_ret(X64Gen *g)
{
    x64_byte(g, 0xc3);
}

void x64_jmp_reg(X64Gen *g, int r)
{
    op_rr(g, OPC_GRP5, 4, r);
}

void x64_call_abs(X64Gen *g, uintptr_t target)
{
    uintptr_t here = (uintptr_t)g->ptr + (uintptr_t)g->rx_diff;
    intptr_t disp = (intptr_t)(target - (here + 5));
    if (disp == (int32_t)disp) {
        x64_byte(g, OPC_CALL_Jz);
        x64_u32(g, (uint32_t)disp);
    } else {
        x64_movi(g, true, X_RAX, target, true);
        op_rr(g, OPC_GRP5, 2, X_RAX);
    }
}

void x64_patch_rel32(X64Gen *g, uint32_t field, uint32_t target_off)
{
    int32_t disp = (int32_t)(target_off - (field + 4));
    memcpy(g->buf + field, &disp, 4);
}

void x64_jcc_to(X64Gen *g, int cc, uint32_t target_off)
{
    int64_t d8 = (int64_t)target_off - (int64_t)(x64_off(g) + 2);
    if (d8 == (int8_t)d8) {
        x64_byte(g, cc < 0 ? OPC_JMP_short : OPC_JCC_short + (unsigned)cc);
        x64_byte(g, (uint8_t)d8);
        return;
    }
    if (cc < 0) {
        x64_byte(g, OPC_JMP_long);
    } else {
        x64_byte(g, 0x0f);
        x64_byte(g, 0x80 + (unsigned)cc);
    }
    uint32_t field = x64_off(g);
    x64_u32(g, 0);
    x64_patch_rel32(g, field, target_off);
}

void x64_jmp_to(X64Gen *g, uint32_t target_off)
{
    x64_jcc_to(g, -1, target_off);
}

void x64_jump_label(X64Gen *g, int cc, TCGLabel *l)
{
    if (l->has_value) {
        x64_jcc_to(g, cc, l->value);
        return;
    }
    if (cc < 0) {
        x64_byte(g, OPC_JMP_long);
    } else {
        x64_byte(g, 0x0f);
        x64_byte(g, 0x80 + (unsigned)cc);
    }
    TCGRelocation *r = tcg_arena_alloc(g->s, sizeof(*r));
    r->offset = x64_off(g);
    r->kind = 0;
    r->next = l->relocs;
    l->relocs = r;
    x64_u32(g, 0);
}

void x64_label_place(X64Gen *g, TCGLabel *l)
{
    l->has_value = true;
    l->value = x64_off(g);
    for (TCGRelocation *r = l->relocs; r; r = r->next) {
        x64_patch_rel32(g, r->offset, l->value);
    }
    l->relocs = NULL;
}

#endif
