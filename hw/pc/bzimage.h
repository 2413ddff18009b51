/*
 * Host-side unpacking of a bzImage: find the compressed kernel (setup header
 * payload_offset/payload_length, boot protocol 2.08+), decompress it with
 * Debian's zlib/liblzma/libzstd and parse the vmlinux ELF inside
 * (Documentation/arch/x86/boot.rst; System V ABI ELF-64). Leaves out bzip2,
 * LZO and LZ4 payloads (the guest's own decompressor handles those).
 */
#ifndef MIMIC_HW_PC_BZIMAGE_H
#define MIMIC_HW_PC_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Why this exists: under emulation the guest spends most of its boot in its
 * own decompressor. With the vmlinux unpacked here, linux_boot.c copies its
 * PT_LOAD segments to their linked physical addresses (p_paddr; _text at
 * LOAD_PHYSICAL_ADDR, usually 16 MiB) and enters startup_64 (e_entry, which
 * for x86-64 is phys_startup_64) in long mode with RSI = zero page, exactly
 * as the kernel's decompressor does without KASLR. No relocation is needed:
 * on x86-64 the relocation table only serves a randomised *virtual* base,
 * and startup_64 itself fixes its page tables for any physical base.
 *
 * Alternative kept documented, not used: the PVH entry (ELF note "Xen",
 * XEN_ELFNOTE_PHYS32_ENTRY, recorded in Vmlinux.pvh_entry): 32-bit flat
 * mode, paging off, EBX = struct hvm_start_info. It is what QEMU uses for a
 * raw vmlinux. The 64-bit entry is preferred because it works for every
 * x86-64 kernel (PVH needs CONFIG_PVH), reuses the zero page we already
 * build and test (every boot_params field, not the subset pvh.c converts
 * from hvm_start_info), and the CPU state is the same as the 64-bit boot
 * protocol's, which the normal path already uses.
 */

typedef enum BzimageFormat {
    BZIMAGE_UNKNOWN = 0,
    BZIMAGE_GZIP,
    BZIMAGE_BZIP2,
    BZIMAGE_LZMA,
    BZIMAGE_XZ,
    BZIMAGE_LZO,
    BZIMAGE_LZ4,
    BZIMAGE_ZSTD,
} BzimageFormat;

typedef enum BzimageResult {
    BZIMAGE_OK = 0,
    BZIMAGE_UNSUPPORTED,   /* valid, but not for the fast path: boot normally */
    BZIMAGE_CORRUPT,       /* the payload is broken: the guest would fail too */
} BzimageResult;

/* The kernel's vmlinux.bin is a few MiB to ~100 MiB; anything bigger than
 * this is a broken size field, not a kernel. */
#define BZIMAGE_MAX_VMLINUX   (512u << 20)
/* liblzma's dictionary allocation bound (xz -9 needs 65 MiB). */
#define BZIMAGE_DECODER_MEMLIMIT (256ull << 20)
#define VMLINUX_MAX_SEGMENTS  16
#define VMLINUX_MAX_PHDRS     64
#define VMLINUX_MIN_PADDR     0x100000u   /* below 1 MiB is the loader's */

typedef struct VmlinuxSegment {
    uint64_t paddr;
    const uint8_t *data;       /* filesz bytes inside Vmlinux.elf */
    uint64_t filesz, memsz;    /* memsz - filesz bytes are zeroed */
} VmlinuxSegment;

typedef struct Vmlinux {
    uint8_t *elf;              /* owned: the decompressed payload */
    size_t elf_size;
    BzimageFormat format;      /* what it was compressed with */
    uint64_t entry;            /* e_entry: physical address of startup_64 */
    uint64_t start, end;       /* lowest p_paddr, highest p_paddr + p_memsz */
    int nsegs;
    VmlinuxSegment seg[VMLINUX_MAX_SEGMENTS];   /* sorted by paddr */
    uint64_t pvh_entry;        /* XEN_ELFNOTE_PHYS32_ENTRY, 0 if none */
} Vmlinux;

/* "gzip", "xz", ... ("unknown" for BZIMAGE_UNKNOWN). */
const char *bzimage_format_name(BzimageFormat f);

/* The format from the payload's first bytes (the kernel's own magics). */
BzimageFormat bzimage_detect(const uint8_t *p, size_t n);

/*
 * The compressed payload inside a bzImage file, checked against the file
 * and the protected-mode part's size. UNSUPPORTED (protocol < 2.08 has no
 * payload fields) or CORRUPT with *err set.
 */
BzimageResult bzimage_payload(const uint8_t *k, size_t n, const uint8_t **payload,
                              size_t *len, const char **err);

/*
 * Decompress a payload whose last 4 bytes are the decompressed size (little
 * endian; gzip's ISIZE, the kernel's size_append for the others). The size
 * must be at most `limit` and the stream must produce exactly that many
 * bytes. On OK *out is malloc'd (free it); otherwise *err says why: an
 * unsupported format names the ones that are supported.
 */
BzimageResult bzimage_decompress(const uint8_t *payload, size_t len, uint64_t limit,
                                 uint8_t **out, size_t *out_size, const char **err);

/*
 * Check an x86-64 vmlinux ELF (ET_EXEC, EM_X86_64): program headers and
 * PT_LOAD segments inside the file, non-overlapping, at or above 1 MiB,
 * entry inside a loaded segment; read the PVH note. Takes ownership of
 * `elf` on OK (vmlinux_free releases it). A 32-bit ELF is UNSUPPORTED.
 */
BzimageResult vmlinux_parse(uint8_t *elf, size_t n, Vmlinux *v, const char **err);

/* bzimage_payload + bzimage_decompress (bounded by BZIMAGE_MAX_VMLINUX and
 * the header's init_size) + vmlinux_parse. */
BzimageResult bzimage_unpack(const uint8_t *k, size_t n, Vmlinux *v, const char **err);

void vmlinux_free(Vmlinux *v);

#endif
