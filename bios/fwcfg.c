/*
 * QEMU firmware configuration interface (QEMU docs/specs/fw_cfg.rst):
 * selector 0x510, data 0x511, DMA address 0x514 (big-endian, the write of the
 * low half at 0x518 starts the transfer). Reads use DMA when FW_CFG_ID says
 * it exists, byte reads otherwise; writes need DMA.
 */
#include "bios.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_VERSION_DMA 0x02
#define DMA_ERROR 0x01
#define DMA_READ 0x02
#define DMA_SKIP 0x04
#define DMA_SELECT 0x08
#define DMA_WRITE 0x10
#define FW_CFG_FILE_SIZE 64
#define FW_CFG_MAX_FILES 4096

static u8 fwcfg_ok, fwcfg_dma;

struct fwcfg_dma_access { u32 control, length; u64 address; } __attribute__((packed, aligned(16)));
static struct fwcfg_dma_access dma_access;

static u32 bswap32(u32 v) { return __builtin_bswap32(v); }

int fwcfg_present(void) { return fwcfg_ok; }

static void dma_run(u32 control, void *buf, u32 len)
{
    dma_access.control = bswap32(control);
    dma_access.length = bswap32(len);
    dma_access.address = (u64)bswap32((u32)(uintptr_t)buf) << 32;
    outl(FW_CFG_PORT_DMA, 0);
    outl(FW_CFG_PORT_DMA + 4, bswap32((u32)(uintptr_t)&dma_access));
    for (u32 i = 0; i < 10000000 && (bswap32(dma_access.control) & ~DMA_ERROR); i++)
        cpu_relax();
}

static void read_data(void *buf, u32 len)
{
    if (fwcfg_dma)
        dma_run(DMA_READ, buf, len);
    else
        insb(FW_CFG_PORT_DATA, buf, len);
}

void fwcfg_read_key(u16 key, void *buf, u32 len)
{
    outw(FW_CFG_PORT_SEL, key);
    read_data(buf, len);
}

void fwcfg_init(void)
{
    char sig[4];
    fwcfg_read_key(FW_CFG_SIGNATURE, sig, 4);
    fwcfg_ok = !memcmp(sig, "QEMU", 4);
    if (!fwcfg_ok)
        return;
    u32 id = 0;
    fwcfg_read_key(FW_CFG_ID, &id, 4);
    fwcfg_dma = !!(id & FW_CFG_VERSION_DMA);
}

int fwcfg_find(const char *name, u16 *key, u32 *size)
{
    if (!fwcfg_ok)
        return -1;
    u32 count;
    fwcfg_read_key(FW_CFG_FILE_DIR, &count, 4);
    count = bswap32(count);
    if (count > FW_CFG_MAX_FILES)
        count = FW_CFG_MAX_FILES;
    for (u32 i = 0; i < count; i++) {
        u8 ent[FW_CFG_FILE_SIZE];
        read_data(ent, sizeof(ent));
        ent[FW_CFG_FILE_SIZE - 1] = 0;
        if (!strcmp((char *)ent + 8, name)) {
            *size = get_be32(ent);
            *key = get_be16(ent + 4);
            return 0;
        }
    }
    return -1;
}

int fwcfg_read_file(const char *name, void *buf, u32 max)
{
    u16 key;
    u32 size;
    if (fwcfg_find(name, &key, &size))
        return -1;
    if (size > max)
        size = max;
    fwcfg_read_key(key, buf, size);
    return size;
}

int fwcfg_write_file(u16 key, u32 offset, const void *buf, u32 len)
{
    if (!fwcfg_dma)
        return -1;
    dma_run(DMA_SELECT | DMA_SKIP | (u32)key << 16, NULL, offset);
    dma_run(DMA_WRITE, (void *)buf, len);
    return 0;
}
