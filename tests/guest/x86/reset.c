/* reset: proves both guest reset paths restart the machine and that CMOS RAM
 * survives a reset (it is battery-backed). Boot 1 resets through the PIIX
 * reset control register (0xCF9 <- 0x06), boot 2 through the i8042 (0xFE to
 * port 0x64), boot 3 passes. A stage byte in CMOS RAM (0x48) counts boots.
 * Under -no-reboot the emulator instead exits (status 0) at the first reset. */
#include "runtime.h"

#define CMOS_STAGE 0x48
#define STAGE_MAGIC 0xA0

static void cmos_write(uint8_t reg, uint8_t v)
{
    outb(0x70, reg & 0x7f);
    outb(0x71, v);
}

void test_main(uint32_t magic, const MultibootInfo *mbi)
{
    (void)magic, (void)mbi;
    uint8_t stage = cmos_read(CMOS_STAGE);
    if ((stage & 0xF0) != STAGE_MAGIC)
        stage = STAGE_MAGIC;
    printf("boot %u\n", (unsigned)(stage & 0x0F) + 1);
    switch (stage & 0x0F) {
    case 0:
        cmos_write(CMOS_STAGE, STAGE_MAGIC | 1);
        printf("resetting through 0xCF9\n");
        outb(0xCF9, 0x02);
        outb(0xCF9, 0x06);
        break;
    case 1:
        cmos_write(CMOS_STAGE, STAGE_MAGIC | 2);
        printf("resetting through the i8042\n");
        while (inb(0x64) & 0x02)
            ;
        outb(0x64, 0xFE);
        break;
    default:
        cmos_write(CMOS_STAGE, 0);
        printf("survived two resets\n");
        test_pass();
    }
    for (volatile int i = 0; i < 100000000; i++)
        ;
    test_fail("the reset did not happen");
}
