#pragma once
// Errors at the edges of ropebatch: every message names the file (or input), the field and the
// problem, so a user can fix the input without reading code.
#include <stdexcept>
#include <string>

namespace rb {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "FILE: FIELD: PROBLEM" (FIELD may be empty).
class InputError : public Error {
 public:
  InputError(const std::string& file, const std::string& field, const std::string& problem)
      : Error(format(file, field, problem)), file_(file), field_(field), problem_(problem) {}
  const std::string& file() const { return file_; }
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }

 private:
  static std::string format(const std::string& file, const std::string& field, const std::string& problem) {
    std::string m = file;
    if (!field.empty()) m += ": " + field;
    return m + ": " + problem;
  }
  std::string file_, field_, problem_;
};

}  // namespace rb
