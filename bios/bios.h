/*
 * Common declarations of mimic's BIOS: port I/O, the register frame that the
 * 16-bit vector stubs hand to the 32-bit C services, the BDA layout (IBM PC/AT
 * Technical Reference, "BIOS Data Area") and each file's entry points.
 * All C runs in 32-bit flat protected mode with interrupts off.
 */
#ifndef BIOS_H
#define BIOS_H

#include "types.h"
#include "layout.h"
#include "geometry.h"

/* ---- port I/O ---- */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void insw(u16 port, void *buf, u32 n)
{ __asm__ volatile("rep insw" : "+D"(buf), "+c"(n) : "d"(port) : "memory"); }
static inline void outsw(u16 port, const void *buf, u32 n)
{ __asm__ volatile("rep outsw" : "+S"(buf), "+c"(n) : "d"(port) : "memory"); }
static inline void insb(u16 port, void *buf, u32 n)
{ __asm__ volatile("rep insb" : "+D"(buf), "+c"(n) : "d"(port) : "memory"); }
static inline void io_delay(void) { outb(0x80, 0); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{ __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0)); }
static inline void wrmsr(u32 msr, u64 v)
{ __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))); }

/* ---- flat memory below 1 MiB (the low page is valid here: no NULL traps) ---- */
static inline void *flat(u32 addr) { return (void *)(uintptr_t)addr; }
static inline void *far_ptr(u16 seg, u16 off) { return flat((u32)seg * 16 + off); }
static inline u8 rd8(u32 a) { return *(volatile u8 *)flat(a); }
static inline u16 rd16(u32 a) { return *(volatile u16 *)flat(a); }
static inline u32 rd32(u32 a) { return *(volatile u32 *)flat(a); }
static inline void wr8(u32 a, u8 v) { *(volatile u8 *)flat(a) = v; }
static inline void wr16(u32 a, u16 v) { *(volatile u16 *)flat(a) = v; }
static inline void wr32(u32 a, u32 v) { *(volatile u32 *)flat(a) = v; }

/* ---- the register frame (entry.S svc_common pushes it) ---- */
struct bregs {
    u16 es, ds;
    union { u32 edi; u16 di; };
    union { u32 esi; u16 si; };
    union { u32 ebp; u16 bp; };
    u32 esp_unused;
    union { u32 ebx; u16 bx; struct { u8 bl, bh; }; };
    union { u32 edx; u16 dx; struct { u8 dl, dh; }; };
    union { u32 ecx; u16 cx; struct { u8 cl, ch; }; };
    union { u32 eax; u16 ax; struct { u8 al, ah; }; };
    u16 svc;
    u16 ip, cs, flags;
} __attribute__((packed));

#define F_CF 0x0001
#define F_ZF 0x0040
#define F_IF 0x0200

static inline void set_cf(struct bregs *r) { r->flags |= F_CF; }
static inline void clear_cf(struct bregs *r) { r->flags &= ~F_CF; }
static inline void set_ok(struct bregs *r) { r->ah = 0; clear_cf(r); }
static inline void set_fail(struct bregs *r, u8 code) { r->ah = code; set_cf(r); }

/* ---- BIOS data area ---- */
#define BDA 0x400
#define BDA_COM_PORTS     0x400
#define BDA_EBDA_SEG      0x40E
#define BDA_EQUIPMENT     0x410
#define BDA_MEM_KB        0x413
#define BDA_KB_FLAGS0     0x417
#define BDA_KB_FLAGS1     0x418
#define BDA_KB_HEAD       0x41A
#define BDA_KB_TAIL       0x41C
#define BDA_KB_BUF        0x41E
#define BDA_VIDEO_MODE    0x449
#define BDA_VIDEO_COLS    0x44A
#define BDA_VIDEO_PAGESZ  0x44C
#define BDA_VIDEO_PAGEOFF 0x44E
#define BDA_CURSOR_POS    0x450
#define BDA_CURSOR_SHAPE  0x460
#define BDA_VIDEO_PAGE    0x462
#define BDA_CRTC_BASE     0x463
#define BDA_TICKS         0x46C
#define BDA_MIDNIGHT      0x470
#define BDA_BREAK         0x471
#define BDA_RESET_FLAG    0x472
#define BDA_DISK_STATUS   0x474
#define BDA_NUM_HD        0x475
#define BDA_KB_START      0x480
#define BDA_KB_END        0x482
#define BDA_VIDEO_ROWS    0x484
#define BDA_CHAR_HEIGHT   0x485
#define BDA_KB_FLAGS3     0x496
#define BDA_KB_FLAGS2     0x497

#define TICKS_PER_DAY 0x1800B0

/* ---- entry.S ---- */
struct call16_regs { u32 eax, ebx, ecx, edx, esi, edi, ebp; u16 ds, es; u16 ip, cs; };
void call16_far(struct call16_regs *regs);          /* far call into real mode */
extern u16 boot_cs, boot_ip;
extern u8 boot_dl;
extern char __fseg_pool[], __fseg_pool_end[];
extern char __text16_start[];
/* 16-bit handler offsets inside the F segment, for the IVT. */
extern char int10_stub[], int11_stub[], int12_stub[], int13_stub[], int14_stub[], int15_stub[],
    int16_stub[], int17_stub[], int18_stub[], int19_stub[], int1a_stub[], irq0_handler[],
    irq1_handler[], irq_master_eoi[], irq_slave_eoi[], irq8_handler[], iret_stub[],
    int10_chain_stub[], diskette_param_table[], config_table[];
static inline u16 fseg_off(const void *p) { return (u16)((uintptr_t)p - FSEG_BASE); }

/* ---- string.c ---- */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
u8 checksum8(const void *p, u32 len);

/* ---- serial.c ---- */
void serial_init(void);
void serial_putc(u8 c);
void serial_console_init(void);          /* after fwcfg_init */
extern u8 serial_console;
int serial_getc(void);           /* -1 when nothing waits */
void serial_int14(struct bregs *r);

/* ---- video.c ---- */
void video_init(void);
void video_putc(u8 c);           /* teletype on screen and COM1 */
u32 video_int10(struct bregs *r);
extern u32 video_rom_int10;      /* far pointer of an option ROM's INT 10h, or 0 */

/* ---- keyboard.c ---- */
void keyboard_init(void);
void keyboard_irq(u8 scancode);
u32 keyboard_int16(struct bregs *r);
int keyboard_push(u16 key);

/* ---- clock.c ---- */
void clock_init(void);
u64 clock_ticks(void);           /* PIT 1.193182 MHz units, monotonic while polled */
#define PIT_HZ 1193182u
void clock_udelay(u32 us);
u8 cmos_read(u8 reg);
void cmos_write(u8 reg, u8 v);
void clock_int1a(struct bregs *r);
u32 clock_wait_int15_86(struct bregs *r);

/* ---- fwcfg.c ---- */
int fwcfg_present(void);
void fwcfg_init(void);
void fwcfg_read_key(u16 key, void *buf, u32 len);
int fwcfg_find(const char *name, u16 *key, u32 *size);    /* 0 found */
int fwcfg_read_file(const char *name, void *buf, u32 max); /* bytes read or -1 */
int fwcfg_write_file(u16 key, u32 offset, const void *buf, u32 len);

/* ---- memmap.c / e820.c ---- */
void memmap_init(void);
void memmap_reserve(u64 start, u64 len);
u32 memmap_high_alloc(u32 size, u32 align);   /* top of low RAM, reserved */
void memmap_finish(void);
u32 memmap_ram_below_4g(void);
void memmap_int15_e820(struct bregs *r);
void memmap_int15_e801(struct bregs *r);
void memmap_int15_88(struct bregs *r);
void memmap_int15_87(struct bregs *r);
void *fseg_alloc(u32 size, u32 align);

/* ---- system.c ---- */
u32 system_int15(struct bregs *r);
void system_a20(int on);

/* ---- pci.c ---- */
void pci_init(void);
u32 pci_read32(u16 bdf, u8 reg);
u16 pci_read16(u16 bdf, u8 reg);
u8 pci_read8(u16 bdf, u8 reg);
void pci_write32(u16 bdf, u8 reg, u32 v);
void pci_write16(u16 bdf, u8 reg, u16 v);
void pci_write8(u16 bdf, u8 reg, u8 v);
void pci_int1a(struct bregs *r);
void pci_run_vga_rom(void);
int pci_find_class(u16 class, u16 *bdf);

/* ---- tables.c ---- */
void tables_init(void);

/* ---- ata.c / atapi.c / disk.c ---- */
#define MAX_DRIVES 4
enum { DRIVE_NONE, DRIVE_ATA, DRIVE_ATAPI };
struct drive {
    u8 type, channel, slave, lba48;
    u16 iobase, ctrlbase;
    u64 sectors;               /* 512-byte sectors (ATA) or 2048-byte blocks (ATAPI) */
    struct chs phys;           /* IDENTIFY default geometry */
    struct chs logical;        /* translated geometry for INT 13h CHS calls */
    u8 number;                 /* INT 13h drive number */
    char model[41];
};
extern struct drive drives[MAX_DRIVES];
void ata_init(void);
int ata_rw(struct drive *d, u64 lba, u32 count, void *buf, int write);
int atapi_read(struct drive *d, u32 lba, u32 count, void *buf);  /* 2048-byte blocks */
int atapi_capacity(struct drive *d);
int atapi_packet(struct drive *d, const u8 *cdb, void *buf, u32 len);
void disk_init(void);
struct drive *disk_lookup(u8 number);
void disk_int13(struct bregs *r);
struct cd_boot { u8 active, media, drive; u32 lba; u16 load_seg, count; };
extern struct cd_boot cd_boot;

/* ---- boot.c ---- */
u32 boot_int19(struct bregs *r);
u32 boot_int18(struct bregs *r);

#endif
