/*
 * Disassembly for the debug log (-d in_asm, out_asm), through capstone.
 */
#ifndef MIMIC_DISAS_H
#define MIMIC_DISAS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum DisasArch {
    DISAS_X86_16,
    DISAS_X86_32,
    DISAS_X86_64,
    DISAS_AARCH64,
} DisasArch;

/* Print up to `count` instructions (0 = all of `len`) starting at `pc`,
 * one per line: "0x<pc>:  <bytes>  <mnemonic> <operands>". Returns the
 * number of bytes decoded; undecodable bytes are printed as ".byte". */
size_t disas_print(FILE *out, DisasArch arch, uint64_t pc, const uint8_t *code, size_t len,
                   size_t count);
/* The host's own code (x86-64 or AArch64 hosts). */
size_t disas_print_host(FILE *out, const void *code, size_t len);

#endif
