// JsonPayloadDecoder: decodes the canonical JSON event (docs/events.md).
//
// A first SAX pass enforces the structural limits (nesting depth, number of
// fields) and reports syntax errors with their byte offset; only then is the
// payload parsed into a document and its fields type-checked. Unknown fields
// are ignored; a JSON null counts as absent. Never throws. Stateless and
// thread-safe.
#pragma once

#include "core/payload_decoder.h"

namespace floortrack {

class JsonPayloadDecoder final : public PayloadDecoder {
 public:
  Result<EventFields> Decode(std::string_view payload,
                             const Limits& limits) const noexcept override;
};

}  // namespace floortrack
