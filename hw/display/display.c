/*
 * The console registry behind include/mimic/display.h: each graphics device
 * owns one console with a surface it renders into on demand, and the dirty
 * rectangles it reports are merged here for the UI or the screendump.
 */
#include <stdlib.h>
#include <string.h>

#include "mimic/display.h"
#include "mimic/log.h"

#define DISPLAY_MAX_CONSOLES 4

struct DisplayConsole {
    const char *name;
    const DisplayDeviceOps *ops;
    void *opaque;
    DisplaySurface surface;
    DisplayUpdate pending;
    bool invalid;               /* the next update must redraw everything */
};

static DisplayConsole *consoles[DISPLAY_MAX_CONSOLES];
static int nconsoles;

DisplayConsole *display_register(const char *name, const DisplayDeviceOps *ops, void *opaque)
{
    if (nconsoles == DISPLAY_MAX_CONSOLES)
        fatal("%s: at most %d graphics consoles", name, DISPLAY_MAX_CONSOLES);
    DisplayConsole *c = calloc(1, sizeof(*c));
    if (!c)
        fatal("out of memory");
    c->name = name;
    c->ops = ops;
    c->opaque = opaque;
    c->invalid = true;
    consoles[nconsoles++] = c;
    return c;
}

DisplayConsole *display_console(int index)
{
    return index >= 0 && index < nconsoles ? consoles[index] : NULL;
}

const char *display_name(const DisplayConsole *c)
{
    return c->name;
}

DisplaySurface *display_surface(DisplayConsole *c)
{
    return &c->surface;
}

DisplaySurface *display_resize(DisplayConsole *c, int width, int height)
{
    DisplaySurface *s = &c->surface;
    if (width <= 0 || height <= 0 || width > DISPLAY_MAX_WIDTH || height > DISPLAY_MAX_HEIGHT)
        width = height = 0;
    if (s->width == width && s->height == height)
        return s;
    free(s->pixels);
    s->pixels = NULL;
    if (width) {
        s->pixels = calloc((size_t)width * height, sizeof(uint32_t));
        if (!s->pixels)
            fatal("out of memory for a %dx%d display surface", width, height);
    }
    s->width = width;
    s->height = height;
    s->stride = width * (int)sizeof(uint32_t);
    c->pending.resized = true;
    c->pending.nrects = 0;
    display_mark_dirty(c, 0, 0, width, height);
    return s;
}

static bool rect_joins(const DisplayRect *a, const DisplayRect *b)
{
    /* Same band side by side, or same columns one above the other: the
     * union is exactly the two rectangles. */
    if (a->y == b->y && a->h == b->h)
        return b->x <= a->x + a->w && a->x <= b->x + b->w;
    if (a->x == b->x && a->w == b->w)
        return b->y <= a->y + a->h && a->y <= b->y + b->h;
    return false;
}

static void rect_union(DisplayRect *a, const DisplayRect *b)
{
    int x0 = a->x < b->x ? a->x : b->x, y0 = a->y < b->y ? a->y : b->y;
    int x1 = a->x + a->w > b->x + b->w ? a->x + a->w : b->x + b->w;
    int y1 = a->y + a->h > b->y + b->h ? a->y + a->h : b->y + b->h;
    *a = (DisplayRect){ x0, y0, x1 - x0, y1 - y0 };
}

void display_mark_dirty(DisplayConsole *c, int x, int y, int w, int h)
{
    const DisplaySurface *s = &c->surface;
    if (x < 0)
        w += x, x = 0;
    if (y < 0)
        h += y, y = 0;
    if (x + w > s->width)
        w = s->width - x;
    if (y + h > s->height)
        h = s->height - y;
    if (w <= 0 || h <= 0)
        return;
    DisplayUpdate *u = &c->pending;
    DisplayRect r = { x, y, w, h };
    if (u->nrects && (rect_joins(&u->rect[u->nrects - 1], &r) || u->nrects == DISPLAY_MAX_RECTS))
        rect_union(&u->rect[u->nrects - 1], &r);
    else
        u->rect[u->nrects++] = r;
    /* A row of cells grown to full width may now continue the band above. */
    while (u->nrects >= 2 && rect_joins(&u->rect[u->nrects - 2], &u->rect[u->nrects - 1])) {
        rect_union(&u->rect[u->nrects - 2], &u->rect[u->nrects - 1]);
        u->nrects--;
    }
}

const DisplaySurface *display_update(DisplayConsole *c, DisplayUpdate *u)
{
    bool full = c->invalid;
    c->invalid = false;
    c->ops->render(c->opaque, c, full);
    if (u)
        *u = c->pending;
    memset(&c->pending, 0, sizeof(c->pending));
    return &c->surface;
}

void display_invalidate(DisplayConsole *c)
{
    c->invalid = true;
}

bool display_text(DisplayConsole *c, char *buf, size_t size)
{
    if (size)
        buf[0] = '\0';
    return c->ops->text && c->ops->text(c->opaque, buf, size);
}
