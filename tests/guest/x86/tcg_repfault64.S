/* tcg_repfault: the 64-bit REP string bodies (see tcg_repfault.c).  Each
 * exports the address of its string instruction so the C side can compare
 * it with the RIP of the #PF frame. */

    .text
    .code64

#define REP_BODY(name, setup, insn) \
    .globl name, name##_insn; \
name: \
    setup; \
name##_insn: \
    insn; \
    cld; \
    ret

REP_BODY(rep_movsb, cld, rep movsb)
REP_BODY(rep_stosb, cld, rep stosb)
REP_BODY(rep_movsq, cld, rep movsq)
REP_BODY(rep_stosb_down, std, rep stosb)

    .section .note.GNU-stack, "", @progbits
