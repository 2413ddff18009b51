/*
 * Private to hw/ide/: channel and drive state shared by the task file and
 * ATA commands (ata.c), the ATAPI packet commands (atapi.c) and the PIIX
 * function with its bus-master DMA engine (piix.c). Register and bit names
 * follow ATA/ATAPI-6 (T13 1410D) section 7 and SFF-8038i.
 */
#ifndef HW_IDE_IDE_INTERNAL_H
#define HW_IDE_IDE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/ide/ide.h"
#include "mimic/irq.h"
#include "mimic/memory.h"

#define ATA_SECTOR_SIZE 512
#define CD_SECTOR_SIZE 2048
/* Staging buffer for one DRQ block or one DMA chunk; a multiple of both
 * sector sizes and larger than the biggest ATAPI byte count (0xFFFE). */
#define IDE_BUFFER_SIZE (128 * 1024)
#define IDE_BUFFER_SLACK 8          /* a 32-bit data access may run past an odd-sized block */
#define IDE_MAX_MULT_SECTORS 16     /* READ/WRITE MULTIPLE block limit (IDENTIFY word 47) */
#define IDE_PRD_MAX_ENTRIES 8192    /* a PRD table may not cross 64 KiB: 8-byte entries */
#define ATAPI_PACKET_SIZE 12

/* Status register (ATA-6 7.15.6) */
#define ATA_STAT_BSY 0x80
#define ATA_STAT_DRDY 0x40
#define ATA_STAT_DF 0x20
#define ATA_STAT_DSC 0x10
#define ATA_STAT_DRQ 0x08
#define ATA_STAT_ERR 0x01
/* Error register (7.9) */
#define ATA_ERR_UNC 0x40
#define ATA_ERR_IDNF 0x10
#define ATA_ERR_ABRT 0x04
/* Device Control register (7.8) */
#define ATA_CTL_NIEN 0x02
#define ATA_CTL_SRST 0x04
#define ATA_CTL_HOB 0x80
/* Device register (7.7) */
#define ATA_DEV_DEV 0x10
#define ATA_DEV_LBA 0x40
/* ATAPI interrupt reason, read through the Sector Count register (ATA-6 8.21.4) */
#define ATAPI_IREASON_CD 0x01
#define ATAPI_IREASON_IO 0x02

/* Bus-master IDE registers (SFF-8038i; PIIX3 datasheet 2.7) */
#define BM_CMD_START 0x01
#define BM_CMD_WRITE 0x08           /* bus master writes memory: a device-to-host transfer */
#define BM_STAT_ACTIVE 0x01
#define BM_STAT_ERROR 0x02
#define BM_STAT_INTR 0x04
#define BM_STAT_DMA_CAP 0x60        /* drive 0/1 DMA capable: software scratch bits */

typedef struct IdeChannel IdeChannel;
typedef struct IdeDevice IdeDevice;
typedef void IdeStepFn(IdeDevice *d);

typedef enum BmdmaResult {
    BMDMA_OK,       /* all bytes moved */
    BMDMA_SHORT,    /* the PRD table ended first: the device is left waiting */
    BMDMA_FAULT,    /* a PRD or data address is not RAM (master abort): Error set */
} BmdmaResult;

struct IdeDevice {
    IdeChannel *chan;
    int unit;                       /* 0 master, 1 slave */
    IdeDriveKind kind;
    BlockBackend *blk;
    char serial[21];

    /* The task file this device holds; writes reach both devices of a channel. */
    uint8_t feature, nsector, lbal, lbam, lbah;
    uint8_t hob_feature, hob_nsector, hob_lbal, hob_lbam, hob_lbah;
    uint8_t select, status, error;
    bool intrq;                     /* INTRQ asserted (shown only while selected and nIEN clear) */

    /* PIO data phase: buf[data_pos, data_end) moves through the data port. */
    uint8_t *buf;
    uint32_t data_pos, data_end;
    bool data_in;                   /* device to host */
    IdeStepFn *data_done;           /* runs when the block has moved */

    /* A DMA command waiting for (or being served by) the bus master. */
    bool dma_pending;
    bool dma_to_host;
    IdeStepFn *dma_run;

    /* ATA disk */
    uint64_t sectors;               /* capacity in 512-byte sectors */
    unsigned cyls, heads, spt;      /* default CHS translation (IDENTIFY words 1, 3, 6) */
    unsigned cur_cyls, cur_heads, cur_spt;  /* INITIALIZE DEVICE PARAMETERS (words 54-56) */
    unsigned mult;                  /* READ/WRITE MULTIPLE block in sectors, 0 = disabled */
    bool write_cache;
    uint8_t xfer_mode;              /* SET FEATURES 03h: selected transfer mode */
    bool standby;
    uint8_t cmd;                    /* command in progress */
    bool lba48;                     /* ... uses 48-bit registers */
    uint64_t xfer_lba;              /* next sector of the command */
    uint32_t xfer_left;             /* sectors still to move */
    uint32_t xfer_block;            /* sectors in the current DRQ block */

    /* ATAPI */
    uint8_t cdb[ATAPI_PACKET_SIZE];
    uint32_t byte_limit;            /* byte count limit of the PACKET command */
    bool packet_dma;
    uint8_t sense_key, asc, ascq;
    bool unit_attention;            /* reported by the next command that may report it */
    uint8_t media_event;            /* GESN media event code not yet reported */
    bool tray_open, locked;
    uint64_t cd_sectors;            /* capacity in 2048-byte sectors */
    uint64_t cd_lba;                /* READ(10/12): next sector to fetch */
    uint32_t cd_left;               /* ... sectors not yet fetched */
    uint32_t resp_pos, resp_len;    /* bytes of buf still to hand to the host */
};

typedef struct IdeBmdma {
    uint8_t cmd, status;
    uint32_t prdt;                  /* descriptor table pointer */
    /* The PRD walker, restarted by every 0->1 of the Start bit. */
    uint32_t prd_index;
    uint64_t cur_addr;
    uint32_t cur_left;
    bool eot;
} IdeBmdma;

struct IdeChannel {
    IdeDevice dev[2];
    int cur;                        /* selected unit (DEV bit) */
    uint8_t devctl;
    IrqLine *irq;
    int irq_level;
    bool decode;                    /* legacy ports enabled (PCICMD.IOSE and IDETIM.IDE) */
    bool bus_master;                /* PCICMD.BME */
    AddressSpace *mem;              /* what DMA reaches */
    IdeBmdma bm;
    void (*master_abort)(void *opaque);   /* DMA to nowhere: PCI status bit */
    void *opaque;
};

/* ata.c: channel, task file, ATA commands */
extern const MemoryRegionOps ide_cmd_ops;   /* 8 command-block registers */
extern const MemoryRegionOps ide_ctl_ops;   /* Alternate Status / Device Control */
void ide_channel_init(IdeChannel *c, IrqLine *irq, AddressSpace *mem, const IdeDrive drives[2],
                      int first_index);
void ide_channel_reset(IdeChannel *c);
void ide_update_irq(IdeChannel *c);
void ide_raise_irq(IdeDevice *d);
void ide_transfer_start(IdeDevice *d, uint32_t pos, uint32_t len, bool in, IdeStepFn *done);
void ide_transfer_cancel(IdeDevice *d);
void ide_abort(IdeDevice *d);
void ide_set_signature(IdeDevice *d);
void ide_device_post_reset(IdeDevice *d);
void ide_dma_begin(IdeDevice *d, bool to_host, IdeStepFn *run);
void ide_dma_kick(IdeChannel *c);
void ide_dma_stall(IdeDevice *d, BmdmaResult why);
void ide_put_string(uint16_t *words, int first, int count, const char *s);
void ide_identify_finish(uint16_t *words);

/* atapi.c: the packet device */
void atapi_reset(IdeDevice *d, bool power_on);
void atapi_identify(IdeDevice *d);
void atapi_packet(IdeDevice *d);

/* piix.c: the bus master */
BmdmaResult bmdma_rw(IdeChannel *c, uint8_t *buf, uint32_t len, bool to_memory);

#endif
