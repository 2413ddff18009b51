/*
 * The block layer's front: format probing, the node chain (image -> backing
 * files), range checks, and the BlockBackend that devices hold, including the
 * throwaway qcow2 overlay of snapshot=on (QEMU's -snapshot: writes go to an
 * unlinked temporary file and vanish at exit). Reference: QEMU's -drive
 * documentation for the option semantics. Leaves out: caching modes, aio,
 * host-device passthrough, file locking.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mimic/block.h"
#include "block/block_int.h"
#include "block/qcow2.h"

static const BlockDriver *const block_drivers[] = {
    &block_driver_qcow2,
    &block_driver_raw,
};

/* Formats we recognise only to refuse: guessing "raw" for them would hand
 * the guest a disk full of container metadata. */
static const struct {
    size_t offset;
    const char *magic;
    size_t len;
    const char *name;
} foreign_formats[] = {
    { 0, "KDMV", 4, "VMDK" },
    { 0, "# Disk DescriptorFile", 21, "VMDK descriptor" },
    { 0x40, "\x7f\x10\xda\xbe", 4, "VDI" },
    { 0, "vhdxfile", 8, "VHDX" },
    { 0, "conectix", 8, "VHD" },
    { 0, "QFI\xfb\0\0\0\x01", 8, "qcow (version 1)" },
};

const BlockDriver *block_driver_find(const char *format)
{
    for (size_t i = 0; i < sizeof(block_drivers) / sizeof(block_drivers[0]); i++)
        if (!strcmp(block_drivers[i]->name, format))
            return block_drivers[i];
    return NULL;
}

bool block_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    /* Compare the buffer with itself shifted by one after checking byte 0:
     * memcmp is vectorised, a byte loop is not. */
    return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

int block_file_pread(int fd, uint64_t off, void *buf, size_t len, bool zero_fill)
{
    uint8_t *p = buf;
    while (len) {
        if (off > (uint64_t)INT64_MAX - len)
            return -EINVAL;
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0) {
            if (!zero_fill)
                return -EIO;
            memset(p, 0, len);
            return 0;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int block_file_pwrite(int fd, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        if (off > (uint64_t)INT64_MAX - len)
            return -EFBIG;
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int block_file_size(int fd, uint64_t *size)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0)
            return -errno;
        *size = (uint64_t)end;
        return 0;
    }
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    *size = (uint64_t)st.st_size;
    return 0;
}

static const BlockDriver *block_probe(const char *filename, const uint8_t *head, size_t len,
                                      char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(foreign_formats) / sizeof(foreign_formats[0]); i++) {
        size_t o = foreign_formats[i].offset, l = foreign_formats[i].len;
        if (o + l <= len && !memcmp(head + o, foreign_formats[i].magic, l)) {
            snprintf(err, errlen, "%s: this is a %s image; mimic opens raw and qcow2 "
                     "(convert it with qemu-img convert -O qcow2, or say format=raw)",
                     filename, foreign_formats[i].name);
            return NULL;
        }
    }
    const BlockDriver *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < sizeof(block_drivers) / sizeof(block_drivers[0]); i++) {
        int score = block_drivers[i]->probe(head, len);
        if (score > best_score) {
            best_score = score;
            best = block_drivers[i];
        }
    }
    return best;
}

BlockNode *block_node_open(const char *filename, const char *format, unsigned flags,
                           int depth, char *err, size_t errlen)
{
    bool readonly = flags & BLOCK_OPEN_READONLY;
    if (depth > BLOCK_MAX_BACKING_DEPTH) {
        snprintf(err, errlen, "%s: backing chain deeper than %d images (a loop?)",
                 filename, BLOCK_MAX_BACKING_DEPTH);
        return NULL;
    }
    const BlockDriver *drv = NULL;
    if (format) {
        drv = block_driver_find(format);
        if (!drv) {
            snprintf(err, errlen, "%s: unknown format '%s' (mimic has raw and qcow2)",
                     filename, format);
            return NULL;
        }
    }
    int fd = open(filename, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == EISDIR)
            snprintf(err, errlen, "%s: is a directory, not a disk image", filename);
        else if (!readonly && (e == EACCES || e == EROFS || e == EPERM) &&
            access(filename, R_OK) == 0)
            snprintf(err, errlen, "%s: cannot open for writing: %s (use readonly=on or "
                     "snapshot=on)", filename, strerror(e));
        else
            snprintf(err, errlen, "%s: cannot open: %s", filename, strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        snprintf(err, errlen, "%s: not a regular file or block device", filename);
        close(fd);
        return NULL;
    }
    if (!drv) {
        uint8_t head[BLOCK_PROBE_SIZE];
        ssize_t n = pread(fd, head, sizeof(head), 0);
        if (n < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", filename, strerror(errno));
            close(fd);
            return NULL;
        }
        drv = block_probe(filename, head, (size_t)n, err, errlen);
        if (!drv) {
            close(fd);
            return NULL;
        }
    }
    BlockNode *bn = calloc(1, sizeof(*bn));
    char *name = strdup(filename);
    if (!bn || !name) {
        snprintf(err, errlen, "%s: out of memory", filename);
        free(bn);
        free(name);
        close(fd);
        return NULL;
    }
    bn->drv = drv;
    bn->fd = fd;
    bn->filename = name;
    bn->readonly = readonly;
    bn->no_backing = flags & BLOCK_OPEN_NO_BACKING;
    bn->depth = depth;
    if (drv->open(bn, err, errlen) < 0) {
        block_node_close(bn);
        return NULL;
    }
    return bn;
}

void block_node_close(BlockNode *bn)
{
    while (bn) {
        BlockNode *backing = bn->backing;
        if (bn->opaque && bn->drv->close)
            bn->drv->close(bn);
        if (bn->fd >= 0)
            close(bn->fd);
        free(bn->filename);
        free(bn);
        bn = backing;
    }
}

static int block_range_ok(const BlockNode *bn, uint64_t off, uint64_t len)
{
    return off <= bn->size && len <= bn->size - off;
}

int block_node_pread(BlockNode *bn, uint64_t off, void *buf, size_t len)
{
    if (!block_range_ok(bn, off, len))
        return -EINVAL;
    if (len == 0)
        return 0;
    return bn->drv->pread(bn, off, buf, len);
}

int block_node_pwrite(BlockNode *bn, uint64_t off, const void *buf, size_t len)
{
    if (bn->readonly)
        return -EROFS;
    if (!block_range_ok(bn, off, len))
        return -EINVAL;
    if (len == 0)
        return 0;
    return bn->drv->pwrite(bn, off, buf, len);
}

int block_node_flush(BlockNode *bn)
{
    if (bn->readonly || bn->temporary)
        return 0;
    return bn->drv->flush ? bn->drv->flush(bn) : 0;
}

bool block_node_known_zero(BlockNode *bn, uint64_t off, uint64_t len)
{
    if (!block_range_ok(bn, off, len))
        return false;
    return bn->drv->known_zero && bn->drv->known_zero(bn, off, len);
}

/* snapshot=on: a qcow2 overlay on an unlinked file in $TMPDIR (or
 * /var/tmp, as QEMU: /tmp is often a small tmpfs) whose backing is the
 * user's image, opened read-only. */
static BlockNode *block_snapshot_overlay(BlockNode *base, char *err, size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/var/tmp";
    char path[4096];
    snprintf(path, sizeof(path), "%s/mimic-snapshot-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, errlen, "%s: snapshot=on: cannot create a temporary file in %s: %s",
                 base->filename, dir, strerror(errno));
        return NULL;
    }
    unlink(path);
    Qcow2CreateOptions co = {
        .size = base->size,
        .cluster_bits = QCOW2_DEFAULT_CLUSTER_BITS,
        .version = 3,
        .refcount_order = QCOW2_DEFAULT_REFCOUNT_ORDER,
    };
    if (qcow2_create_fd(fd, &co, err, errlen) < 0) {
        close(fd);
        return NULL;
    }
    BlockNode *bn = calloc(1, sizeof(*bn));
    char *name = malloc(strlen(base->filename) + 32);
    if (!bn || !name) {
        snprintf(err, errlen, "%s: out of memory", base->filename);
        free(bn);
        free(name);
        close(fd);
        return NULL;
    }
    sprintf(name, "%s (snapshot overlay)", base->filename);
    bn->drv = &block_driver_qcow2;
    bn->fd = fd;
    bn->filename = name;
    bn->temporary = true;
    if (bn->drv->open(bn, err, errlen) < 0) {
        block_node_close(bn);
        return NULL;
    }
    bn->backing = base;
    return bn;
}

struct BlockBackend {
    BlockNode *root;
    bool readonly;
    /* Devices may issue I/O from vCPU threads; formats keep caches. */
    pthread_mutex_t lock;
};

BlockBackend *blk_open(const DriveOptions *opts, const char **err)
{
    static __thread char msg[BLOCK_ERR_SIZE];
    *err = msg;
    if (!opts->file || !*opts->file) {
        snprintf(msg, sizeof(msg), "drive has no file=");
        return NULL;
    }
    bool readonly = opts->readonly || opts->cdrom;
    bool overlay = opts->snapshot && !readonly;
    BlockNode *bn = block_node_open(opts->file, opts->format,
                                    readonly || overlay ? BLOCK_OPEN_READONLY : 0, 0,
                                    msg, sizeof(msg));
    if (!bn)
        return NULL;
    if (overlay) {
        BlockNode *top = block_snapshot_overlay(bn, msg, sizeof(msg));
        if (!top) {
            block_node_close(bn);
            return NULL;
        }
        bn = top;
    }
    BlockBackend *bb = calloc(1, sizeof(*bb));
    if (!bb) {
        snprintf(msg, sizeof(msg), "%s: out of memory", opts->file);
        block_node_close(bn);
        return NULL;
    }
    bb->root = bn;
    bb->readonly = readonly;
    pthread_mutex_init(&bb->lock, NULL);
    *err = NULL;
    return bb;
}

void blk_close(BlockBackend *bb)
{
    if (!bb)
        return;
    block_node_flush(bb->root);
    block_node_close(bb->root);
    pthread_mutex_destroy(&bb->lock);
    free(bb);
}

uint64_t blk_size(const BlockBackend *bb)
{
    return bb->root->size;
}

bool blk_is_readonly(const BlockBackend *bb)
{
    return bb->readonly;
}

int blk_pread(BlockBackend *bb, uint64_t offset, void *buf, size_t len)
{
    pthread_mutex_lock(&bb->lock);
    int r = block_node_pread(bb->root, offset, buf, len);
    pthread_mutex_unlock(&bb->lock);
    return r;
}

int blk_pwrite(BlockBackend *bb, uint64_t offset, const void *buf, size_t len)
{
    if (bb->readonly)
        return -EROFS;
    pthread_mutex_lock(&bb->lock);
    int r = block_node_pwrite(bb->root, offset, buf, len);
    pthread_mutex_unlock(&bb->lock);
    return r;
}

int blk_flush(BlockBackend *bb)
{
    pthread_mutex_lock(&bb->lock);
    int r = block_node_flush(bb->root);
    pthread_mutex_unlock(&bb->lock);
    return r;
}

const char *blk_format_name(const BlockBackend *bb)
{
    const BlockNode *bn = bb->root;
    /* The overlay of snapshot=on is an implementation detail. */
    if (bn->temporary && bn->backing)
        bn = bn->backing;
    return bn->drv->name;
}
