// Unit tests for ParseRfc3339(OrError), FormatRfc3339 and ParseTimeArgument (core/time.h).
#include "core/time.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace floortrack {
namespace {

// 2026-11-23T08:15:00Z (`date -u -d 2026-11-23T08:15:00Z +%s` = 1795421700).
constexpr std::int64_t kBaseMs = 1'795'421'700'000;
constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 24 * kHourMs;

// Epoch ms of a parse, or -1 when it failed (so CHECK prints a number).
std::int64_t Ms(std::optional<TimePoint> t) { return t ? ToEpochMs(*t) : -1; }

TEST_CASE("ParseRfc3339 accepts a UTC 'Z' timestamp") {
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00Z")) == kBaseMs);
  CHECK(Ms(ParseRfc3339("2000-01-01T00:00:00Z")) == 946'684'800'000);
  CHECK(Ms(ParseRfc3339("1970-01-01T00:00:00Z")) == 0);
}

TEST_CASE("ParseRfc3339 applies a positive offset (+01:00 is one hour earlier in UTC)") {
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00+01:00")) == kBaseMs - kHourMs);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00+00:00")) == kBaseMs);
}

TEST_CASE("ParseRfc3339 applies a negative offset with minutes (-05:30)") {
  // 08:15 at -05:30 is 13:45Z.
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00-05:30")) == kBaseMs + 5 * kHourMs + 30 * kMinuteMs);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00-05:30")) == 1'795'441'500'000);
}

TEST_CASE("ParseRfc3339 offset crossing midnight changes the date") {
  // 2026-11-23T00:30:00+01:00 is 2026-11-22T23:30:00Z.
  CHECK(Ms(ParseRfc3339("2026-11-23T00:30:00+01:00")) == 1'795'392'000'000 - 30 * kMinuteMs);
}

TEST_CASE("ParseRfc3339 fractions of any length are truncated to milliseconds") {
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.2Z")) == kBaseMs + 200);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.25Z")) == kBaseMs + 250);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.250Z")) == kBaseMs + 250);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.2509Z")) == kBaseMs + 250);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.123456Z")) == kBaseMs + 123);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.999999999Z")) == kBaseMs + 999);  // not rounded up
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.007Z")) == kBaseMs + 7);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.250+01:00")) == kBaseMs - kHourMs + 250);
}

TEST_CASE("ParseRfc3339 fractions longer than 9 digits parse, truncated") {
  // Nanoseconds and beyond carry nothing the store keeps (milliseconds).
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.1234567890Z")) == kBaseMs + 123);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00." + std::string(40, '9') + "Z")) == kBaseMs + 999);
  CHECK(Ms(ParseRfc3339("2026-11-23T08:15:00.000000000001+01:00")) == kBaseMs - kHourMs);
}

TEST_CASE("ParseRfc3339 rejects a fraction with no digits") {
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00.Z"));
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00."));
}

// 2016-12-31T23:59:59Z = 1483228799 s (the last leap second so far followed it).
constexpr std::int64_t kLeapDayLastSecondMs = 1'483'228'799'000;

TEST_CASE("ParseRfc3339 leap second 23:59:60 UTC reads as 23:59:59.999 of the same day") {
  CHECK(Ms(ParseRfc3339("2016-12-31T23:59:60Z")) == kLeapDayLastSecondMs + 999);
  // Its fraction cannot be represented inside the day: still .999, not later.
  CHECK(Ms(ParseRfc3339("2016-12-31T23:59:60.5Z")) == kLeapDayLastSecondMs + 999);
  // The same leap second written at an offset: 00:59:60+01:00 and 18:59:60-05:00.
  CHECK(Ms(ParseRfc3339("2017-01-01T00:59:60+01:00")) == kLeapDayLastSecondMs + 999);
  CHECK(Ms(ParseRfc3339("2016-12-31T18:59:60-05:00")) == kLeapDayLastSecondMs + 999);
  // Before midnight, after every ordinary instant of the day.
  CHECK(Ms(ParseRfc3339("2016-12-31T23:59:60Z")) > Ms(ParseRfc3339("2016-12-31T23:59:59.998Z")));
  CHECK(Ms(ParseRfc3339("2016-12-31T23:59:60Z")) < Ms(ParseRfc3339("2017-01-01T00:00:00Z")));
  CHECK(FormatRfc3339(*ParseRfc3339("2016-12-31T23:59:60Z")) == "2016-12-31T23:59:59.999Z");
}

// The reason of a parse expected to fail ("" when it parsed).
std::string WhyNot(std::string_view text) {
  auto r = ParseRfc3339OrError(text);
  if (r) return "";
  CHECK(r.error().kind == ErrorKind::kInvalid);
  return r.error().message;
}

TEST_CASE("ParseRfc3339OrError says what is wrong") {
  CHECK(WhyNot("") == "empty");
  CHECK(WhyNot("2026-13-01T00:00:00Z") == "month 13 out of range");
  CHECK(WhyNot("2026-00-01T00:00:00Z") == "month 0 out of range");
  CHECK(WhyNot("2026-02-30T00:00:00Z") == "day 30 out of range for 2026-02");
  CHECK(WhyNot("2026-02-29T00:00:00Z") == "day 29 out of range for 2026-02");
  CHECK(WhyNot("2026-11-00T00:00:00Z") == "day 0 out of range for 2026-11");
  CHECK(WhyNot("2026-11-23T08:15:00") == "missing time zone offset (Z or +hh:mm)");
  CHECK(WhyNot("2026-11-23T08:15:00.250") == "missing time zone offset (Z or +hh:mm)");
  CHECK(WhyNot("2026-11-23") == "missing the time after the date (e.g. T08:15:00Z)");
  CHECK(WhyNot("2026-11-23T24:00:00Z") == "hour 24 out of range");
  CHECK(WhyNot("2026-11-23T08:60:00Z") == "minute 60 out of range");
  CHECK(WhyNot("2026-11-23T08:15:61Z") == "second 61 out of range");
  CHECK(WhyNot("2026-11-23T08:15:60Z") ==
        "second 60 out of range (a leap second is only valid at 23:59 UTC)");
  // 23:59:60 local at +01:00 is 22:59:60 UTC: not a leap second.
  CHECK(WhyNot("2016-12-31T23:59:60+01:00") ==
        "second 60 out of range (a leap second is only valid at 23:59 UTC)");
  CHECK(WhyNot("2026-11-23T08:15:00.Z") == "fraction of a second after '.' has no digits");
  CHECK(WhyNot("2026-11-23T08:15:00+24:00") == "offset hour 24 out of range");
  CHECK(WhyNot("2026-11-23T08:15:00+01:60") == "offset minute 60 out of range");
  CHECK(WhyNot("2026-11-23T08:15:00+0100") ==
        "time zone offset must be +hh:mm or -hh:mm (with a colon), found '0'");
  CHECK(WhyNot("2026-11-23T08:15:00 Z") ==
        "time zone offset must be Z, +hh:mm or -hh:mm, found ' '");
  CHECK(WhyNot("2026-11-23T08:15:00Zjunk") == "unexpected 'j' after the time zone offset");
  CHECK(WhyNot("2026-11-23T08:15:00+01:00:00") == "unexpected ':' after the time zone offset");
  CHECK(WhyNot("2026-11-23X08:15:00Z") == "expected 'T' between date and time, found 'X'");
  CHECK(WhyNot("2026-1-23T08:15:00Z") == "month must be 2 digits");
  CHECK(WhyNot("26-11-23T08:15:00Z") == "year must be 4 digits");
  CHECK(WhyNot("2026/11/23T08:15:00Z") == "expected '-' after the year, found '/'");
  CHECK(WhyNot("2026-11-23T08.15:00Z") == "expected ':' after the hour, found '.'");
  CHECK(WhyNot("2026-11-23T8:15:00Z") == "hour must be 2 digits");
  CHECK(WhyNot("2026-11-23T08:15:00\x01") ==
        "time zone offset must be Z, +hh:mm or -hh:mm, found byte 0x01");
}

TEST_CASE("ParseRfc3339OrError and ParseRfc3339 agree on success") {
  for (const char* text : {"2026-11-23T08:15:00Z", "2026-11-23T08:15:00.250-05:30",
                           "2016-12-31T23:59:60Z", "2026-11-23 08:15:00.1234567890123z"}) {
    CAPTURE(text);
    auto detailed = ParseRfc3339OrError(text);
    REQUIRE(detailed.ok());
    CHECK(Ms(ParseRfc3339(text)) == ToEpochMs(detailed.value()));
  }
}

TEST_CASE("ParseRfc3339 accepts lowercase 't' and 'z' and a space separator") {
  CHECK(Ms(ParseRfc3339("2026-11-23t08:15:00z")) == kBaseMs);
  CHECK(Ms(ParseRfc3339("2026-11-23 08:15:00Z")) == kBaseMs);
  CHECK(Ms(ParseRfc3339("2026-11-23 08:15:00.5+01:00")) == kBaseMs - kHourMs + 500);
}

TEST_CASE("ParseRfc3339 accepts Feb 29 in a leap year and 23:59:59") {
  CHECK(Ms(ParseRfc3339("2024-02-29T23:59:59Z")) == 1'709'251'199'000);
}

TEST_CASE("ParseRfc3339 rejects a timestamp without an offset") {
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00"));
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00.250"));
  CHECK_FALSE(ParseRfc3339("2026-11-23"));
}

TEST_CASE("ParseRfc3339 rejects invalid calendar dates") {
  CHECK_FALSE(ParseRfc3339("2026-13-01T00:00:00Z"));  // month 13
  CHECK_FALSE(ParseRfc3339("2026-00-01T00:00:00Z"));  // month 0
  CHECK_FALSE(ParseRfc3339("2026-02-30T00:00:00Z"));  // Feb 30
  CHECK_FALSE(ParseRfc3339("2026-02-29T00:00:00Z"));  // not a leap year
  CHECK_FALSE(ParseRfc3339("2026-11-00T00:00:00Z"));  // day 0
}

TEST_CASE("ParseRfc3339 rejects out-of-range time fields") {
  CHECK_FALSE(ParseRfc3339("2026-11-23T24:00:00Z"));  // hour 24
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:60:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:60Z"));  // second 60 only as a leap second
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:61Z"));
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00+24:00"));
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00+01:60"));
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00+0100"));  // offset without colon
}

TEST_CASE("ParseRfc3339 rejects garbage, trailing characters and empty input") {
  CHECK_FALSE(ParseRfc3339(""));
  CHECK_FALSE(ParseRfc3339("garbage"));
  CHECK_FALSE(ParseRfc3339("not-a-date-at-all"));
  CHECK_FALSE(ParseRfc3339("2026-11-23X08:15:00Z"));  // bad separator
  CHECK_FALSE(ParseRfc3339("2026-1-23T08:15:00Z"));   // one-digit month
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00Zjunk"));
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00Z "));
  CHECK_FALSE(ParseRfc3339("2026-11-23T08:15:00+01:00:00"));
  CHECK_FALSE(ParseRfc3339(" 2026-11-23T08:15:00Z"));
}

TEST_CASE("FormatRfc3339 omits milliseconds when they are zero") {
  CHECK(FormatRfc3339(FromEpochMs(kBaseMs)) == "2026-11-23T08:15:00Z");
  CHECK(FormatRfc3339(FromEpochMs(0)) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339(FromEpochMs(1'709'251'199'000)) == "2024-02-29T23:59:59Z");
}

TEST_CASE("FormatRfc3339 writes three millisecond digits when non-zero") {
  CHECK(FormatRfc3339(FromEpochMs(kBaseMs + 250)) == "2026-11-23T08:15:00.250Z");
  CHECK(FormatRfc3339(FromEpochMs(kBaseMs + 7)) == "2026-11-23T08:15:00.007Z");
  CHECK(FormatRfc3339(FromEpochMs(kBaseMs + 999)) == "2026-11-23T08:15:00.999Z");
}

TEST_CASE("FormatRfc3339 and ParseRfc3339 round trip") {
  for (std::int64_t ms : {std::int64_t{0}, kBaseMs, kBaseMs + 1, kBaseMs + 250, kBaseMs + 999,
                          std::int64_t{946'684'800'000}, std::int64_t{1'709'251'199'999}}) {
    CAPTURE(ms);
    CHECK(Ms(ParseRfc3339(FormatRfc3339(FromEpochMs(ms)))) == ms);
  }
  // Text with an offset parses and re-formats in UTC.
  auto parsed = ParseRfc3339("2026-11-23T08:15:00.250-05:30");
  REQUIRE(parsed);
  CHECK(FormatRfc3339(*parsed) == "2026-11-23T13:45:00.250Z");
}

TEST_CASE("ParseTimeArgument: hours and minutes count back from now; days are calendar days") {
  const TimePoint now = FromEpochMs(kBaseMs);  // 2026-11-23T08:15:00Z, a Monday
  CHECK(Ms(ParseTimeArgument("24h", now)) == kBaseMs - kDayMs);
  CHECK(Ms(ParseTimeArgument("30m", now)) == kBaseMs - 30 * kMinuteMs);
  CHECK(Ms(ParseTimeArgument("0h", now)) == kBaseMs);
  CHECK(Ms(ParseTimeArgument("0m", now)) == kBaseMs);
  // Without a zone, the shop's days are UTC days: 1d is today so far, 7d
  // today and the 6 days before, 2w the last 14 days.
  CHECK(Ms(ParseTimeArgument("1d", now)) == 1'795'392'000'000);  // 2026-11-23T00:00:00Z
  CHECK(Ms(ParseTimeArgument("7d", now)) == 1'794'873'600'000);  // 2026-11-17T00:00:00Z
  CHECK(Ms(ParseTimeArgument("1w", now)) == 1'794'873'600'000);
  CHECK(Ms(ParseTimeArgument("2w", now)) == 1'794'268'800'000);  // 2026-11-10T00:00:00Z
  CHECK(Ms(ParseTimeArgument("14d", now)) == 1'794'268'800'000);
  // At midnight itself, 1d is that instant.
  CHECK(Ms(ParseTimeArgument("1d", FromEpochMs(1'795'392'000'000))) == 1'795'392'000'000);
}

TEST_CASE("ParseTimeArgument: 0d and 0w are rejected (no day starts after today)") {
  const TimePoint now = FromEpochMs(kBaseMs);
  CHECK_FALSE(ParseTimeArgument("0d", now));
  CHECK_FALSE(ParseTimeArgument("0w", now));
  CHECK_FALSE(ParseTimeArgument("000d", now));
}

TEST_CASE("ParseTimeArgument bare date is midnight UTC") {
  const TimePoint now = FromEpochMs(kBaseMs);
  CHECK(Ms(ParseTimeArgument("2026-11-23", now)) == 1'795'392'000'000);
  CHECK(Ms(ParseTimeArgument("2000-01-01", now)) == 946'684'800'000);
  CHECK_FALSE(ParseTimeArgument("2026-02-30", now));
}

TEST_CASE("ParseTimeArgument accepts full RFC 3339") {
  const TimePoint now = FromEpochMs(0);
  CHECK(Ms(ParseTimeArgument("2026-11-23T08:15:00+01:00", now)) == kBaseMs - kHourMs);
}

TEST_CASE("ParseTimeArgument rejects bad units, missing numbers and empty input") {
  const TimePoint now = FromEpochMs(kBaseMs);
  CHECK_FALSE(ParseTimeArgument("7x", now));
  CHECK_FALSE(ParseTimeArgument("d", now));
  CHECK_FALSE(ParseTimeArgument("", now));
  CHECK_FALSE(ParseTimeArgument("-7d", now));
  CHECK_FALSE(ParseTimeArgument("7", now));
  CHECK_FALSE(ParseTimeArgument("yesterday", now));
}

}  // namespace
}  // namespace floortrack
