// --quant / --group-size: the user's choice of quantize-at-load.
#include "quant/quant_options.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/suggest.hpp"

namespace rb::quant {
namespace {

const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names = {"none", "nf4", "nf4-dq", "int4", "int4-asym"};
  return names;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_nf4(const std::string& name) { return name == "nf4" || name == "nf4-dq"; }

constexpr int64_t kDefaultInt4GroupSize = 128;
constexpr int64_t kNf4BlockSize = 64;  // bitsandbytes' quantize_4bit default

}  // namespace

Scheme QuantOptions::scheme() const {
  if (name == "nf4") return Scheme::NF4;
  if (name == "nf4-dq") return Scheme::NF4_DQ;
  if (name == "int4") return Scheme::INT4;
  if (name == "int4-asym") return Scheme::INT4_ASYM;
  throw Error("quantization '" + name + "' has no 4-bit scheme");
}

int64_t QuantOptions::effective_group_size() const {
  if (is_nf4(name)) return kNf4BlockSize;
  if (name == "int4" || name == "int4-asym") return group_size > 0 ? group_size : kDefaultInt4GroupSize;
  return 0;
}

std::string QuantOptions::label() const {
  if (name == "int4" || name == "int4-asym") return name + "-g" + std::to_string(effective_group_size());
  return name;
}

QuantOptions parse_quant_options(const std::string& name, int64_t group_size, const std::string& source,
                                 const std::string& field) {
  const std::string canonical = lower(name);
  const auto& names = known_names();
  if (std::find(names.begin(), names.end(), canonical) == names.end()) {
    std::string problem = "unknown quantization '" + name + "'";
    const std::string near = nearest_name(canonical, names);
    if (!near.empty()) problem += "; did you mean '" + near + "'?";
    problem += " (known: none, nf4, nf4-dq, int4, int4-asym)";
    throw InputError(source, field, problem);
  }
  if (group_size != 0 && group_size < 2)
    throw InputError(source, field, "group size " + std::to_string(group_size) + " is below 2");
  if (group_size != 0 && is_nf4(canonical))
    throw InputError(source, field,
                     "a group size (" + std::to_string(group_size) + ") was given with " + canonical +
                         ", whose blocks are bitsandbytes' fixed 64; the group size applies to int4 and int4-asym");
  QuantOptions o;
  o.name = canonical;
  o.group_size = group_size;
  return o;
}

}  // namespace rb::quant
