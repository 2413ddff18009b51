/*
 * bzImage unpacking: synthetic vmlinux ELFs compressed here with zlib,
 * liblzma and libzstd (as the kernel's Makefile does: gzip, xz with the x86
 * BCJ filter, lzma, zstd; size trailer appended) are found through the setup
 * header, decompressed, parsed and loaded by linux_boot_setup; corrupt,
 * truncated and lying payloads are rejected; Debian's kernel if present.
 */
#include "test.h"

#include <lzma.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "hw/pc/bzimage.h"
#include "hw/pc/linux_boot.h"

#define MiB (1ull << 20)

/* boot.rst header offsets. */
enum {
    H_SETUP_SECTS = 0x1F1, H_SYSSIZE = 0x1F4, H_BOOT_FLAG = 0x1FE, H_JUMP = 0x200,
    H_HEADER = 0x202, H_VERSION = 0x206, H_LOADFLAGS = 0x211,
    H_CODE32_START = 0x214, H_RAMDISK_IMAGE = 0x218, H_RAMDISK_SIZE = 0x21C,
    H_CMD_LINE_PTR = 0x228, H_INITRD_ADDR_MAX = 0x22C, H_KERNEL_ALIGNMENT = 0x230,
    H_RELOCATABLE = 0x234, H_XLOADFLAGS = 0x236, H_CMDLINE_SIZE = 0x238,
    H_PAYLOAD_OFFSET = 0x248, H_PAYLOAD_LENGTH = 0x24C, H_PREF_ADDRESS = 0x258,
    H_INIT_SIZE = 0x260,
};

static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, v); wr32(p + 4, v >> 32); }

/* ---- A synthetic vmlinux (gABI ELF-64, x86-64 psABI) ---- */

#define TEXT_PADDR 0x1000000ull      /* LOAD_PHYSICAL_ADDR */
#define TEXT_SIZE  0x3000u
#define DATA_PADDR 0x1200000ull
#define DATA_FILE  0x1000u
#define DATA_MEM   0x5000u           /* 0x4000 bytes of bss */
#define PVH_ENTRY  0x1000850ull
#define ELF_SIZE   0x8000u           /* plus 0x200 bytes of "relocs" after */
#define RELOCS     0x200u

static void phdr(uint8_t *e, int i, uint32_t type, uint32_t flags, uint64_t off,
                 uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
    uint8_t *p = e + 64 + i * 56;
    wr32(p, type);
    wr32(p + 4, flags);
    wr64(p + 8, off);
    wr64(p + 16, paddr + 0xffffffff80000000ull);   /* vaddr: __START_KERNEL_map */
    wr64(p + 24, paddr);
    wr64(p + 32, filesz);
    wr64(p + 40, memsz);
    wr64(p + 48, 0x200000);
}

/* Two Xen notes as the kernel emits them: XEN_ELFNOTE_GUEST_OS (6) "linux",
 * then XEN_ELFNOTE_PHYS32_ENTRY (18) with a .quad. Returns the size. */
static size_t xen_notes(uint8_t *p, uint64_t entry)
{
    wr32(p, 4); wr32(p + 4, 6); wr32(p + 8, 6);
    memcpy(p + 12, "Xen\0", 4);
    memcpy(p + 16, "linux\0\0\0", 8);
    p += 24;
    wr32(p, 4); wr32(p + 4, 8); wr32(p + 8, 18);
    memcpy(p + 12, "Xen\0", 4);
    wr64(p + 16, entry);
    return 24 + 24;
}

static uint8_t *make_vmlinux(size_t *n)
{
    uint8_t *e = calloc(1, ELF_SIZE + RELOCS);
    memcpy(e, "\x7f" "ELF", 4);
    e[4] = 2; e[5] = 1; e[6] = 1;           /* ELFCLASS64, LSB, EV_CURRENT */
    wr16(e + 16, 2);                         /* ET_EXEC */
    wr16(e + 18, 62);                        /* EM_X86_64 */
    wr32(e + 20, 1);
    wr64(e + 24, TEXT_PADDR);                /* e_entry = phys_startup_64 */
    wr64(e + 32, 64);                        /* e_phoff */
    wr16(e + 52, 64);
    wr16(e + 54, 56);
    wr16(e + 56, 3);
    phdr(e, 0, 1, 5, 0x1000, TEXT_PADDR, TEXT_SIZE, TEXT_SIZE);       /* R E */
    phdr(e, 1, 1, 6, 0x4000, DATA_PADDR, DATA_FILE, DATA_MEM);        /* RW */
    size_t nn = xen_notes(e + 0x6000, PVH_ENTRY);
    phdr(e, 2, 4, 4, 0x6000, TEXT_PADDR + 0x5000, nn, nn);            /* PT_NOTE */
    for (unsigned i = 0; i < TEXT_SIZE; i++)
        e[0x1000 + i] = (uint8_t)(i * 13 + 7);
    for (unsigned i = 0; i < DATA_FILE; i++)
        e[0x4000 + i] = (uint8_t)(i * 5 + 3);
    for (unsigned i = 0; i < RELOCS; i++)
        e[ELF_SIZE + i] = (uint8_t)(0xF0 ^ i);
    *n = ELF_SIZE + RELOCS;
    return e;
}

/* ---- Compressed payloads, as scripts/Makefile.lib builds them ---- */

static void append_size(uint8_t *buf, size_t *len, uint32_t size)
{
    wr32(buf + *len, size);
    *len += 4;
}

static uint8_t *compress_gzip(const uint8_t *in, size_t n, size_t *len)
{
    uint8_t *out = malloc(n + 1024);
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    s.next_in = (Bytef *)in;
    s.avail_in = n;
    s.next_out = out;
    s.avail_out = n + 1024;
    int z = deflate(&s, Z_FINISH);
    *len = s.total_out;       /* gzip's own ISIZE is the size trailer */
    deflateEnd(&s);
    return z == Z_STREAM_END ? out : NULL;
}

static uint8_t *compress_xz(const uint8_t *in, size_t n, size_t *len)
{
    /* xz --check=crc32 --x86 --lzma2=,dict=32MiB (scripts/xz_wrap.sh). */
    lzma_options_lzma opt;
    lzma_lzma_preset(&opt, 6);
    opt.dict_size = 32u << 20;
    lzma_filter f[] = { { LZMA_FILTER_X86, NULL }, { LZMA_FILTER_LZMA2, &opt },
                        { LZMA_VLI_UNKNOWN, NULL } };
    size_t cap = n + 1024;
    uint8_t *out = malloc(cap + 4);
    *len = 0;
    if (lzma_stream_buffer_encode(f, LZMA_CHECK_CRC32, NULL, in, n, out, len, cap) != LZMA_OK)
        return NULL;
    append_size(out, len, n);
    return out;
}

static uint8_t *compress_lzma(const uint8_t *in, size_t n, size_t *len)
{
    lzma_options_lzma opt;
    lzma_lzma_preset(&opt, 9);
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_alone_encoder(&s, &opt) != LZMA_OK)
        return NULL;
    size_t cap = n + 1024;
    uint8_t *out = malloc(cap + 4);
    s.next_in = in;
    s.avail_in = n;
    s.next_out = out;
    s.avail_out = cap;
    lzma_ret r = lzma_code(&s, LZMA_FINISH);
    *len = s.total_out;
    lzma_end(&s);
    if (r != LZMA_STREAM_END)
        return NULL;
    append_size(out, len, n);
    return out;
}

/* zstd -22 --ultra from a pipe: no content size in the frame, checksum on. */
static uint8_t *compress_zstd(const uint8_t *in, size_t n, size_t *len)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 19);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t cap = ZSTD_compressBound(n);
    uint8_t *out = malloc(cap + 4);
    size_t r = ZSTD_compress2(c, out, cap, in, n);
    ZSTD_freeCCtx(c);
    if (ZSTD_isError(r))
        return NULL;
    *len = r;
    append_size(out, len, n);
    return out;
}

typedef uint8_t *(*Compressor)(const uint8_t *, size_t, size_t *);
static const struct { BzimageFormat f; const char *name; Compressor fn; } formats[] = {
    { BZIMAGE_GZIP, "gzip", compress_gzip },
    { BZIMAGE_XZ, "xz", compress_xz },
    { BZIMAGE_LZMA, "lzma", compress_lzma },
    { BZIMAGE_ZSTD, "zstd", compress_zstd },
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* ---- A bzImage around a payload ---- */

#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define PAYLOAD_OFF 0x400            /* decompressor code before it */
#define INIT_SIZE 0x1000000u

static uint8_t *make_bzimage(const uint8_t *payload, size_t plen, size_t *n)
{
    size_t pm = (PAYLOAD_OFF + plen + 0x100 + 15) & ~(size_t)15;
    uint8_t *k = calloc(1, SETUP_SIZE + pm);
    k[H_SETUP_SECTS] = SETUP_SECTS;
    wr32(k + H_SYSSIZE, pm / 16);
    wr16(k + H_BOOT_FLAG, 0xAA55);
    k[H_JUMP] = 0xEB;
    k[H_JUMP + 1] = 0x6A;
    memcpy(k + H_HEADER, "HdrS", 4);
    wr16(k + H_VERSION, 0x020F);
    k[H_LOADFLAGS] = 0x01;
    wr32(k + H_CODE32_START, 0x100000);
    wr32(k + H_INITRD_ADDR_MAX, 0x7FFFFFFF);
    wr32(k + H_KERNEL_ALIGNMENT, 0x200000);
    k[H_RELOCATABLE] = 1;
    wr16(k + H_XLOADFLAGS, 0x3);
    wr32(k + H_CMDLINE_SIZE, 2047);
    wr32(k + H_PAYLOAD_OFFSET, PAYLOAD_OFF);
    wr32(k + H_PAYLOAD_LENGTH, plen);
    wr64(k + H_PREF_ADDRESS, TEXT_PADDR);
    wr32(k + H_INIT_SIZE, INIT_SIZE);
    memset(k + SETUP_SIZE, 0x90, PAYLOAD_OFF);
    memcpy(k + SETUP_SIZE + PAYLOAD_OFF, payload, plen);
    *n = SETUP_SIZE + pm;
    return k;
}

static uint8_t *ram_alloc(uint64_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static bool one_line(const char *err)
{
    return err && !strncmp(err, "bzimage: ", 9) && !strchr(err, '\n');
}

/* Magic numbers from each format's own specification. */
TEST_CASE(detect_magics)
{
    static const struct { const char *bytes; size_t n; BzimageFormat f; } t[] = {
        { "\x1f\x8b\x08\x00", 4, BZIMAGE_GZIP },          /* RFC 1952 ID1 ID2 */
        { "\xfd\x37\x7a\x58\x5a\x00", 6, BZIMAGE_XZ },    /* .xz spec 2.1.1.1 */
        { "\x28\xb5\x2f\xfd", 4, BZIMAGE_ZSTD },          /* RFC 8878 0xFD2FB528 LE */
        { "\x5d\x00\x00\x80\x00", 5, BZIMAGE_LZMA },      /* lc3 lp0 pb2, dict */
        { "BZh9\x31\x41\x59\x26", 8, BZIMAGE_BZIP2 },
        { "\x89\x4c\x5a\x4f\x00\x0d\x0a\x1a\x0a", 9, BZIMAGE_LZO },   /* lzop */
        { "\x02\x21\x4c\x18", 4, BZIMAGE_LZ4 },           /* legacy 0x184C2102 LE */
        { "\x7f" "ELF", 4, BZIMAGE_UNKNOWN },
        { "\xfd\x37\x7a\x58\x5a", 5, BZIMAGE_UNKNOWN },   /* xz magic cut short */
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        CHECK_EQ(bzimage_detect((const uint8_t *)t[i].bytes, t[i].n), t[i].f);
    CHECK_EQ(bzimage_detect(NULL, 0), BZIMAGE_UNKNOWN);
    CHECK(!strcmp(bzimage_format_name(BZIMAGE_XZ), "xz"));
    CHECK(!strcmp(bzimage_format_name((BzimageFormat)99), "unknown"));
}

/* Every supported format round-trips through the bzImage to the same ELF. */
TEST_CASE(unpack_each_format)
{
    size_t en;
    uint8_t *elf = make_vmlinux(&en);
    for (size_t i = 0; i < NFORMATS; i++) {
        size_t plen, n;
        uint8_t *payload = formats[i].fn(elf, en, &plen);
        CHECK(payload);
        CHECK_EQ(bzimage_detect(payload, plen), formats[i].f);
        uint8_t *k = make_bzimage(payload, plen, &n);
        Vmlinux v;
        const char *err = NULL;
        BzimageResult r = bzimage_unpack(k, n, &v, &err);
        if (r != BZIMAGE_OK)
            printf("  %s: %s\n", formats[i].name, err);
        CHECK_EQ(r, BZIMAGE_OK);
        CHECK_EQ(v.format, formats[i].f);
        CHECK_EQ(v.elf_size, en);
        CHECK(memcmp(v.elf, elf, en) == 0);
        CHECK_EQ(v.entry, TEXT_PADDR);
        CHECK_EQ(v.pvh_entry, PVH_ENTRY);
        CHECK_EQ(v.start, TEXT_PADDR);
        CHECK_EQ(v.end, DATA_PADDR + DATA_MEM);
        CHECK_EQ(v.nsegs, 2);
        CHECK_EQ(v.seg[0].paddr, TEXT_PADDR);
        CHECK_EQ(v.seg[0].filesz, TEXT_SIZE);
        CHECK(v.seg[0].data == v.elf + 0x1000);
        CHECK_EQ(v.seg[1].paddr, DATA_PADDR);
        CHECK_EQ(v.seg[1].filesz, DATA_FILE);
        CHECK_EQ(v.seg[1].memsz, DATA_MEM);
        vmlinux_free(&v);
        CHECK(v.elf == NULL);
        free(k);
        free(payload);
    }
    free(elf);
}

/* bzip2, LZO, LZ4 and unknown payloads are left to the guest, by name. */
TEST_CASE(unsupported_formats)
{
    static const struct { const char *magic; size_t n; const char *name; } t[] = {
        { "BZh91AY&SY", 10, "bzip2" },
        { "\x89LZO\x00\r\n\x1a\n", 9, "lzo" },
        { "\x02\x21\x4c\x18", 4, "lz4" },
        { "\x00\x00\x00\x00", 4, "unknown" },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint8_t payload[64] = { 0 };
        memcpy(payload, t[i].magic, t[i].n);
        wr32(payload + 60, ELF_SIZE);
        size_t n;
        uint8_t *k = make_bzimage(payload, sizeof(payload), &n);
        Vmlinux v;
        const char *err = NULL;
        CHECK_EQ(bzimage_unpack(k, n, &v, &err), BZIMAGE_UNSUPPORTED);
        CHECK(one_line(err));
        CHECK(strstr(err, t[i].name));
        CHECK(strstr(err, "gzip, xz, lzma and zstd"));
        free(k);
    }
    /* Protocol 2.07 has no payload fields. */
    uint8_t payload[64] = { 0x1f, 0x8b };
    size_t n;
    uint8_t *k = make_bzimage(payload, sizeof(payload), &n);
    wr16(k + H_VERSION, 0x0207);
    Vmlinux v;
    const char *err = NULL;
    CHECK_EQ(bzimage_unpack(k, n, &v, &err), BZIMAGE_UNSUPPORTED);
    CHECK(strstr(err, "2.08"));
    free(k);
}

/* A byte flipped inside the compressed data is caught by each format's
 * check (gzip CRC32, xz CRC32, zstd XXH64); .lzma has no check, so it is
 * tested by truncation and size only. */
TEST_CASE(corrupt_payloads)
{
    size_t en;
    uint8_t *elf = make_vmlinux(&en);
    for (size_t i = 0; i < NFORMATS; i++) {
        size_t plen, n;
        uint8_t *payload = formats[i].fn(elf, en, &plen);
        CHECK(payload);
        Vmlinux v;
        const char *err;

        if (formats[i].f != BZIMAGE_LZMA) {
            uint8_t *bad = malloc(plen);
            memcpy(bad, payload, plen);
            bad[plen / 2] ^= 0x10;
            uint8_t *k = make_bzimage(bad, plen, &n);
            err = NULL;
            CHECK_EQ(bzimage_unpack(k, n, &v, &err), BZIMAGE_CORRUPT);
            CHECK(one_line(err));
            CHECK(strstr(err, formats[i].name));
            free(k);
            free(bad);
        }

        /* Truncated: the first half of the stream, then the size trailer. */
        size_t half = (plen - 4) / 2;
        uint8_t *cut = malloc(half + 4);
        memcpy(cut, payload, half);
        memcpy(cut + half, payload + plen - 4, 4);
        uint8_t *k = make_bzimage(cut, half + 4, &n);
        err = NULL;
        CHECK_EQ(bzimage_unpack(k, n, &v, &err), BZIMAGE_CORRUPT);
        CHECK(one_line(err));
        free(k);
        free(cut);

        /* The trailer lies (not for gzip: there it is the checked ISIZE). */
        if (formats[i].f != BZIMAGE_GZIP) {
            uint8_t *lie = malloc(plen);
            memcpy(lie, payload, plen);
            wr32(lie + plen - 4, en - 1);
            k = make_bzimage(lie, plen, &n);
            err = NULL;
            CHECK_EQ(bzimage_unpack(k, n, &v, &err), BZIMAGE_CORRUPT);
            CHECK(strstr(err, "more than"));
            free(k);
            wr32(lie + plen - 4, en + 100);
            k = make_bzimage(lie, plen, &n);
            err = NULL;
            CHECK_EQ(bzimage_unpack(k, n, &v, &err), BZIMAGE_CORRUPT);
            CHECK(strstr(err, "trailer says"));
            free(k);
            /* Beyond init_size or the absolute bound: refused before any
             * allocation of that size. */
            wr32(lie + plen - 4, INIT_SIZE + 1);
            k = make_bzimage(lie, plen, &n);
            err = NULL;
            CHECK_EQ(bzimage_unpack(k, n, &v, &err), BZIMAGE_CORRUPT);
            CHECK(strstr(err, "declares"));
            free(k);
            wr32(lie + plen - 4, 0xFFFFFFFFu);
            uint8_t *out = NULL;
            size_t outn = 0;
            err = NULL;
            CHECK_EQ(bzimage_decompress(lie, plen, UINT64_MAX, &out, &outn, &err),
                     BZIMAGE_CORRUPT);
            CHECK(out == NULL);
            free(lie);
        }
        free(payload);
    }
    free(elf);
}

/* payload_offset/payload_length must stay inside the protected-mode image. */
TEST_CASE(payload_bounds)
{
    size_t en, plen, n;
    uint8_t *elf = make_vmlinux(&en);
    uint8_t *payload = compress_gzip(elf, en, &plen);
    uint8_t *k = make_bzimage(payload, plen, &n);
    const uint8_t *p;
    size_t len;
    const char *err = NULL;
    CHECK_EQ(bzimage_payload(k, n, &p, &len, &err), BZIMAGE_OK);
    CHECK(p == k + SETUP_SIZE + PAYLOAD_OFF);
    CHECK_EQ(len, plen);
    wr32(k + H_PAYLOAD_LENGTH, 0xFFFFFFF0u);
    CHECK_EQ(bzimage_payload(k, n, &p, &len, &err), BZIMAGE_CORRUPT);
    CHECK(one_line(err) && strstr(err, "outside"));
    wr32(k + H_PAYLOAD_LENGTH, plen);
    wr32(k + H_PAYLOAD_OFFSET, 0xFFFFFFF0u);
    CHECK_EQ(bzimage_payload(k, n, &p, &len, &err), BZIMAGE_CORRUPT);
    wr32(k + H_PAYLOAD_OFFSET, PAYLOAD_OFF);
    /* The file cut inside the payload. */
    CHECK_EQ(bzimage_payload(k, SETUP_SIZE + PAYLOAD_OFF + plen - 1, &p, &len, &err),
             BZIMAGE_CORRUPT);
    CHECK_EQ(bzimage_payload(k, SETUP_SIZE + PAYLOAD_OFF + plen, &p, &len, &err),
             BZIMAGE_OK);
    CHECK_EQ(bzimage_payload(k, 0x100, &p, &len, &err), BZIMAGE_UNSUPPORTED);
    free(k);
    free(payload);
    free(elf);
}

/* Parse one mutated copy of the synthetic ELF; returns the result. */
static BzimageResult parse_mutated(void (*mutate)(uint8_t *), const char **err)
{
    size_t en;
    uint8_t *e = make_vmlinux(&en);
    mutate(e);
    Vmlinux v;
    BzimageResult r = vmlinux_parse(e, en, &v, err);
    if (r == BZIMAGE_OK)
        vmlinux_free(&v);
    else
        free(e);
    return r;
}

static void m_not_elf(uint8_t *e) { e[1] = 'X'; }
static void m_elf32(uint8_t *e) { e[4] = 1; }
static void m_big_endian(uint8_t *e) { e[5] = 2; }
static void m_arm64(uint8_t *e) { wr16(e + 18, 183); }
static void m_relocatable(uint8_t *e) { wr16(e + 16, 1); }
static void m_phoff_out(uint8_t *e) { wr64(e + 32, ELF_SIZE + RELOCS - 100); }
static void m_phnum_huge(uint8_t *e) { wr16(e + 56, 0xFFFF); }
static void m_phentsize(uint8_t *e) { wr16(e + 54, 32); }
static void m_seg_past_file(uint8_t *e) { wr64(e + 64 + 32, 0x100000); }
static void m_seg_offset_huge(uint8_t *e) { wr64(e + 64 + 8, ~0ull - 4); }
static void m_filesz_gt_memsz(uint8_t *e) { wr64(e + 64 + 56 + 40, DATA_FILE - 1); }
static void m_low_paddr(uint8_t *e) { wr64(e + 64 + 24, 0x8000); }
static void m_paddr_wrap(uint8_t *e) { wr64(e + 64 + 56 + 24, ~0ull - 0x100); }
static void m_overlap(uint8_t *e) { wr64(e + 64 + 56 + 24, TEXT_PADDR + TEXT_SIZE - 1); }
static void m_entry_outside(uint8_t *e) { wr64(e + 24, TEXT_PADDR + TEXT_SIZE); }
static void m_entry_in_data(uint8_t *e) { wr64(e + 24, DATA_PADDR); }
static void m_no_load(uint8_t *e) { wr32(e + 64, 6); wr32(e + 64 + 56, 6); }
static void m_note_garbage(uint8_t *e) { wr32(e + 0x6000 + 24, 0xFFFFFFF0u); }
static void m_note_desc4(uint8_t *e)
{
    /* A 32-bit kernel-style note: 4-byte desc; the notes shrink by 4. */
    uint8_t *p = e + 0x6000 + 24;
    wr32(p + 4, 4);
    wr32(p + 16, (uint32_t)PVH_ENTRY);
    wr64(e + 64 + 112 + 32, 44);
}

TEST_CASE(elf_checks)
{
    static const struct { void (*fn)(uint8_t *); BzimageResult want; const char *what; } t[] = {
        { m_not_elf, BZIMAGE_CORRUPT, "not an ELF" },
        { m_elf32, BZIMAGE_UNSUPPORTED, "32-bit" },
        { m_big_endian, BZIMAGE_CORRUPT, "x86-64" },
        { m_arm64, BZIMAGE_CORRUPT, "x86-64" },
        { m_relocatable, BZIMAGE_CORRUPT, "x86-64" },
        { m_phoff_out, BZIMAGE_CORRUPT, "program headers" },
        { m_phnum_huge, BZIMAGE_CORRUPT, "program headers" },
        { m_phentsize, BZIMAGE_CORRUPT, "program headers" },
        { m_seg_past_file, BZIMAGE_CORRUPT, "outside the file" },
        { m_seg_offset_huge, BZIMAGE_CORRUPT, "outside the file" },
        { m_filesz_gt_memsz, BZIMAGE_CORRUPT, "not loadable" },
        { m_low_paddr, BZIMAGE_CORRUPT, "not loadable" },
        { m_paddr_wrap, BZIMAGE_CORRUPT, "not loadable" },
        { m_overlap, BZIMAGE_CORRUPT, "overlap" },
        { m_entry_outside, BZIMAGE_CORRUPT, "entry point" },
        { m_entry_in_data, BZIMAGE_CORRUPT, "entry point" },
        { m_no_load, BZIMAGE_CORRUPT, "no loadable" },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const char *err = NULL;
        BzimageResult r = parse_mutated(t[i].fn, &err);
        if (r != t[i].want || !one_line(err) || !strstr(err, t[i].what))
            printf("  case %zu: got %d \"%s\"\n", i, r, err ? err : "(null)");
        CHECK_EQ(r, t[i].want);
        CHECK(one_line(err));
        CHECK(strstr(err, t[i].what));
    }
    /* Malformed notes only lose the PVH entry; 4-byte notes are read. */
    size_t en;
    uint8_t *e = make_vmlinux(&en);
    m_note_garbage(e);
    Vmlinux v;
    const char *err = NULL;
    CHECK_EQ(vmlinux_parse(e, en, &v, &err), BZIMAGE_OK);
    CHECK_EQ(v.pvh_entry, 0);
    vmlinux_free(&v);
    e = make_vmlinux(&en);
    m_note_desc4(e);
    CHECK_EQ(vmlinux_parse(e, en, &v, &err), BZIMAGE_OK);
    CHECK_EQ(v.pvh_entry, PVH_ENTRY);
    vmlinux_free(&v);
    /* Too short to be an ELF header. */
    uint8_t tiny[10] = { 0x7f, 'E', 'L', 'F' };
    CHECK_EQ(vmlinux_parse(tiny, sizeof(tiny), &v, &err), BZIMAGE_CORRUPT);
}

/* Walk 4-level page tables in RAM (SDM vol. 3, 4.5); -1 if not present. */
static int64_t walk(const uint8_t *ram, uint64_t cr3, uint64_t va)
{
    uint64_t table = cr3 & ~0xFFFull;
    for (int level = 3; level >= 0; level--) {
        uint64_t e = rd64(ram + table + ((va >> (12 + 9 * level)) & 511) * 8);
        if (!(e & 1))
            return -1;
        if (level == 0 || (level <= 2 && (e & 0x80))) {
            uint64_t mask = (1ull << (12 + 9 * level)) - 1;
            return (int64_t)((e & 0x000FFFFFFFFFF000ull & ~mask) | (va & mask));
        }
        table = e & 0x000FFFFFFFFFF000ull;
    }
    return -1;
}

/* linux_boot_setup with the unpacked kernel: segments at p_paddr, bss
 * zeroed, long mode at e_entry with RSI = zero page, everything the kernel
 * touches before its own page tables identity-mapped, initrd clear of the
 * kernel's init_size. */
TEST_CASE(boot_unpacked)
{
    size_t en, plen, n;
    uint8_t *elf = make_vmlinux(&en);
    uint8_t *payload = compress_xz(elf, en, &plen);
    uint8_t *k = make_bzimage(payload, plen, &n);
    Vmlinux v;
    const char *err = NULL;
    CHECK_EQ(bzimage_unpack(k, n, &v, &err), BZIMAGE_OK);

    uint64_t ram_size = 64 * MiB;
    uint8_t *ram = ram_alloc(ram_size);
    memset(ram + TEXT_PADDR, 0xAA, 4 * MiB);
    uint8_t initrd[6000];
    memset(initrd, 0x3C, sizeof(initrd));
    LinuxBootParams p = { .kernel = k, .kernel_size = n, .initrd = initrd,
                          .initrd_size = sizeof(initrd), .cmdline = "console=ttyS0",
                          .vmlinux = &v };
    X86Regs r;
    CHECK(linux_boot_setup(ram, ram_size, &p, &r, &err));
    CHECK(memcmp(ram + TEXT_PADDR, elf + 0x1000, TEXT_SIZE) == 0);
    CHECK(memcmp(ram + DATA_PADDR, elf + 0x4000, DATA_FILE) == 0);
    for (unsigned i = DATA_FILE; i < DATA_MEM; i++)
        CHECK_EQ(ram[DATA_PADDR + i], 0);
    CHECK_EQ(ram[DATA_PADDR + DATA_MEM], 0xAA);    /* nothing past memsz */
    CHECK_EQ(ram[TEXT_PADDR + TEXT_SIZE], 0xAA);   /* the gap is left alone */
    /* The compressed image is not copied anywhere. */
    CHECK(memmem(ram, ram_size, k + SETUP_SIZE, 64) == NULL);

    CHECK_EQ(r.rip, TEXT_PADDR);
    CHECK((r.cr0 & 0x80000001ull) == 0x80000001ull);
    CHECK(r.cr4 & (1u << 5));
    CHECK_EQ(r.efer & 0x500, 0x500);
    CHECK(r.seg[SEG_CS].flags & SEGF_L);
    CHECK_EQ(r.rflags & (1u << 9), 0);
    uint64_t zp = r.gpr[R_ESI];
    CHECK(zp && zp + 4096 <= 0x9FC00);
    CHECK(memcmp(ram + zp + H_HEADER, "HdrS", 4) == 0);
    CHECK_EQ(rd32(ram + zp + H_INIT_SIZE), INIT_SIZE);
    uint32_t cl = rd32(ram + zp + H_CMD_LINE_PTR);
    CHECK(!strcmp((const char *)ram + cl, "console=ttyS0"));
    uint32_t rd = rd32(ram + zp + H_RAMDISK_IMAGE);
    CHECK_EQ(rd32(ram + zp + H_RAMDISK_SIZE), sizeof(initrd));
    CHECK(rd >= TEXT_PADDR + INIT_SIZE || rd + sizeof(initrd) <= TEXT_PADDR);
    CHECK(memcmp(ram + rd, initrd, sizeof(initrd)) == 0);
    uint64_t probes[] = { r.rip, zp, zp + 4095, cl, rd, rd + sizeof(initrd) - 1,
                          r.gpr[R_ESP] - 8, DATA_PADDR + DATA_MEM - 1,
                          TEXT_PADDR + INIT_SIZE - 1, r.gdt.base };
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
        CHECK_EQ(walk(ram, r.cr3, probes[i]), (int64_t)probes[i]);
    munmap(ram, ram_size);

    /* Too little RAM for the linked address + init_size: refused, and RAM
     * left untouched. */
    ram_size = 20 * MiB;
    ram = ram_alloc(ram_size);
    CHECK(!linux_boot_setup(ram, ram_size, &p, &r, &err));
    CHECK(strstr(err, "more memory"));
    for (uint64_t i = 0; i < ram_size; i += 4096)
        CHECK_EQ(ram[i], 0);
    munmap(ram, ram_size);
    vmlinux_free(&v);
    free(k);
    free(payload);
    free(elf);
}

static uint8_t *read_whole(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = sz > 0 ? malloc(sz) : NULL;
    if (b && fread(b, 1, sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = b ? (size_t)sz : 0;
    return b;
}

/* Debian's kernel from tests/guests/fetch: its payload is the format its
 * config names, the vmlinux is a valid x86-64 ELF whose entry is the bzImage's
 * pref_address (startup_64 = _text at LOAD_PHYSICAL_ADDR), with a PVH note
 * when CONFIG_PVH=y, and it loads into 512 MiB. */
TEST_CASE(debian_kernel)
{
    const char *home = getenv("HOME");
    char path[4096], cfgpath[4096];
    snprintf(path, sizeof(path), "%s/.cache/mimic/amd64/vmlinuz", home ? home : "");
    size_t n;
    uint8_t *k = read_whole(path, &n);
    if (!k)
        SKIP("~/.cache/mimic/amd64/vmlinuz missing (run tests/guests/fetch)");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    Vmlinux v;
    const char *err = NULL;
    BzimageResult r = bzimage_unpack(k, n, &v, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r != BZIMAGE_OK)
        printf("  %s\n", err);
    CHECK_EQ(r, BZIMAGE_OK);
    CHECK(v.elf_size <= rd32(k + H_INIT_SIZE));
    CHECK_EQ(v.entry, rd64(k + H_PREF_ADDRESS));
    CHECK_EQ(v.seg[0].paddr, v.entry);
    CHECK_EQ(v.start % 0x200000, 0);         /* CONFIG_PHYSICAL_ALIGN */
    CHECK(v.nsegs >= 2);

    /* The config in the unpacked package names the compressor and PVH. */
    snprintf(cfgpath, sizeof(cfgpath), "%s/.cache/mimic/amd64/kernel/boot", home ? home : "");
    char line[256];
    bool pvh = false, fmt_checked = false;
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "cat %s/config-* 2>/dev/null", cfgpath);
    FILE *cfg = popen(cmd, "r");
    while (cfg && fgets(line, sizeof(line), cfg)) {
        if (!strncmp(line, "CONFIG_PVH=y", 12))
            pvh = true;
        if (!strncmp(line, "CONFIG_KERNEL_", 14) && strstr(line, "=y")) {
            char want[32];
            snprintf(want, sizeof(want), "%.*s", (int)(strchr(line, '=') - line - 14), line + 14);
            for (char *c = want; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
            CHECK(!strcmp(want, bzimage_format_name(v.format)));
            fmt_checked = true;
        }
    }
    if (cfg)
        pclose(cfg);
    if (pvh) {
        CHECK(v.pvh_entry > v.seg[0].paddr);
        CHECK(v.pvh_entry < v.seg[0].paddr + v.seg[0].filesz);
    }

    uint64_t ram_size = 512 * MiB;
    uint8_t *ram = ram_alloc(ram_size);
    LinuxBootParams p = { .kernel = k, .kernel_size = n, .cmdline = "console=ttyS0",
                          .vmlinux = &v };
    X86Regs regs;
    CHECK(linux_boot_setup(ram, ram_size, &p, &regs, &err));
    CHECK_EQ(regs.rip, v.entry);
    CHECK(memcmp(ram + v.entry, v.seg[0].data, 4096) == 0);
    printf("  %s: %s, %zu -> %zu bytes in %.2f s, entry 0x%llx, pvh 0x%llx, %d segments%s\n",
           path, bzimage_format_name(v.format), n, v.elf_size,
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
           (unsigned long long)v.entry, (unsigned long long)v.pvh_entry, v.nsegs,
           fmt_checked ? "" : " (no config to check the format against)");
    munmap(ram, ram_size);
    vmlinux_free(&v);
    free(k);
}

int main(void)
{
    RUN(detect_magics);
    RUN(unpack_each_format);
    RUN(unsupported_formats);
    RUN(corrupt_payloads);
    RUN(payload_bounds);
    RUN(elf_checks);
    RUN(boot_unpacked);
    RUN(debian_kernel);
    TEST_EXIT();
}
