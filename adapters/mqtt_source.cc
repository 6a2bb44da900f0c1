#include "adapters/mqtt_source.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <chrono>
#include <cstdlib>

#include "adapters/paho_diagnosis.h"

namespace floortrack {

class MqttSource::ConnectListener final : public mqtt::iaction_listener {
 public:
  explicit ConnectListener(MqttSource& source) : source_(source) {}
  void on_success(const mqtt::token&) override {
    source_.Post([s = &source_] { s->OnConnected(); });
  }
  void on_failure(const mqtt::token& tok) override {
    std::string why = DescribeConnectFailure(tok.get_return_code());
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
  InstallConnectDiagnosis();
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
  client_->set_message_callback(
      [this](mqtt::const_message_ptr msg) { Deliver(msg->get_topic(), msg->get_payload()); });
  client_->set_connection_lost_handler(
      [this](const std::string& cause) { Post([this, cause] { OnConnectionLost(cause); }); });
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
    if (!config_.ca_file.empty())
      ssl.set_trust_store(config_.ca_file);  // else the system trust store
    if (!config_.cert_file.empty()) {
      ssl.set_key_store(config_.cert_file);
      ssl.set_private_key(config_.key_file);
    }
    builder.ssl(std::move(ssl));
  }
  auto options = builder.finalize();
  BeginConnectDiagnosis();
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
  EndConnectDiagnosis();
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
  EndConnectDiagnosis();
  connected_ = false;
  if (stopping_) return;
  if (state_handler_) state_handler_(false);
  std::string hint;
  if (why.find("certificate is not trusted") != std::string::npos)
    hint = config_.ca_file.empty() ? " by the system trust store (mqtt.ca_file is empty)"
                                   : " by mqtt.ca_file " + config_.ca_file;
  spdlog::warn("cannot connect to MQTT broker {}: {}{}; retrying in {} ms", config_.uri, why, hint,
               backoff_ms_);
  ScheduleReconnect();
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
  spdlog::critical(
      "a message on {} could not be stored; exiting without acknowledging it so the "
      "broker redelivers it",
      topic);
  spdlog::default_logger()->flush();
  std::_Exit(EXIT_FAILURE);
}

void MqttSource::Stop() {
  stopping_ = true;
  reconnect_timer_.cancel();
  try {
    if (client_->is_connected())
      client_->disconnect(std::chrono::seconds(2))->wait_for(std::chrono::seconds(5));
  } catch (const mqtt::exception& e) {
    spdlog::warn("MQTT disconnect: {}", e.what());
  }
  connected_ = false;
  subscribed_ = false;
  std::lock_guard lock(delivery_mutex_);  // waits for a handler still running
  stopped_ = true;
}

}  // namespace floortrack
