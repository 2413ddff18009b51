/*
 * A firmware-side executor of BIOS linker/loader command lists for the unit
 * tests, written from the command format (128-byte entries: ALLOCATE,
 * ADD_POINTER, ADD_CHECKSUM) independently of hw/nvram/bios_linker.c. It is
 * stricter than SeaBIOS: anything SeaBIOS would only warn about fails here.
 */
#ifndef MIMIC_TESTS_LINKER_EXEC_H
#define MIMIC_TESTS_LINKER_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINKER_EXEC_MAX_FILES 8

typedef struct LinkerBlob {
    const char *name;
    const uint8_t *data;
    size_t len;
} LinkerBlob;

/* A guest-memory image [base, base+size) with two allocation zones. */
typedef struct LinkerMemory {
    uint8_t *mem;
    uint64_t base;
    size_t size;
    uint64_t high_next, high_end;   /* ZONE_HIGH allocations */
    uint64_t fseg_next, fseg_end;   /* ZONE_FSEG allocations */
} LinkerMemory;

typedef struct LinkerPlaced {
    char name[56];
    uint64_t addr;
    size_t len;
    uint32_t align;
    uint8_t zone;
} LinkerPlaced;

typedef struct LinkerResult {
    LinkerPlaced file[LINKER_EXEC_MAX_FILES];
    int nfiles;
    int npointers, nchecksums;
    char error[200];
} LinkerResult;

bool linker_exec(const uint8_t *cmds, size_t len, const LinkerBlob *blobs, int nblobs,
                 LinkerMemory *mem, LinkerResult *res);
const LinkerPlaced *linker_placed(const LinkerResult *res, const char *name);

#endif
