/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-macros.h: which functions libentsec exports */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

/*
 * ENTSEC_EXPORT goes on the line before every function declared in a public
 * header. libentsec is compiled with hidden visibility, so these functions
 * are the only symbols libentsec.so exports (tests/check-exports.sh).
 */
#if defined(__GNUC__) || defined(__clang__)
#define ENTSEC_EXPORT __attribute__((visibility ("default"))) extern
#else
#define ENTSEC_EXPORT extern
#endif
