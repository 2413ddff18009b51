/*
 * The tcg accelerator: -accel tcg[,backend=native|interp][,thread=single]
 * [,tb-size=MiB]. One vCPU thread runs every vCPU round-robin (a 10 ms
 * slice when there are several), never holding the machine lock while in
 * generated code; all vCPUs halted -> it sleeps until a kick. Without a
 * kernel irqchip the machine's LAPICs drive each vCPU's INTR/NMI/INIT/SIPI
 * through AccelOps and get its acknowledge cycles and APIC MSR/CR8 accesses
 * (through the frontend's hooks). Design:
 * shared/DESIGN.md "Main loop and time", shared/TCG.md "The exec loop".
 * Left out: thread=multi (one thread per vCPU), icount, gdbstub stepping.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE        /* pthread_setname_np */
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/accel.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"
#include "tcg/exec.h"
#include "tcg/softmmu.h"


#define TCG_RR_SLICE_NS (10 * 1000 * 1000)
/* The frontend the machine types ask for until MachineType names one. */
#define TCG_DEFAULT_FRONTEND "x86_64"

#if defined(__x86_64__) && __has_include("tcg/x86_64/backend.h")
#include "tcg/x86_64/backend.h"
#define TCG_NATIVE_BACKEND (&tcg_x86_64_backend)
#else
#define TCG_NATIVE_BACKEND ((const TCGBackend *)NULL)   /* no code generator for this host */
#endif

typedef struct TcgAccel {
    Machine *m;
    const TCGBackend *backend;
    const TCGFrontend *frontend;
    size_t code_size;
    CPUState **cpus;
    int ncpus;
    /* Each vCPU's INTR level as the interrupt controller drives it: it
     * holds across reset_vcpus and before the vCPUs exist. */
    bool intr_level[MACHINE_MAX_CPUS];
    /* Guarded by the machine lock (waits: machine_cond_wait on cond). */
    pthread_cond_t cond;
    pthread_t thread;
    bool started, exited, parked, quit;
    int pause_depth;
    int current;              /* round-robin position */
    Timer *slice_timer;
    volatile int slice_expired;
} TcgAccel;

static TcgAccel *tcg_accel(Machine *m)
{
    return m->accel_state;
}

static const TCGBackend *native_backend(void)
{
    return TCG_NATIVE_BACKEND;
}

static void parse_opts(TcgAccel *ta, const char *opts)
{
    const char *backend = "native";
    char *copy = opts ? strdup(opts) : NULL, *save = NULL;
    if (opts && !copy)
        fatal("tcg: out of memory");
    ta->code_size = TCG_CODE_BUFFER_DEFAULT;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        const char *val = eq ? eq + 1 : "";
        if (eq)
            *eq = 0;
        if (!strcmp(tok, "backend")) {
            if (strcmp(val, "native") && strcmp(val, "interp"))
                fatal("-accel tcg: backend=%s: expected native or interp", val);
            backend = !strcmp(val, "native") ? "native" : "interp";
        } else if (!strcmp(tok, "thread")) {
            if (!strcmp(val, "multi"))
                fatal("-accel tcg,thread=multi is not supported yet; use thread=single");
            if (strcmp(val, "single"))
                fatal("-accel tcg: thread=%s: expected single or multi", val);
        } else if (!strcmp(tok, "tb-size")) {
            char *end;
            unsigned long mib = strtoul(val, &end, 10);
            if (!*val || *end || mib < 1 || mib > 2048)
                fatal("-accel tcg: tb-size=%s: expected a code buffer size of 1..2048 MiB", val);
            ta->code_size = (size_t)mib << 20;
        } else {
            fatal("-accel tcg: unknown option '%s' (known: backend=native|interp, "
                  "thread=single, tb-size=MiB)", tok);
        }
    }
    free(copy);
    if (!strcmp(backend, "interp")) {
        ta->backend = &tcg_interp_backend;
    } else {
        ta->backend = native_backend();
        if (!ta->backend)
            fatal("-accel tcg: no native code generator for this host; "
                  "use -accel tcg,backend=interp");
    }
}

static void tcg_init(Machine *m, const char *opts)
{
    TcgAccel *ta = calloc(1, sizeof(*ta));
    if (!ta)
        fatal("tcg: out of memory");
    ta->m = m;
    /* The frontend is checked first: without it nothing else matters. */
    ta->frontend = tcg_frontend_find(TCG_DEFAULT_FRONTEND);
    if (!ta->frontend)
        fatal("-accel tcg: the x86 frontend is not built yet; use -accel kvm");
    parse_opts(ta, opts);
    pthread_cond_init(&ta->cond, NULL);
    m->accel_state = ta;
    tcg_exec_init(ta->backend, ta->code_size);
}

static bool tcg_kernel_irqchip(Machine *m)
{
    (void)m;
    return false;
}

static void tcg_set_irq(Machine *m, int gsi, int level)
{
    (void)m;
    (void)level;
    warn("tcg: interrupt line %d raised with no in-kernel irqchip (machine wiring bug)", gsi);
}

/* The vCPU `i` if it exists yet (signals before vcpus_create are dropped,
 * except the INTR level, which is remembered). */
static CPUState *signal_target(TcgAccel *ta, int i, const char *what)
{
    if (i < 0 || i >= MACHINE_MAX_CPUS) {
        warn("tcg: %s for vCPU %d, out of range (machine wiring bug)", what, i);
        return NULL;
    }
    return i < ta->ncpus ? ta->cpus[i] : NULL;
}

static void tcg_cpu_set_intr(Machine *m, int i, int level)
{
    TcgAccel *ta = tcg_accel(m);
    CPUState *cpu = signal_target(ta, i, "INTR");
    if (i >= 0 && i < MACHINE_MAX_CPUS)
        ta->intr_level[i] = level != 0;
    if (!cpu)
        return;
    if (level)
        cpu_interrupt(cpu, CPU_INTERRUPT_HARD);
    else
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_HARD);
}

static void tcg_set_cpu_intr(Machine *m, int level)
{
    tcg_cpu_set_intr(m, 0, level);
}

static void tcg_cpu_nmi(Machine *m, int i)
{
    CPUState *cpu = signal_target(tcg_accel(m), i, "NMI");
    if (cpu)
        cpu_interrupt(cpu, CPU_INTERRUPT_NMI);
}

static void tcg_cpu_init_signal(Machine *m, int i)
{
    CPUState *cpu = signal_target(tcg_accel(m), i, "INIT");
    if (cpu)
        cpu_interrupt(cpu, CPU_INTERRUPT_INIT);
}

static void tcg_cpu_sipi(Machine *m, int i, uint8_t vector)
{
    CPUState *cpu = signal_target(tcg_accel(m), i, "SIPI");
    if (cpu && cpu->frontend->sipi)
        cpu->frontend->sipi(cpu, vector);
}

static void tcg_cpu_tsc_deadline_cleared(Machine *m, int i)
{
    CPUState *cpu = signal_target(tcg_accel(m), i, "TSC deadline");
    if (cpu && cpu->frontend->tsc_deadline_cleared)
        cpu->frontend->tsc_deadline_cleared(cpu);
}

static int tcg_current_cpu_index(Machine *m)
{
    CPUState *cpu = tcg_current_cpu();
    return cpu && cpu->machine == m ? cpu->cpu_index : -1;
}

static void tcg_irqchip_connect(Machine *m, const AccelIrqChip *chip)
{
    const TCGFrontend *fe = tcg_accel(m)->frontend;
    if (!fe->set_irqchip)
        fatal("tcg: the %s frontend cannot take this machine's interrupt controllers", fe->name);
    fe->set_irqchip(m, chip);
}

/* Put the remembered INTR levels back on the vCPUs. */
static void restore_intr_levels(TcgAccel *ta)
{
    for (int i = 0; i < ta->ncpus; i++)
        if (ta->intr_level[i])
            cpu_interrupt(ta->cpus[i], CPU_INTERRUPT_HARD);
}

/* DMA and fw_cfg wrote guest RAM behind the TLB: translations of those
 * bytes are stale (a disk read into a page that held code). */
static void dma_written(void *opaque, uint64_t addr, uint64_t len)
{
    (void)opaque;
    tcg_invalidate_phys_range(addr, len);
}

static void map_listener(void *opaque, AddressSpace *as)
{
    (void)as;
    tcg_memory_map_changed(opaque);
}

static void tcg_memory_changed(Machine *m)
{
    tcg_memory_map_changed(m);
}

static void slice_expired(void *opaque)
{
    TcgAccel *ta = opaque;
    ta->slice_expired = 1;
    if (ta->cpus)
        cpu_kick(ta->cpus[ta->current]);
    timer_mod(ta->slice_timer, clock_virtual_ns() + TCG_RR_SLICE_NS);
}

static void tcg_vcpus_create(Machine *m)
{
    TcgAccel *ta = tcg_accel(m);
    int n = m->ncpus;
    if (ta->cpus)
        return;
    if (n < 1 || n > MACHINE_MAX_CPUS)
        fatal("-smp %d: the number of CPUs must be 1..%d", n, MACHINE_MAX_CPUS);
    const TCGFrontend *fe = ta->frontend;
    if (fe->state_size < sizeof(CPUState))
        fatal("tcg: frontend %s: state size %zu is smaller than CPUState", fe->name,
              fe->state_size);
    ta->cpus = calloc((size_t)n, sizeof(*ta->cpus));
    if (!ta->cpus)
        fatal("tcg: out of memory");
    for (int i = 0; i < n; i++) {
        CPUState *cpu = aligned_alloc(64, (fe->state_size + 63) & ~(size_t)63);
        if (!cpu)
            fatal("tcg: out of memory");
        memset(cpu, 0, fe->state_size);
        tcg_cpu_init(cpu, m, fe, i);
        cpu->accel = ta;
        ta->cpus[i] = cpu;
        ta->ncpus = i + 1;
    }
    address_space_add_listener(m->mem, map_listener, m);
    address_space_set_ram_write_observer(m->mem, dma_written, NULL);
    tcg_memory_map_changed(m);    /* first snapshot of the map */
    if (n > 1)
        ta->slice_timer = timer_new(slice_expired, ta);
    restore_intr_levels(ta);
}

/* An AP keeps its reset registers and takes the boot MSRs (x86_state.h):
 * what firmware leaves in an AP it has programmed and put back to
 * wait-for-SIPI. */
static void ap_load_boot_msrs(CPUState *cpu, const X86Regs *boot)
{
    X86Regs r;
    cpu->frontend->get_regs(cpu, &r);
    r.nmsrs = boot->nmsrs < X86_REGS_MAX_MSRS ? boot->nmsrs : X86_REGS_MAX_MSRS;
    memcpy(r.msrs, boot->msrs, (size_t)r.nmsrs * sizeof(r.msrs[0]));
    cpu->frontend->set_regs(cpu, &r);
}

static void tcg_reset_vcpus(Machine *m)
{
    TcgAccel *ta = tcg_accel(m);
    /* The loader has rewritten RAM behind the TLB: start from nothing. */
    tcg_tb_flush();
    for (int i = 0; i < ta->ncpus; i++) {
        CPUState *cpu = ta->cpus[i];
        cpu->frontend->cpu_reset(cpu);
        cpu->exception_index = -1;
        cpu->cflags_next_tb = 0;
        cpu_reset_interrupt(cpu, ~(uint32_t)0);
        if (i == 0) {
            cpu->halted = false;
            cpu->frontend->set_regs(cpu, &m->boot_regs);
        } else {
            if (m->boot_regs.nmsrs > 0)
                ap_load_boot_msrs(cpu, &m->boot_regs);
            cpu->halted = true;   /* waits for INIT/SIPI (the frontend's has_work) */
        }
        tlb_flush_all(cpu);
    }
    restore_intr_levels(ta);
}

static bool any_runnable(TcgAccel *ta)
{
    for (int i = 0; i < ta->ncpus; i++) {
        CPUState *cpu = ta->cpus[i];
        if (!cpu->halted || cpu->frontend->has_work(cpu))
            return true;
    }
    return false;
}

/* After a kick: stay on the current vCPU unless its slice ended or another
 * vCPU has an interrupt to take. */
static int rr_next(TcgAccel *ta, int cur, int reason)
{
    if (ta->ncpus == 1)
        return 0;
    bool move = reason != EXCP_INTERRUPT || ta->slice_expired;
    for (int k = 1; !move && k < ta->ncpus; k++) {
        CPUState *o = ta->cpus[(cur + k) % ta->ncpus];
        if (__atomic_load_n(&o->interrupt_request, __ATOMIC_ACQUIRE))
            move = true;
    }
    if (!move)
        return cur;
    ta->slice_expired = 0;
    return (cur + 1) % ta->ncpus;
}

static void *vcpu_thread(void *opaque)
{
    TcgAccel *ta = opaque;
    machine_lock();
    for (;;) {
        while (!ta->quit && ta->pause_depth > 0) {
            if (!ta->parked) {
                ta->parked = true;
                pthread_cond_broadcast(&ta->cond);
            }
            machine_cond_wait(&ta->cond);
        }
        ta->parked = false;
        if (ta->quit)
            break;
        /* Read the kick generation before looking: a kick after this wakes us. */
        uint64_t gen = tcg_kick_generation();
        if (!any_runnable(ta)) {
            machine_unlock();
            tcg_wait_kick(gen);
            machine_lock();
            continue;
        }
        int cur = ta->current;
        for (int k = 0; k < ta->ncpus; k++) {
            CPUState *c = ta->cpus[(cur + k) % ta->ncpus];
            if (!c->halted || c->frontend->has_work(c)) {
                cur = (cur + k) % ta->ncpus;
                break;
            }
        }
        ta->current = cur;
        CPUState *cpu = ta->cpus[cur];
        tcg_exec_set_rr_cpu(cpu);
        machine_unlock();
        int r = tcg_cpu_exec(cpu);
        machine_lock();
        tcg_exec_set_rr_cpu(NULL);
        ta->current = rr_next(ta, cur, r);
    }
    ta->exited = true;
    pthread_cond_broadcast(&ta->cond);
    machine_unlock();
    return NULL;
}

static void tcg_start(Machine *m)
{
    TcgAccel *ta = tcg_accel(m);
    if (ta->started || !ta->cpus)
        return;
    int err = pthread_create(&ta->thread, NULL, vcpu_thread, ta);
    if (err)
        fatal("tcg: cannot start the vCPU thread: %s", strerror(err));
    pthread_setname_np(ta->thread, "tcg-vcpus");
    ta->started = true;
    if (ta->slice_timer)
        timer_mod(ta->slice_timer, clock_virtual_ns() + TCG_RR_SLICE_NS);
}

static void kick_all(TcgAccel *ta)
{
    for (int i = 0; i < ta->ncpus; i++)
        cpu_kick(ta->cpus[i]);
}

static void tcg_pause_all(Machine *m)
{
    TcgAccel *ta = tcg_accel(m);
    ta->pause_depth++;
    if (!ta->started || pthread_equal(ta->thread, pthread_self()))
        return;
    kick_all(ta);
    while (!ta->parked && !ta->exited)
        machine_cond_wait(&ta->cond);
}

static void tcg_resume_all(Machine *m)
{
    TcgAccel *ta = tcg_accel(m);
    if (ta->pause_depth > 0)
        ta->pause_depth--;
    pthread_cond_broadcast(&ta->cond);
}

static CPUState *cpu_by_index(TcgAccel *ta, int i)
{
    if (!ta->cpus || i < 0 || i >= ta->ncpus)
        fatal("tcg: no vCPU %d", i);
    return ta->cpus[i];
}

static void tcg_get_regs(Machine *m, int i, X86Regs *regs)
{
    CPUState *cpu = cpu_by_index(tcg_accel(m), i);
    cpu->frontend->get_regs(cpu, regs);
}

static void tcg_set_regs(Machine *m, int i, const X86Regs *regs)
{
    CPUState *cpu = cpu_by_index(tcg_accel(m), i);
    cpu->frontend->set_regs(cpu, regs);
    tlb_flush_all(cpu);      /* CR0/CR3/CR4/EFER may have changed */
}

static void tcg_shutdown(Machine *m)
{
    TcgAccel *ta = tcg_accel(m);
    if (!ta)
        return;
    if (ta->started) {
        ta->quit = true;
        pthread_cond_broadcast(&ta->cond);
        kick_all(ta);
        while (!ta->exited)
            machine_cond_wait(&ta->cond);
        pthread_join(ta->thread, NULL);
        ta->started = false;
    }
    if (ta->slice_timer) {
        timer_del(ta->slice_timer);
    }
    if (log_enabled(LOG_EXEC))
        tcg_exec_stats_dump(log_file());
}

static const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .init = tcg_init,
    .kernel_irqchip = tcg_kernel_irqchip,
    .set_irq = tcg_set_irq,
    .set_cpu_intr = tcg_set_cpu_intr,
    .irqchip_connect = tcg_irqchip_connect,
    .cpu_set_intr = tcg_cpu_set_intr,
    .cpu_nmi = tcg_cpu_nmi,
    .cpu_init = tcg_cpu_init_signal,
    .cpu_sipi = tcg_cpu_sipi,
    .cpu_tsc_deadline_cleared = tcg_cpu_tsc_deadline_cleared,
    .current_cpu = tcg_current_cpu_index,
    .vcpus_create = tcg_vcpus_create,
    .start = tcg_start,
    .pause_all = tcg_pause_all,
    .resume_all = tcg_resume_all,
    .reset_vcpus = tcg_reset_vcpus,
    .get_regs = tcg_get_regs,
    .set_regs = tcg_set_regs,
    .memory_changed = tcg_memory_changed,
    .shutdown = tcg_shutdown,
};

ACCEL_REGISTER(tcg_accel_ops)
