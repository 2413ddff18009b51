/* Differential tests: comparator.  Rebuilds both final states from the
 * result lines and compares outcome, RIP, GPRs, flags and FSW minus what the
 * SDM leaves undefined there, FCW, tags, MXCSR, ST0-7, XMM and the window
 * ("approx": x87 and XMM float values within a tolerance).  Reference:
 * Intel SDM vol. 1 10.5.1 (FXSAVE layout), 8.1.3 (condition codes). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"

/* FOP/FIP/FDP and MXCSR_MASK are not compared: they differ between CPUs and
 * say nothing about results.  approx: x87 within X87_APPROX_ULPS, XMM float32
 * lanes within a relative 2^-11 (the SDM's RCP/RSQRT bound). */
#define COMPARED_FLAGS 0xcd5u           /* CF PF AF ZF SF DF OF */
#define X87_APPROX_ULPS 16
#define MAX_LINE (DIFF_LINE_MAX + 64)
#define MAX_REPORT_DIFFS 40

typedef struct MetaLine {
    int offset;                         /* -1: a label */
    uint32_t uflags, x87u;
    char *text;
} MetaLine;

typedef struct Snippet {
    const DiffSnippetHeader *header;
    char group[16];
    uint64_t seed;
    uint32_t final_uflags, final_x87u;
    int nlines;
    MetaLine *lines;
    DiffResult *native, *guest;
} Snippet;

static const char *const gpr_names[DIFF_GPRS] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
    "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "diff-compare: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(2);
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        die("%s: read failed", path);
    buf[len] = 0;
    fclose(f);
    *size = (size_t)len;
    return buf;
}

static void initial_result(const Snippet *s, DiffResult *r)
{
    memset(r, 0, sizeof(*r));
    r->cpu = s->header->init;
    memcpy(r->window, s->header->window, DIFF_WINDOW_SIZE);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool parse_hex(const char **p, int digits, uint64_t *v)
{
    *v = 0;
    for (int i = 0; i < digits; i++) {
        int h = hexval((*p)[i]);
        if (h < 0)
            return false;
        *v = *v << 4 | (uint64_t)h;
    }
    *p += digits;
    return true;
}

/* Applies the result lines in PATH; returns how many snippets got one. */
static int read_results(const char *path, Snippet *snips, int count, bool guest, int *bad_lines)
{
    FILE *f = fopen(path, "r");
    static char line[MAX_LINE];
    int got = 0;

    *bad_lines = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        /* Other lines (firmware output in the serial log, markers) are skipped. */
        char *start = line;
        if (strncmp(line, "S ", 2) != 0)
            continue;
        const char *p = start + 2;
        char *end = strrchr(p, ' ');
        uint64_t index, crc, v;
        if (!end || end - p < 10 || !parse_hex(&p, 8, &index) || *p++ != ' ') {
            (*bad_lines)++;
            continue;
        }
        const char *crcp = end + 1;
        if (!parse_hex(&crcp, 8, &crc) || diff_crc32(0, start + 2, (uint64_t)(end - start - 2)) != crc ||
            index >= (uint64_t)count) {
            (*bad_lines)++;
            continue;
        }
        Snippet *s = &snips[index];
        DiffResult *r = malloc(sizeof(DiffResult));
        initial_result(s, r);
        uint8_t *bytes = (uint8_t *)r;
        bool ok = true;
        while (p < end && *p != '-') {
            uint64_t off, len;
            if (!parse_hex(&p, 4, &off) || !parse_hex(&p, 2, &len) || off + len > sizeof(DiffResult)) {
                ok = false;
                break;
            }
            for (uint64_t i = 0; i < len; i++) {
                if (!parse_hex(&p, 2, &v)) {
                    ok = false;
                    break;
                }
                bytes[off + i] = (uint8_t)v;
            }
        }
        if (!ok) {
            free(r);
            (*bad_lines)++;
            continue;
        }
        DiffResult **slot = guest ? &s->guest : &s->native;
        if (!*slot)
            got++;
        free(*slot);
        *slot = r;
    }
    fclose(f);
    return got;
}

/* Returns the file's text, which the MetaLine texts point into. */
static char *read_meta(const char *path, Snippet *snips, int count)
{
    size_t size;
    char *text = (char *)read_file(path, &size);
    char *save = NULL;
    Snippet *cur = NULL;
    int k = 0;

    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!strncmp(l, "snippet ", 8)) {
            int index, n;
            unsigned long long seed;
            unsigned uf, xu;
            char group[16];
            if (sscanf(l, "snippet %d %15s %llx %d %x %x", &index, group, &seed, &n, &uf, &xu) != 6 ||
                index < 0 || index >= count || n < 0)
                die("%s: bad line '%s'", path, l);
            cur = &snips[index];
            snprintf(cur->group, sizeof(cur->group), "%s", group);
            cur->seed = seed;
            cur->final_uflags = uf;
            cur->final_x87u = xu;
            cur->nlines = n;
            cur->lines = calloc((size_t)n + 1, sizeof(MetaLine));
            k = 0;
            continue;
        }
        if (!cur || k >= cur->nlines)
            die("%s: unexpected line '%s'", path, l);
        MetaLine *m = &cur->lines[k++];
        char offs[16];
        int used = 0;
        if (sscanf(l, "%15s %x %x %n", offs, &m->uflags, &m->x87u, &used) != 3)
            die("%s: bad line '%s'", path, l);
        m->offset = offs[0] == '-' ? -1 : (int)strtol(offs, NULL, 16);
        m->text = l + used;
    }
    return text;
}

/* ---- comparison ------------------------------------------------------- */

typedef struct Report {
    char lines[MAX_REPORT_DIFFS][160];
    int n, total;
} Report;

static void report(Report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(Report *r, const char *fmt, ...)
{
    va_list ap;
    r->total++;
    if (r->n >= MAX_REPORT_DIFFS)
        return;
    va_start(ap, fmt);
    vsnprintf(r->lines[r->n++], sizeof(r->lines[0]), fmt, ap);
    va_end(ap);
}

static const MetaLine *line_at(const Snippet *s, uint64_t rip)
{
    for (int i = 0; i < s->nlines; i++)
        if (s->lines[i].offset >= 0 && (uint64_t)s->lines[i].offset + DIFF_CODE_ADDR == rip)
            return &s->lines[i];
    return NULL;
}

static unsigned __int128 f80_key(const uint8_t *p)
{
    uint64_t mant;
    uint16_t se;
    memcpy(&mant, p, 8);
    memcpy(&se, p + 8, 2);
    return (unsigned __int128)(se & 0x7fff) << 64 | mant;
}

/* Within X87_APPROX_ULPS of each other: same sign, both finite. */
static bool f80_close(const uint8_t *a, const uint8_t *b)
{
    if ((a[9] ^ b[9]) & 0x80)
        return false;
    uint16_t ea, eb;
    memcpy(&ea, a + 8, 2);
    memcpy(&eb, b + 8, 2);
    if ((ea & 0x7fff) == 0x7fff || (eb & 0x7fff) == 0x7fff)
        return false;
    unsigned __int128 ka = f80_key(a), kb = f80_key(b);
    unsigned __int128 d = ka > kb ? ka - kb : kb - ka;
    return d <= X87_APPROX_ULPS;
}

static bool f32_close(const uint8_t *a, const uint8_t *b)
{
    float fa, fb;
    memcpy(&fa, a, 4);
    memcpy(&fb, b, 4);
    if (!isnormal(fa) || !isnormal(fb) || signbit(fa) != signbit(fb))
        return false;
    return fabsf(fa - fb) <= ldexpf(fmaxf(fabsf(fa), fabsf(fb)), -11);
}

static void hex_bytes(char *out, const uint8_t *p, int n)
{
    for (int i = n - 1; i >= 0; i--)
        out += sprintf(out, "%02x", p[i]);
}

static bool compare_snippet(const Snippet *s, Report *r)
{
    const DiffResult *a = s->native, *b = s->guest;
    bool approx = !strcmp(s->group, "approx");

    if (a->outcome != b->outcome || a->vector != b->vector) {
        report(r, "outcome: native %s vector %u, emulator %s vector %u",
               a->outcome ? "fault" : "done", a->vector, b->outcome ? "fault" : "done", b->vector);
    }
    if (a->cpu.rip != b->cpu.rip) {
        const MetaLine *la = line_at(s, a->cpu.rip), *lb = line_at(s, b->cpu.rip);
        report(r, "rip: native +0x%llx (%s), emulator +0x%llx (%s)",
               (unsigned long long)(a->cpu.rip - DIFF_CODE_ADDR), la ? la->text : "end",
               (unsigned long long)(b->cpu.rip - DIFF_CODE_ADDR), lb ? lb->text : "?");
    }
    uint32_t uflags = s->final_uflags, x87u = s->final_x87u;
    if (a->outcome == DIFF_FAULT) {
        const MetaLine *l = line_at(s, a->cpu.rip);
        uflags = l ? l->uflags : COMPARED_FLAGS;
        x87u = l ? l->x87u : 0xffff;
    }
    for (int i = 0; i < DIFF_GPRS; i++)
        if (a->cpu.gpr[i] != b->cpu.gpr[i])
            report(r, "%s: native %016llx emulator %016llx", gpr_names[i],
                   (unsigned long long)a->cpu.gpr[i], (unsigned long long)b->cpu.gpr[i]);
    uint64_t fmask = COMPARED_FLAGS & ~uflags;
    if ((a->cpu.rflags ^ b->cpu.rflags) & fmask)
        report(r, "rflags: native %04llx emulator %04llx (compared bits %03llx)",
               (unsigned long long)(a->cpu.rflags & fmask), (unsigned long long)(b->cpu.rflags & fmask),
               (unsigned long long)fmask);

    const uint8_t *fa = a->cpu.fx, *fb = b->cpu.fx;
    uint16_t fcwa, fcwb, fswa, fswb;
    uint32_t mxa, mxb;
    memcpy(&fcwa, fa + FX_FCW, 2);
    memcpy(&fcwb, fb + FX_FCW, 2);
    memcpy(&fswa, fa + FX_FSW, 2);
    memcpy(&fswb, fb + FX_FSW, 2);
    memcpy(&mxa, fa + FX_MXCSR, 4);
    memcpy(&mxb, fb + FX_MXCSR, 4);
    uint16_t swmask = (uint16_t)~x87u;
    uint32_t mxmask = ~0u;
    if (approx) {
        swmask &= (uint16_t)~(0x0200 | 0x0020 | 0x0010);       /* C1, PE, UE */
        mxmask &= ~(0x20u | 0x10u);
    }
    if (fcwa != fcwb)
        report(r, "fcw: native %04x emulator %04x", fcwa, fcwb);
    if ((fswa ^ fswb) & swmask)
        report(r, "fsw: native %04x emulator %04x (compared bits %04x)", fswa & swmask,
               fswb & swmask, swmask);
    if (fa[FX_FTW] != fb[FX_FTW])
        report(r, "ftw (abridged): native %02x emulator %02x", fa[FX_FTW], fb[FX_FTW]);
    if ((mxa ^ mxb) & mxmask)
        report(r, "mxcsr: native %08x emulator %08x", mxa, mxb);
    for (int i = 0; i < 8; i++) {
        const uint8_t *ra = fa + FX_ST0 + 16 * i, *rb = fb + FX_ST0 + 16 * i;
        if (memcmp(ra, rb, 10) && !(approx && f80_close(ra, rb))) {
            char ha[24], hb[24];
            hex_bytes(ha, ra, 10);
            hex_bytes(hb, rb, 10);
            report(r, "st(%d): native %s emulator %s", i, ha, hb);
        }
    }
    for (int i = 0; i < 16; i++) {
        const uint8_t *xa = fa + FX_XMM0 + 16 * i, *xb = fb + FX_XMM0 + 16 * i;
        bool differs = false;
        for (int lane = 0; lane < 16; lane += 4)
            if (memcmp(xa + lane, xb + lane, 4) && !(approx && f32_close(xa + lane, xb + lane)))
                differs = true;
        if (differs) {
            char ha[40], hb[40];
            hex_bytes(ha, xa, 16);
            hex_bytes(hb, xb, 16);
            report(r, "xmm%d: native %s emulator %s", i, ha, hb);
        }
    }
    for (uint32_t i = 0; i < DIFF_WINDOW_SIZE; i++) {
        if (a->window[i] == b->window[i])
            continue;
        uint32_t j = i;
        while (j + 1 < DIFF_WINDOW_SIZE && j - i < 15 && a->window[j + 1] != b->window[j + 1])
            j++;
        char ha[40], hb[40], *pa = ha, *pb = hb;
        for (uint32_t k = i; k <= j; k++) {
            pa += sprintf(pa, "%02x", a->window[k]);
            pb += sprintf(pb, "%02x", b->window[k]);
        }
        report(r, "window[0x%03x..0x%03x]: native %s emulator %s", i, j, ha, hb);
        i = j;
    }
    return r->total == 0;
}

static void print_disassembly(const Snippet *s, const char *objdump)
{
    char path[] = "/tmp/diff-snippet-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    ssize_t w = write(fd, s->header + 1, s->header->code_len);
    close(fd);
    if (w == (ssize_t)s->header->code_len) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "%s -D -b binary -mi386:x86-64 --adjust-vma=0x%x %s 2>/dev/null"
                 " | sed -n '/^ *[0-9a-f]*:/s/^/    /p'", objdump, DIFF_CODE_ADDR, path);
        fflush(stdout);
        if (system(cmd) != 0)
            printf("    (objdump failed)\n");
    }
    unlink(path);
}

static void print_failure(const Snippet *s, const char *name, const Report *r, const char *why,
                          const char *objdump)
{
    printf("--- %s: snippet %u group %s seed %016llx: %s\n", name, s->header->index, s->group,
           (unsigned long long)s->seed, why);
    printf("    regression line: %s %016llx\n", s->group, (unsigned long long)s->seed);
    printf("    source (offset, undefined flags before):\n");
    for (int i = 0; i < s->nlines; i++) {
        const MetaLine *m = &s->lines[i];
        if (m->offset < 0)
            printf("    %-6s %s\n", "", m->text);
        else
            printf("    +%04x  %-60s ; undef eflags %03x fsw %04x\n", m->offset, m->text,
                   m->uflags, m->x87u);
    }
    printf("    disassembly:\n");
    print_disassembly(s, objdump);
    if (r) {
        printf("    differences (%d):\n", r->total);
        for (int i = 0; i < r->n; i++)
            printf("      %s\n", r->lines[i]);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: diff-compare --name NAME BATCH.bin META NATIVE.txt EMULATOR.txt\n"
                    "                    [--max-report N] [--objdump PATH]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *name = "diff", *objdump = "objdump", *files[4];
    int nfiles = 0, max_report = 5;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--max-report") && i + 1 < argc)
            max_report = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--objdump") && i + 1 < argc)
            objdump = argv[++i];
        else if (argv[i][0] == '-' || nfiles == 4)
            usage();
        else
            files[nfiles++] = argv[i];
    }
    if (nfiles != 4)
        usage();

    size_t size;
    const uint8_t *batch = read_file(files[0], &size);
    const DiffBatchHeader *bh = (const DiffBatchHeader *)batch;
    if (size < sizeof(*bh) || bh->magic != DIFF_BATCH_MAGIC || bh->total_size != size)
        die("%s: not a batch file", files[0]);
    int count = (int)bh->count;
    Snippet *snips = calloc((size_t)count + 1, sizeof(Snippet));
    uint64_t off = sizeof(*bh);
    for (int i = 0; i < count; i++) {
        const DiffSnippetHeader *sh = (const DiffSnippetHeader *)(batch + off);
        if (off + sizeof(*sh) > size || sh->magic != DIFF_SNIP_MAGIC || off + sh->record_size > size)
            die("%s: bad snippet %d", files[0], i);
        snips[i].header = sh;
        off += sh->record_size;
    }
    char *meta_text = read_meta(files[1], snips, count);
    int bad_native, bad_guest;
    int got_native = read_results(files[2], snips, count, false, &bad_native);
    read_results(files[3], snips, count, true, &bad_guest);
    if (got_native != count)
        die("%s: results for %d of %d snippets", files[2], got_native, count);

    int failed = 0, missing = 0, reported = 0;
    static Report r;
    for (int i = 0; i < count; i++) {
        Snippet *s = &snips[i];
        if (!s->guest) {
            if (missing++ == 0 && reported++ < max_report)
                print_failure(s, name, NULL, "no result from the emulator (crashed or hung here?)", objdump);
            continue;
        }
        memset(&r, 0, sizeof(r));
        if (!compare_snippet(s, &r)) {
            failed++;
            if (reported++ < max_report)
                print_failure(s, name, &r, "state differs", objdump);
        }
    }
    if (bad_guest)
        printf("--- %s: %d corrupt result lines from the emulator (checksum or format)\n", name, bad_guest);
    for (int i = 0; i < count; i++) {
        free(snips[i].lines);
        free(snips[i].native);
        free(snips[i].guest);
    }
    free(snips);
    free(meta_text);
    free((void *)batch);
    if (failed || missing) {
        printf("FAIL %s: %d of %d snippets differ", name, failed, count);
        if (missing)
            printf(", %d without a result", missing);
        printf("\n");
        return 1;
    }
    printf("PASS %s (%d snippets)\n", name, count);
    return 0;
}
