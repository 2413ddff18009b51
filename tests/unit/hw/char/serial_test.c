/*
 * 16550A UART poked through its I/O ports like a guest (no CPU), checked
 * against the PC16550D datasheet and what Linux's 8250 driver probes:
 * reset values, divisor latch, FIFOs and trigger levels, IIR priorities,
 * THRE and timeout interrupts, loopback, OUT2 gating, overrun, and the
 * data path to and from a pipe-backed chardev.
 */
#include "test.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "hw/char/serial.h"
#include "mimic/chardev.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"
#include "mimic/timer.h"

#define COM1 0x3F8
#define COM2 0x2F8   /* attached to pipes */

enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define FCR IIR
#define THR RBR
#define DLL RBR
#define DLM IER

static Machine *m;
static int irq_level[2];
static int irq_rises[2];
static Chardev *chr;
static int tx_pipe[2] = { -1, -1 };   /* COM2 output: read end [0] */
static int rx_pipe[2] = { -1, -1 };   /* COM2 input: write end [1] */

static void irq_record(void *opaque, int n, int level)
{
    (void)opaque;
    if (level && !irq_level[n])
        irq_rises[n]++;
    irq_level[n] = level;
}

static void outb(uint16_t port, uint8_t v) { as_write(m->io, port, 1, v); }
static uint8_t inb(uint16_t port) { return (uint8_t)as_ld(m->io, port, 1); }
static void out1(int reg, uint8_t v) { outb(COM1 + reg, v); }
static uint8_t in1(int reg) { return inb(COM1 + reg); }

static void setup(void)
{
    static const MachineType type = { .name = "test" };
    static const MachineOptions opts = { .smp = 1 };
    if (!m) {
        mainloop_init();
        machine_lock();
        m = machine_create(&type, &opts);
        if (pipe(tx_pipe) < 0 || pipe(rx_pipe) < 0)
            abort();
        fcntl(tx_pipe[0], F_SETFL, O_NONBLOCK);
        chr = chardev_new_fd(rx_pipe[0], tx_pipe[1], false);
        serial_create(m, COM1, irq_line_new(irq_record, NULL, 0), NULL);
        serial_create(m, COM2, irq_line_new(irq_record, NULL, 1), chr);
    }
    machine_reset_devices(m);
    irq_rises[0] = irq_rises[1] = 0;
}

static void sleep_ns(long ns)
{
    struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
    nanosleep(&ts, NULL);
}

/* Data at 115200 baud 8N1 through the internal loopback, FIFOs on with the
 * given FCR trigger bits. */
static void setup_loopback_fifo(uint8_t fcr)
{
    setup();
    out1(LCR, 0x80);
    out1(DLL, 1);
    out1(DLM, 0);
    out1(LCR, 0x03);
    out1(FCR, (uint8_t)(fcr | 0x01));
    out1(MCR, 0x10);
}

/* Drain the COM2 output pipe into buf; returns the byte count. */
static size_t tx_collect(char *buf, size_t cap)
{
    chardev_flush(chr);
    size_t n = 0;
    ssize_t r;
    while (n < cap && (r = read(tx_pipe[0], buf + n, cap - n)) > 0)
        n += (size_t)r;
    return n;
}

TEST_CASE(reset_values)
{
    setup();
    out1(IER, 0x0F);
    out1(LCR, 0x1B);
    out1(MCR, 0x1F);
    out1(FCR, 0xC7);
    machine_reset_devices(m);
    CHECK_EQ(in1(IER), 0x00);
    CHECK_EQ(in1(IIR), 0x01);
    CHECK_EQ(in1(LCR), 0x00);
    CHECK_EQ(in1(MCR), 0x00);
    CHECK_EQ(in1(LSR), 0x60);
    /* Bits 0-3 cleared by reset, 4-7 follow the (ready) modem inputs. */
    CHECK_EQ(in1(MSR), 0xB0);
    CHECK_EQ(irq_level[0], 0);
}

TEST_CASE(divisor_latch_behind_dlab)
{
    setup();
    out1(LCR, 0x83);
    out1(DLL, 0x34);
    out1(DLM, 0x12);
    CHECK_EQ(in1(DLL), 0x34);
    CHECK_EQ(in1(DLM), 0x12);
    CHECK_EQ(in1(LCR), 0x83);
    out1(LCR, 0x03);
    CHECK_EQ(in1(IER), 0x00);     /* port 1 is IER again, untouched */
    CHECK_EQ(in1(LSR) & 0x01, 0); /* the DLL write sent nothing */
    out1(IER, 0x05);
    out1(LCR, 0x80);
    CHECK_EQ(in1(DLM), 0x12);     /* divisor survived, IER write did not land in it */
    CHECK_EQ(in1(DLL), 0x34);
    out1(LCR, 0x00);
    CHECK_EQ(in1(IER), 0x05);
}

TEST_CASE(scratch_register)
{
    setup();
    out1(SCR, 0x55);
    CHECK_EQ(in1(SCR), 0x55);
    out1(SCR, 0xAA);
    CHECK_EQ(in1(SCR), 0xAA);
}

TEST_CASE(ier_and_mcr_reserved_bits_read_zero)
{
    setup();
    out1(IER, 0xFF);   /* Linux's XScale UUE probe needs bit 6 to stay 0 */
    CHECK_EQ(in1(IER), 0x0F);
    out1(IER, 0x00);
    out1(MCR, 0xE3);
    CHECK_EQ(in1(MCR), 0x03);
}

TEST_CASE(fifo_enable_shows_in_iir)
{
    setup();
    out1(FCR, 0x01);
    CHECK_EQ(in1(IIR), 0xC1);
    out1(FCR, 0x21);   /* 16750's 64-byte bit: a 16550A shows no bit 5 */
    CHECK_EQ(in1(IIR), 0xC1);
    out1(FCR, 0x00);
    CHECK_EQ(in1(IIR), 0x01);
}

TEST_CASE(loopback_echo)
{
    setup();
    out1(MCR, 0x10);
    out1(THR, 'A');
    CHECK_EQ(in1(LSR), 0x61);
    CHECK_EQ(in1(RBR), 'A');
    CHECK_EQ(in1(LSR), 0x60);
    out1(THR, 'B');
    CHECK_EQ(in1(RBR), 'B');
}

TEST_CASE(loopback_msr_mirror)
{
    setup();
    out1(MCR, 0x1A);              /* LOOP|OUT2|RTS: what Linux's autoconfig writes */
    CHECK_EQ(in1(MSR) & 0xF0, 0x90);   /* DCD (from OUT2) and CTS (from RTS) */
    out1(MCR, 0x1F);
    CHECK_EQ(in1(MSR), 0xF0 | 0x02);   /* all lines; DSR rose (DDSR), others were read */
    out1(MCR, 0x10);              /* everything drops; RI falls: TERI */
    CHECK_EQ(in1(MSR), 0x0F);
    CHECK_EQ(in1(MSR), 0x00);     /* deltas clear on read */
    out1(MCR, 0x14);              /* RI rises: no TERI (trailing edge only) */
    CHECK_EQ(in1(MSR), 0x40);
    out1(MCR, 0x00);              /* out of loopback: the far end is ready again */
    CHECK_EQ(in1(MSR), 0xB0 | 0x0F);
    CHECK_EQ(in1(MSR), 0xB0);
}

TEST_CASE(fifo_trigger_levels)
{
    static const uint8_t fcr_bits[4] = { 0x00, 0x40, 0x80, 0xC0 };
    static const int level[4] = { 1, 4, 8, 14 };
    for (int i = 0; i < 4; i++) {
        setup_loopback_fifo(fcr_bits[i]);
        out1(IER, 0x01);
        for (int n = 1; n < level[i]; n++) {
            out1(THR, (uint8_t)n);
            CHECK_EQ(in1(IIR), 0xC1);
        }
        out1(THR, 0xEE);
        CHECK_EQ(in1(IIR), 0xC4);
        CHECK_EQ(in1(RBR), level[i] == 1 ? 0xEE : 1);
        CHECK_EQ(in1(IIR), 0xC1);     /* below the trigger again */
    }
}

TEST_CASE(character_timeout)
{
    setup_loopback_fifo(0x80);    /* trigger 8 */
    out1(IER, 0x01);
    out1(THR, 'x');
    out1(THR, 'y');
    CHECK_EQ(in1(IIR), 0xC1);     /* below the trigger: nothing yet */
    sleep_ns(2000000);            /* 4 chars at 115200 8N1 are ~347 us */
    timers_run_expired();
    CHECK_EQ(in1(IIR), 0xCC);
    CHECK_EQ(in1(RBR), 'x');
    CHECK_EQ(in1(IIR), 0xC1);     /* reading a byte clears it and restarts the timer */
    sleep_ns(2000000);
    timers_run_expired();
    CHECK_EQ(in1(IIR), 0xCC);
    CHECK_EQ(in1(RBR), 'y');
    sleep_ns(2000000);
    timers_run_expired();
    CHECK_EQ(in1(IIR), 0xC1);     /* empty FIFO: no timeout */
}

TEST_CASE(timeout_follows_baud_rate)
{
    setup_loopback_fifo(0x80);
    out1(LCR, 0x83);
    out1(DLL, 0x00);
    out1(DLM, 0x06);              /* 75 baud: 4 chars take ~0.5 s */
    out1(LCR, 0x03);
    out1(IER, 0x01);
    out1(THR, 'z');
    sleep_ns(2000000);
    timers_run_expired();
    CHECK_EQ(in1(IIR), 0xC1);
}

TEST_CASE(fifo_holds_16_then_overruns)
{
    setup_loopback_fifo(0xC0);
    for (int i = 0; i < 16; i++)
        out1(THR, (uint8_t)('a' + i));
    CHECK_EQ(in1(LSR), 0x61);
    out1(THR, '!');               /* 17th byte: lost in the shift register */
    CHECK_EQ(in1(LSR), 0x63);
    CHECK_EQ(in1(LSR), 0x61);     /* OE clears on read */
    for (int i = 0; i < 16; i++)
        CHECK_EQ(in1(RBR), 'a' + i);
    CHECK_EQ(in1(LSR), 0x60);
}

TEST_CASE(overrun_without_fifo_overwrites)
{
    setup();
    out1(MCR, 0x10);
    out1(THR, 'a');
    out1(THR, 'b');
    CHECK_EQ(in1(LSR), 0x63);
    CHECK_EQ(in1(RBR), 'b');
    CHECK_EQ(in1(LSR), 0x60);
}

TEST_CASE(fcr_resets_and_disable_clear_rx)
{
    setup_loopback_fifo(0x00);
    out1(THR, '1');
    out1(THR, '2');
    out1(FCR, 0x03);              /* RX FIFO reset */
    CHECK_EQ(in1(LSR), 0x60);
    out1(THR, '3');
    out1(FCR, 0x00);              /* FIFOs off: emptied */
    CHECK_EQ(in1(LSR), 0x60);
    CHECK_EQ(in1(IIR), 0x01);
}

TEST_CASE(linux_probe_leaves_no_break)
{
    setup();
    /* autoconfig_16550a's SuperIO check: LCR 0xE0 (break bit set) while
     * in loopback, for a few microseconds. */
    out1(FCR, 0x01);
    out1(MCR, 0x10);
    out1(LCR, 0xE0);
    CHECK_EQ(in1(IIR) & 0x10, 0);  /* "EXCR1" shows no LOOP bit */
    out1(LCR, 0x00);
    out1(MCR, 0x00);
    CHECK_EQ(in1(LSR), 0x60);
}

/* The checks Linux's 8250 autoconfig makes before calling a port a 16550A. */
TEST_CASE(linux_autoconfig_sees_16550a)
{
    setup();
    out1(IER, 0x00);
    CHECK_EQ(in1(IER) & 0x0F, 0x00);
    out1(IER, 0x0F);
    CHECK_EQ(in1(IER) & 0x0F, 0x0F);
    out1(IER, 0x00);
    out1(MCR, 0x1A);
    CHECK_EQ(in1(MSR) & 0xF0, 0x90);
    out1(MCR, 0x00);
    out1(LCR, 0xBF);
    out1(FCR, 0x00);               /* "EFR" = 0 lands in FCR */
    out1(LCR, 0x00);
    out1(FCR, 0x01);
    CHECK_EQ(in1(IIR) >> 6, 3);
    out1(LCR, 0x80);
    CHECK(in1(IIR) != 0);          /* no EFR behind DLAB */
    out1(LCR, 0xBF);
    CHECK(in1(IIR) != 0);
    out1(LCR, 0x00);
    out1(FCR, 0x21);               /* TI16750 test: bit 5 must not appear */
    CHECK_EQ(in1(IIR) >> 5, 6);
    out1(LCR, 0x80);
    out1(FCR, 0x21);
    CHECK_EQ(in1(IIR) >> 5, 6);
    out1(LCR, 0x00);
    /* size_fifo(): 256 bytes into the loopback at divisor 1, count them. */
    out1(FCR, 0x07);
    out1(MCR, 0x10);
    out1(LCR, 0x80);
    out1(DLL, 0x01);
    out1(DLM, 0x00);
    out1(LCR, 0x03);
    for (int i = 0; i < 256; i++)
        out1(THR, (uint8_t)i);
    int count = 0;
    while ((in1(LSR) & 0x01) && count < 256) {
        in1(RBR);
        count++;
    }
    CHECK_EQ(count, 16);
}

TEST_CASE(interrupt_priorities)
{
    setup();
    out1(MCR, 0x10);
    in1(MSR);                     /* forget the deltas of entering loopback */
    out1(MCR, 0x11);              /* DSR rises: MSR delta pending */
    out1(THR, 'a');
    out1(THR, 'b');               /* overrun */
    out1(IER, 0x0F);              /* ETBEI 0->1: THRE pending too */
    CHECK_EQ(in1(IIR), 0x06);     /* line status first */
    CHECK_EQ(in1(LSR), 0x63);
    CHECK_EQ(in1(IIR), 0x04);     /* then received data */
    CHECK_EQ(in1(RBR), 'b');
    CHECK_EQ(in1(IIR), 0x02);     /* then THRE, acknowledged by this read */
    CHECK_EQ(in1(IIR), 0x00);     /* then modem status */
    CHECK_EQ(in1(MSR) & 0x0F, 0x02);
    CHECK_EQ(in1(IIR), 0x01);
}

TEST_CASE(thre_interrupt_on_enable_and_after_tx)
{
    setup();
    out1(MCR, 0x08);              /* OUT2: IRQ line enabled */
    CHECK_EQ(in1(IIR), 0x01);
    /* Linux's UART_BUG_THRE probe: enable, read IIR, disable, enable, read. */
    out1(IER, 0x02);
    CHECK_EQ(irq_level[0], 1);
    CHECK_EQ(in1(IIR), 0x02);
    CHECK_EQ(irq_level[0], 0);    /* IIR read acknowledged THRE */
    CHECK_EQ(in1(IIR), 0x01);
    out1(IER, 0x00);
    out1(IER, 0x02);
    CHECK_EQ(in1(IIR), 0x02);     /* re-asserted: THR is still empty */
    CHECK_EQ(in1(IIR), 0x01);
    out1(IER, 0x02);              /* no 0->1 change: nothing new */
    CHECK_EQ(in1(IIR), 0x01);
    out1(THR, 'x');               /* sent at once: THR empty again */
    CHECK_EQ(in1(LSR), 0x60);
    CHECK_EQ(irq_level[0], 1);
    CHECK_EQ(in1(IIR), 0x02);
    out1(IER, 0x00);
    CHECK_EQ(irq_level[0], 0);
    CHECK_EQ(irq_rises[0], 3);
}

TEST_CASE(thre_txen_probe)
{
    setup();
    /* Linux's UART_BUG_TXEN check: with THRI enabled and TEMT set, IIR
     * must show a pending interrupt. */
    out1(IER, 0x02);
    CHECK(in1(LSR) & 0x40);
    CHECK((in1(IIR) & 0x01) == 0);
    out1(IER, 0x00);
}

TEST_CASE(out2_gates_irq_line)
{
    setup();
    out1(IER, 0x02);              /* THRE pending */
    CHECK_EQ(in1(IIR) & 0x0F, 0x02);
    out1(IER, 0x00);
    out1(IER, 0x02);
    CHECK_EQ(irq_level[0], 0);    /* OUT2 clear: line stays low */
    out1(MCR, 0x08);
    CHECK_EQ(irq_level[0], 1);
    out1(MCR, 0x00);
    CHECK_EQ(irq_level[0], 0);
    out1(MCR, 0x18);              /* loopback forces the OUT2 pin inactive */
    CHECK_EQ(irq_level[0], 0);
    out1(MCR, 0x08);
    CHECK_EQ(irq_level[0], 1);
    machine_reset_devices(m);
    CHECK_EQ(irq_level[0], 0);
}

TEST_CASE(modem_status_interrupt)
{
    setup();
    out1(MCR, 0x10);
    in1(MSR);                     /* clear deltas from entering loopback */
    out1(IER, 0x08);
    out1(MCR, 0x08);              /* leave loopback with OUT2: lines change */
    CHECK_EQ(in1(IIR), 0x00);
    CHECK_EQ(irq_level[0], 1);
    CHECK_EQ(in1(MSR), 0xBB);     /* DCTS, DDSR, DDCD (no TERI: RI did not fall) */
    CHECK_EQ(in1(IIR), 0x01);
    CHECK_EQ(irq_level[0], 0);
}

TEST_CASE(transmit_to_chardev)
{
    char buf[64];
    setup();
    tx_collect(buf, sizeof(buf));
    outb(COM2 + LCR, 0x03);
    const char *msg = "hello, mimic\n";
    for (const char *p = msg; *p; p++) {
        CHECK(inb(COM2 + LSR) & 0x20);
        outb(COM2 + THR, (uint8_t)*p);
    }
    CHECK_EQ(inb(COM2 + LSR), 0x60);
    size_t n = tx_collect(buf, sizeof(buf));
    CHECK_EQ(n, strlen(msg));
    CHECK(memcmp(buf, msg, n) == 0);
    outb(COM2 + MCR, 0x10);       /* loopback output stays inside the UART */
    outb(COM2 + THR, 'L');
    CHECK_EQ(tx_collect(buf, sizeof(buf)), 0);
    CHECK_EQ(inb(COM2 + RBR), 'L');
}

/* Bytes written to the pipe reach the guest through main-loop reads and
 * the UART's flow control: nothing is lost or reordered. */
static int rx_check(bool fifo, int count)
{
    setup();
    if (count <= 0 || count > 100)
        return -5;
    if (fifo)
        outb(COM2 + FCR, 0xC7);
    char sent[100];
    for (int i = 0; i < count; i++)
        sent[i] = (char)('A' + i % 26);
    if (write(rx_pipe[1], sent, (size_t)count) != (ssize_t)count)
        return -1;
    mainloop_iterate(0);
    int got = 0;
    for (int spins = 0; got < count && spins < 1000; spins++) {
        if (!(inb(COM2 + LSR) & 0x01)) {
            mainloop_iterate(0);
            continue;
        }
        if (inb(COM2 + RBR) != (uint8_t)sent[got])
            return -2;
        got++;
    }
    if (got != count)
        return -3;
    if (inb(COM2 + LSR) != 0x60)   /* no overrun, nothing left */
        return -4;
    return 0;
}

TEST_CASE(receive_from_chardev_fifo)
{
    CHECK_EQ(rx_check(true, 60), 0);
}

TEST_CASE(receive_from_chardev_no_fifo)
{
    CHECK_EQ(rx_check(false, 40), 0);
}

TEST_CASE(receive_interrupt_with_out2)
{
    setup();
    outb(COM2 + FCR, 0x01);       /* trigger 1 */
    outb(COM2 + IER, 0x01);
    outb(COM2 + MCR, 0x0B);
    CHECK_EQ(irq_level[1], 0);
    CHECK_EQ(write(rx_pipe[1], "k", 1), 1);
    mainloop_iterate(0);
    CHECK_EQ(irq_level[1], 1);
    CHECK_EQ(inb(COM2 + IIR), 0xC4);
    CHECK_EQ(inb(COM2 + RBR), 'k');
    CHECK_EQ(irq_level[1], 0);
}

TEST_CASE(loopback_blocks_host_input)
{
    setup();
    outb(COM2 + MCR, 0x10);
    CHECK_EQ(write(rx_pipe[1], "q", 1), 1);
    mainloop_iterate(0);
    CHECK_EQ(inb(COM2 + LSR) & 0x01, 0);   /* held back by the backend */
    outb(COM2 + MCR, 0x00);
    CHECK_EQ(inb(COM2 + LSR) & 0x01, 1);   /* delivered when the line is back */
    CHECK_EQ(inb(COM2 + RBR), 'q');
}

int main(void)
{
    RUN(reset_values);
    RUN(divisor_latch_behind_dlab);
    RUN(scratch_register);
    RUN(ier_and_mcr_reserved_bits_read_zero);
    RUN(fifo_enable_shows_in_iir);
    RUN(loopback_echo);
    RUN(loopback_msr_mirror);
    RUN(fifo_trigger_levels);
    RUN(character_timeout);
    RUN(timeout_follows_baud_rate);
    RUN(fifo_holds_16_then_overruns);
    RUN(overrun_without_fifo_overwrites);
    RUN(fcr_resets_and_disable_clear_rx);
    RUN(linux_probe_leaves_no_break);
    RUN(linux_autoconfig_sees_16550a);
    RUN(interrupt_priorities);
    RUN(thre_interrupt_on_enable_and_after_tx);
    RUN(thre_txen_probe);
    RUN(out2_gates_irq_line);
    RUN(modem_status_interrupt);
    RUN(transmit_to_chardev);
    RUN(receive_from_chardev_fifo);
    RUN(receive_from_chardev_no_fifo);
    RUN(receive_interrupt_with_out2);
    RUN(loopback_blocks_host_input);
    TEST_EXIT();
}
