/*
 * E820 map editing (see e820.h): later additions override earlier ones, as
 * the BIOS reserves its own areas on top of the machine's RAM list.
 */
#include "e820.h"

int e820_add(struct e820_table *t, u64 start, u64 size, u32 type)
{
    struct e820_table out;
    u64 end = start + size;
    if (size == 0)
        return 0;
    if (end < start)
        end = ~0ull;
    out.n = 0;
    int placed = type == E820_HOLE;
    for (int i = 0; i < t->n; i++) {
        struct e820_entry e = t->e[i];
        u64 e_end = e.start + e.size;
        struct e820_entry parts[3];
        int np = 0;
        if (e_end <= start || e.start >= end) {
            parts[np++] = e;
        } else {
            if (e.start < start)
                parts[np++] = (struct e820_entry){ e.start, start - e.start, e.type };
            if (e_end > end)
                parts[np++] = (struct e820_entry){ end, e_end - end, e.type };
        }
        for (int p = 0; p < np; p++) {
            if (!placed && parts[p].start >= end) {
                if (out.n >= E820_MAX)
                    return -1;
                out.e[out.n++] = (struct e820_entry){ start, end - start, type };
                placed = 1;
            }
            if (out.n >= E820_MAX)
                return -1;
            out.e[out.n++] = parts[p];
        }
    }
    if (!placed) {
        if (out.n >= E820_MAX)
            return -1;
        out.e[out.n++] = (struct e820_entry){ start, end - start, type };
    }
    /* Merge touching neighbours of one type. */
    int n = 0;
    for (int i = 0; i < out.n; i++) {
        if (n && out.e[n - 1].type == out.e[i].type &&
            out.e[n - 1].start + out.e[n - 1].size == out.e[i].start)
            out.e[n - 1].size += out.e[i].size;
        else
            out.e[n++] = out.e[i];
    }
    out.n = n;
    *t = out;
    return 0;
}

u64 e820_ram_end(const struct e820_table *t, u64 addr)
{
    for (int i = 0; i < t->n; i++)
        if (t->e[i].type == E820_RAM && t->e[i].start <= addr && addr < t->e[i].start + t->e[i].size)
            return t->e[i].start + t->e[i].size;
    return 0;
}
