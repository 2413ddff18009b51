/*
 * Helper (C function called from translated code) declarations. Each guest
 * architecture lists its helpers once in a .def file of DEF_HELPER lines;
 * these macros turn that list into prototypes, gen_helper_* emitters and the
 * TCGHelperInfo table. The call ABI assumption is in tcg/README.md ("Helpers").
 */
#ifndef MIMIC_TCG_HELPER_H
#define MIMIC_TCG_HELPER_H

#include "tcg.h"

/* Call flags: what the call may do, which decides what is synced around it. */
#define TCG_CALL_PURE             0x01  /* no side effects: removed when its result is unused */
#define TCG_CALL_NO_READ_GLOBALS  0x02  /* does not read globals from the state struct */
#define TCG_CALL_NO_WRITE_GLOBALS 0x04  /* does not write globals in the state struct */
#define TCG_CALL_MAY_RAISE        0x08  /* may longjmp out (fault): globals synced, never removed */
#define TCG_CALL_NO_GLOBALS       (TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS)

enum { TCG_HELPER_RET_VOID, TCG_HELPER_RET_I32, TCG_HELPER_RET_I64 };

typedef void (*TCGHelperFunc)(void);   /* the cast-neutral function pointer type */

typedef struct TCGHelperInfo {
    const char *name;
    TCGHelperFunc func;
    uint8_t ret;                            /* TCG_HELPER_RET_* */
    uint8_t nargs;
    uint8_t arg_type[TCG_MAX_HELPER_ARGS];  /* TCGType of each argument */
    uint16_t flags;                         /* TCG_CALL_* */
} TCGHelperInfo;

/*
 * The host return address of the helper's call site in translated code, for
 * unwinding a fault to its guest instruction. The interpreter backend sets
 * tcg_helper_retaddr (its bytecode position) before calling a MAY_RAISE
 * helper; native code leaves it 0 and the real return address is used.
 * A thread runs one backend at a time.
 */
extern __thread uintptr_t tcg_helper_retaddr;
#define TCG_GETPC() \
    (tcg_helper_retaddr ? tcg_helper_retaddr : (uintptr_t)__builtin_return_address(0))

/*
 * Type words used in DEF_HELPER lines: void (return only), i32, s32, i64,
 * s64, ptr, env (the CPU state pointer; C type TCG_HELPER_ENV_TYPE, default
 * void *). Arguments must be these 32/64-bit integer or pointer types.
 */
#ifndef TCG_HELPER_ENV_TYPE
#define TCG_HELPER_ENV_TYPE void *
#endif
#define TCG_HC_void void
#define TCG_HC_i32  uint32_t
#define TCG_HC_s32  int32_t
#define TCG_HC_i64  uint64_t
#define TCG_HC_s64  int64_t
#define TCG_HC_ptr  void *
#define TCG_HC_env  TCG_HELPER_ENV_TYPE
#define TCG_HV_i32  TCGv_i32
#define TCG_HV_s32  TCGv_i32
#define TCG_HV_i64  TCGv_i64
#define TCG_HV_s64  TCGv_i64
#define TCG_HV_ptr  TCGv_ptr
#define TCG_HV_env  TCGv_ptr
#define TCG_HT_i32  TCG_TYPE_I32
#define TCG_HT_s32  TCG_TYPE_I32
#define TCG_HT_i64  TCG_TYPE_I64
#define TCG_HT_s64  TCG_TYPE_I64
#define TCG_HT_ptr  TCG_TYPE_I64
#define TCG_HT_env  TCG_TYPE_I64
#define TCG_HR_void TCG_HELPER_RET_VOID
#define TCG_HR_i32  TCG_HELPER_RET_I32
#define TCG_HR_s32  TCG_HELPER_RET_I32
#define TCG_HR_i64  TCG_HELPER_RET_I64
#define TCG_HR_s64  TCG_HELPER_RET_I64
#define TCG_HR_ptr  TCG_HELPER_RET_I64
/* gen_helper_* parameter list head and the ret index, per return type. */
#define TCG_HRETP_void
#define TCG_HRETP_i32  TCGv_i32 ret,
#define TCG_HRETP_s32  TCGv_i32 ret,
#define TCG_HRETP_i64  TCGv_i64 ret,
#define TCG_HRETP_s64  TCGv_i64 ret,
#define TCG_HRETP_ptr  TCGv_ptr ret,
#define TCG_HRETP0_void void
#define TCG_HRETP0_i32 TCGv_i32 ret
#define TCG_HRETP0_s32 TCGv_i32 ret
#define TCG_HRETP0_i64 TCGv_i64 ret
#define TCG_HRETP0_s64 TCGv_i64 ret
#define TCG_HRETP0_ptr TCGv_ptr ret
#define TCG_HRETA_void (-1)
#define TCG_HRETA_i32  ret.n
#define TCG_HRETA_s32  ret.n
#define TCG_HRETA_i64  ret.n
#define TCG_HRETA_s64  ret.n
#define TCG_HRETA_ptr  ret.n

#define TCG_HCAT_(a, b) a##b
#define TCG_HCAT(a, b) TCG_HCAT_(a, b)
#define TCG_HNARGS_(_0, _1, _2, _3, _4, _5, _6, n, ...) n
#define TCG_HNARGS(...) TCG_HNARGS_(_, ##__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)

/*
 * Usage, in the architecture's helper header:
 *     #define DEF_HELPER TCG_HELPER_DECLARE
 *     #include "cpu/x86/helpers.def"     // DEF_HELPER(name, flags, ret, args...)
 *     #undef DEF_HELPER
 * and in exactly one .c file (after including that header):
 *     #define DEF_HELPER TCG_HELPER_DEFINE
 *     #include "cpu/x86/helpers.def"
 *     #undef DEF_HELPER
 * DECLARE gives `ret helper_NAME(args)` (which the arch implements),
 * `extern const TCGHelperInfo helper_info_NAME` and
 * `gen_helper_NAME([TCGv ret,] TCGv args...)`. DEFINE gives helper_info_NAME.
 */
#define TCG_HELPER_DECLARE(name, flags, ret, ...) \
    TCG_HCAT(TCG_HELPER_DECLARE_, TCG_HNARGS(__VA_ARGS__))(name, flags, ret, ##__VA_ARGS__)
#define TCG_HELPER_DEFINE(name, flags, ret, ...) \
    TCG_HCAT(TCG_HELPER_DEFINE_, TCG_HNARGS(__VA_ARGS__))(name, flags, ret, ##__VA_ARGS__)

#define TCG_HELPER_INFO_(name, flags, ret, n, ...) \
    const TCGHelperInfo helper_info_##name = { \
        #name, (TCGHelperFunc)helper_##name, TCG_HR_##ret, n, { __VA_ARGS__ }, flags };

#define TCG_HELPER_DECLARE_0(name, flags, ret) \
    TCG_HC_##ret helper_##name(void); \
    extern const TCGHelperInfo helper_info_##name; \
    static inline void gen_helper_##name(TCG_HRETP0_##ret) \
    { tcg_gen_call(&helper_info_##name, TCG_HRETA_##ret, NULL); }
#define TCG_HELPER_DECLARE_1(name, flags, ret, t1) \
    TCG_HC_##ret helper_##name(TCG_HC_##t1); \
    extern const TCGHelperInfo helper_info_##name; \
    static inline void gen_helper_##name(TCG_HRETP_##ret TCG_HV_##t1 a1) \
    { const int args_[] = { a1.n }; tcg_gen_call(&helper_info_##name, TCG_HRETA_##ret, args_); }
#define TCG_HELPER_DECLARE_2(name, flags, ret, t1, t2) \
    TCG_HC_##ret helper_##name(TCG_HC_##t1, TCG_HC_##t2); \
    extern const TCGHelperInfo helper_info_##name; \
    static inline void gen_helper_##name(TCG_HRETP_##ret TCG_HV_##t1 a1, TCG_HV_##t2 a2) \
    { const int args_[] = { a1.n, a2.n }; \
      tcg_gen_call(&helper_info_##name, TCG_HRETA_##ret, args_); }
#define TCG_HELPER_DECLARE_3(name, flags, ret, t1, t2, t3) \
    TCG_HC_##ret helper_##name(TCG_HC_##t1, TCG_HC_##t2, TCG_HC_##t3); \
    extern const TCGHelperInfo helper_info_##name; \
    static inline void gen_helper_##name(TCG_HRETP_##ret TCG_HV_##t1 a1, TCG_HV_##t2 a2, \
                                         TCG_HV_##t3 a3) \
    { const int args_[] = { a1.n, a2.n, a3.n }; \
      tcg_gen_call(&helper_info_##name, TCG_HRETA_##ret, args_); }
#define TCG_HELPER_DECLARE_4(name, flags, ret, t1, t2, t3, t4) \
    TCG_HC_##ret helper_##name(TCG_HC_##t1, TCG_HC_##t2, TCG_HC_##t3, TCG_HC_##t4); \
    extern const TCGHelperInfo helper_info_##name; \
    static inline void gen_helper_##name(TCG_HRETP_##ret TCG_HV_##t1 a1, TCG_HV_##t2 a2, \
                                         TCG_HV_##t3 a3, TCG_HV_##t4 a4) \
    { const int args_[] = { a1.n, a2.n, a3.n, a4.n }; \
      tcg_gen_call(&helper_info_##name, TCG_HRETA_##ret, args_); }
#define TCG_HELPER_DECLARE_5(name, flags, ret, t1, t2, t3, t4, t5) \
    TCG_HC_##ret helper_##name(TCG_HC_##t1, TCG_HC_##t2, TCG_HC_##t3, TCG_HC_##t4, \
                               TCG_HC_##t5); \
    extern const TCGHelperInfo helper_info_##name; \
    static inline void gen_helper_##name(TCG_HRETP_##ret TCG_HV_##t1 a1, TCG_HV_##t2 a2, \
                                         TCG_HV_##t3 a3, TCG_HV_##t4 a4, TCG_HV_##t5 a5) \
    { const int args_[] = { a1.n, a2.n, a3.n, a4.n, a5.n }; \
      tcg_gen_call(&helper_info_##name, TCG_HRETA_##ret, args_); }
#define TCG_HELPER_DECLARE_6(name, flags, ret, t1, t2, t3, t4, t5, t6) \
    TCG_HC_##ret helper_##name(TCG_HC_##t1, TCG_HC_##t2, TCG_HC_##t3, TCG_HC_##t4, \
                               TCG_HC_##t5, TCG_HC_##t6); \
    extern const TCGHelperInfo helper_info_##name; \
    static inline void gen_helper_##name(TCG_HRETP_##ret TCG_HV_##t1 a1, TCG_HV_##t2 a2, \
                                         TCG_HV_##t3 a3, TCG_HV_##t4 a4, TCG_HV_##t5 a5, \
                                         TCG_HV_##t6 a6) \
    { const int args_[] = { a1.n, a2.n, a3.n, a4.n, a5.n, a6.n }; \
      tcg_gen_call(&helper_info_##name, TCG_HRETA_##ret, args_); }

#define TCG_HELPER_DEFINE_0(name, flags, ret) TCG_HELPER_INFO_(name, flags, ret, 0, 0)
#define TCG_HELPER_DEFINE_1(name, flags, ret, t1) \
    TCG_HELPER_INFO_(name, flags, ret, 1, TCG_HT_##t1)
#define TCG_HELPER_DEFINE_2(name, flags, ret, t1, t2) \
    TCG_HELPER_INFO_(name, flags, ret, 2, TCG_HT_##t1, TCG_HT_##t2)
#define TCG_HELPER_DEFINE_3(name, flags, ret, t1, t2, t3) \
    TCG_HELPER_INFO_(name, flags, ret, 3, TCG_HT_##t1, TCG_HT_##t2, TCG_HT_##t3)
#define TCG_HELPER_DEFINE_4(name, flags, ret, t1, t2, t3, t4) \
    TCG_HELPER_INFO_(name, flags, ret, 4, TCG_HT_##t1, TCG_HT_##t2, TCG_HT_##t3, TCG_HT_##t4)
#define TCG_HELPER_DEFINE_5(name, flags, ret, t1, t2, t3, t4, t5) \
    TCG_HELPER_INFO_(name, flags, ret, 5, TCG_HT_##t1, TCG_HT_##t2, TCG_HT_##t3, TCG_HT_##t4, \
                     TCG_HT_##t5)
#define TCG_HELPER_DEFINE_6(name, flags, ret, t1, t2, t3, t4, t5, t6) \
    TCG_HELPER_INFO_(name, flags, ret, 6, TCG_HT_##t1, TCG_HT_##t2, TCG_HT_##t3, TCG_HT_##t4, \
                     TCG_HT_##t5, TCG_HT_##t6)

#endif
