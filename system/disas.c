/*
 * Guest and host disassembly for the debug log, using capstone (Debian's
 * libcapstone). One capstone handle per architecture, opened on first use.
 */
#include <capstone/capstone.h>
#include <pthread.h>

#include "mimic/disas.h"

#define DISAS_ARCHES 4

static pthread_mutex_t disas_lock = PTHREAD_MUTEX_INITIALIZER;
static csh handles[DISAS_ARCHES];
static int opened[DISAS_ARCHES];   /* 0 untried, 1 open, -1 failed */

static csh *disas_handle(DisasArch arch)
{
    static const struct { cs_arch arch; cs_mode mode; } spec[DISAS_ARCHES] = {
        [DISAS_X86_16] = { CS_ARCH_X86, CS_MODE_16 },
        [DISAS_X86_32] = { CS_ARCH_X86, CS_MODE_32 },
        [DISAS_X86_64] = { CS_ARCH_X86, CS_MODE_64 },
        [DISAS_AARCH64] = { CS_ARCH_ARM64, CS_MODE_ARM },
    };
    if ((unsigned)arch >= DISAS_ARCHES)
        return NULL;
    if (!opened[arch])
        opened[arch] = cs_open(spec[arch].arch, spec[arch].mode, &handles[arch]) == CS_ERR_OK ? 1 : -1;
    return opened[arch] > 0 ? &handles[arch] : NULL;
}

size_t disas_print(FILE *out, DisasArch arch, uint64_t pc, const uint8_t *code, size_t len,
                   size_t count)
{
    size_t done = 0, n = 0;
    pthread_mutex_lock(&disas_lock);
    csh *h = disas_handle(arch);
    cs_insn *insn = h ? cs_malloc(*h) : NULL;
    while (done < len && (count == 0 || n < count)) {
        const uint8_t *p = code + done;
        size_t left = len - done;
        uint64_t addr = pc + done;
        if (insn && cs_disasm_iter(*h, &p, &left, &addr, insn)) {
            fprintf(out, "0x%016llx:  ", (unsigned long long)insn->address);
            for (int i = 0; i < 10; i++)
                fprintf(out, i < insn->size ? "%02x" : "  ", i < insn->size ? insn->bytes[i] : 0);
            fprintf(out, "  %s %s\n", insn->mnemonic, insn->op_str);
            done += insn->size;
        } else {
            fprintf(out, "0x%016llx:  %02x                    .byte 0x%02x\n",
                    (unsigned long long)(pc + done), code[done], code[done]);
            done++;
        }
        n++;
    }
    if (insn)
        cs_free(insn, 1);
    pthread_mutex_unlock(&disas_lock);
    return done;
}

size_t disas_print_host(FILE *out, const void *code, size_t len)
{
#if defined(__x86_64__)
    return disas_print(out, DISAS_X86_64, (uint64_t)(uintptr_t)code, code, len, 0);
#elif defined(__aarch64__)
    return disas_print(out, DISAS_AARCH64, (uint64_t)(uintptr_t)code, code, len, 0);
#else
    fprintf(out, "(no disassembler for this host)\n");
    return len;
#endif
}
