// Unit tests for the HTTP API's parameter parsers and token check
// (daemon/http_api.h): pure functions, no server.
#include <doctest/doctest.h>

#include <string>

#include "daemon/http_api.h"

namespace floortrack {
namespace {

const TimePoint kNow = FromEpochMs(1'790'000'000'000);  // 2026-09-21T14:13:20Z
const FixedOffsetZone kUtc;

TEST_CASE("ParseTimeParameter reads what the CLI reads, and a + decoded as a space") {
  auto empty = ParseTimeParameter("", kNow, kUtc);
  REQUIRE(empty.ok());
  CHECK_FALSE(empty.value().has_value());
  auto plus = ParseTimeParameter("2026-11-23T10:00:00+01:00", kNow, kUtc);
  auto space = ParseTimeParameter("2026-11-23T10:00:00 01:00", kNow, kUtc);
  auto utc = ParseTimeParameter("2026-11-23T09:00:00Z", kNow, kUtc);
  REQUIRE(plus.ok());
  REQUIRE(space.ok());
  REQUIRE(utc.ok());
  CHECK(*plus.value() == *utc.value());
  CHECK(*space.value() == *utc.value());
  auto spaced_date = ParseTimeParameter("2026-11-23 10:00:00 01:00", kNow, kUtc);
  REQUIRE(spaced_date.ok());
  CHECK(*spaced_date.value() == *utc.value());
  auto date = ParseTimeParameter("2026-11-23", kNow, kUtc);
  REQUIRE(date.ok());
  auto span = ParseTimeParameter("7d", kNow, kUtc);
  REQUIRE(span.ok());
  CHECK(*span.value() == *ParseRfc3339("2026-09-15T00:00:00Z"));  // kNow: 2026-09-21T14:13:20Z
  for (const char* bad : {"yesterday-ish", "2026-13-01", "7x", " ", "2026-11-23T10:00:00"}) {
    CAPTURE(bad);
    auto r = ParseTimeParameter(bad, kNow, kUtc);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::kInvalid);
    CHECK(r.error().message.find(bad) != std::string::npos);
  }
}

TEST_CASE("ParseTimeParameter: dates and day spans are the shop's local days") {
  const FixedOffsetZone east(std::chrono::minutes(120), "+02:00");
  auto date = ParseTimeParameter("2026-11-24", kNow, east);
  REQUIRE(date.ok());
  CHECK(*date.value() == *ParseRfc3339("2026-11-23T22:00:00Z"));
  // kNow is 16:13:20 local on 2026-09-21.
  auto span = ParseTimeParameter("7d", kNow, east);
  REQUIRE(span.ok());
  CHECK(*span.value() == *ParseRfc3339("2026-09-14T22:00:00Z"));
  auto hours = ParseTimeParameter("24h", kNow, east);
  REQUIRE(hours.ok());
  CHECK(*hours.value() == kNow - std::chrono::hours(24));
  auto zero = ParseTimeParameter("0d", kNow, east);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().kind == ErrorKind::kInvalid);
}

TEST_CASE("ParseCountParameter takes 0 to 1000000 and nothing else") {
  CHECK(ParseCountParameter("0").value() == 0);
  CHECK(ParseCountParameter("25").value() == 25);
  CHECK(ParseCountParameter("1000000").value() == 1'000'000);
  for (const char* bad :
       {"", "-1", "+1", "1000001", "1e3", "ten", "5 ", "99999999999999999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseCountParameter(bad).ok());
  }
}

TEST_CASE("ParseFlagParameter") {
  CHECK(ParseFlagParameter("").value() == false);
  CHECK(ParseFlagParameter("0").value() == false);
  CHECK(ParseFlagParameter("false").value() == false);
  CHECK(ParseFlagParameter("1").value() == true);
  CHECK(ParseFlagParameter("true").value() == true);
  CHECK_FALSE(ParseFlagParameter("yes").ok());
}

TEST_CASE("BearerTokenMatches only the exact token with the Bearer scheme") {
  CHECK(BearerTokenMatches("s3cret", "Bearer s3cret"));
  CHECK_FALSE(BearerTokenMatches("s3cret", "Bearer s3cre"));
  CHECK_FALSE(BearerTokenMatches("s3cret", "Bearer s3cretX"));
  CHECK_FALSE(BearerTokenMatches("s3cret", "Bearer S3cret"));
  CHECK_FALSE(BearerTokenMatches("s3cret", "Basic s3cret"));
  CHECK_FALSE(BearerTokenMatches("s3cret", "s3cret"));
  CHECK_FALSE(BearerTokenMatches("s3cret", ""));
  CHECK_FALSE(BearerTokenMatches("", "Bearer "));
}

TEST_CASE("SessionValue is HMAC-SHA256 of the label keyed with the token (Python's hmac agrees)") {
  CHECK(SessionValue("s3cret") ==
        "353838c5bf2da5365c2a6217d6d6a7c733f284e75b50172414306a68d83c0bed");
  CHECK(SessionValue("s3cret2") != SessionValue("s3cret"));
}

TEST_CASE("SessionCookieMatches the signed-in cookie among others, never the token itself") {
  const std::string v = SessionValue("s3cret");
  CHECK(SessionCookieMatches("s3cret", "floortrack_session=" + v));
  CHECK(SessionCookieMatches("s3cret", "theme=dark; floortrack_session=" + v + "; lang=en"));
  CHECK(SessionCookieMatches("s3cret", "floortrack_session=\"" + v + "\""));
  CHECK(SessionCookieMatches("s3cret", "floortrack_session=old; floortrack_session=" + v));
  CHECK_FALSE(SessionCookieMatches("s3cret", "floortrack_session=s3cret"));
  CHECK_FALSE(SessionCookieMatches("s3cret", "other=" + v));
  CHECK_FALSE(SessionCookieMatches("s3cret", "floortrack_session=" + v.substr(1)));
  CHECK_FALSE(SessionCookieMatches("other-token", "floortrack_session=" + v));
  CHECK_FALSE(SessionCookieMatches("", "floortrack_session=" + v));
  CHECK_FALSE(SessionCookieMatches("s3cret", ""));
  CHECK_FALSE(SessionCookieMatches("s3cret", ";;=;floortrack_session"));
}

TEST_CASE("SessionSetCookie: HttpOnly, SameSite=Strict, whole site; signing out expires it") {
  const std::string in = SessionSetCookie("s3cret");
  CHECK(in == "floortrack_session=" + SessionValue("s3cret") +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000");
  CHECK(SessionSetCookie("") ==
        "floortrack_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

}  // namespace
}  // namespace floortrack
