/*
 * The pc fuzzer's per-device cases (cases.c): values and register offsets
 * guests use, the regions to poke, structured actions for PCI, IDE, fw_cfg
 * and VGA, directed DMA episodes and the disk-image check after a seed.
 * Each draws from the rig's seeded generator (rig.h).
 */
#ifndef MIMIC_TESTS_PC_FUZZ_CASES_H
#define MIMIC_TESTS_PC_FUZZ_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/memory.h"

#define MAX_TARGETS 96

/* ---- Values and addresses worth trying ------------------------------------ */

/* Fills fz.hot: fixed addresses devices decode, then random RAM addresses. */
void hot_init(void);
/* An address DMA pointers like to take (fz.hot, a little off sometimes). */
uint64_t hot_address(void);
/* Boundaries, masks, small counts, hot addresses or anything. */
uint64_t interesting_value(void);

/* An MMIO or port range of a flat view, with its dictionary if it has one. */
typedef struct Dict Dict;
typedef struct Target {
    AddressSpace *as;
    uint64_t start, end;
    const char *name;
    const Dict *dict;
} Target;

extern Target targets[MAX_TARGETS];
extern int ntargets;

/* Every device range of the I/O and memory views, afresh. */
void refresh_targets(void);
/* An offset into t: a dictionary register, aligned, anywhere or at an end. */
uint64_t pick_offset(const Target *t);
/* A value for the register at off: what it likes to see, or any. */
uint64_t pick_value(const Target *t, uint64_t off);

/* ---- Structured actions ------------------------------------------------------ */

void act_pci_config(void);   /* configuration space through 0xCF8/0xCFC */
void act_pci_bars(void);     /* BARs placed and decoding turned on */
void act_ide_command(void);  /* a command with a plausible task file */
void act_ide_data(void);     /* a burst at a data port */
void act_fw_cfg(void);       /* an item read or a DMA request */
void act_scribble(void);     /* PRD tables and descriptors where DMA points */
void act_vga_mode(void);     /* a VGA or VBE mode set, then a refresh */

/* ---- Directed DMA episodes and the images: false (with why) on a failure ---- */

bool episode_ide(char *why, size_t whylen);
bool episode_fw_cfg(char *why, size_t whylen);
bool disks_check(char *why, size_t n);

#endif
