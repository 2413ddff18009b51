/*
 * Disk images behind one interface: a BlockBackend is an open image (raw or
 * qcow2, optionally with a throwaway snapshot overlay) that devices read,
 * write and flush by byte offset. Devices (IDE, later virtio-blk, USB
 * storage) see only this header; formats live in block/.
 */
#ifndef MIMIC_BLOCK_H
#define MIMIC_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/machine.h"

typedef struct BlockBackend BlockBackend;

/* Open the image a -drive names. NULL with *err set to one line naming the
 * file and what is wrong ("disk.qcow2: not a qcow2 image (bad magic)"). A
 * CD (media=cdrom) and readonly=on open read-only. */
BlockBackend *blk_open(const DriveOptions *opts, const char **err);
void blk_close(BlockBackend *bb);

/* Guest-visible size in bytes. */
uint64_t blk_size(const BlockBackend *bb);
bool blk_is_readonly(const BlockBackend *bb);

/* Byte-granular I/O; any offset and length inside blk_size(). Return 0, or
 * a negative errno (-EIO, -EINVAL past the end, -EROFS read-only, -ENOSPC)
 * which devices turn into their own error status. Reads of unallocated
 * space return zeroes (or the backing file's data). */
int blk_pread(BlockBackend *bb, uint64_t offset, void *buf, size_t len);
int blk_pwrite(BlockBackend *bb, uint64_t offset, const void *buf, size_t len);
/* Everything written so far reaches stable storage (fsync of the files). */
int blk_flush(BlockBackend *bb);

/* The format's name ("raw", "qcow2") for logs and `mimic-img info`. */
const char *blk_format_name(const BlockBackend *bb);

#endif
