/* bios/romfile_loader.c: QEMU table-loader commands run over fake fw_cfg
 * files into a fake guest memory: allocation zones and alignment, pointer
 * patching, checksums (whole region sums to zero) and WRITE_POINTER. */
#include "test.h"
#include "bios/romfile_loader.h"

#define ARENA_BASE 0x1000000u
#define FSEG_ARENA 0xF0000u

static u8 high[4096], fseg[1024];
static u32 high_used, fseg_used;
static u8 rsdp_src[20], tables_src[80];
static u32 wp_offset, wp_size;
static u8 wp_val[8];
static char wp_name[64];

static int f_size(void *o, const char *name, u32 *size)
{
    (void)o;
    if (!strcmp(name, "etc/acpi/rsdp")) { *size = sizeof(rsdp_src); return 0; }
    if (!strcmp(name, "etc/acpi/tables")) { *size = sizeof(tables_src); return 0; }
    return -1;
}

static int f_read(void *o, const char *name, void *buf, u32 size)
{
    (void)o;
    memcpy(buf, !strcmp(name, "etc/acpi/rsdp") ? rsdp_src : tables_src, size);
    return 0;
}

static void *f_alloc(void *o, u32 size, u32 align, int zone, u32 *addr)
{
    (void)o;
    u8 *arena = zone == LOADER_ZONE_FSEG ? fseg : high;
    u32 *used = zone == LOADER_ZONE_FSEG ? &fseg_used : &high_used;
    u32 base = zone == LOADER_ZONE_FSEG ? FSEG_ARENA : ARENA_BASE;
    if (!align)
        align = 1;
    u32 off = (*used + 8 + align - 1) & ~(align - 1);  /* +8: never aligned by luck */
    if (off + size > (zone == LOADER_ZONE_FSEG ? sizeof(fseg) : sizeof(high)))
        return NULL;
    *used = off + size;
    *addr = base + off;
    return arena + off;
}

static int f_write_pointer(void *o, const char *name, u32 offset, const void *val, u32 size)
{
    (void)o;
    snprintf(wp_name, sizeof(wp_name), "%s", name);
    wp_offset = offset;
    wp_size = size;
    memcpy(wp_val, val, size);
    return 0;
}

static const struct loader_ops ops = { NULL, f_size, f_read, f_alloc, f_write_pointer };

static u8 *cmd_at(u8 *cmds, int i, u32 type)
{
    u8 *c = cmds + i * LOADER_CMD_SIZE;
    memset(c, 0, LOADER_CMD_SIZE);
    put_le32(c, type);
    return c;
}

static void cmd_allocate(u8 *cmds, int i, const char *file, u32 align, u8 zone)
{
    u8 *c = cmd_at(cmds, i, LOADER_ALLOCATE);
    strcpy((char *)c + 4, file);
    put_le32(c + 60, align);
    c[64] = zone;
}

static void cmd_pointer(u8 *cmds, int i, const char *dst, const char *src, u32 off, u8 size)
{
    u8 *c = cmd_at(cmds, i, LOADER_ADD_POINTER);
    strcpy((char *)c + 4, dst);
    strcpy((char *)c + 60, src);
    put_le32(c + 116, off);
    c[120] = size;
}

static void cmd_checksum(u8 *cmds, int i, const char *file, u32 off, u32 start, u32 len)
{
    u8 *c = cmd_at(cmds, i, LOADER_ADD_CHECKSUM);
    strcpy((char *)c + 4, file);
    put_le32(c + 60, off);
    put_le32(c + 64, start);
    put_le32(c + 68, len);
}

static void reset(void)
{
    memset(high, 0xEE, sizeof(high));
    memset(fseg, 0xEE, sizeof(fseg));
    high_used = fseg_used = 0;
    memset(rsdp_src, 0, sizeof(rsdp_src));
    memcpy(rsdp_src, "RSD PTR ", 8);
    put_le32(rsdp_src + 16, 0);                 /* RSDT at offset 0 of tables */
    for (u32 i = 0; i < sizeof(tables_src); i++)
        tables_src[i] = i * 7;
    memcpy(tables_src, "RSDT", 4);
    put_le32(tables_src + 4, 40);
    tables_src[9] = 0;                          /* checksum byte, filled by loader */
    put_le32(tables_src + 36, 40);              /* RSDT entry -> table at offset 40 */
}

static u8 sum(const u8 *p, u32 n)
{
    u8 s = 0;
    while (n--)
        s += *p++;
    return s;
}

TEST_CASE(acpi_like_sequence)
{
    u8 cmds[6 * LOADER_CMD_SIZE];
    struct loader_file files[LOADER_MAX_FILES];
    const char *err = NULL;
    reset();
    cmd_allocate(cmds, 0, "etc/acpi/tables", 64, LOADER_ZONE_HIGH);
    cmd_allocate(cmds, 1, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
    cmd_pointer(cmds, 2, "etc/acpi/tables", "etc/acpi/tables", 36, 4);
    cmd_checksum(cmds, 3, "etc/acpi/tables", 9, 0, 40);
    cmd_pointer(cmds, 4, "etc/acpi/rsdp", "etc/acpi/tables", 16, 4);
    cmd_checksum(cmds, 5, "etc/acpi/rsdp", 8, 0, 20);
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), 2);
    CHECK_EQ(files[0].addr % 64, 0);
    CHECK_EQ(files[1].addr % 16, 0);
    CHECK(files[0].addr >= ARENA_BASE && files[1].addr >= FSEG_ARENA && files[1].addr < ARENA_BASE);
    const u8 *t = files[0].data, *r = files[1].data;
    CHECK(!memcmp(r, "RSD PTR ", 8));
    CHECK_EQ(get_le32(r + 16), files[0].addr);                 /* RSDT address */
    CHECK_EQ(get_le32(t + 36), files[0].addr + 40);            /* entry patched */
    CHECK_EQ(sum(r, 20), 0);
    CHECK_EQ(sum(t, 40), 0);
    CHECK_EQ(t[40], tables_src[40]);                           /* rest untouched */
}

TEST_CASE(eight_byte_pointer_keeps_high_bits)
{
    u8 cmds[3 * LOADER_CMD_SIZE];
    struct loader_file files[LOADER_MAX_FILES];
    const char *err = NULL;
    reset();
    put_le64(tables_src + 48, 0x100000010ull);
    cmd_allocate(cmds, 0, "etc/acpi/tables", 16, LOADER_ZONE_HIGH);
    cmd_allocate(cmds, 1, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
    cmd_pointer(cmds, 2, "etc/acpi/tables", "etc/acpi/rsdp", 48, 8);
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), 2);
    CHECK_EQ(get_le64(files[0].data + 48), 0x100000010ull + files[1].addr);
}

TEST_CASE(out_of_range_pointer_fails)
{
    u8 cmds[2 * LOADER_CMD_SIZE];
    struct loader_file files[LOADER_MAX_FILES];
    const char *err = NULL;
    reset();
    cmd_allocate(cmds, 0, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
    cmd_pointer(cmds, 1, "etc/acpi/rsdp", "etc/acpi/rsdp", 17, 4);   /* 17+4 > 20 */
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), -1);
    CHECK(err != NULL);
    cmd_pointer(cmds, 1, "etc/acpi/rsdp", "etc/acpi/rsdp", 0, 3);    /* size 3 */
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), -1);
    cmd_checksum(cmds, 1, "etc/acpi/rsdp", 0, 10, 11);               /* 10+11 > 20 */
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), -1);
}

TEST_CASE(unknown_file_and_zone_fail)
{
    u8 cmds[LOADER_CMD_SIZE];
    struct loader_file files[LOADER_MAX_FILES];
    const char *err = NULL;
    reset();
    cmd_allocate(cmds, 0, "etc/nothing", 16, LOADER_ZONE_HIGH);
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), -1);
    cmd_allocate(cmds, 0, "etc/acpi/rsdp", 16, 7);
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), -1);
    cmd_allocate(cmds, 0, "etc/acpi/rsdp", 24, LOADER_ZONE_HIGH);
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), -1);
}

TEST_CASE(unknown_commands_are_skipped)
{
    u8 cmds[2 * LOADER_CMD_SIZE];
    struct loader_file files[LOADER_MAX_FILES];
    const char *err = NULL;
    reset();
    cmd_at(cmds, 0, 0x77);
    cmd_allocate(cmds, 1, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), 1);
}

TEST_CASE(write_pointer_reports_address)
{
    u8 cmds[2 * LOADER_CMD_SIZE];
    struct loader_file files[LOADER_MAX_FILES];
    const char *err = NULL;
    reset();
    cmd_allocate(cmds, 0, "etc/acpi/tables", 16, LOADER_ZONE_HIGH);
    u8 *c = cmd_at(cmds, 1, LOADER_WRITE_POINTER);
    strcpy((char *)c + 4, "etc/vmgenid_addr");
    strcpy((char *)c + 60, "etc/acpi/tables");
    put_le32(c + 116, 0);
    put_le32(c + 120, 40);
    c[124] = 8;
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, LOADER_MAX_FILES, &err), 1);
    CHECK(!strcmp(wp_name, "etc/vmgenid_addr"));
    CHECK_EQ(wp_size, 8);
    CHECK_EQ(get_le64(wp_val), files[0].addr + 40ull);
}

TEST_CASE(too_many_files_fail)
{
    u8 cmds[3 * LOADER_CMD_SIZE];
    struct loader_file files[2];
    const char *err = NULL;
    reset();
    cmd_allocate(cmds, 0, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
    cmd_allocate(cmds, 1, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
    cmd_allocate(cmds, 2, "etc/acpi/rsdp", 16, LOADER_ZONE_FSEG);
    CHECK_EQ(loader_run(cmds, sizeof(cmds), &ops, files, 2, &err), -1);
}

int main(void)
{
    RUN(acpi_like_sequence);
    RUN(eight_byte_pointer_keeps_high_bits);
    RUN(out_of_range_pointer_fails);
    RUN(unknown_file_and_zone_fail);
    RUN(unknown_commands_are_skipped);
    RUN(write_pointer_reports_address);
    RUN(too_many_files_fail);
    TEST_EXIT();
}
