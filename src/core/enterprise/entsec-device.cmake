# SPDX-License-Identifier: GPL-3.0-or-later
# Device claims (entsec-device.h): what binds an enrolled device to its
# hardware, collected from injectable sysfs, /proc and /etc roots.
# Included from src/core/CMakeLists.txt.

pkg_check_modules(ENTSEC_DEVICE_JANSSON REQUIRED IMPORTED_TARGET GLOBAL jansson>=2.14)

add_library(entsec-device STATIC
  ${CMAKE_CURRENT_LIST_DIR}/entsec-device-claims.c
  ${CMAKE_CURRENT_LIST_DIR}/entsec-device-drift.c)
target_include_directories(entsec-device
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(entsec-device
  PUBLIC PkgConfig::GLIB PkgConfig::OPENSSL PkgConfig::ENTSEC_DEVICE_JANSSON
  PRIVATE entsec-otp entsec-internal)
