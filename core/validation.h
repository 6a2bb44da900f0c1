// Validation: the canonical event's rules, applied to decoded fields.
//
// Validate() turns EventFields into a StageEvent or a one-line reason naming
// the field and the problem. It assigns the stage time and prices material at
// the current Rules. Stage time: the device ts, unless it is more than
// Rules::max_future_skew ahead of receipt (kReceivedFuture), before
// Rules::earliest_ts (kReceivedBeforeEarliest) or more than
// Rules::max_past_skew behind receipt (kReceivedTooOld), checked in that
// order; then the receive time, with device_ts kept. A ts before 2000-01-01
// is rejected. Pure; never throws.
#pragma once

#include <string>
#include <string_view>

#include "core/event_fields.h"
#include "core/result.h"
#include "core/rules.h"
#include "core/stage_event.h"

namespace floortrack {

struct MessageContext {
  std::string_view topic;
  std::string_view payload;
  TimePoint received_at{};
};

// event_key is left empty when the payload has no event_id; Ingest derives it.
Result<StageEvent> Validate(EventFields fields, const MessageContext& message, const Rules& rules);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool IsValidUtf8(std::string_view s);

// True when `id` is 1..max chars of [A-Za-z0-9._:-].
bool IsValidOrderId(std::string_view id, std::size_t max);

}  // namespace floortrack
