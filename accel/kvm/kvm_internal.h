/*
 * Private state of the KVM accelerator, shared by its files: the VM and its
 * memory slots (kvm.c), the vCPU threads (kvm_vcpu.c), the X86Regs <->
 * kvm_regs/kvm_sregs conversion (kvm_regs.c) and CPUID setup (kvm_cpuid.c).
 * Reference: Documentation/virt/kvm/api.rst of the Linux kernel.
 */
#ifndef MIMIC_ACCEL_KVM_INTERNAL_H
#define MIMIC_ACCEL_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "mimic/machine.h"
#include "mimic/x86_state.h"

#define KVM_API_VERSION_REQUIRED 12
/* Our slot table; KVM itself usually allows far more (KVM_CAP_NR_MEMSLOTS). */
#define KVM_MAX_SLOTS 256
#define KVM_PAGE_SIZE 4096u
/* Pulls a vCPU thread out of KVM_RUN. Blocked in the vCPU threads except
 * inside KVM_RUN (KVM_SET_SIGNAL_MASK), so a kick is never lost. */
#define KVM_KICK_SIGNAL SIGUSR1
#define KVM_MAX_CPUID_ENTRIES 1024

#define APIC_DEFAULT_BASE 0xfee00000u
#define APIC_BASE_BSP     (1u << 8)
#define APIC_BASE_ENABLE  (1u << 11)

typedef struct KvmState KvmState;

typedef struct KvmSlot {
    bool used;
    uint64_t gpa, size, host;
    uint32_t flags;
} KvmSlot;

typedef struct KvmVcpu {
    KvmState *ks;
    Machine *m;
    int index;                 /* KVM vcpu id == APIC id */
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool thread_started;
    /* Guarded by the machine lock. */
    bool parked;               /* waiting in the pause loop, no I/O half done */
    bool stopped;              /* shut down or failed: runs again only after reset */
    bool io_pending;           /* an I/O exit that KVM completes on the next KVM_RUN */
    bool exited;               /* the thread has ended */
} KvmVcpu;

struct KvmState {
    Machine *m;
    int kvm_fd, vm_fd;
    int run_size;
    bool irqchip;              /* in-kernel PIC, IOAPIC, LAPICs and PIT */
    bool readonly_mem;
    bool have_xcrs;
    bool immediate_exit;       /* KVM_CAP_IMMEDIATE_EXIT */
    int max_vcpus;

    pthread_mutex_t slot_lock;
    KvmSlot slots[KVM_MAX_SLOTS];
    int max_slots;
    bool listening;
    bool warned_rom, warned_align;

    struct kvm_cpuid2 *supported_cpuid;
    uint32_t *msr_list;        /* MSRs KVM can save/restore */
    int nmsrs;

    KvmVcpu *vcpus;
    int nvcpus;
    /* Guarded by the machine lock, waited on with machine_cond_wait: any
     * change of a vCPU's run state, of pause_depth or of quit. */
    pthread_cond_t cond;
    int pause_depth;
    bool quit;
    bool started;
};

static inline KvmState *kvm_state(Machine *m) { return (KvmState *)m->accel_state; }

/* kvm.c */
void kvm_slots_sync(KvmState *ks);
void kvm_slots_listen(KvmState *ks);

/* kvm_vcpu.c. Like every AccelOps call, these run with the machine lock
 * held (main loop, machine construction); waits release it. */
void kvm_vcpus_create(Machine *m);
void kvm_vcpus_start(Machine *m);
void kvm_vcpus_pause(Machine *m);
void kvm_vcpus_resume(Machine *m);
void kvm_vcpus_reset(Machine *m);
void kvm_vcpu_get_regs(Machine *m, int cpu, X86Regs *regs);
void kvm_vcpu_set_regs(Machine *m, int cpu, const X86Regs *regs);
void kvm_vcpus_destroy(Machine *m);

/* kvm_regs.c: pure conversions. kvm_sregs fields that X86Regs lacks
 * (apic_base, interrupt_bitmap) are left as they are. */
void kvm_regs_from_x86(const X86Regs *r, struct kvm_regs *kr, struct kvm_sregs *ks);
void kvm_regs_to_x86(const struct kvm_regs *kr, const struct kvm_sregs *ks, X86Regs *r);
void kvm_segment_from_x86(const X86Segment *s, struct kvm_segment *k);
void kvm_segment_to_x86(const struct kvm_segment *k, X86Segment *s);

/* kvm_cpuid.c */
struct kvm_cpuid2 *kvm_cpuid_supported(int kvm_fd);
/* The CPUID table of vCPU `index` of `ncpus` (one package, one thread per
 * core, APIC id = index), derived from what KVM supports. Caller frees. */
struct kvm_cpuid2 *kvm_cpuid_for_vcpu(const struct kvm_cpuid2 *supported, int index, int ncpus);
/* Is "-cpu name" something this accelerator can give? */
bool kvm_cpuid_model_ok(const char *name);

#endif
