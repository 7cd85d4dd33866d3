# Install layout and the Debian packages: `cmake --install build` and
# `cpack --config build/CPackConfig.cmake` (two .deb files, one per component).
#
#   vigie-agent      /usr/sbin/vigie-agent, /lib/systemd/system/vigie-agent.service,
#                    /etc/vigie/agent.toml.example
#   vigie-collector  /usr/sbin/vigie-collector, /usr/bin/vigiectl,
#                    /lib/systemd/system/vigie-collector.service,
#                    /etc/vigie/collector.toml.example, /usr/share/vigie/dashboards/
#
# Paths are Debian's: the units name /usr/sbin, so the prefix defaults to /usr
# rather than /usr/local (`cmake --install build` as root installs for real;
# DESTDIR=/tmp/x stages it). The units and examples keep their absolute paths.
include_guard(GLOBAL)

if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "Install prefix" FORCE)
endif()

set(VIGIE_UNIT_DIR "/lib/systemd/system" CACHE PATH "Where the systemd units go")
set(VIGIE_CONFIG_DIR "/etc/vigie" CACHE PATH "Where the example configurations go")

set(CPACK_COMPONENTS_ALL)
if(VIGIE_BUILD_AGENT)
  install(TARGETS vigie-agent RUNTIME DESTINATION sbin COMPONENT agent)
  install(FILES systemd/vigie-agent.service DESTINATION ${VIGIE_UNIT_DIR} COMPONENT agent)
  install(FILES packaging/agent.toml.example DESTINATION ${VIGIE_CONFIG_DIR} COMPONENT agent)
  install(FILES README.md DESTINATION share/doc/vigie-agent COMPONENT agent)
  list(APPEND CPACK_COMPONENTS_ALL agent)
endif()
if(VIGIE_BUILD_COLLECTOR)
  install(TARGETS vigie-collector RUNTIME DESTINATION sbin COMPONENT collector)
  install(TARGETS vigiectl RUNTIME DESTINATION bin COMPONENT collector)
  install(FILES systemd/vigie-collector.service DESTINATION ${VIGIE_UNIT_DIR} COMPONENT collector)
  install(FILES packaging/collector.toml.example DESTINATION ${VIGIE_CONFIG_DIR} COMPONENT collector)
  install(FILES dashboards/fleet.json dashboards/node.json dashboards/disks.json
          DESTINATION share/vigie/dashboards COMPONENT collector)
  install(DIRECTORY dashboards/provisioning DESTINATION share/vigie COMPONENT collector)
  install(FILES README.md DESTINATION share/doc/vigie-collector COMPONENT collector)
  list(APPEND CPACK_COMPONENTS_ALL collector)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_NAME vigie)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Vigie maintainers <admins@example.org>")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Debug info stays in the build tree: the nodes are small.
set(CPACK_STRIP_FILES ON)
# Library dependencies computed by dpkg-shlibdeps from the programs' ELF files.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# The maintainer scripts call deb-systemd-helper and deb-systemd-invoke.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "init-system-helpers (>= 1.54)")

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME vigie-agent)
set(CPACK_DEBIAN_AGENT_DESCRIPTION "Vigie agent: pushes this machine's hardware health to the collectors
Reads sensors, SMART and power at almost no cost, never wakes a sleeping
disk, and pushes the reports to one or more vigie-collector instances.")
set(CPACK_DEBIAN_AGENT_PACKAGE_SUGGESTS "lm-sensors")
# The agent is a static executable (agent/CMakeLists.txt), mbedTLS included:
# no shared library to depend on. Its https:// client reads Debian's CA
# bundle when no ca_file is configured.
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "init-system-helpers (>= 1.54)")
set(CPACK_DEBIAN_AGENT_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/agent/conffiles;${PROJECT_SOURCE_DIR}/packaging/debian/agent/postinst;${PROJECT_SOURCE_DIR}/packaging/debian/agent/prerm;${PROJECT_SOURCE_DIR}/packaging/debian/agent/postrm")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME vigie-collector)
set(CPACK_DEBIAN_COLLECTOR_DESCRIPTION "Vigie collector: receives the agents' reports, serves /metrics
Stores the reports in SQLite, exposes them to Prometheus on /metrics, and
ships vigiectl and the Grafana dashboards.")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SUGGESTS "prometheus, grafana")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/collector/conffiles;${PROJECT_SOURCE_DIR}/packaging/debian/collector/postinst;${PROJECT_SOURCE_DIR}/packaging/debian/collector/prerm;${PROJECT_SOURCE_DIR}/packaging/debian/collector/postrm")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
