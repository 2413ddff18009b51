/*
 * The pc fuzzer's rig (see rig.h): the real `pc` machine type, compiled in
 * here, built as system/main.c builds it behind a fake accelerator, with its
 * images, the RAM guard, the DMA watch, virtual time and process isolation.
 * What to poke and how is the cases' business (cases.c).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The machine type and the ISA debug devices register themselves from
 * constructors and export no symbol, so a static library never links them
 * into a test: they are compiled in here, and the machine is built exactly
 * as system/main.c builds it (machine_find("pc"), init, -device, load). */
#include "hw/pc/pc.c"
#include "hw/char/debugcon.c"
#include "hw/misc/debugexit.c"

#include "block/qcow2.h"
#include "mimic/block.h"
#include "mimic/chardev.h"
#include "mimic/display.h"
#include "mimic/le.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"

#include "rig.h"

#define CFG_ADDR 0xCF8
#define CFG_DATA 0xCFC
#define CHILD_FAILED 3               /* a case failed and said why; other codes: it died */

const uint8_t pci_funcs[NFUNCS] = { DEVFN_HOST, DEVFN_ISA, DEVFN_IDE, DEVFN_VGA };
static char image_dir[256];

/* ---- Fake accelerator: what pc_irq needs, with the CPU's inputs recorded -- */

int intr[NCPUS];
int cur_cpu;
const AccelIrqChip *chip;
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

uint64_t rng_state;

uint64_t rnd(void)
{
    /* xorshift64*: fixed sequences per seed, no libc state. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }
bool chance(unsigned percent) { return rnd_below(100) < percent; }

/* ---- Disk and firmware images ------------------------------------------------- */

const char *image_path(const char *name)
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
bool images_create(void)
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
void images_remove(void)
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

FuzzPc fz;
MachineOptions fz_opts;

/* What the DMA watch allows while a directed DMA episode runs. */
DmaWatch watch;
long dma_writes, ide_dma_done;

void watch_allow(uint64_t start, uint64_t len)
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
bool guard_check(char *why, size_t n)
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
void cpu_st(AddressSpace *as, uint64_t addr, unsigned size, uint64_t v)
{
    as_st(as, addr, size, v);
    if (as == fz.m->mem)
        shadow_sync(addr, size);
}

void cpu_write_bytes(uint64_t addr, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        cpu_st(fz.m->mem, addr + i, 1, buf[i]);
}

void outb(uint16_t port, uint8_t v) { as_st(fz.m->io, port, 1, v); }
void outw(uint16_t port, uint16_t v) { as_st(fz.m->io, port, 2, v); }
void outl(uint16_t port, uint32_t v) { as_st(fz.m->io, port, 4, v); }
uint8_t inb(uint16_t port) { return (uint8_t)as_ld(fz.m->io, port, 1); }

uint32_t pci_cfg_read(int devfn, unsigned reg, unsigned size)
{
    outl(CFG_ADDR, 0x80000000u | (unsigned)devfn << 8 | (reg & 0xFC));
    return (uint32_t)as_ld(fz.m->io, CFG_DATA + (reg & 3), size);
}

void pci_cfg_write(int devfn, unsigned reg, unsigned size, uint32_t v)
{
    outl(CFG_ADDR, 0x80000000u | (unsigned)devfn << 8 | (reg & 0xFC));
    as_st(fz.m->io, CFG_DATA + (reg & 3), size, v);
}

static void config_snapshot(uint8_t out[NFUNCS][PCI_CONFIG_SIZE])
{
    for (int i = 0; i < NFUNCS; i++) {
        PciDevice *d = pci_bus_device(fz.pci, pci_funcs[i]);
        for (unsigned a = 0; a < PCI_CONFIG_SIZE; a++)
            out[i][a] = d ? (uint8_t)pci_config_read(d, a, 1) : 0xFF;
    }
}

/* After a reset, configuration space is what it was at power-on. */
bool config_check_reset(char *why, size_t n)
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
void fuzz_system_reset(void)
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
FuzzPc *fuzz_pc_create(uint64_t variant)
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

    f->pci = ((PcBoard *)m->board)->pci;
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
void fuzz_handle_request(Machine *m)
{
    int req = m->request;
    m->request = REQUEST_NONE;
    if (req == REQUEST_RESET)
        fuzz_system_reset();
}

/* ---- Time and timers ------------------------------------------------------- */

static void host_sleep_ns(long ns)
{
    struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
    nanosleep(&ts, NULL);
}

/* Let virtual time run (timers not serviced), then freeze it again. Short
 * steps spin: a sleep costs the host's timer slack (~50 us) every time. */
void advance(long ns)
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
bool run_timers(void)
{
    return timers_run_expired() != 0;
}

/* ---- Where a DMA may write: the PRD regions ----------------------------------- */

/* Read as the bus master does: RAM only, never a device register. */
bool ram_read(uint64_t addr, uint8_t *buf, unsigned len)
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
bool prd_allow(uint32_t prdt)
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

/* The bytes the PRD regions (watch.allowed, in table order) hold for a
 * transfer of len bytes; false when the check cannot be made (a region
 * overlaps an earlier one or is not RAM). */
bool prd_gather(uint8_t *out, uint32_t len)
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

/* ---- One process per case ---------------------------------------------------- */

/* SIGALRM: the case armed alarm() and did not finish in time. */
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

/* Run fn in a child process (one machine per process: the display allows
 * only a few consoles, and a crash takes down only its own case). Returns
 * true if it passed; a child that died is reported here. */
bool run_isolated(const char *name, int (*fn)(void *), void *arg)
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
