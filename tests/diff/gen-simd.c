/* Differential tests: MMX, SSE..SSE4.2, AES, PCLMULQDQ and CRC32 classes of
 * the generator as tables of AT&T operand patterns (token grammar below);
 * legacy-SSE m128 operands are 16-byte aligned unless the
 * form allows otherwise.  Reference: Intel SDM vol. 2, vol. 1 ch. 9-12. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define MEMTXT 96
#define MAX_TOKENS 4

enum { F_BASE, F_SSE3, F_SSSE3, F_SSE41, F_SSE42, F_AES, F_PCLMUL };
#define U 0x1                  /* memory operand may be unaligned */
#define FL 0x2                 /* writes the arithmetic flags */
#define V32 0x4                /* memory holds float32 lanes */
#define V64 0x8                /* memory holds float64 lanes */

typedef struct SimdForm {
    const char *mnemonic;
    const char *pattern;
    int feature;
    int attr;
} SimdForm;

static const SimdForm mmx_forms[] = {
    { "movd", "e q", F_BASE, 0 }, { "movd", "q e", F_BASE, 0 },
    { "movq", "R q", F_BASE, 0 }, { "movq", "q R", F_BASE, 0 },
    { "movq", "Q q", F_BASE, 0 }, { "movq", "q M8", F_BASE, 0 },
    { "paddb", "Q q", F_BASE, 0 }, { "paddw", "Q q", F_BASE, 0 }, { "paddd", "Q q", F_BASE, 0 },
    { "paddq", "Q q", F_BASE, 0 }, { "psubb", "Q q", F_BASE, 0 }, { "psubw", "Q q", F_BASE, 0 },
    { "psubd", "Q q", F_BASE, 0 }, { "psubq", "Q q", F_BASE, 0 },
    { "paddsb", "Q q", F_BASE, 0 }, { "paddsw", "Q q", F_BASE, 0 },
    { "paddusb", "Q q", F_BASE, 0 }, { "paddusw", "Q q", F_BASE, 0 },
    { "psubsb", "Q q", F_BASE, 0 }, { "psubsw", "Q q", F_BASE, 0 },
    { "psubusb", "Q q", F_BASE, 0 }, { "psubusw", "Q q", F_BASE, 0 },
    { "pmullw", "Q q", F_BASE, 0 }, { "pmulhw", "Q q", F_BASE, 0 }, { "pmaddwd", "Q q", F_BASE, 0 },
    { "pcmpeqb", "Q q", F_BASE, 0 }, { "pcmpeqw", "Q q", F_BASE, 0 }, { "pcmpeqd", "Q q", F_BASE, 0 },
    { "pcmpgtb", "Q q", F_BASE, 0 }, { "pcmpgtw", "Q q", F_BASE, 0 }, { "pcmpgtd", "Q q", F_BASE, 0 },
    { "packsswb", "Q q", F_BASE, 0 }, { "packssdw", "Q q", F_BASE, 0 }, { "packuswb", "Q q", F_BASE, 0 },
    { "punpcklbw", "Q q", F_BASE, 0 }, { "punpcklwd", "Q q", F_BASE, 0 },
    { "punpckldq", "Q q", F_BASE, 0 }, { "punpckhbw", "Q q", F_BASE, 0 },
    { "punpckhwd", "Q q", F_BASE, 0 }, { "punpckhdq", "Q q", F_BASE, 0 },
    { "pand", "Q q", F_BASE, 0 }, { "pandn", "Q q", F_BASE, 0 }, { "por", "Q q", F_BASE, 0 },
    { "pxor", "Q q", F_BASE, 0 },
    { "psllw", "Q q", F_BASE, 0 }, { "pslld", "Q q", F_BASE, 0 }, { "psllq", "Q q", F_BASE, 0 },
    { "psrlw", "Q q", F_BASE, 0 }, { "psrld", "Q q", F_BASE, 0 }, { "psrlq", "Q q", F_BASE, 0 },
    { "psraw", "Q q", F_BASE, 0 }, { "psrad", "Q q", F_BASE, 0 },
    { "psllw", "i q", F_BASE, 0 }, { "pslld", "i q", F_BASE, 0 }, { "psllq", "i q", F_BASE, 0 },
    { "psrlw", "i q", F_BASE, 0 }, { "psrld", "i q", F_BASE, 0 }, { "psrlq", "i q", F_BASE, 0 },
    { "psraw", "i q", F_BASE, 0 }, { "psrad", "i q", F_BASE, 0 },
    { "pavgb", "Q q", F_BASE, 0 }, { "pavgw", "Q q", F_BASE, 0 },
    { "pmaxub", "Q q", F_BASE, 0 }, { "pmaxsw", "Q q", F_BASE, 0 },
    { "pminub", "Q q", F_BASE, 0 }, { "pminsw", "Q q", F_BASE, 0 },
    { "psadbw", "Q q", F_BASE, 0 }, { "pmulhuw", "Q q", F_BASE, 0 }, { "pmuludq", "Q q", F_BASE, 0 },
    { "pmovmskb", "q r", F_BASE, 0 }, { "pshufw", "i Q q", F_BASE, 0 },
    { "pinsrw", "i ew q", F_BASE, 0 }, { "pextrw", "i q r", F_BASE, 0 },
    { "movntq", "q M8", F_BASE, 0 },
    { "pshufb", "Q q", F_SSSE3, 0 }, { "phaddw", "Q q", F_SSSE3, 0 }, { "phaddd", "Q q", F_SSSE3, 0 },
    { "phaddsw", "Q q", F_SSSE3, 0 }, { "phsubw", "Q q", F_SSSE3, 0 }, { "phsubd", "Q q", F_SSSE3, 0 },
    { "phsubsw", "Q q", F_SSSE3, 0 }, { "pmaddubsw", "Q q", F_SSSE3, 0 },
    { "pmulhrsw", "Q q", F_SSSE3, 0 }, { "psignb", "Q q", F_SSSE3, 0 },
    { "psignw", "Q q", F_SSSE3, 0 }, { "psignd", "Q q", F_SSSE3, 0 },
    { "pabsb", "Q q", F_SSSE3, 0 }, { "pabsw", "Q q", F_SSSE3, 0 }, { "pabsd", "Q q", F_SSSE3, 0 },
    { "palignr", "i Q q", F_SSSE3, 0 },
    { "cvtpi2ps", "Q x", F_BASE, 0 }, { "cvtps2pi", "X8 q", F_BASE, V32 },
    { "cvttps2pi", "X8 q", F_BASE, V32 }, { "cvtpi2pd", "Q x", F_BASE, 0 },
    { "cvtpd2pi", "X16 q", F_BASE, V64 }, { "cvttpd2pi", "X16 q", F_BASE, V64 },
    { "movq2dq", "q x", F_BASE, 0 }, { "movdq2q", "x q", F_BASE, 0 },
};

static const SimdForm sse_forms[] = {
    { "addps", "X16 x", F_BASE, V32 }, { "subps", "X16 x", F_BASE, V32 },
    { "mulps", "X16 x", F_BASE, V32 }, { "divps", "X16 x", F_BASE, V32 },
    { "minps", "X16 x", F_BASE, V32 }, { "maxps", "X16 x", F_BASE, V32 },
    { "sqrtps", "X16 x", F_BASE, V32 }, { "andps", "X16 x", F_BASE, V32 },
    { "andnps", "X16 x", F_BASE, V32 }, { "orps", "X16 x", F_BASE, V32 },
    { "xorps", "X16 x", F_BASE, V32 }, { "unpcklps", "X16 x", F_BASE, V32 },
    { "unpckhps", "X16 x", F_BASE, V32 }, { "movaps", "X16 x", F_BASE, V32 },
    { "movups", "X16 x", F_BASE, U | V32 }, { "movaps", "x M16", F_BASE, 0 },
    { "movups", "x M16", F_BASE, U },
    { "addss", "X4 x", F_BASE, V32 }, { "subss", "X4 x", F_BASE, V32 },
    { "mulss", "X4 x", F_BASE, V32 }, { "divss", "X4 x", F_BASE, V32 },
    { "minss", "X4 x", F_BASE, V32 }, { "maxss", "X4 x", F_BASE, V32 },
    { "sqrtss", "X4 x", F_BASE, V32 }, { "cvtss2sd", "X4 x", F_BASE, V32 },
    { "movss", "M4 x", F_BASE, V32 }, { "movss", "x x", F_BASE, 0 }, { "movss", "x M4", F_BASE, 0 },
    { "comiss", "X4 x", F_BASE, FL | V32 }, { "ucomiss", "X4 x", F_BASE, FL | V32 },
    { "addpd", "X16 x", F_BASE, V64 }, { "subpd", "X16 x", F_BASE, V64 },
    { "mulpd", "X16 x", F_BASE, V64 }, { "divpd", "X16 x", F_BASE, V64 },
    { "minpd", "X16 x", F_BASE, V64 }, { "maxpd", "X16 x", F_BASE, V64 },
    { "sqrtpd", "X16 x", F_BASE, V64 }, { "andpd", "X16 x", F_BASE, V64 },
    { "andnpd", "X16 x", F_BASE, V64 }, { "orpd", "X16 x", F_BASE, V64 },
    { "xorpd", "X16 x", F_BASE, V64 }, { "unpcklpd", "X16 x", F_BASE, V64 },
    { "unpckhpd", "X16 x", F_BASE, V64 }, { "movapd", "X16 x", F_BASE, V64 },
    { "movupd", "X16 x", F_BASE, U | V64 },
    { "addsd", "X8 x", F_BASE, V64 }, { "subsd", "X8 x", F_BASE, V64 },
    { "mulsd", "X8 x", F_BASE, V64 }, { "divsd", "X8 x", F_BASE, V64 },
    { "minsd", "X8 x", F_BASE, V64 }, { "maxsd", "X8 x", F_BASE, V64 },
    { "sqrtsd", "X8 x", F_BASE, V64 }, { "cvtsd2ss", "X8 x", F_BASE, V64 },
    { "movsd", "M8 x", F_BASE, V64 }, { "movsd", "x x", F_BASE, 0 }, { "movsd", "x M8", F_BASE, 0 },
    { "comisd", "X8 x", F_BASE, FL | V64 }, { "ucomisd", "X8 x", F_BASE, FL | V64 },
    { "cmpps", "c X16 x", F_BASE, V32 }, { "cmppd", "c X16 x", F_BASE, V64 },
    { "cmpss", "c X4 x", F_BASE, V32 }, { "cmpsd", "c X8 x", F_BASE, V64 },
    { "shufps", "i X16 x", F_BASE, V32 }, { "shufpd", "i X16 x", F_BASE, V64 },
    { "movlps", "M8 x", F_BASE, V32 }, { "movlps", "x M8", F_BASE, 0 },
    { "movhps", "M8 x", F_BASE, V32 }, { "movhps", "x M8", F_BASE, 0 },
    { "movlpd", "M8 x", F_BASE, V64 }, { "movlpd", "x M8", F_BASE, 0 },
    { "movhpd", "M8 x", F_BASE, V64 }, { "movhpd", "x M8", F_BASE, 0 },
    { "movlhps", "x x", F_BASE, 0 }, { "movhlps", "x x", F_BASE, 0 },
    { "movmskps", "x r", F_BASE, 0 }, { "movmskpd", "x r", F_BASE, 0 },
    { "cvtsi2ssl", "e x", F_BASE, 0 }, { "cvtsi2ssq", "E x", F_BASE, 0 },
    { "cvtsi2sdl", "e x", F_BASE, 0 }, { "cvtsi2sdq", "E x", F_BASE, 0 },
    { "cvtss2si", "X4 r", F_BASE, V32 }, { "cvtss2si", "X4 R", F_BASE, V32 },
    { "cvttss2si", "X4 r", F_BASE, V32 }, { "cvttss2si", "X4 R", F_BASE, V32 },
    { "cvtsd2si", "X8 r", F_BASE, V64 }, { "cvtsd2si", "X8 R", F_BASE, V64 },
    { "cvttsd2si", "X8 r", F_BASE, V64 }, { "cvttsd2si", "X8 R", F_BASE, V64 },
    { "cvtps2pd", "X8 x", F_BASE, V32 }, { "cvtpd2ps", "X16 x", F_BASE, V64 },
    { "cvtdq2ps", "X16 x", F_BASE, 0 }, { "cvtps2dq", "X16 x", F_BASE, V32 },
    { "cvttps2dq", "X16 x", F_BASE, V32 }, { "cvtdq2pd", "X8 x", F_BASE, 0 },
    { "cvtpd2dq", "X16 x", F_BASE, V64 }, { "cvttpd2dq", "X16 x", F_BASE, V64 },
    { "movntps", "x M16", F_BASE, 0 }, { "movntpd", "x M16", F_BASE, 0 },
    { "addsubps", "X16 x", F_SSE3, V32 }, { "haddps", "X16 x", F_SSE3, V32 },
    { "hsubps", "X16 x", F_SSE3, V32 }, { "addsubpd", "X16 x", F_SSE3, V64 },
    { "haddpd", "X16 x", F_SSE3, V64 }, { "hsubpd", "X16 x", F_SSE3, V64 },
    { "movddup", "X8 x", F_SSE3, V64 }, { "movshdup", "X16 x", F_SSE3, V32 },
    { "movsldup", "X16 x", F_SSE3, V32 }, { "lddqu", "M16 x", F_SSE3, U },
    { "roundps", "n X16 x", F_SSE41, V32 }, { "roundpd", "n X16 x", F_SSE41, V64 },
    { "roundss", "n X4 x", F_SSE41, V32 }, { "roundsd", "n X8 x", F_SSE41, V64 },
    { "dpps", "i X16 x", F_SSE41, V32 }, { "dppd", "i X16 x", F_SSE41, V64 },
    { "blendps", "i X16 x", F_SSE41, V32 }, { "blendpd", "i X16 x", F_SSE41, V64 },
    { "blendvps", "z X16 x", F_SSE41, V32 }, { "blendvpd", "z X16 x", F_SSE41, V64 },
    { "insertps", "i X4 x", F_SSE41, V32 }, { "extractps", "i x e", F_SSE41, 0 },
};

static const SimdForm simd_forms[] = {
    { "paddb", "X16 x", F_BASE, 0 }, { "paddw", "X16 x", F_BASE, 0 }, { "paddd", "X16 x", F_BASE, 0 },
    { "paddq", "X16 x", F_BASE, 0 }, { "psubb", "X16 x", F_BASE, 0 }, { "psubw", "X16 x", F_BASE, 0 },
    { "psubd", "X16 x", F_BASE, 0 }, { "psubq", "X16 x", F_BASE, 0 },
    { "paddsb", "X16 x", F_BASE, 0 }, { "paddsw", "X16 x", F_BASE, 0 },
    { "paddusb", "X16 x", F_BASE, 0 }, { "paddusw", "X16 x", F_BASE, 0 },
    { "psubsb", "X16 x", F_BASE, 0 }, { "psubsw", "X16 x", F_BASE, 0 },
    { "psubusb", "X16 x", F_BASE, 0 }, { "psubusw", "X16 x", F_BASE, 0 },
    { "pmullw", "X16 x", F_BASE, 0 }, { "pmulhw", "X16 x", F_BASE, 0 },
    { "pmulhuw", "X16 x", F_BASE, 0 }, { "pmuludq", "X16 x", F_BASE, 0 },
    { "pmaddwd", "X16 x", F_BASE, 0 }, { "pavgb", "X16 x", F_BASE, 0 }, { "pavgw", "X16 x", F_BASE, 0 },
    { "pmaxub", "X16 x", F_BASE, 0 }, { "pmaxsw", "X16 x", F_BASE, 0 },
    { "pminub", "X16 x", F_BASE, 0 }, { "pminsw", "X16 x", F_BASE, 0 }, { "psadbw", "X16 x", F_BASE, 0 },
    { "pcmpeqb", "X16 x", F_BASE, 0 }, { "pcmpeqw", "X16 x", F_BASE, 0 },
    { "pcmpeqd", "X16 x", F_BASE, 0 }, { "pcmpgtb", "X16 x", F_BASE, 0 },
    { "pcmpgtw", "X16 x", F_BASE, 0 }, { "pcmpgtd", "X16 x", F_BASE, 0 },
    { "packsswb", "X16 x", F_BASE, 0 }, { "packssdw", "X16 x", F_BASE, 0 },
    { "packuswb", "X16 x", F_BASE, 0 },
    { "punpcklbw", "X16 x", F_BASE, 0 }, { "punpcklwd", "X16 x", F_BASE, 0 },
    { "punpckldq", "X16 x", F_BASE, 0 }, { "punpcklqdq", "X16 x", F_BASE, 0 },
    { "punpckhbw", "X16 x", F_BASE, 0 }, { "punpckhwd", "X16 x", F_BASE, 0 },
    { "punpckhdq", "X16 x", F_BASE, 0 }, { "punpckhqdq", "X16 x", F_BASE, 0 },
    { "pand", "X16 x", F_BASE, 0 }, { "pandn", "X16 x", F_BASE, 0 }, { "por", "X16 x", F_BASE, 0 },
    { "pxor", "X16 x", F_BASE, 0 },
    { "psllw", "X16 x", F_BASE, 0 }, { "pslld", "X16 x", F_BASE, 0 }, { "psllq", "X16 x", F_BASE, 0 },
    { "psrlw", "X16 x", F_BASE, 0 }, { "psrld", "X16 x", F_BASE, 0 }, { "psrlq", "X16 x", F_BASE, 0 },
    { "psraw", "X16 x", F_BASE, 0 }, { "psrad", "X16 x", F_BASE, 0 },
    { "psllw", "i x", F_BASE, 0 }, { "pslld", "i x", F_BASE, 0 }, { "psllq", "i x", F_BASE, 0 },
    { "psrlw", "i x", F_BASE, 0 }, { "psrld", "i x", F_BASE, 0 }, { "psrlq", "i x", F_BASE, 0 },
    { "psraw", "i x", F_BASE, 0 }, { "psrad", "i x", F_BASE, 0 },
    { "pslldq", "i x", F_BASE, 0 }, { "psrldq", "i x", F_BASE, 0 },
    { "pshufd", "i X16 x", F_BASE, 0 }, { "pshuflw", "i X16 x", F_BASE, 0 },
    { "pshufhw", "i X16 x", F_BASE, 0 }, { "pmovmskb", "x r", F_BASE, 0 },
    { "pextrw", "i x r", F_BASE, 0 }, { "pinsrw", "i ew x", F_BASE, 0 },
    { "movdqa", "X16 x", F_BASE, 0 }, { "movdqa", "x M16", F_BASE, 0 },
    { "movdqu", "X16 x", F_BASE, U }, { "movdqu", "x M16", F_BASE, U },
    { "movq", "X8 x", F_BASE, 0 }, { "movq", "x M8", F_BASE, 0 },
    { "movd", "e x", F_BASE, 0 }, { "movd", "x e", F_BASE, 0 },
    { "movq", "R x", F_BASE, 0 }, { "movq", "x R", F_BASE, 0 },
    { "movntdq", "x M16", F_BASE, 0 }, { "movnti", "r M4", F_BASE, 0 }, { "movnti", "R M8", F_BASE, 0 },
    { "pshufb", "X16 x", F_SSSE3, 0 }, { "phaddw", "X16 x", F_SSSE3, 0 },
    { "phaddd", "X16 x", F_SSSE3, 0 }, { "phaddsw", "X16 x", F_SSSE3, 0 },
    { "phsubw", "X16 x", F_SSSE3, 0 }, { "phsubd", "X16 x", F_SSSE3, 0 },
    { "phsubsw", "X16 x", F_SSSE3, 0 }, { "pmaddubsw", "X16 x", F_SSSE3, 0 },
    { "pmulhrsw", "X16 x", F_SSSE3, 0 }, { "psignb", "X16 x", F_SSSE3, 0 },
    { "psignw", "X16 x", F_SSSE3, 0 }, { "psignd", "X16 x", F_SSSE3, 0 },
    { "pabsb", "X16 x", F_SSSE3, 0 }, { "pabsw", "X16 x", F_SSSE3, 0 },
    { "pabsd", "X16 x", F_SSSE3, 0 }, { "palignr", "i X16 x", F_SSSE3, 0 },
    { "pblendw", "i X16 x", F_SSE41, 0 }, { "pblendvb", "z X16 x", F_SSE41, 0 },
    { "pminsb", "X16 x", F_SSE41, 0 }, { "pminuw", "X16 x", F_SSE41, 0 },
    { "pminsd", "X16 x", F_SSE41, 0 }, { "pminud", "X16 x", F_SSE41, 0 },
    { "pmaxsb", "X16 x", F_SSE41, 0 }, { "pmaxuw", "X16 x", F_SSE41, 0 },
    { "pmaxsd", "X16 x", F_SSE41, 0 }, { "pmaxud", "X16 x", F_SSE41, 0 },
    { "pmulld", "X16 x", F_SSE41, 0 }, { "pmuldq", "X16 x", F_SSE41, 0 },
    { "pcmpeqq", "X16 x", F_SSE41, 0 }, { "packusdw", "X16 x", F_SSE41, 0 },
    { "pmovsxbw", "X8 x", F_SSE41, 0 }, { "pmovsxbd", "X4 x", F_SSE41, 0 },
    { "pmovsxbq", "X2 x", F_SSE41, 0 }, { "pmovsxwd", "X8 x", F_SSE41, 0 },
    { "pmovsxwq", "X4 x", F_SSE41, 0 }, { "pmovsxdq", "X8 x", F_SSE41, 0 },
    { "pmovzxbw", "X8 x", F_SSE41, 0 }, { "pmovzxbd", "X4 x", F_SSE41, 0 },
    { "pmovzxbq", "X2 x", F_SSE41, 0 }, { "pmovzxwd", "X8 x", F_SSE41, 0 },
    { "pmovzxwq", "X4 x", F_SSE41, 0 }, { "pmovzxdq", "X8 x", F_SSE41, 0 },
    { "pextrb", "i x eb", F_SSE41, 0 }, { "pextrw", "i x ew", F_SSE41, 0 },
    { "pextrd", "i x e", F_SSE41, 0 }, { "pextrq", "i x E", F_SSE41, 0 },
    { "pinsrb", "i eb x", F_SSE41, 0 }, { "pinsrd", "i e x", F_SSE41, 0 },
    { "pinsrq", "i E x", F_SSE41, 0 }, { "ptest", "X16 x", F_SSE41, FL },
    { "phminposuw", "X16 x", F_SSE41, 0 }, { "mpsadbw", "i X16 x", F_SSE41, 0 },
    { "movntdqa", "M16 x", F_SSE41, 0 },
    { "pcmpgtq", "X16 x", F_SSE42, 0 },
    { "pcmpestri", "i X16 x", F_SSE42, U | FL }, { "pcmpestrm", "i X16 x", F_SSE42, U | FL },
    { "pcmpistri", "i X16 x", F_SSE42, U | FL }, { "pcmpistrm", "i X16 x", F_SSE42, U | FL },
    { "crc32b", "b r", F_SSE42, 0 }, { "crc32w", "w r", F_SSE42, 0 },
    { "crc32l", "e r", F_SSE42, 0 }, { "crc32q", "E R", F_SSE42, 0 }, { "crc32b", "b R", F_SSE42, 0 },
    { "aesenc", "X16 x", F_AES, 0 }, { "aesenclast", "X16 x", F_AES, 0 },
    { "aesdec", "X16 x", F_AES, 0 }, { "aesdeclast", "X16 x", F_AES, 0 },
    { "aesimc", "X16 x", F_AES, 0 }, { "aeskeygenassist", "i X16 x", F_AES, 0 },
    { "pclmulqdq", "i X16 x", F_PCLMUL, 0 },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool have(int feature)
{
    switch (feature) {
    case F_SSE3: return host.sse3;
    case F_SSSE3: return host.ssse3;
    case F_SSE41: return host.sse41;
    case F_SSE42: return host.sse42;
    case F_AES: return host.aes;
    case F_PCLMUL: return host.pclmul;
    default: return true;
    }
}

/* Memory operand of SIZE for form F, with typed lanes when it has them. */
static void simd_mem(Gen *g, const SimdForm *f, int size, char *out, size_t n)
{
    int align = (size == 16 && !(f->attr & U)) ? 16 : 1;
    if ((f->attr & U) && rng_percent(&g->rng, 50))
        align = 16;
    if ((f->attr & (V32 | V64)) && rng_percent(&g->rng, 70)) {
        uint8_t data[16];
        for (int i = 0; i < 16; i += 8) {
            uint64_t v;
            if (f->attr & V32)
                v = rand_f32(&g->rng) | (uint64_t)rand_f32(&g->rng) << 32;
            else
                v = rand_f64(&g->rng);
            memcpy(data + i, &v, 8);
        }
        gen_mem_value(g, size, align, 0, 0, data, out, n);
    } else {
        gen_mem(g, size, align, 0, 0, out, n);
    }
}

/* Pattern tokens: x xmm; X16/X8/X4/X2 xmm or memory of that size; M16..M1
 * memory only; q mm; Q mm or m64; r/R r32/r64; e/E r32/r64 or memory;
 * eb/ew r32 or m8/m16; b/w r8/r16 or memory; i imm8; c predicate 0..7;
 * n rounding control 0..15; z %xmm0. */
static int atoi_size(const char *s)
{
    return atoi(s);
}

static void simd_form(Gen *g, const SimdForm *f)
{
    char pattern[32], ops[MAX_TOKENS][MEMTXT];
    int nops = 0;
    bool mmx = false;
    Rng *r = &g->rng;

    snprintf(pattern, sizeof(pattern), "%s", f->pattern);
    for (char *save = NULL, *t = strtok_r(pattern, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char *o = ops[nops++];
        const size_t n = MEMTXT;
        bool reg = rng_percent(r, 60);
        if (!strcmp(t, "x")) {
            snprintf(o, n, "%%xmm%u", rng_below(r, 16));
        } else if (t[0] == 'X') {
            int size = atoi_size(t + 1);
            if (reg)
                snprintf(o, n, "%%xmm%u", rng_below(r, 16));
            else
                simd_mem(g, f, size, o, n);
        } else if (t[0] == 'M') {
            simd_mem(g, f, atoi_size(t + 1), o, n);
        } else if (!strcmp(t, "q")) {
            snprintf(o, n, "%%mm%u", rng_below(r, 8));
            mmx = true;
        } else if (!strcmp(t, "Q")) {
            mmx = true;
            if (reg)
                snprintf(o, n, "%%mm%u", rng_below(r, 8));
            else
                simd_mem(g, f, 8, o, n);
        } else if (!strcmp(t, "r") || !strcmp(t, "R")) {
            snprintf(o, n, "%%%s", reg_name(gen_reg(g, 0), t[0] == 'r' ? 4 : 8));
        } else if (!strcmp(t, "e") || !strcmp(t, "E") || !strcmp(t, "eb") || !strcmp(t, "ew") ||
                   !strcmp(t, "b") || !strcmp(t, "w")) {
            int rsize = t[0] == 'E' ? 8 : t[0] == 'b' ? 1 : t[0] == 'w' ? 2 : 4;
            int msize = t[1] == 'b' ? 1 : t[1] == 'w' ? 2 : rsize;
            if (reg)
                snprintf(o, n, "%%%s", reg_name(gen_reg(g, 0), rsize));
            else
                gen_mem(g, msize, 1, 0, 0, o, n);
        } else if (!strcmp(t, "i")) {
            snprintf(o, n, "$%u", rng_below(r, 256));
        } else if (!strcmp(t, "c")) {
            snprintf(o, n, "$%u", rng_below(r, 8));
        } else if (!strcmp(t, "n")) {
            snprintf(o, n, "$%u", rng_below(r, 16));
        } else if (!strcmp(t, "z")) {
            snprintf(o, n, "%%xmm0");
        } else {
            abort();
        }
    }
    char text[GEN_MAX_TEXT];
    int len = snprintf(text, sizeof(text), "%s", f->mnemonic);
    for (int i = 0; i < nops; i++)
        len += snprintf(text + len, sizeof(text) - (size_t)len, "%s%s", i ? ", " : " ", ops[i]);
    static const Fx flags = { .def = FL_ARITH };
    gen_emit(g, (f->attr & FL) ? &flags : NULL, "%s", text);
    if (mmx)
        g->x87_depth = 8;
}

static const SimdForm *pick(Gen *g, const SimdForm *forms, size_t count)
{
    for (;;) {
        const SimdForm *f = &forms[rng_below(&g->rng, (unsigned)count)];
        if (have(f->feature))
            return f;
    }
}

/* Byte masked stores to [RDI] (MASKMOVQ, MASKMOVDQU). */
static void maskmov(Gen *g, bool xmm)
{
    uint32_t size = xmm ? 16 : 8;
    uint32_t off = rng_below(&g->rng, DIFF_WINDOW_SIZE - size);
    gen_mark_dirty(g, off, size);
    gen_emit(g, NULL, "movl $0x%x, %%edi", DIFF_WINDOW_ADDR + off);
    if (xmm) {
        gen_emit(g, NULL, "maskmovdqu %%xmm%u, %%xmm%u", rng_below(&g->rng, 16), rng_below(&g->rng, 16));
    } else {
        gen_emit(g, NULL, "maskmovq %%mm%u, %%mm%u", rng_below(&g->rng, 8), rng_below(&g->rng, 8));
        g->x87_depth = 8;
    }
}

void class_mmx(Gen *g)
{
    unsigned k = rng_below(&g->rng, 100);
    if (k < 4) {
        gen_emit(g, NULL, "emms");
        g->x87_depth = 0;
    } else if (k < 6) {
        maskmov(g, false);
    } else if (k < 10) {
        /* x87 use of the aliased registers. */
        static const Fx fx = { .x87_def = FSW_C1, .x87_undef = FSW_C023 };
        gen_emit(g, &fx, rng_percent(&g->rng, 50) ? "fld %%st(%u)" : "fstp %%st(%u)", rng_below(&g->rng, 8));
    } else {
        simd_form(g, pick(g, mmx_forms, COUNT(mmx_forms)));
    }
}

void class_sse(Gen *g)
{
    unsigned k = rng_below(&g->rng, 100);
    char mem[MEMTXT];
    if (k < 3) {
        /* Random rounding/FTZ/DAZ, exceptions masked, sticky flags kept. */
        uint32_t v = 0x1f80 | (uint32_t)rng_below(&g->rng, 4) << 13 |
                     (rng_percent(&g->rng, 30) ? 0x8040u : 0) | ((uint32_t)rng_next(&g->rng) & 0x3f);
        if (gen_mem_value(g, 4, 4, 0, 0, &v, mem, sizeof(mem)))
            gen_emit(g, NULL, "ldmxcsr %s", mem);
    } else if (k < 5) {
        gen_mem(g, 4, 4, 0, 0, mem, sizeof(mem));
        gen_emit(g, NULL, "stmxcsr %s", mem);
    } else {
        simd_form(g, pick(g, sse_forms, COUNT(sse_forms)));
    }
}

void class_simd(Gen *g)
{
    if (rng_percent(&g->rng, 2))
        maskmov(g, true);
    else
        simd_form(g, pick(g, simd_forms, COUNT(simd_forms)));
}
