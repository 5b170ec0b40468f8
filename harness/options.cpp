#include "harness/options.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "common/error.hpp"
#include "common/json_input.hpp"
#include "common/suggest.hpp"

namespace rb::cli {

bool parse_or_help(const Args& args, const po::options_description& desc, po::variables_map& vm,
                   const std::string& usage) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << usage << "\n\n" << desc << "\n";
      return false;
    }
  }
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    std::vector<std::string> known;
    for (const auto& o : desc.options()) known.push_back("--" + o->long_name());
    throw unknown_option(e.get_option_name(), known, usage);
  } catch (const po::error& e) {
    throw InputError("command line", "", std::string(e.what()) + "\n" + usage);
  }
  return true;
}

InputError unknown_option(const std::string& flag, const std::vector<std::string>& known, const std::string& usage) {
  const std::string near = nearest_name(flag, known);
  return InputError("command line", flag,
                    "unknown option" + (near.empty() ? std::string() : " (did you mean " + near + "?)") + "\n" + usage);
}

std::vector<int64_t> parse_lengths(const std::string& text, const std::string& option) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    int64_t mult = 1;
    std::string digits = item;
    if (item.back() == 'k' || item.back() == 'K') {
      mult = 1024;
      digits.pop_back();
    }
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(digits, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != digits.size() || digits.empty())
      throw InputError("command line", option, "'" + item + "' is not a length (use e.g. 2048,4096 or 2k,4k)");
    if (v * mult < 2)
      throw InputError("command line", option, "length " + item + " is too short: a window needs at least 2 tokens");
    out.push_back(v * mult);
  }
  if (out.empty()) throw InputError("command line", option, "no lengths given");
  return out;
}

nlohmann::json parse_rope_argument(const std::string& value) {
  if (value.empty()) return nullptr;
  std::string text = value;
  std::string source = "--rope";
  bool is_file = value.front() == '@' ||
                 (value.front() != '{' && value.size() > 5 && value.substr(value.size() - 5) == ".json");
  if (is_file) {
    std::string path = value.front() == '@' ? value.substr(1) : value;
    std::ifstream in(path);
    if (!in) throw InputError(path, "", "cannot open the --rope file");
    std::stringstream buf;
    buf << in.rdbuf();
    text = buf.str();
    source = path;
  }
  return parse_json_input(text, source);
}

rope::RopeModelInfo rope_model_info(const ModelConfig& c) {
  rope::RopeModelInfo info;
  info.head_dim = c.head_dim;
  info.partial_rotary_factor = c.partial_rotary_factor;
  info.rope_theta = c.rope_theta;
  info.max_position_embeddings = c.max_position_embeddings;
  return info;
}

BosPolicy parse_bos_policy(const std::string& value) {
  if (value == "auto") return BosPolicy::Auto;
  if (value == "always") return BosPolicy::Always;
  if (value == "never") return BosPolicy::Never;
  throw InputError("command line", "--bos", "'" + value + "' is not one of auto, always, never");
}

std::string check_format(const std::string& value) {
  if (value != "text" && value != "json")
    throw InputError("command line", "--format", "'" + value + "' is not one of text, json");
  return value;
}

}  // namespace rb::cli
