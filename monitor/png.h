/*
 * PNG writer for screendump: 8-bit RGB, no interlace, filter 0 on every
 * row, zlib-compressed (W3C PNG specification, 2nd edition).
 */
#ifndef MIMIC_MONITOR_PNG_H
#define MIMIC_MONITOR_PNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The PNG limit on width and height (2^31 - 1). */
#define PNG_MAX_DIMENSION 0x7FFFFFFF

/* Write a width x height image whose pixel (x, y) is
 * pixels[y * stride / 4 + x] = 0x00RRGGBB (the display surface format).
 * False with *err (one line) on a bad size or a write error. */
bool png_write(FILE *f, const uint32_t *pixels, int width, int height, int stride,
               const char **err);
/* The same into a new file at path (replaced if it exists). */
bool png_write_file(const char *path, const uint32_t *pixels, int width, int height, int stride,
                    const char **err);

#endif
