#pragma once
// relate: a C++20 object-relational mapper. This umbrella header is the public face.

#include "relate/core/compiled.hpp"
#include "relate/core/dialect.hpp"
#include "relate/core/error.hpp"
#include "relate/core/type_name.hpp"
#include "relate/core/types.hpp"
#include "relate/core/value.hpp"
#include "relate/engine/connection.hpp"
#include "relate/engine/driver.hpp"
#include "relate/engine/echo.hpp"
#include "relate/engine/engine.hpp"
#include "relate/engine/pool.hpp"
#include "relate/engine/result.hpp"
#include "relate/engine/transaction.hpp"
#include "relate/engine/url.hpp"
