#pragma once
// A GitHub-flavoured Markdown table: a header, an alignment per column, rows of cells already
// written as Markdown.
#include <string>
#include <vector>

namespace rb::reports {

class MarkdownTable {
 public:
  enum class Align { left, right };

  void column(std::string header, Align align = Align::left);
  void row(std::vector<std::string> cells);  // as many cells as columns
  std::string str() const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace rb::reports
