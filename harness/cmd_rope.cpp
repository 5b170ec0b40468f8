#include <iostream>

#include "harness/commands.hpp"
#include "harness/options.hpp"
#include "model_core/model.hpp"
#include "rope_methods/rope_report.hpp"

namespace rb::cli {

int cmd_rope(const Args& args) {
  po::options_description desc("rope options");
  std::string model_path, rope_text, format;
  int64_t length = 0;
  desc.add_options()
      ("model", po::value(&model_path)->required(), "Hugging Face model directory or .gguf file (for head_dim, theta, context)")
      ("rope", po::value(&rope_text)->default_value(""), "RoPE method as Hugging Face JSON, @FILE or FILE.json (default: the model's own)")
      ("length", po::value(&length)->default_value(0), "target sequence length (default: the model's max_position_embeddings)")
      ("format", po::value(&format)->default_value("json"), "json or text");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm, "usage: ropebatch rope --model PATH --rope JSON [--length L] [--format json|text]"))
    return kExitOk;
  check_format(format);
  Model m = load_model(model_path, LoadOptions{.load_tokenizer = false, .load_weights = false});
  auto method = rope_method_for(m.config, parse_rope_argument(rope_text));
  if (length <= 0) length = m.config.max_position_embeddings;
  nlohmann::json report = rope::rope_report(*method, rope_model_info(m.config), length);
  if (format == "json") {
    std::cout << report.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "method " << report["method"].get<std::string>() << "  length " << length
            << "  attention_scaling " << report["attention_scaling"] << "\n";
  std::cout << "pair  inv_freq        wavelength      /original  /target\n";
  for (const auto& p : report["pairs"]) {
    char line[160];
    std::snprintf(line, sizeof line, "%4d  %-14.8g  %-14.6g  %-9.4g  %-9.4g\n", p["i"].get<int>(),
                  p["inv_freq"].get<double>(), p["wavelength"].get<double>(),
                  p["wavelength_over_original"].get<double>(), p["wavelength_over_target"].get<double>());
    std::cout << line;
  }
  return kExitOk;
}

}  // namespace rb::cli
