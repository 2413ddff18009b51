/*
 * x86 translator, system side: CMP+Jcc becomes a compare-and-branch without
 * a flags helper; real-mode segmentation and limits; 32-bit code; #PF with
 * CR2 and error code; port I/O and the IOPL check; INT/IRET and SYSCALL/
 * SYSRET in 64-bit mode; HLT; single-step traps; the STI interrupt shadow;
 * CPUID/RDMSR. Expected values come from the SDM, not from the translator.
 */
#include "translate_harness.h"
#include "tcg/helper.h"

static ThResult res;
static uint8_t zero_window[TH_WINDOW_SIZE];

/* Run `code` (followed by HLT) in the given mode from `st`. */
static void run(ThMode mode, const ThCode *code, const ThState *st)
{
    th_run_guest(mode, code->b, code->n, st, zero_window, &res);
}

static ThState blank(void)
{
    ThState st;
    memset(&st, 0, sizeof(st));
    st.gpr[R_ESP] = TH_WINDOW + 0x1000;
    st.rflags = X86_EFLAGS_FIXED;
    return st;
}

/* ---- the shape of the IR --------------------------------------------------------- */

/* Translate the block at the code page and count ops of kind opc (or calls
 * to helper `name`). */
static int count_in_block(const ThCode *code, TCGOpcode opc, const char *helper)
{
    static TCGContext ctx;
    static bool init;
    X86CPU *c = th_cpu_new(TH_MODE64);
    memcpy(th_gcode, code->b, code->n);
    th_gcode[code->n] = 0xf4;
    c->rip = TH_CODE;
    if (!init) {
        tcg_context_init(&ctx, &tcg_interp_backend, &tcg_softmmu_ops);
        x86_tcg_frontend.init_globals();
        init = true;
    }
    static _Alignas(8) TranslationBlock tb;
    memset(&tb, 0, sizeof(tb));
    x86_tcg_frontend.get_tb_key(&c->common, &tb.pc, &tb.cs_base, &tb.flags);
    tb.phys_page2 = ~0ull;
    tcg_func_start(&ctx);
    x86_translate_block(&c->common, &tb, 64);
    int n = 0;
    for (TCGOp *op = ctx.first_op; op; op = op->next) {
        if (op->opc != opc) {
            continue;
        }
        if (helper) {
            const TCGHelperInfo *info =
                (const void *)(uintptr_t)op->args[op->nb_oargs + op->nb_iargs];
            n += strcmp(info->name, helper) == 0;
        } else {
            n++;
        }
    }
    return n;
}

TEST_CASE(cmp_jcc_is_compare_and_branch)
{
    ThCode c = { .n = 0 };
    /* cmp %rbx,%rax; jl +0 */
    TH_EMIT(&c, 0x48, 0x39, 0xd8, 0x7c, 0x00);
    CHECK_EQ(count_in_block(&c, INDEX_op_call, "cc_compute_all"), 0);
    CHECK_EQ(count_in_block(&c, INDEX_op_call, "cc_compute_cf"), 0);
    CHECK_EQ(count_in_block(&c, INDEX_op_brcond, NULL), 1);
    /* sub; jbe / add; jc / test; jg / dec; jz / and; setle: no flags helper */
    static const uint8_t seqs[][8] = {
        { 0x48, 0x29, 0xd8, 0x76, 0x00 }, { 0x48, 0x01, 0xd8, 0x72, 0x00 },
        { 0x48, 0x85, 0xd8, 0x7f, 0x00 }, { 0x48, 0xff, 0xc8, 0x74, 0x00 },
        { 0x21, 0xd8, 0x0f, 0x9e, 0xc1 },
    };
    for (unsigned i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        c.n = 0;
        th_emit(&c, seqs[i], 5);
        CHECK_EQ(count_in_block(&c, INDEX_op_call, "cc_compute_all"), 0);
    }
    /* the flags are needed whole only when cc_op is not known: PUSHF after a
     * jump target would need them, an ADC after ADD does not */
    c.n = 0;
    TH_EMIT(&c, 0x48, 0x01, 0xd8, 0x48, 0x11, 0xd1);   /* add; adc */
    CHECK_EQ(count_in_block(&c, INDEX_op_call, "cc_compute_cf"), 0);
}

/* ---- modes and segmentation ---------------------------------------------------------- */

TEST_CASE(real_mode_segments_and_limits)
{
    ThCode c = { .n = 0 };
    ThState st = blank();
    /* mov ax,0x1234; mov ds,ax; mov byte [0x10],0x5a; mov bx,[0x10]; push ds; pop es;
     * mov di,0x20; mov al,0x77; stosb */
    TH_EMIT(&c, 0xb8, 0x34, 0x12, 0x8e, 0xd8, 0xc6, 0x06, 0x10, 0x00, 0x5a,
            0x8b, 0x1e, 0x10, 0x00, 0x1e, 0x07, 0xbf, 0x20, 0x00, 0xb0, 0x77, 0xaa);
    st.gpr[R_ESP] = 0x8000;
    run(TH_MODE16_REAL, &c, &st);
    CHECK_EQ(res.vector, -1);
    CHECK_EQ(th_low[0x12350], 0x5a);
    CHECK_EQ(th_low[0x12360], 0x77);
    CHECK_EQ(res.st.gpr[R_EBX] & 0xffff, 0x005a);
    CHECK_EQ(res.st.gpr[R_EDI] & 0xffff, 0x21);
    CHECK_EQ(th_cpu.segs[SEG_ES].base, 0x12340);
    CHECK_EQ(res.st.gpr[R_ESP], 0x8000);

    /* A word at offset 0xffff crosses the 64 KiB limit: #GP(0). */
    c.n = 0;
    TH_EMIT(&c, 0x31, 0xc0, 0x8b, 0x1e, 0xff, 0xff);   /* xor ax,ax; mov bx,[0xffff] */
    run(TH_MODE16_REAL, &c, &st);
    CHECK_EQ(res.vector, X86_EXCP_GP);
    CHECK_EQ(res.st.rip, TH_CODE + 2);

    /* 16-bit wrap of the effective address: [bx+si] with bx+si > 0xffff. */
    c.n = 0;
    TH_EMIT(&c, 0xbb, 0xf0, 0xff, 0xbe, 0x20, 0x00, 0xc6, 0x00, 0x99);  /* mov [bx+si],0x99 */
    run(TH_MODE16_REAL, &c, &st);
    CHECK_EQ(res.vector, -1);
    CHECK_EQ(th_low[0x10], 0x99);
}

TEST_CASE(protected_mode_32)
{
    ThCode c = { .n = 0 };
    ThState st = blank();
    st.gpr[R_EAX] = 0x11111111ffffffffull;
    /* inc eax (0x40 is INC outside 64-bit mode); push eax; pop ebx; call +0; pop ecx;
     * movsx edx, byte [ecx-1] */
    TH_EMIT(&c, 0x40, 0x50, 0x5b, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x59, 0x0f, 0xbe, 0x51, 0xff);
    run(TH_MODE32, &c, &st);
    CHECK_EQ(res.vector, -1);
    CHECK_EQ(res.st.gpr[R_EAX], 0);
    CHECK_EQ(res.st.gpr[R_EBX], 0);
    CHECK_EQ(res.st.gpr[R_ECX], TH_CODE + 8);
    CHECK_EQ(res.st.gpr[R_EDX], 0);                        /* the last byte of the call */
    CHECK(res.st.rflags & X86_EFLAGS_ZF);
    CHECK(!(res.st.rflags & X86_EFLAGS_CF));               /* INC keeps CF (clear before) */
}

/* Segmented 32-bit protected mode: bases added, limits checked (expand-up
 * data, expand-down data, the stack segment raising #SS). */
TEST_CASE(protected_mode_segment_limits)
{
    ThCode c = { .n = 0 };
    TH_EMIT(&c, 0x89, 0x05, 0x10, 0x00, 0x00, 0x00);   /* mov [0x10], eax */
    X86CPU *cpu = th_cpu_new(TH_MODE32);
    memcpy(th_gcode, c.b, c.n);
    th_gcode[c.n] = 0xf4;
    cpu->segs[SEG_DS] = (X86Segment){ 0x10, 0x3000, 0xfff,
                                      SEGF_P | SEGF_S | SEGF_TYPE(3) | SEGF_DB };
    cpu->regs[R_EAX] = 0x11223344;
    cpu->rip = TH_CODE;
    x86_update_hflags(cpu);
    CHECK(cpu->hflags & X86_HF_NOTFLAT);
    int vec;
    CHECK_EQ(th_exec(cpu, &vec), TH_STOP_HALT);
    CHECK_EQ(th_low[0x3010], 0x44);
    CHECK_EQ(th_low[0x3013], 0x11);

    /* a dword at 0xffe crosses the limit 0xfff: #GP(0) */
    c.n = 0;
    TH_EMIT(&c, 0x8b, 0x05, 0xfe, 0x0f, 0x00, 0x00);   /* mov eax, [0xffe] */
    memcpy(th_gcode, c.b, c.n);
    th_gcode[c.n] = 0xf4;
    cpu->rip = TH_CODE;
    CHECK_EQ(th_exec(cpu, &vec), TH_STOP_EXCEPTION);
    CHECK_EQ(vec, X86_EXCP_GP);
    CHECK_EQ(cpu->rip, TH_CODE);

    /* expand-down (limit 0xfff, 32-bit): offsets 0x1000.. are valid, 0xff0 is not */
    cpu->segs[SEG_DS].flags = SEGF_P | SEGF_S | SEGF_TYPE(7) | SEGF_DB;
    cpu->segs[SEG_DS].base = 0;
    c.n = 0;
    TH_EMIT(&c, 0xc6, 0x05, 0x00, 0x40, 0x00, 0x00, 0x5a);   /* mov byte [0x4000], 0x5a */
    TH_EMIT(&c, 0xc6, 0x05, 0xf0, 0x0f, 0x00, 0x00, 0x5b);   /* mov byte [0xff0], 0x5b */
    memcpy(th_gcode, c.b, c.n);
    th_gcode[c.n] = 0xf4;
    cpu->rip = TH_CODE;
    CHECK_EQ(th_exec(cpu, &vec), TH_STOP_EXCEPTION);
    CHECK_EQ(vec, X86_EXCP_GP);
    CHECK_EQ(cpu->rip, TH_CODE + 7);
    CHECK_EQ(th_low[0x4000], 0x5a);

    /* a push below a 16-bit stack segment's limit... past it: #SS(0) */
    cpu->segs[SEG_SS] = (X86Segment){ 0x10, 0x5000, 0xff, SEGF_P | SEGF_S | SEGF_TYPE(3) };
    cpu->regs[R_ESP] = 0x102;   /* SP 0x102 - 4 = 0xfe: the dword ends at 0x101 */
    c.n = 0;
    TH_EMIT(&c, 0x50);   /* push eax */
    memcpy(th_gcode, c.b, c.n);
    th_gcode[c.n] = 0xf4;
    cpu->rip = TH_CODE;
    x86_update_hflags(cpu);
    CHECK_EQ(th_exec(cpu, &vec), TH_STOP_EXCEPTION);
    CHECK_EQ(vec, X86_EXCP_SS);
    CHECK_EQ(cpu->regs[R_ESP], 0x102);
}

TEST_CASE(page_fault_reports_cr2_and_error)
{
    ThCode c = { .n = 0 };
    ThState st = blank();
    /* mov rax, 0x08003010; mov [rax], ebx  -> not present, write */
    th_mov_imm(&c, R_EAX, TH_WINDOW + 0x3010);
    TH_EMIT(&c, 0x89, 0x18);
    run(TH_MODE64, &c, &st);
    CHECK_EQ(res.vector, X86_EXCP_PF);
    CHECK_EQ(th_cpu.exception.cr2, TH_WINDOW + 0x3010);
    CHECK_EQ(th_cpu.exception.error_code, X86_PF_W);
    CHECK_EQ(res.st.rip, TH_CODE + 10);

    /* Non-canonical: #GP(0). */
    c.n = 0;
    th_mov_imm(&c, R_EAX, 0x0000800000000000ull);
    TH_EMIT(&c, 0x8b, 0x18);
    run(TH_MODE64, &c, &st);
    CHECK_EQ(res.vector, X86_EXCP_GP);
    CHECK_EQ(th_cpu.exception.error_code, 0);
}

/* ---- port I/O ------------------------------------------------------------------------ */

static uint64_t io_last_value;
static unsigned io_last_size, io_writes;
static uint64_t io_port_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    return 0xa0 + offset + size;
}
static void io_port_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    (void)opaque;
    (void)offset;
    io_last_value = value;
    io_last_size = size;
    io_writes++;
}
static const MemoryRegionOps io_ops = { io_port_read, io_port_write, 1, 4 };

TEST_CASE(port_io)
{
    static bool mapped;
    th_init_once();
    if (!mapped) {
        as_map_io(th_machine.io, "test-port", 0x300, 16, &io_ops, NULL);
        mapped = true;
    }
    ThCode c = { .n = 0 };
    ThState st = blank();
    /* mov dx,0x304; in al,dx; mov ebx,eax; mov eax,0x12345678; out dx,eax; in ax,dx */
    TH_EMIT(&c, 0x66, 0xba, 0x04, 0x03, 0xec, 0x89, 0xc3, 0xb8, 0x78, 0x56, 0x34, 0x12, 0xef,
            0x66, 0xed);
    io_writes = 0;
    run(TH_MODE64, &c, &st);
    CHECK_EQ(res.vector, -1);
    CHECK_EQ(res.st.gpr[R_EBX] & 0xff, 0xa0 + 4 + 1);
    CHECK_EQ(io_writes, 1);
    CHECK_EQ(io_last_value, 0x12345678);
    CHECK_EQ(io_last_size, 4);
    CHECK_EQ(res.st.gpr[R_EAX], 0x1234 << 16 | (0xa0 + 4 + 2));

    /* rep outsb: three bytes from memory. */
    c.n = 0;
    th_mov_imm(&c, R_ESI, TH_WINDOW + 0x100);
    th_mov_imm(&c, R_ECX, 3);
    TH_EMIT(&c, 0x66, 0xba, 0x00, 0x03, 0xf3, 0x6e);
    io_writes = 0;
    zero_window[0x102] = 0x42;
    run(TH_MODE64, &c, &st);
    zero_window[0x102] = 0;
    CHECK_EQ(res.vector, -1);
    CHECK_EQ(io_writes, 3);
    CHECK_EQ(io_last_value, 0x42);
    CHECK_EQ(res.st.gpr[R_ESI], TH_WINDOW + 0x103);
}

TEST_CASE(io_needs_iopl_or_bitmap)
{
    ThCode c = { .n = 0 };
    ThState st = blank();
    TH_EMIT(&c, 0xe4, 0x80);   /* in al, 0x80 */
    /* CPL 3 with IOPL 0 and a TSS whose I/O map base is past its limit: #GP(0). */
    X86CPU *cpu = th_cpu_new(TH_MODE64);
    (void)cpu;
    th_cpu.segs[SEG_TR] = (X86Segment){ 0x38, 0, 0x67, SEGF_P | SEGF_TYPE(0xb) };
    th_low[0x66] = 0x68;   /* I/O map base = the limit + 1 */
    th_low[0x67] = 0x00;
    memcpy(th_gcode, c.b, c.n);
    th_gcode[c.n] = 0xf4;
    th_cpu.segs[SEG_CS] = (X86Segment){ TH_SEL_CODE3_64, 0, 0xffffffff,
                                        SEGF_P | SEGF_S | SEGF_TYPE(0xb) | SEGF_L | SEGF_G |
                                        SEGF_DPL(3) };
    th_cpu.segs[SEG_SS] = (X86Segment){ TH_SEL_DATA3, 0, 0xffffffff,
                                        SEGF_P | SEGF_S | SEGF_TYPE(3) | SEGF_DB | SEGF_G |
                                        SEGF_DPL(3) };
    th_cpu.rip = TH_CODE;
    x86_update_hflags(&th_cpu);
    int vec;
    ThStop stop = th_exec(&th_cpu, &vec);
    CHECK_EQ(stop, TH_STOP_EXCEPTION);
    CHECK_EQ(vec, X86_EXCP_GP);
    CHECK_EQ(th_cpu.rip, TH_CODE);

    /* The same with a bitmap that clears port 0x80: allowed (then HLT #GPs). */
    th_cpu.segs[SEG_TR].limit = 0x68 + 0x20;
    memset(th_low + 0x68, 0xff, 0x21);
    th_low[0x68 + 0x80 / 8] = 0xfe;
    th_cpu.rip = TH_CODE;
    stop = th_exec(&th_cpu, &vec);
    CHECK_EQ(stop, TH_STOP_EXCEPTION);
    CHECK_EQ(vec, X86_EXCP_GP);
    CHECK_EQ(th_cpu.rip, TH_CODE + 2);
    (void)st;
}

/* ---- events ------------------------------------------------------------------------------ */

static void idt64_gate(int vec, uint64_t off)
{
    uint64_t lo = (off & 0xffff) | (uint64_t)TH_SEL_CODE64 << 16 | (uint64_t)0x8e << 40 |
                  ((off >> 16) & 0xffff) << 48;
    th_pw64(TH_IDT + 16 * (unsigned)vec, lo);
    th_pw64(TH_IDT + 16 * (unsigned)vec + 8, off >> 32);
}

TEST_CASE(int_and_iretq)
{
    ThCode c = { .n = 0 };
    ThState st = blank();
    /* main: int 0x40; mov rbx, rax; hlt.  handler at +0x100: mov eax, 0x77; iretq */
    TH_EMIT(&c, 0xcd, 0x40, 0x48, 0x89, 0xc3, 0xf4);
    while (c.n < 0x100) th_emit_u8(&c, 0x90);
    TH_EMIT(&c, 0xb8, 0x77, 0, 0, 0, 0x48, 0xcf);
    X86CPU *cpu = th_cpu_new(TH_MODE64);
    memcpy(th_gcode, c.b, c.n);
    idt64_gate(0x40, TH_CODE + 0x100);
    cpu->idt = (X86DescTable){ TH_IDT, 256 * 16 - 1 };
    memcpy(cpu->regs, st.gpr, sizeof(cpu->regs));
    cpu->rip = TH_CODE;
    int vec;
    ThStop stop = th_exec(cpu, &vec);
    CHECK_EQ(stop, TH_STOP_HALT);
    CHECK_EQ(cpu->regs[R_EBX], 0x77);
    CHECK_EQ(cpu->rip, TH_CODE + 6);
    CHECK_EQ(cpu->regs[R_ESP], TH_WINDOW + 0x1000);
}

TEST_CASE(syscall_and_sysret)
{
    ThCode c = { .n = 0 };
    /* user: syscall; mov rbx, rcx; hlt would #GP at CPL 3 -> ends the run.
     * kernel at +0x100: mov eax, 0x55; sysretq */
    TH_EMIT(&c, 0x0f, 0x05, 0x48, 0x89, 0xcb);
    th_emit_u8(&c, 0xf4);
    while (c.n < 0x100) th_emit_u8(&c, 0x90);
    TH_EMIT(&c, 0xb8, 0x55, 0, 0, 0, 0x48, 0x0f, 0x07);
    X86CPU *cpu = th_cpu_new(TH_MODE64);
    memcpy(th_gcode, c.b, c.n);
    cpu->msr.lstar = TH_CODE + 0x100;
    cpu->msr.star = (uint64_t)0x18 << 48 | (uint64_t)TH_SEL_CODE64 << 32;
    cpu->msr.fmask = X86_EFLAGS_TF | X86_EFLAGS_IF;
    cpu->segs[SEG_CS] = (X86Segment){ TH_SEL_CODE3_64, 0, 0xffffffff,
                                      SEGF_P | SEGF_S | SEGF_TYPE(0xb) | SEGF_L | SEGF_G |
                                      SEGF_DPL(3) };
    cpu->segs[SEG_SS] = (X86Segment){ TH_SEL_DATA3, 0, 0xffffffff,
                                      SEGF_P | SEGF_S | SEGF_TYPE(3) | SEGF_DB | SEGF_G |
                                      SEGF_DPL(3) };
    cpu->rip = TH_CODE;
    x86_update_hflags(cpu);
    int vec;
    ThStop stop = th_exec(cpu, &vec);
    /* back at CPL 3 after SYSRET, HLT is privileged: #GP(0) at the HLT */
    CHECK_EQ(stop, TH_STOP_EXCEPTION);
    CHECK_EQ(vec, X86_EXCP_GP);
    CHECK_EQ(cpu->rip, TH_CODE + 5);
    CHECK_EQ(cpu->regs[R_EAX], 0x55);
    CHECK_EQ(cpu->regs[R_EBX], TH_CODE + 2);
    CHECK_EQ(x86_cpl(cpu), 3);
    CHECK_EQ(cpu->segs[SEG_CS].selector, (0x18 + 16) | 3);
}

TEST_CASE(hlt_and_single_step)
{
    ThCode c = { .n = 0 };
    ThState st = blank();
    TH_EMIT(&c, 0x90);
    run(TH_MODE64, &c, &st);
    CHECK_EQ(res.vector, -1);
    CHECK(th_cpu.common.halted);
    CHECK_EQ(th_cpu.rip, TH_CODE + 2);

    /* TF: a #DB trap after the first instruction, rip at the second. */
    c.n = 0;
    TH_EMIT(&c, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0);   /* inc rax; inc rax */
    st.rflags |= X86_EFLAGS_TF;
    X86CPU *cpu = th_cpu_new(TH_MODE64);
    memcpy(th_gcode, c.b, c.n);
    memcpy(cpu->regs, st.gpr, sizeof(cpu->regs));
    cpu->rip = TH_CODE;
    x86_load_eflags(cpu, X86_EFLAGS_TF, X86_EFLAGS_TF);
    int vec;
    ThStop stop = th_exec(cpu, &vec);
    CHECK_EQ(stop, TH_STOP_EXCEPTION);
    CHECK_EQ(vec, X86_EXCP_DB);
    CHECK_EQ(cpu->rip, TH_CODE + 3);
    CHECK_EQ(cpu->regs[R_EAX], 1);
    CHECK(cpu->dr[6] & (1u << 14));
}

static int ack_calls;
static int test_ack(void *opaque)
{
    (void)opaque;
    ack_calls++;
    cpu_reset_interrupt(&th_cpu.common, CPU_INTERRUPT_HARD);
    return 0x41;
}

/* STI opens a one-instruction shadow: a pending interrupt is taken after the
 * instruction that follows STI, not before it. */
TEST_CASE(sti_interrupt_shadow)
{
    ThCode c = { .n = 0 };
    /* sti; mov eax,1; mov ebx,2; hlt     handler (+0x100): mov ecx,ebx; mov edx,eax; iretq */
    TH_EMIT(&c, 0xfb, 0xb8, 1, 0, 0, 0, 0xbb, 2, 0, 0, 0, 0xf4);
    while (c.n < 0x100) th_emit_u8(&c, 0x90);
    TH_EMIT(&c, 0x89, 0xd9, 0x89, 0xc2, 0x48, 0xcf);
    X86CPU *cpu = th_cpu_new(TH_MODE64);
    memcpy(th_gcode, c.b, c.n);
    idt64_gate(0x41, TH_CODE + 0x100);
    cpu->idt = (X86DescTable){ TH_IDT, 256 * 16 - 1 };
    cpu->regs[R_ESP] = TH_WINDOW + 0x1000;
    cpu->regs[R_ECX] = cpu->regs[R_EDX] = 0xdead;
    cpu->rip = TH_CODE;
    x86_set_interrupt_ack(&th_machine, test_ack, NULL);
    ack_calls = 0;
    cpu_interrupt(&cpu->common, CPU_INTERRUPT_HARD);
    int vec;
    ThStop stop = th_exec(cpu, &vec);
    x86_set_interrupt_ack(&th_machine, NULL, NULL);
    CHECK_EQ(stop, TH_STOP_HALT);
    CHECK_EQ(ack_calls, 1);
    CHECK_EQ(cpu->regs[R_EDX], 1);   /* the instruction in the shadow ran first */
    CHECK_EQ(cpu->regs[R_ECX], 0);   /* ... and the one after it did not */
    CHECK_EQ(cpu->regs[R_EBX], 2);
}

TEST_CASE(cpuid_and_msr)
{
    ThCode c = { .n = 0 };
    ThState st = blank();
    /* cpuid(0); mov esi,ebx; mov ecx,0xc0000080; rdmsr */
    TH_EMIT(&c, 0x31, 0xc0, 0x0f, 0xa2, 0x89, 0xde, 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32);
    run(TH_MODE64, &c, &st);
    CHECK_EQ(res.vector, -1);
    CHECK_EQ(res.st.gpr[R_ESI], 0x756e6547);   /* "Genu" */
    CHECK_EQ(res.st.gpr[R_EAX], EFER_LME | EFER_LMA | EFER_SCE);
    CHECK_EQ(res.st.gpr[R_EDX], 0);
    /* an unknown MSR: #GP(0) at the RDMSR */
    c.n = 0;
    TH_EMIT(&c, 0xb9, 0x34, 0x12, 0x00, 0x00, 0x0f, 0x32);
    run(TH_MODE64, &c, &st);
    CHECK_EQ(res.vector, X86_EXCP_GP);
    CHECK_EQ(res.st.rip, TH_CODE + 5);
}

int main(void)
{
    RUN(cmp_jcc_is_compare_and_branch);
    RUN(real_mode_segments_and_limits);
    RUN(protected_mode_32);
    RUN(protected_mode_segment_limits);
    RUN(page_fault_reports_cr2_and_error);
    RUN(port_io);
    RUN(io_needs_iopl_or_bitmap);
    RUN(int_and_iretq);
    RUN(syscall_and_sysret);
    RUN(hlt_and_single_step);
    RUN(sti_interrupt_shadow);
    RUN(cpuid_and_msr);
    TEST_EXIT();
}
