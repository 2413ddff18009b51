/*
 * CPUID for the models mimic offers ("qemu64" baseline, "max"): exactly the
 * features mimic implements, GenuineIntel so Linux takes the Intel paths
 * (leaf 4 caches, leaf 0xB topology, leaf 0x15 TSC frequency: no calibration).
 * Reference: SDM vol. 2 CPUID; vol. 3 8.9 (topology); Linux
 * arch/x86/kernel/tsc.c native_calibrate_tsc() for what 0x15 must hold.
 * Leaves out: AVX and later, MONITOR/MWAIT, PMU (leaf 0xA is 0), x2APIC.
 */
#include <string.h>

#include "cpu/x86/cpu.h"
#include "cpu/x86/decode.h"

#define MAX_BASIC_LEAF 0x16u
#define MAX_EXT_LEAF   0x80000008u
#define HV_LEAF        0x40000000u

/*
 * Family 6 model 15 stepping 11 (a Core 2): old enough that Linux applies
 * no model-specific driver or MSR pokes, new enough (model >= 15) that it
 * keeps PAT enabled (arch/x86/kernel/cpu/intel.c).
 */
#define SIGNATURE 0x000006fbu

#define BASE_F1_EDX (CPUID_1_EDX_FPU | CPUID_1_EDX_PSE | CPUID_1_EDX_TSC | CPUID_1_EDX_MSR | \
    CPUID_1_EDX_PAE | CPUID_1_EDX_MCE | CPUID_1_EDX_MCA | CPUID_1_EDX_CX8 | CPUID_1_EDX_APIC | CPUID_1_EDX_SEP |              \
    CPUID_1_EDX_MTRR | CPUID_1_EDX_PGE | CPUID_1_EDX_CMOV | CPUID_1_EDX_PAT |             \
    CPUID_1_EDX_PSE36 | CPUID_1_EDX_CLFSH | CPUID_1_EDX_MMX | CPUID_1_EDX_FXSR |          \
    CPUID_1_EDX_SSE | CPUID_1_EDX_SSE2)
#define BASE_F1_ECX (CPUID_1_ECX_SSE3 | CPUID_1_ECX_SSSE3 | CPUID_1_ECX_CX16 |             \
    CPUID_1_ECX_SSE41 | CPUID_1_ECX_SSE42 | CPUID_1_ECX_POPCNT | CPUID_1_ECX_XSAVE |      \
    CPUID_1_ECX_MOVBE | CPUID_1_ECX_AES | CPUID_1_ECX_PCLMUL | CPUID_1_ECX_HYPERVISOR)
/* LZCNT (ABM) is legacy-encoded and implemented; BMI1 is not advertised:
 * its other instructions are VEX-encoded, which the decoder rejects. */
#define BASE_E1_ECX (CPUID_E1_ECX_LAHF_LM | CPUID_E1_ECX_ABM)
#define BASE_E1_EDX (CPUID_E1_EDX_SYSCALL | CPUID_E1_EDX_NX | CPUID_E1_EDX_RDTSCP |         \
    CPUID_E1_EDX_LM)

typedef struct ModelDef {
    const char *name;
    X86CPUModelId id;
    X86Features f;
    uint8_t phys_bits;
} ModelDef;

static const ModelDef models[] = {
    { "qemu64", X86_MODEL_QEMU64,
      { .f1_ecx = BASE_F1_ECX, .f1_edx = BASE_F1_EDX, .e1_ecx = BASE_E1_ECX,
        .e1_edx = BASE_E1_EDX, .e7_edx = CPUID_E7_EDX_INVTSC, .f6_eax = CPUID_6_EAX_ARAT,
        .f7_ebx = CPUID_7_EBX_ERMS, .f7_edx = CPUID_7_EDX_ARCH_CAPABILITIES },
      40 },
    { "max", X86_MODEL_MAX,
      { .f1_ecx = BASE_F1_ECX, .f1_edx = BASE_F1_EDX, .e1_ecx = BASE_E1_ECX,
        .e1_edx = BASE_E1_EDX | CPUID_E1_EDX_PDPE1GB, .e7_edx = CPUID_E7_EDX_INVTSC,
        .f6_eax = CPUID_6_EAX_ARAT, .f7_ebx = CPUID_7_EBX_ERMS,
        .f7_edx = CPUID_7_EDX_ARCH_CAPABILITIES },
      40 },
};

bool x86_cpu_set_model(X86CPU *cpu, const char *name)
{
    if (!name) {
        name = "qemu64";
    }
    for (unsigned i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        if (strcmp(models[i].name, name) == 0) {
            cpu->model = models[i].id;
            cpu->features = models[i].f;
            cpu->phys_bits = models[i].phys_bits;
            cpu->cpuid_signature = SIGNATURE;
            cpu->syscall_compat = false;
            return true;
        }
    }
    return false;
}

/* Bits of the APIC id that number the cores of the package. */
static unsigned core_shift(const X86CPU *cpu)
{
    unsigned s = 0;
    while ((1u << s) < (unsigned)(cpu->nr_cpus > 0 ? cpu->nr_cpus : 1)) {
        s++;
    }
    return s;
}

static void set4(uint32_t out[4], uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
}

static uint32_t str4(const char *s)
{
    return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 |
           (uint32_t)(uint8_t)s[2] << 16 | (uint32_t)(uint8_t)s[3] << 24;
}

/* Deterministic cache parameters (leaf 4): L1d, L1i, L2 per core, L3 shared. */
static void cache_leaf(const X86CPU *cpu, uint32_t index, uint32_t out[4])
{
    static const struct { uint8_t type, level; uint8_t ways; uint32_t size; bool shared; } c[] = {
        { 1, 1, 8, 32u << 10, false },     /* data */
        { 2, 1, 8, 32u << 10, false },     /* instruction */
        { 3, 2, 16, 2u << 20, false },     /* unified */
        { 3, 3, 16, 16u << 20, true },
    };
    if (index >= sizeof(c) / sizeof(c[0])) {
        set4(out, 0, 0, 0, 0);
        return;
    }
    unsigned shift = core_shift(cpu);
    uint32_t line = 64, sets = c[index].size / (c[index].ways * line);
    uint32_t sharing = c[index].shared ? (1u << shift) - 1 : 0;
    uint32_t eax = c[index].type | (uint32_t)c[index].level << 5 | 1u << 8 |
                   sharing << 14 | ((1u << shift) - 1) << 26;
    uint32_t ebx = (uint32_t)(c[index].ways - 1) << 22 | (line - 1);
    set4(out, eax, ebx, sets - 1, c[index].level == 3 ? 2 : 0);   /* L3 inclusive */
}

static void leaf(X86CPU *cpu, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    const X86Features *f = &cpu->features;
    uint32_t max_basic = (cpu->msr.misc_enable & MSR_MISC_ENABLE_LIMIT_CPUID) ? 2 : MAX_BASIC_LEAF;
    unsigned shift = core_shift(cpu);
    uint32_t edx, ecx;

    /* Out-of-range leaves return the highest basic leaf (SDM vol. 2 CPUID). */
    if ((leaf < HV_LEAF && leaf > max_basic) ||
        (leaf >= 0x80000000u && leaf > MAX_EXT_LEAF) ||
        (leaf > HV_LEAF + 0xff && leaf < 0x80000000u)) {
        leaf = max_basic;
    }

    switch (leaf) {
    case 0:
        set4(out, max_basic, str4("Genu"), str4("ntel"), str4("ineI"));
        break;
    case 1:
        edx = f->f1_edx;
        if (!(cpu->msr.apic_base & MSR_APIC_BASE_ENABLE)) {
            edx &= ~CPUID_1_EDX_APIC;   /* a globally disabled APIC hides itself */
        }
        if (cpu->nr_cpus > 1) {
            edx |= CPUID_1_EDX_HTT;
        }
        ecx = f->f1_ecx;
        if (cpu->cr[4] & CR4_OSXSAVE) {
            ecx |= CPUID_1_ECX_OSXSAVE;
        }
        set4(out, cpu->cpuid_signature,
             (cpu->apic_id & 0xff) << 24 | (1u << shift) << 16 | (64 / 8) << 8, ecx, edx);
        break;
    case 2:
        /* One descriptor: 0xFF = "use leaf 4". */
        set4(out, 0x0000ff01, 0, 0, 0);
        break;
    case 4:
        cache_leaf(cpu, sub, out);
        break;
    case 6:
        set4(out, f->f6_eax, 0, 0, 0);
        break;
    case 7:
        if (sub == 0) {
            set4(out, 0, f->f7_ebx, f->f7_ecx, f->f7_edx);
        } else {
            set4(out, 0, 0, 0, 0);
        }
        break;
    case 0xb:
        /* Level 0: one thread per core; level 1: the cores of the package. */
        if (sub == 0) {
            set4(out, 0, 1, 0 | 1u << 8, cpu->apic_id);
        } else if (sub == 1) {
            set4(out, shift, (uint32_t)(cpu->nr_cpus > 0 ? cpu->nr_cpus : 1), 1 | 2u << 8,
                 cpu->apic_id);
        } else {
            set4(out, 0, 0, sub & 0xff, cpu->apic_id);
        }
        break;
    case 0xd:
        if (!(f->f1_ecx & CPUID_1_ECX_XSAVE)) {
            set4(out, 0, 0, 0, 0);
        } else if (sub == 0) {
            /* x87 and SSE live in the 512-byte legacy area; + 64-byte header. */
            set4(out, (uint32_t)X86_XCR0_SUPPORTED, 576, 576, 0);
        } else {
            set4(out, 0, 0, 0, 0);
        }
        break;
    case 0x15:
        set4(out, 1, (uint32_t)(X86_TSC_FREQ_HZ / X86_CRYSTAL_HZ), X86_CRYSTAL_HZ, 0);
        break;
    case 0x16:
        set4(out, (uint32_t)(X86_TSC_FREQ_HZ / 1000000), (uint32_t)(X86_TSC_FREQ_HZ / 1000000),
             X86_BUS_MHZ, 0);
        break;
    case HV_LEAF:
        set4(out, HV_LEAF, str4("Mimi"), str4("cVir"), str4("tCPU"));
        break;
    case 0x80000000u:
        set4(out, MAX_EXT_LEAF, 0, 0, 0);
        break;
    case 0x80000001u:
        edx = f->e1_edx;
        if (cpu->msr.misc_enable & MSR_MISC_ENABLE_XD_DISABLE) {
            edx &= ~CPUID_E1_EDX_NX;
        }
        set4(out, 0, 0, f->e1_ecx, edx);
        break;
    case 0x80000002u: case 0x80000003u: case 0x80000004u: {
        static const char brand[48] = "mimic virtual CPU";
        const char *p = brand + (leaf - 0x80000002u) * 16;
        set4(out, str4(p), str4(p + 4), str4(p + 8), str4(p + 12));
        break;
    }
    case 0x80000006u:
        /* L2: 2048 KiB, 16-way (encoding 8), 64-byte lines. */
        set4(out, 0, 0, 2048u << 16 | 8u << 12 | 64, 0);
        break;
    case 0x80000007u:
        set4(out, 0, 0, 0, f->e7_edx);
        break;
    case 0x80000008u:
        set4(out, cpu->phys_bits | 48u << 8, 0, 0, 0);
        break;
    default:
        set4(out, 0, 0, 0, 0);
        break;
    }
}

void x86_cpuid(X86CPU *cpu, uint32_t l, uint32_t subleaf, uint32_t out[4])
{
    leaf(cpu, l, subleaf, out);
}

void x86_helper_cpuid(X86CPU *cpu)
{
    uint32_t out[4];
    x86_cpuid(cpu, (uint32_t)cpu->regs[R_EAX], (uint32_t)cpu->regs[R_ECX], out);
    cpu->regs[R_EAX] = out[0];
    cpu->regs[R_EBX] = out[1];
    cpu->regs[R_ECX] = out[2];
    cpu->regs[R_EDX] = out[3];
}

bool x86_cpu_has_feature(const X86CPU *cpu, unsigned feat)
{
    const X86Features *f = &cpu->features;
    switch (feat) {
    case X86_FEAT_BASE:    return true;
    case X86_FEAT_X87:     return f->f1_edx & CPUID_1_EDX_FPU;
    case X86_FEAT_CMOV:    return f->f1_edx & CPUID_1_EDX_CMOV;
    case X86_FEAT_CX8:     return f->f1_edx & CPUID_1_EDX_CX8;
    case X86_FEAT_CX16:    return f->f1_ecx & CPUID_1_ECX_CX16;
    case X86_FEAT_MSR:     return f->f1_edx & CPUID_1_EDX_MSR;
    case X86_FEAT_TSC:     return f->f1_edx & CPUID_1_EDX_TSC;
    case X86_FEAT_RDTSCP:  return f->e1_edx & CPUID_E1_EDX_RDTSCP;
    case X86_FEAT_SEP:     return f->f1_edx & CPUID_1_EDX_SEP;
    case X86_FEAT_SYSCALL: return f->e1_edx & CPUID_E1_EDX_SYSCALL;
    case X86_FEAT_LM:      return f->e1_edx & CPUID_E1_EDX_LM;
    case X86_FEAT_MMX:     return f->f1_edx & CPUID_1_EDX_MMX;
    case X86_FEAT_SSE:     return f->f1_edx & CPUID_1_EDX_SSE;
    case X86_FEAT_SSE2:    return f->f1_edx & CPUID_1_EDX_SSE2;
    case X86_FEAT_SSE3:    return f->f1_ecx & CPUID_1_ECX_SSE3;
    case X86_FEAT_SSSE3:   return f->f1_ecx & CPUID_1_ECX_SSSE3;
    case X86_FEAT_SSE4_1:  return f->f1_ecx & CPUID_1_ECX_SSE41;
    case X86_FEAT_SSE4_2:  return f->f1_ecx & CPUID_1_ECX_SSE42;
    case X86_FEAT_POPCNT:  return f->f1_ecx & CPUID_1_ECX_POPCNT;
    case X86_FEAT_FXSR:    return f->f1_edx & CPUID_1_EDX_FXSR;
    case X86_FEAT_XSAVE:   return f->f1_ecx & CPUID_1_ECX_XSAVE;
    case X86_FEAT_CLFSH:   return f->f1_edx & CPUID_1_EDX_CLFSH;
    case X86_FEAT_LAHF_LM: return f->e1_ecx & CPUID_E1_ECX_LAHF_LM;
    case X86_FEAT_LZCNT:   return f->e1_ecx & CPUID_E1_ECX_ABM;
    case X86_FEAT_MOVBE:   return f->f1_ecx & CPUID_1_ECX_MOVBE;
    case X86_FEAT_AES:     return f->f1_ecx & CPUID_1_ECX_AES;
    case X86_FEAT_PCLMUL:  return f->f1_ecx & CPUID_1_ECX_PCLMUL;
    default:               return false;
    }
}
