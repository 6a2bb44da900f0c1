// DeriveEventKey: the deduplication key of an event sent without event_id.
//
// "sha256:" + hex SHA-256 of topic, a NUL byte and the payload bytes, so a
// byte-identical redelivery on the same topic maps to the same key. Pure and
// thread-safe; matches core's KeyDeriver signature.
#pragma once

#include <string>
#include <string_view>

namespace floortrack {

std::string DeriveEventKey(std::string_view topic, std::string_view payload);

}  // namespace floortrack
