// MessageSink: the port floortrackd publishes through (MQTT in production:
// the KPIs and Home Assistant discovery, daemon/kpi_publisher.h).
//
// Publish() hands one message to the transport and returns at once: it never
// waits for the broker, never throws, and says only whether the message was
// handed over (false: not connected, stopping, or the transport refused it;
// the sink logs why, throttled). A message handed over may still be lost
// (the connection drops before the broker acknowledges it, or the broker
// drops it: an MQTT 3.1.1 broker cannot say that an ACL refused a publish).
// Publishers re-send their state after each connect, so nothing depends on
// one message arriving.
//
// The sink owns its connection; the owner owns the handler. Publish() may be
// called from any thread; OnConnect() is set before the source starts, and
// the connect handler runs on the owner's thread (the daemon's io_context)
// after every successful (re)connect.
#pragma once

#include <functional>
#include <string>

namespace floortrack {

class MessageSink {
 public:
  using ConnectHandler = std::function<void()>;

  virtual ~MessageSink() = default;
  // QoS 1. True once the transport took the message.
  virtual bool Publish(const std::string& topic, const std::string& payload,
                       bool retained) noexcept = 0;
  // Called after every successful (re)connect, so a publisher can re-send.
  virtual void OnConnect(ConnectHandler handler) = 0;
};

}  // namespace floortrack
