/*
 * libFuzzer target for the IDE controller: the input is a program of port
 * reads and writes to both channels' task files, control ports and data
 * ports, the bus-master registers, the PCI configuration space, and stores
 * into guest RAM (PRD tables and buffers), run against the PIIX3 function
 * with an ATA disk and an ATAPI CD on the primary channel, and an empty CD
 * drive without a slave on the secondary.
 * A crash, sanitizer report or hang is a finding. Build (clang):
 *   clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. -D_GNU_SOURCE \
 *     tests/fuzz/ide_fuzz.c hw/ide/ata.c hw/ide/atapi.c hw/ide/piix.c hw/pci/pci.c \
 *     system/memory.c system/irq.c system/log.c system/machine.c system/mainloop.c \
 *     system/timer.c block/[a-z]*.c -lz -pthread -lrt -o ide_fuzz
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/ide/ide.h"
#include "mimic/block.h"
#include "mimic/le.h"
#include "mimic/machine.h"
#include "mimic/memory.h"

#define FUZZ_RAM_SIZE (1u << 20)
#define FUZZ_BMIBA 0xC000
#define FUZZ_DISK_SIZE (1u << 20)
#define FUZZ_CD_SIZE (256u * 2048)
#define FUZZ_MAX_WORDS 300          /* data port accesses per op */

typedef struct Fuzz {
    Machine *m;
    uint8_t *ram;
    IrqLine **lines;
    char paths[2][64];
} Fuzz;

static Fuzz fz;
static MachineOptions fuzz_opts = { .ram_size = FUZZ_RAM_SIZE, .smp = 1 };
static const MachineType fuzz_type = { .name = "ide-fuzz" };

/* Commands and packet opcodes worth reaching often. */
static const uint8_t ata_cmds[] = {
    0x00, 0x08, 0x10, 0x20, 0x21, 0x24, 0x25, 0x29, 0x30, 0x31, 0x34, 0x35, 0x39, 0x40, 0x41,
    0x42, 0x70, 0x90, 0x91, 0xA0, 0xA1, 0xB0, 0xC4, 0xC5, 0xC6, 0xC8, 0xC9, 0xCA, 0xCB, 0xE0,
    0xE1, 0xE2, 0xE3, 0xE5, 0xE6, 0xE7, 0xEA, 0xEC, 0xEF,
};
static const uint8_t atapi_ops[] = {
    0x00, 0x03, 0x12, 0x1B, 0x1E, 0x25, 0x28, 0x2B, 0x43, 0x46, 0x4A, 0x51, 0x5A, 0xA8, 0xBB, 0xBD,
};

static void fuzz_irq(void *opaque, int n, int level)
{
    (void)opaque, (void)n, (void)level;
}

static void fuzz_remove_images(void)
{
    for (int i = 0; i < 2; i++)
        if (fz.paths[i][0])
            unlink(fz.paths[i]);
}

static BlockBackend *fuzz_image(int i, uint32_t size, bool cdrom, bool readonly)
{
    snprintf(fz.paths[i], sizeof(fz.paths[i]), "/tmp/ide-fuzz-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(fz.paths[i]);
    uint8_t *buf = malloc(size);
    if (fd < 0 || !buf)
        abort();
    for (uint32_t o = 0; o < size; o++)
        buf[o] = (uint8_t)(o * 7 + (o >> 9));
    if (write(fd, buf, size) != (ssize_t)size)
        abort();
    free(buf);
    close(fd);
    DriveOptions o = { .file = fz.paths[i], .format = "raw", .cdrom = cdrom, .readonly = readonly };
    const char *err;
    BlockBackend *bb = blk_open(&o, &err);
    if (!bb) {
        fprintf(stderr, "ide_fuzz: %s\n", err);
        abort();
    }
    return bb;
}

static void fuzz_setup(void)
{
    fz.m = machine_create(&fuzz_type, &fuzz_opts);
    fz.ram = machine_alloc_ram(fz.m, FUZZ_RAM_SIZE);
    as_map_ram(fz.m->mem, "ram", 0, FUZZ_RAM_SIZE, fz.ram);
    fz.lines = irq_lines_new(fuzz_irq, NULL, 2);
    fz.m->gsi[14] = fz.lines[0];
    fz.m->gsi[15] = fz.lines[1];
    PciBus *bus = pci_bus_create(fz.m);
    atexit(fuzz_remove_images);
    IdeDrive drives[IDE_MAX_DRIVES] = {
        { IDE_DRIVE_DISK, fuzz_image(0, FUZZ_DISK_SIZE, false, false) },
        { IDE_DRIVE_CD, fuzz_image(1, FUZZ_CD_SIZE, true, true) },
        { IDE_DRIVE_CD, NULL },
        { IDE_DRIVE_NONE, NULL },
    };
    piix_ide_create(fz.m, bus, PIIX_IDE_DEVFN, drives);
}

static void pci_write(unsigned reg, unsigned size, uint32_t v)
{
    as_st(fz.m->io, 0xCF8, 4, 0x80000000u | (uint32_t)PIIX_IDE_DEVFN << 8 | (reg & 0xFC));
    as_st(fz.m->io, 0xCFC + (reg & 3), size, v);
}

typedef struct Input {
    const uint8_t *p;
    size_t left;
} Input;

static uint8_t next8(Input *in)
{
    if (!in->left)
        return 0;
    in->left--;
    return *in->p++;
}

static uint16_t next16(Input *in)
{
    uint16_t lo = next8(in);
    return (uint16_t)(lo | next8(in) << 8);
}

static uint32_t next32(Input *in)
{
    uint32_t lo = next16(in);
    return lo | (uint32_t)next16(in) << 16;
}

static uint16_t cmd_base(unsigned ch) { return ch ? 0x170 : 0x1F0; }
static uint16_t ctl_port(unsigned ch) { return ch ? 0x376 : 0x3F6; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fz.m)
        fuzz_setup();
    machine_reset_devices(fz.m);
    memset(fz.ram, 0, 64 * 1024);
    pci_write(0x20, 4, FUZZ_BMIBA);
    pci_write(0x04, 2, 0x0005);
    AddressSpace *io = fz.m->io;
    /* Consume the CD's power-on unit attention with a TEST UNIT READY, so
     * short inputs reach the commands that need a ready disc. */
    as_st(io, 0x1F6, 1, 0xB0);
    as_st(io, 0x1F7, 1, 0xA0);
    for (int i = 0; i < 6; i++)
        as_st(io, 0x1F0, 2, 0);
    as_ld(io, 0x1F7, 1);
    as_st(io, 0x1F6, 1, 0xA0);
    Input in = { data, size };
    while (in.left) {
        uint8_t op = next8(&in);
        unsigned ch = (op >> 4) & 1, sz = 1u << ((op >> 5) & 3);
        if (sz == 8)
            sz = 4;
        switch (op & 0x0F) {
        case 0:     /* task-file register write */
        case 1:
            as_st(io, cmd_base(ch) + 1 + next8(&in) % 6, 1, next8(&in));
            break;
        case 2:     /* a command from the known set, or any byte */
            as_st(io, cmd_base(ch) + 7, 1,
                  (op & 0x80) ? next8(&in) : ata_cmds[next8(&in) % sizeof(ata_cmds)]);
            break;
        case 3:     /* register reads, any width */
            as_ld(io, cmd_base(ch) + next8(&in) % 8, sz);
            break;
        case 4:     /* device control / alternate status */
            if (op & 0x80)
                as_ld(io, ctl_port(ch), 1);
            else
                as_st(io, ctl_port(ch), 1, next8(&in));
            break;
        case 5: {   /* data port reads */
            unsigned n = next8(&in) + (op & 0x80 ? 256u : 0);
            for (unsigned i = 0; i < n && i < FUZZ_MAX_WORDS; i++)
                as_ld(io, cmd_base(ch), sz == 1 ? 2 : sz);
            break;
        }
        case 6: {   /* data port writes: a packet, or a run of one value */
            if (op & 0x80) {
                uint8_t cdb[12];
                for (int i = 0; i < 12; i++)
                    cdb[i] = next8(&in);
                if (cdb[0] & 0x80)
                    cdb[0] = atapi_ops[cdb[0] % sizeof(atapi_ops)];
                if (cdb[11] & 0x01)     /* small LBAs and lengths: reads that fit the disc */
                    cdb[2] = cdb[3] = cdb[4] = cdb[6] = cdb[7] = 0;
                for (int i = 0; i < 6; i++)
                    as_st(io, cmd_base(ch), 2, ld_le16(cdb + 2 * i));
            } else {
                unsigned n = next8(&in);
                uint32_t v = next32(&in);
                for (unsigned i = 0; i < n * 2 && i < FUZZ_MAX_WORDS; i++)
                    as_st(io, cmd_base(ch), sz == 1 ? 2 : sz, v + i);
            }
            break;
        }
        case 7:     /* bus-master registers */
            if (op & 0x80)
                as_ld(io, FUZZ_BMIBA + next8(&in) % 16, sz);
            else
                as_st(io, FUZZ_BMIBA + next8(&in) % 16, sz, next32(&in));
            break;
        case 8: {   /* a PRD entry somewhere in the first 64 KiB of RAM */
            uint32_t at = (next16(&in) & 0xFFF8u);
            st_le32(fz.ram + at, next32(&in));
            st_le16(fz.ram + at + 4, next16(&in));
            st_le16(fz.ram + at + 6, (op & 0x80) ? 0x8000 : 0);
            break;
        }
        case 9:     /* PCI configuration: command, IDETIM, BAR4 */
            switch (next8(&in) % 4) {
            case 0: pci_write(0x04, 2, next16(&in)); break;
            case 1: pci_write(0x40 + (next8(&in) & 3), 1, next8(&in)); break;
            case 2: pci_write(0x20, 4, next16(&in)); break;
            default: pci_write(0x20, 4, FUZZ_BMIBA); pci_write(0x04, 2, 0x0005); break;
            }
            break;
        case 10: {  /* a whole LBA28 task file, then a command */
            uint16_t base = cmd_base(ch);
            as_st(io, base + 6, 1, next8(&in));
            as_st(io, base + 2, 1, next8(&in));
            as_st(io, base + 3, 1, next8(&in));
            as_st(io, base + 4, 1, next8(&in));
            as_st(io, base + 5, 1, next8(&in));
            as_st(io, base + 7, 1, ata_cmds[next8(&in) % sizeof(ata_cmds)]);
            break;
        }
        case 11:    /* machine reset */
            if (op & 0x80)
                machine_reset_devices(fz.m);
            break;
        default:    /* any port in the channel's ranges, any width */
            if (op & 0x80)
                as_ld(io, cmd_base(ch) + (next8(&in) & 7), sz);
            else
                as_st(io, cmd_base(ch) + (next8(&in) & 7), sz, next32(&in));
            break;
        }
    }
    return 0;
}
