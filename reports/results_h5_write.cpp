// Writing a results file: file attributes, /runs/<run_id> groups, /summary.
#include <cmath>
#include <limits>
#include <type_traits>
#include <unordered_set>

#include "reports/hdf5_util.hpp"
#include "reports/passkey_table.hpp"
#include "reports/results_h5.hpp"
#include "reports/derived_metrics.hpp"
#include "reports/run_record_fields.hpp"
#include "reports/summary_table.hpp"

namespace rb::reports {
namespace {

using nlohmann::json;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

void write_file_attributes(hid_t file_id, const FileInfo& info, std::size_t run_count, const std::string& file) {
  h5::write_string_attr(file_id, "format", kResultsFormat, file);
  h5::write_int64_attr(file_id, "schema_version", kResultsSchemaVersion, file);
  h5::write_string_attr(file_id, "ropebatch_version", info.ropebatch_version, file);
  h5::write_string_attr(file_id, "git_commit", info.git_commit, file);
  h5::write_strings_attr(file_id, "command_lines", info.command_lines, file);
  h5::write_string_attr(file_id, "started_at", info.started_at, file);
  h5::write_string_attr(file_id, "written_at", utc_now_iso8601(), file);
  h5::write_int64_attr(file_id, "run_count", static_cast<int64_t>(run_count), file);
  const GridSlice& g = info.slice;
  if (g.grid_id.empty()) return;
  h5::write_string_attr(file_id, "grid", g.grid, file);
  h5::write_string_attr(file_id, "grid_id", g.grid_id, file);
  h5::write_int64_attr(file_id, "grid_runs", g.grid_runs, file);
  if (!g.sharded()) return;
  h5::write_int64_attr(file_id, "shard_index", g.shard_index, file);
  h5::write_int64_attr(file_id, "shard_count", g.shard_count, file);
  h5::write_int64_attr(file_id, "shard_runs", g.shard_runs, file);
}

// Typed copies of the configuration's scalar fields, for readers that do not parse JSON.
void write_config_attributes(hid_t group, const json& config, const std::string& file) {
  if (!config.is_object()) return;
  for (const char* key : {"model", "dataset", "family", "rope_label", "quant"}) {
    const auto it = config.find(key);
    if (it != config.end() && it->is_string()) h5::write_string_attr(group, key, it->get<std::string>(), file);
  }
  if (const auto it = config.find("length"); it != config.end() && it->is_number_integer())
    h5::write_int64_attr(group, "length", it->get<int64_t>(), file);
  if (const auto it = config.find("baseline"); it != config.end() && it->is_boolean())
    h5::write_uint8_attr(group, "baseline", it->get<bool>() ? 1 : 0, file);
}

void write_run(hid_t runs, hid_t run_gcpl, const RunRecord& r, const std::string& file) {
  h5::Handle group =
      h5::group_handle(HDF5_CHECK(H5Gcreate2(runs, r.run_id.c_str(), H5P_DEFAULT, run_gcpl, H5P_DEFAULT), file));
  visit_scalar_fields([&](const char* name, auto member, FieldKind) {
    const auto& value = r.*member;
    using T = std::remove_cvref_t<decltype(value)>;
    if constexpr (std::is_same_v<T, std::string>) {
      h5::write_string_attr(group, name, value, file);
    } else if constexpr (std::is_same_v<T, std::optional<double>>) {
      if (value) h5::write_double_attr(group, name, *value, file);
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      if (value) h5::write_int64_attr(group, name, *value, file);
    } else if constexpr (std::is_same_v<T, double>) {
      h5::write_double_attr(group, name, value, file);
    } else if constexpr (std::is_same_v<T, int64_t>) {
      h5::write_int64_attr(group, name, value, file);
    } else {
      static_assert(std::is_same_v<T, int>);
      h5::write_int32_attr(group, name, value, file);
    }
  });
  h5::write_string_attr(group, "config", r.config.dump(), file);
  write_config_attributes(group, r.config, file);
  visit_array_fields([&](const char* name, auto member, ArrayStorage storage) {
    const auto& values = r.*member;
    using T = typename std::remove_cvref_t<decltype(values)>::value_type;
    if (values.empty() && !storage.always_written) return;
    h5::write_1d_dataset(group, name, h5::native_type<T>(), values.data(), values.size(), storage.compressed, file);
  });
  if (!r.passkey.empty()) write_passkey_dataset(group, r.passkey, file);
}

std::string config_string(const json& config, const char* key) {
  const auto it = config.is_object() ? config.find(key) : config.end();
  return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void write_summary(hid_t file_id, const std::vector<RunRecord>& records, const std::string& file) {
  std::vector<std::string> families, labels;
  families.reserve(records.size());
  labels.reserve(records.size());
  std::vector<SummaryRowRaw> rows;
  rows.reserve(records.size());
  for (const RunRecord& r : records) {
    families.push_back(config_string(r.config, "family"));
    labels.push_back(config_string(r.config, "rope_label"));
    const auto length = r.config.is_object() ? r.config.find("length") : r.config.end();
    rows.push_back({r.run_id.c_str(), families.back().c_str(), labels.back().c_str(),
                    length != r.config.end() && length->is_number_integer() ? length->get<int64_t>() : 0,
                    r.status.c_str(), r.ppl.value_or(kMissing), r.ppl_stderr.value_or(kMissing), r.predictions,
                    r.seconds});
  }
  h5::Handle mem = summary_row_type(false, file);
  h5::Handle stored = summary_row_type(true, file);
  const hsize_t dims[1] = {rows.size()};
  h5::Handle space = h5::dataspace_handle(HDF5_CHECK(H5Screate_simple(1, dims, nullptr), file));
  h5::Handle ds = h5::dataset_handle(
      HDF5_CHECK(H5Dcreate2(file_id, "summary", stored, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file));
  if (!rows.empty()) HDF5_CHECK(H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), file);
}

void check_run_ids(const std::vector<RunRecord>& records, const std::string& file) {
  std::unordered_set<std::string> seen;
  for (const RunRecord& r : records) {
    if (r.run_id.empty() || r.run_id == "." || r.run_id.find('/') != std::string::npos)
      throw Error(file + ": run_id '" + r.run_id + "' cannot name an HDF5 group");
    if (!seen.insert(r.run_id).second) throw Error(file + ": run_id " + r.run_id + " appears twice");
  }
}

}  // namespace

void write_results_h5(const std::string& path, const std::vector<RunRecord>& stored, const FileInfo& info) {
  std::vector<RunRecord> records = stored;
  annotate_derived_metrics(records);
  check_run_ids(records, path);
  h5::QuietErrors quiet;
  h5::Handle fapl = h5::file_access_plist(path);
  h5::Handle file = h5::file_handle(HDF5_CHECK(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), path));
  write_file_attributes(file, info, records.size(), path);

  h5::Handle runs_gcpl = h5::plist_handle(HDF5_CHECK(H5Pcreate(H5P_GROUP_CREATE), path));
  HDF5_CHECK(H5Pset_link_creation_order(runs_gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), path);
  h5::Handle runs = h5::group_handle(HDF5_CHECK(H5Gcreate2(file, "runs", H5P_DEFAULT, runs_gcpl, H5P_DEFAULT), path));
  // Keep a run's ~30 attributes in its object header, in the order written.
  h5::Handle run_gcpl = h5::plist_handle(HDF5_CHECK(H5Pcreate(H5P_GROUP_CREATE), path));
  HDF5_CHECK(H5Pset_attr_phase_change(run_gcpl, 64, 48), path);
  HDF5_CHECK(H5Pset_attr_creation_order(run_gcpl, H5P_CRT_ORDER_TRACKED), path);
  for (const RunRecord& r : records) write_run(runs, run_gcpl, r, path);
  runs.reset();
  write_summary(file, records, path);
  file.close_checked("H5Fclose", path);
}

}  // namespace rb::reports
