# cmake -DNM=<nm> -DPLUGIN=<file.so> -P check_exports.cmake
# A plugin's dynamic symbol table holds exactly one defined symbol: the entry.
execute_process(COMMAND ${NM} -D --defined-only ${PLUGIN}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${PLUGIN}: ${err}")
endif()
string(STRIP "${out}" out)
string(REPLACE "\n" ";" lines "${out}")
list(LENGTH lines count)
if(NOT count EQUAL 1 OR NOT out MATCHES " T mailfw_plugin_entry$")
  message(FATAL_ERROR "${PLUGIN} must export only mailfw_plugin_entry; nm -D --defined-only says:\n${out}")
endif()
