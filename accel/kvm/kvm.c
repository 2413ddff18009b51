/*
 * The KVM accelerator: opens /dev/kvm, creates the VM with the in-kernel
 * PIC/IOAPIC/LAPIC and PIT, keeps KVM memory slots in step with the flat
 * view of guest memory and turns GSI levels into KVM_IRQ_LINE.
 * Reference: Linux Documentation/virt/kvm/api.rst. Left out: the split and
 * user-space irqchip, dirty logging, paravirtual features.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "mimic/accel.h"
#include "mimic/log.h"

/* ISA IRQ 0 (the PIT) reaches IOAPIC pin 2 on a PC (the MADT's interrupt
 * source override 0 -> 2); IRQ 2 is the PIC cascade and no IOAPIC input. */
#define PC_PIT_IOAPIC_PIN 2
#define PC_ISA_IRQS 16
#define PC_IOAPIC_PINS 24

/* Capabilities are asked of the VM (they may differ per VM type), falling
 * back to /dev/kvm on kernels without KVM_CAP_CHECK_EXTENSION_VM. */
static int kvm_check(KvmState *ks, long cap)
{
    int r = ks->vm_fd >= 0 ? ioctl(ks->vm_fd, KVM_CHECK_EXTENSION, cap) : -1;
    if (r < 0)
        r = ioctl(ks->kvm_fd, KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

static void parse_opts(const char *opts, bool *irqchip)
{
    char *copy, *save = NULL;

    *irqchip = true;
    if (!opts || !*opts)
        return;
    copy = strdup(opts);
    if (!copy)
        fatal("kvm: out of memory");
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        const char *val = eq ? eq + 1 : "on";
        if (eq)
            *eq = 0;
        if (strcmp(tok, "kernel-irqchip") != 0)
            fatal("-accel kvm: unknown option '%s' (known: kernel-irqchip=on|off)", tok);
        if (!strcmp(val, "on"))
            *irqchip = true;
        else if (!strcmp(val, "off"))
            *irqchip = false;
        else if (!strcmp(val, "split"))
            fatal("-accel kvm,kernel-irqchip=split is not supported; use kernel-irqchip=on");
        else
            fatal("-accel kvm: kernel-irqchip=%s: expected on or off", val);
    }
    free(copy);
}

static void add_route(struct kvm_irq_routing *r, uint32_t gsi, uint32_t chip, uint32_t pin)
{
    struct kvm_irq_routing_entry *e = &r->entries[r->nr++];
    memset(e, 0, sizeof(*e));
    e->gsi = gsi;
    e->type = KVM_IRQ_ROUTING_IRQCHIP;
    e->u.irqchip.irqchip = chip;
    e->u.irqchip.pin = pin;
}

/* KVM's default routing sends GSI 0 to IOAPIC pin 0, but the in-kernel PIT
 * raises GSI 0 and guests expect it on pin 2 (what every PC firmware tells
 * them), so route like a PC: IRQ n -> PIC pin n and IOAPIC pin n, except
 * IRQ 0 -> pin 2 and the cascade IRQ 2 -> PIC only. */
static void setup_pc_routing(KvmState *ks)
{
    size_t max = 2 * PC_IOAPIC_PINS;
    struct kvm_irq_routing *r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));

    if (!r)
        fatal("kvm: out of memory");
    for (uint32_t gsi = 0; gsi < PC_IOAPIC_PINS; gsi++) {
        if (gsi < PC_ISA_IRQS)
            add_route(r, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
        if (gsi == 0)
            add_route(r, gsi, KVM_IRQCHIP_IOAPIC, PC_PIT_IOAPIC_PIN);
        else if (gsi != PC_PIT_IOAPIC_PIN)
            add_route(r, gsi, KVM_IRQCHIP_IOAPIC, gsi);
    }
    if (ioctl(ks->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
        fatal("kvm: KVM_SET_GSI_ROUTING failed: %s", strerror(errno));
    free(r);
}

static void kvm_init(Machine *m, const char *opts)
{
    KvmState *ks = calloc(1, sizeof(*ks));
    bool irqchip;
    int ret;

    if (!ks)
        fatal("kvm: out of memory");
    parse_opts(opts, &irqchip);
    if (!irqchip)
        fatal("-accel kvm,kernel-irqchip=off: the user-space PIC/IOAPIC/LAPIC arrive with "
              "the TCG work (issue \"The whole PC without KVM\"); use kernel-irqchip=on for now");
    if (m->opts && !kvm_cpuid_model_ok(m->opts->cpu_model))
        fatal("-cpu %s: unsupported -cpu with -accel kvm (use host or max)", m->opts->cpu_model);

    ks->m = m;
    ks->kvm_fd = ks->vm_fd = -1;
    pthread_mutex_init(&ks->slot_lock, NULL);
    pthread_cond_init(&ks->cond, NULL);

    ks->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (ks->kvm_fd < 0) {
        if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
            fatal("/dev/kvm not found: KVM is not available on this host; use -accel tcg");
        if (errno == EACCES || errno == EPERM)
            fatal("no permission to open /dev/kvm: add your user to the 'kvm' group, "
                  "or use -accel tcg");
        fatal("cannot open /dev/kvm: %s; use -accel tcg", strerror(errno));
    }
    ret = ioctl(ks->kvm_fd, KVM_GET_API_VERSION, 0);
    if (ret < 0)
        fatal("/dev/kvm is not a KVM device (%s); use -accel tcg", strerror(errno));
    if (ret != KVM_API_VERSION_REQUIRED)
        fatal("kvm: /dev/kvm has API version %d, mimic needs %d; use -accel tcg",
              ret, KVM_API_VERSION_REQUIRED);
    if (!kvm_check(ks, KVM_CAP_USER_MEMORY))
        fatal("kvm: this KVM lacks user memory slots (KVM_CAP_USER_MEMORY); use -accel tcg");

    do
        ks->vm_fd = ioctl(ks->kvm_fd, KVM_CREATE_VM, 0);
    while (ks->vm_fd < 0 && errno == EINTR);
    if (ks->vm_fd < 0)
        fatal("kvm: cannot create a VM (KVM_CREATE_VM): %s", strerror(errno));

    ks->run_size = ioctl(ks->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (ks->run_size < (int)sizeof(struct kvm_run))
        fatal("kvm: KVM_GET_VCPU_MMAP_SIZE failed");
    ks->readonly_mem = kvm_check(ks, KVM_CAP_READONLY_MEM) > 0;
    ks->have_xcrs = kvm_check(ks, KVM_CAP_XCRS) > 0;
    ks->max_slots = kvm_check(ks, KVM_CAP_NR_MEMSLOTS);
    if (ks->max_slots <= 0)
        ks->max_slots = 32;     /* the documented minimum of old kernels */
    if (ks->max_slots > KVM_MAX_SLOTS)
        ks->max_slots = KVM_MAX_SLOTS;
    ks->max_vcpus = kvm_check(ks, KVM_CAP_MAX_VCPUS);
    if (ks->max_vcpus <= 0)
        ks->max_vcpus = kvm_check(ks, KVM_CAP_NR_VCPUS);
    if (ks->max_vcpus <= 0)
        ks->max_vcpus = 4;

    if (!kvm_check(ks, KVM_CAP_IRQCHIP) || !kvm_check(ks, KVM_CAP_PIT2))
        fatal("kvm: this KVM has no in-kernel irqchip/PIT; use -accel tcg");
    if (ioctl(ks->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        fatal("kvm: KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
    /* SPEAKER_DUMMY: port 0x61 (PIT channel 2 gate/output, used by guests
     * to calibrate delays) is then answered by the kernel too. */
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    if (ioctl(ks->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
        fatal("kvm: KVM_CREATE_PIT2 failed: %s", strerror(errno));
    ks->irqchip = true;
    if (kvm_check(ks, KVM_CAP_IRQ_ROUTING))
        setup_pc_routing(ks);

    ks->supported_cpuid = kvm_cpuid_supported(ks->kvm_fd);

    struct kvm_msr_list probe = { .nmsrs = 0 };
    if (ioctl(ks->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno == E2BIG && probe.nmsrs) {
        struct kvm_msr_list *list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
        if (!list)
            fatal("kvm: out of memory");
        list->nmsrs = probe.nmsrs;
        if (ioctl(ks->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) == 0) {
            ks->nmsrs = (int)list->nmsrs;
            ks->msr_list = malloc(ks->nmsrs * sizeof(uint32_t));
            if (!ks->msr_list)
                fatal("kvm: out of memory");
            memcpy(ks->msr_list, list->indices, ks->nmsrs * sizeof(uint32_t));
        }
        free(list);
    }

    m->accel_state = ks;
    if (m->mem)
        kvm_slots_listen(ks);
    log_mask_printf(LOG_KVM, "kvm: VM created, %d memory slots, read-only memory %s\n",
                    ks->max_slots, ks->readonly_mem ? "yes" : "no");
}

static bool kvm_kernel_irqchip(Machine *m)
{
    return kvm_state(m)->irqchip;
}

static void kvm_set_irq(Machine *m, int gsi, int level)
{
    KvmState *ks = kvm_state(m);
    struct kvm_irq_level irq = { .irq = (uint32_t)gsi, .level = level ? 1 : 0 };

    if (gsi < 0 || gsi >= MACHINE_MAX_GSI) {
        warn("kvm: interrupt line %d out of range 0..%d", gsi, MACHINE_MAX_GSI - 1);
        return;
    }
    if (ioctl(ks->vm_fd, KVM_IRQ_LINE, &irq) < 0)
        log_mask_printf(LOG_KVM, "kvm: KVM_IRQ_LINE %d failed: %s\n", gsi, strerror(errno));
}

/* ---- KVM's own guest pages ---- */

/* Whether [base, base + size) touches any range of the flat view; its first
 * such range in *hit. */
static bool range_mapped(Machine *m, uint64_t base, uint64_t size, const FlatRange **hit)
{
    size_t n;
    const FlatRange *fr = address_space_flat(m->mem, &n);
    for (size_t i = 0; i < n; i++) {
        if (fr[i].start < base + size && base < fr[i].end) {
            *hit = &fr[i];
            return true;
        }
    }
    return false;
}

/* A machine that named no place: the highest page-aligned gap below 4 GiB
 * (where real-mode code can reach it) of the flat view, or 0. */
static uint64_t find_accel_pages(Machine *m)
{
    const uint64_t size = MACHINE_ACCEL_PAGES_SIZE, top = 1ull << 32;
    size_t n;
    const FlatRange *fr = address_space_flat(m->mem, &n);
    const FlatRange *hit;
    uint64_t best = 0;
    for (size_t i = 0; i <= n; i++) {
        /* Candidates: right below 4 GiB and right below each range. */
        uint64_t end = i < n ? fr[i].start : top;
        if (end > top || end < size + KVM_PAGE_SIZE)
            continue;
        uint64_t base = (end - size) & ~(uint64_t)(KVM_PAGE_SIZE - 1);
        if (base > best && !range_mapped(m, base, size, &hit))
            best = base;
    }
    return best;
}

/* VMX without "unrestricted guest" runs real mode as vm86 under a TSS of 3
 * pages and, with EPT, an identity-mapped page table of one page, both in
 * guest-physical memory that KVM allocates itself (api.rst: KVM_SET_TSS_ADDR,
 * KVM_SET_IDENTITY_MAP_ADDR); a memory slot over them would fail. They go
 * where the machine left room, once its memory map exists and before the
 * first vCPU (the identity map cannot move after that). */
static void place_accel_pages(Machine *m)
{
    KvmState *ks = kvm_state(m);
    const uint64_t size = MACHINE_ACCEL_PAGES_SIZE;
    const FlatRange *hit;
    if (!m->accel_pages_base && m->mem)
        m->accel_pages_base = find_accel_pages(m);
    uint64_t base = m->accel_pages_base;
    if (!base)
        fatal("kvm: no free %u KiB below 4 GiB for KVM's real-mode TSS and identity map; "
              "the memory map is full", MACHINE_ACCEL_PAGES_SIZE >> 10);
    if (base & (KVM_PAGE_SIZE - 1) || base + size > (1ull << 32))
        fatal("internal error: KVM's pages at 0x%llx must be page-aligned below 4 GiB",
              (unsigned long long)base);
    if (m->mem && range_mapped(m, base, size, &hit))
        fatal("kvm: '%s' at 0x%llx-0x%llx covers 0x%llx-0x%llx, where KVM keeps its real-mode "
              "TSS and identity map; make the firmware or the device smaller",
              hit->mr && hit->mr->name ? hit->mr->name : "?", (unsigned long long)hit->start,
              (unsigned long long)hit->end - 1, (unsigned long long)base,
              (unsigned long long)(base + size - 1));
    /* The identity-map page first, the TSS in the 3 pages after it. */
    if (kvm_check(ks, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
        uint64_t addr = base;
        if (ioctl(ks->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
            fatal("kvm: KVM_SET_IDENTITY_MAP_ADDR failed: %s", strerror(errno));
    }
    if (ioctl(ks->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)(base + KVM_PAGE_SIZE)) < 0)
        fatal("kvm: KVM_SET_TSS_ADDR failed: %s", strerror(errno));
    log_mask_printf(LOG_KVM, "kvm: identity map at 0x%llx, real-mode TSS at 0x%llx\n",
                    (unsigned long long)base, (unsigned long long)(base + KVM_PAGE_SIZE));
}

static void kvm_create_vcpus(Machine *m)
{
    KvmState *ks = kvm_state(m);
    if (!ks->vcpus)
        place_accel_pages(m);
    kvm_vcpus_create(m);
}

/* ---- memory slots ---- */

static void slot_set(KvmState *ks, int id, const KvmSlot *s)
{
    struct kvm_userspace_memory_region r = {
        .slot = (uint32_t)id,
        .flags = s ? s->flags : 0,
        .guest_phys_addr = s ? s->gpa : ks->slots[id].gpa,
        .memory_size = s ? s->size : 0,
        .userspace_addr = s ? s->host : ks->slots[id].host,
    };
    if (ioctl(ks->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        fatal("kvm: cannot %s guest memory at 0x%llx (+0x%llx): %s", s ? "map" : "unmap",
              (unsigned long long)r.guest_phys_addr,
              (unsigned long long)(s ? s->size : ks->slots[id].size), strerror(errno));
    log_mask_printf(LOG_KVM, "kvm: slot %d %s gpa 0x%llx size 0x%llx%s\n", id,
                    s ? "set" : "deleted", (unsigned long long)r.guest_phys_addr,
                    (unsigned long long)(s ? s->size : ks->slots[id].size),
                    (r.flags & KVM_MEM_READONLY) ? " read-only" : "");
}

static bool slot_equal(const KvmSlot *a, const KvmSlot *b)
{
    return a->gpa == b->gpa && a->size == b->size && a->host == b->host && a->flags == b->flags;
}

/* Append [start, end) at `host` to the wanted list, merged with the last
 * entry when contiguous in both guest and host memory. */
static void slot_want(KvmState *ks, KvmSlot *want, int *nwant, uint64_t start, uint64_t end,
                      uint64_t host, uint32_t flags)
{
    if (start >= end)
        return;
    if (*nwant > 0) {
        KvmSlot *prev = &want[*nwant - 1];
        if (prev->gpa + prev->size == start && prev->host + prev->size == host &&
            prev->flags == flags) {
            prev->size += end - start;
            return;
        }
    }
    if (*nwant >= ks->max_slots)
        fatal("kvm: the guest memory map needs more than the %d memory slots KVM allows",
              ks->max_slots);
    want[(*nwant)++] = (KvmSlot){ .used = true, .gpa = start, .size = end - start,
                                  .host = host, .flags = flags };
}

/* Turn the flat view's RAM/ROM ranges into the wanted slot list. KVM's own
 * pages stay out of every slot: only a guest moving a RAM BAR there puts
 * memory on them, and that part is then served through MMIO exits. */
static int slots_wanted(KvmState *ks, KvmSlot *want)
{
    size_t n;
    const FlatRange *fr = address_space_flat(ks->m->mem, &n);
    int nwant = 0;
    uint64_t own = ks->m->accel_pages_base, own_end = own + MACHINE_ACCEL_PAGES_SIZE;

    for (size_t i = 0; i < n; i++) {
        const MemoryRegion *mr = fr[i].mr;
        if (!mr || (mr->kind != MR_RAM && mr->kind != MR_ROM) || !mr->host)
            continue;
        uint64_t start = (fr[i].start + KVM_PAGE_SIZE - 1) & ~(uint64_t)(KVM_PAGE_SIZE - 1);
        uint64_t end = fr[i].end & ~(uint64_t)(KVM_PAGE_SIZE - 1);
        uint64_t host = (uint64_t)(uintptr_t)mr->host + fr[i].offset + (start - fr[i].start);
        uint32_t flags = 0;
        if (start >= end)
            continue;      /* sub-page range: its accesses come back as MMIO exits */
        if (host & (KVM_PAGE_SIZE - 1)) {
            if (!ks->warned_align)
                warn("kvm: memory region '%s' is not page-aligned in host memory; "
                     "the guest cannot run code from it", mr->name ? mr->name : "?");
            ks->warned_align = true;
            continue;
        }
        if (mr->kind == MR_ROM) {
            if (ks->readonly_mem)
                flags = KVM_MEM_READONLY;
            else if (!ks->warned_rom) {
                warn("kvm: this KVM has no read-only memory; ROM is writable by the guest");
                ks->warned_rom = true;
            }
        }
        if (own && start < own_end && own < end) {
            guest_error("kvm: memory region '%s' at 0x%llx-0x%llx covers KVM's pages at "
                        "0x%llx; that part is emulated\n", mr->name ? mr->name : "?",
                        (unsigned long long)start, (unsigned long long)end - 1,
                        (unsigned long long)own);
            if (start < own)
                slot_want(ks, want, &nwant, start, own, host, flags);
            if (own_end < end)
                slot_want(ks, want, &nwant, own_end, end, host + (own_end - start), flags);
            continue;
        }
        slot_want(ks, want, &nwant, start, end, host, flags);
    }
    return nwant;
}

void kvm_slots_sync(KvmState *ks)
{
    KvmSlot *want;
    int nwant;

    if (!ks->m->mem || ks->vm_fd < 0)
        return;
    want = calloc(KVM_MAX_SLOTS, sizeof(*want));
    if (!want)
        fatal("kvm: out of memory");
    pthread_mutex_lock(&ks->slot_lock);
    nwant = slots_wanted(ks, want);
    /* Delete first so no two slots ever overlap, then add what is new. */
    for (int id = 0; id < ks->max_slots; id++) {
        if (!ks->slots[id].used)
            continue;
        bool keep = false;
        for (int j = 0; j < nwant; j++) {
            if (want[j].used && slot_equal(&ks->slots[id], &want[j])) {
                want[j].used = false;      /* already in place */
                keep = true;
                break;
            }
        }
        if (!keep) {
            slot_set(ks, id, NULL);
            ks->slots[id].used = false;
        }
    }
    for (int j = 0; j < nwant; j++) {
        if (!want[j].used)
            continue;
        int id = 0;
        while (id < ks->max_slots && ks->slots[id].used)
            id++;
        if (id == ks->max_slots)
            fatal("kvm: the guest memory map needs more than the %d memory slots KVM allows",
                  ks->max_slots);
        slot_set(ks, id, &want[j]);
        ks->slots[id] = want[j];
    }
    pthread_mutex_unlock(&ks->slot_lock);
    free(want);
}

static void slots_listener(void *opaque, AddressSpace *as)
{
    (void)as;
    kvm_slots_sync(opaque);
}

void kvm_slots_listen(KvmState *ks)
{
    if (ks->listening || !ks->m->mem)
        return;
    address_space_add_listener(ks->m->mem, slots_listener, ks);
    ks->listening = true;
    kvm_slots_sync(ks);
}

static void kvm_memory_changed(Machine *m)
{
    kvm_slots_sync(kvm_state(m));
}

static void kvm_shutdown(Machine *m)
{
    KvmState *ks = kvm_state(m);

    if (!ks)
        return;
    kvm_vcpus_destroy(m);
    if (ks->vm_fd >= 0)
        close(ks->vm_fd);
    if (ks->kvm_fd >= 0)
        close(ks->kvm_fd);
    free(ks->supported_cpuid);
    free(ks->msr_list);
    /* The listener may still be registered on m->mem: keep ks (a few KiB)
     * rather than leave it dangling; it no longer touches the closed VM. */
    ks->vm_fd = ks->kvm_fd = -1;
    ks->supported_cpuid = NULL;
    ks->msr_list = NULL;
    ks->listening = false;
}

static const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .init = kvm_init,
    .kernel_irqchip = kvm_kernel_irqchip,
    .set_irq = kvm_set_irq,
    .vcpus_create = kvm_create_vcpus,
    .start = kvm_vcpus_start,
    .pause_all = kvm_vcpus_pause,
    .resume_all = kvm_vcpus_resume,
    .reset_vcpus = kvm_vcpus_reset,
    .get_regs = kvm_vcpu_get_regs,
    .set_regs = kvm_vcpu_set_regs,
    .memory_changed = kvm_memory_changed,
    .shutdown = kvm_shutdown,
};

ACCEL_REGISTER(kvm_accel_ops)
