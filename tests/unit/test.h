/*
 * Minimal unit-test harness. Each test binary prints one line per case
 * ("PASS name", "FAIL name: why", "SKIP name: why") and exits non-zero if
 * any case failed. tests/run-unit sums the lines into "N passed, N failed".
 */
#ifndef MIMIC_TEST_H
#define MIMIC_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures_;
static int test_case_failed_;
static const char *test_case_name_;

#define TEST_CASE(name) static void name(void)

/* Fail the current case with a printf-style reason, and return from it. */
#define CHECK(cond) do { if (!(cond)) { \
        printf("FAIL %s: %s:%d: %s\n", test_case_name_, __FILE__, __LINE__, #cond); \
        test_case_failed_ = 1; return; } } while (0)
#define CHECK_EQ(a, b) do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
        if (a_ != b_) { \
        printf("FAIL %s: %s:%d: %s == %s (0x%llx != 0x%llx)\n", test_case_name_, __FILE__, __LINE__, \
               #a, #b, a_, b_); \
        test_case_failed_ = 1; return; } } while (0)
#define SKIP(why) do { printf("SKIP %s: %s\n", test_case_name_, why); test_case_failed_ = -1; return; } while (0)

#define RUN(name) do { test_case_name_ = #name; test_case_failed_ = 0; name(); \
        if (test_case_failed_ == 0) printf("PASS %s\n", #name); \
        else if (test_case_failed_ > 0) { test_failures_++; } \
        fflush(stdout); } while (0)

#define TEST_EXIT() return test_failures_ ? 1 : 0

#endif
