/*
 * The softmmu's C side (shared/TCG.md "Guest memory"): per vCPU and mmu
 * index a direct-mapped TLB (256 entries, doubled up to 4096 at a flush
 * when the last period filled most of it, or at once when it keeps missing
 * without flushes, halved after a long quiet window)
 * plus an 8-entry victim TLB; fills through frontend->tlb_fill and the
 * machine's flat memory view; the slow path (misses, MMIO under the machine
 * lock, page-crossing splits, misaligned MO_ALIGN, stores to pages holding
 * code); code fetch for frontends; physical accesses for page walks.
 * Left out: watchpoints (TLB_WATCH is never set), big-endian fast paths.
 */
#include <stdlib.h>
#include <string.h>

#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"
#include "softmmu.h"
#include "tb_internal.h"

#define TLB_VICTIM_SIZE 8
#define TLB_EMPTY ((uint64_t)-1)
/* Flushes in a window after which a mostly idle table is halved. */
#define TLB_SHRINK_WINDOW 64
/* Fills since the last flush, in table sizes, after which the table grows
 * without waiting for a flush. */
#define TLB_GROW_FILLS 2

enum { BACK_NONE = 0, BACK_RAM, BACK_ROM, BACK_MMIO };

/* What the C side keeps per entry beside the fast-path tags. */
typedef struct TLBFull {
    uint64_t phys;        /* physical page */
    uint8_t kind;         /* BACK_* */
    bool global;
    bool listed;          /* table entries: the index is in TLBDesc.used */
} TLBFull;

typedef struct TLBDesc {
    TLBFull *full;        /* parallel to tlb_fast[mmu].table */
    TCGTLBEntry victim[TLB_VICTIM_SIZE];
    TLBFull victim_full[TLB_VICTIM_SIZE];
    unsigned victim_next;
    uint64_t large_addr, large_mask;   /* region holding large pages; addr -1: none */
    unsigned fills, window_max, window_flushes;
    /* Indexes of the table entries filled since the last flush, so a flush
     * (a CR3 write per system call under page-table isolation) costs what
     * was used, not the table size. Unless used_overflow, every non-empty
     * table entry is listed; past used_cap a flush clears everything. */
    uint16_t *used;
    unsigned n_used, used_cap;
    bool used_overflow;
} TLBDesc;

/* Last flat-view range a lookup found (saves the machine lock on fills). */
typedef struct BackingCache {
    uint64_t start, end;
    uint8_t *host;        /* RAM/ROM: host address of start */
    uint8_t kind;
    unsigned gen;
    bool valid;
} BackingCache;

struct TCGTLBState {
    TLBDesc d[TCG_MAX_MMU_IDX];
    unsigned nb_mmu;
    unsigned map_gen_seen;
    BackingCache backing;
};

static unsigned map_gen;   /* atomic: bumped on every memory map change */

static inline unsigned tlb_entries(const TCGTLBFast *f)
{
    return (unsigned)(f->mask >> TCG_TLB_ENTRY_BITS) + 1;
}

static inline size_t tlb_index(const TCGTLBFast *f, uint64_t vaddr)
{
    return (size_t)((vaddr >> TCG_PAGE_BITS) & (f->mask >> TCG_TLB_ENTRY_BITS));
}

static inline uint64_t tag_of(const TCGTLBEntry *te, TCGAccess access)
{
    return access == TCG_ACCESS_LOAD ? te->addr_read :
           access == TCG_ACCESS_STORE ? te->addr_write : te->addr_code;
}

static inline bool tag_hit(uint64_t tag, uint64_t page)
{
    return (tag & (TCG_PAGE_MASK | TLB_INVALID)) == page;
}

static bool entry_maps(const TCGTLBEntry *te, uint64_t page)
{
    return tag_hit(te->addr_read, page) || tag_hit(te->addr_write, page) ||
           tag_hit(te->addr_code, page);
}

static bool entry_used(const TCGTLBEntry *te)
{
    return te->addr_read != TLB_EMPTY || te->addr_write != TLB_EMPTY ||
           te->addr_code != TLB_EMPTY;
}

static void entry_clear(TCGTLBEntry *te, TLBFull *tf)
{
    te->addr_read = te->addr_write = te->addr_code = TLB_EMPTY;
    te->addend = 0;
    memset(tf, 0, sizeof(*tf));
}

/* Listed entries at most, as a share of the table: past it a memset of
 * the whole table is about as fast as clearing entries one by one. */
#define TLB_USED_SHARE 8
#define TLB_USED_MIN 64
_Static_assert(TCG_TLB_MAX_ENTRIES <= 65536, "TLBDesc.used holds 16-bit indexes");

static void tlb_alloc(CPUState *cpu, unsigned mmu, unsigned n)
{
    TCGTLBFast *f = &cpu->tlb_fast[mmu];
    TLBDesc *d = &cpu->tlb->d[mmu];
    unsigned cap = n / TLB_USED_SHARE > TLB_USED_MIN ? n / TLB_USED_SHARE : TLB_USED_MIN;
    if (cap > n)
        cap = n;
    free(f->table);
    free(d->full);
    free(d->used);
    f->table = malloc(n * sizeof(*f->table));
    d->full = calloc(n, sizeof(*d->full));
    d->used = malloc(cap * sizeof(*d->used));
    if (!f->table || !d->full || !d->used)
        fatal("tcg: out of memory");
    memset(f->table, 0xff, n * sizeof(*f->table));
    f->mask = (uintptr_t)(n - 1) << TCG_TLB_ENTRY_BITS;
    d->used_cap = cap;
    d->n_used = 0;
    d->used_overflow = false;
}

/* Table entry idx was just filled. */
static void used_note(TLBDesc *d, size_t idx)
{
    if (d->full[idx].listed)
        return;
    if (d->n_used < d->used_cap) {
        d->used[d->n_used++] = (uint16_t)idx;
        d->full[idx].listed = true;
    } else {
        d->used_overflow = true;
    }
}

/* Empty table entry idx; it stays listed (a later fill needs no new slot). */
static void table_clear(TCGTLBFast *f, TLBDesc *d, size_t idx)
{
    bool listed = d->full[idx].listed;
    entry_clear(&f->table[idx], &d->full[idx]);
    d->full[idx].listed = listed;
}

/* Empty the table, keeping global entries if keep_global. */
static void table_flush(TCGTLBFast *f, TLBDesc *d, bool keep_global)
{
    unsigned n = tlb_entries(f);
    if (d->used_overflow) {
        d->n_used = 0;
        d->used_overflow = false;
        if (!keep_global) {
            memset(f->table, 0xff, n * sizeof(*f->table));
            memset(d->full, 0, n * sizeof(*d->full));
            return;
        }
        for (unsigned j = 0; j < n; j++) {
            d->full[j].listed = false;
            if (d->full[j].global)
                used_note(d, j);
            else
                entry_clear(&f->table[j], &d->full[j]);
        }
        return;
    }
    unsigned k = 0;
    for (unsigned i = 0; i < d->n_used; i++) {
        unsigned j = d->used[i];
        if (keep_global && d->full[j].global) {
            d->used[k++] = (uint16_t)j;
        } else {
            entry_clear(&f->table[j], &d->full[j]);
        }
    }
    d->n_used = k;
}

void tcg_tlb_init(CPUState *cpu)
{
    TCGTLBState *ts = calloc(1, sizeof(*ts));
    if (!ts)
        fatal("tcg: out of memory");
    cpu->tlb = ts;
    ts->nb_mmu = cpu->frontend->nb_mmu_idx;
    ts->map_gen_seen = __atomic_load_n(&map_gen, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < ts->nb_mmu; i++) {
        tlb_alloc(cpu, i, TCG_TLB_MIN_ENTRIES);
        TLBDesc *d = &ts->d[i];
        for (unsigned v = 0; v < TLB_VICTIM_SIZE; v++)
            entry_clear(&d->victim[v], &d->victim_full[v]);
        d->large_addr = TLB_EMPTY;
    }
}

void tcg_tlb_destroy(CPUState *cpu)
{
    if (!cpu->tlb)
        return;
    for (unsigned i = 0; i < cpu->tlb->nb_mmu; i++) {
        free(cpu->tlb_fast[i].table);
        free(cpu->tlb->d[i].full);
        free(cpu->tlb->d[i].used);
        cpu->tlb_fast[i].table = NULL;
        cpu->tlb_fast[i].mask = 0;
    }
    free(cpu->tlb);
    cpu->tlb = NULL;
}

/* ---- flushes ---- */

/* Pick the size for the next period from how full the last one got. */
static unsigned tlb_new_size(TLBDesc *d, unsigned n)
{
    unsigned fills = d->fills;
    if (fills > d->window_max)
        d->window_max = fills;
    d->window_flushes++;
    unsigned want = n;
    while (fills > want / 4 * 3 && want < TCG_TLB_MAX_ENTRIES)
        want *= 2;
    if (want != n)
        return want;
    if (d->window_flushes >= TLB_SHRINK_WINDOW) {
        if (d->window_max < n / 4 && n > TCG_TLB_MIN_ENTRIES)
            want = n / 2;
        d->window_max = 0;
        d->window_flushes = 0;
    }
    return want;
}

/* A resize drops global entries too (dropping entries is always allowed). */
static void tlb_flush_one(CPUState *cpu, unsigned mmu, bool resize, bool keep_global)
{
    TCGTLBFast *f = &cpu->tlb_fast[mmu];
    TLBDesc *d = &cpu->tlb->d[mmu];
    unsigned n = tlb_entries(f);
    unsigned want = resize ? tlb_new_size(d, n) : n;
    if (want != n) {
        tlb_alloc(cpu, mmu, want);
        TCG_STAT_INC(tlb_resizes);
        keep_global = false;
    } else {
        table_flush(f, d, keep_global);
    }
    for (unsigned v = 0; v < TLB_VICTIM_SIZE; v++) {
        if (!keep_global || !d->victim_full[v].global)
            entry_clear(&d->victim[v], &d->victim_full[v]);
    }
    /* Kept entries may be pieces of a large page: the region stays. */
    if (!keep_global)
        d->large_addr = TLB_EMPTY;
    d->fills = 0;
    TCG_STAT_INC(tlb_flushes);
}

void tlb_flush_mmu(CPUState *cpu, unsigned mmu_idx_mask)
{
    for (unsigned i = 0; i < cpu->tlb->nb_mmu; i++) {
        if (mmu_idx_mask & (1u << i))
            tlb_flush_one(cpu, i, true, false);
    }
    tb_jc_clear_all(cpu);
    tb_unlink_xpage();
}

void tlb_flush_all(CPUState *cpu)
{
    tlb_flush_mmu(cpu, ~0u);
}

/* A period between flushes as any other for the resize policy. */
void tlb_flush_nonglobal(CPUState *cpu)
{
    for (unsigned i = 0; i < cpu->tlb->nb_mmu; i++)
        tlb_flush_one(cpu, i, true, true);
    tb_jc_clear_all(cpu);
    tb_unlink_xpage();
}

void tlb_flush_page(CPUState *cpu, uint64_t vaddr)
{
    uint64_t page = vaddr & TCG_PAGE_MASK;
    for (unsigned i = 0; i < cpu->tlb->nb_mmu; i++) {
        TCGTLBFast *f = &cpu->tlb_fast[i];
        TLBDesc *d = &cpu->tlb->d[i];
        if (d->large_addr != TLB_EMPTY && (page & d->large_mask) == d->large_addr) {
            /* Inside a large page: its 4 KiB pieces may be anywhere. */
            tlb_flush_one(cpu, i, false, false);
            continue;
        }
        size_t idx = tlb_index(f, page);
        if (entry_maps(&f->table[idx], page))
            table_clear(f, d, idx);
        for (unsigned v = 0; v < TLB_VICTIM_SIZE; v++) {
            if (entry_maps(&d->victim[v], page))
                entry_clear(&d->victim[v], &d->victim_full[v]);
        }
    }
    tb_jc_clear_page(cpu, vaddr);
    tb_unlink_xpage();
}

/* ---- fills ---- */

/* What backs physical address phys: kind, host pointer (RAM/ROM) and how
 * many bytes from phys the same backing covers. */
static uint8_t backing_lookup(CPUState *cpu, uint64_t phys, uint8_t **host, uint64_t *avail)
{
    BackingCache *c = &cpu->tlb->backing;
    unsigned g = __atomic_load_n(&map_gen, __ATOMIC_ACQUIRE);
    if (!(c->valid && c->gen == g && phys >= c->start && phys < c->end)) {
        c->valid = false;
        machine_lock();
        const FlatRange *fr = address_space_lookup(cpu->machine->mem, phys);
        if (fr) {
            MemoryRegion *mr = fr->mr;
            c->start = fr->start;
            c->end = fr->end;
            c->kind = mr->kind == MR_RAM ? BACK_RAM : mr->kind == MR_ROM ? BACK_ROM : BACK_MMIO;
            c->host = c->kind == BACK_MMIO ? NULL : mr->host + fr->offset;
            c->gen = g;
            c->valid = true;
        }
        machine_unlock();
        if (!fr) {
            *host = NULL;
            *avail = 0;
            return BACK_NONE;
        }
    }
    *host = c->host ? c->host + (phys - c->start) : NULL;
    *avail = c->end - phys;
    return c->kind;
}

static void tlb_note_large_page(TLBDesc *d, uint64_t vaddr, uint64_t size)
{
    uint64_t mask = ~(size - 1);
    if (d->large_addr == TLB_EMPTY) {
        d->large_addr = vaddr & mask;
        d->large_mask = mask;
        return;
    }
    mask &= d->large_mask;
    while (((d->large_addr ^ vaddr) & mask) != 0)
        mask <<= 1;
    d->large_addr &= mask;
    d->large_mask = mask;
}

static void tlb_install(CPUState *cpu, unsigned mmu, uint64_t vaddr, const TCGPageResult *r)
{
    TCGTLBFast *f = &cpu->tlb_fast[mmu];
    TLBDesc *d = &cpu->tlb->d[mmu];
    uint64_t page = vaddr & TCG_PAGE_MASK;
    uint64_t phys = r->phys & TCG_PAGE_MASK;
    uint8_t *host;
    uint64_t avail;
    uint8_t kind = backing_lookup(cpu, phys, &host, &avail);
    if ((kind == BACK_RAM || kind == BACK_ROM) && avail < TCG_PAGE_SIZE)
        kind = BACK_MMIO;   /* the page is shared with other backing: go byte-exact */
    bool code = kind == BACK_RAM && r->writable && tb_page_has_code(phys);
    unsigned n = tlb_entries(f);
    if (d->fills >= TLB_GROW_FILLS * n && n < TCG_TLB_MAX_ENTRIES) {
        /* Thrashing with no flush in sight (one address space that
         * touches more pages than the table holds): grow now instead of
         * waiting for a flush. Dropping entries is always allowed. */
        tlb_alloc(cpu, mmu, n * 2);
        for (unsigned v = 0; v < TLB_VICTIM_SIZE; v++)
            entry_clear(&d->victim[v], &d->victim_full[v]);
        d->large_addr = TLB_EMPTY;
        d->fills = 0;
        TCG_STAT_INC(tlb_resizes);
    }
    if (r->page_size > TCG_PAGE_SIZE)
        tlb_note_large_page(d, vaddr, r->page_size);

    size_t idx = tlb_index(f, vaddr);
    TCGTLBEntry *te = &f->table[idx];
    if (entry_used(te) && !entry_maps(te, page)) {
        unsigned v = d->victim_next++ % TLB_VICTIM_SIZE;
        d->victim[v] = *te;
        d->victim_full[v] = d->full[idx];
    }
    uint64_t io = (kind == BACK_RAM || kind == BACK_ROM) ? 0 : TLB_MMIO;
    TCGTLBEntry ne;
    ne.addr_read = r->readable ? page | io : TLB_EMPTY;
    ne.addr_code = r->executable ? page | io : TLB_EMPTY;
    ne.addr_write = !r->writable ? TLB_EMPTY :
                    kind != BACK_RAM ? page | TLB_MMIO : page | (code ? TLB_NOTDIRTY : 0);
    ne.addend = host ? (uintptr_t)host - (uintptr_t)page : 0;
    *te = ne;
    d->full[idx] = (TLBFull){ .phys = phys, .kind = kind, .global = r->global,
                              .listed = d->full[idx].listed };
    used_note(d, idx);
    d->fills++;
}

static bool victim_hit(CPUState *cpu, unsigned mmu, size_t idx, uint64_t page, TCGAccess access)
{
    TCGTLBFast *f = &cpu->tlb_fast[mmu];
    TLBDesc *d = &cpu->tlb->d[mmu];
    for (unsigned v = 0; v < TLB_VICTIM_SIZE; v++) {
        if (tag_hit(tag_of(&d->victim[v], access), page)) {
            TCGTLBEntry te = f->table[idx];
            TLBFull tf = d->full[idx];
            f->table[idx] = d->victim[v];
            d->full[idx] = d->victim_full[v];
            d->full[idx].listed = tf.listed;
            d->victim[v] = te;
            d->victim_full[v] = tf;
            used_note(d, idx);
            return true;
        }
    }
    return false;
}

static const char *const access_names[] = { "load", "store", "fetch" };

/* The entry that allows `access` at addr, filling it on a miss (raising a
 * fault unless probe: then NULL). */
static TCGTLBEntry *tlb_lookup(CPUState *cpu, uint64_t addr, TCGAccess access, unsigned mmu,
                               uintptr_t retaddr, bool probe, TLBFull **pfull)
{
    if (mmu >= cpu->tlb->nb_mmu)
        fatal("tcg: frontend %s used mmu index %u of %u", cpu->frontend->name, mmu,
              cpu->tlb->nb_mmu);
    TCGTLBFast *f = &cpu->tlb_fast[mmu];
    uint64_t page = addr & TCG_PAGE_MASK;
    size_t idx = tlb_index(f, addr);
    if (!tag_hit(tag_of(&f->table[idx], access), page)) {
        if (victim_hit(cpu, mmu, idx, page, access)) {
            TCG_STAT_INC(victim_hits);
        } else {
            TCGPageResult r = { 0 };
            TCG_STAT_INC(tlb_fills);
            if (access == TCG_ACCESS_FETCH)
                TCG_STAT_INC(code_fills);
            if (!cpu->frontend->tlb_fill(cpu, addr, access, mmu, probe, retaddr, &r)) {
                if (probe)
                    return NULL;
                fatal("tcg: frontend %s: tlb_fill failed without raising (%s at 0x%llx)",
                      cpu->frontend->name, access_names[access], (unsigned long long)addr);
            }
            tlb_install(cpu, mmu, addr, &r);
            idx = tlb_index(f, addr);
            if (!tag_hit(tag_of(&f->table[idx], access), page)) {
                if (probe)
                    return NULL;
                fatal("tcg: frontend %s: tlb_fill allowed no %s at 0x%llx",
                      cpu->frontend->name, access_names[access], (unsigned long long)addr);
            }
        }
    }
    if (pfull)
        *pfull = &cpu->tlb->d[mmu].full[idx];
    return &f->table[idx];
}

/* A block was translated on a page that held none: every RAM write entry
 * for it must now take the slow path, in every vCPU. */
static void mark_entry(TCGTLBEntry *te, const TLBFull *tf, uint64_t phys_page)
{
    uint64_t w = te->addr_write;
    if (tf->phys == phys_page && tf->kind == BACK_RAM && w != TLB_EMPTY &&
        !(w & (TLB_MMIO | TLB_INVALID)))
        __atomic_store_n(&te->addr_write, w | TLB_NOTDIRTY, __ATOMIC_RELAXED);
}

void tlb_mark_code_page_locked(uint64_t phys_page)
{
    for (int c = 0; c < tb_cpu_count_locked(); c++) {
        CPUState *cpu = tb_cpu_at_locked(c);
        if (!cpu->tlb)
            continue;
        for (unsigned i = 0; i < cpu->tlb->nb_mmu; i++) {
            TCGTLBFast *f = &cpu->tlb_fast[i];
            TLBDesc *d = &cpu->tlb->d[i];
            if (d->used_overflow) {
                unsigned n = tlb_entries(f);
                for (unsigned j = 0; j < n; j++)
                    mark_entry(&f->table[j], &d->full[j], phys_page);
            } else {
                for (unsigned k = 0; k < d->n_used; k++)
                    mark_entry(&f->table[d->used[k]], &d->full[d->used[k]], phys_page);
            }
            for (unsigned v = 0; v < TLB_VICTIM_SIZE; v++)
                mark_entry(&d->victim[v], &d->victim_full[v], phys_page);
        }
    }
}

/* ---- the slow path ---- */

static inline uint64_t host_load(const void *p, unsigned n)
{
    uint64_t v = 0;
    memcpy(&v, p, n);     /* little-endian host */
    return v;
}

static inline void host_store(void *p, uint64_t v, unsigned n)
{
    memcpy(p, &v, n);
}

static uint64_t bswap_n(uint64_t v, unsigned size)
{
    switch (size) {
    case 2: return __builtin_bswap16((uint16_t)v);
    case 4: return __builtin_bswap32((uint32_t)v);
    case 8: return __builtin_bswap64(v);
    default: return v;
    }
}

static bool is_pow2_size(unsigned n)
{
    return n == 1 || n == 2 || n == 4 || n == 8;
}

static uint64_t io_read(CPUState *cpu, uint64_t phys, unsigned n)
{
    uint64_t v = 0;
    AddressSpace *as = cpu->machine->mem;
    machine_lock();
    if (is_pow2_size(n)) {
        as_read(as, phys, n, &v);
    } else {
        for (unsigned i = 0; i < n; i++) {
            uint64_t b;
            as_read(as, phys + i, 1, &b);
            v |= (b & 0xff) << (8 * i);
        }
    }
    machine_unlock();
    return v;
}

static void io_write(CPUState *cpu, uint64_t phys, uint64_t v, unsigned n)
{
    AddressSpace *as = cpu->machine->mem;
    machine_lock();
    if (is_pow2_size(n)) {
        as_write(as, phys, n, v);
    } else {
        for (unsigned i = 0; i < n; i++)
            as_write(as, phys + i, 1, (v >> (8 * i)) & 0xff);
    }
    machine_unlock();
}

static void check_alignment(CPUState *cpu, uint64_t addr, TCGMemOp memop, TCGAccess access,
                            unsigned mmu, uintptr_t retaddr)
{
    unsigned size = 1u << (memop & MO_SIZE);
    if ((memop & MO_ALIGN) && (addr & (size - 1))) {
        TCG_STAT_INC(unaligned);
        if (cpu->frontend->do_unaligned_access)
            cpu->frontend->do_unaligned_access(cpu, addr, access, mmu, retaddr);
    }
}

/* n bytes (1..8) within one page. */
static uint64_t load_part(CPUState *cpu, uint64_t addr, unsigned n, TCGAccess access,
                          unsigned mmu, uintptr_t retaddr)
{
    TLBFull *tf;
    TCGTLBEntry *te = tlb_lookup(cpu, addr, access, mmu, retaddr, false, &tf);
    if (tag_of(te, access) & TLB_MMIO) {
        TCG_STAT_INC(mmio_reads);
        return io_read(cpu, tf->phys | (addr & ~TCG_PAGE_MASK), n);
    }
    return host_load((void *)(uintptr_t)(addr + te->addend), n);
}

static uint64_t load_slow(CPUState *cpu, uint64_t addr, TCGMemOp memop, unsigned mmu,
                          uintptr_t retaddr)
{
    unsigned size = 1u << (memop & MO_SIZE);
    TCG_STAT_INC(slow_load);
    check_alignment(cpu, addr, memop, TCG_ACCESS_LOAD, mmu, retaddr);
    uint64_t off = addr & ~TCG_PAGE_MASK;
    if (off + size <= TCG_PAGE_SIZE)
        return load_part(cpu, addr, size, TCG_ACCESS_LOAD, mmu, retaddr);
    /* Split at the page boundary; both pages are checked before either is
     * read, so a fault on the second has no device side effects. */
    TCG_STAT_INC(page_cross);
    unsigned n1 = (unsigned)(TCG_PAGE_SIZE - off);
    tlb_lookup(cpu, addr, TCG_ACCESS_LOAD, mmu, retaddr, false, NULL);
    tlb_lookup(cpu, addr + n1, TCG_ACCESS_LOAD, mmu, retaddr, false, NULL);
    uint64_t lo = load_part(cpu, addr, n1, TCG_ACCESS_LOAD, mmu, retaddr);
    uint64_t hi = load_part(cpu, addr + n1, size - n1, TCG_ACCESS_LOAD, mmu, retaddr);
    return lo | hi << (8 * n1);
}

static uint64_t softmmu_load(void *env, uint64_t addr, TCGMemOp memop, unsigned mmu,
                             uintptr_t retaddr)
{
    CPUState *cpu = env;
    unsigned size = 1u << (memop & MO_SIZE);
    uint64_t v;
    TCGTLBFast *f = &cpu->tlb_fast[mmu & (TCG_MAX_MMU_IDX - 1)];
    const TCGTLBEntry *te = f->table ? &f->table[tlb_index(f, addr)] : NULL;
    if (te && te->addr_read == (addr & TCG_PAGE_MASK) &&
        (addr & ~TCG_PAGE_MASK) + size <= TCG_PAGE_SIZE &&
        !((memop & MO_ALIGN) && (addr & (size - 1)))) {
        v = host_load((void *)(uintptr_t)(addr + te->addend), size);
    } else {
        v = load_slow(cpu, addr, memop, mmu, retaddr);
    }
    if (memop & MO_BE)
        v = bswap_n(v, size);
    if ((memop & MO_SIGN) && size < 8) {
        unsigned sh = 64 - 8 * size;
        v = (uint64_t)((int64_t)(v << sh) >> sh);
    }
    return v;
}

/* A store to a page holding translated code: drop the blocks it
 * overwrites. If that includes the block doing the store, the store has not
 * happened yet: restart its instruction alone (a one-instruction block runs
 * to its end whatever it writes), so the instructions after it are
 * translated again from the new bytes. */
static void notdirty_write(CPUState *cpu, TCGTLBEntry *te, const TLBFull *tf, uint64_t addr,
                           unsigned n, uintptr_t retaddr)
{
    TCG_STAT_INC(notdirty_writes);
    uint64_t phys = tf->phys | (addr & ~TCG_PAGE_MASK);
    TranslationBlock *cur = retaddr ? tb_find_by_host_pc(retaddr) : NULL;
    bool empty;
    tb_lock();
    bool hit = tb_invalidate_phys_range_locked(phys, phys + n, cur, &empty);
    if (empty)
        __atomic_fetch_and(&te->addr_write, ~(uint64_t)TLB_NOTDIRTY, __ATOMIC_RELAXED);
    tb_unlock();
    if (hit && !(cur->cflags & TB_CFLAG_SINGLE_INSN)) {
        TCG_STAT_INC(smc_restarts);
        cpu_restore_state_from_tb(cpu, cur, retaddr);
        cpu->cflags_next_tb = cur->cflags | TB_CFLAG_SINGLE_INSN;
        cpu_loop_exit(cpu);
    }
}

/* Check and prepare a store of n bytes within one page (may fault or restart). */
static void store_prepare(CPUState *cpu, uint64_t addr, unsigned n, unsigned mmu,
                          uintptr_t retaddr)
{
    TLBFull *tf;
    TCGTLBEntry *te = tlb_lookup(cpu, addr, TCG_ACCESS_STORE, mmu, retaddr, false, &tf);
    if ((te->addr_write & (TLB_NOTDIRTY | TLB_MMIO)) == TLB_NOTDIRTY)
        notdirty_write(cpu, te, tf, addr, n, retaddr);
}

static void store_part(CPUState *cpu, uint64_t addr, uint64_t v, unsigned n, unsigned mmu,
                       uintptr_t retaddr)
{
    TLBFull *tf;
    TCGTLBEntry *te = tlb_lookup(cpu, addr, TCG_ACCESS_STORE, mmu, retaddr, false, &tf);
    if (te->addr_write & TLB_MMIO) {
        TCG_STAT_INC(mmio_writes);
        io_write(cpu, tf->phys | (addr & ~TCG_PAGE_MASK), v, n);
        return;
    }
    if (te->addr_write & TLB_NOTDIRTY) {
        notdirty_write(cpu, te, tf, addr, n, retaddr);
        te = tlb_lookup(cpu, addr, TCG_ACCESS_STORE, mmu, retaddr, false, &tf);
    }
    host_store((void *)(uintptr_t)(addr + te->addend), v, n);
}

static void store_slow(CPUState *cpu, uint64_t addr, uint64_t v, TCGMemOp memop, unsigned mmu,
                       uintptr_t retaddr)
{
    unsigned size = 1u << (memop & MO_SIZE);
    TCG_STAT_INC(slow_store);
    check_alignment(cpu, addr, memop, TCG_ACCESS_STORE, mmu, retaddr);
    uint64_t off = addr & ~TCG_PAGE_MASK;
    if (off + size <= TCG_PAGE_SIZE) {
        store_part(cpu, addr, v, size, mmu, retaddr);
        return;
    }
    /* Both halves are checked (faults, code invalidation) before either
     * is written: a fault or restart leaves memory untouched. */
    TCG_STAT_INC(page_cross);
    unsigned n1 = (unsigned)(TCG_PAGE_SIZE - off);
    store_prepare(cpu, addr, n1, mmu, retaddr);
    store_prepare(cpu, addr + n1, size - n1, mmu, retaddr);
    store_part(cpu, addr, v, n1, mmu, retaddr);
    store_part(cpu, addr + n1, v >> (8 * n1), size - n1, mmu, retaddr);
}

static void softmmu_store(void *env, uint64_t addr, uint64_t v, TCGMemOp memop, unsigned mmu,
                          uintptr_t retaddr)
{
    CPUState *cpu = env;
    unsigned size = 1u << (memop & MO_SIZE);
    if (memop & MO_BE)
        v = bswap_n(v, size);
    TCGTLBFast *f = &cpu->tlb_fast[mmu & (TCG_MAX_MMU_IDX - 1)];
    const TCGTLBEntry *te = f->table ? &f->table[tlb_index(f, addr)] : NULL;
    if (te && te->addr_write == (addr & TCG_PAGE_MASK) &&
        (addr & ~TCG_PAGE_MASK) + size <= TCG_PAGE_SIZE &&
        !((memop & MO_ALIGN) && (addr & (size - 1)))) {
        host_store((void *)(uintptr_t)(addr + te->addend), v, size);
        return;
    }
    store_slow(cpu, addr, v, memop, mmu, retaddr);
}

const TCGGuestMemoryOps tcg_softmmu_ops = {
    .load = softmmu_load,
    .store = softmmu_store,
};

uint64_t tcg_mem_load(CPUState *cpu, uint64_t vaddr, TCGMemOp memop, unsigned mmu_idx,
                      uintptr_t retaddr)
{
    return softmmu_load(cpu, vaddr, memop, mmu_idx, retaddr);
}

void tcg_mem_store(CPUState *cpu, uint64_t vaddr, uint64_t value, TCGMemOp memop,
                   unsigned mmu_idx, uintptr_t retaddr)
{
    softmmu_store(cpu, vaddr, value, memop, mmu_idx, retaddr);
}

void *tcg_mem_host_ptr(CPUState *cpu, uint64_t vaddr, unsigned size, TCGAccess access,
                       unsigned mmu_idx, bool probe, uintptr_t retaddr)
{
    if (size == 0 || (vaddr & ~TCG_PAGE_MASK) + size > TCG_PAGE_SIZE)
        return NULL;
    TLBFull *tf;
    TCGTLBEntry *te = tlb_lookup(cpu, vaddr, access, mmu_idx, retaddr, probe, &tf);
    if (!te || (tag_of(te, access) & TLB_MMIO))
        return NULL;
    if (access == TCG_ACCESS_STORE && (te->addr_write & TLB_NOTDIRTY))
        notdirty_write(cpu, te, tf, vaddr, size, retaddr);
    return (void *)(uintptr_t)(vaddr + te->addend);
}

/* ---- code fetch ---- */

static void record_code_page(TBTranslateState *ts, uint64_t vaddr, uint64_t phys_page)
{
    uint64_t vpage = vaddr & TCG_PAGE_MASK;
    if (vpage == ts->page_vaddr[0] || vpage == ts->page_vaddr[1])
        return;
    if (ts->page_vaddr[1] != (uint64_t)-1)
        fatal("tcg: frontend %s fetched block 0x%llx's code from a third page (0x%llx)",
              ts->cpu->frontend->name, (unsigned long long)ts->tb->pc,
              (unsigned long long)vaddr);
    ts->page_vaddr[1] = vpage;
    ts->tb->phys_page2 = phys_page;
}

uint8_t tcg_code_ldub(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx)
{
    TLBFull *tf;
    TCGTLBEntry *te = tlb_lookup(cpu, vaddr, TCG_ACCESS_FETCH, mmu_idx, 0, false, &tf);
    TBTranslateState *ts = tb_translating;
    if (ts && ts->cpu == cpu)
        record_code_page(ts, vaddr, tf->phys);
    if (te->addr_code & TLB_MMIO)
        return (uint8_t)io_read(cpu, tf->phys | (vaddr & ~TCG_PAGE_MASK), 1);
    return *(const uint8_t *)(uintptr_t)(vaddr + te->addend);
}

bool tcg_code_fetch_probe(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx)
{
    return tlb_lookup(cpu, vaddr, TCG_ACCESS_FETCH, mmu_idx, 0, true, NULL) != NULL;
}

bool tcg_code_phys_addr(CPUState *cpu, uint64_t vaddr, unsigned mmu_idx, bool probe,
                        uint64_t *phys)
{
    TLBFull *tf;
    if (!tlb_lookup(cpu, vaddr, TCG_ACCESS_FETCH, mmu_idx, 0, probe, &tf))
        return false;
    *phys = tf->phys | (vaddr & ~TCG_PAGE_MASK);
    return true;
}

/* ---- physical accesses ---- */

static uint8_t *phys_ram(CPUState *cpu, uint64_t paddr, unsigned size, bool write)
{
    uint8_t *host;
    uint64_t avail;
    uint8_t kind = backing_lookup(cpu, paddr, &host, &avail);
    if (avail < size || !(kind == BACK_RAM || (kind == BACK_ROM && !write)))
        return NULL;
    return host;
}

uint64_t tcg_phys_load(CPUState *cpu, uint64_t paddr, unsigned size)
{
    uint8_t *p = phys_ram(cpu, paddr, size, false);
    if (p)
        return host_load(p, size);
    return io_read(cpu, paddr, size);
}

void tcg_phys_store(CPUState *cpu, uint64_t paddr, uint64_t value, unsigned size)
{
    uint8_t *p = phys_ram(cpu, paddr, size, true);
    if (!p) {
        io_write(cpu, paddr, value, size);
        return;
    }
    tcg_invalidate_phys_range(paddr, size);
    host_store(p, value, size);
}

bool tcg_phys_cmpxchg(CPUState *cpu, uint64_t paddr, uint64_t expected, uint64_t value,
                      unsigned size)
{
    uint8_t *p = phys_ram(cpu, paddr, size, true);
    bool ok;
    if (p && ((uintptr_t)p & (size - 1)) == 0) {
        switch (size) {
        case 4: {
            uint32_t e = (uint32_t)expected;
            ok = __atomic_compare_exchange_n((uint32_t *)p, &e, (uint32_t)value, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            break;
        }
        case 8:
            ok = __atomic_compare_exchange_n((uint64_t *)p, &expected, value, false,
                                             __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            break;
        default:
            ok = host_load(p, size) == expected;
            if (ok)
                host_store(p, value, size);
            break;
        }
    } else {
        /* Device memory or unassigned: no other writer can race the lock. */
        uint64_t mask = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1, cur = 0;
        machine_lock();
        as_read(cpu->machine->mem, paddr, size, &cur);
        ok = (cur & mask) == (expected & mask);
        if (ok)
            as_write(cpu->machine->mem, paddr, size, value);
        machine_unlock();
        return ok;
    }
    if (ok)
        tcg_invalidate_phys_range(paddr, size);
    return ok;
}

/* ---- memory map changes ---- */

/* The flat view as it was at the last change, to tell which code pages
 * changed backing (ROM shadowed by RAM, a BAR moved over code...). */
typedef struct MapSnapRange {
    uint64_t start, end;
    uint8_t kind;
    uintptr_t ident;      /* what serves `start`: host address, or region + offset */
} MapSnapRange;

static MapSnapRange *snap;   /* guarded by the machine lock */
static size_t snap_n;
static bool snap_valid;
static AddressSpace *snap_as;

static void snap_take(AddressSpace *as)
{
    size_t n;
    const FlatRange *fr = address_space_flat(as, &n);
    MapSnapRange *s = n ? malloc(n * sizeof(*s)) : NULL;
    if (n && !s)
        fatal("tcg: out of memory");
    for (size_t i = 0; i < n; i++) {
        MemoryRegion *mr = fr[i].mr;
        s[i].start = fr[i].start;
        s[i].end = fr[i].end;
        s[i].kind = mr->kind == MR_RAM ? BACK_RAM : mr->kind == MR_ROM ? BACK_ROM : BACK_MMIO;
        s[i].ident = s[i].kind == BACK_MMIO ? (uintptr_t)mr + (uintptr_t)fr[i].offset
                                            : (uintptr_t)(mr->host + fr[i].offset);
    }
    free(snap);
    snap = s;
    snap_n = n;
    snap_as = as;
    snap_valid = true;
}

static bool snap_backing(uint64_t addr, uint8_t *kind, uintptr_t *ident)
{
    size_t lo = 0, hi = snap_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (addr < snap[mid].start) {
            hi = mid;
        } else if (addr >= snap[mid].end) {
            lo = mid + 1;
        } else {
            *kind = snap[mid].kind;
            *ident = snap[mid].ident + (uintptr_t)(addr - snap[mid].start);
            return true;
        }
    }
    return false;
}

static bool now_backing(AddressSpace *as, uint64_t addr, uint8_t *kind, uintptr_t *ident)
{
    const FlatRange *fr = address_space_lookup(as, addr);
    if (!fr)
        return false;
    MemoryRegion *mr = fr->mr;
    *kind = mr->kind == MR_RAM ? BACK_RAM : mr->kind == MR_ROM ? BACK_ROM : BACK_MMIO;
    uintptr_t base = *kind == BACK_MMIO ? (uintptr_t)mr + (uintptr_t)fr->offset
                                        : (uintptr_t)(mr->host + fr->offset);
    *ident = base + (uintptr_t)(addr - fr->start);
    return true;
}

static bool page_backing_changed(uint64_t page, void *opaque)
{
    AddressSpace *as = opaque;
    if (!snap_valid || snap_as != as)
        return true;
    uint64_t probes[2] = { page, page + TCG_PAGE_SIZE - 1 };
    for (int i = 0; i < 2; i++) {
        uint8_t k0 = BACK_NONE, k1 = BACK_NONE;
        uintptr_t i0 = 0, i1 = 0;
        bool h0 = snap_backing(probes[i], &k0, &i0);
        bool h1 = now_backing(as, probes[i], &k1, &i1);
        if (h0 != h1 || k0 != k1 || i0 != i1)
            return true;
    }
    return false;
}

void tcg_memory_map_changed(Machine *m)
{
    __atomic_fetch_add(&map_gen, 1, __ATOMIC_ACQ_REL);
    TCG_STAT_INC(map_changes);
    /* Blocks whose bytes now come from elsewhere go now (safe from any
     * thread); TLBs are flushed by their own vCPU before it runs on. */
    tb_invalidate_pages_if(page_backing_changed, m->mem);
    snap_take(m->mem);
    CPUState *cur = tcg_current_cpu();
    if (cur && cur->machine == m) {
        /* A device access from this vCPU remapped memory: the rest of its
         * block must already see the new map. */
        cur->tlb->map_gen_seen = __atomic_load_n(&map_gen, __ATOMIC_ACQUIRE);
        for (unsigned i = 0; i < cur->tlb->nb_mmu; i++)
            tlb_flush_one(cur, i, false, false);
        tb_jc_clear_all(cur);
        tb_unlink_xpage();
    }
    for (int i = 0, n = tcg_cpu_count(); i < n; i++) {
        CPUState *cpu = tcg_cpu_at(i);
        if (cpu && cpu != cur && cpu->machine == m)
            cpu_kick(cpu);
    }
}

void tcg_softmmu_sync_map(CPUState *cpu)
{
    unsigned g = __atomic_load_n(&map_gen, __ATOMIC_ACQUIRE);
    if (cpu->tlb->map_gen_seen != g) {
        cpu->tlb->map_gen_seen = g;
        tlb_flush_all(cpu);
    }
}
