#pragma once
// The unit of distributed work in `ropebatch run`: a range of one run's windows (or all of its
// passkey samples), and what a worker sends back. Both travel between ranks as JSON.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/source.hpp"
#include "datasets/token_stream.hpp"
#include "datasets/windows.hpp"
#include "harness/run_spec.hpp"
#include "model_core/backend.hpp"
#include "model_core/model.hpp"
#include "model_core/model_def/model_def.hpp"
#include "reports/run_record.hpp"

namespace rb {
class Communicator;
}

namespace rb::sweep {

enum class ItemKind { Windows, Passkey };

struct WorkItem {
  int64_t run = 0;            // index into the plan's runs
  ItemKind kind = ItemKind::Windows;
  int64_t first_window = 0;   // Windows: [first_window, end_window) of the run's window plan
  int64_t end_window = 0;
  int64_t tokens = 0;         // for scheduling: tokens this item scores
  nlohmann::json to_json() const;
  static WorkItem from_json(const nlohmann::json& j);
};

struct ItemResult {
  int64_t run = 0;
  ItemKind kind = ItemKind::Windows;
  int64_t first_window = 0;
  std::string error;                       // non-empty: the run failed
  std::vector<double> window_nll;          // per window of the item
  std::vector<int64_t> window_predictions;
  std::vector<float> token_nll;            // when --save-token-nll
  std::vector<double> key_logp;            // LongPPL: long-context log-probs of the key tokens
  std::vector<uint8_t> key_mask;           // LongPPL: per scored prediction of the item's windows, 1 = key token
  int64_t longppl_predictions = 0;         // predictions that had a short-context score
  std::vector<double> position_nll;        // per position bucket of the run's length (reports/position_buckets.hpp): summed NLL
  std::vector<int64_t> position_predictions;  // ... and scored predictions
  std::vector<reports::PasskeyOutcome> passkey;
  double seconds = 0.0;
  std::string device;
  nlohmann::json to_json() const;
  static ItemResult from_json(const nlohmann::json& j);
};

// Everything a worker needs that is the same for every item: the planned runs and the
// per-dataset/tokenizer token streams (read from the on-disk cache rank 0 filled).
struct SweepPlan {
  std::vector<RunSpec> runs;
  std::vector<std::string> run_ids;
  std::vector<nlohmann::json> configs;       // the canonical configuration stored with each run
  std::map<std::string, std::string> model_ids;  // model path -> identity hash
  std::string cache_dir;
  std::string backend = "cpu";
  int threads = 0;
  bool save_token_nll = false;
};

// Identity of a checkpoint without hashing gigabytes: SHA-256 over every file's name and size and
// the first 16 MiB of each (config, tokenizer and headers are always inside). docs/GRIDS.md.
std::string model_identity(const std::string& model_path);

// Per-rank state: the loaded model and backend (reused while consecutive items share a model),
// token streams and window plans. Under `run --tp N` every rank of a group is a Worker holding its
// shard of each model; all of them execute the same items in the same order (the collectives of
// `group` run inside score()), and the group leader's result is the group's.
class Worker {
 public:
  Worker(const SweepPlan& plan, int rank, ShardSpec shard = {}, Communicator* group = nullptr);
  ~Worker();
  ItemResult execute(const WorkItem& item);
  // The window plan of a run (also used by rank 0 to cut items).
  const data::WindowPlan& windows(int64_t run);
  const std::vector<int32_t>& stream(int64_t run);
  // SHA-256 of the dataset's content (after tokens() or windows() touched it).
  const std::string& dataset_sha256(const std::string& dataset) const { return dataset_sha256_.at(dataset); }

 private:
  struct Loaded;
  // The run's model with its weights held as the run's quantization asks (one model loaded at a time).
  Loaded& model_for(int64_t run);
  const data::TokenStream& tokens(const RunSpec& spec);
  bool per_document(const RunSpec& spec) const;  // windows per document or over the concatenation
  ItemResult score_windows(const WorkItem& item);
  ItemResult score_passkey(const WorkItem& item);

  const SweepPlan& plan_;
  int rank_;
  ShardSpec shard_;
  Communicator* group_;  // not owned; null without tensor parallelism
  std::unique_ptr<Loaded> loaded_;
  std::map<std::string, data::TokenStream> streams_;         // key: model|dataset
  std::map<std::string, std::vector<int32_t>> concatenated_;  // key: model|dataset
  std::map<std::string, bool> per_document_default_;          // key: dataset
  std::map<std::string, std::string> dataset_sha256_;         // key: dataset
  std::map<int64_t, data::WindowPlan> window_plans_;
};

// Cuts every run into items: windows in chunks of about `item_tokens` tokens (at least one window
// per item), plus one passkey item when the run asks for passkey.
std::vector<WorkItem> make_items(const SweepPlan& plan, Worker& worker, const std::vector<bool>& skip,
                                 int64_t item_tokens);

// Tokenizes every (model, dataset) pair once into the cache (rank 0, before work starts).
void fill_token_cache(const SweepPlan& plan, Worker& worker);

}  // namespace rb::sweep
