#pragma once
// Shared by the test_reports_* suites: sample run records with every field set, a scratch
// directory, and file helpers.
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "reports/file_info.hpp"
#include "reports/run_record.hpp"

namespace rb::reports::testing {

// Deterministic record number i: every field set, sizes and values depending on i.
inline RunRecord sample_record(int i, bool with_token_data = true) {
  RunRecord r;
  r.config = {{"model", "models/smollm2-135m"},
              {"model_sha256", "ab12"},
              {"dataset", "bible-kjv"},
              {"family", i % 2 ? "yarn" : "original"},
              {"rope_label", "yarn f=" + std::to_string(i % 5 + 1)},
              {"length", 2048 * (i % 4 + 1)},
              {"quant", "none"},
              {"baseline", i == 0},
              {"rope", {{"rope_type", "yarn"}, {"factor", 1.5 + i}}},
              {"windows", {{"stride", 0}, {"max_windows", 8}}},
              {"metrics", {"ppl", "passkey", "longppl"}},
              {"index", i}};
  char id[65];
  std::snprintf(id, sizeof id, "%064x", 0x1000 + i);
  r.run_id = id;
  r.status = "ok";
  const int windows = 3 + i % 4;
  for (int w = 0; w < windows; ++w) {
    r.window_nll.push_back(1000.0 + 0.1234567890123 * (w + 1) * (i + 1));
    r.window_predictions.push_back(2047 - w);
  }
  r.nll_sum = 0;
  for (double v : r.window_nll) r.nll_sum += v;
  for (int64_t n : r.window_predictions) r.predictions += n;
  r.ppl = std::exp(r.nll_sum / static_cast<double>(r.predictions));
  r.ppl_stderr = 0.01 * (i + 1) / 3.0;
  r.skipped_documents = i % 3;
  if (with_token_data) {
    for (int t = 0; t < 5000 + i; ++t) r.token_nll.push_back(static_cast<float>(std::fmod(t * 0.37, 9.0)) + 1e-7f * i);
    for (int t = 0; t < 3000; ++t) r.longppl_key_mask.push_back(static_cast<uint8_t>((t * 7 + i) % 5 == 0));
  }
  for (int d = 0; d < 3; ++d) r.passkey.push_back({4096 * (d + 1), 0.25 * d, d + i, (d + i) % 2 == 0});
  r.longppl = 7.0 + i / 7.0;
  r.longppl_key_tokens = 600 + i;
  for (int64_t b : {1, 2, 3, 4, 6, 8}) {
    r.position_bucket_start.push_back(b);
    r.position_mean_nll.push_back(5.0 / static_cast<double>(b) + 0.01 * i);
    r.position_predictions.push_back(windows * (b < 4 ? 1 : b / 2));
  }
  r.trained_length = 8192;
  r.rope_resolved = nlohmann::json{{"rope_type", "yarn"}, {"factor", 1.5 + i}, {"beta_fast", 32.0}}.dump();
  r.seconds = 12.5 + i;
  r.tokens_per_second = 1.0e5 / 3.0 + i;
  r.host = "node" + std::to_string(i % 3);
  r.rank = i % 8;
  r.device = "cuda:0 (NVIDIA H200)";
  r.started_at = "2025-03-01T10:00:00Z";
  r.finished_at = "2025-03-01T10:00:12Z";
  return r;
}

// A failed run: no perplexity, nothing scored.
inline RunRecord failed_record(int i) {
  RunRecord r;
  r.config = {{"family", "ntk"}, {"length", 65536}, {"index", i}};
  r.run_id = "failed" + std::to_string(i);
  r.status = "failed";
  r.error = "cuda: out of memory at length 65536 (needs 90 GiB) — ünïcode";
  r.host = "node9";
  return r;
}

inline FileInfo sample_info(const std::string& command = "ropebatch run --grid g.toml --out r.h5") {
  return FileInfo{"0.1.0", "abc1234", {command}, "2025-03-01T09:59:00Z"};
}

// Every field of two records, one by one (doubles compared exactly).
inline void check_same_record(const RunRecord& a, const RunRecord& b) {
  BOOST_TEST_CONTEXT("run " << a.run_id) {
    BOOST_TEST(a.run_id == b.run_id);
    BOOST_TEST(a.config == b.config);
    BOOST_TEST(a.status == b.status);
    BOOST_TEST(a.error == b.error);
    BOOST_TEST(a.ppl.has_value() == b.ppl.has_value());
    if (a.ppl && b.ppl) BOOST_TEST(*a.ppl == *b.ppl);
    BOOST_TEST(a.ppl_stderr.has_value() == b.ppl_stderr.has_value());
    if (a.ppl_stderr && b.ppl_stderr) BOOST_TEST(*a.ppl_stderr == *b.ppl_stderr);
    BOOST_TEST(a.nll_sum == b.nll_sum);
    BOOST_TEST(a.predictions == b.predictions);
    BOOST_TEST(a.window_nll == b.window_nll, boost::test_tools::per_element());
    BOOST_TEST(a.window_predictions == b.window_predictions, boost::test_tools::per_element());
    BOOST_TEST(a.skipped_documents == b.skipped_documents);
    BOOST_TEST(a.token_nll == b.token_nll, boost::test_tools::per_element());
    BOOST_TEST(a.passkey.size() == b.passkey.size());
    for (std::size_t i = 0; i < std::min(a.passkey.size(), b.passkey.size()); ++i) {
      BOOST_TEST(a.passkey[i].length == b.passkey[i].length);
      BOOST_TEST(a.passkey[i].depth == b.passkey[i].depth);
      BOOST_TEST(a.passkey[i].trial == b.passkey[i].trial);
      BOOST_TEST(a.passkey[i].retrieved == b.passkey[i].retrieved);
    }
    BOOST_TEST(a.longppl.has_value() == b.longppl.has_value());
    if (a.longppl && b.longppl) BOOST_TEST(*a.longppl == *b.longppl);
    BOOST_TEST(a.longppl_key_tokens == b.longppl_key_tokens);
    BOOST_TEST(a.longppl_key_mask == b.longppl_key_mask, boost::test_tools::per_element());
    BOOST_TEST(a.position_bucket_start == b.position_bucket_start, boost::test_tools::per_element());
    BOOST_TEST(a.position_mean_nll == b.position_mean_nll, boost::test_tools::per_element());
    BOOST_TEST(a.position_predictions == b.position_predictions, boost::test_tools::per_element());
    BOOST_TEST(a.trained_length.has_value() == b.trained_length.has_value());
    if (a.trained_length && b.trained_length) BOOST_TEST(*a.trained_length == *b.trained_length);
    BOOST_TEST(a.rope_resolved == b.rope_resolved);
    BOOST_TEST(a.seconds == b.seconds);
    BOOST_TEST(a.tokens_per_second == b.tokens_per_second);
    BOOST_TEST(a.host == b.host);
    BOOST_TEST(a.rank == b.rank);
    BOOST_TEST(a.device == b.device);
    BOOST_TEST(a.started_at == b.started_at);
    BOOST_TEST(a.finished_at == b.finished_at);
  }
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rb_reports_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace rb::reports::testing
