/*
 * QEMU firmware configuration device (fw_cfg), x86 port flavour: numbered
 * items and named files read byte by byte through ports 0x510/0x511 or in
 * one go through the DMA interface (QEMU docs/specs/fw_cfg.rst, "Guest-side
 * Hardware Interface" and "Guest-side DMA Interface"). Leaves out: the MMIO
 * flavour (ARM), writable items (DMA writes report an error), the ACPI
 * QEMU0002 device node.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/nvram/fw_cfg.h"
#include "mimic/le.h"
#include "mimic/log.h"

#define FW_CFG_KEY_MASK 0xBFFF   /* bit 14 (old write mode) ignored */

typedef struct FwCfgItem {
    uint16_t key;
    uint8_t *data;
    size_t len;
} FwCfgItem;

typedef struct FwCfgFile {
    char name[FW_CFG_MAX_FILE_PATH];
    uint8_t *data;
    size_t len;
} FwCfgFile;

struct FwCfg {
    AddressSpace *mem;
    FwCfgItem items[FW_CFG_MAX_ITEMS];
    int nitems;
    FwCfgFile files[FW_CFG_MAX_FILES];   /* sorted by name */
    int nfiles;

    uint16_t selector;
    const uint8_t *cur;                  /* selected item's bytes (NULL: none) */
    size_t cur_len, offset;
    uint32_t dma_high;                   /* written half of the DMA address */
};

static uint32_t ld_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void st_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xFF00) | (v << 8 & 0xFF0000) | v << 24;
}

static uint8_t *copy_bytes(const void *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        fatal("out of memory");
    if (len)
        memcpy(p, data, len);
    return p;
}

static FwCfgItem *item_find(FwCfg *s, uint16_t key)
{
    for (int i = 0; i < s->nitems; i++)
        if (s->items[i].key == key)
            return &s->items[i];
    return NULL;
}

/* Point cur at what `selector` names now (after a select or any change of
 * the items, so a stale pointer is never read). */
static void select_resolve(FwCfg *s)
{
    uint16_t key = s->selector & FW_CFG_KEY_MASK;
    s->cur = NULL;
    s->cur_len = 0;
    if (!(key & FW_CFG_ARCH_LOCAL) && key >= FW_CFG_FILE_FIRST) {
        int idx = key - FW_CFG_FILE_FIRST;
        if (idx < s->nfiles) {
            s->cur = s->files[idx].data;
            s->cur_len = s->files[idx].len;
        }
    } else {
        FwCfgItem *it = item_find(s, key);
        if (it) {
            s->cur = it->data;
            s->cur_len = it->len;
        }
    }
    if (s->offset > s->cur_len)
        s->offset = s->cur_len;
}

static void fw_cfg_select(FwCfg *s, uint16_t selector)
{
    s->selector = selector;
    s->offset = 0;
    select_resolve(s);
    if (!s->cur)
        log_unimp("fw_cfg: select of unknown item 0x%04x\n", selector);
}

static void fw_cfg_put(FwCfg *s, uint16_t key, uint8_t *data, size_t len)
{
    FwCfgItem *it = item_find(s, key);
    if (!it) {
        if (s->nitems == FW_CFG_MAX_ITEMS)
            fatal("fw_cfg: more than %d numbered items", FW_CFG_MAX_ITEMS);
        it = &s->items[s->nitems++];
        it->key = key;
    } else {
        free(it->data);
    }
    it->data = data;
    it->len = len;
    select_resolve(s);
}

void fw_cfg_add_bytes(FwCfg *s, uint16_t key, const void *data, size_t len)
{
    key &= FW_CFG_KEY_MASK;
    if (!(key & FW_CFG_ARCH_LOCAL) && key >= FW_CFG_FILE_FIRST)
        fatal("fw_cfg: key 0x%04x is in the file range; use fw_cfg_add_file", key);
    fw_cfg_put(s, key, copy_bytes(data, len), len);
}

void fw_cfg_add_i16(FwCfg *s, uint16_t key, uint16_t value)
{
    uint8_t b[2];
    st_le16(b, value);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

void fw_cfg_add_i32(FwCfg *s, uint16_t key, uint32_t value)
{
    uint8_t b[4];
    st_le32(b, value);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

void fw_cfg_add_i64(FwCfg *s, uint16_t key, uint64_t value)
{
    uint8_t b[8];
    st_le64(b, value);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

/* The directory item mirrors the file list: count, then one entry per file
 * in key (= name) order, all big-endian. */
static void dir_rebuild(FwCfg *s)
{
    size_t len = 4 + (size_t)s->nfiles * FW_CFG_FILE_ENTRY_SIZE;
    uint8_t *d = calloc(1, len);
    if (!d)
        fatal("out of memory");
    st_be32(d, (uint32_t)s->nfiles);
    for (int i = 0; i < s->nfiles; i++) {
        uint8_t *e = d + 4 + (size_t)i * FW_CFG_FILE_ENTRY_SIZE;
        uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + i);
        st_be32(e, (uint32_t)s->files[i].len);
        e[4] = (uint8_t)(key >> 8);
        e[5] = (uint8_t)key;
        memcpy(e + 8, s->files[i].name, strlen(s->files[i].name));
    }
    fw_cfg_put(s, FW_CFG_FILE_DIR, d, len);
}

void fw_cfg_add_file(FwCfg *s, const char *name, const void *data, size_t len)
{
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen >= FW_CFG_MAX_FILE_PATH)
        fatal("fw_cfg: file name '%s' must be 1 to %d characters", name,
              FW_CFG_MAX_FILE_PATH - 1);
    if (len > UINT32_MAX)
        fatal("fw_cfg: file %s is larger than 4 GiB", name);
    int pos = 0;
    while (pos < s->nfiles && strcmp(s->files[pos].name, name) < 0)
        pos++;
    if (pos < s->nfiles && !strcmp(s->files[pos].name, name)) {
        free(s->files[pos].data);
    } else {
        if (s->nfiles == FW_CFG_MAX_FILES)
            fatal("fw_cfg: more than %d files", FW_CFG_MAX_FILES);
        memmove(&s->files[pos + 1], &s->files[pos], (size_t)(s->nfiles - pos) * sizeof(FwCfgFile));
        s->nfiles++;
        memset(s->files[pos].name, 0, sizeof(s->files[pos].name));
        memcpy(s->files[pos].name, name, nlen);
    }
    s->files[pos].data = copy_bytes(data, len);
    s->files[pos].len = len;
    dir_rebuild(s);
}

int fw_cfg_file_key(const FwCfg *s, const char *name)
{
    for (int i = 0; i < s->nfiles; i++)
        if (!strcmp(s->files[i].name, name))
            return FW_CFG_FILE_FIRST + i;
    return -1;
}

/* ---- port interface ---- */

static uint8_t data_next(FwCfg *s)
{
    if (!s->cur || s->offset >= s->cur_len)
        return 0;   /* past the end: zeros, as the spec says */
    return s->cur[s->offset++];
}

static uint64_t ctl_read(void *opaque, uint64_t offset, unsigned size)
{
    FwCfg *s = opaque;
    uint64_t v = 0;
    (void)offset;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)data_next(s) << (8 * i);
    return v;
}

static void ctl_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    FwCfg *s = opaque;
    if (offset == 0 && size == 2) {
        fw_cfg_select(s, (uint16_t)value);
        return;
    }
    /* Data-port writes were dropped by QEMU 2.4; writable items go
     * through DMA only. */
    guest_error("fw_cfg: %u-byte write 0x%llx at port offset %llu ignored\n", size,
                (unsigned long long)value, (unsigned long long)offset);
}

static const MemoryRegionOps ctl_ops = {
    .read = ctl_read, .write = ctl_write, .min_access = 1, .max_access = 2,
};

/* ---- DMA interface ---- */

/* [addr, addr+len) is plain RAM (writable RAM when `write`). */
static bool dma_range_ok(FwCfg *s, uint64_t addr, uint64_t len, bool write)
{
    if (addr + len < addr)
        return false;
    while (len) {
        uint64_t avail = 0;
        if (!address_space_host_ptr(s->mem, addr, write, &avail) || avail == 0)
            return false;
        if (avail >= len)
            return true;
        addr += avail;
        len -= avail;
    }
    return true;
}

static bool dma_read_item(FwCfg *s, uint64_t addr, uint32_t len)
{
    if (!dma_range_ok(s, addr, len, true)) {
        guest_error("fw_cfg: DMA read into 0x%llx+0x%x is not RAM\n", (unsigned long long)addr,
                    len);
        return false;
    }
    size_t have = s->cur && s->offset < s->cur_len ? s->cur_len - s->offset : 0;
    size_t n = have < len ? have : len;
    if (n) {
        as_write_buf(s->mem, addr, s->cur + s->offset, n);
        s->offset += n;
    }
    static const uint8_t zeros[4096];
    for (uint64_t done = n; done < len;) {
        size_t chunk = len - done < sizeof(zeros) ? (size_t)(len - done) : sizeof(zeros);
        as_write_buf(s->mem, addr + done, zeros, chunk);
        done += chunk;
    }
    return true;
}

static void dma_run(FwCfg *s, uint64_t desc_addr)
{
    uint8_t d[FW_CFG_DMA_ACCESS_SIZE];
    if (!dma_range_ok(s, desc_addr, sizeof(d), true)) {
        guest_error("fw_cfg: DMA descriptor at 0x%llx is not RAM\n",
                    (unsigned long long)desc_addr);
        return;
    }
    as_read_buf(s->mem, desc_addr, d, sizeof(d));
    uint32_t control = ld_be32(d);
    uint32_t length = ld_be32(d + 4);
    uint64_t addr = (uint64_t)ld_be32(d + 8) << 32 | ld_be32(d + 12);
    bool ok = true;

    if (control & FW_CFG_DMA_CTL_SELECT)
        fw_cfg_select(s, (uint16_t)(control >> 16));
    if (control & FW_CFG_DMA_CTL_READ) {
        ok = dma_read_item(s, addr, length);
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        guest_error("fw_cfg: DMA write to item 0x%04x: no item is writable\n", s->selector);
        ok = false;
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        size_t have = s->cur && s->offset < s->cur_len ? s->cur_len - s->offset : 0;
        s->offset += have < length ? have : length;
    }
    uint8_t result[4];
    st_be32(result, ok ? 0 : FW_CFG_DMA_CTL_ERROR);
    as_write_buf(s->mem, desc_addr, result, sizeof(result));
}

static uint64_t dma_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && offset + i < 8; i++)
        v |= ((FW_CFG_DMA_SIGNATURE >> (56 - 8 * (offset + i))) & 0xFF) << (8 * i);
    return v;
}

static void dma_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    FwCfg *s = opaque;
    if (size != 4 || (offset != 0 && offset != 4)) {
        guest_error("fw_cfg: %u-byte write at DMA register offset %llu ignored\n", size,
                    (unsigned long long)offset);
        return;
    }
    /* Port bytes are the register's big-endian image. */
    uint32_t half = bswap32((uint32_t)value);
    if (offset == 0) {
        s->dma_high = half;
        return;
    }
    uint64_t addr = (uint64_t)s->dma_high << 32 | half;
    s->dma_high = 0;
    dma_run(s, addr);
}

static const MemoryRegionOps dma_ops = {
    .read = dma_read, .write = dma_write, .min_access = 1, .max_access = 4,
};

/* ---- lifetime ---- */

void fw_cfg_reset(FwCfg *s)
{
    s->dma_high = 0;
    fw_cfg_select(s, FW_CFG_SIGNATURE);
}

FwCfg *fw_cfg_create(AddressSpace *io, uint16_t io_base, AddressSpace *mem)
{
    FwCfg *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->mem = mem;
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(s, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    dir_rebuild(s);
    fw_cfg_reset(s);
    if (io) {
        as_map_io(io, "fw_cfg", io_base, 2, &ctl_ops, s);
        as_map_io(io, "fw_cfg-dma", io_base + (FW_CFG_IO_DMA_HIGH - FW_CFG_IO_BASE), 8, &dma_ops, s);
    }
    return s;
}

void fw_cfg_free(FwCfg *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nitems; i++)
        free(s->items[i].data);
    for (int i = 0; i < s->nfiles; i++)
        free(s->files[i].data);
    free(s);
}
