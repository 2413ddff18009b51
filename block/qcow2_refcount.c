/*
 * qcow2 host-cluster bookkeeping: the metadata cache, reading and writing
 * refcounts of any width (1..64 bits), finding free clusters, creating
 * refcount blocks and growing the refcount table as the file grows.
 * Reference: qcow2 specification, "Host cluster management". Every update
 * is written through at once; there is no lazy-refcount mode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "mimic/log.h"

bool qcow2_table_ok(const Qcow2 *s, uint64_t offset)
{
    return offset != 0 && (offset & (s->cluster_size - 1)) == 0 &&
           offset <= s->file_size && s->file_size - offset >= s->cluster_size;
}

int qcow2_file_write(Qcow2 *s, uint64_t offset, const void *buf, size_t len)
{
    int r = block_file_pwrite(s->fd, offset, buf, len);
    if (r == 0 && offset + len > s->file_size)
        s->file_size = offset + len;
    return r;
}

static int qcow2_cache_victim(Qcow2Cache *c)
{
    int victim = 0;
    for (int i = 0; i < QCOW2_CACHE_ENTRIES; i++) {
        if (!c->offset[i])
            return i;
        if (c->last_use[i] < c->last_use[victim])
            victim = i;
    }
    return victim;
}

int qcow2_cache_get(Qcow2 *s, Qcow2Cache *c, uint64_t offset, uint8_t **table)
{
    for (int i = 0; i < QCOW2_CACHE_ENTRIES; i++) {
        if (c->offset[i] == offset && offset) {
            c->last_use[i] = ++c->clock;
            *table = c->data[i];
            return 0;
        }
    }
    if (!qcow2_table_ok(s, offset)) {
        guest_error("%s: qcow2 metadata table at 0x%llx is outside the file\n",
                    s->bn->filename, (unsigned long long)offset);
        return -EIO;
    }
    int v = qcow2_cache_victim(c);
    if (!c->data[v] && !(c->data[v] = malloc(s->cluster_size)))
        return -ENOMEM;
    c->offset[v] = 0;
    int r = block_file_pread(s->fd, offset, c->data[v], s->cluster_size, false);
    if (r < 0)
        return r;
    c->offset[v] = offset;
    c->last_use[v] = ++c->clock;
    *table = c->data[v];
    return 0;
}

uint8_t *qcow2_cache_install(Qcow2 *s, Qcow2Cache *c, uint64_t offset, const uint8_t *data)
{
    int v = -1;
    for (int i = 0; i < QCOW2_CACHE_ENTRIES; i++)
        if (c->offset[i] == offset)
            v = i;
    if (v < 0)
        v = qcow2_cache_victim(c);
    if (!c->data[v] && !(c->data[v] = malloc(s->cluster_size)))
        return NULL;
    if (data)
        memmove(c->data[v], data, s->cluster_size);
    else
        memset(c->data[v], 0, s->cluster_size);
    c->offset[v] = offset;
    c->last_use[v] = ++c->clock;
    return c->data[v];
}

void qcow2_cache_drop(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < QCOW2_CACHE_ENTRIES; i++)
        if (c->offset[i] == offset)
            c->offset[i] = 0;
}

void qcow2_cache_free(Qcow2Cache *c)
{
    for (int i = 0; i < QCOW2_CACHE_ENTRIES; i++) {
        free(c->data[i]);
        c->data[i] = NULL;
        c->offset[i] = 0;
    }
}

/* Entry i of a refcount block; sub-byte widths count from bit 0 up. */
static uint64_t refblock_get(const Qcow2 *s, const uint8_t *b, uint64_t i)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        uint64_t bit = i << s->refcount_order;
        return (b[bit >> 3] >> (bit & 7)) & s->refcount_max;
    }
    case 3: return b[i];
    case 4: return qcow2_ld16(b + 2 * i);
    case 5: return qcow2_ld32(b + 4 * i);
    default: return qcow2_ld64(b + 8 * i);
    }
}

/* Set entry i; *pos and *len say which bytes changed. */
static void refblock_set(const Qcow2 *s, uint8_t *b, uint64_t i, uint64_t v,
                         size_t *pos, size_t *len)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        uint64_t bit = i << s->refcount_order;
        uint8_t mask = (uint8_t)(s->refcount_max << (bit & 7));
        b[bit >> 3] = (uint8_t)((b[bit >> 3] & ~mask) | ((v << (bit & 7)) & mask));
        *pos = bit >> 3;
        *len = 1;
        return;
    }
    case 3: b[i] = (uint8_t)v; *pos = i; *len = 1; return;
    case 4: b[2 * i] = (uint8_t)(v >> 8); b[2 * i + 1] = (uint8_t)v; *pos = 2 * i; *len = 2; return;
    case 5: qcow2_st32(b + 4 * i, (uint32_t)v); *pos = 4 * i; *len = 4; return;
    default: qcow2_st64(b + 8 * i, v); *pos = 8 * i; *len = 8; return;
    }
}

int qcow2_get_refcount(Qcow2 *s, uint64_t cluster, uint64_t *refcount)
{
    uint64_t rti = cluster >> s->refblock_bits;
    *refcount = 0;
    if (rti >= s->rt_entries || !s->rt[rti])
        return 0;
    uint8_t *b;
    int r = qcow2_cache_get(s, &s->rb_cache, s->rt[rti], &b);
    if (r < 0)
        return r;
    *refcount = refblock_get(s, b, cluster & ((1ull << s->refblock_bits) - 1));
    return 0;
}

static bool in_range(uint64_t c, uint64_t start, uint64_t count)
{
    return c >= start && c - start < count;
}

/* Clusters the header says are metadata: never hand them out, whatever a
 * (damaged) refcount says. */
static bool qcow2_cluster_reserved(const Qcow2 *s, uint64_t c)
{
    if (c == 0)
        return true;
    if (s->l1_size && in_range(c, s->l1_offset >> s->cluster_bits,
                               qcow2_clusters(s, (uint64_t)s->l1_size * 8)))
        return true;
    if (in_range(c, s->rt_offset >> s->cluster_bits, s->rt_clusters))
        return true;
    if (in_range(c, s->grow_start, s->grow_count))
        return true;
    return s->alloc_pending && c == s->alloc_pending - 1;
}

static int qcow2_write_rt_entry(Qcow2 *s, uint64_t rti)
{
    if (s->rt_in_memory_only)
        return 0;
    uint8_t e[8];
    qcow2_st64(e, s->rt[rti]);
    return qcow2_file_write(s, s->rt_offset + rti * 8, e, 8);
}

/* A new refcount block for table index rti, needed to count cluster c. It
 * goes inside the range it covers (all free, since it has no block yet),
 * so it counts itself and nothing else has to change. */
static int qcow2_alloc_refblock(Qcow2 *s, uint64_t rti, uint64_t c)
{
    uint64_t start = rti << s->refblock_bits, n = 1ull << s->refblock_bits, b;
    for (b = start; b < start + n; b++)
        if (b != c && !qcow2_cluster_reserved(s, b))
            break;
    if (b == start + n)
        return -ENOSPC;
    uint8_t *blk = qcow2_cache_install(s, &s->rb_cache, b << s->cluster_bits, NULL);
    if (!blk)
        return -ENOMEM;
    size_t pos, len;
    refblock_set(s, blk, b - start, 1, &pos, &len);
    int r = qcow2_file_write(s, b << s->cluster_bits, blk, s->cluster_size);
    if (r < 0) {
        qcow2_cache_drop(&s->rb_cache, b << s->cluster_bits);
        return r;
    }
    s->rt[rti] = b << s->cluster_bits;
    return qcow2_write_rt_entry(s, rti);
}

/* The refcount table cannot name a block for cluster c: write a bigger
 * table after everything it could have to count, give its clusters (and
 * the blocks they need) refcounts while it is only in memory, then switch
 * the header over and free the old table. */
static int qcow2_grow_reftable(Qcow2 *s, uint64_t c)
{
    uint64_t rb_entries = 1ull << s->refblock_bits;
    uint64_t start = s->rt_entries << s->refblock_bits;
    uint64_t file_end = qcow2_clusters(s, s->file_size);
    if (start < file_end)
        start = file_end;
    if (start < c + 1)
        start = c + 1;
    if (start < s->alloc_pending)
        start = s->alloc_pending;
    uint64_t entries = s->rt_entries * 2, clusters;
    if (entries < (c >> s->refblock_bits) + 1)
        entries = (c >> s->refblock_bits) + 1;
    for (;;) {
        clusters = (entries * 8 + s->cluster_size - 1) >> s->cluster_bits;
        uint64_t need = ((start + clusters + clusters / rb_entries + 2) >> s->refblock_bits) + 1;
        if (entries >= need)
            break;
        entries = need;
    }
    if (clusters << s->cluster_bits > QCOW2_MAX_REFTABLE_BYTES) {
        guest_error("%s: qcow2 refcount table would exceed %u bytes\n", s->bn->filename,
                    QCOW2_MAX_REFTABLE_BYTES);
        return -ENOSPC;
    }
    entries = (clusters << s->cluster_bits) / 8;
    uint64_t *table = calloc(entries, 8);
    uint8_t *raw = calloc(clusters, s->cluster_size);
    if (!table || !raw) {
        free(table);
        free(raw);
        return -ENOMEM;
    }
    memcpy(table, s->rt, s->rt_entries * 8);
    uint64_t *old = s->rt, old_entries = s->rt_entries;
    uint64_t old_offset = s->rt_offset, old_clusters = s->rt_clusters;
    s->rt = table;
    s->rt_entries = entries;
    s->grow_start = start;
    s->grow_count = clusters;
    s->rt_in_memory_only = true;
    int r = 0;
    for (uint64_t i = 0; i < clusters && r == 0; i++)
        r = qcow2_set_refcount(s, start + i, 1);
    s->rt_in_memory_only = false;
    if (r == 0) {
        for (uint64_t i = 0; i < entries; i++)
            qcow2_st64(raw + i * 8, table[i]);
        r = qcow2_file_write(s, start << s->cluster_bits, raw, clusters << s->cluster_bits);
    }
    if (r == 0 && fdatasync(s->fd) < 0 && !s->bn->temporary)
        r = -errno;
    if (r == 0) {
        uint8_t hdr[12];
        qcow2_st64(hdr, start << s->cluster_bits);
        qcow2_st32(hdr + 8, (uint32_t)clusters);
        r = qcow2_file_write(s, 48, hdr, sizeof(hdr));
    }
    free(raw);
    s->grow_start = s->grow_count = 0;
    if (r < 0) {
        /* What the failed attempt allocated leaks; nothing points at it. */
        s->rt = old;
        s->rt_entries = old_entries;
        free(table);
        return r;
    }
    s->rt_offset = start << s->cluster_bits;
    s->rt_clusters = (uint32_t)clusters;
    free(old);
    for (uint64_t i = 0; i < old_clusters && r == 0; i++)
        r = qcow2_unref_cluster(s, old_offset + (i << s->cluster_bits));
    return r;
}

int qcow2_set_refcount(Qcow2 *s, uint64_t cluster, uint64_t refcount)
{
    if (refcount > s->refcount_max) {
        guest_error("%s: qcow2 refcount of cluster %llu would overflow %u bits\n",
                    s->bn->filename, (unsigned long long)cluster, s->refcount_bits);
        return -ERANGE;
    }
    uint64_t rti = cluster >> s->refblock_bits;
    int r;
    if (rti >= s->rt_entries && (r = qcow2_grow_reftable(s, cluster)) < 0)
        return r;
    if (!s->rt[rti] && (r = qcow2_alloc_refblock(s, rti, cluster)) < 0)
        return r;
    uint8_t *b;
    if ((r = qcow2_cache_get(s, &s->rb_cache, s->rt[rti], &b)) < 0)
        return r;
    size_t pos, len;
    refblock_set(s, b, cluster & ((1ull << s->refblock_bits) - 1), refcount, &pos, &len);
    return qcow2_file_write(s, s->rt[rti] + pos, b + pos, len);
}

int64_t qcow2_alloc_cluster(Qcow2 *s)
{
    /* Host offsets are 56 bits wide in L1/L2 entries. Past the end of the
     * file every cluster should be free: a damaged refcount table that
     * claims otherwise must not make us scan for hours. */
    uint64_t limit = 1ull << (56 - s->cluster_bits), n = 1ull << s->refblock_bits;
    uint64_t far = qcow2_clusters(s, s->file_size) + QCOW2_MAX_USED_PAST_END;
    if (far < s->free_hint + QCOW2_MAX_USED_PAST_END)
        far = s->free_hint + QCOW2_MAX_USED_PAST_END;
    if (limit > far)
        limit = far;
    uint64_t c = s->free_hint;
    while (c < limit) {
        uint64_t rti = c >> s->refblock_bits;
        if (rti >= s->rt_entries || !s->rt[rti]) {
            if (!qcow2_cluster_reserved(s, c))
                break;
            c++;
            continue;
        }
        uint8_t *b;
        int r = qcow2_cache_get(s, &s->rb_cache, s->rt[rti], &b);
        if (r < 0)
            return r;
        uint64_t end = (rti + 1) * n;
        while (c < end && (refblock_get(s, b, c & (n - 1)) || qcow2_cluster_reserved(s, c)))
            c++;
        if (c < end)
            break;
    }
    if (c >= limit) {
        guest_error("%s: qcow2 refcounts leave no free cluster (damaged image?)\n",
                    s->bn->filename);
        return -ENOSPC;
    }
    s->alloc_pending = c + 1;
    int r = qcow2_set_refcount(s, c, 1);
    s->alloc_pending = 0;
    if (r < 0)
        return r;
    s->free_hint = c + 1;
    return (int64_t)(c << s->cluster_bits);
}

int qcow2_unref_cluster(Qcow2 *s, uint64_t offset)
{
    uint64_t c = offset >> s->cluster_bits, rc;
    int r = qcow2_get_refcount(s, c, &rc);
    if (r < 0)
        return r;
    if (rc == 0) {
        guest_error("%s: qcow2 cluster %llu is in use but its refcount is 0 (image "
                    "damaged; run mimic-img check)\n", s->bn->filename, (unsigned long long)c);
        return -EIO;
    }
    if ((r = qcow2_set_refcount(s, c, rc - 1)) < 0)
        return r;
    if (rc == 1) {
        if (c < s->free_hint)
            s->free_hint = c;
        qcow2_cache_drop(&s->l2_cache, c << s->cluster_bits);
        s->comp_entry = 0;
    }
    return 0;
}

int qcow2_unref_l2_entry(Qcow2 *s, uint64_t entry)
{
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        uint64_t off, sectors;
        qcow2_compressed_extent(s, entry, &off, &sectors);
        uint64_t first = (off & ~511ull) >> s->cluster_bits;
        uint64_t last = ((off & ~511ull) + sectors * 512 - 1) >> s->cluster_bits;
        for (uint64_t c = first; c <= last; c++) {
            int r = qcow2_unref_cluster(s, c << s->cluster_bits);
            if (r < 0)
                return r;
        }
        return 0;
    }
    uint64_t off = entry & QCOW2_OFFSET_MASK;
    return off ? qcow2_unref_cluster(s, off) : 0;
}
