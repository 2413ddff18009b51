/*
 * INT 19h bootstrap and INT 18h "no bootable device": tries the devices in
 * the order QEMU stores in CMOS (0x3D low nibble, 0x3D high nibble, 0x38
 * high nibble; 1 floppy, 2 hard disk, 3 CD-ROM, 4 network), loading an MBR
 * with its 55 AA signature to 0000:7C00, or an El Torito no-emulation image.
 * Floppies, network boot and CD emulation modes are reported and skipped.
 */
#include "bios.h"
#include "eltorito.h"

#define BOOT_ADDR 0x7C00
#define NO_BOOT_RETRY_SECONDS 10
#define CD_BUF 0x7000          /* one 2048-byte sector below the boot sector */
#define MAX_BOOT_DEVICES 3

enum { BOOT_NONE, BOOT_FLOPPY, BOOT_HD, BOOT_CD, BOOT_NET };

static u8 retry_wait;
static u32 retry_until;

static int boot_hd(void)
{
    struct drive *d = disk_lookup(0x80);
    if (!d) {
        printf("Boot failed: no hard disk\n");
        return -1;
    }
    printf("Booting from Hard Disk...\n");
    u8 *mbr = flat(BOOT_ADDR);
    if (ata_rw(d, 0, 1, mbr, 0)) {
        printf("Boot failed: could not read the boot disk\n");
        return -1;
    }
    if (mbr[510] != 0x55 || mbr[511] != 0xAA) {
        printf("Boot failed: not a bootable disk\n");
        return -1;
    }
    boot_cs = 0;
    boot_ip = BOOT_ADDR;
    boot_dl = d->number;
    return 0;
}

static int boot_cd(void)
{
    struct drive *d = disk_lookup(0xE0);
    if (!d) {
        printf("Boot failed: no CD-ROM drive\n");
        return -1;
    }
    printf("Booting from DVD/CD...\n");
    u8 *buf = flat(CD_BUF);
    if (!d->sectors || atapi_read(d, ELTORITO_BRVD_LBA, 1, buf)) {
        printf("Boot failed: could not read from CDROM\n");
        return -1;
    }
    s32 cat = eltorito_catalog_lba(buf);
    struct eltorito_entry e;
    if (cat < 0 || atapi_read(d, cat, 1, buf) || eltorito_parse_catalog(buf, &e)) {
        printf("Boot failed: CD has no El Torito boot record\n");
        return -1;
    }
    if (e.media != ELTORITO_NO_EMULATION) {
        printf("Boot failed: El Torito emulation mode %d is not supported\n", e.media);
        return -1;
    }
    u32 bytes = e.count * 512u, load = (u32)e.load_seg * 16;
    if (!e.count || load < 0x500 || load + bytes > 0x9F000) {
        printf("Boot failed: bad El Torito load segment/size\n");
        return -1;
    }
    /* Whole 2048-byte sectors land in a buffer, then the asked-for bytes. */
    u32 sectors = (bytes + CD_SECTOR - 1) / CD_SECTOR;
    for (u32 i = 0; i < sectors; i++) {
        if (atapi_read(d, e.lba + i, 1, buf)) {
            printf("Boot failed: could not read the CD boot image\n");
            return -1;
        }
        u32 n = bytes - i * CD_SECTOR < CD_SECTOR ? bytes - i * CD_SECTOR : CD_SECTOR;
        memcpy(flat(load + i * CD_SECTOR), buf, n);
    }
    cd_boot = (struct cd_boot){ 1, e.media, d->number, e.lba, e.load_seg, e.count };
    boot_cs = e.load_seg == 0x07C0 ? 0 : e.load_seg;
    boot_ip = e.load_seg == 0x07C0 ? BOOT_ADDR : 0;
    boot_dl = d->number;
    return 0;
}

static void boot_order(u8 order[MAX_BOOT_DEVICES])
{
    u8 a = cmos_read(0x3D), b = cmos_read(0x38);
    order[0] = a & 0x0F;
    order[1] = a >> 4;
    order[2] = b >> 4;
    if (!order[0]) {
        order[0] = BOOT_HD;       /* CMOS not set up: disk, then CD */
        order[1] = BOOT_CD;
    }
}

static u32 try_boot(void)
{
    u8 order[MAX_BOOT_DEVICES];
    boot_order(order);
    for (int i = 0; i < MAX_BOOT_DEVICES; i++) {
        switch (order[i]) {
        case BOOT_HD:
            if (!boot_hd())
                return SVC_RET_BOOT;
            break;
        case BOOT_CD:
            if (!boot_cd())
                return SVC_RET_BOOT;
            break;
        case BOOT_FLOPPY:
            printf("Boot failed: no floppy drive\n");
            break;
        case BOOT_NET:
            printf("Boot failed: network boot is not supported\n");
            break;
        default:
            break;
        }
    }
    return SVC_RET_DONE;
}

u32 boot_int18(struct bregs *r)
{
    (void)r;
    if (!retry_wait) {
        printf("No bootable device. Retrying in %d seconds.\n", NO_BOOT_RETRY_SECONDS);
        retry_wait = 1;
        retry_until = rd32(BDA_TICKS) + NO_BOOT_RETRY_SECONDS * 182 / 10;
        return SVC_RET_WAIT;
    }
    if ((s32)(rd32(BDA_TICKS) - retry_until) < 0 && !rd8(BDA_MIDNIGHT))
        return SVC_RET_WAIT;
    retry_wait = 0;
    u32 ret = try_boot();
    if (ret == SVC_RET_BOOT)
        return ret;
    return boot_int18(r);
}

u32 boot_int19(struct bregs *r)
{
    if (retry_wait)
        return boot_int18(r);     /* woken in the retry wait of a failed boot */
    u32 ret = try_boot();
    if (ret == SVC_RET_BOOT)
        return ret;
    return boot_int18(r);
}
