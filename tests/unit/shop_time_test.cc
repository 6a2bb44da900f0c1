// The shop's local time (core/shop_time.h) with fixed offsets, and the
// IANA zones of adapters/iana_time_zone.h against hand-checked DST dates.
#include "core/shop_time.h"

#include <doctest/doctest.h>

#include "adapters/config_file.h"
#include "adapters/iana_time_zone.h"
#include "adapters/rules_record.h"

namespace floortrack {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

TEST_CASE("ParseWorkingHours: ranges, lists, wrap past Sunday, 24:00; errors say what") {
  auto h = ParseWorkingHours("Mon-Fri 08:00-18:00");
  REQUIRE(h.ok());
  CHECK(h.value() == DefaultWorkingHours());
  auto list = ParseWorkingHours("mon,WED,Fri 09:30-13:00");
  REQUIRE(list.ok());
  CHECK(list.value().days == std::array<bool, 7>{true, false, true, false, true, false, false});
  CHECK(list.value().open == minutes(570));
  auto wrap = ParseWorkingHours("Sat-Mon 00:00-24:00");
  REQUIRE(wrap.ok());
  CHECK(wrap.value().days == std::array<bool, 7>{true, false, false, false, false, true, true});
  CHECK(wrap.value().close == minutes(1440));
  CHECK(FormatWorkingHours(list.value()) == "Mon,Wed,Fri 09:30-13:00");
  CHECK(ParseWorkingHours(FormatWorkingHours(wrap.value())).value() == wrap.value());
  CHECK(ParseWorkingHours("Mon-Fri").error().message.find("separated by a space") !=
        std::string::npos);
  CHECK(ParseWorkingHours("Mon-Fry 08:00-18:00").error().message.find("unknown day 'Mon-Fry'") !=
        std::string::npos);
  CHECK(ParseWorkingHours("Mon-Fri 18:00-08:00").error().message.find("after opening") !=
        std::string::npos);
  CHECK_FALSE(ParseWorkingHours("Mon-Fri 8:00-18:00").ok());
  CHECK_FALSE(ParseWorkingHours("Mon-Fri 08:00-24:30").ok());
}

TEST_CASE("IsWorkingTime and LocalDayStart in a fixed +01:00 zone") {
  const FixedOffsetZone berlin_winter(minutes(60), "+01:00");
  const WorkingHours h = DefaultWorkingHours();
  // 2026-11-23 is a Monday.
  CHECK(IsWorkingTime(At("2026-11-23T07:00:00Z"), h, berlin_winter));  // 08:00 local
  CHECK_FALSE(IsWorkingTime(At("2026-11-23T06:59:59Z"), h, berlin_winter));
  CHECK_FALSE(IsWorkingTime(At("2026-11-23T17:00:00Z"), h, berlin_winter));  // 18:00: closed
  CHECK_FALSE(IsWorkingTime(At("2026-11-28T10:00:00Z"), h, berlin_winter));  // Saturday
  // 00:30 local on Tuesday is 23:30 UTC on Monday: its day starts at 23:00 UTC Monday.
  CHECK(LocalDayStart(At("2026-11-23T23:30:00Z"), berlin_winter) == At("2026-11-23T23:00:00Z"));
}

TEST_CASE("WorkingTimeBetween counts only working hours, across a weekend") {
  const FixedOffsetZone utc;
  const WorkingHours h = DefaultWorkingHours();
  // Friday 17:00 to Monday 09:00 UTC: 1 h on Friday + 1 h on Monday.
  CHECK(WorkingTimeBetween(At("2026-11-27T17:00:00Z"), At("2026-11-30T09:00:00Z"), h, utc) ==
        hours(2));
  CHECK(WorkingTimeBetween(At("2026-11-23T10:00:00Z"), At("2026-11-23T10:00:00Z"), h, utc) ==
        Millis(0));
  CHECK(WorkingTimeBetween(At("2026-11-23T19:00:00Z"), At("2026-11-24T07:00:00Z"), h, utc) ==
        Millis(0));
  CHECK(WorkingTimeBetween(At("2026-11-23T00:00:00Z"), At("2026-11-30T00:00:00Z"), h, utc) ==
        hours(50));  // 5 days x 10 h
}

TEST_CASE("IanaTimeZone: Europe/Berlin is +1 in winter, +2 in summer; DST day measured right") {
  auto zone = IanaTimeZone::Load("Europe/Berlin");
  REQUIRE(zone.ok());
  const ShopTimeZone& berlin = *zone.value();
  CHECK(berlin.OffsetAt(At("2026-01-15T12:00:00Z")) == minutes(60));
  CHECK(berlin.OffsetAt(At("2026-07-15T12:00:00Z")) == minutes(120));
  // 2026-03-29 (Sunday): clocks go from 02:00 to 03:00; the day is 23 h long.
  CHECK(LocalDayStart(At("2026-03-29T12:00:00Z"), berlin) == At("2026-03-28T23:00:00Z"));
  CHECK(LocalDayStart(At("2026-03-30T12:00:00Z"), berlin) == At("2026-03-29T22:00:00Z"));
  const WorkingHours all_day = ParseWorkingHours("Mon-Sun 00:00-24:00").value();
  CHECK(WorkingTimeBetween(At("2026-03-28T23:00:00Z"), At("2026-03-29T22:00:00Z"), all_day,
                           berlin) == hours(23));
  // 08:00 local on Monday 2026-03-30 is 06:00 UTC.
  CHECK(IsWorkingTime(At("2026-03-30T06:00:00Z"), DefaultWorkingHours(), berlin));
  CHECK_FALSE(IsWorkingTime(At("2026-03-30T05:59:00Z"), DefaultWorkingHours(), berlin));
  auto bad = IanaTimeZone::Load("Europe/Atlantis");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("unknown time zone 'Europe/Atlantis'") != std::string::npos);
}

TEST_CASE("ParseTimeArgument in Europe/Berlin: day spans and dates across DST changes") {
  auto zone = IanaTimeZone::Load("Europe/Berlin");
  REQUIRE(zone.ok());
  const ShopTimeZone& berlin = *zone.value();
  const auto parsed = [&](const char* text, TimePoint now) {
    auto t = ParseTimeArgument(text, now, berlin);
    return t ? FormatRfc3339(*t) : std::string("(none)");
  };
  // Spring: 2026-03-29 has 23 h (02:00 -> 03:00). At 12:00 local on the 30th
  // (+02:00), "2d" began at local midnight of the 29th, still +01:00: 35 h
  // back, not 48.
  const TimePoint spring = At("2026-03-30T10:00:00Z");
  CHECK(parsed("1d", spring) == "2026-03-29T22:00:00Z");
  CHECK(parsed("2d", spring) == "2026-03-28T23:00:00Z");
  CHECK(parsed("1w", spring) == "2026-03-23T23:00:00Z");  // 2026-03-24 local
  CHECK(parsed("2026-03-29", spring) == "2026-03-28T23:00:00Z");
  CHECK(parsed("2026-03-30", spring) == "2026-03-29T22:00:00Z");
  CHECK(parsed("48h", spring) == "2026-03-28T10:00:00Z");  // hours stay hours
  // Autumn: 2026-10-25 has 25 h (03:00 -> 02:00).
  const TimePoint autumn = At("2026-10-26T10:00:00Z");  // 11:00 local, +01:00
  CHECK(parsed("1d", autumn) == "2026-10-25T23:00:00Z");
  CHECK(parsed("2d", autumn) == "2026-10-24T22:00:00Z");
  CHECK(parsed("7d", autumn) == "2026-10-19T22:00:00Z");  // 2026-10-20 local, +02:00
  CHECK(parsed("2026-10-25", autumn) == "2026-10-24T22:00:00Z");
  // LocalMidnight: each DST day's length from one midnight to the next.
  using std::chrono::local_days;
  const local_days march29{std::chrono::year{2026} / 3 / 29};
  const local_days october25{std::chrono::year{2026} / 10 / 25};
  CHECK(LocalMidnight(march29 + std::chrono::days(1), berlin) - LocalMidnight(march29, berlin) ==
        hours(23));
  CHECK(LocalMidnight(october25 + std::chrono::days(1), berlin) -
            LocalMidnight(october25, berlin) ==
        hours(25));
}

TEST_CASE(
    "LocalMidnight in America/Havana, whose DST starts at midnight: the first local instant") {
  // Cuba moves its clocks from 00:00 to 01:00 (2026-03-08): that day begins
  // at 01:00 local (-04:00) = 05:00 UTC, the instant 00:00 -05:00 would be.
  auto zone = IanaTimeZone::Load("America/Havana");
  REQUIRE(zone.ok());
  const ShopTimeZone& havana = *zone.value();
  const std::chrono::local_days march8{std::chrono::year{2026} / 3 / 8};
  CHECK(FormatRfc3339(LocalMidnight(march8, havana)) == "2026-03-08T05:00:00Z");
  CHECK(FormatRfc3339(LocalMidnight(march8 - std::chrono::days(1), havana)) ==
        "2026-03-07T05:00:00Z");
  CHECK(FormatRfc3339(LocalMidnight(march8 + std::chrono::days(1), havana)) ==
        "2026-03-09T04:00:00Z");
}

TEST_CASE("[shop]: timezone and working_hours, recorded for the CLI; errors name the key") {
  auto c = ParseConfig(
      "[shop]\ntimezone = \"America/New_York\"\nworking_hours = \"Tue-Sat 09:00-17:00\"\n",
      "t.toml");
  REQUIRE(c.ok());
  CHECK(c.value().rules.shop_timezone == "America/New_York");
  CHECK(c.value().rules.working_hours == ParseWorkingHours("Tue-Sat 09:00-17:00").value());
  auto back = DecodeRules(EncodeRules(c.value().rules));
  REQUIRE(back.ok());
  CHECK(back.value().shop_timezone == "America/New_York");
  CHECK(back.value().working_hours == c.value().rules.working_hours);
  auto bad =
      ParseConfig("[shop]\ntimezone = \"Mars/Olympus\"\nworking_hours = \"Mon-Fri\"\n", "t.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("key 'shop.timezone': unknown time zone") != std::string::npos);
  CHECK(bad.error().message.find("key 'shop.working_hours'") != std::string::npos);
  CHECK(ParseConfig("", "t.toml").value().rules.shop_timezone == "UTC");
}

}  // namespace
}  // namespace floortrack
