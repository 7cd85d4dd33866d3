# Toolchain for the libFuzzer build (fuzz/README.md):
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_TOOLCHAIN_FILE=fuzz/clang-libfuzzer.cmake
# Every library is instrumented for coverage (fuzzer-no-link) and built with
# ASan and UBSan, so that a fault anywhere in the code under a target is seen;
# only the targets link libFuzzer's main (fuzz/CMakeLists.txt). Warnings
# only gcc knows (-Wno-maybe-uninitialized) are not errors here.
set(CMAKE_C_COMPILER clang)
set(CMAKE_CXX_COMPILER clang++)
set(CMAKE_C_FLAGS_INIT "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-unknown-warning-option")
set(CMAKE_CXX_FLAGS_INIT "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-unknown-warning-option")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fsanitize=address,undefined")
set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "")
set(VIGIE_FUZZ ON CACHE BOOL "")
# The gtest suites are the gcc build's; this build only makes the fuzz targets.
set(VIGIE_BUILD_TESTS OFF CACHE BOOL "")
