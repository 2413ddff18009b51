/*
 * Raw images: bytes land at the same offsets in the file (checked by
 * reading the file itself), reads past a file that shrank give zeroes, and
 * holes of sparse files are reported as known zero so convert skips them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "block_test_util.h"

TEST_CASE(bytes_at_their_offsets)
{
    const char *img = bt_path("a.raw");
    CHECK(bt_create_raw(img, 1 << 20));
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn && !strcmp(bn->drv->name, "raw"));
    CHECK_EQ(bn->size, 1 << 20);
    uint8_t w[5000], r[5000];
    for (uint64_t off = 0; off + sizeof(w) <= bn->size; off += 77777) {
        bt_pattern(w, sizeof(w), off);
        CHECK_EQ(block_node_pwrite(bn, off + 511, w, sizeof(w) - 511), 0);
    }
    CHECK_EQ(block_node_flush(bn), 0);
    block_node_close(bn);
    FILE *f = fopen(img, "rb");
    CHECK(f);
    for (uint64_t off = 0; off + sizeof(w) <= (1 << 20); off += 77777) {
        bt_pattern(w, sizeof(w), off);
        CHECK(fseek(f, (long)(off + 511), SEEK_SET) == 0);
        CHECK(fread(r, 1, sizeof(w) - 511, f) == sizeof(w) - 511);
        CHECK(!memcmp(r, w, sizeof(w) - 511));
    }
    fclose(f);
}

TEST_CASE(shrunk_file_reads_zero)
{
    const char *img = bt_path("b.raw");
    CHECK(bt_create_raw(img, 8192));
    BlockNode *bn = bt_open(img, "raw", 0, NULL, 0);
    CHECK(bn);
    uint8_t buf[4096];
    memset(buf, 0xaa, sizeof(buf));
    CHECK_EQ(block_node_pwrite(bn, 4096, buf, sizeof(buf)), 0);
    bt_truncate(img, 6000);
    CHECK_EQ(block_node_pread(bn, 4096, buf, sizeof(buf)), 0);
    for (int i = 0; i < 4096; i++)
        CHECK_EQ(buf[i], i < 6000 - 4096 ? 0xaa : 0);
    block_node_close(bn);
}

TEST_CASE(holes_are_known_zero)
{
    const char *img = bt_path("sparse.raw");
    CHECK(bt_create_raw(img, 8 << 20));
    int fd = open(img, O_RDONLY);
    CHECK(fd >= 0);
    off_t hole = lseek(fd, 0, SEEK_HOLE);
    close(fd);
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    uint8_t buf[4096];
    memset(buf, 1, sizeof(buf));
    CHECK_EQ(block_node_pwrite(bn, 1 << 20, buf, sizeof(buf)), 0);
    CHECK(!block_node_known_zero(bn, (1 << 20) - 100, 200));
    CHECK(!block_node_known_zero(bn, 0, 8 << 20));
    bool sparse_fs = hole == 0;
    if (sparse_fs) {
        CHECK(block_node_known_zero(bn, 0, 1 << 19));
        CHECK(block_node_known_zero(bn, 4 << 20, 4 << 20));
    }
    CHECK(!block_node_known_zero(bn, 4 << 20, (4 << 20) + 1));   /* past the end */
    block_node_close(bn);
    if (!sparse_fs)
        SKIP("the scratch file system reports no holes (SEEK_HOLE)");
}

int main(void)
{
    RUN(bytes_at_their_offsets);
    RUN(shrunk_file_reads_zero);
    RUN(holes_are_known_zero);
    TEST_EXIT();
}
