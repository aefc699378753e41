# bpf_object(NAME SOURCE)
#
# Compiles bpf/NAME.bpf.c with clang for the BPF target (CO-RE, vendored vmlinux.h)
# and generates NAME.skel.h with `bpftool gen skeleton`, at build time. Creates an
# INTERFACE target NAME_skel whose include directory holds the skeleton.
find_program(BPF_CLANG NAMES clang-14 clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(BPF_ARCH_DEFINE -D__TARGET_ARCH_x86)
set(VMLINUX_DIR ${CMAKE_SOURCE_DIR}/vmlinux/x86)

function(bpf_object NAME SOURCE)
  set(out_dir ${CMAKE_BINARY_DIR}/bpf)
  set(obj ${out_dir}/${NAME}.bpf.o)
  set(skel ${out_dir}/${NAME}.skel.h)
  file(GLOB bpf_headers ${CMAKE_SOURCE_DIR}/bpf/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf ${BPF_ARCH_DEFINE} -Wall -Werror
            -I${VMLINUX_DIR} -I${CMAKE_SOURCE_DIR}/bpf -c ${SOURCE} -o ${obj}
    DEPENDS ${SOURCE} ${bpf_headers}
    COMMENT "BPF ${NAME}.bpf.c")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${NAME}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${NAME}.skel.h")
  add_custom_target(${NAME}_skel_gen DEPENDS ${skel})
  add_library(${NAME}_skel INTERFACE)
  add_dependencies(${NAME}_skel ${NAME}_skel_gen)
  target_include_directories(${NAME}_skel INTERFACE ${out_dir})
endfunction()
