/*
 * Power-on self test, run once in 32-bit flat mode after entry.S has copied
 * the image into shadow RAM: interrupt vectors, BIOS data areas, 8259 PICs
 * (vectors 08h/70h), PIT, RTC, local APIC in virtual-wire mode (Intel MP
 * spec 3.6.2.2), then fw_cfg, memory map, PCI, video, keyboard, disks and
 * the ACPI/SMBIOS tables; finally the shadow is write-protected (82441FX
 * PAM) and entry.S issues INT 19h. The MTRRs are set up once the RAM size
 * is known (mtrr.c), on every CPU (smp.c). No memory test.
 */
#include "bios.h"
#include "mtrr.h"

#define PIC1 0x20
#define PIC2 0xA0
#define LAPIC_BASE 0xFEE00000u
#define LAPIC_SVR 0xF0
#define LAPIC_LINT0 0x350
#define LAPIC_LINT1 0x360
#define EQUIP_FPU 0x0002
#define EQUIP_MOUSE 0x0004

static void ivt_set(u8 vec, void *handler)
{
    wr32(vec * 4, handler ? (u32)FSEG_SEG << 16 | fseg_off(handler) : 0);
}

static void ivt_init(void)
{
    for (int v = 0; v < 256; v++)
        ivt_set(v, (v >= 0x60 && v < 0x68) ? NULL : iret_stub);
    ivt_set(0x08, irq0_handler);
    ivt_set(0x09, irq1_handler);
    for (int v = 0x0A; v <= 0x0F; v++)
        ivt_set(v, irq_master_eoi);
    ivt_set(0x70, irq8_handler);
    for (int v = 0x71; v <= 0x75; v++)
        ivt_set(v, irq_slave_eoi);
    extern char irq14_handler[], irq15_handler[];
    ivt_set(0x76, irq14_handler);
    ivt_set(0x77, irq15_handler);
    ivt_set(0x10, int10_stub);
    ivt_set(0x11, int11_stub);
    ivt_set(0x12, int12_stub);
    ivt_set(0x13, int13_stub);
    ivt_set(0x14, int14_stub);
    ivt_set(0x15, int15_stub);
    ivt_set(0x16, int16_stub);
    ivt_set(0x17, int17_stub);
    ivt_set(0x18, int18_stub);
    ivt_set(0x19, int19_stub);
    ivt_set(0x1A, int1a_stub);
    ivt_set(0x1D, NULL);
    ivt_set(0x1E, diskette_param_table);
    ivt_set(0x1F, NULL);
    ivt_set(0x41, NULL);
    ivt_set(0x43, NULL);
    ivt_set(0x46, NULL);
}

static void bda_init(void)
{
    memset(flat(BDA), 0, 0x100);
    memset(flat(0x500), 0, 0x100);
    memset(flat(EBDA_SEG * 16), 0, EBDA_SIZE_KB * 1024);
    wr8(EBDA_SEG * 16, EBDA_SIZE_KB);
    wr16(BDA_EBDA_SEG, EBDA_SEG);
    wr16(BDA_MEM_KB, EBDA_SEG * 16 / 1024);
    wr16(BDA_EQUIPMENT, EQUIP_FPU | EQUIP_MOUSE);
}

static void pic_init(void)
{
    outb(PIC1, 0x11);
    outb(PIC2, 0x11);
    outb(PIC1 + 1, 0x08);
    outb(PIC2 + 1, 0x70);
    outb(PIC1 + 1, 0x04);
    outb(PIC2 + 1, 0x02);
    outb(PIC1 + 1, 0x01);
    outb(PIC2 + 1, 0x01);
    outb(PIC1 + 1, 0xF8);         /* timer, keyboard, cascade */
    outb(PIC2 + 1, 0xFF);
}

static void lapic_init(void)
{
    u32 a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(d & (1 << 9)))
        return;
    wr32(LAPIC_BASE + LAPIC_SVR, rd32(LAPIC_BASE + LAPIC_SVR) | 0x1FF);
    wr32(LAPIC_BASE + LAPIC_LINT0, 0x8700);      /* ExtINT: the 8259 reaches the CPU */
    wr32(LAPIC_BASE + LAPIC_LINT1, 0x8400);      /* NMI */
}

/* The MTRRs as firmware leaves them (mtrr.c), if CPUID says the CPU has
 * them; MTRRcap and CPUID 80000008h give their count and address width.
 * The other CPUs get the same (smp.c). */
static void mtrr_init(void)
{
    u32 a, b, c, d, cap, cap_hi;
    cpuid(1, &a, &b, &c, &d);
    if (!(d & (1u << 12)))
        return;
    __asm__ volatile("rdmsr" : "=a"(cap), "=d"(cap_hi) : "c"(MSR_MTRRCAP));
    unsigned phys_bits = 36;        /* SDM vol. 3 11.11.2.3: without the leaf */
    cpuid(0x80000000, &a, &b, &c, &d);
    if (a >= 0x80000008) {
        cpuid(0x80000008, &a, &b, &c, &d);
        if (a & 0xFF)
            phys_bits = a & 0xFF;
    }
    struct mtrr_write w[MTRR_MAX_WRITES];
    int n = mtrr_layout(memmap_ram_below_4g(), MTRRCAP_VCNT(cap), !!(cap & MTRRCAP_FIX),
                        phys_bits, w);
    for (int i = 0; i < n; i++)
        wrmsr(w[i].msr, w[i].value);
    smp_load_msrs(w, n);
}

static void shadow_protect(void)
{
    pci_write8(0, 0x59, 0x10);     /* F0000-FFFFF read-only */
    pci_write8(0, 0x5E, 0x13);     /* E0000-E3FFF stays writable (BIOS data) */
    pci_write8(0, 0x5F, 0x11);
}

void post_main(void);
void post_main(void)
{
    ivt_init();
    bda_init();
    serial_init();
    pic_init();
    clock_init();
    system_a20(1);
    lapic_init();
    fwcfg_init();
    serial_console_init();
    memmap_init();
    mtrr_init();
    video_init();
    pci_init();
    pci_run_vga_rom();
    printf("mimic BIOS\n");
    keyboard_init();
    disk_init();
    for (int i = 0; i < MAX_DRIVES; i++) {
        struct drive *d = &drives[i];
        if (d->type == DRIVE_ATA)
            printf("ata%d-%d: %s ATA disk %u MiB\n", d->channel, d->slave, d->model,
                   (u32)(d->sectors >> 11));
        else if (d->type == DRIVE_ATAPI)
            printf("ata%d-%d: %s ATAPI CD-ROM\n", d->channel, d->slave, d->model);
    }
    tables_init();
    memmap_finish();
    shadow_protect();
}
