/*
 * The tcg accelerator (accel/tcg/tcg_accel.c) driven through its AccelOps
 * with the toy guest of tests/unit/tcg/toy_cpu.h registered as "x86_64":
 * the vCPU thread runs guest code, pause/resume stop and restart it, the
 * PIC's INTR (set_cpu_intr) interrupts a running and wakes a halted vCPU,
 * registers go through the frontend (boot MSRs to every vCPU), shutdown
 * joins; option errors are one clear line. The accelerator file is included so its static ops are tested
 * without an exported symbol.
 */
#include <sys/wait.h>

#include "tcg/toy_cpu.h"
#include "mimic/accel.h"
#include "mimic/mainloop.h"
#include "../../../../accel/tcg/tcg_accel.c"

#define HB 0x8000      /* heartbeat counter the guest loop increments */
#define IRQS 0x8010    /* interrupts the guest handler counted */

static uint32_t guest_word(uint64_t addr)
{
    return __atomic_load_n((uint32_t *)(toy_ram + addr), __ATOMIC_ACQUIRE);
}

/* Wait (without the machine lock) until cond holds, at most 5 s. */
#define WAIT_FOR(cond) ({ bool ok_ = false; \
        for (int i_ = 0; i_ < 5000 && !(ok_ = (cond)); i_++) { \
            struct timespec ts_ = { 0, 1000000 }; nanosleep(&ts_, NULL); } ok_; })

static TCGFrontend toy_as_x86;

/* What reset_vcpus handed each vCPU's set_regs (the toy CPU keeps no MSRs). */
static X86Regs regs_set[2];
static int regs_set_count[2];

static void record_set_regs(CPUState *cpu, const X86Regs *r)
{
    if (cpu->cpu_index >= 0 && cpu->cpu_index < 2) {
        regs_set[cpu->cpu_index] = *r;
        regs_set_count[cpu->cpu_index]++;
    }
    toy_frontend.set_regs(cpu, r);
}

static void write_program(void)
{
    /* Boot: interrupts on, then count forever. */
    toy_org(0x1000);
    A_sti();
    uint64_t loop = A_ld(2, HB);
    A_addi(1);
    A_st(2, HB);
    A_jmp(loop);
    /* Interrupt handler (toy interrupts jump to irq_handler = 0). */
    toy_org(0);
    A_ld(2, IRQS);
    A_addi(1);
    A_st(2, IRQS);
    A_sti();
    A_halt();
}

/* The whole lifecycle on one machine, as main() drives it. */
TEST_CASE(accel_lifecycle)
{
    toy_machine_init();
    memset(toy_ram, 0, TOY_RAM_SIZE);
    toy_as_x86 = toy_frontend;
    toy_as_x86.name = "x86_64";
    toy_as_x86.set_regs = record_set_regs;
    tcg_frontend_register(&toy_as_x86);
    const AccelOps *ops = accel_find("tcg");
    CHECK(ops != NULL);
    write_program();
    toy_m.ncpus = 2;
    toy_m.boot_regs.rip = 0x1000;
    toy_m.boot_regs.nmsrs = 2;
    toy_m.boot_regs.msrs[0] = (X86Msr){ 0x250, 0x0606060606060606ull };
    toy_m.boot_regs.msrs[1] = (X86Msr){ 0x2FF, 0xC06 };

    machine_lock();
    ops->init(&toy_m, "backend=interp,thread=single,tb-size=4");
    CHECK(!ops->kernel_irqchip(&toy_m));
    ops->vcpus_create(&toy_m);
    ops->reset_vcpus(&toy_m);
    bool ap_waits = tcg_accel(&toy_m)->cpus[1]->halted;
    ops->start(&toy_m);
    machine_unlock();
    /* Boot MSRs go to every vCPU (x86_state.h); the AP keeps its reset
     * registers and still waits for INIT/SIPI. */
    CHECK(ap_waits);
    CHECK_EQ(regs_set_count[0], 1);
    CHECK_EQ(regs_set[0].rip, 0x1000);
    CHECK_EQ(regs_set[0].nmsrs, 2);
    CHECK_EQ(regs_set_count[1], 1);
    CHECK_EQ(regs_set[1].rip, 0);
    CHECK_EQ(regs_set[1].nmsrs, 2);
    CHECK_EQ(regs_set[1].msrs[1].index, 0x2FF);
    CHECK_EQ(regs_set[1].msrs[1].value, 0xC06);

    CHECK(WAIT_FOR(guest_word(HB) > 1000));
    /* Paused: the counter stands still; resumed: it moves again. */
    machine_lock();
    ops->pause_all(&toy_m);
    uint32_t hb = guest_word(HB);
    machine_unlock();
    struct timespec ts = { 0, 30 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    CHECK_EQ(guest_word(HB), hb);
    machine_lock();
    ops->resume_all(&toy_m);
    machine_unlock();
    CHECK(WAIT_FOR(guest_word(HB) > hb + 1000));

    /* INTR interrupts the running loop; the handler halts with IF on. */
    machine_lock();
    ops->set_cpu_intr(&toy_m, 1);
    machine_unlock();
    CHECK(WAIT_FOR(guest_word(IRQS) == 1));
    machine_lock();
    ops->set_cpu_intr(&toy_m, 0);
    machine_unlock();
    TcgAccel *ta = tcg_accel(&toy_m);
    CHECK(WAIT_FOR(__atomic_load_n(&ta->cpus[0]->halted, __ATOMIC_ACQUIRE)));
    hb = guest_word(HB);
    nanosleep(&ts, NULL);
    CHECK_EQ(guest_word(HB), hb);                   /* halted: nothing runs */
    /* A second INTR wakes the sleeping vCPU thread. */
    machine_lock();
    ops->set_cpu_intr(&toy_m, 1);
    machine_unlock();
    CHECK(WAIT_FOR(guest_word(IRQS) == 2));
    machine_lock();
    ops->set_cpu_intr(&toy_m, 0);

    /* Registers through the frontend, with the vCPUs paused. */
    ops->pause_all(&toy_m);
    X86Regs r;
    ops->get_regs(&toy_m, 0, &r);
    CHECK_EQ(r.gpr[0], 2);                 /* acc: the handler's count */
    CHECK_EQ(r.rip, 0xe);                  /* after the handler's halt */
    r.rip = 0x1001;                        /* back to the counting loop */
    ops->set_regs(&toy_m, 0, &r);
    ta->cpus[0]->halted = false;           /* as a debugger's "continue" would */
    ops->get_regs(&toy_m, 1, &r);
    CHECK_EQ(r.rip, 0);                    /* the AP: reset state, not boot_regs */
    ops->resume_all(&toy_m);
    machine_unlock();
    hb = guest_word(HB);
    CHECK(WAIT_FOR(guest_word(HB) > hb + 1000));

    machine_lock();
    ops->shutdown(&toy_m);
    CHECK(ta->exited);
    machine_unlock();
}

/* Run ops->init(opts) in a child; returns its exit status and stderr. */
static int init_in_child(const char *opts, bool register_frontend, char *err, size_t n)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 2);
        close(fd[0]);
        static Machine m;
        if (register_frontend) {
            toy_as_x86 = toy_frontend;
            toy_as_x86.name = "x86_64";
            tcg_frontend_register(&toy_as_x86);
        }
        accel_find("tcg")->init(&m, opts);
        _exit(0);
    }
    close(fd[1]);
    size_t have = 0;
    for (ssize_t got; have < n - 1 && (got = read(fd[0], err + have, n - 1 - have)) > 0;)
        have += (size_t)got;
    err[have] = 0;
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Bad options and a missing frontend end with one "mimic: ..." line. */
TEST_CASE(accel_option_errors)
{
    char err[512];
    static const struct { const char *opts; bool fe; const char *want; } cases[] = {
        { "backend=bogus", true, "mimic: -accel tcg: backend=bogus: expected native or interp\n" },
        { "thread=multi", true, "mimic: -accel tcg,thread=multi is not supported yet; use thread=single\n" },
        { "tb-size=0", true, "mimic: -accel tcg: tb-size=0: expected a code buffer size of 1..2048 MiB\n" },
        { "colour=blue", true, "mimic: -accel tcg: unknown option 'colour' (known: backend=native|interp, "
                               "thread=single, tb-size=MiB)\n" },
        { NULL, false, "mimic: -accel tcg: the x86 frontend is not built yet; use -accel kvm\n" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_EQ(init_in_child(cases[i].opts, cases[i].fe, err, sizeof(err)), 1);
        if (strcmp(err, cases[i].want) != 0) {
            printf("FAIL %s: got \"%s\"\n", test_case_name_, err);
            test_case_failed_ = 1;
            return;
        }
    }
    CHECK_EQ(init_in_child("backend=interp", true, err, sizeof(err)), 0);
    CHECK_EQ(init_in_child(NULL, true, err, sizeof(err)), TOY_HAVE_NATIVE ? 0 : 1);
}

int main(void)
{
    toy_watchdog(120);
    RUN(accel_option_errors);
    RUN(accel_lifecycle);
    TEST_EXIT();
}
