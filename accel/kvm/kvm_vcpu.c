/*
 * KVM vCPUs: one thread per vCPU looping on KVM_RUN, port I/O and MMIO exits
 * dispatched to the machine's address spaces under the machine lock, the
 * pause/resume handshake, and the architectural reset state (Intel SDM
 * vol. 3 §10.1 "Initialization overview", §11.4.7.1 local APIC state after
 * reset) plus the loader's MSRs (x86_state.h). Left out: guest debugging,
 * SMM, user-space HLT/interrupt injection.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE        /* pthread_setname_np */
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm_internal.h"
#include "mimic/log.h"
#include "mimic/mainloop.h"

/* Local APIC register offsets in the KVM_GET/SET_LAPIC page (SDM vol. 3
 * table 11-1). */
#define LAPIC_ID        0x020
#define LAPIC_VERSION   0x030
#define LAPIC_DFR       0x0e0
#define LAPIC_SVR       0x0f0
#define LAPIC_LVT_CMCI  0x2f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_LVT_MASKED 0x10000u
/* Virtual-wire mode for the BSP: PIC output delivered as ExtINT through
 * LINT0, as firmware sets it up and as KVM does for a new BSP. */
#define LAPIC_LVT_EXTINT 0x700u

/* MSRs that a reset returns to their power-on values (SDM vol. 4; the
 * rest KVM resets itself or the guest never reads before writing). */
static const struct { uint32_t index; uint64_t value; } reset_msrs[] = {
    { 0x00000174, 0 },                        /* IA32_SYSENTER_CS */
    { 0x00000175, 0 },                        /* IA32_SYSENTER_ESP */
    { 0x00000176, 0 },                        /* IA32_SYSENTER_EIP */
    { 0x00000277, 0x0007040600070406ull },    /* IA32_PAT */
    { 0x000002ff, 0 },                        /* IA32_MTRR_DEF_TYPE */
    { 0x000006e0, 0 },                        /* IA32_TSC_DEADLINE */
    { 0xc0000081, 0 },                        /* STAR */
    { 0xc0000082, 0 },                        /* LSTAR */
    { 0xc0000083, 0 },                        /* CSTAR */
    { 0xc0000084, 0 },                        /* SFMASK */
    { 0xc0000102, 0 },                        /* KERNEL_GS_BASE */
    { 0xc0000103, 0 },                        /* TSC_AUX */
};
#define RESET_MSR_COUNT (sizeof(reset_msrs) / sizeof(reset_msrs[0]))

static void vcpu_ioctl(KvmVcpu *v, unsigned long req, void *arg, const char *name)
{
    if (ioctl(v->fd, req, arg) < 0)
        fatal("kvm: cpu %d: %s failed: %s", v->index, name, strerror(errno));
}
#define VCPU_IOCTL(v, req, arg) vcpu_ioctl(v, req, arg, #req)

/* ---- register state ---- */

static void lapic_set(struct kvm_lapic_state *l, unsigned off, uint32_t value)
{
    memcpy(&l->regs[off], &value, sizeof(value));
}

static void vcpu_reset_lapic(KvmVcpu *v, bool bsp)
{
    struct kvm_lapic_state l;
    uint32_t version;

    VCPU_IOCTL(v, KVM_GET_LAPIC, &l);
    memcpy(&version, &l.regs[LAPIC_VERSION], sizeof(version));
    memset(&l, 0, sizeof(l));
    lapic_set(&l, LAPIC_VERSION, version);
    lapic_set(&l, LAPIC_ID, (uint32_t)v->index << 24);
    lapic_set(&l, LAPIC_DFR, 0xffffffffu);
    lapic_set(&l, LAPIC_SVR, 0xff);
    lapic_set(&l, LAPIC_LVT_CMCI, LAPIC_LVT_MASKED);
    for (unsigned off = LAPIC_LVT_TIMER; off <= LAPIC_LVT_ERROR; off += 0x10)
        lapic_set(&l, off, LAPIC_LVT_MASKED);
    if (bsp)
        lapic_set(&l, LAPIC_LVT_LINT0, LAPIC_LVT_EXTINT);
    VCPU_IOCTL(v, KVM_SET_LAPIC, &l);
}

static void vcpu_reset_msrs(KvmVcpu *v)
{
    KvmState *ks = v->ks;
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[RESET_MSR_COUNT];
    } msrs;
    unsigned n = 0;

    memset(&msrs, 0, sizeof(msrs));
    for (unsigned i = 0; i < RESET_MSR_COUNT; i++) {
        bool known = false;
        for (int j = 0; j < ks->nmsrs && !known; j++)
            known = ks->msr_list[j] == reset_msrs[i].index;
        if (!known)
            continue;
        msrs.e[n].index = reset_msrs[i].index;
        msrs.e[n].data = reset_msrs[i].value;
        n++;
    }
    msrs.hdr.nmsrs = n;
    int r = ioctl(v->fd, KVM_SET_MSRS, &msrs);
    if (r != (int)n)
        log_mask_printf(LOG_KVM, "kvm: cpu %d: reset %d of %u MSRs\n", v->index, r, n);
}

/* MAXPHYADDR of our vCPUs: they get KVM's supported CPUID leaf 80000008h
 * unchanged in EAX (kvm_cpuid.c). */
static unsigned vcpu_phys_bits(const KvmState *ks)
{
    const struct kvm_cpuid2 *c = ks->supported_cpuid;

    for (uint32_t i = 0; c && i < c->nent; i++)
        if (c->entries[i].function == 0x80000008 && (c->entries[i].eax & 0xff))
            return c->entries[i].eax & 0xff;
    return 36;      /* SDM vol. 3 11.11.2.3: the width without that leaf */
}

/* The loader's MSRs (x86_state.h), after everything else of the state. */
static void vcpu_load_msrs(KvmVcpu *v, const X86Regs *r)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[X86_REGS_MAX_MSRS];
    } msrs;
    unsigned phys_bits = vcpu_phys_bits(v->ks);
    int n = r->nmsrs < X86_REGS_MAX_MSRS ? r->nmsrs : X86_REGS_MAX_MSRS;

    if (n <= 0)
        return;
    memset(&msrs, 0, sizeof(msrs));
    for (int i = 0; i < n; i++) {
        msrs.e[i].index = r->msrs[i].index;
        msrs.e[i].data = x86_msr_fit_phys_bits(r->msrs[i].index, r->msrs[i].value, phys_bits);
    }
    msrs.hdr.nmsrs = (uint32_t)n;
    /* KVM_SET_MSRS stops at the first MSR it refuses and returns the count set. */
    int done = ioctl(v->fd, KVM_SET_MSRS, &msrs);
    if (done < 0)
        fatal("kvm: cpu %d: KVM_SET_MSRS failed: %s", v->index, strerror(errno));
    if (done < n)
        warn("kvm: cpu %d: MSR %#x <- %#llx from the loader refused; %d later ones not set",
             v->index, msrs.e[done].index, (unsigned long long)msrs.e[done].data, n - done - 1);
}

/* Everything a reset (power-on or INIT) gives a CPU: `r` for the registers
 * the loader chooses, power-on values for the rest. */
static void vcpu_load_reset(KvmVcpu *v, const X86Regs *r)
{
    bool bsp = v->index == 0;
    struct kvm_vcpu_events events;
    struct kvm_regs kr;
    struct kvm_sregs sr;
    struct kvm_fpu fpu;
    struct kvm_debugregs dbg;
    struct kvm_mp_state mp;

    memset(&events, 0, sizeof(events));
    events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
                   KVM_VCPUEVENT_VALID_SHADOW;
    VCPU_IOCTL(v, KVM_SET_VCPU_EVENTS, &events);

    VCPU_IOCTL(v, KVM_GET_SREGS, &sr);
    memset(&kr, 0, sizeof(kr));
    kvm_regs_from_x86(r, &kr, &sr);
    memset(sr.interrupt_bitmap, 0, sizeof(sr.interrupt_bitmap));
    sr.apic_base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE | (bsp ? APIC_BASE_BSP : 0);
    VCPU_IOCTL(v, KVM_SET_SREGS, &sr);
    VCPU_IOCTL(v, KVM_SET_REGS, &kr);
    vcpu_reset_lapic(v, bsp);

    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = 0x037f;      /* FINIT state */
    fpu.mxcsr = 0x1f80;
    VCPU_IOCTL(v, KVM_SET_FPU, &fpu);
    if (v->ks->have_xcrs) {
        struct kvm_xcrs xcrs;
        memset(&xcrs, 0, sizeof(xcrs));
        xcrs.nr_xcrs = 1;
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = 1;     /* XCR0: x87 only */
        if (ioctl(v->fd, KVM_SET_XCRS, &xcrs) < 0)
            log_mask_printf(LOG_KVM, "kvm: cpu %d: KVM_SET_XCRS: %s\n", v->index, strerror(errno));
    }
    memset(&dbg, 0, sizeof(dbg));
    dbg.dr6 = 0xffff0ff0;
    dbg.dr7 = 0x400;
    VCPU_IOCTL(v, KVM_SET_DEBUGREGS, &dbg);
    vcpu_reset_msrs(v);
    vcpu_load_msrs(v, r);

    /* Application processors wait for INIT-SIPI from the BSP; the in-kernel
     * LAPIC starts them at CS = vector << 8, IP = 0. */
    mp.mp_state = bsp ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED;
    VCPU_IOCTL(v, KVM_SET_MP_STATE, &mp);
}

static void vcpu_load_regs(KvmVcpu *v, const X86Regs *r)
{
    struct kvm_regs kr;
    struct kvm_sregs sr;

    VCPU_IOCTL(v, KVM_GET_SREGS, &sr);
    memset(&kr, 0, sizeof(kr));
    kvm_regs_from_x86(r, &kr, &sr);
    VCPU_IOCTL(v, KVM_SET_SREGS, &sr);
    VCPU_IOCTL(v, KVM_SET_REGS, &kr);
    vcpu_load_msrs(v, r);
}

static KvmVcpu *vcpu_get(Machine *m, int cpu)
{
    KvmState *ks = kvm_state(m);

    if (!ks->vcpus || cpu < 0 || cpu >= ks->nvcpus) {
        warn("kvm: no vCPU %d", cpu);
        return NULL;
    }
    return &ks->vcpus[cpu];
}

/* Register access pauses the vCPUs (a no-op when the caller already has),
 * so the state is never that of a half-done I/O instruction. */
void kvm_vcpu_get_regs(Machine *m, int cpu, X86Regs *regs)
{
    KvmVcpu *v = vcpu_get(m, cpu);
    struct kvm_regs kr;
    struct kvm_sregs sr;

    memset(regs, 0, sizeof(*regs));
    if (!v)
        return;
    kvm_vcpus_pause(m);
    VCPU_IOCTL(v, KVM_GET_REGS, &kr);
    VCPU_IOCTL(v, KVM_GET_SREGS, &sr);
    kvm_regs_to_x86(&kr, &sr, regs);
    kvm_vcpus_resume(m);
}

void kvm_vcpu_set_regs(Machine *m, int cpu, const X86Regs *regs)
{
    KvmVcpu *v = vcpu_get(m, cpu);

    if (!v)
        return;
    kvm_vcpus_pause(m);
    vcpu_load_regs(v, regs);
    kvm_vcpus_resume(m);
}

void kvm_vcpus_reset(Machine *m)
{
    KvmState *ks = kvm_state(m);

    kvm_vcpus_pause(m);
    for (int i = 0; i < ks->nvcpus; i++) {
        X86Regs r;
        if (i == 0) {
            r = m->boot_regs;
        } else {
            /* APs: power-on registers, but the boot MSRs (x86_state.h). */
            x86_regs_reset(&r);
            r.nmsrs = m->boot_regs.nmsrs < X86_REGS_MAX_MSRS ? m->boot_regs.nmsrs
                                                             : X86_REGS_MAX_MSRS;
            if (r.nmsrs > 0)
                memcpy(r.msrs, m->boot_regs.msrs, (size_t)r.nmsrs * sizeof(r.msrs[0]));
        }
        vcpu_load_reset(&ks->vcpus[i], &r);
        ks->vcpus[i].stopped = false;
    }
    kvm_vcpus_resume(m);
}

/* ---- exits ---- */

/* Something KVM cannot go on with: say what and where, end mimic with
 * status 1, and keep this vCPU stopped. */
static void __attribute__((format(printf, 2, 3))) vcpu_fail(KvmVcpu *v, const char *fmt, ...)
{
    struct kvm_regs kr;
    struct kvm_sregs sr;
    char what[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    memset(&kr, 0, sizeof(kr));
    memset(&sr, 0, sizeof(sr));
    if (ioctl(v->fd, KVM_GET_REGS, &kr) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
        log_mask_printf(LOG_KVM, "kvm: cpu %d: cannot read registers\n", v->index);

    fprintf(stderr, "mimic: kvm: %s at rip=0x%llx (cs=0x%04x cr0=0x%llx, cpu %d)\n", what,
            (unsigned long long)kr.rip, sr.cs.selector, (unsigned long long)sr.cr0, v->index);
    log_mask_printf(LOG_KVM,
                    "kvm: cpu %d rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
                    "kvm: rsi=%016llx rdi=%016llx rsp=%016llx rbp=%016llx rflags=%08llx\n"
                    "kvm: cs base=%llx ss=%04x cr3=%llx cr4=%llx efer=%llx\n",
                    v->index, (unsigned long long)kr.rax, (unsigned long long)kr.rbx,
                    (unsigned long long)kr.rcx, (unsigned long long)kr.rdx,
                    (unsigned long long)kr.rsi, (unsigned long long)kr.rdi,
                    (unsigned long long)kr.rsp, (unsigned long long)kr.rbp,
                    (unsigned long long)kr.rflags, (unsigned long long)sr.cs.base,
                    sr.ss.selector, (unsigned long long)sr.cr3, (unsigned long long)sr.cr4,
                    (unsigned long long)sr.efer);
    machine_request_exit(v->m, 1);
    v->stopped = true;
}

static void vcpu_exit_io(KvmVcpu *v)
{
    struct kvm_run *run = v->run;
    AddressSpace *io = v->m->io;
    unsigned size = run->io.size;
    uint64_t count = run->io.count, off = run->io.data_offset;
    uint64_t avail = (uint64_t)v->ks->run_size;

    if ((size != 1 && size != 2 && size != 4) || off > avail || count > (avail - off) / size) {
        vcpu_fail(v, "malformed I/O exit (port 0x%x size %u count %llu)", run->io.port, size,
                  (unsigned long long)count);
        return;
    }
    uint8_t *data = (uint8_t *)run + off;
    log_mask_printf(LOG_KVM, "kvm: cpu %d: %s port 0x%x size %u count %llu\n", v->index,
                    run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.port, size,
                    (unsigned long long)count);
    for (uint64_t i = 0; i < count; i++, data += size) {
        uint64_t value = 0;
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            memcpy(&value, data, size);
            if (io)
                as_write(io, run->io.port, size, value);
        } else {
            value = ~(uint64_t)0;
            if (io)
                as_read(io, run->io.port, size, &value);
            memcpy(data, &value, size);
        }
    }
    v->io_pending = true;
}

static void vcpu_exit_mmio(KvmVcpu *v)
{
    struct kvm_run *run = v->run;
    unsigned len = run->mmio.len;
    uint64_t addr = run->mmio.phys_addr;

    if (len == 0 || len > sizeof(run->mmio.data)) {
        vcpu_fail(v, "malformed MMIO exit (address 0x%llx length %u)", (unsigned long long)addr, len);
        return;
    }
    log_mask_printf(LOG_KVM, "kvm: cpu %d: mmio %s 0x%llx size %u\n", v->index,
                    run->mmio.is_write ? "write" : "read", (unsigned long long)addr, len);
    /* KVM hands over up to 8 bytes, any count: split into 8/4/2/1 pieces. */
    for (unsigned pos = 0; pos < len;) {
        unsigned size = 8;
        uint64_t value = 0;
        while (size > len - pos)
            size >>= 1;
        if (run->mmio.is_write) {
            memcpy(&value, &run->mmio.data[pos], size);
            as_write(v->m->mem, addr + pos, size, value);
        } else {
            as_read(v->m->mem, addr + pos, size, &value);
            memcpy(&run->mmio.data[pos], &value, size);
        }
        pos += size;
    }
    v->io_pending = true;
}

static void vcpu_exit_system_event(KvmVcpu *v)
{
    uint32_t type = v->run->system_event.type;

    if (type == KVM_SYSTEM_EVENT_CRASH) {
        vcpu_fail(v, "guest reported a crash (system event)");
        return;
    }
    if (type == KVM_SYSTEM_EVENT_SHUTDOWN) {
        machine_request_poweroff(v->m);
        v->stopped = true;
    } else if (type == KVM_SYSTEM_EVENT_RESET) {
        machine_request_reset(v->m);
        v->stopped = true;
    } else {
        log_mask_printf(LOG_KVM, "kvm: cpu %d: system event %u ignored\n", v->index, type);
    }
}

static void vcpu_handle_exit(KvmVcpu *v)
{
    struct kvm_run *run = v->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        vcpu_exit_io(v);
        break;
    case KVM_EXIT_MMIO:
        vcpu_exit_mmio(v);
        break;
    case KVM_EXIT_INTR:
        break;
    case KVM_EXIT_SHUTDOWN:
        /* Triple fault: a PC resets (the chipset turns shutdown into RESET). */
        log_mask_printf(LOG_INT | LOG_GUEST_ERRORS,
                        "kvm: cpu %d: triple fault (shutdown), resetting\n", v->index);
        machine_request_reset(v->m);
        v->stopped = true;
        break;
    case KVM_EXIT_HLT:
        /* Only without the in-kernel LAPIC, which nothing here can wake. */
        log_mask_printf(LOG_KVM, "kvm: cpu %d: halted with no in-kernel irqchip\n", v->index);
        v->stopped = true;
        break;
    case KVM_EXIT_SYSTEM_EVENT:
        vcpu_exit_system_event(v);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        vcpu_fail(v, "internal error (suberror %u%s)", run->internal.suberror,
                  run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
                  ": instruction emulation failed" : "");
        break;
    case KVM_EXIT_FAIL_ENTRY:
        vcpu_fail(v, "VM entry failed (hardware reason 0x%llx)",
                  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        break;
    default:
        vcpu_fail(v, "unexpected exit reason %u", run->exit_reason);
        break;
    }
}

/* ---- threads ---- */

static void kick_handler(int sig)
{
    (void)sig;
}

/* Drop kicks that arrived while the thread was outside KVM_RUN: they have
 * done their job (KVM_RUN returned, or the pause flags were seen). */
static void consume_kicks(void)
{
    sigset_t set;
    struct timespec zero = { 0, 0 };

    sigemptyset(&set);
    sigaddset(&set, KVM_KICK_SIGNAL);
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
}

/* With the machine lock held: park while paused or stopped. Returns false
 * when the thread must end; sets *complete_only when KVM_RUN is only to
 * finish a half-done I/O instruction before parking. */
static bool vcpu_wait_runnable(KvmVcpu *v, bool *complete_only)
{
    KvmState *ks = v->ks;

    *complete_only = false;
    for (;;) {
        if (ks->quit)
            return false;
        if (ks->pause_depth == 0 && !v->stopped)
            break;
        if (v->io_pending) {
            *complete_only = true;
            break;
        }
        if (!v->parked) {
            v->parked = true;
            pthread_cond_broadcast(&ks->cond);
        }
        machine_cond_wait(&ks->cond);
    }
    v->parked = false;
    return true;
}

static void *vcpu_thread(void *opaque)
{
    KvmVcpu *v = opaque;
    struct {
        struct kvm_signal_mask hdr;
        uint8_t set[8];       /* the kernel's sigset_t */
    } mask;
    sigset_t cur;

    /* KICK is blocked in this thread (inherited from kvm_vcpus_start) and
     * unblocked only inside KVM_RUN. */
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    sigdelset(&cur, KVM_KICK_SIGNAL);
    mask.hdr.len = sizeof(mask.set);
    memcpy(mask.set, &cur, sizeof(mask.set));
    VCPU_IOCTL(v, KVM_SET_SIGNAL_MASK, &mask);

    machine_lock();
    for (;;) {
        bool complete_only;
        if (!vcpu_wait_runnable(v, &complete_only))
            break;
        machine_unlock();
        if (complete_only) {
            /* KVM finishes pending I/O before it looks at these. */
            if (v->ks->immediate_exit)
                v->run->immediate_exit = 1;
            else
                pthread_kill(pthread_self(), KVM_KICK_SIGNAL);
        }
        int r = ioctl(v->fd, KVM_RUN, 0);
        int err = errno;
        v->run->immediate_exit = 0;
        machine_lock();
        v->io_pending = false;
        if (r < 0) {
            if (err == EINTR || err == EAGAIN)
                consume_kicks();     /* the flags they announce are read next */
            else
                vcpu_fail(v, "KVM_RUN failed: %s", strerror(err));
            continue;
        }
        vcpu_handle_exit(v);
    }
    v->exited = true;
    pthread_cond_broadcast(&v->ks->cond);
    machine_unlock();
    return NULL;
}

void kvm_vcpus_create(Machine *m)
{
    KvmState *ks = kvm_state(m);
    int n = m->ncpus;

    if (ks->vcpus)
        return;
    if (n < 1 || n > MACHINE_MAX_CPUS)
        fatal("-smp %d: the number of CPUs must be 1..%d", n, MACHINE_MAX_CPUS);
    if (n > ks->max_vcpus)
        fatal("-smp %d: this KVM supports at most %d vCPUs", n, ks->max_vcpus);
    ks->immediate_exit = ioctl(ks->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0;

    ks->vcpus = calloc((size_t)n, sizeof(*ks->vcpus));
    if (!ks->vcpus)
        fatal("kvm: out of memory");
    for (int i = 0; i < n; i++) {
        KvmVcpu *v = &ks->vcpus[i];
        v->ks = ks;
        v->m = m;
        v->index = i;
        v->fd = ioctl(ks->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
        if (v->fd < 0)
            fatal("kvm: cannot create vCPU %d: %s", i, strerror(errno));
        v->run = mmap(NULL, (size_t)ks->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
        if (v->run == MAP_FAILED)
            fatal("kvm: cannot map the run area of vCPU %d: %s", i, strerror(errno));
        struct kvm_cpuid2 *cpuid = kvm_cpuid_for_vcpu(ks->supported_cpuid, i, n);
        if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0)
            fatal("kvm: cannot set the CPUID of vCPU %d: %s", i, strerror(errno));
        free(cpuid);
        ks->nvcpus = i + 1;
    }
    kvm_slots_listen(ks);
    kvm_slots_sync(ks);
    kvm_vcpus_reset(m);
}

void kvm_vcpus_start(Machine *m)
{
    KvmState *ks = kvm_state(m);
    struct sigaction sa;
    sigset_t block, old;

    if (ks->started || !ks->vcpus)
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);

    /* Threads start with KICK blocked so that none can slip by unseen. */
    sigemptyset(&block);
    sigaddset(&block, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (int i = 0; i < ks->nvcpus; i++) {
        KvmVcpu *v = &ks->vcpus[i];
        int err = pthread_create(&v->thread, NULL, vcpu_thread, v);
        if (err)
            fatal("kvm: cannot start the thread of vCPU %d: %s", i, strerror(err));
        v->thread_started = true;
        char name[16];
        snprintf(name, sizeof(name), "vcpu%d", i);
        pthread_setname_np(v->thread, name);
    }
    ks->started = true;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void kick_all(KvmState *ks)
{
    for (int i = 0; i < ks->nvcpus; i++) {
        KvmVcpu *v = &ks->vcpus[i];
        if (v->thread_started && !v->exited)
            pthread_kill(v->thread, KVM_KICK_SIGNAL);
    }
}

/* A vCPU thread pausing the machine from an exit handler waits for the
 * others, not for itself. */
static bool all_parked(KvmState *ks)
{
    for (int i = 0; i < ks->nvcpus; i++) {
        KvmVcpu *v = &ks->vcpus[i];
        if (v->thread_started && !v->exited && !v->parked &&
            !pthread_equal(v->thread, pthread_self()))
            return false;
    }
    return true;
}

void kvm_vcpus_pause(Machine *m)
{
    KvmState *ks = kvm_state(m);

    ks->pause_depth++;
    kick_all(ks);
    while (!all_parked(ks))
        machine_cond_wait(&ks->cond);
}

void kvm_vcpus_resume(Machine *m)
{
    KvmState *ks = kvm_state(m);

    if (ks->pause_depth > 0)
        ks->pause_depth--;
    pthread_cond_broadcast(&ks->cond);
}

void kvm_vcpus_destroy(Machine *m)
{
    KvmState *ks = kvm_state(m);

    if (!ks->vcpus)
        return;
    ks->quit = true;
    pthread_cond_broadcast(&ks->cond);
    kick_all(ks);
    for (int i = 0; i < ks->nvcpus; i++) {
        KvmVcpu *v = &ks->vcpus[i];
        if (!v->thread_started)
            continue;
        while (!v->exited)
            machine_cond_wait(&ks->cond);
        pthread_join(v->thread, NULL);
    }
    for (int i = 0; i < ks->nvcpus; i++) {
        munmap(ks->vcpus[i].run, (size_t)ks->run_size);
        close(ks->vcpus[i].fd);
    }
    free(ks->vcpus);
    ks->vcpus = NULL;
    ks->nvcpus = 0;
}
