/*
 * C helpers of the system instructions: thin wrappers that hand the host
 * return address (TCG_GETPC) to the semantics in seg.c, excp.c, transfer.c,
 * mode.c, msr.c, eflags.c and cpuid.c, plus the block-exit helpers (raise,
 * single-step trap, end of an interrupt shadow), HLT and port
 * I/O through the machine's I/O address space.
 * Reference: Intel SDM vol. 3 6.8.3 (interrupt shadow), 17.3.1.4 (single-step).
 * Leaves out: I/O breakpoints; SIPI vectors come with the LAPIC model.
 */
#include "cpu/x86/helper.h"
#include "cpu/x86/mem.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"

#define CPU(env) ((X86CPU *)(env))

#define LOAD_SEG_SHADOW 0x100   /* translate_sys.c: MOV SS / POP SS */
#define DR6_BS (1ull << 14)

void helper_raise_exception(void *env, uint32_t vector, uint32_t error_code)
{
    x86_raise_exception(CPU(env), (int)vector, error_code, TCG_GETPC());
}

void helper_debug_trap(void *env)
{
    X86CPU *cpu = CPU(env);
    /* A trap after the instruction: rip is already the next one. */
    cpu->dr[6] |= DR6_BS;
    x86_raise_exception(cpu, X86_EXCP_DB, 0, 0);
}

void helper_end_shadow(void *env)
{
    X86CPU *cpu = CPU(env);
    cpu->int_shadow = false;
    cpu->eflags &= ~X86_EFLAGS_RF;
    x86_update_hflags(cpu);
}

void helper_load_seg(void *env, uint32_t arg, uint32_t selector)
{
    X86CPU *cpu = CPU(env);
    x86_load_seg(cpu, (int)(arg & 0xff), (uint16_t)selector, TCG_GETPC());
    if (arg & LOAD_SEG_SHADOW) {
        cpu->int_shadow = true;
        x86_update_hflags(cpu);
    }
}

/* ---- far transfers and events ------------------------------------------------ */

void helper_ljmp(void *env, uint32_t sel, uint64_t off, uint32_t opsize, uint64_t next)
{
    x86_helper_ljmp(CPU(env), (uint16_t)sel, off, opsize, next, TCG_GETPC());
}

void helper_lcall(void *env, uint32_t sel, uint64_t off, uint32_t opsize, uint64_t next)
{
    x86_helper_lcall(CPU(env), (uint16_t)sel, off, opsize, next, TCG_GETPC());
}

void helper_lret(void *env, uint32_t opsize, uint32_t imm)
{
    x86_helper_lret(CPU(env), opsize, (uint16_t)imm, TCG_GETPC());
}

void helper_iret(void *env, uint32_t opsize)
{
    X86CPU *cpu = CPU(env);
    x86_helper_iret(cpu, opsize, TCG_GETPC());
}

void helper_int_n(void *env, uint32_t vector, uint64_t next)
{
    x86_helper_int(CPU(env), (int)vector, next, TCG_GETPC());
}

void helper_int3(void *env, uint64_t next)
{
    x86_helper_int3(CPU(env), next, TCG_GETPC());
}

void helper_into(void *env, uint64_t next)
{
    x86_helper_into(CPU(env), next, TCG_GETPC());
}

void helper_icebp(void *env, uint64_t next)
{
    x86_helper_icebp(CPU(env), next, TCG_GETPC());
}

void helper_syscall(void *env, uint64_t next)
{
    x86_helper_syscall(CPU(env), next, TCG_GETPC());
}

void helper_sysret(void *env, uint32_t opsize)
{
    x86_helper_sysret(CPU(env), opsize, TCG_GETPC());
}

void helper_sysenter(void *env)
{
    x86_helper_sysenter(CPU(env), TCG_GETPC());
}

void helper_sysexit(void *env, uint32_t opsize)
{
    x86_helper_sysexit(CPU(env), opsize, TCG_GETPC());
}

void helper_swapgs(void *env)
{
    x86_helper_swapgs(CPU(env), TCG_GETPC());
}

/* ---- EFLAGS ------------------------------------------------------------------------ */

uint64_t helper_pushf(void *env)
{
    return x86_helper_pushf(CPU(env), TCG_GETPC());
}

void helper_popf(void *env, uint64_t value, uint32_t opsize)
{
    x86_helper_popf(CPU(env), value, opsize, TCG_GETPC());
}

void helper_cli(void *env)
{
    x86_helper_cli(CPU(env), TCG_GETPC());
}

void helper_sti(void *env)
{
    x86_helper_sti(CPU(env), TCG_GETPC());
}

/* ---- control registers and tables ------------------------------------------------ */

uint64_t helper_read_cr(void *env, uint32_t n)
{
    return x86_helper_read_cr(CPU(env), (int)n, TCG_GETPC());
}

void helper_write_cr(void *env, uint32_t n, uint64_t value)
{
    x86_helper_write_cr(CPU(env), (int)n, value, TCG_GETPC());
}

uint64_t helper_read_dr(void *env, uint32_t n)
{
    return x86_helper_read_dr(CPU(env), (int)n, TCG_GETPC());
}

void helper_write_dr(void *env, uint32_t n, uint64_t value)
{
    x86_helper_write_dr(CPU(env), (int)n, value, TCG_GETPC());
}

void helper_lmsw(void *env, uint32_t value)
{
    x86_helper_lmsw(CPU(env), (uint16_t)value, TCG_GETPC());
}

void helper_clts(void *env)
{
    x86_helper_clts(CPU(env), TCG_GETPC());
}

void helper_lgdt(void *env, uint64_t addr, uint32_t opsize)
{
    x86_helper_lgdt(CPU(env), addr, opsize, TCG_GETPC());
}

void helper_lidt(void *env, uint64_t addr, uint32_t opsize)
{
    x86_helper_lidt(CPU(env), addr, opsize, TCG_GETPC());
}

void helper_sgdt(void *env, uint64_t addr)
{
    x86_helper_sgdt(CPU(env), addr, TCG_GETPC());
}

void helper_sidt(void *env, uint64_t addr)
{
    x86_helper_sidt(CPU(env), addr, TCG_GETPC());
}

void helper_lldt(void *env, uint32_t sel)
{
    x86_helper_lldt(CPU(env), (uint16_t)sel, TCG_GETPC());
}

void helper_ltr(void *env, uint32_t sel)
{
    x86_helper_ltr(CPU(env), (uint16_t)sel, TCG_GETPC());
}

/* LAR/LSL: bit 32 = valid (ZF), bits 31-0 the result. */
uint64_t helper_lar(void *env, uint32_t sel)
{
    uint32_t out = 0;
    bool ok = x86_helper_lar(CPU(env), (uint16_t)sel, &out, TCG_GETPC());
    return (uint64_t)ok << 32 | out;
}

uint64_t helper_lsl(void *env, uint32_t sel)
{
    uint32_t out = 0;
    bool ok = x86_helper_lsl(CPU(env), (uint16_t)sel, &out, TCG_GETPC());
    return (uint64_t)ok << 32 | out;
}

uint32_t helper_verr(void *env, uint32_t sel)
{
    return x86_helper_verr(CPU(env), (uint16_t)sel, TCG_GETPC());
}

uint32_t helper_verw(void *env, uint32_t sel)
{
    return x86_helper_verw(CPU(env), (uint16_t)sel, TCG_GETPC());
}

void helper_invlpg(void *env, uint64_t addr)
{
    x86_helper_invlpg(CPU(env), addr, TCG_GETPC());
}

void helper_hlt(void *env)
{
    X86CPU *cpu = CPU(env);
    cpu->halted = true;
    cpu->common.halted = true;
}

/* PAUSE is a spin-wait hint. With several vCPUs taking turns on one thread,
 * the spinning vCPU gives up its turn so the one it waits for can run (a
 * lock holder preempted mid-section would otherwise keep it spinning for
 * whole slices: SeaBIOS's AP start-up never finishes). */
void helper_pause(void *env)
{
    X86CPU *cpu = CPU(env);
    if (cpu->nr_cpus > 1)
        cpu->common.exception_index = EXCP_YIELD;
}

/* ---- CPUID, TSC, MSRs, XCR0 ---------------------------------------------------------- */

void helper_cpuid(void *env)
{
    x86_helper_cpuid(CPU(env));
}

void helper_rdtsc(void *env)
{
    x86_helper_rdtsc(CPU(env), TCG_GETPC());
}

void helper_rdtscp(void *env)
{
    x86_helper_rdtscp(CPU(env), TCG_GETPC());
}

void helper_rdmsr(void *env)
{
    x86_helper_rdmsr(CPU(env), TCG_GETPC());
}

void helper_wrmsr(void *env)
{
    x86_helper_wrmsr(CPU(env), TCG_GETPC());
}

uint64_t helper_xgetbv(void *env, uint32_t index)
{
    return x86_helper_xgetbv(CPU(env), index, TCG_GETPC());
}

void helper_xsetbv(void *env, uint32_t index, uint64_t value)
{
    x86_helper_xsetbv(CPU(env), index, value, TCG_GETPC());
}

/* ---- port I/O -------------------------------------------------------------------------- */

void helper_check_io(void *env, uint32_t port, uint32_t size)
{
    x86_helper_check_io(CPU(env), (uint16_t)port, size, TCG_GETPC());
}

static Machine *cpu_machine(X86CPU *cpu)
{
    return cpu->machine ? cpu->machine : cpu->common.machine;
}

uint32_t helper_in(void *env, uint32_t port, uint32_t size)
{
    Machine *m = cpu_machine(CPU(env));
    uint64_t v = ~0ull;
    if (m && m->io) {
        machine_lock();
        as_read(m->io, port & 0xffff, size, &v);
        machine_unlock();
    }
    return (uint32_t)v;
}

void helper_out(void *env, uint32_t port, uint32_t size, uint32_t value)
{
    X86CPU *cpu = CPU(env);
    Machine *m = cpu_machine(cpu);
    if (m && m->io) {
        machine_lock();
        as_write(m->io, port & 0xffff, size, value);
        machine_unlock();
        /* A write that asked for reset/exit (0xCF9, debug-exit): leave soon. */
        if (m->request != REQUEST_NONE) {
            cpu->common.exit_request = 1;
        }
    }
}
