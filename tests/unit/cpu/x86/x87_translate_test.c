/*
 * Proves translate_x87.c end to end: every D8-DF form (also with a 66
 * prefix for the 16-bit environment layouts), WAIT and #MF run as a 64-bit
 * guest through the real decoder, translator, helpers and interpreter
 * backend and natively on the host, framed by FRSTOR/FNSAVE inside the
 * compared window, from random states. The random operand values are those
 * of x87_helper_test.c (kept in step by hand).
 */
#include "translate_harness.h"

#include "fpu/softfloat.h"

enum { IMG = 0x000, OPND = 0x200, IMG_SIZE = 108, IMG_REGS = 28, MEM_SIZE = 128 };

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* ---- random values ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static uint64_t tie_mant(uint64_t m)
{
    /* Exactly halfway for 24- or 53-bit precision, or for an integer. */
    static const int drop[] = { 40, 11, 1, 20 };
    int k = drop[below(4)];
    return (m & ~((1ull << k) - 1)) | (1ull << (k - 1));
}

static Float80 rand_f80(void)
{
    uint16_t s = (uint16_t)(below(2) << 15);
    uint64_t m = rnd();

    switch (below(18)) {
    case 0: return float80_make(s, 0);
    case 1: return float80_make(s | 0x7fff, 1ull << 63);
    case 2: return float80_make(s | 0x7fff, m | 0xc000000000000000ull);          /* QNaN */
    case 3: return float80_make(s | 0x7fff, ((m & 0x3fffffffffffffffull) | 1) | (1ull << 63));
    case 4: return float80_make(s, (m >> below(64)) & ~(1ull << 63) ? (m >> below(64)) & ~(1ull << 63) : 1);
    case 5: return float80_make(s, m | (1ull << 63));                            /* pseudo-denormal */
    case 6: return float80_make(s | (uint16_t)(1 + below(0x7ffe)), m & ~(1ull << 63));  /* unnormal */
    case 7: return float80_make(s | 0x7fff, m & ~(1ull << 63));                  /* pseudo-NaN/inf */
    case 8: return float80_default_nan();
    case 9: {
        Float80 r = float80_from_int64((int64_t)below(100000));
        r.sign_exp |= s;
        return r;
    }
    case 10: return float80_make(s | (uint16_t)(0x3ffd + below(5)), m | (1ull << 63));
    case 11: return float80_make(s | (uint16_t)(0x7ff0 + below(15)), m | (1ull << 63));
    case 12: return float80_make(s | (uint16_t)(1 + below(0x40)), m | (1ull << 63));
    case 13: {
        /* Integer-conversion edges: around 2^15, 2^31, 2^63 and 10^18. */
        static const uint16_t e[] = { 0x400d, 0x400e, 0x401d, 0x401e, 0x403d, 0x403e, 0x403a };
        uint64_t mm = below(2) ? (1ull << 63) + below(4) : ~0ull - below(4);
        if (below(2)) {
            mm = 0xde0b6b3a76400000ull + below(3) - 1;   /* 10^18 */
            return float80_make(s | 0x403a, mm);
        }
        return float80_make(s | e[below(7)], mm);
    }
    case 14: return float80_make(s | (uint16_t)(0x3fc0 + below(0x80)), tie_mant(m) | (1ull << 63));
    case 15: return float80_make(s | (uint16_t)(0x3e00 + below(0x400)), m | (1ull << 63));
    case 16: return float80_make(s | (uint16_t)(0x3c00 + below(0x800)), tie_mant(m) | (1ull << 63));
    default: return float80_make(s | (uint16_t)(0x3f80 + below(0x100)), m | (1ull << 63));
    }
}

static uint32_t rand_f32(void)
{
    uint32_t s = below(2) << 31, m = (uint32_t)rnd() & 0x7fffff;

    switch (below(10)) {
    case 0: return s;
    case 1: return s | 0x7f800000;
    case 2: return s | 0x7fc00000 | m;
    case 3: return s | 0x7f800000 | (m & 0x3fffff ? m & 0x3fffff : 1);
    case 4: return s | (m ? m : 1);
    case 5: return s | (uint32_t)(1 + below(254)) << 23 | m;
    default: return s | (uint32_t)(110 + below(36)) << 23 | m;
    }
}

static uint64_t rand_f64(void)
{
    uint64_t s = (uint64_t)below(2) << 63, m = rnd() & 0xfffffffffffffull;

    switch (below(10)) {
    case 0: return s;
    case 1: return s | 0x7ff0000000000000ull;
    case 2: return s | 0x7ff8000000000000ull | m;
    case 3: return s | 0x7ff0000000000000ull | ((m >> 1) ? m >> 1 : 1);
    case 4: return s | (m ? m : 1);
    case 5: return s | (uint64_t)(1 + below(2046)) << 52 | m;
    case 6: return s | (uint64_t)(1023 - 64 + below(128)) << 52 | (tie_mant(m << 11) >> 11);
    default: return s | (uint64_t)(1000 + below(48)) << 52 | m;
    }
}

static uint64_t rand_int(unsigned bits)
{
    uint64_t v;

    switch (below(5)) {
    case 0: v = below(2000) - 1000; break;
    case 1: v = 1ull << (bits - 1); break;
    case 2: v = (1ull << (bits - 1)) - 1; break;
    default: v = rnd(); break;
    }
    if (bits < 64) {
        v &= (1ull << bits) - 1;
        if (v >> (bits - 1)) {
            v |= ~0ull << bits;   /* sign-extend */
        }
    }
    return v;
}

static void rand_bcd(uint8_t b[10])
{
    unsigned digits = below(19);
    memset(b, 0, 10);
    for (unsigned i = 0; i < digits; i++) {
        b[i / 2] |= (uint8_t)(below(10) << (4 * (i & 1)));
    }
    b[9] = below(2) ? 0x80 : 0;
}

typedef enum MemKind { MEM_NONE, MEM_F32, MEM_F64, MEM_F80, MEM_I16, MEM_I32, MEM_I64,
                       MEM_BCD, MEM_ENV16, MEM_ENV32, MEM_SAVE16, MEM_SAVE32, MEM_CW } MemKind;

static void rand_image(uint8_t *img, unsigned env_bytes, bool word16, bool pending_ok)
{
    unsigned word = word16 ? 2 : 4;
    uint16_t masks = 0x3f, fcw, fsw;
    uint8_t valid = (uint8_t)rnd();
    uint16_t tw = 0;

    if (below(2)) {
        valid |= (uint8_t)rnd();   /* fuller stacks */
    }
    if (below(4) == 0) {
        masks = (uint16_t)(rnd() & 0x3f);
    }
    fcw = (uint16_t)(masks | 0x40 | (below(4) << 10) | ((below(5) ? (below(2) ? 3 : 2) : below(4)) << 8) |
                     (rnd() & 0x1000));
    fsw = (uint16_t)(rnd() & 0x477f);                   /* CC + flags + SF */
    if (!pending_ok) {
        fsw &= (uint16_t)~(0x3f & ~masks);
    }
    fsw |= (uint16_t)(below(8) << 11);
    for (unsigned p = 0; p < 8; p++) {
        tw |= (uint16_t)((valid >> p & 1 ? below(3) : 3) << (2 * p));
    }
    memset(img, 0, env_bytes + 80);
    put16(img, fcw);
    put16(img + word, fsw);
    put16(img + 2 * word, tw);
    for (unsigned i = 0; i < 8; i++) {
        Float80 v = rand_f80();
        memcpy(img + env_bytes + 10 * i, &v.mant, 8);
        put16(img + env_bytes + 10 * i + 8, v.sign_exp);
    }
}

/* ---- the forms ---- */

typedef struct Form {
    uint8_t b[2];
    uint8_t mem;       /* MemKind of the operand's initial contents */
    bool approx;       /* transcendental: registers within a few ulps */
} Form;

enum { MAX_FORMS = 1024 };
static Form forms[MAX_FORMS];
static unsigned n_forms;

static void add_form(unsigned op, unsigned modrm, MemKind mem, bool approx)
{
    if (n_forms < MAX_FORMS) {
        forms[n_forms++] = (Form){ { (uint8_t)op, (uint8_t)modrm }, (uint8_t)mem, approx };
    }
}

static bool reg_form_valid(unsigned op, unsigned m)
{
    switch (op) {
    case 0xd8: case 0xdc: return true;
    case 0xd9:
        return m < 0xd1 || (m >= 0xd8 && m <= 0xe1) || m == 0xe4 || m == 0xe5 ||
               (m >= 0xe8 && m <= 0xee) || m >= 0xf0;
    case 0xda: return m < 0xe0 || m == 0xe9;
    case 0xdb: return m < 0xe5 || (m >= 0xe8 && m < 0xf8);
    case 0xdd: return m < 0xf0;
    case 0xde: return m < 0xd8 || m == 0xd9 || m >= 0xe0;
    default: return m < 0xe1 || (m >= 0xe8 && m < 0xf8);
    }
}

static MemKind mem_kind(unsigned op, unsigned reg)
{
    static const MemKind d9[8] = { MEM_F32, MEM_NONE, MEM_F32, MEM_F32, MEM_ENV32, MEM_CW,
                                   MEM_NONE, MEM_NONE };
    static const MemKind db[8] = { MEM_I32, MEM_I32, MEM_I32, MEM_I32, MEM_NONE, MEM_F80,
                                   MEM_NONE, MEM_F80 };
    static const MemKind dd[8] = { MEM_F64, MEM_I64, MEM_F64, MEM_F64, MEM_SAVE32, MEM_NONE,
                                   MEM_NONE, MEM_NONE };
    static const MemKind df[8] = { MEM_I16, MEM_I16, MEM_I16, MEM_I16, MEM_BCD, MEM_I64,
                                   MEM_BCD, MEM_I64 };
    switch (op) {
    case 0xd8: return MEM_F32;
    case 0xd9: return d9[reg];
    case 0xda: return MEM_I32;
    case 0xdb: return db[reg];
    case 0xdc: return MEM_F64;
    case 0xdd: return dd[reg];
    case 0xde: return MEM_I16;
    default: return df[reg];
    }
}

static void build_forms(void)
{
    for (unsigned op = 0xd8; op <= 0xdf; op++) {
        for (unsigned reg = 0; reg < 8; reg++) {
            if ((op == 0xd9 && reg == 1) || (op == 0xdb && (reg == 4 || reg == 6)) ||
                (op == 0xdd && reg == 5)) {
                continue;
            }
            add_form(op, (reg << 3) | 6, mem_kind(op, reg), false);
        }
        for (unsigned m = 0xc0; m <= 0xff; m++) {
            if (reg_form_valid(op, m)) {
                bool approx = op == 0xd9 && (m == 0xf0 || m == 0xf1 || m == 0xf2 || m == 0xf3 ||
                                             m == 0xf9 || m == 0xfb || m == 0xfe || m == 0xff);
                add_form(op, m, MEM_NONE, approx);
            }
        }
    }
}

/* Distance in ulps between two finite values of the same sign, else 0 if
 * identical and a large number otherwise. */
static uint64_t ulp_distance(Float80 a, Float80 b)
{
    __int128 x, y, d;
    if (a.sign_exp == b.sign_exp && a.mant == b.mant) {
        return 0;
    }
    if ((a.sign_exp ^ b.sign_exp) & 0x8000) {
        return ~0ull;
    }
    x = ((__int128)(a.sign_exp & 0x7fff) << 63) | (a.mant & ~(1ull << 63));
    y = ((__int128)(b.sign_exp & 0x7fff) << 63) | (b.mant & ~(1ull << 63));
    d = x > y ? x - y : y - x;
    return d > 1000 ? ~0ull : (uint64_t)d;
}


/* Outside F2XM1's (|x| <= 1) and FYL2XP1's (|x| < 1 - sqrt(2)/2) domain
 * the result is undefined: not compared. */
static bool outside_domain(const Form *f, const uint8_t *img)
{
    Float80 x;
    unsigned e, top = (get16(img + 4) >> 11) & 7;
    uint16_t tw = get16(img + 8);

    memcpy(&x.mant, img + IMG_REGS, 8);
    x.sign_exp = get16(img + IMG_REGS + 8);
    e = x.sign_exp & 0x7fff;
    if (f->b[0] != 0xd9 || ((tw >> (2 * top)) & 3) == 3 || e == 0x7fff) {
        return false;
    }
    if (f->b[1] == 0xf0) {
        return e >= 0x3fff && !(e == 0x3fff && x.mant == (1ull << 63));
    }
    if (f->b[1] == 0xf9) {
        return e >= 0x3ffd && !(e == 0x3ffd && x.mant < 0x95f619980c4336f7ull);
    }
    return false;
}

/* The operand area: like x87_helper_test's rand_state, into the window. */
static void rand_operand(uint8_t *m, MemKind kind)
{
    switch (kind) {
    case MEM_F32: { uint32_t v = rand_f32(); memcpy(m, &v, 4); break; }
    case MEM_F64: { uint64_t v = rand_f64(); memcpy(m, &v, 8); break; }
    case MEM_F80: { Float80 v = rand_f80(); memcpy(m, &v.mant, 8); put16(m + 8, v.sign_exp); break; }
    case MEM_I16: { uint64_t v = rand_int(16); memcpy(m, &v, 2); break; }
    case MEM_I32: { uint64_t v = rand_int(32); memcpy(m, &v, 4); break; }
    case MEM_I64: { uint64_t v = rand_int(64); memcpy(m, &v, 8); break; }
    case MEM_BCD: rand_bcd(m); break;
    case MEM_ENV16: rand_image(m, 14, true, true); break;
    case MEM_ENV32: rand_image(m, 28, false, true); break;
    case MEM_SAVE16: rand_image(m, 14, true, true); break;
    case MEM_SAVE32: rand_image(m, 28, false, true); break;
    case MEM_CW: put16(m, (uint16_t)rnd()); break;
    default: break;
    }
}

/* 16-bit environment forms: 66 D9 /4 /6, 66 DD /4 /6. */
static void add_o16_forms(void)
{
    add_form(0xd9, 0x26, MEM_ENV16, false);
    add_form(0xd9, 0x36, MEM_NONE, false);
    add_form(0xdd, 0x26, MEM_SAVE16, false);
    add_form(0xdd, 0x36, MEM_NONE, false);
}

static bool is_o16(unsigned k)
{
    return k >= n_forms - 4;
}

/* Stores of an environment image into the operand: their pointer fields
 * (FIP, FCS, FOP, FDP) differ by design (see x87_env.c) and are cleared. */
static int env_store_ptr_offset(const Form *f, bool o16)
{
    unsigned reg = (f->b[1] >> 3) & 7;
    if (f->b[1] >= 0xc0 || reg != 6 || (f->b[0] != 0xd9 && f->b[0] != 0xdd)) {
        return -1;
    }
    return o16 ? 6 : 12;
}

static void emit_clear_ptrs(ThCode *c, unsigned modrm_base_reg, int off)
{
    /* mov qword [reg+off], 0 ; mov qword [reg+off+8], 0 */
    for (int k = 0; k < 2; k++) {
        TH_EMIT(c, 0x48, 0xc7);
        th_emit_u8(c, (uint8_t)(0x40 | modrm_base_reg));
        th_emit_u8(c, (uint8_t)(off + 8 * k));
        th_emit_u32(c, 0);
    }
}

static unsigned iterations = 60;
static int failures_shown, max_shown = 8;

/* One random run of form k; returns true when guest and host agree. */
static bool run_once(unsigned k, bool allow_pending)
{
    static uint8_t window[TH_WINDOW_SIZE];
    static ThResult g, n;
    const Form *f = &forms[k];
    bool o16 = is_o16(k);
    ThState in;
    ThCode code = { .n = 0 };
    int ptr_off = env_store_ptr_offset(f, o16);

    th_random_state(&in, window);
    in.rflags = X86_EFLAGS_FIXED | (rnd() & 0x8d5);
    rand_image(window + IMG, IMG_REGS, false, allow_pending && below(8) == 0);
    rand_operand(window + OPND, (MemKind)f->mem);

    th_mov_imm(&code, R_EDI, TH_WINDOW + IMG);
    th_mov_imm(&code, R_ESI, TH_WINDOW + OPND);
    TH_EMIT(&code, 0xdd, 0x27);                       /* frstor [rdi] */
    if (o16) {
        th_emit_u8(&code, 0x66);
    }
    th_emit(&code, f->b, 2);
    TH_EMIT(&code, 0xdd, 0x37);                       /* fnsave [rdi] */
    emit_clear_ptrs(&code, 7, 12);
    if (ptr_off >= 0) {
        emit_clear_ptrs(&code, 6, ptr_off);
    }

    th_run_native(code.b, code.n, &in, window, &n);
    __asm__ volatile("fninit");                       /* drop a pending #MF of the host */
    th_run_guest(TH_MODE64, code.b, code.n, &in, window, &g);

    if (f->approx && g.vector < 0 && n.vector < 0) {
        const uint8_t *hi = n.window + IMG;
        uint16_t fcw_in = get16(window + IMG), fsw_h = get16(n.window + IMG + 4);
        bool skip = outside_domain(f, window + IMG);

        if (!(fcw_in & 0x10) && (fsw_h & ~get16(window + IMG + 4) & 0x10)) {
            skip = true;
        }
        for (unsigned i = 0; i < 8 && !skip; i++) {
            Float80 a, b;
            memcpy(&a.mant, hi + IMG_REGS + 10 * i, 8);
            a.sign_exp = get16(hi + IMG_REGS + 10 * i + 8);
            memcpy(&b.mant, g.window + IMG + IMG_REGS + 10 * i, 8);
            b.sign_exp = get16(g.window + IMG + IMG_REGS + 10 * i + 8);
            if (ulp_distance(a, b) > 16) {
                break;
            }
            memcpy(g.window + IMG + IMG_REGS + 10 * i, hi + IMG_REGS + 10 * i, 10);
        }
        /* C1, PE, UE are the implementation's in the approximated ones. */
        put16(g.window + IMG + 4, (uint16_t)((get16(g.window + IMG + 4) & ~0x230) | (fsw_h & 0x230)));
        if (skip) {
            return true;
        }
    }
    char what[32];
    snprintf(what, sizeof(what), "%s%02x %02x", o16 ? "66 " : "", f->b[0], f->b[1]);
    if (th_same(what, &g, &n, X86_EFLAGS_ARITH)) {
        return true;
    }
    if (failures_shown++ < max_shown) {
        printf("    in: fcw=%04x fsw=%04x ftw=%04x operand=", get16(window + IMG),
               get16(window + IMG + 4), get16(window + IMG + 8));
        for (int i = 0; i < 16; i++) {
            printf("%02x", window[OPND + i]);
        }
        printf("\n    guest fsw=%04x ftw=%04x / host fsw=%04x ftw=%04x\n", get16(g.window + 4),
               get16(g.window + 8), get16(n.window + 4), get16(n.window + 8));
    }
    return false;
}

static void run_forms(bool (*select)(const Form *f), bool allow_pending)
{
    unsigned bad_forms = 0, total = 0;

    for (unsigned k = 0; k < n_forms; k++) {
        unsigned bad = 0;
        if (!select(&forms[k])) {
            continue;
        }
        total++;
        for (unsigned it = 0; it < iterations; it++) {
            bad += !run_once(k, allow_pending);
        }
        if (bad) {
            bad_forms++;
            printf("  form %s%02x %02x: %u of %u differ\n", is_o16(k) ? "66 " : "",
                   forms[k].b[0], forms[k].b[1], bad, iterations);
        }
    }
    printf("  %u forms, %u differ\n", total, bad_forms);
    CHECK_EQ(bad_forms, 0);
}

static bool sel_mem(const Form *f) { return f->b[1] < 0xc0; }
static bool sel_reg(const Form *f) { return f->b[1] >= 0xc0 && !f->approx; }
static bool sel_approx(const Form *f) { return f->approx; }

TEST_CASE(memory_forms_match_host) { run_forms(sel_mem, false); }
TEST_CASE(register_forms_match_host) { run_forms(sel_reg, false); }
TEST_CASE(transcendentals_match_host_within_16_ulps) { run_forms(sel_approx, false); }
/* An unmasked flag pending after FRSTOR: the next waiting form raises #MF
 * (SIGFPE natively) at that instruction; FN* forms go on. */
TEST_CASE(pending_exception_raises_mf_like_host) { run_forms(sel_reg, true); }

/* WAIT with a pending unmasked exception raises #MF at the WAIT, then FNCLEX
 * lets it pass. */
TEST_CASE(wait_raises_mf_at_the_wait)
{
    static uint8_t window[TH_WINDOW_SIZE];
    static ThResult g, n;
    ThState in;
    ThCode code = { .n = 0 };

    th_random_state(&in, window);
    memset(window, 0, 128);
    put16(window + 0, 0x037e);            /* IE unmasked */
    put16(window + 2, 0x0000);
    th_mov_imm(&code, R_EDI, TH_WINDOW);
    TH_EMIT(&code, 0xd9, 0x2f);           /* fldcw [rdi] */
    TH_EMIT(&code, 0xd9, 0xee);           /* fldz */
    TH_EMIT(&code, 0xd8, 0xf0);           /* fdiv st0, st0: 0/0, IE pending */
    TH_EMIT(&code, 0x90);                 /* nop */
    TH_EMIT(&code, 0x9b);                 /* wait: #MF here */
    th_run_native(code.b, code.n, &in, window, &n);
    __asm__ volatile("fninit");
    th_run_guest(TH_MODE64, code.b, code.n, &in, window, &g);
    CHECK_EQ(n.vector, X86_EXCP_MF);
    CHECK(th_same("wait #MF", &g, &n, X86_EFLAGS_ARITH));
    CHECK_EQ(g.st.rip, TH_CODE + code.n - 1);

    TH_EMIT(&code, 0xdb, 0xe2);           /* (after the wait) fnclex */
    code.b[code.n - 3] = 0xdb;            /* replace the wait by fnclex; wait after */
    code.b[code.n - 2] = 0xe2;
    code.b[code.n - 1] = 0x9b;
    th_run_native(code.b, code.n, &in, window, &n);
    __asm__ volatile("fninit");
    th_run_guest(TH_MODE64, code.b, code.n, &in, window, &g);
    CHECK_EQ(n.vector, -1);
    CHECK(th_same("fnclex; wait", &g, &n, X86_EFLAGS_ARITH));
}

/* CR0.TS raises #NM for every x87 form, WAIT only with MP; EM: #NM but not
 * for WAIT. */
TEST_CASE(nm_for_ts_and_em)
{
    static const uint8_t fld1[] = { 0xd9, 0xe8 }, wait[] = { 0x9b };
    static const struct { uint64_t cr0_set, cr0_clear; const uint8_t *code; unsigned len; int vec; } t[] = {
        { CR0_TS, 0, fld1, 2, X86_EXCP_NM },
        { CR0_EM, 0, fld1, 2, X86_EXCP_NM },
        { CR0_TS | CR0_MP, 0, wait, 1, X86_EXCP_NM },
        { CR0_TS, CR0_MP, wait, 1, -1 },
        { CR0_EM, CR0_TS, wait, 1, -1 },
    };
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        X86CPU *c = th_cpu_new(TH_MODE64);
        int vec;
        memset(th_gcode, 0xcc, 16);
        memcpy(th_gcode, t[i].code, t[i].len);
        th_gcode[t[i].len] = 0xf4;
        c->cr[0] = (c->cr[0] | t[i].cr0_set) & ~t[i].cr0_clear;
        x86_update_hflags(c);
        c->rip = TH_CODE;
        ThStop stop = th_exec(c, &vec);
        CHECK_EQ(stop == TH_STOP_EXCEPTION ? vec : -1, t[i].vec);
    }
}

/* FIP/FCS/FOP and FDP/FDS: set by non-control forms (FDP only with a
 * memory operand), kept by control ones (the host does not show them:
 * checked on the guest state against the SDM). */
TEST_CASE(instruction_and_data_pointers)
{
    static uint8_t window[TH_WINDOW_SIZE];
    static ThResult g;
    ThState in;
    ThCode code = { .n = 0 };

    th_random_state(&in, window);
    memset(window + OPND, 0, 16);
    th_mov_imm(&code, R_ESI, TH_WINDOW + OPND);
    TH_EMIT(&code, 0xdb, 0xe3);           /* fninit */
    TH_EMIT(&code, 0xd9, 0x46, 0x04);     /* fld dword [rsi+4] */
    TH_EMIT(&code, 0xd9, 0x7e, 0x08);     /* fnstcw [rsi+8]: control, keeps them */
    th_run_guest(TH_MODE64, code.b, code.n, &in, window, &g);
    CHECK_EQ(g.vector, -1);
    CHECK_EQ(th_cpu.fpip, TH_CODE + 12);
    CHECK_EQ(th_cpu.fpop, 0x146);
    CHECK_EQ(th_cpu.fpcs, TH_SEL_CODE64);
    CHECK_EQ(th_cpu.fpdp, TH_WINDOW + OPND + 4);
    CHECK_EQ(th_cpu.fpds, TH_SEL_DATA);

    TH_EMIT(&code, 0xd9, 0xe8);           /* fld1: FIP/FOP move, FDP stays */
    th_run_guest(TH_MODE64, code.b, code.n, &in, window, &g);
    CHECK_EQ(th_cpu.fpip, TH_CODE + 18);
    CHECK_EQ(th_cpu.fpop, 0x1e8);
    CHECK_EQ(th_cpu.fpdp, TH_WINDOW + OPND + 4);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        iterations = (unsigned)strtoul(argv[1], NULL, 0);
    }
    if (argc > 2) {
        rng_state = strtoull(argv[2], NULL, 0) | 1;
    }
    if (!th_native_init()) {
        printf("SKIP all: the fixed test addresses cannot be mapped\n");
        return 0;
    }
    build_forms();
    add_o16_forms();
    RUN(memory_forms_match_host);
    RUN(register_forms_match_host);
    RUN(transcendentals_match_host_within_16_ulps);
    RUN(pending_exception_raises_mf_like_host);
    RUN(wait_raises_mf_at_the_wait);
    RUN(nm_for_ts_and_em);
    RUN(instruction_and_data_pointers);
    TEST_EXIT();
}
