/*
 * qcow2 consistency check, as `qemu-img check` does it: count every
 * reference to every host cluster (header, L1/L2 tables of the active layer
 * and of each snapshot, data and compressed clusters, refcount table and
 * blocks, snapshot table, persistent bitmaps) and compare with the stored
 * refcounts. Fewer references than the refcount is a leak; more is
 * corruption. Reference: qcow2 specification. Leaves out: repair (-r).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

#define CHECK_MAX_CLUSTERS (1ull << 30)       /* 4 GiB of counters */

typedef struct CheckState {
    Qcow2 *s;
    FILE *out;
    Qcow2CheckResult *res;
    uint32_t *refs;
    uint64_t nclusters;
    uint8_t *table;                   /* one cluster of L2 or bitmap table */
} CheckState;

static void check_ref(CheckState *c, uint64_t offset, uint64_t len, const char *what)
{
    if (!len)
        return;
    if (offset + len < offset || ((offset + len - 1) >> c->s->cluster_bits) >= c->nclusters) {
        fprintf(c->out, "ERROR %s at offset 0x%llx (%llu bytes) lies past the end of the image\n",
                what, (unsigned long long)offset, (unsigned long long)len);
        c->res->corruptions++;
        return;
    }
    for (uint64_t i = offset >> c->s->cluster_bits; i <= (offset + len - 1) >> c->s->cluster_bits; i++)
        if (c->refs[i] != UINT32_MAX)
            c->refs[i]++;
}

static bool check_aligned(CheckState *c, uint64_t offset, const char *what)
{
    if (offset & (c->s->cluster_size - 1)) {
        fprintf(c->out, "ERROR %s offset=0x%llx: not cluster aligned\n", what,
                (unsigned long long)offset);
        c->res->corruptions++;
        return false;
    }
    return true;
}

static void check_l2(CheckState *c, uint64_t l2_off, bool active, uint64_t *prev_host)
{
    Qcow2 *s = c->s;
    if (!qcow2_table_ok(s, l2_off))
        return;                                   /* reported by check_ref */
    if (block_file_pread(s->fd, l2_off, c->table, s->cluster_size, false) < 0) {
        fprintf(c->out, "ERROR cannot read L2 table at 0x%llx\n", (unsigned long long)l2_off);
        c->res->check_errors++;
        return;
    }
    for (uint64_t j = 0; j < s->cluster_size / 8; j++) {
        uint64_t e = qcow2_ld64(c->table + 8 * j);
        if (e & QCOW2_OFLAG_COMPRESSED) {
            uint64_t off, sectors;
            if (e & QCOW2_OFLAG_COPIED) {
                fprintf(c->out, "ERROR compressed cluster with OFLAG_COPIED: l2_entry=%llx\n",
                        (unsigned long long)e);
                c->res->corruptions++;
            }
            qcow2_compressed_extent(s, e, &off, &sectors);
            check_ref(c, off & ~511ull, sectors * 512, "compressed cluster");
            if (active) {
                c->res->allocated_clusters++;
                c->res->compressed_clusters++;
            }
            continue;
        }
        uint64_t host = e & QCOW2_OFFSET_MASK;
        uint64_t reserved = QCOW2_L2_STD_RESERVED | (s->version < 3 ? QCOW2_OFLAG_ZERO : 0);
        if (e & reserved) {
            fprintf(c->out, "ERROR L2 entry 0x%llx at 0x%llx has reserved bits set\n",
                    (unsigned long long)e, (unsigned long long)(l2_off + 8 * j));
            c->res->corruptions++;
        }
        if (!host || !check_aligned(c, host, "data cluster"))
            continue;
        check_ref(c, host, s->cluster_size, "data cluster");
        if (active && !(e & QCOW2_OFLAG_ZERO)) {
            c->res->allocated_clusters++;
            if (*prev_host && host != *prev_host + s->cluster_size)
                c->res->fragmented_clusters++;
            *prev_host = host;
        }
    }
}

static void check_l1(CheckState *c, const uint64_t *l1, uint32_t l1_size, bool active)
{
    uint64_t prev_host = 0;
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t off = l1[i] & QCOW2_OFFSET_MASK;
        if (l1[i] & QCOW2_L1_RESERVED) {
            fprintf(c->out, "ERROR L1 entry %u (0x%llx) has reserved bits set\n", i,
                    (unsigned long long)l1[i]);
            c->res->corruptions++;
        }
        if (!off || !check_aligned(c, off, "L2 table"))
            continue;
        check_ref(c, off, c->s->cluster_size, "L2 table");
        check_l2(c, off, active, &prev_host);
    }
}

static void check_snapshots(CheckState *c)
{
    Qcow2 *s = c->s;
    uint64_t pos = s->snapshots_offset;
    for (uint32_t n = 0; n < s->nb_snapshots; n++) {
        uint8_t h[40];
        if (block_file_pread(s->fd, pos, h, sizeof(h), false) < 0) {
            fprintf(c->out, "ERROR snapshot table entry %u lies past the end of the image\n", n);
            c->res->corruptions++;
            return;
        }
        uint64_t l1_off = qcow2_ld64(h);
        uint32_t l1_size = qcow2_ld32(h + 8);
        uint64_t len = 40ull + qcow2_ld32(h + 36) + qcow2_ld16(h + 12) + qcow2_ld16(h + 14);
        pos += (len + 7) & ~7ull;
        if (l1_size > QCOW2_MAX_L1_BYTES / 8 || !check_aligned(c, l1_off, "snapshot L1 table") ||
            l1_off > s->file_size || (uint64_t)l1_size * 8 > s->file_size - l1_off) {
            fprintf(c->out, "ERROR snapshot %u has an invalid L1 table\n", n);
            c->res->corruptions++;
            continue;
        }
        check_ref(c, l1_off, (uint64_t)l1_size * 8, "snapshot L1 table");
        uint8_t *raw = malloc((size_t)l1_size * 8 + 1);
        uint64_t *l1 = malloc((size_t)l1_size * 8 + 1);
        if (raw && l1 && block_file_pread(s->fd, l1_off, raw, (size_t)l1_size * 8, false) == 0) {
            for (uint32_t i = 0; i < l1_size; i++)
                l1[i] = qcow2_ld64(raw + 8 * i);
            check_l1(c, l1, l1_size, false);
        } else {
            c->res->check_errors++;
        }
        free(raw);
        free(l1);
    }
    check_ref(c, s->snapshots_offset, pos - s->snapshots_offset, "snapshot table");
}

static void check_bitmaps(CheckState *c)
{
    Qcow2 *s = c->s;
    if (!s->nb_bitmaps)
        return;
    check_ref(c, s->bitmap_dir_offset, s->bitmap_dir_size, "bitmap directory");
    if (s->bitmap_dir_size > QCOW2_MAX_BITMAP_DIR) {
        c->res->check_errors++;
        return;
    }
    uint8_t *dir = malloc(s->bitmap_dir_size + 1);
    if (!dir || block_file_pread(s->fd, s->bitmap_dir_offset, dir, s->bitmap_dir_size, false) < 0) {
        free(dir);
        c->res->check_errors++;
        return;
    }
    uint64_t pos = 0;
    for (uint32_t n = 0; n < s->nb_bitmaps && pos + 24 <= s->bitmap_dir_size; n++) {
        uint64_t table = qcow2_ld64(dir + pos);
        uint32_t entries = qcow2_ld32(dir + pos + 8);
        uint64_t len = 24ull + qcow2_ld32(dir + pos + 20) + qcow2_ld16(dir + pos + 18);
        pos += (len + 7) & ~7ull;
        if (!check_aligned(c, table, "bitmap table"))
            continue;
        if (table > s->file_size || (uint64_t)entries * 8 > s->file_size - table) {
            fprintf(c->out, "ERROR bitmap table at 0x%llx lies past the end of the image\n",
                    (unsigned long long)table);
            c->res->corruptions++;
            continue;
        }
        check_ref(c, table, (uint64_t)entries * 8, "bitmap table");
        for (uint64_t i = 0; i < entries; i++) {
            uint8_t e[8];
            if (block_file_pread(s->fd, table + 8 * i, e, 8, false) < 0) {
                c->res->check_errors++;
                break;
            }
            uint64_t off = qcow2_ld64(e) & QCOW2_OFFSET_MASK;
            if (off && check_aligned(c, off, "bitmap data"))
                check_ref(c, off, s->cluster_size, "bitmap data");
        }
    }
    free(dir);
}

/* QCOW2_OFLAG_COPIED must be set exactly where the refcount is one. */
static void check_copied_flags(CheckState *c)
{
    Qcow2 *s = c->s;
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t off = s->l1[i] & QCOW2_OFFSET_MASK, rc;
        if (!off || !qcow2_table_ok(s, off) || qcow2_get_refcount(s, off >> s->cluster_bits, &rc) < 0)
            continue;
        if ((rc == 1) != !!(s->l1[i] & QCOW2_OFLAG_COPIED)) {
            fprintf(c->out, "ERROR OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%llx "
                    "refcount=%llu\n", i, (unsigned long long)s->l1[i], (unsigned long long)rc);
            c->res->corruptions++;
        }
        if (block_file_pread(s->fd, off, c->table, s->cluster_size, false) < 0)
            continue;
        for (uint64_t j = 0; j < s->cluster_size / 8; j++) {
            uint64_t e = qcow2_ld64(c->table + 8 * j), host = e & QCOW2_OFFSET_MASK;
            if ((e & QCOW2_OFLAG_COMPRESSED) || !host || (host & (s->cluster_size - 1)) ||
                qcow2_get_refcount(s, host >> s->cluster_bits, &rc) < 0)
                continue;
            if ((rc == 1) != !!(e & QCOW2_OFLAG_COPIED)) {
                fprintf(c->out, "ERROR OFLAG_COPIED data cluster: l2_entry=%llx refcount=%llu\n",
                        (unsigned long long)e, (unsigned long long)rc);
                c->res->corruptions++;
            }
        }
    }
}

int qcow2_check(BlockNode *bn, FILE *out, Qcow2CheckResult *res)
{
    memset(res, 0, sizeof(*res));
    if (bn->drv != &block_driver_qcow2)
        return -ENOTSUP;
    Qcow2 *s = bn->opaque;
    CheckState c = { .s = s, .out = out, .res = res };
    c.nclusters = qcow2_clusters(s, s->file_size);
    if (c.nclusters > CHECK_MAX_CLUSTERS)
        return -EFBIG;
    c.refs = calloc(c.nclusters + 1, sizeof(*c.refs));
    c.table = malloc(s->cluster_size);
    if (!c.refs || !c.table) {
        free(c.refs);
        free(c.table);
        return -ENOMEM;
    }
    res->guest_clusters = qcow2_clusters(s, bn->size);

    check_ref(&c, 0, s->cluster_size, "header");
    check_ref(&c, s->l1_offset, (uint64_t)s->l1_size * 8, "L1 table");
    check_l1(&c, s->l1, s->l1_size, true);
    check_ref(&c, s->rt_offset, (uint64_t)s->rt_clusters << s->cluster_bits, "refcount table");
    for (uint64_t i = 0; i < s->rt_entries; i++)
        if (s->rt[i])
            check_ref(&c, s->rt[i], s->cluster_size, "refcount block");
    check_snapshots(&c);
    check_bitmaps(&c);

    uint64_t end = 0;
    for (uint64_t i = 0; i < c.nclusters; i++) {
        uint64_t stored;
        if (qcow2_get_refcount(s, i, &stored) < 0) {
            fprintf(out, "ERROR cannot get the refcount of cluster %llu\n", (unsigned long long)i);
            res->check_errors++;
            continue;
        }
        if (stored || c.refs[i])
            end = i + 1;
        if (stored != c.refs[i]) {
            fprintf(out, "%s cluster %llu refcount=%llu reference=%llu\n",
                    stored < c.refs[i] ? "ERROR" : "Leaked", (unsigned long long)i,
                    (unsigned long long)stored, (unsigned long long)c.refs[i]);
            if (stored < c.refs[i])
                res->corruptions++;
            else
                res->leaks++;
        }
    }
    res->image_end_offset = end << s->cluster_bits;
    check_copied_flags(&c);
    free(c.refs);
    free(c.table);
    return 0;
}
