/*
 * One IDE channel and its ATA hard disks: the command-block and control-block
 * registers with two devices sharing them, HOB, nIEN/INTRQ, software reset
 * and signatures, the PIO data phase, and the ATA commands of a disk (ATA/
 * ATAPI-6, T13 1410D, sections 6-9; ATA8-ACS for the 48-bit commands).
 * Commands complete at once (BSY is seen only while SRST is held). Left out:
 * SMART, security, HPA, power-up in standby, queued and streaming commands.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/ide/ide_internal.h"
#include "mimic/le.h"
#include "mimic/log.h"

/* ATA command codes (ATA/ATAPI-6 table E.2; ATA8-ACS for the EXT forms) */
enum {
    CMD_NOP = 0x00,
    CMD_DEVICE_RESET = 0x08,
    CMD_RECALIBRATE = 0x10,         /* 0x10-0x1F */
    CMD_READ_SECTORS = 0x20,
    CMD_READ_SECTORS_NORETRY = 0x21,
    CMD_READ_SECTORS_EXT = 0x24,
    CMD_READ_DMA_EXT = 0x25,
    CMD_READ_MULTIPLE_EXT = 0x29,
    CMD_WRITE_SECTORS = 0x30,
    CMD_WRITE_SECTORS_NORETRY = 0x31,
    CMD_WRITE_SECTORS_EXT = 0x34,
    CMD_WRITE_DMA_EXT = 0x35,
    CMD_WRITE_MULTIPLE_EXT = 0x39,
    CMD_READ_VERIFY = 0x40,
    CMD_READ_VERIFY_NORETRY = 0x41,
    CMD_READ_VERIFY_EXT = 0x42,
    CMD_SEEK = 0x70,
    CMD_EXECUTE_DIAGNOSTIC = 0x90,
    CMD_INITIALIZE_PARAMS = 0x91,
    CMD_PACKET = 0xA0,
    CMD_IDENTIFY_PACKET = 0xA1,
    CMD_READ_MULTIPLE = 0xC4,
    CMD_WRITE_MULTIPLE = 0xC5,
    CMD_SET_MULTIPLE = 0xC6,
    CMD_READ_DMA = 0xC8,
    CMD_READ_DMA_NORETRY = 0xC9,
    CMD_WRITE_DMA = 0xCA,
    CMD_WRITE_DMA_NORETRY = 0xCB,
    CMD_STANDBY_IMMEDIATE = 0xE0,
    CMD_IDLE_IMMEDIATE = 0xE1,
    CMD_STANDBY = 0xE2,
    CMD_IDLE = 0xE3,
    CMD_CHECK_POWER_MODE = 0xE5,
    CMD_SLEEP = 0xE6,
    CMD_FLUSH_CACHE = 0xE7,
    CMD_FLUSH_CACHE_EXT = 0xEA,
    CMD_IDENTIFY = 0xEC,
    CMD_SET_FEATURES = 0xEF,
};

/* SET FEATURES subcommands (ATA-6 8.36) */
enum {
    FEAT_ENABLE_WRITE_CACHE = 0x02,
    FEAT_SET_TRANSFER_MODE = 0x03,
    FEAT_DISABLE_REVERT = 0x66,
    FEAT_DISABLE_WRITE_CACHE = 0x82,
    FEAT_DISABLE_LOOKAHEAD = 0x55,
    FEAT_ENABLE_LOOKAHEAD = 0xAA,
    FEAT_ENABLE_REVERT = 0xCC,
};

#define ATA_STATUS_READY (ATA_STAT_DRDY | ATA_STAT_DSC)
#define ATA_MAX_CYLS 16383          /* CHS translation limit of IDENTIFY word 1 */
#define ATA_MAX_LBA28 0x0FFFFFFFu
#define ATA_CYCLE_NS 120            /* PIO 4 / MW DMA 2 cycle time (words 65-68) */
#define ATA_DIAG_PASSED 0x01        /* Error register after reset/diagnostics */

static uint32_t min_u32(uint64_t a, uint64_t b)
{
    return (uint32_t)(a < b ? a : b);
}

/* ---- interrupts and the data phase ---------------------------------------- */

/* INTRQ is driven by the selected device only, and released while nIEN is
 * set (ATA-6 5.2.9). The bus-master Interrupt bit latches each rising edge
 * of the line (PIIX3 datasheet, BMISX bit 2). */
void ide_update_irq(IdeChannel *c)
{
    const IdeDevice *d = &c->dev[c->cur];
    int level = d->intrq && !(c->devctl & ATA_CTL_NIEN);
    if (level && !c->irq_level)
        c->bm.status |= BM_STAT_INTR;
    if (level != c->irq_level) {
        c->irq_level = level;
        irq_set(c->irq, level);
    }
}

void ide_raise_irq(IdeDevice *d)
{
    d->intrq = true;
    ide_update_irq(d->chan);
}

void ide_transfer_start(IdeDevice *d, uint32_t pos, uint32_t len, bool in, IdeStepFn *done)
{
    if (pos > IDE_BUFFER_SIZE || len > IDE_BUFFER_SIZE - pos)
        fatal("internal error: IDE transfer of %u bytes at %u", len, pos);
    d->data_pos = pos;
    d->data_end = pos + len;
    d->data_in = in;
    d->data_done = done;
    d->status |= ATA_STAT_DRQ;
}

/* Forget whatever the device was moving: PIO block, pending DMA, ATAPI data. */
void ide_transfer_cancel(IdeDevice *d)
{
    d->data_pos = d->data_end = 0;
    d->data_done = NULL;
    d->dma_pending = false;
    d->dma_run = NULL;
    d->xfer_left = 0;
    d->cd_left = 0;
    d->resp_pos = d->resp_len = 0;
    d->status &= (uint8_t)~ATA_STAT_DRQ;
}

static void ide_transfer_end(IdeDevice *d)
{
    IdeStepFn *done = d->data_done;
    d->data_pos = d->data_end = 0;
    d->data_done = NULL;
    d->status &= (uint8_t)~ATA_STAT_DRQ;
    if (done)
        done(d);
}

static uint16_t ide_data_read16(IdeDevice *d)
{
    if (d->data_pos >= d->data_end || !d->data_in) {
        guest_error("ide: data port read while the drive offers no data (DRQ clear)\n");
        return 0xFFFF;
    }
    uint16_t v = ld_le16(d->buf + d->data_pos);   /* the buffer's slack covers an odd end */
    d->data_pos += 2;
    if (d->data_pos >= d->data_end)
        ide_transfer_end(d);
    return v;
}

static void ide_data_write16(IdeDevice *d, uint16_t v)
{
    if (d->data_pos >= d->data_end || d->data_in) {
        guest_error("ide: data port write while the drive expects no data (DRQ clear)\n");
        return;
    }
    st_le16(d->buf + d->data_pos, v);
    d->data_pos += 2;
    if (d->data_pos >= d->data_end)
        ide_transfer_end(d);
}

/* ---- command completion ---------------------------------------------------- */

static uint8_t ide_ready_status(const IdeDevice *d)
{
    return d->kind == IDE_DRIVE_CD ? ATA_STAT_DRDY : ATA_STATUS_READY;
}

static void ata_ok(IdeDevice *d)
{
    d->status = ide_ready_status(d);
    d->error = 0;
    ide_raise_irq(d);
}

static void ata_error(IdeDevice *d, uint8_t error)
{
    ide_transfer_cancel(d);
    d->status = ide_ready_status(d) | ATA_STAT_ERR;
    d->error = error;
    ide_raise_irq(d);
}

void ide_abort(IdeDevice *d)
{
    ata_error(d, ATA_ERR_ABRT);
}

void ide_set_signature(IdeDevice *d)
{
    /* ATA-6 9.12: the signature tells a packet device from a disk. */
    d->nsector = 1;
    d->lbal = 1;
    d->lbam = d->kind == IDE_DRIVE_CD ? 0x14 : 0x00;
    d->lbah = d->kind == IDE_DRIVE_CD ? 0xEB : 0x00;
    d->hob_feature = d->hob_nsector = d->hob_lbal = d->hob_lbam = d->hob_lbah = 0;
}

/* After power-on, SRST or EXECUTE DEVICE DIAGNOSTIC: signature, diagnostic
 * code, device 0 selected. Packet devices leave DRDY clear (ATA-6 9.1). */
void ide_device_post_reset(IdeDevice *d)
{
    ide_transfer_cancel(d);
    ide_set_signature(d);
    d->select = 0;
    d->error = ATA_DIAG_PASSED;
    d->status = d->kind == IDE_DRIVE_CD ? 0 : ATA_STATUS_READY;
    d->intrq = false;
}

/* ---- DMA glue --------------------------------------------------------------- */

void ide_dma_begin(IdeDevice *d, bool to_host, IdeStepFn *run)
{
    d->status |= ATA_STAT_DRQ;
    d->dma_pending = true;
    d->dma_to_host = to_host;
    d->dma_run = run;
    ide_dma_kick(d->chan);
}

/* The transfer moves once both the device has a DMA command and the bus
 * master is started (either may come first) with bus mastering enabled. */
void ide_dma_kick(IdeChannel *c)
{
    if (!(c->bm.cmd & BM_CMD_START) || !c->bus_master)
        return;
    IdeDevice *d = &c->dev[c->cur];
    if (!d->dma_pending)
        d = &c->dev[!c->cur];
    if (!d->dma_pending || !d->dma_run)
        return;
    if (!!(c->bm.cmd & BM_CMD_WRITE) != d->dma_to_host)
        guest_error("ide: bus-master direction bit disagrees with the DMA command; using the command's\n");
    IdeStepFn *run = d->dma_run;
    d->dma_run = NULL;          /* runs once; completion or a stall ends it */
    run(d);
}

/* The bus master could not finish (PRD table too short, or a master abort):
 * as on hardware, the drive keeps waiting for DMA until reset or a new
 * command, and no interrupt comes (SFF-8038i Interrupt/Active table). */
void ide_dma_stall(IdeDevice *d, BmdmaResult why)
{
    guest_error("ide: DMA stopped (%s); the drive waits until reset or a new command\n",
                why == BMDMA_SHORT ? "PRD table shorter than the transfer" : "PRD or buffer not in RAM");
    d->dma_pending = false;
    d->dma_run = NULL;
}

/* ---- sector addressing ------------------------------------------------------ */

static bool ata_get_lba(const IdeDevice *d, uint64_t *lba)
{
    if (d->lba48) {
        *lba = (uint64_t)d->hob_lbah << 40 | (uint64_t)d->hob_lbam << 32 |
               (uint64_t)d->hob_lbal << 24 | (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 | d->lbal;
        return true;
    }
    if (d->select & ATA_DEV_LBA) {
        *lba = (uint64_t)(d->select & 0x0F) << 24 | (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 |
               d->lbal;
        return true;
    }
    unsigned cyl = d->lbam | d->lbah << 8, head = d->select & 0x0F, sect = d->lbal;
    if (sect == 0 || sect > d->cur_spt || head >= d->cur_heads || cyl >= d->cur_cyls)
        return false;
    *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + sect - 1;
    return true;
}

/* Leave the address of the last sector handled (or the failing one) in the
 * task file, in the addressing form the command used. */
static void ata_set_lba(IdeDevice *d, uint64_t lba)
{
    if (d->lba48) {
        d->lbal = (uint8_t)lba;
        d->lbam = (uint8_t)(lba >> 8);
        d->lbah = (uint8_t)(lba >> 16);
        d->hob_lbal = (uint8_t)(lba >> 24);
        d->hob_lbam = (uint8_t)(lba >> 32);
        d->hob_lbah = (uint8_t)(lba >> 40);
    } else if (d->select & ATA_DEV_LBA) {
        d->lbal = (uint8_t)lba;
        d->lbam = (uint8_t)(lba >> 8);
        d->lbah = (uint8_t)(lba >> 16);
        d->select = (uint8_t)((d->select & 0xF0) | ((lba >> 24) & 0x0F));
    } else {
        uint64_t track = d->cur_heads * d->cur_spt;
        uint64_t cyl = lba / track;
        unsigned rest = (unsigned)(lba % track);
        if (cyl > 0xFFFF)
            cyl = 0xFFFF;
        d->lbam = (uint8_t)cyl;
        d->lbah = (uint8_t)(cyl >> 8);
        d->select = (uint8_t)((d->select & 0xF0) | (rest / d->cur_spt));
        d->lbal = (uint8_t)(rest % d->cur_spt + 1);
    }
}

static uint32_t ata_get_count(const IdeDevice *d)
{
    if (d->lba48) {
        uint32_t n = (uint32_t)d->hob_nsector << 8 | d->nsector;
        return n ? n : 65536;
    }
    return d->nsector ? d->nsector : 256;
}

/* Common checks of every media access; on failure the error is reported. */
static bool ata_rw_setup(IdeDevice *d, bool lba48, bool write)
{
    uint64_t lba;
    d->lba48 = lba48;
    if (!ata_get_lba(d, &lba)) {
        guest_error("ide: CHS address outside the current geometry\n");
        ata_error(d, ATA_ERR_IDNF);
        return false;
    }
    uint32_t n = ata_get_count(d);
    if (lba >= d->sectors || n > d->sectors - lba) {
        guest_error("ide: sectors %llu+%u past the end of the disk (%llu sectors)\n",
                    (unsigned long long)lba, n, (unsigned long long)d->sectors);
        ata_set_lba(d, lba);
        ata_error(d, ATA_ERR_IDNF);
        return false;
    }
    if (write && blk_is_readonly(d->blk)) {
        ata_error(d, ATA_ERR_ABRT);
        return false;
    }
    d->xfer_lba = lba;
    d->xfer_left = n;
    d->standby = false;
    return true;
}

/* ---- PIO data commands ------------------------------------------------------ */

/* Each DRQ block is announced by an interrupt; after the last one is read
 * the command is complete with no further interrupt (ATA-6 9.8). */
static void ata_read_step(IdeDevice *d)
{
    if (!d->xfer_left) {
        d->status = ATA_STATUS_READY;
        return;
    }
    uint32_t n = min_u32(d->xfer_left, d->xfer_block);
    if (blk_pread(d->blk, d->xfer_lba * ATA_SECTOR_SIZE, d->buf, n * ATA_SECTOR_SIZE) < 0) {
        ata_set_lba(d, d->xfer_lba);
        ata_error(d, ATA_ERR_UNC);
        return;
    }
    ata_set_lba(d, d->xfer_lba + n - 1);
    d->xfer_lba += n;
    d->xfer_left -= n;
    d->status = ATA_STATUS_READY;
    ide_transfer_start(d, 0, n * ATA_SECTOR_SIZE, true, ata_read_step);
    ide_raise_irq(d);
}

static void ata_write_step(IdeDevice *d);

static void ata_write_block(IdeDevice *d)
{
    d->status = ATA_STATUS_READY;
    ide_transfer_start(d, 0, min_u32(d->xfer_left, d->xfer_block) * ATA_SECTOR_SIZE, false,
                       ata_write_step);
}

static bool ata_write_through(IdeDevice *d)
{
    /* With the write cache off, data is on stable storage before completion. */
    if (!d->write_cache && blk_flush(d->blk) < 0) {
        ata_error(d, ATA_ERR_ABRT);
        return false;
    }
    return true;
}

/* The first block is requested without an interrupt; each later block and
 * the completion come with one (ATA-6 9.9). */
static void ata_write_step(IdeDevice *d)
{
    uint32_t n = min_u32(d->xfer_left, d->xfer_block);
    if (blk_pwrite(d->blk, d->xfer_lba * ATA_SECTOR_SIZE, d->buf, n * ATA_SECTOR_SIZE) < 0) {
        ata_set_lba(d, d->xfer_lba);
        ata_error(d, ATA_ERR_ABRT);
        return;
    }
    ata_set_lba(d, d->xfer_lba + n - 1);
    d->xfer_lba += n;
    d->xfer_left -= n;
    if (d->xfer_left) {
        ata_write_block(d);
        ide_raise_irq(d);
    } else if (ata_write_through(d)) {
        ata_ok(d);
    }
}

static void ata_pio(IdeDevice *d, bool lba48, bool write, bool multiple)
{
    if (multiple && !d->mult) {
        guest_error("ide: READ/WRITE MULTIPLE with multiple mode disabled\n");
        ide_abort(d);
        return;
    }
    if (!ata_rw_setup(d, lba48, write))
        return;
    d->xfer_block = multiple ? d->mult : 1;
    if (write)
        ata_write_block(d);
    else
        ata_read_step(d);
}

/* ---- DMA data commands ------------------------------------------------------ */

static void ata_dma_run(IdeDevice *d)
{
    while (d->xfer_left) {
        uint32_t n = min_u32(d->xfer_left, IDE_BUFFER_SIZE / ATA_SECTOR_SIZE);
        uint32_t len = n * ATA_SECTOR_SIZE;
        uint64_t off = d->xfer_lba * ATA_SECTOR_SIZE;
        BmdmaResult r;
        if (d->dma_to_host) {
            if (blk_pread(d->blk, off, d->buf, len) < 0) {
                ata_set_lba(d, d->xfer_lba);
                ata_error(d, ATA_ERR_UNC);
                return;
            }
            r = bmdma_rw(d->chan, d->buf, len, true);
        } else {
            r = bmdma_rw(d->chan, d->buf, len, false);
            if (r == BMDMA_OK && blk_pwrite(d->blk, off, d->buf, len) < 0) {
                ata_set_lba(d, d->xfer_lba);
                ata_error(d, ATA_ERR_ABRT);
                return;
            }
        }
        if (r != BMDMA_OK) {
            ide_dma_stall(d, r);
            return;
        }
        d->xfer_lba += n;
        d->xfer_left -= n;
    }
    ata_set_lba(d, d->xfer_lba - 1);
    d->dma_pending = false;
    if (d->dma_to_host || ata_write_through(d))
        ata_ok(d);
}

static void ata_dma(IdeDevice *d, bool lba48, bool write)
{
    if (!ata_rw_setup(d, lba48, write))
        return;
    d->status = ATA_STATUS_READY;
    ide_dma_begin(d, !write, ata_dma_run);
}

/* ---- IDENTIFY DEVICE -------------------------------------------------------- */

void ide_put_string(uint16_t *words, int first, int count, const char *s)
{
    /* ATA strings: two characters per word, the first in the high byte. */
    size_t len = strlen(s);
    for (int i = 0; i < count * 2; i++) {
        uint16_t ch = (uint16_t)(i < (int)len ? (uint8_t)s[i] : ' ');
        words[first + i / 2] |= i % 2 ? ch : (uint16_t)(ch << 8);
    }
}

/* Word 255: signature A5h and a checksum making all 512 bytes sum to 0. */
void ide_identify_finish(uint16_t *words)
{
    uint8_t sum = 0xA5;
    words[255] = 0xA5;
    for (int i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (words[i] & 0xFF) + (words[i] >> 8));
    words[255] |= (uint16_t)((uint8_t)-sum << 8);
}

static void ata_identify_words(const IdeDevice *d, uint16_t *w)
{
    uint64_t cur_cap = (uint64_t)d->cur_cyls * d->cur_heads * d->cur_spt;
    uint64_t lba28 = d->sectors < ATA_MAX_LBA28 ? d->sectors : ATA_MAX_LBA28;
    memset(w, 0, 256 * sizeof(*w));
    w[0] = 0x0040;                          /* ATA device, fixed */
    w[1] = (uint16_t)d->cyls;
    w[3] = (uint16_t)d->heads;
    w[6] = (uint16_t)d->spt;
    ide_put_string(w, 10, 10, d->serial);
    ide_put_string(w, 23, 4, "1.0");
    ide_put_string(w, 27, 20, "MIMIC HARDDISK");
    w[47] = 0x8000 | IDE_MAX_MULT_SECTORS;
    w[49] = 0x0F00;                         /* IORDY, IORDY may be disabled, LBA, DMA */
    w[50] = 0x4000;
    w[51] = 0x0200;                         /* obsolete PIO timing: mode 2 */
    w[53] = 0x0007;                         /* words 54-58, 64-70 and 88 valid */
    w[54] = (uint16_t)d->cur_cyls;
    w[55] = (uint16_t)d->cur_heads;
    w[56] = (uint16_t)d->cur_spt;
    w[57] = (uint16_t)cur_cap;
    w[58] = (uint16_t)(cur_cap >> 16);
    w[59] = d->mult ? (uint16_t)(0x0100 | d->mult) : 0;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    w[63] = 0x0007;                         /* MW DMA 0-2 */
    w[64] = 0x0003;                         /* PIO 3-4 */
    w[65] = w[66] = w[67] = w[68] = ATA_CYCLE_NS;
    w[80] = 0x00F0;                         /* ATA/ATAPI-4 to -7 */
    w[82] = 0x4068;                         /* NOP, look-ahead, write cache, power management */
    w[83] = 0x7400;                         /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit */
    w[84] = 0x4000;
    w[85] = (uint16_t)(0x4048 | (d->write_cache ? 0x0020 : 0));
    w[86] = 0x3400;
    w[87] = 0x4000;
    w[88] = 0x003F;                         /* UDMA 0-5 */
    if ((d->xfer_mode & 0xF8) == 0x20)
        w[63] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    if ((d->xfer_mode & 0xF8) == 0x40)
        w[88] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    /* Hardware reset result: 80-conductor cable, device passed diagnostics,
     * address set by jumper. */
    w[93] = (uint16_t)(0x6000 | (d->unit ? 0x0300 : 0x000B));
    w[100] = (uint16_t)d->sectors;
    w[101] = (uint16_t)(d->sectors >> 16);
    w[102] = (uint16_t)(d->sectors >> 32);
    w[103] = (uint16_t)(d->sectors >> 48);
    w[106] = 0x4000;                        /* one 512-byte logical sector per physical */
    ide_identify_finish(w);
}

static void ata_pio_in_done(IdeDevice *d)
{
    d->status = ide_ready_status(d);
}

static void ata_identify(IdeDevice *d)
{
    uint16_t w[256];
    ata_identify_words(d, w);
    for (int i = 0; i < 256; i++)
        st_le16(d->buf + 2 * i, w[i]);
    d->status = ATA_STATUS_READY;
    ide_transfer_start(d, 0, ATA_SECTOR_SIZE, true, ata_pio_in_done);
    ide_raise_irq(d);
}

/* ---- other commands --------------------------------------------------------- */

static void ata_set_features(IdeDevice *d)
{
    bool disk = d->kind == IDE_DRIVE_DISK;
    switch (d->feature) {
    case FEAT_SET_TRANSFER_MODE: {
        uint8_t m = d->nsector;
        bool ok = m <= 0x01 || (m >= 0x08 && m <= 0x0C) || (m >= 0x20 && m <= 0x22) ||
                  (m >= 0x40 && m <= 0x45);
        if (!ok) {
            guest_error("ide: SET FEATURES: unsupported transfer mode 0x%02x\n", m);
            ide_abort(d);
            return;
        }
        d->xfer_mode = m;
        break;
    }
    case FEAT_ENABLE_WRITE_CACHE:
    case FEAT_DISABLE_WRITE_CACHE:
        if (!disk) {
            ide_abort(d);
            return;
        }
        if (d->feature == FEAT_DISABLE_WRITE_CACHE && blk_flush(d->blk) < 0) {
            ide_abort(d);
            return;
        }
        d->write_cache = d->feature == FEAT_ENABLE_WRITE_CACHE;
        break;
    case FEAT_ENABLE_LOOKAHEAD:
    case FEAT_DISABLE_LOOKAHEAD:
        if (!disk) {
            ide_abort(d);
            return;
        }
        break;
    case FEAT_DISABLE_REVERT:
    case FEAT_ENABLE_REVERT:
        break;
    default:
        log_unimp("ide: SET FEATURES subcommand 0x%02x\n", d->feature);
        ide_abort(d);
        return;
    }
    ata_ok(d);
}

static void ata_set_multiple(IdeDevice *d)
{
    unsigned n = d->nsector;
    if (n > IDE_MAX_MULT_SECTORS || (n & (n - 1))) {
        guest_error("ide: SET MULTIPLE MODE %u: not a power of two up to %d\n", n, IDE_MAX_MULT_SECTORS);
        ide_abort(d);
        return;
    }
    d->mult = n;        /* 0 disables multiple mode */
    ata_ok(d);
}

static void ata_initialize_params(IdeDevice *d)
{
    unsigned spt = d->nsector, heads = (d->select & 0x0F) + 1u;
    if (spt == 0) {
        ide_abort(d);
        return;
    }
    uint64_t cyls = d->sectors / (heads * spt);
    d->cur_heads = heads;
    d->cur_spt = spt;
    d->cur_cyls = (unsigned)(cyls > 0xFFFF ? 0xFFFF : cyls);
    ata_ok(d);
}

static void ata_flush(IdeDevice *d)
{
    if (blk_flush(d->blk) < 0)
        ide_abort(d);
    else
        ata_ok(d);
}

static void ata_read_verify(IdeDevice *d, bool lba48)
{
    if (!ata_rw_setup(d, lba48, false))
        return;
    ata_set_lba(d, d->xfer_lba + d->xfer_left - 1);
    d->xfer_left = 0;
    ata_ok(d);
}

/* EXECUTE DEVICE DIAGNOSTIC runs on both devices whichever is selected;
 * device 0 reports for both and interrupts (ATA-6 8.11, 9.10). */
static void ata_execute_diagnostic(IdeChannel *c)
{
    for (int u = 0; u < 2; u++)
        if (c->dev[u].kind != IDE_DRIVE_NONE)
            ide_device_post_reset(&c->dev[u]);
    c->cur = 0;
    if (c->dev[0].kind != IDE_DRIVE_NONE)
        ide_raise_irq(&c->dev[0]);
    else
        ide_update_irq(c);
}

static void ata_command(IdeDevice *d, uint8_t cmd)
{
    bool disk = d->kind == IDE_DRIVE_DISK;
    if (!disk) {
        switch (cmd) {
        case CMD_PACKET:
            atapi_packet(d);
            return;
        case CMD_IDENTIFY_PACKET:
            atapi_identify(d);
            return;
        case CMD_DEVICE_RESET: {
            uint8_t dev = d->select & ATA_DEV_DEV;   /* the drive stays selected */
            atapi_reset(d, false);
            d->select |= dev;
            return;
        }
        case CMD_IDENTIFY:
        case CMD_READ_SECTORS:
        case CMD_READ_SECTORS_NORETRY:
            /* A packet device aborts these with its signature in the task
             * file, which is how old drivers find ATAPI (ATA-6 8.15). */
            ide_abort(d);
            ide_set_signature(d);
            return;
        case CMD_SET_FEATURES:
            ata_set_features(d);
            return;
        case CMD_CHECK_POWER_MODE: case CMD_IDLE_IMMEDIATE: case CMD_STANDBY_IMMEDIATE:
        case CMD_SLEEP:
            break;              /* shared with disks below */
        default:
            ide_abort(d);
            return;
        }
    }
    switch (cmd) {
    case CMD_READ_SECTORS: case CMD_READ_SECTORS_NORETRY:
        ata_pio(d, false, false, false);
        break;
    case CMD_READ_SECTORS_EXT:
        ata_pio(d, true, false, false);
        break;
    case CMD_WRITE_SECTORS: case CMD_WRITE_SECTORS_NORETRY:
        ata_pio(d, false, true, false);
        break;
    case CMD_WRITE_SECTORS_EXT:
        ata_pio(d, true, true, false);
        break;
    case CMD_READ_MULTIPLE:
        ata_pio(d, false, false, true);
        break;
    case CMD_READ_MULTIPLE_EXT:
        ata_pio(d, true, false, true);
        break;
    case CMD_WRITE_MULTIPLE:
        ata_pio(d, false, true, true);
        break;
    case CMD_WRITE_MULTIPLE_EXT:
        ata_pio(d, true, true, true);
        break;
    case CMD_READ_DMA: case CMD_READ_DMA_NORETRY:
        ata_dma(d, false, false);
        break;
    case CMD_READ_DMA_EXT:
        ata_dma(d, true, false);
        break;
    case CMD_WRITE_DMA: case CMD_WRITE_DMA_NORETRY:
        ata_dma(d, false, true);
        break;
    case CMD_WRITE_DMA_EXT:
        ata_dma(d, true, true);
        break;
    case CMD_READ_VERIFY: case CMD_READ_VERIFY_NORETRY:
        ata_read_verify(d, false);
        break;
    case CMD_READ_VERIFY_EXT:
        ata_read_verify(d, true);
        break;
    case CMD_IDENTIFY:
        ata_identify(d);
        break;
    case CMD_SET_FEATURES:
        ata_set_features(d);
        break;
    case CMD_SET_MULTIPLE:
        ata_set_multiple(d);
        break;
    case CMD_INITIALIZE_PARAMS:
        ata_initialize_params(d);
        break;
    case CMD_FLUSH_CACHE: case CMD_FLUSH_CACHE_EXT:
        ata_flush(d);
        break;
    case CMD_SEEK:
        ata_ok(d);
        break;
    case CMD_IDLE: case CMD_IDLE_IMMEDIATE:
        d->standby = false;
        ata_ok(d);
        break;
    case CMD_STANDBY: case CMD_STANDBY_IMMEDIATE: case CMD_SLEEP:
        /* SLEEP is modelled as standby: the next command wakes the drive. */
        d->standby = true;
        ata_ok(d);
        break;
    case CMD_CHECK_POWER_MODE:
        ata_ok(d);
        d->nsector = d->standby ? 0x00 : 0xFF;
        break;
    default:
        if ((cmd & 0xF0) == CMD_RECALIBRATE) {
            ata_ok(d);
            break;
        }
        /* NOP, SMART, security, HPA, DEVICE RESET on a disk, ...: aborted
         * as the standard says for commands a device does not implement. */
        if (cmd != CMD_NOP)
            log_unimp("ide: ATA command 0x%02x not supported (aborted)\n", cmd);
        ide_abort(d);
        break;
    }
}

static void ide_exec_cmd(IdeChannel *c, uint8_t cmd)
{
    IdeDevice *d = &c->dev[c->cur];
    if (cmd == CMD_EXECUTE_DIAGNOSTIC) {
        ata_execute_diagnostic(c);
        return;
    }
    if (d->kind == IDE_DRIVE_NONE) {
        guest_error("ide: command 0x%02x to absent device %d ignored\n", cmd, c->cur);
        return;
    }
    bool busy = d->data_end > d->data_pos || d->dma_pending || (d->status & ATA_STAT_DRQ);
    if (busy) {
        /* ATA-6 forbids this; DEVICE RESET is the way out of a stuck packet
         * command. Either way the old transfer is dropped. */
        if (!(d->kind == IDE_DRIVE_CD && cmd == CMD_DEVICE_RESET))
            guest_error("ide: command 0x%02x while a data transfer is in progress; transfer dropped\n",
                        cmd);
        ide_transfer_cancel(d);
    }
    d->intrq = false;
    ide_update_irq(c);
    d->cmd = cmd;
    ata_command(d, cmd);
}

/* ---- registers -------------------------------------------------------------- */

static bool ide_channel_empty(const IdeChannel *c)
{
    return c->dev[0].kind == IDE_DRIVE_NONE && c->dev[1].kind == IDE_DRIVE_NONE;
}

static uint8_t ide_reg_read(IdeChannel *c, unsigned reg)
{
    IdeDevice *d = &c->dev[c->cur];
    bool hob = c->devctl & ATA_CTL_HOB;
    if (ide_channel_empty(c))
        return 0xFF;            /* nothing drives the bus */
    if (d->kind == IDE_DRIVE_NONE)
        return 0;               /* device 0 answers for an absent device 1 with zeroes */
    switch (reg) {
    case 1:
        return d->error;
    case 2:
        return hob ? d->hob_nsector : d->nsector;
    case 3:
        return hob ? d->hob_lbal : d->lbal;
    case 4:
        return hob ? d->hob_lbam : d->lbam;
    case 5:
        return hob ? d->hob_lbah : d->lbah;
    case 6:
        return d->select;
    default:
        d->intrq = false;       /* reading Status acknowledges the interrupt */
        ide_update_irq(c);
        return d->status;
    }
}

static void ide_reg_write(IdeChannel *c, unsigned reg, uint8_t v)
{
    if (c->devctl & ATA_CTL_SRST) {
        guest_error("ide: register write during software reset ignored\n");
        return;
    }
    c->devctl &= (uint8_t)~ATA_CTL_HOB;
    for (int u = 0; u < 2 && reg <= 6; u++) {
        IdeDevice *d = &c->dev[u];
        switch (reg) {
        case 1: d->hob_feature = d->feature; d->feature = v; break;
        case 2: d->hob_nsector = d->nsector; d->nsector = v; break;
        case 3: d->hob_lbal = d->lbal; d->lbal = v; break;
        case 4: d->hob_lbam = d->lbam; d->lbam = v; break;
        case 5: d->hob_lbah = d->lbah; d->lbah = v; break;
        case 6: d->select = v; break;
        }
    }
    if (reg == 6) {
        c->cur = (v & ATA_DEV_DEV) ? 1 : 0;
        ide_update_irq(c);
    } else if (reg == 7) {
        ide_exec_cmd(c, v);
    }
}

static uint64_t ide_cmd_read(void *opaque, uint64_t offset, unsigned size)
{
    IdeChannel *c = opaque;
    if (offset == 0) {
        IdeDevice *d = &c->dev[c->cur];
        if (ide_channel_empty(c))
            return 0xFFFFFFFFu >> (32 - 8 * size);
        if (d->kind == IDE_DRIVE_NONE)
            return 0;
        uint64_t v = ide_data_read16(d);
        if (size == 4)
            v |= (uint64_t)ide_data_read16(d) << 16;
        return size == 1 ? (v & 0xFF) : v;    /* an 8-bit read still moves a word */
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)(offset + i < 8 ? ide_reg_read(c, (unsigned)offset + i) : 0xFF) << (8 * i);
    return v;
}

static void ide_cmd_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    IdeChannel *c = opaque;
    if (offset == 0) {
        IdeDevice *d = &c->dev[c->cur];
        if (d->kind == IDE_DRIVE_NONE)
            return;
        ide_data_write16(d, (uint16_t)value);
        if (size == 4)
            ide_data_write16(d, (uint16_t)(value >> 16));
        return;
    }
    for (unsigned i = 0; i < size && offset + i < 8; i++)
        ide_reg_write(c, (unsigned)offset + i, (uint8_t)(value >> (8 * i)));
}

const MemoryRegionOps ide_cmd_ops = {
    .read = ide_cmd_read, .write = ide_cmd_write, .min_access = 1, .max_access = 4,
};

static uint64_t ide_ctl_read(void *opaque, uint64_t offset, unsigned size)
{
    IdeChannel *c = opaque;
    (void)offset, (void)size;
    if (ide_channel_empty(c))
        return 0xFF;
    const IdeDevice *d = &c->dev[c->cur];
    return d->kind == IDE_DRIVE_NONE ? 0 : d->status;   /* Alternate Status: no acknowledge */
}

/* SRST: asserting it makes both devices busy and drops their commands;
 * releasing it finishes the reset with the signatures in place and device
 * 0 selected, without an interrupt (ATA-6 9.2). */
static void ide_ctl_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    IdeChannel *c = opaque;
    uint8_t old = c->devctl, v = (uint8_t)value;
    (void)offset, (void)size;
    c->devctl = v;
    if ((v & ATA_CTL_SRST) && !(old & ATA_CTL_SRST)) {
        for (int u = 0; u < 2; u++) {
            IdeDevice *d = &c->dev[u];
            if (d->kind == IDE_DRIVE_NONE)
                continue;
            ide_transfer_cancel(d);
            d->intrq = false;
            d->status = ATA_STAT_BSY;
        }
    } else if (!(v & ATA_CTL_SRST) && (old & ATA_CTL_SRST)) {
        for (int u = 0; u < 2; u++) {
            IdeDevice *d = &c->dev[u];
            if (d->kind == IDE_DRIVE_CD)
                atapi_reset(d, false);
            else if (d->kind == IDE_DRIVE_DISK)
                ide_device_post_reset(d);
        }
        c->cur = 0;
    }
    ide_update_irq(c);
}

const MemoryRegionOps ide_ctl_ops = {
    .read = ide_ctl_read, .write = ide_ctl_write, .min_access = 1, .max_access = 1,
};

/* ---- creation and hardware reset -------------------------------------------- */

/* The usual translation: 16 heads, 63 sectors per track, cylinders capped
 * at 16383 (what BIOSes and IDENTIFY word 1 expect); tiny disks shrink it. */
static void ata_default_geometry(IdeDevice *d)
{
    uint64_t n = d->sectors;
    d->spt = n >= 63 ? 63 : (n ? (unsigned)n : 1);
    d->heads = n / d->spt >= 16 ? 16 : (n / d->spt ? (unsigned)(n / d->spt) : 1);
    uint64_t cyls = n / (d->heads * d->spt);
    d->cyls = (unsigned)(cyls > ATA_MAX_CYLS ? ATA_MAX_CYLS : (cyls ? cyls : 1));
}

void ide_channel_reset(IdeChannel *c)
{
    c->devctl = 0;
    c->cur = 0;
    for (int u = 0; u < 2; u++) {
        IdeDevice *d = &c->dev[u];
        if (d->kind == IDE_DRIVE_NONE)
            continue;
        if (d->kind == IDE_DRIVE_CD) {
            atapi_reset(d, true);
        } else {
            d->mult = 0;
            d->write_cache = true;
            d->standby = false;
            d->xfer_mode = 0;
            d->cur_cyls = d->cyls;
            d->cur_heads = d->heads;
            d->cur_spt = d->spt;
            ide_device_post_reset(d);
        }
        d->feature = d->hob_feature = 0;
    }
    ide_update_irq(c);
}

void ide_channel_init(IdeChannel *c, IrqLine *irq, AddressSpace *mem, const IdeDrive drives[2],
                      int first_index)
{
    c->irq = irq;
    c->mem = mem;
    for (int u = 0; u < 2; u++) {
        IdeDevice *d = &c->dev[u];
        d->chan = c;
        d->unit = u;
        d->kind = drives[u].kind;
        d->blk = drives[u].blk;
        if (d->kind == IDE_DRIVE_DISK && !d->blk)
            fatal("internal error: IDE disk %d without an image", first_index + u);
        if (d->kind == IDE_DRIVE_NONE)
            continue;
        d->buf = calloc(1, IDE_BUFFER_SIZE + IDE_BUFFER_SLACK);
        if (!d->buf)
            fatal("out of memory");
        snprintf(d->serial, sizeof(d->serial), "MM%05d", first_index + u);
        if (d->kind == IDE_DRIVE_DISK) {
            d->sectors = blk_size(d->blk) / ATA_SECTOR_SIZE;
            ata_default_geometry(d);
        } else {
            d->cd_sectors = d->blk ? blk_size(d->blk) / CD_SECTOR_SIZE : 0;
        }
    }
    ide_channel_reset(c);
}
