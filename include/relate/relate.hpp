#pragma once
// relate: a C++20 object-relational mapper. This umbrella header is the public face.

#include "relate/core/compiled.hpp"
#include "relate/core/dialect.hpp"
#include "relate/core/error.hpp"
#include "relate/core/expression.hpp"
#include "relate/core/schema.hpp"
#include "relate/core/statement.hpp"
#include "relate/core/type_name.hpp"
#include "relate/core/types.hpp"
#include "relate/core/value.hpp"
#include "relate/core/warning.hpp"
