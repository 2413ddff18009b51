/*
 * QEMU's firmware configuration device (fw_cfg) as firmware sees it on x86:
 * selector port 0x510 (16-bit), data port 0x511 (8-bit) and the DMA address
 * register at 0x514 (big-endian, 64-bit; a write to its low half at 0x518
 * starts a transfer). Reference: QEMU docs/specs/fw_cfg.rst. The key
 * numbers below are that interface's ABI, shared with SeaBIOS and bios/.
 */
#ifndef MIMIC_HW_NVRAM_FW_CFG_H
#define MIMIC_HW_NVRAM_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/memory.h"

#define FW_CFG_IO_BASE      0x510
#define FW_CFG_IO_SELECTOR  0x510   /* 16-bit write: select an item */
#define FW_CFG_IO_DATA      0x511   /* 8-bit read: next byte of the item */
#define FW_CFG_IO_DMA_HIGH  0x514   /* DMA address bits 63:32, big-endian */
#define FW_CFG_IO_DMA_LOW   0x518   /* DMA address bits 31:0, big-endian; write starts */
#define FW_CFG_IO_SIZE      12      /* 0x510-0x51B */

/* Item keys. Generic items 0x0000-0x3FFF; bit 15 = architecture specific;
 * bit 14 (write mode on old QEMU) is ignored. */
#define FW_CFG_SIGNATURE    0x00    /* "QEMU" */
#define FW_CFG_ID           0x01    /* u32 LE feature bits, FW_CFG_VERSION* */
#define FW_CFG_UUID         0x02    /* 16 bytes */
#define FW_CFG_RAM_SIZE     0x03    /* u64 LE, bytes */
#define FW_CFG_NOGRAPHIC    0x04    /* u16 LE */
#define FW_CFG_NB_CPUS      0x05    /* u16 LE, CPUs present at boot */
#define FW_CFG_MACHINE_ID   0x06
#define FW_CFG_KERNEL_ADDR  0x07
#define FW_CFG_KERNEL_SIZE  0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR  0x0a
#define FW_CFG_INITRD_SIZE  0x0b
#define FW_CFG_BOOT_DEVICE  0x0c    /* u16 LE: first -boot letter */
#define FW_CFG_NUMA         0x0d    /* u64 LE nodes, then per-CPU and per-node u64s */
#define FW_CFG_BOOT_MENU    0x0e    /* u16 LE: 1 = show the boot menu */
#define FW_CFG_MAX_CPUS     0x0f    /* u16 LE */
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA  0x11
#define FW_CFG_INITRD_DATA  0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR   0x16
#define FW_CFG_SETUP_SIZE   0x17
#define FW_CFG_SETUP_DATA   0x18
#define FW_CFG_FILE_DIR     0x19    /* u32 BE count, then FW_CFG_FILE_ENTRY_SIZE entries */
#define FW_CFG_FILE_FIRST   0x20    /* files take keys from here, in name order */
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL   0x8000
#define FW_CFG_ACPI_TABLES  (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE (FW_CFG_ARCH_LOCAL + 2)   /* u32 LE: 1 = IRQ0 is GSI 2 */
#define FW_CFG_E820_TABLE   (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET         (FW_CFG_ARCH_LOCAL + 4)

#define FW_CFG_VERSION      0x01    /* FW_CFG_ID: port interface */
#define FW_CFG_VERSION_DMA  0x02    /* FW_CFG_ID: DMA interface */

/* Directory entry: u32 BE size, u16 BE select, u16 reserved, name[56]. */
#define FW_CFG_FILE_ENTRY_SIZE 64
#define FW_CFG_MAX_FILE_PATH   56   /* including the NUL */
#define FW_CFG_MAX_FILES       64
#define FW_CFG_MAX_ITEMS       64   /* numbered (non-file) items */

/* FWCfgDmaAccess: be32 control, be32 length, be64 address (16 bytes). */
#define FW_CFG_DMA_ACCESS_SIZE 16
#define FW_CFG_DMA_CTL_ERROR   0x01
#define FW_CFG_DMA_CTL_READ    0x02
#define FW_CFG_DMA_CTL_SKIP    0x04
#define FW_CFG_DMA_CTL_SELECT  0x08   /* key in bits 31:16 */
#define FW_CFG_DMA_CTL_WRITE   0x10   /* no item here is writable: always an error */
/* What a read of the DMA address register returns ("QEMU CFG", big-endian). */
#define FW_CFG_DMA_SIGNATURE   0x51454d5520434647ull

typedef struct FwCfg FwCfg;

/* Creates the device with SIGNATURE, ID (port + DMA) and an empty file
 * directory, and maps its ports at io_base in `io`. DMA reads and writes
 * guest memory through `mem`. Call fw_cfg_reset at machine reset. */
FwCfg *fw_cfg_create(AddressSpace *io, uint16_t io_base, AddressSpace *mem);
/* Frees the items; the port regions stay mapped (tests free their
 * address spaces afterwards). */
void fw_cfg_free(FwCfg *s);
/* Selector 0, offset 0, DMA address register 0 (items are kept). */
void fw_cfg_reset(FwCfg *s);

/* Numbered items (key < FW_CFG_FILE_FIRST or architecture-specific). The
 * data is copied; adding an existing key replaces it. */
void fw_cfg_add_bytes(FwCfg *s, uint16_t key, const void *data, size_t len);
void fw_cfg_add_i16(FwCfg *s, uint16_t key, uint16_t value);   /* little-endian */
void fw_cfg_add_i32(FwCfg *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FwCfg *s, uint16_t key, uint64_t value);

/* A named file (copied; an existing name is replaced). Files get keys
 * from FW_CFG_FILE_FIRST in name order, so a later insertion may renumber
 * them: firmware finds them through FW_CFG_FILE_DIR. Names longer than
 * FW_CFG_MAX_FILE_PATH - 1 or more than FW_CFG_MAX_FILES files are a
 * programming error (fatal). */
void fw_cfg_add_file(FwCfg *s, const char *name, const void *data, size_t len);
/* The key firmware would use for `name` now, or -1. */
int fw_cfg_file_key(const FwCfg *s, const char *name);

#endif
