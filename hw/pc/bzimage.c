/*
 * bzImage payload extraction (boot.rst "payload_offset"/"payload_length",
 * protocol 2.08+), decompression with zlib (gzip), liblzma (xz, lzma) and
 * libzstd (zstd), and vmlinux ELF-64 parsing (System V gABI, program headers
 * and notes). Leaves out bzip2, LZO and LZ4, and ELF section headers.
 */
#include "mimic/le.h"
#include "hw/pc/bzimage.h"

#include <inttypes.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* Setup header fields (boot.rst "The Real-Mode Kernel Header"). */
#define HDR_SETUP_SECTS    0x1f1
#define HDR_SYSSIZE        0x1f4
#define HDR_MAGIC          0x202
#define HDR_VERSION        0x206
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_INIT_SIZE      0x260
#define HDR_MIN_SIZE       0x264
#define PROTOCOL_PAYLOAD   0x208
#define PROTOCOL_INIT_SIZE 0x20a
#define SIZE_TRAILER       4

/* ELF-64 (gABI 4.1, x86-64 psABI). */
#define EI_CLASS     4
#define EI_DATA      5
#define ELFCLASS32   1
#define ELFCLASS64   2
#define ELFDATA2LSB  1
#define ET_EXEC      2
#define EM_X86_64    62
#define EHDR64_SIZE  64
#define PHDR64_SIZE  56
#define PT_LOAD      1
#define PT_NOTE      4
#define PF_X         1
/* include/xen/interface/elfnote.h: the 32-bit PVH entry point. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static char bz_err[256];

static BzimageResult fail(BzimageResult r, const char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static BzimageResult fail(BzimageResult r, const char **err, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(bz_err, sizeof(bz_err), "bzimage: ");
    va_start(ap, fmt);
    vsnprintf(bz_err + n, sizeof(bz_err) - n, fmt, ap);
    va_end(ap);
    if (err)
        *err = bz_err;
    return r;
}


const char *bzimage_format_name(BzimageFormat f)
{
    static const char *const names[] = {
        [BZIMAGE_UNKNOWN] = "unknown", [BZIMAGE_GZIP] = "gzip",
        [BZIMAGE_BZIP2] = "bzip2", [BZIMAGE_LZMA] = "lzma", [BZIMAGE_XZ] = "xz",
        [BZIMAGE_LZO] = "lzo", [BZIMAGE_LZ4] = "lz4", [BZIMAGE_ZSTD] = "zstd",
    };
    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

/* The magics lib/decompress.c recognises, plus the full ones of each tool. */
BzimageFormat bzimage_detect(const uint8_t *p, size_t n)
{
    static const struct { const char *magic; size_t len; BzimageFormat f; } tab[] = {
        { "\x1f\x8b", 2, BZIMAGE_GZIP },
        { "\x1f\x9e", 2, BZIMAGE_GZIP },            /* old gzip */
        { "BZh", 3, BZIMAGE_BZIP2 },
        { "\xfd" "7zXZ\0", 6, BZIMAGE_XZ },
        { "\x5d\x00", 2, BZIMAGE_LZMA },            /* lc=3 lp=0 pb=2 */
        { "\x89LZO", 4, BZIMAGE_LZO },
        { "\x02\x21\x4c\x18", 4, BZIMAGE_LZ4 },     /* lz4 -l legacy frame */
        { "\x28\xb5\x2f\xfd", 4, BZIMAGE_ZSTD },
    };
    for (size_t i = 0; p && i < sizeof(tab) / sizeof(tab[0]); i++)
        if (n >= tab[i].len && memcmp(p, tab[i].magic, tab[i].len) == 0)
            return tab[i].f;
    return BZIMAGE_UNKNOWN;
}

BzimageResult bzimage_payload(const uint8_t *k, size_t n, const uint8_t **payload,
                              size_t *len, const char **err)
{
    if (!k || n < HDR_MIN_SIZE || memcmp(k + HDR_MAGIC, "HdrS", 4) != 0)
        return fail(BZIMAGE_UNSUPPORTED, err, "not a bzImage with a full setup header");
    uint16_t version = ld_le16(k + HDR_VERSION);
    if (version < PROTOCOL_PAYLOAD)
        return fail(BZIMAGE_UNSUPPORTED, err, "boot protocol %u.%02u has no payload "
                    "fields; need 2.08 or newer", version >> 8, version & 0xff);
    unsigned sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;
    uint64_t setup = (uint64_t)(sects + 1) * 512;
    uint64_t pm = (uint64_t)ld_le32(k + HDR_SYSSIZE) * 16;
    uint64_t off = ld_le32(k + HDR_PAYLOAD_OFFSET), plen = ld_le32(k + HDR_PAYLOAD_LENGTH);
    if (setup >= n)
        return fail(BZIMAGE_CORRUPT, err, "image truncated: %zu bytes, setup code "
                    "alone is %" PRIu64, n, setup);
    if (!pm || pm > n - setup)
        pm = n - setup;
    /* All 64-bit arithmetic on 32-bit fields: no overflow. */
    if (plen < SIZE_TRAILER + 2 || off + plen > pm)
        return fail(BZIMAGE_CORRUPT, err, "payload [0x%" PRIx64 ", +0x%" PRIx64 ") lies "
                    "outside the %" PRIu64 "-byte protected-mode image", off, plen, pm);
    *payload = k + setup + off;
    *len = (size_t)plen;
    return BZIMAGE_OK;
}

/* Each decoder fills out[0..cap) and reports how many bytes the stream
 * produced in *got; a stream that wants to go past cap reports cap + 1 so
 * the caller's size check names it. Trailing input after the stream's end
 * (the size trailer) is ignored. */
static BzimageResult decode_gzip(const uint8_t *in, size_t len, uint8_t *out,
                                 size_t cap, size_t *got, const char **err)
{
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)       /* 16: gzip wrapper */
        return fail(BZIMAGE_CORRUPT, err, "zlib initialisation failed");
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)len;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    int z = inflate(&s, Z_FINISH);
    *got = s.total_out;
    BzimageResult r = BZIMAGE_OK;
    if (z == Z_BUF_ERROR && s.avail_out == 0)
        *got = cap + 1;
    else if (z == Z_BUF_ERROR)
        r = fail(BZIMAGE_CORRUPT, err, "gzip payload is truncated");
    else if (z != Z_STREAM_END)
        r = fail(BZIMAGE_CORRUPT, err, "gzip payload is corrupt (%s)",
                 s.msg ? s.msg : zError(z));
    inflateEnd(&s);
    return r;
}

static BzimageResult decode_lzma(BzimageFormat f, const uint8_t *in, size_t len,
                                 uint8_t *out, size_t cap, size_t *got, const char **err)
{
    lzma_stream s = LZMA_STREAM_INIT;
    /* Not LZMA_CONCATENATED: stop after the first .xz stream, before the
     * size trailer. */
    lzma_ret ret = f == BZIMAGE_XZ ? lzma_stream_decoder(&s, BZIMAGE_DECODER_MEMLIMIT, 0)
                                   : lzma_alone_decoder(&s, BZIMAGE_DECODER_MEMLIMIT);
    if (ret != LZMA_OK)
        return fail(BZIMAGE_CORRUPT, err, "liblzma initialisation failed (%d)", (int)ret);
    s.next_in = in;
    s.avail_in = len;
    s.next_out = out;
    s.avail_out = cap;
    ret = lzma_code(&s, LZMA_FINISH);
    *got = s.total_out;
    BzimageResult r = BZIMAGE_OK;
    const char *name = bzimage_format_name(f);
    switch (ret) {
    case LZMA_STREAM_END:
        break;
    case LZMA_OK:
    case LZMA_BUF_ERROR:
        if (s.avail_out == 0)
            *got = cap + 1;
        else
            r = fail(BZIMAGE_CORRUPT, err, "%s payload is truncated", name);
        break;
    case LZMA_MEMLIMIT_ERROR:
        r = fail(BZIMAGE_CORRUPT, err, "%s payload needs more than %llu MiB to decode",
                 name, BZIMAGE_DECODER_MEMLIMIT >> 20);
        break;
    case LZMA_DATA_ERROR:
    case LZMA_FORMAT_ERROR:
        r = fail(BZIMAGE_CORRUPT, err, "%s payload is corrupt (bad data)", name);
        break;
    case LZMA_OPTIONS_ERROR:
        r = fail(BZIMAGE_CORRUPT, err, "%s payload uses options liblzma does not support", name);
        break;
    default:
        r = fail(BZIMAGE_CORRUPT, err, "%s payload is corrupt (liblzma error %d)",
                 name, (int)ret);
        break;
    }
    lzma_end(&s);
    return r;
}

static BzimageResult decode_zstd(const uint8_t *in, size_t len, uint8_t *out,
                                 size_t cap, size_t *got, const char **err)
{
    /* The frame's own end, so the size trailer is not taken for a second
     * frame; one-shot decoding into the final buffer needs no window. */
    size_t frame = ZSTD_findFrameCompressedSize(in, len);
    if (ZSTD_isError(frame))
        return fail(BZIMAGE_CORRUPT, err, "zstd payload is corrupt or truncated (%s)",
                    ZSTD_getErrorName(frame));
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (!d)
        return fail(BZIMAGE_CORRUPT, err, "out of memory for the zstd decoder");
    size_t n = ZSTD_decompressDCtx(d, out, cap, in, frame);
    ZSTD_freeDCtx(d);
    if (ZSTD_isError(n) && ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall) {
        *got = cap + 1;
        return BZIMAGE_OK;
    }
    if (ZSTD_isError(n))
        return fail(BZIMAGE_CORRUPT, err, "zstd payload is corrupt (%s)", ZSTD_getErrorName(n));
    *got = n;
    return BZIMAGE_OK;
}

BzimageResult bzimage_decompress(const uint8_t *payload, size_t len, uint64_t limit,
                                 uint8_t **out, size_t *out_size, const char **err)
{
    BzimageFormat f = bzimage_detect(payload, len);
    if (f == BZIMAGE_UNKNOWN || f == BZIMAGE_BZIP2 || f == BZIMAGE_LZO || f == BZIMAGE_LZ4)
        return fail(BZIMAGE_UNSUPPORTED, err, "%s-compressed kernel: only gzip, xz, lzma "
                    "and zstd are unpacked on the host", bzimage_format_name(f));
    if (len <= SIZE_TRAILER || len > UINT32_MAX)
        return fail(BZIMAGE_CORRUPT, err, "%s payload of %zu bytes is not a kernel",
                    bzimage_format_name(f), len);
    if (limit > BZIMAGE_MAX_VMLINUX)
        limit = BZIMAGE_MAX_VMLINUX;
    uint64_t want = ld_le32(payload + len - SIZE_TRAILER);
    if (want < EHDR64_SIZE || want > limit)
        return fail(BZIMAGE_CORRUPT, err, "%s payload declares %" PRIu64 " decompressed "
                    "bytes; expected %u to %" PRIu64, bzimage_format_name(f), want,
                    EHDR64_SIZE, limit);
    /* One spare byte: a stream longer than its trailer says is caught. */
    size_t cap = (size_t)want + 1;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return fail(BZIMAGE_CORRUPT, err, "out of memory for %" PRIu64 " bytes", want);
    size_t got = 0;
    BzimageResult r;
    if (f == BZIMAGE_GZIP)
        r = decode_gzip(payload, len, buf, cap, &got, err);
    else if (f == BZIMAGE_ZSTD)
        r = decode_zstd(payload, len, buf, cap, &got, err);
    else
        r = decode_lzma(f, payload, len, buf, cap, &got, err);
    if (r == BZIMAGE_OK && got != want)
        r = fail(BZIMAGE_CORRUPT, err, "%s payload decompresses to %s%zu bytes but its "
                 "trailer says %" PRIu64, bzimage_format_name(f),
                 got > want ? "more than " : "", got > want ? (size_t)want : got, want);
    if (r != BZIMAGE_OK) {
        free(buf);
        return r;
    }
    *out = buf;
    *out_size = (size_t)want;
    return BZIMAGE_OK;
}

/* Xen-style ELF notes in [p, p+n): the PVH 32-bit entry point, or 0. */
static uint64_t find_pvh_entry(const uint8_t *p, uint64_t n)
{
    uint64_t off = 0;
    while (n - off >= 12) {
        uint64_t namesz = ld_le32(p + off), descsz = ld_le32(p + off + 4);
        uint32_t type = ld_le32(p + off + 8);
        uint64_t name = off + 12;
        uint64_t desc = name + ((namesz + 3) & ~3ull);
        uint64_t next = desc + ((descsz + 3) & ~3ull);
        if (next > n)
            return 0;
        if (namesz == 4 && memcmp(p + name, "Xen", 4) == 0 &&
            type == XEN_ELFNOTE_PHYS32_ENTRY && (descsz == 4 || descsz == 8)) {
            /* The kernel emits a pointer-sized value (.quad on x86-64). */
            uint64_t e = descsz == 8 ? ld_le64(p + desc) : ld_le32(p + desc);
            return e <= UINT32_MAX ? e : 0;
        }
        off = next;
    }
    return 0;
}

BzimageResult vmlinux_parse(uint8_t *elf, size_t n, Vmlinux *v, const char **err)
{
    if (!elf || n < EHDR64_SIZE || memcmp(elf, "\x7f" "ELF", 4) != 0)
        return fail(BZIMAGE_CORRUPT, err, "decompressed kernel is not an ELF file");
    if (elf[EI_CLASS] == ELFCLASS32)
        return fail(BZIMAGE_UNSUPPORTED, err, "32-bit kernel: only an x86-64 vmlinux is "
                    "entered directly");
    if (elf[EI_CLASS] != ELFCLASS64 || elf[EI_DATA] != ELFDATA2LSB ||
        ld_le16(elf + 16) != ET_EXEC || ld_le16(elf + 18) != EM_X86_64)
        return fail(BZIMAGE_CORRUPT, err, "decompressed kernel is not an x86-64 "
                    "executable ELF (class %u, type %u, machine %u)",
                    elf[EI_CLASS], ld_le16(elf + 16), ld_le16(elf + 18));
    uint64_t entry = ld_le64(elf + 24), phoff = ld_le64(elf + 32);
    unsigned phentsize = ld_le16(elf + 54), phnum = ld_le16(elf + 56);
    if (phentsize != PHDR64_SIZE || phnum == 0 || phnum > VMLINUX_MAX_PHDRS ||
        phoff > n || (uint64_t)phnum * PHDR64_SIZE > n - phoff)
        return fail(BZIMAGE_CORRUPT, err, "vmlinux program headers (%u of %u bytes at "
                    "0x%" PRIx64 ") do not fit its %zu bytes", phnum, phentsize, phoff, n);

    Vmlinux t;
    memset(&t, 0, sizeof(t));
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = elf + phoff + (uint64_t)i * PHDR64_SIZE;
        uint32_t type = ld_le32(ph), flags = ld_le32(ph + 4);
        uint64_t off = ld_le64(ph + 8), paddr = ld_le64(ph + 24);
        uint64_t filesz = ld_le64(ph + 32), memsz = ld_le64(ph + 40);
        if (off > n || filesz > n - off)
            return fail(BZIMAGE_CORRUPT, err, "vmlinux segment %u [0x%" PRIx64 ", +0x%"
                        PRIx64 ") lies outside the file", i, off, filesz);
        if (type == PT_NOTE && !t.pvh_entry)
            t.pvh_entry = find_pvh_entry(elf + off, filesz);
        if (type != PT_LOAD || memsz == 0)
            continue;
        if (filesz > memsz || paddr < VMLINUX_MIN_PADDR || memsz > BZIMAGE_MAX_VMLINUX ||
            paddr > UINT64_MAX - memsz)
            return fail(BZIMAGE_CORRUPT, err, "vmlinux segment %u at 0x%" PRIx64 " (0x%"
                        PRIx64 " bytes in file, 0x%" PRIx64 " in memory) is not loadable",
                        i, paddr, filesz, memsz);
        if (t.nsegs == VMLINUX_MAX_SEGMENTS)
            return fail(BZIMAGE_CORRUPT, err, "vmlinux has more than %d loadable segments",
                        VMLINUX_MAX_SEGMENTS);
        /* Insertion by paddr; the kernel's linker script already sorts them. */
        int j = t.nsegs++;
        while (j > 0 && t.seg[j - 1].paddr > paddr) {
            t.seg[j] = t.seg[j - 1];
            j--;
        }
        t.seg[j] = (VmlinuxSegment){ paddr, elf + off, filesz, memsz };
        if (flags & PF_X && entry >= paddr && entry - paddr < filesz)
            t.entry = entry;
    }
    if (!t.nsegs)
        return fail(BZIMAGE_CORRUPT, err, "vmlinux has no loadable segments");
    for (int i = 1; i < t.nsegs; i++)
        if (t.seg[i].paddr < t.seg[i - 1].paddr + t.seg[i - 1].memsz)
            return fail(BZIMAGE_CORRUPT, err, "vmlinux segments at 0x%" PRIx64 " and 0x%"
                        PRIx64 " overlap", t.seg[i - 1].paddr, t.seg[i].paddr);
    if (!t.entry)
        return fail(BZIMAGE_CORRUPT, err, "vmlinux entry point 0x%" PRIx64 " is not in an "
                    "executable loaded segment", entry);
    t.start = t.seg[0].paddr;
    t.end = t.seg[t.nsegs - 1].paddr + t.seg[t.nsegs - 1].memsz;
    if (t.end - t.start > BZIMAGE_MAX_VMLINUX)
        return fail(BZIMAGE_CORRUPT, err, "vmlinux spans 0x%" PRIx64 "-0x%" PRIx64
                    ", more than %u MiB", t.start, t.end, BZIMAGE_MAX_VMLINUX >> 20);
    t.elf = elf;
    t.elf_size = n;
    *v = t;
    return BZIMAGE_OK;
}

BzimageResult bzimage_unpack(const uint8_t *k, size_t n, Vmlinux *v, const char **err)
{
    const uint8_t *payload;
    size_t len;
    BzimageResult r = bzimage_payload(k, n, &payload, &len, err);
    if (r != BZIMAGE_OK)
        return r;
    /* The decompressor writes the whole vmlinux.bin inside init_size. */
    uint64_t limit = BZIMAGE_MAX_VMLINUX;
    if (ld_le16(k + HDR_VERSION) >= PROTOCOL_INIT_SIZE && ld_le32(k + HDR_INIT_SIZE) < limit)
        limit = ld_le32(k + HDR_INIT_SIZE);
    uint8_t *elf;
    size_t size;
    r = bzimage_decompress(payload, len, limit, &elf, &size, err);
    if (r != BZIMAGE_OK)
        return r;
    r = vmlinux_parse(elf, size, v, err);
    if (r != BZIMAGE_OK)
        free(elf);
    else
        v->format = bzimage_detect(payload, len);
    return r;
}

void vmlinux_free(Vmlinux *v)
{
    if (v) {
        free(v->elf);
        memset(v, 0, sizeof(*v));
    }
}
