/*
 * The "etc/table-loader" command list of QEMU's BIOS linker/loader: fw_cfg
 * files the firmware must place in memory (ALLOCATE), pointers between them
 * it must relocate (ADD_POINTER) and checksums it must fix afterwards
 * (ADD_CHECKSUM). 128-byte little-endian entries, as SeaBIOS's
 * romfile_loader reads them. Leaves out WRITE_POINTER (nothing here needs
 * the firmware to report addresses back).
 */
#ifndef MIMIC_HW_NVRAM_BIOS_LINKER_H
#define MIMIC_HW_NVRAM_BIOS_LINKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIOS_LINKER_ENTRY_SIZE 128
#define BIOS_LINKER_FILE_SIZE  56      /* file name field, NUL-terminated */

enum {
    BIOS_LINKER_ALLOCATE = 1,          /* file, u32 align, u8 zone */
    BIOS_LINKER_ADD_POINTER = 2,       /* dest file, src file, u32 offset, u8 size */
    BIOS_LINKER_ADD_CHECKSUM = 3,      /* file, u32 offset, u32 start, u32 length */
    BIOS_LINKER_WRITE_POINTER = 4,
};

enum {
    BIOS_LINKER_ZONE_HIGH = 1,         /* anywhere in RAM below 4 GiB */
    BIOS_LINKER_ZONE_FSEG = 2,         /* 0xF0000-0xFFFFF, where OSes scan for anchors */
};

/* Entry layout offsets (after the u32 command at 0). */
#define BIOS_LINKER_OFF_FILE      4
#define BIOS_LINKER_OFF_ALIGN     60
#define BIOS_LINKER_OFF_ZONE      64
#define BIOS_LINKER_OFF_SRC_FILE  60
#define BIOS_LINKER_OFF_PTR_OFFSET 116
#define BIOS_LINKER_OFF_PTR_SIZE  120
#define BIOS_LINKER_OFF_CK_OFFSET 60
#define BIOS_LINKER_OFF_CK_START  64
#define BIOS_LINKER_OFF_CK_LENGTH 68

typedef struct BiosLinker {
    uint8_t *data;                     /* the command list, entries back to back */
    size_t len, cap;
    bool error;                        /* a bad argument was rejected */
} BiosLinker;

void bios_linker_init(BiosLinker *l);
void bios_linker_free(BiosLinker *l);

/* Each returns false (and sets l->error) for a name that does not fit,
 * an alignment that is not a power of two, a pointer size other than 1,
 * 2, 4 or 8, or an unknown zone. */
bool bios_linker_allocate(BiosLinker *l, const char *file, uint32_t align, uint8_t zone);
/* The `size`-byte little-endian value at `offset` in dest is an offset into
 * src; the firmware adds src's address to it. */
bool bios_linker_add_pointer(BiosLinker *l, const char *dest, uint32_t offset, uint8_t size,
                             const char *src);
/* The firmware subtracts the byte sum of [start, start+length) of file from
 * the byte at offset (which lies inside that range), making it sum to 0. */
bool bios_linker_add_checksum(BiosLinker *l, const char *file, uint32_t offset, uint32_t start,
                              uint32_t length);

#endif
