# SPDX-License-Identifier: GPL-3.0-or-later
# Warnings and hardening for every target. Optimisation is left to the build
# type or the preset: nothing here forces -O levels.

set(CMAKE_POSITION_INDEPENDENT_CODE ON)

add_compile_options(
  -Wall -Wextra
  -Wformat=2 -Wformat-security
  -Wshadow -Wpointer-arith
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes> $<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes>
  -Wnull-dereference -Wundef -Wvla
  -Wno-unused-parameter -Wno-missing-field-initializers
  -fno-strict-aliasing
  -fstack-protector-strong)

if(ENTSEC_WERROR)
  add_compile_options(-Werror)
endif()

# _FORTIFY_SOURCE needs optimisation; leave it out of -O0 debug builds so
# glibc does not warn on every file.
add_compile_options("$<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>")

# PIE, full RELRO, non-executable stack.
include(CheckPIESupported)
check_pie_supported()
add_link_options(-Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed)
