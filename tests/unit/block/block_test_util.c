/*
 * Helpers shared by the block-layer unit tests (see block_test_util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block_test_util.h"

static char scratch[256];

static void bt_cleanup(void)
{
    if (scratch[0]) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", scratch);
    }
}

const char *bt_path(const char *name)
{
    static char ring[16][512];
    static int next;
    if (!scratch[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(scratch, sizeof(scratch), "%s/mimic-block-test-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(scratch)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(bt_cleanup);
    }
    char *p = ring[next++ & 15];
    snprintf(p, 512, "%s/%s", scratch, name);
    return p;
}

int bt_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
    va_end(ap);
    strcat(cmd, " >/dev/null 2>&1");
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

bool bt_have_qemu_img(void)
{
    static int have = -1;
    if (have < 0)
        have = bt_sh("qemu-img --version") == 0;
    return have;
}

bool bt_have_qemu_io(void)
{
    static int have = -1;
    if (have < 0)
        have = bt_sh("qemu-io --version") == 0;
    return have;
}

void bt_pattern(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)(x >> 24);
    }
}

uint64_t bt_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

bool bt_files_equal(const char *a, const char *b)
{
    return bt_sh("cmp -s '%s' '%s'", a, b) == 0;
}

static void bt_rw(const char *path, uint64_t off, void *buf, size_t len, bool write)
{
    int fd = write ? open(path, O_WRONLY | O_CREAT, 0644) : open(path, O_RDONLY);
    if (fd < 0 || (write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off)) !=
        (ssize_t)len) {
        fprintf(stderr, "bt_rw %s at %llu failed\n", path, (unsigned long long)off);
        memset(buf, 0xee, write ? 0 : len);
    }
    if (fd >= 0)
        close(fd);
}

uint32_t bt_peek32(const char *path, uint64_t off)
{
    uint8_t b[4];
    bt_rw(path, off, b, 4, false);
    return qcow2_ld32(b);
}

uint64_t bt_peek64(const char *path, uint64_t off)
{
    uint8_t b[8];
    bt_rw(path, off, b, 8, false);
    return qcow2_ld64(b);
}

void bt_poke32(const char *path, uint64_t off, uint32_t v)
{
    uint8_t b[4];
    qcow2_st32(b, v);
    bt_rw(path, off, b, 4, true);
}

void bt_poke64(const char *path, uint64_t off, uint64_t v)
{
    uint8_t b[8];
    qcow2_st64(b, v);
    bt_rw(path, off, b, 8, true);
}

void bt_poke_bytes(const char *path, uint64_t off, const void *buf, size_t len)
{
    bt_rw(path, off, (void *)buf, len, true);
}

void bt_truncate(const char *path, uint64_t size)
{
    if (truncate(path, (off_t)size) < 0)
        perror("truncate");
}

bool bt_create_qcow2(const char *path, uint64_t size, unsigned cluster_bits, int version,
                     unsigned refcount_order, const char *backing, const char *backing_fmt)
{
    Qcow2CreateOptions o = {
        .size = size, .cluster_bits = cluster_bits, .version = version,
        .refcount_order = refcount_order, .backing_file = backing, .backing_format = backing_fmt,
    };
    char err[BLOCK_ERR_SIZE];
    if (qcow2_create(path, &o, err, sizeof(err)) < 0) {
        fprintf(stderr, "qcow2_create: %s\n", err);
        return false;
    }
    return true;
}

bool bt_create_raw(const char *path, uint64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool ok = fd >= 0 && ftruncate(fd, (off_t)size) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

BlockNode *bt_open(const char *path, const char *fmt, unsigned flags, char *err, size_t errlen)
{
    char local[BLOCK_ERR_SIZE];
    if (!err) {
        err = local;
        errlen = sizeof(local);
    }
    BlockNode *bn = block_node_open(path, fmt, flags, 0, err, errlen);
    if (!bn && err == local)
        fprintf(stderr, "open: %s\n", err);
    return bn;
}

bool bt_check(const char *path, Qcow2CheckResult *res)
{
    BlockNode *bn = bt_open(path, "qcow2", BLOCK_OPEN_READONLY | BLOCK_OPEN_NO_BACKING, NULL, 0);
    if (!bn)
        return false;
    FILE *devnull = fopen("/dev/null", "w");
    int r = qcow2_check(bn, devnull ? devnull : stderr, res);
    if (devnull)
        fclose(devnull);
    block_node_close(bn);
    return r == 0;
}
