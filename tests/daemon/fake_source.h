// Test doubles for driving a Daemon (tests/daemon): FakeSource delivers
// messages through a DeliveryGate on a "transport" thread, as MqttSource
// does for Paho, and records for each whether it was acknowledged (the gate
// returned) and how many events of its order the database held at that
// moment; ControlledStore stands in front of the real store and can hold
// storage or block an append. Test-only; header-only.
#pragma once
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
inline namespace test_doubles {

struct Refused {
  std::string why;
};

// Events stored for `order_id`, read through a separate connection.
inline int StoredCount(const std::string& db_path, const std::string& order_id) {
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

inline std::string Payload(const std::string& order_id) {
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
  // `payload` empty: Payload(order_id).
  bool Arrive(const std::string& order_id, std::uint64_t connection, bool dup = false,
              std::string payload = "") {
    if (payload.empty()) payload = Payload(order_id);
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
  Status BeginBatch(bool durable) override { return inner_.BeginBatch(durable); }
  Status CommitBatch(std::uint64_t applied_through) override {
    return inner_.CommitBatch(applied_through);
  }
  void AbortBatch() override { inner_.AbortBatch(); }
  Result<std::uint64_t> AppliedThrough() override { return inner_.AppliedThrough(); }
  Status SyncCommitted() override { return inner_.SyncCommitted(); }
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

}  // namespace test_doubles
}  // namespace floortrack
