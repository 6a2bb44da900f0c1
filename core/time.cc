#include "core/time.h"

#include <cstdio>

namespace floortrack {
namespace {

// Reads exactly `n` digits at `pos`; advances pos. -1 when not digits.
int ReadDigits(std::string_view s, std::size_t& pos, int n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

std::optional<std::chrono::sys_days> ParseDate(std::string_view s, std::size_t& pos) {
  int y = ReadDigits(s, pos, 4);
  if (y < 0 || !Expect(s, pos, '-')) return std::nullopt;
  int m = ReadDigits(s, pos, 2);
  if (m < 0 || !Expect(s, pos, '-')) return std::nullopt;
  int d = ReadDigits(s, pos, 2);
  if (d < 0) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                  std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd};
}

// Fractional seconds after '.', truncated to milliseconds.
std::optional<int> ParseFraction(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || s[pos] != '.') return 0;
  ++pos;
  int ms = 0, digits = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (digits < 3) ms = ms * 10 + (s[pos] - '0');
    ++digits;
    ++pos;
  }
  if (digits == 0 || digits > 9) return std::nullopt;
  for (int i = digits; i < 3; ++i) ms *= 10;
  return ms;
}

// Offset east of UTC in minutes.
std::optional<int> ParseOffset(std::string_view s, std::size_t& pos) {
  if (pos >= s.size()) return std::nullopt;
  char c = s[pos++];
  if (c == 'Z' || c == 'z') return 0;
  if (c != '+' && c != '-') return std::nullopt;
  int h = ReadDigits(s, pos, 2);
  if (h < 0 || h > 23 || !Expect(s, pos, ':')) return std::nullopt;
  int m = ReadDigits(s, pos, 2);
  if (m < 0 || m > 59) return std::nullopt;
  int total = h * 60 + m;
  return c == '-' ? -total : total;
}

std::optional<TimePoint> ParseRelative(std::string_view text, TimePoint now) {
  if (text.size() < 2 || text.size() > 10) return std::nullopt;
  std::size_t pos = 0;
  int n = ReadDigits(text, pos, static_cast<int>(text.size() - 1));
  if (n < 0) return std::nullopt;
  using namespace std::chrono;
  switch (text.back()) {
    case 'm':
      return now - minutes(n);
    case 'h':
      return now - hours(n);
    case 'd':
      return now - days(n);
    case 'w':
      return now - weeks(n);
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<TimePoint> ParseRfc3339(std::string_view s) {
  std::size_t pos = 0;
  auto date = ParseDate(s, pos);
  if (!date || pos >= s.size()) return std::nullopt;
  char sep = s[pos++];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  int hh = ReadDigits(s, pos, 2);
  if (hh < 0 || hh > 23 || !Expect(s, pos, ':')) return std::nullopt;
  int mm = ReadDigits(s, pos, 2);
  if (mm < 0 || mm > 59 || !Expect(s, pos, ':')) return std::nullopt;
  int ss = ReadDigits(s, pos, 2);
  if (ss < 0 || ss > 59) return std::nullopt;
  auto ms = ParseFraction(s, pos);
  if (!ms) return std::nullopt;
  auto offset = ParseOffset(s, pos);
  if (!offset || pos != s.size()) return std::nullopt;
  using namespace std::chrono;
  TimePoint local =
      time_point_cast<Millis>(*date + hours(hh) + minutes(mm) + seconds(ss)) + Millis(*ms);
  return local - minutes(*offset);
}

std::string FormatRfc3339(TimePoint t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<Millis> tod{t - day};
  char buf[40];
  int ms = static_cast<int>(tod.subseconds().count());
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                  int(tod.minutes().count()), int(tod.seconds().count()), ms);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                  int(tod.minutes().count()), int(tod.seconds().count()));
  }
  return buf;
}

std::optional<TimePoint> ParseTimeArgument(std::string_view text, TimePoint now) {
  if (auto rel = ParseRelative(text, now)) return rel;
  if (text.size() == 10) {
    std::size_t pos = 0;
    if (auto date = ParseDate(text, pos)) return TimePoint{*date};
    return std::nullopt;
  }
  return ParseRfc3339(text);
}

}  // namespace floortrack
