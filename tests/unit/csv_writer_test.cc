// Unit tests for the RFC 4180 writer (tools/csv_writer.h).
#include "tools/csv_writer.cc"  // NOLINT(bugprone-suspicious-include)

#include <doctest/doctest.h>

#include <sstream>

namespace floortrack::cli {
namespace {

TEST_CASE("CsvField quotes only what must be quoted, doubling quotes") {
  CHECK(CsvField("plain") == "plain");
  CHECK(CsvField("") == "");
  CHECK(CsvField("a,b") == "\"a,b\"");
  CHECK(CsvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(CsvField("two\nlines") == "\"two\nlines\"");
  CHECK(CsvField("cr\r") == "\"cr\r\"");
  CHECK(CsvField(" spaced ") == " spaced ");  // spaces are data
}

TEST_CASE("CsvWriter ends every row with CRLF") {
  std::ostringstream out;
  CsvWriter csv(out);
  csv.Row({"order_id", "note"});
  csv.Row({"A1", "ring, \"gold\""});
  csv.Row({"", ""});
  CHECK(out.str() == "order_id,note\r\nA1,\"ring, \"\"gold\"\"\"\r\n,\r\n");
}

TEST_CASE("CsvNumber and CsvTime") {
  CHECK(CsvNumber(std::nullopt) == "");
  CHECK(CsvNumber(2.5) == "2.5");
  CHECK(CsvNumber(0.1) == "0.1");  // shortest text that reads back the same
  CHECK(CsvNumber(3.0) == "3");
  CHECK(CsvTime(std::nullopt) == "");
  CHECK(CsvTime(FromEpochMs(0)) == "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace floortrack::cli
