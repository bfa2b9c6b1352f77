#include <gtest/gtest.h>

#include "relate/relate.hpp"

TEST(Value, KindsAndAccessors) {
  EXPECT_TRUE(relate::Value().is_null());
  EXPECT_EQ(relate::Value(42).as_integer(), 42);
  EXPECT_EQ(relate::Value("x").as_text(), "x");
  EXPECT_THROW((void)relate::Value("x").as_integer(), relate::ConversionError);
}
