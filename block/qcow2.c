/*
 * qcow2 images, versions 2 and 3: header and extension parsing with every
 * field checked against the file, the L1/L2 mapping, reads (backing file,
 * zero and zlib-compressed clusters) and allocate-on-write with copy of the
 * untouched part of a cluster. Reference: QEMU's docs/interop/qcow2.txt.
 * Leaves out: encryption, external data files, extended L2 entries, zstd,
 * lazy refcounts (dirty images are refused), creating snapshots, resize.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "block/qcow2.h"
#include "mimic/log.h"

static int qcow2_probe(const uint8_t *head, size_t len)
{
    return len >= 8 && qcow2_ld32(head) == QCOW2_MAGIC && qcow2_ld32(head + 4) >= 2 ? 100 : 0;
}

static int __attribute__((format(printf, 4, 5)))
qcow2_fail(const BlockNode *bn, char *err, size_t errlen, const char *fmt, ...)
{
    char why[BLOCK_ERR_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s: %s", bn->filename, why);
    return -1;
}

void qcow2_compressed_extent(const Qcow2 *s, uint64_t entry, uint64_t *offset, uint64_t *sectors)
{
    unsigned x = 62 - (s->cluster_bits - 8);
    *offset = entry & ((1ull << x) - 1);
    *sectors = ((entry >> x) & ((1ull << (s->cluster_bits - 8)) - 1)) + 1;
}

static const char *const incompat_names[] = {
    "dirty bit", "corrupt bit", "external data file", "compression type", "extended L2 entries",
};

/* "bit 7, 'foo'" for incompatible bits we do not know, named from the
 * image's own feature name table when it has one. */
static void qcow2_name_features(const Qcow2 *s, uint64_t bits, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = 0;
    for (int bit = 0; bit < 64; bit++) {
        if (!(bits >> bit & 1))
            continue;
        const char *name = bit < 5 ? incompat_names[bit] : NULL;
        for (int i = 0; i < s->nfeatures; i++)
            if (s->features[i].type == 0 && s->features[i].bit == bit)
                name = s->features[i].name;
        int w = name ? snprintf(out + n, outlen - n, "%s'%s'", n ? ", " : "", name)
                     : snprintf(out + n, outlen - n, "%sbit %d", n ? ", " : "", bit);
        if (w < 0 || (size_t)w >= outlen - n)
            return;
        n += (size_t)w;
    }
}

/* A table of n big-endian 64-bit entries at off (the L1 and refcount
 * tables), into a new host-order array (*out, also on failure: the caller
 * frees it with the state). 0, or a negative errno (-ENOMEM, read errors). */
static int qcow2_read_table(int fd, uint64_t off, uint64_t n, uint64_t **out)
{
    uint8_t *raw = malloc(n * 8);
    *out = malloc(n * 8);
    if (!raw || !*out) {
        free(raw);
        return -ENOMEM;
    }
    int r = block_file_pread(fd, off, raw, n * 8, false);
    for (uint64_t i = 0; r == 0 && i < n; i++)
        (*out)[i] = qcow2_ld64(raw + 8 * i);
    free(raw);
    return r;
}

/* Header extensions sit between the header and the backing file name (or
 * the end of the first cluster). */
static int qcow2_read_extensions(Qcow2 *s, const uint8_t *c0, uint64_t start, uint64_t end,
                                 char *err, size_t errlen)
{
    BlockNode *bn = s->bn;
    uint64_t off = start;
    while (off + 8 <= end) {
        uint32_t type = qcow2_ld32(c0 + off), len = qcow2_ld32(c0 + off + 4);
        if (type == QCOW2_EXT_END)
            return 0;
        off += 8;
        if (len > end - off)
            return qcow2_fail(bn, err, errlen, "qcow2 header extension 0x%08x at %llu runs "
                              "past the header area (damaged image)", type,
                              (unsigned long long)off - 8);
        const uint8_t *data = c0 + off;
        switch (type) {
        case QCOW2_EXT_BACKING_FORMAT:
            if (len > QCOW2_MAX_FORMAT_NAME)
                return qcow2_fail(bn, err, errlen, "backing format name is %u bytes long "
                                  "(damaged image)", len);
            memcpy(s->backing_format, data, len);
            s->backing_format[len] = 0;
            break;
        case QCOW2_EXT_FEATURE_TABLE:
            for (uint32_t i = 0; i + 48 <= len && s->nfeatures < QCOW2_MAX_FEATURE_NAMES; i += 48) {
                Qcow2FeatureName *f = &s->features[s->nfeatures++];
                f->type = data[i];
                f->bit = data[i + 1];
                memcpy(f->name, data + i + 2, sizeof(f->name) - 1);
                f->name[sizeof(f->name) - 1] = 0;
            }
            break;
        case QCOW2_EXT_BITMAPS:
            if (!(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS))
                break;        /* written by a program that knew no bitmaps: stale */
            if (len < 24)
                return qcow2_fail(bn, err, errlen, "bitmaps extension too short (damaged image)");
            s->nb_bitmaps = qcow2_ld32(data);
            s->bitmap_dir_size = qcow2_ld64(data + 8);
            s->bitmap_dir_offset = qcow2_ld64(data + 16);
            if (s->nb_bitmaps > QCOW2_MAX_BITMAPS || s->bitmap_dir_size > s->file_size ||
                (s->bitmap_dir_offset & (s->cluster_size - 1)) ||
                s->bitmap_dir_offset > s->file_size - s->bitmap_dir_size)
                return qcow2_fail(bn, err, errlen, "bitmap directory outside the file "
                                  "(damaged image)");
            break;
        default:
            break;            /* unknown extensions may be ignored (spec) */
        }
        off += (len + 7ull) & ~7ull;
    }
    return 0;
}

static int qcow2_open_backing(Qcow2 *s, char *err, size_t errlen)
{
    BlockNode *bn = s->bn;
    const char *name = s->backing_file;
    if (!strncmp(name, "json:", 5) || strstr(name, "://"))
        return qcow2_fail(bn, err, errlen, "backing file '%s' is not a local file", name);
    const char *fmt = s->backing_format[0] ? s->backing_format : NULL;
    if (fmt && !block_driver_find(fmt))
        return qcow2_fail(bn, err, errlen, "backing file '%s' has format '%s'; mimic opens raw "
                          "and qcow2", name, fmt);
    /* A relative name is relative to the directory of this image. */
    char path[4096 + QCOW2_MAX_BACKING_NAME + 2];
    const char *slash = strrchr(bn->filename, '/');
    if (name[0] != '/' && slash)
        snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - bn->filename), bn->filename, name);
    else
        snprintf(path, sizeof(path), "%s", name);
    char sub[BLOCK_ERR_SIZE];
    bn->backing = block_node_open(path, fmt, BLOCK_OPEN_READONLY, bn->depth + 1, sub, sizeof(sub));
    if (!bn->backing) {
        /* Only the image the user named prefixes the innermost reason, so a
         * long chain still gives one short line. */
        if (bn->depth == 0)
            return qcow2_fail(bn, err, errlen, "backing file: %s", sub);
        snprintf(err, errlen, "%s", sub);
        return -1;
    }
    return 0;
}

/* Before writing to an image with persistent dirty bitmaps, flag each one
 * in_use (bit 0 of its directory entry), as QEMU does while it has the
 * image open: the bitmaps stay counted, so no cluster leaks, and readers
 * know their contents are stale. False if the directory looks damaged. */
static bool qcow2_mark_bitmaps_in_use(Qcow2 *s)
{
    if (!s->nb_bitmaps || s->bitmap_dir_size > QCOW2_MAX_BITMAP_DIR)
        return false;
    uint8_t *dir = malloc(s->bitmap_dir_size + 1);
    if (!dir || block_file_pread(s->fd, s->bitmap_dir_offset, dir, s->bitmap_dir_size, false) < 0) {
        free(dir);
        return false;
    }
    uint64_t pos = 0;
    uint32_t n;
    for (n = 0; n < s->nb_bitmaps && pos + 24 <= s->bitmap_dir_size; n++) {
        uint32_t flags = qcow2_ld32(dir + pos + 12);
        qcow2_st32(dir + pos + 12, flags | 1);
        pos += (24ull + qcow2_ld32(dir + pos + 20) + qcow2_ld16(dir + pos + 18) + 7) & ~7ull;
    }
    bool ok = n == s->nb_bitmaps && pos <= s->bitmap_dir_size &&
              qcow2_file_write(s, s->bitmap_dir_offset, dir, s->bitmap_dir_size) == 0;
    free(dir);
    return ok;
}

static int qcow2_open(BlockNode *bn, char *err, size_t errlen)
{
    Qcow2 *s = calloc(1, sizeof(*s));
    if (!s)
        return qcow2_fail(bn, err, errlen, "out of memory");
    bn->opaque = s;
    s->bn = bn;
    s->fd = bn->fd;
    int r = block_file_size(s->fd, &s->file_size);
    if (r < 0)
        return qcow2_fail(bn, err, errlen, "cannot get the size: %s", strerror(-r));

    uint8_t h[QCOW2_V3_HEADER_SIZE + 8] = { 0 };
    size_t hlen = s->file_size < sizeof(h) ? (size_t)s->file_size : sizeof(h);
    if ((r = block_file_pread(s->fd, 0, h, hlen, false)) < 0)
        return qcow2_fail(bn, err, errlen, "cannot read: %s", strerror(-r));
    if (hlen < 4 || qcow2_ld32(h) != QCOW2_MAGIC)
        return qcow2_fail(bn, err, errlen, "not a qcow2 image (bad magic)");
    if (hlen < QCOW2_V2_HEADER_SIZE)
        return qcow2_fail(bn, err, errlen, "qcow2 header truncated (the file is %zu bytes)", hlen);
    s->version = qcow2_ld32(h + 4);
    if (s->version != 2 && s->version != 3)
        return qcow2_fail(bn, err, errlen, "qcow2 version %u is not supported (2 and 3 are)",
                          s->version);
    uint64_t backing_offset = qcow2_ld64(h + 8);
    uint32_t backing_len = qcow2_ld32(h + 16);
    s->cluster_bits = qcow2_ld32(h + 20);
    bn->size = qcow2_ld64(h + 24);
    uint32_t crypt = qcow2_ld32(h + 32);
    s->l1_size = qcow2_ld32(h + 36);
    s->l1_offset = qcow2_ld64(h + 40);
    s->rt_offset = qcow2_ld64(h + 48);
    s->rt_clusters = qcow2_ld32(h + 56);
    s->nb_snapshots = qcow2_ld32(h + 60);
    s->snapshots_offset = qcow2_ld64(h + 64);
    s->header_length = QCOW2_V2_HEADER_SIZE;
    s->refcount_order = 4;
    if (s->version == 3) {
        if (hlen < QCOW2_V3_HEADER_SIZE)
            return qcow2_fail(bn, err, errlen, "qcow2 header truncated (the file is %zu bytes)",
                              hlen);
        s->incompat = qcow2_ld64(h + 72);
        s->compat = qcow2_ld64(h + 80);
        s->autoclear = qcow2_ld64(h + 88);
        s->refcount_order = qcow2_ld32(h + 96);
        s->header_length = qcow2_ld32(h + 100);
    }

    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS || s->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
        return qcow2_fail(bn, err, errlen, "qcow2 cluster size 2^%u is out of range (512 bytes "
                          "to 2 MiB)", s->cluster_bits);
    s->cluster_size = 1ull << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    if (s->version == 3 && (s->header_length < QCOW2_V3_HEADER_SIZE ||
                            s->header_length > s->cluster_size || (s->header_length & 7)))
        return qcow2_fail(bn, err, errlen, "qcow2 header length %llu is invalid",
                          (unsigned long long)s->header_length);
    if (s->header_length > s->file_size)
        return qcow2_fail(bn, err, errlen, "qcow2 header truncated (the file is %llu bytes)",
                          (unsigned long long)s->file_size);
    if (s->refcount_order > QCOW2_MAX_REFCOUNT_ORDER)
        return qcow2_fail(bn, err, errlen, "refcount width 2^%u bits overflows the 64-bit "
                          "maximum (damaged image)", s->refcount_order);
    s->refcount_bits = 1u << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX : (1ull << s->refcount_bits) - 1;
    s->refblock_bits = s->cluster_bits + 3 - s->refcount_order;

    if (crypt != 0)
        return qcow2_fail(bn, err, errlen, "encrypted qcow2 images are not supported");
    char names[256];
    if (s->incompat & QCOW2_INCOMPAT_DIRTY)
        return qcow2_fail(bn, err, errlen, "qcow2 image is dirty (lazy refcounts in use); "
                          "repair it with qemu-img check -r all");
    if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) && !bn->readonly)
        return qcow2_fail(bn, err, errlen, "qcow2 image is marked corrupt; open it read-only "
                          "or repair it with qemu-img check -r all");
    if (s->incompat & QCOW2_INCOMPAT_COMPRESSION) {
        if (s->header_length > QCOW2_V3_HEADER_SIZE && h[104] == 1)
            return qcow2_fail(bn, err, errlen, "qcow2 image uses zstd compression; mimic reads "
                              "zlib (convert it with qemu-img convert -O qcow2)");
    } else if (s->header_length > QCOW2_V3_HEADER_SIZE && h[104] != 0) {
        return qcow2_fail(bn, err, errlen, "qcow2 compression type %u without its feature bit "
                          "(damaged image)", h[104]);
    }

    /* The first cluster: header extensions and the backing file name. */
    size_t c0len = s->file_size < s->cluster_size ? (size_t)s->file_size : (size_t)s->cluster_size;
    uint8_t *c0 = malloc(c0len);
    if (!c0)
        return qcow2_fail(bn, err, errlen, "out of memory");
    if ((r = block_file_pread(s->fd, 0, c0, c0len, false)) < 0) {
        free(c0);
        return qcow2_fail(bn, err, errlen, "cannot read: %s", strerror(-r));
    }
    if (backing_offset) {
        if (backing_len > QCOW2_MAX_BACKING_NAME || backing_offset >= c0len ||
            backing_len > c0len - backing_offset) {
            free(c0);
            return qcow2_fail(bn, err, errlen, "backing file name lies outside the first cluster "
                              "(damaged image)");
        }
        memcpy(s->backing_file, c0 + backing_offset, backing_len);
        s->backing_file[backing_len] = 0;
        if (strlen(s->backing_file) != backing_len) {
            free(c0);
            return qcow2_fail(bn, err, errlen, "backing file name contains a NUL byte "
                              "(damaged image)");
        }
    }
    uint64_t ext_end = backing_offset && backing_offset > s->header_length ? backing_offset : c0len;
    r = qcow2_read_extensions(s, c0, s->header_length, ext_end, err, errlen);
    free(c0);
    if (r < 0)
        return r;
    /* Named after the extensions, so an image's own feature table helps. */
    uint64_t unknown = s->incompat & ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT |
                                       QCOW2_INCOMPAT_COMPRESSION);
    if (unknown) {
        qcow2_name_features(s, unknown, names, sizeof(names));
        return qcow2_fail(bn, err, errlen, "qcow2 image uses unsupported incompatible "
                          "features: %s", names);
    }

    /* L1 table: big enough for the virtual size, inside the file, sane. */
    uint64_t guest_clusters = qcow2_clusters(s, bn->size);
    if (bn->size > (uint64_t)INT64_MAX ||
        (guest_clusters + (1ull << s->l2_bits) - 1) >> s->l2_bits > QCOW2_MAX_L1_BYTES / 8)
        return qcow2_fail(bn, err, errlen, "virtual size %llu is too large for cluster size %llu",
                          (unsigned long long)bn->size, (unsigned long long)s->cluster_size);
    uint64_t l1_needed = (guest_clusters + (1ull << s->l2_bits) - 1) >> s->l2_bits;
    if (s->l1_size > QCOW2_MAX_L1_BYTES / 8)
        return qcow2_fail(bn, err, errlen, "L1 table of %u entries is too large (damaged image)",
                          s->l1_size);
    if (s->l1_size < l1_needed)
        return qcow2_fail(bn, err, errlen, "L1 table of %u entries is too small for the virtual "
                          "size (damaged image)", s->l1_size);
    if (s->l1_size) {
        uint64_t bytes = (uint64_t)s->l1_size * 8;
        if (!s->l1_offset || (s->l1_offset & (s->cluster_size - 1)) ||
            s->l1_offset > s->file_size || bytes > s->file_size - s->l1_offset)
            return qcow2_fail(bn, err, errlen, "L1 table at offset %llu lies outside the file "
                              "(damaged or truncated image)", (unsigned long long)s->l1_offset);
        r = qcow2_read_table(s->fd, s->l1_offset, s->l1_size, &s->l1);
        if (r < 0)
            return qcow2_fail(bn, err, errlen, "cannot read the L1 table: %s", strerror(-r));
        for (uint32_t i = 0; i < s->l1_size; i++) {
            uint64_t off = s->l1[i] & QCOW2_OFFSET_MASK;
            if (s->l1[i] & QCOW2_L1_RESERVED)
                return qcow2_fail(bn, err, errlen, "L1 entry %u has reserved bits set (damaged "
                                  "image)", i);
            if (off && !qcow2_table_ok(s, off))
                return qcow2_fail(bn, err, errlen, "L1 entry %u points past the end of the file "
                                  "(damaged or truncated image)", i);
        }
    }

    /* Refcount table. */
    if (!s->rt_clusters || (uint64_t)s->rt_clusters << s->cluster_bits > QCOW2_MAX_REFTABLE_BYTES)
        return qcow2_fail(bn, err, errlen, "refcount table of %u clusters is out of range "
                          "(damaged image)", s->rt_clusters);
    uint64_t rt_bytes = (uint64_t)s->rt_clusters << s->cluster_bits;
    if (!s->rt_offset || (s->rt_offset & (s->cluster_size - 1)) ||
        s->rt_offset > s->file_size || rt_bytes > s->file_size - s->rt_offset)
        return qcow2_fail(bn, err, errlen, "refcount table at offset %llu lies outside the file "
                          "(damaged or truncated image)", (unsigned long long)s->rt_offset);
    s->rt_entries = rt_bytes / 8;
    r = qcow2_read_table(s->fd, s->rt_offset, s->rt_entries, &s->rt);
    if (r < 0)
        return qcow2_fail(bn, err, errlen, "cannot read the refcount table: %s", strerror(-r));
    for (uint64_t i = 0; i < s->rt_entries; i++) {
        if (s->rt[i] & QCOW2_REFTABLE_RESERVED)
            return qcow2_fail(bn, err, errlen, "refcount table entry %llu is not cluster aligned "
                              "(damaged image)", (unsigned long long)i);
        if (s->rt[i] && !qcow2_table_ok(s, s->rt[i]))
            return qcow2_fail(bn, err, errlen, "refcount table entry %llu points past the end of "
                              "the file (damaged or truncated image)", (unsigned long long)i);
    }

    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
        return qcow2_fail(bn, err, errlen, "%u snapshots is too many (damaged image)",
                          s->nb_snapshots);
    if (s->nb_snapshots && (!s->snapshots_offset || (s->snapshots_offset & (s->cluster_size - 1)) ||
                            s->snapshots_offset >= s->file_size))
        return qcow2_fail(bn, err, errlen, "snapshot table lies outside the file (damaged image)");

    if (!(s->cow_buf = malloc(s->cluster_size)))
        return qcow2_fail(bn, err, errlen, "out of memory");

    if (!bn->readonly && s->autoclear) {
        /* Spec: a writer clears the autoclear features it does not keep up. */
        uint64_t keep = qcow2_mark_bitmaps_in_use(s) ? QCOW2_AUTOCLEAR_BITMAPS : 0;
        if (keep != s->autoclear) {
            uint8_t field[8];
            qcow2_st64(field, keep);
            if ((r = qcow2_file_write(s, 88, field, 8)) < 0)
                return qcow2_fail(bn, err, errlen, "cannot write the header: %s", strerror(-r));
            s->autoclear = keep;
        }
        if (!keep)
            s->nb_bitmaps = 0;
    }
    if (s->backing_file[0] && !bn->no_backing && qcow2_open_backing(s, err, errlen) < 0)
        return -1;
    return 0;
}

static void qcow2_close(BlockNode *bn)
{
    Qcow2 *s = bn->opaque;
    qcow2_cache_free(&s->l2_cache);
    qcow2_cache_free(&s->rb_cache);
    free(s->l1);
    free(s->rt);
    free(s->cow_buf);
    free(s->comp_in);
    free(s->comp_out);
    free(s);
    bn->opaque = NULL;
}

/* The L2 entry of guest cluster vc (0: unallocated). */
static int qcow2_l2_entry(Qcow2 *s, uint64_t vc, uint64_t *entry)
{
    uint64_t l1i = vc >> s->l2_bits;
    *entry = 0;
    if (l1i >= s->l1_size)
        return 0;
    uint64_t l2 = s->l1[l1i] & QCOW2_OFFSET_MASK;
    if (!l2)
        return 0;
    uint8_t *t;
    int r = qcow2_cache_get(s, &s->l2_cache, l2, &t);
    if (r < 0)
        return r;
    *entry = qcow2_ld64(t + 8 * (vc & ((1ull << s->l2_bits) - 1)));
    return 0;
}

static int qcow2_decompress(Qcow2 *s, uint64_t entry)
{
    if (s->comp_entry == entry)
        return 0;
    uint64_t off, sectors;
    qcow2_compressed_extent(s, entry, &off, &sectors);
    uint64_t len = sectors * 512 - (off & 511);
    if (off >= s->file_size) {
        guest_error("%s: qcow2 compressed cluster at 0x%llx is past the end of the file\n",
                    s->bn->filename, (unsigned long long)off);
        return -EIO;
    }
    if (!s->comp_in && !(s->comp_in = malloc(2 * s->cluster_size)))
        return -ENOMEM;
    if (!s->comp_out && !(s->comp_out = malloc(s->cluster_size)))
        return -ENOMEM;
    /* The last compressed cluster may end inside a sector the file lacks. */
    int r = block_file_pread(s->fd, off, s->comp_in, len, true);
    if (r < 0)
        return r;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -12) != Z_OK)   /* raw deflate, 4 KiB window: what QEMU writes */
        return -ENOMEM;
    z.next_in = s->comp_in;
    z.avail_in = (uInt)len;
    z.next_out = s->comp_out;
    z.avail_out = (uInt)s->cluster_size;
    int zr = inflate(&z, Z_FINISH);
    bool ok = (zr == Z_STREAM_END || zr == Z_BUF_ERROR || zr == Z_OK) && z.avail_out == 0;
    inflateEnd(&z);
    if (!ok) {
        s->comp_entry = 0;
        guest_error("%s: qcow2 compressed cluster at 0x%llx does not decompress\n",
                    s->bn->filename, (unsigned long long)off);
        return -EIO;
    }
    s->comp_entry = entry;
    return 0;
}

static int qcow2_read_backing(Qcow2 *s, uint64_t off, uint8_t *buf, size_t len)
{
    BlockNode *b = s->bn->backing;
    size_t n = 0;
    if (b && off < b->size) {
        n = b->size - off < len ? (size_t)(b->size - off) : len;
        int r = block_node_pread(b, off, buf, n);
        if (r < 0)
            return r;
    }
    memset(buf + n, 0, len - n);
    return 0;
}

static bool qcow2_entry_is_zero(const Qcow2 *s, uint64_t entry)
{
    return s->version >= 3 && !(entry & QCOW2_OFLAG_COMPRESSED) && (entry & QCOW2_OFLAG_ZERO);
}

/* Bytes [in, in+len) of guest cluster vc. */
static int qcow2_read_cluster(Qcow2 *s, uint64_t vc, uint64_t in, uint8_t *buf, size_t len)
{
    uint64_t entry;
    int r = qcow2_l2_entry(s, vc, &entry);
    if (r < 0)
        return r;
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        if ((r = qcow2_decompress(s, entry)) < 0)
            return r;
        memcpy(buf, s->comp_out + in, len);
        return 0;
    }
    if (qcow2_entry_is_zero(s, entry)) {
        memset(buf, 0, len);
        return 0;
    }
    uint64_t host = entry & QCOW2_OFFSET_MASK;
    if (!host)
        return qcow2_read_backing(s, (vc << s->cluster_bits) + in, buf, len);
    if ((entry & QCOW2_L2_STD_RESERVED) || host >= s->file_size) {
        guest_error("%s: qcow2 L2 entry 0x%llx for guest cluster %llu is invalid\n",
                    s->bn->filename, (unsigned long long)entry, (unsigned long long)vc);
        return -EIO;
    }
    /* A data cluster may stop short of a full cluster at the end of the file. */
    return block_file_pread(s->fd, host + in, buf, len, true);
}

static int qcow2_write_l1_entry(Qcow2 *s, uint64_t l1i)
{
    uint8_t e[8];
    qcow2_st64(e, s->l1[l1i]);
    return qcow2_file_write(s, s->l1_offset + 8 * l1i, e, 8);
}

/* The L2 table for l1i, made writable: a new one if there is none, a copy
 * if it is shared with a snapshot (refcount above one). */
static int qcow2_l2_for_write(Qcow2 *s, uint64_t l1i, uint64_t *l2_offset)
{
    uint64_t old = s->l1[l1i] & QCOW2_OFFSET_MASK, rc = 0;
    int r;
    if (old) {
        if ((r = qcow2_get_refcount(s, old >> s->cluster_bits, &rc)) < 0)
            return r;
        if (rc == 1) {
            *l2_offset = old;
            if (!(s->l1[l1i] & QCOW2_OFLAG_COPIED)) {
                s->l1[l1i] |= QCOW2_OFLAG_COPIED;
                return qcow2_write_l1_entry(s, l1i);
            }
            return 0;
        }
        if (rc == 0) {
            guest_error("%s: qcow2 L2 table at 0x%llx has refcount 0 (damaged image)\n",
                        s->bn->filename, (unsigned long long)old);
            return -EIO;
        }
    }
    int64_t fresh = qcow2_alloc_cluster(s);
    if (fresh < 0)
        return (int)fresh;
    uint8_t *t;
    if (old) {
        uint8_t *src;
        if ((r = qcow2_cache_get(s, &s->l2_cache, old, &src)) < 0)
            return r;
        t = qcow2_cache_install(s, &s->l2_cache, (uint64_t)fresh, src);
    } else {
        t = qcow2_cache_install(s, &s->l2_cache, (uint64_t)fresh, NULL);
    }
    if (!t)
        return -ENOMEM;
    if ((r = qcow2_file_write(s, (uint64_t)fresh, t, s->cluster_size)) < 0)
        return r;
    s->l1[l1i] = (uint64_t)fresh | QCOW2_OFLAG_COPIED;
    if ((r = qcow2_write_l1_entry(s, l1i)) < 0)
        return r;
    *l2_offset = (uint64_t)fresh;
    return old ? qcow2_unref_cluster(s, old) : 0;
}

static int qcow2_write_cluster(Qcow2 *s, uint64_t vc, uint64_t in, const uint8_t *buf, size_t len)
{
    uint64_t l1i = vc >> s->l2_bits, l2i = vc & ((1ull << s->l2_bits) - 1), l2 = 0, rc;
    int r = qcow2_l2_for_write(s, l1i, &l2);
    if (r < 0)
        return r;
    uint8_t *t;
    if ((r = qcow2_cache_get(s, &s->l2_cache, l2, &t)) < 0)
        return r;
    uint64_t entry = qcow2_ld64(t + 8 * l2i);
    uint64_t host = entry & QCOW2_OFFSET_MASK;
    bool standard = !(entry & QCOW2_OFLAG_COMPRESSED) && !qcow2_entry_is_zero(s, entry);
    if (standard && host) {
        if (entry & QCOW2_L2_STD_RESERVED) {
            guest_error("%s: qcow2 L2 entry 0x%llx for guest cluster %llu is invalid\n",
                        s->bn->filename, (unsigned long long)entry, (unsigned long long)vc);
            return -EIO;
        }
        if ((r = qcow2_get_refcount(s, host >> s->cluster_bits, &rc)) < 0)
            return r;
        if (rc == 1) {
            if (!(entry & QCOW2_OFLAG_COPIED)) {
                uint8_t e[8];
                qcow2_st64(t + 8 * l2i, entry | QCOW2_OFLAG_COPIED);
                memcpy(e, t + 8 * l2i, 8);
                if ((r = qcow2_file_write(s, l2 + 8 * l2i, e, 8)) < 0)
                    return r;
            }
            return qcow2_file_write(s, host + in, buf, len);
        }
        if (rc == 0) {
            guest_error("%s: qcow2 data cluster at 0x%llx has refcount 0 (damaged image)\n",
                        s->bn->filename, (unsigned long long)host);
            return -EIO;
        }
    }
    /* Allocate: the new cluster gets the old contents (backing file, zero,
     * compressed or shared data) around the bytes being written. */
    const uint8_t *data = buf;
    if (len != s->cluster_size) {
        if ((r = qcow2_read_cluster(s, vc, 0, s->cow_buf, s->cluster_size)) < 0)
            return r;
        memcpy(s->cow_buf + in, buf, len);
        data = s->cow_buf;
    }
    int64_t fresh = qcow2_alloc_cluster(s);
    if (fresh < 0)
        return (int)fresh;
    if ((r = qcow2_file_write(s, (uint64_t)fresh, data, s->cluster_size)) < 0)
        return r;
    if ((r = qcow2_cache_get(s, &s->l2_cache, l2, &t)) < 0)
        return r;
    uint8_t e[8];
    qcow2_st64(t + 8 * l2i, (uint64_t)fresh | QCOW2_OFLAG_COPIED);
    memcpy(e, t + 8 * l2i, 8);
    if ((r = qcow2_file_write(s, l2 + 8 * l2i, e, 8)) < 0)
        return r;
    if (entry & QCOW2_OFLAG_COMPRESSED)
        return qcow2_unref_l2_entry(s, entry);
    return host ? qcow2_unref_cluster(s, host) : 0;
}

/* Guest bytes [off, off+len) cluster by cluster: read into rbuf, or, when
 * rbuf is NULL, written from wbuf. A request stops at the first failing
 * cluster; the clusters before it stay done. */
static int qcow2_rw(BlockNode *bn, uint64_t off, uint8_t *rbuf, const uint8_t *wbuf, size_t len)
{
    Qcow2 *s = bn->opaque;
    for (size_t done = 0; done < len;) {
        uint64_t pos = off + done, vc = pos >> s->cluster_bits, in = pos & (s->cluster_size - 1);
        size_t n = s->cluster_size - in < len - done ? (size_t)(s->cluster_size - in) : len - done;
        int r = rbuf ? qcow2_read_cluster(s, vc, in, rbuf + done, n)
                     : qcow2_write_cluster(s, vc, in, wbuf + done, n);
        if (r < 0)
            return r;
        done += n;
    }
    return 0;
}

static int qcow2_pread(BlockNode *bn, uint64_t off, void *buf, size_t len)
{
    return qcow2_rw(bn, off, buf, NULL, len);
}

static int qcow2_pwrite(BlockNode *bn, uint64_t off, const void *buf, size_t len)
{
    return qcow2_rw(bn, off, NULL, buf, len);
}

static int qcow2_flush(BlockNode *bn)
{
    return fdatasync(bn->fd) < 0 ? -errno : 0;
}

static bool qcow2_known_zero(BlockNode *bn, uint64_t off, uint64_t len)
{
    Qcow2 *s = bn->opaque;
    while (len) {
        uint64_t vc = off >> s->cluster_bits, in = off & (s->cluster_size - 1);
        uint64_t n = s->cluster_size - in < len ? s->cluster_size - in : len, entry;
        if (qcow2_l2_entry(s, vc, &entry) < 0)
            return false;
        if (!qcow2_entry_is_zero(s, entry)) {
            if (entry & (QCOW2_OFLAG_COMPRESSED | QCOW2_OFFSET_MASK))
                return false;
            BlockNode *b = bn->backing;
            if (b && off < b->size &&
                !block_node_known_zero(b, off, b->size - off < n ? b->size - off : n))
                return false;
        }
        off += n;
        len -= n;
    }
    return true;
}

bool qcow2_get_info(BlockNode *bn, Qcow2Info *info)
{
    if (bn->drv != &block_driver_qcow2)
        return false;
    const Qcow2 *s = bn->opaque;
    memset(info, 0, sizeof(*info));
    info->version = s->version;
    info->cluster_size = s->cluster_size;
    info->refcount_bits = s->refcount_bits;
    info->lazy_refcounts = s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS;
    info->corrupt = s->incompat & QCOW2_INCOMPAT_CORRUPT;
    info->nb_snapshots = s->nb_snapshots;
    info->backing_file = s->backing_file[0] ? s->backing_file : NULL;
    info->backing_format = s->backing_format[0] ? s->backing_format : NULL;
    return true;
}

const BlockDriver block_driver_qcow2 = {
    .name = "qcow2",
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .pread = qcow2_pread,
    .pwrite = qcow2_pwrite,
    .flush = qcow2_flush,
    .known_zero = qcow2_known_zero,
};
