/*
 * qcow2: the on-disk layout we write matches the specification (checked by
 * reading the file's bytes, and by qemu-img when installed), data survives
 * random writes across cluster boundaries, allocation is on write, backing
 * chains and qemu-made compressed/zero/snapshotted images read and write
 * correctly, refcounts stay consistent (our check and qemu-img check), and
 * every kind of damaged image is refused with one line, never a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "block_test_util.h"

#define MIB (1ull << 20)

/* Random writes (many straddling cluster boundaries) mirrored into model,
 * then every byte compared. */
static bool rw_random(BlockNode *bn, uint8_t *model, uint64_t size, uint64_t cs, int ops,
                      uint64_t seed)
{
    uint8_t *buf = malloc(4 * cs + 4096), *rd = malloc(size);
    uint64_t x = seed | 1;
    bool ok = buf && rd;
    for (int i = 0; ok && i < ops; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        uint64_t nclusters = size / cs;
        uint64_t off = (x % nclusters) * cs;
        int64_t delta = (int64_t)((x >> 20) % 1201) - 600;
        if ((int64_t)off + delta >= 0)
            off += (uint64_t)delta;
        uint64_t len = 1 + (x >> 32) % (3 * cs);
        if (off >= size)
            off = size - 1;
        if (len > size - off)
            len = size - off;
        bt_pattern(buf, len, x);
        if (block_node_pwrite(bn, off, buf, len) < 0) {
            printf("  write at %llu+%llu failed\n", (unsigned long long)off, (unsigned long long)len);
            ok = false;
        }
        memcpy(model + off, buf, len);
    }
    if (ok && block_node_pread(bn, 0, rd, size) < 0)
        ok = false;
    for (uint64_t i = 0; ok && i < size; i++) {
        if (rd[i] != model[i]) {
            printf("  mismatch at byte %llu\n", (unsigned long long)i);
            ok = false;
        }
    }
    free(buf);
    free(rd);
    return ok;
}

static bool write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f)
        fclose(f);
    return ok;
}

static bool node_equals(BlockNode *bn, const uint8_t *model, uint64_t size)
{
    uint8_t *rd = malloc(size);
    bool ok = rd && block_node_pread(bn, 0, rd, size) == 0 && !memcmp(rd, model, size);
    free(rd);
    return ok;
}

static bool check_clean(const char *path)
{
    Qcow2CheckResult res;
    if (!bt_check(path, &res))
        return false;
    if (res.corruptions || res.leaks || res.check_errors) {
        printf("  check %s: %llu corruptions, %llu leaks\n", path,
               (unsigned long long)res.corruptions, (unsigned long long)res.leaks);
        return false;
    }
    return true;
}

/* qemu-img check exit status, or 0 when qemu-img is not installed. */
static int qemu_check(const char *path)
{
    return bt_have_qemu_img() ? bt_sh("qemu-img check '%s'", path) : 0;
}

TEST_CASE(create_header_matches_spec)
{
    const char *img = bt_path("hdr.qcow2");
    CHECK(bt_create_qcow2(img, 1ull << 30, 16, 3, 4, NULL, NULL));
    CHECK_EQ(bt_peek32(img, 0), 0x514649fb);         /* "QFI\xfb" */
    CHECK_EQ(bt_peek32(img, 4), 3);
    CHECK_EQ(bt_peek32(img, 20), 16);
    CHECK_EQ(bt_peek64(img, 24), 1ull << 30);
    CHECK_EQ(bt_peek32(img, 32), 0);                  /* no encryption */
    CHECK_EQ(bt_peek32(img, 36), 2);                  /* 1 GiB / (8192 * 64 KiB) */
    uint64_t l1 = bt_peek64(img, 40), rt = bt_peek64(img, 48);
    CHECK(l1 && !(l1 & 0xffff) && rt && !(rt & 0xffff));
    CHECK_EQ(bt_peek64(img, 72), 0);                  /* no incompatible features */
    CHECK_EQ(bt_peek32(img, 96), 4);                  /* 16-bit refcounts */
    CHECK(bt_peek32(img, 100) >= 104 && bt_peek32(img, 100) % 8 == 0);
    /* The refcount block the table points at counts the header cluster. */
    uint64_t rb = bt_peek64(img, rt);
    CHECK(rb && !(rb & 0xffff));
    uint8_t e[2];
    FILE *f = fopen(img, "rb");
    CHECK(f);
    CHECK(fseek(f, (long)rb, SEEK_SET) == 0 && fread(e, 1, 2, f) == 2);
    fclose(f);
    CHECK_EQ(e[0] << 8 | e[1], 1);
    CHECK(check_clean(img));
    if (!bt_have_qemu_img())
        SKIP("qemu-img not installed: layout checked only against the spec");
    CHECK_EQ(qemu_check(img), 0);
    CHECK_EQ(bt_sh("qemu-img info '%s' | grep -q 'virtual size: 1 GiB (1073741824 bytes)'", img), 0);
}

static void rw_case(unsigned cluster_bits, int version, unsigned refcount_order, bool *ok)
{
    char name[64];
    snprintf(name, sizeof(name), "rw-%u-%d-%u.qcow2", cluster_bits, version, refcount_order);
    const char *img = bt_path(name);
    /* Not a whole number of clusters; a whole number of sectors, since
     * QEMU rounds qcow2 sizes down to 512 bytes. */
    uint64_t size = 3 * MIB + 1536, cs = 1ull << cluster_bits;
    uint8_t *model = calloc(1, size);
    *ok = false;
    if (!model || !bt_create_qcow2(img, size, cluster_bits, version, refcount_order, NULL, NULL))
        goto out;
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    if (!bn || strcmp(bn->drv->name, "qcow2"))
        goto out;
    bool good = rw_random(bn, model, size, cs, 300, cluster_bits * 31 + (unsigned)version);
    block_node_close(bn);
    if (!good)
        goto out;
    /* Everything is on disk: a fresh open sees it. */
    bn = bt_open(img, "qcow2", BLOCK_OPEN_READONLY, NULL, 0);
    good = bn && node_equals(bn, model, size);
    block_node_close(bn);
    if (!good || !check_clean(img) || qemu_check(img) != 0) {
        printf("  reopen %d, check failed\n", good);
        goto out;
    }
    if (bt_have_qemu_img()) {
        const char *ref = bt_path("rw-model.raw");
        if (!write_file(ref, model, size) || bt_sh("qemu-img compare -f raw -F qcow2 '%s' '%s'",
                                                   ref, img) != 0) {
            printf("  qemu-img compare differs\n");
            goto out;
        }
    }
    *ok = true;
out:
    if (!*ok)
        printf("  case cluster_bits=%u version=%d refcount_order=%u\n", cluster_bits, version,
               refcount_order);
    free(model);
}

TEST_CASE(rw_across_cluster_boundaries)
{
    static const struct { unsigned bits; int version; unsigned order; } cases[] = {
        { 16, 3, 4 }, { 9, 3, 4 }, { 12, 2, 4 }, { 12, 3, 0 }, { 10, 3, 6 }, { 13, 3, 3 },
        { 11, 3, 5 }, { 12, 3, 1 }, { 21, 3, 4 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool ok;
        rw_case(cases[i].bits, cases[i].version, cases[i].order, &ok);
        CHECK(ok);
    }
}

TEST_CASE(allocate_on_write_layout)
{
    const char *img = bt_path("alloc.qcow2");
    uint64_t cs = 65536;
    CHECK(bt_create_qcow2(img, 1ull << 30, 16, 3, 4, NULL, NULL));
    uint64_t before = bt_file_size(img);
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    uint8_t data[512];
    bt_pattern(data, sizeof(data), 7);
    CHECK_EQ(block_node_pwrite(bn, 3 * cs + 100, data, sizeof(data)), 0);
    /* One L2 table and one data cluster, nothing else. */
    CHECK_EQ(bt_file_size(img), before + 2 * cs);
    uint64_t l1_off = bt_peek64(img, 40);
    uint64_t l1e = bt_peek64(img, l1_off);
    CHECK(l1e >> 63);                                 /* COPIED: refcount 1 */
    uint64_t l2 = l1e & 0x00fffffffffffe00ull;
    CHECK(l2 && !(l2 % cs));
    CHECK_EQ(bt_peek64(img, l2), 0);                  /* guest cluster 0 untouched */
    uint64_t l2e = bt_peek64(img, l2 + 3 * 8);
    CHECK(l2e >> 63);
    CHECK(!(l2e & (1ull << 62)));                     /* not compressed */
    uint64_t host = l2e & 0x00fffffffffffe00ull;
    CHECK(host && !(host % cs) && host != l2);
    uint8_t back[612];
    FILE *f = fopen(img, "rb");
    CHECK(f);
    CHECK(fseek(f, (long)host, SEEK_SET) == 0 && fread(back, 1, sizeof(back), f) == sizeof(back));
    fclose(f);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(back[i], 0);                         /* copied from "unallocated" = zero */
    CHECK(!memcmp(back + 100, data, sizeof(data)));
    /* A second write into the same cluster writes in place. */
    CHECK_EQ(block_node_pwrite(bn, 3 * cs + 5000, data, sizeof(data)), 0);
    CHECK_EQ(bt_file_size(img), before + 2 * cs);
    /* The next L2 table's range (8192 clusters per table) needs a new table. */
    CHECK_EQ(block_node_pwrite(bn, 8192 * cs, data, 1), 0);
    CHECK_EQ(bt_file_size(img), before + 4 * cs);
    CHECK(bt_peek64(img, l1_off + 8) >> 63);
    uint8_t rd[600];
    CHECK_EQ(block_node_pread(bn, 3 * cs + 50, rd, sizeof(rd)), 0);
    for (int i = 0; i < 50; i++)
        CHECK_EQ(rd[i], 0);
    CHECK(!memcmp(rd + 50, data, 512));
    block_node_close(bn);
    CHECK(check_clean(img));
    CHECK_EQ(qemu_check(img), 0);
}

TEST_CASE(backing_chain)
{
    uint64_t base_size = 4 * MIB, top_size = 6 * MIB;
    uint8_t *model = calloc(1, top_size), *base = malloc(base_size);
    CHECK(model && base);
    bt_pattern(base, base_size, 42);
    const char *base_path = bt_path("base.raw");
    CHECK(write_file(base_path, base, base_size));
    memcpy(model, base, base_size);
    /* Names relative to the image's directory, not the working directory. */
    CHECK(bt_create_qcow2(bt_path("mid.qcow2"), base_size, 12, 3, 4, "base.raw", "raw"));
    CHECK(bt_create_qcow2(bt_path("top.qcow2"), top_size, 16, 3, 4, "mid.qcow2", NULL));
    BlockNode *mid = bt_open(bt_path("mid.qcow2"), NULL, 0, NULL, 0);
    CHECK(mid && mid->backing && !strcmp(mid->backing->drv->name, "raw"));
    uint8_t buf[9000];
    bt_pattern(buf, sizeof(buf), 1);
    CHECK_EQ(block_node_pwrite(mid, 4096 * 3 - 10, buf, sizeof(buf)), 0);
    memcpy(model + 4096 * 3 - 10, buf, sizeof(buf));
    block_node_close(mid);
    BlockNode *top = bt_open(bt_path("top.qcow2"), NULL, 0, NULL, 0);
    CHECK(top && top->backing && top->backing->backing);
    CHECK(!strcmp(top->backing->drv->name, "qcow2"));  /* probed: no format recorded */
    bool ok = rw_random(top, model, top_size, 65536, 60, 99);
    CHECK(ok);
    block_node_close(top);
    /* The backing files never change. */
    uint8_t *rd = malloc(base_size);
    FILE *f = fopen(base_path, "rb");
    CHECK(rd && f && fread(rd, 1, base_size, f) == base_size);
    fclose(f);
    CHECK(!memcmp(rd, base, base_size));
    free(rd);
    top = bt_open(bt_path("top.qcow2"), NULL, BLOCK_OPEN_READONLY, NULL, 0);
    CHECK(top && node_equals(top, model, top_size));
    block_node_close(top);
    CHECK(check_clean(bt_path("top.qcow2")));
    CHECK(check_clean(bt_path("mid.qcow2")));
    if (bt_have_qemu_img()) {
        const char *ref = bt_path("chain-model.raw");
        CHECK(write_file(ref, model, top_size));
        CHECK_EQ(bt_sh("qemu-img compare -f raw '%s' '%s'", ref, bt_path("top.qcow2")), 0);
        CHECK_EQ(qemu_check(bt_path("top.qcow2")), 0);
    }
    free(model);
    free(base);
}

TEST_CASE(backing_missing_is_one_line)
{
    const char *img = bt_path("orphan.qcow2");
    CHECK(bt_create_qcow2(img, MIB, 16, 3, 4, "no-such-base.raw", "raw"));
    char err[BLOCK_ERR_SIZE];
    BlockNode *bn = bt_open(img, NULL, 0, err, sizeof(err));
    CHECK(!bn);
    CHECK(strstr(err, "orphan.qcow2: backing file:") && strstr(err, "no-such-base.raw"));
    CHECK(!strchr(err, '\n'));
    /* A loop (an image that is its own backing file) ends, with one line. */
    const char *loop = bt_path("loop.qcow2");
    CHECK(bt_create_qcow2(loop, MIB, 16, 3, 4, "loop.qcow2", "qcow2"));
    bn = bt_open(loop, NULL, 0, err, sizeof(err));
    CHECK(!bn);
    CHECK(strstr(err, "backing chain deeper"));
    CHECK(!strchr(err, '\n'));
}

TEST_CASE(compressed_clusters_from_qemu_img)
{
    if (!bt_have_qemu_img())
        SKIP("qemu-img not installed (needed to make compressed images)");
    uint64_t size = 2 * MIB + 4096;
    uint8_t *model = calloc(1, size);
    CHECK(model);
    /* Compressible text, random data, and zeroes. */
    for (uint64_t i = 0; i < MIB; i++)
        model[i] = "the quick brown fox jumps over the lazy dog "[i % 44];
    bt_pattern(model + MIB, MIB / 2, 5);
    const char *raw = bt_path("comp-src.raw");
    CHECK(write_file(raw, model, size));
    for (int cb = 12; cb <= 16; cb += 4) {
        const char *img = bt_path("comp.qcow2");
        CHECK_EQ(bt_sh("qemu-img convert -c -f raw -O qcow2 -o cluster_size=%d '%s' '%s'",
                       1 << cb, raw, img), 0);
        Qcow2CheckResult res;
        CHECK(bt_check(img, &res));
        CHECK(res.compressed_clusters > 0);
        CHECK(!res.corruptions && !res.leaks);
        BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
        CHECK(bn && node_equals(bn, model, size));
        /* Partial writes into compressed clusters: the rest comes from the
         * decompressed data; the compressed extents lose a reference. */
        uint8_t buf[3000];
        bt_pattern(buf, sizeof(buf), (uint64_t)cb);
        for (uint64_t off = 100; off < MIB + 4096; off += 200000) {
            CHECK_EQ(block_node_pwrite(bn, off, buf, sizeof(buf)), 0);
            memcpy(model + off, buf, sizeof(buf));
        }
        CHECK(node_equals(bn, model, size));
        block_node_close(bn);
        CHECK(check_clean(img));
        CHECK_EQ(qemu_check(img), 0);
        CHECK(write_file(raw, model, size));
        CHECK_EQ(bt_sh("qemu-img compare -f raw '%s' '%s'", raw, img), 0);
    }
    free(model);
}

TEST_CASE(images_made_by_qemu)
{
    if (!bt_have_qemu_img() || !bt_have_qemu_io())
        SKIP("qemu-img/qemu-io not installed");
    const char *compat[] = { "0.10", "1.1" };
    for (int v = 0; v < 2; v++) {
        const char *img = bt_path("qemu-made.qcow2");
        CHECK_EQ(bt_sh("qemu-img create -f qcow2 -o compat=%s '%s' 8M", compat[v], img), 0);
        CHECK_EQ(bt_sh("qemu-io -f qcow2 -c 'write -P 0xab 1000 70000' -c 'write -P 0x5c 4M 65536' "
                       "'%s'", img), 0);
        BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
        CHECK(bn);
        CHECK_EQ(bn->size, 8 * MIB);
        uint8_t rd[72000];
        CHECK_EQ(block_node_pread(bn, 0, rd, sizeof(rd)), 0);
        for (int i = 0; i < 72000; i++)
            CHECK_EQ(rd[i], i >= 1000 && i < 71000 ? 0xab : 0);
        CHECK_EQ(block_node_pread(bn, 4 * MIB - 10, rd, 65556), 0);
        CHECK_EQ(rd[9], 0);
        CHECK_EQ(rd[10], 0x5c);
        CHECK_EQ(rd[65545], 0x5c);
        CHECK_EQ(rd[65546], 0);
        /* Our writes, read back by qemu-io with pattern verification. */
        memset(rd, 0x77, 5000);
        CHECK_EQ(block_node_pwrite(bn, 65536 - 2500, rd, 5000), 0);
        memset(rd, 0x31, 100);
        CHECK_EQ(block_node_pwrite(bn, 7 * MIB, rd, 100), 0);
        block_node_close(bn);
        CHECK_EQ(qemu_check(img), 0);
        CHECK(check_clean(img));
        CHECK_EQ(bt_sh("qemu-io -f qcow2 -c 'read -P 0x77 63036 5000' -c 'read -P 0xab 1000 62036' "
                       "-c 'read -P 0x31 7M 100' -c 'read -P 0 7340132 1000' '%s' | "
                       "grep -q 'Pattern verification failed' && exit 1 || exit 0", img), 0);
    }
}

TEST_CASE(zero_clusters_hide_backing)
{
    if (!bt_have_qemu_img() || !bt_have_qemu_io())
        SKIP("qemu-img/qemu-io not installed");
    const char *base = bt_path("zbase.raw"), *img = bt_path("zero.qcow2");
    uint8_t *pat = malloc(MIB);
    CHECK(pat);
    memset(pat, 0xee, MIB);
    CHECK(write_file(base, pat, MIB));
    CHECK_EQ(bt_sh("qemu-img create -f qcow2 -b zbase.raw -F raw '%s'", img), 0);
    /* An unallocated zero cluster, and an allocated one turned to zero. */
    CHECK_EQ(bt_sh("qemu-io -f qcow2 -c 'write -z 0 64k' -c 'write -P 0x11 128k 64k' "
                   "-c 'write -z 128k 64k' '%s'", img), 0);
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    uint8_t rd[256 << 10];
    CHECK_EQ(block_node_pread(bn, 0, rd, sizeof(rd)), 0);
    for (size_t i = 0; i < sizeof(rd); i++)
        CHECK_EQ(rd[i], (i >> 16) == 1 || (i >> 16) == 3 ? 0xee : 0);
    /* Writing into a zero cluster keeps the rest zero, not the backing data. */
    memset(pat, 0x42, 10);
    CHECK_EQ(block_node_pwrite(bn, 1000, pat, 10), 0);
    CHECK_EQ(block_node_pwrite(bn, 128 * 1024 + 1000, pat, 10), 0);
    CHECK_EQ(block_node_pread(bn, 0, rd, sizeof(rd)), 0);
    for (size_t i = 0; i < sizeof(rd); i++) {
        size_t c = i >> 16, in = i & 0xffff;
        int want = (c == 1 || c == 3) ? 0xee : ((c == 0 || c == 2) && in >= 1000 && in < 1010) ? 0x42 : 0;
        CHECK_EQ(rd[i], want);
    }
    block_node_close(bn);
    CHECK(check_clean(img));
    CHECK_EQ(qemu_check(img), 0);
    free(pat);
}

TEST_CASE(internal_snapshot_cow)
{
    if (!bt_have_qemu_img())
        SKIP("qemu-img not installed (needed to take an internal snapshot)");
    const char *img = bt_path("snap.qcow2");
    uint64_t size = 2 * MIB;
    uint8_t *model = malloc(size);
    CHECK(model);
    bt_pattern(model, size, 77);
    const char *ref = bt_path("snap-before.raw");
    CHECK(write_file(ref, model, size));
    CHECK_EQ(bt_sh("qemu-img convert -f raw -O qcow2 '%s' '%s'", ref, img), 0);
    CHECK_EQ(bt_sh("qemu-img snapshot -c s1 '%s'", img), 0);
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    /* Shared L2 table and data clusters: both are copied before writing. */
    CHECK(rw_random(bn, model, size, 65536, 40, 3));
    block_node_close(bn);
    CHECK(check_clean(img));
    CHECK_EQ(qemu_check(img), 0);
    const char *now = bt_path("snap-now.raw"), *then = bt_path("snap-then.raw");
    CHECK(write_file(now, model, size));
    CHECK_EQ(bt_sh("qemu-img compare -f raw '%s' '%s'", now, img), 0);
    CHECK_EQ(bt_sh("qemu-img convert -l snapshot.name=s1 -O raw '%s' '%s'", img, then), 0);
    CHECK(bt_files_equal(then, ref));
    free(model);
}

TEST_CASE(persistent_bitmaps_stay_counted)
{
    if (!bt_have_qemu_img() || !bt_have_qemu_io())
        SKIP("qemu-img/qemu-io not installed (needed to add a dirty bitmap)");
    const char *img = bt_path("bitmap.qcow2");
    CHECK_EQ(bt_sh("qemu-img create -f qcow2 '%s' 4M", img), 0);
    CHECK_EQ(bt_sh("qemu-io -f qcow2 -c 'write -P 3 0 100k' '%s'", img), 0);
    if (bt_sh("qemu-img bitmap --add '%s' b0", img) != 0)
        SKIP("this qemu-img cannot add bitmaps");
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    uint8_t buf[5000];
    memset(buf, 9, sizeof(buf));
    CHECK_EQ(block_node_pwrite(bn, 2 * MIB, buf, sizeof(buf)), 0);
    block_node_close(bn);
    /* The bitmap is kept (flagged in use), its clusters still counted. */
    CHECK(check_clean(img));
    CHECK_EQ(qemu_check(img), 0);
    CHECK_EQ(bt_sh("qemu-img info '%s' | grep -q in-use", img), 0);
}

static void growth_case(unsigned cluster_bits, unsigned order, uint64_t size, bool *ok)
{
    const char *img = bt_path("grow.qcow2");
    *ok = false;
    if (!bt_create_qcow2(img, size, cluster_bits, 3, order, NULL, NULL))
        return;
    uint32_t rt_clusters = bt_peek32(img, 56);
    uint64_t rt_before = bt_peek64(img, 48);
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    uint8_t *model = malloc(size), *chunk = model;
    if (!bn || !model)
        goto out;
    bt_pattern(model, size, order + 1);
    for (uint64_t off = 0; off < size; off += 65536, chunk += 65536)
        if (block_node_pwrite(bn, off, chunk, size - off < 65536 ? size - off : 65536) < 0)
            goto out;
    if (!node_equals(bn, model, size))
        goto out;
    block_node_close(bn);
    bn = NULL;
    /* The table moved and grew; the old one was freed (check: no leak). */
    if (bt_peek32(img, 56) <= rt_clusters || bt_peek64(img, 48) == rt_before) {
        printf("  refcount table did not grow (%u clusters)\n", bt_peek32(img, 56));
        goto out;
    }
    bn = bt_open(img, NULL, BLOCK_OPEN_READONLY, NULL, 0);
    if (!bn || !node_equals(bn, model, size) || !check_clean(img) || qemu_check(img) != 0)
        goto out;
    *ok = true;
out:
    if (!*ok)
        printf("  case cluster_bits=%u refcount_order=%u\n", cluster_bits, order);
    block_node_close(bn);
    free(model);
}

TEST_CASE(refcount_table_growth)
{
    bool ok;
    /* 512-byte clusters, 16-bit refcounts: one table cluster covers 8 MiB. */
    growth_case(9, 4, 10 * MIB, &ok);
    CHECK(ok);
    /* 64-bit refcounts: 2 MiB. */
    growth_case(9, 6, 3 * MIB, &ok);
    CHECK(ok);
}

TEST_CASE(check_finds_leaks_and_corruption)
{
    const char *img = bt_path("bad-refs.qcow2");
    uint64_t cs = 65536;
    CHECK(bt_create_qcow2(img, 4 * MIB, 16, 3, 4, NULL, NULL));
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    uint8_t buf[100] = { 1 };
    CHECK_EQ(block_node_pwrite(bn, 0, buf, sizeof(buf)), 0);
    block_node_close(bn);
    uint64_t rb = bt_peek64(img, bt_peek64(img, 48));
    uint64_t end_cluster = bt_file_size(img) / cs;
    /* A cluster inside the file with refcount 1 that nothing uses: leak. */
    bt_truncate(img, (end_cluster + 1) * cs);
    uint8_t one[2] = { 0, 1 }, zero[2] = { 0, 0 };
    bt_poke_bytes(img, rb + 2 * end_cluster, one, 2);
    Qcow2CheckResult res;
    CHECK(bt_check(img, &res));
    CHECK_EQ(res.leaks, 1);
    CHECK_EQ(res.corruptions, 0);
    if (bt_have_qemu_img())
        CHECK_EQ(qemu_check(img), 3);
    /* The data cluster (the last one written) with refcount 0: corruption. */
    bt_poke_bytes(img, rb + 2 * end_cluster, zero, 2);
    uint64_t l2 = bt_peek64(img, bt_peek64(img, 40)) & 0x00fffffffffffe00ull;
    uint64_t data = bt_peek64(img, l2) & 0x00fffffffffffe00ull;
    CHECK(data);
    bt_poke_bytes(img, rb + 2 * (data / cs), zero, 2);
    CHECK(bt_check(img, &res));
    CHECK(res.corruptions >= 1);
    if (bt_have_qemu_img())
        CHECK_EQ(qemu_check(img), 2);
    /* Writing to it is refused rather than making things worse. */
    bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    CHECK_EQ(block_node_pwrite(bn, 10, buf, 10), -EIO);
    block_node_close(bn);
}

/* A damaged variant of a small valid image must fail to open with a single
 * line naming the file and containing want. */
typedef void (*Damage)(const char *img);

static bool damaged_case(const char *name, Damage damage, const char *want, bool readonly)
{
    const char *img = bt_path("damaged.qcow2");
    if (!bt_create_qcow2(img, 4 * MIB, 16, 3, 4, NULL, NULL))
        return false;
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    uint8_t buf[70000];
    memset(buf, 0x3c, sizeof(buf));
    if (!bn || block_node_pwrite(bn, 0, buf, sizeof(buf)) < 0)
        return false;
    block_node_close(bn);
    damage(img);
    char err[BLOCK_ERR_SIZE] = "";
    bn = bt_open(img, "qcow2", readonly ? BLOCK_OPEN_READONLY : 0, err, sizeof(err));
    if (bn) {
        printf("  %s: opened a damaged image\n", name);
        block_node_close(bn);
        return false;
    }
    if (!strstr(err, img) || !strstr(err, want) || strchr(err, '\n')) {
        printf("  %s: error '%s' lacks '%s'\n", name, err, want);
        return false;
    }
    return true;
}

static void dmg_magic(const char *p) { bt_poke32(p, 0, 0x12345678); }
static void dmg_trunc_header(const char *p) { bt_truncate(p, 50); }
static void dmg_trunc_v3_header(const char *p) { bt_truncate(p, 90); }
static void dmg_trunc_tables(const char *p) { bt_truncate(p, 65536); }
static void dmg_l1_past_end(const char *p) { bt_poke64(p, 40, 1ull << 40); }
static void dmg_l1_unaligned(const char *p) { bt_poke64(p, 40, 65536 * 3 + 8); }
static void dmg_l1_entry(const char *p) { bt_poke64(p, bt_peek64(p, 40), (1ull << 63) | (1ull << 40)); }
static void dmg_l1_reserved(const char *p) { bt_poke64(p, bt_peek64(p, 40), bt_peek64(p, bt_peek64(p, 40)) | 2); }
static void dmg_l1_huge(const char *p) { bt_poke32(p, 36, 0x7fffffff); }
static void dmg_l1_small(const char *p) { bt_poke32(p, 36, 0); }
static void dmg_rt_past_end(const char *p) { bt_poke64(p, 48, 1ull << 40); }
static void dmg_rt_entry(const char *p) { bt_poke64(p, bt_peek64(p, 48), 1ull << 40); }
static void dmg_rt_huge(const char *p) { bt_poke32(p, 56, 0xffffffff); }
static void dmg_rt_zero(const char *p) { bt_poke32(p, 56, 0); }
static void dmg_refcount_order(const char *p) { bt_poke32(p, 96, 7); }
static void dmg_cluster_bits(const char *p) { bt_poke32(p, 20, 31); }
static void dmg_version(const char *p) { bt_poke32(p, 4, 4); }
static void dmg_crypt(const char *p) { bt_poke32(p, 32, 1); }
static void dmg_unknown_bit(const char *p) { bt_poke64(p, 72, 1ull << 20); }
static void dmg_extl2(const char *p) { bt_poke64(p, 72, 1ull << 4); }
static void dmg_dirty(const char *p) { bt_poke64(p, 72, 1); }
static void dmg_corrupt(const char *p) { bt_poke64(p, 72, 2); }
static void dmg_header_len(const char *p) { bt_poke32(p, 100, 70000); }
static void dmg_backing_name(const char *p) { bt_poke64(p, 8, 65530); bt_poke32(p, 16, 100); }
static void dmg_extension(const char *p) { bt_poke32(p, 104, 0x12345678); bt_poke32(p, 108, 0xfffffff0); }
static void dmg_snapshots(const char *p) { bt_poke32(p, 60, 100000); }
static void dmg_size(const char *p) { bt_poke64(p, 24, 1ull << 62); }

TEST_CASE(damaged_images_refused)
{
    static const struct { const char *name; Damage fn; const char *want; } cases[] = {
        { "bad magic", dmg_magic, "not a qcow2 image (bad magic)" },
        { "truncated header", dmg_trunc_header, "header truncated" },
        { "truncated v3 header", dmg_trunc_v3_header, "header truncated" },
        { "truncated tables", dmg_trunc_tables, "outside the file" },
        { "L1 past end", dmg_l1_past_end, "L1 table at offset" },
        { "L1 unaligned", dmg_l1_unaligned, "L1 table at offset" },
        { "L1 entry past end", dmg_l1_entry, "L1 entry 0 points past the end" },
        { "L1 entry reserved bits", dmg_l1_reserved, "reserved bits" },
        { "L1 huge", dmg_l1_huge, "too large" },
        { "L1 too small", dmg_l1_small, "too small" },
        { "refcount table past end", dmg_rt_past_end, "refcount table at offset" },
        { "refcount block past end", dmg_rt_entry, "refcount table entry 0 points past" },
        { "refcount table huge", dmg_rt_huge, "refcount table of" },
        { "refcount table empty", dmg_rt_zero, "refcount table of" },
        { "refcount overflow", dmg_refcount_order, "overflow" },
        { "cluster bits", dmg_cluster_bits, "cluster size" },
        { "version", dmg_version, "version 4" },
        { "encryption", dmg_crypt, "encrypted" },
        { "unknown feature", dmg_unknown_bit, "unsupported incompatible features: bit 20" },
        { "extended L2", dmg_extl2, "extended L2" },
        { "dirty", dmg_dirty, "dirty" },
        { "corrupt bit", dmg_corrupt, "marked corrupt" },
        { "header length", dmg_header_len, "header length" },
        { "backing name", dmg_backing_name, "backing file name" },
        { "extension length", dmg_extension, "header extension" },
        { "snapshot count", dmg_snapshots, "snapshots" },
        { "virtual size", dmg_size, "too large" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(damaged_case(cases[i].name, cases[i].fn, cases[i].want, false));
    /* The corrupt bit still allows reading. */
    const char *img = bt_path("damaged.qcow2");
    CHECK(bt_create_qcow2(img, 4 * MIB, 16, 3, 4, NULL, NULL));
    dmg_corrupt(img);
    BlockNode *bn = bt_open(img, NULL, BLOCK_OPEN_READONLY, NULL, 0);
    CHECK(bn);
    block_node_close(bn);
}

TEST_CASE(damaged_tables_fail_io_not_process)
{
    const char *img = bt_path("bad-l2.qcow2");
    CHECK(bt_create_qcow2(img, 4 * MIB, 16, 3, 4, NULL, NULL));
    BlockNode *bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    uint8_t buf[4096];
    memset(buf, 0x5a, sizeof(buf));
    CHECK_EQ(block_node_pwrite(bn, 0, buf, sizeof(buf)), 0);
    CHECK_EQ(block_node_pwrite(bn, 65536, buf, sizeof(buf)), 0);
    block_node_close(bn);
    uint64_t l2 = bt_peek64(img, bt_peek64(img, 40)) & 0x00fffffffffffe00ull;
    /* Data cluster past the end; compressed cluster of garbage (the header). */
    bt_poke64(img, l2, (1ull << 63) | (1ull << 44));
    bt_poke64(img, l2 + 8, (1ull << 62) | 8);
    bn = bt_open(img, NULL, 0, NULL, 0);
    CHECK(bn);
    CHECK_EQ(block_node_pread(bn, 0, buf, 512), -EIO);
    CHECK_EQ(block_node_pwrite(bn, 0, buf, 512), -EIO);
    CHECK_EQ(block_node_pread(bn, 65536, buf, 512), -EIO);
    CHECK_EQ(block_node_pwrite(bn, 65536 + 10, buf, 512), -EIO);
    CHECK_EQ(block_node_pread(bn, 2 * 65536, buf, 512), 0);   /* the rest still works */
    block_node_close(bn);
}

int main(void)
{
    RUN(create_header_matches_spec);
    RUN(rw_across_cluster_boundaries);
    RUN(allocate_on_write_layout);
    RUN(backing_chain);
    RUN(backing_missing_is_one_line);
    RUN(compressed_clusters_from_qemu_img);
    RUN(images_made_by_qemu);
    RUN(zero_clusters_hide_backing);
    RUN(internal_snapshot_cow);
    RUN(persistent_bitmaps_stay_counted);
    RUN(refcount_table_growth);
    RUN(check_finds_leaks_and_corruption);
    RUN(damaged_images_refused);
    RUN(damaged_tables_fail_io_not_process);
    TEST_EXIT();
}
