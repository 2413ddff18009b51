/*
 * Creating an empty qcow2 image (mimic-img create, the snapshot=on overlay):
 * header (+ backing format extension and backing file name) in cluster 0,
 * then the refcount table, the refcount blocks counting all of this, and
 * a zeroed L1 table. Reference: qcow2 specification, "Header" and "Host
 * cluster management". Leaves out: preallocation, encryption, options
 * other than cluster size, version and refcount width.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

int qcow2_create_fd(int fd, const Qcow2CreateOptions *o, char *err, size_t errlen)
{
    if (o->cluster_bits < QCOW2_MIN_CLUSTER_BITS || o->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        snprintf(err, errlen, "cluster size must be a power of two from 512 bytes to 2 MiB");
        return -1;
    }
    if (o->version != 2 && o->version != 3) {
        snprintf(err, errlen, "qcow2 compat must be 0.10 (version 2) or 1.1 (version 3)");
        return -1;
    }
    if (o->refcount_order > QCOW2_MAX_REFCOUNT_ORDER ||
        (o->version == 2 && o->refcount_order != 4)) {
        snprintf(err, errlen, "refcount width must be a power of two from 1 to 64 bits "
                 "(16 for compat=0.10)");
        return -1;
    }
    uint64_t cs = 1ull << o->cluster_bits;
    unsigned l2_bits = o->cluster_bits - 3;
    uint64_t guest_clusters = o->size / cs + (o->size % cs != 0);
    uint64_t l1_size = (guest_clusters + (1ull << l2_bits) - 1) >> l2_bits;
    if (o->size > (uint64_t)INT64_MAX || l1_size > QCOW2_MAX_L1_BYTES / 8) {
        snprintf(err, errlen, "size too large for a qcow2 image with %llu-byte clusters",
                 (unsigned long long)cs);
        return -1;
    }
    size_t blen = o->backing_file ? strlen(o->backing_file) : 0;
    size_t flen = o->backing_format ? strlen(o->backing_format) : 0;
    if (blen > QCOW2_MAX_BACKING_NAME || flen > QCOW2_MAX_FORMAT_NAME) {
        snprintf(err, errlen, "backing file name too long");
        return -1;
    }
    uint64_t hdr_len = o->version == 2 ? QCOW2_V2_HEADER_SIZE : QCOW2_V3_HEADER_SIZE;
    uint64_t ext_len = (flen ? 8 + ((flen + 7) & ~7ull) : 0) + 8;
    if (hdr_len + ext_len + blen > cs) {
        snprintf(err, errlen, "backing file name does not fit in the first cluster");
        return -1;
    }

    /* Find table sizes that count themselves: header, T table clusters, B
     * refcount blocks, L L1 clusters. */
    uint64_t rb_entries = cs * 8 >> o->refcount_order;
    uint64_t l1_clusters = (l1_size * 8 + cs - 1) / cs, t = 1, b = 1;
    for (;;) {
        uint64_t total = 1 + t + b + l1_clusters;
        uint64_t nb = (total + rb_entries - 1) / rb_entries;
        uint64_t nt = (nb * 8 + cs - 1) / cs;
        if (nb <= b && nt <= t)
            break;
        b = nb > b ? nb : b;
        t = nt > t ? nt : t;
    }
    uint64_t total = 1 + t + b + l1_clusters;
    uint64_t rt_off = cs, rb_off = rt_off + t * cs, l1_off = rb_off + b * cs;

    uint8_t *buf = calloc(1 + t + b, cs);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint8_t *h = buf;
    qcow2_st32(h, QCOW2_MAGIC);
    qcow2_st32(h + 4, (uint32_t)o->version);
    qcow2_st32(h + 20, o->cluster_bits);
    qcow2_st64(h + 24, o->size);
    qcow2_st32(h + 36, (uint32_t)l1_size);
    qcow2_st64(h + 40, l1_size ? l1_off : 0);
    qcow2_st64(h + 48, rt_off);
    qcow2_st32(h + 56, (uint32_t)t);
    if (o->version == 3) {
        qcow2_st32(h + 96, o->refcount_order);
        qcow2_st32(h + 100, (uint32_t)hdr_len);
    }
    uint64_t p = hdr_len;
    if (flen) {
        qcow2_st32(h + p, QCOW2_EXT_BACKING_FORMAT);
        qcow2_st32(h + p + 4, (uint32_t)flen);
        memcpy(h + p + 8, o->backing_format, flen);
        p += 8 + ((flen + 7) & ~7ull);
    }
    p += 8;                                   /* end-of-extensions marker */
    if (blen) {
        memcpy(h + p, o->backing_file, blen);
        qcow2_st64(h + 8, p);
        qcow2_st32(h + 16, (uint32_t)blen);
    }
    for (uint64_t i = 0; i < b; i++)
        qcow2_st64(buf + rt_off + 8 * i, rb_off + i * cs);
    uint8_t *rb = buf + rb_off;
    for (uint64_t c = 0; c < total; c++) {
        /* Every width stores 1 as the low bit of its entry. */
        uint64_t bit = c << o->refcount_order;
        unsigned width = 1u << o->refcount_order;
        uint64_t byte = width >= 8 ? (bit + width) / 8 - 1 : bit / 8;
        rb[byte] |= (uint8_t)(width >= 8 ? 1 : 1u << (bit & 7));
    }
    int r = ftruncate(fd, 0) < 0 ? -errno : 0;
    if (!r)
        r = block_file_pwrite(fd, 0, buf, (1 + t + b) * cs);
    if (!r && ftruncate(fd, (off_t)(total * cs)) < 0)
        r = -errno;
    free(buf);
    if (r < 0) {
        snprintf(err, errlen, "cannot write: %s", strerror(-r));
        return -1;
    }
    return 0;
}

int qcow2_create(const char *path, const Qcow2CreateOptions *o, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    char why[BLOCK_ERR_SIZE];
    int r = qcow2_create_fd(fd, o, why, sizeof(why));
    if (r == 0 && fsync(fd) < 0) {
        snprintf(why, sizeof(why), "fsync: %s", strerror(errno));
        r = -1;
    }
    close(fd);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        unlink(path);
    }
    return r;
}
