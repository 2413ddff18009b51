/*
 * The x86 page walker: no paging, 32-bit paging (with PSE 4 MiB pages and
 * PSE-36 high address bits), PAE and 4-level paging; permissions (U/S, R/W
 * with CR0.WP, NX with EFER.NXE), reserved-bit checks, accessed/dirty
 * updates and the #PF error code. Reference: SDM vol. 3 ch. 4 (4.3-4.8).
 * Leaves out: 5-level paging, PCID, protection keys, SMEP/SMAP, memory types.
 */
#include "cpu/x86/cpu.h"
#include "cpu/x86/mem.h"

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_NX  (1ull << 63)

#define MAX_LEVELS 4

typedef struct Level {
    uint64_t addr;      /* physical address of the entry */
    uint64_t val;
} Level;

typedef enum WalkMode { WALK_CHECKED, WALK_DEBUG } WalkMode;

/* Bits M-1:12 of an entry: the next table or the page frame. */
static uint64_t frame_mask(const X86CPU *cpu)
{
    return ((1ull << cpu->phys_bits) - 1) & ~0xfffull;
}

static X86WalkResult walk(X86CPU *cpu, uint64_t linear, X86Access access, bool user,
                          WalkMode mode, X86Translation *out, uint32_t *error)
{
    const uint64_t cr0 = cpu->cr[0], cr4 = cpu->cr[4], efer = cpu->efer;
    const bool write = access == X86_ACCESS_WRITE;

    if (!(cr0 & CR0_PG)) {
        out->paddr = (uint32_t)linear & cpu->a20_mask;
        out->page_size = 4096;
        out->prot = X86_PROT_READ | X86_PROT_WRITE | X86_PROT_EXEC;
        out->global = false;
        return X86_WALK_OK;
    }

    const bool lma = efer & EFER_LMA, pae = lma || (cr4 & CR4_PAE);
    const bool nxe = pae && (efer & EFER_NXE);
    const uint64_t fmask = frame_mask(cpu);
    /* Address bits above MAXPHYADDR (4-level: up to bit 51; PAE: up to 62). */
    const uint64_t high_rsvd = pae ? (((lma ? (1ull << 52) : (1ull << 63)) - 1) & ~((1ull << cpu->phys_bits) - 1))
                                   : 0;
    const uint64_t nx_rsvd = (pae && !nxe) ? PTE_NX : 0;

    uint32_t err = (write ? X86_PF_W : 0) | (user ? X86_PF_U : 0) |
                   ((access == X86_ACCESS_EXEC && nxe) ? X86_PF_I : 0);

    if (lma) {
        if (!x86_canonical(linear)) {
            return X86_WALK_NONCANONICAL;
        }
    } else {
        linear = (uint32_t)linear;
    }

restart:;
    Level lv[MAX_LEVELS];
    int n = 0;
    bool rw = true, us = true, nx = false;
    uint64_t page_size = 4096, leaf = 0, table;
    int level;          /* levels left, counting the one being read */

    if (lma) {
        table = cpu->cr[3] & fmask;
        level = 4;
    } else if (pae) {
        uint64_t pdpte = cpu->pdpte[(linear >> 30) & 3];
        if (!(pdpte & PTE_P)) {
            goto fault;
        }
        /* PDPTE reserved bits were checked when CR3 was loaded. */
        table = pdpte & fmask;
        level = 2;
    } else {
        table = cpu->cr[3] & 0xfffff000ull;
        level = 2;
    }

    for (;;) {
        uint64_t addr, val, rsvd;
        if (pae) {
            unsigned shift = 12 + 9 * (level - 1);
            addr = (table + ((linear >> shift) & 0x1ff) * 8) & cpu->a20_mask;
            val = x86_phys_ld(cpu, addr, 8);
            rsvd = high_rsvd | nx_rsvd;
        } else {
            unsigned shift = 12 + 10 * (level - 1);
            addr = (table + ((linear >> shift) & 0x3ff) * 4) & cpu->a20_mask;
            val = x86_phys_ld(cpu, addr, 4) & 0xffffffffull;
            rsvd = 0;
        }
        if (!(val & PTE_P)) {
            goto fault;
        }
        bool large = false;
        if (level == 4) {
            rsvd |= PTE_PS;                      /* PML4E: PS is reserved */
        } else if (level == 3 && (val & PTE_PS)) {
            if (cpu->features.e1_edx & CPUID_E1_EDX_PDPE1GB) {
                large = true;
                page_size = 1ull << 30;
                rsvd |= 0x3fffe000ull;           /* bits 29:13 */
            } else {
                rsvd |= PTE_PS;
            }
        } else if (level == 2 && (val & PTE_PS) && (pae || (cr4 & CR4_PSE))) {
            large = true;
            if (pae) {
                page_size = 1ull << 21;
                rsvd |= 0x1fe000ull;             /* bits 20:13 */
            } else {
                /* Bits 20:13 are address bits 39:32 (PSE-36) as far as
                 * MAXPHYADDR reaches; the rest up to bit 21 are reserved. */
                unsigned hi_bits = cpu->phys_bits > 40 ? 8 : cpu->phys_bits - 32;
                page_size = 1ull << 22;
                rsvd |= (0x3fe000ull >> (13 + hi_bits)) << (13 + hi_bits) & 0x3fe000ull;
            }
        }
        if (val & rsvd) {
            err |= X86_PF_P | X86_PF_RSVD;
            goto fault_perm;
        }
        rw = rw && (val & PTE_RW);
        us = us && (val & PTE_US);
        nx = nx || (nxe && (val & PTE_NX));
        lv[n].addr = addr;
        lv[n].val = val;
        n++;
        if (large || level == 1) {
            leaf = val;
            break;
        }
        table = val & (pae ? fmask : 0xfffff000ull);
        level--;
    }

    if (mode == WALK_CHECKED) {
        bool ok;
        if (user && !us) {
            ok = false;
        } else if (access == X86_ACCESS_WRITE) {
            ok = rw || (!user && !(cr0 & CR0_WP));
        } else if (access == X86_ACCESS_EXEC) {
            ok = !nx;
        } else {
            ok = true;
        }
        if (!ok) {
            err |= X86_PF_P;
            goto fault_perm;
        }
        /* A on every entry used, D on the leaf for a write; atomically, and
         * from scratch if the guest changed an entry meanwhile. */
        for (int i = 0; i < n; i++) {
            uint64_t set = PTE_A | ((i == n - 1 && write) ? PTE_D : 0);
            if ((lv[i].val & set) != set) {
                unsigned size = pae ? 8 : 4;
                if (!x86_phys_cmpxchg(cpu, lv[i].addr, lv[i].val, lv[i].val | set, size)) {
                    goto restart;
                }
                lv[i].val |= set;
            }
        }
        leaf = lv[n - 1].val;
    }

    uint64_t frame;
    if (page_size == (1ull << 22)) {
        unsigned hi_bits = cpu->phys_bits > 40 ? 8 : cpu->phys_bits - 32;
        frame = (leaf & 0xffc00000ull) | (((leaf >> 13) & ((1ull << hi_bits) - 1)) << 32);
    } else {
        frame = leaf & (pae ? fmask : 0xfffff000ull) & ~(page_size - 1);
    }
    out->paddr = (frame | (linear & (page_size - 1))) & cpu->a20_mask;
    out->page_size = page_size;
    out->global = (leaf & PTE_G) && (cr4 & CR4_PGE);
    out->prot = X86_PROT_READ;
    if ((rw || (!user && !(cr0 & CR0_WP))) && (leaf & PTE_D)) {
        out->prot |= X86_PROT_WRITE;
    }
    if (!nx) {
        out->prot |= X86_PROT_EXEC;
    }
    return X86_WALK_OK;

fault:
    /* Not present: P = 0 in the error code. */
fault_perm:
    *error = err;
    return X86_WALK_PAGE_FAULT;
}

X86WalkResult x86_page_walk(X86CPU *cpu, uint64_t linear, X86Access access, bool user,
                            X86Translation *out, uint32_t *error)
{
    return walk(cpu, linear, access, user, WALK_CHECKED, out, error);
}

void x86_translate(X86CPU *cpu, uint64_t linear, X86Access access, bool user,
                   X86Translation *out, uintptr_t ra)
{
    uint32_t err = 0;
    switch (x86_page_walk(cpu, linear, access, user, out, &err)) {
    case X86_WALK_OK:
        return;
    case X86_WALK_PAGE_FAULT:
        x86_raise_page_fault(cpu, linear, err, ra);
    case X86_WALK_NONCANONICAL:
        x86_raise_exception(cpu, X86_EXCP_GP, 0, ra);
    }
}

bool x86_translate_debug(X86CPU *cpu, uint64_t linear, uint64_t *paddr)
{
    X86Translation t;
    uint32_t err;
    if (walk(cpu, linear, X86_ACCESS_READ, false, WALK_DEBUG, &t, &err) != X86_WALK_OK) {
        return false;
    }
    *paddr = t.paddr;
    return true;
}
