# `cmake --install`: the C/C++ runtime for programs that embed kestrel without Node. Installs
#   lib/libkestrel_vm.a                       the runtime library (VM, loader, verifier; no LLVM)
#   include/kestrel_runtime.h                 its C API (dtype codes, errors, ownership, threads)
#   bin/kestrel-run                           the standalone runner
#   lib/cmake/kestrel/kestrelConfig.cmake     find_package(kestrel) -> target kestrel::runtime
#   lib/pkgconfig/kestrel.pc                  pkg-config --cflags --libs kestrel
# The version is package.json's. examples/cpp builds against an install (-DKESTREL_FROM_INSTALL=ON).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

file(READ ${CMAKE_CURRENT_LIST_DIR}/../package.json KESTREL_PACKAGE_JSON)
string(JSON KESTREL_VERSION GET "${KESTREL_PACKAGE_JSON}" version)

set_target_properties(kestrel_vm PROPERTIES EXPORT_NAME runtime)
install(TARGETS kestrel_vm EXPORT kestrelTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS kestrel-run RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/include/kestrel_runtime.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT kestrelTargets NAMESPACE kestrel:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kestrel)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/cmake/kestrelConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/kestrelConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kestrel)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/kestrelConfigVersion.cmake
  VERSION ${KESTREL_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kestrelConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/kestrelConfigVersion.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kestrel)

# The .pc file finds the prefix from its own place, so `cmake --install --prefix P` relocates it.
file(RELATIVE_PATH KESTREL_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${CMAKE_CURRENT_LIST_DIR}/cmake/kestrel.pc.in ${CMAKE_CURRENT_BINARY_DIR}/kestrel.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/kestrel.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
