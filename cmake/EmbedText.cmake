# embed_text(OUT_VAR INPUT HEADER SYMBOL)
#
# Makes the text file INPUT a C string at build time: generates a .cpp that
# includes HEADER (which declares `extern const char* const SYMBOL;`, SYMBOL
# qualified with its namespace) and defines SYMBOL with the file's bytes. The
# .cpp is regenerated whenever INPUT changes; its path is appended to OUT_VAR,
# to be compiled with the sources. Files stay files, for their own tools (the
# flame graph's JavaScript is checked by `node --check`), and no C++ raw string
# needs to be kept free of its delimiter.
set(PMT_EMBED_TEXT_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_text_file.cmake)

function(embed_text OUT_VAR INPUT HEADER SYMBOL)
  get_filename_component(name ${INPUT} NAME)
  string(MAKE_C_IDENTIFIER ${name} id)
  set(output ${CMAKE_BINARY_DIR}/embedded/${id}.cpp)
  file(RELATIVE_PATH shown ${CMAKE_SOURCE_DIR} ${INPUT})
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${INPUT} -DOUTPUT=${output} -DSHOWN=${shown} -DHEADER=${HEADER}
            -DSYMBOL=${SYMBOL} -P ${PMT_EMBED_TEXT_SCRIPT}
    DEPENDS ${INPUT} ${PMT_EMBED_TEXT_SCRIPT}
    COMMENT "embedding ${shown}")
  set(${OUT_VAR} ${${OUT_VAR}} ${output} PARENT_SCOPE)
endfunction()
