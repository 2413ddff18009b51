/*
 * Firmware boot of the pc machine. The image sits at the top of 4 GiB and,
 * through the i440FX PAM window, its last 128 KiB at 0xE0000-0xFFFFF; the
 * CPU starts at the reset vector (Intel SDM vol. 3, 9.1.4). Machine facts
 * reach the firmware as QEMU hands them to SeaBIOS (fw_cfg, CMOS 0x38/0x3D
 * boot order). Leaves out: -kernel through firmware (direct boot is used),
 * option ROMs loaded via fw_cfg, the "bootorder" device-path file.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/acpi/smbios.h"
#include "hw/nvram/bios_linker.h"
#include "hw/pc/e820.h"
#include "hw/pc/pc_firmware.h"
#include "hw/pci/i440fx.h"
#include "hw/timer/mc146818rtc.h"
#include "mimic/le.h"
#include "mimic/log.h"

#define CMOS_BOOT_FLAG1 0x38               /* third device (high nibble), floppy check */
#define CMOS_BOOT_FLAG2 0x3D               /* first (low) and second (high) device */
#define FW_E820_MAX 4
#define BOOT_FAIL_WAIT_FOREVER 0xFFFFFFFFu /* QEMU's default: no reboot after a failed boot */

struct PcFirmware {
    FwCfg *fw_cfg;
    Rtc *rtc;
    uint8_t *rom;
    uint32_t size;
    const char *order;        /* -boot order= or the machine's default */
    bool once_pending;        /* -boot once= holds until the first reset */
    bool powered_on;          /* pc_firmware_load has run once */
};

_Static_assert(PC_ACCEL_PAGES_BASE + MACHINE_ACCEL_PAGES_SIZE <=
               PC_HIGHMEM_BASE - PC_FIRMWARE_MAX_SIZE,
               "the largest firmware image would cover the accelerator's pages");

typedef struct FwE820 {
    uint64_t addr, len;
    uint32_t type;
} FwE820;

int pc_firmware_e820(uint64_t ram_size, uint32_t bios_size, uint8_t *buf, int max)
{
    FwE820 e[FW_E820_MAX];
    int n = 0;
    e[n++] = (FwE820){ 0, pc_lowmem_size(ram_size), E820_RAM };
    if (pc_highmem_size(ram_size))
        e[n++] = (FwE820){ PC_HIGHMEM_BASE, pc_highmem_size(ram_size), E820_RAM };
    e[n++] = (FwE820){ PC_ACCEL_PAGES_BASE, MACHINE_ACCEL_PAGES_SIZE, E820_RESERVED };
    if (bios_size)
        e[n++] = (FwE820){ PC_HIGHMEM_BASE - bios_size, bios_size, E820_RESERVED };
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++) {
        uint8_t *p = buf + i * PC_FW_E820_ENTRY_SIZE;
        st_le64(p, e[i].addr);
        st_le64(p + 8, e[i].len);
        st_le32(p + 16, e[i].type);
    }
    return n;
}

bool pc_boot_order_cmos(const char *order, uint8_t *reg3d, uint8_t *reg38, const char **err)
{
    uint8_t dev[PC_MAX_BOOT_DEVICES] = { 0 };
    size_t n = strlen(order);
    if (n > PC_MAX_BOOT_DEVICES) {
        *err = "the pc machine's CMOS holds at most 3 boot devices";
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        switch (order[i]) {
        case 'a': case 'b': dev[i] = 1; break;
        case 'c': dev[i] = 2; break;
        case 'd': dev[i] = 3; break;
        case 'n': case 'o': case 'p': dev[i] = 4; break;
        default:
            *err = "unknown boot device (a floppy, c hard disk, d CD-ROM, n network)";
            return false;
        }
    }
    *reg3d = (uint8_t)(dev[1] << 4 | dev[0]);
    *reg38 = (uint8_t)(dev[2] << 4);   /* bit 0 clear: check floppy boot signatures */
    return true;
}

void pc_firmware_fill_fw_cfg(FwCfg *fw, const PcFirmwareInfo *in)
{
    static const uint8_t no_uuid[16];
    const char *order = in->boot_order && *in->boot_order ? in->boot_order
                                                          : PC_DEFAULT_BOOT_ORDER;
    fw_cfg_add_bytes(fw, FW_CFG_UUID, no_uuid, sizeof(no_uuid));
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, in->ram_size);
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, in->nographic);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, (uint16_t)in->ncpus);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, (uint16_t)in->ncpus);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_DEVICE, (uint16_t)order[0]);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, in->boot_menu);
    fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);   /* the PIT drives IOAPIC pin 2 */
    /* No NUMA nodes: the count, then one zero per CPU (QEMU's layout). */
    size_t numa_len = 8 * (1 + (size_t)in->ncpus);
    uint8_t *numa = calloc(1, numa_len);
    if (!numa)
        fatal("out of memory");
    fw_cfg_add_bytes(fw, FW_CFG_NUMA, numa, numa_len);
    free(numa);

    uint8_t e820[FW_E820_MAX * PC_FW_E820_ENTRY_SIZE];
    int ne = pc_firmware_e820(in->ram_size, in->bios_size, e820, FW_E820_MAX);
    fw_cfg_add_file(fw, "etc/e820", e820, (size_t)ne * PC_FW_E820_ENTRY_SIZE);

    if (in->serial_console) {
        uint8_t port[2];
        st_le16(port, 0x3F8);
        fw_cfg_add_file(fw, "etc/sercon-port", port, sizeof(port));
    }

    uint8_t wait[4];
    st_le32(wait, BOOT_FAIL_WAIT_FOREVER);
    fw_cfg_add_file(fw, "etc/boot-fail-wait", wait, sizeof(wait));

    BiosLinker linker;
    AcpiBlobs acpi;
    bios_linker_init(&linker);
    if (!acpi_build_for_loader(in->acpi, &acpi, &linker))
        fatal("internal error: cannot build the ACPI tables for the firmware");
    fw_cfg_add_file(fw, ACPI_FILE_TABLES, acpi.tables, acpi.tables_len);
    fw_cfg_add_file(fw, ACPI_FILE_RSDP, acpi.rsdp, sizeof(acpi.rsdp));
    fw_cfg_add_file(fw, "etc/table-loader", linker.data, linker.len);
    acpi_blobs_free(&acpi);
    bios_linker_free(&linker);

    SmbiosBlobs smbios;
    pc_smbios_build(&smbios, in->product, in->ncpus, in->ram_size,
                    in->own_bios ? PC_SMBIOS_VENDOR : NULL, in->bios_size);
    fw_cfg_add_file(fw, SMBIOS_FILE_ANCHOR, smbios.anchor, sizeof(smbios.anchor));
    fw_cfg_add_file(fw, SMBIOS_FILE_TABLES, smbios.tables, smbios.tables_len);
    smbios_blobs_free(&smbios);
}

/* Our BIOS is built next to the executable (BUILD/bios/bios.bin beside
 * BUILD/mimic); an installed layout keeps it in ../bios/. */
static char *own_bios_path(char *tried, size_t tried_len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        snprintf(tried, tried_len, "bios/%s (cannot find the executable's directory)",
                 PC_BIOS_FILE);
        return NULL;
    }
    exe[n] = 0;
    const char *dir = dirname(exe);
    static const char *const rel[] = { "bios/", "../bios/" };
    tried[0] = 0;
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        char *path;
        if (asprintf(&path, "%s/%s%s", dir, rel[i], PC_BIOS_FILE) < 0)
            fatal("out of memory");
        if (access(path, R_OK) == 0)
            return path;
        if (i == 0)
            snprintf(tried, tried_len, "%s", path);
        free(path);
    }
    return NULL;
}

/* SeaBIOS and our BIOS read the order from CMOS; fw_cfg's BOOT_DEVICE
 * (the first letter) is what QEMU keeps beside it. Checked at init. */
static void set_boot_order(PcFirmware *f, const char *order)
{
    const char *err;
    uint8_t r3d, r38;
    if (!pc_boot_order_cmos(order, &r3d, &r38, &err))
        fatal("internal error: -boot %s: %s", order, err);
    rtc_set_cmos(f->rtc, CMOS_BOOT_FLAG2, r3d);
    rtc_set_cmos(f->rtc, CMOS_BOOT_FLAG1, r38);
    fw_cfg_add_i16(f->fw_cfg, FW_CFG_BOOT_DEVICE, (uint16_t)order[0]);
}

static void load_image(PcFirmware *f, const MachineOptions *o)
{
    const char *path = o->bios;
    char tried[PATH_MAX + 64];
    char *own = NULL;
    if (!path) {
        own = own_bios_path(tried, sizeof(tried));
        if (!own)
            fatal("no firmware: %s is missing; build mimic's BIOS with `make` (it is "
                  "compiled from bios/), or pass -bios FILE or -kernel FILE", tried);
        path = own;
    }
    const char *what = o->bios ? "-bios" : "BIOS";
    const char *err;
    size_t size;
    uint8_t *data = load_file(path, &size, &err);
    if (!data)
        fatal("%s: %s", what, err);
    if (size == 0 || size % PC_FIRMWARE_UNIT)
        fatal("%s %s: size %zu is not a non-zero multiple of 64 KiB", what, path, size);
    if (size > PC_FIRMWARE_MAX_SIZE)
        fatal("%s %s: %zu bytes is larger than the 16 MiB firmware window", what, path, size);
    /* Page-aligned host memory: KVM maps it as a read-only slot. */
    f->rom = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f->rom == MAP_FAILED)
        fatal("cannot allocate %zu bytes for the firmware: %s", size, strerror(errno));
    memcpy(f->rom, data, size);
    f->size = (uint32_t)size;
    free(data);
    free(own);
}

PcFirmware *pc_firmware_init(Machine *m, PciBus *pci, Rtc *rtc, const AcpiConfig *acpi)
{
    const MachineOptions *o = m->opts;
    PcFirmware *f = calloc(1, sizeof(*f));
    if (!f)
        fatal("out of memory");
    load_image(f, o);

    as_map_rom(m->mem, "bios", PC_HIGHMEM_BASE - f->size, f->size, f->rom);
    uint32_t low = f->size < PC_FIRMWARE_LOW_SIZE ? f->size : PC_FIRMWARE_LOW_SIZE;
    uint8_t *tail = f->rom + f->size - low;
    as_map_rom(m->mem, "bios-low", PC_HIGHRAM_BASE - low, low, tail);
    i440fx_use_firmware(pci, tail, (uint32_t)(PC_HIGHRAM_BASE - low));

    f->rtc = rtc;
    f->order = o->boot_order && *o->boot_order ? o->boot_order : PC_DEFAULT_BOOT_ORDER;
    f->once_pending = o->boot_once != NULL;
    const char *order = f->once_pending ? o->boot_once : f->order;   /* this boot's */
    const char *err;
    uint8_t r3d, r38;
    if (!pc_boot_order_cmos(f->order, &r3d, &r38, &err))
        fatal("-boot order=%s: %s", f->order, err);
    if (f->once_pending && !pc_boot_order_cmos(o->boot_once, &r3d, &r38, &err))
        fatal("-boot once=%s: %s", o->boot_once, err);

    f->fw_cfg = fw_cfg_create(m->io, FW_CFG_IO_BASE, m->mem);
    machine_add_reset(m, (void (*)(void *))fw_cfg_reset, f->fw_cfg);
    PcFirmwareInfo info = {
        .ram_size = m->ram_size,
        .ncpus = m->ncpus,
        .boot_order = order,
        .boot_menu = o->boot_menu,
        .nographic = o->nographic,
        /* as ui/ decides: -nographic, -display none, or no desktop */
        .serial_console = o->nographic || (o->display && !strcmp(o->display, "none")) ||
                          (!o->display && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")),
        .acpi = acpi,
        .product = m->type->desc,
        .bios_size = f->size,
        .own_bios = o->bios == NULL,
    };
    pc_firmware_fill_fw_cfg(f->fw_cfg, &info);
    set_boot_order(f, order);
    return f;
}

void pc_firmware_load(PcFirmware *f, Machine *m)
{
    /* QEMU's -boot once=: the power-on boot only. From the first reset on
     * (guest or monitor) the machine boots by order= again; CMOS written
     * by the guest survives later resets, as battery-backed RAM does. */
    if (f->powered_on && f->once_pending) {
        set_boot_order(f, f->order);
        f->once_pending = false;
    }
    f->powered_on = true;
    x86_regs_reset(&m->boot_regs);
}

void pc_smbios_build(SmbiosBlobs *out, const char *product, int ncpus, uint64_t ram_size,
                     const char *bios_vendor, uint32_t bios_rom_size)
{
    SmbiosConfig sc = {
        .bios_vendor = bios_vendor,
        .bios_version = PC_SMBIOS_BIOS_VERSION,
        .bios_date = PC_SMBIOS_BIOS_DATE,
        .bios_rom_size = bios_rom_size,
        .manufacturer = PC_SMBIOS_VENDOR,
        .product = product,
        .version = "pc",
        .ncpus = ncpus,
        .ram_below_4g = pc_lowmem_size(ram_size),
        .ram_above_4g = pc_highmem_size(ram_size),
    };
    if (!smbios_build(&sc, out))
        fatal("cannot describe this machine in SMBIOS (at most %d CPUs)", SMBIOS_MAX_CPUS);
}
