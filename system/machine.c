/*
 * The machine: the registry of machine types, RAM allocation, reset
 * handlers and the lifecycle requests that devices and vCPUs raise and the
 * main loop carries out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "mimic/log.h"
#include "mimic/machine.h"
#include "mimic/mainloop.h"

#define MAX_MACHINE_TYPES 8

static const MachineType *machine_types[MAX_MACHINE_TYPES];
static int nmachine_types;

void machine_register(const MachineType *type)
{
    if (nmachine_types == MAX_MACHINE_TYPES)
        fatal("too many machine types");
    machine_types[nmachine_types++] = type;
}

const MachineType *machine_find(const char *name)
{
    for (int i = 0; i < nmachine_types; i++) {
        if (name ? !strcmp(machine_types[i]->name, name) : machine_types[i]->is_default)
            return machine_types[i];
    }
    return NULL;
}

void machine_print_list(void)
{
    printf("Supported machines are:\n");
    for (int i = 0; i < nmachine_types; i++)
        printf("%-20s %s%s\n", machine_types[i]->name, machine_types[i]->desc,
               machine_types[i]->is_default ? " (default)" : "");
}

Machine *machine_create(const MachineType *type, const MachineOptions *opts)
{
    Machine *m = calloc(1, sizeof(*m));
    if (!m)
        fatal("out of memory");
    m->type = type;
    m->opts = opts;
    m->ncpus = opts->smp > 0 ? opts->smp : 1;
    m->mem = address_space_new("memory");
    m->io = address_space_new("io");
    return m;
}

uint8_t *machine_alloc_ram(Machine *m, uint64_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        fatal("cannot allocate %llu MiB of guest RAM: %s", (unsigned long long)(size >> 20),
              strerror(errno));
    madvise(p, size, MADV_MERGEABLE);
    m->ram = p;
    m->ram_size = size;
    return p;
}

void machine_add_reset(Machine *m, void (*fn)(void *opaque), void *opaque)
{
    if (m->nresets == MACHINE_MAX_RESET_HANDLERS)
        fatal("too many reset handlers (max %d)", MACHINE_MAX_RESET_HANDLERS);
    m->resets[m->nresets++] = (ResetHandler){ fn, opaque };
}

void machine_reset_devices(Machine *m)
{
    for (int i = 0; i < m->nresets; i++)
        m->resets[i].fn(m->resets[i].opaque);
}

/* A request never downgrades an exit or power-off to a reset. */
static void machine_request(Machine *m, int req, int status)
{
    if (m->request == REQUEST_EXIT || m->request == REQUEST_POWEROFF)
        return;
    m->exit_status = status;
    m->request = req;
    mainloop_wakeup();
}

void machine_request_reset(Machine *m) { machine_request(m, REQUEST_RESET, 0); }
void machine_request_poweroff(Machine *m) { machine_request(m, REQUEST_POWEROFF, 0); }
void machine_request_exit(Machine *m, int status) { machine_request(m, REQUEST_EXIT, status); }

uint8_t *load_file(const char *path, size_t *size, const char **err)
{
    static char msg[512];
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(msg, sizeof(msg), "cannot read %s: %s", path,
                 f ? "not a regular file" : strerror(errno));
        if (f)
            fclose(f);
        *err = msg;
        return NULL;
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(msg, sizeof(msg), "cannot read %s: %s", path, buf ? "short read" : "out of memory");
        free(buf);
        fclose(f);
        *err = msg;
        return NULL;
    }
    fclose(f);
    *size = (size_t)st.st_size;
    return buf;
}
