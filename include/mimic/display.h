/*
 * The display seam: a graphics device registers one console; the UI and the
 * monitor's screendump call display_update() at their refresh rate, which
 * has the device render its current mode into a 32-bit xRGB surface and
 * reports the rectangles that changed. Text modes also give their screen as
 * a string (tests read the screen without OCR). Call everything here with
 * the machine lock held (device state is read while rendering).
 */
#ifndef MIMIC_DISPLAY_H
#define MIMIC_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISPLAY_MAX_RECTS 16
#define DISPLAY_MAX_WIDTH 16384
#define DISPLAY_MAX_HEIGHT 16384

/* pixels[y * stride / 4 + x] = 0x00RRGGBB. 0x0 means nothing to show. */
typedef struct DisplaySurface {
    int width, height;
    int stride;                 /* bytes between rows */
    uint32_t *pixels;
} DisplaySurface;

typedef struct DisplayRect {
    int x, y, w, h;
} DisplayRect;

/* What display_update() changed. Past DISPLAY_MAX_RECTS rectangles the
 * last one grows to cover the rest. */
typedef struct DisplayUpdate {
    bool resized;               /* new size (or new pixels buffer): redraw everything */
    int nrects;
    DisplayRect rect[DISPLAY_MAX_RECTS];
} DisplayUpdate;

typedef struct DisplayConsole DisplayConsole;

typedef struct DisplayDeviceOps {
    /* Bring the console's surface up to date: resize it with
     * display_resize() and report what changed with display_mark_dirty().
     * `full`: the caller lost its copy, redraw and report everything. */
    void (*render)(void *opaque, DisplayConsole *c, bool full);
    /* The text screen as rows of `cols` ASCII characters, each row ending
     * in '\n', NUL-terminated and truncated to `size`. Returns false in a
     * graphics mode. May be NULL. */
    bool (*text)(void *opaque, char *buf, size_t size);
} DisplayDeviceOps;

/* Device side. */
DisplayConsole *display_register(const char *name, const DisplayDeviceOps *ops, void *opaque);
/* Size the surface (a no-op if unchanged); a new size zeroes it and marks
 * it all dirty. Sizes outside 0..DISPLAY_MAX_* are clamped to 0x0. */
DisplaySurface *display_resize(DisplayConsole *c, int width, int height);
DisplaySurface *display_surface(DisplayConsole *c);
void display_mark_dirty(DisplayConsole *c, int x, int y, int w, int h);

/* UI / monitor side. Consoles are numbered in registration order. */
DisplayConsole *display_console(int index);        /* NULL past the last */
const char *display_name(const DisplayConsole *c);
const DisplaySurface *display_update(DisplayConsole *c, DisplayUpdate *u);
void display_invalidate(DisplayConsole *c);        /* next update redraws all */
bool display_text(DisplayConsole *c, char *buf, size_t size);

#endif
