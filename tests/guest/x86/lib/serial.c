/* COM1 console: 16550 UART driven by polling LSR.  Reference: NS16550A
 * datasheet (registers RBR/THR, IER, LCR, MCR, LSR).  The FIFO control
 * register is left alone on purpose: toggling FIFO enable flushes the
 * receiver, which would drop input the host queued before we started. */
#include "runtime.h"

#define UART_RBR 0
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define MCR_DTR_RTS_OUT2 0x0b
/* Bounded wait for THRE so a broken UART cannot hang the test forever. */
#define TX_SPIN_LIMIT 1000000

void serial_init(void)
{
    outb(COM1_BASE + UART_IER, 0);
    outb(COM1_BASE + UART_LCR, LCR_DLAB);
    outb(COM1_BASE + UART_DLL, 1);      /* 115200 baud */
    outb(COM1_BASE + UART_DLM, 0);
    outb(COM1_BASE + UART_LCR, LCR_8N1);
    outb(COM1_BASE + UART_MCR, MCR_DTR_RTS_OUT2);
}

static void serial_put_raw(char c)
{
    for (int i = 0; i < TX_SPIN_LIMIT; i++) {
        if (inb(COM1_BASE + UART_LSR) & LSR_THR_EMPTY)
            break;
        cpu_pause();
    }
    outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void serial_putc(char c)
{
    if (c == '\n')
        serial_put_raw('\r');
    serial_put_raw(c);
}

static bool serial_ready(void)
{
    return inb(COM1_BASE + UART_LSR) & LSR_DATA_READY;
}

int serial_getc_timeout(uint32_t timeout_ms)
{
    uint64_t start, limit;

    if (serial_ready())
        return inb(COM1_BASE + UART_RBR);
    if (!tsc_khz())
        tsc_calibrate();
    start = rdtsc();
    limit = (uint64_t)timeout_ms * tsc_khz();
    while (rdtsc() - start < limit) {
        if (serial_ready())
            return inb(COM1_BASE + UART_RBR);
        cpu_pause();
    }
    return -1;
}

int serial_readline(char *buf, size_t size, uint32_t timeout_ms)
{
    size_t n = 0;

    if (size == 0)
        return -1;
    for (;;) {
        int c = serial_getc_timeout(timeout_ms);
        if (c < 0) {
            buf[n] = 0;
            return n ? (int)n : -1;
        }
        if (c == '\r' || c == '\n') {
            if (n == 0)
                continue;       /* skip the LF of a CRLF or empty lines */
            break;
        }
        if (n + 1 < size)
            buf[n++] = (char)c;
    }
    buf[n] = 0;
    return (int)n;
}
