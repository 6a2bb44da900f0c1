// What a printer's job or file name says: the orders it holds (every match of
// the source's orders_from_job) and its batch (the first match of
// batch_from_job). E.g. "PLATE-12_A10042_A10043.gcode" with "A[0-9]{4,}" and
// "PLATE-[0-9]+" names orders A10042, A10043 and batch PLATE-12.
// Compiled once per source; Parse() is const and thread-safe.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace floortrack {

struct JobRefs {
  std::vector<std::string> orders;  // in order of appearance, each once
  std::string batch;                // "" when none
};

class JobNameParser {
 public:
  // Patterns as validated by the config (ECMAScript regex); "" = none.
  JobNameParser(const std::string& orders_from_job, const std::string& batch_from_job);
  JobRefs Parse(std::string_view job) const;

 private:
  std::optional<std::regex> orders_;
  std::optional<std::regex> batch_;
};

}  // namespace floortrack
