#pragma once
/// @file
/// The version of relate. The macros give the version of the headers being
/// compiled; relate::version() gives the version of the library linked in, so
/// a program can check that the two agree.
///
/// CMake reads the version from this file (project(relate VERSION ...)), so it
/// is written in one place only.

#include <string_view>

/// Major version: changes that break source compatibility.
#define RELATE_VERSION_MAJOR 0
/// Minor version: new features.
#define RELATE_VERSION_MINOR 1
/// Patch version: fixes.
#define RELATE_VERSION_PATCH 0
/// "major.minor.patch" of the headers.
#define RELATE_VERSION_STRING "0.1.0"

namespace relate {

/// The version of the compiled library, "major.minor.patch".
std::string_view version() noexcept;

}  // namespace relate
