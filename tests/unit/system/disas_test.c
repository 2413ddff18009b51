/* The debug-log disassembler prints what capstone decodes, in every mode,
 * and never reads past the buffer on undecodable bytes. */
#include <stdlib.h>

#include "mimic/disas.h"
#include "test.h"

static char *disas_to_string(DisasArch arch, uint64_t pc, const uint8_t *code, size_t len,
                             size_t *used)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    *used = disas_print(f, arch, pc, code, len, 0);
    fclose(f);
    return buf;
}

TEST_CASE(x86_64_instructions)
{
    static const uint8_t code[] = { 0x48, 0x01, 0xd8, 0xc3 };   /* add rax, rbx; ret */
    size_t used;
    char *s = disas_to_string(DISAS_X86_64, 0x1000, code, sizeof(code), &used);
    CHECK_EQ(used, 4);
    CHECK(strstr(s, "0x0000000000001000:") && strstr(s, "add rax, rbx"));
    CHECK(strstr(s, "0x0000000000001003:") && strstr(s, "ret"));
    free(s);
}

TEST_CASE(real_mode_instructions)
{
    static const uint8_t code[] = { 0xb8, 0x34, 0x12 };   /* mov ax, 0x1234 */
    size_t used;
    char *s = disas_to_string(DISAS_X86_16, 0xffff0, code, sizeof(code), &used);
    CHECK_EQ(used, 3);
    CHECK(strstr(s, "mov ax, 0x1234"));
    free(s);
}

TEST_CASE(truncated_instruction_is_bytes)
{
    static const uint8_t code[] = { 0xb8, 0x34 };   /* mov eax, imm32 cut short */
    size_t used;
    char *s = disas_to_string(DISAS_X86_32, 0, code, sizeof(code), &used);
    CHECK_EQ(used, 2);
    CHECK(strstr(s, ".byte 0xb8") && strstr(s, ".byte 0x34"));
    free(s);
}

int main(void)
{
    RUN(x86_64_instructions);
    RUN(real_mode_instructions);
    RUN(truncated_instruction_is_bytes);
    TEST_EXIT();
}
