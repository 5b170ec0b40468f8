// `ropebatch grids` and `ropebatch plan`, called as functions (their output captured from stdout).
#define BOOST_TEST_MODULE grid_commands
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "harness/grid_commands.hpp"

using rb::InputError;

namespace {

const std::string kFixtures = RB_FIXTURES;

struct Output {
  int status = -1;
  std::string text;
};

// Runs `command` with stdout (C and C++ streams) sent to a temporary file.
template <typename Command>
Output capture(Command command, const rb::cli::Args& args) {
  const auto path = std::filesystem::temp_directory_path() / ("rb_grid_cmd_" + std::to_string(::getpid()));
  std::cout.flush();
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  FILE* file = std::fopen(path.c_str(), "w");
  ::dup2(::fileno(file), STDOUT_FILENO);
  Output out;
  auto restore = [&] {
    std::cout.flush();
    std::fflush(stdout);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    std::fclose(file);
  };
  try {
    out.status = command(args);
  } catch (...) {
    restore();
    throw;
  }
  restore();
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  out.text = ss.str();
  std::filesystem::remove(path);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(grids_lists_builtins_with_run_counts) {
  const Output out = capture(rb::cli::cmd_grids, {});
  BOOST_CHECK_EQUAL(out.status, 0);
  BOOST_CHECK(out.text.find("full        427  the complete study") != std::string::npos);
  BOOST_CHECK(out.text.find("smoke        10") != std::string::npos);
  const auto json = nlohmann::json::parse(capture(rb::cli::cmd_grids, {"--format", "json"}).text);
  BOOST_REQUIRE_EQUAL(json.size(), 2u);
  BOOST_CHECK_EQUAL(json[0]["name"], "full");
  BOOST_CHECK_EQUAL(json[0]["runs"], 427);
}

BOOST_AUTO_TEST_CASE(grids_show_formats) {
  const Output md = capture(rb::cli::cmd_grids, {"--show", "smoke", "--format", "markdown"});
  BOOST_CHECK(md.text.find("### `smoke`: 10 runs per model and dataset") != std::string::npos);
  BOOST_CHECK(md.text.find("| 2 | linear factor=2 | `{\"factor\":2,\"rope_type\":\"linear\"}` | 64, 128 |") !=
              std::string::npos);
  const auto json = nlohmann::json::parse(capture(rb::cli::cmd_grids, {"--show", "full", "--format", "json"}).text);
  BOOST_CHECK_EQUAL(json["runs_per_model_dataset"], 427);
  BOOST_CHECK_EQUAL(json["methods"].size(), 13u);
  const Output toml = capture(rb::cli::cmd_grids, {"--show", "smoke", "--format", "toml"});
  BOOST_CHECK(toml.text.find("name = \"smoke\"") != std::string::npos);
  BOOST_CHECK_THROW(capture(rb::cli::cmd_grids, {"--show", "smok"}), InputError);
}

BOOST_AUTO_TEST_CASE(plan_smoke_on_a_fixture) {
  const std::string model = kFixtures + "/models/llama_gqa";
  const std::string text = kFixtures + "/text/genesis.txt";
  const Output out = capture(rb::cli::cmd_plan, {"--grid", "smoke", "--model", model, "--data", text});
  BOOST_CHECK_EQUAL(out.status, 0);
  BOOST_CHECK(out.text.find("grid smoke (builtin grid 'smoke'): 10 runs") != std::string::npos);
  BOOST_CHECK(out.text.find("total: 10 runs, 20 windows, 1920 tokens") != std::string::npos);

  const auto json = nlohmann::json::parse(
      capture(rb::cli::cmd_plan, {"--grid", "smoke", "--model", model, "--data", text, "--format", "json"}).text);
  BOOST_REQUIRE_EQUAL(json["runs"].size(), 10u);
  BOOST_CHECK_EQUAL(json["runs"][0]["windows"], 2);
  BOOST_CHECK_EQUAL(json["runs"][0]["tokens"], 128);
  BOOST_CHECK_EQUAL(json["runs"][0]["predictions"], 126);
  BOOST_CHECK(json["runs"][0]["flops"].get<double>() > 0);
  BOOST_CHECK_EQUAL(json["runs"][2]["config"]["rope_label"], "linear factor=2");

  const Output untokenized = capture(rb::cli::cmd_plan, {"--grid", "smoke", "--model", model, "--data", text, "--no-tokens"});
  BOOST_CHECK(untokenized.text.find("tokens: (tokenized at run time)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plan_rejects_bad_input) {
  BOOST_CHECK_THROW(capture(rb::cli::cmd_plan, {"--grid", "nope"}), InputError);
  BOOST_CHECK_THROW(capture(rb::cli::cmd_plan, {"--grid", "smoke", "--model", "/no/model", "--data", "bible-kjv"}),
                    InputError);
}
