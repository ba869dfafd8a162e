/*
 * common/types.h: the basic types of platform/common.
 *
 * platform/common is compiled -ffreestanding -nostdinc so that a bare-metal
 * backend can use it unchanged: what a host would get from <stdint.h>,
 * <stddef.h>, <stdbool.h> and <stdarg.h> is defined here from compiler
 * builtins.  Only the files of platform/common include this; backends
 * include their own system headers, which define the same types.
 */
#ifndef COMMON_TYPES_H
#define COMMON_TYPES_H

typedef __INT8_TYPE__		int8_t;
typedef __INT16_TYPE__		int16_t;
typedef __INT32_TYPE__		int32_t;
typedef __INT64_TYPE__		int64_t;
typedef __UINT8_TYPE__		uint8_t;
typedef __UINT16_TYPE__		uint16_t;
typedef __UINT32_TYPE__		uint32_t;
typedef __UINT64_TYPE__		uint64_t;
typedef __INTPTR_TYPE__		intptr_t;
typedef __UINTPTR_TYPE__	uintptr_t;
typedef __SIZE_TYPE__		size_t;

#define INT32_MAX	__INT32_MAX__
#define INT64_MAX	__INT64_MAX__
#define UINT64_MAX	__UINT64_MAX__
#define SIZE_MAX	__SIZE_MAX__

/* rumpuser.h's process id: a 32-bit int on every supported ABI. */
typedef int32_t		pid_t;

typedef _Bool		bool;
#define true		1
#define false		0

#define NULL		((void *)0)
#define offsetof(t, m)	__builtin_offsetof(t, m)

typedef __builtin_va_list va_list;
#define va_start(ap, last)	__builtin_va_start(ap, last)
#define va_arg(ap, type)	__builtin_va_arg(ap, type)
#define va_end(ap)		__builtin_va_end(ap)
#define va_copy(d, s)		__builtin_va_copy(d, s)

#define __predict_false(x)	__builtin_expect(!!(x), 0)
#define __predict_true(x)	__builtin_expect(!!(x), 1)
#define __arraycount(a)		(sizeof(a) / sizeof((a)[0]))

#endif /* COMMON_TYPES_H */
