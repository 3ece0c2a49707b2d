# Packaging: man pages, the systemd units of the system broker, and a
# Debian package of everything installed (cmake --build build --target package).

# Man pages: every man/NAME.SECTION.scd, rendered by scdoc into man/NAME.SECTION
# and installed in its section, so a page added there is packaged too.
find_program(SCDOC_EXECUTABLE scdoc)
file(GLOB CONDUIT_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.scd)
if(SCDOC_EXECUTABLE)
  set(conduit_man_pages)
  foreach(source ${CONDUIT_MAN_SOURCES})
    get_filename_component(page ${source} NAME_WLE)  # conduitd.8
    string(REGEX REPLACE "^.*\\.([1-9])$" "\\1" section ${page})
    set(output ${PROJECT_BINARY_DIR}/man/${page})
    add_custom_command(OUTPUT ${output}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND ${SCDOC_EXECUTABLE} < ${source} > ${output}
      DEPENDS ${source} VERBATIM)
    list(APPEND conduit_man_pages ${output})
    install(FILES ${output} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(conduit_man ALL DEPENDS ${conduit_man_pages})
else()
  message(STATUS "scdoc not found: man pages are not built (scripts/install-deps.sh installs it)")
endif()

# systemd units, sysusers.d and tmpfiles.d, under PREFIX/lib where systemd
# looks (/usr/lib and /usr/local/lib alike). The service names conduitd by
# its installed path, which is only known at install time (cpack installs
# under /usr whatever the build was configured with): it is written then.
set(CONDUIT_UNIT_DIR lib/systemd/system)
install(FILES packaging/systemd/conduitd.socket DESTINATION ${CONDUIT_UNIT_DIR})
install(CODE "
  set(CONDUITD \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/conduitd\")
  configure_file(\"${PROJECT_SOURCE_DIR}/packaging/systemd/conduitd.service.in\"
    \"${PROJECT_BINARY_DIR}/packaging/conduitd.service\" @ONLY)")
install(FILES ${PROJECT_BINARY_DIR}/packaging/conduitd.service DESTINATION ${CONDUIT_UNIT_DIR})
install(FILES packaging/systemd/conduit.sysusers DESTINATION lib/sysusers.d RENAME conduit.conf)
install(FILES packaging/systemd/conduit.tmpfiles DESTINATION lib/tmpfiles.d RENAME conduit.conf)
install(FILES packaging/conduitd.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# The documentation (docs/*.md, whoever adds a page) and README, which the
# manual pages refer to.
file(GLOB CONDUIT_DOC_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES README.md ${CONDUIT_DOC_PAGES} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package: one package with everything the install rules hold.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME conduit)
set(CPACK_PACKAGE_VENDOR conduit)
set(CPACK_PACKAGE_CONTACT "conduit developers <conduit@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
  "Windows named pipes, mailslots and named events on Linux: the C++ library, the Win32 API layer (windows.h), the conduitd broker with its systemd units, headers, pkg-config files and the CMake package.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/conduit")
# Library dependencies found by dpkg-shlibdeps (libc6, libstdc++6, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
# systemd-sysusers makes the conduit user (adduser where systemd is absent).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Without debugging information: a tenth of the size.
set(CPACK_STRIP_FILES ON)
include(CPack)
