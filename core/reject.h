// Reject: a message that failed decoding or validation, kept for inspection.
// A plain value type.
#pragma once

#include <cstddef>
#include <string>

#include "core/time.h"

namespace floortrack {

struct Reject {
  std::string topic;
  TimePoint received_at{};
  std::string reason;            // one line, names the field and the problem
  std::string raw_payload;       // first Limits::max_reject_payload_bytes bytes
  std::size_t payload_size = 0;  // size of the whole payload as received
};

}  // namespace floortrack
