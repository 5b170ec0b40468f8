// `ropebatch eval`: perplexity of one model on one text at one or more window lengths.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "common/error.hpp"
#include "harness/commands.hpp"
#include "harness/eval_parallel.hpp"
#include "harness/model_rope.hpp"
#include "harness/options.hpp"
#include "harness/progress.hpp"
#include "harness/scoring.hpp"
#include "harness/text_input.hpp"
#include "model_core/backend.hpp"
#include "model_core/cpu/blas_core.hpp"
#include "model_core/model.hpp"
#include "reports/statistics.hpp"

namespace rb::cli {
namespace {
std::string format_fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}
}  // namespace

int cmd_eval(const Args& args) {
  po::options_description desc("eval options");
  std::string model_path, tokenizer_dir, qroar_path, data, lengths_text, rope_text, format, backend_kind, bos, quant_name;
  int64_t max_tokens = 0, stride = 0, max_windows = 0, group_size = 0;
  int threads = 0, tp = 1;
  desc.add_options()
      ("model", po::value(&model_path)->required(), "Hugging Face model directory or .gguf file")
      ("tokenizer", po::value(&tokenizer_dir)->default_value(""), "a Hugging Face tokenizer directory to use instead of the model's own (for GGUF files whose tokenizer is not rebuilt: phi3, gemma3)")
      ("data", po::value(&data)->required(), "text to score: a file, bible-kjv (Debian's King James Bible), or text:/dir:/jsonl:/wikitext:PATH")
      ("lengths", po::value(&lengths_text)->required(), "window lengths, e.g. 2048,4096 or 2k,4k")
      ("rope", po::value(&rope_text)->default_value(""), "RoPE method: Hugging Face JSON, @FILE or FILE.json (default: the model's own)")
      ("max-tokens", po::value(&max_tokens)->default_value(0), "keep only the first N tokens of the tokenized text (0: all)")
      ("stride", po::value(&stride)->default_value(0), "sliding windows with this stride; each window scores only its last S predictions (0: non-overlapping)")
      ("max-windows", po::value(&max_windows)->default_value(0), "score at most this many windows per length (0: all)")
      ("bos", po::value(&bos)->default_value("auto"), "BOS at the start of the text: auto (the tokenizer's default), always, never")
      ("quant", po::value(&quant_name)->default_value("none"), "quantize the projections at load: none, nf4, nf4-dq, int4, int4-asym (docs/QUANT.md); GPTQ/AWQ/GGUF checkpoints are read as published with none")
      ("group-size", po::value(&group_size)->default_value(0), "int4 group size (default 128)")
      ("qroar", po::value(&qroar_path)->default_value(""), "Q-ROAR band scales (ropebatch qroar --out) on W_Q / W_K before --quant (docs/QROAR.md)")
      ("backend", po::value(&backend_kind)->default_value("cpu"), "cpu or cuda")
      ("threads", po::value(&threads)->default_value(0), "CPU threads (0: all cores)")
      ("tp", po::value(&tp)->default_value(1), "tensor-parallel group size: run under mpirun -n N (a multiple of it: the windows are shared between the groups); CPU (MPI) or CUDA (NCCL, one GPU per rank)")
      ("format", po::value(&format)->default_value("text"), "text or json");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm,
                     "usage: ropebatch eval --model PATH [--tokenizer DIR] --data FILE --lengths L1,L2,... [--rope JSON] "
                     "[--max-tokens N] [--stride S] [--quant none|nf4|nf4-dq|int4|int4-asym [--group-size G]] "
                     "[--tp N under mpirun] [--format text|json]"))
    return kExitOk;
  const quant::QuantOptions quant = quant::parse_quant_options(quant_name, group_size, "command line", "--quant");
  check_format(format);
  const std::vector<int64_t> lengths = parse_lengths(lengths_text, "--lengths");
  const BosPolicy bos_policy = parse_bos_policy(bos);
  if (max_tokens < 0) throw InputError("command line", "--max-tokens", "must be >= 0");
  if (max_windows < 0) throw InputError("command line", "--max-windows", "must be >= 0");
  if (stride < 0) throw InputError("command line", "--stride", "must be >= 0");
  if (tp < 1) throw InputError("command line", "--tp", "must be >= 1");
  // Under --tp N every rank of a group holds a shard; only world rank 0 reports.
  std::unique_ptr<EvalParallel> parallel;
  if (tp > 1) {
    parallel = std::make_unique<EvalParallel>(tp);
    if (!parallel->prints()) set_verbosity(Verbosity::quiet);
  }
  const bool prints = !parallel || parallel->prints();

  // Everything that can be wrong with the inputs is checked before the weights are read.
  const auto t_start = std::chrono::steady_clock::now();
  const auto since_start = [&] {
    return format_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count());
  };
  LoadOptions tokenizer_options{.load_tokenizer = true, .load_weights = false};
  if (!tokenizer_dir.empty()) tokenizer_options.tokenizer_dir = tokenizer_dir;
  Model model = load_model(model_path, tokenizer_options);
  verbose_note("eval: " + model_path + ": configuration and tokenizer read (" + since_start() + ")");
  const nlohmann::json rope_arg = parse_rope_argument(rope_text);
  const ModelRope rope = model_rope(model.config, rope_arg);
  const TokenizedText text = tokenize_source(data, *model.tokenizer, bos_policy);
  verbose_note("eval: " + text.id + ": " + std::to_string(text.tokens.size()) + " tokens (" + since_start() + ")");
  std::vector<int32_t> tokens = text.tokens;
  if (max_tokens > 0 && static_cast<int64_t>(tokens.size()) > max_tokens) tokens.resize(max_tokens);
  for (int64_t L : lengths) {
    if (stride > L) throw InputError("command line", "--stride", "stride " + std::to_string(stride) +
                                     " is longer than the window length " + std::to_string(L));
    if (static_cast<int64_t>(tokens.size()) < L)
      throw InputError(text.id, "--lengths", "the text has " + std::to_string(tokens.size()) +
                       " tokens, fewer than the window length " + std::to_string(L));
  }

  std::optional<QroarScales> qroar;
  if (!qroar_path.empty()) {
    qroar = load_qroar_scales(qroar_path);
    check_qroar_model(*qroar, model.config);
  }
  // Every length's windows are planned first, so the progress line knows the whole job and the
  // backend the calls it will get (the CUDA backend plans their attention while it loads).
  std::vector<data::WindowPlan> plans;
  int64_t total_tokens = 0;
  for (int64_t L : lengths) {
    data::WindowOptions wopts;
    wopts.length = static_cast<size_t>(L);
    if (stride > 0) wopts.stride = static_cast<size_t>(stride);
    if (max_windows > 0) wopts.max_windows = static_cast<size_t>(max_windows);
    const size_t n_tokens = tokens.size();
    plans.push_back(data::plan_windows(std::span<const size_t>(&n_tokens, 1), wopts));
    total_tokens += static_cast<int64_t>(plans.back().windows.size()) * L;
  }

  LoadOptions weight_options{.load_tokenizer = false, .load_weights = true, .quant = quant};
  if (qroar) weight_options.qroar = &*qroar;
  Model loaded = load_model(model_path, weight_options);
  model.weights = std::move(loaded.weights);
  model.quant = loaded.quant;
  BackendOptions bopts;
  bopts.kind = backend_kind;
  bopts.threads = threads;
  if (parallel) {
    bopts.shard = parallel->shard();
    bopts.tensor_parallel = parallel->communicator();  // ModelDef refuses widths that do not split
  }
  for (size_t i = 0; i < lengths.size(); ++i) {
    const auto windows = parallel ? parallel->share(plans[i].windows).size() : plans[i].windows.size();
    bopts.expected.push_back({lengths[i], static_cast<int64_t>(windows)});
  }
  auto backend = make_backend(model, bopts);
  verbose_note("eval: weights loaded, backend " + backend->name() + " ready (" + since_start() + "; OpenBLAS kernels " +
               cpu::openblas_core() + ")");

  nlohmann::json results = nlohmann::json::array();
  Progress progress("eval", total_tokens);
  int64_t tokens_before = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    const int64_t L = lengths[i];
    const int64_t spread = parallel ? parallel->groups() : 1;  // groups share the windows
    const auto on_batch = [&](const LengthResult& so_far_here) {
      LengthResult so_far = so_far_here;
      so_far.windows = std::min<int64_t>(so_far.windows * spread, static_cast<int64_t>(plans[i].windows.size()));
      char note[160];
      std::snprintf(note, sizeof note, "L=%lld window %lld/%zu  ppl %.4f so far  %.0f tok/s",
                    static_cast<long long>(L), static_cast<long long>(so_far.windows), plans[i].windows.size(),
                    std::exp(so_far.nll_sum / std::max<int64_t>(1, so_far.predictions)),
                    so_far.seconds > 0 ? so_far.windows * L / so_far.seconds : 0.0);
      progress.update(tokens_before + so_far.windows * L, note);
    };
    const LengthResult r =
        parallel ? parallel->gather(score_windows(*backend, rope, tokens, parallel->share(plans[i].windows), L, on_batch),
                                    plans[i].windows.size())
                 : score_windows(*backend, rope, tokens, plans[i].windows, L, on_batch);
    tokens_before += r.windows * L;
    const reports::PerplexityEstimate e = reports::perplexity_over_windows(r.window_nll, r.window_predictions);
    const double tokens_per_second = r.seconds > 0 ? r.windows * L / r.seconds : 0.0;
    results.push_back({{"length", L},
                       {"ppl", r.ppl},
                       {"ppl_stderr", e.ppl_stderr ? nlohmann::json(*e.ppl_stderr) : nlohmann::json(nullptr)},
                       {"nll_sum", r.nll_sum},
                       {"predictions", r.predictions},
                       {"windows", r.windows},
                       {"seconds", r.seconds},
                       {"tokens_per_second", tokens_per_second}});
    if (format == "text" && prints) {
      progress.clear();
      const std::string se = e.ppl_stderr ? format_fixed(*e.ppl_stderr, 4) : std::string("n/a (one window)");
      std::printf("length %7lld  windows %5lld  predictions %8lld  nll %.6f  ppl %.6f ± %s  %.0f tokens/s  (%.2f s)\n",
                  static_cast<long long>(L), static_cast<long long>(r.windows),
                  static_cast<long long>(r.predictions), r.nll_sum / std::max<int64_t>(1, r.predictions), r.ppl,
                  se.c_str(), tokens_per_second, r.seconds);
      std::fflush(stdout);
    }
  }
  progress.clear();
  if (format == "json" && prints) {
    nlohmann::json out = {{"model", model_path},
                          {"data", text.id},
                          {"data_sha256", text.sha256},
                          {"tokens", tokens.size()},
                          {"backend", backend->name()},
                          {"tp", tp},
                          {"quant", model.quant},
                          {"rope", {{"method", rope.name()}, {"config", rope.config()}}},
                          {"qroar", qroar ? nlohmann::json{{"file", qroar_path},
                                                           {"variant", qroar_variant_name(qroar->variant)},
                                                           {"scales", qroar->scales}}
                                          : nlohmann::json(nullptr)},
                          {"results", results}};
    std::cout << out.dump(2) << "\n";
  }
  return kExitOk;
}

}  // namespace rb::cli
