/*
 * ACPI and SMBIOS tables handed over by the machine through fw_cfg: runs
 * "etc/table-loader" (tables in reserved high RAM, RSDP in the F segment)
 * and places "etc/smbios/smbios-tables" with its entry point
 * "etc/smbios/smbios-anchor" (SMBIOS 3.x spec 5.2: 2.1 "_SM_" and 3.0
 * "_SM3_" entry points), fixing the table address and the checksums.
 */
#include "bios.h"
#include "romfile_loader.h"

#define LOADER_BUF 0x20000      /* POST scratch below the boot area */
#define LOADER_BUF_SIZE 0x10000

static int fw_size(void *opaque, const char *name, u32 *size)
{
    u16 key;
    (void)opaque;
    return fwcfg_find(name, &key, size);
}

static int fw_read(void *opaque, const char *name, void *buf, u32 size)
{
    (void)opaque;
    return fwcfg_read_file(name, buf, size) == (int)size ? 0 : -1;
}

static void *fw_alloc(void *opaque, u32 size, u32 align, int zone, u32 *addr)
{
    (void)opaque;
    void *p;
    if (zone == LOADER_ZONE_FSEG)
        p = fseg_alloc(size, align);
    else
        p = flat(memmap_high_alloc(size, align));
    *addr = (u32)(uintptr_t)p;
    return p;
}

static int fw_write_pointer(void *opaque, const char *name, u32 offset, const void *val, u32 size)
{
    u16 key;
    u32 fsize;
    (void)opaque;
    if (fwcfg_find(name, &key, &fsize) || offset > fsize || size > fsize - offset)
        return -1;
    return fwcfg_write_file(key, offset, val, size);
}

static void acpi_setup(void)
{
    static struct loader_file files[LOADER_MAX_FILES];
    u8 *buf = flat(LOADER_BUF);
    int len = fwcfg_read_file("etc/table-loader", buf, LOADER_BUF_SIZE);
    if (len <= 0)
        return;
    struct loader_ops ops = { NULL, fw_size, fw_read, fw_alloc, fw_write_pointer };
    const char *err = "";
    if (loader_run(buf, len, &ops, files, LOADER_MAX_FILES, &err) < 0)
        printf("ACPI: table-loader: %s\n", err);
}

static void smbios_setup(void)
{
    u8 anchor[32];
    u16 key;
    u32 size;
    int alen = fwcfg_read_file("etc/smbios/smbios-anchor", anchor, sizeof(anchor));
    if (alen < 24 || fwcfg_find("etc/smbios/smbios-tables", &key, &size) || !size)
        return;
    u32 addr = memmap_high_alloc(size, 16);
    u8 *ep = fseg_alloc(alen, 16);
    if (!addr || !ep)
        return;
    fwcfg_read_key(key, flat(addr), size);
    memcpy(ep, anchor, alen);
    if (!memcmp(ep, "_SM3_", 5)) {
        put_le64(ep + 0x10, addr);
        ep[5] = 0;
        ep[5] = -checksum8(ep, ep[6]);
    } else if (!memcmp(ep, "_SM_", 4) && alen >= 0x1F) {
        put_le32(ep + 0x18, addr);
        ep[0x15] = 0;
        ep[0x15] = -checksum8(ep + 0x10, 0x0F);
        ep[4] = 0;
        ep[4] = -checksum8(ep, ep[5]);
    }
}

void tables_init(void)
{
    if (!fwcfg_present())
        return;
    acpi_setup();
    smbios_setup();
}
