/*
 * atf-c.h for programs baked into kvm images: the part of libatf-c's
 * interface that platform/common/tests use, so that the contract tests
 * every platform must pass run inside the virtual machine unchanged
 * (apps/tests/t_kvm_contract.sh).  The image's argument selects one test
 * case ("-l" lists them); its result is printed as a line
 * "kvm-atf-result: passed" or "kvm-atf-result: failed: ..." and is the
 * exit status (0 passed, 1 failed).  The host test runs one boot per
 * case, as Kyua runs one process per case.
 */
#ifndef KVM_ATF_C_H
#define KVM_ATF_C_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct atf_tc atf_tc_t;
typedef struct atf_tp atf_tp_t;
typedef int atf_error_t;

struct atf_tc {
	const char	*name;
	void		(*head)(atf_tc_t *);
	void		(*body)(const atf_tc_t *);
};

#define KVM_ATF_MAXTCS	128
struct atf_tp {
	const atf_tc_t	*tcs[KVM_ATF_MAXTCS];
	int		 ntcs;
};

static int kvm_atf_failures;

static inline atf_error_t
atf_no_error(void)
{
	return 0;
}

static inline void
atf_tc_set_md_var(atf_tc_t *tc, const char *name, const char *fmt, ...)
{
	(void)tc;
	(void)name;
	(void)fmt;
}

static inline void
kvm_atf_fail(bool fatal, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("kvm-atf-check: %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	kvm_atf_failures++;
	if (fatal) {
		printf("kvm-atf-result: failed: %s:%d\n", file, line);
		exit(1);
	}
}

#define atf_tc_fail(...) \
	kvm_atf_fail(true, __FILE__, __LINE__, __VA_ARGS__)
#define atf_tc_fail_nonfatal(...) \
	kvm_atf_fail(false, __FILE__, __LINE__, __VA_ARGS__)
static inline void
atf_tc_skip(const char *fmt, ...)
{
	va_list ap;

	printf("kvm-atf-result: skipped: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(0);
}

#define KVM_ATF_CHECK(fatal, x, ...) do { \
	if (!(x)) \
		kvm_atf_fail(fatal, __FILE__, __LINE__, __VA_ARGS__); \
} while (0)

#define ATF_CHECK(x)		KVM_ATF_CHECK(false, x, "%s not met", #x)
#define ATF_REQUIRE(x)		KVM_ATF_CHECK(true, x, "%s not met", #x)
#define ATF_CHECK_MSG(x, ...)	KVM_ATF_CHECK(false, x, __VA_ARGS__)
#define ATF_REQUIRE_MSG(x, ...)	KVM_ATF_CHECK(true, x, __VA_ARGS__)
#define ATF_CHECK_EQ(a, b) \
	KVM_ATF_CHECK(false, (a) == (b), "%s != %s", #a, #b)
#define ATF_REQUIRE_EQ(a, b) \
	KVM_ATF_CHECK(true, (a) == (b), "%s != %s", #a, #b)
#define ATF_CHECK_EQ_MSG(a, b, ...) \
	KVM_ATF_CHECK(false, (a) == (b), __VA_ARGS__)
#define ATF_REQUIRE_EQ_MSG(a, b, ...) \
	KVM_ATF_CHECK(true, (a) == (b), __VA_ARGS__)

#define ATF_TC(tc) \
	static void kvm_atf_head_##tc(atf_tc_t *); \
	static void kvm_atf_body_##tc(const atf_tc_t *); \
	static atf_tc_t kvm_atf_tc_##tc = { #tc, kvm_atf_head_##tc, \
	    kvm_atf_body_##tc }
#define ATF_TC_WITHOUT_HEAD(tc) \
	static void kvm_atf_body_##tc(const atf_tc_t *); \
	static atf_tc_t kvm_atf_tc_##tc = { #tc, NULL, kvm_atf_body_##tc }
#define ATF_TC_HEAD(tc, tcv) \
	static void kvm_atf_head_##tc(atf_tc_t *tcv)
#define ATF_TC_BODY(tc, tcv) \
	static void kvm_atf_body_##tc(const atf_tc_t *tcv)
#define ATF_TP_ADD_TC(tp, tc) \
	((tp)->tcs[(tp)->ntcs++] = &kvm_atf_tc_##tc)

#define ATF_TP_ADD_TCS(tpv) \
	static atf_error_t kvm_atf_add_tcs(atf_tp_t *); \
	int \
	main(int argc, char **argv) \
	{ \
		static atf_tp_t tp; \
		atf_tc_t tc; \
		int i; \
		\
		kvm_atf_add_tcs(&tp); \
		if (argc == 2 && strcmp(argv[1], "-l") == 0) { \
			for (i = 0; i < tp.ntcs; i++) \
				printf("kvm-atf-case: %s\n", \
				    tp.tcs[i]->name); \
			return 0; \
		} \
		for (i = 0; argc == 2 && i < tp.ntcs; i++) { \
			if (strcmp(argv[1], tp.tcs[i]->name) != 0) \
				continue; \
			tc = *tp.tcs[i]; \
			if (tc.head != NULL) \
				tc.head(&tc); \
			tc.body(&tc); \
			if (kvm_atf_failures != 0) { \
				printf("kvm-atf-result: failed: %d " \
				    "checks\n", kvm_atf_failures); \
				return 1; \
			} \
			printf("kvm-atf-result: passed\n"); \
			return 0; \
		} \
		printf("usage: %s -l | CASE\n", argv[0]); \
		return 2; \
	} \
	static atf_error_t \
	kvm_atf_add_tcs(atf_tp_t *tpv)

#endif /* KVM_ATF_C_H */
