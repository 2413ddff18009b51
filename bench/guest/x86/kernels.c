/* cpubench kernels: sieve of Eratosthenes, table-driven CRC-32 and a small
 * bytecode interpreter, in plain integer C (built with -mgeneral-regs-only
 * and no vectorization so the guest needs no SSE state).  References:
 * CRC-32 polynomial 0xEDB88320 (reflected IEEE 802.3).  Nothing here calls
 * out of this file: the Makefile checks that kernels.o has no undefined
 * symbols, so host and guest run identical code. */
#include "kernels.h"

uint64_t kernel_sieve(uint8_t *buf, uint32_t reps)
{
    uint64_t check = 0;

    for (uint32_t r = 0; r < reps; r++) {
        for (uint32_t i = 0; i < SIEVE_LIMIT; i++)
            buf[i] = 1;
        buf[0] = buf[1] = 0;
        for (uint32_t i = 2; (uint64_t)i * i < SIEVE_LIMIT; i++) {
            if (!buf[i])
                continue;
            for (uint32_t j = i * i; j < SIEVE_LIMIT; j += i)
                buf[j] = 0;
        }
        uint64_t count = 0, sum = 0;
        for (uint32_t i = 0; i < SIEVE_LIMIT; i++) {
            count += buf[i];
            sum += buf[i] ? i : 0;
        }
        check = check * 1000003u + (count << 40 ^ sum) + r;
    }
    return check;
}

#define CRC_POLY 0xedb88320u

uint64_t kernel_crc32(uint8_t *buf, uint32_t reps)
{
    uint32_t table[256];
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC_POLY & (0u - (c & 1)));
        table[n] = c;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint32_t i = 0; i < CRC_BUFFER_SIZE; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for (int k = 0; k < 8; k++)
            buf[i + k] = (uint8_t)(x >> (8 * k));
    }

    uint32_t crc = 0;
    uint64_t check = 0;
    for (uint32_t r = 0; r < reps; r++) {
        uint32_t c = ~crc;
        for (uint32_t i = 0; i < CRC_BUFFER_SIZE; i++)
            c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
        crc = ~c;
        check = check << 7 ^ check >> 57 ^ crc;
    }
    return check;
}

/* The VM: 8 64-bit registers, 4-byte instructions (opcode, a, b, c), one
 * stack for calls and PUSH/POP, and a VM_MEMORY-word memory addressed modulo
 * its size.  BLT's target is the instruction index in c; CALL's and LI's
 * 16-bit operand is b:c; ADDI's immediate is c as a signed byte. */
enum {
    OP_HALT, OP_LI, OP_MOV, OP_ADD, OP_SUB, OP_MUL, OP_XOR, OP_ADDI, OP_SHRI,
    OP_BLT, OP_CALL, OP_RET, OP_PUSH, OP_POP, OP_LD, OP_ST,
};
#define VM_STACK 256
#define VM_MEMORY 1024
#define VM_REGS 8

typedef struct VmInsn {
    uint8_t op, a, b, c;
} VmInsn;

#define I(op, a, b, c) { op, a, b, (uint8_t)(c) }
#define IW(op, a, w) { op, a, (uint8_t)((w) >> 8), (uint8_t)(w) }
#define L_LOOP 7
#define L_FIB 17
#define L_BASE 29

static const VmInsn vm_program[] = {
    IW(OP_LI, 0, INTERP_FIB_N),     /*  0: r6 = fib(N) */
    IW(OP_CALL, 0, L_FIB),          /*  1 */
    I(OP_MOV, 6, 1, 0),             /*  2 */
    IW(OP_LI, 3, 0),                /*  3: for r3 = 0 .. LOOP_N */
    IW(OP_LI, 4, INTERP_LOOP_N),    /*  4 */
    I(OP_MOV, 7, 6, 0),             /*  5 */
    I(OP_ADDI, 7, 7, 1),            /*  6 */
    I(OP_MUL, 5, 3, 3),             /*  7 L_LOOP: r5 = r3 * r3 ^ r7 */
    I(OP_XOR, 5, 5, 7),             /*  8 */
    I(OP_ST, 5, 3, 0),              /*  9: mem[r3] = r5 */
    I(OP_ADDI, 2, 3, -17),          /* 10: r6 += mem[r3 - 17] >> 3 */
    I(OP_LD, 2, 2, 0),              /* 11 */
    I(OP_SHRI, 2, 2, 3),            /* 12 */
    I(OP_ADD, 6, 6, 2),             /* 13 */
    I(OP_ADDI, 3, 3, 1),            /* 14 */
    I(OP_BLT, 3, 4, L_LOOP),        /* 15 */
    I(OP_HALT, 0, 0, 0),            /* 16: result in r6 */
    IW(OP_LI, 2, 2),                /* 17 L_FIB: r1 = fib(r0); clobbers r0, r2 */
    I(OP_BLT, 0, 2, L_BASE),        /* 18 */
    I(OP_PUSH, 0, 0, 0),            /* 19 */
    I(OP_ADDI, 0, 0, -1),           /* 20 */
    IW(OP_CALL, 0, L_FIB),          /* 21 */
    I(OP_POP, 0, 0, 0),             /* 22 */
    I(OP_PUSH, 1, 0, 0),            /* 23 */
    I(OP_ADDI, 0, 0, -2),           /* 24 */
    IW(OP_CALL, 0, L_FIB),          /* 25 */
    I(OP_POP, 2, 0, 0),             /* 26 */
    I(OP_ADD, 1, 1, 2),             /* 27 */
    I(OP_RET, 0, 0, 0),             /* 28 */
    I(OP_MOV, 1, 0, 0),             /* 29 L_BASE */
    I(OP_RET, 0, 0, 0),             /* 30 */
};
#define VM_PROGRAM_LEN (sizeof(vm_program) / sizeof(vm_program[0]))
#define VM_FAULT 0xdead0000dead0000ull

/* Runs vm_program from index 0; returns r6, or VM_FAULT on a stack or
 * program-counter fault (never taken by the fixed program). */
static uint64_t vm_run(uint64_t *memory)
{
    uint64_t reg[VM_REGS] = { 0 };
    uint64_t stack[VM_STACK];
    uint32_t sp = 0, pc = 0;

    for (;;) {
        if (pc >= VM_PROGRAM_LEN)
            return VM_FAULT;
        VmInsn in = vm_program[pc++];
        uint32_t a = in.a & (VM_REGS - 1), b = in.b & (VM_REGS - 1), c = in.c & (VM_REGS - 1);
        switch (in.op) {
        case OP_HALT: return reg[6];
        case OP_LI: reg[a] = (uint32_t)in.b << 8 | in.c; break;
        case OP_MOV: reg[a] = reg[b]; break;
        case OP_ADD: reg[a] = reg[b] + reg[c]; break;
        case OP_SUB: reg[a] = reg[b] - reg[c]; break;
        case OP_MUL: reg[a] = reg[b] * reg[c]; break;
        case OP_XOR: reg[a] = reg[b] ^ reg[c]; break;
        case OP_ADDI: reg[a] = reg[b] + (uint64_t)(int64_t)(int8_t)in.c; break;
        case OP_SHRI: reg[a] = reg[b] >> (in.c & 63); break;
        case OP_BLT:
            if (reg[a] < reg[b])
                pc = in.c;
            break;
        case OP_CALL:
            if (sp >= VM_STACK)
                return VM_FAULT;
            stack[sp++] = pc;
            pc = (uint32_t)in.b << 8 | in.c;
            break;
        case OP_RET:
            if (sp == 0)
                return VM_FAULT;
            pc = (uint32_t)stack[--sp];
            break;
        case OP_PUSH:
            if (sp >= VM_STACK)
                return VM_FAULT;
            stack[sp++] = reg[a];
            break;
        case OP_POP:
            if (sp == 0)
                return VM_FAULT;
            reg[a] = stack[--sp];
            break;
        case OP_LD: reg[a] = memory[reg[b] & (VM_MEMORY - 1)]; break;
        case OP_ST: memory[reg[b] & (VM_MEMORY - 1)] = reg[a]; break;
        default: return VM_FAULT;
        }
    }
}

uint64_t kernel_interp(uint32_t reps)
{
    static uint64_t memory[VM_MEMORY];
    uint64_t check = 0;

    for (uint32_t r = 0; r < reps; r++) {
        for (uint32_t i = 0; i < VM_MEMORY; i++)
            memory[i] = i;
        check = check * 31 + vm_run(memory);
    }
    return check;
}
