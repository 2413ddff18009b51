/*
 * Executes QEMU's table-loader commands (see romfile_loader.h): allocate and
 * fill each file, patch pointers between files, fix checksums, and report
 * addresses back through fw_cfg writes. Every offset is checked against the
 * file it refers to; a bad command stops the run.
 */
#include "romfile_loader.h"

static u8 sum_bytes(const u8 *p, u32 len)
{
    u8 s = 0;
    while (len--)
        s += *p++;
    return s;
}

static void name_copy(char *dst, const u8 *src)
{
    for (int i = 0; i < LOADER_NAME_SIZE; i++)
        dst[i] = src[i];
    dst[LOADER_NAME_SIZE - 1] = 0;
}

static int name_eq(const char *a, const char *b)
{
    for (int i = 0; i < LOADER_NAME_SIZE; i++) {
        if (a[i] != b[i])
            return 0;
        if (!a[i])
            return 1;
    }
    return 1;
}

static struct loader_file *find(struct loader_file *files, int n, const u8 *raw)
{
    char name[LOADER_NAME_SIZE];
    name_copy(name, raw);
    for (int i = 0; i < n; i++)
        if (name_eq(files[i].name, name))
            return &files[i];
    return 0;
}

static int valid_size(u32 size) { return size == 1 || size == 2 || size == 4 || size == 8; }

static u64 get_n(const u8 *p, u32 n)
{
    u64 v = 0;
    for (u32 i = 0; i < n; i++)
        v |= (u64)p[i] << (8 * i);
    return v;
}

static void put_n(u8 *p, u32 n, u64 v)
{
    for (u32 i = 0; i < n; i++)
        p[i] = v >> (8 * i);
}

int loader_run(const u8 *cmds, u32 len, const struct loader_ops *ops,
               struct loader_file *files, int max_files, const char **err)
{
    int n = 0;
    for (u32 off = 0; off + LOADER_CMD_SIZE <= len; off += LOADER_CMD_SIZE) {
        const u8 *c = cmds + off;
        switch (get_le32(c)) {
        case LOADER_ALLOCATE: {
            u32 align = get_le32(c + 60), size;
            u8 zone = c[64];
            if (n >= max_files) {
                *err = "too many files";
                return -1;
            }
            struct loader_file *f = &files[n];
            name_copy(f->name, c + 4);
            if (align & (align - 1)) {
                *err = "alignment not a power of two";
                return -1;
            }
            if (zone != LOADER_ZONE_HIGH && zone != LOADER_ZONE_FSEG) {
                *err = "unknown zone";
                return -1;
            }
            if (ops->file_size(ops->opaque, f->name, &size)) {
                *err = "file not found";
                return -1;
            }
            f->data = ops->alloc(ops->opaque, size, align, zone, &f->addr);
            if (!f->data && size) {
                *err = "out of memory";
                return -1;
            }
            f->size = size;
            if (size && ops->file_read(ops->opaque, f->name, f->data, size)) {
                *err = "read failed";
                return -1;
            }
            n++;
            break;
        }
        case LOADER_ADD_POINTER: {
            struct loader_file *dst = find(files, n, c + 4), *src = find(files, n, c + 60);
            u32 offset = get_le32(c + 116), size = c[120];
            if (!dst || !src || !valid_size(size) || offset > dst->size || size > dst->size - offset) {
                *err = "bad ADD_POINTER";
                return -1;
            }
            u64 v = get_n(dst->data + offset, size) + src->addr;
            put_n(dst->data + offset, size, v);
            break;
        }
        case LOADER_ADD_CHECKSUM: {
            struct loader_file *f = find(files, n, c + 4);
            u32 offset = get_le32(c + 60), start = get_le32(c + 64), length = get_le32(c + 68);
            if (!f || offset >= f->size || start > f->size || length > f->size - start) {
                *err = "bad ADD_CHECKSUM";
                return -1;
            }
            f->data[offset] -= sum_bytes(f->data + start, length);
            break;
        }
        case LOADER_WRITE_POINTER: {
            struct loader_file *src = find(files, n, c + 60);
            u32 dst_off = get_le32(c + 116), src_off = get_le32(c + 120), size = c[124];
            char dname[LOADER_NAME_SIZE];
            name_copy(dname, c + 4);
            if (!src || !valid_size(size) || src_off > src->size) {
                *err = "bad WRITE_POINTER";
                return -1;
            }
            u8 val[8];
            put_n(val, size, (u64)src->addr + src_off);
            if (!ops->write_pointer || ops->write_pointer(ops->opaque, dname, dst_off, val, size)) {
                *err = "WRITE_POINTER failed";
                return -1;
            }
            break;
        }
        default:
            break;      /* unknown commands are skipped, as the interface asks */
        }
    }
    return n;
}
