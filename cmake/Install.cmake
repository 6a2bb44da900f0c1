# What `cmake --install` and the .deb put where (besides the binaries, which
# their own CMakeLists install): the example config, never over an edited
# one, and the operator and integrator docs.
set(FLOORTRACK_CONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/floortrack)
install(CODE "
  # file(INSTALL) adds DESTDIR itself; the existence check must add it by hand.
  if(EXISTS \"\$ENV{DESTDIR}${FLOORTRACK_CONFDIR}/floortrack.toml\")
    message(STATUS \"Keeping the existing \$ENV{DESTDIR}${FLOORTRACK_CONFDIR}/floortrack.toml\")
  else()
    file(INSTALL \"${PROJECT_SOURCE_DIR}/config/floortrack.toml\" DESTINATION \"${FLOORTRACK_CONFDIR}\"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  endif()
")
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
install(FILES docs/man/floortrack.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/man/floortrackd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
