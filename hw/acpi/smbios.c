/*
 * SMBIOS structure table builder (DMTF DSP0134 3.x; fields up to version
 * 2.8): BIOS (type 0), system (1), enclosure (3), processors (4), memory
 * array (16), memory devices (17), array mapped addresses (19), boot
 * status (32), end of table (127), and the 2.1 entry point, which direct
 * boot places in guest memory the way a BIOS would. Leaves out:
 * caches (7), slots (9), OEM strings, the 3.0 64-bit entry point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/smbios.h"
#include "mimic/le.h"

#define SMBIOS_MAX_TABLE 0xFFFF          /* the entry point's 16-bit length */
#define STRUCT_MAX_STRINGS 8

/* Formatted-area lengths for version 2.8. */
#define T0_LEN   0x18
#define T1_LEN   0x1B
#define T3_LEN   0x16
#define T4_LEN   0x2A
#define T16_LEN  0x17
#define T17_LEN  0x28
#define T19_LEN  0x1F
#define T32_LEN  0x0B
#define T127_LEN 0x04

#define HANDLE_NONE 0xFFFF               /* no such structure */
#define HANDLE_NO_ERROR_INFO 0xFFFE      /* type 16/17: error information not provided */

typedef struct Builder {
    uint8_t *buf;
    size_t len, cap;
    bool error;
    uint16_t next_handle;
    int nstructs;
    size_t max_struct;
    /* the structure being built */
    size_t start;
    const char *strings[STRUCT_MAX_STRINGS];
    int nstrings;
} Builder;

static uint8_t *grow(Builder *b, size_t n)
{
    if (b->error)
        return NULL;
    if (b->len + n > SMBIOS_MAX_TABLE) {
        b->error = true;
        return NULL;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->buf, cap);
        if (!p) {
            b->error = true;
            return NULL;
        }
        b->buf = p;
        b->cap = cap;
    }
    uint8_t *p = b->buf + b->len;
    memset(p, 0, n);
    b->len += n;
    return p;
}

/* Header (type, length, handle) and a zeroed formatted area; returns the
 * structure's handle. */
static uint16_t begin(Builder *b, uint8_t type, uint8_t len)
{
    b->start = b->len;
    b->nstrings = 0;
    uint16_t handle = b->next_handle++;
    uint8_t *p = grow(b, len);
    if (p) {
        p[0] = type;
        p[1] = len;
        st_le16(p + 2, handle);
    }
    return handle;
}

/* The structure's field at offset `off` (NULL after an error). */
static uint8_t *field(Builder *b, size_t off)
{
    return b->error ? NULL : b->buf + b->start + off;
}

static void set8(Builder *b, size_t off, uint8_t v)
{
    uint8_t *p = field(b, off);
    if (p)
        *p = v;
}

static void set16(Builder *b, size_t off, uint16_t v)
{
    uint8_t *p = field(b, off);
    if (p)
        st_le16(p, v);
}

static void set32(Builder *b, size_t off, uint32_t v)
{
    uint8_t *p = field(b, off);
    if (p)
        st_le32(p, v);
}

static void set64(Builder *b, size_t off, uint64_t v)
{
    uint8_t *p = field(b, off);
    if (p)
        st_le64(p, v);
}

/* A string field: its 1-based number in the structure's string set, or 0
 * for none (SMBIOS has no empty strings). */
static void set_str(Builder *b, size_t off, const char *s)
{
    if (!s || !*s)
        return;
    if (b->nstrings == STRUCT_MAX_STRINGS || strlen(s) > SMBIOS_MAX_STRING) {
        b->error = true;
        return;
    }
    b->strings[b->nstrings++] = s;
    set8(b, off, (uint8_t)b->nstrings);
}

/* The string set: each string NUL-terminated, then one more NUL; a
 * structure without strings ends in two NULs. */
static void end(Builder *b)
{
    for (int i = 0; i < b->nstrings; i++) {
        size_t n = strlen(b->strings[i]) + 1;
        uint8_t *p = grow(b, n);
        if (p)
            memcpy(p, b->strings[i], n);
    }
    grow(b, b->nstrings ? 1 : 2);
    if (b->error)
        return;
    b->nstructs++;
    if (b->len - b->start > b->max_struct)
        b->max_struct = b->len - b->start;
}

static void build_type0(Builder *b, const SmbiosConfig *c)
{
    begin(b, 0, T0_LEN);
    set_str(b, 0x04, c->bios_vendor);
    set_str(b, 0x05, c->bios_version);
    set16(b, 0x06, 0xE800);                      /* runtime segment, as SeaBIOS reports */
    set_str(b, 0x08, c->bios_date);
    uint32_t rom = c->bios_rom_size ? c->bios_rom_size : 64 * 1024;
    uint32_t units = (rom + 0xFFFF) / 0x10000;   /* 64 KiB * (n + 1) */
    set8(b, 0x09, (uint8_t)(units > 256 ? 0xFF : units - 1));
    /* Characteristics (table 7): ISA (4), PCI (7), shadowing (12), CD
     * boot (15), selectable boot (16), EDD (19), INT 9h keyboard (27),
     * INT 14h serial (28), INT 10h video (30). */
    set64(b, 0x0A, (1ull << 4) | (1ull << 7) | (1ull << 12) | (1ull << 15) | (1ull << 16) |
                   (1ull << 19) | (1ull << 27) | (1ull << 28) | (1ull << 30));
    set8(b, 0x12, 0x01);                         /* ext 1: ACPI */
    set8(b, 0x13, 0x04 | 0x10);                  /* ext 2: targeted content, virtual machine */
    set8(b, 0x14, 0);                            /* system BIOS release */
    set8(b, 0x15, 0);
    set8(b, 0x16, 0xFF);                         /* no embedded controller */
    set8(b, 0x17, 0xFF);
    end(b);
}

static void build_type1(Builder *b, const SmbiosConfig *c)
{
    begin(b, 1, T1_LEN);
    set_str(b, 0x04, c->manufacturer);
    set_str(b, 0x05, c->product);
    set_str(b, 0x06, c->version);
    set_str(b, 0x07, c->serial);
    uint8_t *u = field(b, 0x08);
    if (u)
        memcpy(u, c->uuid, 16);
    set8(b, 0x18, 0x06);                         /* wake-up type: power switch */
    set_str(b, 0x1A, c->family);
    end(b);
}

static void build_type3(Builder *b, const SmbiosConfig *c)
{
    begin(b, 3, T3_LEN);
    set_str(b, 0x04, c->manufacturer);
    set8(b, 0x05, 0x01);                         /* type: other */
    set_str(b, 0x06, c->version);
    set8(b, 0x09, 0x03);                         /* boot-up, power supply, thermal: safe */
    set8(b, 0x0A, 0x03);
    set8(b, 0x0B, 0x03);
    set8(b, 0x0C, 0x02);                         /* security status: unknown */
    end(b);
}

static void build_type4(Builder *b, const SmbiosConfig *c, int cpu)
{
    char socket[24];
    snprintf(socket, sizeof(socket), "CPU %d", cpu);

    begin(b, 4, T4_LEN);
    set_str(b, 0x04, socket);
    set8(b, 0x05, 0x03);                         /* central processor */
    set8(b, 0x06, 0x01);                         /* family: other */
    set_str(b, 0x07, c->manufacturer);
    set32(b, 0x08, c->cpu_signature);
    set32(b, 0x0C, c->cpu_features);
    set16(b, 0x14, c->cpu_mhz);                  /* max speed */
    set16(b, 0x16, c->cpu_mhz);                  /* current speed */
    set8(b, 0x18, 0x41);                         /* socket populated, CPU enabled */
    set8(b, 0x19, 0x01);                         /* upgrade: other */
    set16(b, 0x1A, HANDLE_NONE);                 /* L1, L2, L3 caches */
    set16(b, 0x1C, HANDLE_NONE);
    set16(b, 0x1E, HANDLE_NONE);
    set8(b, 0x23, 1);                            /* cores, enabled cores, threads */
    set8(b, 0x24, 1);
    set8(b, 0x25, 1);
    set16(b, 0x26, 0x0004);                      /* 64-bit capable */
    set16(b, 0x28, 0x0001);                      /* family 2: other */
    end(b);
}

static uint16_t build_type16(Builder *b, uint64_t ram, int ndimms)
{
    uint16_t h = begin(b, 16, T16_LEN);
    uint64_t kib = ram >> 10;
    set8(b, 0x04, 0x01);                         /* location: other */
    set8(b, 0x05, 0x03);                         /* use: system memory */
    set8(b, 0x06, 0x03);                         /* error correction: none */
    if (kib >= 0x80000000ull) {                  /* 2 TiB and up: extended field */
        set32(b, 0x07, 0x80000000u);
        set64(b, 0x0F, ram);
    } else {
        set32(b, 0x07, (uint32_t)kib);
    }
    set16(b, 0x0B, HANDLE_NO_ERROR_INFO);
    set16(b, 0x0D, (uint16_t)ndimms);
    end(b);
    return h;
}

static void build_type17(Builder *b, uint16_t array, int index, uint64_t size)
{
    char locator[24];
    snprintf(locator, sizeof(locator), "DIMM %d", index);

    uint64_t mib = (size + (1 << 20) - 1) >> 20;
    begin(b, 17, T17_LEN);
    set16(b, 0x04, array);
    set16(b, 0x06, HANDLE_NO_ERROR_INFO);
    set16(b, 0x08, 64);                          /* total and data width, bits */
    set16(b, 0x0A, 64);
    if (mib >= 0x7FFF) {                         /* 32 GiB - 1 MiB and up: extended size */
        set16(b, 0x0C, 0x7FFF);
        set32(b, 0x1C, (uint32_t)mib);
    } else {
        set16(b, 0x0C, (uint16_t)mib);
    }
    set8(b, 0x0E, 0x09);                         /* form factor: DIMM */
    set_str(b, 0x10, locator);
    set8(b, 0x12, 0x07);                         /* memory type: RAM */
    set16(b, 0x13, 0x0002);                      /* type detail: other */
    end(b);
}

static void build_type19(Builder *b, uint16_t array, uint64_t start, uint64_t size)
{
    uint64_t end_addr = start + size - 1;
    begin(b, 19, T19_LEN);
    if ((end_addr >> 10) >= 0xFFFFFFFFull) {     /* 4 TiB and up: byte addresses */
        set32(b, 0x04, 0xFFFFFFFFu);
        set32(b, 0x08, 0xFFFFFFFFu);
        set64(b, 0x0F, start);
        set64(b, 0x17, end_addr);
    } else {
        set32(b, 0x04, (uint32_t)(start >> 10));
        set32(b, 0x08, (uint32_t)(end_addr >> 10));
    }
    set16(b, 0x0C, array);
    set8(b, 0x0E, 1);                            /* partition width */
    end(b);
}

static bool config_valid(const SmbiosConfig *c)
{
    uint64_t ram = c->ram_below_4g + c->ram_above_4g;
    return c->ncpus >= 1 && c->ncpus <= SMBIOS_MAX_CPUS && c->ram_below_4g > 0 &&
           c->ram_below_4g <= (1ull << 32) &&
           (ram + SMBIOS_DIMM_SIZE - 1) / SMBIOS_DIMM_SIZE <= SMBIOS_MAX_DIMMS;
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return (uint8_t)-s;
}

/* Both entry point checksums; the intermediate one first, since the
 * whole-structure sum covers its byte (DSP0134 5.2.1). */
static void seal(uint8_t *ep)
{
    ep[SMBIOS_EP_DMI_CHECKSUM] = 0;
    ep[SMBIOS_EP_DMI_CHECKSUM] = checksum(ep + 0x10, SMBIOS_ANCHOR_SIZE - 0x10);
    ep[SMBIOS_EP_CHECKSUM] = 0;
    ep[SMBIOS_EP_CHECKSUM] = checksum(ep, SMBIOS_ANCHOR_SIZE);
}

bool smbios_build(const SmbiosConfig *c, SmbiosBlobs *out)
{
    memset(out, 0, sizeof(*out));
    if (!c || !config_valid(c))
        return false;
    Builder b = { 0 };
    uint64_t ram = c->ram_below_4g + c->ram_above_4g;
    int ndimms = (int)((ram + SMBIOS_DIMM_SIZE - 1) / SMBIOS_DIMM_SIZE);

    if (c->bios_vendor)
        build_type0(&b, c);
    build_type1(&b, c);
    build_type3(&b, c);
    for (int i = 0; i < c->ncpus; i++)
        build_type4(&b, c, i);
    uint16_t array = build_type16(&b, ram, ndimms);
    for (int i = 0; i < ndimms; i++) {
        uint64_t left = ram - (uint64_t)i * SMBIOS_DIMM_SIZE;
        build_type17(&b, array, i, left < SMBIOS_DIMM_SIZE ? left : SMBIOS_DIMM_SIZE);
    }
    build_type19(&b, array, 0, c->ram_below_4g);
    if (c->ram_above_4g)
        build_type19(&b, array, 1ull << 32, c->ram_above_4g);
    begin(&b, 32, T32_LEN);                      /* boot status 0: no errors */
    end(&b);
    begin(&b, 127, T127_LEN);
    end(&b);
    if (b.error) {
        free(b.buf);
        return false;
    }

    uint8_t *ep = out->anchor;
    memcpy(ep, "_SM_", 4);
    ep[0x05] = SMBIOS_ANCHOR_SIZE;
    ep[0x06] = SMBIOS_MAJOR;
    ep[0x07] = SMBIOS_MINOR;
    st_le16(ep + SMBIOS_EP_MAX_SIZE, (uint16_t)b.max_struct);
    memcpy(ep + 0x10, "_DMI_", 5);
    st_le16(ep + SMBIOS_EP_TABLE_LENGTH, (uint16_t)b.len);
    st_le32(ep + SMBIOS_EP_TABLE_ADDRESS, 0);
    st_le16(ep + SMBIOS_EP_NUM_STRUCTS, (uint16_t)b.nstructs);
    ep[0x1E] = SMBIOS_MAJOR << 4 | SMBIOS_MINOR;   /* BCD revision */
    seal(ep);
    out->tables = b.buf;
    out->tables_len = b.len;
    out->nstructs = b.nstructs;
    return true;
}

void smbios_blobs_free(SmbiosBlobs *b)
{
    free(b->tables);
    memset(b, 0, sizeof(*b));
}

/* What a BIOS does with the two fw_cfg files, for boots without one: the
 * 2.1 entry point holds a 32-bit table address, and an OS without EFI finds
 * the entry point only on a paragraph boundary (DSP0134 5.2.1). */
bool smbios_place(const SmbiosBlobs *b, uint8_t *ram, uint64_t ram_size,
                  uint64_t anchor_addr, uint64_t tables_addr)
{
    if (!b || !ram || !b->tables || !b->tables_len || memcmp(b->anchor, "_SM_", 4))
        return false;
    if (anchor_addr % SMBIOS_ANCHOR_ALIGN || anchor_addr > ram_size ||
        ram_size - anchor_addr < SMBIOS_ANCHOR_SIZE)
        return false;
    if (tables_addr > ram_size || ram_size - tables_addr < b->tables_len ||
        tables_addr + b->tables_len > (1ull << 32))
        return false;
    if (anchor_addr < tables_addr + b->tables_len && tables_addr < anchor_addr + SMBIOS_ANCHOR_SIZE)
        return false;
    memcpy(ram + tables_addr, b->tables, b->tables_len);
    uint8_t *ep = ram + anchor_addr;
    memcpy(ep, b->anchor, SMBIOS_ANCHOR_SIZE);
    st_le32(ep + SMBIOS_EP_TABLE_ADDRESS, (uint32_t)tables_addr);
    seal(ep);
    return true;
}
