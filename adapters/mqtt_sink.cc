#include "adapters/mqtt_sink.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <cstdlib>

#include "adapters/paho_diagnosis.h"

namespace floortrack {
namespace {

constexpr const char* kOnline = "online";
constexpr const char* kOffline = "offline";
constexpr int kQos = 1;
// Stop(): how long to wait for the PUBACK of "offline" and for the DISCONNECT.
constexpr std::chrono::seconds kOfflineTimeout{2};
constexpr std::chrono::seconds kDisconnectTimeout{2};
// A connection the broker drops sooner than this after the connect does not
// reset the backoff (and is probably a refused publish).
constexpr std::chrono::seconds kStableAfter{10};
// Publish failures logged: at most kLogBurst lines per kLogPeriod.
constexpr int kLogBurst = 5;
constexpr std::chrono::seconds kLogPeriod{60};

std::string PahoUri(const std::string& uri) {
  if (uri.rfind("mqtts://", 0) == 0) return "ssl://" + uri.substr(8);
  if (uri.rfind("mqtt://", 0) == 0) return "tcp://" + uri.substr(7);
  return uri;
}

template <class F>
void Guarded(const char* what, const F& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    try {
      spdlog::error("MQTT publishing: {}: {}", what, e.what());
    } catch (...) {
    }
  } catch (...) {
  }
}

}  // namespace

// Paho's thread: connect results are posted to the io_context; a failed
// publish is logged. Nothing escapes.
class MqttSink::Listener final : public mqtt::iaction_listener {
 public:
  enum class Kind { kConnect, kPublish };
  Listener(MqttSink& sink, Kind kind) : sink_(sink), kind_(kind) {}
  void on_success(const mqtt::token&) override {
    try {
      if (kind_ == Kind::kConnect) sink_.Post([s = &sink_] { s->OnConnected(); });
    } catch (...) {
    }
  }
  void on_failure(const mqtt::token& tok) override {
    try {
      if (kind_ == Kind::kConnect) {
        std::string why = DescribeConnectFailure(tok.get_return_code());
        sink_.Post([s = &sink_, why] { s->OnConnectFailed(why); });
        return;
      }
      std::string topic = "(unknown topic)";
      if (const auto* delivery = dynamic_cast<const mqtt::delivery_token*>(&tok))
        if (auto msg = delivery->get_message()) topic = msg->get_topic();
      sink_.LogPublishFailure(topic, "not acknowledged (Paho return code " +
                                         std::to_string(tok.get_return_code()) + ")");
    } catch (...) {
    }
  }

 private:
  MqttSink& sink_;
  Kind kind_;
};

MqttSink::MqttSink(asio::io_context& io, MqttConfig config)
    : io_(io),
      config_(std::move(config)),
      status_topic_(StatusTopic(config_.client_id)),
      connect_listener_(std::make_unique<Listener>(*this, Listener::Kind::kConnect)),
      publish_listener_(std::make_unique<Listener>(*this, Listener::Kind::kPublish)),
      reconnect_timer_(io),
      backoff_ms_(config_.reconnect_min_ms),
      alive_(std::make_shared<std::atomic<bool>>(true)) {
  // Nothing to keep across restarts: what it publishes is current state,
  // re-sent after every connect.
  client_ =
      std::make_unique<mqtt::async_client>(PahoUri(config_.uri), config_.client_id + "-publish",
                                           static_cast<mqtt::iclient_persistence*>(nullptr));
}

MqttSink::~MqttSink() {
  if (started_ && !stopping_) Stop();
  stopping_ = true;
  alive_->store(false);
  client_.reset();  // joins Paho's threads before the listeners go away
}

// Never throws: a connect result that cannot be handed over (out of memory)
// is dropped, and the sink stays disconnected; ingest does not depend on it.
void MqttSink::Post(std::function<void()> fn) noexcept {
  try {
    asio::post(io_, [alive = alive_, fn = std::move(fn)] {
      if (alive->load()) Guarded("event handling failed", fn);
    });
  } catch (...) {
  }
}

void MqttSink::Start() {
  started_ = true;
  client_->set_connection_lost_handler([this](const std::string& cause) {
    try {
      Post([this, cause] { OnConnectionLost(cause); });
    } catch (...) {
    }
  });
  Connect();
}

void MqttSink::Connect() {
  if (stopping_) return;
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_3_1_1)
                     .clean_session(true)
                     .keep_alive_interval(std::chrono::seconds(config_.keep_alive_s))
                     .connect_timeout(std::chrono::seconds(config_.connect_timeout_s))
                     .automatic_reconnect(false)
                     // In every connect's options: the broker publishes it
                     // when the connection ends without a DISCONNECT.
                     .will(mqtt::will_options(status_topic_, std::string(kOffline), kQos, true));
  if (!config_.username.empty()) builder.user_name(config_.username);
  if (!config_.password.empty()) builder.password(config_.password);
  if (config_.UsesTls()) {
    auto ssl = mqtt::ssl_options_builder()
                   .enable_server_cert_auth(true)
                   .verify(config_.verify_hostname)
                   .finalize();
    if (!config_.ca_file.empty()) ssl.set_trust_store(config_.ca_file);
    if (!config_.cert_file.empty()) {
      ssl.set_key_store(config_.cert_file);
      ssl.set_private_key(config_.key_file);
    }
    builder.ssl(std::move(ssl));
  }
  try {
    client_->connect(builder.finalize(), nullptr, *connect_listener_);
  } catch (const mqtt::exception& e) {
    OnConnectFailed(e.what());
  }
}

void MqttSink::ScheduleReconnect() {
  if (stopping_) return;
  reconnect_timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
  reconnect_timer_.async_wait([this](const std::error_code& ec) {
    if (ec) return;
    bool done = false;
    Guarded("connect failed", [&] {
      Connect();
      done = true;
    });
    if (!done) ScheduleReconnect();
  });
  backoff_ms_ = std::min(backoff_ms_ * 2, config_.reconnect_max_ms);
}

void MqttSink::OnConnected() {
  if (stopping_) return;  // the destructor drops it (the will says "offline")
  connected_at_ = std::chrono::steady_clock::now();
  failing_ = false;
  spdlog::info("publishing connection to MQTT broker {} up as '{}-publish'", config_.uri,
               config_.client_id);
  Send(status_topic_, kOnline, true);
  if (connect_handler_) Guarded("connect handler failed", connect_handler_);
}

// Logged once per outage (then at debug level): the ingest connection logs
// its own attempts, which are the ones that matter.
void MqttSink::OnConnectFailed(const std::string& why) {
  if (stopping_) return;
  if (!failing_)
    spdlog::warn(
        "publishing connection: MQTT broker {} unreachable ({}); trying again with backoff",
        config_.uri, why);
  else
    spdlog::debug("publishing connection: MQTT broker {} still unreachable ({}); next try in {} ms",
                  config_.uri, why, backoff_ms_);
  failing_ = true;
  ScheduleReconnect();
}

void MqttSink::OnConnectionLost(const std::string& cause) {
  if (stopping_) return;
  const bool early = std::chrono::steady_clock::now() - connected_at_ < kStableAfter;
  if (!early) backoff_ms_ = config_.reconnect_min_ms;
  spdlog::warn(
      "publishing connection to MQTT broker {} lost{}{}{}; reconnecting in {} ms (ingest is not "
      "affected)",
      config_.uri, cause.empty() ? "" : ": ", cause,
      early ? " soon after connecting: does the broker's ACL let this client publish to "
              "floortrack/status and the KPI topics? (mosquitto drops MQTT 3.1.1 clients that "
              "publish where they may not)"
            : "",
      backoff_ms_);
  ScheduleReconnect();
}

bool MqttSink::Publish(const std::string& topic, const std::string& payload,
                       bool retained) noexcept {
  if (stopping_) {
    LogPublishFailure(topic, "floortrackd is stopping");
    return false;
  }
  return Send(topic, payload, retained) != nullptr;
}

std::shared_ptr<mqtt::token> MqttSink::Send(const std::string& topic, const std::string& payload,
                                            bool retained) noexcept {
  try {
    if (!client_->is_connected()) {
      LogPublishFailure(topic, "not connected to the broker");
      return nullptr;
    }
    return client_->publish(mqtt::make_message(topic, payload, kQos, retained), nullptr,
                            *publish_listener_);
  } catch (const mqtt::exception& e) {
    LogPublishFailure(topic, e.what());
  } catch (const std::exception& e) {
    LogPublishFailure(topic, e.what());
  } catch (...) {
    LogPublishFailure(topic, "unknown exception");
  }
  return nullptr;
}

void MqttSink::LogPublishFailure(const std::string& topic, const std::string& why) noexcept {
  try {
    std::uint64_t suppressed = 0;
    bool log = false;
    {
      std::lock_guard lock(log_mutex_);
      const auto now = std::chrono::steady_clock::now();
      if (now - log_period_ >= kLogPeriod) {
        suppressed = suppressed_;
        suppressed_ = 0;
        logged_ = 0;
        log_period_ = now;
      }
      log = logged_ < kLogBurst;
      if (log)
        ++logged_;
      else
        ++suppressed_;
    }
    if (suppressed > 0) spdlog::warn("{} more MQTT publish failures not logged", suppressed);
    if (log) spdlog::warn("MQTT publish to {} failed: {}; dropped", topic, why);
  } catch (...) {
  }
}

void MqttSink::SetSecurity(const MqttConfig& next) {
  config_.username = next.username;
  config_.password = next.password;
  config_.password_file = next.password_file;
  config_.ca_file = next.ca_file;
  config_.cert_file = next.cert_file;
  config_.key_file = next.key_file;
  config_.verify_hostname = next.verify_hostname;
}

// Not on a Paho callback (the io_context thread), so waiting on tokens is
// safe; each wait is bounded.
void MqttSink::Stop() {
  if (stopping_.exchange(true)) return;
  reconnect_timer_.cancel();
  try {
    if (client_->is_connected()) {
      if (auto offline = Send(status_topic_, kOffline, true);
          offline && !offline->wait_for(kOfflineTimeout))
        spdlog::warn("stopping: the retained \"offline\" on {} was not acknowledged in time",
                     status_topic_);
      if (!client_->disconnect(kDisconnectTimeout)->wait_for(kDisconnectTimeout * 2))
        spdlog::warn("stopping: the publishing connection's disconnect did not complete in time");
    }
  } catch (const mqtt::exception& e) {
    spdlog::warn("stopping the publishing connection: {}", e.what());
  }
}

}  // namespace floortrack
