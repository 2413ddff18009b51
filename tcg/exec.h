/*
 * The exec machinery between the IR core and the machine: code buffer and
 * block cache set-up, per-vCPU init, the exec loop, the indirect-branch
 * lookup helper for frontends, the kick/wait primitive the accelerator's
 * vCPU thread sleeps on, and statistics (-d exec). Design: shared/TCG.md;
 * invariants: tcg/README.md "TBs, TLB and the exec loop".
 */
#ifndef MIMIC_TCG_EXEC_H
#define MIMIC_TCG_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backend.h"
#include "cpu.h"
#include "frontend.h"
#include "helper.h"
#include "tb.h"

/* Default size of the code buffer: reserved, committed as it is used. */
#define TCG_CODE_BUFFER_DEFAULT (256u << 20)
#define TCG_CODE_BUFFER_MIN     (64u << 10)

/* Choose the backend and (re)create the code buffer (drops every block).
 * Call before any vCPU runs, with no vCPU running. */
void tcg_exec_init(const TCGBackend *backend, size_t code_buffer_size);
const TCGBackend *tcg_exec_backend(void);

/* Set up / tear down the core's part of a vCPU whose state struct (of
 * fe->state_size bytes, CPUState first) the caller allocated zeroed. */
void tcg_cpu_init(CPUState *cpu, Machine *m, const TCGFrontend *fe, int cpu_index);
void tcg_cpu_destroy(CPUState *cpu);

/*
 * Run cpu until something needs the caller: returns EXCP_INTERRUPT (a kick:
 * exit_request), EXCP_HLT (the guest halted), EXCP_HALTED (halted, no
 * work), EXCP_DEBUG or EXCP_YIELD. Guest exceptions and interrupts are
 * delivered inside. Call without the machine lock.
 */
int tcg_cpu_exec(CPUState *cpu);

/* The vCPU this thread is running inside tcg_cpu_exec (NULL outside). */
CPUState *tcg_current_cpu(void);
/* Single-threaded round-robin: the vCPU the shared thread is running now;
 * a kick of any vCPU also kicks this one so the thread comes back. */
void tcg_exec_set_rr_cpu(CPUState *cpu);

/* Kicks (cpu_kick, cpu_interrupt) bump a generation: a vCPU thread with
 * nothing to run reads it, re-checks its conditions, then waits for a change. */
uint64_t tcg_kick_generation(void);
void tcg_wait_kick(uint64_t seen);

/* Every vCPU registered with tcg_cpu_init (for flushes across vCPUs). */
int tcg_cpu_count(void);
CPUState *tcg_cpu_at(int i);

/*
 * Indirect branches: end the block with this after storing the new pc. The
 * helper finds the next block through the jump cache / hash table (it never
 * translates) and goto_ptr jumps straight to it, or back to the exec loop.
 */
void *helper_lookup_tb_ptr(void *env);
extern const TCGHelperInfo helper_info_lookup_tb_ptr;   /* TCG_CALL_NO_WRITE_GLOBALS */
static inline void tcg_gen_lookup_and_goto_ptr(void)
{
    TCGv_ptr t = tcg_temp_new_ptr();
    const int args[1] = { tcg_env.n };
    tcg_gen_call(&helper_info_lookup_tb_ptr, t.n, args);
    tcg_gen_goto_ptr(t);
}

/*
 * The same with the jump-cache probe inlined ahead of the helper (native
 * backends; the interpreter just calls the helper): pc and flags are the
 * block key the frontend's get_tb_key would give now, cs_base the current
 * block's (valid only if the instruction cannot have changed it). A hit
 * jumps straight to the block; anything else takes the helper.
 */
void tcg_gen_lookup_and_goto_ptr_key(TCGv_i64 pc, uint64_t cs_base, TCGv_i32 flags);

/* Drop every translated block (code buffer reset). No vCPU may be inside
 * generated code: call from the exec loop's thread or with vCPUs paused. */
void tcg_tb_flush(void);

typedef struct TCGExecStats {
    /* blocks */
    uint64_t tb_translated, tb_too_big, tb_flushes, tb_invalidated, code_bytes;
    /* lookup and chaining */
    uint64_t exec_entries;        /* backend->enter calls from the exec loop */
    uint64_t jc_hits, hash_hits, lookup_ptr_hits, lookup_ptr_misses;
    uint64_t chains_made, chain_refused, chains_undone_xpage;
    uint64_t exit_requested, exit_nochain, exits_unchained;
    uint64_t exceptions, interrupts, smc_restarts;
    /* softmmu slow path, by reason */
    uint64_t slow_load, slow_store, tlb_fills, victim_hits, mmio_reads, mmio_writes;
    uint64_t notdirty_writes, page_cross, unaligned, code_fills, tlb_flushes, tlb_resizes;
    uint64_t map_changes;
} TCGExecStats;

extern TCGExecStats tcg_exec_stats;
/* A plain load and store, not a locked add: counters sit on hot paths (the
 * indirect-branch lookup, TLB fills) where a locked RMW costs more than the
 * lookup itself. Two threads counting at once may lose an increment. */
#define TCG_STAT_INC(field) \
    __atomic_store_n(&tcg_exec_stats.field, \
                     __atomic_load_n(&tcg_exec_stats.field, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)
void tcg_exec_stats_reset(void);
void tcg_exec_stats_dump(FILE *out);

/* -perfmap: when open, tb_gen_code writes one line per block for perf. */
extern FILE *tcg_perfmap;

#endif
