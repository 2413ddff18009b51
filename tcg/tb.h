/*
 * Translation blocks: the unit the exec loop looks up, runs and chains.
 * Frontends read pc/cs_base/flags and set size/icount; everything else
 * belongs to tcg/tb.c and tcg/exec.c.
 */
#ifndef MIMIC_TCG_TB_H
#define MIMIC_TCG_TB_H

#include <stdint.h>

#include "backend.h"

typedef struct TranslationBlock TranslationBlock;

struct TranslationBlock {
    /* The key (TCG.md "Blocks, lookup and chaining"). */
    uint64_t pc;            /* guest virtual address of the first instruction */
    uint64_t cs_base;       /* x86: CS base; 0 elsewhere */
    uint32_t flags;         /* frontend's translation flags word */
    uint32_t cflags;        /* core's: e.g. TB_CFLAG_SINGLE_INSN for one-insn blocks */
    uint64_t phys_pc;       /* guest physical address of pc */
    uint64_t phys_page2;    /* second physical page when the block crosses one, else -1 */
    /* Set by the frontend's translate(). */
    uint32_t size;          /* guest bytes covered */
    uint16_t icount;        /* guest instructions */
    /* Owned by tb.c / exec.c. The lookups read the key, invalid and hash:
     * all in the first 64 bytes, one cache line (blocks are 64-aligned). */
    uint8_t invalid;        /* atomic: dropped, never entered again */
    const void *code;       /* run address of the host code */
    uint32_t code_size;
    uint32_t hash;          /* of the key, for the hash table (never 0) */
    struct TBPrivate *priv; /* chaining lists, jump sites, insn map */
};

enum {
    TB_CFLAG_SINGLE_INSN = 1u << 0,   /* translate exactly one instruction */
    TB_CFLAG_NO_CHAIN = 1u << 1,
};

#endif
