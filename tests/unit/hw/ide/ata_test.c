/*
 * Proves the PIIX3 IDE function and its ATA disks behave as ATA/ATAPI-6,
 * SFF-8038i and the PIIX3 datasheet say, driven through ports like a guest
 * driver: PCI identity and port decoding, signatures and SRST, IDENTIFY
 * contents, PIO (single, multiple, LBA28/48, CHS), bus-master DMA through PRD
 * tables in RAM with the Interrupt/Active/Error bits, IRQ 14/15 with nIEN,
 * and the error paths (past the end, bad PRDs, commands mid-transfer).
 */
#include <unistd.h>

#include "ide_rig.h"
#include "mimic/le.h"
#include "test.h"

#define MiB (1024ull * 1024)
#define DISK_SIZE (8 * MiB)             /* 16384 sectors: 16 heads, 63 sectors, 16 cylinders */
#define BIG_DISK_SIZE ((1ull << 28) * 512 + 4 * MiB)   /* needs LBA48 (sparse file) */

#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DSC 0x10
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define ER_ABRT 0x04
#define ER_IDNF 0x10

static const RigDriveSpec one_disk[IDE_MAX_DRIVES] = { { IDE_DRIVE_DISK, DISK_SIZE, false } };

static uint8_t status(IdeRig *r, uint16_t base) { return rig_inb(r, base + REG_STATUS); }
static uint8_t altstatus(IdeRig *r, uint16_t base) { return rig_inb(r, CTL(base)); }
static void command(IdeRig *r, uint16_t base, uint8_t cmd) { rig_outb(r, base + REG_COMMAND, cmd); }

static void identify(IdeRig *r, uint16_t base, int unit, uint16_t *w)
{
    rig_select(r, base, unit);
    command(r, base, 0xEC);
    rig_read_words(r, base, w, 256);
}

static int sector_matches(IdeRig *r, int drive, uint64_t lba, const uint16_t *w)
{
    uint8_t want[512];
    rig_image_read(r, drive, lba * 512, want, 512);
    for (int i = 0; i < 256; i++)
        if (w[i] != ld_le16(want + 2 * i))
            return 0;
    return 1;
}

/* ---- PCI function ---------------------------------------------------------- */

TEST_CASE(pci_identity_and_bar4)
{
    IdeRig *r = rig_create(one_disk);
    CHECK_EQ(rig_pci_read(r, 0x00, 4), 0x70108086);
    CHECK_EQ(rig_pci_read(r, 0x08, 4) >> 8, 0x010180);     /* IDE, compatibility, bus master */
    CHECK_EQ(rig_pci_read(r, 0x10, 4), 0);                 /* no native-mode BARs */
    CHECK_EQ(rig_pci_read(r, 0x20, 4), RIG_BMIBA | 1);     /* I/O BAR */
    rig_pci_write(r, 0x20, 4, 0xFFFFFFFF);
    CHECK_EQ(rig_pci_read(r, 0x20, 4) & 0xFFFF, 0xFFF1);   /* 16 bytes of I/O */
    rig_pci_write(r, 0x20, 4, RIG_BMIBA);
    /* IDETIM decode enable (bit 15) for both channels, as firmware leaves it */
    CHECK_EQ(rig_pci_read(r, 0x40, 2) & 0x8000, 0x8000);
    CHECK_EQ(rig_pci_read(r, 0x42, 2) & 0x8000, 0x8000);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2), 0);                  /* BM status idle */
    rig_destroy(r);
}

TEST_CASE(legacy_ports_follow_iose_and_idetim)
{
    IdeRig *r = rig_create(one_disk);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    rig_pci_write(r, 0x04, 2, 0x0004);                     /* I/O decode off */
    CHECK_EQ(status(r, PRI), 0xFF);
    rig_pci_write(r, 0x04, 2, 0x0005);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    rig_pci_write(r, 0x41, 1, 0x00);                       /* primary IDE decode disabled */
    CHECK_EQ(status(r, PRI), 0xFF);
    CHECK_EQ(altstatus(r, PRI), 0xFF);
    rig_pci_write(r, 0x41, 1, 0x80);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    rig_destroy(r);
}

/* ---- presence, signatures, resets ------------------------------------------ */

TEST_CASE(power_on_signature_and_diagnostic_code)
{
    IdeRig *r = rig_create(one_disk);
    CHECK_EQ(rig_inb(r, PRI + REG_NSECT), 1);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAL), 1);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAM), 0);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAH), 0);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), 0x01);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    CHECK_EQ(r->irq_level[0], 0);
    rig_destroy(r);
}

TEST_CASE(absent_slave_reads_zero_and_empty_channel_floats)
{
    IdeRig *r = rig_create(one_disk);
    /* libata's ata_devchk: write 55/AA, read back; device 1 must not echo */
    rig_select(r, PRI, 1);
    rig_outb(r, PRI + REG_NSECT, 0x55);
    rig_outb(r, PRI + REG_LBAL, 0xAA);
    CHECK(rig_inb(r, PRI + REG_NSECT) != 0x55);
    CHECK_EQ(status(r, PRI), 0);
    CHECK_EQ(altstatus(r, PRI), 0);
    command(r, PRI, 0xEC);                                 /* ignored */
    CHECK_EQ(status(r, PRI), 0);
    CHECK_EQ(r->irq_rises[0], 0);
    /* device 0 still echoes and answers */
    rig_select(r, PRI, 0);
    rig_outb(r, PRI + REG_NSECT, 0x55);
    rig_outb(r, PRI + REG_LBAL, 0xAA);
    CHECK_EQ(rig_inb(r, PRI + REG_NSECT), 0x55);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAL), 0xAA);
    /* the secondary channel has no drives: nothing drives the bus */
    CHECK_EQ(status(r, SEC), 0xFF);
    CHECK_EQ(rig_inw(r, SEC + REG_DATA), 0xFFFF);
    rig_destroy(r);
}

TEST_CASE(srst_sets_busy_then_signature_without_interrupt)
{
    IdeRig *r = rig_create(one_disk);
    rig_taskfile28(r, PRI, 0, 0x123456, 9);
    rig_outb(r, CTL(PRI), 0x04);                           /* SRST */
    CHECK_EQ(altstatus(r, PRI) & ST_BSY, ST_BSY);
    rig_outb(r, CTL(PRI), 0x00);
    CHECK_EQ(altstatus(r, PRI), ST_DRDY | ST_DSC);
    CHECK_EQ(rig_inb(r, PRI + REG_NSECT), 1);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAL), 1);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAM), 0);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAH), 0);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), 0x01);
    CHECK_EQ(rig_inb(r, PRI + REG_DEVICE) & 0x10, 0);      /* device 0 selected */
    CHECK_EQ(r->irq_rises[0], 0);
    rig_destroy(r);
}

TEST_CASE(execute_device_diagnostic_interrupts_from_device_0)
{
    IdeRig *r = rig_create(one_disk);
    rig_select(r, PRI, 1);                                 /* EDD runs whatever DEV says */
    command(r, PRI, 0x90);
    CHECK_EQ(r->irq_level[0], 1);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), 0x01);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAL), 1);
    CHECK_EQ(status(r, PRI) & (ST_BSY | ST_ERR), 0);
    CHECK_EQ(r->irq_level[0], 0);
    rig_destroy(r);
}

/* ---- IDENTIFY DEVICE ------------------------------------------------------ */

TEST_CASE(identify_device_contents)
{
    IdeRig *r = rig_create(one_disk);
    uint16_t w[256];
    rig_select(r, PRI, 0);
    command(r, PRI, 0xEC);
    CHECK_EQ(r->irq_level[0], 1);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);
    CHECK_EQ(r->irq_level[0], 0);                          /* status read acknowledges */
    rig_read_words(r, PRI, w, 256);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    CHECK_EQ(w[0] & 0x8000, 0);                            /* ATA device */
    CHECK_EQ(w[1], 16);
    CHECK_EQ(w[3], 16);
    CHECK_EQ(w[6], 63);
    CHECK_EQ(w[54], 16);
    CHECK_EQ(w[55], 16);
    CHECK_EQ(w[56], 63);
    CHECK_EQ(w[57] | (uint32_t)w[58] << 16, 16 * 16 * 63);
    CHECK_EQ(w[60] | (uint32_t)w[61] << 16, DISK_SIZE / 512);
    CHECK_EQ(w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32 | (uint64_t)w[103] << 48,
             DISK_SIZE / 512);
    CHECK(w[49] & 0x0200);                                 /* LBA */
    CHECK(w[49] & 0x0100);                                 /* DMA */
    CHECK_EQ(w[83] & 0xC000, 0x4000);
    CHECK(w[83] & 0x0400);                                 /* 48-bit address feature set */
    CHECK(w[86] & 0x0400);
    CHECK(w[83] & 0x2000);                                 /* FLUSH CACHE EXT */
    CHECK(w[85] & 0x0020);                                 /* write cache enabled */
    CHECK_EQ(w[82] & 0x0001, 0);                           /* no SMART */
    CHECK_EQ(w[47] & 0xFF, 16);
    CHECK_EQ(w[59] & 0x0100, 0);                           /* multiple mode not set */
    CHECK(w[63] & 0x0004);                                 /* MW DMA 2 supported */
    /* model: "MIMIC HARDDISK", first character in the high byte */
    CHECK_EQ(w[27], ('M' << 8) | 'I');
    CHECK_EQ(w[28], ('M' << 8) | 'I');
    CHECK_EQ(w[29], ('C' << 8) | ' ');
    CHECK_EQ(w[46], (' ' << 8) | ' ');
    CHECK_EQ(w[10], ('M' << 8) | 'M');                     /* serial starts "MM" */
    /* integrity word: A5h signature, all 512 bytes sum to zero */
    CHECK_EQ(w[255] & 0xFF, 0xA5);
    uint8_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    CHECK_EQ(sum, 0);
    rig_destroy(r);
}

TEST_CASE(identify_lba48_disk_caps_lba28_words)
{
    RigDriveSpec spec[IDE_MAX_DRIVES] = { { IDE_DRIVE_DISK, BIG_DISK_SIZE, false } };
    IdeRig *r = rig_create(spec);
    uint16_t w[256];
    identify(r, PRI, 0, w);
    CHECK_EQ(w[60] | (uint32_t)w[61] << 16, 0x0FFFFFFF);
    CHECK_EQ(w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32, BIG_DISK_SIZE / 512);
    CHECK_EQ(w[1], 16383);
    CHECK_EQ(w[3], 16);
    CHECK_EQ(w[6], 63);
    rig_destroy(r);
}

/* ---- PIO ------------------------------------------------------------------- */

TEST_CASE(pio_read_sectors_interrupt_per_block)
{
    IdeRig *r = rig_create(one_disk);
    uint16_t w[256];
    rig_taskfile28(r, PRI, 0, 5, 3);
    command(r, PRI, 0x20);
    for (int s = 0; s < 3; s++) {
        CHECK_EQ(r->irq_level[0], 1);
        CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);
        CHECK_EQ(r->irq_level[0], 0);
        rig_read_words(r, PRI, w, 256);
        CHECK(sector_matches(r, 0, 5 + s, w));
    }
    CHECK_EQ(r->irq_level[0], 0);                          /* none after the last block */
    CHECK_EQ(r->irq_rises[0], 3);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    /* the task file points at the last sector transferred */
    CHECK_EQ(rig_inb(r, PRI + REG_LBAL), 7);
    rig_destroy(r);
}

TEST_CASE(pio_read_sector_count_zero_means_256)
{
    IdeRig *r = rig_create(one_disk);
    uint16_t w[256];
    rig_taskfile28(r, PRI, 0, 1000, 0);
    command(r, PRI, 0x21);                                 /* READ SECTORS without retry */
    for (int s = 0; s < 256; s++) {
        CHECK_EQ(status(r, PRI) & ST_DRQ, ST_DRQ);
        rig_read_words(r, PRI, w, 256);
        CHECK(sector_matches(r, 0, 1000 + s, w));
    }
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    rig_destroy(r);
}

TEST_CASE(pio_write_sectors_reach_the_image)
{
    IdeRig *r = rig_create(one_disk);
    uint16_t w[256];
    rig_taskfile28(r, PRI, 0, 100, 2);
    command(r, PRI, 0x30);
    CHECK_EQ(r->irq_level[0], 0);                          /* first block: DRQ, no interrupt */
    CHECK_EQ(altstatus(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 256; i++)
            w[i] = (uint16_t)(0xA000 + s * 256 + i);
        rig_write_words(r, PRI, w, 256);
        CHECK_EQ(r->irq_level[0], 1);
        uint8_t st = status(r, PRI);
        CHECK_EQ(st, s == 0 ? (ST_DRDY | ST_DSC | ST_DRQ) : (ST_DRDY | ST_DSC));
    }
    uint8_t img[1024];
    rig_image_read(r, 0, 100 * 512, img, sizeof(img));
    for (int i = 0; i < 512; i++)
        CHECK_EQ(ld_le16(img + 2 * i), 0xA000 + i);
    rig_image_read(r, 0, 99 * 512, img, 512);              /* neighbours untouched */
    CHECK_EQ(img[0], rig_pattern(99 * 512));
    rig_destroy(r);
}

TEST_CASE(pio_32bit_data_port)
{
    IdeRig *r = rig_create(one_disk);
    uint8_t want[512];
    rig_image_read(r, 0, 42 * 512, want, 512);
    rig_taskfile28(r, PRI, 0, 42, 1);
    command(r, PRI, 0x20);
    for (int i = 0; i < 128; i++)
        CHECK_EQ(rig_inl(r, PRI + REG_DATA), ld_le32(want + 4 * i));
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    rig_destroy(r);
}

TEST_CASE(lba48_pio_read_write_above_2_to_28)
{
    RigDriveSpec spec[IDE_MAX_DRIVES] = { { IDE_DRIVE_DISK, BIG_DISK_SIZE, false } };
    IdeRig *r = rig_create(spec);
    uint64_t lba = (1ull << 28) + 5;
    uint16_t w[256];
    rig_taskfile48(r, PRI, 0, lba, 2);
    command(r, PRI, 0x34);                                 /* WRITE SECTORS EXT */
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 256; i++)
            w[i] = (uint16_t)(0x4800 + s * 256 + i);
        rig_write_words(r, PRI, w, 256);
        status(r, PRI);
    }
    uint8_t img[512];
    rig_image_read(r, 0, (lba + 1) * 512, img, 512);
    CHECK_EQ(ld_le16(img), 0x4900);
    rig_image_read(r, 0, (lba & 0x0FFFFFFF) * 512, img, 512);   /* not aliased into LBA28 */
    CHECK_EQ(img[0], rig_pattern((lba & 0x0FFFFFFF) * 512));
    rig_taskfile48(r, PRI, 0, lba + 1, 1);
    command(r, PRI, 0x24);                                 /* READ SECTORS EXT */
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);
    rig_read_words(r, PRI, w, 256);
    CHECK_EQ(w[0], 0x4900);
    CHECK_EQ(w[255], 0x49FF);
    /* completion leaves the 48-bit address: HOB shows the high bytes */
    rig_outb(r, CTL(PRI), 0x80);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAL), (uint8_t)((lba + 1) >> 24));
    rig_outb(r, CTL(PRI), 0x00);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAL), (uint8_t)(lba + 1));
    rig_destroy(r);
}

TEST_CASE(hob_reads_previous_register_contents)
{
    IdeRig *r = rig_create(one_disk);
    rig_outb(r, PRI + REG_NSECT, 0x12);
    rig_outb(r, PRI + REG_NSECT, 0x34);
    rig_outb(r, PRI + REG_LBAH, 0x56);
    rig_outb(r, PRI + REG_LBAH, 0x78);
    CHECK_EQ(rig_inb(r, PRI + REG_NSECT), 0x34);
    rig_outb(r, CTL(PRI), 0x80);
    CHECK_EQ(rig_inb(r, PRI + REG_NSECT), 0x12);
    CHECK_EQ(rig_inb(r, PRI + REG_LBAH), 0x56);
    rig_outb(r, PRI + REG_LBAM, 0x00);                     /* a write clears HOB */
    CHECK_EQ(rig_inb(r, PRI + REG_NSECT), 0x34);
    rig_destroy(r);
}

TEST_CASE(read_write_multiple)
{
    IdeRig *r = rig_create(one_disk);
    uint16_t w[256];
    rig_taskfile28(r, PRI, 0, 0, 10);
    command(r, PRI, 0xC4);                                 /* multiple mode still off */
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_ERR);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), ER_ABRT);
    rig_outb(r, PRI + REG_NSECT, 3);
    command(r, PRI, 0xC6);                                 /* not a power of two */
    CHECK_EQ(status(r, PRI) & ST_ERR, ST_ERR);
    rig_outb(r, PRI + REG_NSECT, 4);
    command(r, PRI, 0xC6);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    identify(r, PRI, 0, w);
    CHECK_EQ(w[59], 0x0104);

    int rises = r->irq_rises[0];
    rig_taskfile28(r, PRI, 0, 20, 10);
    command(r, PRI, 0xC4);
    for (int blk = 0, s = 0; blk < 3; blk++) {
        CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);
        for (int k = 0; k < (blk < 2 ? 4 : 2); k++, s++) {
            rig_read_words(r, PRI, w, 256);
            CHECK(sector_matches(r, 0, 20 + s, w));
            if (k < (blk < 2 ? 3 : 1))
                CHECK_EQ(altstatus(r, PRI) & ST_DRQ, ST_DRQ);   /* DRQ stays across the block */
        }
    }
    CHECK_EQ(r->irq_rises[0] - rises, 3);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);

    rig_taskfile48(r, PRI, 0, 300, 6);
    command(r, PRI, 0x39);                                 /* WRITE MULTIPLE EXT: 4 + 2 */
    for (int i = 0; i < 4 * 256; i++)
        rig_outw(r, PRI + REG_DATA, 0x7700);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);
    for (int i = 0; i < 2 * 256; i++)
        rig_outw(r, PRI + REG_DATA, 0x7711);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    uint8_t img[512];
    rig_image_read(r, 0, 305 * 512, img, 512);
    CHECK_EQ(ld_le16(img + 510), 0x7711);
    rig_image_read(r, 0, 303 * 512, img, 512);
    CHECK_EQ(ld_le16(img), 0x7700);
    rig_destroy(r);
}

TEST_CASE(chs_addressing_and_initialize_device_parameters)
{
    IdeRig *r = rig_create(one_disk);
    uint16_t w[256];
    /* cylinder 1, head 2, sector 3 with 16 heads x 63 sectors */
    rig_outb(r, PRI + REG_DEVICE, 0xA0 | 2);
    rig_outb(r, PRI + REG_NSECT, 1);
    rig_outb(r, PRI + REG_LBAL, 3);
    rig_outb(r, PRI + REG_LBAM, 1);
    rig_outb(r, PRI + REG_LBAH, 0);
    command(r, PRI, 0x20);
    CHECK_EQ(status(r, PRI) & ST_DRQ, ST_DRQ);
    rig_read_words(r, PRI, w, 256);
    CHECK(sector_matches(r, 0, (1 * 16 + 2) * 63 + 2, w));
    /* sector 0 does not exist */
    rig_outb(r, PRI + REG_LBAL, 0);
    command(r, PRI, 0x20);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_ERR);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), ER_IDNF);
    /* 4 heads x 17 sectors: C/H/S 2/1/5 is LBA (2*4+1)*17+4 */
    rig_outb(r, PRI + REG_DEVICE, 0xA0 | 3);
    rig_outb(r, PRI + REG_NSECT, 17);
    command(r, PRI, 0x91);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    identify(r, PRI, 0, w);
    CHECK_EQ(w[55], 4);
    CHECK_EQ(w[56], 17);
    CHECK_EQ(w[54], 16384 / (4 * 17));
    CHECK_EQ(w[3], 16);                                    /* default geometry unchanged */
    rig_outb(r, PRI + REG_DEVICE, 0xA0 | 1);
    rig_outb(r, PRI + REG_NSECT, 1);
    rig_outb(r, PRI + REG_LBAL, 5);
    rig_outb(r, PRI + REG_LBAM, 2);
    rig_outb(r, PRI + REG_LBAH, 0);
    command(r, PRI, 0x20);
    rig_read_words(r, PRI, w, 256);
    CHECK(sector_matches(r, 0, (2 * 4 + 1) * 17 + 4, w));
    rig_destroy(r);
}

TEST_CASE(read_past_end_reports_idnf)
{
    IdeRig *r = rig_create(one_disk);
    uint32_t last = DISK_SIZE / 512 - 1;
    rig_taskfile28(r, PRI, 0, last, 2);
    command(r, PRI, 0x20);
    CHECK_EQ(r->irq_level[0], 1);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_ERR);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), ER_IDNF);
    CHECK_EQ(rig_inw(r, PRI + REG_DATA), 0xFFFF);          /* no data offered */
    rig_taskfile28(r, PRI, 0, last, 1);                    /* the last sector itself is fine */
    command(r, PRI, 0x40);                                 /* READ VERIFY */
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    rig_taskfile48(r, PRI, 0, 1ull << 40, 1);
    command(r, PRI, 0x25);                                 /* READ DMA EXT far away */
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_ERR);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), ER_IDNF);
    rig_destroy(r);
}

TEST_CASE(command_mid_transfer_drops_the_old_one)
{
    IdeRig *r = rig_create(one_disk);
    uint16_t w[256];
    rig_taskfile28(r, PRI, 0, 7, 4);
    command(r, PRI, 0x20);
    rig_read_words(r, PRI, w, 100);
    command(r, PRI, 0xEC);                                 /* IDENTIFY in the middle */
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_DRQ);
    rig_read_words(r, PRI, w, 256);
    CHECK_EQ(w[1], 16);
    CHECK_EQ(w[255] & 0xFF, 0xA5);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    CHECK_EQ(rig_inw(r, PRI + REG_DATA), 0xFFFF);
    /* a data write with nothing expected is dropped */
    rig_outw(r, PRI + REG_DATA, 0x1234);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    rig_destroy(r);
}

TEST_CASE(set_features_flush_power_and_unsupported)
{
    IdeRig *r = rig_create(one_disk);
    uint16_t w[256];
    rig_select(r, PRI, 0);
    rig_outb(r, PRI + REG_FEATURE, 0x03);
    rig_outb(r, PRI + REG_NSECT, 0x22);                    /* MW DMA 2 */
    command(r, PRI, 0xEF);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    identify(r, PRI, 0, w);
    CHECK_EQ(w[63] & 0x0700, 0x0400);
    rig_outb(r, PRI + REG_FEATURE, 0x03);
    rig_outb(r, PRI + REG_NSECT, 0x50);                    /* no such mode */
    command(r, PRI, 0xEF);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_ERR);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), ER_ABRT);
    rig_outb(r, PRI + REG_FEATURE, 0x82);                  /* write cache off */
    command(r, PRI, 0xEF);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    identify(r, PRI, 0, w);
    CHECK_EQ(w[85] & 0x0020, 0);
    CHECK(w[82] & 0x0020);                                 /* still supported */
    command(r, PRI, 0xE7);                                 /* FLUSH CACHE */
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    command(r, PRI, 0xEA);                                 /* FLUSH CACHE EXT */
    CHECK_EQ(r->irq_level[0], 1);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    command(r, PRI, 0xE0);                                 /* STANDBY IMMEDIATE */
    command(r, PRI, 0xE5);
    CHECK_EQ(rig_inb(r, PRI + REG_NSECT), 0x00);
    command(r, PRI, 0xE1);                                 /* IDLE IMMEDIATE */
    command(r, PRI, 0xE5);
    CHECK_EQ(rig_inb(r, PRI + REG_NSECT), 0xFF);
    rig_outb(r, PRI + REG_FEATURE, 0xD0);
    command(r, PRI, 0xB0);                                 /* SMART READ DATA: absent */
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_ERR);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), ER_ABRT);
    command(r, PRI, 0xA0);                                 /* PACKET on a disk */
    CHECK_EQ(status(r, PRI) & ST_ERR, ST_ERR);
    command(r, PRI, 0x00);                                 /* NOP always aborts */
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), ER_ABRT);
    rig_destroy(r);
}

TEST_CASE(readonly_disk_aborts_writes)
{
    RigDriveSpec spec[IDE_MAX_DRIVES] = { { IDE_DRIVE_DISK, DISK_SIZE, true } };
    IdeRig *r = rig_create(spec);
    rig_taskfile28(r, PRI, 0, 3, 1);
    command(r, PRI, 0x30);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC | ST_ERR);
    CHECK_EQ(rig_inb(r, PRI + REG_ERROR), ER_ABRT);
    rig_destroy(r);
}

/* ---- interrupts ------------------------------------------------------------ */

TEST_CASE(nien_masks_intrq_until_cleared)
{
    IdeRig *r = rig_create(one_disk);
    rig_outb(r, CTL(PRI), 0x02);                           /* nIEN */
    rig_select(r, PRI, 0);
    command(r, PRI, 0xE7);
    CHECK_EQ(r->irq_level[0], 0);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x04, 0);           /* the line never rose */
    CHECK_EQ(altstatus(r, PRI), ST_DRDY | ST_DSC);
    rig_outb(r, CTL(PRI), 0x00);                           /* pending INTRQ now shows */
    CHECK_EQ(r->irq_level[0], 1);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x04, 0x04);
    status(r, PRI);
    CHECK_EQ(r->irq_level[0], 0);
    rig_destroy(r);
}

TEST_CASE(secondary_channel_uses_irq15)
{
    RigDriveSpec spec[IDE_MAX_DRIVES] = { { 0 }, { 0 }, { IDE_DRIVE_DISK, DISK_SIZE, false } };
    IdeRig *r = rig_create(spec);
    uint16_t w[256];
    CHECK_EQ(status(r, PRI), 0xFF);
    rig_taskfile28(r, SEC, 0, 9, 1);
    command(r, SEC, 0x20);
    CHECK_EQ(r->irq_level[1], 1);
    CHECK_EQ(r->irq_level[0], 0);
    CHECK_EQ(rig_inb(r, BM(SEC) + 2) & 0x04, 0x04);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x04, 0);
    status(r, SEC);
    rig_read_words(r, SEC, w, 256);
    CHECK(sector_matches(r, 2, 9, w));
    rig_destroy(r);
}

TEST_CASE(master_and_slave_share_the_channel)
{
    RigDriveSpec spec[IDE_MAX_DRIVES] = { { IDE_DRIVE_DISK, DISK_SIZE, false },
                                          { IDE_DRIVE_DISK, 2 * DISK_SIZE, false } };
    IdeRig *r = rig_create(spec);
    uint16_t w[256];
    identify(r, PRI, 1, w);
    CHECK_EQ(w[60] | (uint32_t)w[61] << 16, 2 * DISK_SIZE / 512);
    CHECK_EQ(w[93] & 0x0100, 0x0100);                      /* device 1 result bits */
    rig_taskfile28(r, PRI, 1, 11, 1);
    command(r, PRI, 0x20);
    status(r, PRI);
    rig_read_words(r, PRI, w, 256);
    CHECK(sector_matches(r, 1, 11, w));
    /* INTRQ of the slave is not seen while the master is selected */
    rig_taskfile28(r, PRI, 1, 11, 1);
    command(r, PRI, 0x40);
    CHECK_EQ(r->irq_level[0], 1);
    rig_select(r, PRI, 0);
    CHECK_EQ(r->irq_level[0], 0);
    rig_select(r, PRI, 1);
    CHECK_EQ(r->irq_level[0], 1);
    rig_destroy(r);
}

/* ---- bus-master DMA --------------------------------------------------------- */

static void bm_setup(IdeRig *r, uint16_t base, uint32_t table, bool to_memory)
{
    rig_outb(r, BM(base), to_memory ? 0x08 : 0x00);
    rig_outb(r, BM(base) + 2, 0x06);                       /* clear Interrupt and Error */
    rig_outl(r, BM(base) + 4, table);
}

TEST_CASE(dma_read_through_prd_table)
{
    IdeRig *r = rig_create(one_disk);
    uint32_t addr[2] = { 0x100000, 0x200000 }, len[2] = { 512, 1024 };
    rig_prd(r, 0x1000, 2, addr, len);
    memset(r->ram + 0x100000, 0, 4096);
    memset(r->ram + 0x200000, 0, 4096);
    bm_setup(r, PRI, 0x1000, true);
    rig_taskfile28(r, PRI, 0, 50, 3);
    command(r, PRI, 0xC8);
    CHECK_EQ(r->irq_level[0], 0);                          /* waits for the bus master */
    rig_outb(r, BM(PRI), 0x09);                            /* start, device to memory */
    CHECK_EQ(r->irq_level[0], 1);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x07, 0x04);        /* Interrupt, not Active: exact fit */
    rig_outb(r, BM(PRI), 0x08);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    uint8_t want[1536];
    rig_image_read(r, 0, 50 * 512, want, sizeof(want));
    CHECK(memcmp(r->ram + 0x100000, want, 512) == 0);
    CHECK(memcmp(r->ram + 0x200000, want + 512, 1024) == 0);
    CHECK_EQ(r->ram[0x200000 + 1024], 0);                  /* nothing beyond the region */
    rig_outb(r, BM(PRI) + 2, 0x04);                        /* write 1 clears */
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x04, 0);
    rig_destroy(r);
}

TEST_CASE(dma_start_before_command_and_larger_prd)
{
    IdeRig *r = rig_create(one_disk);
    uint32_t addr[1] = { 0x300000 }, len[1] = { 0 };       /* 0 = 64 KiB */
    rig_prd(r, 0x2000, 1, addr, len);
    bm_setup(r, PRI, 0x2000, true);
    rig_outb(r, BM(PRI), 0x09);                            /* engine first */
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x01, 0x01);        /* Active as soon as started */
    rig_taskfile48(r, PRI, 0, 64, 4);
    command(r, PRI, 0x25);                                 /* READ DMA EXT */
    CHECK_EQ(r->irq_level[0], 1);
    /* regions larger than the transfer: Interrupt and still Active */
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x07, 0x05);
    uint8_t want[2048];
    rig_image_read(r, 0, 64 * 512, want, sizeof(want));
    CHECK(memcmp(r->ram + 0x300000, want, sizeof(want)) == 0);
    rig_outb(r, BM(PRI), 0x00);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x01, 0);
    rig_destroy(r);
}

TEST_CASE(dma_write_reaches_the_image)
{
    IdeRig *r = rig_create(one_disk);
    uint32_t addr[3] = { 0x400000, 0x400800, 0x500000 }, len[3] = { 256, 768, 1024 };
    rig_prd(r, 0x3000, 3, addr, len);
    for (int i = 0; i < 256; i++)
        r->ram[0x400000 + i] = (uint8_t)i;
    for (int i = 0; i < 768; i++)
        r->ram[0x400800 + i] = (uint8_t)(i ^ 0x55);
    for (int i = 0; i < 1024; i++)
        r->ram[0x500000 + i] = (uint8_t)(i * 3);
    bm_setup(r, PRI, 0x3000, false);
    rig_taskfile28(r, PRI, 0, 200, 4);
    command(r, PRI, 0xCA);
    rig_outb(r, BM(PRI), 0x01);
    CHECK_EQ(r->irq_level[0], 1);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x07, 0x04);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    uint8_t img[2048];
    rig_image_read(r, 0, 200 * 512, img, sizeof(img));
    CHECK(memcmp(img, r->ram + 0x400000, 256) == 0);
    CHECK(memcmp(img + 256, r->ram + 0x400800, 768) == 0);
    CHECK(memcmp(img + 1024, r->ram + 0x500000, 1024) == 0);
    rig_destroy(r);
}

TEST_CASE(dma_short_prd_table_leaves_drive_waiting)
{
    IdeRig *r = rig_create(one_disk);
    uint32_t addr[1] = { 0x100000 }, len[1] = { 512 };
    rig_prd(r, 0x1000, 1, addr, len);
    bm_setup(r, PRI, 0x1000, true);
    rig_taskfile28(r, PRI, 0, 0, 2);
    command(r, PRI, 0xC8);
    rig_outb(r, BM(PRI), 0x09);
    /* Interrupt 0, Active 0, Error 0: the PRDs were smaller than the transfer */
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x07, 0);
    CHECK_EQ(r->irq_level[0], 0);
    CHECK_EQ(altstatus(r, PRI) & ST_DRQ, ST_DRQ);
    /* the driver's way out: stop the engine, reset the channel */
    rig_outb(r, BM(PRI), 0x00);
    rig_outb(r, CTL(PRI), 0x04);
    rig_outb(r, CTL(PRI), 0x00);
    CHECK_EQ(altstatus(r, PRI), ST_DRDY | ST_DSC);
    rig_destroy(r);
}

TEST_CASE(dma_to_unassigned_memory_sets_error)
{
    IdeRig *r = rig_create(one_disk);
    uint32_t addr[1] = { 0xF0000000u }, len[1] = { 512 };
    rig_prd(r, 0x1000, 1, addr, len);
    bm_setup(r, PRI, 0x1000, true);
    rig_taskfile28(r, PRI, 0, 0, 1);
    command(r, PRI, 0xC8);
    rig_outb(r, BM(PRI), 0x09);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x07, 0x02);        /* Error, not Active, no Interrupt */
    CHECK_EQ(rig_pci_read(r, 0x06, 2) & 0x2000, 0x2000);   /* received master abort */
    CHECK_EQ(r->irq_level[0], 0);
    /* a PRD table outside RAM too */
    rig_outb(r, BM(PRI), 0x00);
    bm_setup(r, PRI, 0xFFFFFF00u, true);
    command(r, PRI, 0xC8);
    rig_outb(r, BM(PRI), 0x09);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x02, 0x02);
    rig_destroy(r);
}

TEST_CASE(dma_endless_prd_list_is_bounded)
{
    IdeRig *r = rig_create(one_disk);
    /* 8192 two-byte regions, none with EOT, filling a whole 64 KiB table */
    for (int i = 0; i < 8192; i++) {
        st_le32(r->ram + 0x10000 + 8 * i, 0x200000);
        st_le32(r->ram + 0x10000 + 8 * i + 4, 2);
    }
    bm_setup(r, PRI, 0x10000, true);
    rig_taskfile48(r, PRI, 0, 0, 64);                      /* 32 KiB wanted, 16 KiB offered */
    command(r, PRI, 0x25);
    rig_outb(r, BM(PRI), 0x09);
    CHECK_EQ(rig_inb(r, BM(PRI) + 2) & 0x07, 0);
    CHECK_EQ(r->irq_level[0], 0);
    rig_destroy(r);
}

TEST_CASE(dma_needs_bus_master_enable)
{
    IdeRig *r = rig_create(one_disk);
    uint32_t addr[1] = { 0x100000 }, len[1] = { 512 };
    rig_prd(r, 0x1000, 1, addr, len);
    rig_pci_write(r, 0x04, 2, 0x0001);                     /* BME off */
    bm_setup(r, PRI, 0x1000, true);
    rig_taskfile28(r, PRI, 0, 77, 1);
    command(r, PRI, 0xC8);
    rig_outb(r, BM(PRI), 0x09);
    CHECK_EQ(r->irq_level[0], 0);
    rig_pci_write(r, 0x04, 2, 0x0005);                     /* now the engine may master */
    CHECK_EQ(r->irq_level[0], 1);
    uint8_t want[512];
    rig_image_read(r, 0, 77 * 512, want, 512);
    CHECK(memcmp(r->ram + 0x100000, want, 512) == 0);
    rig_destroy(r);
}

TEST_CASE(machine_reset_restores_power_on_state)
{
    IdeRig *r = rig_create(one_disk);
    rig_outb(r, PRI + REG_NSECT, 4);
    command(r, PRI, 0xC6);
    rig_taskfile28(r, PRI, 0, 1, 2);
    command(r, PRI, 0x20);
    machine_reset_devices(r->m);
    CHECK_EQ(rig_pci_read(r, 0x04, 2) & 0x5, 0);           /* PCICMD back to 0 */
    rig_pci_write(r, 0x20, 4, RIG_BMIBA);
    rig_pci_write(r, 0x04, 2, 0x0005);
    CHECK_EQ(status(r, PRI), ST_DRDY | ST_DSC);
    CHECK_EQ(r->irq_level[0], 0);
    uint16_t w[256];
    identify(r, PRI, 0, w);
    CHECK_EQ(w[59] & 0x0100, 0);                           /* multiple mode off again */
    rig_destroy(r);
}

/* Seeded random port traffic with a disk and a CD: must neither crash nor
 * trip the sanitizers (the libFuzzer target in tests/fuzz goes further). */
TEST_CASE(random_register_traffic_is_survivable)
{
    RigDriveSpec spec[IDE_MAX_DRIVES] = { { IDE_DRIVE_DISK, 1 * MiB, false }, { 0 },
                                          { IDE_DRIVE_CD, 1 * MiB, false } };
    IdeRig *r = rig_create(spec);
    static const uint16_t ports[] = { PRI, PRI + 1, PRI + 2, PRI + 3, PRI + 4, PRI + 5, PRI + 6, PRI + 7,
                                      0x3F6, SEC, SEC + 2, SEC + 4, SEC + 5, SEC + 6, SEC + 7, 0x376,
                                      RIG_BMIBA, RIG_BMIBA + 2, RIG_BMIBA + 4, RIG_BMIBA + 8,
                                      RIG_BMIBA + 10, RIG_BMIBA + 12 };
    static const uint8_t cmds[] = { 0x20, 0x24, 0x25, 0x29, 0x30, 0x35, 0x39, 0x40, 0x90, 0x91,
                                    0xA0, 0xA1, 0xC4, 0xC5, 0xC6, 0xC8, 0xCA, 0xE7, 0xEC, 0xEF, 0x08 };
    uint32_t seed = 12345;
    for (int i = 0; i < 300000; i++) {
        seed = seed * 1103515245 + 12345;
        uint32_t x = seed >> 8;
        uint16_t port = ports[x % (sizeof(ports) / sizeof(ports[0]))];
        unsigned size = 1u << ((x >> 5) % 3);
        uint32_t v = (x >> 7) & 0xFF;
        if ((port & 7) == 7 && port < 0x300 && (x & 1))
            v = cmds[(x >> 9) % sizeof(cmds)];
        if ((x >> 12) & 1)
            as_ld(r->m->io, port, size);
        else
            as_st(r->m->io, port, size, v | (uint32_t)((x >> 15) & 0xFF) << 8);
        if ((i & 1023) == 0)
            memset(r->ram, (int)(x & 0xFF), 0x20000);      /* PRDs of random content */
    }
    CHECK(1);
    rig_destroy(r);
}

int main(void)
{
    RUN(pci_identity_and_bar4);
    RUN(legacy_ports_follow_iose_and_idetim);
    RUN(power_on_signature_and_diagnostic_code);
    RUN(absent_slave_reads_zero_and_empty_channel_floats);
    RUN(srst_sets_busy_then_signature_without_interrupt);
    RUN(execute_device_diagnostic_interrupts_from_device_0);
    RUN(identify_device_contents);
    RUN(identify_lba48_disk_caps_lba28_words);
    RUN(pio_read_sectors_interrupt_per_block);
    RUN(pio_read_sector_count_zero_means_256);
    RUN(pio_write_sectors_reach_the_image);
    RUN(pio_32bit_data_port);
    RUN(lba48_pio_read_write_above_2_to_28);
    RUN(hob_reads_previous_register_contents);
    RUN(read_write_multiple);
    RUN(chs_addressing_and_initialize_device_parameters);
    RUN(read_past_end_reports_idnf);
    RUN(command_mid_transfer_drops_the_old_one);
    RUN(set_features_flush_power_and_unsupported);
    RUN(readonly_disk_aborts_writes);
    RUN(nien_masks_intrq_until_cleared);
    RUN(secondary_channel_uses_irq15);
    RUN(master_and_slave_share_the_channel);
    RUN(dma_read_through_prd_table);
    RUN(dma_start_before_command_and_larger_prd);
    RUN(dma_write_reaches_the_image);
    RUN(dma_short_prd_table_leaves_drive_waiting);
    RUN(dma_to_unassigned_memory_sets_error);
    RUN(dma_endless_prd_list_is_bounded);
    RUN(dma_needs_bus_master_enable);
    RUN(machine_reset_restores_power_on_state);
    RUN(random_register_traffic_is_survivable);
    TEST_EXIT();
}
