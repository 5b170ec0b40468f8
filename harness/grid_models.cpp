#include "harness/grid_models.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "common/error.hpp"
#include "harness/grid_paths.hpp"
#include "model_core/model.hpp"

namespace rb::grid_detail {

const ModelConfig& grid_model_config(const std::string& model_path) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<ModelConfig>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(model_path); it != cache.end()) return *it->second;

  const std::string variable = model_alias_variable(model_path);
  if (!variable.empty())
    throw InputError(model_path, "", "\"" + model_path + "\" stands for $" + variable +
                                         ", which is not set (scripts/setup.sh prints the line to export)");
  std::error_code ec;
  if (!std::filesystem::exists(model_path, ec))
    throw InputError(model_path, "", "no such model (a Hugging Face model directory or a .gguf file)");
  Model m = load_model(model_path, LoadOptions{.load_tokenizer = false, .load_weights = false});
  auto& slot = cache[model_path];
  slot = std::make_unique<ModelConfig>(std::move(m.config));
  return *slot;
}

}  // namespace rb::grid_detail
