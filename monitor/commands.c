/*
 * The monitor's commands: the table and one handler each, in QEMU's HMP
 * spelling and output layout (QEMU's "info registers" for the register
 * dump). Register state and run state go through the accelerator ops, the
 * power button and keys through the ACPI PM block and PS/2 keyboard of the
 * machine, screendump through display console N. Left out: most of QEMU's
 * commands (memory dumps, device_add, migration, ...).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi/pm.h"
#include "hw/input/ps2.h"
#include "mimic/accel.h"
#include "mimic/display.h"
#include "mimic/machine.h"
#include "monitor/monitor_int.h"
#include "monitor/png.h"

/* The longest sendkey hold time we accept (QEMU has no limit). */
#define MONITOR_KEY_HOLD_MAX_MS 60000

static bool cmd_help(Monitor *mon, const MonitorArgs *args, MonitorOutput *out);
static bool cmd_info(Monitor *mon, const MonitorArgs *args, MonitorOutput *out);

static void help_line(MonitorOutput *out, const char *prefix, const MonitorCommand *c)
{
    char head[96];
    snprintf(head, sizeof(head), "%s%s%s%s", prefix, c->name, c->params[0] ? " " : "", c->params);
    monitor_printf(out, "%-30s -- %s\n", head, c->help);
}

static void help_table(MonitorOutput *out, const char *prefix, const MonitorCommand *table)
{
    for (const MonitorCommand *c = table; c->name; c++)
        help_line(out, prefix, c);
}

/* A command's sub-commands, named in full ("info status"). */
static void help_subcommands(MonitorOutput *out, const MonitorCommand *c)
{
    char cname[48], prefix[64];
    snprintf(prefix, sizeof(prefix), "%s ", monitor_command_name(c, cname, sizeof(cname)));
    help_table(out, prefix, c->sub);
}

static bool cmd_help(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)mon;
    const char *name = monitor_arg_str(args, "name");
    if (!name) {
        help_table(out, "", monitor_commands);
        return true;
    }
    const MonitorCommand *c = monitor_find_command(monitor_commands, name);
    if (!c) {
        monitor_error(out, "help: unknown command '%s'", name);
        return false;
    }
    if (c->sub)
        help_subcommands(out, c);
    else
        help_line(out, "", c);
    return true;
}

/* "info" alone lists what it shows, as "help info" does. */
static bool cmd_info(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)mon;
    (void)args;
    help_subcommands(out, monitor_find_command(monitor_commands, "info"));
    return true;
}

/* ---- info ---- */

static bool info_status(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)args;
    monitor_printf(out, "VM status: %s\n", monitor_vm_running(mon) ? "running" : "paused");
    return true;
}

static bool info_version(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)mon;
    (void)args;
    monitor_printf(out, "%s (mimic)\n", MONITOR_VERSION);
    return true;
}

/* Every vCPU's registers, read with the vCPUs stopped at an instruction
 * boundary (a no-op pause when the VM is already stopped). */
static bool read_all_regs(Monitor *mon, X86Regs *regs, int n)
{
    Machine *m = mon->m;
    const AccelOps *a = m->accel;
    if (!a || !a->get_regs || !a->pause_all || !a->resume_all)
        return false;
    a->pause_all(m);
    for (int i = 0; i < n; i++)
        a->get_regs(m, i, &regs[i]);
    a->resume_all(m);
    return true;
}


static int regs_cpl(const X86Regs *r)
{
    if (!(r->cr0 & CR0_PE))
        return 0;
    if (r->rflags & (1u << 17))          /* virtual-8086 mode */
        return 3;
    return r->seg[SEG_CS].selector & 3;
}

/* The descriptor's high dword bits 8-23, as QEMU shows them: attributes
 * and limit bits 19:16. */
static uint32_t seg_attr(const X86Segment *s)
{
    uint32_t raw_limit = s->flags & SEGF_G ? s->limit >> 12 : s->limit;
    return (((uint32_t)s->flags << 8) | (((raw_limit >> 16) & 0xF) << 16)) & 0x00FFFF00u;
}

static void print_regs(MonitorOutput *out, int cpu, const X86Regs *r)
{
    static const char *const seg_names[SEG_COUNT] = { "ES =", "CS =", "SS =", "DS =",
                                                      "FS =", "GS =", "LDT=", "TR =" };
    static const char *const gpr64[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI",
                                           "RDI", "R8 ", "R9 ", "R10", "R11", "R12", "R13",
                                           "R14", "R15" };
    /* QEMU's order: A B C D / SI DI BP SP / R8.. */
    static const int order[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
                                   R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
    bool lma = (r->efer & EFER_LMA) != 0;
    uint32_t fl = (uint32_t)r->rflags;
    char flags[8] = {
        fl & (1u << 10) ? 'D' : '-', fl & (1u << 11) ? 'O' : '-', fl & (1u << 7) ? 'S' : '-',
        fl & (1u << 6) ? 'Z' : '-', fl & (1u << 4) ? 'A' : '-', fl & (1u << 2) ? 'P' : '-',
        fl & (1u << 0) ? 'C' : '-', 0,
    };

    monitor_printf(out, "CPU#%d\n", cpu);
    if (lma) {
        for (int i = 0; i < 16; i++)
            monitor_printf(out, "%s=%016" PRIx64 "%s", gpr64[order[i]], r->gpr[order[i]],
                           i % 4 == 3 ? "\n" : " ");
        monitor_printf(out, "RIP=%016" PRIx64 " RFL=%08x [%s] CPL=%d\n", r->rip, fl, flags,
                       regs_cpl(r));
        for (int i = 0; i < SEG_COUNT; i++)
            monitor_printf(out, "%s%04x %016" PRIx64 " %08x %08x\n", seg_names[i],
                           r->seg[i].selector, r->seg[i].base, r->seg[i].limit,
                           seg_attr(&r->seg[i]));
        monitor_printf(out, "GDT=     %016" PRIx64 " %08x\n", r->gdt.base, r->gdt.limit);
        monitor_printf(out, "IDT=     %016" PRIx64 " %08x\n", r->idt.base, r->idt.limit);
        monitor_printf(out, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
                       (uint32_t)r->cr0, r->cr2, r->cr3, (uint32_t)r->cr4);
    } else {
        static const char *const gpr32[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI",
                                              "EDI" };
        for (int i = 0; i < 8; i++)
            monitor_printf(out, "%s=%08x%s", gpr32[order[i]], (uint32_t)r->gpr[order[i]],
                           i % 4 == 3 ? "\n" : " ");
        monitor_printf(out, "EIP=%08x EFL=%08x [%s] CPL=%d\n", (uint32_t)r->rip, fl, flags,
                       regs_cpl(r));
        for (int i = 0; i < SEG_COUNT; i++)
            monitor_printf(out, "%s%04x %08x %08x %08x\n", seg_names[i], r->seg[i].selector,
                           (uint32_t)r->seg[i].base, r->seg[i].limit, seg_attr(&r->seg[i]));
        monitor_printf(out, "GDT=     %08x %08x\n", (uint32_t)r->gdt.base, r->gdt.limit);
        monitor_printf(out, "IDT=     %08x %08x\n", (uint32_t)r->idt.base, r->idt.limit);
        monitor_printf(out, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (uint32_t)r->cr0,
                       (uint32_t)r->cr2, (uint32_t)r->cr3, (uint32_t)r->cr4);
    }
    monitor_printf(out, "CR8=%016" PRIx64 " EFER=%016" PRIx64 "\n", r->cr8, r->efer);
}

/* CPU 0 is the monitor's current CPU (QEMU marks it with '*'). */
static void print_cpu_pc(MonitorOutput *out, int cpu, const X86Regs *r)
{
    monitor_printf(out, "%c CPU #%d: pc=0x%016" PRIx64 "\n", cpu == 0 ? '*' : ' ', cpu,
                   r->seg[SEG_CS].base + r->rip);
}

/* Every vCPU's registers, read at once, then shown a vCPU at a time. */
static bool show_cpus(Monitor *mon, MonitorOutput *out,
                      void (*show)(MonitorOutput *out, int cpu, const X86Regs *r))
{
    int n = mon->m->ncpus;
    X86Regs *regs = n > 0 ? calloc((size_t)n, sizeof(*regs)) : NULL;
    if (!regs || !read_all_regs(mon, regs, n)) {
        free(regs);
        monitor_error(out, "no vCPU registers to show (the accelerator cannot read them)");
        return false;
    }
    for (int i = 0; i < n; i++)
        show(out, i, &regs[i]);
    free(regs);
    return true;
}

static bool info_registers(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)args;
    return show_cpus(mon, out, print_regs);
}

static bool info_cpus(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)args;
    return show_cpus(mon, out, print_cpu_pc);
}

/* ---- run state ---- */

static bool cmd_stop(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)args;
    (void)out;
    monitor_vm_stop(mon);
    return true;
}

static bool cmd_cont(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)args;
    (void)out;
    monitor_vm_cont(mon);
    return true;
}

static bool cmd_system_reset(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)args;
    (void)out;
    machine_request_reset(mon->m);
    return true;
}

static bool cmd_system_powerdown(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)mon;
    (void)args;
    AcpiPm *pm = acpi_pm_get(0);
    if (!pm) {
        monitor_error(out, "system_powerdown: this machine has no ACPI power button");
        return false;
    }
    acpi_pm_power_button(pm);
    return true;
}

static bool cmd_quit(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)args;
    (void)out;
    machine_request_exit(mon->m, 0);
    return true;
}

/* ---- sendkey ---- */

void monitor_release_keys(Monitor *mon)
{
    Ps2Kbd *kbd = ps2_keyboard_get(0);
    timer_del(mon->key_timer);
    for (int i = mon->nheld - 1; i >= 0 && kbd; i--)
        ps2_keyboard_key_event(kbd, mon->held[i], false);
    mon->nheld = 0;
}

static bool cmd_sendkey(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    const char *keys = monitor_arg_str(args, "keys");
    int64_t hold = MONITOR_KEY_HOLD_MS;
    if (monitor_arg_int(args, "hold-time", &hold) && (hold < 0 || hold > MONITOR_KEY_HOLD_MAX_MS)) {
        monitor_error(out, "sendkey: hold-time must be 0 to %d ms", MONITOR_KEY_HOLD_MAX_MS);
        return false;
    }
    int codes[MONITOR_MAX_KEYS], n = 0;
    for (const char *p = keys; *p;) {
        size_t len = strcspn(p, "-");
        char name[32];
        if (len == 0 || len >= sizeof(name)) {
            monitor_error(out, "sendkey: bad key list '%s' (e.g. ctrl-alt-delete)", keys);
            return false;
        }
        memcpy(name, p, len);
        name[len] = 0;
        if (n == MONITOR_MAX_KEYS) {
            monitor_error(out, "sendkey: at most %d keys at once", MONITOR_MAX_KEYS);
            return false;
        }
        if ((codes[n++] = ps2_key_from_name(name)) < 0) {
            monitor_error(out, "sendkey: unknown key '%s'", name);
            return false;
        }
        p += len;
        if (*p == '-' && !*++p) {
            monitor_error(out, "sendkey: bad key list '%s' (e.g. ctrl-alt-delete)", keys);
            return false;
        }
    }
    Ps2Kbd *kbd = ps2_keyboard_get(0);
    if (!kbd) {
        monitor_error(out, "sendkey: this machine has no PS/2 keyboard");
        return false;
    }
    monitor_release_keys(mon);      /* a previous sendkey still holding its keys */
    /* The keyboard holds the keys it cannot take yet and scans them in
     * order as the guest reads (ps2_keyboard_key_event): sendkeys back to
     * back lose nothing however slowly the guest reads. */
    for (int i = 0; i < n; i++) {
        ps2_keyboard_key_event(kbd, codes[i], true);
        mon->held[mon->nheld++] = codes[i];
    }
    if (hold == 0)
        monitor_release_keys(mon);
    else
        timer_mod(mon->key_timer, clock_virtual_ns() + hold * 1000000);
    return true;
}

/* ---- screendump ---- */

static bool cmd_screendump(Monitor *mon, const MonitorArgs *args, MonitorOutput *out)
{
    (void)mon;
    const char *file = monitor_arg_str(args, "filename");
    int64_t index = 0;
    monitor_arg_int(args, "index", &index);
    DisplayConsole *c = index >= 0 && index <= INT32_MAX ? display_console((int)index) : NULL;
    if (!c) {
        monitor_error(out, "screendump: there is no display console %lld", (long long)index);
        return false;
    }
    DisplayUpdate u;
    const DisplaySurface *s = display_update(c, &u);
    /* The changes this update reported belong to the UI too: make its next
     * update redraw everything. */
    display_invalidate(c);
    if (!s || s->width <= 0 || s->height <= 0 || !s->pixels) {
        monitor_error(out, "screendump: display %s shows nothing yet", display_name(c));
        return false;
    }
    const char *err;
    if (!png_write_file(file, s->pixels, s->width, s->height, s->stride, &err)) {
        monitor_error(out, "screendump: %s", err);
        return false;
    }
    return true;
}

/* ---- the tables ---- */

const MonitorCommand monitor_info_commands[] = {
    { "status", "", "", "show the VM status (running or paused)", info_status, NULL },
    { "registers", "", "", "show the registers of every vCPU", info_registers, NULL },
    { "cpus", "", "", "show the vCPUs and where they are", info_cpus, NULL },
    { "version", "", "", "show the version of mimic", info_version, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL },
};

const MonitorCommand monitor_commands[] = {
    { "help|?", "name:s?", "[cmd]", "show the help (of one command)", cmd_help, NULL },
    { "info", "", "[subcommand]", "show information about the system state", cmd_info,
      monitor_info_commands },
    { "stop", "", "", "stop emulation (pause every vCPU)", cmd_stop, NULL },
    { "cont|c", "", "", "resume emulation", cmd_cont, NULL },
    { "system_reset", "", "", "reset the system", cmd_system_reset, NULL },
    { "system_powerdown", "", "", "press the ACPI power button (the guest shuts down)",
      cmd_system_powerdown, NULL },
    { "sendkey", "keys:s,hold-time:i?", "keys [hold-time]",
      "send keys to the guest (e.g. ctrl-alt-delete), held for hold-time ms (100)",
      cmd_sendkey, NULL },
    { "screendump", "filename:F,index:i?", "filename [console]",
      "save display console 0 (or the one given) as a PNG image", cmd_screendump, NULL },
    { "quit|q", "", "", "quit mimic", cmd_quit, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL },
};
