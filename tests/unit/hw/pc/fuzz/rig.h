/*
 * The pc fuzzer's rig (rig.c): the real pc machine behind a fake
 * accelerator, its disk and firmware images, the guest's port and memory
 * accesses, the RAM guard (a shadow of guest RAM), the DMA watch that says
 * where a directed DMA may write, virtual time, and one process per case.
 */
#ifndef MIMIC_TESTS_PC_FUZZ_RIG_H
#define MIMIC_TESTS_PC_FUZZ_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/display/vga.h"
#include "hw/ide/ide.h"
#include "hw/pci/pci.h"
#include "mimic/accel.h"
#include "mimic/display.h"
#include "mimic/machine.h"
#include "mimic/memory.h"

#define NCPUS 2
#define RAM_SIZE (32ull << 20)
#define MAX_ALLOWED 8200             /* a PRD table's 8192 entries and a few more */
#define NHOT 24
#define DISK_SIZE (2u << 20)
#define QCOW2_DISK_SIZE (4u << 20)
#define CD_SIZE (1u << 20)
#define DVD_SIZE (720ull << 20)      /* sparse; more than a CD holds: the DVD profile */
#define TINY_DISK_SIZE (16u << 10)
#define BM_PORT 0xC000               /* where the DMA episodes put BAR4 */
#define DEVFN_HOST 0x00
#define DEVFN_ISA 0x08
#define DEVFN_IDE PIIX_IDE_DEVFN
#define DEVFN_VGA VGA_PCI_DEVFN
#define NFUNCS 4

/* The PCI functions of the pc machine, whose reset the rig checks. */
extern const uint8_t pci_funcs[NFUNCS];

/* ---- Fake accelerator: the CPU's interrupt inputs, recorded -------------- */

extern int intr[NCPUS];                  /* INTR level per CPU */
extern int cur_cpu;                      /* the CPU making the accesses (-1: none) */
extern const AccelIrqChip *chip;         /* the interrupt controller's CPU side */

/* ---- Random numbers (fixed sequences per seed) ---------------------------- */

extern uint64_t rng_state;
uint64_t rnd(void);
unsigned rnd_below(unsigned n);
bool chance(unsigned percent);
#define PICK(array) ((array)[rnd_below(sizeof(array) / sizeof((array)[0]))])

/* ---- The machine ------------------------------------------------------------ */

typedef enum DiskKind {
    DISK_RAW, DISK_QCOW2, DISK_QCOW2_BACKED, DISK_RAW_SNAPSHOT, DISK_TINY
} DiskKind;

typedef struct Range {
    uint64_t start, end;
} Range;

typedef struct FuzzPc {
    Machine *m;
    PciBus *pci;
    DisplayConsole *con;
    int serial_in;                       /* write end of COM1's input pipe */
    IdeDriveKind drive[IDE_MAX_DRIVES];
    uint64_t sectors[IDE_MAX_DRIVES];    /* 512-byte (disk) or 2048-byte (CD) sectors */
    DiskKind disk[IDE_MAX_DRIVES];
    const char *disk_path[IDE_MAX_DRIVES];   /* writable images, unlinked at exit */
    bool direct_boot;
    uint8_t *shadow;                     /* what guest RAM should hold */
    uint8_t power_on_config[NFUNCS][PCI_CONFIG_SIZE];
    bool targets_stale;                  /* a flat view changed since the last look */
    uint64_t hot[NHOT];                  /* addresses DMA pointers like to take */
} FuzzPc;

extern FuzzPc fz;
extern MachineOptions fz_opts;

/* The shared images (firmware, CDs, the qcow2 backing file) in a fresh
 * directory, and their removal; image_path names a file in it. */
bool images_create(void);
void images_remove(void);
const char *image_path(const char *name);

/* Variant bits choose the drives, the firmware and the boot path. */
FuzzPc *fuzz_pc_create(uint64_t variant);
/* A system reset as system/main.c does it (devices, then firmware reload). */
void fuzz_system_reset(void);
/* What the main loop does with a device's request (reset, power-off, exit). */
void fuzz_handle_request(Machine *m);

/* The guest CPU's accesses; stores to memory update the shadow. */
void cpu_st(AddressSpace *as, uint64_t addr, unsigned size, uint64_t v);
void cpu_write_bytes(uint64_t addr, const uint8_t *buf, size_t len);
void outb(uint16_t port, uint8_t v);
void outw(uint16_t port, uint16_t v);
void outl(uint16_t port, uint32_t v);
uint8_t inb(uint16_t port);
uint32_t pci_cfg_read(int devfn, unsigned reg, unsigned size);
void pci_cfg_write(int devfn, unsigned reg, unsigned size, uint32_t v);

/* ---- Checks ----------------------------------------------------------------- */

/* Guest RAM changed only through CPU stores and reported DMA writes. */
bool guard_check(char *why, size_t n);
/* After a reset, configuration space is what it was at power-on. */
bool config_check_reset(char *why, size_t n);

/* Where a directed DMA may write while `active`; a write elsewhere sets
 * `violated`. */
typedef struct DmaWatch {
    bool active;
    Range allowed[MAX_ALLOWED];
    int nallowed;
    bool violated;
    uint64_t bad_addr, bad_len;
} DmaWatch;

extern DmaWatch watch;
extern long dma_writes, ide_dma_done;    /* RAM writes devices reported; IDE DMAs done */

void watch_allow(uint64_t start, uint64_t len);
/* Read as the bus master does: RAM only, never a device register. */
bool ram_read(uint64_t addr, uint8_t *buf, unsigned len);
/* Allows the regions of the PRD table at prdt; false if one overlaps it. */
bool prd_allow(uint32_t prdt);
/* The bytes the allowed regions hold for a transfer of len bytes. */
bool prd_gather(uint8_t *out, uint32_t len);

/* ---- Time and processes ----------------------------------------------------- */

/* Let virtual time run for ns (timers not serviced), then freeze it. */
void advance(long ns);
/* Due timers run; false on a storm (1000 callbacks due at one instant). */
bool run_timers(void);

/* Run fn in a child process with a fresh clock and main loop; true if it
 * passed. A child that died is reported here under name. */
bool run_isolated(const char *name, int (*fn)(void *), void *arg);

#endif
