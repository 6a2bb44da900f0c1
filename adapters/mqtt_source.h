// MqttSource: the MessageSource that subscribes to the shop's MQTT broker.
//
// Uses Paho MQTT C++ with a fixed client id, a persistent session (clean
// session off) and QoS 1, and no client-side persistence. Durability rests
// on one property of Paho C 1.3.x: a QoS 1 message handed straight to the
// message callback is acknowledged (PUBACK) only after the callback returns.
// So the callback is installed before connect(), the consumer queue is never
// used, and the handler makes each message durable before returning. A
// handler that returns false (could not make the message durable) ends the
// process without acknowledging, so the broker redelivers after a restart.
//
// Reconnects itself with capped exponential backoff (mqtt.reconnect_min_ms
// doubling to mqtt.reconnect_max_ms) and resubscribes on every connect.
// Authenticates with mqtt.username and the password read from
// mqtt.password_file, and uses TLS (server certificate always verified,
// host name too unless mqtt.verify_hostname is false) for ssl:// and
// mqtts:// URIs. A refused or failed connect is logged with its reason in
// plain words ("broker refused: not authorized ...", "TLS handshake failed:
// certificate verify failed") and retried with the same backoff.
//
// Timers run on the io_context the owner passes in; Paho callbacks run on
// Paho's thread and only post to that io_context. Start()/Stop()/SetTopics()
// must be called from the io_context's thread; Connected() from any thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/config_file.h"
#include "core/message_source.h"

namespace mqtt {
class async_client;
}

namespace floortrack {

class MqttSource final : public MessageSource {
 public:
  // Called on the io_context thread whenever the subscription state changes.
  using StateHandler = std::function<void(bool subscribed)>;

  MqttSource(asio::io_context& io, MqttConfig config);
  ~MqttSource() override;

  void OnStateChange(StateHandler handler) { state_handler_ = std::move(handler); }
  void Start(MessageHandler handler) override;
  // Disconnects (waits up to a few seconds) and cancels the reconnect timer.
  // No message handler runs after Stop() returns.
  void Stop() override;
  bool Connected() const override { return connected_.load(); }
  bool Subscribed() const { return subscribed_.load(); }
  // Replaces the subscriptions (unsubscribes what is no longer listed).
  void SetTopics(std::vector<std::string> topics);
  // Takes the credentials and TLS files of a reloaded config (username,
  // password, ca_file, cert_file, key_file, verify_hostname); they apply from
  // the next connect. The current connection is kept.
  void SetSecurity(const MqttConfig& next);

 private:
  class ConnectListener;
  class SubscribeListener;

  void Connect();
  void ScheduleReconnect();
  void Subscribe();
  void OnConnected();
  void OnConnectionLost(const std::string& cause);
  void OnConnectFailed(const std::string& why);
  void OnSubscribed(bool ok, const std::string& why);
  void Deliver(const std::string& topic, const std::string& payload);
  void Post(std::function<void()> fn);

  asio::io_context& io_;
  MqttConfig config_;
  std::unique_ptr<mqtt::async_client> client_;
  std::unique_ptr<ConnectListener> connect_listener_;
  std::unique_ptr<SubscribeListener> subscribe_listener_;
  asio::steady_timer reconnect_timer_;
  int backoff_ms_;
  MessageHandler handler_;
  StateHandler state_handler_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<bool> stopping_{false};
  std::mutex delivery_mutex_;  // held while the handler runs; Stop() takes it to drain
  bool stopped_ = false;       // guarded by delivery_mutex_
  std::shared_ptr<std::atomic<bool>> alive_;  // lets posted work see that *this is gone
};

}  // namespace floortrack
