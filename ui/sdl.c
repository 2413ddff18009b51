/*
 * The SDL2 window: shows display console 0 scaled into a resizable window
 * (aspect kept, letterboxed), uploading only the rectangles the device
 * reports dirty, and feeds keys (PS/2 scan codes via sdl_keymap.c) and
 * relative mouse motion into the PS/2 devices. Behaviour follows QEMU's SDL
 * UI: a click grabs the mouse, Ctrl-Alt-G releases it, Ctrl-Alt-F toggles
 * full screen, closing the window presses the ACPI power button and a
 * second close quits. Left out: absolute pointers, text consoles in the
 * window, OpenGL scanout, host keyboard LED sync.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <SDL.h>

#include "hw/acpi/pm.h"
#include "hw/input/ps2.h"
#include "mimic/display.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"
#include "ui/ui.h"

/* QEMU refreshes its window at 30-60 Hz; 60 keeps typing snappy. */
#define SDL_REFRESH_HZ 60
/* Window size until the guest shows something (QEMU's default). */
#define SDL_INITIAL_WIDTH 640
#define SDL_INITIAL_HEIGHT 480
#define SDL_TITLE_MAX 256
struct Ui {
    Machine *m;
    const char *name;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tex_w, tex_h;            /* size of tex, 0x0 when there is none */
    int timer_fd;
    bool grabbed;
    bool fullscreen;
    bool power_pressed;          /* the first close pressed the power button */
    bool need_present;           /* window exposed or resized: draw again */
    bool warned_texture;
    unsigned buttons;            /* PS2_BUTTON_* held */
    bool key_down[SDL_NUM_SCANCODES];     /* keys whose make code the guest got */
    bool hotkey_down[SDL_NUM_SCANCODES];  /* keys eaten by a Ctrl-Alt shortcut */
};

static void sdl_set_title(Ui *ui)
{
    char title[SDL_TITLE_MAX];
    ui_title(title, sizeof(title), ui->name, ui->grabbed);
    SDL_SetWindowTitle(ui->win, title);
}

static void sdl_grab(Ui *ui, bool on)
{
    if (ui->grabbed == on)
        return;
    ui->grabbed = on;
    /* Relative mode hides the pointer and reports raw motion; the window
     * grab (with SDL_HINT_GRAB_KEYBOARD) keeps Alt-Tab and friends for the
     * guest while grabbed. */
    if (SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE) < 0 && on)
        warn("sdl: no relative mouse mode: %s", SDL_GetError());
    SDL_SetWindowGrab(ui->win, on ? SDL_TRUE : SDL_FALSE);
    /* Buttons held at release would stay held in the guest. */
    Ps2Mouse *mouse = ps2_mouse_get(0);
    if (!on && ui->buttons && mouse)
        ps2_mouse_event(mouse, 0, 0, 0, 0);
    if (!on)
        ui->buttons = 0;
    sdl_set_title(ui);
}

static void sdl_toggle_fullscreen(Ui *ui)
{
    ui->fullscreen = !ui->fullscreen;
    if (SDL_SetWindowFullscreen(ui->win, ui->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0) < 0) {
        warn("sdl: full screen: %s", SDL_GetError());
        ui->fullscreen = !ui->fullscreen;
    }
    /* Back in a window: the guest's size again, as QEMU does. Without a
     * window manager SDL also keeps the full-screen size until told. */
    if (!ui->fullscreen && ui->tex_w > 0)
        SDL_SetWindowSize(ui->win, ui->tex_w, ui->tex_h);
    ui->need_present = true;
}

/* SDL hands over everything typed since the last refresh at once; the
 * keyboard holds what it cannot take yet and scans it as the guest reads
 * (ps2_keyboard_key_event), the same path as the monitor's sendkey. */
static void sdl_send_key(int code, bool down)
{
    Ps2Kbd *kbd = ps2_keyboard_get(0);
    if (kbd)
        ps2_keyboard_key_event(kbd, code, down);
}

/* Let go of every key the guest believes is held (focus lost, window
 * closed), or it would auto-repeat or stay shifted forever. */
static void sdl_release_keys(Ui *ui)
{
    for (int sc = 0; sc < SDL_NUM_SCANCODES; sc++) {
        int code = sdl_keymap_to_ps2(sc);
        if (ui->key_down[sc] && code >= 0)
            sdl_send_key(code, false);
        ui->key_down[sc] = false;
        ui->hotkey_down[sc] = false;
    }
}

static bool sdl_ctrl_alt_held(const Ui *ui)
{
    return (ui->key_down[SDL_SCANCODE_LCTRL] || ui->key_down[SDL_SCANCODE_RCTRL])
        && (ui->key_down[SDL_SCANCODE_LALT] || ui->key_down[SDL_SCANCODE_RALT]);
}

static void sdl_key(Ui *ui, const SDL_KeyboardEvent *ev)
{
    int sc = ev->keysym.scancode;
    bool down = ev->type == SDL_KEYDOWN;
    if (sc <= 0 || sc >= SDL_NUM_SCANCODES)
        return;
    if (down && (ui->hotkey_down[sc] || (sdl_ctrl_alt_held(ui) &&
                                         (sc == SDL_SCANCODE_G || sc == SDL_SCANCODE_F)))) {
        /* A shortcut is the UI's, not the guest's; its repeats do nothing. */
        if (!ui->hotkey_down[sc] && !ev->repeat) {
            if (sc == SDL_SCANCODE_G)
                sdl_grab(ui, !ui->grabbed);
            else
                sdl_toggle_fullscreen(ui);
        }
        ui->hotkey_down[sc] = true;
        return;
    }
    if (!down && ui->hotkey_down[sc]) {
        ui->hotkey_down[sc] = false;
        return;
    }
    int code = sdl_keymap_to_ps2(sc);
    if (code < 0) {
        ui->key_down[sc] = down;   /* still tracked for Ctrl-Alt */
        return;
    }
    /* A release without a press (key held when the window got focus) would
     * be a stray break code. Host auto-repeat arrives as repeated downs,
     * which is exactly the keyboard's typematic output. */
    if (!down && !ui->key_down[sc])
        return;
    ui->key_down[sc] = down;
    sdl_send_key(code, down);
}

static unsigned sdl_button_bit(Uint8 button)
{
    switch (button) {
    case SDL_BUTTON_LEFT: return PS2_BUTTON_LEFT;
    case SDL_BUTTON_RIGHT: return PS2_BUTTON_RIGHT;
    case SDL_BUTTON_MIDDLE: return PS2_BUTTON_MIDDLE;
    case SDL_BUTTON_X1: return PS2_BUTTON_SIDE;
    case SDL_BUTTON_X2: return PS2_BUTTON_EXTRA;
    default: return 0;
    }
}

static void sdl_mouse(Ui *ui, const SDL_Event *ev)
{
    Ps2Mouse *mouse = ps2_mouse_get(0);
    switch (ev->type) {
    case SDL_MOUSEMOTION:
        if (ui->grabbed && mouse && (ev->motion.xrel || ev->motion.yrel))
            ps2_mouse_event(mouse, ev->motion.xrel, ev->motion.yrel, 0, ui->buttons);
        break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
        /* A relative mouse cannot follow a free host pointer: as in QEMU,
         * a click into the window grabs and is not passed on. */
        if (!ui->grabbed) {
            if (ev->type == SDL_MOUSEBUTTONDOWN && ev->button.button == SDL_BUTTON_LEFT)
                sdl_grab(ui, true);
            break;
        }
        unsigned bit = sdl_button_bit(ev->button.button);
        if (ev->type == SDL_MOUSEBUTTONDOWN)
            ui->buttons |= bit;
        else
            ui->buttons &= ~bit;
        if (mouse)
            ps2_mouse_event(mouse, 0, 0, 0, ui->buttons);
        break;
    }
    case SDL_MOUSEWHEEL: {
        if (!ui->grabbed || !mouse)
            break;
        /* SDL: y > 0 is away from the user; PS/2 dz > 0 is towards. */
        int y = ev->wheel.y;
        if (ev->wheel.direction == SDL_MOUSEWHEEL_FLIPPED)
            y = -y;
        if (y)
            ps2_mouse_event(mouse, 0, 0, -y, ui->buttons);
        break;
    }
    }
}

static void sdl_close_requested(Ui *ui)
{
    AcpiPm *pm = acpi_pm_get(0);
    if (ui->power_pressed || !pm) {
        machine_request_exit(ui->m, 0);
        return;
    }
    /* Like a PC's power button: the OS decides; a second close insists. */
    ui->power_pressed = true;
    acpi_pm_power_button(pm);
}

static void sdl_window_event(Ui *ui, const SDL_WindowEvent *ev)
{
    switch (ev->event) {
    case SDL_WINDOWEVENT_EXPOSED:
    case SDL_WINDOWEVENT_SIZE_CHANGED:
    case SDL_WINDOWEVENT_RESTORED:
        ui->need_present = true;
        break;
    case SDL_WINDOWEVENT_FOCUS_LOST:
        sdl_release_keys(ui);
        if (ui->grabbed && !ui->fullscreen)
            sdl_grab(ui, false);
        break;
    case SDL_WINDOWEVENT_CLOSE:
        sdl_close_requested(ui);
        break;
    }
}

static void sdl_handle_events(Ui *ui)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            sdl_key(ui, &ev.key);
            break;
        case SDL_MOUSEMOTION:
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP:
        case SDL_MOUSEWHEEL:
            sdl_mouse(ui, &ev);
            break;
        case SDL_WINDOWEVENT:
            sdl_window_event(ui, &ev.window);
            break;
        case SDL_QUIT:
            /* Only sent after the last window's SDL_WINDOWEVENT_CLOSE,
             * which was handled already (signal handlers are off). */
            break;
        }
    }
}

/* A new guest resolution: a texture of that size, and the window follows
 * unless the user made it full screen or maximized. */
static bool sdl_resize_texture(Ui *ui, int w, int h)
{
    if (ui->tex)
        SDL_DestroyTexture(ui->tex);
    ui->tex = NULL;
    ui->tex_w = ui->tex_h = 0;
    if (w <= 0 || h <= 0)
        return false;
    ui->tex = SDL_CreateTexture(ui->ren, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING,
                                w, h);
    if (!ui->tex) {
        if (!ui->warned_texture)
            warn("sdl: cannot show a %dx%d display: %s", w, h, SDL_GetError());
        ui->warned_texture = true;
        return false;
    }
    ui->tex_w = w;
    ui->tex_h = h;
    SDL_RenderSetLogicalSize(ui->ren, w, h);
    if (!ui->fullscreen && !(SDL_GetWindowFlags(ui->win) & SDL_WINDOW_MAXIMIZED))
        SDL_SetWindowSize(ui->win, w, h);
    return true;
}

static void sdl_upload(Ui *ui, const DisplaySurface *s, const DisplayRect *r)
{
    SDL_Rect rect = { r->x, r->y, r->w, r->h };
    const uint32_t *first = s->pixels + (size_t)r->y * (s->stride / 4) + r->x;
    SDL_UpdateTexture(ui->tex, &rect, first, s->stride);
}

static void sdl_draw(Ui *ui)
{
    bool changed = false;
    DisplayConsole *c = display_console(0);
    if (c) {
        DisplayUpdate u;
        const DisplaySurface *s = display_update(c, &u);
        bool have_pixels = s->width > 0 && s->height > 0 && s->pixels;
        if (!have_pixels) {
            changed = ui->tex != NULL;
            sdl_resize_texture(ui, 0, 0);
        } else if (s->width != ui->tex_w || s->height != ui->tex_h || !ui->tex || u.resized) {
            if ((s->width != ui->tex_w || s->height != ui->tex_h || !ui->tex) &&
                !sdl_resize_texture(ui, s->width, s->height))
                return;
            DisplayRect all = { 0, 0, s->width, s->height };
            sdl_upload(ui, s, &all);
            changed = true;
        } else {
            for (int i = 0; i < u.nrects; i++) {
                const DisplayRect *r = &u.rect[i];
                /* display.c clips to the surface; stay safe if it did not */
                if (r->x < 0 || r->y < 0 || r->w <= 0 || r->h <= 0 ||
                    r->x + r->w > s->width || r->y + r->h > s->height)
                    continue;
                sdl_upload(ui, s, r);
                changed = true;
            }
        }
    }
    if (!changed && !ui->need_present)
        return;
    ui->need_present = false;
    SDL_SetRenderDrawColor(ui->ren, 0, 0, 0, 255);
    SDL_RenderClear(ui->ren);
    if (ui->tex)
        SDL_RenderCopy(ui->ren, ui->tex, NULL, NULL);
    /* Presenting may wait for the display server; the vCPUs need not. */
    machine_unlock();
    SDL_RenderPresent(ui->ren);
    machine_lock();
}

static void sdl_tick(void *opaque)
{
    Ui *ui = opaque;
    uint64_t expirations;
    if (read(ui->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        warn("sdl: refresh timer: %s", strerror(errno));
    sdl_handle_events(ui);
    sdl_draw(ui);
}

Ui *sdl_ui_open(Machine *m, const MachineOptions *o, const char **err)
{
    static char msg[256];
    /* main.c's SIGINT/SIGTERM handlers stop the machine cleanly; SDL's own
     * would turn them into window closes (a power-button press). */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");
    SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
    /* Alt-F4 is the guest's key, not a request to close the window. */
    SDL_SetHint(SDL_HINT_WINDOWS_NO_CLOSE_ON_ALT_F4, "1");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
        snprintf(msg, sizeof(msg), "cannot start SDL video: %s", SDL_GetError());
        *err = msg;
        return NULL;
    }
    Ui *ui = calloc(1, sizeof(*ui));
    if (!ui)
        fatal("out of memory");
    ui->m = m;
    ui->name = o->name;
    ui->timer_fd = -1;
    ui->win = SDL_CreateWindow("mimic", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                               SDL_INITIAL_WIDTH, SDL_INITIAL_HEIGHT, SDL_WINDOW_RESIZABLE);
    if (ui->win)
        ui->ren = SDL_CreateRenderer(ui->win, -1, 0);
    if (!ui->ren) {
        snprintf(msg, sizeof(msg), "cannot open a window: %s", SDL_GetError());
        *err = msg;
        sdl_ui_close(ui);
        return NULL;
    }
    ui->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (ui->timer_fd < 0)
        fatal("sdl: timerfd: %s", strerror(errno));
    /* Host time, not the virtual clock: the window must answer while the
     * guest is stopped. */
    long period_ns = NS_PER_SEC / SDL_REFRESH_HZ;
    struct itimerspec its = { { 0, period_ns }, { 0, period_ns } };
    timerfd_settime(ui->timer_fd, 0, &its, NULL);
    mainloop_set_fd(ui->timer_fd, sdl_tick, NULL, ui);
    /* Key presses, not composed text: text input would route keys through
     * the host's input method. */
    SDL_StopTextInput();
    sdl_set_title(ui);
    ui->need_present = true;
    return ui;
}

void sdl_ui_close(Ui *ui)
{
    if (!ui)
        return;
    if (ui->timer_fd >= 0) {
        mainloop_set_fd(ui->timer_fd, NULL, NULL, NULL);
        close(ui->timer_fd);
    }
    if (ui->grabbed)
        sdl_grab(ui, false);
    sdl_release_keys(ui);
    if (ui->tex)
        SDL_DestroyTexture(ui->tex);
    if (ui->ren)
        SDL_DestroyRenderer(ui->ren);
    if (ui->win)
        SDL_DestroyWindow(ui->win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    SDL_Quit();
    free(ui);
}
