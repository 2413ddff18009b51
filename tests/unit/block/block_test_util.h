/*
 * Shared helpers of the block-layer unit tests: a scratch directory, shell
 * commands (qemu-img/qemu-io as an independent reference when installed),
 * deterministic data patterns and raw big-endian pokes into image files.
 */
#ifndef TESTS_UNIT_BLOCK_TEST_UTIL_H
#define TESTS_UNIT_BLOCK_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block/block_int.h"
#include "block/qcow2.h"

/* PATH of NAME inside this run's scratch directory (removed at exit). The
 * returned string stays valid for the next 16 calls. */
const char *bt_path(const char *name);
/* Run a shell command quietly; its exit status (-1 if it could not run). */
int bt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool bt_have_qemu_img(void);
bool bt_have_qemu_io(void);

void bt_pattern(uint8_t *buf, size_t len, uint64_t seed);
uint64_t bt_file_size(const char *path);
bool bt_files_equal(const char *a, const char *b);

uint32_t bt_peek32(const char *path, uint64_t off);
uint64_t bt_peek64(const char *path, uint64_t off);
void bt_poke32(const char *path, uint64_t off, uint32_t v);
void bt_poke64(const char *path, uint64_t off, uint64_t v);
void bt_poke_bytes(const char *path, uint64_t off, const void *buf, size_t len);
void bt_truncate(const char *path, uint64_t size);

/* Fresh qcow2 image with the given cluster size bits, version, refcount
 * order; false on failure. */
bool bt_create_qcow2(const char *path, uint64_t size, unsigned cluster_bits, int version,
                     unsigned refcount_order, const char *backing, const char *backing_fmt);
bool bt_create_raw(const char *path, uint64_t size);
BlockNode *bt_open(const char *path, const char *fmt, unsigned flags, char *err, size_t errlen);
/* qcow2_check of a freshly opened read-only node; false if it could not run. */
bool bt_check(const char *path, Qcow2CheckResult *res);

#endif
