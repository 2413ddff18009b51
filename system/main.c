/*
 * main(): parse the command line, build the machine, start the vCPUs and
 * run the main loop until the guest powers off, asks to exit, or the user
 * quits. Resets requested by the guest are carried out here.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/accel.h"
#include "mimic/chardev.h"
#include "mimic/device.h"
#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"
#include "monitor/monitor.h"
#include "system/options.h"
#include "ui/ui.h"

static Machine *the_machine;

static void on_terminate_signal(int sig)
{
    (void)sig;
    if (the_machine)
        machine_request_exit(the_machine, 1);
}

static void on_mux_quit(void *opaque)
{
    machine_request_exit(opaque, 0);
}

static void open_serial_ports(Machine *m, const MachineOptions *o)
{
    const char *specs[MACHINE_MAX_SERIAL] = { 0 };
    int n = o->nserial;
    for (int i = 0; i < n; i++)
        specs[i] = o->serial[i];
    if (n == 0) {
        /* QEMU: -nographic puts COM1 on stdio; without a window nothing
         * else can show it. */
        specs[0] = o->nographic ? "stdio" : "null";
        n = 1;
    }
    for (int i = 0; i < n; i++) {
        const char *err = NULL;
        if (!strcmp(specs[i], "none"))
            continue;
        m->serial[i] = chardev_new(specs[i], &err);
        if (!m->serial[i])
            fatal("-serial %s: %s", specs[i], err ? err : "cannot open");
    }
}

/* The serial port on stdio (its Ctrl-A mux takes the monitor too), or NULL. */
static Chardev *stdio_serial(Machine *m, const MachineOptions *o)
{
    if (o->nserial == 0)
        return o->nographic ? m->serial[0] : NULL;
    for (int i = 0; i < o->nserial; i++)
        if (!strcmp(o->serial[i], "stdio") || !strcmp(o->serial[i], "mon:stdio"))
            return m->serial[i];
    return NULL;
}

static int run(Machine *m)
{
    const AccelOps *accel = m->accel;
    for (;;) {
        mainloop_iterate(-1);
        int req = m->request;
        if (req == REQUEST_NONE)
            continue;
        if (req == REQUEST_RESET && !m->opts->no_reboot) {
            m->request = REQUEST_NONE;
            accel->pause_all(m);
            machine_reset_devices(m);
            m->type->load(m);
            m->cpu_reset_ns = clock_virtual_ns();
            accel->reset_vcpus(m);
            accel->resume_all(m);
            continue;
        }
        accel->pause_all(m);
        return req == REQUEST_EXIT ? m->exit_status : 0;
    }
}

int main(int argc, char **argv)
{
    static MachineOptions opts;
    options_parse(argc, argv, &opts);
    static DeviceProps *devices[MACHINE_MAX_DEVICES];
    for (int i = 0; i < opts.ndevices; i++)
        devices[i] = device_parse_spec(opts.devices[i]);


    const MachineType *type = machine_find(opts.machine);
    if (!type)
        fatal("-M %s: unknown machine type (try -M help)", opts.machine);
    const char *accel_name = opts.accel ? opts.accel : "tcg";
    const AccelOps *accel = accel_find(accel_name);
    if (!accel)
        fatal("-accel %s: unknown accelerator (kvm or tcg)", accel_name);

    clock_virtual_ns();   /* start the virtual clock */
    mainloop_init();
    machine_lock();

    Machine *m = machine_create(type, &opts);
    the_machine = m;
    m->accel = accel;
    chardev_set_quit_handler(on_mux_quit, m);
    open_serial_ports(m, &opts);
    accel->init(m, opts.accel_opts);
    type->init(m);
    for (int i = 0; i < opts.ndevices; i++)
        device_create(m, devices[i]);
    type->load(m);
    accel->vcpus_create(m);
    m->cpu_reset_ns = clock_virtual_ns();
    accel->reset_vcpus(m);

    MonitorSpec mon_spec;
    const char *mon_err;
    if (!monitor_parse_spec(opts.monitor, &mon_spec, &mon_err))
        fatal("-monitor %s: %s", opts.monitor, mon_err);   /* options.c checked it */
    Monitor *mon = monitor_new(m);
    monitor_open(mon, &mon_spec, stdio_serial(m, &opts));
    Ui *ui = ui_open(m, &opts);

    struct sigaction sa = { .sa_handler = on_terminate_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    if (!ui && !opts.nographic && !opts.display && opts.nserial == 0)
        warn("no desktop for a window ($DISPLAY is not set): COM1 goes nowhere; use "
             "-nographic or -serial stdio to see the console");
    accel->start(m);
    int status = run(m);
    accel->shutdown(m);
    ui_close(ui);
    monitor_free(mon);
    machine_unlock();
    fflush(stdout);
    return status;
}
