#include "core/time.h"

#include <cstdint>
#include <cstdio>

#include "core/shop_time.h"

namespace floortrack {
namespace {

// A left-to-right reader over one timestamp that keeps the first problem.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  void Skip() { ++pos_; }
  const std::string& error() const { return error_; }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  // What is at the current position, for messages: 'x', byte 0xNN or "the end".
  std::string Found() const {
    if (AtEnd()) return "the end of the text";
    const auto c = static_cast<unsigned char>(s_[pos_]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02X", static_cast<unsigned>(c));
    return buf;
  }

  // Exactly `n` decimal digits, e.g. "month must be 2 digits".
  bool Digits(int n, const char* what, int& out) {
    out = 0;
    for (int i = 0; i < n; ++i) {
      const std::size_t at = pos_ + static_cast<std::size_t>(i);
      if (at >= s_.size() || s_[at] < '0' || s_[at] > '9')
        return Fail(std::string(what) + " must be " + std::to_string(n) + " digits");
      out = out * 10 + (s_[at] - '0');
    }
    pos_ += static_cast<std::size_t>(n);
    return true;
  }

  bool Expect(char c, const char* where) {
    if (Peek() == c && !AtEnd()) {
      ++pos_;
      return true;
    }
    return Fail(std::string("expected '") + c + "' " + where + ", found " + Found());
  }

  bool InRange(int v, int lo, int hi, const char* what) {
    if (v >= lo && v <= hi) return true;
    return Fail(std::string(what) + " " + std::to_string(v) + " out of range");
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
};

Error Invalid(std::string message) { return MakeError(ErrorKind::kInvalid, std::move(message)); }

// "YYYY-MM-DD", checked against the calendar.
std::optional<std::chrono::sys_days> ReadDate(Reader& r) {
  using namespace std::chrono;
  int y = 0, m = 0, d = 0;
  if (!r.Digits(4, "year", y) || !r.Expect('-', "after the year") || !r.Digits(2, "month", m) ||
      !r.InRange(m, 1, 12, "month") || !r.Expect('-', "after the month") || !r.Digits(2, "day", d))
    return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    char ym[16];
    std::snprintf(ym, sizeof ym, "%04d-%02d", y, m);
    r.Fail("day " + std::to_string(d) + " out of range for " + ym);
    return std::nullopt;
  }
  return sys_days{ymd};
}

// Fractional seconds after '.', any number of digits, truncated to milliseconds.
bool ReadFraction(Reader& r, int& ms) {
  ms = 0;
  if (r.Peek() != '.' || r.AtEnd()) return true;
  r.Skip();
  int digits = 0;
  for (; !r.AtEnd() && r.Peek() >= '0' && r.Peek() <= '9'; r.Skip(), ++digits)
    if (digits < 3) ms = ms * 10 + (r.Peek() - '0');
  if (digits == 0) return r.Fail("fraction of a second after '.' has no digits");
  for (int i = digits; i < 3; ++i) ms *= 10;
  return true;
}

// "Z" or "+hh:mm" / "-hh:mm": minutes east of UTC.
bool ReadOffset(Reader& r, int& minutes_east) {
  if (r.AtEnd()) return r.Fail("missing time zone offset (Z or +hh:mm)");
  const char c = r.Peek();
  if (c == 'Z' || c == 'z') {
    r.Skip();
    minutes_east = 0;
    return true;
  }
  if (c != '+' && c != '-')
    return r.Fail("time zone offset must be Z, +hh:mm or -hh:mm, found " + r.Found());
  r.Skip();
  int h = 0, m = 0;
  if (!r.Digits(2, "offset hours", h) || !r.InRange(h, 0, 23, "offset hour")) return false;
  if (r.Peek() != ':' || r.AtEnd())
    return r.Fail("time zone offset must be +hh:mm or -hh:mm (with a colon), found " + r.Found());
  r.Skip();
  if (!r.Digits(2, "offset minutes", m) || !r.InRange(m, 0, 59, "offset minute")) return false;
  minutes_east = (c == '-' ? -1 : 1) * (h * 60 + m);
  return true;
}

// "<n>m", "<n>h": a duration back from `now`; "<n>d", "<n>w": the start of
// the last n (7n) local days in `zone` (n >= 1).
std::optional<TimePoint> ParseRelative(std::string_view text, TimePoint now,
                                       const ShopTimeZone& zone) {
  if (text.size() < 2 || text.size() > 10) return std::nullopt;
  Reader r(text);
  int n = 0;
  if (!r.Digits(static_cast<int>(text.size() - 1), "count", n)) return std::nullopt;
  using namespace std::chrono;
  switch (text.back()) {
    case 'm':
      return now - minutes(n);
    case 'h':
      return now - hours(n);
    case 'd':
      if (n == 0) return std::nullopt;
      return LocalDaysBack(now, n, zone);
    case 'w':
      if (n == 0) return std::nullopt;
      return LocalDaysBack(now, std::int64_t{7} * n, zone);
    default:
      return std::nullopt;
  }
}

}  // namespace

Result<TimePoint> ParseRfc3339OrError(std::string_view s) {
  using namespace std::chrono;
  if (s.empty()) return Invalid("empty");
  Reader r(s);
  const auto date = ReadDate(r);
  if (!date) return Invalid(r.error());
  if (r.AtEnd()) return Invalid("missing the time after the date (e.g. T08:15:00Z)");
  if (r.Peek() != 'T' && r.Peek() != 't' && r.Peek() != ' ')
    return Invalid("expected 'T' between date and time, found " + r.Found());
  r.Skip();
  int hh = 0, mm = 0, ss = 0, ms = 0, offset = 0;
  if (!r.Digits(2, "hour", hh) || !r.InRange(hh, 0, 23, "hour") ||
      !r.Expect(':', "after the hour") || !r.Digits(2, "minute", mm) ||
      !r.InRange(mm, 0, 59, "minute") || !r.Expect(':', "after the minute") ||
      !r.Digits(2, "second", ss) || !r.InRange(ss, 0, 60, "second") || !ReadFraction(r, ms) ||
      !ReadOffset(r, offset))
    return Invalid(r.error());
  if (!r.AtEnd()) return Invalid("unexpected " + r.Found() + " after the time zone offset");
  if (ss == 60) {
    // A leap second is 23:59:60 UTC; at an offset, the local hour and minute differ.
    const int utc_minute = ((hh * 60 + mm - offset) % 1440 + 1440) % 1440;
    if (utc_minute != 23 * 60 + 59)
      return Invalid("second 60 out of range (a leap second is only valid at 23:59 UTC)");
    ss = 59;
    ms = 999;
  }
  const TimePoint local =
      time_point_cast<Millis>(*date + hours(hh) + minutes(mm) + seconds(ss)) + Millis(ms);
  return local - minutes(offset);
}

std::optional<TimePoint> ParseRfc3339(std::string_view text) {
  auto parsed = ParseRfc3339OrError(text);
  if (!parsed) return std::nullopt;
  return parsed.value();
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

std::optional<TimePoint> ParseTimeArgument(std::string_view text, TimePoint now,
                                           const ShopTimeZone& zone) {
  if (auto rel = ParseRelative(text, now, zone)) return rel;
  if (text.size() == 10) {
    Reader r(text);
    if (auto date = ReadDate(r); date && r.AtEnd())
      return LocalMidnight(std::chrono::local_days{date->time_since_epoch()}, zone);
    return std::nullopt;
  }
  return ParseRfc3339(text);
}

std::optional<TimePoint> ParseTimeArgument(std::string_view text, TimePoint now) {
  return ParseTimeArgument(text, now, FixedOffsetZone());
}

}  // namespace floortrack
