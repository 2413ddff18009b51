/*
 * The IDE test bench (see ide_rig.h): a minimal machine, the PIIX3 IDE
 * function on a PCI bus and raw image files in /tmp.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ide_rig.h"
#include "mimic/block.h"
#include "mimic/le.h"
#include "mimic/log.h"

#define RIG_MAX 64
#define RIG_FILL_LIMIT (8u << 20)    /* pattern-fill at most this much of an image */

static IdeRig rigs[RIG_MAX];         /* kept reachable: machines are never freed */
static int nrigs;
static MachineOptions rig_opts = { .ram_size = RIG_RAM_SIZE, .smp = 1 };
static const MachineType rig_type = { .name = "ide-rig" };

uint8_t rig_pattern(uint64_t off)
{
    return (uint8_t)((off >> 9) * 31 + (off & 511) + (off >> 17) * 7);
}

static void rig_irq(void *opaque, int n, int level)
{
    IdeRig *r = opaque;
    if (level && !r->irq_level[n])
        r->irq_rises[n]++;
    r->irq_level[n] = level;
}

uint8_t rig_inb(IdeRig *r, uint16_t port) { return (uint8_t)as_ld(r->m->io, port, 1); }
uint16_t rig_inw(IdeRig *r, uint16_t port) { return (uint16_t)as_ld(r->m->io, port, 2); }
uint32_t rig_inl(IdeRig *r, uint16_t port) { return (uint32_t)as_ld(r->m->io, port, 4); }
void rig_outb(IdeRig *r, uint16_t port, uint8_t v) { as_st(r->m->io, port, 1, v); }
void rig_outw(IdeRig *r, uint16_t port, uint16_t v) { as_st(r->m->io, port, 2, v); }
void rig_outl(IdeRig *r, uint16_t port, uint32_t v) { as_st(r->m->io, port, 4, v); }

uint32_t rig_pci_read(IdeRig *r, unsigned reg, unsigned size)
{
    rig_outl(r, 0xCF8, 0x80000000u | (uint32_t)PIIX_IDE_DEVFN << 8 | (reg & 0xFC));
    return (uint32_t)as_ld(r->m->io, 0xCFC + (reg & 3), size);
}

void rig_pci_write(IdeRig *r, unsigned reg, unsigned size, uint32_t v)
{
    rig_outl(r, 0xCF8, 0x80000000u | (uint32_t)PIIX_IDE_DEVFN << 8 | (reg & 0xFC));
    as_st(r->m->io, 0xCFC + (reg & 3), size, v);
}

static void rig_make_image(IdeRig *r, int i, uint64_t size)
{
    snprintf(r->path[i], sizeof(r->path[i]), "/tmp/ide-test-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(r->path[i]);
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        perror("ide test image");
        exit(2);
    }
    uint64_t fill = size < RIG_FILL_LIMIT ? size : RIG_FILL_LIMIT;
    uint8_t *buf = malloc(fill ? fill : 1);
    for (uint64_t o = 0; o < fill; o++)
        buf[o] = rig_pattern(o);
    if (pwrite(fd, buf, fill, 0) != (ssize_t)fill) {
        perror("ide test image");
        exit(2);
    }
    free(buf);
    r->fd[i] = fd;
}

/* Images of a failed case (which returns early) go too. */
static void rig_cleanup_all(void)
{
    for (int i = 0; i < nrigs; i++)
        rig_destroy(&rigs[i]);
}

IdeRig *rig_create(const RigDriveSpec specs[IDE_MAX_DRIVES])
{
    if (nrigs == RIG_MAX)
        abort();
    if (nrigs == 0)
        atexit(rig_cleanup_all);
    IdeRig *r = &rigs[nrigs++];
    memset(r, 0, sizeof(*r));
    r->m = machine_create(&rig_type, &rig_opts);
    r->ram = machine_alloc_ram(r->m, RIG_RAM_SIZE);
    as_map_ram(r->m->mem, "ram", 0, RIG_RAM_SIZE, r->ram);
    r->lines = irq_lines_new(rig_irq, r, 2);
    r->m->gsi[14] = r->lines[0];
    r->m->gsi[15] = r->lines[1];
    r->bus = pci_bus_create(r->m);

    IdeDrive drives[IDE_MAX_DRIVES];
    memset(drives, 0, sizeof(drives));
    for (int i = 0; i < IDE_MAX_DRIVES; i++) {
        r->fd[i] = -1;
        drives[i].kind = specs[i].kind;
        if (specs[i].kind == IDE_DRIVE_NONE || specs[i].size == 0)
            continue;
        rig_make_image(r, i, specs[i].size);
        DriveOptions o = { .file = r->path[i], .format = "raw", .index = i,
                           .cdrom = specs[i].kind == IDE_DRIVE_CD, .readonly = specs[i].readonly };
        const char *err;
        drives[i].blk = blk_open(&o, &err);
        if (!drives[i].blk) {
            fprintf(stderr, "blk_open: %s\n", err);
            exit(2);
        }
    }
    r->ide = piix_ide_create(r->m, r->bus, PIIX_IDE_DEVFN, drives);
    rig_pci_write(r, 0x20, 4, RIG_BMIBA);
    rig_pci_write(r, 0x04, 2, 0x0005);      /* I/O space, bus master */
    return r;
}

void rig_destroy(IdeRig *r)
{
    for (int i = 0; i < IDE_MAX_DRIVES; i++) {
        if (r->fd[i] >= 0) {
            close(r->fd[i]);
            unlink(r->path[i]);
            r->fd[i] = -1;
        }
    }
}

void rig_image_read(IdeRig *r, int drive, uint64_t off, void *buf, size_t n)
{
    if (pread(r->fd[drive], buf, n, (off_t)off) != (ssize_t)n)
        memset(buf, 0xEE, n);
}

void rig_image_write(IdeRig *r, int drive, uint64_t off, const void *buf, size_t n)
{
    if (pwrite(r->fd[drive], buf, n, (off_t)off) != (ssize_t)n)
        abort();
}

void rig_select(IdeRig *r, uint16_t base, int unit)
{
    rig_outb(r, base + REG_DEVICE, (uint8_t)(0xA0 | (unit ? 0x10 : 0)));
}

void rig_taskfile28(IdeRig *r, uint16_t base, int unit, uint32_t lba, uint8_t count)
{
    rig_outb(r, base + REG_DEVICE, (uint8_t)(0xE0 | (unit ? 0x10 : 0) | ((lba >> 24) & 0x0F)));
    rig_outb(r, base + REG_NSECT, count);
    rig_outb(r, base + REG_LBAL, (uint8_t)lba);
    rig_outb(r, base + REG_LBAM, (uint8_t)(lba >> 8));
    rig_outb(r, base + REG_LBAH, (uint8_t)(lba >> 16));
}

void rig_taskfile48(IdeRig *r, uint16_t base, int unit, uint64_t lba, uint16_t count)
{
    rig_outb(r, base + REG_DEVICE, (uint8_t)(0x40 | (unit ? 0x10 : 0)));
    /* Previous (HOB) values first, as libata's tf_load does. */
    rig_outb(r, base + REG_NSECT, (uint8_t)(count >> 8));
    rig_outb(r, base + REG_LBAL, (uint8_t)(lba >> 24));
    rig_outb(r, base + REG_LBAM, (uint8_t)(lba >> 32));
    rig_outb(r, base + REG_LBAH, (uint8_t)(lba >> 40));
    rig_outb(r, base + REG_NSECT, (uint8_t)count);
    rig_outb(r, base + REG_LBAL, (uint8_t)lba);
    rig_outb(r, base + REG_LBAM, (uint8_t)(lba >> 8));
    rig_outb(r, base + REG_LBAH, (uint8_t)(lba >> 16));
}

void rig_read_words(IdeRig *r, uint16_t base, uint16_t *w, int n)
{
    for (int i = 0; i < n; i++)
        w[i] = rig_inw(r, base + REG_DATA);
}

void rig_write_words(IdeRig *r, uint16_t base, const uint16_t *w, int n)
{
    for (int i = 0; i < n; i++)
        rig_outw(r, base + REG_DATA, w[i]);
}

void rig_prd(IdeRig *r, uint32_t table, int n, const uint32_t *addr, const uint32_t *len)
{
    for (int i = 0; i < n; i++) {
        uint8_t *e = r->ram + table + 8 * i;
        st_le32(e, addr[i]);
        st_le16(e + 4, (uint16_t)len[i]);
        st_le16(e + 6, i == n - 1 ? 0x8000 : 0);
    }
}
