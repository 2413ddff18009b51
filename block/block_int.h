/*
 * Inside the block layer: a BlockNode is one open image file with its format
 * driver, and optionally a backing node that supplies unallocated data. The
 * BlockBackend of mimic/block.h wraps the top node; mimic-img uses nodes
 * directly. Formats fill a const BlockDriver table.
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest backing chain we follow: deeper means a loop or a damaged image. */
#define BLOCK_MAX_BACKING_DEPTH 16
/* Bytes read from the start of a file to recognise its format. */
#define BLOCK_PROBE_SIZE 512
#define BLOCK_ERR_SIZE 512

typedef struct BlockNode BlockNode;

typedef struct BlockDriver {
    const char *name;
    /* How sure the driver is that these first bytes are its format (0..100). */
    int (*probe)(const uint8_t *head, size_t len);
    /* bn->fd, filename, readonly and depth are set; fill bn->size, opaque and
     * (if the format has one) bn->backing. 0, or -1 with err set. */
    int (*open)(BlockNode *bn, char *err, size_t errlen);
    void (*close)(BlockNode *bn);
    /* In range [0, bn->size); 0 or a negative errno. */
    int (*pread)(BlockNode *bn, uint64_t off, void *buf, size_t len);
    int (*pwrite)(BlockNode *bn, uint64_t off, const void *buf, size_t len);
    int (*flush)(BlockNode *bn);
    /* Optional: true if [off, off+len) certainly reads as zeroes (lets
     * convert skip holes without reading them). */
    bool (*known_zero)(BlockNode *bn, uint64_t off, uint64_t len);
} BlockDriver;

struct BlockNode {
    const BlockDriver *drv;
    void *opaque;
    int fd;
    char *filename;
    uint64_t size;              /* guest-visible bytes */
    bool readonly;
    bool no_backing;            /* BLOCK_OPEN_NO_BACKING */
    bool temporary;             /* an unlinked snapshot overlay: no fsync */
    int depth;                  /* 0 for the image the user named */
    BlockNode *backing;         /* owned; closed with this node */
};

extern const BlockDriver block_driver_raw;
extern const BlockDriver block_driver_qcow2;

/* The driver for a format name, NULL if unknown. */
const BlockDriver *block_driver_find(const char *format);

enum {
    BLOCK_OPEN_READONLY = 1u << 0,
    BLOCK_OPEN_NO_BACKING = 1u << 1,   /* info/check: leave the backing file shut */
};

/* Open FILENAME as FORMAT (NULL: probe) with BLOCK_OPEN_* flags. NULL with
 * err set to one line that names the file. */
BlockNode *block_node_open(const char *filename, const char *format, unsigned flags,
                           int depth, char *err, size_t errlen);
void block_node_close(BlockNode *bn);

/* Range-checked I/O on a node (-EINVAL past the end, -EROFS read-only). */
int block_node_pread(BlockNode *bn, uint64_t off, void *buf, size_t len);
int block_node_pwrite(BlockNode *bn, uint64_t off, const void *buf, size_t len);
int block_node_flush(BlockNode *bn);
bool block_node_known_zero(BlockNode *bn, uint64_t off, uint64_t len);

/* Whole-buffer pread/pwrite on a file descriptor, retried across short
 * transfers and EINTR. pread of bytes past end of file: -EIO, unless
 * zero_fill, which zeroes the part past the end. */
int block_file_pread(int fd, uint64_t off, void *buf, size_t len, bool zero_fill);
int block_file_pwrite(int fd, uint64_t off, const void *buf, size_t len);
/* Size in bytes of a regular file or block device; -errno on failure. */
int block_file_size(int fd, uint64_t *size);

bool block_is_zero(const void *buf, size_t len);

#endif
