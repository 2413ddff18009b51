/*
 * Memory layout and segment selectors shared by entry.S, the linker script
 * and the C code. See README.md ("Memory layout") for the picture; the
 * values follow the IBM PC/AT conventions (BDA 0x400, EBDA below 640 KiB).
 */
#ifndef BIOS_LAYOUT_H
#define BIOS_LAYOUT_H

#define BIOS_BASE        0xE0000      /* image start below 1 MiB */
#define BIOS_SIZE        0x20000      /* 128 KiB */
#define BIOS_HIGH_BASE   0xFFFE0000   /* alias of the image below 4 GiB */
#define BIOS_HIGH_DELTA  (BIOS_HIGH_BASE - BIOS_BASE)

#define RW_BASE          0xE0000      /* 16 KiB kept writable after POST */
#define RW_SEG           0xE000
#define RW_SIZE          0x4000
#define FSEG_BASE        0xF0000
#define FSEG_SEG         0xF000
#define TEXT16_BASE      0xF8000      /* 16-bit code (entry.S) */

#define POST_STACK       0x7000       /* flat stack while POST runs */
#define CALL16_STACK     0x6000       /* real-mode stack for option ROM calls */
#define BOOT_STACK       0x7C00       /* SS:SP 0000:7C00 when a boot sector starts */

#define EBDA_SEG         0x9FC0
#define EBDA_SIZE_KB     1

/* GDT selectors (entry.S gdt). */
#define SEL_CODE32       0x08
#define SEL_DATA32       0x10
#define SEL_CODE16       0x18
#define SEL_DATA16       0x20
#define SEL_DATA16BIG    0x28     /* 16-bit data, 4 GiB limit: big real mode */

/* Service indexes pushed by the vector stubs (svc_dispatch switches on them). */
#define SVC_INT10        0
#define SVC_INT11        1
#define SVC_INT12        2
#define SVC_INT13        3
#define SVC_INT14        4
#define SVC_INT15        5
#define SVC_INT16        6
#define SVC_INT17        7
#define SVC_INT18        8
#define SVC_INT19        9
#define SVC_INT1A        10
#define SVC_IRQ1         11

/* svc_dispatch results. */
#define SVC_RET_DONE     0
#define SVC_RET_WAIT     1    /* sti; hlt; then call again with the same frame */
#define SVC_RET_BOOT     2    /* far jump to boot_cs:boot_ip with DL = boot_dl */

#endif
