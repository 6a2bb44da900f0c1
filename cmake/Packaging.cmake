# CPack: floortrack_<version>_amd64.deb. Configure with
# -DCMAKE_INSTALL_PREFIX=/usr so the config lands in /etc/floortrack.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "floortrack")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "floortrack maintainers <floortrack@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "production-floor event tracker for MQTT stage events")
set(CPACK_PACKAGE_DESCRIPTION "floortrackd subscribes to a shop's MQTT broker, stores every production\nstage event exactly once in SQLite and keeps the shop's KPIs; floortrack\nis the technicians' CLI.")
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "misc")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mosquitto")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/conffiles;${PROJECT_SOURCE_DIR}/packaging/postinst;${PROJECT_SOURCE_DIR}/packaging/prerm;${PROJECT_SOURCE_DIR}/packaging/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
