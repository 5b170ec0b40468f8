#include "harness/sweep_qroar.hpp"

#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "common/error.hpp"
#include "datasets/sha256.hpp"
#include "datasets/source.hpp"
#include "harness/qroar_run.hpp"
#include "harness/quant_label.hpp"
#include "model_core/loaders/qroar_at_load.hpp"

namespace rb::sweep {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool has_search(const json& config) { return config.contains("qroar") && config["qroar"].contains("search"); }

cli::QroarRunRequest request_of(const RunSpec& spec, const json& search, const SweepPlan& plan) {
  cli::QroarRunRequest q;
  q.source = "grid [qroar] (search for " + spec.rope_label + ", " + spec.quant + ")";
  q.from_grid = true;
  q.model_path = spec.model;
  q.data = search.at("data").get<std::string>();
  q.rope = spec.rope;
  q.quant = quant_from_label(spec.quant, spec.model, "quant");
  q.length = search.at("length").get<int64_t>();
  q.short_length = search.at("short_length").get<int64_t>();
  q.dev_windows = search.at("dev_windows").get<int64_t>();
  q.search.bands = cli::parse_qroar_bands(search.at("bands").get<std::string>(), search.at("wavelength_margin").get<double>(),
                                          q.source, "qroar.bands");
  q.search.variant = parse_qroar_variant(search.at("variant").get<std::string>(), q.source, "qroar.variant");
  q.search.per_layer = search.at("scope").get<std::string>() == "layer";
  q.search.grid = search.at("grid").get<std::vector<double>>();
  q.search.short_tolerance = search.at("short_tolerance").get<double>();
  q.search.passes = search.at("passes").get<int>();
  q.diagnostics = search.at("diagnostics").get<std::string>();
  q.epsilon = search.at("epsilon").get<double>();
  q.tail_quantile = search.at("tail_quantile").get<double>();
  q.backend.kind = plan.backend;
  q.backend.threads = plan.threads;
  q.show_progress = true;
  return q;
}

}  // namespace

void add_qroar_dev_hash(json& config, const std::string& cache_dir, std::map<std::string, std::string>& hashes) {
  if (!has_search(config)) return;
  json& search = config["qroar"]["search"];
  const std::string data = search.at("data").get<std::string>();
  auto it = hashes.find(data);
  if (it == hashes.end()) {
    data::SourceOptions o;
    o.cache_dir = cache_dir;
    it = hashes.emplace(data, data::load_source(data, o).content_sha256).first;
  }
  search["data_sha256"] = it->second;
}

std::string qroar_search_cache_key(const json& config, const std::string& backend) {
  const json key = {{"format", "ropebatch-qroar-search/1"},
                    {"model_sha256", config.value("model_sha256", "")},
                    {"quant", config.at("quant")},
                    {"rope", config.at("rope")},
                    {"search", config.at("qroar").at("search")},
                    {"backend", backend}};
  data::Sha256 h;
  h.update(key.dump());
  return h.hex_digest();
}

void resolve_qroar_searches(SweepPlan& plan, const std::vector<bool>& skip) {
  std::map<std::string, json> resolved;  // cache key -> the fields every run of the request stores
  for (size_t run = 0; run < plan.runs.size(); ++run) {
    json& config = plan.configs[run];
    if (skip[run] || !has_search(config)) continue;
    const std::string key = qroar_search_cache_key(config, plan.backend);
    auto it = resolved.find(key);
    if (it == resolved.end()) {
      const fs::path file = fs::path(plan.cache_dir) / "qroar" / (key + ".json");
      json fields;
      try {
        std::optional<QroarScales> scales;
        std::error_code ec;
        if (fs::exists(file, ec)) {
          try {
            QroarScales cached = load_qroar_scales(file);
            if (cached.record.value("cache_key", "") == key) scales = std::move(cached);
          } catch (const InputError& e) {  // a damaged cache entry is searched again
            std::cerr << "ropebatch run: " << e.what() << "; searching again\n";
          }
        }
        if (!scales) {
          const RunSpec& spec = plan.runs[run];
          std::cerr << "ropebatch run: Q-ROAR search for " << spec.rope_label << " (" << spec.quant << ") on "
                    << config["qroar"]["search"]["data"].get<std::string>() << "\n";
          cli::QroarRunResult result = cli::run_qroar(request_of(spec, config["qroar"]["search"], plan));
          result.scales.record["cache_key"] = key;
          result.scales.record["request"] = config["qroar"]["search"];
          fs::create_directories(file.parent_path());
          const fs::path partial = file.string() + ".partial." + std::to_string(::getpid());
          save_qroar_scales(result.scales, partial);
          fs::rename(partial, file);  // atomic: a reader sees the whole file or none
          scales = std::move(result.scales);
        }
        fields = cli::qroar_run_fields(*scales, file.string());
      } catch (const std::exception& e) {
        std::cerr << "ropebatch run: error: Q-ROAR search for " << plan.runs[run].rope_label << " failed: " << e.what()
                  << " (its runs fail; the rest go on)\n";
        fields = {{"error", std::string("Q-ROAR search failed: ") + e.what()}};
      }
      it = resolved.emplace(key, std::move(fields)).first;
    }
    config["qroar"].update(it->second);
  }
}

}  // namespace rb::sweep
