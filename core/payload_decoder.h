// PayloadDecoder: the port that turns one device message into EventFields.
//
// Decode() is pure: it never throws, never allocates without bound (inputs
// are bounded by Limits), and returns either fields or an Error of kind
// kInvalid whose message says what is wrong. One implementation per device
// payload format lives in adapters/. Implementations are thread-safe.
#pragma once

#include <string_view>

#include "core/event_fields.h"
#include "core/result.h"
#include "core/rules.h"

namespace floortrack {

class PayloadDecoder {
 public:
  virtual ~PayloadDecoder() = default;
  virtual Result<EventFields> Decode(std::string_view payload,
                                     const Limits& limits) const noexcept = 0;
};

// Derives the deduplication key of an event without event_id from its topic
// and payload bytes. Deterministic; provided by adapters (a SHA-256).
using KeyDeriver = std::string (*)(std::string_view topic, std::string_view payload);

}  // namespace floortrack
