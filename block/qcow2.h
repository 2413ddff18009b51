/*
 * qcow2 inside the block layer: on-disk constants, the open image's state
 * shared by qcow2.c (header, mapping, I/O), qcow2_refcount.c (allocation),
 * qcow2_check.c and qcow2_create.c, and the calls mimic-img makes.
 * Reference: QEMU's docs/interop/qcow2.txt (the qcow2 specification).
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "block/block_int.h"

#define QCOW2_MAGIC 0x514649fbu              /* "QFI\xfb" */
#define QCOW2_V2_HEADER_SIZE 72
#define QCOW2_V3_HEADER_SIZE 104
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21            /* 2 MiB, as QEMU */
#define QCOW2_DEFAULT_CLUSTER_BITS 16
#define QCOW2_DEFAULT_REFCOUNT_ORDER 4       /* 16-bit refcounts */
#define QCOW2_MAX_REFCOUNT_ORDER 6
#define QCOW2_MAX_L1_BYTES (32u << 20)       /* QEMU's limits: images beyond */
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)  /* them are damaged or hostile */
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_FORMAT_NAME 31
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BITMAPS 65535
#define QCOW2_MAX_BITMAP_DIR (64ull << 20)
#define QCOW2_MAX_FEATURE_NAMES 64
#define QCOW2_CACHE_ENTRIES 16
/* Clusters past the end of the file that refcounts may call used before we
 * believe the image is damaged rather than preallocated. */
#define QCOW2_MAX_USED_PAST_END (1ull << 16)

/* L1/L2/refcount-table entry bits. */
#define QCOW2_OFLAG_COPIED (1ull << 63)      /* refcount is exactly one */
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO 1ull                /* v3: reads as zeroes */
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ull   /* bits 9..55 */
#define QCOW2_L1_RESERVED (~(QCOW2_OFFSET_MASK | QCOW2_OFLAG_COPIED))
#define QCOW2_L2_STD_RESERVED 0x3f000000000001feull  /* bits 1..8, 56..61 */
#define QCOW2_REFTABLE_RESERVED 0x1ffull

#define QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS (1ull << 0)

#define QCOW2_EXT_END 0x00000000u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u
#define QCOW2_EXT_BITMAPS 0x23852875u

/* A few cluster-sized metadata tables (L2 tables or refcount blocks) kept in
 * memory. Updates are written through to the file at once, so the cache
 * never holds anything the file lacks. */
typedef struct Qcow2Cache {
    uint64_t offset[QCOW2_CACHE_ENTRIES];      /* 0: slot empty */
    uint64_t last_use[QCOW2_CACHE_ENTRIES];
    uint8_t *data[QCOW2_CACHE_ENTRIES];
    uint64_t clock;
} Qcow2Cache;

typedef struct Qcow2FeatureName {
    uint8_t type, bit;
    char name[47];
} Qcow2FeatureName;

typedef struct Qcow2 {
    BlockNode *bn;
    int fd;
    uint32_t version;
    unsigned cluster_bits;
    uint64_t cluster_size;
    unsigned l2_bits;                 /* log2 of entries per L2 table */
    uint64_t header_length;
    uint64_t incompat, compat, autoclear;

    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *l1;                     /* host byte order */

    unsigned refcount_order;
    unsigned refcount_bits;
    uint64_t refcount_max;
    unsigned refblock_bits;           /* log2 of entries per refcount block */
    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint64_t rt_entries;
    uint64_t *rt;                     /* refcount table, host byte order */

    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint32_t nb_bitmaps;              /* only with the bitmaps autoclear bit */
    uint64_t bitmap_dir_offset, bitmap_dir_size;

    char backing_file[QCOW2_MAX_BACKING_NAME + 1];
    char backing_format[QCOW2_MAX_FORMAT_NAME + 1];
    Qcow2FeatureName features[QCOW2_MAX_FEATURE_NAMES];
    int nfeatures;

    uint64_t file_size;               /* bytes of the host file as we know it */
    uint64_t free_hint;               /* no free cluster below this index */
    Qcow2Cache l2_cache, rb_cache;
    uint8_t *cow_buf;                 /* one cluster: read-modify-write */
    uint8_t *comp_in;                 /* compressed bytes (up to 2 clusters) */
    uint8_t *comp_out;                /* last decompressed cluster */
    uint64_t comp_entry;              /* its L2 entry; 0: none */

    /* Clusters being handed out, which a refcount block being created on
     * the way must not land on. */
    uint64_t alloc_pending;           /* cluster index + 1; 0: none */
    uint64_t grow_start, grow_count;  /* new refcount table being set up */
    bool rt_in_memory_only;
} Qcow2;

static inline uint32_t qcow2_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t qcow2_ld64(const uint8_t *p)
{
    return (uint64_t)qcow2_ld32(p) << 32 | qcow2_ld32(p + 4);
}
static inline uint16_t qcow2_ld16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void qcow2_st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void qcow2_st64(uint8_t *p, uint64_t v)
{
    qcow2_st32(p, (uint32_t)(v >> 32));
    qcow2_st32(p + 4, (uint32_t)v);
}

static inline uint64_t qcow2_clusters(const Qcow2 *s, uint64_t bytes)
{
    return (bytes >> s->cluster_bits) + ((bytes & (s->cluster_size - 1)) != 0);
}

/* Where a compressed cluster's bytes are, from its L2 entry. */
void qcow2_compressed_extent(const Qcow2 *s, uint64_t entry, uint64_t *offset, uint64_t *sectors);

/* qcow2_refcount.c */
int qcow2_cache_get(Qcow2 *s, Qcow2Cache *c, uint64_t offset, uint8_t **table);
uint8_t *qcow2_cache_install(Qcow2 *s, Qcow2Cache *c, uint64_t offset, const uint8_t *data);
void qcow2_cache_drop(Qcow2Cache *c, uint64_t offset);
void qcow2_cache_free(Qcow2Cache *c);
/* A metadata table at offset must be a whole cluster inside the file. */
bool qcow2_table_ok(const Qcow2 *s, uint64_t offset);
int qcow2_get_refcount(Qcow2 *s, uint64_t cluster, uint64_t *refcount);
int qcow2_set_refcount(Qcow2 *s, uint64_t cluster, uint64_t refcount);
/* One free cluster, its refcount now 1: its byte offset, or -errno. */
int64_t qcow2_alloc_cluster(Qcow2 *s);
/* Drop one reference to the cluster at offset. */
int qcow2_unref_cluster(Qcow2 *s, uint64_t offset);
/* Drop the references an L2 entry holds (standard or compressed). */
int qcow2_unref_l2_entry(Qcow2 *s, uint64_t entry);
/* Write through the host file, keeping file_size up to date. */
int qcow2_file_write(Qcow2 *s, uint64_t offset, const void *buf, size_t len);

/* qcow2_create.c */
typedef struct Qcow2CreateOptions {
    uint64_t size;
    unsigned cluster_bits;
    int version;                      /* 2 (compat=0.10) or 3 (compat=1.1) */
    unsigned refcount_order;
    const char *backing_file;         /* stored as given */
    const char *backing_format;       /* NULL: no format extension */
} Qcow2CreateOptions;
int qcow2_create_fd(int fd, const Qcow2CreateOptions *o, char *err, size_t errlen);
int qcow2_create(const char *path, const Qcow2CreateOptions *o, char *err, size_t errlen);

/* qcow2_check.c: qemu-img check semantics. Per-problem lines go to out. */
typedef struct Qcow2CheckResult {
    uint64_t corruptions, leaks;
    uint64_t check_errors;            /* could not read something */
    uint64_t guest_clusters, allocated_clusters, fragmented_clusters,
             compressed_clusters;
    uint64_t image_end_offset;
} Qcow2CheckResult;
int qcow2_check(BlockNode *bn, FILE *out, Qcow2CheckResult *res);

/* For mimic-img info. */
typedef struct Qcow2Info {
    uint32_t version;
    uint64_t cluster_size;
    unsigned refcount_bits;
    bool lazy_refcounts, corrupt;
    uint32_t nb_snapshots;
    const char *backing_file;         /* NULL: none */
    const char *backing_format;       /* NULL: not recorded */
} Qcow2Info;
/* False if bn is not a qcow2 node. */
bool qcow2_get_info(BlockNode *bn, Qcow2Info *info);

#endif
