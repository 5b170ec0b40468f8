#pragma once
// One table of RunRecord's fields, shared by the HDF5 writer and reader, the journal's JSON and the
// merge comparison, so that a new field is added in one place (and in run_record.hpp).
//
// visit_scalar_fields(v) calls v(name, &RunRecord::member, kind) for every scalar field: std::string,
// double, std::optional<double> (absent when nullopt), int64_t or int.
// visit_array_fields(v) calls v(name, &RunRecord::member, storage) for every numeric vector.
// run_id, config and passkey (a table) are handled by each user directly.
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
  v("longppl", &RunRecord::longppl, FieldKind::result);
  v("longppl_key_tokens", &RunRecord::longppl_key_tokens, FieldKind::result);
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
}

}  // namespace rb::reports
