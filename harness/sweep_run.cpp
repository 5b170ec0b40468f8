#include "harness/sweep_run.hpp"

#include <mpi.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/error.hpp"
#include "datasets/sha256.hpp"
#include "harness/commands.hpp"
#include "harness/grid_models.hpp"
#include "harness/grid_plan.hpp"
#include "harness/model_rope.hpp"
#include "harness/options.hpp"
#include "harness/progress.hpp"
#include "harness/sweep_qroar.hpp"
#include "harness/sweep_work.hpp"
#include "harness/tensor_parallel_check.hpp"
#include "harness/version.hpp"
#include "model_core/model.hpp"
#include "model_core/parallel/mpi_communicator.hpp"
#include "reports/position_buckets.hpp"
#include "reports/results_store.hpp"
#include "reports/statistics.hpp"

namespace rb::sweep {

namespace {

#define MPI_CHECK(call)                                                                   \
  do {                                                                                    \
    const int rc_ = (call);                                                               \
    if (rc_ != MPI_SUCCESS) {                                                             \
      char msg_[MPI_MAX_ERROR_STRING];                                                    \
      int len_ = 0;                                                                       \
      MPI_Error_string(rc_, msg_, &len_);                                                 \
      throw Error(std::string(#call) + " failed: " + std::string(msg_, len_));           \
    }                                                                                     \
  } while (0)

// How a run's weights are held: its quantize-at-load label, else the checkpoint's own ("none",
// "gguf-q4_1+q8_0", "gptq-g128"); `cache` holds one per model path.
std::string weights_label(const RunSpec& spec, std::map<std::string, std::string>& cache) {
  if (spec.quant != "none") return spec.quant;
  auto it = cache.find(spec.model);
  if (it == cache.end())
    it = cache.emplace(spec.model, load_model(spec.model, LoadOptions{.load_tokenizer = false, .load_weights = false}).quant)
             .first;
  return it->second;
}

enum Tag : int { kReady = 1, kItem = 2, kStop = 3, kResult = 4, kPlan = 5 };

// Rank 0 stops at the next turn of its loop, checkpoints and ends the job (MPI_Abort). The other
// ranks have nothing to save but keep going meanwhile: under mpirun, which passes a SIGTERM on to
// every rank and sends SIGKILL a second later, a rank that exits first makes mpirun kill rank 0
// before its checkpoint. Should rank 0 never end them (it got no signal), they go after a grace.
constexpr unsigned kWorkerGraceSeconds = 10;
std::atomic<int> g_signal{0};
std::atomic<int> g_rank{0};
extern "C" void on_worker_grace_over(int) { ::_exit(kExitInterrupted); }
extern "C" void on_signal(int sig) {
  if (g_rank.load() != 0 && g_signal.load() == 0) ::alarm(kWorkerGraceSeconds);
  g_signal.store(sig);
}

void send_json(int dest, int tag, const nlohmann::json& j) {
  const std::string s = j.dump();
  MPI_CHECK(MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD));
}

nlohmann::json recv_json(const MPI_Status& probed) {
  int n = 0;
  MPI_CHECK(MPI_Get_count(&probed, MPI_CHAR, &n));
  std::string s(static_cast<size_t>(n), '\0');
  MPI_CHECK(MPI_Recv(s.data(), n, MPI_CHAR, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
  return s.empty() ? nlohmann::json() : nlohmann::json::parse(s);
}

// The sweep's tensor-parallel groups: `tp` consecutive ranks each (model_core/parallel). The
// coordinator (world rank 0, also the leader of group 0) hands items to group leaders only; a
// leader passes each item on to its members over the group's communicator, all of them score it
// together, and the leader sends the result back. With tp = 1 every rank is a group of one.
struct Groups {
  TensorParallelLayout layout;
  std::unique_ptr<MpiCommunicator> comm;  // null when tp = 1
  explicit Groups(int tp) {
    if (tp == 1) {
      MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &layout.world_rank));
      MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &layout.world_size));
      layout.group = layout.world_rank;
      layout.groups = layout.world_size;
      return;
    }
    layout = split_tensor_parallel(tp);  // InputError when tp does not divide the world
    comm = std::make_unique<MpiCommunicator>(layout.group_comm);
  }
  ~Groups() {
    comm.reset();
    if (layout.group_comm != MPI_COMM_NULL) MPI_Comm_free(&layout.group_comm);
  }
  Groups(const Groups&) = delete;
  Groups& operator=(const Groups&) = delete;
  bool leader() const { return layout.tp_rank == 0; }
  ShardSpec shard() const { return {layout.tp_rank, layout.tp}; }
  int leader_of(int group) const { return group * layout.tp; }
};

// Leader -> the members of its group: the next item, or the end (null). Collective over the group.
nlohmann::json group_broadcast(const nlohmann::json& j, const Groups& groups) {
  std::string s = groups.leader() ? j.dump() : std::string();
  int n = static_cast<int>(s.size());
  MPI_CHECK(MPI_Bcast(&n, 1, MPI_INT, 0, groups.layout.group_comm));
  s.resize(static_cast<size_t>(n));
  MPI_CHECK(MPI_Bcast(s.data(), n, MPI_CHAR, 0, groups.layout.group_comm));
  return nlohmann::json::parse(s);
}

// Rank 0 tells the others whether planning succeeded (and the model identities), so a bad grid
// ends every rank with the same message instead of leaving them waiting.
nlohmann::json broadcast_json(const nlohmann::json& j, int rank) {
  std::string s = rank == 0 ? j.dump() : std::string();
  int n = static_cast<int>(s.size());
  MPI_CHECK(MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD));
  s.resize(static_cast<size_t>(n));
  MPI_CHECK(MPI_Bcast(s.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD));
  return nlohmann::json::parse(s);
}

std::string hostname() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string run_id_of(const nlohmann::json& config) {
  data::Sha256 h;
  h.update(config.dump());
  return h.hex_digest();
}

using cli::format_duration;

std::string shard_label(const Shard& s) { return std::to_string(s.index) + "/" + std::to_string(s.count); }

// What this session's results file says about its grid and shard.
reports::GridSlice grid_slice(const Grid& grid, const std::vector<std::string>& run_ids,
                              const std::vector<int64_t>& shard_of, const std::optional<Shard>& shard) {
  reports::GridSlice g;
  g.grid = grid.name;
  g.grid_id = grid_identity(run_ids);
  g.grid_runs = static_cast<int64_t>(run_ids.size());
  if (shard) {
    g.shard_index = shard->index;
    g.shard_count = shard->count;
    g.shard_runs = std::count(shard_of.begin(), shard_of.end(), shard->index);
  }
  return g;
}

// A shard's file continues only that shard of that grid (each shard its own --out).
void check_same_slice(const reports::GridSlice& before, const reports::GridSlice& now, const std::string& out) {
  if (before.grid_id.empty() || (!before.sharded() && !now.sharded())) return;
  auto describe = [](const reports::GridSlice& g) {
    return (g.sharded() ? "shard " + std::to_string(g.shard_index) + "/" + std::to_string(g.shard_count) + " of "
                        : std::string("the whole of ")) +
           "grid '" + g.grid + "' (id " + g.grid_id.substr(0, 12) + ")";
  };
  if (before.grid_id != now.grid_id || before.shard_index != now.shard_index || before.shard_count != now.shard_count)
    throw InputError(out, "shard", "holds " + describe(before) + ", but this command runs " + describe(now) +
                                       "; give each shard its own --out");
}

// What rank 0 collects for one run until its last item is back.
struct RunState {
  int64_t pending = 0;
  int64_t windows = 0;
  int64_t skipped_documents = 0;
  bool failed = false;
  std::string error;
  std::map<int64_t, ItemResult> window_results;  // by first window
  std::vector<reports::PasskeyOutcome> passkey;
  double seconds = 0.0;
  std::string device;
  std::string started_at;
};

// The rank-0 worker: runs items handed over by the coordinator on its own thread, so rank 0's
// device works too while the main thread talks MPI. Under --tp it leads group 0: it passes each
// item on to the group's members before scoring it, and the end when it quits (on this thread, so
// the group's messages stay in order with the collectives of scoring; MPI_THREAD_MULTIPLE).
class LocalWorker {
 public:
  LocalWorker(const SweepPlan& plan, Worker& worker, const Groups& groups)
      : plan_(plan), worker_(worker), groups_(groups), thread_([this] { loop(); }) {}
  ~LocalWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool idle() {
    std::lock_guard<std::mutex> lock(mu_);
    return !item_ && !result_;
  }
  void give(const WorkItem& item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      item_ = item;
    }
    cv_.notify_all();
  }
  std::optional<ItemResult> take_result() {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = std::move(result_);
    result_.reset();
    return r;
  }

 private:
  void loop() {
    for (;;) {
      WorkItem item;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return quit_ || (item_ && !running_); });
        if (quit_) break;
        item = *item_;
        running_ = true;
      }
      if (groups_.comm) group_broadcast(item.to_json(), groups_);
      ItemResult r = worker_.execute(item);
      std::lock_guard<std::mutex> lock(mu_);
      result_ = std::move(r);
      item_.reset();
      running_ = false;
    }
    if (groups_.comm) group_broadcast(nullptr, groups_);
  }
  const SweepPlan& plan_;
  Worker& worker_;
  const Groups& groups_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<WorkItem> item_;
  std::optional<ItemResult> result_;
  bool running_ = false;
  bool quit_ = false;
  std::thread thread_;
};

reports::RunRecord assemble(const SweepPlan& plan, int64_t run, RunState& st, int rank) {
  reports::RunRecord rec;
  rec.run_id = plan.run_ids[run];
  rec.config = plan.configs[run];
  rec.host = hostname();
  rec.rank = rank;
  rec.device = st.device;
  rec.started_at = st.started_at;
  rec.finished_at = reports::utc_now_iso8601();
  rec.seconds = st.seconds;
  rec.skipped_documents = st.skipped_documents;
  const ModelConfig& model_config = grid_detail::grid_model_config(plan.runs[run].model);
  rec.trained_length = model_config.max_position_embeddings;
  rec.rope_resolved = cli::model_rope(model_config, plan.runs[run].rope).config().dump();
  if (st.failed) {
    rec.status = "failed";
    rec.error = st.error;
    return rec;
  }
  if (st.windows == 0) {
    rec.status = "skipped";
    rec.error = "no window of " + std::to_string(plan.runs[run].length) + " tokens: " +
                std::to_string(st.skipped_documents) + " document(s) shorter than the length";
    return rec;
  }
  std::vector<double> key_logp;
  const int64_t length = plan.runs[run].length;
  const std::vector<int64_t> starts = reports::position_bucket_starts(length);
  std::vector<double> position_nll(starts.size(), 0.0);
  std::vector<int64_t> position_predictions(starts.size(), 0);
  for (auto& [first, r] : st.window_results) {
    if (r.position_nll.size() != starts.size() || r.position_predictions.size() != starts.size())
      throw Error("internal: an item of run " + std::to_string(run) + " has " + std::to_string(r.position_nll.size()) +
                  " position buckets, not " + std::to_string(starts.size()));
    for (std::size_t b = 0; b < starts.size(); ++b) {
      position_nll[b] += r.position_nll[b];
      position_predictions[b] += r.position_predictions[b];
    }
    rec.window_nll.insert(rec.window_nll.end(), r.window_nll.begin(), r.window_nll.end());
    rec.window_predictions.insert(rec.window_predictions.end(), r.window_predictions.begin(), r.window_predictions.end());
    rec.token_nll.insert(rec.token_nll.end(), r.token_nll.begin(), r.token_nll.end());
    key_logp.insert(key_logp.end(), r.key_logp.begin(), r.key_logp.end());
    rec.longppl_key_mask.insert(rec.longppl_key_mask.end(), r.key_mask.begin(), r.key_mask.end());
  }
  const auto est = reports::perplexity_over_windows(rec.window_nll, rec.window_predictions);
  rec.status = "ok";
  rec.ppl = est.ppl;
  rec.ppl_stderr = est.ppl_stderr;
  rec.nll_sum = est.nll_sum;
  rec.predictions = est.predictions;
  rec.passkey = st.passkey;
  if (!key_logp.empty()) {
    double sum = 0.0;
    for (double v : key_logp) sum += v;
    rec.longppl = std::exp(-sum / static_cast<double>(key_logp.size()));
  }
  rec.longppl_key_tokens = static_cast<int64_t>(key_logp.size());
  for (std::size_t b = 0; b < starts.size(); ++b) {
    if (position_predictions[b] == 0) continue;
    rec.position_bucket_start.push_back(starts[b]);
    rec.position_mean_nll.push_back(position_nll[b] / static_cast<double>(position_predictions[b]));
    rec.position_predictions.push_back(position_predictions[b]);
  }
  const double tokens = static_cast<double>(st.windows * plan.runs[run].length);
  rec.tokens_per_second = st.seconds > 0 ? tokens / st.seconds : 0.0;
  return rec;
}

int coordinate(const SweepPlan& plan, Worker& worker, reports::ResultsStore& store, const std::vector<bool>& skip,
               int64_t already, const RunOptions& options, const Groups& groups) {
  const int world = groups.layout.world_size;
  const int remote_groups = groups.layout.groups - 1;  // groups led by another rank than this one
  std::vector<RunState> states(plan.runs.size());
  for (int64_t run = 0; run < static_cast<int64_t>(plan.runs.size()); ++run) {
    if (skip[run]) continue;
    const auto& wp = worker.windows(run);
    states[run].windows = static_cast<int64_t>(wp.windows.size());
    states[run].skipped_documents = static_cast<int64_t>(wp.skipped_streams);
  }
  std::deque<WorkItem> queue;
  for (const WorkItem& item : make_items(plan, worker, skip, options.item_tokens)) {
    queue.push_back(item);
    states[item.run].pending++;
  }
  int64_t total_runs = 0, done_runs = 0, failed_runs = 0;
  std::map<std::string, int64_t> runs_by_status;
  nlohmann::json not_ok = nlohmann::json::array();
  for (bool s : skip) total_runs += s ? 0 : 1;
  int64_t total_tokens = 0, done_tokens = 0;
  for (const auto& item : queue) total_tokens += item.tokens;
  const bool tty = isatty(fileno(stderr));
  const auto t0 = std::chrono::steady_clock::now();
  auto last_checkpoint = t0;
  const bool quiet = cli::verbosity() == cli::Verbosity::quiet;
  if (!quiet)
    std::fprintf(stderr, "ropebatch run: %lld runs to do (%lld already complete in %s), %zu work items, %d rank(s)%s\n",
                 static_cast<long long>(total_runs), static_cast<long long>(already), options.out.c_str(), queue.size(),
                 world,
                 groups.layout.tp > 1 ? (" in " + std::to_string(groups.layout.groups) + " tensor-parallel group(s) of " +
                                         std::to_string(groups.layout.tp)).c_str()
                                      : "");

  // A results store that cannot be written (a full disk, a lost mount) stops the sweep as a signal
  // does: no new items, the ones in flight finish, every rank is told to stop, and what was saved
  // (journal and .h5) stays for --resume. The first failure is reported.
  std::string storage_error;
  auto store_safely = [&](auto&& operation) {
    if (!storage_error.empty()) return false;
    try {
      operation();
      return true;
    } catch (const Error& e) {
      storage_error = e.what();
      return false;
    }
  };

  auto finish_run = [&](int64_t run) {
    reports::RunRecord rec = assemble(plan, run, states[run], 0);
    if (!store_safely([&] { store.append(rec); })) return;
    ++done_runs;
    if (rec.status != "ok") ++failed_runs;
    ++runs_by_status[rec.status];
    if (rec.status != "ok")
      not_ok.push_back({{"run_id", rec.run_id}, {"rope_label", plan.runs[run].rope_label},
                        {"length", plan.runs[run].length}, {"status", rec.status}, {"error", rec.error}});
    if (quiet) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double eta = done_tokens > 0 ? elapsed * static_cast<double>(total_tokens - done_tokens) / done_tokens : 0.0;
    const RunSpec& spec = plan.runs[run];
    char line[512];
    if (rec.status == "ok")
      std::snprintf(line, sizeof line, "[%lld/%lld] %s L=%lld ppl %.4f (%.1fs)", static_cast<long long>(done_runs),
                    static_cast<long long>(total_runs), spec.rope_label.c_str(), static_cast<long long>(spec.length),
                    *rec.ppl, rec.seconds);
    else
      std::snprintf(line, sizeof line, "[%lld/%lld] %s L=%lld %s: %s", static_cast<long long>(done_runs),
                    static_cast<long long>(total_runs), spec.rope_label.c_str(), static_cast<long long>(spec.length),
                    rec.status.c_str(), rec.error.c_str());
    if (tty) {
      const int width = 30;
      const int filled = total_tokens > 0 ? static_cast<int>(width * done_tokens / total_tokens) : width;
      std::fprintf(stderr, "\r\033[K%s\n[%s%s] %lld/%lld runs  ETA %s", line, std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), static_cast<long long>(done_runs),
                   static_cast<long long>(total_runs), format_duration(eta).c_str());
    } else {
      std::fprintf(stderr, "%s  ETA %s\n", line, format_duration(eta).c_str());
    }
    std::fflush(stderr);
  };

  // Runs with no window at all are recorded as skipped right away.
  for (int64_t run = 0; run < static_cast<int64_t>(plan.runs.size()); ++run)
    if (!skip[run] && states[run].pending == 0) finish_run(run);

  auto handle = [&](ItemResult&& r) {
    RunState& st = states[r.run];
    if (st.started_at.empty()) st.started_at = reports::utc_now_iso8601();
    st.pending--;
    st.seconds += r.seconds;
    st.device = r.device;
    const RunSpec& spec = plan.runs[r.run];
    done_tokens += r.kind == ItemKind::Windows
                       ? static_cast<int64_t>(r.window_nll.size()) * spec.length
                       : spec.length * static_cast<int64_t>(spec.passkey.depths.size()) * spec.passkey.trials;
    if (!r.error.empty() && !st.failed) {
      st.failed = true;
      st.error = r.error;
    }
    if (r.kind == ItemKind::Passkey) st.passkey = r.passkey;
    else st.window_results[r.first_window] = std::move(r);
    if (st.pending == 0) finish_run(r.run);
  };

  std::deque<int> idle_ranks;
  int64_t in_flight = 0;
  LocalWorker local(plan, worker, groups);
  bool local_busy = false;
  auto next_item = [&]() -> std::optional<WorkItem> {
    while (!queue.empty()) {
      WorkItem item = queue.front();
      queue.pop_front();
      if (!states[item.run].failed) return item;
      // The run already failed: its remaining items are dropped.
      if (--states[item.run].pending == 0) finish_run(item.run);
    }
    return std::nullopt;
  };

  for (;;) {
    bool progressed = false;
    if (remote_groups > 0) {
      int flag = 0;
      MPI_Status st;
      MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st));
      if (flag) {
        nlohmann::json j = recv_json(st);
        if (st.MPI_TAG == kResult) {
          handle(ItemResult::from_json(j));
          --in_flight;
        }
        idle_ranks.push_back(st.MPI_SOURCE);
        progressed = true;
      }
    }
    if (local_busy) {
      if (auto r = local.take_result()) {
        handle(std::move(*r));
        --in_flight;
        local_busy = false;
        progressed = true;
      }
    }
    const bool stopping = g_signal.load() != 0 || !storage_error.empty();
    while (!stopping && (!idle_ranks.empty() || !local_busy)) {
      auto item = next_item();
      if (!item) break;
      if (!idle_ranks.empty()) {
        send_json(idle_ranks.front(), kItem, item->to_json());
        idle_ranks.pop_front();
      } else {
        local.give(*item);
        local_busy = true;
      }
      ++in_flight;
      progressed = true;
    }
    if (stopping || (in_flight == 0 && queue.empty())) break;
    if (std::chrono::steady_clock::now() - last_checkpoint > std::chrono::minutes(5)) {
      store_safely([&] { store.checkpoint(); });
      last_checkpoint = std::chrono::steady_clock::now();
    }
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (g_signal.load() != 0 && (in_flight > 0 || world > 1)) {
    // Stopped by a signal: save what is finished and go now (under mpirun SIGKILL follows a second
    // after the SIGTERM); items in flight are abandoned and done again on --resume; MPI_Abort ends
    // the other ranks.
    store.close();
    std::fprintf(stderr,
                 "%sropebatch run: stopped by signal %d: %lld of %lld runs finished and saved in %s (%lld work items "
                 "abandoned); the same command with --resume finishes the rest\n",
                 tty ? "\n" : "", g_signal.load(), static_cast<long long>(done_runs), static_cast<long long>(total_runs),
                 options.out.c_str(), static_cast<long long>(in_flight));
    std::fflush(stderr);
    // A single process must not wait for its worker thread.
    if (world > 1) MPI_Abort(MPI_COMM_WORLD, kExitInterrupted);
    std::_Exit(kExitInterrupted);
  }
  // Nothing is in flight: every remote rank is idle or its READY is on the way. Collect those, so
  // no message is left unreceived, then tell every rank to stop.
  std::set<int> idle(idle_ranks.begin(), idle_ranks.end());
  while (static_cast<int>(idle.size()) < remote_groups) {
    MPI_Status st;
    MPI_CHECK(MPI_Probe(MPI_ANY_SOURCE, kReady, MPI_COMM_WORLD, &st));
    recv_json(st);
    idle.insert(st.MPI_SOURCE);
  }
  for (int g = 1; g <= remote_groups; ++g) send_json(groups.leader_of(g), kStop, nullptr);
  if (tty && !quiet) std::fprintf(stderr, "\n");
  store_safely([&] { store.close(); });
  if (!storage_error.empty()) {
    std::fprintf(stderr,
                 "ropebatch run: error: %s\nropebatch run: stopped: the results cannot be written; the %lld runs "
                 "finished and saved so far are kept in %s and %s; make room and run the same command with "
                 "--resume to finish\n",
                 storage_error.c_str(), static_cast<long long>(done_runs), options.out.c_str(),
                 reports::journal_path_for(options.out).c_str());
    return cli::kExitFailure;
  }
  const int sig = g_signal.load();
  if (options.format == "json") {
    const nlohmann::json summary = {{"out", options.out},
                                    {"runs", static_cast<int64_t>(plan.runs.size())},
                                    {"already_complete", already},
                                    {"to_do", total_runs},
                                    {"finished", done_runs},
                                    {"ok", runs_by_status["ok"]},
                                    {"failed", runs_by_status["failed"]},
                                    {"skipped", runs_by_status["skipped"]},
                                    {"interrupted_by_signal", sig != 0 ? nlohmann::json(sig) : nlohmann::json(nullptr)},
                                    {"not_ok", not_ok}};
    std::cout << summary.dump(2) << "\n" << std::flush;
  }
  if (sig != 0) {
    std::fprintf(stderr,
                 "ropebatch run: stopped by signal %d: %lld of %lld runs finished and saved in %s; the same command "
                 "with --resume finishes the rest\n",
                 sig, static_cast<long long>(done_runs), static_cast<long long>(total_runs), options.out.c_str());
    return kExitInterrupted;
  }
  if (!quiet)
    std::fprintf(stderr, "ropebatch run: %lld runs finished (%lld failed or skipped), results in %s\n",
                 static_cast<long long>(done_runs), static_cast<long long>(failed_runs), options.out.c_str());
  return failed_runs > 0 ? kExitSomeFailed : cli::kExitOk;
}

// A group leader other than rank 0: items from the coordinator, passed on to the members.
void serve(const SweepPlan& plan, const Groups& groups) {
  Worker worker(plan, groups.layout.world_rank, groups.shard(), groups.comm.get());
  send_json(0, kReady, nullptr);
  for (;;) {
    MPI_Status st;
    MPI_CHECK(MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st));
    nlohmann::json j = recv_json(st);
    if (groups.comm) group_broadcast(st.MPI_TAG == kStop ? nlohmann::json(nullptr) : j, groups);
    if (st.MPI_TAG == kStop) return;
    ItemResult r = worker.execute(WorkItem::from_json(j));
    send_json(0, kResult, r.to_json());
  }
}

// A member of a group (not its leader): scores what the leader passes on; the leader reports.
void follow(const SweepPlan& plan, const Groups& groups) {
  Worker worker(plan, groups.layout.world_rank, groups.shard(), groups.comm.get());
  for (;;) {
    const nlohmann::json j = group_broadcast(nullptr, groups);
    if (j.is_null()) return;
    worker.execute(WorkItem::from_json(j));
  }
}

}  // namespace

int run_sweep(const RunOptions& options) {
  int rank = 0, world = 1;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  g_rank.store(rank);
  std::signal(SIGALRM, on_worker_grace_over);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::unique_ptr<Groups> groups;
  try {
    groups = std::make_unique<Groups>(options.tp);  // the same answer on every rank
  } catch (const InputError& e) {
    if (rank == 0) std::cerr << "ropebatch run: error: " << e.what() << "\n";
    return cli::kExitBadInput;
  }

  SweepPlan plan;
  plan.backend = options.backend;
  plan.cache_dir = options.cache_dir;
  plan.save_token_nll = options.save_token_nll;
  plan.threads = options.threads;
  if (plan.threads == 0 && world > 1 && plan.backend == "cpu") {
    const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const int per_host = local ? std::max(1, std::atoi(local)) : world;
    plan.threads = std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(per_host));
  }

  // Every rank expands the grid (deterministic); rank 0 validates, hashes models and datasets,
  // tokenizes into the cache and opens the results; then tells the others how it went.
  std::unique_ptr<reports::ResultsStore> store;
  std::unique_ptr<Worker> planner;
  std::vector<bool> skip;
  std::vector<int64_t> shard_of;  // per run
  int64_t already = 0;            // runs of this shard complete in OUT before this session
  nlohmann::json status;
  try {
    Grid grid = load_grid(options.grid, options.overrides);
    plan.runs = expand_grid(grid);
    if (rank == 0) {
      validate_grid(grid, plan.runs);
      cli::check_tensor_parallel(plan.runs, options.tp);
      for (const auto& spec : plan.runs)
        if (!plan.model_ids.count(spec.model)) plan.model_ids[spec.model] = model_identity(spec.model);
      planner = std::make_unique<Worker>(plan, 0, groups->shard(), groups->comm.get());
      fill_token_cache(plan, *planner);
      std::vector<double> costs;
      for (int64_t run = 0; run < static_cast<int64_t>(plan.runs.size()); ++run)
        costs.push_back(run_cost(plan.runs[run], static_cast<int64_t>(planner->windows(run).windows.size())));
      shard_of = assign_shards(costs, options.shard ? options.shard->count : 1);
      std::map<std::string, std::string> weight_labels, dev_hashes;
      for (const auto& spec : plan.runs) {
        nlohmann::json config = spec.canonical();
        config["model_sha256"] = plan.model_ids.at(spec.model);
        config["dataset_sha256"] = planner->dataset_sha256(spec.dataset);
        add_qroar_dev_hash(config, plan.cache_dir, dev_hashes);
        plan.run_ids.push_back(run_id_of(config));
        // How the weights are held, for readers (not part of the run's identity: `quant` is).
        config["weights"] = weights_label(spec, weight_labels);
        plan.configs.push_back(std::move(config));
      }
      reports::FileInfo info;
      info.ropebatch_version = ROPEBATCH_VERSION;
      info.git_commit = git_commit();
      info.command_lines = {options.command_line};
      info.started_at = reports::utc_now_iso8601();
      info.slice = grid_slice(grid, plan.run_ids, shard_of, options.shard);
      // Without --resume an existing OUT is refused (docs/RESULTS_FORMAT.md): a results file only
      // ever gains runs, and only when asked to.
      store = std::make_unique<reports::ResultsStore>(reports::ResultsStore::open(options.out, info, options.resume));
      check_same_slice(store->previous_info().slice, info.slice, options.out);
      const int64_t mine = options.shard ? options.shard->index : 0;
      for (std::size_t run = 0; run < plan.run_ids.size(); ++run) {
        const auto* rec = store->find(plan.run_ids[run]);
        const bool complete = rec && rec->status == "ok";
        skip.push_back(complete || shard_of[run] != mine);
        if (complete && shard_of[run] == mine) ++already;
      }
      resolve_qroar_searches(plan, skip);  // the runs to do get their scales before any work starts
      if (options.shard)
        std::fprintf(stderr, "ropebatch run: shard %s of grid %s: %lld of its %zu runs\n",
                     shard_label(*options.shard).c_str(), grid.name.c_str(), static_cast<long long>(info.slice.shard_runs),
                     plan.runs.size());
    }
    status = {{"ok", true}, {"model_ids", plan.model_ids}, {"run_ids", plan.run_ids}, {"configs", plan.configs}};
  } catch (const InputError& e) {
    status = {{"ok", false}, {"input", true}, {"error", e.what()}};
  } catch (const std::exception& e) {
    status = {{"ok", false}, {"input", false}, {"error", e.what()}};
  }
  status = broadcast_json(rank == 0 ? status : nlohmann::json(), rank);
  if (!status["ok"].get<bool>()) {
    if (rank == 0) std::cerr << "ropebatch run: error: " << status["error"].get<std::string>() << "\n";
    return status["input"].get<bool>() ? cli::kExitBadInput : cli::kExitFailure;
  }
  if (rank != 0) {
    plan.model_ids = status["model_ids"].get<std::map<std::string, std::string>>();
    plan.run_ids = status["run_ids"].get<std::vector<std::string>>();
    plan.configs = status["configs"].get<std::vector<nlohmann::json>>();
    if (groups->leader()) serve(plan, *groups);
    else follow(plan, *groups);
    return cli::kExitOk;
  }
  return coordinate(plan, *planner, *store, skip, already, options, *groups);
}

}  // namespace rb::sweep
