#include "reports/report_markdown_table.hpp"

#include "common/error.hpp"

namespace rb::reports {

void MarkdownTable::column(std::string header, Align align) {
  headers_.push_back(std::move(header));
  aligns_.push_back(align);
}

void MarkdownTable::row(std::vector<std::string> cells) {
  if (cells.size() != headers_.size())
    throw Error("MarkdownTable: a row of " + std::to_string(cells.size()) + " cells in a table of " +
                std::to_string(headers_.size()) + " columns");
  rows_.push_back(std::move(cells));
}

std::string MarkdownTable::str() const {
  const auto line = [](const std::vector<std::string>& cells) {
    std::string text = "|";
    for (const std::string& c : cells) text += " " + c + " |";
    return text + "\n";
  };
  std::string text = line(headers_) + "|";
  for (const Align a : aligns_) text += a == Align::right ? "---:|" : "---|";
  text += "\n";
  for (const auto& r : rows_) text += line(r);
  return text;
}

}  // namespace rb::reports
