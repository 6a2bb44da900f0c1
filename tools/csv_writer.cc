#include "tools/csv_writer.h"

#include <charconv>
#include <cmath>

namespace floortrack::cli {

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string CsvNumber(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return "";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *v);
  if (ec != std::errc()) return "";
  return std::string(buf, end);
}

std::string CsvTime(const std::optional<TimePoint>& t) { return t ? FormatRfc3339(*t) : ""; }

void CsvWriter::Row(const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out_ << ',';
    out_ << CsvField(fields[i]);
  }
  out_ << "\r\n";
}

}  // namespace floortrack::cli
