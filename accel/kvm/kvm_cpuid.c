/*
 * CPUID of a KVM vCPU: what KVM_GET_SUPPORTED_CPUID reports, with the
 * topology made ours (one package, one thread per core, APIC id = vCPU
 * index; Intel SDM vol. 2A CPUID leaves 01H, 04H, 0BH, 1FH; AMD APM vol. 3
 * E.4.7) and the hypervisor bit set. No KVM paravirtual leaves (0x4000xxxx):
 * kvmclock and friends would need their MSRs reset on every guest reboot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_internal.h"
#include "mimic/log.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT        (1u << 28)
#define TOPOLOGY_LEVEL_SMT     1
#define TOPOLOGY_LEVEL_CORE    2
/* Our own leaves 0BH/1FH: SMT, core, and the terminating invalid level. */
#define TOPOLOGY_SUBLEAVES     3

bool kvm_cpuid_model_ok(const char *name)
{
    return !name || !strcmp(name, "host") || !strcmp(name, "max");
}

struct kvm_cpuid2 *kvm_cpuid_supported(int kvm_fd)
{
    for (int n = 64; n <= KVM_MAX_CPUID_ENTRIES; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
        if (!c)
            fatal("kvm: out of memory");
        c->nent = n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            return c;
        int err = errno;
        free(c);
        if (err != E2BIG)
            fatal("kvm: KVM_GET_SUPPORTED_CPUID failed: %s", strerror(err));
    }
    fatal("kvm: KVM reports more than %d CPUID entries", KVM_MAX_CPUID_ENTRIES);
}

/* log2 of the smallest power of two >= n: the APIC-id bits n cores need. */
static unsigned id_bits(int n)
{
    unsigned bits = 0;
    while ((1 << bits) < n)
        bits++;
    return bits;
}

static const struct kvm_cpuid_entry2 *find_leaf(const struct kvm_cpuid2 *c, uint32_t fn)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == fn && c->entries[i].index == 0)
            return &c->entries[i];
    return NULL;
}

static bool is_amd(const struct kvm_cpuid2 *c)
{
    const struct kvm_cpuid_entry2 *e = find_leaf(c, 0);
    char vendor[13];

    if (!e)
        return false;
    memcpy(vendor, &e->ebx, 4);
    memcpy(vendor + 4, &e->edx, 4);
    memcpy(vendor + 8, &e->ecx, 4);
    vendor[12] = 0;
    return !strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine");
}

static void fix_entry(struct kvm_cpuid_entry2 *e, int index, int ncpus, bool amd)
{
    unsigned bits = id_bits(ncpus);
    uint32_t span = 1u << bits;      /* addressable core ids in the package */

    switch (e->function) {
    case 1:
        e->ebx = (e->ebx & 0x0000ffff) | ((uint32_t)(index & 0xff) << 24) |
                 ((span > 255 ? 255 : span) << 16);
        e->ecx |= CPUID_1_ECX_HYPERVISOR;
        if (ncpus > 1)
            e->edx |= CPUID_1_EDX_HTT;
        else
            e->edx &= ~CPUID_1_EDX_HTT;
        break;
    case 4:
        if ((e->eax & 0x1f) == 0)           /* no cache at this subleaf */
            break;
        /* Cores per package; caches below L3 are private to one core. */
        e->eax &= 0x00003fff;
        e->eax |= (span - 1) << 26;
        if (((e->eax >> 5) & 7) >= 3)
            e->eax |= (span - 1) << 14;
        break;
    case 0x80000008:
        if (amd)
            e->ecx = (e->ecx & ~0xf0ffu) | (bits << 12) | (uint32_t)(ncpus - 1);
        break;
    case 0x8000001e:
        if (amd) {
            e->eax = (uint32_t)index;
            e->ebx = (uint32_t)(index & 0xff);
            e->ecx = 0;
        }
        break;
    }
}

static void add_topology(struct kvm_cpuid2 *c, uint32_t leaf, int index, int ncpus)
{
    for (uint32_t sub = 0; sub < TOPOLOGY_SUBLEAVES; sub++) {
        struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
        memset(e, 0, sizeof(*e));
        e->function = leaf;
        e->index = sub;
        e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        e->edx = (uint32_t)index;           /* x2APIC id */
        e->ecx = sub;
        if (sub == 0) {
            e->eax = 0;
            e->ebx = 1;
            e->ecx |= TOPOLOGY_LEVEL_SMT << 8;
        } else if (sub == 1) {
            e->eax = id_bits(ncpus);
            e->ebx = (uint32_t)ncpus;
            e->ecx |= TOPOLOGY_LEVEL_CORE << 8;
        }
    }
}

struct kvm_cpuid2 *kvm_cpuid_for_vcpu(const struct kvm_cpuid2 *sup, int index, int ncpus)
{
    size_t cap = sup->nent + 2 * TOPOLOGY_SUBLEAVES;
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + cap * sizeof(c->entries[0]));
    const struct kvm_cpuid_entry2 *leaf0 = find_leaf(sup, 0);
    uint32_t max_basic = leaf0 ? leaf0->eax : 0;
    bool amd = is_amd(sup);

    if (!c)
        fatal("kvm: out of memory");
    for (uint32_t i = 0; i < sup->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &sup->entries[i];
        if (e->function == 0xb || e->function == 0x1f)
            continue;
        if (e->function >= 0x40000000 && e->function <= 0x4fffffff)
            continue;
        c->entries[c->nent] = *e;
        fix_entry(&c->entries[c->nent], index, ncpus, amd);
        c->nent++;
    }
    if (max_basic >= 0xb)
        add_topology(c, 0xb, index, ncpus);
    if (max_basic >= 0x1f)
        add_topology(c, 0x1f, index, ncpus);
    return c;
}
