// Time values used across floortrack.
//
// All instants are UTC milliseconds since the Unix epoch (TimePoint). The
// parsing and formatting helpers here are pure functions: they never throw and
// report failure through std::optional. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace floortrack {

using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Millis>;

inline TimePoint FromEpochMs(std::int64_t ms) { return TimePoint{Millis{ms}}; }
inline std::int64_t ToEpochMs(TimePoint t) { return t.time_since_epoch().count(); }

// Parses an RFC 3339 timestamp with a mandatory offset ("Z" or "+hh:mm"),
// e.g. "2026-11-23T08:15:00.250+01:00". The date/time separator may be 'T',
// 't' or a space. A fraction of any length is truncated to milliseconds (the
// stored precision). A leap second, 23:59:60 UTC (in local time: whatever
// 23:59 UTC is at the given offset), is read as 23:59:59.999 UTC: the last
// representable instant of that UTC day, so the event keeps its date and
// sorts before midnight. On anything else the error (kInvalid) says what is
// wrong, e.g. "month 13 out of range", "missing time zone offset (Z or
// +hh:mm)", "second 61 out of range".
Result<TimePoint> ParseRfc3339OrError(std::string_view text);

// ParseRfc3339OrError without the reason.
std::optional<TimePoint> ParseRfc3339(std::string_view text);

// Formats as "YYYY-MM-DDThh:mm:ss.mmmZ" (milliseconds omitted when zero).
std::string FormatRfc3339(TimePoint t);

class ShopTimeZone;  // core/shop_time.h

// Parses a command-line or query time argument (--since, ?since=), days
// being the shop's local days in `zone` ([shop] timezone):
// - RFC 3339 as above (its own offset; `zone` plays no part);
// - a bare date "YYYY-MM-DD": local midnight of that date in `zone` (the
//   first local instant of the day, DST-correct);
// - "<n>d": the start (local midnight) of the local day n - 1 days before
//   the one holding `now`: "1d" is today so far, "7d" today and the 6 days
//   before, as "the last 7 days" reads on the shop's calendar (on a DST
//   day, a day is 23 or 25 h); "<n>w" is "<7n>d". n is 1 or more: "0d" and
//   "0w" are rejected (no day starts after today);
// - "<n>h", "<n>m": plain durations back from `now` (n hours, n minutes;
//   "0h" is now).
// n has at most 9 digits. Never throws; nullopt for anything else.
std::optional<TimePoint> ParseTimeArgument(std::string_view text, TimePoint now,
                                           const ShopTimeZone& zone);

// ParseTimeArgument in UTC (a shop whose [shop] timezone is "UTC").
std::optional<TimePoint> ParseTimeArgument(std::string_view text, TimePoint now);

}  // namespace floortrack
