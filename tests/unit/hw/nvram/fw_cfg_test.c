/*
 * Proves fw_cfg behaves as QEMU's docs/specs/fw_cfg.rst describes, poked
 * through its ports and a RAM-backed address space like firmware would:
 * selector/data ports, zeros past the end, the DMA register's signature,
 * DMA select/read/skip with the shared offset, errors for writes and for
 * targets that are not RAM, 64-bit descriptor addresses, the big-endian
 * name-sorted file directory; and that the pc machine's contents (e820,
 * ACPI/SMBIOS files, CPU and boot items, CMOS boot order) are what
 * SeaBIOS expects.
 */
#include "hw/acpi/smbios.h"
#include "hw/nvram/bios_linker.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pc/pc_firmware.h"
#include "test.h"

#define RAM_SIZE   (1u << 20)
#define HIGH_RAM   0x100000000ull     /* a second RAM block above 4 GiB */
#define HOLE       0x00800000ull      /* nothing mapped here */

static AddressSpace *io, *mem;
static uint8_t ram[RAM_SIZE], high_ram[4096];
static FwCfg *fw;

static void setup(void)
{
    if (fw)
        fw_cfg_free(fw);
    if (io)
        address_space_free(io);
    if (mem)
        address_space_free(mem);
    io = address_space_new("io");
    mem = address_space_new("memory");
    memset(ram, 0xCC, sizeof(ram));
    as_map_ram(mem, "ram", 0, RAM_SIZE, ram);
    as_map_ram(mem, "high", HIGH_RAM, sizeof(high_ram), high_ram);
    fw = fw_cfg_create(io, FW_CFG_IO_BASE, mem);
}

static void select_item(uint16_t key) { as_write(io, 0x510, 2, key); }
static uint8_t data_byte(void) { return (uint8_t)as_ld(io, 0x511, 1); }

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t bswap(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xFF00) | (v << 8 & 0xFF0000) | v << 24;
}

/* Writes an FWCfgDmaAccess at desc and starts it the way SeaBIOS does
 * (a 32-bit big-endian write of the low half), or with both halves. */
static void dma(uint64_t desc, uint32_t control, uint32_t length, uint64_t addr)
{
    uint8_t d[16];
    put_be32(d, control);
    put_be32(d + 4, length);
    put_be32(d + 8, (uint32_t)(addr >> 32));
    put_be32(d + 12, (uint32_t)addr);
    as_write_buf(mem, desc, d, sizeof(d));
    if (desc >> 32)
        as_write(io, 0x514, 4, bswap((uint32_t)(desc >> 32)));
    as_write(io, 0x518, 4, bswap((uint32_t)desc));
}

static uint32_t dma_control(uint64_t desc)
{
    uint8_t c[4];
    as_read_buf(mem, desc, c, 4);
    return get_be32(c);
}

TEST_CASE(signature_and_id_through_ports)
{
    setup();
    select_item(FW_CFG_SIGNATURE);
    char sig[5] = { 0 };
    for (int i = 0; i < 4; i++)
        sig[i] = (char)data_byte();
    CHECK(!strcmp(sig, "QEMU"));
    CHECK_EQ(data_byte(), 0);                     /* past the end: zeros */
    select_item(FW_CFG_ID);
    uint32_t id = 0;
    for (int i = 0; i < 4; i++)
        id |= (uint32_t)data_byte() << (8 * i);
    CHECK_EQ(id, FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    select_item(FW_CFG_SIGNATURE);                /* selecting restarts at offset 0 */
    CHECK_EQ(data_byte(), 'Q');
    select_item(FW_CFG_SIGNATURE | FW_CFG_WRITE_CHANNEL);   /* bit 14 ignored */
    CHECK_EQ(data_byte(), 'Q');
    select_item(0x3000);                          /* no such item */
    CHECK_EQ(data_byte(), 0);
    as_write(io, 0x511, 1, 0x55);                 /* data writes are ignored */
    select_item(FW_CFG_SIGNATURE);
    CHECK_EQ(data_byte(), 'Q');
}

TEST_CASE(dma_register_reads_signature)
{
    setup();
    CHECK_EQ(as_ld(io, 0x514, 4), 0x554D4551u);   /* bytes 'Q' 'E' 'M' 'U' */
    CHECK_EQ(as_ld(io, 0x518, 4), 0x47464320u);   /* bytes ' ' 'C' 'F' 'G' */
    CHECK_EQ(as_ld(io, 0x51B, 1), 'G');
}

TEST_CASE(dma_select_and_read)
{
    setup();
    static const char text[] = "hello, firmware";
    fw_cfg_add_file(fw, "opt/test", text, sizeof(text));
    int key = fw_cfg_file_key(fw, "opt/test");
    CHECK(key >= FW_CFG_FILE_FIRST);
    dma(0x1000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 6, 0x2000);
    CHECK_EQ(dma_control(0x1000), 0);
    CHECK(!memcmp(ram + 0x2000, "hello,", 6));
    CHECK_EQ(ram[0x2006], 0xCC);                  /* exactly length bytes */
    /* DMA and the data port share the item offset. */
    CHECK_EQ(data_byte(), ' ');
    dma(0x1000, FW_CFG_DMA_CTL_READ, 3, 0x3000);
    CHECK_EQ(dma_control(0x1000), 0);
    CHECK(!memcmp(ram + 0x3000, "fir", 3));
    CHECK_EQ(as_ld(io, 0x514, 4), 0x554D4551u);   /* the register reads the signature after */
}

TEST_CASE(dma_skip_and_zero_fill)
{
    setup();
    static const uint8_t blob[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    fw_cfg_add_bytes(fw, FW_CFG_UUID, blob, sizeof(blob));
    dma(0x1000, FW_CFG_UUID << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, 5, 0);
    CHECK_EQ(dma_control(0x1000), 0);
    dma(0x1000, FW_CFG_DMA_CTL_READ, 6, 0x2000);  /* 3 bytes left, then zeros */
    CHECK_EQ(dma_control(0x1000), 0);
    static const uint8_t want[6] = { 6, 7, 8, 0, 0, 0 };
    CHECK(!memcmp(ram + 0x2000, want, 6));
    dma(0x1000, FW_CFG_DMA_CTL_SKIP, 100, 0);     /* skipping past the end is harmless */
    CHECK_EQ(dma_control(0x1000), 0);
    CHECK_EQ(data_byte(), 0);
    dma(0x1000, 0x7777u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, 0x2000);
    CHECK_EQ(dma_control(0x1000), 0);             /* unknown item: zeros, like the port */
    CHECK_EQ(ram[0x2000], 0);
}

TEST_CASE(dma_errors_are_flagged)
{
    setup();
    /* Target not RAM: error bit, nothing written anywhere. */
    dma(0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, HOLE);
    CHECK_EQ(dma_control(0x1000), FW_CFG_DMA_CTL_ERROR);
    /* Target straddling the end of RAM. */
    dma(0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4,
        RAM_SIZE - 2);
    CHECK_EQ(dma_control(0x1000), FW_CFG_DMA_CTL_ERROR);
    CHECK_EQ(ram[RAM_SIZE - 2], 0xCC);
    /* A length that wraps the address space. */
    dma(0x1000, FW_CFG_DMA_CTL_READ, 0xFFFFFFFFu, 0xFFFFFFFFFFFFF000ull);
    CHECK_EQ(dma_control(0x1000), FW_CFG_DMA_CTL_ERROR);
    /* Writes: no item is writable. */
    dma(0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
    CHECK_EQ(dma_control(0x1000), FW_CFG_DMA_CTL_ERROR);
    select_item(FW_CFG_SIGNATURE);
    CHECK_EQ(data_byte(), 'Q');
    /* A descriptor outside RAM is dropped without a trace. */
    as_write(io, 0x518, 4, bswap((uint32_t)HOLE));
    /* Half-width writes of the register are ignored. */
    as_write(io, 0x518, 2, 0x1234);
    CHECK_EQ(data_byte(), 'E');
}

TEST_CASE(dma_64bit_descriptor_and_target)
{
    setup();
    static const char text[] = "abcdef";
    fw_cfg_add_file(fw, "opt/x", text, 6);
    int key = fw_cfg_file_key(fw, "opt/x");
    memset(high_ram, 0, sizeof(high_ram));
    dma(HIGH_RAM + 0x100, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 6,
        HIGH_RAM + 0x200);
    CHECK_EQ(dma_control(HIGH_RAM + 0x100), 0);
    CHECK(!memcmp(high_ram + 0x200, "abcdef", 6));
    /* The high half does not stick after an operation. */
    dma(0x1000, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, 0x2000);
    CHECK_EQ(dma_control(0x1000), 0);
    CHECK(!memcmp(ram + 0x2000, "QEMU", 4));
}

TEST_CASE(file_directory_sorted_big_endian)
{
    setup();
    static const char *names[] = { "etc/zeta", "bootorder", "etc/acpi/tables", "etc/alpha" };
    static const uint8_t payload[] = "0123456789";
    for (int i = 0; i < 4; i++)
        fw_cfg_add_file(fw, names[i], payload, (size_t)i + 1);
    fw_cfg_add_file(fw, "etc/zeta", payload, 10);   /* replaced, not added */
    dma(0x1000, FW_CFG_FILE_DIR << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
        4 + 4 * 64, 0x2000);
    CHECK_EQ(dma_control(0x1000), 0);
    CHECK_EQ(get_be32(ram + 0x2000), 4);
    static const char *sorted[] = { "bootorder", "etc/acpi/tables", "etc/alpha", "etc/zeta" };
    static const uint32_t sizes[] = { 2, 3, 4, 10 };
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = ram + 0x2004 + 64 * i;
        CHECK(!strcmp((const char *)e + 8, sorted[i]));
        CHECK_EQ(get_be32(e), sizes[i]);
        uint16_t key = (uint16_t)(e[4] << 8 | e[5]);
        CHECK_EQ(key, FW_CFG_FILE_FIRST + i);
        CHECK_EQ(key, fw_cfg_file_key(fw, sorted[i]));
        select_item(key);
        for (uint32_t b = 0; b < sizes[i]; b++)
            CHECK_EQ(data_byte(), payload[b]);
        CHECK_EQ(data_byte(), 0);
    }
    CHECK_EQ(fw_cfg_file_key(fw, "nope"), -1);
}

TEST_CASE(reset_selects_signature)
{
    setup();
    select_item(FW_CFG_ID);
    as_write(io, 0x514, 4, 0x12345678);           /* a dangling high half */
    fw_cfg_reset(fw);
    CHECK_EQ(data_byte(), 'Q');
    dma(0x1000, FW_CFG_DMA_CTL_READ, 3, 0x2000);  /* low half alone: below 4 GiB */
    CHECK_EQ(dma_control(0x1000), 0);
    CHECK(!memcmp(ram + 0x2000, "EMU", 3));
}

/* Reads a whole file through DMA into out (at most cap bytes). */
static int read_file(const char *name, uint8_t *out, size_t cap)
{
    int key = fw_cfg_file_key(fw, name);
    if (key < 0)
        return -1;
    select_item(FW_CFG_FILE_DIR);
    dma(0x1000, FW_CFG_FILE_DIR << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, 0x2000);
    uint32_t n = get_be32(ram + 0x2000);
    dma(0x1000, FW_CFG_DMA_CTL_READ, n * 64, 0x2000);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = ram + 0x2000 + 64 * i;
        if (strcmp((const char *)e + 8, name))
            continue;
        uint32_t size = get_be32(e);
        if (size > cap || size > 0x80000)
            return -1;
        dma(0x1000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, size,
            0x80000);
        if (dma_control(0x1000))
            return -1;
        memcpy(out, ram + 0x80000, size);
        return (int)size;
    }
    return -1;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t item_int(uint16_t key, int size)
{
    select_item(key);
    uint64_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint64_t)data_byte() << (8 * i);
    return v;
}

TEST_CASE(pc_contents)
{
    setup();
    AcpiConfig acpi = {
        .ncpus = 2, .lapic_addr = 0xFEE00000, .ioapic_addr = 0xFEC00000, .ioapic_id = 2,
        .pm_base = 0x600, .sci_irq = 9, .reset_port = 0xCF9, .reset_value = 6,
        .rtc_century = 0x32, .hpet = true,
    };
    PcFirmwareInfo info = {
        .ram_size = 5ull << 30, .ncpus = 2, .boot_order = "dc", .boot_menu = true,
        .acpi = &acpi, .product = "Standard PC", .bios_size = 256 << 10,
    };
    pc_firmware_fill_fw_cfg(fw, &info);
    static uint8_t buf[0x40000];

    /* e820: RAM from 0 to the PCI hole, RAM above 4 GiB, KVM's 16 KiB
     * below the largest firmware window and the BIOS reserved. */
    int n = read_file("etc/e820", buf, sizeof(buf));
    CHECK_EQ(n, 4 * 20);
    CHECK_EQ(le64(buf), 0);
    CHECK_EQ(le64(buf + 8), 3ull << 30);
    CHECK_EQ(buf[16], 1);
    CHECK_EQ(le64(buf + 20), 1ull << 32);
    CHECK_EQ(le64(buf + 28), 2ull << 30);
    CHECK_EQ(buf[36], 1);
    CHECK_EQ(le64(buf + 40), 0xFEFFC000ull);
    CHECK_EQ(le64(buf + 48), 0x4000);
    CHECK_EQ(buf[56], 2);
    CHECK_EQ(le64(buf + 60), (1ull << 32) - (256 << 10));
    CHECK_EQ(le64(buf + 68), 256 << 10);
    CHECK_EQ(buf[76], 2);

    CHECK_EQ(item_int(FW_CFG_RAM_SIZE, 8), 5ull << 30);
    CHECK_EQ(item_int(FW_CFG_NB_CPUS, 2), 2);
    CHECK_EQ(item_int(FW_CFG_MAX_CPUS, 2), 2);
    CHECK_EQ(item_int(FW_CFG_BOOT_DEVICE, 2), 'd');
    CHECK_EQ(item_int(FW_CFG_BOOT_MENU, 2), 1);
    CHECK_EQ(item_int(FW_CFG_IRQ0_OVERRIDE, 4), 1);
    CHECK_EQ(item_int(FW_CFG_NUMA, 8), 0);        /* no nodes ... */
    select_item(FW_CFG_NUMA);
    for (int i = 0; i < 8 * 3; i++)               /* ... then one u64 per CPU */
        data_byte();
    CHECK_EQ(data_byte(), 0);

    CHECK_EQ(read_file("etc/boot-fail-wait", buf, sizeof(buf)), 4);
    CHECK_EQ(le64(buf) & 0xFFFFFFFF, 0xFFFFFFFFu);

    n = read_file("etc/table-loader", buf, sizeof(buf));
    CHECK(n > 0 && n % BIOS_LINKER_ENTRY_SIZE == 0);
    CHECK_EQ(buf[0], BIOS_LINKER_ALLOCATE);
    CHECK(!strcmp((const char *)buf + 4, "etc/acpi/tables"));
    n = read_file("etc/acpi/rsdp", buf, sizeof(buf));
    CHECK_EQ(n, 36);
    CHECK(!memcmp(buf, "RSD PTR ", 8));
    n = read_file("etc/acpi/tables", buf, sizeof(buf));
    CHECK(n > 0 && !memcmp(buf, "FACS", 4));

    n = read_file("etc/smbios/smbios-anchor", buf, sizeof(buf));
    CHECK_EQ(n, SMBIOS_ANCHOR_SIZE);
    CHECK(!memcmp(buf, "_SM_", 4));
    uint32_t tlen = buf[0x16] | buf[0x17] << 8;
    n = read_file("etc/smbios/smbios-tables", buf, sizeof(buf));
    CHECK_EQ((uint32_t)n, tlen);
    CHECK_EQ(buf[0], 1);                          /* foreign BIOS: no type 0 from us */
}

TEST_CASE(boot_order_in_cmos)
{
    uint8_t r3d = 0xEE, r38 = 0xEE;
    const char *err = NULL;
    CHECK(pc_boot_order_cmos("cad", &r3d, &r38, &err));
    CHECK_EQ(r3d, 0x12);
    CHECK_EQ(r38, 0x30);
    CHECK(pc_boot_order_cmos("d", &r3d, &r38, &err));
    CHECK_EQ(r3d, 0x03);
    CHECK_EQ(r38, 0x00);
    CHECK(pc_boot_order_cmos("ncd", &r3d, &r38, &err));
    CHECK_EQ(r3d, 0x24);
    CHECK_EQ(r38, 0x30);
    CHECK(!pc_boot_order_cmos("acdn", &r3d, &r38, &err));
    CHECK(err != NULL);
    CHECK(!pc_boot_order_cmos("x", &r3d, &r38, &err));
}

int main(void)
{
    RUN(signature_and_id_through_ports);
    RUN(dma_register_reads_signature);
    RUN(dma_select_and_read);
    RUN(dma_skip_and_zero_fill);
    RUN(dma_errors_are_flagged);
    RUN(dma_64bit_descriptor_and_target);
    RUN(file_directory_sorted_big_endian);
    RUN(reset_selects_signature);
    RUN(pc_contents);
    RUN(boot_order_in_cmos);
    if (fw)
        fw_cfg_free(fw);
    address_space_free(io);
    address_space_free(mem);
    TEST_EXIT();
}
