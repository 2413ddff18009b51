/*
 * A machine: its options, address spaces, RAM, interrupt wiring, reset
 * handlers and lifecycle requests (reset, power-off, exit). Machine types
 * (`pc`, later `virt`) register themselves from their own file.
 */
#ifndef MIMIC_MACHINE_H
#define MIMIC_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include "mimic/memory.h"
#include "mimic/irq.h"
#include "mimic/x86_state.h"

#define MACHINE_MAX_CPUS 64
#define MACHINE_MAX_SERIAL 4
#define MACHINE_MAX_DEVICES 32
#define MACHINE_MAX_GSI 24

typedef struct Chardev Chardev;
typedef struct AccelOps AccelOps;

#define MACHINE_MAX_DRIVES 8

/* One -drive (or -hda/-hdb/-hdc/-hdd/-cdrom) as given on the command line. */
typedef struct DriveOptions {
    const char *file;
    const char *format;           /* "raw", "qcow2"; NULL: probe the file */
    const char *iface;            /* "ide" (default) or "none" */
    int index;                    /* IDE: 0..3 = primary master .. secondary slave; -1: next free */
    bool cdrom;                   /* media=cdrom */
    bool readonly;                /* readonly=on (always for a CD) */
    bool snapshot;                /* snapshot=on or -snapshot: writes go to a throwaway overlay */
    const char *id;               /* id=, for -device ide-hd,drive=ID later */
} DriveOptions;

typedef struct MachineOptions {
    const char *machine;          /* -M */
    uint64_t ram_size;            /* -m, bytes */
    int smp;                      /* -smp */
    const char *cpu_model;        /* -cpu */
    const char *accel;            /* -accel name */
    const char *accel_opts;       /* -accel name,opts... (after the comma) */
    const char *kernel, *initrd, *append;
    bool nographic;
    const char *display;          /* "none" */
    const char *serial[MACHINE_MAX_SERIAL];
    int nserial;
    bool no_reboot;
    bool no_kernel_unpack;        /* -M ...,kernel-unpack=off */
    const char *name;
    const char *devices[MACHINE_MAX_DEVICES];   /* -device specs */
    int ndevices;
    DriveOptions drives[MACHINE_MAX_DRIVES];
    int ndrives;
    const char *bios;             /* -bios FILE; NULL: our own BIOS */
    const char *boot_order;       /* -boot order= / letters: QEMU's a,c,d,n; NULL: the machine's */
    const char *boot_once;        /* -boot once=: the order of the first boot only; NULL: none */
    bool boot_menu;               /* -boot menu=on */
    const char *monitor;          /* -monitor SPEC (checked); NULL: the default */
} MachineOptions;

typedef enum MachineRequest {
    REQUEST_NONE = 0,
    REQUEST_RESET,      /* guest asked for a reset (CF9, i8042, triple fault) */
    REQUEST_POWEROFF,   /* ACPI S5: exit 0 */
    REQUEST_EXIT,       /* isa-debug-exit, mux Ctrl-A x: exit with exit_status */
} MachineRequest;

typedef struct Machine Machine;

typedef struct MachineType {
    const char *name;
    const char *desc;
    bool is_default;
    /* Create RAM, devices and wiring; the accelerator is already initialised. */
    void (*init)(Machine *m);
    /* (Re)load firmware/kernel into RAM and set the boot CPU state; called
     * after init and after every system reset. */
    void (*load)(Machine *m);
} MachineType;

typedef struct ResetHandler {
    void (*fn)(void *opaque);
    void *opaque;
} ResetHandler;

#define MACHINE_MAX_RESET_HANDLERS 128
#define MACHINE_ACCEL_PAGES_SIZE 0x4000u   /* 4 pages: KVM's identity map + 3-page TSS */

struct Machine {
    const MachineType *type;
    const MachineOptions *opts;
    AddressSpace *mem;        /* physical memory */
    AddressSpace *io;         /* x86 I/O ports (NULL on machines without) */
    uint8_t *ram;
    uint64_t ram_size;
    int ncpus;
    /* State every CPU gets at reset: [0] the boot CPU (set by load()),
     * the others wait for INIT/SIPI (x86) or PSCI (arm). */
    X86Regs boot_regs;
    const AccelOps *accel;
    void *accel_state;
    /* MACHINE_ACCEL_PAGES_SIZE bytes of guest-physical space that the machine
     * maps nothing into and reserves in its memory map, for pages the
     * accelerator places itself (KVM on Intel VMX: the real-mode TSS and the
     * identity-map page table). Set by MachineType.init; 0: none set, the
     * accelerator picks a gap of the memory map. */
    uint64_t accel_pages_base;
    IrqLine *gsi[MACHINE_MAX_GSI];   /* ISA/PCI interrupt inputs of the platform */
    Chardev *serial[MACHINE_MAX_SERIAL];
    ResetHandler resets[MACHINE_MAX_RESET_HANDLERS];
    int nresets;
    /* Virtual time of the last system reset of the CPUs: every CPU's clocks
     * (the x86 TSC) restart from zero at this one instant. */
    int64_t cpu_reset_ns;
    volatile int request;             /* MachineRequest, set from any thread */
    volatile int exit_status;
    void *board;                      /* machine type's private state */
};

void machine_register(const MachineType *type);
const MachineType *machine_find(const char *name);   /* NULL name: default */
void machine_print_list(void);

Machine *machine_create(const MachineType *type, const MachineOptions *opts);
/* Allocate guest RAM (one anonymous mmap) and map it; returns host pointer. */
uint8_t *machine_alloc_ram(Machine *m, uint64_t size);

void machine_add_reset(Machine *m, void (*fn)(void *opaque), void *opaque);
void machine_reset_devices(Machine *m);

/* Lifecycle requests from devices or vCPUs; handled by the main loop. */
void machine_request_reset(Machine *m);
void machine_request_poweroff(Machine *m);
void machine_request_exit(Machine *m, int status);

/* Bytes of a file, or NULL with *err set ("cannot read FILE: why"). */
uint8_t *load_file(const char *path, size_t *size, const char **err);

#endif
