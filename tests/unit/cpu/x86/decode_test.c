/*
 * Proves cpu/x86/decode.c against capstone: every instruction of real 64-, 32-
 * and 16-bit code and of seeded random bytes decodes to capstone's length and
 * operands, and the SDM edge cases (15-byte limit, prefixes, REX, LOCK) hold.
 * Needs libcapstone (link with -lcapstone).
 */
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/x86/decode.h"
#include "mimic/x86_state.h"
#include "test.h"

/* ---- byte source for the decoder --------------------------------------- */

typedef struct Source {
    const uint8_t *p;
    size_t n;
    unsigned next;       /* index the decoder must ask for next */
    bool bad_order;      /* asked out of order, twice, or past 15 bytes */
} Source;

static uint8_t source_fetch(void *ctx, unsigned i)
{
    Source *s = ctx;
    if (i != s->next || i >= X86_MAX_INSN_LEN) {
        s->bad_order = true;
    }
    s->next = i + 1;
    return i < s->n ? s->p[i] : 0;
}

/* Decodes and checks the fetch discipline: bytes 0..len-1, in order, once. */
static int decode_bytes(X86DecodeMode mode, const uint8_t *p, size_t n, X86Insn *in,
                        bool *fetch_ok)
{
    Source s = { p, n, 0, false };
    int st = x86_decode(mode, source_fetch, &s, in);
    *fetch_ok = !s.bad_order && s.next == in->len && in->len <= X86_MAX_INSN_LEN;
    return st;
}

static int decode_hex(X86DecodeMode mode, const char *hex, X86Insn *in)
{
    uint8_t b[32];
    size_t n = 0;
    while (hex[0] && hex[1] && n < sizeof(b)) {
        if (hex[0] == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        sscanf(hex, "%2x", &v);
        b[n++] = v;
        hex += 2;
    }
    bool ok;
    int st = decode_bytes(mode, b, n, in, &ok);
    if (!ok) {
        return -1;
    }
    return st;
}

/* ---- ELF .text extraction ------------------------------------------------ */

typedef struct Blob {
    uint8_t *data;
    size_t size;
    size_t text_off, text_size;
} Blob;

static bool read_file(const char *path, Blob *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return false;
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    b->data = malloc(sz > 0 ? sz : 1);
    b->size = sz > 0 && b->data ? fread(b->data, 1, sz, f) : 0;
    fclose(f);
    b->text_off = 0;
    b->text_size = b->size;
    return b->size > 0;
}

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* Finds the .text section of a little-endian ELF32/ELF64 file. */
static bool elf_text(Blob *b)
{
    const uint8_t *d = b->data;
    if (b->size < 64 || memcmp(d, "\177ELF", 4) != 0 || d[5] != 1) {
        return false;
    }
    bool is64 = d[4] == 2;
    uint64_t shoff = is64 ? rd(d + 0x28, 8) : rd(d + 0x20, 4);
    unsigned shentsize = rd(d + (is64 ? 0x3a : 0x2e), 2);
    unsigned shnum = rd(d + (is64 ? 0x3c : 0x30), 2);
    unsigned shstrndx = rd(d + (is64 ? 0x3e : 0x32), 2);
    if (shoff == 0 || shoff + (uint64_t)shnum * shentsize > b->size || shstrndx >= shnum) {
        return false;
    }
    const uint8_t *strsh = d + shoff + (uint64_t)shstrndx * shentsize;
    uint64_t stroff = is64 ? rd(strsh + 0x18, 8) : rd(strsh + 0x10, 4);
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *sh = d + shoff + (uint64_t)i * shentsize;
        uint64_t name = rd(sh, 4);
        uint64_t off = is64 ? rd(sh + 0x18, 8) : rd(sh + 0x10, 4);
        uint64_t size = is64 ? rd(sh + 0x20, 8) : rd(sh + 0x14, 4);
        if (stroff + name + 6 <= b->size && strcmp((const char *)d + stroff + name, ".text") == 0 &&
            off + size <= b->size) {
            b->text_off = off;
            b->text_size = size;
            return true;
        }
    }
    return false;
}

/* ---- comparison against capstone ---------------------------------------- */

#define MAX_REPORT 8
#define OP_SAMPLE 4     /* compare operands of every 4th instruction */
static bool verbose;   /* DECODE_TEST_VERBOSE=1: print every disagreement */

typedef struct Stats {
    unsigned long total;        /* instructions capstone decoded */
    unsigned long decoded;      /* ... that we decoded too */
    unsigned long sdm_invalid;  /* ... that the SDM makes #UD (LOCK, CR1, ...): length agreed */
    unsigned long len_mismatch;
    unsigned long out_of_scope; /* VEX/EVEX/XOP/3DNow!, SMX, SGX, VIA PadLock */
    unsigned long divergent;    /* known capstone 4 departures from the SDM */
    unsigned long rejected;     /* we say #UD and capstone decodes: in scope */
    unsigned long fetch_bad;
    unsigned long only_ours;    /* random bytes we decode and capstone refuses */
    unsigned long op_checked, op_mismatch;
    char rejected_names[1024];
    char scope_names[4096];
    char divergent_names[512];
    int reported;
} Stats;

static void note_name(char *list, size_t cap, const char *name)
{
    char key[48];
    snprintf(key, sizeof(key), " %s ", name);
    if (strstr(list, key) || strlen(list) + strlen(key) + 1 >= cap) {
        return;
    }
    if (list[0] == 0) {
        strcat(list, " ");
    }
    strcat(list, name);
    strcat(list, " ");
}

static void hexdump(char *out, size_t cap, const uint8_t *p, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && o + 3 < cap; i++) {
        o += snprintf(out + o, cap - o, "%02x", p[i]);
    }
}

static const char *mode_name(X86DecodeMode m)
{
    return m == X86_MODE_64 ? "64" : m == X86_MODE_32 ? "32" : "16";
}

/* Extensions capstone knows that the decoder leaves out (besides VEX/EVEX). */
static bool mnemonic_out_of_scope(const char *mn)
{
    static const char *const prefixes[] = {
        "femms", "getsec", "xcrypt", "xsha", "xstore", "montmul", "encl", NULL,
    };
    for (unsigned i = 0; prefixes[i]; i++) {
        if (strncmp(mn, prefixes[i], strlen(prefixes[i])) == 0) {
            return true;
        }
    }
    return false;
}

/* In 64-bit mode capstone 4 takes "67 REX" as if 66 were present. */
static bool has_67_rex_quirk(X86DecodeMode mode, const uint8_t *p, unsigned n)
{
    bool saw66 = false, quirk = false;
    if (mode != X86_MODE_64) {
        return false;
    }
    for (unsigned i = 0; i + 1 < n; i++) {
        uint8_t b = p[i];
        if (b == 0x66) {
            saw66 = true;
        } else if (b == 0x67 && (p[i + 1] & 0xf0) == 0x40) {
            quirk = true;
        } else if (!(b == 0xf2 || b == 0xf3 || b == 0xf0 || b == 0x2e || b == 0x3e || b == 0x26 ||
                     b == 0x36 || b == 0x64 || b == 0x65 || b == 0x67 || (b & 0xf0) == 0x40)) {
            break;
        }
    }
    return quirk && !saw66;
}

/* capstone 4 takes 66/F2/F3 as a mandatory prefix (choosing the SSE form)
 * only right before the opcode (or its REX); the CPU takes it anywhere in the
 * prefixes. True when an escape-map opcode has one that is not last. */
static bool mandatory_prefix_not_last(X86DecodeMode mode, const uint8_t *p, const X86Insn *in)
{
    if (in->map == X86_MAP_1 || !(in->prefixes & (X86_PFX_OPSIZE | X86_PFX_REP | X86_PFX_REPNE))) {
        return false;
    }
    unsigned i = 0, nrex = 0;
    uint8_t last = 0, last_rep = 0;
    bool after_rep66 = false;
    for (; i < in->len && p[i] != 0x0f; i++) {
        if (mode == X86_MODE_64 && (p[i] & 0xf0) == 0x40) {
            nrex++;
            continue;
        }
        last = p[i];
        if (p[i] == 0xf2 || p[i] == 0xf3) {
            last_rep = p[i];
            after_rep66 = false;
        } else if (p[i] == 0x66 && last_rep) {
            after_rep66 = true;
        }
    }
    /* It also lets a 66 after F2/F3 win, and loses 66 after two REX bytes. */
    return (last != 0x66 && last != 0xf2 && last != 0xf3) || after_rep66 || nrex > 1;
}

/*
 * Known places where capstone 4.0 departs from the SDM; we follow the SDM.
 * Returns a short reason, or NULL. `in` is our decode (status st).
 */
static const char *capstone_diverges(X86DecodeMode mode, const uint8_t *p, const cs_insn *ci,
                                     const X86Insn *in, int st)
{
    const char *mn = ci->mnemonic;
    if (has_67_rex_quirk(mode, p, ci->size > in->len ? ci->size : in->len)) {
        return "67-REX-as-66";
    }
    if (mandatory_prefix_not_last(mode, p, in)) {
        return "66/F2/F3-not-last";
    }
    /* capstone ignores mandatory prefixes in 16-bit code (66 is operand size). */
    if (mode == X86_MODE_16 && in->mandatory != X86_MAND_NONE) {
        return "66-SSE-in-16-bit";
    }
    if (st == X86_DECODE_OK || st == X86_DECODE_UD_LOCK || st == X86_DECODE_UD_OPERAND) {
        /* MOVSXD without REX.W is a 32-bit move (SDM); capstone shows r64. */
        if (in->id == X86_INSN_MOVSXD_GvEd && !(in->rex & 8)) {
            return "movsxd-r32";
        }
        /* capstone forgets a 66 that is followed by F2/F3 (66 F3 68 iw). */
        if ((in->prefixes & X86_PFX_OPSIZE) && (in->prefixes & (X86_PFX_REP | X86_PFX_REPNE)) &&
            in->mandatory == X86_MAND_NONE) {
            return "66-then-F2/F3";
        }
        /* Intel keeps rel32 for 66-prefixed near branches in 64-bit mode. */
        if (mode == X86_MODE_64 && (in->prefixes & X86_PFX_OPSIZE) &&
            in->op[0].type == X86_OPT_REL && in->op[0].size == 4) {
            return "66-Jz-in-64";
        }
        /* UD0 and UD1 take a ModRM byte (SDM); capstone decodes 2 bytes. */
        if (in->id == X86_INSN_UD0_GvEv || in->id == X86_INSN_UD1_GvEv) {
            return "ud0/ud1-modrm";
        }
        /* capstone adds 2 bytes to RET imm16 with REX.W. */
        if ((in->id == X86_INSN_RET_Iw || in->id == X86_INSN_RETF_Iw) && (in->rex & 8)) {
            return "rex.w-ret-imm";
        }
        /* No INSERTQ imm form in capstone (decodes VMREAD); EXTRQ ignores /0. */
        if (in->id == X86_INSN_INSERTQ_VqUqIbIb || strcmp(mn, "extrq") == 0) {
            return "sse4a";
        }
    }
    if (st == X86_DECODE_UD_MODE && strcmp(mn, "swapgs") == 0) {
        return "swapgs-outside-64";
    }
    return NULL;
}

/* Compares one instruction capstone decoded; updates st; false on a failure. */
static bool compare_one(X86DecodeMode mode, const uint8_t *p, size_t avail, const cs_insn *ci,
                        Stats *st)
{
    X86Insn in;
    bool fetch_ok;
    int s = decode_bytes(mode, p, avail < 15 ? avail : 15, &in, &fetch_ok);
    char hex[64];
    const char *why;
    st->total++;
    if (!fetch_ok) {
        st->fetch_bad++;
        if (st->reported++ < MAX_REPORT || verbose) {
            hexdump(hex, sizeof(hex), p, ci->size);
            printf("  [%s] fetch discipline broken: %s (%s %s)\n", mode_name(mode), hex,
                   ci->mnemonic, ci->op_str);
        }
        return false;
    }
    if (s == X86_DECODE_UD_VEX || (s != X86_DECODE_OK && mnemonic_out_of_scope(ci->mnemonic))) {
        st->out_of_scope++;
        note_name(st->scope_names, sizeof(st->scope_names), ci->mnemonic);
        return true;
    }
    if (s == X86_DECODE_UD || s == X86_DECODE_UD_MODE || s == X86_DECODE_TOO_LONG) {
        if ((why = capstone_diverges(mode, p, ci, &in, s)) != NULL) {
            st->divergent++;
            note_name(st->divergent_names, sizeof(st->divergent_names), why);
            return true;
        }
        st->rejected++;
        note_name(st->rejected_names, sizeof(st->rejected_names), ci->mnemonic);
        if (st->reported++ < MAX_REPORT || verbose) {
            hexdump(hex, sizeof(hex), p, ci->size);
            printf("  [%s] rejected %s: %s %s (%s)\n", mode_name(mode), hex, ci->mnemonic,
                   ci->op_str, x86_decode_status_name(s));
        }
        return false;
    }
    /* OK, or #UD for LOCK / register operand with the length fully known. */
    if (in.len != ci->size) {
        if ((why = capstone_diverges(mode, p, ci, &in, s)) != NULL) {
            st->divergent++;
            note_name(st->divergent_names, sizeof(st->divergent_names), why);
            return true;
        }
        st->len_mismatch++;
        if (st->reported++ < MAX_REPORT || verbose) {
            hexdump(hex, sizeof(hex), p, ci->size > in.len ? ci->size : in.len);
            printf("  [%s] length %u != capstone %u: %s (%s %s; ours %s, %s)\n", mode_name(mode),
                   in.len, ci->size, hex, ci->mnemonic, ci->op_str, x86_insn_name(in.id),
                   x86_decode_status_name(s));
        }
        return false;
    }
    if (s == X86_DECODE_OK) {
        st->decoded++;
    } else {
        st->sdm_invalid++;
    }
    return true;
}

/* ---- operand comparison with capstone's detail mode ---------------------- */

static const char *const gpr_names[4][16] = {
    { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
      "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" },
    { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
      "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" },
    { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
      "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" },
    { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
      "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" },
};

static const char *gpr_name(unsigned reg, unsigned size)
{
    unsigned w = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    return reg < 16 ? gpr_names[w][reg] : "?";
}

/* Our register operand, spelled as capstone spells it. */
static void reg_name(const X86Operand *o, char *buf, size_t cap)
{
    static const char *const seg[] = { "es", "cs", "ss", "ds", "fs", "gs" };
    static const char *const high[] = { "ah", "ch", "dh", "bh" };
    switch (o->cls) {
    case X86_RC_GPR: snprintf(buf, cap, "%s", gpr_name(o->reg, o->size)); break;
    case X86_RC_GPR8H: snprintf(buf, cap, "%s", high[o->reg & 3]); break;
    case X86_RC_SEG: snprintf(buf, cap, "%s", o->reg < 6 ? seg[o->reg] : "?"); break;
    case X86_RC_CR: snprintf(buf, cap, "cr%u", o->reg); break;
    case X86_RC_DR: snprintf(buf, cap, "dr%u", o->reg); break;
    case X86_RC_MMX: snprintf(buf, cap, "mm%u", o->reg); break;
    case X86_RC_XMM: snprintf(buf, cap, "xmm%u", o->reg); break;
    case X86_RC_ST: snprintf(buf, cap, "st(%u)", o->reg); break;
    default: snprintf(buf, cap, "?"); break;
    }
}

/* Address register of a memory operand, spelled as capstone spells it. */
static const char *addr_reg_name(unsigned reg, unsigned addrsize)
{
    if (reg == X86_REG_RIP) {
        return addrsize == 8 ? "rip" : "eip";
    }
    return gpr_name(reg, addrsize);
}

static bool imm_equal(uint64_t a, uint64_t b, unsigned bytes)
{
    uint64_t mask = bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
    return ((a ^ b) & mask) == 0;
}

/* Compares registers, the memory operand and immediates with capstone's. */
static bool operands_agree(csh h, X86DecodeMode mode, const X86Insn *in, const cs_insn *ci,
                           uint64_t addr, char *why, size_t cap)
{
    const cs_x86 *x = &ci->detail->x86;
    int imm_seen = 0;
    why[0] = 0;
    for (unsigned i = 0; i < in->nops; i++) {
        const X86Operand *o = &in->op[i];
        bool found = false;
        if (o->type == X86_OPT_REG) {
            char name[16];
            /* capstone leaves out the implicit ST(0) and XMM0. */
            if (o->kind == X86_OPK_ST0 || o->kind == X86_OPK_XMM0) {
                continue;
            }
            reg_name(o, name, sizeof(name));
            for (unsigned j = 0; j < x->op_count && !found; j++) {
                found = x->operands[j].type == X86_OP_REG &&
                        strcmp(cs_reg_name(h, x->operands[j].reg), name) == 0;
            }
            /* "r32/m16" (MOV Sreg, LAR, LSL, ...): capstone names the 32- or
             * 64-bit register, we the 16 bits that are read. MOVMSKPS & co.
             * write a zero-extended r32 that we call r64 under REX.W. */
            bool any_width = o->kind == X86_OPK_Ew ||
                             (o->kind == X86_OPK_Gy && i + 1 < in->nops &&
                              (in->op[i + 1].kind == X86_OPK_Nq || in->op[i + 1].kind == X86_OPK_Udq ||
                               in->op[i + 1].kind == X86_OPK_Ups || in->op[i + 1].kind == X86_OPK_Upd));
            for (unsigned sz = 2; sz <= 8 && !found && any_width; sz *= 2) {
                for (unsigned j = 0; j < x->op_count && !found; j++) {
                    found = x->operands[j].type == X86_OP_REG &&
                            strcmp(cs_reg_name(h, x->operands[j].reg), gpr_name(o->reg, sz)) == 0;
                }
            }
            /* The implicit accumulator: capstone sizes it inconsistently
             * when 66 meets REX.W or a segment prefix (66 2E 96). */
            for (unsigned sz = 1; sz <= 8 && !found && o->kind >= X86_OPK_AX &&
                                  o->kind <= X86_OPK_rAX; sz *= 2) {
                for (unsigned j = 0; j < x->op_count && !found; j++) {
                    found = x->operands[j].type == X86_OP_REG &&
                            strcmp(cs_reg_name(h, x->operands[j].reg), gpr_name(0, sz)) == 0;
                }
            }
            if (!found) {
                snprintf(why, cap, "register %s (%s)", name, x86_operand_kind_name(o->kind));
                return false;
            }
        } else if (o->type == X86_OPT_MEM) {
            const X86Mem *m = &in->mem;
            for (unsigned j = 0; j < x->op_count && !found; j++) {
                const cs_x86_op *c = &x->operands[j];
                if (c->type != X86_OP_MEM) {
                    continue;
                }
                const char *cb = c->mem.base ? cs_reg_name(h, c->mem.base) : "";
                const char *cx = c->mem.index ? cs_reg_name(h, c->mem.index) : "";
                const char *ob = m->base == X86_REG_NONE ? "" : addr_reg_name(m->base, in->addrsize);
                const char *ox = m->index == X86_REG_NONE ? "" : addr_reg_name(m->index, in->addrsize);
                bool disp_ok = imm_equal(c->mem.disp, m->disp, in->addrsize);
                bool scale_ok = m->index == X86_REG_NONE || c->mem.scale == m->scale;
                found = strcmp(cb, ob) == 0 && strcmp(cx, ox) == 0 && disp_ok && scale_ok;
                if (!found) {
                    snprintf(why, cap, "memory [%s+%s*%u+%" PRIx64 "] vs capstone [%s+%s*%d+%" PRIx64 "]",
                             ob, ox, m->scale, (uint64_t)m->disp, cb, cx, c->mem.scale,
                             (uint64_t)c->mem.disp);
                    return false;
                }
            }
        } else if (o->type == X86_OPT_IMM && o->kind != X86_OPK_I1 &&
                   !(x->op_count == 2 && in->map == X86_MAP_0F && in->opcode == 0xc2) &&
                   !((in->id == X86_INSN_AAD_Ib || in->id == X86_INSN_AAM_Ib) && in->imm == 10)) {
            /* (capstone turns CMPPS & co. with a known predicate into
             * pseudo-ops such as CMPLTSD, and AAD/AAM 10 into bare AAD/AAM,
             * dropping the immediate) */
            uint64_t v = imm_seen++ == 0 ? (uint64_t)in->imm : (uint64_t)in->imm2;
            unsigned bytes = o->kind == X86_OPK_Iv ? o->size : o->size > 4 ? 4 : o->size;
            if (o->kind == X86_OPK_IbIb) {
                v = in->imm;
                bytes = 1;
            }
            for (unsigned j = 0; j < x->op_count && !found; j++) {
                found = x->operands[j].type == X86_OP_IMM &&
                        imm_equal(x->operands[j].imm, v, bytes);
            }
            if (!found) {
                snprintf(why, cap, "immediate %" PRIx64, v);
                return false;
            }
        } else if (o->type == X86_OPT_REL && !(in->prefixes & X86_PFX_ADDRSIZE) &&
                   !(mode == X86_MODE_16 && in->opsize == 4)) {
            /* (capstone wraps the target to the address size after 67, and
             * to 16 bits in 16-bit code even with a 32-bit operand size) */
            uint64_t target = addr + in->len + (uint64_t)in->imm;
            unsigned bytes = mode == X86_MODE_64 ? 8 : in->opsize;
            for (unsigned j = 0; j < x->op_count && !found; j++) {
                found = x->operands[j].type == X86_OP_IMM &&
                        imm_equal(x->operands[j].imm, target, bytes);
            }
            if (!found) {
                snprintf(why, cap, "branch target %" PRIx64, target);
                return false;
            }
        }
    }
    return true;
}

/* Decodes p with capstone in detail mode and compares operands; counts in st. */
static void check_operands(csh h, X86DecodeMode mode, const uint8_t *p, size_t n, uint64_t addr,
                           cs_insn *ci, Stats *st)
{
    const uint8_t *q = p;
    size_t left = n;
    uint64_t a = addr;
    X86Insn in;
    bool fetch_ok;
    char why[160];

    if (!cs_disasm_iter(h, &q, &left, &a, ci)) {
        return;
    }
    if (decode_bytes(mode, p, n < 15 ? n : 15, &in, &fetch_ok) != X86_DECODE_OK ||
        in.len != ci->size || capstone_diverges(mode, p, ci, &in, X86_DECODE_OK)) {
        return;
    }
    st->op_checked++;
    if (!operands_agree(h, mode, &in, ci, addr, why, sizeof(why))) {
        st->op_mismatch++;
        if (st->reported++ < MAX_REPORT || verbose) {
            char hex[40];
            hexdump(hex, sizeof(hex), p, in.len);
            printf("  [%s] operands differ: %s (%s %s; ours %s): %s\n", mode_name(mode), hex,
                   ci->mnemonic, ci->op_str, x86_insn_name(in.id), why);
        }
    }
}

static cs_mode cs_mode_of(X86DecodeMode m)
{
    return m == X86_MODE_64 ? CS_MODE_64 : m == X86_MODE_32 ? CS_MODE_32 : CS_MODE_16;
}

/* Walks a code blob with capstone, instruction after instruction. */
static void walk_code(X86DecodeMode mode, const uint8_t *code, size_t size, size_t limit,
                      Stats *st)
{
    csh h;
    if (cs_open(CS_ARCH_X86, cs_mode_of(mode), &h) != CS_ERR_OK) {
        return;
    }
    csh hd;
    cs_open(CS_ARCH_X86, cs_mode_of(mode), &hd);
    cs_option(hd, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *ci = cs_malloc(h), *cd = cs_malloc(hd);
    size_t off = 0;
    unsigned long n = 0;
    while (off < size && n < limit) {
        const uint8_t *p = code + off;
        size_t left = size - off;
        uint64_t addr = off;
        if (!cs_disasm_iter(h, &p, &left, &addr, ci)) {
            off++;
            continue;
        }
        if (compare_one(mode, code + off, size - off, ci, st) && n % OP_SAMPLE == 0) {
            check_operands(hd, mode, code + off, size - off, off, cd, st);
        }
        off += ci->size;
        n++;
    }
    cs_free(ci, 1);
    cs_free(cd, 1);
    cs_close(&h);
    cs_close(&hd);
}

static void print_stats(const char *what, const Stats *st)
{
    printf("  %s: %lu insns by capstone: %lu decoded (%.3f%%), same length; %lu #UD by the SDM "
           "(LOCK, CR1, ...), same length; %lu out of scope; %lu known capstone departures; "
           "%lu rejected; %lu length mismatches; operands compared for %lu, %lu differ\n", what,
           st->total, st->decoded, st->total ? 100.0 * st->decoded / st->total : 0.0,
           st->sdm_invalid, st->out_of_scope, st->divergent, st->rejected, st->len_mismatch,
           st->op_checked, st->op_mismatch);
    if (st->only_ours) {
        printf("  %lu decoded by us only (hint NOPs, PREFETCH aliases, UD0, prefix orders "
               "capstone refuses)\n", st->only_ours);
    }
    if (st->rejected_names[0]) {
        printf("  rejected in scope:%s\n", st->rejected_names);
    }
    if (st->scope_names[0]) {
        printf("  out of scope:%s\n", st->scope_names);
    }
    if (st->divergent_names[0]) {
        printf("  capstone departures:%s\n", st->divergent_names);
    }
}

static bool corpus_file(X86DecodeMode mode, const char *path, size_t limit, Stats *st)
{
    Blob b;
    if (!read_file(path, &b)) {
        return false;
    }
    if (!elf_text(&b)) {
        free(b.data);
        return false;
    }
    walk_code(mode, b.data + b.text_off, b.text_size, limit, st);
    free(b.data);
    return true;
}

/* ---- test cases ----------------------------------------------------------- */

TEST_CASE(table_is_consistent)
{
    if (x86_decode_table_error()) {
        printf("  decode.def: %s\n", x86_decode_table_error());
    }
    CHECK(x86_decode_table_error() == NULL);
    for (unsigned id = 1; id < X86_INSN_COUNT; id++) {
        CHECK(x86_insn_name(id)[0] != 0);
    }
}

TEST_CASE(corpus_64)
{
    static const char *const files[] = {
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/bin/python3",
        "/usr/bin/gdb",
    };
    Stats st = { 0 };
    int found = 0;
    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        found += corpus_file(X86_MODE_64, files[i], 2000000, &st);
    }
    if (!found) {
        SKIP("no 64-bit corpus binary found");
    }
    print_stats("64-bit", &st);
    CHECK_EQ(st.fetch_bad, 0);
    CHECK_EQ(st.len_mismatch, 0);
    CHECK_EQ(st.rejected, 0);
    CHECK_EQ(st.op_mismatch, 0);
}

TEST_CASE(corpus_32)
{
    static const char *const files[] = {
        "/usr/lib32/libc.so.6",
        "/usr/lib32/libm.so.6",
        "/usr/libexec/valgrind/memcheck-x86-linux",
    };
    Stats st = { 0 };
    int found = 0;
    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        found += corpus_file(X86_MODE_32, files[i], 2000000, &st);
    }
    /* 64-bit code read as 32-bit code: a different but realistic mix. */
    found += corpus_file(X86_MODE_32, "/usr/lib/x86_64-linux-gnu/libc.so.6", 2000000, &st);
    if (!found) {
        SKIP("no corpus binary found");
    }
    print_stats("32-bit", &st);
    CHECK_EQ(st.fetch_bad, 0);
    CHECK_EQ(st.len_mismatch, 0);
    CHECK_EQ(st.rejected, 0);
    CHECK_EQ(st.op_mismatch, 0);
}

/* Raw firmware images: SeaBIOS (16-bit entry code, 32-bit body) and VGA BIOS
 * (gcc -m16 code, full of 66/67 prefixes), walked as 16-bit code. */
TEST_CASE(corpus_16)
{
    static const char *const files[] = {
        "/usr/share/seabios/vgabios-stdvga.bin",
        "/usr/share/seabios/vgabios-cirrus.bin",
        "/usr/share/seabios/bios.bin",
    };
    Stats st = { 0 };
    int found = 0;
    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        Blob b;
        if (!read_file(files[i], &b)) {
            continue;
        }
        found++;
        walk_code(X86_MODE_16, b.data, b.size, 2000000, &st);
        free(b.data);
    }
    if (!found) {
        SKIP("no firmware image found (qemu-system-x86 / seabios)");
    }
    print_stats("16-bit", &st);
    CHECK_EQ(st.fetch_bad, 0);
    CHECK_EQ(st.len_mismatch, 0);
    CHECK_EQ(st.rejected, 0);
    CHECK_EQ(st.op_mismatch, 0);
}

/* xorshift64*: the random tests are reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* Random bytes biased toward prefixes and escapes, so that deep forms appear. */
static void random_insn(uint8_t *b)
{
    static const uint8_t pfx[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x3e, 0x26, 0x64, 0x65,
                                   0x36, 0x48, 0x41, 0x4c, 0x40, 0x4f };
    unsigned i = 0;
    uint64_t r = rng_next();
    unsigned np = r & 3 ? (r >> 2) & 3 : 0;
    for (unsigned k = 0; k < np; k++) {
        b[i++] = pfx[rng_next() % sizeof(pfx)];
    }
    r = rng_next();
    switch (r & 7) {
    case 0: case 1: b[i++] = 0x0f; break;
    case 2: b[i++] = 0x0f; b[i++] = 0x38; break;
    case 3: b[i++] = 0x0f; b[i++] = 0x3a; break;
    default: break;
    }
    while (i < 16) {
        uint64_t v = rng_next();
        for (unsigned k = 0; k < 8 && i < 16; k++) {
            b[i++] = v >> (8 * k);
        }
    }
}

static void random_mode(X86DecodeMode mode, unsigned long count, Stats *st)
{
    csh h;
    if (cs_open(CS_ARCH_X86, cs_mode_of(mode), &h) != CS_ERR_OK) {
        return;
    }
    csh hd;
    cs_open(CS_ARCH_X86, cs_mode_of(mode), &hd);
    cs_option(hd, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *ci = cs_malloc(h), *cd = cs_malloc(hd);
    for (unsigned long n = 0; n < count; n++) {
        uint8_t b[16];
        random_insn(b);
        const uint8_t *p = b;
        size_t left = 15;
        uint64_t addr = 0x1000;
        if (cs_disasm_iter(h, &p, &left, &addr, ci)) {
            if (compare_one(mode, b, 15, ci, st) && n % OP_SAMPLE == 0) {
                check_operands(hd, mode, b, 15, 0x1000, cd, st);
            }
        } else {
            /* Capstone refuses: we must still obey the fetch rules. */
            X86Insn in;
            bool fetch_ok;
            int s = decode_bytes(mode, b, 15, &in, &fetch_ok);
            if (!fetch_ok) {
                st->fetch_bad++;
            }
            if (s == X86_DECODE_OK) {
                st->only_ours++;
                if (verbose) {
                    char hex[40];
                    hexdump(hex, sizeof(hex), b, in.len);
                    printf("  [%s] only ours: %s %s\n", mode_name(mode), hex, x86_insn_name(in.id));
                }
            }
        }
    }
    cs_free(ci, 1);
    cs_free(cd, 1);
    cs_close(&h);
    cs_close(&hd);
}

TEST_CASE(random_bytes)
{
    static const X86DecodeMode modes[] = { X86_MODE_64, X86_MODE_32, X86_MODE_16 };
    bool ok = true;
    for (unsigned m = 0; m < 3; m++) {
        Stats st = { 0 };
        random_mode(modes[m], 350000, &st);
        char what[32];
        snprintf(what, sizeof(what), "random %s-bit", mode_name(modes[m]));
        print_stats(what, &st);
        ok = ok && st.fetch_bad == 0 && st.len_mismatch == 0 && st.rejected == 0 &&
             st.op_mismatch == 0;
    }
    CHECK(ok);
}

/* ---- SDM edge cases, checked by hand ---------------------------------------- */

#define M64 X86_MODE_64
#define M32 X86_MODE_32
#define M16 X86_MODE_16

TEST_CASE(length_limit_15)
{
    X86Insn in;
    /* 14 prefixes + NOP = 15 bytes: fine. */
    CHECK_EQ(decode_hex(M64, "6666666666666666666666666666 90", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 15);
    /* 15 prefixes + NOP: #GP, and byte 15 is never fetched (decode_hex checks). */
    CHECK_EQ(decode_hex(M64, "666666666666666666666666666666 90", &in), X86_DECODE_TOO_LONG);
    CHECK_EQ(in.len, 15);
    /* mov qword [rsp+disp32], imm32 behind 3 prefixes is exactly 15 bytes. */
    CHECK_EQ(decode_hex(M64, "262626 48c78424 11223344 55667788", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 15);
    CHECK_EQ(in.imm, (int64_t)(int32_t)0x88776655);
    /* ... behind 4 prefixes the immediate crosses byte 15. */
    CHECK_EQ(decode_hex(M64, "26262626 48c78424 11223344 55667788", &in), X86_DECODE_TOO_LONG);
    CHECK_EQ(in.len, 15);
}

TEST_CASE(rex_position_and_operand_size)
{
    X86Insn in;
    /* REX followed by a legacy prefix is ignored. */
    CHECK_EQ(decode_hex(M64, "48 66 89c0", &in), X86_DECODE_OK);
    CHECK_EQ(in.rex, 0);
    CHECK_EQ(in.opsize, 2);
    /* 66 then REX.W: REX.W wins. */
    CHECK_EQ(decode_hex(M64, "66 48 89c0", &in), X86_DECODE_OK);
    CHECK_EQ(in.opsize, 8);
    CHECK_EQ(in.op[0].size, 8);
    /* Ignored REX.B: base is rax, not r8. */
    CHECK_EQ(decode_hex(M64, "41 66 8b00", &in), X86_DECODE_OK);
    CHECK_EQ(in.mem.base, R_EAX);
    CHECK_EQ(decode_hex(M64, "66 41 8b00", &in), X86_DECODE_OK);
    CHECK_EQ(in.mem.base, R_R8);
    CHECK_EQ(in.op[0].size, 2);
    /* Only the last REX counts. */
    CHECK_EQ(decode_hex(M64, "41 48 89c0", &in), X86_DECODE_OK);
    CHECK_EQ(in.rex, 0x48);
    CHECK_EQ(in.op[0].reg, R_EAX);
    /* 40-4F are INC/DEC outside 64-bit mode. */
    CHECK_EQ(decode_hex(M32, "48", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_DEC_Zv);
    CHECK_EQ(in.op[0].reg, R_EAX);
    /* 67 in 64-bit mode: 32-bit addressing; JECXZ. */
    CHECK_EQ(decode_hex(M64, "67 8b0424", &in), X86_DECODE_OK);
    CHECK_EQ(in.addrsize, 4);
    CHECK_EQ(in.mem.base, R_ESP);
    CHECK_EQ(in.seg, SEG_SS);
    CHECK_EQ(decode_hex(M64, "67 e3 10", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_JCXZ_Jb);
    CHECK_EQ(in.addrsize, 4);
    /* Default 64-bit operand size: PUSH, and 66 gives 16; no 32-bit form. */
    CHECK_EQ(decode_hex(M64, "6a ff", &in), X86_DECODE_OK);
    CHECK_EQ(in.opsize, 8);
    CHECK_EQ(in.imm, -1);
    CHECK_EQ(decode_hex(M64, "66 68 3412", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 4);
    CHECK_EQ(in.opsize, 2);
    CHECK_EQ(in.imm, 0x1234);
    /* Near branches keep rel32 under 66 in 64-bit mode (Intel); rel16 in 32. */
    CHECK_EQ(decode_hex(M64, "66 e8 00000000", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 6);
    CHECK_EQ(in.opsize, 8);
    CHECK_EQ(decode_hex(M32, "66 e8 0000", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 4);
    CHECK_EQ(in.opsize, 2);
    CHECK_EQ(decode_hex(M16, "e8 fdff", &in), X86_DECODE_OK);
    CHECK_EQ(in.imm, -3);
    /* MOV r64, imm64 and sign-extended Iz / Ibs. */
    CHECK_EQ(decode_hex(M64, "48 b8 8877665544332211", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 10);
    CHECK_EQ((uint64_t)in.imm, 0x1122334455667788ull);
    CHECK_EQ(decode_hex(M64, "48 05 f0ffffff", &in), X86_DECODE_OK);
    CHECK_EQ(in.imm, -16);
    CHECK_EQ(decode_hex(M64, "83 c0 80", &in), X86_DECODE_OK);
    CHECK_EQ(in.imm, -128);
    CHECK_EQ(decode_hex(M64, "c0 e0 ff", &in), X86_DECODE_OK);
    CHECK_EQ(in.imm, 255);
    CHECK_EQ(decode_hex(M64, "c8 1000 01", &in), X86_DECODE_OK);
    CHECK_EQ(in.imm, 16);
    CHECK_EQ(in.imm2, 1);
    /* moffs are address-sized. */
    CHECK_EQ(decode_hex(M64, "a1 8877665544332211", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 9);
    CHECK_EQ((uint64_t)in.mem.disp, 0x1122334455667788ull);
    CHECK_EQ(decode_hex(M64, "67 a1 44332211", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 6);
    CHECK_EQ(decode_hex(M16, "a1 3412", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 3);
    CHECK_EQ(decode_hex(M16, "67 66 a1 44332211", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 7);
    CHECK_EQ(in.opsize, 4);
    /* Far pointer: offset then selector. */
    CHECK_EQ(decode_hex(M16, "ea 0000 00f0", &in), X86_DECODE_OK);
    CHECK_EQ(in.imm, 0);
    CHECK_EQ(in.imm2, 0xf000);
    CHECK_EQ(decode_hex(M32, "ea 78563412 0800", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 7);
}

TEST_CASE(mandatory_prefix_selection)
{
    X86Insn in;
    CHECK_EQ(decode_hex(M64, "0f10c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVUPS_VpsWps);
    CHECK_EQ(decode_hex(M64, "66 0f10c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVUPD_VpdWpd);
    CHECK_EQ(in.mandatory, X86_MAND_66);
    /* F2/F3 win over 66 in any order; the last of F2/F3 wins. */
    CHECK_EQ(decode_hex(M64, "66 f3 0f10c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVSS_VssWss);
    CHECK_EQ(decode_hex(M64, "f3 66 0f10c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVSS_VssWss);
    CHECK_EQ(decode_hex(M64, "f2 f3 0f10c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVSS_VssWss);
    CHECK_EQ(decode_hex(M64, "f3 f2 0f10c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVSD_VsdWsd);
    CHECK_EQ(in.mandatory, X86_MAND_F2);
    /* The prefix may sit before other prefixes; REX must follow it. */
    CHECK_EQ(decode_hex(M64, "f3 2e 41 0f10c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVSS_VssWss);
    CHECK_EQ(in.op[1].reg, 9);
    /* A REP prefix with no form of its own is ignored. */
    CHECK_EQ(decode_hex(M64, "f3 0f28c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVAPS_VpsWps);
    CHECK_EQ(in.mandatory, X86_MAND_NONE);
    CHECK_EQ(decode_hex(M64, "f3 c3", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_RET);
    /* POPCNT: F3 selects it, 66 stays an operand-size prefix. */
    CHECK_EQ(decode_hex(M64, "f3 0fb8c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_POPCNT_GvEv);
    CHECK_EQ(in.opsize, 4);
    CHECK_EQ(decode_hex(M64, "66 f3 0fb8c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_POPCNT_GvEv);
    CHECK_EQ(in.opsize, 2);
    CHECK_EQ(decode_hex(M64, "0fb8c1", &in), X86_DECODE_UD);
    /* TZCNT vs BSF, LZCNT vs BSR. */
    CHECK_EQ(decode_hex(M64, "f3 480fbcc1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_TZCNT_GvEv);
    CHECK_EQ(in.feature, X86_FEAT_BMI1);
    CHECK_EQ(decode_hex(M64, "f2 0fbcc1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_BSF_GvEv);
    CHECK_EQ(decode_hex(M64, "66 0fbdc1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_BSR_GvEv);
    CHECK_EQ(in.opsize, 2);
    /* PAUSE vs NOP vs XCHG r8. */
    CHECK_EQ(decode_hex(M64, "f3 90", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_PAUSE);
    CHECK_EQ(decode_hex(M64, "66 90", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_NOP);
    CHECK_EQ(decode_hex(M64, "41 90", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_XCHG_ZvrAX);
    CHECK_EQ(in.op[0].reg, R_R8);
    CHECK_EQ(decode_hex(M64, "f3 0f1efa", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_ENDBR64);
    CHECK_EQ(in.feature, X86_FEAT_BASE);      /* a NOP without CET: never #UD */
    CHECK_EQ(decode_hex(M64, "0f1efa", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_NOP_Ev_0F1E);
    /* CRC32 (F2) vs MOVBE (no prefix, memory only); 66 sizes CRC32's source. */
    CHECK_EQ(decode_hex(M64, "66 f2 0f38f1 c1", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_CRC32_GyEv);
    CHECK_EQ(in.op[0].size, 4);
    CHECK_EQ(in.op[1].size, 2);
    CHECK_EQ(decode_hex(M64, "f2 0f38f0 00", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_CRC32_GyEb);
    CHECK_EQ(decode_hex(M64, "66 0f38f0 00", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVBE_GvMv);
    CHECK_EQ(in.opsize, 2);
    CHECK_EQ(decode_hex(M64, "0f38f0 c0", &in), X86_DECODE_UD);
    /* MOVQ xmm, r64 is 66 REX.W 0F 6E; SSE4.1 forms need their 66. */
    CHECK_EQ(decode_hex(M64, "66 48 0f6ec0", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVD_VdqEy);
    CHECK_EQ(in.op[1].size, 8);
    CHECK_EQ(decode_hex(M64, "0f3817c1", &in), X86_DECODE_UD);
    CHECK_EQ(decode_hex(M64, "66 0f3a63 c1 0c", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_PCMPISTRI_VdqWdqIb);
    CHECK_EQ(in.imm, 0x0c);
    /* CMPXCHG16B needs REX.W. */
    CHECK_EQ(decode_hex(M64, "48 0fc70e", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_CMPXCHG16B_Mdq);
    CHECK_EQ(decode_hex(M64, "0fc70e", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_CMPXCHG8B_Mq);
    CHECK_EQ(decode_hex(M64, "0fc7ce", &in), X86_DECODE_UD);
}

TEST_CASE(lock_prefix)
{
    X86Insn in;
    CHECK_EQ(decode_hex(M64, "f0 0100", &in), X86_DECODE_OK);
    CHECK_EQ(in.prefixes & X86_PFX_LOCK, X86_PFX_LOCK);
    CHECK_EQ(decode_hex(M64, "f0 01c0", &in), X86_DECODE_UD_LOCK);
    CHECK_EQ(in.len, 3);
    CHECK_EQ(decode_hex(M64, "f0 8b00", &in), X86_DECODE_UD_LOCK);
    CHECK_EQ(decode_hex(M64, "f0 3900", &in), X86_DECODE_UD_LOCK);    /* CMP */
    CHECK_EQ(decode_hex(M64, "f0 8600", &in), X86_DECODE_OK);         /* XCHG */
    CHECK_EQ(decode_hex(M64, "f0 48 0fc70e", &in), X86_DECODE_OK);    /* CMPXCHG16B */
    CHECK_EQ(decode_hex(M64, "f0 0fba 28 05", &in), X86_DECODE_OK);   /* BTS m, imm */
    CHECK_EQ(decode_hex(M64, "f0 0fba 20 05", &in), X86_DECODE_UD_LOCK);  /* BT */
    CHECK_EQ(decode_hex(M64, "f0 90", &in), X86_DECODE_UD_LOCK);
    CHECK_EQ(decode_hex(M64, "f0 f7 18", &in), X86_DECODE_OK);        /* NEG */
    CHECK_EQ(decode_hex(M64, "f0 f7 00 01000000", &in), X86_DECODE_UD_LOCK);  /* TEST */
    CHECK_EQ(in.len, 7);
    /* AMD's LOCK MOV CR0 alias of CR8 is not advertised: #UD. */
    CHECK_EQ(decode_hex(M32, "f0 0f20c0", &in), X86_DECODE_UD_LOCK);
    CHECK_EQ(in.len, 4);
    CHECK_EQ(decode_hex(M32, "f0 0f22c0", &in), X86_DECODE_UD_LOCK);
}

TEST_CASE(byte_registers)
{
    X86Insn in;
    CHECK_EQ(decode_hex(M64, "88e0", &in), X86_DECODE_OK);             /* mov al, ah */
    CHECK_EQ(in.op[0].cls, X86_RC_GPR);
    CHECK_EQ(in.op[0].reg, R_EAX);
    CHECK_EQ(in.op[1].cls, X86_RC_GPR8H);
    CHECK_EQ(in.op[1].reg, 0);
    CHECK_EQ(decode_hex(M64, "40 88e0", &in), X86_DECODE_OK);          /* mov al, spl */
    CHECK_EQ(in.op[1].cls, X86_RC_GPR);
    CHECK_EQ(in.op[1].reg, R_ESP);
    CHECK_EQ(decode_hex(M64, "44 88e0", &in), X86_DECODE_OK);          /* mov al, r12b */
    CHECK_EQ(in.op[1].reg, R_R12);
    CHECK_EQ(decode_hex(M64, "41 88ff", &in), X86_DECODE_OK);          /* mov r15b, dil */
    CHECK_EQ(in.op[0].reg, R_R15);
    CHECK_EQ(in.op[1].cls, X86_RC_GPR);
    CHECK_EQ(in.op[1].reg, R_EDI);
    CHECK_EQ(decode_hex(M32, "88ff", &in), X86_DECODE_OK);             /* mov bh, bh */
    CHECK_EQ(in.op[0].cls, X86_RC_GPR8H);
    CHECK_EQ(in.op[0].reg, 3);
    CHECK_EQ(decode_hex(M64, "b4 12", &in), X86_DECODE_OK);            /* mov ah, 0x12 */
    CHECK_EQ(in.op[0].cls, X86_RC_GPR8H);
    CHECK_EQ(decode_hex(M64, "40 b4 12", &in), X86_DECODE_OK);         /* mov spl, 0x12 */
    CHECK_EQ(in.op[0].cls, X86_RC_GPR);
    CHECK_EQ(in.op[0].reg, R_ESP);
    CHECK_EQ(decode_hex(M64, "41 b4 12", &in), X86_DECODE_OK);         /* mov r12b, 0x12 */
    CHECK_EQ(in.op[0].reg, R_R12);
    CHECK_EQ(decode_hex(M64, "0f b6 c4", &in), X86_DECODE_OK);         /* movzx eax, ah */
    CHECK_EQ(in.op[1].cls, X86_RC_GPR8H);
    CHECK_EQ(decode_hex(M64, "48 0f b6 c4", &in), X86_DECODE_OK);      /* movzx rax, spl */
    CHECK_EQ(in.op[1].cls, X86_RC_GPR);
    CHECK_EQ(in.op[1].reg, R_ESP);
}

TEST_CASE(addressing_forms)
{
    X86Insn in;
    /* RIP-relative: disp32 from the end of the instruction; the immediate's
     * size decides that end, so the length must be exact. */
    CHECK_EQ(decode_hex(M64, "8b05 78563412", &in), X86_DECODE_OK);
    CHECK_EQ(in.mem.base, X86_REG_RIP);
    CHECK_EQ(in.mem.disp, 0x12345678);
    CHECK_EQ(in.len, 6);
    CHECK_EQ(decode_hex(M64, "c705 f0ffffff 01000000", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 10);
    CHECK_EQ(in.mem.disp, -16);
    CHECK_EQ(decode_hex(M64, "66 c705 f0ffffff 0100", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 9);
    CHECK_EQ(decode_hex(M64, "833d f0ffffff 01", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 7);
    CHECK_EQ(decode_hex(M64, "67 8b05 00000000", &in), X86_DECODE_OK);  /* EIP-relative */
    CHECK_EQ(in.mem.base, X86_REG_RIP);
    CHECK_EQ(in.addrsize, 4);
    CHECK_EQ(decode_hex(M32, "8b05 78563412", &in), X86_DECODE_OK);     /* absolute */
    CHECK_EQ(in.mem.base, X86_REG_NONE);
    CHECK_EQ(decode_hex(M64, "8b0425 78563412", &in), X86_DECODE_OK);   /* SIB absolute */
    CHECK_EQ(in.mem.base, X86_REG_NONE);
    CHECK_EQ(in.mem.index, X86_REG_NONE);
    CHECK_EQ(decode_hex(M64, "4a 8b0465 00000000", &in), X86_DECODE_OK); /* index r12 */
    CHECK_EQ(in.mem.index, R_R12);
    CHECK_EQ(in.mem.scale, 2);
    CHECK_EQ(in.mem.base, X86_REG_NONE);
    CHECK_EQ(decode_hex(M64, "41 8b0424", &in), X86_DECODE_OK);         /* [r12] */
    CHECK_EQ(in.mem.base, R_R12);
    CHECK_EQ(decode_hex(M64, "41 8b4500", &in), X86_DECODE_OK);         /* [r13+0] */
    CHECK_EQ(in.mem.base, R_R13);
    CHECK_EQ(in.len, 4);
    CHECK_EQ(decode_hex(M64, "8b44 8d f8", &in), X86_DECODE_OK);       /* [rbp+rcx*4-8] */
    CHECK_EQ(in.mem.base, R_EBP);
    CHECK_EQ(in.mem.index, R_ECX);
    CHECK_EQ(in.mem.scale, 4);
    CHECK_EQ(in.mem.disp, -8);
    /* 16-bit forms and their default segments. */
    CHECK_EQ(decode_hex(M16, "8b02", &in), X86_DECODE_OK);             /* [bp+si] */
    CHECK_EQ(in.mem.base, R_EBP);
    CHECK_EQ(in.mem.index, R_ESI);
    CHECK_EQ(in.seg, SEG_SS);
    CHECK_EQ(decode_hex(M16, "8b06 3412", &in), X86_DECODE_OK);        /* [0x1234] */
    CHECK_EQ(in.mem.base, X86_REG_NONE);
    CHECK_EQ(in.mem.disp, 0x1234);
    CHECK_EQ(in.seg, SEG_DS);
    CHECK_EQ(decode_hex(M16, "8b46 fe", &in), X86_DECODE_OK);          /* [bp-2] */
    CHECK_EQ(in.mem.disp, -2);
    CHECK_EQ(in.seg, SEG_SS);
    CHECK_EQ(decode_hex(M16, "26 8b46 fe", &in), X86_DECODE_OK);
    CHECK_EQ(in.seg, SEG_ES);
    CHECK_EQ(decode_hex(M16, "8b87 0080", &in), X86_DECODE_OK);        /* [bx-0x8000] */
    CHECK_EQ(in.mem.disp, -0x8000);
    CHECK_EQ(decode_hex(M16, "67 8b0424", &in), X86_DECODE_OK);        /* 32-bit addressing */
    CHECK_EQ(in.mem.base, R_ESP);
    /* Segment overrides in 64-bit mode: only FS and GS act. */
    CHECK_EQ(decode_hex(M64, "26 8b00", &in), X86_DECODE_OK);
    CHECK_EQ(in.seg, SEG_DS);
    CHECK_EQ(in.seg_override, SEG_ES);
    CHECK_EQ(decode_hex(M64, "64 8b00", &in), X86_DECODE_OK);
    CHECK_EQ(in.seg, SEG_FS);
    CHECK_EQ(decode_hex(M32, "2e 8b00", &in), X86_DECODE_OK);
    CHECK_EQ(in.seg, SEG_CS);
    /* LEA/LES need memory. */
    CHECK_EQ(decode_hex(M64, "8dc0", &in), X86_DECODE_UD);
    CHECK_EQ(decode_hex(M32, "c400", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_LES_GzMp);
    CHECK_EQ(in.op[1].size, 6);
}

TEST_CASE(modes_and_unsupported)
{
    X86Insn in;
    CHECK_EQ(decode_hex(M64, "06", &in), X86_DECODE_UD_MODE);
    CHECK_EQ(decode_hex(M32, "06", &in), X86_DECODE_OK);
    CHECK_EQ(decode_hex(M64, "d6", &in), X86_DECODE_UD_MODE);
    CHECK_EQ(decode_hex(M64, "82c001", &in), X86_DECODE_UD_MODE);
    CHECK_EQ(decode_hex(M32, "63c8", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_ARPL_EwGw);
    CHECK_EQ(decode_hex(M64, "48 63c8", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOVSXD_GvEd);
    CHECK_EQ(decode_hex(M32, "0f01f8", &in), X86_DECODE_UD_MODE);   /* SWAPGS */
    CHECK_EQ(decode_hex(M64, "0f01f8", &in), X86_DECODE_OK);
    CHECK_EQ(in.attrs & X86_ATTR_PRIV, X86_ATTR_PRIV);
    /* VEX/EVEX: C4/C5/62 in 64-bit mode at once; elsewhere when mod == 3. */
    CHECK_EQ(decode_hex(M64, "c5f877", &in), X86_DECODE_UD_VEX);
    CHECK_EQ(in.len, 1);
    CHECK_EQ(decode_hex(M64, "62f17c48 1000", &in), X86_DECODE_UD_VEX);
    CHECK_EQ(decode_hex(M32, "c5f877", &in), X86_DECODE_UD_VEX);
    CHECK_EQ(decode_hex(M32, "c500", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_LDS_GzMp);
    CHECK_EQ(decode_hex(M32, "62 00", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_BOUND_GvMa);
    CHECK_EQ(decode_hex(M64, "8fe878 c2c001", &in), X86_DECODE_UD_VEX);  /* XOP */
    CHECK_EQ(decode_hex(M64, "8fc0", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_POP_Ev);
    CHECK_EQ(decode_hex(M64, "0f0fc19e", &in), X86_DECODE_UD_VEX);       /* 3DNow! */
    CHECK_EQ(decode_hex(M64, "0f04", &in), X86_DECODE_UD);
    CHECK_EQ(decode_hex(M64, "0f0b", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_UD2);
    CHECK_EQ(decode_hex(M64, "0fb9 00", &in), X86_DECODE_OK);            /* UD1 has ModRM */
    CHECK_EQ(in.len, 3);
}

TEST_CASE(system_forms)
{
    X86Insn in;
    /* MOV CR/DR: register forms whatever mod says; r64 in 64-bit mode. */
    CHECK_EQ(decode_hex(M64, "0f20d8", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_MOV_RdCd);
    CHECK_EQ(in.op[0].size, 8);
    CHECK_EQ(in.op[1].cls, X86_RC_CR);
    CHECK_EQ(in.op[1].reg, 3);
    CHECK_EQ(decode_hex(M64, "0f2000", &in), X86_DECODE_OK);
    CHECK_EQ(in.len, 3);
    CHECK_EQ(decode_hex(M64, "44 0f22c0", &in), X86_DECODE_OK);     /* mov cr8, rax */
    CHECK_EQ(in.op[0].reg, 8);
    CHECK_EQ(decode_hex(M64, "0f20c8", &in), X86_DECODE_UD_OPERAND); /* cr1 */
    CHECK_EQ(decode_hex(M64, "44 0f21c0", &in), X86_DECODE_UD_OPERAND);  /* dr8 */
    CHECK_EQ(decode_hex(M32, "66 0f20c0", &in), X86_DECODE_OK);
    CHECK_EQ(in.op[0].size, 4);
    CHECK_EQ(decode_hex(M32, "8ec8", &in), X86_DECODE_UD_OPERAND);   /* mov cs, ax */
    CHECK_EQ(decode_hex(M32, "8cf0", &in), X86_DECODE_UD_OPERAND);   /* sreg 6 */
    CHECK_EQ(decode_hex(M32, "8ed0", &in), X86_DECODE_OK);           /* mov ss, ax */
    CHECK_EQ(in.attrs & X86_ATTR_SERIAL, X86_ATTR_SERIAL);
    CHECK_EQ(decode_hex(M64, "0f0138", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_INVLPG_M);
    CHECK_EQ(decode_hex(M64, "0f01d0", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_XGETBV);
    CHECK_EQ(decode_hex(M64, "0f0110", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_LGDT_Ms);
    CHECK_EQ(in.op[0].size, 10);
    CHECK_EQ(decode_hex(M32, "0f0110", &in), X86_DECODE_OK);
    CHECK_EQ(in.op[0].size, 6);
    CHECK_EQ(decode_hex(M64, "0faee8", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_LFENCE);
    CHECK_EQ(decode_hex(M64, "48 0fae00", &in), X86_DECODE_OK);      /* fxsave64 */
    CHECK_EQ(in.id, X86_INSN_FXSAVE_M);
    CHECK_EQ(in.rex, 0x48);
    CHECK_EQ(decode_hex(M64, "f3 48 0faec0", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_RDFSBASE_Ry);
    CHECK_EQ(in.op[0].size, 8);
    CHECK_EQ(decode_hex(M64, "0fc7f0", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_RDRAND_Rv);
    CHECK_EQ(in.feature, X86_FEAT_RDRAND);
    CHECK_EQ(decode_hex(M64, "0f05", &in), X86_DECODE_OK);
    CHECK_EQ(in.attrs & X86_ATTR_CF, X86_ATTR_CF);
    CHECK_EQ(decode_hex(M64, "f3 48 a5", &in), X86_DECODE_OK);       /* rep movsq */
    CHECK_EQ(in.id, X86_INSN_MOVS);
    CHECK_EQ(in.opsize, 8);
    CHECK_EQ(in.prefixes & X86_PFX_REP, X86_PFX_REP);
    CHECK_EQ(in.op[1].type, X86_OPT_STRING);
    CHECK_EQ(decode_hex(M32, "26 f3 a4", &in), X86_DECODE_OK);       /* rep movsb es:... */
    CHECK_EQ(in.seg, SEG_ES);
    CHECK_EQ(decode_hex(M64, "0f84 00010000", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_JE_Jz);
    CHECK_EQ(in.opcode & 15, 4);
    CHECK_EQ(in.imm, 0x100);
    CHECK_EQ(decode_hex(M64, "49 0fc9", &in), X86_DECODE_OK);        /* bswap r9 */
    CHECK_EQ(in.op[0].reg, R_R9);
    CHECK_EQ(in.op[0].size, 8);
}

TEST_CASE(x87_forms)
{
    X86Insn in;
    CHECK_EQ(decode_hex(M64, "d9e8", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_FLD1);
    CHECK_EQ(decode_hex(M64, "dd0424", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_FLD_Mq);
    CHECK_EQ(in.op[0].size, 8);
    CHECK_EQ(decode_hex(M64, "db2c24", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_FLD_Mt);
    CHECK_EQ(in.op[0].size, 10);
    CHECK_EQ(decode_hex(M64, "d8c3", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_FADD_ST0STi);
    CHECK_EQ(in.op[1].cls, X86_RC_ST);
    CHECK_EQ(in.op[1].reg, 3);
    CHECK_EQ(decode_hex(M64, "def9", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_FDIVP_STiST0);
    CHECK_EQ(decode_hex(M64, "dfe0", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_FNSTSW_AX);
    CHECK_EQ(decode_hex(M64, "dbe2", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_FNCLEX);
    CHECK_EQ(decode_hex(M64, "d9d1", &in), X86_DECODE_UD);
    CHECK_EQ(decode_hex(M64, "d908", &in), X86_DECODE_UD);          /* D9 /1 memory */
    CHECK_EQ(decode_hex(M64, "df08", &in), X86_DECODE_OK);
    CHECK_EQ(in.id, X86_INSN_FISTTP_Mw);
    CHECK_EQ(in.feature, X86_FEAT_SSE3);
}

/* Every byte string of up to 3 bytes plus padding: the fetch discipline holds
 * and nothing crashes in any mode. */
TEST_CASE(exhaustive_short_prefixes)
{
    static const X86DecodeMode modes[] = { M64, M32, M16 };
    unsigned long bad = 0;
    for (unsigned m = 0; m < 3; m++) {
        for (unsigned v = 0; v < (1u << 24); v += 7) {
            uint8_t b[15] = { v & 0xff, (v >> 8) & 0xff, v >> 16, 0x44, 0x24, 0x10, 0x20, 0x30 };
            X86Insn in;
            bool ok;
            int st = decode_bytes(modes[m], b, sizeof(b), &in, &ok);
            if (!ok || (st == X86_DECODE_OK && (in.len == 0 || in.id == X86_INSN_INVALID))) {
                bad++;
            }
        }
    }
    CHECK_EQ(bad, 0);
}

/* How fast the decoder is on real code (information, not a requirement). */
TEST_CASE(decode_speed)
{
    Blob b;
    if (!read_file("/usr/lib/x86_64-linux-gnu/libc.so.6", &b) || !elf_text(&b)) {
        SKIP("no libc.so.6");
    }
    const uint8_t *code = b.data + b.text_off;
    size_t off = 0, n = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (off + 15 < b.text_size) {
        X86Insn in;
        Source s = { code + off, 15, 0, false };
        x86_decode(M64, source_fetch, &s, &in);
        off += in.len ? in.len : 1;
        n++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    printf("  decode speed: %zu instructions of libc in %.1f ms, %.1f ns each\n", n, ns / 1e6,
           ns / (n ? n : 1));
    free(b.data);
    CHECK(n > 0);
}

int main(void)
{
    verbose = getenv("DECODE_TEST_VERBOSE") != NULL;
    RUN(table_is_consistent);
    RUN(corpus_64);
    RUN(corpus_32);
    RUN(corpus_16);
    RUN(random_bytes);
    RUN(length_limit_15);
    RUN(rex_position_and_operand_size);
    RUN(mandatory_prefix_selection);
    RUN(lock_prefix);
    RUN(byte_registers);
    RUN(addressing_forms);
    RUN(modes_and_unsupported);
    RUN(system_forms);
    RUN(x87_forms);
    RUN(exhaustive_short_prefixes);
    RUN(decode_speed);
    TEST_EXIT();
}
