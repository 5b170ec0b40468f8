#include "reports/merge.hpp"

#include <bit>
#include <cmath>
#include <filesystem>
#include <type_traits>
#include <unordered_map>

#include "common/error.hpp"
#include "reports/durable_file.hpp"
#include "reports/results_store.hpp"
#include "reports/run_record_fields.hpp"
#include "reports/shard_set.hpp"

namespace rb::reports {
namespace {

bool same_number(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}
bool same_number(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}
template <class T>
  requires std::is_integral_v<T>
bool same_number(T a, T b) {
  return a == b;
}

template <class T>
std::optional<std::string> first_array_difference(const char* name, const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size())
    return std::string(name) + " (" + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " values)";
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_number(a[i], b[i])) return std::string(name) + "[" + std::to_string(i) + "]";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> first_difference(const RunRecord& a, const RunRecord& b) {
  if (a.config != b.config) return std::string("config");
  std::optional<std::string> diff;
  visit_scalar_fields([&](const char* name, auto member, FieldKind kind) {
    if (diff || kind != FieldKind::result) return;
    const auto& x = a.*member;
    const auto& y = b.*member;
    using T = std::remove_cvref_t<decltype(x)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if (x != y) diff = name;
    } else if constexpr (std::is_same_v<T, std::optional<double>> || std::is_same_v<T, std::optional<int64_t>>) {
      if (x.has_value() != y.has_value() || (x && !same_number(*x, *y))) diff = name;
    } else {
      if (!same_number(x, y)) diff = name;
    }
  });
  if (diff) return diff;
  visit_array_fields([&](const char* name, auto member, ArrayStorage) {
    if (!diff) diff = first_array_difference(name, a.*member, b.*member);
  });
  if (diff) return diff;
  if (a.passkey.size() != b.passkey.size()) return std::string("passkey");
  for (std::size_t i = 0; i < a.passkey.size(); ++i) {
    const PasskeyOutcome& p = a.passkey[i];
    const PasskeyOutcome& q = b.passkey[i];
    if (p.length != q.length || !same_number(p.depth, q.depth) || p.trial != q.trial || p.retrieved != q.retrieved)
      return "passkey[" + std::to_string(i) + "]";
  }
  return std::nullopt;
}

MergeResult merge_results(const std::vector<std::string>& inputs, const FileInfo& merge_session) {
  if (inputs.empty()) throw InputError("merge", "inputs", "no input files");
  MergeResult out;
  std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> seen;  // run_id -> (record, input)
  FileInfo history;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    ResultsFile file = read_results_file(inputs[k]);
    for (std::string& w : file.warnings) out.warnings.push_back(std::move(w));
    history = continue_session(history, file.info);
    out.input_infos.push_back(file.info);
    out.input_runs.push_back(file.records.size());
    for (RunRecord& r : file.records) {
      const auto it = seen.find(r.run_id);
      if (it == seen.end()) {
        seen.emplace(r.run_id, std::make_pair(out.records.size(), k));
        out.records.push_back(std::move(r));
        continue;
      }
      const RunRecord& first = out.records[it->second.first];
      if (const auto diff = first_difference(first, r))
        throw InputError(inputs[k], "/runs/" + r.run_id + "/" + *diff,
                         "differs from the same run in " + inputs[it->second.second] + " (status '" + first.status +
                             "' there, '" + r.status + "' here); duplicates must agree bit for bit");
      ++out.duplicates;
    }
  }
  out.info = continue_session(history, merge_session);
  out.info.slice = merged_slice(out.input_infos);
  return out;
}

MergeResult merge_files(const std::string& output, const std::vector<std::string>& inputs,
                        const FileInfo& merge_session, const MergeOptions& options) {
  if (file_exists(output) || file_exists(journal_path_for(output)))
    throw InputError(output, "", "exists; choose another output file");
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (in == output || std::filesystem::equivalent(in, output, ec))
      throw InputError(output, "", "is also an input");
  }
  MergeResult merged = merge_results(inputs, merge_session);
  check_shard_set(inputs, merged.input_infos, merged.input_runs, options.allow_partial, merged.warnings);
  write_results(output, merged.records, merged.info);
  return merged;
}

}  // namespace rb::reports
