/*
 * AML byte-code builder (ACPI 6.4 section 20.2 "AML Grammar Definition" and
 * 6.4 "Resource Data Types"). Open objects reserve nothing: aml_end() knows
 * the content length and inserts the 1-4 byte PkgLength in front of it.
 * Leaves out everything a static DSDT does not need (see aml.h).
 */
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/aml.h"

/* Opcodes, ACPI 6.4 section 20.2.5 */
enum {
    AML_ZERO_OP = 0x00,
    AML_ONE_OP = 0x01,
    AML_NAME_OP = 0x08,
    AML_BYTE_PREFIX = 0x0A,
    AML_WORD_PREFIX = 0x0B,
    AML_DWORD_PREFIX = 0x0C,
    AML_STRING_PREFIX = 0x0D,
    AML_QWORD_PREFIX = 0x0E,
    AML_SCOPE_OP = 0x10,
    AML_BUFFER_OP = 0x11,
    AML_PACKAGE_OP = 0x12,
    AML_METHOD_OP = 0x14,
    AML_DUAL_NAME_PREFIX = 0x2E,
    AML_MULTI_NAME_PREFIX = 0x2F,
    AML_EXT_OP_PREFIX = 0x5B,
    AML_ROOT_CHAR = 0x5C,
    AML_PARENT_PREFIX = 0x5E,
    AML_RETURN_OP = 0xA4,
    AML_EXT_DEVICE_OP = 0x82,
};

/* Resource descriptor tags, ACPI 6.4 section 6.4.2 (small) and 6.4.3 (large) */
enum {
    RES_IRQ_NO_FLAGS = 0x22,      /* small type 4, length 2 */
    RES_IO = 0x47,                /* small type 8, length 7 */
    RES_END_TAG = 0x79,           /* small type 0xF, length 1 */
    RES_MEMORY32_FIXED = 0x86,
    RES_DWORD_ADDRESS = 0x87,
    RES_WORD_ADDRESS = 0x88,
    RES_EXT_IRQ = 0x89,
};

#define NAME_SEG_LEN 4
#define MAX_NAME_SEGS 255

void aml_init(Aml *a)
{
    memset(a, 0, sizeof(*a));
}

void aml_free(Aml *a)
{
    free(a->data);
    memset(a, 0, sizeof(*a));
}

bool aml_ok(const Aml *a)
{
    return !a->error && a->depth == 0;
}

static bool aml_reserve(Aml *a, size_t n)
{
    if (a->error)
        return false;
    if (n > AML_PKGLENGTH_MAX || a->len > AML_PKGLENGTH_MAX - n) {
        a->error = true;
        return false;
    }
    if (a->len + n <= a->cap)
        return true;
    size_t cap = a->cap ? a->cap : 256;
    while (cap < a->len + n)
        cap *= 2;
    uint8_t *p = realloc(a->data, cap);
    if (!p) {
        a->error = true;
        return false;
    }
    a->data = p;
    a->cap = cap;
    return true;
}

void aml_bytes(Aml *a, const void *bytes, size_t n)
{
    if (!aml_reserve(a, n))
        return;
    if (n)
        memcpy(a->data + a->len, bytes, n);
    a->len += n;
}

static void aml_u8(Aml *a, uint8_t v)
{
    aml_bytes(a, &v, 1);
}

static void aml_le(Aml *a, uint64_t v, unsigned size)
{
    uint8_t b[8];
    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    aml_bytes(a, b, size);
}

/*
 * PkgLength (section 20.2.4): bits 7-6 of the lead byte count the bytes
 * that follow (0-3). With none, bits 5-0 are the length; otherwise bits
 * 3-0 are its low nibble and each following byte adds 8 more bits. The
 * length counts the PkgLength bytes themselves, so the encoding size is
 * chosen with them included: 1 byte up to 63, 2 up to 2^12-1, 3 up to
 * 2^20-1, 4 up to 2^28-1.
 */
size_t aml_pkglength_encode(uint8_t out[4], size_t content)
{
    if (content + 1 <= 0x3F) {
        out[0] = (uint8_t)(content + 1);
        return 1;
    }
    for (size_t n = 2; n <= 4; n++) {
        size_t total = content + n;
        if (total < ((size_t)1 << (4 + 8 * (n - 1)))) {
            out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0F));
            for (size_t i = 1; i < n; i++)
                out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
            return n;
        }
    }
    return 0;
}

static void aml_open(Aml *a)
{
    if (a->error)
        return;
    if (a->depth >= AML_MAX_DEPTH) {
        a->error = true;
        return;
    }
    a->open[a->depth++] = a->len;
}

void aml_end(Aml *a)
{
    if (a->error)
        return;
    if (a->depth == 0) {
        a->error = true;
        return;
    }
    size_t start = a->open[--a->depth];
    size_t content = a->len - start;
    uint8_t enc[4];
    size_t n = aml_pkglength_encode(enc, content);
    if (n == 0 || !aml_reserve(a, n)) {
        a->error = true;
        return;
    }
    memmove(a->data + start + n, a->data + start, content);
    memcpy(a->data + start, enc, n);
    a->len += n;
}

static bool name_lead_char(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
    return name_lead_char(c) || (c >= '0' && c <= '9');
}

/* One segment of `path` starting at *p, padded to 4 characters. */
static bool parse_seg(const char **p, char seg[NAME_SEG_LEN])
{
    const char *s = *p;
    size_t n = 0;
    if (!name_lead_char(*s))
        return false;
    while (name_char(s[n])) {
        if (n == NAME_SEG_LEN)
            return false;
        seg[n] = s[n];
        n++;
    }
    for (size_t i = n; i < NAME_SEG_LEN; i++)
        seg[i] = '_';
    *p = s + n;
    return true;
}

void aml_name_string(Aml *a, const char *path)
{
    char segs[MAX_NAME_SEGS][NAME_SEG_LEN];
    size_t nsegs = 0;
    const char *p = path;

    if (!path) {
        a->error = true;
        return;
    }
    if (*p == '\\') {
        aml_u8(a, AML_ROOT_CHAR);
        p++;
    } else {
        while (*p == '^') {
            aml_u8(a, AML_PARENT_PREFIX);
            p++;
        }
    }
    if (*p == '\0') {
        if (strcmp(path, "\\") != 0) {    /* only "\" alone may name no segment */
            a->error = true;
            return;
        }
        aml_u8(a, AML_ZERO_OP);             /* NullName */
        return;
    }
    for (;;) {
        if (nsegs == MAX_NAME_SEGS || !parse_seg(&p, segs[nsegs])) {
            a->error = true;
            return;
        }
        nsegs++;
        if (*p == '\0')
            break;
        if (*p != '.') {
            a->error = true;
            return;
        }
        p++;
    }
    if (nsegs == 2)
        aml_u8(a, AML_DUAL_NAME_PREFIX);
    else if (nsegs > 2) {
        aml_u8(a, AML_MULTI_NAME_PREFIX);
        aml_u8(a, (uint8_t)nsegs);
    }
    aml_bytes(a, segs, nsegs * NAME_SEG_LEN);
}

void aml_integer(Aml *a, uint64_t value)
{
    if (value == 0)
        aml_u8(a, AML_ZERO_OP);
    else if (value == 1)
        aml_u8(a, AML_ONE_OP);
    else if (value <= 0xFF) {
        aml_u8(a, AML_BYTE_PREFIX);
        aml_le(a, value, 1);
    } else if (value <= 0xFFFF) {
        aml_u8(a, AML_WORD_PREFIX);
        aml_le(a, value, 2);
    } else if (value <= 0xFFFFFFFFu) {
        aml_u8(a, AML_DWORD_PREFIX);
        aml_le(a, value, 4);
    } else {
        aml_u8(a, AML_QWORD_PREFIX);
        aml_le(a, value, 8);
    }
}

void aml_string(Aml *a, const char *s)
{
    if (!s) {
        a->error = true;
        return;
    }
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c > 0x7F) {
            a->error = true;
            return;
        }
    }
    aml_u8(a, AML_STRING_PREFIX);
    aml_bytes(a, s, strlen(s) + 1);
}

/*
 * EISA ID (section 19.6.35 EISAID): three upper-case letters packed as
 * 5-bit values (letter - 0x40) into the first two bytes, big-endian, then
 * four hex digits as two bytes; stored as a DWord whose first byte in
 * memory is the first packed byte. Always a DWord, as OSPM expects of _HID.
 */
void aml_eisaid(Aml *a, const char *id)
{
    uint8_t b[4];
    unsigned letters[3], digits[4];

    if (!id || strlen(id) != 7) {
        a->error = true;
        return;
    }
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z') {
            a->error = true;
            return;
        }
        letters[i] = (unsigned)(id[i] - 0x40);
    }
    for (int i = 0; i < 4; i++) {
        char c = id[3 + i];
        if (c >= '0' && c <= '9')
            digits[i] = (unsigned)(c - '0');
        else if (c >= 'A' && c <= 'F')
            digits[i] = (unsigned)(c - 'A' + 10);
        else {
            a->error = true;
            return;
        }
    }
    b[0] = (uint8_t)((letters[0] << 2) | (letters[1] >> 3));
    b[1] = (uint8_t)(((letters[1] & 7) << 5) | letters[2]);
    b[2] = (uint8_t)((digits[0] << 4) | digits[1]);
    b[3] = (uint8_t)((digits[2] << 4) | digits[3]);
    aml_u8(a, AML_DWORD_PREFIX);
    aml_bytes(a, b, 4);
}

void aml_buffer(Aml *a, const void *bytes, size_t n)
{
    aml_u8(a, AML_BUFFER_OP);
    aml_open(a);
    aml_integer(a, n);
    aml_bytes(a, bytes, n);
    aml_end(a);
}

void aml_package_begin(Aml *a, unsigned count)
{
    if (count > AML_PACKAGE_MAX_ELEMENTS) {
        a->error = true;
        return;
    }
    aml_u8(a, AML_PACKAGE_OP);
    aml_open(a);
    aml_u8(a, (uint8_t)count);
}

void aml_name(Aml *a, const char *name)
{
    aml_u8(a, AML_NAME_OP);
    aml_name_string(a, name);
}

void aml_name_integer(Aml *a, const char *name, uint64_t value)
{
    aml_name(a, name);
    aml_integer(a, value);
}

void aml_name_eisaid(Aml *a, const char *name, const char *id)
{
    aml_name(a, name);
    aml_eisaid(a, id);
}

void aml_scope_begin(Aml *a, const char *path)
{
    aml_u8(a, AML_SCOPE_OP);
    aml_open(a);
    aml_name_string(a, path);
}

void aml_device_begin(Aml *a, const char *path)
{
    aml_u8(a, AML_EXT_OP_PREFIX);
    aml_u8(a, AML_EXT_DEVICE_OP);
    aml_open(a);
    aml_name_string(a, path);
}

/* MethodFlags (section 20.2.5.2): bits 2-0 ArgCount, bit 3 SerializeFlag,
 * bits 7-4 SyncLevel (left 0). */
void aml_method_begin(Aml *a, const char *name, unsigned nargs, bool serialized)
{
    if (nargs > 7) {
        a->error = true;
        return;
    }
    aml_u8(a, AML_METHOD_OP);
    aml_open(a);
    aml_name_string(a, name);
    aml_u8(a, (uint8_t)(nargs | (serialized ? 0x08 : 0)));
}

void aml_return(Aml *a)
{
    aml_u8(a, AML_RETURN_OP);
}

/* IO Port Descriptor (6.4.2.5): 16-bit decode, min, max, alignment, length. */
void aml_res_io(Aml *res, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    aml_u8(res, RES_IO);
    aml_u8(res, 0x01);
    aml_le(res, min, 2);
    aml_le(res, max, 2);
    aml_u8(res, align);
    aml_u8(res, len);
}

/* IRQ Descriptor (6.4.2.1) without the flags byte: edge, active high,
 * not shared. */
void aml_res_irq(Aml *res, uint16_t mask)
{
    aml_u8(res, RES_IRQ_NO_FLAGS);
    aml_le(res, mask, 2);
}

/* Extended Interrupt Descriptor (6.4.3.6) with one interrupt and no
 * resource source. Flags: bit0 consumer, bit1 edge(1)/level(0),
 * bit2 active low, bit3 shared. */
void aml_res_ext_irq(Aml *res, bool consumer, bool level, bool active_low, bool shared,
                     uint32_t gsi)
{
    aml_u8(res, RES_EXT_IRQ);
    aml_le(res, 6, 2);
    aml_u8(res, (uint8_t)((consumer ? 1 : 0) | (level ? 0 : 2) | (active_low ? 4 : 0) |
                          (shared ? 8 : 0)));
    aml_u8(res, 1);
    aml_le(res, gsi, 4);
}

/* 32-Bit Fixed Memory Range Descriptor (6.4.3.4). */
void aml_res_memory32_fixed(Aml *res, bool writable, uint32_t base, uint32_t size)
{
    aml_u8(res, RES_MEMORY32_FIXED);
    aml_le(res, 9, 2);
    aml_u8(res, writable ? 1 : 0);
    aml_le(res, base, 4);
    aml_le(res, size, 4);
}

/* Address space descriptors (6.4.3.5.2 DWord, 6.4.3.5.3 Word). General
 * flags 0x0C: _MAF and _MIF fixed, positive decode, producer (bit0 = 0). */
enum { ADDR_SPACE_MEMORY = 0, ADDR_SPACE_IO = 1, ADDR_SPACE_BUS = 2 };
#define ADDR_GENERAL_FLAGS 0x0C

static void res_word_address(Aml *res, uint8_t type, uint8_t type_flags, uint16_t min,
                             uint16_t max)
{
    aml_u8(res, RES_WORD_ADDRESS);
    aml_le(res, 13, 2);
    aml_u8(res, type);
    aml_u8(res, ADDR_GENERAL_FLAGS);
    aml_u8(res, type_flags);
    aml_le(res, 0, 2);                       /* granularity */
    aml_le(res, min, 2);
    aml_le(res, max, 2);
    aml_le(res, 0, 2);                       /* translation offset */
    aml_le(res, (uint32_t)max - min + 1, 2);
    if (max < min || (uint32_t)max - min + 1 > 0xFFFF)   /* length must fit */
        res->error = true;
}

void aml_res_word_bus(Aml *res, uint16_t min, uint16_t max)
{
    res_word_address(res, ADDR_SPACE_BUS, 0, min, max);
}

/* Type-specific flags 3: _RNG = ISA and non-ISA ranges. */
void aml_res_word_io(Aml *res, uint16_t min, uint16_t max)
{
    res_word_address(res, ADDR_SPACE_IO, 3, min, max);
}

/* Type-specific flags: bit0 read-write, bits 2-1 _MEM (1 cacheable,
 * 0 non-cacheable), _MTP = AddressRangeMemory. */
void aml_res_dword_memory(Aml *res, bool cacheable, uint32_t min, uint32_t max)
{
    aml_u8(res, RES_DWORD_ADDRESS);
    aml_le(res, 23, 2);
    aml_u8(res, ADDR_SPACE_MEMORY);
    aml_u8(res, ADDR_GENERAL_FLAGS);
    aml_u8(res, (uint8_t)(1 | (cacheable ? 2 : 0)));
    aml_le(res, 0, 4);
    aml_le(res, min, 4);
    aml_le(res, max, 4);
    aml_le(res, 0, 4);
    aml_le(res, (uint64_t)max - min + 1, 4);
    if (max < min || (uint64_t)max - min + 1 > 0xFFFFFFFFu)
        res->error = true;
}

/* End Tag (6.4.2.9): its checksum byte makes the whole template sum to 0. */
void aml_resource_template(Aml *a, const Aml *res)
{
    if (res->error || res->depth != 0) {
        a->error = true;
        return;
    }
    uint8_t sum = RES_END_TAG;
    for (size_t i = 0; i < res->len; i++)
        sum = (uint8_t)(sum + res->data[i]);
    uint8_t end[2] = { RES_END_TAG, (uint8_t)-sum };

    aml_u8(a, AML_BUFFER_OP);
    aml_open(a);
    aml_integer(a, res->len + sizeof(end));
    aml_bytes(a, res->data, res->len);
    aml_bytes(a, end, sizeof(end));
    aml_end(a);
}
