/*
 * x86 instruction decoder: bytes -> one instruction form of cpu/x86/decode.def
 * plus its decoded operands. Reference: Intel SDM vol. 2 ch. 2 (instruction
 * format) and appendix A (opcode maps). Legacy, REX and the 0F/0F38/0F3A maps,
 * x87, MMX and SSE..SSE4.2; VEX/EVEX/XOP and 3DNow! are reported, not decoded.
 */
#ifndef MIMIC_CPU_X86_DECODE_H
#define MIMIC_CPU_X86_DECODE_H

#include <stdint.h>

/* The architectural upper bound on an instruction's length (SDM 2.1.1). */
#define X86_MAX_INSN_LEN 15
#define X86_MAX_OPERANDS 3

/* Instruction ids, one per line of decode.def. */
typedef enum X86InsnId {
    X86_INSN_INVALID,
#define X86_FORM(id, ...) X86_INSN_##id,
#include "decode.def"
#undef X86_FORM
    X86_INSN_COUNT
} X86InsnId;

/* Default operand/address size of the code segment: CS.D=0, CS.D=1, CS.L=1. */
typedef enum X86DecodeMode {
    X86_MODE_16 = 16,
    X86_MODE_32 = 32,
    X86_MODE_64 = 64,
} X86DecodeMode;

/* x86_decode() results. Everything but OK and TOO_LONG raises #UD. After
 * UD_LOCK and UD_OPERAND, len is the whole instruction's length. */
typedef enum X86DecodeStatus {
    X86_DECODE_OK = 0,
    X86_DECODE_UD,          /* undefined opcode or ModRM form */
    X86_DECODE_UD_LOCK,     /* LOCK on a form that is not lockable / register dest */
    X86_DECODE_UD_MODE,     /* form invalid in this mode (e.g. PUSH ES in 64-bit) */
    X86_DECODE_UD_VEX,      /* VEX/EVEX/XOP prefix or 3DNow!: not supported */
    X86_DECODE_UD_OPERAND,  /* CR1, DR8, segment register 6/7, MOV to CS */
    X86_DECODE_TOO_LONG,    /* more than 15 bytes: #GP(0) */
} X86DecodeStatus;

/* Form attributes (X86FormInfo.attrs, X86Insn.attrs). */
enum {
    X86_ATTR_LOCK   = 1u << 0,  /* LOCK allowed when the destination is memory */
    X86_ATTR_REP    = 1u << 1,  /* string op honouring REP (F3) */
    X86_ATTR_REPcc  = 1u << 2,  /* string op honouring REPE (F3) / REPNE (F2) */
    X86_ATTR_CF     = 1u << 3,  /* changes control flow: ends a translation block */
    X86_ATTR_PRIV   = 1u << 4,  /* #GP unless CPL 0 */
    X86_ATTR_IOPL   = 1u << 5,  /* checked against IOPL (I/O, CLI/STI) */
    X86_ATTR_I64    = 1u << 6,  /* invalid in 64-bit mode */
    X86_ATTR_O64    = 1u << 7,  /* valid only in 64-bit mode */
    X86_ATTR_D64    = 1u << 8,  /* 64-bit default operand size in 64-bit mode (66 -> 16) */
    X86_ATTR_F64    = 1u << 9,  /* operand size forced to 64 in 64-bit mode */
    X86_ATTR_W1     = 1u << 10, /* form chosen only with REX.W=1 */
    X86_ATTR_SERIAL = 1u << 11, /* serializing / may change CPU mode: end the block */
    X86_ATTR_NOP    = 1u << 12, /* architectural no-op (hint NOPs, prefetches, fences) */
};

/* CPUID feature a form needs; the translator raises #UD when not advertised. */
typedef enum X86Feature {
    X86_FEAT_BASE, X86_FEAT_X87, X86_FEAT_CMOV, X86_FEAT_CX8, X86_FEAT_CX16,
    X86_FEAT_MSR, X86_FEAT_TSC, X86_FEAT_RDTSCP, X86_FEAT_SEP, X86_FEAT_SYSCALL,
    X86_FEAT_LM, X86_FEAT_MMX, X86_FEAT_SSE, X86_FEAT_SSE2, X86_FEAT_SSE3,
    X86_FEAT_SSSE3, X86_FEAT_SSE4_1, X86_FEAT_SSE4_2, X86_FEAT_SSE4A, X86_FEAT_POPCNT,
    X86_FEAT_LZCNT, X86_FEAT_BMI1, X86_FEAT_BMI2, X86_FEAT_MOVBE, X86_FEAT_FXSR,
    X86_FEAT_XSAVE, X86_FEAT_XSAVEOPT, X86_FEAT_XSAVEC, X86_FEAT_XSAVES, X86_FEAT_CLFSH,
    X86_FEAT_CLFLUSHOPT, X86_FEAT_CLWB, X86_FEAT_MONITOR, X86_FEAT_RDRAND,
    X86_FEAT_RDSEED, X86_FEAT_RDPID, X86_FEAT_AES, X86_FEAT_PCLMUL, X86_FEAT_SHA,
    X86_FEAT_ADX, X86_FEAT_FSGSBASE, X86_FEAT_SMAP, X86_FEAT_INVPCID, X86_FEAT_PKU,
    X86_FEAT_VMX, X86_FEAT_SVM, X86_FEAT_RTM, X86_FEAT_PREFETCHW, X86_FEAT_CET_IBT,
    X86_FEAT_SERIALIZE, X86_FEAT_CLZERO, X86_FEAT_MONITORX, X86_FEAT_RDPRU,
    X86_FEAT_LAHF_LM, X86_FEAT_WBNOINVD, X86_FEAT_WAITPKG,
    X86_FEAT_COUNT
} X86Feature;

/* Operand kinds, in the SDM appendix A notation (see decode.def). */
/*
 * Operand kinds in the SDM appendix A notation: K(name, class, size, fixed reg).
 * Classes: E = ModRM r/m GPR or memory, G = ModRM reg GPR, R = r/m GPR register
 * form only, M = r/m memory only, RM = r/m 32-bit GPR or memory of the size,
 * I = immediate, J = relative branch, O = moffs, A = far pointer, Z = GPR in
 * the opcode's low 3 bits (+REX.B), SW = segment register in ModRM reg, SEG /
 * FIX = a fixed segment / general register, CR / DR = ModRM reg, X / Y =
 * DS:rSI / ES:rDI, P / Q / N = MMX (reg, r/m, r/m register only), V / W / U =
 * XMM likewise, ST0 / STI = x87 ST(0) / ST(r/m), ONE = the constant 1.
 * Sizes: B W D Q T(10) DQ(16) N(none) V(operand size) Z(2 or 4) Y(4, 8 with
 * REX.W) L(4; 8 in 64-bit mode, whatever the prefixes: Rd Cd Dd Edq Gdq, the
 * manual's "r32/r64") P(far pointer 2+V) S(GDTR image 6 or 10)
 * A(BOUND pair 2V) BS(byte sign-extended) BB(two byte immediates).
 */
#define X86_OPERAND_KINDS(K) \
    K(_, NONE, N, 0) \
    K(Eb, E, B, 0) K(Ew, E, W, 0) K(Ed, E, D, 0) K(Eq, E, Q, 0) K(Ev, E, V, 0) K(Ey, E, Y, 0) \
    K(Gb, G, B, 0) K(Gw, G, W, 0) K(Gd, G, D, 0) K(Gq, G, Q, 0) K(Gv, G, V, 0) K(Gy, G, Y, 0) \
    K(Gz, G, Z, 0) K(Edq, E, L, 0) K(Gdq, G, L, 0) \
    K(Rv, R, V, 0) K(Ry, R, Y, 0) K(Rd, R, L, 0) K(Rq, R, Q, 0) \
    K(M, M, N, 0) K(Mb, M, B, 0) K(Mw, M, W, 0) K(Md, M, D, 0) K(Mq, M, Q, 0) K(Mdq, M, DQ, 0) \
    K(Mt, M, T, 0) K(Mp, M, P, 0) K(Ms, M, S, 0) K(Mv, M, V, 0) K(My, M, Y, 0) K(Ma, M, A, 0) \
    K(RdMb, RM, B, 0) K(RdMw, RM, W, 0) \
    K(Ib, I, B, 0) K(Ibs, I, BS, 0) K(Iw, I, W, 0) K(Iz, I, Z, 0) K(Iv, I, V, 0) K(IbIb, I, BB, 0) \
    K(I1, ONE, B, 0) \
    K(Jb, J, B, 0) K(Jz, J, Z, 0) \
    K(Ob, O, B, 0) K(Ov, O, V, 0) K(Ap, A, P, 0) \
    K(Zb, Z, B, 0) K(Zv, Z, V, 0) K(Zy, Z, Y, 0) \
    K(Sw, SW, W, 0) \
    K(ES, SEG, W, 0) K(CS, SEG, W, 1) K(SS, SEG, W, 2) K(DS, SEG, W, 3) K(FS, SEG, W, 4) \
    K(GS, SEG, W, 5) \
    K(Cd, CR, L, 0) K(Dd, DR, L, 0) \
    K(AL, FIX, B, 0) K(CL, FIX, B, 1) K(DX, FIX, W, 2) K(AX, FIX, W, 0) K(eAX, FIX, Z, 0) \
    K(rAX, FIX, V, 0) \
    K(Xb, X, B, 0) K(Xv, X, V, 0) K(Xz, X, Z, 0) K(Yb, Y, B, 0) K(Yv, Y, V, 0) K(Yz, Y, Z, 0) \
    K(Pq, P, Q, 0) K(Qd, Q, D, 0) K(Qq, Q, Q, 0) K(Nq, N, Q, 0) \
    K(Vdq, V, DQ, 0) K(Vps, V, DQ, 0) K(Vpd, V, DQ, 0) K(Vss, V, D, 0) K(Vsd, V, Q, 0) \
    K(Vq, V, Q, 0) K(Vd, V, D, 0) \
    K(Wdq, W, DQ, 0) K(Wps, W, DQ, 0) K(Wpd, W, DQ, 0) K(Wss, W, D, 0) K(Wsd, W, Q, 0) \
    K(Wq, W, Q, 0) K(Wd, W, D, 0) K(Ww, W, W, 0) \
    K(Udq, U, DQ, 0) K(Uq, U, Q, 0) K(Ups, U, DQ, 0) K(Upd, U, DQ, 0) \
    K(XMM0, XMM0, DQ, 0) \
    K(ST0, ST0, T, 0) K(STi, STI, T, 0)

typedef enum X86OperandKind {
#define X86_OPK_ENUM_(name, cls, size, n) X86_OPK_##name,
    X86_OPERAND_KINDS(X86_OPK_ENUM_)
#undef X86_OPK_ENUM_
    X86_OPK_COUNT
} X86OperandKind;

typedef enum X86OperandType {
    X86_OPT_NONE,
    X86_OPT_REG,     /* cls + reg */
    X86_OPT_MEM,     /* X86Insn.mem (ModRM memory form or moffs) */
    X86_OPT_IMM,     /* first immediate: X86Insn.imm, second: X86Insn.imm2 */
    X86_OPT_REL,     /* branch displacement X86Insn.imm, from the next insn */
    X86_OPT_FAR,     /* far pointer Ap: offset in imm, selector in imm2 */
    X86_OPT_STRING,  /* string operand: reg = R_ESI (seg X86Insn.seg) or R_EDI (ES) */
} X86OperandType;

typedef enum X86RegClass {
    X86_RC_GPR,      /* reg 0-15, width = X86Operand.size */
    X86_RC_GPR8H,    /* AH, CH, DH, BH: reg 0-3 names bits 8-15 of that GPR */
    X86_RC_SEG,      /* SEG_ES..SEG_GS */
    X86_RC_CR,
    X86_RC_DR,
    X86_RC_MMX,
    X86_RC_XMM,
    X86_RC_ST,       /* x87 stack slot ST(reg) */
} X86RegClass;

typedef struct X86Operand {
    uint8_t kind;    /* X86OperandKind from the table */
    uint8_t type;    /* X86OperandType */
    uint8_t size;    /* bytes read/written; 0 when unsized (LEA, FXSAVE, ...) */
    uint8_t cls;     /* X86RegClass, for X86_OPT_REG */
    uint8_t reg;
} X86Operand;

#define X86_REG_NONE 0xff
#define X86_REG_RIP  16     /* X86Mem.base of a RIP/EIP-relative operand */

typedef struct X86Mem {
    int64_t disp;    /* sign-extended disp; moffs: the (zero-extended) offset */
    uint8_t base;    /* GPR 0-15, X86_REG_RIP or X86_REG_NONE */
    uint8_t index;   /* GPR 0-15 or X86_REG_NONE */
    uint8_t scale;   /* 1, 2, 4, 8 */
} X86Mem;

/* Prefix bits seen (X86Insn.prefixes). */
enum {
    X86_PFX_LOCK  = 1u << 0,
    X86_PFX_REP   = 1u << 1,   /* F3, the last of F2/F3 */
    X86_PFX_REPNE = 1u << 2,   /* F2, the last of F2/F3 */
    X86_PFX_OPSIZE = 1u << 3,  /* 66 */
    X86_PFX_ADDRSIZE = 1u << 4,/* 67 */
    X86_PFX_REX   = 1u << 5,   /* a REX prefix directly before the opcode */
    X86_PFX_SEG   = 1u << 6,   /* segment override present (seg_override) */
};

/* Which prefix selected an SSE-style form (it is then not REP/opsize). */
typedef enum X86Mandatory {
    X86_MAND_NONE, X86_MAND_66, X86_MAND_F3, X86_MAND_F2,
} X86Mandatory;

typedef enum X86OpcodeMap {
    X86_MAP_1, X86_MAP_0F, X86_MAP_0F38, X86_MAP_0F3A, X86_MAP_COUNT,
} X86OpcodeMap;

typedef struct X86Insn {
    uint16_t id;         /* X86InsnId */
    uint8_t len;         /* bytes consumed (also set, as far as read, on error) */
    uint8_t map;         /* X86OpcodeMap */
    uint8_t opcode;      /* last opcode byte (cc of Jcc/SETcc/CMOVcc in its low nibble) */
    uint8_t modrm;       /* valid when has_modrm */
    uint8_t has_modrm;
    uint8_t opsize;      /* effective operand size in bytes: 2, 4, 8 */
    uint8_t addrsize;    /* effective address size in bytes: 2, 4, 8 */
    uint8_t prefixes;    /* X86_PFX_* */
    uint8_t rex;         /* effective REX byte (0x40-0x4f) or 0 */
    uint8_t mandatory;   /* X86Mandatory consumed by the form */
    uint8_t seg;         /* segment of memory operands: override or default (SEG_*) */
    uint8_t seg_override;/* SEG_* or X86_REG_NONE; ES/CS/SS/DS kept in 64-bit too */
    uint8_t feature;     /* X86Feature */
    uint8_t nops;
    uint32_t attrs;      /* X86_ATTR_* */
    X86Operand op[X86_MAX_OPERANDS];
    X86Mem mem;
    int64_t imm, imm2;   /* immediates, sign- or zero-extended as the kind says */
} X86Insn;

/* Static facts about a form, for the translator and disassembly. */
typedef struct X86FormInfo {
    const char *name;    /* mnemonic */
    uint32_t attrs;
    uint8_t feature;
    uint8_t ops[X86_MAX_OPERANDS];  /* X86OperandKind */
} X86FormInfo;

/* Reads byte i of the instruction (i < X86_MAX_INSN_LEN); may longjmp out on a
 * fetch fault. The decoder asks for each byte once, in order, and never for a
 * byte the instruction does not need. */
typedef uint8_t (*X86FetchFn)(void *ctx, unsigned i);

/* Decodes one instruction; returns an X86DecodeStatus and fills *out.
 * out->id is the form when the status is OK, UD_LOCK or UD_OPERAND (len is then
 * the instruction's full length), else X86_INSN_INVALID. */
int x86_decode(X86DecodeMode mode, X86FetchFn fetch, void *ctx, X86Insn *out);

const X86FormInfo *x86_form_info(unsigned id);
/* NULL, or what is inconsistent in decode.def (checked by the unit test). */
const char *x86_decode_table_error(void);
const char *x86_insn_name(unsigned id);
const char *x86_operand_kind_name(unsigned kind);
const char *x86_decode_status_name(int status);

#endif
