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

// Parses a command-line time argument: RFC 3339 as above, a bare date
// "YYYY-MM-DD" (midnight UTC), or a relative span back from `now`:
// "<n>m", "<n>h", "<n>d", "<n>w" (minutes, hours, days, weeks).
std::optional<TimePoint> ParseTimeArgument(std::string_view text, TimePoint now);

}  // namespace floortrack
