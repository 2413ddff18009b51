/*
 * Private to the x86-64 backend: host registers, the code generator's state
 * for one block, the instruction encoder (emit.c) and the register allocator
 * (regalloc.c) used by the op emitters (codegen.c). Encodings follow the
 * Intel SDM vol. 2 (REX, ModRM/SIB, VEX for BMI1/BMI2).
 */
#ifndef MIMIC_TCG_X86_64_INTERNAL_H
#define MIMIC_TCG_X86_64_INTERNAL_H

#if defined(__x86_64__)

#include <stdbool.h>
#include <stdint.h>

#include "../backend.h"
#include "../helper.h"
#include "../tcg.h"
#include "backend.h"

/* ---- host registers ---- */
enum {
    X_RAX, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI,
    X_R8, X_R9, X_R10, X_R11, X_R12, X_R13, X_R14, X_R15,
};
#define X_NREGS 16
#define X_RIP   (-2)        /* memory operand base: rip-relative */
#define X_NOIDX (-1)        /* memory operand without index */
#define X_ENV   X_RBP       /* env lives here for the generated code's whole life */
#define RM(r)   ((uint16_t)(1u << (r)))
#define X_ALLOCATABLE ((uint16_t)(0xffffu & ~RM(X_RSP) & ~RM(X_RBP)))
#define X_CALLER_SAVED (RM(X_RAX) | RM(X_RCX) | RM(X_RDX) | RM(X_RSI) | RM(X_RDI) | \
                        RM(X_R8) | RM(X_R9) | RM(X_R10) | RM(X_R11))
#define X_CALLEE_SAVED ((uint16_t)(X_ALLOCATABLE & ~X_CALLER_SAVED))
#define X_ANY ((uint16_t)(X_ALLOCATABLE | RM(X_ENV)))   /* inputs: env may stay in rbp */

/* ---- stack frame set up by tcg_x86_64_enter (rsp-relative, 16-byte aligned) ---- */
#define X64_SAVE_SLOTS   16     /* slow paths save live caller-saved registers here */
#define X64_SPILL_SLOTS  1024   /* TB temps and spilled EBB temps; more: TCG_GEN_TOO_BIG */
#define X64_SAVE_OFF     0
#define X64_SPILL_OFF    (8 * X64_SAVE_SLOTS)
#define X64_FRAME_SIZE   (8 * (X64_SAVE_SLOTS + X64_SPILL_SLOTS) + 8)  /* + 6 pushes: aligned */
/* No op emits more than this; checked before each op so writes stay inside buf. */
#define X64_MAX_OP_BYTES 1024

/* ---- encoder: opcode word = opcode byte | prefix flags ---- */
enum {
    P_EXT     = 0x100,     /* 0x0f escape */
    P_EXT38   = 0x200,     /* 0x0f 0x38 */
    P_EXT3A   = 0x400,     /* 0x0f 0x3a */
    P_DATA16  = 0x800,     /* 0x66 operand size */
    P_REXW    = 0x1000,    /* 64-bit operand size */
    P_REXB_R  = 0x2000,    /* ModRM.reg is a byte register (spl..dil need REX) */
    P_REXB_RM = 0x4000,    /* ModRM.rm is a byte register */
    P_F3      = 0x8000,
    P_F2      = 0x10000,
};

enum {   /* group-1 arithmetic: ModRM.reg extension and the op's own opcode base */
    ARITH_ADD = 0, ARITH_OR = 1, ARITH_ADC = 2, ARITH_SBB = 3,
    ARITH_AND = 4, ARITH_SUB = 5, ARITH_XOR = 6, ARITH_CMP = 7,
};
enum { SHIFT_ROL = 0, SHIFT_ROR = 1, SHIFT_SHL = 4, SHIFT_SHR = 5, SHIFT_SAR = 7 };
enum { GRP3_TEST = 0, GRP3_NOT = 2, GRP3_NEG = 3, GRP3_MUL = 4, GRP3_IMUL = 5,
       GRP3_DIV = 6, GRP3_IDIV = 7 };
/* x86 condition codes (low nibble of Jcc/SETcc/CMOVcc). */
enum { CC_O = 0, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
       CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G };

#define OPC_ARITH_GvEv  0x03    /* | ext << 3 */
#define OPC_ARITH_EvIz  0x81
#define OPC_ARITH_EvIb  0x83
#define OPC_MOVB_EvGv   0x88
#define OPC_MOVL_EvGv   0x89
#define OPC_MOVL_GvEv   0x8b
#define OPC_LEA         0x8d
#define OPC_MOVL_Iv     0xb8
#define OPC_MOVB_EvIb   0xc6
#define OPC_MOVL_EvIz   0xc7
#define OPC_SHIFT_Ib    0xc1
#define OPC_SHIFT_1     0xd1
#define OPC_SHIFT_cl    0xd3
#define OPC_GRP3_Eb     0xf6
#define OPC_GRP3_Ev     0xf7
#define OPC_GRP5        0xff
#define OPC_TESTL       0x85
#define OPC_XCHG        0x87
#define OPC_MOVSLQ      (0x63 | P_REXW)
#define OPC_IMUL_GvEvIz 0x69
#define OPC_IMUL_GvEvIb 0x6b
#define OPC_IMUL_GvEv   (0xaf | P_EXT)
#define OPC_MOVZBL      (0xb6 | P_EXT)
#define OPC_MOVZWL      (0xb7 | P_EXT)
#define OPC_MOVSBL      (0xbe | P_EXT)
#define OPC_MOVSWL      (0xbf | P_EXT)
#define OPC_BSF         (0xbc | P_EXT)
#define OPC_BSR         (0xbd | P_EXT)
#define OPC_TZCNT       (0xbc | P_EXT | P_F3)
#define OPC_LZCNT       (0xbd | P_EXT | P_F3)
#define OPC_POPCNT      (0xb8 | P_EXT | P_F3)
#define OPC_BSWAP       (0xc8 | P_EXT)
#define OPC_SETCC       (0x90 | P_EXT)
#define OPC_CMOVCC      (0x40 | P_EXT)
#define OPC_JCC_long    (0x80 | P_EXT)
#define OPC_JCC_short   0x70
#define OPC_JMP_long    0xe9
#define OPC_JMP_short   0xeb
#define OPC_CALL_Jz     0xe8
/* VEX-encoded (BMI1/BMI2); operand order in the helpers below. */
#define OPC_ANDN        (0xf2 | P_EXT38)
#define OPC_SHLX        (0xf7 | P_EXT38 | P_DATA16)
#define OPC_SARX        (0xf7 | P_EXT38 | P_F3)
#define OPC_SHRX        (0xf7 | P_EXT38 | P_F2)
#define OPC_RORX        (0xf0 | P_EXT3A | P_F2)

/* ---- per-temp allocator state, kept in TCGTemp.be_* ---- */
enum { VAL_DEAD = 0, VAL_REG = 1, VAL_MEM = 2, VAL_CONST = 3 };
/* be_state: VAL_* | flags */
#define TS_VAL_MASK  3u
#define TS_COHERENT  4u        /* the memory slot holds the current value */

/* A global whose memory copy is stale at a guest access. Only the slow path
 * can fault or look at the CPU state, so it stores these before its call and
 * the fast path never pays for them. */
typedef struct X64DirtyGlobal {
    int32_t disp;              /* field offset from env */
    int8_t reg;                /* register holding the value, or -1: the constant val */
    bool wide;                 /* an 8-byte field (else 4) */
    uint64_t val;
} X64DirtyGlobal;

typedef struct X64SlowPath {
    struct X64SlowPath *next;
    X64DirtyGlobal *dirty;     /* to store before the call */
    unsigned n_dirty;
    uint32_t jcc_field;        /* rel32 of the fast path's jne, patched to the slow path */
    uint32_t retaddr_off;      /* passed as retaddr: just after the jne, inside the insn */
    uint32_t resume_off;       /* where the fast path continues after the access */
    uint64_t val_const;        /* store value when val_reg < 0 */
    uint32_t oi;               /* TCG_MEMOP_IDX(memop, mmu) */
    uint16_t save_mask;        /* caller-saved registers live across the access */
    int8_t addr_reg, val_reg, out_reg;
    bool is_load, is64;
} X64SlowPath;

typedef struct X64Gen {
    TCGContext *s;
    TCGCodeInfo *info;
    uint8_t *buf, *ptr, *end;
    ptrdiff_t rx_diff;
    bool too_big;
    unsigned features;         /* TCG_X86_64_* usable for this block */
    unsigned n_insns;
    /* registers */
    int16_t reg_owner[X_NREGS];/* temp index, -1 none */
    uint16_t free_regs;        /* allocatable and not owned */
    uint16_t locked;           /* in use by the current op: never evicted or reallocated */
    uint16_t reserved;         /* the current op clobbers or needs these: allocate elsewhere */
    /* spill slots: TB temps keep theirs for the block, EBB slots are recycled */
    unsigned nslots, nfree_slots;
    uint16_t free_slots[X64_SPILL_SLOTS];
    unsigned n_ebb_slotted;
    int32_t ebb_slotted[X64_SPILL_SLOTS];
    /* VAL_CONST value of temps that are not TCG_TEMP_CONST */
    uint64_t cval[TCG_MAX_TEMPS];
    /* temps made VAL_CONST since the last label */
    unsigned clist_n;
    int32_t clist[TCG_MAX_TEMPS];
    X64SlowPath *slow_first, **slow_tail;
    TCGLabel *epilogue;        /* exit_tb / goto_ptr(NULL) jump here */
    /* The current I64 op is computed in 32 bits: only its low half is used,
     * zero-extended by the next op (codegen.c, narrow_ok). */
    bool narrow;
    /* Per temp: its current value has bits 63..32 clear (codegen.c,
     * note_zext), so ext32u/extrl of it are moves. */
    uint8_t zx[TCG_MAX_TEMPS];
} X64Gen;

/* ---- emit.c: instruction encoder ---- */
static inline uint32_t x64_off(const X64Gen *g) { return (uint32_t)(g->ptr - g->buf); }
static inline void x64_byte(X64Gen *g, unsigned b) { *g->ptr++ = (uint8_t)b; }
void x64_u16(X64Gen *g, uint16_t v);
void x64_u32(X64Gen *g, uint32_t v);
void x64_u64(X64Gen *g, uint64_t v);
/* Prefixes, REX and opcode bytes; r/rm/x are the registers that go in ModRM.reg,
 * ModRM.rm (or SIB.base) and SIB.index (-1 for none). */
void x64_opc(X64Gen *g, unsigned opc, int r, int rm, int x);
void x64_op_rr(X64Gen *g, unsigned opc, int r, int rm);                /* register form */
void x64_op_rm(X64Gen *g, unsigned opc, int r, int base, int32_t disp); /* [base + disp] */
void x64_op_rmx(X64Gen *g, unsigned opc, int r, int base, int index, int shift, int32_t disp);
void x64_vex_rrr(X64Gen *g, unsigned opc, bool is64, int r, int v, int rm);

void x64_mov_rr(X64Gen *g, bool is64, int dst, int src);   /* elided when a no-op */
/* Load a constant; may use xor (clobbers flags) unless keep_flags. */
void x64_movi(X64Gen *g, bool is64, int dst, uint64_t val, bool keep_flags);
void x64_arith_rr(X64Gen *g, int ext, bool is64, int dst, int src);
void x64_arith_ri(X64Gen *g, int ext, bool is64, int dst, int32_t imm);
void x64_arith_rm(X64Gen *g, int ext, bool is64, int dst, int base, int32_t disp);
void x64_shift_ri(X64Gen *g, int ext, bool is64, int dst, unsigned n);
void x64_shift_rcl(X64Gen *g, int ext, bool is64, int dst);
void x64_grp3(X64Gen *g, int ext, bool is64, int r);
void x64_test_rr(X64Gen *g, bool is64, int a, int b);
void x64_test_ri(X64Gen *g, bool is64, int r, int32_t imm);
void x64_lea(X64Gen *g, bool is64, int dst, int base, int index, int32_t disp);
void x64_lea_rip(X64Gen *g, int dst, uint32_t target_off);   /* lea dst, [code + target_off] */
void x64_load(X64Gen *g, unsigned opc, int dst, int base, int index, int32_t disp);
void x64_store(X64Gen *g, unsigned size_log2, int src, int base, int index, int32_t disp);
void x64_store_imm(X64Gen *g, unsigned size_log2, int32_t imm, int base, int index, int32_t disp);
void x64_setcc(X64Gen *g, int cc, int r);
void x64_cmov(X64Gen *g, int cc, bool is64, int dst, int src);
void x64_bswap(X64Gen *g, bool is64, int r);
void x64_rol16_8(X64Gen *g, int r);            /* swap the two low bytes */
void x64_push(X64Gen *g, int r);
void x64_pop(X64Gen *g, int r);
void x64_nop(X64Gen *g, unsigned n);           /* n bytes of padding, n <= 8 */
void x64_mfence(X64Gen *g);
void x64_ret(X64Gen *g);
void x64_jmp_reg(X64Gen *g, int r);
void x64_call_abs(X64Gen *g, uintptr_t target);   /* call rel32 when reachable, else via rax */
/* Jumps to a code offset known now (backward: rel8 when it fits). */
void x64_jcc_to(X64Gen *g, int cc, uint32_t target_off);
void x64_jmp_to(X64Gen *g, uint32_t target_off);
/* Jumps to a label (relocated when it is placed); cc < 0: unconditional. */
void x64_jump_label(X64Gen *g, int cc, TCGLabel *l);
void x64_label_place(X64Gen *g, TCGLabel *l);
/* rel32 field at `field` (relative to field + 4) points to target_off. */
void x64_patch_rel32(X64Gen *g, uint32_t field, uint32_t target_off);

/* ---- regalloc.c: register allocation over the IR's temps ---- */
void x64_ra_block_start(X64Gen *g);
void x64_ra_op_start(X64Gen *g);
static inline TCGTemp *x64_temp(X64Gen *g, TCGArg a) { return &g->s->temps[a]; }
static inline int x64_temp_index(X64Gen *g, const TCGTemp *ts) { return (int)(ts - g->s->temps); }
/* A known constant (interned constant, or a temp last set from one)? */
static inline bool x64_ra_const(X64Gen *g, TCGTemp *ts, uint64_t *val)
{
    if (ts->kind == TCG_TEMP_CONST) {
        *val = ts->val;
        return true;
    }
    if ((ts->be_state & TS_VAL_MASK) == VAL_CONST) {
        *val = g->cval[x64_temp_index(g, ts)];
        return true;
    }
    return false;
}
/* Bit i set: op's input i (args[nb_oargs + i]) dies at op. */
static inline unsigned x64_dead_inputs(const TCGOp *op)
{
    return ((unsigned)op->life >> op->nb_oargs) & ((1u << op->nb_iargs) - 1);
}
bool x64_ra_dies_slow(X64Gen *g, const TCGOp *op, TCGTemp *ts);
/* Does the temp's value die at this op (not needed after it)? */
static inline bool x64_ra_dies(X64Gen *g, const TCGOp *op, TCGTemp *ts)
{
    if (ts->kind == TCG_TEMP_CONST) {
        return true;                 /* rematerializable: its register can always go */
    }
    if (ts->kind == TCG_TEMP_FIXED || !x64_dead_inputs(op)) {
        return false;
    }
    return x64_ra_dies_slow(g, op, ts);
}
int x64_ra_in_slow(X64Gen *g, TCGTemp *ts, uint16_t allowed);
/* Input in some register of `allowed`; locked for the op. */
static inline int x64_ra_in(X64Gen *g, TCGTemp *ts, uint16_t allowed)
{
    if ((ts->be_state & TS_VAL_MASK) == VAL_REG && ts->kind != TCG_TEMP_FIXED &&
        (allowed & RM(ts->be_reg))) {
        g->locked |= RM(ts->be_reg);
        return ts->be_reg;
    }
    return x64_ra_in_slow(g, ts, allowed);
}
/* Is the value only in memory (not in a register, not a constant)? Where. */
bool x64_ra_in_memory(X64Gen *g, TCGTemp *ts, int *base, int32_t *disp);
/* Input value in exactly `reg`. If `clobbered`, reg is only a copy (the op overwrites it). */
int x64_ra_in_fixed(X64Gen *g, TCGTemp *ts, int reg, bool clobbered);
/* A free register from allowed (evicting if needed), locked, owned by nobody. */
int x64_ra_scratch(X64Gen *g, uint16_t allowed);
/* The op overwrites reg: its owner moves elsewhere unless it dies here. Locks reg. */
void x64_ra_clobber(X64Gen *g, const TCGOp *op, int reg);
/* Register for an output computed in place from input temp `in` held in in_reg:
 * reuses in_reg when the input dies here (and, if exclusive, it is no other input),
 * else a fresh register from allowed, loaded with a copy when `copy`. */
int x64_ra_out_alias(X64Gen *g, const TCGOp *op, TCGTemp *in, int in_reg, uint16_t allowed,
                     bool is64, bool exclusive, bool copy);
/* After emission: free dead inputs, give outputs their registers, then sync/free
 * outputs per the op's life bits. out_regs[i] for output i. */
void x64_ra_op_end(X64Gen *g, const TCGOp *op, const int *out_regs);
/* Output i of op becomes the constant val (no code unless it must be synced). */
void x64_ra_out_const(X64Gen *g, const TCGOp *op, int i, uint64_t val);
/* discard: the value is dead (a global is not written back). */
void x64_ra_discard(X64Gen *g, TCGTemp *ts);
/* Store a global or TB temp's value to memory if it is not there yet. */
void x64_ra_sync(X64Gen *g, TCGTemp *ts);
/* The globals whose memory is stale right now (arena array; emits nothing). */
unsigned x64_ra_dirty_globals(X64Gen *g, X64DirtyGlobal **out);
/* Everything that must be in memory at a basic block boundary (globals, and TB temps
 * if tb_temps); counts values liveness should have synced already. */
void x64_ra_sync_all(X64Gen *g, bool tb_temps);
/* Forget all registers (a label: the state arriving by branches is "all in memory"). */
void x64_ra_forget_all(X64Gen *g);
/* Move the owner of reg to a register outside `avoid`, or spill it. */
void x64_ra_evict(X64Gen *g, int reg, uint16_t avoid);
/* Before a helper call: free every caller-saved register (dying values dropped). */
void x64_ra_call_clobber(X64Gen *g, const TCGOp *op);
/* After a call that may write globals: their registers are stale. */
void x64_ra_drop_globals(X64Gen *g);
/* Owned registers in mask (for slow paths to preserve). */
uint16_t x64_ra_owned(X64Gen *g, uint16_t mask);

/* ---- ldst.c: guest_ld / guest_st ---- */
void x64_gen_guest_ld(X64Gen *g, const TCGOp *op);
void x64_gen_guest_st(X64Gen *g, const TCGOp *op);
/* Out-of-line part of one access, emitted after the block's ops. */
void x64_emit_slow_path(X64Gen *g, const X64SlowPath *p);

/* tcg_x86_64_enter (assembly in codegen.c). */
uintptr_t tcg_x86_64_enter(void *env, const void *code);

#endif
#endif
