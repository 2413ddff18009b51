/*
 * A bench for the IDE tests: a machine with RAM, the I/O space, PCI
 * configuration ports and the PIIX3 IDE function with drives backed by
 * temporary raw image files, driven through port reads and writes as a guest
 * driver would. Records the levels and rising edges of IRQ 14 and 15.
 */
#ifndef TESTS_UNIT_HW_IDE_IDE_RIG_H
#define TESTS_UNIT_HW_IDE_IDE_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/ide/ide.h"

#define RIG_RAM_SIZE (16u << 20)
#define RIG_BMIBA 0xC000
#define PRI 0x1F0
#define SEC 0x170
#define CTL(base) ((base) == PRI ? 0x3F6 : 0x376)
#define BM(base) (RIG_BMIBA + ((base) == PRI ? 0 : 8))

/* Task-file register offsets */
#define REG_DATA 0
#define REG_ERROR 1
#define REG_FEATURE 1
#define REG_NSECT 2
#define REG_LBAL 3
#define REG_LBAM 4
#define REG_LBAH 5
#define REG_DEVICE 6
#define REG_STATUS 7
#define REG_COMMAND 7

typedef struct RigDriveSpec {
    IdeDriveKind kind;
    uint64_t size;          /* image bytes; 0 with IDE_DRIVE_CD: empty drive */
    bool readonly;
} RigDriveSpec;

typedef struct IdeRig {
    Machine *m;
    PciBus *bus;
    PiixIde *ide;
    uint8_t *ram;
    IrqLine **lines;        /* IRQ 14, IRQ 15 */
    int irq_level[2];
    int irq_rises[2];
    char path[IDE_MAX_DRIVES][64];
    int fd[IDE_MAX_DRIVES]; /* the image files, for checking what reached them */
} IdeRig;

/* The byte a fresh image holds at offset off. */
uint8_t rig_pattern(uint64_t off);

/* Build a machine; the PIIX function is enabled (IOSE, BME, BAR4 at RIG_BMIBA). */
IdeRig *rig_create(const RigDriveSpec specs[IDE_MAX_DRIVES]);
void rig_destroy(IdeRig *r);

uint8_t rig_inb(IdeRig *r, uint16_t port);
uint16_t rig_inw(IdeRig *r, uint16_t port);
uint32_t rig_inl(IdeRig *r, uint16_t port);
void rig_outb(IdeRig *r, uint16_t port, uint8_t v);
void rig_outw(IdeRig *r, uint16_t port, uint16_t v);
void rig_outl(IdeRig *r, uint16_t port, uint32_t v);
uint32_t rig_pci_read(IdeRig *r, unsigned reg, unsigned size);
void rig_pci_write(IdeRig *r, unsigned reg, unsigned size, uint32_t v);

/* Read n bytes of a drive's image file (not through the device). */
void rig_image_read(IdeRig *r, int drive, uint64_t off, void *buf, size_t n);
void rig_image_write(IdeRig *r, int drive, uint64_t off, const void *buf, size_t n);

/* Select unit on channel base and load the LBA28 task file. */
void rig_select(IdeRig *r, uint16_t base, int unit);
void rig_taskfile28(IdeRig *r, uint16_t base, int unit, uint32_t lba, uint8_t count);
void rig_taskfile48(IdeRig *r, uint16_t base, int unit, uint64_t lba, uint16_t count);

/* Read 256 words of data (one DRQ block of a disk) into w. */
void rig_read_words(IdeRig *r, uint16_t base, uint16_t *w, int n);
void rig_write_words(IdeRig *r, uint16_t base, const uint16_t *w, int n);

/* Put a PRD table at table with n entries {addr[i], len[i]}, EOT on the last. */
void rig_prd(IdeRig *r, uint32_t table, int n, const uint32_t *addr, const uint32_t *len);

#endif
