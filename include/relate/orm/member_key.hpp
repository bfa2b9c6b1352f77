#pragma once
/// @file
/// MemberKey: which struct member a column or relationship was mapped on, kept
/// without the member pointer's type, so that one non-template class can hold it
/// and a query naming the member (`col(&User::name)`) can still find it.

#include <cstring>
#include <typeinfo>

namespace relate::detail {

class MemberKey {
 public:
  MemberKey() noexcept = default;
  template <class T, class M>
  explicit MemberKey(M T::*member) noexcept : owner_(&typeid(T)), type_(&typeid(M)) {
    static_assert(sizeof member <= sizeof bytes_);
    std::memcpy(bytes_, &member, sizeof member);
  }

  // The member pointer is copied back out as its own type and compared as one,
  // not byte by byte: the standard does not promise that equal member pointers
  // have the same bytes.
  template <class T, class M>
  bool is(M T::*member) const noexcept {
    if (type_ == nullptr || *type_ != typeid(M) || *owner_ != typeid(T)) return false;
    M T::*mine = nullptr;
    std::memcpy(&mine, bytes_, sizeof mine);
    return mine == member;
  }

 private:
  const std::type_info* owner_ = nullptr;
  const std::type_info* type_ = nullptr;
  // Room for a data member pointer on every ABI relate is built with (8 bytes on
  // the Itanium C++ ABI; up to 12 with MSVC's virtual-inheritance forms).
  alignas(8) unsigned char bytes_[16]{};
};

}  // namespace relate::detail
