// Unit tests for ParseTimeArgument in a shop time zone (core/time.h) and the
// local-day helpers it rests on (LocalMidnight, LocalDaysBack in
// core/shop_time.h), with fixed offsets: expectations computed by hand.
// The same across a DST change, with a real IANA zone: shop_time_test.cc.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>

#include "core/shop_time.h"
#include "core/time.h"

namespace floortrack {
namespace {

using std::chrono::minutes;

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

// The parse as RFC 3339 text, or "(none)" (so CHECK prints something readable).
std::string Parsed(const char* text, TimePoint now, const ShopTimeZone& zone) {
  auto t = ParseTimeArgument(text, now, zone);
  return t ? FormatRfc3339(*t) : "(none)";
}

TEST_CASE("ParseTimeArgument at +02:00: days and dates are local, hours are durations") {
  const FixedOffsetZone east(minutes(120), "+02:00");
  // 00:30 UTC is 02:30 local on Tuesday 2026-11-24: already the 24th there.
  const TimePoint now = At("2026-11-24T00:30:00Z");
  CHECK(Parsed("1d", now, east) == "2026-11-23T22:00:00Z");  // local midnight of the 24th
  CHECK(Parsed("2d", now, east) == "2026-11-22T22:00:00Z");
  CHECK(Parsed("7d", now, east) == "2026-11-17T22:00:00Z");  // the 18th, local
  CHECK(Parsed("1w", now, east) == "2026-11-17T22:00:00Z");
  CHECK(Parsed("2w", now, east) == "2026-11-10T22:00:00Z");
  CHECK(Parsed("2026-11-24", now, east) == "2026-11-23T22:00:00Z");
  CHECK(Parsed("2026-01-01", now, east) == "2025-12-31T22:00:00Z");
  CHECK(Parsed("24h", now, east) == "2026-11-23T00:30:00Z");
  CHECK(Parsed("90m", now, east) == "2026-11-23T23:00:00Z");
  // RFC 3339 carries its own offset; the zone plays no part.
  CHECK(Parsed("2026-11-24T01:00:00Z", now, east) == "2026-11-24T01:00:00Z");
  CHECK(Parsed("0d", now, east) == "(none)");
  CHECK(Parsed("0w", now, east) == "(none)");
  // The same instant read in UTC: still the 24th, which began at 00:00 UTC.
  CHECK(Parsed("1d", now, FixedOffsetZone()) == "2026-11-24T00:00:00Z");
}

TEST_CASE("ParseTimeArgument at -05:00: late evening local is still yesterday in UTC terms") {
  const FixedOffsetZone west(minutes(-300), "-05:00");
  // 03:00 UTC on the 24th is 22:00 local on Monday the 23rd.
  const TimePoint now = At("2026-11-24T03:00:00Z");
  CHECK(Parsed("1d", now, west) == "2026-11-23T05:00:00Z");
  CHECK(Parsed("3d", now, west) == "2026-11-21T05:00:00Z");
  CHECK(Parsed("2026-11-23", now, west) == "2026-11-23T05:00:00Z");
}

TEST_CASE("ParseTimeArgument in a zone rejects what it rejects in UTC") {
  const FixedOffsetZone east(minutes(120), "+02:00");
  const TimePoint now = At("2026-11-24T00:30:00Z");
  for (const char* bad : {"", "d", "7", "7x", "-7d", "yesterday", "2026-02-30", "2026-11-2x",
                          "1234567890d", "2026-11-24T10:00:00"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseTimeArgument(bad, now, east));
  }
  // The largest counts do not overflow; they are far in the past.
  auto far = ParseTimeArgument("999999999w", now, east);
  REQUIRE(far);
  CHECK(*far < At("1970-01-01T00:00:00Z"));
}

TEST_CASE("LocalMidnight and LocalDaysBack at a fixed offset") {
  using std::chrono::days;
  using std::chrono::local_days;
  const FixedOffsetZone east(minutes(330), "+05:30");
  const local_days date{std::chrono::year{2026} / 11 / 24};
  CHECK(FormatRfc3339(LocalMidnight(date, east)) == "2026-11-23T18:30:00Z");
  // 20:00 UTC on the 23rd is 01:30 local on the 24th.
  const TimePoint now = At("2026-11-23T20:00:00Z");
  CHECK(LocalDaysBack(now, 1, east) == LocalMidnight(date, east));
  CHECK(LocalDaysBack(now, 30, east) == LocalMidnight(date - days(29), east));
  CHECK(LocalDaysBack(now, 0, east) == LocalMidnight(date, east));  // taken as 1
}

}  // namespace
}  // namespace floortrack
