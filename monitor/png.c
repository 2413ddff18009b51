/*
 * PNG encoder (W3C PNG specification, 2nd edition, sections 5 and 11): the
 * signature, IHDR (8-bit truecolour), one IDAT chunk per 64 KiB of deflate
 * output (zlib stream, filter type 0 "None" on every row), IEND; chunk
 * CRCs with zlib's crc32. Left out: other filters (smaller files), alpha,
 * palettes, ancillary chunks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "monitor/png.h"

#define PNG_IDAT_CHUNK (64 * 1024)
#define PNG_COLOR_RGB 2

static const uint8_t png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* length, type, data, CRC over type and data */
static bool write_chunk(FILE *f, const char type[4], const uint8_t *data, uint32_t len)
{
    uint8_t head[8], tail[4];
    put_be32(head, len);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, head + 4, 4);
    if (len)
        crc = crc32(crc, data, len);
    put_be32(tail, (uint32_t)crc);
    return fwrite(head, 1, 8, f) == 8 && (len == 0 || fwrite(data, 1, len, f) == len) &&
           fwrite(tail, 1, 4, f) == 4;
}

bool png_write(FILE *f, const uint32_t *pixels, int width, int height, int stride,
               const char **err)
{
    static char msg[160];
    errno = 0;
    if (width <= 0 || height <= 0 || (long long)stride < (long long)width * 4 || stride % 4) {
        snprintf(msg, sizeof(msg), "cannot write a %dx%d image (the display shows nothing)",
                 width, height);
        *err = msg;
        return false;
    }
    uint8_t ihdr[13];
    put_be32(ihdr, (uint32_t)width);
    put_be32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;               /* bit depth */
    ihdr[9] = PNG_COLOR_RGB;
    ihdr[10] = 0;              /* deflate */
    ihdr[11] = 0;              /* adaptive filtering, type 0 used throughout */
    ihdr[12] = 0;              /* no interlace */

    size_t row_len = 1 + (size_t)width * 3;
    uint8_t *row = malloc(row_len);
    uint8_t *out = malloc(PNG_IDAT_CHUNK);
    z_stream z;
    memset(&z, 0, sizeof(z));
    bool ok = row && out && deflateInit(&z, Z_DEFAULT_COMPRESSION) == Z_OK;
    if (!ok) {
        free(row);
        free(out);
        *err = "out of memory";
        return false;
    }
    ok = fwrite(png_signature, 1, sizeof(png_signature), f) == sizeof(png_signature) &&
         write_chunk(f, "IHDR", ihdr, sizeof(ihdr));
    z.next_out = out;
    z.avail_out = PNG_IDAT_CHUNK;
    for (int y = 0; ok && y <= height; y++) {
        int flush = Z_NO_FLUSH;
        if (y < height) {
            const uint32_t *src = pixels + (size_t)y * (size_t)(stride / 4);
            row[0] = 0;        /* filter: None */
            for (int x = 0; x < width; x++) {
                row[1 + 3 * x] = (uint8_t)(src[x] >> 16);
                row[2 + 3 * x] = (uint8_t)(src[x] >> 8);
                row[3 + 3 * x] = (uint8_t)src[x];
            }
            z.next_in = row;
            z.avail_in = (uInt)row_len;
        } else {
            z.next_in = NULL;
            z.avail_in = 0;
            flush = Z_FINISH;
        }
        for (;;) {
            int r = deflate(&z, flush);
            if (r == Z_STREAM_ERROR) {
                ok = false;
                break;
            }
            bool done = flush == Z_FINISH ? r == Z_STREAM_END : z.avail_in == 0;
            if (z.avail_out == 0 || (done && flush == Z_FINISH)) {
                uint32_t n = PNG_IDAT_CHUNK - z.avail_out;
                if (n && !write_chunk(f, "IDAT", out, n)) {
                    ok = false;
                    break;
                }
                z.next_out = out;
                z.avail_out = PNG_IDAT_CHUNK;
            }
            if (done && z.avail_out > 0)
                break;
        }
    }
    deflateEnd(&z);
    free(row);
    free(out);
    ok = ok && write_chunk(f, "IEND", NULL, 0) && fflush(f) == 0 && !ferror(f);
    if (!ok) {
        snprintf(msg, sizeof(msg), "write failed: %s", errno ? strerror(errno) : "zlib error");
        *err = msg;
    }
    return ok;
}

bool png_write_file(const char *path, const uint32_t *pixels, int width, int height, int stride,
                    const char **err)
{
    static char msg[600];
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(msg, sizeof(msg), "cannot create %.400s: %s", path, strerror(errno));
        *err = msg;
        return false;
    }
    bool ok = png_write(f, pixels, width, height, stride, err);
    if (fclose(f) != 0 && ok) {
        snprintf(msg, sizeof(msg), "cannot write %.400s: %s", path, strerror(errno));
        *err = msg;
        ok = false;
    }
    if (!ok)
        remove(path);
    return ok;
}
