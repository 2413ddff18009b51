/*
 * Test-side BIOS linker/loader: executes "etc/table-loader" commands the
 * way firmware does (allocate, copy, relocate pointers, fix checksums).
 */
#include <stdio.h>
#include <string.h>

#include "linker_exec.h"

static uint32_t le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static bool name_field(const uint8_t *p, char out[56])
{
    if (memchr(p, 0, 56) == NULL)
        return false;
    memcpy(out, p, 56);
    return out[0] != 0;
}

static LinkerPlaced *find(LinkerResult *res, const char *name)
{
    for (int i = 0; i < res->nfiles; i++)
        if (!strcmp(res->file[i].name, name))
            return &res->file[i];
    return NULL;
}

const LinkerPlaced *linker_placed(const LinkerResult *res, const char *name)
{
    return find((LinkerResult *)res, name);
}

static uint8_t *at(LinkerMemory *m, uint64_t addr)
{
    return m->mem + (addr - m->base);
}

#define FAIL(...) do { snprintf(res->error, sizeof(res->error), __VA_ARGS__); return false; } while (0)

bool linker_exec(const uint8_t *cmds, size_t len, const LinkerBlob *blobs, int nblobs,
                 LinkerMemory *mem, LinkerResult *res)
{
    memset(res, 0, sizeof(*res));
    if (len % 128)
        FAIL("command list length %zu is not a multiple of 128", len);
    for (size_t off = 0; off < len; off += 128) {
        const uint8_t *e = cmds + off;
        char a[56], b[56];
        switch (le(e, 4)) {
        case 1: {   /* ALLOCATE */
            if (!name_field(e + 4, a))
                FAIL("entry %zu: bad file name", off / 128);
            uint32_t align = le(e + 60, 4);
            uint8_t zone = e[64];
            if (!align || (align & (align - 1)))
                FAIL("%s: alignment %u", a, align);
            if (find(res, a))
                FAIL("%s allocated twice", a);
            const LinkerBlob *blob = NULL;
            for (int i = 0; i < nblobs; i++)
                if (!strcmp(blobs[i].name, a))
                    blob = &blobs[i];
            if (!blob || !blob->len)
                FAIL("%s: no such file", a);
            uint64_t *next = zone == 1 ? &mem->high_next : zone == 2 ? &mem->fseg_next : NULL;
            uint64_t end = zone == 1 ? mem->high_end : mem->fseg_end;
            if (!next)
                FAIL("%s: zone %u", a, zone);
            uint64_t addr = (*next + align - 1) & ~(uint64_t)(align - 1);
            if (addr + blob->len > end)
                FAIL("%s: zone %u full", a, zone);
            if (res->nfiles == LINKER_EXEC_MAX_FILES)
                FAIL("too many files");
            memcpy(at(mem, addr), blob->data, blob->len);
            *next = addr + blob->len;
            LinkerPlaced *p = &res->file[res->nfiles++];
            memcpy(p->name, a, sizeof(a));
            p->addr = addr, p->len = blob->len, p->align = align, p->zone = zone;
            break;
        }
        case 2: {   /* ADD_POINTER */
            if (!name_field(e + 4, a) || !name_field(e + 60, b))
                FAIL("entry %zu: bad file name", off / 128);
            LinkerPlaced *dst = find(res, a), *src = find(res, b);
            uint32_t o = le(e + 116, 4);
            uint8_t size = e[120];
            if (!dst || !src)
                FAIL("pointer %s -> %s: file not allocated yet", a, b);
            if ((size != 1 && size != 2 && size != 4 && size != 8) || o + (uint64_t)size > dst->len)
                FAIL("pointer in %s at %u size %u out of range", a, o, size);
            uint8_t *p = at(mem, dst->addr + o);
            uint64_t v = 0;
            for (unsigned i = 0; i < size; i++)
                v |= (uint64_t)p[i] << (8 * i);
            if (v >= src->len)
                FAIL("pointer in %s at %u: offset 0x%llx is outside %s", a, o,
                     (unsigned long long)v, b);
            v += src->addr;
            if (size < 8 && (v >> (8 * size)))
                FAIL("pointer in %s at %u does not fit %u bytes", a, o, size);
            for (unsigned i = 0; i < size; i++)
                p[i] = (uint8_t)(v >> (8 * i));
            res->npointers++;
            break;
        }
        case 3: {   /* ADD_CHECKSUM */
            if (!name_field(e + 4, a))
                FAIL("entry %zu: bad file name", off / 128);
            LinkerPlaced *f = find(res, a);
            uint32_t o = le(e + 60, 4), start = le(e + 64, 4), n = le(e + 68, 4);
            if (!f)
                FAIL("checksum of %s: not allocated", a);
            if (o >= f->len || (uint64_t)start + n > f->len || o < start || o >= start + n)
                FAIL("checksum of %s: offset %u range %u+%u out of range", a, o, start, n);
            uint8_t sum = 0;
            for (uint32_t i = 0; i < n; i++)
                sum = (uint8_t)(sum + *at(mem, f->addr + start + i));
            *at(mem, f->addr + o) = (uint8_t)(*at(mem, f->addr + o) - sum);
            res->nchecksums++;
            break;
        }
        default:
            FAIL("entry %zu: unknown command %u", off / 128, le(e, 4));
        }
    }
    return true;
}
