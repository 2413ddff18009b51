/*
 * The device-facing seam (mimic/block.h): format probing and refusals,
 * range and read-only errors, CD-ROMs, snapshot=on overlays that never touch
 * the image, user errors as one line naming the file, and I/O from two
 * threads at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "mimic/block.h"
#include "block_test_util.h"

#define MIB (1ull << 20)

static bool write_pattern_file(const char *path, uint64_t size, uint64_t seed)
{
    uint8_t *buf = malloc(size);
    FILE *f = fopen(path, "wb");
    bool ok = buf && f;
    if (ok) {
        bt_pattern(buf, size, seed);
        ok = fwrite(buf, 1, size, f) == size;
    }
    if (f)
        fclose(f);
    free(buf);
    return ok;
}

static BlockBackend *open_drive(const char *file, const char *format, bool readonly,
                                bool cdrom, bool snapshot, const char **err)
{
    DriveOptions d = {
        .file = file, .format = format, .iface = "ide", .index = 0,
        .readonly = readonly, .cdrom = cdrom, .snapshot = snapshot,
    };
    return blk_open(&d, err);
}

TEST_CASE(probe_raw_and_qcow2)
{
    const char *raw = bt_path("p.raw"), *q = bt_path("p.qcow2"), *err;
    CHECK(write_pattern_file(raw, MIB, 1));
    CHECK(bt_create_qcow2(q, 3 * MIB, 16, 3, 4, NULL, NULL));
    BlockBackend *bb = open_drive(raw, NULL, false, false, false, &err);
    CHECK(bb);
    CHECK(!strcmp(blk_format_name(bb), "raw"));
    CHECK_EQ(blk_size(bb), MIB);
    CHECK(!blk_is_readonly(bb));
    blk_close(bb);
    bb = open_drive(q, NULL, false, false, false, &err);
    CHECK(bb);
    CHECK(!strcmp(blk_format_name(bb), "qcow2"));
    CHECK_EQ(blk_size(bb), 3 * MIB);
    blk_close(bb);
    /* An explicit format=raw shows a qcow2 file's own bytes. */
    bb = open_drive(q, "raw", true, false, false, &err);
    CHECK(bb);
    uint8_t magic[4];
    CHECK_EQ(blk_pread(bb, 0, magic, 4), 0);
    CHECK(!memcmp(magic, "QFI\xfb", 4));
    blk_close(bb);
}

TEST_CASE(user_errors_name_the_file)
{
    const char *err;
    const char *missing = bt_path("nonexistent.img");
    CHECK(!open_drive(missing, NULL, false, false, false, &err));
    CHECK(strstr(err, missing) && strstr(err, "No such file"));
    CHECK(!strchr(err, '\n'));
    const char *raw = bt_path("e.raw");
    CHECK(write_pattern_file(raw, 4096, 2));
    CHECK(!open_drive(raw, "qcow2", false, false, false, &err));
    CHECK(strstr(err, raw) && strstr(err, "not a qcow2 image (bad magic)"));
    CHECK(!open_drive(raw, "vmdk", false, false, false, &err));
    CHECK(strstr(err, "unknown format 'vmdk'"));
    /* Formats we do not read are refused, not shown to the guest as raw. */
    const char *vmdk = bt_path("x.vmdk");
    bt_poke_bytes(vmdk, 0, "KDMV\1\0\0\0", 8);
    bt_truncate(vmdk, 65536);
    CHECK(!open_drive(vmdk, NULL, false, false, false, &err));
    CHECK(strstr(err, vmdk) && strstr(err, "VMDK"));
    BlockBackend *bb = open_drive(vmdk, "raw", false, false, false, &err);
    CHECK(bb);
    blk_close(bb);
    const char *dir = bt_path("");
    CHECK(!open_drive(dir, NULL, false, false, false, &err));
    CHECK(strstr(err, "is a directory"));
    DriveOptions none = { .iface = "ide" };
    CHECK(!blk_open(&none, &err));
    CHECK(strstr(err, "file="));
    if (geteuid() != 0) {
        chmod(raw, 0444);
        CHECK(!open_drive(raw, NULL, false, false, false, &err));
        CHECK(strstr(err, "readonly=on"));
        bb = open_drive(raw, NULL, true, false, false, &err);
        CHECK(bb);
        blk_close(bb);
    }
}

TEST_CASE(ranges_and_readonly)
{
    const char *raw = bt_path("r.raw"), *err;
    CHECK(write_pattern_file(raw, 64 * 1024, 3));
    BlockBackend *bb = open_drive(raw, NULL, false, false, false, &err);
    CHECK(bb);
    uint8_t buf[1024] = { 0 };
    CHECK_EQ(blk_pread(bb, 64 * 1024 - 1024, buf, 1024), 0);
    CHECK_EQ(blk_pread(bb, 64 * 1024 - 1023, buf, 1024), -EINVAL);
    CHECK_EQ(blk_pwrite(bb, 64 * 1024, buf, 1), -EINVAL);
    CHECK_EQ(blk_pread(bb, UINT64_MAX - 10, buf, 100), -EINVAL);
    CHECK_EQ(blk_pread(bb, 64 * 1024, buf, 0), 0);
    CHECK_EQ(blk_flush(bb), 0);
    blk_close(bb);
    bb = open_drive(raw, NULL, true, false, false, &err);
    CHECK(bb && blk_is_readonly(bb));
    CHECK_EQ(blk_pwrite(bb, 0, buf, 1), -EROFS);
    blk_close(bb);
    /* A CD is read-only whatever readonly= says; snapshot=on adds nothing. */
    bb = open_drive(raw, NULL, false, true, true, &err);
    CHECK(bb && blk_is_readonly(bb));
    CHECK_EQ(blk_pwrite(bb, 0, buf, 1), -EROFS);
    CHECK_EQ(blk_pread(bb, 0, buf, 1024), 0);
    blk_close(bb);
}

static void snapshot_case(const char *img, const char *fmt, bool *ok)
{
    const char *copy = bt_path("snapshot-copy");
    const char *err;
    *ok = false;
    if (bt_sh("cp '%s' '%s'", img, copy) != 0)
        return;
    BlockBackend *bb = open_drive(img, NULL, false, false, true, &err);
    if (!bb || blk_is_readonly(bb) || strcmp(blk_format_name(bb), fmt)) {
        printf("  %s: %s\n", img, bb ? blk_format_name(bb) : err);
        blk_close(bb);
        return;
    }
    uint64_t size = blk_size(bb);
    uint8_t *before = malloc(size), *data = malloc(200000), *after = malloc(size);
    if (!before || !data || !after || blk_pread(bb, 0, before, size) < 0)
        goto out;
    bt_pattern(data, 200000, 9);
    if (blk_pwrite(bb, 12345, data, 200000) < 0 || blk_pwrite(bb, size - 100, data, 100) < 0 ||
        blk_flush(bb) < 0 || blk_pread(bb, 0, after, size) < 0)
        goto out;
    memcpy(before + 12345, data, 200000);
    memcpy(before + size - 100, data, 100);
    if (memcmp(before, after, size)) {
        printf("  %s: overlay reads back wrong data\n", img);
        goto out;
    }
    blk_close(bb);
    bb = NULL;
    if (!bt_files_equal(img, copy)) {
        printf("  %s: the image changed under snapshot=on\n", img);
        goto out;
    }
    *ok = true;
out:
    blk_close(bb);
    free(before);
    free(data);
    free(after);
}

TEST_CASE(snapshot_overlay_leaves_image_alone)
{
    const char *raw = bt_path("s.raw");
    CHECK(write_pattern_file(raw, 2 * MIB + 512, 4));
    bool ok;
    snapshot_case(raw, "raw", &ok);
    CHECK(ok);
    const char *q = bt_path("s.qcow2"), *orig = bt_path("s-orig.raw");
    CHECK(bt_create_qcow2(q, 2 * MIB, 12, 3, 4, "s.raw", "raw"));
    CHECK_EQ(bt_sh("cp '%s' '%s'", raw, orig), 0);
    snapshot_case(q, "qcow2", &ok);
    CHECK(ok);
    CHECK(bt_files_equal(raw, orig));       /* nor its backing file */
}

typedef struct ThreadArg {
    BlockBackend *bb;
    uint64_t base;
    int failures;
} ThreadArg;

static void *writer(void *opaque)
{
    ThreadArg *a = opaque;
    uint8_t buf[3000];
    for (int i = 0; i < 300; i++) {
        uint64_t off = a->base + (uint64_t)i * 3001;
        memset(buf, (int)(i + a->base / MIB), sizeof(buf));
        if (blk_pwrite(a->bb, off, buf, sizeof(buf)) < 0)
            a->failures++;
    }
    return NULL;
}

TEST_CASE(two_threads_one_qcow2)
{
    const char *q = bt_path("threads.qcow2"), *err;
    CHECK(bt_create_qcow2(q, 8 * MIB, 12, 3, 4, NULL, NULL));
    BlockBackend *bb = open_drive(q, NULL, false, false, false, &err);
    CHECK(bb);
    ThreadArg a[2] = { { bb, 0, 0 }, { bb, 4 * MIB, 0 } };
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, writer, &a[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(a[0].failures + a[1].failures, 0);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 300; i++) {
            uint8_t buf[3000];
            CHECK_EQ(blk_pread(bb, a[k].base + (uint64_t)i * 3001, buf, sizeof(buf)), 0);
            for (int j = 0; j < 3000; j++)
                CHECK_EQ(buf[j], (uint8_t)(i + a[k].base / MIB));
        }
    }
    blk_close(bb);
    Qcow2CheckResult res;
    CHECK(bt_check(q, &res));
    CHECK_EQ(res.corruptions + res.leaks, 0);
}

int main(void)
{
    RUN(probe_raw_and_qcow2);
    RUN(user_errors_name_the_file);
    RUN(ranges_and_readonly);
    RUN(snapshot_overlay_leaves_image_alone);
    RUN(two_threads_one_qcow2);
    TEST_EXIT();
}
