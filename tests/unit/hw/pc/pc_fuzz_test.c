/*
 * Proves that no sequence of guest port/MMIO accesses can crash, hang or
 * corrupt the pc machine: the real `pc` machine type (hw/pc/pc.c, compiled
 * in below) is built behind a fake accelerator with IDE disks (raw, qcow2,
 * qcow2 on a backing file, snapshot=on) and CDs, firmware or a direct-boot
 * kernel, isa-debugcon and isa-debug-exit; then seeded random accesses,
 * biased toward register offsets and values guests use, go to every MMIO
 * and port range of the flat views (followed as BARs move), to PCI
 * configuration space (BARs placed anywhere, decode bits toggled), to the
 * IDE task files and data ports, fw_cfg and its DMA interface, with DMA
 * descriptors and PRD tables pointing anywhere in (and outside) RAM,
 * interleaved with virtual time, interrupts, host input, display refreshes
 * and resets. It passes when ASan/UBSan stay silent, nothing hangs (SIGALRM
 * watchdog), no timers_run_expired() call hits its budget (with the clock
 * paused a 0 return means 1000 callbacks due at one instant: a storm),
 * guest RAM changes only through CPU stores and reported DMA writes (a
 * shadow copy), DMA set up by the guest writes only where it pointed, and a
 * system reset returns every PCI function's configuration space to its
 * power-on state. Each seed and each directed case runs in its own process.
 * Directed cases at the end pin each bug the fuzzer found.
 * Usage: pc_fuzz_test [first-seed [seed-count [ops-per-seed]]].
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

/* The machine type and the ISA debug devices register themselves from
 * constructors and export no symbol, so a static library never links them
 * into a test: they are compiled in here, and the machine is built exactly
 * as system/main.c builds it (machine_find("pc"), init, -device, load). */
#include "hw/pc/pc.c"
#include "hw/char/debugcon.c"
#include "hw/misc/debugexit.c"

#include "block/block_int.h"
#include "block/qcow2.h"
#include "hw/input/ps2.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/timer/hpet.h"
#include "mimic/block.h"
#include "mimic/chardev.h"
#include "mimic/display.h"
#include "mimic/le.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"

#define NCPUS 2
#define RAM_SIZE (32ull << 20)
#define DEFAULT_SEEDS 5
#define DEFAULT_OPS 100000
#define MAX_TARGETS 96
#define WATCHDOG_SECONDS 90          /* per seed; a seed takes ~1-2 s under ASan */
#define GUARD_CHECK_EVERY 25000      /* ops between full shadow comparisons */
#define MAX_ALLOWED 8200             /* a PRD table's 8192 entries and a few more */
#define NHOT 24
#define DISK_SIZE (2u << 20)
#define QCOW2_DISK_SIZE (4u << 20)
#define CD_SIZE (1u << 20)
#define DVD_SIZE (720ull << 20)      /* sparse; more than a CD holds: the DVD profile */
#define TINY_DISK_SIZE (16u << 10)
#define BM_PORT 0xC000               /* where the DMA episodes put BAR4 */
#define CFG_ADDR 0xCF8
#define CFG_DATA 0xCFC
#define DEVFN_HOST 0x00
#define DEVFN_ISA 0x08
#define DEVFN_IDE PIIX_IDE_DEVFN
#define DEVFN_VGA VGA_PCI_DEVFN
#define NFUNCS 4
#define CHILD_FAILED 3               /* a case failed and said why; other codes: it died */

static const uint8_t pci_funcs[NFUNCS] = { DEVFN_HOST, DEVFN_ISA, DEVFN_IDE, DEVFN_VGA };
static char image_dir[256];

/* ---- Fake accelerator: what pc_irq needs, with the CPU's inputs recorded -- */

static int intr[NCPUS];
static int cur_cpu;
static const AccelIrqChip *chip;
static long nmis, inits, sipis, deadline_clears;

static bool fake_kernel_irqchip(Machine *m) { (void)m; return false; }
static void fake_connect(Machine *m, const AccelIrqChip *c) { (void)m; chip = c; }
static void fake_intr(Machine *m, int cpu, int level) { (void)m; intr[cpu] = level; }
static void fake_nmi(Machine *m, int cpu) { (void)m; (void)cpu; nmis++; }
static void fake_init(Machine *m, int cpu) { (void)m; (void)cpu; inits++; }
static void fake_sipi(Machine *m, int cpu, uint8_t v) { (void)m; (void)cpu; (void)v; sipis++; }
static int fake_current(Machine *m) { (void)m; return cur_cpu; }
static void fake_deadline_cleared(Machine *m, int cpu) { (void)m; (void)cpu; deadline_clears++; }

static const AccelOps fake_accel = {
    .name = "fake",
    .kernel_irqchip = fake_kernel_irqchip,
    .irqchip_connect = fake_connect,
    .cpu_set_intr = fake_intr,
    .cpu_nmi = fake_nmi,
    .cpu_init = fake_init,
    .cpu_sipi = fake_sipi,
    .cpu_tsc_deadline_cleared = fake_deadline_cleared,
    .current_cpu = fake_current,
};

/* ---- Random numbers --------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: fixed sequences per seed, no libc state. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }
static bool chance(unsigned percent) { return rnd_below(100) < percent; }
#define PICK(array) ((array)[rnd_below(sizeof(array) / sizeof((array)[0]))])

/* ---- Disk and firmware images ------------------------------------------------- */

static const char *image_path(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof(paths[0]), "%s/%s", image_dir, name);
    return p;
}

static bool write_pattern_file(const char *path, uint64_t size, uint64_t pattern_bytes,
                               uint8_t salt)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        return false;
    static uint8_t chunk[65536];
    bool ok = ftruncate(fd, (off_t)size) == 0;
    for (uint64_t off = 0; ok && off < pattern_bytes && off < size; off += sizeof(chunk)) {
        size_t n = size - off < sizeof(chunk) ? (size_t)(size - off) : sizeof(chunk);
        for (size_t i = 0; i < n; i++)
            chunk[i] = (uint8_t)((off + i) * 7 + ((off + i) >> 9) + salt);
        ok = pwrite(fd, chunk, n, (off_t)off) == (ssize_t)n;
    }
    close(fd);
    return ok;
}

/* A multiboot kernel (a.out kludge) that loads at 1 MiB: enough for the
 * direct-boot path of pc_init/pc_load. */
static bool write_multiboot_kernel(const char *path)
{
    uint8_t k[4096] = { 0 };
    uint32_t magic = 0x1BADB002u, flags = 0x00010000u;
    st_le32(k, magic);
    st_le32(k + 4, flags);
    st_le32(k + 8, -(magic + flags));
    st_le32(k + 12, 0x100000);      /* header_addr */
    st_le32(k + 16, 0x100000);      /* load_addr */
    st_le32(k + 20, 0);             /* load_end: the whole file */
    st_le32(k + 24, 0);             /* bss_end */
    st_le32(k + 28, 0x100020);      /* entry */
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        return false;
    bool ok = write(fd, k, sizeof(k)) == (ssize_t)sizeof(k);
    close(fd);
    return ok;
}

/* The read-only images every process shares; writable ones are made per
 * process (fuzz_make_disk) and unlinked once open. */
static bool images_create(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(image_dir, sizeof(image_dir), "%s/mimic-pcfuzz-XXXXXX", base);
    if (!mkdtemp(image_dir))
        return false;
    /* snapshot=on overlays go to $TMPDIR (unlinked at once). */
    setenv("TMPDIR", image_dir, 1);
    return write_pattern_file(image_path("bios.bin"), 128 << 10, 128 << 10, 0x5A) &&
           write_pattern_file(image_path("bios256.bin"), 256 << 10, 256 << 10, 0xA5) &&
           write_pattern_file(image_path("bios64.bin"), 64 << 10, 64 << 10, 0x3C) &&
           write_pattern_file(image_path("bios1m.bin"), 1 << 20, 1 << 20, 0xC3) &&
           write_pattern_file(image_path("cd.iso"), CD_SIZE + 1000, CD_SIZE + 1000, 0x11) &&
           write_pattern_file(image_path("dvd.iso"), DVD_SIZE, 1 << 20, 0x22) &&
           write_pattern_file(image_path("base.raw"), QCOW2_DISK_SIZE, QCOW2_DISK_SIZE, 0x33) &&
           write_multiboot_kernel(image_path("kernel.mb"));
}

/* Everything in the directory: the shared images and whatever a process
 * that died left behind. */
static void images_remove(void)
{
    DIR *dir = opendir(image_dir);
    struct dirent *e;
    while (dir && (e = readdir(dir)))
        if (e->d_name[0] != '.')
            unlink(image_path(e->d_name));
    if (dir)
        closedir(dir);
    rmdir(image_dir);
}

typedef enum DiskKind {
    DISK_RAW, DISK_QCOW2, DISK_QCOW2_BACKED, DISK_RAW_SNAPSHOT, DISK_TINY
} DiskKind;

/* A fresh writable disk image for this process. */
static const char *fuzz_make_disk(int index, DiskKind kind, uint64_t variant)
{
    static char paths[IDE_MAX_DRIVES][512];
    char *p = paths[index];
    char err[256];
    snprintf(p, sizeof(paths[0]), "%s/p%d-d%d.img", image_dir, (int)getpid(), index);
    switch (kind) {
    case DISK_RAW:
    case DISK_RAW_SNAPSHOT:
        if (!write_pattern_file(p, DISK_SIZE, DISK_SIZE, (uint8_t)index))
            fatal("cannot write %s", p);
        return p;
    case DISK_TINY:
        if (!write_pattern_file(p, TINY_DISK_SIZE + 100, TINY_DISK_SIZE + 100, (uint8_t)index))
            fatal("cannot write %s", p);
        return p;
    default: {
        Qcow2CreateOptions co = {
            .size = QCOW2_DISK_SIZE,
            .cluster_bits = variant & 8 ? 12 : QCOW2_DEFAULT_CLUSTER_BITS,
            .version = variant & 16 ? 2 : 3,
            .refcount_order = QCOW2_DEFAULT_REFCOUNT_ORDER,
            .backing_file = kind == DISK_QCOW2_BACKED ? image_path("base.raw") : NULL,
            .backing_format = kind == DISK_QCOW2_BACKED && (variant & 32) ? "raw" : NULL,
        };
        unlink(p);
        if (qcow2_create(p, &co, err, sizeof(err)) < 0)
            fatal("cannot create %s: %s", p, err);
        /* Some clusters allocated up front; the guest allocates more. */
        DriveOptions d = { .file = p, .format = "qcow2", .index = -1 };
        const char *e;
        BlockBackend *bb = blk_open(&d, &e);
        if (!bb)
            fatal("%s", e);
        uint8_t buf[8192];
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)(i * 13 + index);
        for (uint64_t off = 0; off < QCOW2_DISK_SIZE; off += 5 * 65536 + 4096)
            blk_pwrite(bb, off, buf, sizeof(buf));
        blk_close(bb);
        return p;
    }
    }
}

/* ---- The machine ------------------------------------------------------------- */

typedef struct Range {
    uint64_t start, end;
} Range;

typedef struct FuzzPc {
    Machine *m;
    PcBoard *board;
    DisplayConsole *con;
    int serial_in;                       /* write end of COM1's input pipe */
    IdeDriveKind drive[IDE_MAX_DRIVES];
    uint64_t sectors[IDE_MAX_DRIVES];    /* 512-byte (disk) or 2048-byte (CD) sectors */
    DiskKind disk[IDE_MAX_DRIVES];
    const char *disk_path[IDE_MAX_DRIVES];   /* writable images, unlinked at exit */
    bool direct_boot;
    uint8_t *shadow;                     /* what guest RAM should hold */
    uint8_t power_on_config[NFUNCS][PCI_CONFIG_SIZE];
    bool targets_stale;
    uint64_t hot[NHOT];                  /* addresses DMA pointers like to take */
} FuzzPc;

static FuzzPc fz;
static MachineOptions fz_opts;

/* What the DMA watch allows while a directed DMA episode runs. */
static struct {
    bool active;
    Range allowed[MAX_ALLOWED];
    int nallowed;
    bool violated;
    uint64_t bad_addr, bad_len;
} watch;
static long dma_writes, ide_dma_done;

static void watch_allow(uint64_t start, uint64_t len)
{
    if (watch.nallowed < MAX_ALLOWED && len)
        watch.allowed[watch.nallowed++] = (Range){ start, start + len };
}

/* Every byte of [addr, addr+len) lies in some allowed range. */
static bool watch_covers(uint64_t addr, uint64_t len)
{
    uint64_t end = addr + len;
    while (addr < end) {
        bool moved = false;
        for (int i = 0; i < watch.nallowed; i++) {
            if (addr >= watch.allowed[i].start && addr < watch.allowed[i].end) {
                addr = watch.allowed[i].end;
                moved = true;
            }
        }
        if (!moved)
            return false;
    }
    return true;
}

/* Guest RAM is ram[0, RAM_SIZE) at the same guest-physical addresses
 * (below the PCI hole, the VGA hole never mapped): copy what now lies in
 * [addr, addr+len) into the shadow. */
static void shadow_sync(uint64_t addr, uint64_t len)
{
    if (!fz.shadow || addr >= RAM_SIZE)
        return;
    if (len > RAM_SIZE - addr)
        len = RAM_SIZE - addr;
    memcpy(fz.shadow + addr, fz.m->ram + addr, len);
}

/* as_write_buf's report: a device (DMA, fw_cfg) wrote RAM. */
static void on_ram_written(void *opaque, uint64_t addr, uint64_t len)
{
    (void)opaque;
    dma_writes++;
    if (watch.active && !watch.violated && !watch_covers(addr, len)) {
        watch.violated = true;
        watch.bad_addr = addr;
        watch.bad_len = len;
    }
    shadow_sync(addr, len);
}

/* RAM and shadow differ only where something wrote RAM behind the
 * dispatcher's back (neither a CPU store nor as_write_buf). */
static bool guard_check(char *why, size_t n)
{
    const uint8_t *ram = fz.m->ram, *sh = fz.shadow;
    if (!memcmp(ram, sh, RAM_SIZE))
        return true;
    uint64_t first = 0, last;
    while (ram[first] == sh[first])
        first++;
    last = RAM_SIZE - 1;
    while (ram[last] == sh[last])
        last--;
    snprintf(why, n, "guest RAM 0x%llx..0x%llx changed without a CPU store or a reported "
             "DMA write (was 0x%02x, now 0x%02x)", (unsigned long long)first,
             (unsigned long long)last, sh[first], ram[first]);
    memcpy(fz.shadow, ram, RAM_SIZE);
    return false;
}

static void on_flat_changed(void *opaque, AddressSpace *as)
{
    (void)opaque, (void)as;
    fz.targets_stale = true;
}

/* The guest CPU's accesses: memory stores update the shadow. */
static void cpu_st(AddressSpace *as, uint64_t addr, unsigned size, uint64_t v)
{
    as_st(as, addr, size, v);
    if (as == fz.m->mem)
        shadow_sync(addr, size);
}

static void cpu_write_bytes(uint64_t addr, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        cpu_st(fz.m->mem, addr + i, 1, buf[i]);
}

static void outb(uint16_t port, uint8_t v) { as_st(fz.m->io, port, 1, v); }
static void outw(uint16_t port, uint16_t v) { as_st(fz.m->io, port, 2, v); }
static void outl(uint16_t port, uint32_t v) { as_st(fz.m->io, port, 4, v); }
static uint8_t inb(uint16_t port) { return (uint8_t)as_ld(fz.m->io, port, 1); }

static uint32_t pci_cfg_read(int devfn, unsigned reg, unsigned size)
{
    outl(CFG_ADDR, 0x80000000u | (unsigned)devfn << 8 | (reg & 0xFC));
    return (uint32_t)as_ld(fz.m->io, CFG_DATA + (reg & 3), size);
}

static void pci_cfg_write(int devfn, unsigned reg, unsigned size, uint32_t v)
{
    outl(CFG_ADDR, 0x80000000u | (unsigned)devfn << 8 | (reg & 0xFC));
    as_st(fz.m->io, CFG_DATA + (reg & 3), size, v);
}

static void config_snapshot(uint8_t out[NFUNCS][PCI_CONFIG_SIZE])
{
    for (int i = 0; i < NFUNCS; i++) {
        PciDevice *d = pci_bus_device(fz.board->pci, pci_funcs[i]);
        for (unsigned a = 0; a < PCI_CONFIG_SIZE; a++)
            out[i][a] = d ? (uint8_t)pci_config_read(d, a, 1) : 0xFF;
    }
}

/* After a reset, configuration space is what it was at power-on. */
static bool config_check_reset(char *why, size_t n)
{
    uint8_t now[NFUNCS][PCI_CONFIG_SIZE];
    config_snapshot(now);
    for (int i = 0; i < NFUNCS; i++)
        for (unsigned a = 0; a < PCI_CONFIG_SIZE; a++)
            if (now[i][a] != fz.power_on_config[i][a]) {
                snprintf(why, n, "after a reset PCI %02x.%x config byte 0x%02x is 0x%02x, at "
                         "power-on 0x%02x", pci_funcs[i] >> 3, pci_funcs[i] & 7, a, now[i][a],
                         fz.power_on_config[i][a]);
                return false;
            }
    return true;
}

/* A system reset as system/main.c does it: devices, then the firmware or
 * kernel reloaded. Loading writes RAM directly, so the shadow follows. */
static void fuzz_system_reset(void)
{
    machine_reset_devices(fz.m);
    fz.m->type->load(fz.m);
    if (fz.direct_boot)
        memcpy(fz.shadow, fz.m->ram, RAM_SIZE);   /* firmware boot writes no RAM */
}

static void disks_unlink(void)
{
    for (int i = 0; i < IDE_MAX_DRIVES; i++)
        if (fz.disk_path[i])
            unlink(fz.disk_path[i]);
}

/* Variant bits choose the drives, the firmware and the boot path. */
static FuzzPc *fuzz_pc_create(uint64_t variant)
{
    FuzzPc *f = &fz;
    memset(f, 0, sizeof(*f));
    memset(intr, 0, sizeof(intr));
    chip = NULL;

    MachineOptions *o = &fz_opts;
    memset(o, 0, sizeof(*o));
    o->smp = NCPUS;
    o->ram_size = RAM_SIZE;
    o->nographic = variant & 1;
    static const char *const orders[] = { NULL, "cad", "dc", "n", "d" };
    static const char *const bios[] = { "bios.bin", "bios.bin", "bios256.bin", "bios64.bin",
                                        "bios1m.bin" };
    o->boot_order = orders[(variant >> 1) % 5];
    o->boot_menu = variant & 128;
    f->direct_boot = variant % 7 == 3;
    if (f->direct_boot)
        o->kernel = image_path("kernel.mb");
    else
        o->bios = image_path(bios[(variant >> 24) % 5]);

    /* Drives: index 0 a disk (raw or qcow2) or, sometimes, nothing so that
     * device 1 answers alone; 1 a CD or nothing; 2 an empty CD drive, a
     * qcow2 on a backing file, a snapshot=on disk or nothing; 3 a DVD, a
     * tiny disk or nothing. */
    int nd = 0;
    for (int i = 0; i < IDE_MAX_DRIVES; i++) {
        unsigned pick = (unsigned)((variant >> (8 + 2 * i)) & 3);
        DriveOptions *d = &o->drives[nd];
        *d = (DriveOptions){ .index = i };
        DiskKind disk = DISK_RAW;
        switch (i * 4 + pick) {
        case 0: case 1: disk = DISK_RAW; break;
        case 2: disk = DISK_QCOW2; break;
        case 3: continue;
        case 4: case 5: d->cdrom = true; d->file = image_path("cd.iso"); d->format = "raw"; break;
        case 6: d->cdrom = true; d->file = image_path("cd.iso"); break;
        case 7: continue;
        case 8: d->cdrom = true; break;
        case 9: disk = DISK_QCOW2_BACKED; break;
        case 10: disk = DISK_RAW_SNAPSHOT; d->snapshot = true; break;
        case 11: continue;
        case 12: d->cdrom = true; d->file = image_path("dvd.iso"); break;
        case 13: disk = DISK_TINY; d->format = "raw"; break;
        default: continue;
        }
        if (!d->cdrom) {
            d->file = fuzz_make_disk(i, disk, variant);
            f->disk[i] = disk;
            f->disk_path[i] = d->file;
        }
        f->drive[i] = d->cdrom ? IDE_DRIVE_CD : IDE_DRIVE_DISK;
        uint64_t bytes = disk == DISK_QCOW2 || disk == DISK_QCOW2_BACKED ? QCOW2_DISK_SIZE
                         : disk == DISK_TINY ? TINY_DISK_SIZE + 100 : DISK_SIZE;
        if (d->cdrom)
            bytes = !d->file ? 0 : strstr(d->file, "dvd") ? DVD_SIZE : CD_SIZE + 1000;
        f->sectors[i] = d->cdrom ? bytes / 2048 : bytes / 512;
        nd++;
    }
    o->ndrives = nd;

    const MachineType *type = machine_find("pc");
    if (!type)
        fatal("the pc machine type is not registered");
    Machine *m = machine_create(type, o);
    m->accel = &fake_accel;
    f->m = m;

    /* COM1 takes input from a pipe (delivered by the main loop) and writes
     * to /dev/null through the chardev's buffering; COM2-4 are on "null". */
    int fds[2];
    if (pipe(fds) < 0)
        fatal("pipe");
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    f->serial_in = fds[1];
    m->serial[0] = chardev_new_fd(fds[0], open("/dev/null", O_WRONLY), false);
    for (int i = 1; i < MACHINE_MAX_SERIAL; i++) {
        const char *err;
        m->serial[i] = chardev_new("null", &err);
    }

    type->init(m);
    static const char *const devices[] = {
        "isa-debugcon,iobase=0x402,chardev=null",
        "isa-debugcon,chardev=null",
        "isa-debug-exit,iobase=0x501,iosize=2",
    };
    static DeviceProps *props[sizeof(devices) / sizeof(devices[0])];   /* kept, as main() does */
    for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
        props[i] = device_parse_spec(devices[i]);
        device_create(m, props[i]);
    }
    type->load(m);
    atexit(disks_unlink);

    f->board = m->board;
    f->con = display_console(0);
    f->shadow = malloc(RAM_SIZE);
    if (!f->shadow)
        fatal("out of memory");
    memcpy(f->shadow, m->ram, RAM_SIZE);
    address_space_set_ram_write_observer(m->mem, on_ram_written, NULL);
    address_space_add_listener(m->mem, on_flat_changed, NULL);
    address_space_add_listener(m->io, on_flat_changed, NULL);
    f->targets_stale = true;
    config_snapshot(f->power_on_config);
    return f;
}

/* What the main loop does with a device's request (system/main.c run()):
 * a reset reloads; power-off and exit would end mimic, the fuzzing goes on. */
static void fuzz_handle_request(Machine *m)
{
    int req = m->request;
    m->request = REQUEST_NONE;
    if (req == REQUEST_RESET)
        fuzz_system_reset();
}

/* ---- Values and addresses worth trying ----------------------------------- */

static uint64_t hot_address(void)
{
    return fz.hot[rnd_below(NHOT)] + (chance(20) ? rnd_below(16) : 0);
}

static void hot_init(void)
{
    static const uint64_t fixed[] = {
        0, RAM_SIZE - 8, RAM_SIZE - 4, RAM_SIZE - 2, RAM_SIZE, 0x9FFF8, 0xA0000, 0xBFFF8,
        0xC0000, 0xEFFF8, 0xF0000, 0xFFFF0, 0x100000, PC_IOAPIC_BASE, HPET_BASE, PC_LAPIC_BASE,
        0xFFFFFFF8, 0xFFFE0000,
    };
    int n = 0;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        fz.hot[n++] = fixed[i];
    while (n < NHOT)
        fz.hot[n++] = rnd() % RAM_SIZE & (chance(70) ? ~7ull : ~0ull);
}

static uint64_t interesting_value(void)
{
    static const uint64_t fixed[] = {
        0x80, 0x7F, 0xFF, 0x100, 0xFFFF, 0x8000, 0x10000, 0x7FFFFFFF, 0x80000000,
        0xFFFFFFFF, 0x100000000ull, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull,
        0xFFFFFFFF00000000ull, 0xFEE00000, 0xFEC00000, 0xFED00000, 0xAA, 0x55, 0xFE, 0xF0,
    };
    switch (rnd_below(13)) {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return rnd_below(64);                        /* indices, small counts */
    case 3: return 1ull << rnd_below(64);
    case 4: return (1ull << rnd_below(64)) - 1;
    case 5: return ~0ull << rnd_below(64);
    case 6: return PICK(fixed);
    case 7: return 0x10 + rnd_below(2 * 24 + 8);         /* IOAPIC IOREGSEL around the RTEs */
    case 8: return rnd() & 0xFF;
    case 9: return rnd() & 0xFFFF;
    case 10: return ~0ull - rnd_below(256);              /* just below a wrap */
    case 11: return hot_address();
    default: return rnd();
    }
}

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xFF00) | (v << 8 & 0xFF0000) | v << 24;
}

static const uint8_t ata_commands[] = {
    0x00, 0x08, 0x10, 0x20, 0x21, 0x24, 0x25, 0x29, 0x30, 0x31, 0x34, 0x35, 0x39, 0x40, 0x41,
    0x42, 0x70, 0x90, 0x91, 0xA0, 0xA0, 0xA0, 0xA1, 0xC4, 0xC5, 0xC6, 0xC8, 0xC8, 0xC9, 0xCA,
    0xCA, 0xCB, 0xE0, 0xE1, 0xE2, 0xE3, 0xE5, 0xE6, 0xE7, 0xEA, 0xEC, 0xEF, 0xEF,
};

static const uint16_t fw_cfg_keys[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0C, 0x0D, 0x0E, 0x0F, 0x19, 0x20, 0x21, 0x22, 0x23,
    0x24, 0x25, 0x26, 0x27, 0x28, 0x2F, 0x3F, 0x8000, 0x8002, 0x8003, 0x4000, 0xBFFF, 0xFFFF,
};

/* Register offsets guests use, by region (a fuzzer dictionary), so that
 * index/data pairs and enable sequences happen often. */
typedef struct Dict {
    const char *name;     /* region name; NULL: by base */
    uint64_t base;
    bool io;
    uint16_t off[24];
    int n;
} Dict;

static const Dict dictionary[] = {
    { NULL, PC_LAPIC_BASE, false, { 0x20, 0x80, 0xB0, 0xD0, 0xE0, 0xF0, 0x280, 0x300, 0x310, 0x320,
      0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3E0, 0x100, 0x200 }, 20 },
    { NULL, PC_IOAPIC_BASE, false, { 0x00, 0x10, 0x40, 0x00, 0x10 }, 5 },
    { NULL, HPET_BASE, false, { 0x000, 0x010, 0x020, 0x0F0, 0x0F4, 0x100, 0x108, 0x10C, 0x120,
      0x128, 0x140, 0x148, 0x104, 0x024 }, 14 },
    { "ide0", 0, true, { 0, 1, 2, 3, 4, 5, 6, 7, 7, 7 }, 10 },
    { "ide1", 0, true, { 0, 1, 2, 3, 4, 5, 6, 7, 7, 7 }, 10 },
    { "piix3-ide", 0, true, { 0, 2, 4, 8, 10, 12 }, 6 },
    { "vga", 0, true, { 0x10, 0x11, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1C, 0x1E, 0x1F,
      0x24, 0x25, 0x2A, 0x04, 0x05, 0x0A, 0x12 }, 18 },
    { "vga", 0, false, { 0x400, 0x401, 0x404, 0x405, 0x408, 0x409, 0x40E, 0x40F, 0x414, 0x415,
      0x41A, 0x500, 0x502, 0x504, 0x506, 0x508, 0x50A, 0x50C, 0x510, 0x512, 0x600, 0x604 }, 22 },
    { "vbe", 0, true, { 0, 1, 0, 1, 2 }, 5 },
    { "fw_cfg", 0, true, { 0, 1, 1, 1 }, 4 },
    { "fw_cfg-dma", 0, true, { 0, 4 }, 2 },
    { "pci-config", 0, true, { 0, 1, 4, 5, 6, 7 }, 6 },
};

typedef struct Target {
    AddressSpace *as;
    uint64_t start, end;
    const char *name;
    const Dict *dict;
} Target;

static Target targets[MAX_TARGETS];
static int ntargets;

static void collect_targets(AddressSpace *as)
{
    size_t n;
    const FlatRange *fr = address_space_flat(as, &n);
    for (size_t i = 0; i < n && ntargets < MAX_TARGETS; i++) {
        if (fr[i].mr->kind != MR_MMIO)
            continue;
        Target *t = &targets[ntargets++];
        *t = (Target){ as, fr[i].start, fr[i].end, fr[i].mr->name, NULL };
        for (size_t d = 0; d < sizeof(dictionary) / sizeof(dictionary[0]); d++) {
            const Dict *e = &dictionary[d];
            if (e->name ? !strcmp(e->name, t->name) && e->io == (as == fz.m->io) &&
                              fr[i].offset == 0
                        : e->base == t->start)
                t->dict = e;
        }
    }
}

static void refresh_targets(void)
{
    ntargets = 0;
    collect_targets(fz.m->io);
    collect_targets(fz.m->mem);
    fz.targets_stale = false;
}

static uint64_t pick_offset(const Target *t)
{
    uint64_t size = t->end - t->start;
    uint64_t regs = size < 0x1000 ? size : 0x1000;
    unsigned r = rnd_below(100);
    if (r < 35 && t->dict)
        return (t->dict->off[rnd_below((unsigned)t->dict->n)] + (chance(10) ? rnd_below(8) : 0)) %
               size;
    if (r < 55)
        return (rnd() % regs) & ~15ull;
    if (r < 70)
        return (rnd() % regs) & ~3ull;
    if (r < 85)
        return rnd() % size;
    if (r < 92)
        return rnd_below(8) % size;
    return size - 1 - rnd_below(8) % size;    /* at the end: accesses straddle out */
}

/* Values some registers like to see. */
static uint64_t pick_value(const Target *t, uint64_t off)
{
    if (chance(50) && t->dict && t->dict->name) {
        const char *n = t->name;
        if (!strncmp(n, "ide", 3) && strlen(n) == 4 && off == 7)
            return PICK(ata_commands);
        if (!strncmp(n, "ide", 3) && strlen(n) == 4 && off == 6)
            return 0xA0 | rnd_below(2) << 4 | (chance(50) ? 0x40 : 0) |
                   (chance(50) ? rnd_below(16) : 0);
        if (!strcmp(n, "piix3-ide") && (off & 7) == 0)
            return (chance(60) ? 1 : 0) | (chance(50) ? 8 : 0);
        if (!strcmp(n, "piix3-ide") && (off & 7) == 4)
            return hot_address();
        if (!strcmp(n, "fw_cfg") && off == 0)
            return PICK(fw_cfg_keys);
        if (!strcmp(n, "fw_cfg-dma"))
            return bswap32((uint32_t)(off == 0 ? (chance(80) ? 0 : rnd()) : hot_address()));
        if (!strcmp(n, "vbe") && off == 0)
            return rnd_below(12);
        if (!strcmp(n, "vbe"))
            return chance(50) ? PICK(((const uint16_t[]){ 0, 4, 8, 15, 16, 24, 32, 640, 480, 1024,
                                                          768, 8192, 8191, 0xB0C5, 0x41, 0xC1,
                                                          0x01, 0x21, 0x03, 0x61, 0xFF }))
                              : rnd_below(0x300);
    }
    return interesting_value();
}

/* ---- Time and timers ------------------------------------------------------- */

static void host_sleep_ns(long ns)
{
    struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
    nanosleep(&ts, NULL);
}

/* Let virtual time run (timers not serviced), then freeze it again. Short
 * steps spin: a sleep costs the host's timer slack (~50 us) every time. */
static void advance(long ns)
{
    clock_virtual_resume();
    if (ns < 200000) {
        int64_t end = clock_host_ns() + ns;
        while (clock_host_ns() < end)
            ;
    } else {
        host_sleep_ns(ns);
    }
    clock_virtual_pause();
}

/* With the clock paused, timers_run_expired() stops early only when the
 * next timer lies in the future; 0 means its 1000-callback budget ran out
 * with timers still due at this very instant: a storm. */
static bool run_timers(void)
{
    return timers_run_expired() != 0;
}

/* ---- Structured actions ------------------------------------------------------ */

/* PCI configuration space through 0xCF8/0xCFC, at the registers that move
 * BARs, flip decode bits and steer PAM, IDE decoding and PIRQs. */
static void act_pci_config(void)
{
    static const uint8_t regs[] = {
        0x04, 0x04, 0x04, 0x05, 0x06, 0x10, 0x10, 0x14, 0x18, 0x18, 0x1C, 0x20, 0x20, 0x24, 0x30,
        0x30, 0x3C, 0x3D, 0x40, 0x41, 0x42, 0x43, 0x44, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F,
        0x60, 0x61, 0x62, 0x63, 0x0C, 0x0D, 0x0E, 0x00, 0x08, 0xFC, 0xFF,
    };
    static const uint32_t bars[] = {
        0, 0xFFFFFFFF, 0xFD000000, 0xFEBF0000, 0xFEBF1000, 0xE0000000, 0x01000000, 0x00000000,
        0x000A0000, 0x000C0000, 0x000F0000, 0xFEC00000, 0xFED00000, 0xFEE00000, 0xFFFE0000,
        0xFFFFF000, 0xC001, 0xC041, 0x1F1, 0x171, 0x3F5, 0x511, 0xCF9, 0x0061, 0xFFF1, 0x3C1,
        0x1CD, 0x00100000, 0x00000401, 0xFF000000, 0xFFFFFFF1,
    };
    int devfn = chance(92) ? PICK(pci_funcs) : (int)rnd_below(256);
    unsigned reg = chance(85) ? PICK(regs) : rnd_below(256);
    unsigned size = 1u << rnd_below(3);
    if ((reg & 3) + size > 4)
        size = 1;
    if (chance(30)) {
        (void)pci_cfg_read(devfn, reg, size);
        return;
    }
    uint32_t v;
    if (reg >= 0x10 && reg < 0x34 && chance(80))
        v = (PICK(bars) + (chance(10) ? (uint32_t)rnd_below(4096) : 0)) |
            (reg == 0x30 && chance(60) ? 1 : 0);  /* expansion ROM enable */
    else if (reg == 0x04 && chance(80))
        v = (uint32_t)rnd_below(8) | (chance(20) ? 0x400 : 0);
    else if (reg >= 0x59 && reg <= 0x5F && chance(70))
        v = (uint32_t)(rnd() & 0x33333333);
    else
        v = (uint32_t)interesting_value();
    pci_cfg_write(devfn, reg, size, v);
}

static const uint8_t cdb_ops[] = {
    0x00, 0x03, 0x12, 0x1B, 0x1E, 0x25, 0x28, 0x28, 0x28, 0x2B, 0x43, 0x43, 0x46, 0x4A, 0x51,
    0x5A, 0x5A, 0xA8, 0xBB, 0xBD, 0x55, 0xAD, 0xBE,
};

static void make_cdb(uint8_t cdb[12], int drive)
{
    memset(cdb, 0, 12);
    for (int i = 1; i < 12; i++)
        if (chance(15))
            cdb[i] = (uint8_t)interesting_value();
    cdb[0] = chance(90) ? PICK(cdb_ops) : (uint8_t)rnd();
    uint64_t sectors = drive >= 0 ? fz.sectors[drive] : 0;
    uint32_t lba = chance(60) ? (uint32_t)(sectors ? rnd() % sectors : 0)
                 : chance(50) ? (uint32_t)(sectors - rnd_below(4)) : (uint32_t)interesting_value();
    uint32_t count = chance(70) ? rnd_below(8) : (uint32_t)interesting_value();
    switch (cdb[0]) {
    case 0x28:
        cdb[2] = (uint8_t)(lba >> 24), cdb[3] = (uint8_t)(lba >> 16);
        cdb[4] = (uint8_t)(lba >> 8), cdb[5] = (uint8_t)lba;
        cdb[7] = (uint8_t)(count >> 8), cdb[8] = (uint8_t)count;
        break;
    case 0xA8:
        cdb[2] = (uint8_t)(lba >> 24), cdb[3] = (uint8_t)(lba >> 16);
        cdb[4] = (uint8_t)(lba >> 8), cdb[5] = (uint8_t)lba;
        cdb[6] = (uint8_t)(count >> 24), cdb[7] = (uint8_t)(count >> 16);
        cdb[8] = (uint8_t)(count >> 8), cdb[9] = (uint8_t)count;
        break;
    case 0x1B:
        cdb[4] = (uint8_t)rnd_below(4) | (chance(10) ? 0x10 : 0);
        break;
    case 0x1E:
        cdb[4] = (uint8_t)rnd_below(2);
        break;
    case 0x4A:
        cdb[1] = chance(90);
        cdb[4] = chance(70) ? 0x10 : (uint8_t)rnd();
        /* fall through */
    default: {
        uint16_t alloc = PICK(((const uint16_t[]){ 0, 1, 8, 18, 36, 0xFF, 0x100, 0xFFFF, 34, 48 }));
        if (cdb[0] == 0x03 || cdb[0] == 0x12) {
            cdb[4] = (uint8_t)alloc;
        } else if (cdb[0] == 0xBD) {
            cdb[8] = (uint8_t)(alloc >> 8), cdb[9] = (uint8_t)alloc;
        } else {
            cdb[7] = (uint8_t)(alloc >> 8), cdb[8] = (uint8_t)alloc;
        }
        if (cdb[0] == 0x43 && chance(50))
            cdb[2] = (uint8_t)rnd_below(4), cdb[1] = chance(50) ? 2 : 0;
        if (cdb[0] == 0x5A && chance(70))
            cdb[2] = (uint8_t)(PICK(((const uint8_t[]){ 0x01, 0x0D, 0x2A, 0x3F, 0x00 })) |
                               rnd_below(4) << 6);
        break;
    }
    }
}

static void ide_send_cdb(uint16_t base, const uint8_t cdb[12])
{
    for (int i = 0; i < 12; i += 2)
        outw(base, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
}

static uint8_t pick_lba_byte(int i, uint64_t sectors, uint64_t lba)
{
    (void)sectors;
    return chance(80) ? (uint8_t)(lba >> (8 * i)) : (uint8_t)interesting_value();
}

/* A command on a channel with a plausible task file; PACKET usually gets
 * its CDB. */
static void act_ide_command(void)
{
    int ch = (int)rnd_below(2);
    uint16_t base = ch ? 0x170 : 0x1F0, ctl = ch ? 0x376 : 0x3F6;
    if (chance(10)) {
        outb(ctl, (uint8_t)PICK(((const uint8_t[]){ 0, 2, 4, 0x80, 6, 0x82 })));
        if (chance(70))
            outb(ctl, chance(50) ? 0 : 2);
    }
    int unit = (int)rnd_below(2);
    if (chance(70))
        outb(base + 6, (uint8_t)(0xA0 | unit << 4 | (chance(70) ? 0x40 : 0) |
                                 (chance(30) ? rnd_below(16) : 0)));
    int drive = 2 * ch + unit;
    uint64_t sectors = fz.sectors[drive];
    uint64_t lba = chance(60) && sectors ? rnd() % sectors
                 : chance(50) ? sectors - rnd_below(4) : rnd();
    bool hob = chance(30);
    for (int pass = hob ? 0 : 1; pass < 2; pass++) {
        int shift = pass == 0 ? 24 : 0;
        uint8_t count = (uint8_t)(pass == 0 ? (chance(80) ? 0 : rnd()) : PICK(((const uint8_t[]){
                                   0, 1, 2, 3, 8, 16, 17, 128, 255 })));
        outb(base + 1, (uint8_t)(pass == 1 ? PICK(((const uint8_t[]){ 0, 1, 2, 3, 0x02, 0x82,
                                      0x55, 0xAA, 0x66, 0xCC, 0x03 })) : 0));
        outb(base + 2, count);
        for (int i = 0; i < 3; i++)
            outb(base + 3 + i, pick_lba_byte(i + shift / 8, sectors, lba));
    }
    uint8_t cmd = chance(95) ? PICK(ata_commands) : (uint8_t)rnd();
    if (fz.drive[drive] == IDE_DRIVE_CD && chance(60)) {
        /* Packet commands, mostly by PIO with a byte count limit from the
         * usual ones; sometimes a TEST UNIT READY first takes the unit
         * attention that follows each reset. */
        cmd = 0xA0;
        if (chance(40)) {
            outb(base + 1, 0);
            outb(base + 7, 0xA0);
            ide_send_cdb(base, (const uint8_t[12]){ 0 });
            (void)inb(base + 7);
        }
        uint16_t limit = PICK(((const uint16_t[]){ 0, 1, 2, 3, 0x10, 0x200, 0x800, 0x801, 0x8000,
                                                   0xFFFE, 0xFFFF, 18, 36 }));
        outb(base + 1, chance(75) ? 0 : 1);
        outb(base + 4, (uint8_t)limit);
        outb(base + 5, (uint8_t)(limit >> 8));
    }
    if (cmd == 0xEF && chance(50))
        outb(base + 2, PICK(((const uint8_t[]){ 0x00, 0x01, 0x08, 0x0C, 0x22, 0x45, 0x46 })));
    outb(base + 7, cmd);
    if (cmd == 0xA0 && chance(85)) {
        uint8_t cdb[12];
        make_cdb(cdb, drive);
        ide_send_cdb(base, cdb);
    }
    /* Often the driver then reads what the drive offers, block by block
     * (for a packet device: while the interrupt reason says data in). */
    bool cd = fz.drive[drive] == IDE_DRIVE_CD;
    for (int blocks = chance(60) ? (int)rnd_below(64) : 0; blocks > 0; blocks--) {
        if ((inb(base + 7) & 0x88) != 0x08 || (cd && (inb(base + 2) & 3) != 2))
            break;
        unsigned bytes = cd ? (unsigned)(inb(base + 4) | inb(base + 5) << 8) : 512;
        bool wide = chance(30);
        for (unsigned i = 0; i < (bytes + (wide ? 3 : 1)) / (wide ? 4 : 2); i++) {
            if (i % 64 == 63 && !(inb(ctl) & 0x08))
                break;
            (void)as_ld(fz.m->io, base, wide ? 4 : 2);
        }
    }
}

/* The guest programs a function's BARs where firmware would (or over
 * something else) and turns decoding on: targets for everything else. */
static void act_pci_bars(void)
{
    static const uint32_t lfb[] = { 0xFD000000, 0xFC000000, 0xE0000000, 0xFE000000, 0x01000000,
                                    0xFF000000, 0x80000000 };
    static const uint32_t mmio[] = { 0xFEBF0000, 0xFEBF1000, 0xFEC00000, 0xFED00000, 0xFEE00000,
                                     0x000A0000, 0x000C0000, 0x000F0000, 0x00100000, 0xFFFFE000 };
    static const uint32_t rom[] = { 0xFEB00000, 0xFEBE0000, 0x000C0000, 0x000E0000, 0xFFFE0000,
                                    0xFD000000 };
    static const uint16_t io[] = { 0xC000, 0xC040, 0x1F0, 0x170, 0x3F0, 0x510, 0xCF0, 0x60,
                                   0x3C0, 0x1C0, 0xFFF0 };
    if (chance(50)) {
        pci_cfg_write(DEVFN_VGA, 0x10, 4, PICK(lfb));
        pci_cfg_write(DEVFN_VGA, 0x18, 4, PICK(mmio) + (chance(20) ? 0x1000 * rnd_below(16) : 0));
        if (chance(50))
            pci_cfg_write(DEVFN_VGA, 0x30, 4, PICK(rom) | (chance(70) ? 1 : 0));
        pci_cfg_write(DEVFN_VGA, 0x04, 2, chance(85) ? 0x03 : (uint32_t)rnd_below(4));
    } else {
        pci_cfg_write(DEVFN_IDE, 0x20, 4, PICK(io) | 1u);
        pci_cfg_write(DEVFN_IDE, 0x04, 2, chance(85) ? 0x05 : (uint32_t)rnd_below(8));
    }
}

/* A burst at a data port: whole sectors move only this way. */
static void act_ide_data(void)
{
    uint16_t base = chance(50) ? 0x170 : 0x1F0;
    unsigned n = PICK(((const unsigned[]){ 1, 2, 6, 255, 256, 257, 512, 1024 }));
    if (chance(10))
        n = rnd_below(4096);
    bool wide = chance(30), rd = chance(60);
    if (!address_space_lookup(fz.m->io, base) && n > 8)
        n = 8;                                /* the channel does not decode */
    for (unsigned i = 0; i < n; i++) {
        /* Mostly the burst ends when the drive stops offering data. */
        if (i % 32 == 31 && !(inb(base == 0x1F0 ? 0x3F6 : 0x376) & 0x08) && chance(90))
            break;
        if (rd)
            (void)as_ld(fz.m->io, base, wide ? 4 : 2);
        else
            as_st(fz.m->io, base, wide ? 4 : 2, rnd());
    }
    (void)inb(base + 7);
}

/* fw_cfg through its ports: an item selected and read a byte at a time,
 * or a DMA request with the descriptor at a hot address. */
static void act_fw_cfg(void)
{
    if (chance(60)) {
        outw(0x510, PICK(fw_cfg_keys));
        unsigned n = rnd_below(chance(90) ? 64 : 4096);
        for (unsigned i = 0; i < n; i++)
            (void)inb(0x511);
        return;
    }
    uint64_t desc = hot_address();
    if (chance(60)) {
        uint8_t d[16];
        uint32_t ctl = (uint32_t)PICK(fw_cfg_keys) << 16 |
                       PICK(((const uint32_t[]){ 0x0A, 0x0A, 0x02, 0x04, 0x0C, 0x10, 0x18, 1, 0 }));
        uint32_t len = chance(60) ? rnd_below(8192) : (uint32_t)interesting_value();
        uint64_t addr = chance(70) ? hot_address() : interesting_value();
        for (int i = 0; i < 4; i++) {
            d[i] = (uint8_t)(ctl >> (24 - 8 * i));
            d[4 + i] = (uint8_t)(len >> (24 - 8 * i));
        }
        for (int i = 0; i < 8; i++)
            d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
        if (desc < RAM_SIZE - 16)
            cpu_write_bytes(desc, d, sizeof(d));
    }
    outl(0x514, bswap32(chance(90) ? 0 : (uint32_t)rnd()));
    outl(0x518, bswap32((uint32_t)desc));
}

/* The guest writes PRD tables, descriptors or junk where DMA pointers go. */
static void act_scribble(void)
{
    uint64_t at = hot_address();
    if (at >= RAM_SIZE - 64)
        at = rnd() % (RAM_SIZE - 64);
    uint8_t b[32];
    unsigned n = 8 * (1 + rnd_below(4));
    for (unsigned i = 0; i < n; i += 8) {
        uint32_t addr = (uint32_t)(chance(70) ? hot_address() : interesting_value());
        uint16_t count = PICK(((const uint16_t[]){ 0, 2, 512, 1024, 4096, 0xFFFE, 0xFFFF, 1 }));
        st_le32(b + i, addr);
        st_le16(b + i + 4, count);
        b[i + 6] = 0;
        b[i + 7] = i + 8 == n || chance(10) ? 0x80 : 0;
    }
    cpu_write_bytes(at, b, n);
}

/* Register images of standard VGA modes (IBM VGA Technical Reference): 13h
 * (320x200, 256 colours, chain-4), 12h (640x480, 16 colours, planar), 04h
 * (320x200, CGA 4 colours) and 03h (80x25 text), as a mode set writes them. */
typedef struct VgaRegs {
    uint8_t misc, sr[5], cr[25], gr[9], ar[21];
} VgaRegs;

static const VgaRegs vga_modes[] = {
    { 0x63, { 0x03, 0x01, 0x0F, 0x00, 0x0E },
      { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x0E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF },
      { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
        0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00 } },
    { 0xE3, { 0x03, 0x01, 0x0F, 0x00, 0x06 },
      { 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xEA, 0x0C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF },
      { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E,
        0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00 } },
    { 0x63, { 0x03, 0x09, 0x03, 0x00, 0x02 },
      { 0x2D, 0x27, 0x28, 0x90, 0x2B, 0x80, 0xBF, 0x1F, 0x00, 0xC1, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x0E, 0x8F, 0x14, 0x00, 0x96, 0xB9, 0xA2, 0xFF },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0F, 0x00, 0xFF },
      { 0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
        0x17, 0x01, 0x00, 0x03, 0x00, 0x00 } },
    { 0x67, { 0x03, 0x00, 0x03, 0x00, 0x02 },
      { 0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00,
        0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF },
      { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF },
      { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E,
        0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00 } },
};

static uint8_t perturb(uint8_t v)
{
    return chance(6) ? (uint8_t)interesting_value() : v;
}

/* A mode set, then usually a screen refresh: a legacy mode from its
 * register image with a few registers off, or a Bochs VBE mode of any
 * geometry (the renderer's inputs are all guest-controlled). */
static void act_vga_mode(void)
{
    if (chance(50)) {
        static const uint16_t res[] = { 1, 2, 320, 640, 800, 1024, 1280, 1920, 8192, 8193, 0 };
        outw(0x1CE, 4);
        outw(0x1CF, 0);
        outw(0x1CE, 1);
        outw(0x1CF, chance(90) ? PICK(res) % (chance(95) ? 1921 : 8194) : (uint16_t)rnd());
        outw(0x1CE, 2);
        outw(0x1CF, chance(90) ? PICK(res) % (chance(95) ? 1201 : 8194) : (uint16_t)rnd());
        outw(0x1CE, 3);
        outw(0x1CF, PICK(((const uint16_t[]){ 4, 8, 15, 16, 24, 32, 0, 7 })));
        outw(0x1CE, 5);
        outw(0x1CF, (uint16_t)(chance(70) ? 0 : rnd_below(300)));
        outw(0x1CE, 4);
        outw(0x1CF, (uint16_t)(0x01 | (chance(70) ? 0x40 : 0) | (chance(70) ? 0x80 : 0) |
                               (chance(20) ? 0x20 : 0) | (chance(5) ? 0x02 : 0)));
        for (int reg = 6; reg <= 9; reg++)
            if (chance(25)) {
                outw(0x1CE, (uint16_t)reg);
                outw(0x1CF, (uint16_t)(chance(60) ? rnd_below(2048) : rnd()));
            }
    } else {
        const VgaRegs *m = &PICK(vga_modes);
        outw(0x1CE, 4);
        outw(0x1CF, 0);
        outb(0x3C2, perturb(m->misc));
        for (int i = 0; i < 5; i++)
            outb(0x3C4, (uint8_t)i), outb(0x3C5, perturb(m->sr[i]));
        outb(0x3D4, 0x11), outb(0x3D5, 0);                /* unlock CR0-7 */
        for (int i = 0; i < 25; i++)
            outb(0x3D4, (uint8_t)i), outb(0x3D5, perturb(m->cr[i]));
        for (int i = 0; i < 9; i++)
            outb(0x3CE, (uint8_t)i), outb(0x3CF, perturb(m->gr[i]));
        (void)inb(0x3DA);
        for (int i = 0; i < 21; i++)
            outb(0x3C0, (uint8_t)i), outb(0x3C0, perturb(m->ar[i]));
        outb(0x3C0, 0x20);
    }
    if (chance(70) && fz.con) {
        DisplayUpdate u;
        display_update(fz.con, &u);
    }
}

/* ---- DMA episodes: the guest points DMA somewhere; nothing else may change -- */

/* Read as the bus master does: RAM only, never a device register. */
static bool ram_read(uint64_t addr, uint8_t *buf, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        uint8_t *p = address_space_host_ptr(fz.m->mem, addr + i, false, NULL);
        if (!p)
            return false;
        buf[i] = *p;
    }
    return true;
}

/* The regions of the PRD table at prdt as the PIIX walks it (SFF-8038i):
 * up to EOT or 8192 entries, stopping where the table leaves RAM. Returns
 * false if a region overlaps the table (DMA may then rewrite it). */
static bool prd_allow(uint32_t prdt)
{
    uint32_t n = 0;
    for (; n < 8192; n++) {
        uint8_t e[8];
        if (!ram_read((uint32_t)(prdt + 8 * n), e, 8))
            break;
        uint64_t addr = ld_le32(e) & ~1u, len = ld_le16(e + 4) & 0xFFFE;
        watch_allow(addr, len ? len : 0x10000);
        if (e[7] & 0x80) {
            n++;
            break;
        }
    }
    uint64_t t0 = prdt, t1 = (uint64_t)prdt + 8ull * n;
    for (int i = 0; i < watch.nallowed; i++)
        if (watch.allowed[i].start < t1 && t0 < watch.allowed[i].end)
            return false;
    return true;
}

static uint32_t dma_buffer_address(void)
{
    if (chance(80))
        return (uint32_t)(rnd() % RAM_SIZE) & ~1u;
    return (uint32_t)(chance(60) ? hot_address() : interesting_value());
}

/* The bytes the PRD regions (watch.allowed, in table order) hold for a
 * transfer of len bytes; false when the check cannot be made (a region
 * overlaps an earlier one or is not RAM). */
static bool prd_gather(uint8_t *out, uint32_t len)
{
    uint32_t got = 0;
    for (int i = 0; i < watch.nallowed && got < len; i++) {
        Range r = watch.allowed[i];
        uint64_t n = r.end - r.start < len - got ? r.end - r.start : len - got;
        for (int j = 0; j < i; j++)
            if (watch.allowed[j].start < r.start + n && r.start < watch.allowed[j].end)
                return false;
        if (!ram_read(r.start, out + got, (unsigned)n))
            return false;
        got += (uint32_t)n;
    }
    return got == len;
}

/* The byte write_pattern_file put at off of a CD image. */
static uint8_t cd_pattern(int drive, uint64_t off)
{
    const DriveOptions *d = NULL;
    for (int i = 0; i < fz_opts.ndrives; i++)
        if (fz_opts.drives[i].index == drive)
            d = &fz_opts.drives[i];
    bool dvd = d && d->file && strstr(d->file, "dvd");
    if (dvd && off >= (1u << 20))
        return 0;
    return (uint8_t)(off * 7 + (off >> 9) + (dvd ? 0x22 : 0x11));
}

/* After a completed DMA: what the PRD regions hold is the data. For a
 * disk READ SECTORS must return the same bytes (both directions: for WRITE
 * DMA they are what reached the disk); a CD holds its image's pattern. */
static bool ide_verify_dma(int drive, uint64_t lba, uint32_t count, char *why, size_t whylen)
{
    static uint8_t dma[256 * 512], pio[256 * 512];
    uint16_t base = drive / 2 ? 0x170 : 0x1F0;
    bool cd = fz.drive[drive] == IDE_DRIVE_CD;
    uint32_t len = count * (cd ? 2048 : 512);
    if (len > sizeof(dma) || watch.nallowed > 64 || !prd_gather(dma, len))
        return true;
    if (cd) {
        for (uint32_t i = 0; i < len; i++)
            pio[i] = cd_pattern(drive, lba * 2048 + i);
    } else {
        outb(base + 6, (uint8_t)(0xE0 | (drive & 1) << 4 | ((lba >> 24) & 0xF)));
        outb(base + 2, (uint8_t)count);
        outb(base + 3, (uint8_t)lba);
        outb(base + 4, (uint8_t)(lba >> 8));
        outb(base + 5, (uint8_t)(lba >> 16));
        outb(base + 7, 0x20);                 /* READ SECTORS */
        for (uint32_t sct = 0; sct < count; sct++) {
            uint8_t st = inb(base + 7);
            if ((st & 0x89) != 0x08) {
                snprintf(why, whylen, "IDE drive %d: READ SECTORS %llu+%u after a DMA: status "
                         "0x%02x at sector %u", drive, (unsigned long long)lba, count, st, sct);
                return false;
            }
            for (int w = 0; w < 256; w++)
                st_le16(pio + sct * 512 + 2 * w, (uint16_t)as_ld(fz.m->io, base, 2));
        }
    }
    for (uint32_t i = 0; i < len; i++)
        if (dma[i] != pio[i]) {
            snprintf(why, whylen, "IDE drive %d: DMA of %u sectors at %llu: byte %u is 0x%02x "
                     "in RAM, 0x%02x on the %s", drive, count, (unsigned long long)lba, i, dma[i],
                     pio[i], cd ? "disc" : "disk (READ SECTORS)");
            return false;
        }
    return true;
}

/* An ATA READ/WRITE DMA or an ATAPI PACKET-DMA command with a fresh PRD
 * table; device writes must land inside the table's regions, and the data
 * moved must be the data on the medium. */
static bool episode_ide(char *why, size_t whylen)
{
    int drive = (int)rnd_below(IDE_MAX_DRIVES);
    if (fz.drive[drive] == IDE_DRIVE_NONE)
        return true;
    int ch = drive / 2, unit = drive % 2;
    uint16_t base = ch ? 0x170 : 0x1F0, ctl = ch ? 0x376 : 0x3F6, bm = BM_PORT + 8 * ch;

    /* A BAR the guest put over 0xCF8 hides configuration space until a
     * reset: then there is no setting this episode up. */
    if (pci_cfg_read(DEVFN_IDE, 0, 4) != 0x70108086)
        return true;
    /* Sometimes bus mastering is off: then the DMA may write nothing. */
    bool master = chance(92);
    pci_cfg_write(DEVFN_IDE, 0x20, 4, BM_PORT | 1);
    pci_cfg_write(DEVFN_IDE, 0x04, 2, (pci_cfg_read(DEVFN_IDE, 0x04, 2) & ~4u) | (master ? 5 : 1));
    pci_cfg_write(DEVFN_IDE, 0x41 + 2 * ch, 1, 0x80);
    /* A software reset first, as a driver recovers a channel: a DMA command
     * still pending from the random phase would otherwise take the PRD
     * table when the bus master starts (correctly, but not this episode's
     * data). */
    outb(ctl, 4);
    outb(ctl, 0);
    outb(bm, 0);
    outb(bm + 2, 6);

    unsigned nent = 1 + rnd_below(chance(80) ? 4 : 40);
    uint32_t prdt = (uint32_t)(chance(90) ? rnd() % (RAM_SIZE - 8 * nent) & ~3ull : hot_address());
    for (unsigned i = 0; i < nent; i++) {
        uint8_t e[8];
        st_le32(e, dma_buffer_address());
        st_le16(e + 4, chance(70) ? (uint16_t)(512 * (1 + rnd_below(8)))
                                  : PICK(((const uint16_t[]){ 0, 2, 0xFFFE, 2048, 1, 510 })));
        e[6] = 0;
        e[7] = i + 1 == nent && chance(95) ? 0x80 : 0;
        cpu_write_bytes(prdt + 8 * i, e, 8);
    }
    outl(bm + 4, prdt);
    outb(base + 6, (uint8_t)(0xE0 | unit << 4));
    if (as_ld(fz.m->io, bm + 4, 4) != (prdt & ~3u))
        return true;                          /* the bus master is not where it was put */

    watch.nallowed = 0;
    watch.violated = false;
    bool exact = prd_allow(prdt & ~3u);
    if (!master)
        watch.nallowed = 0, exact = true;
    bool to_memory = true, verify = false;
    uint64_t vlba = 0;
    uint32_t vcount = 0;
    bool bm_first = chance(30);
    watch.active = exact;
    if (bm_first)
        outb(bm, 0x09);
    if (fz.drive[drive] == IDE_DRIVE_DISK) {
        uint64_t sectors = fz.sectors[drive];
        uint32_t count = chance(80) ? 1 + rnd_below(8) : 1 + rnd_below(256);
        uint64_t lba = sectors > count ? rnd() % (sectors - count) : 0;
        bool ext = chance(30);
        to_memory = chance(70);
        if (ext) {
            outb(base + 2, (uint8_t)(count >> 8));
            outb(base + 3, (uint8_t)(lba >> 24));
            outb(base + 4, 0);
            outb(base + 5, 0);
        }
        outb(base + 2, (uint8_t)count);
        outb(base + 3, (uint8_t)lba);
        outb(base + 4, (uint8_t)(lba >> 8));
        outb(base + 5, (uint8_t)(lba >> 16));
        if (!ext)
            outb(base + 6, (uint8_t)(0xE0 | unit << 4 | ((lba >> 24) & 0xF)));
        outb(base + 7, ext ? (to_memory ? 0x25 : 0x35) : (to_memory ? 0xC8 : 0xCA));
        verify = count < 256 && lba + count <= sectors;
        vlba = lba, vcount = count;
    } else {
        uint8_t cdb[12];
        if (chance(50)) {
            /* TEST UNIT READY (PIO) first: it takes a pending unit attention. */
            outb(base + 1, 0);
            outb(base + 7, 0xA0);
            ide_send_cdb(base, (const uint8_t[12]){ 0 });
            (void)inb(base + 7);
        }
        make_cdb(cdb, drive);
        if (chance(60) && fz.sectors[drive]) {
            uint32_t count = 1 + rnd_below(8);
            uint32_t lba = (uint32_t)(rnd() % fz.sectors[drive]);
            memset(cdb, 0, 12);
            cdb[0] = 0x28;
            st_le32(cdb + 2, bswap32(lba));
            cdb[7] = (uint8_t)(count >> 8), cdb[8] = (uint8_t)count;
            verify = lba + count <= fz.sectors[drive];
            vlba = lba, vcount = count;
        }
        outb(base + 1, 1);                    /* DMA */
        outb(base + 4, 0);
        outb(base + 5, 0x80);
        outb(base + 7, 0xA0);
        ide_send_cdb(base, cdb);
    }
    if (!bm_first)
        outb(bm, to_memory ? 0x09 : 0x01);
    watch.active = false;
    bool done = (inb(bm + 2) & 0x06) == 0x04 && !(inb(ctl) & 0x89);
    if (done)
        ide_dma_done++;                       /* interrupt, no error: the transfer happened */
    outb(bm, 0);
    (void)inb(base + 7);
    if (watch.violated) {
        snprintf(why, whylen, "IDE DMA (drive %d, PRD table at 0x%x) wrote 0x%llx+0x%llx, "
                 "outside the regions the table names", drive, (unsigned)prdt,
                 (unsigned long long)watch.bad_addr, (unsigned long long)watch.bad_len);
        return false;
    }
    return !(done && exact && verify) || ide_verify_dma(drive, vlba, vcount, why, whylen);
}

/* A fw_cfg DMA request: only its buffer and the descriptor's control word
 * may change. */
static bool episode_fw_cfg(char *why, size_t whylen)
{
    /* No fw_cfg without firmware; an I/O BAR may cover its ports. */
    if (fz.direct_boot || as_ld(fz.m->io, 0x514, 4) != 0x554D4551)   /* "QEMU" */
        return true;
    uint64_t desc = chance(85) ? rnd() % (RAM_SIZE - 16) : hot_address();
    uint32_t ctl = (uint32_t)PICK(fw_cfg_keys) << 16 |
                   PICK(((const uint32_t[]){ 0x0A, 0x0A, 0x0A, 2, 4, 0x0C, 0x10, 0x1A, 0xE }));
    uint32_t len = chance(70) ? rnd_below(chance(50) ? 256 : 70000) : (uint32_t)interesting_value();
    uint64_t addr = chance(80) ? rnd() % RAM_SIZE
                  : chance(50) ? hot_address() : interesting_value();
    uint8_t d[16];
    for (int i = 0; i < 4; i++) {
        d[i] = (uint8_t)(ctl >> (24 - 8 * i));
        d[4 + i] = (uint8_t)(len >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++)
        d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
    cpu_write_bytes(desc, d, sizeof(d));
    /* Stores to ROM (PAM read-only, a ROM BAR over RAM) are dropped. */
    uint8_t back[16];
    bool stored = ram_read(desc, back, sizeof(back)) && !memcmp(back, d, sizeof(d));
    watch.nallowed = 0;
    watch.violated = false;
    watch_allow(addr, len);
    watch_allow(desc, 4);
    watch.active = true;
    outl(0x514, bswap32((uint32_t)(desc >> 32)));
    outl(0x518, bswap32((uint32_t)desc));
    watch.active = false;
    if (watch.violated) {
        snprintf(why, whylen, "fw_cfg DMA (descriptor 0x%llx: control 0x%x, 0x%x bytes to "
                 "0x%llx) wrote 0x%llx+0x%llx", (unsigned long long)desc, ctl, len,
                 (unsigned long long)addr, (unsigned long long)watch.bad_addr,
                 (unsigned long long)watch.bad_len);
        return false;
    }
    /* A completed select+read left the item's bytes (zeros past its end):
     * the same as the port interface gives. */
    uint8_t result[4], got[4096];
    if (stored && (ctl & 0xFFFF) == 0x0A && len <= sizeof(got) && addr + len <= RAM_SIZE &&
        (addr >= desc + 16 || addr + len <= desc) && ram_read(desc, result, 4) &&
        ld_le32(result) == 0 && ram_read(addr, got, len)) {
        outw(0x510, (uint16_t)(ctl >> 16));
        for (uint32_t i = 0; i < len; i++) {
            uint8_t want = inb(0x511);
            if (got[i] != want) {
                snprintf(why, whylen, "fw_cfg DMA read of item 0x%04x: byte %u is 0x%02x, the "
                         "data port gives 0x%02x", ctl >> 16, i, got[i], want);
                return false;
            }
        }
    }
    return true;
}

/* ---- The images after the fuzzing ------------------------------------------ */

/* One sector through the guest's PIO path (READ SECTORS); false if the
 * drive does not offer it. */
static bool ide_pio_read(int drive, uint64_t lba, uint8_t *buf)
{
    uint16_t base = drive / 2 ? 0x170 : 0x1F0;
    outb(base + 6, (uint8_t)(0xE0 | (drive & 1) << 4 | ((lba >> 24) & 0xF)));
    outb(base + 2, 1);
    outb(base + 3, (uint8_t)lba);
    outb(base + 4, (uint8_t)(lba >> 8));
    outb(base + 5, (uint8_t)(lba >> 16));
    outb(base + 7, 0x20);
    if ((inb(base + 7) & 0x89) != 0x08)
        return false;
    for (int w = 0; w < 256; w++)
        st_le16(buf + 2 * w, (uint16_t)as_ld(fz.m->io, base, 2));
    return true;
}

/* After a reset: each image the guest wrote is consistent on the host
 * side. A qcow2 passes qemu-img check semantics and, opened afresh, holds
 * what the drive shows; a raw disk's file holds what the drive shows; a
 * snapshot=on disk's file and the backing file are untouched. */
static bool disks_check(char *why, size_t n)
{
    pci_cfg_write(DEVFN_IDE, 0x04, 2, 0x01);     /* legacy ports decode */
    outb(0x3F6, 0);
    outb(0x376, 0);
    uint8_t dev[512], ref[512];
    for (int i = 0; i < IDE_MAX_DRIVES; i++) {
        const char *path = fz.disk_path[i];
        if (!path)
            continue;
        DiskKind k = fz.disk[i];
        bool qcow2 = k == DISK_QCOW2 || k == DISK_QCOW2_BACKED;
        char err[256];
        if (qcow2) {
            BlockNode *bn = block_node_open(path, "qcow2", BLOCK_OPEN_READONLY, 0, err,
                                            sizeof(err));
            if (!bn) {
                snprintf(why, n, "drive %d: the qcow2 image no longer opens: %s", i, err);
                return false;
            }
            FILE *devnull = fopen("/dev/null", "w");
            Qcow2CheckResult res;
            int r = qcow2_check(bn, devnull, &res);
            fclose(devnull);
            block_node_close(bn);
            if (r < 0 || res.corruptions || res.check_errors) {
                snprintf(why, n, "drive %d: qcow2 check: %llu corruptions, %llu errors (r %d)", i,
                         (unsigned long long)res.corruptions,
                         (unsigned long long)res.check_errors, r);
                return false;
            }
        }
        DriveOptions d = { .file = path, .format = qcow2 ? "qcow2" : "raw", .readonly = true,
                           .index = -1 };
        const char *e;
        BlockBackend *bb = blk_open(&d, &e);
        if (!bb) {
            snprintf(why, n, "drive %d: cannot reopen %s: %s", i, path, e);
            return false;
        }
        uint64_t sectors = fz.sectors[i];
        bool ok = true;
        for (int s = 0; s < 64 && ok; s++) {
            uint64_t lba = s == 0 ? 0 : s == 1 ? sectors - 1 : rnd() % sectors;
            if (blk_pread(bb, lba * 512, ref, 512) < 0) {
                snprintf(why, n, "drive %d: sector %llu of the image cannot be read", i,
                         (unsigned long long)lba);
                ok = false;
            } else if (k == DISK_RAW_SNAPSHOT) {
                for (int b = 0; b < 512 && ok; b++) {
                    uint64_t off = lba * 512 + (uint64_t)b;
                    if (ref[b] != (uint8_t)(off * 7 + (off >> 9) + i)) {
                        snprintf(why, n, "drive %d: snapshot=on, yet the image changed at byte "
                                 "%llu", i, (unsigned long long)off);
                        ok = false;
                    }
                }
            } else if (!ide_pio_read(i, lba, dev)) {
                snprintf(why, n, "drive %d: READ SECTORS %llu fails after a reset", i,
                         (unsigned long long)lba);
                ok = false;
            } else if (memcmp(dev, ref, 512)) {
                snprintf(why, n, "drive %d: sector %llu differs between the drive and its image "
                         "(%s) opened afresh", i, (unsigned long long)lba, qcow2 ? "qcow2" : "raw");
                ok = false;
            }
        }
        blk_close(bb);
        if (!ok)
            return false;
    }
    /* qcow2 backing file: opened read-only under the overlays. */
    int fd = open(image_path("base.raw"), O_RDONLY);
    static uint8_t buf[QCOW2_DISK_SIZE];
    bool same = fd >= 0 && pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf);
    for (uint64_t off = 0; same && off < sizeof(buf); off++)
        same = buf[off] == (uint8_t)(off * 7 + (off >> 9) + 0x33);
    if (fd >= 0)
        close(fd);
    if (!same) {
        snprintf(why, n, "the qcow2 backing file base.raw changed");
        return false;
    }
    return true;
}

/* ---- The fuzz loop ---------------------------------------------------------- */

typedef struct Stats {
    long reads, writes, advances, acks, configs, ide_cmds, episodes, renders, resets;
} Stats;

static const char *storm_where;

/* One random guest-visible action. Returns false (with why) on a failure. */
static bool fuzz_step(const Target **cur, uint64_t *offs, int *noffs, int *left, Stats *st,
                      char *why, size_t whylen)
{
    Machine *m = fz.m;
    unsigned r = rnd_below(1000);
    cur_cpu = chance(3) ? -1 : (int)rnd_below(NCPUS);

    if (r < 735) {
        /* Accesses come in runs at one device and a few offsets, so that
         * index/data pairs and multi-step programming happen. */
        if (!*cur || *left <= 0) {
            if (fz.targets_stale)
                refresh_targets();
            *cur = &targets[rnd_below((unsigned)ntargets)];
            *left = 1 + (int)rnd_below(24);
            *noffs = 1 + (int)rnd_below(4);
            for (int i = 0; i < *noffs; i++)
                offs[i] = pick_offset(*cur);
        }
        (*left)--;
        Target t = **cur;         /* the access may move regions and refresh the list */
        uint64_t off = chance(80) ? offs[rnd_below((unsigned)*noffs)] : pick_offset(&t);
        unsigned size = 1u << rnd_below(4);
        if (chance(60)) {
            cpu_st(t.as, t.start + off, size, pick_value(&t, off));
            st->writes++;
        } else {
            (void)as_ld(t.as, t.start + off, size);
            st->reads++;
        }
        if (fz.targets_stale)
            *cur = NULL;
        storm_where = t.name;
    } else if (r < 745) {
        act_pci_bars();
        *cur = NULL;
        storm_where = "PCI BARs";
    } else if (r < 780) {
        act_pci_config();
        st->configs++;
        *cur = NULL;
        storm_where = "PCI configuration";
    } else if (r < 800) {
        act_ide_command();
        st->ide_cmds++;
        storm_where = "IDE command";
    } else if (r < 810) {
        act_ide_data();
        storm_where = "IDE data burst";
    } else if (r < 817) {
        act_fw_cfg();
        storm_where = "fw_cfg";
    } else if (r < 825) {
        act_scribble();
        storm_where = "RAM scribble";
    } else if (r < 828) {
        st->episodes++;
        storm_where = "DMA episode";
        if (!(chance(60) ? episode_ide(why, whylen) : episode_fw_cfg(why, whylen)))
            return false;
    } else if (r < 880) {
        /* Virtual time moves: mostly a little, sometimes milliseconds. */
        long ns = chance(99) ? 100 + (long)rnd_below(chance(50) ? 2000 : 60000)
                             : 1000000 + (long)rnd_below(4000000);
        advance(ns);
        st->advances++;
        storm_where = "after time advanced";
    } else if (r < 925) {
        /* A CPU takes its interrupt and, usually, EOIs it. */
        int cpu = (int)rnd_below(NCPUS);
        if (intr[cpu]) {
            chip->acknowledge(chip->opaque, cpu);
            st->acks++;
        }
        if (chance(70)) {
            cur_cpu = cpu;
            as_st(m->mem, PC_LAPIC_BASE + 0xB0, 4, 0);
        }
        if (chance(30))
            outb(chance(50) ? 0x20 : 0xA0, 0x20);   /* 8259 non-specific EOI */
        storm_where = "interrupt acknowledge";
    } else if (r < 945) {
        /* The CPU-side LAPIC inputs a guest controls through CR8 and MSRs. */
        int cpu = (int)rnd_below(NCPUS);
        switch (rnd_below(4)) {
        case 0:
            chip->tpr_write(chip->opaque, cpu, (uint8_t)rnd());
            break;
        case 1:
            (void)chip->tpr_read(chip->opaque, cpu);
            break;
        case 2: {
            /* Mostly the architectural base, enabled or not; sometimes anywhere. */
            uint64_t v = chance(70) ? PC_LAPIC_BASE | (rnd() & 0x900) : interesting_value();
            chip->apic_base_changed(chip->opaque, cpu, v);
            break;
        }
        default: {
            int64_t now = clock_virtual_ns();
            uint64_t tsc = chance(50) ? (uint64_t)now + rnd_below(200000) : interesting_value();
            chip->tsc_deadline_changed(chip->opaque, cpu, tsc,
                                       chance(70) ? 0 : (int64_t)interesting_value());
            break;
        }
        }
        storm_where = "CPU-side LAPIC hook";
    } else if (r < 957) {
        /* Bytes arrive on COM1's line; the main loop hands them over. */
        uint8_t buf[32];
        size_t n = 1 + rnd_below(sizeof(buf));
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rnd();
        ssize_t w = write(fz.serial_in, buf, n);
        (void)w;
        mainloop_iterate(0);
        storm_where = "serial input";
    } else if (r < 970) {
        /* Host input for the PS/2 devices (keys, motion, buttons). */
        if (chance(50))
            ps2_keyboard_key_event(ps2_keyboard_get(0), (int)(rnd() & 0x1FF), chance(50));
        else
            ps2_mouse_event(ps2_mouse_get(0), (int)interesting_value(), (int)interesting_value(),
                            (int)rnd_below(16) - 8, (unsigned)rnd());
        storm_where = "PS/2 input";
    } else if (r < 987) {
        /* An interrupt line of the board moves (devices drive these). */
        irq_set(m->gsi[rnd_below(MACHINE_MAX_GSI)], (int)rnd_below(2));
        storm_where = "GSI level change";
    } else if (r < 989) {
        act_vga_mode();
        storm_where = "VGA mode set";
    } else if (r < 990) {
        /* The UI refreshes the screen (the VGA renders its current mode). */
        DisplayUpdate u;
        if (fz.con) {
            display_update(fz.con, &u);
            if (chance(30)) {
                static char text[16384];
                display_text(fz.con, text, chance(50) ? sizeof(text) : rnd_below(64));
            }
        }
        st->renders++;
        storm_where = "display refresh";
    } else if (r < 991) {
        fuzz_system_reset();
        st->resets++;
        *cur = NULL;
        storm_where = "system reset";
        if (!config_check_reset(why, whylen))
            return false;
    } else {
        /* The guest's own RAM traffic: stores anywhere below the top of RAM. */
        uint64_t a = chance(50) ? hot_address() : rnd() % RAM_SIZE;
        cpu_st(m->mem, a, 1u << rnd_below(4), rnd());
        storm_where = "RAM store";
    }
    if (m->request)
        fuzz_handle_request(m);
    if (!run_timers()) {
        snprintf(why, whylen, "timer storm (%s): 1000 timer callbacks due at one instant",
                 storm_where);
        return false;
    }
    return true;
}

static void on_watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL pc_fuzz: watchdog: a device access or timer hung\n";
    ssize_t w = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    _exit(1);
}

/* Everything a process needs before it builds a machine. */
static void child_init(void)
{
    signal(SIGALRM, on_watchdog);
    clock_virtual_ns();
    clock_virtual_pause();
    mainloop_init();
    machine_lock();
}

static uint64_t seed_variant(uint64_t seed)
{
    return seed * 0xD1B54A32D192ED03ull >> 7;
}

static int fuzz_seed(uint64_t seed, long ops)
{
    uint64_t variant = seed_variant(seed);
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    fuzz_pc_create(variant);
    hot_init();
    refresh_targets();
    Stats st = { 0 };
    const Target *cur = NULL;
    uint64_t offs[4];
    int noffs = 0, left = 0;
    char why[512];
    alarm(WATCHDOG_SECONDS);
    int64_t t0 = clock_host_ns();
    for (long i = 0; i < ops; i++) {
        bool ok = fuzz_step(&cur, offs, &noffs, &left, &st, why, sizeof(why));
        if (ok && (i + 1) % GUARD_CHECK_EVERY == 0)
            ok = guard_check(why, sizeof(why));
        if (!ok) {
            alarm(0);
            printf("FAIL pc_fuzz seed %llu (variant 0x%llx): op %ld: %s\n",
                   (unsigned long long)seed, (unsigned long long)variant, i, why);
            return 1;
        }
    }
    if (!guard_check(why, sizeof(why))) {
        printf("FAIL pc_fuzz seed %llu: at the end: %s\n", (unsigned long long)seed, why);
        return 1;
    }
    /* A reset must disarm whatever the fuzzing armed and restore PCI. */
    fuzz_system_reset();
    if (!run_timers()) {
        printf("FAIL pc_fuzz seed %llu: timer storm after a reset\n", (unsigned long long)seed);
        return 1;
    }
    if (!config_check_reset(why, sizeof(why))) {
        printf("FAIL pc_fuzz seed %llu: final reset: %s\n", (unsigned long long)seed, why);
        return 1;
    }
    if (!disks_check(why, sizeof(why))) {
        printf("FAIL pc_fuzz seed %llu: disk images: %s\n", (unsigned long long)seed, why);
        return 1;
    }
    alarm(0);
    printf("PASS pc_fuzz seed %llu (variant 0x%llx, %s): %ld ops (%ld writes, %ld reads, %ld "
           "config, %ld IDE commands, %ld DMA episodes of which %ld IDE transfers, %ld DMA "
           "writes, %ld renders, %ld resets) over %d ranges, %ld time steps, %ld INTAs, %.2f s\n",
           (unsigned long long)seed, (unsigned long long)variant,
           fz.direct_boot ? "direct boot" : "firmware", ops, st.writes, st.reads, st.configs,
           st.ide_cmds, st.episodes, ide_dma_done, dma_writes, st.renders, st.resets, ntargets,
           st.advances, st.acks, (double)(clock_host_ns() - t0) / 1e9);
    fflush(stdout);
    return 0;
}

/* ---- Directed cases for what the fuzzer found --------------------------------- */

/* For the directed cases: a raw disk as primary master, a CD as primary
 * slave, an empty CD drive and a DVD on the secondary channel, firmware. */
#define VARIANT_PLAIN 0x0400ull

/* The HPET main counter written near 2^64 while halted, then enabled, wraps
 * within nanoseconds. The HPET used to arm a comparator's host timer at
 * "enable instant + (event - counter at enable)", magnitudes that go wrong
 * once the counter wraps: an event the wrapped counter had already passed
 * (comparators 1 and 2 at their reset value ~0) was armed at a past
 * instant, found not due, and re-armed there forever; and a 32-bit one-shot
 * kept its last-seen count above the wrapped counter and re-fired. Now
 * events are distances forward from the last-seen count. */
TEST_CASE(hpet_counter_wrap_no_storm)
{
    AddressSpace *mem = fuzz_pc_create(VARIANT_PLAIN)->m->mem;
    as_st(mem, HPET_BASE + 0xF0, 8, ~0ull - 5);       /* counter 6 ticks before the wrap */
    as_st(mem, HPET_BASE + 0x100, 4, (1u << 8) | (1u << 2) | (2u << 9));   /* 32-bit, int, IOAPIC 2 */
    as_st(mem, HPET_BASE + 0x108, 4, 100);            /* match at 100 after the wrap */
    as_st(mem, HPET_BASE + 0x10, 4, 1);               /* enable */
    advance(20000);                                   /* 2000 ticks: past the wrap and the match */
    CHECK(run_timers());
    CHECK(run_timers());
    uint64_t cnt = as_ld(mem, HPET_BASE + 0xF0, 8);
    CHECK(cnt < 1000000);                             /* wrapped and counting */
    advance(20000);
    CHECK(run_timers());
}

/* Same wrap with a 64-bit comparator just after it: it fires once and the
 * timer does not spin. */
TEST_CASE(hpet_counter_wrap_64bit_comparator)
{
    AddressSpace *mem = fuzz_pc_create(VARIANT_PLAIN)->m->mem;
    as_st(mem, HPET_BASE + 0xF0, 8, ~0ull - 5);
    as_st(mem, HPET_BASE + 0x100, 4, (1u << 1) | (1u << 2) | (20u << 9));   /* level, int, pin 20 */
    as_st(mem, HPET_BASE + 0x108, 8, 50);
    as_st(mem, HPET_BASE + 0x10, 4, 1);
    advance(20000);
    CHECK(run_timers());
    CHECK_EQ(as_ld(mem, HPET_BASE + 0x20, 4) & 1, 1);   /* matched once after the wrap */
    as_st(mem, HPET_BASE + 0x20, 4, 1);
    advance(20000);
    CHECK(run_timers());
    CHECK_EQ(as_ld(mem, HPET_BASE + 0x20, 4) & 1, 0);   /* and not again */
}

/* A 64-bit one-shot serviced long after its match (time advanced in one
 * big step) fires once; an intermediate fix re-armed the passed
 * comparator at its missed instant (seeds 4 and 5, "after time advanced"). */
TEST_CASE(hpet_late_oneshot_no_storm)
{
    AddressSpace *mem = fuzz_pc_create(VARIANT_PLAIN)->m->mem;
    as_st(mem, HPET_BASE + 0x140, 4, (1u << 1) | (1u << 2) | (21u << 9));   /* level, int, pin 21 */
    as_st(mem, HPET_BASE + 0x148, 8, 100);            /* 1 us after enable */
    as_st(mem, HPET_BASE + 0x10, 4, 1);
    advance(50000);
    CHECK(run_timers());
    CHECK_EQ(as_ld(mem, HPET_BASE + 0x20, 4), 4);
    as_st(mem, HPET_BASE + 0x20, 4, 4);
    advance(50000);
    CHECK(run_timers());
    CHECK_EQ(as_ld(mem, HPET_BASE + 0x20, 4), 0);
}

/* Bus-master IDE DMA wrote guest RAM with memcpy through a host pointer,
 * so the RAM-write observer (which makes tcg drop translations of those
 * bytes) never heard of it: a guest that reads code from disk over code it
 * ran before went on running the stale translation. The shadow comparison
 * found it; the DMA now goes through as_write_buf. */
TEST_CASE(ide_dma_reports_ram_writes)
{
    fuzz_pc_create(VARIANT_PLAIN);
    CHECK_EQ(fz.drive[0], IDE_DRIVE_DISK);
    pci_cfg_write(DEVFN_IDE, 0x20, 4, BM_PORT | 1);
    pci_cfg_write(DEVFN_IDE, 0x04, 2, 0x05);
    uint8_t prd[8];
    st_le32(prd, 0x20000);
    st_le16(prd + 4, 1024);
    prd[6] = 0;
    prd[7] = 0x80;
    cpu_write_bytes(0x10000, prd, sizeof(prd));
    outl(BM_PORT + 4, 0x10000);
    outb(0x1F6, 0xE0);
    outb(0x1F2, 2);
    outb(0x1F3, 1);                           /* LBA 1, 2 sectors */
    outb(0x1F4, 0);
    outb(0x1F5, 0);
    outb(0x1F7, 0xC8);                        /* READ DMA */
    long before = dma_writes;
    outb(BM_PORT, 0x09);
    CHECK_EQ(inb(0x1F7) & 0x89, 0);           /* done: neither BSY, DRQ nor ERR */
    CHECK(dma_writes > before);
    char why[256];
    CHECK(guard_check(why, sizeof(why)));
    for (unsigned i = 0; i < 1024; i++) {
        uint64_t off = 512 + i;               /* write_pattern_file's bytes, salt 0 */
        CHECK_EQ(fz.m->ram[0x20000 + i], (uint8_t)(off * 7 + (off >> 9)));
    }
}

/* PCI functions kept their configuration across a system reset: BARs the
 * last OS placed went on decoding (the VGA's framebuffer and MMIO, its ROM)
 * while the firmware started again, and status error bits stayed set. The
 * bus now performs RST#: every function returns to its power-on state. */
TEST_CASE(pci_reset_restores_config)
{
    fuzz_pc_create(VARIANT_PLAIN);
    pci_cfg_write(DEVFN_VGA, 0x10, 4, 0xFD000000);
    pci_cfg_write(DEVFN_VGA, 0x18, 4, 0xFEBF0000);
    pci_cfg_write(DEVFN_VGA, 0x30, 4, 0xFEB00001);
    pci_cfg_write(DEVFN_VGA, 0x04, 2, 0x03);
    pci_cfg_write(DEVFN_VGA, 0x3C, 1, 11);
    CHECK(address_space_lookup(fz.m->mem, 0xFD000000) != NULL);
    CHECK(address_space_lookup(fz.m->mem, 0xFEBF0400) != NULL);
    /* A bus-master abort (PRD table outside RAM) sets the IDE status bit. */
    pci_cfg_write(DEVFN_IDE, 0x20, 4, BM_PORT | 1);
    pci_cfg_write(DEVFN_IDE, 0x04, 2, 0x05);
    pci_cfg_write(DEVFN_IDE, 0x0D, 1, 0x40);
    outl(BM_PORT + 4, 0xFEC00000);
    outb(0x1F6, 0xE0);
    outb(0x1F2, 1);
    outb(0x1F7, 0xC8);
    outb(BM_PORT, 0x09);
    CHECK(pci_cfg_read(DEVFN_IDE, 0x06, 2) & 0x2000);
    pci_cfg_write(DEVFN_HOST, 0x0D, 1, 0x20);
    pci_cfg_write(DEVFN_HOST, 0x72, 1, 0x0A);   /* SMRAM */

    fuzz_system_reset();
    char why[256];
    CHECK(config_check_reset(why, sizeof(why)));
    CHECK(address_space_lookup(fz.m->mem, 0xFD000000) == NULL);
    CHECK(address_space_lookup(fz.m->mem, 0xFEBF0400) == NULL);
    CHECK(address_space_lookup(fz.m->mem, 0xFEB00000) == NULL);
    CHECK(address_space_lookup(fz.m->io, BM_PORT) == NULL);
}

typedef struct DirectedCase {
    const char *name;
    void (*fn)(void);
} DirectedCase;

#define DIRECTED(name) { #name, name }

static const DirectedCase directed[] = {
    DIRECTED(hpet_counter_wrap_no_storm),
    DIRECTED(hpet_counter_wrap_64bit_comparator),
    DIRECTED(hpet_late_oneshot_no_storm),
    DIRECTED(ide_dma_reports_ram_writes),
    DIRECTED(pci_reset_restores_config),
};

/* Run fn in a child process (one machine per process: the display allows
 * only a few consoles, and a crash takes down only its own case). Returns
 * true if it passed; a child that died is reported here. */
static bool run_isolated(const char *name, int (*fn)(void *), void *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL %s: fork failed\n", name);
        return false;
    }
    if (pid == 0) {
        child_init();
        int r = fn(arg);
        fflush(stdout);
        exit(r ? CHILD_FAILED : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_FAILED)
        return false;
    if (WIFSIGNALED(status))
        printf("FAIL %s: killed by signal %d\n", name, WTERMSIG(status));
    else
        printf("FAIL %s: exited with status %d (a sanitizer report or fatal error above)\n", name,
               WEXITSTATUS(status));
    return false;
}

static int run_directed(void *arg)
{
    const DirectedCase *c = arg;
    test_case_name_ = c->name;
    test_case_failed_ = 0;
    c->fn();
    if (test_case_failed_ == 0)
        printf("PASS %s\n", c->name);
    return test_case_failed_ > 0;
}

typedef struct SeedArg {
    uint64_t seed;
    long ops;
} SeedArg;

static int run_seed(void *arg)
{
    const SeedArg *s = arg;
    return fuzz_seed(s->seed, s->ops);
}

int main(int argc, char **argv)
{
    uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    long nseeds = argc > 2 ? strtol(argv[2], NULL, 0) : DEFAULT_SEEDS;
    long ops = argc > 3 ? strtol(argv[3], NULL, 0) : DEFAULT_OPS;

    signal(SIGPIPE, SIG_IGN);
    /* Guest errors are formatted (that code runs too) into /dev/null. */
    log_mask = LOG_GUEST_ERRORS | LOG_UNIMP | LOG_INT;
    if (!log_set_file("/dev/null"))
        return 1;
    if (!images_create()) {
        printf("FAIL pc_fuzz: cannot create the disk and firmware images in %s\n", image_dir);
        return 1;
    }
    int failed = 0;
    for (size_t i = 0; i < sizeof(directed) / sizeof(directed[0]); i++)
        failed |= !run_isolated(directed[i].name, run_directed, (void *)&directed[i]);
    for (long i = 0; i < nseeds; i++) {
        SeedArg s = { first + (uint64_t)i, ops };
        char name[64];
        snprintf(name, sizeof(name), "pc_fuzz seed %llu", (unsigned long long)s.seed);
        failed |= !run_isolated(name, run_seed, &s);
    }
    images_remove();
    if (failed)
        return 1;
    TEST_EXIT();
}
