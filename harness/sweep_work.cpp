#include "harness/sweep_work.hpp"
#include "harness/quant_label.hpp"

#include <set>
#include <optional>
#include <algorithm>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <span>

#include "common/error.hpp"
#include "datasets/longppl.hpp"
#include "datasets/passkey.hpp"
#include "datasets/sha256.hpp"
#include "datasets/token_cache.hpp"
#include "harness/model_rope.hpp"
#include "harness/options.hpp"
#include "reports/position_buckets.hpp"

namespace rb::sweep {

namespace fs = std::filesystem;

// ---- serialization -------------------------------------------------------------------------

nlohmann::json WorkItem::to_json() const {
  return {{"run", run}, {"kind", kind == ItemKind::Windows ? "windows" : "passkey"},
          {"first", first_window}, {"end", end_window}, {"tokens", tokens}};
}

WorkItem WorkItem::from_json(const nlohmann::json& j) {
  WorkItem w;
  w.run = j.at("run");
  w.kind = j.at("kind") == "windows" ? ItemKind::Windows : ItemKind::Passkey;
  w.first_window = j.at("first");
  w.end_window = j.at("end");
  w.tokens = j.at("tokens");
  return w;
}

nlohmann::json ItemResult::to_json() const {
  nlohmann::json pk = nlohmann::json::array();
  for (const auto& p : passkey) pk.push_back({p.length, p.depth, p.trial, p.retrieved});
  return {{"run", run},
          {"kind", kind == ItemKind::Windows ? "windows" : "passkey"},
          {"first", first_window},
          {"error", error},
          {"window_nll", window_nll},
          {"window_predictions", window_predictions},
          {"token_nll", token_nll},
          {"key_logp", key_logp},
          {"key_mask", key_mask},
          {"longppl_predictions", longppl_predictions},
          {"position_nll", position_nll},
          {"position_predictions", position_predictions},
          {"passkey", pk},
          {"seconds", seconds},
          {"device", device}};
}

ItemResult ItemResult::from_json(const nlohmann::json& j) {
  ItemResult r;
  r.run = j.at("run");
  r.kind = j.at("kind") == "windows" ? ItemKind::Windows : ItemKind::Passkey;
  r.first_window = j.at("first");
  r.error = j.at("error");
  r.window_nll = j.at("window_nll").get<std::vector<double>>();
  r.window_predictions = j.at("window_predictions").get<std::vector<int64_t>>();
  r.token_nll = j.at("token_nll").get<std::vector<float>>();
  r.key_logp = j.at("key_logp").get<std::vector<double>>();
  r.key_mask = j.at("key_mask").get<std::vector<uint8_t>>();
  r.longppl_predictions = j.at("longppl_predictions");
  r.position_nll = j.at("position_nll").get<std::vector<double>>();
  r.position_predictions = j.at("position_predictions").get<std::vector<int64_t>>();
  for (const auto& p : j.at("passkey"))
    r.passkey.push_back({p[0].get<int64_t>(), p[1].get<double>(), p[2].get<int64_t>(), p[3].get<bool>()});
  r.seconds = j.at("seconds");
  r.device = j.at("device");
  return r;
}

// ---- model identity ------------------------------------------------------------------------

std::string model_identity(const std::string& model_path) {
  std::vector<fs::path> files;
  if (fs::is_directory(model_path)) {
    for (const auto& e : fs::directory_iterator(model_path))
      if (e.is_regular_file()) files.push_back(e.path());
  } else {
    files.push_back(model_path);
  }
  std::sort(files.begin(), files.end());
  data::Sha256 h;
  constexpr size_t kHead = 16u << 20;
  std::vector<char> buf(1 << 20);
  for (const auto& f : files) {
    const std::string header = f.filename().string() + "\n" + std::to_string(fs::file_size(f)) + "\n";
    h.update(header);
    std::ifstream in(f, std::ios::binary);
    size_t done = 0;
    while (done < kHead && in) {
      in.read(buf.data(), static_cast<std::streamsize>(std::min(buf.size(), kHead - done)));
      const auto n = static_cast<size_t>(in.gcount());
      if (n == 0) break;
      h.update(std::string_view(buf.data(), n));
      done += n;
    }
  }
  return h.hex_digest();
}

// ---- worker ---------------------------------------------------------------------------------

struct Worker::Loaded {
  std::string key;  // path | quant | Q-ROAR scales
  std::optional<QroarScales> qroar;
  Model model;
  std::unique_ptr<Backend> backend;
};

Worker::Worker(const SweepPlan& plan, int rank, ShardSpec shard, Communicator* group)
    : plan_(plan), rank_(rank), shard_(shard), group_(group) {}
Worker::~Worker() = default;

Worker::Loaded& Worker::model_for(int64_t run) {
  const RunSpec& spec = plan_.runs[run];
  // The stored configuration's copy, on every rank: for a grid's qroar = "search" it holds the
  // scales rank 0 found (spec.qroar holds only the request).
  const nlohmann::json qroar = plan_.configs.at(run).value("qroar", nlohmann::json());
  if (qroar.contains("error")) throw Error(qroar["error"].get<std::string>());
  const std::string key = spec.model + "|" + spec.quant + "|" + (qroar.is_null() ? "" : qroar.dump());
  if (loaded_ && loaded_->key == key) return *loaded_;
  loaded_.reset();  // free the previous model first
  auto l = std::make_unique<Loaded>();
  l->key = key;
  LoadOptions lopts;
  lopts.quant = quant_from_label(spec.quant, spec.model, "quant");
  if (!qroar.is_null()) {
    if (!qroar.contains("file")) throw Error("the Q-ROAR search of this run was not resolved before it started");
    l->qroar = load_qroar_scales(qroar.at("file").get<std::string>());
    if (l->qroar->scales != qroar.at("scales").get<std::vector<std::vector<double>>>())
      throw InputError(l->qroar->file, "scales", "changed since the grid was planned; plan the run again");
    lopts.qroar = &*l->qroar;
  }
  l->model = load_model(spec.model, lopts);
  BackendOptions opts;
  opts.kind = plan_.backend;
  opts.threads = plan_.threads;
  opts.shard = shard_;
  opts.tensor_parallel = group_;  // ModelDef refuses widths that do not split
  // The lengths of the plan's runs on this model, each at least a full batch: the CUDA backend
  // builds their attention plans while it loads (a last partial batch is planned when it comes).
  std::set<int64_t> lengths;
  for (const RunSpec& r : plan_.runs)
    if (r.model == spec.model && r.quant == spec.quant) lengths.insert(r.length);
  for (int64_t L : lengths) opts.expected.push_back({L, 0});
  l->backend = make_backend(l->model, opts);
  loaded_ = std::move(l);
  return *loaded_;
}

const data::TokenStream& Worker::tokens(const RunSpec& spec) {
  const std::string key = spec.model + "|" + spec.dataset;
  auto it = streams_.find(key);
  if (it != streams_.end()) return it->second;
  data::SourceOptions sopts;
  sopts.cache_dir = plan_.cache_dir;
  const data::Source source = data::load_source(spec.dataset, sopts);
  per_document_default_[spec.dataset] = source.per_document;
  dataset_sha256_[spec.dataset] = source.content_sha256;
  Model tok_model = load_model(spec.model, LoadOptions{.load_tokenizer = true, .load_weights = false});
  const Tokenizer& tok = *tok_model.tokenizer;
  const std::string tokenizer_id = plan_.model_ids.at(spec.model) + "|" + tok.kind();
  data::TokenizeFn fn = [&tok](std::string_view text, bool) { return tok.encode(text, true); };
  data::CachedTokens cached =
      data::get_or_tokenize(source, tokenizer_id, "auto", fn, fs::path(plan_.cache_dir) / "tokens");
  // A tokenizer that belongs to another model gives ids the embedding does not have.
  int32_t max_id = -1;
  for (const auto& doc : cached.stream.documents)
    for (int32_t id : doc) max_id = std::max(max_id, id);
  if (max_id >= tok_model.config.vocab_size)
    throw InputError(spec.model, "tokenizer",
                     "gives token id " + std::to_string(max_id) + " for " + source.id + ", but the model's vocab_size is " +
                         std::to_string(tok_model.config.vocab_size) + ": the tokenizer does not belong to this model");
  auto& stream = streams_[key] = std::move(cached.stream);
  concatenated_[key] = stream.concatenated();
  return stream;
}

bool Worker::per_document(const RunSpec& spec) const {
  return spec.windows.mode == "per-document" ||
         (spec.windows.mode == "auto" && per_document_default_.at(spec.dataset));
}

const data::WindowPlan& Worker::windows(int64_t run) {
  auto it = window_plans_.find(run);
  if (it != window_plans_.end()) return it->second;
  const RunSpec& spec = plan_.runs[run];
  const data::TokenStream& stream = tokens(spec);
  data::WindowOptions o;
  o.length = static_cast<size_t>(spec.length);
  if (spec.windows.stride > 0) o.stride = static_cast<size_t>(spec.windows.stride);
  if (spec.windows.max_windows > 0) o.max_windows = static_cast<size_t>(spec.windows.max_windows);
  if (spec.windows.max_tokens > 0) o.max_tokens = static_cast<size_t>(spec.windows.max_tokens);
  o.per_document = per_document(spec);
  return window_plans_[run] = data::plan_windows(stream, o);
}

ItemResult Worker::execute(const WorkItem& item) {
  const auto t0 = std::chrono::steady_clock::now();
  ItemResult r;
  try {
    r = item.kind == ItemKind::Windows ? score_windows(item) : score_passkey(item);
  } catch (const std::exception& e) {
    r = ItemResult{};
    r.error = e.what();
  }
  r.run = item.run;
  r.kind = item.kind;
  r.first_window = item.first_window;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.device = shard_.size > 1 ? plan_.backend + " (tp " + std::to_string(shard_.size) + ": ranks " + std::to_string(rank_) +
                                   "-" + std::to_string(rank_ + shard_.size - 1) + ")"
                             : plan_.backend + " (rank " + std::to_string(rank_) + ")";
  return r;
}

ItemResult Worker::score_windows(const WorkItem& item) {
  const RunSpec& spec = plan_.runs[item.run];
  const data::WindowPlan& wp = windows(item.run);
  const data::TokenStream& stream = tokens(spec);
  const auto& all = concatenated_.at(spec.model + "|" + spec.dataset);
  Loaded& m = model_for(item.run);
  const cli::ModelRope rope = cli::model_rope(m.model.config, spec.rope);
  const int64_t L = spec.length;
  const rope::RopeSchedules schedule = rope.schedules(L);
  const bool want_longppl = std::find(spec.metrics.begin(), spec.metrics.end(), "longppl") != spec.metrics.end();
  data::LongPplOptions lopts;
  lopts.alpha = spec.longppl.alpha;
  lopts.beta = spec.longppl.beta;
  lopts.short_length = static_cast<size_t>(spec.longppl.short_length);
  // longppl.py: 1024 tokens share one short context of 4096; keep that proportion for other lengths.
  lopts.short_stride = std::max<size_t>(1, lopts.short_length / 4);
  std::map<int64_t, rope::RopeSchedules> short_schedules;

  const bool per_doc = per_document(spec);
  auto window_tokens = [&](const data::Window& w) {
    const std::vector<int32_t>& src = per_doc ? stream.documents.at(w.document) : all;
    return std::span<const int32_t>(src.data() + w.start, w.length);
  };

  ItemResult r;
  reports::PositionAccumulator by_position(L);
  const int64_t batch = std::max<int64_t>(1, m.backend->preferred_batch(L));
  for (int64_t first = item.first_window; first < item.end_window; first += batch) {
    const int64_t last = std::min(item.end_window, first + batch);
    std::vector<std::span<const int32_t>> spans;
    for (int64_t w = first; w < last; ++w) spans.push_back(window_tokens(wp.windows[w]));
    const auto scores = m.backend->score(spans, schedule);
    for (int64_t w = first; w < last; ++w) {
      const data::Window& win = wp.windows[w];
      const WindowScores& s = scores[w - first];
      double nll = 0.0;
      for (int64_t t = static_cast<int64_t>(win.score_from); t < L - 1; ++t) {
        nll -= s.logprob[t];
        by_position.add(t + 1, -static_cast<double>(s.logprob[t]));
        if (plan_.save_token_nll) r.token_nll.push_back(-s.logprob[t]);
      }
      if (!std::isfinite(nll))
        throw Error("non-finite log-likelihood in window " + std::to_string(w) + " (tokens " +
                    std::to_string(win.start) + ".." + std::to_string(win.start + L) + ")");
      r.window_nll.push_back(nll);
      r.window_predictions.push_back(static_cast<int64_t>(win.scored()));
      if (!want_longppl || L <= spec.longppl.short_length) continue;
      // LongPPL: the same predictions with a short context (datasets/longppl.hpp).
      std::vector<double> logp_long(s.logprob.begin(), s.logprob.end());
      std::vector<double> logp_short(logp_long.size(), std::nan(""));
      const std::span<const int32_t> toks = spans[w - first];
      for (const data::Window& sw : data::short_context_windows(static_cast<size_t>(L), lopts)) {
        auto it = short_schedules.find(static_cast<int64_t>(sw.length));
        if (it == short_schedules.end())
          it = short_schedules.emplace(static_cast<int64_t>(sw.length), rope.schedules(static_cast<int64_t>(sw.length))).first;
        const auto ss = m.backend->score({toks.subspan(sw.start, sw.length)}, it->second);
        for (size_t t = sw.score_from; t + 1 < sw.length; ++t) logp_short[sw.start + t] = ss[0].logprob[t];
      }
      std::vector<uint8_t> mask(logp_long.size(), 0);
      for (size_t k : data::select_key_tokens(logp_long, logp_short, lopts)) {
        if (k < win.score_from) continue;
        r.key_logp.push_back(logp_long[k]);
        mask[k] = 1;
      }
      r.key_mask.insert(r.key_mask.end(), mask.begin() + static_cast<std::ptrdiff_t>(win.score_from), mask.end());
      for (size_t k = win.score_from; k < logp_short.size(); ++k)
        if (!std::isnan(logp_short[k])) ++r.longppl_predictions;
    }
  }
  r.position_nll = by_position.nll_sums();
  r.position_predictions = by_position.counts();
  return r;
}

ItemResult Worker::score_passkey(const WorkItem& item) {
  const RunSpec& spec = plan_.runs[item.run];
  Loaded& m = model_for(item.run);
  const cli::ModelRope rope = cli::model_rope(m.model.config, spec.rope);
  const Tokenizer& tok = *m.model.tokenizer;
  data::TokenizeFn fn = [&tok](std::string_view text, bool) { return tok.encode(text, true); };
  // Every sample first, then one scoring pass: the samples' lengths differ by a few tokens, and
  // score_padded scores them as one length wherever that is exact.
  std::vector<data::PasskeySample> samples;
  std::vector<std::pair<double, int64_t>> cells;  // (depth, trial) of each sample
  for (double depth : spec.passkey.depths) {
    for (int64_t trial = 0; trial < spec.passkey.trials; ++trial) {
      data::PasskeyRequest req;
      req.target_tokens = static_cast<size_t>(spec.length);
      req.depth = depth;
      req.trial = static_cast<uint64_t>(trial);
      req.seed = spec.passkey.seed;
      samples.push_back(data::make_passkey_sample(req, fn));
      cells.emplace_back(depth, trial);
    }
  }
  std::vector<std::span<const int32_t>> windows;
  for (const auto& sample : samples) windows.emplace_back(sample.tokens);
  const std::vector<WindowScores> scores =
      score_padded(*m.backend, windows, [&rope](int64_t n) { return rope.schedules(n); });
  ItemResult r;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const data::PasskeySample& sample = samples[i];
    bool retrieved = true;
    for (size_t t = sample.answer_begin; t < sample.answer_end; ++t) retrieved = retrieved && scores[i].is_argmax[t - 1];
    r.passkey.push_back({spec.length, cells[i].first, cells[i].second, retrieved});
  }
  return r;
}

const std::vector<int32_t>& Worker::stream(int64_t run) {
  const RunSpec& spec = plan_.runs[run];
  tokens(spec);
  return concatenated_.at(spec.model + "|" + spec.dataset);
}

// ---- planning -------------------------------------------------------------------------------

std::vector<WorkItem> make_items(const SweepPlan& plan, Worker& worker, const std::vector<bool>& skip,
                                 int64_t item_tokens) {
  std::vector<WorkItem> items;
  for (int64_t run = 0; run < static_cast<int64_t>(plan.runs.size()); ++run) {
    if (skip[run]) continue;
    const RunSpec& spec = plan.runs[run];
    const auto n = static_cast<int64_t>(worker.windows(run).windows.size());
    const int64_t per_item = std::max<int64_t>(1, item_tokens / spec.length);
    for (int64_t first = 0; first < n; first += per_item) {
      const int64_t end = std::min(n, first + per_item);
      items.push_back({run, ItemKind::Windows, first, end, (end - first) * spec.length});
    }
    if (n > 0 && std::find(spec.metrics.begin(), spec.metrics.end(), "passkey") != spec.metrics.end())
      items.push_back({run, ItemKind::Passkey, 0, 0,
                       spec.length * static_cast<int64_t>(spec.passkey.depths.size()) * spec.passkey.trials});
  }
  // Longest items first, so long windows do not straggle at the end of the sweep (stable: ties
  // keep the grid's order).
  std::stable_sort(items.begin(), items.end(), [](const WorkItem& a, const WorkItem& b) { return a.tokens > b.tokens; });
  return items;
}

void fill_token_cache(const SweepPlan& plan, Worker& worker) {
  // A dataset too short for every length of the grid is a mistake in the grid, not a run to skip.
  struct Pair {
    int64_t first_run;
    int64_t min_length;
    size_t windows = 0;
  };
  std::map<std::string, Pair> pairs;  // model|dataset
  for (int64_t run = 0; run < static_cast<int64_t>(plan.runs.size()); ++run) {
    const RunSpec& spec = plan.runs[run];
    Pair& p = pairs.try_emplace(spec.model + "|" + spec.dataset, Pair{run, spec.length}).first->second;
    p.min_length = std::min(p.min_length, spec.length);
    p.windows += worker.windows(run).windows.size();
  }
  for (const auto& [key, p] : pairs) {
    if (p.windows > 0) continue;
    throw InputError(plan.runs[p.first_run].dataset, "lengths",
                     "has " + std::to_string(worker.stream(p.first_run).size()) +
                         " tokens, fewer than every length of the grid (the shortest is " +
                         std::to_string(p.min_length) + "): no window can be scored");
  }
}

}  // namespace rb::sweep
