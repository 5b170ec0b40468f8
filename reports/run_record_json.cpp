#include "reports/run_record_json.hpp"

#include <type_traits>

#include "common/error.hpp"
#include "reports/run_record_check.hpp"
#include "reports/run_record_fields.hpp"

namespace rb::reports {
namespace {

using nlohmann::json;

template <class T>
T get_field(const json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) throw InputError(where, key, "missing");
  try {
    return it->get<T>();
  } catch (const json::exception& e) {
    throw InputError(where, key, std::string("wrong type: ") + e.what());
  }
}

}  // namespace

json run_record_to_json(const RunRecord& r) {
  json j = json::object();
  j["run_id"] = r.run_id;
  j["config"] = r.config;
  visit_scalar_fields([&](const char* name, auto member, FieldKind) {
    using T = std::remove_cvref_t<decltype(r.*member)>;
    if constexpr (std::is_same_v<T, std::optional<double>> || std::is_same_v<T, std::optional<int64_t>>) {
      if (r.*member) j[name] = *(r.*member);
    } else {
      j[name] = r.*member;
    }
  });
  visit_array_fields([&](const char* name, auto member, ArrayStorage) { j[name] = r.*member; });
  json passkey = json::array();
  for (const PasskeyOutcome& p : r.passkey)
    passkey.push_back({{"length", p.length}, {"depth", p.depth}, {"trial", p.trial}, {"retrieved", p.retrieved}});
  j["passkey"] = std::move(passkey);
  return j;
}

RunRecord run_record_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where, "", "run record is not a JSON object");
  RunRecord r;
  r.run_id = get_field<std::string>(j, "run_id", where);
  const std::string at = where + ": run " + r.run_id;
  r.config = get_field<json>(j, "config", at);
  visit_scalar_fields([&](const char* name, auto member, FieldKind) {
    using T = std::remove_cvref_t<decltype(r.*member)>;
    if constexpr (std::is_same_v<T, std::optional<double>> || std::is_same_v<T, std::optional<int64_t>>) {
      if (j.contains(name)) r.*member = get_field<typename T::value_type>(j, name, at);
    } else if (!may_be_missing(name) || j.contains(name)) {
      r.*member = get_field<T>(j, name, at);
    }
  });
  visit_array_fields([&](const char* name, auto member, ArrayStorage storage) {
    using T = std::remove_cvref_t<decltype(r.*member)>;
    if (storage.always_written || j.contains(name)) r.*member = get_field<T>(j, name, at);  // optional ones may predate
  });
  for (const json& p : get_field<json>(j, "passkey", at)) {
    r.passkey.push_back({get_field<int64_t>(p, "length", at + ": passkey"), get_field<double>(p, "depth", at + ": passkey"),
                         get_field<int64_t>(p, "trial", at + ": passkey"), get_field<bool>(p, "retrieved", at + ": passkey")});
  }
  check_run_record(r, where, "run " + r.run_id);
  return r;
}

json file_info_to_json(const FileInfo& info) {
  json j = {{"ropebatch_version", info.ropebatch_version},
            {"git_commit", info.git_commit},
            {"command_lines", info.command_lines},
            {"started_at", info.started_at}};
  const GridSlice& g = info.slice;
  if (!g.grid_id.empty())
    j["slice"] = {{"grid", g.grid},           {"grid_id", g.grid_id},         {"grid_runs", g.grid_runs},
                  {"shard_index", g.shard_index}, {"shard_count", g.shard_count}, {"shard_runs", g.shard_runs}};
  return j;
}

FileInfo file_info_from_json(const json& j, const std::string& where) {
  FileInfo info;
  info.ropebatch_version = get_field<std::string>(j, "ropebatch_version", where);
  info.git_commit = get_field<std::string>(j, "git_commit", where);
  info.command_lines = get_field<std::vector<std::string>>(j, "command_lines", where);
  info.started_at = get_field<std::string>(j, "started_at", where);
  if (j.contains("slice")) {  // absent in journals of older versions and of unknown grids
    const json& g = j.at("slice");
    const std::string at = where + ": slice";
    info.slice = {get_field<std::string>(g, "grid", at),        get_field<std::string>(g, "grid_id", at),
                  get_field<int64_t>(g, "grid_runs", at),       get_field<int64_t>(g, "shard_index", at),
                  get_field<int64_t>(g, "shard_count", at),     get_field<int64_t>(g, "shard_runs", at)};
  }
  return info;
}

}  // namespace rb::reports
