// The shop's local time: its time zone (a port) and its working hours.
//
// Instants are UTC everywhere in floortrack; what a person on the floor
// means by "today" or "working hours" is local time in the shop's zone
// (`[shop] timezone`, an IANA name). core cannot read a time-zone database
// (GCC 12's standard library has none), so it asks the ShopTimeZone port for
// the UTC offset at an instant; adapters/iana_time_zone.h implements it on
// Debian's libhowardhinnant-date, tests use FixedOffsetZone. Working hours
// (`[shop] working_hours`, e.g. "Mon-Fri 08:00-18:00") are a plain value.
// Pure functions; ShopTimeZone implementations must be thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"
#include "core/time.h"

namespace floortrack {

class ShopTimeZone {
 public:
  virtual ~ShopTimeZone() = default;
  // Local time minus UTC at the instant `utc` (e.g. +60 min in Berlin in
  // winter, +120 in summer).
  virtual std::chrono::minutes OffsetAt(TimePoint utc) const = 0;
  virtual std::string Name() const = 0;
};

// A zone with one offset all year ("UTC" by default): tests, and shops
// that configure none.
class FixedOffsetZone final : public ShopTimeZone {
 public:
  explicit FixedOffsetZone(std::chrono::minutes offset = std::chrono::minutes(0),
                           std::string name = "UTC")
      : offset_(offset), name_(std::move(name)) {}
  std::chrono::minutes OffsetAt(TimePoint) const override { return offset_; }
  std::string Name() const override { return name_; }

 private:
  std::chrono::minutes offset_;
  std::string name_;
};

// Local wall-clock time as a count since the epoch (not an instant).
using LocalTime = std::chrono::local_time<Millis>;

LocalTime ToLocal(TimePoint utc, const ShopTimeZone& zone);

// The instant local midnight began the local day that holds `utc`. (A day
// that starts with a DST jump still starts at its first local instant.)
TimePoint LocalDayStart(TimePoint utc, const ShopTimeZone& zone);

// The instant local midnight began the local date `date` in `zone` (its
// first local instant, should a DST jump skip midnight).
TimePoint LocalMidnight(std::chrono::local_days date, const ShopTimeZone& zone);

// The start of "the last `n` days" on the shop's calendar at `now`: local
// midnight of the local day n - 1 days before the one holding `now` (n = 1:
// today's start; n = 7: today and the 6 days before). n < 1 is taken as 1.
TimePoint LocalDaysBack(TimePoint now, std::int64_t n, const ShopTimeZone& zone);

// Working days and hours, local time. Days: 0 = Monday .. 6 = Sunday.
struct WorkingHours {
  std::array<bool, 7> days{};
  std::chrono::minutes open{0};
  std::chrono::minutes close{0};  // after open; at most 24:00
  friend bool operator==(const WorkingHours&, const WorkingHours&) = default;
};

// Mon-Fri 08:00-18:00.
inline WorkingHours DefaultWorkingHours() {
  return WorkingHours{{true, true, true, true, true, false, false},
                      std::chrono::minutes(8 * 60),
                      std::chrono::minutes(18 * 60)};
}

// The text form ParseWorkingHours reads: "Mon,Tue,Wed,Thu,Fri 08:00-18:00".
std::string FormatWorkingHours(const WorkingHours& hours);

// "Mon-Fri 08:00-18:00", "Mon-Sat 07:30-16:00", "Mon,Wed,Fri 09:00-13:00",
// "Mon-Sun 00:00-24:00". Day names are English three-letter, any case; a
// range wraps past Sunday ("Sat-Mon"). The error says what is wrong.
Result<WorkingHours> ParseWorkingHours(std::string_view text);

// Whether `utc` is inside the working hours, in `zone`'s local time.
bool IsWorkingTime(TimePoint utc, const WorkingHours& hours, const ShopTimeZone& zone);

// Working time between `from` and `to` (zero when to <= from), in `zone`'s
// local time: how long a station has really been silent.
Millis WorkingTimeBetween(TimePoint from, TimePoint to, const WorkingHours& hours,
                          const ShopTimeZone& zone);

}  // namespace floortrack
