// The version: one number in include/relate/version.hpp, seen the same way by
// the headers, the compiled library and CMake.

#include <gtest/gtest.h>

#include <string>

#include "relate/version.hpp"

TEST(Version, TheLibraryAndTheHeadersAgree) {
  EXPECT_EQ(relate::version(), RELATE_VERSION_STRING);
  EXPECT_EQ(std::string(relate::version()), std::to_string(RELATE_VERSION_MAJOR) + "." +
                                                std::to_string(RELATE_VERSION_MINOR) + "." +
                                                std::to_string(RELATE_VERSION_PATCH));
}

TEST(Version, CMakeReadsTheSameVersion) { EXPECT_EQ(relate::version(), RELATE_CMAKE_VERSION); }
