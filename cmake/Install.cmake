# What `cmake --install` and the .deb put where (besides the binaries, which
# their own CMakeLists install, and the unit, systemd/CMakeLists.txt): the
# example config, never over an edited one, and the operator and integrator
# docs.
#
# Every destination is either relative to the prefix or a fixed absolute
# path, never a CMAKE_INSTALL_FULL_* value: those are computed from the
# configure-time prefix, while cpack installs under /usr whatever the build
# was configured with (cmake/Packaging.cmake).
#
# The config lives in /etc/floortrack whatever the prefix: it is the default
# compiled into floortrackd and floortrack, the unit's ConfigurationDirectory=,
# and the package's conffile (packaging/conffiles, packaging/postinst).
set(FLOORTRACK_CONFDIR /etc/floortrack)
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
# docs/man holds the man pages (installed below), not docs: no empty man/ in
# the doc directory.
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md"
        PATTERN man EXCLUDE)
install(FILES docs/man/floortrack.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/man/floortrackd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
# The dashboard's page (GET /, docs/operations.md), served by floortrackd
# from [http] dashboard_dir, /usr/share/floortrack in the package; Chart.js
# comes from Debian's libjs-chart.js (a Depends, cmake/Packaging.cmake).
install(FILES web/index.html web/dashboard.css web/dashboard.js
        DESTINATION ${CMAKE_INSTALL_DATADIR}/floortrack)
