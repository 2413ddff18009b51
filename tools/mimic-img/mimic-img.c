/*
 * mimic-img: create, inspect, convert and check disk images, with the
 * command line and output of qemu-img for the subset mimic needs, so that
 * scripts and people can use either tool on either tool's images.
 * Reference: the qemu-img manual (create/info/convert/check and its exit
 * codes). Leaves out: snapshots, resize, rebase, compressed output, json.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block_int.h"
#include "block/qcow2.h"

#define CONVERT_CHUNK (64u << 10)

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
    va_list ap;
    fputs("mimic-img: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mimic-img COMMAND [options]\n"
            "  create [-f raw|qcow2] [-o OPTIONS] [-b BACKING [-F FMT]] FILE [SIZE]\n"
            "  info [-f FMT] FILE\n"
            "  convert [-f FMT] [-O raw|qcow2] [-o OPTIONS] INPUT OUTPUT\n"
            "  check [-f FMT] FILE\n"
            "SIZE: bytes, or with a suffix k, M, G, T (powers of 1024).\n"
            "qcow2 OPTIONS: cluster_size=SIZE, compat=0.10|1.1, refcount_bits=N,\n"
            "  backing_file=FILE, backing_fmt=FMT (comma-separated).\n"
            "check exits 0 (consistent), 1 (check failed), 2 (corrupt), 3 (leaks only),\n"
            "63 (format has nothing to check), as qemu-img does.\n");
}

/* qemu-img sizes: a plain number is bytes; suffixes are powers of 1024. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-')
        return false;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    double unit = 1;
    if (*end) {
        const char *units = "bkmgtpe";
        const char *u = strchr(units, end[0] | 0x20);
        if (!u || end[1])
            return false;
        for (long i = 0; i < u - units; i++)
            unit *= 1024;
    }
    if (v * unit >= 9.2e18 || (double)(uint64_t)(v * unit) != v * unit)
        return false;
    *out = (uint64_t)(v * unit);
    return true;
}

/* "1 GiB", "196 KiB": three significant digits, as qemu-img prints. */
static const char *human_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 6) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%0.3g %s", v, units[u]);
    return buf;
}

typedef struct CreateOpts {
    Qcow2CreateOptions q;
    const char *backing, *backing_fmt;
} CreateOpts;

static void parse_create_options(const char *spec, CreateOpts *c)
{
    char *copy = strdup(spec), *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '=');
        if (!eq)
            die("-o %s: '%s' is not key=value", spec, it);
        *eq = 0;
        const char *v = eq + 1;
        uint64_t n;
        if (!strcmp(it, "cluster_size")) {
            if (!parse_size(v, &n) || n < 512 || n > (2u << 20) || (n & (n - 1)))
                die("-o cluster_size=%s: must be a power of two from 512 to 2M", v);
            c->q.cluster_bits = (unsigned)__builtin_ctzll(n);
        } else if (!strcmp(it, "compat")) {
            if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
                c->q.version = 2;
            else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
                c->q.version = 3;
            else
                die("-o compat=%s: use 0.10 or 1.1", v);
        } else if (!strcmp(it, "refcount_bits")) {
            char *end;
            unsigned long bits = strtoul(v, &end, 10);
            if (*end || !bits || bits > 64 || (bits & (bits - 1)))
                die("-o refcount_bits=%s: must be a power of two from 1 to 64", v);
            c->q.refcount_order = (unsigned)__builtin_ctzl(bits);
        } else if (!strcmp(it, "backing_file")) {
            c->backing = strdup(v);
        } else if (!strcmp(it, "backing_fmt")) {
            c->backing_fmt = strdup(v);
        } else if ((!strcmp(it, "preallocation") || !strcmp(it, "lazy_refcounts")) &&
                   (!strcmp(v, "off") || !strcmp(v, "none"))) {
            /* the defaults, spelled out */
        } else {
            die("-o %s: unknown or unsupported option '%s' (mimic-img has cluster_size, compat, "
                "refcount_bits, backing_file, backing_fmt)", spec, it);
        }
    }
    free(copy);
}

static BlockNode *open_image(const char *file, const char *fmt, unsigned flags)
{
    char err[BLOCK_ERR_SIZE];
    BlockNode *bn = block_node_open(file, fmt, flags, 0, err, sizeof(err));
    if (!bn)
        die("%s", err);
    return bn;
}

/* Create FILE as FMT; the caller opens it afterwards. */
static void create_image(const char *file, const char *fmt, CreateOpts *c, uint64_t size)
{
    char err[BLOCK_ERR_SIZE];
    if (!strcmp(fmt, "qcow2")) {
        c->q.size = size;
        c->q.backing_file = c->backing;
        c->q.backing_format = c->backing_fmt;
        if (qcow2_create(file, &c->q, err, sizeof(err)) < 0)
            die("%s", err);
        return;
    }
    if (strcmp(fmt, "raw"))
        die("unknown format '%s' (mimic-img has raw and qcow2)", fmt);
    if (c->backing)
        die("%s: raw images cannot have a backing file", file);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("%s: cannot create: %s", file, strerror(errno));
    if (ftruncate(fd, (off_t)size) < 0)
        die("%s: cannot set the size: %s", file, strerror(errno));
    close(fd);
}

static void default_create_opts(CreateOpts *c)
{
    memset(c, 0, sizeof(*c));
    c->q.cluster_bits = QCOW2_DEFAULT_CLUSTER_BITS;
    c->q.version = 3;
    c->q.refcount_order = QCOW2_DEFAULT_REFCOUNT_ORDER;
}

static int cmd_create(int argc, char **argv)
{
    const char *fmt = "raw";
    CreateOpts c;
    default_create_opts(&c);
    int opt;
    while ((opt = getopt(argc, argv, "+f:o:b:F:qh")) != -1) {
        switch (opt) {
        case 'f': fmt = optarg; break;
        case 'o': parse_create_options(optarg, &c); break;
        case 'b': c.backing = optarg; break;
        case 'F': c.backing_fmt = optarg; break;
        case 'q': break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind >= argc || argc - optind > 2)
        die("create: expected FILE [SIZE]");
    const char *file = argv[optind];
    uint64_t size = 0;
    bool have_size = optind + 1 < argc;
    if (have_size && !parse_size(argv[optind + 1], &size))
        die("create: invalid size '%s' (use e.g. 10G, 512M or bytes)", argv[optind + 1]);
    if (c.backing_fmt && !c.backing)
        die("create: -F needs -b");
    if (c.backing) {
        /* Like the image will, find the backing file beside it. */
        char path[8192];
        const char *slash = strrchr(file, '/');
        if (c.backing[0] != '/' && slash)
            snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - file), file, c.backing);
        else
            snprintf(path, sizeof(path), "%s", c.backing);
        BlockNode *b = open_image(path, c.backing_fmt, BLOCK_OPEN_READONLY | BLOCK_OPEN_NO_BACKING);
        if (!c.backing_fmt)
            c.backing_fmt = b->drv->name;
        if (!have_size)
            size = b->size;
        block_node_close(b);
    } else if (!have_size) {
        die("create: SIZE is required without a backing file");
    }
    /* As qemu-img: whole sectors (QEMU rounds a qcow2 size down otherwise). */
    size = (size + 511) & ~511ull;
    printf("Formatting '%s', fmt=%s size=%llu\n", file, fmt, (unsigned long long)size);
    create_image(file, fmt, &c, size);
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    const char *fmt = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "+f:Uh")) != -1) {
        switch (opt) {
        case 'f': fmt = optarg; break;
        case 'U': break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind + 1 != argc)
        die("info: expected one FILE");
    const char *file = argv[optind];
    BlockNode *bn = open_image(file, fmt, BLOCK_OPEN_READONLY | BLOCK_OPEN_NO_BACKING);
    struct stat st;
    char h1[32], h2[32];
    fstat(bn->fd, &st);
    printf("image: %s\n", file);
    printf("file format: %s\n", bn->drv->name);
    printf("virtual size: %s (%llu bytes)\n", human_size(bn->size, h1, sizeof(h1)),
           (unsigned long long)bn->size);
    printf("disk size: %s\n", human_size((uint64_t)st.st_blocks * 512, h2, sizeof(h2)));
    Qcow2Info qi;
    if (qcow2_get_info(bn, &qi)) {
        printf("cluster_size: %llu\n", (unsigned long long)qi.cluster_size);
        if (qi.backing_file) {
            /* As qemu-img: where a relative name really points. */
            const char *slash = strrchr(file, '/');
            if (qi.backing_file[0] != '/' && slash)
                printf("backing file: %s (actual path: %.*s/%s)\n", qi.backing_file,
                       (int)(slash - file), file, qi.backing_file);
            else
                printf("backing file: %s\n", qi.backing_file);
        }
        if (qi.backing_format)
            printf("backing file format: %s\n", qi.backing_format);
        if (qi.nb_snapshots)
            printf("snapshots: %u\n", qi.nb_snapshots);
        printf("Format specific information:\n");
        printf("    compat: %s\n", qi.version == 2 ? "0.10" : "1.1");
        if (qi.version >= 3) {
            printf("    compression type: zlib\n");
            printf("    lazy refcounts: %s\n", qi.lazy_refcounts ? "true" : "false");
        }
        printf("    refcount bits: %u\n", qi.refcount_bits);
        printf("    corrupt: %s\n", qi.corrupt ? "true" : "false");
        printf("    extended l2: false\n");
    }
    block_node_close(bn);
    return 0;
}

static int cmd_convert(int argc, char **argv)
{
    const char *in_fmt = NULL, *out_fmt = "raw";
    CreateOpts c;
    default_create_opts(&c);
    int opt;
    while ((opt = getopt(argc, argv, "+f:O:o:cpqUh")) != -1) {
        switch (opt) {
        case 'f': in_fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'o': parse_create_options(optarg, &c); break;
        case 'c': die("convert: compressed output (-c) is not supported");
        case 'p': case 'q': case 'U': break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind + 2 != argc)
        die("convert: expected INPUT OUTPUT");
    const char *in_file = argv[optind], *out_file = argv[optind + 1];
    if (!block_driver_find(out_fmt))
        die("convert: unknown output format '%s' (mimic-img has raw and qcow2)", out_fmt);
    BlockNode *in = open_image(in_file, in_fmt, BLOCK_OPEN_READONLY);
    create_image(out_file, out_fmt, &c, in->size);
    BlockNode *out = open_image(out_file, out_fmt, 0);
    uint8_t *buf = malloc(CONVERT_CHUNK);
    if (!buf)
        die("out of memory");
    /* Only data that is not zero is written: the new image (a fresh qcow2 or
     * a sparse raw file) already reads as zeroes everywhere else. */
    for (uint64_t off = 0; off < in->size; off += CONVERT_CHUNK) {
        size_t n = in->size - off < CONVERT_CHUNK ? (size_t)(in->size - off) : CONVERT_CHUNK;
        if (block_node_known_zero(in, off, n))
            continue;
        int r = block_node_pread(in, off, buf, n);
        if (r < 0)
            die("%s: read error at offset %llu: %s", in_file, (unsigned long long)off, strerror(-r));
        if (block_is_zero(buf, n))
            continue;
        if ((r = block_node_pwrite(out, off, buf, n)) < 0)
            die("%s: write error at offset %llu: %s", out_file, (unsigned long long)off,
                strerror(-r));
    }
    int r = block_node_flush(out);
    if (r < 0)
        die("%s: flush: %s", out_file, strerror(-r));
    free(buf);
    block_node_close(out);
    block_node_close(in);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    const char *fmt = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "+f:qUhr:")) != -1) {
        switch (opt) {
        case 'f': fmt = optarg; break;
        case 'q': case 'U': break;
        case 'h': usage(stdout); return 0;
        case 'r': die("check: repair (-r) is not supported; use qemu-img check -r");
        default: usage(stderr); return 1;
        }
    }
    if (optind + 1 != argc)
        die("check: expected one FILE");
    const char *file = argv[optind];
    BlockNode *bn = open_image(file, fmt, BLOCK_OPEN_READONLY | BLOCK_OPEN_NO_BACKING);
    if (bn->drv != &block_driver_qcow2) {
        fprintf(stderr, "mimic-img: %s: %s images have no metadata to check\n", file,
                bn->drv->name);
        block_node_close(bn);
        return 63;
    }
    Qcow2CheckResult res;
    fflush(stdout);
    int r = qcow2_check(bn, stderr, &res);
    block_node_close(bn);
    if (r < 0)
        die("%s: check failed: %s", file, strerror(-r));
    int status = 0;
    if (!res.corruptions && !res.leaks && !res.check_errors)
        printf("No errors were found on the image.\n");
    if (res.corruptions) {
        printf("\n%llu errors were found on the image.\n"
               "Data may be corrupted, or further writes to the image may corrupt it.\n",
               (unsigned long long)res.corruptions);
        status = 2;
    }
    if (res.leaks) {
        printf("\n%llu leaked clusters were found on the image.\n"
               "This means waste of disk space, but no harm to data.\n",
               (unsigned long long)res.leaks);
        if (!status)
            status = 3;
    }
    if (res.check_errors) {
        printf("\n%llu internal errors have occurred during the check.\n",
               (unsigned long long)res.check_errors);
        status = 1;
    }
    if (res.guest_clusters && res.allocated_clusters)
        printf("%llu/%llu = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
               (unsigned long long)res.allocated_clusters, (unsigned long long)res.guest_clusters,
               100.0 * (double)res.allocated_clusters / (double)res.guest_clusters,
               res.allocated_clusters ? 100.0 * (double)res.fragmented_clusters /
                                        (double)res.allocated_clusters : 0.0,
               res.allocated_clusters ? 100.0 * (double)res.compressed_clusters /
                                        (double)res.allocated_clusters : 0.0);
    printf("Image end offset: %llu\n", (unsigned long long)res.image_end_offset);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("mimic-img version 0.1.0\n");
        return 0;
    }
    argc--;
    argv++;
    optind = 1;
    if (!strcmp(cmd, "create"))
        return cmd_create(argc, argv);
    if (!strcmp(cmd, "info"))
        return cmd_info(argc, argv);
    if (!strcmp(cmd, "convert"))
        return cmd_convert(argc, argv);
    if (!strcmp(cmd, "check"))
        return cmd_check(argc, argv);
    die("unknown command '%s' (create, info, convert, check)", cmd);
}
