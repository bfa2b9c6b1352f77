#pragma once
// Which Mapper a C++ type has, for code that meets an object before any Session
// does (relationship members of a new object are bound when it is made). A type
// is mapped by the Registry that mapped it last; a Registry forgets its types
// when it is destroyed.

#include <typeinfo>

namespace relate {
class Mapper;
class Registry;
namespace detail {
void remember_mapper(const std::type_info& type, Mapper* mapper);
void forget_registry(const Registry* registry);
// The configured mapper of a type (configuring its Registry first), or null.
const Mapper* mapper_of(const std::type_info& type);
}  // namespace detail
}  // namespace relate
