/*
 * Proves the ATAPI CD-ROM drive follows ATA/ATAPI-6 (PACKET protocol:
 * command-packet DRQ, byte-count-limited PIO blocks, interrupt reason, DMA
 * data phase) and MMC-3/SPC-3 for the commands Linux's sr uses: signature,
 * IDENTIFY PACKET DEVICE, the power-on unit attention, INQUIRY, READ
 * CAPACITY, READ(10/12), READ TOC formats 0/1/2 in LBA and MSF, MODE SENSE,
 * GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, tray and lock, and the
 * CHECK CONDITION/sense replies for bad requests and a missing disc.
 */
#include "ide_rig.h"
#include "mimic/le.h"
#include "test.h"

#define CD_SECTORS 1000
#define CD_SIZE (CD_SECTORS * 2048ull)
#define DVD_SECTORS (400000ull)

#define ST_DRDY 0x40
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define IR_CD 0x01
#define IR_IO 0x02

#define SENSE_NOT_READY 2
#define SENSE_ILLEGAL_REQUEST 5
#define SENSE_UNIT_ATTENTION 6

#define MAX_BLOCKS 64

/* The CD is the secondary master, where PCs (and -cdrom) put it. */
static const RigDriveSpec with_cd[IDE_MAX_DRIVES] = { { IDE_DRIVE_DISK, 1 << 20, false }, { 0 },
                                                      { IDE_DRIVE_CD, CD_SIZE, false } };

typedef struct Reply {
    uint8_t status, error, ireason;
    uint32_t len;                 /* data bytes received */
    int blocks;
    uint32_t block_len[MAX_BLOCKS];
    int missing_irq;              /* phases that came without INTRQ */
    int bad_ireason;
} Reply;

static uint8_t data[256 * 1024];

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

/* Run one packet command by PIO as libata's ATAPI state machine does. */
static Reply packet(IdeRig *r, const uint8_t *cdb, uint16_t limit)
{
    Reply rep = { 0 };
    rig_select(r, SEC, 0);
    rig_outb(r, SEC + REG_FEATURE, 0);
    rig_outb(r, SEC + REG_LBAM, (uint8_t)limit);
    rig_outb(r, SEC + REG_LBAH, (uint8_t)(limit >> 8));
    rig_outb(r, SEC + REG_COMMAND, 0xA0);
    uint8_t st = rig_inb(r, CTL(SEC));
    if (!(st & ST_DRQ) || rig_inb(r, SEC + REG_NSECT) != IR_CD || r->irq_level[1]) {
        rep.bad_ireason++;
        rep.status = st;
        return rep;
    }
    for (int i = 0; i < 6; i++)
        rig_outw(r, SEC + REG_DATA, (uint16_t)(cdb[2 * i] | cdb[2 * i + 1] << 8));
    for (;;) {
        if (!r->irq_level[1])
            rep.missing_irq++;
        st = rig_inb(r, SEC + REG_STATUS);
        if (!(st & ST_DRQ))
            break;
        if (rig_inb(r, SEC + REG_NSECT) != IR_IO)
            rep.bad_ireason++;
        uint32_t n = rig_inb(r, SEC + REG_LBAM) | (uint32_t)rig_inb(r, SEC + REG_LBAH) << 8;
        if (rep.blocks < MAX_BLOCKS)
            rep.block_len[rep.blocks] = n;
        rep.blocks++;
        if (n == 0 || rep.blocks > 4096)
            break;
        for (uint32_t i = 0; i < n; i += 2) {
            uint16_t w = rig_inw(r, SEC + REG_DATA);
            if (rep.len + i + 1 < sizeof(data)) {
                data[rep.len + i] = (uint8_t)w;
                data[rep.len + i + 1] = (uint8_t)(w >> 8);
            }
        }
        rep.len += n;
    }
    rep.status = st;
    rep.error = rig_inb(r, SEC + REG_ERROR);
    rep.ireason = rig_inb(r, SEC + REG_NSECT);
    return rep;
}

static Reply packet6(IdeRig *r, uint8_t op, uint8_t b1, uint8_t b2, uint8_t b4, uint16_t alloc78)
{
    uint8_t cdb[12] = { op, b1, b2, 0, b4, 0, 0, (uint8_t)(alloc78 >> 8), (uint8_t)alloc78 };
    return packet(r, cdb, 0xFFFE);
}

static void request_sense(IdeRig *r, uint8_t *key, uint8_t *asc, uint8_t *ascq)
{
    uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 };
    Reply rep = packet(r, cdb, 0xFFFE);
    *key = rep.len == 18 ? data[2] & 0x0F : 0xFF;
    *asc = data[12];
    *ascq = data[13];
}

/* Consume the power-on unit attention as libata does after a reset. */
static IdeRig *cd_ready(const RigDriveSpec *spec)
{
    IdeRig *r = rig_create(spec);
    uint8_t tur[12] = { 0 }, k, a, q;
    packet(r, tur, 0);
    request_sense(r, &k, &a, &q);
    return r;
}

static int good(const Reply *rep)
{
    return rep->status == ST_DRDY && rep->ireason == (IR_CD | IR_IO) && !rep->missing_irq &&
           !rep->bad_ireason;
}

/* ---- tests ------------------------------------------------------------------ */

TEST_CASE(signature_and_identify_packet_device)
{
    IdeRig *r = rig_create(with_cd);
    rig_select(r, SEC, 0);
    CHECK_EQ(rig_inb(r, SEC + REG_LBAM), 0x14);
    CHECK_EQ(rig_inb(r, SEC + REG_LBAH), 0xEB);
    CHECK_EQ(rig_inb(r, SEC + REG_NSECT), 1);
    CHECK_EQ(rig_inb(r, SEC + REG_LBAL), 1);
    CHECK_EQ(rig_inb(r, SEC + REG_ERROR), 1);
    /* IDENTIFY DEVICE is aborted, leaving the signature */
    rig_outb(r, SEC + REG_LBAM, 0);
    rig_outb(r, SEC + REG_COMMAND, 0xEC);
    CHECK_EQ(r->irq_level[1], 1);
    CHECK_EQ(rig_inb(r, SEC + REG_STATUS) & (ST_ERR | ST_DRQ), ST_ERR);
    CHECK_EQ(rig_inb(r, SEC + REG_ERROR), 0x04);
    CHECK_EQ(rig_inb(r, SEC + REG_LBAM), 0x14);
    CHECK_EQ(rig_inb(r, SEC + REG_LBAH), 0xEB);
    rig_outb(r, SEC + REG_COMMAND, 0xA1);
    CHECK_EQ(r->irq_level[1], 1);
    CHECK_EQ(rig_inb(r, SEC + REG_STATUS), ST_DRDY | ST_DRQ);
    uint16_t w[256];
    rig_read_words(r, SEC, w, 256);
    CHECK_EQ(rig_inb(r, SEC + REG_STATUS) & ST_DRQ, 0);
    CHECK_EQ(w[0] >> 14, 2);                               /* ATAPI */
    CHECK_EQ((w[0] >> 8) & 0x1F, 5);                       /* CD-ROM device */
    CHECK(w[0] & 0x80);                                    /* removable */
    CHECK_EQ(w[0] & 0x60, 0x40);                           /* DRQ without interrupt */
    CHECK_EQ(w[0] & 0x03, 0);                              /* 12-byte packets */
    CHECK_EQ(w[27], ('M' << 8) | 'I');
    CHECK(w[49] & 0x0100);                                 /* DMA */
    CHECK_EQ(w[255] & 0xFF, 0xA5);
    uint8_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    CHECK_EQ(sum, 0);
    /* ATA media commands are refused */
    rig_outb(r, SEC + REG_COMMAND, 0xC8);
    CHECK_EQ(rig_inb(r, SEC + REG_STATUS) & ST_ERR, ST_ERR);
    rig_destroy(r);
}

TEST_CASE(power_on_unit_attention_then_ready)
{
    IdeRig *r = rig_create(with_cd);
    uint8_t inq[12] = { 0x12, 0, 0, 0, 36 }, tur[12] = { 0 }, k, a, q;
    Reply rep = packet(r, inq, 0xFFFE);                    /* INQUIRY is exempt */
    CHECK(good(&rep));
    rep = packet(r, tur, 0);
    CHECK_EQ(rep.status, ST_DRDY | ST_ERR);
    CHECK_EQ(rep.error >> 4, SENSE_UNIT_ATTENTION);
    CHECK_EQ(rep.ireason, IR_CD | IR_IO);
    CHECK_EQ(rep.missing_irq, 0);
    request_sense(r, &k, &a, &q);
    CHECK_EQ(k, SENSE_UNIT_ATTENTION);
    CHECK_EQ(a, 0x28);
    rep = packet(r, tur, 0);
    CHECK(good(&rep));
    request_sense(r, &k, &a, &q);
    CHECK_EQ(k, 0);
    rig_destroy(r);
}

TEST_CASE(inquiry_and_read_capacity)
{
    IdeRig *r = cd_ready(with_cd);
    Reply rep = packet6(r, 0x12, 0, 0, 36, 0);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 36);
    CHECK_EQ(data[0] & 0x1F, 0x05);                        /* MMC device */
    CHECK_EQ(data[1] & 0x80, 0x80);                        /* removable */
    CHECK_EQ(data[4], 31);
    CHECK(memcmp(data + 8, "MIMIC   ", 8) == 0);
    rep = packet6(r, 0x12, 0, 0, 5, 0);                    /* allocation length cuts */
    CHECK_EQ(rep.len, 5);
    rep = packet6(r, 0x12, 1, 0x80, 0xFF, 0);              /* VPD: not supported */
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    uint8_t cap[12] = { 0x25 };
    rep = packet(r, cap, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 8);
    CHECK_EQ(be32(data), CD_SECTORS - 1);
    CHECK_EQ(be32(data + 4), 2048);
    rig_destroy(r);
}

static int cd_data_matches(IdeRig *r, uint32_t lba, uint32_t bytes)
{
    static uint8_t want[sizeof(data)];
    rig_image_read(r, 2, (uint64_t)lba * 2048, want, bytes);
    return memcmp(data, want, bytes) == 0;
}

TEST_CASE(read10_pio_blocks_follow_byte_count_limit)
{
    IdeRig *r = cd_ready(with_cd);
    uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, 10, 0, 0, 3 };  /* 3 sectors at LBA 10 */
    Reply rep = packet(r, cdb, 0x1000);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 3 * 2048);
    CHECK(rep.blocks >= 2);
    for (int i = 0; i < rep.blocks && i < MAX_BLOCKS; i++)
        CHECK(rep.block_len[i] <= 0x1000);
    CHECK(cd_data_matches(r, 10, 3 * 2048));
    /* an odd limit gives even blocks, all but possibly the last */
    rep = packet(r, cdb, 0x0801);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 3 * 2048);
    CHECK_EQ(rep.block_len[0], 0x800);
    CHECK(cd_data_matches(r, 10, 3 * 2048));
    /* 100 sectors: crosses the drive's internal buffer refills */
    uint8_t big[12] = { 0x28, 0, 0, 0, 1, 0, 0, 0, 100 };
    rep = packet(r, big, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 100 * 2048);
    CHECK(cd_data_matches(r, 256, 100 * 2048));
    rig_destroy(r);
}

TEST_CASE(read12_and_zero_length)
{
    IdeRig *r = cd_ready(with_cd);
    uint8_t cdb[12] = { 0xA8, 0, 0, 0, 0, 0x20, 0, 0, 0, 2 };
    Reply rep = packet(r, cdb, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 2 * 2048);
    CHECK(cd_data_matches(r, 0x20, 2 * 2048));
    uint8_t none[12] = { 0x28, 0, 0, 0, 0, 5 };
    rep = packet(r, none, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 0);
    rig_destroy(r);
}

TEST_CASE(read_past_end_is_illegal_request)
{
    IdeRig *r = cd_ready(with_cd);
    uint8_t cdb[12] = { 0x28, 0, 0, 0, (CD_SECTORS - 1) >> 8, (CD_SECTORS - 1) & 0xFF, 0, 0, 2 };
    uint8_t k, a, q;
    Reply rep = packet(r, cdb, 0xFFFE);
    CHECK_EQ(rep.status, ST_DRDY | ST_ERR);
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    CHECK_EQ(rep.len, 0);
    request_sense(r, &k, &a, &q);
    CHECK_EQ(k, SENSE_ILLEGAL_REQUEST);
    CHECK_EQ(a, 0x21);
    rig_destroy(r);
}

TEST_CASE(read10_by_dma)
{
    IdeRig *r = cd_ready(with_cd);
    uint32_t addr[2] = { 0x100000, 0x180000 }, len[2] = { 4096, 2048 };
    rig_prd(r, 0x1000, 2, addr, len);
    rig_outb(r, BM(SEC), 0x08);
    rig_outb(r, BM(SEC) + 2, 0x06);
    rig_outl(r, BM(SEC) + 4, 0x1000);
    rig_select(r, SEC, 0);
    rig_outb(r, SEC + REG_FEATURE, 0x01);                  /* DMA */
    rig_outb(r, SEC + REG_COMMAND, 0xA0);
    CHECK_EQ(rig_inb(r, CTL(SEC)) & ST_DRQ, ST_DRQ);
    uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, 7, 0, 0, 3 };
    for (int i = 0; i < 6; i++)
        rig_outw(r, SEC + REG_DATA, (uint16_t)(cdb[2 * i] | cdb[2 * i + 1] << 8));
    CHECK_EQ(r->irq_level[1], 0);                          /* waits for the engine */
    rig_outb(r, BM(SEC), 0x09);
    CHECK_EQ(r->irq_level[1], 1);
    CHECK_EQ(rig_inb(r, BM(SEC) + 2) & 0x07, 0x04);
    rig_outb(r, BM(SEC), 0x00);
    CHECK_EQ(rig_inb(r, SEC + REG_STATUS), ST_DRDY);
    CHECK_EQ(rig_inb(r, SEC + REG_NSECT), IR_CD | IR_IO);
    uint8_t want[3 * 2048];
    rig_image_read(r, 2, 7 * 2048, want, sizeof(want));
    CHECK(memcmp(r->ram + 0x100000, want, 4096) == 0);
    CHECK(memcmp(r->ram + 0x180000, want + 4096, 2048) == 0);
    rig_destroy(r);
}

TEST_CASE(read_toc_formats)
{
    IdeRig *r = cd_ready(with_cd);
    uint8_t cdb[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 100 };
    Reply rep = packet(r, cdb, 0xFFFE);                    /* format 0, LBA */
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 20);
    CHECK_EQ(be16(data), 18);
    CHECK_EQ(data[2], 1);
    CHECK_EQ(data[3], 1);
    CHECK_EQ(data[5] & 0x0F, 0x04);                        /* data track */
    CHECK_EQ(data[6], 1);
    CHECK_EQ(be32(data + 8), 0);
    CHECK_EQ(data[14], 0xAA);
    CHECK_EQ(be32(data + 16), CD_SECTORS);
    cdb[1] = 0x02;                                         /* MSF */
    rep = packet(r, cdb, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(data[9], 0);
    CHECK_EQ(data[10], 2);                                 /* track 1 at 00:02:00 */
    CHECK_EQ(data[11], 0);
    uint32_t f = CD_SECTORS + 150;
    CHECK_EQ(data[17], f / 4500);
    CHECK_EQ(data[18], (f / 75) % 60);
    CHECK_EQ(data[19], f % 75);
    cdb[1] = 0;
    cdb[6] = 0xAA;                                         /* from the lead-out only */
    rep = packet(r, cdb, 0xFFFE);
    CHECK_EQ(rep.len, 12);
    CHECK_EQ(data[6], 0xAA);
    cdb[6] = 2;                                            /* no track 2 */
    rep = packet(r, cdb, 0xFFFE);
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    cdb[6] = 0;
    cdb[2] = 1;                                            /* session info */
    rep = packet(r, cdb, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 12);
    CHECK_EQ(be16(data), 10);
    CHECK_EQ(data[6], 1);
    CHECK_EQ(be32(data + 8), 0);
    cdb[2] = 2;                                            /* full TOC */
    rep = packet(r, cdb, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 4 + 4 * 11);
    int seen = 0;
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = data + 4 + 11 * i;
        if (e[3] == 0xA2) {
            CHECK_EQ(e[8], f / 4500);
            CHECK_EQ(e[9], (f / 75) % 60);
            CHECK_EQ(e[10], f % 75);
            seen |= 1;
        }
        if (e[3] == 0xA0) {
            CHECK_EQ(e[8], 1);
            seen |= 2;
        }
        if (e[3] == 0x01) {
            CHECK_EQ(e[9], 2);
            seen |= 4;
        }
    }
    CHECK_EQ(seen, 7);
    cdb[2] = 5;                                            /* CD-TEXT: no */
    rep = packet(r, cdb, 0xFFFE);
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    rig_destroy(r);
}

TEST_CASE(mode_sense_capabilities_page)
{
    IdeRig *r = cd_ready(with_cd);
    uint8_t k, a, q;
    Reply rep = packet6(r, 0x5A, 0, 0x2A, 0, 128);
    CHECK(good(&rep));
    CHECK_EQ(be16(data) + 2u, rep.len);
    CHECK_EQ(be16(data + 6), 0);                           /* no block descriptors */
    const uint8_t *p = data + 8;
    CHECK_EQ(p[0] & 0x3F, 0x2A);
    CHECK(p[1] >= 18);
    CHECK(p[6] & 0x08);                                    /* eject */
    CHECK_EQ(p[6] >> 5, 1);                                /* tray */
    CHECK(be16(p + 8) >= 176);                             /* a speed sr can print */
    rep = packet6(r, 0x5A, 0, 0x3F, 0, 512);               /* all pages */
    CHECK(good(&rep));
    CHECK(rep.len > 8 + 20);
    rep = packet6(r, 0x5A, 0, 0x0D, 0, 512);
    CHECK(good(&rep));
    CHECK_EQ(data[8], 0x0D);
    rep = packet6(r, 0x5A, 0, 0x1C, 0, 512);               /* unsupported page */
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    request_sense(r, &k, &a, &q);
    CHECK_EQ(a, 0x24);
    rep = packet6(r, 0x5A, 0, 0xC0 | 0x2A, 0, 512);        /* saved values */
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    request_sense(r, &k, &a, &q);
    CHECK_EQ(a, 0x39);
    rig_destroy(r);
}

TEST_CASE(get_configuration_profiles)
{
    IdeRig *r = cd_ready(with_cd);
    Reply rep = packet6(r, 0x46, 0, 0, 0, 1024);
    CHECK(good(&rep));
    CHECK_EQ(be32(data) + 4, rep.len);
    CHECK_EQ(be16(data + 6), 0x0008);                      /* current profile: CD-ROM */
    CHECK_EQ(be16(data + 8), 0x0000);                      /* profile list first */
    int cd_current = 0;
    for (unsigned i = 0; i < data[11]; i += 4)
        if (be16(data + 12 + i) == 0x0008)
            cd_current = data[12 + i + 2] & 1;
    CHECK(cd_current);
    uint8_t cdb[12] = { 0x46, 0x02, 0x00, 0x01, 0, 0, 0, 0, 64 };   /* one feature: Core */
    rep = packet(r, cdb, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 8 + 8);
    CHECK_EQ(be16(data + 8), 0x0001);
    CHECK_EQ(be32(data + 12), 2);                          /* ATAPI interface */
    rep = packet6(r, 0x46, 0x03, 0, 0, 64);
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    rig_destroy(r);
}

TEST_CASE(dvd_sized_image_reports_dvd_profile)
{
    RigDriveSpec spec[IDE_MAX_DRIVES] = { { 0 }, { 0 }, { IDE_DRIVE_CD, DVD_SECTORS * 2048, false } };
    IdeRig *r = cd_ready(spec);
    Reply rep = packet6(r, 0x46, 0x01, 0, 0, 1024);        /* current features */
    CHECK(good(&rep));
    CHECK_EQ(be16(data + 6), 0x0010);
    rig_destroy(r);
}

TEST_CASE(event_status_reports_new_media_once)
{
    IdeRig *r = rig_create(with_cd);
    Reply rep = packet6(r, 0x4A, 0x01, 0, 0x10, 8);        /* works despite the unit attention */
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 8);
    CHECK_EQ(data[2] & 0x07, 0x04);                        /* media class */
    CHECK_EQ(data[4] & 0x0F, 2);                           /* NewMedia */
    CHECK_EQ(data[5] & 0x02, 0x02);                        /* media present */
    rep = packet6(r, 0x4A, 0x01, 0, 0x10, 8);
    CHECK_EQ(data[4] & 0x0F, 0);
    rep = packet6(r, 0x4A, 0x00, 0, 0x10, 8);              /* asynchronous: refused */
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    rep = packet6(r, 0x4A, 0x01, 0, 0x02, 8);              /* a class we lack */
    CHECK(good(&rep));
    CHECK_EQ(data[2] & 0x80, 0x80);                        /* NEA */
    rig_destroy(r);
}

TEST_CASE(tray_eject_load_and_lock)
{
    IdeRig *r = cd_ready(with_cd);
    uint8_t tur[12] = { 0 }, k, a, q;
    Reply rep = packet6(r, 0x1E, 0, 0, 1, 0);              /* prevent removal */
    CHECK(good(&rep));
    rep = packet6(r, 0x5A, 0, 0x2A, 0, 128);
    CHECK_EQ(data[8 + 6] & 0x02, 0x02);                    /* lock state */
    rep = packet6(r, 0x1B, 0, 0, 0x02, 0);                 /* eject */
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    request_sense(r, &k, &a, &q);
    CHECK_EQ(a, 0x53);
    CHECK_EQ(q, 0x02);
    rep = packet6(r, 0x1E, 0, 0, 0, 0);                    /* allow */
    rep = packet6(r, 0x1B, 0, 0, 0x02, 0);
    CHECK(good(&rep));
    rep = packet(r, tur, 0);
    CHECK_EQ(rep.error >> 4, SENSE_NOT_READY);
    request_sense(r, &k, &a, &q);
    CHECK_EQ(a, 0x3A);
    CHECK_EQ(q, 0x02);                                     /* tray open */
    uint8_t mech[12] = { 0xBD, 0, 0, 0, 0, 0, 0, 0, 0, 8 };
    rep = packet(r, mech, 0xFFFE);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 8);
    CHECK_EQ(data[1] & 0x10, 0x10);                        /* door open */
    rep = packet6(r, 0x1B, 0, 0, 0x03, 0);                 /* load */
    CHECK(good(&rep));
    rep = packet(r, tur, 0);
    CHECK_EQ(rep.error >> 4, SENSE_UNIT_ATTENTION);
    rep = packet(r, tur, 0);
    CHECK(good(&rep));
    rig_destroy(r);
}

TEST_CASE(empty_drive_is_not_ready)
{
    RigDriveSpec spec[IDE_MAX_DRIVES] = { { 0 }, { 0 }, { IDE_DRIVE_CD, 0, false } };
    IdeRig *r = rig_create(spec);
    uint8_t tur[12] = { 0 }, k, a, q;
    Reply rep = packet(r, tur, 0);                         /* no unit attention without a disc */
    CHECK_EQ(rep.status, ST_DRDY | ST_ERR);
    CHECK_EQ(rep.error >> 4, SENSE_NOT_READY);
    request_sense(r, &k, &a, &q);
    CHECK_EQ(a, 0x3A);
    CHECK_EQ(q, 0x01);
    rep = packet6(r, 0x25, 0, 0, 0, 0);
    CHECK_EQ(rep.error >> 4, SENSE_NOT_READY);
    rep = packet6(r, 0x12, 0, 0, 36, 0);                   /* INQUIRY still works */
    CHECK(good(&rep));
    rep = packet6(r, 0x46, 0, 0, 0, 64);
    CHECK_EQ(be16(data + 6), 0);                           /* no current profile */
    rig_destroy(r);
}

TEST_CASE(disc_information)
{
    IdeRig *r = cd_ready(with_cd);
    Reply rep = packet6(r, 0x51, 0, 0, 0, 34);
    CHECK(good(&rep));
    CHECK_EQ(rep.len, 34);
    CHECK_EQ(be16(data), 32);
    CHECK_EQ(data[2] & 0x03, 0x02);                        /* complete disc */
    CHECK_EQ(data[3], 1);
    rig_destroy(r);
}

TEST_CASE(unknown_command_and_device_reset)
{
    IdeRig *r = cd_ready(with_cd);
    uint8_t k, a, q;
    Reply rep = packet6(r, 0xEE, 0, 0, 0, 0);
    CHECK_EQ(rep.status, ST_DRDY | ST_ERR);
    CHECK_EQ(rep.error >> 4, SENSE_ILLEGAL_REQUEST);
    CHECK_EQ(rep.ireason, IR_CD | IR_IO);
    request_sense(r, &k, &a, &q);
    CHECK_EQ(k, SENSE_ILLEGAL_REQUEST);
    CHECK_EQ(a, 0x20);
    request_sense(r, &k, &a, &q);                          /* sense is consumed */
    CHECK_EQ(k, 0);
    /* a packet command stuck mid-data is recovered by DEVICE RESET */
    uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 4 };
    rig_select(r, SEC, 0);
    rig_outb(r, SEC + REG_FEATURE, 0);
    rig_outb(r, SEC + REG_LBAM, 0x00);
    rig_outb(r, SEC + REG_LBAH, 0x08);
    rig_outb(r, SEC + REG_COMMAND, 0xA0);
    for (int i = 0; i < 6; i++)
        rig_outw(r, SEC + REG_DATA, (uint16_t)(cdb[2 * i] | cdb[2 * i + 1] << 8));
    rig_inw(r, SEC + REG_DATA);
    rig_outb(r, SEC + REG_COMMAND, 0x08);
    CHECK_EQ(rig_inb(r, CTL(SEC)) & (ST_DRQ | 0x80), 0);
    CHECK_EQ(rig_inb(r, SEC + REG_LBAM), 0x14);
    CHECK_EQ(rig_inb(r, SEC + REG_LBAH), 0xEB);
    uint8_t tur[12] = { 0 };
    rep = packet(r, tur, 0);
    CHECK(good(&rep));
    rig_destroy(r);
}

int main(void)
{
    RUN(signature_and_identify_packet_device);
    RUN(power_on_unit_attention_then_ready);
    RUN(inquiry_and_read_capacity);
    RUN(read10_pio_blocks_follow_byte_count_limit);
    RUN(read12_and_zero_length);
    RUN(read_past_end_is_illegal_request);
    RUN(read10_by_dma);
    RUN(read_toc_formats);
    RUN(mode_sense_capabilities_page);
    RUN(get_configuration_profiles);
    RUN(dvd_sized_image_reports_dvd_profile);
    RUN(event_status_reports_new_media_once);
    RUN(tray_eject_load_and_lock);
    RUN(empty_drive_is_not_ready);
    RUN(disc_information);
    RUN(unknown_command_and_device_reset);
    TEST_EXIT();
}
