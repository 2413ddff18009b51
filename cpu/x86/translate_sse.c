/*
 * Translates MMX, SSE..SSE4.2, CRC32, AES-NI, PCLMULQDQ, FXSAVE/XSAVE, LDMXCSR, EMMS:
 * moves, bitwise ops, PCMPEQx, PMOVMSKB and PSHUFD inline on the register file (the C
 * library's string functions live on these), the rest helpers given register
 * offsets (memory sources go through xmm_t0). Ref: SDM vol. 2; vol. 1 ch. 9-13.
 * Leaves out: SSE4A, SHA and the compacted XSAVE forms.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/x86/mem.h"
#include "cpu/x86/sse_helper.h"
#include "cpu/x86/translate.h"

#define DEF_HELPER TCG_HELPER_DEFINE
#include "cpu/x86/helper_sse.def"
#undef DEF_HELPER

/* ---- the table of forms ---- */

typedef enum SseKind {
    SK_NONE,
    SK_OP,          /* helper(env, d, s): d = op0 (P/V), s = op1 (register or memory) */
    SK_OP_IMM,      /* helper(env, d, s, imm8) */
    SK_SHIFT_IMM,   /* op0 shifted by imm8: the count goes through the scratch register */
    SK_BYTESHIFT,   /* PSLLDQ/PSRLDQ: helper(env, d, imm8) */
    SK_LOGIC,       /* inline AND/ANDN/OR/XOR on 64-bit halves */
    SK_CMPEQ,       /* inline PCMPEQB/W/D on 64-bit halves, arg = element size */
    SK_PSHUFD,      /* inline dword shuffle */
    SK_MOV,         /* inline move, arg = SseMove */
    SK_MOVMSK,      /* Gy = helper(env, s); arg 1: PMOVMSKB, inline */
    SK_CVT_TO_INT,  /* Gy = helper(env, s, size of Gy) */
    SK_CVT_FROM_INT,/* helper(env, d, Ey, size of Ey) */
    SK_FLAGS,       /* EFLAGS = helper(env, d, s): COMISS & co, PTEST */
    SK_PCMPSTR,     /* arg: bit 0 explicit lengths, bit 1 index result (ECX) */
    SK_EXTRACT,     /* PEXTRx / EXTRACTPS: arg = element size in bytes */
    SK_INSERT,      /* PINSRx: arg = element size in bytes */
    SK_INSERTPS,
    SK_MASKMOV,
    SK_CRC32,
    SK_MOVNTI,
    SK_EMMS,
    SK_LDMXCSR,
    SK_STMXCSR,
    SK_FXSAVE,      /* arg: 0 FXSAVE, 1 FXRSTOR */
    SK_XSAVE,       /* arg: 0 XSAVE, 1 XRSTOR, 2 XSAVEOPT */
} SseKind;

typedef enum SseMove {
    MV_VEC,         /* whole 16-byte register or memory, either direction */
    MV_SS_LOAD,     /* MOVSS xmm, xmm/m32 */
    MV_SS_STORE,    /* MOVSS xmm/m32, xmm */
    MV_SD_LOAD,     /* MOVSD xmm, xmm/m64 */
    MV_SD_STORE,
    MV_LO_LOAD,     /* MOVLPS/MOVLPD xmm, m64; MOVHLPS */
    MV_HI_LOAD,     /* MOVHPS/MOVHPD xmm, m64; MOVLHPS */
    MV_LO_STORE,    /* MOVLPS/MOVLPD m64, xmm */
    MV_HI_STORE,    /* MOVHPS/MOVHPD m64, xmm */
    MV_Q_LOAD,      /* MOVQ xmm, xmm/m64 (F3 0F 7E): upper half cleared */
    MV_Q_STORE,     /* MOVQ xmm/m64, xmm (66 0F D6): a register destination's upper half cleared */
    MV_D_TO_XMM,    /* MOVD/MOVQ xmm, r/m */
    MV_D_FROM_XMM,  /* MOVD/MOVQ r/m, xmm */
    MV_D_TO_MMX,
    MV_D_FROM_MMX,
    MV_MMX,         /* MOVQ mm, mm/m64 and back, MOVNTQ */
    MV_Q2DQ,        /* MOVQ2DQ */
    MV_DQ2Q,        /* MOVDQ2Q */
    MV_DDUP,        /* MOVDDUP */
    MV_SLDUP,       /* MOVSLDUP */
    MV_SHDUP,       /* MOVSHDUP */
} SseMove;

enum { LOGIC_AND, LOGIC_ANDN, LOGIC_OR, LOGIC_XOR };

/* SseForm.flags */
enum {
    SF_UNALIGNED = 1u << 0,   /* a 16-byte memory operand need not be aligned */
};

typedef struct SseForm {
    uint8_t kind;
    uint8_t arg;
    uint8_t flags;
    const TCGHelperInfo *helper;
} SseForm;

#define OP(h)        { SK_OP, 0, 0, &helper_info_##h }
#define OPU(h)       { SK_OP, 0, SF_UNALIGNED, &helper_info_##h }
#define OPI(h)       { SK_OP_IMM, 0, 0, &helper_info_##h }
#define SHI(h)       { SK_SHIFT_IMM, 0, 0, &helper_info_##h }
#define LOGIC(op)    { SK_LOGIC, op, 0, NULL }
#define MOV(mv)      { SK_MOV, mv, 0, NULL }
#define MOVU(mv)     { SK_MOV, mv, SF_UNALIGNED, NULL }
#define KIND(k, a, h) { k, a, 0, h }
#define CMPEQ(name, h, esize) \
    [X86_INSN_##name##_PqQq] = { SK_CMPEQ, esize, 0, &helper_info_##h##_mmx }, \
    [X86_INSN_##name##_VdqWdq] = { SK_CMPEQ, esize, 0, &helper_info_##h##_xmm }
#define PAIR(name, h) \
    [X86_INSN_##name##_PqQq] = OP(h##_mmx), [X86_INSN_##name##_VdqWdq] = OP(h##_xmm)

static const SseForm sse_forms[X86_INSN_COUNT] = {
    /* moves */
    [X86_INSN_MOVUPS_VpsWps] = MOVU(MV_VEC), [X86_INSN_MOVUPD_VpdWpd] = MOVU(MV_VEC),
    [X86_INSN_MOVUPS_WpsVps] = MOVU(MV_VEC), [X86_INSN_MOVUPD_WpdVpd] = MOVU(MV_VEC),
    [X86_INSN_MOVDQU_VdqWdq] = MOVU(MV_VEC), [X86_INSN_MOVDQU_WdqVdq] = MOVU(MV_VEC),
    [X86_INSN_LDDQU_VdqMdq] = MOVU(MV_VEC),
    [X86_INSN_MOVAPS_VpsWps] = MOV(MV_VEC), [X86_INSN_MOVAPD_VpdWpd] = MOV(MV_VEC),
    [X86_INSN_MOVAPS_WpsVps] = MOV(MV_VEC), [X86_INSN_MOVAPD_WpdVpd] = MOV(MV_VEC),
    [X86_INSN_MOVDQA_VdqWdq] = MOV(MV_VEC), [X86_INSN_MOVDQA_WdqVdq] = MOV(MV_VEC),
    [X86_INSN_MOVNTPS_MdqVps] = MOV(MV_VEC), [X86_INSN_MOVNTPD_MdqVpd] = MOV(MV_VEC),
    [X86_INSN_MOVNTDQ_MdqVdq] = MOV(MV_VEC), [X86_INSN_MOVNTDQA_VdqMdq] = MOV(MV_VEC),
    [X86_INSN_MOVSS_VssWss] = MOV(MV_SS_LOAD), [X86_INSN_MOVSS_WssVss] = MOV(MV_SS_STORE),
    [X86_INSN_MOVSD_VsdWsd] = MOV(MV_SD_LOAD), [X86_INSN_MOVSD_WsdVsd] = MOV(MV_SD_STORE),
    [X86_INSN_MOVLPS_VqMq] = MOV(MV_LO_LOAD), [X86_INSN_MOVLPD_VqMq] = MOV(MV_LO_LOAD),
    [X86_INSN_MOVHLPS_VqUq] = MOV(MV_LO_LOAD),
    [X86_INSN_MOVHPS_VqMq] = MOV(MV_HI_LOAD), [X86_INSN_MOVHPD_VqMq] = MOV(MV_HI_LOAD),
    [X86_INSN_MOVLHPS_VqUq] = MOV(MV_HI_LOAD),
    [X86_INSN_MOVLPS_MqVq] = MOV(MV_LO_STORE), [X86_INSN_MOVLPD_MqVq] = MOV(MV_LO_STORE),
    [X86_INSN_MOVHPS_MqVq] = MOV(MV_HI_STORE), [X86_INSN_MOVHPD_MqVq] = MOV(MV_HI_STORE),
    [X86_INSN_MOVQ_VqWq] = MOV(MV_Q_LOAD), [X86_INSN_MOVQ_WqVq] = MOV(MV_Q_STORE),
    [X86_INSN_MOVD_VdqEy] = MOV(MV_D_TO_XMM), [X86_INSN_MOVD_EyVdq] = MOV(MV_D_FROM_XMM),
    [X86_INSN_MOVD_PqEy] = MOV(MV_D_TO_MMX), [X86_INSN_MOVD_EyPq] = MOV(MV_D_FROM_MMX),
    [X86_INSN_MOVQ_PqQq] = MOV(MV_MMX), [X86_INSN_MOVQ_QqPq] = MOV(MV_MMX),
    [X86_INSN_MOVNTQ_MqPq] = MOV(MV_MMX),
    [X86_INSN_MOVQ2DQ_VdqNq] = MOV(MV_Q2DQ), [X86_INSN_MOVDQ2Q_PqUq] = MOV(MV_DQ2Q),
    [X86_INSN_MOVDDUP_VpdWsd] = MOV(MV_DDUP), [X86_INSN_MOVSLDUP_VpsWps] = MOV(MV_SLDUP),
    [X86_INSN_MOVSHDUP_VpsWps] = MOV(MV_SHDUP),
    [X86_INSN_MOVNTI_MyGy] = KIND(SK_MOVNTI, 0, NULL),

    /* bitwise */
    [X86_INSN_PAND_PqQq] = LOGIC(LOGIC_AND), [X86_INSN_PAND_VdqWdq] = LOGIC(LOGIC_AND),
    [X86_INSN_PANDN_PqQq] = LOGIC(LOGIC_ANDN), [X86_INSN_PANDN_VdqWdq] = LOGIC(LOGIC_ANDN),
    [X86_INSN_POR_PqQq] = LOGIC(LOGIC_OR), [X86_INSN_POR_VdqWdq] = LOGIC(LOGIC_OR),
    [X86_INSN_PXOR_PqQq] = LOGIC(LOGIC_XOR), [X86_INSN_PXOR_VdqWdq] = LOGIC(LOGIC_XOR),
    [X86_INSN_ANDPS_VpsWps] = LOGIC(LOGIC_AND), [X86_INSN_ANDPD_VpdWpd] = LOGIC(LOGIC_AND),
    [X86_INSN_ANDNPS_VpsWps] = LOGIC(LOGIC_ANDN), [X86_INSN_ANDNPD_VpdWpd] = LOGIC(LOGIC_ANDN),
    [X86_INSN_ORPS_VpsWps] = LOGIC(LOGIC_OR), [X86_INSN_ORPD_VpdWpd] = LOGIC(LOGIC_OR),
    [X86_INSN_XORPS_VpsWps] = LOGIC(LOGIC_XOR), [X86_INSN_XORPD_VpdWpd] = LOGIC(LOGIC_XOR),

    /* integer, MMX and XMM */
    PAIR(PADDB, paddb), PAIR(PADDW, paddw), PAIR(PADDD, paddd), PAIR(PADDQ, paddq),
    PAIR(PSUBB, psubb), PAIR(PSUBW, psubw), PAIR(PSUBD, psubd), PAIR(PSUBQ, psubq),
    PAIR(PADDSB, paddsb), PAIR(PADDSW, paddsw), PAIR(PADDUSB, paddusb), PAIR(PADDUSW, paddusw),
    PAIR(PSUBSB, psubsb), PAIR(PSUBSW, psubsw), PAIR(PSUBUSB, psubusb), PAIR(PSUBUSW, psubusw),
    PAIR(PMULLW, pmullw), PAIR(PMULHW, pmulhw), PAIR(PMULHUW, pmulhuw), PAIR(PMULUDQ, pmuludq),
    PAIR(PMADDWD, pmaddwd),
    CMPEQ(PCMPEQB, pcmpeqb, 1), CMPEQ(PCMPEQW, pcmpeqw, 2), CMPEQ(PCMPEQD, pcmpeqd, 4),
    PAIR(PCMPGTB, pcmpgtb), PAIR(PCMPGTW, pcmpgtw), PAIR(PCMPGTD, pcmpgtd),
    PAIR(PMINUB, pminub), PAIR(PMAXUB, pmaxub), PAIR(PMINSW, pminsw), PAIR(PMAXSW, pmaxsw),
    PAIR(PAVGB, pavgb), PAIR(PAVGW, pavgw), PAIR(PSADBW, psadbw),
    PAIR(PSLLW, psllw), PAIR(PSLLD, pslld), PAIR(PSLLQ, psllq),
    PAIR(PSRLW, psrlw), PAIR(PSRLD, psrld), PAIR(PSRLQ, psrlq),
    PAIR(PSRAW, psraw), PAIR(PSRAD, psrad),
    [X86_INSN_PUNPCKLBW_PqQd] = OP(punpcklbw_mmx), [X86_INSN_PUNPCKLBW_VdqWdq] = OP(punpcklbw_xmm),
    [X86_INSN_PUNPCKLWD_PqQd] = OP(punpcklwd_mmx), [X86_INSN_PUNPCKLWD_VdqWdq] = OP(punpcklwd_xmm),
    [X86_INSN_PUNPCKLDQ_PqQd] = OP(punpckldq_mmx), [X86_INSN_PUNPCKLDQ_VdqWdq] = OP(punpckldq_xmm),
    PAIR(PUNPCKHBW, punpckhbw), PAIR(PUNPCKHWD, punpckhwd), PAIR(PUNPCKHDQ, punpckhdq),
    PAIR(PACKSSWB, packsswb), PAIR(PACKSSDW, packssdw), PAIR(PACKUSWB, packuswb),
    PAIR(PSHUFB, pshufb), PAIR(PHADDW, phaddw), PAIR(PHADDD, phaddd), PAIR(PHADDSW, phaddsw),
    PAIR(PHSUBW, phsubw), PAIR(PHSUBD, phsubd), PAIR(PHSUBSW, phsubsw),
    PAIR(PMADDUBSW, pmaddubsw), PAIR(PMULHRSW, pmulhrsw),
    PAIR(PSIGNB, psignb), PAIR(PSIGNW, psignw), PAIR(PSIGND, psignd),
    PAIR(PABSB, pabsb), PAIR(PABSW, pabsw), PAIR(PABSD, pabsd),
    [X86_INSN_PALIGNR_PqQqIb] = OPI(palignr_mmx), [X86_INSN_PALIGNR_VdqWdqIb] = OPI(palignr_xmm),
    [X86_INSN_PSHUFW_PqQqIb] = OPI(pshufw),
    [X86_INSN_PSRLW_NqIb] = SHI(psrlw_mmx), [X86_INSN_PSRLW_UdqIb] = SHI(psrlw_xmm),
    [X86_INSN_PSRAW_NqIb] = SHI(psraw_mmx), [X86_INSN_PSRAW_UdqIb] = SHI(psraw_xmm),
    [X86_INSN_PSLLW_NqIb] = SHI(psllw_mmx), [X86_INSN_PSLLW_UdqIb] = SHI(psllw_xmm),
    [X86_INSN_PSRLD_NqIb] = SHI(psrld_mmx), [X86_INSN_PSRLD_UdqIb] = SHI(psrld_xmm),
    [X86_INSN_PSRAD_NqIb] = SHI(psrad_mmx), [X86_INSN_PSRAD_UdqIb] = SHI(psrad_xmm),
    [X86_INSN_PSLLD_NqIb] = SHI(pslld_mmx), [X86_INSN_PSLLD_UdqIb] = SHI(pslld_xmm),
    [X86_INSN_PSRLQ_NqIb] = SHI(psrlq_mmx), [X86_INSN_PSRLQ_UdqIb] = SHI(psrlq_xmm),
    [X86_INSN_PSLLQ_NqIb] = SHI(psllq_mmx), [X86_INSN_PSLLQ_UdqIb] = SHI(psllq_xmm),
    [X86_INSN_PSRLDQ_UdqIb] = KIND(SK_BYTESHIFT, 0, &helper_info_psrldq),
    [X86_INSN_PSLLDQ_UdqIb] = KIND(SK_BYTESHIFT, 0, &helper_info_pslldq),
    [X86_INSN_PMOVMSKB_GyNq] = KIND(SK_MOVMSK, 1, &helper_info_pmovmskb_mmx),
    [X86_INSN_PMOVMSKB_GyUdq] = KIND(SK_MOVMSK, 1, &helper_info_pmovmskb_xmm),
    [X86_INSN_MOVMSKPS_GyUps] = KIND(SK_MOVMSK, 0, &helper_info_movmskps),
    [X86_INSN_MOVMSKPD_GyUpd] = KIND(SK_MOVMSK, 0, &helper_info_movmskpd),
    [X86_INSN_MASKMOVQ_PqNq] = KIND(SK_MASKMOV, 0, &helper_info_maskmov_mmx),
    [X86_INSN_MASKMOVDQU_VdqUdq] = KIND(SK_MASKMOV, 0, &helper_info_maskmov_xmm),
    [X86_INSN_PINSRW_PqRdMwIb] = KIND(SK_INSERT, 2, NULL),
    [X86_INSN_PINSRW_VdqRdMwIb] = KIND(SK_INSERT, 2, NULL),
    [X86_INSN_PEXTRW_GyNqIb] = KIND(SK_EXTRACT, 2, NULL),
    [X86_INSN_PEXTRW_GyUdqIb] = KIND(SK_EXTRACT, 2, NULL),

    /* integer, XMM only */
    [X86_INSN_PUNPCKLQDQ_VdqWdq] = OP(punpcklqdq), [X86_INSN_PUNPCKHQDQ_VdqWdq] = OP(punpckhqdq),
    [X86_INSN_UNPCKLPS_VpsWps] = OP(punpckldq_xmm), [X86_INSN_UNPCKHPS_VpsWps] = OP(punpckhdq_xmm),
    [X86_INSN_UNPCKLPD_VpdWpd] = OP(punpcklqdq), [X86_INSN_UNPCKHPD_VpdWpd] = OP(punpckhqdq),
    [X86_INSN_PSHUFD_VdqWdqIb] = KIND(SK_PSHUFD, 0, &helper_info_pshufd), [X86_INSN_PSHUFHW_VdqWdqIb] = OPI(pshufhw),
    [X86_INSN_PSHUFLW_VdqWdqIb] = OPI(pshuflw),
    [X86_INSN_SHUFPS_VpsWpsIb] = OPI(shufps), [X86_INSN_SHUFPD_VpdWpdIb] = OPI(shufpd),
    [X86_INSN_PACKUSDW_VdqWdq] = OP(packusdw), [X86_INSN_PMULDQ_VdqWdq] = OP(pmuldq),
    [X86_INSN_PMULLD_VdqWdq] = OP(pmulld), [X86_INSN_PCMPEQQ_VdqWdq] = OP(pcmpeqq),
    [X86_INSN_PCMPGTQ_VdqWdq] = OP(pcmpgtq),
    [X86_INSN_PMINSB_VdqWdq] = OP(pminsb), [X86_INSN_PMINSD_VdqWdq] = OP(pminsd),
    [X86_INSN_PMINUW_VdqWdq] = OP(pminuw), [X86_INSN_PMINUD_VdqWdq] = OP(pminud),
    [X86_INSN_PMAXSB_VdqWdq] = OP(pmaxsb), [X86_INSN_PMAXSD_VdqWdq] = OP(pmaxsd),
    [X86_INSN_PMAXUW_VdqWdq] = OP(pmaxuw), [X86_INSN_PMAXUD_VdqWdq] = OP(pmaxud),
    [X86_INSN_PHMINPOSUW_VdqWdq] = OP(phminposuw),
    [X86_INSN_PBLENDVB_VdqWdqXMM0] = OP(pblendvb),
    [X86_INSN_BLENDVPS_VpsWpsXMM0] = OP(blendvps), [X86_INSN_BLENDVPD_VpdWpdXMM0] = OP(blendvpd),
    [X86_INSN_BLENDPS_VpsWpsIb] = OPI(blendps), [X86_INSN_BLENDPD_VpdWpdIb] = OPI(blendpd),
    [X86_INSN_PBLENDW_VdqWdqIb] = OPI(pblendw), [X86_INSN_MPSADBW_VdqWdqIb] = OPI(mpsadbw),
    [X86_INSN_PMOVSXBW_VdqWq] = OP(pmovsxbw), [X86_INSN_PMOVSXBD_VdqWd] = OP(pmovsxbd),
    [X86_INSN_PMOVSXBQ_VdqWw] = OP(pmovsxbq), [X86_INSN_PMOVSXWD_VdqWq] = OP(pmovsxwd),
    [X86_INSN_PMOVSXWQ_VdqWd] = OP(pmovsxwq), [X86_INSN_PMOVSXDQ_VdqWq] = OP(pmovsxdq),
    [X86_INSN_PMOVZXBW_VdqWq] = OP(pmovzxbw), [X86_INSN_PMOVZXBD_VdqWd] = OP(pmovzxbd),
    [X86_INSN_PMOVZXBQ_VdqWw] = OP(pmovzxbq), [X86_INSN_PMOVZXWD_VdqWq] = OP(pmovzxwd),
    [X86_INSN_PMOVZXWQ_VdqWd] = OP(pmovzxwq), [X86_INSN_PMOVZXDQ_VdqWq] = OP(pmovzxdq),
    [X86_INSN_PTEST_VdqWdq] = KIND(SK_FLAGS, 0, &helper_info_ptest),
    [X86_INSN_PEXTRB_RdMbVdqIb] = KIND(SK_EXTRACT, 1, NULL),
    [X86_INSN_PEXTRW_RdMwVdqIb] = KIND(SK_EXTRACT, 2, NULL),
    [X86_INSN_PEXTRD_EyVdqIb] = KIND(SK_EXTRACT, 0, NULL),      /* 4 or 8: the Ey size */
    [X86_INSN_EXTRACTPS_EdVdqIb] = KIND(SK_EXTRACT, 4, NULL),
    [X86_INSN_PINSRB_VdqRdMbIb] = KIND(SK_INSERT, 1, NULL),
    [X86_INSN_PINSRD_VdqEyIb] = KIND(SK_INSERT, 0, NULL),
    [X86_INSN_INSERTPS_VdqWdIb] = KIND(SK_INSERTPS, 0, &helper_info_insertps),
    [X86_INSN_PCMPESTRI_VdqWdqIb] = { SK_PCMPSTR, 3, SF_UNALIGNED, &helper_info_pcmpestri },
    [X86_INSN_PCMPESTRM_VdqWdqIb] = { SK_PCMPSTR, 1, SF_UNALIGNED, &helper_info_pcmpestrm },
    [X86_INSN_PCMPISTRI_VdqWdqIb] = { SK_PCMPSTR, 2, SF_UNALIGNED, &helper_info_pcmpistri },
    [X86_INSN_PCMPISTRM_VdqWdqIb] = { SK_PCMPSTR, 0, SF_UNALIGNED, &helper_info_pcmpistrm },
    [X86_INSN_CRC32_GyEb] = KIND(SK_CRC32, 0, NULL), [X86_INSN_CRC32_GyEv] = KIND(SK_CRC32, 0, NULL),

    /* AES-NI, PCLMULQDQ */
    [X86_INSN_AESENC_VdqWdq] = OP(aesenc), [X86_INSN_AESENCLAST_VdqWdq] = OP(aesenclast),
    [X86_INSN_AESDEC_VdqWdq] = OP(aesdec), [X86_INSN_AESDECLAST_VdqWdq] = OP(aesdeclast),
    [X86_INSN_AESIMC_VdqWdq] = OP(aesimc),
    [X86_INSN_AESKEYGENASSIST_VdqWdqIb] = OPI(aeskeygenassist),
    [X86_INSN_PCLMULQDQ_VdqWdqIb] = OPI(pclmulqdq),

    /* floating point */
    [X86_INSN_ADDPS_VpsWps] = OP(addps), [X86_INSN_ADDPD_VpdWpd] = OP(addpd),
    [X86_INSN_ADDSS_VssWss] = OP(addss), [X86_INSN_ADDSD_VsdWsd] = OP(addsd),
    [X86_INSN_SUBPS_VpsWps] = OP(subps), [X86_INSN_SUBPD_VpdWpd] = OP(subpd),
    [X86_INSN_SUBSS_VssWss] = OP(subss), [X86_INSN_SUBSD_VsdWsd] = OP(subsd),
    [X86_INSN_MULPS_VpsWps] = OP(mulps), [X86_INSN_MULPD_VpdWpd] = OP(mulpd),
    [X86_INSN_MULSS_VssWss] = OP(mulss), [X86_INSN_MULSD_VsdWsd] = OP(mulsd),
    [X86_INSN_DIVPS_VpsWps] = OP(divps), [X86_INSN_DIVPD_VpdWpd] = OP(divpd),
    [X86_INSN_DIVSS_VssWss] = OP(divss), [X86_INSN_DIVSD_VsdWsd] = OP(divsd),
    [X86_INSN_MINPS_VpsWps] = OP(minps), [X86_INSN_MINPD_VpdWpd] = OP(minpd),
    [X86_INSN_MINSS_VssWss] = OP(minss), [X86_INSN_MINSD_VsdWsd] = OP(minsd),
    [X86_INSN_MAXPS_VpsWps] = OP(maxps), [X86_INSN_MAXPD_VpdWpd] = OP(maxpd),
    [X86_INSN_MAXSS_VssWss] = OP(maxss), [X86_INSN_MAXSD_VsdWsd] = OP(maxsd),
    [X86_INSN_SQRTPS_VpsWps] = OP(sqrtps), [X86_INSN_SQRTPD_VpdWpd] = OP(sqrtpd),
    [X86_INSN_SQRTSS_VssWss] = OP(sqrtss), [X86_INSN_SQRTSD_VsdWsd] = OP(sqrtsd),
    [X86_INSN_RCPPS_VpsWps] = OP(rcpps), [X86_INSN_RCPSS_VssWss] = OP(rcpss),
    [X86_INSN_RSQRTPS_VpsWps] = OP(rsqrtps), [X86_INSN_RSQRTSS_VssWss] = OP(rsqrtss),
    [X86_INSN_ADDSUBPS_VpsWps] = OP(addsubps), [X86_INSN_ADDSUBPD_VpdWpd] = OP(addsubpd),
    [X86_INSN_HADDPS_VpsWps] = OP(haddps), [X86_INSN_HADDPD_VpdWpd] = OP(haddpd),
    [X86_INSN_HSUBPS_VpsWps] = OP(hsubps), [X86_INSN_HSUBPD_VpdWpd] = OP(hsubpd),
    [X86_INSN_CMPPS_VpsWpsIb] = OPI(cmpps), [X86_INSN_CMPPD_VpdWpdIb] = OPI(cmppd),
    [X86_INSN_CMPSS_VssWssIb] = OPI(cmpss), [X86_INSN_CMPSD_VsdWsdIb] = OPI(cmpsd),
    [X86_INSN_ROUNDPS_VpsWpsIb] = OPI(roundps), [X86_INSN_ROUNDPD_VpdWpdIb] = OPI(roundpd),
    [X86_INSN_ROUNDSS_VssWssIb] = OPI(roundss), [X86_INSN_ROUNDSD_VsdWsdIb] = OPI(roundsd),
    [X86_INSN_DPPS_VpsWpsIb] = OPI(dpps), [X86_INSN_DPPD_VpdWpdIb] = OPI(dppd),
    [X86_INSN_COMISS_VssWss] = KIND(SK_FLAGS, 0, &helper_info_comiss),
    [X86_INSN_UCOMISS_VssWss] = KIND(SK_FLAGS, 0, &helper_info_ucomiss),
    [X86_INSN_COMISD_VsdWsd] = KIND(SK_FLAGS, 0, &helper_info_comisd),
    [X86_INSN_UCOMISD_VsdWsd] = KIND(SK_FLAGS, 0, &helper_info_ucomisd),
    [X86_INSN_CVTPS2PD_VpdWq] = OP(cvtps2pd), [X86_INSN_CVTPD2PS_VpsWpd] = OP(cvtpd2ps),
    [X86_INSN_CVTSS2SD_VsdWss] = OP(cvtss2sd), [X86_INSN_CVTSD2SS_VssWsd] = OP(cvtsd2ss),
    [X86_INSN_CVTDQ2PS_VpsWdq] = OP(cvtdq2ps), [X86_INSN_CVTPS2DQ_VdqWps] = OP(cvtps2dq),
    [X86_INSN_CVTTPS2DQ_VdqWps] = OP(cvttps2dq), [X86_INSN_CVTDQ2PD_VpdWq] = OP(cvtdq2pd),
    [X86_INSN_CVTPD2DQ_VdqWpd] = OP(cvtpd2dq), [X86_INSN_CVTTPD2DQ_VdqWpd] = OP(cvttpd2dq),
    [X86_INSN_CVTPI2PS_VpsQq] = OP(cvtpi2ps), [X86_INSN_CVTPI2PD_VpdQq] = OP(cvtpi2pd),
    [X86_INSN_CVTPS2PI_PqWq] = OP(cvtps2pi), [X86_INSN_CVTTPS2PI_PqWq] = OP(cvttps2pi),
    [X86_INSN_CVTPD2PI_PqWpd] = OP(cvtpd2pi), [X86_INSN_CVTTPD2PI_PqWpd] = OP(cvttpd2pi),
    [X86_INSN_CVTSI2SS_VssEy] = KIND(SK_CVT_FROM_INT, 0, &helper_info_cvtsi2ss),
    [X86_INSN_CVTSI2SD_VsdEy] = KIND(SK_CVT_FROM_INT, 0, &helper_info_cvtsi2sd),
    [X86_INSN_CVTSS2SI_GyWss] = KIND(SK_CVT_TO_INT, 0, &helper_info_cvtss2si),
    [X86_INSN_CVTTSS2SI_GyWss] = KIND(SK_CVT_TO_INT, 0, &helper_info_cvttss2si),
    [X86_INSN_CVTSD2SI_GyWsd] = KIND(SK_CVT_TO_INT, 0, &helper_info_cvtsd2si),
    [X86_INSN_CVTTSD2SI_GyWsd] = KIND(SK_CVT_TO_INT, 0, &helper_info_cvttsd2si),

    /* state */
    [X86_INSN_EMMS] = KIND(SK_EMMS, 0, NULL),
    [X86_INSN_LDMXCSR_Md] = KIND(SK_LDMXCSR, 0, NULL),
    [X86_INSN_STMXCSR_Md] = KIND(SK_STMXCSR, 0, NULL),
    [X86_INSN_FXSAVE_M] = KIND(SK_FXSAVE, 0, &helper_info_fxsave),
    [X86_INSN_FXRSTOR_M] = KIND(SK_FXSAVE, 1, &helper_info_fxrstor),
    [X86_INSN_XSAVE_M] = KIND(SK_XSAVE, 0, &helper_info_xsave),
    [X86_INSN_XRSTOR_M] = KIND(SK_XSAVE, 1, &helper_info_xrstor),
    [X86_INSN_XSAVEOPT_M] = KIND(SK_XSAVE, 2, &helper_info_xsaveopt),
};

/* ---- small emitters ---- */

static TCGv_i32 c32(uint32_t v)
{
    return tcg_constant_i32((int32_t)v);
}

static void gen_call(const TCGHelperInfo *h, int ret, int a1, int a2, int a3, int a4, int a5)
{
    const int args[] = { TCG_TEMP_ENV, a1, a2, a3, a4, a5 };
    tcg_gen_call(h, ret, args);
}

static bool operand_is_mmx(const X86Operand *op)
{
    return op->type == X86_OPT_REG && op->cls == X86_RC_MMX;
}

/* Offset in X86CPU of a vector register operand. */
static uint32_t reg_offset(const X86Operand *op)
{
    return op->cls == X86_RC_MMX ? sse_mmx_offset(op->reg) : sse_xmm_offset(op->reg);
}

/* Mark an MMX register written: the aliased x87 exponent becomes all ones. */
static void gen_mmx_written(uint32_t mant_off)
{
    tcg_gen_st16_i32(c32(0xffff), tcg_env, mant_off + SSE_MMX_EXP_DELTA);
}

/* Linear address of a memory operand; #GP(0) unless aligned to `align`
 * (1 = no check). With a check, a TB temp: it survives the check's label. */
static TCGv_i64 gen_address(DisasContext *s, const X86Operand *op, unsigned align)
{
    TCGv_i64 addr = align > 1 ? tcg_temp_new_tb_i64() : tcg_temp_new_i64();
    x86_gen_lea(s, addr, op, true);
    if (align > 1) {
        TCGLabel *ok = gen_new_label();
        TCGv_i64 low = tcg_temp_new_i64();
        tcg_gen_andi_i64(low, addr, align - 1);
        tcg_gen_brcondi_i64(TCG_COND_EQ, low, 0, ok);
        gen_helper_sse_raise(tcg_env, c32(X86_EXCP_GP));
        gen_set_label(ok);
    }
    return addr;
}

/* addr + 8, wrapping as linear addresses do outside 64-bit mode. */
static TCGv_i64 gen_address_hi(DisasContext *s, TCGv_i64 addr)
{
    TCGv_i64 hi = tcg_temp_new_i64();
    tcg_gen_addi_i64(hi, addr, 8);
    if (!(s->hflags & X86_HF_CS64)) {
        tcg_gen_ext32u_i64(hi, hi);
    }
    return hi;
}

static unsigned mem_align(const SseForm *f, unsigned size)
{
    return (size == 16 && !(f->flags & SF_UNALIGNED)) ? 16 : 1;
}

static TCGMemOp size_memop(unsigned size)
{
    return size == 1 ? MO_UB : size == 2 ? MO_UW : size == 4 ? MO_UL : MO_UQ;
}

/* Load `size` (1..8) bytes at env + off, zero-extended. */
static void gen_env_ld(TCGv_i64 v, uint32_t off, unsigned size)
{
    switch (size) {
    case 1: tcg_gen_ld8u_i64(v, tcg_env, off); break;
    case 2: tcg_gen_ld16u_i64(v, tcg_env, off); break;
    case 4: tcg_gen_ld32u_i64(v, tcg_env, off); break;
    default: tcg_gen_ld_i64(v, tcg_env, off); break;
    }
}

static void gen_env_st(TCGv_i64 v, uint32_t off, unsigned size)
{
    switch (size) {
    case 1: tcg_gen_st8_i64(v, tcg_env, off); break;
    case 2: tcg_gen_st16_i64(v, tcg_env, off); break;
    case 4: tcg_gen_st32_i64(v, tcg_env, off); break;
    default: tcg_gen_st_i64(v, tcg_env, off); break;
    }
}

/*
 * A vector operand as 64-bit halves (hi only for 16 bytes): a register, or
 * `size` bytes of memory, zero-extended.
 */
static void gen_vec_load(DisasContext *s, const X86Operand *op, unsigned size, unsigned align,
                         TCGv_i64 lo, TCGv_i64 hi)
{
    if (op->type == X86_OPT_REG) {
        uint32_t off = reg_offset(op);
        gen_env_ld(lo, off, size < 8 ? size : 8);
        if (size == 16) {
            tcg_gen_ld_i64(hi, tcg_env, off + 8);
        }
        return;
    }
    TCGv_i64 addr = gen_address(s, op, align);
    x86_gen_ld(s, lo, addr, size_memop(size < 8 ? size : 8));
    if (size == 16) {
        x86_gen_ld(s, hi, gen_address_hi(s, addr), MO_UQ);
    }
}

/* Store halves to memory, low first: only a 16-byte store crossing into a
 * page that faults leaves its low half written (the retried instruction
 * writes it again). */
static void gen_vec_store_mem(DisasContext *s, const X86Operand *op, unsigned size,
                              unsigned align, TCGv_i64 lo, TCGv_i64 hi)
{
    TCGv_i64 addr = gen_address(s, op, align);
    x86_gen_st(s, lo, addr, size_memop(size < 8 ? size : 8));
    if (size == 16) {
        x86_gen_st(s, hi, gen_address_hi(s, addr), MO_UQ);
    }
}

/* The offset a helper reads operand `op` from: its register, or the scratch
 * register after loading `op->size` bytes of memory into it. */
static uint32_t gen_source(DisasContext *s, const SseForm *f, const X86Operand *op)
{
    if (op->type == X86_OPT_REG) {
        return reg_offset(op);
    }
    TCGv_i64 lo = tcg_temp_new_i64(), hi = tcg_temp_new_i64();
    gen_vec_load(s, op, op->size, mem_align(f, op->size), lo, hi);
    gen_env_st(lo, SSE_SCRATCH_OFFSET, op->size < 8 ? op->size : 8);
    if (op->size == 16) {
        tcg_gen_st_i64(hi, tcg_env, SSE_SCRATCH_OFFSET + 8);
    }
    return SSE_SCRATCH_OFFSET;
}

/* ---- exception checks (SDM vol. 3 Table 23-*: #UD before #NM before #MF) ---- */

static bool kind_is_xmm(unsigned kind)
{
    switch (kind) {
    case X86_OPK_Vdq: case X86_OPK_Vps: case X86_OPK_Vpd: case X86_OPK_Vss: case X86_OPK_Vsd:
    case X86_OPK_Vq: case X86_OPK_Vd:
    case X86_OPK_Wdq: case X86_OPK_Wps: case X86_OPK_Wpd: case X86_OPK_Wss: case X86_OPK_Wsd:
    case X86_OPK_Wq: case X86_OPK_Wd: case X86_OPK_Ww:
    case X86_OPK_Udq: case X86_OPK_Uq: case X86_OPK_Ups: case X86_OPK_Upd:
    case X86_OPK_XMM0:
        return true;
    default:
        return false;
    }
}

static void gen_ud(DisasContext *s)
{
    x86_gen_illegal(s, false);
}

/* #NM when CR0.TS (x86_gen_check_fpu_available would also want OSFXSR,
 * which MMX, EMMS, FXSAVE and XSAVE do not). False: raised. */
static bool gen_check_ts(DisasContext *s)
{
    if (s->hflags & X86_HF_TS) {
        x86_gen_exception(s, X86_EXCP_NM, 0);
        return false;
    }
    return true;
}

/*
 * CR0.EM -> #UD; for instructions touching XMM state also CR4.OSFXSR = 0 ->
 * #UD; CR0.TS -> #NM; then an MMX register operand means the x87-to-MMX
 * transition (with #MF for a pending x87 exception). False: raised.
 */
static bool gen_prologue(DisasContext *s, bool xmm_state)
{
    const X86Insn *in = &s->insn;
    bool xmm = xmm_state, mmx = false;
    const X86FormInfo *fi = x86_form_info(in->id);

    for (unsigned i = 0; i < X86_MAX_OPERANDS; i++) {
        xmm |= kind_is_xmm(fi->ops[i]);
        mmx |= operand_is_mmx(&in->op[i]);
    }
    if ((s->hflags & X86_HF_EM) || (xmm && !(s->hflags & X86_HF_OSFXSR))) {
        gen_ud(s);
        return false;
    }
    if (!gen_check_ts(s)) {
        return false;
    }
    if (mmx) {
        gen_helper_mmx_enter(tcg_env);
    }
    return true;
}

/* ---- the families ---- */

static void gen_op(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    uint32_t d = reg_offset(&in->op[0]);
    uint32_t src = gen_source(s, f, &in->op[1]);
    if (f->kind == SK_OP_IMM) {
        gen_call(f->helper, -1, c32(d).n, c32(src).n, c32((uint32_t)in->imm & 0xff).n, 0, 0);
    } else {
        gen_call(f->helper, -1, c32(d).n, c32(src).n, 0, 0, 0);
    }
}

static void gen_shift_imm(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    tcg_gen_st_i64(tcg_constant_i64(in->imm & 0xff), tcg_env, SSE_SCRATCH_OFFSET);
    gen_call(f->helper, -1, c32(reg_offset(&in->op[0])).n, c32(SSE_SCRATCH_OFFSET).n, 0, 0, 0);
}

static void gen_logic(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    bool mmx = operand_is_mmx(&in->op[0]);
    unsigned size = mmx ? 8 : 16;
    uint32_t d = reg_offset(&in->op[0]);
    TCGv_i64 b[2] = { tcg_temp_new_i64(), tcg_temp_new_i64() };

    gen_vec_load(s, &in->op[1], size, mem_align(f, size), b[0], b[1]);
    for (unsigned h = 0; h < size / 8; h++) {
        TCGv_i64 a = tcg_temp_new_i64();
        tcg_gen_ld_i64(a, tcg_env, d + 8 * h);
        switch (f->arg) {
        case LOGIC_AND: tcg_gen_and_i64(a, a, b[h]); break;
        case LOGIC_ANDN: tcg_gen_andc_i64(a, b[h], a); break;
        case LOGIC_OR: tcg_gen_or_i64(a, a, b[h]); break;
        default: tcg_gen_xor_i64(a, a, b[h]); break;
        }
        tcg_gen_st_i64(a, tcg_env, d + 8 * h);
    }
    if (mmx) {
        gen_mmx_written(d);
    }
}

/*
 * PCMPEQB/W/D without a helper: these, PMOVMSKB and POR are the inner loop
 * of the C library's SSE2 strlen/strchr/memchr. Per 64-bit half, x = a ^ b
 * is zero in the equal elements; adding 0x7f..f to each element's low bits
 * (no carry between elements) sets its top bit when those bits are nonzero,
 * OR x's own top bit: an element is equal iff its top bit stays clear.
 */
static void gen_cmpeq(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    bool mmx = operand_is_mmx(&in->op[0]);
    unsigned size = mmx ? 8 : 16, bits = 8 * f->arg;
    uint32_t d = reg_offset(&in->op[0]);
    uint64_t top = 0;
    for (unsigned i = bits - 1; i < 64; i += bits) {
        top |= 1ull << i;
    }
    uint64_t low = top - (top >> (bits - 1));   /* 0x7f7f.. / 0x7fff.. / 0x7fffffff.. */
    uint64_t ones = bits == 32 ? 0xffffffffull : (1ull << bits) - 1;
    TCGv_i64 b[2] = { tcg_temp_new_i64(), tcg_temp_new_i64() };

    gen_vec_load(s, &in->op[1], size, mem_align(f, size), b[0], b[1]);
    for (unsigned h = 0; h < size / 8; h++) {
        TCGv_i64 x = tcg_temp_new_i64(), t = tcg_temp_new_i64();
        tcg_gen_ld_i64(x, tcg_env, d + 8 * h);
        tcg_gen_xor_i64(x, x, b[h]);
        tcg_gen_andi_i64(t, x, (int64_t)low);
        tcg_gen_addi_i64(t, t, (int64_t)low);
        tcg_gen_or_i64(t, t, x);
        tcg_gen_andc_i64(t, tcg_constant_i64((int64_t)top), t);   /* top bit: equal */
        tcg_gen_shri_i64(t, t, bits - 1);
        tcg_gen_muli_i64(t, t, (int64_t)ones);
        tcg_gen_st_i64(t, tcg_env, d + 8 * h);
    }
    if (mmx) {
        gen_mmx_written(d);
    }
}

/* PMOVMSKB: the top bit of each byte, gathered by one multiply per half
 * (bit 8i+7 lands on bit 56+i; no two partial products meet). */
static void gen_pmovmskb(DisasContext *s)
{
    const X86Insn *in = &s->insn;
    const X86Operand *src = &in->op[1];
    uint32_t off = reg_offset(src);
    unsigned halves = src->cls == X86_RC_MMX ? 1 : 2;
    TCGv_i64 r = tcg_temp_new_i64();

    for (unsigned h = 0; h < halves; h++) {
        TCGv_i64 t = tcg_temp_new_i64();
        tcg_gen_ld_i64(t, tcg_env, off + 8 * h);
        tcg_gen_andi_i64(t, t, (int64_t)0x8080808080808080ull);
        tcg_gen_muli_i64(t, t, 0x0002040810204081ll);
        tcg_gen_shri_i64(t, t, 56);
        if (h == 0) {
            tcg_gen_mov_i64(r, t);
        } else {
            tcg_gen_shli_i64(t, t, 8);
            tcg_gen_or_i64(r, r, t);
        }
    }
    x86_gen_reg_write(s, &in->op[0], in->op[0].size, r);
}

/* PSHUFD: dword imm8[2i+1:2i] of the source into dword i. */
static void gen_pshufd(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    uint32_t d = reg_offset(&in->op[0]), imm = (uint32_t)in->imm & 0xff;
    TCGv_i64 half[2] = { tcg_temp_new_i64(), tcg_temp_new_i64() };
    TCGv_i64 w[4], r[2];

    gen_vec_load(s, &in->op[1], 16, mem_align(f, 16), half[0], half[1]);
    for (unsigned i = 0; i < 4; i++) {
        w[i] = tcg_temp_new_i64();
        if (i & 1) {
            tcg_gen_shri_i64(w[i], half[i / 2], 32);
        } else {
            tcg_gen_ext32u_i64(w[i], half[i / 2]);
        }
    }
    for (unsigned h = 0; h < 2; h++) {
        r[h] = tcg_temp_new_i64();
        tcg_gen_shli_i64(r[h], w[(imm >> (4 * h + 2)) & 3], 32);
        tcg_gen_or_i64(r[h], r[h], w[(imm >> (4 * h)) & 3]);
    }
    tcg_gen_st_i64(r[0], tcg_env, d);
    tcg_gen_st_i64(r[1], tcg_env, d + 8);
}

static void gen_zero_hi(uint32_t xmm_off)
{
    tcg_gen_st_i64(tcg_constant_i64(0), tcg_env, xmm_off + 8);
}

static void gen_mov(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    const X86Operand *dst = &in->op[0], *src = &in->op[1];
    TCGv_i64 lo = tcg_temp_new_i64(), hi = tcg_temp_new_i64();
    bool dreg = dst->type == X86_OPT_REG;
    uint32_t d = dreg ? reg_offset(dst) : 0;

    switch ((SseMove)f->arg) {
    case MV_VEC:
        if (!dreg && mem_align(f, 16) > 1) {
            /* the store's alignment check has a label: keep the data in TB temps */
            lo = tcg_temp_new_tb_i64();
            hi = tcg_temp_new_tb_i64();
        }
        gen_vec_load(s, src, 16, mem_align(f, 16), lo, hi);
        if (dreg) {
            tcg_gen_st_i64(lo, tcg_env, d);
            tcg_gen_st_i64(hi, tcg_env, d + 8);
        } else {
            gen_vec_store_mem(s, dst, 16, mem_align(f, 16), lo, hi);
        }
        break;
    case MV_SS_LOAD:
    case MV_SD_LOAD: {
        unsigned size = f->arg == MV_SS_LOAD ? 4 : 8;
        gen_vec_load(s, src, size, 1, lo, hi);
        if (src->type == X86_OPT_REG) {
            gen_env_st(lo, d, size);            /* register form: low lane only */
        } else {
            tcg_gen_st_i64(lo, tcg_env, d);     /* memory form: the rest cleared */
            gen_zero_hi(d);
        }
        break;
    }
    case MV_SS_STORE:
    case MV_SD_STORE:
    case MV_LO_STORE: {
        unsigned size = f->arg == MV_SS_STORE ? 4 : 8;
        gen_env_ld(lo, reg_offset(src), size);
        if (dreg) {
            gen_env_st(lo, d, size);
        } else {
            gen_vec_store_mem(s, dst, size, 1, lo, hi);
        }
        break;
    }
    case MV_HI_STORE:
        tcg_gen_ld_i64(lo, tcg_env, reg_offset(src) + 8);
        gen_vec_store_mem(s, dst, 8, 1, lo, hi);
        break;
    case MV_LO_LOAD:                            /* MOVLPS m64 / MOVHLPS: high half of U */
        if (src->type == X86_OPT_REG) {
            tcg_gen_ld_i64(lo, tcg_env, reg_offset(src) + 8);
        } else {
            gen_vec_load(s, src, 8, 1, lo, hi);
        }
        tcg_gen_st_i64(lo, tcg_env, d);
        break;
    case MV_HI_LOAD:                            /* MOVHPS m64 / MOVLHPS: low half of U */
        gen_vec_load(s, src, 8, 1, lo, hi);
        tcg_gen_st_i64(lo, tcg_env, d + 8);
        break;
    case MV_Q_LOAD:
    case MV_Q2DQ:
        gen_vec_load(s, src, 8, 1, lo, hi);
        tcg_gen_st_i64(lo, tcg_env, d);
        gen_zero_hi(d);
        break;
    case MV_Q_STORE:
        tcg_gen_ld_i64(lo, tcg_env, reg_offset(src));
        if (dreg) {
            tcg_gen_st_i64(lo, tcg_env, d);
            gen_zero_hi(d);
        } else {
            gen_vec_store_mem(s, dst, 8, 1, lo, hi);
        }
        break;
    case MV_D_TO_XMM:
    case MV_D_TO_MMX:
        x86_gen_operand_load(s, lo, src, src->size);
        tcg_gen_st_i64(lo, tcg_env, d);
        if (f->arg == MV_D_TO_XMM) {
            gen_zero_hi(d);
        } else {
            gen_mmx_written(d);
        }
        break;
    case MV_D_FROM_XMM:
    case MV_D_FROM_MMX:
        gen_env_ld(lo, reg_offset(src), dst->size);
        x86_gen_operand_store(s, dst, dst->size, lo);
        break;
    case MV_MMX:
    case MV_DQ2Q:
        gen_vec_load(s, src, 8, 1, lo, hi);
        if (dreg) {
            tcg_gen_st_i64(lo, tcg_env, d);
            if (dst->cls == X86_RC_MMX) {
                gen_mmx_written(d);
            }
        } else {
            gen_vec_store_mem(s, dst, 8, 1, lo, hi);
        }
        break;
    case MV_DDUP:
        gen_vec_load(s, src, 8, 1, lo, hi);
        tcg_gen_st_i64(lo, tcg_env, d);
        tcg_gen_st_i64(lo, tcg_env, d + 8);
        break;
    case MV_SLDUP:
    case MV_SHDUP: {
        TCGv_i64 half[2] = { lo, hi };
        gen_vec_load(s, src, 16, mem_align(f, 16), lo, hi);
        for (unsigned h = 0; h < 2; h++) {
            TCGv_i64 t = tcg_temp_new_i64();
            if (f->arg == MV_SLDUP) {
                tcg_gen_shli_i64(t, half[h], 32);
                tcg_gen_deposit_i64(t, t, half[h], 0, 32);
            } else {
                tcg_gen_shri_i64(t, half[h], 32);
                tcg_gen_deposit_i64(t, half[h], t, 0, 32);
            }
            tcg_gen_st_i64(t, tcg_env, d + 8 * h);
        }
        break;
    }
    }
}

/* PEXTRB/W/D/Q, EXTRACTPS, PEXTRW to a GPR: element imm8 of the source. */
static void gen_extract(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    const X86Operand *dst = &in->op[0], *src = &in->op[1];
    bool mmx = src->cls == X86_RC_MMX;
    unsigned esize = f->arg ? f->arg : dst->size;
    unsigned count = (mmx ? 8 : 16) / esize;
    TCGv_i64 v = tcg_temp_new_i64();

    gen_env_ld(v, reg_offset(src) + ((uint32_t)in->imm & (count - 1)) * esize, esize);
    if (dst->type == X86_OPT_REG) {
        /* r32/r64 destinations are zero-extended (a 4-byte write does it). */
        x86_gen_reg_write(s, dst, dst->size < 4 ? 4 : dst->size, v);
    } else {
        x86_gen_st(s, v, gen_address(s, dst, 1), size_memop(esize));
    }
}

/* PINSRB/W/D/Q: a GPR or memory element into element imm8 of the destination. */
static void gen_insert(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    const X86Operand *dst = &in->op[0], *src = &in->op[1];
    bool mmx = dst->cls == X86_RC_MMX;
    unsigned esize = f->arg ? f->arg : src->size;
    unsigned count = (mmx ? 8 : 16) / esize;
    uint32_t d = reg_offset(dst);
    TCGv_i64 v = tcg_temp_new_i64();

    if (src->type == X86_OPT_REG) {
        x86_gen_reg_read(s, v, src, src->size);
    } else {
        x86_gen_ld(s, v, gen_address(s, src, 1), size_memop(esize));
    }
    gen_env_st(v, d + ((uint32_t)in->imm & (count - 1)) * esize, esize);
    if (mmx) {
        gen_mmx_written(d);
    }
}

/* INSERTPS: a memory source is one dword, so imm8[7:6] does not apply. */
static void gen_insertps(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    uint32_t imm = (uint32_t)in->imm & 0xff;
    if (in->op[1].type != X86_OPT_REG) {
        imm &= 0x3f;
    }
    uint32_t src = gen_source(s, f, &in->op[1]);
    gen_call(f->helper, -1, c32(reg_offset(&in->op[0])).n, c32(src).n, c32(imm).n, 0, 0);
}

static void gen_set_eflags(DisasContext *s, TCGv_i64 flags)
{
    tcg_gen_mov_i64(x86_cc_src, flags);
    x86_gen_set_cc_op(s, CC_OP_EFLAGS);
}

static void gen_flags(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    TCGv_i64 r = tcg_temp_new_i64();
    uint32_t src = gen_source(s, f, &in->op[1]);
    gen_call(f->helper, r.n, c32(reg_offset(&in->op[0])).n, c32(src).n, 0, 0, 0);
    gen_set_eflags(s, r);
}

static void gen_pcmpstr(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    bool explicit = f->arg & 1, index = f->arg & 2;
    uint32_t ctl = ((uint32_t)in->imm & 0xff) | ((in->rex & 8) ? SSE_STR_REXW : 0);
    uint32_t src = gen_source(s, f, &in->op[1]);
    TCGv_i64 r = tcg_temp_new_i64(), flags = tcg_temp_new_i64();
    int d = c32(reg_offset(&in->op[0])).n;

    if (explicit) {
        gen_call(f->helper, r.n, d, c32(src).n, c32(ctl).n, x86_reg[R_EAX].n, x86_reg[R_EDX].n);
    } else {
        gen_call(f->helper, r.n, d, c32(src).n, c32(ctl).n, 0, 0);
    }
    if (index) {
        X86Operand ecx = { .type = X86_OPT_REG, .cls = X86_RC_GPR, .reg = R_ECX, .size = 4 };
        TCGv_i64 idx = tcg_temp_new_i64();
        tcg_gen_shri_i64(idx, r, 32);
        x86_gen_reg_write(s, &ecx, 4, idx);
    }
    tcg_gen_ext32u_i64(flags, r);
    gen_set_eflags(s, flags);
}

static void gen_movmsk(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    if (f->arg == 1) {
        gen_pmovmskb(s);
        return;
    }
    TCGv_i32 r = tcg_temp_new_i32();
    TCGv_i64 v = tcg_temp_new_i64();
    gen_call(f->helper, r.n, c32(reg_offset(&in->op[1])).n, 0, 0, 0, 0);
    tcg_gen_extu_i32_i64(v, r);
    x86_gen_reg_write(s, &in->op[0], in->op[0].size, v);
}

static void gen_cvt_to_int(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    TCGv_i64 r = tcg_temp_new_i64();
    uint32_t src = gen_source(s, f, &in->op[1]);
    gen_call(f->helper, r.n, c32(src).n, c32(in->op[0].size).n, 0, 0, 0);
    x86_gen_reg_write(s, &in->op[0], in->op[0].size, r);
}

static void gen_cvt_from_int(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    TCGv_i64 v = tcg_temp_new_i64();
    x86_gen_operand_load(s, v, &in->op[1], in->op[1].size);
    gen_call(f->helper, -1, c32(reg_offset(&in->op[0])).n, v.n, c32(in->op[1].size).n, 0, 0);
}

static uint32_t mem_flags(DisasContext *s)
{
    return (uint32_t)s->mmu_idx | ((s->insn.rex & 8) ? SSE_MEM_REXW : 0) |
           ((s->hflags & X86_HF_CS64) ? SSE_MEM_LONG : 0);
}

/* MASKMOVQ/MASKMOVDQU store to DS:rDI (segment override allowed). */
static void gen_maskmov(DisasContext *s, const SseForm *f)
{
    X86Insn *in = &s->insn;
    X86Mem saved = in->mem;
    X86Operand m = { .type = X86_OPT_MEM };
    TCGv_i64 addr = tcg_temp_new_i64();

    in->mem = (X86Mem){ .disp = 0, .base = R_EDI, .index = X86_REG_NONE, .scale = 1 };
    x86_gen_lea(s, addr, &m, true);
    in->mem = saved;
    gen_call(f->helper, -1, c32(reg_offset(&in->op[0])).n, c32(reg_offset(&in->op[1])).n,
             addr.n, c32(mem_flags(s)).n, 0);
}

/* CRC32 Gy, Eb/Ev: the accumulator is the low 32 bits of Gy. */
static void gen_crc32(DisasContext *s)
{
    const X86Insn *in = &s->insn;
    TCGv_i64 crc = tcg_temp_new_i64(), v = tcg_temp_new_i64();
    x86_gen_reg_read(s, crc, &in->op[0], 4);
    x86_gen_operand_load(s, v, &in->op[1], in->op[1].size);
    gen_helper_crc32(crc, crc, v, c32(in->op[1].size));
    x86_gen_reg_write(s, &in->op[0], in->op[0].size, crc);
}

static void gen_state(DisasContext *s, const SseForm *f)
{
    const X86Insn *in = &s->insn;
    TCGv_i64 v = tcg_temp_new_i64();

    switch (f->kind) {
    case SK_LDMXCSR: {
        TCGv_i32 w = tcg_temp_new_i32();
        x86_gen_ld(s, v, gen_address(s, &in->op[0], 1), MO_UL);
        tcg_gen_extrl_i64_i32(w, v);
        gen_helper_ldmxcsr(tcg_env, w);
        break;
    }
    case SK_STMXCSR:
        tcg_gen_ld32u_i64(v, tcg_env, offsetof(X86CPU, mxcsr));
        x86_gen_st(s, v, gen_address(s, &in->op[0], 1), MO_UL);
        break;
    case SK_FXSAVE:
        gen_call(f->helper, -1, gen_address(s, &in->op[0], 1).n, c32(mem_flags(s)).n, 0, 0, 0);
        break;
    case SK_XSAVE: {
        TCGv_i64 mask = tcg_temp_new_i64(), lo = tcg_temp_new_i64();
        tcg_gen_shli_i64(mask, x86_reg[R_EDX], 32);
        tcg_gen_ext32u_i64(lo, x86_reg[R_EAX]);
        tcg_gen_or_i64(mask, mask, lo);
        gen_call(f->helper, -1, gen_address(s, &in->op[0], 1).n, mask.n, c32(mem_flags(s)).n,
                 0, 0);
        break;
    }
    default:
        break;
    }
}

bool x86_translate_sse(DisasContext *s)
{
    const X86Insn *in = &s->insn;
    if (in->id >= X86_INSN_COUNT || sse_forms[in->id].kind == SK_NONE) {
        return false;
    }
    const SseForm *f = &sse_forms[in->id];

    if (!x86_cpu_has_feature(s->x86, in->feature)) {
        gen_ud(s);
        return true;
    }

    switch (f->kind) {
    case SK_CRC32:
        gen_crc32(s);
        return true;
    case SK_MOVNTI: {
        TCGv_i64 v = tcg_temp_new_i64();
        x86_gen_reg_read(s, v, &in->op[1], in->op[1].size);
        x86_gen_st(s, v, gen_address(s, &in->op[0], 1), size_memop(in->op[1].size));
        return true;
    }
    case SK_EMMS:
        if (s->hflags & X86_HF_EM) {
            gen_ud(s);
        } else if (gen_check_ts(s)) {
            gen_helper_emms(tcg_env);
        }
        return true;
    case SK_FXSAVE:
        if (s->hflags & X86_HF_EM) {
            gen_ud(s);
        } else if (gen_check_ts(s)) {
            gen_state(s, f);
        }
        return true;
    case SK_XSAVE:
        if (!(s->hflags & X86_HF_OSXSAVE)) {
            gen_ud(s);
        } else if (gen_check_ts(s)) {
            gen_state(s, f);
        }
        return true;
    default:
        break;
    }

    if (!gen_prologue(s, f->kind == SK_LDMXCSR || f->kind == SK_STMXCSR)) {
        return true;
    }
    switch (f->kind) {
    case SK_OP:
    case SK_OP_IMM:
        gen_op(s, f);
        break;
    case SK_SHIFT_IMM:
        gen_shift_imm(s, f);
        break;
    case SK_BYTESHIFT:
        gen_call(f->helper, -1, c32(reg_offset(&in->op[0])).n, c32((uint32_t)in->imm & 0xff).n,
                 0, 0, 0);
        break;
    case SK_LOGIC:
        gen_logic(s, f);
        break;
    case SK_CMPEQ:
        gen_cmpeq(s, f);
        break;
    case SK_PSHUFD:
        gen_pshufd(s, f);
        break;
    case SK_MOV:
        gen_mov(s, f);
        break;
    case SK_MOVMSK:
        gen_movmsk(s, f);
        break;
    case SK_CVT_TO_INT:
        gen_cvt_to_int(s, f);
        break;
    case SK_CVT_FROM_INT:
        gen_cvt_from_int(s, f);
        break;
    case SK_FLAGS:
        gen_flags(s, f);
        break;
    case SK_PCMPSTR:
        gen_pcmpstr(s, f);
        break;
    case SK_EXTRACT:
        gen_extract(s, f);
        break;
    case SK_INSERT:
        gen_insert(s, f);
        break;
    case SK_INSERTPS:
        gen_insertps(s, f);
        break;
    case SK_MASKMOV:
        gen_maskmov(s, f);
        break;
    case SK_LDMXCSR:
    case SK_STMXCSR:
        gen_state(s, f);
        break;
    default:
        break;
    }
    return true;
}
