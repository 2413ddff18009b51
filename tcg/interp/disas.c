/*
 * Interpreter backend: bytecode listing for -d out_asm (one instruction per
 * line: offset, name, raw operand units). Also the one place that knows each
 * instruction's length, which the listing needs to walk the stream.
 */
#include <inttypes.h>
#include <stdio.h>

#include "../backend.h"
#include "bytecode.h"

static const char *const bc_names[BC_COUNT] = {
#define X(n) [BC_##n] = #n,
    TCG_BC_LIST(X)
#undef X
};

/* Length in units of the instruction at pc (0 for an unknown opcode). */
static unsigned bc_length(const uint16_t *pc)
{
    unsigned op = *pc;
    if (op >= BC_ADD_32 && op <= BC_CTZAI_64) {
        return (op - BC_ADD_32) % 4 < 2 ? 4 : 5;
    }
    if (op >= BC_NOT_32 && op <= BC_EXTRH) {
        return 3;
    }
    if (op >= BC_SETCOND_32 && op <= BC_NEGSETCONDI_64) {
        return (op - BC_SETCOND_32) % 4 < 2 ? 5 : 6;
    }
    if (op >= BC_BREQ_32 && op <= BC_BRTSTNEAI_64) {
        return (op - BC_BREQ_32) % 4 < 2 ? 5 : 6;
    }
    if (op >= BC_LD8U && op <= BC_STA64) {
        return 5;
    }
    if (op >= BC_GUEST_LD_32 && op <= BC_GUEST_ST) {
        return 8;
    }
    if (op >= BC_QLD_UB && op <= BC_QST_64) {
        return 9;
    }
    if (op >= BC_QLDX_UB && op <= BC_QSTX_64) {
        return 13;
    }
    if (op >= BC_BRTBEQ_32 && op <= BC_BRTBTSTNEI_64) {
        uintptr_t f = ((uintptr_t)(pc + BC_BRTB_HEAD((op - BC_BRTBEQ_32) & 2)) + 7) & ~(uintptr_t)7;
        return (unsigned)((f + 16 - (uintptr_t)pc) / 2);
    }
    if (op >= BC_CMPTBEQ && op <= BC_CMPTBGTUI) {
        uintptr_t f = ((uintptr_t)(pc + BC_CMPTB_HEAD((op - BC_CMPTBEQ) & 1)) + 7) & ~(uintptr_t)7;
        return (unsigned)((f + 16 - (uintptr_t)pc) / 2);
    }
    if (op >= BC_ADDZ_64 && op <= BC_XORWI_64) {
        return (op - BC_ADDZ_64) % 2 ? 6 : 5;
    }
    if (op >= BC_CALL0 && op <= BC_CALL6) {
        return 7 + (op - BC_CALL0);
    }
    switch (op) {
    case BC_NOP: case BC_MB: case BC_LOOKUP_GOTO: return 1;
    case BC_MOV: case BC_BR: return 3;
    case BC_FRAME: return BC_FRAME_LEN;
    case BC_LEA_64: return 6;
    case BC_MOVI32: case BC_CONCAT: return 4;
    case BC_BRENVNZ32: case BC_BRENVZ32: return 5;
    case BC_MOVI64: case BC_DEPOSIT_32: case BC_DEPOSIT_64: case BC_STI32: case BC_STI64: return 6;
    case BC_MOVCOND_32: case BC_MOVCOND_64: case BC_ADD2_32: case BC_ADD2_64:
    case BC_SUB2_32: case BC_SUB2_64: return 7;
    case BC_MULU2_32: case BC_MULU2_64: case BC_MULS2_32: case BC_MULS2_64:
    case BC_EXTRACT_32: case BC_EXTRACT_64: case BC_SEXTRACT_32: case BC_SEXTRACT_64:
    case BC_EXIT_TB: return 5;
    case BC_GOTO_PTR: return 2;
    case BC_LOOKUP_GOTO_M: return 3;
    case BC_BRSEXTEQ: case BC_BRSEXTNE: return 5;
    case BC_SUBMOV_64: return 6;
    case BC_ROTDEP_64: return 6;
    case BC_ROTDEP_M_64: return 7;
    case BC_SUBMOVI_64: return 7;
    case BC_SUBMOVST_64: return 10;
    case BC_SUBMOVSTI_64: return 11;
    case BC_GOTO_TB: case BC_GOTO_TB1: case BC_GOTO_TB2: case BC_GOTO_TB3:
        return 5 + (op - BC_GOTO_TB);
    case BC_GOTO_TBS: case BC_GOTO_TBS1: case BC_GOTO_TBS2: case BC_GOTO_TBS3:
        return 9 + (op - BC_GOTO_TBS);
    default: return 0;
    }
}

void tcg_interp_disas(FILE *f, const void *code, size_t size)
{
    const uint16_t *pc = code, *end = (const uint16_t *)((const char *)code + size);
    while (pc < end) {
        unsigned n = bc_length(pc);
        if (n == 0 || pc + n > end) {
            fprintf(f, "  %04zx: bad opcode %u\n", (size_t)((const char *)pc - (const char *)code), *pc);
            return;
        }
        fprintf(f, "  %04zx: %-14s", (size_t)((const char *)pc - (const char *)code), bc_names[*pc]);
        for (unsigned i = 1; i < n; i++) {
            fprintf(f, " %u", pc[i]);
        }
        fputc('\n', f);
        pc += n;
    }
}
