#include "adapters/mqtt_source.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <chrono>
#include <cstdlib>

#include "adapters/paho_diagnosis.h"

namespace floortrack {
namespace {

// Paho C 1.3 accepts mqtt:// and mqtts:// too; translate anyway so older
// builds and Paho C++ see the classic schemes.
std::string PahoUri(const std::string& uri) {
  if (uri.rfind("mqtts://", 0) == 0) return "ssl://" + uri.substr(8);
  if (uri.rfind("mqtt://", 0) == 0) return "tcp://" + uri.substr(7);
  return uri;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The SUBACK return code for a refused filter (MQTT 3.1.1).
constexpr int kSubackFailure = 0x80;
// How long Stop() waits beyond mqtt.connect_timeout_s (after which Paho fails
// a connect itself) and for the DISCONNECT to go out.
constexpr std::chrono::seconds kStopMargin{5};
constexpr std::chrono::seconds kDisconnectTimeout{2};

// The gate's refusal in production: end the process before Paho can
// acknowledge; the broker redelivers after the restart.
[[noreturn]] void ExitWithoutAcknowledging(std::string_view topic, const std::string& why) {
  try {
    spdlog::critical(
        "a message on {} could not be stored ({}); exiting without acknowledging it so the "
        "broker redelivers it",
        topic, why);
    spdlog::default_logger()->flush();
  } catch (...) {
  }
  std::_Exit(EXIT_FAILURE);
}

// Ends the process when something outside a message (a connection event)
// cannot be handled on Paho's thread: nothing escapes a Paho callback, and a
// lost event would leave the connection state machine stuck.
[[noreturn]] void ExitOnPahoFailure(const char* what) {
  try {
    spdlog::critical("MQTT {} failed on Paho's thread; exiting (nothing unstored was acknowledged)",
                     what);
    spdlog::default_logger()->flush();
  } catch (...) {
  }
  std::_Exit(EXIT_FAILURE);
}

// Runs f on Paho's thread; nothing escapes.
template <class F>
void OnPahoThread(const char* what, const F& f) noexcept {
  try {
    f();
  } catch (...) {
    ExitOnPahoFailure(what);
  }
}

// Runs f, logging instead of letting an exception out of an Asio handler.
template <class F>
void Guarded(const char* what, const F& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    try {
      spdlog::error("MQTT {}: {}", what, e.what());
    } catch (...) {
    }
  } catch (...) {
  }
}

}  // namespace

class MqttSource::ConnectListener final : public mqtt::iaction_listener {
 public:
  explicit ConnectListener(MqttSource& source) : source_(source) {}
  // Paho's thread, before any message of this connection is delivered.
  void on_success(const mqtt::token&) override {
    source_.connections_.fetch_add(1);
    OnPahoThread("connect", [this] { source_.Post([s = &source_] { s->OnConnected(); }); });
  }
  void on_failure(const mqtt::token& tok) override {
    OnPahoThread("connect", [&] {
      std::string why = DescribeConnectFailure(tok.get_return_code());
      source_.Post([s = &source_, why] { s->OnConnectFailed(why); });
    });
  }

 private:
  MqttSource& source_;
};

// Hands a SUBACK or UNSUBACK to the io_context thread, which reads the
// (complete) token it kept; never waits on the token here.
class MqttSource::RequestListener final : public mqtt::iaction_listener {
 public:
  RequestListener(MqttSource& source, void (MqttSource::*done)(const mqtt::token*))
      : source_(source), done_(done) {}
  void on_success(const mqtt::token& tok) override { Hand(&tok); }
  void on_failure(const mqtt::token& tok) override { Hand(&tok); }

 private:
  void Hand(const mqtt::token* tok) {
    OnPahoThread("subscription response",
                 [&] { source_.Post([s = &source_, done = done_, tok] { (s->*done)(tok); }); });
  }
  MqttSource& source_;
  void (MqttSource::*done_)(const mqtt::token*);
};

MqttSource::MqttSource(asio::io_context& io, MqttConfig config, SubscriptionRecord& record)
    : io_(io),
      config_(std::move(config)),
      record_(record),
      gate_([](const Delivery& d, const std::string& why) {
        ExitWithoutAcknowledging(d.topic, why);
      }),
      connect_listener_(std::make_unique<ConnectListener>(*this)),
      subscribe_listener_(std::make_unique<RequestListener>(*this, &MqttSource::OnSubscribeDone)),
      unsubscribe_listener_(
          std::make_unique<RequestListener>(*this, &MqttSource::OnUnsubscribeDone)),
      reconnect_timer_(io),
      resubscribe_timer_(io),
      backoff_ms_(config_.reconnect_min_ms),
      subscribe_backoff_ms_(config_.reconnect_min_ms),
      alive_(std::make_shared<std::atomic<bool>>(true)) {
  // No client-side persistence: nothing of ours is published, and inbound
  // QoS 1 state lives in the broker's session.
  client_ = std::make_unique<mqtt::async_client>(PahoUri(config_.uri), config_.client_id,
                                                 static_cast<mqtt::iclient_persistence*>(nullptr));
  InstallConnectDiagnosis();
}

MqttSource::~MqttSource() {
  if (started_ && !stopping_) Stop();
  gate_.Close();  // whatever still arrives is refused, never acknowledged
  alive_->store(false);
  client_.reset();  // joins Paho's threads before the listeners go away
}

// From Paho's threads and the io_context thread. Never throws: a state
// change that cannot be handed over would leave the connection state machine
// stuck, so failing to post (out of memory) ends the process, which holds
// nothing unacknowledged that the broker does not still have.
void MqttSource::Post(std::function<void()> fn) noexcept {
  try {
    asio::post(io_, [alive = alive_, fn = std::move(fn)] {
      if (alive->load()) Guarded("event handling failed", fn);
    });
  } catch (...) {
    ExitOnPahoFailure("handing an event to the event loop");
  }
}

SourceHealth MqttSource::Health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

// Tells the owner only about real changes (a retry that fails the same way
// again is not one).
void MqttSource::ChangeHealth(const std::function<void(SourceHealth&)>& change) {
  bool changed = false;
  {
    std::lock_guard lock(health_mutex_);
    SourceHealth next = health_;
    change(next);
    changed = next.connected != health_.connected || next.subscribed != health_.subscribed ||
              next.problems != health_.problems;
    health_ = std::move(next);
  }
  if (changed && state_handler_ && !stopping_) state_handler_();
}

void MqttSource::Start(MessageHandler handler) {
  gate_.Open(std::move(handler));
  started_ = true;
  // Callbacks first: a resumed session delivers queued messages right after CONNACK.
  client_->set_message_callback([this](mqtt::const_message_ptr msg) {
    if (!msg) ExitWithoutAcknowledging("(unknown)", "Paho passed no message");
    Deliver(*msg);
  });
  client_->set_connection_lost_handler([this](const std::string& cause) {
    OnPahoThread("connection loss", [&] { Post([this, cause] { OnConnectionLost(cause); }); });
  });
  Connect();
}

// Runs on Paho's thread. Paho acknowledges the message when this returns, so
// it returns only through the gate's "stored" path; nothing escapes it.
void MqttSource::Deliver(const mqtt::message& msg) {
  const std::string& topic = msg.get_topic();
  try {
    Delivery delivery;
    delivery.topic = topic;
    delivery.payload = msg.get_payload();
    delivery.redelivered = msg.is_duplicate();
    delivery.connection = connections_.load();
    gate_.Deliver(delivery);
  } catch (const std::exception& e) {
    ExitWithoutAcknowledging(topic, e.what());
  } catch (...) {
    ExitWithoutAcknowledging(topic, "unknown exception");
  }
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
    connect_token_ = client_->connect(options, nullptr, *connect_listener_);
  } catch (const mqtt::exception& e) {
    OnConnectFailed(e.what());
  }
}

void MqttSource::ScheduleReconnect() {
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

void MqttSource::OnConnected() {
  connect_token_.reset();
  EndConnectDiagnosis();
  if (stopping_) return;  // Stop() disconnects it
  connected_ = true;
  granted_.clear();
  subscribe_requested_.clear();
  unsubscribe_requested_.clear();
  backoff_ms_ = config_.reconnect_min_ms;
  subscribe_backoff_ms_ = config_.reconnect_min_ms;
  spdlog::info("connected to MQTT broker {} as '{}'", config_.uri, config_.client_id);
  ChangeHealth([](SourceHealth& h) {
    h.connected = true;
    h.subscribed = false;
    h.problems.clear();
  });
  UpdateSubscriptions();
}

void MqttSource::OnConnectionLost(const std::string& cause) {
  connected_ = false;
  granted_.clear();
  subscribe_token_.reset();
  subscribe_requested_.clear();
  unsubscribe_token_.reset();
  unsubscribe_requested_.clear();
  resubscribe_timer_.cancel();
  if (stopping_) return;
  ChangeHealth([](SourceHealth& h) {
    h.connected = false;
    h.subscribed = false;
    h.problems.clear();
  });
  spdlog::warn("lost connection to MQTT broker {}{}{}; reconnecting", config_.uri,
               cause.empty() ? "" : ": ", cause);
  ScheduleReconnect();
}

void MqttSource::OnConnectFailed(const std::string& why) {
  connect_token_.reset();
  EndConnectDiagnosis();
  connected_ = false;
  if (stopping_) return;
  std::string hint;
  if (why.find("certificate is not trusted") != std::string::npos)
    hint = config_.ca_file.empty() ? " by the system trust store (mqtt.ca_file is empty)"
                                   : " by mqtt.ca_file " + config_.ca_file;
  ChangeHealth([&](SourceHealth& h) {
    h.connected = false;
    h.subscribed = false;
    h.problems = {"cannot connect to MQTT broker " + config_.uri + ": " + why + hint};
  });
  spdlog::warn("cannot connect to MQTT broker {}: {}{}; retrying in {} ms", config_.uri, why, hint,
               backoff_ms_);
  ScheduleReconnect();
}

void MqttSource::SaveRecord(const std::vector<std::string>& filters) {
  auto saved = record_.Save(filters);
  if (!saved)
    spdlog::warn(
        "cannot record the subscribed MQTT filters: {}; a filter later removed from mqtt.topics "
        "may stay subscribed",
        saved.error().message);
}

void MqttSource::UpdateSubscriptions() {
  if (!connected_ || stopping_) return;
  resubscribe_timer_.cancel();
  std::vector<std::string> recorded;
  if (auto loaded = record_.Load()) {
    recorded = std::move(loaded).value();
  } else {
    spdlog::warn(
        "cannot read the subscribed MQTT filters: {}; filters removed from mqtt.topics may stay "
        "subscribed",
        loaded.error().message);
  }
  // Recorded but no longer configured: the persistent session still holds them.
  std::vector<std::string> stale;
  for (const auto& f : recorded)
    if (!Contains(config_.topics, f)) stale.push_back(f);
  // Write ahead: record what may be subscribed before asking for it.
  std::vector<std::string> may_hold = config_.topics;
  may_hold.insert(may_hold.end(), stale.begin(), stale.end());
  bool missing = std::any_of(config_.topics.begin(), config_.topics.end(),
                             [&](const std::string& f) { return !Contains(recorded, f); });
  if (missing) SaveRecord(may_hold);

  if (!stale.empty() && unsubscribe_requested_ != stale) {
    try {
      unsubscribe_requested_ = stale;
      unsubscribe_token_ = client_->unsubscribe(mqtt::string_collection::create(stale), nullptr,
                                                *unsubscribe_listener_);
    } catch (const mqtt::exception& e) {
      unsubscribe_token_.reset();
      unsubscribe_requested_.clear();
      spdlog::error("MQTT unsubscribe from {} failed: {}; retrying at the next connect",
                    fmt::join(stale, ", "), e.what());
    }
  }

  std::vector<std::string> wanted;
  for (const auto& f : config_.topics)
    if (!Contains(granted_, f)) wanted.push_back(f);
  if (wanted.empty()) {
    subscribe_token_.reset();
    ChangeHealth([](SourceHealth& h) {
      h.subscribed = true;
      h.problems.clear();
    });
    return;
  }
  mqtt::iasync_client::qos_collection qos(wanted.size(), config_.qos);
  try {
    subscribe_requested_ = wanted;
    subscribe_token_ = client_->subscribe(mqtt::string_collection::create(wanted), qos, nullptr,
                                          *subscribe_listener_);
  } catch (const mqtt::exception& e) {
    subscribe_token_.reset();
    std::string problem = std::string("subscribe request failed: ") + e.what();
    spdlog::error("MQTT {}; retrying in {} ms", problem, subscribe_backoff_ms_);
    ChangeHealth([&](SourceHealth& h) {
      h.subscribed = false;
      h.problems = {problem};
    });
    ScheduleResubscribe();
  }
}

void MqttSource::ScheduleResubscribe() {
  if (stopping_ || !connected_) return;
  resubscribe_timer_.expires_after(std::chrono::milliseconds(subscribe_backoff_ms_));
  resubscribe_timer_.async_wait([this](const std::error_code& ec) {
    if (ec) return;
    bool done = false;
    Guarded("subscribe failed", [&] {
      UpdateSubscriptions();
      done = true;
    });
    if (!done) ScheduleResubscribe();
  });
  subscribe_backoff_ms_ = std::min(subscribe_backoff_ms_ * 2, config_.reconnect_max_ms);
}

// The SUBACK's return codes, one per requested filter, are the granted QoS
// (0, 1, 2) or 0x80 for a refusal. Paho C reports a single refused filter as
// a failure with code 0x80 and a list with refusals as a success.
void MqttSource::OnSubscribeDone(const mqtt::token* which) {
  if (!subscribe_token_ || which != subscribe_token_.get() || stopping_) return;
  auto token = std::move(subscribe_token_);
  std::vector<std::string> requested = std::move(subscribe_requested_);
  subscribe_token_.reset();
  subscribe_requested_.clear();
  if (!connected_) return;  // a reconnect subscribes again

  std::vector<int> codes;
  std::string failure;
  int rc = token->get_return_code();
  if (rc == kSubackFailure && requested.size() == 1) {
    codes.push_back(kSubackFailure);
  } else if (rc != 0) {
    failure = "subscribe request failed (Paho return code " + std::to_string(rc) + ")";
  } else {
    try {
      // A named copy: the codes are a member of the returned response.
      const mqtt::subscribe_response response = token->get_subscribe_response();
      for (auto code : response.get_reason_codes()) codes.push_back(static_cast<int>(code));
    } catch (const mqtt::exception& e) {
      failure = std::string("subscribe response unreadable: ") + e.what();
    }
    if (failure.empty() && codes.size() != requested.size())
      failure = "the broker answered " + std::to_string(codes.size()) + " return codes for " +
                std::to_string(requested.size()) + " filters";
  }

  std::vector<std::string> problems;
  if (!failure.empty()) problems.push_back(failure);
  for (std::size_t i = 0; i < codes.size() && failure.empty(); ++i) {
    const std::string& filter = requested[i];
    int code = codes[i];
    if (code == kSubackFailure) {
      problems.push_back("broker refused the subscription to " + filter +
                         " (SUBACK 0x80: not authorized, or a filter it does not accept)");
    } else if (code < config_.qos) {
      problems.push_back("broker granted " + filter + " only QoS " + std::to_string(code) +
                         ", floortrack needs QoS " + std::to_string(config_.qos) +
                         " (at QoS 0 it neither keeps messages for the session nor redelivers "
                         "them; check max_qos)");
    } else if (Contains(config_.topics, filter) && !Contains(granted_, filter)) {
      granted_.push_back(filter);
    }
  }

  if (problems.empty()) {
    bool all = std::all_of(config_.topics.begin(), config_.topics.end(),
                           [&](const std::string& f) { return Contains(granted_, f); });
    if (!all) {  // the topics changed meanwhile: ask for the rest
      UpdateSubscriptions();
      return;
    }
    subscribe_backoff_ms_ = config_.reconnect_min_ms;
    spdlog::info("subscribed to {} at QoS {}", fmt::join(config_.topics, ", "), config_.qos);
    ChangeHealth([](SourceHealth& h) {
      h.subscribed = true;
      h.problems.clear();
    });
    return;
  }
  spdlog::error("MQTT subscription not in place: {}; retrying in {} ms", fmt::join(problems, "; "),
                subscribe_backoff_ms_);
  ChangeHealth([&](SourceHealth& h) {
    h.subscribed = false;
    h.problems = problems;
  });
  ScheduleResubscribe();
}

void MqttSource::OnUnsubscribeDone(const mqtt::token* which) {
  if (!unsubscribe_token_ || which != unsubscribe_token_.get() || stopping_) return;
  auto token = std::move(unsubscribe_token_);
  std::vector<std::string> requested = std::move(unsubscribe_requested_);
  unsubscribe_token_.reset();
  unsubscribe_requested_.clear();
  if (token->get_return_code() != 0) {
    spdlog::warn(
        "MQTT unsubscribe from {} failed (Paho return code {}); retrying at the next "
        "connect",
        fmt::join(requested, ", "), token->get_return_code());
    return;
  }
  spdlog::info("unsubscribed from {} (no longer in mqtt.topics)", fmt::join(requested, ", "));
  std::vector<std::string> recorded;
  if (auto loaded = record_.Load()) recorded = std::move(loaded).value();
  std::vector<std::string> kept;
  for (const auto& f : recorded)
    if (Contains(config_.topics, f) || !Contains(requested, f)) kept.push_back(f);
  for (const auto& f : config_.topics)
    if (!Contains(kept, f)) kept.push_back(f);
  if (kept != recorded) SaveRecord(kept);
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
  config_.topics = std::move(topics);
  std::erase_if(granted_, [&](const std::string& f) { return !Contains(config_.topics, f); });
  subscribe_backoff_ms_ = config_.reconnect_min_ms;
  if (!connected_) return;         // the next connect subscribes them
  unsubscribe_requested_.clear();  // so stale filters are asked for again
  UpdateSubscriptions();
}

void MqttSource::Stop() {
  if (stopping_.exchange(true)) return;
  reconnect_timer_.cancel();
  resubscribe_timer_.cancel();
  // A connect under way: Paho 1.3.12 cannot cancel it (MQTTAsync_disconnect
  // refuses while not connected), and once it completes the broker resumes
  // the session and delivers. Wait for it; whatever it delivers meanwhile is
  // stored (the gate is still open).
  if (connect_token_ && !connect_token_->is_complete()) {
    auto limit = std::chrono::seconds(config_.connect_timeout_s) + kStopMargin;
    spdlog::info("stopping: waiting up to {} s for the connect under way to finish",
                 std::chrono::duration_cast<std::chrono::seconds>(limit).count());
    try {
      if (!connect_token_->wait_for(limit))
        spdlog::warn("stopping: the connect under way did not finish in time");
    } catch (const mqtt::exception&) {
      // It failed: nothing is connected.
    }
  }
  connect_token_.reset();
  // Paho handles the DISCONNECT only between callbacks (the message callback
  // holds its lock), so a message being stored is acknowledged first.
  try {
    if (client_->is_connected()) {
      if (!client_->disconnect(kDisconnectTimeout)->wait_for(kDisconnectTimeout + kStopMargin))
        spdlog::warn("stopping: MQTT disconnect did not complete in time");
    }
  } catch (const mqtt::exception& e) {
    spdlog::warn("MQTT disconnect: {}", e.what());
  }
  // From here on nothing is delivered, and if something were (a connection
  // the waits above could not end), the gate refuses it: never acknowledged.
  gate_.Close();
  connected_ = false;
  {
    std::lock_guard lock(health_mutex_);
    health_.connected = false;
    health_.subscribed = false;
  }
}

}  // namespace floortrack
