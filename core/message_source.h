// MessageSource: the port events arrive through (MQTT in production).
//
// The source calls the handler once per message, from one thread at a time.
// Contract: the source acknowledges a message to its sender only after the
// handler has returned true. A handler that returns false has not made the
// message durable; the source must not acknowledge it (the MQTT adapter ends
// the process so the broker redelivers).
#pragma once

#include <functional>
#include <string_view>

namespace floortrack {

using MessageHandler = std::function<bool(std::string_view topic, std::string_view payload)>;

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  virtual void Start(MessageHandler handler) = 0;
  virtual void Stop() = 0;
  virtual bool Connected() const = 0;
};

}  // namespace floortrack
