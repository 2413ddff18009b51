/*
 * QEMU's ACPI table-loader command list ("etc/table-loader", 128-byte
 * commands: ALLOCATE, ADD_POINTER, ADD_CHECKSUM, WRITE_POINTER; see
 * hw/acpi/bios-linker-loader.c's interface description in QEMU). Pure logic
 * over callbacks, unit-tested on the host.
 */
#ifndef BIOS_ROMFILE_LOADER_H
#define BIOS_ROMFILE_LOADER_H

#include "types.h"

#define LOADER_CMD_SIZE 128
#define LOADER_NAME_SIZE 56
#define LOADER_MAX_FILES 32
#define LOADER_ALLOCATE 1
#define LOADER_ADD_POINTER 2
#define LOADER_ADD_CHECKSUM 3
#define LOADER_WRITE_POINTER 4
#define LOADER_ZONE_HIGH 1
#define LOADER_ZONE_FSEG 2

struct loader_file {
    char name[LOADER_NAME_SIZE];
    u8 *data;          /* where the BIOS can write it */
    u32 addr;          /* the address the guest sees */
    u32 size;
};

struct loader_ops {
    void *opaque;
    int (*file_size)(void *opaque, const char *name, u32 *size);
    int (*file_read)(void *opaque, const char *name, void *buf, u32 size);
    void *(*alloc)(void *opaque, u32 size, u32 align, int zone, u32 *addr);
    int (*write_pointer)(void *opaque, const char *name, u32 offset, const void *val, u32 size);
};

/* Execute the commands; returns the number of files placed, or -1 with
 * *err set to a short reason. */
int loader_run(const u8 *cmds, u32 len, const struct loader_ops *ops,
               struct loader_file *files, int max_files, const char **err);

#endif
