/*
 * fxsave.c: FXSAVE/XSAVE images byte for byte against the host's after the same
 * FXRSTOR/XRSTOR, the #GP cases (alignment, MXCSR, XSAVE header), XSAVEOPT's init
 * optimization, LDMXCSR, EMMS, the x87-to-MMX transition with #MF, MASKMOVx.
 */
#include <stdio.h>

#include "test.h"
#include "x86_fake_env.h"
#include "sse_test_host.h"

__attribute__((weak)) __thread uintptr_t tcg_helper_retaddr;

#define AREA 0x10000u           /* guest-physical = linear (paging off) */

static uint8_t host_area[1024] __attribute__((aligned(64)));

/* A random but valid FXSAVE image: masked MXCSR, any x87 contents. */
static void random_image(uint8_t *img)
{
    for (unsigned i = 0; i < 512; i += 8) {
        uint64_t v = rnd64();
        memcpy(img + i, &v, 8);
    }
    uint32_t mxcsr = rnd_mxcsr(), mask = 0xffff;
    memcpy(img + 24, &mxcsr, 4);
    memcpy(img + 28, &mask, 4);
    uint16_t fcw = 0x037f | (uint16_t)(rnd(4) << 10);     /* all x87 exceptions masked */
    memcpy(img, &fcw, 2);
    img[5] = 0;
    for (unsigned i = 0; i < 8; i++) {                     /* 6 reserved bytes per register */
        memset(img + 32 + 16 * i + 10, 0, 6);
    }
    memset(img + 416, 0, 96);
}

static void guest_write(uint64_t addr, const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        pw8(addr + i, p[i]);
    }
}

static void guest_read(uint64_t addr, uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = pr8(addr + i);
    }
}

/* The bytes the host (this CPU family) fills differently on purpose: FIP,
 * FDP selectors (deprecated: written as 0) and FOP. */
static void mask_pointers(uint8_t *img)
{
    memset(img + 6, 0, 18);
}

TEST_CASE(fxsave_image_matches_host_after_fxrstor)
{
    for (unsigned it = 0; it < 300; it++) {
        X86CPU *cpu = fake_cpu("qemu64");
        uint8_t img[512], mine[512];
        random_image(img);
        guest_write(AREA, img, 512);
        unsigned flags = X86_MMU_SUPER | SSE_MEM_LONG | (it & 1 ? SSE_MEM_REXW : 0);
        EXPECT_OK(cpu, helper_fxrstor(cpu, AREA, flags));
        memset(fake_ram + AREA + 512, 0xaa, 512);
        EXPECT_OK(cpu, helper_fxsave(cpu, AREA + 512, flags));
        guest_read(AREA + 512, mine, 512);

        memcpy(host_area, img, 512);
        memset(host_area + 512, 0xaa, 512);
        asm volatile("fxrstor64 %0\n\tfxsave64 %1\n\tfninit\n\tldmxcsr %2"
                     : "+m"(*(uint8_t(*)[512])host_area), "=m"(*(uint8_t(*)[512])(host_area + 512))
                     : "m"((uint32_t){ MXCSR_RESET }));
        mask_pointers(mine);
        mask_pointers(host_area + 512);
        for (unsigned i = 0; i < 512; i++) {
            if (mine[i] != host_area[512 + i]) {
                printf("  byte %u: emulated %#x host %#x\n", i, mine[i], host_area[512 + i]);
            }
            CHECK_EQ(mine[i], host_area[512 + i]);
        }
        /* REX.W=1 keeps 64-bit FPU pointers, REX.W=0 32 bits plus selectors. */
        cpu->fpip = 0x123456789abcull;
        cpu->fpcs = 0x33;
        EXPECT_OK(cpu, helper_fxsave(cpu, AREA, X86_MMU_SUPER | SSE_MEM_LONG | SSE_MEM_REXW));
        CHECK_EQ(pr64(AREA + 8), 0x123456789abcull);
        EXPECT_OK(cpu, helper_fxsave(cpu, AREA, X86_MMU_SUPER | SSE_MEM_LONG));
        CHECK_EQ(pr64(AREA + 8), 0x3356789abcull);
    }
}

TEST_CASE(fxsave_outside_64bit_mode_keeps_xmm8_15_area)
{
    X86CPU *cpu = fake_cpu("qemu64");
    memset(fake_ram + AREA, 0x5a, 512);
    cpu->xmm[7].q[1] = 0x7777;
    cpu->xmm[8].q[0] = 0x8888;
    EXPECT_OK(cpu, helper_fxsave(cpu, AREA, X86_MMU_SUPER));
    CHECK_EQ(pr64(AREA + 160 + 16 * 7 + 8), 0x7777);
    CHECK_EQ(pr64(AREA + 160 + 16 * 8), 0x5a5a5a5a5a5a5a5aull);
    CHECK_EQ(pr64(AREA + 464), 0x5a5a5a5a5a5a5a5aull);     /* software area untouched */
    CHECK_EQ(pr32(AREA + 28), MXCSR_WRITABLE);
}

TEST_CASE(fxsave_fxrstor_faults)
{
    X86CPU *cpu = fake_cpu("qemu64");
    EXPECT_EXC(cpu, helper_fxsave(cpu, AREA + 8, X86_MMU_SUPER), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, helper_fxrstor(cpu, AREA + 4, X86_MMU_SUPER), X86_EXCP_GP, 0);
    /* a reserved MXCSR bit: #GP, and nothing loaded */
    uint8_t img[512];
    random_image(img);
    uint32_t bad = MXCSR_RESET | 0x10000;
    memcpy(img + 24, &bad, 4);
    guest_write(AREA, img, 512);
    cpu->fpuc = 0x1234;
    EXPECT_EXC(cpu, helper_fxrstor(cpu, AREA, X86_MMU_SUPER), X86_EXCP_GP, 0);
    CHECK_EQ(cpu->fpuc, 0x1234);
    CHECK_EQ(cpu->mxcsr, MXCSR_RESET);
}

TEST_CASE(ldmxcsr_checks_reserved_bits)
{
    X86CPU *cpu = fake_cpu("qemu64");
    EXPECT_OK(cpu, helper_ldmxcsr(cpu, 0xffff));
    CHECK_EQ(cpu->mxcsr, 0xffff);
    EXPECT_EXC(cpu, helper_ldmxcsr(cpu, 0x1f80 | 0x80000000u), X86_EXCP_GP, 0);
    CHECK_EQ(cpu->mxcsr, 0xffff);
}

/* XRSTOR then XSAVE on both sides; the host's XINUSE tracking differs from
 * ours by design, so XSTATE_BV after XSAVE is checked separately. */
static void xsave_xrstor_round(void)
{
    {
        X86CPU *cpu = fake_cpu("qemu64");
        cpu->xcr0 = XCR0_X87 | XCR0_SSE;
        /* a known starting state on both sides */
        uint8_t start[512], img[576], mine[576];
        random_image(start);
        guest_write(AREA + 0x400, start, 512);
        EXPECT_OK(cpu, helper_fxrstor(cpu, AREA + 0x400, X86_MMU_SUPER | SSE_MEM_LONG));

        random_image(img);
        memset(img + 512, 0, 64);
        uint64_t bv = rnd(4), rfbm = rnd(4);
        memcpy(img + 512, &bv, 8);
        guest_write(AREA, img, 576);
        unsigned flags = X86_MMU_SUPER | SSE_MEM_LONG | SSE_MEM_REXW;
        EXPECT_OK(cpu, helper_xrstor(cpu, AREA, rfbm, flags));
        memset(fake_ram + AREA + 0x800, 0xaa, 576);
        EXPECT_OK(cpu, helper_xsave(cpu, AREA + 0x800, 3, flags));
        guest_read(AREA + 0x800, mine, 576);

        memcpy(host_area, start, 512);
        asm volatile("fxrstor64 %0" : : "m"(*(uint8_t(*)[512])host_area));
        memcpy(host_area, img, 576);
        asm volatile("xrstor64 %0" : : "m"(*(uint8_t(*)[576])host_area), "a"((uint32_t)rfbm),
                     "d"(0));
        memset(host_area, 0xaa, 576);
        asm volatile("xsave64 %0\n\tfninit\n\tldmxcsr %1"
                     : "+m"(*(uint8_t(*)[576])host_area) : "m"((uint32_t){ MXCSR_RESET }),
                       "a"(3), "d"(0));
        mask_pointers(mine);
        mask_pointers(host_area);
        for (unsigned i = 0; i < 512; i++) {
            if (mine[i] != host_area[i]) {
                printf("  bv %llu rfbm %llu byte %u: emulated %#x host %#x\n",
                       (unsigned long long)bv, (unsigned long long)rfbm, i, mine[i],
                       host_area[i]);
            }
            CHECK_EQ(mine[i], host_area[i]);
        }
        /* XSTATE_BV: our XINUSE is "not in the initial configuration" */
        uint64_t saved_bv;
        memcpy(&saved_bv, mine + 512, 8);
        uint64_t expect = 0;
        expect |= (cpu->fpuc != 0x37f || cpu->fpus || cpu->fpstt || cpu->fptag_valid ||
                   cpu->fpop || cpu->fpip || cpu->fpdp) ? 1 : 0;
        for (unsigned r = 0; r < 8; r++) {
            expect |= (cpu->fpregs[r].mant || cpu->fpregs[r].sign_exp) ? 1 : 0;
        }
        bool sse = cpu->mxcsr != MXCSR_RESET;
        for (unsigned r = 0; r < 16; r++) {
            sse |= (cpu->xmm[r].q[0] | cpu->xmm[r].q[1]) != 0;
        }
        expect |= sse ? 2 : 0;
        CHECK_EQ(saved_bv & 3, expect);
        CHECK_EQ(saved_bv >> 2, 0xaaaaaaaaaaaaaaaaull >> 2);   /* other bits kept */
    }
}

TEST_CASE(xsave_xrstor_match_host)
{
    uint32_t xcr0_lo, xcr0_hi;
    asm volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 3) != 3) {
        SKIP("host XCR0 without x87+SSE");
    }
    for (unsigned it = 0; it < 300 && !test_case_failed_; it++) {
        xsave_xrstor_round();
    }
}

TEST_CASE(xrstor_header_and_alignment_faults)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->xcr0 = XCR0_X87 | XCR0_SSE;
    memset(fake_ram + AREA, 0, 1024);
    pw32(AREA + 24, MXCSR_RESET);
    EXPECT_OK(cpu, helper_xrstor(cpu, AREA, 3, X86_MMU_SUPER));
    EXPECT_EXC(cpu, helper_xrstor(cpu, AREA + 16, 3, X86_MMU_SUPER), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, helper_xsave(cpu, AREA + 32, 3, X86_MMU_SUPER), X86_EXCP_GP, 0);
    pw64(AREA + 512, 4);                     /* XSTATE_BV bit outside XCR0 */
    EXPECT_EXC(cpu, helper_xrstor(cpu, AREA, 3, X86_MMU_SUPER), X86_EXCP_GP, 0);
    pw64(AREA + 512, 0);
    pw64(AREA + 520, 1ull << 63);            /* compacted form: not supported */
    EXPECT_EXC(cpu, helper_xrstor(cpu, AREA, 3, X86_MMU_SUPER), X86_EXCP_GP, 0);
    pw64(AREA + 520, 0);
    pw64(AREA + 528, 1);                     /* bytes 16-23 of the header */
    EXPECT_EXC(cpu, helper_xrstor(cpu, AREA, 3, X86_MMU_SUPER), X86_EXCP_GP, 0);
    pw64(AREA + 528, 0);
    pw64(AREA + 536, 1);                     /* bytes 24-63: ignored */
    EXPECT_OK(cpu, helper_xrstor(cpu, AREA, 3, X86_MMU_SUPER));
    pw32(AREA + 24, 0x10000);                /* bad MXCSR: only checked with SSE requested */
    EXPECT_OK(cpu, helper_xrstor(cpu, AREA, 1, X86_MMU_SUPER));
    EXPECT_EXC(cpu, helper_xrstor(cpu, AREA, 2, X86_MMU_SUPER), X86_EXCP_GP, 0);
}

TEST_CASE(xsaveopt_skips_components_in_initial_state)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->xcr0 = XCR0_X87 | XCR0_SSE;
    memset(fake_ram + AREA, 0, 1024);
    pw32(AREA + 24, 0);                      /* MXCSR 0 after XRSTOR; XMM in init state */
    EXPECT_OK(cpu, helper_xrstor(cpu, AREA, 3, X86_MMU_SUPER));
    cpu->mxcsr = MXCSR_RESET;
    memset(fake_ram + AREA, 0xaa, 1024);
    EXPECT_OK(cpu, helper_xsaveopt(cpu, AREA, 3, X86_MMU_SUPER));
    CHECK_EQ(pr64(AREA), 0xaaaaaaaaaaaaaaaaull);              /* x87 not written */
    CHECK_EQ(pr64(AREA + 160), 0xaaaaaaaaaaaaaaaaull);        /* XMM not written */
    CHECK_EQ(pr64(AREA + 24), MXCSR_RESET | (uint64_t)MXCSR_WRITABLE << 32);
    CHECK_EQ(pr64(AREA + 512), 0xaaaaaaaaaaaaaaa8ull);
    cpu->xmm[3].q[1] = 1;
    EXPECT_OK(cpu, helper_xsaveopt(cpu, AREA, 3, X86_MMU_SUPER));
    CHECK_EQ(pr64(AREA + 160 + 48 + 8), 1);
    CHECK_EQ(pr64(AREA + 512), 0xaaaaaaaaaaaaaaaaull);
}

TEST_CASE(mmx_transition_and_emms)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->fpstt = 5;
    cpu->fptag_valid = 0xe0;
    EXPECT_OK(cpu, helper_mmx_enter(cpu));
    CHECK_EQ(cpu->fpstt, 0);
    CHECK_EQ(cpu->fptag_valid, 0xff);
    cpu->fpstt = 3;
    EXPECT_OK(cpu, helper_emms(cpu));
    CHECK_EQ(cpu->fpstt, 0);
    CHECK_EQ(cpu->fptag_valid, 0);
    /* a pending unmasked x87 exception: #MF first, nothing changed */
    cpu->cr[0] |= CR0_NE;
    cpu->fpuc = 0x037e;                      /* IM unmasked */
    cpu->fpus = 0x0001;                      /* IE set */
    cpu->fpstt = 2;
    EXPECT_EXC(cpu, helper_mmx_enter(cpu), X86_EXCP_MF, 0);
    CHECK_EQ(cpu->fpstt, 2);
    EXPECT_EXC(cpu, helper_emms(cpu), X86_EXCP_MF, 0);
    cpu->fpuc = 0x037f;
    EXPECT_OK(cpu, helper_mmx_enter(cpu));
}

TEST_CASE(maskmov_stores_selected_bytes)
{
    X86CPU *cpu = fake_cpu("qemu64");
    memset(fake_ram + AREA, 0x11, 32);
    for (unsigned i = 0; i < 16; i++) {
        cpu->xmm[1].b[i] = (uint8_t)(0xa0 + i);
        cpu->xmm[2].b[i] = (i & 1) ? 0x80 : 0x7f;
    }
    EXPECT_OK(cpu, helper_maskmov_xmm(cpu, sse_xmm_offset(1), sse_xmm_offset(2), AREA,
                                      X86_MMU_SUPER));
    for (unsigned i = 0; i < 16; i++) {
        CHECK_EQ(pr8(AREA + i), (i & 1) ? 0xa0 + i : 0x11);
    }
    cpu->fpregs[0].mant = 0x0102030405060708ull;
    cpu->fpregs[1].mant = 0x8000000000000080ull;
    EXPECT_OK(cpu, helper_maskmov_mmx(cpu, sse_mmx_offset(0), sse_mmx_offset(1), AREA + 16,
                                      X86_MMU_SUPER));
    CHECK_EQ(pr64(AREA + 16), 0x0111111111111108ull);
}

int main(void)
{
    RUN(fxsave_image_matches_host_after_fxrstor);
    RUN(fxsave_outside_64bit_mode_keeps_xmm8_15_area);
    RUN(fxsave_fxrstor_faults);
    RUN(ldmxcsr_checks_reserved_bits);
    RUN(xsave_xrstor_match_host);
    RUN(xrstor_header_and_alignment_faults);
    RUN(xsaveopt_skips_components_in_initial_state);
    RUN(mmx_transition_and_emms);
    RUN(maskmov_stores_selected_bytes);
    TEST_EXIT();
}
