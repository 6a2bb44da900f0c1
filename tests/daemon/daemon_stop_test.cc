// Daemon driven by a fake MessageSource over a real SQLite file: every stop
// and reconnect interleaving ends with each acknowledged message stored, and
// none acknowledged before it was stored.
//
// FakeSource behaves like MqttSource towards Paho: each message goes through
// a DeliveryGate on a "transport" thread, and the message counts as
// acknowledged exactly when the gate returns (Paho sends the PUBACK when the
// callback returns). A refusal, which ends the process in production, throws
// here and counts as not acknowledged. At the moment of each acknowledgement
// the test looks the event up in the database through its own connection.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/sqlite_store.h"
#include "core/delivery_gate.h"
#include "core/event_store.h"
#include "core/message_source.h"
#include "daemon/daemon.h"

namespace floortrack {
namespace {

using namespace std::chrono_literals;

struct Refused {
  std::string why;
};

// Events stored for `order_id`, read through a separate connection.
int StoredCount(const std::string& db_path, const std::string& order_id) {
  sqlite3* db = nullptr;
  int count = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM events WHERE order_id = ?", -1, &stmt,
                           nullptr) == SQLITE_OK) {
      sqlite3_bind_text(stmt, 1, order_id.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(stmt) == SQLITE_ROW) count = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return count;
}

std::string Payload(const std::string& order_id) {
  return R"({"event_id":")" + order_id + R"(-e","order_id":")" + order_id +
         R"(","stage":"confirmed","ts":"2026-10-05T10:00:00Z"})";
}

class FakeSource final : public MessageSource {
 public:
  struct Record {
    std::string order_id;
    bool acknowledged = false;
    int stored_at_ack = -1;  // events for the order in the database when it was acknowledged
    std::string refused;
  };

  explicit FakeSource(std::string db_path)
      : db_path_(std::move(db_path)),
        gate_([](const Delivery&, const std::string& why) { throw Refused{why}; }) {}

  void OnStateChange(StateHandler handler) override { state_handler_ = std::move(handler); }
  void Start(MessageHandler handler) override { gate_.Open(std::move(handler)); }
  // Runs the scripted interleaving (what the transport does while the source
  // stops), then closes the gate, as MqttSource does after disconnecting.
  void Stop() override {
    ++stops_;
    if (during_stop) during_stop();
    gate_.Close();
  }
  SourceHealth Health() const override {
    std::lock_guard lock(mutex_);
    return health_;
  }
  void SetTopics(std::vector<std::string>) override {}

  // The owner's thread.
  void SetHealth(bool connected, bool subscribed, std::vector<std::string> problems = {}) {
    {
      std::lock_guard lock(mutex_);
      health_ = SourceHealth{connected, subscribed, std::move(problems)};
    }
    if (state_handler_) state_handler_();
  }

  // The transport's thread: one message, acknowledged iff the gate returns.
  bool Arrive(const std::string& order_id, std::uint64_t connection, bool dup = false) {
    std::string payload = Payload(order_id);
    Record record;
    record.order_id = order_id;
    try {
      gate_.Deliver(Delivery{"floor/test/station-1", payload, dup, connection});
      record.acknowledged = true;
      record.stored_at_ack = StoredCount(db_path_, order_id);  // the PUBACK would go out now
    } catch (const Refused& r) {
      record.refused = r.why;
    }
    std::lock_guard lock(mutex_);
    records_.push_back(record);
    return record.acknowledged;
  }

  // Delivers each order on a new transport thread and waits for it.
  void ArriveOnTransport(const std::vector<std::string>& orders, std::uint64_t connection) {
    std::thread transport([&] {
      for (const auto& o : orders) Arrive(o, connection);
    });
    transport.join();
  }

  std::vector<Record> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }
  Record record(const std::string& order_id) const {
    for (const auto& r : records())
      if (r.order_id == order_id) return r;
    return Record{order_id, false, -1, "never arrived"};
  }
  int stops() const { return stops_; }

  std::function<void()> during_stop;

 private:
  std::string db_path_;
  DeliveryGate gate_;
  StateHandler state_handler_;
  mutable std::mutex mutex_;
  SourceHealth health_;
  std::vector<Record> records_;
  int stops_ = 0;
};

// An EventStore in front of the real one that can hold storage (every append
// fails as "busy", like a lock held by another process) or block an append
// until released (a commit in progress).
class ControlledStore final : public EventStore {
 public:
  explicit ControlledStore(EventStore& inner) : inner_(inner) {}

  using EventStore::Append;
  Result<AppendStatus> Append(const StageEvent& event, const EventIdentity& identity) override {
    if (held_) {
      ++held_attempts_;
      return MakeError(ErrorKind::kBusy, "test: storage held");
    }
    if (block_) {
      std::unique_lock lock(mutex_);
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return !block_; });
    }
    return inner_.Append(event, identity);
  }
  Status AppendReject(const Reject& reject) override { return inner_.AppendReject(reject); }
  void SetRules(const Rules& rules) override { inner_.SetRules(rules); }
  Result<std::uint64_t> BeginEpoch() override { return inner_.BeginEpoch(); }
  Status BeginBatch() override { return inner_.BeginBatch(); }
  Status CommitBatch(std::uint64_t applied_through) override {
    return inner_.CommitBatch(applied_through);
  }
  void AbortBatch() override { inner_.AbortBatch(); }
  Result<std::uint64_t> AppliedThrough() override { return inner_.AppliedThrough(); }
  Result<std::vector<AppendStatus>> AppendReading(
      const std::vector<std::pair<StageEvent, EventIdentity>>& events, const std::string& device,
      const std::optional<std::string>& state) override {
    return inner_.AppendReading(events, device, state);
  }
  Result<std::string> DeviceState(const std::string& device) override {
    return inner_.DeviceState(device);
  }
  Result<StoredRefs> Lookup(const std::string& id) override { return inner_.Lookup(id); }

  void Hold(bool on) { held_ = on; }
  int held_attempts() const { return held_attempts_; }
  void BlockNextAppend() { block_ = true; }
  void WaitUntilBlocked() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return blocked_; });
  }
  void Unblock() {
    {
      std::lock_guard lock(mutex_);
      block_ = false;
    }
    cv_.notify_all();
  }

 private:
  EventStore& inner_;
  std::atomic<bool> held_{false};
  std::atomic<int> held_attempts_{0};
  std::atomic<bool> block_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool blocked_ = false;
};

// A daemon over a fresh database in a temporary directory.
struct Fixture {
  Fixture() {
    char dir_template[] = "/tmp/floortrack-daemon-test-XXXXXX";
    dir = ::mkdtemp(dir_template);
    db_path = dir + "/floortrack.db";
    StoreOptions options;
    options.path = db_path;
    options.sync = StoreOptions::Sync::kNormal;
    auto opened = SqliteStore::OpenForWriting(options, Config{}.rules);
    REQUIRE(opened.ok());
    sqlite = std::move(opened).value();
    store = std::make_unique<ControlledStore>(*sqlite);
    source = std::make_unique<FakeSource>(db_path);
    daemon = std::make_unique<Daemon>(io, Config{}, "", *store, *source);
    daemon->Start();
  }
  ~Fixture() {
    daemon.reset();
    source.reset();
    store.reset();
    sqlite.reset();
    std::filesystem::remove_all(dir);
  }

  // The invariant of the whole file: every acknowledged message was stored
  // (exactly once) when it was acknowledged.
  void CheckNothingAcknowledgedUnstored() const {
    for (const auto& r : source->records()) {
      if (!r.acknowledged) continue;
      INFO("order ", r.order_id);
      CHECK(r.stored_at_ack == 1);
    }
  }

  std::string dir;
  std::string db_path;
  asio::io_context io;
  std::unique_ptr<SqliteStore> sqlite;
  std::unique_ptr<ControlledStore> store;
  std::unique_ptr<FakeSource> source;
  std::unique_ptr<Daemon> daemon;
};

TEST_CASE("a message delivered while the source is still connecting is stored, then acknowledged") {
  Fixture f;
  f.source->SetHealth(false, false);
  f.source->ArriveOnTransport({"C1"}, 1);
  f.source->SetHealth(true, false);
  f.source->ArriveOnTransport({"C2"}, 1);  // connected, SUBACK not yet in
  f.source->SetHealth(true, true);
  f.source->ArriveOnTransport({"C3"}, 1);
  f.daemon->Shutdown();
  CHECK(f.source->stops() == 1);
  for (const char* order : {"C1", "C2", "C3"}) {
    INFO(order);
    CHECK(f.source->record(order).acknowledged);
  }
  f.CheckNothingAcknowledgedUnstored();
}

TEST_CASE(
    "stop during a reconnect: the backlog the completing connection delivers is stored "
    "before it is acknowledged; what arrives after the stop is never acknowledged") {
  Fixture f;
  f.source->SetHealth(true, true);
  f.source->ArriveOnTransport({"R1"}, 1);
  f.source->SetHealth(false, false);  // connection lost; the reconnect is under way

  // SIGTERM now. While the source stops, the reconnect completes and the
  // broker resumes the session with its backlog.
  f.source->during_stop = [&] {
    f.source->SetHealth(true, false);
    f.source->ArriveOnTransport({"R2", "R3", "R4", "R5"}, 2);
  };
  f.daemon->Shutdown();
  // A connection the stop did not end (what 0.1.0 left behind: it skipped the
  // disconnect while not connected) delivers after Stop() returned.
  f.source->ArriveOnTransport({"R6", "R7"}, 3);

  for (const char* order : {"R1", "R2", "R3", "R4", "R5"}) {
    INFO(order);
    CHECK(f.source->record(order).acknowledged);
  }
  for (const char* order : {"R6", "R7"}) {
    INFO(order);
    auto r = f.source->record(order);
    CHECK_FALSE(r.acknowledged);
    CHECK(r.refused == "it arrived after the source stopped");
    CHECK(StoredCount(f.db_path, order) == 0);
  }
  f.CheckNothingAcknowledgedUnstored();
}

TEST_CASE(
    "stop while storage is held: the held message is not acknowledged, and the stop "
    "does not wait for storage") {
  Fixture f;
  f.source->SetHealth(true, true);
  f.source->ArriveOnTransport({"H1"}, 1);
  f.store->Hold(true);
  std::thread transport([&] { f.source->Arrive("H2", 1); });
  while (f.store->held_attempts() < 2) std::this_thread::sleep_for(1ms);  // retrying with backoff
  CHECK_FALSE(f.daemon->Health().healthy);

  // More arrives while the stop runs (a message read before the disconnect).
  f.source->during_stop = [&] { f.source->ArriveOnTransport({"H3"}, 1); };
  auto started = std::chrono::steady_clock::now();
  f.daemon->Shutdown();
  transport.join();
  CHECK(std::chrono::steady_clock::now() - started < 3s);

  CHECK(f.source->record("H1").acknowledged);
  for (const char* order : {"H2", "H3"}) {
    INFO(order);
    auto r = f.source->record(order);
    CHECK_FALSE(r.acknowledged);
    CHECK(r.refused == "it could not be stored");
    CHECK(StoredCount(f.db_path, order) == 0);
  }
  f.CheckNothingAcknowledgedUnstored();
}

TEST_CASE(
    "stop while a message is being stored: the stop waits for it, and it is stored "
    "before it is acknowledged") {
  Fixture f;
  f.source->SetHealth(true, true);
  f.store->BlockNextAppend();
  std::thread transport([&] { f.source->Arrive("S1", 1); });
  f.store->WaitUntilBlocked();
  std::atomic<bool> stopped{false};
  std::atomic<bool> stopped_before_commit{true};
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    stopped_before_commit = stopped.load();
    f.store->Unblock();
  });
  f.daemon->Shutdown();
  stopped = true;
  releaser.join();
  transport.join();
  CHECK_FALSE(stopped_before_commit.load());  // Shutdown() waited for the commit
  CHECK(f.source->record("S1").acknowledged);
  f.CheckNothingAcknowledgedUnstored();
}

TEST_CASE("health: the source's problems and held storage make the daemon unhealthy") {
  Fixture f;
  CHECK_FALSE(f.daemon->Health().healthy);
  f.source->SetHealth(true, true);
  CHECK(f.daemon->Health().healthy);
  CHECK(f.daemon->Health().problems.empty());
  f.source->SetHealth(true, false, {"broker granted floor/# only QoS 0"});
  auto health = f.daemon->Health();
  CHECK_FALSE(health.healthy);
  REQUIRE(health.problems.size() == 1);
  CHECK(health.problems[0] == "broker granted floor/# only QoS 0");
  f.daemon->Shutdown();
}

}  // namespace
}  // namespace floortrack
