#include "relate/core/params.hpp"

#include <string>

namespace relate {

void ParamSink::value(const Value& v) { write_value(v, *this); }

namespace {

class ValueCollector final : public ParamSink {
 public:
  explicit ValueCollector(std::vector<Value>& out) : out_(out) {}
  void null() override { out_.emplace_back(); }
  void integer(std::int64_t i) override { out_.emplace_back(i); }
  void real(double d) override { out_.emplace_back(d); }
  void boolean(bool b) override { out_.emplace_back(b); }
  void text(std::string_view s) override { out_.emplace_back(std::string(s)); }
  void blob(std::span<const std::byte> b) override { out_.emplace_back(Blob(b.begin(), b.end())); }
  void value(const Value& v) override { out_.push_back(v); }

 private:
  std::vector<Value>& out_;
};

}  // namespace

std::vector<std::vector<Value>> collect_values(const ParamSets& sets) {
  std::vector<std::vector<Value>> out(sets.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].reserve(sets.width());
    ValueCollector sink(out[i]);
    sets.write(i, sink);
  }
  return out;
}

}  // namespace relate
