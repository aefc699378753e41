/*
 * Hand-made stand-in for the main/php_config.h that ./configure generates, for
 * compiling compute_offsets.c against the headers of a php-src release tag (which
 * has no generated config). It describes what every x86_64 Linux (glibc) NTS release
 * build has, and only what the Zend headers need; `compute_offsets.sh --own-config`
 * checks it against Debian's generated configs (the same offsets must come out).
 * Our own file, not php-src's.
 */
#ifndef PMT_OFFSETS_PHP_CONFIG_H
#define PMT_OFFSETS_PHP_CONFIG_H

/* What configure puts at the top of every php_config.h. */
#if defined(__GNUC__) && __GNUC__ >= 4
# define ZEND_API __attribute__ ((visibility("default")))
# define ZEND_DLEXPORT __attribute__ ((visibility("default")))
#else
# define ZEND_API
# define ZEND_DLEXPORT
#endif
#define ZEND_DLIMPORT

#define ZEND_DEBUG 0
/* #undef ZTS */

#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 8
#define SIZEOF_LONG_LONG 8
#define SIZEOF_SIZE_T 8
#define SIZEOF_SSIZE_T 8
#define SIZEOF_OFF_T 8
#define SIZEOF_INTMAX_T 8
#define SIZEOF_PTRDIFF_T 8

#define ZEND_MM_ALIGNMENT 8
#define ZEND_MM_ALIGNMENT_LOG2 3
#define ZEND_MM_NEED_EIGHT_BYTE_REALIGNMENT 0
#define ZEND_SIGNALS 1
/* 8.3+: configure defines it wherever the stack grows down (x86_64); it adds
 * EG(call_stack), EG(max_allowed_stack_size), EG(reserved_stack_size). */
#define ZEND_CHECK_STACK_LIMIT 1
/* Only with ZTS: */
/* #undef ZEND_MAX_EXECUTION_TIMERS */

#define PHP_OS "Linux"
#define HAVE_UNISTD_H 1
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_STRING_H 1
#define HAVE_STDLIB_H 1
#define HAVE_DLFCN_H 1
#define HAVE_LIBDL 1
#define HAVE_ALLOCA_H 1
#define HAVE_SIGSETJMP 1
#define HAVE_GCC_GLOBAL_REGS 1

#endif
