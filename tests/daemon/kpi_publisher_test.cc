// KpiPublisher with a fake MessageSink and a fake Compute, and its wiring in
// Daemon (a stored shipment nudges it from the ingest thread): what is
// published, when, that shipments coalesce, that a computation never blocks
// the caller of ShipmentStored(), that two never run at once, and that a
// failing sink or computation is survived.
#include "daemon/kpi_publisher.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "adapters/sqlite_store.h"
#include "core/message_sink.h"
#include "core/message_source.h"
#include "core/time.h"
#include "daemon/daemon.h"

namespace floortrack {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Published {
  std::string topic;
  std::string payload;
  bool retained = false;
};

class FakeSink final : public MessageSink {
 public:
  bool Publish(const std::string& topic, const std::string& payload,
               bool retained) noexcept override {
    std::lock_guard lock(mutex_);
    if (refuse) return false;
    messages_.push_back({topic, payload, retained});
    return true;
  }
  void OnConnect(ConnectHandler handler) override { handler_ = std::move(handler); }
  void Start() override {
    started = true;
    if (handler_) handler_();  // "connected" at once
  }
  void Stop() override { stopped = true; }
  void Reconnect() { handler_(); }

  std::vector<Published> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<Published> on(const std::string& topic) const {
    std::vector<Published> out;
    for (auto& m : messages())
      if (m.topic == topic) out.push_back(m);
    return out;
  }

  std::atomic<bool> refuse{false};
  bool started = false;
  bool stopped = false;

 private:
  mutable std::mutex mutex_;
  std::vector<Published> messages_;
  ConnectHandler handler_;
};

// Counts computations (two windows each) and the most running at once; can
// hold them until released.
struct FakeCompute {
  std::atomic<int> calls{0};
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<bool> fail{false};
  std::mutex mutex;
  std::condition_variable cv;
  bool hold = false;
  std::vector<Window> windows;

  KpiPublisher::Compute Function() {
    return [this](const Window& window) -> Result<json> {
      const int now_running = ++running;
      int seen = max_running.load();
      while (now_running > seen && !max_running.compare_exchange_weak(seen, now_running)) {
      }
      {
        std::unique_lock lock(mutex);
        windows.push_back(window);
        cv.wait(lock, [this] { return !hold; });
      }
      ++calls;
      --running;
      if (fail) return MakeError(ErrorKind::kIo, "test: database unreadable");
      return json{{"orders", {{"open", 3}, {"shipped", 7}}}, {"aov", 120.5}};
    };
  }
  void Hold() {
    std::lock_guard lock(mutex);
    hold = true;
  }
  void Release() {
    {
      std::lock_guard lock(mutex);
      hold = false;
    }
    cv.notify_all();
  }
};

template <class Pred>
bool Eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

PublishConfig Slow() {
  PublishConfig config;
  config.interval_s = 3600;  // the timer never fires here
  return config;
}

TEST_CASE("after connect: the KPI payload, retained, with all_time, last_30d and generated_at") {
  asio::io_context io;
  FakeSink sink;
  FakeCompute compute;
  KpiPublisher publisher(io, Slow(), "shop", "floortrack/status/shop", sink, compute.Function());
  const TimePoint before = SystemClock().Now();
  publisher.Start();
  CHECK(sink.started);
  REQUIRE(Eventually([&] { return sink.on("floortrack/kpi").size() == 1; }));
  const Published p = sink.on("floortrack/kpi").front();
  CHECK(p.retained);
  const json j = json::parse(p.payload);
  CHECK(j["all_time"]["aov"] == 120.5);
  CHECK(j["last_30d"]["orders"]["open"] == 3);
  auto generated = ParseRfc3339(j["generated_at"].get<std::string>());
  REQUIRE(generated);
  CHECK(*generated >= before - 1s);
  CHECK(j["generated_at"].get<std::string>().back() == 'Z');
  // The windows: all time, then the last 30 days (UTC days by default):
  // since midnight 29 days before generated_at's day, open-ended.
  REQUIRE(compute.windows.size() == 2);
  CHECK(!compute.windows[0].since);
  CHECK(!compute.windows[0].until);
  REQUIRE(compute.windows[1].since);
  const auto utc_day = std::chrono::floor<std::chrono::days>(*generated);
  CHECK(*compute.windows[1].since == TimePoint{utc_day - std::chrono::days(29)});
  CHECK(!compute.windows[1].until);
  CHECK(sink.on("homeassistant/sensor/shop/aov/config").empty());  // discovery off
  publisher.Stop();
  CHECK(sink.stopped);
}

TEST_CASE("last_30d counts the shop's local days once SetShopTimeZone was called") {
  asio::io_context io;
  FakeSink sink;
  FakeCompute compute;
  KpiPublisher publisher(io, Slow(), "shop", "floortrack/status/shop", sink, compute.Function());
  publisher.SetShopTimeZone(
      std::make_shared<FixedOffsetZone>(std::chrono::minutes(-300), "-05:00"));
  publisher.Start();
  REQUIRE(Eventually([&] { return sink.on("floortrack/kpi").size() == 1; }));
  const json j = json::parse(sink.on("floortrack/kpi").front().payload);
  auto generated = ParseRfc3339(j["generated_at"].get<std::string>());
  REQUIRE(generated);
  REQUIRE(compute.windows.size() == 2);
  REQUIRE(compute.windows[1].since);
  // Local midnight (-05:00) 29 days before generated_at's local day: 05:00 UTC.
  const auto local_day = std::chrono::floor<std::chrono::days>(*generated - std::chrono::hours(5));
  CHECK(*compute.windows[1].since ==
        TimePoint{local_day - std::chrono::days(29) + std::chrono::hours(5)});
  publisher.Stop();
}

TEST_CASE("shipments coalesce: a burst right after a publish waits out the 10 s gap") {
  asio::io_context io;
  FakeSink sink;
  FakeCompute compute;
  KpiPublisher publisher(io, Slow(), "shop", "floortrack/status/shop", sink, compute.Function());
  publisher.Start();
  REQUIRE(Eventually([&] { return publisher.published() == 1; }));
  for (int i = 0; i < 100; ++i) publisher.ShipmentStored();
  std::this_thread::sleep_for(500ms);
  CHECK(compute.calls == 2);  // still the connect's one computation (two windows)
  CHECK(publisher.published() == 1);
  // A reconnect is not a shipment: it publishes at once.
  sink.Reconnect();
  CHECK(Eventually([&] { return publisher.published() == 2; }));
  publisher.Stop();
}

TEST_CASE("ShipmentStored() never waits for a computation; never two computations at once") {
  asio::io_context io;
  FakeSink sink;
  FakeCompute compute;
  compute.Hold();
  KpiPublisher publisher(io, Slow(), "shop", "floortrack/status/shop", sink, compute.Function());
  publisher.Start();
  REQUIRE(Eventually([&] { return compute.running == 1; }));
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) publisher.ShipmentStored();
  sink.Reconnect();  // asks for another one at once, while one runs
  CHECK(std::chrono::steady_clock::now() - started < 200ms);
  compute.Release();
  CHECK(Eventually([&] { return publisher.published() == 2; }));
  CHECK(compute.max_running == 1);
  publisher.Stop();
}

TEST_CASE("a refusing sink and a failing computation are survived") {
  asio::io_context io;
  FakeSink sink;
  FakeCompute compute;
  sink.refuse = true;
  KpiPublisher publisher(io, Slow(), "shop", "floortrack/status/shop", sink, compute.Function());
  publisher.Start();
  REQUIRE(Eventually([&] { return compute.calls == 2; }));
  std::this_thread::sleep_for(50ms);
  CHECK(publisher.published() == 0);
  sink.refuse = false;
  compute.fail = true;
  sink.Reconnect();
  CHECK(Eventually([&] { return publisher.failed() == 1; }));
  CHECK(sink.on("floortrack/kpi").empty());
  compute.fail = false;
  sink.Reconnect();
  CHECK(Eventually([&] { return publisher.published() == 1; }));
  publisher.Stop();
}

TEST_CASE("Home Assistant discovery: one retained config per KPI, after every connect") {
  asio::io_context io;
  FakeSink sink;
  FakeCompute compute;
  PublishConfig config = Slow();
  config.homeassistant_discovery = true;
  config.homeassistant_prefix = "ha";
  KpiPublisher publisher(io, config, "shop floor", "floortrack/status/shop floor", sink,
                         compute.Function());
  publisher.Start();
  REQUIRE(Eventually([&] { return publisher.published() == 1; }));
  const auto first = sink.messages();
  std::size_t configs = 0;
  for (const auto& m : first) {
    if (m.topic.rfind("ha/sensor/shop_floor/", 0) != 0) continue;
    ++configs;
    CHECK(m.retained);
    const json c = json::parse(m.payload);
    CHECK(c["state_topic"] == "floortrack/kpi");
    CHECK(c["availability_topic"] == "floortrack/status/shop floor");
    CHECK(c["payload_available"] == "online");
    CHECK(c["payload_not_available"] == "offline");
    CHECK(c["unique_id"].get<std::string>().rfind("floortrack_shop_floor_", 0) == 0);
    CHECK(c["value_template"].get<std::string>().rfind("{{ value_json.", 0) == 0);
    CHECK(c["device"]["identifiers"].size() == 1);
  }
  CHECK(configs == HomeAssistantDiscovery(config, "shop floor", "x").size());
  CHECK(configs >= 9);
  sink.Reconnect();
  REQUIRE(Eventually([&] { return publisher.published() == 2; }));
  CHECK(sink.messages().size() == 2 * first.size());
  publisher.Stop();
}

// Daemon wiring: a shipment stored on the "transport" thread nudges the
// publisher; other events do not.
class ScriptedSource final : public MessageSource {
 public:
  void OnStateChange(StateHandler) override {}
  void Start(MessageHandler handler) override { handler_ = std::move(handler); }
  void Stop() override {}
  SourceHealth Health() const override { return SourceHealth{true, true, {}}; }
  void SetTopics(std::vector<std::string>) override {}
  bool Arrive(const std::string& payload) {
    bool stored = false;
    std::thread transport([&] { stored = handler_(Delivery{"floor/test/x", payload, false, 1}); });
    transport.join();
    return stored;
  }

 private:
  MessageHandler handler_;
};

TEST_CASE("Daemon: a stored shipment nudges the publisher; Shutdown stops it") {
  char dir_template[] = "/tmp/floortrack-publisher-test-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  {
    StoreOptions options;
    options.path = dir + "/floortrack.db";
    options.sync = StoreOptions::Sync::kNormal;
    auto opened = SqliteStore::OpenForWriting(options, Config{}.rules);
    REQUIRE(opened.ok());
    auto store = std::move(opened).value();
    asio::io_context io;
    ScriptedSource source;
    FakeSink sink;
    FakeCompute compute;
    KpiPublisher publisher(io, Slow(), "shop", "floortrack/status/shop", sink, compute.Function());
    Daemon daemon(io, Config{}, "", *store, source);
    daemon.SetPublisher(&publisher);
    daemon.Start();
    CHECK(sink.started);
    REQUIRE(Eventually([&] { return publisher.published() == 1; }));  // the connect's
    // The shipment gap (10 s) runs from the connect's computation: the
    // nudge is due then, not now.
    CHECK(source.Arrive(
        R"({"event_id":"c","order_id":"A1","stage":"confirmed","ts":"2026-10-05T10:00:00Z"})"));
    CHECK(source.Arrive(
        R"({"event_id":"s","order_id":"A1","stage":"shipped","ts":"2026-10-06T10:00:00Z"})"));
    std::this_thread::sleep_for(300ms);
    CHECK(publisher.published() == 1);
    CHECK(Eventually([&] { return publisher.published() == 2; }, 12s));
    daemon.Shutdown();
    CHECK(sink.stopped);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace floortrack
