/* Differential tests: the snippet generator's internal interface: lines of
 * AT&T assembly, the initial state, and per-line masks of the EFLAGS bits
 * and x87 condition codes the SDM leaves undefined there.  Reference: Intel
 * SDM vol. 2, "Flags Affected" and "FPU Flags Affected". */
#ifndef DIFF_GEN_H
#define DIFF_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diff.h"

/* EFLAGS bits and the x87 condition codes in the status word. */
#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_DF 0x400u
#define FL_OF 0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define FL_LOGIC_DEF (FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF)
#define FSW_C0 0x0100u
#define FSW_C1 0x0200u
#define FSW_C2 0x0400u
#define FSW_C3 0x4000u
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define FSW_C023 (FSW_C0 | FSW_C2 | FSW_C3)

#define GEN_MAX_LINES 512
#define GEN_MAX_TEXT 160
#define GEN_MAX_LABELS 16
#define GEN_MAX_INSNS 20

/* Groups of instruction classes; one snippet draws from one group. */
enum {
    GROUP_INT, GROUP_STR, GROUP_X87, GROUP_MMX, GROUP_SSE, GROUP_SIMD,
    GROUP_APPROX, GROUP_MIX, GROUP_COUNT
};
extern const char *const group_names[GROUP_COUNT];

/* Host features that gate instructions (the host runs every snippet). */
typedef struct HostFeatures {
    bool sse3, ssse3, sse41, sse42, popcnt, lzcnt, bmi1, movbe, cx16, aes, pclmul;
} HostFeatures;
extern HostFeatures host;

/* Effect of one instruction on EFLAGS / x87 condition codes.  MAYBE: the
 * instruction may leave the flags alone (e.g. shift count unknown, maybe 0). */
typedef struct Fx {
    uint32_t reads, def, undef;
    bool maybe;
    uint32_t x87_reads, x87_def, x87_undef;
} Fx;

typedef struct Rng {
    uint64_t s;
} Rng;

typedef struct Line {
    bool is_label;
    int label;
    uint32_t uflags, x87u;      /* possibly undefined before this line */
    char text[GEN_MAX_TEXT];
} Line;

typedef struct OpenLabel {
    int id;
    int place_after;           /* main-instruction count at which it lands */
    uint32_t uflags, x87u;     /* OR over the jumps to it */
    int df;
} OpenLabel;

typedef struct Gen {
    Rng rng;
    int group;
    uint64_t seed;
    Line lines[GEN_MAX_LINES];
    int nlines;
    int ninsns;                /* main instructions so far */
    int next_label;
    OpenLabel open[GEN_MAX_LABELS];
    int nopen;
    bool dead;                 /* after an unconditional jump */
    uint32_t uflags, x87u;
    int df;                    /* direction flag: 0, 1 or -1 (unknown) */
    int x87_depth;             /* estimate, used only to bias choices */
    uint32_t mem_regs;         /* registers the last gen_mem() set up */
    DiffCpuState init;
    uint8_t window[DIFF_WINDOW_SIZE];
    uint8_t dirty[DIFF_WINDOW_SIZE];   /* may have been written */
} Gen;

/* Random numbers. */
uint64_t rng_next(Rng *r);
unsigned rng_below(Rng *r, unsigned n);
bool rng_percent(Rng *r, unsigned percent);
uint64_t rand_int(Rng *r, int bits);      /* bug-finding distribution */
uint32_t rand_f32(Rng *r);
uint64_t rand_f64(Rng *r);
void rand_f80(Rng *r, uint8_t out[10]);

/* Emission.  gen_emit() appends an instruction with FX (NULL: no flag
 * effect); lines whose reads are undefined are a generator bug (abort). */
void gen_emit(Gen *g, const Fx *fx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void gen_jump(Gen *g, const char *mnemonic, uint32_t reads, bool unconditional);
bool gen_defined(const Gen *g, uint32_t flags);
void gen_set_df(Gen *g, int df);       /* after emitting CLD/STD */
/* Condition code (index 0..15 in Jcc order) whose flags are defined, or -1. */
int gen_pick_cc(Gen *g);
extern const char *const cc_names[16];
extern const uint32_t cc_reads[16];

/* Registers: index in hardware order, size in bytes (1 2 4 8); with
 * size 1 and HIGH8 the names ah ch dh bh (indexes 4..7). */
#define REG_HIGH8 0x100
const char *reg_name(int reg, int size);
int gen_reg(Gen *g, uint32_t avoid);
char size_suffix(int size);

/* Memory operands in the data window.  Emits setup moves for the base and
 * index registers it picks (never one in AVOID) and writes the operand text
 * to OUT.  The chosen window offset is returned and marked dirty (a
 * location later instructions must not expect to hold its initial value). */
#define MEM_LEGACY 0x1      /* no REX registers (the instruction uses ah..bh) */
#define MEM_CLEAN 0x2       /* a location no earlier instruction wrote */
#define MEM_MIDDLE 0x4      /* keep 1 KiB of room on both sides */
#define MEM_NO_A32 0x8
#define MEM_SIMPLE 0x10     /* base register only */
uint32_t gen_mem(Gen *g, int size, int align, uint32_t avoid, unsigned flags,
                 char *out, size_t out_size);
uint32_t gen_mem_at(Gen *g, uint32_t offset, uint32_t avoid, unsigned flags,
                    char *out, size_t out_size);
/* Like gen_mem() at a location no earlier instruction wrote, holding DATA
 * (SIZE bytes) in the initial window; false if no such location was found
 * (the operand then points at whatever is there). */
bool gen_mem_value(Gen *g, int size, int align, uint32_t avoid, unsigned flags,
                   const void *data, char *out, size_t out_size);
void gen_mark_dirty(Gen *g, uint32_t offset, uint32_t size);
void gen_set_window(Gen *g, uint32_t offset, const void *data, uint32_t size);

/* Instruction classes: each appends one main instruction (plus setup). */
void class_int(Gen *g);
void class_str(Gen *g);
void class_x87(Gen *g);
void class_approx(Gen *g);
void class_mmx(Gen *g);
void class_sse(Gen *g);
void class_simd(Gen *g);

#endif
