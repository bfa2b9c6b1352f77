# Install rules: headers, the library, a CMake package (find_package(relate))
# and a pkg-config file. Everything is relocatable: `cmake --install build
# --prefix /anywhere` gives a tree that works from /anywhere.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RELATE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/relate"
    CACHE STRING "Where relateConfig.cmake is installed, relative to the prefix")

install(TARGETS relate EXPORT relateTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/relate" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT relateTargets NAMESPACE relate:: DESTINATION ${RELATE_INSTALL_CMAKEDIR})

configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/relateConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/relateConfig.cmake"
                              INSTALL_DESTINATION ${RELATE_INSTALL_CMAKEDIR})
# 0.x releases may break compatibility with every minor version.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/relateConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/relateConfig.cmake"
              "${PROJECT_BINARY_DIR}/relateConfigVersion.cmake"
        DESTINATION ${RELATE_INSTALL_CMAKEDIR})

# pkg-config: paths relative to the .pc file's own folder (${pcfiledir}), so
# the installed tree can move. A static library needs its dependencies on
# every link line (Requires, Libs); a shared one hides them (the .private fields).
set(relate_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(RELATE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(RELATE_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(RELATE_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH relate_pc_up "/prefix/${relate_pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" relate_pc_up "${relate_pc_up}")
  set(RELATE_PC_PREFIX "\${pcfiledir}/${relate_pc_up}")
  set(RELATE_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(RELATE_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
get_target_property(relate_type relate TYPE)
if(relate_type STREQUAL "STATIC_LIBRARY")
  set(RELATE_PC_REQUIRES "Requires: sqlite3 libpq")
  set(RELATE_PC_LIBS "-L\${libdir} -lrelate -pthread")
else()
  set(RELATE_PC_REQUIRES "Requires.private: sqlite3 libpq")
  set(RELATE_PC_LIBS "-L\${libdir} -lrelate\nLibs.private: -pthread")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/relate.pc.in" "${PROJECT_BINARY_DIR}/relate.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/relate.pc" DESTINATION ${relate_pc_dir})
