#include "harness/quant_label.hpp"

#include <regex>

#include "common/error.hpp"

namespace rb {

quant::QuantOptions quant_from_label(const std::string& label, const std::string& source, const std::string& field) {
  static const std::regex with_group(R"((.*)-g(\d{1,9}))");
  std::smatch m;
  if (std::regex_match(label, m, with_group)) {
    const int64_t group = std::stoll(m[2].str());
    if (group == 0)  // parse_quant_options reads 0 as "the default"; a written 0 is a mistake
      throw InputError(source, field, "'" + label + "': group size 0 (the suffix -gN needs N >= 2)");
    return quant::parse_quant_options(m[1].str(), group, source, field);
  }
  return quant::parse_quant_options(label, 0, source, field);
}

}  // namespace rb
