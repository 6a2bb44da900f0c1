# CPack: floortrack_<version>_amd64.deb, installing under /usr (and the
# config in /etc/floortrack) whatever CMAKE_INSTALL_PREFIX the build was
# configured with; the default /usr/local suits `cmake --install`, not a
# Debian package.
#
# DESTDIR mode, because the config's destination is the absolute
# /etc/floortrack: only a DESTDIR install stages it inside the package tree
# (without one, cpack would write the real /etc). In DESTDIR mode cpack runs
# the install rules with CMAKE_INSTALL_PREFIX = CPACK_INSTALL_PREFIX, which
# defaults to the build's CMAKE_INSTALL_PREFIX; CPACK_PACKAGING_INSTALL_PREFIX
# (the DEB generator's /usr) only applies without DESTDIR. Hence both, /usr.
# The install rules take every prefix-relative path from the install-time
# prefix (cmake/Install.cmake, systemd/CMakeLists.txt).
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_INSTALL_PREFIX "${CPACK_PACKAGING_INSTALL_PREFIX}")
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "floortrack")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "floortrack maintainers <floortrack@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "production-floor event tracker for MQTT stage events")
set(CPACK_PACKAGE_DESCRIPTION "floortrackd subscribes to a shop's MQTT broker, stores every production\nstage event exactly once in SQLite and keeps the shop's KPIs; floortrack\nis the technicians' CLI.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "misc")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libjs-chart.js: the dashboard's charts ([http] chartjs_file).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libjs-chart.js, tzdata")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mosquitto")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/conffiles;${PROJECT_SOURCE_DIR}/packaging/postinst;${PROJECT_SOURCE_DIR}/packaging/prerm;${PROJECT_SOURCE_DIR}/packaging/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
