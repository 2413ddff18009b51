/*
 * Choosing the UI, as QEMU does: -nographic and -display none run headless,
 * -display sdl insists on a window, and with neither a window opens when
 * the host has a desktop. Also the window title, shared by any UI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/log.h"
#include "mimic/machine.h"
#include "ui/ui.h"

static bool desktop_present(void)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    return (x && *x) || (wl && *wl);
}

Ui *ui_open(Machine *m, const MachineOptions *o)
{
    if (o->nographic || (o->display && !strcmp(o->display, "none")))
        return NULL;
    const char *err = NULL;
    if (o->display) {   /* options.c let only "sdl" through */
        /* Without a desktop SDL may still find a driver (offscreen, KMS)
         * and open an invisible window: only when the user names one. */
        const char *driver = getenv("SDL_VIDEODRIVER");
        if (!desktop_present() && !(driver && *driver))
            fatal("-display sdl: no desktop to open a window on ($DISPLAY and $WAYLAND_DISPLAY "
                  "are not set); use -display none or -nographic");
        Ui *ui = sdl_ui_open(m, o, &err);
        if (!ui)
            fatal("-display sdl: %s", err ? err : "cannot open a window");
        return ui;
    }
    if (!desktop_present())
        return NULL;
    return sdl_ui_open(m, o, &err);   /* no window: headless, as with -display none */
}

void ui_close(Ui *ui)
{
    if (ui)
        sdl_ui_close(ui);
}

void ui_title(char *buf, unsigned size, const char *name, bool grabbed)
{
    if (!size)
        return;
    snprintf(buf, size, "%s%s", name && *name ? name : "mimic",
             grabbed ? " (grabbed) - Press Ctrl-Alt-G to release grab" : "");
}
