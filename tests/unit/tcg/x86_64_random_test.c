/*
 * Random IR programs through the native x86-64 backend and the interpreter:
 * long blocks mixing every op on globals, TB and EBB temps and constants
 * (more live values than host registers), helper calls with each global
 * flag combination (one of them raising), guest loads/stores hitting and
 * missing the TLB (some faulting), forward branches, loops and side exits.
 * Final state, guest memory, slow-path logs and exit words must match.
 */
#if defined(__x86_64__)
#include "x86_64_harness.h"

#define NE 10       /* EBB temps per type */
#define NT 4        /* TB temps per type */

/* ---- helpers, one per global-flag combination ---- */
#define RANDOM_HELPERS(H) \
    H(h_rw, 0, i64, env, i64, i64) \
    H(h_ro, TCG_CALL_NO_WRITE_GLOBALS, i64, env, i64) \
    H(h_wo, TCG_CALL_NO_READ_GLOBALS, i32, env, i32) \
    H(h_none, TCG_CALL_NO_GLOBALS, i64, i64, i32, i64, i32, i64, i32) \
    H(h_pure, TCG_CALL_PURE | TCG_CALL_NO_GLOBALS, i32, i32, i64) \
    H(h_raise, TCG_CALL_NO_GLOBALS | TCG_CALL_MAY_RAISE, i64, env, i64) \
    H(h_void, TCG_CALL_NO_READ_GLOBALS | TCG_CALL_MAY_RAISE, void, env, i64)
RANDOM_HELPERS(TCG_HELPER_DECLARE)
RANDOM_HELPERS(TCG_HELPER_DEFINE)

uint64_t helper_h_rw(void *env, uint64_t a, uint64_t b)
{
    NCPU *c = env;
    c->seen[0] = c->seen[0] * 31 + globals_hash(c);
    c->r[4] = a ^ (b << 3) ^ c->r[3];
    c->w[2] = (uint32_t)(a + b);
    return a * 7 + b;
}
uint64_t helper_h_ro(void *env, uint64_t a)
{
    NCPU *c = env;
    c->seen[1] = c->seen[1] * 31 + globals_hash(c);
    return a + c->r[5] + c->w[1];
}
uint32_t helper_h_wo(void *env, uint32_t a)
{
    NCPU *c = env;
    c->r[6] = (uint64_t)a * 0x10001;
    c->w[3] = ~a;
    return a ^ 0x55aa;
}
uint64_t helper_h_none(uint64_t a, uint32_t b, uint64_t c, uint32_t d, uint64_t e, uint32_t f)
{
    return a + 3 * b + 5 * c + 7 * (uint64_t)d + 11 * e + 13 * (uint64_t)f;
}
uint32_t helper_h_pure(uint32_t a, uint64_t b)
{
    return a * 3 + (uint32_t)(b >> 7);
}
/* Raises (longjmp to the test) on a magic argument; the state must be precise. */
uint64_t helper_h_raise(void *env, uint64_t a)
{
    NCPU *c = env;
    c->seen[2] = c->seen[2] * 31 + globals_hash(c);
    if ((a & 0xff) == 0x5a && fault_armed) {
        fault_pc = retaddr_pc(TCG_GETPC());
        fault_addr = a;
        longjmp(fault_jmp, 1);
    }
    return a ^ 0x1234;
}
void helper_h_void(void *env, uint64_t a)
{
    NCPU *c = env;
    c->seen[3] = c->seen[3] * 31 + a + retaddr_pc(TCG_GETPC());
}

/* ---- the generator: deterministic from its seed, so both backends get the same IR ---- */

typedef struct Prog {
    uint64_t s;
    int len;                    /* ops to generate */
    TCGv_i64 e64[NE], t64[NT], loop_count;
    TCGv_i32 e32[NE], t32[NT];
    uint32_t def64, def32;      /* EBB temps holding a value (cleared at labels) */
    TCGLabel *pend[6];
    int npend;
    TCGLabel *side_exit;
    int insn;
    bool in_loop;
    int fault_rate;             /* 1 in N guest accesses may fault (MO_ALIGN) */
} Prog;

static uint64_t pr(Prog *p)
{
    p->s ^= p->s >> 12;
    p->s ^= p->s << 25;
    p->s ^= p->s >> 27;
    return p->s * 0x2545f4914f6cdd1dull;
}
static unsigned pn(Prog *p, unsigned n) { return (unsigned)(pr(p) % n); }
static uint64_t pval(Prog *p)
{
    static const uint64_t special[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000,
                                        0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
                                        0x8000000000000000ull, ~0ull, ~1ull, 0xffffffff80000000ull };
    uint64_t r = pr(p);
    switch (r & 7) {
    case 0: case 1: return special[(r >> 8) % 16];
    case 2: return (r >> 8) & 0xff;
    case 3: return (uint64_t)-(int64_t)((r >> 8) & 0xff);
    case 4: return pr(p) >> (r >> 58);
    default: return pr(p);
    }
}

static TCGv_i64 in64(Prog *p)
{
    unsigned k = pn(p, 12);
    if (k < 2) {
        return tcg_constant_i64((int64_t)pval(p));
    }
    if (k < 6) {
        return gr[pn(p, NG64)];
    }
    if (k < 8) {
        return p->t64[pn(p, NT)];
    }
    if (p->def64) {
        for (;;) {
            unsigned i = pn(p, NE);
            if (p->def64 & (1u << i)) {
                return p->e64[i];
            }
        }
    }
    return gr[pn(p, NG64)];
}

static TCGv_i32 in32(Prog *p)
{
    unsigned k = pn(p, 12);
    if (k < 2) {
        return tcg_constant_i32((int32_t)pval(p));
    }
    if (k < 6) {
        return gw[pn(p, NG32)];
    }
    if (k < 8) {
        return p->t32[pn(p, NT)];
    }
    if (p->def32) {
        for (;;) {
            unsigned i = pn(p, NE);
            if (p->def32 & (1u << i)) {
                return p->e32[i];
            }
        }
    }
    return gw[pn(p, NG32)];
}

static TCGv_i64 out64(Prog *p)
{
    unsigned k = pn(p, 8);
    if (k < 3) {
        return gr[pn(p, NG64)];
    }
    if (k < 4) {
        return p->t64[pn(p, NT)];
    }
    unsigned i = pn(p, NE);
    p->def64 |= 1u << i;
    return p->e64[i];
}

static TCGv_i32 out32(Prog *p)
{
    unsigned k = pn(p, 8);
    if (k < 3) {
        return gw[pn(p, NG32)];
    }
    if (k < 4) {
        return p->t32[pn(p, NT)];
    }
    unsigned i = pn(p, NE);
    p->def32 |= 1u << i;
    return p->e32[i];
}

static void label_here(Prog *p, TCGLabel *l)
{
    gen_set_label(l);
    p->def64 = p->def32 = 0;   /* EBB temps die at labels */
}

static TCGCond pcond(Prog *p)
{
    return (TCGCond)(TCG_COND_EQ + pn(p, TCG_COND_COUNT - TCG_COND_EQ));
}

typedef void (*Bin64)(TCGv_i64, TCGv_i64, TCGv_i64);
typedef void (*Bin32)(TCGv_i32, TCGv_i32, TCGv_i32);
static const Bin64 bin64[] = { tcg_gen_add_i64, tcg_gen_sub_i64, tcg_gen_mul_i64, tcg_gen_and_i64,
                               tcg_gen_or_i64, tcg_gen_xor_i64, tcg_gen_andc_i64, tcg_gen_orc_i64,
                               tcg_gen_shl_i64, tcg_gen_shr_i64, tcg_gen_sar_i64, tcg_gen_rotl_i64,
                               tcg_gen_rotr_i64, tcg_gen_clz_i64, tcg_gen_ctz_i64 };
static const Bin32 bin32[] = { tcg_gen_add_i32, tcg_gen_sub_i32, tcg_gen_mul_i32, tcg_gen_and_i32,
                               tcg_gen_or_i32, tcg_gen_xor_i32, tcg_gen_andc_i32, tcg_gen_orc_i32,
                               tcg_gen_shl_i32, tcg_gen_shr_i32, tcg_gen_sar_i32, tcg_gen_rotl_i32,
                               tcg_gen_rotr_i32, tcg_gen_clz_i32, tcg_gen_ctz_i32 };
static const Bin64 div64[] = { tcg_gen_div_i64, tcg_gen_divu_i64, tcg_gen_rem_i64, tcg_gen_remu_i64 };
static const Bin32 div32[] = { tcg_gen_div_i32, tcg_gen_divu_i32, tcg_gen_rem_i32, tcg_gen_remu_i32 };
typedef void (*Un64)(TCGv_i64, TCGv_i64);
typedef void (*Un32)(TCGv_i32, TCGv_i32);
static const Un64 un64[] = { tcg_gen_not_i64, tcg_gen_neg_i64, tcg_gen_ext8s_i64, tcg_gen_ext8u_i64,
                             tcg_gen_ext16s_i64, tcg_gen_ext16u_i64, tcg_gen_ext32s_i64,
                             tcg_gen_ext32u_i64, tcg_gen_bswap16_i64, tcg_gen_bswap32_i64,
                             tcg_gen_bswap64_i64, tcg_gen_ctpop_i64, tcg_gen_mov_i64 };
static const Un32 un32[] = { tcg_gen_not_i32, tcg_gen_neg_i32, tcg_gen_ext8s_i32, tcg_gen_ext8u_i32,
                             tcg_gen_ext16s_i32, tcg_gen_ext16u_i32, tcg_gen_bswap16_i32,
                             tcg_gen_bswap32_i32, tcg_gen_ctpop_i32, tcg_gen_mov_i32 };
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void gen_guest(Prog *p)
{
    TCGv_i64 a = tcg_temp_new_i64();
    tcg_gen_andi_i64(a, in64(p), 0xfff7);     /* inside the 16 pages, any alignment */
    tcg_gen_addi_i64(a, a, (int64_t)GBASE);
    bool is64 = pn(p, 2);
    TCGMemOp memop = pn(p, is64 ? 4 : 3) | (pn(p, 2) ? MO_SIGN : 0) | (pn(p, 4) ? 0 : MO_BE);
    if (p->fault_rate && pn(p, (unsigned)p->fault_rate) == 0) {
        memop |= MO_ALIGN;
    }
    unsigned mmu = pn(p, 4);
    if (pn(p, 2)) {
        if (is64) {
            tcg_gen_guest_ld_i64(out64(p), a, mmu, memop);
        } else {
            tcg_gen_guest_ld_i32(out32(p), a, mmu, memop);
        }
    } else if (is64) {
        tcg_gen_guest_st_i64(in64(p), a, mmu, memop);
    } else {
        tcg_gen_guest_st_i32(in32(p), a, mmu, memop);
    }
}

static void gen_call(Prog *p)
{
    /* Inputs first: an output EBB temp must not be read before it is defined. */
    TCGv_i64 a = in64(p), b = in64(p), c = in64(p);
    TCGv_i32 x = in32(p), y = in32(p), z = in32(p);
    switch (pn(p, 7)) {
    case 0: gen_helper_h_rw(out64(p), tcg_env, a, b); break;
    case 1: gen_helper_h_ro(out64(p), tcg_env, a); break;
    case 2: gen_helper_h_wo(out32(p), tcg_env, x); break;
    case 3: gen_helper_h_none(out64(p), a, x, b, y, c, z); break;
    case 4: gen_helper_h_pure(out32(p), x, a); break;
    case 5: gen_helper_h_raise(out64(p), tcg_env, a); break;
    default: gen_helper_h_void(tcg_env, a); break;
    }
}

static void gen_one(Prog *p)
{
    unsigned k = pn(p, 100);
    bool w64 = pn(p, 3) != 0;
    if (k < 26) {                                   /* binary */
        unsigned i = pn(p, NELEM(bin64));
        if (w64) {
            TCGv_i64 a = in64(p), b = in64(p);
            bin64[i](out64(p), a, b);
        } else {
            TCGv_i32 a = in32(p), b = in32(p);
            bin32[i](out32(p), a, b);
        }
    } else if (k < 30) {                            /* division with a valid divisor */
        unsigned i = pn(p, 4);
        if (w64) {
            TCGv_i64 d = tcg_temp_new_i64(), a = in64(p);
            tcg_gen_shri_i64(d, in64(p), 1 + pn(p, 40));
            tcg_gen_ori_i64(d, d, 1);
            div64[i](out64(p), a, d);
        } else {
            TCGv_i32 d = tcg_temp_new_i32(), a = in32(p);
            tcg_gen_shri_i32(d, in32(p), 1 + pn(p, 20));
            tcg_gen_ori_i32(d, d, 1);
            div32[i](out32(p), a, d);
        }
    } else if (k < 40) {                            /* unary, moves */
        if (w64) {
            TCGv_i64 a = in64(p);
            un64[pn(p, NELEM(un64))](out64(p), a);
        } else {
            TCGv_i32 a = in32(p);
            un32[pn(p, NELEM(un32))](out32(p), a);
        }
    } else if (k < 45) {                            /* conversions */
        switch (pn(p, 5)) {
        case 0: { TCGv_i64 a = in64(p); tcg_gen_extrl_i64_i32(out32(p), a); break; }
        case 1: { TCGv_i64 a = in64(p); tcg_gen_extrh_i64_i32(out32(p), a); break; }
        case 2: { TCGv_i32 a = in32(p); tcg_gen_extu_i32_i64(out64(p), a); break; }
        case 3: { TCGv_i32 a = in32(p); tcg_gen_exts_i32_i64(out64(p), a); break; }
        default: { TCGv_i32 a = in32(p), b = in32(p); tcg_gen_concat_i32_i64(out64(p), a, b); }
        }
    } else if (k < 52) {                            /* comparisons */
        TCGCond c = pcond(p);
        unsigned kind = pn(p, 3);
        if (w64) {
            TCGv_i64 a = in64(p), b = in64(p), v1 = in64(p), v2 = in64(p);
            if (kind == 0) tcg_gen_setcond_i64(c, out64(p), a, b);
            if (kind == 1) tcg_gen_negsetcond_i64(c, out64(p), a, b);
            if (kind == 2) tcg_gen_movcond_i64(c, out64(p), a, b, v1, v2);
        } else {
            TCGv_i32 a = in32(p), b = in32(p), v1 = in32(p), v2 = in32(p);
            if (kind == 0) tcg_gen_setcond_i32(c, out32(p), a, b);
            if (kind == 1) tcg_gen_negsetcond_i32(c, out32(p), a, b);
            if (kind == 2) tcg_gen_movcond_i32(c, out32(p), a, b, v1, v2);
        }
    } else if (k < 56) {                            /* double-word */
        unsigned kind = pn(p, 4);
        if (w64) {
            TCGv_i64 a = in64(p), b = in64(p), c = in64(p), d = in64(p), lo = out64(p), hi = out64(p);
            if (lo.n == hi.n) {
                hi = tcg_temp_new_i64();
            }
            if (kind == 0) tcg_gen_mulu2_i64(lo, hi, a, b);
            if (kind == 1) tcg_gen_muls2_i64(lo, hi, a, b);
            if (kind == 2) tcg_gen_add2_i64(lo, hi, a, b, c, d);
            if (kind == 3) tcg_gen_sub2_i64(lo, hi, a, b, c, d);
        } else {
            TCGv_i32 a = in32(p), b = in32(p), c = in32(p), d = in32(p), lo = out32(p), hi = out32(p);
            if (lo.n == hi.n) {
                hi = tcg_temp_new_i32();
            }
            if (kind == 0) tcg_gen_mulu2_i32(lo, hi, a, b);
            if (kind == 1) tcg_gen_muls2_i32(lo, hi, a, b);
            if (kind == 2) tcg_gen_add2_i32(lo, hi, a, b, c, d);
            if (kind == 3) tcg_gen_sub2_i32(lo, hi, a, b, c, d);
        }
    } else if (k < 61) {                            /* bit fields */
        unsigned w = w64 ? 64 : 32, pos = pn(p, w), len = 1 + pn(p, w - pos);
        unsigned kind = pn(p, 3);
        if (w64) {
            TCGv_i64 a = in64(p), b = in64(p);
            if (kind == 0) tcg_gen_deposit_i64(out64(p), a, b, pos, len);
            if (kind == 1) tcg_gen_extract_i64(out64(p), a, pos, len);
            if (kind == 2) tcg_gen_sextract_i64(out64(p), a, pos, len);
        } else {
            TCGv_i32 a = in32(p), b = in32(p);
            if (kind == 0) tcg_gen_deposit_i32(out32(p), a, b, pos, len);
            if (kind == 1) tcg_gen_extract_i32(out32(p), a, pos, len);
            if (kind == 2) tcg_gen_sextract_i32(out32(p), a, pos, len);
        }
    } else if (k < 65) {                            /* host memory: scratch fields */
        intptr_t off = (intptr_t)offsetof(NCPU, scratch) + 8 * pn(p, 8);
        switch (pn(p, 6)) {
        case 0: tcg_gen_ld_i64(out64(p), tcg_env, off); break;
        case 1: tcg_gen_ld8s_i32(out32(p), tcg_env, off + pn(p, 8)); break;
        case 2: tcg_gen_ld32s_i64(out64(p), tcg_env, off + 4 * pn(p, 2)); break;
        case 3: tcg_gen_st_i64(in64(p), tcg_env, off); break;
        case 4: tcg_gen_st16_i32(in32(p), tcg_env, off + 2 * pn(p, 4)); break;
        default: tcg_gen_st8_i64(in64(p), tcg_env, off + pn(p, 8)); break;
        }
    } else if (k < 77) {
        gen_guest(p);
    } else if (k < 84) {
        gen_call(p);
    } else if (k < 92 && !p->in_loop) {             /* control flow */
        unsigned kind = pn(p, 10);
        if (kind < 4 && p->npend < 6) {             /* forward conditional branch */
            TCGLabel *l = gen_new_label();
            p->pend[p->npend++] = l;
            if (w64) {
                TCGv_i64 a = in64(p), b = in64(p);
                tcg_gen_brcond_i64(pcond(p), a, b, l);
            } else {
                TCGv_i32 a = in32(p), b = in32(p);
                tcg_gen_brcond_i32(pcond(p), a, b, l);
            }
        } else if (kind < 7 && p->npend) {          /* a pending target arrives */
            unsigned i = pn(p, (unsigned)p->npend);
            TCGLabel *l = p->pend[i];
            p->pend[i] = p->pend[--p->npend];
            label_here(p, l);
        } else if (kind < 8) {                      /* side exit */
            TCGv_i64 a = in64(p), b = in64(p);
            tcg_gen_brcond_i64(pcond(p), a, b, p->side_exit);
        } else if (kind < 9) {                      /* a short loop */
            while (p->npend) {
                label_here(p, p->pend[--p->npend]);
            }
            TCGLabel *top = gen_new_label();
            tcg_gen_movi_i64(p->loop_count, 1 + pn(p, 3));
            label_here(p, top);
            p->in_loop = true;
            int n = 2 + (int)pn(p, 8);
            for (int i = 0; i < n; i++) {
                gen_one(p);
            }
            p->in_loop = false;
            tcg_gen_subi_i64(p->loop_count, p->loop_count, 1);
            tcg_gen_brcondi_i64(TCG_COND_NE, p->loop_count, 0, top);
        } else if (p->npend) {                      /* unconditional jump ahead */
            tcg_gen_br(p->pend[pn(p, (unsigned)p->npend)]);
            label_here(p, gen_new_label());          /* unreferenced: what follows is dead */
        }
    } else if (k < 95) {
        tcg_gen_mb(pn(p, 16));
    } else if (k < 97 && p->def64) {
        unsigned i = pn(p, NE);
        if (p->def64 & (1u << i)) {
            tcg_gen_discard_i64(p->e64[i]);
            p->def64 &= ~(1u << i);
        }
    } else {
        tcg_gen_insn_start(0x1000 + 4 * (uint64_t)p->insn, (uint64_t)p->insn);
        p->insn++;
    }
}

typedef struct ProgCfg { uint64_t seed; int len; int fault_rate; } ProgCfg;

static void build_prog(void *arg)
{
    const ProgCfg *c = arg;
    static Prog prog;
    Prog *p = &prog;
    memset(p, 0, sizeof(*p));
    p->s = c->seed;
    p->len = c->len;
    p->fault_rate = c->fault_rate;
    for (int i = 0; i < NE; i++) {
        p->e64[i] = tcg_temp_new_i64();
        p->e32[i] = tcg_temp_new_i32();
    }
    for (int i = 0; i < NT; i++) {
        p->t64[i] = tcg_temp_new_tb_i64();
        p->t32[i] = tcg_temp_new_tb_i32();
        tcg_gen_movi_i64(p->t64[i], (int64_t)pval(p));
        tcg_gen_mov_i32(p->t32[i], gw[i]);
    }
    p->loop_count = tcg_temp_new_tb_i64();
    p->side_exit = gen_new_label();
    tcg_gen_insn_start(0x1000, 0);
    p->insn = 1;
    for (int i = 0; i < p->len; i++) {
        gen_one(p);
    }
    while (p->npend) {
        label_here(p, p->pend[--p->npend]);
    }
    /* leave some TB temps' values where the result check sees them */
    for (int i = 0; i < NT; i++) {
        tcg_gen_xor_i64(gr[i], gr[i], p->t64[i]);
        tcg_gen_add_i32(gw[i], gw[i], p->t32[i]);
    }
    if (pn(p, 2)) {
        tcg_gen_goto_tb(0);              /* never patched here: falls through */
        tcg_gen_exit_tb(ncpu.seen, 0);
    } else {
        tcg_gen_exit_tb(NULL, 0);
    }
    gen_set_label(p->side_exit);
    tcg_gen_exit_tb(ncpu.scratch, 1);
}

/* ---- running ---- */

static uint8_t mem0[GMEM_SIZE];
static RunResult res_i, res_n;
static uint64_t runs, slow_calls, faults, side_exits, total_ops;

static bool logs_match(const RunResult *ri, const RunResult *rn)
{
    if (ri->nlog >= 64 || rn->nlog >= 64) {
        return true;    /* truncated: only the memory and state comparison applies */
    }
    unsigned j = 0;
    for (unsigned i = 0; i < ri->nlog; i++) {
        const MemLog *a = &ri->log[i];
        if (!gmem_fault(a->addr, a->memop) && access_is_fast(a->addr, a->memop, a->mmu, a->store)) {
            continue;
        }
        if (j >= rn->nlog) {
            return false;
        }
        const MemLog *b = &rn->log[j++];
        if (a->pc != b->pc || a->addr != b->addr || a->val != b->val || a->memop != b->memop ||
            a->mmu != b->mmu || a->store != b->store || a->r_snapshot != b->r_snapshot) {
            printf("  slow-path access %u: pc %" PRIx64 "/%" PRIx64 " addr %" PRIx64 "/%" PRIx64
                   " val %" PRIx64 "/%" PRIx64 " globals %s\n", i, a->pc, b->pc, a->addr, b->addr,
                   a->val, b->val, a->r_snapshot == b->r_snapshot ? "same" : "differ");
            return false;
        }
    }
    return j == rn->nlog;
}

static bool compare(const char *what, uint64_t seed)
{
    bool ok = res_i.ret == res_n.ret && res_i.faulted == res_n.faulted &&
              (!res_i.faulted || (res_i.fault_pc == res_n.fault_pc &&
                                  res_i.fault_addr == res_n.fault_addr)) &&
              res_i.mem_hash == res_n.mem_hash &&
              memcmp(res_i.cpu.r, res_n.cpu.r, sizeof(res_i.cpu.r)) == 0 &&
              memcmp(res_i.cpu.w, res_n.cpu.w, sizeof(res_i.cpu.w)) == 0 &&
              memcmp(res_i.cpu.scratch, res_n.cpu.scratch, sizeof(res_i.cpu.scratch)) == 0 &&
              memcmp(res_i.cpu.seen, res_n.cpu.seen, sizeof(res_i.cpu.seen)) == 0;
    if (ok && !logs_match(&res_i, &res_n)) {
        printf("  slow-path logs differ: interp %u entries, native %u\n", res_i.nlog, res_n.nlog);
        ok = false;
    }
    if (ok) {
        return true;
    }
    printf("FAIL %s: %s seed 0x%" PRIx64 ": ret %lx/%lx faulted %d/%d pc %" PRIx64 "/%" PRIx64
           " mem %s\n", test_case_name_, what, seed, (unsigned long)res_i.ret,
           (unsigned long)res_n.ret, res_i.faulted, res_n.faulted, res_i.fault_pc, res_n.fault_pc,
           res_i.mem_hash == res_n.mem_hash ? "same" : "differs");
    for (int i = 0; i < NG64; i++) {
        if (res_i.cpu.r[i] != res_n.cpu.r[i]) {
            printf("  r%d: interp 0x%" PRIx64 " native 0x%" PRIx64 "\n", i, res_i.cpu.r[i],
                   res_n.cpu.r[i]);
        }
    }
    for (int i = 0; i < NG32; i++) {
        if (res_i.cpu.w[i] != res_n.cpu.w[i]) {
            printf("  w%d: interp 0x%x native 0x%x\n", i, res_i.cpu.w[i], res_n.cpu.w[i]);
        }
    }
    for (int i = 0; i < 8; i++) {
        if (res_i.cpu.scratch[i] != res_n.cpu.scratch[i] || res_i.cpu.seen[i] != res_n.cpu.seen[i]) {
            printf("  scratch/seen[%d] differ\n", i);
        }
    }
    test_case_failed_ = 1;
    return false;
}

static void random_start(NCPU *st)
{
    memset(st, 0, sizeof(*st));
    for (int i = 0; i < NG64; i++) {
        st->r[i] = rnd_value();
    }
    for (int i = 0; i < NG32; i++) {
        st->w[i] = (uint32_t)rnd_value();
    }
    for (int i = 0; i < 8; i++) {
        st->scratch[i] = rnd_value();
    }
    for (size_t i = 0; i < GMEM_SIZE; i += 8) {
        uint64_t v = rnd_value();
        memcpy(mem0 + i, &v, 8);
    }
}

static bool run_programs(unsigned n, int len, int fault_rate, unsigned features, bool opt)
{
    tcg_x86_64_set_feature_mask(features);
    for (unsigned i = 0; i < n; i++) {
        ProgCfg c = { rnd64() | 1, len, fault_rate };
        if (!diff_compile(build_prog, &c, opt)) {
            printf("FAIL %s: seed 0x%" PRIx64 " len %d: translation failed\n", test_case_name_,
                   c.seed, len);
            test_case_failed_ = 1;
            tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
            return false;
        }
        total_ops += (uint64_t)nctx.nb_ops;
        for (int r = 0; r < 3; r++) {
            NCPU st;
            random_start(&st);
            run_one(&tcg_interp_backend, ibuf, &iinfo, &st, mem0, &res_i);
            run_one(&tcg_x86_64_backend, nbuf, &ninfo, &st, mem0, &res_n);
            runs++;
            slow_calls += res_n.nlog;
            faults += res_n.faulted;
            side_exits += (res_n.ret & 3) == 1;
            char what[64];
            snprintf(what, sizeof(what), "len %d opt %d features 0x%x run %d", len, opt, features, r);
            if (!compare(what, c.seed)) {
                tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
                return false;
            }
        }
    }
    tcg_x86_64_set_feature_mask(TCG_X86_64_ALL);
    return true;
}

TEST_CASE(short_programs)
{
    for (int opt = 0; opt < 2; opt++) {
        if (!run_programs(1500, 12, 0, TCG_X86_64_ALL, opt)) {
            return;
        }
    }
}

TEST_CASE(long_programs_high_register_pressure)
{
    for (int opt = 0; opt < 2; opt++) {
        if (!run_programs(600, 160, 0, TCG_X86_64_ALL, opt) ||
            !run_programs(200, 160, 0, 0, opt)) {
            return;
        }
    }
}

TEST_CASE(programs_with_faults)
{
    for (int opt = 0; opt < 2; opt++) {
        if (!run_programs(800, 60, 6, TCG_X86_64_ALL, opt)) {
            return;
        }
    }
    CHECK(faults > 100);
}

/* Both backends store dirty values at block boundaries anyway, counting each one
 * liveness should have synced at its definition: there must be none. */
TEST_CASE(liveness_synced_everything)
{
    CHECK_EQ(nctx.stats.sync_misses, 0);
}

int main(int argc, char **argv)
{
    nharness_init();
    if (argc > 1) {
        rng_state = strtoull(argv[1], NULL, 0);
    }
    RUN(short_programs);
    RUN(long_programs_high_register_pressure);
    RUN(programs_with_faults);
    RUN(liveness_synced_everything);
    printf("# %" PRIu64 " runs of random programs (%" PRIu64 " ops translated): %" PRIu64
           " slow-path accesses, %" PRIu64 " faults, %" PRIu64 " side exits\n", runs, total_ops,
           slow_calls, faults, side_exits);
    TEST_EXIT();
}

#else   /* the native backend exists only on x86-64 hosts */
#include <stdio.h>

int main(void)
{
    printf("SKIP x86_64_random_test: not an x86-64 host\n");
    return 0;
}
#endif
