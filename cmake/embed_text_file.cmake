# cmake -DINPUT=... -DOUTPUT=... -DSHOWN=... -DHEADER=... -DSYMBOL=... -P embed_text_file.cmake
# (run by embed_text() in EmbedText.cmake): writes OUTPUT, a .cpp defining SYMBOL
# as the bytes of INPUT followed by a NUL.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# 16 bytes a line: "0x28, 0x66, ..."
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " bytes "${hex}")
set(line "")
foreach(i RANGE 15)
  string(APPEND line "0x[0-9a-f][0-9a-f], ")
endforeach()
string(REGEX REPLACE "(${line})" "\\1\n    " bytes "${bytes}")
string(REPLACE " \n" "\n" bytes "${bytes}")
file(WRITE ${OUTPUT}
  "// Generated from ${SHOWN} (${size} bytes) by cmake/EmbedText.cmake: edit that file.\n"
  "#include \"${HEADER}\"\n\n"
  "namespace {\n"
  "const char kText[] = {\n    ${bytes}0x00};\n"
  "}  // namespace\n\n"
  "const char* const ${SYMBOL} = kText;\n")
