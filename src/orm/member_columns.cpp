// The column adapters of the member types most models are made of, compiled
// once here instead of in every file that maps a struct (mapper.hpp declares
// them extern).

#include <cstdint>
#include <optional>
#include <string>

#include "relate/orm/mapper.hpp"

namespace relate::detail {

template class MemberColumnOf<std::int64_t>;
template class MemberColumnOf<std::int32_t>;
template class MemberColumnOf<bool>;
template class MemberColumnOf<double>;
template class MemberColumnOf<std::string>;
template class MemberColumnOf<std::optional<std::int64_t>>;
template class MemberColumnOf<std::optional<std::int32_t>>;
template class MemberColumnOf<std::optional<bool>>;
template class MemberColumnOf<std::optional<double>>;
template class MemberColumnOf<std::optional<std::string>>;

}  // namespace relate::detail
