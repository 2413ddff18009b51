/* Shared runtime of the bare-metal x86 test programs: COM1 console, printf,
 * isa-debug-exit reporting, IDT/PIC/PIT/TSC/CMOS/ACPI/LAPIC helpers.
 * Each program defines test_main(); entry.S calls it after setting up a flat
 * GDT and a stack.  No paging, no heap, single CPU unless a test starts APs. */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "multiboot.h"

/* Selectors of the GDT built in entry.S. */
#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE64 0x18

/* Provided by each test program. */
void test_main(uint32_t magic, const MultibootInfo *mbi);

/* True if WORD is a space-separated word of the Multiboot command line.
 * "iret=soft" makes interrupt handlers return with POPF/STI/RET instead of
 * IRET (for the KVM instruction emulator that kvm_pvm runs us in). */
bool cmdline_has(const char *word);
/* Value of "key=value" on the command line (up to the next space), or NULL. */
const char *cmdline_value(const char *key);
/* Decimal number at S (stops at the first non-digit); FALLBACK if none. */
uint32_t parse_u32(const char *s, uint32_t fallback);

/* Reporting: prints the RESULT line, writes isa-debug-exit (port 0xf4) and
 * halts forever in case the device is absent. */
#define DEBUG_EXIT_PORT 0xf4
_Noreturn void test_pass(void);
_Noreturn void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void debug_exit(uint8_t code);
_Noreturn void cpu_halt_forever(void);

/* COM1 16550 by polling. */
#define COM1_BASE 0x3f8
void serial_init(void);
void serial_putc(char c);
int serial_getc_timeout(uint32_t timeout_ms); /* byte, or -1 on timeout */
int serial_readline(char *buf, size_t size, uint32_t timeout_ms); /* length, or -1 */

/* Formatting: %d %i %u %x %X %o %c %s %p %%, flags - and 0, width, l/ll/z, %.Ns. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Freestanding string helpers (gcc may also emit calls to mem*). */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* IDT: 256 gates, all routed to a common dispatcher.  Unhandled exceptions
 * and unexpected vectors fail the test with a register dump. */
typedef struct InterruptFrame {
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags;
} InterruptFrame;
typedef void (*InterruptHandler)(InterruptFrame *frame);
void idt_init(void);
void idt_set_handler(uint8_t vector, InterruptHandler handler);

/* 8259A pair. */
#define PIC_VECTOR_MASTER 0x20
#define PIC_VECTOR_SLAVE 0x28
void pic_remap(uint8_t master_base, uint8_t slave_base); /* leaves all masked */
void pic_mask_all(void);
void pic_unmask(unsigned irq);
void pic_mask(unsigned irq);
void pic_eoi(unsigned irq);

/* 8254 PIT (1.193182 MHz) and TSC timing. */
#define PIT_HZ 1193182u
void pit_start_periodic(uint32_t hz);       /* channel 0, mode 2 */
void pit_stop(void);                        /* channel 0 one-shot, never fires */
void pit_delay_us(uint32_t us);             /* channel 2 gate + OUT2 polling */
uint32_t tsc_calibrate(void);               /* returns and remembers TSC kHz */
uint32_t tsc_khz(void);                     /* 0 until calibrated */
uint64_t tsc_to_us(uint64_t ticks);
void delay_us(uint32_t us);                 /* TSC if calibrated, else PIT */
void delay_ms(uint32_t ms);

/* Unsigned 64-bit division without libgcc. */
uint64_t udiv64(uint64_t n, uint64_t d, uint64_t *rem);

/* CMOS/RTC (MC146818 at ports 0x70/0x71). */
uint8_t cmos_read(uint8_t reg);
typedef struct RtcTime {
    unsigned year, month, day, hour, minute, second;
    uint8_t reg_b;
} RtcTime;
bool rtc_read(RtcTime *t);                  /* false if UIP never cleared */
unsigned rtc_wait_second_edge(uint32_t timeout_ms); /* new second, or ~0u */

/* ACPI tables (read in place; paging is off so only tables below 4 GiB). */
typedef struct __attribute__((packed)) AcpiHeader {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} AcpiHeader;
typedef struct __attribute__((packed)) AcpiRsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt_address;
    uint32_t length;      /* revision >= 2 from here on */
    uint64_t xsdt_address;
    uint8_t extended_checksum;
    uint8_t reserved[3];
} AcpiRsdp;
uint8_t acpi_sum(const void *p, size_t len);
const AcpiRsdp *acpi_find_rsdp(void);
/* Root table entries (XSDT preferred); returns count, fills addresses. */
#define ACPI_MAX_TABLES 64
int acpi_root_tables(const AcpiRsdp *rsdp, uint64_t *addrs, int max, const AcpiHeader **root);
const AcpiHeader *acpi_find_table(const AcpiRsdp *rsdp, const char sig[4]);

/* MADT walk: collects local APIC ids of processor entries (types 0 and 9). */
#define MADT_MAX_CPUS 64
typedef struct MadtInfo {
    uint32_t lapic_address;
    int cpu_count;               /* processor entries seen */
    int enabled_count;           /* entries with the Enabled flag */
    uint32_t apic_id[MADT_MAX_CPUS];
    bool enabled[MADT_MAX_CPUS];
    int ioapic_count;
} MadtInfo;
bool madt_parse(const AcpiHeader *madt, MadtInfo *info, bool verbose);

/* Local APIC in xAPIC mode. */
#define LAPIC_DEFAULT_BASE 0xfee00000u
#define LAPIC_ID 0x20
#define LAPIC_VERSION 0x30
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
void lapic_init(uint32_t base);             /* base 0: from IA32_APIC_BASE */
uint32_t lapic_base(void);
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t value);
uint32_t lapic_id(void);
bool lapic_send_ipi(uint32_t dest_apic_id, uint32_t icr_low); /* false: stuck pending */

#endif
