/*
 * 64-bit division helpers that gcc -m32 calls for u64 '/' and '%'
 * (normally from libgcc, which a freestanding image does not link).
 * Plain shift-and-subtract: only POST-time and rare paths divide u64.
 */
#include "types.h"

u64 __udivdi3(u64 n, u64 d);
u64 __umoddi3(u64 n, u64 d);

static u64 udivmod(u64 n, u64 d, u64 *rem)
{
    u64 q = 0, r = 0;
    if (d == 0) {
        *rem = 0;
        return ~0ull;
    }
    for (int i = 63; i >= 0; i--) {
        r = r << 1 | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    *rem = r;
    return q;
}

u64 __udivdi3(u64 n, u64 d) { u64 r; return udivmod(n, d, &r); }
u64 __umoddi3(u64 n, u64 d) { u64 r; udivmod(n, d, &r); return r; }
