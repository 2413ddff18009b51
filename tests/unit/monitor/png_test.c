/*
 * screendump's PNG writer: images written to a file are read back by an
 * independent reader written here from the PNG specification (signature,
 * chunk CRCs, IHDR fields, IDAT concatenated and inflated, all five row
 * filters undone) and compared pixel for pixel; bad sizes and unwritable
 * paths give one-line errors.
 */
#include "test.h"

#include <stdbool.h>
#include <unistd.h>
#include <zlib.h>

#include "monitor/png.h"

typedef struct Image {
    int width, height;
    uint32_t *pixels;         /* 0x00RRGGBB */
    int idat_chunks;
} Image;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Reads an 8-bit RGB, non-interlaced PNG; NULL *why on success. */
static bool png_read(const uint8_t *d, size_t n, Image *img, const char **why)
{
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };
    uint8_t *z = NULL;
    size_t zlen = 0;
    bool seen_ihdr = false, seen_iend = false;
    memset(img, 0, sizeof(*img));
    *why = NULL;
    if (n < 8 || memcmp(d, sig, 8)) {
        *why = "bad signature";
        return false;
    }
    size_t pos = 8;
    while (pos + 12 <= n && !seen_iend) {
        uint32_t len = be32(d + pos);
        const uint8_t *type = d + pos + 4, *data = d + pos + 8;
        if (len > n - pos - 12) {
            *why = "chunk runs past the end";
            return false;
        }
        uLong crc = crc32(crc32(0, Z_NULL, 0), type, len + 4);
        if (crc != be32(data + len)) {
            *why = "chunk CRC mismatch";
            return false;
        }
        if (!memcmp(type, "IHDR", 4)) {
            if (len != 13 || seen_ihdr) {
                *why = "bad IHDR";
                return false;
            }
            img->width = (int)be32(data);
            img->height = (int)be32(data + 4);
            if (data[8] != 8 || data[9] != 2 || data[10] || data[11] || data[12]) {
                *why = "IHDR is not 8-bit RGB, deflate, no interlace";
                return false;
            }
            seen_ihdr = true;
        } else if (!memcmp(type, "IDAT", 4)) {
            z = realloc(z, zlen + len + 1);
            memcpy(z + zlen, data, len);
            zlen += len;
            img->idat_chunks++;
        } else if (!memcmp(type, "IEND", 4)) {
            seen_iend = len == 0;
        } else if (!(type[0] & 0x20)) {
            *why = "unknown critical chunk";
            return false;
        }
        pos += 12 + len;
    }
    if (!seen_ihdr || !seen_iend || pos != n || !z) {
        free(z);
        *why = "missing IHDR/IDAT/IEND or bytes after IEND";
        return false;
    }
    size_t stride = 1 + (size_t)img->width * 3;
    uLongf raw_len = (uLongf)(stride * (size_t)img->height);
    uint8_t *raw = malloc(raw_len + 1);
    uLongf got = raw_len + 1;   /* one spare byte: more data than expected shows */
    int r = uncompress(raw, &got, z, zlen);
    free(z);
    if (r != Z_OK || got != raw_len) {
        free(raw);
        *why = "IDAT does not inflate to height * (1 + 3 * width) bytes";
        return false;
    }
    img->pixels = malloc((size_t)img->width * img->height * 4);
    uint8_t *prev = calloc(stride, 1), *cur;
    for (int y = 0; y < img->height; y++) {
        cur = raw + (size_t)y * stride;
        int f = cur[0];
        for (size_t i = 1; i < stride; i++) {
            int a = i > 3 ? cur[i - 3] : 0, b = prev[i], c = i > 3 ? prev[i - 3] : 0;
            int pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : paeth(a, b, c);
            if (f > 4) {
                *why = "bad filter type";
                free(raw);
                free(prev);
                return false;
            }
            cur[i] = (uint8_t)(cur[i] + pred);
        }
        for (int x = 0; x < img->width; x++)
            img->pixels[(size_t)y * img->width + x] =
                (uint32_t)cur[1 + 3 * x] << 16 | (uint32_t)cur[2 + 3 * x] << 8 | cur[3 + 3 * x];
        memcpy(prev, cur, stride);
    }
    free(raw);
    free(prev);
    return true;
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    *n = fread(buf, 1, (size_t)len, f);
    fclose(f);
    return buf;
}

static const char *tmp_png(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/mimic-png-test-%d.png", (int)getpid());
    return path;
}

/* Write w x h (with `pad` extra pixels per row), read back, compare. */
static const char *roundtrip(int w, int h, int pad, uint32_t seed, int *chunks)
{
    static char msg[128];
    int stride_px = w + pad;
    uint32_t *px = malloc((size_t)stride_px * h * 4);
    for (int i = 0; i < stride_px * h; i++) {
        seed = seed * 1103515245u + 12345u;
        px[i] = (seed >> 4) | 0xAB000000u;   /* junk in the unused top byte */
    }
    const char *err = NULL, *why;
    if (!png_write_file(tmp_png(), px, w, h, stride_px * 4, &err)) {
        free(px);
        return err;
    }
    size_t n;
    uint8_t *data = read_file(tmp_png(), &n);
    unlink(tmp_png());
    Image img;
    if (!data || !png_read(data, n, &img, &why)) {
        free(data);
        free(px);
        return data ? why : "file missing";
    }
    free(data);
    why = NULL;
    if (img.width != w || img.height != h)
        why = "size differs";
    for (int y = 0; !why && y < h; y++)
        for (int x = 0; !why && x < w; x++)
            if (img.pixels[(size_t)y * w + x] != (px[(size_t)y * stride_px + x] & 0xFFFFFF)) {
                snprintf(msg, sizeof(msg), "pixel (%d,%d) differs", x, y);
                why = msg;
            }
    if (chunks)
        *chunks = img.idat_chunks;
    free(img.pixels);
    free(px);
    return why;
}

TEST_CASE(one_pixel)
{
    const char *why = roundtrip(1, 1, 0, 1, NULL);
    if (why)
        printf("  %s\n", why);
    CHECK(!why);
}

TEST_CASE(odd_sizes_with_row_padding)
{
    const int sizes[][3] = { { 3, 5, 0 }, { 17, 2, 3 }, { 640, 1, 0 }, { 1, 480, 7 },
                             { 720, 400, 0 } };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        const char *why = roundtrip(sizes[i][0], sizes[i][1], sizes[i][2], (uint32_t)i, NULL);
        if (why)
            printf("  %dx%d: %s\n", sizes[i][0], sizes[i][1], why);
        CHECK(!why);
    }
}

TEST_CASE(large_noisy_image_spans_several_idat_chunks)
{
    int chunks = 0;
    const char *why = roundtrip(1024, 768, 0, 99, &chunks);
    if (why)
        printf("  %s\n", why);
    CHECK(!why);
    CHECK(chunks > 1);    /* 2.3 MiB of noise does not fit one 64 KiB chunk */
}

TEST_CASE(known_bytes_of_a_tiny_image)
{
    /* Signature and IHDR are fixed by the spec: check them byte for byte,
     * and the IHDR CRC against crc32 over the literal bytes. */
    uint32_t px[2] = { 0xFF0000, 0x0000FF };
    const char *err;
    CHECK(png_write_file(tmp_png(), px, 2, 1, 8, &err));
    size_t n;
    uint8_t *d = read_file(tmp_png(), &n);
    unlink(tmp_png());
    CHECK(d && n > 33);
    static const uint8_t head[] = {
        0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A,
        0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 2, 0, 0, 0, 1, 8, 2, 0, 0, 0,
    };
    CHECK(memcmp(d, head, sizeof(head)) == 0);
    uLong crc = crc32(crc32(0, Z_NULL, 0), head + 12, 17);
    CHECK_EQ(be32(d + 29), crc);
    /* The last 12 bytes are IEND with its well-known CRC AE 42 60 82. */
    static const uint8_t iend[] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82 };
    CHECK(memcmp(d + n - 12, iend, 12) == 0);
    free(d);
}

TEST_CASE(errors)
{
    uint32_t px[4] = { 0 };
    const char *err = NULL;
    CHECK(!png_write_file(tmp_png(), px, 0, 0, 0, &err));
    CHECK(err && strstr(err, "0x0"));
    CHECK(access(tmp_png(), F_OK) != 0);          /* no half-written file left */
    err = NULL;
    CHECK(!png_write_file(tmp_png(), px, 2, 2, 4, &err));   /* stride < width */
    CHECK(err);
    err = NULL;
    CHECK(!png_write_file("/nonexistent-dir/x.png", px, 1, 1, 4, &err));
    CHECK(err && strstr(err, "/nonexistent-dir/x.png"));
}

int main(void)
{
    RUN(one_pixel);
    RUN(odd_sizes_with_row_padding);
    RUN(large_noisy_image_spans_several_idat_chunks);
    RUN(known_bytes_of_a_tiny_image);
    RUN(errors);
    TEST_EXIT();
}
