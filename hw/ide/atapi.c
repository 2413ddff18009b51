/*
 * ATAPI CD/DVD-ROM drive: IDENTIFY PACKET DEVICE, the PACKET command's
 * phases (ATA/ATAPI-6 9.11: command packet, PIO data blocks bounded by the
 * byte count limit, or DMA; interrupt reason in the Sector Count register)
 * and the MMC-3/SPC-3 packet commands Linux's sr, GRUB and BIOSes send. The
 * disc is one data track of 2048-byte sectors (an ISO image); bigger than
 * a CD, it reports the DVD-ROM profile. Left out: audio, READ CD, writing,
 * DVD structures and keys, changers, asynchronous event notification.
 */
#include <string.h>

#include "hw/ide/ide_internal.h"
#include "mimic/log.h"

/* MMC/SPC operation codes */
enum {
    GPCMD_TEST_UNIT_READY = 0x00,
    GPCMD_REQUEST_SENSE = 0x03,
    GPCMD_INQUIRY = 0x12,
    GPCMD_START_STOP_UNIT = 0x1B,
    GPCMD_PREVENT_ALLOW = 0x1E,
    GPCMD_READ_CAPACITY = 0x25,
    GPCMD_READ_10 = 0x28,
    GPCMD_SEEK_10 = 0x2B,
    GPCMD_READ_TOC = 0x43,
    GPCMD_GET_CONFIGURATION = 0x46,
    GPCMD_GET_EVENT_STATUS = 0x4A,
    GPCMD_READ_DISC_INFO = 0x51,
    GPCMD_MODE_SENSE_10 = 0x5A,
    GPCMD_READ_12 = 0xA8,
    GPCMD_SET_SPEED = 0xBB,
    GPCMD_MECHANISM_STATUS = 0xBD,
};

/* Sense keys and additional sense codes (SPC-3 4.5.6, annex D) */
enum {
    SENSE_NONE = 0x0,
    SENSE_NOT_READY = 0x2,
    SENSE_MEDIUM_ERROR = 0x3,
    SENSE_ILLEGAL_REQUEST = 0x5,
    SENSE_UNIT_ATTENTION = 0x6,
};
#define ASC_UNRECOVERED_READ 0x11
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_CHANGED 0x28
#define ASC_SAVING_NOT_SUPPORTED 0x39
#define ASC_NO_MEDIUM 0x3A
#define ASC_REMOVAL_PREVENTED 0x53

/* GET EVENT STATUS NOTIFICATION media event codes (MMC-3 5.6.2.4) */
#define MEDIA_EVENT_NONE 0
#define MEDIA_EVENT_NEW 2
#define MEDIA_EVENT_REMOVED 3

#define MMC_PROFILE_NONE 0x0000
#define MMC_PROFILE_CDROM 0x0008
#define MMC_PROFILE_DVDROM 0x0010
#define CD_MAX_SECTORS (80 * 60 * 75)   /* an 80-minute CD; more is a DVD */
#define CD_LEAD_IN_FRAMES 150           /* LBA 0 is MSF 00:02:00 */
#define CD_READ_SPEED_KBS 706           /* 4x (176.4 kB/s each) */
#define ATAPI_DEFAULT_BYTE_LIMIT 0xFFFE

/* Command table flags */
#define ATAPI_NEEDS_MEDIUM 0x1          /* NOT READY without a disc */
#define ATAPI_IGNORES_UA 0x2            /* runs while a unit attention is pending */

typedef struct AtapiCommand {
    void (*run)(IdeDevice *d);
    unsigned flags;
} AtapiCommand;

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static void st_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void st_be32(uint8_t *p, uint32_t v) { st_be16(p, (uint16_t)(v >> 16)); st_be16(p + 2, (uint16_t)v); }

static bool atapi_has_medium(const IdeDevice *d)
{
    return d->blk && !d->tray_open;
}

static uint16_t atapi_profile(const IdeDevice *d)
{
    if (!atapi_has_medium(d))
        return MMC_PROFILE_NONE;
    return d->cd_sectors > CD_MAX_SECTORS ? MMC_PROFILE_DVDROM : MMC_PROFILE_CDROM;
}

/* ---- phases ------------------------------------------------------------------ */

/* Status phase: C/D and I/O set in the interrupt reason, then INTRQ. */
static void atapi_complete(IdeDevice *d)
{
    d->dma_pending = false;
    d->resp_pos = d->resp_len = 0;
    d->cd_left = 0;
    d->status = ATA_STAT_DRDY;
    d->error = 0;
    d->nsector = ATAPI_IREASON_CD | ATAPI_IREASON_IO;
    ide_raise_irq(d);
}

/* CHECK CONDITION: ERR in Status, the sense key in the Error register's
 * high nibble (ATA-6 8.21.5); REQUEST SENSE returns the rest. */
static void atapi_check(IdeDevice *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    ide_transfer_cancel(d);
    d->sense_key = key;
    d->asc = asc;
    d->ascq = ascq;
    d->status = ATA_STAT_DRDY | ATA_STAT_ERR;
    d->error = (uint8_t)(key << 4);
    d->nsector = ATAPI_IREASON_CD | ATAPI_IREASON_IO;
    ide_raise_irq(d);
}

static void atapi_invalid_field(IdeDevice *d)
{
    atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
}

/* Fetch the next chunk of a READ into the buffer; false after reporting an error. */
static bool atapi_fill(IdeDevice *d)
{
    uint32_t n = d->cd_left < IDE_BUFFER_SIZE / CD_SECTOR_SIZE ? d->cd_left
                                                                : IDE_BUFFER_SIZE / CD_SECTOR_SIZE;
    if (blk_pread(d->blk, d->cd_lba * CD_SECTOR_SIZE, d->buf, (size_t)n * CD_SECTOR_SIZE) < 0) {
        atapi_check(d, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ, 0);
        return false;
    }
    d->resp_pos = 0;
    d->resp_len = n * CD_SECTOR_SIZE;
    d->cd_lba += n;
    d->cd_left -= n;
    return true;
}

/* PIO data-in: each DRQ block holds at most the byte count limit (even,
 * unless it is the last), its size goes to LBA Mid/High, I/O is set in
 * the interrupt reason and INTRQ announces it (ATA-6 9.11.3). */
static void atapi_pio_step(IdeDevice *d)
{
    if (d->resp_pos == d->resp_len) {
        if (!d->cd_left) {
            atapi_complete(d);
            return;
        }
        if (!atapi_fill(d))
            return;
    }
    uint32_t left = d->resp_len - d->resp_pos, limit = d->byte_limit, n = left;
    if (left > limit) {
        n = limit & ~1u;
        if (n == 0)
            n = 2;
    }
    uint32_t pos = d->resp_pos;
    d->resp_pos += n;
    d->lbam = (uint8_t)n;
    d->lbah = (uint8_t)(n >> 8);
    d->nsector = ATAPI_IREASON_IO;
    d->status = ATA_STAT_DRDY;
    ide_transfer_start(d, pos, n, true, atapi_pio_step);
    ide_raise_irq(d);
}

static void atapi_dma_run(IdeDevice *d)
{
    for (;;) {
        if (d->resp_pos == d->resp_len) {
            if (!d->cd_left)
                break;
            if (!atapi_fill(d))
                return;
        }
        BmdmaResult r = bmdma_rw(d->chan, d->buf + d->resp_pos, d->resp_len - d->resp_pos, true);
        if (r != BMDMA_OK) {
            ide_dma_stall(d, r);
            return;
        }
        d->resp_pos = d->resp_len;
    }
    atapi_complete(d);
}

static void atapi_start_data(IdeDevice *d)
{
    if (d->resp_len == 0 && d->cd_left == 0) {
        atapi_complete(d);
        return;
    }
    if (d->packet_dma) {
        d->status = ATA_STAT_DRDY;
        ide_dma_begin(d, true, atapi_dma_run);
        return;
    }
    atapi_pio_step(d);
}

/* Send the response built in buf, cut to the CDB's allocation length. */
static void atapi_send(IdeDevice *d, uint32_t len, uint32_t alloc)
{
    d->resp_pos = 0;
    d->resp_len = len < alloc ? len : alloc;
    d->cd_left = 0;
    atapi_start_data(d);
}

/* ---- commands ---------------------------------------------------------------- */

static void atapi_test_unit_ready(IdeDevice *d)
{
    atapi_complete(d);
}

static void atapi_request_sense(IdeDevice *d)
{
    uint8_t *b = d->buf;
    if (d->sense_key == SENSE_NONE && d->unit_attention) {
        d->unit_attention = false;
        d->sense_key = SENSE_UNIT_ATTENTION;
        d->asc = ASC_MEDIUM_CHANGED;
        d->ascq = 0;
    }
    memset(b, 0, 18);
    b[0] = 0x70;                /* current error, fixed format */
    b[2] = d->sense_key;
    b[7] = 10;                  /* additional sense length */
    b[12] = d->asc;
    b[13] = d->ascq;
    d->sense_key = SENSE_NONE;
    d->asc = d->ascq = 0;
    atapi_send(d, 18, d->cdb[4]);
}

static void atapi_inquiry(IdeDevice *d)
{
    uint8_t *b = d->buf;
    if (d->cdb[1] & 0x01) {     /* no vital product data pages */
        atapi_invalid_field(d);
        return;
    }
    memset(b, 0, 36);
    b[0] = 0x05;                /* CD/DVD device */
    b[1] = 0x80;                /* removable medium */
    b[2] = 0x05;                /* SPC-3 */
    b[3] = 0x02;                /* response data format 2 */
    b[4] = 36 - 5;
    memcpy(b + 8, "MIMIC   ", 8);
    memcpy(b + 16, "DVD-ROM         ", 16);
    memcpy(b + 32, "1.0 ", 4);
    atapi_send(d, 36, be16(d->cdb + 3));
}

static void atapi_read_capacity(IdeDevice *d)
{
    uint64_t last = d->cd_sectors ? d->cd_sectors - 1 : 0;
    st_be32(d->buf, last > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)last);
    st_be32(d->buf + 4, CD_SECTOR_SIZE);
    atapi_send(d, 8, 8);
}

static void atapi_read(IdeDevice *d, uint32_t lba, uint32_t count)
{
    if (lba > d->cd_sectors || count > d->cd_sectors - lba) {
        guest_error("ide: ATAPI read of %u sectors at %u past the disc's end (%llu)\n", count, lba,
                    (unsigned long long)d->cd_sectors);
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    d->cd_lba = lba;
    d->cd_left = count;
    d->resp_pos = d->resp_len = 0;
    atapi_start_data(d);
}

static void atapi_read10(IdeDevice *d)
{
    atapi_read(d, be32(d->cdb + 2), be16(d->cdb + 7));
}

static void atapi_read12(IdeDevice *d)
{
    atapi_read(d, be32(d->cdb + 2), be32(d->cdb + 6));
}

static void atapi_seek(IdeDevice *d)
{
    if (be32(d->cdb + 2) >= d->cd_sectors) {
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    atapi_complete(d);
}

/* An address as READ TOC gives it: LBA, or MSF with the 2-second lead-in. */
static void atapi_put_msf(uint8_t *p, uint64_t lba)
{
    uint64_t f = lba + CD_LEAD_IN_FRAMES, m = f / (75 * 60);
    p[0] = (uint8_t)(m > 0xFF ? 0xFF : m);
    p[1] = (uint8_t)((f / 75) % 60);
    p[2] = (uint8_t)(f % 75);
}

static void atapi_put_address(uint8_t *p, uint64_t lba, bool msf)
{
    if (msf) {
        p[0] = 0;
        atapi_put_msf(p + 1, lba);
    } else {
        st_be32(p, (uint32_t)lba);
    }
}

static void atapi_read_toc(IdeDevice *d)
{
    const uint8_t *cdb = d->cdb;
    uint8_t *b = d->buf;
    bool msf = cdb[1] & 0x02;
    unsigned format = cdb[2] & 0x0F, track = cdb[6];
    uint32_t len = 4;
    if (format == 0 && (cdb[9] >> 6))
        format = cdb[9] >> 6;   /* SFF-8020i put the format in the control byte */
    memset(b, 0, 64);
    switch (format) {
    case 0:                     /* TOC: track 1, then the lead-out */
        if (track > 1 && track != 0xAA) {
            atapi_invalid_field(d);
            return;
        }
        if (track <= 1) {
            b[len + 1] = 0x14;  /* ADR 1, data track */
            b[len + 2] = 1;
            atapi_put_address(b + len + 4, 0, msf);
            len += 8;
        }
        b[len + 1] = 0x14;
        b[len + 2] = 0xAA;
        atapi_put_address(b + len + 4, d->cd_sectors, msf);
        len += 8;
        b[2] = 1;
        b[3] = 1;
        break;
    case 1:                     /* session information: one complete session */
        b[2] = 1;
        b[3] = 1;
        b[5] = 0x14;
        b[6] = 1;
        atapi_put_address(b + 8, 0, msf);
        len = 12;
        break;
    case 2: {                   /* full TOC: points A0, A1, A2 and track 1, always MSF */
        static const uint8_t points[4] = { 0xA0, 0xA1, 0xA2, 0x01 };
        b[2] = 1;
        b[3] = 1;
        for (int i = 0; i < 4; i++, len += 11) {
            uint8_t *e = b + len;
            e[0] = 1;           /* session */
            e[1] = 0x14;
            e[3] = points[i];
            if (points[i] == 0xA0 || points[i] == 0xA1)
                e[8] = 1;       /* first/last track 1; disc type 00h (CD-ROM) */
            else
                atapi_put_msf(e + 8, points[i] == 0xA2 ? d->cd_sectors : 0);
        }
        break;
    }
    default:
        atapi_invalid_field(d);
        return;
    }
    st_be16(b, (uint16_t)(len - 2));
    atapi_send(d, len, be16(cdb + 7));
}

/* Mode pages (MMC-3 6.3); `changeable` asks which fields may be set: none. */
static uint32_t atapi_mode_page(IdeDevice *d, uint8_t *p, unsigned page, bool changeable)
{
    uint32_t len;
    switch (page) {
    case 0x01:                  /* read/write error recovery */
        len = 12;
        memset(p, 0, len);
        if (!changeable)
            p[3] = 5;           /* read retry count */
        break;
    case 0x0D:                  /* CD device parameters */
        len = 8;
        memset(p, 0, len);
        if (!changeable) {
            st_be16(p + 4, 60); /* seconds per minute */
            st_be16(p + 6, 75); /* frames per second */
        }
        break;
    case 0x2A:                  /* capabilities and mechanical status */
        len = 20;
        memset(p, 0, len);
        if (!changeable) {
            p[2] = 0x0B;        /* reads CD-R, CD-RW, DVD-ROM */
            p[4] = 0x70;        /* mode 2 form 1 and 2, multi-session */
            p[6] = (uint8_t)(0x29 | (d->locked ? 0x02 : 0));   /* tray, eject, lock (+ locked) */
            st_be16(p + 8, CD_READ_SPEED_KBS);
            st_be16(p + 10, 256);   /* volume levels */
            st_be16(p + 12, 512);   /* buffer size, KiB */
            st_be16(p + 14, CD_READ_SPEED_KBS);
        }
        break;
    default:
        return 0;
    }
    p[0] = (uint8_t)page;
    p[1] = (uint8_t)(len - 2);
    return len;
}

static void atapi_mode_sense10(IdeDevice *d)
{
    unsigned control = d->cdb[2] >> 6, page = d->cdb[2] & 0x3F;
    uint8_t *b = d->buf;
    uint32_t len = 8;
    if (control == 3) {
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
        return;
    }
    memset(b, 0, 8);
    if (page == 0x3F) {
        static const uint8_t all[3] = { 0x01, 0x0D, 0x2A };
        for (int i = 0; i < 3; i++)
            len += atapi_mode_page(d, b + len, all[i], control == 1);
    } else {
        uint32_t n = atapi_mode_page(d, b + len, page, control == 1);
        if (!n) {
            atapi_invalid_field(d);
            return;
        }
        len += n;
    }
    st_be16(b, (uint16_t)(len - 2));
    atapi_send(d, len, be16(d->cdb + 7));
}

/* GET CONFIGURATION (MMC-3 5.5): profile list, core, morphing, removable
 * medium, random readable, CD read, DVD read, power management. */
static uint32_t atapi_feature(IdeDevice *d, uint8_t *p, uint16_t code, bool *current)
{
    uint16_t profile = atapi_profile(d);
    uint32_t extra;
    bool cur = true, persistent = true;
    uint8_t version = 0;
    memset(p, 0, 16);
    switch (code) {
    case 0x0000:
        st_be16(p + 4, MMC_PROFILE_DVDROM);
        p[6] = profile == MMC_PROFILE_DVDROM;
        st_be16(p + 8, MMC_PROFILE_CDROM);
        p[10] = profile == MMC_PROFILE_CDROM;
        extra = 8;
        break;
    case 0x0001:
        st_be32(p + 4, 2);      /* physical interface: ATAPI */
        extra = 4;
        break;
    case 0x0002:
        version = 1;            /* events by polling only */
        extra = 4;
        break;
    case 0x0003:
        p[4] = 0x29;            /* tray, eject, lock */
        extra = 4;
        break;
    case 0x0010:
        st_be32(p + 4, CD_SECTOR_SIZE);
        st_be16(p + 8, profile == MMC_PROFILE_DVDROM ? 16 : 1);
        cur = profile != MMC_PROFILE_NONE;
        persistent = false;
        extra = 8;
        break;
    case 0x001E:
        cur = profile == MMC_PROFILE_CDROM;
        persistent = false;
        extra = 4;
        break;
    case 0x001F:
        cur = profile == MMC_PROFILE_DVDROM;
        persistent = false;
        extra = 0;
        break;
    case 0x0100:
        extra = 0;
        break;
    default:
        return 0;
    }
    st_be16(p, code);
    p[2] = (uint8_t)(version << 2 | (persistent ? 0x02 : 0) | (cur ? 0x01 : 0));
    p[3] = (uint8_t)extra;
    *current = cur;
    return 4 + extra;
}

static void atapi_get_configuration(IdeDevice *d)
{
    static const uint16_t features[] = { 0x0000, 0x0001, 0x0002, 0x0003, 0x0010, 0x001E, 0x001F, 0x0100 };
    unsigned rt = d->cdb[1] & 0x03;
    uint16_t start = be16(d->cdb + 2);
    uint8_t *b = d->buf;
    uint32_t len = 8;
    if (rt == 3) {
        atapi_invalid_field(d);
        return;
    }
    memset(b, 0, 8);
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        bool current = false;
        if (features[i] < start || (rt == 2 && features[i] != start))
            continue;
        uint32_t n = atapi_feature(d, b + len, features[i], &current);
        if (rt == 1 && !current)
            continue;
        len += n;
    }
    st_be32(b, len - 4);
    st_be16(b + 6, atapi_profile(d));
    atapi_send(d, len, be16(d->cdb + 7));
}

/* GET EVENT STATUS NOTIFICATION, polled, media class only (MMC-3 5.6). */
static void atapi_get_event_status(IdeDevice *d)
{
    uint8_t *b = d->buf;
    uint32_t len;
    if (!(d->cdb[1] & 0x01)) {
        atapi_invalid_field(d);     /* asynchronous notification not supported */
        return;
    }
    memset(b, 0, 8);
    b[3] = 0x10;                    /* supported classes: media */
    if (d->cdb[4] & 0x10) {
        st_be16(b, 6);
        b[2] = 0x04;                /* media class */
        b[4] = d->media_event;
        b[5] = (uint8_t)((atapi_has_medium(d) ? 0x02 : 0) | (d->tray_open ? 0x01 : 0));
        d->media_event = MEDIA_EVENT_NONE;
        len = 8;
    } else {
        st_be16(b, 2);
        b[2] = 0x80;                /* no event available for the requested classes */
        len = 4;
    }
    atapi_send(d, len, be16(d->cdb + 7));
}

static void atapi_start_stop(IdeDevice *d)
{
    uint8_t b4 = d->cdb[4];
    bool load_eject = b4 & 0x02, start = b4 & 0x01;
    if ((b4 & 0xF0) || !load_eject) {   /* power conditions, spin up/down: nothing to do */
        atapi_complete(d);
        return;
    }
    if (!start) {
        if (d->locked) {
            atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
            return;
        }
        if (!d->tray_open && d->blk)
            d->media_event = MEDIA_EVENT_REMOVED;
        d->tray_open = true;
    } else if (d->tray_open) {
        /* Closing the tray brings the same disc back, as a new medium. */
        d->tray_open = false;
        if (d->blk) {
            d->unit_attention = true;
            d->media_event = MEDIA_EVENT_NEW;
        }
    }
    atapi_complete(d);
}

static void atapi_prevent_allow(IdeDevice *d)
{
    d->locked = d->cdb[4] & 0x01;
    atapi_complete(d);
}

static void atapi_read_disc_info(IdeDevice *d)
{
    uint8_t *b = d->buf;
    if (d->cdb[1] & 0x07) {
        atapi_invalid_field(d);
        return;
    }
    memset(b, 0, 34);
    st_be16(b, 32);
    b[2] = 0x0E;                /* last session complete, disc complete */
    b[3] = 1;                   /* first track */
    b[4] = 1;                   /* sessions */
    b[5] = 1;                   /* first track of the last session */
    b[6] = 1;                   /* last track of the last session */
    memset(b + 16, 0xFF, 8);    /* no lead-in/lead-out to write: complete disc */
    atapi_send(d, 34, be16(d->cdb + 7));
}

static void atapi_mechanism_status(IdeDevice *d)
{
    uint8_t *b = d->buf;
    memset(b, 0, 8);
    b[1] = d->tray_open ? 0x10 : 0;
    atapi_send(d, 8, be16(d->cdb + 8));
}

static void atapi_set_speed(IdeDevice *d)
{
    atapi_complete(d);          /* any speed: reads take no time here */
}

static const AtapiCommand atapi_commands[256] = {
    [GPCMD_TEST_UNIT_READY] = { atapi_test_unit_ready, ATAPI_NEEDS_MEDIUM },
    [GPCMD_REQUEST_SENSE] = { atapi_request_sense, ATAPI_IGNORES_UA },
    [GPCMD_INQUIRY] = { atapi_inquiry, ATAPI_IGNORES_UA },
    [GPCMD_START_STOP_UNIT] = { atapi_start_stop, 0 },
    [GPCMD_PREVENT_ALLOW] = { atapi_prevent_allow, 0 },
    [GPCMD_READ_CAPACITY] = { atapi_read_capacity, ATAPI_NEEDS_MEDIUM },
    [GPCMD_READ_10] = { atapi_read10, ATAPI_NEEDS_MEDIUM },
    [GPCMD_SEEK_10] = { atapi_seek, ATAPI_NEEDS_MEDIUM },
    [GPCMD_READ_TOC] = { atapi_read_toc, ATAPI_NEEDS_MEDIUM },
    [GPCMD_GET_CONFIGURATION] = { atapi_get_configuration, ATAPI_IGNORES_UA },
    [GPCMD_GET_EVENT_STATUS] = { atapi_get_event_status, ATAPI_IGNORES_UA },
    [GPCMD_READ_DISC_INFO] = { atapi_read_disc_info, ATAPI_NEEDS_MEDIUM },
    [GPCMD_MODE_SENSE_10] = { atapi_mode_sense10, 0 },
    [GPCMD_READ_12] = { atapi_read12, ATAPI_NEEDS_MEDIUM },
    [GPCMD_SET_SPEED] = { atapi_set_speed, 0 },
    [GPCMD_MECHANISM_STATUS] = { atapi_mechanism_status, 0 },
};

static void atapi_packet_received(IdeDevice *d)
{
    memcpy(d->cdb, d->buf, ATAPI_PACKET_SIZE);
    uint8_t op = d->cdb[0];
    const AtapiCommand *cmd = &atapi_commands[op];
    d->status = ATA_STAT_DRDY;
    if (!cmd->run) {
        log_unimp("ide: ATAPI command 0x%02x not supported\n", op);
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
        return;
    }
    /* Sense data lives until the next command other than REQUEST SENSE. */
    if (op != GPCMD_REQUEST_SENSE)
        d->sense_key = d->asc = d->ascq = 0;
    if (d->unit_attention && !(cmd->flags & ATAPI_IGNORES_UA)) {
        d->unit_attention = false;
        atapi_check(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
        return;
    }
    if ((cmd->flags & ATAPI_NEEDS_MEDIUM) && !atapi_has_medium(d)) {
        atapi_check(d, SENSE_NOT_READY, ASC_NO_MEDIUM, d->tray_open ? 0x02 : 0x01);
        return;
    }
    cmd->run(d);
}

/* PACKET: DRQ for the 12-byte command packet with C/D set; no interrupt
 * first, as IDENTIFY PACKET DEVICE word 0 bits 6:5 = 10b promise. */
void atapi_packet(IdeDevice *d)
{
    if (d->feature & 0x02) {
        guest_error("ide: PACKET with OVL set: overlapped commands not supported\n");
        ide_abort(d);
        return;
    }
    d->packet_dma = d->feature & 0x01;
    d->byte_limit = d->lbam | (uint32_t)d->lbah << 8;
    if (d->byte_limit == 0 && !d->packet_dma) {
        guest_error("ide: PACKET with a byte count limit of 0; using 0x%x\n", ATAPI_DEFAULT_BYTE_LIMIT);
        d->byte_limit = ATAPI_DEFAULT_BYTE_LIMIT;
    }
    d->nsector = ATAPI_IREASON_CD;
    d->status = ATA_STAT_DRDY;
    ide_transfer_start(d, 0, ATAPI_PACKET_SIZE, false, atapi_packet_received);
}

void atapi_identify(IdeDevice *d)
{
    uint16_t w[256];
    memset(w, 0, sizeof(w));
    w[0] = 0x85C0;              /* ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets */
    ide_put_string(w, 10, 10, d->serial);
    ide_put_string(w, 23, 4, "1.0");
    ide_put_string(w, 27, 20, "MIMIC DVD-ROM");
    w[49] = 0x0F00;             /* IORDY, LBA, DMA */
    w[50] = 0x4000;
    w[53] = 0x0006;             /* words 64-70 and 88 valid */
    w[63] = 0x0007;
    w[64] = 0x0003;
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x0070;             /* ATA/ATAPI-4 to -6 */
    w[82] = 0x4210;             /* NOP, DEVICE RESET, PACKET */
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = 0x4210;
    w[87] = 0x4000;
    w[88] = 0x003F;
    if ((d->xfer_mode & 0xF8) == 0x20)
        w[63] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    if ((d->xfer_mode & 0xF8) == 0x40)
        w[88] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    w[93] = (uint16_t)(0x6000 | (d->unit ? 0x0300 : 0x000B));
    ide_identify_finish(w);
    for (int i = 0; i < 256; i++) {
        d->buf[2 * i] = (uint8_t)w[i];
        d->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    d->status = ATA_STAT_DRDY;
    ide_transfer_start(d, 0, 512, true, NULL);
    ide_raise_irq(d);
}

/* Power-on also forgets the lock and reports the disc as newly inserted:
 * a UNIT ATTENTION for the first command and a NewMedia event, which is
 * how Linux's sr notices it. SRST and DEVICE RESET keep the drive's state. */
void atapi_reset(IdeDevice *d, bool power_on)
{
    ide_device_post_reset(d);
    if (power_on) {
        d->sense_key = d->asc = d->ascq = 0;
        d->locked = false;
        d->tray_open = false;
        d->xfer_mode = 0;
        d->unit_attention = d->blk != NULL;
        d->media_event = d->blk ? MEDIA_EVENT_NEW : MEDIA_EVENT_NONE;
    }
}
