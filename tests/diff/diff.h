/* Differential tests: layout shared by the generator, both runners and the
 * comparator: fixed addresses, the CPU state record (GPRs, RIP, RFLAGS,
 * FXSAVE image), batch files and the result-line format.  Reference: Intel
 * SDM vol. 1 10.5.1 (FXSAVE area layout). */
#ifndef DIFF_H
#define DIFF_H

/* Fixed addresses, identical on the host (mmap) and in the guest (identity
 * mapping); below 2 GiB so the trampoline can use absolute disp32 operands,
 * below 256 MiB so they are RAM in a -m 256M guest. */
#define DIFF_WINDOW_ADDR 0x08000000u
#define DIFF_WINDOW_SIZE 4096u
#define DIFF_CTRL_ADDR 0x08100000u
#define DIFF_CTRL_SIZE 0x4000u
#define DIFF_CODE_ADDR 0x08200000u
#define DIFF_CODE_SIZE 0x4000u
/* The runner appends "jmp *0(%rip); .quad diff_exit" after the snippet. */
#define DIFF_EXIT_STUB_SIZE 14u
#define DIFF_CODE_MAX (DIFF_CODE_SIZE - DIFF_EXIT_STUB_SIZE)

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/* GPRs in hardware encoding order. */
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15, DIFF_GPRS };

typedef struct DiffCpuState {
    uint64_t gpr[DIFF_GPRS];
    uint64_t rip;
    uint64_t rflags;
    uint8_t fx[512] __attribute__((aligned(16))); /* FXSAVE64 image */
} DiffCpuState;

#endif

/* Offsets inside the CPU state and the FXSAVE image (used by tramp.S). */
#define DIFF_OFF_RIP 128
#define DIFF_OFF_RFLAGS 136
#define DIFF_OFF_FX 144
#define DIFF_STATE_SIZE 656
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_MXCSR 24
#define FX_ST0 32
#define FX_XMM0 160
#define FX_COMPARED_END 416

/* Control page: input state, output state, saved host context. */
#define CTRL_IN 0x000
#define CTRL_OUT 0x300
#define CTRL_HOST_GPR 0x600    /* rbx rbp r12 r13 r14 r15 rsp */
#define CTRL_ENTRY 0x640       /* address the trampoline jumps to */
#define CTRL_VECTOR 0x648      /* guest: exception vector of a fault */
#define CTRL_ACTIVE 0x650      /* guest: 1 while a snippet runs */
#define CTRL_HOST_FX 0x800
#define CTRL_STACK_TOP 0x2000  /* small stack for the exit path */
#define CTRL_IST_TOP 0x4000    /* guest: exception stack */

/* Outcome of one snippet. */
#define DIFF_DONE 0            /* fell off the end; rip = code end */
#define DIFF_FAULT 1           /* exception; rip = faulting instruction */

#ifndef __ASSEMBLER__
/* What a runner reports: compared against the initial record field by field
 * as a byte delta. */
typedef struct DiffResult {
    uint32_t outcome;
    uint32_t vector;
    uint64_t pad;
    DiffCpuState cpu;
    uint8_t window[DIFF_WINDOW_SIZE];
} DiffResult;

#define DIFF_BATCH_MAGIC 0x48435442u   /* "BTCH" */
#define DIFF_SNIP_MAGIC 0x50494e53u    /* "SNIP" */

typedef struct DiffBatchHeader {
    uint32_t magic;
    uint32_t count;
    uint64_t total_size;       /* bytes, including this header */
} DiffBatchHeader;

typedef struct DiffSnippetHeader {
    uint32_t magic;
    uint32_t index;            /* position in the batch */
    uint32_t code_len;
    uint32_t record_size;      /* header + state + window + code, 16-aligned */
    uint64_t seed;
    uint64_t pad;
    DiffCpuState init;
    uint8_t window[DIFF_WINDOW_SIZE];
    /* code follows */
} DiffSnippetHeader;

/* Result lines: "S <index> <delta hex> <crc32 hex>", where the delta lists
 * runs "OOOOLL<data>" (4 hex digits offset, 2 hex digits length, then the
 * bytes) of the DiffResult that differ from the initial one.  CRC-32 (IEEE)
 * covers the text between "S " and the last space. */
#define DIFF_MAX_RUN 255u

static inline uint32_t diff_crc32(uint32_t crc, const void *data, uint64_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* Longest result line: every byte differs (2 hex digits each), one run
 * header per DIFF_MAX_RUN bytes, plus index and checksum. */
#define DIFF_LINE_MAX (2 * sizeof(DiffResult) + 6 * (sizeof(DiffResult) / DIFF_MAX_RUN + 1) + 64)

static inline char *diff_put_hex(char *p, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--)
        *p++ = hex[(v >> (4 * i)) & 15];
    return p;
}

/* Formats the result line of snippet INDEX into BUF (DIFF_LINE_MAX bytes),
 * NUL-terminated with a final '\n'; returns its length.  Runs separated by
 * fewer than 4 equal bytes are merged: a new run costs 6 characters. */
static inline size_t diff_format_result(char *buf, uint32_t index,
                                        const DiffResult *initial, const DiffResult *final)
{
    const uint8_t *a = (const uint8_t *)initial, *b = (const uint8_t *)final;
    const size_t n = sizeof(DiffResult);
    char *p = buf, *body;

    *p++ = 'S';
    *p++ = ' ';
    body = p;
    p = diff_put_hex(p, index, 8);
    *p++ = ' ';
    size_t i = 0;
    while (i < n) {
        if (a[i] == b[i]) {
            i++;
            continue;
        }
        size_t end = i + 1, last = i;
        while (end < n && end - i < DIFF_MAX_RUN && end - last <= 3) {
            if (a[end] != b[end])
                last = end;
            end++;
        }
        size_t len = last - i + 1;
        p = diff_put_hex(p, i, 4);
        p = diff_put_hex(p, len, 2);
        for (size_t k = 0; k < len; k++)
            p = diff_put_hex(p, b[i + k], 2);
        i += len;
    }
    *p++ = '-';           /* marks an empty delta too */
    uint32_t crc = diff_crc32(0, body, (uint64_t)(p - body));
    *p++ = ' ';
    p = diff_put_hex(p, crc, 8);
    *p++ = '\n';
    *p = 0;
    return (size_t)(p - buf);
}

#endif /* __ASSEMBLER__ */
#endif
