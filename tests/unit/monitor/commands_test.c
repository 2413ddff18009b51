/*
 * Each monitor command against fakes and real devices: help, info
 * status/version/cpus/registers (QEMU's layout, read only while the fake
 * accelerator is paused), stop/cont (one pause held, clock stopped), quit
 * and system_reset (machine requests), system_powerdown (PWRBTN_STS and
 * the SCI of a real ACPI PM block), sendkey (scan codes out of a real PS/2
 * keyboard: press in order, release in reverse after the hold time, none
 * lost when typed back to back; key names checked against the set 1 codes
 * of the IBM PC AT reference), and screendump of a fake display console
 * decoded back from the PNG.
 */
#include "test.h"

#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "hw/acpi/pm.h"
#include "hw/input/ps2.h"
#include "mimic/display.h"
#include "mimic/mainloop.h"
#include "mimic/timer.h"
#include "monitor/hmp.h"
#include "monitor_fakes.h"

static Machine *m;
static Monitor *mon;

static void setup(int ncpus)
{
    m = fake_machine_new(ncpus);
    mon = monitor_new(m);
}

static void teardown(void)
{
    monitor_free(mon);
    fake_machine_free(m);
    clock_virtual_resume();
}

TEST_CASE(help_lists_every_command_and_one)
{
    Capture cap;
    setup(1);
    CHECK(run_line(mon, "help", &cap));
    for (const MonitorCommand *c = monitor_commands; c->name; c++)
        CHECK(strstr(cap.text, c->name));
    CHECK(strstr(cap.text, "sendkey keys [hold-time]"));
    CHECK(run_line(mon, "? quit", &cap));
    CHECK(strstr(cap.text, "quit|q") && !strstr(cap.text, "sendkey"));
    CHECK(run_line(mon, "help info", &cap));
    CHECK(strstr(cap.text, "info registers") && strstr(cap.text, "info status"));
    static char help_info[sizeof(cap.text)];
    snprintf(help_info, sizeof(help_info), "%s", cap.text);
    CHECK(run_line(mon, "info", &cap));
    CHECK(strstr(cap.text, "info version"));
    CHECK(!strcmp(cap.text, help_info));           /* "info" alone is "help info" */
    CHECK(!run_line(mon, "help frob", &cap));
    CHECK(strstr(cap.errors, "unknown command 'frob'"));
    teardown();
}

TEST_CASE(stop_cont_and_status)
{
    Capture cap;
    setup(2);
    CHECK(run_line(mon, "info status", &cap));
    CHECK(!strcmp(cap.text, "VM status: running\n"));
    CHECK(run_line(mon, "stop", &cap));
    CHECK_EQ(cap.len, 0);
    CHECK_EQ(fake_accel.pause_depth, 1);
    int64_t t0 = clock_virtual_ns();
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    CHECK_EQ(clock_virtual_ns(), t0);           /* the virtual clock stopped too */
    CHECK(run_line(mon, "stop", &cap));           /* a second stop: no second pause */
    CHECK_EQ(fake_accel.pause_depth, 1);
    CHECK(run_line(mon, "info status", &cap));
    CHECK(!strcmp(cap.text, "VM status: paused\n"));
    CHECK(run_line(mon, "c", &cap));
    CHECK_EQ(fake_accel.pause_depth, 0);
    CHECK(clock_virtual_ns() >= t0);
    CHECK(run_line(mon, "cont", &cap));           /* cont when running: nothing */
    CHECK_EQ(fake_accel.pause_depth, 0);
    CHECK_EQ(fake_accel.resumes, 1);
    CHECK(run_line(mon, "info status", &cap));
    CHECK(!strcmp(cap.text, "VM status: running\n"));
    teardown();
}

TEST_CASE(quit_and_system_reset_request)
{
    Capture cap;
    setup(1);
    CHECK(run_line(mon, "system_reset", &cap));
    CHECK_EQ(m->request, REQUEST_RESET);
    m->request = REQUEST_NONE;
    CHECK(run_line(mon, "q", &cap));
    CHECK_EQ(m->request, REQUEST_EXIT);
    CHECK_EQ(m->exit_status, 0);
    m->request = REQUEST_NONE;
    CHECK(run_line(mon, "quit", &cap));
    CHECK_EQ(m->request, REQUEST_EXIT);
    teardown();
}

TEST_CASE(info_version_and_cpus)
{
    Capture cap;
    setup(2);
    fake_accel.regs[0].seg[SEG_CS].base = 0xF0000;
    fake_accel.regs[0].rip = 0xFFF0;
    fake_accel.regs[1].rip = 0xFFFFFFFF81000000ull;
    CHECK(run_line(mon, "info version", &cap));
    CHECK(strstr(cap.text, MONITOR_VERSION));
    CHECK(run_line(mon, "info cpus", &cap));
    CHECK(!strcmp(cap.text, "* CPU #0: pc=0x00000000000ffff0\n"
                            "  CPU #1: pc=0xffffffff81000000\n"));
    CHECK_EQ(fake_accel.reads_while_running, 0);
    CHECK_EQ(fake_accel.pause_depth, 0);
    teardown();
}

/* A 64-bit CPU in the state Linux leaves it in, and a CPU in real mode. */
TEST_CASE(info_registers_layout)
{
    Capture cap;
    setup(2);
    X86Regs *r = &fake_accel.regs[0];
    for (int i = 0; i < 16; i++)
        r->gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
    r->rip = 0xFFFFFFFF81E0F3A2ull;
    r->rflags = 0x246;                      /* IF ZF PF */
    r->seg[SEG_CS] = (X86Segment){ 0x10, 0, 0xFFFFFFFF, SEGF_TYPE(0xB) | SEGF_S | SEGF_P |
                                   SEGF_L | SEGF_G };
    r->seg[SEG_SS] = (X86Segment){ 0x18, 0, 0xFFFFFFFF, SEGF_TYPE(0x3) | SEGF_S | SEGF_P |
                                   SEGF_DB | SEGF_G };
    r->seg[SEG_GS].base = 0xFFFF88801F000000ull;
    r->seg[SEG_TR] = (X86Segment){ 0x40, 0xFFFFFE0000003000ull, 0x4087, SEGF_TYPE(0xB) | SEGF_P };
    r->gdt = (X86DescTable){ 0xFFFFFE0000001000ull, 0x7F };
    r->idt = (X86DescTable){ 0xFFFFFE0000000000ull, 0xFFF };
    r->cr0 = 0x80050033;
    r->cr3 = 0x2A0C000;
    r->cr4 = 0x3506F0;
    r->efer = 0xD01;
    x86_regs_reset(&fake_accel.regs[1]);

    CHECK(run_line(mon, "info registers", &cap));
    const char *expect64[] = {
        "CPU#0\n",
        "RAX=1111111111111111 RBX=4444444444444444 RCX=2222222222222222 RDX=3333333333333333\n",
        "RSI=7777777777777777 RDI=8888888888888888 RBP=6666666666666666 RSP=5555555555555555\n",
        "R8 =9999999999999999 R9 =aaaaaaaaaaaaaaaa R10=bbbbbbbbbbbbbbbb R11=cccccccccccccccc\n",
        "R12=dddddddddddddddd R13=eeeeeeeeeeeeeeee R14=ffffffffffffffff R15=1111111111111110\n",
        "RIP=ffffffff81e0f3a2 RFL=00000246 [---Z-P-] CPL=0\n",
        "CS =0010 0000000000000000 ffffffff 00af9b00\n",
        "SS =0018 0000000000000000 ffffffff 00cf9300\n",
        "GS =0000 ffff88801f000000 00000000 00000000\n",
        "TR =0040 fffffe0000003000 00004087 00008b00\n",
        "GDT=     fffffe0000001000 0000007f\n",
        "IDT=     fffffe0000000000 00000fff\n",
        "CR0=80050033 CR2=0000000000000000 CR3=0000000002a0c000 CR4=003506f0\n",
        "EFER=0000000000000d01\n",
    };
    for (size_t i = 0; i < sizeof(expect64) / sizeof(expect64[0]); i++) {
        if (!strstr(cap.text, expect64[i]))
            printf("  missing: %s", expect64[i]);
        CHECK(strstr(cap.text, expect64[i]));
    }
    /* CPU 1 after reset: real mode, QEMU's 32-bit layout. */
    const char *cpu1 = strstr(cap.text, "CPU#1\n");
    CHECK(cpu1);
    const char *expect32[] = {
        "EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000",
        "EIP=0000fff0 EFL=00000002 [-------] CPL=0\n",
        "CS =f000 ffff0000 0000ffff 0000",
        "GDT=     00000000 0000ffff\n",
        "CR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000\n",
    };
    for (size_t i = 0; i < sizeof(expect32) / sizeof(expect32[0]); i++) {
        if (!strstr(cpu1, expect32[i]))
            printf("  missing: %s\n", expect32[i]);
        CHECK(strstr(cpu1, expect32[i]));
    }
    CHECK_EQ(fake_accel.reads_while_running, 0);
    CHECK_EQ(fake_accel.pause_depth, 0);
    /* Stopped: the registers are read inside the monitor's own pause. */
    CHECK(run_line(mon, "stop", &cap));
    CHECK(run_line(mon, "info registers", &cap));
    CHECK_EQ(fake_accel.pause_depth, 1);
    CHECK_EQ(fake_accel.reads_while_running, 0);
    teardown();
}

/* ---- system_powerdown ---- */

#define PM_BASE 0x600
static int sci_level;
static void sci_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    sci_level = level;
}

TEST_CASE(system_powerdown_presses_the_acpi_power_button)
{
    Capture cap;
    setup(1);
    CHECK(!run_line(mon, "system_powerdown", &cap));
    CHECK(strstr(cap.errors, "no ACPI power button"));

    AddressSpace *io = address_space_new("io");
    IrqLine *sci = irq_line_new(sci_handler, NULL, 9);
    sci_level = 0;
    AcpiPm *pm = acpi_pm_create(io, PM_BASE, sci, NULL, NULL);
    CHECK(acpi_pm_get(0) == pm && acpi_pm_get(1) == NULL);
    /* OSPM enables the power button event (ACPI 6.4 4.8.3.1). */
    as_st(io, PM_BASE + ACPI_PM1_EVT_OFFSET + 2, 2, ACPI_PM1_PWRBTN);
    CHECK_EQ(sci_level, 0);
    CHECK(run_line(mon, "system_powerdown", &cap));
    CHECK_EQ(as_ld(io, PM_BASE + ACPI_PM1_EVT_OFFSET, 2) & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
    CHECK_EQ(sci_level, 1);
    /* The OS clears the status (write 1): the SCI drops. */
    as_st(io, PM_BASE + ACPI_PM1_EVT_OFFSET, 2, ACPI_PM1_PWRBTN);
    CHECK_EQ(sci_level, 0);
    acpi_pm_free(pm);
    CHECK(acpi_pm_get(0) == NULL);
    address_space_free(io);
    free(sci);
    teardown();
}

/* ---- sendkey ---- */

/* Set 1 make codes of the IBM PC AT keyboard (Technical Reference; also
 * A. Brouwer, "Keyboard scancodes" table 1), written down independently
 * of the set 2 table in ps2.c; translation must lead back to them. */
static const struct { const char *name; int set1; } set1_keys[] = {
    { "esc", 0x01 }, { "1", 0x02 }, { "0", 0x0B }, { "minus", 0x0C }, { "equal", 0x0D },
    { "backspace", 0x0E }, { "tab", 0x0F }, { "q", 0x10 }, { "p", 0x19 },
    { "bracket_left", 0x1A }, { "bracket_right", 0x1B }, { "ret", 0x1C }, { "ctrl", 0x1D },
    { "a", 0x1E }, { "l", 0x26 }, { "semicolon", 0x27 }, { "apostrophe", 0x28 },
    { "grave_accent", 0x29 }, { "shift", 0x2A }, { "backslash", 0x2B }, { "z", 0x2C },
    { "m", 0x32 }, { "comma", 0x33 }, { "dot", 0x34 }, { "slash", 0x35 }, { "shift_r", 0x36 },
    { "kp_multiply", 0x37 }, { "alt", 0x38 }, { "spc", 0x39 }, { "caps_lock", 0x3A },
    { "f1", 0x3B }, { "f7", 0x41 }, { "f10", 0x44 }, { "num_lock", 0x45 },
    { "scroll_lock", 0x46 }, { "kp_7", 0x47 }, { "kp_subtract", 0x4A }, { "kp_5", 0x4C },
    { "kp_add", 0x4E }, { "kp_0", 0x52 }, { "kp_decimal", 0x53 }, { "less", 0x56 },
    { "f11", 0x57 }, { "f12", 0x58 },
    /* 0xE0-prefixed keys: QEMU numbers them set 1 code + 0x80. */
    { "kp_enter", 0x9C }, { "ctrl_r", 0x9D }, { "kp_divide", 0xB5 }, { "alt_r", 0xB8 },
    { "home", 0xC7 }, { "up", 0xC8 }, { "pgup", 0xC9 }, { "left", 0xCB }, { "right", 0xCD },
    { "end", 0xCF }, { "down", 0xD0 }, { "pgdn", 0xD1 }, { "insert", 0xD2 },
    { "delete", 0xD3 }, { "meta_l", 0xDB }, { "meta_r", 0xDC }, { "menu", 0xDD },
};

TEST_CASE(key_names_match_set1)
{
    for (size_t i = 0; i < sizeof(set1_keys) / sizeof(set1_keys[0]); i++) {
        int code = ps2_key_from_name(set1_keys[i].name);
        int ext = set1_keys[i].set1 & 0x80 ? PS2_KEY_EXTENDED : 0;
        if (code < 0 || (code & PS2_KEY_EXTENDED) != ext ||
            ps2_set2_to_set1((uint8_t)code) != (set1_keys[i].set1 & 0x7F))
            printf("  %s: set 2 code 0x%x\n", set1_keys[i].name, code);
        CHECK(code >= 0);
        CHECK_EQ(code & PS2_KEY_EXTENDED, ext);
        CHECK_EQ(ps2_set2_to_set1((uint8_t)code), set1_keys[i].set1 & 0x7F);
        /* and QEMU's numeric form of the same key */
        char hex[8];
        snprintf(hex, sizeof(hex), "0x%x", set1_keys[i].set1);
        CHECK_EQ(ps2_key_from_name(hex), code);
    }
    CHECK_EQ(ps2_key_from_name("pause"), PS2_KEY_PAUSE);
    CHECK_EQ(ps2_key_from_name("print"), PS2_KEY_PRINT);
    CHECK_EQ(ps2_key_from_name("nosuchkey"), -1);
    CHECK_EQ(ps2_key_from_name("0x"), -1);
    CHECK_EQ(ps2_key_from_name("0x100"), -1);
    CHECK_EQ(ps2_key_from_name("0x7f"), -1);      /* no key sends set 1 0x7F */
    CHECK_EQ(ps2_key_from_name(""), -1);
}

static int kbd_notified;
static void kbd_notify(void *opaque)
{
    (void)opaque;
    kbd_notified++;
}

/* Everything the keyboard has queued, as a byte string. */
static size_t drain(Ps2Kbd *k, uint8_t *buf, size_t max)
{
    size_t n = 0;
    int b;
    while (n < max && (b = ps2_keyboard_read(k)) >= 0)
        buf[n++] = (uint8_t)b;
    return n;
}

/* Run the main loop until the monitor's release timer has fired. */
static void wait_release(Ps2Kbd *k)
{
    for (int i = 0; i < 200 && !ps2_keyboard_has_data(k); i++)
        mainloop_iterate(5 * 1000 * 1000);
}

TEST_CASE(sendkey_presses_in_order_and_releases_in_reverse)
{
    Capture cap;
    uint8_t b[32];
    setup(1);
    mainloop_init();
    CHECK(!run_line(mon, "sendkey a", &cap));
    CHECK(strstr(cap.errors, "no PS/2 keyboard"));
    Ps2Kbd *k = ps2_keyboard_new(kbd_notify, NULL);
    CHECK(ps2_keyboard_get(0) == k);

    CHECK(run_line(mon, "sendkey ctrl-alt-delete 20", &cap));
    size_t n = drain(k, b, sizeof(b));
    static const uint8_t press[] = { 0x14, 0x11, 0xE0, 0x71 };
    CHECK_EQ(n, sizeof(press));
    CHECK(memcmp(b, press, n) == 0);
    CHECK(!ps2_keyboard_has_data(k));   /* held for 20 ms first */
    wait_release(k);
    n = drain(k, b, sizeof(b));
    static const uint8_t release[] = { 0xE0, 0xF0, 0x71, 0xF0, 0x11, 0xF0, 0x14 };
    CHECK_EQ(n, sizeof(release));
    CHECK(memcmp(b, release, n) == 0);

    /* hold-time 0: down and up at once; shift-a in set 1 (what an 8042
     * that translates would deliver is the keyboard's job, not ours). */
    ps2_keyboard_write(k, 0xF0);   /* select scan code set */
    ps2_keyboard_write(k, 0x01);
    drain(k, b, sizeof(b));        /* the two ACKs */
    CHECK(run_line(mon, "sendkey shift-a 0", &cap));
    n = drain(k, b, sizeof(b));
    static const uint8_t set1[] = { 0x2A, 0x1E, 0x9E, 0xAA };
    CHECK_EQ(n, sizeof(set1));
    CHECK(memcmp(b, set1, n) == 0);

    /* A new sendkey releases the keys an earlier one still holds. */
    CHECK(run_line(mon, "sendkey ret 5000", &cap));
    CHECK(run_line(mon, "sendkey 0x1e 0", &cap));
    n = drain(k, b, sizeof(b));
    static const uint8_t overlap[] = { 0x1C, 0x9C, 0x1E, 0x9E };
    CHECK_EQ(n, sizeof(overlap));
    CHECK(memcmp(b, overlap, n) == 0);
    CHECK(kbd_notified > 0);

    CHECK(!run_line(mon, "sendkey ctrl-frob", &cap));
    CHECK(strstr(cap.errors, "unknown key 'frob'"));
    CHECK(!run_line(mon, "sendkey ctrl--a", &cap));
    CHECK(!run_line(mon, "sendkey a-", &cap));
    CHECK(!run_line(mon, "sendkey a -1", &cap));
    CHECK(strstr(cap.errors, "hold-time"));
    CHECK(!run_line(mon, "sendkey a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q", &cap));
    CHECK(strstr(cap.errors, "at most 16 keys"));
    CHECK(!run_line(mon, "sendkey", &cap));
    CHECK(strstr(cap.errors, "missing argument 'keys'"));
    CHECK_EQ(drain(k, b, sizeof(b)), 0);      /* failed commands sent nothing */
    ps2_keyboard_free(k);
    CHECK(ps2_keyboard_get(0) == NULL);
    teardown();
}

/* Sendkeys back to back, far more than the keyboard's 16 bytes, with the
 * guest reading nothing meanwhile: every key comes out, in order, each
 * press followed by its release (set 2: code, F0 code). */
TEST_CASE(sendkey_back_to_back_loses_nothing)
{
    static const struct { const char *name; uint8_t code; } letters[] = {
        { "q", 0x15 }, { "u", 0x3C }, { "i", 0x43 }, { "c", 0x21 }, { "k", 0x42 },
        { "b", 0x32 }, { "r", 0x2D }, { "o", 0x44 }, { "w", 0x1D }, { "n", 0x31 },
        { "f", 0x2B }, { "x", 0x22 }, { "j", 0x3B }, { "m", 0x3A }, { "p", 0x4D },
        { "s", 0x1B }, { "v", 0x2A }, { "t", 0x2C }, { "h", 0x33 }, { "e", 0x24 },
        { "l", 0x4B }, { "a", 0x1C }, { "z", 0x1A }, { "y", 0x35 }, { "d", 0x23 },
        { "g", 0x34 },
    };
    const int nletters = (int)(sizeof(letters) / sizeof(letters[0]));
    Capture cap;
    static uint8_t b[1024];
    setup(1);
    mainloop_init();
    Ps2Kbd *k = ps2_keyboard_new(NULL, NULL);
    for (int i = 0; i < 150; i++) {
        char line[32];
        snprintf(line, sizeof(line), "sendkey %s %d", letters[i % nletters].name, i % 2 ? 0 : 50);
        CHECK(run_line(mon, line, &cap));
    }
    size_t n = drain(k, b, sizeof(b));      /* the last sendkey held nothing (0 ms) */
    CHECK_EQ(n, 150 * 3);
    for (int i = 0; i < 150; i++) {
        uint8_t code = letters[i % nletters].code;
        CHECK_EQ(b[3 * i], code);
        CHECK_EQ(b[3 * i + 1], 0xF0);
        CHECK_EQ(b[3 * i + 2], code);
    }
    ps2_keyboard_free(k);
    teardown();
}

/* ---- screendump ---- */

#define FAKE_W 37
#define FAKE_H 23

static int renders;
static uint32_t fake_pixel(int x, int y)
{
    return (uint32_t)(x * 7) << 16 | (uint32_t)(y * 11) << 8 | (uint32_t)((x ^ y) & 0xFF);
}

static void fake_render(void *opaque, DisplayConsole *c, bool full)
{
    (void)opaque;
    (void)full;
    renders++;
    DisplaySurface *s = display_resize(c, FAKE_W, FAKE_H);
    for (int y = 0; y < FAKE_H; y++)
        for (int x = 0; x < FAKE_W; x++)
            s->pixels[y * s->stride / 4 + x] = fake_pixel(x, y);
    display_mark_dirty(c, 0, 0, FAKE_W, FAKE_H);
}

static const DisplayDeviceOps fake_display = { .render = fake_render };

/* Decodes the PNG the monitor wrote (8-bit RGB, filter 0) and compares. */
static const char *check_png(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return "no file";
    static uint8_t d[1 << 16], idat[1 << 16], raw[FAKE_H * (1 + 3 * FAKE_W) + 1];
    size_t n = fread(d, 1, sizeof(d), f), zlen = 0;
    fclose(f);
    if (n < 8 || memcmp(d, "\x89PNG\r\n\x1a\n", 8))
        return "not a PNG";
    for (size_t p = 8; p + 12 <= n;) {
        uint32_t len = (uint32_t)d[p] << 24 | d[p + 1] << 16 | d[p + 2] << 8 | d[p + 3];
        if (len > n - p - 12)
            return "bad chunk length";
        if (!memcmp(d + p + 4, "IHDR", 4)) {
            if (d[p + 11] != FAKE_W || d[p + 15] != FAKE_H || d[p + 16] != 8 || d[p + 17] != 2)
                return "bad IHDR";
        } else if (!memcmp(d + p + 4, "IDAT", 4)) {
            memcpy(idat + zlen, d + p + 8, len);
            zlen += len;
        }
        p += 12 + len;
    }
    uLongf rlen = sizeof(raw);
    if (uncompress(raw, &rlen, idat, zlen) != Z_OK || rlen != sizeof(raw) - 1)
        return "IDAT does not inflate to the image";
    for (int y = 0; y < FAKE_H; y++) {
        const uint8_t *row = raw + y * (1 + 3 * FAKE_W);
        if (row[0] != 0)
            return "filter is not 0";
        for (int x = 0; x < FAKE_W; x++) {
            uint32_t px = (uint32_t)row[1 + 3 * x] << 16 | row[2 + 3 * x] << 8 | row[3 + 3 * x];
            if (px != fake_pixel(x, y))
                return "pixel differs";
        }
    }
    return NULL;
}

TEST_CASE(screendump_writes_console_0_as_png)
{
    Capture cap;
    char path[64], line[128];
    setup(1);
    snprintf(path, sizeof(path), "/tmp/mimic-screendump-test-%d.png", (int)getpid());
    if (display_console(0)) {
        teardown();
        SKIP("a display console already exists in this process");
    }
    CHECK(!run_line(mon, "screendump /tmp/x.png", &cap));
    CHECK(strstr(cap.errors, "no display console 0"));
    DisplayConsole *c = display_register("fake", &fake_display, NULL);
    CHECK(c == display_console(0));
    snprintf(line, sizeof(line), "screendump %s", path);
    CHECK(run_line(mon, line, &cap));
    CHECK_EQ(renders, 1);
    const char *why = check_png(path);
    if (why)
        printf("  %s\n", why);
    CHECK(!why);
    unlink(path);
    /* The dump must not eat the UI's changes: the next update is full. */
    DisplayUpdate u;
    display_update(c, &u);
    CHECK(u.resized || (u.nrects == 1 && u.rect[0].w == FAKE_W && u.rect[0].h == FAKE_H));
    CHECK(!run_line(mon, "screendump /nonexistent-dir/x.png", &cap));
    CHECK(strstr(cap.errors, "/nonexistent-dir/x.png"));
    CHECK(!run_line(mon, "screendump /tmp/x.png 3", &cap));
    CHECK(strstr(cap.errors, "no display console 3"));
    teardown();
}

int main(void)
{
    RUN(help_lists_every_command_and_one);
    RUN(stop_cont_and_status);
    RUN(quit_and_system_reset_request);
    RUN(info_version_and_cpus);
    RUN(info_registers_layout);
    RUN(system_powerdown_presses_the_acpi_power_button);
    RUN(key_names_match_set1);
    RUN(sendkey_presses_in_order_and_releases_in_reverse);
    RUN(sendkey_back_to_back_loses_nothing);
    RUN(screendump_writes_console_0_as_png);
    TEST_EXIT();
}
