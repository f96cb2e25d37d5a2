# Read by cpack for each generator (CPACK_PROJECT_CONFIG_FILE).
# Archives: stage with DESTDIR so that absolute destinations such as
# /etc/mailfw land in the tarball too (etc/..., usr/...), rooted at /.
if(CPACK_GENERATOR STREQUAL "TGZ")
  set(CPACK_SET_DESTDIR ON)
  unset(CPACK_PACKAGING_INSTALL_PREFIX)
endif()
