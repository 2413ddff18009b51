/*
 * KVM accelerator: X86Regs <-> kvm_regs/kvm_sregs conversion and the CPUID
 * topology against the SDM (pure, always run), then a real VM when /dev/kvm
 * is usable: register round trip through KVM, port I/O and MMIO exits, slot
 * re-sync after a memory map change, KVM's real-mode TSS/identity-map pages
 * kept out of every slot, and the reset state of BSP and APs.
 */
#include "test.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel/kvm/kvm_internal.h"
#include "mimic/accel.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/memory.h"

/* ---- pure conversions ---- */

TEST_CASE(segment_flags_map_to_kvm_fields)
{
    X86Segment s = { 0x10, 0x1000, 0xffffffff,
                     SEGF_P | SEGF_S | SEGF_TYPE(0xb) | SEGF_DPL(3) | SEGF_DB | SEGF_G | (1u << 12) };
    struct kvm_segment k;
    kvm_segment_from_x86(&s, &k);
    CHECK_EQ(k.selector, 0x10);
    CHECK_EQ(k.base, 0x1000);
    CHECK_EQ(k.limit, 0xffffffff);
    CHECK_EQ(k.type, 0xb);
    CHECK_EQ(k.s, 1);
    CHECK_EQ(k.dpl, 3);
    CHECK_EQ(k.present, 1);
    CHECK_EQ(k.avl, 1);
    CHECK_EQ(k.l, 0);
    CHECK_EQ(k.db, 1);
    CHECK_EQ(k.g, 1);
    CHECK_EQ(k.unusable, 0);
}

TEST_CASE(unusable_segment_reads_as_not_present)
{
    struct kvm_segment k = { .selector = 0, .type = 3, .s = 1, .present = 1, .unusable = 1 };
    X86Segment s;
    kvm_segment_to_x86(&k, &s);
    CHECK_EQ(s.flags & SEGF_P, 0);
    CHECK_EQ(s.flags & 0x1f, SEGF_S | 3);
    /* and a not-present segment goes to KVM as unusable */
    struct kvm_segment back;
    kvm_segment_from_x86(&s, &back);
    CHECK_EQ(back.unusable, 1);
}

TEST_CASE(granularity_only_fixed_when_impossible)
{
    struct kvm_segment k;
    /* 0xfffff may come from G=0 or from limit 0xff with G=1: keep both. */
    X86Segment a = { 0, 0, 0xfffff, SEGF_P | SEGF_S | 3 | SEGF_G };
    kvm_segment_from_x86(&a, &k);
    CHECK_EQ(k.g, 1);
    a.flags &= (uint16_t)~SEGF_G;
    kvm_segment_from_x86(&a, &k);
    CHECK_EQ(k.g, 0);
    /* A limit whose bits 11:0 are not all ones cannot have G=1. */
    X86Segment b = { 0, 0, 0x8000, SEGF_P | SEGF_S | 3 | SEGF_G };
    kvm_segment_from_x86(&b, &k);
    CHECK_EQ(k.g, 0);
    /* 4 GiB limit needs G=1. */
    X86Segment c = { 0, 0, 0xffffffff, SEGF_P | SEGF_S | 3 };
    kvm_segment_from_x86(&c, &k);
    CHECK_EQ(k.g, 1);
}

static void sample_regs(X86Regs *r)
{
    x86_regs_flat32(r, 0x12345678);
    for (int i = 0; i < 16; i++)
        r->gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
    r->rflags = 0x246;
    r->gdt = (X86DescTable){ 0x8000, 0x27 };
    r->idt = (X86DescTable){ 0x9000, 0x7ff };
    r->cr2 = 0xdead000;
    r->cr3 = 0x5000;
    r->cr4 = CR4_PAE;
    r->cr8 = 5;
    r->seg[SEG_FS].base = 0x7fff00001000ull;
    r->seg[SEG_LDTR] = (X86Segment){ 0x28, 0x4000, 0xff, SEGF_P | SEGF_TYPE(2) };
}

TEST_CASE(regs_round_trip)
{
    X86Regs r, back;
    struct kvm_regs kr;
    struct kvm_sregs ks;
    sample_regs(&r);
    memset(&ks, 0, sizeof(ks));
    kvm_regs_from_x86(&r, &kr, &ks);
    CHECK_EQ(kr.rax, r.gpr[R_EAX]);
    CHECK_EQ(kr.rcx, r.gpr[R_ECX]);
    CHECK_EQ(kr.rdx, r.gpr[R_EDX]);
    CHECK_EQ(kr.rbx, r.gpr[R_EBX]);
    CHECK_EQ(kr.rsp, r.gpr[R_ESP]);
    CHECK_EQ(kr.rbp, r.gpr[R_EBP]);
    CHECK_EQ(kr.rsi, r.gpr[R_ESI]);
    CHECK_EQ(kr.rdi, r.gpr[R_EDI]);
    CHECK_EQ(kr.r15, r.gpr[R_R15]);
    CHECK_EQ(ks.cs.selector, 0x10);
    CHECK_EQ(ks.ldt.selector, 0x28);
    CHECK_EQ(ks.fs.base, 0x7fff00001000ull);
    kvm_regs_to_x86(&kr, &ks, &back);
    CHECK(memcmp(&r, &back, sizeof(r)) == 0);
}

TEST_CASE(power_on_tr_gets_a_busy_tss_type)
{
    X86Regs r;
    struct kvm_regs kr;
    struct kvm_sregs ks;
    x86_regs_reset(&r);
    r.seg[SEG_TR].flags = 0;     /* a loader that left TR empty */
    memset(&ks, 0, sizeof(ks));
    kvm_regs_from_x86(&r, &kr, &ks);
    CHECK(ks.tr.type == 11 || ks.tr.type == 3);
    CHECK_EQ(ks.tr.present, 1);
    CHECK_EQ(ks.tr.s, 0);
    CHECK_EQ(kr.rflags & 2, 2);
}

TEST_CASE(efer_lma_follows_lme_and_paging)
{
    X86Regs r;
    struct kvm_regs kr;
    struct kvm_sregs ks;
    x86_regs_flat32(&r, 0);
    r.efer = EFER_LME;
    memset(&ks, 0, sizeof(ks));
    kvm_regs_from_x86(&r, &kr, &ks);
    CHECK_EQ(ks.efer, EFER_LME);            /* paging off: not active */
    r.cr0 |= CR0_PG;
    r.cr4 |= CR4_PAE;
    kvm_regs_from_x86(&r, &kr, &ks);
    CHECK_EQ(ks.efer, EFER_LME | EFER_LMA);
}

/* ---- CPUID ---- */

static struct kvm_cpuid2 *fake_supported(void)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 16 * sizeof(c->entries[0]));
    struct kvm_cpuid_entry2 *e = c->entries;
    /* leaf 0: max 0x1f, "GenuineIntel" */
    e[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0x1f,
                                      .ebx = 0x756e6547, .edx = 0x49656e69, .ecx = 0x6c65746e };
    /* leaf 1: host APIC id 7, 16 logical, HTT clear */
    e[1] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x50654, .ebx = 0x07100800,
                                      .ecx = 0x1, .edx = 0x1 };
    /* leaf 4: L1d (type 1, level 1) and L3 (type 3, level 3), host sharing */
    e[2] = (struct kvm_cpuid_entry2){ .function = 4, .index = 0,
                                      .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                      .eax = (7u << 26) | (1u << 14) | (1 << 5) | 1 };
    e[3] = (struct kvm_cpuid_entry2){ .function = 4, .index = 1,
                                      .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                      .eax = (7u << 26) | (15u << 14) | (3 << 5) | 3 };
    e[4] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0,
                                      .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                      .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 7 };
    e[5] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001 };
    e[6] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0xffff };
    e[7] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .eax = 0x3027, .ecx = 0x7007 };
    c->nent = 8;
    return c;
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == fn && c->entries[i].index == idx)
            return &c->entries[i];
    return NULL;
}

TEST_CASE(cpuid_topology_of_cpu2_of_3)
{
    struct kvm_cpuid2 *sup = fake_supported();
    struct kvm_cpuid2 *c = kvm_cpuid_for_vcpu(sup, 2, 3);
    const struct kvm_cpuid_entry2 *e = leaf(c, 1, 0);
    CHECK(e);
    CHECK_EQ(e->ebx >> 24, 2);                  /* initial APIC id */
    CHECK_EQ((e->ebx >> 16) & 0xff, 4);         /* addressable ids: next power of two */
    CHECK_EQ(e->ebx & 0xffff, 0x0800);          /* CLFLUSH size etc. kept */
    CHECK(e->ecx & (1u << 31));                 /* hypervisor present */
    CHECK(e->edx & (1u << 28));                 /* HTT: the count above is valid */
    e = leaf(c, 4, 0);
    CHECK(e);
    CHECK_EQ(e->eax >> 26, 3);                  /* cores per package - 1 */
    CHECK_EQ((e->eax >> 14) & 0xfff, 0);        /* L1 private */
    CHECK_EQ(e->eax & 0x3fff, (1 << 5) | 1);
    e = leaf(c, 4, 1);
    CHECK_EQ((e->eax >> 14) & 0xfff, 3);        /* L3 shared by the package */
    /* leaf 0BH: SMT level of one thread, core level of 3 cores, then invalid */
    e = leaf(c, 0xb, 0);
    CHECK(e);
    CHECK_EQ(e->eax & 0x1f, 0);
    CHECK_EQ(e->ebx & 0xffff, 1);
    CHECK_EQ(e->ecx, 0x100);
    CHECK_EQ(e->edx, 2);
    e = leaf(c, 0xb, 1);
    CHECK(e);
    CHECK_EQ(e->eax & 0x1f, 2);
    CHECK_EQ(e->ebx & 0xffff, 3);
    CHECK_EQ(e->ecx, 0x201);
    CHECK_EQ(e->edx, 2);
    e = leaf(c, 0xb, 2);
    CHECK(e);
    CHECK_EQ(e->ebx & 0xffff, 0);
    CHECK_EQ((e->ecx >> 8) & 0xff, 0);
    CHECK(leaf(c, 0x1f, 1) != NULL);
    CHECK(leaf(c, 0x40000000, 0) == NULL);      /* no KVM paravirt leaves */
    CHECK(leaf(c, 0x40000001, 0) == NULL);
    CHECK_EQ(leaf(c, 0x80000008, 0)->ecx, 0x7007);   /* Intel: AMD core count untouched */
    free(c);
    free(sup);
}

TEST_CASE(cpuid_single_cpu_has_no_htt)
{
    struct kvm_cpuid2 *sup = fake_supported();
    sup->entries[1].edx |= 1u << 28;
    struct kvm_cpuid2 *c = kvm_cpuid_for_vcpu(sup, 0, 1);
    const struct kvm_cpuid_entry2 *e = leaf(c, 1, 0);
    CHECK_EQ(e->ebx >> 24, 0);
    CHECK_EQ((e->ebx >> 16) & 0xff, 1);
    CHECK_EQ(e->edx & (1u << 28), 0);
    CHECK_EQ(leaf(c, 0xb, 1)->ebx & 0xffff, 1);
    free(c);
    free(sup);
}

TEST_CASE(cpu_models)
{
    CHECK(kvm_cpuid_model_ok(NULL));
    CHECK(kvm_cpuid_model_ok("host"));
    CHECK(kvm_cpuid_model_ok("max"));
    CHECK(!kvm_cpuid_model_ok("qemu64"));
}

/* ---- a real VM ---- */

#define RAM_SIZE   (1u << 20)
#define CODE_ADDR  0x1000
#define HIGH_ADDR  0x100000      /* a second RAM region, re-mapped by a test */
#define MMIO_ADDR  0xe0000000u
#define PORT_CON   0xe9
#define PORT_EXIT  0xf4

static Machine *vm;
static uint8_t *ram;
static uint8_t high_a[4096] __attribute__((aligned(4096)));
static uint8_t high_b[4096] __attribute__((aligned(4096)));
static MemoryRegion *high_mr;
static uint64_t last_out, mmio_write_value;
static unsigned mmio_write_size;
static const char *skip_reason;

static uint64_t con_read(void *o, uint64_t off, unsigned size) { (void)o, (void)off, (void)size; return 0xa5; }
static void con_write(void *o, uint64_t off, uint64_t v, unsigned size) { (void)o, (void)off, (void)size; last_out = v; }
static const MemoryRegionOps con_ops = { .read = con_read, .write = con_write, .max_access = 4 };
static void exit_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    (void)o, (void)off, (void)size;
    machine_request_exit(vm, (int)v);
}
static const MemoryRegionOps exit_ops = { .read = con_read, .write = exit_write, .max_access = 4 };
static uint64_t mmio_read(void *o, uint64_t off, unsigned size) { (void)o, (void)size; return 0x11223344u + off; }
static void mmio_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    (void)o, (void)off;
    mmio_write_value = v;
    mmio_write_size = size;
}
static const MemoryRegionOps mmio_ops = { .read = mmio_read, .write = mmio_write, .max_access = 8 };

/* 32-bit flat code: OUT, IN, a RAM read at HIGH_ADDR, an MMIO read and
 * write, then OUT to the exit port and HLT. No GDT needed: the segment
 * caches come from the registers we load. */
static const uint8_t guest_code[] = {
    0xb0, 0x5a,                               /* mov al, 0x5a */
    0xe6, PORT_CON,                           /* out 0xe9, al */
    0xe4, PORT_CON,                           /* in al, 0xe9 */
    0x89, 0xc3,                               /* mov ebx, eax */
    0xa1, 0x00, 0x00, 0x10, 0x00,             /* mov eax, [0x100000] */
    0x89, 0xc1,                               /* mov ecx, eax */
    0x8b, 0x15, 0x08, 0x00, 0x00, 0xe0,       /* mov edx, [0xe0000008] */
    0xc7, 0x05, 0x04, 0x00, 0x00, 0xe0,       /* mov dword [0xe0000004], 0xcafef00d */
    0x0d, 0xf0, 0xfe, 0xca,
    0xb0, 0x03,                               /* mov al, 3 */
    0xe6, PORT_EXIT,                          /* out 0xf4, al */
    0xf4,                                     /* hlt */
    0xeb, 0xfd,                               /* jmp hlt */
};

static bool vm_open(int ncpus)
{
    static MachineOptions opts;
    const AccelOps *kvm;
    int fd = open("/dev/kvm", O_RDWR);

    if (fd < 0) {
        skip_reason = "/dev/kvm not usable on this host";
        return false;
    }
    close(fd);
    if (vm)
        return true;
    kvm = accel_find("kvm");
    if (!kvm) {
        skip_reason = "kvm accelerator not linked";
        return false;
    }
    opts.smp = ncpus;
    mainloop_init();
    machine_lock();
    vm = calloc(1, sizeof(*vm));
    vm->opts = &opts;
    vm->ncpus = ncpus;
    vm->mem = address_space_new("memory");
    vm->io = address_space_new("io");
    vm->accel = kvm;
    kvm->init(vm, NULL);
    ram = machine_alloc_ram(vm, RAM_SIZE);
    as_map_ram(vm->mem, "ram", 0, RAM_SIZE, ram);
    memset(high_a, 0, sizeof(high_a));
    memset(high_b, 0, sizeof(high_b));
    memcpy(high_a, "\x01\x02\x03\x04", 4);
    memcpy(high_b, "\xaa\xbb\xcc\xdd", 4);
    high_mr = as_map_ram(vm->mem, "high", HIGH_ADDR, sizeof(high_a), high_a);
    as_map_io(vm->mem, "mmio", MMIO_ADDR, 0x1000, &mmio_ops, NULL);
    as_map_io(vm->io, "con", PORT_CON, 1, &con_ops, NULL);
    as_map_io(vm->io, "exit", PORT_EXIT, 1, &exit_ops, NULL);
    memcpy(ram + CODE_ADDR, guest_code, sizeof(guest_code));
    x86_regs_flat32(&vm->boot_regs, CODE_ADDR);
    vm->boot_regs.gpr[R_ESP] = 0x8000;
    kvm->vcpus_create(vm);
    kvm->reset_vcpus(vm);
    kvm->start(vm);
    kvm->pause_all(vm);
    return true;
}

/* Reset, run until the guest asks to exit (or 10 s pass), pause. */
static int vm_run(void)
{
    vm->request = REQUEST_NONE;
    vm->accel->reset_vcpus(vm);
    vm->accel->resume_all(vm);
    for (int i = 0; i < 100 && vm->request == REQUEST_NONE; i++)
        mainloop_iterate(100 * 1000 * 1000);
    vm->accel->pause_all(vm);
    return vm->request == REQUEST_EXIT ? vm->exit_status : -1;
}

TEST_CASE(vm_regs_round_trip_through_kvm)
{
    if (!vm_open(2))
        SKIP(skip_reason);
    X86Regs r, back;
    sample_regs(&r);
    r.cr4 = 0;          /* PAE without paging is fine, but keep it plain */
    vm->accel->set_regs(vm, 0, &r);
    vm->accel->get_regs(vm, 0, &back);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(back.gpr[i], r.gpr[i]);
    CHECK_EQ(back.rip, r.rip);
    CHECK_EQ(back.rflags, r.rflags);
    for (int i = 0; i < SEG_COUNT; i++) {
        CHECK_EQ(back.seg[i].selector, r.seg[i].selector);
        CHECK_EQ(back.seg[i].base, r.seg[i].base);
        CHECK_EQ(back.seg[i].limit, r.seg[i].limit);
        CHECK_EQ(back.seg[i].flags, r.seg[i].flags);
    }
    CHECK_EQ(back.gdt.base, r.gdt.base);
    CHECK_EQ(back.gdt.limit, r.gdt.limit);
    CHECK_EQ(back.idt.base, r.idt.base);
    CHECK_EQ(back.idt.limit, r.idt.limit);
    CHECK_EQ(back.cr0, r.cr0);
    CHECK_EQ(back.cr2, r.cr2);
    CHECK_EQ(back.cr3, r.cr3);
    CHECK_EQ(back.cr8, r.cr8);
}

TEST_CASE(vm_runs_port_io_and_mmio)
{
    if (!vm_open(2))
        SKIP(skip_reason);
    last_out = 0;
    CHECK_EQ(vm_run(), 3);
    X86Regs r;
    vm->accel->get_regs(vm, 0, &r);
    CHECK_EQ(last_out, 0x5a);
    CHECK_EQ(r.gpr[R_EBX] & 0xff, 0xa5);          /* IN result */
    CHECK_EQ(r.gpr[R_ECX], 0x04030201);           /* RAM slot at HIGH_ADDR */
    CHECK_EQ(r.gpr[R_EDX], 0x11223344u + 8);      /* MMIO read */
    CHECK_EQ(mmio_write_value, 0xcafef00d);
    CHECK_EQ(mmio_write_size, 4);
    /* Paused right after the OUT, or in the HLT after it. */
    CHECK(r.rip == CODE_ADDR + sizeof(guest_code) - 3 || r.rip == CODE_ADDR + sizeof(guest_code) - 2);
}

TEST_CASE(vm_slots_follow_the_memory_map)
{
    if (!vm_open(2))
        SKIP(skip_reason);
    X86Regs r;
    /* Disabled: the read is unassigned (an MMIO exit) and reads all ones. */
    memory_region_set_enabled(high_mr, false);
    CHECK_EQ(vm_run(), 3);
    vm->accel->get_regs(vm, 0, &r);
    CHECK_EQ(r.gpr[R_ECX], 0xffffffff);
    /* Other host memory at the same address: the slot must be replaced. */
    memory_region_unmap(high_mr);
    high_mr = as_map_ram(vm->mem, "high-b", HIGH_ADDR, sizeof(high_b), high_b);
    CHECK_EQ(vm_run(), 3);
    vm->accel->get_regs(vm, 0, &r);
    CHECK_EQ(r.gpr[R_ECX], 0xddccbbaa);
    /* A sync with nothing changed keeps every slot as it is. */
    KvmState *ks = kvm_state(vm);
    KvmSlot before[KVM_MAX_SLOTS];
    memcpy(before, ks->slots, sizeof(before));
    kvm_slots_sync(ks);
    CHECK(memcmp(before, ks->slots, sizeof(before)) == 0);
}

/* This machine names no place for KVM's own pages: KVM takes a free gap
 * below 4 GiB. RAM the guest later maps over them stays out of the slots
 * (its accesses there are emulated); the rest of that RAM gets slots. */
TEST_CASE(vm_kvm_pages_stay_out_of_slots)
{
    static uint8_t over[0x10000] __attribute__((aligned(4096)));
    if (!vm_open(2))
        SKIP(skip_reason);
    uint64_t base = vm->accel_pages_base, end = base + MACHINE_ACCEL_PAGES_SIZE;
    CHECK(base != 0);
    CHECK_EQ(base & (KVM_PAGE_SIZE - 1), 0);
    CHECK(end <= 1ull << 32);
    for (uint64_t a = base; a < end; a += KVM_PAGE_SIZE)
        CHECK(address_space_lookup(vm->mem, a) == NULL);
    MemoryRegion *mr = as_map_ram(vm->mem, "over", base - 0x4000, sizeof(over), over);
    KvmState *ks = kvm_state(vm);
    bool below = false, above = false;
    for (int id = 0; id < ks->max_slots; id++) {
        const KvmSlot *sl = &ks->slots[id];
        if (!sl->used)
            continue;
        CHECK(sl->gpa + sl->size <= base || sl->gpa >= end);
        below |= sl->gpa == base - 0x4000 && sl->size == 0x4000 && sl->host == (uintptr_t)over;
        above |= sl->gpa == end && sl->host == (uintptr_t)over + 0x8000;
    }
    CHECK(below);
    CHECK(above);
    memory_region_unmap(mr);
    CHECK_EQ(vm_run(), 3);
}

static uint32_t lapic_reg(KvmVcpu *v, unsigned off)
{
    struct kvm_lapic_state l;
    uint32_t x;
    if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
        return 0xdeadbeef;
    memcpy(&x, &l.regs[off], 4);
    return x;
}

TEST_CASE(vm_reset_state_of_bsp_and_ap)
{
    if (!vm_open(2))
        SKIP(skip_reason);
    KvmState *ks = kvm_state(vm);
    X86Regs r;
    struct kvm_mp_state mp;
    struct kvm_sregs sr;

    CHECK_EQ(vm_run(), 3);                    /* dirty the state first */
    vm->accel->reset_vcpus(vm);
    vm->accel->get_regs(vm, 0, &r);
    CHECK_EQ(r.rip, CODE_ADDR);
    CHECK_EQ(r.gpr[R_ESP], 0x8000);
    CHECK_EQ(r.seg[SEG_CS].selector, 0x10);
    /* AP: power-on registers, waiting for INIT/SIPI (SDM vol. 3 §10.1) */
    vm->accel->get_regs(vm, 1, &r);
    CHECK_EQ(r.rip, 0xfff0);
    CHECK_EQ(r.seg[SEG_CS].selector, 0xf000);
    CHECK_EQ(r.cr0, 0x60000010);
    CHECK(ioctl(ks->vcpus[1].fd, KVM_GET_MP_STATE, &mp) == 0);
    CHECK_EQ(mp.mp_state, KVM_MP_STATE_UNINITIALIZED);
    CHECK(ioctl(ks->vcpus[0].fd, KVM_GET_MP_STATE, &mp) == 0);
    CHECK_EQ(mp.mp_state, KVM_MP_STATE_RUNNABLE);
    /* APIC base: enabled, BSP flag only on CPU 0 */
    CHECK(ioctl(ks->vcpus[0].fd, KVM_GET_SREGS, &sr) == 0);
    CHECK_EQ(sr.apic_base, 0xfee00900);
    CHECK(ioctl(ks->vcpus[1].fd, KVM_GET_SREGS, &sr) == 0);
    CHECK_EQ(sr.apic_base, 0xfee00800);
    /* LAPIC after reset (SDM vol. 3 §11.4.7.1): ID, DFR all ones, SVR 0xff,
     * LVTs masked; the BSP's LINT0 in virtual-wire ExtINT mode. */
    CHECK_EQ(lapic_reg(&ks->vcpus[1], 0x20) >> 24, 1);
    CHECK_EQ(lapic_reg(&ks->vcpus[1], 0xe0), 0xffffffff);
    CHECK_EQ(lapic_reg(&ks->vcpus[1], 0xf0), 0xff);
    CHECK_EQ(lapic_reg(&ks->vcpus[1], 0x320), 0x10000);
    CHECK_EQ(lapic_reg(&ks->vcpus[1], 0x350), 0x10000);
    CHECK_EQ(lapic_reg(&ks->vcpus[0], 0x350), 0x700);
}

TEST_CASE(vm_cpuid_gives_each_cpu_its_apic_id)
{
    if (!vm_open(2))
        SKIP(skip_reason);
    KvmState *ks = kvm_state(vm);
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + KVM_MAX_CPUID_ENTRIES * sizeof(c->entries[0]));
    c->nent = KVM_MAX_CPUID_ENTRIES;
    CHECK(ioctl(ks->vcpus[1].fd, KVM_GET_CPUID2, c) == 0);
    const struct kvm_cpuid_entry2 *e = leaf(c, 1, 0);
    CHECK(e);
    CHECK_EQ(e->ebx >> 24, 1);
    CHECK(e->ecx & (1u << 31));
    CHECK(leaf(c, 0x40000000, 0) == NULL);
    free(c);
}

int main(void)
{
    RUN(segment_flags_map_to_kvm_fields);
    RUN(unusable_segment_reads_as_not_present);
    RUN(granularity_only_fixed_when_impossible);
    RUN(regs_round_trip);
    RUN(power_on_tr_gets_a_busy_tss_type);
    RUN(efer_lma_follows_lme_and_paging);
    RUN(cpuid_topology_of_cpu2_of_3);
    RUN(cpuid_single_cpu_has_no_htt);
    RUN(cpu_models);
    RUN(vm_regs_round_trip_through_kvm);
    RUN(vm_runs_port_io_and_mmio);
    RUN(vm_slots_follow_the_memory_map);
    RUN(vm_kvm_pages_stay_out_of_slots);
    RUN(vm_reset_state_of_bsp_and_ap);
    RUN(vm_cpuid_gives_each_cpu_its_apic_id);
    if (vm) {
        vm->accel->shutdown(vm);
        machine_unlock();
    }
    TEST_EXIT();
}
