// Q-ROAR (docs/QROAR.md): bands, row scaling of fp32 and 4-bit weights, the exactness of the
// symmetric variant, the search's guarantees (never worse than the identity on its dev set,
// repeatable bit for bit), the diagnostics' shapes, and the refusals.
#define BOOST_TEST_MODULE qroar
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "common/error.hpp"
#include "harness/model_rope.hpp"
#include "harness/qroar_diagnostics.hpp"
#include "harness/qroar_search.hpp"
#include "harness/scoring.hpp"
#include "model_core/backend.hpp"
#include "model_core/loaders/qroar_at_load.hpp"
#include "model_core/model.hpp"
#include "quant/qroar_bands.hpp"
#include "quant/quantizers.hpp"
#include "reports/results_store.hpp"

namespace fs = std::filesystem;
using namespace rb;

namespace {

const std::string kLlama = rbtest::fixture("models/llama_gqa");

bool field_is(const InputError& e, const std::string& field) { return e.field() == field; }

std::vector<float> logprobs(const std::string& model_path, const QroarScales* scales, const nlohmann::json& rope_arg,
                            int64_t length) {
  LoadOptions o;
  o.qroar = scales;
  o.load_tokenizer = false;
  const Model m = load_model(model_path, o);
  const cli::ModelRope rope = cli::model_rope(m.config, rope_arg);
  auto backend = make_cpu_backend(m, {});
  std::vector<int32_t> tokens;
  for (int64_t t = 0; t < length; ++t) tokens.push_back(static_cast<int32_t>((t * 37 + 11) % 1000));
  return backend->score({std::span<const int32_t>(tokens)}, rope.schedules(length)).at(0).logprob;
}

cli::QroarDevSet tiny_dev(int64_t long_length, int64_t short_length) {
  std::vector<int32_t> tokens;
  for (int64_t t = 0; t < 2 * long_length; ++t) tokens.push_back(static_cast<int32_t>((t * 53 + 7) % 1000));
  return cli::make_qroar_dev_set(std::move(tokens), long_length, short_length, 2, "tiny dev");
}

}  // namespace

BOOST_AUTO_TEST_CASE(frequency_bands_are_contiguous_and_must_divide) {
  const auto bands = quant::assign_bands({quant::BandMode::Frequency, 4}, 16, 10000.0, 256, "m");
  BOOST_TEST(bands == std::vector<int>({0, 0, 1, 1, 2, 2, 3, 3}), boost::test_tools::per_element());
  BOOST_CHECK_EXCEPTION(quant::assign_bands({quant::BandMode::Frequency, 3}, 16, 10000.0, 256, "m"), InputError,
                        [](const InputError& e) { return field_is(e, "bands") && std::string(e.what()).find("do not divide") != std::string::npos; });
  BOOST_CHECK_THROW(quant::assign_bands({quant::BandMode::Frequency, 1}, 1, 10000.0, 256, "m"), InputError);
}

// Wavelength 2 pi theta^(2i/d) against N / m and N * m.
BOOST_AUTO_TEST_CASE(wavelength_bands_follow_the_original_context) {
  const int64_t d = 64, n = 2048;
  const double theta = 10000.0, margin = 2.0;
  const auto bands = quant::assign_bands({quant::BandMode::Wavelength, 3, margin}, d, theta, n, "m");
  BOOST_REQUIRE_EQUAL(bands.size(), 32u);
  for (int64_t i = 0; i < 32; ++i) {
    const double wl = 2 * std::numbers::pi * std::pow(theta, 2.0 * i / d);
    const int want = wl < n / margin ? 0 : wl > n * margin ? 2 : 1;
    BOOST_TEST(bands[static_cast<size_t>(i)] == want, "pair " << i);
  }
  BOOST_TEST(bands.front() == 0);
  BOOST_TEST(bands.back() == 2);
}

// Pairs (i, i + rotary/2) of every head share a scale; unrotated dims (partial rotary) keep 1.
BOOST_AUTO_TEST_CASE(row_scales_keep_pairs_together) {
  const std::vector<int> bands = {0, 1};  // rotary_dim 4 of head_dim 6
  const auto rows = quant::rope_row_scales(bands, {2.0, 0.5}, 2, 6);
  BOOST_TEST(rows == std::vector<float>({2, 0.5, 2, 0.5, 1, 1, 2, 0.5, 2, 0.5, 1, 1}), boost::test_tools::per_element());
}

// A 4-bit matrix's rows scaled through their group parameters: a power of two exactly.
BOOST_AUTO_TEST_CASE(packed_rows_scale_through_group_parameters) {
  const int64_t rows = 4, cols = 64;
  std::vector<float> w(rows * cols);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * static_cast<float>(i));
  for (bool symmetric : {true, false}) {
    const quant::QuantizedMatrix m = quant::quantize_int4(w.data(), rows, cols, 32, symmetric, "t");
    quant::QuantizedMatrix scaled = m;
    quant::scale_rows(scaled, {1.0f, 2.0f, 0.25f, 1.0f}, "t");
    std::vector<float> before(w.size()), after(w.size());
    m.dequantize_rows(0, rows, before.data());
    scaled.dequantize_rows(0, rows, after.data());
    const float factor[] = {1.0f, 2.0f, 0.25f, 1.0f};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) BOOST_TEST(after[r * cols + c] == factor[r] * before[r * cols + c]);
  }
  // Groups that cross rows cannot carry a row's scale.
  quant::QuantizedMatrix crossing = quant::quantize_nf4(w.data(), 2, 96, false, "t");  // 64-weight blocks over 96 columns
  BOOST_CHECK_EXCEPTION(quant::scale_rows(crossing, {1.0f, 2.0f}, "t"), InputError,
                        [](const InputError& e) { return field_is(e, "group_size"); });
}

// symmetric: W_Q * s, W_K / s leaves every logit q.k as it was: powers of two exactly, other
// factors within fp32 rounding (a few ulps of each logit, 1e-5 on the log-probs).
BOOST_AUTO_TEST_CASE(symmetric_scales_leave_full_precision_logprobs_unchanged) {
  const nlohmann::json yarn = {{"rope_type", "yarn"}, {"factor", 2.0}};
  const Model cfg = load_model(kLlama, LoadOptions{.load_tokenizer = false, .load_weights = false});
  QroarScales s = qroar_identity(cfg.config, {quant::BandMode::Frequency, 2}, QroarVariant::Symmetric, false);
  const std::vector<float> plain = logprobs(kLlama, nullptr, yarn, 96);
  s.scales = {{2.0, 0.25}};
  const std::vector<float> pow2 = logprobs(kLlama, &s, yarn, 96);
  BOOST_TEST(pow2 == plain, boost::test_tools::per_element());
  s.scales = {{1.26, 0.79}};
  const std::vector<float> other = logprobs(kLlama, &s, yarn, 96);
  double worst = 0;
  for (size_t i = 0; i < plain.size(); ++i) worst = std::max(worst, std::abs(double(other[i]) - plain[i]));
  BOOST_TEST_MESSAGE("symmetric 1.26 / 0.79: max |dlogprob| " << worst);
  BOOST_TEST(worst <= 1e-5);
  // plain is a temperature: it changes the model.
  s.variant = QroarVariant::Plain;
  s.scales = {{2.0, 0.25}};
  const std::vector<float> temperature = logprobs(kLlama, &s, yarn, 96);
  double moved = 0;
  for (size_t i = 0; i < plain.size(); ++i) moved = std::max(moved, std::abs(double(temperature[i]) - plain[i]));
  BOOST_TEST(moved > 1e-3);
}

// The search starts at the identity and accepts only improvements within the short tolerance:
// never worse than the identity, and the same bits on a rerun.
BOOST_AUTO_TEST_CASE(search_never_worse_than_identity_and_repeatable) {
  const nlohmann::json linear = {{"rope_type", "linear"}, {"factor", 2.0}};
  cli::QroarSearchOptions o;
  o.bands = {quant::BandMode::Frequency, 2};
  o.grid = cli::default_qroar_grid();
  const quant::QuantOptions int4 = quant::parse_quant_options("int4", 32, "test", "--quant");
  std::vector<cli::QroarSearchResult> runs;
  for (int run = 0; run < 2; ++run) {
    LoadOptions lo{.load_tokenizer = false, .load_weights = true, .quant = int4};
    lo.defer_quantization = true;
    Model m = load_model(kLlama, lo);
    const cli::ModelRope rope = cli::model_rope(m.config, linear);
    cli::QroarEvaluator ev(std::move(m), rope, int4, BackendOptions{}, tiny_dev(256, 64));
    runs.push_back(cli::qroar_search(ev, o));
  }
  const cli::QroarSearchResult& r = runs[0];
  BOOST_TEST(r.best.long_nll <= r.identity.long_nll);
  BOOST_TEST(r.best.short_nll <= r.identity.short_nll * (1 + o.short_tolerance));
  BOOST_TEST(r.evaluations >= 1 + 2 * 6);
  BOOST_TEST(runs[1].scales.scales == r.scales.scales);
  BOOST_TEST(runs[1].best.long_nll == r.best.long_nll);
  BOOST_TEST(runs[1].identity.short_nll == r.identity.short_nll);
  // A grid without the identity is refused.
  o.grid = {0.5, 2.0};
  LoadOptions lo{.load_tokenizer = false, .load_weights = true, .quant = int4};
  lo.defer_quantization = true;
  Model m = load_model(kLlama, lo);
  const cli::ModelRope rope = cli::model_rope(m.config, linear);
  cli::QroarEvaluator ev(std::move(m), rope, int4, BackendOptions{}, tiny_dev(128, 32));
  BOOST_CHECK_EXCEPTION(cli::qroar_search(ev, o), InputError, [](const InputError& e) { return field_is(e, "--grid"); });
}

// Pressure: one value per (layer, band), finite, and not all zero (the phases matter at 256).
BOOST_AUTO_TEST_CASE(diagnostics_have_a_value_per_layer_and_band) {
  const nlohmann::json linear = {{"rope_type", "linear"}, {"factor", 2.0}};
  Model m = load_model(kLlama, LoadOptions{.load_tokenizer = false, .load_weights = true});
  const cli::ModelRope rope = cli::model_rope(m.config, linear);
  const QroarScales bands = qroar_identity(m.config, {quant::BandMode::Frequency, 4}, QroarVariant::Symmetric, false);
  const cli::QroarDevSet dev = tiny_dev(256, 64);
  const cli::QroarPressure p = cli::interpolation_pressure(m, rope, bands, dev, BackendOptions{}, 0.05);
  BOOST_TEST(!m.config.rope_schedule_per_layer);  // restored
  BOOST_REQUIRE_EQUAL(p.per_layer.size(), static_cast<size_t>(m.config.num_layers));
  double largest = 0;
  for (const auto& row : p.per_layer) {
    BOOST_REQUIRE_EQUAL(row.size(), 4u);
    for (double v : row) {
      BOOST_TEST(std::isfinite(v));
      largest = std::max(largest, std::abs(v));
    }
  }
  BOOST_TEST(largest > 1e-4);
  // The base NLL is the model's own under the method (the per-layer schedules are its schedules).
  auto backend = make_cpu_backend(m, {});
  const LengthResult base = score_windows(*backend, rope, dev.tokens, dev.long_windows, dev.long_length);
  BOOST_TEST(std::abs(p.base_nll - base.nll_sum / base.predictions) <= 1e-12);

  const cli::QroarTails t = cli::tail_inflation(m, rope, bands, dev, 0, 0.999);
  BOOST_REQUIRE_EQUAL(t.q_ratio.size(), static_cast<size_t>(m.config.num_layers));
  for (const auto& row : t.q_ratio)
    for (double v : row) BOOST_TEST((std::isfinite(v) && v > 0));
  BOOST_CHECK_THROW(cli::interpolation_pressure(m, rope, bands, dev, BackendOptions{}, 0.0), InputError);
}

BOOST_AUTO_TEST_CASE(scales_file_round_trip_and_refusals) {
  const Model llama = load_model(kLlama, LoadOptions{.load_tokenizer = false, .load_weights = false});
  QroarScales s = qroar_identity(llama.config, {quant::BandMode::Frequency, 2}, QroarVariant::Plain, true);
  s.scales[1] = {1.5, 0.75};
  const fs::path dir = rbtest::scratch_dir("qroar", "roundtrip");
  save_qroar_scales(s, dir / "s.json");
  const QroarScales back = load_qroar_scales(dir / "s.json");
  BOOST_TEST(back.scales == s.scales);
  BOOST_TEST((back.variant == QroarVariant::Plain));
  BOOST_TEST(back.band_of_pair == s.band_of_pair, boost::test_tools::per_element());

  // Scales from another model: the first field that differs is named.
  const Model qwen2 = load_model(rbtest::fixture("models/qwen2_bias"), LoadOptions{.load_tokenizer = false, .load_weights = false});
  BOOST_CHECK_EXCEPTION(check_qroar_model(back, qwen2.config), InputError, [&](const InputError& e) {
    return e.file() == (dir / "s.json").string() && field_is(e, "model.architecture");
  });
  // A model without row-scalable RoPE bands: Qwen3's q/k norms undo a row scaling.
  const Model qwen3 = load_model(rbtest::fixture("models/qwen3_full"), LoadOptions{.load_tokenizer = false, .load_weights = false});
  BOOST_CHECK_EXCEPTION(qroar_identity(qwen3.config, {}, QroarVariant::Symmetric, false), InputError,
                        [](const InputError& e) { return field_is(e, "qk_norm"); });
  // A broken file names its field.
  nlohmann::json j = qroar_to_json(s);
  j["scales"][0][1] = -1.0;
  BOOST_CHECK_EXCEPTION(qroar_from_json(j, "x.json"), InputError, [](const InputError& e) { return field_is(e, "scales[0][1]"); });
  j = qroar_to_json(s);
  j["bands"]["band_of_pair"].push_back(0);
  BOOST_CHECK_EXCEPTION(qroar_from_json(j, "x.json"), InputError, [](const InputError& e) { return field_is(e, "bands.band_of_pair"); });
}

// The CLI end to end: qroar writes scales that eval applies and records.
BOOST_AUTO_TEST_CASE(cli_qroar_then_eval) {
  const fs::path dir = rbtest::scratch_dir("qroar", "cli");
  const std::string out = (dir / "scales.json").string();
  const auto q = rbtest::run_ropebatch("qroar --model " + kLlama + " --data " + rbtest::fixture("text/genesis.txt") +
                                       " --rope '{\"rope_type\": \"linear\", \"factor\": 2}' --quant int4 --group-size 32"
                                       " --length 256 --short-length 64 --bands 2 --diagnostics pressure --out " + out);
  BOOST_REQUIRE_MESSAGE(q.status == 0, q.err);
  const QroarScales s = load_qroar_scales(out);
  BOOST_TEST(s.record["search"]["best"]["long_nll"].get<double>() <= s.record["search"]["identity"]["long_nll"].get<double>());
  BOOST_TEST(s.record["diagnostics"].contains("pressure"));
  const auto e = rbtest::run_ropebatch("eval --model " + kLlama + " --data " + rbtest::fixture("text/genesis.txt") +
                                       " --lengths 64 --max-tokens 256 --quant int4 --group-size 32 --qroar " + out + " --format json");
  BOOST_REQUIRE_MESSAGE(e.status == 0, e.err);
  const auto j = nlohmann::json::parse(e.out);
  BOOST_TEST(j["qroar"]["file"] == out);
  BOOST_TEST(j["qroar"]["scales"] == nlohmann::json(s.scales));
  // The same file in a grid: each run stores the diagnostics with its scales, and the report draws them.
  {
    const fs::path grid = dir / "with_diagnostics.toml";
    std::ofstream g(grid);
    g << "name = \"qroar-diagnostics\"\nmodels = [\"" << kLlama << "\"]\ndatasets = [\"text:"
      << rbtest::fixture("text/genesis.txt") << "\"]\nlengths = [64]\nquant = [\"int4-g32\"]\n[windows]\nmax_windows = 2\n"
      << "[[methods]]\nname = \"original\"\nrope = {}\nbaseline = true\n"
      << "[[methods]]\nname = \"linear-qroar\"\nrope = { rope_type = \"linear\", factor = 2.0 }\nqroar = \"" << out << "\"\n";
    g.close();
    const auto r = rbtest::run_ropebatch("run --grid " + grid.string() + " --out " + (dir / "g.h5").string() + " --cache-dir " +
                                         (dir / "cache").string());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
    std::map<std::string, reports::RunRecord> by_family;
    for (auto& rec : reports::read_results((dir / "g.h5").string())) by_family[rec.config.at("family").get<std::string>()] = rec;
    BOOST_REQUIRE_EQUAL(by_family.size(), 2u);
    BOOST_TEST(!by_family.at("original").config.contains("qroar"));
    const nlohmann::json& stored = by_family.at("linear-qroar").config.at("qroar");
    BOOST_TEST(stored["diagnostics"] == s.record["diagnostics"]);
    BOOST_TEST(stored["dev_objective"]["best"] == s.record["search"]["best"]);
    const auto rep = rbtest::run_ropebatch("report " + (dir / "g.h5").string() + " --out " + (dir / "grep").string() + " --no-png");
    BOOST_REQUIRE_MESSAGE(rep.status == 0, rep.err);
    std::ifstream svg_in(dir / "grep" / "qroar_diagnostics.svg");
    BOOST_REQUIRE(svg_in.good());
    const std::string svg((std::istreambuf_iterator<char>(svg_in)), std::istreambuf_iterator<char>());
    BOOST_TEST(svg.find("interpolation pressure") != std::string::npos);
    // One cell per (layer, band): the fixture's 2 layers x 2 bands, each value printed in its cell.
    const auto& per_layer = s.record["diagnostics"]["pressure"]["per_layer"];
    BOOST_REQUIRE_EQUAL(per_layer.size(), 2u);
    BOOST_TEST(svg.find(">layer 1<") != std::string::npos);
    BOOST_TEST(svg.find(">band 1<") != std::string::npos);
    std::ifstream md_in(dir / "grep" / "report.md");
    const std::string md((std::istreambuf_iterator<char>(md_in)), std::istreambuf_iterator<char>());
    BOOST_TEST(md.find("](qroar_diagnostics.svg)") != std::string::npos);
  }
  // Bands that do not divide the rotary pairs: refused before any weight is read.
  const auto bad = rbtest::run_ropebatch("qroar --model " + kLlama + " --data " + rbtest::fixture("text/genesis.txt") +
                                         " --length 256 --bands 3 --out " + out);
  BOOST_TEST(bad.status == 2);
  BOOST_TEST(bad.err.find("bands") != std::string::npos, bad.err);
}

// qroar = "search" in a grid: one search per (model, quantization, RoPE configuration), shared by
// that configuration's lengths, equal to `ropebatch qroar` with the same settings, cached for the
// next sweep, and stored with every run beside the request; bad settings are refused with the
// grid's line, and a search that cannot run fails its runs only.
BOOST_AUTO_TEST_CASE(grid_search_matches_the_cli_and_is_cached) {
  const fs::path dir = rbtest::scratch_dir("qroar", "grid_search");
  const std::string genesis = rbtest::fixture("text/genesis.txt");
  const std::string cli_out = (dir / "cli.json").string();
  const auto q = rbtest::run_ropebatch("qroar --model " + kLlama + " --data " + genesis +
                                       " --rope '{\"rope_type\": \"linear\", \"factor\": 2.0}' --quant int4 --group-size 32"
                                       " --length 256 --short-length 64 --dev-windows 1 --bands 2 --passes 1 --diagnostics none"
                                       " --out " + cli_out);
  BOOST_REQUIRE_MESSAGE(q.status == 0, q.err);
  const QroarScales by_cli = load_qroar_scales(cli_out);

  const auto write_grid = [&](const std::string& name, const std::string& qroar_table, const std::string& methods_extra) {
    const fs::path grid = dir / (name + ".toml");
    std::ofstream g(grid);
    g << "name = \"" << name << "\"\nmodels = [\"" << kLlama << "\"]\ndatasets = [\"text:" << genesis
      << "\"]\nlengths = [64, 128]\nquant = [\"int4-g32\"]\n[windows]\nmax_windows = 2\n" << qroar_table
      << "[[methods]]\nname = \"original\"\nrope = {}\nbaseline = true\n"
      << "[[methods]]\nname = \"linear-qroar\"\nrope = { rope_type = \"linear\", factor = 2.0 }\nqroar = \"search\"\n"
      << methods_extra;
    return grid.string();
  };
  const std::string table = "[qroar]\ndata = \"text:" + genesis + "\"\nlength = 256\nshort_length = 64\ndev_windows = 1\n"
                            "bands = 2\npasses = 1\n";
  const std::string grid = write_grid("search", table, "");
  const std::string cache = (dir / "cache").string();
  const auto planned = rbtest::run_ropebatch("plan --grid " + grid);
  BOOST_REQUIRE_MESSAGE(planned.status == 0, planned.err);
  BOOST_TEST(planned.out.find("Q-ROAR: 1 search(es) before the runs") != std::string::npos, planned.out);  // both lengths share it
  const auto first = rbtest::run_ropebatch("run --grid " + grid + " --out " + (dir / "a.h5").string() + " --cache-dir " + cache);
  BOOST_REQUIRE_MESSAGE(first.status == 0, first.err);
  BOOST_TEST(first.err.find("Q-ROAR search for") != std::string::npos, first.err);

  std::map<int64_t, reports::RunRecord> searched;
  for (auto& rec : reports::read_results((dir / "a.h5").string()))
    if (rec.config.at("family") == "linear-qroar") searched[rec.config.at("length").get<int64_t>()] = rec;
  BOOST_REQUIRE_EQUAL(searched.size(), 2u);
  for (const auto& [length, rec] : searched) {
    const nlohmann::json& stored = rec.config.at("qroar");
    BOOST_TEST(stored["scales"] == nlohmann::json(by_cli.scales));                 // the CLI's search, bit for bit
    BOOST_TEST(stored["dev_objective"]["best"] == by_cli.record["search"]["best"]);
    BOOST_TEST(stored["search"]["length"] == 256);
    BOOST_TEST(stored["search"]["data_sha256"] == by_cli.record["search"]["dev"]["data_sha256"]);
    BOOST_TEST(stored["file"] == searched.begin()->second.config["qroar"]["file"]);  // one search for both lengths
    BOOST_TEST(fs::path(stored["file"].get<std::string>()).parent_path() == fs::path(cache) / "qroar");
  }
  // The run scores as `eval --qroar` with the CLI's file does.
  const auto e = rbtest::run_ropebatch("eval --model " + kLlama + " --data " + genesis + " --rope '{\"rope_type\": \"linear\", \"factor\": 2.0}'"
                                       " --lengths 64 --max-tokens 128 --quant int4 --group-size 32 --qroar " + cli_out + " --format json");
  BOOST_REQUIRE_MESSAGE(e.status == 0, e.err);
  const double eval_ppl = nlohmann::json::parse(e.out)["results"][0]["ppl"].get<double>();
  BOOST_REQUIRE(searched.at(64).ppl.has_value());
  BOOST_TEST(*searched.at(64).ppl == eval_ppl, boost::test_tools::tolerance(1e-12));

  // A second sweep finds the search in the cache, and its runs are the same runs.
  const auto second = rbtest::run_ropebatch("run --grid " + grid + " --out " + (dir / "b.h5").string() + " --cache-dir " + cache);
  BOOST_REQUIRE_MESSAGE(second.status == 0, second.err);
  BOOST_TEST(second.err.find("Q-ROAR search for") == std::string::npos, second.err);
  std::map<std::string, double> ppl_a;
  for (auto& rec : reports::read_results((dir / "a.h5").string())) ppl_a[rec.run_id] = *rec.ppl;
  for (auto& rec : reports::read_results((dir / "b.h5").string())) {
    BOOST_REQUIRE(ppl_a.count(rec.run_id));
    BOOST_TEST(*rec.ppl == ppl_a.at(rec.run_id));
  }

  // Two ranks with a fresh cache: rank 0 searches, rank 1 scores with the scales it was sent.
  {
    const std::string log = (dir / "mpi.log").string();
    const int rc = std::system((rbtest::mpirun(2) + " run --grid " + grid + " --out " + (dir / "mpi.h5").string() +
                                " --cache-dir " + (dir / "mpicache").string() + " 2>" + log)
                                   .c_str());
    BOOST_REQUIRE_EQUAL(WEXITSTATUS(rc), 0);
    for (auto& rec : reports::read_results((dir / "mpi.h5").string())) {
      BOOST_REQUIRE(ppl_a.count(rec.run_id));
      BOOST_TEST(*rec.ppl == ppl_a.at(rec.run_id));
      if (rec.config.at("family") == "linear-qroar") BOOST_TEST(rec.config["qroar"]["scales"] == nlohmann::json(by_cli.scales));
    }
  }

  // Refusals, each naming the grid's key.
  const auto refused = [&](const std::string& path, const std::string& needle) {
    const auto r = rbtest::run_ropebatch("plan --grid " + path);
    BOOST_TEST(r.status == 2, path << ": " << r.err);
    BOOST_TEST(r.err.find(needle) != std::string::npos, r.err);
  };
  refused(write_grid("no_table", "", ""), "methods[1].qroar");
  refused(write_grid("no_data", "[qroar]\nlength = 256\n", ""), "qroar.data");
  refused(write_grid("no_identity", table + "grid = [0.5, 2.0]\n", ""), "qroar.grid");
  refused(write_grid("bad_bands", "[qroar]\ndata = \"text:" + genesis + "\"\nbands = 3\n", ""), "methods[1].qroar");
  refused(write_grid("bad_scope", table + "scope = \"row\"\n", ""), "qroar.scope");

  // A dev text too short for its windows: the searching runs fail with the reason, the rest are done.
  const std::string too_long = "[qroar]\ndata = \"text:" + genesis + "\"\nlength = 256\nshort_length = 64\ndev_windows = 100000\n";
  const auto failed = rbtest::run_ropebatch("run --grid " + write_grid("too_short", too_long, "") + " --out " +
                                            (dir / "c.h5").string() + " --cache-dir " + cache);
  BOOST_TEST(failed.status == 4, failed.err);
  int ok = 0, failed_runs = 0;
  for (auto& rec : reports::read_results((dir / "c.h5").string())) {
    if (rec.config.at("family") == "linear-qroar") {
      BOOST_TEST(rec.status == "failed");
      BOOST_TEST(rec.error.find("qroar.dev_windows") != std::string::npos, rec.error);
      ++failed_runs;
    } else {
      BOOST_TEST(rec.status == "ok");
      ++ok;
    }
  }
  BOOST_TEST(ok == 2);
  BOOST_TEST(failed_runs == 2);
  // The report shows the searched runs as searched, and the failed searches as failures.
  const auto report_of = [&](const std::string& h5, const std::string& name) {
    const auto rep = rbtest::run_ropebatch("report " + (dir / h5).string() + " --out " + (dir / name).string() + " --no-png");
    BOOST_REQUIRE_MESSAGE(rep.status == 0, rep.err);
    std::ifstream md_in(dir / name / "report.md");
    return std::string((std::istreambuf_iterator<char>(md_in)), std::istreambuf_iterator<char>());
  };
  const std::string searched_md = report_of("a.h5", "rep_a");
  BOOST_TEST(searched_md.find("searched in the sweep: text:genesis.txt, L = 256") != std::string::npos, searched_md);
  BOOST_TEST(report_of("c.h5", "rep_c").find("Q-ROAR search failed") != std::string::npos);
}

// --diagnostics tails: tail inflation alone (quantized and full precision), no pressure.
BOOST_AUTO_TEST_CASE(cli_tail_inflation_alone) {
  const fs::path dir = rbtest::scratch_dir("qroar", "tails");
  const std::string out = (dir / "tails.json").string();
  const auto q = rbtest::run_ropebatch("qroar --model " + kLlama + " --data " + rbtest::fixture("text/genesis.txt") +
                                       " --quant int4 --group-size 32 --length 256 --short-length 64 --bands 2 --grid 1"
                                       " --diagnostics tails --out " + out);
  BOOST_REQUIRE_MESSAGE(q.status == 0, q.err);
  const QroarScales s = load_qroar_scales(out);
  const nlohmann::json& d = s.record["diagnostics"];
  BOOST_TEST(!d.contains("pressure"));
  for (const char* model : {"quantized", "full_precision"}) {
    BOOST_REQUIRE(d["tail_inflation"].contains(model));
    const auto& q_ratio = d["tail_inflation"][model]["q_ratio"];
    BOOST_REQUIRE_EQUAL(q_ratio.size(), 2u);  // layers
    for (const auto& row : q_ratio)
      for (const auto& v : row) BOOST_TEST((v.get<double>() > 0.0 && std::isfinite(v.get<double>())));
  }
  const auto bad = rbtest::run_ropebatch("qroar --model " + kLlama + " --data " + rbtest::fixture("text/genesis.txt") +
                                         " --length 256 --diagnostics tail --out " + out);
  BOOST_TEST(bad.status == 2);
  BOOST_TEST(bad.err.find("--diagnostics") != std::string::npos, bad.err);
}

// plain = a per-band temperature: eval --qroar on llama_gqa equals the checkpoint whose rows
// were scaled by hand (tests/fixtures/make_qroar_fixtures.py), as ropebatch evaluates it (the same
// fp32 products: within 1e-12) and as transformers does (within 1e-4, as every eval reference).
BOOST_AUTO_TEST_CASE(plain_scales_equal_the_hand_scaled_checkpoint_in_transformers) {
  std::ifstream in(rbtest::fixture("rope/qroar_plain_reference.json"));
  BOOST_REQUIRE(in.good());
  const nlohmann::json refs = nlohmann::json::parse(in);
  std::map<std::string, std::vector<nlohmann::json>> by_rope;
  for (const auto& r : refs) by_rope[r["rope"].dump()].push_back(r);
  BOOST_REQUIRE_EQUAL(by_rope.size(), 2u);
  for (const auto& [rope, rows] : by_rope) {
    std::string lengths;
    for (const auto& r : rows) lengths += (lengths.empty() ? "" : ",") + r["length"].dump();
    const std::string common = " --data " + rbtest::fixture("text/genesis.txt") + " --lengths " + lengths +
                               " --max-tokens 512 --rope " + rbtest::shell_quote(rope) + " --format json";
    const auto scaled = rbtest::run_ropebatch("eval --model " + kLlama + " --qroar " +
                                              rbtest::fixture("qroar/plain_scales.json") + common);
    const auto by_hand = rbtest::run_ropebatch("eval --model " + rbtest::fixture("models/llama_gqa_qroar_plain") + common);
    BOOST_REQUIRE_MESSAGE(scaled.status == 0 && by_hand.status == 0, scaled.err << by_hand.err);
    const auto a = nlohmann::json::parse(scaled.out)["results"], b = nlohmann::json::parse(by_hand.out)["results"];
    for (size_t i = 0; i < rows.size(); ++i) {
      BOOST_TEST_CONTEXT(rope << " L=" << rows[i]["length"]) {
        const double ppl = a[i]["ppl"].get<double>();
        BOOST_TEST(std::abs(ppl / b[i]["ppl"].get<double>() - 1.0) <= 1e-12);
        BOOST_TEST(std::abs(ppl / rows[i]["ppl"].get<double>() - 1.0) <= 1e-4);
      }
    }
  }
}

// A grid entry's `qroar` scales file: its runs apply and record the scales (the same perplexity as
// eval --qroar), the entry without it does not, and a file made for another model is refused
// before any work, naming the entry.
BOOST_AUTO_TEST_CASE(grid_entries_apply_and_record_their_scales) {
  const std::string grid = std::string(RB_SOURCE_DIR) + "/tests/grids/qroar_test.toml";
  const fs::path dir = rbtest::scratch_dir("qroar", "grid");
  const auto run = rbtest::run_ropebatch("run --grid " + grid + " --out " + (dir / "r.h5").string() + " --cache-dir " +
                                         (dir / "cache").string());
  BOOST_REQUIRE_MESSAGE(run.status == 0, run.err);
  std::map<std::string, reports::RunRecord> by_family;
  for (auto& r : reports::read_results((dir / "r.h5").string())) by_family[r.config.at("family").get<std::string>()] = r;
  BOOST_REQUIRE_EQUAL(by_family.size(), 3u);
  const reports::RunRecord& with = by_family.at("linear-qroar");
  const reports::RunRecord& without = by_family.at("linear");
  BOOST_TEST(!without.config.contains("qroar"));
  BOOST_REQUIRE(with.config.contains("qroar"));
  BOOST_TEST(with.config["qroar"]["variant"] == "plain");
  BOOST_TEST(with.config["qroar"]["file"].get<std::string>().find("plain_scales.json") != std::string::npos);
  BOOST_TEST(*with.ppl != *without.ppl);
  const auto e = rbtest::run_ropebatch("eval --model " + kLlama + " --data " + rbtest::fixture("text/genesis.txt") +
                                       " --lengths 64 --max-windows 4 --rope '{\"rope_type\": \"linear\", \"factor\": 2.0}' --qroar " +
                                       rbtest::fixture("qroar/plain_scales.json") + " --format json");
  BOOST_REQUIRE_MESSAGE(e.status == 0, e.err);
  BOOST_TEST(std::abs(nlohmann::json::parse(e.out)["results"][0]["ppl"].get<double>() / *with.ppl - 1.0) <= 1e-12);

  // The report keeps both runs in one setting and shows the scaled run beside the plain one.
  const auto report = rbtest::run_ropebatch("report " + (dir / "r.h5").string() + " --out " + (dir / "rep").string() + " --no-png");
  BOOST_REQUIRE_MESSAGE(report.status == 0, report.err);
  std::ifstream md(dir / "rep" / "report.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  const size_t section = text.find("## Q-ROAR scales");
  BOOST_REQUIRE(section != std::string::npos);
  const std::string table = text.substr(section, text.find("\n## ", section + 1) - section);
  BOOST_TEST(table.find("| linear-qroar |") != std::string::npos, table);
  BOOST_TEST(table.find("1.50 0.750 (layer 0 of 2)") != std::string::npos, table);
  const double change = 100.0 * (*with.ppl / *without.ppl - 1.0);
  char expected[32];
  std::snprintf(expected, sizeof expected, "%.1f%%", change);
  BOOST_TEST(table.find(expected) != std::string::npos, table << " (expected " << expected << ")");

  const auto other = rbtest::run_ropebatch("plan --grid " + grid + " --model " + rbtest::fixture("models/qwen2_bias"));
  BOOST_TEST(other.status == 2);
  BOOST_TEST(other.err.find("methods[2].qroar") != std::string::npos, other.err);
  BOOST_TEST(other.err.find("another model") != std::string::npos, other.err);
}
