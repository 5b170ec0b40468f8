#include "model_core/tokenizer/json_file.hpp"

#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/json_input.hpp"

namespace rb::tok {

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), "", "cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(path.string(), "", "read error");
  return parse_json_input(buffer.str(), path.string());
}

}  // namespace rb::tok
