/*
 * INT 13h disk services for ATA disks (0x80+) and ATAPI CD-ROMs (0xE0+):
 * IBM AT functions 00-04, 08, 0C-11, 14, 15, the Phoenix EDD 3.0 extensions
 * 41-44, 47-49 with the 48h parameter table, and El Torito 4B00/4B01
 * (specification packet) for no-emulation CD boot. Floppy drives, CD
 * floppy/hard-disk emulation and the EDD DPTE are left out (DPTE pointer
 * FFFF:FFFF means "not provided" in EDD 3.0).
 */
#include "bios.h"

#define DISK_ERR_BAD_COMMAND 0x01
#define DISK_ERR_WRITE_PROTECT 0x03
#define DISK_ERR_NOT_FOUND 0x04
#define DISK_ERR_CONTROLLER 0x20
#define DISK_ERR_TIMEOUT 0x80
#define FIRST_HD 0x80
#define FIRST_CD 0xE0

struct cd_boot cd_boot;

void disk_init(void)
{
    ata_init();
    u8 nhd = 0, ncd = 0;
    for (int i = 0; i < MAX_DRIVES; i++) {
        struct drive *d = &drives[i];
        if (d->type == DRIVE_ATA)
            d->number = FIRST_HD + nhd++;
        else if (d->type == DRIVE_ATAPI)
            d->number = FIRST_CD + ncd++;
    }
    wr8(BDA_NUM_HD, nhd);
}

struct drive *disk_lookup(u8 number)
{
    for (int i = 0; i < MAX_DRIVES; i++) {
        struct drive *d = &drives[i];
        if (d->type != DRIVE_NONE && d->number == number) {
            if (d->type == DRIVE_ATAPI && !d->sectors)
                atapi_capacity(d);
            return d;
        }
    }
    return NULL;
}

static void disk_done(struct bregs *r, struct drive *d, u8 status)
{
    if (d->type == DRIVE_ATA)
        wr8(BDA_DISK_STATUS, status);
    r->ah = status;
    if (status)
        set_cf(r);
    else
        clear_cf(r);
}

/* Read or write count blocks (512 or 2048 bytes) at a flat address. */
static int disk_io(struct drive *d, u64 lba, u32 count, u32 addr, int write)
{
    int a20 = 1;
    if (addr >= 0x100000) {
        a20 = inb(0x92) & 2;
        system_a20(1);
    }
    int r;
    if (d->type == DRIVE_ATAPI)
        r = write ? -1 : (lba + count > d->sectors ? -1 : atapi_read(d, (u32)lba, count, flat(addr)));
    else
        r = ata_rw(d, lba, count, flat(addr), write);
    if (!a20)
        system_a20(0);
    return r;
}

static void chs_rw(struct bregs *r, struct drive *d, int op)
{
    u32 count = r->al;
    u32 cyl = r->ch | (u32)(r->cl & 0xC0) << 2, sector = r->cl & 0x3F, head = r->dh, lba;
    if (d->type != DRIVE_ATA) {
        disk_done(r, d, DISK_ERR_BAD_COMMAND);
        return;
    }
    if (count == 0 || count > 128 || geometry_chs_to_lba(&d->logical, cyl, head, sector, &lba)) {
        r->al = 0;
        disk_done(r, d, DISK_ERR_NOT_FOUND);
        return;
    }
    if (op != 0x04 && disk_io(d, lba, count, (u32)r->es * 16 + r->bx, op == 0x03)) {
        r->al = 0;
        disk_done(r, d, DISK_ERR_CONTROLLER);
        return;
    }
    disk_done(r, d, 0);
}

static void ext_rw(struct bregs *r, struct drive *d, int op)
{
    u8 *dap = far_ptr(r->ds, r->si);
    if (dap[0] < 0x10) {
        disk_done(r, d, DISK_ERR_BAD_COMMAND);
        return;
    }
    u32 count = get_le16(dap + 2);
    u16 off = get_le16(dap + 4), seg = get_le16(dap + 6);
    u64 lba = get_le64(dap + 8);
    u32 addr = (u32)seg * 16 + off;
    if (off == 0xFFFF && seg == 0xFFFF && dap[0] >= 0x18) {
        u64 a = get_le64(dap + 16);
        if (a >> 32) {
            put_le16(dap + 2, 0);
            disk_done(r, d, DISK_ERR_BAD_COMMAND);
            return;
        }
        addr = (u32)a;
    }
    if (op == 0x43 && d->type == DRIVE_ATAPI) {
        put_le16(dap + 2, 0);
        disk_done(r, d, DISK_ERR_WRITE_PROTECT);
        return;
    }
    if (lba + count > d->sectors || lba + count < lba) {
        put_le16(dap + 2, 0);
        disk_done(r, d, DISK_ERR_NOT_FOUND);
        return;
    }
    if (op != 0x44 && count && disk_io(d, lba, count, addr, op == 0x43)) {
        put_le16(dap + 2, 0);
        disk_done(r, d, DISK_ERR_CONTROLLER);
        return;
    }
    disk_done(r, d, 0);
}

static void edd_params(struct bregs *r, struct drive *d)
{
    u8 *p = far_ptr(r->ds, r->si);
    u16 size = get_le16(p);
    if (size < 0x1A) {
        disk_done(r, d, DISK_ERR_BAD_COMMAND);
        return;
    }
    int cd = d->type == DRIVE_ATAPI;
    u16 out = size >= 0x42 ? 0x42 : size >= 0x1E ? 0x1E : 0x1A;
    memset(p, 0, out);
    put_le16(p, out);
    if (cd) {
        put_le16(p + 2, 0x74);                     /* removable, change line, lockable */
        put_le32(p + 4, 0xFFFFFFFF);
        put_le32(p + 8, 0xFFFFFFFF);
        put_le32(p + 12, 0xFFFFFFFF);
        put_le16(p + 24, 2048);
    } else {
        put_le16(p + 2, 0x02);                     /* CHS information valid */
        put_le32(p + 4, d->phys.cyls);
        put_le32(p + 8, d->phys.heads);
        put_le32(p + 12, d->phys.spt);
        put_le16(p + 24, 512);
    }
    put_le64(p + 16, d->sectors);
    if (out >= 0x1E)
        put_le32(p + 26, 0xFFFFFFFF);
    if (out >= 0x42) {
        u16 bdf = 0;
        int pci = !pci_find_class(0x0101, &bdf);
        put_le16(p + 30, 0xBEDD);
        p[32] = 0x24;
        memcpy(p + 36, pci ? "PCI " : "ISA ", 4);
        memcpy(p + 40, cd ? "ATAPI   " : "ATA     ", 8);
        if (pci) {
            p[48] = bdf >> 8;
            p[49] = (bdf >> 3) & 31;
            p[50] = bdf & 7;
            p[51] = d->channel;
        } else {
            put_le16(p + 48, d->iobase);
        }
        p[56] = d->slave;
        p[65] = -checksum8(p + 30, 35);
    }
    disk_done(r, d, 0);
}

static void cd_spec_packet(struct bregs *r, struct drive *d)
{
    if (!cd_boot.active) {
        disk_done(r, d, DISK_ERR_BAD_COMMAND);
        return;
    }
    u8 *p = far_ptr(r->ds, r->si);
    memset(p, 0, 0x13);
    p[0] = 0x13;
    p[1] = cd_boot.media;
    p[2] = cd_boot.drive;
    struct drive *cd = disk_lookup(cd_boot.drive);
    p[3] = cd ? cd->channel : 0;
    put_le32(p + 4, cd_boot.lba);
    put_le16(p + 8, cd ? cd->slave : 0);
    put_le16(p + 12, cd_boot.load_seg);
    put_le16(p + 14, cd_boot.count);
    disk_done(r, d, 0);
}

void disk_int13(struct bregs *r)
{
    struct drive *d = disk_lookup(r->dl);
    if (!d) {
        if (r->ah == 0x4B && cd_boot.active && (r->al == 0 || r->al == 1)) {
            d = disk_lookup(cd_boot.drive);
            if (d) {
                cd_spec_packet(r, d);
                return;
            }
        }
        if (r->ah == 0x15 && r->dl < 0x80) {
            r->ah = 0;
            clear_cf(r);
            return;
        }
        if (r->ah == 0x08 && r->dl >= 0x80 && r->dl < FIRST_CD) {
            r->dl = rd8(BDA_NUM_HD);
        }
        set_fail(r, DISK_ERR_BAD_COMMAND);
        return;
    }
    switch (r->ah) {
    case 0x00: case 0x0D: case 0x10: case 0x11: case 0x14:
        disk_done(r, d, 0);
        return;
    case 0x01: {
        u8 st = rd8(BDA_DISK_STATUS);
        r->al = st;
        disk_done(r, d, 0);
        r->ah = st;
        if (st)
            set_cf(r);
        return;
    }
    case 0x02: case 0x03: case 0x04:
        chs_rw(r, d, r->ah);
        return;
    case 0x08: {
        if (d->type != DRIVE_ATA) {
            disk_done(r, d, DISK_ERR_BAD_COMMAND);
            return;
        }
        u32 maxcyl = d->logical.cyls - 1;
        r->ch = maxcyl & 0xFF;
        r->cl = ((maxcyl >> 2) & 0xC0) | (d->logical.spt & 0x3F);
        r->dh = d->logical.heads - 1;
        r->dl = rd8(BDA_NUM_HD);
        r->al = 0;
        r->bl = 0;
        disk_done(r, d, 0);
        return;
    }
    case 0x0C:
    case 0x47:
        disk_done(r, d, 0);
        return;
    case 0x15:
        if (d->type == DRIVE_ATA) {
            u32 n = d->logical.cyls * d->logical.heads * d->logical.spt;
            r->cx = n >> 16;
            r->dx = n;
            r->ah = 3;
        } else {
            r->ah = 2;
        }
        clear_cf(r);
        return;
    case 0x41:
        if (r->bx != 0x55AA) {
            disk_done(r, d, DISK_ERR_BAD_COMMAND);
            return;
        }
        r->bx = 0xAA55;
        r->cx = 0x0007;
        r->ah = 0x30;
        clear_cf(r);
        return;
    case 0x42: case 0x43: case 0x44:
        ext_rw(r, d, r->ah);
        return;
    case 0x45:
        if (d->type != DRIVE_ATAPI) {
            disk_done(r, d, DISK_ERR_BAD_COMMAND);
            return;
        }
        r->al = r->al == 1 ? 0 : (r->al == 2 ? 0 : 1);
        disk_done(r, d, 0);
        return;
    case 0x46:
    case 0x49:
        disk_done(r, d, d->type == DRIVE_ATAPI ? 0 : DISK_ERR_BAD_COMMAND);
        return;
    case 0x48:
        edd_params(r, d);
        return;
    case 0x4B:
        if (r->al == 0x00 || r->al == 0x01) {
            cd_spec_packet(r, d);
            return;
        }
        disk_done(r, d, DISK_ERR_BAD_COMMAND);
        return;
    case 0x4E:
        disk_done(r, d, 0);
        return;
    default:
        disk_done(r, d, DISK_ERR_BAD_COMMAND);
        return;
    }
}
