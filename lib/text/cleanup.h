/* SPDX-License-Identifier: MIT */
/* Scope-bound cleanup (GCC/clang cleanup attribute), so an early return cannot leak. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* 1 in a build with AddressSanitizer, where everything is freed and allocated one by one
 * for it to watch: GCC says so with __SANITIZE_ADDRESS__, clang (the fuzz build) only
 * through __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifndef HAVE_ASAN
#define HAVE_ASAN 0
#endif

static inline void freep(void *p) { free(*(void **) p); }
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Define a cleanup function for a type with a destructor that accepts NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        func(*p);                       \
        }

/* Hand ownership over: returns the pointer and leaves NULL behind. */
#define TAKE_PTR(p) ({                                  \
                __typeof__(p) _ptr_ = (p);              \
                (p) = NULL;                             \
                _ptr_;                                  \
        })
#define TAKE_FD(fd) ({                                  \
                int _fd_ = (fd);                        \
                (fd) = -1;                              \
                _fd_;                                   \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
