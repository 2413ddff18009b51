/*
 * INT 15h system services (Ralf Brown's interrupt list): memory size queries
 * (memmap.c), A20 through port 0x92 (24xxh), wait (86h), configuration table
 * (C0h), EBDA segment (C1h), keyboard intercept (4Fh) and device busy/post
 * hooks (90h/91h). APM, PS/2 mouse (C2h) and event wait (83h) are not
 * supported and say so with AH=86h.
 */
#include "bios.h"

void system_a20(int on)
{
    u8 v = inb(0x92);
    if (!!(v & 2) != !!on)
        outb(0x92, (on ? v | 2 : v & ~2) & ~1);
}

u32 system_int15(struct bregs *r)
{
    switch (r->ah) {
    case 0x24:
        switch (r->al) {
        case 0x00: system_a20(0); set_ok(r); return SVC_RET_DONE;
        case 0x01: system_a20(1); set_ok(r); return SVC_RET_DONE;
        case 0x02: r->al = !!(inb(0x92) & 2); set_ok(r); return SVC_RET_DONE;
        case 0x03: r->bx = 0x0002; set_ok(r); return SVC_RET_DONE;
        }
        break;
    case 0x4F:
        return SVC_RET_DONE;              /* keep CF as the caller set it */
    case 0x86:
        return clock_wait_int15_86(r);
    case 0x87:
        memmap_int15_87(r);
        return SVC_RET_DONE;
    case 0x88:
        memmap_int15_88(r);
        return SVC_RET_DONE;
    case 0x90:
    case 0x91:
        set_ok(r);
        return SVC_RET_DONE;
    case 0xC0:
        r->es = FSEG_SEG;
        r->bx = fseg_off(config_table);
        set_ok(r);
        return SVC_RET_DONE;
    case 0xC1:
        r->es = rd16(BDA_EBDA_SEG);
        clear_cf(r);
        return SVC_RET_DONE;
    case 0xE8:
        if (r->al == 0x20) {
            memmap_int15_e820(r);
            return SVC_RET_DONE;
        }
        if (r->al == 0x01) {
            memmap_int15_e801(r);
            return SVC_RET_DONE;
        }
        break;
    }
    set_fail(r, 0x86);
    return SVC_RET_DONE;
}
