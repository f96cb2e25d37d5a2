# mailfw_add_plugin(NAME SOURCES a.cpp ... [LIBS lib ...])
# A plugin is a MODULE library named exactly NAME.so, placed in
# build/lib/mailfw/plugins. A version script keeps its dynamic symbol table
# to the single entry point, whatever the C++ runtime instantiates inside.
set(MAILFW_PLUGIN_VERSION_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/plugin-exports.map)

function(mailfw_add_plugin name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${P_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    LIBRARY_OUTPUT_DIRECTORY ${MAILFW_PLUGIN_OUTPUT_DIR}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${name} PRIVATE mailfw::sdk ${P_LIBS})
  target_link_options(${name} PRIVATE
    "-Wl,--version-script=${MAILFW_PLUGIN_VERSION_SCRIPT}" "-Wl,--no-undefined")
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${MAILFW_PLUGIN_VERSION_SCRIPT})
  install(TARGETS ${name} LIBRARY DESTINATION ${MAILFW_PLUGIN_RELDIR} COMPONENT ${name})
  set_property(GLOBAL APPEND PROPERTY MAILFW_PLUGINS ${name})
endfunction()
