// libFuzzer target: the timestamp parsers of core/time.h on arbitrary text.
//
// ParseRfc3339 is fed device timestamps; ParseTimeArgument command-line
// arguments. Invariants (trap on violation): a parsed RFC 3339 instant
// formats back to text that parses to the same instant (within years
// 0000-9999, which FormatRfc3339 can spell); ParseRfc3339OrError succeeds
// exactly when ParseRfc3339 does, with the same instant, and otherwise gives
// a reason; a relative span ("<n>[mhdw]") is never after `now`, in UTC and
// in a shop zone (+05:30 here: local days); parsing is deterministic.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/shop_time.h"
#include "core/time.h"

namespace {

using namespace floortrack;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

// 2026-10-01T00:00:00Z.
const TimePoint kNow = FromEpochMs(1790812800000);
const FixedOffsetZone kUtc;
const FixedOffsetZone kIndia(std::chrono::minutes(330), "+05:30");

bool Spellable(TimePoint t) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(t)};
  return ymd.year() >= year{0} && ymd.year() <= year{9999};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256) return 0;  // device strings are bounded by Limits::max_string_bytes
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto detailed = ParseRfc3339OrError(text);
  FUZZ_CHECK(detailed.ok() == ParseRfc3339(text).has_value());
  if (detailed)
    FUZZ_CHECK(ParseRfc3339(text) == detailed.value());
  else
    FUZZ_CHECK(!detailed.error().message.empty());

  if (auto t = ParseRfc3339(text)) {
    FUZZ_CHECK(ParseRfc3339(text) == t);
    if (Spellable(*t)) {
      const std::string formatted = FormatRfc3339(*t);
      FUZZ_CHECK(ParseRfc3339(formatted) == t);
      FUZZ_CHECK(FormatRfc3339(*ParseRfc3339(formatted)) == formatted);
    }
  }

  const ShopTimeZone* const zones[] = {&kUtc, &kIndia};
  for (const ShopTimeZone* zone : zones) {
    if (auto t = ParseTimeArgument(text, kNow, *zone)) {
      FUZZ_CHECK(ParseTimeArgument(text, kNow, *zone) == t);
      const char last = text.empty() ? '\0' : text.back();
      const bool relative = (last == 'm' || last == 'h' || last == 'd' || last == 'w');
      if (relative) FUZZ_CHECK(*t <= kNow);
      if (Spellable(*t)) (void)FormatRfc3339(*t);
    }
  }
  FUZZ_CHECK(ParseTimeArgument(text, kNow) == ParseTimeArgument(text, kNow, kUtc));
  return 0;
}
