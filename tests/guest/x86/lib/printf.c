/* Minimal printf family for the test programs: %d %i %u %x %X %o %c %s %p
 * %%, flags '-' and '0', a field width (number or '*'), length h/l/ll/z,
 * precision for %s only ("%.4s" for ACPI signatures).  No floating point.
 * Output goes to COM1 or a buffer. */
#include "runtime.h"

typedef struct Sink {
    char *buf;          /* NULL: write to the serial port */
    size_t size;
    size_t len;         /* characters produced, even past size */
} Sink;

static void sink_put(Sink *s, char c)
{
    if (!s->buf)
        serial_putc(c);
    else if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void sink_pad(Sink *s, char c, int n)
{
    while (n-- > 0)
        sink_put(s, c);
}

static void format_number(Sink *s, uint64_t v, bool negative, unsigned base,
                          bool upper, int width, bool left, bool zero)
{
    char tmp[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

    do {
        uint64_t rem;
        v = udiv64(v, base, &rem);
        tmp[n++] = digits[rem];
    } while (v);
    int len = n + (negative ? 1 : 0);
    if (!left && !zero)
        sink_pad(s, ' ', width - len);
    if (negative)
        sink_put(s, '-');
    if (!left && zero)
        sink_pad(s, '0', width - len);
    while (n)
        sink_put(s, tmp[--n]);
    if (left)
        sink_pad(s, ' ', width - len);
}

static void format(Sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink_put(s, *fmt);
            continue;
        }
        fmt++;
        bool left = false, zero = false;
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                zero = true;
            else
                break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int precision = -1;        /* only %s uses it: at most N chars */
        if (*fmt == '.') {
            precision = 0;
            fmt++;
            if (*fmt == '*') {
                precision = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                precision = precision * 10 + (*fmt++ - '0');
        }
        int longs = 0;
        while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
            if (*fmt == 'l')
                longs++;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(ap, long long) : va_arg(ap, long);
            bool neg = v < 0;
            format_number(s, neg ? (uint64_t)-v : (uint64_t)v, neg, 10, false, width, left, zero);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = longs >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long);
            unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            format_number(s, v, false, base, *fmt == 'X', width, left, zero);
            break;
        }
        case 'p':
            sink_put(s, '0');
            sink_put(s, 'x');
            format_number(s, (uintptr_t)va_arg(ap, void *), false, 16, false, 8, false, true);
            break;
        case 'c':
            sink_pad(s, ' ', left ? 0 : width - 1);
            sink_put(s, (char)va_arg(ap, int));
            sink_pad(s, ' ', left ? width - 1 : 0);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            int len = 0;
            while (str[len] && (precision < 0 || len < precision))
                len++;
            sink_pad(s, ' ', left ? 0 : width - len);
            for (int i = 0; i < len; i++)
                sink_put(s, str[i]);
            sink_pad(s, ' ', left ? width - len : 0);
            break;
        }
        case '%':
            sink_put(s, '%');
            break;
        case 0:
            return;
        default:
            sink_put(s, '%');
            sink_put(s, *fmt);
            break;
        }
    }
}

int vprintf(const char *fmt, va_list ap)
{
    Sink s = { 0 };
    format(&s, fmt, ap);
    return (int)s.len;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    Sink s = { .buf = buf, .size = size };
    format(&s, fmt, ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = 0;
    return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
