/*
 * Inside the x86 translator: the per-block DisasContext and the operand,
 * memory, flag and exception emitters that every translate_*.c file uses.
 * translate.c owns the block loop, the emitters and the dispatch; the
 * families are translate_int.c (ALU, shifts, bits, moves), translate_ctl.c
 * (branches, stack), translate_string.c (string ops, port I/O),
 * translate_sys.c (system instructions), translate_sse.c (SSE/MMX) and
 * translate_x87.c (x87). Design: shared/TCG.md "x86 frontend notes".
 */
#ifndef CPU_X86_TRANSLATE_H
#define CPU_X86_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/decode.h"
#include "tcg/frontend.h"
#include "tcg/tcg.h"

/* How the block ends after the current instruction. */
typedef enum X86BlockEnd {
    X86_NEXT = 0,        /* go on translating */
    X86_END_STATIC,      /* rip known: goto_tb to it */
    X86_END_DYNAMIC,     /* rip in the global: lookup and goto_ptr */
    X86_END_EXIT,        /* state changed (hflags, CR0, ...): exit to the loop, no chaining */
    X86_END_NORETURN,    /* an exception was raised unconditionally */
} X86BlockEnd;

#define X86_CC_OP_DYNAMIC (-1)   /* cc_op known only at run time (in the global) */

/* insn_start's second word: the static cc_op, or this when it is dynamic. */
#define X86_INSN_CC_OP_DYNAMIC 0xffffffffu

/*
 * A rotate by a static count leaves SF, ZF, AF and PF as the last flag
 * producer set them and takes CF and OF from its result. Instead of making
 * EFLAGS literal (a helper call), the translator keeps that producer's lazy
 * state (cc_op, cc_dst, cc_src) and puts the rotate's result in cc_src2:
 * "rotate pending". It lasts only over instructions that neither read the
 * flags nor touch the cc globals before their last fault (x86_insn_keeps_rot):
 * before any other the flags are made literal ahead of its insn_start; the
 * next flag producer just drops it. insn_start's word carries these bits
 * beside the producer's cc_op, and x86_restore_cc_op() computes the flags
 * when a fault lands there. Not with ADC/SBB (they use cc_src2).
 */
#define X86_CC_ROT_PENDING (1u << 16)
#define X86_CC_ROT_LEFT    (1u << 17)   /* ROL; else ROR */
#define X86_CC_ROT_SIZE_SHIFT 18        /* log2 of the operand size in bytes, 2 bits */
#define X86_CC_OP_MASK     0xffffu

typedef struct DisasContext {
    CPUState *cpu;
    X86CPU *x86;
    TranslationBlock *tb;
    uint32_t hflags;        /* tb->flags */
    uint64_t cs_base;
    uint64_t pc;            /* rip of the current instruction */
    uint64_t next_pc;       /* rip after it */
    X86Insn insn;           /* the decoded current instruction */
    unsigned code_size;     /* default operand/address size of the code: 2, 4, 8 */
    int mmu_idx;            /* X86_MMU_USER / X86_MMU_SUPER for the CPL */
    int cc_op;              /* statically known CCOp, or X86_CC_OP_DYNAMIC */
    X86BlockEnd end;
    int num_insns;

    /* Added by the core translator. */
    bool cc_op_dirty;       /* cc_op static and not yet stored in the global */
    TCGv_i64 cc_srcT;       /* TB temp: first operand of the last SUB/CMP (valid while
                               cc_op is a static SUB) */
    bool code64;            /* 64-bit mode */
    bool notflat;           /* X86_HF_NOTFLAT outside 64-bit mode: checked segment accesses */
    unsigned stack_size;    /* width of the stack pointer: 2, 4 or 8 */
    bool no_chain;          /* every exit goes through the exec loop (TF, shadow, ...) */
    bool end_shadow;        /* block started in an interrupt shadow or with RF: clear at exit */
    bool single_step;       /* EFLAGS.TF at block start: #DB trap after the instruction */
    bool no_step_trap;      /* the instruction delivered an event: no TF trap after it */
    uint64_t page_start;    /* linear address of the block's first page */
    uint32_t cs_limit;      /* CS limit at translation time (outside 64-bit mode) */
    int jmp_slots_used;     /* goto_tb slots taken (bit mask) */
    uint32_t rot;           /* X86_CC_ROT_* bits of a pending rotate over cc_op, or 0 */
    int cc_op_guess;        /* until the first flag producer: the cc_op the CPU had when
                               the block was translated, the likely one at run time (a
                               guess: checked where used), else X86_CC_OP_DYNAMIC */
} DisasContext;

/* IR globals (created by the frontend's init_globals). */
extern TCGv_i64 x86_reg[16];                 /* RAX..R15 */
extern TCGv_i64 x86_rip;
extern TCGv_i64 x86_cc_dst, x86_cc_src, x86_cc_src2;
extern TCGv_i32 x86_cc_op;
extern TCGv_i64 x86_df;                      /* +1 / -1 (X86CPU.df) */

/* Create the globals above (once per translating thread). */
void x86_translate_init_globals(void);
/* The block loop: emit IR for tb (TCGFrontend.translate). */
void x86_translate_block(CPUState *cpu, TranslationBlock *tb, int max_insns);

/* ---- operands ---- */
/* Value of a general register of `size` bytes (1, 2, 4, 8), zero-extended;
 * handles AH/CH/DH/BH (reg class X86_RC_GPR8H). */
void x86_gen_reg_read(DisasContext *s, TCGv_i64 dst, const X86Operand *op, unsigned size);
/* Write with the x86 rule: 32-bit writes zero the upper half, 8/16-bit
 * writes merge. */
void x86_gen_reg_write(DisasContext *s, const X86Operand *op, unsigned size, TCGv_i64 value);
/* Same, by register number (0-15; no AH..BH). */
void x86_gen_gpr_write(int reg, unsigned size, TCGv_i64 value);
/* Linear address of a memory operand: segment base (when not known zero),
 * displacement, base, index*scale, RIP-relative; truncated to the address
 * size; limit checks where the hflags say segments are not flat (the
 * operand's size is the size checked, 1 when unsized). */
void x86_gen_lea(DisasContext *s, TCGv_i64 dst, const X86Operand *mem, bool with_segment);
/* The linear address of a memory operand as x86_gen_lea computes it (with
 * the segment), without a copy where possible: a constant for a static
 * address, the base register's global for [reg] (valid until the
 * instruction writes it), else computed into scratch. */
TCGv_i64 x86_gen_addr_value(DisasContext *s, const X86Operand *mem, TCGv_i64 scratch);
/* x86_gen_lea with rSP read as rSP + adj (POP [rSP+...] uses the popped rSP). */
void x86_gen_lea_rsp_adjust(DisasContext *s, TCGv_i64 dst, const X86Operand *mem, int64_t adj);
/* The effective address (offset, no segment) of the current insn's memory
 * operand, truncated to the address size. */
void x86_gen_ea(DisasContext *s, TCGv_i64 dst);
/* Flags as literal EFLAGS bits into dst, without touching the globals (for
 * instructions that may still fault after computing them). */
void x86_gen_eflags_to(DisasContext *s, TCGv_i64 dst);
/* Offset (effective address) -> linear address for segment `seg` and an
 * access of `size` bytes: base, 32-bit wrap, limit check when not flat. */
void x86_gen_add_seg(DisasContext *s, TCGv_i64 addr, int seg, unsigned size);
/* Guest memory through the softmmu fast path (mmu_idx from s). */
void x86_gen_ld(DisasContext *s, TCGv_i64 dst, TCGv_i64 linear, TCGMemOp mop);
void x86_gen_st(DisasContext *s, TCGv_i64 src, TCGv_i64 linear, TCGMemOp mop);
/* Load/store a whole operand (register or memory) of `size` bytes. */
void x86_gen_operand_load(DisasContext *s, TCGv_i64 dst, const X86Operand *op, unsigned size);
void x86_gen_operand_store(DisasContext *s, const X86Operand *op, unsigned size, TCGv_i64 v);
/* The immediate an X86_OPT_IMM operand names (imm, or imm2 for the second). */
int64_t x86_operand_imm(const DisasContext *s, const X86Operand *op);
/* An operand's value for a computation, without a copy where possible: a
 * constant for an immediate, the register global itself for a general
 * register read whole (size 8, or any size when `raw`: only the low `size`
 * bytes of the result count), else loaded into scratch. A global returned
 * is valid until the instruction writes that register. */
TCGv_i64 x86_gen_operand_value(DisasContext *s, const X86Operand *op, unsigned size, bool raw,
                               TCGv_i64 scratch);
/* dst = low `size` bytes of src, zero- or sign-extended to 64 bits. */
void x86_gen_ext(TCGv_i64 dst, TCGv_i64 src, unsigned size, bool sign);
static inline TCGMemOp x86_mo(unsigned size)
{
    return size == 1 ? MO_8 : size == 2 ? MO_16 : size == 4 ? MO_32 : MO_64;
}

/* ---- stack ---- */
/* Push `size` bytes (2, 4, 8) at SS:rSP - size, then update rSP. */
void x86_gen_push(DisasContext *s, TCGv_i64 val, unsigned size);
/* Load the value at the top of the stack (at SS:rSP + offset) without popping. */
void x86_gen_pop_load(DisasContext *s, TCGv_i64 dst, unsigned size, unsigned offset);
/* rSP += n with the stack-size wrap rule. */
void x86_gen_sp_add(DisasContext *s, int64_t n);

/* ---- flags ---- */
/* Record that the last flag-setting operation was `cc_op` with operands
 * already moved into x86_cc_dst/src/src2 (static tracking within a block). */
void x86_gen_set_cc_op(DisasContext *s, int cc_op);
/* Store a static cc_op into the global (before helpers that read it, exits). */
void x86_gen_update_cc_op(DisasContext *s);
/* Make EFLAGS' arithmetic bits literal (cc_op = CC_OP_EFLAGS, flags in cc_src). */
void x86_gen_compute_eflags(DisasContext *s);
/* dst = CF (0/1) of the current flags. */
void x86_gen_compute_cf(DisasContext *s, TCGv_i64 dst);
/* The same for INC/DEC/ADC/SBB, which need CF before anything else: with a
 * dynamic cc_op it checks the guessed cc_op and computes CF inline, calling
 * the helper only when the guess is wrong. It emits labels, so the caller
 * may hold no EBB temp with a live value (dst is written last). */
void x86_gen_compute_cf_first(DisasContext *s, TCGv_i64 dst);
/* dst = literal flags f with CF and OF as a rotate (left or right, of
 * `bits`) with result r (zero-extended) sets them. */
void x86_gen_rot_flags(TCGv_i64 dst, TCGv_i64 f, TCGv_i64 r, bool left, unsigned bits);
/* Can a rotate by a static count that just wrote its result leave the flags
 * pending (see X86_CC_ROT_PENDING)? Then x86_gen_rot_pending records it. */
bool x86_rot_can_pend(const DisasContext *s);
void x86_gen_rot_pending(DisasContext *s, TCGv_i64 r, bool left, unsigned size);
/* Restore cc_op (and the flags of a pending rotate) from insn_start's word:
 * the frontend's restore_state calls this. */
void x86_restore_cc_op(X86CPU *cpu, uint64_t word);
/* May a pending rotate stay pending across this instruction? Only for those
 * that read no flags, call no helper that reads them and write the cc
 * globals after their last possible fault (translate_int.c); before any
 * other the flags are made literal, ahead of its insn_start. */
bool x86_insn_keeps_rot(const X86Insn *in);
/* dst = 1 if condition code `cc` (0-15, as in Jcc) holds, else 0. */
void x86_gen_condition(DisasContext *s, TCGv_i64 dst, unsigned cc);
/* Condition code `cc` as one comparison: cond(a, b). a and b are EBB temps or
 * constants, valid until the next label. */
typedef struct X86Cond {
    TCGCond cond;
    TCGv_i64 a, b;
} X86Cond;
X86Cond x86_prepare_cc(DisasContext *s, unsigned cc);

/* ---- control ---- */
/* Raise `vector` at the current instruction (state restored precisely). */
void x86_gen_exception(DisasContext *s, int vector, uint32_t error_code);
/* #UD at the current instruction, logged under -d unimp when `unimplemented`. */
void x86_gen_illegal(DisasContext *s, bool unimplemented);
/* #NM if CR0.TS (or EM for x87), as the instruction family requires:
 * returns false if it emitted the exception (caller stops). */
bool x86_gen_check_fpu_available(DisasContext *s, bool is_sse);
/* End the block with a jump to `eip` (goto_tb slot chosen here). */
void x86_gen_jmp(DisasContext *s, uint64_t eip);
/* Jump to `eip` through goto_tb slot `slot` (or the loop when chaining is off). */
void x86_gen_goto_tb(DisasContext *s, unsigned slot, uint64_t eip);
/* Leave the block with rip already in the global: lookup + goto_ptr. */
void x86_gen_jmp_dynamic(DisasContext *s);
/* Leave the block for the exec loop (rip already in the global). */
void x86_gen_exit_loop(DisasContext *s);
/* Store `eip` into the rip global. */
void x86_gen_set_rip(DisasContext *s, uint64_t eip);
/* Mask a rip value to the operand size of a near transfer (2, 4, 8). */
uint64_t x86_mask_rip(unsigned opsize, uint64_t eip);

/* ---- the instruction families ---- */
/* Each returns true if the instruction was theirs (translated or raised #UD). */
bool x86_translate_int(DisasContext *s);     /* translate_int.c: ALU, mul/div, bits */
bool x86_translate_shift(DisasContext *s);   /* translate_shift.c: shifts, rotates, SHLD/SHRD */
bool x86_translate_ctl(DisasContext *s);     /* translate_ctl.c: branches, stack, moves */
bool x86_translate_string(DisasContext *s);  /* translate_string.c: string ops, I/O */
bool x86_translate_sys(DisasContext *s);     /* translate_sys.c: system instructions */
bool x86_translate_sse(DisasContext *s);
bool x86_translate_x87(DisasContext *s);

/* Register numbers and operand access shortcuts for the current insn. */
static inline const X86Operand *x86_op(DisasContext *s, int i) { return &s->insn.op[i]; }

#endif
