/* hello: proves COM1 works both ways.  Prints a greeting and the Multiboot
 * command line, then reads one line from COM1 (polling LSR) and echoes it as
 * "GOT: <line>", or "GOT: (timeout)" after about 2 s of silence. */
#include "runtime.h"

#define INPUT_TIMEOUT_MS 2000
#define LINE_MAX 128

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic;
    char line[LINE_MAX];

    printf("hello from mimic x86 guest test\n");
    if (mbi->flags & MBI_FLAG_CMDLINE)
        printf("cmdline: %s\n", (const char *)mbi->cmdline);
    else
        printf("cmdline: (none)\n");
    tsc_calibrate();
    printf("READY\n");
    int n = serial_readline(line, sizeof(line), INPUT_TIMEOUT_MS);
    if (n < 0)
        printf("GOT: (timeout)\n");
    else
        printf("GOT: %s\n", line);
    test_pass();
}
