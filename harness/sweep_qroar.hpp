#pragma once
// Q-ROAR searches inside a sweep (grids with qroar = "search", docs/QROAR.md "In grids"). A run's
// configuration carries the search request; rank 0 resolves it before any work is handed out:
// from the cache (CACHE/qroar/KEY.json, KEY the SHA-256 of model, quantization, RoPE, request, dev
// text and backend), or by searching once per request on its own device. The scales then join the
// run's stored configuration beside the request, as a scales file's runs store them.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/sweep_work.hpp"

namespace rb::sweep {

// Before the run id is taken: the dev text's content hash joins the request in `config` (a changed
// dev text is another run). `hashes` caches one hash per dev text spec.
void add_qroar_dev_hash(nlohmann::json& config, const std::string& cache_dir, std::map<std::string, std::string>& hashes);

// For every run not in `skip` whose configuration has a search request: its scales file, variant,
// bands, scales, dev objective (and diagnostics when asked for) join plan.configs[run]["qroar"].
// A search that fails puts its message under "error" instead; those runs fail when they start and
// the rest of the sweep goes on.
void resolve_qroar_searches(SweepPlan& plan, const std::vector<bool>& skip);

// The cache file a request resolves to (for messages and tests).
std::string qroar_search_cache_key(const nlohmann::json& config, const std::string& backend);

}  // namespace rb::sweep
