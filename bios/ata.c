/*
 * ATA disks on the two legacy IDE channels (0x1F0/0x3F6, 0x170/0x376) in PIO
 * mode with polling, interrupts masked by nIEN (ATA/ATAPI-6: IDENTIFY
 * DEVICE, READ/WRITE SECTORS (EXT), FLUSH CACHE (EXT); OSDev "ATA PIO Mode").
 * Detection also finds ATAPI devices (signature 14h/EBh) for atapi.c.
 * Left out: DMA, multiple mode, native-mode PCI channels.
 */
#include "bios.h"

#define ATA_DATA 0
#define ATA_ERROR 1
#define ATA_FEATURES 1
#define ATA_COUNT 2
#define ATA_LBA0 3
#define ATA_LBA1 4
#define ATA_LBA2 5
#define ATA_DEVICE 6
#define ATA_STATUS 7
#define ATA_COMMAND 7
#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DF 0x20
#define ST_DRDY 0x40
#define ST_BSY 0x80
#define CTL_NIEN 0x02
#define CMD_READ 0x20
#define CMD_READ_EXT 0x24
#define CMD_WRITE 0x30
#define CMD_WRITE_EXT 0x34
#define CMD_FLUSH 0xE7
#define CMD_FLUSH_EXT 0xEA
#define CMD_IDENTIFY 0xEC
#define CMD_IDENTIFY_PACKET 0xA1
#define ATA_TIMEOUT_MS 5000
#define ATA_CHUNK 128

struct drive drives[MAX_DRIVES];

static const u16 channel_io[2] = { 0x1F0, 0x170 };
static const u16 channel_ctl[2] = { 0x3F6, 0x376 };

static void ata_delay400(const struct drive *d)
{
    for (int i = 0; i < 4; i++)
        inb(d->ctrlbase);
}

/* Wait until BSY clears; returns the status, or -1 on timeout. */
int ata_wait_ready(const struct drive *d, u32 ms);
int ata_wait_ready(const struct drive *d, u32 ms)
{
    u64 end = 0;
    for (u32 spin = 0;; spin++) {
        u8 st = inb(d->iobase + ATA_STATUS);
        if (!(st & ST_BSY))
            return st;
        if (spin == 64)
            end = clock_ticks() + (u64)ms * (PIT_HZ / 1000);
        if (spin > 64 && clock_ticks() > end)
            return -1;
    }
}

static void ata_select(const struct drive *d, u8 bits)
{
    outb(d->iobase + ATA_DEVICE, 0xA0 | bits | (d->slave ? 0x10 : 0));
    ata_delay400(d);
}

static void copy_string(char *dst, const u16 *words, int nwords)
{
    int n = 0;
    for (int i = 0; i < nwords; i++) {
        dst[n++] = words[i] >> 8;
        dst[n++] = words[i] & 0xFF;
    }
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = 0;
}

static int ata_identify(struct drive *d, u16 *id)
{
    ata_select(d, 0);
    u8 st = inb(d->iobase + ATA_STATUS);
    if (st == 0xFF)
        return -1;
    outb(d->iobase + ATA_COUNT, 0);
    outb(d->iobase + ATA_LBA1, 0);
    outb(d->iobase + ATA_LBA2, 0);
    outb(d->iobase + ATA_COMMAND, CMD_IDENTIFY);
    ata_delay400(d);
    if (inb(d->iobase + ATA_STATUS) == 0)
        return -1;                      /* nothing answered the command */
    int s = ata_wait_ready(d, 1000);
    if (s < 0)
        return -1;
    if (s & ST_ERR) {
        u8 m = inb(d->iobase + ATA_LBA1), h = inb(d->iobase + ATA_LBA2);
        if (!(m == 0x14 && h == 0xEB) && !(m == 0x69 && h == 0x96))
            return -1;
        d->type = DRIVE_ATAPI;
        outb(d->iobase + ATA_COMMAND, CMD_IDENTIFY_PACKET);
        ata_delay400(d);
        s = ata_wait_ready(d, 1000);
        if (s < 0 || (s & ST_ERR))
            return -1;
    } else {
        d->type = DRIVE_ATA;
    }
    if (!(s & ST_DRQ))
        return -1;
    insw(d->iobase + ATA_DATA, id, 256);
    return 0;
}

void ata_init(void)
{
    int n = 0;
    for (int ch = 0; ch < 2; ch++) {
        if (inb(channel_io[ch] + ATA_STATUS) == 0xFF)
            continue;                    /* floating bus: no controller */
        outb(channel_ctl[ch], CTL_NIEN);
        for (int sl = 0; sl < 2 && n < MAX_DRIVES; sl++) {
            struct drive *d = &drives[n];
            u16 id[256];
            memset(d, 0, sizeof(*d));
            d->channel = ch;
            d->slave = sl;
            d->iobase = channel_io[ch];
            d->ctrlbase = channel_ctl[ch];
            if (ata_identify(d, id)) {
                d->type = DRIVE_NONE;
                continue;
            }
            copy_string(d->model, id + 27, 20);
            if (d->type == DRIVE_ATA) {
                d->lba48 = !!(id[83] & (1 << 10));
                d->sectors = d->lba48 ? get_le64(id + 100) : get_le32(id + 60);
                if (!d->sectors)
                    d->sectors = get_le32(id + 60);
                d->phys = (struct chs){ id[1], id[3], id[6] };
                if (!d->sectors)
                    d->sectors = (u64)id[1] * id[3] * id[6];
                geometry_translate(d->sectors, d->phys, &d->logical);
            }
            n++;
        }
    }
}

int ata_rw(struct drive *d, u64 lba, u32 count, void *buf, int write)
{
    u8 *p = buf;
    if (lba + count > d->sectors || lba + count < lba)
        return -1;
    while (count) {
        u32 n = count > ATA_CHUNK ? ATA_CHUNK : count;
        int ext = lba + n > 0x0FFFFFFF;
        if (ext && !d->lba48)
            return -1;
        if (ata_wait_ready(d, ATA_TIMEOUT_MS) < 0)
            return -1;
        u16 io = d->iobase;
        if (ext) {
            ata_select(d, 0x40);
            outb(io + ATA_COUNT, n >> 8);
            outb(io + ATA_LBA0, lba >> 24);
            outb(io + ATA_LBA1, lba >> 32);
            outb(io + ATA_LBA2, lba >> 40);
        } else {
            ata_select(d, 0x40 | ((lba >> 24) & 0x0F));
        }
        outb(io + ATA_COUNT, n);
        outb(io + ATA_LBA0, lba);
        outb(io + ATA_LBA1, lba >> 8);
        outb(io + ATA_LBA2, lba >> 16);
        outb(io + ATA_COMMAND, write ? (ext ? CMD_WRITE_EXT : CMD_WRITE) : (ext ? CMD_READ_EXT : CMD_READ));
        ata_delay400(d);
        for (u32 i = 0; i < n; i++, p += 512) {
            int st = ata_wait_ready(d, ATA_TIMEOUT_MS);
            if (st < 0 || (st & (ST_ERR | ST_DF)) || !(st & ST_DRQ))
                return -1;
            if (write)
                outsw(io + ATA_DATA, p, 256);
            else
                insw(io + ATA_DATA, p, 256);
            ata_delay400(d);
        }
        int st = ata_wait_ready(d, ATA_TIMEOUT_MS);
        if (st < 0 || (st & (ST_ERR | ST_DF)))
            return -1;
        lba += n;
        count -= n;
    }
    if (write) {
        outb(d->iobase + ATA_COMMAND, d->lba48 ? CMD_FLUSH_EXT : CMD_FLUSH);
        int st = ata_wait_ready(d, 30000);
        if (st < 0 || (st & ST_ERR))
            return -1;
    }
    return 0;
}
