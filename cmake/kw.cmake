# Helpers that keep each module's CMakeLists.txt to a few lines.

set(KW_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual
    -Wimplicit-fallthrough -Wformat=2)
# GCC 12 reports false -Wrestrict positives inside libstdc++'s string
# concatenation (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND KW_WARNINGS -Wno-restrict)
endif()
if(KW_WERROR)
  list(APPEND KW_WARNINGS -Werror)
endif()

if(KW_FUZZ)
  set(KW_SANITIZE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
endif()

# kw_library(NAME SRCS... DEPS ...): a static library kw_NAME, alias kw::NAME.
function(kw_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(kw_${name} STATIC ${ARG_SRCS})
  add_library(kw::${name} ALIAS kw_${name})
  target_include_directories(kw_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(kw_${name} PRIVATE ${KW_WARNINGS} ${KW_SANITIZE})
  target_link_libraries(kw_${name} PUBLIC ${ARG_DEPS})
endfunction()

# kw_test(NAME SRCS... DEPS ... [LABELS ...]): a GoogleTest binary run by ctest.
function(kw_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  if(KW_FUZZ OR KW_SKIP_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SRCS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_compile_options(${name} PRIVATE ${KW_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}"
                       ENVIRONMENT "KW_SOURCE_DIR=${PROJECT_SOURCE_DIR};KW_BUILD_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# kw_fuzzer(NAME SRC DEPS ...): a libFuzzer target, and a ctest that runs it
# over its committed seed corpus fuzz/corpus/NAME (a regression test).
function(kw_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${KW_WARNINGS} -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  set(corpus ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
  # New inputs go to a scratch directory (the first corpus argument), never
  # into the committed seed corpus.
  set(run ${PROJECT_SOURCE_DIR}/fuzz/run-corpus.sh)
  add_test(NAME ${name}_corpus COMMAND ${run} $<TARGET_FILE:${name}> ${corpus} -runs=0)
  add_test(NAME ${name}_smoke COMMAND ${run} $<TARGET_FILE:${name}> ${corpus} -runs=20000 -seed=1 -max_len=4096)
  set_tests_properties(${name}_corpus ${name}_smoke PROPERTIES LABELS fuzz)
endfunction()
