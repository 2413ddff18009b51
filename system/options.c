/*
 * Command-line parsing. Options follow QEMU's spelling (one or two leading
 * dashes); anything we do not support is named in a one-line error rather
 * than ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mimic/device.h"
#include "mimic/log.h"
#include "monitor/monitor.h"
#include "system/options.h"
#include "tcg/exec.h"

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
           "  -bios FILE           PC firmware image (default: mimic's own BIOS)\n"
           "  -boot [order=]DRIVES[,once=DRIVES][,menu=on|off]\n"
           "                       boot order: a floppy, c hard disk, d CD-ROM, n network;\n"
           "                       once= for the first boot only, order= after a reset\n"
           "Disks:\n"
           "  -drive file=FILE[,format=raw|qcow2][,if=ide|none][,index=0..3]\n"
           "         [,media=disk|cdrom][,readonly=on|off][,snapshot=on|off][,id=NAME]\n"
           "                       add a disk image (format probed when not given)\n"
           "  -hda/-hdb/-hdc/-hdd FILE  IDE disk at index 0/1/2/3\n"
           "  -cdrom FILE          IDE CD-ROM at index 2 (secondary master)\n"
           "  -snapshot            write to throwaway overlays, never to the images\n"
           "Devices and I/O:\n"
           "  -device NAME[,p=v]   add a device (-device help lists them)\n"
           "  -serial DEV          stdio, file:PATH, null, none (once per port)\n"
           "  -debugcon DEV        debug console port 0xe9 to stdio, file:PATH, null\n"
           "  -monitor DEV         human monitor on stdio, unix:PATH,server,nowait or none\n"
           "                       (default with -nographic: Ctrl-A c on the console)\n"
           "  -nographic           no display; COM1 and the Ctrl-A mux on stdio\n"
           "  -display sdl|none    a window (the default when there is a desktop) or none;\n"
           "                       in the window Ctrl-Alt-G releases the mouse, Ctrl-Alt-F\n"
           "                       toggles full screen\n"
           "  -no-reboot           exit instead of resetting\n"
           "Debugging:\n"
           "  -d ITEMS             log items (-d help lists them)\n"
           "  -D FILE              write the log to FILE\n"
           "  -perfmap             write /tmp/perf-<pid>.map so perf names translated code\n"
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
    "serial", "display", "d", "D", "name", "drive", "hda", "hdb", "hdc", "hdd", "cdrom",
    "boot", "bios", "debugcon", "monitor", NULL,
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

/* IDE has two channels of two devices; -drive index= counts them in order
 * primary master, primary slave, secondary master, secondary slave. */
#define IDE_MAX_INDEX 4

/* Where each drive came from, for "index 0 is already used by ..." */
typedef struct DriveSources {
    const char *text[MACHINE_MAX_DRIVES];
} DriveSources;

/* One key=value of a QEMU option string; ",," stands for a comma inside a
 * value (file names). Returns false at the end. */
static bool next_keyval(const char **pos, char **key, char **value)
{
    const char *p = *pos;
    if (!*p)
        return false;
    size_t cap = strlen(p) + 1, n = 0;
    char *out = malloc(cap);
    if (!out)
        fatal("out of memory");
    while (*p) {
        if (*p == ',') {
            if (p[1] != ',')
                break;
            p++;
        }
        out[n++] = *p++;
    }
    out[n] = 0;
    *pos = *p ? p + 1 : p;
    char *eq = strchr(out, '=');
    *key = out;
    *value = NULL;
    if (eq) {
        *eq = 0;
        *value = eq + 1;
    }
    return true;
}

static bool parse_on_off(const char *opt, const char *key, const char *v)
{
    if (v && !strcmp(v, "on"))
        return true;
    if (v && !strcmp(v, "off"))
        return false;
    fatal("%s: %s must be on or off", opt, key);
}

/* Give a drive its IDE index (the first free one when none was asked for)
 * and add it to o->drives. */
static void add_drive(MachineOptions *o, DriveSources *src, DriveOptions d, const char *text)
{
    if (o->ndrives == MACHINE_MAX_DRIVES)
        fatal("%s: at most %d drives", text, MACHINE_MAX_DRIVES);
    if (!strcmp(d.iface, "ide")) {
        if (d.index < 0) {
            for (int i = 0; i < IDE_MAX_INDEX && d.index < 0; i++) {
                bool used = false;
                for (int j = 0; j < o->ndrives; j++)
                    used |= !strcmp(o->drives[j].iface, "ide") && o->drives[j].index == i;
                if (!used)
                    d.index = i;
            }
            if (d.index < 0)
                fatal("%s: all %d IDE positions are taken", text, IDE_MAX_INDEX);
        }
        for (int j = 0; j < o->ndrives; j++)
            if (!strcmp(o->drives[j].iface, "ide") && o->drives[j].index == d.index)
                fatal("%s: IDE index %d is already used by %s", text, d.index, src->text[j]);
    }
    if (d.id)
        for (int j = 0; j < o->ndrives; j++)
            if (o->drives[j].id && !strcmp(o->drives[j].id, d.id))
                fatal("%s: drive id '%s' is already used by %s", text, d.id, src->text[j]);
    src->text[o->ndrives] = text;
    o->drives[o->ndrives++] = d;
}

/* -drive file=F,format=raw|qcow2,if=ide|none,index=N,media=disk|cdrom,
 * readonly=on|off,snapshot=on|off,id=X */
static void parse_drive(MachineOptions *o, DriveSources *src, const char *val)
{
    char *text = malloc(strlen(val) + 8);
    if (!text)
        fatal("out of memory");
    sprintf(text, "-drive %s", val);
    DriveOptions d = { .iface = "ide", .index = -1 };
    bool index_given = false, readonly_off = false;
    char *key, *v;
    for (const char *p = val; next_keyval(&p, &key, &v);) {
        if (!v)
            fatal("%s: '%s' is not key=value", text, key);
        if (!strcmp(key, "file")) {
            if (!*v)
                fatal("%s: file= is empty", text);
            d.file = v;
        } else if (!strcmp(key, "format")) {
            if (strcmp(v, "raw") && strcmp(v, "qcow2"))
                fatal("%s: unknown format '%s' (mimic has raw and qcow2)", text, v);
            d.format = v;
        } else if (!strcmp(key, "if")) {
            if (strcmp(v, "ide") && strcmp(v, "none"))
                fatal("%s: if=%s is not supported (mimic has ide and none)", text, v);
            d.iface = v;
        } else if (!strcmp(key, "index")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 0 || n >= IDE_MAX_INDEX)
                fatal("%s: index must be 0 to %d", text, IDE_MAX_INDEX - 1);
            d.index = (int)n;
            index_given = true;
        } else if (!strcmp(key, "media")) {
            if (strcmp(v, "disk") && strcmp(v, "cdrom"))
                fatal("%s: media must be disk or cdrom", text);
            d.cdrom = !strcmp(v, "cdrom");
        } else if (!strcmp(key, "readonly")) {
            d.readonly = parse_on_off(text, "readonly", v);
            readonly_off = !d.readonly;
        } else if (!strcmp(key, "snapshot")) {
            d.snapshot = parse_on_off(text, "snapshot", v);
        } else if (!strcmp(key, "id")) {
            bool ok = isalpha((unsigned char)v[0]);
            for (const char *c = v; *c; c++)
                ok &= isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.';
            if (!ok)
                fatal("%s: id '%s' must start with a letter and hold only letters, digits, "
                      "'-', '_' and '.'", text, v);
            d.id = v;
        } else {
            fatal("%s: unknown key '%s' (mimic has file, format, if, index, media, readonly, "
                  "snapshot, id)", text, key);
        }
    }
    /* QEMU: a CD drive may start empty; a disk needs its image. */
    if (!d.file && !d.cdrom)
        fatal("%s: file= is missing", text);
    if (index_given && strcmp(d.iface, "ide"))
        fatal("%s: index= needs if=ide", text);
    if (d.cdrom && readonly_off)
        fatal("%s: a CD-ROM is read-only (drop readonly=off)", text);
    d.readonly |= d.cdrom;
    add_drive(o, src, d, text);
}

/* -hda/-hdb/-hdc/-hdd/-cdrom FILE: the file name is taken as is. */
static void parse_drive_shortcut(MachineOptions *o, DriveSources *src, const char *name,
                                 const char *file)
{
    char *text = malloc(strlen(name) + strlen(file) + 3);
    if (!text)
        fatal("out of memory");
    sprintf(text, "-%s %s", name, file);
    if (!*file)
        fatal("-%s: empty file name", name);
    bool cdrom = !strcmp(name, "cdrom");
    DriveOptions d = {
        .file = file,
        .iface = "ide",
        .index = cdrom ? 2 : name[2] - 'a',   /* QEMU: the CD is the secondary master */
        .cdrom = cdrom,
        .readonly = cdrom,
    };
    add_drive(o, src, d, text);
}

/* Boot devices as QEMU's letters: a floppy, c hard disk, d CD-ROM,
 * n network; each at most once. */
static const char *parse_boot_letters(const char *opt, const char *letters)
{
    if (!*letters)
        fatal("-boot %s: no boot device given", opt);
    for (const char *c = letters; *c; c++) {
        if (!strchr("acdn", *c))
            fatal("-boot %s: unknown boot device '%c' (a floppy, c hard disk, d CD-ROM, "
                  "n network)", opt, *c);
        if (strchr(c + 1, *c))
            fatal("-boot %s: boot device '%c' given twice", opt, *c);
    }
    return letters;
}

/* -boot [order=]LETTERS[,once=LETTERS][,menu=on|off] */
static void parse_boot(MachineOptions *o, const char *val)
{
    const char *order = NULL, *once = NULL;
    char *key, *v;
    bool first = true;
    char text[300];
    snprintf(text, sizeof(text), "-boot %s", val);
    if (!*val)
        fatal("-boot: no boot device given (e.g. -boot c, -boot order=dc)");
    for (const char *p = val; next_keyval(&p, &key, &v); first = false) {
        if (!v && first)
            order = parse_boot_letters(val, key);          /* legacy "-boot cd" */
        else if (!v)
            fatal("-boot %s: '%s' is not key=value", val, key);
        else if (!strcmp(key, "order"))
            order = parse_boot_letters(val, v);
        else if (!strcmp(key, "once"))
            once = parse_boot_letters(val, v);
        else if (!strcmp(key, "menu"))
            o->boot_menu = parse_on_off(text, "menu", v);
        else
            fatal("-boot %s: unknown key '%s' (mimic has order, once, menu)", val, key);
    }
    /* Each -boot sets only what it names (QEMU merges repeated -boot). */
    if (once)
        o->boot_once = once;
    if (order)
        o->boot_order = order;
}

#define PERFMAP_BUFFER (1u << 20)

/* -perfmap: /tmp/perf-<pid>.map, the file perf report reads to name JIT
 * code. A stale file of an earlier process with our pid is replaced; O_EXCL
 * keeps us from following a link someone else planted in /tmp. Fully
 * buffered (exit flushes it): perf reads it only after the run. */
static void perfmap_open(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f)
        fatal("-perfmap: cannot create %s: %s", path, strerror(errno));
    setvbuf(f, NULL, _IOFBF, PERFMAP_BUFFER);
    tcg_perfmap = f;
}

void options_parse(int argc, char **argv, MachineOptions *o)
{
    bool perfmap = false;
    DriveSources drive_src = { { 0 } };
    bool snapshot_all = false;
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
            if (!strcmp(val, "help") || !strcmp(val, "?")) {
                printf("Available display backend types:\nnone\nsdl\n");
                exit(0);
            }
            size_t type_len = strcspn(val, ",");
            if ((type_len != 3 || strncmp(val, "sdl", 3)) && (type_len != 4 || strncmp(val, "none", 4)))
                fatal("-display %.*s: not supported (mimic has sdl and none)", (int)type_len, val);
            if (val[type_len])
                fatal("-display %s: display options are not supported (use -display %.*s)", val,
                      (int)type_len, val);
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
        } else if (!strcmp(name, "perfmap")) {
            perfmap = true;
        } else if (!strcmp(name, "D")) {
            if (!log_set_file(val))
                fatal("-D %s: cannot open: %s", val, strerror(errno));
        } else if (!strcmp(name, "name")) {
            const char *guest = suboption(val, "guest", buf, sizeof(buf));
            o->name = guest ? strdup(guest) : val;
        } else if (!strcmp(name, "drive")) {
            parse_drive(o, &drive_src, val);
        } else if (!strcmp(name, "hda") || !strcmp(name, "hdb") || !strcmp(name, "hdc") ||
                   !strcmp(name, "hdd") || !strcmp(name, "cdrom")) {
            parse_drive_shortcut(o, &drive_src, name, val);
        } else if (!strcmp(name, "snapshot")) {
            snapshot_all = true;
        } else if (!strcmp(name, "boot")) {
            parse_boot(o, val);
        } else if (!strcmp(name, "debugcon")) {
            /* QEMU's shorthand for an isa-debugcon at its default port. */
            if (o->ndevices == MACHINE_MAX_DEVICES)
                fatal("-debugcon: at most %d devices", MACHINE_MAX_DEVICES);
            char *spec;
            if (asprintf(&spec, "isa-debugcon,chardev=%s", val) < 0)
                fatal("out of memory");
            o->devices[o->ndevices++] = spec;
        } else if (!strcmp(name, "monitor")) {
            MonitorSpec spec;
            const char *err;
            if (!monitor_parse_spec(val, &spec, &err))
                fatal("-monitor %s: %s", val, err);
            if (o->monitor)
                fatal("-monitor %s: only one monitor is supported (already -monitor %s)", val,
                      o->monitor);
            o->monitor = val;
        } else if (!strcmp(name, "bios")) {
            if (!*val)
                fatal("-bios: empty file name");
            o->bios = val;
        } else {
            fatal("-%s: unsupported option (try -h)", name);
        }
    }
    for (int i = 0; i < o->ndrives && snapshot_all; i++)
        o->drives[i].snapshot = true;
    if (o->nographic && o->display && strcmp(o->display, "none"))
        fatal("-nographic cannot be used with -display %s", o->display);
    if (o->initrd && !o->kernel)
        fatal("-initrd requires -kernel");
    if (o->append && !o->kernel)
        fatal("-append requires -kernel");
    if (perfmap && o->accel && strcmp(o->accel, "tcg"))
        fatal("-perfmap needs -accel tcg (it maps translated code)");
    if (perfmap)
        perfmap_open();
}
