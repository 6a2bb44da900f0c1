// MessageSink: the port floortrackd publishes through (MQTT in production:
// its status, the KPIs and Home Assistant discovery; daemon/kpi_publisher.h).
//
// Publish() hands one message to the transport and returns at once: it never
// waits for the broker, never throws, and says only whether the message was
// handed over (false: not connected, stopping, or the transport refused it;
// the sink logs why, throttled). A message handed over may still be lost
// (the connection drops first, or the broker drops it: an MQTT 3.1.1 broker
// cannot tell a publisher that its ACL refused a publish). Publishers re-send
// their state after each connect, so nothing depends on one message.
//
// The sink owns its connection, which is not the MessageSource's: nothing a
// broker does about a publish can touch ingest. The owner owns the handler.
// Start(), Stop() and OnConnect() are called on the owner's thread (the
// daemon's io_context), OnConnect() before Start(); the connect handler runs
// on that thread after every successful (re)connect; Publish() from any
// thread.
#pragma once

#include <functional>
#include <string>

namespace floortrack {

class MessageSink {
 public:
  using ConnectHandler = std::function<void()>;

  virtual ~MessageSink() = default;
  // True once the transport took the message.
  virtual bool Publish(const std::string& topic, const std::string& payload,
                       bool retained) noexcept = 0;
  // Called after every successful (re)connect, so a publisher can re-send.
  virtual void OnConnect(ConnectHandler handler) = 0;
  virtual void Start() = 0;
  // Says goodbye if the transport has a way to (bounded wait), disconnects;
  // Publish() refuses from then on.
  virtual void Stop() = 0;
};

}  // namespace floortrack
