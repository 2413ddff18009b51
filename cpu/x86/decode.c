/*
 * x86 instruction decoder driven by the form table in decode.def: prefixes,
 * opcode maps, mandatory-prefix and ModRM form selection, ModRM/SIB addressing
 * (16/32/64-bit, RIP-relative), immediates. Reference: Intel SDM vol. 2 ch. 2
 * and appendix A. VEX/EVEX/XOP and 3DNow! are recognised and rejected.
 */
#include "decode.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mimic/x86_state.h"

/* ---- operand kinds ---------------------------------------------------- */

enum {
    OC_NONE, OC_E, OC_G, OC_R, OC_M, OC_RM, OC_I, OC_ONE, OC_J, OC_O, OC_A,
    OC_Z, OC_SW, OC_SEG, OC_CR, OC_DR, OC_FIX, OC_X, OC_Y, OC_P, OC_Q, OC_N,
    OC_V, OC_W, OC_U, OC_XMM0, OC_ST0, OC_STI,
};
enum {
    SZ_N, SZ_B, SZ_W, SZ_D, SZ_Q, SZ_T, SZ_DQ, SZ_V, SZ_Z, SZ_Y, SZ_L, SZ_P,
    SZ_S, SZ_A, SZ_BS, SZ_BB,
};

typedef struct KindInfo {
    uint8_t cls, size, fixed;
} KindInfo;

static const KindInfo kind_info[X86_OPK_COUNT] = {
#define K(name, c, s, n) [X86_OPK_##name] = { OC_##c, SZ_##s, n },
    X86_OPERAND_KINDS(K)
#undef K
};

static const char *const kind_names[X86_OPK_COUNT] = {
#define K(name, c, s, n) [X86_OPK_##name] = #name,
    X86_OPERAND_KINDS(K)
#undef K
};

/* ---- the form table ---------------------------------------------------- */

/* ModRM selector of a form: which mod/reg/rm values it accepts. */
enum {
    EXT_MODRM = 1u << 0,   /* has a ModRM byte */
    EXT_MEM   = 1u << 1,   /* mod != 3 only */
    EXT_REG   = 1u << 2,   /* mod == 3 only */
};
typedef struct FormExt {
    uint8_t flags;
    uint8_t mask, value;   /* (modrm & mask) == value */
} FormExt;

/* Mandatory-prefix selector. */
enum { PSEL_ANY, PSEL_NP, PSEL_66, PSEL_F3, PSEL_F2 };

typedef struct Form {
    uint8_t map, opcode, psel;
    FormExt ext;
} Form;

#define NONE         { 0, 0, 0 }
#define MRM          { EXT_MODRM, 0, 0 }
#define MEM          { EXT_MODRM | EXT_MEM, 0, 0 }
#define REG          { EXT_MODRM | EXT_REG, 0, 0 }
#define S(n)         { EXT_MODRM, 0x38, (n) << 3 }
#define SM(n)        { EXT_MODRM | EXT_MEM, 0x38, (n) << 3 }
#define SR(n)        { EXT_MODRM | EXT_REG, 0x38, (n) << 3 }
#define BY(b)        { EXT_MODRM | EXT_REG, 0xff, (b) }

static const Form forms[X86_INSN_COUNT] = {
#define X86_FORM(id, mn, map, op, ext, pfx, o1, o2, o3, attrs, feat) \
    [X86_INSN_##id] = { X86_MAP_##map, op, PSEL_##pfx, ext },
#include "decode.def"
#undef X86_FORM
};

#undef NONE
#undef MRM
#undef MEM
#undef REG
#undef S
#undef SM
#undef SR
#undef BY

#define LOCK   X86_ATTR_LOCK
#define REP    X86_ATTR_REP
#define REPcc  X86_ATTR_REPcc
#define CF     X86_ATTR_CF
#define PRIV   X86_ATTR_PRIV
#define IOPL   X86_ATTR_IOPL
#define I64    X86_ATTR_I64
#define O64    X86_ATTR_O64
#define D64    X86_ATTR_D64
#define F64    X86_ATTR_F64
#define W1     X86_ATTR_W1
#define SERIAL X86_ATTR_SERIAL
#define NOP    X86_ATTR_NOP

static const X86FormInfo form_info[X86_INSN_COUNT] = {
    [X86_INSN_INVALID] = { "(bad)", 0, X86_FEAT_BASE, { 0, 0, 0 } },
#define X86_FORM(id, mn, map, op, ext, pfx, o1, o2, o3, attrs, feat) \
    [X86_INSN_##id] = { #mn, attrs, X86_FEAT_##feat, \
                        { X86_OPK_##o1, X86_OPK_##o2, X86_OPK_##o3 } },
#include "decode.def"
#undef X86_FORM
};

#undef LOCK
#undef REP
#undef REPcc
#undef CF
#undef PRIV
#undef IOPL
#undef I64
#undef O64
#undef D64
#undef F64
#undef W1
#undef SERIAL
#undef NOP

/* ---- opcode lookup, built once from the form table --------------------- */

/* Forms with a register in the opcode (Zb/Zv/Zy) fill 8 opcodes each. */
#define MAX_CANDIDATES (X86_INSN_COUNT + 7 * 16)
#define MAX_FORMS_PER_OPCODE 255

enum {
    OPC_MODRM = 1u << 0,   /* the opcode takes a ModRM byte */
    OPC_PSEL  = 1u << 1,   /* some form has a mandatory prefix */
    OPC_MODE  = 1u << 2,   /* some form is mode- or REX.W-dependent */
};
typedef struct OpcodeEntry {
    uint16_t first;        /* into candidates[] */
    uint8_t count;
    uint8_t flags;
} OpcodeEntry;

typedef struct FormFlags {
    uint8_t mem;           /* has a memory-capable operand (E M RM Q W) */
    uint8_t mod_ignored;   /* has an R operand: mod is ignored (MOV CR/DR) */
} FormFlags;

static OpcodeEntry opcode_table[X86_MAP_COUNT][256];
static uint16_t candidates[MAX_CANDIDATES];
static FormFlags form_flags[X86_INSN_COUNT];
static const char *table_error;

static bool form_has_z(unsigned id)
{
    for (int i = 0; i < X86_MAX_OPERANDS; i++) {
        if (kind_info[form_info[id].ops[i]].cls == OC_Z) {
            return true;
        }
    }
    return false;
}

/* Sort key: exact prefix, then REX.W-only, then the more specific ModRM. */
static int form_rank(unsigned id)
{
    const Form *f = &forms[id];
    int r = 0;
    if (f->psel != PSEL_ANY) {
        r += 64;
    }
    if (form_info[id].attrs & X86_ATTR_W1) {
        r += 32;
    }
    if (f->ext.mask == 0xff) {
        r += 8;
    } else if (f->ext.mask) {
        r += 4;
    }
    if (f->ext.flags & (EXT_MEM | EXT_REG)) {
        r += 2;
    }
    return r;
}

static void check_unreachable(void);

/* Runs before main(): the tables are read-only afterwards, so vCPU threads
 * may decode concurrently. */
__attribute__((constructor)) static void decode_tables_build(void)
{
    static uint16_t counts[X86_MAP_COUNT][256];
    unsigned total = 0;

    for (unsigned id = 1; id < X86_INSN_COUNT; id++) {
        const Form *f = &forms[id];
        unsigned n = form_has_z(id) ? 8 : 1;
        if (n == 8 && (f->opcode & 7)) {
            table_error = "a Zb/Zv form must start at a multiple of 8";
            return;
        }
        for (unsigned k = 0; k < n; k++) {
            counts[f->map][f->opcode + k]++;
        }
        total += n;
        for (int i = 0; i < X86_MAX_OPERANDS; i++) {
            unsigned c = kind_info[form_info[id].ops[i]].cls;
            if (c == OC_E || c == OC_M || c == OC_RM || c == OC_Q || c == OC_W) {
                form_flags[id].mem = 1;
            }
            if (c == OC_R) {
                form_flags[id].mod_ignored = 1;
            }
        }
    }
    if (total > MAX_CANDIDATES) {
        table_error = "too many candidates: raise MAX_CANDIDATES";
        return;
    }
    for (unsigned m = 0; m < X86_MAP_COUNT; m++) {
        for (unsigned op = 0; op < 256; op++) {
            if (counts[m][op] > MAX_FORMS_PER_OPCODE) {
                table_error = "too many forms on one opcode: raise MAX_FORMS_PER_OPCODE";
                return;
            }
        }
    }
    unsigned next = 0;
    for (unsigned m = 0; m < X86_MAP_COUNT; m++) {
        for (unsigned op = 0; op < 256; op++) {
            opcode_table[m][op].first = next;
            next += counts[m][op];
        }
    }
    for (unsigned id = 1; id < X86_INSN_COUNT; id++) {
        const Form *f = &forms[id];
        unsigned n = form_has_z(id) ? 8 : 1;
        for (unsigned k = 0; k < n; k++) {
            OpcodeEntry *e = &opcode_table[f->map][f->opcode + k];
            uint16_t *list = &candidates[e->first];
            /* Insertion sort by rank, stable in table order. */
            int pos = e->count;
            while (pos > 0 && form_rank(list[pos - 1]) < form_rank(id)) {
                list[pos] = list[pos - 1];
                pos--;
            }
            list[pos] = id;
            if (e->count && !(e->flags & OPC_MODRM) != !(f->ext.flags & EXT_MODRM)) {
                table_error = "forms of one opcode disagree on having a ModRM byte";
            }
            e->count++;
            if (f->ext.flags & EXT_MODRM) {
                e->flags |= OPC_MODRM;
            }
            if (f->psel != PSEL_ANY) {
                e->flags |= OPC_PSEL;
            }
            if (form_info[id].attrs & (X86_ATTR_I64 | X86_ATTR_O64 | X86_ATTR_W1)) {
                e->flags |= OPC_MODE;
            }
        }
    }
    check_unreachable();
}

/* Two forms that no prefix, ModRM, mode or REX.W tells apart: the second is dead. */
static void check_unreachable(void)
{
    static char msg[96];
    const uint32_t mode_bits = X86_ATTR_I64 | X86_ATTR_O64 | X86_ATTR_W1;
    for (unsigned m = 0; m < X86_MAP_COUNT; m++) {
        for (unsigned op = 0; op < 256; op++) {
            const OpcodeEntry *e = &opcode_table[m][op];
            for (unsigned i = 0; i < e->count; i++) {
                for (unsigned j = i + 1; j < e->count; j++) {
                    const Form *a = &forms[candidates[e->first + i]];
                    const Form *b = &forms[candidates[e->first + j]];
                    unsigned ida = candidates[e->first + i], idb = candidates[e->first + j];
                    if (a->psel == b->psel && a->ext.flags == b->ext.flags &&
                        a->ext.mask == b->ext.mask && a->ext.value == b->ext.value &&
                        (form_info[ida].attrs & mode_bits) == (form_info[idb].attrs & mode_bits) &&
                        !(m == X86_MAP_1 && op == 0x90)) {
                        snprintf(msg, sizeof(msg), "form %u (%s) is shadowed by form %u (%s)",
                                 idb, form_info[idb].name, ida, form_info[ida].name);
                        table_error = msg;
                    }
                }
            }
        }
    }
}

const char *x86_decode_table_error(void)
{
    return table_error;
}

/* ---- prefixes ----------------------------------------------------------- */

enum {
    PK_NONE, PK_SEG_ES, PK_SEG_CS, PK_SEG_SS, PK_SEG_DS, PK_SEG_FS, PK_SEG_GS,
    PK_LOCK, PK_REPNE, PK_REP, PK_OPSIZE, PK_ADDRSIZE, PK_REX,
};

static const uint8_t prefix_kind[256] = {
    [0x26] = PK_SEG_ES, [0x2e] = PK_SEG_CS, [0x36] = PK_SEG_SS, [0x3e] = PK_SEG_DS,
    [0x64] = PK_SEG_FS, [0x65] = PK_SEG_GS, [0xf0] = PK_LOCK, [0xf2] = PK_REPNE,
    [0xf3] = PK_REP, [0x66] = PK_OPSIZE, [0x67] = PK_ADDRSIZE,
    [0x40] = PK_REX, [0x41] = PK_REX, [0x42] = PK_REX, [0x43] = PK_REX,
    [0x44] = PK_REX, [0x45] = PK_REX, [0x46] = PK_REX, [0x47] = PK_REX,
    [0x48] = PK_REX, [0x49] = PK_REX, [0x4a] = PK_REX, [0x4b] = PK_REX,
    [0x4c] = PK_REX, [0x4d] = PK_REX, [0x4e] = PK_REX, [0x4f] = PK_REX,
};

#define REX_W 8
#define REX_R 4
#define REX_X 2
#define REX_B 1

/* ---- the decoder ------------------------------------------------------- */

typedef struct Decoder {
    X86FetchFn fetch;
    void *ctx;
    unsigned pos;
    bool mode64;
    X86Insn *insn;
} Decoder;

/* Fetches the next byte; false when that would exceed 15 bytes. */
static inline bool next_byte(Decoder *d, uint8_t *b)
{
    if (d->pos >= X86_MAX_INSN_LEN) {
        return false;
    }
    *b = d->fetch(d->ctx, d->pos);
    d->pos++;
    return true;
}

/* Little-endian immediate of n bytes, sign-extended if asked. */
static bool next_imm(Decoder *d, unsigned n, bool sign, int64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        if (!next_byte(d, &b)) {
            return false;
        }
        v |= (uint64_t)b << (8 * i);
    }
    if (sign && n < 8) {
        unsigned shift = 64 - 8 * n;
        v = (uint64_t)((int64_t)(v << shift) >> shift);
    }
    *out = (int64_t)v;
    return true;
}

/* 16-bit ModRM r/m: [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP] [BX]. */
static const uint8_t addr16_base[8] = {
    R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX,
};
static const uint8_t addr16_index[8] = {
    R_ESI, R_EDI, R_ESI, R_EDI, X86_REG_NONE, X86_REG_NONE, X86_REG_NONE, X86_REG_NONE,
};

/* ModRM (mod != 3) [+ SIB] [+ displacement] into insn->mem and insn->seg. */
static bool decode_memory(Decoder *d)
{
    X86Insn *in = d->insn;
    X86Mem *m = &in->mem;
    unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
    unsigned disp_len = 0;
    bool ss = false;

    m->scale = 1;
    m->index = X86_REG_NONE;
    if (in->addrsize == 2) {
        if (mod == 0 && rm == 6) {
            m->base = X86_REG_NONE;
            disp_len = 2;
        } else {
            m->base = addr16_base[rm];
            m->index = addr16_index[rm];
            ss = m->base == R_EBP;
            disp_len = mod == 1 ? 1 : mod == 2 ? 2 : 0;
        }
    } else {
        unsigned rex = in->rex;
        if (rm == 4) {
            uint8_t sib;
            if (!next_byte(d, &sib)) {
                return false;
            }
            unsigned index = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
            unsigned base = sib & 7;
            m->scale = 1u << (sib >> 6);
            m->index = index == 4 ? X86_REG_NONE : index;
            if (base == 5 && mod == 0) {
                m->base = X86_REG_NONE;
                disp_len = 4;
            } else {
                m->base = base | (rex & REX_B ? 8 : 0);
            }
        } else if (rm == 5 && mod == 0) {
            m->base = d->mode64 ? X86_REG_RIP : X86_REG_NONE;
            disp_len = 4;
        } else {
            m->base = rm | (rex & REX_B ? 8 : 0);
        }
        ss = m->base == R_ESP || m->base == R_EBP;
        if (mod == 1) {
            disp_len = 1;
        } else if (mod == 2) {
            disp_len = 4;
        }
    }
    if (disp_len && !next_imm(d, disp_len, true, &m->disp)) {
        return false;
    }
    if (!(in->prefixes & X86_PFX_SEG) ||
        (d->mode64 && in->seg_override < SEG_FS)) {
        in->seg = ss ? SEG_SS : SEG_DS;
    }
    return true;
}

static unsigned operand_size(const X86Insn *in, unsigned code, bool mode64)
{
    switch (code) {
    case SZ_B: case SZ_BS: return 1;
    case SZ_W: return 2;
    case SZ_D: return 4;
    case SZ_Q: return 8;
    case SZ_T: return 10;
    case SZ_DQ: return 16;
    case SZ_V: return in->opsize;
    case SZ_Z: return in->opsize == 2 ? 2 : 4;
    case SZ_Y: return mode64 && (in->rex & REX_W) ? 8 : 4;
    case SZ_L: return mode64 ? 8 : 4;
    case SZ_P: return in->opsize + 2;
    case SZ_S: return mode64 ? 10 : 6;
    case SZ_A: return in->opsize * 2;
    case SZ_BB: return 2;
    default: return 0;
    }
}

/* A general register operand, applying the AH/CH/DH/BH vs SPL..DIL rule. */
static void set_gpr(X86Operand *o, const X86Insn *in, unsigned reg)
{
    o->type = X86_OPT_REG;
    if (o->size == 1 && !in->rex && reg >= 4 && reg < 8) {
        o->cls = X86_RC_GPR8H;
        o->reg = reg - 4;
    } else {
        o->cls = X86_RC_GPR;
        o->reg = reg;
    }
}

static void set_reg(X86Operand *o, unsigned cls, unsigned reg)
{
    o->type = X86_OPT_REG;
    o->cls = cls;
    o->reg = reg;
}

/* Resolves operand i of the chosen form; returns an X86DecodeStatus. */
static int decode_operand(Decoder *d, unsigned i, unsigned kind, int *imm_count)
{
    X86Insn *in = d->insn;
    X86Operand *o = &in->op[i];
    const KindInfo *k = &kind_info[kind];
    unsigned rex = in->rex;
    unsigned reg = (in->modrm >> 3) & 7, rm = in->modrm & 7;
    bool mem = in->has_modrm && in->modrm < 0xc0;
    int64_t v;

    o->kind = kind;
    o->size = operand_size(in, k->size, d->mode64);
    switch (k->cls) {
    case OC_E:
        if (mem) {
            o->type = X86_OPT_MEM;
        } else {
            set_gpr(o, in, rm | (rex & REX_B ? 8 : 0));
        }
        break;
    case OC_G:
        set_gpr(o, in, reg | (rex & REX_R ? 8 : 0));
        break;
    case OC_R:
        set_gpr(o, in, rm | (rex & REX_B ? 8 : 0));
        break;
    case OC_M:
        if (!mem) {
            return X86_DECODE_UD;
        }
        o->type = X86_OPT_MEM;
        break;
    case OC_RM:
        if (mem) {
            o->type = X86_OPT_MEM;
        } else {
            o->size = 4;
            set_gpr(o, in, rm | (rex & REX_B ? 8 : 0));
        }
        break;
    case OC_ONE:
        o->type = X86_OPT_IMM;
        o->size = 1;
        in->imm = 1;
        (*imm_count)++;
        break;
    case OC_I: {
        unsigned n = o->size;
        bool sign = k->size == SZ_BS || k->size == SZ_Z || k->size == SZ_V;
        o->type = X86_OPT_IMM;
        if (k->size == SZ_BB) {
            if (!next_imm(d, 1, false, &in->imm) || !next_imm(d, 1, false, &in->imm2)) {
                return X86_DECODE_TOO_LONG;
            }
            break;
        }
        if (!next_imm(d, n, sign, &v)) {
            return X86_DECODE_TOO_LONG;
        }
        if ((*imm_count)++ == 0) {
            in->imm = v;
        } else {
            in->imm2 = v;
        }
        break;
    }
    case OC_J: {
        /* Near branches keep a 32-bit displacement in 64-bit mode (Intel). */
        unsigned n = k->size == SZ_B ? 1 : (in->opsize == 2 && !d->mode64) ? 2 : 4;
        o->type = X86_OPT_REL;
        o->size = n;
        if (!next_imm(d, n, true, &in->imm)) {
            return X86_DECODE_TOO_LONG;
        }
        (*imm_count)++;
        break;
    }
    case OC_O:
        o->type = X86_OPT_MEM;
        if (!next_imm(d, in->addrsize, false, &in->mem.disp)) {
            return X86_DECODE_TOO_LONG;
        }
        in->mem.base = X86_REG_NONE;
        in->mem.index = X86_REG_NONE;
        in->mem.scale = 1;
        if (!(in->prefixes & X86_PFX_SEG) || (d->mode64 && in->seg_override < SEG_FS)) {
            in->seg = SEG_DS;
        }
        break;
    case OC_A:
        o->type = X86_OPT_FAR;
        if (!next_imm(d, in->opsize == 2 ? 2 : 4, false, &in->imm) ||
            !next_imm(d, 2, false, &in->imm2)) {
            return X86_DECODE_TOO_LONG;
        }
        break;
    case OC_Z:
        set_gpr(o, in, (in->opcode & 7) | (rex & REX_B ? 8 : 0));
        break;
    case OC_SW:
        if (reg > SEG_GS) {
            return X86_DECODE_UD_OPERAND;
        }
        set_reg(o, X86_RC_SEG, reg);
        break;
    case OC_SEG:
        set_reg(o, X86_RC_SEG, k->fixed);
        break;
    case OC_CR: {
        unsigned cr = reg | (rex & REX_R ? 8 : 0);
        if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8) {
            return X86_DECODE_UD_OPERAND;
        }
        set_reg(o, X86_RC_CR, cr);
        break;
    }
    case OC_DR:
        if (rex & REX_R) {
            return X86_DECODE_UD_OPERAND;
        }
        set_reg(o, X86_RC_DR, reg);
        break;
    case OC_FIX:
        o->type = X86_OPT_REG;
        o->cls = X86_RC_GPR;
        o->reg = k->fixed;
        break;
    case OC_X:
        o->type = X86_OPT_STRING;
        o->reg = R_ESI;
        break;
    case OC_Y:
        o->type = X86_OPT_STRING;
        o->reg = R_EDI;
        break;
    case OC_P:
        set_reg(o, X86_RC_MMX, reg);
        break;
    case OC_Q:
        if (mem) {
            o->type = X86_OPT_MEM;
        } else {
            set_reg(o, X86_RC_MMX, rm);
        }
        break;
    case OC_N:
        set_reg(o, X86_RC_MMX, rm);
        break;
    case OC_V:
        set_reg(o, X86_RC_XMM, reg | (rex & REX_R ? 8 : 0));
        break;
    case OC_W:
        if (mem) {
            o->type = X86_OPT_MEM;
        } else {
            set_reg(o, X86_RC_XMM, rm | (rex & REX_B ? 8 : 0));
        }
        break;
    case OC_U:
        set_reg(o, X86_RC_XMM, rm | (rex & REX_B ? 8 : 0));
        break;
    case OC_XMM0:
        set_reg(o, X86_RC_XMM, 0);
        break;
    case OC_ST0:
        set_reg(o, X86_RC_ST, 0);
        break;
    case OC_STI:
        set_reg(o, X86_RC_ST, rm);
        break;
    default:
        break;
    }
    return X86_DECODE_OK;
}

/* Picks the form for this opcode, ModRM and prefixes; 0 if none. */
static unsigned select_form(Decoder *d, const OpcodeEntry *e, bool *mode_skipped)
{
    const X86Insn *in = d->insn;
    const uint16_t *list = &candidates[e->first];
    uint8_t tries[2];
    unsigned ntries = 0;

    /* The last of F2/F3 is the mandatory prefix if present, else 66; a
     * mandatory prefix that selects nothing is an ignored legacy prefix. */
    if (e->flags & OPC_PSEL) {
        if (in->prefixes & X86_PFX_REP) {
            tries[ntries++] = PSEL_F3;
        } else if (in->prefixes & X86_PFX_REPNE) {
            tries[ntries++] = PSEL_F2;
        } else if (in->prefixes & X86_PFX_OPSIZE) {
            tries[ntries++] = PSEL_66;
        }
    }
    tries[ntries++] = PSEL_NP;

    for (unsigned t = 0; t < ntries; t++) {
        for (unsigned c = 0; c < e->count; c++) {
            unsigned id = list[c];
            const Form *f = &forms[id];
            if (f->psel != PSEL_ANY && f->psel != tries[t]) {
                continue;
            }
            if (f->ext.flags & EXT_MODRM) {
                uint8_t m = in->modrm;
                if ((m & f->ext.mask) != f->ext.value ||
                    ((f->ext.flags & EXT_MEM) && m >= 0xc0) ||
                    ((f->ext.flags & EXT_REG) && m < 0xc0)) {
                    continue;
                }
            }
            if (e->flags & OPC_MODE) {
                uint32_t a = form_info[id].attrs;
                if ((a & X86_ATTR_W1) && !(d->mode64 && (in->rex & REX_W))) {
                    continue;
                }
                if ((a & X86_ATTR_I64) ? d->mode64 : (a & X86_ATTR_O64) && !d->mode64) {
                    *mode_skipped = true;
                    continue;
                }
            }
            return id;
        }
    }
    return 0;
}

int x86_decode(X86DecodeMode mode, X86FetchFn fetch, void *ctx, X86Insn *out)
{
    Decoder dec = { fetch, ctx, 0, mode == X86_MODE_64, out };
    Decoder *d = &dec;
    uint8_t b, rex = 0;
    unsigned prefixes = 0;
    int status = X86_DECODE_OK;

    memset(out, 0, sizeof(*out));
    out->seg = SEG_DS;
    out->seg_override = X86_REG_NONE;

    /* Legacy prefixes in any order; a REX counts only right before the opcode. */
    for (;;) {
        if (!next_byte(d, &b)) {
            status = X86_DECODE_TOO_LONG;
            goto done;
        }
        unsigned pk = prefix_kind[b];
        if (pk == PK_NONE || (pk == PK_REX && !d->mode64)) {
            break;
        }
        if (pk == PK_REX) {
            rex = b;
            continue;
        }
        rex = 0;
        switch (pk) {
        case PK_LOCK: prefixes |= X86_PFX_LOCK; break;
        case PK_REPNE: prefixes = (prefixes & ~X86_PFX_REP) | X86_PFX_REPNE; break;
        case PK_REP: prefixes = (prefixes & ~X86_PFX_REPNE) | X86_PFX_REP; break;
        case PK_OPSIZE: prefixes |= X86_PFX_OPSIZE; break;
        case PK_ADDRSIZE: prefixes |= X86_PFX_ADDRSIZE; break;
        default:
            prefixes |= X86_PFX_SEG;
            out->seg_override = pk - PK_SEG_ES;
            break;
        }
    }
    if (rex) {
        prefixes |= X86_PFX_REX;
    }
    out->rex = rex;
    out->prefixes = prefixes;
    if (out->seg_override != X86_REG_NONE && (!d->mode64 || out->seg_override >= SEG_FS)) {
        out->seg = out->seg_override;
    }
    if (d->mode64) {
        out->addrsize = prefixes & X86_PFX_ADDRSIZE ? 4 : 8;
    } else {
        out->addrsize = (mode == X86_MODE_32) != !!(prefixes & X86_PFX_ADDRSIZE) ? 4 : 2;
    }

    /* Opcode map escapes. */
    unsigned map = X86_MAP_1;
    if (b == 0x0f) {
        if (!next_byte(d, &b)) {
            status = X86_DECODE_TOO_LONG;
            goto done;
        }
        map = X86_MAP_0F;
        if (b == 0x38 || b == 0x3a) {
            map = b == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            if (!next_byte(d, &b)) {
                status = X86_DECODE_TOO_LONG;
                goto done;
            }
        } else if (b == 0x0f) {
            status = X86_DECODE_UD_VEX;   /* 3DNow! */
            goto done;
        }
    } else if (d->mode64 && (b == 0xc4 || b == 0xc5 || b == 0x62)) {
        status = X86_DECODE_UD_VEX;
        goto done;
    }
    out->map = map;
    out->opcode = b;

    const OpcodeEntry *e = &opcode_table[map][b];
    if (e->count == 0) {
        status = X86_DECODE_UD;
        goto done;
    }
    if (e->flags & OPC_MODRM) {
        if (!next_byte(d, &out->modrm)) {
            status = X86_DECODE_TOO_LONG;
            goto done;
        }
        out->has_modrm = 1;
        /* Outside 64-bit mode, LES/LDS/BOUND with mod == 3 are VEX/EVEX; 8F
         * with map_select >= 8 (ModRM.reg bits 0-1) is AMD's XOP. */
        if (map == X86_MAP_1 && ((out->modrm >= 0xc0 && (b == 0xc4 || b == 0xc5 || b == 0x62)) ||
                                 (b == 0x8f && (out->modrm & 0x18)))) {
            status = X86_DECODE_UD_VEX;
            goto done;
        }
    }

    bool mode_skipped = false;
    unsigned id = select_form(d, e, &mode_skipped);
    if (id == 0) {
        status = mode_skipped ? X86_DECODE_UD_MODE : X86_DECODE_UD;
        goto done;
    }
    /* 90 with REX.B is XCHG r8, rAX, not NOP/PAUSE. */
    if (map == X86_MAP_1 && b == 0x90 && (rex & REX_B)) {
        id = X86_INSN_XCHG_ZvrAX;
    }

    const X86FormInfo *fi = &form_info[id];
    const Form *f = &forms[id];
    uint32_t attrs = fi->attrs;
    out->attrs = attrs;
    out->feature = fi->feature;
    out->mandatory = f->psel == PSEL_66 ? X86_MAND_66 : f->psel == PSEL_F3 ? X86_MAND_F3 :
                     f->psel == PSEL_F2 ? X86_MAND_F2 : X86_MAND_NONE;

    bool opsize_pfx = (prefixes & X86_PFX_OPSIZE) && f->psel != PSEL_66;
    if (d->mode64) {
        if (attrs & X86_ATTR_F64) {
            out->opsize = 8;
        } else if (rex & REX_W) {
            out->opsize = 8;
        } else if (opsize_pfx) {
            out->opsize = 2;
        } else {
            out->opsize = attrs & X86_ATTR_D64 ? 8 : 4;
        }
    } else {
        out->opsize = (mode == X86_MODE_32) != opsize_pfx ? 4 : 2;
    }

    if (out->has_modrm && out->modrm < 0xc0 && form_flags[id].mem &&
        !form_flags[id].mod_ignored) {
        if (!decode_memory(d)) {
            status = X86_DECODE_TOO_LONG;
            goto done;
        }
    }

    int imm_count = 0;
    for (unsigned i = 0; i < X86_MAX_OPERANDS && fi->ops[i] != X86_OPK__; i++) {
        int s = decode_operand(d, i, fi->ops[i], &imm_count);
        if (s == X86_DECODE_TOO_LONG) {
            status = s;
            goto done;
        }
        if (s != X86_DECODE_OK && status == X86_DECODE_OK) {
            status = s;
        }
        out->nops = i + 1;
    }
    if (status == X86_DECODE_OK && id == X86_INSN_MOV_SwEw && out->op[0].reg == SEG_CS) {
        status = X86_DECODE_UD_OPERAND;
    }
    /* LOCK needs a lockable form with a memory destination (SDM LOCK page);
     * AMD's LOCK MOV CR0 = MOV CR8 alias is not advertised, so #UD too. */
    if (status == X86_DECODE_OK && (prefixes & X86_PFX_LOCK) &&
        (!(attrs & X86_ATTR_LOCK) || !out->has_modrm || out->modrm >= 0xc0)) {
        status = X86_DECODE_UD_LOCK;
    }
    out->id = id;
done:
    out->len = d->pos;
    return status;
}

const X86FormInfo *x86_form_info(unsigned id)
{
    return &form_info[id < X86_INSN_COUNT ? id : X86_INSN_INVALID];
}

const char *x86_insn_name(unsigned id)
{
    return x86_form_info(id)->name;
}

const char *x86_operand_kind_name(unsigned kind)
{
    return kind < X86_OPK_COUNT ? kind_names[kind] : "?";
}

const char *x86_decode_status_name(int status)
{
    static const char *const names[] = {
        [X86_DECODE_OK] = "ok", [X86_DECODE_UD] = "#UD",
        [X86_DECODE_UD_LOCK] = "#UD (LOCK)", [X86_DECODE_UD_MODE] = "#UD (mode)",
        [X86_DECODE_UD_VEX] = "#UD (VEX/EVEX/XOP/3DNow!)",
        [X86_DECODE_UD_OPERAND] = "#UD (register operand)",
        [X86_DECODE_TOO_LONG] = "#GP (longer than 15 bytes)",
    };
    if (status < 0 || status > X86_DECODE_TOO_LONG) {
        return "?";
    }
    return names[status];
}
