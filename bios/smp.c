/*
 * SMP start-up only as far as firmware owes it to the OS: every application
 * processor runs once, loads the same MTRRs as the boot CPU (Intel SDM vol. 3
 * 11.11.8: all processors must agree) and is put back to wait-for-SIPI by a
 * second INIT, which keeps MTRRs (SDM vol. 3 10.1.1). The wake-up is the
 * INIT-SIPI-SIPI sequence of SDM vol. 3 10.4.4.1 / MP spec B.4. (QEMU's
 * TCG clears MTRRs on INIT, so there Linux still finds the APs blank, as it
 * does with SeaBIOS.) Leaves out AP counting (the CPU count comes from
 * fw_cfg), MP tables and AP microcode.
 */
#include "bios.h"
#include "mtrr.h"

#define FW_CFG_NB_CPUS   0x05
#define LAPIC_ICR_LO     0xFEE00300u
#define LAPIC_ICR_HI     0xFEE00310u
#define ICR_BUSY         (1u << 12)
/* Destination shorthand "all excluding self", edge, assert. */
#define ICR_INIT_OTHERS  0x000C4500u
#define ICR_SIPI_OTHERS  0x000C4600u     /* | vector */
#define INIT_WAIT_US     10000
#define SIPI_WAIT_US     200
#define AP_TIMEOUT_US    100000

/* The trampoline: a page below 1 MiB free while POST runs (README memory
 * layout), entered by SIPI vector 0x08 at 0800:0000 in real mode. Its data
 * follows the code at fixed offsets: entry count, check-in counter, then
 * {msr, lo, hi} triples. */
#define AP_PAGE          0x8000u
#define AP_VECTOR        (AP_PAGE >> 12)
#define AP_COUNT_OFF     0x100
#define AP_DONE_OFF      0x102
#define AP_TABLE_OFF     0x104
#define STR_(x) #x
#define STR(x) STR_(x)

extern const char ap_code_start[], ap_code_end[];
__asm__(
    ".pushsection .rodata\n"
    ".code16\n"
    "ap_code_start:\n"
    "    cli\n"
    "    movw %cs, %ax\n"
    "    movw %ax, %ds\n"
    "    movw (" STR(AP_COUNT_OFF) "), %bx\n"
    "    movw $" STR(AP_TABLE_OFF) ", %si\n"
    "1:  testw %bx, %bx\n"
    "    jz 2f\n"
    "    movl (%si), %ecx\n"
    "    movl 4(%si), %eax\n"
    "    movl 8(%si), %edx\n"
    "    wrmsr\n"
    "    addw $12, %si\n"
    "    decw %bx\n"
    "    jmp 1b\n"
    "2:  lock incw (" STR(AP_DONE_OFF) ")\n"
    "3:  cli\n"
    "    hlt\n"
    "    jmp 3b\n"
    "ap_code_end:\n"
    ".code32\n"
    ".popsection\n");

static void icr_send(u32 lo)
{
    wr32(LAPIC_ICR_HI, 0);
    wr32(LAPIC_ICR_LO, lo);
    for (int i = 0; i < 100000 && (rd32(LAPIC_ICR_LO) & ICR_BUSY); i++)
        cpu_relax();
}

void smp_load_msrs(const struct mtrr_write *w, int n)
{
    u32 a, b, c, d;
    u16 ncpus = 0;

    cpuid(1, &a, &b, &c, &d);
    if (!(d & (1u << 9)) || !fwcfg_present())
        return;                       /* no local APIC, or no CPU count */
    fwcfg_read_key(FW_CFG_NB_CPUS, &ncpus, sizeof(ncpus));
    if (ncpus <= 1 || n <= 0)
        return;
    u32 code = (u32)(ap_code_end - ap_code_start);
    if (code > AP_COUNT_OFF || AP_TABLE_OFF + (u32)n * 12 > 0x1000)
        return;                       /* cannot happen: MTRR_MAX_WRITES triples fit */

    memset(flat(AP_PAGE), 0, 0x1000);
    memcpy(flat(AP_PAGE), ap_code_start, code);
    wr16(AP_PAGE + AP_COUNT_OFF, (u16)n);
    for (int i = 0; i < n; i++) {
        u32 e = AP_PAGE + AP_TABLE_OFF + (u32)i * 12;
        wr32(e, w[i].msr);
        wr32(e + 4, (u32)w[i].value);
        wr32(e + 8, (u32)(w[i].value >> 32));
    }

    icr_send(ICR_INIT_OTHERS);
    clock_udelay(INIT_WAIT_US);
    for (int i = 0; i < 2 && rd16(AP_PAGE + AP_DONE_OFF) < ncpus - 1; i++) {
        icr_send(ICR_SIPI_OTHERS | AP_VECTOR);
        clock_udelay(SIPI_WAIT_US);
    }
    u64 end = clock_ticks() + (u64)AP_TIMEOUT_US * PIT_HZ / 1000000;
    while (rd16(AP_PAGE + AP_DONE_OFF) < ncpus - 1 && clock_ticks() < end)
        cpu_relax();
    u16 done = rd16(AP_PAGE + AP_DONE_OFF);
    if (done < ncpus - 1)
        printf("smp: %u of %u application processors loaded the MTRRs\n", done, ncpus - 1u);
    /* Back to wait-for-SIPI, as the OS expects to find them; the page is
     * free again for the boot loader. */
    icr_send(ICR_INIT_OTHERS);
    memset(flat(AP_PAGE), 0, 0x1000);
}
