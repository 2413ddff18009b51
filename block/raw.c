/*
 * Raw images: the file's bytes are the disk's bytes. Guest flush is fsync.
 * Holes of a sparse file are found with SEEK_DATA so that mimic-img convert
 * need not read them. Leaves out: O_DIRECT, discard (punching holes).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "block/block_int.h"

static int raw_probe(const uint8_t *head, size_t len)
{
    (void)head;
    (void)len;
    return 1;   /* anything is a raw image; every other format scores higher */
}

static int raw_open(BlockNode *bn, char *err, size_t errlen)
{
    int r = block_file_size(bn->fd, &bn->size);
    if (r < 0) {
        snprintf(err, errlen, "%s: cannot get the size: %s", bn->filename, strerror(-r));
        return -1;
    }
    bn->opaque = bn;   /* nothing private; non-NULL marks it open */
    return 0;
}

static void raw_close(BlockNode *bn)
{
    bn->opaque = NULL;
}

static int raw_pread(BlockNode *bn, uint64_t off, void *buf, size_t len)
{
    /* The file may have shrunk under us: what is gone reads as zeroes. */
    return block_file_pread(bn->fd, off, buf, len, true);
}

static int raw_pwrite(BlockNode *bn, uint64_t off, const void *buf, size_t len)
{
    return block_file_pwrite(bn->fd, off, buf, len);
}

static int raw_flush(BlockNode *bn)
{
    return fdatasync(bn->fd) < 0 ? -errno : 0;
}

static bool raw_known_zero(BlockNode *bn, uint64_t off, uint64_t len)
{
    off_t data = lseek(bn->fd, (off_t)off, SEEK_DATA);
    if (data < 0)
        return errno == ENXIO;           /* no data after off at all */
    return (uint64_t)data >= off + len;
}

const BlockDriver block_driver_raw = {
    .name = "raw",
    .probe = raw_probe,
    .open = raw_open,
    .close = raw_close,
    .pread = raw_pread,
    .pwrite = raw_pwrite,
    .flush = raw_flush,
    .known_zero = raw_known_zero,
};
