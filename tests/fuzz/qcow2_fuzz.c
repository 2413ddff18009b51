/*
 * libFuzzer target for the qcow2 parser: any byte string, written to a
 * memfd, is opened as a qcow2 image (header, extensions, L1 and refcount
 * tables), checked as mimic-img check does, and read and written a little
 * at offsets the input chooses. Backing files stay shut so the result
 * depends on the input alone. Seeds: tests/fuzz/qcow2_seeds; dictionary:
 * tests/fuzz/qcow2.dict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "block/block_int.h"
#include "block/qcow2.h"

#define FUZZ_MAX_INPUT (1u << 20)

static uint64_t tail64(const uint8_t *data, size_t size, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++) {
        size_t at = size >= 8 * (k + 1) ? size - 8 * (k + 1) + i : i;
        v = v << 8 | (at < size ? data[at] : 0);
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    static FILE *devnull;
    if (fd < 0) {
        fd = memfd_create("qcow2-fuzz", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        devnull = fopen("/dev/null", "w");
    }
    if (size > FUZZ_MAX_INPUT)
        return 0;
    if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    char err[BLOCK_ERR_SIZE];
    BlockNode *bn = block_node_open(path, "qcow2", BLOCK_OPEN_NO_BACKING, 0, err, sizeof(err));
    if (!bn) {
        if (!err[0] || strchr(err, '\n'))
            abort();                     /* the error must be one line */
        return 0;
    }
    Qcow2CheckResult res;
    qcow2_check(bn, devnull, &res);
    static uint8_t buf[3 * 65536 + 512];
    /* The start of the disk, where the seeds keep their data... */
    block_node_pread(bn, 0, buf, bn->size < 16384 ? (size_t)bn->size : 16384);
    /* ...and places the input picks. */
    for (size_t k = 0; k < 4 && bn->size; k++) {
        uint64_t v = tail64(data, size, k);
        uint64_t off = v % bn->size;
        size_t len = (size_t)(v >> 40) % sizeof(buf) + 1;
        if (len > bn->size - off)
            len = (size_t)(bn->size - off);
        if (k & 1) {
            memset(buf, (int)k, len);
            block_node_pwrite(bn, off, buf, len);
        } else {
            block_node_pread(bn, off, buf, len);
        }
    }
    /* What we wrote must still be an image we can open and check. */
    block_node_close(bn);
    bn = block_node_open(path, "qcow2", BLOCK_OPEN_NO_BACKING | BLOCK_OPEN_READONLY, 0,
                         err, sizeof(err));
    if (bn) {
        qcow2_check(bn, devnull, &res);
        block_node_close(bn);
    }
    return 0;
}
