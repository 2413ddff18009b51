/*
 * The PIIX3 IDE function (82371SB datasheet 290550, section 2.4 and 2.7):
 * PCI 8086:7010, class 01.01.80 (compatibility mode only, bus master), the
 * legacy command/control ports of both channels decoded while PCICMD.IOSE
 * and the channel's IDETIM.IDE bit are set, and the SFF-8038i bus master
 * (BMIBA, BAR4) walking PRD tables in guest RAM. Timing registers are plain
 * storage. Left out: native-PCI mode, PIIX4/ICH Ultra DMA registers.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/ide/ide_internal.h"
#include "mimic/le.h"
#include "mimic/log.h"

#define PIIX_IDE_BMIBA_BAR 4
#define PIIX_IDE_BM_SIZE 16
#define PIIX_IDETIM 0x40            /* primary at 40h, secondary at 42h */
#define PIIX_SIDETIM 0x44
#define IDETIM_DECODE_ENABLE 0x80   /* bit 15, in the high byte */
#define PCI_STATUS_MASTER_ABORT 0x2000
#define PCI_STATUS_DEVSEL_MEDIUM 0x0200
#define PCI_STATUS_FAST_B2B 0x0080

static const uint16_t legacy_cmd_port[2] = { 0x1F0, 0x170 };
static const uint16_t legacy_ctl_port[2] = { 0x3F6, 0x376 };
static const int legacy_irq[2] = { 14, 15 };

struct PiixIde {
    Machine *m;
    PciDevice *pci;
    IdeChannel ch[2];
    MemoryRegion *cmd_mr[2], *ctl_mr[2];
};

/* ---- bus master -------------------------------------------------------------- */

/* Copy between buf and RAM at addr; false if any byte is not RAM. DMA
 * reaches memory only: there is no peer-to-peer path to device registers.
 * Writes go through as_write_buf, which tells the accelerator (translated
 * code in those bytes is stale). */
static bool bmdma_copy(IdeChannel *c, uint64_t addr, uint8_t *buf, uint32_t len, bool to_memory)
{
    while (len) {
        uint64_t avail = 0;
        uint8_t *p = address_space_host_ptr(c->mem, addr, to_memory, &avail);
        if (!p || !avail)
            return false;
        uint32_t n = avail < len ? (uint32_t)avail : len;
        if (to_memory)
            as_write_buf(c->mem, addr, buf, n);
        else
            memcpy(buf, p, n);
        addr += n, buf += n, len -= n;
    }
    return true;
}

static BmdmaResult bmdma_fault(IdeChannel *c, uint64_t addr)
{
    guest_error("ide: bus master access to 0x%llx, which is not RAM: master abort\n",
                (unsigned long long)addr);
    c->bm.status = (uint8_t)((c->bm.status & ~BM_STAT_ACTIVE) | BM_STAT_ERROR);
    if (c->master_abort)
        c->master_abort(c->opaque);
    return BMDMA_FAULT;
}

/* Move len bytes between the drive's buffer and the regions of the PRD
 * table, continuing where the previous call stopped. Active clears when the
 * region marked EOT is used up (SFF-8038i; PIIX3 datasheet 2.7.2). */
BmdmaResult bmdma_rw(IdeChannel *c, uint8_t *buf, uint32_t len, bool to_memory)
{
    IdeBmdma *bm = &c->bm;
    while (len) {
        if (bm->cur_left == 0) {
            if (bm->eot || bm->prd_index >= IDE_PRD_MAX_ENTRIES) {
                if (!bm->eot)
                    guest_error("ide: PRD table of %d entries without EOT\n", IDE_PRD_MAX_ENTRIES);
                bm->status &= (uint8_t)~BM_STAT_ACTIVE;
                return BMDMA_SHORT;
            }
            uint8_t prd[8];
            uint32_t entry = bm->prdt + 8u * bm->prd_index;
            if (!bmdma_copy(c, entry, prd, sizeof(prd), false))
                return bmdma_fault(c, entry);
            bm->prd_index++;
            /* Bit 0 of address and count is reserved (zero); a count of
             * zero means 64 KiB. */
            bm->cur_addr = ld_le32(prd) & ~1u;
            bm->cur_left = ld_le16(prd + 4) & 0xFFFEu;
            if (bm->cur_left == 0)
                bm->cur_left = 0x10000;
            bm->eot = prd[7] & 0x80;
        }
        uint32_t n = bm->cur_left < len ? bm->cur_left : len;
        if (!bmdma_copy(c, bm->cur_addr, buf, n, to_memory))
            return bmdma_fault(c, bm->cur_addr);
        bm->cur_addr += n;
        bm->cur_left -= n;
        buf += n;
        len -= n;
        if (bm->cur_left == 0 && bm->eot)
            bm->status &= (uint8_t)~BM_STAT_ACTIVE;
    }
    return BMDMA_OK;
}

static uint8_t bm_read_byte(PiixIde *s, unsigned off)
{
    const IdeBmdma *bm = &s->ch[off >> 3].bm;
    switch (off & 7) {
    case 0: return bm->cmd;
    case 2: return bm->status;
    case 4: case 5: case 6: case 7:
        return (uint8_t)(bm->prdt >> (8 * ((off & 7) - 4)));
    default: return 0;      /* reserved */
    }
}

static void bm_write_cmd(IdeChannel *c, uint8_t v)
{
    IdeBmdma *bm = &c->bm;
    uint8_t old = bm->cmd;
    bm->cmd = v & (BM_CMD_START | BM_CMD_WRITE);
    if ((v & BM_CMD_START) && !(old & BM_CMD_START)) {
        bm->status |= BM_STAT_ACTIVE;
        bm->prd_index = 0;
        bm->cur_left = 0;
        bm->eot = false;
        ide_dma_kick(c);
    } else if (!(v & BM_CMD_START) && (old & BM_CMD_START)) {
        /* Stopping loses the engine's state; a drive still waiting for
         * data stays waiting (the driver resets it after a timeout). */
        bm->status &= (uint8_t)~BM_STAT_ACTIVE;
    }
}

static void bm_write_byte(PiixIde *s, unsigned off, uint8_t v)
{
    IdeChannel *c = &s->ch[off >> 3];
    IdeBmdma *bm = &c->bm;
    unsigned reg = off & 7;
    if (reg == 0) {
        bm_write_cmd(c, v);
    } else if (reg == 2) {
        bm->status &= (uint8_t)~(v & (BM_STAT_ERROR | BM_STAT_INTR));   /* write 1 to clear */
        bm->status = (uint8_t)((bm->status & ~BM_STAT_DMA_CAP) | (v & BM_STAT_DMA_CAP));
    } else if (reg >= 4) {
        unsigned shift = 8 * (reg - 4);
        bm->prdt = (bm->prdt & ~(0xFFu << shift)) | (uint32_t)v << shift;
        bm->prdt &= ~3u;    /* dword aligned */
    }
}

static uint64_t bm_read(void *opaque, uint64_t offset, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size && offset + i < PIIX_IDE_BM_SIZE; i++)
        v |= (uint64_t)bm_read_byte(opaque, (unsigned)offset + i) << (8 * i);
    return v;
}

/* A wide write that also covers the Command byte applies it last, so a
 * dword write that clears Interrupt and sets Start does both in that order. */
static void bm_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    int cmd_at = -1;
    for (unsigned i = 0; i < size && offset + i < PIIX_IDE_BM_SIZE; i++) {
        unsigned off = (unsigned)offset + i;
        if ((off & 7) == 0)
            cmd_at = (int)i;
        else
            bm_write_byte(opaque, off, (uint8_t)(value >> (8 * i)));
    }
    if (cmd_at >= 0)
        bm_write_byte(opaque, (unsigned)offset + (unsigned)cmd_at, (uint8_t)(value >> (8 * cmd_at)));
}

static const MemoryRegionOps bm_ops = {
    .read = bm_read, .write = bm_write, .min_access = 1, .max_access = 4,
};

/* ---- PCI function ----------------------------------------------------------- */

static void piix_ide_master_abort(void *opaque)
{
    PiixIde *s = opaque;
    uint16_t st = pci_get_word(&s->pci->config[PCI_STATUS]);
    pci_set_word(&s->pci->config[PCI_STATUS], st | PCI_STATUS_MASTER_ABORT);
}

static void piix_ide_update(PiixIde *s)
{
    uint16_t cmd = pci_get_word(&s->pci->config[PCI_COMMAND]);
    for (int i = 0; i < 2; i++) {
        IdeChannel *c = &s->ch[i];
        bool was_master = c->bus_master;
        c->decode = (cmd & PCI_COMMAND_IO) &&
                    (s->pci->config[PIIX_IDETIM + 2 * i + 1] & IDETIM_DECODE_ENABLE);
        c->bus_master = cmd & PCI_COMMAND_MASTER;
        memory_region_set_enabled(s->cmd_mr[i], c->decode);
        memory_region_set_enabled(s->ctl_mr[i], c->decode);
        if (c->bus_master && !was_master)
            ide_dma_kick(c);
    }
}

static void piix_ide_config_written(PciDevice *d, unsigned offset, unsigned len)
{
    (void)offset, (void)len;
    piix_ide_update(d->opaque);
}

static void piix_ide_reset(void *opaque)
{
    PiixIde *s = opaque;
    PciDevice *d = s->pci;
    pci_config_write(d, PCI_COMMAND, 0, 2);
    pci_config_write(d, PCI_BAR0 + 4 * PIIX_IDE_BMIBA_BAR, 0, 4);
    /* Direct kernel boot has no firmware to turn the channels on, so they
     * start decoding as a BIOS leaves them (timing 0: compatible cycles). */
    memset(&d->config[PIIX_IDETIM], 0, 5);
    d->config[PIIX_IDETIM + 1] = IDETIM_DECODE_ENABLE;
    d->config[PIIX_IDETIM + 3] = IDETIM_DECODE_ENABLE;
    for (int i = 0; i < 2; i++) {
        s->ch[i].bm = (IdeBmdma){ 0 };
        ide_channel_reset(&s->ch[i]);
    }
    piix_ide_update(s);
}

PiixIde *piix_ide_create(Machine *m, PciBus *bus, int devfn, const IdeDrive drives[IDE_MAX_DRIVES])
{
    PiixIde *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->m = m;
    s->pci = pci_device_create(bus, devfn, "piix3-ide", 0x8086, 0x7010, 0x010180 << 8);
    PciDevice *d = s->pci;
    d->opaque = s;
    d->config_written = piix_ide_config_written;
    pci_set_word(&d->wmask[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    pci_set_word(&d->config[PCI_STATUS], PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_B2B);
    d->wmask[PIIX_IDETIM] = d->wmask[PIIX_IDETIM + 2] = 0xFF;
    d->wmask[PIIX_IDETIM + 1] = d->wmask[PIIX_IDETIM + 3] = 0xF3;   /* bits 11:10 reserved */
    d->wmask[PIIX_SIDETIM] = 0xFF;
    pci_device_set_bar(d, PIIX_IDE_BMIBA_BAR, PIIX_IDE_BM_SIZE, true, &bm_ops, s);

    for (int i = 0; i < 2; i++) {
        IdeChannel *c = &s->ch[i];
        c->master_abort = piix_ide_master_abort;
        c->opaque = s;
        ide_channel_init(c, m->gsi[legacy_irq[i]], m->mem, &drives[2 * i], 2 * i);
        s->cmd_mr[i] = as_map_io(m->io, i ? "ide1" : "ide0", legacy_cmd_port[i], 8, &ide_cmd_ops, c);
        s->ctl_mr[i] = as_map_io(m->io, i ? "ide1-ctl" : "ide0-ctl", legacy_ctl_port[i], 1,
                                 &ide_ctl_ops, c);
    }
    machine_add_reset(m, piix_ide_reset, s);
    piix_ide_reset(s);
    return s;
}
