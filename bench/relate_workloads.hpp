#pragma once

#include <relate/relate.hpp>

#include "harness.hpp"

namespace bench {

Outcome relate_insert(const relate::Engine& e, relate::Registry& r, const Sizes& s);
Outcome relate_load(const relate::Engine& e, relate::Registry& r, const Sizes& s);
Outcome relate_get_db(const relate::Engine& e, relate::Registry& r, const Sizes& s);
Outcome relate_get_map(const relate::Engine& e, relate::Registry& r, const Sizes& s);
Outcome relate_update(const relate::Engine& e, relate::Registry& r, const Sizes& s);
Outcome relate_orphan(const relate::Engine& e, relate::Registry& r, const Sizes& s);
Outcome relate_cascade(const relate::Engine& e, relate::Registry& r, const Sizes& s);
Outcome relate_passive(const relate::Engine& e, relate::Registry& r, const Sizes& s);
Outcome relate_stream(const relate::Engine& e, relate::Registry& r, const Sizes& s);

}  // namespace bench
