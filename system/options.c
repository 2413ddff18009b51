/*
 * Command-line parsing. Options follow QEMU's spelling (one or two leading
 * dashes); anything we do not support is named in a one-line error rather
 * than ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/device.h"
#include "mimic/log.h"
#include "system/options.h"

#define MIMIC_VERSION "0.1.0"
#define MIN_RAM (1ull << 20)
#define MAX_RAM (1ull << 40)

static void usage(void)
{
    printf("usage: mimic [options]\n"
           "\n"
           "Machine:\n"
           "  -M, -machine NAME[,kernel-unpack=on|off]\n"
           "                       machine type (-M help lists them); kernel-unpack=off\n"
           "                       lets a bzImage decompress itself in the guest\n"
           "  -m SIZE              RAM size, e.g. 512M, 2G (default 128M)\n"
           "  -smp N               number of CPUs\n"
           "  -cpu MODEL           CPU model (host, max)\n"
           "  -accel NAME[,opt=v]  accelerator: kvm (kernel-irqchip=on|off), tcg\n"
           "  -enable-kvm          same as -accel kvm\n"
           "Boot:\n"
           "  -kernel FILE         Linux bzImage or multiboot kernel\n"
           "  -initrd FILE         initial ramdisk (multiboot: modules, comma-separated)\n"
           "  -append TEXT         kernel command line\n"
           "Devices and I/O:\n"
           "  -device NAME[,p=v]   add a device (-device help lists them)\n"
           "  -serial DEV          stdio, file:PATH, null, none (once per port)\n"
           "  -nographic           no display; COM1 and the Ctrl-A mux on stdio\n"
           "  -display none        no display\n"
           "  -no-reboot           exit instead of resetting\n"
           "Debugging:\n"
           "  -d ITEMS             log items (-d help lists them)\n"
           "  -D FILE              write the log to FILE\n"
           "Other:\n"
           "  -name NAME           name of the guest\n"
           "  -version             print the version\n"
           "  -h, -help            this help\n"
           "\n"
           "With -nographic, Ctrl-A h on the console lists the mux keys (Ctrl-A x quits).\n");
}

bool options_parse_size(const char *s, uint64_t *bytes)
{
    char *end;
    if (!*s || *s == '-')
        return false;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return false;
    uint64_t unit = 1ull << 20;   /* bare numbers are MiB, as in QEMU */
    if (*end) {
        switch (*end) {
        case 'b': case 'B': unit = 1; break;
        case 'k': case 'K': unit = 1ull << 10; break;
        case 'm': case 'M': unit = 1ull << 20; break;
        case 'g': case 'G': unit = 1ull << 30; break;
        case 't': case 'T': unit = 1ull << 40; break;
        default: return false;
        }
        end++;
        if (*end == 'i' || *end == 'B')
            end++;
        if (*end == 'B')
            end++;
        if (*end)
            return false;
    }
    double b = v * (double)unit;
    if (b > (double)(1ull << 62))
        return false;
    *bytes = (uint64_t)b;
    return true;
}

/* The options that take an argument, and the ones QEMU has that we do not. */
static const char *const options_with_arg[] = {
    "M", "machine", "m", "smp", "cpu", "accel", "kernel", "initrd", "append", "device",
    "serial", "display", "d", "D", "name", NULL,
};

static bool takes_arg(const char *name)
{
    for (int i = 0; options_with_arg[i]; i++)
        if (!strcmp(options_with_arg[i], name))
            return true;
    return false;
}

/* "key=value,key=value" lookups in option strings such as -m size=1G. */
static const char *suboption(const char *text, const char *key, char *buf, size_t bufsize)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
            snprintf(buf, bufsize, "%.*s", (int)(len - klen - 1), p + klen + 1);
            return buf;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* -M NAME[,type=NAME][,kernel-unpack=on|off]: the one machine property
 * mimic has; anything else is named rather than ignored. */
static void parse_machine(const char *val, MachineOptions *o)
{
    size_t namelen = strcspn(val, ",");
    if (!memchr(val, '=', namelen))
        o->machine = strndup(val, namelen);
    char *copy = strdup(val), *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '=');
        if (it == copy && !eq)
            continue;                     /* the machine name */
        if (!eq)
            fatal("-M %s: '%s' is not a property=value", val, it);
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(it, "type")) {
            o->machine = strdup(v);
        } else if (!strcmp(it, "kernel-unpack")) {
            if (strcmp(v, "on") && strcmp(v, "off"))
                fatal("-M %s: kernel-unpack must be on or off", val);
            o->no_kernel_unpack = !strcmp(v, "off");
        } else {
            fatal("-M %s: unknown machine property '%s' (mimic has kernel-unpack=on|off)",
                  val, it);
        }
    }
    free(copy);
}

void options_parse(int argc, char **argv, MachineOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->ram_size = 128ull << 20;
    o->smp = 1;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || !arg[1])
            fatal("%s: unexpected argument (options start with '-'; try -h)", arg);
        const char *name = arg + 1 + (arg[1] == '-');
        const char *val = NULL;
        if (takes_arg(name)) {
            if (i + 1 >= argc)
                fatal("-%s: missing argument", name);
            val = argv[++i];
        }
        char buf[256];

        if (!strcmp(name, "h") || !strcmp(name, "help")) {
            usage();
            exit(0);
        } else if (!strcmp(name, "version")) {
            printf("mimic version " MIMIC_VERSION "\n");
            exit(0);
        } else if (!strcmp(name, "M") || !strcmp(name, "machine")) {
            if (!strcmp(val, "help") || !strcmp(val, "?")) {
                machine_print_list();
                exit(0);
            }
            parse_machine(val, o);
        } else if (!strcmp(name, "m")) {
            const char *size = suboption(val, "size", buf, sizeof(buf));
            if (!size) {
                if (strchr(val, ','))
                    fatal("-m %s: only the size is supported", val);
                size = val;
            }
            if (!options_parse_size(size, &o->ram_size))
                fatal("-m %s: bad size (use e.g. 512M or 2G)", val);
            if (o->ram_size < MIN_RAM)
                fatal("-m %s: memory size must be at least 1 MiB", val);
            if (o->ram_size > MAX_RAM)
                fatal("-m %s: memory size must be at most 1 TiB", val);
        } else if (!strcmp(name, "smp")) {
            const char *cpus = suboption(val, "cpus", buf, sizeof(buf));
            const char *n = cpus ? cpus : val;
            char *end;
            long v = strtol(n, &end, 10);
            if (end == n || (*end && *end != ',') || v < 1 || v > MACHINE_MAX_CPUS)
                fatal("-smp %s: number of CPUs must be 1 to %d", val, MACHINE_MAX_CPUS);
            o->smp = (int)v;
        } else if (!strcmp(name, "cpu")) {
            o->cpu_model = val;
        } else if (!strcmp(name, "accel")) {
            if (!strcmp(val, "help") || !strcmp(val, "?")) {
                printf("Accelerators: kvm, tcg\n");
                exit(0);
            }
            const char *comma = strchr(val, ',');
            o->accel = comma ? strndup(val, (size_t)(comma - val)) : val;
            o->accel_opts = comma ? comma + 1 : NULL;
        } else if (!strcmp(name, "enable-kvm")) {
            o->accel = "kvm";
        } else if (!strcmp(name, "kernel")) {
            o->kernel = val;
        } else if (!strcmp(name, "initrd")) {
            o->initrd = val;
        } else if (!strcmp(name, "append")) {
            o->append = val;
        } else if (!strcmp(name, "device")) {
            if (!strcmp(val, "help") || !strcmp(val, "?")) {
                device_print_list();
                exit(0);
            }
            if (o->ndevices == MACHINE_MAX_DEVICES)
                fatal("-device: at most %d devices", MACHINE_MAX_DEVICES);
            o->devices[o->ndevices++] = val;
        } else if (!strcmp(name, "serial")) {
            if (o->nserial == MACHINE_MAX_SERIAL)
                fatal("-serial: at most %d serial ports", MACHINE_MAX_SERIAL);
            o->serial[o->nserial++] = val;
        } else if (!strcmp(name, "nographic")) {
            o->nographic = true;
        } else if (!strcmp(name, "display")) {
            if (strcmp(val, "none") != 0)
                fatal("-display %s: only -display none is supported (the window arrives with "
                      "the display issue)", val);
            o->display = val;
        } else if (!strcmp(name, "no-reboot")) {
            o->no_reboot = true;
        } else if (!strcmp(name, "d")) {
            const char *bad;
            if (!strcmp(val, "help") || !strcmp(val, "?")) {
                log_print_help(stdout);
                exit(0);
            }
            if (!log_parse_mask(val, &log_mask, &bad))
                fatal("-d %s: unknown log item '%s' (try -d help)", val, bad);
        } else if (!strcmp(name, "D")) {
            if (!log_set_file(val))
                fatal("-D %s: cannot open: %s", val, strerror(errno));
        } else if (!strcmp(name, "name")) {
            const char *guest = suboption(val, "guest", buf, sizeof(buf));
            o->name = guest ? strdup(guest) : val;
        } else {
            fatal("-%s: unsupported option (try -h)", name);
        }
    }
    if (o->initrd && !o->kernel)
        fatal("-initrd requires -kernel");
    if (o->append && !o->kernel)
        fatal("-append requires -kernel");
}
