/*
 * Proves cpu/x86/seg.c against SDM vol. 2 (MOV/POP Sreg, LLDT, LTR, LAR,
 * LSL, VERR, VERW, ARPL, LGDT/SGDT) and vol. 3 ch. 5: null selectors in DS
 * and SS, DPL/RPL/CPL combinations, conforming code, #NP/#SS/#GP with the
 * selector error code, accessed and busy bits, real-mode and VM86 loads, the
 * TSS I/O bitmap, and what the loads do to the translation flags.
 */
#include "x86_fake_env.h"

#define GDT 0x1000
#define LDT 0x3000
#define TSS 0x4000

enum {
    S_CODE0 = 0x08, S_DATA0 = 0x10, S_CODE3 = 0x18, S_DATA3 = 0x20, S_NP = 0x28,
    S_CONF = 0x30, S_XONLY = 0x38, S_RODATA = 0x40, S_LDT = 0x48, S_TSS = 0x50,
    S_SMALL = 0x58, S_GATE = 0x60, S_CODE64 = 0x68,
};

static X86CPU *pm32(int cpl)
{
    X86CPU *cpu = fake_cpu("qemu64");
    pw64(GDT + S_CODE0, seg_desc(0, 0xfffff, 0x9a, 0xc));
    pw64(GDT + S_DATA0, seg_desc(0, 0xfffff, 0x92, 0xc));
    pw64(GDT + S_CODE3, seg_desc(0, 0xfffff, 0xfa, 0xc));
    pw64(GDT + S_DATA3, seg_desc(0, 0xfffff, 0xf2, 0xc));
    pw64(GDT + S_NP, seg_desc(0, 0xfffff, 0x12, 0xc));
    pw64(GDT + S_CONF, seg_desc(0, 0xfffff, 0x9e, 0xc));
    pw64(GDT + S_XONLY, seg_desc(0, 0xfffff, 0x98, 0xc));
    pw64(GDT + S_RODATA, seg_desc(0, 0xfffff, 0x90, 0xc));
    pw64(GDT + S_LDT, seg_desc(LDT, 0x17, 0x82, 0));
    pw64(GDT + S_TSS, seg_desc(TSS, 0x67 + 0x2000 / 8 + 1, 0x89, 0));
    pw64(GDT + S_SMALL, seg_desc(0x12345, 0xfff, 0x92, 0x4));
    pw64(GDT + S_GATE, gate_desc(S_CODE0, 0x1000, 0xe, 3, 0));
    pw64(GDT + S_CODE64, seg_desc(0, 0xfffff, 0x9a, 0xa));
    cpu->gdt.base = GDT;
    cpu->gdt.limit = 0x70 - 1;
    cpu->cr[0] |= CR0_PE;
    X86Segment code = { cpl ? S_CODE3 | 3 : S_CODE0, 0, 0xffffffff,
                        SEGF_P | SEGF_S | SEGF_TYPE(0xb) | SEGF_DPL(cpl) | SEGF_DB | SEGF_G };
    X86Segment data = { cpl ? S_DATA3 | 3 : S_DATA0, 0, 0xffffffff,
                        SEGF_P | SEGF_S | SEGF_TYPE(0x3) | SEGF_DPL(cpl) | SEGF_DB | SEGF_G };
    cpu->segs[SEG_CS] = code;
    cpu->segs[SEG_SS] = cpu->segs[SEG_DS] = cpu->segs[SEG_ES] = data;
    cpu->segs[SEG_FS] = cpu->segs[SEG_GS] = data;
    cpu->segs[SEG_LDTR] = (X86Segment){ 0, 0, 0, 0 };
    x86_update_hflags(cpu);
    return cpu;
}

TEST_CASE(data_load_fills_cache_and_sets_accessed)
{
    X86CPU *cpu = pm32(0);
    CHECK(!(cpu->hflags & (X86_HF_ADDSEG | X86_HF_NOTFLAT)));
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_DS, S_SMALL, 0));
    X86Segment *ds = &cpu->segs[SEG_DS];
    CHECK_EQ(ds->selector, S_SMALL);
    CHECK_EQ(ds->base, 0x12345);
    CHECK_EQ(ds->limit, 0xfff);
    CHECK_EQ(ds->flags, SEGF_P | SEGF_S | SEGF_TYPE(3) | SEGF_DB);
    CHECK_EQ(pr8(GDT + S_SMALL + 5), 0x93);     /* accessed bit written back */
    CHECK(cpu->hflags & X86_HF_ADDSEG);
    CHECK(cpu->hflags & X86_HF_NOTFLAT);
    /* Page-granular limit. */
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_ES, S_DATA3, 0));
    CHECK_EQ(cpu->segs[SEG_ES].limit, 0xffffffff);
}

TEST_CASE(null_selector_ds_fine_ss_gp)
{
    X86CPU *cpu = pm32(3);
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_DS, 3, 0));
    CHECK_EQ(cpu->segs[SEG_DS].selector, 3);
    CHECK_EQ(cpu->segs[SEG_DS].flags & SEGF_P, 0);    /* unusable */
    CHECK(cpu->hflags & X86_HF_NOTFLAT);             /* accesses must be checked */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, 3, 0), X86_EXCP_GP, 0);
    cpu = pm32(0);
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, 0, 0), X86_EXCP_GP, 0);
}

TEST_CASE(null_ss_in_64bit_mode_only_below_cpl3)
{
    X86CPU *cpu = pm32(0);
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->segs[SEG_CS].flags = (cpu->segs[SEG_CS].flags & ~SEGF_DB) | SEGF_L;
    x86_update_hflags(cpu);
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_SS, 0, 0));
    CHECK_EQ(x86_cpl(cpu), 0);                       /* CPL survives the null SS */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, 3, 0), X86_EXCP_GP, 0);   /* RPL != CPL */
    cpu->segs[SEG_SS].flags |= SEGF_DPL(3);
    x86_update_hflags(cpu);
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, 3, 0), X86_EXCP_GP, 0);
}

TEST_CASE(data_privilege_rules)
{
    X86CPU *cpu = pm32(3);
    /* DPL 0 data from CPL 3: #GP(selector). */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_DS, S_DATA0 | 3, 0), X86_EXCP_GP, S_DATA0);
    /* Conforming readable code: no privilege check for data loads. */
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_DS, S_CONF | 3, 0));
    cpu = pm32(0);
    /* RPL > DPL: #GP. */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_FS, S_DATA0 | 3, 0), X86_EXCP_GP, S_DATA0);
    /* DPL 3 data at CPL 0 is fine. */
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_FS, S_DATA3, 0));
    /* Execute-only code cannot be read: #GP. */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_GS, S_XONLY, 0), X86_EXCP_GP, S_XONLY);
    /* System descriptors are not data: #GP. */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_GS, S_TSS, 0), X86_EXCP_GP, S_TSS);
    /* Not present: #NP(selector), after the type checks. */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_DS, S_NP, 0), X86_EXCP_NP, S_NP);
    /* Beyond the GDT limit: #GP(selector). */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_DS, 0x100, 0), X86_EXCP_GP, 0x100);
    /* LDT selector without an LDT: #GP with the TI bit in the error code. */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_DS, 0x0f, 0), X86_EXCP_GP, 0x0c);
}

TEST_CASE(ss_rules)
{
    X86CPU *cpu = pm32(0);
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_SS, S_DATA0, 0));
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, S_DATA0 | 3, 0), X86_EXCP_GP, S_DATA0);  /* RPL != CPL */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, S_DATA3, 0), X86_EXCP_GP, S_DATA3);      /* DPL != CPL */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, S_RODATA, 0), X86_EXCP_GP, S_RODATA);    /* not writable */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, S_CODE0, 0), X86_EXCP_GP, S_CODE0);
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_SS, S_NP, 0), X86_EXCP_SS, S_NP);            /* #SS, not #NP */
    /* A 16-bit stack segment turns SS32 off. */
    pw64(GDT + S_DATA0, seg_desc(0, 0xffff, 0x92, 0));
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_SS, S_DATA0, 0));
    CHECK(!(cpu->hflags & X86_HF_SS32));
}

TEST_CASE(real_mode_and_vm86_loads)
{
    X86CPU *cpu = fake_cpu("qemu64");
    cpu->segs[SEG_DS].limit = 0xffffffff;           /* "unreal" mode */
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_DS, 0x1234, 0));
    CHECK_EQ(cpu->segs[SEG_DS].base, 0x12340);
    CHECK_EQ(cpu->segs[SEG_DS].limit, 0xffffffff);  /* real mode keeps limit/attributes */
    CHECK(cpu->hflags & X86_HF_ADDSEG);
    cpu = pm32(0);
    x86_load_eflags(cpu, X86_EFLAGS_VM, X86_EFLAGS_VM);
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_ES, 0xb800, 0));
    CHECK_EQ(cpu->segs[SEG_ES].base, 0xb8000);
    CHECK_EQ(cpu->segs[SEG_ES].limit, 0xffff);
    CHECK_EQ(SEGF_DPL(3) & cpu->segs[SEG_ES].flags, SEGF_DPL(3));
}

TEST_CASE(lldt_and_ldt_selectors)
{
    X86CPU *cpu = pm32(0);
    pw64(LDT + 8, seg_desc(0x5000, 0xffff, 0xf2, 0));     /* LDT entry 1: DPL 3 data */
    EXPECT_EXC(cpu, x86_helper_lldt(cpu, S_TSS, 0), X86_EXCP_GP, S_TSS);   /* not an LDT */
    EXPECT_EXC(cpu, x86_helper_lldt(cpu, 0x0c, 0), X86_EXCP_GP, 0x0c);     /* TI = 1 */
    EXPECT_OK(cpu, x86_helper_lldt(cpu, S_LDT, 0));
    CHECK_EQ(cpu->segs[SEG_LDTR].base, LDT);
    CHECK_EQ(cpu->segs[SEG_LDTR].limit, 0x17);
    EXPECT_OK(cpu, x86_load_seg(cpu, SEG_DS, 0x0f, 0));
    CHECK_EQ(cpu->segs[SEG_DS].base, 0x5000);
    /* Entry 3 lies beyond the LDT limit (0x17). */
    EXPECT_EXC(cpu, x86_load_seg(cpu, SEG_DS, 0x1f, 0), X86_EXCP_GP, 0x1c);
    /* Null LDTR is allowed; CPL 3 is not. */
    EXPECT_OK(cpu, x86_helper_lldt(cpu, 0, 0));
    cpu = pm32(3);
    EXPECT_EXC(cpu, x86_helper_lldt(cpu, S_LDT, 0), X86_EXCP_GP, 0);
}

TEST_CASE(ltr_marks_busy)
{
    X86CPU *cpu = pm32(0);
    EXPECT_EXC(cpu, x86_helper_ltr(cpu, 0, 0), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, x86_helper_ltr(cpu, S_DATA0, 0), X86_EXCP_GP, S_DATA0);
    EXPECT_OK(cpu, x86_helper_ltr(cpu, S_TSS, 0));
    CHECK_EQ(pr8(GDT + S_TSS + 5), 0x8b);            /* type 9 -> 11 (busy) */
    CHECK_EQ(cpu->segs[SEG_TR].base, TSS);
    CHECK_EQ(cpu->segs[SEG_TR].flags & 0xf, 11);
    EXPECT_EXC(cpu, x86_helper_ltr(cpu, S_TSS, 0), X86_EXCP_GP, S_TSS);   /* busy now */
}

TEST_CASE(lar_lsl_verr_verw)
{
    X86CPU *cpu = pm32(0);
    uint32_t v = 0;
    bool zf = false;
    EXPECT_OK(cpu, zf = x86_helper_lar(cpu, S_SMALL, &v, 0));
    CHECK(zf);
    CHECK_EQ(v, 0x00409200);                         /* high dword & 0x00F0FF00 */
    EXPECT_OK(cpu, zf = x86_helper_lsl(cpu, S_CODE0, &v, 0));
    CHECK(zf);
    CHECK_EQ(v, 0xffffffff);                         /* G applied */
    EXPECT_OK(cpu, zf = x86_helper_lsl(cpu, S_LDT, &v, 0));
    CHECK(zf);
    CHECK_EQ(v, 0x17);
    /* Gates have access rights (LAR) but no limit (LSL); interrupt gates neither. */
    EXPECT_OK(cpu, zf = x86_helper_lsl(cpu, S_GATE, &v, 0));
    CHECK(!zf);
    EXPECT_OK(cpu, zf = x86_helper_lar(cpu, S_GATE, &v, 0));
    CHECK(!zf);
    EXPECT_OK(cpu, zf = x86_helper_lar(cpu, 0, &v, 0));
    CHECK(!zf);
    EXPECT_OK(cpu, zf = x86_helper_lar(cpu, 0x200, &v, 0));   /* beyond the limit: no fault */
    CHECK(!zf);
    EXPECT_OK(cpu, zf = x86_helper_verr(cpu, S_XONLY, 0));
    CHECK(!zf);
    EXPECT_OK(cpu, zf = x86_helper_verr(cpu, S_CONF, 0));
    CHECK(zf);
    EXPECT_OK(cpu, zf = x86_helper_verw(cpu, S_RODATA, 0));
    CHECK(!zf);
    EXPECT_OK(cpu, zf = x86_helper_verw(cpu, S_DATA0, 0));
    CHECK(zf);
    EXPECT_OK(cpu, zf = x86_helper_verw(cpu, S_CODE0, 0));
    CHECK(!zf);
    /* From CPL 3: DPL 0 is invisible, conforming code is not. */
    cpu = pm32(3);
    EXPECT_OK(cpu, zf = x86_helper_lar(cpu, S_DATA0 | 3, &v, 0));
    CHECK(!zf);
    EXPECT_OK(cpu, zf = x86_helper_lar(cpu, S_CONF | 3, &v, 0));
    CHECK(zf);
    EXPECT_OK(cpu, zf = x86_helper_verw(cpu, S_DATA3 | 3, 0));
    CHECK(zf);
    /* In real mode they are #UD. */
    cpu = fake_cpu("qemu64");
    EXPECT_EXC(cpu, x86_helper_verr(cpu, S_DATA0, 0), X86_EXCP_UD, 0);
}

TEST_CASE(arpl_raises_rpl)
{
    bool zf;
    CHECK_EQ(x86_arpl(0x10, 0x23, &zf), 0x13);
    CHECK(zf);
    CHECK_EQ(x86_arpl(0x13, 0x21, &zf), 0x13);
    CHECK(!zf);
}

TEST_CASE(io_permission_bitmap)
{
    X86CPU *cpu = pm32(0);
    EXPECT_OK(cpu, x86_helper_ltr(cpu, S_TSS, 0));
    pw16(TSS + 0x66, 0x68);                          /* bitmap right after the TSS */
    pw8(TSS + 0x68 + 0x60 / 8, 1u << (0x60 % 8));    /* deny port 0x60 */
    pw8(TSS + 0x68 + 0x400 / 8, 1u);                 /* deny port 0x400 */
    /* CPL 0 <= IOPL 0: no bitmap check at all. */
    EXPECT_OK(cpu, x86_helper_check_io(cpu, 0x60, 1, 0));
    cpu->segs[SEG_SS].flags |= SEGF_DPL(3);
    x86_update_hflags(cpu);
    EXPECT_OK(cpu, x86_helper_check_io(cpu, 0x3f8, 1, 0));
    EXPECT_EXC(cpu, x86_helper_check_io(cpu, 0x60, 1, 0), X86_EXCP_GP, 0);
    EXPECT_EXC(cpu, x86_helper_check_io(cpu, 0x5f, 2, 0), X86_EXCP_GP, 0);   /* 0x5f-0x60 */
    EXPECT_EXC(cpu, x86_helper_check_io(cpu, 0x3ff, 2, 0), X86_EXCP_GP, 0);  /* crosses a byte */
    EXPECT_EXC(cpu, x86_helper_check_io(cpu, 0xfff8, 1, 0), X86_EXCP_GP, 0); /* beyond the limit */
    /* IOPL 3 skips the bitmap. */
    x86_load_eflags(cpu, X86_EFLAGS_IOPL, X86_EFLAGS_IOPL);
    EXPECT_OK(cpu, x86_helper_check_io(cpu, 0x60, 1, 0));
    /* ...except in VM86. */
    x86_load_eflags(cpu, X86_EFLAGS_VM, X86_EFLAGS_VM);
    EXPECT_EXC(cpu, x86_helper_check_io(cpu, 0x60, 4, 0), X86_EXCP_GP, 0);
}

TEST_CASE(lgdt_sgdt_operand_sizes)
{
    X86CPU *cpu = fake_cpu("qemu64");
    pw16(0x7000, 0x1234);
    pw32(0x7002, 0xaabbccdd);
    EXPECT_OK(cpu, x86_helper_lgdt(cpu, 0x7000, 2, 0));
    CHECK_EQ(cpu->gdt.base, 0xbbccdd);               /* 16-bit form: 24-bit base */
    CHECK_EQ(cpu->gdt.limit, 0x1234);
    EXPECT_OK(cpu, x86_helper_lidt(cpu, 0x7000, 4, 0));
    CHECK_EQ(cpu->idt.base, 0xaabbccdd);
    EXPECT_OK(cpu, x86_helper_sgdt(cpu, 0x7100, 0));
    CHECK_EQ(pr16(0x7100), 0x1234);
    CHECK_EQ(pr32(0x7102), 0xbbccdd);
    /* LGDT needs CPL 0 in protected mode; SGDT does not (no UMIP). */
    cpu = pm32(3);
    EXPECT_EXC(cpu, x86_helper_lgdt(cpu, 0x7000, 4, 0), X86_EXCP_GP, 0);
    EXPECT_OK(cpu, x86_helper_sgdt(cpu, 0x7100, 0));
    CHECK_EQ(pr16(0x7100), 0x70 - 1);
}

int main(void)
{
    RUN(data_load_fills_cache_and_sets_accessed);
    RUN(null_selector_ds_fine_ss_gp);
    RUN(null_ss_in_64bit_mode_only_below_cpl3);
    RUN(data_privilege_rules);
    RUN(ss_rules);
    RUN(real_mode_and_vm86_loads);
    RUN(lldt_and_ldt_selectors);
    RUN(ltr_marks_busy);
    RUN(lar_lsl_verr_verw);
    RUN(arpl_raises_rpl);
    RUN(io_permission_bitmap);
    RUN(lgdt_sgdt_operand_sizes);
    TEST_EXIT();
}
