/* Start-up and result reporting of the x86 test programs.  The verdict is
 * printed as "RESULT: PASS" / "RESULT: FAIL <why>" on COM1 and written to the
 * isa-debug-exit device (port 0xf4: 0 pass, 1 fail; the emulator exits with
 * (value << 1) | 1).  Nothing here depends on the device being present. */
#include "runtime.h"

void runtime_start(uint32_t magic, const MultibootInfo *mbi);

extern uint8_t interrupt_return_soft;     /* isr.S */

static const char *cmdline;

bool cmdline_has(const char *word)
{
    size_t n = strlen(word);
    for (const char *p = cmdline; p && *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - p) == n && strncmp(p, word, n) == 0)
            return true;
        p = end;
    }
    return false;
}

const char *cmdline_value(const char *key)
{
    size_t n = strlen(key);
    for (const char *p = cmdline; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, n) == 0 && p[n] == '=')
            return p + n + 1;
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}

uint32_t parse_u32(const char *s, uint32_t fallback)
{
    uint64_t v = 0;
    if (!s || *s < '0' || *s > '9')
        return fallback;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (uint32_t)(*s++ - '0');
        if (v > 0xffffffffu)
            return fallback;
    }
    return (uint32_t)v;
}

void runtime_start(uint32_t magic, const MultibootInfo *mbi)
{
    serial_init();
    printf("\n");      /* firmware may have left the cursor mid-line */
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        test_fail("bad multiboot magic 0x%08x", (unsigned)magic);
    if (mbi->flags & MBI_FLAG_CMDLINE)
        cmdline = (const char *)mbi->cmdline;
    if (cmdline_has("iret=soft")) {
        interrupt_return_soft = 1;
        printf("note: iret=soft, interrupt handlers return without IRET\n");
    }
    test_main(magic, mbi);
    test_fail("test_main returned");
}

_Noreturn void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

_Noreturn void debug_exit(uint8_t code)
{
    outb(DEBUG_EXIT_PORT, code);
    cpu_halt_forever();
}

_Noreturn void test_pass(void)
{
    printf("RESULT: PASS\n");
    debug_exit(0);
}

_Noreturn void test_fail(const char *fmt, ...)
{
    va_list ap;

    printf("RESULT: FAIL ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    debug_exit(1);
}
