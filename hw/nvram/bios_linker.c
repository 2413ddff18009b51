/*
 * Builder for the BIOS linker/loader command list ("etc/table-loader"), the
 * format SeaBIOS's src/fw/romfile_loader.c executes: fixed 128-byte entries,
 * little-endian fields, file names in 56-byte NUL-terminated fields.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/nvram/bios_linker.h"
#include "mimic/le.h"
#include "mimic/log.h"

void bios_linker_init(BiosLinker *l)
{
    memset(l, 0, sizeof(*l));
}

void bios_linker_free(BiosLinker *l)
{
    free(l->data);
    memset(l, 0, sizeof(*l));
}

static uint8_t *entry_new(BiosLinker *l, uint32_t command)
{
    if (l->len + BIOS_LINKER_ENTRY_SIZE > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16 * BIOS_LINKER_ENTRY_SIZE;
        uint8_t *p = realloc(l->data, cap);
        if (!p)
            fatal("out of memory");
        l->data = p;
        l->cap = cap;
    }
    uint8_t *e = l->data + l->len;
    l->len += BIOS_LINKER_ENTRY_SIZE;
    memset(e, 0, BIOS_LINKER_ENTRY_SIZE);
    st_le32(e, command);
    return e;
}

static bool name_ok(const char *name)
{
    return name && name[0] && strlen(name) < BIOS_LINKER_FILE_SIZE;
}

static bool reject(BiosLinker *l)
{
    l->error = true;
    return false;
}

bool bios_linker_allocate(BiosLinker *l, const char *file, uint32_t align, uint8_t zone)
{
    if (!name_ok(file) || align == 0 || (align & (align - 1)) ||
        (zone != BIOS_LINKER_ZONE_HIGH && zone != BIOS_LINKER_ZONE_FSEG))
        return reject(l);
    uint8_t *e = entry_new(l, BIOS_LINKER_ALLOCATE);
    memcpy(e + BIOS_LINKER_OFF_FILE, file, strlen(file));
    st_le32(e + BIOS_LINKER_OFF_ALIGN, align);
    e[BIOS_LINKER_OFF_ZONE] = zone;
    return true;
}

bool bios_linker_add_pointer(BiosLinker *l, const char *dest, uint32_t offset, uint8_t size,
                             const char *src)
{
    if (!name_ok(dest) || !name_ok(src) || (size != 1 && size != 2 && size != 4 && size != 8))
        return reject(l);
    uint8_t *e = entry_new(l, BIOS_LINKER_ADD_POINTER);
    memcpy(e + BIOS_LINKER_OFF_FILE, dest, strlen(dest));
    memcpy(e + BIOS_LINKER_OFF_SRC_FILE, src, strlen(src));
    st_le32(e + BIOS_LINKER_OFF_PTR_OFFSET, offset);
    e[BIOS_LINKER_OFF_PTR_SIZE] = size;
    return true;
}

bool bios_linker_add_checksum(BiosLinker *l, const char *file, uint32_t offset, uint32_t start,
                              uint32_t length)
{
    if (!name_ok(file) || (uint64_t)start + length > UINT32_MAX || offset < start ||
        offset - start >= length)
        return reject(l);
    uint8_t *e = entry_new(l, BIOS_LINKER_ADD_CHECKSUM);
    memcpy(e + BIOS_LINKER_OFF_FILE, file, strlen(file));
    st_le32(e + BIOS_LINKER_OFF_CK_OFFSET, offset);
    st_le32(e + BIOS_LINKER_OFF_CK_START, start);
    st_le32(e + BIOS_LINKER_OFF_CK_LENGTH, length);
    return true;
}
