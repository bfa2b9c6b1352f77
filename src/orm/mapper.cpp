#include "relate/orm/mapper.hpp"

namespace relate {

void ColumnAttribute::rethrow_naming_column(const ConversionError& e) const {
  throw ConversionError(mapper_->class_name() + "." + column_name_ + ": " + e.what());
}

Column& Mapper::add_column(std::unique_ptr<ColumnAttribute> attribute, detail::MemberKey member,
                           std::string name, bool nullable) {
  attribute->column_name_ = name;
  attribute->index_ = columns_.size();
  attribute->mapper_ = this;
  attribute->member_ = member;
  const SqlType type = attribute->type();
  columns_.push_back(std::move(attribute));
  Column& c = column_specs_.emplace_back(std::move(name), type);
  c.nullable(nullable);
  return c;
}

const ColumnAttribute* Mapper::find_column(std::string_view column_name) const noexcept {
  for (const auto& c : columns_)
    if (c->column_name() == column_name) return c.get();
  return nullptr;
}

std::vector<Value> Mapper::primary_key_of(const void* object) const {
  std::vector<Value> key;
  key.reserve(primary_key_.size());
  for (auto i : primary_key_) key.push_back(columns_[i]->get(object));
  return key;
}

bool Mapper::key_is_unassigned(std::span<const Value> key) const {
  for (std::size_t k = 0; k < key.size(); ++k) {
    const Value& v = key[k];
    if (v.is_null()) return true;
    // A database-generated integer key left at its C++ default of 0 means "not
    // assigned yet" (databases start generated keys at 1).
    if (generated_key_ && primary_key_.size() == 1 && v.kind() == ValueKind::integer &&
        v.as_integer() == 0)
      return true;
  }
  return false;
}

std::string Mapper::describe(std::span<const Value> key) const {
  std::string out = class_name_ + "(";
  for (std::size_t k = 0; k < primary_key_.size() && k < key.size(); ++k) {
    if (k) out += ", ";
    out += columns_[primary_key_[k]]->column_name() + "=" + key[k].repr();
  }
  return out + ")";
}

void Mapper::throw_not_mapped_member() const {
  throw InvalidRequest("this member of " + class_name_ +
                       " is not mapped to a column; map it with m.column(...) in "
                       "registry.map<" +
                       class_name_ + ">()");
}

}  // namespace relate
