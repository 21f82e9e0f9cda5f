# Shared build settings for every irqfabric target.
#   irqf_library(<name> SOURCES ... DEPS ...)   a block library irqf_<name>
#   irqf_test(<name> SOURCES ... DEPS ...)      a Catch2 test executable, each TEST_CASE its own CTest
#                                               (so every case may elaborate its own SystemC platform)

function(irqf_settings target)
  # Debian's SystemC is built as C++17: C++20 units must claim 201703 (see shared/NOTES.md).
  target_compile_definitions(${target} PUBLIC SC_CPLUSPLUS=201703L SC_INCLUDE_DYNAMIC_PROCESSES)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  # GCC 12 reports false -Wrestrict positives inside libstdc++ string concatenation at -O2/-O3
  # (GCC bug 105329); keep every other warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(IRQF_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(IRQF_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer
                                            -fno-sanitize-recover=undefined)
    # GCC 12 emits false -Wmaybe-uninitialized in libstdc++ (std::regex, std::function) under ASan.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

function(irqf_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(irqf_${name} STATIC ${A_SOURCES})
  target_include_directories(irqf_${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(irqf_${name} PUBLIC ${A_DEPS})
  irqf_settings(irqf_${name})
endfunction()

function(irqf_test name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(test_${name} ${A_SOURCES})
  target_link_libraries(test_${name} PRIVATE irqf_test_main ${A_DEPS})
  irqf_settings(test_${name})
  catch_discover_tests(test_${name} TEST_PREFIX "${name}: "
    PROPERTIES ENVIRONMENT "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1;IRQF_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
               TIMEOUT 120)
endfunction()
