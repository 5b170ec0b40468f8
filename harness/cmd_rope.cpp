#include <iostream>

#include "harness/commands.hpp"
#include "harness/model_rope.hpp"
#include "harness/options.hpp"
#include "model_core/model.hpp"
#include "rope_methods/rope_report.hpp"

namespace rb::cli {
namespace {

void print_text(const nlohmann::json& report, int64_t length) {
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
}

}  // namespace

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
  const ModelRope rope = model_rope(m.config, parse_rope_argument(rope_text));
  if (length <= 0) length = m.config.max_position_embeddings;
  // One report per schedule; a model with RoPE per layer type gets {"method", "schedules": [...]},
  // each report naming its layer_type and the layers that apply it.
  std::vector<nlohmann::json> reports;
  for (const ModelRope::Entry& e : rope.entries()) {
    nlohmann::json r = rope::rope_report(*e.method, e.info, length);
    if (!e.layer_type.empty()) {
      nlohmann::json layers = nlohmann::json::array();
      for (int64_t i = 0; i < m.config.num_layers && i < 100000; ++i)
        if (m.config.layer_type(i) == e.layer_type) layers.push_back(i);
      nlohmann::json head = {{"layer_type", e.layer_type}, {"layers", layers}, {"rope_theta", e.info.rope_theta}};
      head.update(r);
      r = std::move(head);
    }
    reports.push_back(std::move(r));
  }
  if (format == "json") {
    const nlohmann::json out = reports.size() == 1 && rope.entries().front().layer_type.empty()
                                   ? reports.front()
                                   : nlohmann::json{{"method", rope.name()}, {"schedules", reports}};
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const nlohmann::json& r : reports) {
    if (r.contains("layer_type"))
      std::cout << (&r == &reports.front() ? "" : "\n") << "layer type " << r["layer_type"].get<std::string>() << "  (layers "
                << r["layers"].size() << ", rope_theta " << r["rope_theta"] << ")\n";
    print_text(r, length);
  }
  return kExitOk;
}

}  // namespace rb::cli
