# The session units (test_session.cpp) run a real mailfw::Server inside the
# unit-test process, loading the bundled plugins from MAILFW_TEST_PLUGIN_DIR:
# build those plugins first. A plugin switched off in the build makes those
# tests skip.
foreach(_plugin sasl-login sasl-plain store-sqlite deliver-maildir)
  if(TARGET ${_plugin})
    add_dependencies(mailfw-unit-tests ${_plugin})
  endif()
endforeach()
