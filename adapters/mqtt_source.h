// MqttSource: the MessageSource that subscribes to the shop's MQTT broker.
//
// Uses Paho MQTT C++ with a fixed client id, a persistent session (clean
// session off) and QoS 1, and no client-side persistence. Durability rests
// on one property of Paho C 1.3.x: a QoS 1 message handed straight to the
// message callback is acknowledged (PUBACK) as soon as the callback returns,
// whatever it did. So the callback is installed before connect(), the
// consumer queue is never used, and every message goes through a
// DeliveryGate: the callback returns only after the handler stored the
// message; otherwise (handler failed, or the source already stopped) the
// process ends without acknowledging and the broker redelivers after a
// restart.
//
// Stop() cannot leave a connection behind that would deliver (and so
// acknowledge) messages nobody stores: it waits for a connect under way to
// finish (Paho 1.3.12 cannot cancel one; it fails it after
// mqtt.connect_timeout_s), disconnects what is connected, and only then
// closes the gate. Messages delivered meanwhile are stored as usual.
//
// Reconnects itself with capped exponential backoff (mqtt.reconnect_min_ms
// doubling to mqtt.reconnect_max_ms). At every connect it unsubscribes the
// filters the SubscriptionRecord lists but mqtt.topics no longer does (the
// persistent session would keep them), then subscribes mqtt.topics and
// checks every granted QoS in the SUBACK: a refusal (0x80) or a grant below
// QoS 1 is logged, reported in Health(), and retried with the same backoff
// until the broker grants it (a filter granted QoS 0 stays subscribed at QoS
// 0 meanwhile, which delivers more than no subscription). Authenticates with
// mqtt.username and the password read from mqtt.password_file, and uses TLS
// (server certificate always verified, host name too unless
// mqtt.verify_hostname is false) for ssl:// and mqtts:// URIs. A refused or
// failed connect is logged with its reason in plain words ("broker refused:
// not authorized ...", "TLS handshake failed: certificate verify failed").
//
// Owns the Paho client; borrows the io_context and the SubscriptionRecord,
// which must outlive it. Timers run on the io_context; Paho callbacks run on
// Paho's thread and only post to the io_context, except the message callback
// (runs the handler) and the connection counter. Start(), Stop(),
// SetTopics(), SetSecurity() and OnStateChange() must be called from the
// io_context's thread; Health() from any thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config_file.h"
#include "core/delivery_gate.h"
#include "core/message_source.h"
#include "core/subscription_record.h"

namespace mqtt {
class async_client;
class message;
class token;
}  // namespace mqtt

namespace floortrack {

class MqttSource final : public MessageSource {
 public:
  MqttSource(asio::io_context& io, MqttConfig config, SubscriptionRecord& record);
  // Stops first if Stop() was not called.
  ~MqttSource() override;

  void OnStateChange(StateHandler handler) override { state_handler_ = std::move(handler); }
  void Start(MessageHandler handler) override;
  // Waits (bounded by mqtt.connect_timeout_s plus a few seconds) for a
  // connect under way, disconnects, then refuses any later delivery.
  void Stop() override;
  SourceHealth Health() const override;
  void SetTopics(std::vector<std::string> topics) override;
  // Takes the credentials and TLS files of a reloaded config (username,
  // password, ca_file, cert_file, key_file, verify_hostname); they apply from
  // the next connect. The current connection is kept.
  void SetSecurity(const MqttConfig& next);

 private:
  class ConnectListener;
  class RequestListener;

  void Connect();
  void ScheduleReconnect();
  void OnConnected();
  void OnConnectionLost(const std::string& cause);
  void OnConnectFailed(const std::string& why);
  // Unsubscribes stale filters and subscribes those not yet granted.
  void UpdateSubscriptions();
  void ScheduleResubscribe();
  void OnSubscribeDone(const mqtt::token* which);
  void OnUnsubscribeDone(const mqtt::token* which);
  void SaveRecord(const std::vector<std::string>& filters);
  void Deliver(const mqtt::message& msg);  // Paho's thread
  void Post(std::function<void()> fn) noexcept;
  void ChangeHealth(const std::function<void(SourceHealth&)>& change);

  asio::io_context& io_;
  MqttConfig config_;
  SubscriptionRecord& record_;
  DeliveryGate gate_;
  std::unique_ptr<mqtt::async_client> client_;
  std::unique_ptr<ConnectListener> connect_listener_;
  std::unique_ptr<RequestListener> subscribe_listener_;
  std::unique_ptr<RequestListener> unsubscribe_listener_;
  asio::steady_timer reconnect_timer_;
  asio::steady_timer resubscribe_timer_;
  int backoff_ms_;
  int subscribe_backoff_ms_;
  StateHandler state_handler_;

  // io_context thread only:
  std::shared_ptr<mqtt::token> connect_token_;      // the connect under way, if any
  std::shared_ptr<mqtt::token> subscribe_token_;    // the SUBSCRIBE awaiting its SUBACK
  std::vector<std::string> subscribe_requested_;    // the filters in it
  std::shared_ptr<mqtt::token> unsubscribe_token_;  // the UNSUBSCRIBE awaiting its UNSUBACK
  std::vector<std::string> unsubscribe_requested_;
  std::vector<std::string> granted_;  // configured filters granted on this connection
  bool connected_ = false;
  bool started_ = false;

  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> connections_{0};  // successful connects; Paho's thread increments
  mutable std::mutex health_mutex_;
  SourceHealth health_;                       // guarded by health_mutex_
  std::shared_ptr<std::atomic<bool>> alive_;  // lets posted work see that *this is gone
};

}  // namespace floortrack
