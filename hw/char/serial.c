/*
 * 16550A UART (National Semiconductor PC16550D datasheet): divisor latch,
 * 16-byte RX FIFO with trigger levels and the character-timeout interrupt,
 * the four interrupt sources in priority order, modem-control loopback, and
 * the PC wiring where MCR.OUT2 gates the IRQ line. Transmit is instantaneous
 * (THR and the TX FIFO never hold a byte), and word length, parity and stop
 * bits only set the timeout length: the host sees whole bytes. Left out: DMA
 * signalling (FCR bit 3 is stored, nothing more); parity, framing and break
 * conditions never arrive (Linux's probe flips LCR to 0xE0, break included,
 * for microseconds in loopback; real chips need a character time to see it).
 */
#include <stdio.h>
#include <stdlib.h>

#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/memory.h"
#include "mimic/timer.h"
#include "serial.h"

#define SERIAL_PORTS 8
#define SERIAL_FIFO_SIZE 16
#define SERIAL_CLOCK_HZ 1843200   /* the PC's UART crystal: divisor 1 = 115200 baud */
#define SERIAL_TIMEOUT_CHARS 4    /* datasheet: timeout after 4 character times */
#define SERIAL_RESET_DIVISOR 12   /* 9600 baud until the guest programs it */

enum {
    REG_RBR = 0, REG_THR = 0, REG_DLL = 0,
    REG_IER = 1, REG_DLM = 1,
    REG_IIR = 2, REG_FCR = 2,
    REG_LCR = 3,
    REG_MCR = 4,
    REG_LSR = 5,
    REG_MSR = 6,
    REG_SCR = 7,
};

#define IER_ERBFI 0x01   /* received data available (and timeout) */
#define IER_ETBEI 0x02   /* transmitter holding register empty */
#define IER_ELSI  0x04   /* receiver line status */
#define IER_EDSSI 0x08   /* modem status */
#define IER_MASK  0x0f   /* bits 4-7 read 0 on a 16550A (Linux probes this) */

#define IIR_NO_INT      0x01
#define IIR_ID_MASK     0x0f
#define IIR_ID_MSR      0x00
#define IIR_ID_THRE     0x02
#define IIR_ID_RDA      0x04
#define IIR_ID_RLS      0x06
#define IIR_ID_TIMEOUT  0x0c
#define IIR_FIFOS_ON    0xc0

#define FCR_ENABLE      0x01
#define FCR_RX_RESET    0x02
#define FCR_TX_RESET    0x04
#define FCR_DMA_MODE    0x08
#define FCR_TRIGGER     0xc0
#define FCR_STORED      (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER)

#define LCR_WLS   0x03
#define LCR_STB   0x04
#define LCR_PEN   0x08
#define LCR_BREAK 0x40   /* not modelled: see the top of the file */
#define LCR_DLAB  0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR       0x01
#define LSR_OE       0x02
#define LSR_PE       0x04
#define LSR_FE       0x08
#define LSR_BI       0x10
#define LSR_THRE     0x20
#define LSR_TEMT     0x40
#define LSR_FIFO_ERR 0x80
#define LSR_ERRORS   (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS   0x01
#define MSR_DDSR   0x02
#define MSR_TERI   0x04
#define MSR_DDCD   0x08
#define MSR_CTS    0x10
#define MSR_DSR    0x20
#define MSR_RI     0x40
#define MSR_DCD    0x80
#define MSR_DELTAS 0x0f
/* What the far end shows outside loopback: a terminal that is always ready. */
#define MSR_LINES_IDLE (MSR_CTS | MSR_DSR | MSR_DCD)

static const uint8_t rx_trigger_levels[4] = { 1, 4, 8, 14 };

struct Serial {
    IrqLine *irq;
    Chardev *chr;
    Timer *timeout_timer;
    char name[16];

    uint8_t ier, lcr, mcr, msr, scr, fcr;
    uint16_t divisor;
    uint8_t iir;             /* kept current by serial_update_irq */
    uint8_t lsr_errors;      /* OE (the only error that can happen here) */
    bool thr_ipending;       /* THRE interrupt raised and not yet acknowledged */
    bool timeout_ipending;
    int irq_level;           /* last level driven; -1 forces the next update */

    uint8_t rx[SERIAL_FIFO_SIZE];
    unsigned rx_head, rx_count;
    unsigned rx_trigger;     /* bytes for the RDA interrupt: 1 with FIFOs off */
    uint8_t rbr_last;        /* what an empty RBR reads back as */
    int64_t timeout_ns;      /* SERIAL_TIMEOUT_CHARS at the current line settings */

    ChardevFrontend fe;
};

static inline bool serial_fifo_on(const Serial *s)
{
    return s->fcr & FCR_ENABLE;
}

/* Recompute IIR from the pending sources and drive the line. The PC board
 * routes the interrupt through a buffer enabled by the OUT2 pin, and
 * loopback forces that pin inactive, so either one silences the line. */
static void serial_update_irq(Serial *s)
{
    uint8_t id;
    if ((s->ier & IER_ELSI) && (s->lsr_errors & LSR_ERRORS))
        id = IIR_ID_RLS;
    else if ((s->ier & IER_ERBFI) && s->timeout_ipending)
        id = IIR_ID_TIMEOUT;
    else if ((s->ier & IER_ERBFI) && s->rx_count >= s->rx_trigger)
        id = IIR_ID_RDA;
    else if ((s->ier & IER_ETBEI) && s->thr_ipending)
        id = IIR_ID_THRE;
    else if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
        id = IIR_ID_MSR;
    else
        id = IIR_NO_INT;
    s->iir = id | (serial_fifo_on(s) ? IIR_FIFOS_ON : 0);
    int level = id != IIR_NO_INT && (s->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq, level);
    }
}

static void serial_update_timing(Serial *s)
{
    unsigned data_bits = 5 + (s->lcr & LCR_WLS);
    /* Counted in half bits so that 1.5 stop bits (5-bit words) stay exact. */
    unsigned half_bits = 2 * (1 + data_bits + ((s->lcr & LCR_PEN) ? 1 : 0));
    half_bits += (s->lcr & LCR_STB) ? (data_bits == 5 ? 3 : 4) : 2;
    int64_t divisor = s->divisor ? s->divisor : 1;
    int64_t char_ns = divisor * 16 * half_bits * NS_PER_SEC / (2 * SERIAL_CLOCK_HZ);
    s->timeout_ns = SERIAL_TIMEOUT_CHARS * char_ns;
}

/* The timeout counts from the last byte received or read (datasheet
 * "FIFO interrupt mode operation"). */
static void serial_restart_timeout(Serial *s)
{
    if (serial_fifo_on(s) && s->rx_count > 0)
        timer_mod(s->timeout_timer, clock_virtual_ns() + s->timeout_ns);
    else
        timer_del(s->timeout_timer);
}

static void serial_timeout_expired(void *opaque)
{
    Serial *s = opaque;
    if (serial_fifo_on(s) && s->rx_count > 0) {
        s->timeout_ipending = true;
        serial_update_irq(s);
    }
}

static void serial_rx_clear(Serial *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->timeout_ipending = false;
    timer_del(s->timeout_timer);
}

/* A byte arrives from the line (host or loopback). The caller restarts the
 * timeout and updates the IRQ. */
static void serial_rx_push(Serial *s, uint8_t byte)
{
    unsigned capacity = serial_fifo_on(s) ? SERIAL_FIFO_SIZE : 1;
    if (s->rx_count >= capacity) {
        /* FIFO mode: the byte in the shift register is lost. 16450 mode:
         * it overwrites the unread RBR. Either way OE shows at once. */
        s->lsr_errors |= LSR_OE;
        if (!serial_fifo_on(s))
            s->rx[s->rx_head] = byte;
        return;
    }
    s->rx[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = byte;
    s->rx_count++;
}

static uint8_t serial_rx_pop(Serial *s)
{
    if (s->rx_count == 0)
        return s->rbr_last;
    uint8_t byte = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
    s->rx_count--;
    s->rbr_last = byte;
    s->timeout_ipending = false;
    serial_restart_timeout(s);
    serial_update_irq(s);
    if (s->chr)
        chardev_accept_input(s->chr);
    return byte;
}

/* The modem-status inputs changed to `lines` (bits 4-7): latch the deltas. */
static void serial_set_modem_lines(Serial *s, uint8_t lines)
{
    uint8_t old = s->msr;
    uint8_t changed = (uint8_t)(old ^ lines);
    uint8_t deltas = old & MSR_DELTAS;
    if (changed & MSR_CTS)
        deltas |= MSR_DCTS;
    if (changed & MSR_DSR)
        deltas |= MSR_DDSR;
    if ((old & MSR_RI) && !(lines & MSR_RI))
        deltas |= MSR_TERI;   /* trailing edge only */
    if (changed & MSR_DCD)
        deltas |= MSR_DDCD;
    s->msr = (uint8_t)(lines | deltas);
}

/* In loopback the outputs feed the inputs: RTS->CTS, DTR->DSR, OUT1->RI,
 * OUT2->DCD. Otherwise the far end looks permanently ready. */
static uint8_t serial_modem_lines(const Serial *s)
{
    if (!(s->mcr & MCR_LOOP))
        return MSR_LINES_IDLE;
    return (uint8_t)(((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
                     ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0));
}

/* The hot path of every console line: keep it free of timers and loops. */
static void serial_transmit(Serial *s, uint8_t byte)
{
    if (s->mcr & MCR_LOOP) {
        serial_rx_push(s, byte);
        serial_restart_timeout(s);
    } else if (s->chr) {
        chardev_write(s->chr, &byte, 1);
    }
    /* The byte left at once, so THR is empty again: that is a new THRE
     * interrupt (writing THR acknowledged the previous one). */
    s->thr_ipending = (s->ier & IER_ETBEI) != 0;
    serial_update_irq(s);
}

static void serial_write_ier(Serial *s, uint8_t value)
{
    uint8_t old = s->ier;
    s->ier = value & IER_MASK;
    /* Enabling ETBEI while THR is empty (it always is) raises THRE at once:
     * Linux's TX start and its UART_BUG_THRE probe depend on it. */
    if ((s->ier & IER_ETBEI) && !(old & IER_ETBEI))
        s->thr_ipending = true;
    else if (!(s->ier & IER_ETBEI))
        s->thr_ipending = false;
    serial_update_irq(s);
}

static void serial_write_fcr(Serial *s, uint8_t value)
{
    bool was_on = serial_fifo_on(s);
    if (!(value & FCR_ENABLE)) {
        /* The other bits only take effect together with FCR0; switching the
         * FIFOs off empties them. */
        if (was_on)
            serial_rx_clear(s);
        s->fcr = 0;
        s->rx_trigger = 1;
    } else {
        if (!was_on || (value & FCR_RX_RESET))
            serial_rx_clear(s);
        /* FCR_TX_RESET: the TX FIFO is always empty here. */
        s->fcr = value & FCR_STORED;
        s->rx_trigger = rx_trigger_levels[value >> 6];
    }
    serial_update_irq(s);
    if (s->chr)
        chardev_accept_input(s->chr);
}

static void serial_write_lcr(Serial *s, uint8_t value)
{
    uint8_t old = s->lcr;
    s->lcr = value;
    if ((old ^ value) & (LCR_WLS | LCR_STB | LCR_PEN))
        serial_update_timing(s);
}

static void serial_write_mcr(Serial *s, uint8_t value)
{
    uint8_t old = s->mcr;
    s->mcr = value & MCR_MASK;
    serial_set_modem_lines(s, serial_modem_lines(s));
    serial_update_irq(s);
    if (((old ^ s->mcr) & MCR_LOOP) && s->chr)
        chardev_accept_input(s->chr);   /* the receiver is back on the line */
}

static uint8_t serial_read_lsr(Serial *s)
{
    uint8_t v = LSR_THRE | LSR_TEMT | s->lsr_errors;
    if (s->rx_count > 0)
        v |= LSR_DR;
    if (s->lsr_errors) {
        s->lsr_errors = 0;
        serial_update_irq(s);
    }
    return v;
}

static uint64_t serial_read(void *opaque, uint64_t offset, unsigned size)
{
    Serial *s = opaque;
    (void)size;
    switch (offset) {
    case REG_RBR:
        if (s->lcr & LCR_DLAB)
            return s->divisor & 0xff;
        return serial_rx_pop(s);
    case REG_IER:
        if (s->lcr & LCR_DLAB)
            return s->divisor >> 8;
        return s->ier;
    case REG_IIR: {
        uint8_t v = s->iir;
        /* Reading IIR while it reports THRE acknowledges that source. */
        if ((v & IIR_ID_MASK) == IIR_ID_THRE) {
            s->thr_ipending = false;
            serial_update_irq(s);
        }
        return v;
    }
    case REG_LCR:
        return s->lcr;
    case REG_MCR:
        return s->mcr;
    case REG_LSR:
        return serial_read_lsr(s);
    case REG_MSR: {
        uint8_t v = s->msr;
        if (v & MSR_DELTAS) {
            s->msr &= (uint8_t)~MSR_DELTAS;
            serial_update_irq(s);
        }
        return v;
    }
    case REG_SCR:
        return s->scr;
    }
    return 0xff;
}

static void serial_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Serial *s = opaque;
    uint8_t v = (uint8_t)value;
    (void)size;
    switch (offset) {
    case REG_THR:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0xff00) | v);
            serial_update_timing(s);
        } else {
            serial_transmit(s, v);
        }
        break;
    case REG_IER:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0x00ff) | (v << 8));
            serial_update_timing(s);
        } else {
            serial_write_ier(s, v);
        }
        break;
    case REG_FCR:
        serial_write_fcr(s, v);
        break;
    case REG_LCR:
        serial_write_lcr(s, v);
        break;
    case REG_MCR:
        serial_write_mcr(s, v);
        break;
    case REG_LSR:
    case REG_MSR:
        log_unimp("%s: write 0x%02x to %s (factory test) ignored\n", s->name, v,
                  offset == REG_LSR ? "LSR" : "MSR");
        break;
    case REG_SCR:
        s->scr = v;
        break;
    }
}

static const MemoryRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .min_access = 1,
    .max_access = 1,
};

static int serial_can_receive(void *opaque)
{
    Serial *s = opaque;
    if (s->mcr & MCR_LOOP)
        return 0;   /* the receiver listens to our own transmitter */
    if (serial_fifo_on(s))
        return SERIAL_FIFO_SIZE - (int)s->rx_count;
    return s->rx_count == 0;
}

static void serial_receive(void *opaque, const uint8_t *buf, int len)
{
    Serial *s = opaque;
    if (s->mcr & MCR_LOOP)
        return;
    for (int i = 0; i < len; i++)
        serial_rx_push(s, buf[i]);
    serial_restart_timeout(s);
    serial_update_irq(s);
}

/* Master reset values (datasheet table "UART Reset Configuration"). The
 * divisor and SCR are not touched by MR on the chip; mimic resets them
 * too so every boot starts identically. */
static void serial_reset(void *opaque)
{
    Serial *s = opaque;
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->fcr = 0;
    s->scr = 0;
    s->divisor = SERIAL_RESET_DIVISOR;
    s->rx_trigger = 1;
    s->lsr_errors = 0;
    s->thr_ipending = false;
    s->rbr_last = 0;
    serial_rx_clear(s);
    s->msr = MSR_LINES_IDLE;
    serial_update_timing(s);
    s->irq_level = -1;
    serial_update_irq(s);
    if (s->chr)
        chardev_accept_input(s->chr);
}

Serial *serial_create(Machine *m, uint16_t iobase, IrqLine *irq, Chardev *chr)
{
    if (!m->io)
        fatal("serial at 0x%x: this machine has no I/O port space", iobase);
    if ((uint32_t)iobase + SERIAL_PORTS > 0x10000)
        fatal("serial: iobase 0x%x is beyond the I/O space", iobase);
    Serial *s = calloc(1, sizeof(*s));
    if (!s)
        fatal("out of memory");
    s->irq = irq;
    s->chr = chr;
    snprintf(s->name, sizeof(s->name), "serial@%x", iobase);
    s->timeout_timer = timer_new(serial_timeout_expired, s);
    serial_reset(s);
    as_map_io(m->io, s->name, iobase, SERIAL_PORTS, &serial_ops, s);
    machine_add_reset(m, serial_reset, s);
    if (chr) {
        s->fe = (ChardevFrontend){ serial_can_receive, serial_receive, s };
        chardev_set_frontend(chr, &s->fe);
    }
    return s;
}
