/*
 * COM ports: detection into the BDA, COM1 at 115200 8N1 for the console
 * mirror, and INT 14h (IBM PC/AT BIOS serial services). 16550A registers per
 * the National Semiconductor PC16550D datasheet. IRQ-driven I/O is left out:
 * COM1 input is polled by INT 16h.
 */
#include "bios.h"

#define COM1 0x3F8
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_TX_SPIN 100000

static const u16 com_bases[4] = { 0x3F8, 0x2F8, 0x3E8, 0x2E8 };
static u8 com1_present;
u8 serial_console;          /* mirror the screen to COM1 (fw_cfg etc/sercon-port) */

static int uart_probe(u16 base)
{
    outb(base + 7, 0x5A);
    if (inb(base + 7) != 0x5A)
        return 0;
    outb(base + 7, 0xA5);
    return inb(base + 7) == 0xA5;
}

static void uart_setup(u16 base, u16 divisor, u8 lcr)
{
    outb(base + 1, 0x00);              /* no interrupts */
    outb(base + 3, 0x80 | lcr);
    outb(base + 0, divisor & 0xFF);
    outb(base + 1, divisor >> 8);
    outb(base + 3, lcr);
    outb(base + 2, 0x07);              /* FIFOs on, cleared */
    outb(base + 4, 0x03);              /* DTR, RTS */
}

void serial_init(void)
{
    int n = 0;
    for (int i = 0; i < 4; i++) {
        wr16(BDA_COM_PORTS + 2 * i, 0);
        if (uart_probe(com_bases[i]))
            wr16(BDA_COM_PORTS + 2 * n++, com_bases[i]);
        wr8(0x47C + i, 1);             /* timeouts */
    }
    wr16(BDA_EQUIPMENT, (rd16(BDA_EQUIPMENT) & ~0x0E00) | n << 9);
    com1_present = rd16(BDA_COM_PORTS) == COM1;
    if (com1_present)
        uart_setup(COM1, 1, 0x03);
}

/* The machine asks for a serial console when nobody sees the screen
 * (-nographic): QEMU's etc/sercon-port, which SeaBIOS reads too. */
void serial_console_init(void)
{
    u16 port = 0;
    serial_console = com1_present && fwcfg_read_file("etc/sercon-port", &port, sizeof(port)) ==
                     (int)sizeof(port) && port == COM1;
}

void serial_putc(u8 c)
{
    if (!com1_present || !serial_console)
        return;
    for (int i = 0; i < UART_TX_SPIN && !(inb(COM1 + 5) & UART_LSR_THRE); i++)
        ;
    outb(COM1, c);
}

int serial_getc(void)
{
    if (!com1_present || !(inb(COM1 + 5) & UART_LSR_DR))
        return -1;
    return inb(COM1);
}

void serial_int14(struct bregs *r)
{
    static const u16 divisors[8] = { 1047, 768, 384, 192, 96, 48, 24, 12 };
    if (r->dx >= 4 || !rd16(BDA_COM_PORTS + 2 * r->dx)) {
        r->ah = 0x80;
        set_cf(r);
        return;
    }
    u16 base = rd16(BDA_COM_PORTS + 2 * r->dx);
    clear_cf(r);
    switch (r->ah) {
    case 0x00:
        uart_setup(base, divisors[r->al >> 5], r->al & 0x1F);
        break;
    case 0x01: {
        int i;
        for (i = 0; i < UART_TX_SPIN && !(inb(base + 5) & UART_LSR_THRE); i++)
            ;
        if (i == UART_TX_SPIN) {
            r->ah = inb(base + 5) | 0x80;
            return;
        }
        outb(base, r->al);
        r->ah = inb(base + 5);
        return;
    }
    case 0x02: {
        u32 spins = 0;
        while (!(inb(base + 5) & UART_LSR_DR) && ++spins < UART_TX_SPIN)
            ;
        if (!(inb(base + 5) & UART_LSR_DR)) {
            r->ah = 0x80;
            return;
        }
        r->al = inb(base);
        r->ah = inb(base + 5) & 0x1E;
        return;
    }
    case 0x03:
        break;
    default:
        r->ah = 0x80;
        set_cf(r);
        return;
    }
    r->ah = inb(base + 5);
    r->al = inb(base + 6);
}
