/*
 * ATAPI CD-ROM: the PACKET command protocol in PIO mode (ATA/ATAPI-6
 * section 9.8; OSDev "ATAPI") and the MMC commands the boot path needs:
 * TEST UNIT READY, REQUEST SENSE, READ CAPACITY, READ(10). A unit attention
 * (new medium) is cleared with REQUEST SENSE and the command retried.
 */
#include "bios.h"

#define ATA_FEATURES 1
#define ATA_COUNT 2
#define ATA_LBA1 4
#define ATA_LBA2 5
#define ATA_DEVICE 6
#define ATA_STATUS 7
#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_BSY 0x80
#define CMD_PACKET 0xA0
#define ATAPI_BYTE_LIMIT 0xF800
#define ATAPI_TIMEOUT_MS 10000
#define ATAPI_RETRIES 4

int ata_wait_ready(const struct drive *d, u32 ms);

int atapi_packet(struct drive *d, const u8 *cdb, void *buf, u32 len)
{
    u16 io = d->iobase;
    u8 *p = buf;
    if (ata_wait_ready(d, ATAPI_TIMEOUT_MS) < 0)
        return -1;
    outb(io + ATA_DEVICE, d->slave ? 0xB0 : 0xA0);
    for (int i = 0; i < 4; i++)
        inb(d->ctrlbase);
    u16 limit = len < ATAPI_BYTE_LIMIT ? (len ? len : 0) : ATAPI_BYTE_LIMIT;
    outb(io + ATA_FEATURES, 0);
    outb(io + ATA_LBA1, limit & 0xFF);
    outb(io + ATA_LBA2, limit >> 8);
    outb(io + ATA_STATUS, CMD_PACKET);
    for (int i = 0; i < 4; i++)
        inb(d->ctrlbase);
    int st = ata_wait_ready(d, ATAPI_TIMEOUT_MS);
    if (st < 0 || (st & ST_ERR) || !(st & ST_DRQ))
        return -1;
    outsw(io, cdb, 6);
    u32 done = 0;
    for (;;) {
        for (int i = 0; i < 4; i++)
            inb(d->ctrlbase);
        st = ata_wait_ready(d, ATAPI_TIMEOUT_MS);
        if (st < 0 || (st & ST_ERR))
            return -1;
        if (!(st & ST_DRQ))
            break;
        u32 n = inb(io + ATA_LBA1) | inb(io + ATA_LBA2) << 8;
        if (n == 0)
            n = 0x10000;
        u32 take = len - done < n ? len - done : n;
        insw(io, p + done, take / 2);
        done += take & ~1u;
        for (u32 extra = take & ~1u; extra < n; extra += 2)
            inw(io);                    /* more than asked for: drop it */
    }
    return done == len ? 0 : -1;
}

static void request_sense(struct drive *d)
{
    u8 cdb[12] = { 0x03, 0, 0, 0, 18, 0 };
    u8 sense[18];
    atapi_packet(d, cdb, sense, sizeof(sense));
}

int atapi_read(struct drive *d, u32 lba, u32 count, void *buf)
{
    while (count) {
        u32 n = count > 16 ? 16 : count;
        u8 cdb[12] = { 0x28, 0, lba >> 24, lba >> 16, lba >> 8, lba, 0, n >> 8, n, 0 };
        int r = -1;
        for (int t = 0; t < ATAPI_RETRIES && r; t++) {
            r = atapi_packet(d, cdb, buf, n * 2048);
            if (r)
                request_sense(d);
        }
        if (r)
            return -1;
        buf = (u8 *)buf + n * 2048;
        lba += n;
        count -= n;
    }
    return 0;
}

int atapi_capacity(struct drive *d)
{
    u8 tur[12] = { 0 };
    for (int t = 0; t < ATAPI_RETRIES; t++) {
        if (!atapi_packet(d, tur, NULL, 0))
            break;
        request_sense(d);
    }
    u8 cdb[12] = { 0x25 };
    u8 cap[8];
    for (int t = 0; t < ATAPI_RETRIES; t++) {
        if (!atapi_packet(d, cdb, cap, sizeof(cap))) {
            d->sectors = (u64)get_be32(cap) + 1;
            return 0;
        }
        request_sense(d);
    }
    d->sectors = 0;
    return -1;
}
