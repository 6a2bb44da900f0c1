// CsvWriter: RFC 4180 rows onto an output stream.
//
// A field containing a comma, a double quote, CR or LF is enclosed in double
// quotes, with each double quote doubled; other fields are written as they
// are. Every row (the header too) ends with CRLF, as RFC 4180 specifies.
// Borrows the stream (it must outlive the writer); one thread at a time.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace floortrack::cli {

// `field` as RFC 4180 writes it (quoted only when it must be).
std::string CsvField(std::string_view field);

// Shortest text that reads back as the same double ("" for nullopt).
std::string CsvNumber(const std::optional<double>& v);
// RFC 3339 UTC ("" for nullopt).
std::string CsvTime(const std::optional<TimePoint>& t);

class CsvWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  void Row(const std::vector<std::string>& fields);
  bool ok() const { return static_cast<bool>(out_); }

 private:
  std::ostream& out_;
};

}  // namespace floortrack::cli
