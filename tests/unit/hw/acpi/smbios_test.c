/*
 * Proves smbios_build() makes tables an OS can read (DMTF DSP0134): the
 * entry point's checksums, length, count and largest-structure fields
 * agree with the table; every structure's strings are well formed; CPUs,
 * DIMMs and mapped ranges describe the configured machine; and, when
 * installed, dmidecode decodes the result without complaint; and that
 * smbios_place() puts them in guest memory where Linux's non-EFI scan and
 * dmidecode find them, refusing spots that are unaligned, overlap, leave
 * RAM or lie above 4 GiB.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hw/acpi/smbios.h"
#include "test.h"

#define GIB (1ull << 30)

static SmbiosConfig config(int ncpus, uint64_t below, uint64_t above)
{
    SmbiosConfig c = {
        .bios_vendor = "mimic", .bios_version = "0.1", .bios_date = "01/01/2025",
        .bios_rom_size = 128 * 1024,
        .manufacturer = "mimic", .product = "Standard PC (i440FX + PIIX, 1996)",
        .version = "pc", .family = "mimic",
        .uuid = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8 },
        .ncpus = ncpus, .cpu_signature = 0x000306A9, .cpu_features = 0x178BFBFF,
        .cpu_mhz = 2000, .ram_below_4g = below, .ram_above_4g = above,
    };
    return c;
}

static unsigned sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#define MAX_STRUCTS 600

typedef struct Parsed {
    int n;
    const uint8_t *s[MAX_STRUCTS];     /* formatted area */
    size_t total[MAX_STRUCTS];         /* formatted + strings */
    const char *str[MAX_STRUCTS][8];   /* string set, 1-based in SMBIOS */
    int nstr[MAX_STRUCTS];
} Parsed;

static Parsed parsed;

/* Walks the structure table independently of the builder. */
static bool parse(const uint8_t *t, size_t len, Parsed *p, char *why, size_t whylen)
{
    size_t off = 0;
    p->n = 0;
    while (off < len) {
        if (p->n == MAX_STRUCTS || len - off < 4 || t[off + 1] < 4 || t[off + 1] > len - off) {
            snprintf(why, whylen, "bad header at %zu", off);
            return false;
        }
        int i = p->n++;
        p->s[i] = t + off;
        size_t pos = off + t[off + 1];
        p->nstr[i] = 0;
        if (pos + 1 < len && t[pos] == 0 && t[pos + 1] == 0) {
            pos += 2;
        } else {
            while (pos < len && t[pos]) {
                const char *s = (const char *)t + pos;
                size_t n = strnlen(s, len - pos);
                if (pos + n >= len || p->nstr[i] == 8) {
                    snprintf(why, whylen, "unterminated strings in structure %d", i);
                    return false;
                }
                p->str[i][p->nstr[i]++] = s;
                pos += n + 1;
            }
            if (pos >= len) {
                snprintf(why, whylen, "no string-set terminator in structure %d", i);
                return false;
            }
            pos++;
        }
        p->total[i] = pos - off;
        off = pos;
        if (t[p->s[i] - t] == 127)
            break;
    }
    if (off != len) {
        snprintf(why, whylen, "%zu bytes after type 127", len - off);
        return false;
    }
    return true;
}

/* String field value ("" for none, NULL for a bad index). */
static const char *str_of(int i, unsigned off)
{
    unsigned idx = parsed.s[i][off];
    if (idx == 0)
        return "";
    if (idx > (unsigned)parsed.nstr[i])
        return NULL;
    return parsed.str[i][idx - 1];
}

#define BUILD_PARSE(cfg, b) \
    SmbiosBlobs b; \
    CHECK(smbios_build(&(cfg), &b)); \
    { char why_[128]; if (!parse(b.tables, b.tables_len, &parsed, why_, sizeof(why_))) { \
        printf("FAIL %s: %s\n", test_case_name_, why_); test_case_failed_ = 1; \
        smbios_blobs_free(&b); return; } }

TEST_CASE(entry_point_matches_table)
{
    static const int cpus[] = { 1, 4, SMBIOS_MAX_CPUS };
    for (size_t k = 0; k < sizeof(cpus) / sizeof(cpus[0]); k++) {
        SmbiosConfig c = config(cpus[k], 3 * GIB, 5 * GIB);
        BUILD_PARSE(c, b);
        const uint8_t *ep = b.anchor;
        CHECK(!memcmp(ep, "_SM_", 4));
        CHECK_EQ(ep[5], 0x1F);
        CHECK_EQ(ep[6], 2);
        CHECK_EQ(ep[7], 8);
        CHECK(!memcmp(ep + 0x10, "_DMI_", 5));
        CHECK_EQ(sum(ep, 0x1F), 0);
        CHECK_EQ(sum(ep + 0x10, 0x0F), 0);
        CHECK_EQ(le(ep + 0x16, 2), b.tables_len);
        CHECK_EQ(le(ep + 0x18, 4), 0);           /* the firmware places the table */
        CHECK_EQ(le(ep + 0x1C, 2), parsed.n);
        CHECK_EQ(b.nstructs, parsed.n);
        CHECK_EQ(ep[0x1E], 0x28);
        size_t max = 0;
        for (int i = 0; i < parsed.n; i++)
            if (parsed.total[i] > max)
                max = parsed.total[i];
        CHECK_EQ(le(ep + 8, 2), max);
        CHECK_EQ(parsed.s[parsed.n - 1][0], 127);
        smbios_blobs_free(&b);
    }
}

TEST_CASE(structures_describe_machine)
{
    SmbiosConfig c = config(3, 3 * GIB, 37 * GIB);
    BUILD_PARSE(c, b);
    int count[128] = { 0 };
    uint16_t array = 0xFFFF;
    uint64_t dimm_mib = 0;
    uint16_t handles[MAX_STRUCTS];
    for (int i = 0; i < parsed.n; i++) {
        const uint8_t *s = parsed.s[i];
        handles[i] = (uint16_t)le(s + 2, 2);
        for (int j = 0; j < i; j++)
            CHECK(handles[j] != handles[i]);
        for (int f = 0; f < parsed.nstr[i]; f++)
            CHECK(parsed.str[i][f][0] != 0);     /* no empty strings */
        if (s[0] < 128)
            count[s[0]]++;
        switch (s[0]) {
        case 0:
            CHECK_EQ(s[1], 0x18);
            CHECK(!strcmp(str_of(i, 4), "mimic"));
            CHECK(!strcmp(str_of(i, 8), "01/01/2025"));
            CHECK_EQ(s[9], 1);                   /* 128 KiB = 64 KiB * (1 + 1) */
            CHECK(le(s + 0x0A, 8) & (1u << 7));  /* PCI */
            CHECK(s[0x13] & 0x10);               /* virtual machine */
            CHECK_EQ(i, 0);                      /* type 0 comes first */
            break;
        case 1:
            CHECK_EQ(s[1], 0x1B);
            CHECK(!strcmp(str_of(i, 5), "Standard PC (i440FX + PIIX, 1996)"));
            CHECK(!memcmp(s + 8, c.uuid, 16));
            CHECK(!strcmp(str_of(i, 0x1A), "mimic"));
            break;
        case 4: {
            CHECK_EQ(s[1], 0x2A);
            char want[16];
            snprintf(want, sizeof(want), "CPU %d", count[4] - 1);
            CHECK(str_of(i, 4) && !strcmp(str_of(i, 4), want));
            CHECK_EQ(le(s + 8, 4), c.cpu_signature);
            CHECK_EQ(le(s + 12, 4), c.cpu_features);
            CHECK_EQ(s[0x18], 0x41);
            CHECK_EQ(le(s + 0x16, 2), 2000);
            break;
        }
        case 16:
            CHECK_EQ(s[1], 0x17);
            array = handles[i];
            CHECK_EQ(le(s + 7, 4), 40 * GIB / 1024);
            CHECK_EQ(le(s + 0x0D, 2), 3);        /* 40 GiB in 16 GiB DIMMs */
            break;
        case 17:
            CHECK_EQ(s[1], 0x28);
            CHECK_EQ(le(s + 4, 2), array);
            CHECK(le(s + 0x0C, 2) < 0x7FFF);
            dimm_mib += le(s + 0x0C, 2);
            CHECK(str_of(i, 0x10) && !strncmp(str_of(i, 0x10), "DIMM ", 5));
            break;
        case 19:
            CHECK_EQ(s[1], 0x1F);
            CHECK_EQ(le(s + 0x0C, 2), array);
            if (count[19] == 1) {
                CHECK_EQ(le(s + 4, 4), 0);
                CHECK_EQ(le(s + 8, 4), 3 * GIB / 1024 - 1);
            } else {
                CHECK_EQ(le(s + 4, 4), 4 * GIB / 1024);
                CHECK_EQ(le(s + 8, 4), 41 * GIB / 1024 - 1);
            }
            break;
        case 32:
            CHECK(s[1] >= 0x0B);
            CHECK_EQ(s[0x0A], 0);
            break;
        }
    }
    CHECK_EQ(count[0], 1);
    CHECK_EQ(count[1], 1);
    CHECK_EQ(count[3], 1);
    CHECK_EQ(count[4], 3);
    CHECK_EQ(count[16], 1);
    CHECK_EQ(count[17], 3);
    CHECK_EQ(count[19], 2);
    CHECK_EQ(count[32], 1);
    CHECK_EQ(count[127], 1);
    CHECK_EQ(dimm_mib, 40 * 1024);
    smbios_blobs_free(&b);
}

TEST_CASE(type0_only_with_bios_vendor)
{
    SmbiosConfig c = config(1, 128 << 20, 0);
    c.bios_vendor = NULL;
    BUILD_PARSE(c, b);
    for (int i = 0; i < parsed.n; i++)
        CHECK(parsed.s[i][0] != 0);
    CHECK_EQ(parsed.s[0][0], 1);
    int n19 = 0;
    for (int i = 0; i < parsed.n; i++)
        n19 += parsed.s[i][0] == 19;
    CHECK_EQ(n19, 1);                            /* no RAM above 4 GiB */
    smbios_blobs_free(&b);
}

TEST_CASE(bad_config_rejected)
{
    SmbiosBlobs b;
    SmbiosConfig c = config(0, GIB, 0);
    CHECK(!smbios_build(&c, &b));
    CHECK(b.tables == NULL);
    c = config(SMBIOS_MAX_CPUS + 1, GIB, 0);
    CHECK(!smbios_build(&c, &b));
    c = config(1, 0, 0);
    CHECK(!smbios_build(&c, &b));
    c = config(1, 3 * GIB, (uint64_t)SMBIOS_MAX_DIMMS * SMBIOS_DIMM_SIZE);
    CHECK(!smbios_build(&c, &b));
    static char longname[SMBIOS_MAX_STRING + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    c = config(1, GIB, 0);
    c.product = longname;
    CHECK(!smbios_build(&c, &b));
    CHECK(!smbios_build(NULL, &b));
}

/* dmidecode --from-dump reads the entry point at offset 0 and the table at
 * the address the entry point gives, relative to the file. */
TEST_CASE(dmidecode_decodes_it)
{
    if (system("command -v dmidecode >/dev/null 2>&1") != 0)
        SKIP("dmidecode not installed (Debian package dmidecode)");
    SmbiosConfig c = config(2, 2 * GIB, 30 * GIB);
    BUILD_PARSE(c, b);
    uint8_t ep[32] = { 0 };
    memcpy(ep, b.anchor, SMBIOS_ANCHOR_SIZE);
    ep[0x18] = 32;
    ep[0x15] = 0;
    ep[0x15] = (uint8_t)-sum(ep + 0x10, 0x0F);
    ep[0x04] = 0;
    ep[0x04] = (uint8_t)-sum(ep, 0x1F);
    char path[] = "/tmp/mimic-smbios-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    bool ok = write(fd, ep, 32) == 32 &&
              write(fd, b.tables, b.tables_len) == (ssize_t)b.tables_len;
    close(fd);
    smbios_blobs_free(&b);
    CHECK(ok);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "dmidecode --from-dump %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    CHECK(p);
    static char out[1 << 17];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = 0;
    int st = pclose(p);
    unlink(path);
    bool good = WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(out, "SMBIOS 2.8 present") &&
                strstr(out, "Product Name: Standard PC (i440FX + PIIX, 1996)") &&
                strstr(out, "Socket Designation: CPU 1") &&
                strstr(out, "Size: 16 GB") && strstr(out, "Range Size: 30 GB") &&
                strstr(out, "UUID: 78563412-bc9a-f0de-0102-030405060708") &&
                !strstr(out, "BAD INDEX") && !strstr(out, "OUT OF SPEC") &&
                !strstr(out, "Invalid") && !strstr(out, "wrong") &&
                !strstr(out, "<TRUNCATED>") && !strstr(out, "Unknown Type");
    if (!good) {
        printf("FAIL %s: dmidecode output:\n%s\n", test_case_name_, out);
        test_case_failed_ = 1;
    }
}

#define MIB (1ull << 20)
#define FILL 0x5A
#define ANCHOR_AT 0xF0000u
#define TABLES_AT 0xF0020u

/* Linux's non-EFI search (drivers/firmware/dmi_scan.c): paragraphs from
 * 0xF0000 to 1 MiB, "_SM_" whose checksum over its stated length is zero,
 * followed 16 bytes on by "_DMI_" with a zero checksum over 15 bytes. */
static int64_t scan_for_entry_point(const uint8_t *ram)
{
    for (uint64_t q = 0xF0000; q + 32 <= MIB; q += 16) {
        const uint8_t *p = ram + q;
        if (!memcmp(p, "_SM_", 4) && p[5] >= 0x1F && p[5] <= 32 && sum(p, p[5]) == 0 &&
            !memcmp(p + 16, "_DMI_", 5) && sum(p + 16, 15) == 0)
            return (int64_t)q;
    }
    return -1;
}

static bool only_changed(const uint8_t *ram, size_t size, uint64_t a, uint64_t alen, uint64_t t,
                         uint64_t tlen)
{
    for (size_t i = 0; i < size; i++)
        if (ram[i] != FILL && !(i >= a && i < a + alen) && !(i >= t && i < t + tlen))
            return false;
    return true;
}

TEST_CASE(placed_where_linux_finds_it)
{
    SmbiosConfig c = config(2, 512 * MIB, 0);
    SmbiosBlobs b;
    CHECK(smbios_build(&c, &b));
    uint8_t *ram = malloc(MIB);
    CHECK(ram);
    memset(ram, FILL, MIB);
    bool placed = smbios_place(&b, ram, MIB, ANCHOR_AT, TABLES_AT);
    size_t len = b.tables_len;
    int nstructs = b.nstructs;
    bool blob_untouched = le(b.anchor + 0x18, 4) == 0 && sum(b.anchor, 0x1F) == 0;
    smbios_blobs_free(&b);
    if (!placed || !blob_untouched) {
        free(ram);
        CHECK(placed);
        CHECK(blob_untouched);
    }
    int64_t found = scan_for_entry_point(ram);
    const uint8_t *ep = ram + ANCHOR_AT;
    uint64_t addr = le(ep + 0x18, 4), tlen = le(ep + 0x16, 2);
    bool outside_ok = only_changed(ram, MIB, ANCHOR_AT, 0x1F, TABLES_AT, len);
    char why[128] = "";
    bool parses = addr == TABLES_AT && tlen == len &&
                  parse(ram + addr, tlen, &parsed, why, sizeof(why));
    if (found != ANCHOR_AT || !parses || !outside_ok) {
        free(ram);
        CHECK_EQ(found, ANCHOR_AT);
        CHECK_EQ(addr, TABLES_AT);
        CHECK_EQ(tlen, len);
        CHECK(outside_ok);
        printf("FAIL %s: placed table does not parse: %s\n", test_case_name_, why);
        test_case_failed_ = 1;
        return;
    }
    CHECK_EQ(le(ep + 0x1C, 2), parsed.n);
    CHECK_EQ(parsed.n, nstructs);
    int type1 = -1;
    for (int i = 0; i < parsed.n; i++)
        if (parsed.s[i][0] == 1)
            type1 = i;
    CHECK(type1 >= 0 && str_of(type1, 5) && !strcmp(str_of(type1, 5), c.product));
    CHECK(str_of(type1, 4) && !strcmp(str_of(type1, 4), "mimic"));

    /* Placing again over the same spot (a reset) gives the same bytes. */
    uint8_t *copy = malloc(MIB);
    CHECK(copy);
    memcpy(copy, ram, MIB);
    CHECK(smbios_build(&c, &b));
    placed = smbios_place(&b, ram, MIB, ANCHOR_AT, TABLES_AT);
    smbios_blobs_free(&b);
    bool same = !memcmp(copy, ram, MIB);
    free(copy);

    /* dmidecode reads a memory image the way it reads /dev/mem: it scans
     * 0xF0000-0xFFFFF and follows the table address. */
    if (placed && same && system("command -v dmidecode >/dev/null 2>&1") == 0) {
        char path[] = "/tmp/mimic-smbios-mem-XXXXXX";
        int fd = mkstemp(path);
        bool wrote = fd >= 0 && write(fd, ram, MIB) == (ssize_t)MIB;
        if (fd >= 0)
            close(fd);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "dmidecode --no-sysfs --dev-mem %s 2>&1", path);
        FILE *p = wrote ? popen(cmd, "r") : NULL;
        static char out[1 << 16];
        size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
        out[n] = 0;
        int st = p ? pclose(p) : -1;
        unlink(path);
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(out, "SMBIOS 2.8 present") &&
              strstr(out, "Table at 0x000F0020") &&
              strstr(out, "Product Name: Standard PC (i440FX + PIIX, 1996)"))) {
            printf("FAIL %s: dmidecode --dev-mem output:\n%s\n", test_case_name_, out);
            test_case_failed_ = 1;
        }
    }
    free(ram);
    CHECK(placed);
    CHECK(same);
}

TEST_CASE(place_rejects_bad_spots)
{
    SmbiosConfig c = config(1, 512 * MIB, 0);
    SmbiosBlobs b;
    CHECK(smbios_build(&c, &b));
    uint8_t *ram = malloc(MIB);
    if (!ram)
        smbios_blobs_free(&b);
    CHECK(ram);
    memset(ram, FILL, MIB);
    uint64_t len = b.tables_len;
    bool r[8];
    r[0] = smbios_place(&b, ram, MIB, ANCHOR_AT + 8, TABLES_AT + 0x1000); /* not a paragraph */
    r[1] = smbios_place(&b, ram, MIB, ANCHOR_AT, ANCHOR_AT + 0x10);     /* tables over the anchor */
    r[2] = smbios_place(&b, ram, MIB, ANCHOR_AT, ANCHOR_AT - len + 1);  /* over the tables' end */
    r[3] = smbios_place(&b, ram, MIB, MIB - 16, TABLES_AT);             /* anchor runs past RAM */
    r[4] = smbios_place(&b, ram, MIB, ANCHOR_AT, MIB - len + 1);        /* tables run past RAM */
    r[5] = smbios_place(&b, ram, MIB, 2 * MIB, TABLES_AT);              /* anchor beyond RAM */
    r[6] = smbios_place(&b, ram, MIB, ANCHOR_AT, UINT64_MAX - 4);       /* wraps */
    r[7] = smbios_place(NULL, ram, MIB, ANCHOR_AT, TABLES_AT);
    bool touched = !only_changed(ram, MIB, 0, 0, 0, 0);
    bool adjacent = smbios_place(&b, ram, MIB, ANCHOR_AT, ANCHOR_AT - len);  /* just fits */
    free(ram);
    for (int i = 0; i < 8; i++) {
        if (r[i]) {
            smbios_blobs_free(&b);
            printf("FAIL %s: bad placement %d accepted\n", test_case_name_, i);
            test_case_failed_ = 1;
            return;
        }
    }
    if (touched || !adjacent)
        smbios_blobs_free(&b);
    CHECK(!touched);
    CHECK(adjacent);

    /* The 2.1 entry point has a 32-bit table address: a table that would
     * end above 4 GiB is refused, one ending at 4 GiB is fine. Needs 4 GiB
     * of address space, not memory: only the pages written are touched. */
    size_t big = (size_t)(4 * 1024 * MIB + MIB);
    uint8_t *huge = mmap(NULL, big, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (huge == MAP_FAILED) {
        smbios_blobs_free(&b);
        SKIP("cannot reserve 4 GiB of address space for the above-4-GiB case");
    }
    bool above = smbios_place(&b, huge, big, ANCHOR_AT, (1ull << 32) - len + 1);
    bool at_top = smbios_place(&b, huge, big, ANCHOR_AT, (1ull << 32) - len);
    uint32_t addr = (uint32_t)le(huge + ANCHOR_AT + 0x18, 4);
    munmap(huge, big);
    smbios_blobs_free(&b);
    CHECK(!above);
    CHECK(at_top);
    CHECK_EQ(addr, (1ull << 32) - len);
}

int main(void)
{
    RUN(entry_point_matches_table);
    RUN(structures_describe_machine);
    RUN(type0_only_with_bios_vendor);
    RUN(bad_config_rejected);
    RUN(dmidecode_decodes_it);
    RUN(placed_where_linux_finds_it);
    RUN(place_rejects_bad_spots);
    TEST_EXIT();
}
