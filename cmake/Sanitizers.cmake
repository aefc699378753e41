# Sanitizer and fuzzing builds (`make test-sanitizers`, `make fuzz-build`).
#
# PMT_SANITIZE: ASan + UBSan for the project's own code: phpmemtrace_core and
# everything linking it (the executable, the tests, the benches). The test
# programs that play a PHP binary stay plain: they are probe targets, not code
# under test. Every UBSan report is fatal, so a test cannot pass over one.
#
# PMT_FUZZ: the same plus libFuzzer's coverage instrumentation, and the fuzz
# targets of tests/fuzz. Needs clang (libFuzzer is part of clang's runtime).
option(PMT_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(PMT_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

add_library(pmt_sanitizer_flags INTERFACE)
set(PMT_SANITIZER_OPTIONS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
if(PMT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PMT_FUZZ needs clang: cmake -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ ...")
  endif()
  target_compile_options(pmt_sanitizer_flags INTERFACE ${PMT_SANITIZER_OPTIONS} -fsanitize=fuzzer-no-link)
  target_link_options(pmt_sanitizer_flags INTERFACE ${PMT_SANITIZER_OPTIONS})
elseif(PMT_SANITIZE)
  target_compile_options(pmt_sanitizer_flags INTERFACE ${PMT_SANITIZER_OPTIONS})
  target_link_options(pmt_sanitizer_flags INTERFACE ${PMT_SANITIZER_OPTIONS})
endif()
