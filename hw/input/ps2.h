/*
 * PS/2 keyboard (MF2, scan code sets 1-3) and PS/2 mouse (standard,
 * IntelliMouse, IntelliMouse Explorer). A device knows nothing of the
 * controller it hangs on: it calls `notify` when it queued bytes for the
 * host, and the controller pulls them with *_read() and hands it host bytes
 * with *_write().
 */
#ifndef MIMIC_HW_INPUT_PS2_H
#define MIMIC_HW_INPUT_PS2_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes a device buffers for the host; a real MF2 keyboard holds 16. */
#define PS2_QUEUE_SIZE 16
/* Host key events a keyboard holds until it can scan them (see
 * ps2_keyboard_key_event): minutes of fast typing. The guest gets the
 * overrun code in place of any keys beyond. */
#define PS2_KEY_BACKLOG 4096

typedef struct Ps2Kbd Ps2Kbd;
typedef struct Ps2Mouse Ps2Mouse;

/* "I have data for the host": called after bytes were queued. */
typedef void (*Ps2NotifyFn)(void *opaque);

/*
 * Key codes taken by ps2_keyboard_key_event(): the key's scan code set 2
 * make code (0x01..0x83), ORed with PS2_KEY_EXTENDED for keys whose set 2
 * make code carries the 0xE0 prefix (right Ctrl = PS2_KEY_EXTENDED | 0x14,
 * cursor up = PS2_KEY_EXTENDED | 0x75). Print Screen is
 * PS2_KEY_EXTENDED | 0x7C; Pause, which has no single code, is PS2_KEY_PAUSE.
 */
#define PS2_KEY_EXTENDED 0x100
#define PS2_KEY_PAUSE    0x200
#define PS2_KEY_PRINT    (PS2_KEY_EXTENDED | 0x7C)

/* Mouse buttons for ps2_mouse_event(), in PS/2 packet bit order. */
#define PS2_BUTTON_LEFT   0x01
#define PS2_BUTTON_RIGHT  0x02
#define PS2_BUTTON_MIDDLE 0x04
#define PS2_BUTTON_SIDE   0x08   /* 4th button: reported by IntelliMouse Explorer only */
#define PS2_BUTTON_EXTRA  0x10   /* 5th button: likewise */

/* The set 1 code of a set 2 code below 0x80 (and 0x83): the mapping a
 * keyboard uses in set 1 and an 8042 applies when translating. Codes that
 * have no set 1 equivalent are returned unchanged. */
uint8_t ps2_set2_to_set1(uint8_t code);

Ps2Kbd *ps2_keyboard_new(Ps2NotifyFn notify, void *opaque);
void ps2_keyboard_free(Ps2Kbd *kbd);
/* The keyboards that exist, in creation order (the first PS2_MAX_KEYBOARDS):
 * the monitor's sendkey and the UI type on keyboard 0. NULL past the last. */
#define PS2_MAX_KEYBOARDS 4
Ps2Kbd *ps2_keyboard_get(int index);
/* The key code of a QEMU key name ("a", "1", "ret", "spc", "ctrl_r",
 * "kp_enter", "f12", "delete", "pgup", ...) or of a QEMU key number in hex
 * ("0x1d": a set 1 make code, 0x80 added for keys with the 0xE0 prefix);
 * -1 if there is no such key. */
int ps2_key_from_name(const char *name);
/* Power-on state: set 2, scanning enabled, LEDs off, queue empty. */
void ps2_keyboard_reset(Ps2Kbd *kbd);
/* A byte sent by the host (command or command argument). */
void ps2_keyboard_write(Ps2Kbd *kbd, uint8_t byte);
/* Next byte for the host, or -1 when the queue is empty. Reading makes
 * room: waiting key events are scanned into the queue (with `notify`). */
int ps2_keyboard_read(Ps2Kbd *kbd);
/* The byte queue holds something (keys still waiting to be scanned count
 * only once they are). */
bool ps2_keyboard_has_data(const Ps2Kbd *kbd);
/* A key went down or up (typematic repeat is the caller's: send downs).
 * Every host path (the UI, the monitor's sendkey) types through here: the
 * events queue in order and the keyboard scans the next one only when its
 * whole scan code sequence fits in the byte queue, so however fast the host
 * types and however slowly the guest reads, no key is lost or reordered
 * (up to PS2_KEY_BACKLOG events waiting). */
void ps2_keyboard_key_event(Ps2Kbd *kbd, int keycode, bool down);
/* LED state last set by the host: bit 0 Scroll, 1 Num, 2 Caps Lock. */
unsigned ps2_keyboard_leds(const Ps2Kbd *kbd);
int ps2_keyboard_scancode_set(const Ps2Kbd *kbd);
/* The typematic byte last set by 0xF3 (bits 0-4 rate, 5-6 delay; power-on
 * 0x2B = 10.9 keys/s after 500 ms). Repeats come from the host's own key
 * repeat; a UI may read this to match it. */
unsigned ps2_keyboard_typematic(const Ps2Kbd *kbd);

Ps2Mouse *ps2_mouse_new(Ps2NotifyFn notify, void *opaque);
void ps2_mouse_free(Ps2Mouse *mouse);
/* The mice that exist, in creation order (the first PS2_MAX_MICE): the UI
 * moves mouse 0. NULL past the last. */
#define PS2_MAX_MICE 4
Ps2Mouse *ps2_mouse_get(int index);
/* Power-on state: stream mode, reporting disabled, id 0, queue empty. */
void ps2_mouse_reset(Ps2Mouse *mouse);
void ps2_mouse_write(Ps2Mouse *mouse, uint8_t byte);
int ps2_mouse_read(Ps2Mouse *mouse);
bool ps2_mouse_has_data(const Ps2Mouse *mouse);
/* Relative motion and the new button state (PS2_BUTTON_*). dx > 0 is right,
 * dy > 0 is down (screen convention; the packet's y axis points up), dz > 0
 * is the wheel turned towards the user. */
void ps2_mouse_event(Ps2Mouse *mouse, int dx, int dy, int dz, unsigned buttons);
/* Device id reported by 0xF2: 0 standard, 3 IntelliMouse, 4 Explorer. */
int ps2_mouse_id(const Ps2Mouse *mouse);

#endif
