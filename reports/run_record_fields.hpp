#pragma once
// One table of RunRecord's fields, shared by the HDF5 writer and reader, the journal's JSON and the
// merge comparison, so that a new field is added in one place (and in run_record.hpp).
//
// visit_scalar_fields(v) calls v(name, &RunRecord::member, kind) for every scalar field: std::string,
// double, std::optional<double> or std::optional<int64_t> (absent when nullopt), int64_t or int.
// visit_array_fields(v) calls v(name, &RunRecord::member, storage) for every numeric vector.
// run_id, config and passkey (a table) are handled by each user directly.
#include <string_view>

#include "reports/run_record.hpp"

namespace rb::reports {

enum class FieldKind {
  result,      // a measured outcome: duplicates of a run must agree on it bit for bit
  provenance,  // where, when and how fast it ran (or why it failed): may differ between duplicates
};

struct ArrayStorage {
  bool always_written;  // written even when empty (else only when non-empty)
  bool compressed;      // chunked and deflate-compressed in HDF5
};

// A string field added in schema_version 2, which files and journals written before it lack (the
// optional<> fields are absent when unset anyway): read as empty when missing.
inline bool may_be_missing(std::string_view name) { return name == std::string_view("rope_resolved"); }

template <class Visitor>
void visit_scalar_fields(Visitor&& v) {
  v("status", &RunRecord::status, FieldKind::result);
  v("error", &RunRecord::error, FieldKind::provenance);
  v("ppl", &RunRecord::ppl, FieldKind::result);
  v("ppl_stderr", &RunRecord::ppl_stderr, FieldKind::result);
  v("nll_sum", &RunRecord::nll_sum, FieldKind::result);
  v("predictions", &RunRecord::predictions, FieldKind::result);
  v("skipped_documents", &RunRecord::skipped_documents, FieldKind::result);
  v("ratio_to_baseline", &RunRecord::ratio_to_baseline, FieldKind::provenance);  // derived from other runs
  v("collapse_ratio", &RunRecord::collapse_ratio, FieldKind::provenance);        // derived from other runs
  v("paired_windows", &RunRecord::paired_windows, FieldKind::provenance);        // derived from other runs
  v("log_ratio_to_baseline", &RunRecord::log_ratio_to_baseline, FieldKind::provenance);
  v("log_ratio_stderr", &RunRecord::log_ratio_stderr, FieldKind::provenance);
  v("ratio_ci_low", &RunRecord::ratio_ci_low, FieldKind::provenance);
  v("ratio_ci_high", &RunRecord::ratio_ci_high, FieldKind::provenance);
  v("longppl", &RunRecord::longppl, FieldKind::result);
  v("longppl_key_tokens", &RunRecord::longppl_key_tokens, FieldKind::result);
  v("trained_length", &RunRecord::trained_length, FieldKind::provenance);  // absent in files before schema 2
  v("rope_resolved", &RunRecord::rope_resolved, FieldKind::provenance);    // likewise
  v("seconds", &RunRecord::seconds, FieldKind::provenance);
  v("tokens_per_second", &RunRecord::tokens_per_second, FieldKind::provenance);
  v("host", &RunRecord::host, FieldKind::provenance);
  v("rank", &RunRecord::rank, FieldKind::provenance);
  v("device", &RunRecord::device, FieldKind::provenance);
  v("started_at", &RunRecord::started_at, FieldKind::provenance);
  v("finished_at", &RunRecord::finished_at, FieldKind::provenance);
}

template <class Visitor>
void visit_array_fields(Visitor&& v) {
  v("window_nll", &RunRecord::window_nll, ArrayStorage{true, false});
  v("window_predictions", &RunRecord::window_predictions, ArrayStorage{true, false});
  v("token_nll", &RunRecord::token_nll, ArrayStorage{false, true});
  v("longppl_key_mask", &RunRecord::longppl_key_mask, ArrayStorage{false, true});
  v("position_bucket_start", &RunRecord::position_bucket_start, ArrayStorage{false, false});
  v("position_mean_nll", &RunRecord::position_mean_nll, ArrayStorage{false, false});
  v("position_predictions", &RunRecord::position_predictions, ArrayStorage{false, false});
}

}  // namespace rb::reports
