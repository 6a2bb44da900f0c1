// MqttSink: the MessageSink that publishes floortrackd's status and KPIs on
// the shop's MQTT broker, over a connection of its own.
//
// Why not the MqttSource's connection: mosquitto 2.0 (Debian 12 ships
// 2.0.11) disconnects an MQTT 3.1.1 client that publishes to a topic its ACL
// denies, so a KPI topic left out of the ACL would cut ingest off in a
// reconnect loop, and a denied last-will topic refuses the connect. Here it
// only costs this connection; the ingest connection never publishes.
//
// Client id "<mqtt.client_id>-publish", clean session, no persistence, the
// broker, credentials and TLS of [mqtt]. Its state goes, retained, to
// floortrack/status/<mqtt.client_id>: the last will "offline" (QoS 1) is in
// every connect's options, "online" is published after every connect
// (before the connect handler runs), and "offline" by Stop() before the
// DISCONNECT (waiting up to 2 s for the PUBACK; a clean disconnect makes the
// broker discard the will). Publish() sends at QoS 1 and returns at once;
// a publish that cannot be handed over (not connected, stopping, Paho
// refuses it) or that Paho later reports failed is logged (at most 5 lines
// a minute) and dropped, never fatal. A broker it cannot reach is logged
// once per outage (the ingest connection logs every attempt). A connection
// the broker drops within 10 s of connecting is logged with the likely
// cause (a publish its ACL denies) and reconnects with doubling backoff
// (mqtt.reconnect_min_ms up to mqtt.reconnect_max_ms), so a refused topic
// costs one attempt per reconnect_max_ms, not a busy loop.
//
// Owns the Paho client; borrows the io_context, which must outlive it.
// Paho callbacks only post to the io_context (nothing escapes them), except
// the publish failure log. Start(), Stop(), OnConnect() and SetSecurity() on
// the io_context thread; Publish() from any thread; the connect handler runs
// on the io_context thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "adapters/config_file.h"
#include "core/message_sink.h"

namespace mqtt {
class async_client;
class token;
}  // namespace mqtt

namespace floortrack {

class MqttSink final : public MessageSink {
 public:
  MqttSink(asio::io_context& io, MqttConfig config);
  // Stops first if Stop() was not called.
  ~MqttSink() override;

  bool Publish(const std::string& topic, const std::string& payload,
               bool retained) noexcept override;
  void OnConnect(ConnectHandler handler) override { connect_handler_ = std::move(handler); }
  void Start() override;
  void Stop() override;
  // A reloaded config's credentials and TLS files; used from the next connect.
  void SetSecurity(const MqttConfig& next);

  // floortrack/status/<mqtt.client_id>.
  const std::string& status_topic() const { return status_topic_; }
  static std::string StatusTopic(const std::string& client_id) {
    return "floortrack/status/" + client_id;
  }

 private:
  class Listener;

  void Connect();
  void ScheduleReconnect();
  void OnConnected();
  void OnConnectFailed(const std::string& why);
  void OnConnectionLost(const std::string& cause);
  std::shared_ptr<mqtt::token> Send(const std::string& topic, const std::string& payload,
                                    bool retained) noexcept;
  void LogPublishFailure(const std::string& topic, const std::string& why) noexcept;
  void Post(std::function<void()> fn) noexcept;

  asio::io_context& io_;
  MqttConfig config_;
  const std::string status_topic_;
  std::unique_ptr<Listener> connect_listener_;
  std::unique_ptr<Listener> publish_listener_;
  std::unique_ptr<mqtt::async_client> client_;
  asio::steady_timer reconnect_timer_;
  ConnectHandler connect_handler_;

  // io_context thread only:
  int backoff_ms_;
  bool started_ = false;
  bool failing_ = false;  // a connect failed since the last success (logged once)
  std::chrono::steady_clock::time_point connected_at_{};

  std::atomic<bool> stopping_{false};
  std::shared_ptr<std::atomic<bool>> alive_;  // lets posted work see that *this is gone
  std::mutex log_mutex_;
  std::chrono::steady_clock::time_point log_period_{};  // guarded by log_mutex_
  int logged_ = 0;                                      // in the current period
  std::uint64_t suppressed_ = 0;                        // in the current period
};

}  // namespace floortrack
