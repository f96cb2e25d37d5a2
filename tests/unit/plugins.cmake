# Unit tests of the bundled plugins (sasl-login, sasl-plain, store-sqlite,
# deliver-maildir): their pure logic compiled in directly, and the built .so
# files loaded through the C ABI with a fake host. Separate from
# mailfw-unit-tests so that none of it needs mailfw::core.
set(MAILFW_PLUGIN_TEST_DIR ${CMAKE_CURRENT_LIST_DIR}/plugins)
set(MAILFW_PLUGIN_SRC_DIR ${PROJECT_SOURCE_DIR}/plugins)
set(MAILFW_TESTED_PLUGINS sasl-login sasl-plain store-sqlite deliver-maildir)

set(_all_built TRUE)
foreach(_plugin ${MAILFW_TESTED_PLUGINS})
  if(NOT TARGET ${_plugin})
    set(_all_built FALSE)
  endif()
endforeach()

if(_all_built)
  add_executable(mailfw-plugin-unit-tests
    ${MAILFW_PLUGIN_TEST_DIR}/fake_host.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/loaded_plugin.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/login_exchange_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/plain_message_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/plain_exchange_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/password_hash_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/user_name_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/credential_store_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/maildir_name_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/maildir_writer_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/sasl_plugins_abi_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/store_sqlite_abi_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/deliver_maildir_abi_test.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/limit_support_test.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/common/limit_support.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/sasl-login/login_exchange.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/sasl-plain/plain_exchange.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/sasl-plain/plain_message.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/store-sqlite/password_hash.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/store-sqlite/user_name.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/store-sqlite/schema.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/store-sqlite/user_database.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/store-sqlite/credential_store.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/common/nt_hash.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/common/legacy_crypto.cpp
    ${MAILFW_PLUGIN_TEST_DIR}/nt_hash_test.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/deliver-maildir/maildir_name.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/deliver-maildir/maildir_writer.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/deliver-maildir/local_recipients.cpp
    ${MAILFW_PLUGIN_SRC_DIR}/common/local_domains.cpp)
  target_include_directories(mailfw-plugin-unit-tests PRIVATE
    ${MAILFW_PLUGIN_SRC_DIR} ${MAILFW_PLUGIN_SRC_DIR}/common ${MAILFW_PLUGIN_TEST_DIR})
  target_link_libraries(mailfw-plugin-unit-tests PRIVATE
    mailfw::sdk mailfw_parsers GTest::gtest_main OpenSSL::Crypto SQLite::SQLite3 Threads::Threads ${CMAKE_DL_LIBS})
  target_compile_definitions(mailfw-plugin-unit-tests PRIVATE
    MAILFW_TEST_PLUGIN_DIR="${MAILFW_PLUGIN_OUTPUT_DIR}")
  if(MAILFW_PLUGIN_SASL_NTLM)
    target_sources(mailfw-plugin-unit-tests PRIVATE ${MAILFW_PLUGIN_TEST_DIR}/ntlm_test.cpp
      ${MAILFW_PLUGIN_SRC_DIR}/common/ntlm/messages.cpp ${MAILFW_PLUGIN_SRC_DIR}/common/ntlm/responses.cpp
      ${MAILFW_PLUGIN_SRC_DIR}/common/ntlm/session_security.cpp ${MAILFW_PLUGIN_SRC_DIR}/common/ntlm/acceptor.cpp)
  endif()
  if(MAILFW_PLUGIN_SASL_GSSAPI)  # its pure parsers (no GSS-API needed)
    target_sources(mailfw-plugin-unit-tests PRIVATE ${MAILFW_PLUGIN_TEST_DIR}/gssapi_parsers_test.cpp
      ${MAILFW_PLUGIN_SRC_DIR}/sasl-gssapi/token_kind.cpp ${MAILFW_PLUGIN_SRC_DIR}/sasl-gssapi/security_layer.cpp
      ${MAILFW_PLUGIN_SRC_DIR}/sasl-gssapi/principal_name.cpp)
    if(MAILFW_PLUGIN_SASL_NTLM)  # SPNEGO framing and NTLM inside it (the NTLM core is compiled in above)
      target_sources(mailfw-plugin-unit-tests PRIVATE ${MAILFW_PLUGIN_TEST_DIR}/spnego_test.cpp
        ${MAILFW_PLUGIN_SRC_DIR}/sasl-gssapi/spnego_tokens.cpp ${MAILFW_PLUGIN_SRC_DIR}/sasl-gssapi/spnego_ntlm_exchange.cpp)
    endif()
  endif()
  set_target_properties(mailfw-plugin-unit-tests PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  # The ABI tests dlopen the plugins: build them first.
  add_dependencies(mailfw-plugin-unit-tests ${MAILFW_TESTED_PLUGINS})
  gtest_discover_tests(mailfw-plugin-unit-tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
endif()

# Each plugin's dynamic symbol table is exactly the one entry point.
foreach(_plugin ${MAILFW_TESTED_PLUGINS} ${MAILFW_LIMIT_PLUGINS} sasl-gssapi sasl-ntlm deliver-discard)
  if(TARGET ${_plugin})
    add_test(NAME plugin.exports_one_symbol.${_plugin}
      COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DPLUGIN=$<TARGET_FILE:${_plugin}>
              -P ${MAILFW_PLUGIN_TEST_DIR}/check_exports.cmake)
  endif()
endforeach()

# plugin.h is the C ABI: it must compile as strict C99 with every warning.
add_test(NAME sdk.plugin_h_is_strict_c99
  COMMAND ${CMAKE_C_COMPILER} -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only
          -I${PROJECT_SOURCE_DIR}/sdk/include ${MAILFW_PLUGIN_TEST_DIR}/plugin_h_c99.c)
