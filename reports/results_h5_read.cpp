// Reading a results file back: checks that it is ours and of a schema this build reads, then every
// run group in the order written.
#include <type_traits>

#include "common/json_input.hpp"
#include "reports/durable_file.hpp"
#include "reports/hdf5_probe.hpp"
#include "reports/hdf5_util.hpp"
#include "reports/passkey_table.hpp"
#include "reports/results_h5.hpp"
#include "reports/run_record_check.hpp"
#include "reports/run_record_fields.hpp"
#include "reports/summary_table.hpp"

namespace rb::reports {
namespace {

using nlohmann::json;

h5::Handle open_ours(const std::string& path) {
  if (!file_exists(path)) throw InputError(path, "", "no such file");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) throw InputError(path, "", "cannot be read");
  if (is_hdf5 == 0) throw InputError(path, "", "not an HDF5 file, so not a ropebatch results file");
  h5::Handle fapl = h5::file_access_plist(path);
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  if (id < 0) {
    std::string detail;
    try {
      h5::fail("H5Fopen", path);
    } catch (const h5::Hdf5Error& e) {
      detail = e.detail();
    }
    throw InputError(path, "", "damaged HDF5 file, cannot be opened (" + detail + ")");
  }
  h5::Handle file = h5::file_handle(id);
  if (!h5::has_attr(file, "format", path))
    throw InputError(path, "format", "missing: an HDF5 file but not a ropebatch results file");
  const std::string format = h5::read_string_attr(file, "format", path, "");
  if (format != kResultsFormat)
    throw InputError(path, "format", "is '" + format + "', not '" + kResultsFormat + "': not a ropebatch results file");
  const int64_t version = h5::read_int64_attr(file, "schema_version", path, "");
  if (version > kResultsSchemaVersion)
    throw InputError(path, "schema_version",
                     "is " + std::to_string(version) + "; this ropebatch reads schema_version " +
                         std::to_string(kResultsSchemaVersion) + " or older (use a newer ropebatch)");
  if (version < 1) throw InputError(path, "schema_version", "is " + std::to_string(version) + ", not a valid version");
  return file;
}

FileInfo read_file_info(hid_t file, const std::string& path) {
  FileInfo info;
  info.ropebatch_version = h5::read_string_attr(file, "ropebatch_version", path, "");
  info.git_commit = h5::read_string_attr(file, "git_commit", path, "");
  info.command_lines = h5::read_strings_attr(file, "command_lines", path, "");
  info.started_at = h5::read_string_attr(file, "started_at", path, "");
  GridSlice& g = info.slice;  // absent in files of older versions and merges of several grids
  if (h5::has_attr(file, "grid_id", path)) {
    g.grid = h5::read_string_attr(file, "grid", path, "");
    g.grid_id = h5::read_string_attr(file, "grid_id", path, "");
    g.grid_runs = h5::read_int64_attr(file, "grid_runs", path, "");
  }
  if (h5::has_attr(file, "shard_count", path)) {
    g.shard_index = h5::read_int64_attr(file, "shard_index", path, "");
    g.shard_count = h5::read_int64_attr(file, "shard_count", path, "");
    g.shard_runs = h5::read_int64_attr(file, "shard_runs", path, "");
    if (g.shard_count < 1 || g.shard_index < 0 || g.shard_index >= g.shard_count)
      throw InputError(path, "shard_index", "is " + std::to_string(g.shard_index) + " of shard_count " +
                                                std::to_string(g.shard_count) + ": not a valid shard");
  }
  return info;
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

std::vector<std::string> run_names(hid_t runs, const std::string& path) {
  h5::Handle gcpl = h5::plist_handle(HDF5_CHECK(H5Gget_create_plist(runs), path));
  unsigned order_flags = 0;
  HDF5_CHECK(H5Pget_link_creation_order(gcpl, &order_flags), path);
  const H5_index_t index = (order_flags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  std::vector<std::string> names;
  HDF5_CHECK(H5Literate(runs, index, H5_ITER_INC, nullptr, collect_name, &names), path);
  return names;
}

RunRecord read_run(hid_t runs, const std::string& run_id, const std::string& path) {
  const std::string where = "/runs/" + run_id;
  h5::Handle group = h5::group_handle(HDF5_CHECK(H5Gopen2(runs, run_id.c_str(), H5P_DEFAULT), path));
  RunRecord r;
  r.run_id = run_id;
  visit_scalar_fields([&](const char* name, auto member, FieldKind) {
    auto& value = r.*member;
    using T = std::remove_cvref_t<decltype(value)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if (!may_be_missing(name) || h5::has_attr(group, name, path)) value = h5::read_string_attr(group, name, path, where);
    } else if constexpr (std::is_same_v<T, std::optional<double>>) {
      if (h5::has_attr(group, name, path)) value = h5::read_double_attr(group, name, path, where);
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      if (h5::has_attr(group, name, path)) value = h5::read_int64_attr(group, name, path, where);
    } else if constexpr (std::is_same_v<T, double>) {
      value = h5::read_double_attr(group, name, path, where);
    } else {
      value = static_cast<T>(h5::read_int64_attr(group, name, path, where));
    }
  });
  const std::string config = h5::read_string_attr(group, "config", path, where);
  r.config = parse_json_input(config, path, where + "/config");
  visit_array_fields([&](const char* name, auto member, ArrayStorage storage) {
    auto& values = r.*member;
    using T = typename std::remove_cvref_t<decltype(values)>::value_type;
    if (h5::has_link(group, name, path))
      values = h5::read_1d_dataset<T>(group, name, path, where);
    else if (storage.always_written)
      throw InputError(path, where + "/" + name, "missing dataset");
  });
  if (h5::has_link(group, "passkey", path)) r.passkey = read_passkey_dataset(group, path, where);
  check_run_record(r, path, where);
  return r;
}

// Runs `body`, turning HDF5 failures inside a file already known to be ours into InputError.
template <class F>
auto as_input_error(const std::string& path, F&& body) {
  try {
    return body();
  } catch (const h5::Hdf5Error& e) {
    throw InputError(path, "", "damaged or unreadable results file (" + e.detail() + ")");
  }
}

ResultsFile read_results_direct(const std::string& path) {
  h5::QuietErrors quiet;
  return as_input_error(path, [&] {
    h5::Handle file = open_ours(path);
    ResultsFile out;
    out.info = read_file_info(file, path);
    if (!h5::has_link(file, "runs", path)) throw InputError(path, "/runs", "missing group");
    h5::Handle runs = h5::group_handle(HDF5_CHECK(H5Gopen2(file, "runs", H5P_DEFAULT), path));
    const std::vector<std::string> names = run_names(runs, path);
    out.records.reserve(names.size());
    for (const std::string& name : names) out.records.push_back(read_run(runs, name, path));
    return out;
  });
}

std::vector<SummaryRow> read_summary_direct(const std::string& path) {
  h5::QuietErrors quiet;
  return as_input_error(path, [&] {
    h5::Handle file = open_ours(path);
    if (!h5::has_link(file, "summary", path)) throw InputError(path, "/summary", "missing dataset");
    h5::Handle ds = h5::dataset_handle(HDF5_CHECK(H5Dopen2(file, "summary", H5P_DEFAULT), path));
    return read_summary_rows(ds, h5::dataset_length(ds, path, "/summary"), path);
  });
}

// Every way of reading a file, as the child process of the probe tries them.
void read_everything(const std::string& path) {
  bool refused = false;
  try {
    (void)read_results_direct(path);
  } catch (const InputError&) {
    refused = true;
  }
  try {
    (void)read_summary_direct(path);
  } catch (const InputError&) {
    refused = true;
  }
  if (refused) throw InputError(path, "", "refused");
}

}  // namespace

ResultsFile read_results_h5(const std::string& path) {
  h5::probe_in_child(path, [&] { read_everything(path); });
  return read_results_direct(path);
}

std::vector<SummaryRow> read_summary(const std::string& path) {
  h5::probe_in_child(path, [&] { read_everything(path); });
  return read_summary_direct(path);
}

}  // namespace rb::reports
