#pragma once
// Parsing JSON (text or CBOR) that came from outside: every failure is an rb::InputError naming the
// file, the field being read when it failed ("rope_scaling.factor", "layers[3]") and the problem;
// nesting is bounded (nlohmann's CBOR reader, copy and dump recurse once per level, so 200,000
// nested arrays would overflow the stack) and every string must be valid UTF-8 (CBOR does not
// check it; dump() would throw later, far from the file).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace rb {

// Deeper than any configuration, tokenizer or results record ropebatch reads (tokenizer.json: ~6).
inline constexpr std::size_t kMaxJsonDepth = 128;

namespace json_input_detail {

using nlohmann::json;

// Builds the value with nlohmann's own DOM builder while tracking the path and the depth.
class CheckedSax {
 public:
  CheckedSax(json& root, const char* format) : dom_(root, true), format_(format) {}

  bool null() { return scalar(dom_.null()); }
  bool boolean(bool v) { return scalar(dom_.boolean(v)); }
  bool number_integer(json::number_integer_t v) { return scalar(dom_.number_integer(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(dom_.number_unsigned(v)); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return scalar(dom_.number_float(v, s)); }
  bool string(json::string_t& v) { return utf8(v) && scalar(dom_.string(v)); }
  bool binary(json::binary_t& v) { return scalar(dom_.binary(v)); }
  bool start_object(std::size_t n) { return open(false) && dom_.start_object(n); }
  bool start_array(std::size_t n) { return open(true) && dom_.start_array(n); }
  bool end_object() { return close() && dom_.end_object(); }
  bool end_array() { return close() && dom_.end_array(); }
  bool key(json::string_t& k) {
    if (!utf8(k)) return false;
    frames_.back().key = k;
    return dom_.key(k);
  }
  template <class Exception>
  bool parse_error(std::size_t byte, const std::string&, const Exception& e) {
    fail("invalid " + std::string(format_) + " at byte " + std::to_string(byte) + ": " + without_id(e.what()));
    return false;
  }
  void thrown(const json::exception& e) { fail("invalid " + std::string(format_) + ": " + without_id(e.what())); }

  const std::string& problem() const { return problem_; }
  const std::string& field() const { return field_; }

 private:
  struct Frame {
    bool array = false;
    std::size_t index = 0;  // arrays: the element being read
    std::string key;        // objects: the member being read
  };

  // "[json.exception.parse_error.101] parse error at line 1, ..." without the bracketed id.
  static std::string without_id(std::string what) {
    if (const auto end = what.find("] "); !what.empty() && what.front() == '[' && end != std::string::npos)
      what.erase(0, end + 2);
    return what;
  }
  std::string path() const {
    constexpr std::size_t kShown = 8;  // levels named in a message; deeper ones become "..."
    std::string p;
    for (const Frame& f : frames_) {
      if (&f - frames_.data() == kShown) return p + "...";
      if (f.array) p += "[" + std::to_string(f.index) + "]";
      else if (!f.key.empty()) p += (p.empty() ? "" : ".") + f.key;
    }
    return p;
  }
  void fail(const std::string& problem) {
    if (!problem_.empty()) return;
    problem_ = problem;
    field_ = path();
  }
  void value_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  bool scalar(bool ok) {
    value_done();
    return ok;
  }
  bool open(bool array) {
    if (frames_.size() >= kMaxJsonDepth) {
      fail("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      return false;
    }
    frames_.push_back({array, 0, {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    value_done();
    return true;
  }
  bool utf8(const std::string& s) {
    try {
      (void)json(s).dump();  // nlohmann's strict UTF-8 check
      return true;
    } catch (const json::exception&) {
      fail("a string is not valid UTF-8");
      return false;
    }
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const char* format_;
  std::vector<Frame> frames_;
  std::string problem_, field_;
};

inline json parse(std::string_view bytes, nlohmann::json::input_format_t format, const std::string& file,
                  const std::string& field) {
  json out;
  CheckedSax sax(out, format == json::input_format_t::cbor ? "CBOR" : "JSON");
  bool ok = false;
  try {
    ok = json::sax_parse(bytes.begin(), bytes.end(), &sax, format);
  } catch (const json::exception& e) {
    sax.thrown(e);  // by the DOM builder (e.g. a CBOR length beyond max_size)
  }
  if (!ok || !sax.problem().empty()) {
    std::string where = field;
    if (!sax.field().empty()) where += (where.empty() || sax.field().front() == '[' ? "" : ".") + sax.field();
    throw InputError(file, where, sax.problem().empty() ? "invalid JSON" : sax.problem());
  }
  return out;
}

}  // namespace json_input_detail

// `text` is JSON read from `file`; `field` (may be empty) names where in the file it sits, for
// JSON embedded in something else ("methods[2].rope", "/runs/ID/config").
inline nlohmann::json parse_json_input(std::string_view text, const std::string& file, const std::string& field = "") {
  return json_input_detail::parse(text, nlohmann::json::input_format_t::json, file, field);
}

// The same for CBOR bytes (RFC 8949, as nlohmann::json::to_cbor writes them).
inline nlohmann::json parse_cbor_input(std::string_view bytes, const std::string& file, const std::string& field = "") {
  return json_input_detail::parse(bytes, nlohmann::json::input_format_t::cbor, file, field);
}

}  // namespace rb
