#include <iostream>

#include "harness/commands.hpp"
#include "harness/options.hpp"
#include "model_core/model.hpp"

namespace rb::cli {

int cmd_tokenize(const Args& args) {
  po::options_description desc("tokenize options");
  std::string model_path, text, format;
  desc.add_options()
      ("model", po::value(&model_path)->required(), "Hugging Face model directory or .gguf file")
      ("text", po::value(&text)->required(), "the string to tokenize")
      ("add-special", po::bool_switch(), "add the special tokens the tokenizer adds by default (BOS)")
      ("format", po::value(&format)->default_value("json"), "json or text");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm, "usage: ropebatch tokenize --model PATH --text STRING [--add-special]"))
    return kExitOk;
  check_format(format);
  Model model = load_model(model_path, LoadOptions{.load_tokenizer = true, .load_weights = false});
  auto ids = model.tokenizer->encode(text, vm["add-special"].as<bool>());
  if (format == "json") {
    std::cout << nlohmann::json{{"ids", ids}}.dump() << "\n";
  } else {
    for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace rb::cli
