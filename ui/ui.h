/*
 * The desktop side of mimic: which UI shows the machine's display console
 * 0 and feeds the user's keyboard and mouse into the PS/2 devices. One UI
 * today, an SDL2 window (ui/sdl.c); -display none and -nographic run
 * headless. Everything here runs on the main thread (SDL requires it).
 */
#ifndef MIMIC_UI_UI_H
#define MIMIC_UI_UI_H

#include <stdbool.h>

typedef struct Machine Machine;
typedef struct MachineOptions MachineOptions;
typedef struct Ui Ui;

/* Open what -display / -nographic ask for: -display sdl opens the window
 * or fatal()s with one line; no -display opens it only when a desktop is
 * there ($DISPLAY or $WAYLAND_DISPLAY, and SDL can start video). Returns
 * NULL when mimic runs headless. Call with the machine lock held, after
 * the machine is built. */
Ui *ui_open(Machine *m, const MachineOptions *o);
/* Close the window and give the host its mouse and keyboard back. */
void ui_close(Ui *ui);

/* The SDL window (ui/sdl.c); NULL with *err saying why when SDL cannot
 * start video or open a window. */
Ui *sdl_ui_open(Machine *m, const MachineOptions *o, const char **err);
void sdl_ui_close(Ui *ui);

/* The hw/input/ps2.h key code for an SDL scancode (a USB HID key
 * position), or -1 for keys a PC keyboard does not have. */
int sdl_keymap_to_ps2(int scancode);

/* The window title for the guest `name` (NULL: none) in a grab state. */
void ui_title(char *buf, unsigned size, const char *name, bool grabbed);

#endif
