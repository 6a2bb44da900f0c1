#include "adapters/mqtt_source.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string_view>

#include <MQTTAsync.h>
#include <asio/post.hpp>
#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

namespace floortrack {

class MqttSource::ConnectListener final : public mqtt::iaction_listener {
 public:
  explicit ConnectListener(MqttSource& source) : source_(source) {}
  void on_success(const mqtt::token&) override {
    source_.Post([s = &source_] { s->OnConnected(); });
  }
  void on_failure(const mqtt::token& tok) override {
    std::string why = source_.DescribeConnectFailure(tok.get_return_code());
    source_.Post([s = &source_, why] { s->OnConnectFailed(why); });
  }

 private:
  MqttSource& source_;
};

namespace {

// Paho C 1.3 accepts mqtt:// and mqtts:// too; translate anyway so older
// builds and Paho C++ see the classic schemes.
std::string PahoUri(const std::string& uri) {
  if (uri.rfind("mqtts://", 0) == 0) return "ssl://" + uri.substr(8);
  if (uri.rfind("mqtt://", 0) == 0) return "tcp://" + uri.substr(7);
  return uri;
}

// MQTT 3.1.1 CONNACK return codes (Paho passes them through as the failure code).
const char* ConnackText(int rc) {
  switch (rc) {
    case 1: return "unacceptable protocol version";
    case 2: return "client identifier rejected (mqtt.client_id)";
    case 3: return "server unavailable";
    case 4: return "bad user name or password (mqtt.username, mqtt.password_file)";
    case 5: return "not authorized (bad user name or password, or no access for mqtt.username)";
    default: return nullptr;
  }
}

// Why a connect failed below MQTT. Paho C reports TLS and socket failures only
// as MQTTASYNC_FAILURE (-1), without a message, and Paho C++ 1.2's
// ssl_options::error_handler dangles (its context is the connect_options copy
// that connect() destroys). So the reason is read from Paho's trace, which is
// turned up to MINIMUM only while a connect is in flight. Process-wide, like
// Paho's trace itself: the first reason seen since ResetConnectTrace() wins.
std::mutex g_trace_mutex;
std::string g_connect_failure;
std::string g_host_mismatch;  // pending: the IP check may still accept the certificate
enum class Tls { kNone, kStarted, kDone } g_tls = Tls::kNone;  // how far the handshake got

void SetFailure(std::string reason) {
  if (g_connect_failure.empty()) g_connect_failure = std::move(reason);
}

void PahoTrace(enum MQTTASYNC_TRACE_LEVELS, char* message) {
  if (message == nullptr) return;
  std::string_view m(message);
  // "20261123 180608.218 SSL alert write:fatal:unknown CA": skip date and time.
  for (int field = 0; field < 2; ++field) {
    auto space = m.find(' ');
    if (space == std::string_view::npos) return;
    m.remove_prefix(space + 1);
  }
  auto after = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (m.substr(0, prefix.size()) != prefix) return std::nullopt;
    return m.substr(prefix.size());
  };
  std::lock_guard lock(g_trace_mutex);
  if (auto alert = after("SSL alert write:fatal:")) {
    // We aborted the handshake: OpenSSL rejected the broker's certificate.
    SetFailure("TLS handshake failed: certificate verify failed (TLS alert \"" + std::string(*alert) +
               "\"): the broker's certificate is not trusted");
  } else if (auto alert = after("SSL alert read:fatal:")) {
    SetFailure("TLS handshake failed: the broker aborted the handshake (TLS alert \"" + std::string(*alert) +
               "\"; does it require a client certificate, mqtt.cert_file/mqtt.key_file?)");
  } else if (auto host = after("X509_check_host for hostname ")) {
    g_host_mismatch = std::string(host->substr(0, host->find(" failed")));
  } else if (auto ip = after("rc from X509_check_ip_asc is ")) {
    if (*ip != "1" && !g_host_mismatch.empty())
      SetFailure("TLS handshake failed: certificate verify failed: host name mismatch: the broker's "
                 "certificate is not valid for " + g_host_mismatch + " (see mqtt.verify_hostname)");
    g_host_mismatch.clear();
  } else if (after("SSL handshake started")) {
    g_tls = Tls::kStarted;
  } else if (after("SSL handshake done")) {
    g_tls = Tls::kDone;
  } else if (auto socket_error = after("Socket error ")) {
    SetFailure("network error: " + std::string(socket_error->substr(0, socket_error->find(" in "))));
  }
}

void ResetConnectTrace() {
  std::lock_guard lock(g_trace_mutex);
  g_connect_failure.clear();
  g_host_mismatch.clear();
  g_tls = Tls::kNone;
}

std::string ConnectTraceFailure() {
  std::lock_guard lock(g_trace_mutex);
  if (!g_connect_failure.empty()) return g_connect_failure;
  if (g_tls == Tls::kStarted) return "TLS handshake failed";
  if (g_tls == Tls::kDone) return "the broker closed the connection before accepting it";
  return "";
}

}  // namespace

class MqttSource::SubscribeListener final : public mqtt::iaction_listener {
 public:
  explicit SubscribeListener(MqttSource& source) : source_(source) {}
  void on_success(const mqtt::token&) override {
    source_.Post([s = &source_] { s->OnSubscribed(true, ""); });
  }
  void on_failure(const mqtt::token& tok) override {
    std::string why = "return code " + std::to_string(tok.get_return_code());
    source_.Post([s = &source_, why] { s->OnSubscribed(false, why); });
  }

 private:
  MqttSource& source_;
};

MqttSource::MqttSource(asio::io_context& io, MqttConfig config)
    : io_(io),
      config_(std::move(config)),
      connect_listener_(std::make_unique<ConnectListener>(*this)),
      subscribe_listener_(std::make_unique<SubscribeListener>(*this)),
      reconnect_timer_(io),
      backoff_ms_(config_.reconnect_min_ms),
      alive_(std::make_shared<std::atomic<bool>>(true)) {
  // No client-side persistence: nothing of ours is published, and inbound
  // QoS 1 state lives in the broker's session.
  client_ = std::make_unique<mqtt::async_client>(PahoUri(config_.uri), config_.client_id,
                                                 static_cast<mqtt::iclient_persistence*>(nullptr));
  MQTTAsync_setTraceCallback(&PahoTrace);
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_FATAL);  // raised only while connecting
}

MqttSource::~MqttSource() {
  alive_->store(false);
  client_.reset();  // joins Paho's threads before the listeners go away
}

void MqttSource::Post(std::function<void()> fn) {
  asio::post(io_, [alive = alive_, fn = std::move(fn)] {
    if (alive->load()) fn();
  });
}

void MqttSource::Start(MessageHandler handler) {
  handler_ = std::move(handler);
  // Callbacks first: a resumed session delivers queued messages right after CONNACK.
  client_->set_message_callback([this](mqtt::const_message_ptr msg) {
    Deliver(msg->get_topic(), msg->get_payload());
  });
  client_->set_connection_lost_handler([this](const std::string& cause) {
    Post([this, cause] { OnConnectionLost(cause); });
  });
  Connect();
}

void MqttSource::Connect() {
  if (stopping_) return;
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_3_1_1)  // no silent retry as 3.1 after a refusal
                     .clean_session(false)
                     .keep_alive_interval(std::chrono::seconds(config_.keep_alive_s))
                     .connect_timeout(std::chrono::seconds(config_.connect_timeout_s))
                     .automatic_reconnect(false);
  if (!config_.username.empty()) builder.user_name(config_.username);
  if (!config_.password.empty()) builder.password(config_.password);
  if (config_.UsesTls()) {
    auto ssl = mqtt::ssl_options_builder()
                   .enable_server_cert_auth(true)
                   .verify(config_.verify_hostname)
                   .finalize();
    if (!config_.ca_file.empty()) ssl.set_trust_store(config_.ca_file);  // else the system trust store
    if (!config_.cert_file.empty()) {
      ssl.set_key_store(config_.cert_file);
      ssl.set_private_key(config_.key_file);
    }
    builder.ssl(std::move(ssl));
  }
  auto options = builder.finalize();
  ResetConnectTrace();
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_MINIMUM);
  try {
    client_->connect(options, nullptr, *connect_listener_);
  } catch (const mqtt::exception& e) {
    OnConnectFailed(e.what());
  }
}

void MqttSource::ScheduleReconnect() {
  if (stopping_) return;
  reconnect_timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
  reconnect_timer_.async_wait([this](const std::error_code& ec) {
    if (!ec) Connect();
  });
  backoff_ms_ = std::min(backoff_ms_ * 2, config_.reconnect_max_ms);
}

void MqttSource::OnConnected() {
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_FATAL);
  connected_ = true;
  backoff_ms_ = config_.reconnect_min_ms;
  spdlog::info("connected to MQTT broker {} as '{}'", config_.uri, config_.client_id);
  Subscribe();
}

void MqttSource::Subscribe() {
  if (!connected_ || stopping_) return;
  auto topics = mqtt::string_collection::create(config_.topics);
  mqtt::iasync_client::qos_collection qos(config_.topics.size(), config_.qos);
  try {
    client_->subscribe(topics, qos, nullptr, *subscribe_listener_);
  } catch (const mqtt::exception& e) {
    spdlog::error("MQTT subscribe failed: {}", e.what());
  }
}

void MqttSource::OnSubscribed(bool ok, const std::string& why) {
  if (!ok) {
    spdlog::error("MQTT subscription to {} refused ({}); retrying on next connect",
                  fmt::join(config_.topics, ", "), why);
    return;
  }
  subscribed_ = true;
  spdlog::info("subscribed to {} at QoS {}", fmt::join(config_.topics, ", "), config_.qos);
  if (state_handler_) state_handler_(true);
}

void MqttSource::OnConnectionLost(const std::string& cause) {
  connected_ = false;
  subscribed_ = false;
  if (state_handler_) state_handler_(false);
  if (stopping_) return;
  spdlog::warn("lost connection to MQTT broker {}{}{}; reconnecting", config_.uri,
               cause.empty() ? "" : ": ", cause);
  ScheduleReconnect();
}

void MqttSource::OnConnectFailed(const std::string& why) {
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_FATAL);
  connected_ = false;
  if (stopping_) return;
  if (state_handler_) state_handler_(false);
  std::string hint;
  if (why.find("certificate is not trusted") != std::string::npos)
    hint = config_.ca_file.empty() ? " by the system trust store (mqtt.ca_file is empty)"
                                   : " by mqtt.ca_file " + config_.ca_file;
  spdlog::warn("cannot connect to MQTT broker {}: {}{}; retrying in {} ms", config_.uri, why, hint, backoff_ms_);
  ScheduleReconnect();
}

// Runs on Paho's thread, right after the failure, before the next connect.
std::string MqttSource::DescribeConnectFailure(int rc) {
  if (const char* text = ConnackText(rc)) return std::string("broker refused: ") + text;
  if (std::string traced = ConnectTraceFailure(); !traced.empty()) return traced;
  if (rc == MQTTASYNC_FAILURE) return "broker not reachable (connection refused, unreachable or timed out)";
  std::string paho = mqtt::exception::error_str(rc);
  return "connect failed (Paho return code " + std::to_string(rc) + (paho.empty() ? "" : ": " + paho) + ")";
}

void MqttSource::SetSecurity(const MqttConfig& next) {
  config_.username = next.username;
  config_.password = next.password;
  config_.password_file = next.password_file;
  config_.ca_file = next.ca_file;
  config_.cert_file = next.cert_file;
  config_.key_file = next.key_file;
  config_.verify_hostname = next.verify_hostname;
}

void MqttSource::SetTopics(std::vector<std::string> topics) {
  std::vector<std::string> dropped;
  for (const auto& t : config_.topics)
    if (std::find(topics.begin(), topics.end(), t) == topics.end()) dropped.push_back(t);
  config_.topics = std::move(topics);
  if (!connected_) return;
  try {
    if (!dropped.empty()) client_->unsubscribe(mqtt::string_collection::create(dropped));
  } catch (const mqtt::exception& e) {
    spdlog::error("MQTT unsubscribe failed: {}", e.what());
  }
  Subscribe();
}

// Runs on Paho's thread. Paho acknowledges the message when this returns.
void MqttSource::Deliver(const std::string& topic, const std::string& payload) {
  std::lock_guard lock(delivery_mutex_);
  if (stopped_) return;  // already disconnected: no acknowledgement can reach the broker
  bool durable = false;
  try {
    durable = handler_(topic, payload);
  } catch (const std::exception& e) {
    spdlog::critical("message handler failed on topic {}: {}", topic, e.what());
  } catch (...) {
    spdlog::critical("message handler failed on topic {}", topic);
  }
  if (durable) return;
  spdlog::critical("a message on {} could not be stored; exiting without acknowledging it so the "
                   "broker redelivers it",
                   topic);
  spdlog::default_logger()->flush();
  std::_Exit(EXIT_FAILURE);
}

void MqttSource::Stop() {
  stopping_ = true;
  reconnect_timer_.cancel();
  try {
    if (client_->is_connected()) client_->disconnect(std::chrono::seconds(2))->wait_for(std::chrono::seconds(5));
  } catch (const mqtt::exception& e) {
    spdlog::warn("MQTT disconnect: {}", e.what());
  }
  connected_ = false;
  subscribed_ = false;
  std::lock_guard lock(delivery_mutex_);  // waits for a handler still running
  stopped_ = true;
}

}  // namespace floortrack
