/*
 * svc_dispatch: the one C entry for every BIOS interrupt service. entry.S
 * switches to 32-bit flat mode with the caller's register frame (struct
 * bregs, on the caller's stack) and calls here; the result tells the stub
 * to return, to wait for an interrupt and retry, or to start a boot image.
 */
#include "bios.h"

static void int11(struct bregs *r) { r->ax = rd16(BDA_EQUIPMENT); }
static void int12(struct bregs *r) { r->ax = rd16(BDA_MEM_KB); }

/* No printer ports: every call reports a timeout. */
static void int17(struct bregs *r) { r->ah = 0x01; }

u32 svc_dispatch(struct bregs *r);
u32 svc_dispatch(struct bregs *r)
{
    switch (r->svc) {
    case SVC_INT10: return video_int10(r);
    case SVC_INT11: int11(r); break;
    case SVC_INT12: int12(r); break;
    case SVC_INT13: disk_int13(r); break;
    case SVC_INT14: serial_int14(r); break;
    case SVC_INT15: return system_int15(r);
    case SVC_INT16: return keyboard_int16(r);
    case SVC_INT17: int17(r); break;
    case SVC_INT18: return boot_int18(r);
    case SVC_INT19: return boot_int19(r);
    case SVC_INT1A: clock_int1a(r); break;
    case SVC_IRQ1: keyboard_irq(r->al); break;
    }
    return SVC_RET_DONE;
}
