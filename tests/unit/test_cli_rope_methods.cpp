// `ropebatch eval --rope ...` for every transformers RoPE method against transformers' own
// perplexity on the fixture models (tests/fixtures/make_rope_eval_fixtures.py), at lengths below
// (128), at (256) and beyond (512) the trained context: within 1e-4 relative (fp32 on both
// sides; see test_model_reference for why 1e-4).
#define BOOST_TEST_MODULE cli_rope_methods
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace {

// `ropebatch eval` of every (model, rope) group of a reference file (made by transformers) at all
// its lengths: the same predictions and perplexity within 1e-4 relative.
void check_against_reference(const std::string& file, size_t min_groups) {
  std::ifstream in(rbtest::fixture(file));
  BOOST_REQUIRE(in.good());
  const auto refs = nlohmann::json::parse(in);
  // One eval per (model, rope) with all its lengths.
  std::map<std::string, std::vector<nlohmann::json>> groups;
  for (const auto& r : refs) groups[r["model"].get<std::string>() + " " + r["rope"].dump()].push_back(r);
  BOOST_REQUIRE_GE(groups.size(), min_groups);
  for (const auto& [key, rows] : groups) {
    std::string lengths;
    for (const auto& r : rows) lengths += (lengths.empty() ? "" : ",") + r["length"].dump();
    const auto res = rbtest::run_ropebatch("eval --model " + rbtest::fixture("models/" + rows[0]["model"].get<std::string>()) +
                                           " --data " + rbtest::fixture("text/genesis.txt") + " --lengths " + lengths +
                                           " --max-tokens " + rows[0]["max_tokens"].dump() + " --rope " +
                                           rbtest::shell_quote(rows[0]["rope"].dump()) + " --format json");
    BOOST_REQUIRE_MESSAGE(res.status == 0, key << ": " << res.err);
    const auto out = nlohmann::json::parse(res.out)["results"];
    for (size_t i = 0; i < rows.size(); ++i) {
      BOOST_CHECK_EQUAL(out[i]["predictions"].get<int64_t>(), rows[i]["predictions"].get<int64_t>());
      const double rel = std::abs(out[i]["ppl"].get<double>() / rows[i]["ppl"].get<double>() - 1.0);
      BOOST_TEST_MESSAGE(key << " L=" << rows[i]["length"] << " rel " << rel);
      BOOST_CHECK_MESSAGE(rel <= 1e-4, key << " L=" << rows[i]["length"] << ": ppl " << out[i]["ppl"] << " vs transformers "
                                            << rows[i]["ppl"] << " (rel " << rel << ")");
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_transformers_method_matches_transformers_perplexity) {
  check_against_reference("rope/eval_reference.json", 14);
}

// Qwen3 (q/k norms, sliding layers), Mistral (every layer sliding), Phi-3 (its longrope) and
// Gemma-3 (two RoPEs; an override without a layer type replaces the full-attention layers', one
// keyed by layer type each type's; the multimodal checkpoint's text model) with RoPE overrides, at
// lengths below, at and well beyond the window of 64 and the trained context of 256.
BOOST_AUTO_TEST_CASE(sliding_window_families_match_transformers_perplexity) {
  check_against_reference("rope/family_eval_reference.json", 16);
}
