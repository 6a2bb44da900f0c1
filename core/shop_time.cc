#include "core/shop_time.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>

namespace floortrack {
namespace {

using std::chrono::days;
using std::chrono::minutes;

constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int DayIndex(std::string_view name) {
  if (name.size() != 3) return -1;
  std::string lower;
  for (char c : name)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (int i = 0; i < 7; ++i)
    if (lower == kDays[i]) return i;
  return -1;
}

// "08:00" .. "24:00" as minutes after midnight; -1 when malformed.
int ClockMinutes(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return -1;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

// Monday = 0 for the local day holding `local`.
int Weekday(LocalTime local) {
  const auto day = std::chrono::floor<days>(local);
  const unsigned iso = std::chrono::weekday(day).iso_encoding();  // Mon = 1 .. Sun = 7
  return static_cast<int>(iso) - 1;
}

}  // namespace

LocalTime ToLocal(TimePoint utc, const ShopTimeZone& zone) {
  return LocalTime{utc.time_since_epoch() + zone.OffsetAt(utc)};
}

TimePoint LocalDayStart(TimePoint utc, const ShopTimeZone& zone) {
  const LocalTime local = ToLocal(utc, zone);
  const auto midnight = std::chrono::floor<days>(local);
  // The offset at midnight may differ from the one at `utc` (a DST change
  // that day): take the offset in force just before `utc`'s local day began,
  // then correct once.
  TimePoint guess{midnight.time_since_epoch() - zone.OffsetAt(utc)};
  guess = TimePoint{midnight.time_since_epoch() - zone.OffsetAt(guess)};
  return guess;
}

TimePoint LocalMidnight(std::chrono::local_days date, const ShopTimeZone& zone) {
  // Local noon of `date` (within hours: the offset is taken at the instant
  // with the same numerals in UTC), whose day start LocalDayStart finds.
  const TimePoint same_numerals{date.time_since_epoch() + std::chrono::hours(12)};
  const TimePoint noon = same_numerals - zone.OffsetAt(same_numerals);
  return LocalDayStart(noon, zone);
}

TimePoint LocalDaysBack(TimePoint now, std::int64_t n, const ShopTimeZone& zone) {
  if (n < 1) n = 1;
  const auto today = std::chrono::floor<days>(ToLocal(now, zone));
  return LocalMidnight(today - days(n - 1), zone);
}

Result<WorkingHours> ParseWorkingHours(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    std::string message = "'";
    message.append(text);
    message.append("': ");
    message.append(why);
    message.append(" (expected e.g. \"Mon-Fri 08:00-18:00\")");
    return MakeError(ErrorKind::kInvalid, message);
  };
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return bad("days and hours must be separated by a space");
  std::string_view day_part = text.substr(0, space);
  std::string_view hour_part = text.substr(space + 1);
  while (!hour_part.empty() && hour_part.front() == ' ') hour_part.remove_prefix(1);
  WorkingHours hours;
  while (!day_part.empty()) {
    const std::size_t comma = day_part.find(',');
    std::string_view item = day_part.substr(0, comma);
    day_part = comma == std::string_view::npos ? std::string_view() : day_part.substr(comma + 1);
    const std::size_t dash = item.find('-');
    const int first = DayIndex(item.substr(0, dash));
    const int last = dash == std::string_view::npos ? first : DayIndex(item.substr(dash + 1));
    if (first < 0 || last < 0) return bad("unknown day '" + std::string(item) + "'");
    for (int d = first;; d = (d + 1) % 7) {
      hours.days[static_cast<std::size_t>(d)] = true;
      if (d == last) break;
    }
  }
  const std::size_t dash = hour_part.find('-');
  if (dash == std::string_view::npos) return bad("hours must be HH:MM-HH:MM");
  const int open = ClockMinutes(hour_part.substr(0, dash));
  const int close = ClockMinutes(hour_part.substr(dash + 1));
  if (open < 0 || close < 0) return bad("hours must be HH:MM-HH:MM, 00:00 to 24:00");
  if (close <= open) return bad("closing time must be after opening time");
  hours.open = minutes(open);
  hours.close = minutes(close);
  return hours;
}

std::string FormatWorkingHours(const WorkingHours& hours) {
  static constexpr const char* kNames[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  std::string out;
  for (std::size_t d = 0; d < 7; ++d) {
    if (!hours.days[d]) continue;
    if (!out.empty()) out += ",";
    out += kNames[d];
  }
  const auto clock = [](minutes m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m.count() / 60),
                  static_cast<int>(m.count() % 60));
    return std::string(buf);
  };
  return out + " " + clock(hours.open) + "-" + clock(hours.close);
}

bool IsWorkingTime(TimePoint utc, const WorkingHours& hours, const ShopTimeZone& zone) {
  const LocalTime local = ToLocal(utc, zone);
  if (!hours.days[static_cast<std::size_t>(Weekday(local))]) return false;
  const auto into_day = local - std::chrono::floor<days>(local);
  return into_day >= hours.open && into_day < hours.close;
}

Millis WorkingTimeBetween(TimePoint from, TimePoint to, const WorkingHours& hours,
                          const ShopTimeZone& zone) {
  Millis total{0};
  if (to <= from) return total;
  // Day by day in local time; each day's open and close converted back to
  // UTC with the offset in force then, so a DST day is measured right.
  TimePoint day = LocalDayStart(from, zone);
  for (int guard = 0; day < to && guard < 100000; ++guard) {
    const LocalTime local_day =
        std::chrono::floor<days>(ToLocal(day + std::chrono::hours(12), zone));
    const TimePoint next = LocalDayStart(day + std::chrono::hours(36), zone);
    if (hours.days[static_cast<std::size_t>(Weekday(local_day))]) {
      const LocalTime open_local = local_day + hours.open;
      const LocalTime close_local = local_day + hours.close;
      const auto to_utc = [&](LocalTime l) {
        const TimePoint guess{l.time_since_epoch() - zone.OffsetAt(day + std::chrono::hours(12))};
        return TimePoint{l.time_since_epoch() - zone.OffsetAt(guess)};
      };
      const TimePoint open = std::max(from, to_utc(open_local));
      const TimePoint close = std::min(to, to_utc(close_local));
      if (close > open) total += close - open;
    }
    day = next;
  }
  return total;
}

}  // namespace floortrack
