/*
 * Proves cpu/x86/cpuid.c against SDM vol. 2 CPUID: the vendor, leaf 1
 * feature bits are exactly the advertised set (bit numbers written out from
 * the SDM tables), topology leaves carry the APIC id, leaf 0x15 gives a TSC
 * frequency Linux can use without calibrating, and the decoder's feature
 * names map to the right CPUID bits.
 */
#include "cpu/x86/decode.h"
#include "x86_fake_env.h"

static uint32_t bits(const int *list, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= 1u << list[i];
    }
    return v;
}
#define BITS(...) bits((const int[]){ __VA_ARGS__ }, sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

static void q(X86CPU *cpu, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    x86_cpuid(cpu, leaf, sub, r);
}

TEST_CASE(leaf0_vendor_and_max)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint32_t r[4];
    q(cpu, 0, 0, r);
    CHECK_EQ(r[0], 0x16);
    char v[13];
    memcpy(v, &r[1], 4);
    memcpy(v + 4, &r[3], 4);
    memcpy(v + 8, &r[2], 4);
    v[12] = 0;
    CHECK(strcmp(v, "GenuineIntel") == 0);
}

TEST_CASE(leaf1_is_exactly_the_implemented_set)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint32_t r[4];
    q(cpu, 1, 0, r);
    CHECK_EQ(r[0], 0x6fb);                          /* family 6, model 15, stepping 11 */
    CHECK_EQ((r[1] >> 8) & 0xff, 8);                /* CLFLUSH line: 8 * 8 = 64 bytes */
    CHECK_EQ(r[1] >> 24, 0);                        /* initial APIC id */
    /* EDX: FPU PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH MMX FXSR
     * SSE SSE2 */
    CHECK_EQ(r[3], BITS(0, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 23, 24, 25, 26));
    /* ECX: SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE hypervisor
     * (no OSXSAVE yet) */
    CHECK_EQ(r[2], BITS(0, 1, 9, 13, 19, 20, 22, 23, 25, 26, 31));
    /* OSXSAVE mirrors CR4. */
    CHECK(x86_set_cr4(cpu, CR4_OSXSAVE));
    q(cpu, 1, 0, r);
    CHECK(r[2] & (1u << 27));
    /* A globally disabled APIC clears the APIC bit. */
    CHECK(x86_msr_write(cpu, MSR_IA32_APIC_BASE, 0xfee00000));
    q(cpu, 1, 0, r);
    CHECK(!(r[3] & (1u << 9)));
}

TEST_CASE(extended_leaves)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint32_t r[4];
    q(cpu, 0x80000000, 0, r);
    CHECK_EQ(r[0], 0x80000008);
    q(cpu, 0x80000001, 0, r);
    CHECK_EQ(r[2], BITS(0, 5));                     /* LAHF/SAHF in 64-bit mode, LZCNT */
    CHECK_EQ(r[3], BITS(11, 20, 27, 29));           /* SYSCALL NX RDTSCP LM */
    q(cpu, 0x80000007, 0, r);
    CHECK_EQ(r[3], BITS(8));                        /* invariant TSC */
    q(cpu, 0x80000008, 0, r);
    CHECK_EQ(r[0] & 0xff, 40);
    CHECK_EQ((r[0] >> 8) & 0xff, 48);
    char brand[49];
    for (int i = 0; i < 3; i++) {
        q(cpu, 0x80000002 + i, 0, r);
        memcpy(brand + 16 * i, r, 16);
    }
    brand[48] = 0;
    CHECK(strcmp(brand, "mimic virtual CPU") == 0);
    /* 1 GiB pages only in "max". */
    cpu = fake_cpu("max");
    q(cpu, 0x80000001, 0, r);
    CHECK_EQ(r[3], BITS(11, 20, 26, 27, 29));
    /* XD disable hides NX. */
    CHECK(x86_msr_write(cpu, MSR_IA32_MISC_ENABLE, cpu->msr.misc_enable | MSR_MISC_ENABLE_XD_DISABLE));
    q(cpu, 0x80000001, 0, r);
    CHECK(!(r[3] & BITS(20)));
}

TEST_CASE(no_extended_features_and_xsave_leaf)
{
    X86CPU *cpu = fake_cpu("max");
    uint32_t r[4];
    q(cpu, 7, 0, r);
    CHECK_EQ(r[0] | r[2], 0);
    CHECK_EQ(r[1], BITS(9));                        /* ERMS only: no BMI, SMEP, FSGSBASE, ... */
    CHECK_EQ(r[3], BITS(29));                       /* only IA32_ARCH_CAPABILITIES */
    q(cpu, 0xa, 0, r);
    CHECK_EQ(r[0], 0);                              /* no architectural PMU */
    q(cpu, 0xd, 0, r);
    CHECK_EQ(r[0], 3);                              /* XCR0: x87 | SSE */
    CHECK_EQ(r[1], 576);
    CHECK_EQ(r[2], 576);
    q(cpu, 0xd, 1, r);
    CHECK_EQ(r[0], 0);                              /* no XSAVEOPT/XSAVEC/XSAVES */
    q(cpu, 6, 0, r);
    CHECK_EQ(r[0], BITS(2));                        /* ARAT */
}

TEST_CASE(tsc_frequency_leaves)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint32_t r[4];
    q(cpu, 0x15, 0, r);
    CHECK(r[0] != 0 && r[1] != 0 && r[2] != 0);     /* all three, or Linux calibrates */
    CHECK_EQ((uint64_t)r[2] * r[1] / r[0], X86_TSC_FREQ_HZ);
    CHECK_EQ(r[2], X86_CRYSTAL_HZ);
    q(cpu, 0x16, 0, r);
    CHECK_EQ(r[0], X86_TSC_FREQ_HZ / 1000000);
    q(cpu, 0x40000000, 0, r);
    CHECK_EQ(r[0], 0x40000000);
}

TEST_CASE(topology_leaves_carry_apic_id)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->nr_cpus = 4;
    cpu->apic_id = 2;
    uint32_t r[4];
    q(cpu, 1, 0, r);
    CHECK_EQ(r[1] >> 24, 2);
    CHECK_EQ((r[1] >> 16) & 0xff, 4);
    CHECK(r[3] & (1u << 28));                       /* HTT: more than one logical CPU */
    q(cpu, 0xb, 0, r);
    CHECK_EQ(r[1], 1);                              /* one thread per core */
    CHECK_EQ((r[2] >> 8) & 0xff, 1);                /* level type SMT */
    CHECK_EQ(r[3], 2);
    q(cpu, 0xb, 1, r);
    CHECK_EQ(r[0] & 0x1f, 2);                       /* shift to the package id */
    CHECK_EQ(r[1], 4);
    CHECK_EQ((r[2] >> 8) & 0xff, 2);                /* level type core */
    CHECK_EQ(r[3], 2);
    q(cpu, 0xb, 2, r);
    CHECK_EQ((r[2] >> 8) & 0xff, 0);                /* invalid: end of levels */
    /* Leaf 4: L1d of 32 KiB; L3 shared by the 4 cores. */
    q(cpu, 4, 0, r);
    CHECK_EQ(r[0] & 0x1f, 1);
    CHECK_EQ((r[0] >> 5) & 7, 1);
    uint32_t size = ((r[1] >> 22) + 1) * (((r[1] >> 12) & 0x3ff) + 1) * ((r[1] & 0xfff) + 1) * (r[2] + 1);
    CHECK_EQ(size, 32 * 1024);
    CHECK_EQ((r[0] >> 26) + 1, 4);
    q(cpu, 4, 3, r);
    CHECK_EQ((r[0] >> 5) & 7, 3);
    CHECK_EQ(((r[0] >> 14) & 0xfff) + 1, 4);
    q(cpu, 4, 4, r);
    CHECK_EQ(r[0] & 0x1f, 0);                       /* no more caches */
    q(cpu, 2, 0, r);
    CHECK_EQ(r[0] & 0xff, 1);
    CHECK_EQ((r[0] >> 8) & 0xff, 0xff);             /* "use leaf 4" */
}

TEST_CASE(out_of_range_and_limited_leaves)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint32_t a[4], b[4];
    q(cpu, 0x16, 0, a);
    q(cpu, 0x17, 0, b);
    CHECK(memcmp(a, b, sizeof(a)) == 0);
    q(cpu, 0x80000009, 0, b);
    CHECK(memcmp(a, b, sizeof(a)) == 0);
    /* IA32_MISC_ENABLE.LIMIT_CPUID: leaf 0 reports 2 (old OSes). */
    CHECK(x86_msr_write(cpu, MSR_IA32_MISC_ENABLE, cpu->msr.misc_enable | MSR_MISC_ENABLE_LIMIT_CPUID));
    q(cpu, 0, 0, a);
    CHECK_EQ(a[0], 2);
    /* The helper form: EAX/ECX in, four registers out, upper halves zero. */
    cpu->regs[R_EAX] = 0xffffffff00000000ull;
    cpu->regs[R_ECX] = 0;
    x86_helper_cpuid(cpu);
    CHECK_EQ(cpu->regs[R_EAX], 2);
    CHECK_EQ(cpu->regs[R_EBX], 0x756e6547);         /* "Genu" */
}

TEST_CASE(decoder_features_map_to_cpuid_bits)
{
    X86CPU *cpu = fake_cpu("qemu64");
    uint32_t l1[4], e1[4];
    q(cpu, 1, 0, l1);
    q(cpu, 0x80000001, 0, e1);
    static const struct { int feat; int reg; int bit; bool ext; } map[] = {
        { X86_FEAT_X87, 3, 0, false }, { X86_FEAT_CMOV, 3, 15, false },
        { X86_FEAT_CX8, 3, 8, false }, { X86_FEAT_CX16, 2, 13, false },
        { X86_FEAT_MSR, 3, 5, false }, { X86_FEAT_TSC, 3, 4, false },
        { X86_FEAT_SEP, 3, 11, false }, { X86_FEAT_MMX, 3, 23, false },
        { X86_FEAT_SSE, 3, 25, false }, { X86_FEAT_SSE2, 3, 26, false },
        { X86_FEAT_SSE3, 2, 0, false }, { X86_FEAT_SSSE3, 2, 9, false },
        { X86_FEAT_SSE4_1, 2, 19, false }, { X86_FEAT_SSE4_2, 2, 20, false },
        { X86_FEAT_POPCNT, 2, 23, false }, { X86_FEAT_FXSR, 3, 24, false },
        { X86_FEAT_XSAVE, 2, 26, false }, { X86_FEAT_CLFSH, 3, 19, false },
        { X86_FEAT_MOVBE, 2, 22, false }, { X86_FEAT_AES, 2, 25, false },
        { X86_FEAT_PCLMUL, 2, 1, false }, { X86_FEAT_RDRAND, 2, 30, false },
        { X86_FEAT_MONITOR, 2, 3, false },
        { X86_FEAT_RDTSCP, 3, 27, true }, { X86_FEAT_SYSCALL, 3, 11, true },
        { X86_FEAT_LM, 3, 29, true }, { X86_FEAT_LAHF_LM, 2, 0, true },
        { X86_FEAT_LZCNT, 2, 5, true }, { X86_FEAT_SSE4A, 2, 6, true },
        { X86_FEAT_PREFETCHW, 2, 8, true },
    };
    for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        const uint32_t *r = map[i].ext ? e1 : l1;
        bool advertised = (r[map[i].reg] >> map[i].bit) & 1;
        if (x86_cpu_has_feature(cpu, map[i].feat) != advertised) {
            printf("  decoder feature %d: has=%d cpuid=%d\n", map[i].feat,
                   x86_cpu_has_feature(cpu, map[i].feat), advertised);
            CHECK(0);
        }
    }
    CHECK(x86_cpu_has_feature(cpu, X86_FEAT_BASE));
    CHECK(!x86_cpu_has_feature(cpu, X86_FEAT_BMI1));   /* leaf 7 is empty */
    CHECK(!x86_cpu_has_feature(cpu, X86_FEAT_FSGSBASE));
}

int main(void)
{
    RUN(leaf0_vendor_and_max);
    RUN(leaf1_is_exactly_the_implemented_set);
    RUN(extended_leaves);
    RUN(no_extended_features_and_xsave_leaf);
    RUN(tsc_frequency_leaves);
    RUN(topology_leaves_carry_apic_id);
    RUN(out_of_range_and_limited_leaves);
    RUN(decoder_features_map_to_cpuid_bits);
    TEST_EXIT();
}
