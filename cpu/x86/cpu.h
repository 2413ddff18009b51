/*
 * The x86 vCPU state (X86CPU) for the TCG accelerator and the system-level
 * semantics written as C over it: segmentation, exceptions and interrupts,
 * far transfers, paging, CPUID, MSRs, control registers, lazy flags.
 * Reference: Intel SDM vol. 1 ch. 3, vol. 3 ch. 2-6, 9 and 11, vol. 4.
 * Leaves out: task switches, SMM, VMX, debug-register breakpoints, PCID.
 */
#ifndef MIMIC_CPU_X86_CPU_H
#define MIMIC_CPU_X86_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fpu/softfloat.h"      /* Float80: the x87 register format */
#include "mimic/x86_state.h"    /* X86Segment, X86DescTable, X86Regs, SEG_*, R_* */
#include "tcg/cpu.h"            /* CPUState: the translator core's part, first in X86CPU */

typedef struct Machine Machine;
typedef struct X86CPU X86CPU;

/* ---- Architectural constants ---------------------------------------- */

/* EFLAGS (SDM vol. 1 3.4.3). */
#define X86_EFLAGS_CF   0x00000001u
#define X86_EFLAGS_FIXED 0x00000002u   /* bit 1 always reads 1 */
#define X86_EFLAGS_PF   0x00000004u
#define X86_EFLAGS_AF   0x00000010u
#define X86_EFLAGS_ZF   0x00000040u
#define X86_EFLAGS_SF   0x00000080u
#define X86_EFLAGS_TF   0x00000100u
#define X86_EFLAGS_IF   0x00000200u
#define X86_EFLAGS_DF   0x00000400u
#define X86_EFLAGS_OF   0x00000800u
#define X86_EFLAGS_IOPL 0x00003000u
#define X86_EFLAGS_IOPL_SHIFT 12
#define X86_EFLAGS_NT   0x00004000u
#define X86_EFLAGS_RF   0x00010000u
#define X86_EFLAGS_VM   0x00020000u
#define X86_EFLAGS_AC   0x00040000u
#define X86_EFLAGS_VIF  0x00080000u
#define X86_EFLAGS_VIP  0x00100000u
#define X86_EFLAGS_ID   0x00200000u
/* The six flags the lazy-flag machinery computes. */
#define X86_EFLAGS_ARITH (X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
                          X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)
/* Every bit that exists on this CPU (the rest read as 0, bit 1 as 1). */
#define X86_EFLAGS_ALL  (X86_EFLAGS_ARITH | X86_EFLAGS_TF | X86_EFLAGS_IF | \
                         X86_EFLAGS_DF | X86_EFLAGS_IOPL | X86_EFLAGS_NT | \
                         X86_EFLAGS_RF | X86_EFLAGS_VM | X86_EFLAGS_AC | \
                         X86_EFLAGS_VIF | X86_EFLAGS_VIP | X86_EFLAGS_ID)

/* CR0 (SDM vol. 3 2.5); CR0_PE/ET/PG come from x86_state.h. */
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)

/* CR4: only the bits this CPU implements; the rest are reserved (#GP). */
#define CR4_TSD        (1ull << 2)
#define CR4_PSE        (1ull << 4)
#define CR4_MCE        (1ull << 6)
#define CR4_PGE        (1ull << 7)
#define CR4_PCE        (1ull << 8)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE    (1ull << 18)

/* EFER (MSR 0xC0000080); EFER_LME/LMA come from x86_state.h. */
#define EFER_SCE (1ull << 0)
#define EFER_NXE (1ull << 11)

/* XCR0: x87 and SSE state only. */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define X86_XCR0_SUPPORTED (XCR0_X87 | XCR0_SSE)

/* Exception vectors (SDM vol. 3 Table 6-1). */
enum {
    X86_EXCP_DE = 0, X86_EXCP_DB = 1, X86_EXCP_NMI = 2, X86_EXCP_BP = 3,
    X86_EXCP_OF = 4, X86_EXCP_BR = 5, X86_EXCP_UD = 6, X86_EXCP_NM = 7,
    X86_EXCP_DF = 8, X86_EXCP_TS = 10, X86_EXCP_NP = 11, X86_EXCP_SS = 12,
    X86_EXCP_GP = 13, X86_EXCP_PF = 14, X86_EXCP_MF = 16, X86_EXCP_AC = 17,
    X86_EXCP_MC = 18, X86_EXCP_XM = 19,
};

/* Selector error code bits (SDM vol. 3 6.13). */
#define X86_ERR_EXT 1u   /* the fault happened while delivering an external event */
#define X86_ERR_IDT 2u   /* the index names an IDT gate */
#define X86_ERR_TI  4u   /* the index names an LDT entry */

/* #PF error code (SDM vol. 3 4.7). */
#define X86_PF_P    (1u << 0)
#define X86_PF_W    (1u << 1)
#define X86_PF_U    (1u << 2)
#define X86_PF_RSVD (1u << 3)
#define X86_PF_I    (1u << 4)

/* MSR numbers this CPU implements (msr.c). */
#define MSR_IA32_TSC             0x00000010
#define MSR_IA32_PLATFORM_ID     0x00000017
#define MSR_IA32_APIC_BASE       0x0000001b
#define MSR_IA32_FEATURE_CONTROL 0x0000003a
#define MSR_IA32_BIOS_SIGN_ID    0x0000008b
#define MSR_PLATFORM_INFO        0x000000ce
#define MSR_MTRRCAP              0x000000fe
#define MSR_IA32_SYSENTER_CS     0x00000174
#define MSR_IA32_SYSENTER_ESP    0x00000175
#define MSR_IA32_SYSENTER_EIP    0x00000176
#define MSR_IA32_MCG_CAP         0x00000179
#define MSR_IA32_MCG_STATUS      0x0000017a
#define MSR_IA32_MCG_CTL         0x0000017b
#define MSR_IA32_MC0_CTL         0x00000400   /* bank i: CTL, STATUS, ADDR, MISC at 0x400 + 4i */
#define MSR_IA32_ARCH_CAPABILITIES 0x0000010a
/* Machine-check banks: as many as QEMU's model offers, so Linux's mce code
 * finds a working MCA; no error is ever logged in them. */
#define X86_MCE_BANKS 10
#define MCG_CTL_P (1ull << 8)
#define MSR_IA32_MISC_ENABLE     0x000001a0
#define MSR_MTRR_PHYSBASE0       0x00000200   /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */
#define MSR_MTRR_FIX64K_00000    0x00000250
#define MSR_MTRR_FIX16K_80000    0x00000258
#define MSR_MTRR_FIX16K_A0000    0x00000259
#define MSR_MTRR_FIX4K_C0000     0x00000268   /* ... 0x26f: FIX4K_F8000 */
#define MSR_IA32_PAT             0x00000277
#define MSR_MTRR_DEF_TYPE        0x000002ff
#define MSR_IA32_TSC_DEADLINE    0x000006e0
#define MSR_EFER                 0xc0000080
#define MSR_STAR                 0xc0000081
#define MSR_LSTAR                0xc0000082
#define MSR_CSTAR                0xc0000083
#define MSR_FMASK                0xc0000084
#define MSR_FS_BASE              0xc0000100
#define MSR_GS_BASE              0xc0000101
#define MSR_KERNEL_GS_BASE       0xc0000102
#define MSR_TSC_AUX              0xc0000103

#define MSR_MISC_ENABLE_FAST_STRING    (1ull << 0)
#define MSR_MISC_ENABLE_BTS_UNAVAIL    (1ull << 11)
#define MSR_MISC_ENABLE_PEBS_UNAVAIL   (1ull << 12)
#define MSR_MISC_ENABLE_LIMIT_CPUID    (1ull << 22)
#define MSR_MISC_ENABLE_XD_DISABLE     (1ull << 34)

#define MSR_APIC_BASE_BSP    (1ull << 8)
#define MSR_APIC_BASE_ENABLE (1ull << 11)
#define X86_APIC_DEFAULT_BASE 0xfee00000ull

#define X86_MTRR_VAR_COUNT 8
#define X86_MTRR_FIXED_COUNT 11
#define X86_PAT_RESET 0x0007040600070406ull

/*
 * Time. TSC = virtual ns * X86_TSC_FREQ_HZ / 1e9 + tsc_offset; 1 GHz makes
 * that the nanosecond count itself. CPUID leaf 0x15 reports
 * TSC = crystal * 40 / 1, so Linux skips calibration (native_calibrate_tsc)
 * and also takes the crystal as the LAPIC timer input clock: the LAPIC model
 * must count at X86_CRYSTAL_HZ before its divider.
 */
#define X86_TSC_FREQ_HZ  1000000000ull
#define X86_CRYSTAL_HZ   25000000u
#define X86_BUS_MHZ      100u

/* ---- Lazy flags ----------------------------------------------------- */

/*
 * cc_op names the last flag-setting operation; cc_dst/cc_src/cc_src2 hold
 * its operands as below (values are zero-extended to 64 bits; only the low
 * `size` bits matter). Each operation comes in 4 sizes, in the order B W L Q,
 * so CC_OP_ADDB + log2(size in bytes) is the op for that size.
 *
 *   EFLAGS  cc_src = the six arithmetic flags, literally (other bits ignored)
 *   ADD     dst = result, src = second operand          (first = dst - src)
 *   ADC     dst = result, src = second operand, src2 = carry in (0/1)
 *   SUB     dst = result, src = second operand          (first = dst + src); CMP, NEG (first = 0)
 *   SBB     dst = result, src = second operand, src2 = borrow in (0/1)
 *   LOGIC   dst = result; CF = OF = AF = 0 (AND, OR, XOR, TEST)
 *   INC/DEC dst = result, src = CF before the instruction (INC/DEC keep CF)
 *   SHL/SHR/SAR  dst = result, src = operand shifted by (count - 1), so its
 *           top (SHL) / bottom (SHR, SAR) bit is CF; OF = top bit of
 *           (src ^ dst). Count 0 leaves flags alone: the translator must not
 *           change cc_op then. AF is computed as 0.
 *   MUL/IMUL dst = low half of the result, src = nonzero iff the high half
 *           is significant (MUL: high != 0; IMUL: high != sign-extension of
 *           low): CF = OF = (src != 0). SF/ZF/PF from dst, AF = 0.
 *   BMILG   dst = result, src = CF (0/1); ZF, SF, PF from dst, OF = AF = 0:
 *           ANDN, BEXTR, BZHI, BLSI, BLSMSK, BLSR, TZCNT, LZCNT.
 *   POPCNT  src = the source operand: ZF = (src == 0), all others 0.
 * Flags that the SDM calls undefined get a fixed, documented value here;
 * guests must not rely on them. Rotates, BT*, ADCX/ADOX and anything that
 * keeps some flags go through CC_OP_EFLAGS (compute, modify, store).
 */
#define X86_CC_OPS(X) X(ADD) X(ADC) X(SUB) X(SBB) X(LOGIC) X(INC) X(DEC) \
    X(SHL) X(SHR) X(SAR) X(MUL) X(IMUL) X(BMILG) X(POPCNT)

typedef enum CCOp {
    CC_OP_EFLAGS = 0,
#define X86_CC_OP_ENUM_(name) CC_OP_##name##B, CC_OP_##name##W, CC_OP_##name##L, CC_OP_##name##Q,
    X86_CC_OPS(X86_CC_OP_ENUM_)
#undef X86_CC_OP_ENUM_
    CC_OP_COUNT
} CCOp;

/* The cc_op for operation `b` (e.g. CC_OP_ADDB) at size 1, 2, 4 or 8 bytes. */
static inline CCOp x86_cc_op_sized(CCOp b, unsigned size_bytes)
{
    return (CCOp)(b + (size_bytes == 1 ? 0 : size_bytes == 2 ? 1 : size_bytes == 4 ? 2 : 3));
}

/* The arithmetic flags (X86_EFLAGS_ARITH bits) of an operation. Pure. */
uint32_t x86_cc_compute(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2);
/* CF alone (what ADC/SBB/RCL/Jb need). Pure. */
uint32_t x86_cc_compute_cf(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2);
/* Jcc/SETcc/CMOVcc condition code 0-15 (the low nibble of the opcode) on
 * a full EFLAGS value. */
bool x86_cc_condition(uint32_t eflags, unsigned cc);

/* ---- Translation flags ---------------------------------------------- */

/*
 * Everything the translator's output depends on, in one word: the block
 * cache is keyed on it (with CS base and pc). mode.c recomputes it after any
 * state change that can alter it (x86_update_hflags); helpers that change it
 * end the translation block.
 */
#define X86_HF_CPL_MASK     0x00000003u  /* current privilege level */
#define X86_HF_PE           (1u << 2)    /* CR0.PE */
#define X86_HF_VM           (1u << 3)    /* virtual-8086 mode */
#define X86_HF_CS32         (1u << 4)    /* CS.D: 32-bit default operand/address size */
#define X86_HF_CS64         (1u << 5)    /* 64-bit mode (LMA and CS.L) */
#define X86_HF_SS32         (1u << 6)    /* SS.B: ESP (not SP) is the stack pointer */
#define X86_HF_LMA          (1u << 7)    /* IA-32e mode active (64-bit or compatibility) */
#define X86_HF_IOPL_SHIFT   8
#define X86_HF_IOPL_MASK    (3u << 8)    /* EFLAGS.IOPL */
#define X86_HF_TF           (1u << 10)   /* EFLAGS.TF: single-step trap after each insn */
#define X86_HF_INHIBIT_IRQ  (1u << 11)   /* interrupt shadow (MOV SS, POP SS, STI) */
#define X86_HF_OSFXSR       (1u << 12)   /* CR4.OSFXSR: SSE enabled */
#define X86_HF_ADDSEG       (1u << 13)   /* DS, ES or SS base nonzero: add bases (off: skip) */
#define X86_HF_NOTFLAT      (1u << 14)   /* CS/DS/ES/SS not all 4 GiB expand-up: check limits */
#define X86_HF_EM           (1u << 15)   /* CR0.EM */
#define X86_HF_TS           (1u << 16)   /* CR0.TS */
#define X86_HF_MP           (1u << 17)   /* CR0.MP */
#define X86_HF_OSXSAVE      (1u << 18)   /* CR4.OSXSAVE: XGETBV/XSETBV allowed */
#define X86_HF_AC           (1u << 19)   /* alignment checks on: CR0.AM, EFLAGS.AC, CPL 3 */
#define X86_HF_RF           (1u << 20)   /* EFLAGS.RF (cleared after the next insn) */

/* Default operand/address size of code in this state: 2, 4 or 8 bytes. */
static inline unsigned x86_hf_code_size(uint32_t hf)
{
    return (hf & X86_HF_CS64) ? 8 : (hf & X86_HF_CS32) ? 4 : 2;
}

/* ---- Hooks into the rest of the machine ----------------------------- */

/*
 * What the CPU tells its surroundings. Every pointer may be NULL. The TCG
 * softmmu fills tlb_flush/tlb_flush_page, the LAPIC model the APIC ones.
 */
typedef struct X86CPUHooks {
    /* Drop cached translations: all of them, or all but global pages. */
    void (*tlb_flush)(X86CPU *cpu, bool include_global);
    /* INVLPG: drop every translation of the page holding `linear` (global too). */
    void (*tlb_flush_page)(X86CPU *cpu, uint64_t linear);
    /* IA32_APIC_BASE was written (value already stored in cpu->msr.apic_base). */
    void (*apic_base_changed)(X86CPU *cpu, uint64_t value);
    /* IA32_TSC_DEADLINE was written (value in TSC units; 0 disarms). */
    void (*tsc_deadline_changed)(X86CPU *cpu, uint64_t value);
    /* CR8 is the LAPIC TPR[7:4]; without these hooks CR8 is plain storage. */
    uint64_t (*tpr_read)(X86CPU *cpu);
    void (*tpr_write)(X86CPU *cpu, uint64_t cr8);
} X86CPUHooks;

/* ---- CPU models and CPUID ------------------------------------------- */

typedef enum X86CPUModelId {
    X86_MODEL_QEMU64,   /* baseline: integer, x87, MMX, SSE..SSE4.2, LM, NX */
    X86_MODEL_MAX,      /* everything mimic implements (adds 1 GiB pages) */
} X86CPUModelId;

/* Feature words as CPUID reports them (before dynamic bits like OSXSAVE). */
typedef struct X86Features {
    uint32_t f1_ecx, f1_edx;        /* leaf 1 */
    uint32_t f7_ebx, f7_ecx, f7_edx;/* leaf 7 subleaf 0 */
    uint32_t e1_ecx, e1_edx;        /* leaf 0x80000001 */
    uint32_t e7_edx;                /* leaf 0x80000007 (invariant TSC) */
    uint32_t f6_eax;                /* leaf 6 (ARAT) */
} X86Features;

/* CPUID.1 ECX/EDX and 0x80000001 bits used by the code (SDM vol. 2 CPUID). */
#define CPUID_1_EDX_FPU   (1u << 0)
#define CPUID_1_EDX_PSE   (1u << 3)
#define CPUID_1_EDX_TSC   (1u << 4)
#define CPUID_1_EDX_MSR   (1u << 5)
#define CPUID_1_EDX_PAE   (1u << 6)
#define CPUID_1_EDX_MCE   (1u << 7)
#define CPUID_1_EDX_CX8   (1u << 8)
#define CPUID_1_EDX_APIC  (1u << 9)
#define CPUID_1_EDX_SEP   (1u << 11)
#define CPUID_1_EDX_MTRR  (1u << 12)
#define CPUID_1_EDX_PGE   (1u << 13)
#define CPUID_1_EDX_MCA   (1u << 14)
#define CPUID_1_EDX_CMOV  (1u << 15)
#define CPUID_1_EDX_PAT   (1u << 16)
#define CPUID_1_EDX_PSE36 (1u << 17)
#define CPUID_1_EDX_CLFSH (1u << 19)
#define CPUID_1_EDX_MMX   (1u << 23)
#define CPUID_1_EDX_FXSR  (1u << 24)
#define CPUID_1_EDX_SSE   (1u << 25)
#define CPUID_1_EDX_SSE2  (1u << 26)
#define CPUID_1_EDX_HTT   (1u << 28)
#define CPUID_1_ECX_SSE3  (1u << 0)
#define CPUID_1_ECX_PCLMUL (1u << 1)
#define CPUID_1_ECX_SSSE3 (1u << 9)
#define CPUID_1_ECX_CX16  (1u << 13)
#define CPUID_1_ECX_SSE41 (1u << 19)
#define CPUID_1_ECX_SSE42 (1u << 20)
#define CPUID_1_ECX_MOVBE (1u << 22)
#define CPUID_1_ECX_POPCNT (1u << 23)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_AES   (1u << 25)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_E1_ECX_LAHF_LM (1u << 0)
#define CPUID_E1_ECX_ABM     (1u << 5)   /* LZCNT */
#define CPUID_E1_EDX_SYSCALL (1u << 11)
#define CPUID_E1_EDX_NX      (1u << 20)
#define CPUID_E1_EDX_PDPE1GB (1u << 26)
#define CPUID_E1_EDX_RDTSCP  (1u << 27)
#define CPUID_E1_EDX_LM      (1u << 29)
#define CPUID_E7_EDX_INVTSC  (1u << 8)
#define CPUID_7_EDX_ARCH_CAPABILITIES (1u << 29)
#define CPUID_7_EBX_ERMS (1u << 9)     /* enhanced REP MOVSB/STOSB */
/* IA32_ARCH_CAPABILITIES: a translator executes nothing speculatively, so
 * every "not affected" bit is true of it (SDM vol. 4 table 2-2; bit 62 is
 * ITS_NO as Linux defines it). Linux then skips page-table isolation and
 * the buffer-clearing mitigations, as on hardware that needs none. */
#define ARCH_CAP_NOT_AFFECTED ((1ull << 0) /* RDCL_NO */ | (1ull << 3) /* SKIP_L1DFL_VMENTRY */ | \
    (1ull << 4) /* SSB_NO */ | (1ull << 5) /* MDS_NO */ | (1ull << 6) /* PSCHANGE_MC_NO */ |     \
    (1ull << 8) /* TAA_NO */ | (1ull << 13) /* SBDR_SSDP_NO */ | (1ull << 14) /* FBSDP_NO */ |  \
    (1ull << 15) /* PSDP_NO */ | (1ull << 20) /* BHI_NO */ | (1ull << 24) /* PBRSB_NO */ |      \
    (1ull << 26) /* GDS_NO */ | (1ull << 27) /* RFDS_NO */ | (1ull << 62) /* ITS_NO */)
#define CPUID_6_EAX_ARAT     (1u << 2)

/* ---- The state ------------------------------------------------------ */

typedef union X86XmmReg {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
    float s[4];
    double sd[2];
} __attribute__((aligned(16))) X86XmmReg;

/* A pending or in-delivery exception (excp.c). */
typedef struct X86Exception {
    int vector;           /* pending exception, -1 when none */
    uint32_t error_code;
    uint64_t cr2;         /* #PF: the faulting linear address, copied to CR2 on delivery */
    int delivering;       /* exception whose delivery is in progress (double-fault
                             rules), -1 when none */
    int delivering_class; /* its X86ExceptionClass */
} X86Exception;

typedef struct X86MSRs {
    uint64_t star, lstar, cstar, fmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t apic_base;
    uint64_t pat;
    int64_t tsc_offset;         /* TSC = f(virtual time) + tsc_offset */
    uint64_t tsc_aux;
    uint64_t tsc_deadline;
    uint64_t misc_enable;
    uint64_t mcg_status;
    uint64_t mcg_ctl;
    uint64_t mc_bank[X86_MCE_BANKS][4];         /* CTL, STATUS, ADDR, MISC */
    uint64_t mtrr_def_type;
    uint64_t mtrr_fixed[X86_MTRR_FIXED_COUNT];  /* 64K_00000, 16K_80000, 16K_A0000, 4K_C0000..F8000 */
    uint64_t mtrr_base[X86_MTRR_VAR_COUNT], mtrr_mask[X86_MTRR_VAR_COUNT];
} X86MSRs;

/*
 * The CPU. The exec-loop author adds `CPUState common;` as the first member
 * (tcg/tlb.h: generated code finds the TLB at offset 0 of env); nothing here
 * depends on field offsets, so that insertion is free.
 */
struct X86CPU {
    CPUState common;            /* must stay first: generated code finds the TLB at env + 0 */
    /* Integer state: the translator's globals. */
    uint64_t regs[16];          /* R_EAX.. R_R15 */
    uint64_t rip;
    uint64_t cc_dst, cc_src, cc_src2;
    uint32_t cc_op;             /* CCOp */
    uint32_t hflags;            /* X86_HF_*: translation flags */
    int64_t df;                 /* +1 or -1: EFLAGS.DF as a string-op step sign */
    uint32_t eflags;            /* EFLAGS without the six arithmetic flags and DF */

    X86Segment segs[SEG_COUNT]; /* ES CS SS DS FS GS, LDTR, TR (hidden caches) */
    X86DescTable gdt, idt;

    uint64_t cr[9];             /* CR0, CR2, CR3, CR4, CR8 (1, 5-7 unused) */
    uint64_t efer;
    uint64_t xcr0;
    uint64_t dr[8];             /* DR0-3, DR6, DR7 (4 and 5 unused) */
    uint64_t pdpte[4];          /* PAE page-directory-pointer registers (loaded with CR3) */
    X86MSRs msr;

    /* x87 / MMX. Physical register i is fpregs[i]; ST(j) is fpregs[(fpstt + j) & 7].
     * MMX register i aliases fpregs[i].mant. */
    Float80 fpregs[8];
    uint16_t fpuc;              /* control word */
    uint16_t fpus;              /* status word with TOP (bits 11-13) kept zero */
    uint8_t fpstt;              /* TOP */
    uint8_t fptag_valid;        /* abridged tags: bit i set = physical register i not empty */
    uint16_t fpop;              /* last x87 opcode (11 bits) */
    uint64_t fpip, fpdp;        /* last x87 instruction / data pointer */
    uint16_t fpcs, fpds;

    /* SSE. */
    X86XmmReg xmm[16];
    uint32_t mxcsr;

    /* Events. */
    X86XmmReg xmm_t0;           /* SSE/MMX scratch: memory operands (translate_sse.c) */
    X86Exception exception;
    bool halted;                /* HLT: wait for an interrupt */
    bool wait_for_sipi;         /* AP after RESET/INIT, until a startup IPI */
    bool nmi_blocked;           /* between NMI delivery and the next IRET */
    bool triple_fault;          /* shutdown: the exec loop turns this into a machine reset */
    bool int_shadow;            /* interrupts blocked for one insn (MOV SS, STI) */

    uint64_t a20_mask;          /* physical addresses are ANDed with this (bit 20: A20 gate) */

    /* Identity and model. */
    int cpu_index;
    int nr_cpus;                /* in the package (CPUID topology) */
    uint32_t apic_id;
    X86CPUModelId model;
    X86Features features;
    uint8_t phys_bits;          /* MAXPHYADDR */
    uint32_t cpuid_signature;   /* family/model/stepping (CPUID.1 EAX) */
    bool syscall_compat;        /* AMD rule: SYSCALL/SYSRET also outside 64-bit mode
                                   (CSTAR, legacy STAR); Intel (our models): #UD */

    const X86CPUHooks *hooks;
    void *hooks_opaque;
    Machine *machine;
};

/* ---- cpu.c: lifetime, reset, register file exchange ----------------- */

/* Set up a CPU of the named model ("qemu64", "max"; NULL = qemu64) and
 * reset it. Returns false if the model is unknown. */
bool x86_cpu_setup(X86CPU *cpu, const char *model, int cpu_index, int nr_cpus, Machine *machine);
/* Power-up / RESET state (SDM vol. 3 9.1.1, Table 9-1). */
void x86_cpu_reset(X86CPU *cpu);
/* INIT: as RESET but x87/SSE state, MTRRs, PAT and the APIC base survive. */
void x86_cpu_init_signal(X86CPU *cpu);
/* Startup IPI: CS = vector << 8, IP = 0, leave wait-for-SIPI (SDM vol. 3 9.4.4). */
void x86_cpu_sipi(X86CPU *cpu, uint8_t vector);
void x86_cpu_set_a20(X86CPU *cpu, bool enabled);
/* The accelerator-neutral register file (monitor, gdbstub, loaders). */
void x86_cpu_get_regs(X86CPU *cpu, X86Regs *r);
void x86_cpu_set_regs(X86CPU *cpu, const X86Regs *r);

/* ---- eflags.c: EFLAGS as a whole ------------------------------------ */

uint32_t x86_compute_eflags(const X86CPU *cpu);
/* Replace the EFLAGS bits in `mask` by those of `value` (arith flags go to
 * CC_OP_EFLAGS); bit 1 stays set, nonexistent bits stay clear. Updates hflags. */
void x86_load_eflags(X86CPU *cpu, uint32_t value, uint32_t mask);
/* POPF/POPFD/POPFQ with the privilege rules of SDM vol. 2 POPF (#GP(0) in
 * VM86 with IOPL < 3; IOPL only at CPL 0; IF only when CPL <= IOPL). */
void x86_helper_popf(X86CPU *cpu, uint64_t value, unsigned opsize, uintptr_t ra);
/* The value PUSHF pushes (VM and RF read as 0); #GP(0) in VM86 with IOPL < 3. */
uint64_t x86_helper_pushf(X86CPU *cpu, uintptr_t ra);
/* CLI / STI: #GP(0) when CPL > IOPL (VM86: IOPL < 3); STI opens an interrupt shadow. */
void x86_helper_cli(X86CPU *cpu, uintptr_t ra);
void x86_helper_sti(X86CPU *cpu, uintptr_t ra);

/* ---- mode.c: control registers, mode transitions, hflags ------------ */

uint32_t x86_compute_hflags(const X86CPU *cpu);
void x86_update_hflags(X86CPU *cpu);
static inline int x86_cpl(const X86CPU *cpu) { return cpu->hflags & X86_HF_CPL_MASK; }
static inline bool x86_long_mode(const X86CPU *cpu) { return (cpu->efer & EFER_LMA) != 0; }
static inline bool x86_64bit_mode(const X86CPU *cpu) { return (cpu->hflags & X86_HF_CS64) != 0; }
static inline bool x86_vm86(const X86CPU *cpu) { return (cpu->eflags & X86_EFLAGS_VM) != 0; }
static inline bool x86_protected(const X86CPU *cpu) { return (cpu->cr[0] & CR0_PE) != 0; }
/* Canonical for 48-bit linear addresses. */
static inline bool x86_canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/*
 * The x86_set_* functions return false when the write must raise #GP(0)
 * (state untouched); the x86_helper_* wrappers raise it. Flushes are reported
 * through hooks->tlb_flush.
 */
bool x86_set_cr0(X86CPU *cpu, uint64_t value);
bool x86_set_cr3(X86CPU *cpu, uint64_t value);
bool x86_set_cr4(X86CPU *cpu, uint64_t value);
bool x86_set_cr8(X86CPU *cpu, uint64_t value);
uint64_t x86_get_cr8(X86CPU *cpu);
bool x86_set_efer(X86CPU *cpu, uint64_t value);
bool x86_set_xcr(X86CPU *cpu, uint32_t index, uint64_t value);
/* MOV to/from CRn (n = 0, 2, 3, 4, 8; others are #UD for the decoder). */
void x86_helper_write_cr(X86CPU *cpu, int n, uint64_t value, uintptr_t ra);
uint64_t x86_helper_read_cr(X86CPU *cpu, int n, uintptr_t ra);
void x86_helper_lmsw(X86CPU *cpu, uint16_t value, uintptr_t ra);
void x86_helper_clts(X86CPU *cpu, uintptr_t ra);
void x86_helper_xsetbv(X86CPU *cpu, uint32_t index, uint64_t value, uintptr_t ra);
uint64_t x86_helper_xgetbv(X86CPU *cpu, uint32_t index, uintptr_t ra);
/* MOV to/from DRn: storage only (breakpoints are not implemented). */
void x86_helper_write_dr(X86CPU *cpu, int n, uint64_t value, uintptr_t ra);
uint64_t x86_helper_read_dr(X86CPU *cpu, int n, uintptr_t ra);
void x86_helper_invlpg(X86CPU *cpu, uint64_t linear, uintptr_t ra);
/* Load the four PAE PDPTEs from CR3; false if one has reserved bits set. */
bool x86_load_pdptes(X86CPU *cpu, uint64_t cr3);

/* ---- seg.c: segmentation -------------------------------------------- */

/* MOV/POP to ES, SS, DS, FS or GS with every check of the current mode.
 * Loading SS opens an interrupt shadow (the caller's job: x86 decides per
 * instruction). */
void x86_load_seg(X86CPU *cpu, int seg, uint16_t selector, uintptr_t ra);
/* Real-mode / VM86 style load: base = selector << 4, no checks. */
void x86_load_seg_real(X86CPU *cpu, int seg, uint16_t selector);
/* LGDT/LIDT/SGDT/SIDT on a memory operand at `linear`; opsize 2 or 4, and 8
 * in 64-bit mode whatever the prefixes (a 10-byte operand). */
void x86_helper_lgdt(X86CPU *cpu, uint64_t linear, unsigned opsize, uintptr_t ra);
void x86_helper_lidt(X86CPU *cpu, uint64_t linear, unsigned opsize, uintptr_t ra);
void x86_helper_sgdt(X86CPU *cpu, uint64_t linear, uintptr_t ra);
void x86_helper_sidt(X86CPU *cpu, uint64_t linear, uintptr_t ra);
void x86_helper_lldt(X86CPU *cpu, uint16_t selector, uintptr_t ra);
void x86_helper_ltr(X86CPU *cpu, uint16_t selector, uintptr_t ra);
/* LAR / LSL / VERR / VERW: return ZF; LAR/LSL put their result in *out. */
bool x86_helper_lar(X86CPU *cpu, uint16_t selector, uint32_t *out, uintptr_t ra);
bool x86_helper_lsl(X86CPU *cpu, uint16_t selector, uint32_t *out, uintptr_t ra);
bool x86_helper_verr(X86CPU *cpu, uint16_t selector, uintptr_t ra);
bool x86_helper_verw(X86CPU *cpu, uint16_t selector, uintptr_t ra);
/* ARPL: returns the new destination; *zf says whether it changed. */
uint16_t x86_arpl(uint16_t dest, uint16_t src, bool *zf);
/* IN/OUT/INS/OUTS permission: #GP(0) unless CPL <= IOPL (not VM86) or the TSS
 * I/O bitmap allows every byte of the access (SDM vol. 1 19.5). */
void x86_helper_check_io(X86CPU *cpu, uint16_t port, unsigned size, uintptr_t ra);

/* ---- excp.c: exceptions and interrupts ------------------------------ */

typedef enum X86EventKind {
    X86_EVENT_EXCEPTION,   /* fault/trap detected by the CPU (#GP, #PF, ...) */
    X86_EVENT_EXTERNAL,    /* INTR from the interrupt controller */
    X86_EVENT_NMI,
    X86_EVENT_SOFTWARE,    /* INT n: gate DPL checked, return to the next insn */
    X86_EVENT_SOFT_EXCEPTION, /* INT3, INTO: like INT n, but an exception vector */
    X86_EVENT_ICEBP,       /* INT1 (F1): no DPL check, return to the next insn */
} X86EventKind;

typedef enum X86ExceptionClass {
    X86_EXC_BENIGN, X86_EXC_CONTRIBUTORY, X86_EXC_PAGE_FAULT, X86_EXC_DOUBLE_FAULT,
} X86ExceptionClass;

/* SDM vol. 3 Table 6-4/6-5. */
X86ExceptionClass x86_exception_class(int vector);
bool x86_exception_has_error_code(int vector);
/* The event to deliver when `second` happens while delivering `first`
 * (first's class as recorded): `second` itself (serial), X86_EXCP_DF, or -1
 * for a triple fault (shutdown). */
int x86_exception_combine(X86ExceptionClass first, int second);

/*
 * Deliver an event now: push the frame for the current mode, load CS:RIP from
 * the IVT/IDT, and return. `next_rip` is the return address of software
 * events; exceptions and external events return to cpu->rip. A fault on the
 * way raises through x86_raise_exception (state not yet changed); the exec
 * loop then delivers that one and the double-fault rules apply.
 */
void x86_do_interrupt(X86CPU *cpu, int vector, X86EventKind kind, uint32_t error_code,
                      uint64_t next_rip, uintptr_t ra);
/* Deliver cpu->exception (as recorded by x86_raise_exception): applies the
 * double-fault rules; on a triple fault sets cpu->triple_fault and returns. */
void x86_deliver_pending_exception(X86CPU *cpu);
/* Record an exception in cpu->exception (what x86_raise_exception does
 * before it leaves); for #PF also give the address for CR2. */
void x86_exception_record(X86CPU *cpu, int vector, uint32_t error_code);
/* Raise #PF with CR2 = linear. */
_Noreturn void x86_raise_page_fault(X86CPU *cpu, uint64_t linear, uint32_t error_code,
                                    uintptr_t ra);
/* Interrupt acceptance: IF set, no shadow (NMI: not blocked). */
bool x86_interrupts_enabled(const X86CPU *cpu);
/* INT n, INT3 (CC), INTO, INT1 (F1) from translated code. */
void x86_helper_int(X86CPU *cpu, int vector, uint64_t next_rip, uintptr_t ra);
void x86_helper_int3(X86CPU *cpu, uint64_t next_rip, uintptr_t ra);
void x86_helper_into(X86CPU *cpu, uint64_t next_rip, uintptr_t ra);
void x86_helper_icebp(X86CPU *cpu, uint64_t next_rip, uintptr_t ra);

/* ---- transfer.c: far control transfers and fast system calls -------- */

/* Far JMP/CALL to selector:offset (opsize 2, 4 or 8 = operand size). */
void x86_helper_ljmp(X86CPU *cpu, uint16_t selector, uint64_t offset, unsigned opsize,
                     uint64_t next_rip, uintptr_t ra);
void x86_helper_lcall(X86CPU *cpu, uint16_t selector, uint64_t offset, unsigned opsize,
                      uint64_t next_rip, uintptr_t ra);
/* RET far [imm16]. */
void x86_helper_lret(X86CPU *cpu, unsigned opsize, uint16_t imm, uintptr_t ra);
/* IRET / IRETD / IRETQ. */
void x86_helper_iret(X86CPU *cpu, unsigned opsize, uintptr_t ra);
void x86_helper_syscall(X86CPU *cpu, uint64_t next_rip, uintptr_t ra);
void x86_helper_sysret(X86CPU *cpu, unsigned opsize, uintptr_t ra);
void x86_helper_sysenter(X86CPU *cpu, uintptr_t ra);
void x86_helper_sysexit(X86CPU *cpu, unsigned opsize, uintptr_t ra);
void x86_helper_swapgs(X86CPU *cpu, uintptr_t ra);

/* ---- paging.c: linear -> physical ----------------------------------- */

typedef enum X86Access { X86_ACCESS_READ, X86_ACCESS_WRITE, X86_ACCESS_EXEC } X86Access;

#define X86_PROT_READ  1u
#define X86_PROT_WRITE 2u
#define X86_PROT_EXEC  4u

typedef struct X86Translation {
    uint64_t paddr;       /* physical address of `linear` (A20 applied) */
    uint64_t page_size;   /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
    unsigned prot;        /* X86_PROT_*: what the same privilege may do on the
                             page without another walk (WRITE only once D is set) */
    bool global;          /* G bit with CR4.PGE: survives non-global flushes */
} X86Translation;

typedef enum X86WalkResult {
    X86_WALK_OK,
    X86_WALK_PAGE_FAULT,  /* *error = #PF error code */
    X86_WALK_NONCANONICAL,/* 64-bit linear address not canonical: #GP(0) / #SS(0) */
} X86WalkResult;

/* Walk the page tables for an access as the hardware does (A/D updates).
 * `user` = the access is made with user privilege (CPL 3, not implicit). */
X86WalkResult x86_page_walk(X86CPU *cpu, uint64_t linear, X86Access access, bool user,
                            X86Translation *out, uint32_t *error);
/* The same, raising #PF (CR2) or #GP(0) on failure. */
void x86_translate(X86CPU *cpu, uint64_t linear, X86Access access, bool user,
                   X86Translation *out, uintptr_t ra);
/* Debugger view (gdbstub, monitor): no A/D updates, no permission checks.
 * Returns false when not mapped. */
bool x86_translate_debug(X86CPU *cpu, uint64_t linear, uint64_t *paddr);

/* ---- cpuid.c -------------------------------------------------------- */

void x86_cpuid(X86CPU *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* Fill model, features, signature, phys_bits. False if the name is unknown. */
bool x86_cpu_set_model(X86CPU *cpu, const char *name);
/* What the decoder's feature names (cpu/x86/decode.h X86Feature) map to on
 * this CPU; the translator raises #UD for a form whose feature is absent. */
bool x86_cpu_has_feature(const X86CPU *cpu, unsigned decode_feature);
void x86_helper_cpuid(X86CPU *cpu);   /* EAX/ECX in, EAX..EDX out */

/* ---- msr.c ---------------------------------------------------------- */

/* Returns false for #GP(0) (unknown MSR, reserved bits, read-only). */
bool x86_msr_read(X86CPU *cpu, uint32_t index, uint64_t *value);
bool x86_msr_write(X86CPU *cpu, uint32_t index, uint64_t value);
void x86_helper_rdmsr(X86CPU *cpu, uintptr_t ra);   /* ECX in, EDX:EAX out; CPL 0 */
void x86_helper_wrmsr(X86CPU *cpu, uintptr_t ra);
uint64_t x86_tsc_read(X86CPU *cpu);
void x86_tsc_write(X86CPU *cpu, uint64_t value);
void x86_helper_rdtsc(X86CPU *cpu, uintptr_t ra);   /* #GP(0) at CPL > 0 with CR4.TSD */
void x86_helper_rdtscp(X86CPU *cpu, uintptr_t ra);

#endif
