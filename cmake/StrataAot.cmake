# strata_aot_library(): compile a frozen graph ahead of time at build time and link it like any
# library (what tfcompile's tf_library is to Bazel).
#
#   strata_aot_library(NAME <target>
#     GRAPH <model.pb | model.pbtxt | model.json>
#     CPP_CLASS <ns::Class>
#     FEEDS <node[:k]:dtype[d0,d1,...]> ...   FETCHES <node[:k]> ...   # or:
#     CONFIG <config.pbtxt>                                           # strata.aot.Config
#     [TARGET_CPU <native | x86-64-v3 | x86-64-v4 | cpu>]  # default: STRATA_AOT_TARGET_CPU, else native
#     [WEIGHTS <embed | external>]                        # default: embed
#     [HEADER <file name>]                                # default: <target>.h
#     [DEPENDS <files or targets the graph comes from>])
#
# Creates the static library <target> (the object file) whose users get the generated header
# on their include path and libstrata_aot_runtime on their link line: `#include "<target>.h"`,
# `target_link_libraries(app PRIVATE <target>)`. With WEIGHTS external the weights file is
# written next to the header, and the target's STRATA_AOT_WEIGHTS property holds its path.
#
# In the strata build tree the function uses the `strata` program and the runtime it builds.
# Elsewhere, find_package(StrataAot) (the build tree's or an installed StrataAotConfig.cmake)
# provides them; STRATA_AOT_COMPILER may name the `strata` program explicitly.
include_guard(GLOBAL)

set(STRATA_AOT_TARGET_CPU "native" CACHE STRING
    "CPU that strata_aot_library() compiles for (native, x86-64-v3, x86-64-v4, or an LLVM CPU name)")

function(strata_aot_library)
  cmake_parse_arguments(ARG "" "NAME;GRAPH;CPP_CLASS;CONFIG;TARGET_CPU;WEIGHTS;HEADER" "FEEDS;FETCHES;DEPENDS" ${ARGN})
  foreach(required NAME GRAPH CPP_CLASS)
    if(NOT ARG_${required})
      message(FATAL_ERROR "strata_aot_library: ${required} is required")
    endif()
  endforeach()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "strata_aot_library(${ARG_NAME}): unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(ARG_CONFIG AND (ARG_FEEDS OR ARG_FETCHES))
    message(FATAL_ERROR "strata_aot_library(${ARG_NAME}): give CONFIG or FEEDS/FETCHES, not both")
  endif()
  if(NOT ARG_CONFIG AND NOT ARG_FETCHES)
    message(FATAL_ERROR "strata_aot_library(${ARG_NAME}): FETCHES (or CONFIG) is required")
  endif()

  # The compiler and the runtime: this build's targets, or those of a found StrataAot package.
  if(TARGET strata_cli)
    set(compiler $<TARGET_FILE:strata_cli>)
    set(compiler_dep strata_cli)
  elseif(STRATA_AOT_COMPILER)
    set(compiler ${STRATA_AOT_COMPILER})
    set(compiler_dep ${STRATA_AOT_COMPILER})
  else()
    find_program(STRATA_AOT_COMPILER strata)
    if(NOT STRATA_AOT_COMPILER)
      message(FATAL_ERROR "strata_aot_library: the `strata` program was not found; set STRATA_AOT_COMPILER")
    endif()
    set(compiler ${STRATA_AOT_COMPILER})
    set(compiler_dep ${STRATA_AOT_COMPILER})
  endif()
  if(TARGET strata_aot_runtime)
    set(runtime strata_aot_runtime)
  elseif(TARGET strata::aot_runtime)
    set(runtime strata::aot_runtime)
  else()
    message(FATAL_ERROR "strata_aot_library: libstrata_aot_runtime is missing (find_package(StrataAot) first)")
  endif()

  get_filename_component(graph ${ARG_GRAPH} ABSOLUTE)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR})
  set(object ${out_dir}/${ARG_NAME}${CMAKE_CXX_OUTPUT_EXTENSION})
  if(ARG_HEADER)
    set(header ${out_dir}/${ARG_HEADER})
  else()
    set(header ${out_dir}/${ARG_NAME}.h)
  endif()
  set(target_cpu ${STRATA_AOT_TARGET_CPU})
  if(ARG_TARGET_CPU)
    set(target_cpu ${ARG_TARGET_CPU})
  endif()

  set(args compile ${graph} --cpp_class ${ARG_CPP_CLASS} --out_object ${object} --out_header ${header}
           --target_cpu ${target_cpu} --quiet)
  set(outputs ${object} ${header})
  set(deps ${graph} ${compiler_dep} ${ARG_DEPENDS})
  if(ARG_CONFIG)
    get_filename_component(config ${ARG_CONFIG} ABSOLUTE)
    list(APPEND args --config ${config})
    list(APPEND deps ${config})
  endif()
  foreach(feed ${ARG_FEEDS})
    list(APPEND args --feed ${feed})
  endforeach()
  foreach(fetch ${ARG_FETCHES})
    list(APPEND args --fetch ${fetch})
  endforeach()
  if(ARG_WEIGHTS STREQUAL "external")
    set(weights ${out_dir}/${ARG_NAME}.weights)
    list(APPEND args --weights external --out_weights ${weights})
    list(APPEND outputs ${weights})
  elseif(ARG_WEIGHTS AND NOT ARG_WEIGHTS STREQUAL "embed")
    message(FATAL_ERROR "strata_aot_library(${ARG_NAME}): WEIGHTS must be embed or external")
  endif()

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${compiler} ${args}
    DEPENDS ${deps}
    COMMENT "strata compile: ${ARG_CPP_CLASS} from ${ARG_GRAPH} (${target_cpu})"
    VERBATIM)
  set_source_files_properties(${object} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${ARG_NAME} STATIC ${object} ${header})
  set_target_properties(${ARG_NAME} PROPERTIES LINKER_LANGUAGE CXX)
  target_include_directories(${ARG_NAME} PUBLIC ${out_dir})
  target_link_libraries(${ARG_NAME} PUBLIC ${runtime})
  target_compile_features(${ARG_NAME} PUBLIC cxx_std_17)
  if(weights)
    set_target_properties(${ARG_NAME} PROPERTIES STRATA_AOT_WEIGHTS ${weights})
  endif()
endfunction()
