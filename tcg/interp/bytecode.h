/*
 * The interpreter backend's bytecode: a stream of 16-bit units, each
 * instruction an opcode unit followed by operand slot numbers (indices into
 * the per-invocation register array) and inline immediates (32/64-bit, 2/4
 * units, read unaligned). Layouts are in tcg/README.md "Interpreter"; the
 * superinstructions fuse.c makes from frontend IR patterns (x86 shapes
 * first, each one exact IR semantics) are laid out here:
 *
 *   QLDX_* / QSTX_*   d|val base idx sh imm32 oi tlb fn64   guest access at
 *                     R(base) + (R(idx) << sh) + imm (shl/add chains)
 *   Q* (all)          ... oi tlb fn64: tlb = byte offset of the mmu index's
 *                     TCGTLBFast in env (oi only for the slow path)
 *   SUBMOV[ST]_64     d a b s w [off32 k32]; the I forms d a s w imm32 [...]:
 *                     d = (a - b) & (~0 >> w), s = b, [*(u32 *)(env + off) = k]
 *                     (x86 cmp/sub flags and cc_op; w = 32: a 32-bit sub)
 *   CMPTB<c>[I]       SUBMOVST, x y xm exit32 [pad] f0 f1: then leave like
 *                     BRTB on cond(R(x) & (~0 >> xm), R(y)) read after those
 *                     writes (xm: a zero-extension of x folded in)
 *   BRTB<c>_32/64[I]  a b|imm32 exit32 [pad] f0 f1: brcond + both goto_tb of
 *                     a block end; f0/f1 the patchable fields (taken /
 *                     fall-through), exit32 the taken exit path's offset
 *   GOTO_TBS[n]       off32 k32 [n pad] target64: a 32-bit constant store
 *                     (cc_op), then GOTO_TB
 *   <op>Z/D/W_64      d1 d2 a b|imm32: d1 = a op b and d2 = (u32) of it (Z),
 *                     or both the 64-bit (D) or 32-bit (W) result (an ALU
 *                     result kept in cc_dst as well)
 *   ROTDEP[_M]_64     y z x w k [g]: v = rotl_w(x & (2^w - 1), k),
 *                     y = deposit(z, v, 0, w) [, g = v]
 *   BRSEXTEQ/NE       a len off32: branch if a == sextract(a, 0, len) / !=
 *   LOOKUP_GOTO[_M]   [d s]: [R(d) = R(s);] call lookup_tb_ptr + goto_ptr with
 *                     the jump-cache hit inline
 * Slots base + 0/1/2 of the array hold env, 0 and 1.
 */
#ifndef MIMIC_TCG_INTERP_BYTECODE_H
#define MIMIC_TCG_INTERP_BYTECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Register array size: env + globals + constants + TB temps + live EBB temps. */
#define TCG_INTERP_MAX_SLOTS 2048
/* The first slots of the register array hold env, 0 and 1 (the commonest
 * constants need no MOVI). */
#define BC_ENV_SLOT 0
#define BC_ZERO_SLOT 1
#define BC_ONE_SLOT 2
#define BC_FIXED_SLOTS 3

/*
 * Name families: X_32/X_64 (register operands), XI_32/XI_64 (immediate second
 * input), and XA_32.. XAI_64: the same with the first input taken from the
 * accumulator, the host register every single-output instruction also leaves
 * its result in (so a dependent op skips the store/load through the slot).
 */
#define BC_EIGHT(X, n) X(n##_32) X(n##_64) X(n##I_32) X(n##I_64) \
                       X(n##A_32) X(n##A_64) X(n##AI_32) X(n##AI_64)
#define BC_FOUR(X, n) X(n##_32) X(n##_64) X(n##I_32) X(n##I_64)
#define BC_TWO(X, n)  X(n##_32) X(n##_64)
#define BC_TB_CONDS(X, F) F(X, EQ) F(X, NE) F(X, LT) F(X, GE) F(X, LE) F(X, GT) \
                          F(X, LTU) F(X, GEU) F(X, LEU) F(X, GTU)
#define BC_BRTB_FAM(X, c) BC_FOUR(X, BRTB##c)
#define BC_CMPTB_FAM(X, c) X(CMPTB##c) X(CMPTB##c##I)

#define TCG_BC_LIST(X) \
    X(NOP) X(FRAME) X(MOV) X(MOVI32) X(MOVI64) \
    BC_EIGHT(X, ADD) BC_EIGHT(X, SUB) BC_EIGHT(X, MUL) BC_EIGHT(X, AND) BC_EIGHT(X, OR) \
    BC_EIGHT(X, XOR) BC_EIGHT(X, ANDC) BC_EIGHT(X, ORC) BC_EIGHT(X, SHL) BC_EIGHT(X, SHR) \
    BC_EIGHT(X, SAR) BC_EIGHT(X, ROTL) BC_EIGHT(X, ROTR) BC_EIGHT(X, DIVS) BC_EIGHT(X, DIVU) \
    BC_EIGHT(X, REMS) BC_EIGHT(X, REMU) BC_EIGHT(X, CLZ) BC_EIGHT(X, CTZ) \
    BC_TWO(X, NOT) BC_TWO(X, NEG) BC_TWO(X, EXT8S) BC_TWO(X, EXT8U) BC_TWO(X, EXT16S) \
    BC_TWO(X, EXT16U) BC_TWO(X, BSWAP16) BC_TWO(X, BSWAP32) BC_TWO(X, CTPOP) \
    X(EXT32S) X(EXT32U) X(BSWAP64) X(EXTRH) X(CONCAT) X(LEA_64) \
    BC_FOUR(X, SETCOND) BC_FOUR(X, NEGSETCOND) BC_TWO(X, MOVCOND) \
    BC_EIGHT(X, BREQ) BC_EIGHT(X, BRNE) BC_EIGHT(X, BRLT) BC_EIGHT(X, BRGE) BC_EIGHT(X, BRLE) \
    BC_EIGHT(X, BRGT) BC_EIGHT(X, BRLTU) BC_EIGHT(X, BRGEU) BC_EIGHT(X, BRLEU) BC_EIGHT(X, BRGTU) \
    BC_EIGHT(X, BRTSTEQ) BC_EIGHT(X, BRTSTNE) \
    X(BR) X(BRENVNZ32) X(BRENVZ32) \
    BC_TWO(X, MULU2) BC_TWO(X, MULS2) BC_TWO(X, ADD2) BC_TWO(X, SUB2) \
    BC_TWO(X, DEPOSIT) BC_TWO(X, EXTRACT) BC_TWO(X, SEXTRACT) \
    X(LD8U) X(LD8S_32) X(LD8S_64) X(LD16U) X(LD16S_32) X(LD16S_64) X(LD32U) X(LD32S_64) X(LD64) \
    X(ST8) X(ST16) X(ST32) X(ST64) X(STA32) X(STA64) X(STI32) X(STI64) \
    X(GUEST_LD_32) X(GUEST_LD_64) X(GUEST_ST) \
    X(QLD_UB) X(QLD_UW) X(QLD_UL) X(QLD_UQ) X(QLD_SB_32) X(QLD_SW_32) \
    X(QLD_SB_64) X(QLD_SW_64) X(QLD_SL_64) X(QST_8) X(QST_16) X(QST_32) X(QST_64) \
    X(QLDX_UB) X(QLDX_UW) X(QLDX_UL) X(QLDX_UQ) X(QLDX_SB_32) X(QLDX_SW_32) \
    X(QLDX_SB_64) X(QLDX_SW_64) X(QLDX_SL_64) X(QSTX_8) X(QSTX_16) X(QSTX_32) X(QSTX_64) \
    X(ROTDEP_64) X(ROTDEP_M_64) X(BRSEXTEQ) X(BRSEXTNE) \
    X(ADDZ_64) X(ADDZI_64) X(SUBZ_64) X(SUBZI_64) X(ANDZ_64) X(ANDZI_64) X(ORZ_64) X(ORZI_64) \
    X(XORZ_64) X(XORZI_64) \
    X(ADDD_64) X(ADDDI_64) X(SUBD_64) X(SUBDI_64) X(ANDD_64) X(ANDDI_64) X(ORD_64) X(ORDI_64) \
    X(XORD_64) X(XORDI_64) \
    X(ADDW_64) X(ADDWI_64) X(SUBW_64) X(SUBWI_64) X(ANDW_64) X(ANDWI_64) X(ORW_64) X(ORWI_64) \
    X(XORW_64) X(XORWI_64) \
    X(SUBMOV_64) X(SUBMOVI_64) X(SUBMOVST_64) X(SUBMOVSTI_64) \
    BC_TB_CONDS(X, BC_BRTB_FAM) BC_FOUR(X, BRTBTSTEQ) BC_FOUR(X, BRTBTSTNE) \
    BC_TB_CONDS(X, BC_CMPTB_FAM) \
    X(CALL0) X(CALL1) X(CALL2) X(CALL3) X(CALL4) X(CALL5) X(CALL6) \
    X(GOTO_TB) X(GOTO_TB1) X(GOTO_TB2) X(GOTO_TB3) \
    X(GOTO_TBS) X(GOTO_TBS1) X(GOTO_TBS2) X(GOTO_TBS3) \
    X(EXIT_TB) X(GOTO_PTR) X(LOOKUP_GOTO) X(LOOKUP_GOTO_M) X(MB)

enum {
#define X(n) BC_##n,
    TCG_BC_LIST(X)
#undef X
    BC_COUNT
};

/* Offsets between a family's members, used by the emitter. */
#define BC_FAMILY(base, is64, imm) ((base) + (is64) + 2 * (imm))
#define BC_FAMILY8(base, is64, imm, acc) ((base) + (is64) + 2 * (imm) + 4 * (acc))
/* First conditional-branch family; families follow TCGCond order from EQ. */
#define BC_BRANCH(cond, is64, imm, acc) \
    (BC_BREQ_32 + 8 * ((cond) - 2) + (is64) + 2 * (imm) + 4 * (acc))

/* Block-end branches that leave through goto_tb fields of their own
 * (BRTB: brcond + both goto_tb; CMPTB: x86 cmp flags + that), TCGCond order. */
#define BC_BRTB(cond, is64, imm) (BC_BRTBEQ_32 + 4 * ((cond) - 2) + (is64) + 2 * (imm))
#define BC_CMPTB(cond, imm) (BC_CMPTBEQ + 2 * ((cond) - 2) + (imm))
/* Units before the (8-byte aligned) pair of goto_tb fields: taken, then
 * fall-through. */
#define BC_BRTB_HEAD(imm) ((imm) ? 6 : 5)
#define BC_CMPTB_HEAD(imm) ((imm) ? 16 : 15)

/*
 * Register array placement. A block that starts with `FRAME base` keeps its
 * registers in env itself: slot i is the 8-byte word at env + 8 * i, so
 * 8-byte globals are slots too (read and written in place, no loads or
 * write-backs) and the array proper is CPUState.interp_frame, whose first
 * three words (slots base..base + 2) hold env, 0 and 1. Without FRAME the
 * array is on the interpreter's stack (slots 0-2: env, 0, 1). Only the entry
 * looks at FRAME (and sets those words); chained jumps and goto_ptr skip it.
 */
#define BC_FRAME_LEN 2

/* CALLn flags unit. */
#define BC_CALL_RET_MASK  3   /* TCG_HELPER_RET_* */
#define BC_CALL_MAY_RAISE 4

static inline uint32_t bc_imm32(const uint16_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t bc_imm64(const uint16_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* `BRENVNZ32 exit_request`, the block-entry check, right after FRAME: a
 * chained goto_tb or a goto_ptr does the check itself and jumps past it. The
 * patched goto_tb target then has this bit set. Needs tcg/cpu.h. */
#define BC_ENTRY_CHECK_LEN 5
#define BC_CHAIN_CHECKED 1u
#ifdef TCG_ENV_EXIT_REQUEST_OFFSET
static inline bool bc_is_entry_check(const uint16_t *pc)
{
    return pc[0] == BC_BRENVNZ32 && bc_imm32(pc + 1) == TCG_ENV_EXIT_REQUEST_OFFSET;
}
#endif

uintptr_t tcg_interp_enter(void *env, const void *code);
void tcg_interp_disas(FILE *f, const void *code, size_t size);

#endif
