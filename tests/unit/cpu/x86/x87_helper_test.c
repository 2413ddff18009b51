/*
 * Proves the x87 helpers behave like the host's x87: every D8-DF form is run
 * on random states (special values, stack faults, all RC/PC, some unmasked
 * exceptions) both natively (FRSTOR; insn; FNSAVE in generated code) and
 * through the helpers; the FNSAVE images, memory, EFLAGS and AX must match.
 * The Intel opcode map is restated here independently of decode.def.
 */
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"
#include "test.h"

#include "tcg/helper.h"
#define DEF_HELPER TCG_HELPER_DECLARE
#include "cpu/x86/helper_x87.def"
#undef DEF_HELPER

/* ---- fakes for the memory seam: linear address = host pointer ---- */

__attribute__((weak)) __thread uintptr_t tcg_helper_retaddr;

static sigjmp_buf *fake_jmp;
static int fake_vector = -1;
static uint64_t fake_fault_addr = ~0ull;   /* an access touching this byte faults */

static void fake_check(uint64_t linear, unsigned size)
{
    if (fake_fault_addr >= linear && fake_fault_addr < linear + size && fake_jmp) {
        fake_vector = X86_EXCP_PF;
        siglongjmp(*fake_jmp, 1);
    }
}

uint64_t x86_mem_ld(X86CPU *cpu, uint64_t linear, unsigned size, int mmu_idx, uintptr_t retaddr)
{
    uint64_t v = 0;
    (void)cpu, (void)mmu_idx, (void)retaddr;
    fake_check(linear, size);
    memcpy(&v, (void *)(uintptr_t)linear, size);
    return v;
}

void x86_mem_st(X86CPU *cpu, uint64_t linear, uint64_t value, unsigned size, int mmu_idx,
                uintptr_t retaddr)
{
    (void)cpu, (void)mmu_idx, (void)retaddr;
    fake_check(linear, size);
    memcpy((void *)(uintptr_t)linear, &value, size);
}

_Noreturn void x86_raise_exception(X86CPU *cpu, int vector, uint32_t error_code,
                                   uintptr_t retaddr)
{
    (void)cpu, (void)error_code, (void)retaddr;
    fake_vector = vector;
    if (fake_jmp) {
        siglongjmp(*fake_jmp, 1);
    }
    abort();
}

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

/* ---- state: the 108-byte FNSAVE image, 32-bit protected format ---- */

enum { IMG_SIZE = 108, IMG_REGS = 28, MEM_SIZE = 128 };

typedef struct State {
    uint8_t img[IMG_SIZE];
    uint8_t mem[MEM_SIZE];
    uint64_t flags;
    uint16_t ax;
} State;

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

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

static void rand_state(State *st, MemKind kind)
{
    rand_image(st->img, IMG_REGS, false, false);
    for (unsigned i = 0; i < MEM_SIZE; i++) {
        st->mem[i] = (uint8_t)rnd();
    }
    switch (kind) {
    case MEM_F32: { uint32_t v = rand_f32(); memcpy(st->mem, &v, 4); break; }
    case MEM_F64: { uint64_t v = rand_f64(); memcpy(st->mem, &v, 8); break; }
    case MEM_F80: { Float80 v = rand_f80(); memcpy(st->mem, &v.mant, 8); put16(st->mem + 8, v.sign_exp); break; }
    case MEM_I16: { uint64_t v = rand_int(16); memcpy(st->mem, &v, 2); break; }
    case MEM_I32: { uint64_t v = rand_int(32); memcpy(st->mem, &v, 4); break; }
    case MEM_I64: { uint64_t v = rand_int(64); memcpy(st->mem, &v, 8); break; }
    case MEM_BCD: rand_bcd(st->mem); break;
    case MEM_ENV16: rand_image(st->mem, 14, true, true); break;
    case MEM_ENV32: rand_image(st->mem, 28, false, true); break;
    case MEM_SAVE16: rand_image(st->mem, 14, true, true); break;
    case MEM_SAVE32: rand_image(st->mem, 28, false, true); break;
    case MEM_CW: put16(st->mem, (uint16_t)rnd()); break;
    default: break;
    }
    st->flags = 0x2 | (rnd() & 0x8d5);
    st->ax = (uint16_t)rnd();
}

/* ---- the host side: FRSTOR; insn; FNSAVE in generated code ---- */

typedef void (*HostFn)(uint8_t *img, uint8_t *mem, uint64_t *flags, uint16_t *ax);
static uint8_t *code_page;

static HostFn host_build(const uint8_t *insn, unsigned len)
{
    static const uint8_t head[] = { 0xff, 0x32, 0x9d, 0xdd, 0x27 };       /* push [rdx]; popfq; frstor [rdi] */
    static const uint8_t tail[] = { 0xdd, 0x37, 0x9c, 0x8f, 0x02, 0x66, 0x89, 0x01, 0xc3 };
    uint8_t *p = code_page;

    memcpy(p, head, sizeof(head));
    p += sizeof(head);
    memcpy(p, insn, len);
    p += len;
    memcpy(p, tail, sizeof(tail));
    __builtin___clear_cache((char *)code_page, (char *)p + sizeof(tail));
    return (HostFn)(uintptr_t)code_page;
}

/* ---- the emulated side: the opcode map onto the helpers ---- */

static X86CPU cpu;

static uint64_t ldm(const uint8_t *m, unsigned size, bool sign)
{
    uint64_t v = 0;
    memcpy(&v, m, size);
    if (sign && size < 8 && (v >> (8 * size - 1)) & 1) {
        v |= ~0ull << (8 * size);
    }
    return v;
}

static void emu_store(uint8_t *mem, unsigned kind, bool pop)
{
    helper_x87_fst_mem(&cpu, (uintptr_t)mem, kind | (pop ? X87_POP : 0));
}

/* type: 32/64 = m32fp/m64fp, -32/-16 = m32int/m16int */
static void emu_farith_mem(unsigned reg, uint8_t *mem, int type)
{
    unsigned cmp = reg == 3 ? X87_POP : 0;
    bool com = reg == 2 || reg == 3;

    if (type == 32) {
        uint32_t v = (uint32_t)ldm(mem, 4, false);
        if (com) helper_x87_fcom_f32(&cpu, v, cmp);
        else helper_x87_farith_f32(&cpu, reg, v);
    } else if (type == 64) {
        uint64_t v = ldm(mem, 8, false);
        if (com) helper_x87_fcom_f64(&cpu, v, cmp);
        else helper_x87_farith_f64(&cpu, reg, v);
    } else {
        uint64_t v = ldm(mem, (unsigned)(-type) / 8, true);
        if (com) helper_x87_fcom_int(&cpu, v, cmp);
        else helper_x87_farith_int(&cpu, reg, v);
    }
}

static bool cond_of(unsigned reg, uint64_t fl, bool negate)
{
    bool cf = fl & 1, zf = fl & 0x40, pf = fl & 4, c;
    switch (reg & 3) {
    case 0: c = cf; break;
    case 1: c = zf; break;
    case 2: c = cf || zf; break;
    default: c = pf; break;
    }
    return c != negate;
}

static void emu_exec(const uint8_t *code, uint8_t *mem, uint64_t *flags, uint16_t *ax)
{
    unsigned op = code[0], modrm = code[1], reg = (modrm >> 3) & 7, i = modrm & 7;
    bool r = modrm >= 0xc0;
    uint64_t a = (uintptr_t)mem;

    switch (op) {
    case 0xd8:
        if (!r) {
            emu_farith_mem(reg, mem, 32);
        } else if (reg == 2 || reg == 3) {
            helper_x87_fcom_st(&cpu, i, reg == 3 ? X87_POP : 0);
        } else {
            helper_x87_farith_st(&cpu, reg, 0, i);
        }
        break;
    case 0xd9:
        if (!r) {
            switch (reg) {
            case 0: helper_x87_fld_f32(&cpu, (uint32_t)ldm(mem, 4, false)); break;
            case 2: emu_store(mem, X87_STORE_F32, false); break;
            case 3: emu_store(mem, X87_STORE_F32, true); break;
            case 4: helper_x87_fldenv(&cpu, a, X87_ENV_32); break;
            case 5: helper_x87_fldcw(&cpu, (uint32_t)ldm(mem, 2, false)); break;
            case 6: helper_x87_fnstenv(&cpu, a, X87_ENV_32); break;
            case 7: { uint16_t v = (uint16_t)helper_x87_fnstcw(&cpu); memcpy(mem, &v, 2); break; }
            }
        } else if (reg == 0) {
            helper_x87_fld_sti(&cpu, i);
        } else if (reg == 1) {
            helper_x87_fxch(&cpu, i);
        } else if (reg == 3) {
            helper_x87_fst_sti(&cpu, i | X87_POP | X87_FSTP_NO_FAULT);
        } else if (modrm >= 0xe8 && modrm <= 0xee) {
            helper_x87_fld_const(&cpu, modrm - 0xe8);
        } else if (modrm >= 0xe0) {
            helper_x87_funary(&cpu, modrm);
        }
        break;
    case 0xda:
        if (!r) {
            emu_farith_mem(reg, mem, -32);
        } else if (modrm == 0xe9) {
            helper_x87_fcom_st(&cpu, 1, X87_CMP_QUIET | X87_POP2);
        } else {
            helper_x87_fcmov(&cpu, i, cond_of(reg, *flags, false));
        }
        break;
    case 0xdb:
        if (!r) {
            switch (reg) {
            case 0: helper_x87_fild(&cpu, ldm(mem, 4, true)); break;
            case 1: emu_store(mem, X87_STORE_I32T, true); break;
            case 2: emu_store(mem, X87_STORE_I32, false); break;
            case 3: emu_store(mem, X87_STORE_I32, true); break;
            case 5: helper_x87_fld_f80(&cpu, ldm(mem, 8, false), (uint32_t)ldm(mem + 8, 2, false)); break;
            case 7: emu_store(mem, X87_STORE_F80, true); break;
            }
        } else if (reg <= 3) {
            helper_x87_fcmov(&cpu, i, cond_of(reg, *flags, true));
        } else if (modrm == 0xe2) {
            helper_x87_fnclex(&cpu);
        } else if (modrm == 0xe3) {
            helper_x87_fninit(&cpu);
        } else if (reg == 5 || reg == 6) {
            *flags = (*flags & ~0x8d5ull) |
                     helper_x87_fcomi(&cpu, i, reg == 5 ? X87_CMP_QUIET : 0, (uint32_t)*flags);
        }
        break;
    case 0xdc:
        if (!r) {
            emu_farith_mem(reg, mem, 64);
        } else if (reg == 2 || reg == 3) {
            helper_x87_fcom_st(&cpu, i, reg == 3 ? X87_POP : 0);
        } else {
            /* DC E0+i is FSUBR ST(i),ST0: ST(i) = ST0 - ST(i), i.e. the
             * helper's SUBR with dst = i; /4../7 swap with the D8 meanings. */
            helper_x87_farith_st(&cpu, reg >= 4 ? reg ^ 1 : reg, i, 0);
        }
        break;
    case 0xdd:
        if (!r) {
            switch (reg) {
            case 0: helper_x87_fld_f64(&cpu, ldm(mem, 8, false)); break;
            case 1: emu_store(mem, X87_STORE_I64T, true); break;
            case 2: emu_store(mem, X87_STORE_F64, false); break;
            case 3: emu_store(mem, X87_STORE_F64, true); break;
            case 4: helper_x87_frstor(&cpu, a, X87_ENV_32); break;
            case 6: helper_x87_fnsave(&cpu, a, X87_ENV_32); break;
            case 7: { uint16_t v = (uint16_t)helper_x87_fnstsw(&cpu); memcpy(mem, &v, 2); break; }
            }
        } else {
            switch (reg) {
            case 0: helper_x87_ffree(&cpu, i); break;
            case 1: helper_x87_fxch(&cpu, i); break;
            case 2: helper_x87_fst_sti(&cpu, i); break;
            case 3: helper_x87_fst_sti(&cpu, i | X87_POP); break;
            case 4: helper_x87_fcom_st(&cpu, i, X87_CMP_QUIET); break;
            case 5: helper_x87_fcom_st(&cpu, i, X87_CMP_QUIET | X87_POP); break;
            }
        }
        break;
    case 0xde:
        if (!r) {
            emu_farith_mem(reg, mem, -16);
        } else if (reg == 2) {
            helper_x87_fcom_st(&cpu, i, X87_POP);
        } else if (modrm == 0xd9) {
            helper_x87_fcom_st(&cpu, 1, X87_POP2);
        } else {
            helper_x87_farith_st(&cpu, (reg >= 4 ? reg ^ 1 : reg) | X87_POP, i, 0);
        }
        break;
    case 0xdf:
        if (!r) {
            switch (reg) {
            case 0: helper_x87_fild(&cpu, ldm(mem, 2, true)); break;
            case 1: emu_store(mem, X87_STORE_I16T, true); break;
            case 2: emu_store(mem, X87_STORE_I16, false); break;
            case 3: emu_store(mem, X87_STORE_I16, true); break;
            case 4: helper_x87_fbld(&cpu, ldm(mem, 8, false), (uint32_t)ldm(mem + 8, 2, false)); break;
            case 5: helper_x87_fild(&cpu, ldm(mem, 8, false)); break;
            case 6: emu_store(mem, X87_STORE_BCD, true); break;
            case 7: emu_store(mem, X87_STORE_I64, true); break;
            }
        } else if (modrm == 0xe0) {
            *ax = (uint16_t)helper_x87_fnstsw(&cpu);
        } else {
            switch (reg) {
            case 0: helper_x87_ffree(&cpu, i | X87_POP); break;
            case 1: helper_x87_fxch(&cpu, i); break;
            case 2: case 3: helper_x87_fst_sti(&cpu, i | X87_POP); break;
            case 5: case 6:
                *flags = (*flags & ~0x8d5ull) |
                         helper_x87_fcomi(&cpu, i, (reg == 5 ? X87_CMP_QUIET : 0) | X87_POP,
                                          (uint32_t)*flags);
                break;
            }
        }
        break;
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

/* ---- running and comparing ---- */

static void emu_reset(void)
{
    memset(&cpu, 0, sizeof(cpu));
    cpu.hflags = X86_HF_CS64 | X86_HF_PE | X86_HF_LMA;
    cpu.cr[0] = CR0_PE | CR0_NE | CR0_ET;
}

static Float80 img_reg(const uint8_t *img, unsigned i)
{
    Float80 v;
    memcpy(&v.mant, img + IMG_REGS + 10 * i, 8);
    v.sign_exp = get16(img + IMG_REGS + 10 * i + 8);
    return v;
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

static void print_state(const char *what, const State *st)
{
    printf("    %s: fcw=%04x fsw=%04x ftw=%04x flags=%03llx ax=%04x\n", what, get16(st->img),
           get16(st->img + 4), get16(st->img + 8), (unsigned long long)st->flags & 0x8d5, st->ax);
    for (unsigned i = 0; i < 8; i++) {
        Float80 v = img_reg(st->img, i);
        printf("      st%u=%04x:%016llx", i, v.sign_exp, (unsigned long long)v.mant);
        if (i % 3 == 2) {
            printf("\n");
        }
    }
    printf("\n      mem=");
    for (unsigned i = 0; i < 16; i++) {
        printf("%02x", st->mem[i]);
    }
    printf("\n");
}

/* Outside F2XM1's (|x| <= 1) and FYL2XP1's (|x| < 1 - sqrt(2)/2) domain
 * the result is undefined: not compared. */
static bool outside_domain(const Form *f, const State *in)
{
    Float80 x = img_reg(in->img, 0);
    unsigned e = x.sign_exp & 0x7fff;
    uint16_t tw = get16(in->img + 8);
    unsigned top = (get16(in->img + 4) >> 11) & 7;

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

static int failures_shown, max_shown = 12;

/* Compare host (h) and emulated (e) results for one run of form f from in. */
static bool compare(const Form *f, const State *in, const State *h, const State *e)
{
    char why[160] = "";
    uint16_t fsw_mask = 0xffff;
    unsigned tol = 0;

    if (f->approx) {
        fsw_mask = (uint16_t)~(0x0200 | 0x0020 | 0x0010);   /* C1, PE, UE: not compared */
        tol = 16;
    }
    if (memcmp(h->img, e->img, 4) || memcmp(h->img + 8, e->img + 8, 4)) {
        snprintf(why, sizeof(why), "fcw/ftw %04x/%04x vs %04x/%04x", get16(h->img),
                 get16(h->img + 8), get16(e->img), get16(e->img + 8));
    } else if ((get16(h->img + 4) ^ get16(e->img + 4)) & fsw_mask || get16(h->img + 6) != get16(e->img + 6)) {
        snprintf(why, sizeof(why), "fsw %04x vs %04x", get16(h->img + 4), get16(e->img + 4));
    } else if ((h->flags ^ e->flags) & 0x8d5) {
        snprintf(why, sizeof(why), "eflags %03llx vs %03llx", (unsigned long long)h->flags & 0x8d5,
                 (unsigned long long)e->flags & 0x8d5);
    } else if (f->b[0] == 0xdf && f->b[1] == 0xe0 && h->ax != e->ax) {
        snprintf(why, sizeof(why), "ax %04x vs %04x", h->ax, e->ax);
    } else {
        bool env = f->b[1] < 0xc0 && ((f->b[0] == 0xd9 && ((f->b[1] >> 3) & 7) == 6) ||
                                     (f->b[0] == 0xdd && ((f->b[1] >> 3) & 7) == 6));
        for (unsigned i = 0; i < MEM_SIZE && !why[0]; i++) {
            if (env && i >= 12 && i < 28) {
                continue;   /* instruction/data pointers and FOP */
            }
            if (h->mem[i] != e->mem[i]) {
                snprintf(why, sizeof(why), "mem[%u] %02x vs %02x", i, h->mem[i], e->mem[i]);
            }
        }
        for (unsigned i = 0; i < 8 && !why[0]; i++) {
            Float80 a = img_reg(h->img, i), b = img_reg(e->img, i);
            if (ulp_distance(a, b) > tol) {
                snprintf(why, sizeof(why), "st%u %04x:%016llx vs %04x:%016llx", i, a.sign_exp,
                         (unsigned long long)a.mant, b.sign_exp, (unsigned long long)b.mant);
            }
        }
    }
    if (!why[0]) {
        return true;
    }
    if (failures_shown++ < max_shown) {
        printf("  %02x %02x: %s\n", f->b[0], f->b[1], why);
        print_state("in", in);
        print_state("host", h);
        print_state("emu", e);
    }
    return false;
}

static unsigned run_form(const Form *f, unsigned iterations)
{
    HostFn host = host_build(f->b, 2);
    unsigned bad = 0;

    for (unsigned n = 0; n < iterations; n++) {
        State in, h, e;

        rand_state(&in, (MemKind)f->mem);
        h = in;
        e = in;
        host(h.img, h.mem, &h.flags, &h.ax);
        emu_reset();
        helper_x87_frstor(&cpu, (uintptr_t)e.img, X87_ENV_32);
        emu_exec(f->b, e.mem, &e.flags, &e.ax);
        helper_x87_fnsave(&cpu, (uintptr_t)e.img, X87_ENV_32);
        if (f->approx && outside_domain(f, &in)) {
            continue;
        }
        if (f->approx && !(get16(in.img) & 0x10) && (get16(h.img + 4) & ~get16(in.img + 4) & 0x10)) {
            continue;   /* unmasked UE: the helpers only renormalise (documented) */
        }
        if (!compare(f, &in, &h, &e)) {
            bad++;
        }
    }
    return bad;
}

static unsigned iterations = 2000;
static int only_op = -1, only_modrm = -1;

static void run_forms(bool (*select)(const Form *f))
{
    unsigned bad_forms = 0, total = 0;

    for (unsigned k = 0; k < n_forms; k++) {
        if (!select(&forms[k]) || (only_op >= 0 && (forms[k].b[0] != only_op ||
                                                    forms[k].b[1] != only_modrm))) {
            continue;
        }
        unsigned bad = run_form(&forms[k], iterations);
        total++;
        if (bad) {
            bad_forms++;
            printf("  form %02x %02x: %u of %u differ\n", forms[k].b[0], forms[k].b[1], bad,
                   iterations);
        }
    }
    printf("  %u forms, %u differ\n", total, bad_forms);
    CHECK_EQ(bad_forms, 0);
}

static bool sel_mem(const Form *f) { return f->b[1] < 0xc0; }
static bool sel_reg(const Form *f) { return f->b[1] >= 0xc0 && !f->approx; }
static bool sel_approx(const Form *f) { return f->approx; }

TEST_CASE(memory_forms_match_host) { run_forms(sel_mem); }
TEST_CASE(register_forms_match_host) { run_forms(sel_reg); }
TEST_CASE(transcendentals_match_host_within_16_ulps) { run_forms(sel_approx); }


/* ---- directed cases ---- */

/* WAIT: #MF only with ES set and CR0.NE; with NE=0 (FERR#) it goes on. */
TEST_CASE(fwait_raises_mf_only_when_pending_and_ne)
{
    sigjmp_buf jb;

    emu_reset();
    helper_x87_fninit(&cpu);
    fake_vector = -1;
    fake_jmp = &jb;
    if (sigsetjmp(jb, 0) == 0) {
        helper_x87_fwait(&cpu);                     /* nothing pending */
        helper_x87_fldcw(&cpu, 0x037e);             /* unmask IE */
        helper_x87_fld_const(&cpu, FLOAT_CONST_ZERO);
        helper_x87_farith_st(&cpu, X87_OP_DIV, 0, 0);   /* 0/0: IE pending */
        CHECK_EQ(helper_x87_fnstsw(&cpu) & 0x8081, 0x8081);
        cpu.cr[0] &= ~CR0_NE;
        helper_x87_fwait(&cpu);                     /* legacy FERR#: not modelled */
        cpu.cr[0] |= CR0_NE;
        helper_x87_fwait(&cpu);
        fake_jmp = NULL;
        CHECK(!"no #MF");
    }
    fake_jmp = NULL;
    CHECK_EQ(fake_vector, X86_EXCP_MF);
    helper_x87_fnclex(&cpu);
    CHECK_EQ(helper_x87_fnstsw(&cpu) & 0x80ff, 0);
}

/* A store that faults half way leaves the FPU as it was (precise #PF). */
TEST_CASE(faulting_store_keeps_the_fpu_state)
{
    static uint8_t buf[16];
    sigjmp_buf jb;
    uint16_t sw;
    uint8_t tags;

    emu_reset();
    helper_x87_fninit(&cpu);
    helper_x87_fld_const(&cpu, FLOAT_CONST_PI);
    helper_x87_fld_f64(&cpu, 0x7ff0000000000001ull);   /* SNaN: IE on load */
    sw = (uint16_t)helper_x87_fnstsw(&cpu);
    tags = cpu.fptag_valid;
    fake_fault_addr = (uintptr_t)buf + 8;
    fake_vector = -1;
    fake_jmp = &jb;
    if (sigsetjmp(jb, 0) == 0) {
        helper_x87_fst_mem(&cpu, (uintptr_t)buf, X87_STORE_F80 | X87_POP);
        fake_jmp = NULL;
        fake_fault_addr = ~0ull;
        CHECK(!"no fault");
    }
    fake_jmp = NULL;
    fake_fault_addr = ~0ull;
    CHECK_EQ(fake_vector, X86_EXCP_PF);
    CHECK_EQ(helper_x87_fnstsw(&cpu), sw);
    CHECK_EQ(cpu.fptag_valid, tags);
    /* The restarted store completes. */
    helper_x87_fst_mem(&cpu, (uintptr_t)buf, X87_STORE_F80 | X87_POP);
    CHECK_EQ(get16(buf + 8), 0x7fff);
    CHECK_EQ(cpu.fpstt, 7);
}

/* Real-address layouts (SDM vol. 1 figures 8-10 and 8-12), which a 64-bit
 * host cannot run: 20/32-bit linear pointers split around FOP. */
TEST_CASE(real_mode_environment_layouts)
{
    static uint8_t img[128];
    uint32_t w[7];

    emu_reset();
    helper_x87_fninit(&cpu);
    helper_x87_fld_const(&cpu, FLOAT_CONST_ONE);
    cpu.fpcs = 0x1234;
    cpu.fpip = 0x5678;
    cpu.fpds = 0x9abc;
    cpu.fpdp = 0xdef0;
    cpu.fpop = 0x5e8;
    helper_x87_fnstenv(&cpu, (uintptr_t)img, X87_ENV_32 | X87_ENV_REAL);
    memcpy(w, img, 28);
    CHECK_EQ(w[0], 0xffff037f);
    CHECK_EQ(w[1], 0xffff3800);
    CHECK_EQ(w[2], 0xffff3fff);           /* ST0 valid (physical 7), rest empty */
    CHECK_EQ(w[3], 0xffff0000 | ((0x12340 + 0x5678) & 0xffff));
    CHECK_EQ(w[4], ((0x12340u + 0x5678) >> 16) << 12 | 0x5e8);
    CHECK_EQ(w[5], 0xffff0000 | ((0x9abc0 + 0xdef0) & 0xffff));
    CHECK_EQ(w[6], ((0x9abc0u + 0xdef0) >> 16) << 12);
    CHECK_EQ(cpu.fpuc, 0x037f);           /* FNSTENV masked all (already masked) */

    helper_x87_fnstenv(&cpu, (uintptr_t)img, X87_ENV_REAL);
    CHECK_EQ(get16(img + 6), (0x12340 + 0x5678) & 0xffff);
    CHECK_EQ(get16(img + 8), ((0x12340 + 0x5678) >> 16) << 12 | 0x5e8);
    CHECK_EQ(get16(img + 10), (0x9abc0 + 0xdef0) & 0xffff);
    CHECK_EQ(get16(img + 12), ((0x9abc0 + 0xdef0) >> 16) << 12);

    /* Round trip through FLDENV: the linear pointers come back. */
    cpu.fpip = cpu.fpdp = 0;
    helper_x87_fldenv(&cpu, (uintptr_t)img, X87_ENV_REAL);
    CHECK_EQ(cpu.fpip, 0x12340 + 0x5678);
    CHECK_EQ(cpu.fpdp, 0x9abc0 + 0xdef0);
    CHECK_EQ(cpu.fpop, 0x5e8);

    /* FNSAVE/FRSTOR in the 16-bit real layout keep the registers. */
    helper_x87_fnsave(&cpu, (uintptr_t)img, X87_ENV_REAL);
    CHECK_EQ(cpu.fptag_valid, 0);
    helper_x87_frstor(&cpu, (uintptr_t)img, X87_ENV_REAL);
    CHECK_EQ(cpu.fpstt, 7);
    CHECK_EQ(cpu.fptag_valid, 0x80);
    CHECK_EQ(cpu.fpregs[7].sign_exp, 0x3fff);
    CHECK_EQ(cpu.fpregs[7].mant, 1ull << 63);
}

/* FLD1..FLDZ: the constants under each rounding control as the host
 * rounds them (only pi, lg2, ln2, l2e, l2t are inexact). */
TEST_CASE(constants_follow_rounding_control)
{
    static const uint8_t code[] = { 0xd9, 0xe8 };
    for (unsigned rc = 0; rc < 4; rc++) {
        for (unsigned c = 0; c < 7; c++) {
            State h;
            uint8_t insn[2] = { code[0], (uint8_t)(0xe8 + c) };
            HostFn host;
            memset(&h, 0, sizeof(h));
            put16(h.img, (uint16_t)(0x037f | rc << 10));
            put16(h.img + 8, 0xffff);
            host = host_build(insn, 2);
            host(h.img, h.mem, &h.flags, &h.ax);
            emu_reset();
            helper_x87_fninit(&cpu);
            helper_x87_fldcw(&cpu, 0x037f | rc << 10);
            helper_x87_fld_const(&cpu, c);
            CHECK_EQ(cpu.fpregs[7].mant, img_reg(h.img, 0).mant);
            CHECK_EQ(cpu.fpregs[7].sign_exp, img_reg(h.img, 0).sign_exp);
            CHECK_EQ(helper_x87_fnstsw(&cpu), get16(h.img + 4));
        }
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        iterations = (unsigned)strtoul(argv[1], NULL, 0);
    }
    if (argc > 3) {
        max_shown = atoi(argv[3]);
    }
    if (argc > 2) {
        rng_state = strtoull(argv[2], NULL, 0) | 1;
    }
    code_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (code_page == MAP_FAILED) {
        printf("SKIP all: no executable memory\n");
        return 0;
    }
    if (getenv("X87_ONLY")) {
        sscanf(getenv("X87_ONLY"), "%x %x", (unsigned *)&only_op, (unsigned *)&only_modrm);
    }
    build_forms();
    RUN(memory_forms_match_host);
    RUN(register_forms_match_host);
    RUN(transcendentals_match_host_within_16_ulps);
    RUN(fwait_raises_mf_only_when_pending_and_ne);
    RUN(faulting_store_keeps_the_fpu_state);
    RUN(real_mode_environment_layouts);
    RUN(constants_follow_rounding_control);
    TEST_EXIT();
}
