#include "relate/core/compiled.hpp"

#include <algorithm>

namespace relate {

std::vector<Value> CompiledStatement::bind(std::span<const Value> set) const {
  if (set.size() < keys.size())
    throw InvalidRequest("statement needs " + std::to_string(keys.size()) +
                         " parameter value(s), got " + std::to_string(set.size()));
  std::vector<Value> out;
  out.reserve(params.size());
  for (const auto& p : params)
    out.push_back(p.key < 0 ? p.value : set[static_cast<std::size_t>(p.key)]);
  return out;
}

std::vector<Value> CompiledStatement::bind(const Params& named) const {
  std::vector<Value> set;
  set.reserve(keys.size());
  for (const auto& k : keys) {
    auto it = named.find(k);
    if (it == named.end())
      throw InvalidRequest("no value given for parameter '" + k + "'");
    set.push_back(it->second);
  }
  return bind(std::span<const Value>(set));
}

int CompiledStatement::key_index(std::string_view name) const {
  auto it = std::find(keys.begin(), keys.end(), name);
  return it == keys.end() ? -1 : static_cast<int>(it - keys.begin());
}

}  // namespace relate
