#include "core/topic.h"

namespace floortrack {
namespace {

// Calls f(n, begin, end) for each {N} in the template (n >= 1), or reports
// a malformed placeholder by returning false.
template <class F>
bool ForEachPlaceholder(std::string_view t, F&& f) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '{') continue;
    std::size_t close = t.find('}', i);
    if (close == std::string_view::npos || close == i + 1 || close - i > 4) return false;
    std::size_t n = 0;
    for (char c : t.substr(i + 1, close - i - 1)) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (n == 0) return false;
    f(n, i, close + 1);
    i = close;
  }
  return true;
}

}  // namespace

std::vector<std::string_view> TopicLevels(std::string_view topic) {
  std::vector<std::string_view> levels;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = topic.find('/', start);
    levels.push_back(topic.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return levels;
    start = slash + 1;
  }
}

bool TopicMatches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#'))
    return false;
  const auto f = TopicLevels(filter);
  const auto t = TopicLevels(topic);
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return true;  // also matches the parent level ("a/#" matches "a")
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

bool IsTopicFilter(std::string_view filter) {
  if (filter.empty()) return false;
  const auto levels = TopicLevels(filter);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::string_view level = levels[i];
    if (level.find_first_of("+#") == std::string_view::npos) continue;
    if (level.size() != 1) return false;
    if (level == "#" && i + 1 != levels.size()) return false;
  }
  return true;
}

Status CheckStationTemplate(std::string_view station, const std::vector<std::string>& filters) {
  Status status = Ok{};
  bool well_formed = ForEachPlaceholder(station, [&](std::size_t n, std::size_t, std::size_t) {
    if (!status) return;
    for (const std::string& filter : filters) {
      const auto levels = TopicLevels(filter);
      std::size_t usable = 0;
      while (usable < levels.size() && levels[usable] != "#") ++usable;
      if (n > usable) {
        status = MakeError(ErrorKind::kInvalid,
                           "{" + std::to_string(n) + "} is past the levels of topic filter '" +
                               filter + "' (it has " + std::to_string(usable) +
                               " before any '#')");
        return;
      }
    }
  });
  if (!well_formed)
    return MakeError(ErrorKind::kInvalid, "placeholders must be {N} with N a level from 1");
  return status;
}

std::string ResolveStation(std::string_view station, std::string_view topic) {
  const auto levels = TopicLevels(topic);
  std::string out;
  std::size_t copied = 0;
  ForEachPlaceholder(station, [&](std::size_t n, std::size_t begin, std::size_t end) {
    out.append(station.substr(copied, begin - copied));
    if (n <= levels.size()) out.append(levels[n - 1]);
    copied = end;
  });
  out.append(station.substr(copied));
  return out;
}

}  // namespace floortrack
