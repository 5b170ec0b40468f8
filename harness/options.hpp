#pragma once
// Small helpers shared by the subcommands: parsing with Boost.Program_options, --rope values,
// --lengths lists, output formats.
#include <cstdint>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "harness/commands.hpp"
#include "model_core/config.hpp"
#include "model_core/tokenizer/tokenizer.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb::cli {

namespace po = boost::program_options;

// Parses `args` against `desc`; "--help" prints usage and returns false.
bool parse_or_help(const Args& args, const po::options_description& desc, po::variables_map& vm,
                   const std::string& usage);

// The error for an unknown command-line flag, with the nearest of `known` when it is plausibly a
// typo: "--lenghts: unknown option (did you mean --lengths?)", then the usage.
InputError unknown_option(const std::string& flag, const std::vector<std::string>& known, const std::string& usage);

// "2048,4096,8k" -> {2048, 4096, 8192}. Throws InputError naming `option`.
std::vector<int64_t> parse_lengths(const std::string& text, const std::string& option);

// --rope accepts inline JSON, @FILE, or a path to a .json file. Empty -> null (model's own).
nlohmann::json parse_rope_argument(const std::string& value);

// What a RoPE method knows of the model (its full-attention layers' base for a model with RoPE
// per layer type; harness/model_rope.hpp builds the methods).
rope::RopeModelInfo rope_model_info(const ModelConfig& c);

BosPolicy parse_bos_policy(const std::string& value);

// "text" or "json", else InputError.
std::string check_format(const std::string& value);

}  // namespace rb::cli
