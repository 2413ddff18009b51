/*
 * Translation blocks: the code buffer (one large RWX mapping, bump
 * allocated, flushed whole when full), translation of one block through
 * the frontend and tcg_gen_code, the global hash table on (phys pc, pc,
 * cs_base, flags, cflags), per-physical-page block lists for invalidation
 * (self-modifying code, DMA, memory map changes) and direct-jump chaining
 * with the incoming-jump lists that let invalidation unlink. Design:
 * shared/TCG.md "Blocks, lookup and chaining"; tcg/README.md invariants.
 * Left out: W^X double mapping (Linux x86-64 allows RWX), per-thread
 * code regions for multi-threaded TCG.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mimic/log.h"
#include "softmmu.h"
#include "tb_internal.h"

/* At most this many guest instructions per block (TCG_MAX_INSNS is the IR limit). */
#define TB_MAX_INSNS 512
/* Room a block needs at least before we try to translate into the buffer. */
#define TB_MIN_ROOM 4096
#define TB_HTAB_MIN_BITS 15
#define PAGE_HTAB_MIN_BITS 12
#define TB_MAX_CPUS 256
/* Links made by tb_add_jump_xpage not yet undone by a TLB flush; more are
 * refused (the jump then goes through the exec loop, as before). */
#define TB_XPAGE_LINKS_MAX 1024

/* -perfmap (system/options.c opens /tmp/perf-<pid>.map): one line per block,
 * "host-start size guest-0xpc"; perf takes the last line for reused code. */
FILE *tcg_perfmap;

typedef struct TBFull {
    _Alignas(64) TranslationBlock tb;    /* its lookup fields in one cache line */
    TBPrivate priv;
} TBFull;

/* A physical page holding translated code. */
typedef struct PageDesc {
    uint64_t page;
    uintptr_t first;          /* tagged TB | n (n: which of the TB's pages this is) */
    struct PageDesc *next;    /* hash chain */
    uint64_t code_mask;       /* bit i: some block has bytes in 1/64th i of the page */
} PageDesc;

#define PAGE_GRANULE (TCG_PAGE_SIZE / 64)

/* The code_mask bits of [start, end) on page (physical addresses). A store
 * to bytes no block covers (data next to code: stack, variables) then
 * costs one test instead of a walk over the page's blocks. Bits are set
 * when a block is added and never cleared while the page has blocks. */
static uint64_t granule_mask(uint64_t start, uint64_t end, uint64_t page)
{
    uint64_t s = start > page ? start - page : 0;
    uint64_t e = end < page + TCG_PAGE_SIZE ? end - page : TCG_PAGE_SIZE;
    if (e <= s)
        return 0;
    unsigned a = (unsigned)(s / PAGE_GRANULE), b = (unsigned)((e - 1) / PAGE_GRANULE);
    uint64_t upto_b = b == 63 ? ~0ull : (2ull << b) - 1;
    return upto_b & ~((1ull << a) - 1);
}

static struct {
    const TCGBackend *backend;
    uint8_t *buf;             /* code buffer, written and run at the same address */
    size_t size;
    uint8_t *ptr;             /* next free byte */
    bool exec;                /* mapping is executable */
    uint32_t *htab_hash;      /* hash table: open addressing, 0 = empty slot */
    TranslationBlock **htab;  /* the block in each slot */
    unsigned htab_bits;
    size_t htab_count;
    PageDesc **ptab;
    unsigned ptab_bits;
    size_t ptab_count;
    TranslationBlock **tbs;   /* every block in the buffer, in code order */
    size_t ntbs, tbs_cap;
    uint64_t flush_gen;
    CPUState *cpus[TB_MAX_CPUS];
    int ncpus;
    /* Links into a block whose second page the source does not share
     * (tb_add_jump_xpage). An entry may be stale (the link was undone by
     * invalidation): it is undone only if src's slot still points at dst. */
    struct { TranslationBlock *src, *dst; unsigned n; } xpage[TB_XPAGE_LINKS_MAX];
    unsigned nxpage;          /* atomic: read without the lock by tb_unlink_xpage */
    CPUState *xpage_owner;    /* the vCPU whose exec loop made them (atomic) */
} st;

static pthread_mutex_t tb_mutex = PTHREAD_MUTEX_INITIALIZER;

void tb_lock(void) { pthread_mutex_lock(&tb_mutex); }
void tb_unlock(void) { pthread_mutex_unlock(&tb_mutex); }

__thread TBTranslateState *tb_translating;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p)
        fatal("tcg: out of memory");
    return p;
}

static uint8_t *align_up(uint8_t *p, uintptr_t a)
{
    return (uint8_t *)(((uintptr_t)p + a - 1) & ~(a - 1));
}

uint64_t tb_flush_generation(void)
{
    return __atomic_load_n(&st.flush_gen, __ATOMIC_ACQUIRE);
}

const TCGBackend *tcg_exec_backend(void)
{
    return st.backend;
}

/* ---- vCPU list ---- */

void tb_cpu_register(CPUState *cpu)
{
    tb_lock();
    if (st.ncpus == TB_MAX_CPUS) {
        tb_unlock();
        fatal("tcg: more than %d vCPUs", TB_MAX_CPUS);
    }
    st.cpus[st.ncpus++] = cpu;
    tb_unlock();
}

void tb_cpu_unregister(CPUState *cpu)
{
    tb_lock();
    for (int i = 0; i < st.ncpus; i++) {
        if (st.cpus[i] == cpu) {
            st.cpus[i] = st.cpus[--st.ncpus];
            break;
        }
    }
    tb_unlock();
}

int tb_cpu_count_locked(void) { return st.ncpus; }
CPUState *tb_cpu_at_locked(int i) { return i >= 0 && i < st.ncpus ? st.cpus[i] : NULL; }

int tcg_cpu_count(void)
{
    tb_lock();
    int n = st.ncpus;
    tb_unlock();
    return n;
}

CPUState *tcg_cpu_at(int i)
{
    tb_lock();
    CPUState *cpu = tb_cpu_at_locked(i);
    tb_unlock();
    return cpu;
}

/* ---- hash table ---- */

static uint32_t tb_hash(uint64_t phys_pc, uint64_t pc, uint64_t cs_base, uint32_t flags,
                        uint32_t cflags)
{
    uint64_t h = phys_pc ^ (pc * 0x9e3779b97f4a7c15ull) ^
                 ((((uint64_t)flags << 32) | cflags) * 0xc2b2ae3d27d4eb4full) ^
                 (cs_base * 0x165667b19e3779f9ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (uint32_t)h ? (uint32_t)h : 1;   /* 0 marks an empty slot */
}

/*
 * The hash table: linear probing over two parallel arrays, the hashes
 * (4 bytes a slot, sixteen to a cache line) and the blocks. A lookup reads
 * hashes and touches a block only when its hash matches, so a miss (every
 * translation) usually costs one cache line. At most half full; removal
 * moves later entries of the run back, so there are no tombstones.
 */
static size_t htab_mask(void) { return ((size_t)1 << st.htab_bits) - 1; }

static void htab_put(TranslationBlock *tb)
{
    size_t mask = htab_mask(), i = tb->hash & mask;
    while (st.htab_hash[i])
        i = (i + 1) & mask;
    st.htab_hash[i] = tb->hash;
    st.htab[i] = tb;
}

static void htab_resize(unsigned bits)
{
    uint32_t *oh = st.htab_hash;
    TranslationBlock **ot = st.htab;
    size_t old = oh ? (size_t)1 << st.htab_bits : 0;
    st.htab_hash = xcalloc((size_t)1 << bits, sizeof(*st.htab_hash));
    st.htab = xcalloc((size_t)1 << bits, sizeof(*st.htab));
    st.htab_bits = bits;
    for (size_t i = 0; i < old; i++) {
        if (oh[i])
            htab_put(ot[i]);
    }
    free(oh);
    free(ot);
}

static void htab_insert(TranslationBlock *tb)
{
    if (2 * (st.htab_count + 1) > ((size_t)1 << st.htab_bits))
        htab_resize(st.htab_bits + 1);
    htab_put(tb);
    st.htab_count++;
}

static void htab_remove(TranslationBlock *tb)
{
    size_t mask = htab_mask(), i = tb->hash & mask;
    while (st.htab_hash[i] && st.htab[i] != tb)
        i = (i + 1) & mask;
    if (!st.htab_hash[i])
        return;
    /* Close the gap: an entry further on whose home slot is not in (i, j]
     * would be cut off from it by the empty slot, so it moves into i. */
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (!st.htab_hash[j])
            break;
        size_t home = st.htab_hash[j] & mask;
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        st.htab_hash[i] = st.htab_hash[j];
        st.htab[i] = st.htab[j];
        i = j;
    }
    st.htab_hash[i] = 0;
    st.htab[i] = NULL;
    st.htab_count--;
}

/* page2: the physical page the second virtual page maps to now, or -1 if
 * it is not known (then only blocks on one page match). */
static TranslationBlock *htab_find(uint64_t phys_pc, uint64_t pc, uint64_t cs_base,
                                   uint32_t flags, uint32_t cflags, uint64_t page2,
                                   bool *need_page2)
{
    uint32_t h = tb_hash(phys_pc, pc, cs_base, flags, cflags);
    size_t mask = htab_mask();
    for (size_t i = h & mask; st.htab_hash[i]; i = (i + 1) & mask) {
        if (st.htab_hash[i] != h)
            continue;
        TranslationBlock *tb = st.htab[i];
        if (tb->phys_pc != phys_pc || tb->pc != pc || tb->cs_base != cs_base ||
            tb->flags != flags || tb->cflags != cflags)
            continue;
        if (tb->phys_page2 == (uint64_t)-1 || tb->phys_page2 == page2)
            return tb;
        *need_page2 = true;
    }
    return NULL;
}

TranslationBlock *tb_lookup(CPUState *cpu, uint64_t phys_pc, uint64_t pc, uint64_t cs_base,
                            uint32_t flags, uint32_t cflags)
{
    bool need_page2 = false;
    tb_lock();
    TranslationBlock *tb = htab_find(phys_pc, pc, cs_base, flags, cflags, (uint64_t)-1,
                                     &need_page2);
    tb_unlock();
    if (tb || !need_page2)
        return tb;
    /* A block that spans two pages is valid only while its second virtual
     * page still maps to the physical page it was translated from. */
    uint64_t vpage2 = (pc & TCG_PAGE_MASK) + TCG_PAGE_SIZE, phys2;
    unsigned mmu = cpu->frontend->code_mmu_idx ? cpu->frontend->code_mmu_idx(cpu) : 0;
    if (!tcg_code_phys_addr(cpu, vpage2, mmu, true, &phys2))
        return NULL;
    tb_lock();
    tb = htab_find(phys_pc, pc, cs_base, flags, cflags, phys2 & TCG_PAGE_MASK, &need_page2);
    tb_unlock();
    return tb;
}

/* ---- page descriptors ---- */

static size_t page_bucket(uint64_t page)
{
    uint64_t h = (page >> TCG_PAGE_BITS) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> (64 - st.ptab_bits));
}

static PageDesc *page_find(uint64_t page)
{
    for (PageDesc *pd = st.ptab[page_bucket(page)]; pd; pd = pd->next) {
        if (pd->page == page)
            return pd;
    }
    return NULL;
}

static void ptab_resize(unsigned bits)
{
    PageDesc **old = st.ptab;
    size_t oldn = old ? (size_t)1 << st.ptab_bits : 0;
    st.ptab = xcalloc((size_t)1 << bits, sizeof(*st.ptab));
    st.ptab_bits = bits;
    for (size_t i = 0; i < oldn; i++) {
        PageDesc *pd = old[i];
        while (pd) {
            PageDesc *next = pd->next;
            size_t b = page_bucket(pd->page);
            pd->next = st.ptab[b];
            st.ptab[b] = pd;
            pd = next;
        }
    }
    free(old);
}

static PageDesc *page_find_or_create(uint64_t page, bool *created)
{
    PageDesc *pd = page_find(page);
    *created = false;
    if (pd)
        return pd;
    if (st.ptab_count >= ((size_t)2 << st.ptab_bits))
        ptab_resize(st.ptab_bits + 1);
    pd = xcalloc(1, sizeof(*pd));
    pd->page = page;
    size_t b = page_bucket(page);
    pd->next = st.ptab[b];
    st.ptab[b] = pd;
    st.ptab_count++;
    *created = true;
    return pd;
}

static void page_free(PageDesc *pd)
{
    for (PageDesc **pp = &st.ptab[page_bucket(pd->page)]; *pp; pp = &(*pp)->next) {
        if (*pp == pd) {
            *pp = pd->next;
            st.ptab_count--;
            free(pd);
            return;
        }
    }
}

static void page_free_all(void)
{
    size_t n = (size_t)1 << st.ptab_bits;
    for (size_t i = 0; i < n; i++) {
        PageDesc *pd = st.ptab[i];
        while (pd) {
            PageDesc *next = pd->next;
            free(pd);
            pd = next;
        }
        st.ptab[i] = NULL;
    }
    st.ptab_count = 0;
}

static uint64_t tb_page(const TranslationBlock *tb, unsigned n)
{
    return n == 0 ? tb->phys_pc & TCG_PAGE_MASK : tb->phys_page2;
}

static void page_remove_tb(TranslationBlock *tb, unsigned n)
{
    PageDesc *pd = page_find(tb_page(tb, n));
    if (!pd)
        return;
    uintptr_t want = (uintptr_t)tb | n;
    for (uintptr_t *pp = &pd->first; *pp;) {
        TranslationBlock *t = (TranslationBlock *)(*pp & ~(uintptr_t)1);
        unsigned tn = *pp & 1;
        if (*pp == want) {
            *pp = t->priv->page_next[tn];
            break;
        }
        pp = &t->priv->page_next[tn];
    }
    if (!pd->first)
        page_free(pd);
}

bool tb_page_has_code(uint64_t phys_page)
{
    tb_lock();
    bool r = st.ptab && page_find(phys_page & TCG_PAGE_MASK) != NULL;
    tb_unlock();
    return r;
}

/* ---- chaining ---- */

static void patch_jump(TranslationBlock *tb, unsigned n, uintptr_t target)
{
    st.backend->patch_goto_tb(tb->priv->code_rw, (uintptr_t)tb->code, &tb->priv->jump[n],
                              target);
}

static bool add_jump_locked(TranslationBlock *src, unsigned n, TranslationBlock *dst)
{
    TBPrivate *sp = src->priv;
    if (!sp->jump_used[n] || sp->jmp_dest[n] || src->invalid || dst->invalid)
        return false;
    patch_jump(src, n, (uintptr_t)dst->code);
    sp->jmp_dest[n] = dst;
    sp->jmp_list_next[n] = dst->priv->jmp_list_head;
    dst->priv->jmp_list_head = (uintptr_t)src | n;
    return true;
}

void tb_add_jump(TranslationBlock *src, unsigned n, TranslationBlock *dst)
{
    if (n >= TCG_MAX_GOTO_TB)
        return;
    tb_lock();
    bool made = add_jump_locked(src, n, dst);
    tb_unlock();
    if (made)
        TCG_STAT_INC(chains_made);
}

/*
 * Such a link is right for the vCPU that made it (its lookup checked the
 * second page through its TLB) until that vCPU's next TLB flush. Another
 * vCPU may map that page elsewhere (another process: its own page tables)
 * without any flush, so the links serve one vCPU at a time: they are made
 * only while no other vCPU's links are listed, and undone before another
 * vCPU runs (tb_xpage_switch). This relies on one thread running the vCPUs
 * round robin (accel/tcg); a thread per vCPU would need this per vCPU.
 */
bool tb_add_jump_xpage(CPUState *cpu, TranslationBlock *src, unsigned n, TranslationBlock *dst)
{
    if (n >= TCG_MAX_GOTO_TB)
        return false;
    tb_lock();
    bool made = false;
    bool ours = !st.nxpage || st.xpage_owner == cpu;
    if (ours && st.nxpage < TB_XPAGE_LINKS_MAX && add_jump_locked(src, n, dst)) {
        __atomic_store_n(&st.xpage_owner, cpu, __ATOMIC_RELAXED);
        st.xpage[st.nxpage].src = src;
        st.xpage[st.nxpage].dst = dst;
        st.xpage[st.nxpage].n = n;
        __atomic_store_n(&st.nxpage, st.nxpage + 1, __ATOMIC_RELEASE);
        made = true;
    }
    tb_unlock();
    if (made)
        TCG_STAT_INC(chains_made);
    return made;
}

/* Remove (src, n) from dst's incoming list. */
static void jmp_list_remove(TranslationBlock *dst, TranslationBlock *src, unsigned n)
{
    uintptr_t want = (uintptr_t)src | n;
    for (uintptr_t *pp = &dst->priv->jmp_list_head; *pp;) {
        TranslationBlock *t = (TranslationBlock *)(*pp & ~(uintptr_t)1);
        unsigned tn = *pp & 1;
        if (*pp == want) {
            *pp = t->priv->jmp_list_next[tn];
            return;
        }
        pp = &t->priv->jmp_list_next[tn];
    }
}

/*
 * Called at every TLB flush (any vCPU, page or full): a guest may rely on a
 * remap only after flushing, so until then no second page has moved for
 * the vCPU that made the links. The unlocked check makes the common case
 * (no such link) free.
 */
void tb_unlink_xpage(void)
{
    if (!__atomic_load_n(&st.nxpage, __ATOMIC_ACQUIRE))
        return;
    tb_lock();
    for (unsigned i = 0; i < st.nxpage; i++) {
        TranslationBlock *src = st.xpage[i].src, *dst = st.xpage[i].dst;
        unsigned n = st.xpage[i].n;
        if (src->priv->jmp_dest[n] != dst)
            continue;      /* undone since (invalidation of src or dst) */
        jmp_list_remove(dst, src, n);
        patch_jump(src, n, 0);
        src->priv->jmp_dest[n] = NULL;
        src->priv->jmp_list_next[n] = 0;
        TCG_STAT_INC(chains_undone_xpage);
    }
    __atomic_store_n(&st.nxpage, 0, __ATOMIC_RELEASE);
    tb_unlock();
}

void tb_xpage_switch(CPUState *cpu)
{
    if (__atomic_load_n(&st.nxpage, __ATOMIC_ACQUIRE) &&
        __atomic_load_n(&st.xpage_owner, __ATOMIC_RELAXED) != cpu)
        tb_unlink_xpage();
}

/* ---- invalidation ---- */

static void tb_invalidate_locked(TranslationBlock *tb)
{
    TBPrivate *p = tb->priv;
    if (tb->invalid)
        return;
    __atomic_store_n(&tb->invalid, 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);   /* pairs with exec.c jc_store */
    htab_remove(tb);
    page_remove_tb(tb, 0);
    if (tb->phys_page2 != (uint64_t)-1)
        page_remove_tb(tb, 1);
    unsigned h = tb_jc_hash(tb->pc);
    for (int i = 0; i < st.ncpus; i++) {
        TranslationBlock **slot = &st.cpus[i]->jmp_cache->tb[h];
        TranslationBlock *cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
        if (cur == tb)
            __atomic_compare_exchange_n(slot, &cur, NULL, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED);
    }
    /* Whoever jumps to us goes back to the exec loop instead. */
    uintptr_t e = p->jmp_list_head;
    while (e) {
        TranslationBlock *src = (TranslationBlock *)(e & ~(uintptr_t)1);
        unsigned n = e & 1;
        e = src->priv->jmp_list_next[n];
        patch_jump(src, n, 0);
        src->priv->jmp_dest[n] = NULL;
        src->priv->jmp_list_next[n] = 0;
    }
    p->jmp_list_head = 0;
    /* And so do we, if we are running right now (another thread's write). */
    for (unsigned n = 0; n < TCG_MAX_GOTO_TB; n++) {
        TranslationBlock *dst = p->jmp_dest[n];
        if (!dst)
            continue;
        jmp_list_remove(dst, tb, n);
        patch_jump(tb, n, 0);
        p->jmp_dest[n] = NULL;
    }
    TCG_STAT_INC(tb_invalidated);
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

/* Invalidate the first block on `page` overlapping [start, end); false if none. */
static bool page_invalidate_one(uint64_t page, uint64_t start, uint64_t end,
                                const TranslationBlock *current, bool *hit)
{
    PageDesc *pd = page_find(page);
    if (!pd || !(pd->code_mask & granule_mask(start, end, page)))
        return false;
    for (uintptr_t e = pd->first; e;) {
        TranslationBlock *tb = (TranslationBlock *)(e & ~(uintptr_t)1);
        unsigned n = e & 1;
        if (overlaps(tb->priv->phys_start[n], tb->priv->phys_end[n], start, end)) {
            if (tb == current)
                *hit = true;
            tb_invalidate_locked(tb);
            return true;
        }
        e = tb->priv->page_next[n];
    }
    return false;
}

bool tb_invalidate_phys_range_locked(uint64_t start, uint64_t end,
                                     const TranslationBlock *current, bool *page_empty)
{
    bool hit = false;
    if (end > start && st.ptab && st.ptab_count) {
        uint64_t first = start & TCG_PAGE_MASK, last = (end - 1) & TCG_PAGE_MASK;
        uint64_t npages = ((last - first) >> TCG_PAGE_BITS) + 1;
        if (npages <= 2 * st.ptab_count + 16) {
            for (uint64_t pg = first;; pg += TCG_PAGE_SIZE) {
                while (page_invalidate_one(pg, start, end, current, &hit))
                    ;
                if (pg == last)
                    break;
            }
        } else {
            /* A huge range (DMA of many MiB): walk the code pages instead. */
            size_t n = 0, cap = st.ptab_count, nb = (size_t)1 << st.ptab_bits;
            uint64_t *pages = xcalloc(cap, sizeof(*pages));
            for (size_t i = 0; i < nb; i++) {
                for (PageDesc *pd = st.ptab[i]; pd && n < cap; pd = pd->next) {
                    if (pd->page >= first && pd->page <= last)
                        pages[n++] = pd->page;
                }
            }
            for (size_t i = 0; i < n; i++) {
                while (page_invalidate_one(pages[i], start, end, current, &hit))
                    ;
            }
            free(pages);
        }
    }
    if (page_empty)
        *page_empty = !st.ptab || !page_find(start & TCG_PAGE_MASK);
    return hit;
}

void tcg_invalidate_phys_range(uint64_t paddr, uint64_t len)
{
    if (!len)
        return;
    tb_lock();
    if (st.ptab) {
        uint64_t end = paddr + len < paddr ? UINT64_MAX : paddr + len;
        tb_invalidate_phys_range_locked(paddr, end, NULL, NULL);
    }
    tb_unlock();
}

void tb_invalidate_pages_if(bool (*changed)(uint64_t page, void *opaque), void *opaque)
{
    tb_lock();
    if (!st.ptab || !st.ptab_count) {
        tb_unlock();
        return;
    }
    size_t n = 0, cap = st.ptab_count;
    uint64_t *pages = xcalloc(cap, sizeof(*pages));
    size_t nb = (size_t)1 << st.ptab_bits;
    for (size_t i = 0; i < nb; i++) {
        for (PageDesc *pd = st.ptab[i]; pd && n < cap; pd = pd->next) {
            if (changed(pd->page, opaque))
                pages[n++] = pd->page;
        }
    }
    for (size_t i = 0; i < n; i++)
        tb_invalidate_phys_range_locked(pages[i], pages[i] + TCG_PAGE_SIZE, NULL, NULL);
    tb_unlock();
    free(pages);
}

/* ---- host pc -> block ---- */

TranslationBlock *tb_find_by_host_pc(uintptr_t pc)
{
    TranslationBlock *found = NULL;
    tb_lock();
    size_t lo = 0, hi = st.ntbs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        TranslationBlock *tb = st.tbs[mid];
        uintptr_t start = (uintptr_t)tb->code;
        if (pc < start) {
            hi = mid;
        } else if (pc >= start + tb->code_size) {
            lo = mid + 1;
        } else {
            found = tb;
            break;
        }
    }
    tb_unlock();
    return found;
}

/* ---- flush ---- */

static void tb_flush_locked(void)
{
    if (st.htab) {
        memset(st.htab_hash, 0, ((size_t)1 << st.htab_bits) * sizeof(*st.htab_hash));
        memset(st.htab, 0, ((size_t)1 << st.htab_bits) * sizeof(*st.htab));
    }
    st.htab_count = 0;
    if (st.ptab)
        page_free_all();
    st.ntbs = 0;
    st.ptr = st.buf;
    __atomic_store_n(&st.nxpage, 0, __ATOMIC_RELEASE);   /* the blocks are gone */
    for (int i = 0; i < st.ncpus; i++)
        tb_jc_clear_all(st.cpus[i]);
    /* After the clears: the blocks they keep as victims (exec.c) belong to
     * the generation that ends here and are never used. */
    __atomic_fetch_add(&st.flush_gen, 1, __ATOMIC_RELEASE);
    TCG_STAT_INC(tb_flushes);
}

void tcg_tb_flush(void)
{
    tb_lock();
    tb_flush_locked();
    tb_unlock();
}

void tcg_exec_init(const TCGBackend *backend, size_t size)
{
    if (size < TCG_CODE_BUFFER_MIN)
        size = TCG_CODE_BUFFER_MIN;
    size = (size + 4095) & ~(size_t)4095;
    bool need_exec = backend != &tcg_interp_backend;
    tb_lock();
    if (st.buf && (st.size != size || (need_exec && !st.exec))) {
        munmap(st.buf, st.size);
        st.buf = NULL;
    }
    if (!st.buf) {
        /* Reserved, committed page by page as blocks are written
         * (MAP_NORESERVE). RWX: Linux on x86-64 allows it; hosts that
         * enforce W^X would need a second, writable view of a memfd. */
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        st.exec = p != MAP_FAILED;
        if (p == MAP_FAILED && !need_exec)
            p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            tb_unlock();
            fatal("tcg: cannot map a %zu MiB code buffer: %s", size >> 20, strerror(errno));
        }
        st.buf = p;
        st.size = size;
    }
    st.backend = backend;
    if (!st.htab)
        htab_resize(TB_HTAB_MIN_BITS);
    if (!st.ptab)
        ptab_resize(PAGE_HTAB_MIN_BITS);
    tb_flush_locked();
    tb_unlock();
}

/* ---- translation ---- */

typedef struct ThreadTranslator {
    TCGContext ctx;
    TCGCodeInfo info;
    const TCGBackend *backend;
    const TCGFrontend *fe;
} ThreadTranslator;

static __thread ThreadTranslator *thread_tr;
static pthread_key_t thread_tr_key;
static pthread_once_t thread_tr_once = PTHREAD_ONCE_INIT;

static void thread_tr_free(void *p)
{
    ThreadTranslator *t = p;
    if (t->backend)
        tcg_context_destroy(&t->ctx);
    free(t);
}

static void thread_tr_key_init(void)
{
    pthread_key_create(&thread_tr_key, thread_tr_free);
}

/* This thread's IR context, set up for fe and the current backend. */
static ThreadTranslator *translator_for(const TCGFrontend *fe)
{
    ThreadTranslator *t = thread_tr;
    if (!t) {
        pthread_once(&thread_tr_once, thread_tr_key_init);
        t = xcalloc(1, sizeof(*t));
        pthread_setspecific(thread_tr_key, t);
        thread_tr = t;
    }
    if (t->backend != st.backend || t->fe != fe) {
        if (t->backend)
            tcg_context_destroy(&t->ctx);
        tcg_context_init(&t->ctx, st.backend, &tcg_softmmu_ops);
        t->ctx.env_is_cpu = true;
        if (fe->init_globals)
            fe->init_globals();
        t->backend = st.backend;
        t->fe = fe;
    }
    return t;
}

/* The block-entry check every block starts with (TCG.md "The exec loop"). */
static TCGLabel *gen_tb_start(void)
{
    TCGv_i32 t = tcg_temp_new_i32();
    TCGLabel *l = gen_new_label();
    tcg_gen_ld_i32(t, tcg_env, (intptr_t)TCG_ENV_EXIT_REQUEST_OFFSET);
    tcg_gen_brcondi_i32(TCG_COND_NE, t, 0, l);
    tcg_temp_free_i32(t);
    return l;
}

static void gen_tb_end(TranslationBlock *tb, TCGLabel *l)
{
    gen_set_label(l);
    tcg_gen_exit_tb(tb, TCG_TB_EXIT_REQUESTED);
}

static void tb_link_locked(TranslationBlock *tb)
{
    htab_insert(tb);
    for (unsigned n = 0; n < 2; n++) {
        if (n == 1 && tb->phys_page2 == (uint64_t)-1)
            break;
        bool created;
        PageDesc *pd = page_find_or_create(tb_page(tb, n), &created);
        tb->priv->page_next[n] = pd->first;
        pd->first = (uintptr_t)tb | n;
        pd->code_mask |= granule_mask(tb->priv->phys_start[n], tb->priv->phys_end[n], pd->page);
        if (created)
            tlb_mark_code_page_locked(pd->page);
    }
    if (st.ntbs == st.tbs_cap) {
        size_t cap = st.tbs_cap ? st.tbs_cap * 2 : 4096;
        TranslationBlock **n = realloc(st.tbs, cap * sizeof(*n));
        if (!n)
            fatal("tcg: out of memory");
        st.tbs = n;
        st.tbs_cap = cap;
    }
    st.tbs[st.ntbs++] = tb;
}

TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags,
                              uint32_t cflags, uint64_t phys_pc)
{
    const TCGFrontend *fe = cpu->frontend;
    ThreadTranslator *t = translator_for(fe);
    TCGContext *s = &t->ctx;
    TCGCodeInfo *info = &t->info;
    int max_insns = (cflags & TB_CFLAG_SINGLE_INSN) ? 1 : TB_MAX_INSNS;
    bool flushed = false;

    for (;;) {
        uint8_t *end = st.buf + st.size;
        uint8_t *p = align_up(st.ptr, _Alignof(TBFull));
        uint8_t *code = align_up(p + sizeof(TBFull), 16);
        if (code + TB_MIN_ROOM > end) {
            if (flushed)
                fatal("tcg: the code buffer (%zu KiB) is too small for one block", st.size >> 10);
            tcg_tb_flush();
            flushed = true;
            continue;
        }
        TBFull *full = (TBFull *)p;
        memset(full, 0, sizeof(*full));
        TranslationBlock *tb = &full->tb;
        tb->priv = &full->priv;
        tb->pc = pc;
        tb->cs_base = cs_base;
        tb->flags = flags;
        tb->cflags = cflags;
        tb->phys_pc = phys_pc;
        tb->phys_page2 = (uint64_t)-1;

        TBTranslateState ts = { tb, cpu, { pc & TCG_PAGE_MASK, (uint64_t)-1 } };
        tb_translating = &ts;   /* a fetch fault longjmps out: the exec loop clears it */
        tcg_func_start(s);
        TCGLabel *exit_label = gen_tb_start();
        fe->translate(cpu, tb, max_insns);
        gen_tb_end(tb, exit_label);
        tb_translating = NULL;
        if (log_enabled(LOG_OP)) {
            log_printf("OP: block pc=0x%llx flags=0x%x\n", (unsigned long long)pc, flags);
            tcg_dump_ops(s, log_file());
        }

        ptrdiff_t n = tcg_gen_code(s, code, (size_t)(end - code), 0, info);
        if (n == TCG_GEN_TOO_BIG) {
            TCG_STAT_INC(tb_too_big);
            if (max_insns == 1)
                fatal("tcg: one guest instruction at 0x%llx does not fit in a block",
                      (unsigned long long)pc);
            int have = tb->icount ? tb->icount : max_insns;
            max_insns = have / 2 > 0 ? have / 2 : 1;
            continue;
        }
        uint8_t *map = n > 0 ? align_up(code + n, 8) : end;
        size_t ni = n > 0 ? info->n_insns : 0;
        size_t map_size = ni * TCG_INSN_START_WORDS * sizeof(uint64_t) +
                          (ni + 1) * sizeof(uint32_t);
        if (n < 0 || map + map_size > end) {
            if (n < 0 && n != TCG_GEN_BUFFER_FULL)
                fatal("tcg: code generation failed (%td) at 0x%llx", n, (unsigned long long)pc);
            if (flushed)
                fatal("tcg: the code buffer (%zu KiB) is too small for one block", st.size >> 10);
            tcg_tb_flush();
            flushed = true;
            continue;
        }
        uint64_t *data = (uint64_t *)map;
        uint32_t *offs = (uint32_t *)(map + ni * TCG_INSN_START_WORDS * sizeof(uint64_t));
        for (size_t i = 0; i < ni; i++) {
            for (unsigned w = 0; w < TCG_INSN_START_WORDS; w++)
                data[i * TCG_INSN_START_WORDS + w] = info->insn_data[i][w];
        }
        memcpy(offs, info->insn_off, (ni + 1) * sizeof(uint32_t));

        TBPrivate *pr = tb->priv;
        tb->code = code;
        tb->code_size = (uint32_t)n;
        pr->code_rw = code;
        pr->n_insns = (unsigned)ni;
        pr->insn_off = offs;
        pr->insn_data = data;
        for (unsigned j = 0; j < TCG_MAX_GOTO_TB; j++) {
            pr->jump_used[j] = info->jump_used[j];
            pr->jump[j] = info->jump[j];
        }
        tb->hash = tb_hash(phys_pc, pc, cs_base, flags, cflags);
        uint64_t in_page = TCG_PAGE_SIZE - (pc & ~TCG_PAGE_MASK);
        uint64_t size = tb->size ? tb->size : 1;
        pr->phys_start[0] = phys_pc;
        pr->phys_end[0] = phys_pc + (size < in_page ? size : in_page);
        if (tb->phys_page2 != (uint64_t)-1) {
            pr->phys_start[1] = tb->phys_page2;
            pr->phys_end[1] = tb->phys_page2 + (size > in_page ? size - in_page : 1);
        }
        if (log_enabled(LOG_OUT_ASM) && st.backend->disas) {
            log_printf("OUT: block pc=0x%llx, %td bytes\n", (unsigned long long)pc, n);
            st.backend->disas(log_file(), code, (size_t)n);
        }
        st.ptr = map + map_size;
        if (tcg_perfmap)
            fprintf(tcg_perfmap, "%llx %tx guest-0x%llx\n", (unsigned long long)(uintptr_t)code,
                    n, (unsigned long long)pc);

        tb_lock();
        tb_link_locked(tb);
        tb_unlock();
        TCG_STAT_INC(tb_translated);
        __atomic_fetch_add(&tcg_exec_stats.code_bytes, (uint64_t)n, __ATOMIC_RELAXED);
        return tb;
    }
}
