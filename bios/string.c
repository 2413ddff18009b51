/*
 * Freestanding string helpers and a small printf (%s %c %d %u %x %X %p with
 * width, zero padding and the l/ll length modifiers) that prints through the
 * INT 10h teletype path, so POST messages reach both screen and COM1.
 */
#include <stdarg.h>
#include "bios.h"

void *memcpy(void *d, const void *s, size_t n)
{
    void *ret = d;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return ret;
}

void *memmove(void *d, const void *s, size_t n)
{
    u8 *dp = d;
    const u8 *sp = s;
    if (dp <= sp || dp >= sp + n)
        return memcpy(d, s, n);
    while (n--)
        dp[n] = sp[n];
    return d;
}

void *memset(void *d, int c, size_t n)
{
    void *ret = d;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (u8)*a - (u8)*b;
}

u8 checksum8(const void *p, u32 len)
{
    const u8 *b = p;
    u8 sum = 0;
    while (len--)
        sum += *b++;
    return sum;
}

/* u64 by u32 division without libgcc: two 64/32 divl steps. */
static u32 divmod64(u64 *v, u32 base)
{
    u32 hi = *v >> 32, lo = (u32)*v, qhi = hi / base, rem = hi % base, qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(rem), "rm"(base));
    *v = (u64)qhi << 32 | qlo;
    return rem;
}

static void put_num(u64 v, unsigned base, int width, char pad, int upper)
{
    char buf[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        buf[n++] = digits[divmod64(&v, base)];
    } while (v);
    while (width-- > n)
        video_putc(pad);
    while (n)
        video_putc(buf[--n]);
}

void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            if (*fmt == '\n')
                video_putc('\r');
            video_putc(*fmt);
            continue;
        }
        char pad = ' ';
        int width = 0, lng = 0;
        fmt++;
        if (*fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            lng++, fmt++;
        u64 v;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = strlen(s);
            while (width-- > len)
                video_putc(' ');
            while (*s)
                video_putc(*s++);
            break;
        }
        case 'c':
            video_putc(va_arg(ap, int));
            break;
        case 'd': {
            s32 x = lng >= 2 ? (s32)va_arg(ap, long long) : va_arg(ap, int);
            if (x < 0) {
                video_putc('-');
                x = -x;
            }
            put_num((u32)x, 10, width, pad, 0);
            break;
        }
        case 'u': case 'x': case 'X': case 'p':
            if (*fmt == 'p') {
                v = (uintptr_t)va_arg(ap, void *);
            } else if (lng >= 2) {
                v = va_arg(ap, unsigned long long);
            } else {
                v = va_arg(ap, unsigned int);
            }
            put_num(v, *fmt == 'u' ? 10 : 16, width, pad, *fmt == 'X');
            break;
        case '%':
            video_putc('%');
            break;
        default:
            video_putc('?');
            break;
        }
    }
    va_end(ap);
}
